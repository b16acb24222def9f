"""Coefficient magnitudes of built models (``procure/lp/numerics.py``): the thresholds are
where HiGHS refuses, drops or misreads values, shown here on models it fails on and
models it solves; bundled scenarios stay inside them."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
import yaml
from conftest import DATASETS, orlib_dir

from procure.backends import SolveOptions, Status, available_backends
from procure.io import load_scenario, scenario_from_data
from procure.logistics.compile import compile_scenario as compile_movements
from procure.logistics.formulation import build as build_movements
from procure.lp.model import LinearModel, ModelArrays
from procure.lp.numerics import (
    HIGHS_INFINITE_BOUND,
    HIGHS_INFINITE_COST,
    HIGHS_LARGE_MATRIX_VALUE,
    HIGHS_SMALL_MATRIX_VALUE,
    MAX_INTEGER_RATIO,
    check_coefficients,
    coefficient_report,
    family_of,
)
from procure.orlib import import_cflp
from procure.procurement.compile import compile_scenario
from procure.procurement.formulation import build

needs_highs = pytest.mark.skipif("highs" not in available_backends(),
                                 reason="highspy not installed")


def solve(model: ModelArrays) -> Any:
    from procure.backends.highs import HighsBackend

    return HighsBackend().solve(model, SolveOptions(time_limit=10.0))


# -- small models at HiGHS's limits ------------------------------------------------------


def matrix_model(a: float) -> ModelArrays:
    """min x s.t. a x >= a: x = 1."""
    m = LinearModel("matrix")
    x = m.add_variables("x", 1, cost=1.0)
    m.add_constraints("(1) row", 1, [0], [x.start], [a], lower=a)
    return m.finalize()


def cost_model(c: float) -> ModelArrays:
    """min c x s.t. 1 <= x <= 2: x = 1."""
    m = LinearModel("cost")
    x = m.add_variables("x", 1, upper=2.0, cost=c)
    m.add_constraints("(1) row", 1, [0], [x.start], [1.0], lower=1.0)
    return m.finalize()


def bound_model(u: float) -> ModelArrays:
    """max x s.t. x <= u: x = u."""
    m = LinearModel("bound")
    m.add_variables("x", 1, upper=u, cost=-1.0)
    return m.finalize()


def tiny_model(a: float) -> ModelArrays:
    """min x s.t. a x >= 1, x <= 1e12: x = 1 / a."""
    m = LinearModel("tiny")
    x = m.add_variables("x", 1, cost=1.0, upper=1e12)
    m.add_constraints("(1) row", 1, [0], [x.start], [a], lower=1.0)
    return m.finalize()


def big_m_model(big_m: float) -> ModelArrays:
    """Open one of three facilities (cost 100 each) to ship 5 units (cost 1 each):
    x_i <= M z_i. The optimum is 105."""
    m = LinearModel("big-M")
    z = m.add_variables("launch", 3, upper=1.0, integer=True, cost=100.0)
    x = m.add_variables("buy", 3, cost=1.0, upper=big_m)
    m.add_constraints("(1) requirement", 1, [0, 0, 0], x.index, 1.0, lower=5.0)
    m.add_constraints("(2a) linking", 3, [0, 1, 2, 0, 1, 2],
                      np.concatenate([x.index, z.index]), [1, 1, 1, -big_m, -big_m, -big_m],
                      upper=0.0)
    return m.finalize()


@needs_highs
def test_highs_refuses_matrix_entries_from_1e15() -> None:
    inside = solve(matrix_model(0.99 * HIGHS_LARGE_MATRIX_VALUE))
    assert inside.status == Status.OPTIMAL and inside.objective == pytest.approx(1.0)
    at = solve(matrix_model(HIGHS_LARGE_MATRIX_VALUE))
    assert at.status == Status.ERROR and "Not Set" in at.message
    msg = str(check_coefficients(matrix_model(HIGHS_LARGE_MATRIX_VALUE)))
    assert msg == ("matrix: matrix entry 1e+15 in family '(1) row' ((1) row[0] x x[0]) is at "
                   "or beyond HiGHS's large_matrix_value (1e+15): HiGHS refuses the model")


@needs_highs
def test_highs_refuses_costs_from_1e20() -> None:
    inside = solve(cost_model(0.999 * HIGHS_INFINITE_COST))
    assert inside.status == Status.OPTIMAL
    at = solve(cost_model(HIGHS_INFINITE_COST))
    assert at.status == Status.ERROR
    assert "cost 1e+20 in family 'x' (x[0]) is at or beyond HiGHS's infinite_cost" in str(
        check_coefficients(cost_model(HIGHS_INFINITE_COST)))


@needs_highs
def test_highs_drops_bounds_from_1e20() -> None:
    inside = solve(bound_model(0.1 * HIGHS_INFINITE_BOUND))
    assert inside.status == Status.OPTIMAL and inside.objective == -0.1 * HIGHS_INFINITE_BOUND
    at = solve(bound_model(HIGHS_INFINITE_BOUND))
    assert at.status == Status.UNBOUNDED  # the bound was read as infinite: a wrong answer
    assert "variable bound 1e+20 in family 'x' (x[0]) is at or beyond HiGHS's infinite_bound" \
        in str(check_coefficients(bound_model(HIGHS_INFINITE_BOUND)))


@needs_highs
def test_highs_drops_matrix_entries_of_1e9_and_below() -> None:
    inside = solve(tiny_model(1.1 * HIGHS_SMALL_MATRIX_VALUE))
    assert inside.status == Status.OPTIMAL
    assert inside.objective == pytest.approx(1 / (1.1 * HIGHS_SMALL_MATRIX_VALUE))
    at = solve(tiny_model(HIGHS_SMALL_MATRIX_VALUE))
    assert at.status == Status.INFEASIBLE  # the entry was dropped: 0 >= 1
    assert "matrix entry 1e-09 in family '(1) row' is at or below HiGHS's small_matrix_value" \
        in str(check_coefficients(tiny_model(HIGHS_SMALL_MATRIX_VALUE)))


@needs_highs
def test_integrality_tolerance_frees_big_m_rows_from_ratio_1e6() -> None:
    """x <= M z with z binary: HiGHS accepts z = 5 / M as integral (within its
    mip_feasibility_tolerance of 1e-6) once 5 / M <= 1e-6, and reports a plan that
    ships without opening anything as optimal."""
    right = solve(big_m_model(1e5))
    assert right.status == Status.OPTIMAL and right.objective == pytest.approx(105.0, abs=1e-4)
    assert check_coefficients(big_m_model(1e5)) is None
    wrong = solve(big_m_model(1e7))
    assert wrong.status == Status.OPTIMAL
    assert wrong.objective == pytest.approx(5.00005, abs=1e-6)  # not 105
    msg = check_coefficients(big_m_model(1e7))
    assert msg is not None
    assert "integer-column coefficient ratio 1e+07 in family '(2a) linking'" in msg
    assert f"sound limit {MAX_INTEGER_RATIO:g}" in msg


def test_sound_margins_flag_what_highs_still_answers() -> None:
    """Inside HiGHS's limits but beyond the sound ones: flagged, unless only HiGHS's own
    limits are asked for."""
    assert check_coefficients(big_m_model(1e7), limits="highs") is None
    assert check_coefficients(matrix_model(1e12), limits="highs") is None
    assert check_coefficients(cost_model(1e20), limits="highs") is not None
    assert "matrix entry" in str(check_coefficients(matrix_model(1e12)))
    assert "cost" in str(check_coefficients(cost_model(1e18)))
    assert "variable bound" in str(check_coefficients(bound_model(1e18)))
    assert "below the sound limit" in str(check_coefficients(tiny_model(1e-8)))
    assert check_coefficients(matrix_model(1e9)) is None
    assert check_coefficients(cost_model(1e14)) is None


def test_objective_term_and_spread() -> None:
    m = LinearModel("term")
    x = m.add_variables("shortfall", 2, upper=[1e9, 1.0], cost=[1e7, 1.0])
    m.add_constraints("(1) row", 1, [0, 0], x.index, [1.0, 1.0], lower=1.0)
    assert "objective term |cost x bound| 1e+16 in family 'shortfall' (shortfall[0])" in str(
        check_coefficients(m.finalize()))
    m = LinearModel("spread")
    x = m.add_variables("x", 2, upper=1.0, cost=1.0)
    m.add_constraints("(1) a", 1, [0], [x.start], [1e-6], lower=0.0)
    m.add_constraints("(2) b", 1, [0], [x.start + 1], [1e7], upper=1e7)
    msg = str(check_coefficients(m.finalize()))
    assert "matrix entries span a ratio of 1e+13" in msg
    assert "'(1) a'" in msg and "'(2) b'" in msg


def test_values_that_are_not_finite() -> None:
    m = LinearModel("nan")
    x = m.add_variables("x", 1, cost=math.nan)
    m.add_constraints("(1) row", 1, [0], [x.start], [1.0], lower=1.0)
    assert "1 cost(s) in family 'x' are not finite" in str(check_coefficients(m.finalize()))
    m = LinearModel("inf")
    x = m.add_variables("x", 1, cost=1.0)
    m.add_constraints("(1) row", 1, [0], [x.start], [math.inf], lower=1.0)
    assert "matrix entry(s) in family '(1) row' are not finite" in str(
        check_coefficients(m.finalize()))
    # infinite bounds are normal
    assert check_coefficients(bound_model(math.inf)) is None


# -- the report --------------------------------------------------------------------------


def test_family_of() -> None:
    assert family_of("(7b.3) share bound[4]") == "(7b.3) share bound"
    assert family_of("(8) budget") == "(8) budget"
    assert family_of("tier[7]") == "tier"


def test_report_of_the_tutorial(tutorial: Any) -> None:
    model = build(compile_scenario(tutorial)).model
    rep = coefficient_report(model)
    fams = {(e.kind, e.family) for e in rep.entries}
    assert ("matrix", "(1) requirement") in fams and ("cost", "launch") in fams
    assert ("rhs", "(1) requirement") in fams and ("bound", "buy") in fams
    buy = next(e for e in rep.of("cost") if e.family == "buy")
    assert buy.smallest == 4.0 and buy.largest == 160.0 and buy.at.startswith("buy[")
    assert rep.largest("matrix") == max(abs(model.a_value))
    assert rep.smallest("matrix") == min(abs(model.a_value))
    assert rep.ratio("matrix") == rep.largest("matrix") / rep.smallest("matrix")
    text = rep.table()
    assert "(1) requirement" in text and "where the largest is" in text
    assert check_coefficients(model, rep) is None


def test_per_launch_blocks_report_as_one_family() -> None:
    s = load_scenario(DATASETS / "sample_alliance.yaml")
    model = build(compile_scenario(s)).model
    rep = coefficient_report(model)
    names = [e.family for e in rep.of("matrix")]
    assert "(7b.3) share bound" in names
    assert len(names) == len(set(names))
    share = next(e for e in rep.of("matrix") if e.family == "(7b.3) share bound")
    blocks = [b for b in model.row_blocks if family_of(b.name) == "(7b.3) share bound"]
    assert len(blocks) > 1
    nnz = sum(int(model.a_start[b.start + b.size] - model.a_start[b.start]) for b in blocks)
    assert share.count == nnz
    assert share.at.startswith("(7b.3) share bound[")


# -- bundled scenarios are sound; the edges of the ranges may not be ----------------------


@pytest.mark.parametrize("name", ["tutorial.yaml", "sample_alliance.yaml"])
@pytest.mark.parametrize("mode", ["joint", "alone"])
def test_bundled_procurement_models_are_sound(name: str, mode: str) -> None:
    s = load_scenario(DATASETS / name)
    assert check_coefficients(build(compile_scenario(s, mode)).model) is None  # type: ignore[arg-type]


def test_bundled_movement_model_is_sound() -> None:
    s = load_scenario(DATASETS / "reinforcement.yaml")
    assert check_coefficients(build_movements(compile_movements(s)).model) is None


@pytest.mark.parametrize(("name", "capacity"), [("cap41.txt", None), ("capa.txt", 8000.0)])
@pytest.mark.parametrize("mode", ["joint", "alone"])
def test_orlib_models_are_sound(name: str, capacity: float | None, mode: str) -> None:
    s = import_cflp(orlib_dir() / name, capacity)
    assert check_coefficients(build(compile_scenario(s, mode)).model) is None  # type: ignore[arg-type]


def _tutorial_with(**edits: float) -> Any:
    d = yaml.safe_load((DATASETS / "tutorial.yaml").read_text())
    d = copy.deepcopy(d)
    for r in d["requirements"]:
        r["quantity"] = edits.get("quantity", r["quantity"])
    for p in d["programs"]:
        p["unit_cost"] = edits.get("unit_cost", p["unit_cost"])
    return scenario_from_data(d)


@needs_highs
def test_default_shortfall_penalty_overflows_at_the_edge_of_the_ranges() -> None:
    """Valid data, unsound model: the default penalty 1 + sum NRC + sum R max-price
    (models/procurement.md section 5) reaches 8e21 with requirements of 1e9 units at
    1e12 each, beyond HiGHS's infinite cost (1e20). The check names it before HiGHS
    fails without a name."""
    s = _tutorial_with(quantity=1e9, unit_cost=1e12)
    model = build(compile_scenario(s)).model
    msg = str(check_coefficients(model))
    assert "cost 8e+21 in family 'shortfall'" in msg
    out = solve(model)
    assert out.status == Status.ERROR


def test_shortfall_term_dwarfs_costs_at_large_requirements() -> None:
    """Requirements of 1e9 units: the shortfall columns reach 1e21 of objective, so the
    plan's cost (about 1e3) is below the objective's rounding error."""
    s = _tutorial_with(quantity=1e9)
    model = build(compile_scenario(s)).model
    term = next(e for e in coefficient_report(model).of("term") if e.family == "shortfall")
    assert term.largest > 1e20
    # the first finding: requirements of 1e9 are also a big-M of 1e9 on the launches
    assert "integer-column coefficient ratio 1e+09 in family '(2a) linking'" in str(
        check_coefficients(model))

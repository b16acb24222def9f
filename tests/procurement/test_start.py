"""The start heuristic, MIP starts through the backend seam, and the model tightenings that
come with them ((1=) merged need rows, (12) aggregated capacity rows, (11.3) shortfall
bound): none of them may change an optimum, and every start must be a feasible plan."""

from __future__ import annotations

import importlib
from dataclasses import replace

import numpy as np
import pytest
from conftest import MIP_BACKENDS, orlib_dir, solve_checked
from conftest import alliances as alliances_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procure.backends import SolveOptions, get_backend
from procure.generate import generate_alliance
from procure.orlib import import_cflp
from procure.procurement.compile import compile_scenario
from procure.procurement.evaluate import evaluate
from procure.procurement.formulation import FormulationOptions, build
from procure.procurement.plan import decode
from procure.procurement.solve import solve
from procure.procurement.start import (
    Start,
    lagrangian,
    lagrangian_start,
    open_all_certificate,
    shortfall_bound,
)
from procure.schema import Scenario

CAP = ["cap41", "cap42", "cap43", "cap44", "cap51", "cap61", "cap62", "cap63", "cap64",
       "cap71", "cap72", "cap73", "cap74"]
OPTS = SolveOptions(mip_gap=1e-9, time_limit=60)
PLAIN = FormulationOptions(capacity_cuts=False, merge_need_rows=False)


def optima() -> dict[str, float]:
    lines = (orlib_dir() / "optima.txt").read_text().split("\n")
    return {name: float(v) for name, v in (ln.split() for ln in lines if ln.strip())}


def check_start(s: Scenario, fopts: FormulationOptions | None = None) -> Start:
    """The heuristic's plan, decoded, passes the independent evaluator, and the model's
    objective of the start equals the evaluator's."""
    f = build(compile_scenario(s), fopts)
    start = lagrangian_start(f, get_backend("highs"), time_limit=30)
    assert start.x is not None, start.message
    ev = evaluate(s, decode(f, start.x), strict=f.options.strict)
    assert ev.feasible, [str(v) for v in ev.violations]
    assert start.objective == pytest.approx(ev.objective, rel=1e-6, abs=1e-6)
    return start


@pytest.mark.parametrize("name", CAP)
def test_start_never_changes_the_published_optimum(name: str) -> None:
    s = import_cflp(orlib_dir() / f"{name}.txt")
    best = optima()[name]
    start = check_start(s)
    assert start.details["shortfall"] == 0 and start.objective is not None
    assert start.objective >= best * (1 - 1e-9)  # a plan, never better than the optimum
    with_start = solve(s, options=OPTS, warm_start=True)
    without = solve(s, options=OPTS)
    plain = solve(s, options=OPTS, formulation=PLAIN)
    for res in (with_start, without, plain):
        assert str(res.status) == "optimal", res.message
        assert res.evaluation is not None and res.evaluation.feasible
        assert res.objective == pytest.approx(best, rel=1e-6)
        assert res.metrics["total_cost"] == pytest.approx(best, rel=1e-6)
    assert "start heuristic" in with_start.message


alliances = alliances_of(6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alliances, st.sampled_from(["joint", "alone"]))
def test_generated_start_is_feasible_and_optimum_unchanged(s: Scenario, mode: str) -> None:
    f = build(compile_scenario(s, mode))  # type: ignore[arg-type]
    start = lagrangian_start(f, get_backend("highs"), time_limit=30)
    if start.x is not None:
        ev = evaluate(s, decode(f, start.x))
        assert ev.feasible, [str(v) for v in ev.violations]
        assert start.objective == pytest.approx(ev.objective, rel=1e-6, abs=1e-6)
    ref = solve(s, mode=mode, options=OPTS, formulation=PLAIN)  # type: ignore[arg-type]
    got = solve(s, mode=mode, options=OPTS, warm_start=True)  # type: ignore[arg-type]
    assert str(ref.status) == str(got.status) == "optimal"
    assert got.evaluation is not None and got.evaluation.feasible
    assert ref.objective is not None and got.objective is not None
    assert got.objective == pytest.approx(ref.objective, rel=1e-6, abs=1e-6)
    assert got.evaluation.objective == pytest.approx(got.objective, rel=1e-6, abs=1e-6)


def test_lagrangian_bound_is_a_lower_bound() -> None:
    s = import_cflp(orlib_dir() / "cap64.txt")
    f = build(compile_scenario(s))
    lag = lagrangian(f)
    assert lag.bound <= optima()["cap64"] * (1 + 1e-9)
    assert lag.bound >= 0.9 * optima()["cap64"]  # and a useful one
    assert lag.scores.shape == (f.launch.size,) and lag.multipliers.shape == (f.shortfall.size,)


def test_highs_honours_a_start_and_ignores_a_wrong_length() -> None:
    s = import_cflp(orlib_dir() / "cap71.txt")
    f = build(compile_scenario(s))
    highs = get_backend("highs")
    assert highs.capabilities.warm_start
    ref = highs.solve(f.model, OPTS)
    assert ref.x is not None and ref.objective is not None
    for start in (ref.x, np.zeros(3), np.zeros(f.model.num_cols)):
        out = highs.solve(f.model, OPTS, start=start)
        assert str(out.status) == "optimal"
        assert out.objective == pytest.approx(ref.objective, rel=1e-9)


@pytest.mark.parametrize("solver", [b for b in MIP_BACKENDS if b != "highs"])
def test_backends_without_starts_ignore_them(solver: str) -> None:
    s = import_cflp(orlib_dir() / "cap61.txt")
    backend = get_backend(solver)
    assert not backend.capabilities.warm_start
    f = build(compile_scenario(s))
    x0 = np.full(f.model.num_cols, 0.5)  # not even feasible: must simply be ignored
    out = backend.solve(f.model, OPTS, start=x0)
    assert str(out.status) == "optimal"
    assert out.objective == pytest.approx(optima()["cap61"], rel=1e-6)
    res = solve_checked(s, solver=solver, options=OPTS, warm_start=True)  # heuristic skipped
    assert str(res.status) == "optimal" and "start heuristic" not in res.message
    assert res.objective == pytest.approx(optima()["cap61"], rel=1e-6)


def test_shortfall_bound_only_for_elastic_models_and_clean_starts() -> None:
    s = import_cflp(orlib_dir() / "cap41.txt")
    f = build(compile_scenario(s))
    x = np.zeros(f.model.num_cols)
    clean = Start(x, 1000.0, None, 0.0, details={"shortfall": 0.0})
    bound = shortfall_bound(f, clean)
    assert bound is not None and 0 < bound < 1
    assert bound == pytest.approx(1000.0 / f.compiled.shortfall_penalty, rel=1e-6, abs=1e-8)
    assert shortfall_bound(f, replace(clean, details={"shortfall": 2.0})) is None
    assert shortfall_bound(f, replace(clean, x=None)) is None
    strict = build(compile_scenario(s), FormulationOptions(strict=True))
    assert shortfall_bound(strict, clean) is None
    level = build(compile_scenario(s),
                  FormulationOptions(shortfall_allowance=(0.0,) * f.shortfall.size))
    assert shortfall_bound(level, clean) is None


def test_tightened_rows_where_expected() -> None:
    """CFLP: every (2b) row merges into its requirement row (1=); one (12) row, which
    loses its shortfall terms once a shortfall bound is known."""
    s = import_cflp(orlib_dir() / "cap41.txt")
    c = compile_scenario(s)
    blocks = {b.name: b for b in build(c).model.row_blocks}
    assert blocks["(2b) need"].size == 0
    assert blocks["(12) aggregated capacity"].size == 1
    plain = {b.name: b for b in build(c, PLAIN).model.row_blocks}
    assert plain["(2b) need"].size == 50 and "(12) aggregated capacity" not in plain
    m = build(c, FormulationOptions(shortfall_bound=0.5)).model
    row = next(b for b in m.row_blocks if b.name == "(12) aggregated capacity").start
    cols = m.a_index[m.a_start[row]:m.a_start[row + 1]]
    assert cols.max() < 16  # launches only
    assert m.row_lower[row] == pytest.approx(float(c.req_quantity.sum()) - 0.5)
    assert m.col_upper[-50:].max() == pytest.approx(0.5)


def test_auto_start_skips_small_models_and_crowded_candidates(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """warm_start=None: no heuristic below AUTO_START_CELLS; above it, no restricted MIP
    when it would keep more than a third of the launches (cap41: 16 launches)."""
    solve_module = importlib.import_module("procure.procurement.solve")  # not the function
    s = import_cflp(orlib_dir() / "cap41.txt")
    small = solve_checked(s, options=OPTS)
    assert "start heuristic" not in small.message
    assert small.objective == pytest.approx(optima()["cap41"], rel=1e-6)
    monkeypatch.setattr(solve_module, "AUTO_START_CELLS", 0)
    auto = solve_checked(s, options=OPTS)
    assert "start heuristic" in auto.message and "no start" in auto.message
    assert auto.objective == pytest.approx(optima()["cap41"], rel=1e-6)


def test_open_all_certificate() -> None:
    """Every launch open, no shortfall: a feasible plan that bounds the shortfall, and
    only on models whose launches are their only integer columns."""
    s = import_cflp(orlib_dir() / "cap41.txt")
    f = build(compile_scenario(s))
    cert = open_all_certificate(f, get_backend("highs"))
    assert cert.x is not None and cert.details["shortfall"] == 0 and cert.objective is not None
    ev = evaluate(s, decode(f, cert.x))
    assert ev.feasible and ev.shortfall_units == 0
    assert cert.objective == pytest.approx(ev.objective, rel=1e-9)
    assert cert.objective >= optima()["cap41"]
    bound = shortfall_bound(f, cert)
    assert bound is not None and bound < 1
    whole = generate_alliance(4, 2, 2, years=2, seed=3)  # whole units: integer purchases
    fw = build(compile_scenario(whole))
    assert fw.model.integrality[fw.buy.index].any()
    assert open_all_certificate(fw, get_backend("highs")).x is None

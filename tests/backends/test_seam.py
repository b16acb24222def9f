"""The solver seam: namespaced solver options, the MIP start as model data, capability
lookup and the LP session, on every installed backend that applies."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from procure.backends import (
    SolveOptions,
    Status,
    Stop,
    available_backends,
    get_backend,
    pick_backend,
)
from procure.backends.base import LpSession, SolveOutcome
from procure.lp import LinearModel, ModelArrays


def knapsack() -> ModelArrays:
    """max 5a + 4b + 3c  s.t. 2a + 3b + c <= 4, binaries: optimum 8 (a, c), as a min."""
    m = LinearModel("knap")
    v = m.add_variables("v", 3, cost=[-5.0, -4.0, -3.0], upper=1.0, integer=True)
    m.add_constraints("cap", 1, [0, 0, 0], v.index, [2.0, 3.0, 1.0], upper=4.0)
    return m.finalize()


def lp() -> ModelArrays:
    """min x + 2y  s.t. x + y >= 1: optimum 1 at x = 1, dual of the row 1."""
    m = LinearModel("lp")
    v = m.add_variables("v", 2, cost=[1.0, 2.0])
    m.add_constraints("cover", 1, [0, 0], v.index, [1.0, 1.0], lower=1.0)
    return m.finalize()


def test_unknown_namespace_and_bad_values_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown solver 'gurobi'"):
        SolveOptions(solver_options={"gurobi": {"Threads": 1}})
    with pytest.raises(ValueError, match=r"solver_options\.highs\.presolve"):
        SolveOptions(solver_options={"highs": {"presolve": ["off"]}})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="mip_gap"):
        SolveOptions(mip_gap=2.0)


def test_options_are_frozen_and_merge_per_solver() -> None:
    mine = {"presolve": "off"}
    o = SolveOptions(solver_options={"highs": mine})
    mine["presolve"] = "on"
    assert o.for_solver("highs") == {"presolve": "off"}
    merged = o.with_solver_options("highs", presolve="on", solver="ipm")
    assert merged.for_solver("highs") == {"presolve": "off", "solver": "ipm"}  # caller wins
    assert merged.for_solver("cbc") == {}
    assert o.as_dict()["solver_options"] == {"highs": {"presolve": "off"}}


@pytest.mark.parametrize("name", [b for b in ("highs", "scip", "cbc") if b in
                                  available_backends()])
def test_other_solvers_options_never_reach_a_backend(name: str) -> None:
    """Settings no solver here would accept, under every other backend's name: each
    backend reads its own namespace only and solves normally."""
    foreign = {n: {"no_such_setting_anywhere": 1} for n in ("highs", "scip", "cbc", "cpsat")
               if n != name}
    out = get_backend(name).solve(knapsack(), SolveOptions(solver_options=foreign))
    assert out.status == Status.OPTIMAL and out.objective == pytest.approx(-8.0)
    assert out.stopped_by == Stop.GAP


def test_highs_refuses_an_unknown_option_by_name() -> None:
    b = get_backend("highs")
    opts = SolveOptions(solver_options={"highs": {"no_such_option": 1}})
    assert b.check_options(opts) is not None
    out = b.solve(knapsack(), opts)
    assert out.status == Status.ERROR and "no_such_option" in out.message
    assert out.stopped_by == Stop.FAILURE
    assert b.solve(knapsack(), SolveOptions(solver_options={"highs": {"presolve": "off"}})
                   ).objective == pytest.approx(-8.0)


@pytest.mark.skipif("cpsat" not in available_backends(), reason="OR-Tools not installed")
def test_cpsat_refuses_an_unknown_parameter_by_name() -> None:
    out = get_backend("cpsat").solve(knapsack(), SolveOptions(
        solver_options={"cpsat": {"no_such_field": 1}}))
    assert out.status == Status.ERROR and "no_such_field" in out.message


def test_start_is_an_argument_not_an_option() -> None:
    """A start (model data) reaches HiGHS; a start of the wrong length is ignored."""
    b = get_backend("highs")
    good = b.solve(knapsack(), SolveOptions(), start=np.array([1.0, 0.0, 1.0]))
    bad = b.solve(knapsack(), SolveOptions(), start=np.array([1.0]))
    assert good.objective == pytest.approx(-8.0) and bad.objective == pytest.approx(-8.0)
    assert "start" not in SolveOptions().as_dict()


def cflp_checked(name: str) -> tuple[ModelArrays, Callable[[SolveOutcome], None]]:
    """The product's model of an OR-Library CFLP instance, and a check that hands a
    solve's plan to the independent evaluator (feasible, same objective)."""
    from conftest import OBJ_RTOL, orlib_dir

    from procure.orlib import import_cflp
    from procure.procurement.compile import compile_scenario
    from procure.procurement.evaluate import evaluate
    from procure.procurement.formulation import build
    from procure.procurement.plan import decode

    scenario = import_cflp(orlib_dir() / f"{name}.txt")
    f = build(compile_scenario(scenario))

    def check(out: SolveOutcome) -> None:
        assert out.x is not None and out.objective is not None
        ev = evaluate(scenario, decode(f, out.x))
        assert ev.feasible, [str(v) for v in ev.violations]
        assert ev.objective == pytest.approx(out.objective, rel=OBJ_RTOL)

    return f.model, check


CAP41, CAP63 = 1040444.375, 1014062.05  # OR-Library's published optima


def test_a_target_stops_the_solve_at_a_plan_that_good() -> None:
    """With a target far above the optimum, HiGHS stops at the first check after a plan
    (cap63: at the root, 0.7 % above the optimum): status feasible, stopped by
    iterations, never optimal. Backends without MIP starts ignore a target."""
    model, check = cflp_checked("cap63")
    out = get_backend("highs").solve(model, SolveOptions(), target=1e12)
    assert out.status == Status.FEASIBLE and out.stopped_by == Stop.ITERATIONS
    assert out.objective is not None and CAP63 * (1 + 1e-6) < out.objective <= 1e12
    check(out)
    plain = get_backend("highs").solve(model, SolveOptions())
    assert plain.status == Status.OPTIMAL and plain.objective == pytest.approx(CAP63)
    check(plain)
    if "scip" in available_backends():
        other = get_backend("scip").solve(knapsack(), SolveOptions(), target=0.0)
        assert other.status == Status.OPTIMAL and other.objective == pytest.approx(-8.0)


def test_a_partial_start_is_completed_by_the_solver() -> None:
    """NaN in a start marks a value left to the solver: given only the optimal plan's
    launch columns, HiGHS completes them into the optimum, its first incumbent (without
    the start its first is the feasibility heuristic's, far off), and the target of the
    optimum then ends the solve."""
    model, check = cflp_checked("cap41")
    b = get_backend("highs")
    best = b.solve(model, SolveOptions())
    assert best.x is not None and best.objective == pytest.approx(CAP41)
    check(best)
    partial = np.full(model.num_cols, np.nan)
    launches = model.block("launch").index
    partial[launches] = best.x[launches]
    seen: list[float] = []
    out = b.solve(model, SolveOptions(), start=partial, target=CAP41 * (1 + 1e-9),
                  on_incumbent=lambda objective, x, bound: seen.append(objective))
    assert seen and seen[0] == pytest.approx(CAP41)
    assert out.status == Status.FEASIBLE and out.objective == pytest.approx(CAP41)
    check(out)
    cold: list[float] = []
    b.solve(model, SolveOptions(), on_incumbent=lambda objective, x, bound: cold.append(objective))
    assert cold[0] > CAP41 * 1.01


def test_pick_backend_prefers_the_run_backend_and_falls_back() -> None:
    duals = pick_backend("duals", prefer="scip")
    assert duals is not None and duals.name == "highs"  # SCIP (via OR-Tools) gives none
    assert pick_backend("duals", prefer="highs").name == "highs"  # type: ignore[union-attr]
    for capability in ("iis", "ranging"):  # HiGHS alone offers them through the seam
        chosen = pick_backend(capability, prefer="scip")
        assert chosen is not None and chosen.name == "highs"


@pytest.mark.parametrize("name", [b for b in ("highs", "scip", "cbc") if b in
                                  available_backends()])
def test_lp_session_resolves_with_new_bounds(name: str) -> None:
    """Every LP-capable backend has an LP session (HiGHS keeps it warm; the others
    re-solve from scratch): same answers either way."""
    s = get_backend(name).lp_session(lp(), SolveOptions())
    assert isinstance(s, LpSession)
    first = s.solve()
    assert first is not None and first[0] == pytest.approx(1.0)
    second = s.solve(np.array([0]), np.array([0.0]), np.array([0.2]))  # x <= 0.2
    assert second is not None and second[0] == pytest.approx(0.2 + 2 * 0.8)
    assert s.solves == 2


def test_duals_come_with_an_optimal_lp() -> None:
    out = get_backend("highs").solve(lp(), SolveOptions())
    assert out.row_duals is not None and out.row_duals[0] == pytest.approx(1.0)
    assert out.stopped_by == Stop.NONE

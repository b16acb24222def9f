"""Rows (4) of the default minimum run checked on the plan (section 11.7): the model
built without them has the optimum of the model with them, a plan that opens a launch
and buys nothing is repaired, a plan that buys less than the run is solved again with
the row, and a start heuristic's plan that breaks one is never kept."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import OBJ_RTOL, forced_idle_cflp, random_cflp, solve_checked
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procure.backends import SolveOptions, Status, get_backend
from procure.generate import generate_alliance
from procure.procurement import min_run
from procure.procurement.compile import compile_scenario
from procure.procurement.evaluate import evaluate
from procure.procurement.formulation import FormulationOptions, build, min_run_left_out
from procure.procurement.plan import decode
from procure.procurement.solve import ProcurementModel, solve
from procure.run.model import Start, satisfies

HIGHS = get_backend("highs")
EXACT = SolveOptions(mip_gap=1e-9, threads=1)


def row_count(f, name: str) -> int:  # type: ignore[no-untyped-def]
    return sum(b.size for b in f.model.row_blocks if b.name == name)


def free_alliance(members: int, seed: int):  # type: ignore[no-untyped-def]
    """A generated alliance without budgets or workshare rules (national constraints)."""
    return generate_alliance(members, 3, 2, 3, seed=seed, budgets=False,
                             national_constraints=False)


def test_models_with_budgets_or_workshare_build_every_row() -> None:
    """Rows (4) are checked on the plan only where no member has a budget or a workshare
    rule (section 11.7): an alliance with them builds every row, one without does not."""
    with_rules = compile_scenario(generate_alliance(6, 3, 2, 3, seed=4))
    assert not min_run.applies(with_rules)
    assert ProcurementModel().build(with_rules).options.min_run_rows is None
    assert min_run.applies(compile_scenario(free_alliance(6, 4)))


def test_only_default_runs_are_left_out() -> None:
    """Launches of programs that set a minimum production run keep their rows (4);
    those at the default L_p are left out, unless named in ``min_run_rows``."""
    s = free_alliance(6, 4)
    c = compile_scenario(s)
    given_run = c.prog_min_run_given[c.launch_program]
    assert (given_run > 0).any() and (given_run <= 0).any(), "the test needs both kinds"
    left = min_run_left_out(c, FormulationOptions(min_run_rows=()))
    np.testing.assert_array_equal(left, np.flatnonzero((c.prog_min_run[c.launch_program] > 0)
                                                       & (given_run <= 0)))
    assert min_run_left_out(c, FormulationOptions()).size == 0
    full = build(c)
    lazy = build(c, FormulationOptions(min_run_rows=()))
    named = build(c, FormulationOptions(min_run_rows=(int(left[0]),)))
    assert row_count(lazy, "(4) min run") == row_count(full, "(4) min run") - left.size
    assert row_count(named, "(4) min run") == row_count(lazy, "(4) min run") + 1
    assert min_run.applies(c)
    model = ProcurementModel()
    assert model.build(c).options.min_run_rows == ()
    assert ProcurementModel(check_min_run=False).build(c).options.min_run_rows is None


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(warehouses=st.integers(2, 7), customers=st.integers(3, 20), seed=st.integers(0, 9999),
       tight=st.sampled_from([1.05, 1.3, 3.0]))
def test_checked_on_the_plan_has_the_full_models_optimum(
        warehouses: int, customers: int, seed: int, tight: float) -> None:
    """On random facility-location models the product's plan (rows (4) checked on the
    plan) has the optimum of the model with every row, and passes the evaluator."""
    s = random_cflp(warehouses, customers, seed, tight)
    lazy = solve_checked(s, options=EXACT)
    full = solve(s, options=EXACT, check_min_run=False)
    assert full.evaluation is not None and full.evaluation.feasible
    assert lazy.status == full.status == Status.OPTIMAL
    assert lazy.objective is not None and full.objective is not None
    assert lazy.objective == pytest.approx(full.objective, rel=OBJ_RTOL)
    assert lazy.model_size[1] < full.model_size[1]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 9999), members=st.integers(3, 8))
def test_alliances_keep_their_optimum(seed: int, members: int) -> None:
    """Generated alliances without budgets or workshare rules (participation, capacity,
    minimum runs): the same optimum either way."""
    s = free_alliance(members, seed)
    lazy = solve_checked(s, options=EXACT)
    full = solve(s, options=EXACT, check_min_run=False)
    assert full.evaluation is not None and full.evaluation.feasible
    assert lazy.objective is not None and full.objective is not None
    assert lazy.objective == pytest.approx(full.objective, rel=OBJ_RTOL, abs=1e-6)


def test_a_plan_below_the_run_is_solved_again_with_its_row() -> None:
    """W3 must open but costs 100 times more: without its row (4) the first plan opens
    it and buys nothing, which cannot be closed (it is forced), so the pipeline solves
    again with its row, and the plan buys exactly L_p from it: the full model's optimum."""
    s = forced_idle_cflp()
    res = solve_checked(s, options=EXACT, force_launch=("W3",))
    assert any("solved again with the rows (4) of 1 launch" in n for n in res.notes), res.notes
    full = solve(s, options=EXACT, formulation=FormulationOptions(force_launch=("W3",)),
                 check_min_run=False)
    assert full.evaluation is not None and full.evaluation.feasible
    assert res.status == Status.OPTIMAL
    assert res.objective == pytest.approx(full.objective, rel=OBJ_RTOL)
    c = compile_scenario(s)
    run = float(c.prog_min_run[c.program_ids.index("W3")])
    assert run == pytest.approx(1e-3 * 5.0)
    assert res.plan is not None
    bought = sum(p.quantity for p in res.plan.purchases if p.launch.program == "W3")
    assert bought == pytest.approx(run, rel=1e-6)


def optimum_of(f):  # type: ignore[no-untyped-def]
    out = HIGHS.solve(f.model, EXACT)
    assert out.status == Status.OPTIMAL and out.x is not None
    return out.x


def test_an_open_launch_that_buys_nothing_is_closed() -> None:
    """The optimum with an unused launch opened breaks its row (4) by buying nothing:
    ``complete`` closes it again, and the plan is the optimum."""
    s = random_cflp(5, 12, 3, 3.0)
    f = build(compile_scenario(s), FormulationOptions(min_run_rows=()))
    x = optimum_of(f)
    idle = np.flatnonzero(f.launch.values(x) < 0.5)
    assert idle.size, "the test needs a closed launch"
    opened = x.copy()
    opened[f.launch.start + idle[0]] = 1.0
    assert min_run.shortfall_of_run(f, opened)[idle[0]] > 0
    done = min_run.complete(f, opened)
    assert done.formulation is None and done.x is not None
    np.testing.assert_array_equal(done.x, x)
    assert "closed" in done.message
    ev = evaluate(s, decode(f, done.x))  # the repaired plan, by the evaluator
    assert ev.feasible and ev.objective == pytest.approx(
        float(f.model.col_cost @ x + f.model.offset), rel=OBJ_RTOL)
    assert min_run.complete(f, x).x is x  # a plan that meets every row is kept as it is


def test_a_launch_below_its_run_gets_its_row() -> None:
    """A plan that buys from an open launch less than L_p (but something) cannot be
    repaired: the formulation comes back with that launch's row, or every row when it
    is the last attempt; a formulation with every row takes the plan as it is."""
    s = forced_idle_cflp()
    f = build(compile_scenario(s), FormulationOptions(min_run_rows=(), force_launch=("W3",)))
    x = optimum_of(f)
    w3 = f.compiled.program_ids.index("W3")
    launch = int(np.flatnonzero(f.compiled.launch_program == w3)[0])
    assert f.launch.values(x)[launch] > 0.5  # forced open, buying nothing
    done = min_run.complete(f, x)  # closing it breaks its bound z >= 1
    assert done.x is None and done.formulation is not None
    assert done.formulation.options.min_run_rows == (launch,)
    last = min_run.complete(f, x, final=True)
    assert last.formulation is not None and last.formulation.options.min_run_rows is None
    assert min_run.complete(last.formulation, x).x is x
    # buying something, but less than L_p, from the launch
    cell = int(np.flatnonzero(f.compiled.pair_launch[f.compiled.cell_pair] == launch)[0])
    some = x.copy()
    some[f.buy.start + cell] = 0.5 * float(f.compiled.prog_min_run[w3])
    assert min_run.complete(f, some).formulation is not None


def test_a_start_plan_that_breaks_a_row_is_not_kept() -> None:
    """A start heuristic's plan breaking a row (4) may cost less than the optimum: it
    loses its plan (so it bounds no shortfall) and keeps its bound; a repairable one is
    repaired."""
    s = forced_idle_cflp()
    f = build(compile_scenario(s), FormulationOptions(min_run_rows=(), force_launch=("W3",)))
    x = optimum_of(f)
    objective = float(f.model.col_cost @ x + f.model.offset)
    start = ProcurementModel().full_start(f, Start(x, objective, objective - 1.0, 0.1, "test"))
    assert start.x is None and start.objective is None
    assert start.bound == objective - 1.0 and "not kept" in start.message
    g = build(compile_scenario(s), FormulationOptions(min_run_rows=()))
    y = optimum_of(g)
    idle = np.flatnonzero(g.launch.values(y) < 0.5)
    opened = y.copy()
    opened[g.launch.start + idle] = 1.0
    cost = float(g.model.col_cost @ opened + g.model.offset)
    repaired = ProcurementModel().full_start(g, Start(opened, cost, None, 0.1, "test"))
    assert repaired.x is not None and satisfies(g.model, repaired.x)
    assert evaluate(s, decode(g, repaired.x)).feasible
    assert repaired.objective == pytest.approx(cost - float(g.model.col_cost[
        g.launch.start + idle].sum()))

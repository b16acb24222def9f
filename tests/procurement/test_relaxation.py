"""The relaxation start of section 11.5: relaxed shares (7b') bound the tiered model's
optimum from below, the tier window's plan is a plan of the full model (the evaluator
accepts it), and a run whose start meets its bound is optimal without a main solve."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATASETS, OBJ_RTOL, solve_checked
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procure.backends import SolveOptions, get_backend
from procure.generate import generate_alliance
from procure.io import load_scenario
from procure.procurement.compile import compile_scenario
from procure.procurement.evaluate import evaluate
from procure.procurement.formulation import Formulation, FormulationOptions, build
from procure.procurement.plan import decode
from procure.procurement.relaxation import (
    applies,
    interval_window,
    launch_units,
    partial_start,
    plan_columns,
    relaxation_start,
    tier_of,
    window_bounds,
)
from procure.run.model import Start
from procure.run.pipeline import proven_by_start
from procure.schema import Scenario

OPTS = SolveOptions(mip_gap=1e-9, time_limit=60)


def tiered(scenario: Scenario):  # type: ignore[no-untyped-def]
    return build(compile_scenario(scenario, "joint"), FormulationOptions())


def check_start(scenario: Scenario, f: Formulation, found: Start, optimum: float) -> None:
    """bound <= the tiered optimum <= the start's objective, and the start's plan passes
    the evaluator at that objective."""
    assert found.bound is not None
    tol = OBJ_RTOL * max(1.0, abs(optimum))
    assert found.bound <= optimum + tol
    if found.x is None:
        return
    assert found.objective is not None and found.objective >= optimum - tol
    evaluation = evaluate(scenario, decode(f, found.x))
    assert evaluation.feasible, [str(v) for v in evaluation.violations]
    assert abs(evaluation.objective - found.objective) <= tol


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=st.integers(3, 6), seed=st.integers(0, 10_000), years=st.integers(2, 5))
def test_relaxed_bound_never_above_the_optimum_and_the_window_plan_is_a_plan(
        members: int, seed: int, years: int) -> None:
    """For budget-bound alliances with proportional shares: bound <= tiered optimum <=
    the window plan's objective, and the window plan passes the evaluator."""
    scenario = generate_alliance(members, 2, 2, years, seed=seed)
    f = tiered(scenario)
    reference = solve_checked(scenario, options=OPTS, warm_start=False)
    assert reference.status == "optimal" and reference.objective is not None
    if not applies(f):
        return
    found = relaxation_start(f, get_backend("highs"), threads=1, seed=0, gap=1e-9)
    check_start(scenario, f, found, reference.objective)


def test_the_sample_alliance_is_proven_optimal_by_its_start() -> None:
    """The sample alliance: the tier window reaches the relaxed bound, so the run is
    optimal with no main solve, and the optimum is the one the full tiered solve proves
    (benchmarks/RESULTS.md, 158 385.5)."""
    scenario = load_scenario(DATASETS / "sample_alliance.yaml")
    record = solve_checked(scenario, options=SolveOptions(mip_gap=1e-6))
    assert record.status == "optimal" and record.stopped_by == "gap"
    assert "without a main solve" in record.message
    # the relaxation's own plan, completed by the solver, is the plan at the bound
    assert "fixed tiers" in record.message and "a plan at the bound" in record.message
    assert record.timings["solve"] < 0.01
    assert record.objective == pytest.approx(158385.5, rel=1e-6)
    assert record.bound == pytest.approx(158385.5, rel=1e-6)


def test_the_reference_path_is_kept() -> None:
    """``relaxation=False`` is today's path: a main solve, the same optimum."""
    from procure.procurement.solve import solve

    scenario = generate_alliance(5, 2, 2, 3, seed=7)
    new = solve_checked(scenario, options=OPTS)
    old = solve(scenario, options=OPTS, relaxation=False, warm_start=False)
    assert old.status == new.status == "optimal"
    assert old.evaluation is not None and old.evaluation.feasible
    assert old.objective is not None and new.objective is not None
    assert new.objective == pytest.approx(old.objective, rel=1e-6)
    assert "relaxed shares" not in old.message


def test_the_partial_start_gives_the_plan_and_the_tiers_and_leaves_shares_open() -> None:
    """The relaxed solution's launches, purchases, shortfall and joins, column for
    column in the tiered model, and each launch's tier: the tier of its units where it is
    open, none where it is closed; NaN everywhere else."""
    f = tiered(generate_alliance(6, 2, 2, 3, seed=5))
    assert applies(f)
    relaxed = build(f.compiled, FormulationOptions(proportional_shares="relaxed"))
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, relaxed.model.num_cols).astype(np.float64)
    x[relaxed.launch.index] = rng.integers(0, 2, relaxed.launch.size)
    start = partial_start(f, relaxed, x)
    assert start is not None and start.shape == (f.model.num_cols,)
    for block in ("launch", "buy", "shortfall"):
        mine, theirs = getattr(f, block).index, getattr(relaxed, block).index
        assert np.array_equal(start[mine], x[theirs])
    given = plan_columns(f)
    joins = f.join_column[f.join_column >= 0]
    assert np.array_equal(start[joins], x[relaxed.join_column[relaxed.join_column >= 0]])
    units = launch_units(relaxed, x)
    for t in f.tiers:
        y = start[t.block.index]
        if x[relaxed.launch.index[t.launch]] > 0.5:
            assert y.sum() == 1.0 and y[tier_of(t.breaks, units[t.launch])] == 1.0
        else:
            assert not y.any()
    tiers = np.concatenate([t.block.index for t in f.tiers])
    rest = np.setdiff1d(np.arange(f.model.num_cols), np.concatenate([given, tiers]))
    assert rest.size and np.isnan(start[rest]).all()


def test_window_bounds_keep_the_tiers_near_the_units_and_forced_launches_open() -> None:
    scenario = generate_alliance(8, 2, 2, 4, seed=3)
    f = tiered(scenario)
    assert f.tiers, "the scenario needs tiered proportional shares"
    units = np.zeros(f.launch.size)
    t = f.tiers[0]
    units[t.launch] = float(t.breaks[len(t.breaks) // 2])
    open_launch = np.zeros(f.launch.size, dtype=bool)
    open_launch[t.launch] = True
    upper = window_bounds(f, open_launch, units, window=0.1)
    kept = t.breaks[upper[t.block.index] > 0]
    x = units[t.launch]
    assert kept.size >= 1 and np.all(kept <= x * 1.1 + 1e-9)
    assert np.all(kept >= x / 1.1 - 1 - 1e-9)
    closed = np.flatnonzero(~open_launch)
    assert np.all(upper[f.launch.start + closed] == 0.0)
    # a launch forced open (13a) is never closed by the window
    forced = build(f.compiled, FormulationOptions(
        force_launch=(f.compiled.program_ids[int(f.compiled.launch_program[closed[0]])],)))
    upper = window_bounds(forced, open_launch, units)
    assert upper[forced.launch.start + closed[0]] == 1.0


@given(frac=st.floats(0.0, 1.0), below=st.booleans())
@settings(max_examples=30, deadline=None)
def test_window_zero_keeps_the_one_tier_of_the_units(frac: float, below: bool) -> None:
    """``window=0`` (the fixed tiers of section 11.5): each open tiered launch keeps
    exactly one tier, the highest floor Q_j <= X_l (Q_0 when X_l lies below it)."""
    f = tiered(generate_alliance(8, 2, 2, 4, seed=3))
    open_launch = np.ones(f.launch.size, dtype=bool)
    units = np.zeros(f.launch.size)
    for t in f.tiers:
        top = float(t.breaks[-1]) * 1.05
        units[t.launch] = float(t.breaks[0]) * frac if below else frac * top
    upper = window_bounds(f, open_launch, units, window=0.0)
    for t in f.tiers:
        kept = np.flatnonzero(upper[t.block.index] > 0)
        assert kept.size == 1
        x = units[t.launch]
        floors = np.flatnonzero(t.breaks <= x + 1e-9)
        assert kept[0] == (floors[-1] if floors.size else 0)


def test_launch_units_sum_the_purchases_of_each_launch() -> None:
    f = tiered(generate_alliance(4, 2, 2, 3, seed=1))
    x = np.zeros(f.model.num_cols)
    x[f.buy.index] = np.arange(f.buy.size, dtype=float)
    c = f.compiled
    expected = [sum(i for i in range(f.buy.size) if c.pair_launch[c.cell_pair[i]] == launch)
                for launch in range(c.num_launches)]
    assert launch_units(f, x).tolist() == expected


@pytest.mark.parametrize(("objective", "bound", "gap", "proven"), [
    (100.0, 100.0, 0.0, True),
    (100.0, 99.99995, 1e-6, True),
    (100.0, 99.99, 1e-6, False),
    (100.0, None, 1e-6, False),
    (100.0, 100.5, 1e-6, False),  # a bound above the plan is a contradiction, not a proof
])
def test_a_start_proves_its_plan_only_within_the_gap(
        objective: float, bound: float | None, gap: float, proven: bool) -> None:
    start = Start(np.zeros(1), objective, bound, 0.0)
    assert start.proves(gap) is proven
    assert (proven_by_start(start, get_backend("highs"), gap) is not None) is proven
    assert proven_by_start(Start(None, None, bound, 0.0), get_backend("highs"), gap) is None


def test_interval_windows_fix_or_cap_the_anchors_purchases() -> None:
    """Completion fixes the anchor's whole-unit plan columns; reduction caps every
    purchase at the anchor's; both keep the tier window; "intervals" only the window."""
    scenario = generate_alliance(8, 3, 2, 4, seed=0)  # with a divisible capability
    f = tiered(scenario)
    relaxed = build(f.compiled, FormulationOptions(proportional_shares="relaxed"))
    g = build(f.compiled, FormulationOptions(proportional_shares="intervals"))
    r = get_backend("highs").solve(relaxed.model, OPTS)
    assert r.x is not None
    opened = relaxed.launch.values(r.x) > 0.5
    window = window_bounds(g, opened, launch_units(relaxed, r.x), 0.1)
    plain = interval_window(g, "intervals", relaxed, r.x, 0.1)
    assert np.array_equal(plain.col_upper, window)
    assert np.array_equal(plain.col_lower, g.model.col_lower)
    done = interval_window(g, "completion", relaxed, r.x, 0.1)
    mine, theirs = plan_columns(g), plan_columns(relaxed)
    whole = g.model.integrality[mine]
    assert whole.any() and not whole.all()  # z, u and whole units; divisible buys free
    assert np.array_equal(done.col_lower[mine[whole]], np.round(r.x[theirs[whole]]))
    assert np.array_equal(done.col_upper[mine[whole]], np.round(r.x[theirs[whole]]))
    free = mine[~whole]
    assert np.array_equal(done.col_upper[free], window[free])
    cut = interval_window(g, "reduction", relaxed, r.x, 0.1)
    buy = relaxed.buy.values(r.x)
    cap = np.where(g.model.integrality[g.buy.index], np.round(buy), buy)
    assert np.all(cut.col_upper[g.buy.index] <= cap)
    assert np.array_equal(cut.col_upper[g.buy.index], np.minimum(window[g.buy.index], cap))
    assert np.array_equal(cut.col_lower, g.model.col_lower)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=st.integers(4, 7), seed=st.integers(0, 10_000))
def test_the_interval_steps_lead_to_a_plan_of_the_full_model(members: int, seed: int) -> None:
    """With only the interval steps and a final fixed-tiers window, the start is still a
    plan the evaluator accepts, between the bound and the tiered optimum."""
    scenario = generate_alliance(members, 3, 2, 3, seed=seed)
    f = tiered(scenario)
    if not applies(f):
        return
    reference = solve_checked(scenario, options=OPTS, warm_start=False)
    assert reference.objective is not None
    steps = (("completion", 0.1, 0.3), ("reduction", 0.1, 0.3), ("intervals", 0.1, 0.5),
             ("tiered", 0.0, 1.0))
    found = relaxation_start(f, get_backend("highs"), time_limit=60, gap=1e-9, steps=steps)
    assert "interval completion" in found.message and "interval window" in found.message
    check_start(scenario, f, found, reference.objective)

"""The interval relaxation (7b'') of proportional shares (models/procurement.md 7.4): it
lies between the relaxation (7b') and the tiered model (7b), and it is exact where every
tier is exact."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import OBJ_RTOL
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from procure.backends import SolveOptions, get_backend
from procure.generate import generate_alliance
from procure.procurement.compile import Compiled, compile_scenario
from procure.procurement.evaluate import evaluate
from procure.procurement.formulation import Formulation, FormulationOptions, build
from procure.procurement.plan import decode
from procure.run.model import satisfies
from procure.schema import Scenario

OPTS = SolveOptions(mip_gap=1e-9, time_limit=60)


def optimum(f: Formulation) -> tuple[float, np.ndarray]:
    out = get_backend("highs").solve(f.model, OPTS)
    assert out.status == "optimal" and out.objective is not None and out.x is not None
    return out.objective, out.x


def exact(scenario: Scenario, f: Formulation, x: np.ndarray, objective: float) -> None:
    """The independent evaluator accepts the plan of ``x`` at ``objective``."""
    evaluation = evaluate(scenario, decode(f, x))
    assert evaluation.feasible, [str(v) for v in evaluation.violations]
    assert evaluation.objective == pytest.approx(objective, rel=OBJ_RTOL, abs=OBJ_RTOL)


def three(c: Compiled) -> tuple[Formulation, Formulation, Formulation]:
    return tuple(build(c, FormulationOptions(proportional_shares=rule))  # type: ignore
                 for rule in ("relaxed", "intervals", "tiered"))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=st.integers(3, 6), seed=st.integers(0, 10_000), years=st.integers(2, 4))
def test_intervals_lie_between_the_relaxation_and_the_tiers(
        members: int, seed: int, years: int) -> None:
    """opt(7b') <= opt(7b'') <= opt(7b), and a plan of (7b'') satisfies (7b'), whose rows
    it implies (section 7.4)."""
    scenario = generate_alliance(members, 2, 2, years, seed=seed)
    c = compile_scenario(scenario, "joint")
    relaxed, intervals, tiered = three(c)
    assume(bool(tiered.tiers))
    low, _ = optimum(relaxed)
    mid, x = optimum(intervals)
    high, plan = optimum(tiered)
    tol = OBJ_RTOL * max(1.0, abs(high))
    assert low <= mid + tol and mid <= high + tol
    exact(scenario, tiered, plan, high)
    # the plan of (7b''), with its shares, is a point of (7b'): the share columns are
    # the same blocks in both models, so the plan columns and sigma carry over
    y = np.zeros(relaxed.model.num_cols)
    for block in relaxed.model.var_blocks:
        if block.name in {b.name for b in intervals.model.var_blocks}:
            y[block.start:block.start + block.size] = x[
                intervals.model.block(block.name).index]
    assert satisfies(relaxed.model, y, tol=1e-6)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=st.integers(3, 6), seed=st.integers(0, 10_000), years=st.integers(2, 4))
def test_intervals_are_exact_where_every_tier_is(members: int, seed: int, years: int) -> None:
    """Whole units within the exact tiers: (7b'') is the exact rule, so its optimum is
    the tiered model's, and its plan passes the evaluator at that objective."""
    scenario = generate_alliance(members, 3, 2, years, seed=seed)
    assume(not any(cap.divisible for cap in scenario.capabilities))
    c = compile_scenario(scenario, "joint")
    _, intervals, tiered = three(c)
    assume(bool(tiered.tiers))
    assert all(t.breaks[-1] - t.breaks[0] <= 64 + 1e-9 for t in tiered.tiers)
    mid, x = optimum(intervals)
    high, plan = optimum(tiered)
    assert mid == pytest.approx(high, rel=OBJ_RTOL, abs=OBJ_RTOL)
    exact(scenario, intervals, x, mid)
    exact(scenario, tiered, plan, high)


def test_intervals_rows_per_launch() -> None:
    """One tier binary per tier and one share column per pair and tier; the tier rows of
    (7b'') are per tier and per pair, not per pair and tier as in (7b.3)."""
    c = compile_scenario(generate_alliance(6, 2, 2, 3, seed=5), "joint")
    intervals = build(c, FormulationOptions(proportional_shares="intervals"))
    tiered = build(c, FormulationOptions())
    assert [t.breaks.tolist() for t in intervals.tiers] == [
        t.breaks.tolist() for t in tiered.tiers]
    for t in intervals.tiers:
        n = int((c.pair_launch == t.launch).sum())
        nj = t.breaks.size
        assert intervals.model.block(f"tier share[{t.launch}]").size == n * nj
        sizes = {b.name: b.size for b in intervals.model.row_blocks}
        assert sizes[f"(7b''.1) one tier[{t.launch}]"] == 1
        assert sizes[f"(7b''.2) tier shares sum[{t.launch}]"] == nj
        assert sizes[f"(7b''.3) share by tier[{t.launch}]"] == n
        assert sizes[f"(7b''.4) units in tier floor[{t.launch}]"] == n
        assert sizes[f"(7b''.4) units in tier top[{t.launch}]"] == n

"""The alliance's cost game on the procurement model (``procure/sharing/alliance.py``):
c(S) from the full alliance's arrays equals a separate solve of S's own scenario, the
grand coalition's value is the joint plan's cost, and coalitions solved on the sweep
engine equal those solved here. Every coalition's plan passed the evaluator."""

from __future__ import annotations

import itertools
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from procure.backends.base import SolveOptions
from procure.generate import generate_alliance
from procure.procurement.coalition import restrict_scenario
from procure.procurement.compile import Compiled, compile_scenario
from procure.procurement.formulation import FormulationOptions
from procure.procurement.solve import ProcurementModel
from procure.run.pipeline import run
from procure.sharing.alliance import AllianceGame, coalition_models, unmet_unit_values
from procure.sweep.engine import LocalPool
from procure.sweep.store import SweepStore

OPTIONS = SolveOptions(time_limit=60.0, threads=1, mip_gap=1e-9)


def assert_same(a: Compiled, b: Compiled) -> None:
    for f in fields(Compiled):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert (x.dtype, x.shape) == (y.dtype, y.shape), f.name
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), f.name
        else:
            assert x == y, (f.name, x, y)


@pytest.fixture(scope="module", params=[(4, 1), (6, 2), (8, 3)], ids=lambda p: f"m{p[0]}")
def game(request: pytest.FixtureRequest) -> AllianceGame:
    members, seed = request.param
    return AllianceGame(generate_alliance(members, 3, 2, 5, seed=seed), options=OPTIONS)


def test_coalition_models_from_arrays_equal_the_recompiled_scenario(
        game: AllianceGame) -> None:
    s = game.scenario
    for k in (1, 2, len(game.players) - 1):
        for members in itertools.islice(itertools.combinations(game.players, k), 4):
            sub, comp = coalition_models(s, members)
            assert_same(comp, compile_scenario(restrict_scenario(s, members), "joint"))
            assert [m.id for m in sub.members] == list(members)


def test_c_of_s_equals_a_separate_solve_of_s_alone(game: AllianceGame) -> None:
    """Each single member, each pair and each coalition leaving one out: c(S) equals
    the optimum of S's own levelled scenario, compiled from scratch, with the same unit
    values for what it cannot deliver."""
    values = unmet_unit_values(game.scenario)
    n = len(game.players)
    masks = [1 << i for i in range(n)] + [(1 << n) - 1 - (1 << i) for i in range(n)]
    masks += [3, 5, 6]
    for mask in masks:
        c = game.cost_of(mask)
        assert c.exact and c.plans_checked and c.cost is not None
        members = set(game.members_of(mask))
        sub = restrict_scenario(game.scenario, members)
        free = tuple(q for r, q in zip(game.scenario.requirements, game.grand_short,
                                       strict=True) if r.member in members)
        comp = compile_scenario(sub, "joint")
        prices = tuple(values[comp.capability_ids[int(i)]] for i in comp.req_capability)
        rec = run(ProcurementModel(formulation=FormulationOptions(
            shortfall_prices=prices, shortfall_free=free)), sub, options=OPTIONS)
        assert rec.evaluation is not None and rec.evaluation.feasible
        assert str(rec.status) == "optimal" and rec.objective is not None
        assert c.cost == pytest.approx(rec.objective, rel=1e-6, abs=1e-6)
        # the same value from the evaluator's side: cost + priced units beyond the free
        ev = rec.evaluation
        beyond = np.maximum(ev.shortfalls.shortfall.to_numpy() - np.asarray(free), 0.0)
        priced = sum(b * values[str(cap)] for b, cap in zip(beyond, ev.shortfalls.capability,
                                                            strict=True))
        assert c.cost == pytest.approx(ev.total_cost + priced, rel=1e-6, abs=1e-6)


def test_the_grand_coalition_costs_at_most_the_joint_plan(game: AllianceGame) -> None:
    """c(N) is the joint plan's cost, or less where buying a unit elsewhere (at its
    unit value) is cheaper than delivering it (a launch for a fraction of a unit, a
    minimum run): the joint plan, short of nothing beyond its own shortfall, is one of
    N's plans."""
    grand = run(ProcurementModel(), game.scenario, options=OPTIONS)
    assert grand.evaluation is not None and grand.evaluation.feasible
    full = game.cost_of((1 << len(game.players)) - 1)
    assert full.exact and full.cost is not None and full.unmet_value is not None
    assert full.cost <= grand.evaluation.total_cost * (1 + 1e-9) + 1e-6
    if full.unmet_value == 0:
        assert full.cost == pytest.approx(grand.evaluation.total_cost, rel=1e-6)


def test_the_sweep_engine_gives_the_same_values_and_reuses_its_store(
        game: AllianceGame, tmp_path: Path) -> None:
    fresh = AllianceGame(game.scenario, options=OPTIONS)
    masks = list(range(1, 1 << min(len(game.players), 4)))
    store = SweepStore.open(tmp_path / "g", name="game", resume=True, force=False)
    pool = LocalPool(2)
    try:
        got = fresh.evaluate(masks, pool=pool, store=store)
    finally:
        pool.close()
    for m in masks:
        here = game.cost_of(m)
        assert got[m].plans_checked and got[m].exact
        assert got[m].cost == pytest.approx(here.cost, rel=1e-9, abs=1e-9)
    again = AllianceGame(game.scenario, options=OPTIONS)
    pool = LocalPool(1)
    try:
        stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "g" / "results").iterdir()}
        again.evaluate(masks, pool=pool, store=store)
    finally:
        pool.close()
    assert {p.name: p.stat().st_mtime_ns
            for p in (tmp_path / "g" / "results").iterdir()} == stamps


def test_allocation_rules_on_the_alliance_game(game: AllianceGame) -> None:
    """The rules on the implicit game equal those on the explicit game of its 2^n - 1
    values; sampled Shapley lies within 3 standard errors of the exact one."""
    from procure.sharing import ExplicitGame
    from procure.sharing.rules import least_core, nucleolus, shapley, shapley_sampled

    n = len(game.players)
    masks = np.arange(1 << n, dtype=np.int64)
    explicit = ExplicitGame(game.players, "cost", game.values_of(masks))
    assert all(game.cost_of(int(m)).exact and game.cost_of(int(m)).plans_checked
               for m in masks[1:])
    exact = shapley(game)
    assert exact == pytest.approx(shapley(explicit), abs=1e-6)
    assert exact.sum() == pytest.approx(game.value(int(masks[-1])), rel=1e-9)
    nu = nucleolus(game)
    assert nu.allocation == pytest.approx(nucleolus(explicit).allocation, abs=1e-6)
    lc = least_core(game)
    assert lc.epsilon == pytest.approx(least_core(explicit).epsilon, abs=1e-6)
    est = shapley_sampled(game, samples=60, seed=1)
    assert np.all(np.abs(est.value - exact) <= 3 * est.std_error + 1e-9)

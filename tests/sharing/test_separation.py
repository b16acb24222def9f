"""The separation MILP (27) of the alliance's cost game (``procure/sharing/separation.py``,
``models/sharing.md`` 11.3): it is a relaxation of c(S) (never above it, and equal on
these alliances), its most violated coalition is the enumerated one, and the nucleolus
and least core by constraint generation over it equal those on the explicit table.
Every coalition it proposes is solved exactly and its plan passed the evaluator."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import alliances as alliances_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procure.backends.base import SolveOptions
from procure.generate import generate_alliance
from procure.schema import Scenario
from procure.sharing import ExplicitGame
from procure.sharing.alliance import AllianceGame
from procure.sharing.game import subset_sums
from procure.sharing.rules import core_check, least_core, nucleolus
from procure.sharing.separation import SeparationModel

OPTIONS = SolveOptions(time_limit=60.0, threads=1, mip_gap=1e-9)
CASES = [(5, 1, "proportional"), (6, 5, "key"), (6, 2, "equal")]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"m{c[0]}-{c[2]}")
def pair(request: pytest.FixtureRequest) -> tuple[AllianceGame, ExplicitGame]:
    """A generated alliance's game (separation by the MILP) and its explicit table."""
    members, seed, rule = request.param
    s = generate_alliance(members, 3, 2, 5, seed=seed, cost_share_rule=rule)
    game = AllianceGame(s, options=OPTIONS, oracle="milp")
    n = len(game.players)
    explicit = ExplicitGame(game.players, "cost",
                            game.values_of(np.arange(1 << n, dtype=np.int64)))
    assert all(c.exact and c.plans_checked for c in game.solved().values())
    return game, explicit


def test_the_milp_never_values_a_coalition_above_its_own_plan(
        pair: tuple[AllianceGame, ExplicitGame]) -> None:
    """c'(S) <= c(S) for every proper coalition (the relaxation the stopping rule
    needs); on these alliances the two are equal."""
    game, explicit = pair
    sep = SeparationModel(game.scenario, game.grand_short, game.values, options=OPTIONS)
    n = len(game.players)
    for mask in range(1, (1 << n) - 1):
        relaxed = sep.relaxed_cost(mask)
        exact = explicit.value(mask)
        assert relaxed is not None
        assert relaxed <= exact + 1e-6 * max(1.0, abs(exact)), game.members_of(mask)
        assert relaxed == pytest.approx(exact, rel=1e-6, abs=1e-6)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_most_violated_coalition_is_the_enumerated_one(
        pair: tuple[AllianceGame, ExplicitGame], data: st.DataObject) -> None:
    """At any efficient allocation, the separation's answer has the enumerated largest
    excess (to 1e-6), with or without a member required in it."""
    game, explicit = pair
    n = len(game.players)
    full = (1 << n) - 1
    w = np.array(data.draw(st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n)))
    x = w / w.sum() * explicit.value(full)
    found = game.most_violated(x)
    assert found is not None
    masks = np.arange(1, full, dtype=np.int64)
    excess = subset_sums(x)[masks] - explicit.values[masks]
    assert found[1] == pytest.approx(excess.max(), abs=1e-6)
    i = data.draw(st.integers(0, n - 1))
    within = (masks >> i & 1) == 1
    block = game.most_blocking(x, i)
    assert block is not None and block[0] >> i & 1
    assert block[1] == pytest.approx(excess[within].max(), abs=1e-6)
    assert game.separation_gaps == []


def test_nucleolus_and_least_core_by_constraint_generation(
        pair: tuple[AllianceGame, ExplicitGame]) -> None:
    """The MILP oracle gives the nucleolus and least core of the enumerated table, and
    the core check names the same blocking excess."""
    game, explicit = pair
    fresh = AllianceGame(game.scenario, options=OPTIONS, oracle="milp")
    nu = nucleolus(fresh)
    assert nu.allocation == pytest.approx(nucleolus(explicit).allocation, abs=1e-6)
    lc = least_core(fresh)
    assert lc.epsilon == pytest.approx(least_core(explicit).epsilon, abs=1e-6)
    assert fresh.separation_solves > 0 and fresh.separation_gaps == []
    assert all(c.plans_checked for c in fresh.solved().values())
    x = np.full(len(game.players), explicit.value((1 << len(game.players)) - 1)
                / len(game.players))
    assert core_check(fresh, x).excess == pytest.approx(core_check(explicit, x).excess,
                                                        abs=1e-6)


def test_the_enumerating_oracle_refuses_beyond_its_limit() -> None:
    s = generate_alliance(13, 1, 1, 2, seed=3)
    game = AllianceGame(s, options=OPTIONS, oracle="enumerate")
    with pytest.raises(ValueError, match="enumerated up to 12"):
        game.most_violated(np.zeros(13))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(s=alliances_of(5), data=st.data())
def test_the_milp_is_a_relaxation_on_any_alliance(s: Scenario, data: st.DataObject) -> None:
    """Property: on generated alliances (any rule, budgets, national constraints,
    capacities), c'(S) of (27) is never above c(S) solved on S's own model, for a
    random proper coalition S: the stopping rule's bound is valid."""
    n = len(s.members)
    game = AllianceGame(s, options=OPTIONS)
    mask = data.draw(st.integers(1, (1 << n) - 2))
    exact = game.cost_of(mask)
    assert exact.exact and exact.cost is not None and exact.plans_checked
    sep = SeparationModel(s, game.grand_short, game.values, options=OPTIONS)
    relaxed = sep.relaxed_cost(mask)
    assert relaxed is not None
    assert relaxed <= exact.cost + 1e-6 * max(1.0, abs(exact.cost))

"""Synthetic alliance generator: determinism, validity at every size, and its guarantees."""

from __future__ import annotations

import itertools

import pytest

from procure.generate import generate_alliance
from procure.schema import Scenario

GRID = [
    # members, capabilities, programs per capability, years
    (2, 1, 1, 1),
    (2, 3, 2, 10),
    (3, 4, 3, 5),
    (5, 2, 4, 10),
    (20, 6, 3, 10),
    (50, 8, 2, 15),
    (200, 10, 3, 10),
]


def _check_invariants(s: Scenario) -> None:
    """What every generated scenario promises, whatever its size or flags."""
    for p in s.programs:
        eligible = s.eligible_members(p)
        assert 1 <= p.min_participants <= len(eligible), p.id
        assert p.lead in eligible, p.id
        assert p.nrc_total == 0 or p.first_delivery_year is not None
    for m in s.members:
        for cap in m.constraints.sovereign:
            qualifying = [
                p for p in s.programs
                if p.capability == cap and m.id in s.eligible_members(p)
                and (p.lead == m.id or m.id in p.work_fractions())
            ]
            assert qualifying, f"{m.id} is sovereign on {cap} without a program it makes"
    # every requirement can be reached through some program the member may join
    for r in s.requirements:
        assert any(
            p.capability == r.capability and r.member in s.eligible_members(p)
            for p in s.programs
        ), (r.member, r.capability)


def test_same_seed_same_scenario() -> None:
    a = generate_alliance(30, 5, 3, seed=7)
    b = generate_alliance(30, 5, 3, seed=7)
    assert a == b
    assert a.model_dump() == b.model_dump()


def test_different_seed_different_scenario() -> None:
    assert generate_alliance(30, 5, 3, seed=1) != generate_alliance(30, 5, 3, seed=2)


def test_switching_budgets_or_constraints_off_leaves_the_rest_unchanged() -> None:
    full = generate_alliance(40, 5, 3, seed=3)
    bare = generate_alliance(40, 5, 3, seed=3, budgets=False, national_constraints=False)
    assert full.programs == bare.programs
    assert full.requirements == bare.requirements
    assert all(m.budgets is None for m in bare.members)
    assert all(m.budgets is not None for m in full.members)
    assert all(m.constraints == type(m.constraints)() for m in bare.members)


@pytest.mark.parametrize(("members", "capabilities", "ppc", "years"), GRID)
@pytest.mark.parametrize("seed", [0, 1])
def test_grid_validates(members: int, capabilities: int, ppc: int, years: int,
                        seed: int) -> None:
    s = generate_alliance(members, capabilities, ppc, years, seed)
    # constructed through the validating models; a JSON round trip validates again
    again = Scenario.model_validate(s.model_dump(mode="json"))
    assert again == s
    assert len(s.members) == members
    assert len(s.capabilities) == capabilities
    assert len(s.programs) == capabilities * ppc
    assert s.horizon.years == list(range(2026, 2026 + years))
    assert {r.member for r in s.requirements} == {m.id for m in s.members}
    _check_invariants(s)


@pytest.mark.parametrize(
    ("budgets", "national_constraints", "rule", "generous"),
    list(itertools.product([True, False], [True, False], ["proportional", "key", "equal"],
                           [True, False])),
)
def test_flags_validate(budgets: bool, national_constraints: bool, rule: str,
                        generous: bool) -> None:
    s = generate_alliance(25, 4, 3, 8, seed=11, budgets=budgets,
                          national_constraints=national_constraints, cost_share_rule=rule,
                          generous_capacity=generous)
    assert s.cost_share.rule == rule
    assert all((m.budgets is not None) == budgets for m in s.members)
    if budgets:
        assert all(set(m.budgets or {}) == set(s.horizon.years) for m in s.members)
    _check_invariants(s)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("members", [2, 10, 200])
def test_generous_capacity_covers_all_eligible_requirements(seed: int, members: int) -> None:
    s = generate_alliance(members, 5, 3, seed=seed, generous_capacity=True)
    for p in s.programs:
        eligible = set(s.eligible_members(p))
        demand = sum(r.quantity for r in s.requirements
                     if r.capability == p.capability and r.member in eligible)
        assert p.capacity_per_year is not None
        assert p.capacity_per_year >= demand - 1e-9, p.id


@pytest.mark.parametrize("seed", range(10))
def test_sovereign_capabilities_have_a_qualifying_program(seed: int) -> None:
    s = generate_alliance(60, 6, 3, seed=seed)
    assert any(m.constraints.sovereign for m in s.members)
    _check_invariants(s)


def test_constraints_are_drawn() -> None:
    s = generate_alliance(200, 6, 3, seed=0)
    assert any(m.constraints.max_single_foreign_share is not None for m in s.members)
    assert any(m.constraints.workshare is not None for m in s.members)
    assert any(p.excluded for p in s.programs)
    assert any(p.producers for p in s.programs)
    for p in s.programs:
        if p.producers is not None:
            assert abs(sum(p.producers.values()) - 1.0) <= 1e-6
            assert all(v > 0 for v in p.producers.values())


def test_thousand_members() -> None:
    s = generate_alliance(1000, 4, 2, seed=0)
    assert len(s.members) == 1000
    _check_invariants(s)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"members": 0, "capabilities": 1, "programs_per_capability": 1},
        {"members": 2, "capabilities": 0, "programs_per_capability": 1},
        {"members": 2, "capabilities": 1, "programs_per_capability": 0},
        {"members": 2, "capabilities": 1, "programs_per_capability": 1, "years": 0},
        {"members": 2, "capabilities": 1, "programs_per_capability": 1,
         "cost_share_rule": "shapley"},
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        generate_alliance(**kwargs)  # type: ignore[arg-type]

"""Each family of the procurement evaluator fires on a hand-made plan.

One small feasible plan, then one edit (of the plan or the scenario) per family of
checks; the edited plan must break that family, named as in models/procurement.md
(section 10). No solver is involved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from procure.procurement import evaluate
from procure.procurement.plan import Launch, Plan, Purchase
from procure.schema import Scenario

# -- procurement -----------------------------------------------------------------------
# A and B need 4 tanks each by 2027; program J (lead A, work split A/B, NRC 10, unit cost 1,
# capacity 5 a year, minimum run 2, two participants). C may buy nothing from J.

J = Launch("J")


def alliance() -> dict[str, Any]:
    return {
        "name": "families", "horizon": {"first_year": 2026, "last_year": 2027},
        "members": [{"id": "A", "gdp": 1}, {"id": "B", "gdp": 2}, {"id": "C", "gdp": 3}],
        "capabilities": [{"id": "tank"}],
        "programs": [{"id": "J", "capability": "tank", "lead": "A",
                      "producers": {"A": 0.5, "B": 0.5}, "nrc": {2026: 10}, "unit_cost": 1,
                      "capacity_per_year": 5, "min_production_run": 2, "min_participants": 2,
                      "excluded": ["C"]},
                     {"id": "K", "capability": "tank", "lead": "B", "unit_cost": 2}],
        "requirements": [{"member": m, "capability": "tank", "quantity": 4, "by_year": 2027}
                         for m in ("A", "B")],
    }


def buys(*rows: tuple[str, int, float], launch: Launch = J) -> list[Purchase]:
    return [Purchase(launch, m, y, q) for m, y, q in rows]


BASE_BUYS = buys(("A", 2026, 2), ("A", 2027, 2), ("B", 2026, 2), ("B", 2027, 2))


def joint(purchases: list[Purchase], launches: tuple[Launch, ...] = (J,)) -> Plan:
    return Plan("joint", launches, tuple(purchases))


def member(d: dict[str, Any], mid: str, **fields: Any) -> dict[str, Any]:
    next(m for m in d["members"] if m["id"] == mid).update(fields)
    return d


def program(d: dict[str, Any], **fields: Any) -> dict[str, Any]:
    d["programs"][0].update(fields)
    return d


def same(d: dict[str, Any]) -> dict[str, Any]:
    return d


def made_by_a(d: dict[str, Any]) -> dict[str, Any]:
    """J's work all in A: B, buying from it, gets none back."""
    return program(d, producers={"A": 1.0})


def b_constraints(**constraints: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda d: member(made_by_a(d), "B", constraints=constraints)


Edit = Callable[[dict[str, Any]], dict[str, Any]]

# family -> (where it must fire, scenario edit, plan, evaluate() keywords)
PROCUREMENT: dict[str, tuple[str, Edit, Plan, dict[str, Any]]] = {
    "launch": ("J@A", same, joint(BASE_BUYS, (J, Launch("J", owner="A"))), {}),
    "purchase": ("J/A/2026", same, joint([*BASE_BUYS, *buys(("A", 2026, -1))]), {}),
    "(2a) linking": ("K/A/2026", same,
                     joint([*BASE_BUYS, *buys(("A", 2026, 1), launch=Launch("K"))]), {}),
    "integrality": ("J/A/2026", same, joint([*BASE_BUYS[1:], *buys(("A", 2026, 1.5))]), {}),
    "eligibility": ("J/C/2026", same, joint([*BASE_BUYS, *buys(("C", 2026, 1))]), {}),
    "delivery year": ("J/A/2026", lambda d: program(d, first_delivery_year=2027),
                      joint(BASE_BUYS), {}),
    "sovereignty": ("J/B/2026", b_constraints(sovereign=["tank"]), joint(BASE_BUYS), {}),
    "(1) requirement": ("A/tank/2027", same, joint(BASE_BUYS[1:]), {"strict": True}),
    "(2b) need": ("A/tank", lambda d: program(d, capacity_per_year=None),
                  joint([*BASE_BUYS, *buys(("A", 2027, 1))]), {}),
    "(3a) capacity": ("J/2026", same,
                      joint(buys(("A", 2026, 4), ("B", 2026, 3), ("B", 2027, 1))), {}),
    "(3b) shared capacity": ("J/2026", lambda d: program(d, min_participants=1), Plan(
        "alone", (Launch("J", "A"), Launch("J", "B")),
        (*buys(("A", 2026, 4), launch=Launch("J", "A")),
         *buys(("B", 2026, 4), launch=Launch("J", "B")))), {}),
    "(4) min run": ("J", lambda d: program(d, min_production_run=10), joint(BASE_BUYS), {}),
    "(5) min participants": ("J", same, joint(buys(("A", 2026, 2), ("A", 2027, 2))), {}),
    "(7) cost share": ("J", same, joint([]), {}),
    "(8) budget": ("A/2026", lambda d: member(d, "A", budgets={2026: 1, 2027: 100}),
                   joint(BASE_BUYS), {}),
    "(9) dependence": ("B/tank/A", b_constraints(max_single_foreign_share=0.5),
                       joint(BASE_BUYS), {}),
    "(10) juste retour": ("B/J", b_constraints(workshare={"mode": "per_program",
                                                          "min_ratio": 1.0}),
                          joint(BASE_BUYS), {}),
    "(11) global balance": ("B", b_constraints(workshare={"mode": "global", "min_ratio": 1.0}),
                            joint(BASE_BUYS), {}),
}


def test_procurement_base_plan_is_feasible() -> None:
    ev = evaluate(Scenario.model_validate(alliance()), joint(BASE_BUYS), strict=True)
    assert ev.violations == ()
    assert ev.nrc_cost == 10 and ev.unit_cost == 8
    assert ev.shares == {("J", "A"): 0.5, ("J", "B"): 0.5}
    assert ev.member_cost == {"A": 9.0, "B": 9.0, "C": 0.0}
    assert ev.shortfall_units == 0


@pytest.mark.parametrize("family", list(PROCUREMENT))
def test_procurement_family_fires(family: str) -> None:
    where, edit, plan, kw = PROCUREMENT[family]
    ev = evaluate(Scenario.model_validate(edit(alliance())), plan, **kw)
    assert (family, where) in {(v.constraint, v.where) for v in ev.violations}, [
        str(v) for v in ev.violations]


def test_cost_share_without_split() -> None:
    """(7) also fires when the rule's caps leave no split (caps summing below 1)."""
    d = alliance()
    d["cost_share"] = {"rule": "key", "caps": {"A": 0.3, "B": 0.3}}
    ev = evaluate(Scenario.model_validate(d), joint(BASE_BUYS))
    assert [(v.constraint, v.where, v.amount) for v in ev.violations] == [
        ("(7) cost share", "J", 10.0)]
    assert "caps/floors" in ev.violations[0].message


def test_procurement_violation_order_follows_the_model() -> None:
    """Families report in the model's order; (3a), (4), (5) launch by launch."""
    d = program(alliance(), min_production_run=10)
    d["programs"][1].update(min_participants=2, capacity_per_year=1)
    plan = joint([*buys(("A", 2026, 2)), *buys(("A", 2026, 2), launch=Launch("K"))],
                 (J, Launch("K")))
    ev = evaluate(Scenario.model_validate(d), plan)
    assert [(v.constraint, v.where) for v in ev.violations] == [
        ("(4) min run", "J"), ("(5) min participants", "J"),
        ("(3a) capacity", "K/2026"), ("(5) min participants", "K")]


def test_every_family_is_covered() -> None:
    assert set(PROCUREMENT) == {
        "launch", "purchase", "(2a) linking", "integrality", "eligibility", "delivery year",
        "sovereignty", "(1) requirement", "(2b) need", "(3a) capacity", "(3b) shared capacity",
        "(4) min run", "(5) min participants", "(7) cost share", "(8) budget",
        "(9) dependence", "(10) juste retour", "(11) global balance"}

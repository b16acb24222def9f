"""Each family of both independent evaluators fires on a hand-made plan.

One small feasible plan per evaluator, then one edit (of the plan or the scenario) per
family of checks; the edited plan must break that family, named as in models/*.md
(procurement.md section 10, logistics.md section 9). No solver is involved.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from procure.logistics import evaluate_movements
from procure.logistics.plan import Delivery, Draw, Move, MovementPlan, Sortie
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


# -- logistics -------------------------------------------------------------------------
# Movement m: 2 units (10 t each) of A's stock at depot D to airbase B2 by day 5: road
# D -> B1 (link 0, 1 day), then air B1 -> B2 (link 1, 1 day) on two sorties of c17 (10 t).


def network() -> dict[str, Any]:
    locs = [("D", "depot"), ("B1", "airbase"), ("B2", "airbase")]
    return {
        "name": "families", "horizon": {"first_year": 2026, "last_year": 2026},
        "members": [{"id": "A", "gdp": 1}, {"id": "B", "gdp": 1}],
        "logistics": {
            "horizon_days": 10,
            "locations": [{"id": v, "host": "A", "lat": 50.0, "lon": float(i), "kind": k}
                          for i, (v, k) in enumerate(locs)],
            "basing_rights": [{"member": m, "location": v} for m in ("A", "B") for v, _ in locs],
            "items": [{"id": "x", "unit_tons": 10}],
            "stocks": [{"owner": "A", "location": "D", "item": "x", "quantity": 5}],
            "links": [{"origin": "D", "destination": "B1", "mode": "road", "transit_days": 1,
                       "cost_per_ton": 1},
                      {"origin": "B1", "destination": "B2", "mode": "air", "transit_days": 1,
                       "cost_per_ton": 2, "bidirectional": False}],
            "lift": [{"id": "c17", "mode": "air", "payload_tons": 10, "available": 2}],
            "movements": [{"id": "m", "member": "A", "item": "x", "quantity": 2,
                           "destination": "B2", "rld": 0, "ald": 0, "ead": 0, "lad": 5,
                           "rdd": 9}],
        },
    }


ROAD = Move("m", 0, "D", "B1", 0, 2)
AIR = Move("m", 1, "B1", "B2", 1, 2)
LIFT = Sortie("c17", "A", 1, "B1", "B2", 1, 2)
BASE = MovementPlan(moves=(ROAD, AIR), sorties=(LIFT,), draws=(Draw("m", 0, 0, 2),),
                    deliveries=(Delivery("m", 2, 2),))
# the same, waiting a night at B1: air on day 2, delivery on day 3
WAIT = dataclasses.replace(
    BASE, moves=(ROAD, dataclasses.replace(AIR, depart_day=2)),
    sorties=(dataclasses.replace(LIFT, depart_day=2),), deliveries=(Delivery("m", 3, 2),))


def lg(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = d["logistics"]
    return out


def location(d: dict[str, Any], loc: str, **fields: Any) -> dict[str, Any]:
    next(x for x in lg(d)["locations"] if x["id"] == loc).update(fields)
    return d


def right(d: dict[str, Any], loc: str, **fields: Any) -> dict[str, Any]:
    next(b for b in lg(d)["basing_rights"] if (b["member"], b["location"]) == ("A", loc)
         ).update(fields)
    return d


def fleet(d: dict[str, Any], **fields: Any) -> dict[str, Any]:
    lg(d)["lift"][0].update(fields)
    return d


def stock(d: dict[str, Any], **fields: Any) -> dict[str, Any]:
    lg(d)["stocks"][0].update(fields)
    return d


def road(d: dict[str, Any], **fields: Any) -> dict[str, Any]:
    lg(d)["links"][0].update(fields)
    return d


def plan(base: MovementPlan = BASE, **parts: Any) -> MovementPlan:
    return dataclasses.replace(base, **parts)


def times(n: int) -> MovementPlan:
    """The base plan carrying n units instead of 2."""
    return plan(moves=(dataclasses.replace(ROAD, quantity=n), dataclasses.replace(AIR, quantity=n)),
                sorties=(dataclasses.replace(LIFT, count=n),), draws=(Draw("m", 0, 0, n),),
                deliveries=(Delivery("m", 2, n),))


# family -> (where it must fire, scenario edit, plan)
LOGISTICS: dict[str, tuple[str, Edit, MovementPlan]] = {
    "move": ("m/7", same, plan(moves=(ROAD, AIR, Move("m", 7, "D", "B1", 0, 1)))),
    "draw": ("m/3", same, plan(draws=(Draw("m", 0, 0, 2), Draw("m", 3, 0, 1)))),
    "delivery": ("ghost", same, plan(deliveries=(Delivery("m", 2, 2), Delivery("ghost", 2, 1)))),
    "window": ("m/day 10", same, plan(deliveries=(Delivery("m", 2, 1), Delivery("m", 10, 1)))),
    "basing right": ("m/D->B1/day 0", lambda d: right(d, "B1", transit=False), BASE),
    "cross-servicing": ("m/stock 0/day 0", lambda d: stock(d, owner="B"), BASE),
    "(1) conservation": ("m/B1", same, plan(moves=(ROAD,), deliveries=())),
    "storage right": ("m/B1/day 1", lambda d: right(d, "B1", storage=False), WAIT),
    "(2) demand": ("m", lambda d: fleet(stock(d, quantity=9), available=3), times(3)),
    "(3) stock": ("stock 0", lambda d: stock(d, quantity=1), BASE),
    "(4) link capacity": ("D->B1/day 0", lambda d: road(d, capacity_tons_per_day=5), BASE),
    "(5) throughput": ("B1/day 1", lambda d: location(d, "B1", throughput_tons_per_day=30),
                       BASE),
    "(5b) throughput share": ("A/B1/day 1", lambda d: right(
        location(d, "B1", throughput_tons_per_day=100), "B1", max_share=0.3), BASE),
    "(6) storage": ("B1/day 1", lambda d: location(d, "B1", storage_tons=5), WAIT),
    "(6b) storage share": ("A/B1/day 1", lambda d: right(
        location(d, "B1", storage_tons=100), "B1", max_share=0.1), WAIT),
    "sortie": ("c17/B/B1->B2/day 1", lambda d: fleet(d, owner="A"),
               plan(sorties=(LIFT, dataclasses.replace(LIFT, member="B", count=0)))),
    "integrality": ("c17/A/B1->B2/day 1", same,
                    plan(sorties=(LIFT, dataclasses.replace(LIFT, count=-1)))),
    "(7) lift payload": ("A/B1->B2/day 1", same,
                         plan(sorties=(dataclasses.replace(LIFT, count=1),))),
    "(8) fleet": ("c17/day 2", lambda d: fleet(d, available=1), BASE),
    "(9) entitlement": ("c17/A", lambda d: fleet(d, entitlements={"A": 1, "B": 5}), BASE),
    "(10) MOG": ("B2/day 2", lambda d: location(d, "B2", mog=1, turns_per_day=1), BASE),
}


def test_logistics_base_plan_is_feasible() -> None:
    ev = evaluate_movements(Scenario.model_validate(network()), BASE)
    assert ev.violations == ()
    assert ev.transport_cost == 20 * 1 + 20 * 2 and ev.draw_cost == 0 and ev.lift_cost == 0
    assert ev.closure.status.tolist() == ["on time"]
    util = ev.utilisation
    assert list(dict.fromkeys(util.kind)) == ["throughput", "fleet"]
    assert util[util.kind == "fleet"][["day", "used"]].values.tolist() == [[1, 2], [2, 2]]


@pytest.mark.parametrize("family", list(LOGISTICS))
def test_logistics_family_fires(family: str) -> None:
    where, edit, mplan = LOGISTICS[family]
    ev = evaluate_movements(Scenario.model_validate(edit(network())), mplan)
    assert (family, where) in {(v.constraint, v.where) for v in ev.violations}, [
        str(v) for v in ev.violations]


def test_entitlement_without_a_share() -> None:
    """(9) also fires per sortie when the member has no share of a pooled fleet."""
    ev = evaluate_movements(Scenario.model_validate(fleet(network(), entitlements={"B": 5})),
                            BASE)
    assert [(v.constraint, v.where) for v in ev.violations] == [
        ("(9) entitlement", "c17/A/B1->B2/day 1"), ("(9) entitlement", "c17/A")]


def test_utilisation_rows_per_family() -> None:
    """(4), (5), (6), (8), (10) report utilisation rows, in that order."""
    d = location(location(network(), "B1", storage_tons=100, mog=2), "B2", mog=2)
    road(d, capacity_tons_per_day=50)
    ev = evaluate_movements(Scenario.model_validate(d), WAIT)
    assert ev.violations == ()
    kinds = list(dict.fromkeys(ev.utilisation.kind))
    assert kinds == ["link", "throughput", "storage", "fleet", "MOG landings", "MOG departures"]


def test_every_family_is_covered() -> None:
    assert set(PROCUREMENT) == {
        "launch", "purchase", "(2a) linking", "integrality", "eligibility", "delivery year",
        "sovereignty", "(1) requirement", "(2b) need", "(3a) capacity", "(3b) shared capacity",
        "(4) min run", "(5) min participants", "(7) cost share", "(8) budget",
        "(9) dependence", "(10) juste retour", "(11) global balance"}
    assert set(LOGISTICS) == {
        "move", "draw", "delivery", "window", "basing right", "cross-servicing",
        "(1) conservation", "storage right", "(2) demand", "(3) stock", "(4) link capacity",
        "(5) throughput", "(5b) throughput share", "(6) storage", "(6b) storage share",
        "sortie", "integrality", "(7) lift payload", "(8) fleet", "(9) entitlement",
        "(10) MOG"}

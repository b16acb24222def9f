"""Each family of the movement evaluator fires on a hand-made plan.

One small feasible plan, then one edit (of the plan or the scenario) per family of
checks; the edited plan must break that family, named as in models/logistics.md
(section 9). No solver is involved.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from procure.logistics import evaluate
from procure.logistics.plan import Delivery, Draw, Move, MovementPlan, Sortie
from procure.schema import Scenario

Edit = Callable[[dict[str, Any]], dict[str, Any]]


def same(d: dict[str, Any]) -> dict[str, Any]:
    return d


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
    ev = evaluate(Scenario.model_validate(network()), BASE)
    assert ev.violations == ()
    assert ev.transport_cost == 20 * 1 + 20 * 2 and ev.draw_cost == 0 and ev.lift_cost == 0
    assert ev.closure.status.tolist() == ["on time"]
    util = ev.utilisation
    assert list(dict.fromkeys(util.kind)) == ["throughput", "fleet"]
    assert util[util.kind == "fleet"][["day", "used"]].values.tolist() == [[1, 2], [2, 2]]


@pytest.mark.parametrize("family", list(LOGISTICS))
def test_logistics_family_fires(family: str) -> None:
    where, edit, mplan = LOGISTICS[family]
    ev = evaluate(Scenario.model_validate(edit(network())), mplan)
    assert (family, where) in {(v.constraint, v.where) for v in ev.violations}, [
        str(v) for v in ev.violations]


def test_entitlement_without_a_share() -> None:
    """(9) also fires per sortie when the member has no share of a pooled fleet."""
    ev = evaluate(Scenario.model_validate(fleet(network(), entitlements={"B": 5})),
                            BASE)
    assert [(v.constraint, v.where) for v in ev.violations] == [
        ("(9) entitlement", "c17/A/B1->B2/day 1"), ("(9) entitlement", "c17/A")]


def test_utilisation_rows_per_family() -> None:
    """(4), (5), (6), (8), (10) report utilisation rows, in that order."""
    d = location(location(network(), "B1", storage_tons=100, mog=2), "B2", mog=2)
    road(d, capacity_tons_per_day=50)
    ev = evaluate(Scenario.model_validate(d), WAIT)
    assert ev.violations == ()
    kinds = list(dict.fromkeys(ev.utilisation.kind))
    assert kinds == ["link", "throughput", "storage", "fleet", "MOG landings", "MOG departures"]


def test_every_family_is_covered() -> None:
    assert set(LOGISTICS) == {
        "move", "draw", "delivery", "window", "basing right", "cross-servicing",
        "(1) conservation", "storage right", "(2) demand", "(3) stock", "(4) link capacity",
        "(5) throughput", "(5b) throughput share", "(6) storage", "(6b) storage share",
        "sortie", "integrality", "(7) lift payload", "(8) fleet", "(9) entitlement",
        "(10) MOG"}

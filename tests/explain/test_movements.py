"""Why a movement is short (models/explain.md section 6), on small movement scenarios
built so that one known rule, or a known pair, holds the cargo back. Every test solve
goes through the run pipeline and is replayed by the evaluator."""

from __future__ import annotations

from typing import Any

import pytest

from procure.backends import SolveOptions, get_backend
from procure.explain.movements import (
    MOVEMENT_SHORTFALL_REASONS,
    reasons_table,
    why_movement_short,
    why_movements_short,
)
from procure.logistics import solve as solve_movements
from procure.schema import Scenario

LOCS = [("D", "depot"), ("P", "seaport"), ("T", "theatre")]


def scenario(*, rights: list[tuple[str, str, bool, bool]] | None = None,
             stock: float = 5, quantity: float = 3, rdd: int = 9,
             link_days: int = 1, fleet: int | None = None) -> Scenario:
    """A moves ``quantity`` 10 t units of x from its depot D through the port P to the
    theatre T by day ``rdd`` (road, ``link_days`` per leg); it holds ``stock`` at D.
    ``rights``: (member, location, transit, storage); default: all, everywhere."""
    rights = rights if rights is not None else [("A", v, True, True) for v, _ in LOCS]
    leg = {"mode": "road", "transit_days": link_days, "cost_per_ton": 1}
    lg: dict[str, Any] = {
        "horizon_days": 12,
        "locations": [{"id": v, "host": "A", "lat": 50.0, "lon": float(i), "kind": k}
                      for i, (v, k) in enumerate(LOCS)],
        "basing_rights": [{"member": m, "location": v, "transit": t, "storage": s}
                          for m, v, t, s in rights],
        "items": [{"id": "x", "unit_tons": 10}],
        "stocks": [{"owner": "A", "location": "D", "item": "x", "quantity": stock}],
        "links": [{"origin": "D", "destination": "P", **leg},
                  {"origin": "P", "destination": "T", **leg}],
        "movements": [{"id": "m1", "member": "A", "item": "x", "quantity": quantity,
                       "destination": "T", "rld": 0, "ald": 0, "ead": 0,
                       "lad": min(rdd, 9), "rdd": rdd}],
    }
    if fleet is not None:
        lg["lift"] = [{"id": "trucks", "mode": "road", "payload_tons": 10,
                       "available": fleet, "sorties_per_day": 1}]
    return Scenario.model_validate({
        "name": "short", "horizon": {"first_year": 2026, "last_year": 2026},
        "members": [{"id": "A", "gdp": 1}], "logistics": lg})


def explain(s: Scenario) -> Any:
    rec = solve_movements(s, solver="highs", options=SolveOptions(mip_gap=1e-9))
    assert rec.evaluation is not None and rec.evaluation.feasible
    closure = rec.evaluation.closure
    short = closure[closure["short"] > 1e-6]
    assert len(short) == 1
    return why_movement_short(s, "m1", float(short["short"].iloc[0]), get_backend("highs"),
                              SolveOptions(mip_gap=1e-9))


def test_no_right_at_the_own_depot_is_named() -> None:
    """A has rights at P and T but none at its own depot D: nothing leaves D, all 3 units
    are short; the one rule to relax is A's right at D."""
    r = explain(scenario(rights=[("A", "P", True, True), ("A", "T", True, True)]))
    assert r.short == pytest.approx(3)
    assert [(c.kind, c.location) for c in r.rules] == [("rights", "D")]
    assert r.rules[0].text == "A has no transit or storage right at D"
    assert r.irreducible


def test_a_transit_right_missing_on_the_way_is_named() -> None:
    r = explain(scenario(rights=[("A", "D", True, True), ("A", "P", False, True),
                                 ("A", "T", True, True)]))
    assert [(c.kind, c.location) for c in r.rules] == [("rights", "P")]
    assert r.rules[0].text == "A has no transit right at P"


def test_stock_too_small() -> None:
    """A holds 2 of the 3 units: its stock is the rule."""
    r = explain(scenario(stock=2))
    assert r.short == pytest.approx(1)
    assert [c.kind for c in r.rules] == ["stock"]
    assert r.rules[0].text == "A's stock of x (2 at D)"


def test_deadline_before_the_trip_ends() -> None:
    """Two 3-day legs take 6 days; RDD day 4 leaves every unit short; only the deadline
    (RDD on the horizon's last day, 11) lets them arrive."""
    r = explain(scenario(rdd=4, link_days=3))
    assert [c.kind for c in r.rules] == ["deadline"]
    assert r.rules[0].source == "logistics.movements[m1].rdd"


def test_a_pair_of_rules_together() -> None:
    """Two 3-day legs and RDD day 4: nothing arrives in time; A also holds only 2 of the
    3 units. A later RDD alone leaves 1 short, more stock alone leaves all 3 short: the
    two rules together, each needed."""
    r = explain(scenario(rdd=4, link_days=3, stock=2))
    assert r.short == pytest.approx(3)
    assert sorted(c.kind for c in r.rules) == ["deadline", "stock"]
    assert r.irreducible


def test_too_little_lift() -> None:
    """One truck, one sortie a day, 12 days: 12 sorties carry 6 units over two legs, and
    8 must go (RDD is the horizon's last day, so no deadline to relax): the fleet."""
    r = explain(scenario(fleet=1, rdd=11, quantity=8, stock=10))
    assert r.short > 0
    assert [c.kind for c in r.rules] == ["lift"]
    assert r.rules[0].text == "lift fleets (trucks 1 vehicles) and entitlements"


def test_nothing_explains_a_missing_stock() -> None:
    """A holds no x at all (stock 0 at D is still a stock: raising it helps); with no
    stock entry anywhere nothing in the candidates can help."""
    s = scenario()
    data = s.model_dump(mode="json", exclude_none=True)
    data["logistics"]["stocks"] = []
    s = Scenario.model_validate(data)
    r = why_movement_short(s, "m1", 3.0, get_backend("highs"), SolveOptions())
    assert r.rules == () and not r.irreducible
    assert "still short with every candidate rule relaxed" in r.note
    table = reasons_table([r])
    assert list(table.columns) == MOVEMENT_SHORTFALL_REASONS.names
    assert table["rule"].tolist() == [""]


def test_the_shortest_movements_first() -> None:
    s = scenario(rights=[("A", "P", True, True), ("A", "T", True, True)])
    rec = solve_movements(s, solver="highs")
    assert rec.evaluation is not None
    found = why_movements_short(s, rec.evaluation.closure, get_backend("highs"))
    table = reasons_table(found)
    assert table[["movement", "kind", "location"]].values.tolist() == [["m1", "rights", "D"]]
    assert table.attrs["units"]["short"] == "units of the item"

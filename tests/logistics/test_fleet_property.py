"""Property test: the movement model never cuts a plan the evaluator accepts.

Random lift fleets with sorties_per_day rho in (0, 1] on links of 0 to 4 days. For
each instance two plans are built here, independently of the formulation:

- a lower bound: networkx's min-cost flow on the time-expanded graph without lift
  (lift only restricts and adds cost, so no plan of the model is cheaper);
- an upper bound: a greedy schedule that sends each movement straight from its
  stock on direct links, one sortie at a time, only when a vehicle of the fleet is
  free for the sortie's whole busy window (2 x transit days, or 1 / rho of a
  vehicle-day on a same-day hop). The evaluator must accept it.

The model's proven optimum must lie between the two. A column bound that cuts
feasible plans (such as floor(N rho) on a multi-day link, which closed a one-ship
fleet at rho 0.5) shows up as an optimum above the greedy plan's cost.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procure.logistics import MovementPlan, evaluate
from procure.logistics import solve as solve_movements
from procure.logistics.plan import Delivery, Draw, Move, Sortie
from procure.schema import Scenario

LATE = 50  # per ton and day late (integer data keep network simplex exact)
SHORT = 5_000  # per ton short: above any lateness of a ton on these horizons


@st.composite
def fleet_instances(draw: st.DrawFn) -> dict[str, Any]:
    """One member, one item, a depot O and destinations D1..Dk, each linked directly
    to O (0-4 transit days) with a few links between destinations; 1-2 sea fleets."""
    h = draw(st.integers(3, 9))
    k = draw(st.integers(1, 3))
    dests = [f"D{i}" for i in range(1, k + 1)]
    w = draw(st.sampled_from([1, 2, 5]))
    links = [{"origin": "O", "destination": d, "mode": "sea",
              "transit_days": draw(st.integers(0, min(4, h - 1))),
              "cost_per_ton": draw(st.integers(1, 9)),
              "bidirectional": draw(st.booleans())} for d in dests]
    for a, b in itertools.pairwise(dests):
        if draw(st.booleans()):
            links.append({"origin": a, "destination": b, "mode": "sea",
                          "transit_days": draw(st.integers(0, 2)),
                          "cost_per_ton": draw(st.integers(1, 9))})
    lift = [{"id": f"F{j}", "mode": "sea", "owner": "A",
             "payload_tons": draw(st.sampled_from([5, 10, 20])),
             "available": draw(st.integers(1, 3)),
             "sorties_per_day": draw(st.floats(0.05, 1.0)),
             "cost_per_sortie": draw(st.integers(0, 3))}
            for j in range(draw(st.integers(1, 2)))]
    moves = []
    for i in range(draw(st.integers(1, 4))):
        ald = draw(st.integers(0, h - 1))
        ead = draw(st.integers(ald, h - 1))
        lad = draw(st.integers(ead, h - 1))
        rdd = draw(st.integers(lad, h - 1))
        moves.append({"id": f"m{i}", "member": "A", "item": "x",
                      "quantity": draw(st.integers(1, 10)), "destination": draw(
                          st.sampled_from(dests)),
                      "rld": ald, "ald": ald, "ead": ead, "lad": lad, "rdd": rdd})
    locs = ["O", *dests]
    return {
        "name": "fleet-property", "horizon": {"first_year": 2026, "last_year": 2026},
        "members": [{"id": "A", "gdp": 1}],
        "logistics": {
            "horizon_days": h, "late_penalty_per_ton_day": LATE,
            "shortfall_penalty_per_ton": SHORT,
            "locations": [{"id": v, "host": "A", "lat": 55.0, "lon": 10.0 + i,
                           "kind": "seaport"} for i, v in enumerate(locs)],
            "basing_rights": [{"member": "A", "location": v} for v in locs],
            "items": [{"id": "x", "unit_tons": w}],
            "stocks": [{"owner": "A", "location": "O", "item": "x",
                        "quantity": draw(st.integers(1, 40))}],
            "links": links, "lift": lift, "movements": moves,
        },
    }


@dataclass
class _Fleet:
    id: str
    payload: float
    available: int
    rho: float
    busy: dict[int, float]


def greedy_plan(d: dict[str, Any]) -> MovementPlan:
    """Each movement in LAD order, sortie by sortie on the direct link from O: the
    earliest departure whose arrival is on time (else the least late), on the first fleet
    with a vehicle free for every busy day. What does not fit stays short."""
    lg = d["logistics"]
    h = lg["horizon_days"]
    w = lg["items"][0]["unit_tons"]
    fleets = [_Fleet(f["id"], f["payload_tons"], f["available"], f["sorties_per_day"],
                     defaultdict(float)) for f in lg["lift"]]
    stock_left = float(lg["stocks"][0]["quantity"])
    moves: list[Move] = []
    sorties: list[Sortie] = []
    draws: list[Draw] = []
    deliveries: list[Delivery] = []
    for mv in sorted(lg["movements"], key=lambda m: m["lad"]):
        li = next(i for i, ln in enumerate(lg["links"])
                  if ln["origin"] == "O" and ln["destination"] == mv["destination"])
        tau = lg["links"][li]["transit_days"]
        days = range(max(1, 2 * tau))
        departs = sorted((t for t in range(mv["ald"], h) if mv["ead"] <= t + tau <= mv["rdd"]),
                         key=lambda t: (max(0, t + tau - mv["lad"]), t))
        left = min(float(mv["quantity"]), stock_left)
        for t in departs:
            for f in fleets:
                share = 1.0 if tau else 1.0 / f.rho  # vehicle-days on each busy day
                window = [t + b for b in days if t + b < h]
                while left > 1e-9 and all(f.busy[u] + share <= f.available + 1e-9
                                          for u in window):
                    q = min(left, f.payload / w)
                    for u in window:
                        f.busy[u] += share
                    sorties.append(Sortie(f.id, "A", li, "O", mv["destination"], t, 1))
                    moves.append(Move(mv["id"], li, "O", mv["destination"], t, q))
                    draws.append(Draw(mv["id"], 0, t, q))
                    deliveries.append(Delivery(mv["id"], t + tau, q))
                    left -= q
                    stock_left -= q
    return MovementPlan(tuple(moves), tuple(sorties), tuple(draws), tuple(deliveries))


def min_cost_flow_bound(d: dict[str, Any]) -> float:
    """A lower bound on the model: its optimum without lift, as one commodity with a sink
    per movement (movements share one item, one stock and one member, so merging them
    relaxes nothing else), drawn from day 0 (ALD ignored: a further relaxation)."""
    lg = d["logistics"]
    h = lg["horizon_days"]
    w = lg["items"][0]["unit_tons"]
    g = nx.DiGraph()
    total = sum(m["quantity"] for m in lg["movements"])
    g.add_node("S", demand=-total)
    g.add_node("T", demand=total)

    def arc(u: Any, v: Any, cap: float | None, cost: int) -> None:
        mid = ("arc", g.number_of_edges())  # parallel arcs through a fresh midpoint
        g.add_edge(u, mid, weight=cost, **({} if cap is None else {"capacity": cap}))
        g.add_edge(mid, v, weight=0)

    for ln in lg["links"]:
        ends = [(ln["origin"], ln["destination"])]
        if ln.get("bidirectional", True):
            ends.append((ln["destination"], ln["origin"]))
        for a, b in ends:
            for t in range(h - ln["transit_days"]):
                arc((a, t), (b, t + ln["transit_days"]), None, ln["cost_per_ton"] * w)
    for loc in lg["locations"]:
        for t in range(h - 1):
            arc((loc["id"], t), (loc["id"], t + 1), None, 0)
    for t in range(h):
        arc(("stock", t), ("O", t), None, 0)
    arc("S", ("stock", 0), lg["stocks"][0]["quantity"], 0)
    for t in range(h - 1):
        arc(("stock", t), ("stock", t + 1), None, 0)
    for m in lg["movements"]:
        sink = ("demand", m["id"])
        arc(sink, "T", m["quantity"], 0)
        arc("S", "T", m["quantity"], SHORT * w)  # this movement's shortfall
        for t in range(m["ead"], m["rdd"] + 1):
            arc((m["destination"], t), sink, None, LATE * w * max(0, t - m["lad"]))
    cost: int = nx.min_cost_flow_cost(g)
    return float(cost)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet_instances())
def test_model_optimum_lies_between_min_cost_flow_and_any_accepted_plan(
        d: dict[str, Any]) -> None:
    s = Scenario.model_validate(d)
    greedy = evaluate(s, greedy_plan(d))
    assert greedy.feasible, [str(v) for v in greedy.violations]
    res = solve_movements(s, solver="highs")
    assert str(res.status) == "optimal", res.message
    assert res.evaluation is not None and res.evaluation.feasible, [
        str(v) for v in res.evaluation.violations]
    assert res.objective is not None
    assert math.isclose(res.objective, res.evaluation.objective, rel_tol=1e-6, abs_tol=1e-6)
    tol = 1e-6 * max(1.0, abs(greedy.objective))
    assert res.objective <= greedy.objective + tol, (
        f"model optimum {res.objective} above an accepted plan's {greedy.objective}")
    assert res.objective >= min_cost_flow_bound(d) - tol

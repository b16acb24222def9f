"""Differential test: the movement model against networkx's min-cost flow.

200 random single-member, single-item instances with no lift assets (so no integer
lift) and one common window: the movement model's optimum must equal the optimum of
a min-cost flow on a time-expanded graph built here independently (nodes (v, t),
link arcs (v, t) -> (w, t + tau), hold-over arcs, stock supply and a penalised
shortfall arc).
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import pytest

from procure.logistics import solve as solve_movements
from procure.schema import Scenario

N_INSTANCES = 200
PENALTY = 10_000  # shortfall per ton (integer data keep network simplex exact)


def instance(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 7))
    h = int(rng.integers(3, 7))
    locs = [f"L{i}" for i in range(n)]
    links = []
    for i in range(1, n):  # a random tree keeps it connected ...
        j = int(rng.integers(0, i))
        links.append((locs[j], locs[i]))
    for _ in range(int(rng.integers(0, n))):  # ... plus a few chords
        a, b = rng.choice(n, 2, replace=False)
        links.append((locs[a], locs[b]))
    link_data = [{"origin": a, "destination": b, "mode": "road",
                  "transit_days": int(rng.integers(0, 3)), "cost_per_ton": int(rng.integers(1, 9)),
                  "capacity_tons_per_day": int(rng.integers(1, 12)),
                  "bidirectional": bool(rng.random() < 0.6)} for a, b in links]
    n_stock = int(rng.integers(1, 3))
    stock_at = rng.choice(n, n_stock, replace=False)
    n_dest = int(rng.integers(1, 3))
    dest = rng.choice([i for i in range(n) if i not in stock_at] or [0], n_dest)
    stocks = [{"owner": "A", "location": locs[i], "item": "x",
               "quantity": int(rng.integers(1, 15))} for i in stock_at]
    ead = int(rng.integers(0, h))
    moves = [{"id": f"m{k}", "member": "A", "item": "x", "quantity": int(rng.integers(1, 10)),
              "destination": locs[d], "rld": 0, "ald": 0, "ead": ead, "lad": h - 1,
              "rdd": h - 1} for k, d in enumerate(dest)]
    return {
        "name": f"mcf-{seed}", "horizon": {"first_year": 2026, "last_year": 2026},
        "members": [{"id": "A", "gdp": 1}],
        "logistics": {
            "horizon_days": h, "shortfall_penalty_per_ton": PENALTY,
            "locations": [{"id": v, "host": "A", "lat": 50.0, "lon": float(i), "kind": "depot"}
                          for i, v in enumerate(locs)],
            "basing_rights": [{"member": "A", "location": v} for v in locs],
            "items": [{"id": "x", "unit_tons": 1}],
            "stocks": stocks, "links": link_data, "movements": moves,
        },
    }


def networkx_optimum(d: dict[str, Any]) -> int:
    lg = d["logistics"]
    h = lg["horizon_days"]
    g = nx.DiGraph()
    total = sum(m["quantity"] for m in lg["movements"])
    g.add_node("S", demand=-total)
    g.add_node("T", demand=total)
    g.add_edge("S", "T", capacity=total, weight=PENALTY)  # shortfall

    def arc(u: Any, v: Any, cap: int | None, w: int) -> None:
        # parallel arcs: route through a fresh midpoint node
        mid = ("arc", g.number_of_edges())
        attrs = {} if cap is None else {"capacity": cap}
        g.add_edge(u, mid, weight=w, **attrs)
        g.add_edge(mid, v, weight=0)

    for ln in lg["links"]:
        ends = [(ln["origin"], ln["destination"])]
        if ln["bidirectional"]:
            ends.append((ln["destination"], ln["origin"]))
        for a, b in ends:
            for t in range(h - ln["transit_days"]):
                arc((a, t), (b, t + ln["transit_days"]), ln["capacity_tons_per_day"],
                    ln["cost_per_ton"])
    for v in [loc["id"] for loc in lg["locations"]]:
        for t in range(h - 1):
            arc((v, t), (v, t + 1), None, 0)
    for k, st in enumerate(lg["stocks"]):
        arc("S", ("stock", k), st["quantity"], 0)
        for t in range(h):
            arc(("stock", k), (st["location"], t), None, 0)
    for m in lg["movements"]:
        sink = ("demand", m["id"])
        arc(sink, "T", m["quantity"], 0)
        for t in range(m["ead"], m["rdd"] + 1):
            arc((m["destination"], t), sink, None, 0)
    cost: int = nx.min_cost_flow_cost(g)
    return cost


@pytest.mark.parametrize("seed", range(N_INSTANCES))
def test_equals_min_cost_flow(seed: int) -> None:
    d = instance(seed)
    res = solve_movements(Scenario.model_validate(d))
    assert str(res.status) == "optimal"
    assert res.evaluation is not None and res.evaluation.feasible, res.evaluation.violations
    assert res.objective == pytest.approx(res.evaluation.objective, rel=1e-9, abs=1e-6)
    assert res.objective == pytest.approx(networkx_optimum(d), rel=1e-9, abs=1e-6)

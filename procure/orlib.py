"""Import OR-Library capacitated warehouse location instances as scenarios.

Mapping (Beasley 1988; demand may be split): warehouse i -> program ``W{i}`` with
NRC = fixed cost and ``capacity_per_year`` = capacity; customer j -> member ``C{j}``
with one requirement of ``demand_j`` units; the member's unit price from program
``W{i}`` is ``cost_ij / demand_j``; one fiscal year; no budgets; divisible units.
The optimum of the scenario equals the instance's published optimum.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from procure.errors import Problem, ScenarioError
from procure.lp.model import FloatArray
from procure.schema.scenario import Scenario

YEAR = 2026


@dataclass(frozen=True)
class CflpInstance:
    """A capacitated facility location instance as arrays."""

    name: str
    capacity: FloatArray  # (m,)
    fixed_cost: FloatArray  # (m,)
    demand: FloatArray  # (n,)
    cost: FloatArray  # (n, m): cost of serving all of customer j's demand from warehouse i


def read_cflp(path: str | os.PathLike[str], capacity: float | None = None) -> CflpInstance:
    """Parse an OR-Library ``cap*.txt`` file (a stream of tokens).

    ``capa``/``capb``/``capc`` files carry the word ``capacity`` instead of numbers:
    pass ``capacity`` to set every warehouse's capacity.
    """
    p = Path(path)
    tokens = p.read_text().split()
    try:
        m, n = int(tokens[0]), int(tokens[1])
        pos = 2
        cap = np.empty(m)
        fixed = np.empty(m)
        for i in range(m):
            tok = tokens[pos]
            if tok.lower() == "capacity":
                if capacity is None:
                    raise ScenarioError([Problem(f"{p.name}: warehouse {i + 1}",
                                                 "capacity is symbolic; pass a capacity value")])
                cap[i] = capacity
            else:
                cap[i] = float(tok)
            fixed[i] = float(tokens[pos + 1])
            pos += 2
        demand = np.empty(n)
        cost = np.empty((n, m))
        for j in range(n):
            demand[j] = float(tokens[pos])
            cost[j] = np.array(tokens[pos + 1 : pos + 1 + m], dtype=np.float64)
            pos += 1 + m
    except (IndexError, ValueError) as err:
        raise ScenarioError([Problem(p.name, f"not an OR-Library CFLP file: {err}")]) from None
    if cost.shape != (n, m) or np.isnan(cost).any():
        raise ScenarioError([Problem(p.name, "truncated cost matrix")])
    return CflpInstance(p.stem, cap, fixed, demand, cost)


def cflp_to_scenario(inst: CflpInstance) -> Scenario:
    """The procurement scenario whose optimum is the instance's optimum."""
    n, m = inst.cost.shape
    members = [f"C{j + 1}" for j in range(n)]
    unit = inst.cost / inst.demand[:, None]
    data = {
        "name": f"orlib-{inst.name}",
        "description": "OR-Library capacitated warehouse location instance (Beasley 1988): "
                       "warehouses as programs, customers as members.",
        "currency": "cost units",
        "origin": "facility-location",
        "sources": ["J.E. Beasley, OR-Library; EJOR 33 (1988) 314-325"],
        "horizon": {"first_year": YEAR, "last_year": YEAR},
        "members": [{"id": mid, "gdp": 1.0} for mid in members],
        "capabilities": [{"id": "supply", "divisible": True}],
        "programs": [
            {
                "id": f"W{i + 1}",
                "capability": "supply",
                "lead": members[0],
                "nrc": {YEAR: float(inst.fixed_cost[i])},
                "unit_cost": 0.0,
                "unit_cost_by_member": dict(zip(members, unit[:, i].tolist(), strict=True)),
                "capacity_per_year": float(inst.capacity[i]),
            }
            for i in range(m)
        ],
        "requirements": [
            {"member": mid, "capability": "supply", "quantity": float(inst.demand[j]),
             "by_year": YEAR}
            for j, mid in enumerate(members)
        ],
    }
    return Scenario.model_validate(data)


def import_cflp(path: str | os.PathLike[str], capacity: float | None = None) -> Scenario:
    """Read an OR-Library CFLP file and return it as a validated scenario."""
    return cflp_to_scenario(read_cflp(path, capacity))

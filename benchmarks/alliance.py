"""Section 8: alliance-scale solves, today's path against the relaxation start.

Each case is one procurement solve (joint mode, HiGHS, seed 0) in a fresh child
process under one wall-clock limit, by three contenders:

- ``reference``: the path before the relaxation start (``relaxation=False``: the
  Lagrangian start on models with 10 000 purchase cells or more), one solver thread;
- ``ours``: the product's default (the relaxation start of ``models/procurement.md``
  section 11.5, then the main solve), one thread;
- ``ours-2-threads``: the same with ``threads=2``.

The cases: the bundled sample alliance, the NATO-sized ``generate_alliance(32, 30, 3,
15)`` on five seeds and the 80-member benchmark model ``(80, 30, 4, 15)`` (seed 1, the
``m`` size of section 2). *gap on cost* = (objective - bound) / the plan's exact cost:
what the best plan could still save, each unit short valued at the shortfall penalty,
as a share of what the plan costs (the objective's own gap divides by the objective,
which the penalty dwarfs).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from benchmarks.cases import SAMPLE
from benchmarks.library import (
    generate_alliance,
    load_scenario,
    solve_options,
    solve_procurement,
)

CONTENDERS: dict[str, tuple[bool, int]] = {  # name -> (relaxation start, threads)
    "reference": (False, 1),
    "ours": (True, 1),
    "ours-2-threads": (True, 2),
}


@dataclass(frozen=True)
class AlliancePlan:
    """The cases of one profile: (label, generator arguments or None for the sample,
    seed) and the time limit of each solve."""

    cases: tuple[tuple[str, tuple[int, int, int, int] | None, int], ...]
    limit: float


NATO = (32, 30, 3, 15)
BIG = (80, 30, 4, 15)
PLANS = {
    "smoke": AlliancePlan((("tiny", (6, 3, 2, 4), 0),), 10.0),
    "quick": AlliancePlan((("sample", None, 0), ("nato", NATO, 1)), 30.0),
    "full": AlliancePlan((("sample", None, 0), *(("nato", NATO, s) for s in range(5)),
                          ("80-member", BIG, 1)), 60.0),
}


def gap_on_cost(objective: float | None, bound: float | None,
                cost: float | None) -> float | None:
    """(objective - bound) / cost: the objective's gap as a share of the plan's cost (None
    for a plan that buys nothing: no cost to measure against)."""
    if objective is None or bound is None or cost is None or cost <= 0:
        return None
    return max(0.0, objective - bound) / max(cost, 1e-9)


def alliance_run(case: str, params: list[int] | None, seed: int, contender: str,
                 time_limit: float) -> dict[str, Any]:
    """One solve of one case by one contender (module docstring)."""
    relaxation, threads = CONTENDERS[contender]
    if params is None:
        scenario = load_scenario(SAMPLE)
    else:
        m, c, p, y = params
        scenario = generate_alliance(m, c, p, y, seed=seed)
    options = solve_options(time_limit=time_limit, threads=threads, seed=0)
    t0 = time.perf_counter()
    res = solve_procurement(scenario, options, relaxation=relaxation)
    wall = time.perf_counter() - t0
    timings = res.timings or {}
    return {
        "case": case, "params": params, "seed": seed, "contender": contender,
        "threads": threads, "time_limit": time_limit, "status": res.status,
        "objective": res.objective, "bound": res.bound, "gap": res.gap,
        "gap_on_cost": gap_on_cost(res.objective, res.bound, res.total_cost),
        "total_cost": res.total_cost, "shortfall": res.shortfall_units,
        "evaluator_ok": res.evaluator_ok, "build": res.build_seconds,
        "start": timings.get("start", 0.0), "solve": timings.get("solve", 0.0),
        "wall": wall, "nnz": res.model_size[2] if res.model_size else None,
        "message": res.message,
    }

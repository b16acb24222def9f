"""LP relaxation of the movement model: which LP method solves it fastest.

The product's own model at one generated size, integrality dropped, solved by
HiGHS dual simplex, primal simplex, interior point (with and without
crossover), PDLP (first-order, HiGHS' GPU-free build), and CLP (COIN-OR's
simplex, run by the CBC binary's ``-initialSolve``), each under the same time
limit in its own process. Objectives are compared with the best proven one:
PDLP and IPM without crossover stop at a relative tolerance, not at a vertex.
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.cases import Kind, scenario_for
from benchmarks.library import lp_relaxation, solve_model, solve_options
from benchmarks.references import build_ours

METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "highs-dual-simplex": ("highs", {"solver": "simplex", "simplex_strategy": 1}),
    "highs-primal-simplex": ("highs", {"solver": "simplex", "simplex_strategy": 4}),
    "highs-ipm": ("highs", {"solver": "ipm"}),
    "highs-ipm-no-crossover": ("highs", {"solver": "ipm", "run_crossover": "off"}),
    "highs-pdlp": ("highs", {"solver": "pdlp"}),
    "clp-dual-simplex": ("cbc", {}),
}
"""Method name -> (backend, that solver's options)."""


def lp_method_run(kind: Kind, size: str, method: str, time_limit: float) -> dict[str, Any]:
    """Solve the LP relaxation of ``kind``/``size`` with one method."""
    backend, settings = METHODS[method]
    _, _, model = build_ours(kind, scenario_for(kind, size))
    lp = lp_relaxation(model)
    opts = solve_options(backend, time_limit=time_limit, threads=1, seed=0,
                         solver_options=settings)
    t0 = time.perf_counter()
    out = solve_model(backend, lp, opts)
    return {"method": method, "seconds": time.perf_counter() - t0, "status": out.status,
            "objective": out.objective, "nnz": lp.num_nonzeros, "message": out.message}

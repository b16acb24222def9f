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
from dataclasses import replace
from typing import Any

import numpy as np

from procure.backends.base import SolveOptions
from procure.bench.cases import Kind

METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "highs-dual-simplex": ("highs", {"solver": "simplex", "simplex_strategy": 1}),
    "highs-primal-simplex": ("highs", {"solver": "simplex", "simplex_strategy": 4}),
    "highs-ipm": ("highs", {"solver": "ipm"}),
    "highs-ipm-no-crossover": ("highs", {"solver": "ipm", "run_crossover": "off"}),
    "highs-pdlp": ("highs", {"solver": "pdlp"}),
    "clp-dual-simplex": ("cbc", {}),
}


def lp_method_run(kind: Kind, size: str, method: str, time_limit: float) -> dict[str, Any]:
    """Solve the LP relaxation of ``kind``/``size`` with one method."""
    from procure.backends.registry import get_backend
    from procure.bench.measure import build_ours, scenario_for

    backend, extra = METHODS[method]
    _, _, model = build_ours(kind, scenario_for(kind, size))
    lp = replace(model, integrality=np.zeros(model.num_cols, dtype=np.bool_))
    t0 = time.perf_counter()
    out = get_backend(backend).solve(lp, SolveOptions(time_limit=time_limit, threads=1,
                                                      seed=0, extra=dict(extra)))
    return {"method": method, "seconds": time.perf_counter() - t0, "status": str(out.status),
            "objective": out.objective, "nnz": lp.num_nonzeros, "message": out.message}

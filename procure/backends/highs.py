"""HiGHS through highspy (the default backend): arrays are passed straight to ``passModel``."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

import numpy as np

from procure.backends.base import (
    Backend,
    Capabilities,
    SolveOptions,
    SolveOutcome,
    Status,
    make_outcome,
)
from procure.backends.highs_model import pass_arrays
from procure.lp.model import ModelArrays

_pool_threads: int | None = None  # thread count of HiGHS's global scheduler in this process


def configured_highs(options: SolveOptions) -> Any:
    """A fresh ``highspy.Highs`` with ``options`` set (log, threads, seed, MIP gap, time
    limit, ``extra``); the start and the model are the caller's."""
    import highspy

    global _pool_threads
    if _pool_threads is not None and _pool_threads != options.threads:
        # HiGHS sizes one global thread pool on its first solve in a process; a later
        # solve with another thread count fails ("Not Set") unless the pool is reset
        highspy.Highs.resetGlobalScheduler(True)
    _pool_threads = int(options.threads)
    h = highspy.Highs()
    h.setOptionValue("output_flag", bool(options.verbose))
    h.setOptionValue("threads", int(options.threads))
    h.setOptionValue("random_seed", int(options.seed))
    h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    for key, value in options.extra.items():
        h.setOptionValue(key, value)
    return h


class HighsBackend(Backend):
    """HiGHS MIP/LP solver (branch-and-cut, dual simplex, IPM)."""

    name = "highs"
    capabilities = Capabilities(mip=True, continuous=True, duals=True, warm_start=True)
    distribution = probe = "highspy"

    def solve(self, model: ModelArrays, options: SolveOptions) -> SolveOutcome:
        import highspy

        t0 = time.perf_counter()
        h = configured_highs(options)
        pass_arrays(h, model)
        start = options.start
        if model.is_mip and start is not None and start.shape == (model.num_cols,):
            # a MIP start: HiGHS checks it (and repairs a partial one) before branching
            h.setSolution(model.num_cols, np.arange(model.num_cols, dtype=np.int32),
                          np.asarray(start, dtype=np.float64))
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            # presolve could not tell which; ask again without it
            h.setOptionValue("presolve", "off")
            h.run()
            status = h.getModelStatus()
        return self._outcome(h, model, status, time.perf_counter() - t0)

    def _outcome(self, h: Any, model: ModelArrays, status: Any, seconds: float) -> SolveOutcome:
        import highspy

        ms = highspy.HighsModelStatus
        text = h.modelStatusToString(status)
        if status == ms.kModelEmpty:  # nothing to decide: the optimum is the offset
            return SolveOutcome(Status.OPTIMAL, np.zeros(model.num_cols), float(model.offset),
                                float(model.offset), 0.0, seconds, self.name, self.version(), text)
        if status == ms.kInfeasible:
            return SolveOutcome(Status.INFEASIBLE, None, None, None, None, seconds, self.name,
                                self.version(), text)
        if status == ms.kUnbounded:
            return SolveOutcome(Status.UNBOUNDED, None, None, None, None, seconds, self.name,
                                self.version(), text)
        info = h.getInfo()
        has_x = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
        x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_x else None
        obj = float(info.objective_function_value) if has_x else None
        bound: float | None = None
        if model.is_mip:
            b = float(info.mip_dual_bound)
            bound = b if math.isfinite(b) else None
        limits = {
            ms.kTimeLimit, ms.kIterationLimit, ms.kSolutionLimit, ms.kInterrupt,
            ms.kObjectiveBound, ms.kObjectiveTarget,
        }
        if hasattr(ms, "kMemoryLimit"):
            limits.add(ms.kMemoryLimit)
        if status not in limits and status != ms.kOptimal:
            return SolveOutcome(Status.ERROR, None, None, None, None, seconds, self.name,
                                self.version(), f"HiGHS model status: {text}")
        outcome = make_outcome(
            proven_optimal=status == ms.kOptimal,
            hit_limit=status in limits,
            x=x,
            objective=obj,
            bound=bound,
            seconds=seconds,
            solver=self.name,
            version=self.version(),
            is_mip=model.is_mip,
            message=text,
        )
        if not model.is_mip and outcome.status == Status.OPTIMAL and info.dual_solution_status == 2:
            outcome = replace(outcome, row_duals=np.asarray(h.getSolution().row_dual,
                                                            dtype=np.float64))
        return outcome

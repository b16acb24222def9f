"""HiGHS through highspy (the default backend): arrays are passed straight to ``passModel``.

Settings in ``SolveOptions.solver_options["highs"]`` are HiGHS option names
(``{"presolve": "off", "solver": "ipm"}``); an unknown name or a value of the wrong
type is refused with an ``error`` outcome that names it. A MIP start goes in by
``setSolution`` (HiGHS checks it and repairs a partial one before branching).
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

import numpy as np

from procure.backends.base import (
    Backend,
    Capabilities,
    Iis,
    IncumbentCallback,
    LpSession,
    Sensitivity,
    Side,
    SolveOptions,
    SolveOutcome,
    Status,
    Stop,
    make_outcome,
)
from procure.backends.highs_model import pass_arrays
from procure.lp.model import FloatArray, IntArray, ModelArrays

_pool_threads: int | None = None  # thread count of HiGHS's global scheduler in this process


class HighsOptionError(ValueError):
    """A HiGHS option name or value HiGHS refuses."""


def configured_highs(options: SolveOptions) -> Any:
    """A fresh ``highspy.Highs`` with ``options`` set (log, threads, seed, MIP gap, time
    limit, the ``highs`` solver options); the start and the model are the caller's.
    Raises :class:`HighsOptionError` for an option HiGHS refuses."""
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
    for key, value in options.for_solver("highs").items():
        if h.setOptionValue(key, value) != highspy.HighsStatus.kOk:
            raise HighsOptionError(f"solver_options.highs.{key}: HiGHS refuses {value!r} "
                                   "(unknown option, or a value of the wrong type or range)")
    return h


class HighsBackend(Backend):
    """HiGHS MIP/LP solver (branch-and-cut, dual simplex, IPM)."""

    name = "highs"
    capabilities = Capabilities(mip=True, continuous=True, duals=True, warm_start=True,
                                lp_session=True, incumbents=True, iis=True, ranging=True)
    distribution = probe = "highspy"

    def solve(self, model: ModelArrays, options: SolveOptions, *,
              start: FloatArray | None = None,
              on_incumbent: IncumbentCallback | None = None,
              target: float | None = None) -> SolveOutcome:
        import highspy

        t0 = time.perf_counter()
        try:
            h = configured_highs(options)
        except HighsOptionError as exc:
            return self.failed(Status.ERROR, time.perf_counter() - t0, str(exc))
        pass_arrays(h, model)
        if model.is_mip and start is not None and start.shape == (model.num_cols,):
            # a MIP start: HiGHS checks it before branching; a partial one (NaN where
            # unknown) is passed sparse, and HiGHS completes it with the given integer
            # values fixed
            given = np.flatnonzero(~np.isnan(start)).astype(np.int32)
            if given.size:
                h.setSolution(int(given.size), given,
                              np.asarray(start, dtype=np.float64)[given])
        if model.is_mip and target is not None and math.isfinite(target):
            h.setOptionValue("objective_target", float(target))  # status kObjectiveTarget
        if on_incumbent is not None and model.is_mip:
            def improved(e: Any) -> None:
                out = e.data_out
                bound = float(out.mip_dual_bound)
                on_incumbent(float(out.objective_function_value),
                             np.array(out.mip_solution, dtype=np.float64),
                             bound if math.isfinite(bound) else None)

            h.cbMipImprovingSolution.subscribe(improved)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            # presolve could not tell which; ask again without it
            h.setOptionValue("presolve", "off")
            h.run()
            status = h.getModelStatus()
        return self._outcome(h, model, status, time.perf_counter() - t0)

    def check_options(self, options: SolveOptions) -> str | None:
        try:
            configured_highs(options)
        except HighsOptionError as exc:
            return str(exc)
        return None

    def cautious(self, options: SolveOptions) -> SolveOptions:
        """Presolve off: HiGHS' presolve has proved wrong optima and wrong infeasibility
        (issues 3043, 3073, 3094; a case in tests/run), the solve without it has not."""
        return options.with_solver_options("highs", presolve="off")

    def lp_session(self, model: ModelArrays, options: SolveOptions) -> LpSession:
        return HighsLpSession(self, model, options)

    def _relaxation(self, model: ModelArrays, options: SolveOptions) -> Any:
        """A configured HiGHS holding ``model``'s LP relaxation."""
        h = configured_highs(options)
        pass_arrays(h, replace(model, integrality=np.zeros_like(model.integrality)))
        return h

    def iis(self, model: ModelArrays, options: SolveOptions) -> Iis | None:
        """HiGHS' IIS (``getIis``, working from highspy 1.13) of the LP relaxation: the
        strategy "from the LP, irreducible" (``iis_strategy`` = 2 + 4): a deletion filter
        on the rows and bounds of the infeasible LP's dual ray."""
        import highspy

        t0 = time.perf_counter()
        h = self._relaxation(model, options)
        h.setOptionValue("iis_strategy", int(highspy.IisStrategy.kIisStrategyFromLp)
                         | int(highspy.IisStrategy.kIisStrategyIrreducible))
        h.run()
        status = h.getModelStatus()
        ms = highspy.HighsModelStatus
        if status == ms.kUnboundedOrInfeasible:
            h.setOptionValue("presolve", "off")
            h.run()
            status = h.getModelStatus()
        if status in (ms.kOptimal, ms.kUnbounded, ms.kModelEmpty):
            return None
        if status != ms.kInfeasible:
            raise RuntimeError(f"HiGHS could not decide the LP: {h.modelStatusToString(status)}")
        code, iis = h.getIis()
        if code != highspy.HighsStatus.kOk or not iis.valid_:
            raise RuntimeError("HiGHS did not return an IIS")
        sides = {2: Side.LOWER, 3: Side.UPPER, 4: Side.BOTH}
        rows = [(int(i), sides[int(b)]) for i, b in zip(iis.row_index_, iis.row_bound_,
                                                         strict=True) if int(b) in sides]
        cols = [(int(j), sides[int(b)]) for j, b in zip(iis.col_index_, iis.col_bound_,
                                                         strict=True) if int(b) in sides]
        return Iis(np.array([r for r, _ in rows], dtype=np.int64), tuple(s for _, s in rows),
                   np.array([c for c, _ in cols], dtype=np.int64), tuple(s for _, s in cols),
                   self.name, time.perf_counter() - t0)

    def sensitivity(self, model: ModelArrays, options: SolveOptions) -> Sensitivity | None:
        """Duals and ranging of the LP relaxation (``getRanging``). HiGHS ranges the
        bounds of nonbasic rows; for a basic row (dual 0) the range is where its bound
        may move without becoming active: [activity, inf) for an upper bound,
        (-inf, activity] for a lower one."""
        import highspy

        t0 = time.perf_counter()
        h = self._relaxation(model, options)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        sol = h.getSolution()
        dual = np.asarray(sol.row_dual, dtype=np.float64)
        act = np.asarray(sol.row_value, dtype=np.float64)
        code, rng = h.getRanging()
        if code != highspy.HighsStatus.kOk or not rng.valid:
            return None
        low = np.asarray(rng.row_bound_dn.value_, dtype=np.float64)
        high = np.asarray(rng.row_bound_up.value_, dtype=np.float64)
        basic = np.abs(dual) <= 1e-9
        at_upper = np.abs(act - model.row_upper) <= 1e-9 * np.maximum(1.0, np.abs(act))
        # a basic row keeps dual 0 while its bound stays beyond its activity
        upper_side = basic & np.isfinite(model.row_upper) & ~(
            np.isfinite(model.row_lower) & ~at_upper)
        low = np.where(basic, np.where(upper_side, act, -np.inf), low)
        high = np.where(basic, np.where(upper_side, np.inf, act), high)
        return Sensitivity(
            objective=float(h.getInfo().objective_function_value),
            x=np.asarray(sol.col_value, dtype=np.float64), row_activity=act, row_dual=dual,
            rhs_low=low, rhs_high=high,
            reduced_cost=np.asarray(sol.col_dual, dtype=np.float64),
            cost_low=np.asarray(rng.col_cost_dn.value_, dtype=np.float64)[:model.num_cols],
            cost_high=np.asarray(rng.col_cost_up.value_, dtype=np.float64)[:model.num_cols],
            solver=self.name, seconds=time.perf_counter() - t0)

    def _outcome(self, h: Any, model: ModelArrays, status: Any, seconds: float) -> SolveOutcome:
        import highspy

        ms = highspy.HighsModelStatus
        text = h.modelStatusToString(status)
        if status == ms.kModelEmpty:  # nothing to decide: the optimum is the offset
            return SolveOutcome(Status.OPTIMAL, np.zeros(model.num_cols), float(model.offset),
                                float(model.offset), 0.0, seconds, self.name, self.version(),
                                text, stopped_by=Stop.NONE)
        if status == ms.kInfeasible:
            return self.failed(Status.INFEASIBLE, seconds, text)
        if status == ms.kUnbounded:
            return self.failed(Status.UNBOUNDED, seconds, text)
        info = h.getInfo()
        has_x = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
        x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_x else None
        obj = float(info.objective_function_value) if has_x else None
        bound: float | None = None
        if model.is_mip:
            b = float(info.mip_dual_bound)
            bound = b if math.isfinite(b) else None
        limits = {
            ms.kTimeLimit: Stop.TIME, ms.kIterationLimit: Stop.ITERATIONS,
            ms.kSolutionLimit: Stop.ITERATIONS, ms.kInterrupt: Stop.INTERRUPT,
            ms.kObjectiveBound: Stop.ITERATIONS, ms.kObjectiveTarget: Stop.ITERATIONS,
        }
        if hasattr(ms, "kMemoryLimit"):
            limits[ms.kMemoryLimit] = Stop.MEMORY
        if status not in limits and status != ms.kOptimal:
            return self.failed(Status.ERROR, seconds, f"HiGHS model status: {text}")
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
            stopped_by=limits.get(status, Stop.TIME),
        )
        if not model.is_mip and outcome.status == Status.OPTIMAL and info.dual_solution_status == 2:
            outcome = replace(outcome, row_duals=np.asarray(h.getSolution().row_dual,
                                                            dtype=np.float64))
        return outcome


class HighsLpSession(LpSession):
    """The LP relaxation in one HiGHS instance, re-solved warm after bound changes (the
    basis of the last solve is kept); one time limit over every solve together."""

    def __init__(self, backend: Backend, model: ModelArrays, options: SolveOptions) -> None:
        super().__init__(backend, model, options)
        import highspy

        self.h: Any = configured_highs(replace(options, time_limit=max(
            options.time_limit, 0.0) if options.time_limit is not None else None))
        self.optimal = highspy.HighsModelStatus.kOptimal
        pass_arrays(self.h, self.model)

    def solve(self, cols: IntArray | None = None, lower: FloatArray | None = None,
              upper: FloatArray | None = None) -> tuple[float, FloatArray] | None:
        if cols is not None and lower is not None and upper is not None:
            self.h.changeColsBounds(int(cols.size), cols.astype(np.int32),
                                    np.asarray(lower, dtype=np.float64),
                                    np.asarray(upper, dtype=np.float64))
        self.h.run()
        self.solves += 1
        if self.h.getModelStatus() != self.optimal:
            return None
        obj = float(self.h.getInfo().objective_function_value)
        return obj, np.asarray(self.h.getSolution().col_value, dtype=np.float64)

"""CBC through PuLP 3.x: the CBC binary bundled with PuLP (or a ``cbc`` on the path).

The PuLP problem is built with one ``LpAffineExpression`` per row from CSR slices
and registered with ``LpProblem.extend`` (no ``lpSum``, no per-term operator
overloading).  Every column is put in the objective, zero cost included, so that
PuLP writes columns that appear in no row and their bounds are honoured.

Pitfall handled here: PuLP maps CBC's "Stopped on time - objective value ..."
to ``LpStatusOptimal``.  Only ``sol_status == LpSolutionOptimal`` counts as
optimal; ``LpSolutionIntegerFeasible`` (and a "Result - Stopped" line in the
log) mean a limit was hit, reported as ``feasible`` with the incumbent, and the
bound parsed from CBC's log ("Lower bound:" / "best possible").

CBC writes solution values with 8 significant digits, so continuous values carry
a relative error up to ~5e-9; the objective is recomputed from them.

Options: ``timeLimit`` (wall clock), ``gapRel`` (CBC ``ratioGap``); ``threads=n > 1``
is passed as ``100 + n``, CBC's repeatable parallel search; ``seed`` sets
``randomCbcSeed`` and ``randomSeed`` (Clp) to ``seed + 1`` because CBC reads 0 as
"seed from the clock".  ``extra`` entries become CBC command-line options
(``{"maxNodes": 100}`` -> ``-maxNodes 100``).  The MPS, solution and log files go
to a private temporary directory that is removed after every solve.
"""

from __future__ import annotations

import math
import os
import re
import sys
import tempfile
import time
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
from procure.lp.model import ModelArrays

_BOUND_RE = re.compile(r"^Lower bound:\s*(\S+)", re.MULTILINE)
_PARTIAL_RE = re.compile(r"best possible (\S+?)\)")
_RESULT_RE = re.compile(r"^Result - (.*)$", re.MULTILINE)
_MAX_SEED = 2**31 - 2


def _cbc_path() -> str | None:
    """The bundled CBC binary if usable, else PuLP's ``COIN_CMD`` default (a ``cbc`` on PATH)."""
    import pulp

    bundled = getattr(pulp.PULP_CBC_CMD, "pulp_cbc_path", None)
    if bundled and os.path.isfile(bundled) and os.access(bundled, os.X_OK):
        return str(bundled)
    fallback = pulp.COIN_CMD(msg=False)
    return str(fallback.path) if fallback.available() else None


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


class CbcBackend(Backend):
    """COIN-OR CBC branch-and-cut, driven through PuLP's command-line interface."""

    name = "cbc"
    capabilities = Capabilities(mip=True, continuous=True, duals=False)
    distribution = probe = "pulp"

    @classmethod
    def available(cls) -> bool:
        try:
            return _cbc_path() is not None
        except ImportError:
            return False


    def solve(self, model: ModelArrays, options: SolveOptions) -> SolveOutcome:
        import pulp

        t0 = time.perf_counter()
        path = _cbc_path()
        if path is None:
            return SolveOutcome(Status.ERROR, None, None, None, None, 0.0, self.name,
                                self.version(), "no CBC executable found")
        prob, cols = _build(model)
        seed = int(options.seed) % _MAX_SEED + 1
        cbc_options = [f"randomCbcSeed {seed}", f"randomSeed {seed}"]
        cbc_options += [f"{k} {v}" for k, v in options.extra.items()]
        threads = int(options.threads)
        with tempfile.TemporaryDirectory(prefix="procure-cbc-") as tmp:
            log_path = os.path.join(tmp, "cbc.log")
            solver = pulp.COIN_CMD(
                path=path,
                msg=False,
                timeLimit=options.time_limit,
                gapRel=float(options.mip_gap),
                threads=100 + threads if threads > 1 else None,
                options=cbc_options,
                logPath=log_path,
            )
            solver.tmpDir = tmp
            error: str | None = None
            try:
                prob.solve(solver)
            except (pulp.PulpError, OSError) as exc:
                error = f"CBC failed: {exc}"
            log = ""
            if os.path.exists(log_path):
                with open(log_path, encoding="utf-8", errors="replace") as fh:
                    log = fh.read()
        if options.verbose and log:
            sys.stdout.write(log)
        seconds = time.perf_counter() - t0
        if error is not None:
            tail = "\n".join(log.strip().splitlines()[-5:])
            return SolveOutcome(Status.ERROR, None, None, None, None, seconds, self.name,
                                self.version(), f"{error}\n{tail}".strip())
        return self._outcome(prob, cols, model, log, seconds)

    def _outcome(self, prob: Any, cols: list[Any], model: ModelArrays, log: str,
                 seconds: float) -> SolveOutcome:
        import pulp

        result = _RESULT_RE.findall(log)
        text = result[-1].strip() if result else pulp.LpStatus.get(prob.status, "unknown")
        stopped = any(r.startswith("Stopped") for r in result)
        if prob.status == pulp.LpStatusInfeasible:
            return SolveOutcome(Status.INFEASIBLE, None, None, None, None, seconds, self.name,
                                self.version(), text)
        if prob.status == pulp.LpStatusUnbounded:
            return SolveOutcome(Status.UNBOUNDED, None, None, None, None, seconds, self.name,
                                self.version(), text)
        optimal = prob.sol_status == pulp.LpSolutionOptimal and not stopped
        hit_limit = stopped or prob.sol_status == pulp.LpSolutionIntegerFeasible
        if not hit_limit and prob.status == pulp.LpStatusNotSolved:
            hit_limit = "Stopped" in log
        if not (optimal or hit_limit):
            return SolveOutcome(Status.ERROR, None, None, None, None, seconds, self.name,
                                self.version(), f"CBC status: {text}")
        # an LP iterate cut short by a limit need not be feasible; a MIP incumbent is
        has_x = optimal or (model.is_mip and prob.sol_status in (
            pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible))
        x = None
        objective = None
        if has_x:
            values = [c.varValue for c in cols]
            if all(v is not None for v in values):
                x = np.asarray(values, dtype=np.float64)
                objective = float(model.col_cost @ x + model.offset)
        bound = None
        if model.is_mip:
            found = _BOUND_RE.findall(log) or ([] if optimal else _PARTIAL_RE.findall(log))
            if found:
                try:
                    bound = _finite(float(found[-1]) + model.offset)
                except ValueError:
                    bound = None
            if optimal and bound is None:
                bound = objective  # CBC prints no bound line when it closes the gap
        return make_outcome(
            proven_optimal=optimal,
            hit_limit=hit_limit,
            x=x,
            objective=objective,
            bound=bound,
            seconds=seconds,
            solver=self.name,
            version=self.version(),
            is_mip=model.is_mip,
            message=text,
        )


def _build(model: ModelArrays) -> tuple[Any, list[Any]]:
    """The PuLP problem for ``model`` and its columns in model order."""
    import pulp

    prob = pulp.LpProblem(model.name.replace(" ", "_") or "model", pulp.LpMinimize)
    lower = [_finite(v) for v in model.col_lower.tolist()]
    upper = [_finite(v) for v in model.col_upper.tolist()]
    kinds = [pulp.LpInteger if i else pulp.LpContinuous for i in model.integrality.tolist()]
    cols = [
        prob.add_variable(f"x{j}", lo, up, kind)
        for j, (lo, up, kind) in enumerate(zip(lower, upper, kinds, strict=True))
    ]
    prob.setObjective(pulp.LpAffineExpression(
        zip(cols, model.col_cost.tolist(), strict=True), constant=float(model.offset)))
    col_array = np.empty(len(cols), dtype=object)
    col_array[:] = cols
    term_col = col_array[model.a_index].tolist()  # the variable of every nonzero, in CSR order
    start = model.a_start.tolist()
    value = model.a_value.tolist()
    row_lower = model.row_lower.tolist()
    row_upper = model.row_upper.tolist()
    rows: dict[str, Any] = {}
    for r in range(model.num_rows):
        s, e = start[r], start[r + 1]
        expr = pulp.LpAffineExpression(zip(term_col[s:e], value[s:e], strict=True))
        lo, up = row_lower[r], row_upper[r]
        if lo == up:
            rows[f"e{r}"] = pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"e{r}", lo)
            continue
        if math.isfinite(lo):
            rows[f"g{r}"] = pulp.LpConstraint(expr, pulp.LpConstraintGE, f"g{r}", lo)
            expr = expr.copy()  # a ranged row becomes two constraints
        if math.isfinite(up):
            rows[f"l{r}"] = pulp.LpConstraint(expr, pulp.LpConstraintLE, f"l{r}", up)
    prob.extend(rows)
    return prob, cols

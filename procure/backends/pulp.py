"""CBC, the COIN-OR binary PuLP 3.x bundles (or a ``cbc`` on the path).

The model reaches CBC as an MPS file written from the arrays by HiGHS' C++
writer (``passModel`` + ``writeModel``): no Python object per nonzero, where
building PuLP's ``LpAffineExpression`` objects cost ~57x HiGHS' own hand-off.
PuLP is used for what it ships, the solver binary. Columns are named ``c<j>``
and rows ``r<i>`` in model order; the objective constant is the MPS objective
row's right-hand side, which CBC includes in the objective it reports.

Status: the first line of CBC's solution file ("Optimal", "Infeasible",
"Integer infeasible", "Unbounded", "Stopped on ... - objective value v") and
the "Result - ..." line of its log. Only "Optimal" without "Result - Stopped"
counts as optimal; "Stopped on ... - objective value" on a MIP is a limit with an
incumbent (``feasible``), unless CBC says "no integer solution - continuous
used"; the bound is parsed from the log ("Lower bound:" / "best possible"). An
LP stopped by a limit reports no solution.

CBC writes solution values with 8 significant digits, so continuous values carry
a relative error up to ~5e-9; the objective is recomputed from them.

Options: ``-sec`` (wall clock, ``-timeMode elapsed``), ``-ratioGap``; ``threads=n > 1``
is passed as ``100 + n``, CBC's repeatable parallel search; ``seed`` sets
``randomCbcSeed`` and ``randomSeed`` (Clp) to ``seed + 1`` because CBC reads 0 as
"seed from the clock". ``solver_options["cbc"]`` entries become CBC command-line options
(``{"maxNodes": 100}`` -> ``-maxNodes 100``). The MPS, solution and log files go
to a private temporary directory that is removed after every solve.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

from procure.backends.base import (
    Backend,
    Capabilities,
    IncumbentCallback,
    SolveOptions,
    SolveOutcome,
    Status,
    make_outcome,
)
from procure.backends.highs_model import pass_arrays
from procure.lp.model import FloatArray, ModelArrays

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


    def solve(self, model: ModelArrays, options: SolveOptions, *,
              start: FloatArray | None = None,
              on_incumbent: IncumbentCallback | None = None,
              target: float | None = None) -> SolveOutcome:
        t0 = time.perf_counter()
        path = _cbc_path()
        if path is None:
            return self.failed(Status.ERROR, 0.0, "no CBC executable found")
        seed = int(options.seed) % _MAX_SEED + 1
        args = ["-timeMode", "elapsed", "-ratioGap", repr(float(options.mip_gap)),
                "-randomCbcSeed", str(seed), "-randomSeed", str(seed)]
        if options.time_limit is not None:
            args += ["-sec", repr(float(options.time_limit))]
        if int(options.threads) > 1:
            args += ["-threads", str(100 + int(options.threads))]
        for key, value in options.for_solver("cbc").items():
            args += [f"-{key}", str(value)]
        with tempfile.TemporaryDirectory(prefix="procure-cbc-") as tmp:
            mps, sol = os.path.join(tmp, "model.mps"), os.path.join(tmp, "model.sol")
            write_mps(model, mps)
            cmd = [path, mps, *args, "-solve" if model.is_mip else "-initialSolve",
                   "-solution", sol]
            try:
                run = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                                     stdin=subprocess.DEVNULL, check=False)
                log = run.stdout + run.stderr
                error = None if run.returncode == 0 and os.path.exists(sol) else (
                    f"CBC exited with code {run.returncode}")
            except OSError as exc:
                log, error = "", f"CBC failed: {exc}"
            first, values = _read_solution(sol, model.num_cols) if error is None else ("", None)
        if options.verbose and log:
            sys.stdout.write(log)
        seconds = time.perf_counter() - t0
        if error is not None:
            tail = "\n".join(log.strip().splitlines()[-5:])
            return self.failed(Status.ERROR, seconds, f"{error}\n{tail}".strip())
        return self._outcome(first, values, model, log, seconds)

    def _outcome(self, first: str, values: FloatArray | None, model: ModelArrays, log: str,
                 seconds: float) -> SolveOutcome:
        result = _RESULT_RE.findall(log)
        text = result[-1].strip() if result else first
        stopped = first.startswith("Stopped") or any(r.startswith("Stopped") for r in result)
        if first.startswith(("Infeasible", "Integer infeasible")):
            return self.failed(Status.INFEASIBLE, seconds, text)
        if first.startswith("Unbounded"):
            return self.failed(Status.UNBOUNDED, seconds, text)
        optimal = first.startswith("Optimal") and not stopped
        if not (optimal or stopped):
            return self.failed(Status.ERROR, seconds, f"CBC status: {text}")
        # an LP iterate cut short by a limit need not be feasible; a MIP incumbent is
        has_x = optimal or (model.is_mip and "objective value" in first
                            and "no integer solution" not in first
                            and "No feasible solution found" not in log)
        x = values if has_x else None
        objective = None if x is None else float(model.col_cost @ x + model.offset)
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
            hit_limit=stopped,
            x=x,
            objective=objective,
            bound=bound,
            seconds=seconds,
            solver=self.name,
            version=self.version(),
            is_mip=model.is_mip,
            message=text,
        )


def write_mps(model: ModelArrays, path: str) -> None:
    """Write ``model`` as an MPS file with HiGHS' writer (columns ``c<j>``, rows ``r<i>``)."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    pass_arrays(h, model)
    h.writeModel(path)


def _read_solution(path: str, num_cols: int) -> tuple[str, FloatArray | None]:
    """CBC's status line and the column values (unlisted columns are zero)."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        first = fh.readline().strip()
        lines = fh.read().split("\n")
    x = np.zeros(num_cols)
    for line in lines:
        parts = line.replace("**", " ").split()
        if len(parts) >= 3 and parts[1].startswith("c"):
            x[int(parts[1][1:])] = float(parts[2])
    return first, x

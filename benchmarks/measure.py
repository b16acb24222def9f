"""One measurement per child process: a build of one contender, one solve, one sweep, or
one game of burden sharing.

The suite runs every measurement in a fresh interpreter (``python -m
benchmarks.measure SPEC``, from the repository root) so that peak memory belongs to
that measurement alone and a crashing solver cannot take the suite down. The child
prints one JSON line. Peak memory is the kernel's high-water mark of resident memory
(``VmHWM``), reset after the input is generated and freed heap is returned to the
OS (``malloc_trim``, ``/proc/self/clear_refs``), minus the resident memory at that
point: what the build itself added at its peak.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import highspy

from benchmarks.alliance import alliance_run
from benchmarks.cases import REPO_ROOT, Kind, scenario_for
from benchmarks.endtoend import end_to_end_run
from benchmarks.instances import hard_instance_run, linking_run, orlib_instance
from benchmarks.library import (
    ModelArrays,
    pass_arrays,
    solve_logistics,
    solve_options,
    solve_procurement,
)
from benchmarks.lp_methods import lp_method_run
from benchmarks.references import (
    build_ours,
    floor_handoff,
    floor_lp_handoff,
    pulp_build,
    pulp_data,
    pulp_handoff,
)
from benchmarks.sharing import reference_run, sharing_run
from benchmarks.sweeps import sweep_run


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> int:
    """Hand freed heap back to the OS, reset the resident high-water mark; resident KiB now.

    Without the trim, memory freed earlier (e.g. by generating the input) stays
    resident and a later allocation reusing it would not show as growth.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # glibc only
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with contextlib.suppress(OSError):  # not Linux, or not permitted: peak since start
        Path("/proc/self/clear_refs").write_text("5")
    return _status_kib("VmRSS")


def _peak_mib(base_kib: int) -> float:
    return max(_status_kib("VmHWM") - base_kib, 0) / 1024.0


def _size(model: ModelArrays) -> dict[str, int]:
    return {"cols": model.num_cols, "rows": model.num_rows, "nnz": model.num_nonzeros,
            "integer": int(model.integrality.sum())}


def measure_build(kind: Kind, size: str, contender: str, repeats: int) -> dict[str, Any]:
    """Median times of ``repeats`` builds of one contender: ``ours``, ``floor``,
    ``floor-lp`` (the object-API floor) or ``pulp``, after one untimed warm-up build
    (skipped for PuLP from 1e6 nonzeros, where it would take minutes and first-call
    costs are negligible); then one more build for peak memory (apart, so that
    returning memory to the OS does not slow a timed build)."""
    # pulp is imported before any timing, for every contender; here, because a child
    # that only solves must not import it (import order: benchmarks.references)
    import pulp  # noqa: F401

    scenario = scenario_for(kind, size)
    model: ModelArrays | None = None
    if contender != "ours":
        _, _, model = build_ours(kind, scenario)
    out: dict[str, Any] = {} if model is None else _size(model)

    def ours() -> dict[str, float]:
        compile_s, build_s, m = build_ours(kind, scenario)
        out.update(_size(m))
        t0 = time.perf_counter()
        h = highspy.Highs()  # the HiGHS backend's hand-off, up to run()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        pass_arrays(h, m)
        return {"compile": compile_s, "build": build_s, "handoff": time.perf_counter() - t0}

    def floor() -> dict[str, float]:
        assert model is not None
        handoff = floor_handoff if contender == "floor" else floor_lp_handoff
        t0 = time.perf_counter()
        handoff(model)
        return {"handoff": time.perf_counter() - t0}

    if contender == "pulp":
        assert model is not None
        data = pulp_data(model)
        model = None

    def idiomatic() -> dict[str, float]:
        t0 = time.perf_counter()
        prob = pulp_build(data)
        t1 = time.perf_counter()
        pulp_handoff(prob)
        return {"build": t1 - t0, "handoff": time.perf_counter() - t1}

    runs = {"ours": ours, "floor": floor, "floor-lp": floor, "pulp": idiomatic}
    if contender not in runs:
        raise ValueError(f"unknown contender {contender!r}")
    run = runs[contender]
    if contender != "pulp" or out["nnz"] < 10**6:
        run()  # warm-up, untimed: first-call costs (lazy initialisation, first page touches)
    times: dict[str, list[float]] = {}
    for _ in range(repeats):
        for key, value in run().items():
            times.setdefault(key, []).append(value)
        gc.collect()
    base = _reset_peak()
    run()
    out["peak_mib"] = _peak_mib(base)
    out.update({k: statistics.median(v) for k, v in times.items()})
    out["total"] = sum(out.get(k, 0.0) for k in ("compile", "build", "handoff"))
    out["repeats"] = repeats
    return out


def measure_solve(kind: Kind, size: str, backend: str, time_limit: float,
                  repeats: int) -> dict[str, Any]:
    """The product's solve of one scenario on one backend (median times of ``repeats``)."""
    t0 = time.perf_counter()
    scenario = scenario_for(kind, size)
    load = time.perf_counter() - t0
    opts = solve_options(backend, time_limit=time_limit, threads=1, seed=0)
    runs: list[dict[str, Any]] = []
    for _ in range(repeats):
        if kind == "procurement":
            res = solve_procurement(scenario, opts, backend=backend)
            n = res.model_size or (None, None, None)
            runs.append({"build": res.build_seconds, "solve": res.solve_seconds,
                         "status": res.status, "objective": res.objective,
                         "bound": res.bound, "gap": res.gap, "evaluator_ok": res.evaluator_ok,
                         "cols": n[0], "rows": n[1], "nnz": n[2], "message": res.message})
        else:
            res = solve_logistics(scenario, opts, backend=backend)
            runs.append({"build": res.build_seconds, "solve": res.solve_seconds,
                         "status": res.status, "objective": res.objective,
                         "bound": res.bound, "gap": res.gap, "evaluator_ok": res.evaluator_ok,
                         "nnz": res.model_size[2] if res.model_size else None,
                         "message": res.message})
    out = dict(runs[-1])
    out["build"] = statistics.median(float(r["build"]) for r in runs)
    out["solve"] = statistics.median(float(r["solve"]) for r in runs)
    out["load"] = load
    out["repeats"] = repeats
    return out


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "build": measure_build,
    "solve": measure_solve,
    "orlib": orlib_instance,
    "linking": linking_run,
    "hard": hard_instance_run,
    "lp": lp_method_run,
    "sweep": sweep_run,
    "sharing": sharing_run,
    "sharing-reference": reference_run,
    "alliance": alliance_run,
    "e2e": end_to_end_run,
}
"""The ``task`` of a spec -> the function its other keys are passed to."""


def run_child(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its JSON result (or an ``error``).

    The child runs ``python -m benchmarks.measure`` in the repository root, so it
    imports this harness (which is not installed) from the checkout.
    """
    cmd = [sys.executable, "-m", "benchmarks.measure", json.dumps(spec)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              check=False, cwd=REPO_ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"no result within {timeout:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": f"exit code {done.returncode}: " + " | ".join(tail)}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def main(argv: list[str] | None = None) -> None:
    """Child entry point: one JSON spec in, one JSON line out."""
    spec = json.loads((argv or sys.argv[1:])[0])
    task = spec.pop("task")
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}")
    print(json.dumps(TASKS[task](**spec), default=str))


if __name__ == "__main__":
    main()

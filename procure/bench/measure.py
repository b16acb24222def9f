"""One measurement per child process: a build of one contender, or one solve.

The suite runs every measurement in a fresh interpreter (``python -m
procure.bench.measure SPEC``) so that peak memory belongs to that measurement
alone and a crashing solver cannot take the suite down. The child prints one
JSON line. Peak memory is the kernel's high-water mark of resident memory
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
from pathlib import Path
from typing import Any

from procure.bench.cases import DAYS, REINFORCEMENT, SAMPLE, SEED, SIZES, Kind
from procure.lp.model import ModelArrays
from procure.schema.scenario import Scenario


def scenario_for(kind: Kind, size: str) -> Scenario:
    """The generated scenario of a size label, or a named dataset."""
    from procure.io import load_scenario

    if size == "sample":
        return load_scenario(SAMPLE)
    if size == "reinforcement":
        return load_scenario(REINFORCEMENT)
    a, b, c, d = SIZES[kind][size]
    if kind == "procurement":
        from procure.generate import generate_alliance

        return generate_alliance(a, b, c, d, seed=SEED)
    from procure.logistics.generate import generate_network

    return generate_network(a, b, c, d, days=DAYS, seed=SEED)


def build_ours(kind: Kind, scenario: Scenario) -> tuple[float, float, ModelArrays]:
    """The product's build, timed in two parts: (compile s, build s, model)."""
    if kind == "procurement":
        from procure.procurement.compile import compile_scenario
        from procure.procurement.formulation import build

        t0 = time.perf_counter()
        compiled = compile_scenario(scenario)
        t1 = time.perf_counter()
        model = build(compiled).model
    else:
        from procure.logistics.formulation import build as build_movements
        from procure.logistics.network import compile_network

        t0 = time.perf_counter()
        network = compile_network(scenario)
        t1 = time.perf_counter()
        model = build_movements(network).model
    return t1 - t0, time.perf_counter() - t1, model


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
    import highspy
    import pulp  # noqa: F401  imported before any timing, for every contender

    from procure.backends.highs_model import pass_arrays
    from procure.bench.references import (
        floor_handoff,
        floor_lp_handoff,
        pulp_build,
        pulp_data,
        pulp_handoff,
    )

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
    from procure.backends.base import SolveOptions

    t0 = time.perf_counter()
    scenario = scenario_for(kind, size)
    load = time.perf_counter() - t0
    opts = SolveOptions(time_limit=time_limit, threads=1, seed=0)
    runs: list[dict[str, Any]] = []
    for _ in range(repeats):
        if kind == "procurement":
            from procure.procurement.solve import solve

            res = solve(scenario, solver=backend, options=opts)
            ev_ok = None if res.evaluation is None else res.evaluation.feasible
            n = res.model_size
            runs.append({"build": res.build_seconds, "solve": res.solve_seconds,
                         "status": str(res.status), "objective": res.objective,
                         "bound": res.bound, "gap": res.gap, "evaluator_ok": ev_ok,
                         "cols": n[0], "rows": n[1], "nnz": n[2], "message": res.message})
        else:
            from procure.logistics.solve import solve_movements

            mres = solve_movements(scenario, solver=backend, options=opts)
            ev = mres.evaluation
            runs.append({"build": mres.build_seconds, "solve": mres.solve_seconds,
                         "status": str(mres.status), "objective": mres.objective,
                         "bound": mres.bound, "gap": mres.gap,
                         "evaluator_ok": None if ev is None else ev.feasible,
                         "nnz": mres.model_size[2] if mres.model_size else None,
                         "message": mres.message})
    out = dict(runs[-1])
    out["build"] = statistics.median(float(r["build"]) for r in runs)
    out["solve"] = statistics.median(float(r["solve"]) for r in runs)
    out["load"] = load
    out["repeats"] = repeats
    return out


def run_child(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its JSON result (or an ``error``)."""
    cmd = [sys.executable, "-m", "procure.bench.measure", json.dumps(spec)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
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
    if task == "build":
        result = measure_build(**spec)
    elif task == "solve":
        result = measure_solve(**spec)
    elif task == "orlib":
        from procure.bench.instances import orlib_instance

        result = orlib_instance(**spec)
    elif task == "linking":
        from procure.bench.instances import linking_run

        result = linking_run(**spec)
    elif task == "hard":
        from procure.bench.instances import hard_instance_run

        result = hard_instance_run(**spec)
    elif task == "lp":
        from procure.bench.lp_methods import lp_method_run

        result = lp_method_run(**spec)
    else:
        raise ValueError(f"unknown task {task!r}")
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()

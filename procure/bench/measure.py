"""One measurement per child process: a build of one contender, or one solve.

The suite runs every measurement in a fresh interpreter (``python -m
procure.bench.measure SPEC``) so that peak memory belongs to that measurement
alone and a crashing solver cannot take the suite down. The child prints one
JSON line. Peak memory is the kernel's high-water mark of resident memory
(``VmHWM``), reset after the input is generated (``/proc/self/clear_refs``), minus
the resident memory at that point: what the build itself added at its peak.
"""

from __future__ import annotations

import contextlib
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
    """Reset the resident high-water mark; the resident KiB now."""
    gc.collect()
    with contextlib.suppress(OSError):  # not Linux, or not permitted: peak since start
        Path("/proc/self/clear_refs").write_text("5")
    return _status_kib("VmRSS")


def _peak_mib(base_kib: int) -> float:
    return max(_status_kib("VmHWM") - base_kib, 0) / 1024.0


def _size(model: ModelArrays) -> dict[str, int]:
    return {"cols": model.num_cols, "rows": model.num_rows, "nnz": model.num_nonzeros,
            "integer": int(model.integrality.sum())}


def measure_build(kind: Kind, size: str, contender: str, repeats: int) -> dict[str, Any]:
    """Median times of ``repeats`` builds of one contender (``ours``, ``floor``, ``pulp``)."""
    from procure.backends.highs_model import pass_arrays
    from procure.bench.references import floor_handoff, pulp_build, pulp_data, pulp_handoff

    scenario = scenario_for(kind, size)
    times: dict[str, list[float]] = {}

    def record(**parts: float) -> None:
        for key, value in parts.items():
            times.setdefault(key, []).append(value)

    if contender == "ours":
        import highspy

        base = _reset_peak()
        model = None
        for _ in range(repeats):
            model = None
            compile_s, build_s, model = build_ours(kind, scenario)
            t0 = time.perf_counter()
            h = highspy.Highs()  # the HiGHS backend's hand-off, up to run()
            h.setOptionValue("output_flag", False)
            h.setOptionValue("threads", 1)
            pass_arrays(h, model)
            record(compile=compile_s, build=build_s, handoff=time.perf_counter() - t0)
            del h
        assert model is not None
        out: dict[str, Any] = _size(model)
    else:
        _, _, model = build_ours(kind, scenario)
        out = _size(model)
        if contender == "floor":
            base = _reset_peak()
            for _ in range(repeats):
                t0 = time.perf_counter()
                h = floor_handoff(model)
                record(handoff=time.perf_counter() - t0)
                del h
        elif contender == "pulp":
            data = pulp_data(model)
            del model
            base = _reset_peak()
            for _ in range(repeats):
                t0 = time.perf_counter()
                prob = pulp_build(data)
                t1 = time.perf_counter()
                h = pulp_handoff(prob)
                record(build=t1 - t0, handoff=time.perf_counter() - t1)
                del prob, h
                gc.collect()
        else:
            raise ValueError(f"unknown contender {contender!r}")
    out.update({k: statistics.median(v) for k, v in times.items()})
    out["total"] = sum(out.get(k, 0.0) for k in ("compile", "build", "handoff"))
    out["peak_mib"] = _peak_mib(base)
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

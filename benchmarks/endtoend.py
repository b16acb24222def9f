"""End to end on the command line: ``procure import`` then ``procure solve`` against a
plain HiGHS script, each a fresh process, on the same CFLP file (benchmark section 9).

What a user times with a stopwatch: interpreter start-up, imports, reading, building,
solving and reporting, for

- *plain*: ``python -m benchmarks.plain_cflp FILE`` (numpy and highspy only: parse,
  build, solve, one line out), with the strong model and with the weak one
  (``--weak``); the faster of the two is the reference;
- *ours*: ``procure import orlib-cflp FILE -o S.yaml`` then ``procure solve S.yaml``
  (the console report; an imported CFLP runs no baseline by default).

Runs are interleaved and the medians kept. Afterwards one untimed ``procure solve
S.yaml --out DIR`` reads the product's status, objective and evaluator verdict from
``summary.json``. Every child runs with bytecode caching on (``PYTHONDONTWRITEBYTECODE``
removed) after one untimed warm-up, as an installed package would run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.cases import REPO_ROOT, orlib_data
from benchmarks.optima import hard_instance, optimum

CONTENDERS = ("plain-strong", "plain-weak", "ours")


def instance_file(name: str) -> tuple[Path, float | None, float]:
    """File, symbolic-capacity value and published optimum of an OR-Library or hard
    instance."""
    if name.startswith("cap") and not name.startswith("capa"):
        return orlib_data() / f"{name}.txt", None, optimum(name)
    return hard_instance(name)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _timed(cmd: list[str], timeout: float) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False,
                          cwd=REPO_ROOT, env=_env())
    return time.perf_counter() - t0, done


def _procure(*args: str) -> list[str]:
    return [sys.executable, "-m", "procure", *args]


def _fail(who: str, done: subprocess.CompletedProcess[str]) -> str:
    tail = (done.stderr or done.stdout).strip().splitlines()[-2:]
    return f"{who}: exit code {done.returncode}: " + " | ".join(tail)


def end_to_end_run(name: str, repeats: int, time_limit: float,
                   warm_up: bool = True) -> dict[str, Any]:
    """Section 9 on one instance: median wall seconds of each contender over
    ``repeats`` interleaved runs (``time_limit`` for every solve), the import and
    solve commands apart, and the product's answer checked against the optimum. With
    ``warm_up``, one untimed round first (the suite skips it on long instances, which
    run after short ones have warmed the caches)."""
    path, capacity, best = instance_file(name)
    cap = [] if capacity is None else ["--capacity", f"{capacity:g}"]
    limit = ["--time-limit", f"{time_limit:g}"]
    walls: dict[str, list[float]] = {c: [] for c in (*CONTENDERS, "import", "solve")}
    plain_answers: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="procure-e2e-") as tmp:
        scenario = Path(tmp) / f"{name}.yaml"
        first = 0 if warm_up else 1
        for rep in range(first, repeats + 1):  # round 0 warms the bytecode caches
            for who in CONTENDERS:
                if who == "ours":
                    scenario.unlink(missing_ok=True)
                    t_imp, done = _timed(_procure("import", "orlib-cflp", str(path), "-o",
                                                  str(scenario), *cap), time_limit)
                    if done.returncode != 0:
                        return {"instance": name, "error": _fail("procure import", done)}
                    t_sol, done = _timed(_procure("solve", str(scenario), *limit),
                                         time_limit * 2 + 120)
                    if done.returncode != 0:
                        return {"instance": name, "error": _fail("procure solve", done)}
                    if rep:
                        walls["import"].append(t_imp)
                        walls["solve"].append(t_sol)
                        walls["ours"].append(t_imp + t_sol)
                    continue
                cmd = [sys.executable, "-m", "benchmarks.plain_cflp", str(path), *cap,
                       *limit, *(["--weak"] if who == "plain-weak" else [])]
                wall, done = _timed(cmd, time_limit * 2 + 120)
                if done.returncode != 0:
                    return {"instance": name, "error": _fail(who, done)}
                plain_answers[who] = json.loads(done.stdout.strip().splitlines()[-1])
                if rep:
                    walls[who].append(wall)
        out_dir = Path(tmp) / "out"
        _, done = _timed(_procure("solve", str(scenario), *limit, "--out", str(out_dir)),
                         time_limit * 2 + 120)
        if done.returncode != 0:
            return {"instance": name, "error": _fail("procure solve --out", done)}
        joint = json.loads((out_dir / "summary.json").read_text())["procurement"]["joint"]
    med = {k: float(statistics.median(v)) for k, v in walls.items() if v}
    ours_obj = joint.get("objective")
    return {
        "instance": name, "optimum": best, "repeats": repeats, "time_limit": time_limit,
        "wall": med,
        "plain": {who: {"status": a["status"], "objective": a["objective"],
                        "seconds_in_script": a["seconds"],
                        "rel_err": abs(a["objective"] - best) / abs(best)}
                  for who, a in plain_answers.items()},
        "ours": {"status": joint.get("status"), "objective": ours_obj,
                 "evaluator_ok": joint.get("feasible_by_evaluator"),
                 "rel_err": None if ours_obj is None else abs(ours_obj - best) / abs(best)},
    }

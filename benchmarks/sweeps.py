"""Scenario sweeps on the local pool and on Dask: one sweep per child process, and the
comparison of their cases tables.

The suite runs the same spec three times, each in a fresh child
(:mod:`benchmarks.measure`) and into a fresh folder (:data:`RUNS`): the local pool with
1 and with 2 workers, and a Dask LocalCluster of 2 worker processes. :func:`sweep_run`
loads the spec (untimed), starts the Dask cluster first when asked (timed apart: its
start-up), runs the sweep and writes the cases table, without the columns that differ
between runs, beside the sweep's folder; :func:`compare_cases` compares those tables in
the suite's process, and :func:`summary` derives the speed-up and Dask's overhead.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.library import dask_pool, load_sweep_spec, run_sweep

RUNS: tuple[tuple[str, str, int], ...] = (
    ("local-1", "local", 1),
    ("local-2", "local", 2),
    ("dask-2", "dask", 2),
)
"""Each run of the sweep: its name, the executor and its workers."""

CASES_FILE = "cases.parquet"
"""The cases table a run leaves beside its sweep folder, for :func:`compare_cases`."""

TIMEOUT = 3600.0
"""Seconds one run (one child) may take before it counts as an error."""


def sweep_run(spec: str, executor: str, workers: int, folder: str) -> dict[str, Any]:
    """One sweep of ``spec`` (in a child): ``executor`` ``local`` or ``dask`` with
    ``workers``, into ``folder/sweep``; the cases table (volatile columns dropped) goes
    to ``folder/cases.parquet``. ``startup_seconds``: the Dask cluster's start-up
    (None locally); ``seconds``: the sweep itself (case expansion, every case, storing,
    combining; for Dask also closing the cluster); ``failed``: the cases not solved
    (failed twice, invalid or not run); ``unproven``: solved cases with a solve not
    proven optimal."""
    load_start = list(os.getloadavg())
    sweep_spec, base = load_sweep_spec(Path(spec))
    root = Path(folder)
    startup = None
    pool: Any = executor  # "local", or the Dask cluster started here
    if executor == "dask":
        t0 = time.perf_counter()
        pool = dask_pool(workers)
        startup = time.perf_counter() - t0
    t0 = time.perf_counter()
    try:
        rec = run_sweep(sweep_spec, base, executor=pool, workers=workers, out=root / "sweep")
    finally:
        if not isinstance(pool, str):  # the caller's pool: closed here, inside the timing
            pool.close()
    seconds = time.perf_counter() - t0
    rec.cases.to_parquet(root / CASES_FILE)
    n = len(rec.outcomes)
    solved = rec.outcomes.count("solved")
    each = rec.case_seconds
    return {"executor": executor, "workers": workers, "startup_seconds": startup,
            "seconds": seconds, "cases": n, "solved": solved, "failed": n - solved,
            "cases_per_minute": 60.0 * n / seconds if seconds > 0 else None,
            "case_seconds_sum": sum(each),
            "case_seconds_median": statistics.median(each) if each else None,
            "unproven": list(rec.unproven),
            "load_average": load_start, "load_average_end": list(os.getloadavg())}


def compare_cases(tables: dict[str, Path]) -> dict[str, Any]:
    """Whether every run's cases table (by run name) is identical to the first one's:
    ``identical``, the ``differing`` columns, the ``differing_cases`` (case numbers) and
    the runs ``missing`` a table."""
    frames = {name: pd.read_parquet(path) for name, path in tables.items() if path.is_file()}
    missing = [name for name in tables if name not in frames]
    differing: list[str] = []
    cases: set[int] = set()
    first = next(iter(frames.values()), None)
    for frame in frames.values():
        assert first is not None
        if list(frame.columns) != list(first.columns) or len(frame) != len(first):
            shape = "(the columns or the number of cases)"
            differing += [] if shape in differing else [shape]
            continue
        for c in first.columns:
            if first[c].equals(frame[c]):
                continue
            differing += [] if c in differing else [c]
            other = ~((first[c] == frame[c]) | (first[c].isna() & frame[c].isna()))
            cases |= {int(x) for x in first.loc[other, "case"]} if "case" in first else set()
    return {"identical": bool(frames) and not missing and not differing,
            "differing": differing, "differing_cases": sorted(cases), "missing": missing}


def summary(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """From the runs by name: the speed-up of 2 local workers over 1 (cases per minute)
    and Dask's overhead per case against the local pool at 2 workers, without and with
    the cluster's start-up (None where a run failed)."""
    one, two, dask = (runs.get(name, {}) for name, _, _ in RUNS)
    out: dict[str, Any] = {"speedup": None, "dask_overhead_per_case": None,
                           "dask_overhead_per_case_with_startup": None}
    if "seconds" in one and "seconds" in two and two["seconds"] > 0:
        out["speedup"] = one["seconds"] / two["seconds"]
    if "seconds" in two and "seconds" in dask and dask.get("cases"):
        extra = dask["seconds"] - two["seconds"]
        out["dask_overhead_per_case"] = extra / dask["cases"]
        out["dask_overhead_per_case_with_startup"] = (
            extra + (dask.get("startup_seconds") or 0.0)) / dask["cases"]
    return out

"""The benchmark suite: every measurement of a profile, in one run, to one results file.

``run_suite(profile, out_dir)`` runs, each in its own child process
(:mod:`benchmarks.measure`):

1. the build sweep: for each model and size, the product's build (compile,
   build, hand-off to HiGHS), the floor (the same arrays to ``passModel``) and
   the idiomatic PuLP model (build, and PuLP's hand-off to HiGHS), with peak
   memory; scaling exponents are fitted over the sizes from 1e5 nonzeros up;
2. the backend comparison: every available backend solves each generated size
   and the named scenarios (sample alliance, reinforcement) under the profile's
   time limit: build and solve time, status, objective, bound, gap, evaluator;
3. OR-Library ``cap*``: product against the direct HiGHS model (total time), and
   the product's strong against weak linking (the formulation choice);
4. hard CFLP instances: proof time, product against the plain HiGHS models;
5. LP methods on the movement model's LP relaxation;
6. a scenario sweep on the local pool (1 and 2 workers) and on a Dask LocalCluster
   (2 workers, its start-up timed apart), each run into a fresh folder; whether the
   three cases tables are identical;
7. burden sharing: the alliance's cost game (the sample alliance) on the local pool and
   on a Dask LocalCluster (2 workers each): the joint plan, the stand-alone and
   leave-one-out values, the sampled Shapley value, the least core and the nucleolus,
   timed, and whether both pools give the same answers; and a generated alliance small
   enough to enumerate, its least core and nucleolus by enumeration and by the
   separation MILP (:mod:`benchmarks.sharing`);
8. alliance-scale solves: the sample alliance, NATO-sized generated alliances and the
   80-member model, today's path against the relaxation start, on 1 and 2 threads
   (:mod:`benchmarks.alliance`).

Results go to ``results.json`` (everything) and ``RESULTS.md`` (tables and
findings) in ``out_dir``; both are written atomically at the end. Each section's
``measured`` entry says when it ran, at which commit and load. With ``merge_into``
(the results already in ``out_dir``), the sections measured replace theirs and the
others are kept (:func:`merge_results`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.alliance import CONTENDERS as ALLIANCE_CONTENDERS
from benchmarks.alliance import PLANS as ALLIANCE_PLANS
from benchmarks.cases import PROFILES, REPO_ROOT, SIZES, SWEEPS, Kind, Profile, orlib_data
from benchmarks.library import available_backends, backend_version
from benchmarks.lp_methods import METHODS
from benchmarks.measure import run_child
from benchmarks.report import measured_entries, render_markdown
from benchmarks.sharing import (
    ORACLES,
    PLANS,
    REFERENCE_TIMEOUT,
    alliance_label,
    compare_reference,
    compare_runs,
)
from benchmarks.sharing import RUNS as SHARING_RUNS
from benchmarks.sharing import TIMEOUT as SHARING_TIMEOUT
from benchmarks.sweeps import CASES_FILE, RUNS, TIMEOUT, compare_cases, summary
from benchmarks.targets import SCALING_FROM_NNZ

KINDS: tuple[Kind, ...] = ("procurement", "logistics")
Log = Callable[[str], None]


def machine() -> dict[str, Any]:
    """Cores, memory, CPU, load and library versions of this run."""
    mem_kib = 0
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = _versions(("procure", "highspy", "ortools", "pulp", "numpy", "scipy",
                          "pydantic", "pandas"))
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 2**20, 1),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "backends": {name: backend_version(name) for name in available_backends()},
        "load_average": list(os.getloadavg()),
        "commit": _git_commit(),
    }


def _versions(dists: tuple[str, ...]) -> dict[str, str]:
    """The installed version of each distribution ("not installed" if absent)."""
    versions = {}
    for dist in dists:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


def _git_commit() -> str:
    """The checkout's commit, and whether ``procure/`` has uncommitted changes."""
    root = REPO_ROOT
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "procure"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes in procure/" if dirty else "")


def fit_exponent(nnz: list[float], values: list[float]) -> float | None:
    """Least-squares slope of log(value) against log(nnz) (None with fewer than 2 points)."""
    pts = [(math.log(n), math.log(v)) for n, v in zip(nnz, values, strict=True) if v > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return None if sxx == 0 else sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx


def _repeats(profile: Profile, nnz: int) -> int:
    if nnz > 5_000_000:
        return 1
    return min(profile.build_repeats, 3) if nnz > 500_000 else profile.build_repeats


def build_sweep(profile: Profile, log: Log) -> dict[str, Any]:
    """Ours, floor and PuLP at every build size of both models."""
    out: dict[str, Any] = {}
    for kind in KINDS:
        rows = []
        for size in profile.build_sizes:
            probe = run_child({"task": "build", "kind": kind, "size": size,
                               "contender": "floor", "repeats": 1}, timeout=1800)
            nnz = int(probe.get("nnz", 0))
            reps = _repeats(profile, nnz)
            row: dict[str, Any] = {"size": size, "params": SIZES[kind][size]}
            for contender in ("ours", "floor", "floor-lp", "pulp"):
                if contender == "pulp" and nnz > profile.pulp_max_nnz:
                    row[contender] = {"skipped": f"above {profile.pulp_max_nnz} nonzeros"}
                    continue
                r = reps if contender != "pulp" else max(1, min(reps, 3 if nnz < 10**5 else 1))
                row[contender] = run_child({"task": "build", "kind": kind, "size": size,
                                            "contender": contender, "repeats": r},
                                           timeout=3600)
                log(f"build {kind}/{size} {contender}: {_brief(row[contender])}")
            ours, floor, pulp = row["ours"], row["floor"], row["pulp"]
            if "total" in ours and "total" in floor:
                row["ours_over_floor"] = ours["total"] / floor["total"]
            if "total" in ours and "total" in row["floor-lp"]:
                row["ours_over_floor_lp"] = ours["total"] / row["floor-lp"]["total"]
            if "total" in ours and "total" in pulp:
                row["pulp_over_ours"] = pulp["total"] / ours["total"]
                row["pulp_build_over_ours_build"] = pulp["build"] / (ours["compile"]
                                                                     + ours["build"])
            rows.append(row)
        big = [r for r in rows
               if r["ours"].get("nnz", 0) >= SCALING_FROM_NNZ and "total" in r["ours"]]
        sizes = [float(r["ours"]["nnz"]) for r in big]
        out[kind] = {
            "rows": rows,
            "time_exponent": fit_exponent(sizes, [r["ours"]["total"] for r in big]),
            "memory_exponent": fit_exponent(sizes, [r["ours"]["peak_mib"] for r in big]),
        }
    return out


def _brief(r: dict[str, Any]) -> str:
    if "error" in r or "skipped" in r:
        return str(r.get("error") or r.get("skipped"))
    return (f"nnz {r.get('nnz')}, total {r.get('total', 0):.4g} s, "
            f"peak {r.get('peak_mib', 0):.0f} MiB")


def backend_matrix(profile: Profile, log: Log) -> list[dict[str, Any]]:
    """Every available backend on every solve size and named scenario."""
    names = available_backends()
    cases: list[tuple[Kind, str, float]] = [
        (kind, size, profile.solve_limit) for kind in KINDS for size in profile.solve_sizes]
    if "sample" in profile.named:
        cases.append(("procurement", "sample", profile.named_limit))
    if "reinforcement" in profile.named:
        cases.append(("logistics", "reinforcement", profile.named_limit))
    rows = []
    for kind, size, limit in cases:
        for backend in names:
            r = run_child({"task": "solve", "kind": kind, "size": size, "backend": backend,
                           "time_limit": limit, "repeats": profile.solve_repeats},
                          timeout=limit * profile.solve_repeats * 3 + 600)
            r.update({"kind": kind, "size": size, "backend": backend, "time_limit": limit})
            log(f"solve {kind}/{size} {backend}: {r.get('status', r.get('error'))} "
                f"{r.get('solve', 0):.3g} s")
            rows.append(r)
    return rows


def _each_orlib(task: str, profile: Profile, log: Log,
                first: str, second: str) -> list[dict[str, Any]]:
    """Run ``task`` on every OR-Library instance of the profile; log two totals."""
    rows = []
    for name in profile.orlib:
        r = run_child({"task": task, "name": name, "repeats": profile.orlib_repeats,
                       "time_limit": 600.0}, timeout=3600)
        one, two = r.get(first, {}), r.get(second, {})
        log(f"{task} {name}: {first} {one.get('total', one.get('solve'))} s, "
            f"{second} {two.get('total', two.get('solve'))} s")
        rows.append(r)
    return rows


def orlib_rows(profile: Profile, log: Log) -> list[dict[str, Any]]:
    """The product against the direct HiGHS model on the OR-Library instances."""
    return _each_orlib("orlib", profile, log, "ours", "direct")


def linking_rows(profile: Profile, log: Log) -> list[dict[str, Any]]:
    """Strong against weak linking (2a) in the product, on the OR-Library instances."""
    return _each_orlib("linking", profile, log, "strong", "weak")


def hard_rows(profile: Profile, log: Log) -> list[dict[str, Any]]:
    """Proof attempts on the hard CFLP instances: both plain models, then ours."""
    rows = []
    for name in profile.hard:
        for contender in ("plain-weak", "plain-strong", "ours"):
            r = run_child({"task": "hard", "name": name, "contender": contender,
                           "time_limit": profile.hard_limit}, timeout=profile.hard_limit + 900)
            r.setdefault("instance", name)
            r.setdefault("contender", contender)
            log(f"hard {name} {contender}: {r.get('status', r.get('error'))} "
                f"{r.get('time', 0):.1f} s")
            rows.append(r)
    return rows


def lp_rows(profile: Profile, log: Log) -> list[dict[str, Any]]:
    """Every LP method on the movement model's LP relaxation at the profile's size."""
    if profile.lp_size is None:
        return []
    rows = []
    for method in METHODS:
        r = run_child({"task": "lp", "kind": "logistics", "size": profile.lp_size,
                       "method": method, "time_limit": profile.lp_limit},
                      timeout=profile.lp_limit * 3 + 600)
        r.setdefault("method", method)
        r["size"] = profile.lp_size
        log(f"lp {profile.lp_size} {method}: {r.get('status', r.get('error'))} "
            f"{r.get('seconds', 0):.3g} s")
        rows.append(r)
    return rows


def sweep_runs(profile: Profile, log: Log) -> dict[str, Any]:
    """The profile's sweep on the local pool (1, 2 workers) and on Dask (2 workers), each
    in a child and a fresh folder; the speed-up, Dask's overhead per case, and whether
    the three cases tables are identical."""
    if profile.sweep is None:
        return {}
    spec = SWEEPS / profile.sweep
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        tables = {}
        for name, executor, workers in RUNS:
            folder = Path(tmp) / name
            folder.mkdir()
            r = run_child({"task": "sweep", "spec": str(spec), "executor": executor,
                           "workers": workers, "folder": str(folder)}, timeout=TIMEOUT)
            r.update({"run": name, "executor": executor, "workers": workers})
            startup = r.get("startup_seconds")
            log(f"sweep {profile.sweep} {name}: "
                + (str(r["error"]) if "error" in r else
                   f"{r['cases']} cases ({r['solved']} solved) in {r['seconds']:.1f} s"
                   + ("" if startup is None else f" after {startup:.1f} s start-up")))
            runs[name] = r
            tables[name] = folder / CASES_FILE
        same = compare_cases(tables)
    first = next((r for r in runs.values() if "cases" in r), {})
    return {"spec": str(spec.relative_to(REPO_ROOT)), "runs": list(runs.values()),
            "cases": first.get("cases"), "solved": first.get("solved"),
            "failed": first.get("failed"), **same, **summary(runs),
            "versions": _versions(("dask", "distributed", "pandas", "pyarrow"))}


def _steps(r: dict[str, Any]) -> str:
    """A game run's steps in one log line: seconds each, then the coalitions solved."""
    if "error" in r:
        return str(r["error"])
    parts = [f"grand {r['grand_seconds']:.1f} s"]
    for step in ("standalone", "shapley", "least_core", "nucleolus"):
        if step in r:
            parts.append(f"{step} " + (f"error ({r[step]['error']})" if "error" in r[step]
                                       else f"{r[step]['seconds']:.1f} s"))
    return (", ".join(parts) + f"; {r.get('coalitions')} coalitions, {r.get('milps')} "
            "separation MILPs")


def sharing_runs(profile: Profile, log: Log) -> dict[str, Any]:
    """The alliance's cost game on the local pool and on Dask (2 workers each), each in
    a child; whether their answers are identical and Dask's time over the local pool's.
    Then the reference: a generated alliance's least core and nucleolus by enumeration
    and by the separation MILP, each in a child; whether they agree and the ratios."""
    plan = PLANS.get(profile.name)
    if plan is None:
        return {}
    alliance = plan.alliance if isinstance(plan.alliance, str) else list(plan.alliance)
    runs: dict[str, dict[str, Any]] = {}
    for name, executor, workers in SHARING_RUNS:
        r = run_child({"task": "sharing", "alliance": alliance, "seed": plan.alliance_seed,
                       "executor": executor, "workers": workers, "samples": plan.samples},
                      timeout=SHARING_TIMEOUT)
        r.update({"run": name, "executor": executor, "workers": workers})
        startup = r.get("startup_seconds")
        log(f"sharing {name}: {_steps(r)}"
            + ("" if startup is None else f"; after {startup:.1f} s start-up"))
        runs[name] = r
    reference: dict[str, dict[str, Any]] = {}
    for oracle in ORACLES:
        r = run_child({"task": "sharing-reference", "params": list(plan.reference),
                       "seed": plan.reference_seed, "oracle": oracle, "workers": 2},
                      timeout=REFERENCE_TIMEOUT)
        r.update({"oracle": oracle})
        log(f"sharing reference {oracle}: {_steps(r)}")
        reference[oracle] = r
    return {"alliance": alliance_label(plan.alliance, plan.alliance_seed),
            "samples": plan.samples, "runs": list(runs.values()), **compare_runs(runs),
            "reference": {"alliance": alliance_label(plan.reference, plan.reference_seed),
                          "runs": list(reference.values()), **compare_reference(reference)},
            "versions": _versions(("dask", "distributed"))}


def alliance_rows(profile: Profile, log: Log) -> dict[str, Any]:
    """Section 8: every case of the profile's plan by every contender, in fresh children."""
    plan = ALLIANCE_PLANS.get(profile.name)
    if plan is None:
        return {"rows": []}
    rows = []
    for case, params, seed in plan.cases:
        for contender in ALLIANCE_CONTENDERS:
            r = run_child({"task": "alliance", "case": case,
                           "params": None if params is None else list(params), "seed": seed,
                           "contender": contender, "time_limit": plan.limit},
                          timeout=plan.limit * 3 + 300)
            r.setdefault("case", case)
            r.setdefault("seed", seed)
            r.setdefault("contender", contender)
            log(f"alliance {case} seed {seed} {contender}: {r.get('status', r.get('error'))} "
                f"{r.get('wall', 0):.1f} s, gap on cost {r.get('gap_on_cost')}")
            rows.append(r)
    return {"limit": plan.limit, "rows": rows}


def cli_rows(profile: Profile, log: Log) -> list[dict[str, Any]]:
    """End to end on the command line (section 9): every OR-Library instance of the
    profile, then cfl-200x200-s0 when the profile proves hard instances."""
    rows = []
    names = [*profile.orlib, *(n for n in profile.hard if n == "cfl-200x200-s0")]
    for name in names:
        hard = name in profile.hard
        limit = profile.hard_limit if hard else 600.0
        r = run_child({"task": "e2e", "name": name, "repeats": 1 if hard else
                       max(profile.orlib_repeats, 1), "time_limit": limit,
                       "warm_up": not hard}, timeout=limit * 8 + 600)
        r.setdefault("instance", name)
        wall = r.get("wall") or {}
        log(f"e2e {name}: ours {wall.get('ours')} s, plain {wall.get('plain-strong')} / "
            f"{wall.get('plain-weak')} s" if "error" not in r else f"e2e {name}: {r['error']}")
        rows.append(r)
    return rows


SECTIONS: dict[str, Callable[[Profile, Log], Any]] = {
    "build": build_sweep,
    "solve": backend_matrix,
    "orlib": orlib_rows,
    "linking": linking_rows,
    "hard": hard_rows,
    "lp": lp_rows,
    "sweep": sweep_runs,
    "sharing": sharing_runs,
    "alliance": alliance_rows,
    "cli": cli_rows,
}


def run_suite(profile_name: str, out_dir: Path, *, sections: tuple[str, ...] | None = None,
              log: Log = print, merge_into: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a profile and write ``results.json`` and ``RESULTS.md`` to ``out_dir``; with
    ``merge_into`` (results read by :func:`read_results`), the sections measured replace
    theirs in it and its other sections are kept (:func:`merge_results`). Returns what
    was written."""
    profile = PROFILES[profile_name]
    chosen = sections or tuple(SECTIONS)
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown section(s) {unknown}; choose from {list(SECTIONS)}")
    needs_data = {"orlib", "linking", "hard", "cli"} & set(chosen)
    if needs_data and not orlib_data().is_dir():
        log(f"no public instances at {orlib_data()}: skipping {sorted(needs_data)}")
        chosen = tuple(s for s in chosen if s not in needs_data)
    if "sweep" in chosen and (profile.sweep is None or not (SWEEPS / profile.sweep).is_file()):
        log(f"no sweep spec {SWEEPS / str(profile.sweep)}: skipping ['sweep']")
        chosen = tuple(s for s in chosen if s != "sweep")
    if "sharing" in chosen and profile.name not in PLANS:
        log(f"no burden-sharing plan for the profile {profile.name}: skipping ['sharing']")
        chosen = tuple(s for s in chosen if s != "sharing")
    t0 = time.perf_counter()
    started = _now()
    results: dict[str, Any] = {
        "profile": profile.__dict__,
        "started": started,
        "machine": machine(),
        "sections": list(chosen),
        "measured": {},
    }
    for name in chosen:
        entry: dict[str, Any] = {"run": started, "started": _now(), "profile": profile.name,
                                 "commit": results["machine"]["commit"],
                                 "load_average": list(os.getloadavg())}
        s0 = time.perf_counter()
        results[name] = SECTIONS[name](profile, log)
        entry.update(wall_seconds=time.perf_counter() - s0,
                     load_average_end=list(os.getloadavg()))
        results["measured"][name] = entry
    results["wall_seconds"] = time.perf_counter() - t0
    results["load_average_end"] = list(os.getloadavg())
    if merge_into is not None:
        results = merge_results(merge_into, results)
    _write_both(out_dir, {"results.json": json.dumps(results, indent=1, default=str),
                          "RESULTS.md": render_markdown(results)})
    return results


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def read_results(results_json: Path) -> dict[str, Any]:
    """Saved results (``results.json``); ValueError when they are not a run's results."""
    results = json.loads(results_json.read_text())
    if not isinstance(results, dict) or not {"profile", "started", "machine",
                                             "sections"} <= set(results):
        raise ValueError("not the results of a run (profile, started, machine, sections)")
    return results


def merge_results(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``old`` with the sections of ``new`` replacing theirs; the others kept, each with
    its ``measured`` entry. The run-wide fields (date, machine, profile, wall time) stay
    those of ``old`` unless ``new`` replaces every section of it."""
    kept = [s for s in old["sections"] if s not in new["sections"]]
    if not kept:
        return new
    out = dict(old)
    before = measured_entries(old)
    for name in new["sections"]:
        out[name] = new[name]
    order = [s for s in SECTIONS if s in kept or s in new["sections"]]
    order += [s for s in kept if s not in order]
    out["sections"] = order
    out["measured"] = {s: new["measured"][s] if s in new["sections"] else before[s]
                       for s in order}
    return out


def render_results(results_json: Path, out_dir: Path) -> None:
    """Rewrite ``RESULTS.md`` (and a copy of the results) from a saved ``results.json``,
    without measuring anything: for a change to the report's wording."""
    results = json.loads(results_json.read_text())
    _write_both(out_dir, {"results.json": json.dumps(results, indent=1, default=str),
                          "RESULTS.md": render_markdown(results)})


def _write_both(out_dir: Path, files: dict[str, str]) -> None:
    """Write every file to a temporary name first, then rename them into place."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = {name: out_dir / f".{name}.tmp" for name in files}
    try:
        for name, text in files.items():
            tmp[name].write_text(text)
        for name in files:
            os.replace(tmp[name], out_dir / name)
    finally:
        for path in tmp.values():
            path.unlink(missing_ok=True)

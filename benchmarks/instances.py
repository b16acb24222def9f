"""Public CFLP instances: the product's scenario path against a direct HiGHS model.

- OR-Library ``cap41``-``cap74``: total time (parse + load + build + solve) of the
  product (``import_cflp`` -> ``solve``) against the plain strong-linking model
  of the same formulation written straight against highspy
  (:mod:`benchmarks.cflp`; parse + arrays + ``passModel`` + ``run``), repeats
  interleaved, medians; objectives checked against the published optima.
- hard instances (``cfl-200x200-s0``, ``capa`` at capacity 8000): time to a proof
  of optimality, product against both plain models (weak: capacity rows only;
  strong: with ``x_ij <= y_i``), one run each under a time limit.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from benchmarks.cases import orlib_data
from benchmarks.cflp import solve_plain, solve_product
from benchmarks.library import read_cflp
from benchmarks.optima import hard_instance, optimum


def _rel_err(objective: float | None, best: float) -> float | None:
    return None if objective is None else abs(objective - best) / abs(best)


def _plain_status(r: dict[str, Any]) -> str:
    """HiGHS' status text in the product's words (``optimal`` only when proven)."""
    if r["status"] == "Optimal":
        return "optimal"
    return "feasible" if r["objective"] is not None else "limit"


def orlib_instance(name: str, repeats: int, time_limit: float) -> dict[str, Any]:
    """Product vs direct model on one OR-Library instance (medians of interleaved runs)."""
    path = orlib_data() / f"{name}.txt"
    best = optimum(name)
    direct: list[dict[str, Any]] = []
    ours: list[dict[str, Any]] = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        inst = read_cflp(path)
        parse = time.perf_counter() - t0
        d = solve_plain(inst, time_limit=time_limit)
        d["parse_seconds"] = parse
        d["total"] = parse + d["build_seconds"] + d["solve_seconds"]
        direct.append(d)
        p = solve_product(str(path), None, time_limit=time_limit)
        p["total"] = p["load_seconds"] + p["build_seconds"] + p["solve_seconds"]
        ours.append(p)

    def med(runs: list[dict[str, Any]], key: str) -> float:
        return float(statistics.median(r[key] for r in runs))

    return {
        "instance": name,
        "optimum": best,
        "repeats": repeats,
        "direct": {"parse": med(direct, "parse_seconds"), "build": med(direct, "build_seconds"),
                   "solve": med(direct, "solve_seconds"), "total": med(direct, "total"),
                   "status": _plain_status(direct[-1]), "objective": direct[-1]["objective"],
                   "rel_err": _rel_err(direct[-1]["objective"], best)},
        "ours": {"load": med(ours, "load_seconds"), "build": med(ours, "build_seconds"),
                 "solve": med(ours, "solve_seconds"), "total": med(ours, "total"),
                 "status": ours[-1]["status"], "objective": ours[-1]["objective"],
                 "rel_err": _rel_err(ours[-1]["objective"], best),
                 "evaluator_ok": ours[-1]["feasible"]},
    }


def linking_run(name: str, repeats: int, time_limit: float) -> dict[str, Any]:
    """The product on one OR-Library instance with strong and with weak linking (2a)."""
    path = orlib_data() / f"{name}.txt"
    best = optimum(name)
    out: dict[str, Any] = {"instance": name, "repeats": repeats}
    runs: dict[str, list[dict[str, Any]]] = {"strong": [], "weak": []}
    for _ in range(repeats):
        for variant in runs:
            runs[variant].append(solve_product(str(path), None, time_limit=time_limit,
                                               strong_linking=variant == "strong"))
    for variant, rs in runs.items():
        out[variant] = {"solve": float(statistics.median(r["solve_seconds"] for r in rs)),
                        "status": rs[-1]["status"], "objective": rs[-1]["objective"],
                        "rel_err": _rel_err(rs[-1]["objective"], best),
                        "rows": rs[-1]["size"][1]}
    return out


def hard_instance_run(name: str, contender: str, time_limit: float) -> dict[str, Any]:
    """One proof attempt: ``contender`` is ``plain-weak``, ``plain-strong`` or ``ours``."""
    path, capacity, best = hard_instance(name)
    if contender == "ours":
        r = solve_product(str(path), capacity, time_limit=time_limit)
        r["time"] = r["build_seconds"] + r["solve_seconds"]
        r["evaluator_ok"] = r.get("feasible")
    else:
        r = solve_plain(read_cflp(path, capacity), time_limit=time_limit,
                        strong=contender == "plain-strong")
        r["time"] = r["build_seconds"] + r["solve_seconds"]
        r["status"] = _plain_status(r)
    r["rel_err"] = _rel_err(r.get("objective"), best)
    r["optimum"] = best
    r["contender"] = contender
    r["instance"] = name
    return r

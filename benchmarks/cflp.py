"""The plain HiGHS reference for capacitated facility location (CFLP), in process.

The textbook model (:mod:`benchmarks.plain_cflp`, where it is written out) timed
against the product's scenario -> compile -> build -> solve path in one process:
:func:`solve_plain` and :func:`solve_product`.

``python -m benchmarks.cflp FILE`` runs the plain model and the product back to back
(see :func:`main`).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import time
from pathlib import Path
from typing import Any

from benchmarks.library import (
    CflpInstance,
    import_cflp,
    read_cflp,
    solve_options,
    solve_procurement,
)
from benchmarks.plain_cflp import plain_highs_model


def solve_plain(
    inst: CflpInstance,
    *,
    time_limit: float | None,
    threads: int = 1,
    seed: int = 0,
    mip_gap: float = 1e-6,
    strong: bool = True,
    verbose: bool = False,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build and solve the plain model; times and results as a flat dict.

    Keys: ``build_seconds`` (arrays + ``passModel``), ``solve_seconds`` (``run()``),
    ``cpu_seconds`` (process CPU time of both: steadier than wall clock on a shared
    machine),
    ``status`` (HiGHS model status text), ``objective``, ``bound``, ``gap`` (relative,
    ``|obj - bound| / |obj|``), ``nodes``, ``size`` (columns, rows, nonzeros).
    """
    c0 = time.process_time()
    t0 = time.perf_counter()
    h = plain_highs_model(inst, strong=strong)
    build = time.perf_counter() - t0
    h.setOptionValue("output_flag", bool(verbose))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", int(seed))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    for key, value in (extra or {}).items():
        h.setOptionValue(key, value)
    t1 = time.perf_counter()
    h.run()
    solve = time.perf_counter() - t1
    cpu = time.process_time() - c0
    info = h.getInfo()
    has_x = int(info.primal_solution_status) == 2
    obj = float(info.objective_function_value) if has_x else None
    b = float(info.mip_dual_bound)
    bound = b if math.isfinite(b) else None
    gap = (abs(obj - bound) / max(abs(obj), 1e-9)
           if obj is not None and bound is not None else None)
    lp = h.getLp()
    return {
        "build_seconds": build,
        "solve_seconds": solve,
        "cpu_seconds": cpu,
        "status": h.modelStatusToString(h.getModelStatus()),
        "objective": obj,
        "bound": bound,
        "gap": gap,
        "nodes": int(info.mip_node_count),
        "size": (int(lp.num_col_), int(lp.num_row_), int(lp.a_matrix_.index_.__len__())),
    }


def solve_product(path: str, capacity: float | None, *, time_limit: float | None,
                  threads: int = 1, seed: int = 0, mip_gap: float = 1e-6,
                  verbose: bool = False, extra: dict[str, Any] | None = None,
                  warm_start: bool | None = None, strong_linking: bool = True
                  ) -> dict[str, Any]:
    """The product path on the same instance: ``import_cflp`` then ``solve``.

    ``load_seconds`` (parse + pydantic) is reported apart from ``build_seconds``
    (compile + build) and ``solve_seconds`` (the backend, hand-off and start heuristic
    included); ``cpu_seconds`` is the process CPU time of build + solve. ``extra``
    holds HiGHS options.
    """
    t0 = time.perf_counter()
    scenario = import_cflp(path, capacity)
    load = time.perf_counter() - t0
    opts = solve_options("highs", time_limit=time_limit, threads=threads, seed=seed,
                         mip_gap=mip_gap, verbose=verbose, solver_options=extra)
    c0 = time.process_time()
    res = solve_procurement(scenario, opts, strong_linking=strong_linking,
                            warm_start=warm_start)
    cpu = time.process_time() - c0
    return {
        "load_seconds": load,
        "build_seconds": res.build_seconds,
        "solve_seconds": res.solve_seconds,
        "cpu_seconds": cpu,
        "status": res.status,
        "objective": res.objective,
        "bound": res.bound,
        "gap": res.gap,
        "size": res.model_size,
        "feasible": res.evaluator_ok,
        "total_cost": res.total_cost,
        "message": res.message,
    }


def log_nodes(log: Path) -> int | None:
    """The branch-and-bound node count in a HiGHS log (its MIP summary), if any."""
    found = re.findall(r"^\s*Nodes\s+(\d+)", log.read_text(errors="replace"), re.M)
    return int(found[-1]) if found else None


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.cflp FILE [--capacity C] [--time-limit S] [--only ...]``:
    plain and product back to back in one process, one JSON line per contender."""
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("path")
    ap.add_argument("--capacity", type=float, default=None)
    ap.add_argument("--time-limit", type=float, default=900.0)
    ap.add_argument("--only", nargs="*", default=["plain", "product"],
                    help="contenders in order: plain, plain-weak, product, product-weak, "
                         "product-nostart (warm_start=False), product-start (True)")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--extra", default="{}", help="HiGHS options as JSON, for every contender")
    ap.add_argument("--log-dir", default=None,
                    help="write each contender's HiGHS log there (node counts are read back)")
    args = ap.parse_args(argv)
    for who in args.only:
        extra = json.loads(args.extra)
        log = None
        if args.log_dir:
            stem = Path(args.path).stem + ("" if args.capacity is None else f"-{args.capacity:g}")
            log = Path(args.log_dir) / f"{stem}-{who}.log"
            log.unlink(missing_ok=True)
            extra.update(output_flag=True, log_to_console=False, log_file=str(log))
        if who.startswith("plain"):
            t0 = time.perf_counter()
            inst = read_cflp(args.path, args.capacity)
            load = time.perf_counter() - t0
            out = solve_plain(inst, time_limit=args.time_limit, strong=who == "plain",
                              verbose=args.verbose, extra=extra)
            out["load_seconds"] = load
        else:
            start = {"product-nostart": False, "product-start": True}.get(who)
            out = solve_product(args.path, args.capacity, time_limit=args.time_limit,
                                verbose=args.verbose, extra=extra, warm_start=start,
                                strong_linking=who != "product-weak")
        if log is not None:
            out["nodes"] = log_nodes(log)
            out["log"] = str(log)
        out["contender"] = who
        out["instance"] = args.path if args.capacity is None else f"{args.path}@{args.capacity:g}"
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()

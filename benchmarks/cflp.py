"""The plain HiGHS reference for capacitated facility location (CFLP).

The textbook model written straight against highspy's array API, the yardstick that
the product's scenario -> compile -> build -> solve path is timed against::

    min  sum_i f_i y_i + sum_{i,j} c_ij x_ij
    s.t. sum_i x_ij = 1                    for every customer j   (assignment)
         sum_j d_j x_ij <= s_i y_i         for every warehouse i  (capacity)
         x_ij <= y_i                       for every (i, j)       (strong linking)
         y_i in {0, 1},  x_ij in [0, 1]    (x_ij: share of j's demand served by i)

``c_ij`` is OR-Library's cost of serving all of customer j's demand from i
(``procure.orlib.CflpInstance``). ``strong=False`` drops the ``x_ij <= y_i`` rows
(the aggregated, "weak" model). Columns are y_0..y_{m-1}, then x in warehouse-major
order (x_ij at m + i n + j); rows are the n assignment rows, the m capacity rows, then
the m n linking rows in the same (i, j) order.

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

import highspy
import numpy as np

from benchmarks.library import (
    CflpInstance,
    import_cflp,
    read_cflp,
    solve_options,
    solve_procurement,
)


def plain_highs_model(inst: CflpInstance, *, strong: bool = True) -> highspy.Highs:
    """A :class:`highspy.Highs` holding the textbook CFLP model (passed as CSR arrays).

    Options are HiGHS defaults except ``output_flag=False``; set threads, seed, gap and
    time limit on the returned object before ``run()`` (as :func:`solve_plain` does).
    """
    n, m = inst.cost.shape
    nx = m * n
    num_col = m + nx
    col_cost = np.concatenate([inst.fixed_cost, inst.cost.T.ravel()]).astype(np.float64)
    col_lower = np.zeros(num_col)
    col_upper = np.ones(num_col)
    integrality = np.zeros(num_col, dtype=np.int32)
    integrality[:m] = 1  # kInteger
    x_col = (m + np.arange(nx, dtype=np.int64)).reshape(m, n)  # x_col[i, j]
    wh = np.arange(m, dtype=np.int64)

    # assignment rows j: x_{0j} .. x_{m-1,j}
    a_idx = [x_col.T.ravel()]
    a_val = [np.ones(nx)]
    a_len = [np.full(n, m, dtype=np.int64)]
    # capacity rows i: -s_i y_i + sum_j d_j x_ij (column indices ascending)
    a_idx.append(np.concatenate([wh[:, None], x_col], axis=1).ravel())
    a_val.append(np.concatenate([-inst.capacity[:, None],
                                 np.broadcast_to(inst.demand, (m, n))], axis=1).ravel())
    a_len.append(np.full(m, n + 1, dtype=np.int64))
    row_lower = [np.ones(n), np.full(m, -highspy.kHighsInf)]
    row_upper = [np.ones(n), np.zeros(m)]
    if strong:
        # linking rows (i, j): -y_i + x_ij
        a_idx.append(np.stack([np.repeat(wh, n), x_col.ravel()], axis=1).ravel())
        a_val.append(np.tile([-1.0, 1.0], nx))
        a_len.append(np.full(nx, 2, dtype=np.int64))
        row_lower.append(np.full(nx, -highspy.kHighsInf))
        row_upper.append(np.zeros(nx))
    lengths = np.concatenate(a_len)
    a_start = np.zeros(lengths.size, dtype=np.int32)
    np.cumsum(lengths[:-1], out=a_start[1:])
    index = np.concatenate(a_idx).astype(np.int32)
    value = np.concatenate(a_val).astype(np.float64)

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(num_col, int(lengths.size), int(index.size), 2, 1, 0.0,  # row-wise, minimise
                col_cost, col_lower, col_upper,
                np.concatenate(row_lower), np.concatenate(row_upper),
                a_start, index, value, integrality)
    return h


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

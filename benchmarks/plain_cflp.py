"""The plain HiGHS CFLP model as a script: what a modeller writes without ``procure``.

The textbook strong-linking model written straight against highspy's array API (the
yardstick the product is timed against)::

    min  sum_i f_i y_i + sum_{i,j} c_ij x_ij
    s.t. sum_i x_ij = 1                    for every customer j   (assignment)
         sum_j d_j x_ij <= s_i y_i         for every warehouse i  (capacity)
         x_ij <= y_i                       for every (i, j)       (strong linking)
         y_i in {0, 1},  x_ij in [0, 1]    (x_ij: share of j's demand served by i)

``c_ij`` is OR-Library's cost of serving all of customer j's demand from i.
``strong=False`` drops the ``x_ij <= y_i`` rows (the aggregated, "weak" model). Columns
are y_0..y_{m-1}, then x in warehouse-major order (x_ij at m + i n + j); rows are the n
assignment rows, the m capacity rows, then the m n linking rows in the same (i, j) order.

This module imports numpy and highspy only (not ``procure``, not the rest of the
harness), so ``python -m benchmarks.plain_cflp FILE`` is the end-to-end reference of
benchmark section 9: interpreter start-up, parse, build, solve, one JSON line out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Protocol

import highspy
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class Cflp(Protocol):
    """The arrays of a CFLP instance (``procure.orlib.CflpInstance`` has them)."""

    @property
    def capacity(self) -> FloatArray: ...  # (m,)

    @property
    def fixed_cost(self) -> FloatArray: ...  # (m,)

    @property
    def demand(self) -> FloatArray: ...  # (n,)

    @property
    def cost(self) -> FloatArray: ...  # (n, m): serving all of j's demand from i


class Arrays:
    """A parsed instance (:class:`Cflp`)."""

    def __init__(self, capacity: FloatArray, fixed_cost: FloatArray, demand: FloatArray,
                 cost: FloatArray) -> None:
        self.capacity, self.fixed_cost, self.demand, self.cost = (
            capacity, fixed_cost, demand, cost)


def parse(path: str | Path, capacity: float | None = None) -> Arrays:
    """An OR-Library ``cap*.txt`` file (a token stream: m n, then m (capacity, fixed
    cost) pairs, then per customer its demand and m costs); ``capacity`` replaces the
    word ``capacity`` of the ``capa``/``capb``/``capc`` files."""
    tokens = Path(path).read_text().split()
    m, n = int(tokens[0]), int(tokens[1])
    head = tokens[2:2 + 2 * m]
    cap = np.array([capacity if t.lower() == "capacity" else t for t in head[0::2]],
                   dtype=np.float64)
    body = np.array(tokens[2 + 2 * m:2 + 2 * m + n * (1 + m)], dtype=np.float64)
    body = body.reshape(n, 1 + m)
    return Arrays(cap, np.array(head[1::2], dtype=np.float64), body[:, 0], body[:, 1:])


def plain_highs_model(inst: Cflp, *, strong: bool = True) -> highspy.Highs:
    """A :class:`highspy.Highs` holding the textbook CFLP model (passed as CSR arrays).

    Options are HiGHS defaults except ``output_flag=False``; set threads, seed, gap and
    time limit on the returned object before ``run()``.
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


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.plain_cflp FILE [--capacity C] [--weak] [--time-limit S]``:
    parse, build, solve (one thread, seed 0, gap 1e-6); prints one JSON line with the
    HiGHS status, objective and the seconds from the script's first line."""
    t0 = time.perf_counter()
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("path")
    ap.add_argument("--capacity", type=float, default=None)
    ap.add_argument("--weak", action="store_true")
    ap.add_argument("--time-limit", type=float, default=None)
    args = ap.parse_args(argv)
    h = plain_highs_model(parse(args.path, args.capacity), strong=not args.weak)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", 1e-6)
    if args.time_limit is not None:
        h.setOptionValue("time_limit", args.time_limit)
    h.run()
    info = h.getInfo()
    json.dump({"status": h.modelStatusToString(h.getModelStatus()),
               "objective": float(info.objective_function_value),
               "seconds": time.perf_counter() - t0}, sys.stdout)
    print()


if __name__ == "__main__":
    main()

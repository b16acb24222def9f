"""A starting plan for the movement MILP (``models/logistics.md``, section 12).

The LP relaxation of the movement model is tight (on ``reinforcement.yaml`` its bound
is the optimum), but branch-and-cut finds integer sorties slowly: the LP spreads
cargo over fractions of many sorties, and rounding them up breaks the fleet rows.
This heuristic finds a plan by the LP, through bounds only:

1. **Relax.** Solve the LP relaxation (through the backend's LP session, which HiGHS
   keeps warm for step 2). Its objective is a lower bound on the optimum.
2. **Dive.** Repeatedly round sorties up: the fractional sorties whose fractional part
   is at least 0.5 (at least the largest one), in decreasing order, get their rounded-up
   count as a lower bound, as long as the lower bounds together still fit the sortie
   rows (8) fleet, (9) entitlement and (10) MOG. Flows and the other sorties are then
   re-optimised by the LP. When no fractional sortie fits any more, each gets its
   rounded-down count as an upper bound (the lower bounds only grow, so it never
   could). Each round moves a bound, so the dive ends with every sortie whole. It
   may use half of the time; at that deadline the sorties still fractional are rounded
   down, which keeps (8)-(10) since their coefficients are nonnegative.
3. **Fix.** Fix every sortie at its count and solve the LP once more: a plan feasible
   for the full model (rows (8)-(10) hold by step 2; flows, holds and deliveries are
   the LP's). It always exists, since the shortfall s may take any slack.
4. **Improve.** Sub-MIPs over neighbourhoods of the incumbent: free the sorties whose
   LP value differs from the incumbent's (RINS), then all sorties of one member at a
   time (members with the most sortie cells first), the others fixed at the
   incumbent. Each starts from the incumbent, so it never gets worse, and may use half
   of the time left. Passes repeat while one improves. Stop when the incumbent is
   within the requested gap of the LP bound, or the time is up.

The dive alone is greedy and lands anywhere (on ``reinforcement.yaml``: 1 072 to
31 637 against the optimum 50.71, depending on ties); the sub-MIPs do the real work
(RINS reaches 51.24, the US sorties' neighbourhood 50.7075).

Nothing here proves optimality by itself: the plan is a MIP start for the full solve,
which then only has to confirm the bound.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from procure.backends.base import Backend, LpSession, SolveOptions
from procure.logistics.formulation import Formulation
from procure.lp.index import within_runs
from procure.lp.model import FloatArray, IntArray, ModelArrays
from procure.run.model import Start

SORTIE_ROWS = ("(8)", "(9)", "(10)")  # rows of sorties only: each <= with coefficients >= 0
ROUND_UP_FROM = 0.5  # fractional part from which sorties are rounded up together
DIVE_SHARE = 0.5  # of the time limit the dive may use (the sub-MIPs get the rest)
INT_TOL = 1e-6


def _sortie_rows(model: ModelArrays, cols: IntArray) -> tuple[IntArray, IntArray, FloatArray,
                                                              FloatArray]:
    """Rows (8)-(10) restricted to the sortie columns, column-wise (CSC: pointers, row,
    value), and their right-hand sides."""
    blocks = [b for b in model.row_blocks if b.name.startswith(SORTIE_ROWS)]
    rows = (np.concatenate([np.arange(b.start, b.start + b.size) for b in blocks])
            if blocks else np.zeros(0, dtype=np.int64))
    counts = np.diff(model.a_start)[rows]
    owner = np.repeat(np.arange(rows.size), counts)
    nz = np.repeat(model.a_start[rows], counts) + within_runs(counts)
    pos = np.full(model.num_cols, -1, dtype=np.int64)
    pos[cols] = np.arange(cols.size)
    col = pos[model.a_index[nz]]
    keep = col >= 0  # sortie rows hold sorties only; kept general all the same
    owner, col, val = owner[keep], col[keep], model.a_value[nz][keep]
    order = np.lexsort((owner, col))
    ptr = np.zeros(cols.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(col, minlength=cols.size), out=ptr[1:])
    return ptr, owner[order], val[order], model.row_upper[rows]


def _dive(lp: LpSession, x: FloatArray, cols: IntArray, lower: FloatArray,
          upper: FloatArray, rows: tuple[IntArray, IntArray, FloatArray, FloatArray],
          deadline: float) -> FloatArray | None:
    """Steps 2 and 3: whole sorties that fit rows (8)-(10), the rest re-optimised. At the
    deadline the sorties still fractional are rounded down, which keeps (8)-(10)."""
    ptr, row, val, cap = rows
    lower, upper = lower.copy(), upper.copy()
    while time.perf_counter() < deadline:
        y = x[cols]
        frac_part = y - np.floor(y + INT_TOL)
        frac = np.flatnonzero(frac_part > INT_TOL)
        if not frac.size:
            break
        frac = frac[np.argsort(-frac_part[frac], kind="stable")]
        use = np.bincount(row, weights=val * np.repeat(lower, np.diff(ptr)), minlength=cap.size)
        batch: list[int] = []
        for j in frac.tolist():
            if batch and frac_part[j] < ROUND_UP_FROM:
                break
            up = float(np.ceil(y[j] - INT_TOL))
            r = row[ptr[j]:ptr[j + 1]]
            add = (up - lower[j]) * val[ptr[j]:ptr[j + 1]]
            if up <= upper[j] and np.all(use[r] + add <= cap[r] + 1e-9 * np.maximum(1, cap[r])):
                use[r] += add
                batch.append(j)
        if batch:
            lower[batch] = np.ceil(y[batch] - INT_TOL)
        else:  # nothing fits: none of them can ever go up
            upper[frac] = np.floor(y[frac] + INT_TOL)
        out = lp.solve(cols, lower, upper)
        if out is None:
            return None
        x = out[1]
    # step 3: sorties fixed at whole counts (rounded down where still fractional: y fits
    # rows (8)-(10) with coefficients >= 0, so its floor does too), flows re-solved
    y = x[cols]
    whole = np.clip(np.where(y - np.floor(y + INT_TOL) > INT_TOL, np.floor(y), np.round(y)),
                    lower, upper)
    out = lp.solve(cols, whole, whole)
    return None if out is None else out[1]


def _found(x: FloatArray | None, objective: float | None, bound: float | None, seconds: float,
           lp: LpSession | None, subs: int, message: str,
           trace: tuple[tuple[str, float, float], ...] = ()) -> Start:
    """A :class:`Start` of this heuristic (``bound``: the LP relaxation's optimum)."""
    return Start(x, objective, bound, seconds, message, trace,
                 details={"lp_solves": 0 if lp is None else lp.solves, "sub_mips": subs})


def movement_start(mm: Formulation, backend: Backend, *, time_limit: float, threads: int = 1,
                   seed: int = 0, mip_gap: float = 1e-6) -> Start:
    """A MIP start for ``mm.model`` (module docstring) found within ``time_limit`` seconds,
    with ``backend`` (the run's, through the seam: its LP session for the relaxation and
    the dive, its MIP solve for the sub-MIPs); ``x`` is ``None`` when the model has no
    sorties or nothing was found in time."""
    t0 = time.perf_counter()
    model = mm.model
    if not model.is_mip or not (backend.capabilities.mip and backend.capabilities.continuous):
        return _found(None, None, None, 0.0, None, 0, "nothing to start")
    deadline = t0 + time_limit
    cols = np.flatnonzero(model.integrality).astype(np.int64)
    lp = backend.lp_session(model, SolveOptions(time_limit=max(time_limit, 0.0),
                                                threads=threads, seed=seed))
    root = lp.solve()
    if root is None:
        return _found(None, None, None, time.perf_counter() - t0, lp, 0,
                      "LP relaxation not solved in time")
    bound, x_lp = root
    x = _dive(lp, x_lp, cols, model.col_lower[cols], model.col_upper[cols],
              _sortie_rows(model, cols), t0 + DIVE_SHARE * time_limit)
    if x is None:
        return _found(None, None, bound, time.perf_counter() - t0, lp, 0,
                      "no LP solution in time")
    best, best_obj = x, float(model.col_cost @ x + model.offset)
    trace = [("LP bound", bound, 0.0), ("dive", best_obj, time.perf_counter() - t0)]

    def gap() -> float:
        return (best_obj - bound) / max(abs(best_obj), 1e-9)

    # step 4: neighbourhoods, most promising first, in passes while they improve
    c = mm.cells
    n_members = int(c.sortie_member.max()) + 1 if c.sortie_member.size else 0
    members = np.argsort(-np.bincount(c.sortie_member, minlength=n_members), kind="stable")
    by_member = [(f"member {mm.compiled.member_ids[m]}", c.sortie_member == m)
                 for m in members.tolist() if (c.sortie_member == m).any()]
    subs, improved = 0, True
    while improved and gap() > mip_gap and time.perf_counter() < deadline:
        improved = False
        rins = ("RINS", np.abs(x_lp[cols] - np.round(best[cols])) > INT_TOL)
        for name, free in [rins, *by_member]:
            left = deadline - time.perf_counter()
            if gap() <= mip_gap or left <= 0:
                break
            fixed = cols[~free]
            lower, upper = model.col_lower.copy(), model.col_upper.copy()
            lower[fixed] = upper[fixed] = np.round(best[fixed])
            # each sub-MIP may take half of what is left, so a slow one leaves room
            out = backend.solve(replace(model, col_lower=lower, col_upper=upper),
                                SolveOptions(time_limit=max(left / 2, min(left, 1.0)),
                                             mip_gap=mip_gap, threads=threads, seed=seed),
                                start=best)
            subs += 1
            if out.x is not None and out.objective is not None and (
                    out.objective < best_obj - 1e-9 * max(1.0, abs(best_obj))):
                best, best_obj, improved = out.x, float(out.objective), True
            trace.append((name, best_obj, time.perf_counter() - t0))
    seconds = time.perf_counter() - t0
    return _found(best, best_obj, bound, seconds, lp, subs,
                  f"start heuristic: dive and {subs} neighbourhood "
                  f"sub-MIPs, plan {best_obj:.8g}, LP bound {bound:.8g}", tuple(trace))

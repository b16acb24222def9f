"""Relax the shares, then restrict the tiers: a bound and a start for models with
proportional shares (section 11.5 of ``models/procurement.md``).

The tiered rows (7b) that make proportional NRC shares exact-or-conservative are most of
a large alliance's model (one row per pair and tier), and they are what makes its
branch and bound slow. Two solves around them:

1. **Relaxation.** The same model with (7b) replaced by (7b') (section 7.3), a few
   rows per launch. Every plan whose exact shares respect the budgets and workshare
   rules satisfies (7b'), and so does every plan of the tiered model (whose shares
   overstate the exact ones). Its optimum, or the bound its solve proves, is therefore
   a lower bound on the tiered model's optimum.
2. **Tier window.** The tiered model itself, with the launches the relaxation closed
   kept closed, and each open launch's tiers cut to a window around the units X*_l the
   relaxation bought from it: only tiers with floor Q_j in
   ``[X*_l / (1 + w) - 1, X*_l (1 + w)]`` stay. First w = 0, *fixed tiers*: the one
   tier of X*_l (the highest Q_j <= X*_l), so every share row reads sigma_k >= X_k / Q_j
   and the solver has only the plan to find; then, each from the best plan so far,
   w = 0.02 and w = ``WINDOW`` (``WINDOWS``). Tightening bounds only restricts, so every
   plan found is a plan of the full model, whatever the window. The first window starts
   from the relaxation's own plan (launches, purchases, shortfall, joins) as a partial
   start the solver completes with shares and tiers, and every window is told the
   relaxation's bound as its objective target: when that plan's exact shares fit the
   tiers, it meets the bound and the window stops at once.

The pipeline hands the window's plan to the main solve as a start, with the
relaxation's bound (also the main solve's objective target); when the two meet within
the run's gap, the plan is proven optimal and the main solve is skipped.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from procure.backends.base import Backend, SolveOptions, SolveOutcome, Status
from procure.lp.model import FloatArray, IntArray
from procure.procurement.formulation import Formulation, build
from procure.run.model import Start, objective_target

WINDOW = 0.1  # tiers kept around the relaxation's units: Q_j in [X/(1+w) - 1, X (1+w)]
# step 2's windows in turn: (w, share of the time left); each starts from the best plan so
# far, and a plan that meets the bound ends the step. w = 0: the tier of X_l alone
WINDOWS = ((0.0, 0.6), (0.02, 0.3), (WINDOW, 1.0))
RELAX_SHARE = 0.6  # of the time given to the heuristic, at most this goes to step 1
NO_LIMIT_WINDOW = 5.0  # without a time limit, step 2 gets this many times step 1's time
MIN_WINDOW_SECONDS = 10.0  # ... and at least this many seconds


def applies(f: Formulation) -> bool:
    """Whether ``f`` has tiered proportional shares (7b) to relax."""
    return f.options.proportional_shares == "tiered" and bool(f.tiers)


def launch_units(f: Formulation, x: FloatArray) -> FloatArray:
    """X_l per launch: the units a solution ``x`` of ``f`` buys from each launch."""
    c = f.compiled
    return np.bincount(c.pair_launch[c.cell_pair], weights=f.buy.values(x),
                       minlength=c.num_launches).astype(np.float64)


def window_bounds(f: Formulation, open_launch: np.ndarray, units: FloatArray,
                  window: float = WINDOW) -> FloatArray:
    """Column upper bounds of ``f.model`` that keep closed the launches not in
    ``open_launch`` (unless forced open, (13a)) and, for each tiered launch, only the
    tiers whose floor Q_j lies within the window around ``units[l]``; ``window=0``
    keeps the one tier of ``units[l]``: the highest Q_j <= units[l], Q_0 below it."""
    model = f.model
    upper = model.col_upper.copy()
    z = f.launch.index
    closed = ~open_launch & (model.col_lower[z] < 0.5)
    upper[z[closed]] = 0.0
    for t in f.tiers:
        x_l = float(units[t.launch])
        if window > 0:
            keep = (t.breaks <= x_l * (1.0 + window) + 1e-9) & (
                t.breaks >= x_l / (1.0 + window) - 1.0 - 1e-9)
        else:  # the tier of X_l alone: the highest floor Q_j <= X_l (Q_0 below it)
            keep = np.zeros(t.breaks.size, dtype=bool)
            keep[max(0, int(np.searchsorted(t.breaks, x_l + 1e-9, side="right")) - 1)] = True
        upper[t.block.index[~keep]] = 0.0
    return upper


def plan_columns(f: Formulation) -> IntArray:
    """The columns that make a plan of ``f``: z_l, x_{k,t}, s_r and u_k (in that order,
    the same for every formulation built from one compiled scenario)."""
    joins = f.join_column[f.join_column >= 0]
    return np.concatenate([f.launch.index, f.buy.index, f.shortfall.index, joins]
                          ).astype(np.int64)


def partial_start(f: Formulation, relaxed: Formulation, x: FloatArray) -> FloatArray | None:
    """The plan of a solution ``x`` of the relaxed model as a partial start of ``f``:
    launches, purchases, shortfall and joins given, NaN elsewhere (shares, tiers), which
    the solver completes when the plan's exact shares fit the tiered rules. ``None``
    when the two models' plan columns do not match."""
    mine, theirs = plan_columns(f), plan_columns(relaxed)
    if mine.size != theirs.size:
        return None
    start = np.full(f.model.num_cols, np.nan)
    start[mine] = x[theirs]
    return start


def _bound(outcome: SolveOutcome) -> float | None:
    """The lower bound a relaxation's solve proved: its dual bound, or its objective when
    it is proven optimal and reports no bound."""
    if outcome.bound is not None and np.isfinite(outcome.bound):
        return float(outcome.bound)
    if outcome.status == Status.OPTIMAL and outcome.objective is not None:
        return float(outcome.objective)
    return None


def relaxation_start(f: Formulation, backend: Backend, *, time_limit: float | None = None,
                     threads: int = 1, seed: int = 0, gap: float = 1e-6,
                     windows: tuple[tuple[float, float], ...] = WINDOWS) -> Start:
    """Steps 1 and 2 of the module docstring, each solved by ``backend`` (the run's,
    through the seam), within ``time_limit`` seconds together (step 1 at most
    ``RELAX_SHARE`` of it). Step 2 solves the tier window of each ``(w, share)`` of
    ``windows`` in turn, within ``share`` of the time left, from the best plan so far,
    until one meets the bound. The :class:`Start` holds the best plan, a plan of ``f``
    (``x=None`` if none was found), and step 1's bound; ``details`` the plan's total
    shortfall units and step 1's seconds."""
    t0 = time.perf_counter()
    relaxed = build(f.compiled, replace(f.options, proportional_shares="relaxed"))
    first = None if time_limit is None else RELAX_SHARE * time_limit
    r = backend.solve(relaxed.model, SolveOptions(time_limit=first, mip_gap=gap,
                                                  threads=threads, seed=seed))
    t1 = time.perf_counter() - t0
    bound = _bound(r)
    said = f"relaxed shares (7b'): {r.status}" + (
        "" if bound is None else f", bound {bound:.10g}")
    if r.x is None or not r.status.has_solution:
        return Start(None, None, bound, t1, said, details={"shortfall": None})
    open_launch = relaxed.launch.values(r.x) > 0.5
    units = launch_units(relaxed, r.x)
    total = int(sum(t.block.size for t in f.tiers))
    end = None if time_limit is None else t0 + time_limit
    if end is None:
        end = time.perf_counter() + max(MIN_WINDOW_SECONDS, NO_LIMIT_WINDOW * t1)
    x: FloatArray | None = None
    objective: float | None = None
    trace = [("relaxation", float("nan") if r.objective is None else r.objective, t1)]
    # the relaxation's own plan goes first, as a partial start the solver completes: when
    # its exact shares fit the tiers it meets the bound, and the window stops at once
    first_start = partial_start(f, relaxed, r.x)
    for w, share in windows:
        upper = window_bounds(f, open_launch, units, w)
        left = max(0.0, end - time.perf_counter())
        sub = backend.solve(replace(f.model, col_upper=upper),
                            SolveOptions(time_limit=share * left, mip_gap=gap,
                                         threads=threads, seed=seed),
                            start=first_start if x is None else x,
                            target=objective_target(bound, gap))
        kept = int(sum(int((upper[t.block.index] > 0).sum()) for t in f.tiers))
        name = f"tier window {w:g}" if w > 0 else "fixed tiers"
        said += f"; {name} ({kept} of {total} tiers): {sub.status}"
        if sub.x is not None and sub.status.has_solution and sub.objective is not None and (
                objective is None or sub.objective < objective):
            x, objective = sub.x, sub.objective
            trace.append((name, objective, time.perf_counter() - t0))
        if objective is not None and bound is not None and objective - bound <= gap * max(
                abs(objective), 1e-9):
            said += ", a plan at the bound"
            break
    seconds = time.perf_counter() - t0
    if x is None or objective is None:
        return Start(None, None, bound, seconds, said,
                     details={"shortfall": None, "relaxation_seconds": t1})
    return Start(x, objective, bound, seconds, said, trace=tuple(trace),
                 details={"shortfall": float(f.shortfall.values(x).sum()),
                          "relaxation_seconds": t1})

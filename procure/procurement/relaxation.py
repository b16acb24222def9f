"""Relax the shares, then restrict the tiers: a bound and a start for models with
proportional shares (section 11.5 of ``models/procurement.md``).

The tiered rows (7b) that make proportional NRC shares exact-or-conservative are most of
a large alliance's model (one row per pair and tier), and they are what makes its
branch and bound slow. Two steps around them:

1. **Relaxation.** The same model with (7b) replaced by (7b') (section 7.3), a few
   rows per launch. Every plan whose exact shares respect the budgets and workshare
   rules satisfies (7b'), and so does every plan of the tiered model (whose shares
   overstate the exact ones). Its optimum, or the bound its solve proves, is therefore
   a lower bound on the tiered model's optimum. Its plan is the first *anchor*.
2. **Windows** (``STEPS``), each a solve of a model whose bounds are cut around the
   anchor: the launches the anchor leaves closed stay closed, and each open launch keeps
   only the tiers with floor Q_j in ``[X*_l / (1 + w) - 1, X*_l (1 + w)]``, X*_l the
   units the anchor buys from it (w = 0: the one tier of X*_l, the highest Q_j <= X*_l).
   - *Tiered windows* restrict the tiered model itself, so every plan found is a plan
     of the full model, whatever the window. w = 0, the *fixed tiers*, turns every
     share row into sigma_k >= X_k / Q_j: the solver has only the plan to find.
   - *Interval windows* restrict the interval relaxation (7b'') (section 7.4), exact on
     the exact tiers and within a tier's width elsewhere, where the anchor's shares
     can be repaired: with the anchor's whole purchases, launches and joins fixed
     (*completion*), with no purchase above the anchor's (*reduction*), then from the
     better of their plans (*window*). The best of them becomes the anchor of the
     tiered windows after it, whose fixed tiers turn it into a plan of the full model.

   A tiered window right after a new anchor starts from the anchor's plan as a partial
   start (launches, purchases, shortfall, joins and tiers given; the solver completes
   the shares), later ones from the best plan so far. Every window is told the
   relaxation's bound as its objective target: a plan that meets it ends the step.

The pipeline hands the best plan to the main solve as a start, with the relaxation's
bound (also the main solve's objective target); when the two meet within the run's gap,
the plan is proven optimal and the main solve is skipped.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from procure.backends.base import Backend, SolveOptions, SolveOutcome, Status
from procure.lp.model import FloatArray, IntArray, ModelArrays
from procure.procurement.formulation import Formulation, build
from procure.run.model import Start, objective_target

WINDOW = 0.1  # tiers kept around the anchor's units: Q_j in [X/(1+w) - 1, X (1+w)]
# step 2 in turn: (kind, w, share of the time left). "tiered": a window of the tiered model;
# "completion", "reduction", "intervals": windows of the interval relaxation (7b''), the
# last of which makes the best plan of (7b'') the anchor of the steps after it
STEPS: tuple[tuple[str, float, float], ...] = (
    ("tiered", 0.0, 0.3), ("completion", WINDOW, 0.35), ("reduction", WINDOW, 0.2),
    ("intervals", WINDOW, 0.6), ("tiered", 0.0, 0.6), ("tiered", 0.02, 0.5),
    ("tiered", WINDOW, 1.0))
STEP_NAMES = {"completion": "interval completion", "reduction": "interval reduction",
              "intervals": "interval window"}
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
            keep[tier_of(t.breaks, x_l)] = True
        upper[t.block.index[~keep]] = 0.0
    return upper


def plan_columns(f: Formulation) -> IntArray:
    """The columns that make a plan of ``f``: z_l, x_{k,t}, s_r and u_k (in that order,
    the same for every formulation built from one compiled scenario)."""
    joins = f.join_column[f.join_column >= 0]
    return np.concatenate([f.launch.index, f.buy.index, f.shortfall.index, joins]
                          ).astype(np.int64)


def tier_of(breaks: FloatArray, units: float) -> int:
    """The tier of ``units`` launch units: the highest floor Q_j <= units (0 below Q_0)."""
    return max(0, int(np.searchsorted(breaks, units + 1e-9, side="right")) - 1)


def partial_start(f: Formulation, source: Formulation, x: FloatArray) -> FloatArray | None:
    """The plan of a solution ``x`` of ``source`` (another formulation of the same
    compiled scenario) as a partial start of ``f``: launches, purchases, shortfall and
    joins given, and each launch's tier y_{l,j}, the tier of its units; NaN elsewhere
    (shares, ...), which the solver completes when the plan fits ``f``'s share rows.
    ``None`` when the two models' plan columns do not match."""
    mine, theirs = plan_columns(f), plan_columns(source)
    if mine.size != theirs.size:
        return None
    start = np.full(f.model.num_cols, np.nan)
    start[mine] = x[theirs]
    units = launch_units(source, x)
    opened = source.launch.values(x) > 0.5
    for t in f.tiers:
        y = np.zeros(t.breaks.size)
        if opened[t.launch]:
            y[tier_of(t.breaks, float(units[t.launch]))] = 1.0
        start[t.block.index] = y
    return start


def _bound(outcome: SolveOutcome) -> float | None:
    """The lower bound a relaxation's solve proved: its dual bound, or its objective when
    it is proven optimal and reports no bound."""
    if outcome.bound is not None and np.isfinite(outcome.bound):
        return float(outcome.bound)
    if outcome.status == Status.OPTIMAL and outcome.objective is not None:
        return float(outcome.objective)
    return None


def interval_window(g: Formulation, kind: str, anchor: Formulation, anchor_x: FloatArray,
                    window: float) -> ModelArrays:
    """The interval relaxation ``g`` (7b'') with the bounds of step ``kind`` around the
    plan ``anchor_x`` of ``anchor``: the tier window of :func:`window_bounds`, and for
    ``"completion"`` the anchor's whole purchases, launches and joins fixed (shares, tiers
    and divisible purchases left to the solver), for ``"reduction"`` no purchase above the
    anchor's, for ``"intervals"`` nothing more."""
    opened = anchor.launch.values(anchor_x) > 0.5
    lower = g.model.col_lower.copy()
    upper = window_bounds(g, opened, launch_units(anchor, anchor_x), window)
    if kind == "completion":
        mine, theirs = plan_columns(g), plan_columns(anchor)
        whole = g.model.integrality[mine]
        lower[mine[whole]] = upper[mine[whole]] = np.round(anchor_x[theirs[whole]])
    elif kind == "reduction":
        # whole units rounded, divisible ones as they are: a tolerance added to the
        # divisible bounds led HiGHS's presolve to call a feasible model infeasible
        buy = anchor.buy.values(anchor_x)
        upper[g.buy.index] = np.minimum(upper[g.buy.index], np.where(
            g.model.integrality[g.buy.index], np.round(buy), buy))
    return replace(g.model, col_lower=lower, col_upper=upper)


def relaxation_start(f: Formulation, backend: Backend, *, time_limit: float | None = None,
                     threads: int = 1, seed: int = 0, gap: float = 1e-6,
                     steps: tuple[tuple[str, float, float], ...] = STEPS) -> Start:
    """Steps 1 and 2 of the module docstring, each solved by ``backend`` (the run's,
    through the seam), within ``time_limit`` seconds together (step 1 at most
    ``RELAX_SHARE`` of it). Step 2 solves each ``(kind, w, share)`` of ``steps`` in turn
    within ``share`` of the time left, until a plan meets the bound: a window of the
    tiered model (a plan of ``f``) or of the interval relaxation (a new anchor). The
    :class:`Start` holds the best plan of ``f`` (``x=None`` if none was found) and step
    1's bound; ``details`` the plan's total shortfall units and step 1's seconds."""
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
    end = None if time_limit is None else t0 + time_limit
    if end is None:
        end = time.perf_counter() + max(MIN_WINDOW_SECONDS, NO_LIMIT_WINDOW * t1)
    total = int(sum(t.block.size for t in f.tiers))
    target = objective_target(bound, gap)
    # the anchor: the plan whose launches and units the windows are cut around, first the
    # relaxation's; `fresh` while no tiered window has started from it (as a partial start
    # the solver completes with shares and tiers: when its exact shares fit the tiers it
    # meets the bound at once)
    anchor, anchor_x, fresh = relaxed, r.x, True
    intervals: Formulation | None = None
    g_x: FloatArray | None = None  # the best plan of the interval relaxation so far
    g_objective: float | None = None
    x: FloatArray | None = None
    objective: float | None = None
    trace = [("relaxation", float("nan") if r.objective is None else r.objective, t1)]
    for kind, w, share in steps:
        if objective is not None and bound is not None and objective - bound <= gap * max(
                abs(objective), 1e-9):
            said += ", a plan at the bound"
            break
        left = max(0.0, end - time.perf_counter())
        options = SolveOptions(time_limit=share * left, mip_gap=gap, threads=threads,
                               seed=seed)
        if kind != "tiered":
            if intervals is None:
                intervals = build(f.compiled,
                                  replace(f.options, proportional_shares="intervals"))
            g = intervals
            sub = backend.solve(interval_window(g, kind, anchor, anchor_x, w), options,
                                start=g_x if kind == "intervals" else None, target=target)
            said += f"; {STEP_NAMES[kind]} {w:g}: {sub.status}"
            if sub.x is not None and sub.status.has_solution and sub.objective is not None and (
                    g_objective is None or sub.objective < g_objective):
                g_x, g_objective = sub.x, sub.objective
            if kind == "intervals" and g_x is not None:
                anchor, anchor_x, fresh = g, g_x, True
            continue
        upper = window_bounds(f, anchor.launch.values(anchor_x) > 0.5,
                              launch_units(anchor, anchor_x), w)
        if fresh or x is None:
            start = partial_start(f, anchor, anchor_x)
        else:  # the best plan, where the window holds it (else HiGHS would spend time, not
            # bounded by the step's limit, completing it with its integers fixed)
            start = x if bool(np.all(x <= upper + 1e-9)) else None
        sub = backend.solve(replace(f.model, col_upper=upper), options, start=start,
                            target=target)
        fresh = False
        kept = int(sum(int((upper[t.block.index] > 0).sum()) for t in f.tiers))
        name = f"tier window {w:g}" if w > 0 else "fixed tiers"
        said += f"; {name} ({kept} of {total} tiers): {sub.status}"
        if sub.x is not None and sub.status.has_solution and sub.objective is not None and (
                objective is None or sub.objective < objective):
            x, objective = sub.x, sub.objective
            trace.append((name, objective, time.perf_counter() - t0))
    seconds = time.perf_counter() - t0
    if x is None or objective is None:
        return Start(None, None, bound, seconds, said,
                     details={"shortfall": None, "relaxation_seconds": t1})
    return Start(x, objective, bound, seconds, said, trace=tuple(trace),
                 details={"shortfall": float(f.shortfall.values(x).sum()),
                          "relaxation_seconds": t1})

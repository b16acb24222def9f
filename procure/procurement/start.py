"""A starting plan for the procurement MILP (section 11 of ``models/procurement.md``).

The heuristic reads the compiled scenario and the built model only, so it applies to
every scenario and every constraint family, not only to facility-location-shaped ones:

1. **Lagrangian scores.** Relax the requirement rows (1) with multipliers
   ``lambda_r >= 0`` and drop every row that couples launches (need, budgets, shares,
   participation, dependence, workshare: dropping rows only relaxes a minimisation).
   What remains splits into one small problem per launch and year, a continuous
   knapsack: buy the cells whose price is below the requirement's multiplier, up to
   the yearly capacity. A launch's *score* is its knapsack profit minus its NRC.
   Subgradient steps on ``lambda`` raise the bound; the scores at the best
   multipliers rank the launches.
2. **Restricted MIP.** Close every launch outside the best-scored candidates (upper
   bound 0) and solve the *full* model otherwise unchanged (every row, every cell) to a
   loose gap under a time budget.

Closing launches only tightens bounds, so every solution of step 2 is a solution of the
full model: a valid MIP start whatever the budget. It proves nothing; the full solve
still proves the optimum. An early, near-optimal incumbent lets the solver fix most
launches by reduced cost at the root and prune sooner.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np

from procure.backends.base import Backend, SolveOptions
from procure.lp.index import match_keys
from procure.lp.model import FloatArray, IntArray
from procure.procurement.formulation import Formulation
from procure.run.model import Start

LAGRANGIAN_SECONDS = 60.0  # wall-clock cap on step 1


@dataclass(frozen=True)
class Lagrangian:
    """The outcome of step 1."""

    bound: float  # best Lagrangian value: a lower bound on the MILP optimum
    scores: FloatArray  # per launch: knapsack profit - NRC at the best multipliers
    multipliers: FloatArray  # per requirement, the best lambda
    iterations: int
    seconds: float


def lagrangian(f: Formulation, *, iterations: int = 500,
               time_limit: float | None = None) -> Lagrangian:
    """Step 1: subgradient ascent on the relaxation of (1) (module docstring).

    Starts from a "loaded" price per requirement (the cheapest unit price plus NRC
    spread over the launch's deliverable units), steps with Polyak's rule towards a
    target 10 % above the best bound, and halves the step after 10 iterations without
    improvement.
    """
    t0 = time.perf_counter()
    c = f.compiled
    model = f.model
    n_c, n_t = max(len(c.capability_ids), 1), len(c.years)
    n_l, n_r = c.num_launches, c.req_member.size
    # requirement r covers cell j when the member and capability match and t <= y_r
    cell_key = c.pair_member[c.cell_pair] * n_c + c.pair_capability[c.cell_pair]
    req_rep, cells = match_keys(c.req_member * n_c + c.req_capability, cell_key)
    keep = c.cell_year[cells] <= c.req_year[req_rep]
    req_rep, cells = req_rep[keep], cells[keep]
    price = c.pair_price[c.cell_pair]
    upper = model.col_upper[f.buy.index]
    cell_launch = c.pair_launch[c.cell_pair]
    nrc = model.col_cost[f.launch.index]
    can_open = model.col_upper[f.launch.index] > 0.5
    s_cost = model.col_cost[f.shortfall.index]
    s_upper = model.col_upper[f.shortfall.index]
    q = c.req_quantity
    # one continuous knapsack per (launch, year): capacity Cap_p (inf: take every cell)
    group = cell_launch * n_t + c.cell_year
    group_cap = np.repeat(c.prog_capacity[c.launch_program], n_t)
    # loaded start: price + NRC / deliverable units of the launch
    deliverable = np.bincount(c.pair_launch, weights=c.pair_bound, minlength=n_l)
    years_open = n_t - c.prog_first_year[c.launch_program]
    deliverable = np.minimum(deliverable, c.prog_capacity[c.launch_program] * years_open)
    loaded = price + nrc[cell_launch] / np.maximum(deliverable[cell_launch], 1e-9)
    lam = np.full(n_r, np.inf)
    np.minimum.at(lam, req_rep, loaded[cells])
    lam = np.where(np.isfinite(lam), lam, 0.0)

    def relaxation(lam: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        """Value, launch scores and subgradient of the relaxation at ``lam``."""
        rp = price - np.bincount(cells, weights=lam[req_rep], minlength=price.size)
        neg = rp < 0
        order = np.lexsort((rp, group))
        amount = np.where(neg, upper, 0.0)[order]
        g_sorted = group[order]
        cum = np.cumsum(amount)
        starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
        before = np.repeat(cum[starts] - amount[starts], np.diff(np.r_[starts, cum.size]))
        room = group_cap[g_sorted] - (cum - amount - before)
        take = np.empty(price.size)
        take[order] = np.clip(room, 0.0, amount)
        profit = -np.bincount(cell_launch, weights=rp * take, minlength=n_l)
        score = profit - nrc
        z = can_open & (score > 0)
        value = float(lam @ q + np.minimum(0.0, -score[can_open]).sum()
                      + np.minimum(0.0, s_cost - lam) @ s_upper)
        bought = take * z[cell_launch]
        delivered = np.bincount(req_rep, weights=bought[cells], minlength=n_r)
        s = np.where(s_cost < lam, s_upper, 0.0)
        return value, np.where(can_open, score, -np.inf), q - delivered - s

    best, best_scores, best_lam = -math.inf, np.full(n_l, -np.inf), lam
    theta, stall, it = 2.0, 0, 0
    for it in range(1, iterations + 1):  # noqa: B007 - `it` is reported
        value, scores, grad = relaxation(lam)
        if value > best + 1e-12 * max(abs(best), 1.0) or not math.isfinite(best):
            best, best_scores, best_lam, stall = value, scores, lam, 0
        else:
            stall += 1
            if stall >= 10:
                theta, stall = theta / 2.0, 0
        norm = float(grad @ grad)
        if norm < 1e-12 or theta < 1e-4:
            break
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
        target = best + 0.1 * max(abs(best), 1.0)
        lam = np.maximum(0.0, lam + theta * (target - value) / norm * grad)
    return Lagrangian(best, best_scores, best_lam, it, time.perf_counter() - t0)


def default_candidates(scores: FloatArray) -> int:
    """How many launches step 2 keeps: those the Lagrangian opens, as many again,
    and 10 more (all of them when there are fewer)."""
    n_open = int((scores > 0).sum())
    return min(int(np.isfinite(scores).sum()), 2 * n_open + 10)


def _found(x: FloatArray | None, objective: float | None, bound: float | None, seconds: float,
           message: str, *, shortfall: float | None = None, candidates: int = 0) -> Start:
    """A :class:`Start` of this heuristic: ``details`` holds the total shortfall units of
    ``x`` and the number of launches left open for step 2."""
    return Start(x, objective, bound, seconds, message,
                 details={"shortfall": shortfall, "candidates": candidates})


def lagrangian_start(
    f: Formulation,
    backend: Backend,
    *,
    candidates: int | None = None,
    time_limit: float | None = None,
    threads: int = 1,
    seed: int = 0,
    gap: float = 1e-3,
    node_limit: int | None = 100,
    iterations: int = 500,
    max_candidate_share: float = 1.0,
) -> Start:
    """A MIP start for ``f.model`` (module docstring); step 2 is solved by ``backend``
    (the run's, through the seam). ``x=None`` when nothing was found within
    ``time_limit`` seconds (both steps together). ``bound`` is the Lagrangian bound.

    ``max_candidate_share``: skip step 2 (return no start) when it would keep more than
    this share of the launches: the restricted MIP is then nearly as hard as the full
    one, and the solver's own heuristics do as well for less.
    """
    t0 = time.perf_counter()
    model = f.model
    if not model.is_mip or not backend.capabilities.mip or f.launch.size == 0:
        return _found(None, None, None, 0.0, "nothing to start")
    lag = lagrangian(f, iterations=iterations,
                     time_limit=LAGRANGIAN_SECONDS if time_limit is None
                     else min(LAGRANGIAN_SECONDS, 0.5 * time_limit))
    n_keep = default_candidates(lag.scores) if candidates is None else candidates
    if n_keep > max_candidate_share * f.launch.size:
        return _found(None, None, lag.bound, time.perf_counter() - t0,
                      f"Lagrangian bound {lag.bound:.8g}; {n_keep} of {f.launch.size} "
                      "candidate launches: too many for a restricted MIP, no start",
                      candidates=n_keep)
    order: IntArray = np.argsort(-lag.scores, kind="stable")
    closed = order[n_keep:]
    closed = closed[model.col_lower[f.launch.start + closed] < 0.5]  # forced open: (13a)
    upper = model.col_upper.copy()
    upper[f.launch.start + closed] = 0.0
    left = None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - t0))
    opts = SolveOptions(time_limit=left, mip_gap=gap, threads=threads, seed=seed)
    if node_limit is not None:  # HiGHS' node limit; other solvers stop on time and gap
        opts = opts.with_solver_options("highs", mip_max_nodes=int(node_limit))
    sub = backend.solve(replace(model, col_upper=upper), opts)
    seconds = time.perf_counter() - t0
    if not sub.status.has_solution or sub.x is None:
        return _found(None, None, lag.bound, seconds,
                      f"restricted MIP: {sub.status} {sub.message}", candidates=n_keep)
    shortfall = float(f.shortfall.values(sub.x).sum())
    return _found(sub.x, sub.objective, lag.bound, seconds,
                  f"Lagrangian bound {lag.bound:.8g} ({lag.iterations} it.), restricted MIP "
                  f"over {n_keep} of {f.launch.size} launches: {sub.status}",
                  shortfall=shortfall, candidates=n_keep)


def shortfall_bound(f: Formulation, start: Start, *, tol: float = 1e-9) -> float | None:
    """(11.3) An upper bound on the total shortfall of every optimal plan, or ``None``.

    A start with no shortfall and objective U exists, so the optimum is at most U.
    Every cost in the objective is nonnegative (NRC and unit prices), so an optimal
    plan with total shortfall S has Pen S <= U: S <= U / Pen. Only in elastic mode
    (every shortfall column costs Pen > 0); ``None`` otherwise (strict, a level
    allowance, shortfall priced per requirement), or when the start is short. ``tol``
    pads U against the solver's feasibility tolerances.
    """
    o = f.options
    short = start.details.get("shortfall")
    if (start.x is None or start.objective is None or short is None
            or o.strict or o.shortfall_allowance is not None
            or o.shortfall_prices is not None):
        return None
    pen = f.compiled.shortfall_penalty
    if not pen > 0 or short > tol * max(1.0, float(f.compiled.req_quantity.sum())):
        return None
    u = float(start.objective)
    return (u + tol * max(1.0, abs(u))) / pen + tol


def open_all_certificate(f: Formulation, backend: Backend, *, time_limit: float | None = None,
                         threads: int = 1, seed: int = 0) -> Start:
    """(11.3) A plan with no shortfall, for the shortfall bound only (not a start).

    Every launch that may open is opened (z fixed to 1) and shortfall is forbidden; when
    z are the model's only integer columns, what remains is an LP. Its optimum, if
    feasible, is a plan of the full model with no shortfall, and its objective U gives
    Sbar = U / Pen. ``x=None`` when the model has other integer columns or the LP
    finds no such plan. The LP is solved by ``backend``.
    """
    t0 = time.perf_counter()
    model = f.model
    others = model.integrality.copy()
    others[f.launch.index] = False
    if others.any() or not backend.capabilities.continuous or not model.is_mip:
        return _found(None, None, None, 0.0, "not an LP once the launches are fixed")
    zc, sc = f.launch.index, f.shortfall.index
    lower, upper = model.col_lower.copy(), model.col_upper.copy()
    lower[zc] = upper[zc] = np.where(upper[zc] > 0.5, 1.0, 0.0)
    upper[sc] = 0.0
    lp = backend.solve(
        replace(model, col_lower=lower, col_upper=upper,
                integrality=np.zeros(model.num_cols, dtype=np.bool_)),
        SolveOptions(time_limit=time_limit, threads=threads, seed=seed))
    seconds = time.perf_counter() - t0
    n_open = int(lower[zc].sum())
    if lp.x is None or lp.objective is None or str(lp.status) != "optimal":
        return _found(None, None, None, seconds,
                      f"every launch open, no shortfall: {lp.status}", candidates=n_open)
    return _found(lp.x, lp.objective, None, seconds, "every launch open, no shortfall: a plan",
                  shortfall=0.0, candidates=n_open)

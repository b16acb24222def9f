"""Conflicts and minimum relaxations of a model, through the solver seam only.

The rows of a model are grouped into *rules*: ``groups[i]`` is the rule of row i, or
-1 for a row that defines the model (a linking row, a balance) and is never relaxed.
Column bounds and integrality are always kept. ``models/explain.md`` states the maths;
the numbers below are its equations.

(E1) The elastic model. For every row i of a rule, slack columns e⁻_i >= 0 (where the
     row has a finite lower bound) and e⁺_i >= 0 (a finite upper bound) enter the row,
     ``row_lower_i <= a_i x + e⁻_i - e⁺_i <= row_upper_i``, and the objective is
     ``min sum_i w_{g(i)} (e⁻_i + e⁺_i)``: the smallest total relaxation (weighted by rule)
     that makes the model feasible. It is 0 exactly when the model is feasible.

(E2) The elastic filter (Chinneck and Dravnieks, 1991): solve (E1); every rule with a
     positive slack is made hard (its slacks fixed at 0); repeat until (E1) is
     infeasible. The hard rules then form an infeasible set together with the model's
     definitions: each round adds at least one rule, so it ends within as many rounds as
     there are rules.

(E3) The deletion filter: for each rule g of an infeasible set S, drop g (its rows'
     bounds become free) and keep it dropped if S \\ {g} with the definitions is still
     infeasible. What remains is irreducible: dropping any one of its rules gives a
     feasible model.

Where the backend computes an irreducible infeasible subsystem of the LP relaxation
(``capabilities.iis``), its rows seed S instead of (E2); (E3) then runs on the LP
relaxation and makes the set irreducible at the level of rules. A MIP whose LP
relaxation is feasible is filtered by (E2) and (E3) with MIP solves.

A solve stopped at a limit proves nothing: (E3) keeps the rule it was testing, and the
result says the set may not be irreducible.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from procure.backends.base import Backend, SolveOptions, Status
from procure.lp.model import FloatArray, IntArray, ModelArrays, RowBlock, VarBlock

TOL = 1e-7
"""A slack above ``TOL x max(1, |row bound|)`` counts as a relaxation."""


@dataclass(frozen=True)
class ElasticModel:
    """The elastic model (E1) of ``model``: its columns first, then one slack column per
    finite bound of each rule's row (``slack_row``: the row; ``slack_sign``: +1 for
    e⁻ (a lower bound relaxed downwards), -1 for e⁺)."""

    model: ModelArrays
    num_original: int
    slack_row: IntArray
    slack_sign: FloatArray
    slack_group: IntArray


def elastic_model(model: ModelArrays, groups: npt.ArrayLike,
                  weights: npt.ArrayLike | None = None) -> ElasticModel:
    """(E1) for ``model`` whose row i belongs to rule ``groups[i]`` (-1: never relaxed);
    ``weights[g]`` is the cost of one unit of relaxation of rule g (default 1)."""
    g = np.asarray(groups, dtype=np.int64)
    if g.shape != (model.num_rows,):
        raise ValueError(f"groups has {g.size} entries for {model.num_rows} rows")
    n_g = int(g.max()) + 1 if g.size else 0
    w = np.ones(n_g) if weights is None else np.asarray(weights, dtype=np.float64)
    low_rows = np.flatnonzero((g >= 0) & np.isfinite(model.row_lower))
    up_rows = np.flatnonzero((g >= 0) & np.isfinite(model.row_upper))
    slack_row = np.concatenate([low_rows, up_rows])
    sign = np.concatenate([np.ones(low_rows.size), -np.ones(up_rows.size)])
    n0, n_s = model.num_cols, int(slack_row.size)
    # the CSR arrays with one more nonzero per slack in its row: rebuild row by row order
    counts = np.diff(model.a_start) + np.bincount(slack_row, minlength=model.num_rows)
    start = np.zeros(model.num_rows + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    rows_old = np.repeat(np.arange(model.num_rows), np.diff(model.a_start))
    row = np.concatenate([rows_old, slack_row])
    col = np.concatenate([model.a_index.astype(np.int64), n0 + np.arange(n_s)])
    val = np.concatenate([model.a_value, sign])
    order = np.lexsort((col, row))
    slack_group = g[slack_row]
    out = replace(
        model,
        name=f"{model.name}-elastic",
        col_cost=np.concatenate([np.zeros(n0), w[slack_group] if n_s else np.zeros(0)]),
        col_lower=np.concatenate([model.col_lower, np.zeros(n_s)]),
        col_upper=np.concatenate([model.col_upper, np.full(n_s, np.inf)]),
        integrality=np.concatenate([model.integrality, np.zeros(n_s, dtype=np.bool_)]),
        a_start=start, a_index=col[order].astype(np.int32), a_value=val[order], offset=0.0,
        var_blocks=(*model.var_blocks, VarBlock("elastic slack", n0, n_s)),
        row_blocks=model.row_blocks if model.row_blocks else (
            RowBlock("rows", 0, model.num_rows),),
    )
    return ElasticModel(out, n0, slack_row, sign, slack_group)


@dataclass(frozen=True)
class Relaxation:
    """The optimum of (E1): the smallest total relaxation, per rule and per row (in the
    row's own units; positive: by how much its bound had to move)."""

    status: Status
    total: float | None
    by_group: FloatArray  # per rule (0 where none)
    by_row: FloatArray  # per row
    seconds: float


def min_relaxation(backend: Backend, model: ModelArrays, groups: npt.ArrayLike,
                   options: SolveOptions, *, weights: npt.ArrayLike | None = None) -> Relaxation:
    """Solve (E1): the smallest weighted total by which the rules' bounds must move for
    ``model`` to have a solution (0 when it has one). ``status`` is the solve's; the
    figures are proven only when it is ``optimal``."""
    t0 = time.perf_counter()
    g = np.asarray(groups, dtype=np.int64)
    em = elastic_model(model, g, weights)
    out = backend.solve(em.model, options)
    n_g = int(g.max()) + 1 if g.size else 0
    by_row = np.zeros(model.num_rows)
    if out.x is None:
        return Relaxation(out.status, None, np.zeros(n_g), by_row, time.perf_counter() - t0)
    amount = out.x[em.num_original:]
    np.add.at(by_row, em.slack_row, amount)
    by_group = np.bincount(em.slack_group, weights=amount, minlength=n_g).astype(np.float64)
    return Relaxation(out.status, float(out.objective or 0.0), by_group, by_row,
                      time.perf_counter() - t0)


Method = Literal["solver IIS", "elastic filter", "definitions"]


@dataclass(frozen=True)
class Conflict:
    """An infeasible set of rules (with the model's definitions), irreducible when
    ``irreducible`` (every solve of the deletion filter was decided). ``groups`` empty
    with method ``definitions``: the model's definitions alone admit no solution."""

    groups: tuple[int, ...]
    method: Method
    irreducible: bool
    solves: int
    seconds: float


class _Feasibility:
    """Feasibility solves of ``model`` with some rules dropped, on one time budget."""

    def __init__(self, backend: Backend, model: ModelArrays, groups: IntArray,
                 options: SolveOptions, *, relaxation: bool) -> None:
        self.backend = backend
        self.model = replace(model, col_cost=np.zeros(model.num_cols), offset=0.0,
                             integrality=(np.zeros_like(model.integrality) if relaxation
                                          else model.integrality))
        self.groups = groups
        self.options = options
        self.deadline = (None if options.time_limit is None
                         else time.perf_counter() + options.time_limit)
        self.solves = 0

    def left(self) -> float | None:
        return None if self.deadline is None else max(self.deadline - time.perf_counter(), 0.0)

    def feasible(self, kept: set[int]) -> bool | None:
        """Whether the model with only the rules in ``kept`` (and every definition) has a
        solution; ``None`` when the solve stopped undecided."""
        drop = (self.groups >= 0) & ~np.isin(self.groups, np.fromiter(kept, np.int64,
                                                                      len(kept)))
        lo, hi = self.model.row_lower.copy(), self.model.row_upper.copy()
        lo[drop], hi[drop] = -np.inf, np.inf
        self.solves += 1
        out = self.backend.solve(replace(self.model, row_lower=lo, row_upper=hi),
                                 replace(self.options, time_limit=self.left()))
        if out.status.has_solution:
            return True
        if out.status == Status.INFEASIBLE:
            return False
        return None


def _elastic_filter(backend: Backend, model: ModelArrays, groups: IntArray,
                    options: SolveOptions, check: _Feasibility) -> tuple[set[int], bool] | None:
    """(E2): an infeasible set of rules, and whether every round was decided; ``None``
    when (E1) says the model is feasible."""
    em = elastic_model(model, groups)
    upper = em.model.col_upper.copy()
    hard: set[int] = set()
    decided = True
    bound = np.maximum(1.0, np.abs(np.where(em.slack_sign > 0, model.row_lower[em.slack_row],
                                            model.row_upper[em.slack_row])))
    while True:
        check.solves += 1
        out = backend.solve(replace(em.model, col_upper=upper),
                            replace(options, time_limit=check.left()))
        if out.status == Status.INFEASIBLE:
            return hard, decided
        if out.x is None:  # undecided at a limit: what is hard so far is all we have
            return (hard, False) if hard else None
        decided = decided and out.status == Status.OPTIMAL
        slack = out.x[em.num_original:]
        positive = set(np.unique(em.slack_group[slack > TOL * bound]).tolist()) - hard
        if not positive:
            return None
        hard |= positive
        upper[em.num_original + np.flatnonzero(np.isin(em.slack_group, list(positive)))] = 0.0


def conflict(backend: Backend, model: ModelArrays, groups: npt.ArrayLike,
             options: SolveOptions, *, use_iis: bool = True) -> Conflict | None:
    """An irreducible infeasible set of rules of ``model`` (``groups`` as in (E1)), or
    ``None`` when the model is feasible. ``options.time_limit`` bounds the whole search.

    With ``use_iis`` and a backend that computes one, the solver's IIS of the LP
    relaxation seeds the set; otherwise (or when the LP relaxation is feasible) the
    elastic filter (E2) finds one. The deletion filter (E3) makes it irreducible."""
    t0 = time.perf_counter()
    g = np.asarray(groups, dtype=np.int64)
    lp_check = _Feasibility(backend, model, g, options, relaxation=True)
    method: Method = "elastic filter"
    found: tuple[set[int], bool] | None = None
    relaxation = False
    if use_iis and backend.capabilities.iis:
        iis = backend.iis(model, replace(options, time_limit=lp_check.left()))
        if iis is not None:
            seed = {int(x) for x in g[iis.rows] if x >= 0}
            # checked, not trusted: a seed the LP solves with is no conflict (HiGHS has
            # returned a subsystem missing a row), and the elastic filter takes over
            if lp_check.feasible(seed) is not True:
                found, method, relaxation = (seed, True), "solver IIS", True
    check = lp_check if relaxation else _Feasibility(backend, model, g, options,
                                                     relaxation=not model.is_mip)
    check.deadline = lp_check.deadline
    if found is None:
        found = _elastic_filter(backend, model, g, options, check)
        if found is None:
            return None
    candidates, decided = found
    if not candidates:
        # nothing to relax: the definitions conflict alone (or nothing was decided)
        return Conflict((), "definitions", decided, check.solves + lp_check.solves,
                        time.perf_counter() - t0)
    kept = set(candidates)
    for rule in sorted(candidates):  # (E3)
        verdict = check.feasible(kept - {rule})
        if verdict is False:
            kept.discard(rule)
        elif verdict is None:
            decided = False
    solves = check.solves + (lp_check.solves if check is not lp_check else 0)
    return Conflict(tuple(sorted(kept)), method, decided, solves, time.perf_counter() - t0)

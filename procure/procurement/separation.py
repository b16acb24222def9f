"""Linking rows (2a) by separation: the strong LP bound with a few of its rows (section
11.6 of ``models/procurement.md``).

The strong formulation has one row (2a) ``sum_t x_{k,t} <= R_k z_l`` per pair; the weak
one links purchases to launches through capacity, (3a) and (3c), alone. Both are
correct formulations (with (2b) every pair buys at most R_k either way); the strong
one's LP bound is tighter, and on facility-location models with many pairs most of its
rows are slack at every LP optimum: they make every node's LP larger and cut nothing.

Separation keeps the rows that matter. Solve the LP relaxation of the weak formulation
plus the rows kept so far; add the (2a) row of every pair whose LP purchases exceed
``R_k z_l`` (relative tolerance ``TOL``); repeat until none is violated. The last LP's
optimum is then the strong formulation's LP bound (every (2a) row holds at it), and the
MIP is solved with the rows kept. Any set of kept rows gives a correct formulation, so
the rounds may stop anywhere; they give up (and the full strong formulation is solved)
when the kept rows pass ``MAX_SHARE`` of the pairs, after ``MAX_ROUNDS`` rounds, or when
an LP does not solve within the time given: then the rows are not few.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from procure.backends.base import Backend, SolveOptions, Status
from procure.procurement.formulation import Formulation, build

MIN_PAIRS = 10_000  # models with fewer pairs keep every (2a) row (measured: section 11.6)
MAX_SHARE = 0.005  # give up when the kept rows pass this share of the pairs ...
MAX_ROUNDS = 12  # ... or after this many LP rounds
TOL = 1e-6  # a row is violated when X_k - R_k z_l > TOL max(1, R_k)


@dataclass(frozen=True)
class Separated:
    """The outcome: the formulation to solve (``None``: keep the full strong one), the
    pairs kept, the LP rounds, the last LP's bound and a sentence for the record."""

    formulation: Formulation | None
    kept: int
    rounds: int
    bound: float | None
    seconds: float
    message: str


def applies(f: Formulation) -> bool:
    """Whether ``f`` is a strong formulation with every (2a) row and enough pairs for
    separation to pay (``MIN_PAIRS``)."""
    o = f.options
    return o.strong_linking and o.linking_pairs is None and f.compiled.num_pairs >= MIN_PAIRS


def violated(f: Formulation, x: np.ndarray) -> np.ndarray:
    """Per pair: whether the LP solution ``x`` of ``f`` breaks its (2a) row,
    ``sum_t x_{k,t} > R_k z_l`` beyond the tolerance (pairs with a join column u_k have
    their row in every formulation and are never reported)."""
    c = f.compiled
    units = np.bincount(c.cell_pair, weights=f.buy.values(x), minlength=c.num_pairs)
    z = f.launch.values(x)[c.pair_launch]
    excess = units - c.pair_bound * z
    return (excess > TOL * np.maximum(1.0, c.pair_bound)) & (f.join_column < 0)


def separate_linking(f: Formulation, backend: Backend, *, time_limit: float | None = None,
                     threads: int = 1, seed: int = 0) -> Separated:
    """The rounds of the module docstring on ``f`` (a strong formulation), each LP solved
    by ``backend`` within what is left of ``time_limit`` seconds."""
    t0 = time.perf_counter()
    c = f.compiled
    keep = np.zeros(c.num_pairs, dtype=np.bool_)
    limit = MAX_SHARE * c.num_pairs
    for rounds in range(1, MAX_ROUNDS + 1):
        g = build(c, replace(f.options, linking_pairs=tuple(np.flatnonzero(keep).tolist())))
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if left is not None and left <= 0:
            return _declined(keep, rounds - 1, t0, "no time left for an LP round")
        lp = replace(g.model, integrality=np.zeros(g.model.num_cols, dtype=np.bool_))
        out = backend.solve(lp, SolveOptions(time_limit=left, threads=threads, seed=seed))
        if out.status != Status.OPTIMAL or out.x is None:
            return _declined(keep, rounds, t0, f"LP round {rounds}: {out.status}")
        new = violated(g, out.x) & ~keep
        if not new.any():
            seconds = time.perf_counter() - t0
            return Separated(g, int(keep.sum()), rounds, out.objective, seconds,
                             f"linking rows (2a) by separation: {int(keep.sum())} of "
                             f"{c.num_pairs} pairs in {rounds} LP rounds ({seconds:.2g} s), "
                             f"LP bound {out.objective:.10g}")
        keep |= new
        if keep.sum() > limit:
            return _declined(keep, rounds, t0, f"more than {MAX_SHARE:.1%} of the pairs "
                                               "violated")
    return _declined(keep, MAX_ROUNDS, t0, f"still violated after {MAX_ROUNDS} LP rounds")


def _declined(keep: np.ndarray, rounds: int, t0: float, why: str) -> Separated:
    seconds = time.perf_counter() - t0
    return Separated(None, int(keep.sum()), rounds, None, seconds,
                     f"linking rows (2a) by separation declined after {rounds} LP rounds "
                     f"({seconds:.2g} s): {why}; every (2a) row kept")

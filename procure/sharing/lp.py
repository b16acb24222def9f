"""The excess LP of the least core and the nucleolus, solved by constraint generation.

One level of the nucleolus sequence (``models/sharing.md`` equation (12)) is::

    minimise    eps
    subject to  x(N) = v(N)                                     (12a) efficiency
                sigma (x(S) - v(S)) = eps_S      S in F         (12b) fixed coalitions
                sigma (x(S) - v(S)) - eps <= 0   S in G         (12c) generated coalitions
                sigma (x_i - v({i})) <= 0        i in I         (12d) individual rationality
                x_i = v({i})                     i in I_F       (12e) fixed rationality

over ``x`` (one amount per player) and ``eps``, both free. ``G`` starts with every
singleton and its complement (so the LP is bounded, section 5.3) and grows by the
separation oracle :meth:`~procure.sharing.game.Game.most_violated` until no coalition
outside ``F`` has an excess above ``eps`` (15). The least core (10) is the first level
without (12d).

The LPs go through procure's solver seam: each is a :class:`~procure.lp.ModelArrays`
handed to a :class:`~procure.backends.Backend` that reports row duals (HiGHS by
default), whose duals tell which coalitions are tight in every optimum (13).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from procure.backends import Backend, SolveOptions, Status, get_backend, pick_backend
from procure.errors import ProcureError, SolverUnavailableError
from procure.lp.model import FloatArray, IntArray, LinearModel, ModelArrays
from procure.sharing.game import Fixed, Game, grand, sign

MAX_LP_SOLVES = 100_000
"""Most LPs one rule may solve (a guard against a misbehaving oracle)."""


class SharingLpError(ProcureError):
    """An LP of the least core or the nucleolus was not solved to optimality, or its
    answer contradicts itself (the message says which LP and why)."""


@dataclass(frozen=True)
class Tolerances:
    """Tolerances of the rules (``models/sharing.md`` section 10), relative to the game's
    scale ``s = max(1, |v(N)|, max_i |v({i})|)`` (:func:`game_scale`) except ``dual``.

    - ``generation``: a coalition is added to the LP when its excess exceeds the LP's
      ``eps`` by more than ``generation * s`` (15);
    - ``tight``: a coalition counts as tight at the LP's solution when its excess is
      within ``tight * s`` of ``eps`` (13);
    - ``dual``: a row dual above this is positive (duals are weights summing to 1 over
      the rows (12c));
    - ``verdict``: an allocation is in the core, the core non-empty, a player
      individually rational, when the deciding excess is at most ``verdict * s``.
    """

    generation: float = 1e-9
    tight: float = 1e-7
    dual: float = 1e-9
    verdict: float = 1e-7


DEFAULT_TOLERANCES = Tolerances()


def game_scale(game: Game) -> float:
    """``max(1, |v(N)|, max_i |v({i})|)``: the size of the numbers in ``game``, against
    which the tolerances are relative (all values of an explicit game count)."""
    from procure.sharing.game import ExplicitGame, standalone

    if isinstance(game, ExplicitGame):
        return max(1.0, float(np.abs(game.values).max()))
    n = len(game.players)
    return max(1.0, abs(game.value(grand(n))), float(np.abs(standalone(game)).max()))


def lp_backend(backend: Backend | str | None) -> Backend:
    """The backend for the excess LPs: ``backend`` (an instance or a name) when it reports
    row duals, else the first installed one that does (HiGHS first)."""
    if isinstance(backend, Backend):
        chosen: Backend | None = backend
    elif backend is not None:
        chosen = get_backend(backend)
    else:
        chosen = pick_backend("duals", prefer="highs")
    if chosen is None or not chosen.capabilities.duals:
        name = "no installed solver" if chosen is None else f"solver {chosen.name!r}"
        raise SolverUnavailableError(f"{name} reports LP duals, which the nucleolus and the "
                                     "least core need (use highs)")
    return chosen


def _coalition_coo(masks: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """(row, player) of every member of every coalition in ``masks``."""
    bits = (masks[:, None] >> np.arange(n, dtype=np.int64)[None, :]) & 1
    rows, cols = np.nonzero(bits)
    return rows.astype(np.int64), cols.astype(np.int64)


@dataclass(frozen=True)
class LevelProblem:
    """The data of one level (12) apart from the generated set ``G``."""

    game: Game
    value_n: float
    alone: FloatArray  # v({i})
    fixed: Mapping[int, tuple[float, float]]  # F: coalition -> (v(S), eps_S)
    rational: bool  # rows (12d) present (the nucleolus on imputations)
    fixed_rational: frozenset[int]  # I_F: players whose x_i = v({i}) (12e)
    span: Fixed  # what the oracle skips: F, I_F and everything in their span (14)


@dataclass(frozen=True)
class Level:
    """The solution of one level (12): ``eps``, ``x``, the generated coalitions with
    their values and row duals, the rationality rows' duals, and the LPs it took."""

    epsilon: float
    x: FloatArray
    coalitions: IntArray  # G, in row order
    values: FloatArray  # v(S) of G
    duals: FloatArray  # |dual| of each row (12c)
    rational_duals: FloatArray  # |dual| of each row (12d), per player (0 when absent)
    lp_solves: int


def _build(p: LevelProblem, masks: IntArray, vals: FloatArray) -> ModelArrays:
    """The LP (12) over the coalitions ``masks`` with values ``vals``."""
    game = p.game
    n = len(game.players)
    s = sign(game.kind)
    lm = LinearModel(name="excess")
    lower = np.full(n, -math.inf)
    upper = np.full(n, math.inf)
    for i in p.fixed_rational:  # (12e)
        lower[i] = upper[i] = p.alone[i]
    x = lm.add_variables("x", n, lower=lower, upper=upper)
    eps = lm.add_variables("eps", 1, lower=-math.inf, cost=1.0)
    # (12a) efficiency
    lm.add_constraints("efficiency", 1, np.zeros(n), x.index, 1.0,
                       lower=p.value_n, upper=p.value_n)
    # (12b) fixed coalitions: x(S) = v(S) + sigma eps_S
    if p.fixed:
        fm = np.fromiter(p.fixed, dtype=np.int64, count=len(p.fixed))
        fvals = np.array([p.fixed[int(m)][0] for m in fm], dtype=np.float64)
        level = np.array([p.fixed[int(m)][1] for m in fm], dtype=np.float64)
        r, c = _coalition_coo(fm, n)
        rhs = fvals + s * level
        lm.add_constraints("fixed", fm.size, r, x.index[c], 1.0, lower=rhs, upper=rhs)
    # (12c) generated coalitions: sigma x(S) - eps <= sigma v(S)
    r, c = _coalition_coo(masks, n)
    rows = np.concatenate([r, np.arange(masks.size)])
    cols = np.concatenate([x.index[c], np.full(masks.size, eps.start)])
    coef = np.concatenate([np.full(r.size, s), np.full(masks.size, -1.0)])
    lm.add_constraints("excess", masks.size, rows, cols, coef, upper=s * vals)
    # (12d) individual rationality: sigma x_i <= sigma v({i})
    if p.rational:
        lm.add_constraints("rational", n, np.arange(n), x.index, s, upper=s * p.alone)
    return lm.finalize()


def _initial(n: int, span: Fixed, extra: Iterable[int]) -> list[int]:
    """Every singleton and its complement, then ``extra``: those the oracle would not
    skip (not in the span of the fixed rows), once each."""
    full = grand(n)
    seed = [1 << i for i in range(n)] + [full ^ (1 << i) for i in range(n)] + list(extra)
    seed = list(dict.fromkeys(m for m in seed if 0 < m < full))
    if not seed:
        return []
    free = ~span.in_span(np.asarray(seed, dtype=np.int64))
    return [m for m, keep in zip(seed, free.tolist(), strict=True) if keep]


def _separate(game: Game, x: FloatArray,
              skip: Fixed) -> tuple[tuple[int, float] | None, Fixed]:
    """The oracle's most violated coalition (15) outside the span of the fixed rows, and
    what to skip from now on. An oracle that skips only the coalitions ``skip`` lists
    may answer with one in the span (its excess is constant: it must not become a row,
    whose constant excess would hold eps up); that one is listed and the oracle asked
    again."""
    for _ in range(MAX_LP_SOLVES):
        found = game.most_violated(x, skip)
        if found is None or not skip.skips(found[0]):
            return found, skip
        if found[0] in skip.coalitions:
            raise SharingLpError(f"the oracle of the game returned coalition {found[0]}, "
                                 "which it was told to skip")
        skip = skip.listing(found[0])
    raise SharingLpError(f"the oracle returned {MAX_LP_SOLVES} coalitions it should skip")


def solve_level(p: LevelProblem, backend: Backend, options: SolveOptions,
                tol: Tolerances, scale: float, start: Iterable[int] = ()) -> Level:
    """Solve one level (12) by constraint generation (15): solve the LP over ``G``, ask
    the oracle for the coalition outside ``F`` of largest excess at its ``x``, add it and
    its complement when that excess exceeds ``eps`` by more than the generation
    tolerance, and solve again; stop when none does. The restricted LP's optimum is then
    the full LP's (every other coalition satisfies (12c)), and so are its duals (zero on
    the rows never generated). ``start`` adds coalitions to the first ``G``."""
    game = p.game
    n = len(game.players)
    full = grand(n)
    masks = _initial(n, p.span, start)
    known: set[int] = set(masks)
    skip = p.span
    vals = np.fromiter((game.value(m) for m in masks), dtype=np.float64, count=len(masks))
    solves = 0
    while True:
        if solves >= MAX_LP_SOLVES:
            raise SharingLpError(f"no optimum of the excess LP after {solves} LPs "
                                 f"({len(masks)} coalitions generated)")
        model = _build(p, np.asarray(masks, dtype=np.int64), vals)
        out = backend.solve(model, options)
        solves += 1
        if out.status != Status.OPTIMAL or out.x is None:
            why = "the allocations allowed are empty" if out.status == Status.INFEASIBLE \
                else out.message
            raise SharingLpError(f"the excess LP ({len(masks)} coalitions) was not solved "
                                 f"by {backend.name}: {out.status}: {why}")
        if out.row_duals is None:
            raise SharingLpError(f"{backend.name} returned no duals for the excess LP")
        x = out.x[:n].copy()
        eps = float(out.x[n])
        found, skip = _separate(game, x, skip)
        if found is None or found[1] <= eps + tol.generation * scale:
            break
        if found[0] in known:  # the LP violates its own row (12c): solver round-off
            if found[1] <= eps + tol.tight * scale:
                break
            raise SharingLpError(f"the excess LP's solution violates its own row of coalition "
                                 f"{found[0]} by {found[1] - eps:.3g}")
        # its complement is not in the span either (N is): the pair keeps eps bounded
        new = [m for m in (found[0], full ^ found[0]) if m not in known]
        masks += new
        known.update(new)
        vals = np.concatenate([vals, [game.value(m) for m in new]])
    first = 1 + len(p.fixed)  # row blocks: efficiency, fixed, excess, rational
    duals = np.abs(out.row_duals[first : first + len(masks)])
    rational = (np.abs(out.row_duals[first + len(masks) : first + len(masks) + n])
                if p.rational else np.zeros(n))
    return Level(eps, x, np.asarray(masks, dtype=np.int64), vals, duals, rational, solves)

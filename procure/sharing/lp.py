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

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from procure.backends import Backend, SolveOptions, Status, get_backend, pick_backend
from procure.errors import ProcureError, SolverUnavailableError
from procure.lp.model import FloatArray, IntArray, LinearModel, ModelArrays
from procure.sharing.game import Fixed, Game, grand, members, sign, values_of

log = logging.getLogger(__name__)

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


def _proximal(model: ModelArrays, n: int, eps: float, center: FloatArray,
              backend: Backend, options: SolveOptions) -> FloatArray | None:
    """Among the optima of the level's LP ``model`` (eps at most ``eps``), the allocation
    nearest ``center`` in the 1-norm (29); None when that LP is not solved."""
    lm = LinearModel.from_arrays(model)
    up = lm.add_variables("above center", n)
    down = lm.add_variables("below center", n)
    idx = np.arange(n)
    lm.add_constraints("distance", n, np.concatenate([idx, idx, idx]),
                       np.concatenate([idx, up.index, down.index]),
                       np.concatenate([np.ones(n), -np.ones(n), np.ones(n)]),
                       lower=center, upper=center)
    arrays = lm.finalize()
    cost = np.zeros(arrays.num_cols)
    cost[up.start : up.start + 2 * n] = 1.0
    upper = arrays.col_upper.copy()
    upper[n] = eps  # the eps column
    out = backend.solve(replace(arrays, col_cost=cost, col_upper=upper), options)
    if out.status != Status.OPTIMAL or out.x is None:
        return None
    return np.asarray(out.x[:n], dtype=np.float64)


IN_OUT = 0.5
"""Weight of the LP's solution in the separation point of the in-out stabilisation
(Ben-Ameur and Neto 2007): the oracle is asked at IN_OUT x_LP + (1 - IN_OUT) x_center."""


def solve_level(p: LevelProblem, backend: Backend, options: SolveOptions,
                tol: Tolerances, scale: float, start: Iterable[int] = (),
                center_x: FloatArray | None = None) -> Level:
    """Solve one level (12) by constraint generation (15), stabilised in-out (28):
    solve the LP over ``G`` (a lower bound ``eps_LP`` at ``x_LP``); ask the oracle for
    the coalition of largest excess at a point between ``x_LP`` and the best feasible
    allocation known, the *center* ``x_c`` (the first LP solution, with its largest
    excess ``eps_c`` as an upper bound); add that coalition and its complement when it
    violates ``x_LP``, and move the center to the separation point when the point's
    largest excess is below ``eps_c``. When the bounds meet, or the separation point
    finds nothing that violates ``x_LP`` (a mispricing), the oracle is asked at ``x_LP``
    itself; the level ends when no
    coalition outside ``F`` exceeds ``eps_LP`` there by more than the generation
    tolerance. The restricted LP's optimum is then the full LP's (every other coalition
    satisfies (12c)), and so are its duals (zero on the rows never generated). Of the
    LP's optima, the one nearest the center is taken (29), so that ``x_LP`` does not
    jump between far vertices of a large optimal face. ``start`` adds coalitions to the
    first ``G``; ``center_x`` is the first center (the previous level's allocation)."""
    game = p.game
    n = len(game.players)
    s = sign(game.kind)
    full = grand(n)
    masks = _initial(n, p.span, start)
    known: set[int] = set(masks)
    skip = p.span
    vals = values_of(game, np.asarray(masks, dtype=np.int64))
    solves = 0
    # (x_c, eps_c): the center, a feasible point of (12) once eps_c is finite; it starts
    # from ``center`` (the previous level's allocation) or the efficient equal split of
    # the surplus over the stand-alone values
    if center_x is None:
        center_x = p.alone + (p.value_n - float(p.alone.sum())) / n
    center: tuple[FloatArray, float] | None = (np.asarray(center_x, dtype=np.float64),
                                               math.inf)
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
        slack = tol.generation * scale
        if center is not None:  # (29): the optimum nearest the center, not any vertex
            near = _proximal(model, n, eps, center[0], backend, options)
            solves += 1
            if near is not None:
                x = near
        log.debug("excess LP %d: eps %.6g over %d coalitions, center %s", solves, eps,
                  len(masks), "-" if center is None else f"{center[1]:.6g}")
        new: list[int] = []
        at_x = center is None or center[1] - eps <= slack
        while True:  # (28): separate at a point between x and the center, else at x
            point = x if at_x or center is None else IN_OUT * x + (1 - IN_OUT) * center[0]
            found, skip = _separate(game, point, skip)
            if found is None:
                break
            if center is None or found[1] < center[1]:
                center = (point, found[1])  # the point and its largest excess: feasible
            here = s * (float(x[members(found[0], n)].sum()) - game.value(found[0]))
            if here > eps + slack:
                if found[0] in known:  # the LP violates its own row (12c): round-off
                    if here <= eps + tol.tight * scale:
                        break
                    raise SharingLpError(f"the excess LP's solution violates its own row of "
                                         f"coalition {found[0]} by {here - eps:.3g}")
                # its complement is not in the span either (N is): the pair keeps eps bounded
                new = [m for m in (found[0], full ^ found[0]) if m not in known]
                break
            if at_x:
                break  # nothing exceeds eps at x: the LP's optimum is the level's
            at_x = True  # the point found nothing against x (a mispricing): ask at x
        if not new:
            break
        masks += new
        known.update(new)
        vals = np.concatenate([vals, values_of(game, np.asarray(new, dtype=np.int64))])
    first = 1 + len(p.fixed)  # row blocks: efficiency, fixed, excess, rational
    duals = np.abs(out.row_duals[first : first + len(masks)])
    rational = (np.abs(out.row_duals[first + len(masks) : first + len(masks) + n])
                if p.rational else np.zeros(n))
    return Level(eps, x, np.asarray(masks, dtype=np.int64), vals, duals, rational, solves)

"""Allocation rules of a cooperative game and the core check (``models/sharing.md``).

Every rule is a pure function of a :class:`~procure.sharing.game.Game` (and its own
parameters) returning one amount per player, in ``game.players`` order: for a cost game
what each pays, for a profit game what each receives; every allocation is efficient
(6): the amounts add up to ``v(N)``. Cost and profit games are treated alike through
the excess (5), ``e(S, x) = sigma (x(S) - v(S))``.

- :func:`shapley` (16)-(17) exact, :func:`shapley_sampled` (18)-(20) by stratified
  permutation sampling with a standard error;
- :func:`least_core` (10) and :func:`nucleolus` / :func:`prenucleolus` (11)-(15): LPs
  through procure's solver seam with constraint generation (:mod:`procure.sharing.lp`);
- :func:`scrb` (21)-(23) separable cost remaining benefit;
- :func:`proportional` and :func:`equal_split` (24);
- :func:`core_check` (9) of any allocation, :func:`core_nonempty` (10).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from procure.backends import Backend, SolveOptions
from procure.errors import ProcureError
from procure.lp.model import FloatArray, IntArray
from procure.sharing.game import (
    MAX_EXPLICIT_PLAYERS,
    ExplicitGame,
    Fixed,
    Game,
    all_values,
    grand,
    members,
    player_vector,
    popcounts,
    sign,
    standalone,
    values_of,
)
from procure.sharing.lp import (
    DEFAULT_TOLERANCES,
    LevelProblem,
    SharingLpError,
    Tolerances,
    game_scale,
    lp_backend,
    solve_level,
)

MAX_EXACT_SHAPLEY = 16
"""Most players of a game that is not explicit for the exact Shapley value (it asks for
all ``2^n - 1`` values); an :class:`ExplicitGame` already holds them (up to
:data:`~procure.sharing.game.MAX_EXPLICIT_PLAYERS`)."""

Domain = Literal["imputation", "preimputation"]


class NoImputationError(ProcureError):
    """The game has no imputation (7): a cost game with ``c(N) > sum_i c({i})``, a profit
    game with ``v(N) < sum_i v({i})``; the nucleolus is not defined there (the
    prenucleolus is)."""


# ---------------------------------------------------------------------------------------
# Shapley value


def _shapley_weights(n: int) -> FloatArray:
    """``w_s = s! (n - s - 1)! / n! = 1 / (n C(n-1, s))`` for ``s = 0..n-1`` (16)."""
    return np.array([1.0 / (n * math.comb(n - 1, s)) for s in range(n)], dtype=np.float64)


def shapley(game: Game) -> FloatArray:
    """The Shapley value (16), exactly, by enumeration over coalitions (17)::

        phi_i = sum_{S containing i} w_{|S|-1} v(S) - sum_{S not containing i} w_{|S|} v(S)
        w_s   = s! (n - s - 1)! / n!

    Each sum is one weighted reduction of the ``2^n`` values held as an array of shape
    ``(2,) * n`` (no loop over coalitions): ``O(n 2^n)`` numpy work. A game that is not
    explicit is asked for all its values (at most :data:`MAX_EXACT_SHAPLEY` players)."""
    n = len(game.players)
    limit = MAX_EXPLICIT_PLAYERS if isinstance(game, ExplicitGame) else MAX_EXACT_SHAPLEY
    if n > limit:
        raise ValueError(f"the exact Shapley value of {n} players needs 2^{n} values; use "
                         "shapley_sampled")
    v = all_values(game)
    size = popcounts(n)
    w = _shapley_weights(n)
    # (17): coalitions with i weigh w_{|S|-1}, coalitions without i weigh w_{|S|}
    with_i = (np.concatenate([[0.0], w])[size] * v).reshape((2,) * n)
    without_i = (np.concatenate([w, [0.0]])[size] * v).reshape((2,) * n)
    phi = np.empty(n, dtype=np.float64)
    for i in range(n):
        axis = n - 1 - i  # bit i of the mask is this axis of the C-ordered reshape
        rest = tuple(k for k in range(n) if k != axis)
        phi[i] = with_i.sum(axis=rest)[1] - without_i.sum(axis=rest)[0]
    return phi


@dataclass(frozen=True)
class ShapleyEstimate:
    """A sampled Shapley value (18)-(20): the estimate, its standard error and the
    half-width of a two-sided ``confidence`` interval (Student t, ``samples - 1`` degrees
    of freedom), per player; ``samples`` permutations (replicates), ``evaluations``
    distinct coalition values asked for, and the ``seed`` that reproduces it."""

    value: FloatArray
    std_error: FloatArray
    half_width: FloatArray
    confidence: float
    samples: int
    evaluations: int
    seed: int


_CHUNK = 1024  # replicates per vectorised batch of shapley_sampled (bounds its memory)


def shapley_sampled(game: Game, samples: int = 200, *, seed: int = 0,
                    confidence: float = 0.95) -> ShapleyEstimate:
    """The Shapley value estimated by stratified permutation sampling (18)-(20).

    Each of ``samples`` replicates draws a uniformly random order ``pi`` of the players
    and takes its ``n`` cyclic rotations: in them every player stands once at each
    position ``k = 0..n-1``, and the players before it are a uniformly random
    ``k``-subset of the others, so the marginal contribution there is an unbiased
    sample of the position-``k`` stratum mean ``mu_{i,k}``. The replicate's estimate is
    ``(1/n) sum_k`` of those marginals (19), unbiased for ``phi_i = (1/n) sum_k mu_{i,k}``
    with exactly one sample per stratum; replicates are independent, so the estimate is
    their mean and its standard error their standard deviation over ``sqrt(samples)``
    (20). A replicate needs ``n (n - 1)`` coalition values (``v(N)`` once); the same seed
    gives the same estimate."""
    if samples < 2:
        raise ValueError(f"samples must be at least 2 (for a standard error), got {samples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    from scipy.special import stdtrit

    n = len(game.players)
    rng = np.random.default_rng(seed)
    pos = np.arange(n)
    rot = pos[:, None] + pos[None, :]  # (rotation r, position k) -> index r + k into pi pi
    seen: set[int] | None = None if isinstance(game, ExplicitGame) else set()
    estimates = np.empty((samples, n), dtype=np.float64)
    asked: list[IntArray] = []
    for start in range(0, samples, _CHUNK):
        g = min(_CHUNK, samples - start)
        perms = np.argsort(rng.random((g, n)), axis=1)
        twice = np.concatenate([perms, perms], axis=1)
        order = twice[:, rot]  # (g, r, k): the player at position k of rotation r
        prefix = np.cumsum(np.left_shift(1, order), axis=2)  # coalitions of the first k+1
        vals = values_of(game, prefix)
        if seen is not None:
            seen.update(np.unique(prefix).tolist())
        else:
            asked.append(np.unique(prefix))
        marginal = vals - np.concatenate([np.zeros((g, n, 1)), vals[:, :, :-1]], axis=2)
        flat = (np.arange(g)[:, None, None] * n + order).ravel()
        estimates[start : start + g] = (
            np.bincount(flat, weights=marginal.ravel(), minlength=g * n).reshape(g, n) / n)
    evaluations = len(seen) if seen is not None else int(np.unique(np.concatenate(asked)).size)
    value = estimates.mean(axis=0)
    se = estimates.std(axis=0, ddof=1) / math.sqrt(samples)
    t = float(stdtrit(samples - 1, 0.5 + confidence / 2))
    return ShapleyEstimate(value, se, t * se, confidence, samples, evaluations, seed)


# ---------------------------------------------------------------------------------------
# least core and nucleolus


@dataclass(frozen=True)
class LeastCore:
    """The least core (10): ``epsilon``, the smallest ``e`` such that some efficient
    allocation has every proper coalition's excess at most ``e`` (negative when the core
    has an interior, positive when the core is empty), and ``allocation``, one such
    allocation (a vertex of the LP's optimal face: the prenucleolus is the canonical
    point of the least core); ``lp_solves`` LPs were solved."""

    epsilon: float
    allocation: FloatArray
    lp_solves: int


@dataclass(frozen=True)
class Nucleolus:
    """The (pre)nucleolus (11): the allocation, the excess levels ``eps_1 >= eps_2 >= ...``
    of the LP sequence (12), the LPs solved, and the domain: ``imputation`` (the
    nucleolus of Schmeidler 1969, individually rational) or ``preimputation`` (the
    prenucleolus, any efficient allocation)."""

    allocation: FloatArray
    levels: tuple[float, ...]
    lp_solves: int
    domain: Domain


def least_core(game: Game, *, backend: Backend | str | None = None,
               options: SolveOptions | None = None,
               tol: Tolerances = DEFAULT_TOLERANCES) -> LeastCore:
    """The least core (10)::

        eps* = min eps  s.t.  x(N) = v(N),  e(S, x) <= eps  for every proper S != {}

    by constraint generation (15) from the singletons and their complements. The LP
    goes to ``backend`` (default: HiGHS) through procure's solver seam."""
    n = len(game.players)
    be = lp_backend(backend)
    p = LevelProblem(game, game.value(grand(n)), standalone(game), {}, False, frozenset(),
                     Fixed.start(n))
    lvl = solve_level(p, be, options or SolveOptions(), tol, game_scale(game))
    return LeastCore(lvl.epsilon, lvl.x, lvl.lp_solves)


def _excess(kind_sign: float, masks: IntArray, vals: FloatArray, x: FloatArray) -> FloatArray:
    """``e(S, x)`` (5) of the coalitions ``masks`` with values ``vals``."""
    n = x.size
    bits = ((masks[:, None] >> np.arange(n, dtype=np.int64)[None, :]) & 1).astype(np.float64)
    return kind_sign * (bits @ x - vals)


def nucleolus(game: Game, *, domain: Domain = "imputation",
              backend: Backend | str | None = None, options: SolveOptions | None = None,
              tol: Tolerances = DEFAULT_TOLERANCES) -> Nucleolus:
    """The nucleolus (11): the allocation that lexicographically minimises the vector of
    excesses sorted from largest to smallest, over the imputations (7) (``domain=
    "imputation"``, Schmeidler's nucleolus; :class:`NoImputationError` when there are
    none) or over every efficient allocation (``"preimputation"``, the prenucleolus).

    Computed as a sequence of LPs (12) (Kopelowitz 1967; Maschler, Peleg & Shapley 1979):
    level ``k`` minimises ``eps`` subject to efficiency, the coalitions fixed at earlier
    levels held at their excess, and every other coalition's excess at most ``eps``,
    solved by constraint generation with ``game.most_violated`` (15). The coalitions
    whose rows have a positive dual are tight in every optimum (complementary
    slackness), so they are fixed at ``eps_k`` (13) (and, on imputations, the players
    whose rationality row has a positive dual at ``x_i = v({i})``); at least one is,
    as the duals of (12c) sum to 1. The sequence stops when the fixed coalitions'
    indicator vectors with ``1_N`` span ``R^n`` (14): the allocation is then unique."""
    n = len(game.players)
    s = sign(game.kind)
    full = grand(n)
    scale = game_scale(game)
    value_n = game.value(full)
    alone = standalone(game)
    rational = domain == "imputation"
    if domain not in ("imputation", "preimputation"):
        raise ValueError(f"domain must be 'imputation' or 'preimputation', got {domain!r}")
    if rational and s * (value_n - float(alone.sum())) > tol.verdict * scale:
        what = "c(N) > sum of c({i})" if s > 0 else "v(N) < sum of v({i})"
        raise NoImputationError(f"the game has no imputation ({what}): the nucleolus is not "
                                "defined (the prenucleolus is)")
    be = lp_backend(backend)
    opts = options or SolveOptions()
    fixed: dict[int, tuple[float, float]] = {}
    fixed_rational: set[int] = set()
    span = Fixed.start(n)
    levels: list[float] = []
    solves = 0
    carry: list[int] = []
    x = np.zeros(n)
    while span.rank < n:
        p = LevelProblem(game, value_n, alone, dict(fixed), rational,
                         frozenset(fixed_rational), span)
        lvl = solve_level(p, be, opts, tol, scale, start=carry,  # (12), (15)
                          center_x=x if levels else None)
        solves += lvl.lp_solves
        levels.append(lvl.epsilon)
        x = lvl.x
        # (13) fix the coalitions with a positive dual (checked tight at x)
        ex = _excess(s, lvl.coalitions, lvl.values, x)
        tight = (lvl.duals > tol.dual) & (ex >= lvl.epsilon - tol.tight * scale)
        if not tight.any():
            raise SharingLpError(f"level {len(levels)} of the nucleolus (eps = "
                                 f"{lvl.epsilon:.6g}) has no tight coalition with a positive "
                                 "dual")
        for m, val in zip(lvl.coalitions[tight].tolist(), lvl.values[tight].tolist(),
                          strict=True):
            fixed[m] = (val, lvl.epsilon)
            span = span.add(m)
        if rational:
            bound = s * (x - alone) >= -tol.tight * scale
            for i in np.flatnonzero((lvl.rational_duals > tol.dual) & bound).tolist():
                fixed_rational.add(i)
                span = span.add(player=i)
        carry = [m for m in lvl.coalitions.tolist() if m not in fixed]
    return Nucleolus(x, tuple(levels), solves, domain)


def prenucleolus(game: Game, *, backend: Backend | str | None = None,
                 options: SolveOptions | None = None,
                 tol: Tolerances = DEFAULT_TOLERANCES) -> Nucleolus:
    """The prenucleolus: :func:`nucleolus` over every efficient allocation (11)."""
    return nucleolus(game, domain="preimputation", backend=backend, options=options, tol=tol)


# ---------------------------------------------------------------------------------------
# SCRB and proportional rules


def scrb(game: Game) -> FloatArray:
    """Separable cost remaining benefit (21)-(23). For a cost game::

        SC_i  = c(N) - c(N \\ {i})          separable cost (21)
        r_i   = c({i}) - SC_i               remaining benefit (21)
        x_i   = SC_i + (c(N) - sum_j SC_j) r_i / sum_j r_j      (22)

    and for a profit game the rule applied to the cost game ``-v`` (23), i.e.
    ``x_i = M_i + (v(N) - sum_j M_j) r_i / sum_j r_j`` with ``M_i = v(N) - v(N \\ {i})``
    and ``r_i = M_i - v({i})``. When ``sum_j r_j`` is zero the non-separable part is
    split equally. Only ``v(N)``, ``v(N \\ {i})`` and ``v({i})`` are asked for."""
    n = len(game.players)
    s = sign(game.kind)
    full = grand(n)
    value_n = s * game.value(full)
    without = s * values_of(game, full ^ np.left_shift(1, np.arange(n, dtype=np.int64)))
    alone = s * standalone(game)
    separable = value_n - without  # (21), on the cost game sigma v
    remaining = alone - separable
    rest = value_n - float(separable.sum())
    total = float(remaining.sum())
    scale = max(1.0, abs(value_n), float(np.abs(alone).max()))
    share = remaining / total if abs(total) > 1e-12 * scale else np.full(n, 1.0 / n)
    return s * (separable + rest * share)  # (22), (23)


def proportional(game: Game,
                 weights: Mapping[str, float] | Sequence[float] | npt.ArrayLike) -> FloatArray:
    """``x_i = v(N) w_i / sum_j w_j`` (24): ``v(N)`` split by weights (a GDP key, units
    bought, ...) given by player id or in player order; weights must be finite and
    non-negative with a positive sum."""
    w = player_vector(game.players, weights, "weights")
    if (w < 0).any() or not w.sum() > 0:
        raise ValueError("weights must be non-negative with a positive sum")
    return np.asarray(game.value(grand(len(game.players))) * w / w.sum(), dtype=np.float64)


def equal_split(game: Game) -> FloatArray:
    """``x_i = v(N) / n`` (24 with equal weights)."""
    n = len(game.players)
    return np.full(n, game.value(grand(n)) / n)


# ---------------------------------------------------------------------------------------
# the core


@dataclass(frozen=True)
class CoreCheck:
    """Whether an allocation is in the core (8), by (9).

    - ``surplus``: ``x(N) - v(N)`` (0 for an efficient allocation (6));
    - ``coalition`` and ``excess``: the proper coalition with the largest excess (5) and
      that excess; for a cost game what it would save by leaving, for a profit game what
      it would gain (negative: every coalition is strictly better off staying);
    - ``rational``: per player, individual rationality (7);
    - ``in_core``: efficient and ``excess`` at most ``tolerance``.
    """

    players: tuple[str, ...]
    in_core: bool
    efficient: bool
    surplus: float
    coalition: int
    excess: float
    rational: tuple[bool, ...]
    tolerance: float

    @property
    def blocking(self) -> tuple[str, ...]:
        """The players of the most blocking coalition, or ``()`` when no coalition
        blocks (its excess is within the tolerance)."""
        if self.excess <= self.tolerance:
            return ()
        return tuple(self.players[i] for i in members(self.coalition, len(self.players)))


def core_check(game: Game, x: npt.ArrayLike | Mapping[str, float], *,
               tol: Tolerances = DEFAULT_TOLERANCES) -> CoreCheck:
    """Check an allocation against the core (9): efficiency (6), the most blocking proper
    coalition ``argmax_S e(S, x)`` from the game's oracle (a cost game: ``max_S x(S) -
    c(S)``, how much ``S`` saves by leaving; a profit game: ``max_S v(S) - x(S)``), and
    individual rationality per player (7). Verdicts allow ``tol.verdict`` times the
    game's scale."""
    n = len(game.players)
    alloc = player_vector(game.players, x if isinstance(x, Mapping) else np.asarray(x),
                          "allocation")
    scale = game_scale(game)
    eps = tol.verdict * scale
    surplus = float(alloc.sum()) - game.value(grand(n))
    found = game.most_violated(alloc, ())
    if found is None:  # pragma: no cover - every game has at least 2 players
        raise ValueError("a game needs at least 2 players")
    coalition, excess = found
    rational = sign(game.kind) * (alloc - standalone(game)) <= eps
    efficient = abs(surplus) <= eps
    return CoreCheck(tuple(game.players), efficient and excess <= eps, efficient, surplus,
                     coalition, excess, tuple(bool(r) for r in rational), eps)


def core_nonempty(game: Game, *, backend: Backend | str | None = None,
                  options: SolveOptions | None = None,
                  tol: Tolerances = DEFAULT_TOLERANCES) -> bool:
    """Whether the core is non-empty: the least-core ``eps*`` (10) is at most the
    tolerance."""
    lc = least_core(game, backend=backend, options=options, tol=tol)
    return lc.epsilon <= tol.verdict * game_scale(game)

"""Cooperative games with transferable utility, seen through a small oracle protocol.

A game (``models/sharing.md`` section 2) has players ``N = {0, ..., n-1}`` named by
ids, and a value for every coalition ``S`` of them, written as a bitmask: bit ``i`` is
player ``players[i]``, the empty coalition is ``0`` and ``N`` is ``2^n - 1``. A *cost*
game gives what each coalition would pay on its own, ``c(S)``; a *profit* game what it
would earn, ``v(S)``; ``v(0) = 0`` in both.

The allocation rules (:mod:`procure.sharing.rules`) reach a game only through the
:class:`Game` protocol: the value of one coalition, and the coalition whose excess
(5) is largest at an allocation, the separation oracle of the nucleolus and least-core
LPs. So a game need not list its ``2^n - 1`` values: :class:`ExplicitGame` does (and
answers the oracle by enumerating every coalition with numpy), an implicit game on the
procurement model answers it with an optimisation model of its own.

Excess, with ``sigma = +1`` for a cost game and ``-1`` for a profit game (equation (5))::

    e(S, x) = sigma (x(S) - v(S))    cost: x(S) - c(S)  (what S saves by leaving)
                                     profit: v(S) - x(S)  (what S gains by leaving)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from procure.lp.model import BoolArray, FloatArray, IntArray

GameKind = Literal["cost", "profit"]
"""``cost``: values are what coalitions pay alone; ``profit``: what they earn alone."""

MAX_EXPLICIT_PLAYERS = 20
"""Most players of an :class:`ExplicitGame`: it holds ``2^n`` values (8 MiB at 20
players) and enumerates them all for every oracle call."""


def sign(kind: GameKind) -> float:
    """``sigma`` of equation (5): +1 for a cost game, -1 for a profit game."""
    return 1.0 if kind == "cost" else -1.0


@runtime_checkable
class Game(Protocol):
    """What every allocation rule needs of a game (``models/sharing.md`` section 2).

    ``players`` are ids, ``kind`` says whether values are costs or profits, ``value``
    gives the value of a coalition bitmask (``value(0) == 0``), and ``most_violated``
    is the separation oracle of equation (15): among the non-empty coalitions other
    than ``N`` and not in ``fixed``, one with the largest excess ``e(S, x)`` (5) at the
    allocation ``x`` (one amount per player, in ``players`` order), with that excess;
    ``None`` when no coalition is left. Ties may be broken any way.

    The rules pass a :class:`Fixed` as ``fixed``: iterating it lists the coalitions
    fixed by earlier levels of the nucleolus, and ``S in fixed`` is also true for every
    coalition in the linear span of their indicator vectors (14), whose excess can no
    longer change. An oracle should skip all of those (``S in fixed``, or
    :meth:`Fixed.skipped_all`, or the hyperplane of :meth:`Fixed.direction`). One that
    skips only the listed coalitions still gives the right nucleolus, more slowly: a
    coalition of the span it returns is listed and the oracle asked again.
    """

    @property
    def players(self) -> tuple[str, ...]: ...

    @property
    def kind(self) -> GameKind: ...

    def value(self, coalition: int) -> float: ...

    def most_violated(self, x: FloatArray,
                      fixed: Collection[int] = ()) -> tuple[int, float] | None: ...


@runtime_checkable
class BatchValues(Protocol):
    """A game that can give many coalition values at once (an explicit game by indexing,
    an implicit one by solving coalitions in parallel). The rules use it when present;
    otherwise they call :meth:`Game.value` once per distinct coalition."""

    def values_of(self, coalitions: IntArray) -> FloatArray: ...


# ---------------------------------------------------------------------------------------
# coalitions as bitmasks


def grand(n: int) -> int:
    """The bitmask of ``N``, all ``n`` players."""
    return (1 << n) - 1


def members(coalition: int, n: int) -> list[int]:
    """The player indices in ``coalition``, in order."""
    return [i for i in range(n) if coalition >> i & 1]


def mask_of(indices: Iterable[int]) -> int:
    """The bitmask of the players ``indices``."""
    m = 0
    for i in indices:
        m |= 1 << int(i)
    return m


def label(coalition: int, players: Sequence[str]) -> str:
    """``{A, B}``: a coalition in words, its players in ``players`` order."""
    return "{" + ", ".join(players[i] for i in members(coalition, len(players))) + "}"


def subset_sums(x: npt.ArrayLike) -> FloatArray:
    """``s[S] = x(S) = sum_{i in S} x_i`` for every bitmask ``S`` of ``len(x)`` players
    (length ``2^n``), built by doubling: the masks with bit ``i`` set are the masks below
    ``2^i`` plus ``x_i``. No Python loop over coalitions."""
    xs = np.asarray(x, dtype=np.float64)
    out = np.zeros(1 << xs.size, dtype=np.float64)
    for i, xi in enumerate(xs):
        half = 1 << i
        np.add(out[:half], xi, out=out[half : 2 * half])
    return out


def popcounts(n: int) -> IntArray:
    """``|S|`` for every bitmask ``S`` of ``n`` players (length ``2^n``)."""
    out = np.zeros(1 << n, dtype=np.int64)
    for i in range(n):
        half = 1 << i
        np.add(out[:half], 1, out=out[half : 2 * half])
    return out


def lex_masks(n: int) -> IntArray:
    """The non-empty coalitions in lexicographic order (by size, then by members:
    ``{1}, {2}, ..., {1,2}, {1,3}, ...``), the order of R's CoopGame and TUGLab."""
    out = [mask_of(c) for k in range(1, n + 1) for c in itertools.combinations(range(n), k)]
    return np.asarray(out, dtype=np.int64)


def values_of(game: Game, coalitions: npt.ArrayLike) -> FloatArray:
    """The values of many coalitions: through :class:`BatchValues` when the game has it,
    else one :meth:`Game.value` call per distinct coalition."""
    masks = np.asarray(coalitions, dtype=np.int64)
    if isinstance(game, BatchValues):
        return np.asarray(game.values_of(masks), dtype=np.float64)
    uniq, inverse = np.unique(masks, return_inverse=True)
    vals = np.fromiter((game.value(int(m)) for m in uniq), dtype=np.float64, count=uniq.size)
    return vals[inverse].reshape(masks.shape)


def all_values(game: Game) -> FloatArray:
    """``v(S)`` for every bitmask ``S`` (length ``2^n``, ``v(0) = 0``)."""
    if isinstance(game, ExplicitGame):
        return game.values
    n = len(game.players)
    out = values_of(game, np.arange(1 << n, dtype=np.int64))
    out[0] = 0.0
    return out


def standalone(game: Game) -> FloatArray:
    """``v({i})`` of every player: what each gets (profit) or pays (cost) alone."""
    n = len(game.players)
    return values_of(game, np.left_shift(1, np.arange(n, dtype=np.int64)))


# ---------------------------------------------------------------------------------------
# what the oracle skips


SPAN_TOL = 1e-9
"""A coalition is in the span of the fixed rows when the norm of its indicator vector's
projection on their orthogonal complement is at most this times ``sqrt(n)`` (for a
coalition in the span the projection is zero up to round-off, about 1e-15)."""


@dataclass(frozen=True, eq=False)
class Fixed(Collection[int]):
    """The coalitions the separation oracle skips at a level of the nucleolus (14).

    ``rows`` are the indicator vectors of the constraints fixed so far (``1_N`` first,
    then each fixed coalition's ``1_S`` and, on imputations, each ``e_i`` of a player
    held at ``x_i = v({i})``); ``coalitions`` lists the fixed coalitions. Every
    coalition ``S`` whose ``1_S`` lies in the span of ``rows`` has the same excess at
    every allocation still allowed, so it can no longer change the order of excesses
    and is skipped, whether listed or not.

    ``null`` is an orthonormal basis (``n x d``) of the vectors orthogonal to every row;
    ``S`` is in the span exactly when ``null.T @ 1_S = 0``. An oracle that cannot
    enumerate (a MILP) can use :meth:`direction`: a random ``d`` in that complement,
    with ``d(S) = 0`` for every ``S`` in the span and, almost surely, ``d(S) != 0`` for
    every other ``S``.

    As a collection of coalitions, iterating (and ``len``) gives the listed coalitions,
    while ``S in fixed`` is :meth:`skips`: listed, or in the span.
    """

    n: int
    rows: FloatArray
    coalitions: frozenset[int] = frozenset()

    @classmethod
    def start(cls, n: int) -> Fixed:
        """Nothing fixed but efficiency: the span of ``1_N`` (only ``N`` is skipped)."""
        return cls(n, np.ones((1, n)))

    def add(self, coalition: int | None = None, *, player: int | None = None) -> Fixed:
        """These fixed constraints and one more: a coalition's row, or a player's
        ``x_i = v({i})`` (``player``); the row is kept only if it is not already in the
        span."""
        vec = np.zeros(self.n)
        if coalition is not None:
            vec[members(coalition, self.n)] = 1.0
        if player is not None:
            vec[player] = 1.0
        grown = np.vstack([self.rows, vec])
        rows = grown if np.linalg.matrix_rank(grown) > self.rank else self.rows
        listed = self.coalitions | ({coalition} if coalition is not None else set())
        return Fixed(self.n, rows, frozenset(listed))

    def listing(self, coalition: int) -> Fixed:
        """These fixed constraints, with ``coalition`` (in their span) listed too, for an
        oracle that skips only listed coalitions."""
        return Fixed(self.n, self.rows, self.coalitions | {coalition})

    @property
    def rank(self) -> int:
        """The dimension of the span (``n``: the allocation is unique)."""
        return int(np.linalg.matrix_rank(self.rows))

    @cached_property
    def null(self) -> FloatArray:
        """An orthonormal basis of the orthogonal complement of the rows (``n x d``)."""
        _, sv, vt = np.linalg.svd(self.rows)
        r = int((sv > SPAN_TOL * max(1.0, float(sv.max()))).sum())
        return np.ascontiguousarray(vt[r:].T)

    def in_span(self, coalitions: npt.ArrayLike) -> BoolArray:
        """Whether each coalition's indicator vector lies in the span of the rows."""
        masks = np.asarray(coalitions, dtype=np.int64)
        bits = ((masks[..., None] >> np.arange(self.n, dtype=np.int64)) & 1).astype(np.float64)
        proj = bits @ self.null
        return np.asarray(np.linalg.norm(proj, axis=-1) <= SPAN_TOL * np.sqrt(self.n))

    def skips(self, coalition: int) -> bool:
        """Whether the oracle skips ``coalition`` (listed, or in the span)."""
        return coalition in self.coalitions or bool(self.in_span([coalition])[0])

    def __contains__(self, coalition: object) -> bool:
        return isinstance(coalition, int | np.integer) and self.skips(int(coalition))

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self.coalitions))

    def __len__(self) -> int:
        return len(self.coalitions)

    def skipped_all(self) -> BoolArray:
        """For every bitmask of the ``n`` players, whether it is skipped: the projection
        of every ``1_S`` on the complement is the subset sums of ``null``'s columns
        (``O(d 2^n)``, computed once per :class:`Fixed`)."""
        return self._skipped

    @cached_property
    def _skipped(self) -> BoolArray:
        norm2 = np.zeros(1 << self.n)
        for col in self.null.T:
            norm2 += subset_sums(col) ** 2
        out = np.asarray(norm2 <= (SPAN_TOL * np.sqrt(self.n)) ** 2)
        if self.coalitions:
            out[np.fromiter(self.coalitions, dtype=np.int64, count=len(self.coalitions))] = True
        return out

    def direction(self, seed: int = 0) -> FloatArray:
        """A random unit vector orthogonal to every row (see the class docstring)."""
        d = self.null @ np.random.default_rng(seed).standard_normal(self.null.shape[1])
        norm = float(np.linalg.norm(d))
        return d / norm if norm > 0 else d


# ---------------------------------------------------------------------------------------
# explicit games


def _check_players(players: Sequence[str]) -> tuple[str, ...]:
    ids = tuple(str(p) for p in players)
    if len(ids) < 2:
        raise ValueError(f"a game needs at least 2 players, got {len(ids)}")
    seen: set[str] = set()
    for p in ids:
        if p in seen:
            raise ValueError(f"player {p!r} is listed twice")
        seen.add(p)
    return ids


@dataclass(frozen=True, eq=False)
class ExplicitGame:
    """A game given by all its values: ``values[S]`` for every bitmask ``S`` (length
    ``2^n``, ``values[0] == 0``), at most :data:`MAX_EXPLICIT_PLAYERS` players.

    The oracle enumerates every coalition: the excesses ``e(S, x)`` (5) of all ``2^n``
    coalitions come from one vector of subset sums (:func:`subset_sums`), so a call
    costs ``O(2^n)`` numpy work (a few milliseconds at 20 players)."""

    players: tuple[str, ...]
    kind: GameKind
    values: FloatArray = field(repr=False)

    def __post_init__(self) -> None:
        players = _check_players(self.players)
        if self.kind not in ("cost", "profit"):
            raise ValueError(f"kind must be 'cost' or 'profit', got {self.kind!r}")
        n = len(players)
        if n > MAX_EXPLICIT_PLAYERS:
            raise ValueError(f"{n} players: an explicit game has at most "
                             f"{MAX_EXPLICIT_PLAYERS}")
        vals = np.array(self.values, dtype=np.float64).ravel()
        if vals.size != 1 << n:
            raise ValueError(f"{n} players need 2^{n} = {1 << n} values (the empty coalition "
                             f"first), got {vals.size}")
        if not np.isfinite(vals).all():
            bad = int(np.flatnonzero(~np.isfinite(vals))[0])
            raise ValueError(f"the value of {label(bad, players)} is {float(vals[bad])!r}, "
                             "not finite")
        if vals[0] != 0.0:
            raise ValueError(f"the empty coalition's value must be 0, got {vals[0]!r}")
        vals.setflags(write=False)
        object.__setattr__(self, "players", players)
        object.__setattr__(self, "values", vals)

    @classmethod
    def from_function(cls, players: Sequence[str], kind: GameKind,
                      fn: Callable[[frozenset[str]], float]) -> ExplicitGame:
        """The game with ``v(S) = fn(ids of S)`` for every non-empty coalition."""
        ids = _check_players(players)
        n = len(ids)
        vals = np.zeros(1 << n, dtype=np.float64)
        for m in range(1, 1 << n):
            vals[m] = float(fn(frozenset(ids[i] for i in members(m, n))))
        return cls(ids, kind, vals)

    @classmethod
    def from_lex(cls, players: Sequence[str], kind: GameKind,
                 values: Sequence[float]) -> ExplicitGame:
        """The game whose non-empty coalitions' values are listed in lexicographic order
        (:func:`lex_masks`), as R's CoopGame and TUGLab write a game vector."""
        n = len(players)
        vals = np.zeros(1 << n, dtype=np.float64)
        given = np.asarray(values, dtype=np.float64).ravel()
        if given.size != (1 << n) - 1:
            raise ValueError(f"{n} players need {(1 << n) - 1} values, got {given.size}")
        vals[lex_masks(n)] = given
        return cls(tuple(players), kind, vals)

    @classmethod
    def from_mapping(cls, players: Sequence[str], kind: GameKind,
                     values: Mapping[frozenset[str], float]) -> ExplicitGame:
        """The game whose values are given by sets of ids; every non-empty coalition
        must be there (a :class:`KeyError` names the first one missing)."""
        ids = _check_players(players)
        n = len(ids)
        vals = np.zeros(1 << n, dtype=np.float64)
        for m in range(1, 1 << n):
            key = frozenset(ids[i] for i in members(m, n))
            if key not in values:
                raise KeyError(f"no value for {label(m, ids)}")
            vals[m] = float(values[key])
        return cls(ids, kind, vals)

    @property
    def n(self) -> int:
        return len(self.players)

    def value(self, coalition: int) -> float:
        """``v(S)`` of the bitmask ``coalition`` (0 for the empty coalition)."""
        if not 0 <= coalition < self.values.size:
            raise ValueError(f"coalition {coalition} is not a bitmask of {self.n} players")
        return float(self.values[coalition])

    def values_of(self, coalitions: IntArray) -> FloatArray:
        return np.asarray(self.values[np.asarray(coalitions, dtype=np.int64)],
                          dtype=np.float64)

    def excesses(self, x: npt.ArrayLike) -> FloatArray:
        """``e(S, x)`` (5) of every bitmask ``S`` (the empty coalition's is 0)."""
        return sign(self.kind) * (subset_sums(x) - self.values)

    def most_violated(self, x: FloatArray,
                      fixed: Collection[int] = ()) -> tuple[int, float] | None:
        """The proper non-empty coalition not in ``fixed`` (with a :class:`Fixed`: nor in
        the span of its coalitions) with the largest excess (5) at ``x``, by enumeration
        (ties: the smallest bitmask)."""
        ex = self.excesses(x)
        ex[0] = ex[-1] = -math.inf
        if isinstance(fixed, Fixed):
            ex[fixed.skipped_all()] = -math.inf
        elif fixed:
            ex[np.fromiter(fixed, dtype=np.int64, count=len(fixed))] = -math.inf
        best = int(np.argmax(ex))
        if ex[best] == -math.inf:
            return None
        return best, float(ex[best])


# ---------------------------------------------------------------------------------------
# the savings game of a cost game, and back


class SavingsGame:
    """The savings game of a cost game given by its oracle (equation (3)):
    ``v(S) = sum_{i in S} c({i}) - c(S)``, a profit game.

    Its oracle is the cost game's: at a savings allocation ``y`` the excess of ``S`` is
    ``v(S) - y(S) = x(S) - c(S)`` with ``x = c({.}) - y`` (equation (4)), so the cost
    game's most violated coalition at ``x`` is this game's at ``y``."""

    kind: GameKind = "profit"

    def __init__(self, cost: Game) -> None:
        if cost.kind != "cost":
            raise ValueError("the savings game is defined for a cost game")
        self.cost = cost
        self.players = tuple(cost.players)
        self.alone = standalone(cost)

    def value(self, coalition: int) -> float:
        if coalition == 0:
            return 0.0
        share = float(self.alone[members(coalition, len(self.players))].sum())
        return share - self.cost.value(coalition)

    def most_violated(self, x: FloatArray,
                      fixed: Collection[int] = ()) -> tuple[int, float] | None:
        return self.cost.most_violated(self.alone - np.asarray(x, dtype=np.float64), fixed)


class CostFromSavings:
    """The cost game ``c(S) = sum_{i in S} a_i - v(S)`` of a savings (profit) game ``v``
    and stand-alone costs ``a`` (equation (4)); its oracle is the savings game's at
    ``y = a - x``."""

    kind: GameKind = "cost"

    def __init__(self, savings: Game, alone: FloatArray) -> None:
        if savings.kind != "profit":
            raise ValueError("a cost game is recovered from a savings (profit) game")
        self.savings = savings
        self.players = tuple(savings.players)
        self.alone = np.asarray(alone, dtype=np.float64)

    def value(self, coalition: int) -> float:
        if coalition == 0:
            return 0.0
        share = float(self.alone[members(coalition, len(self.players))].sum())
        return share - self.savings.value(coalition)

    def most_violated(self, x: FloatArray,
                      fixed: Collection[int] = ()) -> tuple[int, float] | None:
        return self.savings.most_violated(self.alone - np.asarray(x, dtype=np.float64), fixed)


def savings_game(cost: Game) -> Game:
    """The savings game ``v(S) = sum_{i in S} c({i}) - c(S)`` of a cost game (3): what
    ``S`` saves by cooperating rather than each member going alone. An explicit game
    gives an explicit game; any other game a :class:`SavingsGame` over its oracle."""
    if cost.kind != "cost":
        raise ValueError(f"the savings game is defined for a cost game, not a {cost.kind} game")
    if isinstance(cost, ExplicitGame):
        alone = cost.values[np.left_shift(1, np.arange(cost.n, dtype=np.int64))]
        return ExplicitGame(cost.players, "profit", subset_sums(alone) - cost.values)
    return SavingsGame(cost)


def cost_game_from_savings(savings: Game,
                           alone: Sequence[float] | Mapping[str, float] | FloatArray) -> Game:
    """The cost game ``c(S) = sum_{i in S} a_i - v(S)`` (4) of a savings game ``v`` and the
    players' stand-alone costs ``a`` (a mapping by player id, or one number per player in
    order): the inverse of :func:`savings_game` (whose values ``v({i}) = 0`` no longer
    hold the stand-alone costs, hence ``alone``)."""
    if savings.kind != "profit":
        raise ValueError("a cost game is recovered from a savings (profit) game, not a "
                         f"{savings.kind} game")
    a = player_vector(savings.players, alone, "alone")
    if isinstance(savings, SavingsGame) and np.array_equal(a, savings.alone):
        return savings.cost
    if isinstance(savings, ExplicitGame):
        return ExplicitGame(savings.players, "cost", subset_sums(a) - savings.values)
    return CostFromSavings(savings, a)


def player_vector(players: Sequence[str],
                  data: Sequence[float] | Mapping[str, float] | npt.ArrayLike,
                  what: str) -> FloatArray:
    """One finite number per player, from a mapping by player id (every player, no
    other key) or a sequence in player order. Raises :class:`ValueError` naming ``what``."""
    n = len(players)
    if isinstance(data, Mapping):
        unknown = sorted(set(map(str, data)) - set(players))
        missing = [p for p in players if p not in data]
        if unknown or missing:
            parts = ([f"unknown player(s) {', '.join(map(repr, unknown))}"] if unknown else []) \
                + ([f"no value for {', '.join(map(repr, missing))}"] if missing else [])
            raise ValueError(f"{what}: {'; '.join(parts)}")
        out = np.array([float(data[p]) for p in players], dtype=np.float64)
    else:
        out = np.array(data, dtype=np.float64).ravel()
        if out.size != n:
            raise ValueError(f"{what}: {n} players need {n} numbers, got {out.size}")
    if not np.isfinite(out).all():
        raise ValueError(f"{what}: every number must be finite")
    return out

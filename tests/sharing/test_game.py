"""Games and the oracle protocol: bitmask helpers, explicit games, the separation oracle
and the span it skips, the savings game and back (models/sharing.md sections 2, 5.4, 9).

Every oracle answer is checked against a plain loop over all coalitions written here.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procure.sharing import (
    CostFromSavings,
    ExplicitGame,
    Fixed,
    SavingsGame,
    cost_game_from_savings,
    label,
    savings_game,
    subset_sums,
)
from procure.sharing.game import (
    lex_masks,
    members,
    player_vector,
    popcounts,
    standalone,
    values_of,
)


def ids(n: int) -> tuple[str, ...]:
    return tuple(f"P{i}" for i in range(n))


def random_game(n: int, kind: str, seed: int) -> ExplicitGame:
    rng = np.random.default_rng(seed)
    v = np.concatenate([[0.0], rng.integers(-5, 20, (1 << n) - 1).astype(float)])
    return ExplicitGame(ids(n), kind, v)  # type: ignore[arg-type]


class OracleOnly:
    """A game seen only through the protocol (no values array, no batch values)."""

    def __init__(self, game: ExplicitGame) -> None:
        self._g = game
        self.players = game.players
        self.kind = game.kind

    def value(self, coalition: int) -> float:
        return self._g.value(coalition)

    def most_violated(self, x, fixed=()):  # type: ignore[no-untyped-def]
        return self._g.most_violated(x, fixed)


def brute_most_violated(game: ExplicitGame, x: np.ndarray,
                        skip: set[int]) -> tuple[int, float] | None:
    n = game.n
    sigma = 1.0 if game.kind == "cost" else -1.0
    best: tuple[int, float] | None = None
    for m in range(1, (1 << n) - 1):
        if m in skip:
            continue
        e = sigma * (sum(x[i] for i in members(m, n)) - game.value(m))
        if best is None or e > best[1] + 1e-12:
            best = (m, e)
    return best


def test_bitmask_helpers() -> None:
    x = np.array([1.0, 10.0, 100.0, 1000.0])
    sums = subset_sums(x)
    for m in range(16):
        assert sums[m] == sum(x[i] for i in range(4) if m >> i & 1)
    assert popcounts(4).tolist() == [bin(m).count("1") for m in range(16)]
    # lexicographic order as R's CoopGame writes a game vector
    assert [label(int(m), ("1", "2", "3")) for m in lex_masks(3)] == [
        "{1}", "{2}", "{3}", "{1, 2}", "{1, 3}", "{2, 3}", "{1, 2, 3}"]


def test_constructors_agree() -> None:
    fn = {frozenset(c): float(len(c) ** 2 + ord(min(c)))
          for k in (1, 2, 3) for c in itertools.combinations("ABC", k)}
    a = ExplicitGame.from_function("ABC", "profit", lambda s: fn[s])
    b = ExplicitGame.from_mapping("ABC", "profit", fn)
    c = ExplicitGame.from_lex("ABC", "profit", [fn[frozenset(label(int(m), "ABC")[1:-1]
                                                            .split(", "))]
                                                 for m in lex_masks(3)])
    assert np.array_equal(a.values, b.values) and np.array_equal(a.values, c.values)
    assert a.value(0) == 0.0 and a.value(0b101) == fn[frozenset("AC")]
    assert values_of(OracleOnly(a), np.array([[1, 2], [4, 7]])).tolist() == [
        [a.value(1), a.value(2)], [a.value(4), a.value(7)]]
    with pytest.raises(KeyError, match=r"\{A, C\}"):
        ExplicitGame.from_mapping("ABC", "cost", {k: v for k, v in fn.items()
                                                  if k != frozenset("AC")})


@pytest.mark.parametrize(("args", "match"), [
    ((("A",), "cost", [0.0, 1.0]), "at least 2 players"),
    ((("A", "A"), "cost", [0.0] * 4), "listed twice"),
    ((("A", "B"), "costs", [0.0] * 4), "kind"),
    ((("A", "B"), "cost", [0.0] * 3), "need 2\\^2 = 4 values"),
    ((("A", "B"), "cost", [0.0, 1.0, np.nan, 2.0]), r"\{B\} is nan"),
    ((("A", "B"), "cost", [1.0, 1.0, 1.0, 2.0]), "empty coalition"),
    ((ids(21), "cost", [0.0]), "at most 20"),
])
def test_explicit_game_refuses(args: tuple, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=match):
        ExplicitGame(*args)


def test_values_are_read_only() -> None:
    g = random_game(3, "cost", 0)
    with pytest.raises(ValueError):
        g.values[1] = 5.0
    with pytest.raises(ValueError, match="not a bitmask"):
        g.value(8)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 7), st.sampled_from(["cost", "profit"]), st.integers(0, 2**32 - 1),
       st.lists(st.integers(1, 126), max_size=3))
def test_oracle_matches_enumeration(n: int, kind: str, seed: int, fix: list[int]) -> None:
    """The most violated coalition, skipping N, the fixed coalitions and their span."""
    g = random_game(n, kind, seed)
    x = np.random.default_rng(seed + 1).normal(size=n) * 5
    assert g.most_violated(x) == pytest.approx(brute_most_violated(g, x, set()))
    fixed = Fixed.start(n)
    for m in fix:
        if 0 < m < (1 << n) - 1:
            fixed = fixed.add(m)
    rows = fixed.rows
    rank = np.linalg.matrix_rank(rows)
    skip = set()
    for m in range(1, 1 << n):
        ind = np.array([float(m >> i & 1) for i in range(n)])
        if np.linalg.matrix_rank(np.vstack([rows, ind])) == rank:
            skip.add(m)
    assert fixed.rank == rank
    assert {m for m in range(1, 1 << n) if fixed.skips(m)} == skip
    assert set(np.flatnonzero(fixed.skipped_all()).tolist()) - {0} == skip
    expected = brute_most_violated(g, x, skip)
    got = g.most_violated(x, fixed)
    if expected is None:
        assert got is None
    else:
        assert got is not None and got[1] == pytest.approx(expected[1], abs=1e-9)
    d = fixed.direction(seed=3)
    assert np.allclose(rows @ d, 0.0, atol=1e-9)


def test_fixed_span_of_a_coalition_holds_its_complement() -> None:
    f = Fixed.start(4).add(0b0011)
    assert f.skips(0b0011) and f.skips(0b1100) and f.skips(0b1111)
    assert not f.skips(0b0001) and f.rank == 2
    f = f.add(player=0)  # x_0 held: {0} and {1} now in the span
    assert f.skips(0b0001) and f.skips(0b0010) and not f.skips(0b0100)
    assert 0b0001 not in f.coalitions  # held players are rows, not listed coalitions


def test_savings_game_and_back() -> None:
    """(3) and (4): explicit games convert vectorised; any other game through its oracle,
    whose answers are the explicit conversion's."""
    c = random_game(5, "cost", 7)
    s = savings_game(c)
    assert isinstance(s, ExplicitGame) and s.kind == "profit"
    alone = standalone(c)
    for m in range(1, 32):
        assert s.value(m) == pytest.approx(sum(alone[members(m, 5)]) - c.value(m))
    back = cost_game_from_savings(s, alone)
    assert isinstance(back, ExplicitGame) and np.allclose(back.values, c.values)
    by_id = cost_game_from_savings(s, dict(zip(c.players, alone.tolist(), strict=True)))
    assert np.allclose(by_id.values if isinstance(by_id, ExplicitGame) else [], c.values)

    wrapped = savings_game(OracleOnly(c))  # type: ignore[arg-type]
    assert isinstance(wrapped, SavingsGame)
    y = np.random.default_rng(0).normal(size=5)
    fixed = Fixed.start(5).add(0b00101)
    assert wrapped.most_violated(y, fixed) == pytest.approx(s.most_violated(y, fixed))
    assert [wrapped.value(m) for m in range(32)] == pytest.approx(s.values.tolist())
    assert cost_game_from_savings(wrapped, alone) is wrapped.cost  # the original itself
    other = cost_game_from_savings(OracleOnly(s), alone)  # type: ignore[arg-type]
    assert isinstance(other, CostFromSavings)
    assert [other.value(m) for m in range(32)] == pytest.approx(c.values.tolist())
    x = np.random.default_rng(1).normal(size=5)
    assert other.most_violated(x, fixed) == pytest.approx(c.most_violated(x, fixed))


def test_conversions_refuse_the_wrong_kind() -> None:
    with pytest.raises(ValueError, match="cost game"):
        savings_game(random_game(3, "profit", 0))
    with pytest.raises(ValueError, match="savings"):
        cost_game_from_savings(random_game(3, "cost", 0), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="3 players need 3 numbers"):
        cost_game_from_savings(random_game(3, "profit", 0), [1.0, 2.0])


def test_player_vector() -> None:
    assert player_vector("AB", {"B": 2, "A": 1}, "w").tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"unknown player.*'C'.*no value for 'B'"):
        player_vector("AB", {"A": 1, "C": 2}, "w")
    with pytest.raises(ValueError, match="finite"):
        player_vector("AB", [1.0, np.inf], "w")

"""The allocation rules against an independent reference, published values and their
defining properties (models/sharing.md sections 3 to 9).

The reference is ``coopgame`` (the ``coopgame-py`` package, a Rust implementation of TU
games written apart from procure: exact Shapley value, the nucleolus and prenucleolus by
its own sequential LPs, the least core). It shares no code, solver or LP formulation
with procure, so an agreement to 1e-6 on random games is evidence about both. Where it
cannot answer — the least core of a game without imputations, which it refuses — the
reference is a brute-force LP over every coalition written plainly here with
``scipy.optimize.linprog``. Cost games are given to it negated (``-c`` is a profit game
with the same excesses), so no conversion of procure's is trusted by the reference.
"""

from __future__ import annotations

import itertools
import math

import coopgame
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from procure.backends import available_backends
from procure.errors import SolverUnavailableError
from procure.sharing import (
    ExplicitGame,
    NoImputationError,
    core_check,
    core_nonempty,
    cost_game_from_savings,
    equal_split,
    least_core,
    nucleolus,
    prenucleolus,
    proportional,
    savings_game,
    scrb,
    shapley,
    shapley_sampled,
    solve_game,
)
from procure.sharing.game import members, standalone, subset_sums

TOL = 1e-6


def ids(n: int) -> tuple[str, ...]:
    return tuple(f"P{i}" for i in range(n))


def make_values(n: int, style: str, rng: np.random.Generator) -> np.ndarray:
    """``v(S)`` by bitmask: ``ties`` small integers (many equal excesses: degenerate
    LPs), ``floats``, ``convex`` (supermodular: a large core), ``sparse`` (mostly 0)."""
    m = 1 << n
    if style == "ties":
        v = rng.integers(0, 6, m).astype(float)
    elif style == "floats":
        v = rng.normal(size=m) * 10
    elif style == "convex":
        v = subset_sums(rng.uniform(0, 5, n)) ** 1.5 + rng.uniform(0, 0.1, m)
    else:
        v = np.where(rng.random(m) < 0.2, rng.integers(1, 10, m), 0).astype(float)
    v[0] = 0.0
    return v


@st.composite
def games(draw: st.DrawFn, max_players: int = 10, imputations: bool = True,
          kinds: tuple[str, ...] = ("cost", "profit")) -> ExplicitGame:
    """Random explicit games; with ``imputations`` the imputation set is non-empty."""
    n = draw(st.integers(2, max_players))
    kind = draw(st.sampled_from(kinds))
    style = draw(st.sampled_from(["ties", "floats", "convex", "sparse"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    v = make_values(n, style, rng)  # a profit game
    singles = np.left_shift(1, np.arange(n))
    if imputations:
        v[-1] = max(v[-1], float(v[singles].sum()) + float(rng.integers(0, 3)))
    if kind == "cost":  # c(S) = a(S) - v(S): imputations of c <=> those of v
        v = subset_sums(rng.integers(0, 20, n).astype(float)) - v
    return ExplicitGame(ids(n), kind, v)  # type: ignore[arg-type]


def reference(game: ExplicitGame) -> tuple[coopgame.Game, float]:
    """The game for the reference as a profit game (a cost game negated: the same
    excesses, allocations negated), and the sign turning its allocations back."""
    if game.kind == "profit":
        return coopgame.Game(game.values[1:].tolist()), 1.0
    return coopgame.Game((-game.values[1:]).tolist()), -1.0


def brute_least_core(game: ExplicitGame) -> float:
    """(10) with a row for every proper coalition, by scipy's linprog."""
    n = game.n
    sigma = 1.0 if game.kind == "cost" else -1.0
    rows, rhs = [], []
    for m in range(1, (1 << n) - 1):
        ind = [float(m >> i & 1) for i in range(n)]
        rows.append([sigma * a for a in ind] + [-1.0])  # sigma x(S) - eps <= sigma v(S)
        rhs.append(sigma * game.value(m))
    res = linprog(c=[0.0] * n + [1.0], A_ub=rows, b_ub=rhs,
                  A_eq=[[1.0] * n + [0.0]], b_eq=[game.value((1 << n) - 1)],
                  bounds=[(None, None)] * (n + 1), method="highs")
    assert res.status == 0
    return float(res.fun)


def excess_all(game: ExplicitGame, x: np.ndarray) -> np.ndarray:
    ex = game.excesses(x)
    return ex[1:-1]  # the proper coalitions


# ---------------------------------------------------------------------------------------
# published values (through the API; tests/cli/test_game_command.py through the CLI)


def test_published_values() -> None:
    """R CoopGame 0.2.2's nucleolus examples, the Talmud estates (Aumann & Maschler 1985)
    and the airport game's Shapley value (Littlechild & Owen 1973); the sources and the
    derivations are in tests/cli/test_game_command.py."""
    g = ExplicitGame.from_lex("1234", "profit", [0, 0, 0, 0, 5, 5, 8, 9, 10, 8, 13, 15, 16,
                                                 17, 21])
    assert nucleolus(g).allocation == pytest.approx([3.5, 4.5, 5.5, 7.5], abs=TOL)
    claims = {"1": 100, "2": 200, "3": 300}
    for estate, expected in ((100, [100 / 3] * 3), (200, [50, 75, 75]), (300, [50, 100, 150])):
        talmud = ExplicitGame.from_function("123", "profit", lambda s, e=estate: max(
            0, e - sum(d for p, d in claims.items() if p not in s)))
        assert nucleolus(talmud).allocation == pytest.approx(expected, abs=TOL)
        assert coopgame.talmud(estate, [100, 200, 300]) == pytest.approx(expected, abs=TOL)
    costs = {"1": 120, "2": 60, "3": 40, "4": 30}
    airport = ExplicitGame.from_function("1234", "cost", lambda s: max(costs[p] for p in s))
    expected = [80 + 5 / 6, 20 + 5 / 6, 10 + 5 / 6, 7.5]
    assert shapley(airport) == pytest.approx(expected, abs=TOL)
    ref = coopgame.airport([120, 60, 40, 30])
    assert ref["shapley"] == pytest.approx(expected, abs=TOL)
    # the airport's nucleolus: coopgame computes it by a method of its own (convex games)
    assert nucleolus(airport).allocation == pytest.approx(ref["nucleolus"], abs=1e-6)


# ---------------------------------------------------------------------------------------
# random games against the reference


@settings(max_examples=40, deadline=None)
@given(games(max_players=10, imputations=False))
def test_shapley_matches_reference(game: ExplicitGame) -> None:
    ref = np.asarray(coopgame.shapley(coopgame.Game(game.values[1:].tolist())))
    assert shapley(game) == pytest.approx(ref, abs=TOL * max(1.0, np.abs(game.values).max()))


@settings(max_examples=40, deadline=None)
@given(games(max_players=10))
def test_nucleolus_and_least_core_match_reference(game: ExplicitGame) -> None:
    ref, back = reference(game)
    scale = max(1.0, float(np.abs(game.values).max()))
    nu = nucleolus(game)
    assert nu.allocation == pytest.approx(back * np.asarray(coopgame.nucleolus(ref)
                                                            ["allocation"]), abs=TOL * scale)
    pre = prenucleolus(game)
    assert pre.allocation == pytest.approx(back * np.asarray(coopgame.prenucleolus(ref)
                                                             ["allocation"]), abs=TOL * scale)
    lc = least_core(game)
    ref_eps = coopgame.least_core(ref, domain="preimputation")["epsilon"]
    assert lc.epsilon == pytest.approx(ref_eps, abs=TOL * scale)
    assert lc.epsilon == pytest.approx(brute_least_core(game), abs=TOL * scale)
    # its allocation is efficient and keeps every excess within eps
    assert lc.allocation.sum() == pytest.approx(game.value((1 << game.n) - 1), abs=TOL * scale)
    assert excess_all(game, lc.allocation).max() <= lc.epsilon + TOL * scale
    # at most n - 1 levels (the span of the fixed coalitions grows every level)
    assert len(nu.levels) <= game.n - 1 and len(pre.levels) <= game.n - 1
    assert all(a >= b - 1e-9 * scale for a, b in itertools.pairwise(nu.levels))


@settings(max_examples=25, deadline=None)
@given(games(max_players=8, imputations=False))
def test_prenucleolus_and_least_core_without_imputations(game: ExplicitGame) -> None:
    """Any game, imputations or not: the prenucleolus and least core always exist."""
    ref, back = reference(game)
    scale = max(1.0, float(np.abs(game.values).max()))
    assert prenucleolus(game).allocation == pytest.approx(
        back * np.asarray(coopgame.prenucleolus(ref)["allocation"]), abs=TOL * scale)
    assert least_core(game).epsilon == pytest.approx(brute_least_core(game), abs=TOL * scale)


def test_no_imputation() -> None:
    # v(A) = v(B) = 5, v(C) = 6, v(N) = 9 < 16; symmetric in A and B
    profit = ExplicitGame.from_lex("ABC", "profit", [5, 5, 6, 5, 8, 8, 9])
    with pytest.raises(NoImputationError, match="no imputation"):
        nucleolus(profit)
    expected = coopgame.prenucleolus(coopgame.Game(profit.values[1:].tolist()))["allocation"]
    assert prenucleolus(profit).allocation == pytest.approx(expected, abs=TOL)
    cost = ExplicitGame(("A", "B"), "cost", [0, 1, 1, 3])
    with pytest.raises(NoImputationError, match=r"c\(N\) > sum"):
        nucleolus(cost)
    out = solve_game(profit)  # falls back to the prenucleolus
    assert list(out["nucleolus"].values()) == pytest.approx(expected, abs=TOL)


# ---------------------------------------------------------------------------------------
# sampled Shapley value


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sampled_shapley_within_three_standard_errors(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    for n, style in ((4, "ties"), (7, "floats"), (9, "convex"), (10, "sparse")):
        game = ExplicitGame(ids(n), "profit", make_values(n, style, rng))
        exact = shapley(game)
        est = shapley_sampled(game, 300, seed=seed)
        assert np.all(np.abs(est.value - exact) <= 3 * est.std_error + 1e-9), (n, style)
        # efficiency holds replicate by replicate, so for the estimate too
        assert est.value.sum() == pytest.approx(game.value((1 << n) - 1))
        assert est.half_width == pytest.approx(est.std_error * 1.9679, rel=1e-3)
        assert est.samples == 300 and est.confidence == 0.95


def test_sampled_shapley_reproducible_and_through_the_oracle() -> None:
    rng = np.random.default_rng(5)
    game = ExplicitGame(ids(6), "cost", make_values(6, "floats", rng))
    a, b = shapley_sampled(game, 50, seed=9), shapley_sampled(game, 50, seed=9)
    assert np.array_equal(a.value, b.value) and np.array_equal(a.std_error, b.std_error)
    assert not np.array_equal(a.value, shapley_sampled(game, 50, seed=10).value)
    c = shapley_sampled(OracleOnly(game), 50, seed=9)  # type: ignore[arg-type]
    assert np.allclose(c.value, a.value) and c.evaluations == a.evaluations
    assert a.evaluations <= (1 << 6) - 1
    with pytest.raises(ValueError, match="at least 2"):
        shapley_sampled(game, 1)
    # an additive game: every marginal is the player's own value, no sampling error
    add = ExplicitGame(ids(5), "profit", subset_sums([1.0, 2.0, 3.0, 4.0, 5.0]))
    est = shapley_sampled(add, 10, seed=0)
    assert est.value == pytest.approx([1, 2, 3, 4, 5]) and est.std_error == pytest.approx(0)


# ---------------------------------------------------------------------------------------
# properties


@settings(max_examples=30, deadline=None)
@given(games(max_players=8))
def test_efficiency_and_core_consistency(game: ExplicitGame) -> None:
    """Every rule is efficient (6); the nucleolus is in the core when the core is
    non-empty (least-core eps <= 0), and the core check agrees with eps (9), (10)."""
    n = game.n
    total = game.value((1 << n) - 1)
    scale = max(1.0, float(np.abs(game.values).max()))
    nu = nucleolus(game).allocation
    rules = [shapley(game), nu, prenucleolus(game).allocation, least_core(game).allocation,
             scrb(game), equal_split(game), proportional(game, np.arange(1, n + 1))]
    for x in rules:
        assert x.sum() == pytest.approx(total, abs=1e-7 * scale)
    eps = least_core(game).epsilon
    nonempty = core_nonempty(game)
    assert nonempty == (eps <= 1e-7 * scale)
    check = core_check(game, nu)
    if nonempty:
        assert check.in_core and check.blocking == ()
    else:
        assert not check.in_core
    # the nucleolus's largest excess is eps (it is in the least core) when it is the
    # prenucleolus; the core check's excess is the largest excess by enumeration
    pre = prenucleolus(game).allocation
    assert core_check(game, pre).excess == pytest.approx(eps, abs=1e-6 * scale)
    assert check.excess == pytest.approx(excess_all(game, nu).max(), abs=1e-9 * scale)
    # the nucleolus is an imputation (7)
    assert all(check.rational)


@settings(max_examples=25, deadline=None)
@given(games(max_players=7), st.data())
def test_symmetry_and_dummy(game: ExplicitGame, data: st.DataObject) -> None:
    """Players 0 and 1 made symmetric get equal Shapley values and nucleolus shares; a
    dummy player added (v(S + d) = v(S) + v({d})) gets its stand-alone value."""
    n = game.n
    v = game.values.copy()
    swap = np.array([(m & ~3) | ((m & 1) << 1) | ((m >> 1) & 1) for m in range(1 << n)])
    sym = ExplicitGame(game.players, game.kind, (v + v[swap]) / 2)
    scale = max(1.0, float(np.abs(v).max()))
    phi = shapley(sym)
    assert phi[0] == pytest.approx(phi[1], abs=1e-9 * scale)
    nu = nucleolus(sym).allocation
    assert nu[0] == pytest.approx(nu[1], abs=1e-6 * scale)
    own = float(data.draw(st.integers(-5, 5)))
    dummy = ExplicitGame((*game.players, "D"), game.kind,
                         np.concatenate([v, v + own]))  # bit n is the dummy
    assert shapley(dummy)[-1] == pytest.approx(own, abs=1e-9 * scale)
    assert nucleolus(dummy).allocation[-1] == pytest.approx(own, abs=1e-6 * scale)
    assert scrb(dummy)[-1] == pytest.approx(own, abs=1e-9 * scale)


@settings(max_examples=25, deadline=None)
@given(games(max_players=8, kinds=("cost",)))
def test_cost_game_and_savings_game_agree(game: ExplicitGame) -> None:
    """(25): each rule of a cost game is c({i}) minus that of its savings game, and back."""
    sav = savings_game(game)
    alone = standalone(game)
    scale = max(1.0, float(np.abs(game.values).max()))
    for rule in (shapley, scrb, lambda g: nucleolus(g).allocation,
                 lambda g: prenucleolus(g).allocation):
        assert rule(game) == pytest.approx(alone - rule(sav), abs=1e-6 * scale)
    lc_cost, lc_sav = least_core(game), least_core(sav)
    assert lc_cost.epsilon == pytest.approx(lc_sav.epsilon, abs=1e-6 * scale)
    # the savings game's least-core allocation, turned back, is in the cost least core
    back = alone - lc_sav.allocation
    assert excess_all(game, back).max() <= lc_cost.epsilon + 1e-6 * scale
    # and back again: the cost game's rules from the savings game
    cost = cost_game_from_savings(sav, alone)
    assert nucleolus(cost).allocation == pytest.approx(nucleolus(game).allocation,
                                                       abs=1e-6 * scale)
    # through the oracle protocol only (the implicit game's path)
    wrapped = savings_game(OracleOnly(game))  # type: ignore[arg-type]
    assert nucleolus(wrapped).allocation == pytest.approx(nucleolus(sav).allocation,
                                                          abs=1e-6 * scale)


class OracleOnly:
    """A game seen only through the protocol (the path an implicit game takes)."""

    def __init__(self, game: ExplicitGame) -> None:
        self._g = game
        self.players = game.players
        self.kind = game.kind
        self.calls = 0

    def value(self, coalition: int) -> float:
        return self._g.value(coalition)

    def most_violated(self, x, fixed=()):  # type: ignore[no-untyped-def]
        self.calls += 1
        return self._g.most_violated(x, fixed)


class ListedOnly(OracleOnly):
    """An oracle that skips only the coalitions ``fixed`` lists, not their span (as one
    that enumerates ``set(fixed)`` would)."""

    def most_violated(self, x, fixed=()):  # type: ignore[no-untyped-def]
        self.calls += 1
        return self._g.most_violated(x, frozenset(fixed))


@settings(max_examples=20, deadline=None)
@given(games(max_players=7))
def test_an_oracle_skipping_only_listed_coalitions_gives_the_same_nucleolus(
        game: ExplicitGame) -> None:
    scale = max(1.0, float(np.abs(game.values).max()))
    slow = nucleolus(ListedOnly(game))  # type: ignore[arg-type]
    assert slow.allocation == pytest.approx(nucleolus(game).allocation, abs=1e-6 * scale)


def test_rules_through_the_oracle_protocol() -> None:
    rng = np.random.default_rng(3)
    game = ExplicitGame(ids(7), "cost", make_values(7, "floats", rng))
    oracle = OracleOnly(game)
    assert shapley(oracle) == pytest.approx(shapley(game))  # type: ignore[arg-type]
    assert nucleolus(oracle, domain="preimputation").allocation == pytest.approx(  # type: ignore[arg-type]
        prenucleolus(game).allocation)
    assert least_core(oracle).epsilon == pytest.approx(least_core(game).epsilon)  # type: ignore[arg-type]
    assert scrb(oracle) == pytest.approx(scrb(game))  # type: ignore[arg-type]
    assert oracle.calls > 0


def test_degenerate_games_take_at_most_n_minus_1_levels() -> None:
    """A unanimity game of 20 players: almost every coalition is tight in every optimum
    (excess 0); skipping the span of the fixed ones keeps it to n - 1 levels."""
    n = 20
    masks = np.arange(1 << n)
    game = ExplicitGame(ids(n), "profit", ((masks & 3) == 3).astype(float))
    nu = nucleolus(game)
    assert nu.allocation == pytest.approx([0.5, 0.5] + [0.0] * (n - 2), abs=1e-9)
    assert len(nu.levels) <= n - 1
    glove = ExplicitGame(ids(6), "profit", np.array(
        [min(bin(m & 7).count("1"), bin(m >> 3).count("1")) for m in range(64)], float))
    assert nucleolus(glove).allocation == pytest.approx([0.5] * 6, abs=1e-9)


# ---------------------------------------------------------------------------------------
# SCRB, proportional rules, core check


def test_scrb_by_hand() -> None:
    """(21)-(22) on a three-player cost game: SC = (5, 4, 3), r = (3, 2, 2), NSC = 2."""
    g = ExplicitGame(("A", "B", "C"), "cost", [0, 8, 6, 11, 5, 10, 9, 14])
    sc = np.array([14 - 9, 14 - 10, 14 - 11])
    r = np.array([8, 6, 5]) - sc
    assert scrb(g) == pytest.approx(sc + (14 - sc.sum()) * r / r.sum())
    flat = ExplicitGame(("A", "B"), "cost", [0, 1, 1, 1])  # SC = r = 0 ... split equally
    assert scrb(ExplicitGame(("A", "B"), "cost", [0, 0, 0, 1])) == pytest.approx([0.5, 0.5])
    assert scrb(flat).sum() == pytest.approx(1.0)


def test_proportional_rules() -> None:
    g = ExplicitGame(("A", "B", "C"), "cost", [0, 8, 6, 11, 5, 10, 9, 14])
    assert proportional(g, {"A": 2, "B": 1, "C": 1}) == pytest.approx([7, 3.5, 3.5])
    assert proportional(g, [0, 0, 1]) == pytest.approx([0, 0, 14])
    assert equal_split(g) == pytest.approx([14 / 3] * 3)
    with pytest.raises(ValueError, match="positive sum"):
        proportional(g, [0, 0, 0])
    with pytest.raises(ValueError, match="non-negative"):
        proportional(g, [1, -1, 1])
    with pytest.raises(ValueError, match="no value for 'C'"):
        proportional(g, {"A": 1, "B": 1})


def test_core_check_both_kinds() -> None:
    cost = ExplicitGame(("A", "B", "C"), "cost", [0, 8, 6, 11, 5, 10, 9, 14])
    check = core_check(cost, {"A": 2, "B": 6, "C": 6})  # {B, C} pays 12 > c = 9
    assert not check.in_core and check.efficient
    assert check.blocking == ("B", "C") and check.excess == pytest.approx(3.0)
    assert check.rational == (True, True, False)  # C pays 6 > 5 alone
    inside = core_check(cost, [5, 5, 4])
    assert inside.in_core and inside.blocking == () and inside.excess <= 0
    short = core_check(cost, [5, 5, 3])  # not efficient: pays 13 of 14
    assert not short.in_core and not short.efficient
    assert short.surplus == pytest.approx(-1.0)
    profit = savings_game(cost)  # savings (0..): A,B 3; A,C 3; B,C 2; N 5
    check = core_check(profit, [0, 0, 5])  # {A, B} gets 0 but saves 3 alone
    assert check.blocking == ("A", "B") and check.excess == pytest.approx(3.0)


@pytest.mark.skipif("cbc" not in available_backends(), reason="needs PuLP's CBC")
def test_backend_without_duals_is_refused() -> None:
    g = ExplicitGame(("A", "B"), "cost", [0, 1, 1, 1.5])
    with pytest.raises(SolverUnavailableError, match="duals"):
        nucleolus(g, backend="cbc")


def test_weights_of_the_shapley_formula() -> None:
    """(16): the weights of the coalitions without i sum to 1 for every n."""
    for n in (2, 5, 12):
        w = [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n)
             for s in range(n)]
        assert sum(w[s] * math.comb(n - 1, s) for s in range(n)) == pytest.approx(1.0)
    g = ExplicitGame(("A", "B"), "profit", [0, 1, 2, 6])  # phi = (2.5, 3.5) by hand
    assert shapley(g) == pytest.approx([2.5, 3.5])
    assert members(0b101, 3) == [0, 2]

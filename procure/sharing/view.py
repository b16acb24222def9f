"""The per-nation view of an alliance: what each member pays alone and under each fair
sharing rule of the alliance's cost game (``models/sharing.md`` section 11).

Up to :data:`~procure.sharing.alliance.ENUMERATE_MAX` members every coalition is solved
(in parallel on the sweep engine) and every rule applies: Shapley, nucleolus, least
core, SCRB, the GDP key and the equal split, with the core check. Beyond, the Shapley
value is sampled (stratified permutations, with its standard error) and SCRB and the
proportional rules use only the 2n + 1 coalitions they need; the nucleolus and the
least core need the separation MILP of section 11.3, not built yet, and are left out
with a note.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from procure.backends.base import SolveOptions
from procure.run.tables import CURRENCY, Column, TableSpec
from procure.schema.scenario import Scenario
from procure.sharing.alliance import ENUMERATE_MAX, AllianceGame
from procure.sharing.analysis import GameAnalysis, analyse_game
from procure.sharing.game import ExplicitGame, grand, subset_sums
from procure.sharing.rules import proportional, scrb, shapley_sampled
from procure.sweep.engine import Pool

RATIONAL_TOL = 1e-6
"""Relative tolerance of individual rationality: x_i <= c({i}) (1 + tol)."""

SHARES = TableSpec("shares", "one member: what it pays alone and under each rule", (
    Column("member", "-", "member id"),
    Column("cost_alone", CURRENCY, "c({i}): the member's own plan, like for like with the "
           "alliance's (models/sharing.md (26))"),
    Column("marginal_cost", CURRENCY, "c(N) - c(N without i): what the alliance's cost "
           "rises by with the member in it"),
    Column("shapley", CURRENCY, "its Shapley value (exact up to 12 members, else sampled)"),
    Column("shapley_std_error", CURRENCY, "standard error of a sampled Shapley value (0 when "
           "exact)"),
    Column("nucleolus", CURRENCY, "its share under the nucleolus (empty beyond 12 members)"),
    Column("least_core", CURRENCY, "its share in the least core's allocation (empty beyond "
           "12 members)"),
    Column("scrb", CURRENCY, "separable cost, remaining benefit"),
    Column("gdp_key", CURRENCY, "c(N) split in proportion to GDP"),
    Column("equal", CURRENCY, "c(N) split equally"),
    Column("saving_shapley", CURRENCY, "cost_alone - shapley: what the member saves by "
           "joining, under the Shapley value"),
    Column("rational_shapley", "-", "yes when the Shapley share is at most cost_alone "
           "(individually rational), no when it is more, undecided when the answer "
           "changes within the gap of a solve stopped at a limit"),
    Column("gdp_share", "% of alliance GDP", "the member's GDP over the alliance's"),
    Column("cost_share", "% of c(N)", "its Shapley share of the alliance's cost"),
    Column("defence_pct_gdp", "% of GDP", "its defence spending (the scenario's figure; "
           "empty when not given)"),
    Column("meets_2pct", "-", "true when defence spending is at least 2 % of GDP (empty "
           "when not given)"),
    Column("free_rider_index", "ratio", "its share of the alliance's saving over its share "
           "of the cost, both under the Shapley value (above 1: it gains more than it "
           "pays for; empty when nobody saves)"),
))
TWO_PERCENT = 2.0
"""The alliance's defence-spending benchmark, % of GDP."""


@dataclass(frozen=True)
class AllianceShares:
    """The per-nation view (module docstring): ``table`` (:data:`SHARES`), ``analysis``
    (every rule on the full table of values, up to 12 members), the grand coalition's
    cost, the coalitions not proven optimal, and notes."""

    game: AllianceGame
    table: pd.DataFrame
    analysis: GameAnalysis | None
    grand_cost: float
    unproven: tuple[str, ...]
    notes: tuple[str, ...]
    shapley_in_core: str = "not checked"
    """yes, no, undecided (within the gaps of coalitions not proven optimal), or not
    checked (beyond 12 members: needs the separation MILP)."""


def share_alliance(scenario: Scenario, *, options: SolveOptions | None = None,
                   pool: Pool | None = None, samples: int = 50,
                   seed: int = 0) -> AllianceShares:
    """Solve the alliance's cost game and every rule on it (module docstring)."""
    game = AllianceGame(scenario, options=options or SolveOptions(time_limit=120.0,
                                                                  threads=1), pool=pool)
    n = len(game.players)
    full = grand(n)
    singles = np.left_shift(1, np.arange(n, dtype=np.int64))
    notes: list[str] = []
    analysis: GameAnalysis | None = None
    if n <= ENUMERATE_MAX:
        masks = np.arange(1 << n, dtype=np.int64)
        analysis = analyse_game(ExplicitGame(game.players, "cost", game.values_of(masks)))
        notes += list(analysis.notes)
        phi, err = analysis.shapley, np.zeros(n)
        nu, lc = analysis.nucleolus.allocation, analysis.least_core.allocation
        sc = analysis.scrb
    else:
        game.values_of(np.concatenate([[full], singles, full - singles]))
        est = shapley_sampled(game, samples, seed=seed)
        phi, err = est.value, est.std_error
        nu = lc = np.full(n, np.nan)
        sc = scrb(game)
        notes.append(f"{n} members: Shapley sampled ({samples} permutations, seed {seed}; "
                     f"{est.confidence:.0%} half-width up to {est.half_width.max():.4g}); "
                     "nucleolus and least core need the separation MILP "
                     "(models/sharing.md 11.3), not built yet")
    alone = game.values_of(singles)
    without = game.values_of(full - singles)
    total = game.value(full)
    gdp = {m.id: m.gdp for m in scenario.members}
    by_gdp = (proportional(game, gdp) if sum(gdp.values()) > 0
              else np.full(n, np.nan))
    gdp_v = np.array([gdp[p] for p in game.players], dtype=np.float64)
    spend = [m.defence_spending_pct_gdp for m in scenario.members]
    saving = alone - phi
    benefit = saving / saving.sum() if saving.sum() > 0 else np.full(n, np.nan)
    cost_share = phi / total if total else np.full(n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        free_rider = np.where(cost_share > 0, benefit / cost_share, np.nan)
    table = pd.DataFrame({
        "member": list(game.players), "cost_alone": alone, "marginal_cost": total - without,
        "shapley": phi, "shapley_std_error": err, "nucleolus": nu, "least_core": lc,
        "scrb": sc, "gdp_key": by_gdp, "equal": np.full(n, total / n),
        "saving_shapley": saving,
        "rational_shapley": [_verdict(phi[i] - hi, phi[i] - lo, _eps(total)) for i, (lo, hi)
                             in enumerate(game.cost_of(int(m)).interval for m in singles)],
        "gdp_share": 100.0 * gdp_v / gdp_v.sum() if gdp_v.sum() > 0 else np.nan,
        "cost_share": 100.0 * cost_share,
        "defence_pct_gdp": [np.nan if x is None else float(x) for x in spend],
        "meets_2pct": [None if x is None else bool(x >= TWO_PERCENT) for x in spend],
        "free_rider_index": free_rider})
    unproven = tuple("+".join(c.members) for _, c in sorted(game.solved().items())
                     if not c.exact)
    if unproven:
        notes.append(f"{len(unproven)} coalition solve(s) stopped before proving optimality: "
                     "their values are incumbents, and verdicts near them are undecided")
    in_core = "not checked"
    if n <= ENUMERATE_MAX:
        masks = np.arange(1, full, dtype=np.int64)
        lo, hi = (np.array([game.cost_of(int(m)).interval[k] for m in masks]) for k in (0, 1))
        x_s = subset_sums(phi)[masks]
        in_core = _verdict(float((x_s - hi).max()), float((x_s - lo).max()), _eps(total))
    return AllianceShares(game, SHARES.frame(table, scenario.currency), analysis, total,
                          unproven, tuple(notes), in_core)


def _eps(total: float) -> float:
    return RATIONAL_TOL * max(1.0, abs(total))


def _verdict(least: float, most: float, eps: float) -> str:
    """Whether a quantity known to lie in [least, most] is at most ``eps``: yes, no, or
    undecided (models/sharing.md 11.4)."""
    if most <= eps:
        return "yes"
    if least > eps:
        return "no"
    return "undecided"

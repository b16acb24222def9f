"""The per-nation view of an alliance: what each member pays alone and under each fair
sharing rule of the alliance's cost game (``models/sharing.md`` section 11), whether
the chosen rule leaves any member or group better off outside, and what each member
would pay in each year under it.

Up to :data:`~procure.sharing.alliance.ENUMERATE_MAX` members every coalition is solved
(in parallel on the sweep engine) and every rule is computed on the explicit table of
values. Beyond, the Shapley value is sampled (stratified permutations, with its
standard error), and the nucleolus, the least core and every core check find their
coalitions with the separation MILP of section 11.3: only the coalitions they need are
solved.

Verdicts (in the core, individually rational, the core non-empty) are ``yes``, ``no``
or ``undecided``: undecided when a coalition's solve or a separation MILP stopped at a
limit and the answer changes within its gap (section 11.4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from procure.backends.base import SolveOptions
from procure.lp.model import FloatArray
from procure.run.model import Budget
from procure.run.tables import CURRENCY, Column, TableSpec
from procure.schema.scenario import Scenario
from procure.sharing.alliance import ENUMERATE_MAX, AllianceGame
from procure.sharing.analysis import GameAnalysis, analyse_game
from procure.sharing.game import ExplicitGame, grand, subset_sums
from procure.sharing.rules import proportional, shapley_sampled
from procure.sweep.engine import Pool

Rule = Literal["shapley", "nucleolus", "least-core", "scrb", "gdp", "units", "equal"]
RULES: tuple[Rule, ...] = ("shapley", "nucleolus", "least-core", "scrb", "gdp", "units",
                           "equal")
RULE_COLUMN: dict[Rule, str] = {"shapley": "shapley", "nucleolus": "nucleolus",
                                "least-core": "least_core", "scrb": "scrb", "gdp": "gdp_key",
                                "units": "units_key", "equal": "equal"}
RATIONAL_TOL = 1e-6
"""Relative tolerance of the verdicts: x_i <= c({i}) + tol max(1, |c(N)|)."""

SHARES = TableSpec("shares", "one member: what it pays alone and under each rule", (
    Column("member", "-", "member id"),
    Column("cost_alone", CURRENCY, "c({i}): the member's own plan, like for like with the "
           "alliance's (models/sharing.md (26))"),
    Column("marginal_cost", CURRENCY, "c(N) - c(N without i): what the alliance's cost "
           "rises by with the member in it"),
    Column("shapley", CURRENCY, "its Shapley value (exact up to 12 members, else sampled)"),
    Column("shapley_std_error", CURRENCY, "standard error of a sampled Shapley value (0 when "
           "exact)"),
    Column("nucleolus", CURRENCY, "its share under the nucleolus (the prenucleolus when the "
           "game has no imputation: a note says so)"),
    Column("least_core", CURRENCY, "its share in the least core's allocation"),
    Column("scrb", CURRENCY, "separable cost, remaining benefit"),
    Column("gdp_key", CURRENCY, "c(N) split in proportion to GDP (empty when no member "
           "gives a GDP)"),
    Column("units_key", CURRENCY, "c(N) split in proportion to what the member spends on "
           "units in the joint plan (unit counts of different capabilities are not added)"),
    Column("equal", CURRENCY, "c(N) split equally"),
    Column("rule", "-", "the rule the next columns read (procure share --rule)"),
    Column("allocated", CURRENCY, "its share under that rule"),
    Column("saving", CURRENCY, "cost_alone - allocated: what the member saves by joining"),
    Column("rational", "-", "yes when allocated is at most cost_alone (individually "
           "rational), no when it is more, undecided when the answer changes within the gap "
           "of a solve stopped at a limit"),
    Column("blocking_coalition", "-", "the coalition with this member in it that would save "
           "most by leaving the alliance under the rule (members joined by '+'); empty when "
           "none saves anything"),
    Column("blocking_saving", CURRENCY, "what that coalition would save by leaving: "
           "x(S) - c(S) (0 when none)"),
    Column("gdp_share", "% of alliance GDP", "the member's GDP over the alliance's"),
    Column("cost_share", "% of c(N)", "its share of the alliance's cost under the rule"),
    Column("defence_pct_gdp", "% of GDP", "its defence spending (the scenario's figure; "
           "empty when not given)"),
    Column("meets_2pct", "-", "true when defence spending is at least 2 % of GDP (empty "
           "when not given)"),
    Column("free_rider_index", "ratio", "its share of the alliance's saving over its share "
           "of the cost, both under the rule (above 1: it gains more than it pays for; "
           "empty when nobody saves)"),
))

SCHEDULE = TableSpec("payment_schedule", "one member in one year: what it pays under the "
                     "rule, against its budget", (
    Column("member", "-", "member id"),
    Column("year", "year", "fiscal year"),
    Column("joint_bill", CURRENCY, "what the member pays in the year under the joint plan: "
           "its units delivered that year and its NRC shares falling in it"),
    Column("transfer", CURRENCY, "allocated - the member's whole joint bill, spread over "
           "the years in proportion to the alliance's spending in each (the transfers of a "
           "year sum to 0 when c(N) is the joint plan's cost)"),
    Column("payment", CURRENCY, "joint_bill + transfer: what the member pays in the year "
           "under the rule (its payments over the years sum to allocated)"),
    Column("budget", CURRENCY, "the member's budget for the year (empty when it has none)"),
    Column("over_budget", "-", "yes when payment exceeds budget; empty when no budget"),
))
TWO_PERCENT = 2.0
"""The alliance's defence-spending benchmark, % of GDP."""

SUMMARY: tuple[Column, ...] = (
    Column("rule", "-", "the rule the verdicts and the payment schedule read"),
    Column("grand_cost", CURRENCY, "c(N): the alliance's cost in its own game "
           "(models/sharing.md (26))"),
    Column("core_nonempty", "-", "yes, no or undecided (within the gap of a solve stopped "
           "at a limit): some split leaves no coalition better off outside"),
    Column("least_core_epsilon", CURRENCY, "the least-core epsilon: the most a coalition "
           "must be left to gain by leaving under the fairest split (negative: every "
           "coalition can be kept better off than alone by that much)"),
    Column("uncertainty", CURRENCY, "how far values may be off because a solve stopped at "
           "a limit (0 when every solve was proven optimal)"),
    Column("in_core", "-", "yes, no or undecided: the rule's allocation is in the core"),
    Column("blocking", "-", "the coalition that would save most by leaving under the rule "
           "(member ids; empty when none saves)"),
    Column("blocking_saving", CURRENCY, "what it would save by leaving"),
    Column("members_over_budget", "-", "members paying over their budget in some year "
           "under the rule"),
    Column("coalitions_solved", "count", "coalition solves the answer needed"),
    Column("separation_milps", "count", "separation MILPs solved (beyond 12 members)"),
    Column("unproven", "-", "coalitions whose solve stopped before proving optimality"),
    Column("notes", "-", "what the figures rest on (sampling, limits)"),
)


@dataclass(frozen=True)
class AllianceShares:
    """The per-nation view (module docstring): ``table`` (:data:`SHARES`), ``schedule``
    (:data:`SCHEDULE`) under ``rule``, ``analysis`` (every rule, the core and the least
    core), the grand coalition's cost, the coalitions not proven optimal, and notes.

    ``in_core`` (the rule's allocation) and ``core_nonempty`` are ``yes``, ``no`` or
    ``undecided``; ``uncertainty`` is how far any value read may be off (the largest gap
    of a coalition's solve or of a separation MILP stopped at a limit; 0 when every
    solve was proven optimal), so the least-core epsilon lies in
    ``[epsilon, epsilon + uncertainty]``."""

    game: AllianceGame
    rule: Rule
    table: pd.DataFrame
    schedule: pd.DataFrame
    analysis: GameAnalysis
    grand_cost: float
    unproven: tuple[str, ...]
    notes: tuple[str, ...]
    in_core: str
    blocking: tuple[str, ...]
    blocking_saving: float
    core_nonempty: str
    epsilon: float
    uncertainty: float

    def tables(self) -> dict[str, pd.DataFrame]:
        """The view's tables by file stem."""
        return {"shares": self.table, "payment_schedule": self.schedule}

    def summary(self) -> dict[str, object]:
        """The headline of the view (:data:`SUMMARY`; ``sharing`` in ``summary.json``)."""
        values = (self.rule, self.grand_cost, self.core_nonempty, self.epsilon,
                  self.uncertainty, self.in_core, list(self.blocking), self.blocking_saving,
                  sorted(set(self.schedule.member[self.schedule.over_budget == "yes"])),
                  len(self.game.solved()), self.game.separation_solves, list(self.unproven),
                  list(self.notes))
        return {c.name: v for c, v in zip(SUMMARY, values, strict=True)}


def share_alliance(scenario: Scenario, *, rule: Rule = "shapley",
                   options: SolveOptions | None = None, pool: Pool | None = None,
                   samples: int | None = None, seed: int = 0,
                   budget: Budget | None = None) -> AllianceShares:
    """Solve the alliance's cost game and every rule on it (module docstring).
    ``options`` are each coalition's solve options; ``budget`` bounds the whole
    computation (:class:`~procure.sharing.alliance.GameStopped` when it runs out);
    ``samples``: replicates of the sampled Shapley value beyond 12 members (each needs
    n (n - 1) coalition values; default :func:`default_samples`)."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, got {rule!r}")
    game = AllianceGame(scenario, options=options or SolveOptions(time_limit=120.0,
                                                                  threads=1), pool=pool,
                        budget=budget)
    n = len(game.players)
    full = grand(n)
    singles = np.left_shift(1, np.arange(n, dtype=np.int64))
    notes: list[str] = []
    err = np.zeros(n)
    if n <= ENUMERATE_MAX:
        explicit = ExplicitGame(game.players, "cost",
                                game.values_of(np.arange(1 << n, dtype=np.int64)))
        analysis = analyse_game(explicit)
    else:
        game.values_of(np.concatenate([[full], singles, full - singles]))
        samples = default_samples(n) if samples is None else samples
        est = shapley_sampled(game, samples, seed=seed)
        err = est.std_error
        analysis = analyse_game(game, shapley_value=est.value)
        notes.append(f"{n} members: Shapley sampled ({samples} permutations, seed {seed}; "
                     f"{est.confidence:.0%} half-width up to {est.half_width.max():.4g}); "
                     f"nucleolus, least core and core checks by the separation MILP "
                     f"(models/sharing.md 11.3: {game.separation_solves} MILPs, "
                     f"{len(game.solved())} coalitions solved)")
    notes += list(analysis.notes)
    alone = game.values_of(singles)
    without = game.values_of(full - singles)
    total = game.value(full)
    gdp = {m.id: m.gdp for m in scenario.members}
    by_gdp = (proportional(game, gdp) if sum(gdp.values()) > 0 else np.full(n, np.nan))
    spend = _unit_spend(game)
    by_units = (proportional(game, dict(zip(game.players, spend.tolist(), strict=True)))
                if spend.sum() > 0 else np.full(n, np.nan))
    rules: dict[str, FloatArray] = {
        "shapley": analysis.shapley, "nucleolus": analysis.nucleolus.allocation,
        "least_core": analysis.least_core.allocation, "scrb": analysis.scrb,
        "gdp_key": by_gdp, "units_key": by_units, "equal": np.full(n, total / n)}
    x = rules[RULE_COLUMN[rule]]
    if not np.isfinite(x).all():
        raise ValueError(f"the {rule} rule has no allocation here (no member gives "
                         f"{'a GDP' if rule == 'gdp' else 'units'})")
    eps = RATIONAL_TOL * max(1.0, abs(total))
    blocking = [game.most_blocking(x, i) for i in range(n)]  # block_i of (30)
    uncertainty = _uncertainty(game)  # after the blocking checks (they may meet limits too)
    saving = alone - x
    benefit = saving / saving.sum() if saving.sum() > 0 else np.full(n, np.nan)
    cost_share = x / total if total else np.full(n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        free_rider = np.where(cost_share > 0, benefit / cost_share, np.nan)
    gdp_v = np.array([gdp[p] for p in game.players], dtype=np.float64)
    defence = [m.defence_spending_pct_gdp for m in scenario.members]
    block_saving = [max(0.0, b[1]) if b is not None and b[1] > eps else 0.0 for b in blocking]
    table = pd.DataFrame({
        "member": list(game.players), "cost_alone": alone, "marginal_cost": total - without,
        "shapley_std_error": err, **rules, "rule": rule, "allocated": x, "saving": saving,
        "rational": [_verdict(x[i] - hi, x[i] - lo, eps) for i, (lo, hi)
                     in enumerate(game.cost_of(int(m)).interval for m in singles)],
        "blocking_coalition": ["+".join(game.members_of(b[0])) if b is not None and b[1] > eps
                               else "" for b in blocking],
        "blocking_saving": block_saving,
        "gdp_share": 100.0 * gdp_v / gdp_v.sum() if gdp_v.sum() > 0 else np.nan,
        "cost_share": 100.0 * cost_share,
        "defence_pct_gdp": [np.nan if d is None else float(d) for d in defence],
        "meets_2pct": [None if d is None else bool(d >= TWO_PERCENT) for d in defence],
        "free_rider_index": free_rider})
    table = table[list(SHARES.names)]
    unproven = tuple("+".join(c.members) for _, c in sorted(game.solved().items())
                     if not c.exact)
    if unproven or game.separation_gaps:
        notes.append(f"{len(unproven)} coalition solve(s) and {len(game.separation_gaps)} "
                     "separation MILP(s) stopped before proving optimality: values may be "
                     f"off by up to {uncertainty:.6g}, and verdicts within that are undecided")
    # the rule in the core: the largest excess over every proper coalition
    if n <= ENUMERATE_MAX:
        masks = np.arange(1, full, dtype=np.int64)
        lo, hi = (np.array([game.cost_of(int(m)).interval[k] for m in masks]) for k in (0, 1))
        x_s = subset_sums(x)[masks]
        in_core = _verdict(float((x_s - hi).max()), float((x_s - lo).max()), eps)
        worst = int(masks[int(np.argmax(x_s - hi))])
        top = float((x_s - hi).max())
    else:
        found = game.most_violated(x)
        worst, top = found if found is not None else (0, -math.inf)
        uncertainty = _uncertainty(game)
        in_core = _verdict(top, top + uncertainty, eps)
    epsilon = float(analysis.least_core.epsilon)
    core = _verdict(epsilon, epsilon + uncertainty, eps)
    return AllianceShares(
        game, rule, SHARES.frame(table, scenario.currency),
        SCHEDULE.frame(payment_schedule(game, x), scenario.currency), analysis, total,
        unproven, tuple(notes), in_core,
        game.members_of(worst) if top > eps else (), max(0.0, top), core, epsilon,
        uncertainty)


SAMPLED_COALITIONS = 2000
"""About how many coalition values the default sampled Shapley value may ask for."""


def default_samples(n: int) -> int:
    """Replicates of the sampled Shapley value for ``n`` members by default: as many as
    :data:`SAMPLED_COALITIONS` coalition values allow (each takes n (n - 1)), between 2
    (a standard error needs two) and 50."""
    return max(2, min(50, SAMPLED_COALITIONS // max(1, n * (n - 1))))


def _unit_spend(game: AllianceGame) -> FloatArray:
    """Per member, the money it spends on units in the joint plan."""
    pay = game.grand_payments.groupby("member")["unit_payments"].sum()
    return np.array([float(pay.get(p, 0.0)) for p in game.players], dtype=np.float64)


def payment_schedule(game: AllianceGame, x: FloatArray) -> pd.DataFrame:
    """Per member and year (:data:`SCHEDULE`), (31) of ``models/sharing.md`` 11.5:
    p_{i,t} = b_{i,t} + (x_i - sum_t b_{i,t}) B_t / sum_t B_t, the joint plan's bill plus
    the member's transfer spread like the alliance's yearly spending B_t, against the
    budget."""
    pay = game.grand_payments
    years = sorted({int(y) for y in pay.year})
    bill = (pay.pivot_table(index="member", columns="year", values="total", aggfunc="sum")
            .reindex(index=list(game.players), columns=years).fillna(0.0))
    budget = (pay.pivot_table(index="member", columns="year", values="budget",
                              aggfunc="first", dropna=False)
              .reindex(index=list(game.players), columns=years))
    yearly = bill.sum(axis=0).to_numpy()
    weight = (yearly / yearly.sum() if yearly.sum() > 0
              else np.full(len(years), 1.0 / max(1, len(years))))
    transfer = np.outer(np.asarray(x) - bill.sum(axis=1).to_numpy(), weight)
    bills = bill.to_numpy(dtype=np.float64)
    caps = budget.to_numpy(dtype=np.float64)
    rows = []
    for i, m in enumerate(game.players):
        for j, y in enumerate(years):
            b, cap = float(bills[i, j]), float(caps[i, j])
            p = b + float(transfer[i, j])
            over = None if math.isnan(cap) else ("yes" if p > cap * (1 + RATIONAL_TOL)
                                                 + RATIONAL_TOL else "no")
            rows.append((m, y, b, float(transfer[i, j]), p, cap, over))
    return pd.DataFrame(rows, columns=list(SCHEDULE.names))


def _uncertainty(game: AllianceGame) -> float:
    """The largest gap left by a coalition solve or a separation MILP stopped at a
    limit (0 when every one was proven)."""
    gaps = [c.interval[1] - c.interval[0] for c in game.solved().values() if not c.exact]
    return float(max([0.0, *gaps, *game.separation_gaps]))


def _verdict(least: float, most: float, eps: float) -> str:
    """Whether a quantity known to lie in [least, most] is at most ``eps``: yes, no, or
    undecided (models/sharing.md 11.4)."""
    if most <= eps:
        return "yes"
    if least > eps:
        return "no"
    return "undecided"

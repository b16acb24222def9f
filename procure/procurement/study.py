"""Joint plan vs go-alone baseline: savings, per-member costs, duplication.

Definitions (``models/procurement.md``, section "Metrics"):

- savings = go-alone total cost - the joint cost of the *same capability level*:
  when going alone leaves requirements short, the joint model is solved again
  with each requirement allowed to fall short by no more than going alone does,
  without penalty ("level" solve), so the saving is like for like; what the full
  joint plan delivers beyond that, and what it costs, is reported separately;
- per-member cost = everything a member pays over the horizon (units + NRC shares);
- duplication index of a capability = number of launches supplying it;
  duplicated NRC = NRC of those launches minus the dearest one (every development
  paid beyond the first).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from procure.backends import Backend, SolveOptions
from procure.common import input_hash
from procure.procurement.compile import compile_scenario
from procure.procurement.evaluate import Evaluation
from procure.procurement.formulation import FormulationOptions
from procure.procurement.result import SHORT_TOL, requirements_short
from procure.procurement.solve import ProcurementRecord, solve
from procure.run.model import Budget
from procure.run.tables import CURRENCY, Column, TableSpec
from procure.schema.scenario import Scenario

DUPLICATION = TableSpec("duplication", "one capability: launches and NRC, go-alone vs joint", (
    Column("capability", "-", "capability id"),
    Column("launches_alone", "launches", "launches supplying it when members go alone (each "
           "member's own launch of a program counts once)"),
    Column("launches_joint", "launches", "launches supplying it in the joint plan"),
    Column("nrc_alone", CURRENCY, "non-recurring cost of those launches, go-alone"),
    Column("nrc_joint", CURRENCY, "non-recurring cost of those launches, joint"),
    Column("nrc_beyond_dearest_alone", CURRENCY, "NRC of the launches beyond the dearest one "
           "(development paid more than once), go-alone"),
    Column("nrc_beyond_dearest_joint", CURRENCY, "the same for the joint plan"),
))
MEMBER_COSTS = TableSpec("member_costs", "one member: what it pays alone and jointly, like "
                         "for like", (
    Column("member", "-", "member id"),
    Column("cost_alone", CURRENCY, "everything the member pays going alone (units + NRC), "
           "all years"),
    Column("cost_joint_like_for_like", CURRENCY, "what it pays in the joint plan that "
           "delivers exactly what going alone delivers"),
    Column("saving", CURRENCY, "cost_alone - cost_joint_like_for_like (negative: the member "
           "pays more jointly)"),
    Column("saving_pct", "% of cost_alone", "saving / cost_alone x 100; empty when "
           "cost_alone is 0"),
    Column("cost_joint", CURRENCY, "what it pays in the full joint plan"),
    Column("cost_of_extra_units", CURRENCY, "cost_joint - cost_joint_like_for_like: its "
           "payments for the units the full joint plan delivers beyond going alone"),
    Column("requirements_short_alone", "requirements", "its requirements left short going "
           "alone"),
    Column("requirements_short_joint", "requirements", "its requirements left short in the "
           "full joint plan"),
))
SHORTFALL_BY_CAPABILITY = TableSpec("shortfall_by_capability", "one capability: units "
                                    "missing, in its own unit, in each plan", (
    Column("capability", "-", "capability id"),
    Column("unit", "-", "the capability's unit (quantities are never summed across "
           "capabilities)"),
    Column("short_alone", "capability unit", "sum over members of their largest shortfall "
           "of the capability by any requirement year, going alone"),
    Column("short_joint_like_for_like", "capability unit", "the same in the like-for-like "
           "joint plan (at most short_alone by construction, when it was solved: it "
           "delivers at least what going alone delivers; less short only where a rule makes "
           "it buy more, e.g. a joiner's least purchase (6b))"),
    Column("short_joint", "capability unit", "the same in the full joint plan"),
))
MEMBERS = TableSpec("members", "one member: the scenario's burden-sharing figures", (
    Column("member", "-", "member id"),
    Column("name", "-", "its name (empty when not given)"),
    Column("gdp_share", "% of alliance GDP", "the member's GDP over the alliance's"),
    Column("defence_pct_gdp", "% of GDP", "its defence spending (the scenario's figure; "
           "empty when not given)"),
))
DUPLICATION_COLUMNS = DUPLICATION.names
MEMBER_COLUMNS = MEMBER_COSTS.names


def _finished(res: ProcurementRecord | None) -> bool:
    """A run whose figures may be shown as findings: proven optimal, evaluator clean."""
    return (res is not None and str(res.status) == "optimal" and res.evaluation is not None
            and res.evaluation.feasible)


HEADLINE: tuple[Column, ...] = (
    Column("joint_status", "-", "status of the joint solve: optimal, feasible (stopped at a "
           "limit, with a gap), limit (no plan), infeasible, error"),
    Column("alone_status", "-", "status of the go-alone solve (each member alone); \"not "
           "run\" without the baseline (--no-baseline, or an imported facility-location "
           "instance)"),
    Column("like_for_like_status", "-", "status of the like-for-like joint solve (null when "
           "going alone leaves nothing short: the joint plan is then like for like)"),
    Column("findings_ready", "-", "true when every solve the findings depend on finished; "
           "otherwise the derived figures below are null"),
    Column("unfinished", "-", "the solves that did not finish, with their status"),
    Column("joint_cost", CURRENCY, "total cost of the joint plan (NRC and units, all years)"),
    Column("alone_cost", CURRENCY, "total cost of going alone"),
    Column("like_for_like_cost", CURRENCY, "cost of the joint plan delivering exactly what "
           "going alone delivers"),
    Column("savings", CURRENCY, "alone_cost - like_for_like_cost (findings only)"),
    Column("savings_pct", "% of alone_cost", "savings as a share of alone_cost (null when "
           "alone_cost is 0)"),
    Column("extra_units_met_jointly", "units of each capability", "per capability, the units "
           "the joint plan delivers beyond going alone, each in the capability's own unit"),
    Column("cost_of_extra_units", CURRENCY, "joint_cost - like_for_like_cost: what the joint "
           "plan spends on the units only it delivers"),
    Column("joint_requirements_short", "requirements", "requirements (member, capability, "
           "year) the joint plan leaves short"),
    Column("alone_requirements_short", "requirements", "requirements going alone leaves "
           "short"),
    Column("launches_joint", "launches", "program launches in the joint plan"),
    Column("launches_alone", "launches", "program launches going alone (one program may be "
           "launched by several members)"),
    Column("duplication_index_alone", "launches per capability", "mean launches per "
           "capability with any launch, going alone"),
    Column("duplication_index_joint", "launches per capability", "the same, joint plan"),
    Column("nrc_beyond_dearest_alone", CURRENCY, "NRC of launches beyond the dearest one per "
           "capability, going alone: development paid more than once"),
    Column("nrc_beyond_dearest_joint", CURRENCY, "the same, joint plan"),
)
"""The fields of :meth:`Study.headline` (``comparison`` in ``summary.json``)."""


@dataclass(frozen=True)
class Study:
    """A joint solve and its go-alone baseline on one scenario (and, when going alone
    leaves requirements short, the joint solve like for like).

    Figures derived from several runs (savings, extra units and their cost) are given
    only when every run they use was proven optimal and passed the evaluator
    (:attr:`findings_ready`); otherwise they are ``None`` and :attr:`unfinished` says
    which run stopped how."""

    scenario: Scenario
    joint: ProcurementRecord
    alone: ProcurementRecord | None  # None: the baseline was not run (``skipped`` says why)
    level: ProcurementRecord | None = None  # joint, at the go-alone capability level
    skipped: str = ""  # why the comparison solves were not run ("" when they were)

    @staticmethod
    def _cost(res: ProcurementRecord | None) -> float | None:
        return None if res is None or res.evaluation is None else res.evaluation.total_cost

    @staticmethod
    def _short(res: ProcurementRecord | None) -> int | None:
        """Requirements the run's plan leaves short (None without a plan)."""
        return (None if res is None or res.evaluation is None
                else requirements_short(res.evaluation))

    @property
    def comparable(self) -> bool:
        return self.joint.has_plan and self.alone is not None and self.alone.has_plan

    @property
    def needs_level(self) -> bool:
        """Going alone leaves something short, so savings need the like-for-like run."""
        return (self.alone is not None and self.alone.evaluation is not None
                and self.alone.evaluation.shortfall_units > 0)

    @property
    def like_for_like(self) -> ProcurementRecord:
        """The joint plan that delivers what going alone delivers (the joint plan itself
        when going alone meets every requirement)."""
        return self.level if self.level is not None else self.joint

    def _runs(self) -> list[tuple[str, ProcurementRecord | None]]:
        runs: list[tuple[str, ProcurementRecord | None]] = [("joint", self.joint),
                                                            ("go-alone", self.alone)]
        if self.needs_level:
            runs.append(("joint like for like", self.level))
        return runs

    @property
    def findings_ready(self) -> bool:
        """Every run the comparison uses was proven optimal and passed the evaluator."""
        return all(_finished(r) for _, r in self._runs())

    @property
    def unfinished(self) -> list[str]:
        """Why the comparison is withheld: one line per run that did not finish."""
        out = []
        for name, r in self._runs():
            if r is None:
                out.append(f"{name}: not run" + (f" ({self.skipped})" if self.skipped
                                                 else ""))
            elif not _finished(r):
                why = f"{r.status}"
                if str(r.status) in ("feasible", "limit"):
                    why += f", stopped by {r.stopped_by}"
                    if r.gap is not None:
                        why += f", gap {100 * r.gap:.3g} %"
                if r.evaluation is not None and not r.evaluation.feasible:
                    why += ", rejected by the evaluator"
                out.append(f"{name}: {why}")
        return out

    @property
    def savings(self) -> float | None:
        """Go-alone cost minus the like-for-like joint cost (findings only)."""
        alone, ref = self._cost(self.alone), self._cost(self.like_for_like)
        if not self.findings_ready or alone is None or ref is None:
            return None
        return alone - ref

    @property
    def extra_units(self) -> dict[str, float] | None:
        """Per capability, in the capability's own unit, the units the joint plan
        delivers beyond going alone (findings only; capabilities with none left out).
        Never summed across capabilities: rounds, frigates and fleet shares do not add."""
        if not self.findings_ready:
            return None
        sf = self.shortfall_by_capability()
        extra = sf.short_alone.fillna(0.0) - sf.short_joint.fillna(0.0)
        return {str(c): float(v) for c, v in zip(sf.capability, extra, strict=True)
                if abs(v) > SHORT_TOL}

    @property
    def extra_cost(self) -> float | None:
        """What the joint plan spends beyond the like-for-like plan to deliver them."""
        joint, ref = self._cost(self.joint), self._cost(self.like_for_like)
        if not self.findings_ready or joint is None or ref is None:
            return None
        return joint - ref

    @property
    def savings_pct(self) -> float | None:
        sv, alone = self.savings, self._cost(self.alone)
        if sv is None or not alone:
            return None
        return 100.0 * sv / alone

    def member_costs(self) -> pd.DataFrame:
        """Each member's payments: alone, joint like for like, full joint (findings only:
        empty unless every run finished)."""
        ja = None if self.alone is None else self.alone.evaluation
        jj, jl = self.joint.evaluation, self.like_for_like.evaluation
        if not self.findings_ready or ja is None or jj is None or jl is None:
            return MEMBER_COSTS.frame(None, self.scenario.currency)

        def short(ev: Evaluation) -> dict[str, int]:
            """Requirements short, per member."""
            sf = ev.shortfalls
            return {str(k): int(v) for k, v in
                    sf[sf.shortfall > SHORT_TOL].groupby("member").size().items()}

        na, nj = short(ja), short(jj)
        rows = []
        for m in self.scenario.members:
            a = ja.member_cost.get(m.id, 0.0)
            lf, j = jl.member_cost.get(m.id, 0.0), jj.member_cost.get(m.id, 0.0)
            rows.append((m.id, a, lf, a - lf, 100.0 * (a - lf) / a if a else float("nan"),
                         j, j - lf, int(na.get(m.id, 0)), int(nj.get(m.id, 0))))
        return MEMBER_COSTS.frame(pd.DataFrame(rows, columns=MEMBER_COLUMNS),
                                  self.scenario.currency)

    def shortfall_by_capability(self) -> pd.DataFrame:
        """Units missing per capability, in the capability's own unit, in each plan."""

        def per_cap(res: ProcurementRecord | None) -> dict[str, float]:
            if res is None or res.evaluation is None:
                return {}
            sf = res.evaluation.shortfalls
            worst = sf.groupby(["member", "capability"])["shortfall"].max()
            return {str(k): float(v) for k, v in worst.groupby(level="capability").sum().items()}

        a, lf, j = per_cap(self.alone), per_cap(self.level if self.needs_level else None), \
            per_cap(self.joint)
        rows = []
        for c in self.scenario.capabilities:
            rows.append((c.id, c.unit, a.get(c.id, float("nan")) if a else float("nan"),
                         lf.get(c.id, float("nan")) if lf else
                         (a.get(c.id, float("nan")) if not self.needs_level and a
                          else float("nan")),
                         j.get(c.id, float("nan")) if j else float("nan")))
        return SHORTFALL_BY_CAPABILITY.frame(
            pd.DataFrame(rows, columns=SHORTFALL_BY_CAPABILITY.names), self.scenario.currency)

    def members(self) -> pd.DataFrame:
        """Each member's name, share of the alliance's GDP and defence spending: what a
        report sets the members' costs against."""
        ms = self.scenario.members
        gdp = np.array([m.gdp for m in ms], dtype=np.float64)
        total = float(gdp.sum())
        return MEMBERS.frame(pd.DataFrame({
            "member": [m.id for m in ms], "name": [m.name for m in ms],
            "gdp_share": 100.0 * gdp / total if total > 0 else np.full(len(ms), np.nan),
            "defence_pct_gdp": np.array([np.nan if m.defence_spending_pct_gdp is None
                                         else m.defence_spending_pct_gdp for m in ms],
                                        dtype=np.float64),
        }), self.scenario.currency)

    def duplication(self) -> pd.DataFrame:
        """Launches and NRC per capability, go-alone vs joint."""
        progs = {p.id: p for p in self.scenario.programs}

        def per_cap(res: ProcurementRecord | None) -> dict[str, list[float]]:
            out: dict[str, list[float]] = {c.id: [] for c in self.scenario.capabilities}
            if res is not None and res.plan is not None:
                for ln in res.plan.launches:
                    out[progs[ln.program].capability].append(progs[ln.program].nrc_total)
            return out

        a, j = per_cap(self.alone), per_cap(self.joint)
        nan = float("nan")
        rows = []
        for c in self.scenario.capabilities:
            na, nj = a[c.id], j[c.id]
            alone = ((nan, nan, nan) if self.alone is None  # no baseline: unknown, not 0
                     else (len(na), sum(na), sum(na) - max(na, default=0.0)))
            rows.append((c.id, alone[0], len(nj), alone[1], sum(nj), alone[2],
                         sum(nj) - max(nj, default=0.0)))
        return DUPLICATION.frame(pd.DataFrame(rows, columns=DUPLICATION_COLUMNS),
                                 self.scenario.currency)

    def headline(self) -> dict[str, object]:
        """The comparison's figures, JSON-ready: statuses always; costs of each plan; the
        derived findings (savings, extra units and their cost) only when ready."""
        dup = self.duplication()
        used = dup[(dup.launches_alone > 0) | (dup.launches_joint > 0)]
        return {
            "joint_status": str(self.joint.status),
            "alone_status": "not run" if self.alone is None else str(self.alone.status),
            "like_for_like_status": None if self.level is None else str(self.level.status),
            "findings_ready": self.findings_ready,
            "unfinished": self.unfinished,
            "joint_cost": self._cost(self.joint),
            "alone_cost": self._cost(self.alone),
            "like_for_like_cost": self._cost(self.like_for_like) if self.alone is not None and (
                not self.needs_level or self.level is not None) else None,
            "savings": self.savings,
            "savings_pct": self.savings_pct,
            "extra_units_met_jointly": self.extra_units,
            "cost_of_extra_units": self.extra_cost,
            "joint_requirements_short": self._short(self.joint),
            "alone_requirements_short": self._short(self.alone),
            "launches_joint": len(self.joint.plan.launches) if self.joint.plan else None,
            "launches_alone": (len(self.alone.plan.launches)
                               if self.alone is not None and self.alone.plan else None),
            "duplication_index_alone": (None if self.alone is None else
                                        float(used.launches_alone.mean()) if len(used)
                                        else 0.0),
            "duplication_index_joint": float(used.launches_joint.mean()) if len(used) else 0.0,
            "nrc_beyond_dearest_alone": (None if self.alone is None
                                         else float(dup.nrc_beyond_dearest_alone.sum())),
            "nrc_beyond_dearest_joint": float(dup.nrc_beyond_dearest_joint.sum()),
        }


COMPARISON_SHARE = 0.5
"""The comparison solves (go-alone, like for like) together get at most this share of the
run's time limit, and never more than the joint plan left of it."""
COMPARISON_SECONDS_NO_LIMIT = (60.0, 2.0)
"""Without a time limit: at most max(60 s, 2 x the joint solve's seconds) for them."""


def comparison_budget(budget: Budget, joint_seconds: float,
                      share: float = COMPARISON_SHARE) -> Budget:
    """The comparison solves' own budget, started now (``COMPARISON_SHARE``): with a time
    limit T, min(share x T, what is left of T); without one, max(60 s, 2 x the joint
    solve's time), so a baseline never dominates the run."""
    left = budget.remaining()
    if left is None or budget.seconds is None:
        floor, factor = COMPARISON_SECONDS_NO_LIMIT
        return Budget(max(floor, factor * joint_seconds))
    return Budget(min(share * budget.seconds, left))


def default_baseline(scenario: Scenario) -> bool:
    """Whether the go-alone baseline is run unless asked: for alliance scenarios, not for
    an imported facility-location instance (its members are customers)."""
    return scenario.origin == "alliance"


def study(
    scenario: Scenario,
    *,
    solver: str | Backend = "highs",
    options: SolveOptions | None = None,
    formulation: FormulationOptions | None = None,
    budget: Budget | None = None,
    marginal: bool = True,
    baseline: bool | None = None,
    on_joint: Callable[[ProcurementRecord], None] | None = None,
    comparison_share: float = COMPARISON_SHARE,
) -> Study:
    """Solve the joint model first; then, with ``baseline`` (default: for alliance
    scenarios, :func:`default_baseline`), the go-alone baseline with the same solver and
    options and, when going alone falls short, the joint model at the go-alone capability
    level.

    ``on_joint`` is called with the joint plan's record before any comparison solve
    starts (a command prints and writes it there, so a run stopped during the baseline
    still gives the plan). ``options.time_limit`` is one wall-clock budget for the whole
    study: the joint solve may use all of it; the comparison solves together get at most
    ``comparison_share`` of it (:func:`comparison_budget`), and one stopped at its limit
    is reported with its status, bound and gap, no saving claimed from it.

    The scenario is hashed once and compiled once per mode (the like-for-like solve
    reuses the joint compilation). ``marginal``: the joint plan's binding rules and what
    one more unit of each is worth (:mod:`procure.explain.marginal`, two LPs; its
    ``marginal_values`` table)."""
    opts = options or SolveOptions()
    budget = budget if budget is not None else Budget(opts.time_limit)
    digest = input_hash(scenario)
    joint_compiled = compile_scenario(scenario, "joint")
    t0 = time.perf_counter()
    joint = solve(scenario, mode="joint", solver=solver, options=opts,
                  formulation=formulation, compiled=joint_compiled, input_hash=digest,
                  budget=budget, marginal=marginal)
    if on_joint is not None:
        on_joint(joint)
    if not (default_baseline(scenario) if baseline is None else baseline):
        why = ("not asked for" if baseline is not None else
               f"not run by default for a {scenario.origin} scenario; --baseline runs it")
        return Study(scenario, joint, None, None, skipped=why)
    if budget.expired:
        return Study(scenario, joint, None, None,
                     skipped="the time limit was used up by the joint plan")
    share = comparison_budget(budget, time.perf_counter() - t0, comparison_share)
    alone = solve(scenario, mode="alone", solver=solver, options=opts,
                  formulation=formulation, input_hash=digest, budget=share)
    level = None
    if alone.evaluation is not None and alone.evaluation.shortfall_units > 0:
        level = solve(scenario, mode="joint", solver=solver, options=opts,
                      formulation=at_level(formulation, alone), compiled=joint_compiled,
                      input_hash=digest, label="like-for-like", budget=share)
    return Study(scenario, joint, alone, level)


def at_level(formulation: FormulationOptions | None,
             res: ProcurementRecord) -> FormulationOptions:
    """Formulation options for the joint plan that delivers at least what ``res``
    delivers by every requirement's year: each requirement may fall short by ``res``'s
    shortfall, without penalty, and by no more."""
    if res.evaluation is None:
        raise ValueError("at_level needs a run with a plan")
    base = formulation or FormulationOptions()
    allowance = tuple(float(x) for x in res.evaluation.shortfalls["shortfall"])
    return replace(base, strict=False, shortfall_allowance=allowance)

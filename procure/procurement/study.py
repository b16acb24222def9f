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

from dataclasses import dataclass, replace

import pandas as pd

from procure.backends import SolveOptions
from procure.common import input_hash
from procure.procurement.compile import compile_scenario
from procure.procurement.formulation import FormulationOptions
from procure.procurement.solve import ProcurementRecord, solve
from procure.run.model import Budget
from procure.run.tables import CURRENCY, Column, TableSpec
from procure.schema.scenario import Scenario

DUPLICATION = TableSpec("duplication", "one capability: launches and NRC, go-alone vs joint", (
    Column("capability", "-", "capability id"),
    Column("launches_alone", "launches", "programs launched for it when members go alone"),
    Column("launches_joint", "launches", "programs launched for it in the joint plan"),
    Column("nrc_alone", CURRENCY, "non-recurring cost of those launches, go-alone"),
    Column("nrc_joint", CURRENCY, "non-recurring cost of those launches, joint"),
    Column("duplicated_nrc_alone", CURRENCY, "NRC paid beyond the dearest launch (every "
           "development paid more than once), go-alone"),
    Column("duplicated_nrc_joint", CURRENCY, "the same for the joint plan"),
))
MEMBER_COSTS = TableSpec("member_costs", "one member: what it pays alone and jointly", (
    Column("member", "-", "member id"),
    Column("cost_alone", CURRENCY, "everything the member pays going alone (units + NRC), "
           "all years"),
    Column("cost_joint", CURRENCY, "everything the member pays in the joint plan"),
    Column("saving", CURRENCY, "cost_alone - cost_joint (not like for like: the joint plan "
           "may deliver more)"),
    Column("saving_pct", "% of cost_alone", "saving / cost_alone x 100 (0 when cost_alone "
           "is 0)"),
    Column("shortfall_alone", "units, summed over requirements", "units short going alone"),
    Column("shortfall_joint", "units, summed over requirements", "units short jointly"),
))
DUPLICATION_COLUMNS = DUPLICATION.names
MEMBER_COLUMNS = MEMBER_COSTS.names


@dataclass(frozen=True)
class Study:
    """A joint solve and its go-alone baseline on one scenario."""

    scenario: Scenario
    joint: ProcurementRecord
    alone: ProcurementRecord
    level: ProcurementRecord | None = None  # joint, at the go-alone capability level

    @staticmethod
    def _cost(res: ProcurementRecord) -> float | None:
        return None if res.evaluation is None else res.evaluation.total_cost

    @staticmethod
    def _short(res: ProcurementRecord) -> float | None:
        return None if res.evaluation is None else res.evaluation.shortfall_units

    @property
    def comparable(self) -> bool:
        return self.joint.has_plan and self.alone.has_plan

    @property
    def like_for_like(self) -> ProcurementRecord:
        """The joint plan that delivers what going alone delivers (the joint plan itself
        when going alone meets every requirement)."""
        return self.level if self.level is not None else self.joint

    @property
    def savings(self) -> float | None:
        alone, ref = self._cost(self.alone), self._cost(self.like_for_like)
        if not self.comparable or alone is None or ref is None:
            return None
        return alone - ref

    @property
    def extra_units(self) -> float | None:
        """Units the joint plan delivers beyond going alone."""
        alone, joint = self._short(self.alone), self._short(self.joint)
        if not self.comparable or alone is None or joint is None:
            return None
        return alone - joint

    @property
    def extra_cost(self) -> float | None:
        """What the joint plan spends beyond the like-for-like plan to deliver them."""
        joint, ref = self._cost(self.joint), self._cost(self.like_for_like)
        if not self.comparable or joint is None or ref is None:
            return None
        return joint - ref

    @property
    def savings_pct(self) -> float | None:
        sv, alone = self.savings, self._cost(self.alone)
        if sv is None or not alone:
            return None
        return 100.0 * sv / alone

    def member_costs(self) -> pd.DataFrame:
        """Each member's total payments and shortfall, joint vs alone."""
        ja, jj = self.alone.evaluation, self.joint.evaluation
        if not self.comparable or ja is None or jj is None:
            return MEMBER_COSTS.frame(None, self.scenario.currency)
        sa = ja.shortfalls.groupby("member")["shortfall"].sum()
        sj = jj.shortfalls.groupby("member")["shortfall"].sum()
        rows = []
        for m in self.scenario.members:
            a, j = ja.member_cost.get(m.id, 0.0), jj.member_cost.get(m.id, 0.0)
            rows.append((m.id, a, j, a - j, 100.0 * (a - j) / a if a else 0.0,
                         float(sa.get(m.id, 0.0)), float(sj.get(m.id, 0.0))))
        return MEMBER_COSTS.frame(pd.DataFrame(rows, columns=MEMBER_COLUMNS),
                                  self.scenario.currency)

    def duplication(self) -> pd.DataFrame:
        """Launches and NRC per capability, go-alone vs joint."""
        progs = {p.id: p for p in self.scenario.programs}

        def per_cap(res: ProcurementRecord) -> dict[str, list[float]]:
            out: dict[str, list[float]] = {c.id: [] for c in self.scenario.capabilities}
            if res.plan is not None:
                for ln in res.plan.launches:
                    out[progs[ln.program].capability].append(progs[ln.program].nrc_total)
            return out

        a, j = per_cap(self.alone), per_cap(self.joint)
        rows = []
        for c in self.scenario.capabilities:
            na, nj = a[c.id], j[c.id]
            rows.append((c.id, len(na), len(nj), sum(na), sum(nj),
                         sum(na) - max(na, default=0.0), sum(nj) - max(nj, default=0.0)))
        return DUPLICATION.frame(pd.DataFrame(rows, columns=DUPLICATION_COLUMNS),
                                 self.scenario.currency)

    def headline(self) -> dict[str, object]:
        dup = self.duplication()
        used = dup[(dup.launches_alone > 0) | (dup.launches_joint > 0)]
        return {
            "joint_status": str(self.joint.status),
            "alone_status": str(self.alone.status),
            "joint_cost": self._cost(self.joint),
            "alone_cost": self._cost(self.alone),
            "like_for_like_cost": self._cost(self.like_for_like),
            "savings": self.savings,
            "savings_pct": self.savings_pct,
            "extra_units_met_jointly": self.extra_units,
            "cost_of_extra_units": self.extra_cost,
            "joint_shortfall_units": self._short(self.joint),
            "alone_shortfall_units": self._short(self.alone),
            "duplication_index_alone": float(used.launches_alone.mean()) if len(used) else 0.0,
            "duplication_index_joint": float(used.launches_joint.mean()) if len(used) else 0.0,
            "duplicated_nrc_alone": float(dup.duplicated_nrc_alone.sum()),
            "duplicated_nrc_joint": float(dup.duplicated_nrc_joint.sum()),
        }


def study(
    scenario: Scenario,
    *,
    solver: str = "highs",
    options: SolveOptions | None = None,
    formulation: FormulationOptions | None = None,
) -> Study:
    """Solve the joint model and the go-alone baseline with the same solver and options;
    when going alone falls short, also the joint model at the go-alone capability level.

    The scenario is hashed once and compiled once per mode (the like-for-like solve
    reuses the joint compilation). ``options.time_limit`` is one wall-clock budget for
    the whole study: each solve gets what the ones before it left."""
    opts = options or SolveOptions()
    budget = Budget(opts.time_limit)
    digest = input_hash(scenario)
    joint_compiled = compile_scenario(scenario, "joint")

    def left() -> SolveOptions:
        return replace(opts, time_limit=budget.remaining())

    joint = solve(scenario, mode="joint", solver=solver, options=left(),
                  formulation=formulation, compiled=joint_compiled, input_hash=digest)
    alone = solve(scenario, mode="alone", solver=solver, options=left(),
                  formulation=formulation, input_hash=digest)
    level = None
    if alone.evaluation is not None and alone.evaluation.shortfall_units > 0:
        level = solve(scenario, mode="joint", solver=solver, options=left(),
                      formulation=at_level(formulation, alone), compiled=joint_compiled,
                      input_hash=digest, label="like-for-like")
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

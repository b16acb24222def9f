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
from procure.procurement.formulation import FormulationOptions
from procure.procurement.result import ProcurementResult
from procure.procurement.solve import solve
from procure.schema.scenario import Scenario

DUPLICATION_COLUMNS = [
    "capability", "launches_alone", "launches_joint", "nrc_alone", "nrc_joint",
    "duplicated_nrc_alone", "duplicated_nrc_joint",
]
MEMBER_COLUMNS = ["member", "cost_alone", "cost_joint", "saving", "saving_pct",
                  "shortfall_alone", "shortfall_joint"]


@dataclass(frozen=True)
class Study:
    """A joint solve and its go-alone baseline on one scenario."""

    scenario: Scenario
    joint: ProcurementResult
    alone: ProcurementResult
    level: ProcurementResult | None = None  # joint, at the go-alone capability level

    @property
    def comparable(self) -> bool:
        return self.joint.has_plan and self.alone.has_plan

    @property
    def like_for_like(self) -> ProcurementResult:
        """The joint plan that delivers what going alone delivers (the joint plan itself
        when going alone meets every requirement)."""
        return self.level if self.level is not None else self.joint

    @property
    def savings(self) -> float | None:
        ref = self.like_for_like
        if not (self.comparable and ref.has_plan):
            return None
        assert self.alone.total_cost is not None and ref.total_cost is not None
        return self.alone.total_cost - ref.total_cost

    @property
    def extra_units(self) -> float | None:
        """Units the joint plan delivers beyond going alone."""
        if not self.comparable:
            return None
        assert self.alone.shortfall_units is not None and self.joint.shortfall_units is not None
        return self.alone.shortfall_units - self.joint.shortfall_units

    @property
    def extra_cost(self) -> float | None:
        """What the joint plan spends beyond the like-for-like plan to deliver them."""
        ref = self.like_for_like
        if not (self.comparable and ref.has_plan):
            return None
        assert self.joint.total_cost is not None and ref.total_cost is not None
        return self.joint.total_cost - ref.total_cost

    @property
    def savings_pct(self) -> float | None:
        sv = self.savings
        if sv is None or not self.alone.total_cost:
            return None
        return 100.0 * sv / self.alone.total_cost

    def member_costs(self) -> pd.DataFrame:
        """Each member's total payments and shortfall, joint vs alone."""
        if not self.comparable:
            return pd.DataFrame(columns=MEMBER_COLUMNS)
        assert self.joint.evaluation is not None and self.alone.evaluation is not None
        ja, jj = self.alone.evaluation, self.joint.evaluation
        sa = ja.shortfalls.groupby("member")["shortfall"].sum()
        sj = jj.shortfalls.groupby("member")["shortfall"].sum()
        rows = []
        for m in self.scenario.members:
            a, j = ja.member_cost.get(m.id, 0.0), jj.member_cost.get(m.id, 0.0)
            rows.append((m.id, a, j, a - j, 100.0 * (a - j) / a if a else 0.0,
                         float(sa.get(m.id, 0.0)), float(sj.get(m.id, 0.0))))
        return pd.DataFrame(rows, columns=MEMBER_COLUMNS)

    def duplication(self) -> pd.DataFrame:
        """Launches and NRC per capability, go-alone vs joint."""
        progs = {p.id: p for p in self.scenario.programs}

        def per_cap(res: ProcurementResult) -> dict[str, list[float]]:
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
        return pd.DataFrame(rows, columns=DUPLICATION_COLUMNS)

    def headline(self) -> dict[str, object]:
        dup = self.duplication()
        used = dup[(dup.launches_alone > 0) | (dup.launches_joint > 0)]
        return {
            "joint_status": str(self.joint.status),
            "alone_status": str(self.alone.status),
            "joint_cost": self.joint.total_cost,
            "alone_cost": self.alone.total_cost,
            "like_for_like_cost": self.like_for_like.total_cost,
            "savings": self.savings,
            "savings_pct": self.savings_pct,
            "extra_units_met_jointly": self.extra_units,
            "cost_of_extra_units": self.extra_cost,
            "joint_shortfall_units": self.joint.shortfall_units,
            "alone_shortfall_units": self.alone.shortfall_units,
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
    when going alone falls short, also the joint model at the go-alone capability level."""
    joint = solve(scenario, mode="joint", solver=solver, options=options, formulation=formulation)
    alone = solve(scenario, mode="alone", solver=solver, options=options, formulation=formulation)
    level = None
    if alone.evaluation is not None and alone.evaluation.shortfall_units > 0:
        level = solve(scenario, mode="joint", solver=solver, options=options,
                      formulation=at_level(formulation, alone))
    return Study(scenario, joint, alone, level)


def at_level(formulation: FormulationOptions | None,
             res: ProcurementResult) -> FormulationOptions:
    """Formulation options for the joint plan that delivers at least what ``res``
    delivers by every requirement's year: each requirement may fall short by ``res``'s
    shortfall, without penalty, and by no more."""
    assert res.evaluation is not None
    base = formulation or FormulationOptions()
    allowance = tuple(float(x) for x in res.evaluation.shortfalls["shortfall"])
    return replace(base, strict=False, shortfall_allowance=allowance)

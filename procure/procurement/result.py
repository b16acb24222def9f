"""Results are data: a frozen object with honest status and tidy, fixed-column tables."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from procure.backends.base import Status
from procure.procurement.evaluate import PAYMENT_COLUMNS, SHORTFALL_COLUMNS, Evaluation
from procure.procurement.plan import PURCHASE_COLUMNS, Plan

LAUNCH_COLUMNS = ["launch", "program", "capability", "owner", "nrc", "participants"]
SHARE_COLUMNS = ["launch", "member", "nrc_share"]


@dataclass(frozen=True)
class ProcurementResult:
    """One solve of the procurement model (joint or go-alone).

    ``objective``/``bound``/``gap`` are the solver's; ``total_cost`` and every table
    come from the independent evaluator's exact recomputation of the plan.
    """

    scenario_name: str
    mode: str
    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    build_seconds: float
    solve_seconds: float
    solver: str
    solver_version: str
    message: str
    input_hash: str
    currency: str
    model_size: tuple[int, int, int]  # columns, rows, nonzeros
    plan: Plan | None = field(default=None, repr=False)
    evaluation: Evaluation | None = field(default=None, repr=False)

    @property
    def has_plan(self) -> bool:
        return self.plan is not None and self.evaluation is not None

    @property
    def total_cost(self) -> float | None:
        return self.evaluation.total_cost if self.evaluation is not None else None

    @property
    def shortfall_units(self) -> float | None:
        return self.evaluation.shortfall_units if self.evaluation is not None else None

    def purchases(self) -> pd.DataFrame:
        """Units per launch, member and year."""
        if self.plan is None:
            return pd.DataFrame(columns=PURCHASE_COLUMNS)
        return self.plan.purchases_frame()

    def payments(self) -> pd.DataFrame:
        """Unit and NRC payments per member and year, beside the budget."""
        if self.evaluation is None:
            return pd.DataFrame(columns=PAYMENT_COLUMNS)
        return self.evaluation.payments.copy()

    def shortfalls(self) -> pd.DataFrame:
        """Every requirement with what was delivered by its year and what is missing."""
        if self.evaluation is None:
            return pd.DataFrame(columns=SHORTFALL_COLUMNS)
        return self.evaluation.shortfalls.copy()

    def nrc_shares(self) -> pd.DataFrame:
        if self.evaluation is None:
            return pd.DataFrame(columns=SHARE_COLUMNS)
        rows = [(lid, m, sh) for (lid, m), sh in sorted(self.evaluation.shares.items())]
        return pd.DataFrame(rows, columns=SHARE_COLUMNS)

    def launches(self, capabilities: dict[str, str], nrc: dict[str, float]) -> pd.DataFrame:
        """Launched programs with capability, owner (go-alone) and participants."""
        if self.plan is None or self.evaluation is None:
            return pd.DataFrame(columns=LAUNCH_COLUMNS)
        shares = self.evaluation.shares
        rows = []
        for ln in self.plan.launches:
            who = sorted(m for (lid, m) in shares if lid == ln.id)
            rows.append((ln.id, ln.program, capabilities[ln.program], ln.owner or "",
                         nrc[ln.program], " ".join(who)))
        return pd.DataFrame(rows, columns=LAUNCH_COLUMNS)

    def summary(self) -> dict[str, object]:
        """Headline figures, JSON-ready."""
        ev = self.evaluation
        return {
            "scenario": self.scenario_name,
            "mode": self.mode,
            "status": str(self.status),
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "total_cost": ev.total_cost if ev else None,
            "nrc_cost": ev.nrc_cost if ev else None,
            "unit_cost": ev.unit_cost if ev else None,
            "shortfall_units": ev.shortfall_units if ev else None,
            "feasible_by_evaluator": ev.feasible if ev else None,
            "violations": [str(v) for v in ev.violations] if ev else [],
            "launches": len(self.plan.launches) if self.plan else None,
            "build_seconds": self.build_seconds,
            "solve_seconds": self.solve_seconds,
            "solver": self.solver,
            "solver_version": self.solver_version,
            "message": self.message,
            "input_hash": self.input_hash,
            "currency": self.currency,
            "model_columns": self.model_size[0],
            "model_rows": self.model_size[1],
            "model_nonzeros": self.model_size[2],
        }

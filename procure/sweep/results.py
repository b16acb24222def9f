"""What a sweep reports: one row per case, the long-form tables of every case, and each
member's cost against the base case.

A case's row (:func:`case_row`) is built in the worker from its study (and movement
plan): statuses, gaps, costs, savings, shortfalls, launches, duplication. The driver
adds the case's identity and outcome (:data:`CASE_COLUMNS`) and the comparison against
the base case (:func:`against_base`). A figure derived from a solve that did not
finish is null, never a finding: savings need every study solve proven optimal
(``findings_ready``), and a change against the base needs both cases proven optimal.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from procure.logistics.solve import MovementRecord
from procure.procurement.study import Study
from procure.run.tables import CURRENCY, Column, TableSpec

IDENTITY: tuple[Column, ...] = (
    Column("case", "-", "case number in the sweep (0: the base case, when included)"),
    Column("name", "-", "the case's what-ifs, in words"),
    Column("key", "-", "SHA-256 of the case's scenario, solver, options and procure "
           "version: the name of its stored result"),
    Column("outcome", "-", "solved; failed (the worker raised, died or hung, twice); "
           "invalid (its edits do not give a valid scenario)"),
    Column("reason", "-", "why the case failed or is invalid; for a case solved on its "
           "second attempt, why the first failed (empty otherwise)"),
    Column("attempts", "attempts", "attempts made (a failed attempt is retried once)"),
)
FIGURES: tuple[Column, ...] = (
    Column("plans_checked", "-", "true when every plan of the case passed the independent "
           "evaluator (false: a plan broke a rule, see the case's summary)"),
    Column("joint_status", "-", "status of the joint solve (optimal, feasible at a limit, "
           "limit, infeasible, error)"),
    Column("joint_gap", "fraction", "relative gap of the joint solve (0 when proven)"),
    Column("joint_cost", CURRENCY, "total cost of the joint plan, all years"),
    Column("alone_status", "-", "status of the go-alone solve"),
    Column("alone_cost", CURRENCY, "total cost of going alone"),
    Column("like_for_like_cost", CURRENCY, "cost of the joint plan delivering what going "
           "alone delivers"),
    Column("savings", CURRENCY, "alone_cost - like_for_like_cost; null unless every solve "
           "of the case was proven optimal"),
    Column("savings_pct", "% of alone_cost", "savings / alone_cost x 100"),
    Column("joint_requirements_short", "requirements", "requirements the joint plan leaves "
           "short"),
    Column("alone_requirements_short", "requirements", "requirements going alone leaves "
           "short"),
    Column("launches_joint", "launches", "program launches of the joint plan"),
    Column("duplication_index_joint", "launches per capability", "mean launches per "
           "capability with any launch, joint plan"),
    Column("duplication_index_alone", "launches per capability", "the same, going alone"),
    Column("movement_status", "-", "status of the movement solve (scenarios with "
           "movements)"),
    Column("movement_gap", "fraction", "relative gap of the movement solve"),
    Column("movement_cost", CURRENCY, "transport, draw and lift cost of the movement plan"),
    Column("movement_on_time_pct", "% of required tons", "tons delivered on time"),
    Column("movement_short_tons", "t", "tons never delivered"),
)
VERSUS_BASE: tuple[Column, ...] = (
    Column("joint_cost_change", CURRENCY, "joint_cost - the base case's joint_cost; null "
           "unless both joint solves were proven optimal"),
    Column("savings_change", CURRENCY, "savings - the base case's savings (both findings "
           "only)"),
)
VOLATILE = ("seconds",)
"""Columns that differ between runs of the same sweep (left out of comparisons)."""
TIMING = Column("seconds", "s", "wall-clock seconds of the case's last attempt")

MEMBER_CHANGES = TableSpec("member_changes", "one member in one case: its cost in the "
                           "joint plan against the base case", (
    Column("case", "-", "case number"),
    Column("member", "-", "member id"),
    Column("cost_joint", CURRENCY, "what the member pays in the case's full joint plan"),
    Column("cost_joint_base", CURRENCY, "what it pays in the base case's joint plan (null: "
           "not a member there)"),
    Column("change", CURRENCY, "cost_joint - cost_joint_base; null unless both joint "
           "solves were proven optimal"),
    Column("saving", CURRENCY, "its saving against going alone in the case, like for like "
           "(findings only)"),
))


def cases_spec(axes: list[str]) -> TableSpec:
    """The cases table of a sweep with these axis names: identity, one column per axis
    (the value's label), the figures, the comparison with the base, the timing."""
    axis_cols = tuple(Column(f"axis:{a}", "-", f"the value of axis {a!r} in the case")
                      for a in axes)
    return TableSpec("cases", "one case of the sweep", (*IDENTITY, *axis_cols, *FIGURES,
                                                         *VERSUS_BASE, TIMING))


def _status(rec: Any) -> str | None:
    return None if rec is None else str(rec.status)


def case_row(scenario: Any, st: Study | None, mr: MovementRecord | None) -> dict[str, Any]:
    """The :data:`FIGURES` of one solved case (in the worker)."""
    row: dict[str, Any] = dict.fromkeys(c.name for c in FIGURES)
    runs = [] if st is None else [st.joint, st.alone, st.level]
    evals = [r.evaluation for r in [*runs, mr] if r is not None and r.evaluation is not None]
    row["plans_checked"] = all(ev.feasible for ev in evals)
    if st is not None:
        h = st.headline()
        row.update(
            joint_status=_status(st.joint), joint_gap=st.joint.gap,
            joint_cost=h["joint_cost"], alone_status=_status(st.alone),
            alone_cost=h["alone_cost"], like_for_like_cost=h["like_for_like_cost"],
            savings=h["savings"], savings_pct=h["savings_pct"],
            joint_requirements_short=h["joint_requirements_short"],
            alone_requirements_short=h["alone_requirements_short"],
            launches_joint=h["launches_joint"],
            duplication_index_joint=h["duplication_index_joint"],
            duplication_index_alone=h["duplication_index_alone"])
    if mr is not None:
        ev = mr.evaluation
        row.update(movement_status=_status(mr), movement_gap=mr.gap,
                   movement_cost=None if ev is None else ev.cost,
                   movement_on_time_pct=mr.metrics.get("on_time_pct"),
                   movement_short_tons=None if ev is None else ev.short_tons)
    return row


def case_tables(st: Study | None, mr: MovementRecord | None) -> dict[str, pd.DataFrame]:
    """Every long-form table of one case, by file stem (as ``procure solve --out``
    writes them)."""
    from procure.report.write import study_tables

    tables: dict[str, pd.DataFrame] = {}
    if st is not None:
        tables.update(study_tables(st))
    if mr is not None:
        tables.update({f"movement_{k}": v for k, v in mr.tables.items()})
    return tables


def _finished(status: Any) -> bool:
    return bool(status == "optimal")


def against_base(cases: pd.DataFrame, member_costs: pd.DataFrame | None,
                 base_case: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``cases`` with :data:`VERSUS_BASE` filled in, and the :data:`MEMBER_CHANGES`
    table, against ``base_case`` (None: no base, every comparison null).
    ``member_costs``: the member_costs tables of all cases, with a ``case`` column."""
    out = cases.copy()
    for c in VERSUS_BASE:
        out[c.name] = pd.Series([None] * len(out), dtype="float64")
    rows: list[tuple[Any, ...]] = []
    base = out[out.case == base_case] if base_case is not None else out.iloc[0:0]
    b = base.iloc[0] if len(base) and base.iloc[0]["outcome"] == "solved" else None
    if b is not None:
        b_ok = _finished(b["joint_status"])
        for i, r in out.iterrows():
            if b_ok and r["outcome"] == "solved" and _finished(r["joint_status"]):
                out.loc[i, "joint_cost_change"] = r["joint_cost"] - b["joint_cost"]
            if pd.notna(r["savings"]) and pd.notna(b["savings"]):
                out.loc[i, "savings_change"] = r["savings"] - b["savings"]
    if member_costs is not None and len(member_costs):
        status = dict(zip(out.case, out.joint_status, strict=True))
        base_cost: dict[str, float] = {}
        if b is not None:
            in_base = member_costs[member_costs.case == base_case]
            base_cost = dict(zip(in_base.member.astype(str), in_base.cost_joint.astype(float),
                                 strict=True))
        both = b is not None and _finished(b["joint_status"])
        for mc in member_costs.to_dict("records"):
            ref = base_cost.get(str(mc["member"]))
            change = (float(mc["cost_joint"]) - ref if both and ref is not None
                      and _finished(status.get(mc["case"])) else None)
            rows.append((mc["case"], mc["member"], mc["cost_joint"], ref, change,
                         mc["saving"]))
    changes = pd.DataFrame(rows, columns=MEMBER_CHANGES.names)
    return out, changes

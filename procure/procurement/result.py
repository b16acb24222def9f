"""The tables of a procurement run: fixed columns, each with a unit and a meaning.

Quantities are in each capability's own unit (``Capability.unit``, e.g. aircraft or
rounds: never summed across capabilities); money is in the scenario's currency.
"""

from __future__ import annotations

import pandas as pd

from procure.procurement.evaluate import Evaluation
from procure.procurement.plan import Plan
from procure.run.tables import CURRENCY, Column, TableSpec
from procure.schema.scenario import Scenario

SHORT_TOL = 1e-9
"""Units short below which a requirement counts as met (reporting only)."""

QTY = "units of the capability"

PURCHASES = TableSpec("purchases", "units one member receives from one launch in one year", (
    Column("launch", "-", "launch id: the program, or program@member for a member going "
           "alone"),
    Column("program", "-", "program id"),
    Column("member", "-", "buying member"),
    Column("year", "fiscal year", "year of delivery (and payment of the unit price)"),
    Column("quantity", QTY, "units delivered that year"),
))
PAYMENTS = TableSpec("payments", "what one member pays in one fiscal year", (
    Column("member", "-", "member id"),
    Column("year", "fiscal year", "fiscal year"),
    Column("unit_payments", CURRENCY, "unit prices of the units delivered that year"),
    Column("nrc_payments", CURRENCY, "the member's shares of the launches' non-recurring "
           "cost falling due that year"),
    Column("total", CURRENCY, "unit_payments + nrc_payments"),
    Column("budget", CURRENCY, "the member's procurement budget that year (empty: none "
           "given)"),
))
SHORTFALLS = TableSpec("shortfalls", "one requirement: what was due, what arrived by then", (
    Column("member", "-", "member id"),
    Column("capability", "-", "capability id"),
    Column("by_year", "fiscal year", "year by which the quantity must have been received"),
    Column("required", QTY, "cumulative quantity required by by_year"),
    Column("delivered", QTY, "cumulative quantity delivered by by_year"),
    Column("shortfall", QTY, "required - delivered when positive, else 0"),
))
NRC_SHARES = TableSpec("nrc_shares", "one participant's share of one launch's NRC", (
    Column("launch", "-", "launch id"),
    Column("member", "-", "participating member"),
    Column("nrc_share", "fraction", "share of the launch's non-recurring cost the member "
           "pays, by the program's cost-share rule (shares of a launch sum to 1)"),
))
LAUNCHES = TableSpec("launches", "one launched program", (
    Column("launch", "-", "launch id"),
    Column("program", "-", "program id"),
    Column("capability", "-", "capability the program supplies"),
    Column("owner", "-", "the member going alone with it (empty for a joint launch)"),
    Column("nrc", CURRENCY, "the program's non-recurring cost (development, tooling), all "
           "years"),
    Column("participants", "-", "members buying units from the launch, space-separated"),
    Column("nrc_payers", "-", "members paying a share of its NRC, space-separated (by the "
           "cost-share rule; may differ from the buyers)"),
))
SPECS = (PURCHASES, PAYMENTS, SHORTFALLS, NRC_SHARES, LAUNCHES)

METRIC_UNITS: dict[str, str] = {
    "total_cost": CURRENCY, "nrc_cost": CURRENCY, "unit_cost": CURRENCY,
    "requirements_short": "requirements (member, capability, year) not met in full; the "
                          "units short, each in its capability's unit, are in shortfalls.csv",
    "launches": "launches",
}


def tables(scenario: Scenario, plan: Plan | None, evaluation: Evaluation | None
           ) -> dict[str, pd.DataFrame]:
    """purchases, payments, shortfalls, nrc_shares, launches (empty without a plan)."""
    cur = scenario.currency
    if plan is None or evaluation is None:
        return {spec.name: spec.frame(None, cur) for spec in SPECS}
    caps = {p.id: p.capability for p in scenario.programs}
    nrc = {p.id: p.nrc_total for p in scenario.programs}
    shares = evaluation.shares
    buyers: dict[str, set[str]] = {}
    for pu in plan.purchases:
        if pu.quantity > 0:
            buyers.setdefault(pu.launch.id, set()).add(pu.member)
    payers: dict[str, set[str]] = {}
    for (lid, m), share in shares.items():
        if share > 0:
            payers.setdefault(lid, set()).add(m)
    launch_rows = []
    for ln in plan.launches:
        launch_rows.append((ln.id, ln.program, caps[ln.program], ln.owner or "",
                            nrc[ln.program], " ".join(sorted(buyers.get(ln.id, ()))),
                            " ".join(sorted(payers.get(ln.id, ())))))
    share_rows = [(lid, m, sh) for (lid, m), sh in sorted(shares.items())]
    return {
        "purchases": PURCHASES.frame(plan.purchases_frame(), cur),
        "payments": PAYMENTS.frame(evaluation.payments.copy(), cur),
        "shortfalls": SHORTFALLS.frame(evaluation.shortfalls.copy(), cur),
        "nrc_shares": NRC_SHARES.frame(pd.DataFrame(share_rows, columns=NRC_SHARES.names), cur),
        "launches": LAUNCHES.frame(pd.DataFrame(launch_rows, columns=LAUNCHES.names), cur),
    }


def requirements_short(evaluation: Evaluation) -> int:
    """Requirements the plan leaves short (beyond the evaluator's tolerance)."""
    return int((evaluation.shortfalls["shortfall"] > SHORT_TOL).sum())


def metrics(plan: Plan | None, evaluation: Evaluation | None) -> dict[str, float | None]:
    """Headline numbers of a run (units in :data:`METRIC_UNITS`)."""
    if plan is None or evaluation is None:
        return dict.fromkeys(METRIC_UNITS)
    return {"total_cost": evaluation.total_cost, "nrc_cost": evaluation.nrc_cost,
            "unit_cost": evaluation.unit_cost,
            "requirements_short": float(requirements_short(evaluation)),
            "launches": float(len(plan.launches))}

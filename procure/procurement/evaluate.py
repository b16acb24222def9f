"""Independent evaluator: recompute every cost and check every rule from scenario + plan.

It reads the scenario's own objects (not the compiled arrays), applies the
cost-share rules exactly (:mod:`procure.procurement.shares`), and reports each
broken rule by the name of its constraint in ``models/procurement.md``. No
solver and no formulation code is involved, so a bug in either shows up here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from procure.common import Violation
from procure.procurement.compile import default_shortfall_penalty
from procure.procurement.plan import Launch, Plan
from procure.procurement.shares import nrc_shares
from procure.schema.scenario import Scenario

PAYMENT_COLUMNS = ["member", "year", "unit_payments", "nrc_payments", "total", "budget"]
SHORTFALL_COLUMNS = ["member", "capability", "by_year", "required", "delivered", "shortfall"]


@dataclass(frozen=True)
class Evaluation:
    """Exact costs of a plan and every rule it breaks."""

    violations: tuple[Violation, ...]
    nrc_cost: float
    unit_cost: float
    shortfall_units: float
    penalty: float
    shares: dict[tuple[str, str], float] = field(repr=False)  # (launch id, member) -> share
    payments: pd.DataFrame = field(repr=False)
    shortfalls: pd.DataFrame = field(repr=False)
    member_cost: dict[str, float] = field(repr=False)

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def total_cost(self) -> float:
        """NRC of every launch plus every unit bought (the alliance's bill)."""
        return self.nrc_cost + self.unit_cost

    @property
    def objective(self) -> float:
        """The model's objective: total cost plus the shortfall penalty."""
        return self.total_cost + self.penalty * self.shortfall_units


def evaluate(scenario: Scenario, plan: Plan, *, strict: bool = False,
             allowance: tuple[float, ...] | None = None, tol: float = 1e-6) -> Evaluation:
    """Check ``plan`` against every rule of ``scenario`` and compute its exact costs.

    ``allowance``: per requirement, the shortfall allowed without penalty and none
    beyond (the like-for-like "level" plan); ``strict``: no shortfall at all.
    ``tol`` is a relative tolerance: a check ``lhs <= rhs`` passes while
    ``lhs <= rhs + tol * max(1, |rhs|)`` (quantities and money alike).
    """
    s = scenario
    v: list[Violation] = []
    years = set(s.horizon.years)
    progs = {p.id: p for p in s.programs}
    members = {m.id: m for m in s.members}
    caps = {c.id: c for c in s.capabilities}

    def bad(constraint: str, where: str, amount: float, message: str) -> None:
        v.append(Violation(constraint, where, float(amount), message))

    def over(lhs: float, rhs: float) -> bool:
        return lhs > rhs + tol * max(1.0, abs(rhs))

    launches = {ln.id: ln for ln in plan.launches}
    eligible = {p.id: set(s.eligible_members(p)) for p in s.programs}
    if len(launches) != len(plan.launches):
        bad("launch", "plan", 0, "a launch is listed twice")
    for ln in plan.launches:
        if ln.program not in progs:
            bad("launch", ln.id, 0, f"unknown program {ln.program!r}")
        elif plan.mode == "joint" and ln.owner is not None:
            bad("launch", ln.id, 0, "a joint plan launches programs without an owner")
        elif plan.mode == "alone" and (ln.owner is None
                                       or progs[ln.program].min_participants > 1):
            bad("launch", ln.id, 0, "a go-alone launch needs an owner and min_participants 1")

    units: dict[tuple[str, str], float] = defaultdict(float)  # (launch, member) -> units
    per_year: dict[tuple[str, int], float] = defaultdict(float)  # (launch, year) -> units
    prog_year: dict[tuple[str, int], float] = defaultdict(float)  # (program, year) -> units
    by_mc: dict[tuple[str, str], list[tuple[int, float, Launch]]] = defaultdict(list)
    unit_pay: dict[tuple[str, int], float] = defaultdict(float)
    for pu in plan.purchases:
        ln, m, y, q = pu.launch, pu.member, pu.year, pu.quantity
        where = f"{ln.id}/{m}/{y}"
        if ln.id not in launches:
            bad("(2a) linking", where, q, "purchase from a launch that is not launched")
            continue
        p = progs.get(ln.program)
        if p is None or m not in members or y not in years:
            bad("purchase", where, q, "unknown program, member or year")
            continue
        if q < -tol:
            bad("purchase", where, q, f"negative quantity {q}")
        if not caps[p.capability].divisible and abs(q - round(q)) > tol:
            bad("integrality", where, q, f"{q} is not a whole number of units")
        if m not in eligible[p.id]:
            bad("eligibility", where, q,
                f"{m} may not buy from {p.id} (eligibility/export control)")
        if ln.owner is not None and ln.owner != m:
            bad("eligibility", where, q, f"{m} buys from {ln.owner}'s national launch")
        if p.first_delivery_year is not None and y < p.first_delivery_year:
            bad("delivery year", where, q, f"{p.id} delivers from {p.first_delivery_year}")
        if p.capability in members[m].constraints.sovereign and not (
            p.lead == m or p.work_fractions().get(m, 0.0) > 0.0
        ):
            bad("sovereignty", where, q, f"{p.capability} is sovereign for {m}; {p.id} is led "
                f"by {p.lead} and not produced in {m}")
        units[(ln.id, m)] += q
        per_year[(ln.id, y)] += q
        prog_year[(p.id, y)] += q
        by_mc[(m, p.capability)].append((y, q, ln))
        unit_pay[(m, y)] += q * p.price_for(m)

    # (1) requirements and (2b) need
    short_rows = []
    need: dict[tuple[str, str], float] = defaultdict(float)
    for i, r in enumerate(s.requirements):
        need[(r.member, r.capability)] = max(need[(r.member, r.capability)], r.quantity)
        got = sum(q for y, q, _ in by_mc.get((r.member, r.capability), []) if y <= r.by_year)
        miss = r.quantity - got
        miss = 0.0 if miss <= tol * max(1.0, r.quantity) else miss  # float noise in sums
        short_rows.append((r.member, r.capability, r.by_year, r.quantity, got, miss))
        limit = 0.0 if strict else (allowance[i] if allowance is not None else None)
        if limit is not None and miss > limit + tol * max(1.0, r.quantity):
            bad("(1) requirement", f"{r.member}/{r.capability}/{r.by_year}", miss - limit,
                f"{miss:g} of {r.quantity:g} not delivered by {r.by_year} (at most {limit:g})")
    for (m, c), items in by_mc.items():
        total = sum(q for _, q, _ in items)
        if over(total, need.get((m, c), 0.0)):
            bad("(2b) need", f"{m}/{c}", total - need.get((m, c), 0.0),
                f"buys {total:g} but needs at most {need.get((m, c), 0.0):g}")

    # (3) capacity, (4) minimum run, (5) participants
    for ln in plan.launches:
        p = progs.get(ln.program)
        if p is None:
            continue
        bought = sum(q for (lid, _), q in units.items() if lid == ln.id)
        buyers = [m for (lid, m), q in units.items() if lid == ln.id and q > tol]
        if p.capacity_per_year is not None:
            for y in s.horizon.years:
                if over(per_year.get((ln.id, y), 0.0), p.capacity_per_year):
                    bad("(3a) capacity", f"{ln.id}/{y}", per_year[(ln.id, y)] - p.capacity_per_year,
                        f"{per_year[(ln.id, y)]:g} units > capacity {p.capacity_per_year:g}")
        run = max(p.min_production_run, 0.0 if caps[p.capability].divisible else 1.0)
        if bought < run - tol:
            bad("(4) min run", ln.id, run - bought, f"{bought:g} units < minimum run {run:g}")
        if len(buyers) < max(1, p.min_participants):
            bad("(5) min participants", ln.id, max(1, p.min_participants) - len(buyers),
                f"{len(buyers)} participant(s) < {max(1, p.min_participants)}")
    if plan.mode == "alone":
        for (pid, y), q in prog_year.items():
            cap = progs[pid].capacity_per_year
            if cap is not None and over(q, cap):
                bad("(3b) shared capacity", f"{pid}/{y}", q - cap,
                    f"{q:g} units > capacity {cap:g}")

    # (7) exact NRC shares, (8) budgets
    gdp = {m.id: m.gdp for m in s.members}
    shares: dict[tuple[str, str], float] = {}
    nrc_pay: dict[tuple[str, int], float] = defaultdict(float)
    nrc_cost = 0.0
    for ln in plan.launches:
        p = progs.get(ln.program)
        if p is None:
            continue
        nrc_cost += p.nrc_total
        buyers = [m for m in s.eligible_members(p) if units.get((ln.id, m), 0.0) > tol]
        if not buyers:
            if p.nrc_total > 0:
                bad("(7) cost share", ln.id, p.nrc_total, "launched with no participant to pay NRC")
            continue
        if p.nrc_total <= 0:
            continue  # nothing to split
        rule = s.cost_share_for(p) if ln.owner is None else None
        split = (nrc_shares(rule, buyers, {m: units[(ln.id, m)] for m in buyers}, gdp)
                 if rule is not None and len(buyers) > 1 else {buyers[0]: 1.0})
        if split is None:
            bad("(7) cost share", ln.id, p.nrc_total, "no split of NRC satisfies the rule's caps/"
                "floors among these participants")
            continue
        for m, sh in split.items():
            shares[(ln.id, m)] = sh
            for y, amount in p.nrc.items():
                nrc_pay[(m, y)] += sh * amount
    pay_rows = []
    for mem in s.members:
        for y in s.horizon.years:
            up, npay = unit_pay.get((mem.id, y), 0.0), nrc_pay.get((mem.id, y), 0.0)
            budget = mem.budgets[y] if mem.budgets is not None else float("nan")
            pay_rows.append((mem.id, y, up, npay, up + npay, budget))
            if mem.budgets is not None and over(up + npay, budget):
                bad("(8) budget", f"{mem.id}/{y}", up + npay - budget,
                    f"pays {up + npay:.6g} > budget {budget:.6g}")

    # (9) dependence on one foreign lead nation
    for mem in s.members:
        nc = mem.constraints
        for kind in s.capabilities:
            gamma = nc.max_single_foreign_share_by_capability.get(kind.id,
                                                                 nc.max_single_foreign_share)
            items = by_mc.get((mem.id, kind.id), [])
            if gamma is None or not items:
                continue
            total = sum(q for _, q, _ in items)
            per_lead: dict[str, float] = defaultdict(float)
            for _, q, ln in items:
                lead = progs[ln.program].lead
                if lead != mem.id:
                    per_lead[lead] += q
            for lead, q in per_lead.items():
                if over(q, gamma * total):
                    bad("(9) dependence", f"{mem.id}/{kind.id}/{lead}", q - gamma * total,
                        f"{q:g} of {total:g} units from programs led by {lead} > share {gamma:g}")

    # (10), (11) workshare
    spend: dict[str, float] = {}
    for ln in plan.launches:
        p = progs.get(ln.program)
        if p is None:
            continue
        spend[ln.id] = p.nrc_total + sum(q * p.price_for(m) for (lid, m), q in units.items()
                                         if lid == ln.id)

    def pay(lid: str, m: str) -> float:
        p = progs[launches[lid].program]
        return units.get((lid, m), 0.0) * p.price_for(m) + shares.get((lid, m), 0.0) * p.nrc_total

    for mem in s.members:
        ws = mem.constraints.workshare
        if ws is None or ws.min_ratio <= 0:
            continue
        if ws.mode == "per_program":
            for lid, ln in launches.items():
                if ln.program not in progs or units.get((lid, mem.id), 0.0) <= tol:
                    continue
                work = progs[ln.program].work_fractions().get(mem.id, 0.0) * spend[lid]
                owed = ws.min_ratio * pay(lid, mem.id)
                if work < owed - tol * max(1.0, owed):
                    bad("(10) juste retour", f"{mem.id}/{lid}", owed - work,
                        f"work {work:.6g} < {ws.min_ratio:g} x payments {pay(lid, mem.id):.6g}")
        else:
            work = sum(progs[ln.program].work_fractions().get(mem.id, 0.0) * spend[lid]
                       for lid, ln in launches.items() if ln.program in progs)
            paid = sum(pay(lid, mem.id) for lid, ln in launches.items() if ln.program in progs)
            if work < ws.min_ratio * paid - tol * max(1.0, paid):
                bad("(11) global balance", mem.id, ws.min_ratio * paid - work,
                    f"work {work:.6g} < {ws.min_ratio:g} x payments {paid:.6g}")

    unit_cost = sum(q * progs[launches[lid].program].price_for(m) for (lid, m), q in units.items()
                    if lid in launches and launches[lid].program in progs)
    payments = pd.DataFrame(pay_rows, columns=PAYMENT_COLUMNS)
    member_cost = payments.groupby("member")["total"].sum().to_dict()
    shortfalls = pd.DataFrame(short_rows, columns=SHORTFALL_COLUMNS)
    return Evaluation(
        violations=tuple(v),
        nrc_cost=nrc_cost,
        unit_cost=unit_cost,
        shortfall_units=float(shortfalls["shortfall"].sum()),
        penalty=0.0 if allowance is not None else default_shortfall_penalty(s, plan.mode),
        shares=shares,
        payments=payments,
        shortfalls=shortfalls,
        member_cost={str(k): float(x) for k, x in member_cost.items()},
    )

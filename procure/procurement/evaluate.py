"""Independent evaluator: recompute every cost and check every rule from scenario + plan.

It reads the scenario's own objects (not the compiled arrays), applies the
cost-share rules exactly (:mod:`procure.procurement.shares`), and reports each
broken rule by the name of its constraint in ``models/procurement.md``. No
solver and no formulation code is involved, so a bug in either shows up here.

:func:`evaluate` builds the plan's tallies once (:class:`_Tally`) and then calls one
function per family of section 10 of the model, in this order: launches, purchases,
(1) requirement, (2b) need, (3a) capacity, (4) min run and (5) min participants launch
by launch, (3b) shared capacity, (7) cost share, (8) budget, (9) dependence, (10)/(11)
workshare. Each returns its violations; their concatenation is the plan's list.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from procure.common import Violation
from procure.procurement.compile import default_shortfall_penalty
from procure.procurement.plan import Launch, Plan, Purchase
from procure.procurement.shares import nrc_shares
from procure.schema.scenario import Capability, Member, Program, Scenario

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
    t = _tally(scenario, plan, tol)
    v = _check_launches(t) + _check_purchases(t)
    v += _check_requirements(t, strict, allowance)
    v += _check_need(t)
    for ln in plan.launches:  # rows of (3a), (4), (5) are per launch: reported launch by launch
        p = t.progs.get(ln.program)
        if p is not None:
            v += _check_capacity(t, ln, p) + _check_min_run(t, ln, p)
            v += _check_participants(t, ln, p)
    v += _check_shared_capacity(t)
    v += _check_cost_shares(t)
    v += _check_budgets(t)
    v += _check_dependence(t)
    v += _check_workshare(t)

    unit_cost = sum(q * t.progs[t.launches[lid].program].price_for(m)
                    for (lid, m), q in t.units.items()
                    if lid in t.launches and t.launches[lid].program in t.progs)
    payments = pd.DataFrame(_payment_rows(t), columns=PAYMENT_COLUMNS)
    member_cost = payments.groupby("member")["total"].sum().to_dict()
    shortfalls = pd.DataFrame(t.shortfall_rows, columns=SHORTFALL_COLUMNS)
    return Evaluation(
        violations=tuple(v),
        nrc_cost=t.nrc_cost,
        unit_cost=unit_cost,
        shortfall_units=float(shortfalls["shortfall"].sum()),
        penalty=0.0 if allowance is not None else default_shortfall_penalty(scenario, plan.mode),
        shares=t.shares,
        payments=payments,
        shortfalls=shortfalls,
        member_cost={str(k): float(x) for k, x in member_cost.items()},
    )


# -- tallies ---------------------------------------------------------------------------

ShortfallRow = tuple[str, str, int, float, float, float]


@dataclass(frozen=True)
class _Tally:
    """Scenario lookups and the plan's totals, computed once and read by every check.

    Only purchases with an open launch and known program, member and year count
    (:func:`_purchase_error`); the NRC split of each launch is the exact rule's
    (:mod:`procure.procurement.shares`).
    """

    s: Scenario
    plan: Plan
    tol: float
    years: set[int]
    progs: dict[str, Program]
    members: dict[str, Member]
    caps: dict[str, Capability]
    eligible: dict[str, set[str]]  # program -> members that may buy from it
    launches: dict[str, Launch]  # launch id -> launch
    units: dict[tuple[str, str], float]  # (launch, member) -> units
    per_year: dict[tuple[str, int], float]  # (launch, year) -> units
    prog_year: dict[tuple[str, int], float]  # (program, year) -> units
    by_mc: dict[tuple[str, str], list[tuple[int, float, Launch]]]  # (member, capability)
    unit_pay: dict[tuple[str, int], float]  # (member, year) -> unit payments
    need: dict[tuple[str, str], float]  # (member, capability) -> largest requirement
    shortfall_rows: list[ShortfallRow]  # per requirement, in scenario order
    splits: dict[str, dict[str, float] | None]  # launch -> NRC split (None: no valid split)
    shares: dict[tuple[str, str], float]  # (launch, member) -> NRC share
    nrc_pay: dict[tuple[str, int], float]  # (member, year) -> NRC payments
    nrc_cost: float

    def over(self, lhs: float, rhs: float) -> bool:
        """``lhs <= rhs`` fails beyond the relative tolerance."""
        return lhs > rhs + self.tol * max(1.0, abs(rhs))


def _bad(constraint: str, where: str, amount: float, message: str) -> Violation:
    return Violation(constraint, where, float(amount), message)


def _purchase_error(pu: Purchase, launches: dict[str, Launch], progs: dict[str, Program],
                    members: dict[str, Member], years: set[int]) -> str | None:
    """Why a purchase is left out of every tally (its constraint name), or None."""
    if pu.launch.id not in launches:
        return "(2a) linking"
    if pu.launch.program not in progs or pu.member not in members or pu.year not in years:
        return "purchase"
    return None


def _nrc_buyers(s: Scenario, units: dict[tuple[str, str], float], ln: Launch, p: Program,
                tol: float) -> list[str]:
    """The launch's participants that pay NRC: eligible members buying more than tol."""
    return [m for m in s.eligible_members(p) if units.get((ln.id, m), 0.0) > tol]


def _tally(s: Scenario, plan: Plan, tol: float) -> _Tally:
    progs = {p.id: p for p in s.programs}
    members = {m.id: m for m in s.members}
    years = set(s.horizon.years)
    launches = {ln.id: ln for ln in plan.launches}
    units: dict[tuple[str, str], float] = defaultdict(float)
    per_year: dict[tuple[str, int], float] = defaultdict(float)
    prog_year: dict[tuple[str, int], float] = defaultdict(float)
    by_mc: dict[tuple[str, str], list[tuple[int, float, Launch]]] = defaultdict(list)
    unit_pay: dict[tuple[str, int], float] = defaultdict(float)
    for pu in plan.purchases:
        if _purchase_error(pu, launches, progs, members, years) is not None:
            continue
        ln, m, y, q = pu.launch, pu.member, pu.year, pu.quantity
        prog = progs[ln.program]
        units[(ln.id, m)] += q
        per_year[(ln.id, y)] += q
        prog_year[(prog.id, y)] += q
        by_mc[(m, prog.capability)].append((y, q, ln))
        unit_pay[(m, y)] += q * prog.price_for(m)

    need: dict[tuple[str, str], float] = defaultdict(float)
    shortfall_rows: list[ShortfallRow] = []
    for r in s.requirements:
        need[(r.member, r.capability)] = max(need[(r.member, r.capability)], r.quantity)
        got = sum(q for y, q, _ in by_mc.get((r.member, r.capability), []) if y <= r.by_year)
        miss = r.quantity - got
        miss = 0.0 if miss <= tol * max(1.0, r.quantity) else miss  # float noise in sums
        shortfall_rows.append((r.member, r.capability, r.by_year, r.quantity, got, miss))

    gdp = {m.id: m.gdp for m in s.members}
    splits: dict[str, dict[str, float] | None] = {}
    shares: dict[tuple[str, str], float] = {}
    nrc_pay: dict[tuple[str, int], float] = defaultdict(float)
    nrc_cost = 0.0
    for ln in plan.launches:
        p = progs.get(ln.program)
        if p is None:
            continue
        nrc_cost += p.nrc_total
        buyers = _nrc_buyers(s, units, ln, p, tol)
        if not buyers or p.nrc_total <= 0:
            continue  # (7) reports a launch with NRC and nobody to pay it
        rule = s.cost_share_for(p) if ln.owner is None else None
        split = (nrc_shares(rule, buyers, {m: units[(ln.id, m)] for m in buyers}, gdp)
                 if rule is not None and len(buyers) > 1 else {buyers[0]: 1.0})
        splits[ln.id] = split
        for m, sh in (split or {}).items():
            shares[(ln.id, m)] = sh
            for y, amount in p.nrc.items():
                nrc_pay[(m, y)] += sh * amount

    return _Tally(
        s=s, plan=plan, tol=tol, years=years, progs=progs, members=members,
        caps={c.id: c for c in s.capabilities},
        eligible={p.id: set(s.eligible_members(p)) for p in s.programs},
        launches=launches, units=units, per_year=per_year, prog_year=prog_year, by_mc=by_mc,
        unit_pay=unit_pay, need=need, shortfall_rows=shortfall_rows, splits=splits,
        shares=shares, nrc_pay=nrc_pay, nrc_cost=nrc_cost)


def _payment_rows(t: _Tally) -> list[tuple[str, int, float, float, float, float]]:
    """Exact unit and NRC payments per member and year, beside the budget (NaN: none)."""
    rows = []
    for mem in t.s.members:
        for y in t.s.horizon.years:
            up, npay = t.unit_pay.get((mem.id, y), 0.0), t.nrc_pay.get((mem.id, y), 0.0)
            budget = mem.budgets[y] if mem.budgets is not None else float("nan")
            rows.append((mem.id, y, up, npay, up + npay, budget))
    return rows


# -- one check per family (models/procurement.md, sections 6 and 10) -------------------

def _check_launches(t: _Tally) -> list[Violation]:
    """Launches (section 10): no duplicates; a known program; no owner in joint mode;
    in alone mode an owner and min_participants N_p <= 1."""
    v: list[Violation] = []
    if len(t.launches) != len(t.plan.launches):
        v.append(_bad("launch", "plan", 0, "a launch is listed twice"))
    for ln in t.plan.launches:
        if ln.program not in t.progs:
            v.append(_bad("launch", ln.id, 0, f"unknown program {ln.program!r}"))
        elif t.plan.mode == "joint" and ln.owner is not None:
            v.append(_bad("launch", ln.id, 0, "a joint plan launches programs without an owner"))
        elif t.plan.mode == "alone" and (ln.owner is None
                                         or t.progs[ln.program].min_participants > 1):
            v.append(_bad("launch", ln.id, 0,
                          "a go-alone launch needs an owner and min_participants 1"))
    return v


def _check_purchases(t: _Tally) -> list[Violation]:
    """Purchases (section 10), record by record: the launch is open ((2a) linking);
    known program, member and year; nonnegative; whole units where the capability is not
    divisible; eligibility and export control; only the owner buys from a go-alone
    launch; no delivery before the first delivery year t0(p); sovereignty (a sovereign
    capability only from a program the member leads or produces in)."""
    v: list[Violation] = []
    for pu in t.plan.purchases:
        ln, m, y, q = pu.launch, pu.member, pu.year, pu.quantity
        where = f"{ln.id}/{m}/{y}"
        error = _purchase_error(pu, t.launches, t.progs, t.members, t.years)
        if error == "(2a) linking":
            v.append(_bad(error, where, q, "purchase from a launch that is not launched"))
            continue
        if error is not None:
            v.append(_bad(error, where, q, "unknown program, member or year"))
            continue
        p = t.progs[ln.program]
        if q < -t.tol:
            v.append(_bad("purchase", where, q, f"negative quantity {q}"))
        if not t.caps[p.capability].divisible and abs(q - round(q)) > t.tol:
            v.append(_bad("integrality", where, q, f"{q} is not a whole number of units"))
        if m not in t.eligible[p.id]:
            v.append(_bad("eligibility", where, q,
                          f"{m} may not buy from {p.id} (eligibility/export control)"))
        if ln.owner is not None and ln.owner != m:
            v.append(_bad("eligibility", where, q, f"{m} buys from {ln.owner}'s national launch"))
        if p.first_delivery_year is not None and y < p.first_delivery_year:
            v.append(_bad("delivery year", where, q,
                          f"{p.id} delivers from {p.first_delivery_year}"))
        if p.capability in t.members[m].constraints.sovereign and not (
            p.lead == m or p.work_fractions().get(m, 0.0) > 0.0
        ):
            v.append(_bad("sovereignty", where, q, f"{p.capability} is sovereign for {m}; "
                          f"{p.id} is led by {p.lead} and not produced in {m}"))
    return v


def _check_requirements(t: _Tally, strict: bool,
                        allowance: tuple[float, ...] | None) -> list[Violation]:
    """(1) requirement: units delivered by each requirement's year; the shortfall is a
    violation only with ``strict`` (none allowed) or beyond a level plan's allowance."""
    v: list[Violation] = []
    for i, (r, row) in enumerate(zip(t.s.requirements, t.shortfall_rows, strict=True)):
        miss = row[-1]
        limit = 0.0 if strict else (allowance[i] if allowance is not None else None)
        if limit is not None and miss > limit + t.tol * max(1.0, r.quantity):
            v.append(_bad("(1) requirement", f"{r.member}/{r.capability}/{r.by_year}",
                          miss - limit, f"{miss:g} of {r.quantity:g} not delivered by "
                          f"{r.by_year} (at most {limit:g})"))
    return v


def _check_need(t: _Tally) -> list[Violation]:
    """(2b) need: a member buys at most R[m,c], its largest requirement of the capability."""
    v: list[Violation] = []
    for (m, c), items in t.by_mc.items():
        total = sum(q for _, q, _ in items)
        if t.over(total, t.need.get((m, c), 0.0)):
            v.append(_bad("(2b) need", f"{m}/{c}", total - t.need.get((m, c), 0.0),
                          f"buys {total:g} but needs at most {t.need.get((m, c), 0.0):g}"))
    return v


def _check_capacity(t: _Tally, ln: Launch, p: Program) -> list[Violation]:
    """(3a) capacity: a launch delivers at most Cap_p units a year."""
    v: list[Violation] = []
    cap = p.capacity_per_year
    if cap is None:
        return v
    for y in t.s.horizon.years:
        if t.over(t.per_year.get((ln.id, y), 0.0), cap):
            q = t.per_year[(ln.id, y)]
            v.append(_bad("(3a) capacity", f"{ln.id}/{y}", q - cap,
                          f"{q:g} units > capacity {cap:g}"))
    return v


def _check_min_run(t: _Tally, ln: Launch, p: Program) -> list[Violation]:
    """(4) min run: a launch sells at least max(L_p, 1 if whole units) units in all."""
    bought = sum(q for (lid, _), q in t.units.items() if lid == ln.id)
    run = max(p.min_production_run, 0.0 if t.caps[p.capability].divisible else 1.0)
    if bought < run - t.tol:
        return [_bad("(4) min run", ln.id, run - bought,
                     f"{bought:g} units < minimum run {run:g}")]
    return []


def _check_participants(t: _Tally, ln: Launch, p: Program) -> list[Violation]:
    """(5) min participants: at least max(N_p, 1) members buy more than tol from a launch."""
    buyers = [m for (lid, m), q in t.units.items() if lid == ln.id and q > t.tol]
    least = max(1, p.min_participants)
    if len(buyers) < least:
        return [_bad("(5) min participants", ln.id, least - len(buyers),
                     f"{len(buyers)} participant(s) < {least}")]
    return []


def _check_shared_capacity(t: _Tally) -> list[Violation]:
    """(3b) shared capacity: in alone mode, all launches of a program together deliver at
    most Cap_p units a year."""
    v: list[Violation] = []
    if t.plan.mode != "alone":
        return v
    for (pid, y), q in t.prog_year.items():
        cap = t.progs[pid].capacity_per_year
        if cap is not None and t.over(q, cap):
            v.append(_bad("(3b) shared capacity", f"{pid}/{y}", q - cap,
                          f"{q:g} units > capacity {cap:g}"))
    return v


def _check_cost_shares(t: _Tally) -> list[Violation]:
    """(7) cost share: a launch with NRC > 0 has a participant to pay it, and its rule
    (with caps and floors) splits it among the participants. A launch without NRC is
    skipped; a lone buyer or a go-alone owner pays share 1."""
    v: list[Violation] = []
    for ln in t.plan.launches:
        p = t.progs.get(ln.program)
        if p is None or p.nrc_total <= 0:
            continue
        if not _nrc_buyers(t.s, t.units, ln, p, t.tol):
            v.append(_bad("(7) cost share", ln.id, p.nrc_total,
                          "launched with no participant to pay NRC"))
        elif t.splits[ln.id] is None:
            v.append(_bad("(7) cost share", ln.id, p.nrc_total, "no split of NRC satisfies "
                          "the rule's caps/floors among these participants"))
    return v


def _check_budgets(t: _Tally) -> list[Violation]:
    """(8) budget: each member's exact unit and NRC payments of a year stay within its
    budget for that year (members with budgets only)."""
    v: list[Violation] = []
    for mem in t.s.members:
        if mem.budgets is None:
            continue
        for y in t.s.horizon.years:
            up, npay = t.unit_pay.get((mem.id, y), 0.0), t.nrc_pay.get((mem.id, y), 0.0)
            budget = mem.budgets[y]
            if t.over(up + npay, budget):
                v.append(_bad("(8) budget", f"{mem.id}/{y}", up + npay - budget,
                              f"pays {up + npay:.6g} > budget {budget:.6g}"))
    return v


def _check_dependence(t: _Tally) -> list[Violation]:
    """(9) dependence: of a member's units of a capability with a cap gamma[m,c], at most
    gamma[m,c] come from programs led by any one foreign nation."""
    v: list[Violation] = []
    for mem in t.s.members:
        nc = mem.constraints
        for kind in t.s.capabilities:
            gamma = nc.max_single_foreign_share_by_capability.get(kind.id,
                                                                 nc.max_single_foreign_share)
            items = t.by_mc.get((mem.id, kind.id), [])
            if gamma is None or not items:
                continue
            total = sum(q for _, q, _ in items)
            per_lead: dict[str, float] = defaultdict(float)
            for _, q, ln in items:
                lead = t.progs[ln.program].lead
                if lead != mem.id:
                    per_lead[lead] += q
            for lead, q in per_lead.items():
                if t.over(q, gamma * total):
                    v.append(_bad("(9) dependence", f"{mem.id}/{kind.id}/{lead}",
                                  q - gamma * total, f"{q:g} of {total:g} units from programs "
                                  f"led by {lead} > share {gamma:g}"))
    return v


def _check_workshare(t: _Tally) -> list[Violation]:
    """(10) juste retour: a per-program member's work share of each launch it buys from
    (w[p,m] x NRC and every unit of the launch) is at least rho_m x its payments to it;
    (11) global balance: the same summed over every launch. Members in scenario order."""
    v: list[Violation] = []
    progs, launches, units, tol = t.progs, t.launches, t.units, t.tol
    spend: dict[str, float] = {}
    for ln in t.plan.launches:
        p = progs.get(ln.program)
        if p is None:
            continue
        spend[ln.id] = p.nrc_total + sum(q * p.price_for(m) for (lid, m), q in units.items()
                                         if lid == ln.id)

    def pay(lid: str, m: str) -> float:
        p = progs[launches[lid].program]
        return units.get((lid, m), 0.0) * p.price_for(m) + t.shares.get((lid, m), 0.0) * p.nrc_total

    for mem in t.s.members:
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
                    v.append(_bad("(10) juste retour", f"{mem.id}/{lid}", owed - work,
                                  f"work {work:.6g} < {ws.min_ratio:g} x payments "
                                  f"{pay(lid, mem.id):.6g}"))
        else:
            work = sum(progs[ln.program].work_fractions().get(mem.id, 0.0) * spend[lid]
                       for lid, ln in launches.items() if ln.program in progs)
            paid = sum(pay(lid, mem.id) for lid, ln in launches.items() if ln.program in progs)
            if work < ws.min_ratio * paid - tol * max(1.0, paid):
                v.append(_bad("(11) global balance", mem.id, ws.min_ratio * paid - work,
                              f"work {work:.6g} < {ws.min_ratio:g} x payments {paid:.6g}"))
    return v

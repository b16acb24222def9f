"""Warnings: scenarios that are valid but almost certainly not what the planner meant.

Validation (:mod:`procure.schema.checks`) refuses what is wrong. The checks here flag
what is allowed but cannot work: a sovereign capability no program can supply, a
stock its own owner may not touch, a movement with no route. Each would otherwise
show up only as a quiet shortfall in the plan. :func:`scenario_warnings` runs them
all and returns one :class:`ScenarioWarning` per finding, in check order and then
in document order. No warning means nothing was found, not that the plan will meet
every requirement.

Every check is *sound*: it looks only at rules the models of ``models/procurement.md``
and ``models/logistics.md`` apply, so whatever it flags really happens in every plan
(a warning is never a guess). Each one is a relaxation of the model and ignores the
rest: a requirement that passes the capacity check may still fall short for lack of
money. The codes, one check each (the docstring of each check gives its reasoning):

Procurement (``models/procurement.md``):

- ``sovereign_without_program``: :func:`check_sovereign`
- ``program_unusable``: :func:`check_programs`
- ``requirement_no_source``, ``requirement_over_capacity``: :func:`check_requirements`
- ``capability_over_capacity``: :func:`check_capabilities`
- ``foreign_share_blocks``: :func:`check_foreign_share`
- ``budget_below_requirements``: :func:`check_budgets`

Logistics (``models/logistics.md``):

- ``zero_capacity``: :func:`check_zero_capacity`
- ``stock_without_transit``: :func:`check_stocks`
- ``link_unusable``: :func:`check_links`
- ``movement_no_stock``, ``movement_no_route``, ``movement_stock_short``,
  ``movement_always_late``: :func:`check_movements`
- ``fleet_unused``: :func:`check_fleets`

Paths name the element as :class:`~procure.errors.ScenarioError` paths do
(``members[2] (id 'C').constraints.sovereign[0]``, ``logistics.movements[5] (id
'M5')``); messages name members, capabilities, locations and items by their ids.

Reuse: the procurement checks read the arrays of
:func:`procure.procurement.compile.parameters` and the logistics checks the link
parameters of :func:`procure.logistics.compile.link_params`, so both see the scenario
exactly as the models do. The route checks do not use the compile's reach (one
Bellman-Ford per movement, 0.6 s of compile time on ``generate_network(50, 500, 10,
3000)``, and blind to lift): a movement's reach depends only on its member's arcs and
its sources, so one Dijkstra per member from the locations its movements may draw
from (and, for the fleet check, one to their destinations) gives every movement's.

Cost: linear in the scenario's size (numpy over the arrays; Python loops only over
elements and to word the findings), plus those per-member Dijkstras (scipy's C code,
O(sources x (A + V log V)) each). Measured: under 1 ms on the tutorial and the
sample alliance, about 5 ms on ``reinforcement.yaml`` and 80 ms on
``generate_network(50, 500, 10, 3000)`` (the first call also imports
``scipy.sparse.csgraph``, about 0.2 s).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from procure.lp.model import BoolArray, FloatArray, IntArray

if TYPE_CHECKING:
    from procure.procurement.compile import Parameters
    from procure.schema.scenario import Scenario

TOL = 1e-9  # relative slack on every comparison of quantities, money and capacities

WARNING_CODES: dict[str, str] = {
    "sovereign_without_program": "a sovereign capability with no program the member leads "
                                 "or produces in",
    "program_unusable": "a program no plan can launch, or that delivers after every deadline "
                        "of its buyers",
    "requirement_no_source": "a requirement no program may deliver any unit of by its year",
    "requirement_over_capacity": "a requirement above what its programs can deliver by its "
                                 "year",
    "capability_over_capacity": "the requirements of a capability due by a year above what "
                                "all its programs can deliver by then",
    "foreign_share_blocks": "a cap on one foreign lead's share that forbids every purchase "
                            "of a capability",
    "budget_below_requirements": "budgets that cannot pay the units a member's requirements "
                                 "ask for, even at the cheapest prices",
    "zero_capacity": "a capacity of 0 that makes a location, link, fleet, airbase or basing "
                     "right carry nothing",
    "stock_without_transit": "stock held where its owner has no transit right",
    "link_unusable": "a link no member may use",
    "movement_no_stock": "a movement whose item has no stock anywhere",
    "movement_no_route": "a movement that cannot deliver any unit within its window",
    "movement_stock_short": "a movement asking for more than the stock it can reach in time",
    "movement_always_late": "a movement that cannot arrive by its LAD",
    "fleet_unused": "a lift fleet no movement can use",
}
"""Every warning code, with what it flags."""


@dataclass(frozen=True)
class ScenarioWarning:
    """One finding: a stable ``code`` (a key of :data:`WARNING_CODES`), the ``path`` of
    the scenario element it concerns, and a one-line ``message`` in the scenario's ids."""

    code: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.code}]"


def scenario_warnings(s: Scenario) -> list[ScenarioWarning]:
    """Every warning of the validated scenario ``s`` (see the module docstring): the
    procurement checks, then the logistics checks when ``s`` has a logistics section."""
    out: list[ScenarioWarning] = []
    if s.programs or s.requirements or any(m.constraints.sovereign for m in s.members):
        pc = _ProcurementContext.build(s)
        out += check_sovereign(pc)
        out += check_programs(pc)
        req = check_requirements(pc)
        out += req
        out += check_capabilities(pc, req)
        out += check_foreign_share(pc)
        out += check_budgets(pc)
    if s.logistics is not None:
        net = _Network.build(s)
        out += check_zero_capacity(net)
        out += check_stocks(net)
        out += check_links(net)
        out += check_movements(net)
        out += check_fleets(net)
    return out


# ---------------------------------------------------------------------------------------
# wording helpers


def _q(values: Iterable[str], limit: int = 6) -> str:
    """``'A', 'B' and 'C'`` (at most ``limit`` ids, then "and N more")."""
    v = [repr(x) for x in values]
    if not v:
        return "none"
    if len(v) > limit:
        return ", ".join(v[:limit]) + f" and {len(v) - limit} more"
    return v[0] if len(v) == 1 else ", ".join(v[:-1]) + " and " + v[-1]


def _n(x: float) -> str:
    """A quantity as the scenario would write it."""
    return f"{x:g}" if abs(x) < 1e7 else f"{x:.4g}"


def _exceeds(a: float, b: float) -> bool:
    """a > b beyond the relative tolerance."""
    return a > b + TOL * max(1.0, abs(b))


# ---------------------------------------------------------------------------------------
# procurement


@dataclass(frozen=True)
class _ProcurementContext:
    """The procurement arrays the checks share (``models/procurement.md`` sections 2-3),
    computed once: the parameters of :func:`procure.procurement.compile.parameters`,
    R[m,c], A(p), which programs some plan can launch at all, the programs of each
    capability and the (requirement, program of its capability) pairs."""

    s: Scenario
    par: Parameters
    need: FloatArray  # R[m,c], (M, C)
    producer: BoolArray  # (P, M): m = lead(p) or w[p,m] > 0
    access: BoolArray  # (P, M): m in A(p)
    cap_units: FloatArray  # (P,) units a year: Cap_p, rounded down for whole units
    dead: tuple[str | None, ...]  # (P,) why no plan can launch p; None: some plan may
    openable: BoolArray  # (P,): dead is None
    by_cap: IntArray  # programs ordered by capability ...
    cap_start: IntArray  # ... those of c are by_cap[cap_start[c]:cap_start[c+1]]
    pair_req: IntArray  # pairs (r, p) with c(p) = c_r, in order of r
    pair_prog: IntArray
    pair_ok: BoolArray  # m_r in A(p) and p openable
    sov_gaps: tuple[tuple[int, int, int], ...]  # (member, sovereign[j], capability)

    @staticmethod
    def build(s: Scenario) -> _ProcurementContext:
        from procure.lp.index import match_keys
        from procure.procurement.compile import parameters

        par = parameters(s)
        n_p, n_m, n_c = len(par.program_ids), len(par.member_ids), len(par.capability_ids)
        need = np.zeros((n_m, n_c))
        np.maximum.at(need, (par.req_member, par.req_capability), par.req_quantity)
        producer = par.work > 0
        producer[np.arange(n_p), par.prog_lead] = True
        rp = need[:, par.prog_capability].T  # (P, M): R[m, c(p)]
        sov = par.sovereign[:, par.prog_capability].T  # (P, M): c(p) in Sov(m)
        access = par.eligible & (rp > 0) & (~sov | producer)
        cap_units = np.where(par.prog_integer, np.floor(par.prog_capacity + TOL),
                             par.prog_capacity)
        by_cap = np.argsort(par.prog_capability, kind="stable").astype(np.int64)
        cap_start = np.searchsorted(par.prog_capability[by_cap],
                                    np.arange(n_c + 1)).astype(np.int64)
        dead = tuple(_dead_reason(s, par, need, access, cap_units, i) for i in range(n_p))
        openable = np.array([d is None for d in dead], dtype=np.bool_).reshape(n_p)
        pr, pp = match_keys(par.req_capability, par.prog_capability)
        pair_ok = access[pp, par.req_member[pr]] & openable[pp]
        # sovereign capabilities with no program of it m may join and leads or produces in
        qual = np.zeros((n_c, n_m), dtype=np.bool_)
        np.logical_or.at(qual, par.prog_capability, par.eligible & producer)
        cpos = {c: i for i, c in enumerate(par.capability_ids)}
        gaps = tuple((i, j, cpos[cid]) for i, m in enumerate(s.members)
                     for j, cid in enumerate(m.constraints.sovereign) if not qual[cpos[cid], i])
        return _ProcurementContext(s, par, need, producer, access, cap_units, dead, openable,
                                   by_cap, cap_start, pr, pp, pair_ok, gaps)

    def programs_of(self, c: int) -> IntArray:
        """Programs of capability c, in document order."""
        return self.by_cap[self.cap_start[c]:self.cap_start[c + 1]]

    def deliverable(self, prog: IntArray, year: IntArray) -> FloatArray:
        """Units program ``prog`` can deliver from its first delivery year to ``year``
        (year indices, inclusive): capacity x delivery years, 0 before t0, inf when the
        capacity is unlimited and at least one year is left."""
        years = np.maximum(year - self.par.prog_first_year[prog] + 1, 0).astype(np.float64)
        cap = self.cap_units[prog]
        out: FloatArray = np.where(years > 0, cap * np.where(years > 0, years, 1.0), 0.0)
        return out

    def ids(self, progs: Iterable[int | np.integer]) -> str:
        return _q(self.s.programs[int(k)].id for k in progs)


def _dead_reason(s: Scenario, par: Parameters, need: FloatArray, access: BoolArray,
                 cap_units: FloatArray, i: int) -> str | None:
    """Why no plan can launch program i, or None (see :func:`check_programs`)."""
    p = s.programs[i]
    members = par.member_ids
    c = int(par.prog_capability[i])
    buyers = np.flatnonzero(access[i])
    if buyers.size == 0:
        needy = np.flatnonzero(par.eligible[i] & (need[:, c] > 0))
        if needy.size == 0:
            return (f"no member eligible for it needs {p.capability!r}, so no member may buy "
                    "from it")
        return (f"the members eligible for it that need {p.capability!r} "
                f"({_q(members[j] for j in needy)}) hold it sovereign and neither lead nor "
                "produce in it, so no member may buy from it")
    n_req = int(par.prog_min_participants[i])
    if buyers.size < n_req:
        return (f"it needs at least {n_req} participants but only {buyers.size} member(s) may "
                f"buy from it ({_q(members[j] for j in buyers)})")
    cap = float(cap_units[i])
    if cap <= 0:
        given = p.capacity_per_year or 0.0
        why = (f"capacity_per_year {_n(given)} is less than one whole {s.capabilities[c].unit}"
               if given > 0 else "capacity_per_year is 0")
        return f"{why}: it can deliver nothing"
    run = max(float(par.prog_min_run_given[i]), 1.0 if par.prog_integer[i] else 0.0)
    years = len(par.years) - int(par.prog_first_year[i])
    by_cap = cap * years if math.isfinite(cap) else math.inf
    by_need = float(need[buyers, c].sum())
    if run > 0 and _exceeds(run, min(by_cap, by_need)):
        what = (f"its buyers need at most {_n(by_need)}" if by_need <= by_cap else
                f"it can deliver at most {_n(by_cap)} ({_n(cap)} a year from "
                f"{par.years[int(par.prog_first_year[i])]})")
        return f"its minimum production run {_n(run)} is more than it can sell: {what}"
    if n_req >= 2 and par.prog_nrc_total[i] > 0 and par.share_rule[i] != 0:
        caps = par.share_cap[i, buyers]
        floors = par.share_floor[i, buyers]
        lowest = float(np.sort(floors)[:n_req].sum())
        if caps.sum() < 1.0 - TOL:
            return (f"it needs {n_req} or more participants, and the cost-share caps of all who "
                    f"may join sum to {_n(float(caps.sum()))} < 1: no split of its NRC exists")
        if lowest > 1.0 + TOL:
            return (f"it needs {n_req} or more participants, and any {n_req} of their cost-"
                    f"share floors sum to at least {_n(lowest)} > 1: no split of its NRC exists")
        if not (par.share_key[i, buyers] > 0).any() and not (floors > 0).any():
            return (f"it needs {n_req} or more participants, and all who may join have cost-"
                    "share key 0 and no floor: no split of its NRC exists")
    return None


def check_sovereign(pc: _ProcurementContext) -> list[ScenarioWarning]:
    """``sovereign_without_program``: a member holds a capability sovereign, but no program
    of that capability it is eligible for (and not excluded from) has it as lead or
    producer.

    Why: the sovereignty filter of A(p) (section 2) lets m buy a sovereign capability
    only from programs it leads or produces in (work fraction > 0). With none, every
    unit m needs of it is shortfall, in every plan, joint or alone; the model says so
    only as a shortfall line. The usual causes are a producer left out of
    ``producers``, a national program missing, or a sovereign list copied from another
    member. A sovereign capability the member has no requirement for is flagged too:
    the declaration can never be honoured, which is worth knowing before a
    requirement is added. The member's requirements of it are not flagged again by
    :func:`check_requirements`: this warning names them."""
    par, s = pc.par, pc.s
    out = []
    for i, j, c in pc.sov_gaps:
        m, cid = s.members[i], par.capability_ids[c]
        progs = pc.programs_of(c)
        own = progs[pc.producer[progs, i]]
        need = float(pc.need[i, c])
        what = (f"its requirement of {_n(need)} {s.capabilities[c].unit}(s) can only fall short"
                if need > 0 else f"(it has no requirement for {cid!r} yet)")
        also = (f"; it leads or produces in {pc.ids(own)} but may not join"
                if own.size else "")
        out.append(ScenarioWarning(
            "sovereign_without_program",
            f"members[{i}] (id {m.id!r}).constraints.sovereign[{j}]",
            f"{m.id!r} holds {cid!r} sovereign but leads or produces in no program of {cid!r} "
            f"it may join{also}: {what}"))
    return out


def check_programs(pc: _ProcurementContext) -> list[ScenarioWarning]:
    """``program_unusable``: a program no plan can launch, or whose first deliveries come
    after the last deadline of every member that may buy from it.

    Why (section 2): a program with A(p) empty has no launch at all (nobody eligible
    needs its capability, or those who do hold it sovereign and neither lead nor
    produce in it); one with fewer members in A(p) than ``min_participants`` is closed
    (Λ_0); a capacity under one whole unit of a whole-unit capability delivers nothing
    (x is integer and at most Cap_p); a minimum production run above what the program
    can sell, min(sum of its buyers' R[m,c], capacity x delivery years), breaks row (4)
    whenever it is open; under the key or equal rule, a program that needs two or more
    participants and whose buyers' cost-share caps sum below 1 (or whose smallest
    floors sum above 1, or all of whose keys and floors are 0) has no NRC split for any
    participant set it may have (section 7), so it never opens. A program that first
    delivers after all its buyers' deadlines can be launched but cannot reduce any
    shortfall: it only adds cost. Each usually means an eligibility list, a capability
    id, a capacity, a minimum run or a first delivery year not meant as written."""
    par, s = pc.par, pc.s
    out = []
    # latest deadline (year index) among the requirements of each program's buyers
    latest = np.full(len(par.program_ids), -1, dtype=np.int64)
    buy = pc.access[pc.pair_prog, par.req_member[pc.pair_req]]
    np.maximum.at(latest, pc.pair_prog[buy], par.req_year[pc.pair_req[buy]])
    for i, prog in enumerate(s.programs):
        why = pc.dead[i]
        if why is None and par.prog_first_year[i] > latest[i]:
            why = (f"it first delivers in {par.years[int(par.prog_first_year[i])]}, after the "
                   f"last deadline ({par.years[int(latest[i])]}) of the members that may buy "
                   f"{prog.capability!r} from it, so it can meet no requirement")
        if why is not None:
            out.append(ScenarioWarning("program_unusable", f"programs[{i}] (id {prog.id!r})",
                                       f"program {prog.id!r} can never supply "
                                       f"{prog.capability!r}: {why}"))
    return out


def check_requirements(pc: _ProcurementContext) -> list[ScenarioWarning]:
    """``requirement_no_source`` and ``requirement_over_capacity``: a requirement larger
    than all the programs its member may buy from can deliver by its year.

    Why: the member's units of c by year y come only from programs p of c with m in
    A(p) (eligibility, export control, sovereignty: section 2) that some plan can
    launch (:func:`check_programs`), and from each at most Cap_p per year from t0(p)
    to y (x[k,t] <= min(R_k, Cap_p), section 4; rounded down for whole units, since x
    is then integer). If the sum of Cap_p x max(0, y - t0(p) + 1) over those programs
    is below q_r, the requirement falls short in every plan, even if no other member
    buys anything. ``requirement_no_source`` is the case where no unit at all can
    arrive by y; its message names the first cause that applies: no program of c,
    none the member is eligible for, none that passes its sovereignty filter, none
    that can be launched, or none delivering by y. A requirement whose capability
    the member holds sovereign with no qualifying program is left to
    ``sovereign_without_program``."""
    par, s = pc.par, pc.s
    out = []
    explained = {(i, c) for i, _, c in pc.sov_gaps}
    r, p, ok = pc.pair_req, pc.pair_prog, pc.pair_ok
    each = pc.deliverable(p, par.req_year[r])
    got = np.zeros(len(s.requirements))
    np.add.at(got, r[ok], each[ok])
    first = np.searchsorted(r, np.arange(len(s.requirements) + 1))  # r's pairs: first[r]:...
    for i in np.flatnonzero(par.req_quantity > got + TOL * np.maximum(1.0, got)):
        req = s.requirements[i]
        mi, c = int(par.req_member[i]), int(par.req_capability[i])
        if (mi, c) in explained:
            continue
        head = (f"{req.member!r} needs {_n(req.quantity)} {s.capabilities[c].unit}(s) of "
                f"{req.capability!r} by {req.by_year}")
        if got[i] > 0:
            sl = slice(int(first[i]), int(first[i + 1]))
            src = ", ".join(f"{s.programs[int(k)].id!r} {_n(float(g))}"
                            for k, g, o in zip(p[sl], each[sl], ok[sl], strict=True) if o)
            out.append(ScenarioWarning(
                "requirement_over_capacity", f"requirements[{i}]",
                f"{head} but the programs it may buy from can deliver at most "
                f"{_n(float(got[i]))} by then ({src})"))
            continue
        progs = pc.programs_of(c)
        elig = progs[par.eligible[progs, mi]]
        acc = elig[pc.access[elig, mi]]
        live = acc[pc.openable[acc]]
        if progs.size == 0:
            why = f"no program supplies {req.capability!r}"
        elif elig.size == 0:
            why = (f"it is not eligible for (or is excluded from) every program of "
                   f"{req.capability!r} ({pc.ids(progs)})")
        elif acc.size == 0:
            why = (f"it holds {req.capability!r} sovereign and leads or produces in none of "
                   f"{pc.ids(elig)}")
        elif live.size == 0:
            why = (f"none of the programs it may buy from ({pc.ids(acc)}) can be launched "
                   "(see their warnings)")
        else:
            y0 = min(par.years[int(par.prog_first_year[k])] for k in live)
            why = f"the programs it may buy from ({pc.ids(live)}) first deliver in {y0}"
        out.append(ScenarioWarning("requirement_no_source", f"requirements[{i}]",
                                   f"{head} but no unit can arrive by then: {why}"))
    return out


def _need_by_year(pc: _ProcurementContext) -> tuple[IntArray, IntArray, FloatArray]:
    """The (member, capability) pairs g with requirements, and need[g, t]: the largest
    requirement of g due by year t (0 before its first deadline), (G, T)."""
    par = pc.par
    n_c, n_t = len(par.capability_ids), len(par.years)
    from procure.lp.index import group

    g, keys = group(par.req_member * n_c + par.req_capability)
    need = np.zeros((keys.size, n_t))
    np.maximum.at(need, (g, par.req_year), par.req_quantity)
    out: FloatArray = np.maximum.accumulate(need, axis=1)
    return keys // n_c, keys % n_c, out


def check_capabilities(pc: _ProcurementContext,
                       flagged: Sequence[ScenarioWarning]) -> list[ScenarioWarning]:
    """``capability_over_capacity``: for some year Y, the members' requirements of a
    capability due by Y add up to more than all its launchable programs can deliver
    by Y.

    Why: this is row (12) of section 6 with every launch open: each member m needing c
    by Y must have received its largest requirement of c due by Y, and every unit of c
    comes from some program of c, within its yearly capacity (3a). If even every
    launchable program of c at full capacity cannot deliver the total, someone falls
    short in every plan, although each requirement alone may fit
    (:func:`check_requirements`). Reported once per capability, at the first such
    year, and only before the first deadline of a requirement of c that is already
    flagged on its own."""
    par, s = pc.par, pc.s
    n_c, n_t = len(par.capability_ids), len(par.years)
    _, gc, need = _need_by_year(pc)
    demand = np.zeros((n_c, n_t))
    np.add.at(demand, gc, need)
    live = np.flatnonzero(pc.openable)
    t = np.arange(n_t, dtype=np.int64)
    supply = np.zeros((n_c, n_t))
    np.add.at(supply, par.prog_capability[live],
              pc.deliverable(np.repeat(live, n_t).reshape(-1, n_t), t[None, :]))
    # the first deadline of an already flagged requirement closes the capability's years
    stop = np.full(n_c, n_t, dtype=np.int64)
    req = [int(w.path[len("requirements["):-1]) for w in flagged]
    np.minimum.at(stop, par.req_capability[req], par.req_year[req])
    bad = (demand > supply + TOL * np.maximum(1.0, supply)) & (t[None, :] < stop[:, None])
    out = []
    for c in np.flatnonzero(bad.any(axis=1)):
        yi = int(np.argmax(bad[c]))
        cap = s.capabilities[int(c)]
        who = int((need[gc == c, yi] > 0).sum())
        out.append(ScenarioWarning(
            "capability_over_capacity", f"capabilities[{int(c)}] (id {cap.id!r})",
            f"the members need {_n(float(demand[c, yi]))} {cap.unit}(s) of {cap.id!r} by "
            f"{par.years[yi]} ({who} member(s)), but all its programs together can deliver "
            f"at most {_n(float(supply[c, yi]))} by then"))
    return out


def check_foreign_share(pc: _ProcurementContext) -> list[ScenarioWarning]:
    """``foreign_share_blocks``: a member caps the share of a capability it may buy from
    programs led by any one foreign nation (gamma), leads none of the programs of it
    it may buy from, and those programs have fewer than 1/gamma distinct lead nations.

    Why: row (9) bounds each foreign lead n by X_n <= gamma X, where X, the member's
    total of c, is the sum of the X_n when it leads none of its programs. Summing over
    the k leads gives X <= k gamma X, so k gamma < 1 forces X = 0: the member can buy
    none of c and its requirements of it are all shortfall. Typically a blanket
    ``max_single_foreign_share`` meant for capabilities with several suppliers; the
    fix is a per-capability exemption (``max_single_foreign_share_by_capability``)."""
    par, s = pc.par, pc.s
    n_m, n_c = len(par.member_ids), len(par.capability_ids)
    r, p = pc.pair_req[pc.pair_ok], pc.pair_prog[pc.pair_ok]
    m, c = par.req_member[r], par.req_capability[r]
    # distinct (member, capability, lead) triples of the programs each member may use
    trip = np.unique((m * n_c + c) * n_m + par.prog_lead[p])
    mc, lead = trip // n_m, trip % n_m
    n_leads = np.zeros(n_m * n_c, dtype=np.int64)
    np.add.at(n_leads, mc, 1)
    own = np.zeros(n_m * n_c, dtype=np.bool_)
    own[mc[lead == mc // n_c]] = True
    gamma = par.dependence_cap.reshape(-1)
    bad = (n_leads > 0) & ~own & (n_leads * gamma < 1.0 - TOL)  # nan (no cap): False
    first = np.searchsorted(mc, np.arange(n_m * n_c + 1))  # k's leads: first[k]:first[k+1]
    out = []
    for k in np.flatnonzero(bad):
        mi, ci = divmod(int(k), n_c)
        mem, cid = s.members[mi], par.capability_ids[ci]
        field_ = ("max_single_foreign_share_by_capability"
                  if cid in mem.constraints.max_single_foreign_share_by_capability
                  else "max_single_foreign_share")
        names = _q(par.member_ids[int(x)] for x in lead[first[k]:first[k + 1]])
        out.append(ScenarioWarning(
            "foreign_share_blocks", f"members[{mi}] (id {mem.id!r}).constraints.{field_}",
            f"{mem.id!r} may take at most {_n(float(gamma[k]))} of {cid!r} from any one foreign "
            f"lead, but the programs it may buy {cid!r} from are led by {int(n_leads[k])} "
            f"foreign nation(s) ({names}) and none by {mem.id!r}: it can buy none of {cid!r}"))
    return out


def check_budgets(pc: _ProcurementContext) -> list[ScenarioWarning]:
    """``budget_below_requirements``: by some year Y, a member's budgets cannot pay for
    the units its requirements due by Y ask for, even at the cheapest unit price it
    has for each capability and with no NRC share at all.

    Why: units are paid in their delivery year (row (8)), so a requirement due by
    y <= Y is paid by Y, out of the budgets of the years in which one of the member's
    programs already delivers. Spending by Y is therefore at least the sum over
    capabilities c of (largest requirement of c due by Y) x (cheapest unit price for
    the member among the programs of c it may buy from, that can open and deliver by
    Y), and the budgets from the first such delivery year to Y must cover it. NRC
    shares only add to the bill, so the bound is conservative. Capabilities that no
    program can deliver by Y are left out (they fall short anyway, and
    ``requirement_no_source`` says so). Reported once per member, at the first such
    year."""
    par, s = pc.par, pc.s
    n_m, n_t = len(par.member_ids), len(par.years)
    gm, gc, need = _need_by_year(pc)
    from procure.lp.index import match_keys

    # cheapest price of g = (m, c) among its programs, from each program's first year on
    g, p = match_keys(gc, par.prog_capability)
    ok = pc.access[p, gm[g]] & pc.openable[p]
    g, p = g[ok], p[ok]
    price = np.full(need.shape, np.inf)
    np.minimum.at(price, (g, par.prog_first_year[p]), par.price[p, gm[g]])
    price = np.minimum.accumulate(price, axis=1)
    cost_g = np.where(np.isfinite(price) & (need > 0), need * np.where(np.isfinite(price),
                                                                         price, 0.0), 0.0)
    cost = np.zeros((n_m, n_t))
    np.add.at(cost, gm, cost_g)
    start = np.full(n_m, n_t, dtype=np.int64)  # first delivery year of any of m's programs
    np.minimum.at(start, gm[g], par.prog_first_year[p])
    t = np.arange(n_t)
    budgets = np.where((t[None, :] >= start[:, None]) & ~np.isnan(par.budgets), par.budgets, 0.0)
    money = np.cumsum(budgets, axis=1)
    has = np.asarray(~np.isnan(par.budgets).all(axis=1), dtype=np.bool_)  # with budgets
    bad = has[:, None] & (cost > 0) & (cost > money + TOL * np.maximum(1.0, money))
    out = []
    for mi in np.flatnonzero(bad.any(axis=1)):
        yi = int(np.argmax(bad[mi]))
        mem = s.members[int(mi)]
        y0 = par.years[min(int(start[mi]), yi)]
        out.append(ScenarioWarning(
            "budget_below_requirements", f"members[{int(mi)}] (id {mem.id!r}).budgets",
            f"the units {mem.id!r} must receive by {par.years[yi]} cost at least "
            f"{_n(float(cost[mi, yi]))} at the cheapest prices it may buy at, but its budgets "
            f"{y0}-{par.years[yi]} total {_n(float(money[mi, yi]))} {s.currency}"))
    return out


# ---------------------------------------------------------------------------------------
# logistics

_Days = tuple[dict[int, int], FloatArray]  # row of each source location, days table


@dataclass
class _Network:
    """The logistics arrays the checks share (``models/logistics.md`` sections 2-3),
    computed once: arcs, rights, capacities, lift, movements, stocks and the pairs
    (r, sig) of each movement's sources, plus cached shortest transit days per member.

    ``carry[m, a]`` is the heart of the route checks: member m's cargo can move on arc
    a at all, in some plan. That needs a transit right at both ends (section 7), a
    positive link capacity (4), positive throughput at both ends, counting m's share
    (5, 5b), and, on a mode that has fleets, a fleet m may use for at least one whole
    sortie ((7)-(9), the column bound of section 4 on same-day arcs) and, on an air
    arc, a MOG of at least one aircraft a day at both ends (10)."""

    s: Scenario
    loc_ids: tuple[str, ...]
    member_ids: tuple[str, ...]
    item_ids: tuple[str, ...]
    modes: tuple[str, ...]
    link_from: IntArray
    link_to: IntArray
    arc_from: IntArray
    arc_to: IntArray
    arc_days: IntArray
    arc_mode: IntArray
    arc_link: IntArray
    transit: BoolArray  # (M, V)
    struct_ok: BoolArray  # (A,): Cap_a > 0, Thr > 0 at both ends, MOG >= 1 (air with lift)
    share_ok: BoolArray  # (M, A): m's share of the throughput at both ends > 0
    has_lift: BoolArray  # (modes,): mode in Modes(F)
    fleet_mode: IntArray
    fleet_users: BoolArray  # (F, M): m in U_f with at least one whole sortie, N_f >= 1
    fleet_same_day: BoolArray  # (F,): floor(N_f rho_f) >= 1 (a same-day sortie fits)
    fleet_any: BoolArray  # (F,): N_f >= 1
    lift_ok: BoolArray  # (M, A): mode without fleets, or a fleet m may use on the arc
    carry: BoolArray  # (M, A)
    mv_member: IntArray
    mv_item: IntArray
    mv_dest: IntArray
    mv_origin: IntArray  # -1: none
    mv_ald: IntArray
    mv_lad: IntArray
    mv_rdd: IntArray
    st_owner: IntArray
    st_loc: IntArray
    st_item: IntArray
    st_qty: FloatArray
    src_mv: IntArray  # pairs (r, sig), in order of r: item, Q > 0, origin, owner or
    src_stock: IntArray  # agreement (transit rights not yet required)
    src_first: IntArray  # r's pairs are src_first[r]:src_first[r+1]
    mv_of: list[IntArray]  # movements of each member
    st_by_item: IntArray  # stocks ordered by item; those of item i are
    st_item_first: IntArray  # st_by_item[st_item_first[i]:st_item_first[i+1]]
    _cache: dict[tuple[int, str], _Days] = field(default_factory=dict)

    @staticmethod
    def build(s: Scenario) -> _Network:
        from procure.logistics.compile import MODES, link_params
        from procure.lp.index import match_keys, within_runs

        lg = s.logistics
        assert lg is not None
        locs = tuple(x.id for x in lg.locations)
        vpos = {v: i for i, v in enumerate(locs)}
        members = tuple(m.id for m in s.members)
        mpos = {m: i for i, m in enumerate(members)}
        items = tuple(x.id for x in lg.items)
        ipos = {x: i for i, x in enumerate(items)}
        mode_pos = {md: i for i, md in enumerate(MODES)}
        n_v, n_m, n_i = len(locs), len(members), len(items)

        def ints(v: Iterable[int]) -> IntArray:
            return np.fromiter(v, dtype=np.int64)

        def floats(v: Iterable[float]) -> FloatArray:
            return np.fromiter(v, dtype=np.float64)

        # arcs: a link's forward arc, then its reverse when bidirectional (as compile.py)
        par = link_params(s)
        link_from = ints(vpos[x.origin] for x in lg.links)
        link_to = ints(vpos[x.destination] for x in lg.links)
        ends = 1 + ints(int(x.bidirectional) for x in lg.links)
        arc_link = np.repeat(np.arange(len(lg.links), dtype=np.int64), ends)
        rev = within_runs(ends) == 1
        arc_from = np.where(rev, link_to[arc_link], link_from[arc_link])
        arc_to = np.where(rev, link_from[arc_link], link_to[arc_link])
        arc_days = ints(p.days for p in par)[arc_link]
        arc_cap = floats(p.capacity for p in par)[arc_link]
        arc_mode = ints(mode_pos[x.mode] for x in lg.links)[arc_link]

        # rights of one (m, v): transit OR-ed, the smallest max_share
        br_m = ints(mpos[b.member] for b in lg.basing_rights)
        br_v = ints(vpos[b.location] for b in lg.basing_rights)
        br_t = np.fromiter((b.transit for b in lg.basing_rights), dtype=np.bool_)
        transit = np.zeros((n_m, n_v), dtype=np.bool_)
        transit[br_m[br_t], br_v[br_t]] = True
        share = np.ones((n_m, n_v))
        np.minimum.at(share, (br_m, br_v), floats(1.0 if b.max_share is None else b.max_share
                                                  for b in lg.basing_rights))
        thr = floats(math.inf if x.throughput_tons_per_day is None
                     else x.throughput_tons_per_day for x in lg.locations)
        mog = floats(math.inf if x.mog is None else math.floor(x.mog * x.turns_per_day + TOL)
                     for x in lg.locations)
        room = np.isinf(thr) | (share * np.where(np.isinf(thr), 1.0, thr) > 0)  # (M, V)

        fleet_mode = ints(mode_pos[f.mode] for f in lg.lift)
        has_lift = np.zeros(len(MODES), dtype=np.bool_)
        has_lift[fleet_mode] = True
        air = mode_pos["air"]
        mog_ok = (mog[arc_from] >= 1) & (mog[arc_to] >= 1)
        struct_ok = (arc_cap > 0) & (thr[arc_from] > 0) & (thr[arc_to] > 0) & (
            (arc_mode != air) | ~has_lift[air] | mog_ok)
        share_ok = room[:, arc_from] & room[:, arc_to]

        # U_f: the owner; a pooled fleet's members with a whole sortie of entitlement;
        # every member when it lists none; nobody when it has no vehicle
        n_f = len(lg.lift)
        users = np.zeros((n_f, n_m), dtype=np.bool_)
        for f, fl in enumerate(lg.lift):
            if fl.owner is not None:
                users[f, mpos[fl.owner]] = True
            elif fl.entitlements:
                for mid, e in fl.entitlements.items():
                    users[f, mpos[mid]] |= math.floor(e + TOL) >= 1
            else:
                users[f] = True
        fleet_any = ints(f.available for f in lg.lift) >= 1
        fleet_same = floats(math.floor(f.available * f.sorties_per_day + TOL)
                            for f in lg.lift) >= 1
        users &= fleet_any[:, None]
        lift3 = np.zeros((n_m, len(MODES), 2), dtype=np.bool_)  # m lifts on (mode, same-day?)
        for f in range(n_f):
            lift3[users[f], fleet_mode[f], 0] = True
            lift3[users[f], fleet_mode[f], 1] |= bool(fleet_same[f])
        same = (arc_days == 0).astype(np.int64)
        lift_ok = ~has_lift[arc_mode][None, :] | lift3[:, arc_mode, same]
        carry = (transit[:, arc_from] & transit[:, arc_to] & struct_ok[None, :] & share_ok
                 & lift_ok)

        # movements, stocks and the sources S_r (before the transit filter)
        mvs, sts = lg.movements, lg.stocks
        mv_member = ints(mpos[x.member] for x in mvs)
        mv_item = ints(ipos[x.item] for x in mvs)
        mv_origin = ints(-1 if x.origin is None else vpos[x.origin] for x in mvs)
        st_owner = ints(mpos[x.owner] for x in sts)
        st_loc = ints(vpos[x.location] for x in sts)
        st_item = ints(ipos[x.item] for x in sts)
        st_qty = floats(x.quantity for x in sts)
        agree = np.array(sorted({(mpos[c.provider] * n_m + mpos[c.receiver]) * n_i + ipos[it]
                                 for c in lg.cross_servicing
                                 for it in (items if c.items is None else c.items)}),
                         dtype=np.int64)
        r, sig = match_keys(mv_item, st_item)  # same item, in order of r then sig
        owner, m = st_owner[sig], mv_member[r]
        ok = ((st_qty[sig] > 0) & ((mv_origin[r] < 0) | (st_loc[sig] == mv_origin[r]))
              & ((owner == m) | np.isin((owner * n_m + m) * n_i + mv_item[r], agree)))
        order = np.argsort(mv_member, kind="stable")
        cut = np.searchsorted(mv_member[order], np.arange(1, n_m))
        return _Network(
            s=s, loc_ids=locs, member_ids=members, item_ids=items, modes=MODES,
            link_from=link_from, link_to=link_to,
            arc_from=arc_from, arc_to=arc_to, arc_days=arc_days, arc_mode=arc_mode,
            arc_link=arc_link, transit=transit, struct_ok=struct_ok, share_ok=share_ok,
            has_lift=has_lift, fleet_mode=fleet_mode, fleet_users=users,
            fleet_same_day=fleet_same, fleet_any=fleet_any, lift_ok=lift_ok, carry=carry,
            mv_member=mv_member, mv_item=mv_item, mv_dest=ints(vpos[x.destination] for x in mvs),
            mv_origin=mv_origin, mv_ald=ints(x.ald for x in mvs), mv_lad=ints(x.lad for x in mvs),
            mv_rdd=ints(x.rdd for x in mvs),
            st_owner=st_owner, st_loc=st_loc, st_item=st_item, st_qty=st_qty,
            src_mv=r[ok], src_stock=sig[ok],
            src_first=np.searchsorted(r[ok], np.arange(len(mvs) + 1)).astype(np.int64),
            mv_of=[x.astype(np.int64) for x in np.split(order, cut)],
            st_by_item=(by_item := np.argsort(st_item, kind="stable").astype(np.int64)),
            st_item_first=np.searchsorted(st_item[by_item], np.arange(n_i + 1)).astype(np.int64))

    def mv_path(self, r: int) -> str:
        lg = self.s.logistics
        assert lg is not None
        return f"logistics.movements[{r}] (id {lg.movements[r].id!r})"

    # -- shortest transit days -----------------------------------------------------
    def days(self, arcs: BoolArray, sources: IntArray, reverse: bool = False) -> FloatArray:
        """Fewest transit days (len(sources), V) from each source location over the arcs
        selected by ``arcs`` (to each source, when ``reverse``); inf: unreachable.

        Dijkstra on weights days x (V+1) + 1: zero-day arcs keep a positive weight, and
        since a shortest path has fewer than V+1 arcs, distance // (V+1) is the least
        number of days (parallel links between two places count by the quickest)."""
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import dijkstra

        from procure.lp.index import group

        n = len(self.loc_ids)
        if sources.size == 0:
            return np.zeros((0, n))
        big = float(n + 1)
        f, t, d = self.arc_from[arcs], self.arc_to[arcs], self.arc_days[arcs]
        if reverse:
            f, t = t, f
        rows, uniq = group(f * n + t)
        w = np.full(uniq.size, np.inf)
        np.minimum.at(w, rows, d.astype(np.float64))
        g = csr_matrix((w * big + 1.0, (uniq // n, uniq % n)), shape=(n, n))
        dist = np.asarray(dijkstra(g, directed=True, indices=sources), dtype=np.float64)
        out: FloatArray = np.floor(dist.reshape(sources.size, n) / big)
        return out

    def arcs_of(self, m: int, level: str) -> BoolArray:
        """Arcs m may use: ``rights`` (transit at both ends), ``capacity`` (and no zero
        capacity on the way) or ``carry`` (and lift: :attr:`carry`)."""
        if level == "carry":
            out: BoolArray = self.carry[m]
            return out
        rights: BoolArray = self.transit[m, self.arc_from] & self.transit[m, self.arc_to]
        return rights if level == "rights" else rights & self.struct_ok & self.share_ok[m]

    def days_from(self, m: int, level: str = "carry") -> _Days:
        """Days from every location holding a source of one of m's movements (where m
        has a transit right) over the arcs of ``level``; cached per (member, level)."""
        key = (m, level)
        if key not in self._cache:
            pairs = np.concatenate([np.arange(self.src_first[r], self.src_first[r + 1])
                                    for r in self.mv_of[m]] + [np.zeros(0, dtype=np.int64)])
            locs = self.st_loc[self.src_stock[pairs]]
            u = np.unique(locs[self.transit[m, locs]])
            self._cache[key] = ({int(v): i for i, v in enumerate(u)},
                                self.days(self.arcs_of(m, level), u))
        return self._cache[key]

    def days_to(self, m: int) -> _Days:
        """Days to each destination of m's movements over its usable arcs (cached)."""
        key = (m, "to")
        if key not in self._cache:
            u = np.unique(self.mv_dest[self.mv_of[m]])
            self._cache[key] = ({int(v): i for i, v in enumerate(u)},
                                self.days(self.carry[m], u, reverse=True))
        return self._cache[key]


def check_zero_capacity(net: _Network) -> list[ScenarioWarning]:
    """``zero_capacity``: a capacity given as 0 where leaving it out means "no limit": a
    location's throughput, a link's capacity, a fleet's available vehicles, an
    airbase's MOG x turns below one aircraft a day (when air has fleets), or a basing
    right's ``max_share`` 0 at a location with a finite throughput or storage.

    Why: 0 is not "unlimited". Throughput counts every departure and arrival (5), so
    no cargo can reach, leave or pass a location with 0 (only a stock drawn and
    delivered in place escapes); a link with capacity 0 carries nothing (4); a fleet of
    0 vehicles flies no sortie (8), and on a mode that has fleets cargo moves only in
    sorties; MOG rounds down (10), so under one landing a day closes the airbase to
    lift; max_share 0 gives the member none of the location's throughput or storage
    ((5b), (6b); the evaluator reads 0 as a cap of 0). Each is almost always a
    placeholder meant as "unknown" or "no limit"."""
    lg = net.s.logistics
    assert lg is not None
    out = []
    air_lift = bool(net.has_lift[net.modes.index("air")])
    for i, loc in enumerate(lg.locations):
        at = f"logistics.locations[{i}] (id {loc.id!r})"
        if loc.throughput_tons_per_day == 0:
            out.append(ScenarioWarning(
                "zero_capacity", f"{at}.throughput_tons_per_day",
                f"{loc.id!r} has throughput 0 tons a day: no cargo can arrive at, leave or "
                "pass it (omit throughput_tons_per_day for no limit)"))
        if (loc.mog is not None and air_lift
                and math.floor(loc.mog * loc.turns_per_day + TOL) < 1):
            out.append(ScenarioWarning(
                "zero_capacity", f"{at}.mog",
                f"airbase {loc.id!r} has MOG {loc.mog} x {_n(loc.turns_per_day)} turns a day, "
                "under one aircraft: no sortie can land at or leave it (omit mog for no "
                "limit)"))
    for i, ln in enumerate(lg.links):
        if ln.capacity_tons_per_day == 0:
            out.append(ScenarioWarning(
                "zero_capacity", f"logistics.links[{i}].capacity_tons_per_day",
                f"the {ln.mode} link {ln.origin!r} -> {ln.destination!r} has capacity 0 tons "
                "a day: it carries nothing (omit capacity_tons_per_day for no limit)"))
    for i, fl in enumerate(lg.lift):
        if fl.available == 0:
            out.append(ScenarioWarning(
                "zero_capacity", f"logistics.lift[{i}] (id {fl.id!r}).available",
                f"{fl.mode} fleet {fl.id!r} has 0 vehicles available: it makes no sortie"))
    by_id = {x.id: x for x in lg.locations}
    for i, b in enumerate(lg.basing_rights):
        loc = by_id[b.location]
        what = [w for w, v in (("throughput", loc.throughput_tons_per_day),
                               ("storage", loc.storage_tons)) if v is not None]
        if b.max_share == 0 and what:
            out.append(ScenarioWarning(
                "zero_capacity", f"logistics.basing_rights[{i}].max_share",
                f"{b.member!r} has max_share 0 at {b.location!r}: it may use none of its "
                f"{' or '.join(what)} (omit max_share for no cap)"))
    return out


def check_stocks(net: _Network) -> list[ScenarioWarning]:
    """``stock_without_transit``: a member holds stock (quantity > 0) at a location where
    it has no transit right; one warning per (owner, location), at its first stock.

    Why: the sources S_r of a movement are stocks at locations where its member has a
    transit right (section 2), and a draw needs one (the evaluator checks it): the
    owner's own movements can never draw this stock, so every one of them that counts
    on it ends short, silently. The usual cause is a home depot or prepositioned site
    missing from ``basing_rights`` (hosts need rights at their own locations too).
    Another member with a right there may still draw it under cross-servicing."""
    lg = net.s.logistics
    assert lg is not None
    out = []
    n_i = len(net.item_ids)
    asks: dict[int, int] = {}  # movements per (member, item)
    for k in (net.mv_member * n_i + net.mv_item).tolist():
        asks[k] = asks.get(k, 0) + 1
    groups: dict[tuple[int, int], list[int]] = {}
    for k in np.flatnonzero((net.st_qty > 0) & ~net.transit[net.st_owner, net.st_loc]):
        groups.setdefault((int(net.st_owner[k]), int(net.st_loc[k])), []).append(int(k))
    for (m, v), ks in groups.items():
        its = sorted({int(net.st_item[k]) for k in ks})
        asked = sum(asks.get(m * n_i + i, 0) for i in its)
        which = "this item" if len(its) == 1 else "these items"
        tail = f"; {asked} of its movements ask for {which}" if asked else ""
        out.append(ScenarioWarning(
            "stock_without_transit", f"logistics.stocks[{ks[0]}]",
            f"{net.member_ids[m]!r} holds stock of {_q(net.item_ids[i] for i in its)} at "
            f"{net.loc_ids[v]!r} but has no transit right there: none of its movements can "
            f"draw it{tail}"))
    return out


def check_links(net: _Network) -> list[ScenarioWarning]:
    """``link_unusable``: a link no member may use: no member has a transit right at both
    ends, or (on a mode that has fleets) none of those who have one may use a fleet of
    that mode.

    Why: a flow needs a transit right at its tail and its head (section 7), and on a
    mode in Modes(F) a member with no usable fleet has no sortie cells, so row (7)
    forces its flows there to 0 (section 6, notes). Such a link is in the data but in
    no plan: usually a basing right is missing at one end, or a pooled fleet's
    entitlements leave out the members that hold the rights. It may also be meant: a
    physical route kept in the data to show that the rights close it. Links with
    capacity 0 are ``zero_capacity``."""
    lg = net.s.logistics
    assert lg is not None
    out = []
    both = net.transit[:, net.link_from] & net.transit[:, net.link_to]  # (M, L)
    first_arc = np.searchsorted(net.arc_link, np.arange(len(lg.links)))
    lifted = net.lift_ok[:, first_arc] & both
    for i in np.flatnonzero(~lifted.any(axis=0)):
        ln = lg.links[int(i)]
        if not both[:, i].any():
            why = f"no member has a transit right at both {ln.origin!r} and {ln.destination!r}"
        else:
            who = _q(net.member_ids[m] for m in np.flatnonzero(both[:, i]))
            why = (f"the members with transit rights at both ends ({who}) may use no "
                   f"{ln.mode} fleet, and on a mode that has fleets cargo moves only in "
                   "sorties")
        out.append(ScenarioWarning(
            "link_unusable", f"logistics.links[{int(i)}]",
            f"no member may use the {ln.mode} link {ln.origin!r} -> {ln.destination!r}: "
            f"{why}"))
    return out


def check_movements(net: _Network) -> list[ScenarioWarning]:
    """``movement_no_stock``, ``movement_no_route``, ``movement_stock_short`` and
    ``movement_always_late``: what the reach of section 2 says before any solve.

    A movement r draws from its sources S_r (stocks of its item with quantity > 0, at
    its origin when it has one, owned by its member or by a cross-servicing provider
    of it for that item, at a location where the member has a transit right) and
    moves over the arcs its member can use at all (:class:`_Network`: transit at both
    ends, no zero capacity or share, and lift on modes that have fleets). With d the
    fewest transit days from a source to the destination over those arcs, no unit from
    that source arrives before ALD + d (the reach e[r, dest] of section 2, which the
    model's cells respect; draws may wait at the source, so ALD + d <= RDD is also
    enough for the window). Hence, in every plan:

    - ``movement_no_stock``: there is no stock of the item anywhere: all of r is
      short (usually an item id typo, or stocks not entered yet);
    - ``movement_no_route``: no source has ALD + d <= RDD: all of r is short. The
      message names the first cause that applies: no stock at its origin, no stock it
      may draw (not its own, no cross-servicing agreement), no transit right at the
      destination or at any source, no chain of links over its rights, a chain too
      long for the window, or one that crosses a zero capacity or needs a lift mode it
      has no fleet for (the model is stricter there than the compile's reach: on a mode
      that has fleets, a member without a usable fleet cannot move at all);
    - ``movement_stock_short``: the sources that can deliver in time hold fewer units
      than q_r (row (3); other movements drawing the same stock only make it worse);
    - ``movement_always_late``: no source arrives by LAD (ALD + d > LAD): every unit
      delivered is late. Usually a window drawn for another origin, or days counted
      from a different day 0."""
    lg = net.s.logistics
    assert lg is not None
    n_r = len(lg.movements)
    out: list[ScenarioWarning] = []
    pm, ps = net.src_mv, net.src_stock
    ploc = net.st_loc[ps]
    ok_right = net.transit[net.mv_member[pm], ploc]
    pdays = np.full(pm.size, np.inf)
    for m in range(len(net.member_ids)):
        sel = np.concatenate([np.arange(net.src_first[r], net.src_first[r + 1])
                              for r in net.mv_of[m]] + [np.zeros(0, dtype=np.int64)])
        sel = sel[ok_right[sel]]
        if sel.size:
            rows, table = net.days_from(m)
            at = np.fromiter((rows[int(v)] for v in ploc[sel]), dtype=np.int64, count=sel.size)
            pdays[sel] = table[at, net.mv_dest[pm[sel]]]
    arrive = net.mv_ald[pm] + pdays  # earliest arrival from each source
    in_time = arrive <= net.mv_rdd[pm]
    reach_qty = np.zeros(n_r)
    np.add.at(reach_qty, pm[in_time], net.st_qty[ps[in_time]])
    earliest = np.full(n_r, np.inf)
    np.minimum.at(earliest, pm, arrive)
    stocked = np.zeros(len(net.item_ids), dtype=np.bool_)
    stocked[net.st_item[net.st_qty > 0]] = True

    for r in range(n_r):
        mv = lg.movements[r]
        head = (f"movement {mv.id!r} ({mv.member!r}: {_n(mv.quantity)} x {mv.item!r} to "
                f"{mv.destination!r}, days {mv.ald}-{mv.rdd})")
        if not stocked[net.mv_item[r]]:
            out.append(ScenarioWarning(
                "movement_no_stock", net.mv_path(r),
                f"{head} cannot be delivered: there is no stock of {mv.item!r} anywhere"))
            continue
        if reach_qty[r] <= 0:
            out.append(ScenarioWarning(
                "movement_no_route", net.mv_path(r),
                f"{head} cannot be delivered at all: {_no_route_reason(net, r)}"))
            continue
        if _exceeds(mv.quantity, float(reach_qty[r])):
            sl = slice(int(net.src_first[r]), int(net.src_first[r + 1]))
            where = ", ".join(f"{net.loc_ids[int(v)]!r} {_n(float(q))}" for v, q, ok in
                              zip(ploc[sl], net.st_qty[ps[sl]], in_time[sl], strict=True) if ok)
            out.append(ScenarioWarning(
                "movement_stock_short", net.mv_path(r),
                f"{head} asks for {_n(mv.quantity)} but the stock it can draw and deliver in "
                f"time holds only {_n(float(reach_qty[r]))} ({where})"))
        if earliest[r] > mv.lad:
            out.append(ScenarioWarning(
                "movement_always_late", net.mv_path(r),
                f"{head} can arrive on day {int(earliest[r])} at the earliest "
                f"({int(earliest[r]) - mv.ald} day(s) of transit from day {mv.ald}), after its "
                f"LAD (day {mv.lad}): every unit will be late"))
    return out


def _no_route_reason(net: _Network, r: int) -> str:
    """Why movement r has no source that can reach its destination in time: the first
    cause of :func:`check_movements` that applies."""
    lg = net.s.logistics
    assert lg is not None
    mv = lg.movements[r]
    m = int(net.mv_member[r])
    i = int(net.mv_item[r])
    have = net.st_by_item[net.st_item_first[i]:net.st_item_first[i + 1]]
    have = have[net.st_qty[have] > 0]
    if mv.origin is not None:
        have = have[net.st_loc[have] == net.mv_origin[r]]
        if have.size == 0:
            return f"there is no stock of {mv.item!r} at its origin {mv.origin!r}"
    pairs = net.src_stock[net.src_first[r]:net.src_first[r + 1]]
    if pairs.size == 0:
        owners = _q(net.member_ids[int(k)] for k in np.unique(net.st_owner[have]))
        return (f"the stock of {mv.item!r}{' there' if mv.origin else ''} belongs to "
                f"{owners}, and no cross-servicing agreement lets {mv.member!r} draw it")
    dest = int(net.mv_dest[r])
    if not net.transit[m, dest]:
        return f"{mv.member!r} has no transit right at its destination {mv.destination!r}"
    locs = np.unique(net.st_loc[pairs])
    usable = locs[net.transit[m, locs]]
    names = _q(net.loc_ids[int(v)] for v in locs)
    if usable.size == 0:
        return (f"{mv.member!r} has no transit right where the stock it may draw is held "
                f"({names})")
    window = mv.rdd - mv.ald

    def fewest(level: str) -> float:
        rows, table = net.days_from(m, level)
        return float(table[[rows[int(v)] for v in usable], dest].min())

    d0 = fewest("rights")
    if math.isinf(d0):
        return (f"no chain of links joins its stock at {names} to {mv.destination!r} through "
                f"locations where {mv.member!r} has transit rights")
    if d0 > window:
        return (f"the quickest route over its rights takes {int(d0)} day(s), more than the "
                f"{window} from its ALD (day {mv.ald}) to its RDD (day {mv.rdd})")
    if fewest("capacity") > window:
        return ("every route in time over its rights crosses a capacity of 0 for it (link "
                "capacity, throughput, its max_share or an airbase MOG)")
    blocked = [net.modes[k] for k in range(len(net.modes))
               if net.has_lift[k] and not net.lift_ok[m, net.arc_mode == k].any()]
    modes = " or ".join(blocked) + " links" if blocked else "lift"
    return (f"every route in time needs {modes}, and {mv.member!r} may use no fleet there "
            "(on a mode that has fleets, cargo moves only in sorties of a fleet the member "
            "may use)")


def check_fleets(net: _Network) -> list[ScenarioWarning]:
    """``fleet_unused``: a lift fleet with vehicles that no movement can ever use: none of
    its users (its owner; the members of a pooled fleet entitled to at least one whole
    sortie, or every member when it lists no entitlements) has a movement with an arc
    of the fleet's mode on a route that fits its window.

    Why: sorties exist only for (member, arc, day) triples of flow cells, and flow
    cells only inside the reach windows, e[r, o(a)] <= t and t + tau_a <= l[r, d(a)]
    (section 2); so an arc a can carry r only if ALD + (days from a source to o(a)) +
    tau_a + (days from d(a) to dest) <= RDD, over the arcs r's member can use. If that
    holds for no arc of the fleet's mode, user and movement, the fleet carries nothing
    in every plan. For a pooled fleet this usually means entitlements that name the
    wrong members; for an owned one, a fleet of a member with no movement on that mode.
    A fleet with 0 vehicles is ``zero_capacity``; same-day arcs count only when
    floor(available x sorties_per_day) >= 1 (section 4)."""
    lg = net.s.logistics
    assert lg is not None
    out = []
    reach: dict[int, BoolArray] = {}  # member -> arcs some movement of it can use in time
    for f, fl in enumerate(lg.lift):
        if not net.fleet_any[f]:
            continue
        mode = net.arc_mode == net.fleet_mode[f]
        arcs = mode & ((net.arc_days > 0) | net.fleet_same_day[f])
        users = np.flatnonzero(net.fleet_users[f])
        hit = False
        for m in users.tolist():
            if m not in reach:
                reach[m] = _arcs_in_reach(net, m)
            if (reach[m] & arcs).any():
                hit = True
                break
        if hit:
            continue
        if users.size == 0:
            why = "its entitlements give no member a whole sortie"
        elif not mode.any():
            why = f"there is no {fl.mode} link"
        elif not arcs.any():
            why = (f"its {fl.mode} links are all same-day, and {fl.available} vehicle(s) x "
                   f"{_n(fl.sorties_per_day)} sorties a day is less than one sortie")
        elif fl.owner is not None:
            why = (f"no movement of its owner {fl.owner!r} can use a {fl.mode} link within its "
                   "window")
        else:
            kind = "entitled" if fl.entitlements else "allowed"
            why = (f"no movement of the members {kind} to it "
                   f"({_q(net.member_ids[m] for m in users)}) can use a {fl.mode} link within "
                   "its window")
        out.append(ScenarioWarning("fleet_unused", f"logistics.lift[{f}] (id {fl.id!r})",
                                   f"{fl.mode} fleet {fl.id!r} will carry nothing: {why}"))
    return out


def _arcs_in_reach(net: _Network, m: int, chunk: int = 256) -> BoolArray:
    """Arcs of modes with fleets on which some movement of member m can travel within
    its window: m can use the arc and ALD + days(source -> o(a)) + tau_a +
    days(d(a) -> dest) <= RDD."""
    hit = np.zeros(net.arc_from.size, dtype=np.bool_)
    arcs = np.flatnonzero(net.carry[m] & net.has_lift[net.arc_mode])
    rs = net.mv_of[m]
    if rs.size == 0 or arcs.size == 0:
        return hit
    pairs = np.concatenate([np.arange(net.src_first[r], net.src_first[r + 1]) for r in rs])
    locs = net.st_loc[net.src_stock[pairs]]
    pairs, locs = pairs[net.transit[m, locs]], locs[net.transit[m, locs]]
    if pairs.size == 0:
        return hit
    rows, table = net.days_from(m)
    # e_r[v] = ALD + min over r's sources of days(source -> v); l_r[v] = RDD - days(v -> dest)
    src_rows = np.fromiter((rows[int(v)] for v in locs), dtype=np.int64, count=locs.size)
    owners, first = np.unique(net.src_mv[pairs], return_index=True)  # pairs are in r order
    early = np.minimum.reduceat(table[src_rows], first, axis=0) + net.mv_ald[owners][:, None]
    drows, dtable = net.days_to(m)
    at = np.fromiter((drows[int(v)] for v in net.mv_dest[owners]), dtype=np.int64,
                     count=owners.size)
    late = net.mv_rdd[owners][:, None] - dtable[at]
    af, ad, at_ = net.arc_from[arcs], net.arc_days[arcs], net.arc_to[arcs]
    for lo in range(0, owners.size, chunk):
        ok = early[lo:lo + chunk][:, af] + ad[None, :] <= late[lo:lo + chunk][:, at_]
        hit[arcs[ok.any(axis=0)]] = True
    return hit

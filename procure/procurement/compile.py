"""Compile a validated scenario into the index sets and arrays of ``models/procurement.md``.

The compiled object is what the formulation reads: integer index arrays for
launches, (launch, member) pairs and (pair, year) purchase cells, so that every
constraint family can be assembled with numpy index arithmetic.

Two modes share one formulation:

- ``joint``: each program can be launched once, and every eligible member may join;
- ``alone`` (the go-alone baseline): each member runs its own launch of every
  program it could run alone (``min_participants <= 1``), pays that launch's whole
  NRC, and the launches of one program share its yearly production capacity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from procure.lp.index import ranges
from procure.lp.model import BoolArray, FloatArray, IntArray
from procure.schema.scenario import CostShare, Scenario

Mode = Literal["joint", "alone"]


@dataclass(frozen=True)
class Compiled:
    """Index sets and parameters (notation of ``models/procurement.md``)."""

    scenario: Scenario
    mode: Mode
    years: list[int]  # T
    member_ids: list[str]  # M
    capability_ids: list[str]  # C
    program_ids: list[str]  # P
    # programs p in P
    prog_capability: IntArray  # c(p)
    prog_lead: IntArray  # lead(p), a member index
    prog_capacity: FloatArray  # Cap_p per year (inf: unlimited)
    prog_min_run: FloatArray  # L_p: >= 1 unit (whole units) or 1e-3 x min R (divisible)
    prog_min_participants: IntArray  # N_p
    prog_first_year: IntArray  # index into years of the first delivery year
    prog_integer: BoolArray  # units of c(p) are whole numbers
    prog_nrc: FloatArray  # NRC_{p,t}, shape (P, T)
    work: FloatArray  # w_{p,m}: fraction of p's work placed in m's industry, (P, M)
    cost_shares: list[CostShare]  # rule of each program
    # launches l in Λ
    launch_program: IntArray  # p(l)
    launch_owner: IntArray  # owning member in alone mode, -1 in joint mode
    # pairs k = (l, m) in K: member m may buy from launch l
    pair_launch: IntArray
    pair_member: IntArray
    pair_price: FloatArray  # price_{p,m}
    pair_bound: FloatArray  # R_{m,c(p)}: the member's largest requirement of c(p)
    # purchase cells (k, t) in B: years t in which launch l can deliver
    cell_pair: IntArray
    cell_year: IntArray
    # requirements r in Q
    req_member: IntArray
    req_capability: IntArray
    req_quantity: FloatArray
    req_year: IntArray  # index into years
    # members
    budgets: FloatArray  # B_{m,t}; nan where the member has no budget, (M, T)
    gdp: FloatArray
    shortfall_penalty: float

    @property
    def num_launches(self) -> int:
        return int(self.launch_program.size)

    @property
    def num_pairs(self) -> int:
        return int(self.pair_launch.size)

    @property
    def pair_program(self) -> IntArray:
        return self.launch_program[self.pair_launch]

    @property
    def pair_capability(self) -> IntArray:
        return self.prog_capability[self.pair_program]


def compile_scenario(s: Scenario, mode: Mode = "joint") -> Compiled:
    """Build the index sets of ``models/procurement.md`` for ``mode``."""
    years = s.horizon.years
    year_pos = {y: i for i, y in enumerate(years)}
    members = [m.id for m in s.members]
    mpos = {m: i for i, m in enumerate(members)}
    caps = [c.id for c in s.capabilities]
    cpos = {c: i for i, c in enumerate(caps)}
    divisible = {c.id: c.divisible for c in s.capabilities}
    n_m, n_t, n_p = len(members), len(years), len(s.programs)

    # R_{m,c}: the largest requirement of member m for capability c (0: none)
    bound = np.zeros((n_m, len(caps)))
    req_m = np.array([mpos[r.member] for r in s.requirements], dtype=np.int64)
    req_c = np.array([cpos[r.capability] for r in s.requirements], dtype=np.int64)
    req_q = np.array([r.quantity for r in s.requirements], dtype=np.float64)
    req_y = np.array([year_pos[r.by_year] for r in s.requirements], dtype=np.int64)
    np.maximum.at(bound, (req_m, req_c), req_q)

    prog_cap = np.array([cpos[p.capability] for p in s.programs], dtype=np.int64)
    prog_int = np.array([not divisible[p.capability] for p in s.programs], dtype=np.bool_)
    capacity = np.array(
        [np.inf if p.capacity_per_year is None else p.capacity_per_year for p in s.programs]
    )
    # a launched program delivers something: at least one whole unit, or for divisible
    # capabilities 1/1000 of its smallest eligible requirement (set below)
    min_run = np.array([p.min_production_run for p in s.programs], dtype=np.float64)
    min_run = np.where(prog_int, np.maximum(min_run, 1.0), min_run)
    first = np.array(
        [year_pos[p.first_delivery_year] if p.first_delivery_year else 0 for p in s.programs],
        dtype=np.int64,
    )
    nrc = np.zeros((n_p, n_t))
    work = np.zeros((n_p, n_m))
    for i, p in enumerate(s.programs):
        for y, amount in p.nrc.items():
            nrc[i, year_pos[y]] = amount
        for mid, frac in p.work_fractions().items():
            work[i, mpos[mid]] = frac

    # launches and pairs
    l_prog: list[int] = []
    l_owner: list[int] = []
    k_launch: list[IntArray] = []
    k_member: list[IntArray] = []
    k_price: list[FloatArray] = []
    # sovereign[m, c]: c must come from programs m leads or produces in
    sovereign = np.zeros((n_m, len(caps)), dtype=np.bool_)
    for i, mem in enumerate(s.members):
        for cid in mem.constraints.sovereign:
            sovereign[i, cpos[cid]] = True
    member_ix = np.arange(n_m)
    for i, p in enumerate(s.programs):
        # pairs: eligible, not excluded, in need of c(p), and allowed by sovereignty
        allowed = np.ones(n_m, dtype=np.bool_)
        if p.eligible is not None:
            allowed[:] = False
            allowed[[mpos[m] for m in p.eligible]] = True
        allowed[[mpos[m] for m in p.excluded]] = False
        producer = (work[i] > 0) | (member_ix == mpos[p.lead])
        allowed &= (bound[:, prog_cap[i]] > 0) & (~sovereign[:, prog_cap[i]] | producer)
        midx = np.flatnonzero(allowed)
        if not midx.size:
            continue
        if not prog_int[i]:
            min_run[i] = max(min_run[i], 1e-3 * float(bound[midx, prog_cap[i]].min()))
        price_all = np.full(n_m, p.unit_cost)
        if p.unit_cost_by_member:
            price_all[[mpos[m] for m in p.unit_cost_by_member]] = list(
                p.unit_cost_by_member.values())
        price = price_all[midx]
        if mode == "joint":
            owners, groups = [-1], [np.arange(midx.size)]
        elif p.min_participants <= 1:
            owners, groups = [int(j) for j in midx], [np.array([j]) for j in range(midx.size)]
        else:
            continue
        for owner, g in zip(owners, groups, strict=True):
            k_launch.append(np.full(g.size, len(l_prog), dtype=np.int64))
            k_member.append(midx[g])
            k_price.append(price[g])
            l_prog.append(i)
            l_owner.append(owner)

    def cat_i(parts: list[IntArray]) -> IntArray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    launch_program = np.array(l_prog, dtype=np.int64)
    pair_launch = cat_i(k_launch)
    pair_member = cat_i(k_member)
    pair_price = np.concatenate(k_price) if k_price else np.zeros(0)
    pair_prog = launch_program[pair_launch] if pair_launch.size else pair_launch
    pair_bound = bound[pair_member, prog_cap[pair_prog]] if pair_launch.size else np.zeros(0)

    # purchase cells: (pair, year) for years from the program's first delivery year on
    cell_pair, cell_year = ranges(first[pair_prog], np.full(pair_launch.size, n_t - 1))

    budgets = np.full((n_m, n_t), np.nan)
    for i, m in enumerate(s.members):
        if m.budgets is not None:
            budgets[i] = [m.budgets[y] for y in years]

    penalty = default_shortfall_penalty(s, mode)
    return Compiled(
        scenario=s, mode=mode, years=years, member_ids=members, capability_ids=caps,
        program_ids=[p.id for p in s.programs],
        prog_capability=prog_cap, prog_lead=np.array([mpos[p.lead] for p in s.programs],
                                                     dtype=np.int64),
        prog_capacity=capacity, prog_min_run=min_run,
        prog_min_participants=np.array([p.min_participants for p in s.programs], dtype=np.int64),
        prog_first_year=first, prog_integer=prog_int, prog_nrc=nrc, work=work,
        cost_shares=[s.cost_share_for(p) for p in s.programs],
        launch_program=launch_program, launch_owner=np.array(l_owner, dtype=np.int64),
        pair_launch=pair_launch, pair_member=pair_member, pair_price=pair_price,
        pair_bound=pair_bound, cell_pair=cell_pair, cell_year=cell_year,
        req_member=req_m, req_capability=req_c, req_quantity=req_q, req_year=req_y,
        budgets=budgets, gdp=np.array([m.gdp for m in s.members], dtype=np.float64),
        shortfall_penalty=float(penalty),
    )


def default_shortfall_penalty(s: Scenario, mode: Mode = "joint") -> float:
    """A per-unit shortfall penalty above the cost difference between any two plans.

    No plan buys beyond a member's requirement (2b) or pays a program's NRC more
    than once (joint) or once per eligible member (alone), so every plan costs at
    most P = sum_p NRC_p n_p + sum_{m,c} R_{m,c} max_price_c (n_p = 1 joint,
    |E_p| alone); penalising a whole unit of shortfall at 1 + P makes the optimum
    minimise shortfall first, then cost.
    """
    if s.shortfall_penalty is not None:
        return float(s.shortfall_penalty)
    need: dict[tuple[str, str], float] = {}
    for r in s.requirements:
        key = (r.member, r.capability)
        need[key] = max(need.get(key, 0.0), r.quantity)
    max_price: dict[str, float] = {}
    total = 0.0
    for p in s.programs:
        total += p.nrc_total * (max(1, len(s.eligible_members(p))) if mode == "alone" else 1)
        top = max([p.unit_cost, *p.unit_cost_by_member.values()])
        max_price[p.capability] = max(max_price.get(p.capability, 0.0), top)
    total += sum(q * max_price.get(c, 0.0) for (_, c), q in need.items())
    return 1.0 + total

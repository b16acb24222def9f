"""Compile a validated scenario into the index sets and arrays of ``models/procurement.md``.

The compiled object is the whole contract between the scenario and the formulation:
numpy arrays, numbers and tuples of ids, nothing else (no pydantic object is
reachable from it). It has two layers:

- :class:`Parameters`: the scenario's data as arrays (section 3 of the written
  model): per program, per (program, member), per member, per requirement;
- :class:`Compiled`: the parameters plus what ``mode`` derives from them: the
  launches Λ, the pairs K, the purchase cells B (section 2), the effective minimum
  run L_p and the shortfall penalty Pen (section 5).

Two modes share one formulation:

- ``joint``: each program can be launched once, and every eligible member may join;
- ``alone`` (the go-alone baseline): each member runs its own launch of every
  program it could run alone (``min_participants <= 1``), pays that launch's whole
  NRC, and the launches of one program share its yearly production capacity.

:func:`restrict` gives the compiled model of a sub-coalition S from the arrays alone
(section 12 of the written model): it slices the parameters to S and re-derives the
index sets with the same numpy code :func:`compile_scenario` uses, so that
``restrict(compile_scenario(s, mode), S)`` equals
``compile_scenario(restrict_scenario(s, S), mode)`` array by array
(:func:`procure.procurement.coalition.restrict_scenario`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Literal

import numpy as np

from procure.lp.index import ranges
from procure.lp.model import BoolArray, FloatArray, IntArray
from procure.schema.scenario import Scenario

Mode = Literal["joint", "alone"]

# cost-share rules, coded in Compiled.share_rule by their position here
SHARE_RULES: tuple[str, ...] = ("proportional", "key", "equal")
PROPORTIONAL, KEY, EQUAL = 0, 1, 2


@dataclass(frozen=True, eq=False)
class Parameters:
    """The scenario as arrays: the parameters of section 3 of ``models/procurement.md``.

    Shapes use M members, C capabilities, P programs, T years, Q requirements; every
    index refers to the id tuples. nan marks "no such rule" in the float arrays of
    national constraints.
    """

    years: tuple[int, ...]  # T
    member_ids: tuple[str, ...]  # M
    capability_ids: tuple[str, ...]  # C
    program_ids: tuple[str, ...]  # P
    # capabilities c in C
    cap_integer: BoolArray  # (C,) units of c are whole numbers (not divisible)
    # programs p in P
    prog_capability: IntArray  # c(p)
    prog_lead: IntArray  # lead(p), a member index
    prog_capacity: FloatArray  # Cap_p per year (inf: unlimited)
    prog_min_run_given: FloatArray  # the scenario's minimum production run (before L_p)
    prog_min_participants: IntArray  # N_p
    prog_first_year: IntArray  # t0(p), index into years
    prog_integer: BoolArray  # I_p = cap_integer[c(p)]
    prog_nrc: FloatArray  # NRC[p,t], (P, T)
    prog_nrc_total: FloatArray  # NRC_p as the scenario sums it (Program.nrc_total; Pen)
    prog_unit_cost: FloatArray  # default unit price of p
    # (program, member) matrices, (P, M)
    eligible: BoolArray  # m in E(p): eligible and not excluded
    price: FloatArray  # unit price of m in p: unit_cost_by_member[m], else unit_cost
    work: FloatArray  # w[p,m]: fraction of p's work placed in m's industry
    # cost-share rule(p): code into SHARE_RULES; key k, cap c, floor f of member m under
    # rule(p): key = GDP or the explicit key (0 if missing) under "key", 1 under "equal",
    # nan under "proportional"; caps 1 and floors 0 where none is set, and always under
    # "proportional" (that rule has none)
    share_rule: IntArray  # (P,)
    share_key: FloatArray  # (P, M)
    share_cap: FloatArray  # (P, M)
    share_floor: FloatArray  # (P, M)
    share_tolerance: FloatArray  # (P,) tol_p of the proportional rule
    # members m in M
    gdp: FloatArray  # (M,)
    budgets: FloatArray  # B[m,t]; nan where the member has no budget, (M, T)
    sovereign: BoolArray  # (M, C): c in Sov(m)
    dependence_cap: FloatArray  # gamma[m,c]; nan: no cap, (M, C)
    juste_retour: FloatArray  # (M,) rho_m of a per_program workshare rule; nan: none
    global_balance: FloatArray  # (M,) rho_m of a global workshare rule; nan: none
    # requirements r in Q
    req_member: IntArray
    req_capability: IntArray
    req_quantity: FloatArray
    req_year: IntArray  # index into years
    shortfall_penalty_given: float | None  # the scenario's Pen; None: the default


@dataclass(frozen=True, eq=False)
class Compiled(Parameters):
    """Parameters plus the index sets of ``mode`` (notation of ``models/procurement.md``).

    Frozen, and compared by identity (``eq=False``): it holds arrays.
    """

    mode: Mode
    prog_min_run: FloatArray  # L_p: max(given, 1) (whole units) or max(given, 1e-3 min R)
    # launches l in Λ
    launch_program: IntArray  # p(l)
    launch_owner: IntArray  # owning member in alone mode, -1 in joint mode
    # pairs k = (l, m) in K: member m may buy from launch l
    pair_launch: IntArray
    pair_member: IntArray
    pair_price: FloatArray  # price_k
    pair_bound: FloatArray  # R_k = R[m, c(p)]: the member's largest requirement of c(p)
    # purchase cells (k, t) in B: years t in which launch l can deliver
    cell_pair: IntArray
    cell_year: IntArray
    shortfall_penalty: float  # Pen

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


PARAMETER_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Parameters))


# ---------------------------------------------------------------------------------------
# scenario -> parameters


def parameters(s: Scenario) -> Parameters:
    """The arrays of section 3 read from a validated scenario (no index sets yet)."""
    years = tuple(s.horizon.years)
    year_pos = {y: i for i, y in enumerate(years)}
    members = tuple(m.id for m in s.members)
    mpos = {m: i for i, m in enumerate(members)}
    caps = tuple(c.id for c in s.capabilities)
    cpos = {c: i for i, c in enumerate(caps)}
    n_m, n_t, n_p, n_c = len(members), len(years), len(s.programs), len(caps)
    cap_integer = np.array([not c.divisible for c in s.capabilities], dtype=np.bool_)
    gdp = np.array([m.gdp for m in s.members], dtype=np.float64)

    prog_cap = np.array([cpos[p.capability] for p in s.programs], dtype=np.int64)
    nrc = np.zeros((n_p, n_t))
    work = np.zeros((n_p, n_m))
    eligible = np.zeros((n_p, n_m), dtype=np.bool_)
    price = np.zeros((n_p, n_m))
    rule = np.zeros(n_p, dtype=np.int64)
    key = np.full((n_p, n_m), np.nan)
    cap = np.ones((n_p, n_m))
    floor = np.zeros((n_p, n_m))
    tol = np.zeros(n_p)

    def put(row: FloatArray, values: dict[str, float]) -> None:
        """row[m] = values[m] for the members listed (one fancy assignment)."""
        if values:
            row[[mpos[m] for m in values]] = list(values.values())

    for i, p in enumerate(s.programs):
        for y, amount in p.nrc.items():
            nrc[i, year_pos[y]] = amount
        put(work[i], p.work_fractions())
        # E(p): eligible (default all) minus excluded, as Scenario.eligible_members
        if p.eligible is None:
            eligible[i] = True
        else:
            eligible[i, [mpos[m] for m in p.eligible]] = True
        eligible[i, [mpos[m] for m in p.excluded]] = False
        price[i] = p.unit_cost
        put(price[i], p.unit_cost_by_member)
        cs = s.cost_share_for(p)
        rule[i] = SHARE_RULES.index(cs.rule)
        tol[i] = cs.tolerance
        if cs.rule == "proportional":
            continue
        if cs.rule == "equal":
            key[i] = 1.0
        elif isinstance(cs.key, dict):
            key[i] = 0.0
            put(key[i], cs.key)
        else:
            key[i] = gdp
        put(cap[i], cs.caps)
        put(floor[i], cs.floors)

    sovereign = np.zeros((n_m, n_c), dtype=np.bool_)
    gamma = np.full((n_m, n_c), np.nan)
    juste_retour = np.full(n_m, np.nan)
    global_balance = np.full(n_m, np.nan)
    budgets = np.full((n_m, n_t), np.nan)
    for i, mem in enumerate(s.members):
        nc = mem.constraints
        for cid in nc.sovereign:
            sovereign[i, cpos[cid]] = True
        if nc.max_single_foreign_share is not None:
            gamma[i, :] = nc.max_single_foreign_share
        for cid, share in nc.max_single_foreign_share_by_capability.items():
            gamma[i, cpos[cid]] = share
        if nc.workshare is not None:
            target = juste_retour if nc.workshare.mode == "per_program" else global_balance
            target[i] = nc.workshare.min_ratio
        if mem.budgets is not None:
            budgets[i] = [mem.budgets[y] for y in years]

    return Parameters(
        years=years, member_ids=members, capability_ids=caps,
        program_ids=tuple(p.id for p in s.programs), cap_integer=cap_integer,
        prog_capability=prog_cap,
        prog_lead=np.array([mpos[p.lead] for p in s.programs], dtype=np.int64),
        prog_capacity=np.array([np.inf if p.capacity_per_year is None else p.capacity_per_year
                                for p in s.programs], dtype=np.float64),
        prog_min_run_given=np.array([p.min_production_run for p in s.programs],
                                    dtype=np.float64),
        prog_min_participants=np.array([p.min_participants for p in s.programs],
                                       dtype=np.int64),
        prog_first_year=np.array([year_pos[p.first_delivery_year] if p.first_delivery_year
                                  else 0 for p in s.programs], dtype=np.int64),
        prog_integer=cap_integer[prog_cap], prog_nrc=nrc,
        prog_nrc_total=np.array([p.nrc_total for p in s.programs], dtype=np.float64),
        prog_unit_cost=np.array([p.unit_cost for p in s.programs], dtype=np.float64),
        eligible=eligible, price=price, work=work,
        share_rule=rule, share_key=key, share_cap=cap, share_floor=floor, share_tolerance=tol,
        gdp=gdp, budgets=budgets, sovereign=sovereign, dependence_cap=gamma,
        juste_retour=juste_retour, global_balance=global_balance,
        req_member=np.array([mpos[r.member] for r in s.requirements], dtype=np.int64),
        req_capability=np.array([cpos[r.capability] for r in s.requirements], dtype=np.int64),
        req_quantity=np.array([r.quantity for r in s.requirements], dtype=np.float64),
        req_year=np.array([year_pos[r.by_year] for r in s.requirements], dtype=np.int64),
        shortfall_penalty_given=(None if s.shortfall_penalty is None
                                 else float(s.shortfall_penalty)),
    )


# ---------------------------------------------------------------------------------------
# parameters -> index sets (numpy only: shared by compile_scenario and restrict)


def _need(p: Parameters) -> FloatArray:
    """R[m,c] = max { q_r : m_r = m, c_r = c } (0 when m has no requirement for c), (M, C)."""
    bound = np.zeros((len(p.member_ids), len(p.capability_ids)))
    np.maximum.at(bound, (p.req_member, p.req_capability), p.req_quantity)
    return bound


def _index_sets(p: Parameters, mode: Mode) -> Compiled:
    """Λ, K, B, L_p and Pen of ``mode`` from the parameters (sections 2, 3 and 5).

    A(p) = { m in E(p) : R[m,c(p)] > 0 and (c(p) not in Sov(m) or m = lead(p) or
    w[p,m] > 0) }. Joint: one launch per p with A(p) non-empty, pairs (l, m) for m in
    A(p). Alone: one launch (p, m), owned by m, per p with N_p <= 1 and m in A(p).
    Launches are ordered by program, then owner; pairs by launch, then member; cells
    by pair, then year t >= t0(p).
    """
    n_p, n_t = len(p.program_ids), len(p.years)
    bound = _need(p)
    rp = bound[:, p.prog_capability].T  # (P, M): R[m, c(p)]
    producer = p.work > 0
    producer[np.arange(n_p), p.prog_lead] = True
    access = p.eligible & (rp > 0) & (~p.sovereign[:, p.prog_capability].T | producer)
    # L_p: a launched program delivers at least one whole unit, or for divisible
    # capabilities 1/1000 of the smallest requirement of A(p) (section 3)
    min_run = np.where(p.prog_integer, np.maximum(p.prog_min_run_given, 1.0),
                       p.prog_min_run_given)
    smallest = np.where(access, rp, np.inf).min(axis=1, initial=np.inf)
    raise_run = ~p.prog_integer & access.any(axis=1)
    min_run = np.where(raise_run, np.maximum(min_run, 1e-3 * smallest), min_run)
    if mode == "joint":
        k_prog, k_member = np.nonzero(access)
        opened = access.any(axis=1)
        launch_program = np.flatnonzero(opened).astype(np.int64)
        pair_launch = (np.cumsum(opened) - 1)[k_prog].astype(np.int64)
        launch_owner = np.full(launch_program.size, -1, dtype=np.int64)
    else:
        k_prog, k_member = np.nonzero(access & (p.prog_min_participants <= 1)[:, None])
        launch_program = k_prog.astype(np.int64)
        launch_owner = k_member.astype(np.int64)
        pair_launch = np.arange(k_prog.size, dtype=np.int64)
    k_prog = k_prog.astype(np.int64)
    k_member = k_member.astype(np.int64)
    cell_pair, cell_year = ranges(p.prog_first_year[k_prog], np.full(k_prog.size, n_t - 1))
    penalty = _penalty(p, bound, mode)
    return Compiled(
        **{name: getattr(p, name) for name in PARAMETER_FIELDS},
        mode=mode, prog_min_run=min_run, launch_program=launch_program,
        launch_owner=launch_owner, pair_launch=pair_launch, pair_member=k_member,
        pair_price=p.price[k_prog, k_member], pair_bound=rp[k_prog, k_member],
        cell_pair=cell_pair, cell_year=cell_year, shortfall_penalty=float(penalty),
    )


def compile_scenario(s: Scenario, mode: Mode = "joint") -> Compiled:
    """Build the index sets and arrays of ``models/procurement.md`` for ``mode``."""
    return _index_sets(parameters(s), mode)


# ---------------------------------------------------------------------------------------
# sub-coalitions


def member_mask(member_ids: tuple[str, ...], members: Iterable[str]) -> BoolArray:
    """In(S) over ``member_ids`` for the ids ``members`` (a set: order and repeats do not
    matter). Raises ``ValueError`` for an unknown id or an empty S, ``TypeError`` for a
    single string (a common slip for ``[id]``)."""
    if isinstance(members, str):
        raise TypeError(f"members must be a collection of ids, not the string {members!r}")
    pos = {m: i for i, m in enumerate(member_ids)}
    wanted = list(members)
    unknown = sorted({m for m in wanted if m not in pos})
    if unknown:
        known = ", ".join(member_ids[:8]) + (" ..." if len(member_ids) > 8 else "")
        raise ValueError(f"unknown member(s) {unknown} (known: {known})")
    if not wanted:
        raise ValueError("a coalition needs at least one member")
    mask = np.zeros(len(member_ids), dtype=np.bool_)
    mask[[pos[m] for m in wanted]] = True
    return mask


def runnable_programs(p: Parameters, in_s: BoolArray) -> BoolArray:
    """Programs the sub-coalition S can run on its own (section 12), per program:

    lead(p) in S,  w[p,m] = 0 for every m not in S,  |E(p) ∩ S| >= N_p.
    """
    foreign_work = (p.work[:, ~in_s] > 0).any(axis=1)
    enough = np.count_nonzero(p.eligible[:, in_s], axis=1) >= p.prog_min_participants
    out: BoolArray = in_s[p.prog_lead] & ~foreign_work & enough
    return out


def restrict(compiled: Compiled, members: Iterable[str]) -> Compiled:
    """The compiled model of the sub-coalition S = ``members`` (ids), same mode.

    S plans on its own (section 12 of ``models/procurement.md``): its members in the
    parent's order, their requirements, budgets and national constraints; the
    programs S can run (:func:`runnable_programs`), in the parent's order; every
    (program, member) parameter (eligibility, prices, work fractions, share keys,
    caps, floors) restricted to S's columns; Pen recomputed for S unless the scenario
    sets it. The index sets Λ, K, B and L_p are then re-derived from the sliced
    arrays by the code :func:`compile_scenario` uses, so the result equals
    ``compile_scenario(restrict_scenario(s, S), mode)`` array by array. numpy only;
    the scenario is neither read nor validated again.
    """
    in_s = member_mask(compiled.member_ids, members)
    ms = np.flatnonzero(in_s)
    ps = np.flatnonzero(runnable_programs(compiled, in_s))
    new_m = np.full(in_s.size, -1, dtype=np.int64)
    new_m[ms] = np.arange(ms.size)
    rs = np.flatnonzero(in_s[compiled.req_member])
    pm = np.ix_(ps, ms)  # (program, member) cells of S
    c = compiled
    sub = Parameters(
        years=c.years, member_ids=tuple(c.member_ids[i] for i in ms),
        capability_ids=c.capability_ids, program_ids=tuple(c.program_ids[i] for i in ps),
        cap_integer=c.cap_integer,
        prog_capability=c.prog_capability[ps], prog_lead=new_m[c.prog_lead[ps]],
        prog_capacity=c.prog_capacity[ps], prog_min_run_given=c.prog_min_run_given[ps],
        prog_min_participants=c.prog_min_participants[ps],
        prog_first_year=c.prog_first_year[ps], prog_integer=c.prog_integer[ps],
        prog_nrc=c.prog_nrc[ps], prog_nrc_total=c.prog_nrc_total[ps],
        prog_unit_cost=c.prog_unit_cost[ps],
        eligible=c.eligible[pm], price=c.price[pm], work=c.work[pm],
        share_rule=c.share_rule[ps], share_key=c.share_key[pm], share_cap=c.share_cap[pm],
        share_floor=c.share_floor[pm],
        share_tolerance=c.share_tolerance[ps],
        gdp=c.gdp[ms], budgets=c.budgets[ms], sovereign=c.sovereign[ms],
        dependence_cap=c.dependence_cap[ms], juste_retour=c.juste_retour[ms],
        global_balance=c.global_balance[ms],
        req_member=new_m[c.req_member[rs]], req_capability=c.req_capability[rs],
        req_quantity=c.req_quantity[rs], req_year=c.req_year[rs],
        shortfall_penalty_given=c.shortfall_penalty_given,
    )
    return _index_sets(sub, c.mode)


# ---------------------------------------------------------------------------------------
# shortfall penalty


def _default_penalty(nrc_total: FloatArray, launches: IntArray, top_price: FloatArray,
                     prog_capability: IntArray, need: FloatArray, req_member: IntArray,
                     req_capability: IntArray) -> float:
    """Pen = 1 + sum_p n_p NRC_p + sum_{(m,c): R[m,c] > 0} R[m,c] maxprice_c (section 5).

    ``launches`` = n_p: 1 (joint) or max(1, |E(p)|) (alone); maxprice_c = the largest
    ``top_price`` (unit price, default or per member) of any program of c, 0 if c has
    none; ``need`` = R. The two sums run in program order and in the order in which
    (m, c) first appears among the requirements, each sequentially
    (``np.add.accumulate``), so the value does not depend on how the arrays were
    obtained.
    """
    n_c = need.shape[1]
    prog_terms = nrc_total * launches
    total = float(np.add.accumulate(prog_terms)[-1]) if prog_terms.size else 0.0
    max_price = np.zeros(n_c)
    np.maximum.at(max_price, prog_capability, top_price)
    keys = req_member * n_c + req_capability
    uniq, first = np.unique(keys, return_index=True)
    mc = uniq[np.argsort(first)]
    need_terms = need[mc // n_c, mc % n_c] * max_price[mc % n_c] if n_c else np.zeros(0)
    total += float(np.add.accumulate(need_terms)[-1]) if need_terms.size else 0.0
    return 1.0 + total


def _penalty(p: Parameters, need: FloatArray, mode: Mode) -> float:
    """Pen of the parameters: the scenario's, or the default of section 5."""
    if p.shortfall_penalty_given is not None:
        return p.shortfall_penalty_given
    n_eligible = np.count_nonzero(p.eligible, axis=1)
    launches = np.maximum(n_eligible, 1) if mode == "alone" else np.ones_like(n_eligible)
    return _default_penalty(p.prog_nrc_total, launches,
                            np.maximum(p.prog_unit_cost, p.price.max(axis=1)),
                            p.prog_capability, need, p.req_member, p.req_capability)


def default_shortfall_penalty(s: Scenario, mode: Mode = "joint") -> float:
    """A per-unit shortfall penalty above the cost difference between any two plans.

    No plan buys beyond a member's requirement (2b) or pays a program's NRC more
    than once (joint) or once per eligible member (alone), so every plan costs at
    most P = sum_p NRC_p n_p + sum_{m,c} R_{m,c} max_price_c (n_p = 1 joint,
    |E_p| alone); penalising a whole unit of shortfall at 1 + P makes the optimum
    minimise shortfall first, then cost. The scenario's ``shortfall_penalty`` when set.
    """
    if s.shortfall_penalty is not None:
        return float(s.shortfall_penalty)
    cpos = {c.id: i for i, c in enumerate(s.capabilities)}
    mpos = {m.id: i for i, m in enumerate(s.members)}
    req_m = np.array([mpos[r.member] for r in s.requirements], dtype=np.int64)
    req_c = np.array([cpos[r.capability] for r in s.requirements], dtype=np.int64)
    need = np.zeros((len(mpos), len(cpos)))
    np.maximum.at(need, (req_m, req_c), np.array([r.quantity for r in s.requirements]))
    return _default_penalty(
        np.array([p.nrc_total for p in s.programs], dtype=np.float64),
        np.array([max(1, len(s.eligible_members(p))) if mode == "alone" else 1
                  for p in s.programs], dtype=np.int64),
        np.array([max([p.unit_cost, *p.unit_cost_by_member.values()]) for p in s.programs],
                 dtype=np.float64),
        np.array([cpos[p.capability] for p in s.programs], dtype=np.int64),
        need, req_m, req_c)


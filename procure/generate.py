"""Synthetic alliances of any size, for tests, sweeps and benchmarks.

:func:`generate_alliance` draws a validated :class:`~procure.schema.Scenario` from
seeded :class:`numpy.random.Generator` streams (three children of one
``SeedSequence(seed)``: the core, the budgets, the national constraints), so the
same arguments always give the same scenario, and switching budgets or
constraints off leaves everything else unchanged. What is drawn, and from which
distribution:

- **members**: GDP (USD bn) ~ lognormal(mu=log 100, sigma=1.3), clipped to
  [1, 40 000] and rounded to 0.1; defence spending % of GDP ~ uniform(1.0, 4.0).
- **capabilities**: divisible with probability 0.2; a reference unit price
  (EUR m) ~ lognormal(mu=log 60, sigma=1.0), clipped to [0.5, 3 000].
- **requirement quantities**: each member needs k capabilities, k - 1 ~
  binomial(C - 1, 0.4) (so at least one), chosen uniformly without replacement;
  quantity ~ lognormal(mu=log(1 + GDP / 150), sigma=0.5), rounded to whole units
  (to 0.1 for divisible capabilities), at least 1 (0.1).
- **programs**: with ``programs_per_capability`` >= 2 the first program of each
  capability is national (one eligible member, drawn among the members needing
  the capability with probability proportional to GDP); the others are
  multinational: each member is eligible with probability p ~ uniform(0.3, 0.9);
  the lead (probability proportional to GDP) and 0-3 further producers (uniform)
  are drawn among the eligible members needing the capability when there are
  any; work fractions ~ Dirichlet(1, ..., 1), rounded to 0.001 and summing to 1;
  with probability 0.25 one or two eligible non-producers are excluded (export
  control). Every member needing a capability is then made eligible for at least
  one of its multinational programs (and un-excluded there if need be).
  Unit cost = reference price x uniform(0.8, 1.3); with probability 0.3 one to
  three eligible members pay x uniform(1.05, 1.3) (``unit_cost_by_member``).
  NRC: none with probability 0.15 (a mature line); otherwise unit cost x
  uniform(2, 20) (multinational) or x uniform(0.5, 5) (national), spread over
  d ~ uniform{1..4} development years (fewer on short horizons) by a
  Dirichlet(2, ..., 2) profile; first delivery right after development.
- **deadlines**: ``by_year`` ~ uniform over [earliest first delivery among the
  member's programs + 1, last year].
- **capacity per year**: with ``generous_capacity``, the total requirement D of
  the program's eligible members x uniform(1.0, 1.5), rounded up (any single year
  can deliver everything); otherwise D / (delivery years up to the eligible
  members' mean deadline) x uniform(0.7, 2.5), at least one unit (0.1).
- **minimum production run**: 0 with probability 0.5, otherwise D x
  uniform(0.1, 0.5), never above what the capacity can deliver.
- **minimum participants** of multinational programs ~ uniform{2..4}, capped by
  the number of eligible members that need the capability by a deadline the
  program can still serve (so never above the eligible count, and at least 1).
- **budgets** (when ``budgets``): a spending profile of a plausible plan is built
  per member (for each requirement, the cheapest option's units spread evenly from
  first delivery to the deadline, plus a conservative NRC share min(1, 2 x its
  requirement / D) in the NRC's own years); the yearly budget is f x the profile's
  peak x uniform(0.9, 1.1), with f ~ lognormal(mu=log 1.8, sigma=0.4) (about 7 %
  of members draw f < 1 and are likely short of money), and never below 1.1 x
  the dearest unit the member may buy.
- **national constraints** (when ``national_constraints``): 20 % of the members
  that need a capability from a program they may join and lead or produce in (at
  least one of them) hold one such capability sovereign, so a qualifying program
  always exists; about 10 % of members cap any single foreign lead's share at
  uniform(0.5, 0.9), with a per-capability exemption (1.0) where too few lead
  nations could supply the requirement within the cap; about 5 % of the members
  that produce in some program require a global workshare ratio ~ uniform(0.1, 0.4).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from procure.schema.scenario import (
    Capability,
    CostShare,
    Horizon,
    Member,
    NationalConstraints,
    Program,
    Requirement,
    Scenario,
    Workshare,
)

CostShareRule = Literal["proportional", "key", "equal"]
_RULES: tuple[CostShareRule, ...] = ("proportional", "key", "equal")
FIRST_YEAR = 2026


def _round(x: float, digits: int = 1) -> float:
    return float(round(x, digits))


def _fractions(rng: np.random.Generator, ids: list[str]) -> dict[str, float]:
    """Dirichlet work fractions over ``ids`` rounded to 0.001, summing to exactly 1."""
    raw = rng.dirichlet(np.ones(len(ids)))
    rounded = [max(0.001, round(float(v), 3)) for v in raw[1:]]
    first = round(1.0 - sum(rounded), 3)
    if first <= 0:  # the rounding pushed the others over 1: give them equal parts
        share = round(1.0 / len(ids), 3)
        rounded = [share] * (len(ids) - 1)
        first = round(1.0 - sum(rounded), 3)
    return dict(zip(ids, [first, *rounded], strict=True))


class _Prog:
    """A program being drawn (mutable until it becomes a :class:`Program`)."""

    def __init__(self, pid: str, cap: int, national: bool) -> None:
        self.pid = pid
        self.cap = cap
        self.national = national
        self.eligible: list[int] = []
        self.excluded: list[int] = []
        self.lead = 0
        self.producers: dict[int, float] | None = None
        self.unit_cost = 0.0
        self.unit_cost_by_member: dict[int, float] = {}
        self.nrc: dict[int, float] = {}
        self.first_delivery = FIRST_YEAR
        self.capacity = 1.0
        self.min_run = 0.0
        self.min_participants = 1

    def effective(self) -> list[int]:
        barred = set(self.excluded)
        return [m for m in self.eligible if m not in barred]

    def makers(self) -> set[int]:
        return {self.lead} | (set(self.producers) if self.producers else set())


def generate_alliance(
    members: int,
    capabilities: int,
    programs_per_capability: int,
    years: int = 10,
    seed: int = 0,
    *,
    budgets: bool = True,
    national_constraints: bool = True,
    cost_share_rule: str = "proportional",
    generous_capacity: bool = False,
) -> Scenario:
    """Draw a synthetic alliance scenario; the same arguments give the same scenario.

    ``members`` (>= 1), ``capabilities`` (>= 1) and ``programs_per_capability``
    (>= 1) set the size; ``years`` (1..100) the horizon, starting in 2026.
    ``cost_share_rule`` is the scenario's default NRC split (``"proportional"``,
    ``"key"`` by GDP, or ``"equal"``). With ``generous_capacity`` every program can
    deliver, in any one year, the whole requirement of all its eligible members.
    The distributions are listed in the module docstring.
    """
    if members < 1 or capabilities < 1 or programs_per_capability < 1:
        raise ValueError("members, capabilities and programs_per_capability must be >= 1")
    if not 1 <= years <= 100:
        raise ValueError(f"years must be in 1..100, got {years}")
    if cost_share_rule not in _RULES:
        raise ValueError(f"cost_share_rule must be one of {_RULES}, got {cost_share_rule!r}")
    rule: CostShareRule = "key" if cost_share_rule == "key" else (
        "equal" if cost_share_rule == "equal" else "proportional")

    # independent streams: switching budgets or constraints off leaves the rest unchanged
    rng, rng_budget, rng_constraint = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    n, nc = members, capabilities
    last_year = FIRST_YEAR + years - 1
    mw = len(str(n - 1))
    cw = len(str(nc - 1))
    mids = [f"M{i:0{mw}d}" for i in range(n)]
    cids = [f"C{j:0{cw}d}" for j in range(nc)]

    # -- members -------------------------------------------------------------------
    gdp = np.round(np.clip(rng.lognormal(math.log(100.0), 1.3, n), 1.0, 40_000.0), 1)
    pct = np.round(rng.uniform(1.0, 4.0, n), 2)
    weight = gdp / gdp.sum()

    # -- capabilities ----------------------------------------------------------------
    divisible = rng.random(nc) < 0.2
    ref_price = np.clip(rng.lognormal(math.log(60.0), 1.0, nc), 0.5, 3000.0)

    # -- requirement quantities (deadlines come once programs are known) ------------
    need: dict[tuple[int, int], float] = {}
    for i in range(n):
        k = 1 + int(rng.binomial(nc - 1, 0.4)) if nc > 1 else 1
        for j in sorted(int(c) for c in rng.choice(nc, size=k, replace=False)):
            q = float(rng.lognormal(math.log(1.0 + gdp[i] / 150.0), 0.5))
            need[i, j] = max(0.1, _round(q, 1)) if divisible[j] else float(max(1, round(q)))
    needers: list[list[int]] = [[] for _ in range(nc)]
    for i, j in need:
        needers[j].append(i)

    # -- programs ----------------------------------------------------------------------
    progs: list[_Prog] = []
    pw = len(str(programs_per_capability - 1))
    for j in range(nc):
        for k in range(programs_per_capability):
            national = programs_per_capability >= 2 and k == 0
            p = _Prog(f"P{cids[j][1:]}_{k:0{pw}d}", j, national)
            pool = needers[j] if needers[j] else list(range(n))
            if national:
                w = weight[pool] / weight[pool].sum()
                p.lead = int(rng.choice(pool, p=w))
                p.eligible = [p.lead]
            else:
                prob = float(rng.uniform(0.3, 0.9))
                p.eligible = [int(i) for i in np.flatnonzero(rng.random(n) < prob)]
                if not p.eligible:
                    p.eligible = [int(rng.integers(n))]
                # lead and producers come from the eligible members that need the
                # capability when there are any (nations lead what they buy)
                buyers = [i for i in p.eligible if (i, j) in need] or p.eligible
                w = weight[buyers] / weight[buyers].sum()
                p.lead = int(rng.choice(buyers, p=w))
                others = [i for i in buyers if i != p.lead]
                extra = min(len(others), int(rng.integers(0, 4)))
                if extra:
                    chosen = sorted(int(i) for i in rng.choice(others, size=extra, replace=False))
                    fr = _fractions(rng, [mids[i] for i in [p.lead, *chosen]])
                    p.producers = {i: fr[mids[i]] for i in [p.lead, *chosen]}
                if rng.random() < 0.25:
                    candidates = [i for i in p.eligible if i not in p.makers()]
                    if candidates:
                        nx = min(len(candidates), int(rng.integers(1, 3)))
                        p.excluded = sorted(
                            int(i) for i in rng.choice(candidates, size=nx, replace=False))
            p.unit_cost = _round(float(ref_price[j] * rng.uniform(0.8, 1.3)), 2)
            if rng.random() < 0.3:
                k_extra = min(len(p.eligible), int(rng.integers(1, 4)))
                for i in sorted(int(x) for x in rng.choice(p.eligible, size=k_extra,
                                                           replace=False)):
                    p.unit_cost_by_member[i] = _round(p.unit_cost * rng.uniform(1.05, 1.3), 2)
            dev = 0
            if rng.random() >= 0.15:
                total = p.unit_cost * (rng.uniform(0.5, 5.0) if national
                                       else rng.uniform(2.0, 20.0))
                dev = min(int(rng.integers(1, 5)), max(1, years - 1))
                profile = rng.dirichlet(np.full(dev, 2.0))
                p.nrc = {FIRST_YEAR + t: _round(float(total * profile[t]), 1)
                         for t in range(dev)}
            p.first_delivery = min(FIRST_YEAR + dev, last_year)
            progs.append(p)

    # every member needing a capability may join at least one multinational program
    for j in range(nc):
        multi = [p for p in progs if p.cap == j and not p.national]
        reachable = set().union(*(set(p.effective()) for p in progs if p.cap == j))
        for i in needers[j]:
            if i in reachable:
                continue
            p = multi[int(rng.integers(len(multi)))]
            if i in p.excluded:
                p.excluded.remove(i)
            if i not in p.eligible:
                p.eligible = sorted([*p.eligible, i])
            reachable.add(i)
    eff_sets = [set(p.effective()) for p in progs]
    demand = [sum(need.get((i, p.cap), 0.0) for i in eff_sets[x]) for x, p in enumerate(progs)]
    options: dict[tuple[int, int], list[int]] = {}
    for x, p in enumerate(progs):
        for i in eff_sets[x]:
            if (i, p.cap) in need:
                options.setdefault((i, p.cap), []).append(x)

    # -- requirement deadlines -------------------------------------------------------
    reqs: list[Requirement] = []
    deadline: dict[tuple[int, int], int] = {}
    for (i, j), q in sorted(need.items()):
        earliest = min(progs[x].first_delivery for x in options[i, j])
        lo = min(earliest + 1, last_year)
        by = int(rng.integers(lo, last_year + 1))
        deadline[i, j] = by
        reqs.append(Requirement(member=mids[i], capability=cids[j], quantity=q, by_year=by))

    # -- capacities, minimum runs, minimum participants -----------------------------
    for x, p in enumerate(progs):
        needy = [i for i in eff_sets[x] if (i, p.cap) in need]
        total_need = demand[x]
        if generous_capacity:
            cap = max(total_need, 1.0) * float(rng.uniform(1.0, 1.5))
            cap = math.ceil(cap * 10) / 10 if divisible[p.cap] else float(math.ceil(cap))
        else:
            # spread the demand over the delivery years before the eligible members' mean deadline
            mean_deadline = float(np.mean([deadline[i, p.cap] for i in needy])) if needy \
                else float(last_year)
            avail = max(1.0, mean_deadline - p.first_delivery + 1)
            cap = max(total_need, 1.0) / avail * float(rng.uniform(0.7, 2.5))
            cap = max(0.1, _round(cap, 1)) if divisible[p.cap] else float(max(1, round(cap)))
        p.capacity = cap
        span = last_year - p.first_delivery + 1
        if rng.random() < 0.5 and total_need > 0:
            run = min(total_need * float(rng.uniform(0.1, 0.5)), cap * span)
            p.min_run = math.floor(run * 10) / 10 if divisible[p.cap] else float(math.floor(run))
        if not p.national:
            # only members that need the capability, and can still use a delivery from
            # this program before their deadline, can be counted on to join it
            useful = [i for i in needy if deadline[i, p.cap] >= p.first_delivery]
            p.min_participants = max(1, min(int(rng.integers(2, 5)), len(useful)))

    # -- budgets ----------------------------------------------------------------------
    member_budgets: list[dict[int, float] | None] = [None] * n
    if budgets:
        for i in range(n):
            # yearly spending profile of a plausible plan: for each need, the cheapest
            # option (units + a conservative NRC share), NRC in its own years, units
            # spread evenly from first delivery to the deadline
            profile = np.zeros(years)
            dearest = 0.0
            for j in range(nc):
                if (i, j) not in need:
                    continue
                q = need[i, j]
                best, best_x, best_share = math.inf, options[i, j][0], 1.0
                for x in options[i, j]:
                    p = progs[x]
                    price = p.unit_cost_by_member.get(i, p.unit_cost)
                    share = min(1.0, 2.0 * q / demand[x]) if demand[x] > 0 else 1.0
                    cost = q * price + sum(p.nrc.values()) * share
                    dearest = max(dearest, price)
                    if cost < best:
                        best, best_x, best_share = cost, x, share
                p = progs[best_x]
                for y, amount in p.nrc.items():
                    profile[y - FIRST_YEAR] += amount * best_share
                lo, hi = p.first_delivery - FIRST_YEAR, deadline[i, j] - FIRST_YEAR
                hi = max(hi, lo)
                profile[lo:hi + 1] += q * p.unit_cost_by_member.get(i, p.unit_cost) / (hi - lo + 1)
            f = float(rng_budget.lognormal(math.log(1.8), 0.4))
            base = f * max(float(profile.max()), 1.1 * dearest)
            noise = rng_budget.uniform(0.9, 1.1, years)
            member_budgets[i] = {
                FIRST_YEAR + t: _round(max(base * float(noise[t]), 1.1 * dearest), 1)
                for t in range(years)
            }

    # -- national constraints --------------------------------------------------------
    constraints = [NationalConstraints() for _ in range(n)]
    if national_constraints:
        # sovereign candidates: the capabilities a member needs from a program it may
        # join and leads or produces in
        makes: list[list[int]] = [[] for _ in range(n)]
        for x, p in enumerate(progs):
            for i in sorted(p.makers() & eff_sets[x]):
                if (i, p.cap) in need and p.cap not in makes[i]:
                    makes[i].append(p.cap)
        able = [i for i in range(n) if makes[i]]
        sovereign_pick = np.zeros(n, dtype=np.bool_)
        if able:
            sovereign_pick[able] = rng_constraint.random(len(able)) < 0.2
            sovereign_pick[able[int(rng_constraint.integers(len(able)))]] = True
        cap_pick = rng_constraint.random(n) < 0.10
        work_pick = rng_constraint.random(n) < 0.05
        for i in range(n):
            sovereign: list[str] = []
            if sovereign_pick[i]:
                candidates = sorted(makes[i])
                sovereign = [cids[int(rng_constraint.choice(candidates))]]
            foreign_cap: float | None = None
            exempt: dict[str, float] = {}
            if cap_pick[i]:
                foreign_cap = _round(float(rng_constraint.uniform(0.5, 0.9)), 2)
                # exempt the capabilities the cap would make unreachable: too few
                # distinct lead nations (the member's own programs are unlimited)
                for j in sorted(j for (m, j) in need if m == i):
                    leads = {progs[x].lead for x in options[i, j]}
                    if i in leads:
                        continue
                    q = need[i, j]
                    per_lead = foreign_cap * q if divisible[j] else math.floor(foreign_cap * q)
                    if len(leads) * per_lead < q - 1e-9:
                        exempt[cids[j]] = 1.0
            workshare = None
            if work_pick[i] and any(i in p.makers() for p in progs):
                workshare = Workshare(
                    mode="global", min_ratio=_round(float(rng_constraint.uniform(0.1, 0.4)), 2))
            constraints[i] = NationalConstraints(
                sovereign=sovereign, max_single_foreign_share=foreign_cap,
                max_single_foreign_share_by_capability=exempt, workshare=workshare)

    # -- assemble ----------------------------------------------------------------------
    member_objs = [
        Member(id=mids[i], name=f"Member {i}", gdp=float(gdp[i]),
               defence_spending_pct_gdp=float(pct[i]), budgets=member_budgets[i],
               constraints=constraints[i])
        for i in range(n)
    ]
    cap_objs = [
        Capability(id=cids[j], name=f"Capability {j}", divisible=bool(divisible[j]))
        for j in range(nc)
    ]
    prog_objs = [
        Program(
            id=p.pid,
            name=("National" if p.national else "Multinational") + f" program {p.pid}",
            capability=cids[p.cap],
            lead=mids[p.lead],
            producers=None if p.producers is None
            else {mids[i]: v for i, v in p.producers.items()},
            nrc=p.nrc,
            unit_cost=p.unit_cost,
            unit_cost_by_member={mids[i]: v for i, v in p.unit_cost_by_member.items()},
            capacity_per_year=p.capacity,
            first_delivery_year=p.first_delivery,
            min_production_run=p.min_run,
            min_participants=p.min_participants,
            eligible=[mids[i] for i in p.eligible],
            excluded=[mids[i] for i in p.excluded],
        )
        for p in progs
    ]
    return Scenario(
        name=f"synthetic-m{n}-c{nc}-p{programs_per_capability}-y{years}-s{seed}",
        description=f"Synthetic alliance drawn by procure.generate.generate_alliance("
        f"members={n}, capabilities={nc}, programs_per_capability={programs_per_capability}, "
        f"years={years}, seed={seed}, budgets={budgets}, "
        f"national_constraints={national_constraints}, cost_share_rule={rule!r}, "
        f"generous_capacity={generous_capacity}).",
        sources=["synthetic: procure.generate (seeded numpy Generator)"],
        horizon=Horizon(first_year=FIRST_YEAR, last_year=last_year),
        members=member_objs,
        capabilities=cap_objs,
        programs=prog_objs,
        requirements=reqs,
        cost_share=CostShare(rule=rule),
    )

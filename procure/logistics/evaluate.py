"""Independent evaluator of a movement plan: replay it day by day from the scenario.

It rebuilds every movement's inventory at every location from draws, departures,
arrivals and deliveries (flow conservation: inventory never negative), then checks
basing rights, storage overnight, windows, stocks, link capacity, throughput,
storage, lift payload and integrality, fleet availability, entitlements and MOG —
without the formulation or a solver. Violations are named after the constraints of
``models/logistics.md``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from procure.common import Violation
from procure.logistics.network import link_params, penalty_weights
from procure.logistics.plan import MovementPlan
from procure.schema.scenario import Scenario

CLOSURE_COLUMNS = ["movement", "member", "item", "priority", "quantity", "tons", "on_time",
                   "late", "short", "max_days_late", "status"]


@dataclass(frozen=True)
class MovementEvaluation:
    """Exact costs, closure per requirement, utilisation, and every broken rule."""

    violations: tuple[Violation, ...]
    transport_cost: float
    draw_cost: float
    lift_cost: float
    late_ton_days: float  # sum of tons x days late x priority
    short_tons: float
    short_priority_tons: float  # sum of tons short x priority
    late_weight: float
    short_weight: float
    closure: pd.DataFrame = field(repr=False)
    utilisation: pd.DataFrame = field(repr=False)  # resource, kind, day, used, capacity

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def cost(self) -> float:
        return self.transport_cost + self.draw_cost + self.lift_cost

    @property
    def objective(self) -> float:
        """The model's objective: cost + weighted lateness + weighted shortfall."""
        return (self.cost + self.late_weight * self.late_ton_days
                + self.short_weight * self.short_priority_tons)


def evaluate_movements(s: Scenario, plan: MovementPlan, *, tol: float = 1e-6
                       ) -> MovementEvaluation:
    """Replay ``plan`` on ``s`` and check every rule (tolerance relative, as procurement)."""
    lg = s.logistics
    assert lg is not None
    v: list[Violation] = []

    def bad(c: str, where: str, amount: float, msg: str) -> None:
        v.append(Violation(c, where, float(amount), msg))

    def over(x: float, cap: float) -> bool:
        return x > cap + tol * max(1.0, abs(cap))

    h = lg.horizon_days
    weights = penalty_weights(s)
    links = lg.links
    par = link_params(s)
    locs = {loc.id: loc for loc in lg.locations}
    mvs = {m.id: m for m in lg.movements}
    tons = {it.id: it.unit_tons for it in lg.items}
    rights: dict[tuple[str, str], tuple[bool, bool, float]] = {}
    for br in lg.basing_rights:
        t0, s0, c0 = rights.get((br.member, br.location), (False, False, 1.0))
        rights[(br.member, br.location)] = (t0 or br.transit, s0 or br.storage,
                                            min(c0, br.max_share if br.max_share is not None
                                                else 1.0))
    xs: dict[tuple[str, str], list[tuple[list[str] | None, float]]] = defaultdict(list)
    for cs in lg.cross_servicing:
        xs[(cs.provider, cs.receiver)].append((cs.items, cs.price_per_unit))

    def may_touch(member: str, loc: str) -> bool:
        return rights.get((member, loc), (False, False, 1.0))[0]

    # inventory changes per (movement, location, day)
    delta: dict[tuple[str, str, int], float] = defaultdict(float)
    transport = draw_cost = 0.0
    arc_tons: dict[tuple[int, str, str, int], float] = defaultdict(float)
    loc_tons: dict[tuple[str, int], float] = defaultdict(float)
    loc_member_tons: dict[tuple[str, str, int], float] = defaultdict(float)
    member_mode_tons: dict[tuple[str, int, str, str, int], float] = defaultdict(float)
    for mvx in plan.moves:
        mv = mvs.get(mvx.movement)
        if mv is None or not 0 <= mvx.link < len(links):
            bad("move", f"{mvx.movement}/{mvx.link}", mvx.quantity, "unknown movement or link")
            continue
        ln = links[mvx.link]
        if {mvx.origin, mvx.destination} != {ln.origin, ln.destination} or (
                not ln.bidirectional and mvx.origin != ln.origin):
            bad("move", f"{mvx.movement}/{mvx.link}", mvx.quantity, "direction not on the link")
            continue
        where = f"{mv.id}/{mvx.origin}->{mvx.destination}/day {mvx.depart_day}"
        arrive = mvx.depart_day + par[mvx.link].days
        if mvx.quantity < -tol:
            bad("move", where, mvx.quantity, "negative quantity")
        if mvx.depart_day < mv.ald:
            bad("window", where, mv.ald - mvx.depart_day, f"departs before ALD {mv.ald}")
        if arrive >= h or mvx.depart_day < 0:
            bad("window", where, arrive, "outside the horizon")
        for loc in (mvx.origin, mvx.destination):
            if not may_touch(mv.member, loc):
                bad("basing right", where, mvx.quantity, f"{mv.member} has no transit right "
                    f"at {loc}")
        t = mvx.quantity * tons[mv.item]
        transport += t * par[mvx.link].cost_per_ton
        delta[(mv.id, mvx.origin, mvx.depart_day)] -= mvx.quantity
        delta[(mv.id, mvx.destination, arrive)] += mvx.quantity
        arc_tons[(mvx.link, mvx.origin, mvx.destination, mvx.depart_day)] += t
        for loc, day in ((mvx.origin, mvx.depart_day), (mvx.destination, arrive)):
            loc_tons[(loc, day)] += t
            loc_member_tons[(mv.member, loc, day)] += t
        member_mode_tons[(mv.member, mvx.link, mvx.origin, mvx.destination,
                          mvx.depart_day)] += t

    drawn: dict[int, float] = defaultdict(float)
    for d in plan.draws:
        mv = mvs.get(d.movement)
        if mv is None or not 0 <= d.stock < len(lg.stocks):
            bad("draw", f"{d.movement}/{d.stock}", d.quantity, "unknown movement or stock")
            continue
        st = lg.stocks[d.stock]
        where = f"{mv.id}/stock {d.stock}/day {d.day}"
        if st.item != mv.item:
            bad("draw", where, d.quantity, f"stock holds {st.item}, not {mv.item}")
        if mv.origin is not None and st.location != mv.origin:
            bad("draw", where, d.quantity, f"movement origin is {mv.origin}")
        if d.day < mv.ald:
            bad("window", where, d.quantity, f"drawn before ALD {mv.ald}")
        if not may_touch(mv.member, st.location):
            bad("basing right", where, d.quantity, f"no right at {st.location}")
        price = 0.0
        if st.owner != mv.member:
            prices = [p for its, p in xs.get((st.owner, mv.member), []) if its is None
                      or mv.item in its]
            if not prices:
                bad("cross-servicing", where, d.quantity, f"{mv.member} may not draw "
                    f"{st.owner}'s {st.item}")
            else:
                price = min(prices)
        draw_cost += price * d.quantity
        drawn[d.stock] += d.quantity
        delta[(mv.id, st.location, d.day)] += d.quantity
    for si, q in drawn.items():
        if over(q, lg.stocks[si].quantity):
            bad("(3) stock", f"stock {si}", q - lg.stocks[si].quantity,
                f"draws {q:g} > stock {lg.stocks[si].quantity:g}")

    delivered: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for dl in plan.deliveries:
        mv = mvs.get(dl.movement)
        if mv is None:
            bad("delivery", dl.movement, dl.quantity, "unknown movement")
            continue
        if not mv.ead <= dl.day <= mv.rdd:
            bad("window", f"{mv.id}/day {dl.day}", dl.quantity,
                f"delivered outside EAD {mv.ead} .. RDD {mv.rdd}")
        delta[(mv.id, mv.destination, dl.day)] -= dl.quantity
        delivered[mv.id].append((dl.day, dl.quantity))

    # (1) replay inventories: never negative; anything left overnight needs storage
    store_tons: dict[tuple[str, int], float] = defaultdict(float)
    store_member: dict[tuple[str, str, int], float] = defaultdict(float)
    by_mv_loc: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for (mid, loc, day), q in delta.items():
        by_mv_loc[(mid, loc)][day] = by_mv_loc[(mid, loc)].get(day, 0.0) + q
    for (mid, loc), changes in by_mv_loc.items():
        mv = mvs[mid]
        inv = 0.0
        for day in range(min(changes), max(max(changes), 0) + 1):
            inv += changes.get(day, 0.0)
            if inv < -tol * max(1.0, mv.quantity):
                bad("(1) conservation", f"{mid}/{loc}/day {day}", -inv,
                    f"ships {-inv:g} units more than it has")
            if inv > tol * max(1.0, mv.quantity) and day < max(changes):
                if not rights.get((mv.member, loc), (False, False, 1.0))[1]:
                    bad("storage right", f"{mid}/{loc}/day {day}", inv,
                        f"{mv.member} holds materiel overnight without a storage right")
                store_tons[(loc, day)] += inv * tons[mv.item]
                store_member[(mv.member, loc, day)] += inv * tons[mv.item]
        if inv > tol * max(1.0, mv.quantity):
            bad("(1) conservation", f"{mid}/{loc}", inv,
                f"{inv:g} units left at {loc} after the last movement (neither moved on nor "
                "delivered)")

    # (4) link capacity, (5) throughput, (6) storage, with members' shares
    util_rows: list[tuple[str, str, int, float, float]] = []
    for (li, o, d_, day), t in arc_tons.items():
        if math.isfinite(par[li].capacity):
            util_rows.append((f"{o}->{d_}", "link", day, t, par[li].capacity))
        if over(t, par[li].capacity):
            bad("(4) link capacity", f"{o}->{d_}/day {day}", t - par[li].capacity,
                f"{t:.6g} t > {par[li].capacity:.6g} t/day")
    for (loc, day), t in loc_tons.items():
        thr = locs[loc].throughput_tons_per_day
        util_rows.append((loc, "throughput", day, t, math.inf if thr is None else thr))
        if thr is not None and over(t, thr):
            bad("(5) throughput", f"{loc}/day {day}", t - thr, f"{t:.6g} t > {thr:.6g} t/day")
    for (mem, loc, day), t in loc_member_tons.items():
        share = rights.get((mem, loc), (False, False, 1.0))[2]
        thr = locs[loc].throughput_tons_per_day
        if thr is not None and share < 1.0 and over(t, share * thr):
            bad("(5b) throughput share", f"{mem}/{loc}/day {day}", t - share * thr,
                f"{t:.6g} t > {share:g} x {thr:.6g} t/day")
    for (loc, day), t in store_tons.items():
        cap = locs[loc].storage_tons
        util_rows.append((loc, "storage", day, t, math.inf if cap is None else cap))
        if cap is not None and over(t, cap):
            bad("(6) storage", f"{loc}/day {day}", t - cap, f"{t:.6g} t > {cap:.6g} t")
    for (mem, loc, day), t in store_member.items():
        share = rights.get((mem, loc), (False, False, 1.0))[2]
        cap = locs[loc].storage_tons
        if cap is not None and share < 1.0 and over(t, share * cap):
            bad("(6b) storage share", f"{mem}/{loc}/day {day}", t - share * cap,
                f"{t:.6g} t > {share:g} x {cap:.6g} t")

    # (7)-(10) lift
    fleets = {f.id: f for f in lg.lift}
    lift_cost = 0.0
    lift_modes = {f.mode for f in lg.lift}
    payload: dict[tuple[str, int, str, str, int], float] = defaultdict(float)
    busy: dict[tuple[str, int], float] = defaultdict(float)
    used: dict[tuple[str, str], float] = defaultdict(float)
    landings: dict[tuple[str, int], float] = defaultdict(float)
    takeoffs: dict[tuple[str, int], float] = defaultdict(float)
    for so in plan.sorties:
        f = fleets.get(so.lift)
        if f is None or not 0 <= so.link < len(links):
            bad("sortie", so.lift, so.count, "unknown lift asset or link")
            continue
        where = f"{so.lift}/{so.member}/{so.origin}->{so.destination}/day {so.depart_day}"
        ln = links[so.link]
        if {so.origin, so.destination} != {ln.origin, ln.destination} or (
                not ln.bidirectional and so.origin != ln.origin):
            bad("sortie", where, so.count, "direction not on the link")
            continue
        if so.depart_day < 0 or so.depart_day + par[so.link].days >= h:
            bad("window", where, so.count, "sortie outside the horizon")
        if so.count < 0 or abs(so.count - round(so.count)) > tol:
            bad("integrality", where, so.count, f"{so.count} sorties is not a whole number")
        if links[so.link].mode != f.mode:
            bad("sortie", where, so.count, f"a {f.mode} asset on a {links[so.link].mode} link")
        if f.owner is not None and f.owner != so.member:
            bad("sortie", where, so.count, f"{so.member} uses {f.owner}'s fleet")
        if f.owner is None and f.entitlements and f.entitlements.get(so.member, 0.0) <= 0:
            bad("(9) entitlement", where, so.count, f"{so.member} has no share of {f.id}")
        payload[(so.member, so.link, so.origin, so.destination, so.depart_day)] += (
            so.count * f.payload_tons)
        lift_cost += so.count * f.cost_per_sortie
        # busy out and back (2 x transit days); a same-day hop takes 1/sorties_per_day
        days = max(1, 2 * par[so.link].days)
        share = 1.0 / f.sorties_per_day if par[so.link].days == 0 else 1.0
        for day in range(so.depart_day, min(so.depart_day + days, h)):
            busy[(f.id, day)] += so.count * share
        used[(f.id, so.member)] += so.count
        if f.mode == "air":
            landings[(so.destination, so.depart_day + par[so.link].days)] += so.count
            takeoffs[(so.origin, so.depart_day)] += so.count
    for key, t in member_mode_tons.items():
        mem, li, o, d_, day = key
        if links[li].mode in lift_modes and over(t, payload.get(key, 0.0)):
            bad("(7) lift payload", f"{mem}/{o}->{d_}/day {day}", t - payload.get(key, 0.0),
                f"{t:.6g} t carried on {payload.get(key, 0.0):.6g} t of sorties")
    for (fid, day), b in busy.items():
        util_rows.append((fid, "fleet", day, b, float(fleets[fid].available)))
        if over(b, fleets[fid].available):
            bad("(8) fleet", f"{fid}/day {day}", b - fleets[fid].available,
                f"{b:.6g} vehicles busy > {fleets[fid].available} available")
    for (fid, mem), u in used.items():
        f = fleets[fid]
        if f.owner is None and f.entitlements and over(u, f.entitlements.get(mem, 0.0)):
            bad("(9) entitlement", f"{fid}/{mem}", u - f.entitlements.get(mem, 0.0),
                f"{u:g} sorties > entitlement {f.entitlements.get(mem, 0.0):g}")
    for name, counts in (("landings", landings), ("departures", takeoffs)):
        for (loc, day), k in counts.items():
            lo = locs[loc]
            if lo.mog is not None:
                cap = lo.mog * lo.turns_per_day
                util_rows.append((loc, f"MOG {name}", day, k, cap))
                if over(k, cap):
                    bad("(10) MOG", f"{loc}/day {day}", k - cap, f"{k:g} {name} > MOG {lo.mog} "
                        f"x {lo.turns_per_day:g} turns")

    # closure per requirement
    closure_rows = []
    late_ton_days = short_tons = short_prio = 0.0
    for mv in lg.movements:
        w = tons[mv.item]
        got = delivered.get(mv.id, [])
        on_time = sum(q for d, q in got if d <= mv.lad)
        late = sum(q for d, q in got if d > mv.lad)
        total = on_time + late
        if over(total, mv.quantity):
            bad("(2) demand", mv.id, total - mv.quantity, f"delivers {total:g} > {mv.quantity:g}")
        short = max(0.0, mv.quantity - total)
        short = 0.0 if short <= tol * max(1.0, mv.quantity) else short
        max_late = max([d - mv.lad for d, q in got if d > mv.lad and q > tol], default=0)
        late_ton_days += sum(q * w * (d - mv.lad) * mv.priority for d, q in got if d > mv.lad)
        short_tons += short * w
        short_prio += short * w * mv.priority
        status = "short" if short > 0 else ("late" if late > tol else "on time")
        closure_rows.append((mv.id, mv.member, mv.item, mv.priority, mv.quantity,
                             mv.quantity * w, on_time, late, short, max_late, status))
    return MovementEvaluation(
        violations=tuple(v), transport_cost=transport, draw_cost=draw_cost, lift_cost=lift_cost,
        late_ton_days=late_ton_days, short_tons=short_tons, short_priority_tons=short_prio,
        late_weight=weights[0], short_weight=weights[1],
        closure=pd.DataFrame(closure_rows, columns=CLOSURE_COLUMNS),
        utilisation=pd.DataFrame(util_rows, columns=["resource", "kind", "day", "used",
                                                     "capacity"]),
    )

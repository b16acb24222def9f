"""Independent evaluator of a movement plan: replay it day by day from the scenario.

It rebuilds every movement's inventory at every location from draws, departures,
arrivals and deliveries (flow conservation: inventory never negative), then checks
basing rights, storage overnight, windows, stocks, link capacity, throughput,
storage, lift payload and integrality, fleet availability, entitlements and MOG —
without the formulation or a solver. Violations are named after the constraints of
``models/logistics.md``.

:func:`evaluate` builds the plan's tallies once (:class:`_Tally`) and then
calls one function per family of section 9 of the model, in the order they report
(``_FAMILIES``): move, draw records, (3) stock, delivery records, (1) conservation,
(4) link capacity, (5) throughput, (6) storage, sortie records, (7) lift payload,
(8) fleet, (9) entitlement, (10) MOG, (2) demand. Each returns its violations and, for
(4), (5), (6), (8) and (10), its utilisation rows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd

from procure.common import Violation
from procure.logistics.compile import LinkParams, link_params, penalty_weights
from procure.logistics.plan import Move, MovementPlan, Sortie
from procure.schema.logistics import LiftAsset, Location, Logistics, Movement, Stock
from procure.schema.scenario import Scenario

CLOSURE_COLUMNS = ["movement", "member", "item", "priority", "quantity", "tons", "on_time",
                   "late", "short", "max_days_late", "status"]
UTILISATION_COLUMNS = ["resource", "kind", "day", "used", "capacity"]


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


def evaluate(s: Scenario, plan: MovementPlan, *, tol: float = 1e-6
                       ) -> MovementEvaluation:
    """Replay ``plan`` on ``s`` and check every rule (tolerance relative, as procurement)."""
    t = _tally(s, plan, tol)
    weights = penalty_weights(s, t.params)
    v: list[Violation] = []
    util: list[UtilRow] = []
    for check in _FAMILIES:
        found = check(t)
        v += found.violations
        util += found.utilisation
    closure = _closure(t)
    return MovementEvaluation(
        violations=tuple(v), transport_cost=t.transport, draw_cost=t.draw_cost,
        lift_cost=t.lift_cost, late_ton_days=closure.late_ton_days,
        short_tons=closure.short_tons, short_priority_tons=closure.short_priority_tons,
        late_weight=weights[0], short_weight=weights[1],
        closure=pd.DataFrame(closure.rows, columns=CLOSURE_COLUMNS),
        utilisation=pd.DataFrame(util, columns=UTILISATION_COLUMNS),
    )


# -- tallies ---------------------------------------------------------------------------

UtilRow = tuple[str, str, int, float, float]  # resource, kind, day, used, capacity
Right = tuple[bool, bool, float]  # transit, storage, max_share
NO_RIGHT: Right = (False, False, 1.0)
UNKNOWN_SORTIE = "unknown lift asset or link"


@dataclass(frozen=True)
class _Tally:
    """Scenario lookups and the plan's totals, computed once and read by every check.

    Records a check rejects outright (unknown ids, a direction the link does not
    allow: :func:`_move_error`, :func:`_sortie_error`) are left out of every total.
    ``changes`` holds each (movement, location)'s inventory changes per day: draws (+),
    departures (-), arrivals on depart + tau (+), deliveries (-).
    """

    lg: Logistics
    plan: MovementPlan
    tol: float
    params: list[LinkParams]  # per link: transit days, cost per ton, capacity
    locs: dict[str, Location]
    mvs: dict[str, Movement]
    tons: dict[str, float]  # item -> tons per unit
    rights: dict[tuple[str, str], Right]  # (member, location), several rights combined
    xs: dict[tuple[str, str], list[tuple[list[str] | None, float]]]  # (provider, receiver)
    fleets: dict[str, LiftAsset]
    transport: float
    draw_cost: float
    lift_cost: float
    changes: dict[tuple[str, str], dict[int, float]]
    arc_tons: dict[tuple[int, str, str, int], float]  # (link, origin, destination, day)
    loc_tons: dict[tuple[str, int], float]  # (location, day): departing + arriving
    loc_member_tons: dict[tuple[str, str, int], float]  # (member, location, day)
    member_mode_tons: dict[tuple[str, int, str, str, int], float]  # (member, link, o, d, day)
    drawn: dict[int, float]  # stock -> units drawn
    delivered: dict[str, list[tuple[int, float]]]  # movement -> (day, units)
    store_tons: dict[tuple[str, int], float]  # (location, day) held overnight
    store_member: dict[tuple[str, str, int], float]  # (member, location, day)
    payload: dict[tuple[str, int, str, str, int], float]  # (member, link, o, d, day)
    busy: dict[tuple[str, int], float]  # (fleet, day) -> vehicles busy
    used: dict[tuple[str, str], float]  # (fleet, member) -> sorties
    landings: dict[tuple[str, int], float]  # (airbase, day)
    takeoffs: dict[tuple[str, int], float]  # (airbase, day)

    @property
    def horizon(self) -> int:
        return self.lg.horizon_days

    def over(self, x: float, cap: float) -> bool:
        """``x <= cap`` fails beyond the relative tolerance."""
        return x > cap + self.tol * max(1.0, abs(cap))

    def right(self, member: str, loc: str) -> Right:
        return self.rights.get((member, loc), NO_RIGHT)


class _Found(NamedTuple):
    """What one family's check reports: violations, and utilisation rows where it has any."""

    violations: list[Violation]
    utilisation: Sequence[UtilRow] = ()


def _bad(constraint: str, where: str, amount: float, message: str) -> Violation:
    return Violation(constraint, where, float(amount), message)


def _move_error(lg: Logistics, mvs: dict[str, Movement], mvx: Move) -> str | None:
    """Why a move is left out of every total, or None."""
    if mvx.movement not in mvs or not 0 <= mvx.link < len(lg.links):
        return "unknown movement or link"
    ln = lg.links[mvx.link]
    if {mvx.origin, mvx.destination} != {ln.origin, ln.destination} or (
            not ln.bidirectional and mvx.origin != ln.origin):
        return "direction not on the link"
    return None


def _sortie_error(lg: Logistics, fleets: dict[str, LiftAsset], so: Sortie) -> str | None:
    """Why a sortie is left out of every total, or None."""
    if so.lift not in fleets or not 0 <= so.link < len(lg.links):
        return UNKNOWN_SORTIE
    ln = lg.links[so.link]
    if {so.origin, so.destination} != {ln.origin, ln.destination} or (
            not ln.bidirectional and so.origin != ln.origin):
        return "direction not on the link"
    return None


def _draw_prices(xs: dict[tuple[str, str], list[tuple[list[str] | None, float]]], st: Stock,
                 mv: Movement) -> list[float]:
    """Prices of the cross-servicing agreements that let ``mv`` draw ``st``."""
    return [p for its, p in xs.get((st.owner, mv.member), []) if its is None or mv.item in its]


def _replay(changes: dict[tuple[str, str], dict[int, float]], mvs: dict[str, Movement]
            ) -> Iterator[tuple[Movement, str, int, float, bool, bool]]:
    """Inventory of each (movement, location) at the end of each day, from its first
    change to its last (and at least to day 0): (movement, location, day, inventory,
    held overnight before a later change, last day)."""
    for (mid, loc), by_day in changes.items():
        mv = mvs[mid]
        last = max(by_day)
        end = max(last, 0)
        inv = 0.0
        for day in range(min(by_day), end + 1):
            inv += by_day.get(day, 0.0)
            yield mv, loc, day, inv, day < last, day == end


def _tally(s: Scenario, plan: MovementPlan, tol: float) -> _Tally:
    lg = s.logistics
    assert lg is not None
    h = lg.horizon_days
    par = link_params(s)
    mvs = {m.id: m for m in lg.movements}
    tons = {it.id: it.unit_tons for it in lg.items}
    fleets = {f.id: f for f in lg.lift}
    rights: dict[tuple[str, str], Right] = {}
    for br in lg.basing_rights:
        t0, s0, c0 = rights.get((br.member, br.location), NO_RIGHT)
        rights[(br.member, br.location)] = (t0 or br.transit, s0 or br.storage,
                                            min(c0, br.max_share if br.max_share is not None
                                                else 1.0))
    xs: dict[tuple[str, str], list[tuple[list[str] | None, float]]] = defaultdict(list)
    for cs in lg.cross_servicing:
        xs[(cs.provider, cs.receiver)].append((cs.items, cs.price_per_unit))

    # moves, draws and deliveries: inventory changes, costs, tons per resource
    delta: dict[tuple[str, str, int], float] = defaultdict(float)
    transport = draw_cost = 0.0
    arc_tons: dict[tuple[int, str, str, int], float] = defaultdict(float)
    loc_tons: dict[tuple[str, int], float] = defaultdict(float)
    loc_member_tons: dict[tuple[str, str, int], float] = defaultdict(float)
    member_mode_tons: dict[tuple[str, int, str, str, int], float] = defaultdict(float)
    for mvx in plan.moves:
        if _move_error(lg, mvs, mvx) is not None:
            continue
        mv = mvs[mvx.movement]
        arrive = mvx.depart_day + par[mvx.link].days
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
        dmv = mvs.get(d.movement)
        if dmv is None or not 0 <= d.stock < len(lg.stocks):
            continue
        st = lg.stocks[d.stock]
        prices = _draw_prices(xs, st, dmv) if st.owner != dmv.member else []
        draw_cost += (min(prices) if prices else 0.0) * d.quantity
        drawn[d.stock] += d.quantity
        delta[(dmv.id, st.location, d.day)] += d.quantity
    delivered: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for dl in plan.deliveries:
        lmv = mvs.get(dl.movement)
        if lmv is None:
            continue
        delta[(lmv.id, lmv.destination, dl.day)] -= dl.quantity
        delivered[lmv.id].append((dl.day, dl.quantity))

    # replay: what stays overnight counts toward storage (6), (6b)
    changes: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for (mid, loc, day), q in delta.items():
        changes[(mid, loc)][day] = changes[(mid, loc)].get(day, 0.0) + q
    store_tons: dict[tuple[str, int], float] = defaultdict(float)
    store_member: dict[tuple[str, str, int], float] = defaultdict(float)
    for rmv, loc, day, inv, overnight, _ in _replay(changes, mvs):
        if inv > tol * max(1.0, rmv.quantity) and overnight:
            store_tons[(loc, day)] += inv * tons[rmv.item]
            store_member[(rmv.member, loc, day)] += inv * tons[rmv.item]

    # sorties: payload per (member, arc, day), vehicles busy, entitlements used, MOG
    lift_cost = 0.0
    payload: dict[tuple[str, int, str, str, int], float] = defaultdict(float)
    busy: dict[tuple[str, int], float] = defaultdict(float)
    used: dict[tuple[str, str], float] = defaultdict(float)
    landings: dict[tuple[str, int], float] = defaultdict(float)
    takeoffs: dict[tuple[str, int], float] = defaultdict(float)
    for so in plan.sorties:
        if _sortie_error(lg, fleets, so) is not None:
            continue
        f = fleets[so.lift]
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

    return _Tally(
        lg=lg, plan=plan, tol=tol, params=par, locs={loc.id: loc for loc in lg.locations},
        mvs=mvs, tons=tons, rights=rights, xs=xs, fleets=fleets, transport=transport,
        draw_cost=draw_cost, lift_cost=lift_cost, changes=changes, arc_tons=arc_tons,
        loc_tons=loc_tons, loc_member_tons=loc_member_tons, member_mode_tons=member_mode_tons,
        drawn=drawn, delivered=delivered, store_tons=store_tons, store_member=store_member,
        payload=payload, busy=busy, used=used, landings=landings, takeoffs=takeoffs)


# -- one check per family (models/logistics.md, sections 6 and 9) ---------------------

def _check_moves(t: _Tally) -> _Found:
    """Records (section 9), moves: known movement and link; a direction the link
    allows; nonnegative quantity; departs on or after ALD and arrives before H; a transit
    right at both ends."""
    v: list[Violation] = []
    for mvx in t.plan.moves:
        error = _move_error(t.lg, t.mvs, mvx)
        if error is not None:
            v.append(_bad("move", f"{mvx.movement}/{mvx.link}", mvx.quantity, error))
            continue
        mv = t.mvs[mvx.movement]
        where = f"{mv.id}/{mvx.origin}->{mvx.destination}/day {mvx.depart_day}"
        arrive = mvx.depart_day + t.params[mvx.link].days
        if mvx.quantity < -t.tol:
            v.append(_bad("move", where, mvx.quantity, "negative quantity"))
        if mvx.depart_day < mv.ald:
            v.append(_bad("window", where, mv.ald - mvx.depart_day,
                          f"departs before ALD {mv.ald}"))
        if arrive >= t.horizon or mvx.depart_day < 0:
            v.append(_bad("window", where, arrive, "outside the horizon"))
        for loc in (mvx.origin, mvx.destination):
            if not t.right(mv.member, loc)[0]:
                v.append(_bad("basing right", where, mvx.quantity,
                              f"{mv.member} has no transit right at {loc}"))
    return _Found(v)


def _check_draws(t: _Tally) -> _Found:
    """Records (section 9), draws: known movement and stock; the movement's item, at
    its ``origin`` if it has one; on or after ALD; a transit right at the stock; another
    member's stock only under a cross-servicing agreement for the item."""
    v: list[Violation] = []
    for d in t.plan.draws:
        mv = t.mvs.get(d.movement)
        if mv is None or not 0 <= d.stock < len(t.lg.stocks):
            v.append(_bad("draw", f"{d.movement}/{d.stock}", d.quantity,
                          "unknown movement or stock"))
            continue
        st = t.lg.stocks[d.stock]
        where = f"{mv.id}/stock {d.stock}/day {d.day}"
        if st.item != mv.item:
            v.append(_bad("draw", where, d.quantity, f"stock holds {st.item}, not {mv.item}"))
        if mv.origin is not None and st.location != mv.origin:
            v.append(_bad("draw", where, d.quantity, f"movement origin is {mv.origin}"))
        if d.day < mv.ald:
            v.append(_bad("window", where, d.quantity, f"drawn before ALD {mv.ald}"))
        if not t.right(mv.member, st.location)[0]:
            v.append(_bad("basing right", where, d.quantity, f"no right at {st.location}"))
        if st.owner != mv.member and not _draw_prices(t.xs, st, mv):
            v.append(_bad("cross-servicing", where, d.quantity,
                          f"{mv.member} may not draw {st.owner}'s {st.item}"))
    return _Found(v)


def _check_stock(t: _Tally) -> _Found:
    """(3) stock: the units drawn from a stock, by every movement, are at most Q_sig."""
    v: list[Violation] = []
    for si, q in t.drawn.items():
        stock = t.lg.stocks[si].quantity
        if t.over(q, stock):
            v.append(_bad("(3) stock", f"stock {si}", q - stock,
                          f"draws {q:g} > stock {stock:g}"))
    return _Found(v)


def _check_deliveries(t: _Tally) -> _Found:
    """Records (section 9), deliveries: a known movement, delivered within [EAD, RDD]."""
    v: list[Violation] = []
    for dl in t.plan.deliveries:
        mv = t.mvs.get(dl.movement)
        if mv is None:
            v.append(_bad("delivery", dl.movement, dl.quantity, "unknown movement"))
            continue
        if not mv.ead <= dl.day <= mv.rdd:
            v.append(_bad("window", f"{mv.id}/day {dl.day}", dl.quantity,
                          f"delivered outside EAD {mv.ead} .. RDD {mv.rdd}"))
    return _Found(v)


def _check_conservation(t: _Tally) -> _Found:
    """(1) conservation, replayed per (movement, location) day by day: inventory never
    below -tol max(1, q_r), nothing left after the last change (neither moved on nor
    delivered); inventory held overnight needs a storage right."""
    v: list[Violation] = []
    for mv, loc, day, inv, overnight, last in _replay(t.changes, t.mvs):
        eps = t.tol * max(1.0, mv.quantity)
        if inv < -eps:
            v.append(_bad("(1) conservation", f"{mv.id}/{loc}/day {day}", -inv,
                          f"ships {-inv:g} units more than it has"))
        if inv > eps and overnight and not t.right(mv.member, loc)[1]:
            v.append(_bad("storage right", f"{mv.id}/{loc}/day {day}", inv,
                          f"{mv.member} holds materiel overnight without a storage right"))
        if last and inv > eps:
            v.append(_bad("(1) conservation", f"{mv.id}/{loc}", inv,
                          f"{inv:g} units left at {loc} after the last movement (neither "
                          "moved on nor delivered)"))
    return _Found(v)


def _check_link_capacity(t: _Tally) -> _Found:
    """(4) link capacity: tons entering a link direction a day are at most Cap_a
    (utilisation rows for finite capacities)."""
    v: list[Violation] = []
    util: list[UtilRow] = []
    for (li, o, d_, day), tn in t.arc_tons.items():
        cap = t.params[li].capacity
        if math.isfinite(cap):
            util.append((f"{o}->{d_}", "link", day, tn, cap))
        if t.over(tn, cap):
            v.append(_bad("(4) link capacity", f"{o}->{d_}/day {day}", tn - cap,
                          f"{tn:.6g} t > {cap:.6g} t/day"))
    return _Found(v, util)


def _check_throughput(t: _Tally) -> _Found:
    """(5) throughput: tons departing plus arriving at a location a day are at most
    Thr_v; (5b) member share: a member's part at most kap[m,v] Thr_v."""
    v: list[Violation] = []
    util: list[UtilRow] = []
    for (loc, day), tn in t.loc_tons.items():
        thr = t.locs[loc].throughput_tons_per_day
        util.append((loc, "throughput", day, tn, math.inf if thr is None else thr))
        if thr is not None and t.over(tn, thr):
            v.append(_bad("(5) throughput", f"{loc}/day {day}", tn - thr,
                          f"{tn:.6g} t > {thr:.6g} t/day"))
    for (mem, loc, day), tn in t.loc_member_tons.items():
        share = t.right(mem, loc)[2]
        thr = t.locs[loc].throughput_tons_per_day
        if thr is not None and share < 1.0 and t.over(tn, share * thr):
            v.append(_bad("(5b) throughput share", f"{mem}/{loc}/day {day}", tn - share * thr,
                          f"{tn:.6g} t > {share:g} x {thr:.6g} t/day"))
    return _Found(v, util)


def _check_storage(t: _Tally) -> _Found:
    """(6) storage: tons held overnight at a location are at most Store_v; (6b) member
    share: a member's part at most kap[m,v] Store_v."""
    v: list[Violation] = []
    util: list[UtilRow] = []
    for (loc, day), tn in t.store_tons.items():
        cap = t.locs[loc].storage_tons
        util.append((loc, "storage", day, tn, math.inf if cap is None else cap))
        if cap is not None and t.over(tn, cap):
            v.append(_bad("(6) storage", f"{loc}/day {day}", tn - cap,
                          f"{tn:.6g} t > {cap:.6g} t"))
    for (mem, loc, day), tn in t.store_member.items():
        share = t.right(mem, loc)[2]
        cap = t.locs[loc].storage_tons
        if cap is not None and share < 1.0 and t.over(tn, share * cap):
            v.append(_bad("(6b) storage share", f"{mem}/{loc}/day {day}", tn - share * cap,
                          f"{tn:.6g} t > {share:g} x {cap:.6g} t"))
    return _Found(v, util)


def _check_sorties(t: _Tally) -> _Found:
    """Records (section 9), sorties: known fleet and link; a direction the link
    allows; within the horizon; a whole number; the fleet's mode is the link's; an owned
    fleet serves only its owner; a pooled fleet with entitlements only members with one
    (reported as (9) entitlement)."""
    v: list[Violation] = []
    for so in t.plan.sorties:
        error = _sortie_error(t.lg, t.fleets, so)
        where = f"{so.lift}/{so.member}/{so.origin}->{so.destination}/day {so.depart_day}"
        if error is not None:
            v.append(_bad("sortie", so.lift if error == UNKNOWN_SORTIE else where, so.count,
                          error))
            continue
        f = t.fleets[so.lift]
        mode = t.lg.links[so.link].mode
        if so.depart_day < 0 or so.depart_day + t.params[so.link].days >= t.horizon:
            v.append(_bad("window", where, so.count, "sortie outside the horizon"))
        if so.count < 0 or abs(so.count - round(so.count)) > t.tol:
            v.append(_bad("integrality", where, so.count,
                          f"{so.count} sorties is not a whole number"))
        if mode != f.mode:
            v.append(_bad("sortie", where, so.count, f"a {f.mode} asset on a {mode} link"))
        if f.owner is not None and f.owner != so.member:
            v.append(_bad("sortie", where, so.count, f"{so.member} uses {f.owner}'s fleet"))
        if f.owner is None and f.entitlements and f.entitlements.get(so.member, 0.0) <= 0:
            v.append(_bad("(9) entitlement", where, so.count,
                          f"{so.member} has no share of {f.id}"))
    return _Found(v)


def _check_lift_payload(t: _Tally) -> _Found:
    """(7) lift payload: on a mode that has fleets, a member's tons on a link direction a
    day are at most the payload of its sorties there."""
    v: list[Violation] = []
    lift_modes = {f.mode for f in t.lg.lift}
    for key, tn in t.member_mode_tons.items():
        mem, li, o, d_, day = key
        room = t.payload.get(key, 0.0)
        if t.lg.links[li].mode in lift_modes and t.over(tn, room):
            v.append(_bad("(7) lift payload", f"{mem}/{o}->{d_}/day {day}", tn - room,
                          f"{tn:.6g} t carried on {room:.6g} t of sorties"))
    return _Found(v)


def _check_fleet(t: _Tally) -> _Found:
    """(8) fleet: vehicles busy a day (max(1, 2 tau) days per sortie, 1/sorties_per_day of
    one on a same-day hop) are at most N_f (utilisation rows for every busy day)."""
    v: list[Violation] = []
    util: list[UtilRow] = []
    for (fid, day), b in t.busy.items():
        n = t.fleets[fid].available
        util.append((fid, "fleet", day, b, float(n)))
        if t.over(b, n):
            v.append(_bad("(8) fleet", f"{fid}/day {day}", b - n,
                          f"{b:.6g} vehicles busy > {n} available"))
    return _Found(v, util)


def _check_entitlement(t: _Tally) -> _Found:
    """(9) entitlement: a member's sorties on a pooled fleet with entitlements are at most
    E[f,m] in total."""
    v: list[Violation] = []
    for (fid, mem), u in t.used.items():
        f = t.fleets[fid]
        if f.owner is None and f.entitlements and t.over(u, f.entitlements.get(mem, 0.0)):
            v.append(_bad("(9) entitlement", f"{fid}/{mem}", u - f.entitlements.get(mem, 0.0),
                          f"{u:g} sorties > entitlement {f.entitlements.get(mem, 0.0):g}"))
    return _Found(v)


def _check_mog(t: _Tally) -> _Found:
    """(10) MOG: air landings, and separately departures, at an airbase a day are at most
    MOG_v x turns per day (utilisation rows for airbases with a MOG)."""
    v: list[Violation] = []
    util: list[UtilRow] = []
    for name, counts in (("landings", t.landings), ("departures", t.takeoffs)):
        for (loc, day), k in counts.items():
            lo = t.locs[loc]
            if lo.mog is not None:
                cap = lo.mog * lo.turns_per_day
                util.append((loc, f"MOG {name}", day, k, cap))
                if t.over(k, cap):
                    v.append(_bad("(10) MOG", f"{loc}/day {day}", k - cap, f"{k:g} {name} > "
                                  f"MOG {lo.mog} x {lo.turns_per_day:g} turns"))
    return _Found(v, util)


def _check_demand(t: _Tally) -> _Found:
    """(2) demand: a movement delivers at most q_r units in all."""
    v: list[Violation] = []
    for mv in t.lg.movements:
        got = t.delivered.get(mv.id, [])
        total = sum(q for d, q in got if d <= mv.lad) + sum(q for d, q in got if d > mv.lad)
        if t.over(total, mv.quantity):
            v.append(_bad("(2) demand", mv.id, total - mv.quantity,
                          f"delivers {total:g} > {mv.quantity:g}"))
    return _Found(v)


# the families in the order they report
_FAMILIES: tuple[Callable[[_Tally], _Found], ...] = (
    _check_moves, _check_draws, _check_stock, _check_deliveries, _check_conservation,
    _check_link_capacity, _check_throughput, _check_storage, _check_sorties, _check_lift_payload,
    _check_fleet, _check_entitlement, _check_mog, _check_demand)


# -- closure ---------------------------------------------------------------------------

class _Closure(NamedTuple):
    rows: list[tuple[str, str, str, int, float, float, float, float, float, int, str]]
    late_ton_days: float
    short_tons: float
    short_priority_tons: float


def _closure(t: _Tally) -> _Closure:
    """Per movement: on-time (by LAD), late and short units, the most days late and a
    status; lateness weighted by tons and priority."""
    rows = []
    late_ton_days = short_tons = short_prio = 0.0
    for mv in t.lg.movements:
        w = t.tons[mv.item]
        got = t.delivered.get(mv.id, [])
        on_time = sum(q for d, q in got if d <= mv.lad)
        late = sum(q for d, q in got if d > mv.lad)
        short = max(0.0, mv.quantity - (on_time + late))
        short = 0.0 if short <= t.tol * max(1.0, mv.quantity) else short
        max_late = max([d - mv.lad for d, q in got if d > mv.lad and q > t.tol], default=0)
        late_ton_days += sum(q * w * (d - mv.lad) * mv.priority for d, q in got if d > mv.lad)
        short_tons += short * w
        short_prio += short * w * mv.priority
        status = "short" if short > 0 else ("late" if late > t.tol else "on time")
        rows.append((mv.id, mv.member, mv.item, mv.priority, mv.quantity,
                     mv.quantity * w, on_time, late, short, max_late, status))
    return _Closure(rows, late_ton_days, short_tons, short_prio)

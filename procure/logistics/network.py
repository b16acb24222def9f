"""Compile the logistics part of a scenario into arcs, commodities and reachable windows.

Index sets of ``models/logistics.md``: locations V, directed arcs A (each link one or
two arcs, transit time and cost derived from great-circle distance when not given),
commodities R (one per movement requirement), sources S_r (stocks movement r may
draw: the member's own, or a cross-servicing provider's for that item), and for
each r the locations it may touch (basing rights) and the days it can be at each
(earliest arrival from its sources, latest departure that still reaches its
destination by RDD) — so variables are generated only where they can be non-zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from procure.geo import great_circle_km
from procure.lp.model import BoolArray, FloatArray, IntArray
from procure.schema.scenario import Scenario

NEVER = 1_000_000  # "unreachable" day


@dataclass(frozen=True)
class Network:
    """Arrays of the time-expanded movement model (notation of ``models/logistics.md``)."""

    scenario: Scenario
    days: int  # H: days 0..H-1
    location_ids: list[str]
    member_ids: list[str]
    item_ids: list[str]
    # arcs a in A
    arc_from: IntArray
    arc_to: IntArray
    arc_mode: list[str]
    arc_days: IntArray  # tau_a
    arc_cost: FloatArray  # cost per ton
    arc_cap: FloatArray  # tons per day (inf: unlimited)
    arc_link: IntArray  # index of the scenario link
    # rights: may member m use location v for transit / storage
    transit: BoolArray  # (M, V)
    storage: BoolArray  # (M, V)
    share_cap: FloatArray  # (M, V) max share of throughput/storage (1: none)
    # location capacities (inf: unlimited)
    loc_thr: FloatArray  # Thr_v, tons per day
    loc_store: FloatArray  # Store_v, tons
    loc_mog: FloatArray  # MOG_v = mog x turns per day (airbases with a mog)
    # commodities r in R (movements)
    mv_member: IntArray
    mv_tons: FloatArray  # unit weight w_r
    mv_qty: FloatArray
    mv_dest: IntArray
    mv_ald: IntArray
    mv_ead: IntArray
    mv_lad: IntArray
    mv_rdd: IntArray
    mv_priority: FloatArray
    # sources: (movement, stock) pairs with the unit price of the draw
    src_mv: IntArray
    src_stock: IntArray
    src_loc: IntArray
    src_price: FloatArray
    stock_qty: FloatArray
    # reach: earliest day r can be at v, latest day it can leave v and still arrive
    earliest: IntArray  # (R, V)
    latest: IntArray  # (R, V)
    late_weight: float  # per ton, day late and priority level
    short_weight: float  # per ton not delivered

    @property
    def num_arcs(self) -> int:
        return int(self.arc_from.size)


@dataclass(frozen=True)
class LinkParams:
    """A link's transit days, cost per ton and capacity (tons per day, inf: unlimited)."""

    days: int
    cost_per_ton: float
    capacity: float


def link_params(s: Scenario) -> list[LinkParams]:
    """Parameters of every link: as given, or transit = ceil(km / speed) (at least the
    mode's minimum) and cost = km x cost per ton-km from great-circle distance."""
    lg = s.logistics
    assert lg is not None
    locs = {loc.id: loc for loc in lg.locations}
    out = []
    for ln in lg.links:
        a, b = locs[ln.origin], locs[ln.destination]
        md = lg.mode_defaults(ln.mode)
        km = float(great_circle_km(a.lat, a.lon, b.lat, b.lon))
        days = ln.transit_days if ln.transit_days is not None else max(
            md.min_transit_days, math.ceil(km / md.speed_km_per_day))
        cost = ln.cost_per_ton if ln.cost_per_ton is not None else km * md.cost_per_ton_km
        cap = math.inf if ln.capacity_tons_per_day is None else ln.capacity_tons_per_day
        out.append(LinkParams(int(days), float(cost), float(cap)))
    return out


def penalty_weights(s: Scenario) -> tuple[float, float]:
    """Objective weights (models/logistics.md): per ton, day late and priority level, a
    weight above the cost of moving that ton along any simple route (the sum of every
    link's cost per ton) plus the dearest draw price per ton; per ton short and priority
    level, a weight above the largest lateness of that ton (horizon x top priority)."""
    lg = s.logistics
    assert lg is not None
    tons = {it.id: it.unit_tons for it in lg.items}
    lightest = min(tons.values())
    sortie = {mode: max([f.cost_per_sortie for f in lg.lift if f.mode == mode], default=0.0)
              for mode in ("air", "sea", "rail", "road")}
    # both directions of every link, each with its dearest sortie carrying the lightest unit
    route = sum(2 * (p.cost_per_ton + sortie[ln.mode] / lightest)
                for p, ln in zip(link_params(s), lg.links, strict=True))
    price = max([cs.price_per_unit / lightest for cs in lg.cross_servicing], default=0.0)
    late = (lg.late_penalty_per_ton_day if lg.late_penalty_per_ton_day is not None
            else 1.0 + route + price)
    top = max([m.priority for m in lg.movements], default=1)
    short = (lg.shortfall_penalty_per_ton if lg.shortfall_penalty_per_ton is not None
             else late * (1.0 + top * lg.horizon_days))
    return float(late), float(short)


def link_transit_days(s: Scenario) -> list[int]:
    return [p.days for p in link_params(s)]


ArcTuple = tuple[int, int, str, int, float, float, int]


def _arcs(s: Scenario, loc_pos: dict[str, int]) -> list[ArcTuple]:
    """One arc per link direction: (from, to, mode, days, cost per ton, tons/day, link)."""
    lg = s.logistics
    assert lg is not None
    out: list[ArcTuple] = []
    for li, (ln, par) in enumerate(zip(lg.links, link_params(s), strict=True)):
        ends = [(ln.origin, ln.destination)] + ([(ln.destination, ln.origin)]
                                               if ln.bidirectional else [])
        for o, d in ends:
            out.append((loc_pos[o], loc_pos[d], ln.mode, par.days, par.cost_per_ton,
                        par.capacity, li))
    return out


def _reach(n_loc: int, frm: IntArray, to: IntArray, tau: IntArray, start: IntArray,
           allowed: BoolArray) -> IntArray:
    """Earliest day at each location from ``start`` days (Bellman-Ford, vectorised)."""
    d = start.copy()
    ok = allowed[frm] & allowed[to]
    f, t, w = frm[ok], to[ok], tau[ok]
    for _ in range(n_loc):
        cand = d[f] + w
        new = d.copy()
        np.minimum.at(new, t, cand)
        new[~allowed] = NEVER
        if np.array_equal(new, d):
            break
        d = new
    return d


def _finite_or_inf(values: list[float | None]) -> FloatArray:
    return np.array([np.inf if v is None else float(v) for v in values], dtype=np.float64)


def compile_network(s: Scenario) -> Network:
    """Index the logistics data of ``s`` (which must have a ``logistics`` section)."""
    lg = s.logistics
    if lg is None:
        raise ValueError("scenario has no logistics section")
    locs = [loc.id for loc in lg.locations]
    vpos = {v: i for i, v in enumerate(locs)}
    members = [m.id for m in s.members]
    mpos = {m: i for i, m in enumerate(members)}
    items = {it.id: it for it in lg.items}
    n_v, n_m, horizon = len(locs), len(members), lg.horizon_days

    arcs = _arcs(s, vpos)
    arc_from = np.array([a[0] for a in arcs], dtype=np.int64)
    arc_to = np.array([a[1] for a in arcs], dtype=np.int64)
    arc_days = np.array([a[3] for a in arcs], dtype=np.int64)

    transit = np.zeros((n_m, n_v), dtype=np.bool_)
    storage = np.zeros((n_m, n_v), dtype=np.bool_)
    share = np.ones((n_m, n_v))
    for br in lg.basing_rights:
        i, v = mpos[br.member], vpos[br.location]
        transit[i, v] |= br.transit
        storage[i, v] |= br.storage
        if br.max_share is not None:
            share[i, v] = min(share[i, v], br.max_share)

    mvs = lg.movements
    mv_member = np.array([mpos[m.member] for m in mvs], dtype=np.int64)
    # sources: own stocks, or a cross-servicing provider's for that item
    xs: dict[tuple[str, str], list[tuple[list[str] | None, float]]] = {}
    for cs in lg.cross_servicing:
        xs.setdefault((cs.provider, cs.receiver), []).append((cs.items, cs.price_per_unit))
    src: list[tuple[int, int, int, float]] = []
    for r, mv in enumerate(mvs):
        for si, st in enumerate(lg.stocks):
            if st.item != mv.item or st.quantity <= 0:
                continue
            if mv.origin is not None and st.location != mv.origin:
                continue
            if not transit[mpos[mv.member], vpos[st.location]]:
                continue  # its materiel may not touch that location
            if st.owner == mv.member:
                src.append((r, si, vpos[st.location], 0.0))
                continue
            prices = [p for its, p in xs.get((st.owner, mv.member), [])
                      if its is None or mv.item in its]
            if prices:
                src.append((r, si, vpos[st.location], min(prices)))
    src_mv = np.array([x[0] for x in src], dtype=np.int64)
    src_loc = np.array([x[2] for x in src], dtype=np.int64)

    n_r = len(mvs)
    earliest = np.full((n_r, n_v), NEVER, dtype=np.int64)
    latest = np.full((n_r, n_v), -NEVER, dtype=np.int64)
    for r, mv in enumerate(mvs):
        allowed = transit[mpos[mv.member]]
        start = np.full(n_v, NEVER, dtype=np.int64)
        start[src_loc[src_mv == r]] = mv.ald
        earliest[r] = _reach(n_v, arc_from, arc_to, arc_days, start, allowed)
        # latest departure: reverse reach from the destination at RDD (negated days)
        end = np.full(n_v, NEVER, dtype=np.int64)
        end[vpos[mv.destination]] = -mv.rdd
        latest[r] = -_reach(n_v, arc_to, arc_from, arc_days, end, allowed)

    arc_cost = np.array([a[4] for a in arcs], dtype=np.float64)
    w = np.array([items[m.item].unit_tons for m in mvs], dtype=np.float64)
    prio = np.array([m.priority for m in mvs], dtype=np.float64)
    src_price = np.array([x[3] for x in src], dtype=np.float64)
    late, short = penalty_weights(s)
    return Network(
        scenario=s, days=horizon, location_ids=locs, member_ids=members,
        item_ids=list(items), arc_from=arc_from, arc_to=arc_to,
        arc_mode=[a[2] for a in arcs], arc_days=arc_days, arc_cost=arc_cost,
        arc_cap=np.array([a[5] for a in arcs], dtype=np.float64),
        arc_link=np.array([a[6] for a in arcs], dtype=np.int64),
        transit=transit, storage=storage, share_cap=share,
        loc_thr=_finite_or_inf([loc.throughput_tons_per_day for loc in lg.locations]),
        loc_store=_finite_or_inf([loc.storage_tons for loc in lg.locations]),
        loc_mog=_finite_or_inf([None if loc.mog is None else loc.mog * loc.turns_per_day
                                for loc in lg.locations]),
        mv_member=mv_member, mv_tons=w, mv_qty=np.array([m.quantity for m in mvs]),
        mv_dest=np.array([vpos[m.destination] for m in mvs], dtype=np.int64),
        mv_ald=np.array([m.ald for m in mvs], dtype=np.int64),
        mv_ead=np.array([m.ead for m in mvs], dtype=np.int64),
        mv_lad=np.array([m.lad for m in mvs], dtype=np.int64),
        mv_rdd=np.array([m.rdd for m in mvs], dtype=np.int64),
        mv_priority=prio,
        src_mv=src_mv, src_stock=np.array([x[1] for x in src], dtype=np.int64),
        src_loc=src_loc, src_price=src_price,
        stock_qty=np.array([st.quantity for st in lg.stocks], dtype=np.float64),
        earliest=earliest, latest=latest, late_weight=float(late), short_weight=float(short),
    )

"""Compile the logistics part of a scenario into the arrays of ``models/logistics.md``.

The compiled object is what the formulation reads, and all it reads: numpy arrays
and identifiers, nothing of the pydantic scenario. Index sets (section 2): locations
V, members M, links L and the directed arcs A (one per link direction), commodities
R (one per movement), sources S_r (stocks movement r may draw: its member's own, or a
cross-servicing provider's for that item), fleets F with their users U_f, and for
each r the days it can be at each location (the reach e[r,v], l[r,v]), so variables
are generated only where they can be non-zero. Parameters (section 3): the link
parameters tau_l, c_l, Cap_l (computed once, by :func:`link_params`), location
capacities, rights and shares, fleet data and the objective weights Lw, Sw.

:func:`link_params` and :func:`penalty_weights` also serve the independent evaluator,
which recomputes them from the scenario without the formulation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import get_args

import numpy as np

from procure.geo import great_circle_km
from procure.lp.index import group, match_keys, within_runs
from procure.lp.model import BoolArray, FloatArray, IntArray
from procure.schema.logistics import Logistics, Mode
from procure.schema.scenario import Scenario

NEVER = 1_000_000  # "unreachable" day
MODES: tuple[str, ...] = get_args(Mode)  # arc_mode, link_mode and fleet_mode index this
NO_OWNER = -1  # fleet_owner of a pooled fleet


@dataclass(frozen=True)
class Compiled:
    """Index sets and parameters of the movement model (notation of
    ``models/logistics.md``, sections 2 and 3), as arrays. Sizes: |V| locations, |M|
    members, |L| links, |A| arcs, |R| movements, |Sig| stocks, |F| fleets; inf means
    "no limit"."""

    days: int  # H: days 0..H-1
    location_ids: tuple[str, ...]  # V
    member_ids: tuple[str, ...]  # M
    item_ids: tuple[str, ...]  # I
    movement_ids: tuple[str, ...]  # R
    fleet_ids: tuple[str, ...]  # F
    # links l in L (link_params, computed once): ends, mode, tau_l, c_l, Cap_l
    link_from: IntArray
    link_to: IntArray
    link_mode: IntArray  # index into MODES
    link_days: IntArray  # tau_l, transit days
    link_cost: FloatArray  # c_l, cost per ton
    link_cap: FloatArray  # Cap_l, tons per day
    # arcs a in A: each link's direction(s), with its link's tau, c and Cap
    arc_from: IntArray  # o(a)
    arc_to: IntArray  # d(a)
    arc_mode: IntArray  # mode(a), index into MODES
    arc_days: IntArray  # tau_a
    arc_cost: FloatArray  # c_a, cost per ton
    arc_cap: FloatArray  # Cap_a, tons per day
    arc_link: IntArray  # l(a), index of the scenario link
    # rights: may member m use location v for transit (Tr(m)) / storage (St(m))
    transit: BoolArray  # (M, V)
    storage: BoolArray  # (M, V)
    share_cap: FloatArray  # kap[m,v], (M, V): max share of throughput/storage (1: none)
    # location capacities
    loc_thr: FloatArray  # Thr_v, tons per day
    loc_store: FloatArray  # Store_v, tons
    loc_mog: FloatArray  # MOG_v = mog x turns per day (airbases with a mog)
    # commodities r in R (movements)
    mv_member: IntArray  # m_r
    mv_tons: FloatArray  # w_r, tons per unit of i_r
    mv_qty: FloatArray  # q_r
    mv_dest: IntArray  # dest_r
    mv_ald: IntArray
    mv_ead: IntArray
    mv_lad: IntArray
    mv_rdd: IntArray
    mv_priority: FloatArray  # pi_r
    # sources: the pairs (r, sig in S_r), with the unit price p[r,sig] of the draw
    src_mv: IntArray
    src_stock: IntArray
    src_loc: IntArray  # loc(sig)
    src_price: FloatArray
    stock_qty: FloatArray  # Q_sig, (Sig,)
    # reach: earliest day r can be at v, latest day it can be at v and still arrive
    earliest: IntArray  # e[r,v], (R, V); NEVER: unreachable
    latest: IntArray  # l[r,v], (R, V); -NEVER: cannot reach dest_r by RDD_r
    # lift fleets f in F
    fleet_mode: IntArray  # mode(f), index into MODES
    fleet_payload: FloatArray  # P_f, tons
    fleet_available: FloatArray  # N_f, vehicles each day
    fleet_sorties_per_day: FloatArray  # rho_f
    fleet_cost: FloatArray  # C_f, per sortie
    fleet_owner: IntArray  # member index, NO_OWNER (-1) for a pooled fleet
    # E[f,m], (F, M): sorties m may use over the plan; inf where no (9) row limits m (an
    # owned fleet's owner, every member of a pooled fleet without entitlements), 0 where
    # m may not use f at all
    fleet_entitlement: FloatArray
    fleet_users: BoolArray  # (F, M): m in U_f
    mode_has_lift: BoolArray  # (len(MODES),): mode in Modes(F)
    # objective weights (section 3)
    late_weight: float  # Lw, per ton, day late and priority level
    short_weight: float  # Sw, per ton short and priority level

    @property
    def num_arcs(self) -> int:
        return int(self.arc_from.size)

    @property
    def num_fleets(self) -> int:
        return int(self.fleet_mode.size)


@dataclass(frozen=True)
class LinkParams:
    """A link's transit days, cost per ton and capacity (tons per day, inf: unlimited)."""

    days: int
    cost_per_ton: float
    capacity: float


def link_params(s: Scenario) -> list[LinkParams]:
    """tau_l, c_l and Cap_l of every link (models/logistics.md, section 3): as given, or
    tau_l = max(min_transit_days, ceil(km_l / speed)) and c_l = km_l x cost per ton-km of
    the link's mode, from the great-circle distance km_l; Cap_l = inf when not given."""
    lg = s.logistics
    if lg is None:
        raise ValueError("scenario has no logistics section")
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


def penalty_weights(s: Scenario, params: Sequence[LinkParams]) -> tuple[float, float]:
    """Objective weights (Lw, Sw) of models/logistics.md, section 3, from the scenario and
    its link parameters ``params`` (:func:`link_params`, one per link):

        Route = sum_l 2 (c_l + max_{f of mode(l)} C_f / min_i w_i)
        Price = max_{agreements} price_per_unit / min_i w_i      (0 without agreements)
        Lw    = late_penalty_per_ton_day  else  1 + Route + Price
        Sw    = shortfall_penalty_per_ton else  Lw (1 + pi_max H)

    so a ton one day less late is worth more than its transport and draw on any simple
    route, and a ton delivered, however late, more than its lateness."""
    lg = s.logistics
    if lg is None:
        raise ValueError("scenario has no logistics section")
    lightest = min(it.unit_tons for it in lg.items)
    sortie = {mode: max([f.cost_per_sortie for f in lg.lift if f.mode == mode], default=0.0)
              for mode in MODES}
    # both directions of every link, each with its dearest sortie carrying the lightest unit
    route = sum(2 * (p.cost_per_ton + sortie[ln.mode] / lightest)
                for p, ln in zip(params, lg.links, strict=True))
    price = max([cs.price_per_unit / lightest for cs in lg.cross_servicing], default=0.0)
    late = (lg.late_penalty_per_ton_day if lg.late_penalty_per_ton_day is not None
            else 1.0 + route + price)
    top = max([m.priority for m in lg.movements], default=1)
    short = (lg.shortfall_penalty_per_ton if lg.shortfall_penalty_per_ton is not None
             else late * (1.0 + top * lg.horizon_days))
    return float(late), float(short)


def link_transit_days(s: Scenario) -> list[int]:
    """tau_l of every link (:func:`link_params`)."""
    return [p.days for p in link_params(s)]


def _reach(n_loc: int, frm: IntArray, to: IntArray, tau: IntArray, start: IntArray,
           allowed: BoolArray) -> IntArray:
    """Earliest day at each location from ``start`` days over the arcs with both ends
    ``allowed``: d[v] = min(start[v], min_{a: to(a) = v} d[frm(a)] + tau_a), by
    Bellman-Ford rounds (vectorised over arcs; tau >= 0, so |V| rounds suffice)."""
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


def _finite_or_inf(values: Sequence[float | None]) -> FloatArray:
    return np.array([np.inf if v is None else float(v) for v in values], dtype=np.float64)


def _ints(values: Sequence[int]) -> IntArray:
    return np.array(values, dtype=np.int64).reshape(-1)


def _floats(values: Sequence[float]) -> FloatArray:
    return np.array(values, dtype=np.float64).reshape(-1)


def _sources(lg: Logistics, vpos: dict[str, int], mpos: dict[str, int],
             ipos: dict[str, int], transit: BoolArray) -> tuple[IntArray, IntArray, FloatArray]:
    """S_r and p[r,sig] (sections 2 and 3): the (movement r, stock sig) pairs with item
    i_r, Q_sig > 0, loc(sig) = org_r when r has an origin, loc(sig) in Tr(m_r), and owner
    m_r (price 0) or a provider with an agreement for m_r and i_r (the cheapest price).
    Pairs in order of r, then sig."""
    n_m, n_i = len(mpos), len(ipos)
    mvs, stocks = lg.movements, lg.stocks
    mv_item = _ints([ipos[m.item] for m in mvs])
    mv_member = _ints([mpos[m.member] for m in mvs])
    mv_origin = _ints([-1 if m.origin is None else vpos[m.origin] for m in mvs])
    st_item = _ints([ipos[st.item] for st in stocks])
    st_owner = _ints([mpos[st.owner] for st in stocks])
    st_loc = _ints([vpos[st.location] for st in stocks])
    st_qty = _floats([st.quantity for st in stocks])
    # agreements by key (provider * |M| + receiver) * |I| + item (no items listed: all)
    key: list[int] = []
    price: list[float] = []
    for cs in lg.cross_servicing:
        pr = mpos[cs.provider] * n_m + mpos[cs.receiver]
        its = range(n_i) if cs.items is None else [ipos[i] for i in cs.items]
        key.extend(pr * n_i + i for i in its)
        price.extend(cs.price_per_unit for _ in its)
    rows, uniq = group(_ints(key))
    cheapest = np.full(uniq.size, np.inf)  # the cheapest agreement of each key
    np.minimum.at(cheapest, rows, _floats(price))

    r, sig = match_keys(mv_item, st_item)  # same item, in order of r then sig
    m, loc = mv_member[r], st_loc[sig]
    ok = (st_qty[sig] > 0) & ((mv_origin[r] < 0) | (loc == mv_origin[r])) & transit[m, loc]
    r, sig, m = r[ok], sig[ok], m[ok]
    k = (st_owner[sig] * n_m + m) * n_i + mv_item[r]
    at = np.searchsorted(uniq, k)
    hit = at < uniq.size
    hit[hit] = uniq[at[hit]] == k[hit]
    p = np.full(k.size, np.inf)
    p[hit] = cheapest[at[hit]]
    p[st_owner[sig] == m] = 0.0  # own stock: free, with or without an agreement
    ok = np.isfinite(p)
    return r[ok], sig[ok], p[ok]


def compile_scenario(s: Scenario) -> Compiled:
    """Index the logistics data of ``s`` (which must have a ``logistics`` section) into
    the arrays of :class:`Compiled`; the link parameters are computed once."""
    lg = s.logistics
    if lg is None:
        raise ValueError("scenario has no logistics section")
    locs = tuple(loc.id for loc in lg.locations)
    vpos = {v: i for i, v in enumerate(locs)}
    members = tuple(m.id for m in s.members)
    mpos = {m: i for i, m in enumerate(members)}
    items = tuple(it.id for it in lg.items)
    ipos = {it: i for i, it in enumerate(items)}
    mode_pos = {md: i for i, md in enumerate(MODES)}
    n_v, n_m, horizon = len(locs), len(members), lg.horizon_days

    # links l and their arcs: a link's forward arc, then its reverse when bidirectional
    par = link_params(s)
    link_from = _ints([vpos[ln.origin] for ln in lg.links])
    link_to = _ints([vpos[ln.destination] for ln in lg.links])
    link_mode = _ints([mode_pos[ln.mode] for ln in lg.links])
    link_days = _ints([p.days for p in par])
    link_cost = _floats([p.cost_per_ton for p in par])
    link_cap = _floats([p.capacity for p in par])
    ends = 1 + _ints([ln.bidirectional for ln in lg.links])
    arc_link = np.repeat(np.arange(ends.size, dtype=np.int64), ends)
    reverse = within_runs(ends) == 1
    arc_from = np.where(reverse, link_to[arc_link], link_from[arc_link])
    arc_to = np.where(reverse, link_from[arc_link], link_to[arc_link])
    arc_days = link_days[arc_link]

    # rights of one (m, v): transit and storage OR-ed, the smallest max_share
    br_m = _ints([mpos[br.member] for br in lg.basing_rights])
    br_v = _ints([vpos[br.location] for br in lg.basing_rights])
    transit = np.zeros((n_m, n_v), dtype=np.bool_)
    storage = np.zeros((n_m, n_v), dtype=np.bool_)
    share = np.ones((n_m, n_v))
    np.logical_or.at(transit, (br_m, br_v), np.array([br.transit for br in lg.basing_rights],
                                                     dtype=np.bool_))
    np.logical_or.at(storage, (br_m, br_v), np.array([br.storage for br in lg.basing_rights],
                                                     dtype=np.bool_))
    np.minimum.at(share, (br_m, br_v), _floats([1.0 if br.max_share is None else br.max_share
                                                for br in lg.basing_rights]))

    mvs = lg.movements
    mv_member = _ints([mpos[m.member] for m in mvs])
    src_mv, src_stock, src_price = _sources(lg, vpos, mpos, ipos, transit)
    src_loc = _ints([vpos[st.location] for st in lg.stocks])[src_stock]

    # reach (section 2): e from the sources at ALD, l back from dest_r at RDD, over A_r
    n_r = len(mvs)
    earliest = np.full((n_r, n_v), NEVER, dtype=np.int64)
    latest = np.full((n_r, n_v), -NEVER, dtype=np.int64)
    first = np.searchsorted(src_mv, np.arange(n_r + 1))  # r's sources: first[r]:first[r+1]
    for r, mv in enumerate(mvs):
        allowed = transit[mv_member[r]]
        start = np.full(n_v, NEVER, dtype=np.int64)
        start[src_loc[first[r]:first[r + 1]]] = mv.ald
        earliest[r] = _reach(n_v, arc_from, arc_to, arc_days, start, allowed)
        # latest departure: reverse reach from the destination at RDD (negated days)
        end = np.full(n_v, NEVER, dtype=np.int64)
        end[vpos[mv.destination]] = -mv.rdd
        latest[r] = -_reach(n_v, arc_to, arc_from, arc_days, end, allowed)

    # fleets: U_f = {owner} if owned; the members with E[f,m] > 0 if pooled with
    # entitlements; every member if pooled without (an owned fleet has none: schema)
    n_f = len(lg.lift)
    owner = _ints([NO_OWNER if f.owner is None else mpos[f.owner] for f in lg.lift])
    owned = np.flatnonzero(owner >= 0)
    ent = np.zeros((n_f, n_m))
    ent[owner < 0] = np.inf  # pooled: every member, no (9) row ...
    ent[owned, owner[owned]] = np.inf  # owned: the owner, no (9) row
    ef = _ints([f for f, fl in enumerate(lg.lift) for _ in fl.entitlements])
    ent[ef] = 0.0  # ... unless it lists entitlements: then E[f,m], 0 when not listed
    ent[ef, _ints([mpos[m] for fl in lg.lift for m in fl.entitlements])] = _floats(
        [e for fl in lg.lift for e in fl.entitlements.values()])
    fleet_mode = _ints([mode_pos[f.mode] for f in lg.lift])
    has_lift = np.zeros(len(MODES), dtype=np.bool_)
    has_lift[fleet_mode] = True

    late, short = penalty_weights(s, par)
    return Compiled(
        days=horizon, location_ids=locs, member_ids=members, item_ids=items,
        movement_ids=tuple(m.id for m in mvs), fleet_ids=tuple(f.id for f in lg.lift),
        link_from=link_from, link_to=link_to, link_mode=link_mode, link_days=link_days,
        link_cost=link_cost, link_cap=link_cap,
        arc_from=arc_from, arc_to=arc_to, arc_mode=link_mode[arc_link], arc_days=arc_days,
        arc_cost=link_cost[arc_link], arc_cap=link_cap[arc_link], arc_link=arc_link,
        transit=transit, storage=storage, share_cap=share,
        loc_thr=_finite_or_inf([loc.throughput_tons_per_day for loc in lg.locations]),
        loc_store=_finite_or_inf([loc.storage_tons for loc in lg.locations]),
        loc_mog=_finite_or_inf([None if loc.mog is None else loc.mog * loc.turns_per_day
                                for loc in lg.locations]),
        mv_member=mv_member,
        mv_tons=_floats([lg.items[ipos[m.item]].unit_tons for m in mvs]),
        mv_qty=_floats([m.quantity for m in mvs]),
        mv_dest=_ints([vpos[m.destination] for m in mvs]),
        mv_ald=_ints([m.ald for m in mvs]), mv_ead=_ints([m.ead for m in mvs]),
        mv_lad=_ints([m.lad for m in mvs]), mv_rdd=_ints([m.rdd for m in mvs]),
        mv_priority=_floats([m.priority for m in mvs]),
        src_mv=src_mv, src_stock=src_stock, src_loc=src_loc, src_price=src_price,
        stock_qty=_floats([st.quantity for st in lg.stocks]),
        earliest=earliest, latest=latest,
        fleet_mode=fleet_mode, fleet_payload=_floats([f.payload_tons for f in lg.lift]),
        fleet_available=_floats([float(f.available) for f in lg.lift]),
        fleet_sorties_per_day=_floats([f.sorties_per_day for f in lg.lift]),
        fleet_cost=_floats([f.cost_per_sortie for f in lg.lift]),
        fleet_owner=owner, fleet_entitlement=ent, fleet_users=ent > 0,
        mode_has_lift=has_lift, late_weight=late, short_weight=short,
    )

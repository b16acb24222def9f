"""The time-expanded movement MILP of ``models/logistics.md``, built from arrays.

Cells (variables) exist only where they can be non-zero: a movement's flow on an
arc on a day only if its member has transit rights at both ends, the day is after
the earliest it can be at the arc's tail and the arrival before the latest it can
be at the head and still reach its destination by RDD; holds only where it has
storage rights; sorties only for fleets the member may use, on arcs and days
where it has flow cells. Each constraint family is one method named after its
number in the written model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from procure.logistics.network import Network
from procure.lp.index import group as _group
from procure.lp.index import ranges as _ranges
from procure.lp.index import within_runs
from procure.lp.model import (
    FloatArray,
    IntArray,
    LinearModel,
    ModelArrays,
    RowBlock,
    VarBlock,
)


@dataclass(frozen=True)
class Cells:
    """Index arrays of every variable family."""

    flow_mv: IntArray
    flow_arc: IntArray
    flow_day: IntArray
    hold_mv: IntArray
    hold_loc: IntArray
    hold_day: IntArray
    draw_src: IntArray  # index into network sources
    draw_day: IntArray
    del_mv: IntArray
    del_day: IntArray
    sortie_fleet: IntArray
    sortie_member: IntArray
    sortie_arc: IntArray
    sortie_day: IntArray


@dataclass(frozen=True)
class CapacityRows:
    """Which capacity each row of a family is: resource, kind and day (-1: whole plan)."""

    first_row: int
    kind: str
    resource: tuple[str, ...]
    day: IntArray


@dataclass(frozen=True)
class MovementModel:
    """The built model and what is needed to read a solution back."""

    network: Network
    cells: Cells
    model: ModelArrays
    flow: VarBlock
    hold: VarBlock
    draw: VarBlock
    deliver: VarBlock
    short: VarBlock
    sorties: VarBlock
    capacities: tuple[CapacityRows, ...] = ()


def make_cells(n: Network) -> Cells:
    """Generate every variable's index tuple (see the module docstring)."""
    s = n.scenario
    assert s.logistics is not None
    lg = s.logistics
    h = n.days
    n_r, n_a = n.mv_member.size, n.num_arcs
    # flows: (r, a) pairs allowed by rights, then the day range of each
    rr, aa = np.divmod(np.arange(n_r * n_a, dtype=np.int64), n_a)
    ok = n.transit[n.mv_member[rr], n.arc_from[aa]] & n.transit[n.mv_member[rr], n.arc_to[aa]]
    rr, aa = rr[ok], aa[ok]
    lo = np.maximum(n.earliest[rr, n.arc_from[aa]], n.mv_ald[rr])
    hi = np.minimum(n.latest[rr, n.arc_to[aa]] - n.arc_days[aa], h - 1)
    i, day = _ranges(lo, hi)
    flow_mv, flow_arc, flow_day = rr[i], aa[i], day
    # holds: storage right, at v from earliest to latest - 1 (held over to the next day)
    n_v = len(n.location_ids)
    rv, vv = np.divmod(np.arange(n_r * n_v, dtype=np.int64), n_v)
    ok = n.storage[n.mv_member[rv], vv] & n.transit[n.mv_member[rv], vv]
    rv, vv = rv[ok], vv[ok]
    i, day = _ranges(np.maximum(n.earliest[rv, vv], 0), np.minimum(n.latest[rv, vv] - 1, h - 2))
    hold_mv, hold_loc, hold_day = rv[i], vv[i], day
    # draws: from ALD to the latest day the source location can still ship
    src_lat = n.latest[n.src_mv, n.src_loc]
    i, day = _ranges(n.mv_ald[n.src_mv], np.minimum(src_lat, h - 1))
    draw_src, draw_day = i, day
    # deliveries: from max(EAD, earliest arrival) to RDD
    r_all = np.arange(n_r, dtype=np.int64)
    i, day = _ranges(np.maximum(n.mv_ead, n.earliest[r_all, n.mv_dest]),
                     np.minimum(n.mv_rdd, h - 1))
    del_mv, del_day = i, day
    # sorties: fleets of the arc's mode usable by the member, where it has flow cells
    fl_f: list[IntArray] = []
    fl_m: list[IntArray] = []
    fl_a: list[IntArray] = []
    fl_t: list[IntArray] = []
    mode_of = np.array(n.arc_mode)
    _, uniq = _group((n.mv_member[flow_mv] * n_a + flow_arc) * h + flow_day)
    um, rest = np.divmod(uniq, n_a * h)
    ua, ut = np.divmod(rest, h)
    mpos = {m: i for i, m in enumerate(n.member_ids)}
    for f, fleet in enumerate(lg.lift):
        # an owned fleet serves its owner; a pooled one the members with an entitlement
        # (every member when it lists none)
        users = np.zeros(len(n.member_ids), dtype=np.bool_)
        if fleet.owner is not None:
            users[mpos[fleet.owner]] = True
        elif not fleet.entitlements:
            users[:] = True
        for m, ent in fleet.entitlements.items():
            users[mpos[m]] = ent > 0
        sel = users[um] & (mode_of[ua] == fleet.mode) if ua.size else np.zeros(0, np.bool_)
        fl_f.append(np.full(int(sel.sum()), f, dtype=np.int64))
        fl_m.append(um[sel])
        fl_a.append(ua[sel])
        fl_t.append(ut[sel])

    def cat(parts: list[IntArray]) -> IntArray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    return Cells(flow_mv, flow_arc, flow_day, hold_mv, hold_loc, hold_day, draw_src, draw_day,
                 del_mv, del_day, cat(fl_f), cat(fl_m), cat(fl_a), cat(fl_t))


@dataclass(frozen=True)
class LiftLinks:
    """How flows on lift arcs meet sorties in (7), and how much a sortie can be asked to
    carry there (models/logistics.md, section 6, (7) and (7b)).

    Lr[r,a,t] (``cell_load``) bounds the tons of movement r on arc a on day t: all of r,
    the link capacity, and r's member's share of the throughput at either end.
    Lm[m,a,t] (``group_load``) bounds the tons of all of member m's movements there.
    """

    cells: IntArray  # flow cells on arcs whose mode has lift
    group: IntArray  # (7) row (member, arc, day) of each of those cells
    sortie_group: IntArray  # (7) row of each sortie (-1: none)
    cell_load: FloatArray  # Lr[r,a,t] for each of ``cells``
    group_load: FloatArray  # Lm[m,a,t] for each (7) row


def _room(n: Network) -> FloatArray:
    """Room[m,a] (an |M| x |A| table): tons of member m's cargo that can enter arc a on
    one day, by the link capacity and m's share of the throughput at either end."""
    thr = np.where(np.isfinite(n.loc_thr), n.loc_thr * n.share_cap, np.inf)  # (M, V)
    out: FloatArray = np.minimum(n.arc_cap[None, :],
                                 np.minimum(thr[:, n.arc_from], thr[:, n.arc_to]))
    return out


def _pairs(group: IntArray, sortie_group: IntArray, n_groups: int) -> tuple[IntArray, IntArray]:
    """Every (flow cell i, sortie j) of the same (7) row: group[i] == sortie_group[j]."""
    order = np.argsort(sortie_group, kind="stable")
    count = np.bincount(sortie_group[sortie_group >= 0], minlength=n_groups)
    first = np.cumsum(count) - count + int((sortie_group < 0).sum())
    k = count[group]
    i = np.repeat(np.arange(group.size, dtype=np.int64), k)
    return i, order[np.repeat(first[group], k) + within_runs(k)]


def lift_links(n: Network, c: Cells) -> LiftLinks:
    """Group the flow cells on lift arcs by (member, arc, day) and bound their loads."""
    lg = n.scenario.logistics
    assert lg is not None
    h, n_a = n.days, n.num_arcs
    lift_modes = sorted({f.mode for f in lg.lift})
    cells = np.flatnonzero(np.isin(np.array(n.arc_mode)[c.flow_arc], lift_modes))
    r, a = c.flow_mv[cells], c.flow_arc[cells]
    mem = n.mv_member[r]
    group, uniq = _group((mem * n_a + a) * h + c.flow_day[cells])
    key_s = (c.sortie_member * n_a + c.sortie_arc) * h + c.sortie_day
    pos = np.minimum(np.searchsorted(uniq, key_s), max(uniq.size - 1, 0))
    found = uniq[pos] == key_s if uniq.size else np.zeros(key_s.size, dtype=np.bool_)
    sortie_group = np.where(found, pos, -1)
    room = _room(n)[mem, a]
    everything = n.mv_tons[r] * n.mv_qty[r]
    group_room = np.empty(uniq.size)
    group_room[group] = room  # a function of (member, arc): the same for a whole group
    group_load = np.minimum(np.bincount(group, weights=everything, minlength=uniq.size),
                            group_room)
    return LiftLinks(cells, group, sortie_group, np.minimum(everything, room), group_load)


@dataclass
class _Builder:
    n: Network
    c: Cells
    links: LiftLinks
    m: LinearModel
    flow: VarBlock
    hold: VarBlock
    draw: VarBlock
    deliver: VarBlock
    short: VarBlock
    sorties: VarBlock
    capacities: list[CapacityRows]

    def _label(self, block: RowBlock, kind: str, resource: list[str], day: IntArray) -> None:
        """Remember what each row of a capacity family limits (for shadow prices)."""
        self.capacities.append(CapacityRows(block.start, kind, tuple(resource),
                                            np.asarray(day, dtype=np.int64)))

    def conservation(self) -> None:
        """(1) per movement r, location v, day t: inflow + held-in + drawn = outflow +
        held-out + delivered."""
        n, c = self.n, self.c
        n_v, h = len(n.location_ids), n.days

        def node(r: IntArray, v: IntArray, t: IntArray) -> IntArray:
            return (r * n_v + v) * h + t

        keys = np.concatenate([
            node(c.flow_mv, n.arc_from[c.flow_arc], c.flow_day),  # leaves the tail
            node(c.flow_mv, n.arc_to[c.flow_arc], c.flow_day + n.arc_days[c.flow_arc]),
            node(c.hold_mv, c.hold_loc, c.hold_day),  # held over from t ...
            node(c.hold_mv, c.hold_loc, c.hold_day + 1),  # ... to t + 1
            node(n.src_mv[c.draw_src], n.src_loc[c.draw_src], c.draw_day),
            node(c.del_mv, n.mv_dest[c.del_mv], c.del_day),
        ])
        cols = np.concatenate([self.flow.index, self.flow.index, self.hold.index,
                               self.hold.index, self.draw.index, self.deliver.index])
        nf, nh = self.flow.size, self.hold.size
        vals = np.concatenate([-np.ones(nf), np.ones(nf), -np.ones(nh), np.ones(nh),
                               np.ones(self.draw.size), -np.ones(self.deliver.size)])
        rows, uniq = _group(keys)
        self.m.add_constraints("(1) conservation", uniq.size, rows, cols, vals,
                               lower=0.0, upper=0.0)

    def demand(self) -> None:
        """(2) sum_t deliver[r, t] + short[r] = q_r."""
        n, c = self.n, self.c
        n_r = n.mv_member.size
        self.m.add_constraints("(2) demand", n_r, np.concatenate([c.del_mv, np.arange(n_r)]),
                               np.concatenate([self.deliver.index, self.short.index]), 1.0,
                               lower=n.mv_qty, upper=n.mv_qty)

    def stocks(self) -> None:
        """(3) sum_{r, t} draw[r, s, t] <= stock_s."""
        n, c = self.n, self.c
        stock = n.src_stock[c.draw_src]
        rows, uniq = _group(stock)
        blk = self.m.add_constraints("(3) stock", uniq.size, rows, self.draw.index, 1.0,
                                     upper=n.stock_qty[uniq])
        self._label(blk, "stock", [f"stock {int(s)}" for s in uniq], np.full(uniq.size, -1))

    def arc_capacity(self) -> None:
        """(4) sum_r w_r flow[r, a, t] <= Cap_a (tons per day)."""
        n, c = self.n, self.c
        fin = np.isfinite(n.arc_cap[c.flow_arc])
        cells = np.flatnonzero(fin)
        if not cells.size:
            return
        rows, uniq = _group(c.flow_arc[cells] * n.days + c.flow_day[cells])
        blk = self.m.add_constraints("(4) link capacity", uniq.size, rows,
                                     self.flow.start + cells, n.mv_tons[c.flow_mv[cells]],
                                     upper=n.arc_cap[uniq // n.days])
        arcs = uniq // n.days
        self._label(blk, "link", [f"{n.location_ids[n.arc_from[a]]}->{n.location_ids[n.arc_to[a]]}"
                                  for a in arcs], uniq % n.days)

    def throughput(self) -> None:
        """(5) tons departing + arriving at v on day t <= Thr_v; (5b) a member's part <=
        its max share x Thr_v."""
        n, c = self.n, self.c
        thr = n.loc_thr
        h = n.days
        v = np.concatenate([n.arc_from[c.flow_arc], n.arc_to[c.flow_arc]])
        t = np.concatenate([c.flow_day, c.flow_day + n.arc_days[c.flow_arc]])
        cells = np.concatenate([np.arange(c.flow_mv.size), np.arange(c.flow_mv.size)])
        w = n.mv_tons[c.flow_mv[cells]]
        fin = np.isfinite(thr[v])
        v, t, cells, w = v[fin], t[fin], cells[fin], w[fin]
        if cells.size:
            rows, uniq = _group(v * h + t)
            blk = self.m.add_constraints("(5) throughput", uniq.size, rows,
                                         self.flow.start + cells, w, upper=thr[uniq // h])
            self._label(blk, "throughput", [n.location_ids[v_] for v_ in uniq // h], uniq % h)
            mem = n.mv_member[c.flow_mv[cells]]
            capped = n.share_cap[mem, v] < 1.0
            if capped.any():
                key = (mem[capped] * len(n.location_ids) + v[capped]) * h + t[capped]
                rows, uniq = _group(key)
                mv_, rest = np.divmod(uniq, len(n.location_ids) * h)
                vv = rest // h
                self.m.add_constraints("(5b) throughput share", uniq.size, rows,
                                       self.flow.start + cells[capped], w[capped],
                                       upper=n.share_cap[mv_, vv] * thr[vv])

    def storage(self) -> None:
        """(6) sum_r w_r hold[r, v, t] <= Store_v; (6b) a member's part <= max share."""
        n, c = self.n, self.c
        cap = n.loc_store
        fin = np.isfinite(cap[c.hold_loc])
        cells = np.flatnonzero(fin)
        if not cells.size:
            return
        h = n.days
        v, t = c.hold_loc[cells], c.hold_day[cells]
        w = n.mv_tons[c.hold_mv[cells]]
        rows, uniq = _group(v * h + t)
        blk = self.m.add_constraints("(6) storage", uniq.size, rows, self.hold.start + cells, w,
                                     upper=cap[uniq // h])
        self._label(blk, "storage", [n.location_ids[v_] for v_ in uniq // h], uniq % h)
        mem = n.mv_member[c.hold_mv[cells]]
        capped = n.share_cap[mem, v] < 1.0
        if capped.any():
            n_v = len(n.location_ids)
            rows, uniq = _group((mem[capped] * n_v + v[capped]) * h + t[capped])
            mv_, rest = np.divmod(uniq, n_v * h)
            vv = rest // h
            self.m.add_constraints("(6b) storage share", uniq.size, rows,
                                   self.hold.start + cells[capped], w[capped],
                                   upper=n.share_cap[mv_, vv] * cap[vv])

    def lift(self) -> None:
        """(7) payload covers tonnage: sum_{r of m} w_r flow[r,a,t] <= sum_f P_f y[f,m,a,t]
        on arcs whose mode has lift; (8) vehicles busy each day <= available (a same-day
        hop takes 1 / sorties_per_day of a vehicle, a longer sortie a whole one);
        (9) pooled entitlements; (10) MOG at airbases."""
        n, c = self.n, self.c
        lg = n.scenario.logistics
        assert lg is not None
        h = n.days
        ll = self.links
        mode_of = np.array(n.arc_mode)
        if ll.cells.size:
            payload = np.array([f.payload_tons for f in lg.lift])
            cells, group = ll.cells, ll.group
            # (7b) a sortie carries at most Lr[r,a,t] tons of movement r: the per-movement
            # linking that tightens the LP relaxation (as strong linking does in facility
            # location); a row only where it is tighter than (7) alone
            i, j = _pairs(group, ll.sortie_group, ll.group_load.size)
            p_j = payload[c.sortie_fleet[j]]
            carry = np.minimum(p_j, ll.cell_load[i])
            tighter = carry < np.minimum(p_j, ll.group_load[group[i]]) * (1.0 - 1e-9)
            has_row = np.zeros(cells.size, dtype=np.bool_)
            has_row[i[tighter]] = True
            small = np.flatnonzero(has_row)
            keep = has_row[i]
            if small.size:
                row_of = np.full(cells.size, -1, dtype=np.int64)
                row_of[small] = np.arange(small.size)
                self.m.add_constraints(
                    "(7b) movement payload", small.size,
                    np.concatenate([np.arange(small.size), row_of[i[keep]]]),
                    np.concatenate([self.flow.start + cells[small], self.sorties.start + j[keep]]),
                    np.concatenate([n.mv_tons[c.flow_mv[cells[small]]], -carry[keep]]),
                    upper=0.0)
            # (7) with each payload capped at Lm[m,a,t], the most tons the group can load
            ok = np.flatnonzero(ll.sortie_group >= 0)
            g = ll.sortie_group[ok]
            self.m.add_constraints(
                "(7) lift payload", ll.group_load.size,
                np.concatenate([group, g]),
                np.concatenate([self.flow.start + cells, self.sorties.start + ok]),
                np.concatenate([n.mv_tons[c.flow_mv[cells]],
                                -np.minimum(payload[c.sortie_fleet[ok]], ll.group_load[g])]),
                upper=0.0)
        if not c.sortie_fleet.size:
            return
        # (8) a sortie on arc a keeps its vehicle busy 2 tau_a days (out and back); a
        # same-day hop (tau_a = 0) takes 1 / sorties_per_day of a vehicle-day
        busy = np.maximum(1, 2 * n.arc_days[c.sortie_arc])
        owner, day = _ranges(c.sortie_day, np.minimum(c.sortie_day + busy - 1, h - 1))
        fleet = c.sortie_fleet[owner]
        rows, uniq = _group(fleet * h + day)
        spd = np.array([f.sorties_per_day for f in lg.lift])
        avail = np.array([float(f.available) for f in lg.lift])
        same_day = n.arc_days[c.sortie_arc[owner]] == 0
        blk = self.m.add_constraints("(8) fleet", uniq.size, rows, self.sorties.start + owner,
                                     np.where(same_day, 1.0 / spd[fleet], 1.0),
                                     upper=avail[uniq // h])
        self._label(blk, "fleet", [lg.lift[f_].id for f_ in uniq // h], uniq % h)
        # (9) pooled fleets: a member's sorties over the plan <= its entitlement
        mpos = {m: i for i, m in enumerate(n.member_ids)}
        ent = np.full((len(lg.lift), len(n.member_ids)), np.inf)
        for f, fl in enumerate(lg.lift):
            if fl.owner is None:
                for m, e in fl.entitlements.items():
                    ent[f, mpos[m]] = math.floor(e)  # whole sorties: 28.4 allows 28
        e_cell = ent[c.sortie_fleet, c.sortie_member]
        sel = np.flatnonzero(np.isfinite(e_cell))
        if sel.size:
            key = c.sortie_fleet[sel] * len(n.member_ids) + c.sortie_member[sel]
            rows, uniq = _group(key)
            f_, m_ = np.divmod(uniq, len(n.member_ids))
            blk = self.m.add_constraints("(9) entitlement", uniq.size, rows,
                                         self.sorties.start + sel, 1.0, upper=ent[f_, m_])
            self._label(blk, "entitlement", [f"{lg.lift[a].id}/{n.member_ids[b]}"
                                             for a, b in zip(f_, m_, strict=True)],
                        np.full(uniq.size, -1))
        # (10) MOG: air sorties landing at / leaving an airbase per day <= mog x turns
        # integer sorties with coefficient 1: a fractional mog x turns rounds down
        mog = np.floor(n.loc_mog)
        air = mode_of[c.sortie_arc] == "air"
        for name, v, t in (
            ("(10) MOG landings", n.arc_to[c.sortie_arc], c.sortie_day + n.arc_days[c.sortie_arc]),
            ("(10) MOG departures", n.arc_from[c.sortie_arc], c.sortie_day),
        ):
            sel = np.flatnonzero(air & np.isfinite(mog[v]))
            if not sel.size:
                continue
            rows, uniq = _group(v[sel] * h + t[sel])
            blk = self.m.add_constraints(name, uniq.size, rows, self.sorties.start + sel, 1.0,
                                         upper=mog[uniq // h])
            self._label(blk, name.removeprefix("(10) "), [n.location_ids[v_] for v_ in uniq // h],
                        uniq % h)


def _sortie_upper(n: Network, c: Cells, ll: LiftLinks, payload: FloatArray) -> FloatArray:
    """Upper bound of each sortie column y[f,m,a,t] (models/logistics.md, section 4):
    min(Nbar[f,a], ceil(Lm[m,a,t] / P_f)).

    Nbar[f,a] is implied by (8): the sortie's first busy day is its departure day t <= H-1,
    where it takes o_a of a vehicle-day, so o_a y <= N_f. On a same-day arc (tau_a = 0)
    o_a = 1 / rho_f and y <= floor(N_f rho_f); on a multi-day arc o_a = 1 and y <= N_f,
    whatever rho_f (a fleet of one ship at rho_f = 0.5 may still sail on a 1-day link).
    ceil(Lm / P_f) is a dominance: that many sorties carry everything m can load there."""
    lg = n.scenario.logistics
    assert lg is not None
    if not c.sortie_fleet.size:
        return np.zeros(0)
    avail = np.array([float(f.available) for f in lg.lift])[c.sortie_fleet]
    rho = np.array([f.sorties_per_day for f in lg.lift])[c.sortie_fleet]
    same_day = n.arc_days[c.sortie_arc] == 0
    # (8) with a one-day window: floor(N rho) on same-day arcs, N otherwise (see above)
    fleet_cap = np.where(same_day, np.floor(avail * rho + 1e-9), avail)
    need = np.full(c.sortie_fleet.size, np.inf)
    has = ll.sortie_group >= 0
    need[has] = np.ceil(ll.group_load[ll.sortie_group[has]] / payload[c.sortie_fleet[has]])
    out: FloatArray = np.minimum(fleet_cap, need)
    return out


def build(n: Network) -> MovementModel:
    """Build the movement MILP of ``models/logistics.md`` for a compiled network."""
    c = make_cells(n)
    lg = n.scenario.logistics
    assert lg is not None
    m = LinearModel("movement")
    # implied column bounds (models/logistics.md, section 4): no cell of r ever holds more
    # than q_r units, nor more than the daily capacities it is counted in
    w_flow = n.mv_tons[c.flow_mv]
    flow = m.add_variables("flow", c.flow_mv.size, cost=n.arc_cost[c.flow_arc] * w_flow,
                           upper=np.minimum(n.mv_qty[c.flow_mv],
                                            _room(n)[n.mv_member[c.flow_mv], c.flow_arc] / w_flow))
    store = np.where(np.isfinite(n.loc_store), n.loc_store * n.share_cap, np.inf)  # (M, V)
    hold = m.add_variables("hold", c.hold_mv.size,
                           upper=np.minimum(n.mv_qty[c.hold_mv],
                                            store[n.mv_member[c.hold_mv], c.hold_loc]
                                            / n.mv_tons[c.hold_mv]))
    draw_mv = n.src_mv[c.draw_src]
    draw = m.add_variables("draw", c.draw_src.size, cost=n.src_price[c.draw_src],
                           upper=np.minimum(n.stock_qty[n.src_stock[c.draw_src]],
                                            n.mv_qty[draw_mv]))
    # lateness: priority x tons x days after LAD, weighted above any transport cost
    late_days = np.maximum(0, c.del_day - n.mv_lad[c.del_mv]).astype(np.float64)
    deliver = m.add_variables(
        "deliver", c.del_mv.size, upper=n.mv_qty[c.del_mv],
        cost=n.late_weight * n.mv_priority[c.del_mv] * n.mv_tons[c.del_mv] * late_days)
    short = m.add_variables("short", n.mv_member.size, upper=n.mv_qty,
                            cost=n.short_weight * n.mv_tons * n.mv_priority)
    ll = lift_links(n, c)
    payload = np.array([f.payload_tons for f in lg.lift], dtype=np.float64)
    sortie_cost = np.array([f.cost_per_sortie for f in lg.lift], dtype=np.float64)
    sorties = m.add_variables("sorties", c.sortie_fleet.size,
                              upper=_sortie_upper(n, c, ll, payload),
                              cost=sortie_cost[c.sortie_fleet] if payload.size else 0.0,
                              integer=True)
    b = _Builder(n, c, ll, m, flow, hold, draw, deliver, short, sorties, [])
    b.conservation()
    b.demand()
    b.stocks()
    b.arc_capacity()
    b.throughput()
    b.storage()
    b.lift()
    return MovementModel(n, c, m.finalize(), flow, hold, draw, deliver, short, sorties,
                         tuple(b.capacities))


def objective_parts(mm: MovementModel, x: FloatArray) -> dict[str, float]:
    """Transport + draw cost, weighted lateness and shortfall terms of a solution."""
    cost = mm.model.col_cost
    parts = {}
    for name, blk in (("transport", mm.flow), ("draw", mm.draw), ("lift", mm.sorties),
                      ("lateness", mm.deliver), ("shortfall", mm.short)):
        parts[name] = float(cost[blk.start:blk.start + blk.size] @ blk.values(x))
    return parts

"""The time-expanded movement MILP of ``models/logistics.md``, built from arrays.

Cells (variables) exist only where they can be non-zero: a movement's flow on an
arc on a day only if its member has transit rights at both ends, the day is after
the earliest it can be at the arc's tail and the arrival before the latest it can
be at the head and still reach its destination by RDD; holds only where it has
storage rights; sorties only for fleets the member may use, on arcs and days
where it has flow cells. The build reads only the arrays of
:class:`~procure.logistics.compile.Compiled`. Each constraint family of section 6 is
one method of ``_Builder``, named after the family (``movement_payload`` builds
``(7b) movement payload``), its docstring stating the rows with their number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from procure.logistics.compile import MODES, Compiled
from procure.lp.index import group as _group
from procure.lp.index import match_keys, within_runs
from procure.lp.index import ranges as _ranges
from procure.lp.model import (
    FloatArray,
    IntArray,
    LinearModel,
    ModelArrays,
    RowBlock,
    VarBlock,
)

AIR = MODES.index("air")


@dataclass(frozen=True)
class Cells:
    """Index arrays of every variable family (models/logistics.md, section 2): flows
    (r,a,t) in Phi, holds (r,v,t) in Eta, draws (r,sig,t) in Dlt (as an index into the
    compiled sources), deliveries (r,t) in Gam and sorties (f,m,a,t) in Y."""

    flow_mv: IntArray
    flow_arc: IntArray
    flow_day: IntArray
    hold_mv: IntArray
    hold_loc: IntArray
    hold_day: IntArray
    draw_src: IntArray  # index into the compiled sources
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
class Formulation:
    """The built model and what is needed to read a solution back."""

    compiled: Compiled
    cells: Cells
    model: ModelArrays
    flow: VarBlock
    hold: VarBlock
    draw: VarBlock
    deliver: VarBlock
    short: VarBlock
    sorties: VarBlock
    capacities: tuple[CapacityRows, ...] = ()


def make_cells(n: Compiled) -> Cells:
    """Generate every variable's index tuple (models/logistics.md, section 2, Cells)."""
    h = n.days
    n_r, n_a = n.mv_member.size, n.num_arcs
    # Phi, flows: (r, a) pairs with a in A_r, then the day range of each
    rr, aa = np.divmod(np.arange(n_r * n_a, dtype=np.int64), n_a)
    ok = n.transit[n.mv_member[rr], n.arc_from[aa]] & n.transit[n.mv_member[rr], n.arc_to[aa]]
    rr, aa = rr[ok], aa[ok]
    lo = np.maximum(n.earliest[rr, n.arc_from[aa]], n.mv_ald[rr])
    hi = np.minimum(n.latest[rr, n.arc_to[aa]] - n.arc_days[aa], h - 1)
    i, day = _ranges(lo, hi)
    flow_mv, flow_arc, flow_day = rr[i], aa[i], day
    # Eta, holds: storage right, at v from earliest to latest - 1 (held over to the next day)
    n_v = len(n.location_ids)
    rv, vv = np.divmod(np.arange(n_r * n_v, dtype=np.int64), n_v)
    ok = n.storage[n.mv_member[rv], vv] & n.transit[n.mv_member[rv], vv]
    rv, vv = rv[ok], vv[ok]
    i, day = _ranges(np.maximum(n.earliest[rv, vv], 0), np.minimum(n.latest[rv, vv] - 1, h - 2))
    hold_mv, hold_loc, hold_day = rv[i], vv[i], day
    # Dlt, draws: from ALD to the latest day the source location can still ship
    src_lat = n.latest[n.src_mv, n.src_loc]
    i, day = _ranges(n.mv_ald[n.src_mv], np.minimum(src_lat, h - 1))
    draw_src, draw_day = i, day
    # Gam, deliveries: from max(EAD, earliest arrival) to RDD
    r_all = np.arange(n_r, dtype=np.int64)
    i, day = _ranges(np.maximum(n.mv_ead, n.earliest[r_all, n.mv_dest]),
                     np.minimum(n.mv_rdd, h - 1))
    del_mv, del_day = i, day
    # Y, sorties: (f, m, a, t) for (m, a, t) in Phi_M, mode(a) = mode(f) and m in U_f; in
    # order of f, then (m, a, t)
    _, uniq = _group((n.mv_member[flow_mv] * n_a + flow_arc) * h + flow_day)
    um, rest = np.divmod(uniq, n_a * h)
    ua, ut = np.divmod(rest, h)
    fleet, k = match_keys(n.fleet_mode, n.arc_mode[ua])
    use = n.fleet_users[fleet, um[k]]
    fleet, k = fleet[use], k[use]
    return Cells(flow_mv, flow_arc, flow_day, hold_mv, hold_loc, hold_day, draw_src, draw_day,
                 del_mv, del_day, fleet, um[k], ua[k], ut[k])


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


def _room(n: Compiled) -> FloatArray:
    """Room[m,a] (an |M| x |A| table): tons of member m's cargo that can enter arc a on
    one day, by the link capacity and m's share of the throughput at either end."""
    with np.errstate(invalid="ignore"):  # inf x a share of 0: masked out by the where
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


def lift_links(n: Compiled, c: Cells) -> LiftLinks:
    """Group the flow cells on lift arcs (mode(a) in Modes(F)) by (member, arc, day), the
    rows of (7), and bound their loads by Lr and Lm (models/logistics.md, section 3)."""
    h, n_a = n.days, n.num_arcs
    cells = np.flatnonzero(n.mode_has_lift[n.arc_mode[c.flow_arc]])
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
    n: Compiled
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

    def movement_payload(self) -> None:
        """(7b) per flow cell (r,a,t) on a lift arc where some usable fleet has
        min(P_f, Lr[r,a,t]) < min(P_f, Lm[m_r,a,t]):
        w_r x[r,a,t] <= sum_{f: (f,m_r,a,t) in Y} min(P_f, Lr[r,a,t]) y[f,m_r,a,t].
        A sortie carries at most what the movement can load there: the per-movement
        linking that tightens the LP relaxation, as strong linking does in facility
        location; a row only where it is tighter than (7) alone."""
        n, c, ll = self.n, self.c, self.links
        if not ll.cells.size:
            return
        cells, group = ll.cells, ll.group
        i, j = _pairs(group, ll.sortie_group, ll.group_load.size)  # same (7) row
        p_j = n.fleet_payload[c.sortie_fleet[j]]
        carry = np.minimum(p_j, ll.cell_load[i])  # min(P_f, Lr[r,a,t])
        tighter = carry < np.minimum(p_j, ll.group_load[group[i]]) * (1.0 - 1e-9)
        has_row = np.zeros(cells.size, dtype=np.bool_)
        has_row[i[tighter]] = True
        small = np.flatnonzero(has_row)
        if not small.size:
            return
        keep = has_row[i]
        row_of = np.full(cells.size, -1, dtype=np.int64)
        row_of[small] = np.arange(small.size)
        self.m.add_constraints(
            "(7b) movement payload", small.size,
            np.concatenate([np.arange(small.size), row_of[i[keep]]]),
            np.concatenate([self.flow.start + cells[small], self.sorties.start + j[keep]]),
            np.concatenate([n.mv_tons[c.flow_mv[cells[small]]], -carry[keep]]),
            upper=0.0)

    def lift_payload(self) -> None:
        """(7) per (m,a,t) in Phi_M with mode(a) in Modes(F):
        sum_{r: m_r=m} w_r x[r,a,t] <= sum_{f: (f,m,a,t) in Y} min(P_f, Lm[m,a,t]) y[f,m,a,t],
        each payload capped at Lm[m,a,t], the most tons the group can load (a row with no
        sortie forces m's flows there to 0)."""
        n, c, ll = self.n, self.c, self.links
        if not ll.cells.size:
            return
        ok = np.flatnonzero(ll.sortie_group >= 0)
        g = ll.sortie_group[ok]
        self.m.add_constraints(
            "(7) lift payload", ll.group_load.size,
            np.concatenate([ll.group, g]),
            np.concatenate([self.flow.start + ll.cells, self.sorties.start + ok]),
            np.concatenate([n.mv_tons[c.flow_mv[ll.cells]],
                            -np.minimum(n.fleet_payload[c.sortie_fleet[ok]], ll.group_load[g])]),
            upper=0.0)

    def fleet(self) -> None:
        """(8) per fleet f and day t touched by a busy window:
        sum_{(f,m,a,t') in Y: t' <= t <= t' + b_a - 1} o_a y[f,m,a,t'] <= N_f.
        A sortie on arc a keeps its vehicle busy b_a = max(1, 2 tau_a) days (out and back,
        truncated at H-1), using o_a = 1 / rho_f of it on a same-day arc (tau_a = 0) and a
        whole one otherwise."""
        n, c = self.n, self.c
        if not c.sortie_fleet.size:
            return
        h = n.days
        busy = np.maximum(1, 2 * n.arc_days[c.sortie_arc])  # b_a
        owner, day = _ranges(c.sortie_day, np.minimum(c.sortie_day + busy - 1, h - 1))
        fleet = c.sortie_fleet[owner]
        rows, uniq = _group(fleet * h + day)
        same_day = n.arc_days[c.sortie_arc[owner]] == 0
        blk = self.m.add_constraints("(8) fleet", uniq.size, rows, self.sorties.start + owner,
                                     np.where(same_day, 1.0 / n.fleet_sorties_per_day[fleet],
                                              1.0),
                                     upper=n.fleet_available[uniq // h])
        self._label(blk, "fleet", [n.fleet_ids[f_] for f_ in uniq // h], uniq % h)

    def entitlement(self) -> None:
        """(9) per pooled fleet f with entitlements and m in U_f with sortie cells:
        sum_{(a,t)} y[f,m,a,t] <= floor(E[f,m]) (whole sorties: 28.4 allows 28); no row
        where E[f,m] = inf."""
        n, c = self.n, self.c
        n_m = len(n.member_ids)
        e_cell = n.fleet_entitlement[c.sortie_fleet, c.sortie_member]
        sel = np.flatnonzero(np.isfinite(e_cell))
        if not sel.size:
            return
        rows, uniq = _group(c.sortie_fleet[sel] * n_m + c.sortie_member[sel])
        f_, m_ = np.divmod(uniq, n_m)
        blk = self.m.add_constraints("(9) entitlement", uniq.size, rows,
                                     self.sorties.start + sel, 1.0,
                                     upper=np.floor(n.fleet_entitlement[f_, m_]))
        self._label(blk, "entitlement", [f"{n.fleet_ids[a]}/{n.member_ids[b]}"
                                         for a, b in zip(f_, m_, strict=True)],
                    np.full(uniq.size, -1))

    def mog(self) -> None:
        """(10) per airbase v with MOG_v < inf and day t, over sorties on air arcs:
        landings sum_{d(a)=v, t'+tau_a=t} y[f,m,a,t'] <= floor(MOG_v) and departures
        sum_{o(a)=v} y[f,m,a,t] <= floor(MOG_v) (integer sorties with coefficient 1: a
        fractional mog x turns rounds down)."""
        n, c = self.n, self.c
        if not c.sortie_fleet.size:
            return
        h = n.days
        mog = np.floor(n.loc_mog)
        air = n.arc_mode[c.sortie_arc] == AIR
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


def _sortie_upper(n: Compiled, c: Cells, ll: LiftLinks) -> FloatArray:
    """Upper bound of each sortie column y[f,m,a,t] (models/logistics.md, section 4):
    min(Nbar[f,a], ceil(Lm[m,a,t] / P_f)).

    Nbar[f,a] is implied by (8): the sortie's first busy day is its departure day t <= H-1,
    where it takes o_a of a vehicle-day, so o_a y <= N_f. On a same-day arc (tau_a = 0)
    o_a = 1 / rho_f and y <= floor(N_f rho_f); on a multi-day arc o_a = 1 and y <= N_f,
    whatever rho_f (a fleet of one ship at rho_f = 0.5 may still sail on a 1-day link).
    ceil(Lm / P_f) is a dominance: that many sorties carry everything m can load there."""
    if not c.sortie_fleet.size:
        return np.zeros(0)
    avail = n.fleet_available[c.sortie_fleet]
    rho = n.fleet_sorties_per_day[c.sortie_fleet]
    payload = n.fleet_payload[c.sortie_fleet]
    same_day = n.arc_days[c.sortie_arc] == 0
    # (8) with a one-day window: floor(N rho) on same-day arcs, N otherwise (see above)
    fleet_cap = np.where(same_day, np.floor(avail * rho + 1e-9), avail)
    need = np.full(c.sortie_fleet.size, np.inf)
    has = ll.sortie_group >= 0
    need[has] = np.ceil(ll.group_load[ll.sortie_group[has]] / payload[has])
    out: FloatArray = np.minimum(fleet_cap, need)
    return out


def build(n: Compiled) -> Formulation:
    """Build the movement MILP of ``models/logistics.md`` from a compiled scenario:
    columns x, h, g, z, s, y with the bounds of section 4 and the costs of section 5,
    then the rows (1)-(10) of section 6, one method per family."""
    c = make_cells(n)
    m = LinearModel("movement")
    # implied column bounds (models/logistics.md, section 4): no cell of r ever holds more
    # than q_r units, nor more than the daily capacities it is counted in
    w_flow = n.mv_tons[c.flow_mv]
    flow = m.add_variables("flow", c.flow_mv.size, cost=n.arc_cost[c.flow_arc] * w_flow,
                           upper=np.minimum(n.mv_qty[c.flow_mv],
                                            _room(n)[n.mv_member[c.flow_mv], c.flow_arc] / w_flow))
    with np.errstate(invalid="ignore"):  # inf x a share of 0: masked out by the where
        store = np.where(np.isfinite(n.loc_store), n.loc_store * n.share_cap, np.inf)
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
    sorties = m.add_variables("sorties", c.sortie_fleet.size, upper=_sortie_upper(n, c, ll),
                              cost=n.fleet_cost[c.sortie_fleet] if n.num_fleets else 0.0,
                              integer=True)
    b = _Builder(n, c, ll, m, flow, hold, draw, deliver, short, sorties, [])
    b.conservation()  # (1)
    b.demand()  # (2)
    b.stocks()  # (3)
    b.arc_capacity()  # (4)
    b.throughput()  # (5), (5b)
    b.storage()  # (6), (6b)
    b.movement_payload()  # (7b)
    b.lift_payload()  # (7)
    b.fleet()  # (8)
    b.entitlement()  # (9)
    b.mog()  # (10)
    return Formulation(n, c, m.finalize(), flow, hold, draw, deliver, short, sorties,
                       tuple(b.capacities))


def objective_parts(mm: Formulation, x: FloatArray) -> dict[str, float]:
    """The terms of the objective (models/logistics.md, section 5) at a solution x:
    transport sum c_a w_r x, draw sum p g, lift sum C_f y, lateness and shortfall."""
    cost = mm.model.col_cost
    parts = {}
    for name, blk in (("transport", mm.flow), ("draw", mm.draw), ("lift", mm.sorties),
                      ("lateness", mm.deliver), ("shortfall", mm.short)):
        parts[name] = float(cost[blk.start:blk.start + blk.size] @ blk.values(x))
    return parts

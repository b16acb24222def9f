"""A movement plan: decisions only (what moves where when, on which lift)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from procure.logistics.compile import link_transit_days
from procure.lp.model import FloatArray
from procure.schema.scenario import Scenario

if TYPE_CHECKING:
    from procure.logistics.formulation import Formulation

MOVE_COLUMNS = ["movement", "member", "item", "link", "origin", "destination", "mode",
                "depart_day", "arrive_day", "quantity", "tons", "lift", "sorties"]
SORTIE_COLUMNS = ["lift", "member", "link", "origin", "destination", "mode", "depart_day",
                  "arrive_day", "sorties"]
DRAW_COLUMNS = ["movement", "stock", "owner", "location", "item", "day", "quantity"]
DELIVERY_COLUMNS = ["movement", "day", "quantity"]


@dataclass(frozen=True)
class Move:
    """``quantity`` units of movement ``movement`` leave ``origin`` on ``depart_day`` over
    link ``link`` (index in the scenario's links) towards ``destination``."""

    movement: str
    link: int
    origin: str
    destination: str
    depart_day: int
    quantity: float


@dataclass(frozen=True)
class Sortie:
    """``count`` vehicles of lift fleet ``lift`` leave ``origin`` on ``depart_day`` over
    ``link`` carrying ``member``'s cargo."""

    lift: str
    member: str
    link: int
    origin: str
    destination: str
    depart_day: int
    count: int


@dataclass(frozen=True)
class Draw:
    """``quantity`` units taken from stock ``stock`` (index in the scenario's stocks) for
    ``movement`` on ``day``."""

    movement: str
    stock: int
    day: int
    quantity: float


@dataclass(frozen=True)
class Delivery:
    movement: str
    day: int
    quantity: float


@dataclass(frozen=True)
class MovementPlan:
    """Every decision of a movement plan."""

    moves: tuple[Move, ...]
    sorties: tuple[Sortie, ...]
    draws: tuple[Draw, ...]
    deliveries: tuple[Delivery, ...]

    def frames(self, scenario: Scenario) -> dict[str, pd.DataFrame]:
        """Tidy tables of the plan (moves, sorties, draws, deliveries)."""
        lg = scenario.logistics
        assert lg is not None
        mv = {m.id: m for m in lg.movements}
        tons = {it.id: it.unit_tons for it in lg.items}
        transit = link_transit_days(scenario)
        # the lift each move rides on: the member's sorties on that link, direction and day
        lift: dict[tuple[str, int, str, int], list[Sortie]] = {}
        for so in self.sorties:
            lift.setdefault((so.member, so.link, so.origin, so.depart_day), []).append(so)

        def riding(x: Move) -> tuple[str, int]:
            used = lift.get((mv[x.movement].member, x.link, x.origin, x.depart_day), [])
            return " ".join(f"{s.lift}x{s.count}" for s in used), sum(s.count for s in used)

        moves = pd.DataFrame(
            [(x.movement, mv[x.movement].member, mv[x.movement].item, x.link, x.origin,
              x.destination, lg.links[x.link].mode, x.depart_day,
              x.depart_day + transit[x.link], x.quantity, x.quantity * tons[mv[x.movement].item],
              *riding(x))
             for x in self.moves], columns=MOVE_COLUMNS)
        sorties = pd.DataFrame(
            [(s.lift, s.member, s.link, s.origin, s.destination, lg.links[s.link].mode,
              s.depart_day, s.depart_day + transit[s.link], s.count) for s in self.sorties],
            columns=SORTIE_COLUMNS)
        draws = pd.DataFrame(
            [(d.movement, d.stock, lg.stocks[d.stock].owner, lg.stocks[d.stock].location,
              lg.stocks[d.stock].item, d.day, d.quantity) for d in self.draws],
            columns=DRAW_COLUMNS)
        deliveries = pd.DataFrame([(d.movement, d.day, d.quantity) for d in self.deliveries],
                                  columns=DELIVERY_COLUMNS)
        return {"moves": moves, "sorties": sorties, "draws": draws, "deliveries": deliveries}


def decode(mm: Formulation, x: FloatArray) -> MovementPlan:
    """Read moves, sorties, draws and deliveries out of a solution vector (sorties are
    rounded: the solver returns them within its integrality tolerance)."""
    n, c = mm.compiled, mm.cells
    mv_ids = n.movement_ids
    loc = n.location_ids
    eps = 1e-9
    f = mm.flow.values(x)
    moves = tuple(
        Move(mv_ids[c.flow_mv[i]], int(n.arc_link[c.flow_arc[i]]), loc[n.arc_from[c.flow_arc[i]]],
             loc[n.arc_to[c.flow_arc[i]]], int(c.flow_day[i]), float(f[i]))
        for i in np.flatnonzero(f > eps))
    y = _trim_sorties(mm, mm.flow.values(x), np.round(mm.sorties.values(x)))
    sorties = tuple(
        Sortie(n.fleet_ids[c.sortie_fleet[i]], n.member_ids[c.sortie_member[i]],
               int(n.arc_link[c.sortie_arc[i]]), loc[n.arc_from[c.sortie_arc[i]]],
               loc[n.arc_to[c.sortie_arc[i]]], int(c.sortie_day[i]), int(y[i]))
        for i in np.flatnonzero(y > 0.5))
    d = mm.draw.values(x)
    draws = tuple(Draw(mv_ids[n.src_mv[c.draw_src[i]]], int(n.src_stock[c.draw_src[i]]),
                       int(c.draw_day[i]), float(d[i])) for i in np.flatnonzero(d > eps))
    q = mm.deliver.values(x)
    deliveries = tuple(Delivery(mv_ids[c.del_mv[i]], int(c.del_day[i]), float(q[i]))
                       for i in np.flatnonzero(q > eps))
    return MovementPlan(moves, sorties, draws, deliveries)


def _trim_sorties(mm: Formulation, flow: FloatArray, y: FloatArray) -> FloatArray:
    """Drop sorties the cargo does not need (a solver may leave idle ones when they cost
    nothing): per (member, arc, day), remove the smallest-payload sorties while the
    rest still cover the tonnage. Removing sorties never breaks (8)-(10)."""
    n, c = mm.compiled, mm.cells
    payload = n.fleet_payload
    n_a, h = n.num_arcs, n.days
    fkey = (n.mv_member[c.flow_mv] * n_a + c.flow_arc) * h + c.flow_day
    skey = (c.sortie_member * n_a + c.sortie_arc) * h + c.sortie_day
    tons: dict[int, float] = {}
    for k, t in zip(fkey.tolist(), (flow * n.mv_tons[c.flow_mv]).tolist(), strict=True):
        tons[k] = tons.get(k, 0.0) + t
    cover: dict[int, float] = {}
    for k, p in zip(skey.tolist(), (y * payload[c.sortie_fleet]).tolist(), strict=True):
        cover[k] = cover.get(k, 0.0) + p
    y = y.copy()
    order = np.lexsort((payload[c.sortie_fleet], skey))  # by group, small payload first
    spare: dict[int, float] = {}
    for i in order.tolist():
        k = int(skey[i])
        if k not in spare:
            spare[k] = cover.get(k, 0.0) - tons.get(k, 0.0) * (1.0 + 1e-9)
        drop = min(y[i], np.floor(spare[k] / payload[c.sortie_fleet[i]] + 1e-12))
        if drop > 0:
            y[i] -= drop
            spare[k] -= drop * payload[c.sortie_fleet[i]]
    return y



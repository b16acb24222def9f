"""A movement plan: decisions only (what moves where when, on which lift)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from procure.logistics.network import link_transit_days
from procure.schema.scenario import Scenario

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

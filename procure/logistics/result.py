"""The tables of a movement run: fixed columns, each with a unit and a meaning.

Days are whole-day offsets from the plan's day 0; quantities are in units of the
movement's item, masses in metric tons; money is in the scenario's currency.
Capacities of different kinds (tons per day, tons, vehicles, aircraft) are never
summed: ``utilisation`` and ``bottlenecks`` carry a ``unit`` per row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from procure.logistics.evaluate import MovementEvaluation
from procure.logistics.plan import MovementPlan
from procure.run.tables import CURRENCY, Column, TableSpec
from procure.schema.scenario import Scenario

DAY = "day (offset from day 0)"
ITEM_UNITS = "units of the item"
# the unit of a capacity, by the kind the evaluator and the formulation give it
KIND_UNITS = {
    "link": "t/day", "throughput": "t/day", "storage": "t", "fleet": "vehicles",
    "MOG landings": "aircraft/day", "MOG departures": "aircraft/day", "stock": "units",
    "entitlement": "sorties",
}

MOVES = TableSpec("moves", "units of one movement leaving one location over one link on one "
                  "day", (
                      Column("movement", "-", "movement requirement id (TPFDD line)"),
                      Column("member", "-", "member the movement belongs to"),
                      Column("item", "-", "item id"),
                      Column("link", "-", "index of the link in the scenario's links (from 0)"),
                      Column("origin", "-", "location it leaves"),
                      Column("destination", "-", "location it arrives at"),
                      Column("mode", "-", "air, sea, rail or road"),
                      Column("depart_day", DAY, "day it leaves"),
                      Column("arrive_day", DAY, "day it arrives (depart + transit days)"),
                      Column("quantity", ITEM_UNITS, "units moved"),
                      Column("tons", "t", "quantity x the item's unit weight"),
                      Column("lift", "-", "fleets it rides on, as fleet x sorties (empty on a "
                             "mode without fleets)"),
                      Column("sorties", "sorties", "the member's sorties on that link, "
                             "direction and day"),
                  ))
SORTIES = TableSpec("sorties", "sorties of one fleet carrying one member's cargo over one link "
                    "on one day", (
                        Column("lift", "-", "lift fleet id"),
                        Column("member", "-", "member whose cargo they carry"),
                        Column("link", "-", "index of the link in the scenario's links"),
                        Column("origin", "-", "location they leave"),
                        Column("destination", "-", "location they reach"),
                        Column("mode", "-", "air, sea, rail or road"),
                        Column("depart_day", DAY, "day they leave"),
                        Column("arrive_day", DAY, "day they arrive"),
                        Column("sorties", "sorties", "number of vehicles sent (whole)"),
                    ))
DRAWS = TableSpec("draws", "units one movement takes from one stock on one day", (
    Column("movement", "-", "movement id"),
    Column("stock", "-", "index of the stock in the scenario's stocks (from 0)"),
    Column("owner", "-", "member owning the stock (another member's: cross-servicing)"),
    Column("location", "-", "where the stock is held"),
    Column("item", "-", "item id"),
    Column("day", DAY, "day of the draw"),
    Column("quantity", ITEM_UNITS, "units drawn"),
))
DELIVERIES = TableSpec("deliveries", "units of one movement delivered on one day", (
    Column("movement", "-", "movement id"),
    Column("day", DAY, "day of delivery at the destination"),
    Column("quantity", ITEM_UNITS, "units delivered"),
))
CLOSURE = TableSpec("closure", "one movement requirement: on time, late, short", (
    Column("movement", "-", "movement id"),
    Column("member", "-", "member id"),
    Column("item", "-", "item id"),
    Column("priority", "1-10", "higher is more urgent; weighs lateness and shortfall"),
    Column("quantity", ITEM_UNITS, "units required"),
    Column("tons", "t", "quantity x unit weight"),
    Column("on_time", ITEM_UNITS, "units delivered from EAD to LAD"),
    Column("late", ITEM_UNITS, "units delivered after LAD, by RDD"),
    Column("short", ITEM_UNITS, "units not delivered by RDD"),
    Column("max_days_late", "days", "latest delivery's days after LAD (0: none late)"),
    Column("status", "-", "on time, late or short"),
    Column("destination", "-", "location it must reach (its theatre)"),
    Column("ead", DAY, "earliest arrival day"),
    Column("lad", DAY, "latest arrival day (on time up to it)"),
    Column("rdd", DAY, "required delivery day (late up to it, short after)"),
))
LOCATIONS = TableSpec("locations", "one location of the network: where it is", (
    Column("location", "-", "location id"),
    Column("name", "-", "its name (empty when not given)"),
    Column("kind", "-", "depot, airbase, seaport, railhead or theatre"),
    Column("host", "-", "host nation"),
    Column("lat", "degrees north", "latitude (WGS 84)"),
    Column("lon", "degrees east", "longitude (WGS 84)"),
))
UTILISATION = TableSpec("utilisation", "one capacity on one day: used and available", (
    Column("resource", "-", "link (origin->destination), location, or fleet id"),
    Column("kind", "-", "link, throughput, storage, fleet, MOG landings, MOG departures"),
    Column("day", DAY, "day"),
    Column("used", "see unit", "amount used that day"),
    Column("capacity", "see unit", "amount available that day (inf: unlimited)"),
    Column("unit", "-", "unit of used and capacity: t/day, t, vehicles, aircraft/day"),
))
BOTTLENECKS = TableSpec("bottlenecks", "one capacity the plan uses fully on some day", (
    Column("resource", "-", "link, location, or fleet id"),
    Column("kind", "-", "link, throughput, storage, fleet, MOG landings, MOG departures"),
    Column("days_at_capacity", "days", "days on which it is used to at least 99.9 %"),
    Column("peak_use", "see unit", "largest daily use"),
    Column("capacity", "see unit", "its capacity"),
    Column("unit", "-", "unit of peak_use and capacity"),
    Column("value_money", f"{CURRENCY} per unit of capacity",
           "money saved per extra unit of this capacity with lateness and shortfall held "
           "at the plan's (models/logistics.md section 11, (E4) of models/explain.md), "
           "largest over its binding days"),
    Column("value_service", "penalty units per unit of capacity",
           "fall of the lateness and shortfall penalty (priority-weighted ton-days late "
           "and tons short, at the scenario's penalty rates: not money) per extra unit of "
           "this capacity, whatever the extra movement costs ((E5)), largest over its "
           "binding days; both 0: busy but not limiting"),
    Column("value_day", DAY, "day whose value is shown (the dearest; empty: no value, "
           "or a whole-horizon capacity such as an entitlement)"),
    Column("holds_from", "see unit", "the value shown holds while that day's capacity is "
           "at least this (LP ranging; -inf: no end) ..."),
    Column("holds_to", "see unit", "... and at most this (inf: no end)"),
))
SPECS = (MOVES, SORTIES, DRAWS, DELIVERIES, CLOSURE, UTILISATION, BOTTLENECKS,
         LOCATIONS)

METRIC_UNITS: dict[str, str] = {
    "cost": CURRENCY, "transport_cost": CURRENCY, "draw_cost": CURRENCY,
    "lift_cost": CURRENCY, "on_time_pct": "% of required tons",
    "late_ton_days": "t x days late x priority", "short_tons": "t",
}


class ShadowPrice(NamedTuple):
    """What one more unit of a capacity is worth around the plan (section 11): money
    and service (the lateness and shortfall penalty), the largest over the days it
    binds; ``day`` is the day of the value shown and [``low``, ``high``] the range of
    that day's capacity over which it holds (LP ranging; in the capacity's unit)."""

    money: float
    service: float
    day: int
    low: float
    high: float


def _with_units(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["unit"] = [KIND_UNITS.get(str(k), "") for k in out["kind"]]
    return out


def bottlenecks(evaluation: MovementEvaluation,
                prices: Mapping[tuple[str, str], ShadowPrice],
                threshold: float = 0.999) -> pd.DataFrame:
    """Capacities the plan runs at (>= ``threshold`` of capacity): on how many days, and
    what one more unit of it is worth, in money and in service (``value_money``,
    ``value_service``,
    0 when more of it would not help this plan); dearest first."""
    u = evaluation.utilisation
    u = u[np.isfinite(u.capacity.astype(float)) & (u.used >= threshold * u.capacity)
          & (u.capacity > 0)]
    if u.empty:
        return pd.DataFrame(columns=BOTTLENECKS.names)
    g = u.groupby(["resource", "kind"]).agg(days_at_capacity=("day", "nunique"),
                                            peak_use=("used", "max"),
                                            capacity=("capacity", "max")).reset_index()
    g["unit"] = [KIND_UNITS.get(str(k), "") for k in g["kind"]]
    values = [prices.get((r, k)) for r, k in zip(g.resource, g.kind, strict=True)]
    g["value_money"] = [0.0 if v is None else v.money for v in values]
    g["value_service"] = [0.0 if v is None else v.service for v in values]
    g["value_day"] = pd.array([None if v is None or v.day < 0 else v.day for v in values],
                              dtype="Int64")
    g["holds_from"] = [np.nan if v is None else v.low for v in values]
    g["holds_to"] = [np.nan if v is None else v.high for v in values]
    out: pd.DataFrame = g.sort_values(["value_service", "value_money", "days_at_capacity",
                                       "peak_use"],
                                      ascending=False, ignore_index=True)
    return out[BOTTLENECKS.names]


def tables(scenario: Scenario, plan: MovementPlan | None,
           evaluation: MovementEvaluation | None,
           prices: Mapping[tuple[str, str], ShadowPrice]) -> dict[str, pd.DataFrame]:
    """moves, sorties, draws, deliveries, closure, utilisation, bottlenecks (empty
    without a plan), and locations (the network's coordinates, which a report's map
    draws: always filled)."""
    cur = scenario.currency
    locs = LOCATIONS.frame(locations(scenario), cur)
    if plan is None or evaluation is None:
        return {**{spec.name: spec.frame(None, cur) for spec in SPECS}, "locations": locs}
    frames = plan.frames(scenario)
    return {
        "moves": MOVES.frame(frames["moves"], cur),
        "sorties": SORTIES.frame(frames["sorties"], cur),
        "draws": DRAWS.frame(frames["draws"], cur),
        "deliveries": DELIVERIES.frame(frames["deliveries"], cur),
        "closure": CLOSURE.frame(closure(scenario, evaluation), cur),
        "utilisation": UTILISATION.frame(_with_units(evaluation.utilisation), cur),
        "bottlenecks": BOTTLENECKS.frame(bottlenecks(evaluation, prices), cur),
        "locations": locs,
    }


def closure(scenario: Scenario, evaluation: MovementEvaluation) -> pd.DataFrame:
    """The evaluator's closure per requirement, with the requirement's destination and
    arrival window (what a closure curve by day and theatre needs)."""
    out = evaluation.closure.copy()
    lg = scenario.logistics
    moves = {m.id: m for m in lg.movements} if lg is not None else {}
    ids = out["movement"].astype(str).tolist()
    out["destination"] = [moves[i].destination for i in ids]
    for day in ("ead", "lad", "rdd"):
        out[day] = np.array([getattr(moves[i], day) for i in ids], dtype=np.int64)
    return out


def locations(scenario: Scenario) -> pd.DataFrame | None:
    """One row per location of the scenario's network (None: no logistics)."""
    lg = scenario.logistics
    if lg is None:
        return None
    return pd.DataFrame({
        "location": [loc.id for loc in lg.locations],
        "name": [loc.name for loc in lg.locations],
        "kind": [loc.kind for loc in lg.locations],
        "host": [loc.host for loc in lg.locations],
        "lat": np.array([loc.lat for loc in lg.locations], dtype=np.float64),
        "lon": np.array([loc.lon for loc in lg.locations], dtype=np.float64),
    })


def metrics(evaluation: MovementEvaluation | None) -> dict[str, float | None]:
    """Headline numbers of a run (units in :data:`METRIC_UNITS`)."""
    if evaluation is None:
        return dict.fromkeys(METRIC_UNITS)
    closure = evaluation.closure
    tons = float(closure.tons.sum())
    on_time = float((closure.on_time * closure.tons / closure.quantity).sum())
    return {
        "cost": evaluation.cost, "transport_cost": evaluation.transport_cost,
        "draw_cost": evaluation.draw_cost, "lift_cost": evaluation.lift_cost,
        "on_time_pct": 100.0 * on_time / tons if tons else None,
        "late_ton_days": evaluation.late_ton_days, "short_tons": evaluation.short_tons,
    }

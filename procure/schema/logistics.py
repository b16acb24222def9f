"""Pydantic models of the logistics part of a scenario (basing, stocks, lift, movements).

Days are whole-day offsets from the plan's day 0 (TPFDD convention). Masses are
in metric tons, money in the scenario's currency.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from procure.schema.base import (
    MAX_COST_PER_TON_KM,
    MAX_SPEED,
    MAX_UNIT_M3,
    MIN_SPEED,
    MONEY_RANGE,
    QUANTITY_RANGE,
    TONS_RANGE,
    UNITS_RANGE,
    Fraction,
    Id,
    Money,
    Quantity,
    StrictModel,
    Tons,
    Units,
    UnitTons,
)

Day = Annotated[int, Field(ge=0, le=3650)]
Mode = Literal["air", "sea", "rail", "road"]
LocationKind = Literal["depot", "airbase", "seaport", "railhead", "theatre"]
CargoClass = Literal["bulk", "oversize", "outsize", "passengers"]


class ModeDefaults(StrictModel):
    """Speed and cost used for links that give no transit time or cost of their own."""

    speed_km_per_day: Annotated[float, Field(ge=MIN_SPEED, le=MAX_SPEED, allow_inf_nan=False)] = (
        Field(description="Door-to-door speed, 1 to 1e5 km per day."))
    cost_per_ton_km: Annotated[float, Field(ge=0, le=MAX_COST_PER_TON_KM,
                                            allow_inf_nan=False)] = Field(
        description="Transport cost per ton-km, 0 to 1e6 in the scenario's currency.")
    min_transit_days: Annotated[int, Field(ge=0, le=365)] = Field(
        default=1, description="Fewest days a link of the mode takes when its transit time "
        "is derived from distance (0 to 365).")


DEFAULT_MODES: dict[str, ModeDefaults] = {
    "air": ModeDefaults(speed_km_per_day=8000, cost_per_ton_km=1.5e-6),
    "sea": ModeDefaults(speed_km_per_day=600, cost_per_ton_km=2e-8),
    "rail": ModeDefaults(speed_km_per_day=500, cost_per_ton_km=5e-8),
    "road": ModeDefaults(speed_km_per_day=400, cost_per_ton_km=1e-7),
}
"""Defaults, overridable per scenario: km per day door to door, and cost per ton-km in
the scenario's currency assuming EUR million (air about EUR 1.5, sea 0.02, rail 0.05,
road 0.10 per ton-km, order-of-magnitude commercial rates)."""


class Location(StrictModel):
    """A depot, airbase, seaport, railhead or theatre destination."""

    id: Id = Field(description="Location id: letters, digits, _ . -, up to 64 characters.")
    name: str = Field(default="", description="Display name.")
    host: Id = Field(description="Host nation (a member id, or another country code).")
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)] = Field(
        description="Latitude, degrees north (-90 to 90).")
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)] = Field(
        description="Longitude, degrees east (-180 to 180).")
    kind: LocationKind = Field(description="What the location is: depot, airbase, seaport, "
                               "railhead or theatre (a destination).")
    storage_tons: Tons | None = Field(default=None, description=f"Tons stored at once "
                                      f"({TONS_RANGE}); omitted: unlimited.")
    throughput_tons_per_day: Tons | None = Field(default=None, description="Tons handled per "
                                                 f"day ({TONS_RANGE}); omitted: unlimited.")
    mog: Annotated[int, Field(ge=0, le=10_000)] | None = Field(
        default=None, description="Airbases: aircraft on the ground at once (maximum on ground).")
    turns_per_day: Annotated[float, Field(gt=0, le=24, allow_inf_nan=False)] = Field(
        default=1.0, description="Airbases: times a parking slot turns over per day, so at "
        "most mog x turns_per_day aircraft land per day.")


class BasingRight(StrictModel):
    """Member ``member`` may use ``location`` for transit and/or storage."""

    member: Id = Field(description="Member granted the right.")
    location: Id = Field(description="Location it may use.")
    transit: bool = Field(default=True, description="The member may move cargo through "
                          "the location.")
    storage: bool = Field(default=True, description="The member may store cargo at the "
                          "location.")
    max_share: Fraction | None = Field(
        default=None, description="Cap on the member's share of the location's throughput "
        "and storage.")


class Item(StrictModel):
    """A kind of materiel moved."""

    id: Id = Field(description="Item id: letters, digits, _ . -, up to 64 characters.")
    name: str = Field(default="", description="Display name.")
    unit_tons: UnitTons = Field(description="Mass of one unit, 1e-3 to 1e6 t.")
    unit_m3: Annotated[float, Field(ge=0, le=MAX_UNIT_M3, allow_inf_nan=False)] = Field(
        default=0.0, description="Volume of one unit, 0 to 1e6 cubic metres.")
    cargo_class: CargoClass = Field(default="bulk", description="bulk, oversize, outsize "
                                    "or passengers (recorded; the model plans by tonnage).")


class Stock(StrictModel):
    """Units of ``item`` owned by ``owner`` at ``location`` (prepositioned or home depot)."""

    owner: Id = Field(description="Member owning the stock.")
    location: Id = Field(description="Location holding it.")
    item: Id = Field(description="Item held.")
    quantity: Units = Field(description=f"Units held ({UNITS_RANGE}).")
    kind: Literal["prepositioned", "home"] = Field(default="home", description="prepositioned "
                                                   "(held forward) or home (a home depot).")


class CrossServicing(StrictModel):
    """``receiver`` may draw ``provider``'s stocks (optionally only some items) at a price."""

    provider: Id = Field(description="Member whose stocks may be drawn.")
    receiver: Id = Field(description="Member that may draw them.")
    items: list[Id] | None = Field(default=None, description="Items that may be drawn; "
                                   "omitted: every item.")
    price_per_unit: Money = Field(default=0.0, description=f"Price per unit drawn "
                                  f"({MONEY_RANGE}).")


class Link(StrictModel):
    """A transport link; omitted transit time or cost come from great-circle distance and
    the mode's defaults."""

    origin: Id = Field(description="Location the link leaves from.")
    destination: Id = Field(description="Location the link arrives at.")
    mode: Mode = Field(description="air, sea, rail or road.")
    transit_days: Annotated[int, Field(ge=0, le=365)] | None = Field(
        default=None, description="Whole days in transit (0 to 365); omitted: from "
        "great-circle distance and the mode's speed.")
    cost_per_ton: Money | None = Field(default=None, description=f"Cost per ton carried "
                                       f"({MONEY_RANGE}); omitted: from distance and mode.")
    capacity_tons_per_day: Tons | None = Field(default=None, description="Tons per day "
                                               f"({TONS_RANGE}); omitted: unlimited.")
    bidirectional: bool = Field(default=True, description="The link also runs from "
                                "destination to origin.")


class LiftAsset(StrictModel):
    """A fleet of identical lift vehicles (aircraft, ships, trains, truck columns)."""

    id: Id = Field(description="Fleet id: letters, digits, _ . -, up to 64 characters.")
    type: str = Field(default="", description="Vehicle type (e.g. A400M), recorded only.")
    mode: Mode = Field(description="Mode the fleet serves: air, sea, rail or road.")
    payload_tons: UnitTons = Field(description="Payload of one vehicle, 1e-3 to 1e6 t.")
    available: Annotated[int, Field(ge=0, le=100_000)] = Field(
        description="Vehicles available each day.")
    sorties_per_day: Annotated[float, Field(gt=0, le=24, allow_inf_nan=False)] = Field(
        default=1.0, description="Sorties each vehicle can start per day on same-day links "
        "(transit 0 days); a sortie on a longer link holds a whole vehicle for 2 x transit "
        "days (out and back), whatever this value.")
    cost_per_sortie: Money = Field(default=0.0, description=f"Cost of one sortie "
                                   f"({MONEY_RANGE}).")
    owner: Id | None = Field(default=None, description="Owning member; omitted: a pooled fleet.")
    entitlements: dict[Id, Units] = Field(
        default_factory=dict, description="Pooled fleet: sorties each member may use over "
        f"the plan ({UNITS_RANGE}; like SAC's flight-hour shares); none listed: open to every "
        "member.")


class Movement(StrictModel):
    """A movement requirement (TPFDD line): ``quantity`` units of ``item`` for ``member``
    to reach ``destination`` inside its window.

    Day conventions: cargo may leave its origin from ALD on (RLD <= ALD is when the
    unit is ready); arrival from EAD on is on time up to LAD; after LAD it is late
    (penalised per day and by priority) up to RDD; what has not arrived by RDD is
    short.
    """

    id: Id = Field(description="Movement id: letters, digits, _ . -, up to 64 characters.")
    member: Id = Field(description="Member the cargo belongs to.")
    item: Id = Field(description="Item moved.")
    quantity: Quantity = Field(description=f"Units to move ({QUANTITY_RANGE}).")
    destination: Id = Field(description="Location the cargo must reach.")
    origin: Id | None = Field(default=None, description="A location holding stock the member "
                              "may use; omitted: any such stock.")
    rld: Day = Field(description="Ready-to-load day: the unit is ready at its origin "
                     "(day 0 to 3650).")
    ald: Day = Field(description="Available-to-load day: cargo may leave from this day on.")
    ead: Day = Field(description="Earliest arrival day: arriving from this day on is on time.")
    lad: Day = Field(description="Latest arrival day: arriving after it is late.")
    rdd: Day = Field(description="Required delivery day: what has not arrived by then is "
                     "short.")
    priority: Annotated[int, Field(ge=1, le=10)] = Field(
        default=1, description="Higher is more urgent: lateness weighs priority x days late.")

    @model_validator(mode="after")
    def _window(self) -> Movement:
        days = [self.rld, self.ald, self.ead, self.lad, self.rdd]
        if days != sorted(days):
            raise ValueError(
                f"window out of order: need rld <= ald <= ead <= lad <= rdd, got rld={self.rld}, "
                f"ald={self.ald}, ead={self.ead}, lad={self.lad}, rdd={self.rdd}")
        return self


class Logistics(StrictModel):
    """The logistics part of a scenario."""

    horizon_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        description="Days planned (1 to 3650): day 0 to horizon_days - 1.")
    modes: dict[Mode, ModeDefaults] = Field(default_factory=dict, description="Overrides of "
                                            "the per-mode speed and cost defaults.")
    locations: list[Location] = Field(min_length=1, description="Depots, airbases, "
                                      "seaports, railheads and theatres (at least one).")
    basing_rights: list[BasingRight] = Field(default_factory=list, description="Which "
                                             "member may use which location.")
    items: list[Item] = Field(min_length=1, description="Kinds of materiel moved (at least "
                              "one).")
    stocks: list[Stock] = Field(default_factory=list, description="Units members hold at "
                                "locations.")
    cross_servicing: list[CrossServicing] = Field(default_factory=list, description="Who may "
                                                  "draw whose stocks.")
    links: list[Link] = Field(default_factory=list, description="Transport links between "
                              "locations.")
    lift: list[LiftAsset] = Field(default_factory=list, description="Lift fleets.")
    movements: list[Movement] = Field(default_factory=list, description="Movement "
                                      "requirements (TPFDD lines).")
    late_penalty_per_ton_day: Money | None = Field(
        default=None, description="Penalty per ton, day late and priority level "
        f"({MONEY_RANGE}); omitted: above any transport cost.")
    shortfall_penalty_per_ton: Money | None = Field(
        default=None, description=f"Penalty per ton not delivered by RDD ({MONEY_RANGE}); "
        "omitted: above any lateness.")

    def mode_defaults(self, mode: Mode) -> ModeDefaults:
        """Speed and cost of ``mode``: the scenario's override, else the default."""
        return self.modes[mode] if mode in self.modes else DEFAULT_MODES[mode]

"""Pydantic schemas of the inputs (scenarios)."""

from procure.schema.logistics import (
    BasingRight,
    CrossServicing,
    Item,
    LiftAsset,
    Link,
    Location,
    Logistics,
    Movement,
    Stock,
)
from procure.schema.scenario import (
    Capability,
    CostShare,
    Horizon,
    Member,
    NationalConstraints,
    Program,
    Requirement,
    Scenario,
    Workshare,
)
from procure.schema.warnings import ScenarioWarning, scenario_warnings

__all__ = [
    "BasingRight",
    "Capability",
    "CostShare",
    "CrossServicing",
    "Horizon",
    "Item",
    "LiftAsset",
    "Link",
    "Location",
    "Logistics",
    "Member",
    "Movement",
    "NationalConstraints",
    "Program",
    "Requirement",
    "Scenario",
    "ScenarioWarning",
    "Stock",
    "Workshare",
    "scenario_warnings",
]

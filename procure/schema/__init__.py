"""Pydantic schemas of the inputs (scenarios)."""

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

__all__ = [
    "Capability",
    "CostShare",
    "Horizon",
    "Member",
    "NationalConstraints",
    "Program",
    "Requirement",
    "Scenario",
    "Workshare",
]

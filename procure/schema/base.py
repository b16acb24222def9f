"""Shared building blocks of the input schemas: the strict base model and number types."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"),
]
"""Identifier of a member, capability or program: letters, digits, ``_ . -``."""

NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=1900, le=2200)]


class StrictModel(BaseModel):
    """Base of every input model: unknown fields refused, instances frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

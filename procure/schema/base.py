"""Shared building blocks of the input schemas: the strict base model and number types.

Every number a scenario holds has a finite range (a JSON Schema ``minimum`` and
``maximum``), wide enough for any real alliance in any unit a planner would choose,
and narrow enough that a single value cannot break the double-precision solvers:

=========  ======================  ====================================================
kind       range                   why
=========  ======================  ====================================================
money      0 to 1e12               the whole yearly defence spending of the largest
                                   member (about 1e12 USD) even in plain currency
                                   units; 1e18 EUR in the default "EUR million"
units      0 to 1e9                a billion units a year (small-arms rounds counted
                                   one by one); use "thousand rounds" beyond
mass       0 to 1e9 t              a billion tons: a year of a large port's traffic
unit mass  1e-3 to 1e6 t           one kilogram to a million tons (the largest ship
                                   about 5e5 t; count lighter items in boxes);
                                   a divisor of tonnages, kept far from zero
speed      1 to 1e5 km per day     a crawl to 4 000 km/h; a divisor of distances
GDP        0 to 1e15               world GDP in plain US dollars is about 1e14
=========  ======================  ====================================================

The weights of a cost-share key (explicit, or the members' GDPs under ``key: gdp``)
may span at most ``MAX_KEY_SPREAD`` (1e6) from the smallest positive one to the
largest (a cross-field check in :mod:`procure.schema.checks`).

``MIN_QUANTITY`` (1e-3 of a unit) is the smallest quantity a requirement or a
movement may ask for: solvers accept a row as met within an absolute 1e-7, and the
procurement model derives coefficients of 1e-3 x a requirement (a divisible
program's smallest purchase), which HiGHS drops as zero below 1e-9.

Derived values (a default penalty, a product of capacity and years) can still grow
beyond what a solver takes at the edges of these ranges; the built model is
checked for that by :func:`procure.lp.numerics.check_coefficients`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_MONEY = 1e12
"""Largest amount of money in the scenario's currency (costs, budgets, prices, penalties)."""
MAX_UNITS = 1e9
"""Largest number of units (requirements, capacities, stocks, movements, sorties)."""
MIN_QUANTITY = 1e-3
"""Smallest positive quantity of a requirement or a movement, in units."""
MAX_TONS = 1e9
"""Largest mass in metric tons (storage, throughput and capacities per day)."""
MIN_UNIT_TONS, MAX_UNIT_TONS = 1e-3, 1e6
"""Range of the mass of one unit of an item and of a vehicle's payload, in tons."""
MAX_UNIT_M3 = 1e6
"""Largest volume of one unit of an item, in cubic metres."""
MIN_SPEED, MAX_SPEED = 1.0, 1e5
"""Range of a transport mode's door-to-door speed, km per day."""
MAX_COST_PER_TON_KM = 1e6
"""Largest transport cost per ton-km in the scenario's currency."""
MAX_GDP = 1e15
"""Largest GDP in the scenario's GDP unit."""
MIN_KEY, MAX_KEY = 1e-6, 1e15
"""Range of an explicit cost-share key weight (any unit: keys are normalised)."""
MAX_KEY_SPREAD = 1e6
"""Largest ratio between the largest and the smallest positive weight of a key rule
(explicit weights, or the members' GDPs for ``key: gdp``): the key rule's model uses
the ratio as a coefficient (``K_m = kk_m Lambda_l``, models/procurement.md section 7.1),
and HiGHS refuses a model with a coefficient of 1e15."""

MONEY_RANGE = "0 to 1e12 in the scenario's currency"
UNITS_RANGE = "0 to 1e9 units"
QUANTITY_RANGE = "1e-3 to 1e9 units"
TONS_RANGE = "0 to 1e9 t"

Id = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"),
]
"""Identifier of a member, capability or program: letters, digits, ``_ . -``."""

NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""A finite number >= 0 with no upper bound of its own (prefer the kinds below)."""
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
"""A finite number > 0 with no upper bound of its own (prefer the kinds below)."""
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=1900, le=2200)]

Money = Annotated[float, Field(ge=0, le=MAX_MONEY, allow_inf_nan=False,
                               description=f"Money, {MONEY_RANGE}.")]
"""An amount of money: 0 to :data:`MAX_MONEY`."""
PositiveMoney = Annotated[float, Field(gt=0, le=MAX_MONEY, allow_inf_nan=False,
                                       description="Money, above 0 and up to 1e12 in the "
                                       "scenario's currency.")]
"""An amount of money above 0, up to :data:`MAX_MONEY`."""
Units = Annotated[float, Field(ge=0, le=MAX_UNITS, allow_inf_nan=False,
                               description=f"Units, {UNITS_RANGE}.")]
"""A number of units (or of sorties): 0 to :data:`MAX_UNITS`."""
Quantity = Annotated[float, Field(ge=MIN_QUANTITY, le=MAX_UNITS, allow_inf_nan=False,
                                  description=f"Units, {QUANTITY_RANGE}.")]
"""A positive quantity asked for: :data:`MIN_QUANTITY` to :data:`MAX_UNITS`."""
Tons = Annotated[float, Field(ge=0, le=MAX_TONS, allow_inf_nan=False,
                              description=f"Metric tons, {TONS_RANGE}.")]
"""A mass (or mass per day) in metric tons: 0 to :data:`MAX_TONS`."""
UnitTons = Annotated[float, Field(ge=MIN_UNIT_TONS, le=MAX_UNIT_TONS, allow_inf_nan=False,
                                  description="Metric tons, 1e-3 to 1e6 t.")]
"""The mass of one unit or one payload: :data:`MIN_UNIT_TONS` to :data:`MAX_UNIT_TONS`."""
Gdp = Annotated[float, Field(ge=0, le=MAX_GDP, allow_inf_nan=False,
                             description="GDP, 0 to 1e15 in the scenario's GDP unit.")]
"""A GDP: 0 to :data:`MAX_GDP`."""
KeyWeight = Annotated[float, Field(ge=MIN_KEY, le=MAX_KEY, allow_inf_nan=False,
                                   description="Cost-share key weight, 1e-6 to 1e15 (any "
                                   "unit: keys are normalised).")]
"""An explicit cost-share key weight: :data:`MIN_KEY` to :data:`MAX_KEY`."""


class StrictModel(BaseModel):
    """Base of every input model: unknown fields refused, instances frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

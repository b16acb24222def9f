"""Pydantic models of a scenario document: the one validated input of every formulation.

Validation happens here, once: unknown fields are refused (``extra="forbid"``),
numbers must be finite and non-negative, and every cross-reference (member,
capability, program, year) must resolve. A failed check names the offending path
(``programs[2].capability``) and quotes the offending value.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from procure.schema.base import (
    MONEY_RANGE,
    QUANTITY_RANGE,
    UNITS_RANGE,
    Fraction,
    Gdp,
    Id,
    KeyWeight,
    Money,
    PositiveMoney,
    Quantity,
    StrictModel,
    Units,
    Year,
)
from procure.schema.logistics import Logistics


class Horizon(StrictModel):
    """Fiscal years planned, inclusive at both ends."""

    first_year: Year = Field(description="First fiscal year planned (1900 to 2200).")
    last_year: Year = Field(description="Last fiscal year planned, inclusive (1900 to 2200; "
                            "less than 100 years after first_year).")

    @model_validator(mode="after")
    def _ordered(self) -> Horizon:
        if self.last_year < self.first_year:
            raise ValueError(
                f"last_year={self.last_year} is before first_year={self.first_year}"
            )
        if self.last_year - self.first_year >= 100:
            raise ValueError("a horizon longer than 100 years is not supported")
        return self

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))


class Workshare(StrictModel):
    """Industrial return rule (juste retour) of one member.

    ``per_program``: in every program it joins, the work placed with the member's
    industry is worth at least ``min_ratio`` x what the member pays into it.
    ``global``: the same ratio holds summed over all programs (OCCAR's global balance).
    """

    mode: Literal["per_program", "global"] = Field(
        default="global", description="per_program: the ratio holds in every program the "
        "member joins; global: summed over all its programs (OCCAR's global balance).")
    min_ratio: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] = Field(
        description="Least value of the work placed with the member's industry per unit "
        "of money it pays (0 to 10; 1 is full juste retour).")


class NationalConstraints(StrictModel):
    """Constraints a member places on its own procurement."""

    sovereign: list[Id] = Field(
        default_factory=list,
        description="Capabilities that must come from programs the member leads or produces in.",
    )
    max_single_foreign_share: Fraction | None = Field(
        default=None,
        description="Cap on the share of any capability bought from programs led by one "
        "foreign nation (applies to every capability unless overridden per capability).",
    )
    max_single_foreign_share_by_capability: dict[Id, Fraction] = Field(
        default_factory=dict, description="Per capability, a cap (fraction 0 to 1) that "
        "overrides max_single_foreign_share.")
    workshare: Workshare | None = Field(default=None, description="Industrial return rule "
                                        "(juste retour); omitted: none.")


class Member(StrictModel):
    """A sovereign nation of the alliance."""

    id: Id = Field(description="Member id (e.g. an ISO country code): letters, digits, "
                   "_ . -, up to 64 characters.")
    name: str = Field(default="", description="Display name.")
    gdp: Gdp = Field(description="GDP in the scenario's GDP unit (0 to 1e15); the default "
                     "cost-share key.")
    defence_spending_pct_gdp: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = (
        Field(default=None, description="Defence spending, % of GDP (0 to 100): burden "
              "sharing shows it against the 2 % benchmark.")
    )
    budgets: dict[Year, Money] | None = Field(
        default=None,
        description=f"Money available for procurement per fiscal year ({MONEY_RANGE}); "
        "when given, every horizon year must be listed. Omitted: the member has no budget "
        "limit.",
    )
    constraints: NationalConstraints = Field(default_factory=NationalConstraints,
                                             description="The member's national constraints.")


class Capability(StrictModel):
    """A kind of materiel members must field."""

    id: Id = Field(description="Capability id: letters, digits, _ . -, up to 64 "
                   "characters.")
    name: str = Field(default="", description="Display name.")
    unit: str = Field(default="unit", description="What one unit is (e.g. aircraft, "
                      "thousand rounds): quantities of the capability count in it.")
    divisible: bool = Field(
        default=False,
        description="Quantities may be fractional (otherwise units are whole numbers).",
    )
    unmet_unit_value: Money | None = Field(
        default=None,
        description="What one unit a coalition cannot deliver itself costs it, in the "
        f"scenario's currency ({MONEY_RANGE}): e.g. the price of buying it off the shelf "
        "abroad. Prices the shortfall of a sub-coalition in the burden-sharing game "
        "(models/sharing.md); omitted: the dearest way to buy one unit inside the "
        "alliance, the largest unit price plus NRC of any program of the capability.")


class Requirement(StrictModel):
    """Member ``member`` must have received ``quantity`` units of ``capability`` by the
    end of fiscal year ``by_year`` (cumulative over the horizon)."""

    member: Id = Field(description="Member that must field the capability.")
    capability: Id = Field(description="Capability required.")
    quantity: Quantity = Field(description=f"Units needed by the end of by_year, cumulative "
                               f"({QUANTITY_RANGE}).")
    by_year: Year = Field(description="Fiscal year by whose end the quantity must have been "
                          "received.")


class CostShare(StrictModel):
    """How a program's non-recurring cost (NRC) is split among its participants.

    - ``proportional``: in proportion to the units each participant buys;
    - ``key``: by a fixed key among the participants (``key="gdp"`` or explicit
      weights), with optional caps and floors on the resulting shares, the excess
      redistributed over the others in proportion to their keys (NATO-style);
    - ``equal``: equal shares among the participants.
    """

    rule: Literal["proportional", "key", "equal"] = Field(
        default="proportional", description="proportional: in proportion to the units each "
        "participant buys; key: by a fixed key among the participants; equal: equal shares.")
    key: Literal["gdp"] | dict[Id, KeyWeight] = Field(
        default="gdp", description="key rule only: \"gdp\", or a weight per member (1e-6 to "
        "1e15, any unit: the weights are normalised over the participants). The positive "
        "weights (or GDPs) may span at most 1e6 from the smallest to the largest.")
    caps: dict[Id, Fraction] = Field(
        default_factory=dict, description="key and equal rules: the largest share of a "
        "launch's NRC a member pays (fraction 0 to 1); the excess goes to the others in "
        "proportion to their keys.")
    floors: dict[Id, Fraction] = Field(
        default_factory=dict, description="key and equal rules: the smallest share of a "
        "launch's NRC a member pays (fraction 0 to 1).")
    tolerance: Annotated[float, Field(ge=0.001, le=0.5, allow_inf_nan=False)] = Field(
        default=0.02,
        description="proportional rule only: the largest relative over-statement of a "
        "member's NRC share that the (conservative) linear model may make.",
    )


class Program(StrictModel):
    """A source of one capability: multinational, or national when one member is eligible."""

    id: Id = Field(description="Program id: letters, digits, _ . -, up to 64 characters.")
    name: str = Field(default="", description="Display name.")
    capability: Id = Field(description="Capability the program supplies.")
    lead: Id = Field(description="Lead nation (a member id).")
    producers: dict[Id, Fraction] | None = Field(
        default=None,
        description="Share of the program's work placed in each member's industry "
        "(sums to 1). Omitted: all work goes to the lead nation.",
    )
    nrc: dict[Year, Money] = Field(
        default_factory=dict,
        description="Non-recurring cost (development, tooling) by the fiscal year it falls in "
        f"({MONEY_RANGE} per year).",
    )
    unit_cost: Money = Field(description=f"Price of one unit ({MONEY_RANGE}).")
    unit_cost_by_member: dict[Id, Money] = Field(
        default_factory=dict, description=f"Prices that differ by member ({MONEY_RANGE}).")
    capacity_per_year: Units | None = Field(
        default=None, description=f"Units the program can deliver per year ({UNITS_RANGE}); "
        "omitted: unlimited."
    )
    first_delivery_year: Year | None = Field(
        default=None, description="First fiscal year the program delivers units; omitted: "
        "the horizon's first year.")
    min_production_run: Units = Field(
        default=0.0, description=f"Fewest units a launched program delivers in total "
        f"({UNITS_RANGE}).")
    min_participants: Annotated[int, Field(ge=1, le=1000)] = Field(
        default=1, description="Fewest members that must join for the program to be "
        "launched (1 to 1000).")
    eligible: list[Id] | None = Field(
        default=None, description="Members that may join; omitted: every member."
    )
    excluded: list[Id] = Field(
        default_factory=list, description="Members barred by export control (overrides eligible)."
    )
    cost_share: CostShare | None = Field(
        default=None, description="Overrides the scenario's default cost-share rule."
    )

    @property
    def nrc_total(self) -> float:
        return float(sum(self.nrc.values()))

    def work_fractions(self) -> dict[str, float]:
        return dict(self.producers) if self.producers is not None else {self.lead: 1.0}

    def price_for(self, member: str) -> float:
        return self.unit_cost_by_member.get(member, self.unit_cost)


class Scenario(StrictModel):
    """One alliance planning scenario (procurement part)."""

    schema_version: Literal[1] = Field(default=1, description="Version of the scenario "
                                       "format (1).")
    name: str = Field(description="Name of the scenario, shown in reports.")
    description: str = Field(default="", description="What the scenario describes.")
    currency: str = Field(default="EUR million", description="Unit of every amount of money "
                          "in the scenario (e.g. EUR million).")
    sources: list[str] = Field(default_factory=list, description="Where the figures come from.")
    origin: Literal["alliance", "facility-location"] = Field(
        default="alliance",
        description="What the scenario models: an alliance of nations (solve compares the "
        "joint plan with each member going alone by default) or a facility-location "
        "instance imported by procure import (its members are customers: no go-alone "
        "baseline unless --baseline).")
    horizon: Horizon = Field(description="Fiscal years planned.")
    members: list[Member] = Field(min_length=1, description="The member nations (at least "
                                  "one).")
    capabilities: list[Capability] = Field(default_factory=list, description="Kinds of "
                                           "materiel members must field.")
    programs: list[Program] = Field(default_factory=list, description="Sources of the "
                                    "capabilities: multinational or national programs.")
    requirements: list[Requirement] = Field(default_factory=list, description="What each "
                                            "member must have received, by when.")
    cost_share: CostShare = Field(default_factory=CostShare, description="Default split of a "
                                  "program's NRC among its participants.")
    logistics: Logistics | None = Field(
        default=None, description="Basing, stocks, transport, lift and movement requirements.")
    shortfall_penalty: PositiveMoney | None = Field(
        default=None,
        description="Penalty per unit of unmet requirement (above 0, up to 1e12 in the "
        "scenario's currency); omitted: a bound that exceeds the cost of any plan without "
        "shortfall.",
    )

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        from procure.schema.checks import cross_reference_problems, logistics_problems

        problems = cross_reference_problems(self) + logistics_problems(self)
        if problems:
            raise ValueError("\n".join(str(p) for p in problems))
        return self

    # -- lookups -------------------------------------------------------------------
    def member(self, member_id: str) -> Member:
        return next(m for m in self.members if m.id == member_id)

    def program(self, program_id: str) -> Program:
        return next(p for p in self.programs if p.id == program_id)

    def eligible_members(self, program: Program) -> list[str]:
        """Members that may join ``program``: eligible, not excluded, in member order."""
        allowed = set(program.eligible) if program.eligible is not None else None
        barred = set(program.excluded)
        return [
            m.id
            for m in self.members
            if (allowed is None or m.id in allowed) and m.id not in barred
        ]

    def cost_share_for(self, program: Program) -> CostShare:
        return program.cost_share if program.cost_share is not None else self.cost_share

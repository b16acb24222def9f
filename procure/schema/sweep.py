"""Pydantic models of a sweep specification: many what-ifs of one base scenario.

A sweep spec (YAML or JSON) names a base scenario file, the solver and its options per
case, and the what-ifs to run: *axes* of values, each value a list of *edits* of the
base scenario (a member leaves, budgets fall by a fifth, a program overruns, ...),
combined as a product or pairwise (``zip``), plus explicit extra *cases*. Case
expansion is :func:`procure.sweep.cases.expand`; what each edit changes is
:mod:`procure.sweep.edits`.

Validation follows the scenario's rules (:mod:`procure.io`): the document is parsed with
the same safe loader and limits, unknown fields are refused, and every problem names the
path of the offending field and quotes its value, e.g.
``axes[0].values[1].edits[0] (budget_change).factor: Input should be greater than 0
(got -0.1)``. On top of the field checks, :func:`spec_problems` checks the document as a
whole (unique names and labels, zip lengths, case count) and :func:`reference_problems`
checks every member, program, capability, location and year an edit names against the
base scenario. Only what depends on the other edits of a case (a member that left in the
same case, a delay beyond the horizon) is left to each case: there it makes that case a
named failure, never the whole sweep.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationError,
    model_validator,
)

from procure.errors import Problem, ScenarioError, SweepSpecError, quote
from procure.io import load_scenario, parse_text, problems_from_validation, read_document
from procure.schema.base import QUANTITY_RANGE, Fraction, Id, Quantity, StrictModel, Year
from procure.schema.scenario import Member, Scenario

MAX_CASES = 100_000
"""Most cases one sweep may expand to (axes' product or zip, the base case and the
explicit cases together)."""

SolverName = Literal["highs", "scip", "cpsat", "cbc"]

IdOrAll = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64,
                      pattern=r"^(\*|[A-Za-z0-9][A-Za-z0-9_.\-]*)$"),
]
"""An identifier, or ``"*"`` for all."""


def _list_or_all(value: Any) -> str:
    # the tags look like pydantic's own union tags, which procure.io leaves out of paths
    return "literal['*']" if isinstance(value, str) else "list[str]"


IdsOrAll = Annotated[
    Annotated[list[Id], Tag("list[str]")] | Annotated[Literal["*"], Tag("literal['*']")],
    Discriminator(_list_or_all),
]
"""A list of identifiers, or ``"*"`` for all (one error per field, whichever is wrong)."""

Factor = Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)]
"""A multiplier above 0, at most 1000."""

TimeLimit = Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)]
MipGap = Annotated[float, Field(ge=0, le=0.999, allow_inf_nan=False)]
Threads = Annotated[int, Field(ge=1, le=1024)]
Seed = Annotated[int, Field(ge=0, le=2**31 - 1)]


def _num(x: float) -> str:
    """``0.9``, ``1.3``, ``2`` (no trailing zeros) for a label."""
    return f"{x:g}"


def _names(ids: Sequence[str], noun: str) -> str:
    """``FR``, ``FR, DE`` or ``5 members`` for a label."""
    if len(ids) <= 3:
        return ", ".join(ids)
    return f"{len(ids)} {noun}"


def _years(years: Sequence[int]) -> str:
    """``2026``, ``2026-2028`` or ``2026, 2028`` for a label."""
    ys = sorted(set(years))
    if len(ys) > 1 and ys == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}-{ys[-1]}"
    return ", ".join(str(y) for y in ys)


# ---------------------------------------------------------------------------------------
# options


class SweepOptions(StrictModel):
    """Solver options of every case (a case may override them)."""

    time_limit: TimeLimit = Field(default=120.0, description="Wall-clock limit of one case, "
                                  "in seconds (above 0, at most 1e6).")
    mip_gap: MipGap = Field(default=1e-6, description="Relative MIP gap at which a solve "
                            "counts as optimal (0 to 0.999).")
    threads: Threads = Field(default=1, description="Solver threads per case (at least 1).")
    seed: Seed = Field(default=0, description="Solver random seed (0 to 2^31 - 1).")
    solver_options: dict[SolverName, dict[str, bool | int | float | str]] = Field(
        default_factory=dict, description="Each solver's own settings, by solver name "
        "(e.g. {highs: {mip_max_nodes: 20000}}: a node limit stops every case at the same "
        "point on any machine, where a time limit does not); refused by name before any "
        "solve when the solver does not know them.")


class OptionsOverride(StrictModel):
    """Solver options of one case that differ from the sweep's (omitted: the sweep's)."""

    time_limit: TimeLimit | None = Field(default=None, description="Wall-clock limit of the "
                                         "case, in seconds (above 0, at most 1e6).")
    mip_gap: MipGap | None = Field(default=None, description="Relative MIP gap (0 to 0.999).")
    threads: Threads | None = Field(default=None, description="Solver threads (at least 1).")
    seed: Seed | None = Field(default=None, description="Solver random seed.")


# ---------------------------------------------------------------------------------------
# edits


class MemberLeaves(StrictModel):
    """A member leaves the alliance, with everything that refers to it."""

    edit: Literal["member_leaves"] = Field(description="Edit kind.")
    member: Id = Field(description="The member that leaves.")

    def describe(self) -> str:
        return f"{self.member} leaves"


class JoinRequirement(StrictModel):
    """A requirement of a member that joins (the member is the one joining)."""

    capability: Id = Field(description="Capability needed.")
    quantity: Quantity = Field(description=f"Units needed by the end of by_year, cumulative "
                               f"({QUANTITY_RANGE}).")
    by_year: Year = Field(description="Fiscal year by whose end the units are needed.")


class MemberJoins(StrictModel):
    """A new member joins the alliance."""

    edit: Literal["member_joins"] = Field(description="Edit kind.")
    member: Member = Field(description="The new member, as in a scenario's members list "
                           "(budgets, when given, for every horizon year).")
    requirements: list[JoinRequirement] = Field(
        default_factory=list, description="What the new member needs.")
    programs: list[Id] = Field(
        default_factory=list, description="Programs with an explicit eligible list that the "
        "new member may join too (programs without one admit every member already).")

    def describe(self) -> str:
        return f"{self.member.id} joins"


class CostOverrun(StrictModel):
    """Programs cost more: their NRC and/or unit costs are multiplied by factors."""

    edit: Literal["cost_overrun"] = Field(description="Edit kind.")
    programs: IdsOrAll | None = Field(
        default=None, description="Program ids, or \"*\" for every program; omit when "
        "multinational is true.")
    multinational: bool = Field(
        default=False, description="Every program with more than one eligible member (in the "
        "case's scenario, after the edits before this one).")
    nrc_factor: Factor = Field(default=1.0, description="Multiplier of every yearly NRC "
                               "(above 0, at most 1000).")
    unit_cost_factor: Factor = Field(default=1.0, description="Multiplier of unit_cost and "
                                     "of every unit_cost_by_member (above 0, at most 1000).")

    @model_validator(mode="after")
    def _target(self) -> CostOverrun:
        if self.multinational and self.programs is not None:
            raise ValueError("give programs or multinational: true, not both")
        if not self.multinational and self.programs is None:
            raise ValueError("give programs (a list of ids, or \"*\") or multinational: true")
        if self.nrc_factor == 1 and self.unit_cost_factor == 1:
            raise ValueError("nrc_factor and unit_cost_factor are both 1: the edit changes "
                             "nothing")
        return self

    def describe(self) -> str:
        if self.multinational:
            what = "multinational programs"
        elif self.programs == "*" or self.programs is None:
            what = "all programs"
        else:
            what = _names(self.programs, "programs")
        n, u = self.nrc_factor, self.unit_cost_factor
        if n == u:
            return f"{what} overrun x{_num(n)}"
        if u == 1:
            return f"{what} NRC x{_num(n)}"
        if n == 1:
            return f"{what} unit cost x{_num(u)}"
        return f"{what} NRC x{_num(n)}, unit cost x{_num(u)}"


class BudgetChange(StrictModel):
    """Members' yearly procurement budgets are multiplied by a factor."""

    edit: Literal["budget_change"] = Field(description="Edit kind.")
    members: IdsOrAll = Field(default="*", description="Member ids, or \"*\" for every "
                              "member with budgets.")
    years: list[Year] | None = Field(default=None, min_length=1, description="Fiscal years "
                                     "changed; omitted: every year.")
    factor: Factor = Field(description="Multiplier of each budget changed (above 0, at most "
                           "1000): 0.8 is a cut of a fifth.")

    def describe(self) -> str:
        who = "budgets" if self.members == "*" else (
            f"{_names(self.members, 'members')} budgets")
        when = f" in {_years(self.years)}" if self.years else ""
        return f"{who} x{_num(self.factor)}{when}"


class CapacityLoss(StrictModel):
    """A program's yearly production capacity falls to a fraction of what it was."""

    edit: Literal["capacity_loss"] = Field(description="Edit kind.")
    program: Id = Field(description="The program.")
    factor: Fraction = Field(description="Capacity kept, 0 to 1 (0: the program delivers "
                             "nothing, 0.7: a loss of 30 %).")
    years: list[Year] | None = Field(
        default=None, min_length=1, description="Years of the loss; omitted: every year. A "
        "scenario gives a program one capacity for every year (capacity_per_year), so years "
        "can only be given once the scenario can hold a capacity by year.")

    def describe(self) -> str:
        when = f" in {_years(self.years)}" if self.years else ""
        return f"{self.program} capacity x{_num(self.factor)}{when}"


class DeliveryDelay(StrictModel):
    """A program delivers its first units later."""

    edit: Literal["delivery_delay"] = Field(description="Edit kind.")
    program: Id = Field(description="The program.")
    years: Annotated[int, Field(ge=1, le=100)] = Field(
        description="Years of delay (1 to 100) added to first_delivery_year (a program "
        "without one delivers from the horizon's first year, so it becomes that year + "
        "years).")

    def describe(self) -> str:
        return f"{self.program} {self.years} year{'s' if self.years != 1 else ''} late"


class BasingWithdrawn(StrictModel):
    """A host withdraws basing rights (logistics)."""

    edit: Literal["basing_withdrawn"] = Field(description="Edit kind.")
    member: IdOrAll = Field(description="The member losing its right, or \"*\" for every "
                            "member's right at the location.")
    location: IdOrAll = Field(description="The location, or \"*\" for every location the "
                              "member has a right to.")

    def describe(self) -> str:
        if self.member == "*" and self.location == "*":
            return "all basing withdrawn"
        if self.member == "*":
            return f"all basing at {self.location} withdrawn"
        if self.location == "*":
            return f"{self.member} basing withdrawn everywhere"
        return f"{self.member} basing at {self.location} withdrawn"


class ExclusionAdded(StrictModel):
    """Export control bars a member from a program."""

    edit: Literal["exclusion_added"] = Field(description="Edit kind.")
    program: Id = Field(description="The program.")
    member: Id = Field(description="The member barred (added to the program's excluded).")

    def describe(self) -> str:
        return f"{self.member} excluded from {self.program}"


class RequirementChange(StrictModel):
    """Requirements are scaled and/or moved in time."""

    edit: Literal["requirement_change"] = Field(description="Edit kind.")
    member: IdOrAll = Field(default="*", description="Member whose requirements change, or "
                            "\"*\" for every member.")
    capability: IdOrAll = Field(default="*", description="Capability whose requirements "
                                "change, or \"*\" for every capability.")
    factor: Factor | None = Field(default=None, description="Multiplier of each quantity "
                                  "(above 0, at most 1000); whole units stay whole (rounded).")
    by_year_shift: Annotated[int, Field(ge=-100, le=100)] = Field(
        default=0, description="Years added to each by_year (negative: earlier).")

    @model_validator(mode="after")
    def _something(self) -> RequirementChange:
        if self.factor is None and self.by_year_shift == 0:
            raise ValueError("give factor and/or a by_year_shift other than 0")
        return self

    def describe(self) -> str:
        who = " ".join(x for x in (self.member, self.capability) if x != "*")
        parts = []
        if self.factor is not None:
            parts.append(f"x{_num(self.factor)}")
        if self.by_year_shift:
            n = abs(self.by_year_shift)
            parts.append(f"{n} year{'s' if n != 1 else ''} "
                         f"{'later' if self.by_year_shift > 0 else 'earlier'}")
        return f"{who + ' ' if who else ''}requirements {', '.join(parts)}"


class SolverOptionsEdit(StrictModel):
    """Solver or options of the case (not a change of the scenario)."""

    edit: Literal["solver_options"] = Field(description="Edit kind.")
    solver: SolverName | None = Field(default=None, description="Solver of the case.")
    time_limit: TimeLimit | None = Field(default=None, description="Wall-clock limit of the "
                                         "case, in seconds (above 0, at most 1e6).")
    mip_gap: MipGap | None = Field(default=None, description="Relative MIP gap (0 to 0.999).")
    threads: Threads | None = Field(default=None, description="Solver threads (at least 1).")
    seed: Seed | None = Field(default=None, description="Solver random seed.")

    @model_validator(mode="after")
    def _something(self) -> SolverOptionsEdit:
        if all(getattr(self, f) is None for f in
               ("solver", "time_limit", "mip_gap", "threads", "seed")):
            raise ValueError("give at least one of solver, time_limit, mip_gap, threads, seed")
        return self

    def describe(self) -> str:
        parts = []
        if self.solver is not None:
            parts.append(f"solver {self.solver}")
        if self.time_limit is not None:
            parts.append(f"time limit {_num(self.time_limit)} s")
        if self.mip_gap is not None:
            parts.append(f"gap {_num(self.mip_gap)}")
        if self.threads is not None:
            parts.append(f"{self.threads} thread{'s' if self.threads != 1 else ''}")
        if self.seed is not None:
            parts.append(f"seed {self.seed}")
        return ", ".join(parts)


ScenarioEdit = (MemberLeaves | MemberJoins | CostOverrun | BudgetChange | CapacityLoss
                | DeliveryDelay | BasingWithdrawn | ExclusionAdded | RequirementChange)
"""Every edit that changes the scenario (all kinds but ``solver_options``)."""

Edit = Annotated[ScenarioEdit | SolverOptionsEdit, Field(discriminator="edit")]
"""One edit; its kind is the ``edit`` field."""

EDIT_KINDS: tuple[str, ...] = (
    "member_leaves", "member_joins", "cost_overrun", "budget_change", "capacity_loss",
    "delivery_delay", "basing_withdrawn", "exclusion_added", "requirement_change",
    "solver_options",
)


def describe_edits(edits: Sequence[Edit]) -> str:
    """The default label of a list of edits: each edit's own label joined by `` + ``
    (``FR leaves + budgets x0.9``); ``unchanged`` for no edits."""
    return " + ".join(e.describe() for e in edits) if edits else "unchanged"


# ---------------------------------------------------------------------------------------
# the document


Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class AxisValue(StrictModel):
    """One value of an axis: a what-if made of one or more edits."""

    label: Label | None = Field(default=None, description="Short readable name of the value; "
                                "omitted: derived from the edits (\"FR leaves\", \"budgets "
                                "x0.9\", joined by \" + \").")
    edits: list[Edit] = Field(description="Edits applied together, in order (empty: the "
                              "base scenario unchanged).")

    @property
    def name(self) -> str:
        """The label given, else one derived from the edits."""
        return self.label if self.label is not None else describe_edits(self.edits)


class Axis(StrictModel):
    """One dimension of the sweep: a named list of what-ifs."""

    name: Id = Field(description="Unique id of the axis (\"case\" is reserved).")
    description: str = Field(default="", description="What the axis varies.")
    values: list[AxisValue] = Field(min_length=1, description="The what-ifs of this axis.")


class ExplicitCase(StrictModel):
    """One extra case, outside the axes."""

    name: Label = Field(description="Unique name of the case.")
    edits: list[Edit] = Field(default_factory=list, description="Edits applied, in order.")
    options: OptionsOverride | None = Field(default=None, description="Solver options of "
                                            "this case that differ from the sweep's.")


class SweepSpec(StrictModel):
    """A sweep: one base scenario and the what-ifs to solve."""

    schema_version: Literal[1] = Field(default=1, description="Version of this format.")
    name: Label = Field(description="Name of the sweep.")
    description: str = Field(default="", description="What the sweep asks.")
    base: Annotated[str, StringConstraints(min_length=1, max_length=4096)] = Field(
        description="Path of the base scenario file, relative to the spec file's folder "
        "(or absolute).")
    solver: SolverName = Field(default="highs", description="Solver of every case.")
    options: SweepOptions = Field(default_factory=SweepOptions,
                                  description="Solver options of every case.")
    include_base: bool = Field(default=True, description="Solve the base scenario unedited, "
                               "as case 0.")
    axes: list[Axis] = Field(default_factory=list, description="What-ifs, by dimension.")
    combine: Literal["product", "zip"] = Field(
        default="product", description="product: every combination of one value per axis "
        "(the first axis varies slowest); zip: the i-th values of every axis together (all "
        "axes of the same length).")
    cases: list[ExplicitCase] = Field(default_factory=list,
                                      description="Extra cases, after the axes' cases.")

    def axis_case_count(self) -> int:
        """Cases the axes give (0 without axes)."""
        if not self.axes:
            return 0
        if self.combine == "zip":
            return len(self.axes[0].values)
        return math.prod(len(a.values) for a in self.axes)

    def case_count(self) -> int:
        """Cases of the sweep: the base case, the axes' cases and the explicit cases."""
        return int(self.include_base) + self.axis_case_count() + len(self.cases)


# ---------------------------------------------------------------------------------------
# whole-document and reference checks


def _axis_at(i: int, axis: Axis) -> str:
    return f"axes[{i}] (name {axis.name!r})"


def _case_at(i: int, case: ExplicitCase) -> str:
    return f"cases[{i}] (name {case.name!r})"


def spec_edits(spec: SweepSpec) -> Iterator[tuple[str, Edit]]:
    """(path, edit) of every edit in the spec, axes first, in document order."""
    for i, axis in enumerate(spec.axes):
        for j, value in enumerate(axis.values):
            for k, e in enumerate(value.edits):
                yield f"{_axis_at(i, axis)}.values[{j}].edits[{k}] ({e.edit})", e
    for i, case in enumerate(spec.cases):
        for k, e in enumerate(case.edits):
            yield f"{_case_at(i, case)}.edits[{k}] ({e.edit})", e


def spec_problems(spec: SweepSpec) -> list[Problem]:
    """Problems of the spec as a whole, without its base scenario: duplicate axis names,
    labels or case names, a reserved axis name, zip axes of unequal lengths, no case at
    all, or more than :data:`MAX_CASES` cases. Empty when fine."""
    out: list[Problem] = []
    names = Counter(a.name for a in spec.axes)
    for i, axis in enumerate(spec.axes):
        at = _axis_at(i, axis)
        if axis.name == "case":
            out.append(Problem(f"axes[{i}].name", "'case' is reserved (it labels the "
                               "explicit cases); choose another name"))
        elif names[axis.name] > 1 and [a.name for a in spec.axes].index(axis.name) < i:
            out.append(Problem(f"axes[{i}].name", f"duplicate axis name {axis.name!r}"))
        seen: dict[str, int] = {}
        for j, value in enumerate(axis.values):
            label = value.name
            if label in seen:
                how = "" if value.label is not None else " (derived from its edits)"
                out.append(Problem(f"{at}.values[{j}].label",
                                   f"label {quote(label)}{how} repeats values[{seen[label]}]; "
                                   "give each value of an axis its own label"))
            else:
                seen[label] = j
    if spec.combine == "zip" and spec.axes:
        first = spec.axes[0]
        for i, axis in enumerate(spec.axes[1:], start=1):
            if len(axis.values) != len(first.values):
                out.append(Problem(
                    f"{_axis_at(i, axis)}.values",
                    f"{len(axis.values)} value(s), but axis {first.name!r} has "
                    f"{len(first.values)}: combine: zip pairs the i-th values of every axis, "
                    "so all axes need the same number of values"))
    case_names = Counter(c.name for c in spec.cases)
    for i, case in enumerate(spec.cases):
        if case_names[case.name] > 1 and [c.name for c in spec.cases].index(case.name) < i:
            out.append(Problem(f"cases[{i}].name", f"duplicate case name {quote(case.name)}"))
        elif case.name == "base" and spec.include_base:
            out.append(Problem(f"cases[{i}].name", "'base' names the base case "
                               "(include_base: true); choose another name"))
    if not out:
        n = spec.case_count()
        if n == 0:
            out.append(Problem("", "the sweep has no case: include_base is false and there "
                               "are no axes and no cases"))
        elif n > MAX_CASES:
            out.append(Problem("axes", f"the sweep expands to {n} cases; at most {MAX_CASES} "
                               "are supported (split it, or combine: zip)"))
    return out


def _unknown(path: str, kind: str, value: object, known: set[str]) -> Problem:
    hint = ", ".join(sorted(known)[:8]) + (" ..." if len(known) > 8 else "")
    return Problem(path, f"unknown {kind} {quote(value)} (known: {hint or 'none'})")


def reference_problems(spec: SweepSpec, base: Scenario) -> list[Problem]:
    """Every member, program, capability, location, basing right and year an edit names
    that the base scenario does not hold, and edits that could change nothing in it
    (a budget change of members without budgets, a capacity loss of a program without a
    capacity). A member joined by a ``member_joins`` edit anywhere in the spec counts as
    known (whether it is there in a case is checked per case). Empty when fine."""
    out: list[Problem] = []
    members = {m.id for m in base.members}
    joined = {e.member.id for _, e in spec_edits(spec) if isinstance(e, MemberJoins)}
    anyone = members | joined
    with_budgets = {m.id for m in base.members if m.budgets is not None}
    with_budgets |= {e.member.id for _, e in spec_edits(spec)
                     if isinstance(e, MemberJoins) and e.member.budgets is not None}
    programs = {p.id: p for p in base.programs}
    caps = {c.id for c in base.capabilities}
    years = set(base.horizon.years)
    span = f"{base.horizon.first_year}-{base.horizon.last_year}"
    lg = base.logistics
    locations = {loc.id for loc in lg.locations} if lg is not None else set()
    rights = {(r.member, r.location) for r in lg.basing_rights} if lg is not None else set()

    def member(path: str, mid: str, known: set[str] = anyone) -> None:
        if mid != "*" and mid not in known:
            out.append(_unknown(path, "member", mid, known))

    def program(path: str, pid: str) -> bool:
        if pid not in programs:
            out.append(_unknown(path, "program", pid, set(programs)))
            return False
        return True

    def year(path: str, y: int) -> None:
        if y not in years:
            out.append(Problem(path, f"year {y} is outside the horizon {span}"))

    for at, e in spec_edits(spec):
        if isinstance(e, MemberLeaves):
            member(f"{at}.member", e.member)
        elif isinstance(e, MemberJoins):
            if e.member.id in members:
                out.append(Problem(f"{at}.member.id", f"{quote(e.member.id)} is already a "
                                   "member of the base scenario"))
            for k, r in enumerate(e.requirements):
                if r.capability not in caps:
                    out.append(_unknown(f"{at}.requirements[{k}].capability", "capability",
                                        r.capability, caps))
                year(f"{at}.requirements[{k}].by_year", r.by_year)
            for k, pid in enumerate(e.programs):
                program(f"{at}.programs[{k}]", pid)
        elif isinstance(e, CostOverrun):
            if isinstance(e.programs, list):
                for k, pid in enumerate(e.programs):
                    program(f"{at}.programs[{k}]", pid)
        elif isinstance(e, BudgetChange):
            if e.members == "*":
                if not with_budgets:
                    out.append(Problem(f"{at}.members", "no member of the base scenario has "
                                       "budgets (none has a budget limit): the edit changes "
                                       "nothing"))
            else:
                for k, mid in enumerate(e.members):
                    if mid not in anyone:
                        out.append(_unknown(f"{at}.members[{k}]", "member", mid, anyone))
                    elif mid not in with_budgets:
                        out.append(Problem(f"{at}.members[{k}]", f"member {quote(mid)} has no "
                                           "budgets (no budget limit): nothing to change"))
            for k, y in enumerate(e.years or []):
                year(f"{at}.years[{k}]", y)
        elif isinstance(e, CapacityLoss):
            if program(f"{at}.program", e.program):
                if e.years is not None:
                    out.append(Problem(f"{at}.years", f"program {quote(e.program)} has one "
                                       "capacity for every year (capacity_per_year): a loss in "
                                       "some years only cannot be expressed; omit years"))
                cap = programs[e.program].capacity_per_year
                if cap is None and 0 < e.factor < 1:
                    out.append(Problem(f"{at}.factor", f"program {quote(e.program)} has no "
                                       "capacity limit (capacity_per_year omitted): a "
                                       f"fraction ({_num(e.factor)}) of unlimited is still "
                                       "unlimited"))
            for k, y in enumerate(e.years or []):
                year(f"{at}.years[{k}]", y)
        elif isinstance(e, DeliveryDelay):
            program(f"{at}.program", e.program)
        elif isinstance(e, BasingWithdrawn):
            if lg is None:
                out.append(Problem(at, "the base scenario has no logistics section (no "
                                   "basing rights)"))
                continue
            member(f"{at}.member", e.member)
            if e.location != "*" and e.location not in locations:
                out.append(_unknown(f"{at}.location", "location", e.location, locations))
            elif (e.member == "*" or e.member in members) and not any(
                    (e.member in ("*", m)) and (e.location in ("*", loc))
                    for m, loc in rights):
                out.append(Problem(at, f"the base scenario has no basing right of member "
                                   f"{quote(e.member)} at location {quote(e.location)}"))
        elif isinstance(e, ExclusionAdded):
            program(f"{at}.program", e.program)
            member(f"{at}.member", e.member)
        elif isinstance(e, RequirementChange):
            member(f"{at}.member", e.member)
            if e.capability != "*" and e.capability not in caps:
                out.append(_unknown(f"{at}.capability", "capability", e.capability, caps))
    return out


# ---------------------------------------------------------------------------------------
# loading

_TAGGED = re.compile(r"(edits\[\d+\])\.(" + "|".join(EDIT_KINDS) + r")\b")


def _spec_problems_from_validation(err: ValidationError) -> list[Problem]:
    """Pydantic's errors as path-named problems; an edit's kind, which pydantic puts in
    the path as if it were a field (``edits[0].budget_change.factor``), is shown the way
    scenario paths show ids (``edits[0] (budget_change).factor``)."""
    return [Problem(_TAGGED.sub(r"\1 (\2)", p.path), p.message)
            for p in problems_from_validation(err)]


def sweep_from_data(data: Any, source: str | None = None) -> SweepSpec:
    """Validate a parsed document into a :class:`SweepSpec` and check it as a whole
    (:func:`spec_problems`); raises :class:`SweepSpecError` naming every problem. The
    base scenario is not read here (see :func:`load_sweep`)."""
    spec = _validated(data, source)
    problems = spec_problems(spec)
    if problems:
        raise SweepSpecError(problems, source)
    return spec


def _validated(data: Any, source: str | None) -> SweepSpec:
    """The field-by-field validation of :func:`sweep_from_data` (no whole-document
    checks)."""
    if not isinstance(data, dict):
        raise SweepSpecError([Problem("", "the document must be a mapping, got "
                                          f"{type(data).__name__}")], source)
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as err:
        raise SweepSpecError(_spec_problems_from_validation(err), source) from None
    except RecursionError:  # pragma: no cover - parse_text refuses such nesting first
        raise SweepSpecError([Problem("", "nesting too deep")], source) from None


def _read_spec(p: Path, src: str) -> str:
    """The text of the sweep spec ``p``: :func:`procure.io.read_document`, its failures
    as :class:`SweepSpecError`."""
    return read_document(p, error=SweepSpecError, what="sweep spec")


def base_path(spec: SweepSpec, spec_path: str | os.PathLike[str]) -> Path:
    """The base scenario's file: ``spec.base`` relative to the spec file's folder, unless
    absolute."""
    b = Path(spec.base).expanduser()
    return b if b.is_absolute() else Path(spec_path).parent / b


def load_sweep(path: str | os.PathLike[str]) -> tuple[SweepSpec, Scenario]:
    """Load and check a sweep spec (``.yaml``/``.yml`` or ``.json``) and its base scenario.

    The spec is parsed like a scenario (safe YAML, no anchors or aliases, size, depth and
    integer limits) and validated field by field; when that passes, it is checked as a
    whole (:func:`spec_problems`), the base scenario is loaded (any of its problems is
    reported under the spec's ``base`` field) and every reference of the edits is checked
    against it (:func:`reference_problems`). Raises :class:`SweepSpecError` listing every
    problem found (the field problems alone when there are any)."""
    p = Path(path)
    src = str(p)
    if "\x00" in src:
        raise SweepSpecError([Problem("", f"cannot read {quote(src)}: the path holds a NUL "
                                          "character")], quote(src))
    text = _read_spec(p, src)
    fmt = "json" if p.suffix.lower() == ".json" else "yaml"
    try:
        data = parse_text(text, fmt, src)
    except ScenarioError as err:
        raise SweepSpecError(err.problems, src) from None
    spec = _validated(data, src)
    problems = spec_problems(spec)
    try:
        base = load_scenario(base_path(spec, p))
    except ScenarioError as err:
        problems += [Problem("base", f"{q} (base scenario {quote(spec.base)})")
                     for q in err.problems]
        raise SweepSpecError(problems, src) from None
    problems += reference_problems(spec, base) + option_problems(spec)
    if problems:
        raise SweepSpecError(problems, src)
    return spec, base


def check_sweep(spec: SweepSpec, base: Scenario, source: str | None = None) -> None:
    """Raise :class:`SweepSpecError` when the spec, as a whole or against ``base``, has a
    problem (:func:`spec_problems`, then :func:`reference_problems`)."""
    problems = spec_problems(spec) + reference_problems(spec, base) + option_problems(spec)
    if problems:
        raise SweepSpecError(problems, source)


def option_problems(spec: SweepSpec) -> list[Problem]:
    """Solver settings a solver does not know (``options.solver_options``), named before
    any case runs: the backend's own check, for each solver the spec sets options of."""
    from procure.backends.base import SolveOptions
    from procure.backends.registry import get_backend
    from procure.errors import SolverUnavailableError

    out: list[Problem] = []
    for name, settings in spec.options.solver_options.items():
        try:
            refusal = get_backend(name).check_options(
                SolveOptions(solver_options={name: settings}))
        except SolverUnavailableError as e:
            refusal = str(e)
        if refusal is not None:
            out.append(Problem(f"options.solver_options.{name}", refusal))
    return out

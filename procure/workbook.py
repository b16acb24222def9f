"""Scenario workbooks: a scenario as an Excel workbook (``.xlsx``), and back.

A workbook holds one sheet per section of the scenario (:data:`SHEETS`), laid out from
the pydantic schema itself, and a ``README`` sheet that lists every sheet and column:

- a list of records (``members``, ``programs``, ``logistics.locations``, ...) is a sheet
  with one row per record; a nested record is flattened into dotted columns
  (``constraints.workshare.min_ratio``, ``cost_share.rule``);
- a mapping or list inside a record (a member's ``budgets``, a program's ``nrc``,
  ``eligible``, cost-share ``caps``, a fleet's ``entitlements``) is a long-form sheet of
  its own whose first column names the record's id (``member``, ``program``, ``lift``);
  the cost-share sheets take a blank ``program`` for the scenario's default rule; a
  list of ids inside a record without an id (a cross-servicing agreement's ``items``)
  is one cell of comma-separated ids (blank: omitted; ``[]``: an empty list);
- the scenario's own settings and the logistics settings are one-row sheets
  (``scenario``, ``logistics``).

Each header is the field's name, with a cell comment giving its description, unit,
type and whether it is required (the schema's own ``description=``). A blank cell is a
field left out (its default applies); a text cell holding only spaces is the empty
text. Rows may come in any order of columns; blank rows are skipped.

:func:`read_scenario` builds the same document a YAML file would give and validates it
through the same pydantic model (:class:`~procure.schema.scenario.Scenario`); every
problem, whether found while reading (an unknown sheet or column, a missing required
column, text in a number cell, a repeated id or key, a reference to a record that is
not there) or by validation, is reported as a :class:`~procure.errors.WorkbookError`
naming the sheet, row and column and quoting the value. :func:`write_scenario` writes
a validated scenario so that reading it back gives an equal scenario, floats
included (:mod:`procure.xlsx` writes them exactly); :func:`template` writes the empty
workbook with every sheet, header and note.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from procure import xlsx
from procure.errors import Problem, WorkbookError, quote
from procure.io import _gc_paused, _read, scenario_from_data
from procure.schema import base as schema_base
from procure.schema.logistics import Day
from procure.schema.scenario import Scenario

__all__ = ["README_SHEET", "SHEETS", "SheetSpec", "read_scenario", "template",
           "write_scenario"]

README_SHEET = "README"
"""The notes sheet (ignored when a workbook is read)."""

Shape = Literal["single", "list", "dict", "dict_model", "values"]
Kind = Literal["number", "integer", "text", "bool", "ids", "key_choice"]
Role = Literal["field", "parent", "key", "value"]

MAX_PROBLEMS = 50
"""Problems collected from a workbook before reading stops."""

WEIGHTS = "weights"
"""The ``cost_share.key`` cell that says: the weights on sheet ``cost_share_keys``."""


@dataclass(frozen=True)
class SheetSpec:
    """Where a sheet's rows go in the scenario document.

    ``path`` is the field path from the scenario (``parent`` None) or from a record of the
    ``parent`` sheet, whose id the ``parent_column`` holds. A mapping's key is in
    ``key_column``, a mapping's or a list's plain value in ``value_column``. With
    ``blank_parent_is_root``, a row with a blank parent belongs to the scenario itself.
    """

    name: str
    path: tuple[str, ...]
    row: str
    parent: str | None = None
    parent_column: str | None = None
    key_column: str | None = None
    value_column: str | None = None
    blank_parent_is_root: bool = False


def _member_sub(name: str, path: tuple[str, ...], row: str, key: str | None,
                value: str) -> SheetSpec:
    return SheetSpec(name, path, row, "members", "member", key, value)


def _program_sub(name: str, path: tuple[str, ...], row: str, key: str | None, value: str,
                 root: bool = False) -> SheetSpec:
    return SheetSpec(name, path, row, "programs", "program", key, value, root)


SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("scenario", (), "the scenario's settings (one row)"),
    SheetSpec("sources", ("sources",), "one source of the figures", value_column="source"),
    SheetSpec("members", ("members",), "a member nation"),
    _member_sub("budgets", ("budgets",), "a member's procurement budget in one fiscal year",
                "year", "budget"),
    _member_sub("sovereign", ("constraints", "sovereign"), "a capability the member must "
                "source from a program it leads or produces in", None, "capability"),
    _member_sub("foreign_share_caps", ("constraints", "max_single_foreign_share_by_capability"),
                "a member's cap on one foreign lead nation's share of a capability",
                "capability", "max_share"),
    SheetSpec("capabilities", ("capabilities",), "a capability"),
    SheetSpec("requirements", ("requirements",), "what a member must have received by when"),
    SheetSpec("programs", ("programs",), "a program"),
    _program_sub("program_nrc", ("nrc",), "a program's non-recurring cost in one fiscal "
                 "year", "year", "nrc"),
    _program_sub("program_producers", ("producers",), "the share of a program's work placed "
                 "in one member's industry", "member", "work_share"),
    _program_sub("program_unit_costs", ("unit_cost_by_member",), "a program's unit price "
                 "for one member", "member", "unit_cost"),
    _program_sub("program_eligible", ("eligible",), "a member that may join a program",
                 None, "member"),
    _program_sub("program_excluded", ("excluded",), "a member barred from a program by "
                 "export control", None, "member"),
    _program_sub("cost_share_keys", ("cost_share", "key"), "one member's cost-share key "
                 "weight (program blank: the scenario's default rule)", "member", "weight",
                 root=True),
    _program_sub("cost_share_caps", ("cost_share", "caps"), "one member's cap on its NRC "
                 "share (program blank: the scenario's default rule)", "member", "cap",
                 root=True),
    _program_sub("cost_share_floors", ("cost_share", "floors"), "one member's floor on its "
                 "NRC share (program blank: the scenario's default rule)", "member", "floor",
                 root=True),
    SheetSpec("logistics", ("logistics",), "the logistics settings (one row)"),
    SheetSpec("modes", ("logistics", "modes"), "a transport mode's speed and cost",
              key_column="mode"),
    SheetSpec("locations", ("logistics", "locations"), "a location"),
    SheetSpec("basing_rights", ("logistics", "basing_rights"), "a member's right to use "
              "a location"),
    SheetSpec("items", ("logistics", "items"), "a kind of materiel moved"),
    SheetSpec("stocks", ("logistics", "stocks"), "units a member holds at a location"),
    SheetSpec("cross_servicing", ("logistics", "cross_servicing"), "a cross-servicing "
              "agreement"),
    SheetSpec("links", ("logistics", "links"), "a transport link"),
    SheetSpec("lift", ("logistics", "lift"), "a lift fleet"),
    SheetSpec("lift_entitlements", ("entitlements",), "the sorties one member may use of a "
              "pooled fleet", "lift", "lift", "member", "sorties"),
    SheetSpec("movements", ("logistics", "movements"), "a movement requirement (TPFDD line)"),
)
"""Every sheet of a scenario workbook, in order (:func:`layouts` derives the columns)."""


# ---------------------------------------------------------------------------------------
# units: from the schema's number kinds, refined by field name

_CUR = "{currency}"
_ALIAS_UNITS: tuple[tuple[Any, str], ...] = (
    (schema_base.Money, _CUR), (schema_base.PositiveMoney, _CUR),
    (schema_base.Units, "units"), (schema_base.Quantity, "units"), (schema_base.Tons, "t"),
    (schema_base.UnitTons, "t"), (schema_base.Gdp, "the scenario's GDP unit"),
    (schema_base.KeyWeight, "key weight (any unit: normalised)"),
    (schema_base.Fraction, "fraction (0 to 1)"), (schema_base.Year, "fiscal year"),
    (Day, "day"),
)
_NAME_UNITS: dict[str, str] = {
    "defence_spending_pct_gdp": "% of GDP", "lat": "degrees north", "lon": "degrees east",
    "speed_km_per_day": "km per day", "cost_per_ton_km": f"{_CUR} per t-km",
    "unit_m3": "m³", "min_transit_days": "days", "transit_days": "days",
    "horizon_days": "days", "mog": "aircraft", "turns_per_day": "turns per day",
    "sorties_per_day": "sorties per vehicle per day", "available": "vehicles",
    "min_participants": "members", "priority": "level (1 to 10)",
    "min_ratio": "work value per unit of money paid", "tolerance": "fraction",
    "unit_cost": f"{_CUR} per unit", "unmet_unit_value": f"{_CUR} per unit",
    "price_per_unit": f"{_CUR} per unit", "cost_per_ton": f"{_CUR} per t",
    "cost_per_sortie": f"{_CUR} per sortie", "shortfall_penalty": f"{_CUR} per unit",
    "shortfall_penalty_per_ton": f"{_CUR} per t",
    "late_penalty_per_ton_day": f"{_CUR} per t, day late and priority level",
    "throughput_tons_per_day": "t per day", "capacity_tons_per_day": "t per day",
    "capacity_per_year": "units per year", "sorties": "sorties",
    "schema_version": "-",
}


def _unit(name: str, hint: Any) -> str:
    if name in _NAME_UNITS:
        return _NAME_UNITS[name]
    _, inner = _unwrap_optional(hint)
    for alias, unit in _ALIAS_UNITS:
        if inner == alias:
            return unit
    return "-"


# ---------------------------------------------------------------------------------------
# the layout, derived from the schema


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a sheet: where its value goes and what it may hold."""

    name: str
    role: Role
    kind: Kind
    path: tuple[str, ...] = ()  # field role: where the value goes in the row's record
    required: bool = False  # every row must give it
    in_optional: bool = False  # inside an optional section: written even when default
    default: Any = PydanticUndefined
    description: str = ""
    unit: str = "-"
    choices: tuple[str, ...] = ()

    def note(self, currency: str) -> str:
        """The header's comment: description, unit, type, required or default."""
        kind = {"number": "number", "integer": "whole number", "text": "text",
                "bool": "TRUE or FALSE", "ids": "ids separated by commas ([] for none)",
                "key_choice": "text"}[self.kind]
        if self.choices:
            kind = "one of " + ", ".join(self.choices)
        lines = [self.description.strip() or self.name]
        if self.unit != "-":
            lines.append(f"Unit: {self.unit.replace(_CUR, currency)}.")
        lines.append(f"Type: {kind}.")
        if self.required:
            lines.append("Required.")
        elif self.in_optional:
            lines.append("Part of an optional section: give it to use the section.")
        elif self.default is not PydanticUndefined and self.default is not None:
            lines.append(f"Blank: {self.default!r}.")
        else:
            lines.append("Blank: not given.")
        return "\n".join(lines)


@dataclass(frozen=True)
class Layout:
    """A sheet: its spec, shape, record model and columns."""

    spec: SheetSpec
    shape: Shape
    model: type[BaseModel] | None
    columns: tuple[ColumnSpec, ...]
    abs_path: tuple[str, ...]  # from the scenario; for child sheets, the parent's

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def by_name(self) -> dict[str, ColumnSpec]:
        return {c.name: c for c in self.columns}

    @property
    def fields(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.role == "field")

    def has_ids(self) -> bool:
        return self.shape == "list" and any(c.name == "id" for c in self.columns)


def _unwrap_optional(tp: Any) -> tuple[bool, Any]:
    """(whether ``tp`` admits None, ``tp`` without None)."""
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) < len(get_args(tp)):
            return True, args[0] if len(args) == 1 else Union[tuple(args)]  # noqa: UP007
    return False, tp


def _bare(tp: Any) -> Any:
    """``tp`` without ``Annotated`` metadata."""
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _scalar_kind(tp: Any) -> tuple[Kind, tuple[str, ...]] | None:
    tp = _bare(tp)
    if get_origin(tp) is Literal:
        values = get_args(tp)
        return ("integer" if all(isinstance(v, int) for v in values) else "text",
                tuple(str(v) for v in values))
    if tp is bool:
        return "bool", ()
    if tp is int:
        return "integer", ()
    if tp is float:
        return "number", ()
    if tp is str:
        return "text", ()
    return None


def _key_choice(tp: Any) -> tuple[str, ...] | None:
    """The literal options of a ``Literal[...] | dict[...]`` field (a cost-share key)."""
    if get_origin(tp) not in (Union, types.UnionType):
        return None
    lits = [a for a in get_args(tp) if get_origin(_bare(a)) is Literal]
    dicts = [a for a in get_args(tp) if get_origin(_bare(a)) is dict]
    if len(lits) == 1 and len(dicts) == 1 and len(get_args(tp)) == 2:
        return tuple(str(v) for v in get_args(_bare(lits[0])))
    return None


def _field(model: type[BaseModel], name: str) -> tuple[Any, Any, Any]:
    """(annotation, type hint with aliases, FieldInfo) of a model's field."""
    info = model.model_fields[name]
    hint = typing.get_type_hints(model, include_extras=True)[name]
    return info.annotation, hint, info


def _flatten(model: type[BaseModel], prefix: tuple[str, ...], claimed: set[tuple[str, ...]],
             in_optional: bool, sheet: str) -> list[ColumnSpec]:
    """The columns of a record: its plain fields and those of its nested records."""
    out: list[ColumnSpec] = []
    for name in model.model_fields:
        path = (*prefix, name)
        ann, hint, info = _field(model, name)
        optional, inner = _unwrap_optional(ann)
        choice = _key_choice(inner)
        required = info.is_required() and not in_optional
        common = {"path": path, "required": required, "in_optional": in_optional,
                  "default": info.default, "description": info.description or "",
                  "unit": _unit(name, hint)}
        if choice is not None:
            if path not in claimed:
                raise RuntimeError(f"sheet {sheet}: no sheet holds the mapping of "
                                   f"{'.'.join(path)}")
            out.append(ColumnSpec(".".join(path), "field", "key_choice", choices=(
                *choice, WEIGHTS), **common))
            continue
        if path in claimed:
            continue
        if _is_model(inner):
            out += _flatten(inner, path, claimed, in_optional or optional, sheet)
            continue
        scalar = _scalar_kind(inner)
        if scalar is not None:
            out.append(ColumnSpec(".".join(path), "field", scalar[0], choices=scalar[1],
                                  **common))
            continue
        if get_origin(_bare(inner)) is list and _scalar_kind(get_args(_bare(inner))[0]) == (
                "text", ()):
            out.append(ColumnSpec(".".join(path), "field", "ids",
                                  **common))
            continue
        raise RuntimeError(f"sheet {sheet}: field {'.'.join(path)} of {model.__name__} is on "
                           "no sheet (add one to SHEETS)")
    return out


def _resolve(model: type[BaseModel], path: tuple[str, ...]) -> tuple[Any, Any, Any]:
    """(annotation without None, type hint, FieldInfo) of the field at ``path``."""
    ann: Any = model
    hint: Any = None
    info: Any = None
    for name in path:
        if not _is_model(ann):
            raise RuntimeError(f"{'.'.join(path)}: {name} is not inside a record")
        ann, hint, info = _field(ann, name)
        ann = _unwrap_optional(ann)[1]
    return ann, hint, info


@cache
def layouts() -> tuple[Layout, ...]:
    """The columns of every sheet of :data:`SHEETS`, derived from the schema. Raises
    ``RuntimeError`` when a field of the schema is on no sheet (a new field needs a
    sheet or a column before it can be read from a workbook)."""
    by_name: dict[str, Layout] = {}
    out: list[Layout] = []
    for spec in SHEETS:
        parent = by_name[spec.parent] if spec.parent else None
        if parent is not None:
            if parent.spec.parent is not None or not parent.has_ids() or parent.model is None:
                raise RuntimeError(f"sheet {spec.name}: parent {parent.name} is not a "
                                   "top-level sheet of records with ids")
            base: type[BaseModel] = parent.model
            abs_path = parent.abs_path
        else:
            base, abs_path = Scenario, spec.path
        ann, _hint, info = _resolve(base, spec.path) if spec.path else (Scenario, None, None)
        lead: list[ColumnSpec] = []
        if parent is not None:
            assert spec.parent_column is not None
            what = f"Id of the record on sheet '{parent.name}' this row belongs to"
            if spec.blank_parent_is_root:
                what += "; blank: the scenario's own (default) rule"
            lead.append(ColumnSpec(spec.parent_column, "parent", "text",
                                   required=not spec.blank_parent_is_root,
                                   description=what + "."))
        description = (info.description or "") if info is not None else ""
        choice = _key_choice(ann)
        if choice is not None:
            ann = next(a for a in get_args(ann) if get_origin(_bare(a)) is dict)
        origin = get_origin(_bare(ann))
        if _is_model(ann):
            shape: Shape = "single"
            model: type[BaseModel] | None = ann
        elif origin is list and _is_model(get_args(_bare(ann))[0]):
            shape, model = "list", get_args(_bare(ann))[0]
        elif origin is dict and _is_model(get_args(_bare(ann))[1]):
            shape, model = "dict_model", get_args(_bare(ann))[1]
        elif origin is dict:
            shape, model = "dict", None
        elif origin is list:
            shape, model = "values", None
        else:
            raise RuntimeError(f"sheet {spec.name}: {'.'.join(spec.path)} is not a record, "
                               "a list or a mapping")
        if shape in ("dict", "dict_model"):
            key_tp = get_args(_bare(ann))[0]
            kind = _scalar_kind(key_tp)
            assert kind is not None and spec.key_column is not None, spec.name
            lead.append(ColumnSpec(spec.key_column, "key", kind[0], required=True,
                                   choices=kind[1], unit=_unit(spec.key_column, key_tp),
                                   description=f"The {spec.key_column} (the key of "
                                   f"'{'.'.join(spec.path)}')."))
        if shape in ("dict", "values"):
            value_tp = get_args(_bare(ann))[-1]
            kind = _scalar_kind(value_tp)
            assert kind is not None and spec.value_column is not None, spec.name
            lead.append(ColumnSpec(spec.value_column, "value", kind[0], required=True,
                                   choices=kind[1], description=description,
                                   unit=_unit(spec.value_column, value_tp)))
            columns = tuple(lead)
        else:
            assert model is not None
            if spec.parent is None and shape == "single":
                claimed = {s.path[len(spec.path):] for s in SHEETS
                           if s.parent is None and s is not spec
                           and s.path[:len(spec.path)] == spec.path}
                if not spec.path:
                    claimed |= {s.path for s in SHEETS if s.blank_parent_is_root}
            else:
                claimed = {s.path for s in SHEETS if s.parent == spec.name}
            fields = _flatten(model, (), claimed, False, spec.name)
            if shape != "single" and not any(c.required for c in fields):
                raise RuntimeError(f"sheet {spec.name}: a record with no required field "
                                   "would vanish when all its values are defaults")
            columns = (*lead, *fields)
        names = [c.name for c in columns]
        if len(set(names)) != len(names) or len(spec.name) > 31:
            raise RuntimeError(f"sheet {spec.name}: repeated column or name too long")
        lay = Layout(spec, shape, model, columns, abs_path)
        by_name[spec.name] = lay
        out.append(lay)
    return tuple(out)


# ---------------------------------------------------------------------------------------
# where a value came from


@dataclass(frozen=True)
class _Origin:
    sheet: str
    row: int | None = None
    column: str | None = None
    columns: frozenset[str] = frozenset()  # a record's field columns (deeper paths)
    label: str | None = None

    def at(self, rest: tuple[str, ...] = ()) -> str:
        column = self.column
        if rest and self.columns:
            parts = [p for p in rest if p != "[key]"]
            for n in range(len(parts), 0, -1):
                if ".".join(parts[:n]) in self.columns:
                    column = ".".join(parts[:n])
                    break
            else:
                column = ".".join(parts) or column
        text = f"sheet {self.sheet!r}"
        if self.label and self.row is None:
            text += f" ({self.label})"
        if self.row is not None:
            text += f", row {self.row}"
        if column:
            text += f", column {column!r}"
        return text


def _cell_at(sheet: str, row: int | None, column: str | None) -> str:
    return _Origin(sheet, row, column).at()


_UNION_TAG = re.compile(r"(literal|dict|list|tuple|set|constrained-\w+|function-\w+)\[.*\]\Z",
                        re.DOTALL)
_PATH_PART = re.compile(r"\.?([A-Za-z0-9_][A-Za-z0-9_\-]*)|\[(-?\d+|'[^']*')\]"
                        r"|( \(id '[^']*'\))")


def _parse_path(text: str) -> tuple[str, ...] | None:
    """The parts of a cross-reference check's path (``programs[2] (id 'X').nrc[2027]``),
    or None when ``text`` is not such a path."""
    parts: list[str] = []
    pos = 0
    while pos < len(text):
        m = _PATH_PART.match(text, pos)
        if m is None or m.end() == pos:
            return None
        if m.group(1) is not None:
            parts.append(m.group(1))
        elif m.group(2) is not None:
            parts.append(m.group(2).strip("'"))
        pos = m.end()
    return tuple(parts) if parts else None


# ---------------------------------------------------------------------------------------
# reading


@dataclass(frozen=True)
class _Row:
    number: int
    values: dict[str, Any]


class _TooMany(Exception):
    """Enough problems collected."""


class _Reader:
    """Reads the rows of a workbook into a scenario document, remembering where each
    value came from; collects the problems it finds."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.origins: dict[tuple[str, ...], _Origin] = {}

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))
        if len(self.problems) >= MAX_PROBLEMS:
            raise _TooMany

    # -- cells ---------------------------------------------------------------------
    def convert(self, value: Any, col: ColumnSpec, sheet: str, row: int) -> Any:
        """The document value of a non-blank cell (None after a problem)."""
        where = _cell_at(sheet, row, col.name)
        if isinstance(value, str):
            value = xlsx.unescape_text(value)
        if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
            self.problem(where, f"a date or time ({value}) where {self._expected(col)} is "
                         "expected")
            return None
        if col.kind in ("number", "integer"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                what = "text" if isinstance(value, str) else type(value).__name__
                self.problem(where, f"{what} {quote(value)} where {self._expected(col)} is "
                             "expected")
                return None
            if col.kind == "integer" and isinstance(value, float) and value.is_integer():
                return int(value)
            return value
        if col.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return value.strip().lower() == "true"
            self.problem(where, f"{quote(value)} where TRUE or FALSE is expected")
            return None
        # text, ids, key_choice: text cells; a whole number typed into an id cell is its
        # digits (a spreadsheet turns a typed 2027 into a number)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.problem(where, f"{type(value).__name__} {quote(value)} where "
                         f"{self._expected(col)} is expected")
            return None
        if col.kind == "ids":
            text = value.strip()
            if text == "[]":
                return []
            ids = [p.strip() for p in text.split(",")]
            if any(not p for p in ids):
                self.problem(where, f"{quote(value)}: an empty id in the list (ids are "
                             "separated by single commas)")
                return None
            return ids
        if col.role != "field" or col.kind == "key_choice":
            return value.strip()
        return value

    @staticmethod
    def _expected(col: ColumnSpec) -> str:
        return {"number": "a number", "integer": "a whole number", "bool": "TRUE or FALSE",
                "ids": "a list of ids", "text": "text", "key_choice": "text"}[col.kind]

    # -- sheets --------------------------------------------------------------------
    def rows(self, ws: Any, lay: Layout) -> list[_Row]:
        """The non-blank data rows of a sheet, cells converted."""
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if header is None:
            return []
        known = lay.by_name
        index: dict[str, int] = {}
        for j, h in enumerate(header):
            if h is None or (isinstance(h, str) and not h.strip()):
                continue
            letter = get_column_letter(j + 1)
            name = xlsx.unescape_text(h).strip() if isinstance(h, str) else h
            if name not in known:
                self.problem(_cell_at(lay.name, 1, f"{letter}"),
                             f"unknown column {quote(name)} (columns of this sheet: "
                             f"{', '.join(known)})")
            elif name in index:
                self.problem(_cell_at(lay.name, 1, name), f"column {quote(name)} appears "
                             f"twice (columns {get_column_letter(index[name] + 1)} and "
                             f"{letter})")
            else:
                index[name] = j
        out: list[_Row] = []
        headed = {j for j, h in enumerate(header)
                  if h is not None and not (isinstance(h, str) and not h.strip())}
        for number, cells in enumerate(it, start=2):
            values: dict[str, Any] = {}
            blank = True
            for j, cell in enumerate(cells):
                if cell is None or (isinstance(cell, str) and cell == ""):
                    continue
                blank = False
                if j not in headed:
                    self.problem(_cell_at(lay.name, number, get_column_letter(j + 1)),
                                 f"the value {quote(cell)} is in a column without a header")
            if blank:
                continue
            for name, j in index.items():
                cell = cells[j] if j < len(cells) else None
                col = known[name]
                if cell is None or (isinstance(cell, str) and not cell.strip()
                                    and not (col.kind == "text"
                                             and col.role in ("field", "value"))):
                    continue
                value = self.convert(cell, col, lay.name, number)
                if value is not None:
                    values[name] = value
            out.append(_Row(number, values))
        if out:
            for col in lay.columns:
                if col.required and col.name not in index:
                    self.problem(_cell_at(lay.name, 1, col.name), "required column missing "
                                 f"(the sheet has {len(out)} row(s))")
        return out

    # -- building the document -----------------------------------------------------
    def fill(self, obj: dict[str, Any], row: _Row, lay: Layout, loc: tuple[str, ...]) -> None:
        """Set the field columns of ``row`` into the record ``obj`` at ``loc``."""
        fields = frozenset(c.name for c in lay.fields)
        self.origins[loc] = _Origin(lay.name, row.number, columns=fields)
        for col in lay.fields:
            if col.name not in row.values:
                continue
            value = row.values[col.name]
            if col.kind == "key_choice" and value == WEIGHTS:
                value = {}
            target = obj
            for part in col.path[:-1]:
                target = target.setdefault(part, {})
            target[col.path[-1]] = value
            self.origins[loc + col.path] = _Origin(lay.name, row.number, col.name)

    def container(self, obj: dict[str, Any], path: tuple[str, ...], shape: Shape,
                  lay: Layout, row: _Row) -> Any:
        """The list or mapping at ``path`` in ``obj``, made when missing (None, with a
        problem, when a cell already gave the field a plain value)."""
        target = obj
        for part in path[:-1]:
            target = target.setdefault(part, {})
        empty: Any = [] if shape in ("list", "values") else {}
        value = target.setdefault(path[-1], empty)
        if not isinstance(value, type(empty)):
            self.problem(_cell_at(lay.name, row.number, lay.spec.key_column),
                         f"'{'.'.join(path)}' is {quote(value)} on the record's own sheet; "
                         f"leave that cell blank or write {WEIGHTS!r} to use this sheet")
            return None
        return value

    def add(self, container: Any, row: _Row, lay: Layout, loc: tuple[str, ...]) -> None:
        """Add one row's element to its list or mapping (at ``loc``)."""
        spec = lay.spec
        if lay.shape in ("dict", "dict_model"):
            assert spec.key_column is not None
            key = row.values.get(spec.key_column)
            if key is None:
                self.problem(_cell_at(lay.name, row.number, spec.key_column), "blank key")
                return
            if key in container:
                self.problem(_cell_at(lay.name, row.number, spec.key_column),
                             f"{quote(key)} is given twice for the same record")
                return
            here = (*loc, str(key))
            self.origins[(*here, "[key]")] = _Origin(lay.name, row.number, spec.key_column)
            if lay.shape == "dict_model":
                elem: dict[str, Any] = {}
                self.fill(elem, row, lay, here)
                container[key] = elem
            else:
                self.plain(container, key, row, lay, here)
            return
        here = (*loc, str(len(container)))
        if lay.shape == "values":
            container.append(None)
            self.plain(container, len(container) - 1, row, lay, here)
            return
        elem = {}
        self.fill(elem, row, lay, here)
        container.append(elem)

    def plain(self, container: Any, key: Any, row: _Row, lay: Layout,
              here: tuple[str, ...]) -> None:
        value_col = lay.spec.value_column
        assert value_col is not None
        self.origins[here] = _Origin(lay.name, row.number, value_col)
        if value_col not in row.values:
            self.problem(_cell_at(lay.name, row.number, value_col), "blank value")
        container[key] = row.values.get(value_col)

    def document(self, wb: Any) -> dict[str, Any]:
        """The scenario document of a workbook (problems collected on the way)."""
        lays = {lay.name: lay for lay in layouts()}
        for name in wb.sheetnames:
            if name not in lays and name != README_SHEET:
                self.problem(f"sheet {name!r}", "unknown sheet (the sheets of a scenario "
                             f"workbook: {', '.join(lays)})")
        data: dict[str, Any] = {}
        records: dict[str, dict[str, tuple[dict[str, Any], tuple[str, ...]]]] = {}
        for lay in layouts():
            rows = self.rows(wb[lay.name], lay) if lay.name in wb.sheetnames else []
            spec = lay.spec
            if spec.parent is None:
                self.origins[spec.path] = _Origin(
                    lay.name, 2 if lay.shape == "single" else None,
                    columns=frozenset(c.name for c in lay.fields))
                if lay.shape == "single":
                    for extra in rows[1:]:
                        self.problem(_cell_at(lay.name, extra.number, None),
                                     "this sheet holds one row (its settings) only")
                    if rows:
                        obj = data
                        for part in spec.path:
                            obj = obj.setdefault(part, {})
                        self.fill(obj, rows[0], lay, spec.path)
                    continue
                if rows:
                    box = self.container(data, spec.path, lay.shape, lay, rows[0])
                    for row in rows:
                        self.add(box, row, lay, spec.path)
                if lay.has_ids():
                    records[lay.name] = self.index(data, lay, rows)
                continue
            # a sheet of the records of its parent sheet
            assert spec.parent_column is not None
            parents = records.get(spec.parent, {})
            for pid, (_, ploc) in parents.items():
                self.origins[ploc + spec.path] = _Origin(
                    lay.name, label=f"{spec.parent_column} {pid!r}")
            if spec.blank_parent_is_root:
                self.origins[spec.path] = _Origin(lay.name, label="the scenario's default")
            for row in rows:
                ref: str | None = row.values.get(spec.parent_column)
                if ref is None and spec.blank_parent_is_root:
                    owner, ploc = data, ()
                elif ref is None:
                    self.problem(_cell_at(lay.name, row.number, spec.parent_column),
                                 f"blank {spec.parent_column}")
                    continue
                elif ref not in parents:
                    self.problem(_cell_at(lay.name, row.number, spec.parent_column),
                                 f"no {spec.parent_column} {quote(ref)} on sheet "
                                 f"{spec.parent!r}")
                    continue
                else:
                    owner, ploc = parents[ref]
                box = self.container(owner, spec.path, lay.shape, lay, row)
                if box is not None:
                    self.add(box, row, lay, ploc + spec.path)
        return data

    def index(self, data: dict[str, Any], lay: Layout, rows: list[_Row]
              ) -> dict[str, tuple[dict[str, Any], tuple[str, ...]]]:
        """The records of a sheet by id; a repeated id is a problem."""
        found: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {}
        first: dict[str, int] = {}
        box: Any = data
        for part in lay.spec.path:
            box = box.get(part, {}) if isinstance(box, dict) else {}
        elems = box if isinstance(box, list) else []
        for i, (elem, row) in enumerate(zip(elems, rows, strict=False)):
            rid = elem.get("id")
            if not isinstance(rid, str):
                continue
            rid = rid.strip()
            if rid in first:
                self.problem(_cell_at(lay.name, row.number, "id"),
                             f"duplicate id {quote(rid)} (first on row {first[rid]})")
                continue
            first[rid] = row.number
            found[rid] = (elem, (*lay.spec.path, str(i)))
        return found

    # -- validation ----------------------------------------------------------------
    def locate(self, loc: Iterable[Any]) -> str | None:
        """Where the value at a document path came from, as text."""
        key = tuple(str(p) for p in loc if not (isinstance(p, str) and _UNION_TAG.match(p)))
        for n in range(len(key), -1, -1):
            origin = self.origins.get(key[:n])
            if origin is not None:
                return origin.at(key[n:])
        return None

    def validation_problems(self, err: ValidationError) -> list[Problem]:
        out: list[Problem] = []
        for e in err.errors(include_url=False):
            loc = tuple(e["loc"])
            msg = str(e["msg"]).removeprefix("Value error, ")
            if e["type"] == "value_error" and not loc:
                for line in msg.splitlines():  # cross-reference checks: "path: message"
                    head, sep, rest = line.partition(": ")
                    parts = _parse_path(head) if sep else None
                    if parts is not None and head.endswith("]") \
                            and (*parts, "[key]") in self.origins:
                        parts = (*parts, "[key]")  # "nrc[2031]": the key (a year) is wrong
                    where = self.locate(parts) if parts is not None else None
                    out.append(Problem(where or "", rest if where else line))
                continue
            where = self.locate(loc) or ".".join(str(p) for p in loc)
            value = e.get("input")
            if e["type"] == "missing":
                out.append(Problem(where, "required, but blank or missing"))
            elif isinstance(value, (Mapping, list)):
                out.append(Problem(where, msg))
            else:
                out.append(Problem(where, f"{msg} (got {quote(value)})"))
        return out


def read_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario workbook (``.xlsx``).

    Raises :class:`~procure.errors.WorkbookError` for anything wrong with the file (not
    found, too large, not a workbook) or its content, each problem naming the sheet,
    row and column it comes from."""
    p = Path(path)
    src = str(p)
    raw = _read(p, src, WorkbookError, "workbook")
    try:
        wb = xlsx.open_workbook(raw)
    except ValueError as e:
        raise WorkbookError([Problem("", str(e))], src) from None
    reader = _Reader(src)
    try:
        try:
            data = reader.document(wb)
        except _TooMany:
            data = {}
        except Exception as e:  # a damaged sheet part openpyxl fails on while streaming
            reader.problems.append(Problem("", f"cannot read the workbook: "
                                           f"{type(e).__name__}: {e}"))
    finally:
        wb.close()
    if reader.problems:
        raise WorkbookError(reader.problems, src)
    try:
        with _gc_paused():  # the same validation as a YAML or JSON document
            return Scenario.model_validate(data)
    except ValidationError as err:
        raise WorkbookError(reader.validation_problems(err), src) from None


# ---------------------------------------------------------------------------------------
# writing


def _get(obj: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _cell_value(col: ColumnSpec, value: Any) -> Any:
    """What a cell holds for a document value (None: blank)."""
    if value is None:
        return None
    if col.kind == "key_choice":
        return WEIGHTS if isinstance(value, dict) else value
    if col.kind == "ids":
        return ", ".join(value) if value else "[]"
    if col.role == "field" and not col.in_optional and col.default is not PydanticUndefined \
            and type(value) is type(col.default) and value == col.default:
        return None
    return _text(value)  # the empty text, not a blank (blank: the default)


def _text(value: Any) -> Any:
    """A blank text as a space (a blank cell is a value left out)."""
    return " " if isinstance(value, str) and not value.strip() else value


def _sheet_rows(lay: Layout, doc: dict[str, Any]) -> list[list[Any]]:
    """The data rows of one sheet for a scenario document (``model_dump()``)."""
    spec = lay.spec
    owners: list[tuple[Any, Any]] = []  # (parent id or None, owning record)
    if spec.parent is None:
        owners.append((None, doc))
    else:
        if spec.blank_parent_is_root:
            owners.append((None, doc))
        parent = next(x for x in layouts() if x.name == spec.parent)
        owners += [(r["id"], r) for r in _get(doc, parent.abs_path) or []]
    rows: list[list[Any]] = []
    for pid, owner in owners:
        lead = [pid] if spec.parent is not None else []
        value = _get(owner, spec.path)
        if value is None:
            continue
        if lay.shape == "single":
            rows.append([_cell_value(c, _get(value, c.path)) for c in lay.fields])
        elif lay.shape == "list":
            rows += [lead + [_cell_value(c, _get(v, c.path)) for c in lay.fields]
                     for v in value]
        elif lay.shape == "dict_model":
            rows += [lead + [k] + [_cell_value(c, _get(v, c.path)) for c in lay.fields]
                     for k, v in value.items()]
        elif lay.shape == "dict":
            if isinstance(value, dict):  # a cost-share key may be the word "gdp"
                rows += [[*lead, k, _text(v)] for k, v in value.items()]
        else:
            rows += [[*lead, _text(v)] for v in value]
    return rows


def _widths(header: list[str], rows: list[list[Any]]) -> list[float]:
    widths = [float(len(h)) for h in header]
    for row in rows[:500]:
        for j, v in enumerate(row):
            if v is not None:
                widths[j] = max(widths[j], float(len(str(v))))
    return [min(max(w + 2, 8.0), 60.0) for w in widths]


def _add_sheet(wb: Workbook, name: str, columns: list[tuple[str, str]],
               rows: list[list[Any]]) -> None:
    """A sheet with a bold, frozen, commented header row and ``rows``."""
    ws = wb.create_sheet(name)
    for j, w in enumerate(_widths([c for c, _ in columns], rows), start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    xlsx.put_header(ws, 1, columns)
    for i, row in enumerate(rows, start=2):
        try:
            xlsx.put_row(ws, i, row)
        except xlsx.CellTextTooLong as e:
            j = next(j for j, v in enumerate(row)
                     if isinstance(v, str) and len(xlsx.escape_text(v)) == e.length)
            raise WorkbookError([Problem(_cell_at(name, i, columns[j][0]), str(e))]) from None


def _readme(wb: Workbook, currency: str) -> None:
    ws = wb.create_sheet(README_SHEET)
    for col, width in zip("ABCDEF", (22, 36, 10, 16, 24, 90), strict=True):
        ws.column_dimensions[col].width = width
    lines = [
        "procure scenario workbook",
        "One sheet per section of the scenario; the header of each column names its field, "
        "and its comment (hover over the header) gives the description, unit and type.",
        "A blank cell leaves the field out (its default applies). Sheets may be left "
        "empty or deleted when their section is not used; columns may be in any order.",
        "Sheets of a record's details (budgets, program_nrc, ...) name the record's id in "
        "their first column. Read with `procure solve FILE.xlsx` or `procure validate "
        "FILE.xlsx`; `procure convert` turns it into YAML or JSON and back.",
        f"Amounts of money are in the scenario's currency ({currency}).",
    ]
    for i, line in enumerate(lines, start=1):
        xlsx.put_row(ws, i, [line])
    ws.cell(1, 1).font = xlsx.HEADER_FONT
    row = len(lines) + 2
    xlsx.put_header(ws, row, [("sheet", None), ("one row is", None)], freeze=False)
    for lay in layouts():
        row += 1
        xlsx.put_row(ws, row, [lay.name, lay.spec.row])
    row += 2
    xlsx.put_header(ws, row, [(h, None) for h in ("sheet", "column", "required", "type",
                                                   "unit", "description")], freeze=False)
    for lay in layouts():
        for c in lay.columns:
            row += 1
            note = c.note(currency).split("\n")
            xlsx.put_row(ws, row, [
                lay.name, c.name, "yes" if c.required else "",
                next(x for x in note if x.startswith("Type: "))[6:-1],
                c.unit.replace(_CUR, currency) if c.unit != "-" else "", note[0]])


def _workbook(doc: dict[str, Any] | None) -> Workbook:
    currency = doc["currency"] if doc else "the scenario's currency"
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    _readme(wb, currency)
    for lay in layouts():
        rows = _sheet_rows(lay, doc) if doc is not None else []
        _add_sheet(wb, lay.name, [(c.name, c.note(currency)) for c in lay.columns], rows)
    return wb


def write_scenario(scenario: Scenario | Mapping[str, Any],
                   path: str | os.PathLike[str]) -> None:
    """Write a scenario (a :class:`Scenario`, or a document validated first) as a
    workbook, atomically (a temporary file beside ``path``, renamed into place).

    Raises :class:`~procure.errors.ScenarioError` for an invalid document, and
    :class:`~procure.errors.WorkbookError` for a text longer than a cell holds."""
    if not isinstance(scenario, Scenario):
        scenario = scenario_from_data(scenario)
    xlsx.save_workbook(_workbook(scenario.model_dump()), path)


def template(path: str | os.PathLike[str]) -> None:
    """Write an empty scenario workbook: every sheet with its headers and their notes,
    and the README sheet (atomically)."""
    xlsx.save_workbook(_workbook(None), path)

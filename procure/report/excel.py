"""``results.xlsx``: every table of a result folder as a sheet of one workbook.

The first sheet, ``contents``, lists each table with its sheet, its row count and what
one row is. Each table's sheet has a bold, frozen header row whose cells read
``column [unit]`` (``cost [EUR million]``; no brackets for ids and words) and carry the
column's meaning as a cell comment; columns are sized to their content. Units and
meanings come from the table specs the tables were made with (``DataFrame.attrs``,
:mod:`procure.run.tables`), or else from the declarations in
:mod:`procure.report.outputs`. Sheet names are the table names, cut to Excel's 31
characters (``like_for_like_`` shortened to ``lfl_``) and made unique. Numbers are
written exactly (:mod:`procure.xlsx`); a missing value is a blank cell.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from procure import xlsx

__all__ = ["CONTENTS", "RESULTS_WORKBOOK", "results_workbook", "sheet_names",
           "write_results_workbook"]

RESULTS_WORKBOOK = "results.xlsx"
"""File name of the workbook in a result folder."""
CONTENTS = "contents"
"""Name of the first sheet, the list of tables."""
MAX_SHEET_NAME = 31
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\']")
_SHORTER = (("like_for_like_", "lfl_"), ("movement_", "mv_"))


def sheet_names(tables: Iterable[str]) -> dict[str, str]:
    """A unique Excel sheet name (at most 31 characters, none of ``[]:*?/\\'``, unlike
    :data:`CONTENTS` whatever the case) for each table name."""
    used = {CONTENTS.lower()}
    out: dict[str, str] = {}
    for table in tables:
        base = _BAD_SHEET_CHARS.sub("_", table) or "table"
        for long, short in _SHORTER:
            if len(base) > MAX_SHEET_NAME:
                base = base.replace(long, short)
        base = base[:MAX_SHEET_NAME]
        name, n = base, 2
        while name.lower() in used:
            suffix = f"~{n}"
            name = base[:MAX_SHEET_NAME - len(suffix)] + suffix
            n += 1
        used.add(name.lower())
        out[table] = name
    return out


def _declared(table: str, currency: str) -> tuple[dict[str, str], dict[str, str], str]:
    """Units, meanings and row description of ``table`` from the declared table specs
    (empty when it is not declared)."""
    from procure.report.outputs import TABLES
    from procure.run.tables import CURRENCY

    specs = {spec.name: spec for _, spec in TABLES}
    stem = table
    for prefix in ("alone_", "like_for_like_", "movement_"):
        if stem not in specs and stem.startswith(prefix):
            stem = stem[len(prefix):]
    spec = specs.get(stem)
    if spec is None:
        return {}, {}, ""
    return ({c.name: c.unit.replace(CURRENCY, currency) for c in spec.columns},
            {c.name: c.meaning for c in spec.columns}, spec.row)


def _header(column: str, unit: str) -> str:
    return f"{column} [{unit}]" if unit and unit != "-" else column


def _cell(value: Any) -> Any:
    """A value a cell can hold: numbers and booleans as they are, missing as blank,
    anything else as text (cut to what a cell holds)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        return value.isoformat()
    text = value if isinstance(value, str) else str(value)
    if len(xlsx.escape_text(text)) > xlsx.MAX_CELL_CHARS:
        text = text[: xlsx.MAX_CELL_CHARS // 8] + "… (cut: see the CSV file)"
    return text


def _width(header: str, values: list[Any]) -> float:
    longest = max([len(header)] + [len(f"{v:.6g}" if isinstance(v, float) else str(v))
                                   for v in values[:200] if v is not None])
    return float(min(max(longest + 2, 8), 60))


def results_workbook(tables: Mapping[str, pd.DataFrame], *,
                     currency: str = "the scenario's currency") -> Workbook:
    """The workbook of ``tables`` (see the module docstring); ``currency`` fills the
    units of tables that do not carry their own."""
    names = sheet_names(tables)
    wb = Workbook()
    contents = wb.active
    assert contents is not None
    contents.title = CONTENTS
    for col, width in zip("ABCD", (36, 32, 12, 90), strict=True):
        contents.column_dimensions[col].width = width
    xlsx.put_header(contents, 1, [(h, None) for h in ("table", "sheet", "rows",
                                                       "one row is")])
    limit = xlsx.MAX_ROWS - 1
    for i, (table, df) in enumerate(tables.items(), start=2):
        units_d, meanings_d, row_d = _declared(table, currency)
        units = {**units_d, **df.attrs.get("units", {})}
        meanings = {**meanings_d, **df.attrs.get("meanings", {})}
        row_text = str(df.attrs.get("row") or row_d)
        if len(df) > limit:
            row_text += f" (the first {limit} of {len(df)} rows: see the CSV file)"
        xlsx.put_row(contents, i, [table, names[table], len(df), row_text])
        ws = wb.create_sheet(names[table])
        columns = [str(c) for c in df.columns]
        data = [[_cell(v) for v in df[c].tolist()[:limit]] for c in df.columns]
        headers = [_header(c, str(units.get(c, ""))) for c in columns]
        for j, (h, values) in enumerate(zip(headers, data, strict=True), start=1):
            ws.column_dimensions[get_column_letter(j)].width = _width(h, values)
        xlsx.put_header(ws, 1, [(h, str(meanings.get(c, "")) or None)
                                for h, c in zip(headers, columns, strict=True)])
        for r, row in enumerate(zip(*data, strict=True), start=2):
            xlsx.put_row(ws, r, row)
    return wb


def write_results_workbook(path: str | os.PathLike[str],
                           tables: Mapping[str, pd.DataFrame], *,
                           currency: str = "the scenario's currency",
                           atomic: bool = True) -> None:
    """Write :func:`results_workbook` of ``tables`` to ``path`` (through a temporary file
    renamed into place unless ``atomic`` is false, as inside a result folder that is
    itself swapped into place whole)."""
    xlsx.save_workbook(results_workbook(tables, currency=currency), path, atomic=atomic)

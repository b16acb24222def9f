"""Output tables whose columns declare a unit and a meaning a planner can look up.

Every table a run produces is a tidy pandas DataFrame with fixed column names; its
:class:`TableSpec` says what one row is and, per column, the unit and the meaning. The
specs travel with the frame (``DataFrame.attrs``) and are written beside the CSV files
as a data dictionary (``columns.csv``). A unit written ``{currency}`` is the scenario's
currency (e.g. ``EUR million``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

CURRENCY = "{currency}"  # placeholder in units: the scenario's currency
DICTIONARY_COLUMNS = ["table", "column", "unit", "meaning"]


@dataclass(frozen=True)
class Column:
    """One column: name, unit (``"-"`` for identifiers and words) and meaning."""

    name: str
    unit: str
    meaning: str


@dataclass(frozen=True)
class TableSpec:
    """A table: what one row is, and its columns in order."""

    name: str
    row: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def frame(self, df: pd.DataFrame | None, currency: str) -> pd.DataFrame:
        """``df`` (``None``: an empty table) checked against the spec, with the units and
        meanings attached in ``df.attrs``. Raises ``ValueError`` when the columns differ:
        a table that does not say what it holds is a bug, not an output."""
        out = pd.DataFrame(columns=self.names) if df is None else df.reset_index(drop=True)
        if list(out.columns) != self.names:
            raise ValueError(f"table {self.name}: columns {list(out.columns)} != "
                             f"declared {self.names}")
        out.attrs = {"table": self.name, "row": self.row,
                     "units": {c.name: c.unit.replace(CURRENCY, currency)
                               for c in self.columns},
                     "meanings": {c.name: c.meaning for c in self.columns}}
        return out


def dictionary(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The data dictionary of ``tables``: one row per (table, column) with unit and meaning
    (the file stem is the table's key in ``tables``)."""
    rows = []
    for key, df in tables.items():
        units = df.attrs.get("units", {})
        meanings = df.attrs.get("meanings", {})
        rows += [(key, col, units.get(col, ""), meanings.get(col, "")) for col in df.columns]
    return pd.DataFrame(rows, columns=DICTIONARY_COLUMNS)

"""A result folder read back for a report: its summary, its tables and each column's
unit, from the files alone (no scenario, no solver).

Two kinds of folder are read:

- a **result** (``procure solve|demo|share --out``): ``procure-result.json`` (the
  manifest), ``summary.json``, one parquet (or CSV) file per table, ``columns.csv``;
- a **sweep** (``procure sweep --out``): ``procure-sweep.json`` (its marker),
  ``cases``, ``member_changes`` and ``columns.csv``.

Anything else is refused with :class:`ReportError`, one line naming the folder and why.
A result whose files changed since they were written is still read, with a note saying
so (the report shows it): the figures are those of the files as they are now.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from procure.errors import ProcureError
from procure.report.folder import MANIFEST, read_manifest, result_problem

SWEEP_MARKER = "procure-sweep.json"
SWEEP_TABLES = ("cases", "member_changes")
_NOT_TABLES = frozenset({"columns"})
_MAX_JSON_BYTES = 64 << 20

Kind = Literal["result", "sweep"]


class ReportError(ProcureError):
    """A report cannot be made: the folder is not a procure result or sweep, an output
    exists (without ``force``), or the PDF printer is missing. One line naming the path
    and what to do; nothing was written."""


@dataclass(frozen=True)
class ResultFolder:
    """What a report reads from a result or sweep folder.

    ``tables``: every table by file stem (sweeps: ``cases`` and ``member_changes``);
    ``units``/``meanings``: per table, per column, from ``columns.csv``; ``notes``:
    anything the reader must know about the files (a result changed since written)."""

    path: Path
    kind: Kind
    name: str
    summary: Mapping[str, Any]
    tables: Mapping[str, pd.DataFrame]
    units: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    meanings: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def table(self, name: str) -> pd.DataFrame | None:
        """Table ``name``, or None when the folder does not hold it or it has no rows."""
        df = self.tables.get(name)
        return None if df is None or df.empty else df

    def unit(self, table: str, column: str) -> str:
        """The unit of ``table.column`` from ``columns.csv`` ("" when not listed)."""
        return self.units.get(table, {}).get(column, "")

    @property
    def currency(self) -> str:
        """The scenario's currency, read from the summary (a run's ``currency``), else
        from the unit of a money column; "" when neither says."""
        for run in _runs(self.summary):
            cur = run.get("currency")
            if isinstance(cur, str) and cur:
                return cur
        for table, column in (("member_costs", "cost_alone"), ("payments", "total"),
                              ("shares", "cost_alone"), ("cases", "joint_cost")):
            unit = self.unit(table, column)
            if unit:
                return unit
        return ""


def _runs(summary: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every run summary inside ``summary`` (a dict with a ``status`` and ``model``)."""
    out: list[Mapping[str, Any]] = []
    for value in summary.values():
        if isinstance(value, Mapping):
            if "status" in value and "model" in value:
                out.append(value)
            else:
                out += _runs(value)
    return out


def _json(path: Path) -> Any:
    if path.stat().st_size > _MAX_JSON_BYTES:
        raise ValueError(f"{path.name} is too large")
    return json.loads(path.read_text(encoding="utf-8"))


def _finite(x: Any) -> Any:
    """NaN (which JSON writers may leave) read as None, recursively."""
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x


def _read_table(folder: Path, stem: str) -> pd.DataFrame:
    """A table from its parquet file (types kept), else its CSV."""
    pq = folder / f"{stem}.parquet"
    if pq.is_file():
        return pd.read_parquet(pq)
    return pd.read_csv(folder / f"{stem}.csv", keep_default_na=True)


def _dictionary(folder: Path) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    path = folder / "columns.csv"
    units: dict[str, dict[str, str]] = {}
    meanings: dict[str, dict[str, str]] = {}
    if not path.is_file():
        return units, meanings
    cols = pd.read_csv(path, keep_default_na=False, dtype=str)
    for r in cols.itertuples(index=False):
        units.setdefault(str(r.table), {})[str(r.column)] = str(r.unit)
        meanings.setdefault(str(r.table), {})[str(r.column)] = str(r.meaning)
    return units, meanings


def _scenario_name(summary: Mapping[str, Any], fallback: str) -> str:
    for run in _runs(summary):
        name = run.get("scenario")
        if isinstance(name, str) and name:
            return name
    return fallback


def load_folder(path: str | Path, *, sealed: bool = True) -> ResultFolder:
    """Read the result or sweep folder at ``path`` (module docstring).

    ``sealed=False`` reads a result folder being written (no manifest yet: the files of
    ``procure solve --out DIR --report`` before the folder is sealed). Raises
    :class:`ReportError` when ``path`` is neither kind of folder or cannot be read."""
    folder = Path(path)
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        raise ReportError(f"{folder} {what}: give the folder a procure command wrote with "
                          "--out")
    try:
        if (folder / SWEEP_MARKER).is_file() and not (folder / MANIFEST).exists():
            return _load_sweep(folder)
        return _load_result(folder, sealed)
    except ReportError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ReportError(f"{folder}: cannot be read as a procure result: {e}") from e


def _load_result(folder: Path, sealed: bool) -> ResultFolder:
    notes: list[str] = []
    if sealed:
        try:
            manifest = read_manifest(folder)
        except ValueError as e:
            raise ReportError(f"{folder} is not a procure result or sweep folder ({e}): "
                              "give the folder a procure command wrote with --out") from e
        listed = {f.name for f in manifest.files}
        problem = result_problem(folder)
        if problem is not None:
            notes.append(f"the folder changed since procure wrote it ({problem}); the "
                         "report shows the files as they are now")
    else:
        listed = {p.name for p in folder.iterdir() if p.is_file()}
    if "summary.json" not in listed or not (folder / "summary.json").is_file():
        raise ReportError(f"{folder} is not a procure result folder (no summary.json)")
    summary = _finite(_json(folder / "summary.json"))
    if not isinstance(summary, dict):
        raise ReportError(f"{folder}: summary.json is not a JSON object")
    stems = sorted({Path(n).stem for n in listed if n.endswith((".parquet", ".csv"))}
                   - _NOT_TABLES)
    tables = {stem: _read_table(folder, stem) for stem in stems
              if (folder / f"{stem}.parquet").is_file() or (folder / f"{stem}.csv").is_file()}
    units, meanings = _dictionary(folder)
    return ResultFolder(folder, "result", _scenario_name(summary, folder.name), summary,
                        tables, units, meanings, tuple(notes))


def _load_sweep(folder: Path) -> ResultFolder:
    marker = _json(folder / SWEEP_MARKER)
    if not isinstance(marker, dict) or marker.get("format") != "procure-sweep":
        raise ReportError(f"{folder} is not a procure result or sweep folder "
                          f"({SWEEP_MARKER} is malformed)")
    if not (folder / "cases.parquet").is_file() and not (folder / "cases.csv").is_file():
        raise ReportError(f"{folder} is a sweep that has not finished (no cases table): "
                          "finish it with procure sweep --resume")
    tables = {stem: _read_table(folder, stem) for stem in SWEEP_TABLES
              if (folder / f"{stem}.parquet").is_file() or (folder / f"{stem}.csv").is_file()}
    units, meanings = _dictionary(folder)
    name = marker.get("name")
    return ResultFolder(folder, "sweep", name if isinstance(name, str) else folder.name,
                        {"sweep": marker}, tables, units, meanings)

"""A sweep's folder: every case's result written atomically the moment it finishes, so a
killed sweep resumes where it stopped.

Layout::

    DIR/procure-sweep.json          marks the folder as a sweep (written first)
    DIR/results/<key>.json          one finished case: outcome, reason, attempts, row,
                                    the tables it wrote (written LAST for the case)
    DIR/tables/<table>/<key>.parquet  the case's long-form tables (a parquet dataset per
                                    table: ``pd.read_parquet(DIR/tables/purchases)`` or
                                    DuckDB ``read_parquet('DIR/tables/purchases/*.parquet')``)
    DIR/cases.parquet, cases.csv    one row per case of the spec (rewritten at the end)
    DIR/member_changes.parquet, .csv  each member's cost against the base case
    DIR/columns.csv                 unit and meaning of every column

Every file is written to a temporary name in its folder, fsynced and renamed, so a
kill -9 leaves each file whole or absent; a case counts as done only when its
``results/<key>.json`` exists and names tables that all exist. Keys are content hashes
(:class:`~procure.sweep.cases.Case`), so a resumed sweep reuses every finished result,
whichever spec listed it first.

A folder is reused only when it is a sweep folder (its marker parses) and the caller
resumes (or forces a fresh start, which removes only what this layout names); a
file, or a non-empty folder that is not a sweep, is refused (:class:`OutputError`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from procure.errors import OutputError
from procure.run.record import procure_version

MARKER = "procure-sweep.json"
FORMAT = "procure-sweep"
FORMAT_VERSION = 1
OWN = ("results", "tables", "cases.parquet", "cases.csv", "member_changes.parquet",
       "member_changes.csv", "columns.csv", MARKER)
"""Everything this layout writes (what a forced fresh start removes)."""


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - a platform without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    """``write(tmp)`` then fsync and rename ``tmp`` to ``path`` (same folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _parquet_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    def write(tmp: Path) -> None:
        frame.to_parquet(tmp, index=False)

    return write


def _write_json(path: Path, data: Any) -> None:
    _atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=1, sort_keys=True,
                                                        default=str), encoding="utf-8"))


@dataclass
class Finished:
    """A stored case result."""

    key: str
    outcome: str  # solved | failed
    reason: str
    attempts: int
    seconds: float
    row: dict[str, Any]
    tables: list[str]


class SweepStore:
    """The folder of one sweep (module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, name: str, resume: bool,
             force: bool) -> SweepStore:
        """Check ``path`` and make it a sweep folder (before any case runs).

        Missing or empty: a new sweep. A sweep folder: kept with ``resume``, cleared of
        this layout's files with ``force``, else refused. Anything else: refused."""
        root = Path(path)
        if root.is_symlink() or (root.exists() and not root.is_dir()):
            raise OutputError(root, f"{root} exists and is not a folder; choose another "
                                    "--out")
        if not root.parent.is_dir():
            raise OutputError(root, f"{root.parent} does not exist or is not a folder")
        if root.is_dir() and any(root.iterdir()):
            if not (root / MARKER).is_file() or _marker_problem(root) is not None:
                raise OutputError(root, f"{root} is a non-empty folder that is not a "
                                        "procure sweep; nothing was changed")
            if not (resume or force):
                raise OutputError(root, f"{root} holds an earlier sweep: --resume to "
                                        "finish it, or --force to start over")
            if force and not resume:
                for item in OWN:
                    p = root / item
                    if p.is_dir() and not p.is_symlink():
                        shutil.rmtree(p)
                    elif p.exists() or p.is_symlink():
                        p.unlink()
        if not os.access(root.parent, os.W_OK) or (root.exists()
                                                   and not os.access(root, os.W_OK)):
            raise OutputError(root, f"{root} is not writable")
        root.mkdir(exist_ok=True)
        store = cls(root)
        if not (root / MARKER).is_file():
            _write_json(root / MARKER, {
                "format": FORMAT, "format_version": FORMAT_VERSION, "name": name,
                "procure_version": procure_version(),
                "created": datetime.now(UTC).isoformat(timespec="seconds")})
        for leftover in root.rglob(".*.tmp"):  # a killed writer's temporary files
            if leftover.is_file() and not leftover.is_symlink():
                leftover.unlink(missing_ok=True)
        return store

    def _result_path(self, key: str) -> Path:
        return self.root / "results" / f"{key}.json"

    def finished(self, keys: Iterable[str]) -> dict[str, Finished]:
        """The stored, complete results among ``keys`` (solved or failed)."""
        out: dict[str, Finished] = {}
        for key in set(keys):
            p = self._result_path(key)
            if not p.is_file():
                continue
            try:
                d = json.loads(p.read_text(encoding="utf-8"))
                f = Finished(key, d["outcome"], d["reason"], int(d["attempts"]),
                             float(d["seconds"]), dict(d["row"]), list(d["tables"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # unreadable: solved again
            if all((self.root / "tables" / t / f"{key}.parquet").is_file() for t in f.tables):
                out[key] = f
        return out

    def save(self, key: str, outcome: str, reason: str, attempts: int, seconds: float,
             row: dict[str, Any], tables: dict[str, pd.DataFrame]) -> None:
        """Store one case: its tables first, then its result file (the commit)."""
        for name, df in tables.items():
            frame = df.copy()
            frame.insert(0, "key", key)
            _atomic(self.root / "tables" / name / f"{key}.parquet", _parquet_writer(frame))
        _write_json(self._result_path(key), {
            "key": key, "outcome": outcome, "reason": reason, "attempts": attempts,
            "seconds": seconds, "row": row, "tables": sorted(tables)})

    def table(self, name: str, keys: Iterable[str]) -> pd.DataFrame | None:
        """One long-form table over the cases ``keys`` (None: no case wrote it)."""
        parts = [pd.read_parquet(p) for k in sorted(set(keys))
                 if (p := self.root / "tables" / name / f"{k}.parquet").is_file()]
        return pd.concat(parts, ignore_index=True) if parts else None

    def table_names(self) -> list[str]:
        base = self.root / "tables"
        return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []

    def write_frame(self, name: str, df: pd.DataFrame) -> None:
        """``name``.parquet and ``name``.csv at the top of the folder, atomically."""
        _atomic(self.root / f"{name}.parquet", _parquet_writer(df))
        _atomic(self.root / f"{name}.csv", lambda tmp: df.to_csv(tmp, index=False))

    def write_dictionary(self, df: pd.DataFrame) -> None:
        _atomic(self.root / "columns.csv", lambda tmp: df.to_csv(tmp, index=False))


def _marker_problem(root: Path) -> str | None:
    try:
        d = json.loads((root / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "unreadable marker"
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        return "not a sweep marker"
    if d.get("format_version") != FORMAT_VERSION:
        return f"sweep format {d.get('format_version')!r} (this procure reads {FORMAT_VERSION})"
    return None

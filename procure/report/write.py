"""Write results to a folder: ``summary.json``, one CSV (and parquet) per table,
``columns.csv``, the data dictionary giving every column's unit and meaning, and
``procure-result.json``, the manifest written last.

A result write never destroys a user's data (the rules are in
:mod:`procure.report.folder`): :func:`check_out` refuses, before any solve, an output
path that is a file, a non-empty folder that is not an earlier procure result, an
earlier result without ``force``, a missing or read-only parent, or the scenario's own
folder; :func:`write_results` checks again, assembles the folder in a temporary
sibling and swaps it into place atomically, so a failed or killed run leaves either
the old complete folder or the new complete one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from procure.errors import OutputError
from procure.procurement.solve import ProcurementRecord
from procure.procurement.study import Study
from procure.report.folder import MANIFEST, check_out, result_problem, write_folder
from procure.run.tables import dictionary

__all__ = ["MANIFEST", "OutputError", "check_out", "result_problem", "study_summary",
           "study_tables", "write_results", "write_study"]



def study_tables(st: Study) -> dict[str, pd.DataFrame]:
    """Every table of a study, by file stem."""
    tables: dict[str, pd.DataFrame] = {}
    for prefix, res in (("", st.joint), ("alone_", st.alone)):
        if res is None:  # no baseline: the joint plan's tables alone
            continue
        for name, df in res.tables.items():
            tables[f"{prefix}{name}"] = df
    if st.level is not None:
        for name, df in st.level.tables.items():
            tables[f"like_for_like_{name}"] = df
    tables["member_costs"] = st.member_costs()
    tables["members"] = st.members()
    tables["shortfall_by_capability"] = st.shortfall_by_capability()
    tables["duplication"] = st.duplication()
    return tables


def write_results(out_dir: str | os.PathLike[str], summary: dict[str, object],
                  tables: dict[str, pd.DataFrame], *, force: bool = False,
                  inputs: Iterable[str | os.PathLike[str]] = (), report: bool = False,
                  excel: bool = False) -> Path:
    """Write ``summary.json``, ``columns.csv`` and every table to ``out_dir`` and return
    its resolved path.

    ``out_dir`` must be new, an empty folder, or (with ``force``) an earlier procure
    result, which is then replaced atomically; anything else raises
    :class:`~procure.errors.OutputError` and is left untouched (``inputs``: scenario
    files being read, which the folder must not be or contain). What differs between
    two runs of the same input, seed and threads (wall-clock timings, timestamps) goes to
    ``run.json``, not ``summary.json``: every other file is byte-identical, and only the
    manifest's ``created`` differs in it.

    ``report``: also ``report.html``, the folder's HTML report
    (:func:`procure.report.html.report_into`), made from the files just written and
    sealed with them by the same manifest, so the folder and its report are written (or
    not) together.

    ``excel``: also ``results.xlsx``, every table as a sheet with units in its headers
    (:mod:`procure.report.excel`), written and sealed with the other files."""
    stable, volatile = split_volatile(summary)

    def fill(folder: Path) -> None:
        (folder / "summary.json").write_text(json.dumps(stable, indent=2, default=str),
                                             encoding="utf-8")
        (folder / "run.json").write_text(json.dumps(volatile, indent=2, default=str),
                                         encoding="utf-8")
        dictionary(tables).to_csv(folder / "columns.csv", index=False)
        for name, df in tables.items():
            df.to_csv(folder / f"{name}.csv", index=False)
            df.to_parquet(folder / f"{name}.parquet", index=False)
        if excel:
            from procure.report.excel import RESULTS_WORKBOOK, write_results_workbook

            write_results_workbook(folder / RESULTS_WORKBOOK, tables, atomic=False)
        if report:
            from procure.report.html import report_into

            report_into(folder)

    return write_folder(out_dir, fill, force=force, inputs=inputs)


VOLATILE = frozenset({"timings", "build_seconds", "solve_seconds", "started_at", "ended_at"})
"""Summary keys that change from run to run of the same input (written to ``run.json``)."""


def split_volatile(summary: Any) -> tuple[Any, Any]:
    """``summary`` without the :data:`VOLATILE` keys (at any depth), and those keys alone
    in the same nesting (empty branches dropped)."""
    if not isinstance(summary, dict):
        return summary, None
    stable: dict[str, Any] = {}
    volatile: dict[str, Any] = {}
    for key, value in summary.items():
        if key in VOLATILE:
            volatile[key] = value
            continue
        keep, moved = split_volatile(value)
        stable[key] = keep
        if moved:
            volatile[key] = moved
    return stable, volatile


def joint_tables(joint: ProcurementRecord) -> dict[str, pd.DataFrame]:
    """The joint plan's tables alone (a folder written before the comparisons)."""
    return dict(joint.tables)


def joint_summary(joint: ProcurementRecord, pending: str = "") -> dict[str, object]:
    """The summary of the joint plan alone; ``pending`` says why no comparison is in it
    yet (the folder is rewritten when the comparison solves finish)."""
    out: dict[str, object] = {"joint": joint.summary()}
    if pending:
        out["comparison_pending"] = pending
    return out


def study_summary(st: Study) -> dict[str, object]:
    out: dict[str, object] = {"joint": st.joint.summary()}
    if st.alone is not None:
        out["alone"] = st.alone.summary()
    if st.level is not None:
        out["like_for_like"] = st.level.summary()
    out["comparison"] = st.headline()
    return out


def write_study(st: Study, out_dir: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write a procurement study to ``out_dir`` (see :func:`write_results`; an earlier
    result there is replaced atomically only with ``force``)."""
    return write_results(out_dir, study_summary(st), study_tables(st), force=force)

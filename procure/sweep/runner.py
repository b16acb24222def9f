"""A sweep from Python: a spec and an executor in, tidy tables out.

    from procure.schema.sweep import load_sweep
    from procure.sweep import sweep

    spec, base = load_sweep("datasets/sweeps/tutorial_budgets.yaml")
    res = sweep(spec, base, executor="local", out="what-if")   # or "dask", "tcp://…"
    res.cases                      # one row per case (procure.sweep.results)
    res.member_changes             # each member's cost against the base case
    res.table("purchases")         # a long-form table over every case, with its case

The cases are expanded (:func:`procure.sweep.cases.expand`), run on the pool
(:func:`procure.sweep.engine.execute`), stored as they finish
(:class:`procure.sweep.store.SweepStore`; a temporary folder when ``out`` is None) and
combined. Resuming (``resume=True`` on the same ``out``) reuses every stored result.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from procure.report.outputs import TABLES
from procure.run.tables import DICTIONARY_COLUMNS, TableSpec
from procure.schema.scenario import Scenario
from procure.schema.sweep import SweepSpec
from procure.sweep.cases import Case, expand
from procure.sweep.engine import LocalPool, Pool, Progress, execute
from procure.sweep.results import MEMBER_CHANGES, against_base, cases_spec
from procure.sweep.store import Finished, SweepStore


@dataclass
class SweepResult:
    """What a sweep gives back (module docstring)."""

    name: str
    cases: pd.DataFrame
    member_changes: pd.DataFrame
    folder: Path | None
    tables: dict[str, pd.DataFrame]

    def table(self, name: str) -> pd.DataFrame:
        """One long-form table over every solved case, its first column the case."""
        return self.tables[name]


def make_pool(executor: str | Pool, *, workers: int | None = None, threads: int = 1) -> Pool:
    """``"local"`` (a process per case on this machine), ``"dask"`` (a LocalCluster of
    ``workers`` processes, default 2), a scheduler address (``tcp://…``), or a pool."""
    if isinstance(executor, Pool):
        return executor
    if executor == "local":
        return LocalPool(workers, threads)
    from procure.sweep.dask import DaskPool

    return DaskPool(None if executor in ("dask", "local-dask") else executor,
                    workers=workers or 2)


def _labels(cases: list[Case]) -> list[str]:
    axes: list[str] = []
    for c in cases:
        for a in c.labels:
            if a not in axes:
                axes.append(a)
    return axes


def combine(cases: list[Case], results: dict[str, Finished], store: SweepStore,
            base_case: int | None, currency: str) -> tuple[pd.DataFrame, pd.DataFrame,
                                                          dict[str, pd.DataFrame]]:
    """The cases table, the member changes and every long-form table (with ``case``)."""
    axes = _labels(cases)
    spec = cases_spec(axes)
    rows = []
    for c in cases:
        f = results.get(c.key) if c.scenario is not None else None
        row: dict[str, Any] = {col: None for col in spec.names}
        row.update(case=c.index, name=c.name, key=c.key,
                   **{f"axis:{a}": c.labels.get(a, "") for a in axes})
        if c.scenario is None:
            row.update(outcome="invalid", reason=c.error or "", attempts=0)
        elif f is None:
            row.update(outcome="missing", reason="not run", attempts=0)
        else:
            row.update(f.row)
            row.update(outcome=f.outcome, reason=f.reason, attempts=f.attempts,
                       seconds=f.seconds)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=spec.names)
    keys = [c.key for c in cases if c.scenario is not None and c.key in results]
    case_of: dict[str, list[int]] = {}
    for c in cases:
        if c.scenario is not None and c.key in results:
            case_of.setdefault(c.key, []).append(c.index)
    tables: dict[str, pd.DataFrame] = {}
    for name in store.table_names():
        df = store.table(name, keys)
        if df is None:
            continue
        parts = []
        for key, group in df.groupby("key", sort=False):
            for index in case_of.get(str(key), []):
                parts.append(group.drop(columns="key").assign(case=index))
        if parts:
            out = pd.concat(parts, ignore_index=True)
            out = out[["case", *[c for c in out.columns if c != "case"]]]
            tables[name] = out.sort_values("case", kind="stable").reset_index(drop=True)
    mc = tables.get("member_costs")
    frame, changes = against_base(frame, mc, base_case)
    frame = spec.frame(frame, currency)
    changes = MEMBER_CHANGES.frame(changes, currency)
    return frame, changes, tables


def dictionary(cases_table: TableSpec, table_names: list[str], currency: str) -> pd.DataFrame:
    """Unit and meaning of every column the sweep folder holds."""
    rows: list[tuple[str, str, str, str]] = []
    for top, name in ((cases_table, "cases"), (MEMBER_CHANGES, "member_changes")):
        rows += [(name, c.name, c.unit.replace("{currency}", currency), c.meaning)
                 for c in top.columns]
    by_stem = {s.strip(): spec for stems, spec in TABLES for s in stems.split(",")}
    for name in table_names:
        long = by_stem.get(name)
        if long is None:
            continue
        rows.append((f"tables/{name}", "key", "-", "the case's key (cases.csv)"))
        rows += [(f"tables/{name}", c.name, c.unit.replace("{currency}", currency), c.meaning)
                 for c in long.columns]
    return pd.DataFrame(rows, columns=DICTIONARY_COLUMNS)


def sweep(spec: SweepSpec, base: Scenario, *, executor: str | Pool = "local",
          workers: int | None = None, out: str | Path | None = None, resume: bool = False,
          force: bool = False, on_progress: Callable[[Progress], None] | None = None,
          faults: dict[int, str] | None = None, grace: float | None = None,
          cases: list[Case] | None = None) -> SweepResult:
    """Run the sweep ``spec`` over ``base`` (module docstring). ``cases``: the expanded
    cases, when the caller already has them."""
    cases = expand(spec, base) if cases is None else cases
    threads = max((c.options.threads for c in cases), default=1)
    base_case = 0 if spec.include_base else None
    tmp = None
    if out is None:
        tmp = tempfile.TemporaryDirectory(prefix="procure-sweep-")
        root = Path(tmp.name) / "sweep"
    else:
        root = Path(out)
    try:
        store = SweepStore.open(root, name=spec.name, resume=resume, force=force)
        pool = make_pool(executor, workers=workers, threads=threads)
        try:
            results = execute(cases, pool, store, on_progress=on_progress, faults=faults,
                              grace=grace)
        finally:
            if pool is not executor:  # a pool the caller passed stays the caller's
                pool.close()
        frame, changes, tables = combine(cases, results, store, base_case, base.currency)
        store.write_frame("cases", frame)
        store.write_frame("member_changes", changes)
        store.write_dictionary(dictionary(cases_spec(_labels(cases)), sorted(tables),
                                          base.currency))
        return SweepResult(spec.name, frame, changes, None if tmp is not None else root,
                           tables)
    finally:
        if tmp is not None:
            tmp.cleanup()

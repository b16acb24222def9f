"""A sweep on the console: a progress display while it runs, and the comparison of every
case against the base case when it is done."""

from __future__ import annotations

import math
from types import TracebackType
from typing import Any

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from procure.report.console import CONSOLE_ROWS, num
from procure.sweep.engine import Progress


class SweepProgress:
    """Cases done, failed and running, and the time left (rich); silent when off."""

    def __init__(self, console: Console, total: int, *, enabled: bool) -> None:
        self.enabled = enabled
        self._bar = RichProgress(TextColumn("[bold]cases"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[status]}"), TimeRemainingColumn(),
                                 console=console, transient=False, disable=not enabled)
        self._task: TaskID | None = None
        self.total = total

    def __enter__(self) -> SweepProgress:
        if self.enabled:
            self._bar.start()
            self._task = self._bar.add_task("cases", total=self.total, status="")
        return self

    def __call__(self, p: Progress) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=p.done, total=p.total,
                             status=f"failed {p.failed}, running {p.running}")

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.enabled:
            self._bar.stop()


def _money(x: Any) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else num(float(x))


def print_sweep(cases: pd.DataFrame, console: Console, *, folder: str | None,
                report: bool, currency: str) -> None:
    """One line of counts; with ``report``, every case against the base case."""
    counts = cases.outcome.value_counts().to_dict()
    parts = [f"{counts.get(k, 0)} {k}" for k in ("solved", "failed", "invalid", "missing")
             if counts.get(k, 0)]
    console.print(f"{len(cases)} cases: " + ", ".join(parts), highlight=False, soft_wrap=True)
    for r in cases[cases.outcome.isin(["failed", "invalid"])].head(CONSOLE_ROWS).itertuples():
        console.print(f"  case {r.case} ({escape(str(r.name))}): {r.outcome}: "
                      f"{escape(str(r.reason))}", highlight=False, soft_wrap=True)
    if report:
        t = Table(title=f"Cases against the base case ({escape(currency)})")
        for col in ("case", "what if", "joint status", "joint cost", "change vs base",
                    "savings", "requirements short"):
            t.add_column(col, justify="left" if col in ("what if", "joint status") else "right")
        for r in cases.head(CONSOLE_ROWS).itertuples():
            status = r.joint_status if r.outcome == "solved" else r.outcome
            short: Any = r.joint_requirements_short
            t.add_row(str(r.case), escape(str(r.name)), escape(str(status)),
                      _money(r.joint_cost), _money(r.joint_cost_change), _money(r.savings),
                      "-" if pd.isna(short) else str(int(short)))
        console.print(t)
        if len(cases) > CONSOLE_ROWS:
            console.print(f"  (the first {CONSOLE_ROWS} of {len(cases)} cases; all of them "
                          "in cases.csv)", highlight=False, soft_wrap=True)
        console.print("A change or saving is shown only where every solve it depends on "
                      "was proven optimal.", highlight=False, soft_wrap=True)
    if folder is not None:
        console.print(f"results in {escape(folder)} (cases.csv, member_changes.csv, "
                      "tables/)", highlight=False, soft_wrap=True)

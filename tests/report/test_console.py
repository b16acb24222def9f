"""Console output (``procure/report/console.py``): long tables are cut, and say so."""

from __future__ import annotations

from io import StringIO

from rich.console import Console
from rich.table import Table

from procure.report.console import CONSOLE_ROWS, _capped, _print


def _render(n: int) -> str:
    t = Table(title="Shortfalls (joint)")
    t.add_column("member")
    rows, note = _capped([{"member": f"M{i:03d}"} for i in range(n)], "shortfalls.csv")
    for r in rows:
        t.add_row(str(r["member"]))
    buf = StringIO()
    _print(Console(file=buf, width=100), t, note)
    return buf.getvalue()


def test_a_long_table_shows_its_first_rows_and_where_the_rest_is() -> None:
    text = _render(CONSOLE_ROWS + 7)
    assert f"M{CONSOLE_ROWS - 1:03d}" in text and f"M{CONSOLE_ROWS:03d}" not in text
    assert f"the first {CONSOLE_ROWS} of {CONSOLE_ROWS + 7} rows" in text
    assert "shortfalls.csv" in text


def test_a_short_table_is_shown_whole_without_a_caption() -> None:
    text = _render(CONSOLE_ROWS)
    assert f"M{CONSOLE_ROWS - 1:03d}" in text and "rows; all of them" not in text


def test_a_stopped_procurement_run_shows_its_gap_on_the_plans_cost() -> None:
    """The objective's gap divides by the objective, which the shortfall penalty can
    dwarf; the status line also gives (objective - bound) as a share of the plan's cost."""
    from dataclasses import replace

    from conftest import solve_checked

    from procure.backends.base import Status, Stop
    from procure.generate import generate_alliance
    from procure.report.console import status_line

    record = solve_checked(generate_alliance(4, 2, 2, 3, seed=2))
    cost = record.metrics["total_cost"]
    assert record.objective is not None and cost
    stopped = replace(record, status=Status.FEASIBLE, stopped_by=Stop.TIME,
                      bound=record.objective - 0.1 * cost,
                      gap=0.1 * cost / record.objective)
    line = status_line(stopped)
    assert "(10 % of the plan's cost)" in line, line
    assert status_line(record) == "optimal"

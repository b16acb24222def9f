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

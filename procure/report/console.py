"""On-screen summaries (rich tables), written against the run record: the status line
of any run, the procurement study, the movement plan.

Every string that comes from the scenario (names, ids, units, the currency) is escaped,
so text such as ``Plan [draft]`` prints as written instead of being read as markup.
Numbers are rounded for reading; the result folder keeps them exact.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from procure.logistics.solve import MovementRecord
from procure.procurement.result import SHORT_TOL, requirements_short
from procure.procurement.solve import ProcurementRecord
from procure.procurement.study import Study
from procure.run.record import RunRecord
from procure.schema.scenario import Scenario

CONSOLE_ROWS = 40
"""Most rows of one table on the console; the full table is in the result folder."""


def _capped(records: list[dict[Hashable, Any]], csv: str
            ) -> tuple[list[dict[Hashable, Any]], str]:
    """The first :data:`CONSOLE_ROWS` of ``records``, and a line to print under the table
    when some are left out (how many, and where they all are; else "")."""
    if len(records) <= CONSOLE_ROWS:
        return records, ""
    return records[:CONSOLE_ROWS], (f"  (the first {CONSOLE_ROWS} of {len(records)} rows; "
                                     f"all of them in {csv} with --out)")


def _print(con: Console, table: Table, note: str) -> None:
    con.print(table)
    if note:
        con.print(note, highlight=False, soft_wrap=True)


def num(x: float | int | None, digits: int = 1) -> str:
    """A number for reading: thousands separated, ``digits`` decimals at most, and small
    magnitudes to 3 significant figures (never 0.006382978723404431); ``-`` for none."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "unlimited" if x > 0 else "-unlimited"
    if x != 0 and abs(x) < 10 ** -digits:
        return f"{x:.3g}"
    x = x + 0  # -0.0 reads as 0
    text = f"{x:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(x: float | None, currency: str) -> str:
    return "-" if x is None else f"{num(x)} {escape(currency)}"


def status_line(res: RunRecord[Any, Any]) -> str:
    """The status of any run: at a limit with the limit, gap and bound; and the
    evaluator's verdict when it found a broken rule."""
    s = str(res.status)
    if str(res.status) in ("feasible", "limit"):
        s += f" ({res.stopped_by} limit"
        if res.gap is not None and res.bound is not None:
            s += f", gap {num(100 * res.gap, 2)} %"
            cost = res.metrics.get("total_cost")
            if cost and res.objective is not None:
                # the gap on money: what the best plan could still save (each unit short
                # at the shortfall penalty) as a share of this plan's cost
                s += (f" ({num(100 * max(0.0, res.objective - res.bound) / cost, 2)} % of "
                      "the plan's cost)")
            s += f", bound {num(res.bound)}"
        s += ")"
    if res.evaluation is not None and not res.evaluation.feasible:
        s += f" [evaluator: {len(res.evaluation.violations)} violation(s)]"
    return escape(s)


def print_study(st: Study, console: Console | None = None) -> None:
    """The joint plan (:func:`print_joint`), then how it compares with going alone
    (:func:`print_comparison`)."""
    con = console or Console()
    print_joint(st.joint, st.scenario, con)
    print_comparison(st, con)


def _runs_table(title: str, runs: list[tuple[str, ProcurementRecord | None]],
                currency: str) -> Table:
    """One column per run: status, total cost, launches, requirements short, times."""
    head = Table(title=title)
    head.add_column("")
    for name, _ in runs:
        head.add_column(name, justify="right")

    def row(label: str, values: list[str]) -> None:
        head.add_row(label, *values)

    row("status", [status_line(r) if r is not None else "not run" for _, r in runs])
    row(f"total cost ({escape(currency)})",
        [num(r.metrics.get("total_cost")) if r is not None else "-" for _, r in runs])
    row("launches", [str(len(r.plan.launches)) if r is not None and r.plan else "-"
                     for _, r in runs])
    row("requirements short", [
        str(requirements_short(r.evaluation))
        if r is not None and r.evaluation is not None else "-" for _, r in runs])
    row("build / solve seconds", [f"{r.build_seconds:.2f} / {r.solve_seconds:.2f}"
                                  if r is not None else "-" for _, r in runs])
    return head


def print_joint(j: ProcurementRecord, scenario: Scenario,
                console: Console | None = None) -> None:
    """The joint plan alone, as soon as it is solved: its status, cost, launches and
    shortfalls (the comparison with going alone follows when it is run)."""
    con = console or Console()
    con.print(_runs_table(f"{escape(scenario.name)}: joint plan", [("joint", j)],
                          scenario.currency))
    if j.plan is not None:
        launched = Table(title="Launches of the joint plan")
        for col in ("program", "capability", "buyers", "NRC payers"):
            launched.add_column(col)
        records, note = _capped(j.tables["launches"].to_dict("records"), "launches.csv")
        for ln in records:
            launched.add_row(*(escape(str(ln[c])) for c in ("program", "capability",
                                                             "participants", "nrc_payers")))
        _print(con, launched, note)
    if j.evaluation is not None:
        rows = j.evaluation.shortfalls
        rows = rows[rows.shortfall > SHORT_TOL]
        if len(rows):
            t = Table(title="Shortfalls (joint)")
            for col in ("member", "capability", "by year", "required", "short"):
                t.add_column(col)
            records, note = _capped(rows.to_dict("records"), "shortfalls.csv")
            for r in records:
                t.add_row(escape(str(r["member"])), escape(str(r["capability"])),
                          str(r["by_year"]), num(float(r["required"]), 3),
                          num(float(r["shortfall"]), 3))
            _print(con, t, note)
        else:
            con.print("Shortfalls (joint): none", highlight=False)


def print_comparison(st: Study, console: Console | None = None) -> None:
    """The joint plan, the joint plan like for like (when going alone falls short) and
    going alone side by side; the savings only when every run they use finished; then
    shortfalls per capability in its own unit. Without a baseline, one line saying why."""
    con = console or Console()
    cur = st.scenario.currency
    if st.alone is None:
        con.print(f"No comparison with going alone: {escape(st.skipped)}.", highlight=False)
        return
    runs: list[tuple[str, ProcurementRecord | None]] = [("joint", st.joint)]
    if st.needs_level:
        runs.append(("joint, like for like", st.level))
    runs.append(("go-alone", st.alone))
    con.print(_runs_table(f"{escape(st.scenario.name)}: joint plan vs going alone", runs, cur))
    h = st.headline()
    cmp = Table(title="What joint procurement changes")
    cmp.add_column("")
    cmp.add_column("joint", justify="right")
    cmp.add_column("going alone", justify="right")
    cmp.add_row("launches per capability", num(float(h["duplication_index_joint"]), 2),  # type: ignore[arg-type]
                num(float(h["duplication_index_alone"]), 2))  # type: ignore[arg-type]
    cmp.add_row(f"NRC beyond the dearest launch per capability ({escape(cur)})",
                num(float(h["nrc_beyond_dearest_joint"])),  # type: ignore[arg-type]
                num(float(h["nrc_beyond_dearest_alone"])))  # type: ignore[arg-type]
    con.print(cmp)
    if st.findings_ready and st.savings is not None:
        pct = st.savings_pct
        con.print(f"Savings vs going alone, like for like: [bold]{money(st.savings, cur)}"
                  f"[/bold]" + ("" if pct is None else f" ({num(pct)} %)"), highlight=False)
        if st.level is not None:
            con.print(f"Extra cost of what only the joint plan delivers: "
                      f"{money(st.extra_cost, cur)}", highlight=False)
    else:
        con.print("No savings shown: a run they depend on did not finish.", highlight=False)
        for line in st.unfinished:
            con.print(f"  {escape(line)}", highlight=False)
    sf = st.shortfall_by_capability()
    short = sf[(sf[["short_alone", "short_joint"]].fillna(0) > SHORT_TOL).any(axis=1)]
    if len(short):
        t = Table(title="Units short per capability (each in its own unit)")
        for col in ("capability", "unit", "joint", "joint, like for like", "going alone"):
            t.add_column(col, justify="left" if col in ("capability", "unit") else "right")
        records, note = _capped(short.to_dict("records"), "shortfall_by_capability.csv")
        for r in records:
            t.add_row(escape(str(r["capability"])), escape(str(r["unit"])),
                      num(float(r["short_joint"]), 3),
                      num(float(r["short_joint_like_for_like"]), 3),
                      num(float(r["short_alone"]), 3))
        _print(con, t, note)


def print_movements(mr: MovementRecord, console: Console | None = None, top: int = 5) -> None:
    """Status, cost, on-time %, late and short tonnage, and the top bottlenecks."""
    con = console or Console()
    t = Table(title=f"{escape(mr.scenario_name)}: movement plan")
    t.add_column("")
    t.add_column("value", justify="right")
    t.add_row("status", status_line(mr))
    ev = mr.evaluation
    if ev is not None:
        closure = ev.closure
        on_time = mr.metrics.get("on_time_pct")
        t.add_row(f"transport + draw + lift cost ({escape(mr.currency)})", num(ev.cost, 2))
        t.add_row("on time (% of tons)", num(on_time))
        late = closure[closure.late > 0]
        late_tons = float((late.late * late.tons / late.quantity).sum()) if len(late) else 0.0
        t.add_row("late (tons; priority x ton-days)",
                  f"{num(late_tons)}; {num(ev.late_ton_days)}")
        t.add_row("short (tons)", num(ev.short_tons))
        t.add_row("requirements on time / late / short",
                  " / ".join(str(int((closure.status == k).sum()))
                             for k in ("on time", "late", "short")))
    t.add_row("build / solve seconds", f"{mr.build_seconds:.2f} / {mr.solve_seconds:.2f}")
    con.print(t)
    for note in mr.notes:
        con.print(escape(note), highlight=False)
    bn = mr.tables["bottlenecks"]
    if len(bn):
        b = Table(title="Top bottlenecks (capacity fully used)")
        for col in ("resource", "kind", "days at capacity", "capacity", "unit",
                    f"one more unit saves ({escape(mr.currency)})",
                    "... or penalty units"):
            b.add_column(col)
        for r in bn.head(top).to_dict("records"):
            b.add_row(escape(str(r["resource"])), escape(str(r["kind"])),
                      str(r["days_at_capacity"]), num(float(r["capacity"]), 3),
                      escape(str(r["unit"])), num(float(r["value_money"]), 4),
                      num(float(r["value_service"]), 4))
        con.print(b)

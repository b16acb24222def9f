"""On-screen summaries (rich tables), written against the run record: the status line
of any run, the procurement study, the movement plan."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from procure.logistics.solve import MovementRecord
from procure.procurement.study import Study
from procure.run.record import RunRecord


def _money(x: float | None, currency: str) -> str:
    return "-" if x is None else f"{x:,.1f} {currency}"


def _status(res: RunRecord[Any, Any]) -> str:
    """The status of any run: at a limit with the limit, gap and bound; and the
    evaluator's verdict when it found a broken rule."""
    s = str(res.status)
    if str(res.status) in ("feasible", "limit"):
        s += f" ({res.stopped_by} limit"
        if res.gap is not None and res.bound is not None:
            s += f", gap {100 * res.gap:.3g} %, bound {res.bound:,.1f}"
        s += ")"
    if res.evaluation is not None and not res.evaluation.feasible:
        s += f" [evaluator: {len(res.evaluation.violations)} violation(s)]"
    return s


def _units(x: float | None) -> str:
    return "-" if x is None else f"{x:g}"


def print_study(st: Study, console: Console | None = None) -> None:
    """Headline table, duplication by capability, and shortfalls of the joint plan."""
    con = console or Console()
    cur = st.scenario.currency
    head = Table(title=f"{st.scenario.name}: joint plan vs go-alone", show_header=True)
    head.add_column("")
    head.add_column("joint", justify="right")
    head.add_column("go-alone", justify="right")
    j, a = st.joint, st.alone
    h = st.headline()
    head.add_row("status", _status(j), _status(a))
    head.add_row("total cost", _money(j.metrics.get("total_cost"), cur),
                 _money(a.metrics.get("total_cost"), cur))
    head.add_row("programs launched",
                 str(len(j.plan.launches)) if j.plan else "-",
                 str(len(a.plan.launches)) if a.plan else "-")
    head.add_row("duplication index (launches per capability)",
                 f"{h['duplication_index_joint']:.2f}", f"{h['duplication_index_alone']:.2f}")
    head.add_row("NRC paid more than once", _money(h["duplicated_nrc_joint"], cur),  # type: ignore[arg-type]
                 _money(h["duplicated_nrc_alone"], cur))  # type: ignore[arg-type]
    head.add_row("shortfall (units)", _units(j.metrics.get("shortfall_units")),
                 _units(a.metrics.get("shortfall_units")))
    head.add_row("build / solve seconds", f"{j.build_seconds:.2f} / {j.solve_seconds:.2f}",
                 f"{a.build_seconds:.2f} / {a.solve_seconds:.2f}")
    con.print(head)
    if st.savings is not None:
        con.print(f"Savings vs go-alone: [bold]{_money(st.savings, cur)}[/bold] "
                  f"({st.savings_pct:.1f} %)", highlight=False)
        if st.level is not None:
            con.print(f"  like for like: going alone leaves "
                      f"{_units(a.metrics.get('shortfall_units'))} unit(s) unmet; meeting only "
                      f"what it meets costs "
                      f"{_money(st.like_for_like.metrics.get('total_cost'), cur)} jointly. The "
                      f"joint plan meets {_units(st.extra_units)} unit(s) more for "
                      f"{_money(st.extra_cost, cur)} extra.", highlight=False)
    if j.plan is not None:
        launched = Table(title="Programs launched (joint)")
        for col in ("program", "capability", "participants"):
            launched.add_column(col)
        lt = j.tables["launches"]
        for row in lt.itertuples(index=False):
            launched.add_row(str(row.program), str(row.capability), str(row.participants))
        con.print(launched)
    if j.evaluation is not None:
        sf = j.evaluation.shortfalls
        sf = sf[sf.shortfall > 1e-9]
        if len(sf):
            t = Table(title="Shortfalls (joint)")
            for col in ("member", "capability", "by_year", "required", "shortfall"):
                t.add_column(col)
            for r in sf.itertuples(index=False):
                t.add_row(str(r.member), str(r.capability), str(r.by_year), f"{r.required:g}",
                          f"{r.shortfall:g}")
            con.print(t)
        else:
            con.print("Shortfalls (joint): none")


def print_movements(mr: MovementRecord, console: Console | None = None, top: int = 5) -> None:
    """Status, cost, on-time %, late and short tonnage, and the top bottlenecks."""
    con = console or Console()
    t = Table(title=f"{mr.scenario_name}: movement plan")
    t.add_column("")
    t.add_column("value", justify="right")
    t.add_row("status", _status(mr))
    ev = mr.evaluation
    if ev is not None:
        closure = ev.closure
        on_time = mr.metrics.get("on_time_pct")
        t.add_row(f"transport + draw + lift cost ({mr.currency})", f"{ev.cost:,.2f}")
        t.add_row("on time (% of tons)", "-" if on_time is None else f"{on_time:.1f}")
        late = closure[closure.late > 0]
        t.add_row("late (tons; priority x ton-days)",
                  f"{float((late.late * late.tons / late.quantity).sum()):,.1f}; "
                  f"{ev.late_ton_days:,.1f}")
        t.add_row("short (tons)", f"{ev.short_tons:,.1f}")
        t.add_row("requirements on time / late / short",
                  " / ".join(str(int((closure.status == k).sum()))
                             for k in ("on time", "late", "short")))
    t.add_row("build / solve seconds", f"{mr.build_seconds:.2f} / {mr.solve_seconds:.2f}")
    con.print(t)
    for note in mr.notes:
        con.print(note, highlight=False)
    bn = mr.tables["bottlenecks"]
    if len(bn):
        b = Table(title="Top bottlenecks (capacity fully used)")
        for col in ("resource", "kind", "days at capacity", "capacity",
                    "value of one more unit"):
            b.add_column(col)
        for r in bn.head(top).itertuples(index=False):
            b.add_row(str(r.resource), str(r.kind), str(r.days_at_capacity), f"{r.capacity:g}",
                      f"{r.shadow_price:.6g}")
        con.print(b)

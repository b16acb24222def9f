"""Explanations on the console: conflicting rules, why each shortfall, and what one more
unit of each binding rule is worth (``procure explain``, ``procure solve``)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from procure.explain.conflicts import Explanation, relax_unit
from procure.explain.movements import MovementReason
from procure.report.console import num


def print_conflicts(title: str, explanations: Sequence[Explanation], con: Console) -> None:
    """One block per explanation: what it explains, then each rule of its conflict with
    by how much it alone would have to give way."""
    if not explanations:
        return
    con.print(title, highlight=False, style="bold")
    for e in explanations:
        found = e.found
        if found is None or not e.rules:
            con.print(f"  {escape(e.line())}", highlight=False, soft_wrap=True)
            continue
        how = found.method + ("" if found.irreducible else
                              ", search stopped at its time limit: may hold extra rules")
        con.print(f"  {escape(e.subject)}: these rules cannot all hold ({how}):",
                  highlight=False, soft_wrap=True)
        for rule, relax in zip(e.rules, e.relax_alone, strict=True):
            alone = ("" if relax is None else
                     f"  [dim](alone, it would have to give way by {num(relax, 3)} "
                     f"{escape(relax_unit(rule))})[/dim]")
            con.print(f"   - {escape(rule.text)}{alone}", highlight=False, soft_wrap=True)


def print_marginal(table: pd.DataFrame, currency: str, con: Console, top: int = 10) -> None:
    """The ``top`` most valuable binding rules (``marginal_values`` table)."""
    if table.empty:
        con.print("binding rules: none (no rule's limit changes the plan's cost or "
                  "shortfall at the margin)", highlight=False)
        return
    shown = f"top {top} of {len(table)}" if len(table) > top else f"all {len(table)}"
    t = Table(title=f"Binding rules: what one more unit of each limit is worth ({shown}; "
                    "marginal_values.csv has all)", title_justify="left")
    for col, justify in (("rule", "left"), ("year", "right"), ("saving", "right"),
                         ("holds for", "right"), ("penalty", "right")):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in table.head(top).to_dict("records"):
        year = "" if pd.isna(r["year"]) else str(int(r["year"]))
        t.add_row(escape(str(r["rule"])), year,
                  f"{num(float(r['saving_per_unit']), 2)} {escape(currency)}/unit",
                  f"{num(float(r['limit_low']), 2)} to {num(float(r['limit_high']), 2)}",
                  num(float(r["penalty_per_unit"]), 2))
    con.print(t)
    con.print("saving: what the alliance saves per unit the limit is loosened, delivering "
              "as much; penalty: the fall of the shortfall penalty (not money) per unit, "
              "whatever the extra units cost within the budgets; over 'holds for' (in the "
              "rule's unit)",
              highlight=False, soft_wrap=True, style="dim")


def print_movement_reasons(reasons: Sequence[MovementReason], con: Console) -> None:
    """Why each short movement is short: the rules to relax together."""
    if not reasons:
        return
    con.print("Why short (movements: the rules whose relaxation together delivers each in "
              "full)", highlight=False, style="bold")
    for r in reasons:
        head = f"  {escape(r.movement)} ({escape(r.member)}, {num(r.short, 2)} " \
               f"{escape(r.item)} short)"
        if not r.rules:
            con.print(f"{head}: {escape(r.note)}", highlight=False, soft_wrap=True)
            continue
        proof = "" if r.irreducible else " [dim](a test solve stopped at its limit: may " \
                                         "hold extra rules)[/dim]"
        con.print(f"{head}:{proof}", highlight=False, soft_wrap=True)
        for c in r.rules:
            con.print(f"   - {escape(c.text)}", highlight=False, soft_wrap=True)

"""A cooperative game's allocations on the console: players as rows, rules as columns,
then the core's verdicts in words (``procure game``)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from procure.sharing.analysis import GameAnalysis, not_rational
from procure.sharing.game import label
from procure.sharing.view import AllianceShares


def _num(x: float) -> str:
    """A share for reading: thousands separated, at most 4 decimals, no ``-0``."""
    text = f"{float(x) + 0.0:,.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def print_game(a: GameAnalysis, con: Console, source: str = "") -> None:
    """The table of shares and the core lines of ``a``."""
    game = a.game
    cost = game.kind == "cost"
    v = "c" if cost else "v"
    head = (f"{escape(source)}: " if source else "") + (
        f"{game.kind} game, {len(game.players)} players, {v}(N) = {_num(a.value_n)}")
    con.print(head, highlight=False, soft_wrap=True)
    # a game without imputations has no nucleolus: its prenucleolus is shown (and the
    # analysis logged a warning saying so)
    nucleolus = "nucleolus" if a.nucleolus.domain == "imputation" else "prenucleolus"
    rules = {"Shapley": a.shapley, nucleolus: a.nucleolus.allocation,
             "least core": a.least_core.allocation, "SCRB": a.scrb,
             "equal split": a.equal_split}
    table = Table(title="what each player pays" if cost else "what each player receives",
                  title_justify="left")
    table.add_column("player")
    table.add_column("alone", justify="right")
    for name in rules:
        table.add_column(name, justify="right")
    for i, player in enumerate(game.players):
        table.add_row(escape(player), _num(a.standalone[i]),
                      *(_num(x[i]) for x in rules.values()))
    con.print(table)
    eps = a.least_core.epsilon
    if a.core_nonempty:
        margin = (f": every coalition can be kept {_num(-eps)} better off than alone"
                  if eps < 0 else "")
        core = f"core: non-empty (least-core epsilon = {_num(eps)}{margin})"
    else:
        core = (f"core: empty (least-core epsilon = {_num(eps)}: whatever the split, some "
                f"coalition {'saves' if cost else 'gains'} at least {_num(eps)} by leaving)")
    con.print(core, highlight=False, soft_wrap=True)
    check = a.shapley_check
    if check.in_core:
        line = "Shapley value: in the core"
    else:
        who = escape(label(check.coalition, game.players))
        line = (f"Shapley value: not in the core: {who} would "
                f"{'save' if cost else 'gain'} {_num(check.excess)} by leaving")
    con.print(line, highlight=False, soft_wrap=True)
    for name, alloc in rules.items():
        worse = not_rational(game, alloc)
        if worse:
            what = "pay more than alone" if cost else "receive less than alone"
            con.print(f"{name}: {', '.join(escape(p) for p in worse)} {what}",
                      highlight=False, soft_wrap=True)


def print_shares(view: AllianceShares, con: Console, currency: str) -> None:
    """The per-nation view of an alliance (``procure share``): a row per member, the
    rules side by side; the chosen rule's savings, verdicts and blocking coalitions; the
    burden-sharing table; the years a member would pay over its budget; the notes."""
    cur = escape(currency)
    t = Table(title=f"What each member pays ({cur})")
    cols = (("member", "member"), ("alone", "cost_alone"), ("marginal", "marginal_cost"),
            ("Shapley", "shapley"), ("nucleolus", "nucleolus"), ("least core", "least_core"),
            ("SCRB", "scrb"), ("GDP key", "gdp_key"), ("units key", "units_key"),
            ("equal", "equal"))
    for head, _ in cols:
        t.add_column(head, justify="left" if head == "member" else "right")
    for r in view.table.to_dict("records"):
        t.add_row(escape(str(r["member"])), *(_cell(r[key]) for _, key in cols[1:]))
    con.print(t)
    con.print(f"c(N) = {_num(view.grand_cost)} {cur}", highlight=False)
    rule = escape(view.rule)
    d = Table(title=f"Under the {rule} rule ({cur})")
    for head in ("member", "allocated", "saves", "better off", "most blocking coalition",
                 "it would save"):
        d.add_column(head, justify="left" if head in ("member", "most blocking coalition")
                     else "right")
    for r in view.table.to_dict("records"):
        d.add_row(escape(str(r["member"])), _cell(r["allocated"]), _cell(r["saving"]),
                  str(r["rational"]), escape(str(r["blocking_coalition"]) or "-"),
                  _cell(r["blocking_saving"]) if r["blocking_coalition"] else "-")
    con.print(d)
    b = Table(title=f"Burden sharing ({rule} rule)")
    for head in ("member", "% of GDP", "% of cost", "defence % GDP", "2 %", "free-rider index"):
        b.add_column(head, justify="left" if head == "member" else "right")
    for r in view.table.to_dict("records"):
        def pct(x: float) -> str:
            return "-" if x != x else f"{x:.1f}"
        meets = r["meets_2pct"]
        b.add_row(escape(str(r["member"])), pct(float(r["gdp_share"])),
                  pct(float(r["cost_share"])), pct(float(r["defence_pct_gdp"])),
                  "-" if meets is None else ("yes" if meets else "no"),
                  "-" if r["free_rider_index"] != r["free_rider_index"]
                  else f"{float(r['free_rider_index']):.2f}")
    con.print(b)
    eps = view.epsilon
    gap = f" to {_num(eps + view.uncertainty)}" if view.uncertainty > 0 else ""
    con.print(f"core non-empty: {view.core_nonempty} (least-core epsilon {_num(eps)}{gap})",
              highlight=False, soft_wrap=True)
    if view.in_core == "no":
        con.print(f"{rule} allocation: not in the core; {escape('+'.join(view.blocking))} "
                  f"would save {_num(view.blocking_saving)} by leaving", highlight=False,
                  soft_wrap=True)
    else:
        con.print(f"{rule} allocation in the core: {view.in_core}", highlight=False)
    over = view.schedule[view.schedule.over_budget == "yes"]
    for r in over.to_dict("records"):
        con.print(f"{escape(str(r['member']))} {r['year']}: would pay {_num(r['payment'])} "
                  f"{cur} under the {rule} rule, over its budget of {_num(r['budget'])}",
                  highlight=False, soft_wrap=True)
    if over.empty and view.schedule.budget.notna().any():
        con.print(f"payment schedule: no member pays over its budget in any year under the "
                  f"{rule} rule", highlight=False)
    for note in view.notes:
        con.print(f"note: {escape(note)}", highlight=False, soft_wrap=True)


def _cell(x: object) -> str:
    v = float(x)  # type: ignore[arg-type]
    return "-" if v != v else _num(v)

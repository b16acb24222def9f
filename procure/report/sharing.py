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
    rules side by side, then the core's verdicts and the notes."""
    t = Table(title=f"What each member pays ({escape(currency)})")
    cols = (("member", "member"), ("alone", "cost_alone"), ("marginal", "marginal_cost"),
            ("Shapley", "shapley"), ("nucleolus", "nucleolus"), ("least core", "least_core"),
            ("SCRB", "scrb"), ("GDP key", "gdp_key"), ("equal", "equal"),
            ("saves (Shapley)", "saving_shapley"))
    for head, _ in cols:
        t.add_column(head, justify="left" if head == "member" else "right")
    for r in view.table.to_dict("records"):
        cells = [escape(str(r["member"]))]
        for _, key in cols[1:]:
            x = float(r[key])
            cells.append("-" if x != x else _num(x))
        t.add_row(*cells)
    con.print(t)
    con.print(f"c(N) = {_num(view.grand_cost)} {escape(currency)}", highlight=False)
    b = Table(title="Burden sharing (Shapley value)")
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
    if view.analysis is not None:
        a = view.analysis
        eps = a.least_core.epsilon
        con.print(f"core: {'non-empty' if a.core_nonempty else 'empty'} (least-core "
                  f"epsilon = {_num(eps)})", highlight=False, soft_wrap=True)
        chk = a.shapley_check
        if chk.in_core:
            con.print("Shapley value: in the core", highlight=False)
        else:
            con.print(f"Shapley value: not in the core; {escape(', '.join(chk.blocking))} "
                      f"would save {_num(chk.excess)} by leaving", highlight=False,
                      soft_wrap=True)
    if view.unproven:
        con.print(f"Shapley value in the core (every coalition's own plan): "
                  f"{view.shapley_in_core}", highlight=False)
    for r in view.table.to_dict("records"):
        if r["rational_shapley"] != "yes":
            what = ("pays more under the Shapley value than alone" if r["rational_shapley"]
                    == "no" else "may pay more under the Shapley value than alone (undecided "
                    "within the gap of a solve stopped at a limit)")
            con.print(f"{escape(str(r['member']))} {what}", highlight=False, soft_wrap=True)
    for note in view.notes:
        con.print(f"note: {escape(note)}", highlight=False, soft_wrap=True)

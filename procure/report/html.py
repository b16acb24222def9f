"""A result folder as one self-contained HTML page a planner can take to a meeting
(``procure report RESULT_DIR -o report.html [--pdf report.pdf]``, and ``procure solve
FILE --out DIR --report``, which writes ``report.html`` into the result folder).

The page works offline: its figures are SVG documents embedded as ``data:`` URLs
(:mod:`procure.report.figures`), its style is inline, it names no font, script or
address outside itself, and its Content-Security-Policy forbids the browser to fetch
anything but ``data:`` images. Every string from the folder is escaped
(:func:`html.escape`).

What it shows, from the folder's files alone (:mod:`procure.report.read`):

- the status of every solve; a solve that did not finish is said so first, and no
  figure derived from it is shown as a finding (as on the console);
- the headline figures with their units; savings by member (a waterfall); cost share
  against GDP share and defence spending against the 2 % benchmark; allocations under
  each burden-sharing rule (``shares``); duplication per capability; budget use per
  member and year; launches and their participants; shortfalls;
- movements: closure curves by theatre, the flows on a map (offline base map,
  :mod:`procure.report.basemap`), lift and base utilisation, bottlenecks;
- a sweep: every case against the base case;
- "Explanations": the tables ``conflicts``, ``shortfall_reasons``, ``marginal_values``,
  ``constraint_prices``, ``why_not``, whichever the folder holds;
- every table shown has each column's unit (from ``columns.csv``) under its name.

A figure whose data is absent is left out. The same folder gives the same page, byte
for byte (no timestamps, no timings).

:func:`write_report` writes the page (and with ``pdf`` prints it through headless
Chromium) atomically: temporary files beside the targets, renamed into place only when
everything succeeded.
"""

from __future__ import annotations

import base64
import contextlib
import html
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from procure.errors import ProcureError
from procure.report import figures
from procure.report.folder import MANIFEST
from procure.report.read import ReportError, ResultFolder, load_folder
from procure.run.tables import CURRENCY, Column

__all__ = ["EXPLANATIONS", "REPORT_FILE", "PrintError", "ReportError", "find_chromium",
           "render_report", "report_into", "write_report"]

REPORT_FILE = "report.html"
"""The report's name inside a result folder (``procure solve --out DIR --report``)."""
EXPLANATIONS = ("conflicts", "shortfall_reasons", "marginal_values", "constraint_prices",
                "why_not")
"""Tables of the "Explanations" section, in the order shown."""
MAX_ROWS = 60
"""Most rows of one table on the page; every row is in the folder's CSV."""
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
                  "chrome")
CHROMIUM_ENV = "PROCURE_CHROMIUM"
"""Environment variable naming the Chromium (or Chrome) executable for ``--pdf``."""
PRINT_TIMEOUT_S = 180.0
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_YEARISH = ("fiscal year", "year", "day (offset from day 0)", "days", "1-10")
_RUN_LABELS = (("procurement", "joint", "joint plan"),
               ("procurement", "like_for_like", "joint plan, like for like"),
               ("procurement", "alone", "going alone"),
               ("logistics", None, "movements"))


class PrintError(ProcureError):
    """Chromium was found but could not print the page (exit 1: nothing was written)."""


# -- formatting --------------------------------------------------------------------------

def esc(x: object) -> str:
    """Text for the page, escaped."""
    return html.escape(str(x), quote=True)


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float | np.floating) and math.isnan(float(v))


def fmt(v: Any, unit: str = "") -> str:
    """A value for reading: thousands separated, at most 2 decimals (3 significant
    figures for small magnitudes), years and days as they are, "-" for none."""
    if _missing(v):
        return "-"
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return str(int(v)) if unit in _YEARISH else f"{int(v):,}"
    if isinstance(v, float | np.floating):
        x = float(v)
        if math.isinf(x):
            return "unlimited" if x > 0 else "-unlimited"
        if unit in _YEARISH and x.is_integer():
            return str(int(x))
        if x != 0 and abs(x) < 0.01:
            return f"{x:.3g}"
        text = f"{x:,.2f}" if abs(x) < 100 else f"{x:,.1f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
        return "0" if text == "-0" else text
    if isinstance(v, list | tuple):
        return ", ".join(str(i) for i in v) if v else "-"
    if isinstance(v, dict):
        return "; ".join(f"{k} {fmt(x)}" for k, x in v.items()) if v else "-"
    return str(v)


def _pct(x: Any) -> str:
    return "-" if _missing(x) else f"{100 * float(x):.3g} %"


# -- page parts --------------------------------------------------------------------------

@dataclass
class Section:
    """One section of the page: an anchor, a title and its HTML parts."""

    anchor: str
    title: str
    parts: list[str] = field(default_factory=list)

    def add(self, *parts: str | None) -> None:
        self.parts += [p for p in parts if p]


def notice(text: str, level: str = "warn") -> str:
    """A boxed paragraph (``warn``: something the reader must know first; ``info``)."""
    return f'<p class="notice {esc(level)}">{text}</p>'


def para(text: str) -> str:
    return f"<p>{text}</p>"


def figure(svg: str | None, alt: str, caption: str = "") -> str | None:
    """An SVG figure as an ``<img>`` with a ``data:`` URL (None: no figure)."""
    if svg is None:
        return None
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return (f'<figure><img src="data:image/svg+xml;base64,{data}" alt="{esc(alt)}">'
            f"{cap}</figure>")


def table(df: pd.DataFrame, units: Mapping[str, str], *, meanings: Mapping[str, str]
          | None = None, source: str = "", caption: str = "",
          max_rows: int = MAX_ROWS) -> str:
    """``df`` as an HTML table, each column's unit under its name (its meaning as the
    header's tooltip); at most ``max_rows`` rows, with a line saying where the rest are."""
    meanings = meanings or {}
    head = []
    for col in df.columns:
        unit = units.get(str(col), "")
        u = f'<br><span class="unit">({esc(unit)})</span>' if unit not in ("", "-") else ""
        tip = meanings.get(str(col), "")
        title = f' title="{esc(tip)}"' if tip else ""
        head.append(f"<th{title}>{esc(col)}{u}</th>")
    body = []
    for row in df.head(max_rows).itertuples(index=False, name=None):
        cells = []
        for col, v in zip(df.columns, row, strict=True):
            num = isinstance(v, int | float | np.integer | np.floating) and not isinstance(
                v, bool | np.bool_)
            cls = ' class="num"' if num else ""
            cells.append(f"<td{cls}>{esc(fmt(v, units.get(str(col), '')))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{caption}</caption>" if caption else ""
    more = ""
    if len(df) > max_rows:
        where = f" in {esc(source)}.csv" if source else ""
        more = (f'<p class="more">The first {max_rows} of {len(df):,} rows; all of them'
                f"{where}.</p>")
    return (f'<div class="table"><table>{cap}<thead><tr>{"".join(head)}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>{more}')


def folder_table(folder: ResultFolder, name: str, df: pd.DataFrame | None = None, *,
                 caption: str = "", max_rows: int = MAX_ROWS) -> str | None:
    """Table ``name`` of the folder (or ``df``, a selection of it) with its units."""
    frame = folder.table(name) if df is None else df
    if frame is None:
        return None
    return table(frame, folder.units.get(name, {}), meanings=folder.meanings.get(name, {}),
                 source=name, caption=caption, max_rows=max_rows)


def _fields(values: Mapping[str, Any], columns: Iterable[Column], currency: str,
            skip: Iterable[str] = (), shown: Callable[[str, Any], str] | None = None) -> str:
    """A two-column table of named figures: name, value, unit, meaning."""
    rows = []
    skipped = set(skip)
    for c in columns:
        if c.name in skipped or c.name not in values:
            continue
        unit = c.unit.replace(CURRENCY, currency)
        value = values[c.name]
        text = shown(c.name, value) if shown is not None else fmt(value, unit)
        rows.append(f'<tr><th title="{esc(c.meaning)}">{esc(c.name)}</th>'
                    f'<td class="num">{esc(text)}</td>'
                    f'<td class="unit">{esc("" if unit == "-" else unit)}</td>'
                    f"<td>{esc(c.meaning)}</td></tr>")
    return ('<div class="table"><table class="fields"><thead><tr><th>figure</th><th>value'
            "</th><th>unit</th><th>meaning</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table></div>")


# -- runs and their status ---------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """One solve of the folder, as its summary tells it."""

    label: str
    summary: Mapping[str, Any]

    @property
    def status(self) -> str:
        return str(self.summary.get("status", "unknown"))

    @property
    def finished(self) -> bool:
        return self.status == "optimal" and self.summary.get("feasible_by_evaluator") \
            is not False

    def cost(self) -> Any:
        m = self.summary.get("metrics") or {}
        return m.get("total_cost", m.get("cost"))

    def stopped(self) -> str:
        """Why it stopped, in words, for a run that did not finish."""
        s = self.summary
        text = f"{self.status}"
        if s.get("stopped_by"):
            text += f", stopped by its {s['stopped_by']} limit"
        if s.get("gap") is not None:
            text += f", gap {_pct(s['gap'])}"
        if s.get("bound") is not None:
            text += f", bound {fmt(s['bound'])}"
        return text


def runs(summary: Mapping[str, Any]) -> list[Run]:
    """The runs of a result folder's summary, in reading order."""
    out = []
    for model, variant, label in _RUN_LABELS:
        block = summary.get(model)
        if not isinstance(block, Mapping):
            continue
        run = block.get(variant) if variant is not None else block
        if isinstance(run, Mapping) and "status" in run:
            out.append(Run(label, run))
    return out


def _status_section(folder: ResultFolder, all_runs: Sequence[Run]) -> Section:
    sec = Section("status", "Status")
    cur = folder.currency
    for note in folder.notes:
        sec.add(notice(esc(note)))
    unfinished = [r for r in all_runs if not r.finished]
    for r in unfinished:
        sec.add(notice(
            f"The <b>{esc(r.label)}</b> solve did not finish: {esc(r.stopped())}. Its "
            "figures below describe the best plan it found, not a proven optimum: they "
            "are not findings."))
        bad = r.summary.get("violations") or []
        if r.summary.get("feasible_by_evaluator") is False:
            sec.add(notice(f"The independent evaluator found {len(bad)} broken rule(s) in "
                           f"the {esc(r.label)} plan: "
                           + esc("; ".join(str(v) for v in bad[:5]))))
    cmp = _comparison(folder)
    if cmp is not None and cmp.get("findings_ready") is False:
        lines = "".join(f"<li>{esc(u)}</li>" for u in cmp.get("unfinished") or [])
        sec.add(notice("No savings are shown: a run they depend on did not finish."
                       + (f"<ul>{lines}</ul>" if lines else "")))
    sharing = _sharing(folder)
    if not all_runs and sharing is not None:  # procure share --out: the cost game only
        unproven = sharing.get("unproven") or []
        sec.add(para(f"Burden sharing under the {esc(sharing.get('rule', '?'))} rule, from "
                     f"{esc(fmt(sharing.get('coalitions_solved')))} coalition solve(s)."))
        if unproven:
            sec.add(notice(
                f"{len(unproven)} coalition solve(s) stopped before proving optimality ("
                + esc(", ".join(str(c) for c in unproven[:10]))
                + f"): values may be off by up to {esc(fmt(sharing.get('uncertainty')))} "
                f"{esc(cur)}, and a verdict they leave open is 'undecided'."))
        else:
            sec.add(para("Every coalition solve was proven optimal."))
    elif not all_runs:
        sec.add(para("The folder's summary names no solve."))
    if all_runs:
        rows = []
        for r in all_runs:
            s = r.summary
            solver = " ".join(str(x) for x in (s.get("solver"), s.get("solver_version"))
                              if x)
            ev = s.get("feasible_by_evaluator")
            rows.append([r.label, r.status, s.get("stopped_by") or "-", r.cost(),
                         s.get("bound"), None if s.get("gap") is None
                         else 100 * float(s["gap"]),
                         "-" if ev is None else ("all rules hold" if ev else "rules broken"),
                         solver or "-"])
        df = pd.DataFrame(rows, columns=["run", "status", "stopped by", "cost", "bound",
                                         "gap", "evaluator", "solver"])
        sec.add(table(df, {"cost": cur, "bound": "model units (cost plus penalties)",
                           "gap": "%"}, meanings={
            "status": "optimal: proven within the requested gap; feasible: a limit was "
                      "reached with a plan; limit: no plan before the limit",
            "cost": "the plan's cost as the evaluator recomputes it",
            "bound": "best proven lower bound on the objective",
            "gap": "relative gap between the plan's objective and the bound"}))
        if not unfinished:
            sec.add(para("Every solve was proven optimal and every plan passed the "
                         "independent evaluator."))
        notes = [f"{r.label}: {n}" for r in all_runs for n in r.summary.get("notes") or []]
        if notes:
            sec.add("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    return sec


def _unfinished(all_runs: Sequence[Run], *labels: str) -> str | None:
    """A notice for the top of a section drawn from the plans of ``labels`` when one of
    those solves did not finish (None when all of them did, or none is in the folder):
    its figures describe the best plan found so far, not a finding."""
    late = [r for r in all_runs if r.label in labels and not r.finished]
    if not late:
        return None
    what = "; ".join(f"the {esc(r.label)} solve did not finish ({esc(r.stopped())})"
                     for r in late)
    return notice(f"Not a finding: {what}. What this section shows is the best plan found "
                  "before the solve stopped, not a proven optimum.")


def _comparison(folder: ResultFolder) -> Mapping[str, Any] | None:
    proc = folder.summary.get("procurement")
    if isinstance(proc, Mapping) and isinstance(proc.get("comparison"), Mapping):
        cmp: Mapping[str, Any] = proc["comparison"]
        return cmp
    return None


def _sharing(folder: ResultFolder) -> Mapping[str, Any] | None:
    s = folder.summary
    if isinstance(s.get("sharing"), Mapping):
        block: Mapping[str, Any] = s["sharing"]
        return block
    return s if "grand_cost" in s and "rule" in s else None


# -- procurement sections ----------------------------------------------------------------

def _headline_section(folder: ResultFolder, cmp: Mapping[str, Any]) -> Section:
    from procure.procurement.study import HEADLINE

    sec = Section("headline", "Headline figures")
    cur = folder.currency
    ready = cmp.get("findings_ready") is True
    derived = {"savings", "savings_pct", "extra_units_met_jointly", "cost_of_extra_units"}

    def shown(name: str, value: Any) -> str:
        if name in derived and not ready:
            return "not shown: a run did not finish"
        unit = next(c.unit for c in HEADLINE if c.name == name).replace(CURRENCY, cur)
        return fmt(value, unit)

    if ready and cmp.get("savings") is not None:
        pct = cmp.get("savings_pct")
        sec.add(para(f"Savings against going alone, like for like: <b>{esc(fmt(cmp['savings']))}"
                     f" {esc(cur)}</b>" + ("" if pct is None else f" ({esc(fmt(pct))} %)")
                     + "."))
    sec.add(_fields(cmp, HEADLINE, cur, skip=("joint_status", "alone_status",
                                              "like_for_like_status", "findings_ready",
                                              "unfinished"), shown=shown))
    return sec


def _savings_section(folder: ResultFolder, cmp: Mapping[str, Any] | None) -> Section | None:
    mc = folder.table("member_costs")
    if mc is None:
        if cmp is not None and cmp.get("findings_ready") is False:
            sec = Section("savings", "Savings by member")
            sec.add(para("Not shown: a run the savings depend on did not finish."))
            return sec
        return None
    sec = Section("savings", "Savings by member")
    if cmp is not None and cmp.get("findings_ready") is False:
        sec.add(notice("No saving is shown: a run the savings depend on did not finish "
                       "(see Status). The costs in the table are those of the best plans "
                       "found, not findings."))
    cur = folder.currency
    sec.add(figure(figures.savings_waterfall(mc, cur), "Savings by member (waterfall)",
                   "From what the members pay going alone to what they pay in the joint "
                   "plan that delivers the same units, one step per member (green: its "
                   f"saving; red: it pays more jointly), in {esc(cur)}."))
    sec.add(folder_table(folder, "member_costs"))
    return sec


def _burden_section(folder: ResultFolder, all_runs: Sequence[Run]) -> Section | None:
    shares = folder.table("shares")
    members = folder.table("members")
    sec = Section("burden", "Burden sharing")
    cur = folder.currency
    if shares is not None:
        rule = str(shares["rule"].iloc[0]) if "rule" in shares else "chosen"
        sec.add(figure(figures.cost_vs_gdp(shares[["member", "gdp_share", "cost_share"]],
                                           f"the {rule} rule"),
                       "Cost share against GDP share",
                       f"Each member's share of the alliance's cost under the {esc(rule)} "
                       "rule against its share of the alliance's GDP; above the dashed "
                       "line a member pays more than its GDP share."))
    elif members is not None:
        pay = folder.table("payments")
        joint = next((r for r in all_runs if r.label == "joint plan"), None)
        sec.add(_unfinished(all_runs, "joint plan"))
        if pay is not None and float(pay.total.sum()) > 0:
            paid = pay.groupby("member", sort=False).total.sum()
            share = members.assign(
                cost_share=[100.0 * float(paid.get(m, 0.0)) / float(pay.total.sum())
                            for m in members.member])
            caveat = ("" if joint is None or joint.finished else
                      " The joint solve did not finish: this is its best plan so far.")
            sec.add(figure(figures.cost_vs_gdp(share, "joint plan's payments"),
                           "Cost share against GDP share",
                           "Each member's share of what the joint plan costs (its units and "
                           "its NRC shares, by each program's cost-share rule) against its "
                           "share of the alliance's GDP; above the dashed line a member pays "
                           "more than its GDP share." + esc(caveat)))
    source = shares if shares is not None else members
    sec.add(figure(figures.defence_spending(source), "Defence spending against 2 %",
                   "Each member's defence spending as a share of its GDP (the scenario's "
                   "figure), against NATO's 2 % guideline."))
    if shares is not None:
        sec.add(figure(figures.allocations_by_rule(shares, cur),
                       "Allocations under each burden-sharing rule",
                       f"What each member pays alone and under each rule, in {esc(cur)}."))
        sharing = _sharing(folder)
        if sharing is not None:
            from procure.sharing.view import SUMMARY

            sec.add("<h3>The cost game's verdicts</h3>",
                    _fields(sharing, SUMMARY, cur))
        sec.add("<h3>Shares per member</h3>", folder_table(folder, "shares"))
        sched = folder.table("payment_schedule")
        if sched is not None:
            over = sched[sched.over_budget.astype(str) == "yes"] \
                if "over_budget" in sched else sched.iloc[0:0]
            sec.add("<h3>Payment schedule under the rule</h3>",
                    para(f"{len(over)} member-year(s) over budget under the rule."
                         if len(over) else "No member pays over its budget in any year "
                         "under the rule." if sched.budget.notna().any() else
                         "No member has a budget."),
                    folder_table(folder, "payment_schedule",
                                 over if len(over) else None))
    elif members is not None:
        sec.add(folder_table(folder, "members"))
    return sec if sec.parts else None


def _duplication_section(folder: ResultFolder, all_runs: Sequence[Run]) -> Section | None:
    dup = folder.table("duplication")
    if dup is None or not any(r.label == "going alone" for r in all_runs):
        return None  # no baseline (--no-baseline): nothing to compare the joint plan with
    sec = Section("duplication", "Duplication per capability")
    sec.add(_unfinished(all_runs, "joint plan", "going alone"))
    cur = folder.currency
    sec.add(figure(figures.duplication(dup, cur), "Duplication before and after",
                   "Launches supplying each capability, and the development cost paid "
                   "beyond the dearest launch (development paid more than once), going "
                   "alone against the joint plan."))
    sec.add(folder_table(folder, "duplication"))
    return sec


def _budget_section(folder: ResultFolder, all_runs: Sequence[Run]) -> Section | None:
    pay = folder.table("payments")
    if pay is None:
        return None
    sec = Section("budgets", "Budget use per member and year")
    sec.add(_unfinished(all_runs, "joint plan"))
    sec.add(figure(figures.budget_use(pay), "Budget use per member and year",
                   "What each member pays in each fiscal year in the joint plan, as a "
                   "share of its procurement budget that year (members without a budget "
                   "are left out)."))
    if "budget" in pay and pay.budget.notna().any():
        over = pay[pay.budget.notna() & (pay.total > pay.budget * (1 + 1e-9) + 1e-9)]
        sec.add(para("No member pays over its budget in any year." if over.empty else
                     f"{len(over)} member-year(s) over budget:"))
        if not over.empty:
            sec.add(folder_table(folder, "payments", over))
    else:
        sec.add(para("No member has a budget."))
    return sec


def _launches_section(folder: ResultFolder, all_runs: Sequence[Run]) -> Section | None:
    ln = folder.table("launches")
    if ln is None:
        return None
    sec = Section("launches", "Launches and their participants")
    sec.add(_unfinished(all_runs, "joint plan"))
    sec.add(figure(figures.launch_participants(ln), "Launches and their participants",
                   "Each program launched in the joint plan and the members taking part: "
                   "buying its units and paying a share of its development cost."))
    sec.add(folder_table(folder, "launches"))
    return sec


def _shortfall_section(folder: ResultFolder, all_runs: Sequence[Run]) -> Section | None:
    sbc = folder.table("shortfall_by_capability")
    sf = folder.table("shortfalls")
    if sbc is None and sf is None:
        return None
    sec = Section("shortfalls", "Shortfalls")
    sec.add(_unfinished(all_runs, "joint plan", "joint plan, like for like", "going alone"))
    if sbc is not None:
        cols = ["short_alone", "short_joint_like_for_like", "short_joint"]
        short = sbc[(sbc[cols].fillna(0) > 1e-6).any(axis=1)]
        if not short.empty:
            sec.add(para("Units missing per capability, each in the capability's own unit "
                         "(units of different capabilities are never added):"),
                    folder_table(folder, "shortfall_by_capability", short))
    if sf is not None:
        rows = sf[sf.shortfall > 1e-6]
        sec.add(para("The joint plan meets every requirement in full." if rows.empty else
                     f"{len(rows)} requirement(s) of the joint plan are short:"))
        if not rows.empty:
            sec.add(folder_table(folder, "shortfalls", rows))
    return sec


# -- movement sections -------------------------------------------------------------------

def _movement_sections(folder: ResultFolder, run: Run | None) -> list[Section]:
    from procure.logistics.result import METRIC_UNITS

    closure = folder.table("movement_closure")
    if run is None and closure is None:
        return []
    cur = folder.currency
    caveat = "" if run is None or run.finished else (
        f" The movement solve did not finish ({esc(run.stopped())}): this is its best "
        "plan so far, not a proven optimum.")
    out = []
    sec = Section("movements", "Movements")
    sec.add(_unfinished([] if run is None else [run], "movements"))
    if run is not None:
        metrics = run.summary.get("metrics") or {}
        cols = [Column(k, u, k.replace("_", " ")) for k, u in METRIC_UNITS.items()]
        sec.add(_fields(metrics, cols, cur))
    if closure is not None:
        counts = closure.status.astype(str).value_counts()
        sec.add(para("Requirements on time / late / short: " + " / ".join(
            str(int(counts.get(k, 0))) for k in ("on time", "late", "short")) + "."
            + caveat))
        horizon = None
        util = folder.table("movement_utilisation")
        if util is not None:
            horizon = int(util.day.max()) + 1
        sec.add(figure(figures.closure_curves(closure, folder.table("movement_deliveries"),
                                              horizon),
                       "Closure curves by theatre",
                       "Tons delivered to each theatre by each day, against the tons due "
                       "there by then (each requirement counted at its latest arrival day, "
                       "LAD)." + caveat))
        sec.add(folder_table(folder, "movement_closure"))
    out.append(sec)
    locs = folder.table("movement_locations")
    moves = folder.table("movement_moves")
    svg = figures.movement_map(locs, moves)
    if svg is not None:
        m = Section("map", "Movement map")
        m.add(figure(svg, "Movement flows on a map",
                     "Every location of the network by kind, and each link the plan uses as "
                     "an arrow from origin to destination, its width growing with the tons "
                     "carried over the whole plan, its colour the mode. Base map: Natural "
                     "Earth 1:110m countries (public domain), bundled." + caveat))
        out.append(m)
    util = folder.table("movement_utilisation")
    if util is not None:
        u = Section("utilisation", "Lift and base utilisation")
        u.add(figure(figures.utilisation_heatmap(util, ["fleet"], "Lift: fleets in use",
                                                 "lift fleet"),
                     "Lift utilisation", "Vehicles of each fleet in use on each day, as a "
                     "share of the fleet." + caveat))
        u.add(figure(figures.utilisation_heatmap(
            util, ["throughput", "storage", "MOG landings", "MOG departures"],
            "Bases: throughput, storage and MOG in use", "location (capacity)"),
            "Base utilisation", "Each base's throughput (t/day), storage (t) and maximum "
            "on ground (aircraft/day) used on each day, as a share of its capacity."
            + caveat))
        bn = folder.table("movement_bottlenecks")
        if bn is not None:
            u.add("<h3>Bottlenecks</h3>", folder_table(folder, "movement_bottlenecks"))
        if u.parts:
            out.append(u)
    return out


# -- explanations, sweeps, the table list ------------------------------------------------

def _explanations_section(folder: ResultFolder) -> Section | None:
    names = [n for n in EXPLANATIONS if folder.table(n) is not None]
    names += [t for n in EXPLANATIONS for t in sorted(folder.tables)
              if t.endswith(f"_{n}") and folder.table(t) is not None and t not in names]
    if not names:
        return None
    sec = Section("explanations", "Explanations")
    for name in names:
        sec.add(f"<h3>{esc(name.replace('_', ' '))}</h3>", folder_table(folder, name))
    return sec


def _sweep_sections(folder: ResultFolder) -> list[Section]:
    cases = folder.table("cases")
    changes = folder.table("member_changes")
    cur = folder.currency
    sec = Section("cases", "Cases")
    if cases is None:
        sec.add(para("The sweep holds no case."))
        return [sec]
    counts = cases.outcome.astype(str).value_counts()
    sec.add(para(f"{len(cases)} case(s): " + ", ".join(
        f"{int(counts[k])} {esc(k)}" for k in ("solved", "failed", "invalid", "missing")
        if k in counts) + "."))
    sec.add(notice("A change or saving is shown only where every solve it depends on was "
                   "proven optimal; other cases are left out of the figures (their row "
                   "says why).", "info"))
    bad = cases[cases.outcome.astype(str).isin(["failed", "invalid", "missing"])]
    if not bad.empty:
        sec.add(notice("Cases without a result: " + "; ".join(
            f"case {esc(c)} ({esc(n)}): {esc(o)}: {esc(r)}" for c, n, o, r in
            zip(bad.case, bad.name, bad.outcome, bad.reason, strict=True))))
    unproven = cases[(cases.outcome.astype(str) == "solved")
                     & (cases.joint_status.astype(str) != "optimal")] \
        if "joint_status" in cases else cases.iloc[0:0]
    if not unproven.empty:
        sec.add(notice(f"{len(unproven)} case(s) stopped before proving optimality: "
                       + ", ".join(esc(c) for c in unproven.case)
                       + ". Their figures are not findings."))
    sec.add(figure(figures.sweep_changes(cases, cur), "Cases against the base case",
                   f"Each case's joint cost change against the base case and its savings "
                   f"against going alone, in {esc(cur)}."))
    sec.add(figure(figures.sweep_movements(cases), "Movements on time per case",
                   "Tons delivered on time in each case with movements."))
    wanted = ["case", "name", "outcome", "joint_status", "joint_gap", "joint_cost",
              "joint_cost_change", "savings", "savings_pct", "savings_change",
              "joint_requirements_short", "launches_joint", "duplication_index_joint",
              "movement_status", "movement_cost", "movement_on_time_pct",
              "movement_short_tons"]
    cols = [c for c in wanted if c in cases and (cases[c].notna().any()
                                                 or c in ("case", "name", "outcome"))]
    sec.add("<h3>Every case</h3>", folder_table(folder, "cases", cases[cols]))
    out = [sec]
    if changes is not None:
        m = Section("member-changes", "Members across the cases")
        m.add(figure(figures.member_changes(changes, cases, cur),
                     "Each member's cost against the base case",
                     f"Each member's joint cost change against the base case, in {esc(cur)} "
                     "(red: it pays more)."))
        m.add(folder_table(folder, "member_changes"))
        out.append(m)
    return out


def _tables_section(folder: ResultFolder) -> Section:
    sec = Section("tables", "Tables in this folder")
    rows = []
    for name in sorted(folder.tables):
        units = folder.units.get(name, {})
        cols = ", ".join(f"{c} ({units[c]})" if units.get(c, "-") not in ("", "-") else
                         str(c) for c in folder.tables[name].columns)
        rows.append([name, len(folder.tables[name]), cols])
    sec.add(para("Every table of the folder with its columns and their units (the data "
                 "dictionary is columns.csv; the meanings are in docs/outputs.md)."),
            table(pd.DataFrame(rows, columns=["table", "rows", "columns (unit)"]), {},
                  max_rows=10_000))
    return sec


# -- the page ----------------------------------------------------------------------------

_CSS = """
:root { --ink: #1d2329; --muted: #5b6670; --line: #d9dee3; --warn: #fff4e0;
        --warn-line: #e0a030; --info: #eaf3fb; --info-line: #5b9bd5; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: var(--ink); margin: 0 auto; max-width: 1180px; padding: 24px;
       font-size: 14px; line-height: 1.45; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; padding-top: 8px; border-top: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.sub { color: var(--muted); margin: 0 0 12px; }
nav ol { columns: 3; margin: 8px 0 0; padding-left: 20px; }
.notice { padding: 8px 12px; border-left: 4px solid var(--warn-line); background: var(--warn);
          margin: 10px 0; }
.notice.info { border-color: var(--info-line); background: var(--info); }
.notice ul { margin: 4px 0 0; }
figure { margin: 12px 0 18px; break-inside: avoid; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 12.5px; margin-top: 4px; max-width: 900px; }
.table { overflow-x: auto; margin: 8px 0; }
table { border-collapse: collapse; font-size: 12px; }
caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left;
         vertical-align: top; }
thead th { background: #f3f5f7; font-weight: 600; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.unit { color: var(--muted); font-weight: normal; font-size: 11px; }
table.fields th { white-space: nowrap; font-weight: 600; }
.more { color: var(--muted); font-size: 12px; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
@page { size: A4; margin: 12mm; }
@media print { body { max-width: none; padding: 0; font-size: 11px; }
  .table { overflow: visible; } table { font-size: 8px; width: 100%; }
  th, td { padding: 1px 3px; } thead th { white-space: normal; } .unit { font-size: 7px; }
  nav { display: none; }
  h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""


def render_report(folder: ResultFolder) -> str:
    """The page of ``folder`` (module docstring), as HTML text."""
    sections: list[Section] = []
    if folder.kind == "sweep":
        title = f"{folder.name}: sweep report"
        sub = "What-if sweep: every case against the base case."
        sections += _sweep_sections(folder)
    else:
        title = f"{folder.name}: planning report"
        all_runs = runs(folder.summary)
        sub = _subtitle(folder, all_runs)
        sections.append(_status_section(folder, all_runs))
        cmp = _comparison(folder)
        if cmp is not None:
            sections.append(_headline_section(folder, cmp))
        procurement = [_savings_section(folder, cmp), _burden_section(folder, all_runs),
                       _duplication_section(folder, all_runs),
                       _budget_section(folder, all_runs),
                       _launches_section(folder, all_runs),
                       _shortfall_section(folder, all_runs)]
        sections += [s for s in procurement if s is not None]
        sections += _movement_sections(folder, next(
            (r for r in all_runs if r.label == "movements"), None))
        expl = _explanations_section(folder)
        if expl is not None:
            sections.append(expl)
    if folder.tables:
        sections.append(_tables_section(folder))
    nav = "".join(f'<li><a href="#{esc(s.anchor)}">{esc(s.title)}</a></li>'
                  for s in sections)
    body = "".join(f'<section id="{esc(s.anchor)}"><h2>{esc(s.title)}</h2>'
                   + "".join(s.parts) + "</section>" for s in sections)
    from procure.run.record import procure_version

    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{esc(title)}</h1><p class=\"sub\">{sub}</p>"
        f"<nav><ol>{nav}</ol></nav></header>"
        f"<main>{body}</main>"
        f"<footer>Made by procure {esc(procure_version())} from the files of a result "
        "folder; every figure is embedded and the page needs no network.</footer>"
        "</body></html>\n")


def _subtitle(folder: ResultFolder, all_runs: Sequence[Run]) -> str:
    parts = []
    kinds = [r.label for r in all_runs]
    if kinds:
        parts.append("Solves: " + ", ".join(kinds))
    if _sharing(folder) is not None:
        parts.append("burden sharing")
    h = next((r.summary.get("input_hash") for r in all_runs if r.summary.get("input_hash")),
             None)
    if h:
        parts.append(f"input {str(h)[:12]}")
    cur = folder.currency
    if cur:
        parts.append(f"money in {cur}")
    return esc(" · ".join(parts))


# -- writing -----------------------------------------------------------------------------

def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable to print with: ``$PROCURE_CHROMIUM`` when set,
    else the first of :data:`CHROMIUM_NAMES` on the PATH; None when there is none."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        found = shutil.which(named)
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _check_target(path: Path, force: bool, what: str) -> Path:
    target = path.expanduser().absolute()
    if target.is_dir():
        raise ReportError(f"{what}: {target} is a folder; give a file name")
    if target.exists() and not force:
        raise ReportError(f"{what}: {target} exists; use --force to replace it")
    if not target.parent.is_dir():
        raise ReportError(f"{what}: the folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK):
        raise ReportError(f"{what}: cannot write to {target.parent}")
    if (target.parent / MANIFEST).is_file():
        raise ReportError(f"{what}: {target.parent} is a procure result folder, which "
                          "would no longer match its manifest; write the report elsewhere "
                          "(procure solve --out DIR --report puts one inside)")
    return target


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _temp_beside(target: Path, suffix: str) -> Path:
    """An empty file next to ``target``, readable as a new file would be (``mkstemp``
    makes it private)."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    os.chmod(name, 0o666 & ~_umask())
    return Path(name)


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def print_pdf(html_file: Path, pdf_file: Path, chromium: str) -> None:
    """Print ``html_file`` to ``pdf_file`` with headless Chromium (no network: the page
    needs none). Raises :class:`PrintError` when it fails."""
    with tempfile.TemporaryDirectory(prefix="procure-chromium-") as profile:
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--no-default-browser-check", "--disable-extensions",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", f"--user-data-dir={profile}", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf_file}", html_file.absolute().as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=PRINT_TIMEOUT_S, check=False,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise PrintError(f"--pdf: {chromium} could not print the report: {e}") from e
    ok = pdf_file.is_file() and pdf_file.stat().st_size > 0
    if ok:
        with open(pdf_file, "rb") as f:
            ok = f.read(5) == b"%PDF-"
    if done.returncode != 0 or not ok:
        last = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        raise PrintError(f"--pdf: {chromium} did not print the report ({last[:200]}); "
                         "nothing written")


def write_report(result_dir: str | Path, html_out: str | Path | None = None,
                 pdf_out: str | Path | None = None, *, force: bool = False) -> list[Path]:
    """Write the report of ``result_dir`` to ``html_out`` and/or print it to ``pdf_out``;
    return the paths written.

    Everything is checked before anything is written: the folder must be a procure
    result or sweep, an existing output is replaced only with ``force``, and ``pdf_out``
    needs Chromium (:func:`find_chromium`); each raises :class:`ReportError`. The files
    are written beside their targets under temporary names and renamed into place only
    when all of them succeeded (a failed print leaves nothing, :class:`PrintError`)."""
    if html_out is None and pdf_out is None:
        raise ReportError("give -o REPORT.html and/or --pdf REPORT.pdf")
    html_target = None if html_out is None else _check_target(Path(html_out), force, "-o")
    pdf_target = None if pdf_out is None else _check_target(Path(pdf_out), force, "--pdf")
    if html_target is not None and html_target == pdf_target:
        raise ReportError("-o and --pdf name the same file")
    chromium = None
    if pdf_target is not None:
        chromium = find_chromium()
        if chromium is None:
            raise ReportError(f"--pdf: no Chromium found (install the chromium package, or "
                              f"set {CHROMIUM_ENV} to a Chromium or Chrome executable); "
                              "nothing written")
    folder = load_folder(result_dir)
    page = render_report(folder)
    temps: list[Path] = []
    try:
        anchor = html_target if html_target is not None else pdf_target
        html_tmp = _temp_beside(anchor, ".html")  # type: ignore[arg-type]
        temps.append(html_tmp)
        html_tmp.write_text(page, encoding="utf-8")
        _fsync(html_tmp)
        moves: list[tuple[Path, Path]] = []
        if html_target is not None:
            moves.append((html_tmp, html_target))
        if pdf_target is not None and chromium is not None:
            pdf_tmp = _temp_beside(pdf_target, ".pdf")
            temps.append(pdf_tmp)
            pdf_tmp.unlink()  # Chromium writes it anew
            print_pdf(html_tmp, pdf_tmp, chromium)
            _fsync(pdf_tmp)
            moves.append((pdf_tmp, pdf_target))
        for tmp, target in moves:
            os.replace(tmp, target)
    except OSError as e:
        raise ReportError(f"cannot write the report: {e}") from e
    finally:
        for tmp in temps:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
    return [p for p in (html_target, pdf_target) if p is not None]


def report_into(folder: Path) -> Path:
    """Write :data:`REPORT_FILE` into a result folder being written (before its manifest:
    ``procure solve --out DIR --report``) and return its path."""
    page = render_report(load_folder(folder, sealed=False))
    path = folder / REPORT_FILE
    path.write_text(page, encoding="utf-8")
    return path

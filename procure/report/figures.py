"""The report's figures, one function per figure, each returning an SVG document (text)
or ``None`` when its data is absent (a report leaves such a figure out: no empty axes).

Every axis is labelled with its unit. Figures are drawn with matplotlib's object API on
the Agg canvas (``Figure`` + ``FigureCanvasAgg``): pyplot is never imported, so no GUI
backend is touched and a library user's own matplotlib settings are left alone. The SVG
is deterministic (fixed hash salt, no date), so the same result folder gives the same
report, byte for byte.

Inputs are the tidy tables of a result folder (``docs/outputs.md``), as
:class:`~procure.report.read.ResultFolder` holds them.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch

from procure.report.basemap import CREDIT, draw_land, extent

SVG = str
"""An SVG document, ready to embed."""

DAY = "day (offset from day 0)"
MODE_COLOURS = {"air": "#1f77b4", "sea": "#17becf", "rail": "#8c564b", "road": "#ff7f0e"}
KIND_MARKERS = {"depot": ("s", "#555555"), "airbase": ("^", "#1f77b4"),
                "seaport": ("o", "#17becf"), "railhead": ("D", "#8c564b"),
                "theatre": ("*", "#d62728")}
RULES = (("cost_alone", "alone"), ("shapley", "Shapley"), ("nucleolus", "nucleolus"),
         ("least_core", "least core"), ("scrb", "SCRB"), ("gdp_key", "GDP key"),
         ("units_key", "units key"), ("equal", "equal split"))
HEATMAP_ROWS = 30
"""Most rows of a utilisation heatmap (the busiest resources; all in the tables)."""

_STYLE: dict[Any, Any] = {
    "font.size": 8.5, "axes.titlesize": 10, "axes.labelsize": 8.5, "legend.fontsize": 7.5,
    "xtick.labelsize": 7.5, "ytick.labelsize": 7.5, "axes.spines.top": False,
    "axes.spines.right": False, "svg.hashsalt": "procure-report", "svg.fonttype": "path",
    "figure.dpi": 100, "savefig.dpi": 100, "image.interpolation": "nearest",
}


@contextmanager
def _style() -> Iterator[None]:
    with mpl.rc_context(_STYLE):
        yield


def _figure(width: float, height: float) -> Figure:
    """A new figure on the Agg canvas (never a GUI)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _svg(fig: Figure) -> SVG:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "procure"})
    return buf.getvalue()


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


def _money_label(what: str, currency: str) -> str:
    return f"{what} ({currency})" if currency else what


def _rows_height(n: int, per_row: float = 0.22, base: float = 1.6) -> float:
    return min(base + per_row * n, 22.0)


# -- procurement -------------------------------------------------------------------------

def savings_waterfall(member_costs: pd.DataFrame | None, currency: str) -> SVG | None:
    """From the cost of going alone to the joint plan like for like, member by member:
    each member's saving (``member_costs.saving``) as one step down (a member paying more
    jointly steps up), largest first. None without findings (savings are null when a run
    they depend on did not finish)."""
    if member_costs is None or member_costs.empty or member_costs.saving.isna().all():
        return None
    df = member_costs.dropna(subset=["saving"]).sort_values("saving", ascending=False)
    alone = float(df.cost_alone.sum())
    joint = float(df.cost_joint_like_for_like.sum())
    labels = ["alone", *df.member.astype(str), "joint"]
    with _style():
        fig = _figure(max(6.0, 0.32 * len(labels) + 1.5), 3.6)
        ax = fig.add_subplot()
        level = alone
        bottoms, heights, colours = [0.0], [alone], ["#7f7f7f"]
        for s in df.saving.astype(float):
            bottoms.append(level - s if s >= 0 else level)
            heights.append(abs(s))
            colours.append("#2ca02c" if s >= 0 else "#d62728")
            level -= s
        bottoms.append(0.0)
        heights.append(joint)
        colours.append("#1f77b4")
        x = np.arange(len(labels))
        ax.bar(x, heights, bottom=bottoms, color=colours, width=0.7)
        # the steps are small against the totals: start the axis near the smaller total
        low, high = min(joint, level, alone), max(alone, joint)
        steps = float(df.saving.abs().sum())
        floor = max(0.0, low - 0.6 * steps) if steps > 0 else 0.0
        ax.set_ylim(floor, high + 0.05 * max(high - floor, 1.0))
        for xi, total in ((0, alone), (len(labels) - 1, joint)):
            ax.annotate(_num(total), (xi, total), ha="center", va="bottom", fontsize=7,
                        xytext=(0, 2), textcoords="offset points")
        ax.set_xticks(x, labels, rotation=90)
        ax.set_xlabel("member (largest saving first)")
        ax.set_ylabel(_money_label("cost, all years", currency))
        title = "Savings by member, like for like"
        if floor > 0:
            title += " (axis does not start at 0)"
        ax.set_title(title, loc="left")
        ax.legend(handles=[Patch(color="#2ca02c", label="saving"),
                           Patch(color="#d62728", label="pays more jointly")],
                  loc="upper right", frameon=False)
        return _svg(fig)


def cost_vs_gdp(shares: pd.DataFrame | None, what: str) -> SVG | None:
    """Each member's share of the cost against its share of the alliance's GDP (both in
    %), with the line where they are equal. ``shares``: member, gdp_share, cost_share;
    ``what``: whose cost (the joint plan's, or a sharing rule's)."""
    if shares is None or shares.empty:
        return None
    df = shares.dropna(subset=["gdp_share", "cost_share"])
    if df.empty:
        return None
    with _style():
        fig = _figure(5.6, 4.6)
        ax = fig.add_subplot()
        top = float(max(df.gdp_share.max(), df.cost_share.max())) * 1.08
        ax.plot([0, top], [0, top], color="#999999", linestyle="--", linewidth=0.8,
                label="cost share = GDP share")
        ax.scatter(df.gdp_share, df.cost_share, s=18, color="#1f77b4", zorder=3)
        for m, gx, cy in zip(df.member.astype(str), df.gdp_share.astype(float),
                             df.cost_share.astype(float), strict=True):
            ax.annotate(m, (gx, cy), xytext=(3, 2), textcoords="offset points",
                        fontsize=6.5)
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_xlabel("share of the alliance's GDP (%)")
        ax.set_ylabel(f"share of the cost (%): {what}")
        ax.set_title("Cost share against GDP share", loc="left")
        ax.legend(loc="upper left", frameon=False)
        return _svg(fig)


def defence_spending(members: pd.DataFrame | None, benchmark: float = 2.0) -> SVG | None:
    """Each member's defence spending (% of GDP) against the 2 % benchmark, highest
    first. ``members``: member, defence_pct_gdp (None when no member gives it)."""
    if members is None or members.empty or "defence_pct_gdp" not in members:
        return None
    df = members.dropna(subset=["defence_pct_gdp"]).sort_values("defence_pct_gdp",
                                                                 ascending=False)
    if df.empty:
        return None
    with _style():
        fig = _figure(max(5.0, 0.3 * len(df) + 1.5), 3.2)
        ax = fig.add_subplot()
        values = df.defence_pct_gdp.astype(float).to_numpy()
        colours = ["#1f77b4" if v >= benchmark else "#ff7f0e" for v in values]
        x = np.arange(len(df))
        ax.bar(x, values, color=colours, width=0.7)
        ax.axhline(benchmark, color="#d62728", linewidth=1.0, linestyle="--")
        ax.set_xticks(x, df.member.astype(str), rotation=90)
        ax.set_xlabel("member")
        ax.set_ylabel("defence spending (% of GDP)")
        ax.set_title(f"Defence spending against the {benchmark:g} % benchmark", loc="left")
        ax.legend(handles=[Patch(color="#1f77b4", label=f"at least {benchmark:g} %"),
                           Patch(color="#ff7f0e", label=f"below {benchmark:g} %"),
                           Line2D([], [], color="#d62728", linestyle="--",
                                  label=f"{benchmark:g} % of GDP")],
                  loc="upper right", frameon=False)
        return _svg(fig)


def allocations_by_rule(shares: pd.DataFrame | None, currency: str) -> SVG | None:
    """What each member pays alone and under each burden-sharing rule of the ``shares``
    table (one marker per rule), members ordered by their cost alone."""
    if shares is None or shares.empty:
        return None
    rules = [(c, label) for c, label in RULES if c in shares and shares[c].notna().any()]
    if len(rules) < 2:
        return None
    df = shares.sort_values("cost_alone", ascending=True)
    markers = "oDs^v<>Xp"
    with _style():
        fig = _figure(7.0, _rows_height(len(df), 0.26, 1.8))
        ax = fig.add_subplot()
        y = np.arange(len(df))
        for k, (col, label) in enumerate(rules):
            offset = (k - (len(rules) - 1) / 2) * 0.08
            ax.scatter(df[col].astype(float), y + offset, s=16, marker=markers[k % 9],
                       label=label, zorder=3,
                       color="#222222" if col == "cost_alone" else None)
        ax.set_yticks(y, df.member.astype(str))
        ax.set_ylabel("member")
        ax.set_xlabel(_money_label("what the member pays", currency))
        ax.grid(axis="y", color="#eeeeee", linewidth=0.6)
        ax.set_title("Allocations under each burden-sharing rule", loc="left")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                  title="rule")
        return _svg(fig)


def duplication(dup: pd.DataFrame | None, currency: str) -> SVG | None:
    """Per capability, launches (left) and NRC paid beyond the dearest launch (right),
    going alone against the joint plan."""
    if dup is None or dup.empty:
        return None
    df = dup[(dup.launches_alone > 0) | (dup.launches_joint > 0)]
    if df.empty:
        return None
    with _style():
        fig = _figure(max(7.0, 0.9 * len(df) + 2), 3.4)
        left, right = fig.subplots(1, 2)
        x = np.arange(len(df))
        for ax, (a, j, label) in ((left, ("launches_alone", "launches_joint", "launches")),
                                  (right, ("nrc_beyond_dearest_alone",
                                           "nrc_beyond_dearest_joint",
                                           _money_label("NRC beyond the dearest launch",
                                                        currency)))):
            ax.bar(x - 0.2, df[a].astype(float), width=0.4, color="#ff7f0e",
                   label="going alone")
            ax.bar(x + 0.2, df[j].astype(float), width=0.4, color="#1f77b4",
                   label="joint plan")
            ax.set_xticks(x, df.capability.astype(str), rotation=90)
            ax.set_xlabel("capability")
            ax.set_ylabel(label)
        left.set_title("Duplication before and after, per capability", loc="left")
        left.legend(loc="upper right", frameon=False)
        return _svg(fig)


def budget_use(payments: pd.DataFrame | None) -> SVG | None:
    """Each member's payments in each year as a % of its budget that year (members
    without budgets are left out; above 100 %: over budget)."""
    if payments is None or payments.empty or "budget" not in payments:
        return None
    df = payments.dropna(subset=["budget"])
    df = df[df.budget.astype(float) > 0]
    if df.empty:
        return None
    use = df.assign(pct=100.0 * df.total.astype(float) / df.budget.astype(float))
    grid = use.pivot_table(index="member", columns="year", values="pct", aggfunc="sum",
                           sort=False)
    values = grid.to_numpy(dtype=np.float64)
    top = max(100.0, float(np.nanmax(values)))
    with _style():
        fig = _figure(max(5.0, 0.5 * grid.shape[1] + 2.5), _rows_height(grid.shape[0]))
        ax = fig.add_subplot()
        im = ax.imshow(values, aspect="auto", cmap="YlOrRd", vmin=0.0, vmax=top)
        ax.set_xticks(np.arange(grid.shape[1]), [str(c) for c in grid.columns],
                      rotation=90)
        ax.set_yticks(np.arange(grid.shape[0]), [str(i) for i in grid.index])
        ax.set_xlabel("fiscal year")
        ax.set_ylabel("member")
        if grid.size <= 400:
            for (i, j), v in np.ndenumerate(values):
                if not math.isnan(v):
                    ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=5.5,
                            color="white" if v > 0.6 * top else "black")
        fig.colorbar(im, ax=ax, label="budget used (% of the year's budget)", shrink=0.8)
        ax.set_title("Budget use per member and year (joint plan)", loc="left")
        return _svg(fig)


def launch_participants(launches: pd.DataFrame | None) -> SVG | None:
    """Each launch (rows) and its members (columns): a filled dot buys units and pays a
    share of the NRC, an open dot buys units only, a cross pays NRC without buying."""
    if launches is None or launches.empty:
        return None

    def split(x: object) -> set[str]:
        return set(str(x).split()) if isinstance(x, str) else set()

    buyers = [split(p) for p in launches.participants]
    payers = [split(p) for p in launches.nrc_payers]
    members = sorted(set().union(*buyers, *payers))
    if not members:
        return None
    col = {m: k for k, m in enumerate(members)}
    rows = [f"{r.program} ({r.capability})" for r in launches.itertuples(index=False)]
    with _style():
        fig = _figure(max(5.0, 0.22 * len(members) + 3.2), _rows_height(len(rows), 0.2))
        ax = fig.add_subplot()
        for kind, colour, face in (("both", "#1f77b4", "#1f77b4"),
                                   ("buys", "#1f77b4", "none"), ("pays", "#d62728", None)):
            xs: list[int] = []
            ys: list[int] = []
            for i, (b, p) in enumerate(zip(buyers, payers, strict=True)):
                chosen = (b & p if kind == "both" else b - p if kind == "buys" else p - b)
                xs += [col[m] for m in sorted(chosen)]
                ys += [i] * len(chosen)
            if not xs:
                continue
            if kind == "pays":
                ax.scatter(xs, ys, marker="x", s=18, color=colour, zorder=3)
            else:
                ax.scatter(xs, ys, marker="o", s=18, edgecolors=colour, facecolors=face,
                           zorder=3)
        ax.set_xticks(np.arange(len(members)), members, rotation=90)
        ax.set_yticks(np.arange(len(rows)), rows)
        ax.set_xlim(-0.7, len(members) - 0.3)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.grid(color="#eeeeee", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_xlabel("member")
        ax.set_ylabel("launch: program (capability)")
        ax.set_title("Launches and their participants (joint plan)", loc="left")
        ax.legend(handles=[
            Line2D([], [], marker="o", linestyle="", color="#1f77b4",
                   label="buys units, pays NRC share"),
            Line2D([], [], marker="o", linestyle="", markerfacecolor="none",
                   color="#1f77b4", label="buys units only"),
            Line2D([], [], marker="x", linestyle="", color="#d62728",
                   label="pays NRC share only")],
            loc="upper center", bbox_to_anchor=(0.5, -0.08 - 0.6 / max(len(rows), 4)),
            ncols=3, frameon=False)
        return _svg(fig)


# -- movements ---------------------------------------------------------------------------

def closure_curves(closure: pd.DataFrame | None, deliveries: pd.DataFrame | None,
                   horizon: int | None = None) -> SVG | None:
    """Per theatre (the movements' destinations), tons delivered by each day against
    tons required by then (each requirement counted at its latest arrival day, LAD),
    both cumulative. Needs the closure's ``destination`` and ``lad`` columns."""
    if closure is None or closure.empty or deliveries is None \
            or not {"destination", "lad"} <= set(closure.columns):
        return None
    req = closure[closure.quantity.astype(float) > 0]
    if req.empty:
        return None
    per_unit = (req.tons.astype(float) / req.quantity.astype(float)).to_numpy()
    unit_tons = dict(zip(req.movement.astype(str), per_unit, strict=True))
    dest = dict(zip(req.movement.astype(str), req.destination.astype(str), strict=True))
    dl = deliveries.assign(movement=deliveries.movement.astype(str))
    dl = dl[dl.movement.isin(list(dest))]
    dl = dl.assign(tons=dl.quantity.astype(float) * dl.movement.map(unit_tons),
                   theatre=dl.movement.map(dest))
    last = int(max(req.rdd.max() if "rdd" in req else req.lad.max(),
                   dl.day.max() if len(dl) else 0))
    last = max(last, (horizon or 1) - 1)
    days = np.arange(0, last + 1)
    theatres = sorted(req.destination.astype(str).unique())
    ncols = min(3, len(theatres))
    nrows = math.ceil(len(theatres) / ncols)
    with _style():
        fig = _figure(3.3 * ncols + 0.6, 2.5 * nrows + 0.6)
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
        for ax, theatre in zip(axes, theatres, strict=False):
            r = req[req.destination.astype(str) == theatre]
            need = np.zeros(len(days))
            for lad, tons in zip(r.lad.astype(int), r.tons.astype(float), strict=True):
                need[min(max(lad, 0), last)] += tons
            got = np.zeros(len(days))
            d = dl[dl.theatre == theatre]
            for day, tons in zip(d.day.astype(int), d.tons.astype(float), strict=True):
                got[min(max(day, 0), last)] += tons
            ax.step(days, np.cumsum(need), where="post", color="#7f7f7f", linestyle="--",
                    label="required by LAD")
            ax.step(days, np.cumsum(got), where="post", color="#1f77b4",
                    label="delivered")
            ax.set_title(theatre, loc="left")
            ax.set_xlabel(DAY)
            ax.set_ylabel("tons, cumulative (t)")
            ax.set_xlim(0, last)
            ax.set_ylim(bottom=0)
        for ax in axes[len(theatres):]:
            fig.delaxes(ax)
        axes[0].legend(loc="lower right", frameon=False)
        fig.suptitle("Closure: tons delivered against tons required, by theatre",
                     x=0.01, ha="left", fontsize=10)
        return _svg(fig)


def utilisation_heatmap(utilisation: pd.DataFrame | None, kinds: Sequence[str],
                        title: str, row_label: str,
                        max_rows: int = HEATMAP_ROWS) -> SVG | None:
    """Use of each capacity of the given ``kinds`` (rows) on each day (columns), in % of
    its capacity that day; unlimited capacities are left out; at most ``max_rows``
    rows, the busiest (peak use) first."""
    if utilisation is None or utilisation.empty:
        return None
    u = utilisation[utilisation.kind.isin(list(kinds))]
    cap = u.capacity.astype(float)
    u = u[np.isfinite(cap) & (cap > 0)]
    if u.empty:
        return None
    u = u.assign(pct=100.0 * u.used.astype(float) / u.capacity.astype(float),
                 row=[r if len(kinds) == 1 else f"{r} ({k})"
                      for r, k in zip(u.resource.astype(str), u.kind.astype(str),
                                      strict=True)])
    peak = u.groupby("row").pct.max().sort_values(ascending=False)
    shown = list(peak.index[:max_rows])
    last = int(utilisation.day.max())
    grid = (u[u.row.isin(shown)].pivot_table(index="row", columns="day", values="pct",
                                             aggfunc="max")
            .reindex(index=shown, columns=range(0, last + 1)).fillna(0.0))
    values = grid.to_numpy(dtype=np.float64)
    with _style():
        fig = _figure(max(6.0, 0.2 * values.shape[1] + 3.0), _rows_height(len(shown)))
        ax = fig.add_subplot()
        im = ax.imshow(values, aspect="auto", cmap="Blues", vmin=0.0,
                       vmax=max(100.0, float(values.max())))
        step = max(1, math.ceil(values.shape[1] / 30))
        ax.set_xticks(np.arange(0, values.shape[1], step),
                      [str(d) for d in grid.columns[::step]])
        ax.set_yticks(np.arange(len(shown)), shown)
        ax.set_xlabel(DAY)
        ax.set_ylabel(row_label)
        fig.colorbar(im, ax=ax, label="use (% of capacity that day)", shrink=0.8)
        more = (f" (the {len(shown)} busiest of {len(peak)})" if len(peak) > len(shown)
                else "")
        ax.set_title(title + more, loc="left")
        return _svg(fig)


def movement_map(locations: pd.DataFrame | None, moves: pd.DataFrame | None) -> SVG | None:
    """The movement plan on a map: every location by kind, and each link used as an
    arrow from origin to destination whose width grows with the tons it carried, by
    mode; on the bundled offline base map. None without coordinates."""
    if locations is None or locations.empty:
        return None
    loc = locations.assign(location=locations.location.astype(str)).set_index("location")
    flows = pd.DataFrame(columns=["origin", "destination", "mode", "tons"])
    if moves is not None and not moves.empty:
        flows = (moves.assign(origin=moves.origin.astype(str),
                              destination=moves.destination.astype(str))
                 .groupby(["origin", "destination", "mode"], as_index=False)
                 .agg(tons=("tons", "sum")))
        flows = flows[flows.origin.isin(loc.index) & flows.destination.isin(loc.index)
                      & (flows.tons > 0)]
    used = set(flows.origin) | set(flows.destination)
    lon = loc.lon.to_numpy(dtype=np.float64)
    lat = loc.lat.to_numpy(dtype=np.float64)
    where = {str(k): (float(x), float(y)) for k, x, y in zip(loc.index, lon, lat, strict=True)}
    kind_of = {str(k): str(v) for k, v in zip(loc.index, loc.kind, strict=True)}
    box = extent(lon, lat)
    with _style():
        fig = _figure(8.0, 7.0)
        ax = fig.add_subplot()
        draw_land(ax, box)
        top = float(flows.tons.max()) if len(flows) else 1.0
        ordered = flows.sort_values("tons")
        for o, d, mode, tons in zip(ordered.origin, ordered.destination,
                                    ordered["mode"].astype(str), ordered.tons.astype(float),
                                    strict=True):
            width = 0.6 + 4.4 * tons / top
            ax.add_patch(FancyArrowPatch(
                where[o], where[d], arrowstyle="-|>", mutation_scale=6 + 2 * width,
                linewidth=width, color=MODE_COLOURS.get(mode, "#444444"), alpha=0.75,
                connectionstyle="arc3,rad=0.08", zorder=2))
        for kind, (marker, colour) in KIND_MARKERS.items():
            k = loc[loc.kind.astype(str) == kind]
            if k.empty:
                continue
            ax.scatter(k.lon.astype(float), k.lat.astype(float), marker=marker,
                       s=60 if kind == "theatre" else 22, color=colour,
                       edgecolors="white", linewidths=0.5, zorder=4, label=kind)
        for name, xy in where.items():
            if name in used or kind_of[name] == "theatre":
                ax.annotate(name, xy, xytext=(3, 3), textcoords="offset points",
                            fontsize=6, zorder=5, color="#222222")
        ax.set_xlabel("longitude (degrees east)")
        ax.set_ylabel("latitude (degrees north)")
        ax.set_title("Movement flows (arrow width: tons carried over the plan)", loc="left")
        modes = [m for m in MODE_COLOURS if m in set(flows["mode"].astype(str))]
        handles = [Line2D([], [], color=MODE_COLOURS[m], linewidth=2.5, label=m)
                   for m in modes]
        kinds_legend = ax.legend(loc="lower left", frameon=True, fontsize=7, title="location")
        ax.add_artist(kinds_legend)
        if handles:
            ax.legend(handles=handles, loc="lower right", frameon=True, fontsize=7,
                      title=f"mode (widest: {_num(top)} t)")
        ax.text(0.99, 0.005, CREDIT, transform=ax.transAxes, ha="right", va="bottom",
                fontsize=5.5, color="#666666")
        return _svg(fig)


# -- sweeps ------------------------------------------------------------------------------

def sweep_changes(cases: pd.DataFrame | None, currency: str) -> SVG | None:
    """Per case, the joint plan's cost change against the base case (left) and the
    savings against going alone (right); a case whose solves were not all proven
    optimal has no value and is left out (its row in the table says why)."""
    if cases is None or cases.empty or "joint_cost_change" not in cases:
        return None
    df = cases[cases.joint_cost_change.notna() | cases.savings.notna()]
    if df.empty:
        return None
    labels = [f"{int(c)}: {n}" for c, n in zip(df.case, df.name.astype(str), strict=True)]
    with _style():
        fig = _figure(9.0, _rows_height(len(df), 0.24, 1.8))
        left, right = fig.subplots(1, 2, sharey=True)
        y = np.arange(len(df))
        change = df.joint_cost_change.astype(float).to_numpy()
        left.barh(y, np.nan_to_num(change), color=np.where(change > 0, "#d62728",
                                                            "#2ca02c"))
        left.axvline(0, color="#444444", linewidth=0.8)
        left.set_yticks(y, labels)
        left.set_ylim(len(df) - 0.5, -0.5)
        left.set_xlabel(_money_label("joint cost change vs the base case", currency))
        left.set_ylabel("case")
        left.set_title("What each case changes", loc="left")
        right.barh(y, np.nan_to_num(df.savings.astype(float).to_numpy()), color="#1f77b4")
        right.set_xlabel(_money_label("savings vs going alone, like for like", currency))
        return _svg(fig)


def member_changes(changes: pd.DataFrame | None, cases: pd.DataFrame | None,
                   currency: str) -> SVG | None:
    """Each member's joint cost change against the base case (``member_changes.change``),
    case by case, on a diverging scale (red: pays more)."""
    if changes is None or changes.empty or "change" not in changes:
        return None
    df = changes.dropna(subset=["change"])
    if df.empty:
        return None
    grid = df.pivot_table(index="case", columns="member", values="change", aggfunc="sum",
                          sort=False).sort_index()
    names = {} if cases is None else dict(zip(cases.case, cases.name.astype(str),
                                              strict=True))
    values = grid.to_numpy(dtype=np.float64)
    span = float(np.nanmax(np.abs(values))) or 1.0
    with _style():
        fig = _figure(max(5.0, 0.3 * grid.shape[1] + 4.0), _rows_height(grid.shape[0]))
        ax = fig.add_subplot()
        im = ax.imshow(values, aspect="auto", cmap="RdBu_r",
                       norm=TwoSlopeNorm(0.0, -span, span))
        ax.set_xticks(np.arange(grid.shape[1]), [str(c) for c in grid.columns],
                      rotation=90)
        ax.set_yticks(np.arange(grid.shape[0]),
                      [f"{c}: {names.get(c, '')}" for c in grid.index])
        ax.set_xlabel("member")
        ax.set_ylabel("case")
        fig.colorbar(im, ax=ax, label=_money_label("change of the member's joint cost",
                                                   currency), shrink=0.8)
        ax.set_title("Each member's cost against the base case", loc="left")
        return _svg(fig)


def sweep_movements(cases: pd.DataFrame | None) -> SVG | None:
    """Per case with movements, the tons delivered on time (% of the tons required)."""
    if cases is None or cases.empty or "movement_on_time_pct" not in cases:
        return None
    pct = pd.to_numeric(cases.movement_on_time_pct, errors="coerce")
    df = cases.assign(pct=pct).dropna(subset=["pct"])
    if df.empty:
        return None
    labels = [f"{int(c)}: {n}" for c, n in zip(df.case, df.name.astype(str), strict=True)]
    with _style():
        fig = _figure(6.0, _rows_height(len(df), 0.24, 1.6))
        ax = fig.add_subplot()
        y = np.arange(len(df))
        ax.barh(y, df.pct.astype(float), color="#1f77b4")
        ax.set_yticks(y, labels)
        ax.set_ylim(len(df) - 0.5, -0.5)
        ax.set_xlim(0, 100)
        ax.set_xlabel("tons delivered on time (% of required tons)")
        ax.set_ylabel("case")
        ax.set_title("Movements on time, per case", loc="left")
        return _svg(fig)

"""The report's figures on small hand-made tables: each is an SVG document that parses,
refers to nothing outside itself, carries no date, is the same bytes every time, and is
None when its data is absent (a report leaves such a figure out)."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pandas as pd
import pytest

from procure.report import figures

SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
NAN = math.nan


def member_costs() -> pd.DataFrame:
    return pd.DataFrame({"member": ["A", "B", "C"], "cost_alone": [690.0, 590.0, 365.0],
                         "cost_joint_like_for_like": [635.0, 430.0, 380.0],
                         "saving": [55.0, 160.0, -15.0]})


def shares() -> pd.DataFrame:
    return pd.DataFrame({"member": ["A", "B", "C"], "gdp_share": [60.0, 30.0, 10.0],
                         "cost_share": [29.0, 47.0, 24.0],
                         "defence_pct_gdp": [1.5, 2.4, NAN],
                         "cost_alone": [690.0, 1040.0, 455.0],
                         "shapley": [375.0, 605.0, 315.0],
                         "nucleolus": [365.0, 625.0, 305.0], "equal": [431.7] * 3})


def duplication() -> pd.DataFrame:
    return pd.DataFrame({"capability": ["tanker", "drone", "radar"],
                         "launches_alone": [3, 2, 0], "launches_joint": [1, 2, 0],
                         "nrc_beyond_dearest_alone": [300.0, 100.0, 0.0],
                         "nrc_beyond_dearest_joint": [0.0, 100.0, 0.0]})


def payments() -> pd.DataFrame:
    return pd.DataFrame({"member": ["A", "A", "B", "B", "C"],
                         "year": [2026, 2027, 2026, 2027, 2026],
                         "total": [315.0, 320.0, 10.0, 90.0, 5.0],
                         "budget": [400.0, 300.0, 100.0, 100.0, NAN]})


def launches() -> pd.DataFrame:
    return pd.DataFrame({"program": ["MRTT", "A-DRONE", "B-RADAR"],
                         "capability": ["tanker", "drone", "radar"],
                         "participants": ["A B C", "A", "B"],
                         "nrc_payers": ["A B", "A", "B C"]})


def closure() -> pd.DataFrame:
    return pd.DataFrame({"movement": ["M1", "M2", "M3"], "quantity": [100.0, 10.0, 5.0],
                         "tons": [50.0, 300.0, 0.5], "destination": ["T1", "T1", "T2"],
                         "lad": [5, 8, 3], "rdd": [7, 10, 4]})


def deliveries() -> pd.DataFrame:
    return pd.DataFrame({"movement": ["M1", "M1", "M2", "M3"], "day": [3, 5, 9, 2],
                         "quantity": [40.0, 60.0, 10.0, 5.0]})


def utilisation() -> pd.DataFrame:
    return pd.DataFrame({"resource": ["F1", "F1", "F2", "B1", "B1", "B2"],
                         "kind": ["fleet", "fleet", "fleet", "throughput", "MOG landings",
                                  "storage"],
                         "day": [0, 1, 1, 2, 3, 4], "used": [1.0, 2.0, 1.0, 50.0, 3.0, 9.0],
                         "capacity": [2.0, 2.0, 4.0, 100.0, 4.0, math.inf]})


def locations() -> pd.DataFrame:
    return pd.DataFrame({"location": ["D1", "P1", "T1", "A1"],
                         "kind": ["depot", "seaport", "theatre", "airbase"],
                         "lat": [50.1, 54.4, 53.9, 52.2], "lon": [8.6, 18.6, 21.8, 4.5]})


def moves() -> pd.DataFrame:
    return pd.DataFrame({"origin": ["D1", "P1", "A1", "D1"],
                         "destination": ["P1", "T1", "T1", "P1"],
                         "mode": ["rail", "road", "air", "rail"],
                         "tons": [100.0, 80.0, 5.0, 20.0]})


def cases() -> pd.DataFrame:
    return pd.DataFrame({"case": [0, 1, 2], "name": ["base", "NRC +25 %", "C leaves"],
                         "joint_cost_change": [0.0, 150.0, NAN],
                         "savings": [350.0, 412.5, NAN],
                         "movement_on_time_pct": [100.0, 87.5, NAN]})


def member_changes() -> pd.DataFrame:
    return pd.DataFrame({"case": [0, 0, 1, 1, 2], "member": ["A", "B", "A", "B", "A"],
                         "change": [0.0, 0.0, 68.75, -55.0, NAN]})


# (name, the figure drawn from the small tables, the figure from empty ones)
FIGURES: list[tuple[str, Callable[[], str | None], Callable[[], str | None]]] = [
    ("savings_waterfall", lambda: figures.savings_waterfall(member_costs(), "EUR million"),
     lambda: figures.savings_waterfall(member_costs().iloc[0:0], "EUR million")),
    ("cost_vs_gdp", lambda: figures.cost_vs_gdp(shares(), "the Shapley value"),
     lambda: figures.cost_vs_gdp(None, "the Shapley value")),
    ("defence_spending", lambda: figures.defence_spending(shares()),
     lambda: figures.defence_spending(shares().assign(defence_pct_gdp=NAN))),
    ("allocations_by_rule", lambda: figures.allocations_by_rule(shares(), "EUR million"),
     lambda: figures.allocations_by_rule(shares().iloc[0:0], "EUR million")),
    ("duplication", lambda: figures.duplication(duplication(), "EUR million"),
     lambda: figures.duplication(duplication().iloc[2:], "EUR million")),
    ("budget_use", lambda: figures.budget_use(payments()),
     lambda: figures.budget_use(payments().assign(budget=NAN))),
    ("launch_participants", lambda: figures.launch_participants(launches()),
     lambda: figures.launch_participants(launches().iloc[0:0])),
    ("closure_curves", lambda: figures.closure_curves(closure(), deliveries(), 12),
     lambda: figures.closure_curves(closure().iloc[0:0], deliveries(), 12)),
    ("utilisation_lift", lambda: figures.utilisation_heatmap(
        utilisation(), ["fleet"], "Lift", "lift fleet"),
     lambda: figures.utilisation_heatmap(utilisation(), ["storage"], "Storage", "base")),
    ("utilisation_bases", lambda: figures.utilisation_heatmap(
        utilisation(), ["throughput", "MOG landings"], "Bases", "base"),
     lambda: figures.utilisation_heatmap(None, ["throughput"], "Bases", "base")),
    ("movement_map", lambda: figures.movement_map(locations(), moves()),
     lambda: figures.movement_map(locations().iloc[0:0], moves())),
    ("sweep_changes", lambda: figures.sweep_changes(cases(), "EUR million"),
     lambda: figures.sweep_changes(cases().iloc[2:], "EUR million")),
    ("member_changes", lambda: figures.member_changes(member_changes(), cases(),
                                                      "EUR million"),
     lambda: figures.member_changes(member_changes().iloc[4:], cases(), "EUR million")),
    ("sweep_movements", lambda: figures.sweep_movements(cases()),
     lambda: figures.sweep_movements(cases().iloc[2:])),
]
IDS = [name for name, _, _ in FIGURES]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    return root


@pytest.mark.parametrize(("name", "draw", "empty"), FIGURES, ids=IDS)
def test_each_figure_is_a_self_contained_svg_document(
        name: str, draw: Callable[[], str | None], empty: Callable[[], str | None]) -> None:
    svg = draw()
    assert svg is not None, name
    root = parse(svg)
    width, height = root.get("width", ""), root.get("height", "")
    assert width.endswith("pt") and float(width[:-2]) > 0 and float(height[:-2]) > 0
    assert len(list(root.iter(f"{SVG_NS}path"))) > 10  # something is drawn
    for el in root.iter():  # nothing outside the document: no link, font or image file
        for attr in (XLINK_HREF, "href", "src"):
            ref = el.get(attr)
            # heatmaps embed their raster as a data: PNG; anything else is a local id
            assert ref is None or ref.startswith(("#", "data:image/png;base64,")), (
                name, el.tag, ref[:40])
    assert "<dc:date>" not in svg and "@import" not in svg and "url(http" not in svg
    assert "<text" not in svg  # text is drawn as paths: no font is needed to show it


@pytest.mark.parametrize(("name", "draw", "empty"), FIGURES, ids=IDS)
def test_each_figure_is_none_without_its_data(
        name: str, draw: Callable[[], str | None], empty: Callable[[], str | None]) -> None:
    assert empty() is None, name


@pytest.mark.parametrize(("name", "draw", "empty"),
                         [f for f in FIGURES if f[0] in ("savings_waterfall", "movement_map",
                                                         "budget_use")],
                         ids=["savings_waterfall", "budget_use", "movement_map"])
def test_a_figure_is_the_same_bytes_every_time(
        name: str, draw: Callable[[], str | None], empty: Callable[[], str | None]) -> None:
    assert draw() == draw(), name


def test_figures_without_findings_are_left_out() -> None:
    """Savings and sweep changes are null where a solve they need did not finish: such a
    table gives no figure rather than a figure of zeros."""
    assert figures.savings_waterfall(member_costs().assign(saving=NAN), "EUR") is None
    assert figures.sweep_changes(cases().assign(joint_cost_change=NAN, savings=NAN),
                                 "EUR") is None
    assert figures.member_changes(member_changes().assign(change=NAN), cases(), "EUR") is None


def test_axis_labels_carry_units(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every axis says its unit (checked with the text kept as SVG text: in the report it
    is drawn as paths, so the page needs no font)."""
    monkeypatch.setitem(figures._STYLE, "svg.fonttype", "none")
    budget = figures.budget_use(payments())
    waterfall = figures.savings_waterfall(member_costs(), "EUR million")
    closure_svg = figures.closure_curves(closure(), deliveries(), 12)
    assert budget is not None and "budget used (% of the year" in budget
    assert waterfall is not None and "(EUR million)" in waterfall
    assert closure_svg is not None and "(t)" in closure_svg
    assert "day (offset from day 0)" in closure_svg

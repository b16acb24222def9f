"""Scenario workbooks (procure.workbook) and the openpyxl plumbing under them (procure.xlsx):
YAML -> xlsx -> YAML loses nothing on every bundled dataset and on a scenario that sets
every field; a malformed workbook is one WorkbookError naming sheet, row and column."""

from __future__ import annotations

import copy
import datetime as dt
import io
import math
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from conftest import DATASETS, REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from procure import xlsx
from procure.errors import ScenarioError, WorkbookError
from procure.io import load_scenario, save_scenario, scenario_from_data, scenario_to_data
from procure.schema import Scenario
from procure.workbook import README_SHEET, SHEETS, layouts, read_scenario, template, write_scenario

BUNDLED = sorted({*DATASETS.glob("*.yaml"), *(REPO / "procure" / "data").glob("*.yaml"),
                  *(REPO / "tests" / "run" / "data").glob("*.yaml")})


def round_trip(s: Scenario, tmp_path: Path) -> Scenario:
    path = tmp_path / "s.xlsx"
    write_scenario(s, path)
    return read_scenario(path)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(REPO)))
def test_round_trip_bundled(path: Path, tmp_path: Path) -> None:
    s = load_scenario(path)
    back = round_trip(s, tmp_path)
    assert back.model_dump() == s.model_dump()
    # and on to YAML again: the same document
    save_scenario(back, tmp_path / "again.yaml")
    assert load_scenario(tmp_path / "again.yaml").model_dump() == s.model_dump()


def every_field() -> dict[str, Any]:
    """The tutorial with every field of the schema set, awkward texts and floats that
    need 17 significant digits."""
    d = scenario_to_data(load_scenario(DATASETS / "tutorial.yaml"))
    d["description"] = "line 1\r\nline 2\x07 _x0041_ _x005F_ =SUM(A1) \ttab"
    d["sources"] = ["first, with a comma", "=cmd|' /C calc'!A0", "", "ünïcødé ✓"]
    d["shortfall_penalty"] = 0.1 + 0.2
    d["cost_share"] = {"rule": "key", "key": {"A": 2.0, "B": 1.0, "C": 0.30000000000000004},
                       "caps": {"A": 0.5}, "floors": {"C": 0.1}, "tolerance": 0.05}
    a, b = d["members"][0], d["members"][1]
    a["budgets"] = {2026: 1000.0, 2027: 1000 / 3}
    a["defence_spending_pct_gdp"] = 2.1
    a["constraints"] = {"sovereign": ["tanker", "drone"], "max_single_foreign_share": 0.6,
                        "max_single_foreign_share_by_capability": {"drone": 0.5},
                        "workshare": {"mode": "per_program", "min_ratio": 0.8}}
    b["constraints"] = {"workshare": {"min_ratio": 1.0}}  # mode left at its default
    d["capabilities"][0].update(divisible=True, unmet_unit_value=512.25)
    d["capabilities"][1]["unit"] = ""  # the empty text, not the default "unit"
    mrtt = d["programs"][0]
    mrtt.update(unit_cost_by_member={"B": 101.5}, excluded=["C"], cost_share={},
                min_production_run=1.0)  # cost_share {}: given, every value its default
    d["programs"][2]["cost_share"] = {"rule": "equal", "caps": {"A": 0.9},
                                      "floors": {"B": 0.05}}
    d["programs"][3]["cost_share"] = {"rule": "key", "key": "gdp"}
    d["logistics"] = {
        "horizon_days": 20, "late_penalty_per_ton_day": 0.5,
        "shortfall_penalty_per_ton": 1e6,
        "modes": {"air": {"speed_km_per_day": 7000.0, "cost_per_ton_km": 1e-6,
                          "min_transit_days": 0}},
        "locations": [
            {"id": "D1", "name": "Depot", "host": "A", "lat": 50.1, "lon": 8.7,
             "kind": "depot", "storage_tons": 1e5, "throughput_tons_per_day": 5e3},
            {"id": "AB1", "host": "B", "lat": 52.0, "lon": 13.4, "kind": "airbase",
             "mog": 4, "turns_per_day": 2.5},
            {"id": "AB2", "host": "XX", "lat": 54.0, "lon": 23.9, "kind": "airbase"},
            {"id": "T1", "host": "C", "lat": 54.5, "lon": 24.1, "kind": "theatre"}],
        "basing_rights": [{"member": "A", "location": "AB1", "transit": True,
                           "storage": False, "max_share": 0.5},
                          {"member": "A", "location": "AB2"}],
        "items": [{"id": "FUEL", "unit_tons": 0.8, "unit_m3": 1.0},
                  {"id": "TANK", "name": "MBT", "unit_tons": 62.5, "cargo_class": "outsize"}],
        "stocks": [{"owner": "A", "location": "D1", "item": "FUEL", "quantity": 900.0},
                   {"owner": "B", "location": "AB1", "item": "TANK", "quantity": 4.0,
                    "kind": "prepositioned"}],
        "cross_servicing": [{"provider": "B", "receiver": "A", "items": ["TANK", "FUEL"],
                             "price_per_unit": 0.01},
                            {"provider": "A", "receiver": "B", "items": []},
                            {"provider": "C", "receiver": "A"}],
        "links": [{"origin": "D1", "destination": "AB1", "mode": "road", "transit_days": 1,
                   "cost_per_ton": 0.001, "capacity_tons_per_day": 500.0,
                   "bidirectional": False},
                  {"origin": "AB1", "destination": "AB2", "mode": "air"},
                  {"origin": "AB2", "destination": "T1", "mode": "road"}],
        "lift": [{"id": "POOL", "type": "C-17", "mode": "air", "payload_tons": 77.0,
                  "available": 3, "sorties_per_day": 0.5, "cost_per_sortie": 0.2,
                  "entitlements": {"A": 10.0, "B": 2.5}},
                 {"id": "OWN", "mode": "road", "payload_tons": 30.0, "available": 10,
                  "owner": "A"}],
        "movements": [{"id": "M1", "member": "A", "item": "FUEL", "quantity": 100.0,
                       "destination": "T1", "origin": "D1", "rld": 0, "ald": 1, "ead": 2,
                       "lad": 5, "rdd": 9, "priority": 3},
                      {"id": "M2", "member": "A", "item": "TANK", "quantity": 2.0,
                       "destination": "T1", "rld": 0, "ald": 0, "ead": 0, "lad": 10,
                       "rdd": 19}],
    }
    return d


def test_round_trip_every_field(tmp_path: Path) -> None:
    s = scenario_from_data(every_field())
    back = round_trip(s, tmp_path)
    assert back.model_dump() == s.model_dump()
    assert back.description == s.description and back.shortfall_penalty == 0.1 + 0.2
    assert back.capabilities[1].unit == "" and back.programs[0].cost_share is not None
    assert back.logistics is not None and back.logistics.cross_servicing[1].items == []
    assert back.logistics.cross_servicing[2].items is None


def test_every_schema_field_has_a_column() -> None:
    """Each leaf field of the schema is a column, or the mapping/list of a sheet."""
    columns = {(lay.name, c.name) for lay in layouts() for c in lay.columns}
    assert ("programs", "cost_share.rule") in columns
    assert ("members", "constraints.workshare.min_ratio") in columns
    assert ("cross_servicing", "items") in columns
    assert all(len(lay.name) <= 31 for lay in layouts())
    # every field column is documented and numbers carry a unit
    for lay in layouts():
        for c in lay.columns:
            assert c.description, (lay.name, c.name)
            if c.kind == "number":
                assert c.unit != "-", (lay.name, c.name)


def test_write_is_reproducible_and_atomic(tmp_path: Path) -> None:
    s = load_scenario(DATASETS / "tutorial.yaml")
    write_scenario(s, tmp_path / "a.xlsx")
    write_scenario(s, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "b.xlsx"]


def test_template_has_every_sheet_and_notes(tmp_path: Path) -> None:
    template(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert wb.sheetnames == [README_SHEET, *(s.name for s in SHEETS)]
    for lay in layouts():
        ws = wb[lay.name]
        header = [c.value for c in ws[1]]
        assert header == [c.name for c in lay.columns]
        assert all(c.comment is not None and c.comment.text for c in ws[1])
        assert ws.freeze_panes == "A2" and ws.max_row == 1
    note = next(c.comment.text for c in wb["programs"][1] if c.value == "unit_cost")
    assert "Price of one unit" in note and "Unit:" in note and "Required" in note
    readme = [r for r in wb[README_SHEET].iter_rows(values_only=True)]
    assert any(r[:2] == ("programs", "unit_cost") for r in readme)
    # an empty template reads as a scenario with nothing in it: members are missing
    with pytest.raises(WorkbookError, match=r"sheet 'members'"):
        read_scenario(tmp_path / "t.xlsx")


# ---------------------------------------------------------------------------------------
# malformed workbooks


@pytest.fixture(scope="module")
def tutorial_xlsx(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("wb") / "tutorial.xlsx"
    write_scenario(load_scenario(DATASETS / "tutorial.yaml"), path)
    return path.read_bytes()


def edited(data: bytes, tmp_path: Path, edit: Any) -> Path:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    edit(wb)
    path = tmp_path / "bad.xlsx"
    wb.save(path)
    return path


def column(ws: Any, name: str) -> int:
    return next(c.column for c in ws[1] if c.value == name)


def set_cell(sheet: str, row: int, name: str, value: Any) -> Any:
    def edit(wb: Workbook) -> None:
        ws = wb[sheet]
        ws.cell(row, column(ws, name)).value = value
    return edit


def delete_column(sheet: str, name: str) -> Any:
    def edit(wb: Workbook) -> None:
        ws = wb[sheet]
        ws.delete_cols(column(ws, name))
    return edit


def add_column(sheet: str, name: str) -> Any:
    def edit(wb: Workbook) -> None:
        ws = wb[sheet]
        ws.cell(1, ws.max_column + 1).value = name
    return edit


CASES = [
    ("unknown sheet", lambda wb: wb.create_sheet("notes"), r"sheet 'notes'", "unknown sheet"),
    ("unknown column", add_column("programs", "colour"), r"sheet 'programs', row 1, column",
     "unknown column 'colour'"),
    ("text in a number", set_cell("programs", 3, "unit_cost", "abc"),
     r"sheet 'programs', row 3, column 'unit_cost'", "text 'abc' where a number"),
    ("date in a number", set_cell("members", 2, "gdp", dt.datetime(2026, 1, 1)),
     r"sheet 'members', row 2, column 'gdp'", "a date or time"),
    ("missing required column", delete_column("members", "gdp"),
     r"sheet 'members', row 1, column 'gdp'", "required column missing"),
    ("duplicate id", set_cell("members", 3, "id", "A"), r"sheet 'members', row 3, column 'id'",
     "duplicate id 'A'"),
    ("invalid value", set_cell("members", 2, "gdp", -5),
     r"sheet 'members', row 2, column 'gdp'", "greater than or equal to 0 (got -5)"),
    ("blank required value", set_cell("programs", 2, "unit_cost", None),
     r"sheet 'programs', row 2, column 'unit_cost'", "required"),
    ("unknown reference", set_cell("programs", 2, "capability", "nope"),
     r"sheet 'programs', row 2, column 'capability'", "unknown capability 'nope'"),
    ("unknown parent", set_cell("program_nrc", 2, "program", "ZZZ"),
     r"sheet 'program_nrc', row 2, column 'program'", "no program 'ZZZ'"),
    ("repeated key", set_cell("program_nrc", 3, "program", "MRTT"),
     r"sheet 'program_nrc', row 3, column 'year'", "given twice"),
    ("bad choice", set_cell("requirements", 2, "by_year", 1800),
     r"sheet 'requirements', row 2, column 'by_year'", "1900"),
    ("year outside the horizon", set_cell("program_nrc", 2, "year", 2031),
     r"sheet 'program_nrc', row 2, column 'year'", "outside the horizon"),
]


@pytest.mark.parametrize(("edit", "where", "what"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_malformed_workbook(tutorial_xlsx: bytes, tmp_path: Path, edit: Any, where: str,
                            what: str) -> None:
    path = edited(tutorial_xlsx, tmp_path, edit)
    with pytest.raises(WorkbookError) as info:
        load_scenario(path)  # the same loader as YAML and JSON
    message = str(info.value)
    assert "\n" not in message
    assert isinstance(info.value, ScenarioError)
    assert any(re.match(where, p.path) for p in info.value.problems), message
    assert what in message, message


def test_not_a_workbook(tmp_path: Path) -> None:
    (tmp_path / "x.xlsx").write_text("name: not a workbook")
    with pytest.raises(WorkbookError, match="not an Excel workbook"):
        read_scenario(tmp_path / "x.xlsx")
    with pytest.raises(WorkbookError, match="no such file"):
        read_scenario(tmp_path / "missing.xlsx")


def test_budget_years_named_by_member(tutorial_xlsx: bytes, tmp_path: Path) -> None:
    d = every_field()
    path = tmp_path / "e.xlsx"
    write_scenario(d, path)

    def drop_row(wb: Workbook) -> None:
        wb["budgets"].delete_rows(3)
    bad = edited(path.read_bytes(), tmp_path, drop_row)
    with pytest.raises(WorkbookError, match=r"sheet 'budgets' \(member 'A'\): no budget"):
        read_scenario(bad)


def test_gdp_key_and_weights_conflict(tmp_path: Path) -> None:
    path = tmp_path / "e.xlsx"
    write_scenario(every_field(), path)
    bad = edited(path.read_bytes(), tmp_path, set_cell("scenario", 2, "cost_share.key", "gdp"))
    with pytest.raises(WorkbookError, match=r"sheet 'cost_share_keys', row 2"):
        read_scenario(bad)


def test_user_edits_read_like_yaml(tutorial_xlsx: bytes, tmp_path: Path) -> None:
    """Columns in another order, blank rows, whole-number floats in whole-number columns,
    an id typed as a number, TRUE/FALSE as text: read as a planner means them."""
    def edit(wb: Workbook) -> None:
        ws = wb["programs"]
        ws.move_range("A1:A20", cols=ws.max_column)  # id column last
        ws.insert_rows(3)  # a blank row
        ws2 = wb["requirements"]
        ws2.cell(2, column(ws2, "by_year")).value = 2027.0
        ws3 = wb["capabilities"]
        ws3.cell(2, column(ws3, "divisible")).value = "false"
    s = read_scenario(edited(tutorial_xlsx, tmp_path, edit))
    assert s.model_dump() == load_scenario(DATASETS / "tutorial.yaml").model_dump()


# ---------------------------------------------------------------------------------------
# procure.xlsx


TEXTS = st.lists(st.characters() | st.sampled_from(
    ["\x00", "\x07", "\r", "\x1f", "\ufffe", "\uffff", "_x0041_", "_x005F_", "_x", "\ud800",
     "_X00e9_"]), max_size=30).map("".join)


@given(TEXTS)
def test_escape_round_trip(text: str) -> None:
    escaped = xlsx.escape_text(text)
    assert xlsx.unescape_text(escaped) == text
    assert not any(ord(ch) < 32 and ch not in "\t\n" for ch in escaped)


FLOATS = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(FLOATS, st.integers(-(2**63), 2**63 - 1), TEXTS), min_size=1,
                max_size=8))
def test_cells_round_trip_exactly(rows: list[tuple[float, int, str]]) -> None:
    wb = Workbook()
    ws = wb.create_sheet("s")
    for r, row in enumerate(rows, start=1):
        xlsx.put_row(ws, r, row)
    back = xlsx.open_workbook(xlsx.workbook_bytes(wb))
    got = [tuple(r) for r in back["s"].iter_rows(values_only=True)]
    back.close()
    for (f, i, t), (gf, gi, gt) in zip(rows, got, strict=True):
        assert gf == f and math.copysign(1.0, gf) == math.copysign(1.0, f)
        assert gi == i
        assert xlsx.unescape_text(gt or "") == t or (t == "" and gt is None)


def test_text_is_never_a_formula_and_too_long_is_refused() -> None:
    wb = Workbook()
    ws = wb.create_sheet("s")
    xlsx.put_row(ws, 1, ["=1+2"])
    back = xlsx.open_workbook(xlsx.workbook_bytes(wb))
    assert next(back["s"].iter_rows(values_only=True)) == ("=1+2",)
    with pytest.raises(xlsx.CellTextTooLong):
        xlsx.put_row(ws, 2, ["x" * (xlsx.MAX_CELL_CHARS + 1)])


def test_zip_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    wb = Workbook()
    data = xlsx.workbook_bytes(wb)
    monkeypatch.setattr(xlsx, "MAX_UNPACKED_BYTES", 100)
    with pytest.raises(ValueError, match="unpacks to"):
        xlsx.open_workbook(data)


def test_yaml_text_of_a_workbook_scenario_is_the_same(tmp_path: Path) -> None:
    s = scenario_from_data(copy.deepcopy(every_field()))
    write_scenario(s, tmp_path / "e.xlsx")
    save_scenario(read_scenario(tmp_path / "e.xlsx"), tmp_path / "e.yaml")
    save_scenario(s, tmp_path / "direct.yaml")
    assert yaml.safe_load((tmp_path / "e.yaml").read_text()) == yaml.safe_load(
        (tmp_path / "direct.yaml").read_text())

"""results.xlsx (procure.report.excel): a sheet per table, units in the headers, meanings
as header comments, frozen headers, exact numbers; written inside the result folder and
listed in its manifest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from procure.report.excel import CONTENTS, RESULTS_WORKBOOK, sheet_names, write_results_workbook
from procure.report.folder import read_manifest
from procure.report.write import write_results
from procure.run.tables import Column, TableSpec

SPEC = TableSpec("payments", "what one member pays in one fiscal year", (
    Column("member", "-", "member id"),
    Column("year", "fiscal year", "fiscal year"),
    Column("cost", "{currency}", "what the member pays"),
    Column("note", "-", "a remark"),
))


def tables() -> dict[str, pd.DataFrame]:
    df = pd.DataFrame({"member": ["A", "B", "C"], "year": np.array([2026, 2026, 2027]),
                       "cost": [0.1 + 0.2, np.nan, 1e300], "note": ["=1+2", None, "x\x07"]})
    long = "like_for_like_shortfall_by_capability_and_more"
    return {"payments": SPEC.frame(df, "EUR million"),
            long: SPEC.frame(df.iloc[:1], "EUR million"),
            long + "_2": SPEC.frame(None, "EUR million"),
            "undeclared": pd.DataFrame({"x": [True, False]})}


def test_sheets_are_tables_with_units(tmp_path: Path) -> None:
    t = tables()
    write_results_workbook(tmp_path / "r.xlsx", t)
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    names = sheet_names(t)
    assert wb.sheetnames == [CONTENTS, *names.values()]
    assert all(len(n) <= 31 for n in wb.sheetnames)
    assert len({n.lower() for n in wb.sheetnames}) == len(wb.sheetnames)
    ws = wb["payments"]
    assert [c.value for c in ws[1]] == ["member", "year [fiscal year]", "cost [EUR million]",
                                        "note"]
    assert ws["C1"].comment is not None and ws["C1"].comment.text == "what the member pays"
    assert ws.freeze_panes == "A2"
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("A", 2026, 0.1 + 0.2, "=1+2")  # exact, and text never a formula
    assert rows[1][2] is None  # NaN: a blank cell
    assert rows[2][2] == 1e300
    contents = list(wb[CONTENTS].iter_rows(values_only=True))
    assert contents[1] == ("payments", "payments", 3, SPEC.row)
    assert [r[2] for r in contents[1:]] == [3, 1, 0, 2]
    assert [c.value for c in wb[names["like_for_like_shortfall_by_capability_and_more_2"]][1]
            ][2] == "cost [EUR million]"


def test_sheet_names_unique_and_short() -> None:
    names = sheet_names(["a" * 40, "a" * 41, "A" * 40, "contents", "x:y/z"])
    assert len(set(n.lower() for n in names.values())) == 5
    assert all(len(n) <= 31 for n in names.values())
    assert names["x:y/z"] == "x_y_z" and names["contents"] != "contents"


def test_results_folder_lists_the_workbook(tmp_path: Path) -> None:
    t = {"payments": tables()["payments"]}
    out = write_results(tmp_path / "res", {"seed": 1}, t, excel=True)
    assert RESULTS_WORKBOOK in {f.name for f in read_manifest(out).files}
    again = write_results(tmp_path / "res2", {"seed": 1}, t, excel=True)
    assert (out / RESULTS_WORKBOOK).read_bytes() == (again / RESULTS_WORKBOOK).read_bytes()
    plain = write_results(tmp_path / "res3", {"seed": 1}, t)
    assert not (plain / RESULTS_WORKBOOK).exists()

"""The Excel commands: ``procure template``, ``procure convert``, and scenario workbooks
read by ``solve``/``validate`` (exit 2 naming sheet, row and column when malformed);
``solve --out`` writes results.xlsx."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from conftest import DATASETS

from procure.io import load_scenario
from procure.workbook import SHEETS

from .test_cli import run, run_process


def test_template(tmp_path: Path) -> None:
    path = tmp_path / "scenario.xlsx"
    r = run("template", str(path))
    assert r.returncode == 0, r.stderr
    assert openpyxl.load_workbook(path).sheetnames[1:] == [s.name for s in SHEETS]
    before = path.read_bytes()
    r = run("template", str(path))
    assert r.returncode == 2 and "--force" in r.stderr and path.read_bytes() == before
    assert run("template", str(path), "--force").returncode == 0
    r = run("template", str(tmp_path / "scenario.yaml"))
    assert r.returncode == 2 and ".xlsx" in r.stderr
    r = run("template", str(tmp_path / "no" / "such" / "folder.xlsx"))
    assert r.returncode == 2 and not (tmp_path / "no").exists()


def test_convert_round_trip(tmp_path: Path) -> None:
    for name in ("tutorial.yaml", "reinforcement.yaml"):
        src = DATASETS / name
        xlsx = tmp_path / f"{src.stem}.xlsx"
        assert run("convert", str(src), str(xlsx)).returncode == 0
        back = tmp_path / f"{src.stem}.json"
        assert run("convert", str(xlsx), str(back)).returncode == 0
        assert load_scenario(back).model_dump() == load_scenario(src).model_dump()
    r = run("convert", str(DATASETS / "tutorial.yaml"), str(tmp_path / "tutorial.xlsx"))
    assert r.returncode == 2 and "exists" in r.stderr
    r = run("convert", str(DATASETS / "tutorial.yaml"), str(tmp_path / "t.txt"))
    assert r.returncode == 2
    r = run("convert", str(tmp_path / "missing.yaml"), str(tmp_path / "m.xlsx"))
    assert r.returncode == 2 and not (tmp_path / "m.xlsx").exists()


def test_solve_workbook_same_as_yaml(tmp_path: Path) -> None:
    xlsx = tmp_path / "tutorial.xlsx"
    assert run("convert", str(DATASETS / "tutorial.yaml"), str(xlsx)).returncode == 0
    assert run("validate", str(xlsx)).returncode == 0
    outs = {}
    for src, out in ((xlsx, tmp_path / "from_xlsx"), (DATASETS / "tutorial.yaml",
                                                      tmp_path / "from_yaml")):
        r = run("solve", str(src), "--out", str(out), "--time-limit", "60")
        assert r.returncode == 0, r.stderr
        outs[out.name] = json.loads((out / "summary.json").read_text())["procurement"]
    a, b = outs["from_xlsx"], outs["from_yaml"]
    assert a["joint"]["status"] == "optimal" and a["joint"]["feasible_by_evaluator"] is True
    assert a["joint"]["objective"] == b["joint"]["objective"]
    assert a["comparison"] == b["comparison"]
    wb = openpyxl.load_workbook(tmp_path / "from_xlsx" / "results.xlsx", read_only=True)
    assert "purchases" in wb.sheetnames and "member_costs" in wb.sheetnames
    header = next(wb["payments"].iter_rows(max_row=1, values_only=True))
    assert any("[EUR million]" in str(h) for h in header)
    wb.close()


def test_malformed_workbook_is_exit_2_naming_the_cell(tmp_path: Path) -> None:
    xlsx = tmp_path / "tutorial.xlsx"
    assert run("convert", str(DATASETS / "tutorial.yaml"), str(xlsx)).returncode == 0
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["programs"]
    col = next(c.column for c in ws[1] if c.value == "unit_cost")
    ws.cell(4, col).value = "cheap"
    wb.save(xlsx)
    out = tmp_path / "res"
    p = run_process("solve", str(xlsx), "--out", str(out))
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    assert "sheet 'programs', row 4, column 'unit_cost'" in lines[0]
    assert "'cheap'" in lines[0]
    assert not out.exists()
    r = run("validate", str(xlsx))
    assert r.returncode == 2 and "sheet 'programs', row 4" in r.stderr

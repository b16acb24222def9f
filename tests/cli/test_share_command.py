"""``procure share FILE [--rule R] [--out DIR]`` and ``procure solve FILE --share R``:
the chosen rule's columns, the written tables with their data dictionary, the solve
report's sharing section, and bad options (exit 2, one line, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATASETS
from typer.testing import CliRunner

from procure.cli import app

TUTORIAL = str(DATASETS / "tutorial.yaml")


def test_share_writes_the_rule_s_tables(tmp_path: Path) -> None:
    out = tmp_path / "shares"
    r = CliRunner().invoke(app, ["share", TUTORIAL, "--rule", "nucleolus", "--out", str(out),
                                 "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert "Under the nucleolus rule" in r.output and "core non-empty: yes" in r.output
    shares = pd.read_csv(out / "shares.csv")
    assert (shares.rule == "nucleolus").all()
    assert shares.allocated.tolist() == pytest.approx(shares.nucleolus.tolist())
    assert shares.allocated.sum() == pytest.approx(1295.0)
    sched = pd.read_parquet(out / "payment_schedule.parquet")
    assert sched.groupby("member", sort=False).payment.sum().tolist() == pytest.approx(
        shares.allocated.tolist())
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rule"] == "nucleolus" and summary["in_core"] == "yes"
    cols = pd.read_csv(out / "columns.csv")
    assert {"shares", "payment_schedule"} <= set(cols.table)
    assert (out / "procure-result.json").is_file()


def test_solve_share_adds_the_sharing_section(tmp_path: Path) -> None:
    out = tmp_path / "run"
    r = CliRunner().invoke(app, ["solve", TUTORIAL, "--share", "shapley", "--out", str(out),
                                 "--time-limit", "120"])
    assert r.exit_code == 0, r.output
    assert "What each member pays" in r.output and "Under the shapley rule" in r.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["sharing"]["rule"] == "shapley"
    assert summary["sharing"]["grand_cost"] == pytest.approx(1295.0)
    assert (out / "shares.csv").is_file() and (out / "purchases.csv").is_file()


@pytest.mark.parametrize("argv", [["share", TUTORIAL, "--rule", "fair"],
                                  ["solve", TUTORIAL, "--share", "fair"]])
def test_an_unknown_rule_is_one_line_and_exit_2(argv: list[str], tmp_path: Path) -> None:
    out = tmp_path / "never"
    r = CliRunner().invoke(app, [*argv, "--out", str(out)])
    assert r.exit_code == 2
    assert "'fair' is not one of shapley, nucleolus" in r.output
    assert "Traceback" not in r.output and not out.exists()

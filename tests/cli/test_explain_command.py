"""``procure explain FILE --prices --why-not P[:M] --out DIR``: the lines a planner reads,
the tables written with their units, and bad questions (exit 2, one line naming the
value). The scenario is tests/explain/test_prices.py's, with FR's AMD sovereign."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from explain.test_prices import alliance
from typer.testing import CliRunner

from procure.cli import app


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "sovereign.json"
    path.write_text(json.dumps(alliance({"sovereign": ["AMD"]}).model_dump(mode="json")))
    return path


def test_prices_and_why_not(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "explained"
    r = CliRunner().invoke(app, ["explain", str(scenario), "--prices", "--why-not", "JOINT",
                                 "--why-not", "JOINT:FR", "--workers", "1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "What each national constraint costs the alliance" in text
    assert ("FR sovereign AMD: costs the alliance 80.0 EUR million; FR's own share of that: "
            "30.0") in text
    assert "JOINT is already in the optimal plan: forcing it costs nothing" in text
    assert ("JOINT with FR cannot be forced: AMD is sovereign for FR, and JOINT is led by DE "
            "and not produced in FR") in text
    prices = pd.read_csv(out / "constraint_prices.csv")
    assert prices[["member", "rule", "subject"]].values.tolist() == [
        ["FR", "sovereign", "AMD"]]
    assert prices.price.tolist() == pytest.approx([80.0])
    assert prices.member_share_of_price.tolist() == pytest.approx([30.0])
    wn = pd.read_csv(out / "why_not.csv", keep_default_na=False)
    assert wn.verdict.tolist() == ["already in the plan", "cannot be forced"]
    cols = pd.read_csv(out / "columns.csv")
    units = cols.set_index(["table", "column"]).unit
    assert units["constraint_prices", "price"] == "EUR million"
    assert units["why_not", "price"] == "EUR million"


def test_why_not_a_program_outside_the_plan(tmp_path: Path) -> None:
    path = tmp_path / "free.json"
    path.write_text(json.dumps(alliance().model_dump(mode="json")))
    r = CliRunner().invoke(app, ["explain", str(path), "--why-not", "NAT:FR",
                                 "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert ("forcing NAT with FR costs the alliance 62.0 EUR million more (FR's own extra "
            "payment: 62.0); adds NAT") in " ".join(r.output.split())


@pytest.mark.parametrize(("question", "message"), [
    ("NOPE", "--why-not: program 'NOPE' is not in the scenario"),
    ("NAT:XX", "--why-not: member 'XX' is not in the scenario"),
    ("NAT:", "--why-not: 'NAT:' is not PROGRAM or PROGRAM:MEMBER"),
])
def test_bad_question_exits_2_naming_it(scenario: Path, tmp_path: Path, question: str,
                                        message: str) -> None:
    out = tmp_path / "never"
    r = CliRunner().invoke(app, ["explain", str(scenario), "--why-not", question,
                                 "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert r.output.strip().splitlines() == [f"error: {message}"]
    assert not out.exists()

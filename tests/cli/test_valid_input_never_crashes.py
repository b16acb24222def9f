"""Valid scenarios that once crashed after a full solve (exit 1, 'internal error'): each
must now solve, print and write its results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DATASETS, REPO
from typer.testing import CliRunner

from procure.cli import app


def solve(tmp_path: Path, doc: dict[str, Any], *extra: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    r = CliRunner().invoke(app, ["solve", str(path), "--out", str(tmp_path / "out"), *extra])
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert (tmp_path / "out" / "summary.json").is_file()
    return r.stdout


def tutorial() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((DATASETS / "tutorial.yaml").read_text())
    return doc


def test_no_requirements(tmp_path: Path) -> None:
    """Nothing required: every plan costs 0, going alone too (no percentage of 0)."""
    doc = tutorial()
    doc["requirements"] = []
    out = solve(tmp_path, doc)
    assert "Savings vs going alone" in out and "%" not in out.split("Savings")[1].split("\n")[0]


@pytest.mark.parametrize(("field", "text"), [("currency", "[/]"), ("name", "Plan [draft]"),
                                             ("name", "[bold red]x[/bold red] \u202e")])
def test_markup_in_user_text_is_printed_as_written(tmp_path: Path, field: str,
                                                    text: str) -> None:
    doc = tutorial()
    doc[field] = text
    out = solve(tmp_path, doc)
    assert text.split(" ")[0] in out


def _reinforcement() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((REPO / "procure" / "data" /
                                          "reinforcement.yaml").read_text())
    return doc


def test_a_movement_plan_that_moves_nothing(tmp_path: Path) -> None:
    doc = _reinforcement()
    doc["logistics"]["links"] = []
    out = solve(tmp_path, doc, "--time-limit", "30")
    assert "movement plan" in out


def test_reinforcement_on_scip_at_a_short_limit(tmp_path: Path) -> None:
    pytest.importorskip("ortools")
    out = solve(tmp_path, _reinforcement(), "--solver", "scip", "--time-limit", "5")
    assert "movement plan" in out

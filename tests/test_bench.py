"""The benchmark suite's smoke profile runs end to end, and its references are sound."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from procure.backends import SolveOptions
from procure.backends.registry import available_backends, get_backend
from procure.bench.measure import build_ours, scenario_for
from procure.bench.references import floor_handoff, pulp_build, pulp_data, pulp_handoff
from procure.bench.report import geomean, render_markdown, why_missed
from procure.bench.suite import fit_exponent, run_suite
from procure.cli import app


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench")
    results = run_suite("smoke", out, log=lambda _: None)
    return out, results


def test_smoke_writes_both_files(smoke: tuple[Path, dict[str, Any]]) -> None:
    out, results = smoke
    on_disk = json.loads((out / "results.json").read_text())
    assert on_disk["profile"]["name"] == "smoke"
    md = (out / "RESULTS.md").read_text()
    assert md == render_markdown(on_disk)
    for heading in ("## Targets", "## 1. Build", "## 2. Backends side by side",
                    "## 5. LP relaxation"):
        assert heading in md
    assert results["machine"]["cores"] >= 1
    assert not list(out.glob(".*.tmp"))


def test_smoke_build_rows_compare_the_same_matrix(smoke: tuple[Path, dict[str, Any]]) -> None:
    _, results = smoke
    for kind in ("procurement", "logistics"):
        (row,) = results["build"][kind]["rows"]
        ours, floor, pulp = row["ours"], row["floor"], row["pulp"]
        assert ours["nnz"] == floor["nnz"] == pulp["nnz"] > 1000
        assert ours["total"] == pytest.approx(ours["compile"] + ours["build"] + ours["handoff"])
        assert row["ours_over_floor"] == pytest.approx(ours["total"] / floor["total"])
        assert row["pulp_over_ours"] > 1.0  # PuLP builds one Python object per nonzero
        assert ours["peak_mib"] >= 0 and pulp["peak_mib"] > 0


def test_smoke_solves_every_backend(smoke: tuple[Path, dict[str, Any]]) -> None:
    _, results = smoke
    rows = results["solve"]
    for kind in ("procurement", "logistics"):
        assert {r["backend"] for r in rows if r["kind"] == kind} == set(available_backends())
    for r in rows:
        assert "error" not in r, r
        if r["status"] in ("optimal", "feasible"):
            assert r["evaluator_ok"] is True, r
        if r["status"] == "optimal":
            assert r["gap"] is not None and r["gap"] <= 1e-6


def test_smoke_orlib_and_lp_methods(smoke: tuple[Path, dict[str, Any]]) -> None:
    _, results = smoke
    if "orlib" in results["sections"]:
        (cap41,) = results["orlib"]
        assert cap41["ours"]["rel_err"] <= 1e-6 and cap41["direct"]["rel_err"] <= 1e-6
        assert cap41["ours"]["evaluator_ok"] is True
        (link,) = results["linking"]
        assert link["strong"]["rel_err"] <= 1e-6 and link["weak"]["rel_err"] <= 1e-6
        assert link["strong"]["rows"] > link["weak"]["rows"]
    simplex = [r["objective"] for r in results["lp"]
               if r["status"] == "optimal" and "simplex" in r["method"]]
    assert len(simplex) >= 2
    assert max(simplex) - min(simplex) <= 1e-6 * max(1.0, abs(min(simplex)))


@pytest.mark.parametrize("kind", ["procurement", "logistics"])
def test_references_hold_the_same_model(kind: str) -> None:
    """PuLP's model and the floor's reach the product's own optimum (LP relaxation)."""
    from dataclasses import replace

    import numpy as np

    _, _, model = build_ours(kind, scenario_for(kind, "xs"))  # type: ignore[arg-type]
    lp = replace(model, integrality=np.zeros(model.num_cols, dtype=np.bool_))
    ours = get_backend("highs").solve(lp, SolveOptions())
    assert ours.objective is not None
    for h in (floor_handoff(lp), pulp_handoff(pulp_build(pulp_data(lp)))):
        h.setOptionValue("output_flag", False)
        h.run()
        value = h.getInfo().objective_function_value
        assert value == pytest.approx(ours.objective, rel=1e-7, abs=1e-6)


def test_fit_exponent_and_geomean() -> None:
    nnz = [1e4, 1e5, 1e6]
    assert fit_exponent(nnz, [2e-3 * n**1.1 for n in nnz]) == pytest.approx(1.1)
    assert fit_exponent([1e5], [1.0]) is None
    assert geomean([1.0, 4.0]) == pytest.approx(2.0)
    assert geomean([]) is None
    assert math.isfinite(fit_exponent(nnz, [1.0, 1.0, 1.0]) or 0.0)


def test_cli_rejects_unknown_profile_and_section(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["bench", "--profile", "huge", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "--profile" in res.output
    res = runner.invoke(app, ["bench", "--only", "build,nope", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "nope" in res.output
    assert not list(tmp_path.iterdir())


def test_render_rewrites_the_report_from_saved_results(
        smoke: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, _ = smoke
    runner = CliRunner()
    res = runner.invoke(app, ["bench", "--render", str(out / "results.json"),
                              "--out", str(tmp_path / "again")])
    assert res.exit_code == 0, res.output
    saved = json.loads((out / "results.json").read_text())
    assert (tmp_path / "again" / "RESULTS.md").read_text() == render_markdown(saved)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    res = runner.invoke(app, ["bench", "--render", str(bad), "--out", str(tmp_path / "no")])
    assert res.exit_code == 2 and "--render" in res.output
    assert not (tmp_path / "no").exists()


def _orlib_row(ours: float, direct: float) -> dict[str, Any]:
    return {"instance": "capX",
            "direct": {"parse": 0.001, "build": 0.001, "solve": direct - 0.002, "total": direct},
            "ours": {"load": 0.002, "build": 0.003, "solve": ours - 0.005, "total": ours}}


def test_why_missed_names_only_the_missed_targets() -> None:
    hard = [{"instance": "h", "contender": "plain-weak", "status": "optimal", "time": 60.0},
            {"instance": "h", "contender": "plain-strong", "status": "optimal", "time": 120.0},
            {"instance": "h", "contender": "ours", "status": "optimal", "time": 90.0,
             "message": "start heuristic (1 s): 80 of 200 candidate launches: too many for a "
                        "restricted MIP, no start"}]
    missed = why_missed({"orlib": [_orlib_row(0.030, 0.015)], "hard": hard,
                         "profile": {"lp_limit": 180.0},
                         "lp": [{"method": "ipm", "status": "optimal", "seconds": 150.0}]})
    text = "\n".join(missed)
    assert len(missed) == 3
    assert "OR-Library (2x against 1.2x)" in text and "solving 25 ms against 13 ms" in text
    assert "plain weak model (60.0 s) beats the plain strong one (120.0 s)" in text
    assert "start heuristic declined" in text
    assert "fastest `ipm` 150.0 s against 120 s" in text
    met = why_missed({"orlib": [_orlib_row(0.011, 0.010)],
                      "hard": [{**hard[0]}, {**hard[2], "time": 30.0}],
                      "lp": [{"method": "ipm", "status": "optimal", "seconds": 100.0}]})
    assert met == []

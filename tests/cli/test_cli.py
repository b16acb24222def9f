"""The command line: exit codes, messages naming the field, nothing written on bad input.

Most tests call the app in-process through typer's ``CliRunner`` (:func:`run`); a few
run ``python -m procure.cli`` end to end in a subprocess (:func:`run_process`), where the
entry point's own handling (exit codes from the framework, no traceback) is the point.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import DATASETS
from typer.testing import CliRunner

from procure.cli import app


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str) -> Ran:
    """The app in-process; an exception that escapes it fails the test (the real entry
    point would have turned it into 'internal error', which is a bug all the same)."""
    r = CliRunner().invoke(app, list(args))
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return Ran(r.exit_code, r.stdout, r.stderr)


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "procure.cli", *args], capture_output=True,
                          text=True, check=False, timeout=600)


def test_solve_tutorial_writes_results(tmp_path: Path) -> None:
    """End to end, in a subprocess."""
    out = tmp_path / "res"
    p = run_process("solve", str(DATASETS / "tutorial.yaml"), "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "Savings vs going alone" in p.stdout and "350 EUR million" in p.stdout
    summary = json.loads((out / "summary.json").read_text())["procurement"]
    assert summary["joint"]["status"] == "optimal"
    assert summary["comparison"]["savings"] == pytest.approx(350.0)
    assert summary["joint"]["feasible_by_evaluator"] is True
    for name in ("purchases", "payments", "launches", "shortfalls", "member_costs",
                 "duplication", "alone_purchases"):
        assert (out / f"{name}.csv").is_file()
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


def test_validate_and_schema() -> None:
    p = run("validate", str(DATASETS / "tutorial.yaml"))
    assert p.returncode == 0 and "valid" in p.stdout
    p = run("schema")
    assert p.returncode == 0
    assert json.loads(p.stdout)["title"] == "Scenario"


BAD = {
    "malformed.yaml": ("name: [unclosed\n", "malformed YAML"),
    "unknown_id.yaml": None,  # built from the tutorial below
    "negative.yaml": None,
    "nan.yaml": None,
    "wrong_type.yaml": None,
}


def _tutorial_with(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = (DATASETS / "tutorial.yaml").read_text()
    assert old in text
    p = tmp_path / name
    p.write_text(text.replace(old, new, 1))
    return p


@pytest.mark.parametrize(
    ("name", "old", "new", "needle"),
    [
        ("unknown_id.yaml", "capability: tanker\n    lead: A", "capability: tankers\n    lead: A",
         "programs[0] (id 'MRTT').capability: unknown capability 'tankers'"),
        ("negative.yaml", "unit_cost: 100", "unit_cost: -100", "programs[0].unit_cost"),
        ("nan.yaml", "unit_cost: 100", "unit_cost: .nan", "programs[0].unit_cost"),
        ("wrong_type.yaml", "unit_cost: 100", "unit_cost: lots", "programs[0].unit_cost"),
        ("extra.yaml", "unit_cost: 100", "unit_cost: 100\n    colour: red", "programs[0].colour"),
        ("year.yaml", "by_year: 2027}", "by_year: 2031}", "requirements[0].by_year"),
        ("alias.yaml", "name: tutorial", "name: &n tutorial\ndescription2: *n",
         "are not allowed"),
    ],
)
def test_bad_input_exit_2_names_field_writes_nothing(tmp_path: Path, name: str, old: str,
                                                     new: str, needle: str) -> None:
    path = _tutorial_with(tmp_path, name, old, new)
    out = tmp_path / "out"
    for cmd in (["solve", str(path), "--out", str(out)], ["validate", str(path)]):
        p = run(*cmd)
        assert p.returncode == 2, (p.stdout, p.stderr)
        assert needle in p.stderr
        assert "Traceback" not in p.stderr + p.stdout
    assert not out.exists()
    assert sorted(x.name for x in tmp_path.iterdir()) == [name]


def test_malformed_yaml_and_missing_file(tmp_path: Path) -> None:
    """End to end, in a subprocess."""
    bad = tmp_path / "m.yaml"
    bad.write_text("name: [unclosed\n")
    p = run_process("solve", str(bad), "--out", str(tmp_path / "o"))
    assert p.returncode == 2 and "malformed YAML" in p.stderr
    p = run_process("solve", str(tmp_path / "none.yaml"))
    assert p.returncode == 2 and "no such file" in p.stderr
    assert not (tmp_path / "o").exists()


def test_bad_options(tmp_path: Path) -> None:
    """End to end, in a subprocess: the framework's usage errors exit 2 too."""
    p = run_process("solve", str(DATASETS / "tutorial.yaml"), "--solver", "gurobi")
    assert p.returncode == 2 and "--solver" in p.stderr
    p = run_process("solve", str(DATASETS / "tutorial.yaml"), "--threads", "0")
    assert p.returncode == 2 and "Traceback" not in p.stderr


def test_strict_infeasible_exit_3(tmp_path: Path) -> None:
    # C is sovereign on ammo; remove its national program: strict cannot meet C's need
    text = (DATASETS / "tutorial.yaml").read_text()
    text = text.replace("  - {id: C-AMMO, capability: ammo, lead: C, eligible: [C], "
                        "nrc: {2026: 30}, unit_cost: 5}\n", "")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    p = run("solve", str(path), "--strict", "--out", str(tmp_path / "o"))
    assert p.returncode == 3, p.stderr
    assert "infeasible" in p.stderr
    assert not (tmp_path / "o").exists()
    p = run("solve", str(path))  # elastic: solved, shortfall named
    assert p.returncode == 0
    assert "Shortfalls (joint)" in p.stdout and "ammo" in p.stdout


def test_solve_logistics_scenario(tmp_path: Path) -> None:
    """A logistics-only scenario: the movement plan, its summary and tables."""
    import yaml

    doc = {
        "name": "lift", "horizon": {"first_year": 2026, "last_year": 2026},
        "members": [{"id": "A", "gdp": 1}],
        "logistics": {
            "horizon_days": 6,
            "locations": [{"id": "D", "host": "A", "lat": 50, "lon": 5, "kind": "depot"},
                          {"id": "T", "host": "A", "lat": 54, "lon": 20, "kind": "theatre"}],
            "basing_rights": [{"member": "A", "location": "D"}, {"member": "A", "location": "T"}],
            "items": [{"id": "x", "unit_tons": 10}],
            "stocks": [{"owner": "A", "location": "D", "item": "x", "quantity": 2}],
            "links": [{"origin": "D", "destination": "T", "mode": "rail", "transit_days": 2}],
            "lift": [{"id": "train", "mode": "rail", "payload_tons": 10, "available": 1}],
            "movements": [{"id": "m", "member": "A", "item": "x", "quantity": 3,
                           "destination": "T", "rld": 0, "ald": 0, "ead": 0, "lad": 2,
                           "rdd": 5}],
        },
    }
    path = tmp_path / "lift.yaml"
    path.write_text(yaml.safe_dump(doc))
    out = tmp_path / "res"
    p = run("solve", str(path), "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "movement plan" in p.stdout and "bottlenecks" in p.stdout
    summary = json.loads((out / "summary.json").read_text())["logistics"]
    assert summary["status"] == "optimal" and summary["feasible_by_evaluator"] is True
    # 3 needed, 2 in stock, and the one train (busy 4 days per 2-day trip) runs once
    # before RDD 5: 1 unit delivered, 20 t short
    assert summary["metrics"]["short_tons"] == pytest.approx(20.0)
    assert "train" in p.stdout
    for name in ("moves", "sorties", "draws", "deliveries", "closure", "utilisation",
                 "bottlenecks"):
        assert (out / f"movement_{name}.csv").is_file()


def test_bad_logistics_input_exit_2(tmp_path: Path) -> None:
    """A movement window out of order: exit 2, the field and values named, nothing written."""
    import yaml

    doc = {
        "name": "bad", "horizon": {"first_year": 2026, "last_year": 2026},
        "members": [{"id": "A", "gdp": 1}],
        "logistics": {
            "horizon_days": 6,
            "locations": [{"id": "D", "host": "A", "lat": 50, "lon": 5, "kind": "depot"}],
            "items": [{"id": "x", "unit_tons": 1}],
            "movements": [{"id": "m", "member": "A", "item": "x", "quantity": 1,
                           "destination": "D", "rld": 0, "ald": 3, "ead": 1, "lad": 2,
                           "rdd": 5}],
        },
    }
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    p = run("solve", str(path), "--out", str(tmp_path / "o"))
    assert p.returncode == 2
    assert "logistics.movements[0]" in p.stderr and "ald=3" in p.stderr
    assert "Traceback" not in p.stderr
    assert not (tmp_path / "o").exists()


def test_results_folder_has_a_data_dictionary(tmp_path: Path) -> None:
    """Every written column has a unit and a meaning in columns.csv."""
    import pandas as pd

    out = tmp_path / "res"
    p = run("solve", str(DATASETS / "tutorial.yaml"), "--out", str(out))
    assert p.returncode == 0, p.stderr
    cols = pd.read_csv(out / "columns.csv", keep_default_na=False)
    tables = {f.stem for f in out.glob("*.csv")} - {"columns"}
    assert set(cols.table) == tables
    for name in tables:
        header = list(pd.read_csv(out / f"{name}.csv", nrows=0).columns)
        assert header == cols[cols.table == name].column.tolist(), name
    assert (cols.unit != "").all() and (cols.meaning != "").all()
    assert set(cols[cols.column == "total"].unit) == {"EUR million"}


@pytest.mark.parametrize("scenario", ["tutorial.yaml", "reinforcement.yaml"])
def test_same_input_seed_threads_give_a_byte_identical_folder(tmp_path: Path,
                                                               scenario: str) -> None:
    """Everything but run.json (timings, timestamps) and the manifest's creation time is
    byte-identical between two runs of the same input, seed and threads."""
    import hashlib

    def digest(folder: Path) -> dict[str, str]:
        return {f.name: hashlib.sha256(f.read_bytes()).hexdigest()
                for f in sorted(folder.iterdir())
                if f.name not in ("run.json", "procure-result.json")}

    runs = []
    for name in ("a", "b"):
        p = run("solve", str(DATASETS / scenario), "--seed", "3", "--threads", "1",
                "--time-limit", "120", "--out", str(tmp_path / name))
        assert p.returncode == 0, p.stderr
        runs.append(digest(tmp_path / name))
    assert runs[0] == runs[1]
    assert "summary.json" in runs[0] and len(runs[0]) > 5
    timings = json.loads((tmp_path / "a" / "run.json").read_text())
    assert timings and "timings" in json.dumps(timings)


def test_a_model_out_of_solver_range_is_exit_2_naming_the_fields(tmp_path: Path) -> None:
    """Every field valid, but the derived shortfall penalty (1e21) beyond what HiGHS
    takes: exit 2 before any solve, the fields named, nothing written."""
    doc = {"name": "big", "horizon": {"first_year": 2026, "last_year": 2027},
           "members": [{"id": "A", "gdp": 1}], "capabilities": [{"id": "C"}],
           "programs": [{"id": "P", "capability": "C", "lead": "A", "nrc": {2026: 1e12},
                         "unit_cost": 1e12}],
           "requirements": [{"member": "A", "capability": "C", "quantity": 1e9,
                             "by_year": 2027}]}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc))
    r = run("solve", str(path), "--out", str(tmp_path / "res"))
    assert r.returncode == 2
    assert "shortfall_penalty" in r.stderr and "infinite_cost" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.json"]


def test_the_baseline_is_optional_and_off_for_facility_location(tmp_path: Path) -> None:
    """--no-baseline solves the joint plan alone and says why there is no comparison; an
    imported facility-location instance has no baseline unless --baseline."""
    from conftest import orlib_dir

    d = tmp_path / "alliance"
    r = run("solve", str(DATASETS / "tutorial.yaml"), "--no-baseline", "--out", str(d))
    assert r.returncode == 0, r.stderr
    assert "No comparison with going alone: not asked for." in " ".join(r.stdout.split())
    summary = json.loads((d / "summary.json").read_text())
    assert set(summary["procurement"]) == {"joint", "comparison"}
    assert summary["procurement"]["comparison"]["alone_status"] == "not run"
    assert not (d / "alone_purchases.csv").exists() and (d / "purchases.csv").exists()
    page = tmp_path / "report.html"
    r = run("report", str(d), "-o", str(page))
    assert r.returncode == 0, r.stderr
    assert "joint plan" in page.read_text()
    assert "Duplication before and after" not in page.read_text()  # no "before" to show

    scenario = tmp_path / "cap41.yaml"
    r = run("import", "orlib-cflp", str(orlib_dir() / "cap41.txt"), "-o", str(scenario))
    assert r.returncode == 0, r.stderr
    r = run("solve", str(scenario))
    assert r.returncode == 0, r.stderr
    assert "not run by default for a facility-location scenario" in " ".join(r.stdout.split())
    assert "procurement/alone" not in r.stderr
    r = run("solve", str(scenario), "--baseline")
    assert r.returncode == 0, r.stderr
    assert "joint plan vs going alone" in r.stdout

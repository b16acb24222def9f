"""The explanations on the command line (models/explain.md): ``solve --strict`` names the
rules that cannot all hold in its one-line error; ``explain`` prints them, why each
shortfall, and the marginal values, and writes them with ``--out``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from explain.test_conflicts import scenario as conflict_scenario
from typer.testing import CliRunner

from procure.cli import app
from procure.io import save_scenario

CONFLICT = ("PL budget 2027 (600 EUR million) + program AMD_LR_PATRIOT capacity 3 fire "
            "unit per year + requirement PL/AMD_LR: 6 fire unit by 2028")


def write_scenario(tmp_path: Path, *, budget_2027: float = 600.0) -> Path:
    """The conflict scenario of tests/explain/test_conflicts.py as a YAML file: PL needs 6
    fire units of AMD_LR by 2028 from one program (500 per unit, 3 a year from 2027);
    its 2027 budget buys ``budget_2027 / 500`` of them."""
    path = tmp_path / "conflict.yaml"
    save_scenario(conflict_scenario(budget_2027=budget_2027), path)
    return path


def invoke(*args: str) -> Any:
    r = CliRunner().invoke(app, list(args))
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r


def test_solve_strict_names_the_conflicting_rules_in_one_line(tmp_path: Path) -> None:
    r = invoke("solve", str(write_scenario(tmp_path)), "--strict")
    assert r.exit_code == 3
    line = next(x for x in r.stderr.splitlines() if "infeasible" in x)
    head, _, rules = line.partition("these rules cannot all hold: ")
    assert "strict" in head and sorted(rules.split(" + ")) == sorted(CONFLICT.split(" + "))
    assert "Traceback" not in r.stdout + r.stderr


def test_explain_strict_prints_and_writes_the_rules(tmp_path: Path) -> None:
    out = tmp_path / "why"
    r = invoke("explain", str(write_scenario(tmp_path)), "--strict", "--out", str(out))
    assert r.exit_code == 0, r.stdout + r.stderr
    text = " ".join(r.stdout.split())
    for rule in CONFLICT.split(" + "):
        assert rule in text
    conflicts = pd.read_csv(out / "conflicts.csv")
    assert sorted(conflicts["kind"]) == ["budget", "capacity", "requirement"]
    # relaxed alone, each rule's least change removes the conflict (900 money, 2 units)
    assert sorted(conflicts["relax_alone"]) == [2.0, 2.0, 900.0]
    # elastic mode: the same rules explain the shortfall of 2 units
    reasons = pd.read_csv(out / "shortfall_reasons.csv")
    assert set(reasons["kind"]) >= {"budget", "capacity"}
    columns = pd.read_csv(out / "columns.csv")
    assert {"conflicts", "shortfall_reasons"} <= set(columns["table"])


def test_explain_a_feasible_scenario_prints_marginal_values(tmp_path: Path) -> None:
    out = tmp_path / "why"
    r = invoke("explain", str(write_scenario(tmp_path, budget_2027=5000)), "--strict",
               "--out", str(out))
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "nothing conflicts" in r.stdout
    values = pd.read_csv(out / "marginal_values.csv")
    assert not values.empty
    assert {"saving_per_unit", "limit_unit", "penalty_per_unit"} <= set(values.columns)


def test_a_malformed_why_not_question_is_refused_before_any_solve(tmp_path: Path) -> None:
    r = invoke("explain", str(write_scenario(tmp_path)), "--why-not", "AMD_LR_PATRIOT:")
    assert r.exit_code == 2
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "--why-not" in lines[0] and "AMD_LR_PATRIOT:" in lines[0]


def test_a_short_movement_is_explained_by_the_missing_right(tmp_path: Path) -> None:
    """A holds its cargo at its own depot D but has no right there (the validator warns):
    the solve names the right as why the movement is short, and writes the reason."""
    leg = {"mode": "road", "transit_days": 1, "cost_per_ton": 1}
    data = {"name": "no-right", "horizon": {"first_year": 2026, "last_year": 2026},
            "members": [{"id": "A", "gdp": 1}],
            "logistics": {
                "horizon_days": 12,
                "locations": [{"id": v, "host": "A", "lat": 50.0, "lon": float(i),
                               "kind": k} for i, (v, k) in enumerate(
                                   [("D", "depot"), ("P", "seaport"), ("T", "theatre")])],
                "basing_rights": [{"member": "A", "location": "P"},
                                  {"member": "A", "location": "T"}],
                "items": [{"id": "x", "unit_tons": 10}],
                "stocks": [{"owner": "A", "location": "D", "item": "x", "quantity": 5}],
                "links": [{"origin": "D", "destination": "P", **leg},
                          {"origin": "P", "destination": "T", **leg}],
                "movements": [{"id": "m1", "member": "A", "item": "x", "quantity": 3,
                               "destination": "T", "rld": 0, "ald": 0, "ead": 0,
                               "lad": 9, "rdd": 9}]}}
    path = tmp_path / "moves.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "res"
    r = invoke("solve", str(path), "--out", str(out))
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "A has no transit or storage right at D" in r.stdout
    reasons = pd.read_csv(out / "movement_shortfall_reasons.csv")
    assert reasons[["movement", "kind", "location", "irreducible"]].values.tolist() == [
        ["m1", "rights", "D", "yes"]]
    r = invoke("explain", str(path), "--strict")
    assert r.exit_code == 2 and "no programs and requirements" in r.stderr

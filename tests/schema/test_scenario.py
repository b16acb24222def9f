"""Validation at the boundary: every kind of bad input is refused with the field named."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DATASETS, REPO

from procure.errors import ScenarioError
from procure.io import MAX_BYTES, load_scenario, save_scenario, scenario_from_data
from procure.schema.export import schema_text


@pytest.fixture
def data() -> dict[str, Any]:
    d: dict[str, Any] = yaml.safe_load((DATASETS / "tutorial.yaml").read_text())
    return d


def refused(d: Any) -> str:
    with pytest.raises(ScenarioError) as exc:
        scenario_from_data(d)
    return str(exc.value)


def test_tutorial_is_valid(data: dict[str, Any]) -> None:
    s = scenario_from_data(data)
    assert [m.id for m in s.members] == ["A", "B", "C"]
    assert s.program("MRTT").nrc_total == 300


@pytest.mark.parametrize(
    ("edit", "path", "value"),
    [
        (lambda d: d["programs"][0].update(capability="AAR2"), "programs[0] (id 'MRTT').capability",
         "AAR2"),
        (lambda d: d["programs"][0].update(lead="ZZ"), "programs[0] (id 'MRTT').lead", "ZZ"),
        (lambda d: d["requirements"][1].update(member="Q"), "requirements[1].member", "Q"),
        (lambda d: d["requirements"][0].update(by_year=2031), "requirements[0].by_year", "2031"),
        (lambda d: d["programs"][6].update(excluded=["X"]), "programs[6] (id 'ASAP').excluded",
         "X"),
        (lambda d: d["programs"][0]["nrc"].update({2040: 5}), "programs[0] (id 'MRTT').nrc[2040]",
         "2040"),
        (lambda d: d["members"][2]["constraints"].update(sovereign=["lasers"]),
         "members[2] (id 'C').constraints.sovereign[0]", "lasers"),
        (lambda d: d["programs"][0].update(producers={"A": 0.5, "B": 0.4}),
         "programs[0] (id 'MRTT').producers", "0.9"),
        (lambda d: d["members"].append(dict(d["members"][0])), "members", "duplicate id 'A'"),
        (lambda d: d["programs"][3].update(min_participants=3),
         "programs[3] (id 'EURODRONE').min_participants", "3"),
        (lambda d: d["members"][0].update(budgets={2026: 10}), "members[0] (id 'A').budgets",
         "2027"),
    ],
)
def test_unknown_references_are_named(data: dict[str, Any], edit: Any, path: str,
                                      value: str) -> None:
    edit(data)
    msg = refused(data)
    assert path in msg
    assert value in msg


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda d: d["programs"][0].update(unit_cost=-5), "programs[0].unit_cost"),
        (lambda d: d["programs"][0].update(unit_cost=math.nan), "programs[0].unit_cost"),
        (lambda d: d["programs"][0].update(unit_cost=math.inf), "programs[0].unit_cost"),
        (lambda d: d["programs"][0].update(unit_cost="cheap"), "programs[0].unit_cost"),
        (lambda d: d["members"][0].update(gdp=-1), "members[0].gdp"),
        (lambda d: d["requirements"][0].update(quantity=0), "requirements[0].quantity"),
        (lambda d: d["programs"][0].update(colour="blue"), "programs[0].colour"),
        (lambda d: d.update(extra_field=1), "extra_field"),
        (lambda d: d["programs"][0].update(min_participants=0), "programs[0].min_participants"),
        (lambda d: d["programs"][0].update(id="bad id!"), "programs[0].id"),
        (lambda d: d["horizon"].update(last_year=2020), "horizon"),
        (lambda d: d.update(cost_share={"rule": "gdp-ish"}), "cost_share.rule"),
        (lambda d: d["members"][0].update(budgets={2026: -3, 2027: 1}), "members[0].budgets[2026]"),
        (lambda d: d.pop("members"), "members"),
    ],
)
def test_bad_values_are_named(data: dict[str, Any], edit: Any, path: str) -> None:
    edit(data)
    msg = refused(data)
    assert path in msg, msg


def test_value_is_quoted(data: dict[str, Any]) -> None:
    data["programs"][0]["unit_cost"] = -5
    assert "-5" in refused(data)


def test_not_a_mapping() -> None:
    assert "mapping" in refused([1, 2, 3])


def test_yaml_alias_refused(tmp_path: Path) -> None:
    p = tmp_path / "a.yaml"
    p.write_text("name: &n x\ndescription: *n\n")
    with pytest.raises(ScenarioError, match=r"anchors|aliases"):
        load_scenario(p)


def test_malformed_yaml(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match="malformed YAML"):
        load_scenario(p)


def test_malformed_json(tmp_path: Path) -> None:
    p = tmp_path / "bad.json"
    p.write_text('{"name": ')
    with pytest.raises(ScenarioError, match="malformed JSON"):
        load_scenario(p)


def test_oversized_file_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import procure.io

    p = tmp_path / "big.yaml"
    p.write_text("name: x\n" + "#" * 2000)
    monkeypatch.setattr(procure.io, "MAX_BYTES", 1000)
    with pytest.raises(ScenarioError, match="limit"):
        load_scenario(p)
    assert MAX_BYTES >= 1024 * 1024


def test_roundtrip_yaml_and_json(tmp_path: Path, data: dict[str, Any]) -> None:
    s = scenario_from_data(data)
    for name in ("s.yaml", "s.json"):
        save_scenario(s, tmp_path / name)
        assert load_scenario(tmp_path / name) == s


def test_json_year_keys_are_coerced(data: dict[str, Any]) -> None:
    d = json.loads(json.dumps(data))  # year keys become strings
    assert scenario_from_data(d).program("MRTT").nrc == {2026: 300.0}


def test_input_not_mutated(data: dict[str, Any]) -> None:
    before = copy.deepcopy(data)
    scenario_from_data(data)
    assert data == before


def test_json_schema_file_in_sync() -> None:
    on_disk = (REPO / "models" / "scenario.schema.json").read_text()
    assert on_disk == schema_text(), (
        "models/scenario.schema.json is stale: run python -m procure.schema.export")

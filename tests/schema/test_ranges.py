"""Finite ranges of every number in a scenario (``procure/schema/base.py``): values the
solvers cannot take are refused at the boundary, naming the field and the value, and
every bundled, imported and generated scenario stays valid."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DATASETS, REPO, orlib_dir

from procure.errors import ScenarioError
from procure.generate import generate_alliance
from procure.io import load_scenario, scenario_from_data
from procure.logistics.generate import generate_network
from procure.orlib import import_cflp
from procure.schema import base
from procure.schema.export import scenario_json_schema
from procure.schema.logistics import DEFAULT_MODES

Edit = Callable[[dict[str, Any]], None]


def _doc(name: str) -> dict[str, Any]:
    d: dict[str, Any] = yaml.safe_load((DATASETS / name).read_text(encoding="utf-8"))
    return d


TUTORIAL = _doc("tutorial.yaml")
REINFORCEMENT = _doc("reinforcement.yaml")


def _set(path: tuple[Any, ...], value: Any) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        node = d
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
    return edit


# (document, path, largest or smallest accepted value, first refused value, path in message)
PROCUREMENT = [
    (("programs", 0, "unit_cost"), 1e12, 1.000001e12, "programs[0].unit_cost"),
    (("programs", 0, "unit_cost_by_member"), {"A": 1e12}, {"A": 2e12},
     "programs[0].unit_cost_by_member.A"),
    (("programs", 0, "nrc"), {2026: 1e12}, {2026: 1e20}, "programs[0].nrc[2026]"),
    (("programs", 0, "capacity_per_year"), 1e9, 1e15, "programs[0].capacity_per_year"),
    (("programs", 0, "min_production_run"), 1e9, 1.5e9, "programs[0].min_production_run"),
    (("requirements", 0, "quantity"), 1e9, 1e15, "requirements[0].quantity"),
    (("requirements", 0, "quantity"), 2.0, 1e-4, "requirements[0].quantity"),
    (("members", 0, "gdp"), 1e15, 1e16, "members[0].gdp"),
    (("members", 0, "budgets"), {2026: 1e12, 2027: 0.0}, {2026: 1e13, 2027: 1.0},
     "members[0].budgets[2026]"),
    (("shortfall_penalty",), 1e12, 1e20, "shortfall_penalty"),
    (("cost_share",), {"rule": "key", "key": {"A": 1e15, "B": 1e9, "C": 1e10}},
     {"rule": "key", "key": {"A": 1e16, "B": 1e15, "C": 1e15}}, "cost_share.key.A"),
    (("cost_share",), {"rule": "key", "key": {"A": 1e-6, "B": 1, "C": 1e-3}},
     {"rule": "key", "key": {"A": 1e-7, "B": 1, "C": 1}}, "cost_share.key.A"),
]
LOGISTICS = [
    (("logistics", "modes", "air", "speed_km_per_day"), 1.0, 0.5,
     "logistics.modes.air.speed_km_per_day"),
    (("logistics", "modes", "air", "speed_km_per_day"), 1e5, 1e6,
     "logistics.modes.air.speed_km_per_day"),
    (("logistics", "modes", "sea", "cost_per_ton_km"), 1e6, 1e7,
     "logistics.modes.sea.cost_per_ton_km"),
    (("logistics", "items", 0, "unit_tons"), 1e-3, 1e-4, "logistics.items[0].unit_tons"),
    (("logistics", "items", 0, "unit_tons"), 1e6, 1e7, "logistics.items[0].unit_tons"),
    (("logistics", "items", 0, "unit_m3"), 1e6, 1e7, "logistics.items[0].unit_m3"),
    (("logistics", "locations", 0, "storage_tons"), 1e9, 1e10,
     "logistics.locations[0].storage_tons"),
    (("logistics", "locations", 0, "throughput_tons_per_day"), 1e9, 1e10,
     "logistics.locations[0].throughput_tons_per_day"),
    (("logistics", "stocks", 0, "quantity"), 1e9, 1e10, "logistics.stocks[0].quantity"),
    (("logistics", "lift", 0, "payload_tons"), 1e6, 1e7, "logistics.lift[0].payload_tons"),
    (("logistics", "lift", 0, "cost_per_sortie"), 1e12, 1e13,
     "logistics.lift[0].cost_per_sortie"),
    (("logistics", "movements", 0, "quantity"), 1e9, 1e10, "logistics.movements[0].quantity"),
    (("logistics", "movements", 0, "quantity"), 1e-3, 1e-4, "logistics.movements[0].quantity"),
    (("logistics", "late_penalty_per_ton_day"), 1e12, 1e13, "logistics.late_penalty_per_ton_day"),
    (("logistics", "shortfall_penalty_per_ton"), 1e12, 1e13,
     "logistics.shortfall_penalty_per_ton"),
    (("logistics", "links", 0, "cost_per_ton"), 1e12, 1e13, "logistics.links[0].cost_per_ton"),
    (("logistics", "links", 0, "capacity_tons_per_day"), 1e9, 1e10,
     "logistics.links[0].capacity_tons_per_day"),
    (("logistics", "cross_servicing", 0, "price_per_unit"), 1e12, 1e13,
     "logistics.cross_servicing[0].price_per_unit"),
]


def _check(doc: dict[str, Any], path: tuple[Any, ...], ok: Any, bad: Any, where: str) -> None:
    d = copy.deepcopy(doc)
    _set(path, ok)(d)
    scenario_from_data(d)
    _set(path, bad)(d)
    with pytest.raises(ScenarioError) as exc:
        scenario_from_data(d)
    msg = str(exc.value)
    assert where in msg, msg
    shown = next(iter(bad.values())) if isinstance(bad, dict) and "rule" not in bad else (
        next(iter(bad["key"].values())) if isinstance(bad, dict) else bad)
    assert repr(shown) in msg, msg


@pytest.mark.parametrize(("path", "ok", "bad", "where"), PROCUREMENT,
                         ids=[w for *_, w in PROCUREMENT])
def test_procurement_ranges(path: tuple[Any, ...], ok: Any, bad: Any, where: str) -> None:
    _check(TUTORIAL, path, ok, bad, where)


@pytest.mark.parametrize(("path", "ok", "bad", "where"), LOGISTICS,
                         ids=[w for *_, w in LOGISTICS])
def test_logistics_ranges(path: tuple[Any, ...], ok: Any, bad: Any, where: str) -> None:
    doc = copy.deepcopy(REINFORCEMENT)
    lg = doc["logistics"]
    lg.setdefault("cross_servicing", [])
    if not lg["cross_servicing"]:
        lg["cross_servicing"].append({"provider": "US", "receiver": "UK"})
    _check(doc, path, ok, bad, where)


@pytest.mark.parametrize(("edit", "where"), [
    (_set(("requirements", 0, "quantity"), 1e15), "requirements[0].quantity"),  # was "Not Set"
    (_set(("programs", 0, "unit_cost"), 1e20), "programs[0].unit_cost"),  # was "Unknown"
])
def test_magnitudes_highs_cannot_take_are_refused_by_name(edit: Edit, where: str) -> None:
    d = copy.deepcopy(TUTORIAL)
    edit(d)
    with pytest.raises(ScenarioError, match=r"less than or equal to") as exc:
        scenario_from_data(d)
    assert where in str(exc.value)


@pytest.mark.parametrize(("edit", "where", "words"), [
    (_set(("cost_share",), {"rule": "key", "key": {"A": 1e15, "B": 1e-6, "C": 1}}),
     "cost_share.key", "key weights span 1e+21: from 1e-06 ('B') to 1e+15 ('A')"),
    (lambda d: (d.update(cost_share={"rule": "key"}), d["members"][2].update(gdp=1e-300)),
     "members[2] (id 'C').gdp", "GDPs (the key of cost_share) span 3e+303"),
    (lambda d: d["programs"][0].update(cost_share={"rule": "key", "key": {"A": 2e6, "B": 1}}),
     "programs[0] (id 'MRTT').cost_share.key", "span 2e+06"),
])
def test_key_weights_spanning_more_than_1e6_are_refused(edit: Edit, where: str,
                                                         words: str) -> None:
    """A key rule scales shares by its largest over its smallest positive weight: a
    spread of 1e21 became a coefficient HiGHS refuses ("Not Set")."""
    d = copy.deepcopy(TUTORIAL)
    edit(d)
    with pytest.raises(ScenarioError) as exc:
        scenario_from_data(d)
    assert f"{where}: " in str(exc.value) and words in str(exc.value), str(exc.value)


@pytest.mark.parametrize("edit", [
    _set(("cost_share",), {"rule": "key", "key": {"A": 1e6, "B": 1, "C": 1}}),
    lambda d: (d.update(cost_share={"rule": "key"}), d["members"][2].update(gdp=0.003)),
    lambda d: (d.update(cost_share={"rule": "key"}), d["members"][2].update(gdp=0)),  # no share
    lambda d: d["members"][2].update(gdp=1e-300),  # no key rule: GDP unused
])
def test_key_weights_within_1e6_are_fine(edit: Edit) -> None:
    d = copy.deepcopy(TUTORIAL)
    edit(d)
    scenario_from_data(d)


def test_default_modes_are_in_range() -> None:
    for md in DEFAULT_MODES.values():
        assert base.MIN_SPEED <= md.speed_km_per_day <= base.MAX_SPEED
        assert 0 <= md.cost_per_ton_km <= base.MAX_COST_PER_TON_KM


# -- the ranges are documented in the JSON Schema -----------------------------------------


def _prop(schema: dict[str, Any], model: str, field: str) -> dict[str, Any]:
    p: dict[str, Any] = schema["$defs"][model]["properties"][field]
    if "anyOf" in p:  # optional: the non-null branch carries the bounds
        p = {**next(x for x in p["anyOf"] if x.get("type") != "null"),
             "description": p.get("description", "")}
    return p


@pytest.mark.parametrize(("model", "field", "lo", "hi", "words"), [
    ("Program", "unit_cost", 0, 1e12, "1e12"),
    ("Program", "capacity_per_year", 0, 1e9, "1e9"),
    ("Requirement", "quantity", 1e-3, 1e9, "1e-3 to 1e9"),
    ("Member", "gdp", 0, 1e15, "1e15"),
    ("Item", "unit_tons", 1e-3, 1e6, "1e-3 to 1e6"),
    ("Location", "storage_tons", 0, 1e9, "1e9"),
    ("LiftAsset", "payload_tons", 1e-3, 1e6, "1e-3 to 1e6"),
    ("LiftAsset", "cost_per_sortie", 0, 1e12, "1e12"),
    ("Movement", "quantity", 1e-3, 1e9, "1e-3 to 1e9"),
    ("ModeDefaults", "speed_km_per_day", 1, 1e5, "1 to 1e5"),
])
def test_json_schema_states_the_ranges(model: str, field: str, lo: float, hi: float,
                                       words: str) -> None:
    p = _prop(scenario_json_schema(), model, field)
    assert p["minimum"] == lo or p.get("exclusiveMinimum") == lo
    assert p["maximum"] == hi
    assert words in p["description"]


def test_every_number_in_the_schema_is_bounded() -> None:
    """No number or integer in the scenario schema is left without a maximum."""
    unbounded: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if (node.get("type") in ("number", "integer") and "maximum" not in node
                    and "const" not in node):
                unbounded.append(where)
            for k, v in node.items():
                walk(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    walk(scenario_json_schema(), "")
    assert unbounded == []


def test_schema_file_in_sync() -> None:
    on_disk = json.loads((REPO / "models" / "scenario.schema.json").read_text())
    assert on_disk == scenario_json_schema()


# -- what exists stays valid ---------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(DATASETS.glob("*.yaml"))
                         + sorted((REPO / "procure" / "data").glob("*.yaml")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_bundled_datasets_stay_valid(path: Path) -> None:
    load_scenario(path)


@pytest.mark.parametrize(("name", "capacity"), [("cap41.txt", None), ("cap74.txt", None),
                                                ("capa.txt", 8000.0)])
def test_orlib_imports_stay_valid(name: str, capacity: float | None) -> None:
    s = import_cflp(orlib_dir() / name, capacity)
    scenario_from_data(s.model_dump(mode="json"))


def test_generated_alliance_at_the_largest_benchmark_size_is_valid() -> None:
    s = generate_alliance(200, 60, 6, 25)  # benchmarks/cases.py "l"
    scenario_from_data(s.model_dump(mode="json"))
    s = generate_alliance(30, 5, 3, 100, seed=3, cost_share_rule="key", generous_capacity=True)
    scenario_from_data(s.model_dump(mode="json"))


def test_generated_network_is_valid() -> None:
    s = generate_network(24, 350, 7, 800)  # benchmarks/cases.py "l"
    scenario_from_data(s.model_dump(mode="json"))


@pytest.mark.slow
def test_generated_network_at_its_largest_documented_size_is_valid() -> None:
    # generate_network's documented maxima: 200 members, 2 000 locations, 500 items,
    # 10 000 movements, 3 650 days
    s = generate_network(200, 2000, 500, 10_000, days=3650, seed=1)
    scenario_from_data(s.model_dump(mode="json"))

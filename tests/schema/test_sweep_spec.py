"""The sweep spec: loading, one problem per offending field (path and value), references
checked against the base scenario, and the JSON Schema on disk."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DATASETS, REPO
from pydantic import BaseModel

from procure.errors import ScenarioError, SweepSpecError
from procure.io import load_scenario
from procure.schema import sweep as sweep_schema
from procure.schema.base import StrictModel
from procure.schema.export import sweep_schema_text
from procure.schema.sweep import (
    MAX_CASES,
    BudgetChange,
    CostOverrun,
    MemberLeaves,
    SweepSpec,
    base_path,
    check_sweep,
    describe_edits,
    load_sweep,
    sweep_from_data,
)

SWEEPS = DATASETS / "sweeps"


def spec_data(base: str = "../tutorial.yaml") -> dict[str, Any]:
    """A small valid spec over the tutorial (as written in a file in datasets/sweeps)."""
    return {
        "name": "t",
        "base": base,
        "axes": [
            {"name": "a", "values": [
                {"edits": [{"edit": "member_leaves", "member": "C"}]},
                {"edits": [{"edit": "cost_overrun", "programs": ["MRTT"], "nrc_factor": 1.5}]},
            ]},
            {"name": "b", "values": [
                {"label": "none", "edits": []},
                {"edits": [{"edit": "requirement_change", "member": "A", "factor": 2}]},
            ]},
        ],
        "cases": [{"name": "late", "edits": [{"edit": "delivery_delay", "program": "ASAP",
                                              "years": 1}]}],
    }


def write_spec(tmp_path: Path, data: Any, name: str = "spec.yaml",
               base: Path = DATASETS / "tutorial.yaml") -> Path:
    if isinstance(data, dict):
        data = json.loads(json.dumps(data))  # no shared objects (yaml would alias them)
        if "base" in data:
            data["base"] = str(base)
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data) if isinstance(data, dict) else str(data),
                 encoding="utf-8")
    return p


def problems_of(tmp_path: Path, data: Any, base: Path = DATASETS / "tutorial.yaml"
                ) -> list[str]:
    with pytest.raises(SweepSpecError) as exc:
        load_sweep(write_spec(tmp_path, data, base=base))
    assert str(exc.value).startswith("invalid sweep spec")
    assert isinstance(exc.value, ScenarioError)
    return [str(p) for p in exc.value.problems]


# ---------------------------------------------------------------------------------------
# the bundled specs


def test_bundled_specs_load() -> None:
    spec, base = load_sweep(SWEEPS / "sample_what_if.yaml")
    assert base.name == "sample-alliance-2026"
    assert spec.include_base and spec.combine == "product" and len(spec.axes) == 1
    assert spec.case_count() >= 40
    assert spec.case_count() == 1 + len(spec.axes[0].values) + len(spec.cases)
    spec, base = load_sweep(SWEEPS / "tutorial_budgets.yaml")
    assert base.name == "tutorial" and spec.case_count() == 6


def test_sample_spec_covers_each_member_budget_cut_and_multinational_overrun() -> None:
    spec, base = load_sweep(SWEEPS / "sample_what_if.yaml")
    edits = [v.edits for v in spec.axes[0].values]
    assert all(len(e) == 1 for e in edits)
    leaves = [e[0].member for e in edits if isinstance(e[0], MemberLeaves)]
    assert leaves == [m.id for m in base.members]
    cuts = sorted(e[0].factor for e in edits if isinstance(e[0], BudgetChange))
    assert cuts == [0.7, 0.8, 0.9]
    overruns = [e[0] for e in edits if isinstance(e[0], CostOverrun)]
    multinational = [p.id for p in base.programs if len(base.eligible_members(p)) > 1]
    assert [o.programs for o in overruns] == [[p] for p in multinational]
    assert all(o.nrc_factor == o.unit_cost_factor == 1.3 for o in overruns)


def test_spec_file_as_json_and_absolute_base(tmp_path: Path) -> None:
    data = spec_data()
    data["base"] = str((DATASETS / "tutorial.yaml").resolve())
    p = tmp_path / "s.json"
    p.write_text(json.dumps(data), encoding="utf-8")
    spec, base = load_sweep(p)
    assert base.name == "tutorial" and spec.case_count() == 1 + 4 + 1
    assert base_path(spec, p) == DATASETS / "tutorial.yaml"


def test_base_is_relative_to_the_spec_folder(tmp_path: Path) -> None:
    sub = tmp_path / "sweeps"
    sub.mkdir()
    (tmp_path / "tut.yaml").write_text((DATASETS / "tutorial.yaml").read_text())
    p = sub / "s.yaml"
    p.write_text(yaml.safe_dump({**spec_data(), "base": "../tut.yaml"}), encoding="utf-8")
    spec, base = load_sweep(p)
    assert base_path(spec, p) == sub / "../tut.yaml" and base.name == "tutorial"


def test_defaults() -> None:
    spec = sweep_from_data({"name": "n", "base": "x.yaml"})
    assert spec.solver == "highs" and spec.include_base and spec.combine == "product"
    assert (spec.options.time_limit, spec.options.mip_gap, spec.options.threads,
            spec.options.seed) == (120.0, 1e-6, 1, 0)
    assert spec.axes == [] and spec.cases == [] and spec.case_count() == 1


def test_every_field_has_a_description() -> None:
    models = [v for v in vars(sweep_schema).values()
              if isinstance(v, type) and issubclass(v, StrictModel)
              and v.__module__ == sweep_schema.__name__]
    assert len(models) >= 15
    for model in models:
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"


def test_json_schema_file_in_sync() -> None:
    on_disk = (REPO / "models" / "sweep.schema.json").read_text()
    assert on_disk == sweep_schema_text(), (
        "models/sweep.schema.json is stale: run python -m procure.schema.export")
    schema = json.loads(on_disk)
    mapping = schema["$defs"]["AxisValue"]["properties"]["edits"]["items"]["discriminator"]
    assert set(mapping["mapping"]) == set(sweep_schema.EDIT_KINDS)


def test_derived_labels() -> None:
    spec = sweep_from_data({"name": "n", "base": "x", "axes": [{"name": "a", "values": [
        {"edits": [{"edit": "member_leaves", "member": "FR"}]},
        {"edits": [{"edit": "budget_change", "factor": 0.9}]},
        {"edits": [{"edit": "budget_change", "members": ["FR", "DE"], "factor": 0.8,
                    "years": [2026, 2027, 2028]}]},
        {"edits": [{"edit": "cost_overrun", "programs": ["AMD_LR"], "nrc_factor": 1.3,
                    "unit_cost_factor": 1.3}]},
        {"edits": [{"edit": "cost_overrun", "multinational": True, "nrc_factor": 1.2}]},
        {"edits": [{"edit": "cost_overrun", "programs": "*", "unit_cost_factor": 1.1}]},
        {"edits": [{"edit": "capacity_loss", "program": "P", "factor": 0.5}]},
        {"edits": [{"edit": "delivery_delay", "program": "P", "years": 2}]},
        {"edits": [{"edit": "basing_withdrawn", "member": "US", "location": "LHPA"}]},
        {"edits": [{"edit": "basing_withdrawn", "member": "*", "location": "LHPA"}]},
        {"edits": [{"edit": "exclusion_added", "program": "P", "member": "TR"}]},
        {"edits": [{"edit": "requirement_change", "factor": 1.2}]},
        {"edits": [{"edit": "requirement_change", "member": "PL", "capability": "AMD",
                    "by_year_shift": -1}]},
        {"edits": [{"edit": "solver_options", "time_limit": 60, "threads": 4}]},
        {"edits": [{"edit": "member_joins", "member": {"id": "SE2", "gdp": 1}}]},
        {"edits": [{"edit": "member_leaves", "member": "FR"},
                   {"edit": "budget_change", "factor": 0.9}]},
        {"edits": []},
        {"label": "my label", "edits": [{"edit": "member_leaves", "member": "DE"}]},
    ]}]})
    assert [v.name for v in spec.axes[0].values] == [
        "FR leaves", "budgets x0.9", "FR, DE budgets x0.8 in 2026-2028",
        "AMD_LR overrun x1.3", "multinational programs NRC x1.2",
        "all programs unit cost x1.1", "P capacity x0.5", "P 2 years late",
        "US basing at LHPA withdrawn", "all basing at LHPA withdrawn", "TR excluded from P",
        "requirements x1.2", "PL AMD requirements 1 year earlier",
        "time limit 60 s, 4 threads", "SE2 joins", "FR leaves + budgets x0.9", "unchanged",
        "my label"]
    assert describe_edits([]) == "unchanged"


# ---------------------------------------------------------------------------------------
# one problem per offending field, naming its path and value

Mutation = Callable[[dict[str, Any]], None]


def _edit(d: dict[str, Any], **fields: Any) -> None:
    d["axes"][0]["values"][0]["edits"][0] = fields


def _zip_unequal(d: dict[str, Any]) -> None:
    d["combine"] = "zip"
    d["axes"][1]["values"].append({"edits": []})


E0 = "axes[0].values[0].edits[0]"
E0N = "axes[0] (name 'a').values[0].edits[0]"

BAD: list[tuple[str, Mutation, str, str]] = [
    ("unknown edit kind", lambda d: _edit(d, edit="member_explodes", member="C"),
     E0, "'member_explodes'"),
    ("edit kind missing", lambda d: _edit(d, member="C"), E0, "'edit'"),
    ("unknown top-level key", lambda d: d.update(colour="red"), "colour", "unknown field"),
    ("unknown key in an edit", lambda d: _edit(d, edit="member_leaves", member="C", who="x"),
     f"{E0} (member_leaves).who", "unknown field"),
    ("unknown key in an axis", lambda d: d["axes"][0].update(kind="grid"), "axes[0].kind",
     "unknown field"),
    ("factor 0", lambda d: _edit(d, edit="budget_change", factor=0),
     f"{E0} (budget_change).factor", "got 0"),
    ("factor negative", lambda d: _edit(d, edit="requirement_change", factor=-0.5),
     f"{E0} (requirement_change).factor", "got -0.5"),
    ("nrc factor 0", lambda d: _edit(d, edit="cost_overrun", programs="*", nrc_factor=0),
     f"{E0} (cost_overrun).nrc_factor", "got 0"),
    ("capacity factor above 1", lambda d: _edit(d, edit="capacity_loss", program="MRTT",
                                                factor=1.5),
     f"{E0} (capacity_loss).factor", "got 1.5"),
    ("delay 0 years", lambda d: _edit(d, edit="delivery_delay", program="MRTT", years=0),
     f"{E0} (delivery_delay).years", "got 0"),
    ("members neither list nor *", lambda d: _edit(d, edit="budget_change", members="all",
                                                   factor=0.9),
     f"{E0} (budget_change).members", "'all'"),
    ("bad id in members", lambda d: _edit(d, edit="cost_overrun", programs=["M RTT"],
                                          nrc_factor=2),
     f"{E0} (cost_overrun).programs[0]", "'M RTT'"),
    ("overrun with programs and multinational",
     lambda d: _edit(d, edit="cost_overrun", programs=["MRTT"], multinational=True,
                     nrc_factor=2), f"{E0} (cost_overrun)", "not both"),
    ("overrun without target", lambda d: _edit(d, edit="cost_overrun", nrc_factor=2),
     f"{E0} (cost_overrun)", "multinational"),
    ("overrun changing nothing", lambda d: _edit(d, edit="cost_overrun", programs="*"),
     f"{E0} (cost_overrun)", "changes nothing"),
    ("requirement change changing nothing",
     lambda d: _edit(d, edit="requirement_change", member="A"), f"{E0} (requirement_change)",
     "by_year_shift"),
    ("empty solver options", lambda d: _edit(d, edit="solver_options"),
     f"{E0} (solver_options)", "at least one"),
    ("time limit 0", lambda d: d.update(options={"time_limit": 0}), "options.time_limit",
     "got 0"),
    ("mip gap 1", lambda d: d.update(options={"mip_gap": 1}), "options.mip_gap", "got 1"),
    ("threads 0", lambda d: d.update(options={"threads": 0}), "options.threads", "got 0"),
    ("unknown solver", lambda d: d.update(solver="gurobi"), "solver", "'gurobi'"),
    ("unknown combine", lambda d: d.update(combine="cross"), "combine", "'cross'"),
    ("case option", lambda d: d["cases"][0].update(options={"seed": -1}),
     "cases[0].options.seed", "got -1"),
    ("axis without values", lambda d: d["axes"][0].update(values=[]), "axes[0].values",
     "at least 1"),
    # whole-document checks
    ("zip of unequal lengths", lambda d: _zip_unequal(d),
     "axes[1] (name 'b').values", "3 value(s), but axis 'a' has 2"),
    ("duplicate axis name", lambda d: d["axes"][1].update(name="a"), "axes[1].name",
     "duplicate axis name 'a'"),
    ("reserved axis name", lambda d: d["axes"][1].update(name="case"), "axes[1].name",
     "'case' is reserved"),
    ("duplicate derived label",
     lambda d: d["axes"][0]["values"].append({"edits": [{"edit": "member_leaves",
                                                         "member": "C"}]}),
     "axes[0] (name 'a').values[2].label", "'C leaves'"),
    ("duplicate case name", lambda d: d["cases"].append(dict(d["cases"][0])), "cases[1].name",
     "duplicate case name 'late'"),
    ("case named base", lambda d: d["cases"][0].update(name="base"), "cases[0].name",
     "'base'"),
    ("no case at all", lambda d: d.update(include_base=False, axes=[], cases=[]), "",
     "no case"),
    # references checked against the base scenario
    ("unknown member id", lambda d: _edit(d, edit="member_leaves", member="XX"),
     f"{E0N} (member_leaves).member", "unknown member 'XX'"),
    ("unknown program id", lambda d: _edit(d, edit="delivery_delay", program="F35", years=1),
     f"{E0N} (delivery_delay).program", "unknown program 'F35'"),
    ("unknown program in a list",
     lambda d: _edit(d, edit="cost_overrun", programs=["MRTT", "F35"], nrc_factor=2),
     f"{E0N} (cost_overrun).programs[1]", "'F35'"),
    ("unknown capability", lambda d: _edit(d, edit="requirement_change", capability="lasers",
                                           factor=2),
     f"{E0N} (requirement_change).capability", "'lasers'"),
    ("unknown member in exclusion", lambda d: _edit(d, edit="exclusion_added",
                                                    program="MRTT", member="Z"),
     f"{E0N} (exclusion_added).member", "'Z'"),
    ("unknown member in an explicit case",
     lambda d: d["cases"][0].update(edits=[{"edit": "member_leaves", "member": "Q"}]),
     "cases[0] (name 'late').edits[0] (member_leaves).member", "'Q'"),
    ("budget change without budgets", lambda d: _edit(d, edit="budget_change", factor=0.9),
     f"{E0N} (budget_change).members", "no member of the base scenario has budgets"),
    ("budget change of a member without budgets",
     lambda d: _edit(d, edit="budget_change", members=["A"], factor=0.9),
     f"{E0N} (budget_change).members[0]", "'A' has no budgets"),
    ("capacity loss in some years",
     lambda d: _edit(d, edit="capacity_loss", program="MRTT", factor=0.5, years=[2027]),
     f"{E0N} (capacity_loss).years", "'MRTT'"),
    ("capacity loss of an unlimited program",
     lambda d: _edit(d, edit="capacity_loss", program="LEASE", factor=0.5),
     f"{E0N} (capacity_loss).factor", "'LEASE' has no capacity limit"),
    ("requirement year outside horizon",
     lambda d: _edit(d, edit="member_joins", member={"id": "D", "gdp": 10},
                     requirements=[{"capability": "ammo", "quantity": 1, "by_year": 2030}]),
     f"{E0N} (member_joins).requirements[0].by_year", "year 2030"),
    ("joining member already there",
     lambda d: _edit(d, edit="member_joins", member={"id": "B", "gdp": 10}),
     f"{E0N} (member_joins).member.id", "'B' is already a member"),
    ("basing on a scenario without logistics",
     lambda d: _edit(d, edit="basing_withdrawn", member="A", location="X"),
     f"{E0N} (basing_withdrawn)", "no logistics"),
]


@pytest.mark.parametrize(("mutate", "path", "value"), [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_bad_spec_gives_one_problem_naming_path_and_value(
        tmp_path: Path, mutate: Mutation, path: str, value: str) -> None:
    d = spec_data()
    mutate(d)
    problems = problems_of(tmp_path, d)
    assert len(problems) == 1, problems
    prefix = f"{path}: " if path else ""
    assert problems[0].startswith(prefix), problems
    assert value in problems[0], problems


def test_every_problem_is_reported(tmp_path: Path) -> None:
    d = spec_data()
    d["options"] = {"time_limit": -1, "threads": 0}
    _edit(d, edit="budget_change", factor=0)
    problems = problems_of(tmp_path, d)
    assert [p.split(":")[0] for p in problems] == [
        "options.time_limit", "options.threads", f"{E0} (budget_change).factor"]


def test_joined_member_counts_as_known(tmp_path: Path) -> None:
    d = spec_data()
    d["cases"].append({"name": "D joins", "edits": [
        {"edit": "member_joins", "member": {"id": "D", "gdp": 10}}]})
    _edit(d, edit="exclusion_added", program="MRTT", member="D")
    spec, _ = load_sweep(write_spec(tmp_path, d))
    assert spec.cases[1].name == "D joins"


BASING: list[tuple[dict[str, Any], str, str]] = [
    ({"edit": "basing_withdrawn", "member": "US", "location": "NOWHERE"},
     f"{E0N} (basing_withdrawn).location", "unknown location 'NOWHERE'"),
    ({"edit": "basing_withdrawn", "member": "XX", "location": "LHPA"},
     f"{E0N} (basing_withdrawn).member", "unknown member 'XX'"),
    ({"edit": "basing_withdrawn", "member": "CA", "location": "LHPA"},
     f"{E0N} (basing_withdrawn)", "no basing right of member 'CA' at location 'LHPA'"),
    ({"edit": "basing_withdrawn", "member": "TR", "location": "*"},
     f"{E0N} (basing_withdrawn)", "no basing right of member 'TR' at location '*'"),
]


@pytest.mark.parametrize(("edit", "path", "value"), BASING)
def test_basing_references_checked_against_logistics(
        tmp_path: Path, edit: dict[str, Any], path: str, value: str) -> None:
    d = {"name": "r", "base": "x", "axes": [{"name": "a", "values": [{"edits": [edit]}]}]}
    problems = problems_of(tmp_path, d, base=DATASETS / "reinforcement.yaml")
    assert len(problems) == 1 and problems[0].startswith(f"{path}: ")
    assert value in problems[0]


def test_basing_reference_ok(tmp_path: Path) -> None:
    d = {"name": "r", "base": "x", "axes": [{"name": "a", "values": [
        {"edits": [{"edit": "basing_withdrawn", "member": "US", "location": "POWIDZ"}]},
        {"edits": [{"edit": "basing_withdrawn", "member": "*", "location": "LHPA"}]},
        {"edits": [{"edit": "basing_withdrawn", "member": "HU", "location": "*"}]},
    ]}]}
    spec, base = load_sweep(write_spec(tmp_path, d, base=DATASETS / "reinforcement.yaml"))
    assert base.logistics is not None and spec.case_count() == 4


def test_too_many_cases(tmp_path: Path) -> None:
    values = [{"label": f"v{i}", "edits": []} for i in range(50)]
    d = {"name": "big", "base": "x",
         "axes": [{"name": n, "values": values} for n in ("a", "b", "c")]}
    problems = problems_of(tmp_path, d)
    assert problems == [f"axes: the sweep expands to {1 + 50 ** 3} cases; at most "
                        f"{MAX_CASES} are supported (split it, or combine: zip)"]


# ---------------------------------------------------------------------------------------
# files


def test_missing_spec_file(tmp_path: Path) -> None:
    with pytest.raises(SweepSpecError, match="no such file"):
        load_sweep(tmp_path / "nope.yaml")
    with pytest.raises(SweepSpecError, match="is a directory"):
        load_sweep(tmp_path)


def test_malformed_and_unsafe_yaml(tmp_path: Path) -> None:
    assert "malformed YAML" in problems_of(tmp_path, "name: [unclosed")[0]
    aliased = "name: &n x\nbase: *n\n"
    assert "anchors" in problems_of(tmp_path, aliased)[0]
    assert "must be a mapping" in problems_of(tmp_path, "- a\n- b\n")[0]


def test_not_utf8(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(SweepSpecError, match="not UTF-8"):
        load_sweep(p)


def test_missing_base_is_named(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, spec_data(), base=tmp_path / "missing.yaml")
    assert len(problems) == 1 and problems[0].startswith("base: no such file")


def test_invalid_base_is_named(tmp_path: Path) -> None:
    d = yaml.safe_load((DATASETS / "tutorial.yaml").read_text())
    d["members"][0]["gdp"] = -1
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(d))
    problems = problems_of(tmp_path, spec_data(), base=bad)
    assert len(problems) == 1
    assert problems[0].startswith("base: members[0].gdp:") and "-1" in problems[0]


def test_check_sweep_and_input_not_mutated() -> None:
    d = spec_data()
    before = copy.deepcopy(d)
    spec = sweep_from_data(d)
    assert d == before
    base = load_scenario(DATASETS / "tutorial.yaml")
    check_sweep(spec, base)
    bad = spec.model_copy(update={"combine": "zip"})
    bad_axes = [spec.axes[0], spec.axes[1].model_copy(
        update={"values": spec.axes[1].values[:1]})]
    with pytest.raises(SweepSpecError, match="combine: zip"):
        check_sweep(bad.model_copy(update={"axes": bad_axes}), base)


def test_models_are_frozen() -> None:
    spec = sweep_from_data(spec_data())
    assert isinstance(spec, BaseModel) and isinstance(spec, SweepSpec)
    with pytest.raises(ValueError):
        spec.name = "x"  # type: ignore[misc]


def test_solver_settings_a_solver_does_not_know_are_refused_by_name(tmp_path: Path) -> None:
    data = spec_data()
    data["options"] = {"solver_options": {"highs": {"mip_max_nodez": 5}}}
    problems = problems_of(tmp_path, data)
    assert len(problems) == 1 and "options.solver_options.highs" in problems[0]
    assert "mip_max_nodez" in problems[0]


def test_solver_settings_are_part_of_every_case_key(tmp_path: Path) -> None:
    from procure.sweep.cases import expand

    plain, base = load_sweep(write_spec(tmp_path, spec_data(), name="a.yaml"))
    data = spec_data()
    data["options"] = {"solver_options": {"highs": {"mip_max_nodes": 100}}}
    limited, _ = load_sweep(write_spec(tmp_path, data, name="b.yaml"))
    a, b = expand(plain, base), expand(limited, base)
    assert all(c.options.for_solver("highs") == {"mip_max_nodes": 100} for c in b)
    assert not {c.key for c in a} & {c.key for c in b}

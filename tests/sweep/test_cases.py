"""Case expansion: order and counts (product, zip, base, explicit cases), options per
case, named failures, and keys that are stable and tell different solves apart."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import os
import subprocess
import sys
from typing import Any

import pytest
from conftest import DATASETS, REPO

from procure.backends.base import SolveOptions
from procure.errors import SweepSpecError
from procure.io import load_scenario, scenario_from_data
from procure.schema.sweep import SweepSpec, load_sweep, sweep_from_data
from procure.sweep import Case, case_key, expand

TUTORIAL = load_scenario(DATASETS / "tutorial.yaml")


def spec(**fields: Any) -> SweepSpec:
    return sweep_from_data({"name": "t", "base": "../tutorial.yaml", **fields})


def leaves(m: str) -> dict[str, Any]:
    return {"edits": [{"edit": "member_leaves", "member": m}]}


def overrun(f: float) -> dict[str, Any]:
    return {"edits": [{"edit": "cost_overrun", "programs": "*", "nrc_factor": f}]}


AXES: list[dict[str, Any]] = [
    {"name": "who", "values": [leaves("B"), leaves("C")]},
    {"name": "nrc", "values": [overrun(1.1), overrun(1.2), overrun(1.3)]},
    {"name": "tankers", "values": [
        {"label": "as planned", "edits": []},
        {"label": "double", "edits": [{"edit": "requirement_change", "capability": "tanker",
                                       "factor": 2}]}]},
]


def test_product_order_first_axis_slowest() -> None:
    cases = expand(spec(axes=AXES), TUTORIAL)
    assert len(cases) == 1 + 2 * 3 * 2
    assert [c.index for c in cases] == list(range(len(cases)))
    assert cases[0].name == "base" and cases[0].labels == {"who": "", "nrc": "",
                                                           "tankers": ""}
    names = [[v.get("label") or "" for v in a["values"]] for a in AXES]
    names[0] = ["B leaves", "C leaves"]
    names[1] = ["all programs NRC x1.1", "all programs NRC x1.2", "all programs NRC x1.3"]
    expected = list(itertools.product(*names))
    assert [tuple(c.labels.values()) for c in cases[1:]] == expected
    assert [c.name for c in cases[1:]] == [", ".join(t) for t in expected]
    assert all(list(c.labels) == ["who", "nrc", "tankers"] for c in cases)
    assert all(c.error is None and c.scenario is not None for c in cases)
    # the edits of each value really applied: C left and NRC x1.2, tankers doubled
    c = next(c for c in cases if c.labels == {"who": "C leaves", "nrc":
                                              "all programs NRC x1.2", "tankers": "double"})
    assert c.scenario is not None
    s = scenario_from_data(c.scenario)
    assert [m.id for m in s.members] == ["A", "B"]
    assert s.program("MRTT").nrc == {2026: pytest.approx(360.0)}
    assert [r.quantity for r in s.requirements if r.capability == "tanker"] == [4, 2]


def test_zip_pairs_the_ith_values() -> None:
    axes = [{"name": "who", "values": [leaves("A"), leaves("B"), leaves("C")]},
            {"name": "nrc", "values": [overrun(1.1), overrun(1.2), overrun(1.3)]}]
    cases = expand(spec(axes=axes, combine="zip", include_base=False), TUTORIAL)
    assert [c.name for c in cases] == ["A leaves, all programs NRC x1.1",
                                       "B leaves, all programs NRC x1.2",
                                       "C leaves, all programs NRC x1.3"]
    assert [c.index for c in cases] == [0, 1, 2]


def test_zip_of_unequal_lengths_is_refused() -> None:
    ok = spec(axes=[{"name": "a", "values": [leaves("A"), leaves("B")]},
                    {"name": "b", "values": [overrun(1.1), overrun(1.2)]}], combine="zip")
    bad_axis = ok.axes[1].model_copy(update={"values": ok.axes[1].values[:1]})
    bad = ok.model_copy(update={"axes": [ok.axes[0], bad_axis]})
    with pytest.raises(SweepSpecError, match=r"axes\[1\] \(name 'b'\)\.values: 1 value"):
        expand(bad, TUTORIAL)


def test_explicit_cases_and_options() -> None:
    s = spec(options={"time_limit": 50, "mip_gap": 0.01, "threads": 2, "seed": 7},
             solver="cbc",
             axes=[{"name": "a", "values": [
                 leaves("C"),
                 {"label": "scip", "edits": [{"edit": "solver_options", "solver": "scip",
                                              "time_limit": 9}]}]}],
             cases=[{"name": "quick", "edits": [{"edit": "solver_options", "threads": 4}],
                     "options": {"seed": 1, "threads": 3}},
                    {"name": "A alone", "edits": [{"edit": "member_leaves", "member": "B"},
                                                  {"edit": "member_leaves", "member": "C"}]}])
    cases = expand(s, TUTORIAL)
    assert [c.name for c in cases] == ["base", "C leaves", "scip", "quick", "A alone"]
    assert cases[3].labels == {"case": "quick"} and cases[4].labels == {"case": "A alone"}
    spec_opts = SolveOptions(time_limit=50, mip_gap=0.01, threads=2, seed=7)
    assert [(c.solver, c.options) for c in cases] == [
        ("cbc", spec_opts), ("cbc", spec_opts),
        ("scip", dataclasses.replace(spec_opts, time_limit=9)),
        ("cbc", dataclasses.replace(spec_opts, threads=3, seed=1)),
        ("cbc", spec_opts)]
    # solver options change no scenario
    assert cases[2].scenario == cases[0].scenario == cases[3].scenario
    assert cases[4].scenario is not None
    assert [m["id"] for m in cases[4].scenario["members"]] == ["A"]


def test_no_axes() -> None:
    cases = expand(spec(), TUTORIAL)
    assert [(c.index, c.name, c.labels) for c in cases] == [(0, "base", {})]
    assert cases[0].scenario == TUTORIAL.model_dump(mode="json")
    assert expand(spec(include_base=False, cases=[{"name": "x", "edits": []}]),
                  TUTORIAL)[0].name == "x"


def test_failed_cases_are_named_not_raised() -> None:
    s = spec(axes=[
        {"name": "who", "values": [leaves("C"), {"label": "nobody", "edits": []}]},
        {"name": "what", "values": [
            {"edits": [{"edit": "exclusion_added", "program": "ASAP", "member": "C"}]},
            {"edits": [{"edit": "delivery_delay", "program": "MRTT", "years": 1}]},
            {"edits": [{"edit": "delivery_delay", "program": "EURODRONE", "years": 1}]}]}])
    cases = expand(s, TUTORIAL)
    assert len(cases) == 7
    by_name = {c.name: c for c in cases}
    # C left before it could be excluded: the edit cannot apply
    c = by_name["C leaves, C excluded from ASAP"]
    assert c.scenario is None and c.error is not None
    assert c.error == "exclusion_added (C excluded from ASAP): no member 'C' in the scenario"
    # MRTT first delivers in 2027, the last year: one year late is beyond the horizon
    for name in ("C leaves, MRTT 1 year late", "nobody, MRTT 1 year late"):
        c = by_name[name]
        assert c.scenario is None and c.error is not None
        assert "programs[0] (id 'MRTT').first_delivery_year: year 2028 is outside the " \
               "horizon 2026-2027" in c.error
        assert len(c.error.splitlines()) == 1
    ok = [c for c in cases if c.error is None]
    assert [c.name for c in ok] == ["base", "C leaves, EURODRONE 1 year late",
                                    "nobody, C excluded from ASAP",
                                    "nobody, EURODRONE 1 year late"]
    assert all(c.scenario is not None for c in ok)
    # a failed case still has its solver, options and a key of its own
    failed = [c for c in cases if c.error is not None]
    assert len({c.key for c in failed}) == len(failed) == 3
    assert not {c.key for c in failed} & {c.key for c in ok}


def test_invalid_joining_member_is_a_named_failure() -> None:
    s = spec(include_base=False, cases=[{"name": "D joins", "edits": [
        {"edit": "member_joins", "member": {"id": "D", "gdp": 5, "budgets": {2026: 10}}}]}])
    (c,) = expand(s, TUTORIAL)
    assert c.scenario is None and c.error is not None
    assert c.error.startswith("members[3] (id 'D').budgets: no budget for year(s) [2027]")


def test_case_scenario_is_validated_canonical_data() -> None:
    for c in expand(spec(axes=AXES), TUTORIAL):
        assert c.scenario is not None
        assert scenario_from_data(c.scenario).model_dump(mode="json") == c.scenario
        assert json.loads(json.dumps(c.scenario)) == c.scenario


# ---------------------------------------------------------------------------------------
# keys


def test_keys_stable_and_discriminating() -> None:
    s = spec(axes=AXES)
    a, b = expand(s, TUTORIAL), expand(s, TUTORIAL)
    assert [c.key for c in a] == [c.key for c in b]
    assert all(len(c.key) == 64 and int(c.key, 16) >= 0 for c in a)
    # the base case and a value with no edits give the same solve: the same key, both kept
    same = expand(spec(axes=[{"name": "a", "values": [{"edits": []}, leaves("C")]}]),
                  TUTORIAL)
    assert len(same) == 3 and same[0].key == same[1].key != same[2].key
    # different scenarios differ
    assert len({c.key for c in a}) == len(a)
    base = a[0]
    assert base.scenario is not None
    assert case_key(base.scenario, base.solver, base.options) == base.key
    # key order inside the scenario does not matter
    reordered = dict(reversed(list(base.scenario.items())))
    assert case_key(reordered, base.solver, base.options) == base.key
    # solver and each option matter (the verbose flag and solver settings do not)
    assert case_key(base.scenario, "scip", base.options) != base.key
    for change in ({"time_limit": 60.0}, {"mip_gap": 1e-4}, {"threads": 2}, {"seed": 1}):
        other = dataclasses.replace(base.options, **change)
        assert case_key(base.scenario, base.solver, other) != base.key, change
    assert case_key(base.scenario, base.solver,
                    dataclasses.replace(base.options, verbose=True)) == base.key
    # spec options flow into the key
    other_spec = expand(spec(axes=AXES, options={"seed": 5}), TUTORIAL)
    assert not {c.key for c in other_spec} & {c.key for c in a}


def test_keys_stable_across_processes() -> None:
    here = [c.key for c in expand(*load_sweep(DATASETS / "sweeps" / "tutorial_budgets.yaml"))]
    code = ("from procure.schema.sweep import load_sweep; from procure.sweep import expand; "
            f"print(' '.join(c.key for c in expand(*load_sweep({str(DATASETS)!r} + "
            "'/sweeps/tutorial_budgets.yaml'))))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO, env=env)
    assert out.stdout.split() == here


def test_no_input_mutation() -> None:
    s = spec(axes=AXES, cases=[{"name": "x", "edits": [
        {"edit": "member_leaves", "member": "A"}]}])
    spec_before = s.model_dump(mode="json")
    base_before = copy.deepcopy(TUTORIAL.model_dump(mode="json"))
    cases = expand(s, TUTORIAL)
    assert s.model_dump(mode="json") == spec_before
    assert TUTORIAL.model_dump(mode="json") == base_before
    # each case holds its own data
    assert cases[1].scenario is not cases[2].scenario


def test_cases_are_frozen() -> None:
    c = expand(spec(), TUTORIAL)[0]
    assert isinstance(c, Case)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.name = "x"  # type: ignore[misc]


# ---------------------------------------------------------------------------------------
# the bundled specs


def test_sample_what_if_expansion() -> None:
    spec_, base = load_sweep(DATASETS / "sweeps" / "sample_what_if.yaml")
    cases = expand(spec_, base)
    assert len(cases) >= 40 and len(cases) == spec_.case_count()
    assert cases[0].name == "base" and cases[0].labels == {"what_if": ""}
    assert [c.error for c in cases if c.error] == []
    assert len({c.key for c in cases}) == len(cases)
    names = [c.name for c in cases]
    assert "FR leaves" in names and "budgets -20 %" in names
    assert "AMD_LR_SAMPT overrun x1.3" in names
    assert all(c.solver == "highs" and c.options.time_limit == 900 for c in cases)
    assert all(c.options.for_solver("highs") == {"mip_max_nodes": 3000} for c in cases)
    fr = next(c for c in cases if c.name == "FR leaves")
    assert fr.scenario is not None
    assert "FR" not in {m["id"] for m in fr.scenario["members"]}


def test_tutorial_budgets_expansion() -> None:
    cases = expand(*load_sweep(DATASETS / "sweeps" / "tutorial_budgets.yaml"))
    assert [c.name for c in cases] == [
        "base", "NRC +25 %, all three", "NRC +25 %, C leaves", "NRC +50 %, all three",
        "NRC +50 %, C leaves", "tankers x2"]
    assert all(c.error is None for c in cases)
    assert len({c.key for c in cases}) == 6

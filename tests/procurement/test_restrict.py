"""Sub-coalitions (section 12 of ``models/procurement.md``).

``restrict(compile_scenario(s, mode), S)`` must equal
``compile_scenario(restrict_scenario(s, S), mode)`` field by field, for both modes and
any S (single members and the full set included), and the two models must have the
same optimum.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np
import pytest
from conftest import DATASETS, alliances, solve_checked
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procure.backends import SolveOptions, get_backend
from procure.generate import generate_alliance
from procure.io import load_scenario
from procure.procurement.coalition import restrict_scenario
from procure.procurement.compile import Compiled, Mode, compile_scenario, restrict
from procure.procurement.formulation import build
from procure.schema import Scenario

MODES: tuple[Mode, ...] = ("joint", "alone")


@st.composite
def decorated(draw: st.DrawFn, max_members: int) -> Scenario:
    """A generated alliance, sometimes with what the generator never draws: explicit
    keys, caps and floors per program, per-program workshare, zero workshare ratios,
    per-capability dependence caps, per-member prices and a set penalty."""
    s = draw(alliances(max_members))
    if not draw(st.booleans()):
        return s
    d = s.model_dump()
    ids = [m["id"] for m in d["members"]]
    caps = [c["id"] for c in d["capabilities"]]
    for m in d["members"]:
        mode = draw(st.sampled_from([None, "per_program", "global"]))
        if mode is not None:
            m["constraints"]["workshare"] = {
                "mode": mode, "min_ratio": draw(st.sampled_from([0.0, 0.1, 0.3]))}
        if draw(st.booleans()):
            m["constraints"]["max_single_foreign_share_by_capability"] = {
                draw(st.sampled_from(caps)): 0.6}
    for p in d["programs"]:
        some = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        rule: dict[str, Any] | None = draw(st.sampled_from([
            None,
            {"rule": "key", "key": {m: float(i + 1) for i, m in enumerate(some)},
             "caps": {some[0]: 0.6}},
            {"rule": "equal", "caps": {some[0]: 0.8}, "floors": {some[-1]: 0.1}},
            {"rule": "key", "key": "gdp", "caps": {some[0]: 0.5}, "floors": {some[-1]: 0.05}},
        ]))
        if rule is not None:
            p["cost_share"] = rule
        if draw(st.booleans()):
            p["unit_cost_by_member"] = {m: p["unit_cost"] * 1.1 for m in some}
    if draw(st.booleans()):
        d["shortfall_penalty"] = 1e5
    return Scenario.model_validate(d)


def assert_same(a: Compiled, b: Compiled) -> None:
    """Every field equal: arrays of the same dtype and shape, nan where nan (floats),
    exactly otherwise; ids, numbers and the mode exactly."""
    for f in fields(Compiled):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert isinstance(y, np.ndarray), f.name
            assert (x.dtype, x.shape) == (y.dtype, y.shape), f.name
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), f.name
        else:
            assert type(x) is type(y) and x == y, (f.name, x, y)


def coalitions(s: Scenario, drawn: list[str]) -> list[list[str]]:
    """The full set, every single member, and a drawn subset."""
    ids = [m.id for m in s.members]
    return [ids, *([m] for m in ids), drawn]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decorated(6), st.data())
def test_restrict_equals_recompiled_sub_scenario(s: Scenario, data: st.DataObject) -> None:
    ids = [m.id for m in s.members]
    drawn = data.draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    for mode in MODES:
        c = compile_scenario(s, mode)
        for members in coalitions(s, drawn):
            assert_same(restrict(c, members), compile_scenario(restrict_scenario(s, members),
                                                               mode))
    # the full set changes nothing; restricting twice is restricting to the intersection
    c = compile_scenario(s)
    assert_same(restrict(c, ids), c)
    assert_same(restrict(restrict(c, drawn), drawn[:1]), restrict(c, drawn[:1]))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decorated(5), st.data())
def test_restricted_model_has_the_recompiled_optimum(s: Scenario, data: st.DataObject
                                                     ) -> None:
    """The same optimum from both routes, and the evaluator accepts S's plan of the
    sub-scenario at that objective."""
    ids = [m.id for m in s.members]
    members = data.draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    sub = restrict_scenario(s, members)
    opts = SolveOptions(mip_gap=1e-9)
    for mode in MODES:
        fast = solved(build(restrict(compile_scenario(s, mode), members)).model, opts)
        slow = solved(build(compile_scenario(sub, mode)).model, opts)
        assert str(fast.status) == str(slow.status) == "optimal"
        assert fast.objective is not None and slow.objective is not None
        assert fast.objective == pytest.approx(slow.objective, rel=1e-9, abs=1e-9)
        checked = solve_checked(sub, mode=mode, options=opts)
        assert checked.objective == pytest.approx(fast.objective, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_restrict_sample_alliance(mode: Mode) -> None:
    """The bundled alliance (caps, equal shares, producers, sovereignty): a few
    coalitions, from the founding members to a single nation."""
    s = load_scenario(DATASETS / "sample_alliance.yaml")
    c = compile_scenario(s, mode)
    ids = [m.id for m in s.members]
    for members in (ids, ids[:5], ids[::2], ids[-3:], ids[1:2]):
        assert_same(restrict(c, members),
                    compile_scenario(restrict_scenario(s, members), mode))


def _scenario() -> Scenario:
    """A leads P (work A 0.5, B 0.5), B leads Q (work B only) with N_Q = 2, C leads R;
    S-specific pieces: key {A: 2, C: 1}, a cap on C, a price for C."""
    years = {"first_year": 2026, "last_year": 2027}
    members = [{"id": m, "gdp": g} for m, g in (("A", 10), ("B", 5), ("C", 1))]
    prog = {"capability": "tank", "unit_cost": 10, "nrc": {2026: 30}}
    return Scenario.model_validate({
        "name": "three", "horizon": years, "members": members,
        "capabilities": [{"id": "tank"}],
        "programs": [
            {"id": "P", "lead": "A", "producers": {"A": 0.5, "B": 0.5}, **prog},
            {"id": "Q", "lead": "B", "min_participants": 2, **prog},
            {"id": "R", "lead": "C", "unit_cost_by_member": {"A": 12, "C": 11},
             "excluded": ["B"], **{**prog, "unit_cost": 9}},
        ],
        "requirements": [{"member": m, "capability": "tank", "quantity": 2, "by_year": 2027}
                         for m in "ABC"],
        "cost_share": {"rule": "key", "key": {"A": 2, "C": 1}, "caps": {"C": 0.4}},
    })


def test_restrict_semantics() -> None:
    """Who keeps which program, and what the sub-scenario says about the rest."""
    s = _scenario()
    ac = restrict_scenario(s, ["C", "A"])
    assert [m.id for m in ac.members] == ["A", "C"]  # the scenario's order
    # P has work in B, Q's lead is B: only R is left, with B's exclusion gone
    assert [p.id for p in ac.programs] == ["R"]
    assert ac.programs[0].excluded == [] and ac.programs[0].unit_cost_by_member == {
        "A": 12, "C": 11}
    assert {r.member for r in ac.requirements} == {"A", "C"}
    ab = restrict_scenario(s, ["A", "B"])
    assert [p.id for p in ab.programs] == ["P", "Q"]  # Q: two eligible members in S
    assert ab.cost_share.key == {"A": 2} and ab.cost_share.caps == {}
    b = restrict_scenario(s, ["B"])
    assert b.programs == []  # Q needs two participants
    c = compile_scenario(s, "alone")
    r = restrict(c, ["A", "B"])
    assert r.program_ids == ("P", "Q") and r.member_ids == ("A", "B")
    # alone: only P (N_Q = 2) has launches, one per member
    assert r.launch_program.tolist() == [0, 0] and r.launch_owner.tolist() == [0, 1]


def test_restrict_refuses_bad_members() -> None:
    c = compile_scenario(_scenario())
    with pytest.raises(ValueError, match="unknown member"):
        restrict(c, ["A", "X"])
    with pytest.raises(ValueError, match="at least one member"):
        restrict(c, [])
    with pytest.raises(TypeError):
        restrict(c, "A")
    with pytest.raises(ValueError, match="unknown member"):
        restrict_scenario(_scenario(), ["Z"])


def solved(model: Any, opts: SolveOptions) -> Any:
    """HiGHS's answer, taken as the run pipeline takes it: an "infeasible" is asked again
    with the backend's cautious settings (no presolve), since HiGHS's presolve has
    called feasible models infeasible (``test_presolve_infeasible_is_asked_again``)."""
    highs = get_backend("highs")
    out = highs.solve(model, opts)
    if str(out.status) == "infeasible":
        out = highs.solve(model, highs.cautious(opts))
    return out


def test_presolve_infeasible_is_asked_again() -> None:
    """A model HiGHS 1.13's presolve called infeasible (a hypothesis draw): buying nothing
    is a plan of it, and the run pipeline's second opinion finds the optimum."""
    s = generate_alliance(3, 3, 2, 1, seed=1000, national_constraints=False,
                          cost_share_rule="key")
    d = s.model_dump()
    d["members"][1]["constraints"]["workshare"] = {"mode": "per_program", "min_ratio": 0.1}
    s = Scenario.model_validate(d)
    model = build(restrict(compile_scenario(s, "joint"), ["M0", "M1"])).model
    out = solved(model, SolveOptions(mip_gap=1e-9))
    assert str(out.status) == "optimal"
    checked = solve_checked(restrict_scenario(s, ["M0", "M1"]), options=SolveOptions(
        mip_gap=1e-9))
    assert checked.objective == pytest.approx(out.objective, rel=1e-6)

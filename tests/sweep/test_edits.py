"""Each edit kind on the bundled scenarios: the exact change, a valid scenario after it,
an :class:`EditError` naming the edit and the reference when it cannot apply, and the
input never changed."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import DATASETS
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from procure.errors import ProcureError
from procure.io import load_scenario, scenario_from_data
from procure.schema.scenario import Scenario
from procure.schema.sweep import Edit
from procure.sweep.edits import EditError, apply_edits

SAMPLE = load_scenario(DATASETS / "sample_alliance.yaml")
REINFORCEMENT = load_scenario(DATASETS / "reinforcement.yaml")
TUTORIAL = load_scenario(DATASETS / "tutorial.yaml")
_EDIT = TypeAdapter(Edit)


def edit(**fields: Any) -> Edit:
    return _EDIT.validate_python(fields)


def data(s: Scenario) -> dict[str, Any]:
    return s.model_dump(mode="json")


def applied(s: Scenario, *edits: Edit) -> Scenario:
    """The edited scenario, validated (which must pass); the input stays as it was."""
    d = data(s)
    before = copy.deepcopy(d)
    out = apply_edits(d, edits)
    assert d == before, "apply_edits changed its input"
    return scenario_from_data(out)


def prog(d: dict[str, Any], pid: str) -> dict[str, Any]:
    return next(p for p in d["programs"] if p["id"] == pid)


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON tree: values and mapping keys."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


# ---------------------------------------------------------------------------------------
# member_leaves


@pytest.mark.parametrize("member", [m.id for m in SAMPLE.members])
def test_member_leaves_removes_every_reference(member: str) -> None:
    s = applied(SAMPLE, edit(edit="member_leaves", member=member))
    assert member not in [m.id for m in s.members]
    assert member not in set(strings(s.model_dump(mode="json")))
    assert len(s.members) == len(SAMPLE.members) - 1
    # the others' requirements all stay
    assert [r for r in SAMPLE.requirements if r.member != member] == s.requirements
    # only programs it led or that can no longer gather their minimum are gone
    for p in SAMPLE.programs:
        kept = any(q.id == p.id for q in s.programs)
        if p.lead == member:
            assert not kept
        elif not kept:
            assert len([m for m in SAMPLE.eligible_members(p) if m != member]) \
                < p.min_participants


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([m.id for m in SAMPLE.members]), min_size=1, max_size=4,
                unique=True))
def test_members_leaving_in_turn_leave_no_reference(members: list[str]) -> None:
    s = applied(SAMPLE, *(edit(edit="member_leaves", member=m) for m in members))
    left = set(strings(s.model_dump(mode="json")))
    assert not left & set(members)
    assert [m.id for m in s.members] == [m.id for m in SAMPLE.members if m.id not in members]
    for p in s.programs:  # every remaining program can still launch
        assert len(s.eligible_members(p)) >= p.min_participants
        if p.producers is not None:
            assert sum(p.producers.values()) == pytest.approx(1.0)


def test_member_leaves_exact_changes_for_france() -> None:
    out = apply_edits(data(SAMPLE), [edit(edit="member_leaves", member="FR")])
    s = scenario_from_data(out)
    before = {p.id: p for p in SAMPLE.programs}
    led = {p.id for p in SAMPLE.programs if p.lead == "FR"}
    assert led and {p.id for p in s.programs} == set(before) - led
    mmf = s.program("AAR_MMF")  # producers ES .45, FR .30, DE .15, UK .10: FR's share spread
    assert mmf.producers == pytest.approx({"ES": 0.45 / 0.7, "DE": 0.15 / 0.7,
                                           "UK": 0.10 / 0.7})
    assert "FR" not in (mmf.eligible or [])
    assert [e for e in before["AAR_MMF"].eligible or [] if e != "FR"] == mmf.eligible
    # everything else of that program as it was
    assert mmf.model_dump(exclude={"producers", "eligible"}) == \
        before["AAR_MMF"].model_dump(exclude={"producers", "eligible"})
    assert out["requirements"] == [r for r in data(SAMPLE)["requirements"]
                                   if r["member"] != "FR"]


def test_member_leaves_drops_price_key_caps_and_exclusion() -> None:
    d = data(SAMPLE)
    p = prog(d, "AIRLIFT_SAC")
    p["cost_share"].update(rule="key", key={"US": 2.0, "HU": 1.0, "SE": 1.0},
                           caps={"US": 0.5, "SE": 0.6}, floors={"US": 0.1})
    prog(d, "AAR_KC46")["excluded"] = ["US", "TR"]
    d["cost_share"].update(caps={"US": 0.3}, floors={"US": 0.01, "DE": 0.01})
    s0 = scenario_from_data(d)
    s = applied(s0, edit(edit="member_leaves", member="US"))
    sac = s.program("AIRLIFT_SAC")
    assert sac.cost_share is not None
    assert sac.cost_share.key == {"HU": 1.0, "SE": 1.0}
    assert sac.cost_share.caps == {"SE": 0.6} and sac.cost_share.floors == {}
    assert s.cost_share.caps == {} and s.cost_share.floors == {"DE": 0.01}
    assert all("US" not in p.unit_cost_by_member for p in s.programs)
    # AAR_KC46 is led by the US: gone with it
    assert "AAR_KC46" not in {p.id for p in s.programs}


def test_member_leaves_removes_programs_that_cannot_gather_their_minimum() -> None:
    s = applied(TUTORIAL, edit(edit="member_leaves", member="A"))
    # A led MRTT, A-TANKER, A-DRONE, ASAP; EURODRONE (eligible A, B; at least 2) can no
    # longer launch
    assert [p.id for p in s.programs] == ["LEASE", "B-DRONE", "C-AMMO"]
    assert [m.id for m in s.members] == ["B", "C"]


def test_member_leaves_logistics() -> None:
    s = applied(REINFORCEMENT, edit(edit="member_leaves", member="DE"))
    lg0, lg = REINFORCEMENT.logistics, s.logistics
    assert lg0 is not None and lg is not None
    assert lg.basing_rights == [r for r in lg0.basing_rights if r.member != "DE"]
    assert lg.stocks == [x for x in lg0.stocks if x.owner != "DE"]
    assert lg.movements == [x for x in lg0.movements if x.member != "DE"]
    assert lg.cross_servicing == [c for c in lg0.cross_servicing if c.provider != "DE"]
    assert len(lg.cross_servicing) == len(lg0.cross_servicing) - 1
    assert [f.id for f in lg.lift] == [f.id for f in lg0.lift if f.owner != "DE"]
    mmf0 = next(f for f in lg0.lift if f.id == "MMF_A330")
    mmf = next(f for f in lg.lift if f.id == "MMF_A330")
    assert mmf.entitlements == {m: v for m, v in mmf0.entitlements.items() if m != "DE"}
    assert lg.locations == lg0.locations  # hosts are countries: locations stay
    # the id remains only as the host of the locations in Germany
    assert "DE" in {loc.host for loc in lg.locations}
    rest = s.model_dump(mode="json", exclude={"logistics": {"locations"}})
    assert "DE" not in set(strings(rest))


def test_member_leaves_removes_a_pooled_fleet_only_it_was_entitled_to() -> None:
    d = data(REINFORCEMENT)
    fleet = next(f for f in d["logistics"]["lift"] if f["id"] == "NORDIC_RORO")
    fleet["entitlements"] = {"SE": 4.0}
    s = applied(scenario_from_data(d), edit(edit="member_leaves", member="SE"))
    assert s.logistics is not None
    assert "NORDIC_RORO" not in {f.id for f in s.logistics.lift}


def test_member_leaves_unknown() -> None:
    with pytest.raises(EditError, match=r"member_leaves \(XX leaves\): no member 'XX'"):
        apply_edits(data(TUTORIAL), [edit(edit="member_leaves", member="XX")])


def test_member_leaves_twice_is_an_error() -> None:
    e = edit(edit="member_leaves", member="C")
    with pytest.raises(EditError, match="no member 'C'"):
        apply_edits(data(TUTORIAL), [e, e])


# ---------------------------------------------------------------------------------------
# member_joins


def test_member_joins() -> None:
    budgets = {y: 100.0 for y in SAMPLE.horizon.years}
    e = edit(edit="member_joins",
             member={"id": "IS", "name": "Iceland", "gdp": 31, "budgets": budgets},
             requirements=[{"capability": "AMMO155", "quantity": 50, "by_year": 2030}],
             programs=["AMMO_NORDIC", "AAR_KC46"])
    s = applied(SAMPLE, e)
    assert s.members[-1].id == "IS" and s.members[-1].budgets == budgets
    assert s.requirements[-1].model_dump() == {"member": "IS", "capability": "AMMO155",
                                               "quantity": 50.0, "by_year": 2030}
    assert len(s.requirements) == len(SAMPLE.requirements) + 1
    nordic = s.program("AMMO_NORDIC")
    assert nordic.eligible == [*(SAMPLE.program("AMMO_NORDIC").eligible or []), "IS"]
    assert s.program("AAR_KC46").eligible is None  # open to every member already
    assert "IS" in s.eligible_members(s.program("AAR_KC46"))


def test_member_joins_twice_is_an_error() -> None:
    e = edit(edit="member_joins", member={"id": "D", "gdp": 1})
    with pytest.raises(EditError, match="'D' is already in the scenario"):
        apply_edits(data(TUTORIAL), [e, e])


def test_member_joins_unknown_program() -> None:
    e = edit(edit="member_joins", member={"id": "D", "gdp": 1}, programs=["F35"])
    with pytest.raises(EditError, match="no program 'F35'"):
        apply_edits(data(TUTORIAL), [e])


# ---------------------------------------------------------------------------------------
# cost_overrun


def test_cost_overrun_listed_programs() -> None:
    e = edit(edit="cost_overrun", programs=["AAR_KC46", "AMMO_EU_RAMPUP"], nrc_factor=1.5,
             unit_cost_factor=1.2)
    s = applied(SAMPLE, e)
    for p0 in SAMPLE.programs:
        p = s.program(p0.id)
        if p0.id in ("AAR_KC46", "AMMO_EU_RAMPUP"):
            assert p.nrc == pytest.approx({y: v * 1.5 for y, v in p0.nrc.items()})
            assert p.unit_cost == pytest.approx(p0.unit_cost * 1.2)
            assert p.unit_cost_by_member == pytest.approx(
                {m: v * 1.2 for m, v in p0.unit_cost_by_member.items()})
            assert p.model_dump(exclude={"nrc", "unit_cost", "unit_cost_by_member"}) == \
                p0.model_dump(exclude={"nrc", "unit_cost", "unit_cost_by_member"})
        else:
            assert p == p0


def test_cost_overrun_multinational_and_all() -> None:
    s = applied(SAMPLE, edit(edit="cost_overrun", multinational=True, nrc_factor=2))
    multi = {p.id for p in SAMPLE.programs if len(SAMPLE.eligible_members(p)) > 1}
    assert len(multi) == 25
    changed = {p.id for p in s.programs if p.nrc != SAMPLE.program(p.id).nrc}
    assert changed == {p for p in multi if SAMPLE.program(p).nrc}
    assert all(p.unit_cost == SAMPLE.program(p.id).unit_cost for p in s.programs)
    s = applied(TUTORIAL, edit(edit="cost_overrun", programs="*", unit_cost_factor=0.5))
    assert [p.unit_cost for p in s.programs] == [p.unit_cost / 2 for p in TUTORIAL.programs]


def test_cost_overrun_unknown_program() -> None:
    with pytest.raises(EditError, match=r"cost_overrun \(F35 overrun x2\): no program 'F35'"):
        apply_edits(data(TUTORIAL), [edit(edit="cost_overrun", programs=["F35"],
                                          nrc_factor=2, unit_cost_factor=2)])


# ---------------------------------------------------------------------------------------
# budget_change


def test_budget_change_all_members_all_years() -> None:
    s = applied(SAMPLE, edit(edit="budget_change", factor=0.8))
    for m0, m in zip(SAMPLE.members, s.members, strict=True):
        assert m0.budgets is not None
        assert m.budgets == pytest.approx({y: v * 0.8 for y, v in m0.budgets.items()})


def test_budget_change_some_members_some_years() -> None:
    e = edit(edit="budget_change", members=["FR", "DE"], years=[2026, 2027], factor=1.5)
    s = applied(SAMPLE, e)
    for m0, m in zip(SAMPLE.members, s.members, strict=True):
        assert m0.budgets is not None and m.budgets is not None
        for y, v in m0.budgets.items():
            hit = m0.id in ("FR", "DE") and y in (2026, 2027)
            assert m.budgets[y] == pytest.approx(v * 1.5 if hit else v)


def test_budget_change_member_without_budgets() -> None:
    with pytest.raises(EditError, match="member 'A' has no budgets"):
        apply_edits(data(TUTORIAL), [edit(edit="budget_change", members=["A"], factor=2)])
    # "*" changes the members that have budgets: none here
    assert apply_edits(data(TUTORIAL), [edit(edit="budget_change", factor=2)]) == data(TUTORIAL)


# ---------------------------------------------------------------------------------------
# capacity_loss and delivery_delay


def test_capacity_loss() -> None:
    s = applied(SAMPLE, edit(edit="capacity_loss", program="AMD_LR_PATRIOT", factor=0.5))
    assert s.program("AMD_LR_PATRIOT").capacity_per_year == \
        SAMPLE.program("AMD_LR_PATRIOT").capacity_per_year / 2  # type: ignore[operator]
    assert [p for p in s.programs if p.id != "AMD_LR_PATRIOT"] == \
        [p for p in SAMPLE.programs if p.id != "AMD_LR_PATRIOT"]


def test_capacity_loss_of_an_unlimited_program() -> None:
    s = applied(TUTORIAL, edit(edit="capacity_loss", program="LEASE", factor=0))
    assert s.program("LEASE").capacity_per_year == 0
    with pytest.raises(EditError, match="'LEASE' has no capacity limit"):
        apply_edits(data(TUTORIAL), [edit(edit="capacity_loss", program="LEASE", factor=0.5)])
    assert apply_edits(data(TUTORIAL), [edit(edit="capacity_loss", program="LEASE",
                                             factor=1)]) == data(TUTORIAL)


def test_capacity_loss_in_some_years_cannot_apply() -> None:
    with pytest.raises(EditError, match="one capacity for every year"):
        apply_edits(data(TUTORIAL), [edit(edit="capacity_loss", program="MRTT", factor=0.5,
                                          years=[2027])])


def test_delivery_delay() -> None:
    s = applied(SAMPLE, edit(edit="delivery_delay", program="AMD_LR_SAMPT", years=2))
    assert SAMPLE.program("AMD_LR_SAMPT").first_delivery_year == 2028
    assert s.program("AMD_LR_SAMPT").first_delivery_year == 2030
    assert [p for p in s.programs if p.id != "AMD_LR_SAMPT"] == \
        [p for p in SAMPLE.programs if p.id != "AMD_LR_SAMPT"]
    # no first delivery year: the horizon's first year + the delay
    s = applied(TUTORIAL, edit(edit="delivery_delay", program="EURODRONE", years=1))
    assert TUTORIAL.program("EURODRONE").first_delivery_year is None
    assert s.program("EURODRONE").first_delivery_year == 2027


def test_delivery_delay_beyond_the_horizon_is_left_to_validation() -> None:
    out = apply_edits(data(TUTORIAL), [edit(edit="delivery_delay", program="MRTT", years=1)])
    assert prog(out, "MRTT")["first_delivery_year"] == 2028
    with pytest.raises(ProcureError, match=r"first_delivery_year: year 2028 is outside"):
        scenario_from_data(out)


# ---------------------------------------------------------------------------------------
# basing_withdrawn and exclusion_added


def test_basing_withdrawn() -> None:
    lg0 = REINFORCEMENT.logistics
    assert lg0 is not None
    s = applied(REINFORCEMENT, edit(edit="basing_withdrawn", member="US",
                                         location="POWIDZ"))
    assert s.logistics is not None
    assert s.logistics.basing_rights == [r for r in lg0.basing_rights
                                         if (r.member, r.location) != ("US", "POWIDZ")]
    assert len(s.logistics.basing_rights) == len(lg0.basing_rights) - 1
    assert s.model_dump(exclude={"logistics": {"basing_rights"}}) == \
        REINFORCEMENT.model_dump(exclude={"logistics": {"basing_rights"}})
    s = applied(REINFORCEMENT, edit(edit="basing_withdrawn", member="*", location="LHPA"))
    assert s.logistics is not None
    assert s.logistics.basing_rights == [r for r in lg0.basing_rights if r.location != "LHPA"]
    s = applied(REINFORCEMENT, edit(edit="basing_withdrawn", member="PL", location="*"))
    assert s.logistics is not None
    assert s.logistics.basing_rights == [r for r in lg0.basing_rights if r.member != "PL"]


def test_basing_withdrawn_errors() -> None:
    with pytest.raises(EditError, match="no basing right of member 'CA' at location 'LHPA'"):
        apply_edits(data(REINFORCEMENT), [edit(edit="basing_withdrawn", member="CA",
                                               location="LHPA")])
    with pytest.raises(EditError, match="no location 'XX'"):
        apply_edits(data(REINFORCEMENT), [edit(edit="basing_withdrawn", member="US",
                                               location="XX")])
    with pytest.raises(EditError, match="no logistics section"):
        apply_edits(data(SAMPLE), [edit(edit="basing_withdrawn", member="US", location="X")])


def test_exclusion_added() -> None:
    s = applied(SAMPLE, edit(edit="exclusion_added", program="AMD_MR_ESSI", member="TR"))
    assert s.program("AMD_MR_ESSI").excluded == ["TR"]
    assert "TR" not in s.eligible_members(s.program("AMD_MR_ESSI"))
    assert [p for p in s.programs if p.id != "AMD_MR_ESSI"] == \
        [p for p in SAMPLE.programs if p.id != "AMD_MR_ESSI"]
    # already excluded: no change
    again = edit(edit="exclusion_added", program="AMD_LR_PATRIOT", member="TR")
    assert apply_edits(data(SAMPLE), [again]) == data(SAMPLE)


def test_exclusion_added_errors() -> None:
    with pytest.raises(EditError, match=r"exclusion_added \(ZZ excluded from MRTT\): no member"):
        apply_edits(data(TUTORIAL), [edit(edit="exclusion_added", program="MRTT", member="ZZ")])
    with pytest.raises(EditError, match="no program 'X'"):
        apply_edits(data(TUTORIAL), [edit(edit="exclusion_added", program="X", member="A")])


# ---------------------------------------------------------------------------------------
# requirement_change


def test_requirement_change_factor_rounds_whole_units() -> None:
    s = applied(SAMPLE, edit(edit="requirement_change", member="PL", factor=1.25))
    caps = {c.id: c for c in SAMPLE.capabilities}
    for r0, r in zip(SAMPLE.requirements, s.requirements, strict=True):
        if r0.member != "PL":
            assert r == r0
        elif caps[r0.capability].divisible:
            assert r.quantity == pytest.approx(r0.quantity * 1.25)
        else:
            assert r.quantity == float(int(r0.quantity * 1.25 + 0.5))
            assert r.quantity == round(r.quantity)


def test_requirement_change_drops_what_rounds_to_nothing() -> None:
    s = applied(TUTORIAL, edit(edit="requirement_change", capability="tanker",
                                    factor=0.4))
    # tanker requirements 2, 1, 1 (whole aircraft) -> 0.8 -> 1, 0.4 -> dropped
    tankers = [(r.member, r.quantity) for r in s.requirements if r.capability == "tanker"]
    assert tankers == [("A", 1.0)]


def test_requirement_change_shift() -> None:
    d = data(TUTORIAL)
    d["requirements"].append({"member": "A", "capability": "ammo", "quantity": 4,
                              "by_year": 2026})
    base = scenario_from_data(d)
    s = applied(base, edit(edit="requirement_change", member="A", by_year_shift=1))
    # A's 2027 requirements move beyond the horizon (dropped); 2026 ammo moves to 2027
    assert [(r.member, r.capability, r.quantity, r.by_year) for r in s.requirements
            if r.member == "A"] == [("A", "ammo", 4.0, 2027)]
    s = applied(base, edit(edit="requirement_change", member="A", by_year_shift=-1))
    # 2027 -> 2026; ammo 10 by 2027 and 4 by 2026 both land in 2026: merged, the larger kept
    assert [(r.capability, r.quantity, r.by_year) for r in s.requirements
            if r.member == "A"] == [("tanker", 2.0, 2026), ("drone", 3.0, 2026),
                                    ("ammo", 10.0, 2026)]
    assert [r for r in s.requirements if r.member != "A"] == \
        [r for r in base.requirements if r.member != "A"]


def test_requirement_change_errors() -> None:
    with pytest.raises(EditError, match="no requirement of member 'C' for capability 'drone'"):
        apply_edits(data(TUTORIAL), [edit(edit="requirement_change", member="C",
                                          capability="drone", factor=2)])
    with pytest.raises(EditError, match="no capability 'lasers'"):
        apply_edits(data(TUTORIAL), [edit(edit="requirement_change", capability="lasers",
                                          factor=2)])
    with pytest.raises(EditError, match="no member 'Q'"):
        apply_edits(data(TUTORIAL), [edit(edit="requirement_change", member="Q", factor=2)])


# ---------------------------------------------------------------------------------------
# solver options, order, input never changed


def test_solver_options_change_no_scenario() -> None:
    e = edit(edit="solver_options", time_limit=5, solver="scip")
    assert apply_edits(data(SAMPLE), [e]) == data(SAMPLE)


def test_edits_apply_in_order() -> None:
    leave, overrun = (edit(edit="member_leaves", member="B"),
                      edit(edit="cost_overrun", multinational=True, nrc_factor=2))
    a = apply_edits(data(TUTORIAL), [leave, overrun])
    b = apply_edits(data(TUTORIAL), [overrun, leave])
    # after B leaves, MRTT (A, C eligible) is still multinational, ASAP (A only) is not
    assert prog(a, "MRTT")["nrc"] == {"2026": 600.0}
    assert prog(a, "ASAP")["nrc"] == {"2026": 50.0}
    assert prog(b, "ASAP")["nrc"] == {"2026": 100.0}


ALL_KINDS = [
    (SAMPLE, edit(edit="member_leaves", member="DE")),
    (SAMPLE, edit(edit="member_joins", member={"id": "IS", "gdp": 31},
                  programs=["AMMO_NORDIC"])),
    (SAMPLE, edit(edit="cost_overrun", multinational=True, nrc_factor=1.3,
                  unit_cost_factor=1.3)),
    (SAMPLE, edit(edit="budget_change", factor=0.7, years=[2030])),
    (SAMPLE, edit(edit="capacity_loss", program="AMMO_US", factor=0.2)),
    (SAMPLE, edit(edit="delivery_delay", program="MBT_LEO2A8", years=1)),
    (REINFORCEMENT, edit(edit="basing_withdrawn", member="*", location="ETAR")),
    (SAMPLE, edit(edit="exclusion_added", program="MPA_P8", member="FR")),
    (SAMPLE, edit(edit="requirement_change", capability="AMMO155", factor=1.1,
                  by_year_shift=-2)),
    (SAMPLE, edit(edit="solver_options", seed=3)),
]


@pytest.mark.parametrize(("base", "e"), ALL_KINDS, ids=[e.edit for _, e in ALL_KINDS])
def test_no_input_mutation_and_valid_result(base: Scenario, e: Edit) -> None:
    d = data(base)
    before = copy.deepcopy(d)
    out = apply_edits(d, [e])
    assert d == before and out is not d
    scenario_from_data(out)


def test_every_kind_is_covered() -> None:
    from procure.schema.sweep import EDIT_KINDS

    assert sorted(e.edit for _, e in ALL_KINDS) == sorted(EDIT_KINDS)

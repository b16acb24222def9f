"""The price of each national constraint and "why not program P?"
(models/procurement.md section 13), on scenarios small enough to solve by hand.

The alliance: FR and DE each need 10 batteries of AMD in 2026. JOINT (led and built by
DE, NRC 100, 10 a unit) or NAT (FR's national program, NRC 60, 12 a unit, only FR
eligible). NRC is split equally among a launch's buyers. Without national rules both buy
from JOINT: 100 + 20 x 10 = 300, each member paying 50 + 100 = 150.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procure.explain.prices import (
    ALL,
    PRICES,
    WHY_NOT,
    ConstraintPrices,
    constraint_prices,
    national_rules,
    parse_question,
    relax,
    why_not,
)
from procure.io import scenario_from_data
from procure.procurement.evaluate import evaluate
from procure.procurement.solve import solve
from procure.run.model import Budget
from procure.schema import Scenario

BASE: dict[str, Any] = {
    "name": "prices", "horizon": {"first_year": 2026, "last_year": 2026},
    "cost_share": {"rule": "equal"},
    "members": [{"id": "FR", "gdp": 3000}, {"id": "DE", "gdp": 4000}],
    "capabilities": [{"id": "AMD", "unit": "battery"}],
    "programs": [
        {"id": "JOINT", "capability": "AMD", "lead": "DE", "nrc": {2026: 100},
         "unit_cost": 10},
        {"id": "NAT", "capability": "AMD", "lead": "FR", "nrc": {2026: 60}, "unit_cost": 12,
         "eligible": ["FR"]}],
    "requirements": [{"member": "FR", "capability": "AMD", "quantity": 10, "by_year": 2026},
                     {"member": "DE", "capability": "AMD", "quantity": 10, "by_year": 2026}],
}


def alliance(fr: dict[str, Any] | None = None, *, fr_budget: float | None = None,
             joint: dict[str, Any] | None = None, nat: dict[str, Any] | None = None
             ) -> Scenario:
    """BASE with FR's national constraints ``fr``, its 2026 budget, and changes to the
    programs JOINT and NAT."""
    d = copy.deepcopy(BASE)
    if fr is not None:
        d["members"][0]["constraints"] = fr
    if fr_budget is not None:
        d["members"][0]["budgets"] = {2026: fr_budget}
    d["programs"][0].update(joint or {})
    d["programs"][1].update(nat or {})
    return scenario_from_data(d)


def prices(s: Scenario, **kw: Any) -> ConstraintPrices:
    cp = constraint_prices(s, workers=0, **kw)
    checked(s, cp)
    return cp


def checked(s: Scenario, cp: ConstraintPrices) -> None:
    """Every plan a price compares passes the independent evaluator, here again: the
    plan with every rule on the scenario, each plan without a rule on the scenario
    without it (at the like-for-like level where there is one)."""
    assert cp.base.accepted is True and cp.base.plan is not None
    assert evaluate(s, cp.base.plan).feasible
    data = s.model_dump(mode="json")
    for p in cp.prices:
        loose = scenario_from_data(relax(data, p.rule))
        for ps in (p.comparison.loose, p.comparison.level):
            if ps is None or ps.plan is None:
                continue
            assert ps.accepted is True, ps.describe()
            allowance = tuple(ps.shortfall) if ps is p.comparison.level else None
            ev = evaluate(loose, ps.plan, allowance=allowance)
            assert ev.feasible, [str(v) for v in ev.violations]
            assert ev.total_cost == pytest.approx(ps.cost)


# ---------------------------------------------------------------------------------------
# the price of a national rule


def test_sovereign_capability_costs_the_national_premium() -> None:
    """FR's sovereign AMD: NAT for FR (60 + 10 x 12 = 180) and JOINT for DE alone
    (100 + 100): 380 against 300, so 80; FR pays 180 instead of 150, so 30 of it, and DE
    the other 50 (JOINT's NRC alone)."""
    cp = prices(alliance({"sovereign": ["AMD"]}))
    p = cp.price_of("FR", "sovereign", "AMD")
    assert p.comparison.finding
    assert p.comparison.price == pytest.approx(80.0)
    assert p.comparison.member_change("FR") == pytest.approx(30.0)
    assert p.comparison.member_change("DE") == pytest.approx(50.0)
    assert cp.lines() == ["FR sovereign AMD: costs the alliance 80.0 EUR million; FR's own "
                          "share of that: 30.0"]
    t = cp.table()
    assert list(t.columns) == PRICES.names
    assert t.attrs["units"]["price"] == "EUR million"
    row = t.iloc[0]
    assert (row.cost_with, row.cost_without, row.cost_without_full) == pytest.approx(
        (380.0, 300.0, 300.0))
    assert (row.launches_only_with, row.launches_only_without) == ("NAT", "")
    assert (row.status_with, row.status_without, row.status_like_for_like) == (
        "optimal", "optimal", "")
    assert row.finding and not row.delivers_more_without and row.extra_units_without == ""


def test_dependence_cap_that_binds() -> None:
    """FR takes at most half its AMD from DE-led programs: 5 from JOINT (NRC split
    50/50) and 5 from NAT. 100 + 15 x 10 + 60 + 5 x 12 = 370 (NAT alone for FR: 380);
    FR pays 50 + 50 + 60 + 60 = 220 against 150."""
    cp = prices(alliance({"max_single_foreign_share": 0.5}))
    c = cp.price_of("FR", "dependence cap", ALL).comparison
    assert c.finding and c.price == pytest.approx(70.0)
    assert c.tight.cost == pytest.approx(370.0)
    assert c.member_change("FR") == pytest.approx(70.0)


def test_per_capability_cap_under_a_member_wide_one_is_lifted_to_one() -> None:
    """A per-capability cap of 0.5 under a member-wide cap of 0.5: relaxing the
    per-capability cap sets it to 1 (the member-wide cap would otherwise apply), so it
    costs nothing; relaxing the member-wide one leaves the per-capability cap: nothing
    either. Each price is the rule's own, the others kept."""
    s = alliance({"max_single_foreign_share": 0.5,
                  "max_single_foreign_share_by_capability": {"AMD": 0.5}})
    data = relax(s.model_dump(mode="json"), national_rules(s)[1])
    assert data["members"][0]["constraints"]["max_single_foreign_share_by_capability"] == {
        "AMD": 1.0}
    cp = prices(s)
    assert cp.price_of("FR", "dependence cap", "AMD").comparison.price == pytest.approx(70.0)
    assert cp.price_of("FR", "dependence cap", ALL).comparison.price == 0.0


def test_workshare_rule_that_binds() -> None:
    """JOINT places 10 % of its work in FR; FR wants work worth half of what it pays
    (global balance). With a units from JOINT and 10 - a from NAT, FR's work is
    0.1 (100 + 10 (10 + a)) + 60 + 12 (10 - a) and its payments 50 + 10 a + 60 +
    12 (10 - a): a = 8 is the most that holds (112 >= 107; a = 9: 101 < 106). Cost
    100 + 180 + 60 + 24 = 364; FR pays 214 instead of 150."""
    s = alliance({"workshare": {"mode": "global", "min_ratio": 0.5}},
                 joint={"producers": {"DE": 0.9, "FR": 0.1}})
    c = prices(s).price_of("FR", "workshare", ALL).comparison
    assert c.finding and c.price == pytest.approx(64.0)
    assert c.member_change("FR") == pytest.approx(64.0)
    assert c.tight.buys_from("NAT", "FR") and c.tight.buys_from("JOINT", "FR")


def test_export_exclusions() -> None:
    """FR barred from JOINT and DE from NAT (open to both otherwise): FR on NAT (180), DE
    on JOINT alone (200), DE's tanks 10: 390. Without FR's exclusion both take JOINT:
    310, 80 (FR 180 -> 150, DE 210 -> 160). Without DE's, DE joins NAT, its NRC split
    30/30: 60 + 240 + 10 = 310, 80 again (DE 210 -> 160, FR 180 -> 150). FR barred
    from TANK, whose capability it does not need: the same model, 0 without a solve."""
    d = copy.deepcopy(BASE)
    d["programs"][0]["excluded"] = ["FR"]
    d["programs"][1].pop("eligible")
    d["programs"][1]["excluded"] = ["DE"]
    d["capabilities"].append({"id": "MBT", "unit": "tank"})
    d["programs"].append({"id": "TANK", "capability": "MBT", "lead": "DE", "unit_cost": 5,
                          "excluded": ["FR"]})
    d["requirements"].append({"member": "DE", "capability": "MBT", "quantity": 2,
                              "by_year": 2026})
    cp = prices(scenario_from_data(d))
    assert cp.base.cost == pytest.approx(390.0)
    assert [(p.rule.member, p.rule.subject) for p in cp.prices] == [
        ("FR", "JOINT"), ("FR", "TANK"), ("DE", "NAT")]
    for who, program in ("FR", "JOINT"), ("DE", "NAT"):
        c = cp.price_of(who, "export exclusion", program).comparison
        assert c.finding and not c.identical and c.price == pytest.approx(80.0)
        assert c.member_change("FR") == pytest.approx(30.0)
        assert c.member_change("DE") == pytest.approx(50.0)
    tank = cp.price_of("FR", "export exclusion", "TANK")
    assert tank.comparison.identical and tank.comparison.price == 0.0
    assert cp.lines()[1] == "FR export exclusion from TANK: costs nothing (removing the " \
                            "rule does not change the model)"
    row = cp.table().iloc[1]
    assert row.finding and row.price == 0.0 and row.status_without == "same model"


def test_a_rule_that_does_not_bind_costs_nothing() -> None:
    """DE caps what it takes from one foreign lead at 50 %, but buys from JOINT, which it
    leads: re-solved without the cap, the plan is the same, 0."""
    d = copy.deepcopy(BASE)
    d["members"][1]["constraints"] = {"max_single_foreign_share": 0.5}
    cp = prices(scenario_from_data(d))
    c = cp.price_of("DE", "dependence cap", ALL).comparison
    assert not c.identical and c.loose.status == "optimal"
    assert c.finding and c.price == 0.0 and c.member_change("DE") == 0.0
    assert cp.lines() == ["DE dependence cap: at most 50% of any capability from one "
                          "foreign lead: costs nothing"]


def test_like_for_like_when_the_rule_also_costs_delivery() -> None:
    """FR's budget of 150 with AMD sovereign: NAT, 60 + 7 x 12 = 144, 3 short. Without
    the rule FR gets all 10 from JOINT (50 + 100 = 150); like for like (at most 3 short
    for FR) JOINT delivers 17: 270. The price is 344 - 270 = 74; the 3 more batteries
    cost 30; FR pays 144 against 50 + 70 = 120."""
    cp = prices(alliance({"sovereign": ["AMD"]}, fr_budget=150.0))
    c = cp.price_of("FR", "sovereign", "AMD").comparison
    assert c.level is not None and c.level.status == "optimal"
    assert c.finding and c.price == pytest.approx(74.0)
    assert c.member_change("FR") == pytest.approx(24.0)
    assert c.delivers_more_loose
    row = cp.table().iloc[0]
    assert (row.cost_with, row.cost_without, row.cost_without_full,
            row.cost_of_extra_units) == pytest.approx((344.0, 270.0, 300.0, 30.0))
    assert (row.requirements_short_with, row.requirements_short_without) == (1, 0)
    assert row.extra_units_without == "AMD 3 battery"
    assert cp.lines()[0] == (
        "FR sovereign AMD: costs the alliance 74.0 EUR million; FR's own share of that: "
        "24.0; without it the alliance would also deliver more (1 -> 0 requirements short, "
        "for 30.0 EUR million more)")


def test_a_price_from_an_unfinished_solve_is_not_a_finding() -> None:
    """No time left: nothing is solved, and no price is claimed."""
    s = alliance({"sovereign": ["AMD"]})
    cp = constraint_prices(s, workers=0, budget=Budget(0.0))
    c = cp.price_of("FR", "sovereign", "AMD").comparison
    assert not c.finding and c.price is None and c.interval is None
    assert cp.base.status == "not run"
    row = cp.table().iloc[0]
    assert not row.finding and row.price != row.price  # nan
    assert "price not known" in cp.lines()[0] and "time budget ran out" in cp.lines()[0]


def test_the_caller_s_plan_is_reused() -> None:
    s = alliance({"sovereign": ["AMD"]})
    rec = solve(s)
    cp = prices(s, plan=rec)
    assert cp.base.cost == pytest.approx(380.0)
    assert cp.price_of("FR", "sovereign", "AMD").comparison.price == pytest.approx(80.0)


def test_local_pool_gives_the_serial_prices() -> None:
    s = alliance({"sovereign": ["AMD"], "max_single_foreign_share": 0.5,
                  "workshare": {"mode": "global", "min_ratio": 0.5}}, fr_budget=150.0,
                 joint={"producers": {"DE": 0.9, "FR": 0.1}})
    serial = constraint_prices(s, workers=0).table()
    pooled = constraint_prices(s, workers=2).table()
    cols = ["member", "rule", "subject", "finding", "price", "member_share_of_price",
            "cost_with", "cost_without", "cost_without_full", "status_without"]
    assert serial[cols].equals(pooled[cols])
    assert serial.finding.all()


# ---------------------------------------------------------------------------------------
# invariant: removing a rule never makes the plan dearer at equal delivery

rule_sets = st.fixed_dictionaries({
    "sovereign": st.sampled_from([[], ["AMD"]]),
    "max_single_foreign_share": st.sampled_from([None, 0.0, 0.3, 0.5, 1.0]),
    "workshare": st.sampled_from([None, {"mode": "global", "min_ratio": 0.4},
                                  {"mode": "per_program", "min_ratio": 1.0}]),
})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fr=rule_sets, budget=st.sampled_from([None, 120.0, 200.0]),
       nat_nrc=st.integers(0, 120), joint_unit=st.integers(5, 15),
       fr_work=st.sampled_from([0.0, 0.2]), excluded=st.booleans())
def test_price_is_never_negative(fr: dict[str, Any], budget: float | None, nat_nrc: int,
                                 joint_unit: int, fr_work: float, excluded: bool) -> None:
    joint: dict[str, Any] = {"unit_cost": joint_unit,
                             "producers": {"DE": 1.0 - fr_work, "FR": fr_work}
                             if fr_work else None}
    if excluded:
        joint["excluded"] = ["FR"]
    s = alliance(fr, fr_budget=budget, joint=joint, nat={"nrc": {2026: nat_nrc}})
    cp = prices(s)
    for p in cp.prices:
        c = p.comparison
        assert c.finding, p.line("EUR million")
        assert c.price is not None and c.price >= 0.0
        assert c.tight.cost is not None and c.like_for_like.cost is not None
        assert c.like_for_like.cost <= c.tight.cost + 1e-6 * max(1.0, c.tight.cost)


# ---------------------------------------------------------------------------------------
# why not program P?


def test_why_not_a_program_outside_the_plan() -> None:
    """Forcing NAT: its NRC 60 and its minimum run of one unit (12 instead of 10):
    100 + 60 + 19 x 10 + 12 = 362, 62 more, all of it FR's (the only one who may buy)."""
    wn = why_not(alliance(), [("NAT", None), ("NAT", "FR")], workers=0)
    for q in ("NAT", "FR"), ("NAT", None):
        a = wn.answer(*q)
        assert a.verdict == "can be forced" and a.comparison.finding
        assert a.comparison.price == pytest.approx(62.0)
        assert a.comparison.tight.accepted is True
        assert a.comparison.tight.buys_from("NAT", "FR")
    assert wn.answer("NAT", "FR").comparison.member_change("FR") == pytest.approx(62.0)
    assert wn.lines()[1] == ("forcing NAT with FR costs the alliance 62.0 EUR million more "
                             "(FR's own extra payment: 62.0); adds NAT")
    t = wn.table()
    assert list(t.columns) == WHY_NOT.names
    assert t.price.tolist() == pytest.approx([62.0, 62.0])
    assert t.cost_optimal.tolist() == pytest.approx([300.0, 300.0])


def test_why_not_a_program_already_in_the_plan() -> None:
    wn = why_not(alliance(), [("JOINT", None), ("JOINT", "FR")], workers=0)
    assert [a.verdict for a in wn.answers] == ["already in the plan"] * 2
    assert [a.comparison.price for a in wn.answers] == [0.0, 0.0]
    assert wn.lines()[1] == ("FR already buys from JOINT in the optimal plan: forcing it "
                             "costs nothing")


def test_why_not_a_member_that_may_not_join() -> None:
    """DE is not eligible for NAT; FR's sovereign AMD bars it from JOINT: both read from
    the data, without a solve."""
    s = alliance({"sovereign": ["AMD"]})
    wn = why_not(s, [("NAT", "DE"), ("JOINT", "FR")], workers=0)
    assert [a.verdict for a in wn.answers] == ["cannot be forced"] * 2
    assert "DE is not eligible for NAT (eligible: FR)" in wn.lines()[0]
    assert wn.lines()[1] == ("JOINT with FR cannot be forced: AMD is sovereign for FR, and "
                             "JOINT is led by DE and not produced in FR")
    t = wn.table()
    assert t.status_forced.tolist() == ["", ""] and not t.finding.any()


def test_why_not_a_program_the_budgets_rule_out() -> None:
    """FR's 2026 budget is 50: joining NAT costs it at least 60 + 12, so the forced
    model is infeasible (the solver says so); a program whose minimum run exceeds what
    anyone may buy is ruled out from the data."""
    s = alliance(fr_budget=50.0, nat={"min_production_run": 11})
    wn = why_not(s, [("NAT", None)], workers=0)
    a = wn.answers[0]
    assert a.verdict == "cannot be forced"
    assert "below its minimum production run of 11" in a.reason
    s = alliance(fr_budget=50.0)
    a = why_not(s, [("NAT", "FR")], workers=0).answers[0]
    assert a.verdict == "cannot be forced" and a.comparison.tight.status == "infeasible"
    assert "the forced model is infeasible" in a.reason


def test_why_not_checks_its_questions() -> None:
    with pytest.raises(ValueError, match="unknown program 'NOPE'"):
        why_not(alliance(), [("NOPE", None)], workers=0)
    with pytest.raises(ValueError, match="unknown member 'XX'"):
        why_not(alliance(), [("NAT", "XX")], workers=0)
    assert parse_question("NAT") == ("NAT", None)
    assert parse_question(" NAT : FR ") == ("NAT", "FR")
    for bad in ("", ":FR", "NAT:", "A:B:C"):
        with pytest.raises(ValueError, match="not PROGRAM or PROGRAM:MEMBER"):
            parse_question(bad)


def test_an_unproven_solve_gives_an_interval_not_a_price() -> None:
    """13.3: the plan with the rule stopped at a limit (120 found, bound 100), the plan
    without it proven (90), nothing short: the price lies in [100 - 90, 120 - 90]."""
    from procure.explain.prices import Comparison, ConstraintPrice, NationalRule, PlanSolve
    from procure.procurement.plan import Plan

    empty = Plan("joint", (), ())
    tight = PlanSolve("feasible", "time", 120.0, 100.0, 1 / 6, 120.0, True, (), (0.0,),
                      {"FR": 70.0}, empty)
    loose = PlanSolve("optimal", "gap", 90.0, 90.0, 0.0, 90.0, True, (), (0.0,),
                      {"FR": 50.0}, empty)
    c = Comparison(tight, loose)
    assert not c.finding and c.price is None and c.member_change("FR") is None
    assert c.interval == pytest.approx((10.0, 30.0))
    line = ConstraintPrice(NationalRule("FR", "sovereign", "AMD", "sovereign AMD"), c).line(
        "EUR million")
    assert line == ("FR sovereign AMD: costs between 10.0 and 30.0 EUR million (not proven: "
                    "with every rule: feasible, stopped by time, bound 100.0, gap 16.7 %)")
    # shortfalls differ and the plan with the rule is not proven: no level, no interval
    short = PlanSolve("feasible", "time", 1e6, 100.0, 0.9, 100.0, True, (), (1.0,), {},
                      empty)
    assert Comparison(short, loose).interval is None
    # a proven plan that delivers everything against an unfinished one that does not:
    # with the default penalty the looser optimum delivers everything too (13.3)
    assert Comparison(loose, short).interval is None
    assert Comparison(loose, short, lexicographic=True).interval == pytest.approx((0.0, 0.0))
    assert Comparison(replace(loose, cost=130.0), short, lexicographic=True).interval == (
        pytest.approx((0.0, 30.0)))

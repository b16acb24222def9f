"""Hand-checkable scenarios, one rule each, solved on every MIP backend.

Each expected value is derived in the test's docstring; every solve is re-checked
by the independent evaluator (``solve_checked``).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import MIP_BACKENDS, solve_checked

from procure.procurement.formulation import FormulationOptions
from procure.procurement.solve import ProcurementRecord, solve
from procure.schema import Scenario

YEARS = {"first_year": 2026, "last_year": 2027}


def make(members: list[dict[str, Any]], programs: list[dict[str, Any]],
         requirements: list[tuple[str, str, float, int]], **extra: Any) -> Scenario:
    caps = sorted({p["capability"] for p in programs} | {r[1] for r in requirements})
    return Scenario.model_validate({
        "name": "rule-test",
        "horizon": extra.pop("horizon", YEARS),
        "members": members,
        "capabilities": [{"id": c, "divisible": c.startswith("div")} for c in caps],
        "programs": programs,
        "requirements": [{"member": m, "capability": c, "quantity": q, "by_year": y}
                         for m, c, q, y in requirements],
        **extra,
    })


def bought(res: ProcurementRecord) -> dict[tuple[str, str], float]:
    df = res.tables["purchases"]
    return {(str(k[0]), str(k[1])): float(v)
            for k, v in df.groupby(["launch", "member"])["quantity"].sum().items()}


def launched(res: ProcurementRecord) -> set[str]:
    assert res.plan is not None
    return {ln.id for ln in res.plan.launches}


def budgets(per_year: float) -> dict[int, float]:
    return {2026: per_year, 2027: per_year}


@pytest.fixture(params=MIP_BACKENDS)
def solver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_budget_spreads_purchases_and_names_shortfall(solver: str) -> None:
    """Need 4 units at 10 each by 2027 with 20 a year: 2 + 2. With 15 a year only one
    unit a year is affordable: shortfall 2, named by member and capability."""
    prog = [{"id": "P", "capability": "tank", "lead": "A", "unit_cost": 10}]
    ok = make([{"id": "A", "gdp": 1, "budgets": budgets(20)}], prog, [("A", "tank", 4, 2027)])
    res = solve_checked(ok, solver=solver)
    df = res.tables["purchases"]
    assert df.groupby("year")["quantity"].sum().to_dict() == {2026: 2.0, 2027: 2.0}
    tight = make([{"id": "A", "gdp": 1, "budgets": budgets(15)}], prog, [("A", "tank", 4, 2027)])
    res = solve_checked(tight, solver=solver)
    sf = res.tables["shortfalls"]
    assert sf[["member", "capability", "shortfall"]].values.tolist() == [["A", "tank", 2.0]]
    assert res.metrics["total_cost"] == pytest.approx(20.0)
    strict = solve(tight, solver=solver, formulation=FormulationOptions(strict=True))
    assert str(strict.status) == "infeasible"


def _key_scenario(b_budget: float, rule: dict[str, Any]) -> Scenario:
    """A (GDP 100), B (50), C (10) each need one unit of the only program: NRC 100, unit 10."""
    members = [{"id": "A", "gdp": 100}, {"id": "B", "gdp": 50, "budgets": budgets(b_budget)},
               {"id": "C", "gdp": 10}]
    prog = [{"id": "J", "capability": "tank", "lead": "A", "nrc": {2026: 100}, "unit_cost": 10,
             "first_delivery_year": 2027, "cost_share": rule}]
    return make(members, prog, [(m, "tank", 1, 2027) for m in "ABC"])


KEY_CAP = {"rule": "key", "key": "gdp", "caps": {"A": 0.5}}


def test_key_rule_with_cap_is_exact(solver: str) -> None:
    """GDP key 100:50:10 gives A 0.625 > cap 0.5; the 0.125 excess goes to B and C in
    proportion 50:10, so B's share is 0.5 * 50/60 = 5/12 and B pays 41.667 NRC in 2026.
    A 2026 budget of exactly 41.667 (+1e-6) lets all three join; 0.01 less does not."""
    share_b = 0.5 * 50 / 60
    res = solve_checked(_key_scenario(100 * share_b + 1e-6, KEY_CAP), solver=solver)
    assert res.evaluation.shortfall_units == 0
    assert res.evaluation is not None
    assert res.evaluation.shares[("J", "B")] == pytest.approx(share_b, rel=1e-9)
    assert res.evaluation.shares[("J", "A")] == pytest.approx(0.5, rel=1e-9)
    res = solve_checked(_key_scenario(100 * share_b - 0.01, KEY_CAP), solver=solver)
    assert bought(res) == {("J", "A"): 1.0, ("J", "C"): 1.0}
    assert res.evaluation.shortfall_units == 1
    assert res.evaluation is not None
    assert res.evaluation.shares[("J", "A")] == pytest.approx(0.5)  # capped; C pays the rest


def test_key_rule_floor_is_exact(solver: str) -> None:
    """Floor C at 0.2: raw shares 100:50:10 / 160 put C at 0.0625 < 0.2; the other 0.8 is
    split 100:50, so B pays 0.8/3 = 26.667 of the NRC."""
    rule = {"rule": "key", "key": "gdp", "floors": {"C": 0.2}}
    res = solve_checked(_key_scenario(100 * 0.8 / 3 + 1e-6, rule), solver=solver)
    assert res.evaluation.shortfall_units == 0
    assert res.evaluation is not None
    assert res.evaluation.shares[("J", "C")] == pytest.approx(0.2)
    res = solve_checked(_key_scenario(100 * 0.8 / 3 - 0.01, rule), solver=solver)
    assert res.evaluation.shortfall_units == 1


def test_equal_shares(solver: str) -> None:
    """Equal shares of NRC 100 among three: B pays 33.333 in 2026."""
    res = solve_checked(_key_scenario(100 / 3 + 1e-6, {"rule": "equal"}), solver=solver)
    assert res.evaluation.shortfall_units == 0
    res = solve_checked(_key_scenario(100 / 3 - 0.01, {"rule": "equal"}), solver=solver)
    assert res.evaluation.shortfall_units == 1
    assert res.evaluation is not None
    assert res.evaluation.shares[("J", "A")] == pytest.approx(0.5)


def test_proportional_shares_exact_for_small_runs(solver: str) -> None:
    """A buys 3, B buys 1 of NRC 100: B's share is 1/4 (exact tier), 25 in 2026."""
    def scen(b: float) -> Scenario:
        members = [{"id": "A", "gdp": 1}, {"id": "B", "gdp": 1, "budgets": budgets(b)}]
        prog = [{"id": "J", "capability": "tank", "lead": "A", "nrc": {2026: 100},
                 "unit_cost": 10, "first_delivery_year": 2027}]
        return make(members, prog, [("A", "tank", 3, 2027), ("B", "tank", 1, 2027)])

    res = solve_checked(scen(25 + 1e-6), solver=solver)
    assert res.evaluation.shortfall_units == 0
    res = solve_checked(scen(25 - 0.01), solver=solver)
    assert res.evaluation.shortfall_units == 1


def test_proportional_shares_conservative_for_large_runs(solver: str) -> None:
    """A buys 900, B 100 (beyond the exact tiers): B's exact share is 0.1 (NRC 1000 -> 100).
    A budget of 100 * (1 + tol) always suffices; with 99 B must go short; whatever the
    model picks in between, the evaluator's exact payment never exceeds the budget."""
    def scen(b: float) -> Scenario:
        members = [{"id": "A", "gdp": 1}, {"id": "B", "gdp": 1, "budgets": budgets(b)}]
        prog = [{"id": "J", "capability": "ammo", "lead": "A", "nrc": {2026: 1000},
                 "unit_cost": 0, "first_delivery_year": 2027}]
        return make(members, prog, [("A", "ammo", 900, 2027), ("B", "ammo", 100, 2027)],
                    cost_share={"rule": "proportional", "tolerance": 0.02})

    assert solve_checked(scen(100 * 1.02 + 1e-6), solver=solver).evaluation.shortfall_units == 0
    assert solve_checked(scen(99), solver=solver).evaluation.shortfall_units > 0
    solve_checked(scen(100.5), solver=solver)  # evaluator-checked either way


def test_sovereignty_forces_the_dearer_national_program(solver: str) -> None:
    """C is sovereign on ammo: the cheap program led by A (not produced in C) is barred."""
    members = [{"id": "A", "gdp": 1}, {"id": "C", "gdp": 1,
                                       "constraints": {"sovereign": ["ammo"]}}]
    prog = [{"id": "CHEAP", "capability": "ammo", "lead": "A", "unit_cost": 1},
            {"id": "C-AMMO", "capability": "ammo", "lead": "C", "eligible": ["C"],
             "unit_cost": 3}]
    res = solve_checked(make(members, prog, [("A", "ammo", 5, 2027), ("C", "ammo", 5, 2027)]),
                        solver=solver)
    assert bought(res) == {("CHEAP", "A"): 5.0, ("C-AMMO", "C"): 5.0}
    # producing in C is enough
    prog[0]["producers"] = {"A": 0.7, "C": 0.3}
    res = solve_checked(make(members, prog, [("A", "ammo", 5, 2027), ("C", "ammo", 5, 2027)]),
                        solver=solver)
    assert bought(res) == {("CHEAP", "A"): 5.0, ("CHEAP", "C"): 5.0}


def test_dependence_cap_splits_suppliers(solver: str) -> None:
    """B may buy at most 60 % of a capability from programs led by one foreign nation:
    10 units = 6 from the cheap A-led program + 4 from the dearer B-led one."""
    members = [{"id": "A", "gdp": 1},
               {"id": "B", "gdp": 1, "constraints": {"max_single_foreign_share": 0.6}}]
    prog = [{"id": "PA", "capability": "tank", "lead": "A", "unit_cost": 1},
            {"id": "PB", "capability": "tank", "lead": "B", "unit_cost": 2}]
    res = solve_checked(make(members, prog, [("B", "tank", 10, 2027)]), solver=solver)
    assert bought(res) == {("PA", "B"): 6.0, ("PB", "B"): 4.0}
    assert res.metrics["total_cost"] == pytest.approx(14.0)


def test_export_exclusion(solver: str) -> None:
    """C is excluded from the cheap program and buys nationally."""
    members = [{"id": "A", "gdp": 1}, {"id": "C", "gdp": 1}]
    prog = [{"id": "CHEAP", "capability": "tank", "lead": "A", "unit_cost": 1,
             "excluded": ["C"]},
            {"id": "C-NAT", "capability": "tank", "lead": "C", "eligible": ["C"], "unit_cost": 5}]
    res = solve_checked(make(members, prog, [("A", "tank", 2, 2027), ("C", "tank", 2, 2027)]),
                        solver=solver)
    assert bought(res) == {("CHEAP", "A"): 2.0, ("C-NAT", "C"): 2.0}


def test_min_participants_and_min_run(solver: str) -> None:
    """J (NRC 10, unit 1) needs 3 participants but only A and B need tanks: it stays
    closed and both use N (unit 4). With min_participants 2 but a minimum run of 10 for
    a total need of 6, J stays closed too; with a run of 6 it opens."""
    members = [{"id": "A", "gdp": 1}, {"id": "B", "gdp": 1}, {"id": "C", "gdp": 1}]
    reqs = [("A", "tank", 3, 2027), ("B", "tank", 3, 2027)]

    def prog(n: int, run: float) -> list[dict[str, Any]]:
        return [{"id": "J", "capability": "tank", "lead": "A", "nrc": {2026: 10}, "unit_cost": 1,
                 "min_participants": n, "min_production_run": run},
                {"id": "N", "capability": "tank", "lead": "B", "unit_cost": 4}]

    assert launched(solve_checked(make(members, prog(3, 0), reqs), solver=solver)) == {"N"}
    assert launched(solve_checked(make(members, prog(2, 10), reqs), solver=solver)) == {"N"}
    res = solve_checked(make(members, prog(2, 6), reqs), solver=solver)
    assert launched(res) == {"J"}
    assert res.metrics["total_cost"] == pytest.approx(16.0)


def test_capacity_per_year(solver: str) -> None:
    """J makes 2 a year; A needs 5 by 2027: 4 from J, 1 from the dearer N."""
    members = [{"id": "A", "gdp": 1}]
    prog = [{"id": "J", "capability": "tank", "lead": "A", "unit_cost": 1,
             "capacity_per_year": 2},
            {"id": "N", "capability": "tank", "lead": "A", "unit_cost": 3}]
    res = solve_checked(make(members, prog, [("A", "tank", 5, 2027)]), solver=solver)
    assert bought(res) == {("J", "A"): 4.0, ("N", "A"): 1.0}


def test_delivery_year_and_cumulative_requirements(solver: str) -> None:
    """2 units by 2026 and 5 by 2027 (cumulative); J delivers only from 2027, so the
    2026 units come from the dearer N."""
    members = [{"id": "A", "gdp": 1}]
    prog = [{"id": "J", "capability": "tank", "lead": "A", "unit_cost": 1,
             "first_delivery_year": 2027},
            {"id": "N", "capability": "tank", "lead": "A", "unit_cost": 3}]
    res = solve_checked(make(members, prog, [("A", "tank", 2, 2026), ("A", "tank", 5, 2027)]),
                        solver=solver)
    assert bought(res) == {("J", "A"): 3.0, ("N", "A"): 2.0}
    assert res.metrics["total_cost"] == pytest.approx(9.0)


def test_per_program_juste_retour(solver: str) -> None:
    """B demands work >= 100 % of what it pays in each program. J's work is all in A, so
    B cannot join J. In K, B's industry makes half: B alone there gives work 2.5 < pay 5,
    so A buys its unit from K too (spend 10, work 5 >= 5): cost 10 instead of 6."""
    members = [{"id": "A", "gdp": 1}, {"id": "B", "gdp": 1, "constraints": {
        "workshare": {"mode": "per_program", "min_ratio": 1.0}}}]
    prog = [{"id": "J", "capability": "tank", "lead": "A", "unit_cost": 1},
            {"id": "K", "capability": "tank", "lead": "A", "producers": {"A": 0.5, "B": 0.5},
             "unit_cost": 5}]
    res = solve_checked(make(members, prog, [("A", "tank", 1, 2027), ("B", "tank", 1, 2027)]),
                        solver=solver)
    assert bought(res) == {("K", "A"): 1.0, ("K", "B"): 1.0}
    assert res.metrics["total_cost"] == pytest.approx(10.0)


def test_global_balance(solver: str) -> None:
    """B's industry makes 25 % of J (price 10) and all of N (price 12, B only).
    Ratio 0.5: A buys 4 and B 2 from J: work 0.25 x 60 = 15 >= 0.5 x 20. Ratio 1: with n of
    B's units from J, work 0.25 (40 + 10 n) + 12 (2 - n) >= pay 10 n + 12 (2 - n) gives
    n <= 4/3, so n = 1 and the cost is 40 + 10 + 12 = 62."""
    def scen(ratio: float) -> Scenario:
        members = [{"id": "A", "gdp": 1}, {"id": "B", "gdp": 1, "constraints": {
            "workshare": {"mode": "global", "min_ratio": ratio}}}]
        prog = [{"id": "J", "capability": "tank", "lead": "A", "producers": {"A": 0.75, "B": 0.25},
                 "unit_cost": 10},
                {"id": "N", "capability": "tank", "lead": "B", "eligible": ["B"], "unit_cost": 12}]
        return make(members, prog, [("A", "tank", 4, 2027), ("B", "tank", 2, 2027)])

    assert bought(solve_checked(scen(0.5), solver=solver)) == {("J", "A"): 4.0, ("J", "B"): 2.0}
    res = solve_checked(scen(1.0), solver=solver)
    assert bought(res) == {("J", "A"): 4.0, ("J", "B"): 1.0, ("N", "B"): 1.0}
    assert res.metrics["total_cost"] == pytest.approx(62.0)


def test_go_alone_shares_capacity_and_pays_nrc_each(solver: str) -> None:
    """A and B both need 2; J (NRC 10, unit 1, 3 a year, one year) can be run alone, N
    costs 8 a unit. Joint: J for 3 units + 1 from N = 21. Going alone each launch pays NRC
    10 and the launches share J's 3 units a year."""
    members = [{"id": "A", "gdp": 1}, {"id": "B", "gdp": 1}]
    prog = [{"id": "J", "capability": "tank", "lead": "A", "nrc": {2026: 10}, "unit_cost": 1,
             "capacity_per_year": 3},
            {"id": "N", "capability": "tank", "lead": "B", "unit_cost": 8}]
    s = make(members, prog, [("A", "tank", 2, 2026), ("B", "tank", 2, 2026)],
             horizon={"first_year": 2026, "last_year": 2026})
    joint = solve_checked(s, solver=solver)
    alone = solve_checked(s, mode="alone", solver=solver)
    assert joint.metrics["total_cost"] == pytest.approx(10 + 3 + 8)
    # alone: all from N 32; J@A + J@B 20 + 3 + 8 = 31 (3 units shared); J@A + N for B 28
    assert alone.metrics["total_cost"] == pytest.approx(28.0)
    assert launched(alone) in ({"J@A", "N@B"}, {"J@B", "N@A"})
    assert joint.metrics["total_cost"] <= alone.metrics["total_cost"]


def test_sole_buyer_beyond_exact_tiers_pays_exactly_the_nrc(solver: str) -> None:
    """A alone buys 103 units of a proportional program (beyond the exact tiers): its true
    share is 1 and a budget of exactly the NRC must suffice (no 1 + tol over-statement)."""
    members = [{"id": "A", "gdp": 1, "budgets": budgets(100.0)}, {"id": "B", "gdp": 1}]
    prog = [{"id": "J", "capability": "ammo", "lead": "A", "nrc": {2026: 100}, "unit_cost": 0,
             "first_delivery_year": 2027}]
    s = make(members, prog, [("A", "ammo", 103, 2027), ("B", "ammo", 1, 2027)])
    res = solve_checked(s, solver=solver)
    assert res.evaluation.shortfall_units == 0


def test_caps_do_not_bind_a_lone_participant(solver: str) -> None:
    """A is capped at 0.5 of J's NRC. As J's only buyer it pays all of it (there is no one
    to split with) — as it would going alone; with B joining, A pays at most half."""
    members = [{"id": "A", "gdp": 100, "budgets": budgets(1000)}, {"id": "B", "gdp": 100}]
    rule = {"rule": "key", "key": "gdp", "caps": {"A": 0.5}}
    prog = [{"id": "J", "capability": "tank", "lead": "A", "nrc": {2026: 100}, "unit_cost": 1,
             "cost_share": rule},
            {"id": "N", "capability": "tank", "lead": "B", "eligible": ["B"], "unit_cost": 0}]
    res = solve_checked(make(members, prog, [("A", "tank", 1, 2027), ("B", "tank", 1, 2027)]),
                        solver=solver)
    assert bought(res) == {("J", "A"): 1.0, ("N", "B"): 1.0}
    assert res.evaluation is not None and res.evaluation.shares[("J", "A")] == 1.0


def test_caps_that_admit_no_split_keep_the_set_apart(solver: str) -> None:
    """Equal shares with caps 0.4 + 0.4 < 1: A and B cannot share J even with no budget
    anywhere; each uses its own dearer program instead (J needs both: min 2)."""
    members = [{"id": "A", "gdp": 1}, {"id": "B", "gdp": 1}]
    rule = {"rule": "equal", "caps": {"A": 0.4, "B": 0.4}}
    prog = [{"id": "J", "capability": "tank", "lead": "A", "nrc": {2026: 10}, "unit_cost": 1,
             "min_participants": 2, "cost_share": rule},
            {"id": "NA", "capability": "tank", "lead": "A", "eligible": ["A"], "unit_cost": 20},
            {"id": "NB", "capability": "tank", "lead": "B", "eligible": ["B"], "unit_cost": 20}]
    res = solve_checked(make(members, prog, [("A", "tank", 1, 2027), ("B", "tank", 1, 2027)]),
                        solver=solver)
    assert launched(res) == {"NA", "NB"}


def test_fractional_requirement_of_whole_units_is_refused() -> None:
    from procure.errors import ScenarioError
    from procure.io import scenario_from_data

    d = make([{"id": "A", "gdp": 1}], [{"id": "P", "capability": "tank", "lead": "A",
                                       "unit_cost": 1}], [("A", "tank", 2, 2027)]).model_dump()
    d["requirements"][0]["quantity"] = 2.5
    with pytest.raises(ScenarioError, match=r"requirements\[0\].quantity: 2.5 is not a whole"):
        scenario_from_data(d)

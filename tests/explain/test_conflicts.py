"""Why infeasible and why short, in the scenario's words (models/explain.md section 3), on
small scenarios built to have a known conflicting rule set."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import MIP_BACKENDS, solve_checked

from procure.backends import SolveOptions, get_backend
from procure.explain.conflicts import (
    CONFLICTS,
    SHORTFALL_REASONS,
    conflicts_table,
    why_infeasible,
    why_short,
)
from procure.io import scenario_from_data
from procure.schema import Scenario


def scenario(*, budget_2027: float = 600.0, capacity: float = 3.0, quantity: float = 6.0,
             first_year: int = 2027, penalty: float | None = None,
             extra: dict[str, Any] | None = None) -> Scenario:
    """PL needs ``quantity`` fire units of AMD_LR by 2028 from one program led by DE
    (500 per unit, ``capacity`` per year from ``first_year``); PL's 2027 budget is
    ``budget_2027``, every other year 5 000."""
    data: dict[str, Any] = {
        "name": "conflict", "horizon": {"first_year": 2026, "last_year": 2030},
        "members": [
            {"id": "PL", "gdp": 800, "budgets": {y: (budget_2027 if y == 2027 else 5000)
                                                 for y in range(2026, 2031)}},
            {"id": "DE", "gdp": 4000}],
        "capabilities": [{"id": "AMD_LR", "unit": "fire unit"}],
        "programs": [{"id": "AMD_LR_PATRIOT", "capability": "AMD_LR", "lead": "DE",
                      "unit_cost": 500, "capacity_per_year": capacity,
                      "first_delivery_year": first_year}],
        "requirements": [{"member": "PL", "capability": "AMD_LR", "quantity": quantity,
                          "by_year": 2028}],
    }
    if penalty is not None:
        data["shortfall_penalty"] = penalty
    data.update(extra or {})
    return scenario_from_data(data)


def kinds(e: Any) -> list[str]:
    return sorted(r.kind for r in e.rules)


@pytest.mark.parametrize("solver", MIP_BACKENDS)
def test_budget_requirement_and_capacity_conflict(solver: str) -> None:
    """3 a year from 2027, but the 2027 budget buys only 1: 1 + 3 < 6 by 2028. The three
    rules conflict; alone, the budget must rise by 900, the capacity by 2 (in 2028), the
    requirement fall by 2."""
    s = scenario()
    e = why_infeasible(s, get_backend(solver), SolveOptions())
    assert e.found is not None and e.found.irreducible
    assert kinds(e) == ["budget", "capacity", "requirement"]
    texts = {r.kind: r.text for r in e.rules}
    assert texts["budget"] == "PL budget 2027 (600 EUR million)"
    assert texts["requirement"] == "requirement PL/AMD_LR: 6 fire unit by 2028"
    assert texts["capacity"] == "program AMD_LR_PATRIOT capacity 3 fire unit per year"
    relax = {r.kind: v for r, v in zip(e.rules, e.relax_alone, strict=True)}
    assert relax == pytest.approx({"budget": 900.0, "capacity": 2.0, "requirement": 2.0})
    table = conflicts_table([e], s.currency)
    assert list(table.columns) == CONFLICTS.names and len(table) == 3
    assert set(table.source) == {"members[PL].budgets[2027]", "requirements[0]",
                                 "programs[AMD_LR_PATRIOT].capacity_per_year"}


def test_method_is_the_solver_iis_on_highs() -> None:
    e = why_infeasible(scenario(), get_backend("highs"), SolveOptions())
    assert e.found is not None and e.found.method == "solver IIS"


def test_a_feasible_strict_scenario_has_no_conflict() -> None:
    e = why_infeasible(scenario(budget_2027=5000, capacity=3), get_backend("highs"))
    assert e.found is None


def test_without_budget_trouble_only_capacity_and_requirement() -> None:
    e = why_infeasible(scenario(budget_2027=5000, capacity=2), get_backend("highs"))
    assert kinds(e) == ["capacity", "requirement"]


def test_no_program_in_time_is_a_conflict_of_definitions() -> None:
    """The only program delivers from 2029, after the 2028 deadline: the requirement
    alone cannot be met (strict); delivering a shortfall of it is prevented by nothing
    a planner could relax (why short: the model's definitions)."""
    s = scenario(first_year=2029)
    e = why_infeasible(s, get_backend("highs"))
    assert e.found is not None and kinds(e) == ["requirement"]
    assert "no program open to PL delivers AMD_LR by 2028" in e.line()
    [short] = why_short(s, [6.0], get_backend("highs"))
    assert short.found is not None and short.rules == ()
    assert short.found.method == "definitions" and "no open program" in short.line()


def test_min_run_and_dependence_rules_are_named() -> None:
    """PL may buy at most 50 % of AMD_LR from DE-led programs; the only other program
    (PL's own) has a minimum run of 10 units while PL needs (and may buy) only 4. (That
    a member buys no more than it needs is also in the linking definitions (2a), so it
    is not a rule to relax here.)"""
    s = scenario(budget_2027=5000, capacity=10, quantity=4, extra={
        "programs": [
            {"id": "AMD_LR_PATRIOT", "capability": "AMD_LR", "lead": "DE", "unit_cost": 500},
            {"id": "AMD_PL", "capability": "AMD_LR", "lead": "PL", "unit_cost": 600,
             "min_production_run": 10, "eligible": ["PL"]}],
        "members": [
            {"id": "PL", "gdp": 800,
             "constraints": {"max_single_foreign_share": 0.5}},
            {"id": "DE", "gdp": 4000}]})
    e = why_infeasible(s, get_backend("highs"))
    assert kinds(e) == ["dependence", "min_run", "requirement"]
    texts = " + ".join(r.text for r in e.rules)
    assert "PL buys at most 50% of AMD_LR from programs led by any one foreign nation" in texts
    assert "program AMD_PL minimum production run 10 fire unit" in texts


@pytest.mark.parametrize("solver", MIP_BACKENDS)
def test_why_short_names_the_capacity(solver: str) -> None:
    """Elastic plan: 4 of 6 delivered (the 2027 budget binds); the 2 missing units are
    kept from PL by the capacity and the 2027 budget."""
    s = scenario()
    res = solve_checked(s, solver=solver)
    short = res.evaluation.shortfalls["shortfall"].tolist() if res.evaluation else []
    assert short == [2.0]
    [e] = why_short(s, short, get_backend(solver), SolveOptions())
    assert e.subject == "PL/AMD_LR short by 2 fire unit by 2028"
    assert e.found is not None
    assert kinds(e) == ["budget", "capacity"]
    table = conflicts_table([e], s.currency, SHORTFALL_REASONS)
    assert table.attrs["table"] == "shortfall_reasons" and len(table) == 2


def test_why_short_names_a_requirement_it_would_take_from() -> None:
    """Two members need the same program's 3 units a year: SK's shortfall could only be
    delivered by taking from CZ (the rule 'CZ delivered as planned')."""
    s = scenario_from_data({
        "name": "competition", "horizon": {"first_year": 2026, "last_year": 2026},
        "members": [{"id": "CZ", "gdp": 300}, {"id": "SK", "gdp": 100}],
        "capabilities": [{"id": "AMD", "unit": "battery"}],
        "programs": [{"id": "P", "capability": "AMD", "lead": "CZ", "unit_cost": 100,
                      "capacity_per_year": 3}],
        "requirements": [{"member": "CZ", "capability": "AMD", "quantity": 2, "by_year": 2026},
                         {"member": "SK", "capability": "AMD", "quantity": 2, "by_year": 2026}],
    })
    res = solve_checked(s)
    assert res.evaluation is not None
    short = res.evaluation.shortfalls["shortfall"].tolist()
    assert sorted(short) == [0.0, 1.0]
    [e] = why_short(s, short, get_backend("highs"))
    assert kinds(e) == ["capacity", "delivered"]
    other = "CZ" if short[1] > 0 else "SK"
    assert any(r.kind == "delivered" and r.member == other for r in e.rules)


def test_a_shortfall_chosen_over_its_cost_is_said_to_be_a_choice() -> None:
    """A shortfall penalty of 100 per unit, below the unit price of 500: the plan buys
    nothing, although delivering is possible."""
    s = scenario(budget_2027=5000, penalty=100.0)
    res = solve_checked(s)
    assert res.evaluation is not None
    short = res.evaluation.shortfalls["shortfall"].tolist()
    assert short == [6.0]
    [e] = why_short(s, short, get_backend("highs"))
    assert e.found is None and "chose the shortfall penalty" in e.line()
    table = conflicts_table([e], s.currency, SHORTFALL_REASONS)
    assert table.kind.tolist() == ["choice"]


def test_workshare_rule_is_named() -> None:
    """FR wants all the work of what it pays for (global balance 1.0), but the only
    program open to it is DE's: its own needs 2 participants and nobody else needs it,
    so that launch is closed by the data (a definition, not a rule to relax)."""
    s = scenario_from_data({
        "name": "rules", "horizon": {"first_year": 2026, "last_year": 2027},
        "members": [{"id": "FR", "gdp": 3000, "constraints": {
            "workshare": {"mode": "global", "min_ratio": 1.0}}},
            {"id": "DE", "gdp": 4000}],
        "capabilities": [{"id": "MPA", "unit": "aircraft"}],
        "programs": [
            {"id": "P8", "capability": "MPA", "lead": "DE", "unit_cost": 100},
            {"id": "MPA_FR", "capability": "MPA", "lead": "FR", "unit_cost": 120,
             "min_participants": 2}],
        "requirements": [{"member": "FR", "capability": "MPA", "quantity": 2,
                          "by_year": 2027}],
    })
    e = why_infeasible(s, get_backend("highs"))
    assert kinds(e) == ["requirement", "workshare"]
    texts = " + ".join(r.text for r in e.rules)
    assert "FR workshare: work for its industry at least 1 x what it pays, over all " \
           "programs" in texts

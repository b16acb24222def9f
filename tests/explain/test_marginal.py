"""What one more unit of a binding rule is worth, in money and in service separately
(models/explain.md section 4, (E4) and (E5)), on scenarios with a known binding rule."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from conftest import DATASETS

from procure.backends import Status
from procure.explain.marginal import MARGINAL_VALUES
from procure.io import load_scenario, scenario_from_data
from procure.procurement.solve import ProcurementRecord, solve
from procure.schema import Scenario


def two_programs(*, budget: float | None = None, penalty: float | None = None,
                 quantity: float = 4) -> Scenario:
    """PL needs ``quantity`` units in 2026: CHEAP (100 a unit, 2 a year) or DEAR (150 a
    unit, unlimited); no NRC."""
    pl: dict[str, Any] = {"id": "PL", "gdp": 800}
    if budget is not None:
        pl["budgets"] = {2026: budget}
    data: dict[str, Any] = {
        "name": "margin", "horizon": {"first_year": 2026, "last_year": 2026},
        "members": [pl, {"id": "DE", "gdp": 4000}],
        "capabilities": [{"id": "AMD", "unit": "battery"}],
        "programs": [
            {"id": "CHEAP", "capability": "AMD", "lead": "DE", "unit_cost": 100,
             "capacity_per_year": 2},
            {"id": "DEAR", "capability": "AMD", "lead": "DE", "unit_cost": 150}],
        "requirements": [{"member": "PL", "capability": "AMD", "quantity": quantity,
                          "by_year": 2026}],
    }
    if penalty is not None:
        data["shortfall_penalty"] = penalty
    return scenario_from_data(data)


def checked(s: Scenario) -> ProcurementRecord:
    """The joint plan with its marginal values, re-checked by the evaluator."""
    res = solve(s, marginal=True)
    assert res.status == Status.OPTIMAL and res.evaluation is not None
    assert res.evaluation.feasible, [str(v) for v in res.evaluation.violations]
    assert res.objective == pytest.approx(res.evaluation.objective, rel=1e-6)
    return res


def table(s: Scenario) -> pd.DataFrame:
    mv = checked(s).tables["marginal_values"]
    assert list(mv.columns) == MARGINAL_VALUES.names
    assert mv.attrs["units"]["saving_per_unit"] == "EUR million per limit_unit"
    return mv.set_index("kind")


def test_capacity_saves_the_price_difference_over_its_range() -> None:
    """2 from CHEAP, 2 from DEAR: one more unit of CHEAP's capacity saves 150 - 100 = 50,
    while it stays within [1, 3]: both launches are held, and a launched program
    delivers at least one unit (its minimum run), so DEAR keeps one unit and CHEAP at
    least one. One unit less required saves the marginal unit's price, 150."""
    mv = table(two_programs())
    cap = mv.loc["capacity"]
    assert cap.saving_per_unit == pytest.approx(50.0)
    assert (cap.limit, cap.limit_low, cap.limit_high) == pytest.approx((2.0, 1.0, 3.0))
    assert cap.year == 2026 and cap.program == "CHEAP"
    assert cap.limit_unit == "battery per year"
    req = mv.loc["requirement"]
    assert req.saving_per_unit == pytest.approx(150.0)
    assert req.limit_low == pytest.approx(3.0)  # DEAR's last unit is its minimum run
    assert (mv.penalty_per_unit == 0).all()  # everything delivered: no service to gain


def test_budget_short_of_need_is_worth_service_not_money() -> None:
    """A 2026 budget of 150 (whole units: 1 bought from CHEAP, 3 short at a penalty of
    1 000 a unit). At the plan's service level more budget saves no money; the service
    LP (E5) values it: one more EUR million buys 1/100 unit more, so the penalty falls
    by 1000 / 100 = 10."""
    mv = table(two_programs(budget=150.0, penalty=1000.0))
    budget = mv.loc["budget"]
    assert budget.rule == "PL budget 2026 (150 EUR million)"
    assert budget.saving_per_unit == pytest.approx(0.0)
    assert budget.penalty_per_unit == pytest.approx(10.0)
    assert budget.limit_unit == "EUR million"


def test_tutorial_values_hold_over_their_ranges() -> None:
    """On the tutorial alliance every value is finite and nonnegative, each limit inside
    its range, and the cost-share rows (an approximation, not a planner's limit) are
    left out."""
    mv = checked(load_scenario(DATASETS / "tutorial.yaml")).tables["marginal_values"]
    assert len(mv) > 0
    assert (mv.saving_per_unit >= 0).all() and (mv.penalty_per_unit >= 0).all()
    assert "cost_share" not in set(mv.kind)
    tol = 1e-6 * mv.limit.abs().clip(lower=1)
    assert ((mv.limit_low <= mv.limit + tol) & (mv.limit <= mv.limit_high + tol)).all()

"""Linking rows (2a) by separation (section 11.6): the rounds end at the strong
formulation's LP bound, the separated MIP has the strong one's optimum, and every plan
passes the evaluator; the rounds give up where the rows are not few."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import OBJ_RTOL, random_cflp, solve_checked
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procure.backends import SolveOptions, Status, get_backend
from procure.generate import generate_alliance
from procure.procurement import separation
from procure.procurement.compile import compile_scenario
from procure.procurement.formulation import FormulationOptions, build
from procure.procurement.separation import applies, separate_linking, violated

HIGHS = get_backend("highs")


@pytest.fixture
def unlimited(monkeypatch: pytest.MonkeyPatch) -> None:
    """Separation on small models and without giving up (what the rounds compute, not
    when they pay)."""
    monkeypatch.setattr(separation, "MIN_PAIRS", 0)
    monkeypatch.setattr(separation, "MAX_SHARE", 1.0)
    monkeypatch.setattr(separation, "MAX_ROUNDS", 1000)


def lp_bound(model) -> float:  # type: ignore[no-untyped-def]
    out = HIGHS.solve(replace(model, integrality=np.zeros(model.num_cols, dtype=np.bool_)),
                      SolveOptions())
    assert out.status == Status.OPTIMAL and out.objective is not None
    return out.objective


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(warehouses=st.integers(3, 8), customers=st.integers(5, 25), seed=st.integers(0, 9999),
       tight=st.sampled_from([1.1, 1.5, 3.0]))
@pytest.mark.usefixtures("unlimited")
def test_the_rounds_end_at_the_strong_lp_bound(warehouses: int, customers: int, seed: int,
                                               tight: float) -> None:
    """The last round's LP, with only the rows kept, has the LP bound of the formulation
    with every (2a) row, and no (2a) row is violated at its optimum."""
    f = build(compile_scenario(random_cflp(warehouses, customers, seed, tight)))
    sep = separate_linking(f, HIGHS)
    assert sep.formulation is not None and sep.bound is not None, sep.message
    strong = lp_bound(f.model)
    assert sep.bound == pytest.approx(strong, rel=1e-7, abs=1e-6)
    weak = lp_bound(build(f.compiled, FormulationOptions(strong_linking=False)).model)
    assert weak <= strong + 1e-6 * max(1.0, abs(strong))
    rows = next(b for b in sep.formulation.model.row_blocks if b.name == "(2a) linking")
    assert rows.size == sep.kept < f.compiled.num_pairs


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(warehouses=st.integers(3, 7), customers=st.integers(5, 20), seed=st.integers(0, 9999),
       tight=st.sampled_from([1.1, 1.5]))
@pytest.mark.usefixtures("unlimited")
def test_the_separated_model_has_the_strong_optimum(
        warehouses: int, customers: int, seed: int, tight: float) -> None:
    """Through the product's solve (separation on, as on a large model): the plan passes
    the evaluator and its cost is the strong formulation's optimum."""
    scenario = random_cflp(warehouses, customers, seed, tight)
    strong = solve_checked(scenario, warm_start=False)
    separated = solve_checked(scenario, warm_start=True)
    assert "by separation" in separated.message
    assert strong.status == separated.status == "optimal"
    assert strong.objective is not None and separated.objective is not None
    assert separated.objective == pytest.approx(strong.objective, rel=OBJ_RTOL)


@pytest.mark.usefixtures("unlimited")
def test_a_multi_year_alliance_with_joins_and_budgets() -> None:
    """The rows of pairs with a join column u_k stay in every formulation; on an alliance
    with budgets and shares the separated LP bound is still the strong one."""
    f = build(compile_scenario(generate_alliance(8, 3, 2, 4, seed=2)))
    joins = int((f.join_column >= 0).sum())
    sep = separate_linking(f, HIGHS)
    assert sep.formulation is not None, sep.message
    rows = next(b for b in sep.formulation.model.row_blocks if b.name == "(2a) linking")
    assert rows.size == sep.kept + joins
    assert sep.bound == pytest.approx(lp_bound(f.model), rel=1e-7, abs=1e-6)


def test_violated_flags_the_pairs_that_buy_beyond_their_launch() -> None:
    f = build(compile_scenario(random_cflp(3, 6, 1, 1.5)))
    c = f.compiled
    x = np.zeros(f.model.num_cols)
    x[f.buy.index] = f.model.col_upper[f.buy.index]  # everything bought, nothing launched
    bought = np.bincount(c.cell_pair, weights=x[f.buy.index], minlength=c.num_pairs) > 0
    assert np.array_equal(violated(f, x), bought)
    x[f.launch.index] = 1.0  # every launch open: x_k <= R_k holds
    assert not violated(f, x).any()


def test_separation_declines_where_the_rows_are_not_few(
        monkeypatch: pytest.MonkeyPatch) -> None:
    f = build(compile_scenario(random_cflp(6, 20, 3, 3.0)))
    monkeypatch.setattr(separation, "MAX_SHARE", 1e-9)
    sep = separate_linking(f, HIGHS)
    assert sep.formulation is None and "declined" in sep.message
    monkeypatch.setattr(separation, "MAX_SHARE", 1.0)
    monkeypatch.setattr(separation, "MAX_ROUNDS", 0)
    assert separate_linking(f, HIGHS).formulation is None


def test_applies_to_large_strong_models_only(monkeypatch: pytest.MonkeyPatch) -> None:
    f = build(compile_scenario(random_cflp(4, 10, 0, 1.5)))
    assert f.compiled.num_pairs < separation.MIN_PAIRS and not applies(f)
    monkeypatch.setattr(separation, "MIN_PAIRS", 1)
    assert applies(f)
    assert not applies(build(f.compiled, FormulationOptions(strong_linking=False)))
    assert not applies(build(f.compiled, FormulationOptions(linking_pairs=(0,))))

"""Conflicts, minimum relaxations and LP sensitivity through the solver seam
(models/explain.md (E1)-(E3), section 4), checked against published answers and, on
random systems, against scipy's LP solver as an independent reference."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import MIP_BACKENDS
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from procure.backends import SolveOptions, Status, get_backend
from procure.explain.elastic import conflict, elastic_model, min_relaxation
from procure.lp import LinearModel, ModelArrays


def toy() -> ModelArrays:
    """x + y <= 0.5 and x + y >= 2 with x, y in [0, 1]: infeasible."""
    m = LinearModel("toy")
    v = m.add_variables("v", 2, upper=1.0)
    m.add_constraints("low", 1, [0, 0], v.index, [1.0, 1.0], upper=0.5)
    m.add_constraints("high", 1, [0, 0], v.index, [1.0, 1.0], lower=2.0)
    return m.finalize()


def wyndor() -> ModelArrays:
    """Wyndor Glass: maximise 3 x1 + 5 x2 s.t. x1 <= 4, 2 x2 <= 12, 3 x1 + 2 x2 <= 18
    (as a minimisation of -3 x1 - 5 x2)."""
    m = LinearModel("wyndor")
    x = m.add_variables("x", 2, cost=[-3.0, -5.0])
    m.add_constraints("plants", 3, [0, 1, 2, 2], x.index[[0, 1, 0, 1]], [1.0, 2.0, 3.0, 2.0],
                      upper=[4.0, 12.0, 18.0])
    return m.finalize()


def test_highs_iis_of_the_toy_is_both_rows() -> None:
    iis = get_backend("highs").iis(toy(), SolveOptions())
    assert iis is not None
    assert sorted(iis.rows.tolist()) == [0, 1]
    assert {str(s) for s in iis.row_sides} == {"upper", "lower"}
    assert iis.cols.size == 0  # the bounds of x and y play no part


def test_highs_iis_of_a_feasible_model_is_none() -> None:
    assert get_backend("highs").iis(wyndor(), SolveOptions()) is None


@pytest.mark.parametrize("solver", MIP_BACKENDS)
@pytest.mark.parametrize("use_iis", [True, False])
def test_toy_conflict_and_minimum_relaxation(solver: str, use_iis: bool) -> None:
    backend = get_backend(solver)
    found = conflict(backend, toy(), [0, 1], SolveOptions(), use_iis=use_iis)
    assert found is not None and found.groups == (0, 1) and found.irreducible
    assert found.method == ("solver IIS" if use_iis and backend.capabilities.iis
                            else "elastic filter")
    rel = min_relaxation(backend, toy(), [0, 1], SolveOptions())
    assert rel.status == Status.OPTIMAL
    assert rel.total == pytest.approx(1.5, abs=1e-9)
    assert rel.by_group.sum() == pytest.approx(1.5, abs=1e-9)


def test_definitions_alone_conflict() -> None:
    """Both rows are definitions (group -1): nothing to relax."""
    found = conflict(get_backend("highs"), toy(), [-1, -1], SolveOptions())
    assert found is not None and found.groups == () and found.method == "definitions"


def test_feasible_model_has_no_conflict() -> None:
    for use_iis in (True, False):
        assert conflict(get_backend("highs"), wyndor(), [0, 1, 2], SolveOptions(),
                        use_iis=use_iis) is None


def test_integrality_conflict_is_found_by_the_elastic_filter() -> None:
    """2x = 1 with x integer, and x <= 3: the LP relaxation is feasible (no IIS), the MIP
    is not; the elastic filter names the equality alone."""
    m = LinearModel("parity")
    x = m.add_variables("x", 1, upper=10.0, integer=True)
    m.add_constraints("even", 1, [0], x.index, [2.0], lower=1.0, upper=1.0)
    m.add_constraints("cap", 1, [0], x.index, [1.0], upper=3.0)
    found = conflict(get_backend("highs"), m.finalize(), [0, 1], SolveOptions())
    assert found is not None and found.groups == (0,) and found.method == "elastic filter"


def test_wyndor_duals_and_ranges_through_the_seam() -> None:
    backend = get_backend("highs")
    assert backend.capabilities.ranging
    s = backend.sensitivity(wyndor(), SolveOptions())
    assert s is not None
    assert -s.objective == pytest.approx(36.0)
    assert s.x == pytest.approx([2.0, 6.0])
    # duals of the maximisation: minus the minimisation's d objective / d rhs
    assert (-s.row_dual).tolist() == pytest.approx([0.0, 1.5, 1.0])
    assert (s.rhs_low[1], s.rhs_high[1]) == pytest.approx((6.0, 18.0))
    assert (s.rhs_low[2], s.rhs_high[2]) == pytest.approx((12.0, 24.0))
    # plant 1 has slack: its dual 0 holds while its bound stays at or above x1 = 2
    assert s.rhs_low[0] == pytest.approx(2.0) and s.rhs_high[0] == np.inf
    # cost ranging (maximisation): c1 in [0, 7.5], c2 in [2, inf)
    assert (-s.cost_high[0], -s.cost_low[0]) == pytest.approx((0.0, 7.5))
    assert -s.cost_high[1] == pytest.approx(2.0) and s.cost_low[1] == -np.inf


def test_backends_without_the_capabilities_refuse() -> None:
    for name in MIP_BACKENDS:
        b = get_backend(name)
        if not b.capabilities.iis:
            with pytest.raises(NotImplementedError):
                b.iis(toy(), SolveOptions())
        if not b.capabilities.ranging:
            with pytest.raises(NotImplementedError):
                b.sensitivity(wyndor(), SolveOptions())


def test_elastic_model_keeps_the_rows_and_adds_one_slack_per_finite_bound() -> None:
    m = toy()
    em = elastic_model(m, [0, 1])
    assert em.model.num_cols == m.num_cols + 2 and em.model.num_rows == m.num_rows
    assert em.slack_row.tolist() == [1, 0] and em.slack_sign.tolist() == [1.0, -1.0]
    with pytest.raises(ValueError, match="groups"):
        elastic_model(m, [0])


def _feasible_scipy(a: np.ndarray, lo: np.ndarray, hi: np.ndarray, rows: list[int]) -> bool:
    """Whether lo <= A x <= hi on ``rows`` with x in [0, 5] has a solution (scipy)."""
    if not rows:
        return True
    sub = a[rows]
    a_ub = np.vstack([sub, -sub])
    b_ub = np.concatenate([hi[rows], -lo[rows]])
    keep = np.isfinite(b_ub)
    res = linprog(np.zeros(a.shape[1]), A_ub=a_ub[keep], b_ub=b_ub[keep], bounds=(0, 5),
                  method="highs")
    return bool(res.status == 0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(2, 4), st.integers(3, 8),
       st.sampled_from(["highs", "cbc"]), st.booleans())
@example(seed=162, n=2, k=3, solver="highs", use_iis=True)  # HiGHS IIS missed a row
def test_conflicts_are_irreducible_on_random_systems(seed: int, n: int, k: int, solver: str,
                                                     use_iis: bool) -> None:
    """Random row systems over x in [0, 5]^n: a found conflict is infeasible and every
    proper subset (drop one rule) is feasible, by scipy's independent LP; no conflict
    only when the whole system is feasible."""
    if solver not in MIP_BACKENDS:
        pytest.skip(f"{solver} not installed")
    rng = np.random.default_rng(seed)
    a = rng.integers(-3, 4, size=(k, n)).astype(float)
    act = a @ rng.uniform(0, 5, n)
    lo = np.where(rng.random(k) < 0.5, act + rng.uniform(-3, 6, k), -np.inf)
    hi = np.where(np.isfinite(lo) & (rng.random(k) < 0.7), np.inf, act + rng.uniform(-6, 3, k))
    hi = np.where(np.isfinite(lo), np.maximum(hi, lo), hi)  # a row's bounds never cross
    m = LinearModel("random")
    x = m.add_variables("x", n, upper=5.0)
    rr, cc = np.nonzero(a)
    m.add_constraints("rows", k, rr, x.index[cc], a[rr, cc], lower=lo, upper=hi)
    model = m.finalize()
    found = conflict(get_backend(solver), model, np.arange(k), SolveOptions(),
                     use_iis=use_iis)
    if found is None:
        assert _feasible_scipy(a, lo, hi, list(range(k)))
        return
    rows = list(found.groups)
    assert found.irreducible
    assert not _feasible_scipy(a, lo, hi, rows)
    for r in rows:
        assert _feasible_scipy(a, lo, hi, [q for q in rows if q != r])

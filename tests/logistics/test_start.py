"""How fast the movement model is proved optimal, and the pieces that make it so: the
tight LP bound (models/logistics.md, section 6), the start heuristic (section 12) and
the array helpers of the build."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import REPO

from procure.backends import SolveOptions, get_backend
from procure.io import load_scenario
from procure.logistics import MovementRecord, relax
from procure.logistics import solve as solve_movements
from procure.logistics.compile import compile_scenario
from procure.logistics.formulation import _pairs, build
from procure.logistics.generate import generate_network
from procure.logistics.solve import lp_method
from procure.logistics.start import movement_start
from procure.lp.index import group as _group
from procure.lp.index import match_keys

REINFORCEMENT = REPO / "procure" / "data" / "reinforcement.yaml"
OPTIMUM = 50.7075200292  # proved by HiGHS with and without the tightening (section 12)


def checked(res: MovementRecord) -> MovementRecord:
    """A plan the independent evaluator accepts, at the objective the solver reports."""
    assert res.status.has_solution, f"{res.status} {res.message}"
    assert res.evaluation is not None
    assert res.evaluation.feasible, [str(v) for v in res.evaluation.violations]
    assert res.objective == pytest.approx(res.evaluation.objective, rel=1e-6)
    return res


def test_reinforcement_lp_bound_is_the_optimum() -> None:
    r = relax(load_scenario(REINFORCEMENT))
    assert str(r.status) == "optimal"
    assert r.objective == pytest.approx(OPTIMUM, rel=1e-8)


def test_reinforcement_is_proved_optimal_from_the_start() -> None:
    """The start heuristic reaches the optimum and HiGHS only confirms it (386 s before
    the tightening and the start; about 15 s now on 2 busy cores)."""
    s = load_scenario(REINFORCEMENT)
    res = checked(solve_movements(s, options=SolveOptions(threads=1)))
    assert str(res.status) == "optimal"
    assert res.objective == pytest.approx(OPTIMUM, rel=1e-8)
    assert res.start is not None and res.start.objective is not None
    assert res.start.objective == pytest.approx(OPTIMUM, rel=1e-6)
    assert res.evaluation is not None and res.evaluation.feasible
    assert res.evaluation.objective == pytest.approx(OPTIMUM, rel=1e-7)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_start_is_a_feasible_plan(seed: int) -> None:
    s = generate_network(3, 12, 2, 8, days=12, seed=seed)
    mm = build(compile_scenario(s))
    m = mm.model
    st = movement_start(mm, get_backend("highs"), time_limit=20)
    assert st.x is not None and st.objective is not None and st.bound is not None
    x = st.x
    tol = 1e-6
    assert np.all(x >= m.col_lower - tol) and np.all(x <= m.col_upper + tol)
    ints = x[m.integrality]
    assert np.allclose(ints, np.round(ints), atol=1e-6)
    act = m.row_activity(x)
    scale = 1.0 + np.abs(act)
    assert np.all(act <= m.row_upper + tol * scale) and np.all(act >= m.row_lower - tol * scale)
    assert st.objective == pytest.approx(float(m.col_cost @ x), rel=1e-9)
    assert st.objective >= st.bound - 1e-7 * abs(st.bound)
    # the start is a valid MIP start: HiGHS from it is never worse
    res = checked(solve_movements(s, options=SolveOptions(time_limit=30)))
    assert res.objective is not None and res.start is not None
    assert res.start.objective is not None
    assert res.objective <= res.start.objective * (1 + 1e-9) + 1e-9


def test_no_start_for_an_lp() -> None:
    """Without lift there is nothing integer: no heuristic, the LP is solved directly."""
    s = load_scenario(REINFORCEMENT)
    assert s.logistics is not None
    lp_only = s.model_copy(update={"logistics": s.logistics.model_copy(update={"lift": []})})
    res = checked(solve_movements(lp_only))
    assert res.start is None and str(res.status) == "optimal"


def test_lp_method_by_size() -> None:
    small = build(compile_scenario(load_scenario(REINFORCEMENT))).model
    assert lp_method(small) == {}
    assert lp_method(small, duals=True) == {}


@pytest.mark.parametrize("seed", range(5))
def test_group_is_unique_with_inverse(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for high in (50, 10**6, 10**12):  # table and sort paths
        keys = rng.integers(0, high, size=int(rng.integers(0, 2000)), dtype=np.int64)
        inv, uniq = _group(keys)
        u, i = np.unique(keys, return_inverse=True)
        assert np.array_equal(uniq, u) and np.array_equal(inv, i.reshape(-1))


@pytest.mark.parametrize("seed", range(5))
def test_pairs_is_the_join(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_groups = int(rng.integers(1, 40))
    group = rng.integers(0, n_groups, size=int(rng.integers(0, 300)), dtype=np.int64)
    sortie_group = rng.integers(-1, n_groups, size=int(rng.integers(0, 300)), dtype=np.int64)
    i, j = _pairs(group, sortie_group, n_groups)
    want_i, want_j = match_keys(group, np.where(sortie_group < 0, -7, sortie_group))
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == sorted(
        zip(want_i.tolist(), want_j.tolist(), strict=True))


@pytest.mark.parametrize("limit", [0.5, 3.0])
def test_short_limits_stay_honest(limit: float) -> None:
    """Under a limit too short to prove anything, the answer is `limit` or a plan the
    evaluator accepts, with a valid bound (the LP bound or HiGHS's, whichever is higher)."""
    res = solve_movements(load_scenario(REINFORCEMENT), options=SolveOptions(time_limit=limit))
    assert str(res.status) in ("limit", "feasible", "optimal")
    if res.status.has_solution:
        assert res.evaluation is not None and res.evaluation.feasible
        assert res.objective == pytest.approx(res.evaluation.objective, rel=1e-6)
        assert res.bound is not None and res.bound <= OPTIMUM * (1 + 1e-9)
        assert res.objective >= OPTIMUM * (1 - 1e-9)

"""One contract for every solver backend: same models, same expectations.

Each test runs once per name in :func:`procure.backends.backend_names`; a backend
whose solver is not installed is skipped.  Where a backend honestly cannot do what
the contract asks, the accepted outcome is recorded as data in ``DEVIATIONS``
instead of in per-backend branches.  Every solution that comes back is checked
against the model arrays (bounds, rows, integrality, objective).
"""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from procure.backends import (
    Backend,
    SolveOptions,
    SolveOutcome,
    Status,
    available_backends,
    backend_names,
    get_backend,
)
from procure.lp import INF, LinearModel, ModelArrays
from procure.lp.model import FloatArray

TOL = {
    "objective_rel": 1e-6,  # objective vs known optimum, relative (absolute below 1)
    "feasibility": 1e-6,  # bound and row violation, relative to max(1, |bound|)
    "integrality": 1e-6,  # distance of an integer column from the nearest integer
    "time_limit_slack_s": 5.0,  # model building + solver shutdown past the time limit
}

# backend -> case -> (accepted status, text the message must contain)
DEVIATIONS: dict[str, dict[str, tuple[Status, str]]] = {
    "cpsat": {
        # CP-SAT turns continuous variables into scaled integers: refused.
        "lp": (Status.ERROR, "continuous"),
        # CP-SAT needs finite domains and cannot prove unboundedness: refused.
        "unbounded": (Status.ERROR, "finite variable bounds"),
        # 1/3 is not a multiple of 1e-6, so the row cannot be made integral: refused.
        "non_decimal_coefficients": (Status.ERROR, "integer coefficients"),
    },
}

# backend -> test -> why it is expected to fail today (strict xfail: a fix turns it red)
KNOWN_BUGS: dict[str, dict[str, str]] = {}

MIP_GAP = 1e-6
# One thread count for every solve in this module (SolveOptions' default); switching
# thread counts between solves is exercised by test_thread_switch.
THREADS = 1
BACKENDS = backend_names()


def mark_known_bug(request: pytest.FixtureRequest, backend: Backend, test: str) -> None:
    reason = KNOWN_BUGS.get(backend.name, {}).get(test)
    if reason is not None:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    name: str = request.param
    if name not in available_backends():
        pytest.skip(f"solver for backend {name!r} is not installed")
    return get_backend(name)


# --------------------------------------------------------------------------- checks


def assert_feasible(model: ModelArrays, x: FloatArray) -> None:
    """``x`` satisfies the bounds, rows and integrality of ``model``."""
    tol = TOL["feasibility"]
    assert x.shape == (model.num_cols,)
    assert np.all(np.isfinite(x))

    def slack(v: FloatArray) -> FloatArray:
        return tol * np.maximum(1.0, np.abs(v))

    assert np.all(x >= model.col_lower - slack(model.col_lower)), "column below its bound"
    assert np.all(x <= model.col_upper + slack(model.col_upper)), "column above its bound"
    act = model.row_activity(x)
    assert np.all(act >= model.row_lower - slack(model.row_lower)), "row below its bound"
    assert np.all(act <= model.row_upper + slack(model.row_upper)), "row above its bound"
    xi = x[model.integrality]
    assert np.all(np.abs(xi - np.rint(xi)) <= TOL["integrality"]), "fractional integer"


def assert_consistent(model: ModelArrays, out: SolveOutcome) -> None:
    """Shape of an outcome: solutions are feasible and their numbers agree."""
    if not out.status.has_solution:
        assert out.x is None
        assert out.objective is None
        return
    assert out.x is not None and out.objective is not None
    assert_feasible(model, out.x)
    recomputed = float(model.col_cost @ out.x + model.offset)
    assert math.isclose(out.objective, recomputed, rel_tol=TOL["objective_rel"],
                        abs_tol=TOL["objective_rel"])
    if out.bound is not None:  # minimisation: the bound never exceeds the objective
        assert out.bound <= out.objective + TOL["objective_rel"] * max(1.0, abs(out.objective))


def assert_close(actual: float | None, expected: float) -> None:
    assert actual is not None
    assert math.isclose(actual, expected, rel_tol=TOL["objective_rel"],
                        abs_tol=TOL["objective_rel"]), (actual, expected)


# --------------------------------------------------------------------------- models


def lp_model() -> ModelArrays:
    """min 2x + 3y, x + y >= 4, x + 3y >= 6, -2 <= x - y <= 5; optimum 9 at (3, 1)."""
    m = LinearModel("lp")
    v = m.add_variables("v", 2, lower=0.0, upper=10.0, cost=[2.0, 3.0])
    m.add_constraints("cover", 2, [0, 0, 1, 1], [v.start, v.start + 1] * 2, [1, 1, 1, 3],
                      lower=[4, 6])
    m.add_constraints("range", 1, [0, 0], [v.start, v.start + 1], [1, -1], lower=-2, upper=5)
    return m.finalize()


KNAP_VALUE = np.array([3.1, 4.2, 5.5, 2.6, 7.3, 1.9, 6.4, 3.8, 4.9, 2.2, 5.1, 3.3])
KNAP_WEIGHT = np.array([2.5, 3.0, 4.5, 1.5, 6.0, 1.0, 5.5, 2.0, 4.0, 1.5, 3.5, 2.5])
KNAP_CAPACITY = 15.5


def knapsack_model() -> ModelArrays:
    """0-1 knapsack with decimal data (exercises CP-SAT's row scaling)."""
    m = LinearModel("knapsack")
    x = m.add_variables("take", KNAP_VALUE.size, upper=1.0, cost=-KNAP_VALUE, integer=True)
    m.add_constraints("capacity", 1, np.zeros(x.size), x.index, KNAP_WEIGHT,
                      upper=KNAP_CAPACITY)
    return m.finalize()


def knapsack_optimum() -> float:
    picks = np.array(list(itertools.product([0, 1], repeat=KNAP_VALUE.size)), dtype=float)
    fits = picks @ KNAP_WEIGHT <= KNAP_CAPACITY + 1e-9
    return float(-(picks[fits] @ KNAP_VALUE).max())


FL_OPEN = np.array([12.0, 9.5, 14.0])
FL_SERVE = np.array([  # facility x customer
    [2.0, 7.0, 4.5, 6.0, 3.0],
    [6.5, 2.0, 5.0, 3.5, 8.0],
    [3.0, 3.5, 1.0, 2.5, 2.0],
])


def facility_model() -> ModelArrays:
    """Uncapacitated facility location, all binary: open y_i, serve x_ij <= y_i."""
    nf, nc = FL_SERVE.shape
    m = LinearModel("facility")
    y = m.add_variables("open", nf, upper=1.0, cost=FL_OPEN, integer=True)
    x = m.add_variables("serve", nf * nc, upper=1.0, cost=FL_SERVE.ravel(), integer=True)
    i, j = np.divmod(np.arange(nf * nc), nc)
    m.add_constraints("assign", nc, j, x.start + i * nc + j, 1.0, lower=1.0, upper=1.0)
    rows = np.repeat(np.arange(nf * nc), 2)
    cols = np.column_stack([x.start + i * nc + j, y.start + i]).ravel()
    vals = np.tile([1.0, -1.0], nf * nc)
    m.add_constraints("link", nf * nc, rows, cols, vals, upper=0.0)
    return m.finalize()


def facility_optimum() -> float:
    best = INF
    for mask in itertools.product([False, True], repeat=FL_OPEN.size):
        is_open = np.array(mask)
        if is_open.any():
            cost = FL_OPEN[is_open].sum() + FL_SERVE[is_open].min(axis=0).sum()
            best = min(best, float(cost))
    return best


def infeasible_model() -> ModelArrays:
    m = LinearModel("infeasible")
    v = m.add_variables("v", 2, upper=10.0, cost=1.0, integer=True)
    m.add_constraints("sum", 2, [0, 0, 1, 1], [v.start, v.start + 1] * 2, 1.0,
                      lower=[3, -INF], upper=[INF, 2])
    return m.finalize()


def unbounded_model() -> ModelArrays:
    """min -x - y, x - y <= 1, x, y >= 0 integer: unbounded."""
    m = LinearModel("unbounded")
    v = m.add_variables("v", 2, lower=0.0, upper=INF, cost=-1.0, integer=True)
    m.add_constraints("r", 1, [0, 0], [v.start, v.start + 1], [1, -1], upper=1.0)
    return m.finalize()


def fixed_equality_model() -> ModelArrays:
    """Fixed columns (two in no row) and equality rows; optimum 25 at (2, 4, 3, 5, 1, 3).

    min 3a + b + 2c + d + 4e with a = 2, e = 1 and f = 3 fixed by bounds, e and f
    (cost 0) in no row, a + b + c = 9, b - c = 1, c + d = 8, d in [0, 5].
    """
    m = LinearModel("fixed")
    v = m.add_variables("v", 6, lower=[2, 0, 0, 0, 1, 3], upper=[2, 20, 20, 5, 1, 3],
                        cost=[3, 1, 2, 1, 4, 0], integer=True)
    s = v.start
    m.add_constraints("eq", 3, [0, 0, 0, 1, 1, 2, 2], [s, s + 1, s + 2, s + 1, s + 2, s + 2, s + 3],
                      [1, 1, 1, 1, -1, 1, 1], lower=[9, 1, 8], upper=[9, 1, 8])
    return m.finalize()


def offset_model() -> ModelArrays:
    """Knapsack-like MIP with an objective constant: optimum -8 + 100.25."""
    m = LinearModel("offset")
    v = m.add_variables("v", 3, upper=3.0, cost=[-2.0, -3.0, -1.0], integer=True)
    m.add_constraints("cap", 1, [0, 0, 0], v.index, [2.0, 3.0, 1.0], upper=8.0)
    m.add_constraints("pair", 1, [0, 0], [v.start, v.start + 1], [1.0, 1.0], upper=3.0)
    m.offset = 100.25
    return m.finalize()


def implied_bounds_model() -> ModelArrays:
    """Free integer columns bounded only through rows; optimum -8 at (2, 3)."""
    m = LinearModel("implied")
    v = m.add_variables("v", 2, lower=-INF, upper=INF, cost=[-1.0, -2.0], integer=True)
    x, y = v.start, v.start + 1
    m.add_constraints("r", 4, [0, 0, 1, 1, 2, 3], [x, y, y, x, x, y], [1, 1, 1, -1, 1, 1],
                      lower=[-INF, -INF, -3, -4], upper=[5, 2, INF, INF])
    return m.finalize()


def non_decimal_model() -> ModelArrays:
    """(x + y) / 3 <= 1 with x, y in [0, 5] integer: optimum -3."""
    m = LinearModel("third")
    v = m.add_variables("v", 2, upper=5.0, cost=-1.0, integer=True)
    m.add_constraints("r", 1, [0, 0], v.index, 1.0 / 3.0, upper=1.0)
    return m.finalize()


@dataclass(frozen=True)
class Case:
    build: Callable[[], ModelArrays]
    status: Status
    objective: Callable[[], float] | None = None


CASES: dict[str, Case] = {
    "lp": Case(lp_model, Status.OPTIMAL, lambda: 9.0),
    "knapsack": Case(knapsack_model, Status.OPTIMAL, knapsack_optimum),
    "facility_location": Case(facility_model, Status.OPTIMAL, facility_optimum),
    "infeasible": Case(infeasible_model, Status.INFEASIBLE),
    "unbounded": Case(unbounded_model, Status.UNBOUNDED),
    "fixed_and_equality": Case(fixed_equality_model, Status.OPTIMAL, lambda: 25.0),
    "objective_offset": Case(offset_model, Status.OPTIMAL, lambda: -8.0 + 100.25),
    "implied_bounds": Case(implied_bounds_model, Status.OPTIMAL, lambda: -8.0),
    "non_decimal_coefficients": Case(non_decimal_model, Status.OPTIMAL, lambda: -3.0),
}


def multi_knapsack(n: int = 250, m: int = 10, seed: int = 7) -> ModelArrays:
    """Random 0-1 multi-dimensional knapsack: not closed to 1e-6 in 1 s on 2 cores."""
    rng = np.random.default_rng(seed)
    w = rng.integers(1, 1000, size=(m, n))
    capacity = np.floor(0.5 * w.sum(axis=1))
    profit = np.rint(w.sum(axis=0) / m + rng.integers(1, 500, n))
    lm = LinearModel("mkp")
    x = lm.add_variables("x", n, upper=1.0, cost=-profit, integer=True)
    r, c = np.nonzero(w)
    lm.add_constraints("capacity", m, r, x.start + c, w[r, c], upper=capacity)
    return lm.finalize()


def split_model(rows: int = 2, cols: int = 40, seed: int = 5) -> ModelArrays:
    """Market-split feasibility problem with many solutions: x depends on the search path."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 60, size=(rows, cols))
    rhs = np.floor(a.sum(axis=1) / 2)
    m = LinearModel("split")
    x = m.add_variables("x", cols, upper=1.0, cost=0.0, integer=True)
    r, c = np.nonzero(a)
    m.add_constraints("split", rows, r, x.start + c, a[r, c], lower=rhs, upper=rhs)
    return m.finalize()


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("case", list(CASES))
def test_known_case(backend: Backend, case: str) -> None:
    spec = CASES[case]
    model = spec.build()
    out = backend.solve(model, SolveOptions(mip_gap=MIP_GAP, threads=THREADS, time_limit=30.0))
    assert out.solver == backend.name
    assert_consistent(model, out)
    deviation = DEVIATIONS.get(backend.name, {}).get(case)
    if deviation is not None:
        status, text = deviation
        assert out.status == status, out.message
        assert text in out.message
        return
    assert out.status == spec.status, out.message
    if spec.objective is not None:
        assert_close(out.objective, spec.objective())
        assert out.bound is not None  # bound <= objective is checked by assert_consistent
        assert out.gap is not None and out.gap <= MIP_GAP + TOL["objective_rel"]


def test_deviations_name_known_backends_and_cases() -> None:
    for name, cases in DEVIATIONS.items():
        assert name in BACKENDS
        assert set(cases) <= set(CASES)


def test_refusals_match_check_supported(backend: Backend) -> None:
    model = lp_model()
    refusal = backend.check_supported(model)
    if refusal is None:
        return
    out = backend.solve(model, SolveOptions())
    assert out.status == Status.ERROR
    assert out.message == refusal


def test_time_limit_never_claims_optimal(backend: Backend) -> None:
    """At a 1 s limit: ``feasible`` with objective, bound and gap, or ``limit``.

    The instance is sized so that no backend closes a 1e-6 gap in 1 s even on two
    threads (measured); the module solves on THREADS threads throughout.
    """
    model = multi_knapsack()
    limit = 1.0
    out = backend.solve(model, SolveOptions(time_limit=limit, mip_gap=MIP_GAP, threads=THREADS))
    assert out.status in (Status.FEASIBLE, Status.LIMIT), (out.status, out.message)
    assert out.solve_seconds <= limit + TOL["time_limit_slack_s"]
    assert_consistent(model, out)
    if out.status == Status.FEASIBLE:
        assert out.objective is not None
        assert out.bound is not None, "a time-limited MIP must report its bound"
        assert out.gap is not None and out.gap > MIP_GAP
        assert out.bound <= out.objective


@pytest.mark.parametrize("seed", [0, 11])
def test_same_seed_same_solution(backend: Backend, seed: int) -> None:
    model = split_model()
    opts = SolveOptions(seed=seed, threads=THREADS, mip_gap=MIP_GAP, time_limit=30.0)
    first = backend.solve(model, opts)
    second = backend.solve(model, opts)
    assert first.status == Status.OPTIMAL, first.message
    assert_consistent(model, first)
    assert_consistent(model, second)
    assert first.x is not None and second.x is not None
    np.testing.assert_array_equal(first.x, second.x)


def test_thread_switch(request: pytest.FixtureRequest, backend: Backend) -> None:
    """Solves with different thread counts in one process all succeed."""
    mark_known_bug(request, backend, "thread_switch")
    model = CASES["knapsack"].build()
    outs = [backend.solve(model, SolveOptions(threads=t)) for t in (1, 2, 1)]
    assert [o.status for o in outs] == [Status.OPTIMAL] * 3, [o.message for o in outs]
    for out in outs:
        assert_consistent(model, out)
        assert_close(out.objective, knapsack_optimum())


_IMPORT_AND_SOLVE = """
import importlib, json, sys
for module in sys.argv[1:]:
    importlib.import_module(module)
from procure.backends import SolveOptions, available_backends, get_backend
from procure.lp import LinearModel
m = LinearModel("tiny")
v = m.add_variables("v", 2, upper=10.0, cost=[-1.0, -2.0], integer=True)
m.add_constraints("c", 2, [0, 0, 1], [0, 1, 1], [1.0, 1.0, 1.0], upper=[3.0, 2.0])
arrays = m.finalize()
result = {}
for name in available_backends():
    out = get_backend(name).solve(arrays, SolveOptions())
    result[name] = [str(out.status), out.objective, None if out.x is None else out.x.tolist()]
print(json.dumps(result))
"""

_OR_TOOLS = ",".join([
    "ortools.linear_solver.pywraplp",
    "ortools.linear_solver.python.model_builder_helper",
    "ortools.sat.python.cp_model",
])


@pytest.mark.parametrize(
    "order", list(itertools.permutations(["highspy", _OR_TOOLS, "pulp"])),
    ids=lambda order: ">".join(m.split(".")[0] for m in order),
)
def test_import_order_does_not_matter(order: tuple[str, ...]) -> None:
    modules = [m for group in order for m in group.split(",")]
    proc = subprocess.run([sys.executable, "-c", _IMPORT_AND_SOLVE, *modules],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(result) == set(available_backends())
    for name, (status, objective, x) in result.items():
        assert status == Status.OPTIMAL, (name, status)
        assert_close(objective, -5.0)  # x = (1, 2)
        assert x == pytest.approx([1.0, 2.0], abs=TOL["integrality"]), name


def test_empty_model_is_optimal_at_its_offset(backend: Backend) -> None:
    """A model with nothing to decide (every requirement dropped) is solved, not an error."""
    from procure.lp import LinearModel

    lm = LinearModel("empty")
    lm.offset = 2.5
    out = backend.solve(lm.finalize(), SolveOptions())
    assert out.status == Status.OPTIMAL
    assert out.objective == pytest.approx(2.5)

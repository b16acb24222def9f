"""A backend in a worker process: its wall clock and its Ctrl-C stay with the caller."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import DATASETS, orlib_dir

from procure.backends import SolveOptions, Status, Stop, get_backend
from procure.backends.isolated import Isolated, clear_stop, request_stop
from procure.lp import ModelArrays
from procure.orlib import import_cflp
from procure.procurement.compile import compile_scenario
from procure.procurement.formulation import build


@pytest.fixture(scope="module")
def capa() -> ModelArrays:
    """capa-8000: HiGHS spends its first ~30 s in the root LP, where it checks neither
    its time limit nor its interrupt callback."""
    return build(compile_scenario(import_cflp(orlib_dir() / "capa.txt", 8000))).model


def test_the_wall_clock_holds_where_the_solver_overruns(capa: ModelArrays) -> None:
    t0 = time.perf_counter()
    out = Isolated(get_backend("highs")).solve(capa, SolveOptions(time_limit=3))
    assert time.perf_counter() - t0 < 3 + 2.0
    assert out.stopped_by == Stop.TIME and out.status in (Status.FEASIBLE, Status.LIMIT)
    if out.status == Status.FEASIBLE:  # the incumbent streamed back before the stop
        assert out.x is not None and out.objective is not None


def test_a_stop_request_ends_the_solve_at_once(capa: ModelArrays) -> None:
    timer = threading.Timer(1.0, request_stop)
    timer.start()
    try:
        t0 = time.perf_counter()
        out = Isolated(get_backend("highs")).solve(capa, SolveOptions())
        assert time.perf_counter() - t0 < 1.0 + 1.5
        assert out.stopped_by == Stop.INTERRUPT
    finally:
        timer.cancel()
        clear_stop()


def test_small_solves_match_the_in_process_backend() -> None:
    from procure.io import load_scenario

    m = build(compile_scenario(load_scenario(DATASETS / "tutorial.yaml"))).model
    inner = get_backend("highs").solve(m, SolveOptions())
    out = Isolated(get_backend("highs")).solve(m, SolveOptions())
    assert out.status == Status.OPTIMAL and out.objective == pytest.approx(inner.objective)
    assert out.x is not None and inner.x is not None


def test_the_target_reaches_the_worker() -> None:
    """A target given to the isolated backend stops the solve in its worker too."""
    m = build(compile_scenario(import_cflp(orlib_dir() / "cap63.txt"))).model
    out = Isolated(get_backend("highs")).solve(m, SolveOptions(), target=1e12)
    assert out.status == Status.FEASIBLE and out.stopped_by == Stop.ITERATIONS
    assert out.objective is not None and 1014062.05 * (1 + 1e-6) < out.objective <= 1e12

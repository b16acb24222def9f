"""The same sweep on a real ``dask.distributed`` LocalCluster (two worker processes):
identical tables to the local pool, and a killed Dask worker is a failed attempt that
is retried, never a lost case."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import budget_cases, stable

from procure.sweep.dask import DaskPool
from procure.sweep.engine import LocalPool, Pool, execute
from procure.sweep.runner import combine
from procure.sweep.store import SweepStore
from procure.sweep.worker import FAULT_ENV


@pytest.fixture(scope="module")
def dask_pool() -> Iterator[DaskPool]:
    old = os.environ.get(FAULT_ENV)
    os.environ[FAULT_ENV] = "1"  # the workers inherit it: faults may be injected
    pool = DaskPool("local", workers=2)
    try:
        yield pool
    finally:
        pool.close()
        if old is None:
            del os.environ[FAULT_ENV]
        else:
            os.environ[FAULT_ENV] = old


def _run(pool: Pool, root: Path, faults: dict[int, str] | None = None) -> pd.DataFrame:
    cases = budget_cases([1.0, 0.9, 0.7, 0.5])
    store = SweepStore.open(root, name="t", resume=True, force=False)
    results = execute(cases, pool, store, faults=faults)
    frame, _, _ = combine(cases, results, store, 0, "EUR million")
    return frame


def test_the_cluster_gives_the_local_pool_s_tables(dask_pool: DaskPool, tmp_path: Path) -> None:
    assert dask_pool.capacity == 2
    on_dask = _run(dask_pool, tmp_path / "dask")
    local = LocalPool(2)
    try:
        on_pool = _run(local, tmp_path / "local")
    finally:
        local.close()
    assert (on_dask.outcome == "solved").all() and on_dask.plans_checked.all()
    pd.testing.assert_frame_equal(stable(on_dask), stable(on_pool))


def test_a_killed_worker_is_a_failed_attempt_retried(dask_pool: DaskPool,
                                                      tmp_path: Path) -> None:
    frame = _run(dask_pool, tmp_path / "s", faults={1: "kill_host_once"})
    assert (frame.outcome == "solved").all(), frame.reason.tolist()
    assert frame.plans_checked.all()
    by = frame.set_index("case")
    assert by.attempts[1] == 2 and by.attempts[0] == 1
    assert dask_pool.client.nthreads()  # the nanny brought a worker back


@pytest.mark.slow
def test_the_sample_what_if_sweep_is_identical_locally_and_on_dask(tmp_path: Path) -> None:
    """57 what-ifs of the sample alliance (each member leaving, budgets -10/-20/-30 %,
    +30 % on each multinational program): the same cases table on the local pool and
    on a LocalCluster of two workers; every plan checked by the evaluator."""
    from procure.schema.sweep import load_sweep
    from procure.sweep.runner import sweep

    spec, base = load_sweep(Path(__file__).resolve().parents[2] / "datasets" / "sweeps"
                            / "sample_what_if.yaml")
    local = sweep(spec, base, executor="local", workers=2, out=tmp_path / "local")
    on_dask = sweep(spec, base, executor="dask", workers=2, out=tmp_path / "dask")
    assert len(local.cases) == 57 and (local.cases.outcome == "solved").all()
    assert local.cases.plans_checked.all()
    pd.testing.assert_frame_equal(stable(on_dask.cases), stable(local.cases))
    pd.testing.assert_frame_equal(on_dask.member_changes, local.member_changes)


def test_a_scheduler_address_is_the_same_code_path(tmp_path: Path) -> None:
    """A cluster of one's own, reached by its address (workers allowed to start case
    processes, as the README says): the tutorial sweep gives the local pool's table."""
    import dask
    from distributed import LocalCluster

    from procure.schema.sweep import load_sweep
    from procure.sweep.runner import sweep

    spec, base = load_sweep(Path(__file__).resolve().parents[2] / "datasets" / "sweeps"
                            / "tutorial_budgets.yaml")
    with dask.config.set({"distributed.worker.daemon": False}):
        cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                               dashboard_address=":0")
    try:
        remote = sweep(spec, base, executor=cluster.scheduler_address, out=tmp_path / "r")
    finally:
        cluster.close()
    local = sweep(spec, base, executor="local", out=tmp_path / "l")
    assert (remote.cases.outcome == "solved").all() and remote.cases.plans_checked.all()
    pd.testing.assert_frame_equal(stable(remote.cases), stable(local.cases))


def test_an_unreachable_scheduler_is_a_library_error() -> None:
    from procure.sweep.dask import DaskUnavailableError

    with pytest.raises(DaskUnavailableError, match="cannot reach"):
        DaskPool("tcp://127.0.0.1:9", connect_timeout=1.0)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _is_daemon() -> bool:
    import multiprocessing

    return bool(multiprocessing.current_process().daemon)


def test_a_restarted_worker_may_still_start_case_processes(dask_pool: DaskPool) -> None:
    """The nanny reads the daemon setting each time it starts a worker: one restarted
    after a crash (killed here) must be non-daemonic too, or every case sent to it fails
    ("daemonic processes are not allowed to have children")."""
    import time

    client = dask_pool.client
    before = set(client.nthreads())
    victim = sorted(before)[0]
    with contextlib.suppress(Exception):  # the worker dies mid-call
        client.run(_die, workers=[victim])
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        now = set(client.nthreads())
        if victim not in now and len(now) == len(before):
            break
        time.sleep(0.1)
    now = set(client.nthreads())
    assert victim not in now and len(now) == len(before), "the nanny did not restart it"
    assert client.run(_is_daemon) == dict.fromkeys(now, False)

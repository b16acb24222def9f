"""Run a sweep's cases on a pool: locally by default, on Dask when asked, one code path.

Each case runs :func:`procure.sweep.worker.run_isolated` (a child process per case,
under a hard wall-clock limit) on a :class:`Pool`:

- :class:`LocalPool`: a thread per worker slot in this process, each waiting on its
  case's child process; ``workers`` x ``threads`` never exceeds the cores.
- :class:`procure.sweep.dask.DaskPool`: the same function submitted as a task to a
  ``dask.distributed`` cluster (a scheduler address, or a LocalCluster started for
  the run).

The engine (:func:`execute`) keeps our own crash accounting whatever the pool:

- a case whose attempt fails (the case raised, its process died or hung, or the pool
  lost the task: a killed Dask worker) is retried once; a second failure is recorded
  with both reasons; no failure stops the sweep or touches another case's result;
- each result is stored the moment it arrives (:class:`~procure.sweep.store.SweepStore`);
  stored results are reused (``resume``), so a killed sweep solves only what is
  missing;
- cases with the same key (identical scenario, solver and options) are solved once;
- invalid cases (edits that give no valid scenario) are never run;
- Ctrl-C stops the running cases and raises :class:`SweepInterrupted` with the count
  of stored results (a later ``resume`` finishes the rest).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from procure.sweep.cases import Case
from procure.sweep.store import Finished, SweepStore
from procure.sweep.worker import Attempt, run_isolated

log = logging.getLogger(__name__)


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: ``stored`` results are safe in the folder."""

    def __init__(self, stored: int, total: int) -> None:
        super().__init__(f"interrupted: {stored} of {total} cases stored")
        self.stored = stored
        self.total = total


def cores() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Pool(ABC):
    """Where attempts run. ``capacity``: attempts run at once."""

    capacity: int
    name: str

    @abstractmethod
    def submit(self, payload: dict[str, Any]) -> Any:
        """Start one attempt; a handle for :meth:`done` and :meth:`outcome`."""

    @abstractmethod
    def done(self, handles: Sequence[Any], timeout: float) -> list[Any]:
        """The handles among ``handles`` that finished, waiting at most ``timeout``."""

    @abstractmethod
    def outcome(self, handle: Any) -> Attempt:
        """The attempt of a finished handle; a task the pool lost is a failed attempt."""

    @abstractmethod
    def stop(self) -> None:
        """Ctrl-C: stop the running attempts."""

    @abstractmethod
    def close(self) -> None:
        """Release the pool's resources."""


_stop_local = threading.Event()


def _local_attempt(payload: dict[str, Any]) -> Attempt:
    if _stop_local.is_set():
        return Attempt(False, "stopped")
    return run_isolated(payload, stop=_stop_local)


class LocalPool(Pool):
    """``workers`` threads, each waiting on one case's child process (default: one per
    core / ``threads``)."""

    name = "local"

    def __init__(self, workers: int | None = None, threads: int = 1) -> None:
        most = max(1, cores() // max(threads, 1))
        self.capacity = most if workers is None else max(1, min(workers, most))
        if workers is not None and workers > most:
            log.warning("%d workers x %d solver threads would exceed the %d cores: using %d "
                        "workers", workers, threads, cores(), most)
        self._executor = ThreadPoolExecutor(self.capacity, thread_name_prefix="case")
        _stop_local.clear()

    def submit(self, payload: dict[str, Any]) -> Future[Attempt]:
        return self._executor.submit(_local_attempt, payload)

    def done(self, handles: Sequence[Any], timeout: float) -> list[Any]:
        finished, _ = wait(handles, timeout=timeout, return_when=FIRST_COMPLETED)
        return list(finished)

    def outcome(self, handle: Any) -> Attempt:
        try:
            result: Attempt = handle.result()
        except Exception as exc:  # run_isolated never raises; a bug in it is a failure
            return Attempt(False, f"the pool lost the case: {type(exc).__name__}: {exc}")
        return result

    def stop(self) -> None:
        _stop_local.set()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        _stop_local.clear()


@dataclass(frozen=True)
class Progress:
    """Where a sweep stands."""

    total: int  # cases to report (solved here, stored earlier, invalid)
    done: int  # finished (solved or failed) or reused, invalid included
    failed: int  # failed or invalid
    running: int
    solved_here: int  # results computed by this run (not reused)
    seconds: float  # since the start of this run


def payload(case: Case, attempt: int, fault: str | None = None,
            grace: float | None = None) -> dict[str, Any]:
    """What a worker receives: data only (the scenario as JSON data)."""
    return {"task": case.task, **(case.extra or {}),
            "name": case.name, "scenario": case.scenario, "solver": case.solver,
            "options": {"time_limit": case.options.time_limit,
                        "mip_gap": case.options.mip_gap, "threads": case.options.threads,
                        "seed": case.options.seed,
                        "solver_options": {k: dict(v) for k, v in
                                           case.options.solver_options.items()}},
            "attempt": attempt, "fault": fault, "grace": grace}


def execute(cases: Sequence[Case], pool: Pool, store: SweepStore, *,
            on_progress: Callable[[Progress], None] | None = None,
            faults: dict[int, str] | None = None, grace: float | None = None,
            poll: float = 0.2) -> dict[str, Finished]:
    """Run every valid case not already stored, storing each result as it arrives;
    return the stored results of all valid cases, by key. ``faults``: case index ->
    fault to inject (tests only, see :mod:`procure.sweep.worker`); ``grace``: seconds a
    case may run past its time limit before it is killed as hung (default:
    :func:`procure.sweep.worker.grace`)."""
    t0 = time.perf_counter()
    valid = [c for c in cases if c.scenario is not None]
    invalid = len(cases) - len(valid)
    results = store.finished(c.key for c in valid)
    first: dict[str, Case] = {}
    for c in valid:
        if c.key not in results:
            first.setdefault(c.key, c)
    todo = deque(first.values())
    failures = {k: f for k, f in results.items() if f.outcome != "solved"}
    pending: dict[Any, tuple[Case, int, str]] = {}  # handle -> case, attempt, reason so far
    solved_here = 0

    def report() -> None:
        if on_progress is not None:
            done = sum(1 for c in valid if c.key in results) + invalid
            failed = sum(1 for c in valid if c.key in failures) + invalid
            on_progress(Progress(len(cases), done, failed, len(pending),
                                 solved_here, time.perf_counter() - t0))

    def start(case: Case, attempt: int, reason: str) -> None:
        fault = None if faults is None else faults.get(case.index)
        pending[pool.submit(payload(case, attempt, fault, grace))] = (case, attempt, reason)

    report()
    try:
        while todo or pending:
            while todo and len(pending) < pool.capacity:
                start(todo.popleft(), 1, "")
                report()
            for handle in pool.done(list(pending), poll):
                case, attempt, earlier = pending.pop(handle)
                got = pool.outcome(handle)
                if not got.ok and attempt == 1:
                    log.warning("case %d (%s) failed, retrying once: %s", case.index,
                                case.name, got.reason)
                    start(case, 2, got.reason)
                    continue
                reason = got.reason if not earlier else (
                    f"attempt 1: {earlier}; attempt 2: {got.reason}" if not got.ok
                    else f"attempt 1 failed ({earlier}); attempt 2 solved")
                outcome = "solved" if got.ok else "failed"
                store.save(case.key, outcome, reason, attempt, got.seconds, got.row,
                           got.tables)
                results[case.key] = Finished(case.key, outcome, reason, attempt, got.seconds,
                                             got.row, sorted(got.tables))
                if not got.ok:
                    failures[case.key] = results[case.key]
                    log.warning("case %d (%s) failed: %s", case.index, case.name, reason)
                solved_here += 1
                report()
            report()
    except KeyboardInterrupt:
        pool.stop()
        stored = sum(1 for c in valid if c.key in results)
        raise SweepInterrupted(stored, len(valid)) from None
    return {c.key: results[c.key] for c in valid}


def keys_of(cases: Iterable[Case]) -> list[str]:
    return [c.key for c in cases if c.scenario is not None]

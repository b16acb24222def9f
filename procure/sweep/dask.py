"""The Dask pool: the sweep's cases as tasks on a ``dask.distributed`` cluster.

Each task runs the same :func:`~procure.sweep.worker.run_isolated` as the local pool,
with the case's data as its only argument; it starts the case's child process on the
worker. A worker process may only start children when it is not daemonic: the
LocalCluster started here sets ``distributed.worker.daemon = False`` for as long as the
pool is open (so a worker its nanny restarts after a crash is not daemonic either); a
cluster of
your own needs the same setting (``DASK_DISTRIBUTED__WORKER__DAEMON=False`` in the
workers' environment), or every case fails with a message saying so.

Crash accounting stays ours: the LocalCluster's scheduler gives up on a task at the
first worker death (``allowed-failures`` 0), and the engine retries it once. A task
the cluster loses (a killed worker, a cancelled task) is a failed attempt with the
cluster's reason.

dask and distributed are an optional extra: ``pip install -e '.[dask]'``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from procure.errors import ProcureError
from procure.sweep.engine import Pool
from procure.sweep.worker import Attempt, run_isolated

log = logging.getLogger(__name__)


class DaskUnavailableError(ProcureError):
    """dask.distributed is not installed, or the scheduler cannot be reached."""


class DaskPool(Pool):
    """Cases as tasks on a Dask cluster: ``address`` a scheduler (``tcp://host:8786``),
    or ``None``/``"local"`` for a LocalCluster of ``workers`` processes started for the
    run (one task at a time each) and closed with the pool. A scheduler that does not
    answer within ``connect_timeout`` seconds is :class:`DaskUnavailableError`."""

    name = "dask"

    def __init__(self, address: str | None = None, workers: int = 2,
                 connect_timeout: float = 10.0) -> None:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise DaskUnavailableError("--dask needs dask and distributed: pip install "
                                       "procure[dask]") from exc
        self.cluster: Any = None
        self._config: Any = None
        try:
            if address in (None, "local"):
                # held for the pool's life, not only while the cluster starts: a nanny
                # reads "daemon" from the process's config each time it (re)starts a
                # worker, so a worker restarted after a crash would otherwise be daemonic
                # and refuse every case
                self._config = dask.config.set({"distributed.worker.daemon": False,
                                                "distributed.scheduler.allowed-failures": 0})
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                            processes=True, dashboard_address=":0")
                self.client = Client(self.cluster)
            else:
                self.client = Client(address, timeout=f"{connect_timeout}s")
        except OSError as exc:
            if self.cluster is not None:
                self.cluster.close()
            self._restore_config()
            raise DaskUnavailableError(f"cannot reach the Dask scheduler {address}: "
                                       f"{exc}") from exc
        self.capacity = max(1, sum(self.client.nthreads().values()))
        self._pending: set[Any] = set()

    def submit(self, payload: dict[str, Any]) -> Any:
        future = self.client.submit(run_isolated, payload, pure=False, retries=0)
        self._pending.add(future)
        return future

    def done(self, handles: Sequence[Any], timeout: float) -> list[Any]:
        end = time.perf_counter() + timeout
        while True:
            finished = [h for h in handles if h.done()]
            if finished or time.perf_counter() >= end:
                return finished
            time.sleep(0.02)

    def outcome(self, handle: Any) -> Attempt:
        self._pending.discard(handle)
        try:
            result: Attempt = handle.result()
        except Exception as exc:  # KilledWorker, CancelledError, a lost connection
            return Attempt(False, f"the Dask task failed: {type(exc).__name__}: {exc}")
        finally:
            handle.release()
        return result

    def stop(self) -> None:
        """Cancel every pending task; closing the LocalCluster then ends the running
        ones (their case processes die with their workers)."""
        if self._pending:
            self.client.cancel(list(self._pending))

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self._restore_config()

    def _restore_config(self) -> None:
        """Undo the LocalCluster's dask settings (the caller's own config comes back)."""
        if self._config is not None:
            self._config.__exit__(None, None, None)
            self._config = None

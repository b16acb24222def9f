"""A backend run in a child process: the run keeps its wall clock and its Ctrl-C.

Solvers run in native code that checks the Python signal machinery rarely or never
(HiGHS spends its root LP, 28 s on ``capa``, without a callback) and may overrun their
own time limit. :class:`Isolated` wraps any backend: each solve runs in a child process
(forked from a server that has the solvers imported, so a start costs milliseconds), the
child streams every improved incumbent and bound back as it finds them (HiGHS, through
its MIP callback), and the parent waits in Python, where signals are handled at once.
When the wall clock passes the limit (plus :data:`GRACE`) or the user interrupts
(:func:`request_stop`, which the CLI's SIGINT/SIGTERM handler calls), the child is
terminated and the last incumbent is returned with its bound: status ``feasible``
(``limit`` without one), ``stopped_by`` time or interrupt. A child that dies (a solver
crash) becomes an ``error`` outcome; the run goes on.

The LP session (warm re-solves of the start heuristics) stays in-process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import tempfile
import threading
import time
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from procure.backends.base import (
    Backend,
    Iis,
    IncumbentCallback,
    LpSession,
    Sensitivity,
    SolveOptions,
    SolveOutcome,
    Status,
    Stop,
    make_outcome,
)
from procure.lp.model import FloatArray, ModelArrays

GRACE = 1.0  # seconds past the time limit before the child is stopped
POLL = 0.05  # seconds between looks at the child, the clock and the stop request

_stop = threading.Event()
_solving = threading.Event()  # the main thread is waiting on an isolated solve
_context: Any = None


def request_stop() -> None:
    """Ask every isolated solve to stop now (safe to call from a signal handler)."""
    _stop.set()


def on_signal(signum: int, frame: Any) -> None:
    """A SIGINT/SIGTERM handler: an isolated solve in progress stops and returns its best
    plan (``stopped_by`` interrupt); anywhere else the signal raises KeyboardInterrupt."""
    request_stop()
    if not _solving.is_set():
        raise KeyboardInterrupt


def solving() -> bool:
    """Whether the main thread is waiting on an isolated solve (which honours
    :func:`request_stop` within :data:`POLL` seconds)."""
    return _solving.is_set()


def clear_stop() -> None:
    _stop.clear()


def stop_requested() -> bool:
    return _stop.is_set()


def _ctx() -> Any:
    """The process context: a fork server with the solvers imported (POSIX), else spawn."""
    global _context
    if _context is None:
        if "forkserver" in mp.get_all_start_methods():
            _context = mp.get_context("forkserver")
            _context.set_forkserver_preload(["procure.backends.registry",
                                             "procure.backends.highs"])
        else:  # pragma: no cover - non-POSIX
            _context = mp.get_context("spawn")
    return _context


def prepare() -> None:
    """Start the worker server now: on POSIX the fork server starts (and imports the
    solvers) in its own process while the caller goes on reading and building its model,
    so the first solve does not wait for it (about 0.2 s). Nothing to do elsewhere."""
    if _ctx().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _child(name: str, model: ModelArrays, options: SolveOptions, start: FloatArray | None,
           target: float | None, conn: Connection, workdir: str) -> None:
    """In the child: solve with backend ``name``; send incumbents, then the outcome.

    The child leads its own process group, so stopping it also stops any solver
    process it started (CBC runs as a program of its own), and keeps its temporary
    files in ``workdir``, which the parent removes whatever happens to the child."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    os.setpgid(0, 0)
    tempfile.tempdir = workdir
    from procure.backends.registry import get_backend

    def improved(objective: float, x: FloatArray, bound: float | None) -> None:
        conn.send(("incumbent", objective, x, bound))

    out = get_backend(name).solve(model, options, start=start, on_incumbent=improved,
                                  target=target)
    conn.send(("done", out))
    conn.close()


def _signal_group(proc: Any, sig: int) -> None:
    """Send ``sig`` to the child's process group, or to the child alone if it has not
    made its group yet; a group already gone is fine."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        try:
            if proc.is_alive():
                os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
    except PermissionError:  # pragma: no cover - the pid now leads someone else's group
        pass


class Isolated(Backend):
    """``inner`` run in a child process per solve (module docstring)."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.capabilities = replace(inner.capabilities, interrupt=True)
        self.distribution = inner.distribution
        self.probe = inner.probe

    def version(self) -> str:  # type: ignore[override]
        return self.inner.version()

    def check_options(self, options: SolveOptions) -> str | None:
        return self.inner.check_options(options)

    def cautious(self, options: SolveOptions) -> SolveOptions:
        return self.inner.cautious(options)

    def lp_session(self, model: ModelArrays, options: SolveOptions) -> LpSession:
        return self.inner.lp_session(model, options)

    def iis(self, model: ModelArrays, options: SolveOptions) -> Iis | None:
        return self.inner.iis(model, options)  # an LP: in this process, like lp_session

    def sensitivity(self, model: ModelArrays, options: SolveOptions) -> Sensitivity | None:
        return self.inner.sensitivity(model, options)

    def solve(self, model: ModelArrays, options: SolveOptions, *,
              start: FloatArray | None = None,
              on_incumbent: IncumbentCallback | None = None,
              target: float | None = None) -> SolveOutcome:
        t0 = time.perf_counter()
        if _stop.is_set():
            return self._stopped(model, None, None, None, Stop.INTERRUPT, t0)
        ctx = _ctx()
        # from here on a signal only requests the stop (on_signal), which the wait loop
        # honours: a KeyboardInterrupt while the child's arguments are being sent would
        # leave it reading half a message (and printing a traceback)
        _solving.set()
        try:
            with tempfile.TemporaryDirectory(prefix="procure-solve-",
                                             ignore_cleanup_errors=True) as workdir:
                parent, child = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, daemon=True,
                                   args=(self.inner.name, model, options, start, target, child,
                                         workdir))
                proc.start()
                child.close()
                return self._wait(model, options, proc, parent, on_incumbent, t0)
        finally:
            _solving.clear()

    def _wait(self, model: ModelArrays, options: SolveOptions, proc: Any, parent: Connection,
              on_incumbent: IncumbentCallback | None, t0: float) -> SolveOutcome:
        """Wait for the child's messages, the clock or a stop request (module docstring)."""
        deadline = None if options.time_limit is None else t0 + options.time_limit + GRACE
        best: tuple[float, FloatArray, float | None] | None = None
        try:
            while True:
                if parent.poll(POLL):
                    try:
                        msg = parent.recv()
                    except EOFError:  # the child died without a word: a crash
                        proc.join(1.0)
                        return self.failed(Status.ERROR, time.perf_counter() - t0,
                                           f"{self.name} crashed (exit code "
                                           f"{proc.exitcode}) in its worker process")
                    if msg[0] == "incumbent":
                        best = (float(msg[1]), np.asarray(msg[2]), msg[3])
                        if on_incumbent is not None:
                            on_incumbent(*best)
                        continue
                    out: SolveOutcome = msg[1]
                    proc.join(5.0)
                    return replace(out, solve_seconds=time.perf_counter() - t0)
                why = None
                if _stop.is_set():
                    why = Stop.INTERRUPT
                elif deadline is not None and time.perf_counter() > deadline:
                    why = Stop.TIME
                elif not proc.is_alive() and not parent.poll(0):
                    return self.failed(Status.ERROR, time.perf_counter() - t0,
                                       f"{self.name} crashed (exit code {proc.exitcode}) in "
                                       "its worker process")
                if why is not None:
                    self._kill(proc)
                    obj, x, bound = best if best is not None else (None, None, None)
                    return self._stopped(model, obj, x, bound, why, t0)
        finally:
            parent.close()
            if proc.is_alive():
                self._kill(proc)

    @staticmethod
    def _kill(proc: Any) -> None:
        """Stop the child and every process of its group (a solver program it started)."""
        _signal_group(proc, signal.SIGTERM)
        proc.join(1.0)
        if proc.is_alive():  # pragma: no cover - a solver ignoring SIGTERM
            _signal_group(proc, signal.SIGKILL)
            proc.join(1.0)
        _signal_group(proc, signal.SIGKILL)  # a grandchild that outlived the child

    def _stopped(self, model: ModelArrays, objective: float | None, x: FloatArray | None,
                 bound: float | None, why: Stop, t0: float) -> SolveOutcome:
        return make_outcome(proven_optimal=False, hit_limit=True, x=x, objective=objective,
                            bound=bound, seconds=time.perf_counter() - t0, solver=self.name,
                            version=self.version(), is_mip=model.is_mip,
                            message="stopped by the user" if why == Stop.INTERRUPT
                            else "stopped by the wall clock", stopped_by=why)

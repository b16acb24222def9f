"""One case of a sweep, solved in a process of its own under a hard wall-clock limit.

:func:`run_isolated` is the one function every executor runs (a thread of the local
pool, a task on a Dask worker): it receives a case's *data* (the scenario as JSON
data, the solver's name, the options as numbers), starts a child process, and the
child validates the scenario, builds and solves it (:func:`solve_case`) and sends back
plain rows and tables. No solver object, compiled model or scenario object ever
crosses a process boundary.

The child leads its own process group (a solver program it starts dies with it), asks
the kernel to kill it should its parent die (Linux), and is killed with its group when
it passes the case's limit: ``time_limit`` plus :func:`grace` (the study stops its
solves within ``time_limit``; the grace covers decoding, evaluating and tables). Every
way a case can end becomes an :class:`Attempt`:

========================  ==========================================================
the child                 attempt
========================  ==========================================================
sends its result          ``ok``, with the row and tables
raises                    ``failed``: "raised <type>: <message>"
dies (signal, segfault)   ``failed``: "worker process died (signal 9)"
passes the limit          ``failed``: "hung: killed after <s> s (limit <s> s)"
========================  ==========================================================

The engine (:mod:`procure.sweep.engine`) retries a failed attempt once.

Fault injection, for the tests only: a payload's ``fault`` ("raise", "hang", "kill":
the case's process kills itself, "kill_once": on the first attempt only,
"kill_host_once": on the first attempt, kill the process running
:func:`run_isolated`, a Dask worker) is honoured only when the environment variable
:data:`FAULT_ENV` is "1" where :func:`run_isolated` runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import threading
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import pandas as pd

FAULT_ENV = "PROCURE_SWEEP_FAULTS"
POLL = 0.05  # seconds between looks at the child and the clock
_context: Any = None


def grace(time_limit: float) -> float:
    """Seconds a case may run past its ``time_limit`` before it counts as hung:
    10 s, or a quarter of the limit when that is longer."""
    return max(10.0, 0.25 * time_limit)


@dataclass
class Attempt:
    """How one attempt at one case ended. ``row``: the case's headline numbers;
    ``tables``: its long-form tables (both empty unless ``ok``)."""

    ok: bool
    reason: str = ""
    seconds: float = 0.0
    row: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def _ctx() -> Any:
    """A fork server with the models imported (a child starts in milliseconds)."""
    global _context
    if _context is None:
        if "forkserver" in mp.get_all_start_methods():
            _context = mp.get_context("forkserver")
            _context.set_forkserver_preload(["procure.sweep.worker", "procure.procurement",
                                             "procure.logistics.solve"])
        else:  # pragma: no cover - non-POSIX
            _context = mp.get_context("spawn")
    return _context


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when its parent dies (a killed driver leaves no
    solve running on). Elsewhere nothing."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _inject(payload: Mapping[str, Any]) -> None:
    """The fault :func:`run_isolated` let through, if any."""
    fault = payload.get("fault")
    if not fault:
        return
    if fault == "raise":
        raise RuntimeError("injected fault")
    if fault == "hang":
        while True:
            time.sleep(1.0)
    first = payload.get("attempt", 1) == 1
    if fault == "kill" or (fault == "kill_once" and first):
        os.kill(os.getpid(), signal.SIGKILL)
    if fault == "kill_host_once" and first:  # the process that runs run_isolated
        os.kill(int(payload["host_pid"]), signal.SIGKILL)
        time.sleep(60.0)


def solve_case(payload: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Validate, build and solve one case (in the child): the procurement study (joint,
    go-alone, like for like) when the scenario has programs or requirements, the
    movement plan when it has movements; or, for the task ``coalition``, one
    coalition's cost in the burden-sharing game (no tables); or, for the task
    ``explain``, one procurement plan with the payload's formulation options (a rule
    relaxed, a program forced, a like-for-like level: :mod:`procure.explain.prices`; no
    tables). Returns the case's row
    (:func:`procure.sweep.results.case_row`) and its tables, by file stem."""
    from procure.backends.base import SolveOptions
    from procure.io import scenario_from_data
    from procure.run.model import Budget
    from procure.sweep.results import case_row, case_tables

    _inject(payload)
    if payload.get("task") == "coalition":
        from procure.sharing.alliance import solve_coalition_payload

        return solve_coalition_payload(dict(payload)), {}
    if payload.get("task") == "explain":
        from procure.explain.prices import solve_explain_payload

        return solve_explain_payload(dict(payload)), {}
    scenario = scenario_from_data(payload["scenario"], source=str(payload.get("name", "")))
    opts = SolveOptions(**payload["options"])
    budget = Budget(opts.time_limit)
    st = mr = None
    if scenario.programs or scenario.requirements:
        from procure.procurement.study import study

        st = study(scenario, solver=payload["solver"], options=opts, budget=budget)
    if scenario.logistics is not None and scenario.logistics.movements:
        from procure.logistics.solve import solve as solve_movements

        mr = solve_movements(scenario, solver=payload["solver"], options=opts, budget=budget)
    return case_row(scenario, st, mr), case_tables(st, mr)


def _child(payload: Mapping[str, Any], conn: Connection) -> None:
    os.setpgid(0, 0)
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver decides when to stop
    try:
        row, tables = solve_case(payload)
        conn.send(("ok", row, tables))
    except BaseException as exc:  # everything becomes a reason, sent to the driver
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
        conn.send(("raised", f"raised {type(exc).__name__}: {exc}{where}"))
    finally:
        conn.close()


def _kill_group(proc: Any) -> None:
    """SIGKILL the child's process group (the child alone if it has none yet)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(proc.pid, signal.SIGKILL)
    proc.join(2.0)


def run_isolated(payload: Mapping[str, Any], stop: threading.Event | None = None) -> Attempt:
    """Run one attempt at one case in a child process (module docstring). ``payload``:
    ``scenario`` (JSON data), ``solver``, ``options`` (SolveOptions fields; its
    ``time_limit`` is the case's limit), ``name``, ``attempt`` (1, 2), ``grace``
    (seconds past the limit before the case counts as hung; default :func:`grace`) and
    ``fault`` (tests only). ``stop``: when set, the child is killed and the attempt ends
    "stopped". Never raises for anything the case does."""
    t0 = time.perf_counter()
    limit = payload["options"].get("time_limit")
    extra = (payload.get("grace") if payload.get("grace") is not None
             else None if limit is None else grace(float(limit)))
    deadline = None if limit is None or extra is None else t0 + float(limit) + float(extra)
    ctx = _ctx()
    parent, child = ctx.Pipe(duplex=False)
    faults_on = os.environ.get(FAULT_ENV) == "1"  # read here: the fork server's may be older
    data = {**payload, "fault": payload.get("fault") if faults_on else None,
            "host_pid": os.getpid()}
    proc = ctx.Process(target=_child, args=(data, child), daemon=False)
    try:
        proc.start()
    except AssertionError as exc:  # "daemonic processes are not allowed to have children"
        return Attempt(False, f"cannot start a case process here ({exc}); on Dask, run "
                              "workers with distributed.worker.daemon = False")
    child.close()
    try:
        while True:
            if parent.poll(POLL):
                try:
                    msg = parent.recv()
                except (EOFError, OSError):
                    proc.join(2.0)
                    return Attempt(False, _died(proc), time.perf_counter() - t0)
                proc.join(5.0)
                seconds = time.perf_counter() - t0
                if msg[0] == "ok":
                    return Attempt(True, "", seconds, msg[1], msg[2])
                return Attempt(False, str(msg[1]), seconds)
            if not proc.is_alive() and not parent.poll(0):
                proc.join(1.0)
                return Attempt(False, _died(proc), time.perf_counter() - t0)
            if stop is not None and stop.is_set():
                _kill_group(proc)
                return Attempt(False, "stopped", time.perf_counter() - t0)
            if deadline is not None and time.perf_counter() > deadline:
                _kill_group(proc)
                seconds = time.perf_counter() - t0
                return Attempt(False, f"hung: killed after {seconds:.1f} s (limit {limit:g} s "
                                      f"+ {extra:g} s grace)", seconds)
    finally:
        parent.close()
        if proc.is_alive():
            _kill_group(proc)


def _died(proc: Any) -> str:
    code = proc.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f"worker process died ({name})"
    return f"worker process exited with code {code} before sending its result"

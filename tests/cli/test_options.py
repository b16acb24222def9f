"""Global options and exit codes: --version, --debug, -v logging, the typed --solver,
the run-wide default time limit, and Ctrl-C / SIGTERM (exit 130)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DATASETS, REPO
from typer.testing import CliRunner

from procure import cli
from procure.cli import app
from procure.generate import generate_alliance
from procure.io import save_scenario


def test_version() -> None:
    from procure.run.record import procure_version

    r = CliRunner().invoke(app, ["--version"])
    assert r.exit_code == 0 and r.stdout.strip() == f"procure {procure_version()}"


def test_solver_is_a_typed_choice() -> None:
    r = CliRunner().invoke(app, ["solve", "--help"])
    assert "highs" in r.stdout and "scip" in r.stdout and "cbc" in r.stdout
    r = CliRunner().invoke(app, ["solve", str(DATASETS / "tutorial.yaml"), "--solver", "gurobi"])
    assert r.exit_code == 2 and "gurobi" in r.stderr


def test_verbose_logs_stages_on_stderr() -> None:
    r = CliRunner().invoke(app, ["-v", "solve", str(DATASETS / "tutorial.yaml")])
    assert r.exit_code == 0, r.stderr
    assert "procurement/joint" in r.stderr and "procurement/alone" in r.stderr
    assert "procurement/joint" not in r.stdout  # logs never go to the report


def test_default_time_limit_bounds_the_whole_run() -> None:
    r = CliRunner().invoke(app, ["solve", str(DATASETS / "tutorial.yaml")])
    assert r.exit_code == 0
    assert f"stops after {cli.DEFAULT_TIME_LIMIT:g} s" in r.stdout


def _crash(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


@pytest.mark.parametrize("debug", [False, True])
def test_internal_error_is_one_line_unless_debug(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        debug: bool) -> None:
    import importlib

    study_module = importlib.import_module("procure.procurement.study")  # not the function
    monkeypatch.setattr(study_module, "study", _crash)
    args = ["--debug"] if debug else []
    with pytest.raises(SystemExit) as info:
        cli.main([*args, "solve", str(DATASETS / "tutorial.yaml")])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err
    assert ("Traceback" in err) is debug


@pytest.mark.parametrize(("solver", "sig"), [("highs", signal.SIGINT), ("highs", signal.SIGTERM),
                                           ("scip", signal.SIGINT), ("cbc", signal.SIGINT)])
def test_interrupt_exits_130_with_one_line(tmp_path: Path, solver: str,
                                           sig: signal.Signals) -> None:
    """A signal during the joint solve stops the run within 2 s on every backend (the solve
    runs in a worker process; this one waits in Python): exit 130, one line with the
    best plan so far, nothing written, no solver process left running (CBC runs as a
    program of its own) and no temporary files left behind."""
    out = tmp_path / "res"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    big = tmp_path / "big.yaml"  # its joint plan takes far longer than 3 s on any backend
    save_scenario(generate_alliance(32, 30, 3, 15, seed=0), big)
    p = subprocess.Popen([sys.executable, "-m", "procure.cli", "solve", str(big), "--solver",
                          solver, "--out", str(out)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=REPO,
                         env={**os.environ, "TMPDIR": str(tmp)})
    time.sleep(3.0)
    t0 = time.perf_counter()
    p.send_signal(sig)
    _, err = p.communicate(timeout=120)
    elapsed = time.perf_counter() - t0
    assert p.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("interrupted")
    assert "Traceback" not in err
    assert not out.exists()
    assert elapsed < 2.0 + 1.0  # 2 s, and 1 s for a busy test machine
    assert list(tmp.iterdir()) == []
    assert _processes_mentioning(str(tmp)) == []


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of running processes that contain ``text`` (Linux ``/proc``)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            line = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        if text in line:
            found.append(line)
    return found


def test_time_limit_bounds_the_command_wall_clock(tmp_path: Path) -> None:
    """--time-limit 1 on the sample alliance: three solves, all within about 1 s, and
    the command done within 3 s; each run shows its own status and no saving is
    derived from an unfinished one."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "procure.cli", "demo", "--time-limit", "1"],
                       capture_output=True, text=True, check=False, timeout=60, cwd=REPO)
    elapsed = time.perf_counter() - t0
    assert p.returncode == 0, p.stderr
    assert elapsed < 3.0 + 1.5  # the target, and start-up on a busy test machine
    assert "Savings vs going alone" not in p.stdout or "No savings shown" not in p.stdout


@pytest.mark.slow
def test_time_limit_30_on_the_80_member_model_reports_a_plan_within_33_s(
        tmp_path: Path) -> None:
    """The benchmark's 80-member procurement model (1.1 M nonzeros), --time-limit 30: a
    plan (at worst the trivial one) with its status and gap, command done within 33 s."""
    from procure.generate import generate_alliance

    path = tmp_path / "gen80.json"
    path.write_text(generate_alliance(80, 30, 4, 15, seed=0).model_dump_json())
    out = tmp_path / "res"
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "procure.cli", "solve", str(path),
                        "--time-limit", "30", "--out", str(out)],
                       capture_output=True, text=True, check=False, timeout=120, cwd=REPO)
    elapsed = time.perf_counter() - t0
    assert p.returncode == 0, p.stderr
    assert elapsed < 33.0
    assert "gap" in p.stdout
    summary = json.loads((out / "summary.json").read_text())["procurement"]
    joint = summary["joint"]
    assert joint["status"] in ("feasible", "optimal")
    assert joint["feasible_by_evaluator"] is True
    assert joint["status"] == "optimal" or joint["gap"] is not None


@pytest.fixture(scope="module")
def interpreter_start_up() -> float:
    """Seconds the bare interpreter takes to start and stop here (``python -c pass``,
    site packages included; the slowest of 5): a signal before then may reach no line
    of procure, and Python itself reports it."""
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, cwd=REPO)
        times.append(time.perf_counter() - t0)
    return max(times)


@pytest.mark.parametrize("delay", [0.02, 0.1, 0.25, 0.45, 0.75])
def test_interrupt_during_start_up_is_one_line_and_130(delay: float,
                                                       interpreter_start_up: float) -> None:
    """Ctrl-C while the command line is still importing and loading (``python -m
    procure`` is the ``procure`` command), from the first line of the package on
    (``delay`` after the interpreter's own start-up): one line, exit 130, never a
    traceback nor a half-imported module reported as an internal error."""
    p = subprocess.Popen([sys.executable, "-m", "procure", "demo"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=REPO)
    time.sleep(interpreter_start_up + delay)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("interrupted"), err


def test_a_later_command_in_the_same_process_gets_its_whole_time_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's clock starts at import for the process's first command, and at the
    command itself for every later one (an in-process test run, a tool driving the app):
    an hour after import, --time-limit 60 still leaves a solve its 60 s."""
    monkeypatch.setattr(cli, "_STARTED", time.perf_counter() - 3600)
    monkeypatch.setattr(cli, "_RUNS", 1)
    r = CliRunner().invoke(app, ["solve", str(DATASETS / "tutorial.yaml"), "--time-limit",
                                 "60", "--out", str(tmp_path / "res")])
    assert r.exit_code == 0, r.stdout + r.stderr
    summary = json.loads((tmp_path / "res" / "summary.json").read_text())
    assert summary["procurement"]["joint"]["status"] == "optimal"


def test_a_run_interrupted_during_the_baseline_has_already_written_the_joint_plan(
        tmp_path: Path) -> None:
    """The joint plan is printed and written before the comparison solves start: Ctrl-C
    during the go-alone baseline (a facility-location instance, whose go-alone model
    shares each warehouse among 80 customers' own launches) ends with exit 130 and the
    joint plan's folder in place, sealed, its comparison marked pending."""
    cflp = tmp_path / "cflp.txt"
    write_cflp(cflp, warehouses=30, customers=80, seed=3)
    scenario = tmp_path / "cflp.yaml"
    r = subprocess.run([sys.executable, "-m", "procure.cli", "import", "orlib-cflp", str(cflp),
                        "-o", str(scenario)], capture_output=True, text=True, cwd=REPO,
                       check=False)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "res"
    p = subprocess.Popen([sys.executable, "-m", "procure.cli", "solve", str(scenario),
                          "--baseline", "--out", str(out), "--time-limit", "300"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    manifest = out / "procure-result.json"
    deadline = time.perf_counter() + 120
    while not manifest.exists() and p.poll() is None and time.perf_counter() < deadline:
        time.sleep(0.05)
    assert manifest.exists(), "the joint plan was not written before the comparisons"
    time.sleep(0.5)  # well inside the go-alone solve
    p.send_signal(signal.SIGINT)
    stdout, err = p.communicate(timeout=60)
    assert p.returncode == 130, (stdout, err)
    last = err.strip().splitlines()[-1]
    assert last.startswith("interrupted during the procurement (alone") or last.startswith(
        "interrupted during the procurement (like-for-like"), last
    assert f"the joint plan was written to {out.resolve()}" in last
    assert "Launches of the joint plan" in stdout and "joint plan written to" in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["procurement"]["joint"]["status"] == "optimal"
    assert "comparison_pending" in summary["procurement"]
    assert "alone" not in summary["procurement"]
    assert (out / "purchases.csv").exists() and not (out / "alone_purchases.csv").exists()


def write_cflp(path: Path, *, warehouses: int, customers: int, seed: int) -> None:
    """A random capacitated facility-location instance in OR-Library's format (capacity,
    fixed cost per warehouse; per customer its demand and its cost from each warehouse)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    demand = rng.integers(5, 35, customers)
    # tight: the warehouses hold 1.3 times the demand, so going alone (each customer's
    # own launch) must share every warehouse among customers
    cap = np.full(warehouses, int(np.ceil(1.3 * demand.sum() / warehouses)))
    fixed = rng.integers(500, 1500, warehouses)
    lines = [f"{warehouses} {customers}"]
    lines += [f"{c} {f}" for c, f in zip(cap, fixed, strict=True)]
    for d in demand:
        lines.append(str(d))
        lines.append(" ".join(f"{x:.2f}" for x in rng.uniform(10, 200, warehouses) * d))
    path.write_text("\n".join(lines) + "\n")

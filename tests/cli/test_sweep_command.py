"""``procure sweep``: results written as cases finish, a bad spec refused, a killed
driver resumed without solving a finished case again, the same tables on Dask."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATASETS, REPO, stable

SPEC = DATASETS / "sweeps" / "tutorial_budgets.yaml"


def sweep(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "procure", "sweep", *args],
                          capture_output=True, text=True, check=False, timeout=timeout,
                          cwd=REPO)


def cases(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "cases.parquet")


def test_a_sweep_writes_one_table_of_cases_and_the_long_tables(tmp_path: Path) -> None:
    out = tmp_path / "s"
    p = sweep(str(SPEC), "--out", str(out), "--report")
    assert p.returncode == 0, p.stderr
    assert "6 cases: 6 solved" in p.stdout and "Cases against the base case" in p.stdout
    frame = cases(out)
    assert len(frame) == 6 and (frame.outcome == "solved").all() and frame.plans_checked.all()
    assert frame.savings[0] == pytest.approx(350.0)  # the tutorial's published saving
    purchases = pd.read_parquet(out / "tables" / "purchases")
    assert set(purchases.key) == set(frame.key)
    dictionary = pd.read_csv(out / "columns.csv")
    assert {"cases", "member_changes", "tables/purchases"} <= set(dictionary.table)
    assert not dictionary.unit.isna().any()
    again = sweep(str(SPEC), "--out", str(out))
    assert again.returncode == 2 and "--resume" in again.stderr


def test_a_bad_spec_is_exit_2_naming_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.read_text().replace("nrc_factor: 1.25", "nrc_factor: -1")
                   .replace("base: ../tutorial.yaml", f"base: {DATASETS / 'tutorial.yaml'}"))
    p = sweep(str(bad), "--out", str(tmp_path / "s"))
    assert p.returncode == 2, p.stderr
    assert "nrc_factor" in p.stderr and "-1" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "s").exists()


def test_kill_9_of_the_driver_then_resume_solves_only_what_is_missing(
        tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    assert sweep(str(SPEC), "--out", str(clean), "--workers", "1").returncode == 0
    out = tmp_path / "s"
    p = subprocess.Popen([sys.executable, "-m", "procure", "sweep", str(SPEC), "--out",
                          str(out), "--workers", "1"], cwd=REPO, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    results = out / "results"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(results.glob("*.json"))) < 2:
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait(30)
    done = {f.name: f.stat().st_mtime_ns for f in results.glob("*.json")}
    assert 2 <= len(done) < 6
    resumed = sweep(str(SPEC), "--out", str(out), "--resume", "--workers", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert {f.name: f.stat().st_mtime_ns for f in results.glob("*.json")
            if f.name in done} == done  # no finished case solved again
    assert len(list(results.glob("*.json"))) == 6
    pd.testing.assert_frame_equal(stable(cases(out)), stable(cases(clean)))
    assert not list(out.rglob(".*.tmp"))


def test_dask_local_cluster_gives_the_same_table(tmp_path: Path) -> None:
    local, on_dask = tmp_path / "local", tmp_path / "dask"
    assert sweep(str(SPEC), "--out", str(local)).returncode == 0
    p = sweep(str(SPEC), "--out", str(on_dask), "--dask", "local", "--workers", "2")
    assert p.returncode == 0, p.stderr
    assert "a Dask LocalCluster of 2 workers" in p.stdout  # the pool really was Dask
    pd.testing.assert_frame_equal(stable(cases(on_dask)), stable(cases(local)))
    summary = json.loads((on_dask / "procure-sweep.json").read_text())
    assert summary["format"] == "procure-sweep"


def test_ctrl_c_stops_the_cases_and_says_what_is_stored(tmp_path: Path) -> None:
    """The sample what-if sweep (cases of several seconds), Ctrl-C after the first result:
    exit 130 within 2 s, one line with the count stored and how to resume, no case
    process left running, nothing half-written."""
    out = tmp_path / "s"
    p = subprocess.Popen([sys.executable, "-m", "procure", "sweep",
                          str(DATASETS / "sweeps" / "sample_what_if.yaml"), "--out", str(out),
                          "--workers", "2"], cwd=REPO, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    results = out / "results"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list(results.glob("*.json")):
        time.sleep(0.05)
    assert len(_in_session(p.pid)) >= 3  # the driver, its fork server, case processes
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert time.monotonic() - t0 < 2.0 + 1.0
    line = err.strip().splitlines()[-1]
    stored = len(list(results.glob("*.json")))
    assert line == (f"interrupted: {stored} of 57 cases stored; run again with --resume to "
                    "finish")
    assert not list(out.rglob(".*.tmp"))
    time.sleep(0.5)
    assert _in_session(p.pid) == []  # the driver's session: every process it started


def _in_session(sid: int) -> list[int]:
    """Live processes of session ``sid`` (Linux ``/proc/<pid>/stat``, field 6)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found

"""The sweep engine on the local pool: every case solved in a process of its own, each
result stored as it arrives, failures retried once and recorded, resume by content.

Every solved case is checked twice: its plans passed the independent evaluator in the
worker (``plans_checked``), and its figures equal a direct in-process study of the same
scenario.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import SWEEP_OPTIONS as OPTIONS
from conftest import budget_cases, stable

from procure.backends.base import SolveOptions
from procure.procurement import study
from procure.schema import Scenario
from procure.sweep.cases import Case
from procure.sweep.engine import LocalPool, Progress, execute
from procure.sweep.runner import combine
from procure.sweep.store import SweepStore
from procure.sweep.worker import FAULT_ENV


@pytest.fixture
def faults_on() -> Iterator[None]:
    old = os.environ.get(FAULT_ENV)
    os.environ[FAULT_ENV] = "1"
    yield
    if old is None:
        del os.environ[FAULT_ENV]
    else:
        os.environ[FAULT_ENV] = old


def run(cases: list[Case], root: Path, **kw: Any) -> tuple[pd.DataFrame, list[Progress]]:
    seen: list[Progress] = []
    store = SweepStore.open(root, name="t", resume=True, force=False)
    pool = LocalPool(2)
    try:
        results = execute(cases, pool, store, on_progress=seen.append, **kw)
    finally:
        pool.close()
    frame, _, _ = combine(cases, results, store, 0, "EUR million")
    return frame, seen


def test_every_case_is_solved_checked_and_equal_to_a_direct_study(tmp_path: Path) -> None:
    cases = budget_cases([1.0, 0.8, 0.5])
    frame, seen = run(cases, tmp_path / "s")
    assert list(frame.outcome) == ["solved"] * 3 and frame.plans_checked.all()
    assert seen[-1].done == 3 and seen[-1].solved_here == 3 and seen[-1].failed == 0
    for c, r in zip(cases, frame.itertuples(), strict=True):
        assert c.scenario is not None
        st = study(Scenario.model_validate(c.scenario), options=OPTIONS)
        assert st.joint.evaluation is not None and st.joint.evaluation.feasible
        h = st.headline()
        assert r.joint_cost == pytest.approx(h["joint_cost"], abs=1e-6)
        assert r.alone_cost == pytest.approx(h["alone_cost"], abs=1e-6)
        assert r.joint_status == "optimal" and r.attempts == 1
    base_cost = frame.joint_cost[0]
    assert frame.joint_cost_change.tolist() == pytest.approx(
        [c - base_cost for c in frame.joint_cost])
    assert sorted(p.name for p in (tmp_path / "s" / "results").iterdir()) == sorted(
        f"{c.key}.json" for c in cases)


def test_failures_are_retried_once_recorded_and_never_touch_other_cases(
        tmp_path: Path, faults_on: None) -> None:
    """A case that raises, one whose process is killed every time, one killed once, one
    that hangs: the sweep goes on; the others' results equal a clean run's."""
    cases = budget_cases([1.0, 0.9, 0.8, 0.7, 0.6])
    clean, _ = run(cases, tmp_path / "clean")
    hung = [c if c.index != 4 else Case(**{**c.__dict__,
                                             "options": SolveOptions(time_limit=1.0)})
            for c in cases]
    frame, _ = run(hung, tmp_path / "faulty", grace=1.0,
                   faults={1: "raise", 2: "kill", 3: "kill_once", 4: "hang"})
    by = frame.set_index("case")
    assert by.outcome[0] == "solved" and by.attempts[0] == 1
    assert by.outcome[1] == "failed" and by.attempts[1] == 2
    assert by.reason[1].count("raised RuntimeError: injected fault") == 2
    assert by.outcome[2] == "failed" and "died (SIGKILL)" in by.reason[2]
    assert by.outcome[3] == "solved" and by.attempts[3] == 2
    assert by.outcome[4] == "failed" and by.reason[4].count("hung: killed after") == 2
    for i in (0, 3):  # solved: exactly the clean run's figures
        assert stable(frame).iloc[i].drop(["reason", "attempts", "key"]).equals(
            stable(clean).iloc[i].drop(["reason", "attempts", "key"]))


def test_resume_solves_only_what_is_missing(tmp_path: Path) -> None:
    cases = budget_cases([1.0, 0.8, 0.6])
    root = tmp_path / "s"
    first, _ = run(cases, root)
    kept = root / "results" / f"{cases[0].key}.json"
    stamp = kept.stat().st_mtime_ns
    (root / "results" / f"{cases[1].key}.json").unlink()  # as if killed before it landed
    again, seen = run(cases, root)
    assert seen[-1].solved_here == 1 and kept.stat().st_mtime_ns == stamp
    pd.testing.assert_frame_equal(stable(first), stable(again))


def test_an_invalid_case_is_a_named_failure_never_run(tmp_path: Path) -> None:
    cases = budget_cases([1.0])
    bad = Case(index=1, name="ZZ leaves", labels={"budget": "?"}, scenario=None,
               error="member_leaves: no member 'ZZ'", solver="highs", options=OPTIONS,
               key="bad")
    frame, seen = run([*cases, bad], tmp_path / "s")
    assert list(frame.outcome) == ["solved", "invalid"]
    assert frame.reason[1] == "member_leaves: no member 'ZZ'"
    assert seen[-1].solved_here == 1

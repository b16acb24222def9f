"""The per-nation view (``procure/sharing/view.py`` and ``procure share``): every rule's
shares sum to c(N), the table agrees with the rules on the explicit table of coalition
values, and beyond 12 members the Shapley value is sampled with its error."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import DATASETS, REPO

from procure.backends.base import SolveOptions
from procure.generate import generate_alliance
from procure.io import load_scenario
from procure.sharing.view import share_alliance
from procure.sweep.engine import LocalPool

OPTIONS = SolveOptions(time_limit=60.0, threads=1)


def test_the_tutorial_shares() -> None:
    pool = LocalPool(2)
    try:
        view = share_alliance(load_scenario(DATASETS / "tutorial.yaml"), options=OPTIONS,
                              pool=pool)
    finally:
        pool.close()
    t = view.table
    assert list(t.member) == ["A", "B", "C"]
    assert view.grand_cost == pytest.approx(1295.0)  # the tutorial's joint optimum
    for rule in ("shapley", "nucleolus", "least_core", "scrb", "gdp_key", "equal"):
        assert t[rule].sum() == pytest.approx(view.grand_cost, rel=1e-9), rule
    assert view.analysis is not None
    assert t.shapley.to_numpy() == pytest.approx(view.analysis.shapley, abs=1e-9)
    assert all(c.exact and c.plans_checked for c in view.game.solved().values())
    assert (t.rational_shapley == "yes").all() and (t.saving_shapley > 0).all()
    assert view.shapley_in_core == "yes" and view.analysis.shapley_check.in_core
    assert t.attrs["units"]["shapley"] == "EUR million"
    assert t.gdp_share.sum() == pytest.approx(100.0) and t.cost_share.sum() == pytest.approx(100.0)
    # free-rider index: share of the saving over share of the cost
    saving = t.saving_shapley / t.saving_shapley.sum()
    assert t.free_rider_index.to_numpy() == pytest.approx(
        (saving / (t.shapley / view.grand_cost)).to_numpy())


def test_beyond_twelve_members_shapley_is_sampled() -> None:
    s = generate_alliance(13, 2, 1, 3, seed=4)
    view = share_alliance(s, options=OPTIONS, samples=4, seed=2)
    t = view.table
    assert len(t) == 13 and t.nucleolus.isna().all() and t.least_core.isna().all()
    assert t.shapley.sum() == pytest.approx(view.grand_cost, rel=1e-9)
    assert (t.shapley_std_error >= 0).all()
    assert t.scrb.sum() == pytest.approx(view.grand_cost, rel=1e-9)
    assert any("separation MILP" in n for n in view.notes)
    assert all(c.plans_checked for c in view.game.solved().values())


def test_procure_share_json_and_bad_input() -> None:
    p = subprocess.run([sys.executable, "-m", "procure", "share",
                        str(DATASETS / "tutorial.yaml"), "--json", "--workers", "2"],
                       capture_output=True, text=True, check=False, timeout=300, cwd=REPO)
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert [r["member"] for r in rows] == ["A", "B", "C"]
    assert sum(r["shapley"] for r in rows) == pytest.approx(1295.0)
    assert np.isfinite([r["nucleolus"] for r in rows]).all()
    bad = subprocess.run([sys.executable, "-m", "procure", "share", str(REPO / "nope.yaml")],
                         capture_output=True, text=True, check=False, timeout=60, cwd=REPO)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_a_coalition_stopped_at_a_gap_makes_verdicts_near_it_undecided() -> None:
    """A's stand-alone cost known only within [bound, incumbent] around its Shapley
    share: A's individual rationality is undecided, never a verdict; far from it, a
    verdict stands."""
    from dataclasses import replace as dc_replace

    from procure.sharing.alliance import AllianceGame
    from procure.sharing.view import _verdict

    s = load_scenario(DATASETS / "tutorial.yaml")
    game = AllianceGame(s, options=OPTIONS)
    exact = game.cost_of(1)
    assert exact.cost is not None
    game._cache[1] = dc_replace(exact, status="feasible", bound=300.0)  # a gap below 690
    lo, hi = game.cost_of(1).interval
    assert (lo, hi) == (300.0, exact.cost)
    assert _verdict(375 - hi, 375 - lo, 1e-6) == "undecided"
    assert _verdict(200 - hi, 200 - lo, 1e-6) == "yes"
    assert _verdict(700 - hi, 700 - lo, 1e-6) == "no"

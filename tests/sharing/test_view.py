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
    for rule in ("shapley", "nucleolus", "least_core", "scrb", "gdp_key", "units_key",
                 "equal", "allocated"):
        assert t[rule].sum() == pytest.approx(view.grand_cost, rel=1e-9), rule
    assert view.analysis is not None
    assert t.shapley.to_numpy() == pytest.approx(view.analysis.shapley, abs=1e-9)
    assert all(c.exact and c.plans_checked for c in view.game.solved().values())
    assert (t.rule == "shapley").all() and t.allocated.equals(t.shapley)
    assert (t.rational == "yes").all() and (t.saving > 0).all()
    assert view.in_core == "yes" and view.analysis.shapley_check.in_core
    assert view.core_nonempty == "yes" and view.uncertainty == 0
    assert (t.blocking_coalition == "").all() and (t.blocking_saving == 0).all()
    assert t.attrs["units"]["shapley"] == "EUR million"
    assert t.gdp_share.sum() == pytest.approx(100.0) and t.cost_share.sum() == pytest.approx(100.0)
    # free-rider index: share of the saving over share of the cost
    saving = t.saving / t.saving.sum()
    assert t.free_rider_index.to_numpy() == pytest.approx(
        (saving / (t.shapley / view.grand_cost)).to_numpy())


def test_beyond_twelve_members_shapley_is_sampled_and_the_milp_separates() -> None:
    """13 members: Shapley by sampling (with its error), the nucleolus, the least core
    and every core check by the separation MILP, each allocation efficient."""
    s = generate_alliance(13, 2, 1, 3, seed=4)
    view = share_alliance(s, options=OPTIONS, samples=4, seed=2, rule="nucleolus")
    t = view.table
    assert len(t) == 13 and t.nucleolus.notna().all() and t.least_core.notna().all()
    for rule in ("shapley", "nucleolus", "least_core", "scrb", "allocated"):
        assert t[rule].sum() == pytest.approx(view.grand_cost, rel=1e-9), rule
    assert (t.shapley_std_error >= 0).all()
    assert view.game.separation_solves > 0 and view.uncertainty == 0
    assert any("separation MILP" in n for n in view.notes)
    assert all(c.plans_checked for c in view.game.solved().values())
    # the nucleolus is in the core whenever the core is non-empty
    if view.core_nonempty == "yes":
        assert view.in_core == "yes" and (t.rational == "yes").all()
    # far fewer coalitions solved than the 8 191 of the whole table
    assert len(view.game.solved()) < 1000


def test_the_payment_schedule_adds_up_and_flags_budgets() -> None:
    """Each member's yearly payments sum to its allocated share; the transfers of a
    year sum to c(N) minus the joint plan's cost, spread like the alliance's spending;
    a year is over budget exactly when the payment exceeds the budget."""
    s = generate_alliance(4, 3, 2, 5, seed=2)  # budgets in every year
    flagged = 0
    for rule in ("equal", "gdp", "shapley"):
        view = share_alliance(s, options=OPTIONS, rule=rule)
        sch, t = view.schedule, view.table
        paid = sch.groupby("member", sort=False).payment.sum()
        assert paid.to_numpy() == pytest.approx(t.allocated.to_numpy(), rel=1e-9)
        joint = sch.joint_bill.sum()
        assert sch.transfer.sum() == pytest.approx(view.grand_cost - joint, abs=1e-6)
        has = sch.budget.notna()
        assert ((sch.over_budget[has] == "yes") == (sch.payment[has] > sch.budget[has]
                                                    * (1 + 1e-6) + 1e-6)).all()
        assert sch.over_budget[~has].isna().all()
        assert sch.attrs["units"]["payment"] == s.currency
        flagged += int((sch.over_budget == "yes").sum())
        if rule == "equal":  # equal shares overload the smaller members' budgets
            assert view.in_core == "no" and view.blocking and view.blocking_saving > 0
    assert flagged > 0


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

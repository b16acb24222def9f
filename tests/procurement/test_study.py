"""The study's findings: only from finished runs, per member like for like, per
capability in the capability's own unit."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import REPO, solve_checked
from rich.console import Console

from procure.backends import Status, Stop
from procure.io import load_scenario
from procure.procurement.study import Study, study
from procure.report.console import print_study
from procure.schema import Scenario


def test_no_finding_from_an_unfinished_run(tutorial: Scenario) -> None:
    """A go-alone run stopped at its limit: its plan and status are shown, but no
    savings, extra units or member savings are derived from it."""
    joint = solve_checked(tutorial)
    alone = solve_checked(tutorial, mode="alone")
    stopped = replace(alone, status=Status.FEASIBLE, stopped_by=Stop.TIME, gap=0.25,
                      bound=0.75 * (alone.objective or 0.0))
    st = Study(tutorial, joint, stopped)
    assert not st.findings_ready
    assert st.savings is None and st.extra_units is None and st.extra_cost is None
    assert st.member_costs().empty
    assert st.unfinished == ["go-alone: feasible, stopped by time, gap 25 %"]
    con = Console(record=True, width=100)
    print_study(st, con)
    text = con.export_text()
    assert "No savings shown" in text and "go-alone: feasible, stopped by time" in text
    assert "Savings vs going alone" not in text
    finished = Study(tutorial, joint, alone)
    assert finished.findings_ready and finished.savings == pytest.approx(350.0)


def test_sample_alliance_like_for_like_per_member_and_capability() -> None:
    """The sample alliance: going alone leaves 70 requirements short, so savings are like
    for like; every member's saving is against its like-for-like joint cost, and no
    percentage is given where the member pays nothing alone."""
    s = load_scenario(REPO / "datasets" / "sample_alliance.yaml")
    st = study(s)
    assert st.findings_ready and st.level is not None
    mc = st.member_costs().set_index("member")
    assert (mc.saving == mc.cost_alone - mc.cost_joint_like_for_like).all()
    assert (mc.cost_of_extra_units == mc.cost_joint - mc.cost_joint_like_for_like).all()
    assert mc.loc[mc.cost_alone == 0, "saving_pct"].isna().all()
    assert mc.cost_joint_like_for_like.sum() == pytest.approx(
        st.like_for_like.metrics["total_cost"], rel=1e-9)
    assert st.savings == pytest.approx(mc.saving.sum(), rel=1e-9)
    sf = st.shortfall_by_capability().set_index("capability")
    assert (sf.short_joint_like_for_like == sf.short_alone).all()  # like for like
    assert (sf.short_joint == 0).all()
    units = {c.id: c.unit for c in s.capabilities}
    assert sf.unit.to_dict() == units

"""The study's findings: only from finished runs, per member like for like, per
capability in the capability's own unit."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import REPO, solve_checked
from rich.console import Console

from procure.backends import SolveOptions, Status, Stop
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
    # like for like: at least what going alone delivers (a joiner's least purchase (6b)
    # may add a thousandth of a requirement)
    assert (sf.short_joint_like_for_like <= sf.short_alone + 1e-9).all()
    assert sf.short_joint_like_for_like.to_numpy() == pytest.approx(
        sf.short_alone.to_numpy(), abs=1e-3 * float(max(
            r.quantity for r in s.requirements)))
    assert (sf.short_joint == 0).all()
    units = {c.id: c.unit for c in s.capabilities}
    assert sf.unit.to_dict() == units


def test_the_joint_plan_comes_first_and_the_baseline_is_optional(tutorial: Scenario) -> None:
    """``on_joint`` sees the joint plan before any comparison solve starts; without a
    baseline the study holds the joint plan alone and says why, and derives nothing."""
    from procure.backends import get_backend

    order: list[str] = []
    highs = get_backend("highs")

    class Recording:  # the run's backend, recording which model each solve is
        name, capabilities = highs.name, highs.capabilities

        def __getattr__(self, attr: str) -> object:
            return getattr(highs, attr)

        def solve(self, model, options, start=None, target=None):  # type: ignore[no-untyped-def]
            order.append(model.name)
            return highs.solve(model, options, start=start, target=target)

    def seen(joint) -> None:  # type: ignore[no-untyped-def]
        assert joint.status == Status.OPTIMAL and joint.evaluation.feasible
        order.append("on_joint")

    st = study(tutorial, solver=Recording(), on_joint=seen)  # type: ignore[arg-type]
    first = order.index("on_joint")
    assert all(n.endswith("-joint") for n in order[:first])
    assert any(n.endswith("-alone") for n in order[first:])
    assert st.alone is not None and st.findings_ready  # findings: every run evaluator-clean

    bare = study(tutorial, baseline=False)
    assert bare.joint.evaluation is not None and bare.joint.evaluation.feasible
    assert bare.alone is None and bare.level is None and bare.skipped == "not asked for"
    assert not bare.findings_ready and bare.savings is None
    assert bare.unfinished == ["go-alone: not run (not asked for)"]
    h = bare.headline()
    assert h["alone_status"] == "not run" and h["savings"] is None
    assert bare.joint.objective == pytest.approx(st.joint.objective, rel=1e-9)
    con = Console(record=True, width=100)
    print_study(bare, con)
    text = con.export_text()
    assert "No comparison with going alone: not asked for." in text
    assert "Launches of the joint plan" in text


def test_a_facility_location_instance_has_no_baseline_unless_asked() -> None:
    """An imported CFLP's members are customers: no go-alone solve by default, and the
    scenario says where it came from."""
    from conftest import orlib_dir

    from procure.orlib import import_cflp

    s = import_cflp(orlib_dir() / "cap41.txt")
    assert s.origin == "facility-location"
    st = study(s)
    assert st.alone is None and "facility-location" in st.skipped
    assert st.joint.status == Status.OPTIMAL
    assert st.joint.objective == pytest.approx(1040444.375, rel=1e-6)  # published optimum
    assert st.joint.evaluation is not None and st.joint.evaluation.feasible
    asked = study(s, baseline=True)
    assert asked.alone is not None and asked.alone.has_plan
    assert asked.alone.evaluation is not None and asked.alone.evaluation.feasible


def test_the_comparisons_get_their_share_of_the_time_and_no_more() -> None:
    """Half of the run's limit at most (and what the joint plan left); without a limit,
    max(60 s, twice the joint solve)."""
    from procure.procurement.study import comparison_budget
    from procure.run.model import Budget

    assert comparison_budget(Budget(100.0), 1.0).seconds == pytest.approx(50.0, abs=0.01)
    assert comparison_budget(Budget(100.0), 1.0, share=0.2).seconds == pytest.approx(
        20.0, abs=0.01)
    assert comparison_budget(Budget(None), 10.0).seconds == 60.0
    assert comparison_budget(Budget(None), 45.0).seconds == 90.0
    spent = Budget(10.0)
    spent.t0 -= 9.0  # 9 of 10 s used by the joint plan: 1 s is all that is left
    assert comparison_budget(spent, 9.0).seconds == pytest.approx(1.0, abs=0.05)


def test_a_comparison_stopped_at_its_limit_claims_no_saving() -> None:
    """The baseline given (almost) no time: its status says so, no saving is derived."""
    s = load_scenario(REPO / "datasets" / "sample_alliance.yaml")
    st = study(s, comparison_share=1e-6, options=SolveOptions(time_limit=300.0))
    assert st.joint.status == Status.OPTIMAL
    assert st.joint.evaluation is not None and st.joint.evaluation.feasible
    assert not st.findings_ready and st.savings is None
    assert any(line.startswith(("go-alone", "joint like for like")) for line in st.unfinished)

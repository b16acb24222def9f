"""The tutorial's hand-derived optimum (datasets/README.md) on every backend."""

from __future__ import annotations

import pytest
from conftest import ALL_BACKENDS, solve_checked

from procure.procurement.study import Study
from procure.schema import Scenario

# derived by hand in datasets/README.md
JOINT, ALONE = 1295.0, 1645.0
JOINT_UNITS = {("MRTT", "A"): 2, ("MRTT", "B"): 1, ("MRTT", "C"): 1, ("A-DRONE", "A"): 3,
               ("B-DRONE", "B"): 2, ("ASAP", "A"): 10, ("ASAP", "B"): 10, ("C-AMMO", "C"): 5}
MEMBER_JOINT = {"A": 635.0, "B": 430.0, "C": 230.0}
MEMBER_ALONE = {"A": 690.0, "B": 590.0, "C": 365.0}


@pytest.mark.parametrize("solver", ALL_BACKENDS)
def test_tutorial_optimum(tutorial: Scenario, solver: str) -> None:
    joint = solve_checked(tutorial, solver=solver)
    alone = solve_checked(tutorial, mode="alone", solver=solver)
    assert str(joint.status) == str(alone.status) == "optimal"
    assert joint.metrics["total_cost"] == pytest.approx(JOINT, rel=1e-9)
    assert alone.metrics["total_cost"] == pytest.approx(ALONE, rel=1e-9)
    units = joint.tables["purchases"].groupby(["launch", "member"])["quantity"].sum()
    assert {k: int(v) for k, v in units.items()} == JOINT_UNITS
    st = Study(tutorial, joint, alone)
    assert st.savings == pytest.approx(350.0)
    mc = st.member_costs().set_index("member")
    assert mc["cost_joint"].to_dict() == pytest.approx(MEMBER_JOINT)
    assert mc["cost_alone"].to_dict() == pytest.approx(MEMBER_ALONE)
    dup = st.duplication().set_index("capability")
    assert dup["launches_alone"].to_dict() == {"tanker": 3, "drone": 2, "ammo": 3}
    assert dup["launches_joint"].to_dict() == {"tanker": 1, "drone": 2, "ammo": 2}
    assert dup["nrc_beyond_dearest_alone"].sum() == pytest.approx(480.0)
    assert dup["nrc_beyond_dearest_joint"].sum() == pytest.approx(130.0)
    # going alone meets every requirement here: like for like is the joint plan itself
    assert mc["cost_joint_like_for_like"].to_dict() == pytest.approx(MEMBER_JOINT)
    assert mc["saving"].to_dict() == pytest.approx(
        {m: MEMBER_ALONE[m] - MEMBER_JOINT[m] for m in MEMBER_JOINT})
    assert (mc["cost_of_extra_units"] == 0).all()
    sf = st.shortfall_by_capability().set_index("capability")
    assert (sf[["short_alone", "short_joint_like_for_like", "short_joint"]] == 0).all().all()
    assert sf["unit"].to_dict() == {"tanker": "aircraft", "drone": "system",
                                    "ammo": "thousand rounds"}


def test_tutorial_nrc_shares(tutorial: Scenario) -> None:
    """Proportional rule: MRTT's 300 split 2:1:1, ASAP's 50 split 10:10."""
    res = solve_checked(tutorial)
    assert res.evaluation is not None
    sh = res.evaluation.shares
    assert sh[("MRTT", "A")] == pytest.approx(0.5)
    assert sh[("MRTT", "C")] == pytest.approx(0.25)
    assert sh[("ASAP", "B")] == pytest.approx(0.5)
    pay = res.tables["payments"]
    nrc_2026 = pay[pay.year == 2026].set_index("member")["nrc_payments"].to_dict()
    assert nrc_2026 == pytest.approx({"A": 150 + 25 + 100, "B": 75 + 25 + 120, "C": 75 + 30})


def test_strict_tutorial_is_still_feasible(tutorial: Scenario) -> None:
    res = solve_checked(tutorial, strict=True)
    assert res.metrics["total_cost"] == pytest.approx(JOINT)

"""Exact cost-share rules (the evaluator's), and the model's shares against them."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from procure.procurement.shares import nrc_shares, water_fill
from procure.schema import CostShare


def test_nato_style_cap() -> None:
    # US, DE, FR keys 29, 4.5, 3 with the US capped at DE's share
    sh = water_fill([29.0, 4.5, 3.0], [0.45, 1.0, 1.0], [0.0, 0.0, 0.0])
    assert sh is not None
    assert sh[0] == pytest.approx(0.45)
    assert sh[1] / sh[2] == pytest.approx(4.5 / 3.0)
    assert sum(sh) == pytest.approx(1.0)


def test_no_split_when_caps_too_low_or_floors_too_high() -> None:
    assert water_fill([1, 1], [0.4, 0.4], [0, 0]) is None
    assert water_fill([1, 1], [1, 1], [0.6, 0.6]) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(0.01, 100), st.floats(0, 1), st.floats(0, 1)),
                min_size=1, max_size=8))
def test_water_fill_properties(items: list[tuple[float, float, float]]) -> None:
    keys = [k for k, _, _ in items]
    caps = [max(a, b) for _, a, b in items]
    floors = [min(a, b) for _, a, b in items]
    assume(sum(caps) >= 1.0 + 1e-9 and sum(floors) <= 1.0 - 1e-9)
    sh = water_fill(keys, caps, floors)
    assert sh is not None
    assert sum(sh) == pytest.approx(1.0, abs=1e-9)
    for s, c, f in zip(sh, caps, floors, strict=True):
        assert f - 1e-9 <= s <= c + 1e-9
    # members strictly inside their band are proportional to their keys
    inside = [(s / k) for s, k, c, f in zip(sh, keys, caps, floors, strict=True)
              if f + 1e-7 < s < c - 1e-7]
    if len(inside) > 1:
        assert max(inside) == pytest.approx(min(inside), rel=1e-6)


def test_rules() -> None:
    units = {"A": 3.0, "B": 1.0}
    gdp = {"A": 10.0, "B": 30.0}
    assert nrc_shares(CostShare(), ["A", "B"], units, gdp) == {"A": 0.75, "B": 0.25}
    assert nrc_shares(CostShare(rule="equal"), ["A", "B"], units, gdp) == {"A": 0.5, "B": 0.5}
    key = nrc_shares(CostShare(rule="key"), ["A", "B"], units, gdp)
    assert key == pytest.approx({"A": 0.25, "B": 0.75})
    explicit = nrc_shares(CostShare(rule="key", key={"A": 1.0, "B": 4.0}), ["A", "B"], units, gdp)
    assert explicit == pytest.approx({"A": 0.2, "B": 0.8})
    assert nrc_shares(CostShare(), [], units, gdp) is None

"""The written movement model and the code agree on the per-mode defaults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from procure.schema.logistics import DEFAULT_MODES

DOC = Path(__file__).resolve().parents[2] / "models" / "logistics.md"


def mode_table() -> dict[str, tuple[float, float, int]]:
    """Rows of the table in section 3 of models/logistics.md: mode -> (speed, cost, days)."""
    text = DOC.read_text()
    header = re.search(r"^\| mode \| speed km/day \| cost per ton-km \(EUR million\) \| "
                       r"min transit days \|$", text, re.MULTILINE)
    assert header, "the per-mode table (with the unit of its cost column) is missing"
    rows: dict[str, tuple[float, float, int]] = {}
    for line in text[header.end():].splitlines()[2:]:
        if not line.startswith("|"):
            break
        mode, speed, cost, days = (c.strip() for c in line.strip("|").split("|"))
        rows[mode] = (float(speed), float(cost), int(days))
    return rows


def test_document_table_equals_the_code_defaults() -> None:
    table = mode_table()
    assert set(table) == set(DEFAULT_MODES)
    for mode, md in DEFAULT_MODES.items():
        speed, cost, days = table[mode]
        assert speed == pytest.approx(md.speed_km_per_day, rel=1e-12), mode
        assert cost == pytest.approx(md.cost_per_ton_km, rel=1e-12), mode
        assert days == md.min_transit_days, mode


def test_scenario_currency_default_is_the_unit_of_the_table() -> None:
    from procure.schema.scenario import Scenario

    assert Scenario.model_fields["currency"].default == "EUR million"

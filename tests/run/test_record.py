"""The run record's summary: its JSON Schema on disk, and units on every table column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from procure.run.record import run_summary_schema_text
from procure.run.tables import Column, TableSpec, dictionary

REPO = Path(__file__).resolve().parents[2]


def test_run_record_schema_file_in_sync() -> None:
    on_disk = (REPO / "models" / "run_record.schema.json").read_text()
    assert on_disk == run_summary_schema_text(), (
        "models/run_record.schema.json is stale: run python -m procure.schema.export")


def test_table_spec_refuses_undeclared_columns_and_fills_units() -> None:
    spec = TableSpec("t", "a row", (Column("a", "{currency}", "money"),
                                    Column("b", "t", "mass")))
    df = spec.frame(pd.DataFrame({"a": [1.0], "b": [2.0]}), "EUR million")
    assert df.attrs["units"] == {"a": "EUR million", "b": "t"}
    with pytest.raises(ValueError, match="declared"):
        spec.frame(pd.DataFrame({"a": [1.0]}), "EUR")
    d = dictionary({"t": df})
    assert d.to_dict("records") == [
        {"table": "t", "column": "a", "unit": "EUR million", "meaning": "money"},
        {"table": "t", "column": "b", "unit": "t", "meaning": "mass"}]
    assert list(spec.frame(None, "EUR").columns) == ["a", "b"]

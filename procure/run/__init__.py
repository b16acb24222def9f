"""The run pipeline: one skeleton (pipeline.py), one record (record.py), and the
interface a model plugs in (model.py); tables with units (tables.py)."""

from procure.run.model import Budget, Context, RunModel, Start
from procure.run.pipeline import RunInterrupted, run, with_start
from procure.run.record import RunRecord, RunSummary, run_summary_json_schema
from procure.run.tables import Column, TableSpec, dictionary

__all__ = [
    "Budget",
    "Column",
    "Context",
    "RunInterrupted",
    "RunModel",
    "RunRecord",
    "RunSummary",
    "Start",
    "TableSpec",
    "dictionary",
    "run",
    "run_summary_json_schema",
    "with_start",
]

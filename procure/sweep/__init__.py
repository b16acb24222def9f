"""Scenario sweeps: many what-ifs of one base scenario, each solved in isolation."""

from procure.schema.sweep import Edit, SweepSpec, load_sweep
from procure.sweep.cases import Case, case_key, expand
from procure.sweep.edits import EditError, apply_edits

__all__ = [
    "Case",
    "Edit",
    "EditError",
    "SweepSpec",
    "apply_edits",
    "case_key",
    "expand",
    "load_sweep",
]

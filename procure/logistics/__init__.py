"""Coalition logistics: the time-expanded movement model (``models/logistics.md``)."""

from procure.logistics.evaluate import MovementEvaluation, evaluate_movements
from procure.logistics.plan import MovementPlan
from procure.logistics.solve import (
    MovementResult,
    RelaxationResult,
    relax_movements,
    solve_movements,
)

__all__ = [
    "MovementEvaluation",
    "MovementPlan",
    "MovementResult",
    "RelaxationResult",
    "evaluate_movements",
    "relax_movements",
    "solve_movements",
]

"""Coalition logistics: the time-expanded movement model (``models/logistics.md``):
compile -> formulation -> [start] -> solve -> plan, evaluate, result."""

from procure.logistics.evaluate import MovementEvaluation, evaluate
from procure.logistics.plan import MovementPlan
from procure.logistics.solve import (
    MovementModel,
    MovementRecord,
    RelaxationResult,
    relax,
    solve,
)

__all__ = [
    "MovementEvaluation",
    "MovementModel",
    "MovementPlan",
    "MovementRecord",
    "RelaxationResult",
    "evaluate",
    "relax",
    "solve",
]

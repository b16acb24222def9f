"""The joint procurement model: compile -> formulation -> [start] -> solve -> plan,
evaluate, result; ``study`` compares the joint plan with going alone."""

from procure.common import Violation
from procure.procurement.evaluate import Evaluation, evaluate
from procure.procurement.formulation import FormulationOptions
from procure.procurement.plan import Launch, Plan, Purchase
from procure.procurement.solve import ProcurementModel, ProcurementRecord, solve
from procure.procurement.study import Study, study

__all__ = [
    "Evaluation",
    "FormulationOptions",
    "Launch",
    "Plan",
    "ProcurementModel",
    "ProcurementRecord",
    "Purchase",
    "Study",
    "Violation",
    "evaluate",
    "solve",
    "study",
]

"""The joint procurement model: compile -> formulate -> solve -> plan, evaluate, compare."""

from procure.common import Violation
from procure.procurement.evaluate import Evaluation, evaluate
from procure.procurement.formulation import FormulationOptions
from procure.procurement.metrics import Study, study
from procure.procurement.plan import Launch, Plan, Purchase
from procure.procurement.result import ProcurementResult
from procure.procurement.solve import solve

__all__ = [
    "Evaluation",
    "FormulationOptions",
    "Launch",
    "Plan",
    "ProcurementResult",
    "Purchase",
    "Study",
    "Violation",
    "evaluate",
    "solve",
    "study",
]

"""procure: joint procurement planning for multinational alliances.

Typical use::

    from procure import load_scenario, study
    st = study(load_scenario("datasets/tutorial.yaml"))
    print(st.headline())
"""

from procure.backends import SolveOptions, Status, available_backends
from procure.errors import ProcureError, ScenarioError, SolverUnavailableError
from procure.io import load_scenario, save_scenario
from procure.orlib import import_cflp
from procure.procurement import (
    Evaluation,
    FormulationOptions,
    Plan,
    Study,
    evaluate,
    solve,
    study,
)
from procure.run import RunRecord, run
from procure.schema import Scenario

__version__ = "0.1.0"

__all__ = [
    "Evaluation",
    "FormulationOptions",
    "Plan",
    "ProcureError",
    "RunRecord",
    "Scenario",
    "ScenarioError",
    "SolveOptions",
    "SolverUnavailableError",
    "Status",
    "Study",
    "__version__",
    "available_backends",
    "evaluate",
    "import_cflp",
    "load_scenario",
    "run",
    "save_scenario",
    "solve",
    "study",
]

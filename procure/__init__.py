"""procure: joint procurement planning for multinational alliances.

Typical use::

    from procure import load_scenario, study
    st = study(load_scenario("datasets/tutorial.yaml"))
    print(st.headline())
"""

import os as _os
import sys as _sys

_ORIG = list(getattr(_sys, "orig_argv", ()))
if (_ORIG[_ORIG.index("-m") + 1:][:1] == ["procure"] if "-m" in _ORIG else False) or (
        _os.path.basename((getattr(_sys, "argv", None) or [""])[0])
        in ("procure", "procure.exe")):
    # the command line is starting (``python -m procure`` or the ``procure`` script): a
    # Ctrl-C from this instant is its one-line interrupt, not a traceback from the
    # imports below (procure/startup.py)
    from procure.startup import start_up_signals

    start_up_signals()

from importlib import import_module  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

if TYPE_CHECKING:
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

# what each public name is imported from: loaded on first use (PEP 562), so that
# ``import procure`` and the command line's start-up stay fast
_FROM = {
    "SolveOptions": "procure.backends", "Status": "procure.backends",
    "available_backends": "procure.backends",
    "ProcureError": "procure.errors", "ScenarioError": "procure.errors",
    "SolverUnavailableError": "procure.errors",
    "load_scenario": "procure.io", "save_scenario": "procure.io",
    "import_cflp": "procure.orlib",
    "Evaluation": "procure.procurement", "FormulationOptions": "procure.procurement",
    "Plan": "procure.procurement", "Study": "procure.procurement",
    "evaluate": "procure.procurement", "solve": "procure.procurement",
    "study": "procure.procurement",
    "RunRecord": "procure.run", "run": "procure.run",
    "Scenario": "procure.schema",
}


def __getattr__(name: str) -> Any:
    if name in _FROM:
        value = getattr(import_module(_FROM[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'procure' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_FROM})


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

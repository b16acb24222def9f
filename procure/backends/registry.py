"""Lazy discovery of backends by name; a missing optional solver is skipped, not an error.

Import order matters on this stack: ``import pulp`` loads highspy's extension with
RTLD_GLOBAL, and OR-Tools imported after it then binds the wrong HiGHS symbols.
:func:`get_backend` therefore imports OR-Tools (when installed) before PuLP.
"""

from __future__ import annotations

import contextlib
import importlib

from procure.backends.base import BACKEND_NAMES, Backend
from procure.errors import SolverUnavailableError

_BACKENDS: dict[str, tuple[str, str]] = {
    "highs": ("procure.backends.highs", "HighsBackend"),
    "scip": ("procure.backends.ortools", "ScipBackend"),
    "cpsat": ("procure.backends.ortools", "CpSatBackend"),
    "cbc": ("procure.backends.pulp", "CbcBackend"),
}

DEFAULT_BACKEND = "highs"
assert tuple(_BACKENDS) == BACKEND_NAMES  # one list of names (base.py keeps the namespaces)


def backend_names() -> list[str]:
    """Every backend this package knows, available or not."""
    return list(_BACKENDS)


def _load(name: str) -> type[Backend] | None:
    if name not in _BACKENDS:
        raise SolverUnavailableError(
            f"unknown solver {name!r}; choose one of {', '.join(_BACKENDS)}"
        )
    if name == "cbc":
        with contextlib.suppress(ImportError):  # OR-Tools before PuLP (module docstring)
            importlib.import_module("ortools.linear_solver.pywraplp")
    module_name, cls_name = _BACKENDS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    cls: type[Backend] = getattr(module, cls_name)
    return cls if cls.available() else None


def available_backends() -> list[str]:
    """Names of the backends whose solver is installed here."""
    return [n for n in _BACKENDS if _load(n) is not None]


def get_backend(name: str = DEFAULT_BACKEND) -> Backend:
    """An instance of backend ``name``; raises :class:`SolverUnavailableError` if missing."""
    cls = _load(name)
    if cls is None:
        raise SolverUnavailableError(f"solver {name!r} is not installed")
    return cls()


def pick_backend(capability: str, prefer: str | None = None) -> Backend | None:
    """A backend that has ``capability`` (a field of :class:`Capabilities`, e.g.
    ``"duals"``): ``prefer`` when it has it, else the first installed one in registry
    order; ``None`` when no installed backend has it. Model code asks here for what it
    needs (duals for shadow prices, a warm LP for a dive) instead of naming a solver."""
    order = ([prefer] if prefer in _BACKENDS else []) + [n for n in _BACKENDS if n != prefer]
    for name in order:
        cls = _load(name)
        if cls is not None and getattr(cls.capabilities, capability):
            return cls()
    return None

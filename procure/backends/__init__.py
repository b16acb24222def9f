"""Solver backends behind one narrow interface (see :mod:`procure.backends.base`).

This package is the only place that imports a solver (highspy, OR-Tools, PuLP)."""

from procure.backends.base import (
    Backend,
    Capabilities,
    Iis,
    LpSession,
    Sensitivity,
    Side,
    SolveOptions,
    SolveOutcome,
    Status,
    Stop,
    failure,
    relative_gap,
)
from procure.backends.registry import (
    DEFAULT_BACKEND,
    available_backends,
    backend_names,
    get_backend,
    pick_backend,
)

__all__ = [
    "DEFAULT_BACKEND",
    "Backend",
    "Capabilities",
    "Iis",
    "LpSession",
    "Sensitivity",
    "Side",
    "SolveOptions",
    "SolveOutcome",
    "Status",
    "Stop",
    "available_backends",
    "backend_names",
    "failure",
    "get_backend",
    "pick_backend",
    "relative_gap",
]

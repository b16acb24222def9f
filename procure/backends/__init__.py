"""Solver backends behind one narrow interface (see :mod:`procure.backends.base`)."""

from procure.backends.base import Backend, Capabilities, SolveOptions, SolveOutcome, Status
from procure.backends.registry import (
    DEFAULT_BACKEND,
    available_backends,
    backend_names,
    get_backend,
)

__all__ = [
    "DEFAULT_BACKEND",
    "Backend",
    "Capabilities",
    "SolveOptions",
    "SolveOutcome",
    "Status",
    "available_backends",
    "backend_names",
    "get_backend",
]

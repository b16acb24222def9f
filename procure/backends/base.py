"""The solver seam: one small interface every backend implements.

A backend takes a finalized :class:`~procure.lp.ModelArrays` and
:class:`SolveOptions` and returns a :class:`SolveOutcome` whose ``status`` uses
the same words for every solver:

- ``optimal``    proven optimal within the requested relative MIP gap;
- ``feasible``   a limit was reached with an incumbent: objective, bound and gap reported;
- ``limit``      a limit was reached before any feasible solution was found;
- ``infeasible`` proven infeasible;
- ``unbounded``  proven unbounded;
- ``error``      the solver failed (message says why).

Backends never claim ``optimal`` after a time limit.
"""

from __future__ import annotations

import importlib
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import metadata
from typing import Any

import numpy as np

from procure.lp.model import FloatArray, ModelArrays


class Status(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    LIMIT = "limit"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


@dataclass(frozen=True)
class SolveOptions:
    """Options every backend honours (``extra`` carries solver-specific settings).

    ``start`` is a MIP start: one value per model column, a (near-)feasible solution
    the solver may begin from. Backends whose :class:`Capabilities` have
    ``warm_start=True`` pass it on (HiGHS: ``setSolution``; the solver checks it and
    completes or drops it, so a bad start costs time, never correctness); the others
    ignore it. A start of the wrong length is ignored too.
    """

    time_limit: float | None = None  # seconds of wall clock
    mip_gap: float = 1e-6  # relative gap at which a MIP counts as optimal
    threads: int = 1
    seed: int = 0
    verbose: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    start: FloatArray | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do."""

    mip: bool = True
    continuous: bool = True  # False: every variable must be integer (CP-SAT)
    duals: bool = False
    time_limit: bool = True
    warm_start: bool = False  # honours SolveOptions.start (a MIP start)


@dataclass(frozen=True)
class SolveOutcome:
    """What came back from one solve, in backend-neutral words."""

    status: Status
    x: FloatArray | None
    objective: float | None
    bound: float | None
    gap: float | None
    solve_seconds: float
    solver: str
    solver_version: str
    message: str = ""
    row_duals: FloatArray | None = None  # LPs on backends with duals: d objective / d rhs


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``|objective - bound| / max(|objective|, 1e-9)``, or ``None`` when unknown."""
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


def make_outcome(
    *,
    proven_optimal: bool,
    hit_limit: bool,
    x: FloatArray | None,
    objective: float | None,
    bound: float | None,
    seconds: float,
    solver: str,
    version: str,
    is_mip: bool,
    message: str = "",
) -> SolveOutcome:
    """Common status logic: ``optimal`` only when proven, ``feasible``/``limit`` at a limit."""
    if x is not None and not np.all(np.isfinite(x)):
        x = None
    if proven_optimal and x is not None:
        if not is_mip:
            bound = objective
        gap = relative_gap(objective, bound) if is_mip else 0.0
        return SolveOutcome(Status.OPTIMAL, x, objective, bound, gap or 0.0, seconds, solver,
                            version, message)
    if x is not None and (hit_limit or objective is not None):
        return SolveOutcome(Status.FEASIBLE, x, objective, bound, relative_gap(objective, bound),
                            seconds, solver, version, message or "limit reached")
    if hit_limit:
        return SolveOutcome(Status.LIMIT, None, None, bound, None, seconds, solver, version,
                            message or "limit reached before a feasible solution was found")
    return SolveOutcome(Status.ERROR, None, None, None, None, seconds, solver, version,
                        message or "solver returned no solution")


class Backend(ABC):
    """A solver behind the seam. Subclasses live one per file in :mod:`procure.backends`."""

    name: str
    capabilities: Capabilities
    distribution: str  # installed package whose version is reported
    probe: str  # module whose import means the solver is installed

    @classmethod
    def available(cls) -> bool:
        """True when the solver can be imported here."""
        try:
            importlib.import_module(cls.probe)
        except ImportError:
            return False
        return True

    @classmethod
    def version(cls) -> str:
        """The solver package's version string."""
        try:
            return metadata.version(cls.distribution)
        except metadata.PackageNotFoundError:  # pragma: no cover - vendored builds
            return "unknown"

    @abstractmethod
    def solve(self, model: ModelArrays, options: SolveOptions) -> SolveOutcome:
        """Solve ``model``; never raises for solver trouble, returns ``error`` instead."""

    def check_supported(self, model: ModelArrays) -> str | None:
        """Why this backend refuses ``model``, or ``None`` if it accepts it."""
        if model.is_mip and not self.capabilities.mip:
            return f"{self.name} cannot solve models with integer variables"
        if not self.capabilities.continuous and not bool(model.integrality.all()):
            n = int((~model.integrality).sum())
            return (f"{self.name} only solves models whose variables are all integer; this "
                    f"model has {n} continuous variable(s) (use highs, scip or cbc)")
        return None

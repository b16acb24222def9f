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

import functools
import importlib
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from importlib import metadata
from types import MappingProxyType
from typing import Any

import numpy as np

from procure.lp.model import FloatArray, IntArray, ModelArrays


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


class Stop(StrEnum):
    """Why a solve ended (the termination reason beside the status).

    - ``none``:        the solver finished on its own terms (an LP solved, a model proven
                       infeasible or unbounded, an empty model);
    - ``gap``:         a MIP was proven optimal within the requested relative gap;
    - ``time``:        the wall-clock limit;
    - ``iterations``:  an iteration, node or solution-count limit;
    - ``memory``:      a memory limit;
    - ``interrupt``:   the user interrupted the solve (Ctrl-C);
    - ``failure``:     the solver failed or refused the model (status ``error``).
    """

    NONE = "none"
    GAP = "gap"
    TIME = "time"
    ITERATIONS = "iterations"
    MEMORY = "memory"
    INTERRUPT = "interrupt"
    FAILURE = "failure"


# every backend name (the registry's keys): the namespaces of SolveOptions.solver_options
BACKEND_NAMES = ("highs", "scip", "cpsat", "cbc")
OptionValue = bool | int | float | str


@dataclass(frozen=True)
class SolveOptions:
    """Options every backend honours, plus solver-specific settings kept apart.

    ``solver_options`` maps a backend name to that solver's own settings, e.g.
    ``{"highs": {"presolve": "off"}, "scip": {"limits/nodes": 100}}`` (as OR-Tools
    MathOpt keeps ``parameters.highs`` and ``parameters.gscip``). A backend reads only
    its own namespace, so HiGHS keys never reach CBC or SCIP as flags; an unknown
    namespace, or a value that is not a bool, int, float or str, is refused here, and
    each backend refuses a key its solver does not know (an ``error`` outcome naming it).
    """

    time_limit: float | None = None  # seconds of wall clock
    mip_gap: float = 1e-6  # relative gap at which a MIP counts as optimal
    threads: int = 1
    seed: int = 0
    verbose: bool = False
    solver_options: Mapping[str, Mapping[str, OptionValue]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.time_limit is not None and not (self.time_limit >= 0):
            raise ValueError(f"time_limit must be >= 0 seconds, got {self.time_limit!r}")
        if not (0 <= self.mip_gap < 1):
            raise ValueError(f"mip_gap must be in [0, 1), got {self.mip_gap!r}")
        if int(self.threads) < 1:
            raise ValueError(f"threads must be >= 1, got {self.threads!r}")
        for name, opts in self.solver_options.items():
            if name not in BACKEND_NAMES:
                raise ValueError(f"solver_options: unknown solver {name!r}; the namespaces "
                                 f"are {', '.join(BACKEND_NAMES)}")
            for key, value in opts.items():
                if not isinstance(value, bool | int | float | str):
                    raise ValueError(f"solver_options.{name}.{key}: {value!r} is not a bool, "
                                     "int, float or str")
        # frozen all the way down: a caller's later edit of its dicts changes nothing here
        frozen = {n: MappingProxyType(dict(o)) for n, o in self.solver_options.items()}
        object.__setattr__(self, "solver_options", MappingProxyType(frozen))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Picklable (for worker processes): the read-only views go as plain dicts."""
        return (SolveOptions, (self.time_limit, self.mip_gap, self.threads, self.seed,
                               self.verbose,
                               {n: dict(o) for n, o in self.solver_options.items()}))

    def for_solver(self, name: str) -> dict[str, OptionValue]:
        """The settings of backend ``name`` (a copy; empty when none were given)."""
        return dict(self.solver_options.get(name, {}))

    def with_solver_options(self, name: str, **settings: OptionValue) -> SolveOptions:
        """These options with ``settings`` added to backend ``name``'s namespace (the
        caller's own settings of that namespace win over ``settings``)."""
        merged = {n: dict(o) for n, o in self.solver_options.items()}
        merged[name] = {**settings, **merged.get(name, {})}
        return replace(self, solver_options=merged)

    def as_dict(self) -> dict[str, Any]:
        """The options as given, JSON-ready."""
        return {"time_limit": self.time_limit, "mip_gap": self.mip_gap,
                "threads": int(self.threads), "seed": int(self.seed),
                "verbose": bool(self.verbose),
                "solver_options": {n: dict(o) for n, o in self.solver_options.items()}}


@dataclass(frozen=True)
class Capabilities:
    """What a backend does through the seam (a flag is True only when the backend
    implements it here, not merely when the solver could)."""

    mip: bool = True
    continuous: bool = True  # False: every variable must be integer (CP-SAT)
    duals: bool = False  # LP row duals (SolveOutcome.row_duals)
    time_limit: bool = True
    warm_start: bool = False  # takes a MIP start, partial too, and an objective target
    # (the ``start`` and ``target`` arguments of solve)
    lp_session: bool = False  # re-solves an LP warm after bound changes (lp_session)
    interrupt: bool = False  # Ctrl-C stops the solve and returns its incumbent
    incumbents: bool = False  # reports improved solutions while solving (on_incumbent)
    iis: bool = False  # an irreducible infeasible subsystem of an infeasible model
    ranging: bool = False  # cost and bound ranging of an LP solution

    def names(self) -> list[str]:
        """The capabilities this backend has, by field name."""
        return [f for f in self.__dataclass_fields__ if getattr(self, f)]


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
    stopped_by: Stop = Stop.NONE


class Side(StrEnum):
    """Which bound of a row or column takes part in a conflict."""

    LOWER = "lower"
    UPPER = "upper"
    BOTH = "both"  # an equality row, or a fixed column


@dataclass(frozen=True)
class Iis:
    """An irreducible infeasible subsystem (IIS) of a model's LP relaxation: rows and
    column bounds that together admit no solution, while dropping any one of them leaves
    a system that has one. ``row_sides[i]`` says which bound of ``rows[i]`` takes part
    (likewise for columns); a column bound not listed is not part of the conflict."""

    rows: IntArray
    row_sides: tuple[Side, ...]
    cols: IntArray
    col_sides: tuple[Side, ...]
    solver: str
    seconds: float


@dataclass(frozen=True)
class Sensitivity:
    """An optimal LP solution with its duals and ranging (a model with integer columns is
    read as its LP relaxation; fix them first to get the duals around a MIP plan).

    For a minimisation, ``row_dual[i]`` = d objective / d (active bound of row i): what one
    more unit of the row's right-hand side changes in the objective (negative: it saves).
    It holds while the active bound stays in ``[rhs_low[i], rhs_high[i]]`` (the range over
    which the optimal basis stays optimal; a row whose dual is 0 keeps it while its bound
    stays on the far side of its activity). ``reduced_cost[j]`` is column j's reduced
    cost; ``cost_low[j], cost_high[j]``: the range of its objective coefficient over
    which the solution stays optimal."""

    objective: float
    x: FloatArray
    row_activity: FloatArray
    row_dual: FloatArray
    rhs_low: FloatArray
    rhs_high: FloatArray
    reduced_cost: FloatArray
    cost_low: FloatArray
    cost_high: FloatArray
    solver: str
    seconds: float


def failure(status: Status, seconds: float, solver: str, version: str, message: str,
            *, bound: float | None = None) -> SolveOutcome:
    """An outcome without a solution: ``infeasible``, ``unbounded``, ``limit`` (with the
    bound reached, if any) or ``error``; ``stopped_by`` follows from the status."""
    if status.has_solution:
        raise ValueError(f"failure() is for outcomes without a solution, not {status}")
    stop = {Status.ERROR: Stop.FAILURE, Status.LIMIT: Stop.TIME}.get(status, Stop.NONE)
    return SolveOutcome(status, None, None, bound if status == Status.LIMIT else None, None,
                        seconds, solver, version, message, stopped_by=stop)


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
    stopped_by: Stop = Stop.TIME,
) -> SolveOutcome:
    """Common status logic: ``optimal`` only when proven, ``feasible``/``limit`` at a limit.
    ``stopped_by`` names the limit when ``hit_limit`` (time unless told otherwise)."""
    if x is not None and not np.all(np.isfinite(x)):
        x = None
    if proven_optimal and x is not None:
        if not is_mip:
            bound = objective
        gap = relative_gap(objective, bound) if is_mip else 0.0
        return SolveOutcome(Status.OPTIMAL, x, objective, bound, gap or 0.0, seconds, solver,
                            version, message, stopped_by=Stop.GAP if is_mip else Stop.NONE)
    if x is not None and (hit_limit or objective is not None):
        return SolveOutcome(Status.FEASIBLE, x, objective, bound, relative_gap(objective, bound),
                            seconds, solver, version, message or "limit reached",
                            stopped_by=stopped_by if hit_limit else Stop.TIME)
    if hit_limit:
        return SolveOutcome(Status.LIMIT, None, None, bound, None, seconds, solver, version,
                            message or "limit reached before a feasible solution was found",
                            stopped_by=stopped_by)
    return failure(Status.ERROR, seconds, solver, version,
                   message or "solver returned no solution")


IncumbentCallback = Callable[[float, FloatArray, float | None], None]
"""``(objective, x, bound)`` of an improved solution found during a solve."""


class LpSession:
    """An LP solved again and again with changed column bounds (a dive, a fix-and-solve).

    The base implementation re-solves from scratch through :meth:`Backend.solve`; a
    backend with ``capabilities.lp_session`` keeps the solver warm between solves."""

    def __init__(self, backend: Backend, model: ModelArrays, options: SolveOptions) -> None:
        self.backend = backend
        self.model = replace(model, integrality=np.zeros_like(model.integrality))
        self.options = options
        self.lower = self.model.col_lower.copy()
        self.upper = self.model.col_upper.copy()
        self.solves = 0
        # one time limit over every solve of the session together
        self.deadline = (None if options.time_limit is None
                         else time.perf_counter() + options.time_limit)

    def solve(self, cols: IntArray | None = None, lower: FloatArray | None = None,
              upper: FloatArray | None = None) -> tuple[float, FloatArray] | None:
        """Set the bounds of ``cols`` (when given) and solve; (objective, x) or ``None``
        when the LP was not solved to optimality (time out, infeasible)."""
        if cols is not None and lower is not None and upper is not None:
            self.lower[cols] = lower
            self.upper[cols] = upper
        self.solves += 1
        left = None if self.deadline is None else max(self.deadline - time.perf_counter(), 0.0)
        out = self.backend.solve(replace(self.model, col_lower=self.lower.copy(),
                                         col_upper=self.upper.copy()),
                                 replace(self.options, time_limit=left))
        if out.status != Status.OPTIMAL or out.x is None or out.objective is None:
            return None
        return float(out.objective), out.x


@functools.cache
def _distribution_version(name: str) -> str:
    """An installed distribution's version (read once per process: it costs ~1 ms)."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:  # pragma: no cover - vendored builds
        return "unknown"


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
        return _distribution_version(cls.distribution)

    @abstractmethod
    def solve(self, model: ModelArrays, options: SolveOptions, *,
              start: FloatArray | None = None,
              on_incumbent: IncumbentCallback | None = None,
              target: float | None = None) -> SolveOutcome:
        """Solve ``model``; never raises for solver trouble, returns ``error`` instead.

        ``start`` is a MIP start, model data rather than an option: one value per
        column, a (near-)feasible solution the solver may begin from; NaN marks a value
        left to the solver (a partial start: the solver completes it). Backends with
        ``capabilities.warm_start`` pass it on (the solver checks it and completes or
        drops it, so a bad start costs time, never correctness); the others ignore it,
        as they ignore a start of the wrong length. ``on_incumbent(objective, x, bound)``
        is called with every improved solution a backend with
        ``capabilities.incumbents`` finds (the others never call it). ``target`` is an
        objective value known to be a lower bound within the caller's tolerance: a MIP
        solve on a backend with ``capabilities.warm_start`` stops as soon as it has a
        solution at least that good (status ``feasible``, stopped by ``iterations``;
        the caller, who knows the bound, decides that the solution is optimal); the
        others ignore it, which only costs time."""

    def lp_session(self, model: ModelArrays, options: SolveOptions) -> LpSession:
        """The LP relaxation of ``model``, to be re-solved under changing column bounds."""
        return LpSession(self, model, options)

    def iis(self, model: ModelArrays, options: SolveOptions) -> Iis | None:
        """An irreducible infeasible subsystem of ``model``'s LP relaxation, or ``None``
        when that LP is feasible (a MIP infeasible only through integrality has none
        here: :mod:`procure.explain.elastic` filters it). Only on backends with
        ``capabilities.iis``; raises :class:`NotImplementedError` otherwise, and
        :class:`RuntimeError` when the solver fails or stops at a limit."""
        raise NotImplementedError(f"{self.name} does not compute an IIS")

    def sensitivity(self, model: ModelArrays, options: SolveOptions) -> Sensitivity | None:
        """The optimum of ``model``'s LP relaxation with duals and ranging, or ``None``
        when it is not solved to optimality (infeasible, unbounded, a limit). Only on
        backends with ``capabilities.ranging``; :class:`NotImplementedError` otherwise."""
        raise NotImplementedError(f"{self.name} does not compute ranging")

    def check_options(self, options: SolveOptions) -> str | None:
        """Why this backend refuses ``options`` (e.g. an unknown solver option), or
        ``None``. The default accepts anything; solvers that can check do."""
        return None

    def cautious(self, options: SolveOptions) -> SolveOptions:
        """``options`` with this solver's most conservative settings, for a second opinion
        when an answer is contradicted (the default: unchanged)."""
        return options

    def failed(self, status: Status, seconds: float, message: str) -> SolveOutcome:
        """An outcome without a solution from this backend (see :func:`failure`)."""
        return failure(status, seconds, self.name, self.version(), message)

    def check_supported(self, model: ModelArrays) -> str | None:
        """Why this backend refuses ``model``, or ``None`` if it accepts it."""
        if model.is_mip and not self.capabilities.mip:
            return f"{self.name} cannot solve models with integer variables"
        if not self.capabilities.continuous and not bool(model.integrality.all()):
            n = int((~model.integrality).sum())
            return (f"{self.name} only solves models whose variables are all integer; this "
                    f"model has {n} continuous variable(s) (use highs, scip or cbc)")
        return None

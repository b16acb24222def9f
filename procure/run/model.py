"""What a model plugs into the run pipeline (:mod:`procure.run.pipeline`).

A model supplies its own stages, each a pure function of its inputs:

    compile(scenario)                    -> compiled arrays (ids and numpy arrays only)
    build(compiled)                      -> a formulation whose ``.model`` is the
                                            backend-neutral :class:`ModelArrays`
    start(formulation, context)          -> an optional MIP start (:class:`Start`), and
                                            the formulation to solve (a start may justify
                                            a tighter rebuild)
    complete(formulation, x)             -> the plan, when it meets the rows the
                                            formulation left out to check on the plan;
                                            else the formulation with those it breaks
    decode(formulation, x)               -> the plan (decisions only)
    evaluate(scenario, plan)             -> the independent evaluation
    follow_up(formulation, x, context)   -> optional LPs around the plan (e.g. duals)
    tables(scenario, plan, evaluation, follow_up) -> tidy tables with units
    metrics(plan, evaluation)            -> headline numbers for the summary

The pipeline does everything else once: backend choice and capability checks, the
wall-clock budget, timing per stage, evaluation and the :class:`RunRecord`. A new model
adds only its own files and one subclass of :class:`RunModel`.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
import pandas as pd

from procure.backends.base import Backend, SolveOptions
from procure.lp.model import FloatArray, IntArray, ModelArrays
from procure.run.tables import TableSpec
from procure.schema.scenario import Scenario


class HasModel(Protocol):
    """A formulation: whatever a model builds, as long as it carries the arrays."""

    @property
    def model(self) -> ModelArrays: ...


class Evaluated(Protocol):
    """An evaluation: the evaluator's verdict and its exact objective."""

    @property
    def feasible(self) -> bool: ...

    @property
    def objective(self) -> float: ...


CompiledT = TypeVar("CompiledT")
FormulationT = TypeVar("FormulationT", bound=HasModel)
PlanT = TypeVar("PlanT")
EvaluationT = TypeVar("EvaluationT", bound=Evaluated)


@dataclass(frozen=True)
class Start:
    """What a start heuristic found: a MIP start ``x`` (``None``: nothing) with its
    objective in the model, and a lower bound it proved on the way (an LP or a
    Lagrangian bound), if any. ``details`` holds the heuristic's own numbers."""

    x: FloatArray | None
    objective: float | None
    bound: float | None
    seconds: float
    message: str = ""
    trace: tuple[tuple[str, float, float], ...] = ()  # (step, objective, seconds so far)
    details: Mapping[str, float | int | None] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        if self.objective is None or self.bound is None:
            return None
        return abs(self.objective - self.bound) / max(abs(self.objective), 1e-9)

    def proves(self, gap: float) -> bool:
        """Whether the plan is proven optimal by the heuristic's own bound: within the
        relative ``gap`` a solve would stop at (then no solve is needed)."""
        g = self.gap
        return (self.x is not None and self.objective is not None and self.bound is not None
                and self.bound <= self.objective + gap * max(abs(self.objective), 1e-9)
                and g is not None and g <= gap)


def objective_target(bound: float | None, gap: float) -> float | None:
    """The objective at which a plan meets a lower ``bound`` within the relative ``gap``
    (:meth:`Start.proves` for bounds >= 0): a solve given it as its ``target`` may stop
    at the first plan this good. ``None`` without a finite bound."""
    if bound is None or not math.isfinite(bound):
        return None
    return bound + gap * abs(bound)


def satisfies(model: ModelArrays, x: FloatArray, *, tol: float = 1e-9) -> bool:
    """Whether ``x`` meets every bound, row and integrality of ``model``, each within
    ``tol`` relative to max(1, |value|)."""
    scale = tol * np.maximum(1.0, np.abs(x))
    if np.any(x < model.col_lower - scale) or np.any(x > model.col_upper + scale):
        return False
    act = model.row_activity(x)
    slack = tol * np.maximum(1.0, np.abs(act))
    if np.any(act < model.row_lower - slack) or np.any(act > model.row_upper + slack):
        return False
    ints = model.integrality
    return not (ints.any() and np.any(np.abs(x[ints] - np.round(x[ints])) > scale[ints]))


@dataclass(frozen=True)
class Completion(Generic[FormulationT]):
    """A solved plan read against the rows its formulation left out (rows checked on
    the plan instead, :meth:`RunModel.complete`). Either ``x``, a plan of the full
    model (the one solved, or repaired so that it meets every row), or ``formulation``,
    the formulation with the rows the plan breaks added, to be solved again.
    ``message`` says what was done."""

    x: FloatArray | None = None
    formulation: FormulationT | None = None
    message: str = ""


def trivial_start(model: ModelArrays, columns: IntArray, values: FloatArray,
                  message: str, *, tol: float = 1e-9) -> Start | None:
    """The point that is 0 everywhere except ``values`` in ``columns``, as a
    :class:`Start`, if it satisfies every bound and row of ``model`` (checked here, so a
    model whose rows it breaks simply has no trivial plan). Its ``bound`` is the model's
    offset when every cost and lower bound is nonnegative (the objective cannot go
    lower), else none."""
    x = np.zeros(model.num_cols)
    x[columns] = values
    if not satisfies(model, x, tol=tol):
        return None
    # with every cost and every lower bound nonnegative, no plan is below the offset: a
    # valid (if weak) bound, so the plan is never reported without one
    bound = (float(model.offset) if np.all(model.col_cost >= 0)
             and np.all(model.col_lower >= 0) else None)
    return Start(x, float(model.col_cost @ x + model.offset), bound, 0.0, message)


class Budget:
    """One wall-clock budget for a whole run: every stage that may take long (start
    heuristics, the main solve, LPs around the plan, follow-up solves) asks it how much
    time is left. ``None`` means no limit."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def remaining(self) -> float | None:
        """Seconds left (never negative), or ``None`` without a limit."""
        if self.seconds is None:
            return None
        return max(self.seconds - self.elapsed(), 0.0)

    def share(self, fraction: float, default: float) -> float:
        """``fraction`` of what is left, or ``default`` seconds without a limit."""
        left = self.remaining()
        return default if left is None else fraction * left

    @property
    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0.0


@dataclass(frozen=True)
class Context:
    """What a stage may use: the run's backend, its options, the budget and the
    scenario being planned."""

    backend: Backend
    options: SolveOptions
    budget: Budget
    scenario: Scenario | None = None

    def options_within(self, seconds: float | None) -> SolveOptions:
        """The run's options with a time limit of ``seconds`` (capped by the budget)."""
        from dataclasses import replace

        left = self.budget.remaining()
        limit = seconds if left is None else (left if seconds is None else min(seconds, left))
        return replace(self.options, time_limit=limit)


class RunModel(ABC, Generic[CompiledT, FormulationT, PlanT, EvaluationT]):
    """A model's stages (module docstring). ``name`` is the model ("procurement",
    "logistics"); ``variant`` tells runs of one model apart ("joint", "alone")."""

    name: str
    variant: str = ""
    tables_spec: tuple[TableSpec, ...] = ()
    metric_units: Mapping[str, str] = {}
    sources: Mapping[str, str] = {}
    """Per family of columns or rows (a block name without its index, as
    :func:`procure.lp.numerics.family_of` gives it), the scenario fields its
    coefficients come from: what the pipeline's coefficient check names when a value
    is out of range (:meth:`source_of`)."""

    def source_of(self, family: str) -> str:
        """The scenario fields of ``family``: its entry in :attr:`sources`, else the
        longest key it starts with (``"(7a"`` covers every (7a.*) family), else ""."""
        if family in self.sources:
            return self.sources[family]
        keys = [k for k in self.sources if family.startswith(k)]
        return self.sources[max(keys, key=len)] if keys else ""

    @abstractmethod
    def compile(self, scenario: Scenario) -> CompiledT: ...

    @abstractmethod
    def build(self, compiled: CompiledT) -> FormulationT: ...

    def wants_start(self, formulation: FormulationT, backend: Backend) -> bool:
        """Whether to run :meth:`start` (default: never)."""
        return False

    def start(self, formulation: FormulationT, context: Context
              ) -> tuple[Start | None, FormulationT]:
        """A MIP start and the formulation to solve (default: none, unchanged)."""
        return None, formulation

    def complete(self, formulation: FormulationT, x: FloatArray, *, final: bool = False
                 ) -> Completion[FormulationT]:
        """Check a plan of ``formulation`` against the rows it left out to be checked on
        the plan: the plan (perhaps repaired) when it meets them all, else the
        formulation with the broken rows added (with ``final``, every row left out). The
        pipeline solves again until a plan passes (default: no row is left out)."""
        return Completion(x=x)

    def full_start(self, formulation: FormulationT, start: Start) -> Start:
        """A start heuristic's result with its plan only if that is a plan of the full
        model (:meth:`complete`, perhaps repaired; its objective then recomputed): a plan
        that breaks a row left out may cost less than the full model's optimum, so it is
        neither reported nor used to bound anything. Its bound stays: a bound of a
        formulation with fewer rows holds for the full model too."""
        if start.x is None or start.objective is None:
            return start  # no plan (a partial start is no plan either)
        done = self.complete(formulation, start.x)
        if done.formulation is not None or done.x is None:
            return replace(start, x=None, objective=None, message=f"{start.message} (its "
                           "plan breaks a row checked on the plan: not kept)")
        if done.x is start.x:
            return start
        m = formulation.model
        return replace(start, x=done.x, objective=float(m.col_cost @ done.x + m.offset))

    @abstractmethod
    def decode(self, formulation: FormulationT, x: FloatArray) -> PlanT: ...

    def fallback(self, formulation: FormulationT) -> Start | None:
        """A plan that always exists (e.g. buy nothing, every requirement short), for a
        solve that stops at its limit before finding any: it is reported with the
        solver's bound and its gap instead of no plan at all (default: none)."""
        return None

    @abstractmethod
    def evaluate(self, scenario: Scenario, plan: PlanT) -> EvaluationT: ...

    def follow_up(self, formulation: FormulationT, x: FloatArray, context: Context
                  ) -> tuple[dict[str, Any], tuple[str, ...]]:
        """Work around the plan (e.g. shadow prices) and notes on it (default: none)."""
        return {}, ()

    @abstractmethod
    def tables(self, scenario: Scenario, plan: PlanT | None, evaluation: EvaluationT | None,
               follow_up: Mapping[str, Any]) -> dict[str, pd.DataFrame]: ...

    @abstractmethod
    def metrics(self, plan: PlanT | None, evaluation: EvaluationT | None
                ) -> dict[str, float | None]: ...

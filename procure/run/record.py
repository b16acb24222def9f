"""The run record: one frozen object per run of any model, and its summary.

Every model's run ends in a :class:`RunRecord` (procurement joint, go-alone and
like-for-like runs, movement runs alike). It holds the honest status and the limit
that stopped the solve, objective, bound and gap, timings per stage, the solver and its
version, the options as given, procure's version, the input hash, start and end
timestamps, the plan, the independent evaluation and tidy tables whose columns declare
unit and meaning. :meth:`RunRecord.summary` is the one summary dialect every writer and
console view reads; its JSON Schema is ``models/run_record.schema.json``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Generic, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from procure.backends.base import Status, Stop
from procure.run.model import EvaluationT, PlanT, Start

STAGES = ("compile", "build", "start", "solve", "decode", "evaluate", "follow_up", "tables")


@functools.cache
def procure_version() -> str:
    """procure's installed version (read once per process)."""
    try:
        return metadata.version("procure")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "unknown"


class RunSummary(BaseModel):
    """The summary of one run (JSON): what every writer and console view reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(description="The model run: procurement or logistics.")
    variant: str = Field(description="Which run of the model: joint, alone (go-alone "
                         "baseline), like-for-like, movements.")
    scenario: str = Field(description="The scenario's name.")
    input_hash: str = Field(description="SHA-256 of the canonical scenario JSON.")
    status: Literal["optimal", "feasible", "limit", "infeasible", "unbounded", "error"] = Field(
        description="optimal: proven within the requested gap; feasible: a limit was "
        "reached with a plan (see bound and gap); limit: no plan before the limit.")
    stopped_by: Literal["none", "gap", "time", "iterations", "memory", "interrupt",
                        "failure"] = Field(description="What ended the solve.")
    objective: float | None = Field(description="The solver's objective (model units: "
                                    "cost plus penalties).")
    bound: float | None = Field(description="Best proven lower bound on the objective.")
    gap: float | None = Field(description="Relative gap |objective - bound| / |objective|.")
    evaluated_objective: float | None = Field(
        description="The independent evaluator's recomputation of the objective.")
    feasible_by_evaluator: bool | None = Field(
        description="True when the evaluator found no broken rule; null without a plan.")
    violations: list[str] = Field(description="Every rule the evaluator found broken.")
    metrics: dict[str, float | None] = Field(
        description="The model's headline numbers; their units in metric_units.")
    metric_units: dict[str, str] = Field(description="Unit of each metric.")
    timings: dict[str, float] = Field(description="Wall-clock seconds per stage: "
                                      + ", ".join(STAGES) + ".")
    build_seconds: float = Field(description="compile + build, seconds.")
    solve_seconds: float = Field(description="start heuristic + solve, seconds.")
    solver: str
    solver_version: str
    options: dict[str, Any] = Field(description="The solve options as given.")
    seed: int
    threads: int
    procure_version: str
    started_at: str = Field(description="UTC, ISO 8601.")
    ended_at: str = Field(description="UTC, ISO 8601.")
    model_columns: int
    model_rows: int
    model_nonzeros: int
    message: str = Field(description="The solver's status text and notes of the run.")
    notes: list[str] = Field(description="What the run could not do, and why.")
    start_objective: float | None = Field(description="The start heuristic's plan, if run.")
    start_bound: float | None = Field(description="The start heuristic's lower bound.")
    currency: str


@dataclass(frozen=True)
class RunRecord(Generic[PlanT, EvaluationT]):
    """One run of one model (module docstring). ``objective``, ``bound`` and ``gap`` are
    the solver's; every table and metric comes from the independent evaluator."""

    model: str
    variant: str
    scenario_name: str
    input_hash: str
    currency: str
    status: Status
    stopped_by: Stop
    objective: float | None
    bound: float | None
    gap: float | None
    timings: Mapping[str, float]
    solver: str
    solver_version: str
    options: Mapping[str, Any]
    procure_version: str
    started_at: str
    ended_at: str
    model_size: tuple[int, int, int]  # columns, rows, nonzeros
    message: str
    plan: PlanT | None = field(default=None, repr=False)
    evaluation: EvaluationT | None = field(default=None, repr=False)
    start: Start | None = field(default=None, repr=False)
    metrics: Mapping[str, float | None] = field(default_factory=dict, repr=False)
    metric_units: Mapping[str, str] = field(default_factory=dict, repr=False)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    follow_up: Mapping[str, Any] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()

    @property
    def has_plan(self) -> bool:
        return self.plan is not None and self.evaluation is not None

    @property
    def feasible(self) -> bool | None:
        """The evaluator's verdict, ``None`` without a plan."""
        return None if self.evaluation is None else bool(self.evaluation.feasible)

    @property
    def seed(self) -> int:
        return int(self.options.get("seed", 0))

    @property
    def threads(self) -> int:
        return int(self.options.get("threads", 1))

    @property
    def build_seconds(self) -> float:
        return self.timings.get("compile", 0.0) + self.timings.get("build", 0.0)

    @property
    def solve_seconds(self) -> float:
        return self.timings.get("start", 0.0) + self.timings.get("solve", 0.0)

    def table(self, name: str) -> pd.DataFrame:
        """A copy of table ``name`` (units and meanings in ``.attrs``)."""
        df = self.tables[name]
        out = df.copy()
        out.attrs = dict(df.attrs)
        return out

    def summary(self) -> dict[str, Any]:
        """The run's summary, JSON-ready (schema: ``models/run_record.schema.json``)."""
        ev = self.evaluation
        violations = [str(v) for v in getattr(ev, "violations", ())] if ev is not None else []
        return RunSummary(
            model=self.model, variant=self.variant, scenario=self.scenario_name,
            input_hash=self.input_hash, status=str(self.status),
            stopped_by=str(self.stopped_by),
            objective=self.objective, bound=self.bound, gap=self.gap,
            evaluated_objective=None if ev is None else float(ev.objective),
            feasible_by_evaluator=self.feasible, violations=violations,
            metrics=dict(self.metrics), metric_units=dict(self.metric_units),
            timings=dict(self.timings), build_seconds=self.build_seconds,
            solve_seconds=self.solve_seconds, solver=self.solver,
            solver_version=self.solver_version, options=dict(self.options), seed=self.seed,
            threads=self.threads, procure_version=self.procure_version,
            started_at=self.started_at, ended_at=self.ended_at,
            model_columns=self.model_size[0], model_rows=self.model_size[1],
            model_nonzeros=self.model_size[2], message=self.message, notes=list(self.notes),
            start_objective=None if self.start is None else self.start.objective,
            start_bound=None if self.start is None else self.start.bound,
            currency=self.currency,
        ).model_dump(mode="json")


def run_summary_json_schema() -> dict[str, Any]:
    """The JSON Schema of :meth:`RunRecord.summary` (``models/run_record.schema.json``)."""
    schema = RunSummary.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "procure run summary"
    return schema


def run_summary_schema_text() -> str:
    """``models/run_record.schema.json`` as it must read (a test compares; regenerate
    with ``python -m procure.schema.export``)."""
    import json

    return json.dumps(run_summary_json_schema(), indent=2, sort_keys=True) + "\n"


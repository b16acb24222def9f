"""The one run skeleton every model goes through.

    backend -> compile -> build -> coefficient check -> capability check -> [start] -> solve
            -> [complete: solve again] -> decode -> evaluate -> [follow-up] -> tables
            -> RunRecord

One wall-clock budget (the options' ``time_limit``) covers the whole run: the start
heuristic draws its share from it (and when its plan meets the bound it proved within
the options' gap, the plan is optimal and no main solve runs), the main solve gets what
is left, and LPs around the plan get what the solve left over. Every stage is timed. A
solve stopped at a limit is reported with its incumbent, bound and gap; a start
heuristic's plan is reported when it is better than what the solve returned. A
formulation may leave rows out to check on the plan instead (the model's ``complete``):
a plan that breaks one is solved again with it. A backend
that raises (it should return an ``error`` outcome instead) becomes an ``error`` record
with the reason; a Ctrl-C during the solve becomes a record stopped by ``interrupt``, carried by
:class:`RunInterrupted` so a caller can show it before stopping.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from procure.backends.base import (
    Backend,
    SolveOptions,
    SolveOutcome,
    Status,
    Stop,
    failure,
    relative_gap,
)
from procure.backends.registry import get_backend
from procure.common import input_hash as hash_scenario
from procure.errors import ModelRangeError, Problem
from procure.lp.model import FloatArray, ModelArrays
from procure.lp.numerics import coefficient_report, find_problem
from procure.run.model import (
    Budget,
    CompiledT,
    Context,
    EvaluationT,
    FormulationT,
    HasModel,
    PlanT,
    RunModel,
    Start,
    objective_target,
)
from procure.run.record import RunRecord, procure_version
from procure.run.tables import CURRENCY
from procure.schema.scenario import Scenario

log = logging.getLogger(__name__)


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: ``record`` is what the run had when it stopped."""

    def __init__(self, record: RunRecord[Any, Any]) -> None:
        super().__init__("interrupted")
        self.record = record


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def with_start(outcome: SolveOutcome, start: Start | None,
               gap: float | None = None) -> SolveOutcome:
    """The solve's outcome read together with the start heuristic's: when the solve
    stopped at a limit (or failed), the better of the two bounds is kept (also when
    neither has a plan), and the start's plan is reported when the solve has none or a
    worse one (status ``feasible``). With
    the run's relative ``gap``, a plan within it of the kept bound is proven optimal
    (status ``optimal``, stopped by ``gap``): the solve reached the start's
    :func:`~procure.run.model.objective_target`, or stopped at a limit with such a plan."""
    if start is None or outcome.status not in (Status.FEASIBLE, Status.LIMIT, Status.ERROR):
        return outcome
    bounds = [b for b in (outcome.bound, start.bound) if b is not None]
    bound = max(bounds) if bounds else None
    merged = outcome
    if start.x is not None and start.objective is not None and (
            outcome.objective is None or start.objective < outcome.objective):
        stop = outcome.stopped_by if outcome.status != Status.ERROR else Stop.FAILURE
        merged = replace(outcome, status=Status.FEASIBLE, x=start.x, objective=start.objective,
                         bound=bound, gap=relative_gap(start.objective, bound), stopped_by=stop,
                         message=f"{outcome.message}; the start heuristic's plan")
    elif outcome.status in (Status.FEASIBLE, Status.LIMIT):
        # a solve stopped without a plan keeps the start's bound too (the relaxation
        # start's on a model where no window found a plan of the full model)
        merged = replace(outcome, bound=bound, gap=relative_gap(outcome.objective, bound))
    if (gap is not None and merged.status == Status.FEASIBLE and merged.gap is not None
            and bound is not None and merged.objective is not None
            and bound <= merged.objective and merged.gap <= gap):
        return replace(merged, status=Status.OPTIMAL, stopped_by=Stop.GAP,
                       message="; ".join(m for m in (merged.message, "proven optimal by the "
                                                     "start heuristic's bound") if m))
    return merged


def proven_by_start(start: Start | None, backend: Backend, gap: float) -> SolveOutcome | None:
    """The outcome of a run whose start heuristic proved its own plan optimal (its
    objective within the relative ``gap`` of the bound it proved, so the solver has
    nothing left to do); ``None`` otherwise."""
    if start is None or start.x is None or start.objective is None or not start.proves(gap):
        return None
    return SolveOutcome(Status.OPTIMAL, start.x, start.objective, start.bound, start.gap,
                        0.0, backend.name, backend.version(),
                        "the start heuristic's plan meets its bound: proven optimal "
                        "without a main solve", stopped_by=Stop.GAP)


class _Clock:
    """Wall-clock seconds per stage (each logged at DEBUG level)."""

    def __init__(self, label: str) -> None:
        self.timings: dict[str, float] = {}
        self.label = label

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            dt = time.perf_counter() - t0
            self.timings[name] = self.timings.get(name, 0.0) + dt
            log.debug("%s: %s %.3f s", self.label, name, dt)


def run(
    model: RunModel[CompiledT, FormulationT, PlanT, EvaluationT],
    scenario: Scenario,
    *,
    solver: str | Backend = "highs",
    options: SolveOptions | None = None,
    compiled: CompiledT | None = None,
    input_hash: str | None = None,
    budget: Budget | None = None,
) -> RunRecord[PlanT, EvaluationT]:
    """Run ``model`` on ``scenario`` (module docstring). ``compiled`` and ``input_hash``
    let a caller that runs the same scenario several times compile and hash it once;
    ``budget`` lets several runs share one wall-clock budget (default: a new one of
    ``options.time_limit``). The record keeps the options as given."""
    opts = options or SolveOptions()
    started = _now()
    backend = get_backend(solver) if isinstance(solver, str) else solver
    clock = _Clock(f"{model.name}/{model.variant}")
    log.info("%s: %s on %s, time limit %s", clock.label, scenario.name, backend.name,
             "none" if opts.time_limit is None else f"{opts.time_limit:.3g} s")
    budget_ctx = Context(backend, opts, budget if budget is not None else Budget(opts.time_limit),
                         scenario)
    notes: list[str] = []
    with clock.stage("compile"):
        comp = model.compile(scenario) if compiled is None else compiled
    with clock.stage("build"):
        formulation = model.build(comp)
    with clock.stage("check"):
        _check_numerics(model, formulation.model, scenario, notes)
    start: Start | None = None
    refusal = backend.check_supported(formulation.model) or backend.check_options(opts)
    if refusal is not None:
        outcome = failure(Status.ERROR, 0.0, backend.name, backend.version(), refusal)
    else:
        if formulation.model.is_mip and backend.capabilities.warm_start and (
                model.wants_start(formulation, backend)):
            with clock.stage("start"):
                start, formulation = model.start(formulation, budget_ctx)
        try:
            with clock.stage("solve"):
                proven = proven_by_start(start, backend, opts.mip_gap)
                outcome = proven if proven is not None else backend.solve(
                    formulation.model, budget_ctx.options_within(None),
                    start=None if start is None else start.x,
                    target=None if start is None else objective_target(start.bound,
                                                                       opts.mip_gap))
        except KeyboardInterrupt:
            raise _interrupted(model, scenario, comp, formulation, start, clock, started,
                               input_hash, notes, budget_ctx) from None
        except Exception as exc:  # a backend must not raise; if one does, say so
            outcome = failure(Status.ERROR, clock.timings.get("solve", 0.0), backend.name,
                              backend.version(), f"{backend.name} failed: "
                              f"{type(exc).__name__}: {exc}")
        outcome = with_start(outcome, start, opts.mip_gap)
        if outcome.stopped_by == Stop.INTERRUPT:  # the solver stopped on the user's request
            outcome = _full_plan_only(model, formulation, outcome)
            record = _record(model, scenario, comp, formulation, outcome, start, clock, opts,
                             started, input_hash, notes, budget_ctx, interrupted=True)
            raise RunInterrupted(record)
        if outcome.status == Status.INFEASIBLE:
            outcome = _second_opinion(model, formulation, backend, budget_ctx, outcome, clock,
                                      notes)
        try:
            outcome, formulation = _complete(model, formulation, outcome, start, budget_ctx,
                                             clock, notes)
        except KeyboardInterrupt:
            raise _interrupted(model, scenario, comp, formulation, start, clock, started,
                               input_hash, notes, budget_ctx) from None
        if outcome.status == Status.LIMIT:
            fallback = model.fallback(formulation)
            if fallback is not None:
                outcome = with_start(outcome, fallback)
                notes.append(f"no plan found before the limit: {fallback.message}, reported "
                             "with the solver's bound")
    record = _record(model, scenario, comp, formulation, outcome, start, clock, opts, started,
                     input_hash, notes, budget_ctx)
    log.info("%s: %s (stopped by %s), objective %s, %.3g s", clock.label, record.status,
             record.stopped_by, record.objective, sum(record.timings.values()))
    return record


def check_numerics(model: RunModel[Any, Any, Any, Any], scenario: Scenario) -> list[str]:
    """Compile and build ``model`` on ``scenario`` and run the coefficient check a run
    makes before solving (:func:`_check_numerics`): raises :class:`ModelRangeError`
    when no solver can take the model, returns the doubts (empty when sound)."""
    notes: list[str] = []
    _check_numerics(model, model.build(model.compile(scenario)).model, scenario, notes,
                    warn=False)
    return notes


def _check_numerics(model: RunModel[Any, Any, Any, Any], arrays: ModelArrays,
                    scenario: Scenario, notes: list[str], *, warn: bool = True) -> None:
    """The coefficient check of :mod:`procure.lp.numerics` before any solve: a value no
    solver can take (beyond HiGHS's own limits) raises :class:`ModelRangeError` naming
    the scenario fields it comes from (``model.sources``); a value beyond the sound
    limits, where the solver answers but tolerances may make the answer wrong, becomes
    a note on the record and a logged warning."""
    report = coefficient_report(arrays)
    fatal = find_problem(arrays, report, limits="highs")
    if fatal is not None:
        fields = model.source_of(fatal.family)
        raise ModelRangeError([Problem(fields, f"out of range for any solver: {fatal.message}; "
                                       "check these fields for a value far smaller or "
                                       "larger than the rest, or rescale the scenario's "
                                       "units")], scenario.name)
    doubt = find_problem(arrays, report)
    if doubt is not None:
        fields = model.source_of(doubt.family)
        note = f"numerically doubtful: {doubt.message}" + (f" (from {fields})" if fields else "")
        notes.append(note)
        if warn:
            log.warning("%s", note)


def _interrupted(model: RunModel[CompiledT, FormulationT, PlanT, EvaluationT],
                 scenario: Scenario, comp: CompiledT, formulation: FormulationT,
                 start: Start | None, clock: _Clock, started: str, input_hash: str | None,
                 notes: list[str], ctx: Context) -> RunInterrupted:
    """A Ctrl-C during a solve: the record of a run stopped by ``interrupt``, with the
    start heuristic's plan when it is one of the full model."""
    backend = ctx.backend
    outcome = failure(Status.LIMIT, clock.timings.get("solve", 0.0), backend.name,
                      backend.version(), "interrupted by the user")
    outcome = replace(with_start(outcome, start), stopped_by=Stop.INTERRUPT)
    outcome = _full_plan_only(model, formulation, outcome)
    return RunInterrupted(_record(model, scenario, comp, formulation, outcome, start, clock,
                                  ctx.options, started, input_hash, notes, ctx,
                                  interrupted=True))


MAX_COMPLETIONS = 4  # solves again with the rows a plan broke; then with every row


def _complete(model: RunModel[Any, FormulationT, Any, Any], formulation: FormulationT,
              outcome: SolveOutcome, start: Start | None, ctx: Context, clock: _Clock,
              notes: list[str]) -> tuple[SolveOutcome, FormulationT]:
    """The solve's plan read against the rows the formulation left out to check on the
    plan (:meth:`RunModel.complete`): kept (or repaired) when it meets them, else the
    formulation with the rows it broke is solved again within the time left, up to
    ``MAX_COMPLETIONS`` times, the last with every row, from the start heuristic's plan
    when it has one of the full model. Each formulation relaxes the full model, so the
    best bound of the solves stays valid; a solve again gets it as its objective
    target, and a plan within the run's gap of it is proven optimal. When the time is
    up first, the start's plan is what is reported (else the model's fallback)."""
    gap = ctx.options.mip_gap
    known = None if start is None else model.full_start(formulation, start)
    if known is not None and known.x is None:
        known = None
    for attempt in range(MAX_COMPLETIONS + 1):
        if not outcome.status.has_solution or outcome.x is None:
            return outcome, formulation
        done = model.complete(formulation, outcome.x, final=attempt == MAX_COMPLETIONS)
        if done.formulation is None:
            if done.message:
                notes.append(done.message)
            return _with_plan(outcome, formulation, done.x), formulation
        formulation = done.formulation
        notes.append(done.message)
        if ctx.budget.expired:
            again = replace(outcome, status=Status.LIMIT, x=None, objective=None, gap=None,
                            stopped_by=Stop.TIME, message=f"{outcome.message}; no time left "
                            "to solve again")
        else:
            with clock.stage("solve"):
                again = ctx.backend.solve(
                    formulation.model, ctx.options_within(None),
                    start=None if known is None else known.x,
                    target=objective_target(outcome.bound, gap))
            again = replace(again, solve_seconds=outcome.solve_seconds + again.solve_seconds)
        bounds = [b for b in (outcome.bound, again.bound) if b is not None]
        best = max(bounds) if bounds else None
        outcome = with_start(replace(again, bound=best),
                             Start(None if known is None else known.x,
                                   None if known is None else known.objective, best, 0.0),
                             gap)
    return outcome, formulation  # pragma: no cover - the last attempt has every row


def _with_plan(outcome: SolveOutcome, formulation: HasModel, x: FloatArray | None
               ) -> SolveOutcome:
    """``outcome`` with the plan ``x`` (a repair of its own) and that plan's objective."""
    if x is None or x is outcome.x:
        return outcome
    m = formulation.model
    objective = float(m.col_cost @ x + m.offset)
    return replace(outcome, x=x, objective=objective,
                   gap=relative_gap(objective, outcome.bound))


def _full_plan_only(model: RunModel[Any, FormulationT, Any, Any], formulation: FormulationT,
                    outcome: SolveOutcome) -> SolveOutcome:
    """An interrupted run's outcome with its plan only if that is a plan of the full
    model (:meth:`RunModel.complete`, perhaps repaired); else without a plan."""
    if outcome.x is None:
        return outcome
    done = model.complete(formulation, outcome.x)
    if done.formulation is None and done.x is not None:
        return _with_plan(outcome, formulation, done.x)
    return replace(outcome, status=Status.LIMIT, x=None, objective=None, gap=None,
                   message=f"{outcome.message}; its plan breaks a row checked on the plan")


def _second_opinion(model: RunModel[Any, Any, Any, Any], formulation: Any, backend: Backend,
                    ctx: Context, outcome: SolveOutcome, clock: _Clock,
                    notes: list[str]) -> SolveOutcome:
    """An "infeasible" answer is never taken on one solve: the model is solved again
    with the backend's cautious settings (HiGHS: without presolve, which has been
    wrong). A plan found then wins (with a note). If it says infeasible again but the
    model has a plan known to exist (its fallback, verified against every row), the run
    is an error, never an infeasible verdict."""
    current = ctx.options_within(None)
    cautious = backend.cautious(current)
    again = outcome
    if cautious != current:
        with clock.stage("solve"):
            again = backend.solve(formulation.model, cautious)
        again = replace(again, solve_seconds=outcome.solve_seconds + again.solve_seconds)
    if again.status != Status.INFEASIBLE:
        notes.append(f"{backend.name} first reported the model infeasible; solved again with "
                     f"its cautious settings: {again.status}")
        return again
    known = model.fallback(formulation)
    if known is None:
        return again
    return failure(Status.ERROR, again.solve_seconds, backend.name, backend.version(),
                   f"{backend.name} reported the model infeasible, but a plan exists "
                   f"({known.message}): a solver error; try another --solver")


def _record(model: RunModel[CompiledT, FormulationT, PlanT, EvaluationT], scenario: Scenario,
            comp: CompiledT, formulation: FormulationT, outcome: SolveOutcome,
            start: Start | None, clock: _Clock, opts: SolveOptions, started: str,
            input_hash: str | None, notes: list[str], ctx: Context, *,
            interrupted: bool = False) -> RunRecord[PlanT, EvaluationT]:
    """Decode, evaluate, follow up and tabulate an outcome into the record."""
    plan: PlanT | None = None
    evaluation: EvaluationT | None = None
    extra: dict[str, Any] = {}
    if outcome.status.has_solution and outcome.x is not None:
        with clock.stage("decode"):
            plan = model.decode(formulation, outcome.x)
        with clock.stage("evaluate"):
            evaluation = model.evaluate(scenario, plan)
        if not interrupted:
            with clock.stage("follow_up"):
                extra, more = model.follow_up(formulation, outcome.x, ctx)
            notes.extend(more)
    with clock.stage("tables"):
        tables = model.tables(scenario, plan, evaluation, extra)
        metrics = model.metrics(plan, evaluation)
    m = formulation.model
    return RunRecord(
        model=model.name, variant=model.variant, scenario_name=scenario.name,
        input_hash=input_hash or hash_scenario(scenario), currency=scenario.currency,
        status=outcome.status, stopped_by=outcome.stopped_by, objective=outcome.objective,
        bound=outcome.bound, gap=outcome.gap, timings=dict(clock.timings),
        solver=outcome.solver, solver_version=outcome.solver_version,
        options=opts.as_dict(), procure_version=procure_version(), started_at=started,
        ended_at=_now(), model_size=(m.num_cols, m.num_rows, m.num_nonzeros),
        message="; ".join(m for m in (outcome.message, start.message if start else "") if m),
        plan=plan, evaluation=evaluation, start=start,
        metrics=metrics, tables=tables,
        metric_units={k: u.replace(CURRENCY, scenario.currency)
                      for k, u in model.metric_units.items()},
        follow_up=extra, notes=tuple(notes),
    )

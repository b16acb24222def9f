"""The run skeleton on a scripted backend: limits, interrupts, failures, starts, budget.

:class:`ScriptedBackend` stands in for a solver. It solves the model for real with
HiGHS when it needs a genuine incumbent (so every plan it returns is a plan the
evaluator can check), then reports whatever the test scripts: a time limit, an
interrupt, a crash, a refusal. Every record with a plan is checked by the evaluator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import forced_idle_cflp

from procure.backends import Backend, Capabilities, SolveOptions, SolveOutcome, Status, Stop
from procure.backends.highs import HighsBackend
from procure.errors import ModelRangeError
from procure.io import load_scenario
from procure.lp.model import FloatArray, ModelArrays
from procure.procurement.compile import compile_scenario
from procure.procurement.evaluate import evaluate
from procure.procurement.formulation import FormulationOptions
from procure.procurement.plan import decode
from procure.procurement.solve import ProcurementModel
from procure.run import RunInterrupted, RunRecord, run
from procure.run.model import Budget, Context, Start, objective_target
from procure.run.pipeline import _Clock, _complete, with_start
from procure.schema import Scenario

TUTORIAL = Path(__file__).resolve().parents[2] / "datasets" / "tutorial.yaml"


@dataclass
class ScriptedBackend(Backend):
    """A backend whose outcome a test scripts (``script`` gets the true outcome)."""

    script: Callable[[SolveOutcome], SolveOutcome]
    raises: BaseException | None = None
    only_with_start: bool = False  # script only the solve given a MIP start (the main one)
    real: bool = True  # solve for real first (False: the script needs no true outcome)
    calls: list[SolveOptions] = field(default_factory=list)
    starts: list[FloatArray | None] = field(default_factory=list)
    targets: list[float | None] = field(default_factory=list)

    name = "highs"  # reuses the highs namespace of the options
    capabilities = Capabilities(mip=True, continuous=True, warm_start=True, interrupt=True)
    distribution = probe = "highspy"

    def solve(self, model: ModelArrays, options: SolveOptions, *,
              start: FloatArray | None = None, target: float | None = None) -> SolveOutcome:
        self.calls.append(options)
        self.starts.append(start)
        self.targets.append(target)
        true = (HighsBackend().solve(model, replace(options, time_limit=None)) if self.real
                else SolveOutcome(Status.ERROR, None, None, None, None, 0.0, "highs", "x"))
        if self.only_with_start and start is None:
            return true  # a start heuristic's sub-solve
        if self.raises is not None:
            raise self.raises
        return self.script(true)


def at_limit(stop: Stop) -> Callable[[SolveOutcome], SolveOutcome]:
    """The true optimum reported as an incumbent at a limit, with a weaker bound."""
    def f(out: SolveOutcome) -> SolveOutcome:
        assert out.objective is not None
        bound = out.objective * 0.5
        return replace(out, status=Status.FEASIBLE, bound=bound, gap=0.5, stopped_by=stop,
                       message=f"{stop} limit")
    return f


def nothing(out: SolveOutcome) -> SolveOutcome:
    return SolveOutcome(Status.LIMIT, None, None, 10.0, None, 1.0, "highs", "x",
                        "time limit", stopped_by=Stop.TIME)


@pytest.fixture(scope="module")
def tutorial() -> Scenario:
    return load_scenario(TUTORIAL)


def checked(rec: RunRecord[Any, Any]) -> RunRecord[Any, Any]:
    """A record with a plan: the evaluator accepts it and agrees on the objective."""
    assert rec.evaluation is not None and rec.plan is not None
    assert rec.evaluation.feasible, [str(v) for v in rec.evaluation.violations]
    assert rec.objective == pytest.approx(rec.evaluation.objective, rel=1e-6)
    return rec


def test_time_limit_with_incumbent_is_feasible_never_optimal(tutorial: Scenario) -> None:
    b = ScriptedBackend(at_limit(Stop.TIME))
    rec = checked(run(ProcurementModel(warm_start=False), tutorial, solver=b,
                      options=SolveOptions(time_limit=30)))
    assert rec.status == Status.FEASIBLE and rec.stopped_by == Stop.TIME
    assert rec.gap == pytest.approx(0.5)
    assert rec.summary()["status"] == "feasible"
    assert rec.summary()["stopped_by"] == "time"
    assert set(rec.timings) >= {"compile", "build", "solve", "decode", "evaluate", "tables"}


def test_limit_without_incumbent_in_strict_mode_has_no_plan(tutorial: Scenario) -> None:
    """Strict mode has no trivial plan: a limit with nothing found is status limit."""
    rec = run(ProcurementModel(warm_start=False, formulation=FormulationOptions(strict=True)),
              tutorial, solver=ScriptedBackend(nothing))
    assert rec.status == Status.LIMIT and rec.stopped_by == Stop.TIME
    assert rec.plan is None and rec.evaluation is None and rec.feasible is None
    assert rec.bound == 10.0
    assert all(df.empty for df in rec.tables.values())
    assert rec.metrics["total_cost"] is None
    assert "decode" not in rec.timings


def test_limit_without_incumbent_reports_the_trivial_plan(tutorial: Scenario) -> None:
    """Outside strict mode a plan always exists (buy nothing, all short): reported with
    the solver's bound and its gap, never 'no plan'."""
    rec = checked(run(ProcurementModel(warm_start=False), tutorial,
                      solver=ScriptedBackend(nothing)))
    assert rec.status == Status.FEASIBLE and rec.stopped_by == Stop.TIME
    assert rec.plan is not None and rec.plan.launches == () and rec.plan.purchases == ()
    assert rec.evaluation is not None
    assert rec.evaluation.shortfall_units == pytest.approx(float(
        sum(r.quantity for r in tutorial.requirements)))
    assert rec.bound == 10.0 and rec.gap is not None and rec.gap > 0.9
    assert any("nothing bought" in n for n in rec.notes)


def test_movements_limit_without_incumbent_reports_the_trivial_plan() -> None:
    from procure.logistics.solve import MovementModel

    s = load_scenario(Path(__file__).resolve().parents[2] / "datasets" / "reinforcement.yaml")
    rec = run(MovementModel(use_start=False, prices=False), s,
              solver=ScriptedBackend(nothing, real=False))
    checked(rec)
    assert rec.status == Status.FEASIBLE and rec.evaluation is not None
    assert rec.evaluation.short_tons == pytest.approx(float(rec.evaluation.closure.tons.sum()))


def test_interrupt_returned_by_the_solver_keeps_the_incumbent(tutorial: Scenario) -> None:
    """A solver that stops on the user's request returns its incumbent: the run stops
    too (RunInterrupted, a KeyboardInterrupt), carrying the plan, evaluated."""
    with pytest.raises(RunInterrupted) as info:
        run(ProcurementModel(warm_start=False), tutorial,
            solver=ScriptedBackend(at_limit(Stop.INTERRUPT)))
    rec = checked(info.value.record)
    assert rec.status == Status.FEASIBLE and rec.stopped_by == Stop.INTERRUPT


def test_ctrl_c_during_the_solve_raises_with_the_record(tutorial: Scenario) -> None:
    b = ScriptedBackend(nothing, raises=KeyboardInterrupt())
    with pytest.raises(RunInterrupted) as info:
        run(ProcurementModel(warm_start=False), tutorial, solver=b)
    rec = info.value.record
    assert rec.status == Status.LIMIT and rec.stopped_by == Stop.INTERRUPT
    assert rec.plan is None and "interrupted" in rec.message
    assert isinstance(info.value, KeyboardInterrupt)  # a caller's Ctrl-C handler still fires


def test_a_backend_that_raises_becomes_an_error_record(tutorial: Scenario) -> None:
    b = ScriptedBackend(nothing, raises=RuntimeError("segfault avoided"))
    rec = run(ProcurementModel(warm_start=False), tutorial, solver=b)
    assert rec.status == Status.ERROR and rec.stopped_by == Stop.FAILURE
    assert "RuntimeError: segfault avoided" in rec.message
    assert rec.plan is None


def test_solver_failure_outcome(tutorial: Scenario) -> None:
    def fail(out: SolveOutcome) -> SolveOutcome:
        return SolveOutcome(Status.ERROR, None, None, None, None, 0.1, "highs", "x",
                            "numerical trouble", stopped_by=Stop.FAILURE)
    rec = run(ProcurementModel(warm_start=False), tutorial, solver=ScriptedBackend(fail))
    assert rec.status == Status.ERROR and rec.stopped_by == Stop.FAILURE
    assert rec.message == "numerical trouble"


def test_a_refused_model_is_never_solved(tutorial: Scenario) -> None:
    b = ScriptedBackend(nothing)
    b.capabilities = Capabilities(mip=False)  # type: ignore[misc]
    rec = run(ProcurementModel(warm_start=False), tutorial, solver=b)
    assert rec.status == Status.ERROR and "integer" in rec.message
    assert b.calls == []


def test_refused_solver_options_are_named_before_any_solve(tutorial: Scenario) -> None:
    rec = run(ProcurementModel(), tutorial, solver="highs",
              options=SolveOptions(solver_options={"highs": {"no_such_option": 1}}))
    assert rec.status == Status.ERROR and "no_such_option" in rec.message
    assert rec.timings.get("solve", 0.0) == 0.0


def test_the_start_is_model_data_and_its_plan_wins_when_better(tutorial: Scenario) -> None:
    """The start heuristic runs (warm_start=True) and its plan reaches the backend as
    ``start``; when the solve then stops with nothing, the start's plan is reported."""
    b = ScriptedBackend(nothing, only_with_start=True)
    rec = run(ProcurementModel(warm_start=True), tutorial, solver=b,
              options=SolveOptions(time_limit=60))
    assert rec.start is not None and rec.start.x is not None
    assert b.starts[-1] is not None and np.array_equal(b.starts[-1], rec.start.x)
    checked(rec)
    assert rec.status == Status.FEASIBLE and rec.objective == rec.start.objective
    assert "start heuristic" in rec.message
    assert rec.timings["start"] > 0


def test_the_start_bound_is_the_main_solve_target(tutorial: Scenario) -> None:
    """The main solve is told the start's bound as its objective target (it may stop at
    the first plan within the run's gap of it)."""
    b = ScriptedBackend(lambda out: out, only_with_start=True)
    rec = checked(run(ProcurementModel(warm_start=True), tutorial, solver=b,
                      options=SolveOptions(time_limit=60, mip_gap=1e-4)))
    assert rec.start is not None and rec.start.bound is not None
    assert b.targets[-1] == pytest.approx(objective_target(rec.start.bound, 1e-4))
    assert b.targets[-1] >= rec.start.bound


@pytest.mark.parametrize(("start_bound", "gap", "status", "stop"), [
    (100.0 - 1e-5, 1e-6, Status.OPTIMAL, Stop.GAP),  # the start's bound proves the plan
    (100.0 - 1e-5, None, Status.FEASIBLE, Stop.ITERATIONS),  # no gap given: no verdict
    (90.0, 1e-6, Status.FEASIBLE, Stop.ITERATIONS),  # 10 % apart: not proven
    (None, 1e-6, Status.FEASIBLE, Stop.ITERATIONS),  # no bound from the start
])
def test_a_plan_at_the_start_bound_is_proven_optimal(
        start_bound: float | None, gap: float | None, status: Status, stop: Stop) -> None:
    """A solve stopped at its objective target (or any limit) whose plan is within the
    run's gap of the start's bound is optimal; the solver's own weaker bound is not
    what decides."""
    out = SolveOutcome(Status.FEASIBLE, np.zeros(2), 100.0, 50.0, 0.5, 1.0, "highs", "x",
                       "objective target", stopped_by=Stop.ITERATIONS)
    merged = with_start(out, Start(None, None, start_bound, 0.1), gap)
    assert merged.status == status and merged.stopped_by == stop
    assert merged.objective == 100.0
    assert merged.bound == (50.0 if start_bound is None else max(50.0, start_bound))


def test_a_solve_without_a_plan_keeps_the_start_bound() -> None:
    """No plan from the start nor from the solve: the start's bound is still the run's,
    and the fallback plan reported later is read against it."""
    out = SolveOutcome(Status.LIMIT, None, None, None, None, 1.0, "highs", "x", "limit",
                       stopped_by=Stop.TIME)
    merged = with_start(out, Start(None, None, 40.0, 0.1), 1e-6)
    assert merged.status == Status.LIMIT and merged.bound == 40.0 and merged.gap is None
    fallback = with_start(merged, Start(np.zeros(2), 100.0, None, 0.0))
    assert fallback.status == Status.FEASIBLE and fallback.objective == 100.0
    assert fallback.bound == 40.0 and fallback.gap == pytest.approx(0.6)


def forced_idle() -> ProcurementModel:
    """W3 of :func:`conftest.forced_idle_cflp` forced open: without its row (4) (checked
    on the plan, models/procurement.md 11.7) the first plan buys nothing from it."""
    return ProcurementModel(warm_start=False,
                            formulation=FormulationOptions(force_launch=("W3",)))


def test_a_plan_breaking_a_row_left_out_is_solved_again() -> None:
    """The complete stage: the first solve's plan breaks a row (4) left out, so the
    formulation with that row is solved again, told the first solve's bound as its
    target; the record's plan is the second's and its model the one solved last."""
    seen: list[SolveOutcome] = []

    def keep(out: SolveOutcome) -> SolveOutcome:
        seen.append(out)
        return out

    b = ScriptedBackend(keep)
    rec = checked(run(forced_idle(), forced_idle_cflp(), solver=b,
                      options=SolveOptions(mip_gap=1e-9)))
    assert len(b.calls) == 2 and b.targets[0] is None
    assert seen[0].bound is not None
    assert b.targets[1] == pytest.approx(objective_target(seen[0].bound, 1e-9))
    assert rec.status == Status.OPTIMAL and rec.objective == pytest.approx(seen[1].objective)
    assert rec.objective > seen[0].objective  # the row costs: 0.005 units at 100 a unit
    assert rec.model_size[1] == seen_rows(forced_idle(), with_row=True)
    assert any("solved again" in n for n in rec.notes)


def seen_rows(model: ProcurementModel, *, with_row: bool) -> int:
    from procure.procurement.compile import compile_scenario

    f = model.build(compile_scenario(forced_idle_cflp()))
    return f.model.num_rows + (1 if with_row else 0)


def test_no_time_to_solve_again_reports_the_start_plan() -> None:
    """When the time is up before the solve again, the start heuristic's plan (one of
    the full model) is what the run reports, with the first solve's bound, not the
    fallback of buying nothing."""
    model = forced_idle()
    scenario = forced_idle_cflp()
    f = model.build(compile_scenario(scenario))
    first = HighsBackend().solve(f.model, SolveOptions(mip_gap=1e-9))
    assert first.x is not None and model.complete(f, first.x).formulation is not None
    full = HighsBackend().solve(model.complete(f, first.x, final=True).formulation.model,
                                SolveOptions(mip_gap=1e-9))
    assert full.x is not None and full.objective is not None
    start = Start(full.x, full.objective + 1.0, None, 0.1)  # a (slightly worse) plan
    ctx = Context(HighsBackend(), SolveOptions(mip_gap=1e-9), Budget(0.0), scenario)
    notes: list[str] = []
    out, g = _complete(model, f, first, start, ctx, _Clock("test"), notes)
    assert out.status == Status.FEASIBLE and out.x is full.x
    assert evaluate(scenario, decode(g, out.x)).feasible  # the reported plan, checked
    assert out.objective == full.objective + 1.0 and out.bound == first.bound
    assert "no time left" in out.message and any("solved again" in n for n in notes)
    assert g.options.min_run_rows is not None and g.model.num_rows == f.model.num_rows + 1


def test_an_interrupted_plan_that_breaks_a_row_left_out_is_not_reported() -> None:
    """A solver stopped by the user with a plan that breaks a row (4) left out: that is
    no plan of the model, so the interrupted record has none (and no objective)."""
    with pytest.raises(RunInterrupted) as info:
        run(forced_idle(), forced_idle_cflp(), solver=ScriptedBackend(at_limit(Stop.INTERRUPT)))
    rec = info.value.record
    assert rec.status == Status.LIMIT and rec.stopped_by == Stop.INTERRUPT
    assert rec.plan is None and rec.objective is None
    assert "breaks a row checked on the plan" in rec.message


def test_one_budget_for_the_whole_run(tutorial: Scenario) -> None:
    """The main solve gets the time the stages before it left, never the full limit."""
    b = ScriptedBackend(lambda out: out)
    rec = checked(run(ProcurementModel(warm_start=True), tutorial, solver=b,
                      options=SolveOptions(time_limit=50)))
    main = b.calls[-1]
    assert main.time_limit is not None
    used = rec.timings["compile"] + rec.timings["build"] + rec.timings.get("start", 0.0)
    assert main.time_limit <= 50 - used + 1e-6
    assert rec.options["time_limit"] == 50  # the options as given


def test_record_summary_matches_its_schema(tutorial: Scenario) -> None:
    from procure.run import RunSummary

    rec = checked(run(ProcurementModel(), tutorial))
    summary = rec.summary()
    RunSummary.model_validate(summary)
    assert summary["procure_version"] and summary["started_at"] <= summary["ended_at"]
    assert summary["metric_units"]["total_cost"] == tutorial.currency
    assert summary["seed"] == 0 and summary["threads"] == 1


def test_infeasible_is_never_taken_on_one_solve() -> None:
    """Found by the warnings' property test: HiGHS 1.13's presolve calls this valid
    scenario infeasible (a closed program whose cost-share floors allow no split); a
    plan always exists outside strict mode. The pipeline asks again without presolve."""
    s = load_scenario(Path(__file__).parent / "data" / "highs_presolve_infeasible.yaml")
    rec = checked(run(ProcurementModel(), s))
    assert rec.status == Status.OPTIMAL
    assert any("first reported the model infeasible" in n for n in rec.notes) or (
        not any("infeasible" in n for n in rec.notes))  # a fixed HiGHS needs no retry


def test_strict_infeasibility_is_confirmed_not_an_error(tutorial: Scenario) -> None:
    from procure.procurement.formulation import FormulationOptions

    d = tutorial.model_dump(mode="json")
    d["programs"] = [p for p in d["programs"] if p["id"] != "C-AMMO"]
    s = Scenario.model_validate(d)
    rec = run(ProcurementModel(formulation=FormulationOptions(strict=True)), s)
    assert rec.status == Status.INFEASIBLE


def _huge(unit_cost: float, quantity: float, budgets: dict[int, float] | None = None
          ) -> Scenario:
    """One member, one program: every field inside its documented range."""
    member: dict[str, Any] = {"id": "A", "gdp": 1}
    if budgets is not None:
        member["budgets"] = budgets
    return Scenario.model_validate({
        "name": "big", "horizon": {"first_year": 2026, "last_year": 2027},
        "members": [member], "capabilities": [{"id": "C"}],
        "programs": [{"id": "P", "capability": "C", "lead": "A", "nrc": {2026: unit_cost},
                      "unit_cost": unit_cost}],
        "requirements": [{"member": "A", "capability": "C", "quantity": quantity,
                          "by_year": 2027}]})


def test_a_model_no_solver_can_take_is_refused_naming_the_fields() -> None:
    """Valid fields whose derived shortfall penalty (1e21) HiGHS would read as infinite:
    a ModelRangeError naming the fields, before any solve."""
    backend = ScriptedBackend(lambda o: o, real=False)
    with pytest.raises(ModelRangeError) as err:
        run(ProcurementModel(), _huge(1e12, 1e9), solver=backend)
    text = str(err.value)
    assert "shortfall_penalty" in text and "'shortfall'" in text and "1e+21" in text
    assert len(err.value.problems) == 1 and backend.calls == []


def test_a_doubtful_model_is_solved_with_a_note() -> None:
    """A launch binary beside a 1e9-unit requirement: solved, evaluated, and noted."""
    rec = run(ProcurementModel(), _huge(1e3, 1e9, {2026: 1e-3, 2027: 1e12}))
    assert rec.evaluation is not None and rec.evaluation.feasible
    assert rec.status == Status.OPTIMAL
    assert any("numerically doubtful" in n and "requirements[].quantity" in n
               for n in rec.notes)
    assert "check" in rec.timings


@pytest.mark.parametrize("name", ["tutorial", "sample_alliance", "reinforcement"])
def test_bundled_datasets_pass_the_coefficient_check(name: str) -> None:
    """Every model built from a bundled dataset is inside the sound limits."""
    from procure.logistics.solve import MovementModel
    from procure.lp.numerics import check_coefficients

    scenario = load_scenario(TUTORIAL.parent / f"{name}.yaml")
    models: list[Any] = [ProcurementModel(), ProcurementModel(mode="alone")]
    if scenario.logistics is not None:
        models.append(MovementModel())
    for model in models:
        assert check_coefficients(model.build(model.compile(scenario)).model) is None


@pytest.mark.parametrize("name", ["sample_alliance", "reinforcement"])
def test_every_family_names_the_scenario_fields_it_comes_from(name: str) -> None:
    """What the coefficient check names when a family is out of range: no family of a
    bundled dataset's models is left without its fields."""
    from procure.logistics.solve import MovementModel
    from procure.lp.numerics import family_of

    scenario = load_scenario(TUTORIAL.parent / f"{name}.yaml")
    models: list[Any] = [ProcurementModel(), ProcurementModel(mode="alone")]
    if scenario.logistics is not None:
        models.append(MovementModel())
    for model in models:
        arrays = model.build(model.compile(scenario)).model
        for block in (*arrays.var_blocks, *arrays.row_blocks):
            assert model.source_of(family_of(block.name)), (model.name, block.name)

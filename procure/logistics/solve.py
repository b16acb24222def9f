"""The movement model in the run pipeline: its stages, ``solve`` and ``relax``.

:class:`MovementModel` plugs compile, build, the start heuristic (section 12 of
``models/logistics.md``), decode, the evaluator, the shadow prices around the plan
(section 11) and the tables into :func:`procure.run.run`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from procure.backends.base import Backend, SolveOptions, Status
from procure.backends.registry import get_backend, pick_backend
from procure.logistics import result
from procure.logistics.compile import Compiled, compile_scenario
from procure.logistics.evaluate import MovementEvaluation, evaluate
from procure.logistics.formulation import Formulation, build
from procure.logistics.plan import MovementPlan, decode
from procure.logistics.result import ShadowPrice
from procure.logistics.start import movement_start
from procure.lp.model import FloatArray, ModelArrays
from procure.run.model import Budget, Context, RunModel, Start, trivial_start
from procure.run.pipeline import run
from procure.run.record import RunRecord
from procure.schema.scenario import Scenario

START_SHARE = 0.5  # of the time left the start heuristic may use
START_SECONDS = 60.0  # ... and its budget when the run has no time limit
IPM_FROM_NONZEROS = 300_000  # LPs this large go to HiGHS' interior point method
# ... and the start heuristic stops paying: its dive re-solves the LP by simplex
START_MAX_NONZEROS = IPM_FROM_NONZEROS

MovementRecord = RunRecord[MovementPlan, MovementEvaluation]


def lp_method(model: ModelArrays, *, duals: bool = False) -> dict[str, Any]:
    """HiGHS options for an LP of the movement model, chosen by measurement
    (models/logistics.md, section 12): dual simplex below ``IPM_FROM_NONZEROS``
    nonzeros, the interior point method above, with crossover only when row duals are
    wanted (a vertex gives clean shadow prices; without crossover the IPM stops at its
    tolerance, 1e-8 relative). They go in the ``highs`` namespace of the solver
    options, so other backends never see them."""
    if model.num_nonzeros < IPM_FROM_NONZEROS:
        return {}
    return {"solver": "ipm", "run_crossover": "on" if duals else "off"}


def shadow_prices(mm: Formulation, x: FloatArray, backend: Backend,
                  options: SolveOptions) -> dict[tuple[str, str], ShadowPrice]:
    """Marginal value of one more unit of each capacity (ton/day, vehicle, landing...),
    the largest over the days it binds, as (money, service): the row duals of the two
    LPs around the plan of :func:`procure.explain.marginal.around_plan` ((E4): money at
    the plan's lateness and shortfall; (E5): the lateness and shortfall penalty at the
    plan's money), where flows are re-optimised and sorties may be added to the plan's
    (fractionally) but not removed, with the range of the capacity over which the value
    of the day shown holds. A linear estimate: a whole extra sortie may be worth more or
    less. ``backend`` must compute ranging (section 11)."""
    from procure.explain.marginal import around_plan

    m = mm.model
    penalty = np.zeros(m.num_cols, dtype=np.bool_)
    for name in ("deliver", "short"):
        penalty[m.block(name).index] = True
    lp_options = options.with_solver_options("highs", **lp_method(m, duals=True))
    around = around_plan(m, x, fixed=np.zeros(m.num_cols, dtype=np.bool_), penalty=penalty,
                         backend=backend, options=lp_options, lower_only=m.integrality)
    if around.money is None and around.service is None:  # not solved within the limit
        return {}
    zero = np.zeros(m.num_rows)
    money = -around.money.row_dual if around.money is not None else zero
    service = -around.service.row_dual if around.service is not None else zero
    prices: dict[tuple[str, str], ShadowPrice] = {}
    for fam in mm.capacities:
        first = fam.first_row
        for k, res in enumerate(fam.resource):
            row = first + k
            vm, vs = max(float(money[row]), 0.0), max(float(service[row]), 0.0)
            if vm <= 1e-9 and vs <= 1e-9:
                continue
            key = (res, fam.kind)
            old = prices.get(key)
            # the day shown: the dearest in money, else in service
            by = around.money if vm > 1e-9 or around.service is None else around.service
            if old is None or (vm, vs) > (old.money, old.service):
                assert by is not None
                prices[key] = ShadowPrice(vm, max(vs, old.service if old else 0.0),
                                          int(fam.day[k]), float(by.rhs_low[row]),
                                          float(by.rhs_high[row]))
            else:
                prices[key] = old._replace(service=max(old.service, vs))
    return prices


@dataclass(frozen=True)
class MovementModel(RunModel[Compiled, Formulation, MovementPlan, MovementEvaluation]):
    """The time-expanded movement MILP of ``models/logistics.md`` as a pipeline model.

    With ``start`` (the default), a backend that takes a MIP start gets one from
    :func:`~procure.logistics.start.movement_start` on models below
    ``START_MAX_NONZEROS`` nonzeros (larger LPs are too slow to dive on), within half
    of the time left (60 s without a limit). ``prices``: the shadow prices of the
    capacities around the plan (needs a backend with duals)."""

    use_start: bool = True
    prices: bool = True

    name = "logistics"
    variant = "movements"
    tables_spec = result.SPECS
    metric_units = result.METRIC_UNITS
    sources = MappingProxyType({  # families of models/logistics.md sections 4 and 6
        "flow": "logistics.links[].cost_per_ton, logistics.items[].unit_tons, "
                "logistics.modes.*.cost_per_ton_km",
        "sorties": "logistics.lift[].cost_per_sortie, logistics.lift[].payload_tons",
        "draw": "logistics.cross_servicing[].price_per_unit, logistics.stocks[].quantity",
        "short": "logistics.shortfall_penalty_per_ton, logistics.movements[].quantity",
        "deliver": "logistics.late_penalty_per_ton_day",
        "hold": "logistics.locations[].storage_tons",
        "(1) conservation": "logistics.stocks[].quantity, logistics.movements[].quantity",
        "(5b) throughput share": "logistics.basing_rights[].max_share",
        "(6b) storage share": "logistics.basing_rights[].max_share",
        "(2) demand": "logistics.movements[].quantity",
        "(3) stock": "logistics.stocks[].quantity",
        "(4) link capacity": "logistics.links[].capacity_tons_per_day, "
                             "logistics.items[].unit_tons",
        "(5) throughput": "logistics.locations[].throughput_tons_per_day",
        "(6) storage": "logistics.locations[].storage_tons",
        "(7) lift payload": "logistics.lift[].payload_tons, logistics.items[].unit_tons",
        "(7b) movement payload": "logistics.lift[].payload_tons, logistics.items[].unit_tons",
        "(8) fleet": "logistics.lift[].available, logistics.lift[].sorties_per_day",
        "(9) entitlement": "logistics.lift[].entitlements",
        "(10) MOG departures": "logistics.locations[].mog",
        "(10) MOG landings": "logistics.locations[].mog",
    })

    def compile(self, scenario: Scenario) -> Compiled:
        return compile_scenario(scenario)

    def build(self, compiled: Compiled) -> Formulation:
        return build(compiled)

    def wants_start(self, formulation: Formulation, backend: Backend) -> bool:
        return self.use_start and formulation.model.num_nonzeros < START_MAX_NONZEROS

    def start(self, formulation: Formulation, context: Context
              ) -> tuple[Start | None, Formulation]:
        opts = context.options
        found = movement_start(formulation, context.backend,
                               time_limit=context.budget.share(START_SHARE, START_SECONDS),
                               threads=opts.threads, seed=opts.seed, mip_gap=opts.mip_gap)
        return (found if found.x is not None or found.bound is not None else None), formulation
    def decode(self, formulation: Formulation, x: FloatArray) -> MovementPlan:
        return decode(formulation, x)

    def fallback(self, formulation: Formulation) -> Start | None:
        """Move nothing, every movement short: always a plan of the model ((2) takes the
        shortfall s = q, every other row holds at 0)."""
        return trivial_start(formulation.model, formulation.short.index,
                             formulation.compiled.mv_qty, "nothing moved, every movement short")

    def evaluate(self, scenario: Scenario, plan: MovementPlan) -> MovementEvaluation:
        return evaluate(scenario, plan)

    def follow_up(self, formulation: Formulation, x: FloatArray, context: Context
                  ) -> tuple[dict[str, Any], tuple[str, ...]]:
        """Section 11: shadow prices of the capacities, from a backend with duals (the
        run's when it has them), within the time the solve left."""
        if not self.prices:
            return {}, ()
        backend = pick_backend("ranging", prefer=context.backend.name)
        if backend is None:
            return {}, ("no shadow prices: no installed solver gives LP duals and ranging",)
        if context.budget.expired:
            return {}, ("no shadow prices: the time limit was used up by the solve",)
        notes: tuple[str, ...] = ()
        if backend.name != context.backend.name:
            notes = (f"shadow prices from {backend.name}: {context.backend.name} gives no "
                     "LP ranging",)
        prices = shadow_prices(formulation, x, backend, context.options_within(None))
        return {"prices": prices}, notes

    def tables(self, scenario: Scenario, plan: MovementPlan | None,
               evaluation: MovementEvaluation | None, follow_up: Mapping[str, Any]
               ) -> dict[str, pd.DataFrame]:
        return result.tables(scenario, plan, evaluation, follow_up.get("prices", {}))

    def metrics(self, plan: MovementPlan | None, evaluation: MovementEvaluation | None
                ) -> dict[str, float | None]:
        return result.metrics(evaluation)


def solve(scenario: Scenario, *, solver: str | Backend = "highs",
          options: SolveOptions | None = None,
          start: bool = True, budget: Budget | None = None) -> MovementRecord:
    """Plan the scenario's movements through the run pipeline; build and solve timed
    separately; the plan read back is replayed by the independent evaluator."""
    return run(MovementModel(use_start=start), scenario, solver=solver, options=options,
               budget=budget)


@dataclass(frozen=True)
class RelaxationResult:
    """The LP relaxation of the movement model (sorties fractional): its optimum is a
    lower bound on every plan's objective."""

    scenario_name: str
    status: Status
    objective: float | None
    build_seconds: float
    solve_seconds: float
    solver: str
    solver_version: str
    message: str
    options: dict[str, Any]  # the HiGHS options the LP was solved with
    model_size: tuple[int, int, int]
    x: FloatArray | None = field(default=None, repr=False)


def relax(scenario: Scenario, *, solver: str = "highs",
          options: SolveOptions | None = None) -> RelaxationResult:
    """Solve the LP relaxation of the movement model; with HiGHS by the method of
    :func:`lp_method` unless ``options`` name one in their ``highs`` namespace."""
    opts = options or SolveOptions()
    t0 = time.perf_counter()
    mm = build(compile_scenario(scenario))
    lp = replace(mm.model, integrality=np.zeros_like(mm.model.integrality))
    build_seconds = time.perf_counter() - t0
    opts = opts.with_solver_options("highs", **lp_method(lp))
    out = get_backend(solver).solve(lp, opts)
    return RelaxationResult(
        scenario_name=scenario.name, status=out.status, objective=out.objective,
        build_seconds=build_seconds, solve_seconds=out.solve_seconds, solver=out.solver,
        solver_version=out.solver_version, message=out.message,
        options=opts.for_solver("highs"),
        model_size=(lp.num_cols, lp.num_rows, lp.num_nonzeros), x=out.x)

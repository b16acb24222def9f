"""The procurement model in the run pipeline: its stages, and ``solve``.

:class:`ProcurementModel` plugs compile, build, the start heuristic, decode, the
evaluator and the tables of the procurement MILP into :func:`procure.run.run`; the
pipeline does the rest (backend, budget, timings, record). One class serves the joint
plan, the go-alone baseline (``mode="alone"``) and the like-for-like solve (formulation
options with a shortfall allowance).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from procure.backends.base import Backend, SolveOptions
from procure.backends.registry import pick_backend
from procure.lp.model import FloatArray
from procure.procurement import min_run, result
from procure.procurement.compile import Compiled, Mode, compile_scenario
from procure.procurement.evaluate import Evaluation, evaluate
from procure.procurement.formulation import Formulation, FormulationOptions, build
from procure.procurement.plan import Plan, decode
from procure.procurement.relaxation import applies as relaxation_applies
from procure.procurement.relaxation import relaxation_start
from procure.procurement.separation import applies as separation_applies
from procure.procurement.separation import separate_linking
from procure.procurement.start import (
    lagrangian_start,
    open_all_certificate,
    shortfall_bound,
)
from procure.run.model import Budget, Completion, Context, RunModel, Start, trivial_start
from procure.run.pipeline import run
from procure.run.record import RunRecord
from procure.schema.scenario import Scenario

START_SHARE = 0.2  # at most this share of the time left goes to the start heuristic
RELAXATION_SHARE = 0.8  # ... and this share to the relaxation start (section 11.5)
# warm_start=None: run the heuristic on models with this many purchase cells or more,
# and only when its restricted MIP keeps at most this share of the launches
AUTO_START_CELLS = 10_000
AUTO_CANDIDATE_SHARE = 1.0 / 3.0

ProcurementRecord = RunRecord[Plan, Evaluation]


@dataclass(frozen=True)
class ProcurementModel(RunModel[Compiled, Formulation, Plan, Evaluation]):
    """The procurement MILP of ``models/procurement.md`` as a run-pipeline model.

    ``warm_start=True`` runs the start heuristic of :mod:`procure.procurement.start`
    (section 11) and hands its plan to the solver as a MIP start, when the backend
    takes starts. ``None`` (the default) does so only where it paid off in the
    benchmarks: models with at least ``AUTO_START_CELLS`` purchase cells whose
    restricted MIP keeps at most a third of the launches. ``False`` never does. A start
    never changes the optimum, only how fast it is proven."""

    mode: Mode = "joint"
    formulation: FormulationOptions = field(default_factory=FormulationOptions)
    warm_start: bool | None = None
    # on models with tiered proportional shares, the relaxation start of section 11.5
    # (relaxed shares, then windows around its plan) instead of the Lagrangian start; False keeps
    # the Lagrangian start there too (the reference path of the benchmarks)
    relaxation: bool = True
    label: str = ""  # the variant's name when not the mode's ("like-for-like")
    # the rows (4) of launches with the default minimum run checked on the plan instead
    # of built (section 11.7); False builds them all (the reference path of the benchmarks)
    check_min_run: bool = True
    # what one more unit of each binding rule is worth (procure.explain.marginal), from
    # two LPs around the plan on a backend with ranging
    marginal: bool = False

    name = "procurement"
    tables_spec = result.SPECS
    metric_units = result.METRIC_UNITS
    sources = MappingProxyType({  # families of models/procurement.md sections 4 and 6
        "buy": "programs[].unit_cost, programs[].unit_cost_by_member, requirements[].quantity",
        "launch": "programs[].nrc",
        "shortfall": "shortfall_penalty, requirements[].quantity",
        "(1) requirement": "requirements[].quantity",
        "(2a) linking": "requirements[].quantity, programs[].capacity_per_year",
        "(3a) capacity": "programs[].capacity_per_year",
        "(3b) shared capacity": "programs[].capacity_per_year",
        "(4) min run": "programs[].min_production_run",
        "(8) budget": "members[].budgets, programs[].nrc, programs[].unit_cost",
        "(9) dependence": "members[].constraints.max_single_foreign_share",
        "(11) global balance": "members[].constraints.workshare.min_ratio, programs[].producers",
        "(12) aggregated capacity": "programs[].capacity_per_year",
        "(2b) need": "requirements[].quantity",
        "(5) min participants": "programs[].min_participants",
        "(6": "programs[].min_participants, requirements[].quantity",
        "(7a": "cost_share, programs[].cost_share, members[].gdp, programs[].nrc",
        "(7b": "cost_share.tolerance, programs[].cost_share, requirements[].quantity, "
               "programs[].nrc",
        "share": "programs[].nrc, cost_share", "join": "programs[].min_participants",
        "solo": "cost_share", "units": "requirements[].quantity",
        "pair units": "requirements[].quantity", "tier": "requirements[].quantity",
        "beta": "members[].constraints.workshare", "dominant": "programs[].nrc",
        "lambda": "cost_share",
    })

    @property
    def variant(self) -> str:  # type: ignore[override]
        return self.label or self.mode

    def compile(self, scenario: Scenario) -> Compiled:
        return compile_scenario(scenario, self.mode)

    def build(self, compiled: Compiled) -> Formulation:
        fo = self.formulation
        if self.check_min_run and fo.min_run_rows is None and min_run.applies(compiled):
            fo = replace(fo, min_run_rows=())  # (11.7) rows (4) checked on the plan
        return build(compiled, fo)

    def complete(self, formulation: Formulation, x: FloatArray, *, final: bool = False
                 ) -> Completion[Formulation]:
        """Section 11.7: the plan against every row (4) the formulation left out."""
        return min_run.complete(formulation, x, final=final)

    def wants_start(self, formulation: Formulation, backend: Backend) -> bool:
        if self.warm_start is None:
            return ((self.relaxation and relaxation_applies(formulation))
                    or formulation.buy.size >= AUTO_START_CELLS)
        return self.warm_start

    def start(self, formulation: Formulation, context: Context
              ) -> tuple[Start | None, Formulation]:
        """Section 11: the relaxation start of 11.5 on models with tiered proportional
        shares, else the Lagrangian start; and, when it (or a plan with every launch
        open) has no shortfall, the tighter rebuild with the shortfall bound (11.3); on
        large models without tiers, the linking rows (2a) by separation (11.6)."""
        f, opts = formulation, context.options
        auto = self.warm_start is None
        limited = context.budget.remaining() is not None
        relaxed = self.relaxation and relaxation_applies(f)
        if relaxed:
            limit = context.budget.share(RELAXATION_SHARE, default=0.0) if limited else None
            found = relaxation_start(f, context.backend, time_limit=limit,
                                     threads=opts.threads, seed=opts.seed, gap=opts.mip_gap)
        else:
            limit = context.budget.share(START_SHARE, default=0.0) if limited else None
            found = lagrangian_start(f, context.backend, time_limit=limit,
                                     threads=opts.threads, seed=opts.seed,
                                     max_candidate_share=AUTO_CANDIDATE_SHARE if auto else 1.0)
        found = self.full_start(f, found)  # (11.7) a plan of the full model only
        notes = [f"start heuristic: {found.message}"]
        bound = shortfall_bound(f, found)
        fo = f.options
        if bound is None and not (fo.strict or fo.shortfall_allowance is not None
                                  or fo.shortfall_prices is not None):
            # no clean start: a plan with every launch open still bounds shortfall
            left = None if limit is None else max(0.0, limit - found.seconds)
            certificate = self.full_start(f, open_all_certificate(
                f, context.backend, time_limit=left, threads=opts.threads, seed=opts.seed))
            notes.append(f"shortfall bound: {certificate.message}")
            bound = shortfall_bound(f, certificate)
        if bound is not None:
            # (11.3) every optimal plan is short by at most `bound` units: rebuild with
            # the tighter shortfall bounds and the pure knapsack rows (12')
            f = build(f.compiled, replace(fo, shortfall_bound=bound))
        if not relaxed and separation_applies(f):
            # (11.6) the (2a) rows the LP needs; the start's plan is a plan of either model
            left = context.budget.share(START_SHARE, default=0.0) if limited else None
            sep = separate_linking(f, context.backend, time_limit=left,
                                   threads=opts.threads, seed=opts.seed)
            notes.append(sep.message)
            if sep.formulation is not None:
                f = sep.formulation
        return replace(found, message="; ".join(notes)), f

    def decode(self, formulation: Formulation, x: FloatArray) -> Plan:
        return decode(formulation, x)

    def fallback(self, formulation: Formulation) -> Start | None:
        """Buy nothing, every requirement short: a plan of every elastic model (none in
        strict mode, none at a like-for-like level, whose shortfall is capped)."""
        fo = formulation.options
        if fo.strict or fo.shortfall_allowance is not None:
            return None
        cols, vals = formulation.shortfall.index, formulation.compiled.req_quantity
        if fo.shortfall_prices is not None and fo.shortfall_free is not None:
            excess = formulation.model.block("priced shortfall")  # (1p): e = s - free
            cols = np.concatenate([cols, excess.index])
            vals = np.concatenate([vals, np.maximum(
                vals - np.asarray(fo.shortfall_free, dtype=np.float64), 0.0)])
        return trivial_start(formulation.model, cols, vals,
                             "nothing bought, every requirement short")

    def follow_up(self, formulation: Formulation, x: FloatArray, context: Context
                  ) -> tuple[dict[str, Any], tuple[str, ...]]:
        """With ``marginal``: the marginal values of the binding rules
        (:func:`procure.explain.marginal.marginal_values`) within the time left."""
        if not self.marginal:
            return {}, ()
        from procure.explain.marginal import marginal_values

        backend = pick_backend("ranging", prefer=context.backend.name)
        if backend is None:
            return {}, ("no marginal values: no installed solver gives LP ranging",)
        if context.budget.expired:
            return {}, ("no marginal values: the time limit was used up by the solve",)
        scenario = context.scenario
        if scenario is None:  # pragma: no cover - the pipeline always sets it
            return {}, ()
        if formulation.options.min_run_rows is not None:
            # the LPs around the plan hold every rule of the scenario: every row (4) (11.7)
            formulation = build(formulation.compiled,
                                replace(formulation.options, min_run_rows=None))
        table = marginal_values(formulation, x, scenario, backend,
                                context.options_within(None))
        return {"marginal_values": table}, ()

    def evaluate(self, scenario: Scenario, plan: Plan) -> Evaluation:
        fo = self.formulation
        return evaluate(scenario, plan, strict=fo.strict, allowance=fo.shortfall_allowance)

    def tables(self, scenario: Scenario, plan: Plan | None, evaluation: Evaluation | None,
               follow_up: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
        tables = result.tables(scenario, plan, evaluation)
        if "marginal_values" in follow_up:
            tables["marginal_values"] = follow_up["marginal_values"]
        return tables

    def metrics(self, plan: Plan | None, evaluation: Evaluation | None
                ) -> dict[str, float | None]:
        return result.metrics(plan, evaluation)


def solve(
    scenario: Scenario,
    *,
    mode: Mode = "joint",
    solver: str | Backend = "highs",
    options: SolveOptions | None = None,
    formulation: FormulationOptions | None = None,
    warm_start: bool | None = None,
    compiled: Compiled | None = None,
    input_hash: str | None = None,
    label: str = "",
    budget: Budget | None = None,
    marginal: bool = False,
    relaxation: bool = True,
    check_min_run: bool = True,
) -> ProcurementRecord:
    """Plan procurement for ``scenario`` (``mode="alone"``: the go-alone baseline)
    through the run pipeline: build and solve timed separately, the plan re-checked by
    the independent evaluator, whose exact costs and payments the record reports.
    ``compiled`` (for ``mode``) and ``input_hash`` spare a caller that runs one scenario
    several times the recompiling and rehashing. ``relaxation=False`` keeps the
    Lagrangian start on models with proportional shares (section 11.5);
    ``check_min_run=False`` builds every row (4) instead of checking the default minimum
    runs on the plan (section 11.7)."""
    model = ProcurementModel(mode=mode, formulation=formulation or FormulationOptions(),
                             warm_start=warm_start, label=label, marginal=marginal,
                             relaxation=relaxation, check_min_run=check_min_run)
    return run(model, scenario, solver=solver, options=options, compiled=compiled,
               input_hash=input_hash, budget=budget)

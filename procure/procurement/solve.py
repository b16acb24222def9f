"""Compile, build, solve, read back and check one procurement plan."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from procure.backends import SolveOptions, Status, get_backend
from procure.common import input_hash
from procure.procurement.compile import Mode, compile_scenario
from procure.procurement.evaluate import evaluate
from procure.procurement.formulation import Formulation, FormulationOptions, build
from procure.procurement.plan import Launch, Plan, Purchase
from procure.procurement.result import ProcurementResult
from procure.schema.scenario import Scenario

START_SHARE = 0.2  # at most this share of the time limit goes to the start heuristic
# warm_start=None: run the heuristic on models with this many purchase cells or more,
# and only when its restricted MIP keeps at most this share of the launches
AUTO_START_CELLS = 10_000
AUTO_CANDIDATE_SHARE = 1.0 / 3.0


def decode(f: Formulation, x: np.ndarray) -> Plan:
    """Read the launch and purchase decisions out of a solution vector.

    Integer columns are rounded (solvers return them within their integrality
    tolerance); everything downstream sees whole units.
    """
    c = f.compiled
    z = f.launch.values(x) > 0.5
    q = f.buy.values(x).copy()
    integer = c.prog_integer[c.pair_program[c.cell_pair]]
    q[integer] = np.round(q[integer])
    q = np.maximum(q, 0.0)
    launches = [
        Launch(c.program_ids[p], None if o < 0 else c.member_ids[o])
        for p, o in zip(c.launch_program[z], c.launch_owner[z], strict=True)
    ]
    by_index = {int(i): ln for i, ln in zip(np.flatnonzero(z), launches, strict=True)}
    cells = np.flatnonzero(q > 1e-9)
    purchases = []
    for cell in cells:
        k = int(c.cell_pair[cell])
        ln = by_index.get(int(c.pair_launch[k]))
        if ln is None:  # a purchase from a closed launch: keep it so the evaluator flags it
            p, o = int(c.launch_program[c.pair_launch[k]]), int(c.launch_owner[c.pair_launch[k]])
            ln = Launch(c.program_ids[p], None if o < 0 else c.member_ids[o])
        purchases.append(Purchase(ln, c.member_ids[int(c.pair_member[k])],
                                  c.years[int(c.cell_year[cell])], float(q[cell])))
    return Plan(c.mode, tuple(launches), tuple(purchases))


def solve(
    scenario: Scenario,
    *,
    mode: Mode = "joint",
    solver: str = "highs",
    options: SolveOptions | None = None,
    formulation: FormulationOptions | None = None,
    warm_start: bool | None = None,
) -> ProcurementResult:
    """Plan procurement for ``scenario`` (``mode="alone"``: the go-alone baseline).

    Build and solve are timed separately. The plan read back is checked by the
    independent evaluator; its exact costs and payments are what the result reports.

    ``warm_start=True`` first runs the start heuristic of
    :mod:`procure.procurement.warmstart` (section 11 of ``models/procurement.md``) and
    hands its plan to the solver as a MIP start, when the backend takes starts
    (``capabilities.warm_start``) and ``options.start`` is not already set. ``None``
    (the default) does so only where it paid off in the benchmarks: models with at
    least ``AUTO_START_CELLS`` purchase cells whose restricted MIP keeps at most a
    third of the launches. ``False`` never does. The heuristic's time is part of
    ``solve_seconds`` and of the time limit. A start never changes the optimum, only
    how fast it is proven.
    """
    opts = options or SolveOptions()
    fopts = formulation or FormulationOptions()
    backend = get_backend(solver)
    t0 = time.perf_counter()
    compiled = compile_scenario(scenario, mode)
    f = build(compiled, fopts)
    build_seconds = time.perf_counter() - t0
    refusal = backend.check_supported(f.model)
    if refusal is not None:
        from procure.backends.base import SolveOutcome

        outcome = SolveOutcome(Status.ERROR, None, None, None, None, 0.0, backend.name,
                               backend.version(), refusal)
    else:
        heuristic_seconds = 0.0
        note = ""
        auto = warm_start is None
        if auto:
            warm_start = f.buy.size >= AUTO_START_CELLS
        if (warm_start and opts.start is None and backend.capabilities.warm_start
                and f.model.is_mip):
            from procure.procurement.warmstart import (
                lagrangian_start,
                open_all_certificate,
                shortfall_bound,
            )

            budget = None if opts.time_limit is None else START_SHARE * opts.time_limit
            start = lagrangian_start(f, time_limit=budget, threads=opts.threads,
                                     seed=opts.seed,
                                     max_candidate_share=AUTO_CANDIDATE_SHARE if auto else 1.0)
            heuristic_seconds = start.seconds
            note = f"start heuristic ({start.seconds:.2f} s): {start.message}"
            bound = shortfall_bound(f, start)
            if bound is None and not (fopts.strict or fopts.shortfall_allowance is not None):
                # no clean start: a plan with every launch open still bounds shortfall
                certificate = open_all_certificate(
                    f, time_limit=None if budget is None else max(0.0, budget - start.seconds),
                    threads=opts.threads, seed=opts.seed)
                heuristic_seconds += certificate.seconds
                note += f"; shortfall bound: {certificate.message}"
                bound = shortfall_bound(f, certificate)
            if bound is not None:
                # (11.3) every optimal plan is short by at most `bound` units: rebuild
                # with the tighter shortfall bounds and the pure knapsack rows (12')
                t1 = time.perf_counter()
                fopts = replace(fopts, shortfall_bound=bound)
                f = build(compiled, fopts)
                build_seconds += time.perf_counter() - t1
            remaining = (None if opts.time_limit is None
                         else max(opts.time_limit - heuristic_seconds, 1e-3))
            opts = replace(opts, start=start.x, time_limit=remaining)
        outcome = backend.solve(f.model, opts)
        if heuristic_seconds or note:
            outcome = replace(outcome, solve_seconds=outcome.solve_seconds + heuristic_seconds,
                              message="; ".join(m for m in (outcome.message, note) if m))
    plan = evaluation = None
    if outcome.status.has_solution and outcome.x is not None:
        plan = decode(f, outcome.x)
        evaluation = evaluate(scenario, plan, strict=fopts.strict,
                              allowance=fopts.shortfall_allowance)
    return ProcurementResult(
        scenario_name=scenario.name,
        mode=mode,
        status=outcome.status,
        objective=outcome.objective,
        bound=outcome.bound,
        gap=outcome.gap,
        build_seconds=build_seconds,
        solve_seconds=outcome.solve_seconds,
        solver=outcome.solver,
        solver_version=outcome.solver_version,
        message=outcome.message,
        input_hash=input_hash(scenario),
        currency=scenario.currency,
        model_size=(f.model.num_cols, f.model.num_rows, f.model.num_nonzeros),
        plan=plan,
        evaluation=evaluation,
    )

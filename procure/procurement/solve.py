"""Compile, build, solve, read back and check one procurement plan."""

from __future__ import annotations

import time

import numpy as np

from procure.backends import SolveOptions, Status, get_backend
from procure.common import input_hash
from procure.procurement.compile import Mode, compile_scenario
from procure.procurement.evaluate import evaluate
from procure.procurement.formulation import Formulation, FormulationOptions, build
from procure.procurement.plan import Launch, Plan, Purchase
from procure.procurement.result import ProcurementResult
from procure.schema.scenario import Scenario


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
) -> ProcurementResult:
    """Plan procurement for ``scenario`` (``mode="alone"``: the go-alone baseline).

    Build and solve are timed separately. The plan read back is checked by the
    independent evaluator; its exact costs and payments are what the result reports.
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
        outcome = backend.solve(f.model, opts)
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

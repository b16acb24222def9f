"""The build contenders, on one matrix: ours and the references it is measured against.

- **ours**: the product's build from a validated scenario, timed in two parts
  (:func:`build_ours`: ``compile``, then ``build``).
- **floor**: the finished constraint matrix handed straight to highspy as
  arrays (``Highs()`` + ``passModel`` of the CSR arrays): what any builder must
  pay to get a model into the solver.
- **floor, object API**: the same arrays assigned to the fields of a
  ``highspy.HighsLp`` (highspy's documented object route; each field is copied
  element by element into a C++ vector) and ``passModel(lp)``. Reported for
  context: it is the slower of highspy's two array routes.
- **PuLP, idiomatic**: the same model written the way PuLP's documentation
  writes models: one variable per column in a dict (``prob.add_variable``), the objective and every
  row as ``lpSum`` over a dict of ``{column: coefficient}``, added with ``+=``;
  then handed to HiGHS by PuLP's own ``HiGHS`` interface
  (``createAndConfigureSolver`` + ``buildSolverModel``, everything before
  ``run()``). The rows are given to it already grouped as dicts (prepared
  outside the timing), so the reference is the cheapest idiomatic build; a model
  that also walks the domain objects is slower, which makes our ratio a lower
  bound.

``pulp`` is imported inside the PuLP functions, not here: importing it loads highspy's
extension with ``RTLD_GLOBAL``, and OR-Tools imported after that binds the wrong HiGHS
symbols (see ``procure.backends.registry``), so a process that only solves must not
import it by importing this module.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import highspy

from benchmarks.library import Kind, ModelArrays, Scenario, build_model, compile_model, pass_arrays


def build_ours(kind: Kind, scenario: Scenario) -> tuple[float, float, ModelArrays]:
    """The product's build, timed in two parts: (compile s, build s, model)."""
    t0 = time.perf_counter()
    compiled = compile_model(kind, scenario)
    t1 = time.perf_counter()
    model = build_model(compiled)
    return t1 - t0, time.perf_counter() - t1, model


def floor_handoff(model: ModelArrays) -> Any:
    """The floor: a ``highspy.Highs`` holding ``model`` (arrays passed in one call)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    pass_arrays(h, model)
    return h


def floor_lp_handoff(model: ModelArrays) -> Any:
    """The object-API floor: ``HighsLp`` fields set from the arrays, then ``passModel(lp)``."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_ = model.num_cols
    lp.num_row_ = model.num_rows
    lp.offset_ = float(model.offset)
    lp.col_cost_ = model.col_cost
    lp.col_lower_ = model.col_lower
    lp.col_upper_ = model.col_upper
    lp.row_lower_ = model.row_lower
    lp.row_upper_ = model.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = model.a_start
    lp.a_matrix_.index_ = model.a_index
    lp.a_matrix_.value_ = model.a_value
    kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
    lp.integrality_ = [kinds[int(i)] for i in model.integrality.tolist()]
    h.passModel(lp)
    return h


@dataclass(frozen=True)
class PulpData:
    """The model as plain Python dicts, the input of the idiomatic PuLP build."""

    name: str
    bounds: dict[int, tuple[float | None, float | None, bool]]  # column -> (lo, up, integer)
    cost: dict[int, float]
    offset: float
    rows: list[tuple[dict[int, float], float, float]]  # ({column: coef}, lower, upper)


def pulp_data(model: ModelArrays) -> PulpData:
    """Dicts of ``model`` (untimed preparation for :func:`pulp_build`)."""
    lo = model.col_lower.tolist()
    up = model.col_upper.tolist()
    integ = model.integrality.tolist()
    bounds = {j: (lo[j] if math.isfinite(lo[j]) else None,
                  up[j] if math.isfinite(up[j]) else None, bool(integ[j]))
              for j in range(model.num_cols)}
    cost = {j: c for j, c in enumerate(model.col_cost.tolist()) if c != 0.0}
    start = model.a_start.tolist()
    index = model.a_index.tolist()
    value = model.a_value.tolist()
    rows = [
        (dict(zip(index[start[i]:start[i + 1]], value[start[i]:start[i + 1]], strict=True)),
         rl, ru)
        for i, (rl, ru) in enumerate(zip(model.row_lower.tolist(), model.row_upper.tolist(),
                                         strict=True))
    ]
    return PulpData(model.name, bounds, cost, float(model.offset), rows)


def pulp_build(data: PulpData) -> Any:
    """The idiomatic PuLP model: ``LpVariable`` dict, ``lpSum`` rows added with ``+=``."""
    import pulp  # here, not at the top: import order (module docstring)

    prob = pulp.LpProblem(data.name.replace(" ", "_") or "model", pulp.LpMinimize)
    # PuLP 3.x's documented way to make a variable (LpVariable(...) itself warns, 4.0 drops it)
    x = {
        j: prob.add_variable(f"x{j}", lo, up, pulp.LpInteger if integer else pulp.LpContinuous)
        for j, (lo, up, integer) in data.bounds.items()
    }
    prob += pulp.lpSum(c * x[j] for j, c in data.cost.items()) + data.offset
    for i, (terms, lo, up) in enumerate(data.rows):
        expr = pulp.lpSum(a * x[j] for j, a in terms.items())
        if lo == up:
            prob += (expr == lo, f"e{i}")
            continue
        if math.isfinite(lo):
            prob += (expr >= lo, f"g{i}")
        if math.isfinite(up):
            prob += (expr <= up, f"l{i}")
    return prob


def pulp_handoff(prob: Any) -> Any:
    """PuLP's HiGHS interface up to ``run()``: the highspy model it builds from ``prob``."""
    import pulp  # here, not at the top: import order (module docstring)

    solver = pulp.HiGHS(msg=False)
    solver.createAndConfigureSolver(prob)
    solver.buildSolverModel(prob)
    return prob.solverModel

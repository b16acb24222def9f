"""What one more unit of a rule's limit is worth, in money and in service separately
(``models/explain.md`` section 4).

Around a plan x̂ of a MILP whose objective is money plus penalties (shortfall, lateness),
the integer decisions that shape the plan (launches, participation, lift) are fixed
at x̂ and quantities are continuous, and two LPs are solved:

(E4) money at the plan's service level:   min c_money x  s.t. the rows, c_pen x <= c_pen x̂;
(E5) service, whatever it costs:          min c_pen x    s.t. the rows.

The row duals of (E4) are money per unit of each rule's limit (what the alliance saves
if a budget, a capacity... is one unit larger, delivering exactly as much); those of
(E5) are penalty units (the scenario's shortfall or lateness penalty, not money spent)
per unit: how much less short or late the plan could be with one more unit, money being
limited only by the rules themselves (budgets). Each value holds while the rule's bound
stays in the range the LP's ranging reports. They are linear estimates: a whole extra
unit of an integer quantity may be worth more or less, and a value says nothing about
decisions that were held fixed (opening another program).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from procure.backends.base import Backend, Sensitivity, SolveOptions
from procure.lp.model import BoolArray, FloatArray, LinearModel, ModelArrays
from procure.procurement.formulation import Formulation, build
from procure.run.tables import CURRENCY, Column, TableSpec
from procure.schema.scenario import Scenario

LEVEL_SLACK = 1e-7
"""Relative slack on the level rows of (E4) and (E5): x̂ itself satisfies them despite
rounding."""

TOL = 1e-7
"""Values below ``TOL`` (relative to the objective scale) are reported as 0."""


@dataclass(frozen=True)
class AroundPlan:
    """(E4) and (E5) solved: sensitivity of each (``None`` when not solved to
    optimality); rows beyond the model's (the level row) are cut off."""

    money: Sensitivity | None  # (E4)
    service: Sensitivity | None  # (E5)
    money_at_plan: float
    penalty_at_plan: float


def _level(model: ModelArrays, cost: FloatArray, at: float) -> ModelArrays:
    """``model`` with one more row: cost x <= at (plus a relative slack)."""
    lm = LinearModel.from_arrays(model)
    cols = np.flatnonzero(cost)
    lm.add_constraints("(level)", 1, np.zeros(cols.size, dtype=np.int64), cols, cost[cols],
                       upper=at + LEVEL_SLACK * max(1.0, abs(at)))
    return lm.finalize()


def _cut(s: Sensitivity | None, n_rows: int) -> Sensitivity | None:
    if s is None:
        return None
    return replace(s, row_activity=s.row_activity[:n_rows], row_dual=s.row_dual[:n_rows],
                   rhs_low=s.rhs_low[:n_rows], rhs_high=s.rhs_high[:n_rows])


def around_plan(model: ModelArrays, x: FloatArray, *, fixed: BoolArray, penalty: BoolArray,
                backend: Backend, options: SolveOptions,
                lower_only: BoolArray | None = None) -> AroundPlan:
    """(E4) and (E5) around the plan ``x`` of ``model``: the columns in ``fixed`` held at
    their (rounded) plan values, those in ``lower_only`` held at least at them, the rest
    continuous; ``penalty`` marks the columns whose cost is a penalty, not money. (E5) is
    solved only when the plan pays a penalty (otherwise every service value is 0)."""
    lo, hi = model.col_lower.copy(), model.col_upper.copy()
    held = np.round(x)
    lo[fixed], hi[fixed] = held[fixed], held[fixed]
    if lower_only is not None:
        lo[lower_only] = np.maximum(lo[lower_only], held[lower_only])
    lp = replace(model, col_lower=lo, col_upper=hi,
                 integrality=np.zeros_like(model.integrality))
    c_pen = np.where(penalty, model.col_cost, 0.0)
    c_money = np.where(penalty, 0.0, model.col_cost)
    money_at, pen_at = float(c_money @ x), float(c_pen @ x)
    money = backend.sensitivity(replace(_level(lp, c_pen, pen_at), col_cost=c_money), options)
    service = (backend.sensitivity(replace(lp, col_cost=c_pen, offset=0.0), options)
               if pen_at > 0 else None)
    return AroundPlan(_cut(money, model.num_rows), _cut(service, model.num_rows),
                      money_at, pen_at)


MARGINAL_VALUES = TableSpec("marginal_values", "one binding rule of the plan (a row of it: "
                            "a year of a budget or a capacity): what one more unit of its "
                            "limit is worth", (
    Column("rule", "-", "the rule, as the scenario names it, with its value and unit"),
    Column("kind", "-", "requirement, need, capacity, min_run, min_participants, "
           "cost_share, budget, dependence, workshare"),
    Column("member", "-", "member the rule belongs to (empty: a program's rule)"),
    Column("program", "-", "program the rule belongs to (empty: a member's rule)"),
    Column("capability", "-", "capability concerned (empty: several)"),
    Column("year", "year", "fiscal year of this row of the rule (empty: the whole horizon)"),
    Column("limit", "see limit_unit", "the rule's limit in this row as the plan meets it: "
           "the budget, the capacity, the units required..."),
    Column("limit_unit", "-", "unit of limit, limit_low and limit_high"),
    Column("saving_per_unit", f"{CURRENCY} per limit_unit", "what the alliance saves, at "
           "the same delivered level, per unit the limit is loosened (a budget or capacity "
           "raised, a requirement or minimum lowered): the dual of (E4)"),
    Column("limit_low", "see limit_unit", "saving_per_unit (or, when it is 0, "
           "penalty_per_unit) holds while the limit stays at or above this"),
    Column("limit_high", "see limit_unit", "... and at or below this (inf: no end)"),
    Column("penalty_per_unit", "penalty units per limit_unit", "fall of the shortfall "
           "penalty (not money spent: the scenario's shortfall_penalty per unit short) per "
           "unit the limit is loosened, whatever the extra units cost within the budgets: "
           "the dual of (E5); 0 when the plan delivers everything"),
))


def _rule_value(kind: str, rhs: FloatArray, value: float | None) -> FloatArray:
    """The rule's limit from a row's bound: the bound itself, or for capacity and minimum
    run rows (whose bound is 0 with the limit on the launch column, held at 1) the
    limit shifted by the bound."""
    if kind in ("capacity", "min_run") and value is not None:
        return np.asarray(value + rhs, dtype=np.float64)
    return rhs


def marginal_values(formulation: Formulation, x: FloatArray, scenario: Scenario,
                    backend: Backend, options: SolveOptions) -> pd.DataFrame:
    """The binding rules of the procurement plan ``x`` of ``formulation`` and what one
    more unit of each is worth (:data:`MARGINAL_VALUES`): (E4) and (E5) with the
    launches, joins and share regimes fixed, purchases and shortfalls continuous.

    The model is rebuilt without the aggregated capacity cuts (12) (implied rows would
    share the duals), with capacity in the (3a) rows only and the need rows (2b) apart
    from the requirements, so every dual lands on the rule that states it; the columns
    are the same, so ``x`` applies unchanged."""
    from procure.explain.rules import RuleBook

    fo = replace(formulation.options, capacity_cuts=False, capacity_bounds=False,
                 merge_need_rows=False, shortfall_bound=None)
    f = build(formulation.compiled, fo)
    m = f.model
    if m.num_cols != x.size:
        raise ValueError("the rebuilt model's columns differ from the plan's")
    quantities = np.zeros(m.num_cols, dtype=np.bool_)
    for name in ("buy", "shortfall"):
        quantities[m.block(name).index] = True
    penalty = np.zeros(m.num_cols, dtype=np.bool_)
    for b in m.var_blocks:
        if b.name in ("shortfall", "priced shortfall"):
            penalty[b.index] = True
    fixed = m.integrality & ~quantities
    around = around_plan(m, x, fixed=fixed, penalty=penalty, backend=backend, options=options)
    book = RuleBook(f, scenario)
    if around.money is None:
        return MARGINAL_VALUES.frame(pd.DataFrame(columns=MARGINAL_VALUES.names),
                                     scenario.currency)
    scale = max(1.0, abs(around.money_at_plan)) * TOL
    d_money = around.money.row_dual
    d_pen = (around.service.row_dual if around.service is not None
             else np.zeros(m.num_rows))
    pen_scale = max(1.0, abs(around.penalty_at_plan)) * TOL
    # the cost-share rows bound a conservative approximation (7b), not a planner's limit
    meaningful = np.array([r.kind != "cost_share" for r in book.rules] + [False])
    rows = np.flatnonzero(meaningful[book.groups] & ((np.abs(d_money) > scale)
                                                     | (np.abs(d_pen) > pen_scale)))
    out = []
    sign = np.where(d_money[rows] != 0, d_money[rows], d_pen[rows])
    lower_active = sign > 0  # min: a lower bound's dual is >= 0, an upper bound's <= 0
    rhs = np.where(lower_active, m.row_lower[rows], m.row_upper[rows])
    rhs = np.where(np.isfinite(rhs), rhs, around.money.row_activity[rows])
    for i, row in enumerate(rows):
        rule = book.rules[int(book.groups[row])]
        year = book.row_year[row] if book.row_year[row] >= 0 else None
        # the range of the value shown: money's, or service's when only service moves
        by = around.money if d_money[row] != 0 or around.service is None else around.service
        low, high = by.rhs_low[row], by.rhs_high[row]
        limit, lo_v, hi_v = (float(v) for v in _rule_value(
            rule.kind, np.array([rhs[i], low, high]), rule.value))
        # a range end at the solver's round-off of 0 (-1e-13, -0.0) is 0
        lo_v, hi_v = (0.0 if abs(v) <= 1e-9 * max(1.0, abs(limit)) else v
                      for v in (lo_v, hi_v))
        out.append((rule.text, rule.kind, rule.member, rule.program, rule.capability,
                    year, limit, rule.limit_unit, abs(float(d_money[row])), lo_v, hi_v,
                    abs(float(d_pen[row]))))
    df = pd.DataFrame(out, columns=MARGINAL_VALUES.names)
    df = df.sort_values(["saving_per_unit", "penalty_per_unit"], ascending=False,
                        ignore_index=True)
    return MARGINAL_VALUES.frame(df, scenario.currency)

"""Compile, build, solve, read back and check one movement plan."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from procure.backends import SolveOptions, Status, get_backend
from procure.backends.base import SolveOutcome
from procure.common import input_hash
from procure.logistics.evaluate import MovementEvaluation, evaluate_movements
from procure.logistics.formulation import MovementModel, build
from procure.logistics.network import compile_network
from procure.logistics.plan import Delivery, Draw, Move, MovementPlan, Sortie
from procure.schema.scenario import Scenario

BOTTLENECK_COLUMNS = ["resource", "kind", "days_at_capacity", "peak_use", "capacity",
                      "shadow_price"]


def shadow_prices(mm: MovementModel, x: np.ndarray,
                  time_limit: float | None = None) -> dict[tuple[str, str], float]:
    """Marginal value of one more unit of each capacity (ton/day, vehicle, landing...),
    in objective units, the largest over the days it binds: the row duals of the LP
    around the plan, where flows are re-optimised and sorties may be added to the
    plan's (fractionally) but not removed. An approximation: a whole extra sortie may
    be worth more or less than the linear estimate."""
    from procure.backends.highs import HighsBackend

    m = mm.model
    lower, upper = m.col_lower.copy(), m.col_upper.copy()
    lower[m.integrality] = np.round(x[m.integrality])
    lp = replace(m, col_lower=lower, col_upper=upper,
                 integrality=np.zeros_like(m.integrality))
    out = HighsBackend().solve(lp, SolveOptions(time_limit=time_limit))
    if out.row_duals is None:  # not solved to optimality within the limit: no prices
        return {}
    prices: dict[tuple[str, str], float] = {}
    for fam in mm.capacities:
        duals = -out.row_duals[fam.first_row:fam.first_row + len(fam.resource)]
        for res, value in zip(fam.resource, duals.tolist(), strict=True):
            if value > 1e-9:
                key = (res, fam.kind)
                prices[key] = max(prices.get(key, 0.0), value)
    return prices


def decode(mm: MovementModel, x: np.ndarray) -> MovementPlan:
    """Read moves, sorties, draws and deliveries out of a solution vector (sorties are
    rounded: the solver returns them within its integrality tolerance)."""
    n, c = mm.network, mm.cells
    lg = n.scenario.logistics
    assert lg is not None
    mv_ids = [m.id for m in lg.movements]
    loc = n.location_ids
    eps = 1e-9
    f = mm.flow.values(x)
    moves = tuple(
        Move(mv_ids[c.flow_mv[i]], int(n.arc_link[c.flow_arc[i]]), loc[n.arc_from[c.flow_arc[i]]],
             loc[n.arc_to[c.flow_arc[i]]], int(c.flow_day[i]), float(f[i]))
        for i in np.flatnonzero(f > eps))
    y = _trim_sorties(mm, mm.flow.values(x), np.round(mm.sorties.values(x)))
    sorties = tuple(
        Sortie(lg.lift[c.sortie_fleet[i]].id, n.member_ids[c.sortie_member[i]],
               int(n.arc_link[c.sortie_arc[i]]), loc[n.arc_from[c.sortie_arc[i]]],
               loc[n.arc_to[c.sortie_arc[i]]], int(c.sortie_day[i]), int(y[i]))
        for i in np.flatnonzero(y > 0.5))
    d = mm.draw.values(x)
    draws = tuple(Draw(mv_ids[n.src_mv[c.draw_src[i]]], int(n.src_stock[c.draw_src[i]]),
                       int(c.draw_day[i]), float(d[i])) for i in np.flatnonzero(d > eps))
    q = mm.deliver.values(x)
    deliveries = tuple(Delivery(mv_ids[c.del_mv[i]], int(c.del_day[i]), float(q[i]))
                       for i in np.flatnonzero(q > eps))
    return MovementPlan(moves, sorties, draws, deliveries)


def _trim_sorties(mm: MovementModel, flow: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Drop sorties the cargo does not need (a solver may leave idle ones when they cost
    nothing): per (member, arc, day), remove the smallest-payload sorties while the
    rest still cover the tonnage. Removing sorties never breaks (8)-(10)."""
    n, c = mm.network, mm.cells
    lg = n.scenario.logistics
    assert lg is not None
    payload = np.array([f.payload_tons for f in lg.lift], dtype=np.float64)
    n_a, h = n.num_arcs, n.days
    fkey = (n.mv_member[c.flow_mv] * n_a + c.flow_arc) * h + c.flow_day
    skey = (c.sortie_member * n_a + c.sortie_arc) * h + c.sortie_day
    tons: dict[int, float] = {}
    for k, t in zip(fkey.tolist(), (flow * n.mv_tons[c.flow_mv]).tolist(), strict=True):
        tons[k] = tons.get(k, 0.0) + t
    cover: dict[int, float] = {}
    for k, p in zip(skey.tolist(), (y * payload[c.sortie_fleet]).tolist(), strict=True):
        cover[k] = cover.get(k, 0.0) + p
    y = y.copy()
    order = np.lexsort((payload[c.sortie_fleet], skey))  # by group, small payload first
    spare: dict[int, float] = {}
    for i in order.tolist():
        k = int(skey[i])
        if k not in spare:
            spare[k] = cover.get(k, 0.0) - tons.get(k, 0.0) * (1.0 + 1e-9)
        drop = min(y[i], np.floor(spare[k] / payload[c.sortie_fleet[i]] + 1e-12))
        if drop > 0:
            y[i] -= drop
            spare[k] -= drop * payload[c.sortie_fleet[i]]
    return y


@dataclass(frozen=True)
class MovementResult:
    """One solve of the movement model: honest status, timings, plan and its check."""

    scenario_name: str
    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    build_seconds: float
    solve_seconds: float
    solver: str
    solver_version: str
    message: str
    input_hash: str
    model_size: tuple[int, int, int]
    plan: MovementPlan | None = field(default=None, repr=False)
    evaluation: MovementEvaluation | None = field(default=None, repr=False)
    scenario: Scenario | None = field(default=None, repr=False)
    prices: dict[tuple[str, str], float] = field(default_factory=dict, repr=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """moves, sorties, draws, deliveries, closure, utilisation, bottlenecks."""
        if self.plan is None or self.evaluation is None or self.scenario is None:
            return {}
        out = self.plan.frames(self.scenario)
        out["closure"] = self.evaluation.closure
        out["utilisation"] = self.evaluation.utilisation
        out["bottlenecks"] = self.bottlenecks()
        return out

    def bottlenecks(self, threshold: float = 0.999) -> pd.DataFrame:
        """Capacities the plan runs at (>= ``threshold`` of capacity): how many days, and by
        how much the objective would fall per extra unit of capacity (``shadow_price``,
        0 when more of it would not help this plan); dearest first."""
        if self.evaluation is None:
            return pd.DataFrame(columns=BOTTLENECK_COLUMNS)
        u = self.evaluation.utilisation
        u = u[np.isfinite(u.capacity) & (u.used >= threshold * u.capacity) & (u.capacity > 0)]
        if u.empty:
            return pd.DataFrame(columns=BOTTLENECK_COLUMNS)
        g = u.groupby(["resource", "kind"]).agg(days_at_capacity=("day", "nunique"),
                                                peak_use=("used", "max"),
                                                capacity=("capacity", "max")).reset_index()
        g["shadow_price"] = [self.prices.get((r, k), 0.0)
                             for r, k in zip(g.resource, g.kind, strict=True)]
        out: pd.DataFrame = g.sort_values(["shadow_price", "days_at_capacity", "peak_use"],
                                          ascending=False, ignore_index=True)
        return out

    def summary(self) -> dict[str, object]:
        ev = self.evaluation
        closure = ev.closure if ev is not None else None
        tons = float(closure.tons.sum()) if closure is not None else 0.0
        on_time = float((closure.on_time * closure.tons / closure.quantity).sum()) if (
            closure is not None) else 0.0
        return {
            "scenario": self.scenario_name,
            "status": str(self.status),
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "evaluated_objective": ev.objective if ev else None,
            "cost": ev.cost if ev else None,
            "on_time_pct": 100.0 * on_time / tons if ev and tons else None,
            "late_ton_days": ev.late_ton_days if ev else None,
            "short_tons": ev.short_tons if ev else None,
            "feasible_by_evaluator": ev.feasible if ev else None,
            "violations": [str(v) for v in ev.violations] if ev else [],
            "build_seconds": self.build_seconds,
            "solve_seconds": self.solve_seconds,
            "solver": self.solver,
            "solver_version": self.solver_version,
            "input_hash": self.input_hash,
            "model_columns": self.model_size[0],
            "model_rows": self.model_size[1],
            "model_nonzeros": self.model_size[2],
        }


def solve_movements(scenario: Scenario, *, solver: str = "highs",
                    options: SolveOptions | None = None) -> MovementResult:
    """Plan the scenario's movements; build and solve timed separately; the plan read
    back is replayed by the independent evaluator."""
    backend = get_backend(solver)
    t0 = time.perf_counter()
    mm = build(compile_network(scenario))
    build_seconds = time.perf_counter() - t0
    refusal = backend.check_supported(mm.model)
    if refusal is not None:
        outcome = SolveOutcome(Status.ERROR, None, None, None, None, 0.0, backend.name,
                               backend.version(), refusal)
    else:
        outcome = backend.solve(mm.model, options or SolveOptions())
    plan = evaluation = None
    prices: dict[tuple[str, str], float] = {}
    if outcome.status.has_solution and outcome.x is not None:
        plan = decode(mm, outcome.x)
        evaluation = evaluate_movements(scenario, plan)
        opts = options or SolveOptions()
        prices = shadow_prices(mm, outcome.x, opts.time_limit)
    return MovementResult(
        scenario_name=scenario.name, status=outcome.status, objective=outcome.objective,
        bound=outcome.bound, gap=outcome.gap, build_seconds=build_seconds,
        solve_seconds=outcome.solve_seconds, solver=outcome.solver,
        solver_version=outcome.solver_version, message=outcome.message,
        input_hash=input_hash(scenario),
        model_size=(mm.model.num_cols, mm.model.num_rows, mm.model.num_nonzeros),
        plan=plan, evaluation=evaluation, scenario=scenario, prices=prices)

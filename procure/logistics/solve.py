"""Compile, build, solve, read back and check one movement plan."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from procure.backends import SolveOptions, Status, get_backend
from procure.backends.base import SolveOutcome, relative_gap
from procure.common import input_hash
from procure.logistics.evaluate import MovementEvaluation, evaluate_movements
from procure.logistics.formulation import MovementModel, build
from procure.logistics.network import compile_network
from procure.logistics.plan import Delivery, Draw, Move, MovementPlan, Sortie
from procure.logistics.start import Start, movement_start
from procure.lp.model import FloatArray, ModelArrays
from procure.schema.scenario import Scenario

START_SHARE = 0.5  # of the time limit the start heuristic may use
START_SECONDS = 60.0  # ... and its budget when the solve has no time limit
IPM_FROM_NONZEROS = 300_000  # LPs this large go to HiGHS' interior point method
# ... and the start heuristic stops paying: its dive re-solves the LP by simplex
START_MAX_NONZEROS = IPM_FROM_NONZEROS


def lp_method(model: ModelArrays, *, duals: bool = False) -> dict[str, Any]:
    """HiGHS options for an LP of the movement model, chosen by measurement
    (models/logistics.md, section 12): dual simplex below ``IPM_FROM_NONZEROS``
    nonzeros, the interior point method above, with crossover only when row duals are
    wanted (a vertex gives clean shadow prices; without crossover the IPM stops at its
    tolerance, 1e-8 relative)."""
    if model.num_nonzeros < IPM_FROM_NONZEROS:
        return {}
    return {"solver": "ipm", "run_crossover": "on" if duals else "off"}


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
    out = HighsBackend().solve(lp, SolveOptions(time_limit=time_limit,
                                                extra=lp_method(lp, duals=True)))
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
    start: Start | None = field(default=None, repr=False)  # the MIP start heuristic's run

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
            "start_seconds": self.start.seconds if self.start else None,
            "start_objective": self.start.objective if self.start else None,
            "solver": self.solver,
            "solver_version": self.solver_version,
            "input_hash": self.input_hash,
            "model_columns": self.model_size[0],
            "model_rows": self.model_size[1],
            "model_nonzeros": self.model_size[2],
        }


def _with_start(outcome: SolveOutcome, start: Start) -> SolveOutcome:
    """The solve's outcome, read together with the start heuristic's run: time added, the
    LP bound used when it is the better bound of a solve stopped at a limit, and the
    start's plan reported when the solve stopped before it took it (or ended worse)."""
    out = replace(outcome, solve_seconds=outcome.solve_seconds + start.seconds)
    if out.status not in (Status.FEASIBLE, Status.LIMIT, Status.ERROR):
        return out
    bounds = [b for b in (out.bound, start.lp_bound) if b is not None]
    bound = max(bounds) if bounds else None
    if start.x is not None and start.objective is not None and (
            out.objective is None or start.objective < out.objective):
        return replace(out, status=Status.FEASIBLE, x=start.x, objective=start.objective,
                       bound=bound, gap=relative_gap(start.objective, bound),
                       message=f"{out.message}; the start heuristic's plan")
    if out.status == Status.FEASIBLE:
        return replace(out, bound=bound, gap=relative_gap(out.objective, bound))
    return out


def solve_movements(scenario: Scenario, *, solver: str = "highs",
                    options: SolveOptions | None = None, start: bool = True) -> MovementResult:
    """Plan the scenario's movements; build and solve timed separately; the plan read
    back is replayed by the independent evaluator.

    With ``start`` (the default), a backend that takes a MIP start (HiGHS) gets one from
    :func:`~procure.logistics.start.movement_start` on models below
    ``START_MAX_NONZEROS`` nonzeros (larger LPs are too slow to dive on). It may use up
    to half of ``options.time_limit`` (60 s without a limit); the solve gets the rest,
    so the total stays within the limit. ``solve_seconds`` includes the heuristic. A
    start given in ``options.start`` is used as it is."""
    backend = get_backend(solver)
    opts = options or SolveOptions()
    t0 = time.perf_counter()
    mm = build(compile_network(scenario))
    build_seconds = time.perf_counter() - t0
    refusal = backend.check_supported(mm.model)
    heuristic: Start | None = None
    if refusal is not None:
        outcome = SolveOutcome(Status.ERROR, None, None, None, None, 0.0, backend.name,
                               backend.version(), refusal)
    else:
        if (start and mm.model.is_mip and backend.capabilities.warm_start
                and opts.start is None and mm.model.num_nonzeros < START_MAX_NONZEROS):
            budget = START_SECONDS if opts.time_limit is None else START_SHARE * opts.time_limit
            heuristic = movement_start(mm, time_limit=budget, threads=opts.threads,
                                       seed=opts.seed, mip_gap=opts.mip_gap)
            rest = (None if opts.time_limit is None
                    else max(opts.time_limit - heuristic.seconds, 0.0))
            opts = replace(opts, start=heuristic.x, time_limit=rest)
        outcome = backend.solve(mm.model, opts)
        if heuristic is not None:
            outcome = _with_start(outcome, heuristic)
    plan = evaluation = None
    prices: dict[tuple[str, str], float] = {}
    if outcome.status.has_solution and outcome.x is not None:
        plan = decode(mm, outcome.x)
        evaluation = evaluate_movements(scenario, plan)
        prices = shadow_prices(mm, outcome.x, (options or SolveOptions()).time_limit)
    return MovementResult(
        scenario_name=scenario.name, status=outcome.status, objective=outcome.objective,
        bound=outcome.bound, gap=outcome.gap, build_seconds=build_seconds,
        solve_seconds=outcome.solve_seconds, solver=outcome.solver,
        solver_version=outcome.solver_version, message=outcome.message,
        input_hash=input_hash(scenario),
        model_size=(mm.model.num_cols, mm.model.num_rows, mm.model.num_nonzeros),
        plan=plan, evaluation=evaluation, scenario=scenario, prices=prices, start=heuristic)


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


def relax_movements(scenario: Scenario, *, options: SolveOptions | None = None
                    ) -> RelaxationResult:
    """Solve the LP relaxation of the movement model with HiGHS, by the method of
    :func:`lp_method` unless ``options.extra`` names one (e.g. ``{"solver": "simplex"}``)."""
    from procure.backends.highs import HighsBackend

    opts = options or SolveOptions()
    t0 = time.perf_counter()
    mm = build(compile_network(scenario))
    lp = replace(mm.model, integrality=np.zeros_like(mm.model.integrality))
    build_seconds = time.perf_counter() - t0
    extra = {**lp_method(lp), **opts.extra} if "solver" not in opts.extra else dict(opts.extra)
    out = HighsBackend().solve(lp, replace(opts, extra=extra))
    return RelaxationResult(
        scenario_name=scenario.name, status=out.status, objective=out.objective,
        build_seconds=build_seconds, solve_seconds=out.solve_seconds, solver=out.solver,
        solver_version=out.solver_version, message=out.message, options=extra,
        model_size=(lp.num_cols, lp.num_rows, lp.num_nonzeros), x=out.x)

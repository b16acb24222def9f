"""Every call the benchmark harness makes into the ``procure`` library, in one place.

No other harness module imports ``procure``: when the library's API changes (module
names, result types, solver options), this file is the one to adapt. What the harness
needs from the library:

- the bundled data folder and the seeded generators (the cases measured);
- compile and build of either model, apart (the build sweep times them apart), and the
  one-call hand-off of finished arrays to a ``highspy.Highs`` (:func:`pass_arrays`);
- the product's solve path for either model, read back into :class:`SolveRecord`,
  the harness's own flat record, so a change of result types stops here;
- one backend solving a finished model (the LP-method comparison);
- the OR-Library CFLP reader and importer;
- the backend registry (names, versions, the default);
- scenario sweeps: a spec and its base, a sweep on the local pool or a Dask cluster
  (started apart, so its start-up is timed apart), read back into :class:`SweepRecord`
  (the sweep modules are imported only by these functions, so the other sections run
  without them);
- the alliance's cost game (burden sharing) on a pool of the sweep engine: the game
  (its construction solves the grand coalition's joint plan), the stand-alone and
  leave-one-out values in one batch, the sampled Shapley value, the least core and the
  nucleolus, each read back into a flat record (:class:`ShapleyRecord`,
  :class:`LeastCoreRecord`, :class:`NucleolusRecord`, :class:`GameState`); the sharing
  modules too are imported only by these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import pandas as pd

import procure
from procure.backends import (
    DEFAULT_BACKEND,
    SolveOptions,
    available_backends,
    get_backend,
)
from procure.backends.highs_model import pass_arrays
from procure.generate import generate_alliance
from procure.io import load_scenario
from procure.logistics.compile import Compiled as MovementCompiled
from procure.logistics.compile import compile_scenario as compile_movements
from procure.logistics.formulation import build as build_movements
from procure.logistics.generate import generate_network
from procure.logistics.solve import solve as solve_movements
from procure.lp.model import ModelArrays
from procure.orlib import CflpInstance, import_cflp, read_cflp
from procure.procurement.compile import Compiled, compile_scenario
from procure.procurement.formulation import FormulationOptions, build
from procure.procurement.solve import solve
from procure.schema.scenario import Scenario

if TYPE_CHECKING:  # the sweep and sharing modules are imported by the functions that use them
    from procure.schema.sweep import SweepSpec
    from procure.sharing.alliance import AllianceGame
    from procure.sweep.engine import Pool

__all__ = [
    "DATA",
    "DEFAULT_BACKEND",
    "CflpInstance",
    "GameState",
    "Kind",
    "LeastCoreRecord",
    "ModelArrays",
    "ModelOutcome",
    "NucleolusRecord",
    "Options",
    "Scenario",
    "ShapleyRecord",
    "SolveRecord",
    "SweepRecord",
    "alliance_game",
    "available_backends",
    "backend_version",
    "build_model",
    "compile_model",
    "dask_pool",
    "game_least_core",
    "game_nucleolus",
    "game_shapley",
    "game_standalone",
    "game_state",
    "generate",
    "generate_alliance",
    "import_cflp",
    "load_scenario",
    "load_sweep_spec",
    "local_pool",
    "lp_relaxation",
    "pass_arrays",
    "read_cflp",
    "run_sweep",
    "solve_logistics",
    "solve_model",
    "solve_options",
    "solve_procurement",
]

Kind = Literal["procurement", "logistics"]
"""The library's two models: procurement (alliance MILP) and logistics (movements)."""

Options = SolveOptions
"""The library's solver options, as :func:`solve_options` makes them."""

DATA = Path(procure.__file__).resolve().parent / "data"
"""The datasets bundled with the library (``sample_alliance.yaml``, ``reinforcement.yaml``)."""


def generate(kind: Kind, params: tuple[int, int, int, int], *, days: int,
             seed: int) -> Scenario:
    """A seeded generated scenario: ``generate_alliance(members, capabilities, programs
    per capability, years)`` or ``generate_network(members, locations, items,
    movements)`` over ``days`` days."""
    a, b, c, d = params
    if kind == "procurement":
        return generate_alliance(a, b, c, d, seed=seed)
    return generate_network(a, b, c, d, days=days, seed=seed)


def compile_model(kind: Kind, scenario: Scenario) -> Compiled | MovementCompiled:
    """The scenario compiled to index arrays (the first timed part of a build)."""
    if kind == "procurement":
        return compile_scenario(scenario)
    return compile_movements(scenario)


def build_model(compiled: Compiled | MovementCompiled) -> ModelArrays:
    """The finished model arrays of a compiled scenario (the second timed part)."""
    if isinstance(compiled, Compiled):
        return build(compiled).model
    return build_movements(compiled).model


def lp_relaxation(model: ModelArrays) -> ModelArrays:
    """``model`` with every variable continuous."""
    return replace(model, integrality=np.zeros(model.num_cols, dtype=np.bool_))


def solve_options(backend: str = DEFAULT_BACKEND, *, time_limit: float | None = None,
                  threads: int = 1, seed: int = 0, mip_gap: float = 1e-6,
                  verbose: bool = False,
                  solver_options: Mapping[str, Any] | None = None) -> SolveOptions:
    """Options for one solve on ``backend``; ``solver_options`` are that solver's own
    settings (e.g. HiGHS option names), in ``backend``'s namespace."""
    return SolveOptions(time_limit=time_limit, threads=threads, seed=seed, mip_gap=mip_gap,
                        verbose=verbose,
                        solver_options={backend: dict(solver_options or {})}
                        if solver_options else {})


@dataclass(frozen=True)
class SolveRecord:
    """What the harness reads back from one solve by the product."""

    status: str  # the product's status word: optimal, feasible, limit, ..., error
    objective: float | None
    bound: float | None
    gap: float | None
    build_seconds: float
    solve_seconds: float  # backend, hand-off and start heuristic included
    model_size: tuple[int, int, int] | None  # columns, rows, nonzeros
    evaluator_ok: bool | None  # the independent evaluator's verdict (None: no plan)
    total_cost: float | None  # the evaluator's exact cost (procurement only)
    message: str
    shortfall_units: float | None = None  # the evaluator's total shortfall (procurement)
    timings: dict[str, float] | None = None  # the run's stages, seconds


def solve_procurement(scenario: Scenario, options: SolveOptions, *,
                      backend: str = DEFAULT_BACKEND, strong_linking: bool = True,
                      warm_start: bool | None = None, relaxation: bool = True) -> SolveRecord:
    """The product's procurement solve (joint mode); ``strong_linking=False`` drops the
    (2a) linking rows; ``warm_start`` as the library's (None: its own default);
    ``relaxation=False`` is the path before the relaxation start (section 11.5)."""
    res = solve(scenario, solver=backend, options=options,
                formulation=FormulationOptions(strong_linking=strong_linking),
                warm_start=warm_start, relaxation=relaxation)
    ev = res.evaluation
    return SolveRecord(str(res.status), res.objective, res.bound, res.gap, res.build_seconds,
                       res.solve_seconds, res.model_size,
                       None if ev is None else ev.feasible,
                       None if ev is None else ev.total_cost, res.message,
                       None if ev is None else ev.shortfall_units, dict(res.timings))


def solve_logistics(scenario: Scenario, options: SolveOptions, *,
                    backend: str = DEFAULT_BACKEND) -> SolveRecord:
    """The product's movement solve."""
    res = solve_movements(scenario, solver=backend, options=options)
    ev = res.evaluation
    return SolveRecord(str(res.status), res.objective, res.bound, res.gap, res.build_seconds,
                       res.solve_seconds, res.model_size or None,
                       None if ev is None else ev.feasible, None, res.message)


@dataclass(frozen=True)
class ModelOutcome:
    """What one backend returned for a finished model."""

    status: str
    objective: float | None
    message: str


def solve_model(backend: str, model: ModelArrays, options: SolveOptions) -> ModelOutcome:
    """``model`` solved by ``backend`` directly (no scenario, no evaluator)."""
    out = get_backend(backend).solve(model, options)
    return ModelOutcome(str(out.status), out.objective, out.message)


def backend_version(name: str) -> str:
    """The installed version of backend ``name``'s solver."""
    return get_backend(name).version()


STATUS_COLUMNS = ("joint_status", "alone_status", "movement_status")
"""The solve statuses of a sweep's cases table."""


def load_sweep_spec(path: Path) -> tuple[SweepSpec, Scenario]:
    """A sweep spec (YAML or JSON) and its validated base scenario."""
    from procure.schema.sweep import load_sweep

    return load_sweep(path)


def dask_pool(workers: int) -> Pool:
    """A Dask LocalCluster of ``workers`` processes, one case at a time each, started
    now (its start-up is what this call takes); the sweep given it closes it (a game's
    caller closes it itself)."""
    from procure.sweep.dask import DaskPool

    return DaskPool(None, workers=workers)


@dataclass(frozen=True)
class SweepRecord:
    """What the harness reads back from one sweep."""

    cases: pd.DataFrame  # the cases table without the columns that differ between runs
    outcomes: tuple[str, ...]  # per case: solved, failed, invalid, missing
    case_seconds: tuple[float, ...]  # per case that ran: wall seconds of its last attempt
    unproven: tuple[int, ...]  # solved cases with a solve not proven optimal (e.g. at
    #                            its time limit, where the result depends on the run)


def run_sweep(spec: SweepSpec, base: Scenario, *, executor: str | Pool,
              workers: int | None, out: Path) -> SweepRecord:
    """The product's sweep of ``spec`` over ``base`` on ``executor`` (``"local"``, or a
    pool from :func:`dask_pool`, which the sweep closes), stored in the fresh folder
    ``out``."""
    from procure.sweep.results import TIMING, VOLATILE
    from procure.sweep.runner import sweep

    res = sweep(spec, base, executor=executor, workers=workers, out=out)
    table = res.cases
    ran = table[TIMING.name].dropna()
    statuses = table[[c for c in STATUS_COLUMNS if c in table.columns]]
    unproven = (table["outcome"] == "solved") & (statuses.notna()
                                                 & (statuses != "optimal")).any(axis=1)
    return SweepRecord(table.drop(columns=list(VOLATILE)).reset_index(drop=True),
                       tuple(str(o) for o in table["outcome"]),
                       tuple(float(x) for x in ran),
                       tuple(int(c) for c in table.loc[unproven, "case"]))


def local_pool(workers: int) -> Pool:
    """The sweep engine's local pool: ``workers`` threads, each waiting on one case's
    child process (at most one per core); the caller closes it (``close()``)."""
    from procure.sweep.engine import LocalPool

    return LocalPool(workers)


def alliance_game(scenario: Scenario, *, pool: Pool, oracle: str = "auto",
                  time_limit: float = 120.0) -> AllianceGame:
    """The alliance's cost game of ``scenario``, its coalitions solved on ``pool`` with
    one solver thread and ``time_limit`` seconds each; constructing it solves the grand
    coalition's joint plan. ``oracle``: how the most violated coalition is found
    (``auto``, ``enumerate`` or ``milp``, the separation MILP)."""
    from procure.sharing.alliance import AllianceGame

    if oracle not in ("auto", "enumerate", "milp"):
        raise ValueError(f"unknown oracle {oracle!r}")
    return AllianceGame(scenario, options=SolveOptions(time_limit=time_limit, threads=1),
                        pool=pool, oracle=cast(Literal["auto", "enumerate", "milp"], oracle))


@dataclass(frozen=True)
class GameState:
    """What a game is and has solved so far."""

    players: tuple[str, ...]  # member ids, in the order of the allocations
    oracle: str  # how the most violated coalition is found: enumerate or milp
    grand_status: str  # the status of the grand coalition's joint plan
    grand_cost: float | None  # c(N), once solved
    coalitions: int  # coalitions solved (the joint plan apart)
    milps: int  # separation MILPs solved
    gaps: tuple[float, ...]  # per separation MILP stopped at a limit: its unproven excess
    all_exact_checked: bool  # every coalition proven optimal, its plan passed the evaluator
    unproven: int  # coalitions not proven optimal or whose plan the evaluator rejected


def game_state(game: AllianceGame) -> GameState:
    """The game now (:class:`GameState`; ``auto`` read as the oracle it picks)."""
    from procure.sharing.alliance import ENUMERATE_MAX

    n = len(game.players)
    oracle = str(game.oracle)
    if oracle == "auto":
        oracle = "enumerate" if n <= ENUMERATE_MAX else "milp"
    solved = game.solved()
    bad = sum(1 for c in solved.values() if not (c.exact and c.plans_checked))
    grand = solved.get((1 << n) - 1)
    return GameState(tuple(game.players), oracle, str(game.grand_status),
                     None if grand is None else grand.cost, len(solved),
                     int(game.separation_solves),
                     tuple(float(g) for g in game.separation_gaps), bad == 0, bad)


def game_standalone(game: AllianceGame) -> tuple[float, float]:
    """The grand coalition, every member alone and every member's complement in one
    batch on the game's pool: ``(c(N), sum_i c({i}))``."""
    n = len(game.players)
    full = (1 << n) - 1
    singles = np.left_shift(1, np.arange(n, dtype=np.int64))
    values = game.values_of(np.concatenate([[full], singles, full - singles]))
    return float(values[0]), float(values[1 : n + 1].sum())


@dataclass(frozen=True)
class ShapleyRecord:
    """A sampled Shapley value, per player in the game's order."""

    value: tuple[float, ...]
    std_error: tuple[float, ...]
    half_width: tuple[float, ...]  # of the two-sided ``confidence`` interval
    confidence: float
    samples: int
    evaluations: int  # distinct coalition values asked for


def game_shapley(game: AllianceGame, samples: int, *, seed: int = 0) -> ShapleyRecord:
    """The Shapley value sampled with ``samples`` permutations (stratified; ``seed``)."""
    from procure.sharing.rules import shapley_sampled

    est = shapley_sampled(game, samples, seed=seed)
    return ShapleyRecord(tuple(float(v) for v in est.value),
                         tuple(float(v) for v in est.std_error),
                         tuple(float(v) for v in est.half_width), float(est.confidence),
                         int(est.samples), int(est.evaluations))


@dataclass(frozen=True)
class LeastCoreRecord:
    """The least core: its ``epsilon`` and one allocation in it; LPs solved."""

    epsilon: float
    allocation: tuple[float, ...]
    lp_solves: int


def game_least_core(game: AllianceGame) -> LeastCoreRecord:
    """The least core by constraint generation (the game's oracle finds the most
    violated coalition)."""
    from procure.sharing.rules import least_core

    lc = least_core(game)
    return LeastCoreRecord(float(lc.epsilon), tuple(float(v) for v in lc.allocation),
                           int(lc.lp_solves))


@dataclass(frozen=True)
class NucleolusRecord:
    """The nucleolus (``domain`` ``imputation``), or the prenucleolus (``preimputation``)
    when the game has no imputation (``fallback``: why)."""

    allocation: tuple[float, ...]
    levels: tuple[float, ...]
    lp_solves: int
    domain: str
    fallback: str | None


def game_nucleolus(game: AllianceGame) -> NucleolusRecord:
    """The nucleolus; the prenucleolus when the game has no imputation."""
    from procure.sharing.rules import NoImputationError, nucleolus, prenucleolus

    fallback = None
    try:
        nu = nucleolus(game)
    except NoImputationError as e:
        fallback = str(e)
        nu = prenucleolus(game)
    return NucleolusRecord(tuple(float(v) for v in nu.allocation),
                           tuple(float(v) for v in nu.levels), int(nu.lp_solves),
                           str(nu.domain), fallback)

"""Burden sharing: the alliance's cost game, one game per child process, on the local
pool and on Dask, and a reference small enough to enumerate.

The suite runs, each in a fresh child (:mod:`benchmarks.measure`):

1. the game of the profile's alliance (the 26-member sample alliance in the quick and
   full profiles) on each pool of :data:`RUNS`: the local pool and a Dask LocalCluster
   of 2 workers (started first, its start-up timed apart). :func:`sharing_run` times the
   game's construction (it solves the grand coalition's joint plan), the stand-alone
   and leave-one-out values in one batch, the sampled Shapley value (seed 0), the least
   core and the nucleolus by constraint generation (the prenucleolus when the game has
   no imputation), with the coalitions and separation MILPs solved so far after each
   step; :func:`compare_runs` then says whether the pools gave the same answers;
2. the reference: a generated alliance of :attr:`SharingPlan.reference` members whose
   most violated coalition is found once by enumerating every coalition and once by the
   separation MILP (:data:`ORACLES`, one child each: :func:`reference_run`), the least
   core and the nucleolus on each; :func:`compare_reference` says whether they agree and
   what the MILP saves.

Answers are compared to :data:`RELATIVE_TOLERANCE` x max(1, |c(N)|).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from benchmarks.cases import DAYS, REPO_ROOT
from benchmarks.library import (
    Scenario,
    alliance_game,
    dask_pool,
    game_least_core,
    game_nucleolus,
    game_shapley,
    game_standalone,
    game_state,
    generate,
    load_scenario,
    local_pool,
)

SAMPLE_ALLIANCE = REPO_ROOT / "datasets" / "sample_alliance.yaml"
"""The 26-member sample alliance (the same file as the library's bundled copy)."""

RUNS: tuple[tuple[str, str, int], ...] = (
    ("local-2", "local", 2),
    ("dask-2", "dask", 2),
)
"""Each run of the game: its name, the pool and its workers."""

ORACLES = ("enumerate", "milp")
"""The reference's two ways to find the most violated coalition."""

TIMEOUT = 5 * 3600.0
"""Seconds one run of the game (one child) may take before it counts as an error."""

REFERENCE_TIMEOUT = 3600.0
"""Seconds one reference run (one child) may take."""

TIME_LIMIT = 120.0
"""Seconds each coalition's solve may take (one solver thread)."""

RELATIVE_TOLERANCE = 1e-6
"""Two answers are the same when they differ by at most this x max(1, |c(N)|)."""

SEED = 0
"""The seed of the sampled Shapley value."""


@dataclass(frozen=True)
class SharingPlan:
    """What the section measures in a profile."""

    alliance: str | tuple[int, int, int, int]  # "sample", or generate_alliance's arguments
    alliance_seed: int  # the generator's seed (a generated alliance)
    samples: int  # permutations of the sampled Shapley value
    reference: tuple[int, int, int, int]  # generate_alliance's arguments (enumerable)
    reference_seed: int


PLANS: dict[str, SharingPlan] = {
    "smoke": SharingPlan((4, 2, 1, 3), 1, 2, (4, 2, 1, 3), 1),
    "quick": SharingPlan("sample", 0, 2, (10, 3, 2, 5), 3),
    "full": SharingPlan("sample", 0, 2, (10, 3, 2, 5), 3),
}
"""The plan of each profile (by name); a profile without one skips the section."""


def alliance_label(alliance: str | tuple[int, int, int, int] | list[int], seed: int) -> str:
    """How results name an alliance: the sample's path, or the generator call."""
    if isinstance(alliance, str):  # "sample"
        return str(SAMPLE_ALLIANCE.relative_to(REPO_ROOT))
    a, b, c, d = alliance
    return f"generate_alliance({a}, {b}, {c}, {d}, seed={seed})"


def _scenario(alliance: str | list[int], seed: int) -> Scenario:
    if isinstance(alliance, str):
        if alliance != "sample":
            raise ValueError(f"unknown alliance {alliance!r}")
        return load_scenario(SAMPLE_ALLIANCE)
    a, b, c, d = (int(x) for x in alliance)
    return generate("procurement", (a, b, c, d), days=DAYS, seed=seed)


T = TypeVar("T")


def _timed(step: Callable[[], T]) -> tuple[T | None, dict[str, Any]]:
    """``step()`` timed: its result and ``{"seconds": ...}``, or None and
    ``{"seconds": ..., "error": ...}`` when it raised."""
    t0 = time.perf_counter()
    try:
        got = step()
    except Exception as e:  # recorded; the steps after it still run where they can
        return None, {"seconds": time.perf_counter() - t0,
                      "error": f"{type(e).__name__}: {e}"}
    return got, {"seconds": time.perf_counter() - t0}


def _solved(game: Any) -> dict[str, Any]:
    """What the game has solved so far, as a step records it."""
    c = game_state(game)
    return {"coalitions": c.coalitions, "milps": c.milps, "gaps": list(c.gaps)}


def _rules(game: Any, out: dict[str, Any]) -> None:
    """The least core, then the nucleolus, each timed, into ``out``."""
    lc, step = _timed(lambda: game_least_core(game))
    out["least_core"] = {**step, **({} if lc is None else asdict(lc)), **_solved(game)}
    nu, step = _timed(lambda: game_nucleolus(game))
    out["nucleolus"] = {**step, **({} if nu is None else asdict(nu)), **_solved(game)}


def _start(game: Any, out: dict[str, Any]) -> None:
    """The game's players, oracle and joint plan's status, into ``out``."""
    state = game_state(game)
    out.update(members=len(state.players), players=list(state.players),
               oracle=state.oracle, grand_status=state.grand_status)


def _finish(game: Any, out: dict[str, Any]) -> None:
    """c(N) and the game's counts at the end, into ``out``."""
    state = game_state(game)
    out.update(grand_cost=state.grand_cost, coalitions=state.coalitions,
               milps=state.milps, gaps=list(state.gaps),
               all_exact_checked=state.all_exact_checked, unproven=state.unproven)


def sharing_run(alliance: str | list[int], seed: int, executor: str, workers: int,
                samples: int) -> dict[str, Any]:
    """One game of ``alliance`` (in a child) on ``executor`` (``local`` or ``dask``) with
    ``workers``: the seconds of each step (``grand``: the game's construction, which
    solves the joint plan; ``standalone``: c(N), every c({i}) and every c(N - i) in one
    batch; ``shapley``; ``least_core``; ``nucleolus``), with the coalitions solved and
    separation MILPs so far after each; ``seconds``: from the construction to the end
    of the nucleolus (the Dask cluster's start-up, ``startup_seconds``, and closing the
    pool apart); ``all_exact_checked``: every coalition's solve proven optimal and its
    plan accepted by the evaluator."""
    load_start = list(os.getloadavg())
    scenario = _scenario(alliance, seed)
    startup = None
    if executor == "dask":
        t0 = time.perf_counter()
        pool = dask_pool(workers)
        startup = time.perf_counter() - t0
    elif executor == "local":
        pool = local_pool(workers)
    else:
        raise ValueError(f"unknown executor {executor!r}")
    out: dict[str, Any] = {"executor": executor, "workers": workers,
                           "capacity": pool.capacity, "startup_seconds": startup,
                           "samples": samples, "seed": SEED}
    t_all = time.perf_counter()
    try:
        game, step = _timed(lambda: alliance_game(scenario, pool=pool,
                                                  time_limit=TIME_LIMIT))
        out["grand_seconds"] = step["seconds"]
        if game is None:
            out["error"] = f"the game: {step['error']}"
            return out
        _start(game, out)
        values, step = _timed(lambda: game_standalone(game))
        if values is not None:
            out["standalone_sum"] = values[1]
        out["standalone"] = {**step, **_solved(game)}
        est, step = _timed(lambda: game_shapley(game, samples, seed=SEED))
        sh = {} if est is None else asdict(est)
        if est is not None:
            sh["half_width_max"] = max(est.half_width)
        out["shapley"] = {**step, **sh, **_solved(game)}
        _rules(game, out)
        out["seconds"] = time.perf_counter() - t_all
        _finish(game, out)
    finally:
        pool.close()
    out["load_average"], out["load_average_end"] = load_start, list(os.getloadavg())
    return out


def reference_run(params: list[int], seed: int, oracle: str, workers: int) -> dict[str, Any]:
    """The reference game (in a child): ``generate_alliance(*params, seed=seed)`` on the
    local pool with ``workers``, its most violated coalition found by ``oracle``
    (``enumerate``: every coalition is solved; ``milp``: the separation MILP); the least
    core and the nucleolus, timed. ``seconds``: least core and nucleolus (the joint
    plan's solve, ``grand_seconds``, is the same for both oracles)."""
    load_start = list(os.getloadavg())
    scenario = _scenario(params, seed)
    pool = local_pool(workers)
    out: dict[str, Any] = {"oracle": oracle, "workers": workers, "capacity": pool.capacity}
    try:
        game, step = _timed(lambda: alliance_game(scenario, pool=pool, oracle=oracle,
                                                  time_limit=TIME_LIMIT))
        out["grand_seconds"] = step["seconds"]
        if game is None:
            out["error"] = f"the game: {step['error']}"
            return out
        _start(game, out)
        _rules(game, out)
        out["seconds"] = out["least_core"]["seconds"] + out["nucleolus"]["seconds"]
        _finish(game, out)
    finally:
        pool.close()
    out["load_average"], out["load_average_end"] = load_start, list(os.getloadavg())
    return out


def _largest_difference(a: Any, b: Any) -> float | None:
    """The largest absolute difference of two numbers or equal-length lists (None when
    either is missing or the lengths differ)."""
    if a is None or b is None:
        return None
    xs = a if isinstance(a, list | tuple) else [a]
    ys = b if isinstance(b, list | tuple) else [b]
    if len(xs) != len(ys) or not xs:
        return None
    return max(abs(float(x) - float(y)) for x, y in zip(xs, ys, strict=True))


def _compare(first: dict[str, Any], other: dict[str, Any],
             answers: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """Per answer (step, field): the largest difference between two runs, and whether
    every one is within the tolerance (None when an answer is missing)."""
    scale = max(1.0, abs(float(first.get("grand_cost") or 0.0)))
    tol = RELATIVE_TOLERANCE * scale
    diffs = {f"{step}.{key}": _largest_difference((first.get(step) or {}).get(key),
                                                  (other.get(step) or {}).get(key))
             for step, key in answers}
    same_domain = ((first.get("nucleolus") or {}).get("domain")
                   == (other.get("nucleolus") or {}).get("domain"))
    known = [d for d in diffs.values() if d is not None]
    identical = (None if len(known) < len(diffs)
                 else same_domain and all(d <= tol for d in known))
    return {"identical": identical, "differences": diffs, "tolerance": tol}


def _ratio(a: Any, b: Any) -> float | None:
    return None if a is None or b is None or float(b) <= 0 else float(a) / float(b)


def compare_runs(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """From the runs by name: whether Dask's answers (sampled Shapley value, least core
    and its epsilon, nucleolus) are those of the local pool, and Dask's seconds over the
    local pool's, without and with the cluster's start-up."""
    local, dask = (runs.get(name, {}) for name, _, _ in RUNS)
    out = _compare(local, dask, (("shapley", "value"), ("least_core", "epsilon"),
                                 ("least_core", "allocation"), ("nucleolus", "allocation")))
    out["dask_over_local"] = _ratio(dask.get("seconds"), local.get("seconds"))
    out["dask_over_local_with_startup"] = _ratio(
        None if dask.get("seconds") is None
        else dask["seconds"] + (dask.get("startup_seconds") or 0.0), local.get("seconds"))
    return out


def compare_reference(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """From the reference runs by oracle: whether the MILP oracle's least core (epsilon
    and allocation) and nucleolus are enumeration's, and the MILP's seconds and
    coalitions solved over enumeration's."""
    enum, milp = (runs.get(o, {}) for o in ORACLES)
    out = _compare(enum, milp, (("least_core", "epsilon"), ("least_core", "allocation"),
                                ("nucleolus", "allocation")))
    out["agree"] = out.pop("identical")
    out["milp_over_enumerate_seconds"] = _ratio(milp.get("seconds"), enum.get("seconds"))
    out["milp_over_enumerate_coalitions"] = _ratio(milp.get("coalitions"),
                                                   enum.get("coalitions"))
    return out

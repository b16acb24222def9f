"""Shared test helpers: every solve goes through :func:`solve_checked`, which re-checks
the plan with the independent evaluator and the objective against its recomputation."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import strategies as st

from procure.backends import SolveOptions, available_backends
from procure.generate import generate_alliance
from procure.io import load_scenario, scenario_from_data
from procure.orlib import CflpInstance, cflp_to_scenario
from procure.procurement.formulation import FormulationOptions
from procure.procurement.solve import ProcurementRecord, solve
from procure.schema import Scenario
from procure.sweep.cases import Case
from procure.sweep.results import VOLATILE

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PROCURE_SHARED_DATA", REPO.parent / "shared" / "data"))
DATASETS = REPO / "datasets"

# backends that solve models with continuous variables (CP-SAT refuses those)
MIP_BACKENDS = [b for b in ("highs", "scip", "cbc") if b in available_backends()]
ALL_BACKENDS = [b for b in ("highs", "scip", "cbc", "cpsat") if b in available_backends()]

OBJ_RTOL = 1e-6


def random_cflp(warehouses: int, customers: int, seed: int, tight: float) -> Scenario:
    """A random capacitated facility-location scenario; total capacity ``tight`` times
    the total demand."""
    rng = np.random.default_rng(seed)
    demand = rng.integers(5, 50, customers).astype(np.float64)
    capacity = rng.uniform(0.5, 1.5, warehouses)
    capacity *= tight * demand.sum() / capacity.sum()
    fixed = rng.integers(0, 500, warehouses).astype(np.float64)
    cost = rng.integers(1, 100, (customers, warehouses)) * demand[:, None]
    return cflp_to_scenario(CflpInstance(f"r{seed}", np.round(capacity), fixed, demand,
                                         cost.astype(np.float64)))


def forced_idle_cflp() -> Scenario:
    """A facility-location scenario whose warehouse W3 must open (``force_launch``,
    section 13.2) though buying from it costs 100 times more: the optimum buys from W3
    exactly its default minimum run L_p (1/1000 of the smallest demand, 0.005 units),
    and without the row (4) a plan would open W3 and buy nothing from it."""
    demand = np.array([5.0, 8.0, 12.0, 20.0])
    cost = np.array([[1.0, 2.0, 100.0], [2.0, 1.0, 100.0], [1.5, 1.5, 100.0],
                     [2.0, 1.0, 100.0]]) * demand[:, None]
    return cflp_to_scenario(CflpInstance("forced", np.array([30.0, 30.0, 30.0]),
                                         np.array([10.0, 10.0, 5.0]), demand, cost))


def alliances(max_members: int) -> st.SearchStrategy[Scenario]:
    """Small generated alliances for property tests (2 to ``max_members`` members)."""
    return st.builds(
        generate_alliance,
        members=st.integers(2, max_members),
        capabilities=st.integers(1, 3),
        programs_per_capability=st.integers(1, 3),
        years=st.integers(1, 4),
        seed=st.integers(0, 10_000),
        budgets=st.booleans(),
        national_constraints=st.booleans(),
        cost_share_rule=st.sampled_from(["proportional", "key", "equal"]),
        generous_capacity=st.booleans(),
    )


def solve_checked(
    scenario: Scenario,
    *,
    mode: str = "joint",
    solver: str = "highs",
    strict: bool = False,
    options: SolveOptions | None = None,
    warm_start: bool | None = None,
    **formulation: Any,
) -> ProcurementRecord:
    """Solve, then require: a plan, no evaluator violation, and the solver's objective
    equal to the evaluator's exact objective (costs + shortfall penalty)."""
    res = solve(scenario, mode=mode, solver=solver,  # type: ignore[arg-type]
                options=options or SolveOptions(mip_gap=1e-9),
                formulation=FormulationOptions(strict=strict, **formulation),
                warm_start=warm_start)
    assert res.status.has_solution, f"{solver}: {res.status} {res.message}"
    assert res.evaluation is not None
    assert res.evaluation.feasible, [str(v) for v in res.evaluation.violations]
    assert res.objective is not None
    ev_obj = res.evaluation.objective
    assert abs(res.objective - ev_obj) <= OBJ_RTOL * max(1.0, abs(ev_obj)), (
        f"solver objective {res.objective} != evaluator objective {ev_obj}")
    return res


@pytest.fixture(scope="session")
def tutorial() -> Scenario:
    return load_scenario(DATASETS / "tutorial.yaml")


def orlib_dir() -> Path:
    """The OR-Library instances: the repository's copy (datasets/orlib-cflp), else the one
    in the shared data folder."""
    d = DATASETS / "orlib-cflp"
    if not d.is_dir():
        d = SHARED_DATA / "orlib-cflp"
    if not d.is_dir():
        pytest.skip(f"public benchmark data not found at {d}")
    return d


SWEEP_OPTIONS = SolveOptions(time_limit=30.0, threads=1, seed=0)


def budget_cases(factors: list[float]) -> list[Case]:
    """The tutorial with every member's budgets times each factor (factor 1: the base).
    Built by hand so that the engine is tested apart from the spec's expansion."""
    base = load_scenario(REPO / "datasets" / "tutorial.yaml").model_dump(mode="json")
    cases = []
    for i, f in enumerate(factors):
        data = copy.deepcopy(base)
        for m in data["members"]:
            if m.get("budgets"):
                m["budgets"] = {y: b * f for y, b in m["budgets"].items()}
        data = scenario_from_data(data).model_dump(mode="json")
        key = f"{i:02d}-" + json.dumps(f)  # distinct, stable
        cases.append(Case(index=i, name=f"budgets x{f:g}", labels={"budget": f"x{f:g}"},
                          scenario=data, error=None, solver="highs", options=SWEEP_OPTIONS,
                          key=key))
    return cases


def stable(frame: pd.DataFrame) -> pd.DataFrame:
    """A sweep's table without the columns that change from run to run (timings)."""
    return frame.drop(columns=list(VOLATILE))



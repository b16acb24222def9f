"""What the benchmark suite measures: model sizes, instances and run profiles.

Sizes are arguments of the seeded generators (seed 1), chosen so the product's
models span about 1e4 to 1e7 nonzeros:

- procurement: ``procure.generate.generate_alliance`` ``(members, capabilities,
  programs_per_capability, years)``;
- logistics: ``procure.logistics.generate.generate_network`` ``(members, locations,
  items, movements)`` over 30 days.

A profile says which sizes are built, which are solved, with what limits and
how many repeats, and which sweep spec (``datasets/sweeps``) runs on each pool:
``smoke`` (seconds; run by the tests so the suite cannot rot), ``quick`` (minutes)
and ``full`` (the run behind ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmarks.library import DATA, Kind, Scenario, generate, load_scenario

__all__ = ["DAYS", "ORLIB_CAP", "PROFILES", "REINFORCEMENT", "REPO_ROOT", "SAMPLE", "SEED",
           "SIZES", "SWEEPS", "Kind", "Profile", "orlib_data", "scenario_for",
           "shared_data"]

SEED = 1
DAYS = 30

SIZES: dict[Kind, dict[str, tuple[int, int, int, int]]] = {
    "procurement": {
        "xs": (20, 8, 3, 8),  # ~1e4 nonzeros
        "s": (40, 15, 3, 10),  # ~1e5
        "m": (80, 30, 4, 15),  # ~1e6
        "l": (200, 60, 6, 25),  # ~1e7
    },
    "logistics": {
        "xs": (3, 12, 2, 10),
        "s": (6, 40, 3, 50),
        "m": (10, 100, 4, 150),
        "l": (24, 350, 7, 800),
    },
}

REPO_ROOT = Path(__file__).resolve().parents[1]
"""The checkout holding ``benchmarks/`` (and, in a development install, ``procure/``)."""
SAMPLE = DATA / "sample_alliance.yaml"
REINFORCEMENT = DATA / "reinforcement.yaml"
SWEEPS = REPO_ROOT / "datasets" / "sweeps"
"""The sweep specs (``tutorial_budgets.yaml``: 6 tiny cases; ``sample_what_if.yaml``: 57
cases of the sample alliance)."""
ORLIB_CAP = ("cap41", "cap42", "cap43", "cap44", "cap51", "cap61", "cap62", "cap63", "cap64",
             "cap71", "cap72", "cap73", "cap74")


@dataclass(frozen=True)
class Profile:
    """How much of the suite to run."""

    name: str
    build_sizes: tuple[str, ...]  # sizes built (ours, floor, PuLP)
    build_repeats: int  # repeats below 1e6 nonzeros (3 at 1e6, 1 above 5e6)
    pulp_max_nnz: int  # the PuLP reference is built up to this many nonzeros
    solve_sizes: tuple[str, ...]  # generated sizes solved by every backend
    solve_limit: float  # seconds per solve
    solve_repeats: int
    named: tuple[str, ...]  # named scenarios solved by every backend ("sample", ...)
    named_limit: float
    orlib: tuple[str, ...]
    orlib_repeats: int
    hard: tuple[str, ...]  # hard CFLP instances proved by product and plain model
    hard_limit: float
    lp_size: str | None  # logistics size whose LP relaxation each LP method solves
    lp_limit: float
    sweep: str | None  # sweep spec in SWEEPS run on each pool (local 1 and 2 workers, Dask)


PROFILES = {
    "smoke": Profile("smoke", ("xs",), 2, 10**5, ("xs",), 2.0, 1, (), 10.0, ("cap41",), 1,
                     (), 10.0, "xs", 2.0, "tutorial_budgets.yaml"),
    "quick": Profile("quick", ("xs", "s", "m"), 3, 2 * 10**6, ("xs", "s"), 30.0, 1,
                     ("sample",), 60.0, ORLIB_CAP, 1, (), 60.0, "s", 60.0,
                     "sample_what_if.yaml"),
    "full": Profile("full", ("xs", "s", "m", "l"), 5, 2 * 10**7, ("xs", "s", "m"), 60.0, 1,
                    ("sample", "reinforcement"), 120.0, ORLIB_CAP, 3,
                    ("cfl-200x200-s0", "capa-8000"), 600.0, "m", 180.0,
                    "sample_what_if.yaml"),
}


def shared_data() -> Path:
    """``../shared/data`` beside the checkout (the public benchmark instances)."""
    return REPO_ROOT.parent / "shared" / "data"


def orlib_data() -> Path:
    """The OR-Library CFLP instances: the copy in ``datasets/orlib-cflp`` (a fresh clone
    has them), else the one in ``../shared/data``."""
    local = REPO_ROOT / "datasets" / "orlib-cflp"
    return local if local.is_dir() else shared_data() / "orlib-cflp"


def scenario_for(kind: Kind, size: str) -> Scenario:
    """The generated scenario of a size label, or a named dataset (``sample``,
    ``reinforcement``)."""
    if size == "sample":
        return load_scenario(SAMPLE)
    if size == "reinforcement":
        return load_scenario(REINFORCEMENT)
    return generate(kind, SIZES[kind][size], days=DAYS, seed=SEED)

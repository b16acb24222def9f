"""The project's performance targets: every number ``RESULTS.md`` compares a measurement with.

This is the one place to change a target. The report (:mod:`benchmarks.report`) reads
these constants, for the verdicts and for the wording of each target ("<= 1.5x"), and
nothing asserts on them: a missed target is shown as missed, with its measured value.
"""

from __future__ import annotations

from typing import Final

# -- 1. Build (ours = compile + build + hand-off to HiGHS) -----------------------------
BUILD_CHECKPOINTS: Final = (1e6, 1e7)
"""Nonzero counts at which the build ratios are judged (the row nearest each, within 3x)."""

PULP_OVER_OURS_MIN: Final = 30.0
"""Idiomatic PuLP build + hand-off time / ours, at least."""

OURS_OVER_FLOOR_MAX: Final = 1.5
"""Ours / the floor (finished arrays to ``passModel`` in one call), at most."""

SCALING_FROM_NNZ: Final = 10**5
"""Scaling exponents are fitted over the build sizes from this many nonzeros up."""

SCALING_EXPONENT_MAX: Final = 1.15
"""Build time ~ nnz^k: k at most this ("near-linear")."""

PEAK_MEMORY_SHARE_MAX: Final = 0.25
"""Peak build memory at the largest size, below this share of the machine's memory."""

# -- 2. Named scenarios: seconds to a proof of optimality (build + solve), below --------
PROOF_SECONDS: Final = {"sample": 10.0, "reinforcement": 60.0}

# -- 3. OR-Library cap41-cap74 ----------------------------------------------------------
ORLIB_OVER_DIRECT_MAX: Final = 1.2
"""Ours / the direct HiGHS model, total time, geometric mean over the instances, at most."""

# -- 4. Hard instances --------------------------------------------------------------------
HARD_SPEEDUP_MIN: Final = 1.5
"""The fastest plain HiGHS model's proof time / ours, at least."""

# -- 5. LP relaxation of the movement model -----------------------------------------------
LP_SECONDS_MAX: Final = 120.0
"""The fastest LP method proves the relaxation optimal in less than this many seconds."""

# -- 6. Scenario sweeps -------------------------------------------------------------------
SWEEP_SPEEDUP_MIN: Final = 1.6
"""The local pool with 2 workers: cases per minute at least this many times 1 worker's."""

DASK_OVERHEAD_PER_CASE_MAX: Final = 0.5
"""Seconds Dask (a LocalCluster of 2 workers) adds per case against the local pool with 2
workers, the cluster's start-up excluded, less than this."""

# -- 8. Alliance-scale solves -----------------------------------------------------------
ALLIANCE_SECONDS: Final = 60.0
"""NATO-sized alliances: proven optimal within this many seconds on 2 threads ..."""

ALLIANCE_GAP_ON_COST: Final = 1e-4
"""... where proven means (objective - bound) / the plan's cost at most this ..."""

ALLIANCE_SPEEDUP_MIN: Final = 5.0
"""... at least this many times faster than today's path (the reference)."""

BIG_GAP_MAX: Final = 0.01
"""The 80-member model: a plan within this relative gap of its bound within the limit."""

SAMPLE_PROOF_SECONDS: Final = 2.0
"""The sample alliance proven optimal within this many seconds (build + solve)."""

# -- 9. End to end on the command line ------------------------------------------------------
END_TO_END_MAX: Final = 1.2
"""``procure import`` + ``procure solve`` wall time / the faster plain HiGHS script's, at
most (geometric mean over the OR-Library instances; and on cfl-200x200-s0)."""

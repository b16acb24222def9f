"""Movement model benchmark: build and solve time at growing sizes (up to > 1e6 nonzeros).

    python benchmarks/bench_logistics.py [--quick] [--time-limit S] [--out FILE.md]

For each synthetic network (``procure.logistics.generate.generate_network``, seed 1)
it times separately: scenario generation + validation, ``compile_network``,
``build`` (the neutral CSR model), the hand-off of the arrays to HiGHS
(``Highs.passModel``, the floor any builder must pay), and the solve under a time
limit (status, objective, bound and gap reported as HiGHS gives them; the plan is
replayed by the evaluator). The realistic reinforcement scenario is solved too. No
assertions on time: the numbers are written to a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time
from importlib import metadata
from pathlib import Path

import highspy
import numpy as np

from procure.backends import SolveOptions
from procure.io import load_scenario
from procure.logistics import solve_movements
from procure.logistics.formulation import build
from procure.logistics.generate import generate_network
from procure.logistics.network import compile_network
from procure.lp.model import ModelArrays
from procure.schema import Scenario

SIZES = [  # members, locations, items, movements
    (4, 20, 3, 20),
    (6, 40, 3, 50),
    (8, 60, 4, 80),
    (12, 150, 5, 250),
    (20, 300, 6, 600),
]
QUICK = SIZES[:3]
ROOT = Path(__file__).resolve().parents[1]


def hand_off(model: ModelArrays) -> float:
    """Seconds to pass the arrays to HiGHS (no solve)."""
    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(model.num_cols, model.num_rows, model.num_nonzeros, 2, 1, model.offset,
                model.col_cost, model.col_lower, model.col_upper, model.row_lower,
                model.row_upper, model.a_start[:-1].astype(np.int32),
                model.a_index.astype(np.int32), model.a_value,
                model.integrality.astype(np.int32))
    return time.perf_counter() - t0


def median_time(fn: object, repeats: int) -> float:
    assert callable(fn)
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def row(label: str, s: Scenario, gen_s: float, time_limit: float, solve: bool,
        repeats: int) -> list[str]:
    compile_s = median_time(lambda: compile_network(s), repeats)
    n = compile_network(s)
    build_s = median_time(lambda: build(n), repeats)
    mm = build(n)
    m = mm.model
    pass_s = statistics.median(hand_off(m) for _ in range(repeats))
    cells = [label, f"{m.num_cols}", f"{m.num_rows}", f"{m.num_nonzeros}",
             f"{int(m.integrality.sum())}", f"{gen_s:.3f}", f"{compile_s:.3f}", f"{build_s:.3f}",
             f"{pass_s:.3f}", f"{(compile_s + build_s) / pass_s:.1f}x"]
    if not solve:
        return [*cells, "not solved", "", "", "", "", ""]
    res = solve_movements(s, options=SolveOptions(time_limit=time_limit, threads=1, seed=0))
    ev = res.evaluation
    gap = "" if res.gap is None else f"{100 * res.gap:.3g} %"
    return [*cells, str(res.status), f"{res.solve_seconds:.1f}",
            "" if res.objective is None else f"{res.objective:.6g}",
            "" if res.bound is None else f"{res.bound:.6g}", gap,
            "" if ev is None else ("yes" if ev.feasible else f"NO ({len(ev.violations)})")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--solve-max-nnz", type=int, default=2_000_000,
                    help="solve only models up to this many nonzeros")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS_logistics.md")
    args = ap.parse_args()
    sizes = QUICK if args.quick else SIZES
    rows = []
    for mem, loc, items, mvs in sizes:
        t0 = time.perf_counter()
        s = generate_network(mem, loc, items, mvs, days=30, seed=1)
        gen_s = time.perf_counter() - t0
        nnz = build(compile_network(s)).model.num_nonzeros
        label = f"synthetic m{mem} v{loc} i{items} r{mvs}"
        rows.append(row(label, s, gen_s, args.time_limit, nnz <= args.solve_max_nnz,
                        repeats=3 if nnz < 1_000_000 else 1))
        print(" | ".join(rows[-1]), flush=True)
    t0 = time.perf_counter()
    real = load_scenario(ROOT / "procure" / "data" / "reinforcement.yaml")
    rows.append(row("reinforcement.yaml", real, time.perf_counter() - t0, args.time_limit,
                    True, repeats=3))
    print(" | ".join(rows[-1]), flush=True)
    head = ["instance", "cols", "rows", "nonzeros", "integer", "generate/load s", "compile s",
            "build s", "passModel s", "(compile+build)/passModel", "status", "solve s",
            "objective", "bound", "gap", "evaluator ok"]
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("highspy", "numpy", "pydantic"))
    lines = [
        "# Movement model benchmark",
        "",
        f"- date: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}",
        f"- command: `python benchmarks/bench_logistics.py{' --quick' if args.quick else ''} "
        f"--time-limit {args.time_limit:g}`",
        f"- machine: nproc {os.cpu_count()}, {platform.platform()}, Python "
        f"{platform.python_version()}, {versions}",
        f"- solves: HiGHS, threads 1, seed 0, time limit {args.time_limit:g} s per solve "
        f"(models above {args.solve_max_nnz} nonzeros are built, not solved)",
        "- timings are medians of 3 repeats (1 above 1e6 nonzeros); passModel = handing the "
        "finished arrays to HiGHS, the floor for any model builder",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *("| " + " | ".join(r) + " |" for r in rows),
        "",
    ]
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

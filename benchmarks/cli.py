"""``python -m benchmarks``: run a profile of the suite, or re-render ``RESULTS.md``.

Run from the repository root (the harness is not installed with the library)::

    python -m benchmarks --profile full --out benchmarks --force
    python -m benchmarks --profile smoke --out /tmp/bench --only build,lp
    python -m benchmarks --render benchmarks/results.json --out benchmarks --force
    python -m benchmarks --profile full --only sweep --merge --out benchmarks --force
    python -m benchmarks --profile full --only sharing --merge --out benchmarks --force

Exit codes: 0 done; 2 invalid arguments (a one-line message, nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.cases import PROFILES
from benchmarks.suite import SECTIONS, read_results, render_results, run_suite

EXIT_OK, EXIT_INVALID = 0, 2

"""The ``benchmarks/`` folder: where the published ``RESULTS.md`` and ``results.json`` live."""


def parser() -> argparse.ArgumentParser:
    """The command's arguments (the ones ``procure bench`` took)."""
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run the benchmark suite: build against PuLP and the highspy floor, "
                    "backends side by side, OR-Library and hard instances against direct "
                    "HiGHS models, LP methods, scenario sweeps on the local pool and Dask, "
                    "the alliance's burden-sharing game on the local pool and Dask.")
    ap.add_argument("--profile", default="quick",
                    help="smoke (seconds) | quick (minutes) | full (the published run); "
                         "default quick")
    ap.add_argument("--out", type=Path, default=Path("bench-results"),
                    help="folder for results.json and RESULTS.md (default ./bench-results); "
                         "existing results there are replaced only with --force")
    ap.add_argument("--force", action="store_true",
                    help="replace RESULTS.md / results.json already in --out (e.g. the "
                         "committed ones in benchmarks/)")
    ap.add_argument("--only", default=None,
                    help="comma-separated sections: " + ",".join(SECTIONS))
    ap.add_argument("--render", type=Path, default=None, metavar="RESULTS_JSON",
                    help="measure nothing: rewrite RESULTS.md in --out from this results.json")
    ap.add_argument("--merge", action="store_true",
                    help="the sections measured replace theirs in the results.json already "
                         "in --out, the others are kept (each with when it was measured); "
                         "RESULTS.md is rewritten from the merged results")
    return ap


def _invalid(message: str) -> int:
    sys.stderr.write(f"error: {message}\n")
    return EXIT_INVALID


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run or render; the exit code."""
    args = parser().parse_args(argv)
    out_dir: Path = args.out
    existing = [f for f in ("RESULTS.md", "results.json") if (out_dir / f).exists()]
    if existing and not args.force:
        return _invalid(f"--out: {out_dir} already holds {' and '.join(existing)}; "
                        "use --force to replace them")
    if args.render is not None and args.merge:
        return _invalid("--merge measures sections into saved results; --render measures "
                        "nothing: use one of them")
    if args.render is not None:
        try:
            render_results(args.render, out_dir)
        except (OSError, ValueError, KeyError, TypeError) as e:
            return _invalid(f"--render: cannot read results from {args.render}: {e}")
        print(f"wrote {out_dir / 'RESULTS.md'} from {args.render}")
        return EXIT_OK
    if args.profile not in PROFILES:
        return _invalid(f"--profile: unknown profile {args.profile!r}; choose one of "
                        f"{', '.join(PROFILES)}")
    sections = None
    if args.only is not None:
        sections = tuple(x.strip() for x in args.only.split(",") if x.strip())
        bad = [x for x in sections if x not in SECTIONS]
        if bad or not sections:
            return _invalid(f"--only: unknown section(s) {', '.join(bad) or repr(args.only)}; "
                            f"choose from {', '.join(SECTIONS)}")
    merge_into = None
    saved = out_dir / "results.json"
    if args.merge and saved.exists():
        try:
            merge_into = read_results(saved)
        except (OSError, ValueError, KeyError, TypeError) as e:
            return _invalid(f"--merge: cannot read results from {saved}: {e}")
    elif args.merge:
        print(f"--merge: no {saved} yet: writing this run's results alone", flush=True)
    run_suite(args.profile, out_dir, sections=sections, log=lambda line: print(line, flush=True),
              merge_into=merge_into)
    print(f"wrote {out_dir / 'RESULTS.md'} and {out_dir / 'results.json'}")
    return EXIT_OK

"""Command-line interface: ``procure validate|schema|solve|demo|import``.

Exit codes: 0 solved; 1 other errors; 2 invalid input; 3 infeasible; 4 a limit was
reached with no solution. Bad input prints a short message naming the field and
writes nothing; no traceback reaches the user.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from procure.backends import SolveOptions, Status, backend_names
from procure.errors import ProcureError, ScenarioError, SolverUnavailableError

EXIT_OK, EXIT_ERROR, EXIT_INVALID, EXIT_INFEASIBLE, EXIT_NO_SOLUTION = 0, 1, 2, 3, 4
DEFAULT_MOVEMENT_TIME_LIMIT = 600.0  # seconds, when --time-limit is not given

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Joint procurement planning for multinational alliances.")
import_app = typer.Typer(no_args_is_help=True, help="Import public benchmark instances.")
app.add_typer(import_app, name="import")
out = Console()


def _fail(code: int, message: str) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(code)


def _invalid(e: ScenarioError) -> NoReturn:
    sys.stderr.write(f"{e}\n")
    raise typer.Exit(EXIT_INVALID)


def _check_status(label: str, what: str, status: Status, message: str, strict: bool) -> None:
    """Exit with the code of an unusable status (see the module docstring)."""
    if status == Status.ERROR:
        _fail(EXIT_ERROR, f"{label}: {what}: solver error: {message}")
    if status == Status.INFEASIBLE:
        why = " (strict mode: some requirement cannot be met)" if strict else ""
        _fail(EXIT_INFEASIBLE, f"{label}: the {what} model is infeasible{why}")
    if status == Status.UNBOUNDED:
        _fail(EXIT_ERROR, f"{label}: the {what} model is unbounded")
    if status == Status.LIMIT:
        _fail(EXIT_NO_SOLUTION, f"{label}: {what}: limit reached before any plan was found")


def _solve_and_report(path_label: str, scenario_loader: object, solver: str,
                      time_limit: float | None, mip_gap: float, threads: int, seed: int,
                      strict: bool, out_dir: Path | None) -> int:
    """Plan procurement (joint + go-alone) and/or movements, whichever the scenario holds;
    print the summaries; write results only when every plan passed the evaluator."""
    import pandas as pd

    from procure.logistics import solve as solve_movements
    from procure.procurement.formulation import FormulationOptions
    from procure.procurement.study import study
    from procure.report.console import print_movements, print_study
    from procure.report.write import study_summary, study_tables, write_results

    assert callable(scenario_loader)
    try:
        scenario = scenario_loader()
    except ScenarioError as e:
        _invalid(e)
    if solver not in backend_names():
        _fail(EXIT_INVALID, f"--solver: unknown solver {solver!r}; choose one of "
                            f"{', '.join(backend_names())}")
    has_procurement = bool(scenario.programs or scenario.requirements)
    has_logistics = scenario.logistics is not None and bool(scenario.logistics.movements)
    if not (has_procurement or has_logistics):
        _fail(EXIT_INVALID, f"{path_label}: nothing to plan (no programs or requirements, "
                            "and no logistics movements)")
    opts = SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed)
    summary: dict[str, object] = {}
    tables: dict[str, pd.DataFrame] = {}
    try:
        if has_procurement:
            st = study(scenario, solver=solver, options=opts,
                       formulation=FormulationOptions(strict=strict))
            print_study(st, out)
            _check_status(path_label, "procurement", st.joint.status, st.joint.message, strict)
            ev = st.joint.evaluation
            if ev is not None and not ev.feasible:
                _fail(EXIT_ERROR, "the independent evaluator rejected the procurement plan: "
                                  + "; ".join(str(v) for v in ev.violations[:5]))
            summary["procurement"] = study_summary(st)
            tables.update(study_tables(st))
        if has_logistics:
            mopts = opts
            if time_limit is None:
                # integer lift makes the movement MILP slow to close: never wait unbounded
                mopts = replace(opts, time_limit=DEFAULT_MOVEMENT_TIME_LIMIT)
                out.print(f"no --time-limit given: the movement model stops after "
                          f"{DEFAULT_MOVEMENT_TIME_LIMIT:g} s and reports its gap",
                          highlight=False)
            mr = solve_movements(scenario, solver=solver, options=mopts)
            print_movements(mr, out)
            _check_status(path_label, "movement", mr.status, mr.message, strict)
            mev = mr.evaluation
            if mev is not None and not mev.feasible:
                _fail(EXIT_ERROR, "the independent evaluator rejected the movement plan: "
                                  + "; ".join(str(v) for v in mev.violations[:5]))
            summary["logistics"] = mr.summary()
            tables.update({f"movement_{k}": v for k, v in mr.tables.items()})
    except SolverUnavailableError as e:
        _fail(EXIT_ERROR, str(e))
    if out_dir is not None:
        written = write_results(out_dir, summary, tables)
        out.print(f"results written to {written}", highlight=False, soft_wrap=True)
    return EXIT_OK


SolverOpt = Annotated[str, typer.Option("--solver", help="highs | scip | cpsat | cbc")]
TimeOpt = Annotated[float | None, typer.Option("--time-limit", min=0.0,
                                               help="Wall-clock limit per solve, seconds.")]
GapOpt = Annotated[float, typer.Option("--mip-gap", min=0.0, max=1.0,
                                       help="Relative MIP gap counted as optimal.")]
ThreadsOpt = Annotated[int, typer.Option("--threads", min=1, help="Solver threads.")]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Solver random seed.")]
StrictOpt = Annotated[bool, typer.Option("--strict",
                                         help="Any unmet requirement makes the plan infeasible.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Folder for JSON + CSV results.")]


@app.command()
def validate(file: Annotated[Path, typer.Argument(help="Scenario (YAML or JSON).")]) -> None:
    """Validate a scenario file and print its size."""
    from procure.io import load_scenario

    try:
        s = load_scenario(file)
    except ScenarioError as e:
        _invalid(e)
    text = (f"{file}: valid — {len(s.members)} members, {len(s.capabilities)} capabilities, "
            f"{len(s.programs)} programs, {len(s.requirements)} requirements, "
            f"{s.horizon.first_year}-{s.horizon.last_year}")
    if s.logistics is not None:
        lg = s.logistics
        text += (f"; logistics: {len(lg.locations)} locations, {len(lg.links)} links, "
                 f"{len(lg.lift)} lift fleets, {len(lg.movements)} movements over "
                 f"{lg.horizon_days} days")
    out.print(text, highlight=False)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a scenario document."""
    from procure.schema.export import scenario_json_schema

    sys.stdout.write(json.dumps(scenario_json_schema(), indent=2) + "\n")


@app.command()
def solve(
    file: Annotated[Path, typer.Argument(help="Scenario (YAML or JSON).")],
    solver: SolverOpt = "highs",
    time_limit: TimeOpt = None,
    mip_gap: GapOpt = 1e-6,
    threads: ThreadsOpt = 1,
    seed: SeedOpt = 0,
    strict: StrictOpt = False,
    out_dir: OutOpt = None,
) -> None:
    """Plan joint procurement (and the go-alone baseline) for a scenario."""
    from procure.io import load_scenario

    code = _solve_and_report(str(file), lambda: load_scenario(file), solver, time_limit,
                             mip_gap, threads, seed, strict, out_dir)
    raise typer.Exit(code)


@app.command()
def demo(
    solver: SolverOpt = "highs",
    time_limit: TimeOpt = None,
    out_dir: OutOpt = None,
) -> None:
    """Solve the bundled sample alliance and print the summary."""
    from procure.io import parse_text, scenario_from_data

    def load() -> object:
        ref = resources.files("procure") / "data" / "sample_alliance.yaml"
        return scenario_from_data(parse_text(ref.read_text(encoding="utf-8"), "yaml",
                                             "sample_alliance.yaml"), "sample_alliance.yaml")

    code = _solve_and_report("sample alliance", load, solver, time_limit, 1e-6, 1, 0, False,
                             out_dir)
    raise typer.Exit(code)


@import_app.command("orlib-cflp")
def import_orlib(
    file: Annotated[Path, typer.Argument(help="OR-Library cap*.txt file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Scenario file to write "
                                         "(.yaml or .json).")],
    capacity: Annotated[float | None, typer.Option(
        "--capacity", min=0.0, help="Capacity for files with symbolic capacities (capa...).")
    ] = None,
) -> None:
    """Convert an OR-Library capacitated warehouse location file into a scenario."""
    from procure.io import save_scenario
    from procure.orlib import import_cflp

    if not file.is_file():
        _fail(EXIT_INVALID, f"no such file: {file}")
    try:
        s = import_cflp(file, capacity)
    except ScenarioError as e:
        _invalid(e)
    save_scenario(s, output)
    out.print(f"wrote {output}: {len(s.programs)} programs, {len(s.members)} members",
              highlight=False)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
             add_help_option=False)
def bench(ctx: typer.Context) -> None:
    """Run the benchmark suite from a source checkout: the arguments of
    `python -m benchmarks` (--help lists them)."""
    root = Path(__file__).resolve().parents[1]
    if not ((root / "pyproject.toml").is_file()
            and (root / "benchmarks" / "__main__.py").is_file()):
        _fail(EXIT_INVALID, "the benchmark harness is not installed with procure: it lives in "
                            "the source repository; run `python -m benchmarks` from its root")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from benchmarks.cli import main as run_benchmarks  # only here: not part of the library

    raise typer.Exit(run_benchmarks(list(ctx.args)))


def main() -> None:
    """Entry point. Usage errors exit 2 (reported by the CLI framework); anything
    unexpected becomes a one-line message and exit 1, never a traceback."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("aborted\n")
        sys.exit(EXIT_ERROR)
    except ProcureError as e:
        sys.stderr.write(f"error: {e}\n")
        sys.exit(EXIT_ERROR)
    except Exception as e:
        sys.stderr.write(f"internal error: {type(e).__name__}: {e}\n")
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":  # pragma: no cover
    main()

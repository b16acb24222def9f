"""Command-line interface: ``procure validate|schema|template|convert|solve|demo|sweep|game|
share|report|import|bench``.

Exit codes (also in the README):

- 0   solved (or valid);
- 1   other errors (a solver failed, the evaluator rejected a plan, an internal error:
      one line; ``--debug`` shows the traceback);
- 2   invalid input or options: the message names the field and the value; nothing is
      written;
- 3   infeasible (``--strict`` with an unmeetable requirement);
- 4   a limit was reached with no plan at all;
- 130 interrupted (Ctrl-C or SIGTERM): one line with the best plan so far; nothing
      written.

``--time-limit`` bounds the wall clock of the whole command (every solve draws from it);
without it, a solve command stops after ``DEFAULT_TIME_LIMIT`` seconds and reports what
it has, with its gap. ``sweep`` (``procure/sweep/``) exits 1 when it finished but some
case failed or is invalid, and its ``--time-limit`` is each case's.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import time
import traceback
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from procure.backends import SolveOptions, Status
from procure.errors import (
    ModelRangeError,
    OutputError,
    ProcureError,
    ScenarioError,
    SolverUnavailableError,
)

EXIT_OK, EXIT_ERROR, EXIT_INVALID, EXIT_INFEASIBLE, EXIT_NO_SOLUTION = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130
DEFAULT_TIME_LIMIT = 600.0  # seconds of wall clock for a whole solve command
REPORT_RESERVE = (0.05, 1.0)  # of --time-limit, kept for reporting: fraction, at most s
_STARTED = time.perf_counter()  # the command's clock starts when the CLI is loaded ...
_RUNS = 0  # ... or, when the app runs again in the same process, when that run starts

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Joint procurement planning for multinational alliances.")
import_app = typer.Typer(no_args_is_help=True, help="Import public benchmark instances.")
app.add_typer(import_app, name="import")
out = Console()
_debug = False
_raise_on_signal = False  # set by commands that stop cleanly on KeyboardInterrupt


class Solver(StrEnum):
    """The backends (``procure.backends``)."""

    highs = "highs"
    scip = "scip"
    cbc = "cbc"
    cpsat = "cpsat"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Logs to whatever ``sys.stderr`` is when a record is written (not when the
    handler was made), so a replaced stderr never receives records after it closed."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


class _LowerLevelFormatter(logging.Formatter):
    """``warning: ...``, like the CLI's own lines."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace(record.levelname, record.levelname.lower(), 1)


def _version(value: bool) -> None:
    if value:
        from procure.run.record import procure_version

        out.print(f"procure {procure_version()}", highlight=False)
        raise typer.Exit(EXIT_OK)


@app.callback()
def _global(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback behind an "
                                        "internal error.")] = False,
    verbose: Annotated[int, typer.Option("-v", "--verbose", count=True,
                                         help="Log progress (-v: stages, -vv: details).")] = 0,
) -> None:
    """Joint procurement planning for multinational alliances."""
    global _debug, _RUNS, _STARTED
    _debug = debug
    if _RUNS:  # a later command of a process that imported the CLI once (tests, tools)
        _STARTED = time.perf_counter()
    _RUNS += 1
    logger = logging.getLogger("procure")
    for old in [h for h in logger.handlers if isinstance(h, _StderrHandler)]:
        logger.removeHandler(old)  # one command, one handler (the app may run again)
    handler = _StderrHandler()
    if verbose:
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
        logger.setLevel(logging.INFO if verbose == 1 else logging.DEBUG)
    else:  # the library's warnings only, as the CLI's own warning lines
        handler.setFormatter(_LowerLevelFormatter("%(levelname)s: %(message)s"))
        logger.setLevel(logging.WARNING)
    logger.addHandler(handler)


def _fail(code: int, message: str) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(code)


def _invalid(e: ProcureError) -> NoReturn:
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


def _warn(scenario: Any) -> None:
    """Print the scenario's warnings (valid, but probably not what was meant) on stderr."""
    from procure.schema.warnings import scenario_warnings

    for w in scenario_warnings(scenario):
        where = f"{w.path}: " if w.path else ""
        sys.stderr.write(f"warning: {where}{w.message}\n")


def _solve_and_report(path_label: str, scenario_loader: Any, solver: Solver,
                      time_limit: float | None, mip_gap: float, threads: int, seed: int,
                      strict: bool, out_dir: Path | None, force: bool,
                      inputs: list[Path], share: str | None = None,
                      report: bool = False, baseline: bool | None = None) -> int:
    """Plan procurement and/or movements, whichever the scenario holds. The joint plan
    first: printed, and (with ``out_dir``) written, before any comparison solve starts;
    then, with ``baseline`` (default: for alliance scenarios), going alone and the joint
    plan like for like, and the folder is rewritten with them. With ``share``, the
    burden-sharing section under that rule. Results are written only when every plan
    passed the evaluator (with ``report``, the HTML report inside the final folder,
    sealed with it)."""
    from procure.backends.isolated import Isolated, prepare

    prepare()  # the solve workers' server starts while this process imports and reads

    import pandas as pd

    from procure.backends import get_backend
    from procure.logistics import solve as solve_movements
    from procure.procurement.formulation import FormulationOptions
    from procure.procurement.solve import ProcurementRecord
    from procure.procurement.study import default_baseline, study
    from procure.report.console import print_comparison, print_joint, print_movements
    from procure.report.write import (
        check_out,
        joint_summary,
        joint_tables,
        study_summary,
        study_tables,
    )
    from procure.run.model import Budget

    if report and out_dir is None:
        _fail(EXIT_INVALID, "--report writes report.html into the result folder: give "
                            "--out DIR too (or run procure report on a result folder)")
    if share is not None:  # before any work, like --out
        from procure.sharing.view import RULES

        if share not in RULES:
            _fail(EXIT_INVALID, f"--share: {share!r} is not one of {', '.join(RULES)}")
    if out_dir is not None:  # before any work: a typo must not cost a solve
        try:
            out_dir = check_out(out_dir, force=force, inputs=inputs)
        except OutputError as e:
            _fail(EXIT_INVALID, f"--out: {e}")
    try:
        scenario = scenario_loader()
    except ScenarioError as e:
        _invalid(e)
    _warn(scenario)
    has_procurement = bool(scenario.programs or scenario.requirements)
    has_logistics = scenario.logistics is not None and bool(scenario.logistics.movements)
    if not (has_procurement or has_logistics):
        _fail(EXIT_INVALID, f"{path_label}: nothing to plan (no programs or requirements, "
                            "and no logistics movements)")
    if time_limit is None:
        time_limit = DEFAULT_TIME_LIMIT
        out.print(f"no --time-limit given: stops after {DEFAULT_TIME_LIMIT:g} s, reporting "
                  "its gap", highlight=False, soft_wrap=True)
    # the whole command's: every solve draws from it; start-up already spent, and a
    # reserve for decoding, evaluating, printing and writing, are kept out of it
    reserve = min(REPORT_RESERVE[0] * time_limit, REPORT_RESERVE[1])
    budget = Budget(max(time_limit - reserve - (time.perf_counter() - _STARTED), 0.0))
    # each solve in a worker process: the wall clock and Ctrl-C stay with this process
    backend = Isolated(get_backend(solver.value))
    opts = SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed)

    summary: dict[str, object] = {}
    tables: dict[str, pd.DataFrame] = {}
    explained: dict[str, pd.DataFrame] = {}
    written: list[Path] = []
    run_baseline = default_baseline(scenario) if baseline is None else baseline

    def joint_first(joint: ProcurementRecord) -> None:
        """The joint plan as soon as it is solved: printed, checked, explained and (with
        --out) written, before any comparison solve starts."""
        print_joint(joint, scenario, out)
        if joint.status == Status.INFEASIBLE and strict:
            _fail(EXIT_INFEASIBLE, f"{path_label}: the procurement model is infeasible "
                  "(strict mode): " + _why_infeasible(scenario, solver, budget))
        _check_status(path_label, "procurement", joint.status, joint.message, strict)
        explained.update(_why_short_section(scenario, joint, solver, budget))
        if "marginal_values" in joint.tables and joint.status == Status.OPTIMAL:
            from procure.report.explain import print_marginal

            print_marginal(joint.tables["marginal_values"], scenario.currency, out, top=5)
        ev = joint.evaluation
        if ev is not None and not ev.feasible:
            _fail(EXIT_ERROR, "the independent evaluator rejected the procurement plan: "
                              + "; ".join(str(v) for v in ev.violations[:5]))
        if out_dir is not None and (run_baseline or has_logistics or share is not None):
            # more solves follow: the joint plan is on disk before they start
            folder = _write(out_dir, {"procurement": joint_summary(
                joint, "the comparison solves had not finished when this folder was "
                "written" if run_baseline else "")},
                {**joint_tables(joint), **explained}, force=force, inputs=inputs)
            written.append(folder)
            _PROGRESS.append(f"the joint plan was written to {folder}")
            out.print(f"joint plan written to {escape(str(folder))}"
                      + ("; solving the comparisons" if run_baseline else ""),
                      highlight=False, soft_wrap=True)

    try:
        if has_procurement:
            st = study(scenario, solver=backend, options=opts,
                       formulation=FormulationOptions(strict=strict), budget=budget,
                       baseline=baseline, on_joint=joint_first)
            print_comparison(st, out)
            summary["procurement"] = study_summary(st)
            tables.update(study_tables(st))
            tables.update(explained)
            if share is not None:
                _share_section(scenario, share, budget, summary, tables)
        if has_logistics:
            mr = solve_movements(scenario, solver=backend, options=opts, budget=budget)
            print_movements(mr, out)
            _check_status(path_label, "movement", mr.status, mr.message, strict)
            tables.update(_why_movements_short(scenario, mr, solver, budget))
            mev = mr.evaluation
            if mev is not None and not mev.feasible:
                _fail(EXIT_ERROR, "the independent evaluator rejected the movement plan: "
                                  + "; ".join(str(v) for v in mev.violations[:5]))
            summary["logistics"] = mr.summary()
            tables.update({f"movement_{k}": v for k, v in mr.tables.items()})
    except SolverUnavailableError as e:
        _fail(EXIT_ERROR, str(e))
    except ModelRangeError as e:  # valid fields whose model no solver can take
        _invalid(e)
    if out_dir is not None:
        # the joint plan's folder, written above, is this run's own: it is replaced
        final = _write(out_dir, summary, tables, force=force or bool(written), inputs=inputs,
                       report=report)
        out.print(f"results written to {escape(str(final))}", highlight=False,
                  soft_wrap=True)
        if report:
            out.print(f"report: {escape(str(final / 'report.html'))}", highlight=False,
                      soft_wrap=True)
    return EXIT_OK


_PROGRESS: list[str] = []
"""What a command has already delivered (e.g. the joint plan written), for the one line
an interrupted run prints."""


def _write(out_dir: Path, summary: dict[str, object], tables: dict[str, Any], *,
           force: bool, inputs: list[Path], report: bool = False) -> Path:
    """``write_results`` with results.xlsx; a folder that cannot be written is one line
    and exit 2."""
    from procure.report.write import write_results

    try:
        return write_results(out_dir, summary, tables, force=force, inputs=inputs,
                             report=report, excel=True)
    except OutputError as e:  # the folder changed during the solve, disk full, ...
        _fail(EXIT_INVALID, f"--out: {e}")


EXPLAIN_SHARE = 0.5  # of the time left, at most, for explaining an infeasible or short plan


def _explain_options(budget: Any) -> SolveOptions:
    """Solve options for an explanation's LPs and MIPs within the time left."""
    left = budget.remaining()
    return SolveOptions(time_limit=None if left is None else max(1.0, EXPLAIN_SHARE * left))


def _why_infeasible(scenario: Any, solver: Solver, budget: Any) -> str:
    """One line: the rules that cannot all hold (procure.explain.conflicts)."""
    from procure.backends import get_backend
    from procure.explain.conflicts import why_infeasible

    e = why_infeasible(scenario, get_backend(solver.value), _explain_options(budget))
    if e.found is None:
        return "some requirement cannot be met (no conflict found among the rules)"
    if not e.rules:
        return e.note
    return "these rules cannot all hold: " + " + ".join(r.text for r in e.rules)


def _why_short_section(scenario: Any, record: Any, solver: Solver, budget: Any
                       ) -> dict[str, Any]:
    """For a proven optimal joint plan with shortfalls: why each (largest first) could not
    be delivered, printed and as the ``shortfall_reasons`` table (none otherwise)."""
    from procure.backends import get_backend
    from procure.explain.conflicts import SHORTFALL_REASONS, conflicts_table, why_short
    from procure.report.explain import print_conflicts

    ev = record.evaluation
    if (record.status != Status.OPTIMAL or ev is None or ev.shortfall_units <= 0
            or budget.expired):
        return {}
    found = why_short(scenario, ev.shortfalls["shortfall"].tolist(),
                      get_backend(solver.value), _explain_options(budget), limit=10)
    print_conflicts("Why short (the rules that prevent delivering each shortfall)", found,
                    out)
    return {"shortfall_reasons": conflicts_table(found, scenario.currency,
                                                 SHORTFALL_REASONS)}


def _why_movements_short(scenario: Any, record: Any, solver: Solver, budget: Any
                         ) -> dict[str, Any]:
    """For a proven optimal movement plan with short movements: the rules that hold the
    five shortest back, printed and as the ``movement_shortfall_reasons`` table."""
    from procure.backends import get_backend
    from procure.explain.movements import reasons_table, why_movements_short
    from procure.report.explain import print_movement_reasons
    from procure.run.model import Budget

    ev = record.evaluation
    if (record.status != Status.OPTIMAL or ev is None or not ev.feasible
            or ev.short_tons <= 0 or budget.expired):
        return {}
    left = budget.remaining()
    share = Budget(None if left is None else EXPLAIN_SHARE * left)
    found = why_movements_short(scenario, ev.closure, get_backend(solver.value),
                                SolveOptions(), share, limit=5)
    print_movement_reasons(found, out)
    return {"movement_shortfall_reasons": reasons_table(found)}


def _share_section(scenario: Any, rule: str, budget: Any, summary: dict[str, object],
                   tables: dict[str, Any]) -> None:
    """The solve report's burden-sharing section (``--share RULE``): the alliance's cost
    game on a local pool within what is left of the time budget; when the budget runs
    out first, one line says so and nothing of the game is shown or written."""
    from procure.report.sharing import print_shares
    from procure.sharing.alliance import GameStopped
    from procure.sharing.view import RULES, share_alliance
    from procure.sweep.engine import LocalPool

    if rule not in RULES:  # pragma: no cover - checked before the solve
        _fail(EXIT_INVALID, f"--share: {rule!r} is not one of {', '.join(RULES)}")
    if len(scenario.members) < 2:
        out.print("burden sharing: needs at least 2 members", highlight=False)
        return
    left = budget.remaining()
    opts = SolveOptions(time_limit=120.0 if left is None else max(1.0, min(120.0, left)),
                        threads=1)
    global _raise_on_signal
    _raise_on_signal = True
    pool = LocalPool()
    try:
        view = share_alliance(scenario, rule=rule, options=opts, pool=pool, budget=budget)
    except GameStopped as e:
        out.print(f"burden sharing: not shown: {escape(str(e))}", highlight=False,
                  soft_wrap=True)
        return
    finally:
        pool.close()
        _raise_on_signal = False
    print_shares(view, out, scenario.currency)
    summary["sharing"] = view.summary()
    tables.update(view.tables())


def _run(command: Any) -> int:
    """A solve command; Ctrl-C or SIGTERM inside it ends in one line and exit 130 (the
    framework would otherwise turn it into a bare exit code and lose the best plan)."""
    try:
        code: int = command()
    except KeyboardInterrupt as e:
        _interrupted(e)
    return code


SolverOpt = Annotated[Solver, typer.Option("--solver", help="The solver backend.")]
TimeOpt = Annotated[float | None, typer.Option(
    "--time-limit", min=0.0, help="Wall-clock limit of the whole command, seconds (default "
    f"{DEFAULT_TIME_LIMIT:g}); every solve draws from it.")]
GapOpt = Annotated[float, typer.Option("--mip-gap", min=0.0, max=0.999,
                                       help="Relative MIP gap counted as optimal.")]
ThreadsOpt = Annotated[int, typer.Option("--threads", min=1, help="Solver threads.")]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Solver random seed.")]
StrictOpt = Annotated[bool, typer.Option("--strict",
                                         help="Any unmet requirement makes the plan infeasible.")]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", help="Folder for the results (JSON summary, CSV tables, data dictionary). An "
    "existing folder must be empty or an earlier result (replaced only with --force).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an earlier result folder.")]


@app.command()
def validate(file: Annotated[Path, typer.Argument(
        help="Scenario (YAML, JSON or Excel .xlsx).")]) -> None:
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
    out.print(escape(text), highlight=False, soft_wrap=True)
    _warn(s)
    _warn_numerics(s)


def _warn_numerics(s: Any) -> None:
    """Build each model the scenario holds and check its coefficients as a solve would:
    a model no solver can take is exit 2; a doubtful one is a warning."""
    from procure.logistics.solve import MovementModel
    from procure.procurement.solve import ProcurementModel
    from procure.run.pipeline import check_numerics

    models: list[Any] = []
    if s.programs or s.requirements:
        models += [ProcurementModel(), ProcurementModel(mode="alone")]
    if s.logistics is not None and s.logistics.movements:
        models.append(MovementModel())
    try:
        for model in models:
            for note in check_numerics(model, s):
                sys.stderr.write(f"warning: {note}\n")
    except ModelRangeError as e:
        _invalid(e)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a scenario document."""
    from procure.schema.export import scenario_json_schema

    sys.stdout.write(json.dumps(scenario_json_schema(), indent=2) + "\n")


SCENARIO_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")


def _new_file(path: Path, force: bool, suffixes: tuple[str, ...]) -> None:
    """Exit 2 unless ``path`` may be written: a known suffix, an existing folder above
    it, and not an existing file (unless ``force``) nor a folder."""
    if path.suffix.lower() not in suffixes:
        _fail(EXIT_INVALID, f"{path}: the file name must end in {', '.join(suffixes)}")
    if path.is_dir():
        _fail(EXIT_INVALID, f"{path} is a folder")
    if (path.exists() or path.is_symlink()) and not force:
        _fail(EXIT_INVALID, f"{path} exists; add --force to replace it")
    if not path.parent.is_dir():
        _fail(EXIT_INVALID, f"{path.parent} is not an existing folder")


@app.command("template")
def template_command(
    path: Annotated[Path, typer.Argument(help="Workbook to write (.xlsx).")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write an empty scenario workbook: a sheet per section of the scenario, each column
    with a note (description, unit, type); fill it in, then `procure solve FILE.xlsx`."""
    from procure.workbook import template

    _new_file(path, force, (".xlsx",))
    try:
        template(path)
    except OSError as e:
        _fail(EXIT_INVALID, f"cannot write {path}: {e.strerror or e}")
    out.print(f"wrote {escape(str(path))}: a scenario workbook to fill in (the README sheet "
              "lists every sheet and column)", highlight=False, soft_wrap=True)


@app.command("convert")
def convert_command(
    source: Annotated[Path, typer.Argument(help="Scenario to read (YAML, JSON or .xlsx).")],
    target: Annotated[Path, typer.Argument(help="Scenario to write (.yaml, .yml, .json or "
                                           ".xlsx).")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Convert a scenario between YAML, JSON and an Excel workbook, validated on the way
    (nothing is written when the source is invalid)."""
    from procure.io import load_scenario, save_scenario
    from procure.workbook import write_scenario

    _new_file(target, force, SCENARIO_SUFFIXES)
    with contextlib.suppress(OSError):
        if target.exists() and target.resolve() == source.resolve():
            _fail(EXIT_INVALID, f"{target} is the file being converted")
    try:
        scenario = load_scenario(source)
    except ScenarioError as e:
        _invalid(e)
    try:
        if target.suffix.lower() == ".xlsx":
            write_scenario(scenario, target)
        else:
            save_scenario(scenario, target)
    except ScenarioError as e:  # a text longer than a cell holds
        _invalid(e)
    except OSError as e:
        _fail(EXIT_INVALID, f"cannot write {target}: {e.strerror or e}")
    out.print(f"wrote {escape(str(target))}", highlight=False, soft_wrap=True)


@app.command()
def solve(
    file: Annotated[Path, typer.Argument(help="Scenario (YAML, JSON or Excel .xlsx).")],
    solver: SolverOpt = Solver.highs,
    time_limit: TimeOpt = None,
    mip_gap: GapOpt = 1e-6,
    threads: ThreadsOpt = 1,
    seed: SeedOpt = 0,
    strict: StrictOpt = False,
    out_dir: OutOpt = None,
    force: ForceOpt = False,
    share: Annotated[str | None, typer.Option(
        "--share", help="Add the burden-sharing section under this rule (shapley, "
        "nucleolus, least-core, scrb, gdp, units or equal): the alliance's cost game, "
        "solved within the same --time-limit.")] = None,
    report: Annotated[bool, typer.Option(
        "--report", help="Also write report.html, the self-contained HTML report, into "
        "the --out folder (see procure report).")] = False,
    baseline: Annotated[bool | None, typer.Option(
        "--baseline/--no-baseline", help="Also solve going alone and the joint plan like "
        "for like, after the joint plan, within half of --time-limit (default: on for "
        "alliance scenarios, off for an imported facility-location instance).",
        show_default=False)] = None,
) -> None:
    """Plan joint procurement (first; then the go-alone comparison) and movements for a
    scenario."""
    from procure.io import load_scenario

    code = _run(lambda: _solve_and_report(str(file), lambda: load_scenario(file), solver,
                                          time_limit, mip_gap, threads, seed, strict,
                                          out_dir, force, [file], share, report, baseline))
    raise typer.Exit(code)


@app.command()
def demo(
    solver: SolverOpt = Solver.highs,
    time_limit: TimeOpt = None,
    out_dir: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Solve the bundled sample alliance and print the summary."""
    from procure.io import parse_text, scenario_from_data

    def load() -> object:
        ref = resources.files("procure") / "data" / "sample_alliance.yaml"
        return scenario_from_data(parse_text(ref.read_text(encoding="utf-8"), "yaml",
                                             "sample_alliance.yaml"), "sample_alliance.yaml")

    code = _run(lambda: _solve_and_report("sample alliance", load, solver, time_limit, 1e-6,
                                          1, 0, False, out_dir, force, []))
    raise typer.Exit(code)


def _executor(dask: str | None) -> str:
    """``--dask``: none, the local pool; ``local``, a Dask LocalCluster started for the
    command; anything else, a scheduler's address."""
    return "local" if dask is None else "dask" if dask == "local" else dask


@app.command("sweep")
def sweep_command(
    spec_file: Annotated[Path, typer.Argument(help="Sweep specification (YAML or JSON).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder of the sweep's results "
                                          "(written as cases finish).")],
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Cases at once on this machine (default: one per core "
        "per solver thread).")] = None,
    dask: Annotated[str | None, typer.Option(
        "--dask", help="Run on Dask: a scheduler address (tcp://host:8786), or 'local' "
        "for a LocalCluster of --workers processes (default 2).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Finish an earlier sweep in "
                                         "--out: solve only the cases not stored.")] = False,
    force: ForceOpt = False,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0, help="Wall-clock limit of each case, seconds (default: "
        "the spec's); a case that runs far past it is killed and retried once.")] = None,
    report: Annotated[bool, typer.Option("--report", help="Print every case against the "
                                         "base case.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress display.")] = False,
) -> None:
    """Run a what-if sweep: every case of SPEC solved (a process per case, locally or on
    Dask), each result stored as it finishes; one table of cases in --out."""
    from dataclasses import replace

    from procure.errors import OutputError
    from procure.report.sweep import SweepProgress, print_sweep
    from procure.schema.sweep import load_sweep
    from procure.sweep.cases import expand
    from procure.sweep.runner import make_pool
    from procure.sweep.runner import sweep as run_sweep
    from procure.sweep.store import SweepStore

    try:
        spec, base = load_sweep(spec_file)
    except ScenarioError as e:
        _invalid(e)
    try:  # before any work: a typo must not cost a sweep
        SweepStore.open(out_dir, name=spec.name, resume=resume, force=force)
    except OutputError as e:
        _fail(EXIT_INVALID, f"--out: {e}")
    cases = expand(spec, base)
    if time_limit is not None:
        cases = [replace(c, options=replace(c.options, time_limit=time_limit)) for c in cases]
    try:
        pool = make_pool(_executor(dask), workers=workers,
                         threads=max((c.options.threads for c in cases), default=1))
    except ProcureError as e:  # dask not installed, a scheduler that does not answer
        _fail(EXIT_ERROR, str(e))
    where = (f"this machine, {pool.capacity} at a time" if pool.name == "local" else
             f"a Dask LocalCluster of {pool.capacity} workers" if dask == "local" else
             f"Dask at {dask} ({pool.capacity} worker threads)")
    out.print(f"{escape(spec.name)}: {len(cases)} cases on {escape(where)}",
              highlight=False, soft_wrap=True)
    global _raise_on_signal
    _raise_on_signal = True  # the engine stops its cases and says what is stored
    live = not quiet and out.is_terminal

    def run() -> Any:
        with SweepProgress(out, len(cases), enabled=live) as progress:
            return run_sweep(spec, base, executor=pool, out=out_dir, resume=True,
                             force=False, on_progress=progress, cases=cases)

    try:
        result = run()
    except KeyboardInterrupt as e:  # SweepInterrupted: what is stored, and how to go on
        _interrupted(e)
    finally:
        pool.close()
    print_sweep(result.cases, out, folder=str(out_dir), report=report,
                currency=base.currency)
    bad = result.cases.outcome.isin(["failed", "invalid", "missing"]).any()
    raise typer.Exit(EXIT_ERROR if bad else EXIT_OK)


@app.command("game")
def game_command(
    file: Annotated[Path, typer.Argument(help="Game file (JSON): kind, players and the "
                                         "value of every coalition.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Share a cooperative game fairly: Shapley value, nucleolus, least core, and whether
    the core is empty and the Shapley value in it (models/sharing.md)."""
    from procure.sharing import analyse_game, load_game

    try:
        game = load_game(file)
    except ScenarioError as e:
        _invalid(e)
    analysis = analyse_game(game)
    if as_json:
        sys.stdout.write(json.dumps(analysis.as_dict(), indent=2) + "\n")
        return
    from procure.report.sharing import print_game

    print_game(analysis, out, str(file))


@app.command("share")
def share_command(
    file: Annotated[Path, typer.Argument(help="Scenario (YAML or JSON).")],
    rule: Annotated[str, typer.Option(
        "--rule", help="The rule whose savings, blocking coalitions and payment schedule "
        "are shown: shapley, nucleolus, least-core, scrb, gdp, units or equal.")
    ] = "shapley",
    samples: Annotated[int | None, typer.Option(
        "--samples", min=2, help="Replicates of the sampled Shapley value beyond 12 "
        "members (each solves up to n (n - 1) coalitions; default: about 2 000 "
        "coalitions in all, at least 2).")] = None,
    out_dir: OutOpt = None,
    force: ForceOpt = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Coalitions solved at once on this machine.")] = None,
    dask: Annotated[str | None, typer.Option(
        "--dask", help="Solve the coalitions on Dask: a scheduler address, or 'local'.")
    ] = None,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0, help="Wall-clock limit of each coalition's solve, "
        "seconds (default 120).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON.")] = False,
) -> None:
    """Who pays what: the alliance's cost game (every coalition's own like-for-like plan)
    shared by each fair rule, member by member (models/sharing.md section 11)."""
    from procure.report.sharing import print_shares
    from procure.report.write import write_results
    from procure.sharing.view import RULES, share_alliance
    from procure.sweep.runner import make_pool

    if rule not in RULES:
        _fail(EXIT_INVALID, f"--rule: {rule!r} is not one of {', '.join(RULES)}")
    out_dir, scenario = _out_and_scenario(file, out_dir, force)
    if len(scenario.members) < 2 or not (scenario.programs and scenario.requirements):
        _fail(EXIT_INVALID, f"{file}: sharing needs at least 2 members, programs and "
                            "requirements")
    opts = SolveOptions(time_limit=120.0 if time_limit is None else time_limit, threads=1)
    try:
        pool = make_pool(_executor(dask), workers=workers)
    except ProcureError as e:
        _fail(EXIT_ERROR, str(e))
    global _raise_on_signal
    _raise_on_signal = True
    try:
        view = share_alliance(scenario, rule=rule,
                              options=opts, pool=pool, samples=samples)
    except KeyboardInterrupt as e:
        _interrupted(e)
    finally:
        pool.close()
    if out_dir is not None:
        try:
            write_results(out_dir, view.summary(), view.tables(), force=force, inputs=[file])
        except OutputError as e:
            _fail(EXIT_INVALID, f"--out: {e}")
    if as_json:
        sys.stdout.write(view.table.to_json(orient="records", indent=2) + "\n")
        return
    print_shares(view, out, scenario.currency)


def _out_and_scenario(file: Path, out_dir: Path | None, force: bool
                      ) -> tuple[Path | None, Any]:
    """``--out`` checked before any work (a typo must not cost a solve), then the
    scenario loaded and its warnings printed; exit 2 on either's error."""
    from procure.io import load_scenario
    from procure.report.write import check_out

    if out_dir is not None:
        try:
            out_dir = check_out(out_dir, force=force, inputs=[file])
        except OutputError as e:
            _fail(EXIT_INVALID, f"--out: {e}")
    try:
        scenario = load_scenario(file)
    except ScenarioError as e:
        _invalid(e)
    _warn(scenario)
    return out_dir, scenario


@app.command("explain")
def explain_command(
    file: Annotated[Path, typer.Argument(help="Scenario (YAML or JSON).")],
    strict: Annotated[bool, typer.Option(
        "--strict", help="Explain why the scenario has no plan that meets every "
        "requirement (the rules that cannot all hold).")] = False,
    prices: Annotated[bool, typer.Option(
        "--prices", help="Also price each national constraint: the alliance's cost with "
        "and without it (one solve per rule, on the sweep engine).")] = False,
    why_not: Annotated[list[str] | None, typer.Option(
        "--why-not", help="PROGRAM or PROGRAM:MEMBER: the cost of forcing the program "
        "(or the member's participation in it) into the plan; repeatable.")] = None,
    solver: SolverOpt = Solver.highs,
    time_limit: TimeOpt = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Solves at once for --prices and --why-not.")] = None,
    out_dir: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Why the plan is what it is: conflicting rules, why each shortfall, what one more
    unit of each binding rule is worth, what national constraints cost (models/explain.md)."""
    code = _run(lambda: _explain(file, strict, prices, why_not or [], solver, time_limit,
                                 workers, out_dir, force))
    raise typer.Exit(code)


def _explain(file: Path, strict: bool, prices: bool, why_not: list[str], solver: Solver,
             time_limit: float | None, workers: int | None, out_dir: Path | None,
             force: bool) -> int:
    import pandas as pd

    from procure.backends import get_backend
    from procure.explain.conflicts import CONFLICTS, conflicts_table, why_infeasible
    from procure.explain.prices import parse_question
    from procure.logistics import solve as solve_movements
    from procure.procurement.formulation import FormulationOptions
    from procure.procurement.solve import solve as solve_procurement
    from procure.report.console import status_line
    from procure.report.explain import print_conflicts, print_marginal
    from procure.report.write import write_results
    from procure.run.model import Budget

    questions: list[tuple[str, str | None]] = []
    for q in why_not:
        try:
            questions.append(parse_question(q))
        except ValueError as e:
            _fail(EXIT_INVALID, str(e))
    out_dir, scenario = _out_and_scenario(file, out_dir, force)
    known = {p.id: p for p in scenario.programs}
    members = {m.id for m in scenario.members}
    for program, member in questions:
        if program not in known:
            _fail(EXIT_INVALID, f"--why-not: program {program!r} is not in the scenario")
        if member is not None and member not in members:
            _fail(EXIT_INVALID, f"--why-not: member {member!r} is not in the scenario")
    has_procurement = bool(scenario.programs and scenario.requirements)
    has_movements = scenario.logistics is not None and bool(scenario.logistics.movements)
    if not (has_procurement or has_movements):
        _fail(EXIT_INVALID, f"{file}: nothing to explain (no programs and requirements, "
                            "and no logistics movements)")
    if (strict or prices or questions) and not has_procurement:
        _fail(EXIT_INVALID, f"{file}: --strict, --prices and --why-not explain the "
                            "procurement plan, and the scenario has no programs and "
                            "requirements")
    if time_limit is None:
        time_limit = DEFAULT_TIME_LIMIT
    budget = Budget(time_limit)
    backend = get_backend(solver.value)
    tables: dict[str, pd.DataFrame] = {}
    summary: dict[str, object] = {}
    cur = scenario.currency
    if has_procurement:
        if strict:
            expl = why_infeasible(scenario, backend, _explain_options(budget))
            if expl.found is None:
                out.print("strict scenario: a plan meets every requirement (nothing conflicts)",
                          highlight=False)
            else:
                print_conflicts("Why the strict scenario has no plan", [expl], out)
            tables["conflicts"] = conflicts_table([expl], cur, CONFLICTS)
            summary["strict_feasible"] = expl.found is None
        rec = solve_procurement(scenario, solver=backend, options=SolveOptions(
            time_limit=budget.remaining()), formulation=FormulationOptions(), budget=budget,
            marginal=True)
        out.print(f"joint plan: {status_line(rec)}", highlight=False, soft_wrap=True)
        _check_status(str(file), "procurement", rec.status, rec.message, False)
        summary["joint"] = rec.summary()
        if rec.status != Status.OPTIMAL:
            out.print("the joint plan is not proven optimal: no marginal values or shortfall "
                      "reasons are shown (they would describe an unfinished plan)",
                      highlight=False, soft_wrap=True)
        else:
            tables.update(_why_short_section(scenario, rec, solver, budget))
            if "marginal_values" in rec.tables:
                print_marginal(rec.tables["marginal_values"], cur, out, top=15)
                tables["marginal_values"] = rec.tables["marginal_values"]
        if prices or questions:
            tables.update(_prices_section(scenario, prices, questions, solver, workers, budget,
                                          rec))
    if has_movements:
        mr = solve_movements(scenario, solver=backend, options=SolveOptions(
            time_limit=budget.remaining()), budget=budget)
        out.print(f"movement plan: {status_line(mr)}", highlight=False, soft_wrap=True)
        _check_status(str(file), "movement", mr.status, mr.message, False)
        summary["movements"] = mr.summary()
        if mr.status != Status.OPTIMAL:
            out.print("the movement plan is not proven optimal: no shortfall reasons are "
                      "shown (they would describe an unfinished plan)", highlight=False,
                      soft_wrap=True)
        tables.update(_why_movements_short(scenario, mr, solver, budget))
        if "bottlenecks" in mr.tables:
            tables["movement_bottlenecks"] = mr.tables["bottlenecks"]
    if out_dir is not None:
        try:
            written = write_results(out_dir, {"explain": summary}, tables, force=force,
                                    inputs=[file])
        except OutputError as e:
            _fail(EXIT_INVALID, f"--out: {e}")
        out.print(f"results written to {escape(str(written))}", highlight=False,
                  soft_wrap=True)
    return EXIT_OK


def _prices_section(scenario: Any, prices: bool, questions: list[tuple[str, str | None]],
                    solver: Solver, workers: int | None, budget: Any,
                    rec: Any) -> dict[str, Any]:
    """``--prices`` and ``--why-not``: re-solves on the local pool (procure.explain.prices);
    ``rec``: the joint plan already solved, which they compare with."""
    from procure.explain.prices import constraint_prices, why_not
    from procure.sweep.engine import LocalPool

    global _raise_on_signal
    _raise_on_signal = True
    pool = LocalPool(workers)
    tables: dict[str, Any] = {}
    opts = SolveOptions(time_limit=budget.remaining(), threads=1)
    try:
        if prices:
            cp = constraint_prices(scenario, solver=solver.value, options=opts, pool=pool,
                                   budget=budget, plan=rec)
            out.print("What each national constraint costs the alliance", style="bold",
                      highlight=False)
            for line in cp.lines():
                out.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
            tables["constraint_prices"] = cp.table()
        if questions:
            wn = why_not(scenario, questions, solver=solver.value, options=opts, pool=pool,
                         budget=budget, plan=rec)
            out.print("Why not ...?", style="bold", highlight=False)
            for line in wn.lines():
                out.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
            tables["why_not"] = wn.table()
    finally:
        pool.close()
        _raise_on_signal = False
    return tables


@app.command("report")
def report_command(
    result_dir: Annotated[Path, typer.Argument(help="A result folder (procure solve, demo "
                                               "or share --out) or a sweep folder "
                                               "(procure sweep --out).")],
    html_out: Annotated[Path | None, typer.Option(
        "-o", "--output", help="The HTML report to write: one self-contained page, "
        "figures embedded, no network needed.")] = None,
    pdf_out: Annotated[Path | None, typer.Option(
        "--pdf", help="Also print the report to this PDF with headless Chromium (found "
        "on the PATH, or named by $PROCURE_CHROMIUM).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace existing report files."
                                        )] = False,
) -> None:
    """Write the HTML report (and/or a PDF) of a result or sweep folder."""
    from procure.report.html import PrintError, ReportError, write_report

    try:
        written = write_report(result_dir, html_out, pdf_out, force=force)
    except ReportError as e:  # not a result folder, an output exists, no Chromium
        _fail(EXIT_INVALID, str(e))
    except PrintError as e:
        _fail(EXIT_ERROR, str(e))
    for path in written:
        out.print(f"report written to {escape(str(path))}", highlight=False, soft_wrap=True)


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
    out.print(f"wrote {escape(str(output))}: {len(s.programs)} programs, {len(s.members)} "
              "members",
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


def _interrupted(e: BaseException) -> NoReturn:
    """One line, with the best plan the interrupted run had, and exit 130."""
    from procure.run.pipeline import RunInterrupted

    line = "interrupted"
    stored = getattr(e, "stored", None)  # a sweep's (SweepInterrupted)
    if stored is not None:
        line += (f": {stored} of {getattr(e, 'total', '?')} cases stored; run again with "
                 "--resume to finish")
    elif isinstance(e, RunInterrupted):
        r = e.record
        line += f" during the {r.model} ({r.variant}) solve"
        if r.objective is not None:
            gap = "" if r.gap is None else f", gap {100 * r.gap:.3g} %"
            line += f": best plan so far {r.objective:,.6g}{gap} (not written)"
        else:
            line += ": no plan yet"
    if _PROGRESS:
        line += "; " + "; ".join(_PROGRESS)
    sys.stderr.write(line + "\n")
    sys.exit(EXIT_INTERRUPTED)


def _on_signal(signum: int, frame: Any) -> None:
    """SIGINT/SIGTERM: a solve in progress stops and the run reports its best plan
    (:class:`~procure.run.pipeline.RunInterrupted`, exit 130); anywhere else (loading,
    compiling, an import, writing) the process ends at once with one line and exit
    130, as a KeyboardInterrupt there could leave a module half imported. A result
    folder being written is left whole or absent (written beside it, then swapped in);
    the next run removes the temporary folder."""
    from procure.backends.isolated import request_stop, solving

    if solving():
        request_stop()
        return
    if _raise_on_signal:  # a sweep: its engine stops the cases and reports what is stored
        raise KeyboardInterrupt
    with contextlib.suppress(OSError, RuntimeError, ValueError):  # closed, or mid-write
        sys.stdout.flush()
    os.write(2, b"interrupted\n")
    os._exit(EXIT_INTERRUPTED)


def main(argv: list[str] | None = None) -> None:
    """Entry point. Usage errors exit 2 (reported by the CLI framework); Ctrl-C and
    SIGTERM exit 130 with one line; anything unexpected becomes a one-line message and
    exit 1, never a traceback (unless --debug)."""
    from procure.backends.isolated import clear_stop

    clear_stop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _on_signal)
    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except (typer.Abort, KeyboardInterrupt) as e:
        _interrupted(e)
    except typer.TyperException as e:  # usage errors: exit 2, the framework's message
        show = getattr(e, "show", None)
        if callable(show):
            show()
        else:
            sys.stderr.write(f"error: {e.format_message()}\n")
        sys.exit(e.exit_code)
    except ProcureError as e:
        sys.stderr.write(f"error: {e}\n")
        sys.exit(EXIT_ERROR)
    except Exception as e:
        if _debug:
            traceback.print_exc()
        sys.stderr.write(f"internal error: {type(e).__name__}: {e}\n")
        sys.exit(EXIT_ERROR)
    if code == EXIT_INTERRUPTED:  # a Ctrl-C the framework caught and turned into 130
        _interrupted(KeyboardInterrupt())
    sys.exit(code if isinstance(code, int) else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()

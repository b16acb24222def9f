"""Benchmark the procurement pipeline against references measured in the same run.

    python benchmarks/bench_procurement.py [--quick] [--out benchmarks/RESULTS.md]

Sections (see ``benchmarks/README.md``):

1. build time of our neutral model (``compile_scenario`` + ``build``) against a
   reference: the same facility-location MILP assembled directly as numpy CSR arrays
   and handed to ``highspy.Highs.passModel``; scenario parsing and pydantic
   validation timed separately;
2. strong vs weak linking on HiGHS;
3. HiGHS, SCIP and CBC side by side (strong linking), hand-off split from the solve;
4. the sample alliance, joint and go-alone, on every backend;
5. capa-8000 (full run only, once, 600 s limit);
6. where our build time goes (cProfile).

Every time is the median of repeats taken in this process, interleaved so that
load from other processes affects all contenders alike. Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import json
import math
import os
import platform
import pstats
import re
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, TypeVar

import highspy
import numpy as np
import numpy.typing as npt

from procure.backends import SolveOptions, get_backend
from procure.io import load_scenario, parse_text, scenario_from_data
from procure.lp.model import FloatArray, ModelArrays
from procure.orlib import CflpInstance, cflp_to_scenario, read_cflp
from procure.procurement.compile import Mode, compile_scenario
from procure.procurement.formulation import FormulationOptions, build
from procure.procurement.solve import solve
from procure.schema.scenario import Scenario

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("PROCURE_SHARED_DATA", REPO.parent / "shared" / "data"))
SAMPLE = REPO / "procure" / "data" / "sample_alliance.yaml"
CAP_NAMES = ["cap41", "cap42", "cap43", "cap44", "cap51", "cap61", "cap62", "cap63", "cap64",
             "cap71", "cap72", "cap73", "cap74"]
SYNTHETIC_NAME = "cfl-200x200-s0"
SYNTHETIC_OPTIMUM = 85738.0501  # data/synthetic/README.md (HiGHS 1.14, zero gap)
CAPA_CAPACITY = 8000.0
OBJ_RTOL = 1e-6
BACKENDS = ("highs", "scip", "cbc")  # cpsat refuses continuous variables (every model here)

IntArray32 = npt.NDArray[np.int32]
T = TypeVar("T")
Kind = Literal["cap", "synthetic", "capa"]


# ---------------------------------------------------------------------------------------
# settings


@dataclass(frozen=True)
class Settings:
    """Repeat counts and time limits of one run (``--quick`` shrinks them)."""

    quick: bool
    build_repeats_cap: int
    build_repeats_large: int
    solve_repeats_cap: int
    sample_repeats: int
    synthetic_limit: float
    sample_limit: float  # SCIP and CBC on the sample alliance
    capa_limit: float | None  # None: capa is skipped

    @classmethod
    def make(cls, quick: bool) -> Settings:
        if quick:
            return cls(True, 5, 3, 2, 1, 20.0, 20.0, None)
        return cls(False, 15, 5, 5, 3, 180.0, 120.0, 600.0)


# ---------------------------------------------------------------------------------------
# timing helpers


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """``fn()`` and its wall-clock seconds (a collection first, so garbage is not billed)."""
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def median(values: Sequence[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return statistics.median(finite) if finite else math.nan


def geomean(values: Sequence[float]) -> float:
    good = [v for v in values if v > 0 and math.isfinite(v)]
    return math.exp(sum(math.log(v) for v in good) / len(good)) if good else math.nan


def rel_error(value: float | None, reference: float | None) -> float | None:
    if value is None or reference is None:
        return None
    return abs(value - reference) / max(abs(reference), 1e-9)


# ---------------------------------------------------------------------------------------
# probes: timing hooks inside the backends, installed once for the whole run


@dataclass
class ProbeLog:
    """What the hooks saw during one ``backend.solve``."""

    handoff_s: float = 0.0  # our arrays -> the solver's model (HiGHS: Highs()+options+passModel)
    readback_s: float = 0.0  # CBC only: parsing the solution file
    nodes: int | None = None  # HiGHS branch-and-bound nodes


class Probes:
    """Timing hooks patched into the backends (and restored by :meth:`uninstall`).

    - HiGHS: ``highspy.Highs`` is replaced by a subclass that notes when the object is
      created and when ``run()`` starts (hand-off = the time between), and reads the node
      count after ``run()``; with ``skip_run`` set, ``run()`` returns at once, so the
      backend's own hand-off code can be timed without solving.
    - SCIP: ``procure.backends.ortools._scip_model`` (the ModelBuilderHelper fill).
    - CBC: ``procure.backends.pulp._build`` + ``pulp.LpProblem.writeMPS`` are the hand-off;
      ``pulp.COIN_CMD.readsol_MPS`` is the read-back.
    """

    def __init__(self) -> None:
        self.log = ProbeLog()
        self.skip_run = False
        self._restore: list[tuple[Any, str, Any]] = []

    def reset(self) -> ProbeLog:
        self.log = ProbeLog()
        return self.log

    def _patch(self, owner: Any, name: str, new: Any) -> None:
        self._restore.append((owner, name, getattr(owner, name)))
        setattr(owner, name, new)

    def _timing(self, fn: Callable[..., T], slot: str) -> Callable[..., T]:
        probes = self

        def wrapper(*args: Any, **kwargs: Any) -> T:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                log = probes.log
                setattr(log, slot, getattr(log, slot) + time.perf_counter() - t0)

        return wrapper

    def install(self) -> None:
        import pulp

        import procure.backends.ortools as ort
        import procure.backends.pulp as pb

        probes = self
        base: Any = highspy.Highs

        class TimedHighs(base):  # type: ignore[misc]
            def __init__(self) -> None:
                self._bench_t0 = time.perf_counter()
                self._bench_ran = False
                super().__init__()

            def run(self) -> Any:
                if not self._bench_ran:
                    probes.log.handoff_s += time.perf_counter() - self._bench_t0
                    self._bench_ran = True
                if probes.skip_run:
                    return highspy.HighsStatus.kOk
                status = super().run()
                probes.log.nodes = int(self.getInfo().mip_node_count)
                return status

        self._patch(highspy, "Highs", TimedHighs)
        self._patch(ort, "_scip_model", self._timing(ort._scip_model, "handoff_s"))
        self._patch(pb, "_build", self._timing(pb._build, "handoff_s"))
        self._patch(pulp.LpProblem, "writeMPS",
                    self._timing(pulp.LpProblem.writeMPS, "handoff_s"))
        self._patch(pulp.COIN_CMD, "readsol_MPS",
                    self._timing(pulp.COIN_CMD.readsol_MPS, "readback_s"))

    def uninstall(self) -> None:
        while self._restore:
            owner, name, old = self._restore.pop()
            setattr(owner, name, old)


ORIGINAL_HIGHS: Any = highspy.Highs  # the reference uses the unpatched class


# ---------------------------------------------------------------------------------------
# the reference: the facility-location MILP straight into numpy CSR and passModel


@dataclass(frozen=True)
class RefModel:
    """Columns ``y_i`` (open warehouse i, binary) then ``x_{j,i}`` (units customer j gets
    from warehouse i) at ``m + j m + i``; rows: demand (n), capacity (m), and with strong
    linking ``x_{j,i} <= d_j y_i`` (n m)."""

    num_col: int
    num_row: int
    col_cost: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    row_lower: FloatArray
    row_upper: FloatArray
    a_start: IntArray32  # row starts, without the final end (passModel's form)
    a_index: IntArray32
    a_value: FloatArray
    integrality: IntArray32

    @property
    def num_nz(self) -> int:
        return int(self.a_value.size)


def reference_build(inst: CflpInstance, strong: bool = True) -> RefModel:
    """The same MILP as our OR-lib scenario, with the least work numpy allows."""
    n, m = inst.cost.shape
    nm = n * m
    d, cap = inst.demand, inst.capacity
    x = np.arange(m, m + nm, dtype=np.int32).reshape(n, m)
    y = np.arange(m, dtype=np.int32)
    col_cost = np.concatenate([inst.fixed_cost, (inst.cost / d[:, None]).ravel()])
    col_upper = np.concatenate([np.ones(m), np.minimum(d[:, None], cap[None, :]).ravel()])
    integrality = np.zeros(m + nm, dtype=np.int32)
    integrality[:m] = 1
    # demand rows: sum_i x_ji >= d_j; capacity rows: sum_j x_ji - cap_i y_i <= 0
    index = [x.ravel(), np.hstack([x.T, y[:, None]]).ravel()]
    value = [np.ones(nm), np.hstack([np.ones((m, n)), -cap[:, None]]).ravel()]
    start = [np.arange(0, nm, m, dtype=np.int32),
             np.arange(nm, nm + m * (n + 1), n + 1, dtype=np.int32)]
    lower = [d, np.full(m, -np.inf)]
    upper = [np.full(n, np.inf), np.zeros(m)]
    if strong:  # x_ji - d_j y_i <= 0
        index.append(np.column_stack([x.ravel(), np.tile(y, n)]).ravel())
        value.append(np.column_stack([np.ones(nm), -np.repeat(d, m)]).ravel())
        start.append(np.arange(nm + m * (n + 1), 3 * nm + m * (n + 1), 2, dtype=np.int32))
        lower.append(np.full(nm, -np.inf))
        upper.append(np.zeros(nm))
    row_lower = np.concatenate(lower)
    return RefModel(m + nm, row_lower.size, col_cost, np.zeros(m + nm), col_upper, row_lower,
                    np.concatenate(upper), np.concatenate(start), np.concatenate(index),
                    np.concatenate(value), integrality)


def reference_handoff(ref: RefModel) -> Any:
    """A ``Highs`` object holding ``ref``, with the options our backend sets."""
    h = ORIGINAL_HIGHS()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", OBJ_RTOL)
    h.passModel(ref.num_col, ref.num_row, ref.num_nz, 2, 1, 0.0, ref.col_cost, ref.col_lower,
                ref.col_upper, ref.row_lower, ref.row_upper, ref.a_start, ref.a_index,
                ref.a_value, ref.integrality)
    return h


# ---------------------------------------------------------------------------------------
# instances


@dataclass(frozen=True)
class Instance:
    name: str
    kind: Kind
    path: Path
    capacity: float | None
    optimum: float | None


def read_optima(path: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[0]] = float(parts[1])
    return out


def instances(data: Path) -> tuple[list[Instance], Instance, Instance]:
    orlib = data / "orlib-cflp"
    optima = read_optima(orlib / "optima.txt")
    caps = [Instance(n, "cap", orlib / f"{n}.txt", None, optima[n]) for n in CAP_NAMES]
    synth = Instance(SYNTHETIC_NAME, "synthetic", data / "synthetic" / f"{SYNTHETIC_NAME}.txt",
                     None, SYNTHETIC_OPTIMUM)
    capa = Instance("capa-8000", "capa", orlib / "capa.txt", CAPA_CAPACITY,
                    optima["capa-8000"])
    return caps, synth, capa


# ---------------------------------------------------------------------------------------
# records


@dataclass
class BuildRecord:
    """Section 1: medians over ``repeats`` interleaved repetitions."""

    instance: str
    repeats: int
    programs: int  # warehouses
    members: int  # customers
    size: tuple[int, int, int]  # ours: columns, rows, nonzeros
    ref_size: tuple[int, int, int]
    parse_s: float  # read_cflp (shared by both sides)
    validate_s: float  # cflp_to_scenario: pydantic Scenario.model_validate
    compile_s: float
    build_s: float  # formulation.build incl. LinearModel.finalize
    handoff_s: float  # HighsBackend.solve up to run(): Highs(), options, passModel
    ref_build_s: float
    ref_handoff_s: float
    ref_status: str = ""  # the reference model solved once (cap instances): its optimum
    ref_objective: float | None = None
    optimum: float | None = None

    @property
    def ours_s(self) -> float:
        return self.compile_s + self.build_s

    @property
    def build_ratio(self) -> float:
        return self.ours_s / self.ref_build_s

    @property
    def to_solver_ratio(self) -> float:
        return (self.ours_s + self.handoff_s) / (self.ref_build_s + self.ref_handoff_s)


@dataclass
class SolveSample:
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    feasible: bool | None
    size: tuple[int, int, int]
    build_s: float
    handoff_s: float
    solve_s: float  # the backend's solve_seconds (hand-off included)
    readback_s: float
    post_s: float  # solve(): decode + evaluate + input hash
    nodes: int | None
    message: str


@dataclass
class SolveRecord:
    instance: str
    solver: str
    linking: str
    mode: str
    time_limit: float | None
    optimum: float | None
    samples: list[SolveSample] = field(default_factory=list)

    def _med(self, attr: str) -> float:
        return median([float(getattr(s, attr)) for s in self.samples])

    @property
    def first(self) -> SolveSample:
        return self.samples[0]

    @property
    def build_s(self) -> float:
        return self._med("build_s")

    @property
    def handoff_s(self) -> float:
        return self._med("handoff_s")

    @property
    def solve_s(self) -> float:
        return self._med("solve_s")

    @property
    def solver_only_s(self) -> float:
        return median([s.solve_s - s.handoff_s - s.readback_s for s in self.samples])

    @property
    def post_s(self) -> float:
        return self._med("post_s")

    @property
    def rel_err(self) -> float | None:
        errs = [rel_error(s.objective, self.optimum) for s in self.samples]
        known = [e for e in errs if e is not None]
        return max(known) if known else None

    @property
    def feasible(self) -> bool | None:
        flags = [s.feasible for s in self.samples]
        if any(f is None for f in flags):
            return None
        return all(flags)

    @property
    def statuses(self) -> str:
        return "/".join(sorted({s.status for s in self.samples}))

    @property
    def objective_stable(self) -> bool:
        objs = [s.objective for s in self.samples if s.objective is not None]
        return len(objs) < 2 or max(objs) - min(objs) <= OBJ_RTOL * max(abs(objs[0]), 1.0)


# ---------------------------------------------------------------------------------------
# measurements


class Bench:
    def __init__(self, settings: Settings, data: Path) -> None:
        self.s = settings
        self.data = data
        self.probes = Probes()
        self.highs = get_backend("highs")
        self.backends = {name: get_backend(name) for name in BACKENDS}  # ortools before pulp
        self.log_lines: list[str] = []

    def say(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    # -- section 1 ----------------------------------------------------------------------
    def measure_build(self, inst: Instance, repeats: int, solve_reference: bool) -> BuildRecord:
        opts = FormulationOptions(strong_linking=True)
        hand = SolveOptions(threads=1, seed=0)
        rows: dict[str, list[float]] = {k: [] for k in (
            "parse", "validate", "compile", "build", "handoff", "ref_build", "ref_handoff")}
        size = ref_size = (0, 0, 0)
        cflp = read_cflp(inst.path, inst.capacity)
        for _ in range(repeats):
            cflp, t = timed(partial(read_cflp, inst.path, inst.capacity))
            rows["parse"].append(t)
            scen, t = timed(partial(cflp_to_scenario, cflp))
            rows["validate"].append(t)
            comp, t = timed(partial(compile_scenario, scen, "joint"))
            rows["compile"].append(t)
            form, t = timed(partial(build, comp, opts))
            rows["build"].append(t)
            model = form.model
            size = (model.num_cols, model.num_rows, model.num_nonzeros)
            rows["handoff"].append(self.highs_handoff(model, hand))
            ref, t = timed(partial(reference_build, cflp, True))
            rows["ref_build"].append(t)
            ref_size = (ref.num_col, ref.num_row, ref.num_nz)
            _, t = timed(partial(reference_handoff, ref))
            rows["ref_handoff"].append(t)
            del scen, comp, form, model, ref
        med = {k: median(v) for k, v in rows.items()}
        n_members, n_programs = cflp.cost.shape
        rec = BuildRecord(inst.name, repeats, n_programs, n_members, size, ref_size,
                          parse_s=med["parse"], validate_s=med["validate"],
                          compile_s=med["compile"], build_s=med["build"],
                          handoff_s=med["handoff"],
                          ref_build_s=med["ref_build"], ref_handoff_s=med["ref_handoff"],
                          optimum=inst.optimum)
        if solve_reference:
            h = reference_handoff(reference_build(cflp, strong=True))
            h.run()
            rec.ref_status = h.modelStatusToString(h.getModelStatus())
            rec.ref_objective = float(h.getInfo().objective_function_value)
        return rec

    def highs_handoff(self, model: ModelArrays, options: SolveOptions) -> float:
        """Seconds our HiGHS backend spends from its start to ``run()`` (run skipped)."""
        log = self.probes.reset()
        self.probes.skip_run = True
        try:
            gc.collect()
            self.highs.solve(model, options)
        finally:
            self.probes.skip_run = False
        return log.handoff_s

    # -- solves -------------------------------------------------------------------------
    def solve_once(self, scenario: Scenario, *, solver: str, strong: bool = True,
                   mode: Mode = "joint", time_limit: float | None = None) -> SolveSample:
        opts = SolveOptions(time_limit=time_limit, threads=1, seed=0)
        log = self.probes.reset()
        result, wall = timed(lambda: solve(scenario, mode=mode, solver=solver, options=opts,
                                           formulation=FormulationOptions(
                                               strong_linking=strong)))
        ev = result.evaluation
        return SolveSample(
            status=str(result.status), objective=result.objective, bound=result.bound,
            gap=result.gap, feasible=None if ev is None else bool(ev.feasible),
            size=result.model_size, build_s=result.build_seconds, handoff_s=log.handoff_s,
            solve_s=result.solve_seconds, readback_s=log.readback_s,
            post_s=wall - result.build_seconds - result.solve_seconds,
            nodes=log.nodes if solver == "highs" else None, message=result.message)

    def solve_cap_instances(self, caps: list[Instance]) -> dict[tuple[str, str, str],
                                                                  SolveRecord]:
        """Sections 2 and 3 on the cap instances, round-robin over the contenders."""
        contenders = [("highs", "strong"), ("highs", "weak"), ("scip", "strong"),
                      ("cbc", "strong")]
        out: dict[tuple[str, str, str], SolveRecord] = {}
        for inst in caps:
            scen = cflp_to_scenario(read_cflp(inst.path, inst.capacity))
            for solver, linking in contenders:
                out[inst.name, solver, linking] = SolveRecord(inst.name, solver, linking,
                                                              "joint", None, inst.optimum)
            for _ in range(self.s.solve_repeats_cap):
                for solver, linking in contenders:
                    out[inst.name, solver, linking].samples.append(
                        self.solve_once(scen, solver=solver, strong=linking == "strong"))
            self.say(f"  {inst.name}: " + ", ".join(
                f"{sv}/{lk} {out[inst.name, sv, lk].solve_s:.3f}s" for sv, lk in contenders))
        return out

    def solve_big(self, inst: Instance, solver: str, linking: str,
                  time_limit: float) -> SolveRecord:
        scen = cflp_to_scenario(read_cflp(inst.path, inst.capacity))
        rec = SolveRecord(inst.name, solver, linking, "joint", time_limit, inst.optimum)
        rec.samples.append(self.solve_once(scen, solver=solver, strong=linking == "strong",
                                           time_limit=time_limit))
        self.say(f"  {inst.name} {solver}/{linking}: {rec.first.status} "
                 f"{rec.first.objective} in {rec.solve_s:.1f}s")
        return rec

    # -- section 4 ----------------------------------------------------------------------
    def sample_load(self) -> tuple[Scenario, dict[str, float]]:
        text = SAMPLE.read_text(encoding="utf-8")
        parse, validate, full = [], [], []
        scen: Scenario | None = None
        for _ in range(max(self.s.build_repeats_cap, 5)):
            data, t = timed(partial(parse_text, text, "yaml"))
            parse.append(t)
            scen, t = timed(partial(scenario_from_data, data))
            validate.append(t)
            _, t = timed(partial(load_scenario, SAMPLE))
            full.append(t)
        assert scen is not None
        return scen, {"yaml_s": median(parse), "validate_s": median(validate),
                      "load_s": median(full)}

    def solve_sample(self, scen: Scenario) -> list[SolveRecord]:
        out: list[SolveRecord] = []
        for mode in ("joint", "alone"):
            for solver in BACKENDS:
                limit = None if solver == "highs" else self.s.sample_limit
                rec = SolveRecord(SAMPLE.stem, solver, "strong", mode, limit, None)
                reps = 1 if solver == "cbc" else self.s.sample_repeats
                for _ in range(reps):
                    rec.samples.append(self.solve_once(scen, solver=solver, mode=mode,
                                                       time_limit=limit))
                self.say(f"  sample {mode}/{solver}: {rec.statuses} {rec.first.objective} "
                         f"in {rec.solve_s:.2f}s")
                out.append(rec)
        return out


# ---------------------------------------------------------------------------------------
# profile of our build


@dataclass
class ProfileRow:
    where: str
    calls: int
    own_s: float
    cum_s: float


def profile_build(inst: Instance, top: int = 8) -> tuple[float, list[ProfileRow]]:
    scen = cflp_to_scenario(read_cflp(inst.path, inst.capacity))
    prof = cProfile.Profile()
    gc.collect()
    prof.enable()
    build(compile_scenario(scen, "joint"), FormulationOptions())
    prof.disable()
    stats = pstats.Stats(prof)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = max(ct for (_, _, _, ct, _) in raw.values())
    rows = []
    for (file, line, func), (_, nc, tt, ct, _) in raw.items():
        short = file.replace(str(REPO) + "/", "").replace(sys.prefix + "/", "")
        rows.append(ProfileRow(f"{short}:{line}({func})", nc, tt, ct))
    rows.sort(key=lambda r: r.own_s, reverse=True)
    return total, rows[:top]


# ---------------------------------------------------------------------------------------
# report


def ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "n/a"
    v = seconds * 1e3
    return f"{v:.3g}" if v < 100 else f"{v:.0f}"


def sec(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def num(value: float | None, digits: int = 10) -> str:
    return "n/a" if value is None else f"{value:.{digits}g}"


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.3g}%"


def err(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1e}"


def ratio(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.3g}x"


def yes(flag: bool | None) -> str:
    return {True: "yes", False: "NO", None: "n/a"}[flag]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return [*out, ""]


def size(t: tuple[int, int, int]) -> str:
    return f"{t[0]} / {t[1]} / {t[2]}"


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("highspy", "ortools", "pulp", "numpy", "pydantic"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "missing"
    out["cbc"] = cbc_version()
    return out


def cbc_version() -> str:
    try:
        from procure.backends.pulp import _cbc_path

        path = _cbc_path()
        if path is None:
            return "missing"
        text = subprocess.run([path, "-quit"], capture_output=True, text=True, timeout=30,
                              check=False).stdout
    except (OSError, subprocess.SubprocessError, ImportError):
        return "unknown"
    found = re.search(r"Version:\s*(\S+)", text)
    return found.group(1) if found else "unknown"


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        found = re.search(r"^model name\s*:\s*(.*)$", Path("/proc/cpuinfo").read_text(),
                          re.MULTILINE)
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False
                               ).stdout.strip()
    except OSError:
        nproc = str(os.cpu_count())
    return {"nproc": nproc, "cpu": cpu, "platform": platform.platform()}


def git_state() -> str:
    """The checked-out commit and whether ``procure/`` differs from it (read-only git)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                              capture_output=True, text=True, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "procure"], cwd=REPO,
                               capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head or 'unknown'}{' + uncommitted changes in procure/' if dirty else ''}"


def loadavg() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


@dataclass
class Results:
    started: str
    command: str
    settings: Settings
    machine: dict[str, str]
    versions: dict[str, str]
    load_start: str
    git_start: str
    load_end: str = ""
    git_end: str = ""
    wall_s: float = 0.0
    builds: list[BuildRecord] = field(default_factory=list)
    cap_solves: dict[tuple[str, str, str], SolveRecord] = field(default_factory=dict)
    synthetic: list[SolveRecord] = field(default_factory=list)
    sample_load: dict[str, float] = field(default_factory=dict)
    sample: list[SolveRecord] = field(default_factory=list)
    capa: SolveRecord | None = None
    profiles: list[tuple[str, float, list[ProfileRow]]] = field(default_factory=list)


def render(r: Results) -> str:
    s = r.settings
    lines = [
        "# Procurement benchmark results",
        "",
        "Generated by `benchmarks/bench_procurement.py`; see `benchmarks/README.md` for what "
        "each table measures. All times are medians of repeats interleaved in one process; "
        "ratios compare contenders measured in this same run.",
        "",
        f"- date: {r.started}",
        f"- command: `{r.command}`",
        f"- code: commit {r.git_start} at start"
        + ("" if r.git_end == r.git_start else
           f"; {r.git_end} at end (the tree changed during the run; modules were imported "
           "at the start)"),
        f"- mode: {'quick' if s.quick else 'full'}; repeats: build {s.build_repeats_cap} "
        f"(cap) / {s.build_repeats_large} (large), cap solves {s.solve_repeats_cap}, "
        f"sample {s.sample_repeats} (CBC 1); wall time of the run {r.wall_s:.0f} s",
        f"- machine: nproc {r.machine['nproc']}, CPU `{r.machine['cpu']}`, "
        f"{r.machine['platform']}",
        f"- load average (1/5/15 min) at start: {r.load_start}; at end: {r.load_end} "
        "(other processes share this machine)",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in r.versions.items()),
        "- every solve: `threads=1`, `seed=0`, `mip_gap=1e-6`",
        "",
    ]
    lines += findings(r)
    lines += section_build(r)
    lines += section_linking(r)
    lines += section_backends(r)
    lines += section_sample(r)
    lines += section_capa(r)
    lines += section_profile(r)
    return "\n".join(lines).rstrip() + "\n"


def _cap_builds(r: Results) -> list[BuildRecord]:
    return [b for b in r.builds if b.instance.startswith("cap") and b.instance[3:].isdigit()]


def findings(r: Results) -> list[str]:
    out = ["## Findings", ""]
    caps = _cap_builds(r)
    if caps:
        br = [b.build_ratio for b in caps]
        tr = [b.to_solver_ratio for b in caps]
        out.append(
            f"- **Build vs floor (cap instances, {caps[0].programs} x {caps[0].members}):** "
            "our compile + build is "
            f"{geomean(br):.3g}x the direct numpy-CSR floor (geometric mean; "
            f"{min(br):.3g}x to {max(br):.3g}x); up to the solver (with hand-off) "
            f"{geomean(tr):.3g}x. Median {ms(median([b.ours_s for b in caps]))} ms ours "
            f"(compile {ms(median([b.compile_s for b in caps]))} ms) vs "
            f"{ms(median([b.ref_build_s for b in caps]))} ms reference; `build` alone "
            f"{geomean([b.build_s / b.ref_build_s for b in caps]):.3g}x, our HiGHS hand-off "
            f"{geomean([b.handoff_s / b.ref_handoff_s for b in caps]):.3g}x the reference "
            "passModel. Pydantic validation "
            f"adds {ms(median([b.validate_s for b in caps]))} ms and parsing "
            f"{ms(median([b.parse_s for b in caps]))} ms (both outside the ratio).")
    for b in r.builds:
        if b in caps:
            continue
        share = b.compile_s / b.ours_s
        out.append(
            f"- **Build vs floor ({b.instance}, {b.size[2]} nonzeros):** "
            f"{b.build_ratio:.3g}x ({ms(b.ours_s)} ms vs {ms(b.ref_build_s)} ms); "
            f"`compile_scenario` is {100 * share:.0f}% of it; `build` alone is "
            f"{b.build_s / b.ref_build_s:.3g}x ({ms(b.build_s)} ms). With hand-off: "
            f"{b.to_solver_ratio:.3g}x. Our hand-off {ms(b.handoff_s)} ms vs reference "
            f"passModel {ms(b.ref_handoff_s)} ms.")
    per_pair = [(b, 1e6 * b.compile_s / (b.programs * b.members)) for b in r.builds]
    if caps and len(per_pair) > len(caps):
        cap_pp = median([v for b, v in per_pair if b in caps])
        bits = [f"cap (median) {cap_pp:.3g} us (M = {caps[0].members})"] + [
            f"{b.instance} {v:.3g} us (M = {b.members})" for b, v in per_pair if b not in caps]
        growth = max(v for b, v in per_pair if b not in caps) / cap_pp
        verdict = ("it grows with the member count M, so some per-pair work scans the "
                   "members (see the profile)" if growth > 2.0 else
                   "it does not grow with the member count M: compile is linear in the pairs")
        out.append("- **Compile scaling:** `compile_scenario` time per (program, member) "
                   "pair: " + ", ".join(bits) + f"; {verdict}.")
    if r.profiles:
        name, total, rows = r.profiles[-1]
        out.append(f"- **Hot spots (cProfile of compile + build, {name}, own time):** "
                   + ", ".join(f"`{p.where}` {100 * p.own_s / total:.0f}% ({p.calls} calls)"
                               for p in rows[:3]) + ".")
    strong = [v for k, v in r.cap_solves.items() if k[1:] == ("highs", "strong")]
    if strong:
        rat = [r.cap_solves[v.instance, "highs", "weak"].solve_s / v.solve_s for v in strong]
        out.append(f"- **Strong vs weak linking (HiGHS, cap):** weak / strong solve time "
                   f"{geomean(rat):.3g}x (geometric mean; {min(rat):.3g}x to "
                   f"{max(rat):.3g}x).")
    for rec in r.synthetic:
        f = rec.first
        out.append(f"- **{rec.instance}, {rec.linking} linking:** {f.status} in "
                   f"{sec(rec.solve_s)} s (limit {rec.time_limit:.0f} s), objective "
                   f"{num(f.objective)}, gap {pct(f.gap)}, rel. error vs optimum "
                   f"{err(rec.rel_err)}.")
    if strong:
        for solver in ("scip", "cbc"):
            recs = [r.cap_solves[v.instance, solver, "strong"] for v in strong]
            sr = [x.solve_s / h.solve_s for x, h in zip(recs, strong, strict=True)]
            hr = [x.handoff_s / h.handoff_s for x, h in zip(recs, strong, strict=True)]
            out.append(f"- **{solver.upper()} vs HiGHS (cap, strong):** solve time "
                       f"{geomean(sr):.3g}x, hand-off {geomean(hr):.3g}x (geometric means).")
        allrec = [v for k, v in r.cap_solves.items()]
        errs = [v.rel_err for v in allrec]
        worst = max((e for e in errs if e is not None), default=None)
        ok = all(e is not None and e <= OBJ_RTOL for e in errs)
        feas = all(v.feasible for v in allrec)
        out.append(f"- **Correctness (cap):** every objective within {OBJ_RTOL:g} of the "
                   f"published optimum: {yes(ok)} (worst {err(worst)}); every plan "
                   f"feasible by the evaluator: {yes(feas)}.")
    if r.sample_load:
        ld = r.sample_load
        out.append(f"- **Sample alliance load:** {ms(ld['load_s'])} ms; timed apart, YAML "
                   f"parsing takes {ms(ld['yaml_s'])} ms and pydantic validation "
                   f"{ms(ld['validate_s'])} ms (medians of separate runs).")
    if r.sample:
        bits = [f"{x.mode}/{x.solver} {x.statuses} {sec(x.solve_s)} s" for x in r.sample]
        out.append("- **Sample alliance:** " + "; ".join(bits) + ".")
    if r.capa is not None:
        f = r.capa.first
        out.append(f"- **capa-8000:** {f.status} after {sec(r.capa.solve_s)} s (limit "
                   f"{r.capa.time_limit:.0f} s): objective {num(f.objective)}, bound "
                   f"{num(f.bound)}, gap {pct(f.gap)}, rel. error vs optimum "
                   f"{err(r.capa.rel_err)}.")
    return [*out, ""]


def section_build(r: Results) -> list[str]:
    out = [
        "## 1. Build time vs the direct-highspy floor",
        "",
        "Strong linking (the default). *ours* = `compile_scenario` + `build` (neutral "
        "CSR model); *hand-off* = `HighsBackend.solve` up to `run()` (Highs(), options, "
        "passModel); *ref* = `reference_build` (numpy CSR from the parsed arrays) and "
        "`Highs.passModel`. *parse* (`read_cflp`) feeds both; *validate* is pydantic "
        "(`cflp_to_scenario`), outside the ratio. Times in ms. Size = columns / rows / "
        "nonzeros. *ref opt ok*: the reference model solved once reaches the published "
        "optimum (cap instances only).",
        "",
    ]
    rows = []
    for b in r.builds:
        ref_ok = ("n/a" if b.ref_objective is None else
                  yes((rel_error(b.ref_objective, b.optimum) or 0.0) <= OBJ_RTOL))
        rows.append([b.instance, str(b.repeats), size(b.size), size(b.ref_size), ms(b.parse_s),
                     ms(b.validate_s), ms(b.compile_s), ms(b.build_s), ms(b.handoff_s),
                     ms(b.ref_build_s), ms(b.ref_handoff_s), ratio(b.build_ratio),
                     ratio(b.to_solver_ratio), ref_ok])
    caps = _cap_builds(r)
    if caps:
        rows.append(["**cap geomean**", "", "", "", "", "", "", "", "", "", "",
                     ratio(geomean([b.build_ratio for b in caps])),
                     ratio(geomean([b.to_solver_ratio for b in caps])), ""])
    out += table(["instance", "reps", "ours size", "ref size", "parse", "validate", "compile",
                  "build", "hand-off", "ref build", "ref passModel", "ours / ref build",
                  "ours / ref to solver", "ref opt ok"], rows)
    return out


def section_linking(r: Results) -> list[str]:
    out = [
        "## 2. Strong vs weak linking on HiGHS",
        "",
        "Strong: per-(program, member) rows `sum_t x <= R z` (2a) plus capacity rows; weak: "
        "capacity rows only. Solve = the backend's `solve_seconds` (hand-off included), in s. "
        "Nodes = HiGHS `mip_node_count`. Rel. err = worst |objective - optimum| / optimum "
        "over both formulations and repeats.",
        "",
    ]
    rows = []
    recs = [(v, r.cap_solves[v.instance, "highs", "weak"])
            for k, v in r.cap_solves.items() if k[1:] == ("highs", "strong")]
    synth: dict[str, SolveRecord] = {x.linking: x for x in r.synthetic}
    if "strong" in synth and "weak" in synth:
        recs.append((synth["strong"], synth["weak"]))
    for st, wk in recs:
        errs = [e for e in (st.rel_err, wk.rel_err) if e is not None]
        gaps = f"{pct(st.first.gap)} / {pct(wk.first.gap)}"
        rows.append([st.instance, str(len(st.samples)), size(st.first.size),
                     size(wk.first.size), st.statuses, sec(st.solve_s),
                     str(st.first.nodes), wk.statuses, sec(wk.solve_s), str(wk.first.nodes),
                     ratio(wk.solve_s / st.solve_s),
                     f"{num(st.first.objective)} / {num(wk.first.objective)}",
                     err(max(errs) if errs else None), gaps,
                     f"{yes(st.feasible)} / {yes(wk.feasible)}"])
    out += table(["instance", "reps", "strong size", "weak size", "strong status",
                  "strong solve", "strong nodes", "weak status", "weak solve", "weak nodes",
                  "weak / strong", "objective s / w", "rel. err", "gap s / w",
                  "feasible s / w"], rows)
    if synth:
        lim = next(iter(synth.values())).time_limit
        out += [f"The {SYNTHETIC_NAME} rows are one solve each with a {lim:.0f} s limit; "
                "a `feasible` status means the limit was hit (gap as shown).", ""]
    return out


def section_backends(r: Results) -> list[str]:
    out = [
        "## 3. Backends side by side (cap instances, strong linking)",
        "",
        "*hand-off* = our arrays to the solver's model: HiGHS `Highs()` + options + "
        "`passModel`; SCIP `_scip_model` (ModelBuilderHelper fill); CBC `_build` (PuLP "
        "objects) + `writeMPS`. *solver* = solve - hand-off (- CBC solution read-back): "
        "SCIP's own load of the helper model and the CBC process (reading the MPS file) are "
        "inside it. Hand-off in ms, solve in s; ratios vs HiGHS in parentheses.",
        "",
    ]
    keys = [k for k in r.cap_solves if k[1:] == ("highs", "strong")]
    rows = []
    for k in keys:
        h = r.cap_solves[k]
        sc = r.cap_solves[k[0], "scip", "strong"]
        cb = r.cap_solves[k[0], "cbc", "strong"]
        trio = (h, sc, cb)
        errs = [e for e in (x.rel_err for x in trio) if e is not None]
        rows.append([
            k[0], str(len(h.samples)), ms(h.handoff_s),
            f"{ms(sc.handoff_s)} ({ratio(sc.handoff_s / h.handoff_s)})",
            f"{ms(cb.handoff_s)} ({ratio(cb.handoff_s / h.handoff_s)})",
            sec(h.solve_s), f"{sec(sc.solve_s)} ({ratio(sc.solve_s / h.solve_s)})",
            f"{sec(cb.solve_s)} ({ratio(cb.solve_s / h.solve_s)})",
            " / ".join(x.statuses for x in trio),
            err(max(errs) if errs else None),
            yes(all(e <= OBJ_RTOL for e in errs) and len(errs) == 3),
            " / ".join(yes(x.feasible) for x in trio),
        ])
    out += table(["instance", "reps", "highs hand-off", "scip hand-off", "cbc hand-off",
                  "highs solve", "scip solve", "cbc solve", "status h / s / c",
                  "worst rel. err", "<= 1e-6", "feasible h / s / c"], rows)
    if keys:
        summary = []
        href = [r.cap_solves[k] for k in keys]
        for solver in BACKENDS:
            recs = [r.cap_solves[k[0], solver, "strong"] for k in keys]
            summary.append([
                solver, ms(geomean([x.handoff_s for x in recs])),
                ratio(geomean([x.handoff_s / h.handoff_s for x, h in
                               zip(recs, href, strict=True)])),
                sec(geomean([x.solver_only_s for x in recs])),
                sec(geomean([x.solve_s for x in recs])),
                ratio(geomean([x.solve_s / h.solve_s for x, h in zip(recs, href, strict=True)])),
                ms(geomean([x.first.readback_s for x in recs])) if solver == "cbc" else "-",
            ])
        out += ["Geometric means over the cap instances:", ""]
        out += table(["backend", "hand-off (ms)", "hand-off vs highs", "solver (s)",
                      "solve (s)", "solve vs highs", "read-back (ms)"], summary)
    return out


def section_sample(r: Results) -> list[str]:
    ld = r.sample_load
    out = [
        "## 4. The sample alliance",
        "",
        f"`{SAMPLE.relative_to(REPO)}`: `load_scenario` {ms(ld.get('load_s', math.nan))} ms; "
        f"timed apart, YAML parse {ms(ld.get('yaml_s', math.nan))} ms and pydantic "
        f"validation {ms(ld.get('validate_s', math.nan))} ms. HiGHS without a time limit; "
        f"SCIP and CBC with {r.settings.sample_limit:.0f} s (CBC solved once). "
        "Build = compile + build; times in ms except solve (s). "
        "Post = decode + evaluate + input hash.",
        "",
    ]
    rows = []
    for x in r.sample:
        f = x.first
        rows.append([x.mode, x.solver, str(len(x.samples)), x.statuses, num(f.objective),
                     num(f.bound), pct(f.gap), size(f.size), ms(x.build_s), ms(x.handoff_s),
                     sec(x.solve_s), ms(x.post_s), yes(x.feasible)])
    out += table(["mode", "solver", "reps", "status", "objective", "bound", "gap",
                  "size (cols / rows / nnz)", "build", "hand-off", "solve (s)", "post",
                  "feasible"], rows)
    return out


def section_capa(r: Results) -> list[str]:
    out = ["## 5. capa-8000 (100 warehouses x 1000 customers)", ""]
    if r.capa is None:
        return [*out, "Skipped (`--quick`).", ""]
    x = r.capa
    f = x.first
    out += [f"HiGHS, strong linking (the default), one solve, {x.time_limit:.0f} s limit. "
            "Times in s.", ""]
    out += table(["status", "objective", "published optimum", "rel. err", "bound", "gap",
                  "nodes", "size", "build", "hand-off", "solve", "post", "feasible"],
                 [[f.status, num(f.objective), num(x.optimum), err(x.rel_err), num(f.bound),
                   pct(f.gap), str(f.nodes), size(f.size), sec(x.build_s), sec(x.handoff_s),
                   sec(x.solve_s), sec(x.post_s), yes(x.feasible)]])
    return out


def section_profile(r: Results) -> list[str]:
    out = ["## 6. Where our build time goes (cProfile of compile + build)", ""]
    for name, total, rows in r.profiles:
        out += [f"{name}: {total * 1e3:.0f} ms under the profiler (profiling inflates "
                "Python-level call costs). Top functions by own time:", ""]
        out += table(["function", "calls", "own (ms)", "cumulative (ms)", "own share"],
                     [[f"`{p.where}`", str(p.calls), ms(p.own_s), ms(p.cum_s),
                       f"{100 * p.own_s / total:.0f}%"] for p in rows])
    return out


# ---------------------------------------------------------------------------------------
# main


def run(settings: Settings, data: Path, command: str) -> Results:
    t_start = time.perf_counter()
    res = Results(started=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                  command=command, settings=settings, machine=machine(), versions=versions(),
                  load_start=loadavg(), git_start=git_state())
    bench = Bench(settings, data)
    caps, synth, capa = instances(data)
    bench.probes.install()
    try:
        bench.say("1. build vs floor")
        for inst in caps:
            res.builds.append(bench.measure_build(inst, settings.build_repeats_cap, True))
        res.builds.append(bench.measure_build(synth, settings.build_repeats_large, False))
        if settings.capa_limit is not None:
            res.builds.append(bench.measure_build(capa, settings.build_repeats_large, False))
        for b in res.builds:
            bench.say(f"  {b.instance}: ours {ms(b.ours_s)} ms, ref {ms(b.ref_build_s)} ms, "
                      f"ratio {b.build_ratio:.3g}")
        bench.say("6. profile")
        res.profiles.append((synth.name, *profile_build(synth)))
        if settings.capa_limit is not None:
            res.profiles.append((capa.name, *profile_build(capa)))
        bench.say("2+3. cap instances: highs strong/weak, scip, cbc")
        res.cap_solves = bench.solve_cap_instances(caps)
        bench.say("4. sample alliance")
        scen, res.sample_load = bench.sample_load()
        res.sample = bench.solve_sample(scen)
        bench.say(f"2. {synth.name} ({settings.synthetic_limit:.0f} s limit each)")
        for linking in ("strong", "weak"):
            res.synthetic.append(bench.solve_big(synth, "highs", linking,
                                                 settings.synthetic_limit))
        if settings.capa_limit is not None:
            bench.say(f"5. capa-8000 ({settings.capa_limit:.0f} s limit)")
            res.capa = bench.solve_big(capa, "highs", "strong", settings.capa_limit)
    finally:
        bench.probes.uninstall()
    res.load_end = loadavg()
    res.git_end = git_state()
    res.wall_s = time.perf_counter() - t_start
    return res


def to_json(res: Results) -> dict[str, Any]:
    def rec(x: SolveRecord) -> dict[str, Any]:
        return {**asdict(x), "median_build_s": x.build_s, "median_handoff_s": x.handoff_s,
                "median_solve_s": x.solve_s, "rel_err": x.rel_err}

    out = asdict(res)
    out["cap_solves"] = [rec(v) for v in res.cap_solves.values()]
    out["synthetic"] = [rec(v) for v in res.synthetic]
    out["sample"] = [rec(v) for v in res.sample]
    out["capa"] = rec(res.capa) if res.capa else None
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true",
                    help="fewer repeats, short limits, no capa (about 2 minutes)")
    ap.add_argument("--out", type=Path, default=None,
                    help="write the Markdown report here (default: print it)")
    ap.add_argument("--json", type=Path, default=None, help="also write raw records as JSON")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA,
                    help=f"shared data directory (default {DEFAULT_DATA})")
    args = ap.parse_args(argv)
    command = shlex.join([sys.executable, *sys.argv]) if argv is None else shlex.join(
        [sys.executable, "benchmarks/bench_procurement.py", *argv])
    res = run(Settings.make(args.quick), args.data, command)
    text = render(res)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out} ({res.wall_s:.0f} s)", file=sys.stderr)
    if args.json is not None:
        args.json.write_text(json.dumps(to_json(res), indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

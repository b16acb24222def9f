"""Numerical soundness of a built model: the magnitudes a solver will see, per family.

A solver works in double precision with absolute tolerances, and HiGHS refuses or
silently changes values beyond fixed limits (its options, defaults of highspy 1.13):

=====================  =======  ===================================================
HiGHS option           default  what happens beyond it
=====================  =======  ===================================================
``large_matrix_value``  1e15    ``passModel`` refuses the model: status "Not Set"
``small_matrix_value``  1e-9    the entry is dropped (treated as zero)
``infinite_cost``       1e20    the cost is "infinite": status "Unknown"
``infinite_bound``      1e20    the bound is dropped (treated as infinite)
=====================  =======  ===================================================

(each one shown failing, and solving just inside, in ``tests/lp/test_numerics.py``).
:func:`check_coefficients` refuses a model long before those limits, where results
stop being trustworthy although the solver still answers:

- :data:`MAX_MATRIX` 1e9 and :data:`MIN_MATRIX` 1e-7 on matrix entries, and
  :data:`MAX_MATRIX_RATIO` 1e12 between the largest and the smallest: HiGHS's
  feasibility tolerances are absolute (1e-7 for rows, 1e-6 for integrality), so a
  coefficient of 1e9 on an integer column within tolerance of 0 (a binary at 1e-6)
  frees 1e3 units of its row, and a row whose entries span more than 12 orders of
  magnitude loses the small ones in double precision (about 16 digits) however it is
  scaled;
- :data:`MAX_COST` 1e15 on costs and :data:`MAX_BOUND` 1e15 on finite bounds and
  right-hand sides: an objective summed from terms near 1e15 carries an absolute
  rounding error near 1 (16 digits), the size of a whole unit of most costs, so a
  plan cannot be told from one a unit dearer; 1e15 is also 5 orders below the limits
  where HiGHS drops bounds and costs.

Nothing here imports a solver: the module reads :class:`~procure.lp.model.ModelArrays`.
Usage::

    from procure.lp.numerics import check_coefficients, coefficient_report

    report = coefficient_report(formulation.model)     # per family, vectorised
    fatal = check_coefficients(formulation.model, report, limits="highs")
    if fatal is not None:                              # HiGHS would fail or misread it
        ...                                            # refuse: one line, family + value
    doubtful = check_coefficients(formulation.model, report)  # None when sound
    print(report.table())
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from procure.lp.model import FloatArray, IntArray, ModelArrays

# HiGHS's own limits (option defaults): beyond them the model is refused or changed
HIGHS_LARGE_MATRIX_VALUE = 1e15
HIGHS_SMALL_MATRIX_VALUE = 1e-9
HIGHS_INFINITE_COST = 1e20
HIGHS_INFINITE_BOUND = 1e20

MAX_MATRIX = 1e9
"""Largest sound |matrix entry|."""
MIN_MATRIX = 1e-7
"""Smallest sound nonzero |matrix entry| (HiGHS drops entries of 1e-9 and below)."""
MAX_MATRIX_RATIO = 1e12
"""Largest sound ratio between the largest and the smallest nonzero |matrix entry|."""
MAX_INTEGER_RATIO = 1e6
"""Largest sound ratio, within one row, between the coefficient of an integer column and
the row's smallest coefficient: 1 / HiGHS's ``mip_feasibility_tolerance`` (1e-6). An
integer column within that tolerance of a whole number (a binary at 1e-6) moves its
term by coefficient x 1e-6, so beyond the ratio it frees a whole unit of the row's
smallest term (``x <= 1e7 z`` holds with x = 5 and z = 5e-7, "optimal")."""
MAX_COST = 1e15
"""Largest sound |objective coefficient|."""
MAX_BOUND = 1e15
"""Largest sound finite |variable bound| or |row bound| (right-hand side)."""
MAX_TERM = 1e15
"""Largest sound objective term |cost| x |bound| of one column: the scale the objective
can reach, whose rounding error (16 digits) must stay below a unit of money."""

KINDS = ("matrix", "integer", "cost", "bound", "rhs", "term")

_INDEXED = re.compile(r"\[[^\[\]]*\]$")


def family_of(block_name: str) -> str:
    """The family of a block: its name without a trailing index (``(7b.3) share
    bound[4]`` -> ``(7b.3) share bound``), so per-launch blocks report together."""
    return _INDEXED.sub("", block_name).rstrip()


@dataclass(frozen=True)
class Magnitude:
    """The nonzero magnitudes of one kind of value in one family."""

    kind: str  # "matrix" (by row family), "cost", "bound" (by column family), "rhs" (by row)
    family: str
    count: int  # nonzero finite values
    smallest: float  # smallest nonzero finite |value| (inf when count is 0)
    largest: float  # largest finite |value| (0 when count is 0)
    nonfinite: int = 0  # NaN anywhere, or +-inf where only finite values make sense
    at: str = ""  # where the largest sits: a row or column name, and its column family

    @property
    def ratio(self) -> float:
        """largest / smallest (1 when there is nothing to compare)."""
        return self.largest / self.smallest if self.count else 1.0


@dataclass(frozen=True)
class CoefficientReport:
    """Per family, the smallest and largest nonzero magnitude of the matrix (by row
    family), the costs and the finite bounds (by column family) and the finite row
    bounds (by row family)."""

    model: str
    entries: tuple[Magnitude, ...]

    def of(self, kind: str) -> tuple[Magnitude, ...]:
        """The entries of one kind: ``matrix``, ``cost``, ``bound`` or ``rhs``."""
        return tuple(e for e in self.entries if e.kind == kind)

    def largest(self, kind: str) -> float:
        return max((e.largest for e in self.of(kind)), default=0.0)

    def smallest(self, kind: str) -> float:
        return min((e.smallest for e in self.of(kind) if e.count), default=math.inf)

    def ratio(self, kind: str) -> float:
        """Largest over smallest nonzero magnitude of one kind over the whole model."""
        lo = self.smallest(kind)
        return self.largest(kind) / lo if math.isfinite(lo) else 1.0

    def table(self) -> str:
        """A plain-text table, one line per (kind, family)."""
        lines = [f"{'kind':<7} {'family':<40} {'count':>9} {'smallest':>10} "
                 f"{'largest':>10}  where the largest is"]
        for e in self.entries:
            lo = f"{e.smallest:10.3g}" if e.count else f"{'-':>10}"
            extra = f"  ({e.nonfinite} not finite)" if e.nonfinite else ""
            lines.append(f"{e.kind:<7} {e.family[:40]:<40} {e.count:>9} {lo} "
                         f"{e.largest:10.3g}  {e.at}{extra}")
        return "\n".join(lines)


def _magnitude(kind: str, family: str, values: FloatArray, where: IntArray,
               name_of: Callable[[int], str], allow_inf: bool) -> Magnitude:
    """The magnitudes of ``values``; ``where[i]`` is the global row, column or nonzero
    number of value i, which ``name_of`` turns into a name for the largest."""
    bad = np.isnan(values) if allow_inf else ~np.isfinite(values)
    fin = np.isfinite(values)
    a, idx = np.abs(values[fin]), where[fin]
    nz = a > 0
    a, idx = a[nz], idx[nz]
    if not a.size:
        return Magnitude(kind, family, 0, math.inf, 0.0, int(bad.sum()))
    i = int(np.argmax(a))
    return Magnitude(kind, family, int(a.size), float(a.min()), float(a[i]), int(bad.sum()),
                     name_of(int(idx[i])))


def _namer(blocks: tuple[tuple[str, int, int], ...]) -> Callable[[int], str]:
    """``block[i]`` of a global column or row number."""
    starts = np.array([s for _, s, _ in blocks], dtype=np.int64)

    def name_of(j: int) -> str:
        b = int(np.searchsorted(starts, j, side="right") - 1)
        if b < 0:
            return str(j)
        name, start, _ = blocks[b]
        return f"{name}[{j - start}]"

    return name_of


def _families(blocks: tuple[tuple[str, int, int], ...]) -> dict[str, IntArray]:
    """Global indices of each family's blocks (empty blocks included, with no index)."""
    parts: dict[str, list[IntArray]] = {}
    for name, start, size in blocks:
        parts.setdefault(family_of(name), []).append(
            np.arange(start, start + size, dtype=np.int64))
    return {f: np.concatenate(p) for f, p in parts.items()}


def _integer_spread(model: ModelArrays, row_fams: dict[str, IntArray],
                    nz_name: Callable[[int], str], rows_of_nz: IntArray) -> list[Magnitude]:
    """Per row family, the largest ratio |a_ij| / min_k |a_ik| over the rows' entries on
    integer columns j: how many of the row's smallest units an integer column within
    integrality tolerance of a whole number can free (kind ``integer``; ``smallest`` is
    1 and ``largest`` the ratio)."""
    out: list[Magnitude] = []
    a = np.abs(model.a_value)
    if not a.size:
        return out
    counts = np.diff(model.a_start)
    nonempty = counts > 0
    row_min = np.full(model.num_rows, np.inf)
    starts = model.a_start[:-1][nonempty]
    row_min[nonempty] = np.minimum.reduceat(a, starts)
    on_int = model.integrality[model.a_index]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(on_int & (counts[rows_of_nz] > 1), a / row_min[rows_of_nz], 0.0)
    ratio[np.isnan(ratio)] = 0.0
    ratio[np.isinf(ratio)] = np.finfo(np.float64).max  # beyond any range: reported
    for family, rows in row_fams.items():
        mask = np.zeros(model.num_rows, dtype=np.bool_)
        mask[rows] = True
        pos = np.flatnonzero(mask[rows_of_nz] & (ratio > 0))
        if not pos.size:
            continue
        i = int(np.argmax(ratio[pos]))
        out.append(Magnitude("integer", family, int(pos.size), 1.0, float(ratio[pos][i]),
                             0, nz_name(int(pos[i]))))
    return out


def coefficient_report(model: ModelArrays) -> CoefficientReport:
    """The smallest and largest nonzero |value| of every family of ``model``: matrix
    entries by row family; costs, finite column bounds and objective terms
    (|cost| x the larger |bound| of a column with finite bounds) by column family;
    finite row bounds by row family. Vectorised: one pass over each array."""
    entries: list[Magnitude] = []
    col_blocks = tuple((b.name, b.start, b.size) for b in model.var_blocks)
    row_blocks = tuple((b.name, b.start, b.size) for b in model.row_blocks)
    col_name, row_name = _namer(col_blocks), _namer(row_blocks)
    rows_of_nz = np.repeat(np.arange(model.num_rows, dtype=np.int64), np.diff(model.a_start))

    def nz_name(k: int) -> str:
        return f"{row_name(int(rows_of_nz[k]))} x {col_name(int(model.a_index[k]))}"

    row_fams = _families(row_blocks)
    # nonzeros grouped by the family of their row: one stable sort
    fam_of_row = np.zeros(model.num_rows, dtype=np.int64)
    for f, rows in enumerate(row_fams.values()):
        fam_of_row[rows] = f
    nz_fam = fam_of_row[rows_of_nz]
    order = np.argsort(nz_fam, kind="stable")
    bounds = np.searchsorted(nz_fam[order], np.arange(len(row_fams) + 1))
    for f, family in enumerate(row_fams):
        pos = order[bounds[f]:bounds[f + 1]]
        entries.append(_magnitude("matrix", family, model.a_value[pos], pos, nz_name,
                                  allow_inf=False))
    entries += _integer_spread(model, row_fams, nz_name, rows_of_nz)
    for family, cols in _families(col_blocks).items():
        entries.append(_magnitude("cost", family, model.col_cost[cols], cols, col_name,
                                  allow_inf=False))
        both = np.concatenate([cols, cols])
        entries.append(_magnitude("bound", family, np.concatenate(
            [model.col_lower[cols], model.col_upper[cols]]), both, col_name, allow_inf=True))
        reach = np.maximum(np.abs(model.col_lower[cols]), np.abs(model.col_upper[cols]))
        with np.errstate(invalid="ignore", over="ignore"):
            term = np.where(np.isfinite(reach), np.abs(model.col_cost[cols]) * reach, 0.0)
        entries.append(_magnitude("term", family, np.nan_to_num(term, nan=0.0), cols,
                                  col_name, allow_inf=True))
    for family, rows in row_fams.items():
        entries.append(_magnitude("rhs", family, np.concatenate(
            [model.row_lower[rows], model.row_upper[rows]]), np.concatenate([rows, rows]),
            row_name, allow_inf=True))
    if not math.isfinite(model.offset):
        entries.append(Magnitude("cost", "objective offset", 0, math.inf, 0.0, 1))
    return CoefficientReport(model.name, tuple(entries))


_WHAT = {"matrix": "matrix entry", "integer": "integer-column coefficient ratio",
         "cost": "cost", "bound": "variable bound", "rhs": "right-hand side",
         "term": "objective term |cost x bound|"}
_LIMIT = {"matrix": MAX_MATRIX, "integer": MAX_INTEGER_RATIO, "cost": MAX_COST,
          "bound": MAX_BOUND, "rhs": MAX_BOUND, "term": MAX_TERM}


@dataclass(frozen=True)
class Finding:
    """The first value of a model out of range: its family and a one-line message."""

    family: str
    message: str


def _beyond_highs(model: ModelArrays, rep: CoefficientReport) -> Finding | None:
    """The first value HiGHS itself refuses, drops or reads as infinite, if any."""
    hard = (("matrix", HIGHS_LARGE_MATRIX_VALUE, "large_matrix_value", "refuses the model"),
            ("cost", HIGHS_INFINITE_COST, "infinite_cost", "reads it as infinite"),
            ("bound", HIGHS_INFINITE_BOUND, "infinite_bound", "drops the bound"),
            ("rhs", HIGHS_INFINITE_BOUND, "infinite_bound", "drops the bound"))
    for kind, limit, option, effect in hard:
        for e in rep.of(kind):
            if e.largest >= limit:
                return Finding(e.family, f"{model.name}: {_WHAT[kind]} {e.largest:.6g} in "
                               f"family {e.family!r} ({e.at}) is at or beyond HiGHS's {option} "
                               f"({limit:g}): HiGHS {effect}")
    for e in rep.of("matrix"):
        if e.count and e.smallest <= HIGHS_SMALL_MATRIX_VALUE:
            return Finding(e.family, f"{model.name}: matrix entry {e.smallest:.6g} in family "
                           f"{e.family!r} is at or below HiGHS's small_matrix_value "
                           f"({HIGHS_SMALL_MATRIX_VALUE:g}): HiGHS drops it as zero")
    return None


def find_problem(model: ModelArrays, report: CoefficientReport | None = None, *,
                 limits: Literal["sound", "highs"] = "sound") -> Finding | None:
    """The first value of ``model`` out of range, with its family (:func:`check_coefficients`
    says which ranges, in which order)."""
    rep = report if report is not None else coefficient_report(model)
    for e in rep.entries:
        if e.nonfinite:
            return Finding(e.family, f"{model.name}: {e.nonfinite} {_WHAT[e.kind]}(s) in "
                           f"family {e.family!r} are not finite numbers")
    hard = _beyond_highs(model, rep)
    if hard is not None or limits == "highs":
        return hard
    for kind in ("matrix", "integer", "cost", "bound", "rhs", "term"):
        for e in rep.of(kind):
            if e.largest > _LIMIT[kind]:
                return Finding(e.family, f"{model.name}: {_WHAT[kind]} {e.largest:.6g} in "
                               f"family {e.family!r} ({e.at}) is beyond the sound limit "
                               f"{_LIMIT[kind]:g}")
    for e in rep.of("matrix"):
        if e.count and e.smallest < MIN_MATRIX:
            return Finding(e.family, f"{model.name}: matrix entry {e.smallest:.6g} in family "
                           f"{e.family!r} is below the sound limit {MIN_MATRIX:g}")
    ratio = rep.ratio("matrix")
    if ratio > MAX_MATRIX_RATIO:
        big = max(rep.of("matrix"), key=lambda e: e.largest)
        small = min((e for e in rep.of("matrix") if e.count), key=lambda e: e.smallest)
        return Finding(big.family, f"{model.name}: matrix entries span a ratio of "
                       f"{ratio:.3g}, from {small.smallest:.6g} in family {small.family!r} "
                       f"to {big.largest:.6g} in family {big.family!r}; beyond the sound "
                       f"ratio {MAX_MATRIX_RATIO:g}")
    return None


def check_coefficients(model: ModelArrays, report: CoefficientReport | None = None, *,
                       limits: Literal["sound", "highs"] = "sound") -> str | None:
    """One line naming the family and the value when ``model`` leaves the sound range
    (module docstring), else None.

    The first finding, most severe first: values that are not finite (NaN anywhere, an
    infinite matrix entry or cost); values HiGHS refuses, drops or reads as infinite
    (the ``HIGHS_*`` limits: the solve fails or answers another model); then, unless
    ``limits="highs"``, the sound limits: matrix entries above :data:`MAX_MATRIX`,
    integer-column ratios above :data:`MAX_INTEGER_RATIO`, costs above
    :data:`MAX_COST`, bounds and right-hand sides above :data:`MAX_BOUND`, objective
    terms above :data:`MAX_TERM`, matrix entries below :data:`MIN_MATRIX`, a matrix
    spread above :data:`MAX_MATRIX_RATIO` (the solver answers, but tolerances and
    rounding may make the answer wrong). ``report``: a report of ``model`` already
    computed (:func:`coefficient_report`).
    """
    found = find_problem(model, report, limits=limits)
    return None if found is None else found.message

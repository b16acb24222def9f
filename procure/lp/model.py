"""A backend-neutral sparse (MI)LP built from numpy arrays.

    minimise    c^T x + offset
    subject to  row_lower <= A x <= row_upper
                col_lower <=   x <= col_upper,   x_j integer for j in integrality

Variables are added in named *blocks* (one array per family, e.g. ``buy[k, t]``),
constraints in named *row families* given as COO triplets over local row numbers.
Nothing here loops over nonzeros in Python: each family is put in compressed sparse
row (CSR) order when it is added (sorted by row, then column; repeated entries
summed, zeros dropped), and :meth:`LinearModel.finalize` only concatenates the
pieces into the CSR arrays every backend hands straight to its solver.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]

INF = float("inf")


@dataclass(frozen=True)
class VarBlock:
    """A contiguous range ``[start, start + size)`` of model columns."""

    name: str
    start: int
    size: int

    @property
    def index(self) -> IntArray:
        """Global column numbers of the block, in order."""
        return np.arange(self.start, self.start + self.size, dtype=np.int64)

    def values(self, x: FloatArray) -> FloatArray:
        """The block's slice of a full solution vector."""
        return x[self.start : self.start + self.size]


@dataclass(frozen=True)
class RowBlock:
    """A contiguous range of model rows, one constraint family."""

    name: str
    start: int
    size: int


@dataclass(frozen=True)
class ModelArrays:
    """A finalized model: everything a backend needs, as arrays."""

    name: str
    col_cost: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    integrality: BoolArray
    row_lower: FloatArray
    row_upper: FloatArray
    a_start: IntArray  # CSR row pointers, length num_rows + 1
    a_index: Int32Array  # column of each nonzero (32-bit, as solvers take it)
    a_value: FloatArray
    offset: float
    var_blocks: tuple[VarBlock, ...]
    row_blocks: tuple[RowBlock, ...]

    @property
    def num_cols(self) -> int:
        return int(self.col_cost.size)

    @property
    def num_rows(self) -> int:
        return int(self.row_lower.size)

    @property
    def num_nonzeros(self) -> int:
        return int(self.a_value.size)

    @property
    def is_mip(self) -> bool:
        return bool(self.integrality.any())

    def block(self, name: str) -> VarBlock:
        return next(b for b in self.var_blocks if b.name == name)

    def col_names(self) -> list[str]:
        """``block[i]`` names of every column (for LP files and debugging)."""
        names = [""] * self.num_cols
        for b in self.var_blocks:
            for i in range(b.size):
                names[b.start + i] = f"{b.name}[{i}]"
        return names

    def row_names(self) -> list[str]:
        names = [""] * self.num_rows
        for b in self.row_blocks:
            for i in range(b.size):
                names[b.start + i] = f"{b.name}[{i}]"
        return names

    def row_activity(self, x: FloatArray) -> FloatArray:
        """``A @ x`` computed from the CSR arrays."""
        prod = self.a_value * x[self.a_index]
        counts = np.diff(self.a_start)
        rows = np.repeat(np.arange(self.num_rows), counts)
        return np.bincount(rows, weights=prod, minlength=self.num_rows).astype(np.float64)


@dataclass
class LinearModel:
    """Incrementally assembled sparse model; call :meth:`finalize` to get arrays."""

    name: str = "model"
    _lb: list[FloatArray] = field(default_factory=list)
    _ub: list[FloatArray] = field(default_factory=list)
    _cost: list[FloatArray] = field(default_factory=list)
    _int: list[BoolArray] = field(default_factory=list)
    _blocks: list[VarBlock] = field(default_factory=list)
    _counts: list[IntArray] = field(default_factory=list)  # nonzeros per row, per family
    _cols: list[Int32Array] = field(default_factory=list)  # CSR column indices, per family
    _vals: list[FloatArray] = field(default_factory=list)
    _rlo: list[FloatArray] = field(default_factory=list)
    _rhi: list[FloatArray] = field(default_factory=list)
    _row_blocks: list[RowBlock] = field(default_factory=list)
    _names: set[str] = field(default_factory=set)
    num_cols: int = 0
    num_rows: int = 0
    offset: float = 0.0

    @classmethod
    def from_arrays(cls, model: ModelArrays) -> LinearModel:
        """A model to extend: ``model``'s columns, rows and blocks, copied, to which more
        variables and constraints can be added (a formulation built on another one)."""
        lm = cls(model.name)
        for b in model.var_blocks:
            sl = slice(b.start, b.start + b.size)
            lm._lb.append(model.col_lower[sl].copy())
            lm._ub.append(model.col_upper[sl].copy())
            lm._cost.append(model.col_cost[sl].copy())
            lm._int.append(model.integrality[sl].copy())
            lm._blocks.append(b)
            lm._names.add(b.name)
        for rb in model.row_blocks:
            ptr = model.a_start[rb.start : rb.start + rb.size + 1]
            nz = slice(int(ptr[0]), int(ptr[-1]))
            lm._counts.append(np.diff(ptr))
            lm._cols.append(model.a_index[nz].copy())
            lm._vals.append(model.a_value[nz].copy())
            lm._rlo.append(model.row_lower[rb.start : rb.start + rb.size].copy())
            lm._rhi.append(model.row_upper[rb.start : rb.start + rb.size].copy())
            lm._row_blocks.append(rb)
        lm.num_cols, lm.num_rows, lm.offset = model.num_cols, model.num_rows, model.offset
        return lm

    def add_variables(
        self,
        name: str,
        size: int,
        *,
        lower: float | npt.ArrayLike = 0.0,
        upper: float | npt.ArrayLike = INF,
        cost: float | npt.ArrayLike = 0.0,
        integer: bool | npt.ArrayLike = False,
    ) -> VarBlock:
        """Add ``size`` columns; scalar arguments broadcast to the whole block."""
        if name in self._names:
            raise ValueError(f"duplicate variable block {name!r}")
        self._names.add(name)
        block = VarBlock(name, self.num_cols, int(size))
        lb = np.broadcast_to(np.asarray(lower, dtype=np.float64), (size,)).copy()
        ub = np.broadcast_to(np.asarray(upper, dtype=np.float64), (size,)).copy()
        is_int = np.broadcast_to(np.asarray(integer, dtype=np.bool_), (size,)).copy()
        if is_int.any():
            # an integer column's bounds are rounded inward (an upper bound of 0.5 is 0):
            # the same integer points, and solvers' presolve gets whole bounds (HiGHS 1.13
            # reported "infeasible" on a fractional one)
            tol = 1e-9 * np.maximum(1.0, np.abs(lb[is_int]))
            lb[is_int] = np.ceil(lb[is_int] - tol)
            tol = 1e-9 * np.maximum(1.0, np.abs(ub[is_int]))
            ub[is_int] = np.floor(ub[is_int] + tol)
        self._lb.append(lb)
        self._ub.append(ub)
        self._cost.append(np.broadcast_to(np.asarray(cost, dtype=np.float64), (size,)).copy())
        self._int.append(is_int)
        self._blocks.append(block)
        self.num_cols += int(size)
        return block

    def add_constraints(
        self,
        name: str,
        num_rows: int,
        rows: npt.ArrayLike,
        cols: npt.ArrayLike,
        vals: npt.ArrayLike,
        *,
        lower: float | npt.ArrayLike = -INF,
        upper: float | npt.ArrayLike = INF,
    ) -> RowBlock:
        """Add a family of ``num_rows`` rows from COO triplets (``rows`` are local, 0-based).

        Repeated (row, col) pairs are summed; explicit zeros are dropped.
        """
        r = np.asarray(rows, dtype=np.int64).ravel()
        c = np.asarray(cols, dtype=np.int64).ravel()
        v = np.broadcast_to(np.asarray(vals, dtype=np.float64), r.shape).ravel()
        if r.shape != c.shape:
            raise ValueError(f"{name}: rows and cols differ in length")
        if r.size and (r.min() < 0 or r.max() >= num_rows):
            raise ValueError(f"{name}: row index out of range")
        if c.size and (c.min() < 0 or c.max() >= self.num_cols):
            raise ValueError(f"{name}: column index out of range")
        if self.num_cols >= 2**31:
            raise ValueError(f"{name}: more than 2^31 - 1 columns")
        block = RowBlock(name, self.num_rows, int(num_rows))
        r_csr, c_csr, v_csr = _csr_order(r, c, v, self.num_cols)
        self._counts.append(np.bincount(r_csr, minlength=int(num_rows)))
        self._cols.append(c_csr)
        self._vals.append(v_csr)
        self._rlo.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (num_rows,)).copy())
        self._rhi.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (num_rows,)).copy())
        self._row_blocks.append(block)
        self.num_rows += int(num_rows)
        return block

    def add_objective(self, block: VarBlock, cost: float | npt.ArrayLike) -> None:
        """Add ``cost`` to the objective coefficients of ``block``."""
        i = self._blocks.index(block)
        self._cost[i] = self._cost[i] + np.broadcast_to(np.asarray(cost, dtype=np.float64),
                                                        (block.size,))

    def finalize(self) -> ModelArrays:
        """Stack every block into one CSR model (each family is already in CSR order)."""

        def cat_f(parts: list[FloatArray]) -> FloatArray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)

        start = np.zeros(self.num_rows + 1, dtype=np.int64)
        if self._counts:
            np.cumsum(np.concatenate(self._counts), out=start[1:])
        integ = np.concatenate(self._int) if self._int else np.zeros(0, dtype=np.bool_)
        return ModelArrays(
            name=self.name,
            col_cost=cat_f(self._cost),
            col_lower=cat_f(self._lb),
            col_upper=cat_f(self._ub),
            integrality=integ,
            row_lower=cat_f(self._rlo),
            row_upper=cat_f(self._rhi),
            a_start=start,
            a_index=np.concatenate(self._cols) if self._cols else np.zeros(0, dtype=np.int32),
            a_value=cat_f(self._vals),
            offset=float(self.offset),
            var_blocks=tuple(self._blocks),
            row_blocks=tuple(self._row_blocks),
        )


def _csr_order(r: IntArray, c: IntArray, v: FloatArray,
               num_cols: int) -> tuple[IntArray, Int32Array, FloatArray]:
    """Triplets sorted by (row, column), repeated pairs summed, zeros dropped.

    The stable sort is timsort, which merges presorted runs, so families emitted
    (nearly) in order cost close to one pass; a sorted family is not sorted again.
    """
    given = v
    if r.size > 1:
        key = r * max(num_cols, 1) + c
        if not bool((key[1:] > key[:-1]).all()):
            order = np.argsort(key, kind="stable")
            key, r, c, v = key[order], r[order], c[order], v[order]
            new = np.empty(key.size, dtype=np.bool_)
            new[0] = True
            np.not_equal(key[1:], key[:-1], out=new[1:])
            if not new.all():  # repeated (row, col): sum each run
                first = np.flatnonzero(new)
                v = np.add.reduceat(v, first)
                r, c = r[first], c[first]
    keep = v != 0.0
    if not keep.all():
        r, c, v = r[keep], c[keep], v[keep]
    return r, c.astype(np.int32), (v.copy() if v is given else v)  # never the caller's v

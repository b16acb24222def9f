"""The neutral sparse model: COO triplets become the right CSR matrix."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procure.lp import LinearModel


def dense(model_arrays: object) -> np.ndarray:
    m = model_arrays
    a = np.zeros((m.num_rows, m.num_cols))  # type: ignore[attr-defined]
    for r in range(m.num_rows):  # type: ignore[attr-defined]
        lo, hi = m.a_start[r], m.a_start[r + 1]  # type: ignore[attr-defined]
        a[r, m.a_index[lo:hi]] = m.a_value[lo:hi]  # type: ignore[attr-defined]
    return a


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_finalize_matches_dense_accumulation(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 8))
    lm = LinearModel()
    lm.add_variables("x", n, upper=5.0, cost=1.0)
    expected_rows = []
    for f in range(data.draw(st.integers(1, 3))):
        nr = data.draw(st.integers(1, 4))
        k = data.draw(st.integers(0, 12))
        rows = data.draw(st.lists(st.integers(0, nr - 1), min_size=k, max_size=k))
        cols = data.draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
        vals = data.draw(st.lists(st.integers(-3, 3), min_size=k, max_size=k))
        block = np.zeros((nr, n))
        np.add.at(block, (np.array(rows, dtype=int), np.array(cols, dtype=int)), vals)
        expected_rows.append(block)
        lm.add_constraints(f"f{f}", nr, rows, cols, vals, upper=1.0)
    m = lm.finalize()
    assert np.array_equal(dense(m), np.vstack(expected_rows))
    assert (m.a_value != 0).all()  # zeros (incl. cancelled duplicates) dropped
    assert m.a_index.dtype == np.int32 and m.a_start[-1] == m.num_nonzeros
    for r in range(m.num_rows):  # CSR order: strictly increasing columns within a row
        assert (np.diff(m.a_index[m.a_start[r]:m.a_start[r + 1]]) > 0).all()
    x = data.draw(st.lists(st.floats(-2, 2), min_size=n, max_size=n))
    assert np.allclose(m.row_activity(np.array(x)), np.vstack(expected_rows) @ np.array(x))


def test_blocks_and_bounds() -> None:
    lm = LinearModel()
    a = lm.add_variables("a", 2, lower=[0, 1], upper=3, integer=True, cost=[1, 2])
    b = lm.add_variables("b", 1)
    lm.add_objective(a, 1.0)
    r = lm.add_constraints("r", 1, [0, 0], [a.start, b.start], [1, -1], lower=0, upper=0)
    m = lm.finalize()
    assert (a.start, a.size, b.start) == (0, 2, 2)
    assert m.col_cost.tolist() == [2.0, 3.0, 0.0]
    assert m.integrality.tolist() == [True, True, False]
    assert m.col_lower.tolist() == [0.0, 1.0, 0.0]
    assert (r.start, r.size) == (0, 1)
    assert m.block("b") == b
    assert m.col_names() == ["a[0]", "a[1]", "b[0]"]


def test_out_of_range_rejected() -> None:
    lm = LinearModel()
    lm.add_variables("x", 2)
    with pytest.raises(ValueError, match="column"):
        lm.add_constraints("c", 1, [0], [5], [1.0])
    with pytest.raises(ValueError, match="row"):
        lm.add_constraints("c", 1, [1], [0], [1.0])
    with pytest.raises(ValueError, match="duplicate"):
        lm.add_variables("x", 1)


def test_from_arrays_extends_a_finalized_model() -> None:
    """A finalized model loaded back is the same model, and more columns and rows can be
    added to it (a formulation built on another one)."""
    lm = LinearModel("base")
    x = lm.add_variables("x", 3, upper=[1.0, 2.0, 3.0], cost=[1.0, -1.0, 2.0],
                         integer=[True, False, True])
    lm.add_constraints("a", 2, [0, 0, 1], [0, 2, 1], [1.0, 2.0, -1.0], upper=[4.0, 0.0])
    lm.add_constraints("b", 1, [0, 0], [1, 2], [3.0, 1.0], lower=1.0)
    lm.offset = 2.5
    base = lm.finalize()
    again = LinearModel.from_arrays(base).finalize()
    for f in ("col_cost", "col_lower", "col_upper", "integrality", "row_lower", "row_upper",
              "a_start", "a_index", "a_value"):
        assert np.array_equal(getattr(again, f), getattr(base, f)), f
    assert again.var_blocks == base.var_blocks and again.row_blocks == base.row_blocks
    assert again.offset == base.offset and again.name == base.name
    more = LinearModel.from_arrays(base)
    y = more.add_variables("y", 1, upper=1.0, integer=True)
    more.add_constraints("link", 3, [0, 1, 2, 0, 1, 2], [*x.index, y.start, y.start, y.start],
                         [1.0, 1.0, 1.0, -1.0, -2.0, -3.0], upper=0.0)
    out = more.finalize()
    assert (out.num_cols, out.num_rows) == (4, 6)
    assert np.array_equal(dense(out)[:3, :3], dense(base))
    assert np.array_equal(dense(out)[3:], [[1, 0, 0, -1], [0, 1, 0, -2], [0, 0, 1, -3]])
    assert base.num_cols == 3  # the base is untouched

"""Handing a :class:`~procure.lp.ModelArrays` to a ``highspy.Highs`` object in one call.

Used by the HiGHS backend, by the CBC backend (HiGHS writes the MPS file CBC
reads) and by the benchmarks' floor reference: ``passModel`` takes the CSR
arrays directly (row-wise matrix, minimisation), with 32-bit indices.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from procure.lp.model import ModelArrays

ROWWISE = 2  # highspy MatrixFormat.kRowwise
MINIMIZE = 1  # highspy ObjSense.kMinimize


def pass_arrays(h: Any, model: ModelArrays) -> None:
    """``h.passModel`` with ``model``'s arrays (integrality 1 = integer)."""
    h.passModel(
        model.num_cols,
        model.num_rows,
        model.num_nonzeros,
        ROWWISE,
        MINIMIZE,
        float(model.offset),
        model.col_cost,
        model.col_lower,
        model.col_upper,
        model.row_lower,
        model.row_upper,
        model.a_start[:-1].astype(np.int32),
        model.a_index.astype(np.int32, copy=False),
        model.a_value,
        model.integrality.astype(np.int32),
    )

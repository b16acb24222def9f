"""Backend-neutral sparse linear models built from arrays."""

from procure.lp.model import INF, LinearModel, ModelArrays, RowBlock, VarBlock

__all__ = ["INF", "LinearModel", "ModelArrays", "RowBlock", "VarBlock"]

"""Published optima of the public benchmark instances in ``../shared/data``, and where
the hard instances live."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from benchmarks.cases import orlib_data, shared_data


@cache
def optima() -> dict[str, float]:
    """Name -> optimum: ``orlib-cflp/optima.txt`` plus the synthetic instances' README."""
    data = shared_data()
    out: dict[str, float] = {}
    for line in (orlib_data() / "optima.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[0]] = float(parts[1])
    synthetic = data / "synthetic" / "README.md"
    found = (re.search(r"Optimum[^:]*:\s*([0-9.]+)", synthetic.read_text())
             if synthetic.is_file() else None)
    if found:
        out["cfl-200x200-s0"] = float(found.group(1))
    return out


def optimum(name: str) -> float:
    """The published optimum of ``name`` (KeyError if none is published)."""
    return optima()[name]


def hard_instance(name: str) -> tuple[Path, float | None, float]:
    """File, capacity token value and published optimum of a hard CFLP instance
    (``cfl-200x200-s0``, or ``capa-<capacity>``)."""
    data = shared_data()
    if name == "cfl-200x200-s0":
        return data / "synthetic" / "cfl-200x200-s0.txt", None, optimum(name)
    if name.startswith("capa-"):
        return orlib_data() / "capa.txt", float(name.split("-")[1]), optimum(name)
    raise ValueError(f"unknown hard instance {name!r}")

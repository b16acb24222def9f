"""A procurement plan: the decisions alone, independent of how they were found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from procure.lp.model import FloatArray

if TYPE_CHECKING:
    from procure.procurement.formulation import Formulation

PURCHASE_COLUMNS = ["launch", "program", "member", "year", "quantity"]


@dataclass(frozen=True)
class Launch:
    """One launch of a program: jointly (``owner=None``) or by one member going alone."""

    program: str
    owner: str | None = None

    @property
    def id(self) -> str:
        return self.program if self.owner is None else f"{self.program}@{self.owner}"


@dataclass(frozen=True)
class Purchase:
    """``quantity`` units of ``launch`` delivered to ``member`` in fiscal year ``year``."""

    launch: Launch
    member: str
    year: int
    quantity: float


@dataclass(frozen=True)
class Plan:
    """Which launches go ahead and who buys how many units when.

    Participants of a launch are the members that buy from it; NRC shares and
    payments follow from the scenario's cost-share rules (see
    :mod:`procure.procurement.shares`).
    """

    mode: Literal["joint", "alone"]
    launches: tuple[Launch, ...]
    purchases: tuple[Purchase, ...]

    def purchases_frame(self) -> pd.DataFrame:
        """Tidy purchases: one row per (launch, member, year) with quantity > 0."""
        rows = [(p.launch.id, p.launch.program, p.member, p.year, p.quantity)
                for p in self.purchases]
        return pd.DataFrame(rows, columns=PURCHASE_COLUMNS)


def decode(f: Formulation, x: FloatArray) -> Plan:
    """Read the launch and purchase decisions out of a solution vector.

    Integer columns are rounded (solvers return them within their integrality
    tolerance); everything downstream sees whole units.
    """
    c = f.compiled
    z = f.launch.values(x) > 0.5
    q = f.buy.values(x).copy()
    integer = c.prog_integer[c.pair_program[c.cell_pair]]
    q[integer] = np.round(q[integer])
    q = np.maximum(q, 0.0)
    launches = [
        Launch(c.program_ids[p], None if o < 0 else c.member_ids[o])
        for p, o in zip(c.launch_program[z], c.launch_owner[z], strict=True)
    ]
    by_index = {int(i): ln for i, ln in zip(np.flatnonzero(z), launches, strict=True)}
    cells = np.flatnonzero(q > 1e-9)
    purchases = []
    for cell in cells:
        k = int(c.cell_pair[cell])
        ln = by_index.get(int(c.pair_launch[k]))
        if ln is None:  # a purchase from a closed launch: keep it so the evaluator flags it
            p, o = int(c.launch_program[c.pair_launch[k]]), int(c.launch_owner[c.pair_launch[k]])
            ln = Launch(c.program_ids[p], None if o < 0 else c.member_ids[o])
        purchases.append(Purchase(ln, c.member_ids[int(c.pair_member[k])],
                                  c.years[int(c.cell_year[cell])], float(q[cell])))
    return Plan(c.mode, tuple(launches), tuple(purchases))

"""A procurement plan: the decisions alone, independent of how they were found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

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

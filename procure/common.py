"""Small pieces both plans share: named rule violations and the input hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from procure.schema.scenario import Scenario


@dataclass(frozen=True)
class Violation:
    """One broken rule: the constraint's name (as numbered in ``models/*.md``), where,
    and by how much."""

    constraint: str
    where: str
    amount: float
    message: str

    def __str__(self) -> str:
        return f"{self.constraint} at {self.where}: {self.message}"


def input_hash(scenario: Scenario) -> str:
    """SHA-256 of the scenario's canonical JSON (sorted keys, defaults included)."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()

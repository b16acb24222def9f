"""Exceptions raised at the boundaries of the library.

Formulations never raise for bad input: validation happens once, when a scenario
is loaded, and every problem found there becomes a :class:`ScenarioError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what it is, and why it is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ProcureError(Exception):
    """Base class of the library's own errors."""


class ScenarioError(ProcureError):
    """A scenario document is malformed or inconsistent.

    ``problems`` lists every offending field with its path (``programs[2].unit_cost``)
    and a message that quotes the offending value.
    """

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        head = f"invalid scenario {source}" if source else "invalid scenario"
        lines = [f"{head}: {len(self.problems)} problem(s)"]
        lines += [f"  - {p}" for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"  ... and {len(self.problems) - 50} more")
        super().__init__("\n".join(lines))


class SolverUnavailableError(ProcureError):
    """The requested backend is not installed or cannot solve this kind of model."""

"""Exceptions raised at the boundaries of the library.

Formulations never raise for bad input: validation happens once, when a scenario
is loaded, and every problem found there becomes a :class:`ScenarioError`.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Sequence
from dataclasses import dataclass

QUOTE_LIMIT = 80
"""Most characters of an offending value that a message quotes (:func:`quote`)."""

LINE_LIMIT = 1000
"""Most characters of one problem line in a :class:`ScenarioError` message."""


def _int_digits(value: int) -> int:
    """Decimal digits of ``abs(value)``, without converting it to text (a string
    conversion of a huge integer is slow, and refused beyond Python's digit limit)."""
    bits = abs(value).bit_length()
    if bits <= 3000:
        return len(str(abs(value)))
    return int(bits * math.log10(2)) + 1  # exact to within one digit


class _CappedRepr(reprlib.Repr):
    """``reprlib`` with integers that never go through ``str`` when they are huge."""

    def repr_int(self, x: int, level: int) -> str:
        digits = _int_digits(x)
        if digits > self.maxlong:
            return f"<integer with {digits} digits>"
        return repr(x)


_REPR = _CappedRepr()
_REPR.maxlevel = 3
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = QUOTE_LIMIT


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` for a message, at most about ``limit`` characters of it.

    A longer string is cut to its first ``limit`` characters and followed by an
    ellipsis and its length (``'xxx…' (100000 characters)``); containers show their
    first items and levels only; a huge integer gives its digit count. Control and
    invisible characters are escaped by ``repr``. Never raises.
    """
    try:
        if isinstance(value, bool) or value is None:
            return repr(value)
        if isinstance(value, int):
            digits = _int_digits(value)
            return repr(value) if digits <= limit else f"an integer with {digits} digits"
        if isinstance(value, (str, bytes, bytearray)):
            unit = "characters" if isinstance(value, str) else "bytes"
            if len(value) <= limit:
                return repr(value)
            return f"{value[:limit]!r}… ({len(value)} {unit})"
        text = _REPR.repr(value)
    except Exception:  # a value whose repr fails: name its type
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit + 10 else f"{text[:limit]}… ({type(value).__name__})"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what it is, and why it is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def _cap_line(line: str) -> str:
    """``line`` cut to :data:`LINE_LIMIT` characters (a last guard against messages that
    quote a huge value in full)."""
    if len(line) <= LINE_LIMIT:
        return line
    return f"{line[:LINE_LIMIT]}… ({len(line)} characters)"


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
        lines += [f"  - {_cap_line(str(p))}" for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"  ... and {len(self.problems) - 50} more")
        super().__init__("\n".join(lines))


class SweepSpecError(ScenarioError):
    """A sweep specification is malformed or inconsistent, or names what its base
    scenario does not hold (a member, program, location, year). ``problems`` lists every
    offending field with its path (``axes[0].values[2].edits[0] (budget_change).factor``)
    and a message quoting the offending value; problems of the base scenario itself are
    listed under the ``base`` field."""

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        super().__init__(problems, source)
        head = f"invalid sweep spec {source}" if source else "invalid sweep spec"
        lines = str(self.args[0]).split("\n")
        lines[0] = f"{head}: {len(self.problems)} problem(s)"
        self.args = ("\n".join(lines),)


class GameError(ScenarioError):
    """A cooperative game file is malformed or inconsistent: a coalition missing or given
    twice, an unknown or repeated player, a value that is not a finite number, too many
    players. ``problems`` lists each with its field (``values['B,A']``) and the value it
    quotes; the message is one line (the first problems, then how many more)."""

    SHOWN = 5

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        super().__init__(problems, source)
        head = f"invalid game file {source}" if source else "invalid game"
        shown = "; ".join(_cap_line(str(p)) for p in self.problems[: self.SHOWN])
        more = (f"; ... and {len(self.problems) - self.SHOWN} more"
                if len(self.problems) > self.SHOWN else "")
        self.args = (f"{head}: {shown}{more}",)


class WorkbookError(ScenarioError):
    """A scenario workbook (``.xlsx``) cannot be read (not a workbook, an unknown or
    missing sheet, an unknown or repeated column, a cell of the wrong kind) or its content
    is invalid. Each problem names the sheet, row and column it comes from
    (``sheet 'programs', row 7, column 'unit_cost'``) and quotes the value; the message is
    one line (the first problems, then how many more)."""

    SHOWN = 5

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        super().__init__(problems, source)
        head = f"invalid workbook {source}" if source else "invalid workbook"
        shown = "; ".join(_cap_line(str(p)) for p in self.problems[: self.SHOWN])
        more = (f"; ... and {len(self.problems) - self.SHOWN} more"
                if len(self.problems) > self.SHOWN else "")
        self.args = (f"{head}: {shown}{more}",)


class ModelRangeError(ScenarioError):
    """A scenario passed validation, but the model built from it holds a coefficient no
    solver can take (beyond HiGHS's own limits: refused, dropped or read as infinite;
    :mod:`procure.lp.numerics`). The one problem names the scenario fields the
    coefficient comes from, the model family and the value."""


class SolverUnavailableError(ProcureError):
    """The requested backend is not installed or cannot solve this kind of model."""


class OutputError(ProcureError):
    """A result folder cannot be written where asked (an existing file, a folder that
    is not an earlier procure result, an earlier result without ``force``, a missing or
    read-only parent, the scenario's own folder, ...). The message is one line naming
    the path and what to do; nothing was written or removed."""

    def __init__(self, path: object, message: str) -> None:
        self.path = str(path)
        super().__init__(message)

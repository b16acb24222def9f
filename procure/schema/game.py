"""Pydantic model of a cooperative game file: an explicit game, every value listed.

A game file (JSON, or YAML) reads::

    {"kind": "cost",
     "players": ["A", "B", "C"],
     "values": {"A": 8, "B": 6, "C": 5, "A,B": 11, "A,C": 10, "B,C": 9, "A,B,C": 14}}

``kind`` says whether the values are costs (what each coalition would pay on its own)
or profits (what it would earn); ``players`` are ids; ``values`` gives every non-empty
coalition once, written as its players' ids joined by commas in any order (spaces
around an id are ignored). The empty coalition's value is 0 and is not written.

Validation follows the scenario's rules (:mod:`procure.io`): the same safe loader and
limits, unknown fields refused, and every problem names its field and quotes the
offending value, e.g. ``values['A,Z']: unknown player 'Z' (the players are 'A', 'B',
'C')`` or ``values['B,A']: 12.0 for the coalition {A, B}, which is also given as 'A,B'
(11.0); give it once``. Problems are raised as one :class:`~procure.errors.GameError`,
whose message is one line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, PrivateAttr, ValidationError, model_validator

from procure.errors import GameError, Problem, ScenarioError, quote
from procure.io import parse_text, problems_from_validation, read_document
from procure.lp.model import FloatArray
from procure.schema.base import MAX_MONEY, Id, StrictModel

MAX_PLAYERS = 20
"""Most players of a game file: it lists ``2^n - 1`` values (over a million at 20)."""

MAX_GAME_VALUE = MAX_MONEY
"""Largest magnitude of a coalition's value (1e12, the scenario's money range)."""

GameValue = Annotated[float, Field(strict=True, ge=-MAX_GAME_VALUE, le=MAX_GAME_VALUE,
                                   allow_inf_nan=False,
                                   description="A coalition's cost or profit, a finite "
                                   "number from -1e12 to 1e12.")]

_SHOW = 5  # coalitions quoted in a message about missing ones


class GameFile(StrictModel):
    """An explicit cooperative game: its kind, its players and every coalition's value."""

    kind: Literal["cost", "profit"] = Field(
        description="cost: values are what each coalition pays on its own; profit: what "
                    "it earns.")
    players: list[Id] = Field(
        min_length=2, max_length=MAX_PLAYERS,
        description=f"The players' ids, 2 to {MAX_PLAYERS}, each once.")
    values: dict[str, GameValue] = Field(
        description="The value of every non-empty coalition, once each: the key is the "
                    "coalition's player ids joined by commas, in any order (\"A,B\").")

    _vector: FloatArray = PrivateAttr()

    @model_validator(mode="after")
    def _coalitions(self) -> GameFile:
        problems = _player_problems(self.players)
        if problems:
            raise ValueError("\n".join(str(p) for p in problems))
        vector, problems = _values_vector(self.players, self.values)
        if problems:
            raise ValueError("\n".join(str(p) for p in problems))
        self._vector = vector
        return self

    @property
    def vector(self) -> FloatArray:
        """``v(S)`` by bitmask ``S`` (bit ``i`` is ``players[i]``; length ``2^n``)."""
        return self._vector


def _count_problems(n: int) -> list[Problem]:
    if n < 2:
        return [Problem("players", f"a game needs at least 2 players, got {n}")]
    if n > MAX_PLAYERS:
        return [Problem("players", f"{n} players: a game file holds at most {MAX_PLAYERS} "
                                   f"(it lists 2^n - 1 values)")]
    return []


def _player_problems(players: list[str]) -> list[Problem]:
    if _count_problems(len(players)):  # pragma: no cover - refused before validation
        return _count_problems(len(players))
    first: dict[str, int] = {}
    out: list[Problem] = []
    for i, p in enumerate(players):
        if p in first:
            out.append(Problem(f"players[{i}]", f"{quote(p)} is listed twice (first as "
                                                f"players[{first[p]}])"))
        else:
            first[p] = i
    return out


def _values_vector(players: list[str],
                   values: dict[str, float]) -> tuple[FloatArray, list[Problem]]:
    """The values by bitmask, and the problems of the ``values`` mapping: a key naming no
    coalition, an unknown or repeated player, a coalition given twice, a coalition
    missing."""
    n = len(players)
    bit = {p: 1 << i for i, p in enumerate(players)}
    vector = np.zeros(1 << n, dtype=np.float64)
    where: dict[int, str] = {}
    problems: list[Problem] = []
    for key in values:
        parts = key.split(",")
        try:  # the common case: known ids, no spaces; a sum of distinct bits has as many
            # ones as terms (a repeated bit carries into fewer)
            mask = sum(map(bit.__getitem__, parts))
        except KeyError:
            mask = 0
        if mask == 0 or mask.bit_count() != len(parts):
            mask, bad = _parse_key(key, bit, players)
            if bad:
                problems.append(Problem(f"values[{quote(key)}]", bad))
                continue
        if mask in where:
            path = f"values[{quote(key)}]"
            problems.append(Problem(path, f"{values[key]!r} for the coalition "
                                          f"{_label(mask, players)}, which is also given as "
                                          f"{quote(where[mask])} ({values[where[mask]]!r}); "
                                          "give it once"))
            continue
        where[mask] = key
    if where:
        vector[np.fromiter(where, dtype=np.int64, count=len(where))] = np.fromiter(
            (values[k] for k in where.values()), dtype=np.float64, count=len(where))
    if not problems and len(where) < (1 << n) - 1:
        given = np.zeros(1 << n, dtype=np.bool_)
        given[0] = True
        given[np.fromiter(where, dtype=np.int64, count=len(where))] = True
        missing = np.flatnonzero(~given)
        size = np.zeros(missing.size, dtype=np.int64)
        for i in range(n):
            size += (missing >> i) & 1
        first = missing[np.lexsort((missing, size))[:_SHOW]].tolist()  # smallest first
        shown = ", ".join(quote(",".join(players[i] for i in range(n) if m >> i & 1))
                          for m in first)
        more = f" and {missing.size - _SHOW} more" if missing.size > _SHOW else ""
        problems.append(Problem("values", f"no value for {missing.size} of the "
                                          f"{(1 << n) - 1} coalitions: {shown}{more}"))
    return vector, problems


def _parse_key(key: str, bit: dict[str, int], players: list[str]) -> tuple[int, str]:
    """The bitmask of a coalition key (ids joined by commas, spaces around them ignored),
    or 0 and why the key names no coalition."""
    if not key.strip():
        return 0, "an empty coalition: its value is 0 and is not written; list each " \
                  "non-empty coalition"
    mask = 0
    for pid in (part.strip() for part in key.split(",")):
        b = bit.get(pid)
        if not pid:
            return 0, f"an empty player id in {quote(key)}"
        if b is None:
            known = ", ".join(quote(p) for p in players[:10])
            more = ", ..." if len(players) > 10 else ""
            return 0, f"unknown player {quote(pid)} (the players are {known}{more})"
        if mask & b:
            return 0, f"player {quote(pid)} appears twice in the coalition"
        mask |= b
    return mask, ""


def _label(mask: int, players: list[str]) -> str:
    return "{" + ", ".join(p for i, p in enumerate(players) if mask >> i & 1) + "}"


def game_file_from_data(data: Any, source: str | None = None) -> GameFile:
    """Validate a parsed document into a :class:`GameFile` (:class:`GameError` listing
    every problem otherwise)."""
    if not isinstance(data, dict):
        raise GameError([Problem("", f"the document must be a mapping, got "
                                     f"{type(data).__name__}")], source)
    players = data.get("players")
    if isinstance(players, list):  # the count first: before 2^n of anything is looked at
        problems = _count_problems(len(players))
        if problems:
            raise GameError(problems, source)
    try:
        return GameFile.model_validate(data)
    except ValidationError as err:
        raise GameError(problems_from_validation(err), source) from None
    except RecursionError:  # pragma: no cover - parse_text refuses such nesting first
        raise GameError([Problem("", "nesting too deep")], source) from None


def _read(p: Path, src: str) -> str:
    """The text of the game file ``p``: :func:`procure.io.read_document`, its failures
    as :class:`GameError`."""
    return read_document(p, error=GameError, what="game file")


def load_game_file(path: str | os.PathLike[str]) -> GameFile:
    """Load and validate a game file (``.json``; ``.yaml``/``.yml`` are read as YAML),
    parsed like a scenario (safe YAML, no anchors or aliases, size, depth and integer
    limits). Raises :class:`GameError` for anything wrong with the file or its content."""
    p = Path(path)
    src = str(p)
    if "\x00" in src:
        raise GameError([Problem("", f"cannot read {quote(src)}: the path holds a NUL "
                                     "character")], quote(src))
    text = _read(p, src)
    fmt = "yaml" if p.suffix.lower() in (".yaml", ".yml") else "json"
    try:
        data = parse_text(text, fmt, src)
    except ScenarioError as err:
        raise GameError(err.problems, src) from None
    return game_file_from_data(data, src)

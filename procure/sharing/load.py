"""Reading an explicit game from a game file (:mod:`procure.schema.game`)."""

from __future__ import annotations

import os
from typing import Any

from procure.schema.game import GameFile, game_file_from_data, load_game_file
from procure.sharing.game import ExplicitGame


def game_from_file(doc: GameFile) -> ExplicitGame:
    """The explicit game of a validated game file."""
    return ExplicitGame(tuple(doc.players), doc.kind, doc.vector)


def load_game(path: str | os.PathLike[str]) -> ExplicitGame:
    """Load a game file (JSON; YAML by suffix) into an :class:`ExplicitGame`. Raises
    :class:`~procure.errors.GameError` naming the field and value of every problem."""
    return game_from_file(load_game_file(path))


def game_from_data(data: Any, source: str | None = None) -> ExplicitGame:
    """The explicit game of a parsed game document (``{"kind", "players", "values"}``)."""
    return game_from_file(game_file_from_data(data, source))

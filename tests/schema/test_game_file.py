"""The game file: what it accepts, every problem named by field and value, and its JSON
Schema in ``models/`` kept in step with the code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from procure.errors import GameError, ScenarioError
from procure.schema.export import game_schema_text
from procure.schema.game import MAX_PLAYERS, game_file_from_data, load_game_file
from procure.sharing import game_from_data, load_game

REPO = Path(__file__).resolve().parents[2]

GOOD: dict[str, Any] = {"kind": "cost", "players": ["A", "B", "C"],
                        "values": {"A": 8, "B": 6, "C": 5, "A,B": 11, "A,C": 10,
                                   " C , B ": 9, "C,B,A": 14}}


def test_a_good_file_in_any_coalition_order(tmp_path: Path) -> None:
    p = tmp_path / "g.json"
    p.write_text(json.dumps(GOOD))
    game = load_game(p)
    assert game.players == ("A", "B", "C") and game.kind == "cost"
    assert game.values.tolist() == [0, 8, 6, 11, 5, 10, 9, 14]  # by bitmask
    y = tmp_path / "g.yaml"
    y.write_text("kind: profit\nplayers: [A, B]\nvalues: {A: 0, B: 0, 'A,B': 3.5}\n")
    assert load_game(y).values.tolist() == [0, 0, 0, 3.5]
    doc = game_file_from_data(GOOD)
    assert doc.vector.tolist() == game.values.tolist()
    assert game_from_data(GOOD).values.tolist() == game.values.tolist()


def _with(**changes: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(GOOD))
    doc.update(changes)
    return doc


def _values(drop: tuple[str, ...] = (), **add: Any) -> dict[str, Any]:
    vals = {k: v for k, v in GOOD["values"].items() if k not in drop}
    vals.update(add)
    return _with(values=vals)


@pytest.mark.parametrize(("doc", "needle"), [
    (_values(**{"B,A": 12}),
     "values['B,A']: 12.0 for the coalition {A, B}, which is also given as 'A,B' (11.0)"),
    (_values(drop=("A,C",)), "values: no value for 1 of the 7 coalitions: 'A,C'"),
    (_values(drop=("A", "B,A", "A,B")), "no value for 2 of the 7 coalitions: 'A', 'A,B'"),
    (_values(**{"A,Z": 3}), "values['A,Z']: unknown player 'Z' (the players are 'A', 'B', 'C')"),
    (_values(**{"A,A": 3}), "values['A,A']: player 'A' appears twice"),
    (_values(**{"": 0}), "values['']: an empty coalition"),
    (_values(**{"A,,B": 1}), "values['A,,B']: an empty player id"),
    (_values(A=float("nan")), "values.A: Input should be a finite number (got nan)"),
    (_values(A=float("inf")), "values.A: Input should be a finite number (got inf)"),
    (_values(A="8"), "values.A: Input should be a valid number (got '8')"),
    (_values(A=True), "values.A: Input should be a valid number (got True)"),
    (_values(A=1e13), "values.A: Input should be less than or equal to 1000000000000"),
    (_with(players=["A", "B", "A"]), "players[2]: 'A' is listed twice (first as players[0])"),
    (_with(players=["A"]), "players: a game needs at least 2 players, got 1"),
    (_with(players=[f"P{i}" for i in range(MAX_PLAYERS + 1)]),
     f"players: {MAX_PLAYERS + 1} players: a game file holds at most {MAX_PLAYERS}"),
    (_with(players=["A", "B c", "C"]), "players[1]: String should match pattern"),
    (_with(kind="costs"), "kind: Input should be 'cost' or 'profit' (got 'costs')"),
    (_with(colour="red"), "colour: unknown field"),
    ({"kind": "cost", "players": ["A", "B"]}, "values: field required"),
])
def test_problems_name_the_field_and_value(doc: dict[str, Any], needle: str) -> None:
    with pytest.raises(GameError) as err:
        game_file_from_data(doc, "g.json")
    message = str(err.value)
    assert needle in message, message
    assert message.startswith("invalid game file g.json: ")
    assert "\n" not in message  # one line
    assert isinstance(err.value, ScenarioError)


def test_many_problems_on_one_line() -> None:
    doc = _values(**{f"A,Z{i}": 1 for i in range(8)})
    with pytest.raises(GameError) as err:
        game_file_from_data(doc)
    message = str(err.value)
    assert "\n" not in message and "... and 3 more" in message
    assert len(err.value.problems) == 8


def _all_keys(players: list[str]) -> list[str]:
    """Every coalition's key, by bitmask from 1 (built by doubling)."""
    keys = [""]
    for p in players:
        keys += [f"{k},{p}" if k else p for k in keys]
    return keys[1:]


def test_twenty_players_load(tmp_path: Path) -> None:
    """The largest file: 2^20 - 1 values."""
    players = [f"P{i}" for i in range(MAX_PLAYERS)]
    keys = _all_keys(players)
    values = dict(zip(keys, (np.arange(1, 1 << MAX_PLAYERS) % 7).tolist(), strict=True))
    p = tmp_path / "big.json"
    p.write_text(json.dumps({"kind": "profit", "players": players, "values": values}))
    game = load_game(p)
    assert game.values[12345] == 12345 % 7 and game.values.size == 1 << MAX_PLAYERS


def test_missing_coalitions_named_smallest_first() -> None:
    players = [f"P{i}" for i in range(12)]
    values = dict.fromkeys(_all_keys(players), 1.0)
    for key in ("P3,P11", "P0,P1,P2", "P5"):
        del values[key]
    with pytest.raises(GameError, match="no value for 3 of the 4095 coalitions: 'P5', "
                                        "'P3,P11', 'P0,P1,P2'"):
        game_file_from_data({"kind": "cost", "players": players, "values": values})


def test_file_problems(tmp_path: Path) -> None:
    with pytest.raises(GameError, match="no such file"):
        load_game_file(tmp_path / "none.json")
    with pytest.raises(GameError, match="is a directory"):
        load_game_file(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "cost", "players": [')
    with pytest.raises(GameError, match="malformed JSON"):
        load_game_file(bad)
    bad.write_bytes(b'{"kind": "cost\xff"}')
    with pytest.raises(GameError, match="not UTF-8"):
        load_game_file(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(GameError, match="must be a mapping, got list"):
        load_game_file(bad)
    alias = tmp_path / "a.yaml"
    alias.write_text("kind: &k cost\nplayers: [A, B]\nvalues: {A: 1, B: 1, 'A,B': *k}\n")
    with pytest.raises(GameError, match="are not allowed"):
        load_game_file(alias)


def test_json_schema_file_is_current() -> None:
    on_disk = (REPO / "models" / "game.schema.json").read_text()
    assert on_disk == game_schema_text(), (
        "models/game.schema.json is stale: run python -m procure.schema.export")
    schema = json.loads(on_disk)
    assert schema["properties"]["players"]["maxItems"] == MAX_PLAYERS
    assert schema["additionalProperties"] is False

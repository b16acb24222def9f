"""``procure game FILE [--json]``: published answers to 1e-6 through the command, the
JSON shape, the table, and bad files (exit 2, one line naming the coalition or value,
no traceback).

Published values matched:

- R package CoopGame 0.2.2, help page of ``nucleolus``
  (https://search.r-project.org/CRAN/refmans/CoopGame/html/nucleolus.html):
  ``nucleolus(c(0, 0, 0, 0, 5, 5, 8, 9, 10, 8, 13, 15, 16, 17, 21))`` gives
  ``3.5 4.5 5.5 7.5`` (coalitions in lexicographic order), and the Talmud estate E = 300
  with claims (100, 200, 300), ``bankruptcyGameVector`` = (0, 0, 0, 0, 100, 200, 300),
  gives ``50 100 150``.
- Aumann & Maschler (1985), the Talmud's three estates of claims (100, 200, 300), whose
  divisions are the nucleoli of the games v(S) = max(0, E - sum of the claims outside S):
  E = 100 -> (33 1/3, 33 1/3, 33 1/3), E = 200 -> (50, 75, 75), E = 300 -> (50, 100, 150).
- The airport game c(S) = max_{i in S} cost_i with costs (120, 60, 40, 30): by Littlechild
  & Owen's (1973) formula each runway segment is shared equally by the players who use
  it, Shapley = (30/4 + 10/3 + 20/2 + 60, 30/4 + 10/3 + 20/2, 30/4 + 10/3, 30/4)
  = (80 5/6, 20 5/6, 10 5/6, 7 1/2).
- Derived (not a published output): the symmetric game v = (0, 0, 0, 60, 60, 60, 72) has
  nucleolus (24, 24, 24) by symmetry and efficiency; its core is empty (the three pairs
  need 180 > 2 x 72) and its least-core epsilon is 12 (each pair 60 - 48).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from procure.cli import app

TOL = 1e-6


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str) -> Ran:
    r = CliRunner().invoke(app, list(args))
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return Ran(r.exit_code, r.stdout, r.stderr)


def lex_game(kind: str, players: list[str], values: list[float]) -> dict[str, Any]:
    """A game file from a game vector in lexicographic order (R's CoopGame)."""
    coalitions = [c for k in range(1, len(players) + 1)
                  for c in itertools.combinations(players, k)]
    assert len(coalitions) == len(values)
    return {"kind": kind, "players": players,
            "values": {",".join(c): v for c, v in zip(coalitions, values, strict=True)}}


def game_json(tmp_path: Path, doc: dict[str, Any]) -> dict[str, Any]:
    p = tmp_path / "game.json"
    p.write_text(json.dumps(doc))
    r = run("game", str(p), "--json")
    assert r.returncode == 0, r.stderr
    out: dict[str, Any] = json.loads(r.stdout)
    return out


def bankruptcy(estate: float, claims: dict[str, float]) -> dict[str, Any]:
    ids = list(claims)
    values = {}
    for k in range(1, len(ids) + 1):
        for c in itertools.combinations(ids, k):
            values[",".join(c)] = max(0.0, estate - sum(d for p, d in claims.items()
                                                        if p not in c))
    return {"kind": "profit", "players": ids, "values": values}


def test_coopgame_nucleolus_example(tmp_path: Path) -> None:
    doc = lex_game("profit", ["1", "2", "3", "4"],
                   [0, 0, 0, 0, 5, 5, 8, 9, 10, 8, 13, 15, 16, 17, 21])
    out = game_json(tmp_path, doc)
    assert list(out["nucleolus"].values()) == pytest.approx([3.5, 4.5, 5.5, 7.5], abs=TOL)
    # the same shape, key for key
    assert set(out) == {"shapley", "nucleolus", "least_core", "core", "shapley_core_check"}
    assert set(out["least_core"]) == {"epsilon", "allocation"}
    assert out["core"] == {"nonempty": True}
    assert set(out["shapley_core_check"]) == {"in_core", "blocking", "excess"}
    assert list(out["shapley"]) == ["1", "2", "3", "4"]
    # the nucleolus is in the core: eps = -0.5 (every coalition keeps 0.5 over its value)
    assert out["least_core"]["epsilon"] == pytest.approx(-0.5, abs=TOL)
    # the Shapley value (47/12, 21/4, 21/4, 79/12) is not: {1, 3, 4} gets 15.75 < 16
    assert list(out["shapley"].values()) == pytest.approx([47 / 12, 5.25, 5.25, 79 / 12],
                                                          abs=TOL)
    check = out["shapley_core_check"]
    assert check == {"in_core": False, "blocking": ["1", "3", "4"],
                     "excess": pytest.approx(0.25, abs=TOL)}


@pytest.mark.parametrize(("estate", "expected"), [
    (100, [100 / 3, 100 / 3, 100 / 3]), (200, [50, 75, 75]), (300, [50, 100, 150])])
def test_talmud_estates(tmp_path: Path, estate: float, expected: list[float]) -> None:
    out = game_json(tmp_path, bankruptcy(estate, {"1": 100, "2": 200, "3": 300}))
    assert list(out["nucleolus"].values()) == pytest.approx(expected, abs=TOL)
    assert out["core"]["nonempty"] is True  # bankruptcy games are convex
    if estate == 300:  # CoopGame's bankruptcyGameVector for E = 300, as printed there
        doc = lex_game("profit", ["1", "2", "3"], [0, 0, 0, 0, 100, 200, 300])
        again = game_json(tmp_path, doc)
        assert list(again["nucleolus"].values()) == pytest.approx([50, 100, 150], abs=TOL)


def test_airport_game(tmp_path: Path) -> None:
    costs = {"1": 120, "2": 60, "3": 40, "4": 30}
    values = {",".join(c): max(costs[p] for p in c)
              for k in range(1, 5) for c in itertools.combinations(costs, k)}
    out = game_json(tmp_path, {"kind": "cost", "players": list(costs), "values": values})
    assert list(out["shapley"].values()) == pytest.approx(
        [80 + 5 / 6, 20 + 5 / 6, 10 + 5 / 6, 7.5], abs=TOL)
    # the airport game is concave (its savings game convex): the Shapley value is in the
    # core, no coalition saves by leaving
    assert out["shapley_core_check"]["in_core"] is True
    assert out["shapley_core_check"]["blocking"] == []
    assert out["shapley_core_check"]["excess"] <= TOL
    assert sum(out["nucleolus"].values()) == pytest.approx(120, abs=TOL)


def test_symmetric_game_with_an_empty_core(tmp_path: Path) -> None:
    out = game_json(tmp_path, lex_game("profit", ["A", "B", "C"], [0, 0, 0, 60, 60, 60, 72]))
    assert list(out["nucleolus"].values()) == pytest.approx([24, 24, 24], abs=TOL)
    assert out["least_core"]["epsilon"] == pytest.approx(12, abs=TOL)
    assert out["core"]["nonempty"] is False
    check = out["shapley_core_check"]  # Shapley = (24, 24, 24): each pair gains 12
    assert check["in_core"] is False and check["excess"] == pytest.approx(12, abs=TOL)
    assert len(check["blocking"]) == 2


def test_table(tmp_path: Path) -> None:
    doc = {"kind": "cost", "players": ["DE", "FR", "PL"],
           "values": {"DE": 8, "FR": 6, "PL": 5, "DE,FR": 11, "DE,PL": 10, "FR,PL": 9,
                      "DE,FR,PL": 14}}
    p = tmp_path / "g.json"
    p.write_text(json.dumps(doc))
    r = run("game", str(p))
    assert r.returncode == 0, r.stderr
    for word in ("cost game, 3 players, c(N) = 14", "what each player pays", "Shapley",
                 "nucleolus", "least core", "SCRB", "DE", "FR", "PL",
                 "core: non-empty (least-core epsilon = -0.6667",
                 "Shapley value: in the core"):
        assert word in r.stdout, (word, r.stdout)


def test_a_game_without_imputations_reports_the_prenucleolus(tmp_path: Path) -> None:
    doc = lex_game("profit", ["A", "B", "C"], [5, 5, 6, 5, 8, 8, 9])
    p = tmp_path / "g.json"
    p.write_text(json.dumps(doc))
    r = run("game", str(p))
    assert r.returncode == 0
    assert "prenucleolus" in r.stdout and "core: empty" in r.stdout
    assert "the nucleolus shown is the prenucleolus" in r.stderr
    assert "receive less than alone" in r.stdout


@pytest.mark.parametrize(("values", "needle"), [
    ({"A": 1, "B": 2, "A,B": 3, "B,A": 4},
     "values['B,A']: 4.0 for the coalition {A, B}, which is also given as 'A,B' (3.0)"),
    ({"A": 1, "B": 2}, "values: no value for 1 of the 3 coalitions: 'A,B'"),
    ({"A": 1, "B": 2, "A,B": 3, "A,X": 1}, "values['A,X']: unknown player 'X'"),
    ({"A": 1, "B": "two", "A,B": 3}, "values.B: Input should be a valid number (got 'two')"),
])
def test_bad_game_file_exit_2(tmp_path: Path, values: dict[str, Any], needle: str) -> None:
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"kind": "cost", "players": ["A", "B"], "values": values}))
    for args in (["game", str(p)], ["game", str(p), "--json"]):
        r = run(*args)
        assert r.returncode == 2, (r.stdout, r.stderr)
        assert needle in r.stderr, r.stderr
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr + r.stdout
        assert r.stdout == ""


def test_bad_files_end_to_end(tmp_path: Path) -> None:
    """In a subprocess: a non-finite value, duplicate players, too many players, a
    missing file; exit 2 with one line, never a traceback."""
    nan = tmp_path / "nan.json"
    nan.write_text('{"kind": "cost", "players": ["A", "B"], '
                   '"values": {"A": 1, "B": NaN, "A,B": 2}}')
    dup = tmp_path / "dup.json"
    dup.write_text(json.dumps({"kind": "cost", "players": ["A", "B", "A"], "values": {}}))
    many = tmp_path / "many.json"
    many.write_text(json.dumps({"kind": "cost", "players": [f"P{i}" for i in range(25)],
                                "values": {}}))
    cases = {nan: "values.B: Input should be a finite number (got nan)",
             dup: "players[2]: 'A' is listed twice",
             many: "players: 25 players: a game file holds at most 20",
             tmp_path / "none.json": "no such file"}
    for path, needle in cases.items():
        p = subprocess.run([sys.executable, "-m", "procure.cli", "game", str(path), "--json"],
                           capture_output=True, text=True, check=False, timeout=120)
        assert p.returncode == 2, p.stderr
        assert needle in p.stderr and p.stderr.count("\n") == 1
        assert "Traceback" not in p.stderr and p.stdout == ""

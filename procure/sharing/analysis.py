"""Every rule on one game: what ``procure game`` prints and :func:`solve_game` returns."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from procure.backends import Backend, SolveOptions
from procure.lp.model import FloatArray
from procure.sharing.game import Game, grand, sign, standalone
from procure.sharing.lp import DEFAULT_TOLERANCES, Tolerances, game_scale
from procure.sharing.rules import (
    CoreCheck,
    LeastCore,
    NoImputationError,
    Nucleolus,
    core_check,
    equal_split,
    least_core,
    nucleolus,
    prenucleolus,
    scrb,
    shapley,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GameAnalysis:
    """The rules of ``models/sharing.md`` on one game, in player order: stand-alone values
    ``v({i})``, the Shapley value, the nucleolus (the prenucleolus when the game has no
    imputation: ``notes`` says so), the least core, whether the core is non-empty, the
    Shapley value's core check, SCRB and the equal split."""

    game: Game
    value_n: float
    standalone: FloatArray
    shapley: FloatArray
    nucleolus: Nucleolus
    least_core: LeastCore
    core_nonempty: bool
    shapley_check: CoreCheck
    scrb: FloatArray
    equal_split: FloatArray
    notes: tuple[str, ...]

    def by_player(self, values: FloatArray) -> dict[str, float]:
        return {p: _clean(v) for p, v in zip(self.game.players, values.tolist(), strict=True)}

    def as_dict(self) -> dict[str, Any]:
        """The JSON answer of ``procure game --json`` and :func:`solve_game`::

            {"shapley": {player: value}, "nucleolus": {player: value},
             "least_core": {"epsilon": e, "allocation": {player: value}},
             "core": {"nonempty": bool},
             "shapley_core_check": {"in_core": bool, "blocking": [player, ...],
                                    "excess": value}}

        ``excess`` is the largest excess (5) of a proper coalition at the Shapley value
        (a cost game: ``max_S x(S) - c(S)``; a profit game: ``max_S v(S) - x(S)``),
        ``blocking`` that coalition's players when the excess is positive (beyond the
        tolerance), else ``[]``."""
        check = self.shapley_check
        return {
            "shapley": self.by_player(self.shapley),
            "nucleolus": self.by_player(self.nucleolus.allocation),
            "least_core": {"epsilon": _clean(self.least_core.epsilon),
                           "allocation": self.by_player(self.least_core.allocation)},
            "core": {"nonempty": bool(self.core_nonempty)},
            "shapley_core_check": {"in_core": bool(check.in_core),
                                   "blocking": list(check.blocking),
                                   "excess": _clean(check.excess)},
        }


def _clean(x: float) -> float:
    """``x`` to 12 significant digits (the LPs are exact to about 1e-9 of the game's
    scale: ``6.0``, not ``5.999999999999999``), with ``-0.0`` written as ``0.0``."""
    return float(f"{float(x):.12g}") + 0.0


def analyse_game(game: Game, *, backend: Backend | str | None = None,
                 options: SolveOptions | None = None,
                 tol: Tolerances = DEFAULT_TOLERANCES,
                 shapley_value: FloatArray | None = None) -> GameAnalysis:
    """Every rule on ``game`` (the LPs on ``backend``, default HiGHS). ``shapley_value``:
    an estimate to use instead of the exact value (which enumerates every coalition),
    for games too large to enumerate."""
    notes: list[str] = []
    try:
        nuc = nucleolus(game, backend=backend, options=options, tol=tol)
    except NoImputationError as err:
        nuc = prenucleolus(game, backend=backend, options=options, tol=tol)
        notes.append(f"{err}; the nucleolus shown is the prenucleolus")
        log.warning("%s; the nucleolus shown is the prenucleolus", err)
    lc = least_core(game, backend=backend, options=options, tol=tol)
    phi = shapley(game) if shapley_value is None else np.asarray(shapley_value, float)
    return GameAnalysis(
        game=game,
        value_n=game.value(grand(len(game.players))),
        standalone=standalone(game),
        shapley=phi,
        nucleolus=nuc,
        least_core=lc,
        core_nonempty=lc.epsilon <= tol.verdict * game_scale(game),
        shapley_check=core_check(game, phi, tol=tol),
        scrb=scrb(game),
        equal_split=equal_split(game),
        notes=tuple(notes),
    )


def solve_game(game: Game, *, backend: Backend | str | None = None,
               options: SolveOptions | None = None,
               tol: Tolerances = DEFAULT_TOLERANCES) -> dict[str, Any]:
    """The Shapley value, nucleolus, least core and core checks of ``game`` as the plain
    dict of :meth:`GameAnalysis.as_dict` (JSON-ready)."""
    return analyse_game(game, backend=backend, options=options, tol=tol).as_dict()


def not_rational(game: Game, allocation: FloatArray,
                 tol: Tolerances = DEFAULT_TOLERANCES) -> list[str]:
    """The players an allocation leaves worse off than alone (7): paying more than
    ``c({i})`` in a cost game, receiving less than ``v({i})`` in a profit game."""
    bad = sign(game.kind) * (allocation - standalone(game)) > tol.verdict * game_scale(game)
    return [p for p, b in zip(game.players, bad.tolist(), strict=True) if b]



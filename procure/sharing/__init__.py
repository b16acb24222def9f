"""Fair burden sharing: cooperative games and their allocation rules.

A game is anything with the small oracle protocol :class:`Game` (players, kind, the
value of a coalition bitmask, and the most violated coalition at an allocation);
:class:`ExplicitGame` lists every value. The rules (``models/sharing.md``) take any game:

    from procure.sharing import load_game, solve_game, nucleolus, shapley
    game = load_game("game.json")
    solve_game(game)   # {"shapley": ..., "nucleolus": ..., "least_core": ..., ...}
"""

from procure.sharing.analysis import GameAnalysis, analyse_game, not_rational, solve_game
from procure.sharing.game import (
    MAX_EXPLICIT_PLAYERS,
    BatchValues,
    CostFromSavings,
    ExplicitGame,
    Fixed,
    Game,
    GameKind,
    SavingsGame,
    cost_game_from_savings,
    label,
    savings_game,
    subset_sums,
)
from procure.sharing.load import game_from_data, load_game
from procure.sharing.lp import DEFAULT_TOLERANCES, SharingLpError, Tolerances
from procure.sharing.rules import (
    CoreCheck,
    LeastCore,
    NoImputationError,
    Nucleolus,
    ShapleyEstimate,
    core_check,
    core_nonempty,
    equal_split,
    least_core,
    nucleolus,
    prenucleolus,
    proportional,
    scrb,
    shapley,
    shapley_sampled,
)

__all__ = [
    "DEFAULT_TOLERANCES",
    "MAX_EXPLICIT_PLAYERS",
    "BatchValues",
    "CoreCheck",
    "CostFromSavings",
    "ExplicitGame",
    "Fixed",
    "Game",
    "GameAnalysis",
    "GameKind",
    "LeastCore",
    "NoImputationError",
    "Nucleolus",
    "SavingsGame",
    "ShapleyEstimate",
    "SharingLpError",
    "Tolerances",
    "analyse_game",
    "core_check",
    "core_nonempty",
    "cost_game_from_savings",
    "equal_split",
    "game_from_data",
    "label",
    "least_core",
    "load_game",
    "not_rational",
    "nucleolus",
    "prenucleolus",
    "proportional",
    "savings_game",
    "scrb",
    "shapley",
    "shapley_sampled",
    "solve_game",
    "subset_sums",
]

"""The alliance's cost game with its coalitions solved on a real ``dask.distributed``
LocalCluster (two worker processes): the same values as in this process, and the
nucleolus and least core by the separation MILP equal to those of the explicit table."""

from __future__ import annotations

import numpy as np
import pytest

from procure.backends.base import SolveOptions
from procure.generate import generate_alliance
from procure.sharing import ExplicitGame
from procure.sharing.alliance import AllianceGame
from procure.sharing.rules import least_core, nucleolus
from procure.sweep.dask import DaskPool

OPTIONS = SolveOptions(time_limit=60.0, threads=1, mip_gap=1e-9)


def test_the_game_on_a_dask_cluster() -> None:
    s = generate_alliance(6, 3, 2, 5, seed=2)
    here = AllianceGame(s, options=OPTIONS)
    n = len(here.players)
    explicit = ExplicitGame(here.players, "cost",
                            here.values_of(np.arange(1 << n, dtype=np.int64)))
    pool = DaskPool("local", workers=2)
    try:
        game = AllianceGame(s, options=OPTIONS, pool=pool, oracle="milp")
        masks = np.arange(1, 1 << n, 7, dtype=np.int64)
        assert game.values_of(masks) == pytest.approx(explicit.values[masks], rel=1e-9,
                                                      abs=1e-9)
        nu = nucleolus(game)
        lc = least_core(game)
    finally:
        pool.close()
    assert nu.allocation == pytest.approx(nucleolus(explicit).allocation, abs=1e-6)
    assert lc.epsilon == pytest.approx(least_core(explicit).epsilon, abs=1e-6)
    assert game.separation_solves > 0 and game.separation_gaps == []
    assert all(c.exact and c.plans_checked for c in game.solved().values())

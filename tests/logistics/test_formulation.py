"""The tightened lift rows keep the optimum (models/logistics.md, section 6, (7)/(7b)).

The built model caps each payload at the most tons the sortie can be asked to carry
(Lm, Lr), bounds sorties by ceil(Lm / P_f), flows and holds by implied bounds, and
rounds the entitlement and MOG right-hand sides down. Each is valid for integer sorties,
so the MILP optimum must not move. Here every one of them is undone on the built
arrays (payloads back to P_f, no (7b), the plain column bounds, E and MOG unrounded) and
both models are solved to optimality on small generated instances with lift; the
objectives must agree. The LP bound of the tightened model must be at least as high.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from procure.backends import SolveOptions
from procure.backends.highs import HighsBackend
from procure.logistics.compile import compile_scenario
from procure.logistics.evaluate import evaluate
from procure.logistics.formulation import Formulation, build
from procure.logistics.generate import generate_network
from procure.logistics.solve import decode
from procure.lp.model import ModelArrays
from procure.schema import Scenario


def plain(mm: Formulation, s: Scenario) -> ModelArrays:
    """``mm.model`` (built from ``s``) with every tightening of section 6 undone."""
    m, c, n = mm.model, mm.cells, mm.compiled
    lg = s.logistics
    assert lg is not None
    payload = np.array([f.payload_tons for f in lg.lift])
    val, upper_row = m.a_value.copy(), m.row_upper.copy()
    rows = np.repeat(np.arange(m.num_rows), np.diff(m.a_start))
    is_sortie = (m.a_index >= mm.sorties.start) & (m.a_index < mm.sorties.start + mm.sorties.size)
    for b in m.row_blocks:
        inside = (rows >= b.start) & (rows < b.start + b.size)
        if b.name.startswith("(7) "):
            sel = inside & is_sortie
            val[sel] = -payload[c.sortie_fleet[m.a_index[sel] - mm.sorties.start]]
        elif b.name.startswith("(7b)"):
            upper_row[b.start:b.start + b.size] = np.inf
        elif b.name.startswith(("(9)", "(10)")):
            # back to E[f,m] and mog x turns: first sortie of each row names the resource
            for r in range(b.start, b.start + b.size):
                j = m.a_index[m.a_start[r]] - mm.sorties.start
                if b.name.startswith("(9)"):
                    fleet = lg.lift[c.sortie_fleet[j]]
                    upper_row[r] = fleet.entitlements[n.member_ids[c.sortie_member[j]]]
                else:
                    a = c.sortie_arc[j]
                    v = n.arc_to[a] if "landings" in b.name else n.arc_from[a]
                    upper_row[r] = n.loc_mog[v]
    upper = m.col_upper.copy()
    cap = np.array([f.available * f.sorties_per_day for f in lg.lift])
    upper[mm.sorties.start:mm.sorties.start + mm.sorties.size] = np.floor(cap[c.sortie_fleet])
    upper[mm.flow.start:mm.flow.start + mm.flow.size] = np.inf
    upper[mm.hold.start:mm.hold.start + mm.hold.size] = np.inf
    upper[mm.draw.start:mm.draw.start + mm.draw.size] = n.stock_qty[n.src_stock[
        mm.cells.draw_src]]
    return replace(m, a_value=val, row_upper=upper_row, col_upper=upper)


@pytest.mark.parametrize("seed", range(40))
def test_tightening_keeps_the_optimum(seed: int) -> None:
    s = generate_network(2, 8, 2, 5, days=10, seed=seed)
    mm = build(compile_scenario(s))
    if not mm.model.is_mip:
        pytest.skip("no sortie cells in this draw")
    opts = SolveOptions(mip_gap=1e-9, time_limit=60)
    tight, loose = HighsBackend().solve(mm.model, opts), HighsBackend().solve(plain(mm, s), opts)
    assert str(tight.status) == str(loose.status) == "optimal"
    assert tight.objective is not None and loose.objective is not None
    assert tight.objective == pytest.approx(loose.objective, rel=1e-7, abs=1e-6)
    assert tight.x is not None
    ev = evaluate(s, decode(mm, tight.x))  # the tightened model's plan is a plan
    assert ev.feasible, [str(v) for v in ev.violations]
    assert ev.objective == pytest.approx(tight.objective, rel=1e-6, abs=1e-6)
    lp = SolveOptions()
    relax = [HighsBackend().solve(replace(x, integrality=np.zeros_like(x.integrality)), lp)
             for x in (mm.model, plain(mm, s))]
    assert relax[0].objective is not None and relax[1].objective is not None
    assert relax[0].objective >= relax[1].objective - 1e-7 * max(1.0, abs(relax[1].objective))

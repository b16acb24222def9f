"""The separation MILP of the alliance's cost game (``models/sharing.md`` section 11.3).

At an allocation x (one amount per member), the most violated coalition of the
nucleolus and least-core LPs maximises the excess x(S) - c(S) (15) over the proper
coalitions S. With c(S) itself a minimum over S's plans (26), that is one MILP over a
membership binary y_m per member and a plan of the whole alliance's procurement model
in which every column of a member outside S is switched off::

    (27)  max  sum_m x_m y_m - c'(y, plan)
          plan: the procurement model of ``models/procurement.md`` with priced shortfall
                (1p), the proportional shares relaxed to (7b'), and
    (27a) sum_t x[k,t] <= R_k y_m(k)           every pair k (m(k) buys only inside S)
    (27b) u[k] <= y_m(k)                       every pair with a participation binary
    (27c) z[l] <= y_lead(p(l)),  z[l] <= y_m   every launch, every producer m of p(l)
    (27d) 1 <= sum_m y_m <= |N| - 1            S proper and non-empty
    (27e) sum_{m in S' & V} (1 - y_m) + sum_{m in V - S'} y_m >= 1   S' known, over V
          c'(y, plan) = NRC + units + sum_r pi_r e_r - sum_r pi_r (q_r - a_r)^+ (1 - y_m(r))

A member outside S buys nothing, so its requirements are short by q_r and their
excess columns e_r are forced to (q_r - a_r)^+ at cost pi_r each: the last term of c'
takes that constant back, so c'(1_S, plan) is the cost (26) of a plan of S. Every plan
of S's own model ``restrict(compile(s), S)`` (with the conservative tiers (7b)) gives,
with exact proportional shares, a point of (27) with y = 1_S of no higher cost:
c'(S) <= c(S), and the MILP's value bounds the largest excess from above
(``models/sharing.md`` 11.3 lists why). The coalition it proposes is then valued
exactly by :mod:`procure.sharing.alliance`, which cuts it off by (27e) and asks again
until the MILP's bound is within tolerance of the best exact excess found.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

import numpy as np

from procure.backends import SolveOptions, Status, get_backend
from procure.lp.model import FloatArray, LinearModel, ModelArrays
from procure.procurement.compile import compile_scenario
from procure.procurement.formulation import FormulationOptions, build
from procure.schema.scenario import Scenario


@dataclass(frozen=True)
class Proposal:
    """One solve of (27): the coalition of the incumbent (None: no proper coalition is
    left outside the cuts), its relaxed excess x(S) - c'(S), and the bound on every
    remaining coalition's excess (``excess`` when proven optimal within the gap)."""

    coalition: int | None
    excess: float | None
    bound: float
    status: str
    seconds: float


class SeparationModel:
    """(27) for one alliance scenario: built once, solved at many allocations."""

    def __init__(self, scenario: Scenario, grand_short: Sequence[float],
                 values: dict[str, float], *, solver: str = "highs",
                 options: SolveOptions | None = None) -> None:
        comp = compile_scenario(scenario, "joint")
        self.players = comp.member_ids
        n = len(self.players)
        caps = comp.capability_ids
        price = np.array([values[caps[int(c)]] for c in comp.req_capability], dtype=np.float64)
        free = np.asarray(grand_short, dtype=np.float64)
        f = build(comp, FormulationOptions(shortfall_prices=tuple(price.tolist()),
                                           shortfall_free=tuple(free.tolist()),
                                           proportional_shares="relaxed"))
        lm = LinearModel.from_arrays(f.model)
        lm.name = "separation"
        y = lm.add_variables("member", n, upper=1.0, integer=True)
        # (27a) a pair buys only when its member is in S
        pairs = comp.cell_pair
        np_ = comp.num_pairs
        lm.add_constraints("(27a) member buys", np_,
                           np.concatenate([pairs, np.arange(np_)]),
                           np.concatenate([f.buy.index, y.start + comp.pair_member]),
                           np.concatenate([np.ones(pairs.size), -comp.pair_bound]), upper=0.0)
        # (27b) a member joins only when it is in S
        ku = np.flatnonzero(f.join_column >= 0)
        if ku.size:
            lm.add_constraints("(27b) member joins", ku.size,
                               np.concatenate([np.arange(ku.size)] * 2),
                               np.concatenate([f.join_column[ku], y.start + comp.pair_member[ku]]),
                               np.concatenate([np.ones(ku.size), -np.ones(ku.size)]), upper=0.0)
        # (27c) a launch needs its lead and every producer of its program in S
        lp_, lm_ = np.nonzero(comp.work[comp.launch_program] > 0)
        lead = comp.prog_lead[comp.launch_program]
        launches = np.concatenate([np.arange(comp.num_launches), lp_])
        needed = np.concatenate([lead, lm_])
        keep = np.unique(launches * n + needed, return_index=True)[1]
        launches, needed = launches[keep], needed[keep]
        nr = launches.size
        lm.add_constraints("(27c) program in S", nr, np.concatenate([np.arange(nr)] * 2),
                           np.concatenate([f.launch.start + launches, y.start + needed]),
                           np.concatenate([np.ones(nr), -np.ones(nr)]), upper=0.0)
        # (27d) a proper, non-empty coalition
        lm.add_constraints("(27d) proper coalition", 1, np.zeros(n, dtype=np.int64), y.index,
                           1.0, lower=1.0, upper=float(n - 1))
        self.base = lm.finalize()
        self.y = y
        # the constant (q_r - a_r)^+ pi_r of a member outside S, per member (27)
        forced = np.maximum(comp.req_quantity - free, 0.0) * price
        self.forced = np.bincount(comp.req_member, weights=forced, minlength=n)
        self.solver = solver
        self.options = options or SolveOptions()

    def model_at(self, x: FloatArray, cuts: Collection[tuple[int, int]] = (),
                 require: int = 0) -> ModelArrays:
        """(27) at allocation ``x``, with the players of ``require`` in S (y_m = 1) and
        every cut ``(S', over)`` of (27e) written on the players of ``over`` only: every
        coalition that agrees with S' on them is cut off."""
        n = len(self.players)
        cost = self.base.col_cost.copy()
        cost[self.y.start : self.y.start + n] += self.forced - np.asarray(x, dtype=np.float64)
        lm = LinearModel.from_arrays(self.base)
        lm.offset = self.base.offset - float(self.forced.sum())
        if cuts:
            pairs = np.array(list(cuts), dtype=np.int64).reshape(-1, 2)
            bits = np.arange(n, dtype=np.int64)[None, :]
            inside = (pairs[:, :1] >> bits) & 1
            over = ((pairs[:, 1:] >> bits) & 1).astype(bool)
            rows = np.repeat(np.arange(len(pairs)), n)[over.ravel()]
            coef = np.where(inside, -1.0, 1.0)[over]
            cols = np.tile(self.y.index, len(pairs))[over.ravel()]
            lm.add_constraints("(27e) known coalitions", len(pairs), rows, cols, coef,
                               lower=1.0 - (inside * over).sum(axis=1))
        out = replace(lm.finalize(), col_cost=cost)
        forced = (require >> np.arange(n, dtype=np.int64)) & 1
        out.col_lower[self.y.start + np.flatnonzero(forced)] = 1.0
        return out

    def propose(self, x: FloatArray, cuts: Collection[tuple[int, int]] = (),
                require: int = 0) -> Proposal:
        """Solve (27) at ``x`` without the coalitions ``cuts`` (see :meth:`model_at`),
        with ``require`` in S."""
        model = self.model_at(x, cuts, require)
        res = get_backend(self.solver).solve(model, self.options)
        bound = (-res.bound if res.bound is not None
                 else -res.objective if res.status == Status.OPTIMAL and res.objective is not None
                 else np.inf)
        if res.status == Status.INFEASIBLE:
            return Proposal(None, None, -np.inf, str(res.status), res.solve_seconds)
        if res.x is None or res.objective is None:
            return Proposal(None, None, float(bound), str(res.status), res.solve_seconds)
        y = np.round(res.x[self.y.start : self.y.start + len(self.players)]).astype(np.int64)
        mask = int((y << np.arange(y.size, dtype=np.int64)).sum())
        excess = -float(res.objective)
        return Proposal(mask, excess, max(float(bound), excess), str(res.status), res.solve_seconds)

    def relaxed_cost(self, coalition: int) -> float | None:
        """c'(S) (27) of one coalition: the MILP with y fixed to ``1_S`` and x = 0 (for
        the tests: c'(S) <= c(S))."""
        n = len(self.players)
        model = self.model_at(np.zeros(n))
        bits = np.array([coalition >> i & 1 for i in range(n)], dtype=np.float64)
        model.col_lower[self.y.start : self.y.start + n] = bits
        model.col_upper[self.y.start : self.y.start + n] = bits
        model.row_lower[-1] = min(model.row_lower[-1], bits.sum())
        model.row_upper[-1] = max(model.row_upper[-1], bits.sum())
        res = get_backend(self.solver).solve(model, self.options)
        return None if res.objective is None else float(res.objective)

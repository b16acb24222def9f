"""The alliance's cost game on the procurement model (``models/sharing.md``, section
"Implicit games on the procurement model").

For a coalition S (a non-empty set of members), c(S) is the optimal cost of S's own
joint procurement, like for like with the grand coalition:

- S plans on its own: its members' requirements, budgets and national constraints,
  the programs S can run (``restrict``, ``models/procurement.md`` section 12);
- S must deliver what the grand coalition's joint plan delivers to each of its
  requirements: it may leave short, at no cost, what that plan leaves short
  (``shortfall_free``), so that no coalition is valued for units the alliance does
  not deliver either;
- what S leaves short beyond that is priced in money, per unit, at the capability's
  ``unmet_unit_value`` (the price of buying it elsewhere), or, when the scenario gives
  none, at the dearest way to buy one unit inside the alliance (the largest unit price
  plus NRC of any program of the capability): never a penalty that swamps the
  allocation ((1p) in ``models/procurement.md``, section 12).

So c(S) = NRC + unit cost of S's plan + sum over S's requirements of (short beyond the
grand plan's shortfall) x value, in the scenario's currency. c(N) is at most the joint
plan's cost (that plan is one of N's), less where buying a unit elsewhere is cheaper
than delivering it. A solve stopped at a limit gives the interval [bound, incumbent]
(:class:`CoalitionCost`); answers derived from it say when the gap leaves them
undecided.

A coalition is solved from data: the full scenario's JSON, the members, the grand
plan's shortfalls and the unit values (:meth:`AllianceGame.case`), in a process of the
sweep engine (local pool or Dask: :meth:`AllianceGame.evaluate`) or in this process
(:func:`solve_coalition`); results are cached by coalition.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import tempfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from procure.backends.base import SolveOptions
from procure.errors import ProcureError
from procure.lp.model import FloatArray, IntArray
from procure.procurement.coalition import restrict_scenario
from procure.procurement.compile import compile_scenario, restrict
from procure.procurement.formulation import FormulationOptions
from procure.procurement.solve import ProcurementModel
from procure.run.model import Budget
from procure.run.pipeline import run
from procure.run.record import procure_version
from procure.schema.scenario import Scenario
from procure.sharing.game import subset_sums
from procure.sharing.separation import SeparationModel
from procure.sweep.cases import Case
from procure.sweep.engine import Pool, execute
from procure.sweep.store import SweepStore

log = logging.getLogger(__name__)


class GameStopped(ProcureError):
    """The game's time budget ran out before the answer was complete (nothing derived
    from it is shown)."""


@dataclass(frozen=True)
class CoalitionCost:
    """c(S) of one coalition: the incumbent ``cost`` and the proven ``bound`` (equal when
    ``status`` is optimal), what of it prices units S could not deliver
    (``unmet_value``), and whether the evaluator accepted the plan."""

    members: tuple[str, ...]
    status: str
    cost: float | None
    bound: float | None
    unmet_value: float | None
    plans_checked: bool

    @property
    def exact(self) -> bool:
        return self.status == "optimal" and self.cost is not None

    @property
    def interval(self) -> tuple[float, float]:
        """[bound, incumbent]; (-inf, inf) where either is unknown."""
        lo = self.bound if self.bound is not None else -math.inf
        hi = self.cost if self.cost is not None else math.inf
        return (self.cost, self.cost) if self.exact else (lo, hi)  # type: ignore[return-value]


def unmet_unit_values(s: Scenario) -> dict[str, float]:
    """Per capability, the money value of one unit a coalition cannot deliver: the
    scenario's ``unmet_unit_value``, else the largest (unit price, default or per
    member, plus whole NRC) over the capability's programs, else 0 (no program: no
    coalition delivers any, so no level asks for any)."""
    dearest: dict[str, float] = {}
    for p in s.programs:
        price = max([p.unit_cost, *p.unit_cost_by_member.values()])
        dearest[p.capability] = max(dearest.get(p.capability, 0.0), price + p.nrc_total)
    return {c.id: (c.unmet_unit_value if c.unmet_unit_value is not None
                   else dearest.get(c.id, 0.0)) for c in s.capabilities}


def coalition_models(s: Scenario, members: Iterable[str]) -> tuple[Scenario, Any]:
    """S's own scenario (what the evaluator checks) and its compiled model, from the
    full alliance's arrays: ``restrict(compile(s), S)`` (``models/procurement.md``
    section 12, equal to compiling S's scenario)."""
    members = tuple(members)
    return (restrict_scenario(s, members),
            restrict(compile_scenario(s, "joint"), members))


def solve_coalition(s: Scenario, members: Iterable[str], grand_short: Sequence[float],
                    values: dict[str, float], *, solver: str = "highs",
                    options: SolveOptions | None = None) -> CoalitionCost:
    """c(S) (module docstring), solved in this process through the run pipeline.
    ``grand_short``: per requirement of ``s`` (in order), what the grand coalition's
    plan leaves short: S may leave as much short at no cost, and pays ``values`` per
    unit beyond ((1p) in ``models/procurement.md``, section 12)."""
    members = tuple(members)
    sub, comp = coalition_models(s, members)
    inside = set(members)
    free = tuple(float(q) for r, q in zip(s.requirements, grand_short, strict=True)
                 if r.member in inside)
    caps = comp.capability_ids
    prices = tuple(float(values[caps[int(c)]]) for c in comp.req_capability)
    model = ProcurementModel(formulation=FormulationOptions(shortfall_prices=prices,
                                                            shortfall_free=free),
                             label="coalition")
    rec = run(model, sub, solver=solver, options=options or SolveOptions(), compiled=comp)
    ev = rec.evaluation
    if ev is None or rec.objective is None:
        return CoalitionCost(members, str(rec.status), None, rec.bound, None, False)
    short = ev.shortfalls
    beyond = np.maximum(short.shortfall.to_numpy(dtype=np.float64) - np.asarray(free), 0.0)
    unit_value = short.capability.astype(str).map(values).to_numpy(dtype=np.float64)
    unmet = float((beyond * unit_value).sum())
    cost = float(ev.total_cost) + unmet
    bound = cost if str(rec.status) == "optimal" else rec.bound
    return CoalitionCost(members, str(rec.status), cost, bound, unmet, bool(ev.feasible))


Mask = int
ENUMERATE_MAX = 12
"""Most members for which the most violated coalition is found by enumerating all
2^n - 2 proper coalitions (4 094 coalition solves at 12)."""
SEPARATION_GAP = 1e-9
"""The relative MIP gap of the separation MILP (27): its bound decides when to stop."""


@dataclass
class AllianceGame:
    """The cost game of an alliance scenario (module docstring). ``players``: member
    ids in the scenario's order; coalitions are bitmasks over them."""

    scenario: Scenario
    solver: str = "highs"
    options: SolveOptions = field(default_factory=lambda: SolveOptions(time_limit=120.0,
                                                                      threads=1))
    kind: Literal["cost"] = "cost"
    pool: Pool | None = None  # where coalitions are solved in batches (None: here)
    store: SweepStore | None = None  # where their results are kept (None: a temp folder)
    # how the most violated coalition is found: "auto" enumerates up to ENUMERATE_MAX
    # members and solves the separation MILP beyond
    oracle: Literal["auto", "enumerate", "milp"] = "auto"
    # the separation's stopping tolerance, relative to max(1, |c(N)|)
    tolerance: float = 1e-7
    # a wall-clock budget for the whole game: no coalition or MILP is started once it
    # has run out (GameStopped); None: no limit
    budget: Budget | None = None

    def __post_init__(self) -> None:
        self.players: tuple[str, ...] = tuple(m.id for m in self.scenario.members)
        self.values = unmet_unit_values(self.scenario)
        grand = run(ProcurementModel(), self.scenario, solver=self.solver,
                    options=self.options)
        if grand.evaluation is None:
            raise ValueError(f"the alliance's joint plan has no plan ({grand.status}): "
                             "the game needs what it delivers")
        self.grand_short: tuple[float, ...] = tuple(
            float(x) for x in grand.evaluation.shortfalls.shortfall)
        self.grand_status = str(grand.status)
        # what each member pays in each year under the joint plan (units and NRC shares)
        self.grand_payments = grand.evaluation.payments
        self._cache: dict[Mask, CoalitionCost] = {}
        self._separation: SeparationModel | None = None
        self.separation_solves = 0  # MILPs (27) solved
        # per separation stopped at a limit: how far its bound stayed above the best
        # exact excess (the nucleolus and least core are then not proven)
        self.separation_gaps: list[float] = []

    def members_of(self, mask: Mask) -> tuple[str, ...]:
        return tuple(p for i, p in enumerate(self.players) if mask >> i & 1)

    def cost_of(self, mask: Mask) -> CoalitionCost:
        """c(S), solved here once and cached."""
        if mask not in self._cache:
            self._cache[mask] = solve_coalition(self.scenario, self.members_of(mask),
                                                self.grand_short, self.values,
                                                solver=self.solver, options=self.options)
        return self._cache[mask]

    def solved(self) -> dict[Mask, CoalitionCost]:
        """Every coalition solved so far."""
        return dict(self._cache)

    def value(self, coalition: Mask) -> float:
        """c(S) (the incumbent: the cost of a plan S can carry out)."""
        if coalition == 0:
            return 0.0
        c = self.cost_of(coalition).cost
        if c is None:
            raise ValueError(f"no plan for coalition {self.members_of(coalition)}")
        return c

    def values_of(self, coalitions: IntArray) -> FloatArray:
        """c(S) of many coalitions at once (solved on :attr:`pool` in parallel); 0 for
        the empty coalition. The incumbents: see :meth:`cost_of` for the intervals."""
        masks = np.asarray(coalitions, dtype=np.int64)
        got = self.evaluate((int(m) for m in masks.ravel()), pool=self.pool,
                            store=self.store)
        out = np.zeros(masks.size, dtype=np.float64)
        for i, m in enumerate(masks.ravel()):
            if m:
                c = got[int(m)].cost
                if c is None:
                    raise ValueError(f"no plan for coalition {self.members_of(int(m))} "
                                     f"({got[int(m)].status})")
                out[i] = c
        return out.reshape(masks.shape)

    def most_violated(self, x: FloatArray, fixed: Collection[int] = ()
                      ) -> tuple[int, float] | None:
        """The proper coalition with the largest excess x(S) - c(S) at ``x`` outside
        ``fixed`` (15): by evaluating every coalition up to :data:`ENUMERATE_MAX` members
        (``oracle="enumerate"``), else by the separation MILP (``oracle="milp"``,
        :meth:`separate`)."""
        n = len(self.players)
        if self.oracle == "enumerate" or (self.oracle == "auto" and n <= ENUMERATE_MAX):
            if n > ENUMERATE_MAX:
                raise ValueError(f"{n} members: coalitions are enumerated up to "
                                 f"{ENUMERATE_MAX} members (use the separation MILP)")
            return self._enumerate(x, fixed)
        return self.separate(x, fixed)

    def most_blocking(self, x: FloatArray, player: int) -> tuple[int, float] | None:
        """Among the proper coalitions with ``player`` in them, the one that would save
        most by leaving at ``x`` (largest x(S) - c(S)), by the same oracle as
        :meth:`most_violated`."""
        n = len(self.players)
        if self.oracle == "enumerate" or (self.oracle == "auto" and n <= ENUMERATE_MAX):
            return self._enumerate(x, (), require=1 << player)
        return self.separate(x, (), require=1 << player)

    def _enumerate(self, x: FloatArray, fixed: Collection[int],
                   require: Mask = 0) -> tuple[int, float] | None:
        n = len(self.players)
        masks = np.arange(1, (1 << n) - 1, dtype=np.int64)
        masks = masks[(masks & require) == require]
        keep = np.array([int(m) not in fixed for m in masks], dtype=bool)  # span-aware
        masks = masks[keep]
        if not masks.size:
            return None
        excess = subset_sums(x)[masks] - self.values_of(masks)
        i = int(np.argmax(excess))
        return int(masks[i]), float(excess[i])

    def separate(self, x: FloatArray, fixed: Collection[int] = (), require: Mask = 0
                 ) -> tuple[int, float] | None:
        """The most violated coalition by the separation MILP (27) of
        ``models/sharing.md`` 11.3, verified exactly: the MILP (a relaxation: its excess
        is never below the true one) proposes S; c(S) is solved exactly; S is cut off
        (27e) and the MILP asked again until its bound is within :attr:`tolerance` of the
        best exact excess found. Coalitions solved before count from the start, and the
        coalitions ``fixed`` skips are cut off without being solved. When a MILP stops
        at its limit, the best exact coalition is returned and the unproven difference
        is added to :attr:`separation_gaps`. ``require``: only coalitions containing
        these players."""
        n = len(self.players)
        x = np.asarray(x, dtype=np.float64)
        if self._separation is None:
            self._separation = SeparationModel(self.scenario, self.grand_short, self.values,
                                               solver=self.solver, options=replace(
                                                   self.options, mip_gap=SEPARATION_GAP))
        weights = 1 << np.arange(n, dtype=np.int64)
        best: tuple[int, float] | None = None
        for mask, cost in self._cache.items():  # what is known already
            if (cost.cost is None or mask == (1 << n) - 1 or mask & require != require
                    or mask in fixed):
                continue
            ex = float(x[(mask & weights) > 0].sum()) - cost.cost
            if best is None or ex > best[1]:
                best = (mask, ex)
        # (27e): a coalition proposed is cut off on every player (V = N); a coalition of
        # the span of the fixed rows (14) only on the players whose singleton is not in
        # the span, since adding or removing the others never leaves the span: the cut
        # removes all of those coalitions at once
        full = (1 << n) - 1
        anchored = sum(1 << i for i in range(n) if (1 << i) in fixed)
        free = full & ~anchored
        cuts = {(int(m), free) for m in fixed}
        tol = self.tolerance * max(1.0, abs(self.value((1 << n) - 1)))
        while True:
            self._check_budget()
            prop = self._separation.propose(x, cuts, require)
            self.separation_solves += 1
            if best is not None and prop.bound <= best[1] + tol:
                break  # no coalition left beats the best exact one
            if prop.coalition is None:
                if prop.excess is None and prop.bound > -math.inf:
                    self.separation_gaps.append(prop.bound - (best[1] if best else -math.inf))
                break
            mask = prop.coalition
            log.debug("separation: %s proposed (relaxed excess %.6g, bound %.6g, %s, %.2f s)",
                      "+".join(self.members_of(mask)), prop.excess, prop.bound, prop.status,
                      prop.seconds)
            if mask in fixed:  # in the span of the fixed rows: its excess is constant
                cuts.add((mask, free))
                continue
            cuts.add((mask, full))
            if mask not in self._cache and self.pool is not None:
                # with its complement, which the excess LP adds next (lp.py): in parallel
                self.evaluate([mask, full ^ mask], pool=self.pool,
                              store=self.store)
            ex = float(x[(mask & weights) > 0].sum()) - self._exact(mask)
            if best is None or ex > best[1]:
                best = (mask, ex)
            if prop.status != "optimal":
                self.separation_gaps.append(max(0.0, prop.bound - best[1]))
                break
        return best

    def _check_budget(self) -> None:
        if self.budget is not None and self.budget.expired:
            raise GameStopped(f"the time limit ran out after {len(self._cache)} coalition "
                              f"solves and {self.separation_solves} separation MILPs")

    def _exact(self, mask: Mask) -> float:
        """c(S) of one coalition, solved on :attr:`pool` (the incumbent)."""
        c = self.evaluate([mask], pool=self.pool, store=self.store)[mask]
        if c.cost is None:
            raise ValueError(f"no plan for coalition {self.members_of(mask)} ({c.status})")
        return c.cost

    def key(self, mask: Mask) -> str:
        """The content hash of one coalition's solve (its stored result's name)."""
        text = json.dumps({"scenario": self.scenario.model_dump(mode="json"),
                           "members": self.members_of(mask), "grand_short": self.grand_short,
                           "values": self.values, "solver": self.solver,
                           "options": [self.options.time_limit, self.options.mip_gap,
                                       self.options.threads, self.options.seed,
                                       {k: dict(v) for k, v in
                                        self.options.solver_options.items()}],
                           "procure": procure_version()}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def case(self, mask: Mask, index: int) -> Case:
        """One coalition as a case of the sweep engine (data only)."""
        members = self.members_of(mask)
        return Case(index=index, name="+".join(members), labels={"coalition": "+".join(
            members)}, scenario=self.scenario.model_dump(mode="json"), error=None,
            solver=self.solver, options=self.options, key=self.key(mask), task="coalition",
            extra={"members": list(members), "grand_short": list(self.grand_short),
                   "values": dict(self.values)})

    def evaluate(self, masks: Iterable[Mask], *, pool: Pool | None = None,
                 store: SweepStore | None = None) -> dict[Mask, CoalitionCost]:
        """c(S) of every coalition in ``masks``: from the cache, else solved on ``pool``
        (the sweep engine: a process per coalition, retried once, stored in ``store``
        as it finishes, so a rerun reuses it) or, without a pool, here in turn."""
        wanted = [m for m in dict.fromkeys(masks) if m]
        todo = [m for m in wanted if m not in self._cache]
        if todo:
            self._check_budget()
        if todo and pool is None:
            for m in todo:
                self.cost_of(m)
        elif todo and pool is not None:
            tmp = None
            if store is None:
                tmp = tempfile.TemporaryDirectory(prefix="procure-game-")
                store = SweepStore.open(Path(tmp.name) / "game", name="game", resume=True,
                                        force=False)
            try:
                cases = [self.case(m, i) for i, m in enumerate(todo)]
                done = execute(cases, pool, store)
            finally:
                if tmp is not None:
                    tmp.cleanup()
            for m, c in zip(todo, cases, strict=True):
                f = done[c.key]
                if f.outcome != "solved":
                    raise RuntimeError(f"coalition {'+'.join(self.members_of(m))} failed: "
                                       f"{f.reason}")
                self._cache[m] = from_row(f.row)
        return {m: self._cache[m] for m in wanted}


def solve_coalition_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """In a sweep worker: one coalition's c(S) as a row (data only)."""
    s = Scenario.model_validate(payload["scenario"])
    c = solve_coalition(s, payload["members"], payload["grand_short"], payload["values"],
                        solver=payload["solver"], options=SolveOptions(**payload["options"]))
    return {"members": list(c.members), "status": c.status, "cost": c.cost,
            "bound": c.bound, "unmet_value": c.unmet_value, "plans_checked": c.plans_checked}


def from_row(row: dict[str, Any]) -> CoalitionCost:
    return CoalitionCost(tuple(row["members"]), row["status"], row["cost"], row["bound"],
                         row["unmet_value"], bool(row["plans_checked"]))

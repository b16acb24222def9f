"""What each national constraint costs the alliance, and "why not program P?"
(``models/procurement.md`` section 13).

**Price of a national constraint.** For every rule a member places on itself — each
sovereign capability, the cap on dependence on one foreign lead nation (member-wide
and each per-capability cap), the workshare rule, and each export-control exclusion
naming the member — the alliance's joint plan is solved again without that one rule,
every other rule kept. Removing a rule only enlarges the set of plans, so the optimum
without it never costs more *at the same delivered level*. Like for like (13.1): when
the plan without the rule leaves a different shortfall, the price is the plan with the
rule against the cheapest plan without it that delivers at least what the plan with
it delivers, requirement by requirement (the ``shortfall_allowance`` level solve of
``study.at_level``); what the alliance would deliver beyond that without the rule is
reported apart, in units of each capability, with what it costs. The base plan (every
rule) is solved once and shared by every comparison.

**Why not program P?** The plan is solved again with P forced in — launched, or with
member M buying from it ((13a), (13b): ``FormulationOptions.force_launch`` /
``force_join``) — and compared like for like with the optimal plan: forcing never
makes the plan cheaper at the forced plan's delivered level. When P is already in the
optimal plan, the answer is 0 without a solve; when forcing cannot work, the reason is
named from the data where it can be (M not eligible, excluded, without a requirement
for P's capability, sovereignty, too few possible participants, a capacity below the
minimum run), else the forced model's infeasibility is reported as such.

**Honest status.** A price is a finding only when every solve it compares was proven
optimal and its plan accepted by the independent evaluator; otherwise the row says
which solve stopped how (bound, gap) and the price is an interval from the solvers'
bounds where one is valid, else empty (13.3).

Every solve runs on the sweep engine (:func:`procure.sweep.engine.execute`, task
``explain`` of :mod:`procure.sweep.worker`): each in a process of its own on a
:class:`~procure.sweep.engine.LocalPool` or a Dask pool, in parallel, retried once if
its process dies. ``workers=0`` solves in this process instead (small scenarios, tests).
"""

from __future__ import annotations

import copy
import math
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from procure.backends.base import SolveOptions
from procure.io import scenario_from_data
from procure.procurement.compile import Compiled, compile_scenario
from procure.procurement.evaluate import evaluate
from procure.procurement.plan import Launch, Plan, Purchase
from procure.procurement.solve import ProcurementRecord
from procure.run.model import Budget
from procure.run.tables import CURRENCY, Column, TableSpec
from procure.schema.scenario import Scenario
from procure.sweep.cases import Case, case_key
from procure.sweep.engine import LocalPool, Pool, execute
from procure.sweep.engine import payload as case_payload
from procure.sweep.store import SweepStore

RuleKind = Literal["sovereign", "dependence cap", "workshare", "export exclusion"]
RULE_KINDS: tuple[RuleKind, ...] = ("sovereign", "dependence cap", "workshare",
                                    "export exclusion")
Verdict = Literal["already in the plan", "can be forced", "cannot be forced", "undecided"]

TASK = "explain"
"""The sweep worker's task name for one solve of this module."""
DEFAULT_OPTIONS = SolveOptions(time_limit=120.0, threads=1)
"""Each solve's options when none are given (the time limit is per solve)."""
FIRST_PHASE_SHARE = 0.75
"""With a time budget, the share of it the first batch of solves (the plans with and
without each rule, or forced) may use; the like-for-like level solves get the rest."""
MONEY_RTOL = 1e-6
"""Relative tolerance of money comparisons (a price within it of 0 is 0)."""
UNIT_RTOL = 1e-6
"""Relative tolerance of shortfall comparisons, per requirement."""
ALL = "*"
"""``subject`` of a member-wide rule: a dependence cap on every capability without a
cap of its own, a workshare rule."""


def _money_tol(*values: float | None) -> float:
    return MONEY_RTOL * max([1.0, *(abs(v) for v in values if v is not None)])


# ---------------------------------------------------------------------------------------
# the national rules of a scenario, and each one relaxed


@dataclass(frozen=True)
class NationalRule:
    """One national constraint of one member, as the scenario states it.

    ``subject``: the capability (sovereign, a per-capability dependence cap), the program
    (an export exclusion) or :data:`ALL` (a member-wide dependence cap, a workshare
    rule); ``text``: the rule in words."""

    member: str
    rule: RuleKind
    subject: str
    text: str

    @property
    def label(self) -> str:
        return f"{self.member} {self.text}"


def national_rules(s: Scenario, members: Iterable[str] | None = None) -> list[NationalRule]:
    """Every national rule of ``members`` (default: all), in the scenario's member order;
    per member: sovereign capabilities (as listed), the member-wide dependence cap, the
    per-capability caps, the workshare rule, the export exclusions (program order)."""
    wanted = None if members is None else set(members)
    out: list[NationalRule] = []
    for m in s.members:
        if wanted is not None and m.id not in wanted:
            continue
        nc = m.constraints
        out += [NationalRule(m.id, "sovereign", c, f"sovereign {c}") for c in nc.sovereign]
        if nc.max_single_foreign_share is not None:
            out.append(NationalRule(
                m.id, "dependence cap", ALL, f"dependence cap: at most "
                f"{nc.max_single_foreign_share:.0%} of any capability from one foreign lead"))
        out += [NationalRule(m.id, "dependence cap", c, f"dependence cap: at most {g:.0%} of "
                             f"{c} from one foreign lead")
                for c, g in nc.max_single_foreign_share_by_capability.items()]
        if nc.workshare is not None:
            ws = nc.workshare
            out.append(NationalRule(m.id, "workshare", ALL, f"workshare ({ws.mode}): work "
                                    f">= {ws.min_ratio:g} x payments"))
        out += [NationalRule(m.id, "export exclusion", p.id, f"export exclusion from {p.id}")
                for p in s.programs if m.id in p.excluded]
    return out


def relax(data: dict[str, Any], rule: NationalRule) -> dict[str, Any]:
    """A copy of the scenario data ``data`` without ``rule``, every other rule kept:

    - sovereign c: c leaves the member's ``sovereign`` list;
    - the member-wide dependence cap: ``max_single_foreign_share`` is dropped (the
      per-capability caps stay);
    - a per-capability cap: its entry is dropped, or set to 1 (no cap: at most all of
      it from one lead) when a member-wide cap would otherwise apply to the capability;
    - workshare: ``workshare`` is dropped;
    - an export exclusion from program p: the member leaves p's ``excluded`` (it may
      join p if p's ``eligible`` list admits it).
    """
    out = copy.deepcopy(data)
    if rule.rule == "export exclusion":
        prog = next(p for p in out["programs"] if p["id"] == rule.subject)
        prog["excluded"] = [m for m in prog.get("excluded") or [] if m != rule.member]
        return out
    mem = next(m for m in out["members"] if m["id"] == rule.member)
    nc = mem.setdefault("constraints", {})
    if rule.rule == "sovereign":
        nc["sovereign"] = [c for c in nc.get("sovereign") or [] if c != rule.subject]
    elif rule.rule == "workshare":
        nc["workshare"] = None
    elif rule.subject == ALL:
        nc["max_single_foreign_share"] = None
    else:
        caps = dict(nc.get("max_single_foreign_share_by_capability") or {})
        if nc.get("max_single_foreign_share") is not None:
            caps[rule.subject] = 1.0
        else:
            caps.pop(rule.subject, None)
        nc["max_single_foreign_share_by_capability"] = caps
    return out


_INDEX_SET_INPUTS = frozenset({"sovereign", "eligible"})
"""Parameters the formulation reads only through the index sets (A(p), section 2)."""


def same_model(a: Compiled, b: Compiled) -> bool:
    """Whether two compiled joint scenarios give the same MILP: every array the
    formulation reads is equal (sovereignty and eligibility count only through the
    launches, pairs and cells they produce, which are compared)."""
    names = [f.name for f in fields(a) if f.name not in _INDEX_SET_INPUTS]
    for name in names:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            if x.shape != y.shape or not np.array_equal(
                    x, y, equal_nan=bool(np.issubdtype(x.dtype, np.floating))):
                return False
        elif x != y:
            return False
    return True


# ---------------------------------------------------------------------------------------
# one solve, as data


@dataclass(frozen=True)
class PlanSolve:
    """One solve of the procurement model as the explanations read it: the solver's
    status, objective and bound, and the independent evaluator's verdict and exact
    figures (``cost``: NRC + units, no penalty; ``shortfall`` per requirement, in the
    scenario's order; ``member_cost``: each member's payments over the horizon).

    ``status`` is the run's (optimal, feasible, limit, infeasible, unbounded, error),
    ``failed`` when its process failed twice, or ``not run`` (the time budget ran out;
    or, for a forced model, infeasible by the data without a solve: ``infeasible``)."""

    status: str
    stopped_by: str = "none"
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    cost: float | None = None
    accepted: bool | None = None
    violations: tuple[str, ...] = ()
    shortfall: tuple[float, ...] = ()
    member_cost: Mapping[str, float] = field(default_factory=dict)
    plan: Plan | None = field(default=None, repr=False)
    message: str = ""
    seconds: float = 0.0

    @classmethod
    def of(cls, record: ProcurementRecord) -> PlanSolve:
        """The solve of ``record`` (a joint plan solved with the default formulation)."""
        return _from_row(_row(record))

    @property
    def usable(self) -> bool:
        """A plan the evaluator accepted, with its exact cost."""
        return self.plan is not None and self.accepted is True and self.cost is not None

    @property
    def exact(self) -> bool:
        """Proven optimal and accepted by the evaluator: its figures are findings."""
        return self.status == "optimal" and self.usable

    @property
    def short_free(self) -> bool:
        return self.usable and all(x <= UNIT_RTOL for x in self.shortfall)

    @property
    def requirements_short(self) -> int | None:
        return sum(1 for x in self.shortfall if x > UNIT_RTOL) if self.usable else None

    @property
    def launches(self) -> tuple[str, ...]:
        """Programs launched, in the plan's order (empty without a plan)."""
        return () if self.plan is None else tuple(ln.program for ln in self.plan.launches)

    def buys_from(self, program: str, member: str) -> bool:
        """Whether ``member`` buys units of ``program`` in the plan."""
        return self.plan is not None and any(
            pu.launch.program == program and pu.member == member and pu.quantity > 1e-6
            for pu in self.plan.purchases)

    def describe(self) -> str:
        """The status in words: how the solve ended, with its bound and gap when it
        stopped at a limit, and the evaluator's verdict when it rejected the plan."""
        if self.status in ("not run", "failed"):
            return f"{self.status}: {self.message}" if self.message else self.status
        out = self.status
        if self.status in ("feasible", "limit"):
            out += f", stopped by {self.stopped_by}"
            if self.bound is not None:
                out += f", bound {self.bound:,.1f}"
            if self.gap is not None:
                out += f", gap {100 * self.gap:.3g} %"
        if self.status == "error" and self.message:
            out += f": {self.message}"
        if self.accepted is False:
            out += ", plan rejected by the evaluator" + (
                f" ({self.violations[0]})" if self.violations else "")
        return out


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def solve_explain_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """In a sweep worker (task ``explain``): validate the payload's scenario, solve the
    joint model with its ``formulation`` options (``allowance``: the like-for-like
    level; ``force_launch``; ``force_join``) through the run pipeline (the evaluator
    included), and return the plan and its figures as a row of plain data."""
    from procure.procurement.formulation import FormulationOptions
    from procure.procurement.solve import solve

    s = scenario_from_data(payload["scenario"], source=str(payload.get("name", "")))
    f = payload.get("formulation") or {}
    allowance = f.get("allowance")
    fo = FormulationOptions(
        shortfall_allowance=None if allowance is None else tuple(float(x) for x in allowance),
        force_launch=tuple(str(p) for p in f.get("force_launch") or ()),
        force_join=tuple((str(p), str(m)) for p, m in f.get("force_join") or ()))
    opts = SolveOptions(**payload["options"])
    return _row(solve(s, solver=str(payload["solver"]), options=opts, formulation=fo,
                      label=str(payload.get("name", "")), budget=Budget(opts.time_limit)))


def _row(rec: ProcurementRecord) -> dict[str, Any]:
    """A solve's record as plain data (what a worker sends back)."""
    ev, plan = rec.evaluation, rec.plan
    return {
        "status": str(rec.status), "stopped_by": str(rec.stopped_by),
        "objective": _num(rec.objective), "bound": _num(rec.bound), "gap": _num(rec.gap),
        "cost": None if ev is None else float(ev.total_cost),
        "accepted": None if ev is None else bool(ev.feasible),
        "violations": [] if ev is None else [str(v) for v in ev.violations[:20]],
        "shortfall": [] if ev is None else [float(x) for x in ev.shortfalls.shortfall],
        "member_cost": {} if ev is None else {str(k): float(v)
                                              for k, v in ev.member_cost.items()},
        "launches": [] if plan is None else [[ln.program, ln.owner] for ln in plan.launches],
        "purchases": [] if plan is None else [
            [pu.launch.program, pu.launch.owner, pu.member, int(pu.year), float(pu.quantity)]
            for pu in plan.purchases],
        "message": rec.message, "seconds": float(sum(rec.timings.values())),
    }


def _from_row(row: Mapping[str, Any]) -> PlanSolve:
    plan = None
    if row.get("accepted") is not None:
        launches = {(str(p), o): Launch(str(p), None if o is None else str(o))
                    for p, o in row["launches"]}
        purchases = tuple(
            Purchase(launches.get((str(p), o), Launch(str(p), None if o is None else str(o))),
                     str(m), int(y), float(q)) for p, o, m, y, q in row["purchases"])
        plan = Plan("joint", tuple(launches.values()), purchases)
    return PlanSolve(
        status=str(row["status"]), stopped_by=str(row["stopped_by"]),
        objective=row["objective"], bound=row["bound"], gap=row["gap"], cost=row["cost"],
        accepted=row["accepted"], violations=tuple(row["violations"]),
        shortfall=tuple(float(x) for x in row["shortfall"]),
        member_cost={str(k): float(v) for k, v in row["member_cost"].items()}, plan=plan,
        message=str(row.get("message", "")), seconds=float(row.get("seconds", 0.0)))


# ---------------------------------------------------------------------------------------
# running solves on the sweep engine


@dataclass(frozen=True)
class _Request:
    """One solve to run: a scenario's JSON data and the formulation options (data)."""

    name: str
    scenario: dict[str, Any]
    formulation: dict[str, Any]


class _Runner:
    """Runs batches of :class:`_Request` on a pool (the sweep engine, results in a
    temporary store) or, with ``workers=0``, in this process; each solve's time limit
    is the options' and, with a budget, its share of what is left."""

    def __init__(self, solver: str, options: SolveOptions, workers: int | None,
                 pool: Pool | None, budget: Budget | None) -> None:
        self.solver = solver
        self.options = options
        self.budget = budget
        self.own_pool: Pool | None = None
        if pool is None and workers != 0:
            self.own_pool = pool = LocalPool(workers, threads=options.threads)
        self.pool = pool
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.store: SweepStore | None = None
        if pool is not None:
            self._tmp = tempfile.TemporaryDirectory(prefix="procure-explain-")
            self.store = SweepStore.open(Path(self._tmp.name) / "explain", name="explain",
                                         resume=True, force=False)

    def close(self) -> None:
        if self.own_pool is not None:
            self.own_pool.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    @property
    def capacity(self) -> int:
        return 1 if self.pool is None else max(1, self.pool.capacity)

    def _limit(self, n: int, share: float) -> float | None:
        """Each of ``n`` solves' time limit: the options', capped by ``share`` of the
        budget left split over the waves of solves the pool runs one after another;
        0 when the budget has run out."""
        limit = self.options.time_limit
        left = None if self.budget is None else self.budget.remaining()
        if left is not None:
            waves = math.ceil(max(n, 1) / self.capacity)
            per = share * left / waves
            limit = per if limit is None else min(limit, per)
        return limit

    def run(self, requests: Sequence[_Request], share: float = 1.0) -> list[PlanSolve]:
        """Solve every request (identical ones once), in order of the requests."""
        if not requests:
            return []
        limit = self._limit(len(requests), share)
        if limit is not None and limit <= 0.0:
            return [PlanSolve("not run", message="the time budget ran out")
                    for _ in requests]
        o = self.options
        opts = SolveOptions(time_limit=limit, mip_gap=o.mip_gap, threads=o.threads,
                            seed=o.seed, solver_options=o.solver_options)
        cases = [Case(index=i, name=r.name, labels={"explain": r.name}, scenario=r.scenario,
                      error=None, solver=self.solver, options=opts, task=TASK,
                      key=case_key({"task": TASK, "formulation": r.formulation,
                                    "scenario": r.scenario}, self.solver, opts),
                      extra={"formulation": r.formulation})
                 for i, r in enumerate(requests)]
        if self.pool is None or self.store is None:
            return [self._here(c) for c in cases]
        done = execute(cases, self.pool, self.store)
        return [_from_row(done[c.key].row) if done[c.key].outcome == "solved"
                else PlanSolve("failed", message=done[c.key].reason) for c in cases]

    def _here(self, case: Case) -> PlanSolve:
        """One case solved in this process (``workers=0``)."""
        if self.budget is not None and self.budget.expired:
            return PlanSolve("not run", message="the time budget ran out")
        try:
            return _from_row(solve_explain_payload(case_payload(case, 1)))
        except Exception as exc:  # as the engine records a case that raises
            return PlanSolve("failed", message=f"{type(exc).__name__}: {exc}")


@contextmanager
def _runner(solver: str, options: SolveOptions | None, workers: int | None,
            pool: Pool | None, budget: Budget | None) -> Iterator[_Runner]:
    r = _Runner(solver, options or DEFAULT_OPTIONS, workers, pool, budget)
    try:
        yield r
    finally:
        r.close()


# ---------------------------------------------------------------------------------------
# a like-for-like comparison of a tighter and a looser model


def _shortfall_differs(a: PlanSolve, b: PlanSolve) -> bool:
    if len(a.shortfall) != len(b.shortfall):
        return True
    return any(abs(x - y) > UNIT_RTOL * max(1.0, abs(x), abs(y))
               for x, y in zip(a.shortfall, b.shortfall, strict=True))


def _needs_level(tight: PlanSolve, loose: PlanSolve) -> bool:
    """The looser model's optimum leaves a different shortfall than the tighter's plan:
    the money difference is not like for like, a level solve is needed (13.1). Only
    when both are proven: the level of an unproven tight plan is not the one to compare
    at, and an unproven looser plan's shortfall may be that of an unfinished search (the
    price is then not a finding either way, 13.3)."""
    return tight.exact and loose.exact and _shortfall_differs(tight, loose)


def _level_request(name: str, scenario: dict[str, Any], tight: PlanSolve) -> _Request:
    return _Request(name, scenario, {"allowance": list(tight.shortfall)})


@dataclass(frozen=True)
class Comparison:
    """A tighter model (with the rule, or with P forced) against a looser one (without
    the rule, or the optimal plan), like for like (``models/procurement.md`` 13.1).

    ``tight``: the tighter model's plan; ``loose``: the looser model's optimum (which
    may deliver more); ``level``: the looser model solved to deliver at least what
    ``tight`` delivers, requirement by requirement, at least cost (``None`` when not
    needed: the shortfalls are equal, so ``loose`` is that plan already).
    ``identical``: the two models are the same MILP, so the price is 0 whatever the
    status. ``witness``: ``tight``'s plan, checked by the evaluator against the looser
    scenario at its own level, is cheaper than the looser model's level plan (the
    proportional-share tiers of the looser model cut it off, section 7.2): it stands in
    for the like-for-like plan and the price is 0. ``lexicographic``: the scenario keeps
    the default shortfall penalty, so an optimum delivers all it can first (section 5).
    """

    tight: PlanSolve
    loose: PlanSolve
    level: PlanSolve | None = None
    identical: bool = False
    witness: bool = False
    lexicographic: bool = False

    @property
    def like_for_like(self) -> PlanSolve:
        """The looser model's plan the price compares with."""
        if self.identical or self.witness:
            return self.tight
        return self.level if self.level is not None else self.loose

    @property
    def finding(self) -> bool:
        """Every solve the price compares was proven optimal and accepted (or the models
        are identical)."""
        return self.identical or (self.tight.exact and self.like_for_like.exact)

    @property
    def price(self) -> float | None:
        """cost(tight) - cost(like for like), findings only; a value within
        :data:`MONEY_RTOL` of 0 is 0."""
        if self.identical:
            return 0.0
        a, b = self.tight.cost, self.like_for_like.cost
        if not self.finding or a is None or b is None:
            return None
        p = a - b
        return 0.0 if abs(p) <= _money_tol(a, b) else p

    @property
    def interval(self) -> tuple[float, float] | None:
        """[low, high] holding the price: the price twice for a finding; from the
        solvers' bounds where they bound it (13.3); ``None`` otherwise. Never below 0:
        the looser model's like-for-like optimum never costs more (13.1)."""
        p = self.price
        if p is not None:
            return (p, p)
        t, lfl = self.tight, self.like_for_like
        if not (t.usable and lfl.usable) or t.cost is None or lfl.cost is None:
            return None
        if self.level is None and t.short_free and lfl.short_free:
            # no level solve: the objectives are money when nothing is short in either
            lo = None if t.bound is None else (t.cost if t.exact else t.bound) - lfl.cost
            hi = None if lfl.bound is None else t.cost - (lfl.cost if lfl.exact else lfl.bound)
        elif self.level is None:
            # (13.3) a proven x_T that delivers everything is a plan of U, so U's optimum
            # delivers everything too (lexicographic) and costs at most C_T, at least lb_U
            if not (self.lexicographic and t.exact and t.short_free):
                return None
            lo, hi = 0.0, None if lfl.bound is None else t.cost - lfl.bound
        else:
            # the level is the tight plan's: only a proven tight plan fixes it
            if not t.exact:
                return None
            lo = t.cost - lfl.cost
            hi = None if lfl.bound is None else t.cost - (lfl.cost if lfl.exact else lfl.bound)
        if lo is None or hi is None:
            return None
        return (max(0.0, lo), max(0.0, lo, hi))

    @property
    def delivers_more_loose(self) -> bool | None:
        """The looser model's optimum leaves fewer units short (some requirement better
        served, none worse) than the tighter plan; ``None`` without both plans."""
        t, lo = self.tight, self.loose
        if not (t.usable and lo.usable) or not _shortfall_differs(t, lo):
            return None if not (t.usable and lo.usable) else False
        return sum(lo.shortfall) < sum(t.shortfall) - UNIT_RTOL

    def member_change(self, member: str) -> float | None:
        """What ``member`` pays in the tight plan minus in the like-for-like plan
        (findings only)."""
        if not self.finding:
            return None
        return (self.tight.member_cost.get(member, 0.0)
                - self.like_for_like.member_cost.get(member, 0.0))

    def launch_changes(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(programs launched only in the tight plan, only in the like-for-like plan)."""
        t, lfl = self.tight, self.like_for_like
        if not (t.usable and lfl.usable):
            return (), ()
        a, b = t.launches, lfl.launches
        return tuple(p for p in a if p not in b), tuple(p for p in b if p not in a)

    def unfinished(self, tight_name: str, loose_name: str) -> str:
        """Why the price is not a finding, naming each solve that did not finish."""
        parts = []
        for name, ps in ((tight_name, self.tight), (loose_name, self.like_for_like)):
            if not ps.exact:
                parts.append(f"{name}: {ps.describe()}")
        return "; ".join(parts)


def _per_capability(s: Scenario, shortfall: Sequence[float]) -> dict[str, float]:
    """Units short per capability: the sum over members of each member's largest
    shortfall of it over its requirements (as ``study`` counts it)."""
    worst: dict[tuple[str, str], float] = {}
    for r, x in zip(s.requirements, shortfall, strict=True):
        key = (r.member, r.capability)
        worst[key] = max(worst.get(key, 0.0), float(x))
    out: dict[str, float] = {}
    for (_, c), x in worst.items():
        out[c] = out.get(c, 0.0) + x
    return out


def _units_text(s: Scenario, more: PlanSolve, less: PlanSolve) -> str:
    """Per capability, the units short in ``more`` beyond those short in ``less``
    (section 9's count, in the capability's own unit; never summed across capabilities),
    e.g. ``"AMD_LR 2 fire unit; MBT 3 tank"``; empty without both plans."""
    if not (more.usable and less.usable):
        return ""
    a, b = _per_capability(s, more.shortfall), _per_capability(s, less.shortfall)
    return "; ".join(f"{c.id} {a.get(c.id, 0.0) - b.get(c.id, 0.0):g} {c.unit}"
                     for c in s.capabilities
                     if a.get(c.id, 0.0) - b.get(c.id, 0.0) > UNIT_RTOL)


def _witness(loose_scenario: Scenario, cmp: Comparison) -> Comparison:
    """``cmp`` with ``witness`` set when the like-for-like plan costs more than the tight
    plan and the tight plan passes the evaluator on the looser scenario at its own
    level (both exact): section 7.2's tiers, which depend on the pairs, cut it off."""
    t, lfl = cmp.tight, cmp.like_for_like
    if not (t.exact and lfl.exact) or t.cost is None or lfl.cost is None or t.plan is None:
        return cmp
    if lfl.cost <= t.cost + _money_tol(t.cost, lfl.cost):
        return cmp
    ev = evaluate(loose_scenario, t.plan, allowance=tuple(t.shortfall))
    if not ev.feasible:
        return cmp
    return replace(cmp, witness=True)


def _frame(spec: TableSpec, rows: list[tuple[Any, ...]], currency: str) -> pd.DataFrame:
    """``spec``'s table of ``rows``: counts of requirements as nullable integers, the
    ``delivers_*`` flags as nullable booleans (empty without both plans)."""
    df = pd.DataFrame(rows, columns=spec.names)
    for col in spec.columns:
        if col.unit == "requirements":
            df[col.name] = df[col.name].astype("Int64")
        elif col.name.startswith("delivers_"):
            df[col.name] = df[col.name].astype("boolean")
    return spec.frame(df, currency)


def _fmt(x: float) -> str:
    return "0" if abs(x) < 0.05 else f"{x:,.1f}"


def _opt(x: float | None) -> float:
    return float("nan") if x is None else float(x)


# ---------------------------------------------------------------------------------------
# price of each national constraint

PRICES = TableSpec("constraint_prices", "one national rule of one member: the alliance's "
                   "optimal cost with and without it (every other rule kept), like for like",
                   (
    Column("member", "-", "the member whose rule it is"),
    Column("rule", "-", "sovereign, dependence cap, workshare or export exclusion"),
    Column("subject", "-", "the capability (sovereign, a per-capability dependence cap), the "
           "program (export exclusion) or * (a member-wide dependence cap, workshare)"),
    Column("constraint", "-", "the rule in words"),
    Column("finding", "-", "true when the price is proven: both plans optimal and accepted by "
           "the evaluator (or removing the rule leaves the model unchanged)"),
    Column("price", CURRENCY, "cost_with - cost_without: what the rule costs the alliance at "
           "equal delivery (findings only)"),
    Column("price_low", CURRENCY, "lower end of the price: the price for a finding, else "
           "from the solvers' bounds where they bound it (empty otherwise)"),
    Column("price_high", CURRENCY, "upper end of the price (as price_low)"),
    Column("member_share_of_price", CURRENCY, "what the member itself pays with the rule "
           "minus without it, like for like (findings only)"),
    Column("cost_with", CURRENCY, "total cost (NRC + units, all years) of the plan with every "
           "rule (the base plan)"),
    Column("cost_without", CURRENCY, "total cost of the cheapest plan without the rule that "
           "delivers at least what the plan with it delivers, requirement by requirement"),
    Column("cost_without_full", CURRENCY, "total cost of the optimal plan without the rule "
           "(which may deliver more)"),
    Column("cost_of_extra_units", CURRENCY, "cost_without_full - cost_without: what the plan "
           "without the rule spends on the units only it delivers"),
    Column("extra_units_without", "-", "per capability, the units the optimal plan without "
           "the rule delivers beyond the plan with it, each in the capability's own unit "
           "(e.g. 'AMD_LR 2 fire unit'; units short: each member's largest shortfall, "
           "summed over members); empty when none"),
    Column("requirements_short_with", "requirements", "requirements (member, capability, "
           "year) the plan with the rule leaves short"),
    Column("requirements_short_without", "requirements", "requirements the optimal plan "
           "without the rule leaves short"),
    Column("delivers_more_without", "-", "true when the optimal plan without the rule leaves "
           "fewer units short"),
    Column("launches_only_with", "-", "programs launched with the rule and not without it "
           "(like for like; ids separated by spaces)"),
    Column("launches_only_without", "-", "programs launched only without the rule"),
    Column("status_with", "-", "status of the solve with every rule (optimal, feasible: "
           "stopped at a limit, limit, infeasible, error, failed, not run)"),
    Column("status_without", "-", "status of the solve without the rule"),
    Column("status_like_for_like", "-", "status of the level solve without the rule, at what "
           "the plan with it delivers (empty when not needed)"),
    Column("gap_with", "fraction", "relative gap of the solve with every rule"),
    Column("gap_without", "fraction", "relative gap of the solve the price compares with"),
    Column("bound_with", CURRENCY, "the solver's lower bound on the objective with every "
           "rule (the cost when nothing is short)"),
    Column("bound_without", CURRENCY, "the same for the solve the price compares with"),
    Column("note", "-", "why the price is not a finding, or what else to know"),
))

@dataclass(frozen=True)
class ConstraintPrice:
    """The price of one national rule: its comparison, and a note."""

    rule: NationalRule
    comparison: Comparison
    note: str = ""

    def line(self, currency: str) -> str:
        """One line for the console."""
        c, r = self.comparison, self.rule
        head = f"{r.member} {r.text}: "
        more = ""
        if c.delivers_more_loose:
            t, lo = c.tight.requirements_short, c.loose.requirements_short
            extra = c.loose.cost - c.like_for_like.cost if (
                c.loose.cost is not None and c.like_for_like.cost is not None) else None
            more = (f"; without it the alliance would also deliver more ({t} -> {lo} "
                    "requirements short" + (f", for {_fmt(extra)} {currency} more" if
                                             extra is not None and c.finding else "") + ")")
        p = c.price
        if p is not None:
            if p == 0.0:
                return head + "costs nothing" + more + (f" ({self.note})" if self.note else "")
            share = c.member_change(r.member)
            return (head + f"costs the alliance {_fmt(p)} {currency}; {r.member}'s own share "
                    f"of that: {_fmt(share or 0.0)}" + more)
        iv = c.interval
        why = c.unfinished("with every rule", "without it")
        if iv is not None and iv[1] <= _money_tol(c.tight.cost):
            return head + f"costs nothing, by the solvers' bounds ({why})" + more
        if iv is not None:
            return head + f"costs between {_fmt(iv[0])} and {_fmt(iv[1])} {currency} " \
                          f"(not proven: {why})" + more
        return head + f"price not known ({self.note or why})"


@dataclass(frozen=True)
class ConstraintPrices:
    """The price of every national rule of the scenario (module docstring):
    :meth:`table` one row per rule, :meth:`lines` one line per rule."""

    scenario: Scenario
    base: PlanSolve
    prices: tuple[ConstraintPrice, ...]

    def table(self) -> pd.DataFrame:
        """``constraint_prices`` (units and meanings in ``.attrs``)."""
        rows = []
        for cp in self.prices:
            c, r = cp.comparison, cp.rule
            iv = c.interval
            lfl = c.like_for_like
            only_with, only_without = c.launch_changes()
            extra = (c.loose.cost - lfl.cost if c.finding and c.loose.cost is not None
                     and lfl.cost is not None and not c.identical else
                     (0.0 if c.identical else None))
            rows.append((
                r.member, r.rule, r.subject, r.text, c.finding, _opt(c.price),
                _opt(None if iv is None else iv[0]), _opt(None if iv is None else iv[1]),
                _opt(c.member_change(r.member)), _opt(c.tight.cost),
                _opt(lfl.cost if lfl.usable else None),
                _opt(c.loose.cost if c.loose.usable else None), _opt(extra),
                _units_text(self.scenario, c.tight, c.loose),
                c.tight.requirements_short, c.loose.requirements_short,
                c.delivers_more_loose, " ".join(only_with), " ".join(only_without),
                c.tight.status, c.loose.status if not c.identical else "same model",
                "" if c.level is None else c.level.status,
                _opt(c.tight.gap), _opt(lfl.gap), _opt(c.tight.bound), _opt(lfl.bound),
                cp.note))
        return _frame(PRICES, rows, self.scenario.currency)

    def lines(self) -> list[str]:
        """One line per rule, for the console."""
        return [cp.line(self.scenario.currency) for cp in self.prices]

    def price_of(self, member: str, rule: RuleKind, subject: str = ALL) -> ConstraintPrice:
        """The row of one rule (``KeyError`` when the scenario has no such rule)."""
        for cp in self.prices:
            if (cp.rule.member, cp.rule.rule, cp.rule.subject) == (member, rule, subject):
                return cp
        raise KeyError(f"no {rule} rule of {member} on {subject}")


def constraint_prices(scenario: Scenario, *, solver: str = "highs",
                      options: SolveOptions | None = None, workers: int | None = None,
                      pool: Pool | None = None, budget: Budget | None = None,
                      members: Iterable[str] | None = None,
                      plan: ProcurementRecord | None = None) -> ConstraintPrices:
    """The price of each national rule of ``members`` (default: every member): the
    alliance's optimal joint cost with every rule against the cheapest plan without that
    one rule delivering at least as much (``models/procurement.md`` 13.1).

    ``options``: each solve's (default :data:`DEFAULT_OPTIONS`: 120 s, one thread);
    ``pool``: where solves run (the caller keeps it open), else a
    :class:`~procure.sweep.engine.LocalPool` of ``workers`` processes (default: one per
    core) made for the call, or this process with ``workers=0``; ``budget``: one
    wall-clock budget for the whole computation (each solve gets its share of what is
    left; solves it leaves no time for are ``not run``); ``plan``: the joint plan with
    every rule, already solved (default formulation), which then is not solved again."""
    rules = national_rules(scenario, members)
    lexicographic = scenario.shortfall_penalty is None
    base_data = scenario.model_dump(mode="json")
    base_comp = compile_scenario(scenario, "joint")
    relaxed = [scenario_from_data(relax(base_data, r)) for r in rules]
    same = [same_model(base_comp, compile_scenario(s, "joint")) for s in relaxed]
    todo = [i for i in range(len(rules)) if not same[i]]
    data = {i: relaxed[i].model_dump(mode="json") for i in todo}
    with _runner(solver, options, workers, pool, budget) as run:
        first = run.run(([] if plan is not None else [_Request("with every rule", base_data,
                                                               {})])
                        + [_Request(f"without {rules[i].label}", data[i], {}) for i in todo],
                        share=FIRST_PHASE_SHARE)
        base = PlanSolve.of(plan) if plan is not None else first.pop(0)
        loose = dict(zip(todo, first, strict=True))
        level_of = [i for i in todo if _needs_level(base, loose[i])]
        levels = dict(zip(level_of, run.run(
            [_level_request(f"without {rules[i].label}, like for like", data[i], base)
             for i in level_of]), strict=True))
    out = []
    for i, r in enumerate(rules):
        if same[i]:
            out.append(ConstraintPrice(r, Comparison(base, base, identical=True),
                                       "removing the rule does not change the model"))
            continue
        cmp = _witness(relaxed[i], Comparison(base, loose[i], levels.get(i),
                                              lexicographic=lexicographic))
        out.append(ConstraintPrice(r, cmp, _price_note(cmp)))
    return ConstraintPrices(scenario, base, tuple(out))


def _price_note(c: Comparison) -> str:
    if c.witness:
        return ("the model without the rule found no cheaper plan at equal delivery than the "
                "plan with it (its proportional-share tiers differ: models/procurement.md "
                "7.2)")
    if c.finding:
        return ""
    if not c.tight.usable:
        return f"no plan with every rule: {c.tight.describe()}"
    if not c.loose.usable:
        return f"no plan without the rule: {c.loose.describe()}"
    if c.level is not None and not c.tight.exact:
        return (f"the plan with every rule is not proven ({c.tight.describe()}), so the level "
                "to compare at is not known")
    return c.unfinished("with every rule", "without it")


# ---------------------------------------------------------------------------------------
# why not program P?

WHY_NOT = TableSpec("why_not", "one question: what forcing program P (with member M buying "
                    "from it) into the plan would cost", (
    Column("program", "-", "the program P forced into the plan"),
    Column("member", "-", "the member M forced to buy from it (empty: P launched, whoever "
           "buys)"),
    Column("verdict", "-", "already in the plan, can be forced, cannot be forced, or "
           "undecided (a solve did not finish)"),
    Column("reason", "-", "why P cannot be forced, in the scenario's words; or what the "
           "verdict rests on"),
    Column("finding", "-", "true when the price is proven (every solve optimal and accepted "
           "by the evaluator)"),
    Column("price", CURRENCY, "cost_forced - cost_optimal_like_for_like: what forcing P "
           "costs the alliance at equal delivery (findings only; 0 when already in the "
           "plan)"),
    Column("price_low", CURRENCY, "lower end of the price (the price for a finding, else "
           "from the solvers' bounds where they bound it)"),
    Column("price_high", CURRENCY, "upper end of the price"),
    Column("member_extra_payment", CURRENCY, "what M pays with P forced minus in the optimal "
           "plan, like for like (findings with a member only)"),
    Column("cost_optimal", CURRENCY, "total cost of the optimal plan"),
    Column("cost_forced", CURRENCY, "total cost of the optimal plan with P forced"),
    Column("cost_optimal_like_for_like", CURRENCY, "total cost of the cheapest plan without "
           "forcing that delivers at least what the forced plan delivers (the optimal plan "
           "when both leave the same shortfall)"),
    Column("requirements_short_optimal", "requirements", "requirements the optimal plan "
           "leaves short"),
    Column("requirements_short_forced", "requirements", "requirements the forced plan leaves "
           "short"),
    Column("delivers_less_forced", "-", "true when forcing P leaves more units short"),
    Column("units_lost_forced", "-", "per capability, the units the forced plan leaves short "
           "beyond the optimal plan, each in the capability's own unit (e.g. 'AMD_LR 2 fire "
           "unit'); empty when none"),
    Column("launches_dropped", "-", "programs the compared plan launches that the forced "
           "plan drops (ids separated by spaces)"),
    Column("launches_added", "-", "programs the forced plan launches that the compared plan "
           "does not (P among them unless already launched)"),
    Column("status_optimal", "-", "status of the optimal solve"),
    Column("status_forced", "-", "status of the forced solve (empty when not needed)"),
    Column("status_like_for_like", "-", "status of the level solve (empty when not needed)"),
    Column("gap_optimal", "fraction", "relative gap of the solve the price compares with"),
    Column("gap_forced", "fraction", "relative gap of the forced solve"),
    Column("bound_optimal", CURRENCY, "the solver's lower bound of the solve the price "
           "compares with (the cost when nothing is short)"),
    Column("bound_forced", CURRENCY, "the solver's lower bound of the forced solve"),
    Column("note", "-", "what else to know (a solve that stopped, units that arrive after "
           "every deadline)"),
))

@dataclass(frozen=True)
class WhyNotAnswer:
    """The answer to "why not program P (with member M)?": the verdict, its reason, and
    the comparison of the forced plan (tight) with the optimal plan (loose)."""

    program: str
    member: str | None
    verdict: Verdict
    reason: str
    comparison: Comparison
    notes: tuple[str, ...] = ()

    @property
    def question(self) -> str:
        return self.program if self.member is None else f"{self.program}:{self.member}"

    def line(self, currency: str) -> str:
        """One line for the console."""
        c = self.comparison
        who = self.program if self.member is None else f"{self.program} with {self.member}"
        tail = "".join(f" ({n})" for n in self.notes)
        if self.verdict == "cannot be forced":
            return f"{who} cannot be forced: {self.reason}"
        if self.verdict == "already in the plan":
            if c.finding:
                return f"{self.reason}: forcing it costs nothing" + tail
            # the plan found is not proven optimal: one without P may be cheaper (13.3)
            iv = c.interval
            rng = ("" if iv is None else f" between {_fmt(iv[0])} and {_fmt(iv[1])} "
                   f"{currency}")
            return f"{self.reason}: forcing it costs{rng or ' an unknown amount'}" + tail
        if self.verdict == "undecided":
            iv = c.interval
            rng = "" if iv is None else f" it costs between {_fmt(iv[0])} and " \
                                         f"{_fmt(iv[1])} {currency};"
            return f"forcing {who}:{rng} not proven ({self.reason})" + tail
        p = c.price or 0.0
        out = f"forcing {who} costs the alliance {_fmt(p)} {currency} more"
        if self.member is not None:
            own = c.member_change(self.member) or 0.0
            out += f" ({self.member}'s own extra payment: {_fmt(own)})"
        added, dropped = c.launch_changes()
        if dropped:
            out += f"; drops {', '.join(dropped)}"
        if added:
            out += f"; adds {', '.join(added)}"
        if c.delivers_more_loose:
            out += (f"; and leaves more short ({c.loose.requirements_short} -> "
                    f"{c.tight.requirements_short} requirements)")
        return out + tail


@dataclass(frozen=True)
class WhyNot:
    """Answers to "why not program P?" questions (module docstring): :meth:`table` one row
    per question, :meth:`lines` one line each."""

    scenario: Scenario
    optimal: PlanSolve
    answers: tuple[WhyNotAnswer, ...]

    def table(self) -> pd.DataFrame:
        """``why_not`` (units and meanings in ``.attrs``)."""
        rows = []
        for a in self.answers:
            c = a.comparison
            iv = c.interval
            lfl = c.like_for_like
            added, dropped = c.launch_changes()
            forced_run = a.verdict in ("can be forced", "undecided") or (
                a.verdict == "cannot be forced" and c.tight.status != "not run")
            rows.append((
                a.program, a.member or "", a.verdict, a.reason, c.finding, _opt(c.price),
                _opt(None if iv is None else iv[0]), _opt(None if iv is None else iv[1]),
                _opt(None if a.member is None else c.member_change(a.member)),
                _opt(c.loose.cost if c.loose.usable else None),
                _opt(c.tight.cost if c.tight.usable else None),
                _opt(lfl.cost if lfl.usable else None),
                c.loose.requirements_short, c.tight.requirements_short,
                c.delivers_more_loose, _units_text(self.scenario, c.tight, c.loose),
                " ".join(dropped), " ".join(added),
                c.loose.status, c.tight.status if forced_run else "",
                "" if c.level is None else c.level.status,
                _opt(lfl.gap), _opt(c.tight.gap), _opt(lfl.bound), _opt(c.tight.bound),
                "; ".join(a.notes)))
        return _frame(WHY_NOT, rows, self.scenario.currency)

    def lines(self) -> list[str]:
        """One line per question, for the console."""
        return [a.line(self.scenario.currency) for a in self.answers]

    def answer(self, program: str, member: str | None = None) -> WhyNotAnswer:
        """The answer to one question (``KeyError`` when it was not asked)."""
        for a in self.answers:
            if (a.program, a.member) == (program, member):
                return a
        raise KeyError(f"{program}:{member or ''} was not asked")


def parse_question(text: str) -> tuple[str, str | None]:
    """``"P"`` -> ``("P", None)``; ``"P:M"`` -> ``("P", "M")`` (the CLI's ``--why-not``);
    anything else (``""``, ``":M"``, ``"P:"``, ``"P:M:X"``) raises ``ValueError``."""
    program, sep, member = (x.strip() for x in text.partition(":"))
    if not program or (sep and (not member or ":" in member)):
        raise ValueError(f"--why-not: {text!r} is not PROGRAM or PROGRAM:MEMBER")
    return program, member or None


def cannot_force(s: Scenario, program: str, member: str | None = None,
                 compiled: Compiled | None = None) -> str | None:
    """Why program P cannot be forced into any plan (with ``member`` buying from it), read
    from the data alone, or ``None`` when the data do not rule it out (the forced model
    may still be infeasible: budgets, workshare, dependence caps, cost-share rules).

    The reasons are those that leave (13a) or (13b) a sum over no column, or close P's
    launch: M not eligible, excluded by export control, without a requirement for P's
    capability, or barred by its own sovereignty rule; a dependence cap of 0 on P's
    lead; no member that may buy from P; fewer possible buyers than P's minimum
    participants; a capacity and demand below P's minimum production run."""
    comp = compiled if compiled is not None else compile_scenario(s, "joint")
    p = s.program(program)
    cap = p.capability
    work = p.work_fractions()
    need: dict[str, float] = {}
    for r in s.requirements:
        if r.capability == cap:
            need[r.member] = max(need.get(r.member, 0.0), r.quantity)

    def barrier(m: str) -> str | None:
        if p.eligible is not None and m not in p.eligible:
            return f"{m} is not eligible for {p.id} (eligible: {', '.join(p.eligible)})"
        if m in p.excluded:
            return f"{m} is excluded from {p.id} by export control"
        if need.get(m, 0.0) <= 0.0:
            return f"{m} has no requirement for {cap}, so it would buy nothing from {p.id}"
        if cap in s.member(m).constraints.sovereign and m != p.lead and work.get(m, 0.0) <= 0:
            return (f"{cap} is sovereign for {m}, and {p.id} is led by {p.lead} and not "
                    f"produced in {m}")
        return None

    if member is not None:
        why = barrier(member)
        if why is not None:
            return why
        nc = s.member(member).constraints
        gamma = nc.max_single_foreign_share_by_capability.get(cap, nc.max_single_foreign_share)
        if gamma is not None and gamma <= 0.0 and p.lead != member:
            return (f"{member} takes none of {cap} from programs led by one foreign nation "
                    f"(its dependence cap is 0), and {p.id} is led by {p.lead}")
    buyers = [m.id for m in s.members if barrier(m.id) is None]
    if not buyers:
        eligible = s.eligible_members(p)
        if not eligible:
            return f"no member may join {p.id} (eligibility and export control)"
        reasons = [b for m in eligible if (b := barrier(m)) is not None]
        return f"no member may buy from {p.id}: " + "; ".join(reasons[:4]) + (
            f"; and {len(reasons) - 4} more" if len(reasons) > 4 else "")
    if p.min_participants > len(buyers):
        return (f"{p.id} needs {p.min_participants} participants, but only {len(buyers)} "
                f"member(s) may buy from it ({', '.join(buyers)})")
    pi = comp.program_ids.index(p.id)
    years = len(comp.years) - int(comp.prog_first_year[pi])
    demand = float(sum(need[m] for m in buyers))
    most = min(demand, float(comp.prog_capacity[pi]) * years)
    run = float(comp.prog_min_run[pi])
    if most < run - 1e-9:
        first = comp.years[int(comp.prog_first_year[pi])]
        return (f"{p.id} can deliver at most {most:g} units by {comp.years[-1]} (capacity "
                f"{comp.prog_capacity[pi]:g} a year from {first}, and its possible buyers "
                f"need {demand:g}), below its minimum production run of {run:g}")
    return None


def _late_note(s: Scenario, program: str, member: str | None) -> str | None:
    """A note when P's first delivery comes after every deadline of (M's) requirements for
    its capability: forced units then meet no requirement."""
    p = s.program(program)
    first = p.first_delivery_year or s.horizon.first_year
    due = [r.by_year for r in s.requirements if r.capability == p.capability
           and (member is None or r.member == member)]
    if due and first > max(due):
        who = member or "any member"
        return (f"{p.id} delivers from {first}, after the last deadline of {who} for "
                f"{p.capability} ({max(due)}): its units meet no requirement")
    return None


def why_not(scenario: Scenario, questions: Sequence[tuple[str, str | None]], *,
            solver: str = "highs", options: SolveOptions | None = None,
            workers: int | None = None, pool: Pool | None = None,
            budget: Budget | None = None, plan: ProcurementRecord | None = None) -> WhyNot:
    """Answer "why not program P (with member M)?" for each ``(P, M or None)``: the
    forced plan ((13a) P launched; (13b) M buys from P) against the optimal plan, like
    for like (``models/procurement.md`` 13.2): price = cost forced - cost of the
    cheapest unforced plan delivering at least what the forced plan delivers; the
    member's own extra payment; launches dropped and added. P already in the optimal
    plan: price 0 (no forced solve is used). P that cannot be forced: the reason from
    the data (:func:`cannot_force`), else the forced model's infeasibility.

    Unknown program or member ids raise ``ValueError``. ``solver``, ``options``,
    ``workers``, ``pool``, ``budget`` and ``plan`` (the optimal plan, already solved) as
    in :func:`constraint_prices`."""
    programs = {p.id for p in scenario.programs}
    members = {m.id for m in scenario.members}
    asked: list[tuple[str, str | None]] = []
    for p, m in questions:
        if p not in programs:
            raise ValueError(f"why-not: unknown program {p!r}")
        if m is not None and m not in members:
            raise ValueError(f"why-not: unknown member {m!r}")
        if (p, m) not in asked:
            asked.append((p, m))
    data = scenario.model_dump(mode="json")
    lexicographic = scenario.shortfall_penalty is None
    comp = compile_scenario(scenario, "joint")
    blocked = {q: cannot_force(scenario, q[0], q[1], comp) for q in asked}
    solvable = [q for q in asked if blocked[q] is None]

    def forced(q: tuple[str, str | None]) -> dict[str, Any]:
        p, m = q
        return {"force_launch": [p]} if m is None else {"force_join": [[p, m]]}

    def name(q: tuple[str, str | None]) -> str:
        return f"{q[0]} forced" + ("" if q[1] is None else f" with {q[1]}")

    def in_plan(q: tuple[str, str | None], optimal: PlanSolve) -> bool:
        return optimal.usable and (q[0] in optimal.launches if q[1] is None
                                   else optimal.buys_from(q[0], q[1]))

    known = None if plan is None else PlanSolve.of(plan)
    # with the optimal plan known, a program already in it needs no forced solve
    batch = [q for q in solvable if known is None or not in_plan(q, known)]
    with _runner(solver, options, workers, pool, budget) as run:
        first = run.run(([_Request("optimal", data, {})] if known is None else [])
                        + [_Request(name(q), data, forced(q)) for q in batch],
                        share=FIRST_PHASE_SHARE)
        optimal = known if known is not None else first.pop(0)
        tight = dict(zip(batch, first, strict=True))
        level_of = [q for q in batch if not in_plan(q, optimal)
                    and _needs_level(tight[q], optimal)]
        levels = dict(zip(level_of, run.run(
            [_level_request(f"optimal at the level of {name(q)}", data, tight[q])
             for q in level_of]), strict=True))
    answers = []
    for q in asked:
        p, m = q
        notes = tuple(n for n in (_late_note(scenario, p, m),) if n)
        if blocked[q] is not None:
            none = PlanSolve("not run", message="ruled out by the data")
            answers.append(WhyNotAnswer(p, m, "cannot be forced", str(blocked[q]),
                                        Comparison(none, optimal)))
            continue
        if in_plan(q, optimal):
            what = (f"{p} is already in the optimal plan" if m is None
                    else f"{m} already buys from {p} in the optimal plan")
            cmp = Comparison(optimal, optimal)
            if not optimal.exact:
                what = what.replace("optimal plan", f"best plan found ({optimal.describe()})")
            answers.append(WhyNotAnswer(p, m, "already in the plan", what, cmp, notes))
            continue
        t = tight[q]
        cmp = _witness(scenario, Comparison(t, optimal, levels.get(q),
                                            lexicographic=lexicographic))
        if t.status == "infeasible":
            who = p if m is None else f"{p} with {m} buying from it"
            reason = (f"no plan with {who} keeps every budget, workshare, dependence cap, "
                      "capacity and cost-share rule: the forced model is infeasible")
            answers.append(WhyNotAnswer(p, m, "cannot be forced", reason, cmp, notes))
        elif cmp.finding:
            answers.append(WhyNotAnswer(p, m, "can be forced", "both plans proven optimal "
                                        "and accepted by the evaluator", cmp, notes))
        else:
            answers.append(WhyNotAnswer(p, m, "undecided", _price_note_why(cmp), cmp, notes))
    return WhyNot(scenario, optimal, tuple(answers))


def _price_note_why(c: Comparison) -> str:
    if not c.loose.usable:
        return f"no optimal plan: {c.loose.describe()}"
    if not c.tight.usable:
        return f"no forced plan: {c.tight.describe()}"
    if c.level is not None and not c.tight.exact:
        return (f"the forced plan is not proven ({c.tight.describe()}), so the level to "
                "compare at is not known")
    return c.unfinished("forced", "optimal")

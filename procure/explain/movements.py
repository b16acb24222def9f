"""Why a movement is short (``models/explain.md`` section 6): an irreducible set of the
scenario's logistics rules whose relaxation lets it arrive in full by its RDD.

The movement model encodes several rules by leaving columns out (a member moves
cargo only through locations it has rights to, on days inside its window), so an
elastic filter on the model's rows cannot name them. The filter here works on the
scenario instead. Each candidate rule has a *relaxation*, an edit of the scenario
document:

- **rights** at one location: the member gets transit and storage there, without a
  share cap (one candidate per location where it lacks either or is capped);
- **lift**: every fleet ten times as large and no entitlements;
- **capacities**: no throughput, storage or MOG limit at any location, no link
  capacity;
- **stock**: the member's stock of the item (at the movement's origin, or wherever
  it holds some) raised by the movement's quantity;
- **deadline**: the movement's RDD on the horizon's last day.

(M1) With every candidate relaxed, the movement is re-planned (the whole movement
MILP, re-checked by the evaluator); if it is still short, no candidate explains it
(a missing link, an item nobody holds) and the answer says so. (M2) Deletion
filter: each candidate in turn is restored; if the movement stays in full the rule
is not needed and stays restored, otherwise it is relaxed again. What is left is
irreducible: restoring any one of its rules makes the movement short again
(:attr:`MovementReason.irreducible`). Rights are tried by location only when all of
them are needed as a family: first the five families, then the rights family's
locations, so a scenario with many locations costs few solves.

Each test is a full solve; one that stops at its limit without proof leaves the
answer unproven (``irreducible`` False), never presented as a finding.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from procure.backends.base import Backend, SolveOptions, Status
from procure.report.console import num
from procure.run.model import Budget
from procure.run.tables import Column, TableSpec
from procure.schema.scenario import Scenario

FLEET_SCALE = 10  # lift relaxed: every fleet this many times as large
MAX_FLEET = 100_000  # ... within the schema's bound on a fleet
SHORT_TOL = 1e-6  # units: a movement this close to its quantity is in full

Edit = Callable[[dict[str, Any]], None]

MOVEMENT_SHORTFALL_REASONS = TableSpec("movement_shortfall_reasons", (
    "why each short movement is short: the rules whose relaxation together lets it "
    "arrive in full (models/explain.md section 6)"), (
    Column("movement", "-", "movement id"),
    Column("member", "-", "member the cargo belongs to"),
    Column("item", "-", "item moved"),
    Column("short", "units of the item", "units not delivered by RDD in the plan"),
    Column("rule", "-", "the rule, as the scenario names it (empty: none found)"),
    Column("kind", "-", "rights, lift, capacities, stock or deadline"),
    Column("source", "-", "where the rule is set in the scenario"),
    Column("location", "-", "location the rule concerns (empty: several or none)"),
    Column("irreducible", "-", "yes: restoring any one rule of the set makes the movement "
           "short again, every test solve proven optimal; no: a test solve stopped at its "
           "limit"),
    Column("note", "-", "what the set means, or why none was found"),
))


@dataclass(frozen=True)
class Candidate:
    """A rule that may hold a movement back, and the scenario edit that relaxes it."""

    kind: str
    text: str
    source: str
    edit: Edit
    location: str | None = None


@dataclass(frozen=True)
class MovementReason:
    """Why movement ``movement`` is ``short`` units short: ``rules`` (empty when none of
    the candidates explains it, with ``note`` saying so)."""

    movement: str
    member: str
    item: str
    short: float
    rules: tuple[Candidate, ...]
    irreducible: bool
    solves: int
    seconds: float
    note: str


def _rights_candidates(data: dict[str, Any], member: str) -> list[Candidate]:
    """(M1) one candidate per location where ``member`` lacks transit or storage or is
    capped, with the edit granting both, uncapped."""
    lg = data["logistics"]
    has: dict[str, list[dict[str, Any]]] = {}
    for br in lg.get("basing_rights", []):
        if br["member"] == member:
            has.setdefault(br["location"], []).append(br)
    out = []
    for loc in lg["locations"]:
        rights = has.get(loc["id"], [])
        transit = any(r.get("transit", True) for r in rights)
        storage = any(r.get("storage", True) for r in rights)
        capped = any(r.get("max_share") is not None for r in rights)
        if transit and storage and not capped:
            continue
        lacks = [w for w, ok in (("transit", transit), ("storage", storage)) if not ok]
        text = (f"{member} has no {' or '.join(lacks)} right at {loc['id']}" if lacks
                else f"{member}'s share of {loc['id']} is capped")

        def grant(d: dict[str, Any], loc_id: str = loc["id"]) -> None:
            brs = d["logistics"].setdefault("basing_rights", [])
            brs[:] = [r for r in brs if not (r["member"] == member
                                             and r["location"] == loc_id)]
            brs.append({"member": member, "location": loc_id, "transit": True,
                        "storage": True})

        out.append(Candidate("rights", text, "logistics.basing_rights", grant, loc["id"]))
    return out


def _families(data: dict[str, Any], mv: dict[str, Any]) -> list[Candidate]:
    """The families of (M1) other than rights, each one candidate."""
    lg = data["logistics"]
    out: list[Candidate] = []
    if lg.get("lift"):
        def lift(d: dict[str, Any]) -> None:
            for f in d["logistics"]["lift"]:
                f["available"] = min(MAX_FLEET, max(1, f.get("available", 1)) * FLEET_SCALE)
                f["entitlements"] = {}

        sizes = ", ".join(f"{f['id']} {f.get('available', 1)}" for f in lg["lift"])
        out.append(Candidate("lift", f"lift fleets ({sizes} vehicles) and entitlements",
                             "logistics.lift", lift))
    limited = [loc["id"] for loc in lg["locations"]
               if any(loc.get(k) is not None for k in ("throughput_tons_per_day",
                                                       "storage_tons", "mog"))]
    linked = [lk for lk in lg.get("links", []) if lk.get("capacity_tons_per_day") is not None]
    if limited or linked:
        def capacities(d: dict[str, Any]) -> None:
            for loc in d["logistics"]["locations"]:
                for k in ("throughput_tons_per_day", "storage_tons", "mog"):
                    loc.pop(k, None)
            for lk in d["logistics"].get("links", []):
                lk.pop("capacity_tons_per_day", None)

        where = ", ".join(limited[:4]) + (" ..." if len(limited) > 4 else "")
        text = ("throughput, storage and MOG" + (f" at {where}" if limited else "")
                + (" and link capacities" if linked else ""))
        out.append(Candidate("capacities", text, "logistics.locations, logistics.links",
                             capacities))
    own = [s for s in lg.get("stocks", []) if s["owner"] == mv["member"]
           and s["item"] == mv["item"]
           and (mv.get("origin") is None or s["location"] == mv["origin"])]
    if own:
        def stock(d: dict[str, Any]) -> None:
            for s in d["logistics"]["stocks"]:
                if (s["owner"] == mv["member"] and s["item"] == mv["item"]
                        and (mv.get("origin") is None or s["location"] == mv["origin"])):
                    s["quantity"] = s["quantity"] + mv["quantity"]

        held = ", ".join(f"{num(s['quantity'], 2)} at {s['location']}" for s in own)
        out.append(Candidate("stock", f"{mv['member']}'s stock of {mv['item']} ({held})",
                             "logistics.stocks", stock))
    last_day = lg["horizon_days"] - 1
    if mv["rdd"] < last_day:
        def deadline(d: dict[str, Any]) -> None:
            for m in d["logistics"]["movements"]:
                if m["id"] == mv["id"]:
                    m["rdd"] = last_day

        out.append(Candidate("deadline", f"movement {mv['id']} RDD day {mv['rdd']}",
                             f"logistics.movements[{mv['id']}].rdd", deadline))
    return out


class _Tester:
    """Re-plans edited scenarios and says whether one movement arrives in full."""

    def __init__(self, data: dict[str, Any], movement: str, backend: Backend,
                 options: SolveOptions, budget: Budget | None) -> None:
        self.data, self.movement = data, movement
        self.backend, self.options, self.budget = backend, options, budget
        self.solves = 0
        self.proven = True

    def in_full(self, relaxed: Sequence[Candidate]) -> bool:
        """Is the movement in full with ``relaxed`` relaxed (and nothing else)?"""
        from procure.io import scenario_from_data
        from procure.logistics.solve import MovementModel
        from procure.run.pipeline import run

        d = copy.deepcopy(self.data)
        for c in relaxed:
            c.edit(d)
        s = scenario_from_data(d)
        opts = self.options
        if self.budget is not None:
            opts = replace(opts, time_limit=self.budget.remaining())
        rec = run(MovementModel(prices=False), s, solver=self.backend, options=opts,
                  budget=self.budget)
        self.solves += 1
        if rec.status != Status.OPTIMAL:
            self.proven = False
        ev = rec.evaluation
        if ev is None or not ev.feasible:
            self.proven = False
            return False
        row = ev.closure[ev.closure["movement"] == self.movement]
        return bool(row["short"].sum() <= SHORT_TOL)


def _deletion(tester: _Tester, candidates: list[Candidate], fixed: list[Candidate]
              ) -> list[Candidate]:
    """(M2) the candidates that must stay relaxed (with ``fixed`` relaxed throughout)."""
    needed = list(candidates)
    for c in candidates:
        trial = [k for k in needed if k is not c]
        if tester.in_full(fixed + trial):
            needed = trial
    return needed


def why_movement_short(scenario: Scenario, movement: str, short: float, backend: Backend,
                       options: SolveOptions | None = None, budget: Budget | None = None
                       ) -> MovementReason:
    """Why ``movement`` of ``scenario`` is ``short`` units short (module docstring)."""
    t0 = time.perf_counter()
    data = scenario.model_dump(mode="json", exclude_none=True)
    mv = next(m for m in data["logistics"]["movements"] if m["id"] == movement)
    tester = _Tester(data, movement, backend, options or SolveOptions(), budget)
    rights = _rights_candidates(data, mv["member"])
    others = _families(data, mv)

    def answer(rules: Sequence[Candidate], note: str) -> MovementReason:
        return MovementReason(movement, mv["member"], mv["item"], short, tuple(rules),
                              tester.proven and bool(rules), tester.solves,
                              time.perf_counter() - t0, note)

    if not tester.in_full(rights + others):  # (M1)
        return answer((), "still short with every candidate rule relaxed: no route to "
                          f"{mv['destination']}, or no stock of {mv['item']} the member "
                          "may draw")
    def all_rights(d: dict[str, Any]) -> None:
        for c in rights:
            c.edit(d)

    families = others + ([Candidate("rights", f"{mv['member']}'s basing rights",
                                    "logistics.basing_rights", all_rights)] if rights else [])
    kept = _deletion(tester, families, [])
    needed = [c for c in kept if c.kind != "rights"]
    if len(kept) > len(needed):  # rights as a family are needed: which locations?
        needed += _deletion(tester, rights, needed)
    note = ("relaxing these rules together lets the movement arrive in full; "
            "restoring any one of them makes it short again")
    if not tester.proven:
        note = "a test solve stopped at its limit: the set may hold extra rules"
    return answer(needed, note)


def why_movements_short(scenario: Scenario, closure: pd.DataFrame, backend: Backend,
                        options: SolveOptions | None = None, budget: Budget | None = None,
                        limit: int = 5) -> list[MovementReason]:
    """The reasons of the ``limit`` shortest-delivered movements of a plan's
    ``closure`` table (most units short first), within ``budget``."""
    short = closure[closure["short"] > SHORT_TOL].sort_values("short", ascending=False)
    out = []
    for movement, units in zip(short["movement"].head(limit).tolist(),
                               short["short"].head(limit).tolist(), strict=True):
        if budget is not None and budget.expired:
            break
        out.append(why_movement_short(scenario, str(movement), float(units), backend,
                                      options, budget))
    return out


def reasons_table(reasons: Sequence[MovementReason]) -> pd.DataFrame:
    """The ``movement_shortfall_reasons`` table: a row per rule of each reason (one
    row with an empty rule when none was found)."""
    rows = []
    for r in reasons:
        for c in r.rules or (None,):
            rows.append((r.movement, r.member, r.item, r.short,
                         "" if c is None else c.text, "" if c is None else c.kind,
                         "" if c is None else c.source,
                         "" if c is None or c.location is None else c.location,
                         "yes" if r.irreducible else "no", r.note))
    df = pd.DataFrame(rows, columns=MOVEMENT_SHORTFALL_REASONS.names)
    return MOVEMENT_SHORTFALL_REASONS.frame(df, "")

"""The procurement model's rows grouped into the rules a planner wrote, named as the
scenario names them (``models/explain.md`` section 2).

Each row family of ``models/procurement.md`` is either a *rule* of the scenario — a
requirement (1), a member's purchases within its need (2b), a program's yearly capacity
(3a, 3b), minimum production run (4), minimum participants (5), cost-share rule (7), a
member's budget in a year (8), dependence cap (9), workshare rule (10, 11) — or a
*definition* of the model (linking (2a), (3c), joining (6a, 6b), the aggregated
capacity cut (12), priced shortfall (1p)), which an explanation never relaxes. Each row
of a rule family gets the rule it states; the rows of one rule (a program's capacity in
every year) form one group, so a conflict names "program P capacity 2 per year" once.

Where a row's rule is read from the row itself (its purchase cell, launch or join
column), the families' column layout of :mod:`procure.procurement.formulation` is
relied upon; the budget and workshare rows are numbered in the builder's order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from procure.lp.model import IntArray, RowBlock
from procure.procurement.compile import PROPORTIONAL, Compiled
from procure.procurement.formulation import Formulation
from procure.schema.scenario import Scenario


@dataclass(frozen=True)
class Rule:
    """One rule of the scenario, as a planner would name it.

    ``kind``: requirement, need, capacity, min_run, min_participants, cost_share, budget,
    dependence, workshare (and ``delivered``: a requirement held at what a plan
    delivers, see :mod:`procure.explain.conflicts`). ``text`` names it with its value and
    unit; ``source`` is where it is set in the scenario."""

    kind: str
    text: str
    source: str
    member: str = ""
    capability: str = ""
    program: str = ""
    year: int | None = None
    value: float | None = None
    unit: str = ""
    row_unit: str = ""  # unit of its rows' bounds, when not ``unit`` (a ratio's rows)

    @property
    def limit_unit(self) -> str:
        """The unit in which the rule's rows bound the plan."""
        return self.row_unit or self.unit


def number(x: float) -> str:
    """A figure as planners read it: thousands spaced, at most 6 significant digits."""
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}".replace(",", " ")
    return f"{x:,.6g}".replace(",", " ")


class RuleBook:
    """Rules of one built procurement formulation: ``groups[i]`` is the rule of row i
    (an index into ``rules``) or -1 for a definition of the model."""

    def __init__(self, formulation: Formulation, scenario: Scenario) -> None:
        self.f = formulation
        self.s = scenario
        self.c: Compiled = formulation.compiled
        m = formulation.model
        self.groups: IntArray = np.full(m.num_rows, -1, dtype=np.int64)
        # the fiscal year of a row of a yearly rule (a budget, a capacity), of a
        # requirement's deadline; -1 for rules over the whole horizon
        self.row_year: IntArray = np.full(m.num_rows, -1, dtype=np.int64)
        self.rules: list[Rule] = []
        self._index: dict[tuple[object, ...], int] = {}
        pair_of_join = np.full(m.num_cols, -1, dtype=np.int64)
        has = formulation.join_column >= 0
        pair_of_join[formulation.join_column[has]] = np.flatnonzero(has)
        self._pair_of_join = pair_of_join
        for block in m.row_blocks:
            self._family(block)

    # -- helpers ---------------------------------------------------------------------
    def rule(self, key: tuple[object, ...], make: Rule) -> int:
        """The group of rule ``key`` (created from ``make`` on first use)."""
        if key not in self._index:
            self._index[key] = len(self.rules)
            self.rules.append(make)
        return self._index[key]

    def _first(self, block: RowBlock, lo: int, size: int, positive: bool = False) -> IntArray:
        """Per row of ``block``, the first column in [lo, lo + size) (with a positive
        coefficient when ``positive``), as an offset from ``lo``; -1 where none."""
        m = self.f.model
        ptr = m.a_start[block.start:block.start + block.size + 1]
        nz = slice(int(ptr[0]), int(ptr[-1]))
        rows = np.repeat(np.arange(block.size), np.diff(ptr))
        cols = m.a_index[nz].astype(np.int64)
        sel = (cols >= lo) & (cols < lo + size)
        if positive:
            sel &= m.a_value[nz] > 0
        out = np.full(block.size, -1, dtype=np.int64)
        out[rows[sel][::-1]] = cols[sel][::-1] - lo  # reversed: the first one wins
        return out

    def _cells(self, block: RowBlock, positive: bool = False) -> IntArray:
        return self._first(block, self.f.buy.start, self.f.buy.size, positive)

    def _launches(self, block: RowBlock) -> IntArray:
        return self._first(block, self.f.launch.start, self.f.launch.size)

    def _set(self, block: RowBlock, keys: list[int]) -> None:
        self.groups[block.start:block.start + block.size] = keys

    def _unit(self, cap: int) -> str:
        """The unit of capability ``cap`` (an index into the compiled capability ids)."""
        cid = self.c.capability_ids[cap]
        return next((k.unit for k in self.s.capabilities if k.id == cid), "unit")

    # -- the families ----------------------------------------------------------------
    def _family(self, block: RowBlock) -> None:
        name = block.name
        c = self.c
        years = np.asarray(c.years, dtype=np.int64)
        rows = slice(block.start, block.start + block.size)
        if name == "(1) requirement":
            self._set(block, [self.requirement(r) for r in range(block.size)])
            self.row_year[rows] = years[c.req_year]
        elif name == "(2b) need":
            pairs = c.cell_pair[self._cells(block)]
            self._set(block, [self.need(int(c.pair_member[k]), int(c.pair_capability[k]))
                              for k in pairs])
        elif name in ("(3a) capacity", "(3b) shared capacity"):
            cells = self._cells(block)
            progs = c.pair_program[c.cell_pair[cells]]
            self.row_year[rows] = years[c.cell_year[cells]]
            self._set(block, [self.capacity(int(p)) for p in progs])
        elif name == "(4) min run":
            progs = c.launch_program[self._launches(block)]
            self._set(block, [self.min_run(int(p)) for p in progs])
        elif name == "(5) min participants":
            progs = c.launch_program[self._launches(block)]
            self._set(block, [self.min_participants(int(p)) for p in progs])
        elif name.startswith("(7") and (found := re.search(r"\[(\d+)\]$", name)):
            p = int(c.launch_program[int(found.group(1))])
            self._set(block, [self.cost_share(p)] * block.size)
        elif name == "(8) budget":
            bm, bt = np.nonzero(~np.isnan(c.budgets))  # the builder's row order
            self.row_year[rows] = years[bt]
            self._set(block, [self.budget(int(m), int(t)) for m, t in zip(bm, bt,
                                                                          strict=True)])
        elif name == "(9) dependence":
            cells = self._cells(block, positive=True)
            k = c.cell_pair[cells]
            self._set(block, [self.dependence(int(m), int(cap)) for m, cap in zip(
                c.pair_member[k], c.pair_capability[k], strict=True)])
        elif name == "(10) juste retour":
            jr = np.nan_to_num(c.juste_retour, nan=0.0)
            members = c.pair_member[np.flatnonzero(jr[c.pair_member] > 0)]
            self._set(block, [self.workshare(int(m)) for m in members])
        elif name == "(11) global balance":
            members = np.flatnonzero(np.nan_to_num(c.global_balance, nan=0.0) > 0)
            self._set(block, [self.workshare(int(m)) for m in members])
        # every other family is a definition of the model: group -1

    # -- the rules -------------------------------------------------------------------
    def requirement(self, r: int) -> int:
        c = self.c
        m, cap = c.member_ids[c.req_member[r]], int(c.req_capability[r])
        q, year = float(c.req_quantity[r]), c.years[c.req_year[r]]
        unit = self._unit(cap)
        cid = c.capability_ids[cap]
        return self.rule(("requirement", r), Rule(
            "requirement", f"requirement {m}/{cid}: {number(q)} {unit} by {year}",
            f"requirements[{r}]", member=m, capability=cid, year=year, value=q, unit=unit))

    def need(self, m: int, cap: int) -> int:
        c = self.c
        bound = float(c.pair_bound[(c.pair_member == m) & (c.pair_capability == cap)].max())
        unit, mid, cid = self._unit(cap), c.member_ids[m], c.capability_ids[cap]
        return self.rule(("need", m, cap), Rule(
            "need", f"{mid} buys no more {cid} than its largest requirement "
            f"({number(bound)} {unit})", "requirements", member=mid, capability=cid,
            value=bound, unit=unit))

    def capacity(self, p: int) -> int:
        c = self.c
        pid, cap = c.program_ids[p], int(c.prog_capability[p])
        unit = self._unit(cap)
        value = float(c.prog_capacity[p])
        return self.rule(("capacity", p), Rule(
            "capacity", f"program {pid} capacity {number(value)} {unit} per year",
            f"programs[{pid}].capacity_per_year", program=pid,
            capability=c.capability_ids[cap], value=value, unit=f"{unit} per year"))

    def min_run(self, p: int) -> int:
        c = self.c
        pid, cap = c.program_ids[p], int(c.prog_capability[p])
        value, unit = float(c.prog_min_run[p]), self._unit(cap)
        return self.rule(("min_run", p), Rule(
            "min_run", f"program {pid} minimum production run {number(value)} {unit}",
            f"programs[{pid}].min_production_run", program=pid,
            capability=c.capability_ids[cap], value=value, unit=unit))

    def min_participants(self, p: int) -> int:
        c = self.c
        pid, n = c.program_ids[p], int(c.prog_min_participants[p])
        return self.rule(("min_participants", p), Rule(
            "min_participants", f"program {pid} needs at least {n} participant"
            f"{'s' if n != 1 else ''}", f"programs[{pid}].min_participants", program=pid,
            capability=c.capability_ids[int(c.prog_capability[p])], value=float(n),
            unit="members"))

    def cost_share(self, p: int) -> int:
        c = self.c
        pid = c.program_ids[p]
        share = self.s.cost_share_for(self.s.program(pid))
        how = ("in proportion to units bought" if c.share_rule[p] == PROPORTIONAL
               else f"{share.rule} shares" + (" with caps/floors" if share.caps or share.floors
                                              else ""))
        return self.rule(("cost_share", p), Rule(
            "cost_share", f"program {pid} NRC shared {how}",
            f"programs[{pid}].cost_share", program=pid,
            capability=c.capability_ids[int(c.prog_capability[p])]))

    def budget(self, m: int, t: int) -> int:
        c = self.c
        mid, year, value = c.member_ids[m], c.years[t], float(c.budgets[m, t])
        return self.rule(("budget", m, t), Rule(
            "budget", f"{mid} budget {year} ({number(value)} {self.s.currency})",
            f"members[{mid}].budgets[{year}]", member=mid, year=year, value=value,
            unit=self.s.currency))

    def dependence(self, m: int, cap: int) -> int:
        c = self.c
        mid, cid = c.member_ids[m], c.capability_ids[cap]
        gamma = float(c.dependence_cap[m, cap])
        return self.rule(("dependence", m, cap), Rule(
            "dependence", f"{mid} buys at most {gamma:.0%} of {cid} from programs led by "
            "any one foreign nation", f"members[{mid}].constraints.max_single_foreign_share",
            member=mid, capability=cid, value=gamma, unit="fraction",
            row_unit=f"{self._unit(cap)} bought from one foreign lead beyond the cap"))

    def workshare(self, m: int) -> int:
        c = self.c
        mid = c.member_ids[m]
        rule = self.s.member(mid).constraints.workshare
        mode = rule.mode if rule is not None else "global"
        ratio = float(rule.min_ratio) if rule is not None else float("nan")
        what = "in every program it joins" if mode == "per_program" else "over all programs"
        return self.rule(("workshare", m), Rule(
            "workshare", f"{mid} workshare: work for its industry at least {number(ratio)} x "
            f"what it pays, {what}", f"members[{mid}].constraints.workshare", member=mid,
            value=ratio, unit="ratio",
            row_unit=f"{self.s.currency} of work for its industry below the rule"))

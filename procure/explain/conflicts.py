"""Why a strict scenario has no plan, and why each shortfall of a plan could not be
delivered, in the scenario's words (``models/explain.md`` sections 2 and 3).

- :func:`why_infeasible`: the strict joint model (no shortfall allowed) is built with
  every rule as rows (:class:`~procure.explain.rules.RuleBook`), and an irreducible set
  of conflicting rules is found through the solver seam (:mod:`procure.explain.elastic`):
  the solver's IIS where the backend has one, the elastic filter otherwise. For each
  rule of the set, by how much it alone would have to give way (the smallest relaxation
  of that rule with every other rule held, (E1) with one elastic rule), when that alone
  suffices.
- :func:`why_short`: for each requirement an elastic plan leaves short, the model that
  must deliver it in full while every other requirement is delivered at least as the
  plan delivers it (rule "delivered as planned"); its conflict names the rules that
  prevent delivering it. When that model is feasible the shortfall was a choice: the
  plan saves more money than the shortfall penalty costs (with the default penalty this
  does not happen).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from procure.backends.base import Backend, SolveOptions, Status
from procure.explain.elastic import Conflict, conflict, min_relaxation
from procure.explain.rules import Rule, RuleBook, number
from procure.lp.model import IntArray, ModelArrays
from procure.procurement.compile import compile_scenario
from procure.procurement.formulation import FormulationOptions, build
from procure.run.tables import Column, TableSpec
from procure.schema.scenario import Scenario

EXPLAIN_OPTIONS = FormulationOptions(capacity_cuts=False, capacity_bounds=False,
                                     merge_need_rows=False)
"""Every rule as its own rows, no implied rows: a conflict names only what the scenario
says (section 2 of models/explain.md)."""

CONFLICTS = TableSpec("conflicts", "one rule of an irreducible set of rules that together "
                      "admit no plan (dropping any one of them admits one)", (
    Column("conflict", "-", "what the set explains: 'strict scenario' or the requirement "
           "left short"),
    Column("rule", "-", "the rule, as the scenario names it, with its value and unit"),
    Column("kind", "-", "requirement, delivered (another requirement held at what the "
           "plan delivers), need, capacity, min_run, min_participants, cost_share, budget, "
           "dependence, workshare; 'definitions': no rule to relax, no open program can "
           "supply it; 'choice': no rule prevents it, the plan chose the penalty"),
    Column("source", "-", "where the rule is set in the scenario"),
    Column("member", "-", "member the rule belongs to (empty: a program's rule)"),
    Column("program", "-", "program the rule belongs to (empty: a member's rule)"),
    Column("year", "year", "fiscal year of the rule (empty: the whole horizon)"),
    Column("relax_alone", "see relax_unit", "by how much this rule alone would have to "
           "give way (every other rule held) for a plan to exist; empty when relaxing it "
           "alone is not enough or was not decided"),
    Column("relax_unit", "-", "unit of relax_alone"),
    Column("method", "-", "how the set was found: 'solver IIS' (the solver's irreducible "
           "infeasible subsystem), 'elastic filter', or 'definitions' (nothing to relax: "
           "no program can supply it at all)"),
    Column("irreducible", "-", "yes: proven irreducible; no: a search stopped at its "
           "time limit, the set may hold more rules than needed"),
))


SHORTFALL_REASONS = TableSpec(
    "shortfall_reasons", "one rule of an irreducible set that prevents delivering one "
    "requirement the plan leaves short, while every other requirement gets what the plan "
    "gives it", CONFLICTS.columns)


@dataclass(frozen=True)
class Explanation:
    """One conflict: what it explains, its rules and how it was found."""

    subject: str
    rules: tuple[Rule, ...]
    relax_alone: tuple[float | None, ...]
    found: Conflict | None
    note: str = ""

    def line(self) -> str:
        """One line for the console."""
        if self.found is None:
            return f"{self.subject}: {self.note}"
        if not self.rules:
            return f"{self.subject}: {self.note or 'no program can supply it at all'}"
        rules = " + ".join(r.text for r in self.rules)
        return f"{self.subject}: {rules}" + (f" ({self.note})" if self.note else "")


def _relax_alone(backend: Backend, model: ModelArrays, groups: IntArray, rule: int,
                 options: SolveOptions) -> float | None:
    """(E1) with only ``rule`` elastic: its smallest relaxation, or ``None``."""
    only = np.where(groups == rule, 0, -1)
    rel = min_relaxation(backend, model, only, options)
    if rel.status != Status.OPTIMAL or rel.total is None:
        return None
    return float(rel.total)


def _explain(subject: str, backend: Backend, model: ModelArrays, groups: IntArray,
             rules: Sequence[Rule], options: SolveOptions, note: str = "") -> Explanation:
    found = conflict(backend, model, groups, options)
    if found is None:
        return Explanation(subject, (), (), None, note or "a plan exists")
    picked = tuple(rules[g] for g in found.groups)
    relax = tuple(_relax_alone(backend, model, groups, g, options) for g in found.groups)
    text = note if found.groups else ("the model's definitions alone admit no plan: no "
                                      "open program can deliver it in time")
    if len(picked) == 1 and picked[0].kind == "requirement":
        r = picked[0]
        text = (f"no program open to {r.member} delivers {r.capability} by {r.year} "
                "(eligibility, export exclusions, sovereignty and first delivery years "
                "leave none)")
    return Explanation(subject, picked, relax, found, text)


def why_infeasible(scenario: Scenario, backend: Backend,
                   options: SolveOptions | None = None) -> Explanation:
    """An irreducible set of the scenario's rules that leaves the strict joint model (no
    shortfall allowed) without a plan; ``found`` is ``None`` when it has one."""
    opts = options or SolveOptions()
    f = build(compile_scenario(scenario, "joint"), replace(EXPLAIN_OPTIONS, strict=True))
    book = RuleBook(f, scenario)
    return _explain("strict scenario", backend, f.model, book.groups, book.rules, opts)


def why_short(scenario: Scenario, shortfall: Sequence[float], backend: Backend,
              options: SolveOptions | None = None, *, limit: int = 20
              ) -> list[Explanation]:
    """For each requirement ``r`` with ``shortfall[r] > 0`` (the plan's, in requirement
    order; the largest first, at most ``limit``): the rules that prevent delivering it
    in full while every other requirement gets at least what the plan gives it."""
    opts = options or SolveOptions()
    compiled = compile_scenario(scenario, "joint")
    short = np.asarray(shortfall, dtype=np.float64)
    order = [int(r) for r in np.argsort(-short, kind="stable") if short[r] > 1e-9][:limit]
    out: list[Explanation] = []
    for r in order:
        allowance = short.copy()
        allowance[r] = 0.0
        f = build(compiled, replace(EXPLAIN_OPTIONS,
                                    shortfall_allowance=tuple(float(a) for a in allowance)))
        book = RuleBook(f, scenario)
        groups = book.groups.copy()
        rules = list(book.rules)
        req = next(b for b in f.model.row_blocks if b.name == "(1) requirement")
        goal = book.rules[int(groups[req.start + r])]
        # every other requirement: held at what the plan delivers ("delivered")
        for i in range(req.size):
            row = req.start + i
            if i == r:
                groups[row] = -1  # the goal itself is never relaxed
                continue
            base = book.rules[int(groups[row])]
            delivered = base.value - float(short[i]) if base.value is not None else None
            rules.append(replace(base, kind="delivered", text=(
                f"{base.member}/{base.capability} delivered as planned "
                f"({number(delivered or 0.0)} of {number(base.value or 0.0)} {base.unit} by "
                f"{base.year})")))
            groups[row] = len(rules) - 1
        subject = (f"{goal.member}/{goal.capability} short by {number(float(short[r]))} "
                   f"{goal.unit} by {goal.year}")
        out.append(_explain(subject, backend, f.model, groups, rules, opts,
                            note="deliverable without taking from another requirement: "
                                 "the plan chose the shortfall penalty over its cost"))
    return out


def relax_unit(rule: Rule) -> str:
    """The unit of a rule's relaxation: a yearly rule (a capacity) relaxes by a total
    over the years its rows bind."""
    return rule.limit_unit.replace(" per year", " in total over its years")


def conflicts_table(explanations: Sequence[Explanation], currency: str,
                    spec: TableSpec = CONFLICTS) -> pd.DataFrame:
    """The :data:`CONFLICTS` (or ``spec``'s) table of ``explanations``: one row per rule;
    a conflict of the model's definitions alone is one row without a rule, and an
    explanation without a conflict (a shortfall that was a choice) one row saying so."""
    rows: list[tuple[object, ...]] = []
    for e in explanations:
        if e.found is None:
            rows.append((e.subject, e.note, "choice", "", "", "", None, None, "", "", ""))
            continue
        method = e.found.method
        irreducible = "yes" if e.found.irreducible else "no"
        if not e.rules:
            rows.append((e.subject, e.note, "definitions", "", "", "", None, None, "",
                         "definitions", irreducible))
        for rule, relax in zip(e.rules, e.relax_alone, strict=True):
            rows.append((e.subject, rule.text, rule.kind, rule.source, rule.member,
                         rule.program, rule.year, relax, relax_unit(rule), method,
                         irreducible))
    return spec.frame(pd.DataFrame(rows, columns=spec.names), currency)

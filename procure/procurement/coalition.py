"""The scenario of a sub-coalition: what the sub-alliance S plans on its own.

:func:`restrict_scenario` is the scenario-level definition (section 12 of
``models/procurement.md``); :func:`procure.procurement.compile.restrict` computes the
same thing on the compiled arrays, without validating or compiling again:

    restrict(compile_scenario(s, mode), S) == compile_scenario(restrict_scenario(s, S), mode)

array by array, in both modes (``tests/test_procurement_restrict.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from procure.procurement.compile import member_mask
from procure.schema.scenario import CostShare, Program, Scenario


def can_run(s: Scenario, p: Program, members: set[str]) -> bool:
    """S can run p on its own: lead(p) in S, every member with work in p (w[p,m] > 0)
    in S, and at least N_p members of S eligible (E(p) ∩ S)."""
    if p.lead not in members:
        return False
    if any(frac > 0 and mid not in members for mid, frac in p.work_fractions().items()):
        return False
    return sum(m in members for m in s.eligible_members(p)) >= p.min_participants


def _cost_share(cs: CostShare, members: set[str]) -> dict[str, Any]:
    """A cost-share rule among the members of S: explicit keys, caps and floors of
    other members dropped; the rule, the GDP key and the tolerance unchanged."""
    data = cs.model_dump()
    if isinstance(cs.key, dict):
        data["key"] = {m: v for m, v in cs.key.items() if m in members}
    data["caps"] = {m: v for m, v in cs.caps.items() if m in members}
    data["floors"] = {m: v for m, v in cs.floors.items() if m in members}
    return data


def _program(p: Program, members: set[str]) -> dict[str, Any]:
    """Program p as S sees it: eligibility, export exclusions, per-member prices,
    producers and its own cost-share rule limited to S (p must be runnable by S, so
    the producers dropped carry no work)."""
    data = p.model_dump()
    if p.eligible is not None:
        data["eligible"] = [m for m in p.eligible if m in members]
    data["excluded"] = [m for m in p.excluded if m in members]
    data["unit_cost_by_member"] = {m: v for m, v in p.unit_cost_by_member.items()
                                   if m in members}
    if p.producers is not None:
        data["producers"] = {m: v for m, v in p.producers.items() if m in members}
    if p.cost_share is not None:
        data["cost_share"] = _cost_share(p.cost_share, members)
    return data


def restrict_scenario(s: Scenario, members: Iterable[str]) -> Scenario:
    """The validated scenario of the sub-alliance S = ``members`` (ids; a set, so order
    and repeats do not matter; unknown ids or an empty S raise ``ValueError``).

    S plans on its own (section 12 of ``models/procurement.md``):

    - members: those of S, in the scenario's order, with their GDP, budgets and
      national constraints unchanged (sovereignty, dependence caps, workshare);
    - requirements: those of S's members; capabilities, horizon, currency and a set
      ``shortfall_penalty`` unchanged (the default penalty is S's own, section 5);
    - programs: those S can run (:func:`can_run`: lead and every producing member in
      S, at least N_p eligible members in S), in the scenario's order, with
      ``eligible``, ``excluded``, ``unit_cost_by_member``, ``producers`` and explicit
      share keys, caps and floors limited to S. Nothing is renormalised: work
      fractions still sum to 1 (only zero-work producers are dropped), share keys are
      relative weights, caps and floors are fractions of the NRC whoever joins;
    - the scenario's default cost-share rule, limited to S the same way;
    - no logistics section (procurement only); the name says which members S holds.
    """
    keep = member_mask(tuple(m.id for m in s.members), members)
    ids = [m.id for m, k in zip(s.members, keep, strict=True) if k]
    inside = set(ids)
    data = s.model_dump(exclude={"logistics"})
    data["name"] = f"{s.name} [sub-alliance {'+'.join(ids)}]"
    data["members"] = [d for d, k in zip(data["members"], keep, strict=True) if k]
    data["requirements"] = [d for d in data["requirements"] if d["member"] in inside]
    data["programs"] = [_program(p, inside) for p in s.programs if can_run(s, p, inside)]
    data["cost_share"] = _cost_share(s.cost_share, inside)
    return Scenario.model_validate(data)

"""What-if edits of a scenario, applied to its JSON data.

:func:`apply_edits` takes a scenario's data (``scenario.model_dump(mode="json")``; plain
YAML data works too: year keys may be ints or strings, optional fields may be absent),
deep-copies it, applies each edit in order, and returns the copy. The input is never
changed. The result is *not* validated here: :func:`procure.sweep.cases.expand` runs the
full scenario validation on it, so an edit that leaves the scenario inconsistent (a
delivery pushed beyond the horizon, a member's last program gone below its minimum
participants) makes that case a named failure.

An edit that cannot apply at all (it names a member, program, location or requirement
the data does not hold, for instance because an earlier edit of the same case removed
it) raises :class:`EditError`, whose message names the edit and the missing reference.
``solver_options`` edits change the case's solve, not its scenario, and are skipped.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from typing import Any

from procure.errors import ProcureError
from procure.schema.base import MIN_QUANTITY
from procure.schema.sweep import (
    BasingWithdrawn,
    BudgetChange,
    CapacityLoss,
    CostOverrun,
    DeliveryDelay,
    Edit,
    ExclusionAdded,
    MemberJoins,
    MemberLeaves,
    RequirementChange,
    SolverOptionsEdit,
)

Data = dict[str, Any]


class EditError(ProcureError):
    """An edit cannot apply to the scenario it is given (the message names the edit and
    the missing reference)."""


def _fail(edit: Edit, message: str) -> EditError:
    return EditError(f"{edit.edit} ({edit.describe()}): {message}")


def _ids(rows: list[Data]) -> list[str]:
    return [str(r["id"]) for r in rows]


def _member_ids(data: Data) -> list[str]:
    return _ids(data.get("members") or [])


def _need_member(data: Data, edit: Edit, member: str) -> None:
    if member not in _member_ids(data):
        raise _fail(edit, f"no member {member!r} in the scenario")


def _program(data: Data, edit: Edit, program: str) -> Data:
    for p in data.get("programs") or []:
        if p["id"] == program:
            return p  # type: ignore[no-any-return]
    raise _fail(edit, f"no program {program!r} in the scenario")


def _eligible_count(data: Data, program: Data) -> int:
    """Members that may join ``program``: eligible (all when no list), not excluded."""
    members = _member_ids(data)
    allowed = program.get("eligible")
    barred = set(program.get("excluded") or [])
    return sum(1 for m in members
               if (allowed is None or m in allowed) and m not in barred)


def _year_of(key: Any) -> int:
    return int(key)


# ---------------------------------------------------------------------------------------
# one function per edit kind (each changes ``data`` in place: apply_edits gives it a copy)


def _drop_keys(rule: Data | None, member: str) -> None:
    """Remove ``member`` from a cost-share rule's explicit key, caps and floors."""
    if not rule:
        return
    if isinstance(rule.get("key"), dict):
        rule["key"].pop(member, None)
    for field in ("caps", "floors"):
        if isinstance(rule.get(field), dict):
            rule[field].pop(member, None)


def member_leaves(data: Data, edit: MemberLeaves) -> None:
    """Remove member ``edit.member`` and everything that refers to it.

    - the member itself, and its requirements;
    - every program it leads;
    - in every other program: its work fraction in ``producers`` (the others' fractions
      are scaled up to sum to 1 again; none left: ``producers`` is dropped, all work goes
      to the lead), its place in ``eligible`` and ``excluded``, its
      ``unit_cost_by_member`` price, its weight, cap and floor in the program's
      ``cost_share``; a program that is then left with fewer eligible members than its
      ``min_participants`` can never launch and is removed too;
    - its weight, cap and floor in the scenario's default ``cost_share``;
    - logistics: its basing rights, its stocks, its movements, the lift fleets it owns,
      cross-servicing agreements it provides or receives, and its entitlement in pooled
      fleets (a pooled fleet whose only entitled member was this one is removed: an empty
      entitlement list would open it to every member).

    Requirements of other members stay, even when only a removed program could meet them
    (the model reports them short). Locations the member hosts stay: ``host`` names a
    country, which remains where it is.
    """
    m = edit.member
    _need_member(data, edit, m)
    data["members"] = [x for x in data["members"] if x["id"] != m]
    data["requirements"] = [r for r in data.get("requirements") or [] if r["member"] != m]
    kept: list[Data] = []
    for p in data.get("programs") or []:
        if p["lead"] == m:
            continue
        producers = p.get("producers")
        if isinstance(producers, dict) and m in producers:
            producers.pop(m)
            total = sum(float(v) for v in producers.values())
            if not producers or total <= 0:
                p["producers"] = None
            else:
                p["producers"] = {k: float(v) / total for k, v in producers.items()}
        if p.get("eligible") is not None:
            p["eligible"] = [x for x in p["eligible"] if x != m]
        if p.get("excluded"):
            p["excluded"] = [x for x in p["excluded"] if x != m]
        if isinstance(p.get("unit_cost_by_member"), dict):
            p["unit_cost_by_member"].pop(m, None)
        _drop_keys(p.get("cost_share"), m)
        if _eligible_count(data, p) < int(p.get("min_participants", 1)):
            continue
        kept.append(p)
    if "programs" in data:
        data["programs"] = kept
    _drop_keys(data.get("cost_share"), m)

    lg = data.get("logistics")
    if not lg:
        return
    lg["basing_rights"] = [r for r in lg.get("basing_rights") or [] if r["member"] != m]
    lg["stocks"] = [s for s in lg.get("stocks") or [] if s["owner"] != m]
    lg["movements"] = [v for v in lg.get("movements") or [] if v["member"] != m]
    lg["cross_servicing"] = [c for c in lg.get("cross_servicing") or []
                             if c["provider"] != m and c["receiver"] != m]
    fleets: list[Data] = []
    for f in lg.get("lift") or []:
        if f.get("owner") == m:
            continue
        ent = f.get("entitlements")
        if ent and m in ent:
            ent.pop(m)
            if not ent:
                continue
        fleets.append(f)
    lg["lift"] = fleets


def member_joins(data: Data, edit: MemberJoins) -> None:
    """Add member ``edit.member`` (appended to ``members``), its requirements (appended to
    ``requirements``), and its id to the ``eligible`` list of each program in
    ``edit.programs`` that has one (a program without a list admits it already)."""
    new = edit.member.model_dump(mode="json")
    if new["id"] in _member_ids(data):
        raise _fail(edit, f"member {new['id']!r} is already in the scenario")
    targets = [_program(data, edit, pid) for pid in edit.programs]
    data["members"].append(new)
    data.setdefault("requirements", [])
    for r in edit.requirements:
        data["requirements"].append({"member": new["id"], **r.model_dump(mode="json")})
    for p in targets:
        if p.get("eligible") is not None and new["id"] not in p["eligible"]:
            p["eligible"].append(new["id"])


def cost_overrun(data: Data, edit: CostOverrun) -> None:
    """Multiply each selected program's yearly ``nrc`` by ``nrc_factor`` and its
    ``unit_cost`` and every ``unit_cost_by_member`` price by ``unit_cost_factor``.
    Selected: the programs listed, every program (``"*"``), or with
    ``multinational: true`` every program with more than one eligible member (eligible
    and not excluded, in the data as it stands when the edit applies)."""
    programs: list[Data] = data.get("programs") or []
    if edit.multinational:
        chosen = [p for p in programs if _eligible_count(data, p) > 1]
    elif edit.programs == "*" or edit.programs is None:
        chosen = list(programs)
    else:
        chosen = [_program(data, edit, pid) for pid in edit.programs]
    for p in chosen:
        if edit.nrc_factor != 1:
            p["nrc"] = {y: float(v) * edit.nrc_factor for y, v in (p.get("nrc") or {}).items()}
        if edit.unit_cost_factor != 1:
            p["unit_cost"] = float(p["unit_cost"]) * edit.unit_cost_factor
            p["unit_cost_by_member"] = {k: float(v) * edit.unit_cost_factor
                                        for k, v in (p.get("unit_cost_by_member") or {}).items()}


def budget_change(data: Data, edit: BudgetChange) -> None:
    """Multiply the ``budgets`` of the members listed (``"*"``: every member that has
    budgets) by ``factor``, in the years listed (omitted: every year). A member listed
    without budgets (no budget limit) is an error; so is a year listed that a member's
    budgets do not hold."""
    members: list[Data] = data["members"]
    if edit.members == "*":
        chosen = [m for m in members if m.get("budgets") is not None]
    else:
        by_id = {m["id"]: m for m in members}
        chosen = []
        for mid in edit.members:
            if mid not in by_id:
                raise _fail(edit, f"no member {mid!r} in the scenario")
            if by_id[mid].get("budgets") is None:
                raise _fail(edit, f"member {mid!r} has no budgets (no budget limit)")
            chosen.append(by_id[mid])
    years = set(edit.years) if edit.years is not None else None
    for m in chosen:
        budgets: Data = m["budgets"]
        if years is not None:
            missing = years - {_year_of(y) for y in budgets}
            if missing:
                raise _fail(edit, f"member {m['id']!r} has no budget for year(s) "
                                  f"{sorted(missing)}")
        m["budgets"] = {y: float(v) * edit.factor if years is None or _year_of(y) in years
                        else v for y, v in budgets.items()}


def capacity_loss(data: Data, edit: CapacityLoss) -> None:
    """Multiply the program's ``capacity_per_year`` by ``factor`` (a scenario holds one
    capacity for every year, so ``years`` cannot be honoured and is an error). A program
    without a capacity (unlimited) gets capacity 0 when ``factor`` is 0, stays unlimited
    when it is 1, and is an error otherwise."""
    p = _program(data, edit, edit.program)
    if edit.years is not None:
        raise _fail(edit, f"program {edit.program!r} has one capacity for every year "
                          "(capacity_per_year): a loss in some years only cannot be expressed")
    cap = p.get("capacity_per_year")
    if cap is None:
        if edit.factor == 0:
            p["capacity_per_year"] = 0.0
        elif edit.factor != 1:
            raise _fail(edit, f"program {edit.program!r} has no capacity limit: a fraction "
                              "of unlimited is still unlimited")
        return
    p["capacity_per_year"] = float(cap) * edit.factor


def delivery_delay(data: Data, edit: DeliveryDelay) -> None:
    """Add ``years`` to the program's ``first_delivery_year`` (a program without one
    delivers from the horizon's first year: it gets ``first_year + years``). A year beyond
    the horizon makes the case invalid (the scenario validation says so)."""
    p = _program(data, edit, edit.program)
    first = p.get("first_delivery_year")
    if first is None:
        first = int(data["horizon"]["first_year"])
    p["first_delivery_year"] = int(first) + edit.years


def basing_withdrawn(data: Data, edit: BasingWithdrawn) -> None:
    """Remove from ``logistics.basing_rights`` every right of ``member`` (``"*"``: any
    member) at ``location`` (``"*"``: any location). Removing nothing is an error."""
    lg = data.get("logistics")
    if not lg:
        raise _fail(edit, "the scenario has no logistics section")
    if edit.member != "*":
        _need_member(data, edit, edit.member)
    if edit.location != "*" and edit.location not in _ids(lg.get("locations") or []):
        raise _fail(edit, f"no location {edit.location!r} in the scenario")
    rights: list[Data] = lg.get("basing_rights") or []
    kept = [r for r in rights if not (edit.member in ("*", r["member"])
                                      and edit.location in ("*", r["location"]))]
    if len(kept) == len(rights):
        raise _fail(edit, f"no basing right of member {edit.member!r} at location "
                          f"{edit.location!r} in the scenario")
    lg["basing_rights"] = kept


def exclusion_added(data: Data, edit: ExclusionAdded) -> None:
    """Add ``member`` to the program's ``excluded`` list (nothing when it is there)."""
    p = _program(data, edit, edit.program)
    _need_member(data, edit, edit.member)
    excluded = list(p.get("excluded") or [])
    if edit.member not in excluded:
        excluded.append(edit.member)
    p["excluded"] = excluded


def _round_half_up(x: float) -> float:
    return float(math.floor(x + 0.5))


def requirement_change(data: Data, edit: RequirementChange) -> None:
    """Change the requirements of ``member`` (``"*"``: every member) for ``capability``
    (``"*"``: every capability):

    - ``factor``: each quantity is multiplied by it; for a capability that is not
      divisible the result is rounded to the nearest whole unit (halves up); a
      requirement that falls below 1e-3 units (or rounds to 0) is removed;
    - ``by_year_shift``: added to each ``by_year``; a requirement moved beyond the
      horizon's last year is removed (it is due after the plan); one moved before the
      first year is due in the first year. Requirements of one member and capability that
      end in the same year are merged, keeping the larger quantity (they are cumulative).

    A member or capability named (not ``"*"``) that the scenario does not hold, or that
    matches no requirement, is an error."""
    if edit.member != "*":
        _need_member(data, edit, edit.member)
    caps = {c["id"]: c for c in data.get("capabilities") or []}
    if edit.capability != "*" and edit.capability not in caps:
        raise _fail(edit, f"no capability {edit.capability!r} in the scenario")
    first = int(data["horizon"]["first_year"])
    last = int(data["horizon"]["last_year"])

    def matches(r: Data) -> bool:
        return (edit.member in ("*", r["member"])
                and edit.capability in ("*", r["capability"]))

    reqs: list[Data] = data.get("requirements") or []
    if (edit.member != "*" or edit.capability != "*") and not any(matches(r) for r in reqs):
        raise _fail(edit, f"no requirement of member {edit.member!r} for capability "
                          f"{edit.capability!r} in the scenario")
    out: list[Data] = []
    where: dict[tuple[str, str, int], int] = {}
    for r in reqs:
        if matches(r):
            r = dict(r)
            if edit.factor is not None:
                q = float(r["quantity"]) * edit.factor
                cap = caps.get(r["capability"])
                if cap is not None and not cap.get("divisible", False):
                    q = _round_half_up(q)
                if q < MIN_QUANTITY:
                    continue
                r["quantity"] = q
            if edit.by_year_shift:
                y = int(r["by_year"]) + edit.by_year_shift
                if y > last:
                    continue
                r["by_year"] = max(y, first)
        key = (r["member"], r["capability"], int(r["by_year"]))
        if key in where:
            kept = out[where[key]]
            kept["quantity"] = max(float(kept["quantity"]), float(r["quantity"]))
            continue
        where[key] = len(out)
        out.append(r)
    data["requirements"] = out


_APPLY: dict[type[Any], Callable[[Data, Any], None]] = {
    MemberLeaves: member_leaves,
    MemberJoins: member_joins,
    CostOverrun: cost_overrun,
    BudgetChange: budget_change,
    CapacityLoss: capacity_loss,
    DeliveryDelay: delivery_delay,
    BasingWithdrawn: basing_withdrawn,
    ExclusionAdded: exclusion_added,
    RequirementChange: requirement_change,
}


def apply_edits(data: Data, edits: Sequence[Edit]) -> Data:
    """A deep copy of the scenario data ``data`` with ``edits`` applied in order
    (``solver_options`` edits skipped). ``data`` itself is never changed. Raises
    :class:`EditError` when an edit cannot apply; the result is not validated."""
    out: Data = copy.deepcopy(dict(data))
    for e in edits:
        if isinstance(e, SolverOptionsEdit):
            continue
        _APPLY[type(e)](out, e)
    return out

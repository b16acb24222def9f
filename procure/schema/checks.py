"""Cross-reference checks of a scenario: every id and year must resolve.

Each problem names the path of the offending field and quotes its value, e.g.
``programs[2] (id 'MRTT').capability: unknown capability 'AAR2'``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from procure.errors import Problem
from procure.schema.base import MAX_KEY_SPREAD

if TYPE_CHECKING:
    from procure.schema.scenario import CostShare, Scenario


def _dupes(ids: Iterable[str]) -> list[str]:
    return sorted(k for k, n in Counter(ids).items() if n > 1)


def _unknown(path: str, kind: str, value: object, known: set[str]) -> Problem:
    hint = ", ".join(sorted(known)[:8]) + (" ..." if len(known) > 8 else "")
    return Problem(path, f"unknown {kind} {value!r} (known: {hint})")


def cross_reference_problems(s: Scenario) -> list[Problem]:
    """Every problem with ids, references and years in ``s``; empty when consistent."""
    out: list[Problem] = []
    members = {m.id for m in s.members}
    caps = {c.id for c in s.capabilities}
    years = set(s.horizon.years)
    y0, y1 = s.horizon.first_year, s.horizon.last_year

    for kind, ids in (
        ("members", [m.id for m in s.members]),
        ("capabilities", [c.id for c in s.capabilities]),
        ("programs", [p.id for p in s.programs]),
    ):
        for d in _dupes(ids):
            out.append(Problem(kind, f"duplicate id {d!r}"))

    def year_ok(path: str, y: int) -> None:
        if y not in years:
            out.append(Problem(path, f"year {y} is outside the horizon {y0}-{y1}"))

    def members_ok(path: str, ids: Iterable[str]) -> None:
        for mid in ids:
            if mid not in members:
                out.append(_unknown(path, "member", mid, members))

    for i, m in enumerate(s.members):
        at = f"members[{i}] (id {m.id!r})"
        if m.budgets is not None:
            for y in m.budgets:
                year_ok(f"{at}.budgets[{y}]", y)
            missing = sorted(years - set(m.budgets))
            if missing:
                out.append(
                    Problem(f"{at}.budgets", f"no budget for year(s) {missing}; list every "
                            "horizon year or omit budgets")
                )
        c = m.constraints
        for j, cap in enumerate(c.sovereign):
            if cap not in caps:
                out.append(_unknown(f"{at}.constraints.sovereign[{j}]", "capability", cap, caps))
        for cap in c.max_single_foreign_share_by_capability:
            if cap not in caps:
                out.append(
                    _unknown(f"{at}.constraints.max_single_foreign_share_by_capability",
                             "capability", cap, caps)
                )

    gdp = {m.id: m.gdp for m in s.members}

    def key_spread_ok(path: str, cs: CostShare) -> None:
        """A key rule's positive weights span at most MAX_KEY_SPREAD (checked on the whole
        key: which members meet in a launch is the plan's choice)."""
        if cs.rule != "key":
            return
        weights = dict(cs.key) if isinstance(cs.key, dict) else gdp
        positive = {m: w for m, w in weights.items() if w > 0}
        if len(positive) < 2:
            return
        lo = min(positive, key=positive.__getitem__)
        hi = max(positive, key=positive.__getitem__)
        if positive[hi] > MAX_KEY_SPREAD * positive[lo]:
            where = f"{path}.key" if isinstance(cs.key, dict) else (
                f"members[{[m.id for m in s.members].index(lo)}] (id {lo!r}).gdp")
            what = "key weights" if isinstance(cs.key, dict) else f"GDPs (the key of {path})"
            out.append(Problem(where, f"{what} span {positive[hi] / positive[lo]:.3g}: from "
                               f"{positive[lo]:g} ({lo!r}) to {positive[hi]:g} ({hi!r}); at "
                               f"most {MAX_KEY_SPREAD:g} is supported (the key rule's model "
                               "scales shares by the largest over the smallest weight)"))

    def cost_share_ok(path: str, cs: CostShare) -> None:
        key_spread_ok(path, cs)
        if isinstance(cs.key, dict):
            members_ok(f"{path}.key", cs.key)
        members_ok(f"{path}.caps", cs.caps)
        members_ok(f"{path}.floors", cs.floors)
        for mid, f in cs.floors.items():
            if mid in cs.caps and cs.caps[mid] < f:
                out.append(Problem(f"{path}.floors.{mid}",
                                   f"floor {f} is above the cap {cs.caps[mid]}"))

    cost_share_ok("cost_share", s.cost_share)

    for i, p in enumerate(s.programs):
        at = f"programs[{i}] (id {p.id!r})"
        if p.capability not in caps:
            out.append(_unknown(f"{at}.capability", "capability", p.capability, caps))
        if p.lead not in members:
            out.append(_unknown(f"{at}.lead", "member", p.lead, members))
        if p.producers is not None:
            members_ok(f"{at}.producers", p.producers)
            total = sum(p.producers.values())
            if abs(total - 1.0) > 1e-6:
                out.append(Problem(f"{at}.producers", f"work fractions sum to {total:g}, not 1"))
        for y in p.nrc:
            year_ok(f"{at}.nrc[{y}]", y)
        members_ok(f"{at}.unit_cost_by_member", p.unit_cost_by_member)
        if p.first_delivery_year is not None:
            year_ok(f"{at}.first_delivery_year", p.first_delivery_year)
        if p.eligible is not None:
            members_ok(f"{at}.eligible", p.eligible)
            for d in _dupes(p.eligible):
                out.append(Problem(f"{at}.eligible", f"member {d!r} listed twice"))
        members_ok(f"{at}.excluded", p.excluded)
        if p.cost_share is not None:
            cost_share_ok(f"{at}.cost_share", p.cost_share)
        if not out or all(not pr.path.startswith(at) for pr in out):
            n_elig = len(s.eligible_members(p))
            if p.min_participants > n_elig:
                out.append(Problem(f"{at}.min_participants",
                                   f"{p.min_participants} exceeds the {n_elig} eligible member(s)"))

    cap_by_id = {c.id: c for c in s.capabilities}
    for i, r in enumerate(s.requirements):
        at = f"requirements[{i}]"
        if r.member not in members:
            out.append(_unknown(f"{at}.member", "member", r.member, members))
        if r.capability not in caps:
            out.append(_unknown(f"{at}.capability", "capability", r.capability, caps))
        year_ok(f"{at}.by_year", r.by_year)
        capdef = cap_by_id.get(r.capability)
        if capdef is not None and not capdef.divisible and r.quantity != round(r.quantity):
            out.append(Problem(f"{at}.quantity", f"{r.quantity:g} is not a whole number of "
                               f"{capdef.unit}s (capability {capdef.id!r} is not divisible)"))
    seen: dict[tuple[str, str, int], int] = {}
    for i, r in enumerate(s.requirements):
        key = (r.member, r.capability, r.by_year)
        if key in seen:
            out.append(Problem(f"requirements[{i}]", f"duplicates requirements[{seen[key]}] "
                               f"({r.member}, {r.capability}, by {r.by_year})"))
        seen[key] = i
    return out


def logistics_problems(s: Scenario) -> list[Problem]:
    """Every problem with ids, references and days in ``s.logistics``; empty when consistent."""
    lg = s.logistics
    if lg is None:
        return []
    out: list[Problem] = []
    members = {m.id for m in s.members}
    locs = {loc.id: loc for loc in lg.locations}
    items = {it.id for it in lg.items}
    at0 = "logistics"
    for kind, ids in (("locations", [x.id for x in lg.locations]),
                      ("items", [x.id for x in lg.items]),
                      ("lift", [x.id for x in lg.lift]),
                      ("movements", [x.id for x in lg.movements])):
        for d in _dupes(ids):
            out.append(Problem(f"{at0}.{kind}", f"duplicate id {d!r}"))

    def ref(path: str, kind: str, value: str, known: Collection[str]) -> None:
        if value not in known:
            out.append(_unknown(path, kind, value, set(known)))

    for i, loc in enumerate(lg.locations):
        if loc.mog is not None and loc.kind != "airbase":
            out.append(Problem(f"{at0}.locations[{i}] (id {loc.id!r}).mog",
                               f"only airbases have a MOG (kind is {loc.kind!r})"))
    for i, br in enumerate(lg.basing_rights):
        ref(f"{at0}.basing_rights[{i}].member", "member", br.member, members)
        ref(f"{at0}.basing_rights[{i}].location", "location", br.location, locs)
    for i, st in enumerate(lg.stocks):
        ref(f"{at0}.stocks[{i}].owner", "member", st.owner, members)
        ref(f"{at0}.stocks[{i}].location", "location", st.location, locs)
        ref(f"{at0}.stocks[{i}].item", "item", st.item, items)
    for i, cs in enumerate(lg.cross_servicing):
        ref(f"{at0}.cross_servicing[{i}].provider", "member", cs.provider, members)
        ref(f"{at0}.cross_servicing[{i}].receiver", "member", cs.receiver, members)
        for j, it in enumerate(cs.items or []):
            ref(f"{at0}.cross_servicing[{i}].items[{j}]", "item", it, items)
    for i, ln in enumerate(lg.links):
        at = f"{at0}.links[{i}]"
        ref(f"{at}.origin", "location", ln.origin, locs)
        ref(f"{at}.destination", "location", ln.destination, locs)
        if ln.origin == ln.destination:
            out.append(Problem(at, f"a link from {ln.origin!r} to itself"))
        if ln.mode == "air":
            for end in (ln.origin, ln.destination):
                if end in locs and locs[end].kind != "airbase":
                    out.append(Problem(f"{at}.mode", f"air link end {end!r} is a "
                                       f"{locs[end].kind}, not an airbase"))
    for i, la in enumerate(lg.lift):
        at = f"{at0}.lift[{i}] (id {la.id!r})"
        if la.owner is not None:
            ref(f"{at}.owner", "member", la.owner, members)
            if la.entitlements:
                out.append(Problem(f"{at}.entitlements", "an owned fleet has no entitlements; "
                                   "omit owner for a pooled fleet"))
        for m in la.entitlements:
            ref(f"{at}.entitlements", "member", m, members)
    for i, mv in enumerate(lg.movements):
        at = f"{at0}.movements[{i}] (id {mv.id!r})"
        ref(f"{at}.member", "member", mv.member, members)
        ref(f"{at}.item", "item", mv.item, items)
        ref(f"{at}.destination", "location", mv.destination, locs)
        if mv.origin is not None:
            ref(f"{at}.origin", "location", mv.origin, locs)
        if mv.rdd >= lg.horizon_days:
            out.append(Problem(f"{at}.rdd", f"day {mv.rdd} is beyond the {lg.horizon_days}-day "
                               "horizon (days run from 0 to horizon_days - 1)"))
    return out

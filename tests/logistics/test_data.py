"""Logistics data: the bundled eastern-flank reinforcement scenario and the synthetic
network generator (determinism, validity at every size, single-commodity instances)."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import pytest

from procure.io import load_scenario
from procure.logistics.generate import generate_network, generate_single_commodity
from procure.schema import Scenario

REPO = Path(__file__).resolve().parents[2]
REINFORCEMENT = REPO / "procure" / "data" / "reinforcement.yaml"
SAMPLE = REPO / "procure" / "data" / "sample_alliance.yaml"

# (lat_min, lat_max, lon_min, lon_max) of each host country used (mainland, generous
# by a few km; keyed by member id, so the United Kingdom is UK)
COUNTRY_BOX: dict[str, tuple[float, float, float, float]] = {
    "UK": (49.8, 60.9, -8.7, 1.8),
    "FR": (42.3, 51.1, -4.8, 8.3),
    "DE": (47.2, 55.1, 5.8, 15.1),
    "NL": (50.7, 53.6, 3.3, 7.3),
    "BE": (49.5, 51.6, 2.5, 6.4),
    "IT": (36.6, 47.1, 6.6, 18.6),
    "ES": (36.0, 43.8, -9.4, 3.4),
    "SE": (55.3, 69.1, 11.0, 24.2),
    "NO": (57.9, 71.2, 4.6, 31.1),
    "PL": (49.0, 54.9, 14.1, 24.2),
    "LT": (53.9, 56.5, 20.9, 26.9),
    "LV": (55.6, 58.1, 20.9, 28.3),
    "EE": (57.5, 59.7, 21.7, 28.2),
    "RO": (43.6, 48.3, 20.2, 29.8),
    "HU": (45.7, 48.6, 16.1, 22.9),
    "GR": (34.8, 41.8, 19.3, 29.7),
}

# public coordinates of datasets/reference.md, which the dataset must use
REFERENCE_COORDS: dict[str, tuple[float, float]] = {
    "LHPA": (47.364, 17.501), "EHEH": (51.450, 5.375), "ETAR": (49.437, 7.600),
    "ETNG": (50.961, 6.042), "EPRZ": (50.110, 22.019), "EEEI": (59.260, 24.209),
    "EYSA": (55.894, 23.395), "LRCK": (44.362, 28.488), "LIPA": (46.032, 12.597),
    "LERT": (36.645, -6.349), "ROTTERDAM": (51.923, 4.479),
    "BREMERHAVEN": (53.554, 8.576), "GDANSK": (54.352, 18.649),
    "CONSTANTA": (44.181, 28.634), "ALEXANDROUPOLI": (40.850, 25.876),
}


@pytest.fixture(scope="module")
def reinforcement() -> Scenario:
    return load_scenario(REINFORCEMENT)


# -- helpers ---------------------------------------------------------------------------


def _usable_sources(s: Scenario, mv_index: int) -> set[str]:
    """Locations holding stock the movement may draw, where its member holds a right."""
    lg = s.logistics
    assert lg is not None
    mv = lg.movements[mv_index]
    providers = {mv.member} | {
        cs.provider for cs in lg.cross_servicing
        if cs.receiver == mv.member and (cs.items is None or mv.item in cs.items)}
    rights = {br.location for br in lg.basing_rights if br.member == mv.member and br.transit}
    return {st.location for st in lg.stocks
            if st.item == mv.item and st.owner in providers and st.quantity > 0
            and (mv.origin is None or st.location == mv.origin) and st.location in rights}


def _reachable_within_rights(s: Scenario, member: str, sources: set[str],
                             ok: set[str] | None = None) -> set[str]:
    """Locations reachable from ``sources`` over links whose both ends the member may use
    (``ok``: the member's transit locations, if already known)."""
    lg = s.logistics
    assert lg is not None
    if ok is None:
        ok = {br.location for br in lg.basing_rights if br.member == member and br.transit}
    adj: dict[str, list[str]] = {}
    for ln in lg.links:
        if ln.origin in ok and ln.destination in ok:
            adj.setdefault(ln.origin, []).append(ln.destination)
            if ln.bidirectional:
                adj.setdefault(ln.destination, []).append(ln.origin)
    seen = set(sources)
    todo = deque(sources)
    while todo:
        u = todo.popleft()
        for w in adj.get(u, []):
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return seen


def _check_network(s: Scenario, days: int) -> None:
    """What every generated network promises, whatever its size."""
    lg = s.logistics
    assert lg is not None
    assert lg.horizon_days == days
    assert not s.capabilities and not s.programs and not s.requirements
    kinds = {loc.id: loc.kind for loc in lg.locations}
    assert "depot" in kinds.values() and "theatre" in kinds.values()
    for loc in lg.locations:
        assert 36.0 <= loc.lat <= 62.0 and -10.0 <= loc.lon <= 30.0
        assert (loc.mog is not None) == (loc.kind == "airbase")
    # the link graph is connected (ignoring direction) and every air link joins airbases
    adj: dict[str, set[str]] = {v: set() for v in kinds}
    for ln in lg.links:
        adj[ln.origin].add(ln.destination)
        adj[ln.destination].add(ln.origin)
        if ln.mode == "air":
            assert kinds[ln.origin] == kinds[ln.destination] == "airbase"
    start = lg.locations[0].id
    seen, todo = {start}, [start]
    while todo:
        for w in adj[todo.pop()]:
            if w not in seen:
                seen.add(w)
                todo.append(w)
    assert seen == set(kinds)
    # every movement: a usable stock, a right at its destination and a route within rights
    ok: dict[str, set[str]] = {}
    for br in lg.basing_rights:
        if br.transit:
            ok.setdefault(br.member, set()).add(br.location)
    stocks: dict[tuple[str, str], set[str]] = {}
    for st in lg.stocks:
        if st.quantity > 0:
            stocks.setdefault((st.owner, st.item), set()).add(st.location)
    reach: dict[tuple[str, str], set[str]] = {}
    for mv in lg.movements:
        assert mv.rdd <= days - 1
        mine = ok.get(mv.member, set())
        assert mv.destination in mine, mv.id
        providers = {mv.member} | {
            cs.provider for cs in lg.cross_servicing
            if cs.receiver == mv.member and (cs.items is None or mv.item in cs.items)}
        sources = {v for p in providers for v in stocks.get((p, mv.item), set())
                   if v in mine and (mv.origin is None or v == mv.origin)}
        assert sources, mv.id
        key = (mv.member, ",".join(sorted(sources)))
        if key not in reach:
            reach[key] = _reachable_within_rights(s, mv.member, sources, mine)
        assert mv.destination in reach[key], mv.id


# -- the reinforcement scenario ------------------------------------------------------------


def test_reinforcement_loads_and_has_the_promised_size(reinforcement: Scenario) -> None:
    s = reinforcement
    lg = s.logistics
    assert lg is not None
    assert (s.horizon.first_year, s.horizon.last_year) == (2026, 2026)
    assert not s.capabilities and not s.programs and not s.requirements
    assert lg.horizon_days == 30
    assert len(lg.locations) <= 45
    assert len(lg.links) <= 120
    assert len(lg.items) >= 6
    assert len(lg.cross_servicing) >= 2
    assert len(lg.movements) >= 25
    movers = {mv.member for mv in lg.movements}
    assert len(movers) >= 10
    assert {mv.origin is None for mv in lg.movements} == {True, False}
    assert {1, 2, 3, 4, 5} >= {mv.priority for mv in lg.movements}
    assert {ln.mode for ln in lg.links} == {"air", "sea", "rail", "road"}
    assert {f.mode for f in lg.lift} == {"air", "sea", "rail", "road"}
    sac = next(f for f in lg.lift if f.id == "SAC_C17")
    assert (sac.payload_tons, sac.available, sac.owner) == (77, 3, None)
    assert sac.entitlements["US"] > sac.entitlements["SE"] > sac.entitlements["NL"]


def test_the_symlink_points_at_the_bundled_file() -> None:
    link = REPO / "datasets" / "reinforcement.yaml"
    assert link.is_symlink()
    assert link.resolve() == REINFORCEMENT.resolve()
    assert load_scenario(link) == load_scenario(REINFORCEMENT)


def test_members_are_the_sample_alliance_members(reinforcement: Scenario) -> None:
    sample = load_scenario(SAMPLE)
    expected = {m.id: (m.name, m.gdp) for m in sample.members}
    got = {m.id: (m.name, m.gdp) for m in reinforcement.members}
    assert set(got) <= set(expected)
    for mid, value in got.items():
        assert value == expected[mid], mid


def test_reference_coordinates_are_used_unchanged(reinforcement: Scenario) -> None:
    assert reinforcement.logistics is not None
    locs = {loc.id: loc for loc in reinforcement.logistics.locations}
    for lid, (lat, lon) in REFERENCE_COORDS.items():
        assert (locs[lid].lat, locs[lid].lon) == (lat, lon), lid


def test_every_coordinate_lies_in_its_host_country(reinforcement: Scenario) -> None:
    assert reinforcement.logistics is not None
    for loc in reinforcement.logistics.locations:
        assert loc.host in COUNTRY_BOX, f"{loc.id}: no box for host {loc.host}"
        lat0, lat1, lon0, lon1 = COUNTRY_BOX[loc.host]
        assert lat0 <= loc.lat <= lat1 and lon0 <= loc.lon <= lon1, (
            f"{loc.id} ({loc.lat}, {loc.lon}) is outside {loc.host}")


def test_kinds_and_airbase_parameters(reinforcement: Scenario) -> None:
    assert reinforcement.logistics is not None
    for loc in reinforcement.logistics.locations:
        if loc.kind == "airbase":
            assert loc.mog is not None and 2 <= loc.mog <= 12, loc.id
            assert 1 <= loc.turns_per_day <= 3, loc.id
        else:
            assert loc.mog is None, loc.id
        assert loc.storage_tons is not None and loc.throughput_tons_per_day is not None


def test_windows_are_ordered_inside_the_horizon(reinforcement: Scenario) -> None:
    lg = reinforcement.logistics
    assert lg is not None
    for mv in lg.movements:
        assert 0 <= mv.rld <= mv.ald <= mv.ead <= mv.lad <= mv.rdd <= 29, mv.id
        assert 1 <= mv.priority <= 5, mv.id


def test_movers_hold_rights_on_their_way(reinforcement: Scenario) -> None:
    s = reinforcement
    lg = s.logistics
    assert lg is not None
    rights = {(br.member, br.location): br for br in lg.basing_rights}
    for r, mv in enumerate(lg.movements):
        dest = rights.get((mv.member, mv.destination))
        assert dest is not None and dest.transit and dest.storage, mv.id
        if mv.origin is not None:
            assert (mv.member, mv.origin) in rights, mv.id
        sources = _usable_sources(s, r)
        assert sources, f"{mv.id}: no stock its member may draw"
        assert mv.destination in _reachable_within_rights(s, mv.member, sources), mv.id


def test_stocks_cover_the_demand(reinforcement: Scenario) -> None:
    lg = reinforcement.logistics
    assert lg is not None
    held: dict[tuple[str, str], float] = {}
    for st in lg.stocks:
        held[st.owner, st.item] = held.get((st.owner, st.item), 0.0) + st.quantity
    # own stock first, then cross-servicing providers' (members' own lines served first)
    order = sorted(lg.movements, key=lambda mv: not any(
        cs.receiver == mv.member for cs in lg.cross_servicing))
    for mv in order:
        need = mv.quantity
        owners = [mv.member] + [cs.provider for cs in lg.cross_servicing
                                if cs.receiver == mv.member
                                and (cs.items is None or mv.item in cs.items)]
        for owner in owners:
            take = min(need, held.get((owner, mv.item), 0.0))
            held[owner, mv.item] = held.get((owner, mv.item), 0.0) - take
            need -= take
        assert need == 0, mv.id


def test_the_restrictions_bite(reinforcement: Scenario) -> None:
    """The basing-right gaps documented in datasets/reinforcement.md are there."""
    lg = reinforcement.logistics
    assert lg is not None
    rights = {(br.member, br.location): br for br in lg.basing_rights}
    for member, location in [("UK", "ROTTERDAM"), ("UK", "BREMERHAVEN"), ("UK", "GDANSK"),
                             ("NO", "GDANSK"), ("NO", "POZNAN"), ("SE", "GDANSK"),
                             ("US", "CONSTANTA"), ("US", "BUDAPEST")]:
        assert (member, location) not in rights
    assert not rights["ES", "EYSA"].storage
    assert not rights["NO", "KAUNAS"].storage
    assert sum(br.max_share is not None for br in lg.basing_rights) >= 2


# -- the synthetic generator ---------------------------------------------------------------


def test_same_seed_same_network() -> None:
    a = generate_network(8, 40, 4, 60, seed=11)
    b = generate_network(8, 40, 4, 60, seed=11)
    assert a == b
    assert a.model_dump() == b.model_dump()


def test_different_seed_different_network() -> None:
    assert generate_network(8, 40, 4, 60, seed=1) != generate_network(8, 40, 4, 60, seed=2)


GRID = [
    # members, locations, items, movements, days
    (2, 5, 1, 0, 30),
    (2, 5, 1, 12, 30),
    (3, 12, 2, 30, 10),
    (5, 30, 3, 80, 30),
    (20, 120, 6, 400, 30),
    (50, 300, 10, 1500, 60),
    (200, 400, 8, 2000, 30),
]


@pytest.mark.parametrize(("members", "locations", "items", "movements", "days"), GRID)
def test_generated_networks_validate(members: int, locations: int, items: int,
                                     movements: int, days: int) -> None:
    s = generate_network(members, locations, items, movements, days, seed=members + locations)
    assert s.logistics is not None
    assert len(s.members) == members
    assert len(s.logistics.locations) == locations
    assert len(s.logistics.items) == items
    assert len(s.logistics.movements) == movements
    Scenario.model_validate(s.model_dump())  # round-trips through plain data
    _check_network(s, days)


@pytest.mark.slow
def test_largest_network_validates() -> None:
    s = generate_network(200, 2000, 20, 10_000, seed=5)
    assert s.logistics is not None
    assert len(s.logistics.movements) == 10_000
    _check_network(s, 30)


def test_lift_switch_and_pooled_fleets() -> None:
    with_lift = generate_network(10, 60, 3, 100, seed=4)
    without = generate_network(10, 60, 3, 100, seed=4, lift=False)
    assert with_lift.logistics is not None and without.logistics is not None
    assert without.logistics.lift == []
    pooled = [f for f in with_lift.logistics.lift if f.owner is None]
    assert pooled and all(f.entitlements for f in pooled)
    assert any(f.owner is not None for f in with_lift.logistics.lift)
    # switching lift off leaves the rest unchanged
    assert with_lift.logistics.model_copy(update={"lift": []}) == without.logistics


def test_rights_density_bounds() -> None:
    full = generate_network(4, 25, 2, 20, seed=3, rights_density=1.0)
    sparse = generate_network(4, 25, 2, 20, seed=3, rights_density=0.0)
    assert full.logistics is not None and sparse.logistics is not None
    assert len(full.logistics.basing_rights) == 4 * 25
    assert len(sparse.logistics.basing_rights) < len(full.logistics.basing_rights)
    _check_network(sparse, 30)


@pytest.mark.parametrize("bad", [
    {"members": 1}, {"members": 201}, {"locations": 4}, {"locations": 2001},
    {"items": 0}, {"movements": -1}, {"movements": 10_001}, {"days": 0},
    {"rights_density": 1.5},
])
def test_generator_refuses_out_of_range_sizes(bad: dict[str, float]) -> None:
    args: dict[str, float] = {"members": 3, "locations": 10, "items": 2, "movements": 5,
                              "days": 30, "rights_density": 0.8}
    args.update(bad)
    with pytest.raises(ValueError):
        generate_network(int(args["members"]), int(args["locations"]), int(args["items"]),
                         int(args["movements"]), int(args["days"]),
                         rights_density=args["rights_density"])


@pytest.mark.parametrize("seed", range(12))
def test_single_commodity_instances(seed: int) -> None:
    s = generate_single_commodity(seed, nodes=4 + seed)
    lg = s.logistics
    assert lg is not None
    assert len(s.members) == 1 and len(lg.items) == 1
    assert lg.lift == []
    assert lg.cross_servicing == []
    assert len(lg.locations) == 4 + seed
    assert all(loc.kind != "airbase" for loc in lg.locations)
    for ln in lg.links:
        assert ln.transit_days is not None and 0 <= ln.transit_days <= 3
        assert ln.cost_per_ton is not None and ln.cost_per_ton == int(ln.cost_per_ton)
        assert ln.capacity_tons_per_day is not None
    assert lg.stocks and lg.movements
    assert len({mv.ald for mv in lg.movements}) == 1
    assert len({mv.destination for mv in lg.movements}) == len(lg.movements)
    assert not {mv.destination for mv in lg.movements} & {st.location for st in lg.stocks}
    for mv in lg.movements:
        assert mv.rdd < lg.horizon_days
    assert generate_single_commodity(seed, nodes=4 + seed) == s


def test_single_commodity_is_connected() -> None:
    for seed in range(20):
        s = generate_single_commodity(seed)
        lg = s.logistics
        assert lg is not None
        sources = {st.location for st in lg.stocks}
        reach = _reachable_within_rights(s, "A", sources)
        assert reach == {loc.id for loc in lg.locations}


def test_reinforcement_plan_is_checked_and_names_bottlenecks() -> None:
    """The realistic scenario under a short limit: an honest status with a gap, a plan the
    evaluator accepts, and bottlenecks that are real capacities of the scenario."""
    from procure.backends import SolveOptions
    from procure.logistics import solve as solve_movements

    s = load_scenario(REINFORCEMENT)
    res = solve_movements(s, options=SolveOptions(time_limit=15))
    assert str(res.status) in ("optimal", "feasible")
    if str(res.status) == "feasible":
        assert res.gap is not None and res.bound is not None
        assert res.objective is not None and res.bound <= res.objective + 1e-6
    assert res.evaluation is not None and res.evaluation.feasible
    assert res.objective == pytest.approx(res.evaluation.objective, rel=1e-6)
    bn = res.tables["bottlenecks"]
    assert len(bn) > 0
    assert s.logistics is not None
    locs = {loc.id for loc in s.logistics.locations}
    names = {f.id for f in s.logistics.lift} | locs | {
        f"{a}->{b}" for ln in s.logistics.links
        for a, b in ((ln.origin, ln.destination), (ln.destination, ln.origin))}
    assert set(bn.resource) <= names
    assert (bn.value_money >= 0).all() and (bn.value_service >= 0).all()
    # a value's range holds the capacity it was computed at (fleets and MOG: the peak day)
    valued = bn[(bn.value_money > 0) | (bn.value_service > 0)]
    assert valued.value_day.notna().all()
    assert (valued.holds_from <= valued.capacity + 1e-6).all()
    assert (valued.holds_to >= valued.capacity - 1e-6).all()

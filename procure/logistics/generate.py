"""Synthetic logistics scenarios of any size, for tests, sweeps and benchmarks.

:func:`generate_network` draws a validated :class:`~procure.schema.Scenario` whose
``logistics`` section is a coalition movement problem (no capabilities, programs or
requirements). It uses seeded :class:`numpy.random.Generator` streams only (five
children of one ``SeedSequence(seed)``: geometry and links, members and stocks,
movements, basing rights, lift), so the same arguments always give the same
scenario. What is drawn, and from which distribution:

- **members**: GDP (USD bn) ~ lognormal(mu=log 100, sigma=1.3), clipped to
  [1, 40 000] and rounded to 0.1; defence spending % of GDP ~ uniform(1.0, 4.0).
- **locations**: location 0 is a depot and location 1 a theatre; every other kind
  is drawn with probabilities depot 0.20, airbase 0.15, seaport 0.10, railhead
  0.20, theatre 0.35. Latitude ~ uniform(36, 62); longitude ~ uniform(-10, 15)
  for depots (the west), uniform(15, 30) for theatres (the east), uniform(-10,
  30) otherwise; rounded to 0.001. Host ~ uniform over members. Storage (tons) is
  omitted (unlimited) with probability 0.3, else ~ uniform(20 000, 200 000) at
  depots and uniform(5 000, 60 000) elsewhere; throughput (tons a day) omitted
  with probability 0.3, else ~ uniform(1 000, 10 000); airbases get a MOG ~
  uniform{2..12} and turns per day ~ uniform{1, 1.5, ..., 3}.
- **links** (all kept connected): a geometric spanning tree (locations in random
  order, each joined to the nearest one already placed), plus links from every
  location to its k = 2 nearest neighbours, plus shortcuts (each airbase to its 2
  nearest and 1 random other airbase, each seaport to its nearest and 1 random
  other seaport, each railhead to 1 random other railhead), without duplicate
  pairs. Mode: air between two airbases, sea between two seaports, otherwise rail
  if the great-circle distance exceeds 250 km and no end is an airbase, else road.
  Tree links are bidirectional; each other link is one-way (in a random direction)
  with probability 0.1. With probability 0.3 a link carries explicit parameters:
  transit days = the derived value + uniform{0..2}, cost per ton = the derived
  value x uniform(0.8, 1.5) and, with probability 0.5, a capacity ~ uniform(500,
  5 000) tons a day (derived values: great-circle distance and the default modes,
  as in :func:`procure.logistics.compile.link_params`).
- **items**: cargo class bulk 0.4, oversize 0.2, outsize 0.2, passengers 0.2;
  unit tons ~ lognormal(mu=0, sigma=0.8) clipped to [0.05, 20] (bulk),
  uniform(5, 30) (oversize), uniform(20, 70) (outsize), uniform(0.1, 0.2)
  (passengers); unit m3 = unit tons x uniform(0.8, 3.0).
- **stock sites**: every member has a home depot (one it hosts when there is one,
  else a uniform depot) and a second depot with probability 0.3; 10 % of the
  members (at least one) also hold prepositioned stock at a uniform depot,
  seaport or railhead. A site stocks each item with probability 0.6 (at least one).
- **movements**: member uniform; (site, item) uniform among the member's stock
  entries (the intended source); origin fixed to that site with probability 0.5,
  else omitted; destination a uniform theatre (an airbase with probability 0.15
  when there is one). Tons ~ lognormal(mu=log 300, sigma=1.0); quantity = tons /
  unit tons rounded to a whole number, at least 1. Priority ~ uniform{1..5}.
  Window: with d the shortest transit time (days) from the site to the
  destination over all links, RLD ~ uniform{0..H/3}, ALD = RLD + uniform{0..2},
  EAD = ALD + uniform{0..d}, LAD = max(EAD, ALD + d) + uniform{0..H/4},
  RDD = LAD + uniform{0..H/6}, every day clipped to H - 1 (order kept).
- **stock quantities**: the units the movements ask of each (member, site, item)
  times uniform(1.0, 1.5) (probability 0.9) or uniform(0.5, 1.0) (probability
  0.1, so a few movements fall short), rounded up; entries nothing asks of hold
  uniform{10..500} units.
- **basing rights**: each host at its own locations; each member at its stock
  sites, its destinations and every location on one shortest route (in transit
  days) from each movement's intended site to its destination, with transit and
  storage; and at each other location with probability ``rights_density``; of
  these random-only rights, 5 % are transit only and, at seaports and railheads,
  5 % carry a max_share ~ uniform(0.3, 0.9) rounded to 0.01. So every movement
  has at least one route within its member's rights.
- **cross-servicing**: max(1, members // 10) agreements between distinct uniform
  members; items: all with probability 0.3, else 1-3 uniform items; price per
  unit ~ uniform(0, 0.05), rounded to 0.0001.
- **lift** (when ``lift``): for every mode that has links, a pooled fleet (payload
  air 77, sea 15 000, rail 1 200, road 800 tons) with enough vehicles to carry the
  mode's share of the movements' tonnage in H/2 days (x uniform(1, 2), at least
  2), one sortie a day, and entitlements for every member with movements of
  3 x its tonnage / payload x uniform(1, 2) + 2 sorties, rounded up; plus, for 15 %
  of the members (at least one), an owned fleet of a uniform mode with links:
  payload ~ uniform{19, 37, 45, 77} (air), {10 000, 15 000, 20 000} (sea),
  {1 000, 1 500} (rail), {300, 1 500} (road), 1-4 vehicles, 1 or 2 sorties a day.

:func:`generate_single_commodity` draws a small one-member, one-item instance
without lift for differential tests against a min-cost-flow solver (see its
docstring).
"""

from __future__ import annotations

import math

import numpy as np

from procure.geo import great_circle_km
from procure.lp.model import FloatArray
from procure.schema.logistics import (
    DEFAULT_MODES,
    BasingRight,
    CargoClass,
    CrossServicing,
    Item,
    LiftAsset,
    Link,
    Location,
    LocationKind,
    Logistics,
    Mode,
    Movement,
    Stock,
)
from procure.schema.scenario import Horizon, Member, Scenario

FIRST_YEAR = 2026
LAT_BOX = (36.0, 62.0)
LON_BOX = (-10.0, 30.0)

_KINDS: tuple[LocationKind, ...] = ("depot", "airbase", "seaport", "railhead", "theatre")
_KIND_P = (0.20, 0.15, 0.10, 0.20, 0.35)
_CLASSES: tuple[CargoClass, ...] = ("bulk", "oversize", "outsize", "passengers")
_CLASS_P = (0.4, 0.2, 0.2, 0.2)
_MODES: tuple[Mode, ...] = ("air", "sea", "rail", "road")
_POOL_PAYLOAD: dict[str, float] = {"air": 77.0, "sea": 15_000.0, "rail": 1_200.0, "road": 800.0}
_OWN_PAYLOADS: dict[str, tuple[float, ...]] = {
    "air": (19.0, 37.0, 45.0, 77.0),
    "sea": (10_000.0, 15_000.0, 20_000.0),
    "rail": (1_000.0, 1_500.0),
    "road": (300.0, 1_500.0),
}
_STOCK_KINDS = frozenset({"depot", "seaport", "railhead"})

MAX_MEMBERS = 200
MAX_LOCATIONS = 2000
MAX_ITEMS = 500
MAX_MOVEMENTS = 10_000
_UNREACHED = 1 << 40


def _km_matrix(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Great-circle distances (km) between all pairs of points."""
    return great_circle_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])


def _derived(mode: Mode, km: float) -> tuple[int, float]:
    """Transit days and cost per ton of a link without explicit values (default modes)."""
    md = DEFAULT_MODES[mode]
    return max(md.min_transit_days, math.ceil(km / md.speed_km_per_day)), km * md.cost_per_ton_km


def _check_sizes(members: int, locations: int, items: int, movements: int, days: int,
                 rights_density: float) -> None:
    if not 2 <= members <= MAX_MEMBERS:
        raise ValueError(f"members must be in 2..{MAX_MEMBERS}, got {members}")
    if not 5 <= locations <= MAX_LOCATIONS:
        raise ValueError(f"locations must be in 5..{MAX_LOCATIONS}, got {locations}")
    if not 1 <= items <= MAX_ITEMS:
        raise ValueError(f"items must be in 1..{MAX_ITEMS}, got {items}")
    if not 0 <= movements <= MAX_MOVEMENTS:
        raise ValueError(f"movements must be in 0..{MAX_MOVEMENTS}, got {movements}")
    if not 1 <= days <= 3650:
        raise ValueError(f"days must be in 1..3650, got {days}")
    if not 0.0 <= rights_density <= 1.0:
        raise ValueError(f"rights_density must be in [0, 1], got {rights_density}")


class _Graph:
    """Directed adjacency with integer transit days, for shortest routes."""

    def __init__(self, n: int) -> None:
        self.adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]

    def add(self, a: int, b: int, days: int, both: bool) -> None:
        self.adj[a].append((b, days))
        if both:
            self.adj[b].append((a, days))

    def tree(self, src: int) -> tuple[list[int], list[int]]:
        """Shortest routes from ``src`` (Dial's bucket form of Dijkstra, integer days):
        distance (days) and predecessor of every location (-1: none)."""
        n = len(self.adj)
        dist = [_UNREACHED] * n
        pred = [-1] * n
        dist[src] = 0
        buckets: dict[int, list[int]] = {0: [src]}
        d = 0
        while buckets:
            while d in buckets:  # a zero-day arc may refill the current bucket
                for u in buckets.pop(d):
                    if dist[u] != d:
                        continue
                    for v, w in self.adj[u]:
                        if d + w < dist[v]:
                            dist[v] = d + w
                            pred[v] = u
                            buckets.setdefault(d + w, []).append(v)
            d += 1
        return dist, pred


def generate_network(
    members: int,
    locations: int,
    items: int,
    movements: int,
    days: int = 30,
    seed: int = 0,
    *,
    lift: bool = True,
    rights_density: float = 0.8,
) -> Scenario:
    """Draw a synthetic logistics scenario; the same arguments give the same scenario.

    ``members`` (2..200), ``locations`` (5..2000), ``items`` (1..500) and
    ``movements`` (0..10 000) set the size, ``days`` (1..3650) the horizon. With
    ``lift`` False no fleet is drawn (every mode is then carried without lift).
    ``rights_density`` is the share of the locations a member may use besides those
    it needs. The distributions are listed in the module docstring.
    """
    _check_sizes(members, locations, items, movements, days, rights_density)
    rng_geo, rng_stock, rng_move, rng_right, rng_lift = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5))
    n, nv, ni = members, locations, items
    mids = [f"M{i:0{len(str(n - 1))}d}" for i in range(n)]
    vids = [f"L{i:0{len(str(nv - 1))}d}" for i in range(nv)]
    iids = [f"I{i:0{len(str(ni - 1))}d}" for i in range(ni)]

    # -- members ---------------------------------------------------------------------
    gdp = np.round(np.clip(rng_stock.lognormal(math.log(100.0), 1.3, n), 1.0, 40_000.0), 1)
    pct = np.round(rng_stock.uniform(1.0, 4.0, n), 2)
    member_objs = [Member(id=mids[i], name=f"Member {i}", gdp=float(gdp[i]),
                          defence_spending_pct_gdp=float(pct[i])) for i in range(n)]

    # -- locations -------------------------------------------------------------------
    kind_idx = rng_geo.choice(len(_KINDS), size=nv, p=_KIND_P)
    kind_idx[0], kind_idx[1] = 0, 4
    kinds: list[LocationKind] = [_KINDS[int(k)] for k in kind_idx]
    lat = np.round(rng_geo.uniform(*LAT_BOX, nv), 3)
    lon_all = rng_geo.uniform(*LON_BOX, nv)
    lon_west = rng_geo.uniform(LON_BOX[0], 15.0, nv)
    lon_east = rng_geo.uniform(15.0, LON_BOX[1], nv)
    lon = np.round(np.where(kind_idx == 0, lon_west, np.where(kind_idx == 4, lon_east,
                                                              lon_all)), 3)
    host = rng_geo.integers(0, n, nv)
    store_none = rng_geo.random(nv) < 0.3
    store_depot = rng_geo.uniform(20_000, 200_000, nv)
    store_other = rng_geo.uniform(5_000, 60_000, nv)
    thr_none = rng_geo.random(nv) < 0.3
    thr = rng_geo.uniform(1_000, 10_000, nv)
    mog = rng_geo.integers(2, 13, nv)
    turns = rng_geo.integers(2, 7, nv) / 2.0
    loc_objs: list[Location] = []
    for v in range(nv):
        storage = None if store_none[v] else float(round(
            store_depot[v] if kinds[v] == "depot" else store_other[v]))
        through = None if thr_none[v] else float(round(thr[v]))
        air = kinds[v] == "airbase"
        loc_objs.append(Location(
            id=vids[v], name=f"{kinds[v]} {v}", host=mids[int(host[v])], lat=float(lat[v]),
            lon=float(lon[v]), kind=kinds[v], storage_tons=storage,
            throughput_tons_per_day=through, mog=int(mog[v]) if air else None,
            turns_per_day=float(turns[v]) if air else 1.0))

    # -- links -----------------------------------------------------------------------
    km = _km_matrix(lat.astype(np.float64), lon.astype(np.float64))
    pairs: dict[tuple[int, int], bool] = {}  # (a, b) with a < b -> from the tree

    def add_pair(a: int, b: int, tree: bool = False) -> None:
        if a != b:
            key = (min(a, b), max(a, b))
            if key not in pairs:
                pairs[key] = tree

    order = rng_geo.permutation(nv)
    for k in range(1, nv):
        placed = order[:k]
        u = int(order[k])
        add_pair(u, int(placed[int(np.argmin(km[u, placed]))]), tree=True)
    k_nn = min(2, nv - 1)
    near = np.argsort(km, axis=1, kind="stable")[:, 1:k_nn + 1]
    for u in range(nv):
        for w in near[u]:
            add_pair(u, int(w))
    by_kind: dict[str, list[int]] = {k: [v for v in range(nv) if kinds[v] == k] for k in _KINDS}
    for kind, n_near, n_rand in (("airbase", 2, 1), ("seaport", 1, 1), ("railhead", 0, 1)):
        group = np.array(by_kind[kind], dtype=np.int64)
        if group.size < 2:
            continue
        for u in group:
            others = group[group != u]
            closest = others[np.argsort(km[u, others], kind="stable")[:n_near]]
            for w in closest:
                add_pair(int(u), int(w))
            for w in rng_geo.choice(others, size=min(n_rand, others.size), replace=False):
                add_pair(int(u), int(w))

    graph = _Graph(nv)
    link_objs: list[Link] = []
    modes_used: set[Mode] = set()
    for (a, b), tree in pairs.items():
        ka, kb = kinds[a], kinds[b]
        d = float(km[a, b])
        mode: Mode
        if ka == kb == "airbase":
            mode = "air"
        elif ka == kb == "seaport":
            mode = "sea"
        elif d > 250.0 and "airbase" not in (ka, kb):
            mode = "rail"
        else:
            mode = "road"
        modes_used.add(mode)
        one_way = (not tree) and bool(rng_geo.random() < 0.1)
        if one_way and rng_geo.random() < 0.5:
            a, b = b, a
        t_days, cost = _derived(mode, d)
        transit: int | None = None
        cost_per_ton: float | None = None
        capacity: float | None = None
        if rng_geo.random() < 0.3:
            transit = t_days + int(rng_geo.integers(0, 3))
            cost_per_ton = float(round(cost * rng_geo.uniform(0.8, 1.5), 6))
            if rng_geo.random() < 0.5:
                capacity = float(round(rng_geo.uniform(500, 5_000)))
            t_days = transit
        graph.add(a, b, t_days, not one_way)
        link_objs.append(Link(origin=vids[a], destination=vids[b], mode=mode,
                              transit_days=transit, cost_per_ton=cost_per_ton,
                              capacity_tons_per_day=capacity, bidirectional=not one_way))

    # -- items -----------------------------------------------------------------------
    cls_idx = rng_stock.choice(len(_CLASSES), size=ni, p=_CLASS_P)
    tons_bulk = np.clip(rng_stock.lognormal(0.0, 0.8, ni), 0.05, 20.0)
    tons_over = rng_stock.uniform(5, 30, ni)
    tons_out = rng_stock.uniform(20, 70, ni)
    tons_pax = rng_stock.uniform(0.1, 0.2, ni)
    m3_per_ton = rng_stock.uniform(0.8, 3.0, ni)
    unit_tons = np.round(np.choose(cls_idx, [tons_bulk, tons_over, tons_out, tons_pax]), 3)
    item_objs = [Item(id=iids[j], name=f"{_CLASSES[int(cls_idx[j])]} item {j}",
                      unit_tons=float(unit_tons[j]),
                      unit_m3=float(round(unit_tons[j] * m3_per_ton[j], 3)),
                      cargo_class=_CLASSES[int(cls_idx[j])]) for j in range(ni)]

    # -- stock sites -------------------------------------------------------------------
    depots = by_kind["depot"]
    hosted_depots: list[list[int]] = [[] for _ in range(n)]
    for v in depots:
        hosted_depots[int(host[v])].append(v)
    stock_sites = [v for v in range(nv) if kinds[v] in _STOCK_KINDS]
    entries: list[tuple[int, int, int, bool]] = []  # member, site, item, prepositioned
    n_prepo = max(1, round(0.1 * n))
    prepo = {int(i) for i in rng_stock.choice(n, size=n_prepo, replace=False)}
    for i in range(n):
        own = hosted_depots[i]
        home = own[int(rng_stock.integers(len(own)))] if own else depots[
            int(rng_stock.integers(len(depots)))]
        sites: list[tuple[int, bool]] = [(home, False)]
        if len(depots) > 1 and rng_stock.random() < 0.3:
            second = depots[int(rng_stock.integers(len(depots)))]
            if second != home:
                sites.append((second, False))
        if i in prepo:
            site = stock_sites[int(rng_stock.integers(len(stock_sites)))]
            if all(site != s for s, _ in sites):
                sites.append((site, True))
        for site, pre in sites:
            held = np.flatnonzero(rng_stock.random(ni) < 0.6)
            if held.size == 0:
                held = np.array([int(rng_stock.integers(ni))])
            entries.extend((i, site, int(j), pre) for j in held)
    by_member: list[list[int]] = [[] for _ in range(n)]
    for e, (i, _, _, _) in enumerate(entries):
        by_member[i].append(e)

    # -- movements -------------------------------------------------------------------
    theatres, airbases = by_kind["theatre"], by_kind["airbase"]
    trees: dict[int, tuple[list[int], list[int]]] = {}
    asked = np.zeros(len(entries))
    needed: list[set[int]] = [set() for _ in range(n)]
    mv_objs: list[Movement] = []
    mw = len(str(max(movements - 1, 0)))
    last = days - 1
    for r in range(movements):
        i = int(rng_move.integers(n))
        e = by_member[i][int(rng_move.integers(len(by_member[i])))]
        _, site, j, _ = entries[e]
        if airbases and rng_move.random() < 0.15:
            dest = airbases[int(rng_move.integers(len(airbases)))]
        else:
            dest = theatres[int(rng_move.integers(len(theatres)))]
        fixed = bool(rng_move.random() < 0.5)
        tons = float(rng_move.lognormal(math.log(300.0), 1.0))
        qty = max(1, round(tons / float(unit_tons[j])))
        asked[e] += qty
        if site not in trees:
            trees[site] = graph.tree(site)
        dist, pred = trees[site]
        route = [dest]
        while route[-1] != site and pred[route[-1]] >= 0:
            route.append(pred[route[-1]])
        needed[i].update(route)
        d = dist[dest]
        rld = int(rng_move.integers(0, days // 3 + 1))
        ald = rld + int(rng_move.integers(0, 3))
        ead = ald + int(rng_move.integers(0, d + 1))
        lad = max(ead, ald + d) + int(rng_move.integers(0, days // 4 + 1))
        rdd = lad + int(rng_move.integers(0, days // 6 + 1))
        w = [min(x, last) for x in (rld, ald, ead, lad, rdd)]
        mv_objs.append(Movement(
            id=f"MV{r:0{mw}d}", member=mids[i], item=iids[j], quantity=float(qty),
            destination=vids[dest], origin=vids[site] if fixed else None, rld=w[0], ald=w[1],
            ead=w[2], lad=w[3], rdd=w[4], priority=int(rng_move.integers(1, 6))))

    # -- stock quantities ----------------------------------------------------------------
    stock_objs: list[Stock] = []
    for e, (i, site, j, pre) in enumerate(entries):
        if asked[e] > 0:
            f = rng_stock.uniform(1.0, 1.5) if rng_stock.random() < 0.9 else rng_stock.uniform(
                0.5, 1.0)
            q = float(math.ceil(asked[e] * f))
        else:
            q = float(rng_stock.integers(10, 501))
        stock_objs.append(Stock(owner=mids[i], location=vids[site], item=iids[j], quantity=q,
                                kind="prepositioned" if pre else "home"))
        needed[i].add(site)

    # -- basing rights -------------------------------------------------------------------
    random_right = rng_right.random((n, nv)) < rights_density
    transit_only = rng_right.random((n, nv)) < 0.05
    capped = rng_right.random((n, nv)) < 0.05
    share = np.round(rng_right.uniform(0.3, 0.9, (n, nv)), 2)
    for v in range(nv):
        needed[int(host[v])].add(v)
    must = np.zeros((n, nv), dtype=np.bool_)
    for i in range(n):
        must[i, sorted(needed[i])] = True
    hub = np.array([k in ("seaport", "railhead") for k in kinds])
    extra = random_right & ~must
    storage_ok = ~(extra & transit_only)
    has_cap = extra & capped & hub[None, :]
    # plain dicts, validated once with the scenario (hundreds of thousands at full size)
    rights: list[dict[str, object]] = [
        {"member": mids[i], "location": vids[v], "storage": bool(storage_ok[i, v]),
         "max_share": float(share[i, v]) if has_cap[i, v] else None}
        for i, v in zip(*np.nonzero(must | random_right), strict=True)]

    # -- cross-servicing -----------------------------------------------------------------
    cs_objs: list[CrossServicing] = []
    for _ in range(max(1, n // 10)):
        prov, recv = (int(x) for x in rng_stock.choice(n, size=2, replace=False))
        listed: list[str] | None = None
        if rng_stock.random() >= 0.3:
            k = min(ni, int(rng_stock.integers(1, 4)))
            listed = [iids[int(j)] for j in sorted(rng_stock.choice(ni, size=k, replace=False))]
        cs_objs.append(CrossServicing(provider=mids[prov], receiver=mids[recv], items=listed,
                                      price_per_unit=float(round(rng_stock.uniform(0, 0.05),
                                                                 4))))

    # -- lift ----------------------------------------------------------------------------
    lift_objs: list[LiftAsset] = []
    if lift:
        member_tons = np.zeros(n)
        for mv in mv_objs:
            member_tons[mids.index(mv.member)] += mv.quantity * float(
                unit_tons[iids.index(mv.item)])
        link_modes = [ln.mode for ln in link_objs]
        mode_share = {m: link_modes.count(m) / len(link_modes) for m in _MODES}
        half = max(1.0, days / 2)
        for mode in _MODES:
            if mode not in modes_used:
                continue
            payload = _POOL_PAYLOAD[mode]
            load = float(member_tons.sum()) * mode_share[mode]
            vehicles = max(2, math.ceil(load / (payload * half) * rng_lift.uniform(1.0, 2.0)))
            ent = {mids[i]: float(math.ceil(3 * member_tons[i] / payload
                                            * rng_lift.uniform(1.0, 2.0)) + 2)
                   for i in range(n) if member_tons[i] > 0}
            lift_objs.append(LiftAsset(id=f"POOL_{mode.upper()}", type=f"pooled {mode} fleet",
                                       mode=mode, payload_tons=payload,
                                       available=min(vehicles, 100_000), sorties_per_day=1.0,
                                       entitlements=ent))
        used = [m for m in _MODES if m in modes_used]
        n_own = max(1, round(0.15 * n))
        for i in sorted(int(x) for x in rng_lift.choice(n, size=n_own, replace=False)):
            mode_o = used[int(rng_lift.integers(len(used)))]
            options = _OWN_PAYLOADS[mode_o]
            lift_objs.append(LiftAsset(
                id=f"{mids[i]}_{mode_o.upper()}", type=f"national {mode_o} fleet", mode=mode_o,
                payload_tons=options[int(rng_lift.integers(len(options)))],
                available=int(rng_lift.integers(1, 5)),
                sorties_per_day=float(rng_lift.integers(1, 3)), owner=mids[i]))

    logistics = Logistics.model_validate({
        "horizon_days": days, "locations": loc_objs, "basing_rights": rights,
        "items": item_objs, "stocks": stock_objs, "cross_servicing": cs_objs,
        "links": link_objs, "lift": lift_objs, "movements": mv_objs})
    return Scenario(
        name=f"synthetic-network-m{n}-l{nv}-i{ni}-v{movements}-d{days}-s{seed}",
        description="Synthetic logistics scenario drawn by procure.logistics.generate.",
        horizon=Horizon(first_year=FIRST_YEAR, last_year=FIRST_YEAR),
        members=member_objs, logistics=logistics)


def generate_single_commodity(seed: int, nodes: int = 8) -> Scenario:
    """A small single-commodity instance for differential tests against min-cost flow.

    ONE member (``A``), ONE item (``X``, 1 ton a unit, bulk), no lift fleet (so no
    integer sorties: the movement model is then a linear program), ``nodes``
    locations (2..200; none an airbase, so no MOG) without storage or throughput
    limits, full basing rights everywhere, no cross-servicing, and links with
    explicit integer ``transit_days`` (0..3), integer ``cost_per_ton`` (1..20) and
    integer ``capacity_tons_per_day`` (5..60): a random spanning tree of
    bidirectional links plus up to ``nodes`` extra links, each one-way with
    probability 0.5 (so every location reaches every other). One to three stocks
    (integer quantities 20..100) sit at distinct random locations; one to three
    movements (integer quantities 10..60, priority 1, origin omitted) go to distinct
    locations holding no stock, all with the same RLD = ALD (0..3) and their own
    EAD <= LAD <= RDD inside a 12-day horizon. Lateness and shortfall penalties are
    explicit (5 per ton and day late, 1 000 per ton short), so every number of the
    instance is an integer.

    The instance is then exactly a single-commodity min-cost flow on the
    time-expanded network: nodes (location, day) for days 0..11; link arcs
    (v, t) -> (w, t + transit) for t + transit <= 11 with the link's capacity and
    cost per ton (both directions for a bidirectional link, each with the full
    capacity); holding arcs (v, t) -> (v, t + 1), uncapacitated and free; each stock
    supplies up to its quantity at (location, t) for t >= ALD (what is not drawn
    stays unused); each movement r takes deliveries from (destination_r, t) for
    t in [EAD_r, RDD_r] at 5 x (t - LAD_r)^+ per ton, up to its quantity, and its
    unmet quantity costs 1 000 per ton. Because destinations are distinct and the
    ALD is common, every flow path into a destination's deliveries is a feasible
    route of that movement, so the min-cost flow value equals the movement model's
    optimum.
    """
    if not 2 <= nodes <= 200:
        raise ValueError(f"nodes must be in 2..200, got {nodes}")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    horizon = 12
    vw = len(str(nodes - 1))
    vids = [f"N{i:0{vw}d}" for i in range(nodes)]
    n_stock = int(rng.integers(1, min(3, nodes - 1) + 1))
    perm = [int(x) for x in rng.permutation(nodes)]
    stock_at = perm[:n_stock]
    free = perm[n_stock:]
    n_mv = int(rng.integers(1, min(3, len(free)) + 1))
    dest_at = free[:n_mv]
    lat = np.round(rng.uniform(*LAT_BOX, nodes), 3)
    lon = np.round(rng.uniform(*LON_BOX, nodes), 3)
    non_air: tuple[LocationKind, ...] = ("depot", "seaport", "railhead")
    locs = []
    for v in range(nodes):
        kind: LocationKind = ("depot" if v in stock_at else "theatre" if v in dest_at
                              else non_air[int(rng.integers(len(non_air)))])
        locs.append(Location(id=vids[v], name=f"node {v}", host="A", lat=float(lat[v]),
                             lon=float(lon[v]), kind=kind))

    def link(a: int, b: int, both: bool) -> Link:
        mode: Mode = ("sea" if locs[a].kind == locs[b].kind == "seaport"
                      else "rail" if rng.random() < 0.5 else "road")
        return Link(origin=vids[a], destination=vids[b], mode=mode,
                    transit_days=int(rng.integers(0, 4)),
                    cost_per_ton=float(rng.integers(1, 21)),
                    capacity_tons_per_day=float(rng.integers(5, 61)), bidirectional=both)

    links: list[Link] = []
    seen: set[tuple[int, int]] = set()
    order = [int(x) for x in rng.permutation(nodes)]
    for k in range(1, nodes):
        a, b = order[k], order[int(rng.integers(k))]
        seen.add((min(a, b), max(a, b)))
        links.append(link(a, b, True))
    for _ in range(nodes):
        a, b = (int(x) for x in rng.choice(nodes, size=2, replace=False))
        if (min(a, b), max(a, b)) in seen:
            continue
        seen.add((min(a, b), max(a, b)))
        links.append(link(a, b, bool(rng.random() < 0.5)))

    stocks = [Stock(owner="A", location=vids[v], item="X",
                    quantity=float(rng.integers(20, 101))) for v in stock_at]
    mvs = []
    ald = int(rng.integers(0, 4))
    for r, v in enumerate(dest_at):
        ead = ald + int(rng.integers(0, 4))
        lad = ead + int(rng.integers(0, 4))
        rdd = min(horizon - 1, lad + int(rng.integers(0, 5)))
        mvs.append(Movement(id=f"R{r}", member="A", item="X",
                            quantity=float(rng.integers(10, 61)), destination=vids[v],
                            origin=None, rld=ald, ald=ald, ead=ead, lad=lad, rdd=rdd,
                            priority=1))
    logistics = Logistics(
        horizon_days=horizon, locations=locs,
        basing_rights=[BasingRight(member="A", location=x) for x in vids],
        items=[Item(id="X", name="single commodity", unit_tons=1.0)], stocks=stocks,
        links=links, movements=mvs, late_penalty_per_ton_day=5.0,
        shortfall_penalty_per_ton=1000.0)
    return Scenario(name=f"single-commodity-n{nodes}-s{seed}",
                    description="Single-commodity instance for min-cost-flow differential "
                    "tests (procure.logistics.generate.generate_single_commodity).",
                    horizon=Horizon(first_year=FIRST_YEAR, last_year=FIRST_YEAR),
                    members=[Member(id="A", name="Single member", gdp=1.0)],
                    logistics=logistics)


__all__ = ["generate_network", "generate_single_commodity"]

"""The joint procurement MILP of ``models/procurement.md``, built from arrays.

Each constraint family is one function named after its number in the written
model; each appends a block of rows to a :class:`~procure.lp.LinearModel` using
numpy index arithmetic (no Python loop per nonzero). The build is a pure function
of the compiled arrays (:class:`~procure.procurement.compile.Compiled`: numpy arrays
and id tuples, no scenario object), so it builds a sub-coalition's model from
:func:`~procure.procurement.compile.restrict` exactly as the full alliance's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from procure.lp.index import group, match_keys
from procure.lp.model import (
    INF,
    BoolArray,
    FloatArray,
    IntArray,
    LinearModel,
    ModelArrays,
    VarBlock,
)
from procure.procurement.compile import KEY, PROPORTIONAL, Compiled


@dataclass(frozen=True)
class FormulationOptions:
    """Modelling choices (not solver options)."""

    strict: bool = False  # no shortfall allowed: unmet requirement makes the model infeasible
    strong_linking: bool = True  # (2a) per-pair linking rows; off: capacity linking only
    # with strong_linking: (2a) rows only for these pairs (and every pair with a join
    # column u_k), the capacity linking (3a)/(3c) of the weak formulation for the rest: the
    # separated formulation of section 11.6; None: a (2a) row for every pair
    linking_pairs: tuple[int, ...] | None = None
    # (4) rows only for the launches whose program sets a minimum production run and for
    # these launches; None: a row for every launch. The rows left out (L_p is then the
    # default of section 3: a launch delivers something) are checked on the plan
    # instead, and added when it breaks one (section 11.7)
    min_run_rows: tuple[int, ...] | None = None
    exact_tier_limit: int = 64  # proportional shares: exact breakpoints up to this many units
    # per requirement: shortfall allowed at no penalty, none beyond (the "level" solve of
    # the like-for-like comparison); None: the elastic/strict shortfall above
    shortfall_allowance: tuple[float, ...] | None = None
    # (12) aggregated capacity cuts: valid inequalities that sum (1) and (3a) per
    # capability and deadline year, so the solver can derive cover cuts on the launches
    capacity_cuts: bool = True
    # (1=) a requirement due at the end with the member's largest quantity takes over
    # its (2b) row: sum x + s = q replaces sum x + s >= q and sum x <= R (section 6)
    merge_need_rows: bool = True
    # a bound on the total shortfall units of every optimal plan (elastic mode only):
    # solve() derives it from a start plan with no shortfall and objective U as U / Pen
    # (section 11). With it, s_r <= bound and the (12) rows leave s out.
    shortfall_bound: float | None = None
    # per requirement: the money price of one unit short, replacing the penalty Pen (the
    # burden-sharing game prices what a coalition cannot deliver: models/sharing.md);
    # None: Pen
    shortfall_prices: tuple[float, ...] | None = None
    # with shortfall_prices, per requirement: units short at no cost (what the grand
    # coalition's plan leaves short, section 12); only units beyond are priced, through
    # the (1p) rows and an excess column e_r >= s_r - free_r
    shortfall_free: tuple[float, ...] | None = None
    # (7b) proportional shares: "tiered", the conservative tiers of section 7.2;
    # "relaxed", the relaxation (7b') of section 7.3 that every plan with exact shares
    # satisfies, whatever members buy (the separation MILP of models/sharing.md 11.3); or
    # "intervals", the tighter relaxation (7b'') of section 7.4, exact on the exact tiers
    proportional_shares: Literal["tiered", "relaxed", "intervals"] = "tiered"
    # x_{k,t} <= Cap_p as a column bound too (it is also in (3a)); off: capacity lives in
    # the (3a)/(3b) rows alone, so every rule of the scenario is a set of rows a conflict
    # can name (models/explain.md)
    capacity_bounds: bool = True
    # (13a) programs (ids) the plan must launch; (13b) (program, member) pairs: the member
    # must buy from the program (section 13.2, the "why not program P?" question of
    # procure.explain.prices). Forced plans are ordinary plans: the evaluator needs nothing
    force_launch: tuple[str, ...] = ()
    force_join: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ShareVars:
    """Where each pair's NRC share sigma_k lives: a variable column, or the launch binary."""

    column: IntArray  # global column of sigma_k (or of z_l for single-pair launches), -1: none


@dataclass(frozen=True)
class Formulation:
    """The built model and the column blocks needed to read a solution back."""

    compiled: Compiled
    options: FormulationOptions
    model: ModelArrays
    launch: VarBlock  # z_l
    buy: VarBlock  # x_{k,t} over purchase cells
    shortfall: VarBlock  # s_r
    share_column: IntArray = field(repr=False)  # per pair, see ShareVars
    join_column: IntArray = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    # per pair: the column of u_k, -1 where the pair has none
    tiers: tuple[Tiers, ...] = ()  # (7b): the tier columns y_{l,j} of each launch in Λ_prop


@dataclass(frozen=True)
class Tiers:
    """The tiers of one launch l in Λ_prop (7b): ``block`` holds y_{l,j}, ``breaks``
    the tier floors Q_0 < ... < Q_{J-1} (section 3)."""

    launch: int
    block: VarBlock
    breaks: FloatArray = field(repr=False)


# ---------------------------------------------------------------------------------------
# helpers


def ruled_members(c: Compiled) -> BoolArray:
    """Per member, whether it is in M_B or M_W: it has a budget or a workshare rule."""
    out: BoolArray = (~np.isnan(c.budgets).all(axis=1) | ~np.isnan(c.juste_retour)
                      | ~np.isnan(c.global_balance))
    return out


def min_run_left_out(c: Compiled, options: FormulationOptions) -> IntArray:
    """The launches with L_p > 0 that have no (4) row: with ``options.min_run_rows``
    set, those whose program sets no minimum production run (L_p is the default of
    section 3) and that are not in it; none otherwise (section 11.7)."""
    if options.min_run_rows is None:
        return np.zeros(0, dtype=np.int64)
    program = c.launch_program
    out = (c.prog_min_run[program] > 0) & (c.prog_min_run_given[program] <= 0)
    out[np.asarray(options.min_run_rows, dtype=np.int64)] = False
    return np.flatnonzero(out).astype(np.int64)


def _group_rows(keys: IntArray) -> tuple[IntArray, int]:
    """Dense row numbers 0..n-1 for arbitrary integer keys (in key order)."""
    rows, uniq = group(keys)
    return rows, int(uniq.size)


@dataclass(frozen=True)
class _KeyLaunch:
    """One launch l in Λ_key as the (7a) rows read it: arrays over K(l) in pair order,
    -1 where a pair has no such column (section 4)."""

    launch: int
    sig: IntArray  # sigma_k
    u: IntArray  # u_k
    z: int  # z_l
    lam: int  # lambda_l
    kk: FloatArray  # normalised keys kk_m
    big: FloatArray  # K_m = kk_m Lambda_l
    caps: FloatArray  # c_m
    floors: FloatArray  # f_m
    solo: IntArray  # solo_k
    beta: IntArray  # beta_k (capped pairs)
    alpha: IntArray  # alpha_k (floored pairs)

    @property
    def n(self) -> int:
        return int(self.sig.size)

    @property
    def idx(self) -> IntArray:
        return np.arange(self.n, dtype=np.int64)

    @property
    def capped(self) -> BoolArray:
        out: BoolArray = self.caps < 1.0
        return out

    @property
    def floored(self) -> BoolArray:
        out: BoolArray = self.floors > 0.0
        return out

    @property
    def has_solo(self) -> bool:
        return bool((self.solo >= 0).any())

    def lams(self, count: int) -> IntArray:
        """The column of lambda_l, ``count`` times (one entry per row)."""
        return np.full(count, self.lam, dtype=np.int64)


@dataclass
class _Builder:
    c: Compiled
    opt: FormulationOptions
    m: LinearModel
    z: VarBlock
    x: VarBlock
    s: VarBlock
    u_col: IntArray  # per pair: column of u_k, or -1
    sigma_col: IntArray  # per pair: column of sigma_k (z_l for single-pair launches), or -1
    # per (2b) row key (m, c) in key order: the requirement that absorbs the row, or -1
    closing: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    tiers: list[Tiers] = field(default_factory=list)  # (7b) tier columns, per launch

    # -- (1) requirement coverage ---------------------------------------------------------
    def closing_requirements(self) -> IntArray:
        """Per (2b) row key (m, c), a requirement r whose row (1) can absorb it, or -1.

        r qualifies when q_r = R[m,c] and every purchase cell of K(m,c) is due by y_r:
        then (1)_r and (2b)_(m,c) have the same left-hand side, and
        ``sum x + s_r = q_r`` is equivalent to the pair (section 6, (1=)).
        """
        c = self.c
        n_c = len(c.capability_ids)
        key = c.pair_member * n_c + c.pair_capability
        uniq = np.unique(key)
        out = np.full(uniq.size, -1, dtype=np.int64)
        if not self.opt.merge_need_rows or not uniq.size or not c.req_member.size:
            return out
        cell_key = key[c.cell_pair]
        last = np.full(uniq.size, -1, dtype=np.int64)
        np.maximum.at(last, np.searchsorted(uniq, cell_key), c.cell_year)
        req_key = c.req_member * n_c + c.req_capability
        pos = np.minimum(np.searchsorted(uniq, req_key), uniq.size - 1)
        found = uniq[pos] == req_key
        rmax = np.zeros((len(c.member_ids), n_c))  # R[m, c]
        np.maximum.at(rmax, (c.req_member, c.req_capability), c.req_quantity)
        bound = rmax[c.req_member, c.req_capability]
        ok = found & (c.req_quantity >= bound) & (c.req_year >= last[pos])
        cand = np.flatnonzero(ok)
        rows, first = np.unique(pos[cand], return_index=True)  # the first qualifying r wins
        out[rows] = cand[first]
        return out

    def requirements(self) -> None:
        """(1) sum_{k in K(m,c)} sum_{t <= y_r} x_{k,t} + s_r >= q_r for every requirement r
        (an equality for the requirements that absorb a (2b) row)."""
        c = self.c
        n_c = len(c.capability_ids)
        cell_key = c.pair_member[c.cell_pair] * n_c + c.pair_capability[c.cell_pair]
        req_key = c.req_member * n_c + c.req_capability
        req_rep, cells = match_keys(req_key, cell_key)
        keep = c.cell_year[cells] <= c.req_year[req_rep]
        rows = np.concatenate([req_rep[keep], np.arange(req_key.size)])
        cols = np.concatenate([self.x.start + cells[keep], self.s.index])
        upper = np.full(req_key.size, INF)
        closing = self.closing[self.closing >= 0]
        upper[closing] = c.req_quantity[closing]
        self.m.add_constraints("(1) requirement", req_key.size, rows, cols, 1.0,
                               lower=c.req_quantity, upper=upper)

    # -- (2) linking and no purchase beyond need ------------------------------------------
    def linking(self) -> None:
        """(2a) sum_t x_{k,t} <= R_k z_l (or R_k u_k with u_k <= z_l), and
        (2b) sum_{k in K(m,c)} sum_t x_{k,t} <= R_{m,c}."""
        c = self.c
        n_k = c.num_pairs
        has_u = self.u_col >= 0
        link_col = np.where(has_u, self.u_col, self.z.start + c.pair_launch)
        if self.opt.strong_linking or has_u.any():
            if not self.opt.strong_linking:
                sel = np.flatnonzero(has_u)
            elif self.opt.linking_pairs is not None:  # section 11.6: the separated rows
                chosen = np.zeros(n_k, dtype=np.bool_)
                chosen[np.asarray(self.opt.linking_pairs, dtype=np.int64)] = True
                sel = np.flatnonzero(chosen | has_u)
            else:
                sel = np.arange(n_k)
            row_of = np.full(n_k, -1, dtype=np.int64)
            row_of[sel] = np.arange(sel.size)
            cell_sel = row_of[c.cell_pair] >= 0
            rows = np.concatenate([row_of[c.cell_pair][cell_sel], np.arange(sel.size)])
            cols = np.concatenate([self.x.start + np.flatnonzero(cell_sel), link_col[sel]])
            vals = np.concatenate([np.ones(int(cell_sel.sum())), -c.pair_bound[sel]])
            self.m.add_constraints("(2a) linking", sel.size, rows, cols, vals, upper=0.0)
        n_c = len(c.capability_ids)
        groups, _ = _group_rows(c.pair_member[c.cell_pair] * n_c + c.pair_capability[
            c.cell_pair])
        key = c.pair_member * n_c + c.pair_capability
        _, first = np.unique(key, return_index=True)
        # groups are ordered by key; the bound of each (m, c) group is any member pair's R.
        # Groups whose row (1) is an equality (closing requirement) need no row here.
        open_group = self.closing < 0
        row_of = np.cumsum(open_group) - 1
        in_row = open_group[groups]
        self.m.add_constraints("(2b) need", int(open_group.sum()), row_of[groups[in_row]],
                               self.x.start + np.flatnonzero(in_row), 1.0,
                               upper=c.pair_bound[first][open_group])

    # -- (3) capacity -------------------------------------------------------------------
    def capacity(self) -> None:
        """(3a) sum_{k in l} x_{k,t} <= Cap_p z_l per launch and year; in alone mode also
        (3b) sum_{l of p} sum_{k in l} x_{k,t} <= Cap_p (one industrial capacity)."""
        c = self.c
        cap = c.prog_capacity[c.pair_program[c.cell_pair]]
        finite = np.isfinite(cap)
        n_t = len(c.years)
        cells = np.flatnonzero(finite)
        launch = c.pair_launch[c.cell_pair[cells]]
        rows, n_rows = _group_rows(launch * n_t + c.cell_year[cells])
        if n_rows:
            row_launch = np.zeros(n_rows, dtype=np.int64)
            row_launch[rows] = launch
            row_cap = np.zeros(n_rows)
            row_cap[rows] = cap[cells]
            self.m.add_constraints(
                "(3a) capacity", n_rows,
                np.concatenate([rows, np.arange(n_rows)]),
                np.concatenate([self.x.start + cells, self.z.start + row_launch]),
                np.concatenate([np.ones(cells.size), -row_cap]), upper=0.0)
        if c.mode == "alone":
            prog = c.pair_program[c.cell_pair[cells]]
            rows, n_rows = _group_rows(prog * n_t + c.cell_year[cells])
            row_cap = np.zeros(n_rows)
            row_cap[rows] = cap[cells]
            self.m.add_constraints("(3b) shared capacity", n_rows, rows, self.x.start + cells,
                                   1.0, upper=row_cap)
        if not self.opt.strong_linking or self.opt.linking_pairs is not None:
            # capacity linking is the only link from x to z here (for every pair, or for the
            # pairs without a separated (2a) row): bound unlimited launches too
            inf_cells = np.flatnonzero(~finite)
            launch = c.pair_launch[c.cell_pair[inf_cells]]
            rows, n_rows = _group_rows(launch)
            if n_rows:
                row_launch = np.zeros(n_rows, dtype=np.int64)
                row_launch[rows] = launch
                total = np.bincount(c.pair_launch, weights=c.pair_bound,
                                    minlength=c.num_launches)[row_launch]
                self.m.add_constraints(
                    "(3c) total linking", n_rows,
                    np.concatenate([rows, np.arange(n_rows)]),
                    np.concatenate([self.x.start + inf_cells, self.z.start + row_launch]),
                    np.concatenate([np.ones(inf_cells.size), -total]), upper=0.0)

    def shortfall_bound(self) -> float | None:
        """``FormulationOptions.shortfall_bound`` where it applies: elastic shortfall
        (neither strict nor a level allowance), with the penalty in the objective."""
        o = self.opt
        if o.shortfall_bound is None or o.strict or o.shortfall_allowance is not None:
            return None
        return max(0.0, float(o.shortfall_bound))

    # -- (12) aggregated capacity cut ----------------------------------------------------
    def capacity_cover(self) -> None:
        """(12) per capability c and deadline year Y, with r(m) the largest requirement of
        (m, c) due by Y: sum_{l of c} Cap_p |{t : t0(p) <= t <= Y}| z_l
        + sum_m s_{r(m)} >= sum_m q_{r(m)}.

        The sum of (1) over those requirements, with each member's purchases by y_r <= Y
        bounded by its purchases by Y and those by (3a). Only where every launch of c
        has a finite capacity (otherwise the row is vacuous).
        """
        c = self.c
        if not c.num_launches or not c.req_member.size:
            return
        n_c = len(c.capability_ids)
        l_cap = c.prog_capacity[c.launch_program]
        l_c = c.prog_capability[c.launch_program]
        l_first = c.prog_first_year[c.launch_program]
        finite_c = np.ones(n_c, dtype=np.bool_)
        np.logical_and.at(finite_c, l_c, np.isfinite(l_cap))
        has_launch = np.zeros(n_c, dtype=np.bool_)
        has_launch[l_c] = True
        rows: list[IntArray] = []
        cols: list[IntArray] = []
        vals: list[FloatArray] = []
        lower: list[float] = []
        bound = self.shortfall_bound()
        for cap in np.flatnonzero(finite_c & has_launch):
            reqs = np.flatnonzero(c.req_capability == cap)
            launches = np.flatnonzero(l_c == cap)
            for year in np.unique(c.req_year[reqs]):
                due = reqs[c.req_year[reqs] <= year]
                # per member, the largest requirement due by Y (ties: the first)
                order = due[np.lexsort((-c.req_quantity[due], c.req_member[due]))]
                _, first = np.unique(c.req_member[order], return_index=True)
                picked = order[first]
                years_open = np.maximum(0, year - l_first[launches] + 1)
                coef = l_cap[launches] * years_open
                need = float(c.req_quantity[picked].sum())
                if bound is not None:
                    # (12') every optimal plan has sum_r s_r <= bound: a knapsack on z alone
                    picked, need = picked[:0], need - bound
                    if need <= 0.0:
                        continue
                r = len(lower)
                rows += [np.full(launches.size + picked.size, r, dtype=np.int64)]
                cols += [np.concatenate([self.z.start + launches, self.s.start + picked])]
                vals += [np.concatenate([coef, np.ones(picked.size)])]
                lower.append(need)
        if lower:
            self.m.add_constraints("(12) aggregated capacity", len(lower),
                                   np.concatenate(rows), np.concatenate(cols),
                                   np.concatenate(vals), lower=np.array(lower))

    # -- (4) minimum production run -------------------------------------------------------
    def min_run(self) -> None:
        """(4) sum_{k in l} sum_t x_{k,t} >= L_p z_l, except for the launches
        :func:`min_run_left_out` names (section 11.7)."""
        c = self.c
        run = c.prog_min_run[c.launch_program]
        has_row = run > 0
        has_row[min_run_left_out(c, self.opt)] = False
        launches = np.flatnonzero(has_row)
        if not launches.size:
            return
        row_of = np.full(c.num_launches, -1, dtype=np.int64)
        row_of[launches] = np.arange(launches.size)
        cl = row_of[c.pair_launch[c.cell_pair]]
        sel = cl >= 0
        self.m.add_constraints(
            "(4) min run", launches.size,
            np.concatenate([cl[sel], np.arange(launches.size)]),
            np.concatenate([self.x.start + np.flatnonzero(sel), self.z.start + launches]),
            np.concatenate([np.ones(int(sel.sum())), -run[launches]]), lower=0.0)

    # -- (5), (6) participation -----------------------------------------------------------
    def participation(self) -> None:
        """(5) sum_{k in l} u_k >= max(N_p, 1) z_l;  (6a) u_k <= z_l;
        (6b) sum_t x_{k,t} >= q_k u_k (q_k = 1 unit, or 1e-3 R_k for divisible units)."""
        c = self.c
        ks = np.flatnonzero(self.u_col >= 0)
        if not ks.size:
            return
        u = self.u_col[ks]
        self.m.add_constraints("(6a) join launched", ks.size,
                               np.tile(np.arange(ks.size), 2),
                               np.concatenate([u, self.z.start + c.pair_launch[ks]]),
                               np.concatenate([np.ones(ks.size), -np.ones(ks.size)]), upper=0.0)
        row_of = np.full(c.num_pairs, -1, dtype=np.int64)
        row_of[ks] = np.arange(ks.size)
        cr = row_of[c.cell_pair]
        sel = cr >= 0
        integer = c.prog_integer[c.pair_program[ks]]
        min_buy = np.where(integer, np.minimum(1.0, c.pair_bound[ks]), 1e-3 * c.pair_bound[ks])
        self.m.add_constraints("(6b) joiners buy", ks.size,
                               np.concatenate([cr[sel], np.arange(ks.size)]),
                               np.concatenate([self.x.start + np.flatnonzero(sel), u]),
                               np.concatenate([np.ones(int(sel.sum())), -min_buy]), lower=0.0)
        need = np.maximum(c.prog_min_participants[c.launch_program], 1)  # >= 1 payer
        launches = np.unique(c.pair_launch[ks])
        if launches.size:
            row_of_l = np.full(c.num_launches, -1, dtype=np.int64)
            row_of_l[launches] = np.arange(launches.size)
            lr = row_of_l[c.pair_launch[ks]]
            s = lr >= 0
            self.m.add_constraints(
                "(5) min participants", launches.size,
                np.concatenate([lr[s], np.arange(launches.size)]),
                np.concatenate([u[s], self.z.start + launches]),
                np.concatenate([np.ones(int(s.sum())), -need[launches].astype(np.float64)]),
                lower=0.0)

    # -- (7a) key and equal shares (section 7.1) ------------------------------------------
    def shares_key(self, launch: int, pairs: IntArray, keys: FloatArray, caps: FloatArray,
                   floors: FloatArray) -> None:
        """(7a) fixed-key shares among the participants of launch l in Λ_key, exact
        (section 7.1): sigma_k = clamp(kk_m lambda_l, f_m, c_m) with sum sigma = z_l.

        ``pairs`` = K(l) in pair order; ``keys``, ``caps``, ``floors`` = k_m, c_m, f_m of
        their members under rule(p(l)). Adds the launch's columns, then one family of
        rows per method, in the model's row order ((7a.8) comes right after (7a.1)).
        """
        kl = self.key_columns(launch, pairs, keys, caps, floors)
        self.key_sum(kl)
        self.key_solo(kl)
        self.key_bounds(kl)
        self.key_price_upper(kl)
        self.key_price_lower(kl)
        self.key_capped(kl)
        self.key_floored(kl)
        self.key_one_regime(kl)

    def key_columns(self, launch: int, pairs: IntArray, keys: FloatArray, caps: FloatArray,
                    floors: FloatArray) -> _KeyLaunch:
        """The columns of l in Λ_key (section 4): lambda_l in [0, Lambda_l], and binaries
        solo_k (some c_m < 1 or some kk_m = 0), beta_k (c_m < 1), alpha_k (f_m > 0).

        kk_m = k_m / max_{K(l)} k (all 0 if no key is positive);
        Lambda_l = 1 / min{kk_m > 0} (1 if none); K_m = kk_m Lambda_l.
        """
        m = self.m
        n = pairs.size
        kk = keys / keys.max() if keys.max() > 0 else np.zeros(keys.size)
        lam_max = 1.0 / kk[kk > 0].min() if (kk > 0).any() else 1.0
        lam = m.add_variables(f"lambda[{launch}]", 1, upper=lam_max)
        capped = caps < 1.0
        floored = floors > 0.0
        solo = np.full(n, -1, dtype=np.int64)
        if (capped.any() or (kk == 0).any()) and n > 1:
            # a lone participant pays the whole NRC: caps (and zero keys) bind only when
            # there is a split
            solo[:] = m.add_variables(f"solo[{launch}]", n, upper=1.0, integer=True).index
        beta = np.full(n, -1, dtype=np.int64)
        alpha = np.full(n, -1, dtype=np.int64)
        if capped.any():
            beta[capped] = m.add_variables(f"beta[{launch}]", int(capped.sum()), upper=1.0,
                                           integer=True).index
        if floored.any():
            alpha[floored] = m.add_variables(f"alpha[{launch}]", int(floored.sum()),
                                             upper=1.0, integer=True).index
        return _KeyLaunch(launch=launch, sig=self.sigma_col[pairs], u=self.u_col[pairs],
                          z=self.z.start + launch, lam=lam.start, kk=kk, big=kk * lam_max,
                          caps=caps, floors=floors, solo=solo, beta=beta, alpha=alpha)

    def _key_rows(self, kl: _KeyLaunch, name: str,
                  parts: list[tuple[IntArray, IntArray, FloatArray]],
                  lower: float | FloatArray = -INF, upper: float | FloatArray = INF,
                  nrows: int | None = None) -> None:
        """One (7a) family of launch l from (row, column, value) parts."""
        self.m.add_constraints(f"{name}[{kl.launch}]", kl.n if nrows is None else nrows,
                               np.concatenate([p[0] for p in parts]),
                               np.concatenate([p[1] for p in parts]),
                               np.concatenate([p[2] for p in parts]), lower=lower, upper=upper)

    def key_sum(self, kl: _KeyLaunch) -> None:
        """(7a.1) sum_{k in K(l)} sigma_k = z_l."""
        n = kl.n
        self._key_rows(kl, "(7a.1) shares sum",
                       [(np.zeros(n + 1, dtype=np.int64), np.append(kl.sig, kl.z),
                         np.append(np.ones(n), -1.0))], lower=0.0, upper=0.0, nrows=1)

    def key_solo(self, kl: _KeyLaunch) -> None:
        """(7a.8) where solo exists: solo_k <= u_k and
        sum_{k' in K(l)} u_k' + (n_l - 1) solo_k <= n_l (solo_k = 1 only for a lone
        participant)."""
        if not kl.has_solo:
            return
        n, idx, ones = kl.n, kl.idx, np.ones(kl.n)
        self._key_rows(kl, "(7a.8) solo joins",
                       [(idx, kl.solo, ones), (idx, kl.u, -ones)], upper=0.0)
        self._key_rows(kl, "(7a.8) solo alone",
                       [(np.repeat(idx, n), np.tile(kl.u, n), np.ones(n * n)),
                        (idx, kl.solo, np.full(n, n - 1.0))], upper=float(n))

    def key_bounds(self, kl: _KeyLaunch) -> None:
        """(7a.2) f_m u_k <= sigma_k <= c_m u_k + (1 - c_m) solo_k (the floor row only
        where some f_m > 0; the solo term only where solo exists)."""
        idx, n = kl.idx, kl.n
        parts = [(idx, kl.sig, np.ones(n)), (idx, kl.u, -kl.caps)]
        if kl.has_solo:
            parts.append((idx, kl.solo, -(1.0 - kl.caps)))
        self._key_rows(kl, "(7a.2) share cap", parts, upper=0.0)
        if kl.floored.any():
            self._key_rows(kl, "(7a.2) share floor",
                           [(idx, kl.sig, np.ones(n)), (idx, kl.u, -kl.floors)], lower=0.0)

    def key_price_upper(self, kl: _KeyLaunch) -> None:
        """(7a.3) sigma_k <= kk_m lambda_l + f_m alpha_k (+ solo_k where kk_m = 0, so that
        a lone zero-key participant can pay the whole NRC)."""
        idx, n, fl = kl.idx, kl.n, kl.floored
        parts = [(idx, kl.sig, np.ones(n)), (idx, kl.lams(n), -kl.kk)]
        if fl.any():
            parts.append((idx[fl], kl.alpha[fl], -kl.floors[fl]))
        zero = (kl.kk == 0) & (kl.solo >= 0)
        if zero.any():
            parts.append((idx[zero], kl.solo[zero], -np.ones(int(zero.sum()))))
        self._key_rows(kl, "(7a.3) share <= key price", parts, upper=0.0)

    def key_price_lower(self, kl: _KeyLaunch) -> None:
        """(7a.4) sigma_k >= kk_m lambda_l - K_m (1 - u_k) - K_m beta_k."""
        idx, n, cp = kl.idx, kl.n, kl.capped
        parts = [(idx, kl.sig, np.ones(n)), (idx, kl.lams(n), -kl.kk),
                 (idx, kl.u, -kl.big)]
        if cp.any():
            parts.append((idx[cp], kl.beta[cp], kl.big[cp]))
        self._key_rows(kl, "(7a.4) share >= key price", parts, lower=-kl.big)

    def key_capped(self, kl: _KeyLaunch) -> None:
        """(7a.5) for c_m < 1: sigma_k >= c_m beta_k and kk_m lambda_l >= c_m beta_k."""
        if not kl.capped.any():
            return
        ci = kl.idx[kl.capped]
        nc = ci.size
        j = np.arange(nc)
        beta_part = (j, kl.beta[ci], -kl.caps[ci])
        self._key_rows(kl, "(7a.5) capped share", [(j, kl.sig[ci], np.ones(nc)), beta_part],
                       lower=0.0, nrows=nc)
        self._key_rows(kl, "(7a.5) capped key", [(j, kl.lams(nc), kl.kk[ci]),
                                                 beta_part], lower=0.0, nrows=nc)

    def key_floored(self, kl: _KeyLaunch) -> None:
        """(7a.6) for f_m > 0: sigma_k <= f_m + (c_m - f_m)(1 - alpha_k) + (1 - c_m) solo_k
        and kk_m lambda_l <= f_m + K_m (1 - alpha_k)."""
        if not kl.floored.any():
            return
        fi = kl.idx[kl.floored]
        nf = fi.size
        j = np.arange(nf)
        caps, floors = kl.caps[fi], kl.floors[fi]
        parts = [(j, kl.sig[fi], np.ones(nf)), (j, kl.alpha[fi], caps - floors)]
        if kl.has_solo:
            parts.append((j, kl.solo[fi], -(1.0 - caps)))
        self._key_rows(kl, "(7a.6) floored share", parts, upper=caps, nrows=nf)
        self._key_rows(kl, "(7a.6) floored key",
                       [(j, kl.lams(nf), kl.kk[fi]), (j, kl.alpha[fi], kl.big[fi])],
                       upper=floors + kl.big[fi], nrows=nf)

    def key_one_regime(self, kl: _KeyLaunch) -> None:
        """(7a.7) alpha_k + beta_k <= u_k (only where some cap or floor exists)."""
        idx, cp, fl = kl.idx, kl.capped, kl.floored
        if not (cp.any() or fl.any()):
            return
        parts = [(idx, kl.u, -np.ones(kl.n))]
        if cp.any():
            parts.append((idx[cp], kl.beta[cp], np.ones(int(cp.sum()))))
        if fl.any():
            parts.append((idx[fl], kl.alpha[fl], np.ones(int(fl.sum()))))
        self._key_rows(kl, "(7a.7) one regime", parts, upper=0.0)

    # -- (7b) proportional shares (section 7.2) -------------------------------------------
    def _launch_cells(self, launch: int, ks: IntArray) -> tuple[IntArray, IntArray]:
        """The purchase cells x_{k,t} of ``launch`` and, for each, the position in ``ks``
        (the launch's pairs) of the pair it belongs to."""
        c = self.c
        pos_of = np.full(c.num_pairs, -1, dtype=np.int64)
        pos_of[ks] = np.arange(ks.size)
        cells = np.flatnonzero(c.pair_launch[c.cell_pair] == launch)
        return cells, pos_of[c.cell_pair[cells]]

    def shares_proportional(self, launch: int, tolerance: float) -> None:
        """(7b) conservative tiered shares. With X_l in tier j (Q_j <= X_l <= Q_{j+1}), the
        exact share X_k / X_l is at most both X_k / Q_j and 1 - O_k / Q_{j+1}
        (O_k = X_l - X_k, the others' units); sigma_k must cover one of them."""
        c = self.c
        m = self.m
        p = int(c.launch_program[launch])
        ks = np.flatnonzero(c.pair_launch == launch)
        n_years = len(c.years) - int(c.prog_first_year[p])
        x_max = float(c.pair_bound[ks].sum())
        if math.isfinite(c.prog_capacity[p]):
            x_max = min(x_max, float(c.prog_capacity[p]) * n_years)
        q0 = float(c.prog_min_run[p])
        if x_max < q0 or x_max <= 0:
            return  # the launch cannot meet its minimum run; (4) keeps z_l at 0
        if self.opt.proportional_shares == "relaxed":
            self.shares_relaxed(launch, ks, x_max, q0)
            return
        breaks, exact_top = _breakpoints(q0, x_max, tolerance, bool(c.prog_integer[p]),
                                         self.opt.exact_tier_limit)
        if self.opt.proportional_shares == "intervals":
            self.shares_intervals(launch, ks, breaks, exact_top, x_max)
            return
        nj = breaks.size
        nxt = _next_breaks(breaks, x_max)  # Q_{j+1}; X_l <= Q_{j+1}
        y = m.add_variables(f"tier[{launch}]", nj, upper=1.0, integer=True)
        self.tiers.append(Tiers(launch, y, breaks))
        xl = m.add_variables(f"units[{launch}]", 1)
        cells, cell_pos = self._launch_cells(launch, ks)  # cell_pos: pair position of each cell
        ncell = cells.size
        # (7b.0) X_l = sum of the launch's purchases
        m.add_constraints(f"(7b.0) launch units[{launch}]", 1,
                          np.zeros(ncell + 1, dtype=np.int64),
                          np.append(self.x.start + cells, xl.start),
                          np.append(np.ones(ncell), -1.0), lower=0.0, upper=0.0)
        # (7b.1) sum_j y_j = z_l
        m.add_constraints(f"(7b.1) one tier[{launch}]", 1, np.zeros(nj + 1, dtype=np.int64),
                          np.append(y.index, self.z.start + launch),
                          np.append(np.ones(nj), -1.0), lower=0.0, upper=0.0)
        # (7b.2) X_l >= sum_j Q_j y_j
        m.add_constraints(f"(7b.2) tier reached[{launch}]", 1, np.zeros(nj + 1, dtype=np.int64),
                          np.append(xl.start, y.index), np.append(1.0, -breaks), lower=0.0)
        n = ks.size
        rk = c.pair_bound[ks]
        # pairs that can buy beyond the exact tiers may hold X_k / Q_j > 1: they may use
        # the second estimate instead, chosen by b_k
        big = rk > exact_top + 1e-9
        b_col = np.full(n, -1, dtype=np.int64)
        if big.any():
            b_col[big] = m.add_variables(f"dominant[{launch}]", int(big.sum()), upper=1.0,
                                         integer=True).index
        # (7b.0) X_k = sum_t x_{k,t}: one column per pair keeps the tier rows short
        xk = m.add_variables(f"pair units[{launch}]", n)
        m.add_constraints(f"(7b.0) pair units[{launch}]", n,
                          np.concatenate([cell_pos, np.arange(n)]),
                          np.concatenate([self.x.start + cells, xk.index]),
                          np.concatenate([np.ones(ncell), -np.ones(n)]), lower=0.0, upper=0.0)
        inv_q = 1.0 / breaks
        kk = np.tile(np.arange(n), nj)  # (pair, tier) rows, tier-major
        jk = np.repeat(np.arange(nj), n)
        row = jk * n + kk
        # b_k relaxes (7b.3) only in tiers where (7b.4) stands in for it (Q_j < R_k)
        bigk = big[kk] & (breaks[jk] < rk[kk])
        # (7b.3) sigma_k >= X_k / Q_j - (R_k / Q_j)(1 - y_j) - (R_k / Q_j) b_k
        m_kj = rk[kk] * inv_q[jk]
        rows = np.concatenate([row, row, row, row[bigk]])
        cols = np.concatenate([self.sigma_col[ks][kk], xk.index[kk], y.index[jk],
                               b_col[kk][bigk]])
        vals = np.concatenate([np.ones(n * nj), -inv_q[jk], -m_kj, m_kj[bigk]])
        m.add_constraints(f"(7b.3) share bound[{launch}]", n * nj, rows, cols, vals,
                          lower=-m_kj)
        if big.any():
            # (7b.5) X_l <= sum_j Q_{j+1} y_j: the tier also bounds X_l from above
            m.add_constraints(f"(7b.5) tier bounds units[{launch}]", 1,
                              np.zeros(nj + 1, dtype=np.int64), np.append(xl.start, y.index),
                              np.append(1.0, -nxt), upper=0.0)
            # (7b.4) sigma_k >= 1 - (X_l - X_k) / Q_{j+1} - (1 - y_j) - (1 - b_k)
            # only tiers with Q_j < R_k, where X_k / Q_j can exceed 1, need the second bound
            bi = np.flatnonzero(big)
            nb = bi.size
            kb = np.tile(np.arange(nb), nj)
            jb = np.repeat(np.arange(nj), nb)
            keep = breaks[jb] < rk[bi][kb]
            kb, jb = kb[keep], jb[keep]
            nr = kb.size
            rb = np.arange(nr)
            inv_n = 1.0 / nxt
            rows = np.tile(rb, 5)
            cols = np.concatenate([self.sigma_col[ks][bi][kb], np.full(nr, xl.start),
                                   xk.index[bi][kb], y.index[jb], b_col[bi][kb]])
            ones = np.ones(nr)
            vals = np.concatenate([ones, inv_n[jb], -inv_n[jb], -ones, -ones])
            m.add_constraints(f"(7b.4) dominant share bound[{launch}]", nr, rows, cols,
                              vals, lower=-1.0)

    def shares_relaxed(self, launch: int, ks: IntArray, x_max: float, q0: float) -> None:
        """(7b') the relaxation of the exact proportional share X_k / X_l (section 7.3):
        (7b'.1) sum_{k in K(l)} sigma_k = z_l and (7b'.2) X_k / Xmax_l <= sigma_k <= X_k / L_p,
        which hold for the exact shares of every open launch (L_p <= X_l <= Xmax_l)."""
        n = ks.size
        sig = self.sigma_col[ks]
        self.m.add_constraints(f"(7b'.1) shares sum[{launch}]", 1,
                               np.zeros(n + 1, dtype=np.int64),
                               np.append(sig, self.z.start + launch),
                               np.append(np.ones(n), -1.0), lower=0.0, upper=0.0)
        cells, cell_pos = self._launch_cells(launch, ks)
        rows = np.concatenate([np.arange(n), cell_pos])
        cols = np.concatenate([sig, self.x.start + cells])
        for name, inv, lower, upper in (("lower", 1.0 / x_max, 0.0, INF),
                                        ("upper", 1.0 / q0, -INF, 0.0)):
            vals = np.concatenate([np.ones(n), np.full(cells.size, -inv)])
            self.m.add_constraints(f"(7b'.2) share {name}[{launch}]", n, rows, cols, vals,
                                   lower=lower, upper=upper)

    def shares_intervals(self, launch: int, ks: IntArray, breaks: FloatArray,
                         exact_top: float, x_max: float) -> None:
        """(7b'') the relaxation of the exact share X_k / X_l by intervals of X_l (section
        7.4): with X_l in tier j, Q_j <= X_l <= U_j, the share sigma_k = w_{k,j} satisfies
        Q_j w_{k,j} <= X_k <= U_j w_{k,j}, and the shares of the tier sum to 1:

        (7b''.1) sum_j y_j = z_l
        (7b''.2) sum_{k in K(l)} w_{k,j} = y_j                   each tier j
        (7b''.3) sigma_k = sum_j w_{k,j}                          k in K(l)
        (7b''.4) sum_j Q_j w_{k,j} <= X_k <= sum_j U_j w_{k,j}    k in K(l)

        On the exact tiers (U_j = Q_j) the share is exact."""
        c = self.c
        m = self.m
        p = int(c.launch_program[launch])
        nj, n = breaks.size, ks.size
        top = _tier_tops(breaks, exact_top, x_max, bool(c.prog_integer[p]))
        y = m.add_variables(f"tier[{launch}]", nj, upper=1.0, integer=True)
        self.tiers.append(Tiers(launch, y, breaks))
        w = m.add_variables(f"tier share[{launch}]", n * nj)  # w_{k,j} at k * nj + j
        # (7b''.1) sum_j y_j = z_l
        m.add_constraints(f"(7b''.1) one tier[{launch}]", 1, np.zeros(nj + 1, dtype=np.int64),
                          np.append(y.index, self.z.start + launch),
                          np.append(np.ones(nj), -1.0), lower=0.0, upper=0.0)
        kk = np.repeat(np.arange(n), nj)
        jj = np.tile(np.arange(nj), n)
        # (7b''.2) sum_k w_{k,j} - y_j = 0
        m.add_constraints(f"(7b''.2) tier shares sum[{launch}]", nj,
                          np.concatenate([jj, np.arange(nj)]),
                          np.concatenate([w.index, y.index]),
                          np.concatenate([np.ones(n * nj), -np.ones(nj)]), lower=0.0, upper=0.0)
        # (7b''.3) sigma_k - sum_j w_{k,j} = 0
        m.add_constraints(f"(7b''.3) share by tier[{launch}]", n,
                          np.concatenate([np.arange(n), kk]),
                          np.concatenate([self.sigma_col[ks], w.index]),
                          np.concatenate([np.ones(n), -np.ones(n * nj)]), lower=0.0, upper=0.0)
        # (7b''.4) X_k - sum_j Q_j w_{k,j} >= 0 and X_k - sum_j U_j w_{k,j} <= 0
        cells, cell_pos = self._launch_cells(launch, ks)
        rows = np.concatenate([cell_pos, kk])
        cols = np.concatenate([self.x.start + cells, w.index])
        for name, q, lower, upper in (("floor", breaks, 0.0, INF), ("top", top, -INF, 0.0)):
            m.add_constraints(f"(7b''.4) units in tier {name}[{launch}]", n, rows, cols,
                              np.concatenate([np.ones(cells.size), -q[jj]]),
                              lower=lower, upper=upper)

    # -- (8) budgets ----------------------------------------------------------------------
    def budgets(self) -> None:
        """(8) sum_k price_k x_{k,t} + sum_k NRC_{p,t} sigma_k <= B_{m,t}."""
        c = self.c
        mem = c.pair_member[c.cell_pair]
        has_b = ~np.isnan(c.budgets)
        sel = has_b[mem, c.cell_year]
        # NRC terms: sigma_k in every year the program's NRC falls in
        nrc = c.prog_nrc[c.pair_program]  # (K, T)
        kk, tt = np.nonzero((nrc > 0) & has_b[c.pair_member])
        keep = self.sigma_col[kk] >= 0
        kk, tt = kk[keep], tt[keep]
        bm, bt = np.nonzero(has_b)
        row_id = np.full(has_b.shape, -1, dtype=np.int64)
        row_id[bm, bt] = np.arange(bm.size)
        rows = np.concatenate([row_id[mem[sel], c.cell_year[sel]], row_id[c.pair_member[kk], tt]])
        cols = np.concatenate([self.x.start + np.flatnonzero(sel), self.sigma_col[kk]])
        vals = np.concatenate([c.pair_price[c.cell_pair[sel]], nrc[kk, tt]])
        self.m.add_constraints("(8) budget", bm.size, rows, cols, vals,
                               upper=c.budgets[bm, bt])

    # -- (9) single-supplier dependence cap ------------------------------------------------
    def dependence(self) -> None:
        """(9) sum_{k in K(m,c), lead(p)=n} X_k <= gamma_{m,c} sum_{k in K(m,c)} X_k, n != m."""
        c = self.c
        gamma = c.dependence_cap
        pm = c.pair_member[c.cell_pair]
        pc = c.pair_capability[c.cell_pair]
        lead = c.prog_lead[c.pair_program[c.cell_pair]]
        g = gamma[pm, pc]
        foreign = (~np.isnan(g)) & (lead != pm)
        if not foreign.any():
            return
        n_m, n_c = len(c.member_ids), len(c.capability_ids)
        f_cells = np.flatnonzero(foreign)
        key = (pm[f_cells] * n_c + pc[f_cells]) * n_m + lead[f_cells]
        rows_f, n_rows = _group_rows(key)
        mc_of_row = np.unique(key) // n_m
        # every cell of the same (m, c) enters each of that (m, c)'s rows with -gamma
        all_cells = np.flatnonzero(~np.isnan(g))
        rep_row, j = match_keys(mc_of_row, pm[all_cells] * n_c + pc[all_cells])
        rep_cell = all_cells[j]
        self.m.add_constraints(
            "(9) dependence", n_rows,
            np.concatenate([rows_f, rep_row]),
            np.concatenate([self.x.start + f_cells, self.x.start + rep_cell]),
            np.concatenate([np.ones(f_cells.size), -g[rep_cell]]), upper=0.0)

    # -- (10), (11) workshare ---------------------------------------------------------------
    def workshare(self) -> None:
        """(10) per program: w_{p,m} Spend_l >= rho_m Pay_k for each pair k = (l, m);
        (11) global: sum_l w_{p(l),m} Spend_l >= rho_m sum_{k of m} Pay_k.

        Spend_l = NRC_p z_l + sum_{k in l, t} price_k x_{k,t};
        Pay_k = sum_t price_k x_{k,t} + NRC_p sigma_k.
        """
        c = self.c
        # rho_m of each member's rule, 0 where it has none of that kind (no row then)
        jr = np.nan_to_num(c.juste_retour, nan=0.0)
        gb = np.nan_to_num(c.global_balance, nan=0.0)
        glob = np.flatnonzero(gb > 0)
        if glob.size:
            # one row per member: spend weights over every launch, pay over its pairs
            w = c.work[c.launch_program][:, glob]  # (L, G)
            sl, sr = np.nonzero(w)
            row_of = np.full(len(c.member_ids), -1, dtype=np.int64)
            row_of[glob] = np.arange(glob.size)
            pk = np.flatnonzero(row_of[c.pair_member] >= 0)
            self._balance_rows("(11) global balance", glob.size, sr, sl, w[sl, sr],
                               row_of[c.pair_member[pk]], pk, gb[glob])
        kp = np.flatnonzero(jr[c.pair_member] > 0)
        if kp.size:
            # one row per pair of a per-program member: spend and pay of that launch only
            launch = c.pair_launch[kp]
            w = c.work[c.launch_program[launch], c.pair_member[kp]]
            rows = np.arange(kp.size, dtype=np.int64)
            self._balance_rows("(10) juste retour", kp.size, rows, launch, w, rows, kp,
                               jr[c.pair_member[kp]])

    def _balance_rows(self, name: str, n_rows: int, spend_row: IntArray, spend_launch: IntArray,
                      spend_weight: FloatArray, pay_row: IntArray, pay_pair: IntArray,
                      rho: FloatArray) -> None:
        """Rows sum (weight * Spend_l) - rho_row * sum Pay_k >= 0 from (row, launch, weight)
        and (row, pair) triplets."""
        c = self.c
        nrc_tot = c.prog_nrc.sum(axis=1)
        cell_price = c.pair_price[c.cell_pair]
        i, sc = match_keys(spend_launch, c.pair_launch[c.cell_pair])
        j, pc = match_keys(pay_pair, c.cell_pair)
        sig = self.sigma_col[pay_pair]
        ok = sig >= 0
        rows = np.concatenate([spend_row, spend_row[i], pay_row[j], pay_row[ok]])
        cols = np.concatenate([self.z.start + spend_launch, self.x.start + sc,
                               self.x.start + pc, sig[ok]])
        vals = np.concatenate([
            spend_weight * nrc_tot[c.launch_program[spend_launch]],
            spend_weight[i] * cell_price[sc],
            -rho[pay_row[j]] * cell_price[pc],
            -rho[pay_row[ok]] * nrc_tot[c.pair_program[pay_pair[ok]]],
        ])
        self.m.add_constraints(name, n_rows, rows, cols, vals, lower=0.0)

    # -- (13) forced programs (section 13.2) ----------------------------------------------
    def forced(self) -> IntArray:
        """(13a) sum_{l: p(l) = p} z_l >= 1 for each program p in ``force_launch``;
        (13b) sum_{k: p(k) = p, m(k) = m} sum_t x_{k,t} >= q_k for each (p, m) in
        ``force_join``, q_k the (6b) minimum purchase (min(1, R_k) whole units, 1e-3 R_k
        divisible): m joins p's launch, which (2a) opens. A sum over no column (p has no
        launch, or m may not buy from p) is a row no plan meets: the forced model is then
        infeasible, as it must be. Returns the joint launches of ``force_launch``, which
        ``build`` also bounds z_l >= 1 where Λ_0 does not close them."""
        c, o = self.c, self.opt
        pid = {p: i for i, p in enumerate(c.program_ids)}
        mid = {m: i for i, m in enumerate(c.member_ids)}
        bad = sorted({p for p in o.force_launch if p not in pid}
                     | {p for p, _ in o.force_join if p not in pid}
                     | {m for _, m in o.force_join if m not in mid})
        if bad:
            raise ValueError(f"force_launch/force_join: unknown program or member id(s) {bad}")
        fixed = np.zeros(0, dtype=np.int64)
        if o.force_launch:
            progs = np.array([pid[p] for p in o.force_launch], dtype=np.int64)
            rows, launches = match_keys(progs, c.launch_program)
            self.m.add_constraints("(13a) forced launch", progs.size, rows,
                                   self.z.start + launches, 1.0, lower=1.0)
            if c.mode == "joint":
                fixed = launches
        if o.force_join:
            n_m = len(c.member_ids)
            keys = np.array([pid[p] * n_m + mid[m] for p, m in o.force_join], dtype=np.int64)
            rows, pairs = match_keys(keys, c.pair_program * n_m + c.pair_member)
            integer = c.prog_integer[c.pair_program[pairs]]
            bound = c.pair_bound[pairs]
            need = np.ones(keys.size)  # a row without a pair keeps 1: infeasible
            need[rows] = np.where(integer, np.minimum(1.0, bound), 1e-3 * bound)
            cell_rows, cells = match_keys(pairs, c.cell_pair)
            self.m.add_constraints("(13b) forced join", keys.size, rows[cell_rows],
                                   self.x.start + cells, 1.0, lower=need)
        return fixed


def _breakpoints(q0: float, x_max: float, tol: float, integer: bool, exact_limit: int
                 ) -> tuple[FloatArray, float]:
    """Tier thresholds Q_0 < Q_1 < ... <= X_max for (7b), and the top of the exact tiers.

    Whole-unit programs get every integer from Q_0 up to Q_0 + max(exact_limit, 1/tol):
    shares are exact there. Beyond, Q_{j+1} = floor(Q_j (1 + tol)), so for any
    X_l in [Q_j, Q_{j+1}) the modelled share X_k / Q_j over-states the true share
    X_k / X_l by a factor below 1 + tol. Divisible programs use Q_j = Q_0 (1 + tol)^j
    and have no exact tiers (the returned top is Q_0).
    """
    if integer:
        start = math.ceil(q0 - 1e-9)
        top = math.floor(x_max + 1e-9)
        exact_top = min(top, start + max(exact_limit, math.ceil(1.0 / tol)))
        out = list(range(start, exact_top + 1))
        q = exact_top
        while q < top:
            q = min(top, max(q + 1, math.floor(q * (1.0 + tol))))
            out.append(q)
        return np.array(out, dtype=np.float64), float(exact_top)
    n = max(0, math.ceil(math.log(x_max / q0) / math.log1p(tol)))
    return np.unique(np.minimum(q0 * (1.0 + tol) ** np.arange(n + 1), x_max)), q0


def _next_breaks(breaks: FloatArray, x_max: float) -> FloatArray:
    """Q_{j+1} per tier j, X_max after the last (the top of each tier's range)."""
    return np.append(breaks[1:], max(x_max, float(breaks[-1])))


def _tier_tops(breaks: FloatArray, exact_top: float, x_max: float, integer: bool
               ) -> FloatArray:
    """U_j, the most units X_l can reach in tier j (section 7.4): Q_j on the exact tiers,
    Q_{j+1} - 1 beyond them (whole units), Q_{j+1} for divisible units; X_max on the last."""
    nxt = _next_breaks(breaks, x_max)
    if integer:
        top = np.where(breaks <= exact_top + 1e-9, breaks, nxt - 1.0)
        top[-1] = max(float(breaks[-1]), math.floor(x_max + 1e-9))
    else:
        top = nxt
    return np.maximum(top, breaks)


def _needs_shares(c: Compiled) -> tuple[BoolArray, BoolArray]:
    """Λ_sh (launches whose NRC shares enter a row) and K_u (pairs with a participation
    binary u_k), as derived at the end of section 3 of ``models/procurement.md``:

    l in Λ_sh  iff  NRC_p(l) > 0 and ( some m(k), k in K(l), is in M_B or M_W, or
               n_l >= 2, rule(p(l)) in {key, equal} and some m(k) has c_m < 1, f_m > 0
               or (key rule) k_m = 0: a split may not exist for some participant set );
    k in K_u   iff  n_l >= 2 and ( N_p(l) >= 2 or (rule key or equal and l in Λ_sh) ).
    """
    constrained = ruled_members(c)
    n_l = c.num_launches
    launch_constrained = np.bincount(c.pair_launch, weights=constrained[c.pair_member],
                                     minlength=n_l) > 0
    size = np.bincount(c.pair_launch, minlength=n_l)
    multi = size > 1
    keyed = c.share_rule[c.launch_program] != PROPORTIONAL
    ks = np.flatnonzero((keyed & multi)[c.pair_launch])  # pairs of multi-pair key launches
    if ks.size:
        pp, pm = c.pair_program[ks], c.pair_member[ks]
        no_split = ((c.share_cap[pp, pm] < 1.0) | (c.share_floor[pp, pm] > 0.0)
                    | ((c.share_rule[pp] == KEY) & (c.share_key[pp, pm] <= 0.0)))
        launch_constrained |= np.bincount(c.pair_launch[ks], weights=no_split,
                                          minlength=n_l) > 0
    # with no NRC there is nothing to split
    launch_constrained &= c.prog_nrc.sum(axis=1)[c.launch_program] > 0
    need_u = multi & ((c.prog_min_participants[c.launch_program] > 1)
                      | (keyed & launch_constrained))
    return launch_constrained, need_u


def build(c: Compiled, options: FormulationOptions | None = None) -> Formulation:
    """Build the MILP of ``models/procurement.md`` for a compiled scenario."""
    opt = options or FormulationOptions()
    m = LinearModel(f"procurement-{c.mode}")
    # variables ------------------------------------------------------------------------
    launch_nrc = c.prog_nrc.sum(axis=1)[c.launch_program]
    z = m.add_variables("launch", c.num_launches, upper=1.0, integer=True, cost=launch_nrc)
    cell_prog = c.pair_program[c.cell_pair]
    cell_cap = (np.minimum(c.pair_bound[c.cell_pair], c.prog_capacity[cell_prog])
                if opt.capacity_bounds else c.pair_bound[c.cell_pair])
    x = m.add_variables("buy", c.cell_pair.size, upper=cell_cap,
                        integer=c.prog_integer[cell_prog], cost=c.pair_price[c.cell_pair])
    req_int = c.cap_integer[c.req_capability]
    if opt.shortfall_allowance is not None:
        s = m.add_variables("shortfall", c.req_member.size,
                            upper=np.minimum(c.req_quantity, opt.shortfall_allowance),
                            integer=req_int, cost=0.0)
    else:
        s_upper = np.zeros(c.req_member.size) if opt.strict else c.req_quantity
        if opt.shortfall_bound is not None and not opt.strict:
            s_upper = np.minimum(s_upper, max(0.0, opt.shortfall_bound))
        s_cost = (c.shortfall_penalty if opt.shortfall_prices is None
                  else 0.0 if opt.shortfall_free is not None
                  else np.asarray(opt.shortfall_prices, dtype=np.float64))
        s = m.add_variables("shortfall", c.req_member.size, upper=s_upper,
                            integer=req_int, cost=s_cost)
        if opt.shortfall_prices is not None and opt.shortfall_free is not None:
            # (1p) s_r - e_r <= free_r: only the units short beyond free_r cost their price
            free = np.asarray(opt.shortfall_free, dtype=np.float64)
            e = m.add_variables("priced shortfall", c.req_member.size,
                                upper=np.maximum(s_upper - free, 0.0),
                                cost=np.asarray(opt.shortfall_prices, dtype=np.float64))
            n_r = c.req_member.size
            m.add_constraints("(1p) priced shortfall", n_r,
                              np.concatenate([np.arange(n_r), np.arange(n_r)]),
                              np.concatenate([s.index, e.index]),
                              np.concatenate([np.ones(n_r), -np.ones(n_r)]), upper=free)
    launch_constrained, need_u = _needs_shares(c)
    size = np.bincount(c.pair_launch, minlength=c.num_launches)
    u_col = np.full(c.num_pairs, -1, dtype=np.int64)
    ku = np.flatnonzero(need_u[c.pair_launch])
    if ku.size:
        u_col[ku] = m.add_variables("join", ku.size, upper=1.0, integer=True).index
    sigma_col = np.full(c.num_pairs, -1, dtype=np.int64)
    single = launch_constrained[c.pair_launch] & (size[c.pair_launch] == 1)
    sigma_col[single] = z.start + c.pair_launch[single]  # a lone participant pays it all
    ks = np.flatnonzero(launch_constrained[c.pair_launch] & (size[c.pair_launch] > 1))
    if ks.size:
        # key shares are fractions; proportional shares are conservative upper bounds (7b)
        keyed = c.share_rule[c.launch_program[c.pair_launch[ks]]] != PROPORTIONAL
        sigma_col[ks] = m.add_variables("share", ks.size, upper=np.where(keyed, 1.0, INF)).index
    b = _Builder(c, opt, m, z, x, s, u_col, sigma_col)
    b.closing = b.closing_requirements()
    # constraints ------------------------------------------------------------------------
    b.requirements()
    b.linking()
    b.capacity()
    if opt.capacity_cuts:
        b.capacity_cover()
    b.min_run()
    b.participation()
    # (7) shares of the launches in Λ_sh with n_l >= 2: (7a) on Λ_key, (7b) on Λ_prop
    shared = np.flatnonzero(launch_constrained & (size > 1))
    order = np.argsort(c.pair_launch, kind="stable")  # K(l) = order[start[l]:start[l + 1]]
    start = np.concatenate([[0], np.cumsum(size)])
    for launch in shared:
        p = int(c.launch_program[launch])
        if c.share_rule[p] == PROPORTIONAL:
            b.shares_proportional(int(launch), float(c.share_tolerance[p]))
            continue
        pairs = order[start[launch]:start[launch + 1]]
        mem = c.pair_member[pairs]
        b.shares_key(int(launch), pairs, c.share_key[p, mem], c.share_cap[p, mem],
                     c.share_floor[p, mem])
    b.budgets()
    b.dependence()
    b.workshare()
    forced = b.forced() if opt.force_launch or opt.force_join else np.zeros(0, dtype=np.int64)
    # launches that cannot gather N_p eligible members stay closed
    short = np.flatnonzero(size < c.prog_min_participants[c.launch_program])
    model = m.finalize()
    model.col_upper[z.start + short] = 0.0
    # (13a) as a bound too (the restricted MIP of section 11.2 keeps such launches open)
    model.col_lower[z.start + np.setdiff1d(forced, short)] = 1.0
    return Formulation(c, opt, model, z, x, s, sigma_col, u_col, tuple(b.tiers))

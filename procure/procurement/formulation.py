"""The joint procurement MILP of ``models/procurement.md``, built from arrays.

Each constraint family is one function named after its number in the written
model; each appends a block of rows to a :class:`~procure.lp.LinearModel` using
numpy index arithmetic (no Python loop per nonzero). The build is a pure function
of the compiled scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

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
from procure.procurement.compile import Compiled


@dataclass(frozen=True)
class FormulationOptions:
    """Modelling choices (not solver options)."""

    strict: bool = False  # no shortfall allowed: unmet requirement makes the model infeasible
    strong_linking: bool = True  # (2a) per-pair linking rows; off: capacity linking only
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


# ---------------------------------------------------------------------------------------
# helpers


def _group_rows(keys: IntArray) -> tuple[IntArray, int]:
    """Dense row numbers 0..n-1 for arbitrary integer keys (in key order)."""
    rows, uniq = group(keys)
    return rows, int(uniq.size)


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
            sel = np.flatnonzero(has_u) if not self.opt.strong_linking else np.arange(n_k)
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
        if not self.opt.strong_linking:
            # capacity linking is the only link from x to z here: bound unlimited launches too
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
        """(4) sum_{k in l} sum_t x_{k,t} >= L_p z_l."""
        c = self.c
        run = c.prog_min_run[c.launch_program]
        launches = np.flatnonzero(run > 0)
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

    # -- (7) NRC shares -------------------------------------------------------------------
    def shares_key(self, launch: int, keys: FloatArray, caps: FloatArray,
                   floors: FloatArray) -> None:
        """(7a) fixed-key shares among participants, exact (see models/procurement.md)."""
        c = self.c
        ks = np.flatnonzero(c.pair_launch == launch)
        n = ks.size
        k = keys / keys.max() if keys.max() > 0 else np.zeros(keys.size)
        lam_max = 1.0 / k[k > 0].min() if (k > 0).any() else 1.0
        big = k * lam_max  # K_m
        lam = self.m.add_variables(f"lambda[{launch}]", 1, upper=lam_max)
        sig = self.sigma_col[ks]
        u = self.u_col[ks]
        z = self.z.start + launch
        lc = lam.start
        idx = np.arange(n)
        m = self.m
        # (7a.1) sum_k sigma_k = z_l
        m.add_constraints(f"(7a.1) shares sum[{launch}]", 1, np.zeros(n + 1, dtype=np.int64),
                          np.append(sig, z), np.append(np.ones(n), -1.0), lower=0.0, upper=0.0)
        capped = caps < 1.0
        floored = floors > 0.0
        solo = np.full(n, -1, dtype=np.int64)
        if (capped.any() or (k == 0).any()) and n > 1:
            # a lone participant pays the whole NRC: caps (and zero keys) bind only when
            # there is a split
            so = m.add_variables(f"solo[{launch}]", n, upper=1.0, integer=True)
            solo[:] = so.index
            # (7a.8) solo_k <= u_k and sum_k' u_k' + (n - 1) solo_k <= n
            m.add_constraints(f"(7a.8) solo joins[{launch}]", n, np.tile(idx, 2),
                              np.concatenate([solo, u]), np.concatenate([np.ones(n),
                                                                         -np.ones(n)]),
                              upper=0.0)
            m.add_constraints(f"(7a.8) solo alone[{launch}]", n,
                              np.concatenate([np.repeat(idx, n), idx]),
                              np.concatenate([np.tile(u, n), solo]),
                              np.concatenate([np.ones(n * n), np.full(n, n - 1.0)]),
                              upper=float(n))
        # (7a.2) f_m u_k <= sigma_k <= c_m u_k + (1 - c_m) solo_k
        parts_c = [(idx, sig, np.ones(n)), (idx, u, -caps)]
        if (solo >= 0).any():
            parts_c.append((idx, solo, -(1.0 - caps)))
        m.add_constraints(f"(7a.2) share cap[{launch}]", n,
                          np.concatenate([p[0] for p in parts_c]),
                          np.concatenate([p[1] for p in parts_c]),
                          np.concatenate([p[2] for p in parts_c]), upper=0.0)
        if (floors > 0).any():
            m.add_constraints(f"(7a.2) share floor[{launch}]", n, np.tile(idx, 2),
                              np.concatenate([sig, u]), np.concatenate([np.ones(n), -floors]),
                              lower=0.0)
        beta = np.full(n, -1, dtype=np.int64)
        alpha = np.full(n, -1, dtype=np.int64)
        if capped.any():
            b = m.add_variables(f"beta[{launch}]", int(capped.sum()), upper=1.0, integer=True)
            beta[capped] = b.index
        if floored.any():
            a = m.add_variables(f"alpha[{launch}]", int(floored.sum()), upper=1.0, integer=True)
            alpha[floored] = a.index

        def rows(name: str, parts: list[tuple[IntArray, IntArray, FloatArray]],
                 lower: float | FloatArray = -INF, upper: float | FloatArray = INF,
                 nrows: int = n) -> None:
            r = np.concatenate([p[0] for p in parts])
            cc = np.concatenate([p[1] for p in parts])
            v = np.concatenate([p[2] for p in parts])
            m.add_constraints(f"{name}[{launch}]", nrows, r, cc, v, lower=lower, upper=upper)

        lam_col = np.full(n, lc, dtype=np.int64)
        # (7a.3) sigma_k <= k_m lambda + f_m alpha_k (+ solo_k for a zero key k_m)
        parts = [(idx, sig, np.ones(n)), (idx, lam_col, -k)]
        if floored.any():
            parts.append((idx[floored], alpha[floored], -floors[floored]))
        zero = (k == 0) & (solo >= 0)
        if zero.any():
            parts.append((idx[zero], solo[zero], -np.ones(int(zero.sum()))))
        rows("(7a.3) share <= key price", parts, upper=0.0)
        # (7a.4) sigma_k >= k_m lambda - K_m (1 - u_k) - K_m beta_k
        parts = [(idx, sig, np.ones(n)), (idx, lam_col, -k), (idx, u, -big)]
        if capped.any():
            parts.append((idx[capped], beta[capped], big[capped]))
        rows("(7a.4) share >= key price", parts, lower=-big)
        if capped.any():
            ci = idx[capped]
            nc = ci.size
            j = np.arange(nc)
            # (7a.5) capped: sigma_k >= c_m beta_k and k_m lambda >= c_m beta_k; beta_k <= u_k
            rows("(7a.5) capped share", [(j, sig[ci], np.ones(nc)), (j, beta[ci], -caps[ci])],
                 lower=0.0, nrows=nc)
            rows("(7a.5) capped key", [(j, np.full(nc, lc), k[ci]), (j, beta[ci], -caps[ci])],
                 lower=0.0, nrows=nc)
        if floored.any():
            fi = idx[floored]
            nf = fi.size
            j = np.arange(nf)
            # (7a.6) floored: sigma_k <= f_m + (c_m - f_m)(1 - alpha_k) + (1 - c_m) solo_k,
            # k_m lambda <= f_m + K_m (1 - alpha_k)
            parts_f = [(j, sig[fi], np.ones(nf)), (j, alpha[fi], caps[fi] - floors[fi])]
            if (solo >= 0).any():
                parts_f.append((j, solo[fi], -(1.0 - caps[fi])))
            rows("(7a.6) floored share", parts_f, upper=caps[fi], nrows=nf)
            rows("(7a.6) floored key",
                 [(j, np.full(nf, lc), k[fi]), (j, alpha[fi], big[fi])],
                 upper=floors[fi] + big[fi], nrows=nf)
        # (7a.7) alpha_k + beta_k <= u_k
        parts = [(idx, u, -np.ones(n))]
        if capped.any():
            parts.append((idx[capped], beta[capped], np.ones(int(capped.sum()))))
        if floored.any():
            parts.append((idx[floored], alpha[floored], np.ones(int(floored.sum()))))
        if len(parts) > 1:
            rows("(7a.7) one regime", parts, upper=0.0)

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
        breaks, exact_top = _breakpoints(q0, x_max, tolerance, bool(c.prog_integer[p]),
                                         self.opt.exact_tier_limit)
        nj = breaks.size
        nxt = np.append(breaks[1:], max(x_max, breaks[-1]))  # Q_{j+1}; X_l <= Q_{j+1}
        y = m.add_variables(f"tier[{launch}]", nj, upper=1.0, integer=True)
        xl = m.add_variables(f"units[{launch}]", 1)
        cells = np.flatnonzero(c.pair_launch[c.cell_pair] == launch)
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
        pos_of = np.full(c.num_pairs, -1, dtype=np.int64)
        pos_of[ks] = np.arange(n)
        cell_pos = pos_of[c.cell_pair[cells]]  # pair position of each cell
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
        s = c.scenario
        cpos = {cid: i for i, cid in enumerate(c.capability_ids)}
        gamma = np.full((len(c.member_ids), len(c.capability_ids)), np.nan)
        for i, mem in enumerate(s.members):
            nc = mem.constraints
            if nc.max_single_foreign_share is not None:
                gamma[i, :] = nc.max_single_foreign_share
            for cid, share in nc.max_single_foreign_share_by_capability.items():
                gamma[i, cpos[cid]] = share
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
        rho = np.zeros(len(c.member_ids))
        per_program = np.zeros(len(c.member_ids), dtype=np.bool_)
        for i, mem in enumerate(c.scenario.members):
            ws = mem.constraints.workshare
            if ws is not None and ws.min_ratio > 0:
                rho[i] = ws.min_ratio
                per_program[i] = ws.mode == "per_program"
        glob = np.flatnonzero((rho > 0) & ~per_program)
        if glob.size:
            # one row per member: spend weights over every launch, pay over its pairs
            w = c.work[c.launch_program][:, glob]  # (L, G)
            sl, sr = np.nonzero(w)
            row_of = np.full(len(c.member_ids), -1, dtype=np.int64)
            row_of[glob] = np.arange(glob.size)
            pk = np.flatnonzero(row_of[c.pair_member] >= 0)
            self._balance_rows("(11) global balance", glob.size, sr, sl, w[sl, sr],
                               row_of[c.pair_member[pk]], pk, rho[glob])
        kp = np.flatnonzero(per_program[c.pair_member])
        if kp.size:
            # one row per pair of a per-program member: spend and pay of that launch only
            launch = c.pair_launch[kp]
            w = c.work[c.launch_program[launch], c.pair_member[kp]]
            rows = np.arange(kp.size, dtype=np.int64)
            self._balance_rows("(10) juste retour", kp.size, rows, launch, w, rows, kp,
                               rho[c.pair_member[kp]])

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


def _needs_shares(c: Compiled) -> tuple[BoolArray, BoolArray]:
    """Launches whose NRC shares enter a constraint, and pairs whose member joins explicitly.

    Shares matter when a member of the launch has a budget or a workshare rule;
    explicit participation u_k is needed for multi-member launches that count
    participants (N_p > 1) or split NRC by a key.
    """
    constrained = np.asarray(~np.isnan(c.budgets).all(axis=1), dtype=np.bool_)
    for i, mem in enumerate(c.scenario.members):
        if mem.constraints.workshare is not None:
            constrained[i] = True
    launch_constrained = np.zeros(c.num_launches, dtype=np.bool_)
    np.logical_or.at(launch_constrained, c.pair_launch, constrained[c.pair_member])
    size = np.bincount(c.pair_launch, minlength=c.num_launches)
    multi = size > 1
    keyed = np.array([c.cost_shares[p].rule != "proportional" for p in c.launch_program],
                     dtype=np.bool_)
    # a key rule with caps, floors or zero keys may admit no split for some participant
    # sets: its rows (7a) are needed even when no budget or workshare reads the shares
    for launch in np.flatnonzero(keyed & multi):
        rule = c.cost_shares[int(c.launch_program[launch])]
        mids = [c.member_ids[i] for i in c.pair_member[c.pair_launch == launch]]
        if rule.rule != "key":
            zero_key = False
        elif isinstance(rule.key, dict):
            zero_key = any(rule.key.get(mid, 0.0) <= 0 for mid in mids)
        else:
            zero_key = bool((c.gdp[c.pair_member[c.pair_launch == launch]] <= 0).any())
        if zero_key or any(rule.caps.get(mid, 1.0) < 1.0 or rule.floors.get(mid, 0.0) > 0
                           for mid in mids):
            launch_constrained[launch] = True
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
    cell_cap = np.minimum(c.pair_bound[c.cell_pair], c.prog_capacity[cell_prog])
    x = m.add_variables("buy", c.cell_pair.size, upper=cell_cap,
                        integer=c.prog_integer[cell_prog], cost=c.pair_price[c.cell_pair])
    req_int = np.array([not c.scenario.capabilities[i].divisible for i in c.req_capability],
                       dtype=np.bool_)
    if opt.shortfall_allowance is not None:
        s = m.add_variables("shortfall", c.req_member.size,
                            upper=np.minimum(c.req_quantity, opt.shortfall_allowance),
                            integer=req_int, cost=0.0)
    else:
        s_upper = np.zeros(c.req_member.size) if opt.strict else c.req_quantity
        if opt.shortfall_bound is not None and not opt.strict:
            s_upper = np.minimum(s_upper, max(0.0, opt.shortfall_bound))
        s = m.add_variables("shortfall", c.req_member.size, upper=s_upper,
                            integer=req_int, cost=c.shortfall_penalty)
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
        keyed = np.array([c.cost_shares[p].rule != "proportional"
                          for p in c.launch_program[c.pair_launch[ks]]], dtype=np.bool_)
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
    for launch in np.flatnonzero(launch_constrained & (size > 1)):
        p = int(c.launch_program[launch])
        rule = c.cost_shares[p]
        if rule.rule == "proportional":
            b.shares_proportional(int(launch), rule.tolerance)
            continue
        pairs = np.flatnonzero(c.pair_launch == launch)
        members = [c.member_ids[i] for i in c.pair_member[pairs]]
        if rule.rule == "equal":
            keys = np.ones(pairs.size)
        elif rule.key == "gdp":
            keys = c.gdp[c.pair_member[pairs]]
        else:
            keys = np.array([rule.key.get(mid, 0.0) for mid in members])
        caps = np.array([rule.caps.get(mid, 1.0) for mid in members])
        floors = np.array([rule.floors.get(mid, 0.0) for mid in members])
        b.shares_key(int(launch), keys, caps, floors)
    b.budgets()
    b.dependence()
    b.workshare()
    # launches that cannot gather N_p eligible members stay closed
    short = np.flatnonzero(size < c.prog_min_participants[c.launch_program])
    model = m.finalize()
    model.col_upper[z.start + short] = 0.0
    return Formulation(c, opt, model, z, x, s, sigma_col)

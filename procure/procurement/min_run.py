"""Minimum-run rows (4) checked on the plan (``models/procurement.md`` section 11.7).

A launch whose program sets no minimum production run still has a row (4)
``X_l >= L_p z_l``, with ``L_p`` the default of section 3 (one whole unit; 1/1000 of
the smallest requirement for divisible capabilities): a launched program delivers
something. On facility-location models those rows keep HiGHS's presolve from reducing
the model, and the plans rarely come near them. So :class:`ProcurementModel` builds
such models without them (``FormulationOptions.min_run_rows``) and reads every plan
against every row (4) instead (:func:`complete`):

1. a launch with ``z_l = 1`` and ``X_l >= L_p - tol`` meets its row;
2. every launch with ``z_l = 1`` that breaks its row buys nothing (``X_l <= tol``):
   close them (``z_l = 0``). With ``NRC >= 0`` the plan costs no more, and when it still
   meets every row of the formulation it is a plan of the full model;
3. otherwise the formulation with the rows of the launches that break theirs is solved
   again (the pipeline's ``complete`` stage).

Each formulation relaxes the full model (it has a subset of its rows), so every bound
proved on it holds for the full model, and a plan of the full model within the gap of
it is optimal.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from procure.lp.model import FloatArray
from procure.procurement.compile import Compiled
from procure.procurement.formulation import (
    Formulation,
    build,
    min_run_left_out,
    ruled_members,
)
from procure.run.model import Completion, satisfies

TOL = 1e-6  # a row (4) holds within TOL max(1, L_p) units; a launch buys nothing below it


def applies(c: Compiled) -> bool:
    """Whether the rows (4) of the default minimum run are checked on the plan: some
    launch's L_p > 0 is the default of section 3 (its program sets no minimum
    production run), and no member has a budget or a workshare rule. With those, shares
    and tiers (7) make the solver's plans under a time limit buy a sliver from launches
    often enough that checking costs more than the rows (measured, section 11.7)."""
    program = c.launch_program
    return bool(not ruled_members(c).any() and np.any((c.prog_min_run[program] > 0)
                                                      & (c.prog_min_run_given[program] <= 0)))


def shortfall_of_run(f: Formulation, x: FloatArray) -> FloatArray:
    """Per launch, by how many units the plan ``x`` breaks its row (4): the units
    ``L_p - X_l`` an open launch (``z_l > 1/2``) lacks, beyond TOL max(1, L_p); 0 where
    the row holds."""
    c = f.compiled
    run = c.prog_min_run[c.launch_program]
    bought = np.bincount(c.pair_launch[c.cell_pair], weights=f.buy.values(x),
                         minlength=c.num_launches)
    lacking = run - bought
    opened = f.launch.values(x) > 0.5
    out: FloatArray = np.where(opened & (lacking > TOL * np.maximum(1.0, run)), lacking, 0.0)
    return out


def complete(f: Formulation, x: FloatArray, *, final: bool = False) -> Completion[Formulation]:
    """The plan ``x`` read against every row (4) (module docstring): the plan, repaired
    when its only open launches below their run buy nothing; else ``f`` with the rows
    of the launches that break theirs (with ``final``, every row). A formulation with
    every row (4) takes its plans as they are."""
    if f.options.min_run_rows is None:
        return Completion(x=x)
    lacking = shortfall_of_run(f, x)
    short = np.flatnonzero(lacking > 0.0)
    if not short.size:
        return Completion(x=x)
    c = f.compiled
    run = c.prog_min_run[c.launch_program[short]]
    if np.all(lacking[short] >= run - TOL * np.maximum(1.0, run)):  # they buy nothing
        closed = x.copy()
        closed[f.launch.start + short] = 0.0
        if satisfies(f.model, closed, tol=TOL):
            return Completion(x=closed, message=f"section 11.7: {short.size} launch(es) "
                              "open but buying nothing closed")
    rows = None if final else tuple(sorted({*(f.options.min_run_rows or ()),
                                            *short.tolist()}))
    what = "every row (4)" if rows is None else f"the rows (4) of {short.size} launch(es)"
    return Completion(formulation=build(c, replace(f.options, min_run_rows=rows)),
                      message=f"section 11.7: the plan delivers less than the minimum run "
                      f"of {short.size} launch(es); solved again with {what}")


__all__ = ["TOL", "applies", "complete", "min_run_left_out", "shortfall_of_run"]

"""Expansion of a sweep spec into its cases: what the sweep engine solves.

:func:`expand` lists every case of a sweep in a fixed order:

1. the base case, unedited, as case 0 (when ``include_base``);
2. the axes' cases: with ``combine: product`` every combination of one value per axis,
   the first axis varying slowest (like nested loops, or :func:`itertools.product`);
   with ``combine: zip`` the i-th values of every axis together;
3. the explicit ``cases``, in document order.

Each case's edits are applied to the base scenario's data
(:func:`procure.sweep.edits.apply_edits`) and the result goes through the full scenario
validation (:func:`procure.io.scenario_from_data`, cross-field checks included). A case
whose edits cannot apply or give an invalid scenario is still listed, as a named
failure: ``scenario`` is ``None`` and ``error`` says why, one line per problem. Nothing
here raises for a single case.

A case's ``key`` identifies its solve: the SHA-256 of the canonical JSON (sorted keys,
no spaces) of its validated scenario data, solver, options (time limit, MIP gap,
threads, seed) and procure's version. Cases with the same key are all listed; the engine
solves each key once.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from procure.backends.base import SolveOptions
from procure.common import input_hash
from procure.errors import ScenarioError, SweepSpecError
from procure.io import scenario_from_data
from procure.run.record import procure_version
from procure.schema.scenario import Scenario
from procure.schema.sweep import (
    Edit,
    OptionsOverride,
    SolverOptionsEdit,
    SweepSpec,
    spec_problems,
)
from procure.sweep.edits import EditError, apply_edits


@dataclass(frozen=True)
class Case:
    """One case of a sweep: a scenario (or why there is none), its solver and options."""

    index: int
    """Position in the sweep, from 0 (0 is the base case when the spec includes it)."""
    name: str
    """Human label: ``base``, the axis values' labels joined by ``, ``, or the explicit
    case's name."""
    labels: dict[str, str]
    """Axis name -> value label (every axis; ``""`` for each axis of the base case);
    ``{"case": name}`` for an explicit case."""
    scenario: dict[str, Any] | None
    """The validated scenario's JSON data (``model_dump(mode="json")``); ``None`` when
    the edits failed."""
    error: str | None
    """Why the case could not be built (the edit error, or the scenario's problems, one
    line each); ``None`` when it was."""
    solver: str
    """Backend name."""
    options: SolveOptions
    """Solve options of the case (time limit, MIP gap, threads, seed)."""
    key: str
    """SHA-256 (hex) of the case's solve: its scenario, solver, options and procure's
    version; for a failed case, of the base scenario, its edits and the error."""
    task: str = "study"
    """What the worker does with the scenario: ``study`` (joint, go-alone, like for
    like; and movements) or ``coalition`` (one coalition's cost in the burden-sharing
    game, :mod:`procure.sharing.alliance`)."""
    extra: dict[str, Any] | None = None
    """Data the task needs besides the scenario (a coalition: members, levels, unit
    values)."""


def _canonical_hash(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _options_key(options: SolveOptions) -> dict[str, Any]:
    tl = options.time_limit
    return {"time_limit": None if tl is None else float(tl), "mip_gap": float(options.mip_gap),
            "threads": int(options.threads), "seed": int(options.seed),
            "solver_options": {k: dict(v) for k, v in options.solver_options.items()}}


def case_key(scenario: dict[str, Any], solver: str, options: SolveOptions) -> str:
    """SHA-256 (hex) of the canonical JSON of ``{"scenario", "solver", "options",
    "procure"}``: equal for equal solves, whatever the order of the scenario's keys."""
    return _canonical_hash({"scenario": scenario, "solver": solver,
                            "options": _options_key(options), "procure": procure_version()})


def _failure_key(base_hash: str, edits: Sequence[Edit], error: str) -> str:
    return _canonical_hash({"base": base_hash,
                            "edits": [e.model_dump(mode="json") for e in edits],
                            "error": error, "procure": procure_version()})


def _settings(spec: SweepSpec, edits: Sequence[Edit],
              override: OptionsOverride | None) -> tuple[str, SolveOptions]:
    """The solver and options of a case: the spec's, then each ``solver_options`` edit in
    order, then the explicit case's own ``options``."""
    solver: str = spec.solver
    o = spec.options
    values: dict[str, Any] = {"time_limit": o.time_limit, "mip_gap": o.mip_gap,
                              "threads": o.threads, "seed": o.seed}
    layers: list[SolverOptionsEdit | OptionsOverride] = [
        e for e in edits if isinstance(e, SolverOptionsEdit)]
    if override is not None:
        layers.append(override)
    for layer in layers:
        if isinstance(layer, SolverOptionsEdit) and layer.solver is not None:
            solver = layer.solver
        for name in values:
            v = getattr(layer, name)
            if v is not None:
                values[name] = v
    return solver, SolveOptions(time_limit=float(values["time_limit"]),
                                mip_gap=float(values["mip_gap"]),
                                threads=int(values["threads"]), seed=int(values["seed"]),
                                solver_options={str(k): v for k, v in
                                                spec.options.solver_options.items()})


def _error_text(err: Exception) -> str:
    if isinstance(err, ScenarioError):
        return "\n".join(str(p) for p in err.problems) or str(err)
    return str(err)


def build_case(index: int, name: str, labels: dict[str, str], base_data: dict[str, Any],
               base_hash: str, spec: SweepSpec, edits: Sequence[Edit],
               override: OptionsOverride | None = None) -> Case:
    """One case: ``edits`` applied to ``base_data`` and validated; a failure to apply or
    validate gives a case with ``scenario=None`` and the ``error``, never an exception."""
    solver, options = _settings(spec, edits, override)
    try:
        data = apply_edits(base_data, edits)
        scenario: dict[str, Any] | None = scenario_from_data(data).model_dump(mode="json")
        error = None
    except (EditError, ScenarioError) as err:
        scenario, error = None, _error_text(err)
    if scenario is not None:
        key = case_key(scenario, solver, options)
    else:
        assert error is not None
        key = _failure_key(base_hash, edits, error)
    return Case(index=index, name=name, labels=labels, scenario=scenario, error=error,
                solver=solver, options=options, key=key)


def expand(spec: SweepSpec, base: Scenario) -> list[Case]:
    """Every case of ``spec`` on ``base``, in order: base case, axes' cases (product: the
    first axis varies slowest; zip: the i-th values together), explicit cases. Raises
    :class:`~procure.errors.SweepSpecError` only when the spec as a whole is wrong
    (:func:`~procure.schema.sweep.spec_problems`: duplicate names, zip of unequal lengths,
    too many cases); a case that cannot be built is a named failure in the list."""
    problems = spec_problems(spec)
    if problems:
        raise SweepSpecError(problems)
    base_data = base.model_dump(mode="json")
    base_hash = input_hash(base)
    cases: list[Case] = []

    def add(name: str, labels: dict[str, str], edits: Sequence[Edit],
            override: OptionsOverride | None = None) -> None:
        cases.append(build_case(len(cases), name, labels, base_data, base_hash, spec, edits,
                                override))

    if spec.include_base:
        add("base", {a.name: "" for a in spec.axes}, [])
    if spec.axes:
        combos = (itertools.product(*(a.values for a in spec.axes)) if spec.combine == "product"
                  else zip(*(a.values for a in spec.axes), strict=True))
        for combo in combos:
            labels = {a.name: v.name for a, v in zip(spec.axes, combo, strict=True)}
            edits = [e for v in combo for e in v.edits]
            add(", ".join(labels.values()), labels, edits)
    for c in spec.cases:
        add(c.name, {"case": c.name}, c.edits, c.options)
    return cases

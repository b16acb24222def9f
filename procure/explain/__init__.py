"""Why the plan is what it is, in the scenario's own words (``models/explain.md``).

- :mod:`procure.explain.elastic`: conflicts and minimum relaxations of any model through
  the solver seam (the solver's IIS where the backend has one, an elastic filter
  otherwise);
- :mod:`procure.explain.rules`: the procurement model's rows grouped into the rules a
  planner wrote (a budget, a requirement, a program's capacity...), named as the
  scenario names them;
- :mod:`procure.explain.conflicts`: why a strict scenario is infeasible, and why each
  shortfall of an elastic plan could not be delivered;
- :mod:`procure.explain.marginal`: what one more unit of a budget, a capacity, a base's
  throughput is worth, in money and in shortfall (or lateness) separately, and over
  what range;
- :mod:`procure.explain.prices`: what each national constraint costs the alliance, and
  what forcing a program into the plan would cost.
"""

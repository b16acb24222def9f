"""The benchmark harness of ``procure``: not part of the installed library.

It lives in the source repository only (``pyproject.toml`` packages ``procure*``)
and runs from the repository root as ``python -m benchmarks`` (see ``README.md`` in
this folder). Modules, in import order (each imports only those before it):

- :mod:`benchmarks.targets`: the performance targets, one place;
- :mod:`benchmarks.library`: every call into ``procure``, one place;
- :mod:`benchmarks.cases`: sizes, profiles, data paths, the scenario of a case;
- :mod:`benchmarks.optima`: published optima of the public instances;
- :mod:`benchmarks.references`: the build contenders (ours, floor, PuLP);
- :mod:`benchmarks.plain_cflp`: the plain HiGHS CFLP model and its script (no procure);
- :mod:`benchmarks.cflp`: the plain model and the product on CFLP files, in process;
- :mod:`benchmarks.instances`: OR-Library and hard-instance measurements;
- :mod:`benchmarks.endtoend`: the command line against the plain script (section 9);
- :mod:`benchmarks.lp_methods`: LP methods on the movement model's relaxation;
- :mod:`benchmarks.sweeps`: one sweep per child (local pool, Dask), tables compared;
- :mod:`benchmarks.sharing`: one burden-sharing game per child, pools and oracles compared;
- :mod:`benchmarks.alliance`: alliance-scale solves, today's path against the start;
- :mod:`benchmarks.measure`: one measurement per child process;
- :mod:`benchmarks.report`: ``RESULTS.md`` from the results;
- :mod:`benchmarks.suite`: a whole profile, to ``results.json`` and ``RESULTS.md``;
- :mod:`benchmarks.cli`: the command line (``python -m benchmarks``).
"""

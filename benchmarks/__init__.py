"""The benchmark harness of ``procure``: not part of the installed library.

It lives in the source repository only (``pyproject.toml`` packages ``procure*``)
and runs from the repository root as ``python -m benchmarks`` (see ``README.md`` in
this folder). Modules, in import order (each imports only those before it):

- :mod:`benchmarks.targets`: the performance targets, one place;
- :mod:`benchmarks.library`: every call into ``procure``, one place;
- :mod:`benchmarks.cases`: sizes, profiles, data paths, the scenario of a case;
- :mod:`benchmarks.optima`: published optima of the public instances;
- :mod:`benchmarks.references`: the build contenders (ours, floor, PuLP);
- :mod:`benchmarks.cflp`: the plain HiGHS CFLP model and the product on CFLP files;
- :mod:`benchmarks.instances`: OR-Library and hard-instance measurements;
- :mod:`benchmarks.lp_methods`: LP methods on the movement model's relaxation;
- :mod:`benchmarks.sweeps`: one sweep per child (local pool, Dask), tables compared;
- :mod:`benchmarks.measure`: one measurement per child process;
- :mod:`benchmarks.report`: ``RESULTS.md`` from the results;
- :mod:`benchmarks.suite`: a whole profile, to ``results.json`` and ``RESULTS.md``;
- :mod:`benchmarks.cli`: the command line (``python -m benchmarks``).
"""

"""The benchmark suite's smoke profile runs end to end, and its references are sound.

The harness is the ``benchmarks`` package at the repository root, not part of the
installed library: the root goes on ``sys.path`` here so the tests import it from the
checkout, as ``python -m benchmarks`` does.
"""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.cases import scenario_for  # noqa: E402
from benchmarks.cli import main as bench_main  # noqa: E402
from benchmarks.library import (  # noqa: E402
    available_backends,
    lp_relaxation,
    solve_model,
    solve_options,
)
from benchmarks.references import (  # noqa: E402
    build_ours,
    floor_handoff,
    pulp_build,
    pulp_data,
    pulp_handoff,
)
from benchmarks.report import geomean, render_markdown, sharing_tables, why_missed  # noqa: E402
from benchmarks.sharing import compare_reference, compare_runs  # noqa: E402
from benchmarks.suite import fit_exponent, merge_results, run_suite  # noqa: E402
from benchmarks.sweeps import compare_cases  # noqa: E402
from benchmarks.targets import SWEEP_SPEEDUP_MIN  # noqa: E402


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench")
    results = run_suite("smoke", out, log=lambda _: None)
    return out, results


def test_smoke_writes_both_files(smoke: tuple[Path, dict[str, Any]]) -> None:
    out, results = smoke
    on_disk = json.loads((out / "results.json").read_text())
    assert on_disk["profile"]["name"] == "smoke"
    md = (out / "RESULTS.md").read_text()
    assert md == render_markdown(on_disk)
    for heading in ("## Targets", "## 1. Build", "## 2. Backends side by side",
                    "## 5. LP relaxation", "## 6. Sweeps: cases per minute, local pool and Dask",
                    "## 7. Burden sharing: the alliance's cost game"):
        assert heading in md
    assert "When each section was measured" not in md  # one run
    assert set(on_disk["measured"]) == set(on_disk["sections"])
    assert results["machine"]["cores"] >= 1
    assert not list(out.glob(".*.tmp"))


def test_smoke_build_rows_compare_the_same_matrix(smoke: tuple[Path, dict[str, Any]]) -> None:
    _, results = smoke
    for kind in ("procurement", "logistics"):
        (row,) = results["build"][kind]["rows"]
        ours, floor, pulp = row["ours"], row["floor"], row["pulp"]
        assert ours["nnz"] == floor["nnz"] == pulp["nnz"] > 1000
        assert ours["total"] == pytest.approx(ours["compile"] + ours["build"] + ours["handoff"])
        assert row["ours_over_floor"] == pytest.approx(ours["total"] / floor["total"])
        assert row["pulp_over_ours"] > 1.0  # PuLP builds one Python object per nonzero
        assert ours["peak_mib"] >= 0 and pulp["peak_mib"] > 0


def test_smoke_solves_every_backend(smoke: tuple[Path, dict[str, Any]]) -> None:
    _, results = smoke
    rows = results["solve"]
    for kind in ("procurement", "logistics"):
        assert {r["backend"] for r in rows if r["kind"] == kind} == set(available_backends())
    for r in rows:
        assert "error" not in r, r
        if r["status"] in ("optimal", "feasible"):
            assert r["evaluator_ok"] is True, r
        if r["status"] == "optimal":
            assert r["gap"] is not None and r["gap"] <= 1e-6


def test_smoke_orlib_and_lp_methods(smoke: tuple[Path, dict[str, Any]]) -> None:
    _, results = smoke
    if "orlib" in results["sections"]:
        (cap41,) = results["orlib"]
        assert cap41["ours"]["rel_err"] <= 1e-6 and cap41["direct"]["rel_err"] <= 1e-6
        assert cap41["ours"]["evaluator_ok"] is True
        (link,) = results["linking"]
        assert link["strong"]["rel_err"] <= 1e-6 and link["weak"]["rel_err"] <= 1e-6
        assert link["strong"]["rows"] > link["weak"]["rows"]
    simplex = [r["objective"] for r in results["lp"]
               if r["status"] == "optimal" and "simplex" in r["method"]]
    assert len(simplex) >= 2
    assert max(simplex) - min(simplex) <= 1e-6 * max(1.0, abs(min(simplex)))


def test_smoke_end_to_end_runs_both_commands_and_the_plain_script(
        smoke: tuple[Path, dict[str, Any]]) -> None:
    """Section 9: fresh processes for the plain script (strong, weak) and for
    ``procure import`` + ``procure solve``; both reach the published optimum, the
    product's plan passes the evaluator, and the ratio is ours over the faster plain."""
    out, results = smoke
    if "cli" not in results["sections"]:
        pytest.skip("no public instances beside the checkout")
    (cap41,) = results["cli"]
    assert "error" not in cap41, cap41
    wall = cap41["wall"]
    assert wall["ours"] == pytest.approx(wall["import"] + wall["solve"])
    assert min(wall["plain-strong"], wall["plain-weak"]) > 0
    assert cap41["ours"]["status"] == "optimal" and cap41["ours"]["rel_err"] <= 1e-6
    assert cap41["ours"]["evaluator_ok"] is True
    for plain in cap41["plain"].values():
        assert plain["status"] == "Optimal" and plain["rel_err"] <= 1e-6
    md = (out / "RESULTS.md").read_text()
    assert "## 9. End to end on the command line" in md
    assert "end to end, `procure import` + `procure solve`" in md


def test_smoke_sweep_runs_on_the_local_pool_and_dask(
        smoke: tuple[Path, dict[str, Any]]) -> None:
    out, results = smoke
    data = results["sweep"]
    assert data["spec"] == "datasets/sweeps/tutorial_budgets.yaml"
    runs = {r["run"]: r for r in data["runs"]}
    assert list(runs) == ["local-1", "local-2", "dask-2"]
    for r in runs.values():
        assert "error" not in r, r
        assert (r["cases"], r["solved"], r["failed"]) == (6, 6, 0)
        assert r["cases_per_minute"] == pytest.approx(60 * 6 / r["seconds"])
        assert 0 < r["case_seconds_median"] <= r["case_seconds_sum"]
        assert len(r["load_average"]) == len(r["load_average_end"]) == 3
    assert runs["local-1"]["startup_seconds"] is None
    assert runs["dask-2"]["startup_seconds"] > 0
    assert data["identical"] is True and data["differing"] == [] == data["missing"]
    assert data["differing_cases"] == [] and all(r["unproven"] == [] for r in runs.values())
    assert (data["cases"], data["solved"], data["failed"]) == (6, 6, 0)
    assert data["speedup"] == pytest.approx(runs["local-1"]["seconds"]
                                            / runs["local-2"]["seconds"])
    extra = runs["dask-2"]["seconds"] - runs["local-2"]["seconds"]
    assert data["dask_overhead_per_case"] == pytest.approx(extra / 6)
    assert data["dask_overhead_per_case_with_startup"] == pytest.approx(
        (extra + runs["dask-2"]["startup_seconds"]) / 6)
    assert results["measured"]["sweep"]["profile"] == "smoke"
    md = (out / "RESULTS.md").read_text()
    assert f"2 local workers >= {SWEEP_SPEEDUP_MIN:g}x the cases per minute" in md
    assert "| dask-2 | dask | 2 |" in md
    assert "The three cases tables are identical" in md


def test_smoke_sharing_runs_on_the_local_pool_and_dask(
        smoke: tuple[Path, dict[str, Any]]) -> None:
    out, results = smoke
    data = results["sharing"]
    assert data["alliance"] == "generate_alliance(4, 2, 1, 3, seed=1)"
    runs = {r["run"]: r for r in data["runs"]}
    assert list(runs) == ["local-2", "dask-2"]
    steps = ("standalone", "shapley", "least_core", "nucleolus")
    for r in runs.values():
        assert "error" not in r, r
        assert all("error" not in r[step] and r[step]["seconds"] >= 0 for step in steps), r
        assert r["members"] == 4 and r["oracle"] == "enumerate"
        # the batch: c(N), 4 alone, 4 leave-one-out; enumeration then solves every one
        assert r["standalone"]["coalitions"] == 9 and r["coalitions"] == 2**4 - 1
        assert r["all_exact_checked"] is True and r["unproven"] == 0 and r["gaps"] == []
        assert r["shapley"]["samples"] == 2 and len(r["shapley"]["value"]) == 4
        assert sum(r["shapley"]["value"]) == pytest.approx(r["grand_cost"])
        assert sum(r["nucleolus"]["allocation"]) == pytest.approx(r["grand_cost"])
        assert r["seconds"] >= sum(r[step]["seconds"] for step in steps)
        assert len(r["load_average"]) == len(r["load_average_end"]) == 3
    assert runs["local-2"]["startup_seconds"] is None
    assert runs["dask-2"]["startup_seconds"] > 0
    assert data["identical"] is True
    assert data["dask_over_local"] == pytest.approx(runs["dask-2"]["seconds"]
                                                    / runs["local-2"]["seconds"])
    ref = data["reference"]
    by_oracle = {r["oracle"]: r for r in ref["runs"]}
    assert list(by_oracle) == ["enumerate", "milp"]
    assert by_oracle["enumerate"]["coalitions"] == 2**4 - 1
    assert by_oracle["milp"]["milps"] > 0 and by_oracle["enumerate"]["milps"] == 0
    assert ref["agree"] is True
    assert ref["milp_over_enumerate_coalitions"] == pytest.approx(
        by_oracle["milp"]["coalitions"] / 15)
    assert results["measured"]["sharing"]["profile"] == "smoke"
    md = (out / "RESULTS.md").read_text()
    assert "| dask-2 | dask | 2 |" in md and "| milp |" in md
    assert "are identical on the two pools" in md
    assert "Their least cores (epsilon and allocation) and nucleoli agree" in md


def _game_run(run: str, allocation: list[float], **extra: Any) -> dict[str, Any]:
    step = {"seconds": 1.0, "coalitions": 3, "milps": 0, "gaps": []}
    return {"run": run, "executor": run.split("-")[0], "workers": 2, "seconds": 4.0,
            "grand_seconds": 0.5, "members": 2, "oracle": "enumerate", "grand_cost": 10.0,
            "coalitions": 3, "milps": 0, "gaps": [], "unproven": 0,
            "all_exact_checked": True, "standalone": step,
            "shapley": {**step, "value": [4.0, 6.0], "half_width_max": 0.0},
            "least_core": {**step, "epsilon": -1.0, "allocation": [4.0, 6.0],
                           "lp_solves": 1},
            "nucleolus": {**step, "allocation": allocation, "levels": [-1.0],
                          "lp_solves": 1, "domain": "preimputation",
                          "fallback": "the game has no imputation"},
            "load_average": [1.0, 1.0, 1.0], "load_average_end": [1.0, 1.0, 1.0], **extra}


def test_sharing_report_names_differences_errors_and_the_prenucleolus() -> None:
    local = _game_run("local-2", [4.0, 6.0])
    dask = _game_run("dask-2", [4.5, 5.5], startup_seconds=1.0, seconds=6.0)
    runs = {"local-2": local, "dask-2": dask}
    data = {"alliance": "a.yaml", "samples": 2, "runs": [local, dask], **compare_runs(runs),
            "reference": {"alliance": "g", "runs": [
                {**_game_run("local-2", [4.0, 6.0]), "oracle": "enumerate"},
                {"oracle": "milp", "error": "no result within 3600 s"}]}}
    assert data["identical"] is False and data["differences"]["nucleolus.allocation"] == 0.5
    assert data["dask_over_local"] == pytest.approx(1.5)
    assert data["dask_over_local_with_startup"] == pytest.approx(7.0 / 4.0)
    data["reference"].update(compare_reference({r["oracle"]: r
                                                for r in data["reference"]["runs"]}))
    assert data["reference"]["agree"] is None
    text = "\n".join(sharing_tables({"sharing": data}))
    assert "**not identical**" in text and "in `nucleolus.allocation`" in text
    assert "the prenucleolus is shown" in text and "| preimputation |" in text
    assert "| milp | no result within 3600 s |" in text
    assert "The two oracles did not both finish" in text
    dask_error = {"run": "dask-2", "executor": "dask", "workers": 2, "error": "exit code 1"}
    runs = {"local-2": local, "dask-2": dask_error}
    data = {**data, "runs": [local, dask_error], **compare_runs(runs)}
    assert data["identical"] is None and data["dask_over_local"] is None
    text = "\n".join(sharing_tables({"sharing": data}))
    assert "| dask-2 | dask | 2 | exit code 1 |" in text
    assert "not compared: a run is missing an answer" in text


def test_compare_cases_names_what_differs(tmp_path: Path) -> None:
    table = pd.DataFrame({"case": [0, 1], "name": ["base", "x"], "joint_cost": [1.5, None]})
    paths = {}
    for name, frame in (("a", table), ("b", table.copy()),
                        ("c", table.assign(joint_cost=[1.5, 2.0]))):
        paths[name] = tmp_path / f"{name}.parquet"
        frame.to_parquet(paths[name])
    assert compare_cases({k: paths[k] for k in ("a", "b")}) == {
        "identical": True, "differing": [], "differing_cases": [], "missing": []}
    got = compare_cases(paths)
    assert got["identical"] is False
    assert got["differing"] == ["joint_cost"] and got["differing_cases"] == [1]
    got = compare_cases({"a": paths["a"], "gone": tmp_path / "none.parquet"})
    assert got["identical"] is False and got["missing"] == ["gone"]


@pytest.mark.parametrize("kind", ["procurement", "logistics"])
def test_references_hold_the_same_model(kind: str) -> None:
    """PuLP's model and the floor's reach the product's own optimum (LP relaxation)."""
    _, _, model = build_ours(kind, scenario_for(kind, "xs"))  # type: ignore[arg-type]
    lp = lp_relaxation(model)
    ours = solve_model("highs", lp, solve_options("highs"))
    assert ours.objective is not None
    for h in (floor_handoff(lp), pulp_handoff(pulp_build(pulp_data(lp)))):
        h.setOptionValue("output_flag", False)
        h.run()
        value = h.getInfo().objective_function_value
        assert value == pytest.approx(ours.objective, rel=1e-7, abs=1e-6)


def test_fit_exponent_and_geomean() -> None:
    nnz = [1e4, 1e5, 1e6]
    assert fit_exponent(nnz, [2e-3 * n**1.1 for n in nnz]) == pytest.approx(1.1)
    assert fit_exponent([1e5], [1.0]) is None
    assert geomean([1.0, 4.0]) == pytest.approx(2.0)
    assert geomean([]) is None
    assert math.isfinite(fit_exponent(nnz, [1.0, 1.0, 1.0]) or 0.0)


def _python_m_benchmarks(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m benchmarks ARGS`` from the repository root, as the README runs it."""
    return subprocess.run([sys.executable, "-m", "benchmarks", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)


def test_cli_rejects_unknown_profile_and_section(tmp_path: Path) -> None:
    res = _python_m_benchmarks("--profile", "huge", "--out", str(tmp_path))
    assert res.returncode == 2 and "--profile" in res.stdout + res.stderr
    res = _python_m_benchmarks("--only", "build,nope", "--out", str(tmp_path))
    assert res.returncode == 2 and "nope" in res.stdout + res.stderr
    assert not list(tmp_path.iterdir())


def test_render_rewrites_the_report_from_saved_results(
        smoke: tuple[Path, dict[str, Any]], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = smoke
    code = bench_main(["--render", str(out / "results.json"), "--out", str(tmp_path / "again")])
    output = capsys.readouterr()
    assert code == 0, output
    saved = json.loads((out / "results.json").read_text())
    assert (tmp_path / "again" / "RESULTS.md").read_text() == render_markdown(saved)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code = bench_main(["--render", str(bad), "--out", str(tmp_path / "no")])
    output = capsys.readouterr()
    assert code == 2 and "--render" in output.out + output.err
    assert not (tmp_path / "no").exists()


def test_merge_replaces_the_sections_measured_and_keeps_the_others(
        smoke: tuple[Path, dict[str, Any]], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = smoke
    old = json.loads((out / "results.json").read_text())
    old["started"] = "2020-01-02T03:04:05+00:00"  # an earlier run, saved before the
    del old["measured"]  # per-section records existed
    folder = tmp_path / "published"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(old))
    (folder / "RESULTS.md").write_text(render_markdown(old))
    args = ["--profile", "smoke", "--only", "lp", "--merge", "--out", str(folder)]
    assert bench_main(args) == 2  # results there: --force needed
    assert bench_main([*args, "--render", str(out / "results.json"), "--force"]) == 2
    assert json.loads((folder / "results.json").read_text()) == old
    assert bench_main([*args, "--force"]) == 0
    capsys.readouterr()
    merged = json.loads((folder / "results.json").read_text())
    assert merged["sections"] == old["sections"]
    assert merged["started"] == old["started"] and merged["machine"] == old["machine"]
    for name in old["sections"]:
        if name != "lp":
            assert merged[name] == old[name], name
            assert merged["measured"][name]["run"] == old["started"]
            assert merged["measured"][name]["whole_run"] is True
    assert merged["lp"] != old["lp"]
    lp = merged["measured"]["lp"]
    assert lp["run"] > old["started"] and lp["profile"] == "smoke"
    assert lp["wall_seconds"] > 0 and len(lp["load_average_end"]) == 3
    md = (folder / "RESULTS.md").read_text()
    assert md == render_markdown(merged)
    assert "## When each section was measured" in md and f"| lp | {lp['run']} |" in md
    assert "## 6. Sweeps" in md and "## 1. Build" in md
    (folder / "results.json").write_text("{not json")
    assert bench_main([*args, "--force"]) == 2
    assert "--merge" in capsys.readouterr().err


def test_merge_of_every_section_is_the_new_run() -> None:
    old = {"profile": {"name": "full"}, "started": "a", "sections": ["lp"], "lp": [1],
           "machine": {"commit": "x", "load_average": [1.0, 1.0, 1.0]}}
    new = {**old, "started": "b", "lp": [2], "sections": ["lp"],
           "measured": {"lp": {"run": "b"}}}
    assert merge_results(old, new) == new
    both = merge_results({**old, "sections": ["build", "lp"], "build": {}}, new)
    assert both["sections"] == ["build", "lp"] and both["started"] == "a"
    assert both["lp"] == [2] and both["measured"]["lp"] == {"run": "b"}
    assert both["measured"]["build"]["run"] == "a"


def test_published_results_render_to_the_published_report() -> None:
    """``python -m benchmarks --render benchmarks/results.json`` reproduces RESULTS.md."""
    saved = json.loads((REPO / "benchmarks" / "results.json").read_text())
    assert render_markdown(saved) == (REPO / "benchmarks" / "RESULTS.md").read_text()


def _harness_imports() -> dict[str, tuple[set[str], set[str], set[str]]]:
    """Per harness module: harness modules it imports at the top, harness modules it
    imports inside functions, and the ``procure`` modules it imports anywhere."""
    out: dict[str, tuple[set[str], set[str], set[str]]] = {}
    for path in sorted((REPO / "benchmarks").glob("*.py")):
        tree = ast.parse(path.read_text())
        top_level = {id(node) for node in tree.body}
        harness: set[str] = set()
        nested: set[str] = set()
        library: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                if name.split(".")[0] == "procure":
                    library.add(name)
                elif name.startswith("benchmarks."):
                    (harness if id(node) in top_level else nested).add(name)
        out["benchmarks." + path.stem] = harness, nested, library
    return out


def test_harness_imports_form_a_dag_and_only_the_adapter_imports_procure() -> None:
    imports = _harness_imports()
    assert {m for m, (_, _, lib) in imports.items() if lib} == {"benchmarks.library"}
    assert all(not nested for _, nested, _ in imports.values())
    graph = {m: harness for m, (harness, _, _) in imports.items()}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as e:  # pragma: no cover - the failure message
        pytest.fail(f"import cycle among harness modules: {e.args[1]}")
    assert set(order) >= set(graph)


def test_the_library_does_not_import_the_harness() -> None:
    code = ("import sys, procure, procure.cli; "
            "print([m for m in sys.modules if m.startswith(('procure.bench', 'benchmarks'))])")
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=300, check=True)
    assert res.stdout.strip() == "[]"


def _orlib_row(ours: float, direct: float) -> dict[str, Any]:
    return {"instance": "capX",
            "direct": {"parse": 0.001, "build": 0.001, "solve": direct - 0.002, "total": direct},
            "ours": {"load": 0.002, "build": 0.003, "solve": ours - 0.005, "total": ours}}


def test_why_missed_names_only_the_missed_targets() -> None:
    hard = [{"instance": "h", "contender": "plain-weak", "status": "optimal", "time": 60.0},
            {"instance": "h", "contender": "plain-strong", "status": "optimal", "time": 120.0},
            {"instance": "h", "contender": "ours", "status": "optimal", "time": 90.0,
             "message": "start heuristic (1 s): 80 of 200 candidate launches: too many for a "
                        "restricted MIP, no start"}]
    missed = why_missed({"orlib": [_orlib_row(0.030, 0.015)], "hard": hard,
                         "profile": {"lp_limit": 180.0},
                         "lp": [{"method": "ipm", "status": "optimal", "seconds": 150.0}]})
    text = "\n".join(missed)
    assert len(missed) == 3
    assert "OR-Library (2x against 1.2x)" in text and "solving 25 ms against 13 ms" in text
    assert "plain weak model (60.0 s) beats the plain strong one (120.0 s)" in text
    assert "start heuristic declined" in text
    assert "fastest `ipm` 150.0 s against 120 s" in text
    met = why_missed({"orlib": [_orlib_row(0.011, 0.010)],
                      "hard": [{**hard[0]}, {**hard[2], "time": 30.0}],
                      "lp": [{"method": "ipm", "status": "optimal", "seconds": 100.0}]})
    assert met == []


def test_committed_results_are_never_replaced_unless_asked(tmp_path: Path) -> None:
    """An --out that already holds results (such as benchmarks/ itself) is refused, with
    nothing measured or written, unless --force."""
    committed = (REPO / "benchmarks" / "RESULTS.md").read_bytes()
    code = bench_main(["--render", str(REPO / "benchmarks" / "results.json"),
                       "--out", str(REPO / "benchmarks")])
    assert code == 2
    assert (REPO / "benchmarks" / "RESULTS.md").read_bytes() == committed
    (tmp_path / "RESULTS.md").write_text("mine")
    assert bench_main(["--render", str(REPO / "benchmarks" / "results.json"),
                       "--out", str(tmp_path)]) == 2
    assert (tmp_path / "RESULTS.md").read_text() == "mine"
    assert bench_main(["--render", str(REPO / "benchmarks" / "results.json"),
                       "--out", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "RESULTS.md").read_text() != "mine"

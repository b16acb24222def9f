"""``procure report RESULT_DIR -o report.html [--pdf report.pdf] [--force]`` and
``procure solve FILE --out DIR --report``: a page from a result or sweep folder; a bad
folder, an existing output without --force, or a missing Chromium for --pdf is one line
and exit 2 with nothing written; never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from report.folders import DATASETS, artifacts, folder, procure

from procure.report.html import CHROMIUM_ENV, find_chromium


def one_line_error(p: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


def test_report_writes_the_page_and_refuses_to_overwrite_without_force(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    result = folder("tutorial_share", tmp_path_factory)
    target = tmp_path / "report.html"
    p = procure("report", str(result), "-o", str(target))
    assert p.returncode == 0, p.stderr
    assert f"report written to {target}" in p.stdout
    page = target.read_bytes()
    assert page.startswith(b"<!DOCTYPE html>") and b"Burden sharing" in page
    target.write_text("mine")
    line = one_line_error(procure("report", str(result), "-o", str(target)))
    assert "exists" in line and "--force" in line
    assert target.read_text() == "mine"
    p = procure("report", str(result), "-o", str(target), "--force")
    assert p.returncode == 0, p.stderr
    assert target.read_bytes() == page  # the same folder, the same page
    assert sorted(x.name for x in tmp_path.iterdir()) == ["report.html"]  # no temporary


def test_a_folder_that_is_not_a_result_is_exit_2_and_nothing_written(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    other = tmp_path / "other"
    other.mkdir()
    (other / "summary.json").write_text("{}")
    (other / "notes.txt").write_text("mine")
    unfinished_sweep = tmp_path / "sweep"
    unfinished_sweep.mkdir()
    (unfinished_sweep / "procure-sweep.json").write_text(
        '{"format": "procure-sweep", "format_version": 1, "name": "x"}')
    a_file = tmp_path / "scenario.yaml"
    a_file.write_text("members: []\n")
    out = tmp_path / "out"
    out.mkdir()
    for bad, said in ((empty, "not a procure result"), (other, "not a procure result"),
                      (unfinished_sweep, "--resume"), (a_file, "is not a folder"),
                      (tmp_path / "missing", "does not exist")):
        line = one_line_error(procure("report", str(bad), "-o", str(out / "r.html")))
        assert said in line and str(bad) in line, line
    assert list(out.iterdir()) == []


def test_an_output_inside_a_result_folder_or_none_at_all_is_exit_2(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    result = folder("tutorial_share", tmp_path_factory)
    before = sorted(p.name for p in result.iterdir())
    line = one_line_error(procure("report", str(result), "-o", str(result / "r.html")))
    assert "procure result folder" in line
    line = one_line_error(procure("report", str(result)))
    assert "-o" in line and "--pdf" in line
    assert sorted(p.name for p in result.iterdir()) == before


def test_solve_report_needs_out(tmp_path: Path) -> None:
    p = procure("solve", str(DATASETS / "tutorial.yaml"), "--report")
    line = one_line_error(p)
    assert "--report" in line and "--out" in line
    assert "no --time-limit" not in p.stdout  # refused before any solve


def test_a_sweep_folder_is_reportable(tmp_path: Path,
                                      tmp_path_factory: pytest.TempPathFactory) -> None:
    sweep = folder("sweep", tmp_path_factory)
    p = procure("report", str(sweep), "-o", str(tmp_path / "sweep.html"))
    assert p.returncode == 0, p.stderr
    page = (tmp_path / "sweep.html").read_text(encoding="utf-8")
    assert "tutorial-budgets: sweep report" in page and "6 case(s): 6 solved" in page
    assert 'alt="Cases against the base case"' in page


def test_pdf_without_chromium_is_exit_2_and_nothing_written(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    result = folder("tutorial_share", tmp_path_factory)
    env = {**os.environ, CHROMIUM_ENV: "no-such-chromium-here"}
    p = subprocess.run([*procure_argv(), "report", str(result), "-o",
                        str(tmp_path / "r.html"), "--pdf", str(tmp_path / "r.pdf")],
                       capture_output=True, text=True, check=False, env=env, timeout=300)
    line = one_line_error(p)
    assert "no Chromium found" in line and CHROMIUM_ENV in line
    assert list(tmp_path.iterdir()) == []


def procure_argv() -> list[str]:
    import sys

    return [sys.executable, "-m", "procure"]


@pytest.mark.browser
def test_pdf_is_printed_by_headless_chromium(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    if find_chromium() is None:
        pytest.skip("Chromium is not installed (Debian package chromium; .ci/run installs "
                    "it): no PDF can be printed")
    result = folder("reinforcement", tmp_path_factory)
    pdf = tmp_path / "report.pdf"
    p = procure("report", str(result), "--pdf", str(pdf))
    assert p.returncode == 0, p.stderr
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 50_000
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 3  # several pages
    assert sorted(x.name for x in tmp_path.iterdir()) == ["report.pdf"]  # no HTML left
    shutil.copyfile(pdf, artifacts() / "report-reinforcement.pdf")

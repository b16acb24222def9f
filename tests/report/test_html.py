"""The HTML report of real result folders (the sample alliance, the reinforcement
movements, the tutorial with burden sharing, a sweep): what the page says, and the page
opened in headless Chromium (no console error, no request beyond the file itself, every
figure loaded and drawn, the expected sections), with a full-page screenshot kept in
the test artifacts (``tests/report/folders.py``)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from procure.report.folder import MANIFEST, result_problem
from procure.report.html import CSP, REPORT_FILE, find_chromium, render_report, write_report
from procure.report.read import load_folder

from .folders import artifacts, folder

# name: (the sections the page must have, at least this many figures)
EXPECTED: dict[str, tuple[set[str], int]] = {
    "sample": ({"status", "headline", "savings", "burden", "duplication", "budgets",
                "launches", "explanations", "tables"}, 6),
    "reinforcement": ({"status", "movements", "map", "utilisation", "tables"}, 4),
    "tutorial_share": ({"status", "headline", "savings", "burden", "duplication",
                        "launches", "tables"}, 5),
    "sweep": ({"cases", "member-changes", "tables"}, 2),
}


def report_of(name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of folder ``name``: the one ``procure solve --report`` sealed inside the
    sample's folder, else written by :func:`write_report` next to the folder."""
    result = folder(name, tmp_path_factory)
    if (result / REPORT_FILE).is_file():
        return result / REPORT_FILE
    target = result.parent / f"{name}.html"
    if not target.exists():
        write_report(result, target)
    return target


class _Heads(HTMLParser):
    """Each ``<thead>`` header cell's text, and whether it shows a unit."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, bool]] = []
        self._in_head = self._in_th = self._in_unit = False
        self._text = ""
        self._unit = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "thead":
            self._in_head = True
        elif tag == "th" and self._in_head:
            self._in_th, self._text, self._unit = True, "", False
        elif tag == "span" and self._in_th and ("class", "unit") in attrs:
            self._in_unit = self._unit = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._in_head = False
        elif tag == "th" and self._in_th:
            self.cells.append((self._text.strip(), self._unit))
            self._in_th = False
        elif tag == "span":
            self._in_unit = False

    def handle_data(self, data: str) -> None:
        if self._in_th and not self._in_unit:
            self._text += data


# -- the page's text ----------------------------------------------------------------------

def test_the_page_needs_nothing_outside_itself(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    page = report_of("sample", tmp_path_factory).read_text(encoding="utf-8")
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert "default-src 'none'" in CSP and "img-src data:" in CSP
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert "@font-face" not in page and "url(" not in page
    refs = re.findall(r'\b(?:src|href)="([^"]*)"', page)
    assert refs and all(r.startswith(("data:image/svg+xml;base64,", "#")) for r in refs)
    assert not re.findall(r"(?:https?:)?//[\w.-]+\.\w", re.sub(r'"data:[^"]*"', "", page))


def test_solve_report_is_sealed_in_the_folder_and_equals_procure_report(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """``procure solve --out DIR --report`` writes report.html as part of the folder: the
    manifest lists it, the folder checks clean, and the page is the one ``procure report``
    makes of the same folder, byte for byte."""
    sample = folder("sample", tmp_path_factory)
    manifest = json.loads((sample / MANIFEST).read_text(encoding="utf-8"))
    assert REPORT_FILE in {f["name"] for f in manifest["files"]}
    assert result_problem(sample) is None
    page = (sample / REPORT_FILE).read_text(encoding="utf-8")
    assert render_report(load_folder(sample)) == page


def test_every_table_header_shows_its_unit(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A column with a unit in columns.csv shows it under its name, wherever it appears."""
    for name in ("sample", "reinforcement", "tutorial_share"):
        result = folder(name, tmp_path_factory)
        cols = pd.read_csv(result / "columns.csv", keep_default_na=False, dtype=str)
        with_unit = set(cols[~cols.unit.isin(["", "-"])].column)
        parser = _Heads()
        parser.feed(report_of(name, tmp_path_factory).read_text(encoding="utf-8"))
        checked = [(text, unit) for text, unit in parser.cells if text in with_unit]
        assert len(checked) > 10, name
        assert [t for t, unit in checked if not unit] == [], name


def test_an_unfinished_solve_is_a_status_not_a_finding(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """A joint solve stopped at its time limit: the status section says so first, with
    its bound and gap; no saving is shown; each section drawn from that plan says it is
    not a finding."""
    copy = tmp_path / "stopped"
    shutil.copytree(folder("tutorial_share", tmp_path_factory), copy)
    (copy / REPORT_FILE).unlink(missing_ok=True)
    summary = json.loads((copy / "summary.json").read_text(encoding="utf-8"))
    proc = summary["procurement"]
    proc["joint"].update(status="feasible", stopped_by="time", gap=0.0421, bound=1240.5)
    proc["comparison"].update(findings_ready=False, unfinished=["joint"], savings=None,
                              savings_pct=None, joint_status="feasible")
    (copy / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    mc = pd.read_parquet(copy / "member_costs.parquet")
    mc.assign(saving=float("nan"), saving_pct=float("nan")).to_parquet(
        copy / "member_costs.parquet", index=False)
    page = render_report(load_folder(copy))
    status = page[page.index('<section id="status">'):page.index('<section id="headline">')]
    assert "did not finish" in status and "stopped by its time limit" in status
    assert "gap 4.21 %" in status and "bound 1,240.5" in status
    assert "not findings" in status and "changed since procure wrote it" in status
    assert "No savings are shown" in status
    assert "Savings against going alone" not in page
    assert 'alt="Savings by member (waterfall)"' not in page
    assert "not shown: a run did not finish" in page
    for section in ("savings", "duplication", "launches", "budgets"):
        start = page.index(f'<section id="{section}">')
        assert "Not a finding" in page[start:page.index("</section>", start)] or (
            "No saving is shown" in page[start:page.index("</section>", start)]), section


def test_a_bad_folder_is_one_line_and_nothing_written(tmp_path: Path) -> None:
    from procure.report.read import ReportError

    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "summary.json").write_text("{}")
    for bad in (tmp_path / "junk", tmp_path / "missing", tmp_path / "junk" / "summary.json"):
        with pytest.raises(ReportError) as e:
            write_report(bad, tmp_path / "r.html")
        assert "\n" not in str(e.value) and str(bad) in str(e.value)
    assert not (tmp_path / "r.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk"]


# -- in the browser -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (the system's: the Debian package ``chromium``) through
    playwright, one for the module."""
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("Chromium is not installed (Debian package chromium; .ci/run installs "
                    "it): the reports cannot be opened in a browser")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is in the dev extra")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


_FIGURES_JS = """() => {
  const imgs = [...document.querySelectorAll('img')].map(i => {
    const r = i.getBoundingClientRect();
    return {alt: i.alt, complete: i.complete, natural: [i.naturalWidth, i.naturalHeight],
            shown: [r.width, r.height]};
  });
  const svgs = [...document.querySelectorAll('svg')].map(s => {
    const r = s.getBoundingClientRect();
    return {alt: s.getAttribute('aria-label') || 'svg', complete: true,
            natural: [r.width, r.height], shown: [r.width, r.height]};
  });
  const bare = [...document.querySelectorAll('figure')]
    .filter(f => !f.querySelector('img, svg')).length;
  return {figures: imgs.concat(svgs), bare: bare,
          sections: [...document.querySelectorAll('section[id]')].map(s => s.id)};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("name", list(EXPECTED))
def test_the_report_opens_in_chromium(name: str, browser: Any,
                                      tmp_path_factory: pytest.TempPathFactory) -> None:
    page_file = report_of(name, tmp_path_factory)
    url = page_file.resolve().as_uri()
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        problems: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url[:80]}"))
        page.on("request", lambda r: requests.append(r.url))
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok
        page.wait_for_function("() => [...document.images].every(i => i.complete)")
        seen = page.evaluate(_FIGURES_JS)
        shot = artifacts() / f"report-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        shutil.copyfile(page_file, artifacts() / f"report-{name}.html")
    finally:
        context.close()
    assert problems == []
    assert [u for u in requests if u != url and not u.startswith("data:")] == []
    sections, at_least = EXPECTED[name]
    assert sections <= set(seen["sections"]), set(seen["sections"])
    assert seen["bare"] == 0
    assert len(seen["figures"]) >= at_least, [f["alt"] for f in seen["figures"]]
    for f in seen["figures"]:
        assert f["complete"] and min(f["natural"]) > 0 and min(f["shown"]) > 0, f
    assert shot.stat().st_size > 10_000

"""``docs/outputs.md`` is what the code writes: generated from the same declarations,
and every table and headline field of a real study is on it."""

from __future__ import annotations

from pathlib import Path

from procure.io import load_scenario
from procure.procurement import study
from procure.procurement.study import HEADLINE
from procure.report.outputs import TABLES, outputs_markdown
from procure.report.write import study_tables

REPO = Path(__file__).resolve().parents[2]


def test_the_page_in_docs_is_the_generated_one() -> None:
    page = (REPO / "docs" / "outputs.md").read_text(encoding="utf-8")
    assert page == outputs_markdown(), (
        "docs/outputs.md is stale: python -m procure.report.outputs > docs/outputs.md")


def test_every_table_and_headline_field_of_a_study_is_documented() -> None:
    st = study(load_scenario(REPO / "datasets" / "tutorial.yaml"))
    assert st.joint.evaluation is not None and st.joint.evaluation.feasible
    documented = {stem.strip() for stems, _ in TABLES for stem in stems.split(",")}
    tables = study_tables(st)
    assert set(tables) <= documented
    for key, df in tables.items():
        spec = next(spec for stems, spec in TABLES
                    if key in {s.strip() for s in stems.split(",")})
        assert list(df.columns) == spec.names, key
    assert list(st.headline()) == [c.name for c in HEADLINE]


def test_the_like_for_like_tables_are_documented_when_written() -> None:
    """A study whose go-alone plan falls short writes like_for_like_* tables."""
    st = study(load_scenario(REPO / "datasets" / "sample_alliance.yaml"))
    assert st.level is not None
    assert st.joint.evaluation is not None and st.joint.evaluation.feasible
    assert st.level.evaluation is not None and st.level.evaluation.feasible
    documented = {stem.strip() for stems, _ in TABLES for stem in stems.split(",")}
    assert {k for k in study_tables(st) if k.startswith("like_for_like_")} <= documented

"""Write results to a folder: ``summary.json``, one CSV (and parquet) per table, and
``columns.csv``, the data dictionary giving every column's unit and meaning.

The folder is assembled in a temporary sibling and renamed into place, so a
failed run never leaves a half-written result behind.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from procure.procurement.study import Study
from procure.run.tables import dictionary

HAS_PARQUET = importlib.util.find_spec("pyarrow") is not None  # optional parquet output


def study_tables(st: Study) -> dict[str, pd.DataFrame]:
    """Every table of a study, by file stem."""
    tables: dict[str, pd.DataFrame] = {}
    for prefix, res in (("", st.joint), ("alone_", st.alone)):
        for name, df in res.tables.items():
            tables[f"{prefix}{name}"] = df
    tables["member_costs"] = st.member_costs()
    tables["duplication"] = st.duplication()
    return tables


def write_results(out_dir: str | os.PathLike[str], summary: dict[str, object],
                  tables: dict[str, pd.DataFrame]) -> Path:
    """Write ``summary.json`` and every table to ``out_dir``, replacing it atomically."""
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
        dictionary(tables).to_csv(tmp / "columns.csv", index=False)
        for name, df in tables.items():
            df.to_csv(tmp / f"{name}.csv", index=False)
            if HAS_PARQUET:
                df.to_parquet(tmp / f"{name}.parquet", index=False)
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def study_summary(st: Study) -> dict[str, object]:
    out: dict[str, object] = {"joint": st.joint.summary(), "alone": st.alone.summary()}
    if st.level is not None:
        out["like_for_like"] = st.level.summary()
    out["comparison"] = st.headline()
    return out


def write_study(st: Study, out_dir: str | os.PathLike[str]) -> Path:
    """Write a procurement study to ``out_dir`` (replaced atomically if it exists)."""
    return write_results(out_dir, study_summary(st), study_tables(st))

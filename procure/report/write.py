"""Write results to a folder: ``summary.json`` + one CSV (and parquet) per table.

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

from procure.procurement.metrics import Study

HAS_PARQUET = importlib.util.find_spec("pyarrow") is not None  # optional parquet output


def study_tables(st: Study) -> dict[str, pd.DataFrame]:
    """Every table of a study, by file stem."""
    caps = {p.id: p.capability for p in st.scenario.programs}
    nrc = {p.id: p.nrc_total for p in st.scenario.programs}
    tables: dict[str, pd.DataFrame] = {}
    for prefix, res in (("", st.joint), ("alone_", st.alone)):
        tables[f"{prefix}purchases"] = res.purchases()
        tables[f"{prefix}payments"] = res.payments()
        tables[f"{prefix}shortfalls"] = res.shortfalls()
        tables[f"{prefix}nrc_shares"] = res.nrc_shares()
        tables[f"{prefix}launches"] = res.launches(caps, nrc)
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
    return {"joint": st.joint.summary(), "alone": st.alone.summary(),
            "comparison": st.headline()}


def write_study(st: Study, out_dir: str | os.PathLike[str]) -> Path:
    """Write a procurement study to ``out_dir`` (replaced atomically if it exists)."""
    return write_results(out_dir, study_summary(st), study_tables(st))

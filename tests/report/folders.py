"""Result and sweep folders the report tests read, each made once per test session by
the real command line (``procure solve --out``, ``procure sweep --out``), and the
browser the HTML tests open them in.

The folders are cached in this module (the report tests of ``tests/report`` and
``tests/cli`` import it), so a run of both solves each scenario once:

- ``sample``: the bundled sample alliance, ``procure solve --out DIR --report``
  (report.html written and sealed inside the folder);
- ``reinforcement``: the bundled movement scenario;
- ``tutorial_share``: the tutorial alliance with ``--share shapley`` (the burden-sharing
  section with every rule's allocation: cheap with 3 members, where the sample's 26 make
  the cost game a matter of minutes);
- ``sweep``: ``datasets/sweeps/tutorial_budgets.yaml`` (6 cases).

Screenshots and reports worth looking at go to :func:`artifacts`:
``$PROCURE_TEST_ARTIFACTS`` when set, else ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "procure" / "data"
DATASETS = REPO / "datasets"
ARTIFACTS_ENV = "PROCURE_TEST_ARTIFACTS"

_COMMANDS: dict[str, tuple[list[str], int]] = {
    # name: (arguments after `procure`, with {out} for the folder; the expected exit code)
    "sample": (["solve", str(DATA / "sample_alliance.yaml"), "--out", "{out}", "--report"], 0),
    "reinforcement": (["solve", str(DATA / "reinforcement.yaml"), "--out", "{out}"], 0),
    "tutorial_share": (["solve", str(DATASETS / "tutorial.yaml"), "--share", "shapley",
                        "--out", "{out}"], 0),
    "sweep": (["sweep", str(DATASETS / "sweeps" / "tutorial_budgets.yaml"), "--out", "{out}",
               "--quiet", "--workers", "2"], 0),
}
_made: dict[str, Path] = {}


def procure(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run the ``procure`` command line in a fresh process."""
    return subprocess.run([sys.executable, "-m", "procure", *args], capture_output=True,
                          text=True, check=False, timeout=timeout, cwd=REPO)


def folder(name: str, factory: pytest.TempPathFactory) -> Path:
    """The folder ``name`` (module docstring), made on first use in this session."""
    if name not in _made:
        args, code = _COMMANDS[name]
        out = factory.mktemp(f"report-{name}") / name
        p = procure(*[a.replace("{out}", str(out)) for a in args])
        assert p.returncode == code, f"procure {' '.join(args)}: {p.returncode}\n{p.stderr}"
        _made[name] = out
    return _made[name]


def artifacts() -> Path:
    """Where the tests keep screenshots and reports for a person to look at."""
    where = Path(os.environ.get(ARTIFACTS_ENV) or REPO / "tests" / "artifacts")
    where.mkdir(parents=True, exist_ok=True)
    return where

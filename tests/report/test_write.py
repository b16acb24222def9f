"""Result folders never destroy a user's data (procure/report/folder.py, write.py).

Refusals are checked by hashing every file under the test's folder before and after
(:func:`snapshot`): not one byte may change. Crash safety is checked by SIGKILLing a
writer: a long-lived worker subprocess (imports done once) forks one child per write;
the child either kills itself just before its k-th file-system call (mkdir, rename,
fsync, unlink, rmdir, the exchange), for every k until a write completes, or is killed
by the worker after a random delay while it writes a big table. After every kill the
target must be absent, the old complete result or the new complete one (its manifest
verifies), with at most one stale temporary folder, and the next write must leave none.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import procure.report.folder as folder
from procure.errors import OutputError
from procure.report.folder import (
    MANIFEST,
    OLD_PREFIX,
    TMP_PREFIX,
    check_out,
    clean_stale,
    read_manifest,
    result_problem,
)
from procure.report.write import write_results

POSIX_FORK = hasattr(os, "fork") and os.name == "posix"


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root``: folders, links (with their target) and files (SHA-256)."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = f"link:{os.readlink(p)}"
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def tables(seed: int, rows: int = 50) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    return {"big": pd.DataFrame({"i": np.arange(rows), "x": rng.random(rows)}),
            "small": pd.DataFrame({"k": ["a", "b"], "v": [seed, seed + 1]})}


def write(target: Path, seed: int = 1, **kw: Any) -> Path:
    return write_results(target, {"seed": seed}, tables(seed), **kw)


def hashes(target: Path) -> dict[str, str]:
    """The files of a verified result folder, by name."""
    assert result_problem(target) is None, result_problem(target)
    return {f.name: f.sha256 for f in read_manifest(target).files}


def hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".procure-"))


@pytest.fixture
def user_data(tmp_path: Path) -> Path:
    """A user's project: a scenario, notes, a sub-folder, a link."""
    proj = tmp_path / "proj"
    (proj / "inputs" / "old").mkdir(parents=True)
    (proj / "inputs" / "s.yaml").write_text("name: mine\n")
    (proj / "inputs" / "old" / "draft.yaml").write_text("name: draft\n")
    (proj / "notes.txt").write_text("do not lose me\n")
    (proj / "link").symlink_to("notes.txt")
    return proj


# -- refusals: every byte of user data stays ---------------------------------------------

@pytest.mark.parametrize("force", [False, True])
def test_non_empty_folder_is_never_touched(user_data: Path, force: bool) -> None:
    before = snapshot(user_data.parent)
    for out in (user_data, user_data / "inputs", user_data / "inputs" / "old"):
        with pytest.raises(OutputError, match="not a procure result") as e:
            check_out(out, force=force)
        assert str(out) in str(e.value) and "\n" not in str(e.value)
        with pytest.raises(OutputError, match="never replaces"):
            write(out, force=force)
    assert snapshot(user_data.parent) == before


@pytest.mark.parametrize("force", [False, True])
def test_file_is_never_turned_into_a_folder(user_data: Path, force: bool) -> None:
    before = snapshot(user_data.parent)
    for out in (user_data / "notes.txt", user_data / "link"):
        with pytest.raises(OutputError, match="is not a folder"):
            check_out(out, force=force)
        with pytest.raises(OutputError, match="is not a folder"):
            write(out, force=force)
    (user_data / "dangling").symlink_to("nowhere")
    before = snapshot(user_data.parent)
    with pytest.raises(OutputError, match="broken symbolic link"):
        write(user_data / "dangling", force=force)
    assert snapshot(user_data.parent) == before
    assert not (user_data / "nowhere").exists()


@pytest.mark.parametrize("force", [False, True])
def test_the_scenario_folder_and_its_parents_are_refused(
        user_data: Path, force: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = user_data / "inputs" / "s.yaml"
    before = snapshot(user_data.parent)
    monkeypatch.chdir(scenario.parent)
    for out in (scenario.parent, user_data, Path("."), Path(".."), scenario):
        with pytest.raises(OutputError, match="is or contains the scenario") as e:
            check_out(out, force=force, inputs=[scenario])
        assert str(out.resolve()) in str(e.value)
        with pytest.raises(OutputError, match="is or contains the scenario"):
            write(out, force=force, inputs=[scenario])
    assert snapshot(user_data.parent) == before
    # even an empty-looking or earlier-result folder: the scenario inside it decides
    res = user_data.parent / "res"
    write(res)
    (res / "s.yaml").write_text("name: inside\n")
    with pytest.raises(OutputError, match="scenario"):
        check_out(res, force=True, inputs=[res / "s.yaml"])
    assert (res / "s.yaml").read_text() == "name: inside\n"


def test_an_edited_or_extended_result_is_user_data(tmp_path: Path) -> None:
    """A result someone added a note to, or edited, is not a result any more."""
    changes: list[tuple[Callable[[Path], object], str]] = [
        (lambda r: (r / "note.md").write_text("mine"), "'note.md' is not one of its files"),
        (lambda r: (r / "small.csv").write_text("k,v\na,9\n"), "changed since"),
        (lambda r: (r / "big.csv").unlink(), "'big.csv' is missing"),
        (lambda r: (r / "sub").mkdir(), "'sub' is not one of its files"),
        (lambda r: (r / MANIFEST).write_text("{"), "not valid JSON"),
        (lambda r: (r / MANIFEST).unlink(), f"no {MANIFEST}"),
    ]
    for change, why in changes:
        res = tmp_path / "res"
        write(res)
        change(res)
        before = snapshot(tmp_path)
        with pytest.raises(OutputError, match="never replaces") as e:
            write(res, seed=2, force=True)
        assert why in str(e.value)
        assert snapshot(tmp_path) == before and hidden(tmp_path) == []
        shutil.rmtree(res)


def test_parent_must_exist_and_be_writable(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(OutputError, match="does not exist; create it first"):
        write(tmp_path / "no" / "res")
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="is not a folder"):
        write(tmp_path / "f" / "res")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0:  # root writes anywhere: check the message path instead
        ro.chmod(0o555)
        try:
            with pytest.raises(OutputError, match="no write permission"):
                check_out(ro / "res", force=False)
        finally:
            ro.chmod(0o755)
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    with pytest.raises(OutputError, match=f"cannot write to {ro} .no write permission"):
        check_out(ro / "res", force=False)
    assert list(ro.iterdir()) == []


# -- what may be written -----------------------------------------------------------------

def test_new_and_empty_folders_are_written(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    new = tmp_path / "new"
    assert check_out(new, force=False) == new
    assert write(new) == new
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    assert check_out(".", force=False) == empty
    write(Path("."))
    assert hashes(empty) == hashes(new)
    assert sorted(p.name for p in empty.iterdir()) == [
        "big.csv", "big.parquet", "columns.csv", MANIFEST, "run.json", "small.csv",
        "small.parquet", "summary.json"]
    assert hidden(tmp_path) == []


def test_replacing_an_earlier_result_needs_force(tmp_path: Path) -> None:
    res = tmp_path / "res"
    write(res, seed=1)
    old = hashes(res)
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match="earlier procure result; use --force to replace"):
        check_out(res, force=False)
    with pytest.raises(OutputError, match="use --force"):
        write(res, seed=2)
    assert snapshot(tmp_path) == before
    assert check_out(res, force=True) == res
    write(res, seed=2, force=True)
    assert hashes(res) != old and json.loads((res / "summary.json").read_text()) == {"seed": 2}
    assert hidden(tmp_path) == []


def test_manifest_lists_every_file_and_same_input_is_byte_identical(tmp_path: Path) -> None:
    a, b = write(tmp_path / "a"), write(tmp_path / "b")
    m = read_manifest(a)
    assert m.format_version == 1 and m.procure_version and m.created.endswith("Z")
    assert [f.name for f in m.files] == ["big.csv", "big.parquet", "columns.csv", "run.json",
                                         "small.csv", "small.parquet", "summary.json"]
    for f in m.files:
        data = (a / f.name).read_bytes()
        assert f.bytes == len(data) and f.sha256 == hashlib.sha256(data).hexdigest()
        assert data == (b / f.name).read_bytes()
    # the manifests differ at most in "created"
    ma, mb = (json.loads((x / MANIFEST).read_text()) for x in (a, b))
    ma.pop("created")
    mb.pop("created")
    assert ma == mb
    write(a, force=True)  # rewriting in place: the same bytes again
    assert hashes(a) == hashes(b)


# -- failures and stale folders ------------------------------------------------------------

def test_a_failing_write_leaves_the_old_result(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    res = tmp_path / "res"
    write(res, seed=1)
    before = snapshot(tmp_path)

    bad = tables(2)
    bad["broken"] = pd.DataFrame({"a": [1]})
    monkeypatch.setattr(pd.DataFrame, "to_csv", _raise_for("broken.csv", pd.DataFrame.to_csv))
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_results(res, {}, bad, force=True)
    monkeypatch.undo()
    assert snapshot(tmp_path) == before and hidden(tmp_path) == []

    # the fallback swap (no RENAME_EXCHANGE): the rename-in fails -> old one renamed back
    real_rename = os.rename

    def rename(src: Any, dst: Any) -> None:
        if Path(src).name.startswith(TMP_PREFIX) and Path(dst) == res:
            raise OSError(5, "I/O error")
        real_rename(src, dst)

    monkeypatch.setattr(folder, "_exchange", lambda a, b: False)
    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OutputError, match="I/O error; it was left as it was"):
        write(res, seed=2, force=True)
    monkeypatch.undo()
    assert snapshot(tmp_path) == before and hidden(tmp_path) == []


def _raise_for(name: str, real: Any) -> Any:
    def to_csv(self: pd.DataFrame, path: Any = None, *a: Any, **k: Any) -> Any:
        if Path(str(path)).name == name:
            raise RuntimeError("disk on fire")
        return real(self, path, *a, **k)
    return to_csv


@pytest.mark.parametrize("exchange", [True, False])
def test_a_result_changed_during_the_write_is_put_back(
        tmp_path: Path, exchange: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user adds a file to the earlier result after the last check, before the swap:
    the swap is undone, the folder (with the user's file) stays."""
    if exchange and folder._renameat2() is None:
        pytest.skip("renameat2 not available")
    res = tmp_path / "res"
    write(res, seed=1)
    real_inspect = folder._inspect
    calls: list[int] = []

    def inspect(target: Path, force: bool) -> Any:
        state = real_inspect(target, force)
        if calls == []:
            calls.append(1)
            (res / "late.txt").write_text("added at the last moment")
        return state

    monkeypatch.setattr(folder, "_inspect", inspect)
    if not exchange:
        monkeypatch.setattr(folder, "_exchange", lambda a, b: False)
    monkeypatch.setattr(folder, "check_out", lambda p, **k: Path(p))  # skip the first check
    with pytest.raises(OutputError, match="changed while results were written"):
        write(res, seed=2, force=True)
    assert (res / "late.txt").read_text() == "added at the last moment"
    assert json.loads((res / "summary.json").read_text()) == {"seed": 1}
    assert hidden(tmp_path) == []


def test_stale_cleanup_removes_only_its_own(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid, live_pid = int(dead.stdout), os.getpid()
    mine = [tmp_path / f"{TMP_PREFIX}res-{dead_pid}-0123abcd",
            tmp_path / f"{OLD_PREFIX}res-{dead_pid}-89abcdef"]
    aged = tmp_path / f"{TMP_PREFIX}res-{live_pid}-aaaaaaaa"  # pid alive (reused?) but old
    kept = [tmp_path / f"{TMP_PREFIX}res-{live_pid}-bbbbbbbb",  # a write in progress
            tmp_path / f"{TMP_PREFIX}res2-{dead_pid}-0123abcd",  # another target's
            tmp_path / f"{TMP_PREFIX}re-{dead_pid}-0123abcd",
            tmp_path / f"{TMP_PREFIX}res-{dead_pid}-0123abcdX",  # not the pattern
            tmp_path / f".res.{dead_pid}",  # the old writer's name: not ours to judge
            tmp_path / ".procure-tmp-mine"]
    for p in [*mine, aged, *kept]:
        p.mkdir()
        (p / "f.csv").write_text("x")
    os.utime(aged, (time.time() - 7200, time.time() - 7200))
    as_file = tmp_path / f"{TMP_PREFIX}res-{dead_pid}-cccccccc"  # a file, not a folder
    as_file.write_text("user file with an unlucky name")
    link = tmp_path / f"{TMP_PREFIX}res-{dead_pid}-dddddddd"
    link.symlink_to(kept[0])
    gone = {p.name for p in [*mine, aged]}
    before = {k: v for k, v in snapshot(tmp_path).items() if k.split("/")[0] not in gone}
    write(tmp_path / "res")
    after = snapshot(tmp_path)
    assert not any(p.exists() for p in [*mine, aged])
    assert {k: v for k, v in after.items() if k.split("/")[0] != "res"} == before


# -- kill -9 -------------------------------------------------------------------------------

WORKER = r"""
import json, os, signal, sys, time
import numpy as np, pandas as pd
import procure.report.folder as folder
from procure.report.write import write_results

POINTS = ("mkdir", "rename", "replace", "fsync", "unlink", "rmdir")
cache = {}

def tables(seed, rows):
    if (seed, rows) not in cache:
        rng = np.random.default_rng(seed)
        cache[seed, rows] = {
            "big": pd.DataFrame({"i": np.arange(rows), "x": rng.random(rows)}),
            "small": pd.DataFrame({"k": ["a", "b"], "v": [seed, seed + 1]})}
    return cache[seed, rows]

def arm(kill_at):
    seen = [0]
    def hit():
        seen[0] += 1
        if seen[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    def wrap(real):
        def wrapped(*a, **k):
            hit()
            return real(*a, **k)
        return wrapped
    for name in POINTS:
        setattr(os, name, wrap(getattr(os, name)))
    folder._exchange = wrap(folder._exchange)

for line in sys.stdin:
    cmd = json.loads(line)
    data = tables(cmd["seed"], cmd["rows"])
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            if cmd["no_exchange"]:
                folder._exchange = lambda a, b: False
            if cmd["kill_at"]:
                arm(cmd["kill_at"])
            write_results(cmd["target"], {"seed": cmd["seed"]}, data, force=cmd["force"])
        except BaseException as e:
            sys.stderr.write(f"writer failed: {e!r}\n")
            os._exit(3)
        os._exit(0)
    if cmd["delay"] is not None:
        time.sleep(cmd["delay"])
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    print(json.dumps({"killed": killed, "code": os.waitstatus_to_exitcode(status),
                      "elapsed": time.perf_counter() - t0}), flush=True)
"""


class Writer:
    """The worker subprocess: one forked, possibly killed, child per write."""

    def __init__(self) -> None:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)

    def __call__(self, target: Path, seed: int, *, rows: int = 50, force: bool = True,
                 kill_at: int | None = None, delay: float | None = None,
                 no_exchange: bool = False) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        cmd = {"target": str(target), "seed": seed, "rows": rows, "force": force,
               "kill_at": kill_at, "delay": delay, "no_exchange": no_exchange}
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        reply: dict[str, Any] = json.loads(self.proc.stdout.readline())
        assert reply["killed"] or reply["code"] == 0, reply
        return reply

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def writer() -> Iterator[Writer]:
    if not POSIX_FORK:
        pytest.skip("kill tests need fork and SIGKILL")
    w = Writer()
    yield w
    w.close()


def _after_kill(target: Path, allowed: list[dict[str, str] | None]) -> str:
    """The target is one of the ``allowed`` states (None: absent) and at most one stale
    temporary folder is left. Returns which ("absent", "old", "new")."""
    assert len(hidden(target.parent)) <= 1, hidden(target.parent)
    if not target.exists():
        assert None in allowed
        return "absent"
    state = hashes(target)  # the manifest verifies
    assert state in allowed
    return "old" if state == allowed[0] else "new"


def _references(writer: Writer, tmp_path: Path, rows: int = 50) -> tuple[dict[str, str],
                                                                         dict[str, str]]:
    ref = tmp_path / "ref"
    ref.mkdir()
    writer(ref / "old", 1, rows=rows)
    writer(ref / "new", 2, rows=rows)
    return hashes(ref / "old"), hashes(ref / "new")


def _kill_at_every_point(writer: Writer, target: Path, old: dict[str, str] | None,
                         new: dict[str, str], no_exchange: bool = False) -> dict[str, int]:
    """Kill a write of ``new`` over ``old`` (None: no folder yet) before its k-th file
    system call, for k = 1, 2, ... until a write completes; check, recover, repeat."""
    seen: dict[str, int] = {}
    for k in itertools.count(1):
        r = writer(target, 2, kill_at=k, no_exchange=no_exchange)
        if not r["killed"]:
            assert hashes(target) == new
            break
        if no_exchange:
            # between the two renames the target is absent, the old folder aside:
            # the next run's cleanup puts it back
            assert len(hidden(target.parent)) <= 2
            clean_stale(target)
            assert hidden(target.parent) == []
            state = "absent" if not target.exists() else (
                "old" if hashes(target) == old else "new")
            assert state in (("absent", "new") if old is None else ("old", "new"))
        else:
            state = _after_kill(target, [old, new])
        seen[state] = seen.get(state, 0) + 1
        if old is None:  # the next run: leaves no stale folder; then back to no folder
            writer(target, 1)
            assert hidden(target.parent) == []
            shutil.rmtree(target)
        else:  # the next run writes the old result back (and cleans up)
            writer(target, 1)
            assert hashes(target) == old and hidden(target.parent) == []
    seen["points"] = k - 1
    print(f"kills at every point{' (no exchange)' if no_exchange else ''}: {seen}")
    return seen


def test_kill_at_every_step_of_a_new_folder(writer: Writer, tmp_path: Path) -> None:
    _, new = _references(writer, tmp_path)
    seen = _kill_at_every_point(writer, tmp_path / "res", None, new)
    # mkdir, 4 file fsyncs, folder fsync, manifest fsync, folder fsync, rename, parent fsync
    assert seen["points"] >= 10 and seen["absent"] >= 9 and seen["new"] >= 1, seen


def test_kill_at_every_step_of_a_replacement(writer: Writer, tmp_path: Path) -> None:
    if folder._renameat2() is None:
        pytest.skip("renameat2 not available")
    old, new = _references(writer, tmp_path)
    target = tmp_path / "res"
    writer(target, 1)
    seen = _kill_at_every_point(writer, target, old, new)
    # ... the exchange, then deleting the old folder (5 unlinks, 1 rmdir)
    assert seen["points"] >= 16 and seen["old"] >= 9 and seen["new"] >= 6, seen


def test_kill_at_every_step_of_a_replacement_without_exchange(writer: Writer,
                                                              tmp_path: Path) -> None:
    old, new = _references(writer, tmp_path)
    target = tmp_path / "res"
    writer(target, 1)
    seen = _kill_at_every_point(writer, target, old, new, no_exchange=True)
    assert seen["points"] >= 16 and seen["old"] >= 9 and seen["new"] >= 6, seen


def test_kill_at_random_moments(writer: Writer, tmp_path: Path) -> None:
    """SIGKILL after a random delay (up to 1.1 times the fastest of 3 uncut writes)
    while a ~1.7 MB table is written, 24 times, half of them writing a new folder and
    half replacing an earlier (small) result."""
    rows, rng = 60_000, random.Random(20260131)
    ref = tmp_path / "ref"
    ref.mkdir()
    writer(ref / "old", 1)
    span = min(writer(ref / f"new{j}", 2, rows=rows)["elapsed"] for j in range(3))
    (ref / "new0").rename(ref / "new")
    old, new = hashes(ref / "old"), hashes(ref / "new")
    target = tmp_path / "res"
    outcomes: dict[str, int] = {}
    for i in range(24):
        replacing = i % 2 == 1
        if replacing:
            writer(target, 1)
        r = writer(target, 2, rows=rows, delay=rng.uniform(0.0, 1.1 * span))
        state = _after_kill(target, [old if replacing else None, new])
        stale = hidden(tmp_path)
        partial = bool(stale) and not (tmp_path / stale[0] / MANIFEST).exists()
        key = f"{'killed' if r['killed'] else 'done'}-{state}{'-partial' if partial else ''}"
        outcomes[key] = outcomes.get(key, 0) + 1
        writer(target, 3)  # the next run: cleans up whatever the kill left
        assert read_manifest(target).files and hidden(tmp_path) == []
        assert json.loads((target / "summary.json").read_text()) == {"seed": 3}
        shutil.rmtree(target)
    killed = sum(v for k, v in outcomes.items() if k.startswith("killed"))
    assert killed >= 8, outcomes
    assert sum(v for k, v in outcomes.items() if "partial" in k) >= 4, outcomes
    print(f"random kills: {outcomes} (write takes {span * 1000:.0f} ms)")

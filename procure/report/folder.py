"""Result folders that never destroy a user's data.

A result folder is a flat folder of regular files plus a manifest,
``procure-result.json``, written LAST::

    {"format": "procure-result", "format_version": 1, "procure_version": "0.1.0",
     "created": "2026-01-31T12:00:00Z",
     "files": [{"name": "columns.csv", "bytes": 1234, "sha256": "…"}, …]}

The files are listed by name (sorted) with their size and SHA-256; the manifest does
not list itself, so every listed file is byte-identical for the same input and only
the manifest's ``created`` differs between two writes. A folder is "an earlier procure
result" only when its manifest parses, has a format version this procure reads, and
the folder holds exactly the listed files (no more, no sub-folders, no links), each
with the listed size and hash. A folder a user added a note to, or edited a CSV in, is
therefore not a result any more, and is never replaced.

Guarantees
----------
* :func:`check_out` (call it before any solve) refuses with :class:`OutputError`,
  touching nothing: an existing file or anything else that is not a folder (a broken
  link included); a non-empty folder that is not an earlier result (whatever
  ``force`` says); an earlier result without ``force``; a parent that is missing, not
  a folder or not writable; a mount point; a path that is or contains a scenario being
  read (``inputs``). A missing or empty folder is accepted.
* :func:`write_folder` checks again, writes every file into a temporary sibling
  ``.procure-tmp-<target name>-<pid>-<8 hex digits>``, fsyncs each file and the
  folder, writes and fsyncs the manifest last, checks the target once more and moves
  the folder into place:

  - a missing or empty target: one ``rename(2)``, atomic (POSIX replaces an empty
    folder and refuses a non-empty one or a file, so nothing that appeared meanwhile
    is overwritten);
  - an earlier result (``force``): on Linux one ``renameat2(RENAME_EXCHANGE)`` swaps
    the two folders atomically; the old result, now under the temporary name, is
    verified again (if it changed meanwhile, e.g. a user added a file, the swap is
    undone and :class:`OutputError` raised; should even the undo fail, the old folder
    is renamed to the visible ``<target name>.procure-kept-<8 hex digits>``, which
    no cleanup ever matches) and deleted. Where the exchange is not
    available the old result is renamed aside to
    ``.procure-old-<target name>-<pid>-<8 hex digits>``, the new one renamed in, the
    old one deleted; if the second rename fails the old one is renamed back.

  Any failure before the swap removes the temporary folder and leaves the target as
  it was. An ``OSError`` (disk full, permissions) becomes :class:`OutputError`.
* A kill -9 at any moment leaves the target as the old complete folder (or absent, if
  there was none) or the new complete folder, plus at most one stale temporary folder
  (with the exchange). With the two-rename fallback a kill between the renames leaves
  the target absent with the old result aside; the next run's cleanup renames it back.
* Stale cleanup (:func:`clean_stale`, run by :func:`check_out` and so at the start of
  every write) looks only at entries next to the target named by the two patterns
  above FOR THIS TARGET NAME that are real folders (not links), and only those whose
  pid is not a live process, or whose modification time is more than an hour old
  (:data:`STALE_AFTER_S`; covers pid reuse and, on systems where liveness cannot be
  probed, is the only rule). A stale ``.procure-old-`` folder that is a valid result
  while the target is absent is renamed back to the target; every other stale one is
  deleted. Nothing else is ever removed.

Not covered: two processes writing the same target at the same moment (the later
swap wins, each result is complete); a parent folder shared between hosts (a pid of
another host counts as dead when no such process runs here, so a write in progress
there could lose its temporary folder and fail; it never loses a complete result).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from procure.errors import OutputError
from procure.run.record import procure_version

MANIFEST = "procure-result.json"
FORMAT = "procure-result"
FORMAT_VERSION = 1
TMP_PREFIX = ".procure-tmp-"
OLD_PREFIX = ".procure-old-"
STALE_AFTER_S = 3600.0  # a temporary folder this old is stale even if its pid is alive
MAX_NAME_BYTES = 200  # target names longer than this leave no room for the temp suffix
_MANIFEST_MAX_BYTES = 4 << 20
_SUFFIX = re.compile(r"(\d+)-[0-9a-f]{8}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2

State = Literal["missing", "empty", "result"]
PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class FileEntry:
    """One file of a result folder: its name, size in bytes and SHA-256 (hex)."""

    name: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """The content of ``procure-result.json``."""

    format_version: int
    procure_version: str
    created: str
    files: tuple[FileEntry, ...]

    def to_json(self) -> str:
        doc = {"format": FORMAT, "format_version": self.format_version,
               "procure_version": self.procure_version, "created": self.created,
               "files": [{"name": f.name, "bytes": f.bytes, "sha256": f.sha256}
                         for f in self.files]}
        return json.dumps(doc, indent=2) + "\n"


# -- manifests ---------------------------------------------------------------------------

def _plain_name(name: object) -> bool:
    """A file name a result folder may hold: not hidden, no separators, not the manifest."""
    return (isinstance(name, str) and name != "" and not name.startswith(".")
            and not any(c in name for c in "/\\\0") and name != MANIFEST)


def _hash_file(path: Path, *, sync: bool = False) -> tuple[int, str]:
    """Size and SHA-256 of a file (fsynced first when ``sync``)."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        if sync:
            os.fsync(f.fileno())
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def read_manifest(folder: PathLike) -> Manifest:
    """The manifest of ``folder``; ``ValueError`` (saying what is wrong) when there is
    none or it is malformed. It does not check the files: see :func:`result_problem`."""
    p = Path(folder) / MANIFEST
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        raise ValueError(f"no {MANIFEST}") from None
    except OSError as e:
        raise ValueError(f"{MANIFEST} cannot be read: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{MANIFEST} is not a regular file")
    if st.st_size > _MANIFEST_MAX_BYTES:
        raise ValueError(f"{MANIFEST} is too large")
    try:
        doc: Any = json.loads(p.read_bytes())
    except OSError as e:
        raise ValueError(f"{MANIFEST} cannot be read: {e.strerror}") from None
    except ValueError:
        raise ValueError(f"{MANIFEST} is not valid JSON") from None
    bad = ValueError(f"{MANIFEST} is malformed")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise bad
    version = doc.get("format_version")
    if type(version) is not int or version < 1:
        raise bad
    if version > FORMAT_VERSION:
        raise ValueError(f"{MANIFEST} has format version {version}, newer than this "
                         f"procure reads ({FORMAT_VERSION})")
    files = doc.get("files")
    pv, created = doc.get("procure_version"), doc.get("created")
    if not (isinstance(files, list) and isinstance(pv, str) and isinstance(created, str)):
        raise bad
    entries: list[FileEntry] = []
    for f in files:
        if not (isinstance(f, dict) and _plain_name(f.get("name"))
                and type(f.get("bytes")) is int and f["bytes"] >= 0
                and isinstance(f.get("sha256"), str) and _SHA256.fullmatch(f["sha256"])):
            raise bad
        entries.append(FileEntry(f["name"], f["bytes"], f["sha256"]))
    if len({e.name for e in entries}) != len(entries):
        raise bad
    return Manifest(version, pv, created, tuple(entries))


def result_problem(folder: PathLike) -> str | None:
    """``None`` when ``folder`` is a complete, unmodified procure result (see the module
    docstring); otherwise why not, in a few words."""
    folder = Path(folder)
    try:
        manifest = read_manifest(folder)
        with os.scandir(folder) as it:
            present = {e.name: e for e in it}
    except ValueError as e:
        return str(e)
    except OSError as e:
        return f"cannot be read: {e.strerror}"
    listed = {f.name for f in manifest.files}
    extra = sorted(set(present) - listed - {MANIFEST})
    if extra:
        return f"{extra[0]!r} is not one of its files"
    for f in manifest.files:
        entry = present.get(f.name)
        if entry is None:
            return f"{f.name!r} is missing"
        try:
            if not entry.is_file(follow_symlinks=False):
                return f"{f.name!r} is not a regular file"
            if entry.stat(follow_symlinks=False).st_size != f.bytes \
                    or _hash_file(Path(entry.path)) != (f.bytes, f.sha256):
                return f"{f.name!r} changed since it was written"
        except OSError as e:
            return f"{f.name!r} cannot be read: {e.strerror}"
    return None


# -- checks ------------------------------------------------------------------------------

def _inspect(target: Path, force: bool) -> State:
    """What ``target`` is now, or :class:`OutputError` if it must not be written."""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return "missing"
    if not stat.S_ISDIR(st.st_mode):
        raise OutputError(target, f"output folder {target} exists and is not a folder; "
                                  "choose another path")
    if os.path.ismount(target):
        raise OutputError(target, f"output folder {target} is a mount point, which procure "
                                  "cannot replace; choose a folder inside it")
    with os.scandir(target) as it:
        if next(it, None) is None:
            return "empty"
    problem = result_problem(target)
    if problem is not None:
        raise OutputError(target, f"output folder {target} is not empty and is not a procure "
                                  f"result ({problem}); procure never replaces such a "
                                  "folder: choose a new or empty folder")
    if not force:
        raise OutputError(target, f"output folder {target} holds an earlier procure result; "
                                  "use --force to replace it, or choose another folder")
    if not os.access(target, os.W_OK | os.X_OK):
        raise OutputError(target, f"cannot replace the earlier result in {target}: no write "
                                  "permission on it; choose another folder")
    return "result"


def check_out(path: PathLike, *, force: bool, inputs: Iterable[PathLike] = ()) -> Path:
    """Check that results may be written to ``path`` (before any solve, so that a typo
    costs nothing) and return the resolved path. Raises :class:`OutputError` naming the
    path and what to do in every case the module docstring lists, and touches nothing
    but this target's own stale temporary folders (:func:`clean_stale`)."""
    given = Path(path).expanduser()
    if given.is_symlink() and not given.exists():
        raise OutputError(given, f"output folder {given} is a broken symbolic link; remove it "
                                 "or choose another path")
    target = given.resolve()
    for inp in inputs:
        source = Path(inp).expanduser().resolve()
        if source == target or target in source.parents:
            raise OutputError(target, f"output folder {target} is or contains the scenario "
                                      f"being read ({source}); choose a folder outside it")
    parent = target.parent
    if parent == target:
        raise OutputError(target, f"output folder {target} is a filesystem root; choose a "
                                  "folder inside it")
    if len(os.fsencode(target.name)) > MAX_NAME_BYTES:
        raise OutputError(target, f"output folder name {target.name[:40]}... is longer than "
                                  f"{MAX_NAME_BYTES} bytes; choose a shorter one")
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise OutputError(target, f"the parent of output folder {target} {what}; create it "
                                  "first or choose another path")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(target, f"cannot write to {parent} (no write permission) for output "
                                  f"folder {target}; choose another folder")
    clean_stale(target)
    _inspect(target, force)
    return target


# -- stale temporary folders -------------------------------------------------------------

def _owner_pid(name: str, prefix: str, target_name: str) -> int | None:
    """The pid in ``<prefix><target_name>-<pid>-<8 hex>``; None for any other name."""
    head = f"{prefix}{target_name}-"
    if not name.startswith(head):
        return None
    m = _SUFFIX.fullmatch(name[len(head):])
    return int(m.group(1)) if m else None


def _pid_alive(pid: int) -> bool | None:
    """Whether a process ``pid`` exists; None where that cannot be probed safely."""
    if os.name != "posix":
        return None  # os.kill(pid, 0) is not a probe on Windows
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _stale(pid: int, mtime: float, now: float) -> bool:
    if now - mtime > STALE_AFTER_S:
        return True
    return pid != os.getpid() and _pid_alive(pid) is False


def clean_stale(target: PathLike, *, now: float | None = None) -> list[Path]:
    """Tidy what killed writes of ``target`` left next to it (rules in the module
    docstring) and return the folders removed or restored. Best effort: an entry that
    cannot be removed is left for the next run."""
    target = Path(target)
    now = time.time() if now is None else now
    done: list[Path] = []
    try:
        with os.scandir(target.parent) as it:
            entries = list(it)
    except OSError:
        return done
    for prefix in (OLD_PREFIX, TMP_PREFIX):  # restore an old result before anything else
        for e in entries:
            pid = _owner_pid(e.name, prefix, target.name)
            if pid is None:
                continue
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISDIR(st.st_mode) or not _stale(pid, st.st_mtime, now):
                continue
            path = Path(e.path)
            if prefix == OLD_PREFIX and not os.path.lexists(target) \
                    and result_problem(path) is None:
                try:
                    os.rename(path, target)
                    _fsync_dir(target.parent)
                    done.append(path)
                except OSError:
                    pass  # never delete a result that could not be put back
                continue
            shutil.rmtree(path, ignore_errors=True)
            done.append(path)
    return done


# -- writing -----------------------------------------------------------------------------

def _fsync_dir(path: Path) -> None:
    """Make a folder's entries durable (POSIX; a no-op elsewhere)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sibling(target: Path, prefix: str) -> Path:
    return target.parent / f"{prefix}{target.name}-{os.getpid()}-{secrets.token_hex(4)}"


def _make_temp(target: Path) -> Path:
    for _ in range(100):
        tmp = _sibling(target, TMP_PREFIX)
        try:
            os.mkdir(tmp)
        except FileExistsError:
            continue
        return tmp
    raise OutputError(target, f"cannot create a temporary folder next to {target}")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seal(folder: Path) -> Manifest:
    """fsync every file and the folder, then write the manifest (fsynced) last."""
    with os.scandir(folder) as it:
        names = sorted(e.name for e in it)
    files: list[FileEntry] = []
    for name in names:
        p = folder / name
        if not _plain_name(name) or p.is_symlink() or not p.is_file():
            raise ValueError(f"a result folder holds plain, non-hidden files only: {name!r}")
        size, digest = _hash_file(p, sync=True)
        files.append(FileEntry(name, size, digest))
    _fsync_dir(folder)
    manifest = Manifest(FORMAT_VERSION, procure_version(), _now(), tuple(files))
    with open(folder / MANIFEST, "x", encoding="utf-8", newline="\n") as f:
        f.write(manifest.to_json())
        f.flush()
        os.fsync(f.fileno())
    _fsync_dir(folder)
    return manifest


@functools.cache
def _renameat2() -> Any:
    """libc's ``renameat2`` (Linux, glibc >= 2.28), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                   ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two existing folders; False when this system or filesystem cannot
    (nothing was changed then)."""
    fn = _renameat2()
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def _changed(target: Path, problem: str) -> OutputError:
    return OutputError(target, f"output folder {target} changed while results were written "
                               f"({problem}); it was left as it is: choose another folder")


def _fsync_dir_quiet(path: Path) -> None:
    """fsync after a commit: the rename is done either way, so a failure is not an error."""
    with contextlib.suppress(OSError):
        _fsync_dir(path)


def _undo_exchange(tmp: Path, target: Path) -> None:
    """Swap the old folder (now at ``tmp``) back to ``target``. Should even that fail,
    the old folder is renamed to a visible name the stale cleanup never matches."""
    try:
        if _exchange(tmp, target):
            return
    except OSError:
        pass
    kept = target.parent / f"{target.name}.procure-kept-{secrets.token_hex(4)}"
    os.rename(tmp, kept)
    raise OutputError(target, f"output folder {target} changed while results were written and "
                              f"could not be put back; its earlier contents are in {kept}")


def _move_into_place(tmp: Path, target: Path, force: bool) -> None:
    """Put the sealed folder ``tmp`` at ``target`` (see the module docstring). ``tmp`` is
    gone afterwards, whatever happens; on an exception the target is as it was."""
    parent = target.parent
    try:
        state = _inspect(target, force)  # once more: it may have changed during the write
        if state != "result":
            if state == "empty" and os.name != "posix":
                os.rmdir(target)  # POSIX rename replaces an empty folder atomically
            os.rename(tmp, target)
            _fsync_dir_quiet(parent)
            return
        exchanged = _exchange(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if exchanged:
        # ``tmp`` now holds the old result: delete it only if it still is one
        try:
            problem = result_problem(tmp)
        except BaseException:
            _undo_exchange(tmp, target)
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if problem is not None:
            _undo_exchange(tmp, target)
            shutil.rmtree(tmp, ignore_errors=True)
            raise _changed(target, problem)
        _fsync_dir_quiet(parent)
        shutil.rmtree(tmp, ignore_errors=True)  # a kill here leaves one stale folder
        return
    aside = _sibling(target, OLD_PREFIX)
    try:
        os.rename(target, aside)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(aside, target)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    problem = result_problem(aside)
    if problem is not None:
        os.rename(target, tmp)
        os.rename(aside, target)
        shutil.rmtree(tmp, ignore_errors=True)
        raise _changed(target, problem)
    _fsync_dir_quiet(parent)
    shutil.rmtree(aside, ignore_errors=True)


def write_folder(target: PathLike, fill: Callable[[Path], None], *, force: bool = False,
                 inputs: Iterable[PathLike] = ()) -> Path:
    """Write a result folder at ``target`` with the guarantees of the module docstring.

    ``fill(folder)`` writes the data files (plain, non-hidden names) into an empty
    temporary folder; the manifest is added after it returns. Returns the resolved
    target. Raises :class:`OutputError` when ``target`` must not be written (see
    :func:`check_out`), changed during the write, or the system refused (an
    ``OSError``); the target is then as it was."""
    out = check_out(target, force=force, inputs=inputs)
    try:
        tmp = _make_temp(out)
        try:
            fill(tmp)
            _seal(tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _move_into_place(tmp, out, force)
    except OSError as e:
        raise OutputError(out, f"cannot write results to {out}: {e}; it was left as "
                               "it was") from e
    return out

"""openpyxl plumbing shared by the scenario workbook (:mod:`procure.workbook`) and the
results workbook (:mod:`procure.report.excel`).

- **Exact numbers.** openpyxl writes numbers with ``"%.16g"``, which drops the 17th
  significant digit some doubles need (``0.1 + 0.2`` would come back as ``0.3``);
  :func:`save_workbook` writes every float with Python's shortest round-trip ``repr``
  instead, so a number read back is the number written.
- **Any text.** XML cannot hold most control characters, and a lone carriage return
  comes back as a line feed. :func:`escape_text` writes them in the OOXML escape that
  Excel itself uses (``_x0007_``), and the underscore of a literal ``_xHHHH`` as
  ``_x005F_``; :func:`unescape_text` reverses it. :func:`put_text` (and
  :func:`put_row`, :func:`put_header`) refuse text longer than a cell holds
  (:data:`MAX_CELL_CHARS`) and never let a text starting with ``=`` become a formula.
- **Safe reading.** :func:`open_workbook` refuses a file that is not a workbook, or whose
  parts unpack to more than :data:`MAX_UNPACKED_BYTES`, before openpyxl parses it.
- **Reproducible, atomic files.** :func:`save_workbook` fixes the document's creation
  and modification times and every zip entry's timestamp, so the same workbook gives
  the same bytes; with ``atomic`` it writes a temporary file beside the target and
  renames it into place, so no half-written file is ever left under the target's name.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import _writer as cell_writer
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

MAX_CELL_CHARS = 32_767
"""Most characters an Excel cell holds."""
MAX_ROWS = 1_048_576
"""Rows of an Excel worksheet (the header included)."""
FIXED_TIME = datetime(2000, 1, 1)
"""The creation and modification time written into every workbook (reproducible bytes)."""

MAX_UNPACKED_BYTES = 512 << 20
"""Largest total size of a workbook's unpacked parts read (a zip bomb is refused)."""

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_TO_ESCAPE = re.compile("[\x00-\x08\x0b-\x0d\x0e-\x1f\ud800-\udfff\ufffe\uffff]"
                        "|_x[0-9A-Fa-f]{4}")
_ESCAPED = re.compile("_x([0-9A-Fa-f]{4})_")
_LOCK = threading.Lock()


def escape_text(text: str) -> str:
    """``text`` with what a cell cannot hold as is written ``_xHHHH_`` (OOXML)."""
    def sub(m: re.Match[str]) -> str:
        s = m.group(0)
        return f"_x005F{s}" if len(s) > 1 else f"_x{ord(s):04X}_"

    return _TO_ESCAPE.sub(sub, text)


def unescape_text(text: str) -> str:
    """The text a cell written by :func:`escape_text` (or by Excel) stands for."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


class CellTextTooLong(ValueError):
    """A text longer than :data:`MAX_CELL_CHARS` (after escaping)."""

    def __init__(self, length: int) -> None:
        self.length = length
        super().__init__(f"text of {length} characters: an Excel cell holds at most "
                         f"{MAX_CELL_CHARS}")


def put_text(cell: Cell | MergedCell, text: str) -> None:
    """Set ``cell`` to the text ``text`` (escaped; always a text cell, never a formula or
    an error code). Raises :class:`CellTextTooLong`."""
    value = escape_text(text)
    if len(value) > MAX_CELL_CHARS:
        raise CellTextTooLong(len(value))
    cell.value = value
    cell.data_type = "s"


def put_row(ws: Worksheet, row: int, values: Sequence[Any]) -> None:
    """Write ``values`` into row ``row`` of ``ws`` from its first column: text through
    :func:`put_text`, None as a blank cell, anything else as it is."""
    for j, value in enumerate(values, start=1):
        if value is None:
            continue
        cell = ws.cell(row, j)
        if isinstance(value, str):
            put_text(cell, value)
        else:
            cell.value = value


HEADER_FONT = Font(bold=True)


def put_header(ws: Worksheet, row: int, headers: Sequence[tuple[str, str | None]], *,
               freeze: bool = True) -> None:
    """Write a row of bold header cells, each ``(text, note)`` with the note as its cell
    comment when given; with ``freeze``, the rows down to it stay in view."""
    put_row(ws, row, [text for text, _ in headers])
    for j, (_, note) in enumerate(headers, start=1):
        cell = ws.cell(row, j)
        cell.font = HEADER_FONT
        if note:
            comment = Comment(escape_text(note)[:MAX_CELL_CHARS], "procure")
            comment.width, comment.height = 320, min(60 + 16 * (len(note) // 40), 400)
            cell.comment = comment
    if freeze:
        ws.freeze_panes = ws.cell(row + 1, 1).coordinate


# openpyxl's own number/text formatter, looked up by its cell writer on every cell
_SAFE_STRING: Callable[[Any], str] = cell_writer.safe_string  # type: ignore[attr-defined]


def _exact_string(value: Any) -> str:
    """openpyxl's ``safe_string`` with floats written exactly (shortest round trip)."""
    if isinstance(value, float) and not isinstance(value, bool):
        return repr(value) if value == value and abs(value) != float("inf") else ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _SAFE_STRING(value)


@contextlib.contextmanager
def _exact_numbers() -> Iterator[None]:
    """Write numbers with :func:`_exact_string` while a workbook is saved (openpyxl's
    cell writer looks ``safe_string`` up in its module on every cell)."""
    with _LOCK:
        cell_writer.safe_string = _exact_string  # type: ignore[attr-defined]
        try:
            yield
        finally:
            cell_writer.safe_string = _SAFE_STRING  # type: ignore[attr-defined]


def workbook_bytes(wb: Workbook) -> bytes:
    """The ``.xlsx`` bytes of ``wb``: exact numbers, fixed times (same workbook, same
    bytes)."""
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    with _exact_numbers(), zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # wb.save would stamp the time of saving
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def save_workbook(wb: Workbook, path: str | os.PathLike[str], *, atomic: bool = True) -> None:
    """Write ``wb`` to ``path`` (see :func:`workbook_bytes`); with ``atomic``, through a
    temporary file beside it, fsynced and renamed into place (nothing is left behind on
    failure). ``OSError`` is raised as is."""
    data = workbook_bytes(wb)
    p = Path(path)
    if not atomic:
        p.write_bytes(data)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def open_workbook(data: bytes) -> Any:
    """A read-only workbook of cached values (``data_only``) from the bytes of an
    ``.xlsx`` file. Raises ``ValueError`` with a reason a user can act on when ``data``
    is not such a workbook or its parts unpack to more than :data:`MAX_UNPACKED_BYTES`
    (checked from the zip directory before anything is unpacked)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(info.file_size for info in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise ValueError(f"not an Excel workbook (.xlsx): {e}") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValueError(f"the workbook unpacks to {unpacked} bytes; the limit is "
                         f"{MAX_UNPACKED_BYTES}")
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged file
        raise ValueError(f"not a readable Excel workbook (.xlsx): {type(e).__name__}: "
                         f"{e}") from None

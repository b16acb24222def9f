"""The command line's first instant: until it has loaded (a few hundred milliseconds of
imports), Ctrl-C or SIGTERM ends the process at once with the one line
``interrupted`` and exit code 130, as it does later; nothing has been read or written
by then. Installed by ``procure/__init__.py`` as the package starts to load for the
command line, and again by ``procure/__main__.py``; kept apart from both so that
neither imports the other."""

from __future__ import annotations

# ``_signal`` is the built-in C module under ``signal``: installing the handlers from it
# costs no import time in which a signal would find none (``signal`` and ``typing``
# each take milliseconds to import)
import _signal
import os


def _interrupted_at_start_up(signum: int, frame: object) -> None:
    os.write(2, b"interrupted\n")
    os._exit(130)


def start_up_signals() -> None:
    """Ctrl-C and SIGTERM end the starting command line with one line and exit 130."""
    for sig in (_signal.SIGINT, _signal.SIGTERM):
        _signal.signal(sig, _interrupted_at_start_up)

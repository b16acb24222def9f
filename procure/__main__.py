"""``python -m procure`` and the ``procure`` command: the command line of
:mod:`procure.cli`, with Ctrl-C and SIGTERM honoured from the first instant.

Until the command line has loaded (a few hundred milliseconds of imports), a signal
ends the process at once with the one line ``interrupted`` and exit code 130, as it
does later; nothing has been read or written by then.
"""

from __future__ import annotations

import os
import signal
from types import FrameType


def _interrupted_at_start_up(signum: int, frame: FrameType | None) -> None:
    os.write(2, b"interrupted\n")
    os._exit(130)


def run() -> None:
    """The entry point: start-up signal handlers, then :func:`procure.cli.main` (which
    installs its own)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupted_at_start_up)
    from procure.cli import main

    main()


if __name__ == "__main__":
    run()

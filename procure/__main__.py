"""``python -m procure`` and the ``procure`` command: the command line of
:mod:`procure.cli`, with Ctrl-C and SIGTERM honoured from the first instant
(:mod:`procure.startup`)."""

from __future__ import annotations

from procure.startup import start_up_signals


def run() -> None:
    """The entry point: start-up signal handlers, then :func:`procure.cli.main` (which
    installs its own)."""
    start_up_signals()
    from procure.cli import main

    main()


if __name__ == "__main__":
    run()

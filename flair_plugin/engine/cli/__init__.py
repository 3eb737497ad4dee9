"""The headless ``flair-landcover`` command.

Ctrl-C or SIGTERM while the command is starting (before a sub-command installs its own
handling, :func:`.common.ctrl_c_cancels`) exits with status 130 and one line, not a
KeyboardInterrupt traceback from the middle of an import: the entry points call
:func:`stop_quietly_while_starting` first, and ``python -m <package>...cli.main`` gets it
here, as Python imports this package before it runs the module (``sys.argv[0]`` is
``-m`` meanwhile). Pure standard library: it runs before anything heavy is imported.
"""

import signal
import sys

EARLY_STOP_STATUS = 130  # as EXIT_CANCELLED: 128 + SIGINT


def stop_quietly_while_starting() -> None:
    """Until the command installs its own handlers: a stop request exits 130 quietly.

    Only the main thread of a process running the command calls this; a library import
    (tests, QGIS) never does, so their own signal handling is left alone."""
    def stop(signum, frame):
        sys.stderr.write("flair-landcover: stopped\n")
        raise SystemExit(EARLY_STOP_STATUS)

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, stop)


if sys.argv[:1] == ["-m"]:  # being run as `python -m ...cli.main` (or ...cli, ...cli.train)
    stop_quietly_while_starting()

"""What the ``flair-landcover`` sub-commands share: the name, the exit codes, the progress
bar, Ctrl-C handling, and the one place where failures become an exit status.

Every sub-command (predict, train, evaluate, evaluate-split, download) runs through
:func:`run_command`, so they all print an error as one line and exit 2, and stop on
Ctrl-C or SIGTERM the same way (exit 130, no partial output left).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import sys
import threading
from typing import Callable, Iterator, List, Optional, Sequence

from ..errors import Cancelled, UserError, not_utf8_message

PROG = "flair-landcover"

EXIT_OK = 0
EXIT_ERROR = 2  # what argparse uses for a usage error: one status for "fix your input"
EXIT_CANCELLED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""SIGTERM (``kill``, a batch scheduler's time limit) stops as cleanly as Ctrl-C."""

Say = Callable[[str], None]


def say_on_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def one_line(error: BaseException) -> str:
    """An exception's message on one line (the engine's messages may wrap)."""
    return " ".join(str(error).split()) or type(error).__name__


class ProgressBar:
    """One tqdm bar on stderr, fed by the engine's ``progress(fraction, message)``.

    ``write``/``warn`` print a line above the bar (a bare line on stderr when ``quiet``),
    so warnings and the Ctrl-C notice never tear the bar. Use as a context manager.
    """

    _FORMAT = "{l_bar}{bar}| {elapsed}<{remaining} {postfix}"
    _STEPS = 1000

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self._bar = None

    def __enter__(self) -> "ProgressBar":
        if not self.quiet:
            from tqdm import tqdm

            self._bar = tqdm(total=self._STEPS, file=sys.stderr, bar_format=self._FORMAT)
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    @property
    def progress(self) -> Optional[Callable[[float, str], None]]:
        """The engine's progress callback; None when quiet (no work spent on progress)."""
        return None if self.quiet else self.update

    def update(self, fraction: float, message: str = "") -> None:
        if self._bar is None:
            return
        self._bar.n = int(round(max(0.0, min(1.0, fraction)) * self._STEPS))
        self._bar.set_postfix_str(message, refresh=False)
        self._bar.refresh()

    def write(self, text: str) -> None:
        if self._bar is None:
            say_on_stderr(text)
        else:
            self._bar.write(text, file=sys.stderr)

    def warn(self, text: str) -> None:
        self.write(f"warning: {text}")


@contextlib.contextmanager
def ctrl_c_cancels(flag: Optional[threading.Event], say: Say,
                   unit: str = "batch") -> Iterator[None]:
    """Ctrl-C or SIGTERM: the first sets ``flag`` (the engine's ``cancel`` callback polls
    it and stops cleanly after the current ``unit``); a second one stops at once
    (KeyboardInterrupt). With ``flag=None`` nothing polls, so the first stops at once.

    Only the main thread can own a signal handler: elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if flag is None or flag.is_set():
            raise KeyboardInterrupt
        flag.set()
        say(f"{PROG}: cancelling after the current {unit} (Ctrl-C again to stop now)")

    previous = {number: signal.signal(number, handler) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def run_command(run: Callable[[argparse.Namespace], int], args: argparse.Namespace,
                say: Say = say_on_stderr) -> int:
    """``run(args)``, with every failure turned into one line on stderr and a status.

    A user error (bad input, missing file, refused overwrite) exits 2; a run cancelled
    on request (the engine's :class:`~..errors.Cancelled`, or a second Ctrl-C) exits 130.
    The engine removes its partial outputs itself before raising."""
    try:
        return run(args)
    except ImportError as error:
        say(f"{PROG}: error: the Python package {error.name or error} is missing: install "
            f"the plugin's requirements (pip install -r requirements.txt)")
        return EXIT_ERROR
    except Cancelled as error:
        say(f"{PROG}: {one_line(error)}; no partial output left")
        return EXIT_CANCELLED
    except KeyboardInterrupt:
        say(f"{PROG}: stopped; no partial output left")
        return EXIT_CANCELLED
    except (UserError, OSError) as error:
        say(f"{PROG}: error: {one_line(error)}")
        return EXIT_ERROR
    except UnicodeError as error:  # a name that is not UTF-8, met by GDAL or safetensors
        text = getattr(error, "object", "")
        say(f"{PROG}: error: {not_utf8_message(text if isinstance(text, str) else '')}")
        return EXIT_ERROR


_NEGATIVE = re.compile(r"^-(\d|\.\d)")


def join_negative_values(parser: argparse.ArgumentParser, argv: Sequence[str]) -> List[str]:
    """``--input-scale -128,127`` as ``--input-scale=-128,127``.

    argparse reads a token starting with ``-`` as an option unless it is a plain number,
    so a value such as ``-128,127`` or ``-5e3`` would need the ``=`` form; the options
    that take a value get it joined here.

    Args:
        parser: the command's parser (its sub-commands' options are looked at too).
        argv: the command line, without the program name.

    Returns:
        The command line with each such option and its value joined by ``=``.
    """
    takes_value = set()
    parsers = [parser]
    while parsers:
        current = parsers.pop()
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
            elif action.option_strings and action.nargs != 0:
                takes_value.update(action.option_strings)
    out: List[str] = []
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in takes_value and i + 1 < len(tokens) and _NEGATIVE.match(tokens[i + 1]):
            out.append(f"{token}={tokens[i + 1]}")
            i += 2
            continue
        out.append(token)
        i += 1
    return out


def is_rank_zero() -> bool:
    """False in the extra processes of a distributed (DDP) run: only rank 0 talks."""
    return all(os.environ.get(k, "0") == "0" for k in ("RANK", "LOCAL_RANK", "NODE_RANK",
                                                       "SLURM_PROCID"))

"""What the ``flair-landcover`` sub-commands share: the name and Ctrl-C handling."""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Callable, Iterator

PROG = "flair-landcover"


@contextlib.contextmanager
def ctrl_c_cancels(flag: threading.Event, say: Callable[[str], None],
                   unit: str = "batch") -> Iterator[None]:
    """First Ctrl-C sets ``flag`` (the run stops cleanly after the current ``unit``);
    a second one interrupts at once. Only the main thread can own a signal handler."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if flag.is_set():
            raise KeyboardInterrupt
        flag.set()
        say(f"cancelling after the current {unit} (Ctrl-C again to stop now)")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)

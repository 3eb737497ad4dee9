"""The headless command as real subprocesses: for signals, full disks and concurrent runs."""

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, List

import flair_landcover

MODULE = "flair_landcover.flair_plugin.engine.cli.main"

# A disk that fills up: RLIMIT_FSIZE caps the size of every file the process writes, so a
# write past it fails with EFBIG as a full disk's fails with ENOSPC (SIGXFSZ, which would
# kill the process instead, is ignored as a shell's `ulimit -f` does not do).
_LIMITED = ("import resource, signal, sys\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            "hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), hard))\n"
            f"from {MODULE} import main\n"
            "sys.exit(main(sys.argv[2:]))\n")


def package_env() -> dict:
    """The environment of a child that imports ``flair_landcover`` as this process does."""
    holder = str(Path(flair_landcover.__path__[0]).parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (holder, os.environ.get("PYTHONPATH")) if p)}


def command(*args: str) -> List[str]:
    """``flair-landcover ARGS`` as ``python -m``."""
    return [sys.executable, "-m", MODULE, *map(str, args)]


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(command(*args), env=package_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), env=package_env(), capture_output=True, text=True,
                          timeout=timeout)


def run_on_a_full_disk(limit_bytes: int, *args: str, timeout: float = 300
                       ) -> subprocess.CompletedProcess:
    """``flair-landcover ARGS`` where no file may grow past ``limit_bytes``."""
    return subprocess.run([sys.executable, "-c", _LIMITED, str(limit_bytes), *map(str, args)],
                          env=package_env(), capture_output=True, text=True, timeout=timeout)


def wait_until(ready: Callable[[], bool], process: subprocess.Popen, timeout: float = 180
               ) -> None:
    """Poll ``ready()`` while ``process`` runs; fail (with its output) if it ends first."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            out, err = process.communicate()
            raise AssertionError(f"not ready (status {process.returncode}): {out}\n{err}")
        time.sleep(0.02)


def temporaries(folder: Path) -> List[str]:
    """Hidden temporary files (``.<name>.<tag>.part<suffix>``) left in ``folder``."""
    return sorted(p.name for p in Path(folder).iterdir() if ".part" in p.name)

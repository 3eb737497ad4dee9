"""Install the Python packages FLAIR needs into a folder this plugin owns, without a terminal.

A photo-interpreter should not have to find QGIS's Python, open a shell and type pip
commands. :func:`install` runs pip with QGIS's own interpreter into a folder of the
plugin's (under the QGIS profile), which :func:`activate` puts on ``sys.path`` when the
plugin loads. It never touches QGIS's or the system's packages, so removing that folder
undoes everything.

Nothing is lost on a failure or a cancel: pip installs into a fresh staging folder beside
the target, and only a completed install is moved in, package by package.

No qgis import: the algorithm and the plugin pass the folder, the proxy and the callbacks.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from .dependencies import Requirement, check

TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
"""PyTorch's CPU-only wheels: a tenth of the CUDA build's size, for machines without an
NVIDIA GPU (most photo-interpreters' laptops)."""

FOLDER_NAME = "flair_landcover_packages"


class InstallError(RuntimeError):
    """pip could not install the packages; the message says what pip said and what to do."""


class InstallCancelled(RuntimeError):
    """The user stopped the install; nothing was changed."""


@dataclass
class InstallResult:
    folder: Path
    installed: List[str] = field(default_factory=list)  # distributions pip put there
    restart_needed: bool = False  # an older copy of one of them is loaded in this process


def default_folder(profile_dir: Optional[str] = None) -> Path:
    """The plugin's package folder: ``<QGIS profile>/python/flair_landcover_packages``, or
    ``~/.local/share/flair_landcover/packages`` without a profile (headless)."""
    if profile_dir:
        return Path(profile_dir) / "python" / FOLDER_NAME
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "flair_landcover" / "packages"


def activate(folder: Path) -> bool:
    """Put ``folder`` first on ``sys.path`` (its packages win over older system ones);
    False when it does not exist yet."""
    folder = Path(folder)
    if not folder.is_dir():
        return False
    text = str(folder)
    if text not in sys.path:
        sys.path.insert(0, text)
    importlib.invalidate_caches()
    return True


def python_executable() -> str:
    """QGIS's Python interpreter. Inside QGIS ``sys.executable`` is the QGIS program
    itself; the interpreter lies in the Python installation QGIS embeds."""
    if Path(sys.executable).name.lower().startswith("python"):
        return sys.executable
    base = Path(sys.base_exec_prefix)
    for candidate in (base / "python.exe", base / "python3.exe",  # Windows, OSGeo4W
                      base / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}",
                      base / "bin" / "python3"):
        if candidate.is_file():
            return str(candidate)
    raise InstallError(f"QGIS's Python interpreter was not found under {base}: install the "
                       f"packages by hand (see the plugin's README, Install)")


def has_nvidia_gpu() -> bool:
    """Whether an NVIDIA driver is present (then the default, CUDA build of torch)."""
    return (shutil.which("nvidia-smi") is not None
            or Path("/proc/driver/nvidia/version").exists())


def pip_command(specs: Sequence[str], target: Path, torch_build: str = "auto",
                index_url: Optional[str] = None, find_links: Optional[str] = None,
                proxy: Optional[str] = None) -> List[str]:
    """The pip command line that installs ``specs`` into ``target``.

    Args:
        torch_build: ``cpu`` (PyTorch's CPU wheels as an extra index), ``cuda`` (PyPI's
            default build) or ``auto`` (``cpu`` without an NVIDIA GPU).
        index_url: another package index (a mirror, a local server); find_links: a folder
            of wheels (offline installs); proxy: ``http://[user:pass@]host:port``.
    """
    command = [python_executable(), "-m", "pip", "install", "--target", str(target),
               "--upgrade", "--prefer-binary", "--disable-pip-version-check",
               "--no-warn-script-location", "--progress-bar", "off"]
    if index_url:
        command += ["--index-url", index_url]
    if find_links:
        command += ["--find-links", find_links]
    wants_torch = any(re.match(r"torch\b", s) for s in specs)
    if wants_torch and (torch_build == "cpu" or (torch_build == "auto"
                                                 and not has_nvidia_gpu())):
        command += ["--extra-index-url", TORCH_CPU_INDEX]
    if proxy:
        command += ["--proxy", proxy]
    return command + list(specs)


def install(requirements: Sequence[Requirement], folder: Path, *,
            torch_build: str = "auto", index_url: Optional[str] = None,
            find_links: Optional[str] = None, proxy: Optional[str] = None,
            log: Callable[[str], None] = print,
            progress: Callable[[float], None] = lambda fraction: None,
            cancel: Callable[[], bool] = lambda: False) -> InstallResult:
    """Install what ``requirements`` lack into ``folder``, then make them importable.

    Args:
        requirements: what the caller needs; those already satisfied are left alone.
        folder: the plugin's package folder (:func:`default_folder`).
        log: receives pip's output line by line; progress: 0..1 as packages arrive;
        cancel: polled while pip runs: True stops it and leaves ``folder`` as it was.

    Returns:
        What was installed and whether QGIS must restart: when an older copy of one of
        the packages is already loaded, the new one is used only after a restart.

    Raises:
        InstallError: pip failed (its last lines are in the message).
        InstallCancelled: ``cancel()`` returned True.
    """
    folder = Path(folder)
    needed = [p.requirement for p in check(requirements)]
    if not needed:
        log("Every package FLAIR needs is installed already.")
        return InstallResult(folder)
    specs = [r.spec for r in needed]
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".partial",
                                    dir=folder.parent))
    try:
        command = pip_command(specs, staging, torch_build, index_url, find_links, proxy)
        log("Installing " + ", ".join(specs) + f" into {folder}")
        _run_pip(command, len(specs), log, progress, cancel)
        installed = _move_in(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    restart = any(_loaded(r.module) for r in needed)
    activate(folder)
    progress(1.0)
    return InstallResult(folder, installed, restart)


def _run_pip(command: List[str], expected: int, log: Callable[[str], None],
             progress: Callable[[float], None], cancel: Callable[[], bool]) -> None:
    # pip's own progress bars are off: one line per package collected is what a log and
    # a progress bar can use (dependencies make the total a guess, capped below 1)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, bufsize=1)
    tail: List[str] = []
    collected = 0
    assert process.stdout is not None
    for line in process.stdout:
        line = line.rstrip()
        if line:
            log(line)
            tail = (tail + [line])[-8:]
        if line.startswith("Collecting "):
            collected += 1
            progress(min(0.9, collected / max(expected * 3, 1)))
        if cancel():
            process.terminate()
            process.wait()
            raise InstallCancelled("package installation cancelled: nothing was changed")
    if process.wait() != 0:
        raise InstallError("pip could not install the packages:\n  " + "\n  ".join(tail)
                           + "\nCheck the network (or QGIS's proxy settings), or install "
                             "them by hand (see the plugin's README, Install)")


def _move_in(staging: Path, folder: Path) -> List[str]:
    """Move each top-level entry pip wrote into ``folder``, replacing older copies."""
    folder.mkdir(parents=True, exist_ok=True)
    installed = []
    for entry in sorted(staging.iterdir()):
        if entry.name.endswith(".dist-info"):
            name = entry.name[:-len(".dist-info")].rsplit("-", 1)[0]
            installed.append(name)
            for old in folder.glob(f"{name}-*.dist-info"):  # an older release's record
                shutil.rmtree(old)
        destination = folder / entry.name
        if destination.is_dir() and not destination.is_symlink():
            shutil.rmtree(destination)
        elif destination.exists() or destination.is_symlink():
            destination.unlink()
        shutil.move(str(entry), str(destination))
    return installed


def _loaded(module: str) -> bool:
    return sys.modules.get(module) is not None

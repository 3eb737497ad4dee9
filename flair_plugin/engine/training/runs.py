"""Where a training run lives when the user names no folder, and which run ``resume`` means.

Hours of training must never land where they will be deleted (QGIS's temporary processing
folder is emptied when QGIS exits). A run without a folder gets its own, named after what
it trains and when, under a persistent root the caller chooses (the QGIS project's folder,
or the user's documents); ``resume`` without a folder continues the newest run there that
holds a resumable state.
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path
from typing import Optional

STATE_FILE = "last.ckpt"
"""A run's resumable state (weights, optimiser, epoch): the mark of a run ``resume`` can
continue."""
RUNS_FOLDER = "FLAIR trainings"
"""Name of the folder that holds the runs, under the project's folder or the documents."""


def documents_dir() -> Path:
    """The user's documents folder (``XDG_DOCUMENTS_DIR``, ``~/Documents``), else home."""
    named = os.environ.get("XDG_DOCUMENTS_DIR")
    if named:
        return Path(os.path.expandvars(named)).expanduser()
    documents = Path.home() / "Documents"
    return documents if documents.is_dir() else Path.home()


def runs_root(project_dir: Optional[str] = None) -> Path:
    """The folder that holds unnamed runs: beside the project when it is saved (the runs
    travel with it), else in the user's documents.

    Args:
        project_dir: the QGIS project's folder, or None/empty for an unsaved project.
    """
    base = Path(project_dir) if project_dir else documents_dir()
    return base / RUNS_FOLDER


def new_run_dir(root: Path, model: str, bands: str, scheme: str,
                now: Optional[datetime.datetime] = None) -> Path:
    """A folder for a new run under ``root``, named after what it trains and when
    (``unet-rgbie-15cl 2026-12-03 17h05``); a suffix keeps two runs of one minute apart.

    The folder is not created: the training checks and creates it.
    """
    stamp = (now or datetime.datetime.now()).strftime("%Y-%m-%d %Hh%M")
    name = re.sub(r"[^\w.-]+", "-", f"{model}-{bands}-{scheme}").strip("-")
    candidate = root / f"{name} {stamp}"
    suffix = 2
    while candidate.exists():
        candidate = root / f"{name} {stamp} ({suffix})"
        suffix += 1
    return candidate


def latest_run(root: Path) -> Optional[Path]:
    """The run under ``root`` whose resumable state was saved last, or None when none has one.
    """
    if not root.is_dir():
        return None
    states = [d / STATE_FILE for d in root.iterdir() if (d / STATE_FILE).is_file()]
    if not states:
        return None
    return max(states, key=lambda p: p.stat().st_mtime).parent

"""Paths of the files shipped in ``resources/`` (icons, graphical models)."""

from pathlib import Path
from typing import List

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def icon_path(name: str = "flair.svg") -> str:
    return str(RESOURCES / "icons" / name)


def model_paths() -> List[str]:
    """The Graphical Modeler workflows shipped with the plugin."""
    return [str(p) for p in sorted((RESOURCES / "models").glob("*.model3"))]

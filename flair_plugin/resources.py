"""Paths of the files shipped in ``resources/`` (icons, graphical models)."""

from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def icon_path(name: str = "flair.svg") -> str:
    return str(RESOURCES / "icons" / name)

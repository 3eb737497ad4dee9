"""Which Python packages the heavy algorithms need, and how to install them into QGIS.

Checked from installed package *metadata*, without importing anything: importing torch
takes seconds and the toolbox must stay instant. The message gives the exact command for
the user's system, because QGIS's Python is not the ``python`` on a user's PATH.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from importlib import metadata
from typing import Iterable, List, Optional, Sequence, Tuple


@dataclass(frozen=True)
class Requirement:
    distribution: str  # the name pip knows
    module: str  # the name Python imports
    minimum: Tuple[int, ...]
    below: Optional[Tuple[int, ...]] = None  # first unsupported release, if any

    @property
    def spec(self) -> str:
        text = f"{self.distribution}>={_dotted(self.minimum)}"
        if self.below:
            text += f",<{_dotted(self.below)}"
        return text


INFERENCE: Tuple[Requirement, ...] = (
    Requirement("numpy", "numpy", (1, 22), (2,)),
    Requirement("torch", "torch", (2, 1)),
    # 0.5.0: the first whose U-Net decoder takes the feature list (the metadata U-Net and
    # the U-T&T call it that way; 0.3.3-0.4.0 take *features and raise IndexError)
    Requirement("segmentation-models-pytorch", "segmentation_models_pytorch", (0, 5, 0)),
    Requirement("safetensors", "safetensors", (0, 4)),
    Requirement("rasterio", "rasterio", (1, 3)),
)
"""What inference and training need. numpy 2 breaks GDAL's bindings in QGIS builds
compiled against numpy 1, hence the upper bound."""

TRAINING: Tuple[Requirement, ...] = INFERENCE + (Requirement("lightning", "lightning", (2, 1)),)
"""Training adds PyTorch Lightning, which drives the loop (one device in QGIS, DDP headless)."""

EVALUATION: Tuple[Requirement, ...] = tuple(
    r for r in INFERENCE if r.distribution in ("numpy", "rasterio"))
"""Comparing rasters needs no torch."""


@dataclass(frozen=True)
class Problem:
    requirement: Requirement
    found: Optional[str]  # installed version, None when missing

    def __str__(self) -> str:
        r = self.requirement
        if self.found is None:
            return f"{r.distribution} is not installed (need {r.spec})"
        return f"{r.distribution} {self.found} is installed but {r.spec} is needed"


def _dotted(version: Tuple[int, ...]) -> str:
    return ".".join(str(v) for v in version)


def _parse(version: str) -> Tuple[int, ...]:
    """Leading numeric release of a version string: "2.14.1+cu130" -> (2, 14, 1)."""
    parts = []
    for piece in version.split("+")[0].split("."):
        match = re.match(r"\d+", piece)
        if match is None:
            break
        parts.append(int(match.group()))
        if match.end() < len(piece):  # "0rc1": a pre-release tag ends the release part
            break
    return tuple(parts)


def check(requirements: Iterable[Requirement] = INFERENCE) -> List[Problem]:
    """The requirements that are missing or out of range (empty list: all good)."""
    problems = []
    for r in requirements:
        try:
            found = metadata.version(r.distribution)
        except metadata.PackageNotFoundError:
            problems.append(Problem(r, None))
            continue
        version = _parse(found)
        if version < r.minimum or (r.below is not None and version >= r.below):
            problems.append(Problem(r, found))
    return problems


def install_commands(specs: Sequence[str]) -> List[Tuple[str, str]]:
    """(system, command) pairs that install ``specs`` into QGIS's own Python."""
    quoted = " ".join(f'"{s}"' for s in specs)
    return [
        ("Linux (Debian, Ubuntu; QGIS from the distribution or qgis.org)",
         f"/usr/bin/python3 -m pip install --user --break-system-packages {quoted}"),
        ("Windows (open the OSGeo4W Shell from the Start menu, as the user running QGIS)",
         f"python -m pip install {quoted}"),
        ("macOS (QGIS.app from qgis.org; use QGIS-LTR.app for the LTR)",
         f"/Applications/QGIS.app/Contents/MacOS/bin/python3 -m pip install --user {quoted}"),
    ]


def message(problems: Sequence[Problem]) -> str:
    """A user-facing explanation of ``problems`` with the commands that fix them."""
    if not problems:
        return ""
    specs = [p.requirement.spec for p in problems]
    lines = ["FLAIR Land Cover needs Python packages that QGIS's Python does not have:"]
    lines += [f"  - {p}" for p in problems]
    lines.append("Run 'Install the Python packages FLAIR needs' (Processing Toolbox, FLAIR "
                 "land cover, Set-up): it installs them from QGIS, no terminal needed. Or "
                 "install them yourself, then restart QGIS:")
    for system, command in install_commands(specs):
        lines.append(f"  {system}:\n      {command}")
    if any(p.requirement.distribution == "torch" for p in problems):
        lines.append("Without an NVIDIA GPU, the CPU build of torch is ten times smaller: "
                     "install it first, with the same command and the arguments "
                     "torch --index-url https://download.pytorch.org/whl/cpu")
    lines.append(f"(QGIS's Python here: {sys.version.split()[0]} at {sys.exec_prefix})")
    return "\n".join(lines)


def missing_message(requirements: Iterable[Requirement] = INFERENCE) -> str:
    """Empty when everything is installed; otherwise the full explanation."""
    return message(check(requirements))

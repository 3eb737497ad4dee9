"""Names shared by the FLAIR-HUB networks and their torch-free descriptions."""

from __future__ import annotations

from typing import Tuple

HUB_DECODERS: Tuple[str, ...] = ("upernet", "unet")
"""FLAIR-HUB's decoders (the ``-upernet``/``-unet`` part of its ``arch`` names)."""

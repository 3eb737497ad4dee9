"""Names shared by the FLAIR-HUB networks and their torch-free descriptions."""

from __future__ import annotations

from typing import Tuple

HUB_DECODERS: Tuple[str, ...] = ("upernet", "unet")
"""FLAIR-HUB's decoders (the ``-upernet``/``-unet`` part of its ``arch`` names)."""

HUB_SERIES: Tuple[str, ...] = ("SENTINEL2_TS", "SENTINEL1-ASC_TS", "SENTINEL1-DESC_TS")
"""FLAIR-HUB's time-series modalities, in the order its encoders are built."""


def series_argument(modality: str) -> str:
    """The keyword a series modality is given to the network under (``SENTINEL2_TS`` ->
    ``sentinel2``, ``SENTINEL1-ASC_TS`` -> ``sentinel1_asc``); its dates go under the
    same name plus ``_dates``."""
    return modality.lower().removesuffix("_ts").replace("-", "_")

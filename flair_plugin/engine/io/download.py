"""The headless names of IGN's published models: FLAIR-INC variants (``rgbie_15cl``) and
FLAIR-HUB model names, for ``flair-landcover download`` and scripts.

The catalogue and the download itself are :mod:`.published`'s (the QGIS algorithms use
the same): this module only maps the short FLAIR-INC variant names onto it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional, Tuple, Union

from ..errors import CheckpointError, WeightsDownloadError  # noqa: F401 (re-exported)
from .published import HUB, PUBLISHED, PublishedModel, fetch, models_dir

_INC = "FLAIR-INC_"

FLAIR_INC_VARIANTS: Tuple[str, ...] = tuple(sorted(
    name[len(_INC):] for name in PUBLISHED if name.startswith(_INC)))
"""Published FLAIR-INC U-Nets: bands (R,G,B / +NIR / +elevation) x class set."""

FLAIR_HUB_MODELS: Dict[str, PublishedModel] = {
    name: model for name, model in PUBLISHED.items() if name.startswith("FLAIR-HUB_")}
"""FLAIR-HUB models named by IGN's model cards and documentation (Etalab 2.0)."""


def default_cache_dir() -> Path:
    """Where the command puts models: :func:`.published.models_dir` without a profile."""
    return models_dir()


def flair_inc_url(variant: str) -> str:
    """Direct download URL of a FLAIR-INC weights file."""
    return _inc(variant).url(HUB)


def flair_hub_url(name: str) -> str:
    """Direct download URL of a FLAIR-HUB weights file."""
    return _hub(name).url(HUB)


def download_flair_inc(variant: str = "rgbie_15cl",
                       cache_dir: Optional[Union[str, Path]] = None) -> Path:
    """Path of the FLAIR-INC ``variant`` weights in the cache, downloading them if absent
    (a pickled state dict of ~98 MB: :func:`load_model` reads it without running pickle code).

    Raises:
        CheckpointError: an unknown variant. WeightsDownloadError: see :func:`.fetch`.
    """
    return fetch(_inc(variant), cache_dir if cache_dir is not None else models_dir())


def download_flair_hub(name: str, cache_dir: Optional[Union[str, Path]] = None) -> Path:
    """Path of the FLAIR-HUB model ``name`` in the cache, downloading it if absent.

    Raises:
        CheckpointError: an unknown name. WeightsDownloadError: see :func:`.fetch`.
    """
    return fetch(_hub(name), cache_dir if cache_dir is not None else models_dir())


def _inc(variant: str) -> PublishedModel:
    if variant not in FLAIR_INC_VARIANTS:
        raise CheckpointError(f"unknown FLAIR-INC variant {variant!r}; published ones are "
                              f"{', '.join(FLAIR_INC_VARIANTS)}")
    return PUBLISHED[_INC + variant]


def _hub(name: str) -> PublishedModel:
    if name not in FLAIR_HUB_MODELS:
        raise CheckpointError(f"unknown FLAIR-HUB model {name!r}; known: "
                              f"{', '.join(FLAIR_HUB_MODELS)}")
    return FLAIR_HUB_MODELS[name]

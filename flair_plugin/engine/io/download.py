"""Fetch IGN's published FLAIR-INC and FLAIR-HUB weights from Hugging Face into a user cache.

A file already in the cache is returned without touching the network, so a machine
with no internet works once the file has been copied there by hand; when the download
cannot happen (offline, ``huggingface_hub`` missing, network error) the error names the
exact URL to fetch and the exact path to put it at.

No torch import: the toolbox can offer the download without loading torch.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

from ..checkpoints.meta import CheckpointError
from ..errors import WeightsDownloadError

FLAIR_INC_VARIANTS: Tuple[str, ...] = tuple(f"{bands}_{classes}"
                                            for bands in ("rgb", "rgbi", "rgbie")
                                            for classes in ("12cl", "15cl"))
"""Published FLAIR-INC U-Nets: bands (R,G,B / +NIR / +elevation) x class set."""

FLAIR_HUB_MODELS: Dict[str, Tuple[Optional[float], str, bool]] = {
    # name (Hugging Face repo IGNF/<name>, file <name>.safetensors):
    # (published FLAIR-HUB test mIoU or None, inputs, runs in this version)
    "FLAIR-HUB_LC-A_IR_convnextv2tiny-upernet": (62.7, "aerial NIR,R,G (RGBI raster)", True),
    "FLAIR-HUB_LC-A_IR_convnextv2base-upernet": (63.8, "aerial NIR,R,G (RGBI raster)", True),
    "FLAIR-HUB_LC-A_IR_swinbase-upernet": (None, "aerial NIR,R,G (RGBI raster)", True),
    "FLAIR-HUB_LC-A_RGB_swinbase-upernet": (
        None, "aerial R,G,B (its normalisation must be given: flair-landcover import)", True),
    "FLAIR-HUB_LC-A_RGB_swinlarge-upernet": (
        None, "aerial R,G,B (its normalisation must be given: flair-landcover import)", True),
    "FLAIR-HUB_LC-F_swinbase-upernet": (64.9, "aerial + Sentinel-2 + Sentinel-1 series",
                                        False),
}
"""FLAIR-HUB models named by IGN's model cards and documentation (Etalab 2.0)."""


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/flair_landcover`` (``~/.cache/flair_landcover`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "flair_landcover"


def flair_inc_repo(variant: str) -> str:
    _check_variant(variant)
    return f"IGNF/FLAIR-INC_{variant}_resnet34-unet"


def flair_inc_filename(variant: str) -> str:
    _check_variant(variant)
    return f"FLAIR-INC_{variant}_resnet34-unet_weights.pth"


def flair_inc_url(variant: str) -> str:
    """Direct download URL of a FLAIR-INC weights file."""
    return (f"https://huggingface.co/{flair_inc_repo(variant)}/resolve/main/"
            f"{flair_inc_filename(variant)}")


def download_flair_inc(variant: str = "rgbie_15cl",
                       cache_dir: Optional[Union[str, Path]] = None) -> Path:
    """Path of the FLAIR-INC ``variant`` weights in the cache, downloading them if absent.

    ``variant`` is one of :data:`FLAIR_INC_VARIANTS`. The file (~98 MB) is a pickled state
    dict: load it with :func:`load_model`, which never runs pickle code.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = cache / flair_inc_filename(variant)
    if target.is_file() and target.stat().st_size > 0:
        return target
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise WeightsDownloadError(_manual_message(
            variant, target, "the huggingface_hub package is not installed "
            "(pip install huggingface_hub)")) from None
    try:
        cache.mkdir(parents=True, exist_ok=True)
        # local_dir puts the file itself at `target` (hub bookkeeping goes in .cache/ there)
        downloaded = Path(hf_hub_download(flair_inc_repo(variant), flair_inc_filename(variant),
                                          local_dir=cache))
    except Exception as exc:  # offline mode, DNS, HTTP, disk: all end the same way for users
        reason = str(exc) or type(exc).__name__
        if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
            reason = f"Hugging Face offline mode is on (HF_HUB_OFFLINE) and {reason}"
        raise WeightsDownloadError(_manual_message(variant, target, reason)) from exc
    return downloaded


def flair_hub_url(name: str) -> str:
    """Direct download URL of a FLAIR-HUB weights file."""
    _check_hub_name(name)
    return f"https://huggingface.co/IGNF/{name}/resolve/main/{name}.safetensors"


def download_flair_hub(name: str, cache_dir: Optional[Union[str, Path]] = None) -> Path:
    """Path of the FLAIR-HUB model ``name`` (:data:`FLAIR_HUB_MODELS`) in the cache,
    downloading it if absent; :func:`..checkpoints.store.load_model` reads it as it is.

    Raises:
        CheckpointError: an unknown name.
        WeightsDownloadError: the download failed; says which URL to fetch by hand and
            where to put the file.
    """
    _check_hub_name(name)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    filename = f"{name}.safetensors"
    target = cache / filename
    if target.is_file() and target.stat().st_size > 0:
        return target

    def manual(reason: str) -> str:
        return (f"could not download the FLAIR-HUB model {name}: "
                f"{reason.strip().rstrip('.')}. Download {flair_hub_url(name)} yourself and "
                f"save it as {target} (or pass its path as the model file)")

    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise WeightsDownloadError(manual("the huggingface_hub package is not installed "
                                          "(pip install huggingface_hub)")) from None
    try:
        cache.mkdir(parents=True, exist_ok=True)
        return Path(hf_hub_download(f"IGNF/{name}", filename, local_dir=cache))
    except Exception as exc:  # offline mode, DNS, HTTP, disk: all end the same way for users
        raise WeightsDownloadError(manual(str(exc) or type(exc).__name__)) from exc


def _check_hub_name(name: str) -> None:
    if name not in FLAIR_HUB_MODELS:
        raise CheckpointError(f"unknown FLAIR-HUB model {name!r}; known: "
                              f"{', '.join(FLAIR_HUB_MODELS)}")


def _manual_message(variant: str, target: Path, reason: str) -> str:
    return (f"could not download the FLAIR-INC {variant} weights: {reason.strip().rstrip('.')}. "
            f"Download {flair_inc_url(variant)} yourself and save it as {target} "
            f"(or pass its path as the model file)")


def _check_variant(variant: str) -> None:
    if variant not in FLAIR_INC_VARIANTS:
        raise CheckpointError(f"unknown FLAIR-INC variant {variant!r}; published ones are "
                         f"{', '.join(FLAIR_INC_VARIANTS)}")

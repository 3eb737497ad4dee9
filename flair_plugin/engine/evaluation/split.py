"""Score a model on a FLAIR split, the way FLAIR's own evaluation does.

Each 512×512 patch is predicted whole, in one forward pass (no tiling, no blending: the
official protocol), the argmax is taken over the model's active classes, and one
confusion matrix is summed over all patches before scoring. This is how a user checks the
published figures, e.g. 54.72 mIoU for FLAIR-INC ``rgbie_15cl`` on flair#1-test.

Predictions are written as small GeoTIFFs (kept when asked, for a look in QGIS) and
scored by :func:`.evaluation.evaluate_pairs`, the same code as any raster comparison.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import rasterio
import torch

from ...nomenclature import DEPARTMENTS_TEST_FLAIR1
from ..checkpoints.store import LoadedModel, load_model
from ..data.patches import DatasetError, PatchPair, discover_pairs, find_metadata_json, load_metadata
from ..errors import EvaluationCancelled
from .rasters import EvaluationResult, evaluate_pairs
from ..inference.network import Network, check_precision, resolve_device
from ..errors import InputError

PathLike = Union[str, os.PathLike]
Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


SplitCancelled = EvaluationCancelled  # stopped on request; the temporary predictions were removed


def evaluate_model_on_split(model: Union[PathLike, LoadedModel], dataset: PathLike, *,
                            domains: Optional[Sequence[str]] = DEPARTMENTS_TEST_FLAIR1,
                            scheme: str = "flair19", device: str = "auto",
                            batch_size: int = 4, precision: str = "fp32",
                            predictions_dir: Optional[PathLike] = None,
                            progress: Optional[Progress] = None,
                            cancel: Optional[Cancel] = None) -> EvaluationResult:
    """Predict every patch of ``domains`` under ``dataset`` and score them together.

    ``domains``: domain patterns (``D012`` = every year of D012; default flair#1-test),
    ``None`` for every labelled patch found. ``predictions_dir``: keep the predicted
    patches there (``PRED_<id>.tif``, FLAIR codes) instead of a temporary folder.
    """
    loaded = model if isinstance(model, LoadedModel) else load_model(model)
    pairs, counts = discover_pairs(dataset, domains)
    if not pairs:
        raise DatasetError(f"no labelled patch of the domains {', '.join(domains or [])} under "
                           f"{dataset}; domains found: {', '.join(sorted(counts))}")
    keep = predictions_dir is not None
    folder = Path(predictions_dir) if keep else Path(tempfile.mkdtemp(prefix="flair-split-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        predicted = _predict_patches(loaded, pairs, folder, dataset, device, batch_size,
                                     precision, progress, cancel)
        return evaluate_pairs([(p, pair.mask) for p, pair in zip(predicted, pairs)],
                              scheme=scheme, progress=_second_half(progress), cancel=cancel)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def _second_half(progress: Optional[Progress]) -> Optional[Progress]:
    if progress is None:
        return None
    return lambda fraction, message="": progress(0.9 + 0.1 * fraction, message)


def _predict_patches(loaded: LoadedModel, pairs: Sequence[PatchPair], folder: Path,
                     dataset: PathLike, device: str, batch_size: int, precision: str,
                     progress: Optional[Progress], cancel: Optional[Cancel]) -> List[Path]:
    meta = loaded.meta
    dev = resolve_device(device)
    check_precision(precision, dev)
    # The engine's own network: the same normalisation, precision and active classes.
    net = Network(loaded.module, meta.means, meta.stds, meta.logit_codes, dev, precision)
    encodings = _metadata(meta, dataset, pairs)
    outputs: List[Path] = []
    for start in range(0, len(pairs), batch_size):
        if cancel is not None and cancel():
            raise SplitCancelled(f"stopped after {start} of {len(pairs)} patches")
        batch = pairs[start:start + batch_size]
        images, profiles = zip(*(_read_patch(p, meta.in_channels) for p in batch))
        extra = ()
        if encodings is not None:
            extra = (torch.tensor([encodings[p.name] for p in batch], device=dev),)
        with torch.inference_mode():
            labels = net.codes(torch.from_numpy(np.stack(images)).to(dev), *extra)
        for pair, label, profile in zip(batch, labels.cpu().numpy(), profiles):
            outputs.append(_write_prediction(folder / f"PRED_{pair.patch_id}.tif", label,
                                             profile))
        if progress is not None:
            done = start + len(batch)
            progress(0.9 * done / len(pairs), f"{done}/{len(pairs)} patches predicted")
    return outputs


def _metadata(meta, dataset, pairs):
    if not meta.metadata_mlp:
        return None
    path = find_metadata_json(dataset)
    if path is None:
        raise DatasetError(f"this model uses the aerial metadata, but no FLAIR metadata JSON "
                           f"(flair_aerial_metadata.json...) is under {dataset}")
    return load_metadata(path, pairs)


def _read_patch(pair: PatchPair, bands: int) -> Tuple[np.ndarray, dict]:
    with rasterio.open(pair.image) as src:
        if src.count < bands:
            raise InputError(f"{pair.image} has {src.count} bands; the model needs {bands}")
        return src.read(list(range(1, bands + 1))), src.profile


def _write_prediction(path: Path, label: np.ndarray, profile: dict) -> Path:
    profile = dict(profile, count=1, dtype="uint8", nodata=0, compress="deflate")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(label[None])
    return path

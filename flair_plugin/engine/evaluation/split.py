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
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
import torch

from ...nomenclature import DEPARTMENTS_TEST_FLAIR1, NODATA, patch_band_indexes
from ..checkpoints.store import LoadedModel, load_model
from ..data.patches import (
    DatasetError,
    PatchPair,
    check_patches,
    discover_pairs,
    find_metadata_json,
    load_metadata,
    read_patch,
)
from ..errors import EvaluationCancelled, InputError
from ..geo import Grid, PixelWindow
from ..inference.network import Network, check_precision, resolve_device
from ..io.outputs import OutputSet, OutputTarget, check_output_paths
from ..options import SPLIT_BATCH_SIZE
from .rasters import EvaluationResult, evaluate_pairs

PathLike = Union[str, os.PathLike]
Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


SplitCancelled = EvaluationCancelled  # stopped on request; the temporary predictions were removed


def evaluate_model_on_split(model: Union[PathLike, LoadedModel], dataset: PathLike, *,
                            domains: Optional[Sequence[str]] = DEPARTMENTS_TEST_FLAIR1,
                            scheme: str = "flair19", device: str = "auto",
                            batch_size: int = SPLIT_BATCH_SIZE, precision: str = "fp32",
                            predictions_dir: Optional[PathLike] = None,
                            outputs: Sequence[Optional[PathLike]] = (),
                            overwrite: bool = False,
                            progress: Optional[Progress] = None,
                            cancel: Optional[Cancel] = None) -> EvaluationResult:
    """Predict every patch of ``domains`` under ``dataset`` and score them together.

    ``domains``: domain patterns (``D012`` = every year of D012; default flair#1-test),
    ``None`` for every labelled patch found. ``predictions_dir``: keep the predicted
    patches there (``PRED_<id>.tif``, FLAIR codes) instead of a temporary folder; an
    existing one is replaced only with ``overwrite``. ``outputs``: the files the caller
    writes with the result (report, metrics): checked with the kept predictions before
    any work, so that none replaces an input (the model, a patch, the metadata) or, without
    ``overwrite``, an existing file.

    Patches are read as training reads them (:func:`.data.patches.read_patch`): before
    any prediction a sample is checked as a training run checks it, so a patch training
    would refuse (16-bit, too few bands, bad mask values) is refused here too.

    Raises:
        DatasetError: no labelled patch of ``domains``, or unusable patches (the message
            names the file and says how to fix it).
        CheckpointError: the model file cannot be loaded.
        SplitCancelled: ``cancel()`` returned True; temporary predictions are removed.
        InputError: an output is an input, exists without ``overwrite``, or cannot be
            written.
    """
    pairs, counts = discover_pairs(dataset, domains)
    if not pairs:
        raise DatasetError(f"no labelled patch of the domains {', '.join(domains or [])} under "
                           f"{dataset}; domains found: {', '.join(sorted(counts))}")
    keep = predictions_dir is not None
    if keep:
        try:
            Path(predictions_dir).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the predictions folder {predictions_dir}: "
                             f"{exc.strerror or exc}") from None
    kept = [_prediction_path(Path(predictions_dir), p) for p in pairs] if keep else []
    inputs = [p for pair in pairs for p in (pair.image, pair.mask)]
    inputs += [find_metadata_json(dataset),
               model.path if isinstance(model, LoadedModel) else model]
    check_output_paths(list(outputs) + kept, inputs, overwrite)
    loaded = model if isinstance(model, LoadedModel) else load_model(model)
    tile = check_patches((pairs,), patch_band_indexes(loaded.meta.bands))
    folder = Path(predictions_dir) if keep else Path(tempfile.mkdtemp(prefix="flair-split-"))
    try:
        predicted = _predict_patches(loaded, pairs, tile, folder, dataset, device,
                                     batch_size, precision, progress, cancel, overwrite)
        return evaluate_pairs([(p, pair.mask) for p, pair in zip(predicted, pairs)],
                              scheme=scheme, progress=_second_half(progress), cancel=cancel)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def _second_half(progress: Optional[Progress]) -> Optional[Progress]:
    if progress is None:
        return None
    return lambda fraction, message="": progress(0.9 + 0.1 * fraction, message)


def _predict_patches(loaded: LoadedModel, pairs: Sequence[PatchPair], tile: int,
                     folder: Path, dataset: PathLike, device: str, batch_size: int, precision: str,
                     progress: Optional[Progress], cancel: Optional[Cancel],
                     overwrite: bool) -> List[Path]:
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
        patches = [read_patch(p, patch_band_indexes(meta.bands), tile) for p in batch]
        extra = ()
        if encodings is not None:
            extra = (torch.tensor([encodings[p.name] for p in batch], device=dev),)
        with torch.inference_mode():
            images = torch.from_numpy(np.stack([p.image for p in patches]))
            labels = net.codes(images.to(dev), *extra)
        for pair, label, patch in zip(batch, labels.cpu().numpy(), patches):
            outputs.append(_write_prediction(_prediction_path(folder, pair), label,
                                             patch.profile, overwrite))
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


def _prediction_path(folder: Path, pair: PatchPair) -> Path:
    return folder / f"PRED_{pair.patch_id}.tif"


def _write_prediction(path: Path, label: np.ndarray, profile: dict, overwrite: bool) -> Path:
    """A patch's predicted codes, through the engine's one raster writer (temporary name,
    verified, exclusive rename without ``overwrite``), styled like any prediction."""
    height, width = label.shape
    grid = Grid(profile.get("crs"), profile["transform"], width, height)
    outputs = OutputSet(grid, [OutputTarget(os.fspath(path), 1, ("FLAIR class code",),
                                            NODATA, True)], max(width, height), overwrite)
    try:
        outputs.write(0, PixelWindow(0, 0, width, height), label.astype(np.uint8))
        outputs.commit()
    except BaseException:
        outputs.abort()
        raise
    return path

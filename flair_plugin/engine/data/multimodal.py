"""Aerial patches with their Sentinel-2 series, for training a U-T&T (FLAIR-2).

Each aerial patch of a training run gets the series of its zone's *super-area*
(``SEN2_sp_<D>-<Z>_data.npy`` + ``_masks.npy`` + ``_products.txt``), cropped around the
patch's centroid (``flair-2_centroids_sp_to_patch.json``), cloud-filtered and averaged
per month as FLAIR-2 does (:mod:`.sentinel`). Both files are found by name anywhere under
the dataset folder (or the pairs CSV's folder), so FLAIR-2's GitHub layout, the unzipped
Hugging Face layout and the synthetic generator's layouts all work.

:func:`locate_sentinel` checks, before any training, that every patch has a super-area
and a centroid, and names those that do not. :class:`MultimodalPatchDataset` wraps a
:class:`~.patches.FlairPatchDataset` and :func:`collate_multimodal` pads the series of a
batch to its longest (pad mask True on padded dates); it serves both the DataLoader
(processes, headless) and the :class:`~.patches.ThreadedBatchLoader` (inside QGIS).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from torch.utils.data import Dataset

from .patches import DatasetError, FlairPatchDataset, PatchPair
from .sentinel import (
    RowCol,
    SentinelError,
    SeriesPreparation,
    SuperArea,
    centroid_for,
    collate,
    find_super_areas,
    normalise,
    read_centroids,
    read_patch_series,
)

CENTROIDS_JSON_NAME = "flair-2_centroids_sp_to_patch.json"
STATS_SAMPLE = 64  # training patches whose series give the Sentinel-2 means/stds
_SHOWN = 5  # names quoted in an error message


@dataclass(frozen=True)
class SentinelSource:
    """Where a patch's series is read: its zone's super-area and its centre there."""

    area: SuperArea
    centre: RowCol


def find_centroid_files(root: Path) -> List[Path]:
    """Every ``flair-2_centroids_sp_to_patch.json`` under ``root`` (hidden folders skipped)."""
    return sorted(p for p in Path(root).rglob(CENTROIDS_JSON_NAME)
                  if not any(part.startswith(".") for part in p.relative_to(root).parts[:-1]))


def locate_sentinel(root: Path, pairs: Sequence[PatchPair]) -> Dict[str, SentinelSource]:
    """Patch name -> its super-area and centroid; :class:`DatasetError` naming what lacks.

    Raised before any training: no centroid file, zones without a super-area (listed with
    their patches), patches missing from the centroid file, or a broken super-area.
    """
    root = Path(root)
    try:
        areas = find_super_areas(root)
    except SentinelError as exc:
        raise DatasetError(f"Sentinel-2 data under {root}: {exc}") from None
    files = find_centroid_files(root)
    if not files:
        raise DatasetError(f"U-T&T training needs the patch centroids of FLAIR-2: no "
                           f"{CENTROIDS_JSON_NAME} under {root}. Put the file from the FLAIR-2 "
                           f"download (aux data) in the dataset folder, or train --model unet")
    centroids: Dict[str, RowCol] = {}
    for path in files:
        try:
            centroids.update(read_centroids(path))
        except SentinelError as exc:
            raise DatasetError(str(exc)) from None
    sources: Dict[str, SentinelSource] = {}
    no_area: Dict[Tuple[str, str], List[str]] = {}
    no_centre: List[str] = []
    for pair in pairs:
        area = areas.get((pair.domain or "?", pair.zone or "?"))
        if area is None:
            no_area.setdefault((pair.domain or "?", pair.zone or "?"), []).append(pair.name)
            continue
        try:
            sources[pair.name] = SentinelSource(area, centroid_for(centroids, pair.image))
        except SentinelError:
            no_centre.append(pair.name)
    _refuse_missing(root, no_area, no_centre, files)
    return sources


def _refuse_missing(root: Path, no_area: Mapping[Tuple[str, str], List[str]],
                    no_centre: Sequence[str], files: Sequence[Path]) -> None:
    problems = []
    if no_area:
        zones = sorted(no_area)
        shown = "; ".join(f"{d}/{z} ({len(no_area[(d, z)])} patches, e.g. "
                          f"{', '.join(no_area[(d, z)][:2])})" for d, z in zones[:_SHOWN])
        more = f" and {len(zones) - _SHOWN} more zone(s)" if len(zones) > _SHOWN else ""
        problems.append(f"no Sentinel-2 super-area (SEN2_sp_<domain>-<zone>_data.npy, "
                        f"_masks.npy, _products.txt) for zone(s) {shown}{more}")
    if no_centre:
        shown = ", ".join(no_centre[:_SHOWN])
        more = f" and {len(no_centre) - _SHOWN} more" if len(no_centre) > _SHOWN else ""
        problems.append(f"patch(es) {shown}{more} missing from "
                        f"{', '.join(str(f) for f in files)}")
    if problems:
        raise DatasetError(f"U-T&T training needs a Sentinel-2 series for every patch under "
                           f"{root}: {'; '.join(problems)}. Add the FLAIR-2 Sentinel-2 files "
                           f"of those zones, leave their domains out (--train-domains / "
                           f"--val-domains), or train --model unet")


def series_statistics(sources: Mapping[str, SentinelSource], names: Sequence[str],
                      preparation: SeriesPreparation, limit: int = STATS_SAMPLE,
                      seed: int = 0) -> Tuple[Tuple[float, ...], Tuple[float, ...]]:
    """Per-band means/stds of the prepared series of up to ``limit`` training patches.

    Reflectances run to ~10⁴: fed raw (as FLAIR-2 does) SGD at FLAIR-2's small learning
    rate copes, ours at larger rates diverges; normalising costs nothing and the values
    travel in the checkpoint (``TemporalMeta.means/stds``) so inference prepares alike.
    """
    rng = np.random.default_rng(seed)
    chosen = list(names) if len(names) <= limit else \
        [names[i] for i in sorted(rng.choice(len(names), limit, replace=False))]
    total = count = squares = None
    for name in chosen:
        source = sources[name]
        data = read_patch_series(source.area, source.centre, preparation).data
        values = data.astype(np.float64).transpose(1, 0, 2, 3).reshape(data.shape[1], -1)
        total = values.sum(1) if total is None else total + values.sum(1)
        squares = (values ** 2).sum(1) if squares is None else squares + (values ** 2).sum(1)
        count = values.shape[1] if count is None else count + values.shape[1]
    means = total / count
    stds = np.sqrt(np.maximum(squares / count - means ** 2, 0.0))
    stds = np.where(stds > 1e-6, stds, 1.0)
    return tuple(float(v) for v in means), tuple(float(v) for v in stds)


class MultimodalPatchDataset(Dataset):
    """Samples ``{"image", "target", "meta", "sentinel", "dates"}`` for a U-T&T.

    ``sentinel`` is the normalised T×10×S×S float32 series, ``dates`` its T day positions.
    Augmentation (flips, rot90, p = 0.5 each) is applied to the aerial patch, its target
    and the series crop together, so the two branches keep seeing the same ground.
    """

    def __init__(self, base: FlairPatchDataset, sources: Mapping[str, SentinelSource],
                 preparation: SeriesPreparation, means: Sequence[float],
                 stds: Sequence[float], augment: bool = False) -> None:
        if base.augment:
            raise ValueError("give an un-augmented FlairPatchDataset: the multimodal dataset "
                             "augments both modalities together")
        self.base, self.sources, self.preparation = base, sources, preparation
        self.means, self.stds, self.augment = tuple(means), tuple(stds), augment

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, index: int) -> Dict[str, object]:
        image, target, meta = self.base[index]
        name = self.base.pairs[index].name
        source = self.sources[name]
        try:
            series = read_patch_series(source.area, source.centre, self.preparation)
        except SentinelError as exc:
            raise DatasetError(f"Sentinel-2 series of {name}: {exc}") from None
        sentinel = normalise(series.data, self.means, self.stds)
        image, target = image.numpy(), target.numpy()
        if self.augment:
            image, target, sentinel = _augment_together(image, target, sentinel)
        return {"image": np.ascontiguousarray(image), "target": np.ascontiguousarray(target),
                "meta": meta.numpy(), "sentinel": np.ascontiguousarray(sentinel),
                "dates": series.positions}


def _augment_together(image: np.ndarray, target: np.ndarray, sentinel: np.ndarray):
    hflip, vflip, rot = (torch.rand(3) < 0.5).tolist()
    if hflip:
        image, target, sentinel = image[..., ::-1], target[..., ::-1], sentinel[..., ::-1]
    if vflip:
        image, target = image[..., ::-1, :], target[..., ::-1, :]
        sentinel = sentinel[..., ::-1, :]
    if rot:
        image, target = np.rot90(image, 1, axes=(-2, -1)), np.rot90(target, 1, axes=(-2, -1))
        sentinel = np.rot90(sentinel, 1, axes=(-2, -1))
    return image, target, sentinel


def collate_multimodal(samples: Sequence[Mapping[str, object]]) -> Tuple[torch.Tensor, ...]:
    """``(image, target, meta, sentinel, dates, pad_mask)``: series zero-padded to the
    batch's longest, ``pad_mask`` True on the padded dates. A module-level function so
    DataLoader worker processes can pickle it."""
    batch = collate(samples, as_torch=True)
    return (batch["image"], batch["target"], batch["meta"], batch["sentinel"],
            batch["dates"], batch["pad_mask"])


def sentinel_root(dataset: Optional[str], pairs_csv: Optional[str]) -> Path:
    """Where the Sentinel-2 files are looked for: the dataset folder, else the CSV's."""
    if dataset:
        return Path(dataset)
    if pairs_csv:
        return Path(pairs_csv).parent
    raise DatasetError("no dataset folder to look for the Sentinel-2 files in")


__all__ = ["CENTROIDS_JSON_NAME", "MultimodalPatchDataset", "SentinelSource",
           "collate_multimodal", "find_centroid_files", "locate_sentinel", "sentinel_root",
           "series_statistics"]

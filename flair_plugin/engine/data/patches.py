"""FLAIR training data: find patches by file name, split them by domain, check them, serve them.

FLAIR ships in more than one layout (the GitHub/challenge tree
``flair_aerial_train/<D>/<Z>/img/IMG_<id>.tif`` + ``flair_labels_train/.../MSK_<id>.tif``,
per-domain zips from Hugging Face whose inner tree is not documented), so nothing here
relies on folder names: an ``IMG_<id>.tif`` pairs with the ``MSK_<id>.tif`` of the same id
*anywhere* under the root, the domain is the path part that reads ``D\\d{3}_\\d{4}`` and the
zone the part that reads ``Z\\d+_\\w+``. A CSV of image,mask pairs covers any other layout.

Everything a training run could trip over later (no patches, images without masks, mask
values outside 1..19, image/mask size mismatch, too few bands, an empty split) is checked
by :func:`prepare_training_data` *before* a model is built, and raised as one
:class:`DatasetError` whose message names the files and says how to fix it. Large datasets
are checked on a sample; :class:`FlairPatchDataset` guards every patch it reads as well,
so a bad file further on still stops the run with its name.

The dataset serves raw ``uint8`` imagery (normalised on the device: 4× less to copy) and
per-pixel *logit indices* of the chosen :class:`TrainScheme`.
"""

from __future__ import annotations

import csv
import json
import os
import queue
import re
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import numpy as np
import rasterio
import torch
from torch.utils.data import Dataset

from ....models.metadata_encoding import METADATA_DIM, encode_aerial_metadata
from ....models.utt import IGNORE_INDEX
from ...nomenclature import (
    AERIAL_BANDS,
    CLASS_SETS,
    CODES,
    DOMAINS_TRAIN,
    DOMAINS_VAL,
    FLAIR1_MEANS,
    FLAIR1_STDS,
    FLAIRHUB_ORDER,
    HUB_AERIAL_MEANS,
    HUB_AERIAL_STDS,
    NOT_ANNOTATED,
    TRAIN_BAND_SETS,
    hub_landcover_codes,
    patch_band_indexes,
    scheme,
)
from ..errors import DatasetError, io_error_detail
from ..options import TRAIN_SCHEMES

PathLike = Union[str, "os.PathLike[str]"]

IMAGE_RE = re.compile(r"^IMG_(.+)\.tiff?$", re.IGNORECASE)
MASK_RE = re.compile(r"^MSK_(.+)\.tiff?$", re.IGNORECASE)
DOMAIN_RE = re.compile(r"^D\d{3}_\d{4}$")
ZONE_RE = re.compile(r"^Z\d+_\w+$")
_DOMAIN_PATTERN_RE = re.compile(r"^D\d{3}(_\d{4})?$")

METADATA_JSON_NAMES: Tuple[str, ...] = ("flair_aerial_metadata.json",
                                        "flair-2_aerial_metadata.json",
                                        "flair-1_metadata_aerial.json")
"""Names under which FLAIR's aerial metadata JSON is published (newest first)."""

DEFAULT_CHECK_LIMIT = 1000
"""Patches per split whose files are opened before training; larger splits are sampled."""

_SHOWN = 3  # file names quoted in an error message


# --------------------------------------------------------------------------- class schemes


@dataclass(frozen=True)
class TrainScheme:
    """How mask codes become training targets, and which logits learn and score.

    ``logit_codes[i]`` is the FLAIR code logit ``i`` stands for, 0 when the logit is
    inactive (loss weight 0, left out of the mIoU, never predicted): the same convention
    as :class:`~..checkpoints.meta.ModelMeta`, so it is stored in the checkpoint as it is.
    ``code_to_index`` maps every mask value 0..255 to a logit index (IGNORE_INDEX = not a
    code, e.g. NOT_ANNOTATED: left out of the loss and the scores).
    ``metric_scheme`` names the nomenclature scheme whose FLAIR mIoU convention applies.
    """

    key: str
    logit_codes: Tuple[int, ...]
    code_to_index: Tuple[int, ...] = field(repr=False)
    metric_scheme: str
    description: str

    @property
    def num_logits(self) -> int:
        return len(self.logit_codes)

    @property
    def active_indices(self) -> Tuple[int, ...]:
        return tuple(i for i, c in enumerate(self.logit_codes) if c)

    @property
    def ignored_indices(self) -> Tuple[int, ...]:
        return tuple(i for i, c in enumerate(self.logit_codes) if not c)

    @property
    def class_weights(self) -> Tuple[float, ...]:
        """Loss weight per logit: 1 for the classes learnt, 0 for the ignored ones."""
        return tuple(1.0 if c else 0.0 for c in self.logit_codes)

    def lookup(self) -> np.ndarray:
        return np.asarray(self.code_to_index, dtype=np.uint8)


def training_scheme(key: str) -> TrainScheme:
    """The :class:`TrainScheme` of a class set (``19cl``, ``15cl``, ``12cl``, ``baseline13``,
    ``flairhub``).

    * ``19cl``/``15cl``/``12cl``: 19 logits, index = code − 1, as FLAIR-1 main and the
      FLAIR-INC weights (so their checkpoints fine-tune without a new head); the classes
      outside ``CLASS_SETS[key]`` get weight 0. ``15cl`` *is* FLAIR-1 main's setup (clear
      cut, mixed, ligneous and other at weight 0); ``19cl`` learns and scores all 19.
    * ``baseline13``: 13 logits, codes > 13 grouped into "other" (index 12), which gets
      weight 0 (FLAIR-1 legacy / FLAIR-2 baseline).
    * ``flairhub``: FLAIR-HUB's 19 logits in its own order (its land-cover heads
      fine-tune without a new head), its last four classes at weight 0.
    """
    if key in CLASS_SETS:
        active = set(CLASS_SETS[key])
        logit_codes = tuple(c if c in active else 0 for c in CODES)
        table = [IGNORE_INDEX] * 256
        for c in CODES:
            table[c] = c - 1
        return TrainScheme(key, logit_codes, tuple(table), "flair19",
                           f"{len(active)} classes (19 logits, index = code - 1)")
    if key == "flairhub":
        table = [255] * 256
        for index, code in enumerate(FLAIRHUB_ORDER):
            table[code] = index
        return TrainScheme(key, hub_landcover_codes(), tuple(table), "flairhub",
                           "FLAIR-HUB's 15 classes (19 logits in FLAIR-HUB's order; clear cut, "
                           "ligneous, mixed and undefined ignored): fine-tunes its models")
    if key == "baseline13":
        base = scheme("baseline13")
        ignored = set(base.ignored_values)
        logit_codes = tuple(0 if e.value in ignored else e.codes[0] for e in base.entries)
        table = [IGNORE_INDEX] * 256
        for c in CODES:
            table[c] = base.value_of_code(c)
        return TrainScheme(key, logit_codes, tuple(table), "baseline13",
                           "13-class baseline (codes > 13 grouped as 'other', weight 0)")
    raise DatasetError(f"unknown class scheme {key!r}; choose one of {', '.join(TRAIN_SCHEMES)}")


# --------------------------------------------------------------------------- bands


@dataclass(frozen=True)
class BandSpec:
    """The bands a model reads from FLAIR patches (R, G, B, NIR, elevation), by name, and
    their normalisation."""

    key: str
    names: Tuple[str, ...]
    means: Tuple[float, ...]
    stds: Tuple[float, ...]

    @property
    def count(self) -> int:
        return len(self.names)

    @property
    def indexes(self) -> Tuple[int, ...]:
        """The 1-based patch bands read, in the model's order."""
        return patch_band_indexes(self.names)


Bands = Union[int, Sequence[int]]
"""The bands read from a patch: the first N, or 1-based band numbers in the model's order."""


def band_spec(key: str) -> BandSpec:
    """``rgb``/``rgbi``/``rgbie`` with FLAIR-1 main's means/stds on raw 0..255 values;
    ``nirrg`` (NIR, R, G: FLAIR-HUB's aerial models) with FLAIR-HUB's."""
    if key not in TRAIN_BAND_SETS:
        raise DatasetError(f"unknown band set {key!r}; choose one of "
                           f"{', '.join(TRAIN_BAND_SETS)}")
    names = TRAIN_BAND_SETS[key]
    if key == "nirrg":
        return BandSpec(key, names, HUB_AERIAL_MEANS, HUB_AERIAL_STDS)
    idx = [AERIAL_BANDS.index(b) for b in names]
    return BandSpec(key, names, tuple(FLAIR1_MEANS[i] for i in idx),
                    tuple(FLAIR1_STDS[i] for i in idx))


def _band_numbers(bands: Bands) -> List[int]:
    return list(range(1, int(bands) + 1)) if isinstance(bands, (int, np.integer)) \
        else [int(b) for b in bands]


# --------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class PatchPair:
    """One aerial patch and its annotation."""

    patch_id: str
    image: Path
    mask: Path
    domain: Optional[str] = None
    zone: Optional[str] = None
    split: Optional[str] = None  # only from a pairs CSV with a split column

    @property
    def name(self) -> str:
        return f"IMG_{self.patch_id}"


@dataclass
class _Found:
    images: Dict[str, List[Path]] = field(default_factory=dict)
    masks: Dict[str, List[Path]] = field(default_factory=dict)
    metadata_json: List[Path] = field(default_factory=list)


def _walk(root: Path) -> _Found:
    """One pass over the tree: IMG_/MSK_ files by id, metadata JSONs by name.

    Follows symbolic links (users link domain folders together) but visits each real
    folder once; hidden folders (a dataset being written, ``.git``) are skipped.
    """
    found = _Found()
    seen = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            match = IMAGE_RE.match(name)
            if match:
                found.images.setdefault(match.group(1), []).append(Path(folder, name))
                continue
            match = MASK_RE.match(name)
            if match:
                found.masks.setdefault(match.group(1), []).append(Path(folder, name))
            elif name in METADATA_JSON_NAMES:
                found.metadata_json.append(Path(folder, name))
    return found


def path_domain(path: Path) -> Optional[str]:
    """The FLAIR domain (``D006_2020``) named by a part of ``path``, innermost first."""
    for part in reversed(path.parts):
        if DOMAIN_RE.match(part):
            return part
    return None


def path_zone(path: Path) -> Optional[str]:
    for part in reversed(path.parts):
        if ZONE_RE.match(part):
            return part
    return None


def discover_pairs(root: PathLike, domains: Optional[Sequence[str]] = None
                   ) -> Tuple[List[PatchPair], Dict[str, int]]:
    """All image/mask pairs under ``root``, and the patch count of every domain found.

    With ``domains`` (patterns, see :func:`domain_matches`) only images of those domains
    must have a mask: an unlabelled test split elsewhere in the tree is no error.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} does not exist (or is not a folder); give "
                           f"the folder that holds the FLAIR patches")
    found = _walk(root)
    if not found.images:
        raise DatasetError(
            f"no IMG_<id>.tif file under {root}: give the folder that holds FLAIR's aerial "
            f"patches (e.g. the one containing flair_aerial_train/ or the unzipped domain "
            f"folders), or list image,mask pairs in a CSV (--pairs-csv)")
    counts: Dict[str, int] = {}
    pairs, unmatched = [], []
    for pid in sorted(found.images):
        paths = found.images[pid]
        domain = path_domain(paths[0].relative_to(root))
        counts[domain or "(no domain)"] = counts.get(domain or "(no domain)", 0) + 1
        if domains is not None and not any(domain_matches(domain, d) for d in domains):
            continue
        _refuse_duplicates(f"IMG_{pid}", paths)
        masks = found.masks.get(pid)
        if not masks:
            unmatched.append(paths[0])
            continue
        _refuse_duplicates(f"MSK_{pid}", masks)
        rel = paths[0].relative_to(root)
        pairs.append(PatchPair(pid, paths[0], masks[0], domain,
                               path_zone(rel) or path_zone(masks[0].relative_to(root))))
    if unmatched:
        shown = ", ".join(str(p) for p in unmatched[:_SHOWN])
        raise DatasetError(
            f"{len(unmatched)} image(s) have no annotation MSK_<id>.tif with the same id "
            f"anywhere under {root}, e.g. {shown}. Put the label files (flair_labels_train, "
            f"or the domain's labels folder) under the dataset folder, leave these domains "
            f"out of the splits, or list image,mask pairs in a CSV (--pairs-csv)")
    return pairs, counts


def _refuse_duplicates(name: str, paths: List[Path]) -> None:
    if len(paths) > 1:
        shown = ", ".join(str(p) for p in paths[:_SHOWN])
        raise DatasetError(f"{name} is found {len(paths)} times ({shown}): patch ids must be "
                           f"unique, remove the extra copies")


def find_metadata_json(root: PathLike) -> Optional[Path]:
    """The aerial metadata JSON under ``root`` (by its FLAIR names, newest name first)."""
    found = _walk(Path(root)).metadata_json
    for name in METADATA_JSON_NAMES:
        for path in found:
            if path.name == name:
                return path
    return None


# --------------------------------------------------------------------------- splits


def domain_matches(domain: Optional[str], pattern: str) -> bool:
    """``D006_2020`` matches itself; ``D006`` (no year) matches every year of D006."""
    if domain is None:
        return False
    pattern = pattern.upper()
    return domain == pattern if "_" in pattern else domain.startswith(pattern + "_")


def _patterns_overlap(a: str, b: str) -> bool:
    """Whether two domain patterns can match the same domain."""
    if a.split("_")[0] != b.split("_")[0]:
        return False
    return "_" not in a or "_" not in b or a == b


def check_domain_patterns(patterns: Sequence[str], what: str) -> Tuple[str, ...]:
    """Normalised patterns, refused when one is not ``Dxxx`` or ``Dxxx_YYYY``."""
    out = tuple(p.strip().upper() for p in patterns if p.strip())
    bad = [p for p in out if not _DOMAIN_PATTERN_RE.match(p)]
    if bad:
        raise DatasetError(f"{what}: {', '.join(bad)} is not a FLAIR domain; write D006_2020, "
                           f"or D006 for every year of département 006")
    if not out:
        raise DatasetError(f"{what} is empty; give at least one domain such as D006_2020")
    return out


@dataclass(frozen=True)
class TrainingData:
    """The checked train and val patches of a run and what the model needs to know of them."""

    train: Tuple[PatchPair, ...]
    val: Tuple[PatchPair, ...]
    tile_size: int
    source: str  # the dataset folder or pairs CSV, for logs and the model's description
    metadata: Optional[Dict[str, Tuple[float, ...]]] = None  # patch name -> 45 values
    metadata_json: Optional[Path] = None

    def describe(self) -> str:
        return (f"train: {_split_text(self.train)}; val: {_split_text(self.val)}; "
                f"{self.tile_size}x{self.tile_size} px patches")


def _split_text(pairs: Sequence[PatchPair]) -> str:
    domains = sorted({p.domain or "?" for p in pairs})
    shown = ", ".join(domains[:6]) + (f" and {len(domains) - 6} more" if len(domains) > 6
                                      else "")
    return f"{len(pairs)} patches in {len(domains)} domain(s) ({shown})"


def prepare_training_data(root: Optional[PathLike] = None, *,
                          pairs_csv: Optional[PathLike] = None,
                          train_domains: Optional[Sequence[str]] = None,
                          val_domains: Optional[Sequence[str]] = None,
                          bands: str = "rgbie", scheme_key: str = "15cl",
                          metadata: bool = False, metadata_json: Optional[PathLike] = None,
                          check_limit: int = DEFAULT_CHECK_LIMIT, seed: int = 0
                          ) -> TrainingData:
    """Find, split and check the patches of a training run; raise :class:`DatasetError`.

    Patches come from ``root`` (found by name) or ``pairs_csv`` (columns image, mask and
    optionally split = train/val/test; relative paths are relative to the CSV's folder).
    Splits are FLAIR's official domain lists unless ``train_domains``/``val_domains``
    are given (``D006_2020`` or ``D006`` = any year), or the CSV has a split column.
    ``metadata``: also load the aerial metadata (found by name under ``root`` unless
    ``metadata_json`` is given) for the metadata MLP.
    """
    band_spec(bands)
    training_scheme(scheme_key)
    train_pat = check_domain_patterns(train_domains or DOMAINS_TRAIN, "train domains")
    val_pat = check_domain_patterns(val_domains or DOMAINS_VAL, "val domains")
    overlap = [f"{t}/{v}" for t in train_pat for v in val_pat if _patterns_overlap(t, v)]
    if overlap:
        raise DatasetError(f"domain(s) {', '.join(overlap)} are in both the train and the val "
                           f"lists; a domain belongs to one split")
    if pairs_csv is not None:
        pairs = read_pairs_csv(pairs_csv)
        counts = _domain_counts(pairs)
        source = str(pairs_csv)
        train, val = _split_csv(pairs, train_pat, val_pat, source)
    else:
        if root is None:
            raise DatasetError("no training data given: pass a dataset folder (--dataset) or a "
                               "CSV of image,mask pairs (--pairs-csv)")
        pairs, counts = discover_pairs(root, train_pat + val_pat)
        source = str(root)
        train = [p for p in pairs if any(domain_matches(p.domain, d) for d in train_pat)]
        val = [p for p in pairs if any(domain_matches(p.domain, d) for d in val_pat)]
    _refuse_empty("train", train, train_pat, counts, source, train_domains is None)
    _refuse_empty("val", val, val_pat, counts, source, val_domains is None)
    tile = check_patches((train, val), band_spec(bands).indexes, check_limit, seed)
    meta_values, meta_path = None, None
    if metadata:
        meta_path = Path(metadata_json) if metadata_json else _locate_metadata(root, pairs_csv)
        meta_values = load_metadata(meta_path, train + val)
    return TrainingData(tuple(train), tuple(val), tile, source, meta_values, meta_path)


def _domain_counts(pairs: Iterable[PatchPair]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for p in pairs:
        counts[p.domain or "(no domain)"] = counts.get(p.domain or "(no domain)", 0) + 1
    return counts


def _refuse_empty(split: str, pairs: Sequence[PatchPair], patterns: Sequence[str],
                  counts: Mapping[str, int], source: str, official: bool) -> None:
    if pairs:
        return
    which = "FLAIR's official " if official else ""
    looked = ", ".join(patterns[:8]) + (f" (and {len(patterns) - 8} more)"
                                        if len(patterns) > 8 else "")
    present = ", ".join(f"{d} ({n})" for d, n in sorted(counts.items())) or "none"
    option = f"--{split}-domains"
    raise DatasetError(
        f"the {split} split has no patches in {source}: looked for {which}{split} domains "
        f"{looked}; the data holds domains {present}. Choose the {split} domains among those "
        f"({option} D0xx_YYYY ...)")


# --------------------------------------------------------------------------- pairs CSV

_SPLIT_NAMES = {"train": "train", "training": "train", "val": "val", "valid": "val",
                "validation": "val", "test": "test", "": ""}


def read_pairs_csv(path: PathLike) -> List[PatchPair]:
    """Pairs listed in a CSV: ``image,mask[,split]``, with or without a header row."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"pairs CSV {path} does not exist; give a CSV file with the columns "
                           f"image,mask[,split]")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"pairs CSV {path} is not a text CSV file ({exc}): write one "
                           f"'image,mask[,split]' row per patch, saved as UTF-8 text") from None
    except OSError as exc:
        raise DatasetError(f"cannot read the pairs CSV {path}: {exc.strerror or exc}") from None
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["image", "mask"]:
        rows = rows[1:]
    if not rows:
        raise DatasetError(f"pairs CSV {path} lists no pairs; write one 'image,mask[,split]' "
                           f"row per patch")
    pairs, missing = [], []
    for number, row in enumerate(rows, start=1):
        if len(row) < 2:
            raise DatasetError(f"pairs CSV {path}, row {number}: expected image,mask[,split], "
                               f"got {row}")
        image, mask = (_resolve(path.parent, c) for c in row[:2])
        split = row[2].strip().lower() if len(row) > 2 else None
        if split is not None and split not in _SPLIT_NAMES:
            raise DatasetError(f"pairs CSV {path}, row {number}: split {row[2]!r} is not train, "
                               f"val or test")
        missing += [p for p in (image, mask) if not p.is_file()]
        pid = IMAGE_RE.match(image.name)
        pairs.append(PatchPair(pid.group(1) if pid else image.stem, image, mask,
                               path_domain(image) or path_domain(mask), path_zone(image),
                               _SPLIT_NAMES[split] if split is not None else None))
    if missing:
        shown = ", ".join(str(p) for p in missing[:_SHOWN])
        raise DatasetError(f"pairs CSV {path}: {len(missing)} listed file(s) do not exist, e.g. "
                           f"{shown} (relative paths are read from the CSV's folder)")
    return pairs


def _resolve(base: Path, cell: str) -> Path:
    p = Path(cell.strip()).expanduser()
    return p if p.is_absolute() else base / p


def _split_csv(pairs: List[PatchPair], train_pat: Sequence[str], val_pat: Sequence[str],
               source: str) -> Tuple[List[PatchPair], List[PatchPair]]:
    if any(p.split for p in pairs):
        return ([p for p in pairs if p.split == "train"], [p for p in pairs if p.split == "val"])
    if all(p.domain is None for p in pairs):
        raise DatasetError(f"pairs CSV {source} has no split column and its paths name no FLAIR "
                           f"domain (D0xx_YYYY), so train and val cannot be told apart: add a "
                           f"third column split = train or val")
    return ([p for p in pairs if any(domain_matches(p.domain, d) for d in train_pat)],
            [p for p in pairs if any(domain_matches(p.domain, d) for d in val_pat)])


# --------------------------------------------------------------------------- file checks


def check_patches(splits: Sequence[Sequence[PatchPair]], bands: Bands,
                  limit: int = DEFAULT_CHECK_LIMIT, seed: int = 0) -> int:
    """Open the patches (all, or ``limit`` per split at random) and return the tile size.

    The pre-flight check of a training run (train and val) or a split evaluation, before
    any work: :func:`check_pair` on each (bands, 8-bit type, image/mask size, square,
    mask values 1..19) and one size for all. Every later read goes through
    :func:`read_patch`, which checks again, so the sample only has to catch the
    systematic problems.

    Args:
        splits: the patch lists to check (e.g. train and val).
        bands: the bands the model reads (the first N, or band numbers).
        limit: the most patches opened per split.
        seed: the sample's seed.

    Raises:
        DatasetError: the first problem found (see :func:`read_patch`), or patches of
            different sizes.
    """
    rng = np.random.default_rng(seed)
    tile: Optional[Tuple[int, int]] = None
    first: Optional[PatchPair] = None
    for pairs in splits:
        chosen = pairs if len(pairs) <= limit else [pairs[i] for i in sorted(
            rng.choice(len(pairs), limit, replace=False))]
        for pair in chosen:
            shape = check_pair(pair, bands)
            if tile is None:
                tile, first = shape, pair
            elif shape != tile:
                raise DatasetError(
                    f"{pair.image} is {shape[1]}x{shape[0]} px but {first.image} is "
                    f"{tile[1]}x{tile[0]}: all patches of a run must have one size (FLAIR: "
                    f"512x512); leave the odd ones out (e.g. with --pairs-csv)")
    if tile is None:
        raise DatasetError("no patch to check: the patch lists are empty")
    return tile[0]


@dataclass(frozen=True)
class Patch:
    """A checked FLAIR patch: image ``C×H×W`` uint8, mask ``H×W`` codes 1..19, and the
    image's rasterio profile (to write a prediction on the same grid)."""

    image: np.ndarray
    mask: np.ndarray
    profile: Dict[str, Any]


def read_patch(pair: PatchPair, bands: Bands, tile_size: Optional[int] = None) -> Patch:
    """Read a patch's bands (the first ``bands``, or those numbers in that order) and its
    mask, checked as FLAIR patches.

    The one reader of training data: training's dataset and the split evaluation both
    read through it, so a patch training refuses is never scored (a 16-bit image
    normalised with 8-bit statistics would score as garbage without a word).

    Args:
        pair: the image and mask files.
        bands: the bands the model reads (the first ``bands`` of the image).
        tile_size: the side every patch of the run must have (None: any square).

    Raises:
        DatasetError: unreadable file, too few bands, not 8-bit, mask not one band,
            image and mask sizes differ, not square or not ``tile_size``, mask values
            outside 1..19; the message names the file and says how to fix it.
    """
    with _opened(pair) as (img, msk):
        _check_headers(pair, img, msk, bands, tile_size)
        image = img.read(indexes=_band_numbers(bands))
        mask = msk.read(1)
        profile = dict(img.profile)
    _check_mask_values(pair.mask, mask)
    return Patch(image, mask, profile)


def check_pair(pair: PatchPair, bands: Bands, tile_size: Optional[int] = None
               ) -> Tuple[int, int]:
    """:func:`read_patch`'s checks, reading the mask but only the image's header (the
    pre-flight check of many patches); return the pair's (height, width).

    Raises:
        DatasetError: as :func:`read_patch`.
    """
    with _opened(pair) as (img, msk):
        shape = _check_headers(pair, img, msk, bands, tile_size)
        mask = msk.read(1)
    _check_mask_values(pair.mask, mask)
    return shape


@contextmanager
def _opened(pair: PatchPair) -> Iterator[Tuple[Any, Any]]:
    """The image and mask datasets; a read error becomes a DatasetError naming them."""
    try:
        with rasterio.open(pair.image) as img, rasterio.open(pair.mask) as msk:
            yield img, msk
    except rasterio.errors.RasterioError as exc:
        raise DatasetError(f"cannot read the patch {pair.image} / {pair.mask}: "
                           f"{io_error_detail(exc)}; the file is damaged, truncated or not a "
                           f"GeoTIFF: copy it again, or leave it out (e.g. with "
                           f"--pairs-csv)") from None


def _check_headers(pair: PatchPair, img: Any, msk: Any, bands: Bands,
                   tile_size: Optional[int]) -> Tuple[int, int]:
    """Bands, type, mask band, sizes of an open pair; return its (height, width)."""
    _check_image(pair, img.count, img.dtypes[0], bands)
    img_shape, msk_shape = (img.height, img.width), (msk.height, msk.width)
    if msk.count != 1:
        raise DatasetError(f"annotation {pair.mask} has {msk.count} bands; a FLAIR mask has one "
                           f"band of class codes 1..19")
    if img_shape != msk_shape:
        raise DatasetError(f"{pair.image} is {img_shape[1]}x{img_shape[0]} px but its annotation "
                           f"{pair.mask} is {msk_shape[1]}x{msk_shape[0]}: they must cover the "
                           f"same pixels")
    if img_shape[0] != img_shape[1]:
        raise DatasetError(f"{pair.image} is {img_shape[1]}x{img_shape[0]} px: training patches "
                           f"must be square (FLAIR: 512x512)")
    if tile_size is not None and img_shape != (tile_size, tile_size):
        raise DatasetError(f"{pair.image} is {img_shape[1]}x{img_shape[0]} px, not {tile_size}x"
                           f"{tile_size} like the other patches: all patches of a run must have "
                           f"one size (FLAIR: 512x512); leave the odd ones out (e.g. with "
                           f"--pairs-csv)")
    return img_shape


def _check_image(pair: PatchPair, count: int, dtype: str, bands: Bands) -> None:
    numbers = _band_numbers(bands)
    if count < max(numbers):
        names = ", ".join(AERIAL_BANDS[n - 1] for n in numbers if n <= len(AERIAL_BANDS))
        hint = {3: "rgb", 4: "rgbi"}.get(count)
        first_n = numbers == list(range(1, len(numbers) + 1))
        what = str(len(numbers)) if first_n else f"bands {','.join(map(str, numbers))}"
        raise DatasetError(
            f"{pair.image} has {count} band(s) but the model reads {what} ({names}); "
            + (f"train on --bands {hint}, or " if hint else "")
            + "use 5-band FLAIR patches (R, G, B, NIR, elevation)")
    if dtype != "uint8":
        raise DatasetError(f"{pair.image} is {dtype}; FLAIR patches are 8-bit (uint8) and the "
                           f"normalisation expects 0..255 values: convert it to 8 bits first")


def _check_mask_values(path: Path, values: np.ndarray) -> None:
    """Codes 1..19, or NOT_ANNOTATED (0: sparse annotations, ignored by the loss)."""
    bad_values = (values > max(CODES)) | ((values < min(CODES)) & (values != NOT_ANNOTATED))
    if bad_values.any():
        bad = np.unique(values[bad_values])[:5]
        raise DatasetError(
            f"annotation {path} holds value(s) {', '.join(str(int(v)) for v in bad)} outside "
            f"FLAIR's class codes {min(CODES)}..{max(CODES)} (and {NOT_ANNOTATED} = not "
            f"annotated); masks must hold the codes as in FLAIR's MSK_ files (0-based or "
            f"re-coded masks must be converted first)")


# --------------------------------------------------------------------------- metadata


def _locate_metadata(root: Optional[PathLike], pairs_csv: Optional[PathLike]) -> Path:
    base = Path(root) if root is not None else Path(pairs_csv).parent
    found = find_metadata_json(base)
    if found is None:
        raise DatasetError(f"metadata asked for, but no {' / '.join(METADATA_JSON_NAMES)} under "
                           f"{base}: give its path (--metadata-json) or train without metadata")
    return found


def load_metadata(path: Path, pairs: Sequence[PatchPair]) -> Dict[str, Tuple[float, ...]]:
    """The 45-value encoding of every patch in ``pairs``, keyed ``IMG_<id>``."""
    try:
        records = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot read the aerial metadata {path}: {exc}") from None
    if not isinstance(records, dict):
        raise DatasetError(f"aerial metadata {path} is not a JSON object keyed IMG_<id>")
    missing = [p.name for p in pairs if p.name not in records]
    if missing:
        raise DatasetError(f"aerial metadata {path} has no record for {len(missing)} patch(es), "
                           f"e.g. {', '.join(missing[:_SHOWN])}: use the metadata file of this "
                           f"dataset, or train without metadata")
    out = {}
    for p in pairs:
        try:
            out[p.name] = encode_aerial_metadata(records[p.name])
        except ValueError as exc:
            raise DatasetError(f"aerial metadata {path}, record {p.name}: {exc}") from None
    return out


# --------------------------------------------------------------------------- torch dataset


class FlairPatchDataset(Dataset):
    """Patches as ``(image uint8 C×H×W, target uint8 H×W logit indices, metadata float 45|0)``.

    ``augment``: horizontal flip, vertical flip and rot90, each with p = 0.5 (FLAIR-1),
    drawn from torch's RNG (seeded per DataLoader worker by torch). Every read is checked
    (bands, size, mask values) so a bad patch beyond the pre-flight sample stops the run
    with its file name rather than a collate error.
    """

    def __init__(self, pairs: Sequence[PatchPair], bands: Bands, scheme_: TrainScheme,
                 tile_size: int, augment: bool = False,
                 metadata: Optional[Mapping[str, Sequence[float]]] = None) -> None:
        self.pairs = list(pairs)
        self.bands = bands
        self.lut = scheme_.lookup()
        self.tile_size = tile_size
        self.augment = augment
        self.metadata = metadata

    def __len__(self) -> int:
        return len(self.pairs)

    def read(self, index: int) -> Tuple[np.ndarray, np.ndarray]:
        """Raw (image C×H×W uint8, mask H×W codes) of a patch, checked (:func:`read_patch`)."""
        patch = read_patch(self.pairs[index], self.bands, self.tile_size)
        return patch.image, patch.mask

    def __getitem__(self, index: int):
        image, mask = self.read(index)
        target = self.lut[mask]
        if self.augment:
            image, target = _augment(image, target)
        meta = torch.zeros(0)
        if self.metadata is not None:
            meta = torch.tensor(self.metadata[self.pairs[index].name], dtype=torch.float32)
        return (torch.from_numpy(np.ascontiguousarray(image)),
                torch.from_numpy(np.ascontiguousarray(target)), meta)


def _augment(image: np.ndarray, target: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    hflip, vflip, rot = (torch.rand(3) < 0.5).tolist()
    if hflip:
        image, target = image[:, :, ::-1], target[:, ::-1]
    if vflip:
        image, target = image[:, ::-1, :], target[::-1, :]
    if rot:
        image, target = np.rot90(image, 1, axes=(1, 2)), np.rot90(target, 1, axes=(0, 1))
    return image, target


# --------------------------------------------------------------------------- thread loader


class ThreadedBatchLoader:
    """Batches read by a pool of *threads*: the loader for inside QGIS.

    Worker processes are out of the question there (multiprocessing re-launches the QGIS
    binary), but rasterio decodes with the GIL released, so a few threads still keep the
    device fed. Batches come out in sampler order; ``prefetch`` batches are read ahead.
    Like a DataLoader, each ``iter()`` is one epoch, with a new shuffle.
    """

    def __init__(self, dataset: Dataset, batch_size: int, shuffle: bool, threads: int = 2,
                 prefetch: int = 4, drop_last: bool = False, seed: int = 0,
                 collate_fn: Optional[Callable[[List[Any]], Any]] = None) -> None:
        from torch.utils.data import BatchSampler, RandomSampler, SequentialSampler

        self.dataset = dataset
        self.collate_fn = collate_fn  # None: torch's default_collate
        self.threads = max(1, int(threads))
        self.prefetch = max(1, int(prefetch))
        generator = torch.Generator().manual_seed(seed)
        sampler = (RandomSampler(dataset, generator=generator) if shuffle
                   else SequentialSampler(dataset))
        self.batch_sampler = BatchSampler(sampler, batch_size, drop_last)

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def _batch(self, indices: List[int]):
        from torch.utils.data import default_collate

        return (self.collate_fn or default_collate)([self.dataset[i] for i in indices])

    def __iter__(self) -> Iterator:
        pool = ThreadPoolExecutor(self.threads, thread_name_prefix="flair-loader")
        pending: "queue.SimpleQueue[Future]" = queue.SimpleQueue()
        batches = iter(self.batch_sampler)
        ahead = 0
        try:
            for indices in batches:
                pending.put(pool.submit(self._batch, indices))
                ahead += 1
                if ahead > self.prefetch:
                    ahead -= 1
                    yield pending.get().result()
            while ahead:
                ahead -= 1
                yield pending.get().result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def loader_kind(in_qgis: bool, num_workers: int) -> str:
    """``threads`` inside QGIS (never processes), else ``processes`` or ``main``."""
    if in_qgis:
        return "threads"
    return "processes" if num_workers > 0 else "main"


def default_workers(devices_per_node: int = 1) -> int:
    """DataLoader worker processes per training process (headless): the cores, shared."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        (os.cpu_count() or 1)
    return max(0, min(8, cores // max(1, devices_per_node) - 1))


__all__ = ["BandSpec", "DatasetError", "FlairPatchDataset", "METADATA_DIM",
           "METADATA_JSON_NAMES", "Patch", "PatchPair", "TRAIN_SCHEMES", "ThreadedBatchLoader",
           "TrainScheme", "TrainingData", "band_spec", "check_pair", "check_patches",
           "default_workers", "discover_pairs", "domain_matches", "find_metadata_json",
           "load_metadata", "loader_kind", "path_domain", "prepare_training_data",
           "read_pairs_csv", "read_patch", "training_scheme"]

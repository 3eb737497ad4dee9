"""Synthetic FLAIR-like datasets and mosaics, written in FLAIR's own file layouts.

Tests, ``make demo`` and the benchmarks need FLAIR data but cannot download the real
thing, so this module writes small stand-ins that readers must handle exactly like FLAIR:

* :func:`write_dataset`: ``IMG_<id>.tif`` / ``MSK_<id>.tif`` patches (EPSG:2154, 0.2 m,
  5 bands uint8 / 1 band codes 1..19), per-zone Sentinel-2 super-area series
  (``SEN2_sp_<D>-<Z>_data.npy``, ``_masks.npy``, ``_products.txt``) and the two JSON files,
  laid out either as in FLAIR's GitHub/challenge release or one folder per domain (as
  the Hugging Face zips may unzip: readers must find files by *name*).
* :func:`write_mosaic`: one large georeferenced image and its annotation, streamed block
  by block so its size is bounded by the disk only (a 20000×20000 benchmark raster).

Everything is deterministic from a seed: each patch, zone and block draws from its own
stream (:func:`make_rng`), so the same seed gives the same bytes. Output is written to a
temporary name first and moved into place at the end: a failure leaves nothing
half-written (a mosaic's two files through the engine's atomic writes,
``engine.io.atomic``; a dataset, a whole folder, in a hidden temporary folder renamed at
the end). rasterio + numpy only (no torch, no qgis).

Command line (used by the demo and the benchmarks)::

    python -m flair_landcover.synthetic.generator dataset OUT_DIR \\
        [--layout github|domain] [--size 512] [--seed 0] [--overwrite] ...
    python -m flair_landcover.synthetic.generator mosaic IMG.tif MSK.tif \\
        --width W --height H [--seed 0] [--overwrite] ...
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.transform import Affine, from_origin
from rasterio.windows import Window

from ..flair_plugin.engine.errors import OutputExistsError
from ..flair_plugin.engine.io.atomic import commit, discard, temp_path_for
from ..flair_plugin.nomenclature import (
    DOMAINS_TEST_FLAIR2,
    DOMAINS_TRAIN,
    DOMAINS_VAL,
    PIXEL_SIZE_M,
)
from .scene import SCENE_KINDS, make_rng, parcel_class_weights, render_scene, sentinel_series

LAYOUTS: Tuple[str, ...] = ("github", "domain")
SPLITS: Tuple[str, ...] = ("train", "val", "test")
DEFAULT_DOMAINS: Dict[str, Tuple[str, ...]] = {
    "train": DOMAINS_TRAIN[:2], "val": DOMAINS_VAL[:1], "test": DOMAINS_TEST_FLAIR2[:1]}
"""Two train, one val and one test domain: every split present, and quick to write."""

CRS_LAMBERT93 = "EPSG:2154"
METADATA_JSON = "flair-2_aerial_metadata.json"
CENTROIDS_JSON = "flair-2_centroids_sp_to_patch.json"
CAMERAS: Tuple[str, ...] = ("UCE-M3-f120-s06", "UCE-M3-f120-s08", "UCE-M3-f100", "CAMERA#030")
DEFAULT_MOSAIC_ORIGIN: Tuple[float, float] = (651000.0, 6862000.0)  # near Paris, L93
S2_PIXEL_M = 10.0
S2_MARGIN_PX = 24
"""Super-area margin around a zone's patches, in 10 m pixels: FLAIR-2 crops 40×40 S2
pixels centred on a patch, so 20 are needed on each side of any centre."""

_UNITS_PER_M = 5  # positions are kept in whole aerial pixels (0.2 m) to stay exact
_UNITS_PER_S2 = int(round(S2_PIXEL_M * _UNITS_PER_M))
_DOMAIN_RE = re.compile(r"^D(\d{3})_(\d{4})$")
_ZONE_SUFFIX = {"urban": "UU", "agricultural": "AA", "natural": "NN"}
_S2_TILES = ("T31TCJ", "T31TDK", "T31UDQ", "T30TXQ", "T31TFJ", "T32ULU", "T30UVU", "T31TEL")
# Stream tags: keep the random streams of different things apart.
_TAG_DOMAIN, _TAG_ZONE, _TAG_PATCH, _TAG_S2, _TAG_BLOCK, _TAG_DISTRICT, _TAG_FLIGHT = \
    range(1, 8)


class SyntheticDataError(ValueError):
    """Bad arguments to the generator; the message says what is wrong and how to fix it."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PatchRecord:
    """One written aerial patch and its annotation."""

    patch_id: str  # the 6 digits, e.g. "000042"
    domain: str
    zone: str
    split: str
    image: Path
    mask: Path
    centroid_xy: Tuple[float, float]  # Lambert-93 metres
    sentinel_rowcol: Optional[Tuple[int, int]]  # patch centre in super-area pixels

    @property
    def name(self) -> str:
        return f"IMG_{self.patch_id}"


@dataclass(frozen=True)
class SentinelRecord:
    """The Sentinel-2 super-area files of one zone."""

    domain: str
    zone: str
    split: str
    data: Path
    masks: Path
    products: Path
    shape: Tuple[int, int, int, int]  # T, 10, H, W
    origin_xy: Tuple[float, float]  # top-left corner, Lambert-93 metres, 10 m pixels


@dataclass(frozen=True)
class SyntheticDataset:
    """What :func:`write_dataset` wrote (paths are final, under ``root``)."""

    root: Path
    layout: str
    domains: Dict[str, Tuple[str, ...]]  # split -> domains
    patches: Tuple[PatchRecord, ...]
    sentinel: Tuple[SentinelRecord, ...]
    metadata_json: Path
    centroids_json: Optional[Path]
    class_counts: Dict[int, int] = field(default_factory=dict)  # code -> pixels, all masks

    @property
    def images(self) -> List[Path]:
        return [p.image for p in self.patches]

    @property
    def masks(self) -> List[Path]:
        return [p.mask for p in self.patches]

    def split_patches(self, split: str) -> List[PatchRecord]:
        return [p for p in self.patches if p.split == split]

    @property
    def counts(self) -> Dict[str, object]:
        return {
            "patches": len(self.patches),
            "domains": sum(len(d) for d in self.domains.values()),
            "zones": len({(p.domain, p.zone) for p in self.patches}),
            "sentinel_zones": len(self.sentinel),
            "patches_by_split": {s: len(self.split_patches(s)) for s in self.domains},
        }


@dataclass(frozen=True)
class MosaicInfo:
    """What :func:`write_mosaic` wrote."""

    image: Path
    mask: Path
    width: int
    height: int
    transform: Affine
    block: int
    class_counts: Dict[int, int]
    seconds: float

    @property
    def bounds(self) -> Tuple[float, float, float, float]:
        """(left, bottom, right, top) in Lambert-93 metres."""
        t = self.transform
        return t.c, t.f + t.e * self.height, t.c + t.a * self.width, t.f


# --------------------------------------------------------------------------- layouts


class _Layout:
    """Where each file of a domain/zone goes, relative to the dataset root."""

    def __init__(self, kind: str):
        self.kind = kind

    def _github_roots(self, split: str) -> Tuple[str, str, str]:
        if split == "test":
            return "flair_2_aerial_test", "flair_2_labels_test", "flair_2_sen_test"
        return "flair_aerial_train", "flair_labels_train", "flair_sen_train"

    def image(self, split: str, domain: str, zone: str, pid: str) -> Path:
        if self.kind == "github":
            return Path(self._github_roots(split)[0], domain, zone, "img", f"IMG_{pid}.tif")
        return Path(domain, "aerial", zone, f"IMG_{pid}.tif")

    def mask(self, split: str, domain: str, zone: str, pid: str) -> Path:
        if self.kind == "github":
            return Path(self._github_roots(split)[1], domain, zone, "msk", f"MSK_{pid}.tif")
        return Path(domain, "labels", zone, f"MSK_{pid}.tif")

    def sentinel(self, split: str, domain: str, zone: str, suffix: str) -> Path:
        name = f"SEN2_sp_{domain}-{zone}_{suffix}"
        if self.kind == "github":
            return Path(self._github_roots(split)[2], domain, zone, "sen", name)
        return Path(domain, "sentinel", zone, name)

    def aux(self, name: str) -> Path:
        return Path(name) if self.kind == "github" else Path("aux-data", name)


# --------------------------------------------------------------------------- validation


def _resolve_domains(domains: Union[None, Sequence[str], Mapping[str, Sequence[str]]]
                     ) -> Dict[str, Tuple[str, ...]]:
    """split -> domains, from None (defaults), a list of names or a mapping."""
    if domains is None:
        return dict(DEFAULT_DOMAINS)
    if isinstance(domains, str):
        domains = [domains]
    if isinstance(domains, Mapping):
        unknown = [s for s in domains if s not in SPLITS]
        if unknown:
            raise SyntheticDataError(f"unknown split(s) {unknown}; the keys of domains= must "
                                     f"be among {', '.join(SPLITS)}")
        out = {s: tuple(domains[s]) for s in SPLITS if s in domains and domains[s]}
    else:
        official = {**{d: "train" for d in DOMAINS_TRAIN}, **{d: "val" for d in DOMAINS_VAL},
                    **{d: "test" for d in DOMAINS_TEST_FLAIR2}}
        out = {}
        for item in domains:
            split, name = _split_of(item, official)
            out[split] = out.get(split, ()) + (name,)
        out = {s: out[s] for s in SPLITS if s in out}
    names = [d for ds in out.values() for d in ds]
    if not names:
        raise SyntheticDataError("no domain to write; give at least one, e.g. D006_2020")
    bad = [d for d in names if not _DOMAIN_RE.match(d)]
    if bad:
        raise SyntheticDataError(f"bad domain name(s) {bad}: FLAIR domains look like "
                                 f"D006_2020 (D + 3-digit department + _ + year)")
    if len(set(names)) != len(names):
        raise SyntheticDataError(f"a domain is listed twice in {out}; list each once")
    return out


def _split_of(item: str, official: Mapping[str, str]) -> Tuple[str, str]:
    """(split, domain) of a list entry: "D006_2020" (official) or "test:D099_2021"."""
    split, _, name = item.rpartition(":")
    if split and split not in SPLITS:
        raise SyntheticDataError(f"{item!r}: unknown split {split!r}; use one of "
                                 f"{', '.join(SPLITS)}")
    if not split and name not in official:
        raise SyntheticDataError(
            f"{name!r} is not in FLAIR's official domain splits, so its split is unknown; "
            f"write it as 'train:{name}' (or pass a mapping, domains={{'train': [{name!r}]}})")
    return split or official[name], name


def _check_int(name: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or not low <= value <= high:
        raise SyntheticDataError(f"{name} must be an integer in {low}..{high}, got {value!r}")
    return int(value)


def _check_output_dir(root: Path, overwrite: bool) -> None:
    if root.exists() and not root.is_dir():
        raise SyntheticDataError(f"{root} exists and is not a folder; choose a folder path")
    if root.is_dir() and any(root.iterdir()) and not overwrite:
        raise OutputExistsError(
            f"{root} is not empty; choose an empty or new folder, or pass overwrite=True "
            f"(--overwrite) to replace the entries this dataset writes")


# --------------------------------------------------------------------------- geometry


@dataclass
class _Zone:
    split: str
    domain: str
    name: str
    kind: str
    origin: Tuple[int, int]  # top-left (x, y) in aerial-pixel units (0.2 m)
    cells: List[Tuple[int, int]]  # (row, col) of each patch on the zone's patch grid


def _domain_site(domain: str) -> Tuple[int, int, float]:
    """A fixed place in France for a department (units) and its terrain altitude (m).

    It depends on the department only, like real domains, not on the seed.
    """
    department = int(domain[1:4])
    rng = make_rng(department)
    x = int(rng.integers(15000, 105000)) * _UNITS_PER_S2
    y = int(rng.integers(625000, 705000)) * _UNITS_PER_S2
    return x, y, float(rng.uniform(20, 900))


def _domain_radiometry(seed: int, domain: str) -> Tuple[np.ndarray, np.ndarray]:
    """Each domain gets its own acquisition look (gain/offset per band), as in FLAIR."""
    rng = make_rng(seed, _TAG_DOMAIN, int(domain[1:4]), int(domain[5:9]))
    return rng.uniform(0.9, 1.1, 4), rng.normal(0, 6, 4)


def _plan_zones(domains: Dict[str, Tuple[str, ...]], zones_per_domain: int,
                patches_per_zone: int, seed: int) -> List[_Zone]:
    zones = []
    grid = max(1, math.ceil(math.sqrt(2 * patches_per_zone)))  # leaves gaps, like FLAIR
    d_index = 0
    for split in SPLITS:
        for domain in domains.get(split, ()):
            x0, y0, _ = _domain_site(domain)
            for k in range(zones_per_domain):
                rng = make_rng(seed, _TAG_ZONE, d_index, k)
                kind = SCENE_KINDS[(d_index + k) % len(SCENE_KINDS)]  # every kind shows up
                dx, dy = (int(v) * _UNITS_PER_S2 for v in rng.integers(-1500, 1500, 2))
                chosen = sorted(rng.choice(grid * grid, patches_per_zone, replace=False))
                zones.append(_Zone(split, domain, f"Z{k + 1}_{_ZONE_SUFFIX[kind]}", kind,
                                   (x0 + dx, y0 + dy), [divmod(int(c), grid) for c in chosen]))
            d_index += 1
    return zones


def _patch_origin(zone: _Zone, cell: Tuple[int, int], size: int) -> Tuple[int, int]:
    row, col = cell
    return zone.origin[0] + col * size, zone.origin[1] - row * size


def _super_area(origins: Sequence[Tuple[int, int]], size: int) -> Tuple[int, int, int, int]:
    """(left, top) in units and (height, width) in S2 pixels of a zone's super-area."""
    u = _UNITS_PER_S2
    left = min(x for x, _ in origins) // u * u - S2_MARGIN_PX * u
    top = -(-max(y for _, y in origins) // u) * u + S2_MARGIN_PX * u
    right = max(x for x, _ in origins) + size
    bottom = min(y for _, y in origins) - size
    width = -(-(right - left) // u) + S2_MARGIN_PX
    height = -(-(top - bottom) // u) + S2_MARGIN_PX
    return left, top, height, width


def _metres(units: float) -> float:
    return units / _UNITS_PER_M  # dividing by 5 rounds correctly, multiplying by 0.2 not


def _transform(left_units: int, top_units: int) -> Affine:
    return from_origin(_metres(left_units), _metres(top_units), PIXEL_SIZE_M, PIXEL_SIZE_M)


# --------------------------------------------------------------------------- writers


def _write_tif(path: Path, array: np.ndarray, transform: Affine, **options) -> None:
    array = array if array.ndim == 3 else array[None]
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=array.shape[2],
                       height=array.shape[1], count=array.shape[0], dtype="uint8",
                       crs=CRS.from_string(CRS_LAMBERT93), transform=transform,
                       **options) as dst:
        dst.write(array)


def _product_name(day: dt.date, rng: np.random.Generator, tile: str) -> str:
    """A Theia L2A product name; FLAIR reads the month at [15:17] and the day at [17:19]."""
    sat = "AB"[int(rng.integers(2))]
    clock = f"{10 + int(rng.integers(2)):02d}{int(rng.integers(60)):02d}" \
            f"{int(rng.integers(60)):02d}-{int(rng.integers(1000)):03d}"
    return f"SENTINEL2{sat}_{day:%Y%m%d}-{clock}_L2A_{tile}_C_V2-2"


def _background_fractions(kind: str, height: int, width: int,
                          rng: np.random.Generator) -> np.ndarray:
    """One-hot class planes [20, H, W] of the super-area outside the aerial patches.

    Parcels of ~5 S2 pixels: Voronoi cells of seeds jittered on a grid, so each pixel only
    compares the 9 seeds around it (memory and time linear in the area).
    """
    weights = parcel_class_weights(kind)
    if kind == "urban":
        weights.update({1: 2.5, 3: 2.0})  # at 10 m, towns are houses and streets
    codes = np.array(list(weights))
    p = np.array(list(weights.values()), float)
    cell = 5
    gh, gw = height // cell + 3, width // cell + 3  # one spare cell on every side
    seed_y = (np.arange(gh)[:, None] - 1 + rng.random((gh, gw))) * cell
    seed_x = (np.arange(gw)[None, :] - 1 + rng.random((gh, gw))) * cell
    seed_cls = rng.choice(codes, (gh, gw), p=p / p.sum())
    yy = np.arange(height)[:, None] + 0.5
    xx = np.arange(width)[None, :] + 0.5
    cy, cx = (yy // cell).astype(int) + 1, (xx // cell).astype(int) + 1
    best = np.full((height, width), np.inf)
    classes = np.zeros((height, width), np.int64)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            ny, nx = cy + dy, cx + dx
            d = (yy - seed_y[ny, nx]) ** 2 + (xx - seed_x[ny, nx]) ** 2
            closer = d < best
            best = np.where(closer, d, best)
            classes = np.where(closer, seed_cls[ny, nx], classes)
    out = np.zeros((20, height, width), np.float32)
    np.put_along_axis(out, classes[None], 1.0, axis=0)
    return out


def _write_sentinel(root: Path, layout: _Layout, zone: _Zone, year: int, seed: int,
                    z_index: int, counts: np.ndarray, area: Tuple[int, int, int, int]
                    ) -> SentinelRecord:
    """The zone's super-area series, informed by the zone's own masks where it has them."""
    left, top, height, width = area
    rng = make_rng(seed, _TAG_S2, z_index)
    per_pixel = float(_UNITS_PER_S2 ** 2)
    covered = counts.sum(axis=0)  # aerial pixels of patches inside each S2 pixel
    fractions = _background_fractions(zone.kind, height, width, rng) * \
        (1 - covered / per_pixel) + counts / per_pixel
    days_in_year = 366 if calendar.isleap(year) else 365
    n_dates = int(rng.integers(12, 21))
    doys = np.sort(rng.choice(np.arange(1, days_in_year + 1), n_dates, replace=False))
    data, masks = sentinel_series(fractions, doys.tolist(), rng)
    tile = _S2_TILES[int(zone.domain[1:4]) % len(_S2_TILES)]
    first = dt.date(year, 1, 1)
    products = [_product_name(first + dt.timedelta(days=int(d) - 1), rng, tile) for d in doys]
    paths = {s: layout.sentinel(zone.split, zone.domain, zone.name, s)
             for s in ("data.npy", "masks.npy", "products.txt")}
    (root / paths["data.npy"]).parent.mkdir(parents=True, exist_ok=True)
    np.save(root / paths["data.npy"], data)
    np.save(root / paths["masks.npy"], masks)
    (root / paths["products.txt"]).write_text("\n".join(products) + "\n")
    return SentinelRecord(zone.domain, zone.name, zone.split, paths["data.npy"],
                          paths["masks.npy"], paths["products.txt"], tuple(data.shape),
                          (_metres(left), _metres(top)))


def _zone_acquisition(rng: np.random.Generator, year: int) -> Tuple[dt.date, int, str]:
    """A zone is flown on one day, in the growing season, with one camera."""
    day = dt.date(year, int(rng.integers(4, 10)), int(rng.integers(1, 29)))
    start = int(rng.integers(8 * 60, 14 * 60))  # minutes after midnight
    camera = CAMERAS[int(rng.choice(len(CAMERAS), p=(0.55, 0.2, 0.15, 0.1)))]
    return day, start, camera


def _write_zone(root: Path, layout: _Layout, zone: _Zone, z_index: int, first_id: int,
                size: int, seed: int, sentinel: bool, metadata: Dict[str, dict],
                centroids: Dict[str, List[int]], class_counts: np.ndarray
                ) -> Tuple[List[PatchRecord], Optional[SentinelRecord]]:
    year = int(zone.domain[5:9])
    _, _, altitude = _domain_site(zone.domain)
    rng = make_rng(seed, _TAG_FLIGHT, z_index)
    day, start, camera = _zone_acquisition(rng, year)
    radiometry = _domain_radiometry(seed, zone.domain)
    origins = [_patch_origin(zone, c, size) for c in zone.cells]
    area = _super_area(origins, size) if sentinel else None
    s2_counts = None if area is None else np.zeros((20, area[2], area[3]), np.float64)
    records = []
    for i, (left, top) in enumerate(origins):
        pid = f"{first_id + i:06d}"
        image, mask = render_scene(size, size, make_rng(seed, _TAG_PATCH, first_id + i),
                                   kind=zone.kind, radiometry=radiometry)
        img_rel = layout.image(zone.split, zone.domain, zone.name, pid)
        msk_rel = layout.mask(zone.split, zone.domain, zone.name, pid)
        _write_tif(root / img_rel, image, _transform(left, top))
        _write_tif(root / msk_rel, mask, _transform(left, top))
        class_counts += np.bincount(mask.ravel(), minlength=20)[:20]
        cx, cy = _metres(left + size / 2), _metres(top - size / 2)
        minute = start + (2 * i) % 180 + int(rng.integers(2))  # one flight, ~2 min apart
        metadata[f"IMG_{pid}"] = {
            "patch_centroid_x": round(cx, 3), "patch_centroid_y": round(cy, 3),
            "patch_centroid_z": round(altitude + float(rng.normal(0, 8)), 2),
            "camera": camera, "date": day.isoformat(),
            "time": f"{minute // 60:02d}h{minute % 60:02d}",
            "domain": zone.domain, "zone": zone.name,
        }
        rowcol = None
        if area is not None:
            rowcol = _accumulate_s2(s2_counts, mask, left, top, area)
            centroids[f"IMG_{pid}.tif"] = list(rowcol)
        records.append(PatchRecord(pid, zone.domain, zone.name, zone.split, img_rel, msk_rel,
                                   (cx, cy), rowcol))
    s2 = None
    if area is not None:
        s2 = _write_sentinel(root, layout, zone, year, seed, z_index, s2_counts, area)
    return records, s2


def _accumulate_s2(counts: np.ndarray, mask: np.ndarray, left: int, top: int,
                   area: Tuple[int, int, int, int]) -> Tuple[int, int]:
    """Add a patch's classes to the S2 pixels it covers; return its centre (row, col)."""
    s_left, s_top, _, _ = area
    size = mask.shape[0]
    u = _UNITS_PER_S2
    rows = (s_top - top + np.arange(size)) // u
    cols = (left - s_left + np.arange(mask.shape[1])) // u
    r0, c0 = int(rows[0]), int(cols[0])
    h, w = int(rows[-1]) - r0 + 1, int(cols[-1]) - c0 + 1  # the patch's own S2 window
    flat = ((rows - r0)[:, None] * w + (cols - c0)[None, :]).ravel() * 20 + mask.ravel()
    local = np.bincount(flat, minlength=h * w * 20).reshape(h, w, 20).transpose(2, 0, 1)
    counts[:, r0:r0 + h, c0:c0 + w] += local
    centre_row = int(math.floor((s_top - top + size / 2) / u))
    centre_col = int(math.floor((left - s_left + mask.shape[1] / 2) / u))
    return centre_row, centre_col


def write_dataset(root: Union[str, Path], layout: str = "github",
                  domains: Union[None, Sequence[str], Mapping[str, Sequence[str]]] = None,
                  zones_per_domain: int = 2, patches_per_zone: int = 4, size: int = 512,
                  seed: int = 0, sentinel: bool = True, overwrite: bool = False
                  ) -> SyntheticDataset:
    """Write a small synthetic dataset in one of FLAIR's layouts (see the module doc).

    Args:
        root: output folder; created if missing, must be empty unless ``overwrite``.
        layout: "github" (``flair_aerial_train/<D>/<Z>/img/...``, test domains under
            ``flair_2_*_test``, JSON files at the root) or "domain" (``<D>/aerial/<Z>/``,
            ``<D>/labels/<Z>/``, ``<D>/sentinel/<Z>/``, JSON files in ``aux-data/``).
        domains: None for :data:`DEFAULT_DOMAINS`; a list of domain names, official ones
            taking their split from FLAIR's lists, others written ``"test:D099_2021"``;
            or a mapping ``{"train": [...], "val": [...], "test": [...]}``.
        zones_per_domain, patches_per_zone: how many; patch ids are unique overall.
        size: patch side in pixels (FLAIR: 512).
        seed: the same seed writes the same bytes.
        sentinel: also write the Sentinel-2 series and the centroid JSON.
        overwrite: allow a non-empty ``root``: the top-level folders and files this
            dataset writes replace those of the same name; nothing else is touched.
    """
    if layout not in LAYOUTS:
        raise SyntheticDataError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    split_domains = _resolve_domains(domains)
    zones_per_domain = _check_int("zones_per_domain", zones_per_domain, 1, 99)
    patches_per_zone = _check_int("patches_per_zone", patches_per_zone, 1, 10000)
    size = _check_int("size", size, 8, 4096)
    seed = _check_int("seed", seed, 0, 2 ** 63 - 1)
    n_domains = sum(len(d) for d in split_domains.values())
    if n_domains * zones_per_domain * patches_per_zone > 999_999:
        raise SyntheticDataError("more than 999,999 patches: FLAIR ids have 6 digits")
    root = Path(root)
    _check_output_dir(root, overwrite)
    root.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{root.name}.partial-", dir=root.parent))
    try:
        result = _write_all(work, _Layout(layout), split_domains, zones_per_domain,
                            patches_per_zone, size, seed, sentinel)
        _move_into_place(work, root)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _rebase(result, root)


def _write_all(work: Path, layout: _Layout, split_domains: Dict[str, Tuple[str, ...]],
               zones_per_domain: int, patches_per_zone: int, size: int, seed: int,
               sentinel: bool) -> SyntheticDataset:
    metadata: Dict[str, dict] = {}
    centroids: Dict[str, List[int]] = {}
    class_counts = np.zeros(20, np.int64)
    patches: List[PatchRecord] = []
    s2_records: List[SentinelRecord] = []
    zones = _plan_zones(split_domains, zones_per_domain, patches_per_zone, seed)
    for z_index, zone in enumerate(zones):
        records, s2 = _write_zone(work, layout, zone, z_index, len(patches) + 1, size, seed,
                                  sentinel, metadata, centroids, class_counts)
        patches += records
        if s2 is not None:
            s2_records.append(s2)
    meta_rel = layout.aux(METADATA_JSON)
    (work / meta_rel).parent.mkdir(parents=True, exist_ok=True)
    (work / meta_rel).write_text(json.dumps(metadata, indent=1))
    cent_rel = None
    if sentinel:
        cent_rel = layout.aux(CENTROIDS_JSON)
        (work / cent_rel).write_text(json.dumps(centroids, indent=1))
    counts = {c: int(n) for c, n in enumerate(class_counts) if n and c}
    return SyntheticDataset(Path("."), layout.kind, split_domains, tuple(patches),
                            tuple(s2_records), meta_rel, cent_rel, counts)


def _move_into_place(work: Path, root: Path) -> None:
    """Move the finished dataset to ``root``: whole if ``root`` is new or empty, else entry
    by entry (each top-level entry replaces the one of the same name)."""
    if root.is_dir() and not any(root.iterdir()):
        root.rmdir()
    if not root.exists():
        os.replace(work, root)
        return
    for entry in sorted(work.iterdir()):
        target = root / entry.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        os.replace(entry, target)


def _rebase(ds: SyntheticDataset, root: Path) -> SyntheticDataset:
    def at(p: Path) -> Path:
        return root / p

    patches = tuple(PatchRecord(p.patch_id, p.domain, p.zone, p.split, at(p.image),
                                at(p.mask), p.centroid_xy, p.sentinel_rowcol)
                    for p in ds.patches)
    s2 = tuple(SentinelRecord(s.domain, s.zone, s.split, at(s.data), at(s.masks),
                              at(s.products), s.shape, s.origin_xy) for s in ds.sentinel)
    return SyntheticDataset(root, ds.layout, ds.domains, patches, s2, at(ds.metadata_json),
                            None if ds.centroids_json is None else at(ds.centroids_json),
                            ds.class_counts)


# --------------------------------------------------------------------------- mosaic


def _blocks(width: int, height: int, block: int) -> Iterator[Tuple[int, int, Window]]:
    for by in range(0, math.ceil(height / block)):
        for bx in range(0, math.ceil(width / block)):
            x0, y0 = bx * block, by * block
            yield by, bx, Window(x0, y0, min(block, width - x0), min(block, height - y0))


def write_mosaic(image_path: Union[str, Path], mask_path: Union[str, Path], width: int,
                 height: int, seed: int = 0,
                 origin: Tuple[float, float] = DEFAULT_MOSAIC_ORIGIN, block: int = 512,
                 overwrite: bool = False, compress: str = "deflate",
                 progress: Optional[Callable[[float], None]] = None) -> MosaicInfo:
    """Write a large synthetic image and its annotation raster, block by block.

    Each ``block``×``block`` block is rendered from its own seed (seed, block row,
    block col), so memory stays at a few blocks whatever the size; landscape types change
    by districts of 4×4 blocks. Scenes are independent per block: parcels stop at block
    edges, which a benchmark does not mind.

    Args:
        image_path: 5-band uint8 GeoTIFF (R, G, B, NIR, nDSM), tiled, compressed,
            BigTIFF when needed.
        mask_path: 1-band uint8 annotation (FLAIR codes 1..19) on the same grid.
        width, height: size in pixels, any size (odd sizes too).
        seed: the same seed writes the same pixels.
        origin: top-left corner (x, y) in Lambert-93 metres; pixels are 0.2 m.
        block: rendering block and GeoTIFF tile size, a multiple of 16.
        overwrite: replace existing files (otherwise refuse).
        compress: GeoTIFF compression ("deflate", "lzw", "zstd", "none").
        progress: called with the fraction done (0..1) after each row of blocks.
    """
    image_path, mask_path = Path(image_path), Path(mask_path)
    width = _check_int("width", width, 1, 2 ** 31 - 1)
    height = _check_int("height", height, 1, 2 ** 31 - 1)
    seed = _check_int("seed", seed, 0, 2 ** 63 - 1)
    block = _check_int("block", block, 16, 8192)
    if block % 16:
        raise SyntheticDataError(f"block must be a multiple of 16 (GeoTIFF tiles), got {block}")
    if len(origin) != 2 or not all(math.isfinite(float(v)) for v in origin):
        raise SyntheticDataError(f"origin must be two finite numbers (x, y), got {origin!r}")
    if compress.lower() not in ("deflate", "lzw", "zstd", "none"):
        raise SyntheticDataError(f"unknown compression {compress!r}; use deflate, lzw, zstd "
                                 f"or none")
    if image_path.resolve() == mask_path.resolve():
        raise SyntheticDataError("image and mask paths are the same file; give two paths")
    for path in (image_path, mask_path):
        if path.exists() and not overwrite:
            raise OutputExistsError(f"{path} exists; choose another path or pass "
                                    f"overwrite=True (--overwrite)")
        if path.is_dir():
            raise SyntheticDataError(f"{path} is a folder; give a file path ending in .tif")
    started = time.perf_counter()
    transform = from_origin(float(origin[0]), float(origin[1]), PIXEL_SIZE_M, PIXEL_SIZE_M)
    options = dict(driver="GTiff", width=width, height=height, dtype="uint8",
                   crs=CRS.from_string(CRS_LAMBERT93), transform=transform, tiled=True,
                   blockxsize=block, blockysize=block, BIGTIFF="IF_SAFER")
    if compress.lower() != "none":
        options["compress"] = compress.lower()
    temps = [temp_path_for(p) for p in (image_path, mask_path)]
    counts = np.zeros(20, np.int64)
    try:
        for p in temps:
            p.parent.mkdir(parents=True, exist_ok=True)
        _stream_blocks(temps, options, width, height, block, seed, counts, progress)
        for tmp, final in zip(temps, (image_path, mask_path)):
            commit(tmp, final, overwrite=overwrite)
    finally:
        for p in temps:
            discard(p)
    return MosaicInfo(image_path, mask_path, width, height, transform, block,
                      {c: int(n) for c, n in enumerate(counts) if n and c},
                      time.perf_counter() - started)


def _stream_blocks(paths: Sequence[Path], options: dict, width: int, height: int,
                   block: int, seed: int, counts: np.ndarray,
                   progress: Optional[Callable[[float], None]]) -> None:
    radiometry_rng = make_rng(seed, _TAG_DOMAIN)
    radiometry = (radiometry_rng.uniform(0.9, 1.1, 4), radiometry_rng.normal(0, 6, 4))
    rows = math.ceil(height / block)
    with rasterio.open(paths[0], "w", count=5, interleave="pixel", **options) as img, \
            rasterio.open(paths[1], "w", count=1, **options) as msk:
        for by, bx, window in _blocks(width, height, block):
            district = make_rng(seed, _TAG_DISTRICT, by // 4, bx // 4)
            kind = SCENE_KINDS[int(district.integers(len(SCENE_KINDS)))]
            image, mask = render_scene(int(window.height), int(window.width),
                                       make_rng(seed, _TAG_BLOCK, by, bx), kind=kind,
                                       radiometry=radiometry)
            img.write(image, window=window)
            msk.write(mask[None], window=window)
            counts += np.bincount(mask.ravel(), minlength=20)[:20]
            if progress is not None and window.col_off + window.width >= width:
                progress((by + 1) / rows)


# --------------------------------------------------------------------------- CLI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m flair_landcover.synthetic.generator",
        description="Write synthetic FLAIR-like data (datasets in FLAIR's layouts, or large "
                    "mosaics) for tests, demos and benchmarks.")
    sub = parser.add_subparsers(dest="command", required=True)
    ds = sub.add_parser("dataset", help="a small dataset in a FLAIR layout")
    ds.add_argument("output", type=Path, help="output folder (new or empty)")
    ds.add_argument("--layout", choices=LAYOUTS, default="github")
    ds.add_argument("--domains", nargs="+", metavar="[SPLIT:]DXXX_YYYY",
                    help="domain names; official ones know their split, others need one, "
                         "e.g. test:D099_2021 (default: 2 train, 1 val, 1 test)")
    ds.add_argument("--zones-per-domain", type=int, default=2)
    ds.add_argument("--patches-per-zone", type=int, default=4)
    ds.add_argument("--size", type=int, default=512, help="patch side in pixels")
    ds.add_argument("--seed", type=int, default=0)
    ds.add_argument("--no-sentinel", action="store_true", help="skip Sentinel-2 files")
    ds.add_argument("--overwrite", action="store_true",
                    help="write into a non-empty folder, replacing same-named entries")
    mo = sub.add_parser("mosaic", help="one large image + annotation, streamed")
    mo.add_argument("image", type=Path)
    mo.add_argument("mask", type=Path)
    mo.add_argument("--width", type=int, required=True)
    mo.add_argument("--height", type=int, required=True)
    mo.add_argument("--seed", type=int, default=0)
    mo.add_argument("--origin", type=float, nargs=2, metavar=("X", "Y"),
                    default=DEFAULT_MOSAIC_ORIGIN, help="top-left corner, Lambert-93 m")
    mo.add_argument("--block", type=int, default=512)
    mo.add_argument("--compress", default="deflate", choices=("deflate", "lzw", "zstd", "none"))
    mo.add_argument("--overwrite", action="store_true", help="replace existing files")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry point; returns the exit status (2 for bad arguments)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "dataset":
            ds = write_dataset(args.output, layout=args.layout, domains=args.domains,
                               zones_per_domain=args.zones_per_domain,
                               patches_per_zone=args.patches_per_zone, size=args.size,
                               seed=args.seed, sentinel=not args.no_sentinel,
                               overwrite=args.overwrite)
            print(f"wrote {ds.counts['patches']} patches of {args.size} px in "
                  f"{ds.counts['zones']} zones, {ds.layout} layout, to {ds.root}")
            for split, names in ds.domains.items():
                print(f"  {split}: {', '.join(names)}")
        else:
            info = write_mosaic(args.image, args.mask, args.width, args.height,
                                seed=args.seed, origin=tuple(args.origin), block=args.block,
                                overwrite=args.overwrite, compress=args.compress)
            print(f"wrote {info.width}×{info.height} mosaic to {info.image} and "
                  f"{info.mask} in {info.seconds:.1f} s")
    except (SyntheticDataError, OutputExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

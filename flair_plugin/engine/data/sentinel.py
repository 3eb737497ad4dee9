"""Sentinel-2 series for U-T&T, prepared the way FLAIR-2 prepares them (numpy only).

FLAIR-2 ships, per zone, a *super-area* time series around the zone's aerial patches:
``SEN2_sp_<D>-<Z>_data.npy`` (T×10×H×W reflectance), ``_masks.npy`` (T×2×H×W snow and
cloud probabilities 0..100) and ``_products.txt`` (one product name per date, e.g.
``SENTINEL2B_20200105-110322-398_L2A_T30UVU_C_V2-2``), plus
``flair-2_centroids_sp_to_patch.json`` giving each patch's centre as [row, col] in its
super-area. For one patch the series goes through (IGNF/FLAIR-2 ``src/dataset.py`` and
``utils_dataset.py``, read to learn the rules; our code):

1. :func:`crop_centred`: ``sat_patch_size`` (40) pixels around the centroid: rows
   ``row - 20 .. row + 19``, columns likewise.
2. :func:`dates_to_keep`: drop a date when ``(#pixels snow >= 60) + (#pixels cloud >= 60)``
   reaches 50 % of the crop's pixel count. FLAIR-2 *adds* the two counts (a pixel both
   snowy and cloudy counts twice); we keep that rule exactly.
3. :func:`monthly_means`: one mean image per month present; its date is the 15th.
4. :func:`date_positions`: each date becomes ``(2021-05-15 - date).days`` with the date's
   year replaced by 2021 (so January is positive, December negative).
5. :func:`pad_series` / :func:`collate`: a batch's series are zero-padded (value 0) to its
   longest; the pad mask says which dates are padding.

Where FLAIR-2's code has no rule, ours (documented at each function): crops reaching past
the super-area's edge are read clipped and padded by repeating the edge pixels (FLAIR-2's
plain slicing would silently return a smaller or empty array); a crop whose every date is filtered
out keeps its least covered date (FLAIR-2 would crash); 29 February becomes 28 February
when the year is forced to 2021 (FLAIR-2 would crash).

FLAIR-2 feeds the monthly means as raw reflectance (float); the model's normalisation,
if any, comes from its checkpoint (``TemporalMeta.means/stds``, :func:`normalise`).

:func:`window_around` / :func:`series_around` do the same for *any* area: from a
georeferenced T×10×H×W stack (e.g. read from GeoTIFFs with rasterio), the window around an
aerial tile's centre given in the stack's CRS.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ..checkpoints.meta import (
    FLAIR2_CLOUD_PROBABILITY,
    FLAIR2_COVER_FRACTION,
    FLAIR2_REFERENCE_DATE,
    FLAIR2_SAT_PATCH_SIZE,
    SeriesSettings,
)
from ..errors import SentinelError

PathLike = Union[str, Path]
DateLike = Union[dt.date, str]
RowCol = Tuple[int, int]

PAD_VALUE = 0.0
"""Value of padded dates (FLAIR-2 and U-TAE: 0)."""
SNOW, CLOUD = 0, 1  # channels of the _masks.npy files
MONTHLY_DAY = 15  # a monthly mean is dated on the 15th

_SUPER_AREA = re.compile(r"^SEN2_sp_(?P<domain>D\d{3}_\d{4})-(?P<zone>Z\d+_[A-Za-z0-9]+)_"
                         r"(?P<part>data\.npy|masks\.npy|products\.txt)$")
_PART_SUFFIXES = ("data.npy", "masks.npy", "products.txt")
_EIGHT_DIGITS = re.compile(r"(?:^|[_-])(\d{8})(?=$|[T_-])")
_PATCH_NAME = re.compile(r"(IMG_\d+)")


# ---------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class SeriesPreparation(SeriesSettings):
    """How a crop's series is prepared; FLAIR-2's best baseline by default.

    Build it from a U-T&T checkpoint with :meth:`from_meta` so a model always gets its
    series prepared as in its training.
    """

    def __post_init__(self) -> None:
        if self.sat_patch_size < 2 or self.sat_patch_size % 2:
            raise SentinelError(f"sat_patch_size must be an even number of pixels >= 2 (FLAIR-2 "
                                f"uses {FLAIR2_SAT_PATCH_SIZE}), got {self.sat_patch_size}")
        if not 0 <= self.cloud_probability <= 100 or not 0 < self.cover_fraction <= 1:
            raise SentinelError(f"cloud_probability must be 0..100 and cover_fraction in "
                                f"(0, 1], got {self.cloud_probability} and "
                                f"{self.cover_fraction}")
        _reference(self.reference_date)

    @classmethod
    def from_meta(cls, temporal: Any) -> "SeriesPreparation":
        """The preparation a U-T&T checkpoint's ``TemporalMeta`` records."""
        return cls(**{name: getattr(temporal, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class SentinelSeries:
    """A prepared series: T×C×S×S float32 data, its dates and their day positions."""

    data: np.ndarray
    dates: Tuple[dt.date, ...]
    positions: np.ndarray  # int64, T

    def __len__(self) -> int:
        return len(self.dates)


# ---------------------------------------------------------------------------- files


@dataclass(frozen=True)
class SuperArea:
    """The three files of one zone's Sentinel-2 super-area."""

    domain: str
    zone: str
    data: Path
    masks: Path
    products: Path

    @classmethod
    def from_file(cls, path: PathLike) -> "SuperArea":
        """The super-area one of its files (``..._data.npy``, ``_masks.npy``,
        ``_products.txt``) belongs to; the other two must sit beside it."""
        path = Path(path)
        match = _SUPER_AREA.match(path.name)
        if match is None:
            raise SentinelError(f"{path.name} is not a FLAIR Sentinel-2 super-area file "
                                f"(SEN2_sp_<Dxxx_YYYY>-<Zn_XX>_data.npy, _masks.npy or "
                                f"_products.txt)")
        stem = path.name[:match.start("part")]
        paths = {part: path.with_name(stem + part) for part in _PART_SUFFIXES}
        missing = [p.name for p in paths.values() if not p.is_file()]
        if missing:
            raise SentinelError(f"the super-area {stem[:-1]} in {path.parent} lacks "
                                f"{', '.join(missing)}; the three files must sit together")
        return cls(match["domain"], match["zone"], paths["data.npy"], paths["masks.npy"],
                   paths["products.txt"])


def find_super_areas(root: PathLike) -> Dict[Tuple[str, str], SuperArea]:
    """Every super-area under ``root``, keyed (domain, zone), found by file name."""
    found: Dict[Tuple[str, str], SuperArea] = {}
    for path in sorted(Path(root).rglob("SEN2_sp_*_data.npy")):
        area = SuperArea.from_file(path)
        key = (area.domain, area.zone)
        if key in found:
            raise SentinelError(f"two super-areas for {key[0]}/{key[1]}: {found[key].data} "
                                f"and {area.data}; keep one")
        found[key] = area
    return found


def parse_product_date(name: str) -> dt.date:
    """Acquisition date of a Sentinel-2 product name.

    FLAIR-2's (Theia) names hold YYYYMMDD at characters 11..19
    (``SENTINEL2B_20200105-...``: FLAIR-2 reads month [15:17] and day [17:19]); any other
    name is searched for its first 8-digit date (ESA's ``S2A_MSIL2A_20210415T105031_...``).
    """
    candidates = [name[11:19]] + _EIGHT_DIGITS.findall(name)
    for text in candidates:
        if len(text) == 8 and text.isdigit():
            try:
                return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
            except ValueError:
                continue
    raise SentinelError(f"no acquisition date (YYYYMMDD) found in the product name "
                        f"{name!r}; FLAIR names look like "
                        f"SENTINEL2B_20200105-110322-398_L2A_T30UVU_C_V2-2")


def read_product_dates(path: PathLike) -> List[dt.date]:
    """The dates of a ``_products.txt`` file, one per non-empty line, in file order."""
    lines = [line.strip() for line in Path(path).read_text().splitlines()]
    return [parse_product_date(line) for line in lines if line]


def parse_date(value: DateLike) -> dt.date:
    """A date from a ``date``/``datetime``, ``"YYYY-MM-DD"`` or ``"YYYYMMDD"``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SentinelError(f"{value!r} is not a date (YYYY-MM-DD or YYYYMMDD)") from None


def read_dates_file(path: PathLike) -> List[dt.date]:
    """Dates of a text file, one per non-empty line (YYYYMMDD as FLAIR-HUB, or YYYY-MM-DD)."""
    return [parse_date(line) for line in Path(path).read_text().split() if line]


def read_centroids(path: PathLike) -> Dict[str, RowCol]:
    """``flair-2_centroids_sp_to_patch.json``: ``"IMG_xxxxxx.tif": [row, col]``."""
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SentinelError(f"cannot read the centroid file {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise SentinelError(f"{path} must hold a JSON object {{\"IMG_x.tif\": [row, col]}}")
    out = {}
    for key, value in raw.items():
        if not (isinstance(value, (list, tuple)) and len(value) == 2):
            raise SentinelError(f"{path}: the centroid of {key} must be [row, col], got "
                                f"{value!r}")
        out[key] = (int(value[0]), int(value[1]))
    return out


def centroid_for(centroids: Mapping[str, RowCol], image: Union[str, Path]) -> RowCol:
    """The super-area [row, col] of a patch named ``IMG_x``, ``IMG_x.tif`` or by its path."""
    found = _PATCH_NAME.search(Path(str(image)).name)
    if found is None:
        raise SentinelError(f"{image} is not a FLAIR patch name (IMG_<digits>.tif)")
    key = found.group(1) + ".tif"
    if key not in centroids:
        raise SentinelError(f"{key} has no entry in the centroid file; is it a FLAIR-2 patch, "
                            f"and is the file flair-2_centroids_sp_to_patch.json?")
    return centroids[key]


# ---------------------------------------------------------------------------- crops


def crop_window(centre: RowCol, size: int) -> Tuple[int, int]:
    """Top-left (row, col) of FLAIR-2's ``size`` crop: the centre pixel sits at size // 2."""
    return int(centre[0]) - size // 2, int(centre[1]) - size // 2


def crop_centred(array: np.ndarray, centre: RowCol, size: int) -> np.ndarray:
    """The ``size``×``size`` crop of a …×H×W array around ``centre`` (row, col).

    Only the part inside the array is read (so a memory-mapped super-area stays on
    disk); rows/columns past an edge repeat the edge pixels, since zeros would look like
    black ground to the model and like padding dates to U-TAE. The centre pixel itself
    must lie inside the array.
    """
    height, width = array.shape[-2:]
    row, col = int(centre[0]), int(centre[1])
    if not (0 <= row < height and 0 <= col < width):
        raise SentinelError(f"the crop centre (row {row}, col {col}) is outside the "
                            f"{height}×{width} Sentinel-2 area: the series does not cover "
                            f"this patch")
    top, left = crop_window((row, col), size)
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + size, height), min(left + size, width)
    inside = np.asarray(array[..., r0:r1, c0:c1])
    pads = ((r0 - top, top + size - r1), (c0 - left, left + size - c1))
    if pads == ((0, 0), (0, 0)):
        return inside
    return np.pad(inside, [(0, 0)] * (array.ndim - 2) + list(pads), mode="edge")


# ---------------------------------------------------------------------------- filters


def cloud_snow_cover(masks: np.ndarray,
                     probability: int = FLAIR2_CLOUD_PROBABILITY) -> np.ndarray:
    """FLAIR-2's cover of each date: (#snow >= p) + (#cloud >= p) over the pixel count.

    ``masks`` is T×2×H×W (snow, cloud). A pixel above the threshold in both channels
    counts twice, exactly as FLAIR-2 counts it, so the cover can exceed 1.
    """
    masks = np.asarray(masks)
    if masks.ndim != 4 or masks.shape[1] != 2:
        raise SentinelError(f"masks must be T×2×H×W (snow, cloud), got {masks.shape}")
    counts = (masks >= probability).sum(axis=(1, 2, 3))
    return counts / float(masks.shape[2] * masks.shape[3])


def dates_to_keep(masks: np.ndarray, probability: int = FLAIR2_CLOUD_PROBABILITY,
                  fraction: float = FLAIR2_COVER_FRACTION) -> np.ndarray:
    """Indices of the dates whose cover (:func:`cloud_snow_cover`) is below ``fraction``.

    When every date is covered, the least covered one (the first of equals) is kept:
    a model needs at least one date, and that one is the least bad.
    """
    cover = cloud_snow_cover(masks, probability)
    keep = np.flatnonzero(cover < fraction)
    if keep.size == 0 and cover.size:
        keep = np.array([int(np.argmin(cover))])
    return keep


def _reference(reference_date: str) -> dt.date:
    try:
        return dt.date.fromisoformat(reference_date)
    except (TypeError, ValueError):
        raise SentinelError(f"reference_date must be YYYY-MM-DD, got {reference_date!r}") \
            from None


def _in_year(day: dt.date, year: int) -> dt.date:
    if day.month == 2 and day.day == 29 and not _is_leap(year):
        return dt.date(year, 2, 28)
    return day.replace(year=year)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def date_positions(dates: Iterable[DateLike],
                   reference_date: str = FLAIR2_REFERENCE_DATE) -> np.ndarray:
    """Days from each date to the reference, the date's year replaced by the reference's.

    FLAIR-2: ``(2021-05-15 - date.replace(year=2021)).days``, so every year of the dataset
    shares one calendar; 29 February becomes 28 February in a non-leap reference year.
    """
    ref = _reference(reference_date)
    return np.array([(ref - _in_year(parse_date(d), ref.year)).days for d in dates],
                    dtype=np.int64)


def monthly_means(data: np.ndarray, dates: Sequence[DateLike]
                  ) -> Tuple[np.ndarray, Tuple[dt.date, ...]]:
    """One mean image per (year, month) present, in time order, dated on the 15th.

    The mean is taken in float64 and returned as float32. FLAIR-2 groups by month of
    its single-year series; grouping by (year, month) is the same there and keeps two
    Mays of a longer series apart.
    """
    days = [parse_date(d) for d in dates]
    if len(days) != len(data):
        raise SentinelError(f"{len(data)} images but {len(days)} dates")
    months = sorted({(d.year, d.month) for d in days})
    images, month_dates = [], []
    for year, month in months:
        members = [i for i, d in enumerate(days) if (d.year, d.month) == (year, month)]
        images.append(np.asarray(data[members], dtype=np.float64).mean(axis=0))
        month_dates.append(dt.date(year, month, MONTHLY_DAY))
    if not images:
        return np.zeros((0, *np.shape(data)[1:]), np.float32), ()
    return np.stack(images).astype(np.float32), tuple(month_dates)


# ---------------------------------------------------------------------------- one patch


def prepare_series(data: np.ndarray, dates: Sequence[DateLike],
                   masks: Optional[np.ndarray] = None,
                   preparation: SeriesPreparation = SeriesPreparation()) -> SentinelSeries:
    """Filter (if asked, and masks given), average by month (if asked), date a crop's series.

    ``data`` is T×C×S×S (already cropped), ``masks`` T×2×S×S on the same grid.
    ``filter_clouds`` without masks is an error: a silent skip would feed a model
    trained on clear dates with cloudy ones.
    """
    data = np.asarray(data)
    days = [parse_date(d) for d in dates]
    if data.ndim != 4 or len(days) != data.shape[0] or not days:
        raise SentinelError(f"the series must be T×C×H×W with one date per image and T >= 1; "
                            f"got data {data.shape} and {len(days)} dates")
    if preparation.filter_clouds:
        if masks is None:
            raise SentinelError("this model's series are filtered for clouds and snow: give "
                                "the T×2×H×W snow/cloud masks, or a preparation with "
                                "filter_clouds=False")
        masks = np.asarray(masks)
        if masks.shape[0] != data.shape[0] or masks.shape[-2:] != data.shape[-2:]:
            raise SentinelError(f"masks {masks.shape} do not match the data {data.shape}: "
                                f"one T×2×H×W mask per image, on the same grid")
        keep = dates_to_keep(masks, preparation.cloud_probability, preparation.cover_fraction)
        data, days = data[keep], [days[i] for i in keep]
    if preparation.monthly_mean:
        data, kept_days = monthly_means(data, days)
    else:
        data, kept_days = data.astype(np.float32), tuple(days)
    return SentinelSeries(data, tuple(kept_days),
                          date_positions(kept_days, preparation.reference_date))


def read_patch_series(area: SuperArea, centre: RowCol,
                      preparation: SeriesPreparation = SeriesPreparation()) -> SentinelSeries:
    """A patch's prepared series from its zone's super-area files (memory-mapped reads)."""
    data = np.load(area.data, mmap_mode="r")
    masks = np.load(area.masks, mmap_mode="r")
    dates = read_product_dates(area.products)
    if data.ndim != 4 or masks.ndim != 4 or masks.shape[1] != 2 or \
            data.shape[0] != masks.shape[0] or data.shape[-2:] != masks.shape[-2:]:
        raise SentinelError(f"{area.data.name} {data.shape} and {area.masks.name} "
                            f"{masks.shape} must be T×C×H×W and T×2×H×W on the same grid")
    if len(dates) != data.shape[0]:
        raise SentinelError(f"{area.products.name} lists {len(dates)} products but "
                            f"{area.data.name} holds {data.shape[0]} dates")
    size = preparation.sat_patch_size
    return prepare_series(crop_centred(data, centre, size), dates,
                          crop_centred(masks, centre, size), preparation)


def normalise(data: np.ndarray, means: Sequence[float], stds: Sequence[float]) -> np.ndarray:
    """``(x - mean) / std`` per band (axis -3) as float32, for a model's ``TemporalMeta``."""
    data = np.asarray(data, dtype=np.float32)
    if len(means) != data.shape[-3] or len(stds) != data.shape[-3]:
        raise SentinelError(f"{data.shape[-3]} bands but {len(means)} means and {len(stds)} "
                            f"stds")
    shape = (-1, 1, 1)
    means_arr = np.asarray(means, np.float32).reshape(shape)
    return (data - means_arr) / np.asarray(stds, np.float32).reshape(shape)


# ---------------------------------------------------------------------------- batches


def pad_series(series: Sequence[np.ndarray], positions: Sequence[np.ndarray],
               pad_value: float = PAD_VALUE) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack series of different lengths: B×Tmax×C×H×W, B×Tmax positions, B×Tmax pad mask.

    Shorter series are padded at the end with ``pad_value`` images and position 0, as
    FLAIR-2 does; the mask is True on padded dates (give it to the model, so a real
    all-zero image is never mistaken for padding).
    """
    if not series or len(series) != len(positions):
        raise SentinelError(f"need one position vector per series, got {len(series)} series "
                            f"and {len(positions)} position vectors")
    arrays = [np.asarray(s) for s in series]
    shapes = {a.shape[1:] for a in arrays}
    if len(shapes) != 1 or any(a.ndim != 4 or a.shape[0] == 0 for a in arrays):
        raise SentinelError(f"series must be T×C×H×W with T >= 1 and the same C×H×W; got "
                            f"{[a.shape for a in arrays]}")
    longest = max(a.shape[0] for a in arrays)
    dtype = np.result_type(*arrays, np.float32)
    batch = np.full((len(arrays), longest, *arrays[0].shape[1:]), pad_value, dtype=dtype)
    batch_positions = np.zeros((len(arrays), longest), dtype=np.int64)
    pad_mask = np.ones((len(arrays), longest), dtype=bool)
    for i, (array, pos) in enumerate(zip(arrays, positions)):
        pos = np.asarray(pos)
        if pos.shape != (array.shape[0],):
            raise SentinelError(f"series {i} has {array.shape[0]} dates but positions of "
                                f"shape {pos.shape}")
        t = array.shape[0]
        batch[i, :t], batch_positions[i, :t], pad_mask[i, :t] = array, pos, False
    return batch, batch_positions, pad_mask


def collate(samples: Sequence[Mapping[str, Any]], series_key: str = "sentinel",
            positions_key: str = "dates", pad_mask_key: str = "pad_mask",
            pad_value: float = PAD_VALUE, as_torch: bool = False) -> Dict[str, Any]:
    """Batch dataset samples whose Sentinel-2 series differ in length.

    ``samples[i][series_key]`` (T_i×C×H×W) and ``samples[i][positions_key]`` (T_i) are
    padded by :func:`pad_series` (the mask goes under ``pad_mask_key``); every other
    array or number is stacked, anything else (names, paths) listed. ``as_torch=True``
    returns tensors (for a DataLoader's ``collate_fn``; torch is imported only then).
    """
    if not samples:
        raise SentinelError("cannot collate an empty list of samples")
    series = [np.asarray(s[series_key]) for s in samples]
    positions = [np.asarray(s[positions_key]) for s in samples]
    out: Dict[str, Any] = {}
    for key in samples[0]:
        if key in (series_key, positions_key):
            continue
        values = [s[key] for s in samples]
        out[key] = np.stack([np.asarray(v) for v in values]) if _stackable(values) else values
    out[series_key], out[positions_key], out[pad_mask_key] = pad_series(series, positions,
                                                                          pad_value)
    return _to_torch(out) if as_torch else out


def _stackable(values: List[Any]) -> bool:
    """Numbers, arrays, tensors and numeric lists stack; strings and paths do not."""
    if any(isinstance(v, (str, bytes, Path)) for v in values):
        return False
    try:
        arrays = [np.asarray(v) for v in values]
    except (TypeError, ValueError):
        return False
    return all(a.dtype.kind in "biuf" for a in arrays) and len({a.shape for a in arrays}) == 1


def _to_torch(batch: Dict[str, Any]) -> Dict[str, Any]:
    import torch

    return {k: torch.from_numpy(np.ascontiguousarray(v)) if isinstance(v, np.ndarray) else v
            for k, v in batch.items()}


# ---------------------------------------------------------------------------- any area


def pixel_of(transform: Any, x: float, y: float) -> RowCol:
    """(row, col) of the pixel containing map point (x, y) of a north-up raster.

    ``transform`` is an ``affine.Affine`` (rasterio's ``dataset.transform``) or its first
    six coefficients (a, b, c, d, e, f): x = a·col + b·row + c, y = d·col + e·row + f.
    (GDAL's GetGeoTransform order is different: convert with ``Affine.from_gdal``.)
    """
    a, b, c, d, e, f = (float(v) for v in tuple(transform)[:6])
    if b != 0 or d != 0:
        raise SentinelError("the Sentinel-2 stack is rotated or sheared; warp it to a "
                            "north-up grid first (e.g. gdalwarp)")
    if a == 0 or e == 0 or not all(math.isfinite(v) for v in (a, c, e, f, x, y)):
        raise SentinelError(f"invalid transform {tuple(transform)[:6]} or point ({x}, {y})")
    return math.floor((y - f) / e), math.floor((x - c) / a)


def window_around(stack: np.ndarray, transform: Any, x: float, y: float,
                  size: int = FLAIR2_SAT_PATCH_SIZE) -> np.ndarray:
    """The ``size``×``size`` window of a …×H×W stack around map point (x, y).

    The pixel containing the point plays the FLAIR-2 centroid (its super-area pixel);
    the window is the same as :func:`crop_centred`'s (edges repeated past the stack).
    The point must be in the stack's CRS and inside it.
    """
    return crop_centred(stack, pixel_of(transform, x, y), size)


def series_around(stack: np.ndarray, transform: Any, dates: Sequence[DateLike], x: float,
                  y: float, masks: Optional[np.ndarray] = None,
                  preparation: SeriesPreparation = SeriesPreparation()) -> SentinelSeries:
    """The prepared series of an aerial tile centred on (x, y), from any georeferenced stack.

    ``stack`` is T×C×H×W (bands in the model's order), ``masks`` T×2×H×W snow/cloud
    probabilities on the same grid (needed when ``preparation.filter_clouds``),
    ``dates`` one per image. The tile's centre must be in the stack's CRS, and the stack
    at 10 m like FLAIR-2's (a different resolution changes what the window covers).
    """
    if np.ndim(stack) != 4 or len(dates) != np.shape(stack)[0]:
        raise SentinelError(f"the stack must be T×C×H×W with one date per image; got "
                            f"{np.shape(stack)} and {len(dates)} dates")
    size = preparation.sat_patch_size
    window = window_around(stack, transform, x, y, size)
    mask_window = None if masks is None else window_around(masks, transform, x, y, size)
    return prepare_series(window, dates, mask_window, preparation)

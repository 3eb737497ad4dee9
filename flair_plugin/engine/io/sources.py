"""Reading the imagery: band sources, input checks, windowed reads onto one grid.

* A :class:`BandSource` says which band of which raster feeds one model band, so a model
  can read R, G, B from one file, NIR from another and elevation from a third. The first
  source's grid is the *working grid*; a raster on another grid (other resolution, origin
  or CRS) is read through a GDAL warped VRT onto it (bilinear), with an alpha band so
  that what it does not cover counts as no data. ``resample_to_model`` warps every source
  onto a grid at the model's resolution the same way.
* :func:`plan_sources` checks every input before any tile is read and raises
  :class:`~..errors.InputError` with a message that says what is wrong and how to fix it.
* :class:`StackReader` reads a window of every source into one uint8 array plus a
  validity mask. Each reader thread opens its own handles (GDAL handles are not
  thread-safe).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import rasterio
from rasterio.enums import ColorInterp, MaskFlags, Resampling
from rasterio.windows import Window

from ..errors import InputError, io_error_detail
from ..geo import Grid, PixelWindow, model_grid, overlaps, same_grid
from ..options import NODATA_RULES

log = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]
Warn = Callable[[str], None]

PIXEL_SIZE_TOLERANCE = 1.25
"""Pixel sizes within this factor of the model's pass silently (0.16..0.25 m for 0.2 m)."""


@dataclass(frozen=True)
class BandSource:
    """One model band: band ``band`` (1-based, as GDAL counts) of raster ``path``."""

    path: str
    band: int

    def label(self) -> str:
        return f"{Path(self.path).name} band {self.band}"


@dataclass(frozen=True)
class InputScale:
    """Linear stretch of ``lo..hi`` onto 0..255 (clipped, rounded), for non-8-bit inputs."""

    lo: float
    hi: float

    def apply(self, data: np.ndarray) -> np.ndarray:
        gain = np.float32(255.0 / (self.hi - self.lo))
        out = (data.astype(np.float32) - np.float32(self.lo)) * gain
        np.clip(out, 0.0, 255.0, out=out)
        return np.rint(out).astype(np.uint8)


_ARROW = re.compile(r"^\s*([\d.]+)\s*-\s*([\d.]+)\s*->\s*0\s*-\s*255\s*$")


def parse_input_scale(value: Union[None, str, Sequence[float], InputScale]
                      ) -> Optional[InputScale]:
    """``None``, ``"min,max"``, ``"0-65535->0-255"`` or ``(min, max)`` -> an :class:`InputScale`.

    Explicit rather than guessed: a 16-bit orthophoto may use 0..4095 or 0..65535, and a
    wrong guess silently gives garbage predictions.
    """
    if value is None or isinstance(value, InputScale):
        return value
    parts: Sequence = ()
    if isinstance(value, str):
        arrow = _ARROW.match(value)
        parts = arrow.groups() if arrow else value.split(",")
    elif isinstance(value, (tuple, list)):
        parts = value
    try:
        lo, hi = (float(p) for p in parts)
        ok = math.isfinite(lo) and math.isfinite(hi) and hi > lo
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InputError(f"input scale {value!r} is not understood: give 'min,max' (the raw "
                         f"values mapped to 0 and 255, min < max), e.g. '0,65535' for "
                         f"16-bit data or '0,1' for reflectance in 0..1")
    return InputScale(lo, hi)


# --------------------------------------------------------------------------- inspection

@dataclass(frozen=True)
class RasterDescription:
    """What the checks need to know about one input raster (read once, up front)."""

    path: str
    grid: Grid
    count: int
    dtypes: Tuple[str, ...]
    nodata: Optional[float]
    mask_flags: Tuple[Tuple[MaskFlags, ...], ...]
    alpha_bands: Tuple[int, ...] = ()  # 1-based bands GDAL calls alpha

    @property
    def name(self) -> str:
        return Path(self.path).name

    def band_has_mask(self, band: int) -> bool:
        return list(self.mask_flags[band - 1]) != [MaskFlags.all_valid]

    def masks_for(self, bands: Sequence[int]) -> bool:
        """Whether the dataset's masks mean "no data" for ``bands``.

        GDAL flags the 4th band of a 4-band 8-bit GeoTIFF as alpha by default, so a plain
        R,G,B,NIR file looks like RGBA: when the model *reads* a band GDAL calls alpha, it
        is data, and the alpha-derived mask would drop every pixel where NIR is 0.
        """
        if set(bands) & set(self.alpha_bands):
            return False
        return self.alpha_for(bands) is not None or any(self.band_has_mask(b) for b in bands)

    def alpha_for(self, bands: Sequence[int]) -> Optional[int]:
        """The alpha band that says where ``bands`` have data, when the model reads none.

        GDAL derives masks from an alpha band only in 2- and 4-band rasters; a 6-band
        R,G,B,NIR,elevation + alpha raster would have its alpha ignored, so it is read
        explicitly."""
        unread = [b for b in self.alpha_bands if b not in bands]
        return unread[0] if unread and not set(bands) & set(self.alpha_bands) else None


def describe_raster(path: PathLike) -> RasterDescription:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise InputError(f"input raster {path} does not exist")
    try:
        with rasterio.open(path) as ds:
            return RasterDescription(
                path=path, grid=Grid(ds.crs, ds.transform, ds.width, ds.height),
                count=ds.count, dtypes=tuple(ds.dtypes), nodata=ds.nodata,
                mask_flags=tuple(tuple(f) for f in ds.mask_flag_enums),
                alpha_bands=tuple(i + 1 for i, c in enumerate(ds.colorinterp)
                                  if c == ColorInterp.alpha))
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"cannot read {path} as a raster: {exc}") from None


def _model_bands_text(band_names: Sequence[str]) -> str:
    return f"{', '.join(band_names)} ({len(band_names)} band{'s' if len(band_names) != 1 else ''})"


BandRef = Union[int, str, Tuple[int, int]]


def _parse_band_ref(ref: BandRef) -> Tuple[int, int]:
    """A band reference -> (input number, band), both 1-based. ``3`` = band 3 of input 1."""
    if isinstance(ref, (tuple, list)) and len(ref) == 2:
        return int(ref[0]), int(ref[1])
    if isinstance(ref, (int, np.integer)) and not isinstance(ref, bool):
        return 1, int(ref)
    if isinstance(ref, str):
        match = re.fullmatch(r"\s*(?:(\d+)\s*:\s*)?(\d+)\s*", ref)
        if match:
            return int(match[1] or 1), int(match[2])
    raise InputError(f"band {ref!r} is not understood: give a band number (1 = first band) "
                     f"or 'input:band' (e.g. '2:1' = band 1 of the second input)")


def resolve_band_sources(inputs: Union[PathLike, Sequence[PathLike], Sequence[BandSource]],
                         bands: Optional[Sequence[BandRef]],
                         band_names: Sequence[str],
                         warn: Warn) -> Tuple[List[BandSource], Dict[str, RasterDescription]]:
    """Which band of which raster feeds each model band, checked against the rasters.

    ``inputs`` is a raster, a list of rasters, or one :class:`BandSource` (or ``(path,
    band)``) per model band. Without ``bands``: a single raster gives its first N bands;
    several rasters give all their bands in order when that makes exactly N.
    """
    n = len(band_names)
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    inputs = list(inputs)
    if not inputs:
        raise InputError("no input raster given")
    explicit = [isinstance(i, (BandSource, tuple, list)) for i in inputs]
    if any(explicit) and not all(explicit):
        raise InputError("give either raster paths or (path, band) sources, not a mix")
    explicit = all(explicit)
    if explicit:
        if bands is not None:
            raise InputError("give either band sources (path, band) or bands, not both")
        sources = [i if isinstance(i, BandSource) else BandSource(os.fspath(i[0]), int(i[1]))
                   for i in inputs]
        paths = list(dict.fromkeys(s.path for s in sources))
    else:
        paths = [os.fspath(p) for p in inputs]
    described = {p: describe_raster(p) for p in dict.fromkeys(paths)}
    if not explicit:
        sources = _default_or_listed(paths, bands, band_names, described, warn)
    if len(sources) != n:
        raise InputError(f"model expects {_model_bands_text(band_names)}; {len(sources)} band "
                         f"source{'s' if len(sources) != 1 else ''} given: give one per "
                         f"model band, in the model's order")
    for i, s in enumerate(sources):
        info = described[s.path]
        if not 1 <= s.band <= info.count:
            raise InputError(f"band {s.band} requested for the model's {band_names[i]} band, "
                             f"but {info.name} has {info.count} band"
                             f"{'s' if info.count != 1 else ''} (1..{info.count}); model "
                             f"expects {_model_bands_text(band_names)}")
    return sources, described


def _default_or_listed(paths: List[str], bands: Optional[Sequence[BandRef]],
                       band_names: Sequence[str], described: Dict[str, RasterDescription],
                       warn: Warn) -> List[BandSource]:
    n = len(band_names)
    if bands is None:
        if len(paths) == 1:
            info = described[paths[0]]
            if info.count < n:
                raise InputError(f"model expects {_model_bands_text(band_names)}; {info.name} "
                                 f"has {info.count} band{'s' if info.count != 1 else ''}: give "
                                 f"a raster with the missing bands, or several "
                                 f"rasters and a band mapping (bands / --bands)")
            if info.count > n:
                warn(f"{info.name} has {info.count} bands; using bands 1..{n} as "
                     f"{', '.join(band_names)} (give bands / --bands to choose others)")
            return [BandSource(paths[0], b) for b in range(1, n + 1)]
        total = sum(described[p].count for p in paths)
        if total != n:
            raise InputError(f"model expects {_model_bands_text(band_names)}; the {len(paths)} "
                             f"inputs hold {total} bands together: say which band feeds "
                             f"each model band with bands / --bands (e.g. 1:1,1:2,1:3,2:1,3:1)")
        return [BandSource(p, b) for p in paths for b in range(1, described[p].count + 1)]
    refs = [_parse_band_ref(r) for r in bands]
    sources = []
    for number, band in refs:
        if not 1 <= number <= len(paths):
            raise InputError(f"band reference {number}:{band} names input {number}, but "
                             f"{len(paths)} input{'s were' if len(paths) != 1 else ' was'} "
                             f"given")
        sources.append(BandSource(paths[number - 1], band))
    return sources

# --------------------------------------------------------------------------- source plan

@dataclass
class SourcePlan:
    """Everything a reader needs: sources, the grid they are read on, scaling and masks."""

    sources: List[BandSource]
    grid: Grid  # the working grid (the file's, or the model-resolution grid)
    native_grid: Grid
    scale: Optional[InputScale]
    fill_values: Tuple[int, ...]  # uint8 value written into invalid pixels, per band
    pad_mode: str = "reflect"
    use_masks: bool = False
    warp: bool = False  # every source resampled to the model's resolution
    descriptions: Dict[str, RasterDescription] = field(default_factory=dict)
    warped_paths: Tuple[str, ...] = ()  # sources on another grid, resampled onto ``grid``
    mask_paths: Tuple[str, ...] = ()  # sources whose masks say where there is no data
    alpha_bands: Dict[str, int] = field(default_factory=dict)  # read as the mask of a path
    nodata_rule: str = "all"  # a pixel is skipped when all (or any) bands are no data

    @property
    def paths(self) -> List[str]:
        return list(dict.fromkeys(s.path for s in self.sources))


def plan_sources(inputs, bands: Optional[Sequence[BandRef]], band_names: Sequence[str], *,
                 means: Sequence[float], input_scale=None, model_pixel_size: Optional[float] = None,
                 resample_to_model: bool = False, pad_mode: str = "reflect",
                 nodata_rule: str = "all", warn: Warn = log.warning) -> SourcePlan:
    """Check the inputs against the model and say how to read them.

    Every check that can fail runs here, before a tile is read.

    ``nodata_rule`` "all" (default) skips a pixel where all the bands read from one file
    are no data there (its nodata value on every band, its mask or alpha, or a file on
    another grid that does not cover it), so a 5-band raster whose nodata value is 0 on
    every band keeps the pixels where the elevation alone is 0 (the ground, in an nDSM);
    "any" skips a pixel where any band is no data.

    Raises:
        InputError: an input the model cannot read, with what to do.
    """
    if nodata_rule not in NODATA_RULES:
        raise InputError(f"nodata rule {nodata_rule!r} is not one of {', '.join(NODATA_RULES)}")
    sources, described = resolve_band_sources(inputs, bands, band_names, warn)
    first = described[sources[0].path]
    warped_paths = _other_grids(first, [described[p] for p in dict.fromkeys(
        s.path for s in sources[1:])], warn)
    scale = parse_input_scale(input_scale)
    for s in sources:
        info = described[s.path]
        dtype = info.dtypes[s.band - 1]
        if dtype != "uint8" and scale is None:
            raise InputError(
                f"{s.label()} holds {dtype} values, but the model expects 8-bit values 0..255: "
                f"convert it to 8 bits with the range your sensor really uses (e.g. "
                f"gdal_translate -ot Byte -scale 0 4095 0 255 in.tif out.tif, or QGIS's "
                f"Translate with those options), or, with the flair-landcover command, "
                f"give --input-scale MIN,MAX (e.g. 0,65535 for the whole 16-bit range)")
    grid = first.grid
    if abs(grid.transform.b) > 0 or abs(grid.transform.d) > 0:
        raise InputError(f"{first.name} has a rotated geotransform, which the inference does "
                         f"not support: warp it to a north-up grid first (gdalwarp)")
    _check_crs_and_resolution(first, model_pixel_size, resample_to_model, warn)
    warp = False
    if resample_to_model and model_pixel_size:
        target = model_grid(grid, float(model_pixel_size))
        warp = (target.width, target.height, target.transform) != (grid.width, grid.height,
                                                                   grid.transform)
        grid = target
    # A raster warped onto the grid may not cover all of it: its alpha says where.
    read = {p: [s.band for s in sources if s.path == p] for p in dict.fromkeys(
        s.path for s in sources)}
    mask_paths = tuple(p for p, bands in read.items()
                       if p in warped_paths or described[p].masks_for(bands))
    alpha = {p: described[p].alpha_for(read[p]) for p in mask_paths
             if p not in warped_paths and not warp and described[p].alpha_for(read[p])}
    use_masks = bool(mask_paths)
    fill = tuple(int(np.clip(round(float(m)), 0, 255)) for m in means)
    return SourcePlan(sources, grid, first.grid, scale, fill, pad_mode, use_masks, warp,
                      described, warped_paths, mask_paths, alpha, nodata_rule)


def _other_grids(first: RasterDescription, others: Sequence[RasterDescription],
                 warn: Warn) -> Tuple[str, ...]:
    """Rasters not on the first one's grid, to be resampled onto it on the fly.

    IGN ships RGB, infrared and elevation as separate products, often at other
    resolutions: they are read through a warped VRT (bilinear) on the imagery's grid.
    Refused: no CRS to relate the grids, or no overlap at all.
    """
    warped = []
    for other in others:
        if same_grid(first.grid, other.grid):
            continue
        if first.grid.crs is None or other.grid.crs is None:
            raise InputError(
                f"{first.name} and {other.name} are on different pixel grids and "
                f"{'the first' if first.grid.crs is None else 'the second'} has no CRS, so "
                f"one cannot be resampled onto the other: give both a CRS, or align them "
                f"(gdalwarp -te <bounds> -tr <pixel size>)")
        if not overlaps(first.grid, other.grid):
            raise InputError(f"{other.name} does not overlap {first.name} "
                             f"({other.grid.describe()} vs {first.grid.describe()}): give "
                             f"rasters of the same area")
        warn(f"{other.name} is on another grid ({other.grid.describe()}): resampled on the "
             f"fly (bilinear) onto the grid of {first.name} ({first.grid.describe()})")
        warped.append(other.path)
    return tuple(warped)

def _check_crs_and_resolution(info: RasterDescription, model_pixel_size: Optional[float],
                              resample: bool, warn: Warn) -> None:
    crs = info.grid.crs
    if crs is None:
        if resample:
            raise InputError(f"{info.name} has no CRS, so its pixel size in metres is unknown "
                             f"and it cannot be resampled to the model's resolution: assign "
                             f"a CRS (gdal_edit.py -a_srs EPSG:2154) or do not resample")
        warn(f"{info.name} has no CRS: the prediction will have none either, and its pixel "
             f"size cannot be checked against the model's")
        return
    if not model_pixel_size:
        return
    if not crs.is_projected or (crs.linear_units or "").lower() not in ("metre", "meter", "m"):
        if resample:
            raise InputError(f"{info.name} is not in a projected CRS in metres ({crs}), so it "
                             f"cannot be resampled to the model's {model_pixel_size:g} m: warp "
                             f"it to a metric CRS first (e.g. gdalwarp -t_srs EPSG:2154)")
        warn(f"{info.name} is not in a projected CRS in metres ({crs}): its pixel size cannot be "
             f"checked against the model's {model_pixel_size:g} m")
        return
    px, py = info.grid.pixel_size
    factor = max(px, py) / float(model_pixel_size)
    if not resample and max(factor, 1.0 / factor) > PIXEL_SIZE_TOLERANCE:
        warn(f"{info.name} has {px:g} m pixels, {factor:.3g} times the model's "
             f"{model_pixel_size:g} m: objects look {'smaller' if factor > 1 else 'larger'} "
             f"than in training and predictions degrade; resample to the model's resolution "
             f"(resample_to_model / --resample-to-model)")

# --------------------------------------------------------------------------- reading

DEFAULT_GDAL_CACHE_MB = 64


@contextlib.contextmanager
def bounded_gdal_cache(megabytes: int = DEFAULT_GDAL_CACHE_MB) -> Iterator[None]:
    """Cap GDAL's block cache (rasterio's GDAL) for the duration of a run.

    GDAL caches decoded blocks of the input *and* dirty blocks of the outputs up to 5 % of
    the machine's RAM by default (6 GB on a 128 GB server): memory would then grow with the
    raster up to that cap. A few hundred MB keep the blocks shared by neighbouring tiles
    (the halo rows) decoded once. A user's own ``GDAL_CACHEMAX`` environment variable wins;
    the previous value is restored afterwards (the option is process-wide).
    """
    from rasterio.env import get_gdal_config, set_gdal_config

    previous = get_gdal_config("GDAL_CACHEMAX")
    wanted = int(megabytes) * 2 ** 20
    if "GDAL_CACHEMAX" in os.environ or not isinstance(previous, int) or previous <= wanted:
        yield
        return
    set_gdal_config("GDAL_CACHEMAX", wanted)
    try:
        yield
    finally:
        set_gdal_config("GDAL_CACHEMAX", previous)


class StackReader:
    """Reads windows of every band source into one uint8 stack; one per thread.

    ``read`` returns (bands × rows × cols uint8, valid rows × cols bool or None). A pixel is
    invalid where the masks of every band read from one file say so (nodata value, alpha,
    mask band; with the plan's ``nodata_rule`` "any": where any band's does); ``None``
    means every pixel is valid. Invalid pixels get the band's fill value (its mean, so a
    nodata value such as 0 or 255 does not leak into the neighbours' context).
    """

    def __init__(self, plan: SourcePlan) -> None:
        self.plan = plan
        self._datasets = {}
        self._vrts = {}
        try:
            for path in plan.paths:
                ds = rasterio.open(path)
                self._datasets[path] = ds
                if plan.warp or path in plan.warped_paths:
                    self._vrts[path] = _warped(ds, plan.grid, path in plan.warped_paths)
        except BaseException:
            self.close()
            raise
        # One read per file: the model bands it feeds and their band numbers.
        self._groups = []
        for path in plan.paths:
            slots = [i for i, s in enumerate(plan.sources) if s.path == path]
            self._groups.append((path, slots, [plan.sources[i].band for i in slots]))

    def read(self, window: PixelWindow) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        rio_window = Window(window.col_off, window.row_off, window.width, window.height)
        out = np.empty((len(self.plan.sources), window.height, window.width), np.uint8)
        valid = None
        every = self.plan.nodata_rule == "all"
        for path, slots, band_numbers in self._groups:
            ds = self._vrts.get(path) or self._datasets[path]
            try:
                data = ds.read(band_numbers, window=rio_window)
                out[slots] = self.plan.scale.apply(data) if self.plan.scale else data
                if path not in self.plan.mask_paths:
                    continue
                alpha = self.plan.alpha_bands.get(path)
                if alpha is not None:
                    group_valid = ds.read(alpha, window=rio_window) > 0
                else:
                    masks = ds.read_masks(band_numbers, window=rio_window) > 0
                    group_valid = masks.any(axis=0) if every else masks.all(axis=0)
            except rasterio.errors.RasterioError as exc:
                raise InputError(f"cannot read {path} (rows {window.row_off}.."
                                 f"{window.row_end - 1}, columns {window.col_off}.."
                                 f"{window.col_end - 1}): {io_error_detail(exc)}; the file "
                                 f"is damaged or truncated: copy or export it again") from None
            valid = group_valid if valid is None else valid & group_valid
        if valid is not None:
            if valid.all():
                valid = None
            else:
                invalid = ~valid
                for b, v in enumerate(self.plan.fill_values):
                    out[b][invalid] = v
        return out, valid

    def close(self) -> None:
        for vrt in self._vrts.values():
            vrt.close()
        for ds in self._datasets.values():
            ds.close()
        self._vrts.clear()
        self._datasets.clear()


def _warped(ds, grid: Grid, may_not_cover: bool):
    """``ds`` read on ``grid`` (bilinear); with an alpha band where it may not cover it."""
    from rasterio.vrt import WarpedVRT

    return WarpedVRT(ds, crs=grid.crs, transform=grid.transform, width=grid.width,
                     height=grid.height, resampling=Resampling.bilinear,
                     add_alpha=may_not_cover)


def pad_tile(data: np.ndarray, pad: Tuple[int, int, int, int], mode: str) -> np.ndarray:
    """Pad a clipped read (bands × rows × cols) to the full tile.

    ``reflect`` mirrors the raster across its edge (no seam for the network to see);
    ``zero`` fills with 0 as FLAIR-1's zone detection does with boundless reads.
    """
    top, bottom, left, right = pad
    if not any(pad):
        return data
    widths = ((0, 0), (top, bottom), (left, right))
    if mode == "zero":
        return np.pad(data, widths, mode="constant")
    # numpy's reflect needs 2+ samples; a 1-pixel-wide raster can only be repeated.
    single = data.shape[1] == 1 or data.shape[2] == 1
    return np.pad(data, widths, mode="edge" if single else "reflect")

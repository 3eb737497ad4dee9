"""U-T&T inference over any area: aerial imagery + a Sentinel-2 time series.

FLAIR-2's U-T&T was trained on 512×512 aerial patches, each with the 40×40 Sentinel-2
window (10 m) centred on it. :func:`predict_multimodal` reproduces that over rasters of
any size: the aerial raster is cut in ``block`` tiles (512 by default; a ``halo`` of
context can be added, the centre is kept, ``crop`` mode), and every tile gets the series
around its centre, prepared exactly as the model's checkpoint says
(:func:`~.sentinel.series_around`: cloud/snow filter, monthly means, date positions).

Deliberately simple: one thread reads, predicts and writes, tile row after tile row.
U-T&T runs are dominated by the forward pass, and this keeps the code short; the
U-Net engine (:mod:`.inference`) is the one with reader/writer threads.

Memory stays bounded whatever the area: Sentinel-2 is read one *tile row* at a time
(the strip under that row of tiles plus half a ``sat_patch_size`` on each side), because
a whole département at 10 m with a year of dates is tens of GB; output blocks are
written as they are finished, into temporary files renamed at the end
(:class:`~.raster_io.OutputSet`: nothing is left on error or cancel).

Sentinel-2 on another CRS than the aerial raster is read through a ``WarpedVRT`` in the
aerial CRS with **nearest** resampling, so reflectances and cloud probabilities are
never mixed across pixels (the pixel size stays close to 10 m). Nothing here imports qgis.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import rasterio
import torch
from rasterio.enums import Resampling
from rasterio.windows import Window

from ...nomenclature import NODATA, SENTINEL2_BANDS
from .pipeline import (Network, PredictionCancelled, PredictionResult, _check_settings, load_model_for_inference,
                        _output_targets, _write_style, resolve_device)
from ..io.rasters import (Grid, OutputSet, StackReader, check_output_paths, pad_tile,
                        plan_sources)
from ..data.sentinel import (DateLike, SeriesPreparation, SentinelError, cloud_snow_cover,
                       normalise, pad_series, parse_date, parse_product_date,
                       read_dates_file, series_around, window_around)
from ..tiling import InputError, PixelWindow, Tile, TileGrid, window_from_extent

__all__ = ["SentinelSource", "open_sentinel", "predict_multimodal"]

log = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]
DEFAULT_MULTIMODAL_BLOCK = 512  # FLAIR-2's aerial patch size
DEFAULT_MULTIMODAL_HALO = 0
S2_BANDS = len(SENTINEL2_BANDS)
MASK_BANDS = 2  # snow, cloud (FLAIR-2's _masks.npy order)


# --------------------------------------------------------------------------- Sentinel-2 files

@dataclass
class SentinelSource:
    """Where a T-date series lies: per date, the file and the band numbers to read.

    ``data[t] = (path, (b1..b10))`` in FLAIR order (B2..B12); ``masks[t] = (path, (snow,
    cloud))`` or ``None``. Every file is on one grid (``crs``, ``transform``, size).
    """

    dates: list  # datetime.date, one per date
    data: list
    masks: Optional[list]
    crs: object
    transform: object
    width: int
    height: int


def _as_paths(value) -> List[str]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [os.fspath(value)]
    return [os.fspath(v) for v in value]


def _describe(path: str) -> Tuple[int, object, object, int, int]:
    if not os.path.isfile(path):
        raise InputError(f"Sentinel-2 file {path} does not exist")
    try:
        with rasterio.open(path) as ds:
            return ds.count, ds.crs, ds.transform, ds.width, ds.height
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"cannot read the Sentinel-2 file {path}: {exc}") from None


def _resolve_dates(dates, count: int, what: str, names: Sequence[str]) -> List:
    """Dates from a list, a dates file (one per line), or else from the file names."""
    if dates is None:
        try:
            return [parse_product_date(Path(n).stem) for n in names]
        except SentinelError as exc:
            raise InputError(f"{exc}: give the dates (a dates file, one YYYYMMDD a line) or "
                             f"put YYYYMMDD in each Sentinel-2 file name") from None
    if isinstance(dates, (str, os.PathLike)):
        if not os.path.isfile(dates):
            raise InputError(f"dates file {dates} does not exist")
        try:
            found = read_dates_file(dates)
        except SentinelError as exc:
            raise InputError(f"dates file {dates}: {exc}") from None
        source = f"the dates file {os.path.basename(os.fspath(dates))}"
    else:
        try:
            found = [parse_date(d) for d in dates]
        except SentinelError as exc:
            raise InputError(str(exc)) from None
        source = "the date list"
    if len(found) != count:
        raise InputError(f"{source} gives {len(found)} dates but {what} holds {count} dates: "
                         f"give exactly one date per Sentinel-2 acquisition, in band order")
    return found


def open_sentinel(sentinel, dates=None, cloud_masks=None) -> SentinelSource:
    """Check the Sentinel-2 inputs and say where each date's bands are; reads no pixel.

    ``sentinel``: one GeoTIFF per date (10 bands B2..B12, FLAIR order) or one stacked
    GeoTIFF of T×10 bands (date after date). ``dates``: a list of dates, a dates file
    (one YYYYMMDD a line, as FLAIR-HUB), or ``None`` to read YYYYMMDD in the per-date file
    names. ``cloud_masks``: one T×2-band stack or one 2-band file per date (snow, cloud
    probabilities 0..100), optional.
    """
    paths = _as_paths(sentinel)
    if not paths:
        raise InputError("no Sentinel-2 file given: give one GeoTIFF per date or a stack")
    described = [_describe(p) for p in paths]
    first = described[0]
    for path, d in zip(paths[1:], described[1:]):
        if (d[1], tuple(d[2])[:6], d[3], d[4]) != (first[1], tuple(first[2])[:6], first[3],
                                                   first[4]):
            raise InputError(f"{os.path.basename(path)} is not on the grid of "
                             f"{os.path.basename(paths[0])}: put every Sentinel-2 date on "
                             f"one grid (e.g. gdalwarp -tap -tr 10 10) first")
    if len(paths) == 1 and first[0] != S2_BANDS:
        data = _stack_layout(paths[0], first[0], S2_BANDS, "bands")
        count = len(data)
        if dates is None:
            raise InputError(f"{os.path.basename(paths[0])} is a stack of {count} dates: give "
                             f"its dates file (one YYYYMMDD a line, in band order)")
        found = _resolve_dates(dates, count, f"the stack {os.path.basename(paths[0])} "
                               f"({first[0]} bands = {count} dates × {S2_BANDS})", [])
    else:
        for path, d in zip(paths, described):
            if d[0] < S2_BANDS:
                raise InputError(f"{os.path.basename(path)} has {d[0]} band(s); a Sentinel-2 "
                                 f"date needs {S2_BANDS} ({', '.join(SENTINEL2_BANDS)}, in "
                                 f"that order)")
            if d[0] > S2_BANDS:
                raise InputError(f"{os.path.basename(path)} has {d[0]} bands: give one file "
                                 f"of {S2_BANDS} bands per date, or one stack of T×"
                                 f"{S2_BANDS} bands with a dates file")
        data = [(p, tuple(range(1, S2_BANDS + 1))) for p in paths]
        count = len(data)
        found = _resolve_dates(dates, count, f"the {count} Sentinel-2 file(s)", paths)
    masks = _open_masks(cloud_masks, count, first) if cloud_masks else None
    return SentinelSource(found, data, masks, first[1], first[2], first[3], first[4])


def _stack_layout(path: str, bands: int, per_date: int, what: str) -> list:
    if bands < per_date or bands % per_date:
        raise InputError(f"{os.path.basename(path)} has {bands} band(s), not a multiple of "
                         f"{per_date}: a stack holds {per_date} {what} per date, date after "
                         f"date" + (f" ({', '.join(SENTINEL2_BANDS)})" if per_date == S2_BANDS
                                    else " (snow, cloud)"))
    return [(path, tuple(range(t * per_date + 1, (t + 1) * per_date + 1)))
            for t in range(bands // per_date)]


def _open_masks(cloud_masks, count: int, grid) -> list:
    paths = _as_paths(cloud_masks)
    described = [_describe(p) for p in paths]
    for path, d in zip(paths, described):
        if (d[1], tuple(d[2])[:6], d[3], d[4]) != (grid[1], tuple(grid[2])[:6], grid[3],
                                                   grid[4]):
            raise InputError(f"the cloud/snow mask {os.path.basename(path)} is not on the "
                             f"Sentinel-2 grid: warp it onto the Sentinel-2 images' grid")
    if len(paths) == 1:
        layout = _stack_layout(paths[0], described[0][0], MASK_BANDS, "mask bands")
    else:
        for path, d in zip(paths, described):
            if d[0] != MASK_BANDS:
                raise InputError(f"the cloud/snow mask {os.path.basename(path)} has {d[0]} "
                                 f"band(s); a per-date mask has 2 (snow, cloud probability)")
        layout = [(p, (1, 2)) for p in paths]
    if len(layout) != count:
        raise InputError(f"the cloud/snow masks hold {len(layout)} date(s) but the "
                         f"Sentinel-2 series has {count}: give one mask per date")
    return layout


# --------------------------------------------------------------------------- Sentinel-2 reads

class _SentinelReader:
    """Windowed reads of the series (and masks) on the aerial CRS, one strip at a time."""

    def __init__(self, source: SentinelSource, crs, warn: Callable[[str], None]) -> None:
        self.source = source
        self._handles = {}
        self.warped = bool(crs) and bool(source.crs) and source.crs != crs
        if self.warped:
            warn(f"Sentinel-2 is in {source.crs}, the aerial imagery in {crs}: Sentinel-2 is "
                 f"reprojected on the fly (nearest neighbour, ~10 m pixels)")
        self._crs = crs
        paths = [p for p, _ in source.data] + [p for p, _ in (source.masks or [])]
        try:
            for path in dict.fromkeys(paths):
                ds = rasterio.open(path)
                self._handles[path] = ds
                if self.warped:
                    from rasterio.vrt import WarpedVRT

                    self._handles[path] = WarpedVRT(ds, crs=crs, resampling=Resampling.nearest)
                    self._handles[path]._base = ds  # closed in close()
        except BaseException:
            self.close()
            raise
        ref = self._handles[source.data[0][0]]
        self.transform, self.width, self.height = ref.transform, ref.width, ref.height
        self.bounds = tuple(ref.bounds)

    def window_for(self, bounds: Tuple[float, float, float, float], margin_px: int) -> Window:
        """Pixel window of ``bounds`` (in the aerial CRS) + a margin, clipped to the data."""
        a, e = self.transform.a, self.transform.e
        c0 = math.floor((bounds[0] - self.transform.c) / a) - margin_px
        c1 = math.ceil((bounds[2] - self.transform.c) / a) + margin_px
        r0 = math.floor((bounds[3] - self.transform.f) / e) - margin_px
        r1 = math.ceil((bounds[1] - self.transform.f) / e) + margin_px
        c0, r0 = max(c0, 0), max(r0, 0)
        c1, r1 = min(c1, self.width), min(r1, self.height)
        return Window(c0, r0, max(c1 - c0, 1), max(r1 - r0, 1))

    def read(self, window: Window) -> Tuple[np.ndarray, Optional[np.ndarray], object]:
        """(T×10×h×w float32, T×2×h×w masks or None, the window's transform)."""
        data = np.stack([self._handles[p].read(list(b), window=window).astype(np.float32)
                         for p, b in self.source.data])
        masks = None
        if self.source.masks:
            masks = np.stack([self._handles[p].read(list(b), window=window)
                              for p, b in self.source.masks])
        ref = self._handles[self.source.data[0][0]]
        return data, masks, rasterio.windows.transform(window, ref.transform)

    def close(self) -> None:
        for handle in self._handles.values():
            base = getattr(handle, "_base", None)
            handle.close()
            if base is not None:
                base.close()
        self._handles.clear()


def _check_covers(reader: _SentinelReader, bounds: Tuple[float, float, float, float]) -> None:
    s = reader.bounds
    tol = 1e-6 * max(abs(v) for v in bounds + s)
    if bounds[0] < s[0] - tol or bounds[1] < s[1] - tol or bounds[2] > s[2] + tol or \
            bounds[3] > s[3] + tol:
        raise InputError(
            f"Sentinel-2 does not cover the aerial extent: Sentinel-2 spans "
            f"x {s[0]:.1f}..{s[2]:.1f}, y {s[1]:.1f}..{s[3]:.1f}, the area to predict "
            f"x {bounds[0]:.1f}..{bounds[2]:.1f}, y {bounds[1]:.1f}..{bounds[3]:.1f} (aerial "
            f"CRS): give Sentinel-2 tiles covering the whole area, or a smaller extent")


# --------------------------------------------------------------------------- the model

def _check_model(meta) -> SeriesPreparation:
    if meta.architecture != "flair-utt":
        raise InputError(f"this model is a {meta.architecture!r}, not a U-T&T (aerial + "
                         f"Sentinel-2): use it with flair:segmentaerial / the aerial "
                         f"inference instead")
    if getattr(meta, "metadata_mlp", False):
        raise InputError("this U-T&T needs FLAIR-2's per-patch aerial metadata (date, "
                         "camera, altitude), which has no value for an arbitrary area: use "
                         "a U-T&T trained without the metadata MLP")
    temporal = meta.temporal
    if temporal is None:
        raise InputError("the U-T&T checkpoint has no Sentinel-2 description (temporal)")
    if temporal.input_dim != S2_BANDS:
        raise InputError(f"this U-T&T expects {temporal.input_dim} Sentinel-2 bands per date; "
                         f"this inference reads {S2_BANDS} ({', '.join(SENTINEL2_BANDS)})")
    try:
        return SeriesPreparation.from_meta(temporal)
    except SentinelError as exc:
        raise InputError(f"the checkpoint's Sentinel-2 preparation is invalid: {exc}") \
            from None


def _utt_codes(net: Network, aerial: np.ndarray, sentinel: np.ndarray,
               positions: np.ndarray, pad_mask: np.ndarray) -> np.ndarray:
    """uint8 B×C×H×W aerial + normalised padded series -> B×H×W FLAIR codes.

    The engine's :class:`~.inference.Network` normalises the aerial input and picks the
    active logits; the series, dates and pad mask go to the U-T&T as further inputs
    (``forward(aerial, sentinel, dates, metadata, pad_mask)``, aerial logits first)."""
    s = torch.from_numpy(sentinel).to(net.device, net.param_dtype)
    d = torch.from_numpy(positions).to(net.device)
    m = torch.from_numpy(pad_mask).to(net.device)
    with torch.inference_mode():
        return net.codes(torch.from_numpy(aerial).to(net.device), s, d, None, m).cpu().numpy()


# --------------------------------------------------------------------------- the run

@dataclass
class _Pending:
    tile: Tile
    aerial: np.ndarray
    series: np.ndarray
    positions: np.ndarray
    valid: Optional[np.ndarray]


class _Run:
    """The single-threaded loop: read a tile row's Sentinel-2, then tile by tile."""

    def __init__(self, plan, grid: TileGrid, net: Network, s2: _SentinelReader,
                 source: SentinelSource, preparation: SeriesPreparation, temporal,
                 outputs: OutputSet, batch_size: int, progress, cancel, warn) -> None:
        self.plan, self.grid, self.net, self.s2 = plan, grid, net, s2
        self.source, self.prep, self.temporal = source, preparation, temporal
        self.outputs, self.batch_size = outputs, batch_size
        self.progress, self.cancel, self.warn = progress, cancel, warn
        self.total = grid.rows * grid.cols
        self.done = self.skipped = self.all_cloudy = 0
        self.started = time.perf_counter()

    def run(self, reader: StackReader) -> None:
        for row in range(self.grid.rows):
            tiles = [self.grid.tile(row, col) for col in range(self.grid.cols)]
            stack, masks, transform = self._strip(tiles)
            batch: List[_Pending] = []
            for tile in tiles:
                item = self._prepare(reader, tile, stack, masks, transform)
                if item is None:
                    self.skipped += 1
                    self.done += 1
                    continue
                batch.append(item)
                if len(batch) >= self.batch_size:
                    self._flush(batch)
                    batch = []
            if batch:
                self._flush(batch)
            self._checkpoint()
        if self.all_cloudy:
            self.warn(f"{self.all_cloudy} tile(s) had every Sentinel-2 date covered by "
                      f"clouds or snow (cover >= {self.prep.cover_fraction:.0%} at "
                      f"probability >= {self.prep.cloud_probability}); their least covered "
                      f"date was used: check those areas, or add clearer dates")

    def centre(self, tile: Tile) -> Tuple[float, float]:
        return tile_centre(self.plan.grid.transform, tile, self.grid.region)

    def _strip(self, tiles: Sequence[Tile]):
        centres = [self.centre(t) for t in tiles]
        xs, ys = [c[0] for c in centres], [c[1] for c in centres]
        window = self.s2.window_for((min(xs), min(ys), max(xs), max(ys)),
                                    self.prep.sat_patch_size // 2 + 1)
        return self.s2.read(window)

    def _prepare(self, reader: StackReader, tile: Tile, stack, masks, transform):
        data, valid = reader.read(tile.read)
        block_valid = None
        if valid is not None:
            top, left = tile.pad[0], tile.pad[2]
            b = tile.block_part
            block_valid = valid[b.row_off - top:b.row_end - top,
                                b.col_off - left:b.col_end - left]
            if not block_valid.any():
                return None
            block_valid = None if block_valid.all() else block_valid.copy()
        x, y = self.centre(tile)
        if masks is not None and self.prep.filter_clouds:
            cover = cloud_snow_cover(window_around(masks, transform, x, y,
                                                   self.prep.sat_patch_size),
                                     self.prep.cloud_probability)
            if cover.size and (cover >= self.prep.cover_fraction).all():
                self.all_cloudy += 1
        try:
            series = series_around(stack, transform, self.source.dates, x, y, masks,
                                   self.prep)
        except SentinelError as exc:
            raise InputError(f"Sentinel-2 for the tile at x={x:.1f}, y={y:.1f}: {exc}") \
                from None
        values = series.data
        if self.temporal.means:
            values = normalise(values, self.temporal.means, self.temporal.stds)
        aerial = pad_tile(data, tile.pad, self.plan.pad_mode)
        return _Pending(tile, aerial, values, series.positions, block_valid)

    def _flush(self, batch: List[_Pending]) -> None:
        if self.cancel is not None and self.cancel():
            raise PredictionCancelled("prediction cancelled")
        series, positions, pad_mask = pad_series([p.series for p in batch],
                                                 [p.positions for p in batch])
        aerial = np.stack([p.aerial for p in batch])
        codes = _utt_codes(self.net, aerial, series.astype(np.float32), positions, pad_mask)
        for item, block_codes in zip(batch, codes):
            b = item.tile.block_part
            out = block_codes[b.row_off:b.row_end, b.col_off:b.col_end]
            if item.valid is not None:
                out = np.where(item.valid, out, NODATA).astype(np.uint8)
            self.outputs.write(0, item.tile.block, out)
        self.done += len(batch)
        self._checkpoint()

    def _checkpoint(self) -> None:
        if self.cancel is not None and self.cancel():
            raise PredictionCancelled("prediction cancelled")
        if self.progress is not None:
            self.progress(self.done / self.total if self.total else 1.0,
                          f"{self.done}/{self.total} tiles ({self.skipped} without data)")


def tile_centre(transform, tile: Tile, region: PixelWindow) -> Tuple[float, float]:
    """Map (x, y) of a tile's centre, where its Sentinel-2 window is centred.

    The centre of the full tile (halo included), as FLAIR-2 centres the window on the
    patch; an edge tile's centre is moved inside the predicted region, so the series
    always comes from Sentinel-2 pixels over the area (which the coverage check ensures).
    """
    w = tile.window
    col = min(max(w.col_off + w.width / 2.0, region.col_off + 0.5), region.col_end - 0.5)
    row = min(max(w.row_off + w.height / 2.0, region.row_off + 0.5), region.row_end - 0.5)
    return transform * (col, row)


def _region_bounds(transform, region: PixelWindow) -> Tuple[float, float, float, float]:
    x0, y0 = transform * (region.col_off, region.row_off)
    x1, y1 = transform * (region.col_end, region.row_end)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def predict_multimodal(
        aerial_inputs, sentinel, model, output: PathLike, *,
        dates: Union[None, PathLike, Sequence[DateLike]] = None, cloud_masks=None,
        bands: Optional[Sequence] = None, extent: Optional[Sequence[float]] = None,
        block: Optional[int] = None, halo: Optional[int] = None, blend: str = "crop",
        device: Union[str, torch.device] = "auto", precision: str = "fp32",
        batch_size: Optional[int] = None, num_readers: Optional[int] = None,
        probabilities=None, confidence=None, pad: str = "reflect", progress=None,
        cancel=None, warn=None, overwrite: bool = False) -> PredictionResult:
    """Predict FLAIR codes with a U-T&T from aerial imagery and a Sentinel-2 series.

    ``aerial_inputs``/``bands``/``extent``: as :func:`~.inference.predict` (the model's
    aerial bands, e.g. R,G,B,NIR,elevation). ``sentinel``/``dates``/``cloud_masks``: see
    :func:`open_sentinel`; masks are required when the model filters cloudy dates.
    ``model``: a U-T&T checkpoint path or loaded model. ``block``/``halo``: tile = block
    + 2·halo pixels, the centre block is kept (multiples of 32). Every input is checked
    before any tile is read; ``cancel() -> bool`` raises :class:`PredictionCancelled`
    and, like any error, leaves no output file. The ``.qml`` sidecar is written beside
    the output.
    """
    warnings: List[str] = []

    def _warn(message: str) -> None:
        warnings.append(message)
        (warn or log.warning)(message)

    block = DEFAULT_MULTIMODAL_BLOCK if block is None else block
    halo = DEFAULT_MULTIMODAL_HALO if halo is None else halo
    if blend != "crop" or probabilities or confidence:
        raise InputError("not yet")
    loaded = load_model_for_inference(model)
    meta = loaded.meta
    preparation = _check_model(meta)
    dev = resolve_device(device)
    batch_size = int(batch_size or (8 if dev.type == "cuda" else 2))
    _check_settings("crop", "reflect", precision, dev, batch_size, 1, block, halo)
    plan = plan_sources(aerial_inputs, bands, meta.bands, means=meta.means,
                        model_pixel_size=meta.pixel_size, warn=_warn)
    region = PixelWindow(0, 0, plan.grid.width, plan.grid.height)
    if extent is not None:
        crs = plan.grid.crs.to_string() if plan.grid.crs else "the raster's coordinates"
        region = window_from_extent(tuple(plan.grid.transform), plan.grid.width,
                                    plan.grid.height, extent, crs)
    grid = TileGrid(plan.grid.width, plan.grid.height, region, block, halo)
    source = open_sentinel(sentinel, dates, cloud_masks)
    if preparation.filter_clouds and source.masks is None:
        raise InputError("this model drops cloudy and snowy dates, as in its training: give "
                         "the cloud/snow masks (T×2 bands, or one 2-band file per date)")
    s2_inputs = [p for p, _ in source.data] + [p for p, _ in source.masks or []]
    check_output_paths([output], plan.paths + s2_inputs, overwrite)
    s2 = _SentinelReader(source, plan.grid.crs, _warn)
    try:
        _check_covers(s2, _region_bounds(plan.grid.transform, region))
        result = _execute(plan, grid, region, loaded, meta, preparation, source, s2, dev,
                          precision, batch_size, output, progress, cancel, _warn)
    finally:
        s2.close()
    result.warnings = warnings
    _write_style(result, meta.active_codes, warn or log.warning)
    return result


def _execute(plan, grid, region, loaded, meta, preparation, source, s2, dev, precision,
             batch_size, output, progress, cancel, warn) -> PredictionResult:
    net = Network(loaded.module, meta.means, meta.stds, meta.logit_codes, dev, precision)
    codes = tuple(int(c) for c in meta.logit_codes if c != NODATA)
    out_grid = Grid(plan.grid.crs, plan.grid.window_transform(region), region.width,
                    region.height)
    targets = _output_targets(output, None, None, codes, None)
    started = time.perf_counter()
    outputs = OutputSet(out_grid, targets, grid.block)
    reader = None
    try:
        reader = StackReader(plan)
        run = _Run(plan, grid, net, s2, source, preparation, meta.temporal, outputs,
                   batch_size, progress, cancel, warn)
        run.run(reader)
        reader.close()
        reader = None
        outputs.commit()
    except BaseException:
        if reader is not None:
            reader.close()
        outputs.abort()
        raise
    elapsed = time.perf_counter() - started
    return PredictionResult(
        output=Path(output), probabilities=None, confidence=None, width=region.width,
        height=region.height, codes=codes, tiles_total=run.total,
        tiles_done=run.done - run.skipped, tiles_skipped=run.skipped, elapsed_s=elapsed,
        megapixels_per_s=region.area / elapsed / 1e6 if elapsed else 0.0, device=str(dev),
        batch_size=batch_size, precision=precision, blend="crop", block=grid.block,
        halo=grid.halo, warnings=[])

"""Reading a Sentinel-2 series: the files of each date, their dates, windowed reads.

:func:`open_sentinel` checks the Sentinel-2 inputs (one file per date, or a stack and its
dates file; optional snow/cloud masks) and says where each date's bands are, reading no
pixel. A :class:`SentinelReader` (one per reader thread: GDAL handles are not
thread-safe) reads a small window of every date around a point.

Sentinel-2 on another CRS than the aerial raster is read through a ``WarpedVRT`` in the
aerial CRS with **nearest** resampling, so reflectances and cloud probabilities are
never mixed across pixels (the pixel size stays close to 10 m).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.windows import Window

from ...nomenclature import SENTINEL2_BANDS
from ..data.sentinel import parse_date, parse_product_date, read_dates_file
from ..errors import InputError, SentinelError
from ..geo import Bounds, Grid, covers, window_around

S2_BANDS = len(SENTINEL2_BANDS)
MASK_BANDS = 2  # snow, cloud (FLAIR-2's _masks.npy order)


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


def open_sentinel(sentinel, dates=None, cloud_masks=None, *, per_date: int = S2_BANDS,
                  what: str = "Sentinel-2") -> SentinelSource:
    """Check the Sentinel-2 inputs and say where each date's bands are; reads no pixel.

    ``sentinel``: one GeoTIFF per date (10 bands B2..B12, FLAIR order) or one stacked
    GeoTIFF of T×10 bands (date after date). ``dates``: a list of dates, a dates file
    (one YYYYMMDD a line, as FLAIR-HUB), or ``None`` to read YYYYMMDD in the per-date file
    names. ``cloud_masks``: one T×2-band stack or one 2-band file per date (snow, cloud
    probabilities 0..100), optional. ``per_date`` and ``what``: another series laid out
    the same way (FLAIR-HUB's Sentinel-1: 2 bands a date, VV and VH), named in messages.

    Raises:
        InputError: a missing or unreadable file, files on different grids, band counts
            that are not whole dates, dates that do not match.
    """
    paths = _as_paths(sentinel)
    if not paths:
        raise InputError(f"no {what} file given: give one GeoTIFF per date or a stack")
    described = [_describe(p) for p in paths]
    first = described[0]
    for path, d in zip(paths[1:], described[1:]):
        if (d[1], tuple(d[2])[:6], d[3], d[4]) != (first[1], tuple(first[2])[:6], first[3],
                                                   first[4]):
            raise InputError(f"{os.path.basename(path)} is not on the grid of "
                             f"{os.path.basename(paths[0])}: put every {what} date on "
                             f"one grid (e.g. gdalwarp -tap -tr 10 10) first")
    if len(paths) == 1 and first[0] != per_date:
        data = _stack_layout(paths[0], first[0], per_date, "bands")
        count = len(data)
        if dates is None:
            raise InputError(f"{os.path.basename(paths[0])} is a stack of {count} dates: give "
                             f"its dates file (one YYYYMMDD a line, in band order)")
        found = _resolve_dates(dates, count, f"the stack {os.path.basename(paths[0])} "
                               f"({first[0]} bands = {count} dates × {per_date})", [])
    else:
        names = (f" ({', '.join(SENTINEL2_BANDS)}, in that order)" if per_date == S2_BANDS
                 else "")
        for path, d in zip(paths, described):
            if d[0] < per_date:
                raise InputError(f"{os.path.basename(path)} has {d[0]} band(s); a {what} "
                                 f"date needs {per_date}{names}")
            if d[0] > per_date:
                raise InputError(f"{os.path.basename(path)} has {d[0]} bands: give one file "
                                 f"of {per_date} bands per date, or one stack of T×"
                                 f"{per_date} bands with a dates file")
        data = [(p, tuple(range(1, per_date + 1))) for p in paths]
        count = len(data)
        found = _resolve_dates(dates, count, f"the {count} {what} file(s)", paths)
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

class SentinelReader:
    """Windowed reads of the series (and masks) in the aerial CRS; one per thread."""

    def __init__(self, source: SentinelSource, crs) -> None:
        self.source = source
        self._handles = {}
        self._bases = []
        warped = reprojected(source, crs)
        paths = [p for p, _ in source.data] + [p for p, _ in (source.masks or [])]
        try:
            for path in dict.fromkeys(paths):
                ds = rasterio.open(path)
                self._handles[path] = ds
                if warped:
                    from rasterio.vrt import WarpedVRT

                    self._bases.append(ds)
                    self._handles[path] = WarpedVRT(ds, crs=crs, resampling=Resampling.nearest)
        except BaseException:
            self.close()
            raise
        self.grid = Grid.of(self._handles[source.data[0][0]])

    def read_around(self, x: float, y: float, margin_px: int
                    ) -> Tuple[np.ndarray, Optional[np.ndarray], object]:
        """(T×10×h×w float32, T×2×h×w masks or None, the window's transform) of the
        window around map point (x, y) (aerial CRS) with ``margin_px`` pixels each side."""
        w = window_around(self.grid, (x, y, x, y), margin_px)
        window = Window(w.col_off, w.row_off, w.width, w.height)
        data = np.stack([self._handles[p].read(list(b), window=window).astype(np.float32)
                         for p, b in self.source.data])
        masks = None
        if self.source.masks:
            masks = np.stack([self._handles[p].read(list(b), window=window)
                              for p, b in self.source.masks])
        return data, masks, self.grid.window_transform(w)

    def close(self) -> None:
        for handle in list(self._handles.values()) + self._bases:
            handle.close()
        self._handles.clear()
        self._bases.clear()


def reprojected(source: SentinelSource, crs) -> bool:
    """Whether the series must be reprojected on the fly onto the aerial CRS."""
    return bool(crs) and bool(source.crs) and source.crs != crs


def check_covers(source: SentinelSource, crs, area: Bounds) -> None:
    """Refuse an area (aerial CRS) that the series does not cover, before any read."""
    reader = SentinelReader(source, crs)
    try:
        s = reader.grid.bounds
    finally:
        reader.close()
    if not covers(s, area):
        raise InputError(
            f"Sentinel-2 does not cover the aerial extent: Sentinel-2 spans "
            f"x {s[0]:.1f}..{s[2]:.1f}, y {s[1]:.1f}..{s[3]:.1f}, the area to predict "
            f"x {area[0]:.1f}..{area[2]:.1f}, y {area[1]:.1f}..{area[3]:.1f} (aerial "
            f"CRS): give Sentinel-2 tiles covering the whole area, or a smaller extent")

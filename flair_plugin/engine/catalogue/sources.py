"""A catalogue's input: tiles found in a folder or a list (or one mosaic), checked, mosaicked.

IGN delivers BD ORTHO as 5 km × 5 km tiles (25,000 × 25,000 px at 0.2 m, JPEG 2000 or
GeoTIFF) in nested folders. :func:`find_catalogue` finds them, reads every header once
(threads: opening a JPEG 2000 costs tens of milliseconds) and checks that they share one
pixel grid, so that one VRT over them (:func:`write_mosaic`) reads like a single raster:
each output tile then gets its halo from the neighbouring input tiles.

Everything is checked before any file is written: a bad catalogue raises
:class:`~..errors.InputError` naming the tile and what is wrong with it.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import rasterio
from rasterio.transform import Affine

from ..errors import InputError
from ..geo import Grid, PixelWindow
from ..io.atomic import is_temp_path
from .vrt import VrtSource, write_vrt

PathLike = Union[str, os.PathLike]

RASTER_SUFFIXES = (".tif", ".tiff", ".jp2")
"""Files a folder catalogue takes (BD ORTHO ships GeoTIFF or JPEG 2000)."""
LIST_SUFFIXES = (".txt", ".lst")
"""A text file listing one tile a line (relative paths are relative to the list)."""
HEADER_THREADS = 8
"""Tile headers read at once (GDAL releases the GIL while it opens a file)."""
GRID_TOLERANCE = 1e-6
"""Pixel offsets and sizes may differ by this fraction of a pixel (float noise)."""


@dataclass(frozen=True)
class InputTile:
    """One input raster of a catalogue, as its header describes it."""

    path: str
    grid: Grid
    count: int
    dtype: str
    nodata: Optional[float]
    block_shape: Tuple[int, int]  # internal blocks: columns, rows
    window: PixelWindow = PixelWindow(0, 0, 0, 0)  # in the catalogue's mosaic

    @property
    def name(self) -> str:
        """The file name without its extension (output tiles are named after it)."""
        return Path(self.path).stem


@dataclass(frozen=True)
class Catalogue:
    """Input tiles on one pixel grid, and the mosaic grid that holds them all."""

    spec: str  # what the user gave: a folder, a list file, or a raster
    tiles: Tuple[InputTile, ...]
    grid: Grid  # the mosaic: the bounding rectangle of every tile, on their pixel grid
    single: bool  # one raster was given (itself a mosaic): no input tiling to follow
    gaps: bool  # part of the mosaic's rectangle lies in no tile

    @property
    def count(self) -> int:
        return self.tiles[0].count

    @property
    def dtype(self) -> str:
        return self.tiles[0].dtype

    @property
    def nodata(self) -> Optional[float]:
        return self.tiles[0].nodata


def find_catalogue(spec: PathLike, exclude: Optional[PathLike] = None) -> Catalogue:
    """The catalogue ``spec`` names: a folder (searched recursively for ``.tif``,
    ``.tiff``, ``.jp2``), a ``.txt``/``.lst`` list of tiles, or a single raster (a VRT or
    a large GeoTIFF), with every tile's header read and checked.

    Args:
        spec: the folder, list file or raster.
        exclude: a folder whose files are never taken as input (the catalogue's own
            output folder, when it lies inside the input folder).

    Raises:
        InputError: nothing found, an unreadable tile, or tiles that do not share one
            pixel grid, CRS, band count, data type or nodata value.
    """
    path = Path(spec)
    if not path.exists():
        raise InputError(f"catalogue {spec} does not exist: give a folder of tiles, a list "
                         f"file ({', '.join(LIST_SUFFIXES)}) or a raster")
    single = path.is_file() and path.suffix.lower() not in LIST_SUFFIXES
    if path.is_dir():
        files = _files_in(path, exclude)
    elif not single:
        files = _files_listed(path)
    else:
        files = [path]
    if not files:
        raise InputError(f"no raster ({', '.join(RASTER_SUFFIXES)}) found in {spec}: give "
                         f"the folder that holds the tiles")
    return catalogue_of(files, os.fspath(spec), single)


def catalogue_of(files: Sequence[PathLike], spec: str = "", single: bool = False
                 ) -> Catalogue:
    """The catalogue of these raster files (their headers read at once, in threads).

    Raises:
        InputError: an unreadable file, or files not on one pixel grid.
    """
    with ThreadPoolExecutor(max(1, min(HEADER_THREADS, len(files)))) as pool:
        tiles = list(pool.map(_describe, [Path(f) for f in files]))
    grid, tiles = _mosaic(tiles)
    return Catalogue(spec, tuple(tiles), grid, single, _has_gaps(grid, tiles))


def write_mosaic(catalogue: Catalogue, path: PathLike) -> Path:
    """The VRT that reads the whole catalogue as one raster (gaps read as no data).

    Returns:
        ``path``, written atomically.
    """
    return write_vrt(path, catalogue.grid,
                     [VrtSource(t.path, t.window, t.block_shape) for t in catalogue.tiles],
                     count=catalogue.count, dtype=catalogue.dtype, nodata=catalogue.nodata,
                     mask_gaps=catalogue.gaps)


# --------------------------------------------------------------------------- discovery

def _files_in(folder: Path, exclude: Optional[PathLike]) -> List[Path]:
    skip = Path(exclude).resolve() if exclude is not None else None
    found = []
    for root, dirs, names in os.walk(folder):
        root_path = Path(root)
        if skip is not None and (root_path.resolve() == skip or skip in
                                 root_path.resolve().parents):
            dirs[:] = []
            continue
        dirs.sort()
        for name in sorted(names):
            # Hidden files: our own temporary files (.part) and system files.
            if name.startswith(".") or is_temp_path(name):
                continue
            if Path(name).suffix.lower() in RASTER_SUFFIXES:
                found.append(root_path / name)
    return found


def _files_listed(listing: Path) -> List[Path]:
    try:
        lines = listing.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the tile list {listing}: {exc}") from None
    files = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        file = Path(text) if os.path.isabs(text) else listing.parent / text
        if not file.is_file():
            raise InputError(f"{listing}, line {number}: {text} is not a file")
        files.append(file)
    return files


def _describe(path: Path) -> InputTile:
    try:
        with rasterio.open(path) as ds:
            dtypes = set(ds.dtypes)
            if len(dtypes) != 1:
                raise InputError(f"{path} mixes band types ({', '.join(sorted(dtypes))}): "
                                 f"a catalogue's tiles need one type for all bands")
            rows, cols = ds.block_shapes[0]
            return InputTile(os.fspath(path), Grid(ds.crs, ds.transform, ds.width,
                                                   ds.height),
                             ds.count, ds.dtypes[0], ds.nodata, (cols, rows))
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"cannot read {path} as a raster: {exc}") from None


# --------------------------------------------------------------------------- the grid

def _mosaic(tiles: List[InputTile]) -> Tuple[Grid, List[InputTile]]:
    """The grid holding every tile, and each tile's window in it; refuses tiles that do
    not share the first one's pixel grid (a VRT would resample them silently)."""
    first = tiles[0]
    t0 = first.grid.transform
    if t0.b or t0.d:
        raise InputError(f"{first.path} has a rotated geotransform: warp the tiles to a "
                         f"north-up grid first (gdalwarp)")
    offsets = []
    for tile in tiles:
        _check_like(tile, first)
        t = tile.grid.transform
        col, row = (t.c - t0.c) / t0.a, (t.f - t0.f) / t0.e
        if abs(col - round(col)) > GRID_TOLERANCE or abs(row - round(row)) > GRID_TOLERANCE:
            raise InputError(
                f"{tile.path} is not on the pixel grid of {first.path} (it is shifted by "
                f"{col - math.floor(col):.3f} x {row - math.floor(row):.3f} pixel): the tiles "
                f"of a catalogue must share one pixel grid (gdalwarp -tap -tr to align them)")
        offsets.append((int(round(col)), int(round(row))))
    c0 = min(c for c, _ in offsets)
    r0 = min(r for _, r in offsets)
    c1 = max(c + t.grid.width for (c, _), t in zip(offsets, tiles))
    r1 = max(r + t.grid.height for (_, r), t in zip(offsets, tiles))
    grid = Grid(first.grid.crs, t0 * Affine.translation(c0, r0), c1 - c0, r1 - r0)
    placed = [InputTile(t.path, t.grid, t.count, t.dtype, t.nodata, t.block_shape,
                        PixelWindow(c - c0, r - r0, t.grid.width, t.grid.height))
              for (c, r), t in zip(offsets, tiles)]
    seen = {}
    for tile in placed:
        other = seen.setdefault(tile.window, tile)
        if other is not tile:
            raise InputError(f"{tile.path} and {other.path} cover exactly the same area: "
                             f"keep one of them")
    return grid, placed


def _check_like(tile: InputTile, first: InputTile) -> None:
    checks = (
        ("CRS", tile.grid.crs, first.grid.crs),
        ("band count", tile.count, first.count),
        ("data type", tile.dtype, first.dtype),
        ("nodata value", tile.nodata, first.nodata),
    )
    for what, value, expected in checks:
        if value != expected:
            raise InputError(f"{tile.path} has {what} {value}, {first.path} {expected}: the "
                             f"tiles of a catalogue must share it")
    a, e = tile.grid.transform.a, tile.grid.transform.e
    a0, e0 = first.grid.transform.a, first.grid.transform.e
    if abs(a - a0) > GRID_TOLERANCE * abs(a0) or abs(e - e0) > GRID_TOLERANCE * abs(e0):
        raise InputError(f"{tile.path} has {abs(a):g} x {abs(e):g} pixels, {first.path} "
                         f"{abs(a0):g} x {abs(e0):g}: the tiles of a catalogue must share "
                         f"one pixel size (gdalwarp -tr to resample them)")


def _has_gaps(grid: Grid, tiles: Sequence[InputTile]) -> bool:
    """Whether some of the mosaic's rectangle lies in no tile.

    The tile edges cut the mosaic into cells (coordinate compression); every cell is
    either inside a tile or not, so a grid of a few hundred cells a side decides it.
    """
    cols = sorted({0, grid.width} | {t.window.col_off for t in tiles}
                  | {t.window.col_end for t in tiles})
    rows = sorted({0, grid.height} | {t.window.row_off for t in tiles}
                  | {t.window.row_end for t in tiles})
    covered = np.zeros((len(rows) - 1, len(cols) - 1), bool)
    col_index = {c: i for i, c in enumerate(cols)}
    row_index = {r: i for i, r in enumerate(rows)}
    for t in tiles:
        w = t.window
        covered[row_index[w.row_off]:row_index[w.row_end],
                col_index[w.col_off]:col_index[w.col_end]] = True
    return not bool(covered.all())

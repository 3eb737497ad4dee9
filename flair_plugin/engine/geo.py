"""Grid geometry, in one place: pixel windows, grids, bounds, same-grid tests, extents.

Every part of the engine that relates pixels to map coordinates (the inference's tiles,
the Sentinel-2 windows, the evaluation's alignment of two rasters) uses these helpers,
so a tolerance or an edge rule is decided once. rasterio's own helpers do the work where
they fit (``array_bounds``, ``transform_bounds``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from rasterio.crs import CRS
from rasterio.transform import Affine, array_bounds

from .errors import InputError

Bounds = Tuple[float, float, float, float]  # west, south, east, north


@dataclass(frozen=True)
class PixelWindow:
    """A rectangle of pixels: column/row offsets and sizes (half-open)."""

    col_off: int
    row_off: int
    width: int
    height: int

    @property
    def col_end(self) -> int:
        return self.col_off + self.width

    @property
    def row_end(self) -> int:
        return self.row_off + self.height

    @property
    def area(self) -> int:
        return self.width * self.height

    def intersection(self, other: "PixelWindow") -> Optional["PixelWindow"]:
        c0, r0 = max(self.col_off, other.col_off), max(self.row_off, other.row_off)
        c1, r1 = min(self.col_end, other.col_end), min(self.row_end, other.row_end)
        if c1 <= c0 or r1 <= r0:
            return None
        return PixelWindow(c0, r0, c1 - c0, r1 - r0)

    def relative_to(self, origin: "PixelWindow") -> "PixelWindow":
        """The same rectangle in the coordinates of ``origin``'s top-left corner."""
        return PixelWindow(self.col_off - origin.col_off, self.row_off - origin.row_off,
                           self.width, self.height)

    def slices(self) -> Tuple[slice, slice]:
        """(rows, cols) slices, for indexing an array laid out like the window's frame."""
        return slice(self.row_off, self.row_end), slice(self.col_off, self.col_end)


@dataclass(frozen=True)
class Grid:
    """A pixel grid: where and how big the pixels are."""

    crs: Optional[CRS]
    transform: Affine
    width: int
    height: int

    @property
    def pixel_size(self) -> Tuple[float, float]:
        return abs(self.transform.a), abs(self.transform.e)

    def window_transform(self, window: PixelWindow) -> Affine:
        return self.transform * Affine.translation(window.col_off, window.row_off)

    @property
    def bounds(self) -> Bounds:
        return grid_bounds(self)

    def describe(self) -> str:
        """One line for messages: size, pixel size, origin, CRS."""
        crs = self.crs.to_string() if self.crs else "no CRS"
        return (f"{self.width}x{self.height} px of {self.pixel_size[0]:g} m at "
                f"({self.transform.c:g}, {self.transform.f:g}), {crs}")

    @classmethod
    def of(cls, dataset) -> "Grid":
        """The grid of an open rasterio dataset (or VRT)."""
        return cls(dataset.crs, dataset.transform, dataset.width, dataset.height)


def same_grid(a: Grid, b: Grid) -> bool:
    """Same size, CRS and transform, within a millionth of a pixel (float noise)."""
    tol = 1e-6 * max(abs(a.transform.a), abs(a.transform.e), 1e-12)
    return (a.width, a.height) == (b.width, b.height) and a.crs == b.crs and all(
        abs(x - y) <= tol for x, y in zip(tuple(a.transform)[:6], tuple(b.transform)[:6]))


def grid_bounds(g: Grid) -> Bounds:
    return array_bounds(g.height, g.width, g.transform)


def window_bounds(transform: Affine, window: PixelWindow) -> Bounds:
    """Map bounds of a pixel window of a grid with ``transform``."""
    return array_bounds(window.height, window.width,
                        transform * Affine.translation(window.col_off, window.row_off))


def overlaps(a: Grid, b: Grid) -> bool:
    """Whether two grids (any CRS) share some area."""
    from rasterio.warp import transform_bounds

    a_left, a_bottom, a_right, a_top = grid_bounds(a)
    left, bottom, right, top = transform_bounds(b.crs, a.crs, *grid_bounds(b))
    return left < a_right and right > a_left and bottom < a_top and top > a_bottom


def covers(outer: Bounds, inner: Bounds) -> bool:
    """Whether ``outer`` contains ``inner`` (same CRS), up to float noise."""
    tol = 1e-6 * max(abs(v) for v in outer + inner)
    return (inner[0] >= outer[0] - tol and inner[1] >= outer[1] - tol
            and inner[2] <= outer[2] + tol and inner[3] <= outer[3] + tol)


def window_around(grid: Grid, bounds: Bounds, margin_px: int) -> PixelWindow:
    """Pixel window of ``grid`` covering ``bounds`` plus a margin, clipped to the grid
    (at least one pixel), snapped outward."""
    t = grid.transform
    c0 = math.floor((bounds[0] - t.c) / t.a) - margin_px
    c1 = math.ceil((bounds[2] - t.c) / t.a) + margin_px
    r0 = math.floor((bounds[3] - t.f) / t.e) - margin_px
    r1 = math.ceil((bounds[1] - t.f) / t.e) + margin_px
    c0, r0 = max(c0, 0), max(r0, 0)
    c1, r1 = min(c1, grid.width), min(r1, grid.height)
    return PixelWindow(c0, r0, max(c1 - c0, 1), max(r1 - r0, 1))


def model_grid(grid: Grid, pixel_size: float) -> Grid:
    """The same bounds on pixels of the model's size (for ``resample_to_model``)."""
    t = grid.transform
    if t.e > 0:
        raise InputError("a south-up raster (positive row step) cannot be resampled; warp it "
                         "to a north-up grid first")
    width = max(1, int(round(grid.width * abs(t.a) / pixel_size)))
    height = max(1, int(round(grid.height * abs(t.e) / pixel_size)))
    return Grid(grid.crs, Affine(pixel_size, 0.0, t.c, 0.0, -pixel_size, t.f), width, height)


def window_from_extent(transform: Sequence[float], width: int, height: int,
                       extent: Sequence[float], crs_name: str = "the raster's CRS"
                       ) -> PixelWindow:
    """Pixel window covering ``extent`` (xmin, ymin, xmax, ymax), snapped outward and clipped.

    ``transform`` is an affine (a, b, c, d, e, f) without rotation. Snapping outward keeps
    every pixel the extent touches; a tolerance of 1e-6 pixel stops an extent drawn exactly
    on pixel edges from growing by a pixel through floating-point noise.
    """
    if len(extent) != 4:
        raise InputError(f"extent needs 4 numbers xmin,ymin,xmax,ymax; got {extent!r}")
    xmin, ymin, xmax, ymax = (float(v) for v in extent)
    if not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)) or xmin >= xmax \
            or ymin >= ymax:
        raise InputError(f"extent {extent!r} is not a rectangle: it needs xmin < xmax and "
                         f"ymin < ymax (xmin,ymin,xmax,ymax in {crs_name})")
    a, b, c, d, e, f = (float(v) for v in tuple(transform)[:6])
    if b != 0.0 or d != 0.0:
        raise InputError("the raster's geotransform is rotated; extents on rotated rasters "
                         "are not supported: warp the raster to a north-up grid first")
    cols = sorted(((xmin - c) / a, (xmax - c) / a))
    rows = sorted(((ymin - f) / e, (ymax - f) / e))
    tol = 1e-6
    c0, c1 = math.floor(cols[0] + tol), math.ceil(cols[1] - tol)
    r0, r1 = math.floor(rows[0] + tol), math.ceil(rows[1] - tol)
    c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, width), min(r1, height)
    if c1 <= c0 or r1 <= r0:
        bounds = _bounds(a, c, e, f, width, height)
        raise InputError(f"extent ({xmin}, {ymin}, {xmax}, {ymax}) lies outside the raster, "
                         f"whose bounds are ({bounds[0]}, {bounds[1]}, {bounds[2]}, "
                         f"{bounds[3]}) in {crs_name}: give an extent in the raster's CRS "
                         f"that overlaps it")
    return PixelWindow(c0, r0, c1 - c0, r1 - r0)


def _bounds(a: float, c: float, e: float, f: float, width: int, height: int
            ) -> Tuple[float, float, float, float]:
    xs = (c, c + a * width)
    ys = (f, f + e * height)
    return min(xs), min(ys), max(xs), max(ys)

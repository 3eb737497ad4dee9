"""Where to look first: error hot spots on a grid of square cells, and polygon layers.

:class:`HotspotGrid` follows an evaluation block by block (it is a *sink* of
:func:`.rasters.evaluate_rasters`): per cell of ``cell_size`` map units it counts the
compared and the wrong pixels and the (predicted, annotated) pairs, and keeps only a
summary of each finished row of cells, so memory holds one band of cells, not the grid.
The cells are written to a GeoPackage sorted worst first (error rate, then wrong area):
a photo-interpreter opens the attribute table and zooms to the first rows.

The GeoPackage is written with OGR under a temporary name and renamed at the end
(:func:`..io.atomic.atomic_path`): a failed run leaves nothing.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Union

import numpy as np

from ...nomenclature import Scheme
from ..errors import InputError
from ..geo import Grid, PixelWindow
from ..io.atomic import atomic_path
from .vectors import pixel_area_m2

PathLike = Union[str, os.PathLike]

MIN_CELL_PIXELS = 8
"""A cell narrower than this many pixels scores too few pixels to say anything."""

HOTSPOT_FIELDS = ("rank", "error_rate", "wrong_ha", "compared_ha", "wrong_px", "compared_px",
                  "confusion", "confusion_ha", "predicted", "annotated", "col", "row")


@dataclass(frozen=True)
class Cell:
    """One cell's summary. ``confusion``: the largest (predicted, annotated) pair."""

    col: int
    row: int
    compared: int
    wrong: int
    predicted: int  # entry index, -1 when nothing is wrong
    annotated: int
    confusion_px: int

    @property
    def error_rate(self) -> float:
        return self.wrong / self.compared if self.compared else 0.0


class HotspotGrid:
    """Per-cell error counts of one evaluation (see the module doc).

    Args:
        cell_size: the side of a cell in the prediction's map units (metres in
            Lambert-93); rounded to whole pixels.

    Raises:
        InputError: a cell size that is not positive.
    """

    def __init__(self, cell_size: float) -> None:
        if not cell_size or cell_size <= 0 or not math.isfinite(cell_size):
            raise InputError(f"the hot-spot cell size must be a positive distance, got "
                             f"{cell_size!r}")
        self.cell_size = float(cell_size)
        self.cells: List[Cell] = []
        self._open: Dict[int, np.ndarray] = {}  # cell row -> (cells across, K*K) counts

    def start(self, grid: Grid, scheme: Scheme) -> None:
        """Called before the first block: the evaluated grid and the report scheme.

        Raises:
            InputError: a cell smaller than :data:`MIN_CELL_PIXELS` pixels.
        """
        self.grid, self.scheme = grid, scheme
        self.k = len(scheme.entries)
        pixel = abs(grid.transform.a)
        self.cell_px = int(round(self.cell_size / pixel))
        if self.cell_px < MIN_CELL_PIXELS:
            raise InputError(f"a hot-spot cell of {self.cell_size:g} map units is "
                             f"{self.cell_size / pixel:.1f} pixels wide; give at least "
                             f"{MIN_CELL_PIXELS * pixel:g} ({MIN_CELL_PIXELS} pixels)")
        self.cols = math.ceil(grid.width / self.cell_px)
        self.rows = math.ceil(grid.height / self.cell_px)
        self.pixel_area = pixel_area_m2(grid)

    def add(self, window: PixelWindow, ref: np.ndarray, pred: np.ndarray) -> None:
        """Count one block: entry indices of reference and prediction, -1 not compared."""
        ok = (ref >= 0) & (pred >= 0)
        rows, cols = np.nonzero(ok)
        if rows.size:
            cy = (rows + window.row_off) // self.cell_px
            cx = (cols + window.col_off) // self.cell_px
            pair = ref[ok].astype(np.int64) * self.k + pred[ok]
            kk = self.k * self.k
            for row in np.unique(cy).tolist():
                sel = cy == row
                counts = np.bincount(cx[sel] * kk + pair[sel], minlength=self.cols * kk)
                acc = self._open.get(row)
                if acc is None:
                    acc = self._open[row] = np.zeros(self.cols * kk, np.int64)
                acc += counts
        # rows of cells that no later block reaches are final (blocks come row by row)
        done_below = (window.row_off + window.height) // self.cell_px
        if window.col_off + window.width >= self.grid.width:
            for row in [r for r in self._open if r < done_below]:
                self._flush(row)

    def _flush(self, row: int) -> None:
        counts = self._open.pop(row).reshape(self.cols, self.k, self.k)
        for col in np.flatnonzero(counts.sum(axis=(1, 2))).tolist():
            m = counts[col]
            off = m.copy()
            np.fill_diagonal(off, 0)
            wrong = int(off.sum())
            r, p = np.unravel_index(int(np.argmax(off)), off.shape) if wrong else (-1, -1)
            self.cells.append(Cell(col, row, int(m.sum()), wrong, int(p), int(r),
                                   int(off[r, p]) if wrong else 0))

    def finish(self) -> List[Cell]:
        """Every cell with compared pixels, worst first (error rate, then wrong pixels)."""
        for row in sorted(self._open):
            self._flush(row)
        self.cells.sort(key=lambda c: (-c.error_rate, -c.wrong, c.row, c.col))
        return self.cells

    def cell_bounds(self, cell: Cell):
        """(xmin, ymin, xmax, ymax) of a cell, clipped to the evaluated grid."""
        t = self.grid.transform
        c0, r0 = cell.col * self.cell_px, cell.row * self.cell_px
        c1 = min(c0 + self.cell_px, self.grid.width)
        r1 = min(r0 + self.cell_px, self.grid.height)
        xs = (t.c + t.a * c0, t.c + t.a * c1)
        ys = (t.f + t.e * r0, t.f + t.e * r1)
        return min(xs), min(ys), max(xs), max(ys)

    def write(self, path: PathLike, overwrite: bool = False) -> str:
        """The cells as a GeoPackage of polygons, worst first (see :data:`HOTSPOT_FIELDS`).

        Raises:
            OutputExistsError: ``path`` exists and ``overwrite`` is False.
        """
        from .vectors import ogr_modules

        gdal, ogr, osr = ogr_modules()
        cells = self.finish()
        ha = self.pixel_area / 10_000.0
        names = [e.name for e in self.scheme.entries]
        path = os.fspath(path)
        with atomic_path(path, overwrite=overwrite) as temp:
            ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(temp))
            srs = None
            if self.grid.crs is not None:
                srs = osr.SpatialReference()
                srs.ImportFromWkt(self.grid.crs.to_wkt())
            layer = ds.CreateLayer("hotspots", srs, ogr.wkbPolygon)
            kinds = {"rank": ogr.OFTInteger, "error_rate": ogr.OFTReal,
                     "wrong_ha": ogr.OFTReal, "compared_ha": ogr.OFTReal,
                     "wrong_px": ogr.OFTInteger64, "compared_px": ogr.OFTInteger64,
                     "confusion": ogr.OFTString, "confusion_ha": ogr.OFTReal,
                     "predicted": ogr.OFTString, "annotated": ogr.OFTString,
                     "col": ogr.OFTInteger, "row": ogr.OFTInteger}
            for name in HOTSPOT_FIELDS:
                layer.CreateField(ogr.FieldDefn(name, kinds[name]))
            ds.StartTransaction()
            for rank, cell in enumerate(cells, start=1):
                f = ogr.Feature(layer.GetLayerDefn())
                f.SetField("rank", rank)
                f.SetField("error_rate", 100.0 * cell.error_rate)
                if ha:  # unknown in a geographic CRS: left NULL rather than a false 0
                    f.SetField("wrong_ha", cell.wrong * ha)
                    f.SetField("compared_ha", cell.compared * ha)
                f.SetField("wrong_px", cell.wrong)
                f.SetField("compared_px", cell.compared)
                if cell.wrong:
                    f.SetField("confusion", f"predicted {names[cell.predicted]} / annotated "
                                            f"{names[cell.annotated]}")
                    if ha:
                        f.SetField("confusion_ha", cell.confusion_px * ha)
                    f.SetField("predicted", names[cell.predicted])
                    f.SetField("annotated", names[cell.annotated])
                f.SetField("col", cell.col)
                f.SetField("row", cell.row)
                x0, y0, x1, y1 = self.cell_bounds(cell)
                f.SetGeometry(ogr.CreateGeometryFromWkt(
                    f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"))
                layer.CreateFeature(f)
            ds.CommitTransaction()
            ds = None  # closes and flushes the file before the rename
        return path


def hotspot_summary(cells: List[Cell], top: int = 5) -> Optional[str]:
    """A line naming how many cells hold errors and the worst one's rate."""
    wrong = [c for c in cells if c.wrong]
    if not wrong:
        return None
    worst = cells[0]
    return (f"hot spots: {len(wrong)} of {len(cells)} cells hold errors; the worst, cell "
            f"({worst.col}, {worst.row}), is {100 * worst.error_rate:.1f} % wrong")

"""Writing the results: tiled, compressed GeoTIFFs committed atomically at the end.

:class:`OutputSet` writes every raster of a run under a hidden temporary name beside its
final path and moves them into place only when the whole run succeeded: a failed or
cancelled run leaves nothing behind, and a file the user did not allow to be replaced
is never replaced (:mod:`.atomic`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import rasterio
from rasterio.windows import Window

from ...nomenclature import CLASSES, NODATA
from ..errors import InputError
from ..geo import Grid, PixelWindow
from .atomic import commit, discard, temp_path_for

PathLike = Union[str, os.PathLike]


@dataclass(frozen=True)
class OutputTarget:
    """One raster to write: where, how many bands, their names, nodata, colour table."""

    path: str
    count: int = 1
    descriptions: Tuple[str, ...] = ()
    nodata: Optional[int] = NODATA
    colormap: bool = False


def check_output_paths(outputs: Sequence[Optional[PathLike]], inputs: Sequence[str],
                       overwrite: bool) -> None:
    """Refuse outputs that would overwrite a user file, an input, or each other."""
    seen = set()
    input_paths = {os.path.realpath(p) for p in inputs}
    for out in outputs:
        if out is None:
            continue
        path = os.path.realpath(os.fspath(out))
        if path in input_paths:
            raise InputError(f"output {out} is one of the inputs: choose another output name")
        if path in seen:
            raise InputError(f"output {out} is given twice: the class, probability and "
                             f"confidence rasters need different names")
        seen.add(path)
        folder = os.path.dirname(path)
        if not os.path.isdir(folder):
            raise InputError(f"output folder {folder} does not exist: create it or choose "
                             f"another output path")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise InputError(f"output folder {folder} is not writable: choose a folder you "
                             f"can write to")
        if os.path.isdir(path):
            raise InputError(f"output {out} is a folder: give a file name such as "
                             f"{os.path.join(os.fspath(out), 'prediction.tif')}")
        if os.path.exists(path) and not overwrite:
            raise InputError(f"output {out} already exists: delete it, choose another name or "
                             f"allow overwriting (overwrite=True / --overwrite)")


def gtiff_block_size(block: int) -> int:
    """The largest GeoTIFF tile size (≤ 512, multiple of 16) dividing the block size."""
    for size in (512, 256, 128, 64, 32, 16):
        if block % size == 0:
            return size
    return 16


class OutputSet:
    """The rasters of one run, written under temporary names and renamed at the end.

    Temporary files sit next to their final path (same file system, so the rename is
    atomic) as hidden ``.<name>.<random>.part`` files. :meth:`commit` renames them into
    place; :meth:`abort` deletes them: a failed or cancelled run leaves nothing behind.
    """

    def __init__(self, grid: Grid, targets: Sequence[OutputTarget], block: int,
                 overwrite: bool = False) -> None:
        self.targets = list(targets)
        self.grid = grid
        self.overwrite = overwrite
        self.temp_paths: List[str] = []
        self.datasets: List[rasterio.io.DatasetWriter] = []
        size = gtiff_block_size(block)
        try:
            for target in self.targets:
                final = os.path.realpath(target.path)
                temp = os.fspath(temp_path_for(final))
                self.temp_paths.append(temp)
                self.datasets.append(self._create(temp, target, size))
        except BaseException:
            self.abort()
            raise

    def _create(self, path: str, target: OutputTarget, size: int):
        profile = dict(driver="GTiff", width=self.grid.width, height=self.grid.height,
                       count=target.count, dtype="uint8", crs=self.grid.crs,
                       transform=self.grid.transform, nodata=target.nodata, tiled=True,
                       blockxsize=size, blockysize=size, compress="deflate", predictor=2,
                       bigtiff="IF_SAFER", sparse_ok=True,
                       interleave="band" if target.count > 1 else "pixel")
        try:
            ds = rasterio.open(path, "w", **profile)
        except rasterio.errors.RasterioIOError as exc:
            raise InputError(f"cannot create {target.path}: {exc}") from None
        for i, text in enumerate(target.descriptions, start=1):
            ds.set_band_description(i, text)
        if target.colormap:
            table = {NODATA: (0, 0, 0, 0)}
            table.update({c.code: c.rgb + (255,) for c in CLASSES})
            ds.write_colormap(1, table)
        return ds

    def write(self, index: int, window: PixelWindow, data: np.ndarray) -> None:
        """Write bands × rows × cols (or rows × cols) ``data`` of target ``index``."""
        if data.ndim == 2:
            data = data[None]
        self.datasets[index].write(data, window=Window(window.col_off, window.row_off,
                                                       window.width, window.height))

    def _close_all(self) -> None:
        while self.datasets:
            self.datasets.pop().close()

    def commit(self) -> None:
        """Close the files and move them into place (replacing what overwrite allowed)."""
        self._close_all()
        for temp, target in zip(self.temp_paths, self.targets):
            final = os.path.realpath(target.path)
            # Overviews and .aux.xml statistics of a replaced file describe the old content.
            for stale in (final + ".ovr", final + ".aux.xml"):
                if os.path.exists(stale):
                    os.remove(stale)
            commit(temp, final, overwrite=self.overwrite)
        self.temp_paths = []

    def abort(self) -> None:
        """Close and delete the temporary files; never raises for a file already gone."""
        try:
            self._close_all()
        finally:
            for temp in self.temp_paths:
                discard(temp)
                discard(temp + ".aux.xml")
            self.temp_paths = []

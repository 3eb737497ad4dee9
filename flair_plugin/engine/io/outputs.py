"""Writing the results: tiled, compressed GeoTIFFs committed atomically at the end.

:class:`OutputSet` writes every raster of a run under a hidden temporary name beside its
final path and moves them into place only when the whole run succeeded: a failed or
cancelled run leaves nothing behind, and a file the user did not allow to be replaced
is never replaced (:mod:`.atomic`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List, Optional, Sequence, Set, Tuple, Union

import numpy as np
import rasterio
from rasterio.windows import Window

from ...nomenclature import CLASSES, NODATA
from ..errors import (
    InputError,
    OutputExistsError,
    OutputWriteError,
    io_error_detail,
    not_utf8_message,
)
from ..geo import Grid, PixelWindow
from .atomic import (
    commit,
    discard,
    exists_error,
    remove_stale_temporaries,
    temp_path_for,
)

PathLike = Union[str, os.PathLike]


@dataclass(frozen=True)
class OutputTarget:
    """One raster to write: where, how many bands, their names, nodata, colour table."""

    path: str
    count: int = 1
    descriptions: Tuple[str, ...] = ()
    nodata: Optional[int] = NODATA
    colormap: bool = False
    dtype: str = "uint8"  # uint16 for values past 255 (the confusion pairs)


GEOTIFF_SUFFIXES = (".tif", ".tiff")


def check_output_paths(outputs: Sequence[Optional[PathLike]], inputs: Sequence[PathLike],
                       overwrite: bool, *, geotiffs: Sequence[Optional[PathLike]] = ()
                       ) -> None:
    """The one check of output paths, before any work, for every command and algorithm.

    Refused: an output that *is* an input (the same file under any name: symbolic or
    hard link), even with ``overwrite``, since a run must never destroy what it reads;
    the same output twice; a missing or read-only folder; a folder; an existing file
    without ``overwrite``; a raster that would be a GeoTIFF under another extension.
    Temporary files that interrupted runs left for these outputs are removed on the way
    (:func:`.atomic.remove_stale_temporaries`).

    Args:
        outputs: every file the run will write (None: not asked for); derived files too
            (the CSV beside a metrics JSON).
        inputs: every file the run reads: rasters, model, reference, dataset files,
            Sentinel-2 series, dates files (missing ones are skipped: their own check
            says they are missing).
        overwrite: whether existing outputs may be replaced.
        geotiffs: the outputs that are GeoTIFF rasters (their name must say so).

    Raises:
        InputError: the first problem found, with what to do.
    """
    for path in list(outputs) + list(inputs):
        if path is not None:
            check_encodable(path)
    seen = set()
    protected = _identities(inputs)
    geotiff_paths = {os.path.realpath(os.fspath(p)) for p in geotiffs if p is not None}
    for out in outputs:
        if out is None:
            continue
        path = os.path.realpath(os.fspath(out))
        if path in seen:
            raise InputError(f"output {out} is given twice: every output needs its own name")
        seen.add(path)
        if _identity(path) in protected:
            raise InputError(f"output {out} is one of the inputs of this run: an output never "
                             f"replaces an input, even when overwriting is allowed; choose "
                             f"another output name")
        if path in geotiff_paths and not path.lower().endswith(GEOTIFF_SUFFIXES):
            raise InputError(f"output {out} is written as a GeoTIFF: give it a .tif name (its "
                             f"extension would otherwise lie about its format)")
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
        if os.path.lexists(path) and not overwrite:
            raise InputError(f"output {out} already exists: delete it, choose another name or "
                             f"allow overwriting (overwrite=True / --overwrite)")
        remove_stale_temporaries(path)


def check_encodable(path: PathLike) -> None:
    """Refuse a path GDAL and safetensors cannot open: one whose name is not UTF-8 text.

    Python keeps undecodable bytes of a file name (a folder named in Latin-1) as
    surrogates; GDAL and safetensors take UTF-8 names only and would fail deep inside.

    Raises:
        InputError: naming the path.
    """
    text = os.fsdecode(os.fspath(path))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(not_utf8_message(text)) from None


def _identity(path: PathLike) -> Optional[Tuple]:
    """(device, inode) of an existing file: the same file under every name it has (its
    resolved path where the file system numbers no inodes, e.g. FAT on Windows)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if st.st_ino else ("path", os.path.realpath(path))


def _identities(paths: Sequence[PathLike]) -> set:
    found = {_identity(p) for p in paths if p is not None}
    found.discard(None)
    return found


def gtiff_block_size(block: int) -> int:
    """The largest GeoTIFF tile size (≤ 512, multiple of 16) dividing the block size."""
    for size in (512, 256, 128, 64, 32, 16):
        if block % size == 0:
            return size
    return 16


class OutputSet:
    """The rasters of one run, written under temporary names and renamed at the end.

    Temporary files sit next to their final path (same file system, so the rename is
    atomic) as hidden ``.<name>.<host>-<pid>-<random>.part.tif`` files. :meth:`commit`
    closes them, verifies that every block holding data is in the file (GDAL only prints
    an error when the disk fills up as it flushes its cache at close: the file would look
    whole and hold holes), and renames them into place; :meth:`abort` deletes them. A
    failed or cancelled run, or a full disk, leaves nothing behind.
    """

    def __init__(self, grid: Grid, targets: Sequence[OutputTarget], block: int,
                 overwrite: bool = False) -> None:
        self.targets = list(targets)
        self.grid = grid
        self.overwrite = overwrite
        self.temp_paths: List[str] = []
        self.datasets: List[rasterio.io.DatasetWriter] = []
        self.tile = gtiff_block_size(block)
        # per target: the (band, tile row, tile col) holding data, which GDAL must write
        # (sparse files omit the others: all nodata, or all 0 without a nodata value)
        self._filled: List[Set[Tuple[int, int, int]]] = []
        try:
            for target in self.targets:
                final = os.path.realpath(target.path)
                temp = os.fspath(temp_path_for(final))
                self.temp_paths.append(temp)
                self._filled.append(set())
                self.datasets.append(self._create(temp, target, self.tile))
        except BaseException:
            self.abort()
            raise

    def _create(self, path: str, target: OutputTarget, size: int):
        profile = dict(driver="GTiff", width=self.grid.width, height=self.grid.height,
                       count=target.count, dtype=target.dtype, crs=self.grid.crs,
                       transform=self.grid.transform, nodata=target.nodata, tiled=True,
                       blockxsize=size, blockysize=size, compress="deflate", predictor=2,
                       bigtiff="IF_SAFER", sparse_ok=True,
                       interleave="band" if target.count > 1 else "pixel")
        try:
            ds = rasterio.open(path, "w", **profile)
        except rasterio.errors.RasterioIOError as exc:
            raise InputError(f"cannot create {target.path}: {io_error_detail(exc)}") from None
        for i, text in enumerate(target.descriptions, start=1):
            ds.set_band_description(i, text)
        if target.colormap:
            table = {NODATA: (0, 0, 0, 0)}
            table.update({c.code: c.rgb + (255,) for c in CLASSES})
            ds.write_colormap(1, table)
        return ds

    def write(self, index: int, window: PixelWindow, data: np.ndarray) -> None:
        """Write bands × rows × cols (or rows × cols) ``data`` of target ``index``.

        Raises:
            OutputWriteError: GDAL could not write (disk full...); names the output.
        """
        if data.ndim == 2:
            data = data[None]
        try:
            self.datasets[index].write(data, window=Window(window.col_off, window.row_off,
                                                           window.width, window.height))
        except rasterio.errors.RasterioIOError as exc:
            raise self._write_error(index, exc) from None
        self._note_filled(index, window, data)

    def _note_filled(self, index: int, window: PixelWindow, data: np.ndarray) -> None:
        empty = self.targets[index].nodata or 0
        size, filled = self.tile, self._filled[index]
        for ty in range(window.row_off // size, (window.row_end - 1) // size + 1):
            rows = slice(max(ty * size, window.row_off) - window.row_off,
                         min((ty + 1) * size, window.row_end) - window.row_off)
            for tx in range(window.col_off // size, (window.col_end - 1) // size + 1):
                cols = slice(max(tx * size, window.col_off) - window.col_off,
                             min((tx + 1) * size, window.col_end) - window.col_off)
                part = data[:, rows, cols]
                for band in np.flatnonzero((part != empty).any(axis=(1, 2))):
                    filled.add((int(band) + 1, ty, tx))

    def _write_error(self, index: int, exc: BaseException) -> OutputWriteError:
        return OutputWriteError(f"cannot write {self.targets[index].path}: "
                                f"{io_error_detail(exc)} (is the disk full?); nothing was "
                                f"left under its name")

    def _close_all(self) -> None:
        while self.datasets:
            self.datasets.pop().close()

    def verify(self, index: int, path: str) -> None:
        """Check that the closed file at ``path`` holds every block target ``index`` wrote.

        Raises:
            OutputWriteError: a block with data is missing or lies past the end of the
                file (the disk filled up while GDAL flushed its cache at close).
        """
        target = self.targets[index]
        size = os.path.getsize(path)
        try:
            with rasterio.open(path) as ds:
                shape_ok = (ds.count, ds.height, ds.width) == (
                    target.count, self.grid.height, self.grid.width)
                missing = 0
                for band, ty, tx in self._filled[index]:
                    offset = ds.get_tag_item(f"BLOCK_OFFSET_{tx}_{ty}", "TIFF", bidx=band)
                    length = ds.get_tag_item(f"BLOCK_SIZE_{tx}_{ty}", "TIFF", bidx=band)
                    if not offset or not length or int(offset) + int(length) > size:
                        missing += 1
        except rasterio.errors.RasterioError as exc:
            raise self._write_error(index, exc) from None
        if not shape_ok or missing:
            what = (f"{missing} of its {len(self._filled[index])} blocks with data are not "
                    f"in the file" if missing else "its header is damaged")
            raise OutputWriteError(f"{target.path} could not be written whole ({what}: is "
                                   f"the disk full? {size} bytes were written); nothing was "
                                   f"left under its name")

    def commit(self) -> None:
        """Close, verify and move the files into place (replacing what overwrite allowed).

        Raises:
            OutputWriteError: a file could not be written whole; nothing is renamed.
            OutputExistsError: without overwrite, a final name appeared meanwhile.
        """
        try:
            self._close_all()
        except rasterio.errors.RasterioIOError as exc:
            raise self._write_error(0, exc) from None
        for index, temp in enumerate(self.temp_paths):  # every file whole before any rename
            self.verify(index, temp)
        if not self.overwrite:  # a run's rasters go in together: none if one name is taken
            for target in self.targets:
                if os.path.lexists(os.path.realpath(target.path)):
                    raise exists_error(target.path, "appeared while it was being written")
        for temp, target in zip(self.temp_paths, self.targets):
            final = os.path.realpath(target.path)
            # Overviews and .aux.xml statistics of a replaced file describe the old content.
            for stale in (final + ".ovr", final + ".aux.xml"):
                if os.path.exists(stale):
                    os.remove(stale)
            try:
                commit(temp, final, overwrite=self.overwrite)
            except OutputExistsError:
                raise
            except OSError as exc:
                raise OutputWriteError(f"cannot write {target.path}: {io_error_detail(exc)}; "
                                       f"nothing was left under its name") from None
            discard(temp + ".aux.xml")
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

"""The end of a catalogue job: one mosaic over the output tiles, its overviews, its style.

``landcover.vrt`` reads every class tile as one raster (relative paths: the output folder
can be moved whole), with external overviews (``landcover.vrt.ovr``, nearest neighbour:
classes are never averaged) so QGIS draws a département at any scale, and the FLAIR style
beside it (``landcover.qml``). Optional rasters get their own VRT. On request the class
mosaic is also copied into one Cloud Optimized GeoTIFF (``landcover.tif``). Every file is
written under a temporary name and renamed when whole (:mod:`..io.atomic`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence

import rasterio
from rasterio.enums import Resampling
from rasterio.shutil import copy as rasterio_copy

from ..io.atomic import commit, discard, temp_path_for
from .sources import catalogue_of
from .vrt import VrtSource, write_vrt
from .worker import OUTPUT_FOLDERS, JobSpec

OVERVIEW_MIN_SIZE = 256
"""Overviews are built down to about this many pixels on the longer side."""


def assemble(spec: JobSpec, names: Sequence[str], codes: Sequence[int], *,
             name: str, overviews: bool = True, cog: bool = False,
             warn: Callable[[str], None] = print) -> Dict[str, Path]:
    """Write the mosaics of a finished job.

    Args:
        spec: the job (its folder and which rasters it wrote).
        names: the output tiles to assemble (all finished).
        codes: the FLAIR codes the model predicts (the style's legend).
        name: the mosaics' base name (``landcover`` -> ``landcover.vrt``).
        overviews: build the class mosaic's overviews.
        cog: also write the class mosaic as one Cloud Optimized GeoTIFF.
        warn: where a style that could not be written is reported.

    Returns:
        ``{"classes": vrt, "probabilities": vrt, "confidence": vrt, "cog": tif}``, the
        ones written.
    """
    from ...styling.qml import StyleExistsError, write_sidecar

    folder = Path(spec.folder)
    written: Dict[str, Path] = {}
    for index, file in enumerate(spec.files(names[0])):
        kind = file.split("/")[0]
        paths = [folder / spec.files(n)[index] for n in names]
        suffix = "" if kind == OUTPUT_FOLDERS[0] else f".{kind}"
        target = folder / f"{name}{suffix}.vrt"
        write_tile_mosaic(paths, target, overviews and kind == OUTPUT_FOLDERS[0])
        written["classes" if kind == OUTPUT_FOLDERS[0] else kind] = target
    classes = written["classes"]
    targets = [classes]
    if cog:
        written["cog"] = _write_cog(classes, folder / f"{name}.tif")
        targets.append(written["cog"])
    for target in targets:
        try:
            write_sidecar(target, "flair19", codes=codes)
        except (StyleExistsError, OSError) as error:
            warn(f"could not write the style beside {target}: {error}")
    return written


def write_tile_mosaic(paths: Sequence[Path], target: Path, overviews: bool) -> None:
    """A VRT over ``paths`` (on one grid), with its overviews, committed together.

    Args:
        paths: the output tiles (their colour table and band names are the first one's).
        target: the ``.vrt``; its overviews go to ``<target>.ovr``.
        overviews: build them (nearest neighbour); without, stale ones are removed.

    Raises:
        InputError: the tiles are not on one pixel grid.
    """
    mosaic = catalogue_of(paths)
    with rasterio.open(paths[0]) as first:
        colormap = _colormap(first)
        descriptions = [d or "" for d in first.descriptions]
    temp = temp_path_for(target)
    overview = Path(f"{temp}.ovr")
    try:
        write_vrt(temp, mosaic.grid, [VrtSource(t.path, t.window, t.block_shape)
                                      for t in mosaic.tiles],
                  count=mosaic.count, dtype=mosaic.dtype, nodata=mosaic.nodata,
                  colormap=colormap, descriptions=descriptions, relative=True)
        factors = overview_factors(mosaic.grid.width, mosaic.grid.height) if overviews else []
        if factors:
            with rasterio.open(temp, "r+") as ds:
                ds.build_overviews(factors, Resampling.nearest)
            commit(overview, f"{target}.ovr")
        elif os.path.exists(f"{target}.ovr"):  # overviews of an older mosaic: now wrong
            os.remove(f"{target}.ovr")
        commit(temp, target)
    except BaseException:
        discard(overview)
        discard(temp)
        raise


def overview_factors(width: int, height: int) -> list:
    """2, 4, 8... until the longer side is about :data:`OVERVIEW_MIN_SIZE` pixels."""
    factors, factor = [], 2
    while max(width, height) / factor >= OVERVIEW_MIN_SIZE and factor <= 2 ** 16:
        factors.append(factor)
        factor *= 2
    return factors


def _colormap(dataset) -> Optional[dict]:
    try:
        return dataset.colormap(1)
    except ValueError:  # no colour table: a probability or confidence raster
        return None


def _write_cog(source: Path, target: Path) -> Path:
    temp = temp_path_for(target)
    try:
        rasterio_copy(source, temp, driver="COG", COMPRESS="DEFLATE", PREDICTOR="2",
                      BIGTIFF="IF_SAFER", RESAMPLING="NEAREST", NUM_THREADS="ALL_CPUS")
        commit(temp, target)
    except BaseException:
        discard(temp)
        raise
    return target

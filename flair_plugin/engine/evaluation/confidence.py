"""Where the model was unsure: low-confidence regions as polygons, largest first.

From the confidence raster a segmentation writes (max class probability × 255, 0 = no
data), the pixels below a threshold become a mask, written block by block to a temporary
GeoTIFF; GDAL's polygoniser then traces its connected regions (8-connected) scan line by
scan line, so memory follows the raster's width, not its area. Regions smaller than a
minimum area are dropped (isolated unsure pixels along every class edge say nothing);
the others are written to a GeoPackage with their area and mean confidence, largest
first, under a temporary name renamed at the end.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Callable, List, Optional, Union

import numpy as np
import rasterio
from rasterio.windows import Window

from ...nomenclature import scheme as scheme_by_key
from .. import options
from ..errors import EvaluationCancelled, InputError
from ..geo import Grid, PixelWindow
from ..io.atomic import atomic_path, discard, temp_path_for
from ..io.outputs import check_output_paths
from .vectors import PolygonRasteriser, ogr_modules, pixel_area_m2

PathLike = Union[str, os.PathLike]
Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]

CONFIDENCE_SCALE = 255  # the segmentation writes max probability × 255


@dataclass
class LowConfidenceResult:
    path: str
    regions: int  # written (at least the minimum area)
    dropped: int  # smaller than the minimum area
    area_ha: float  # of the regions written


def low_confidence_regions(confidence_path: PathLike, output_path: PathLike, *,
                           threshold: float = options.LOW_CONFIDENCE_THRESHOLD,
                           min_area: float = options.LOW_CONFIDENCE_MIN_AREA,
                           block: int = 1024, overwrite: bool = False,
                           progress: Optional[Progress] = None,
                           cancel: Optional[Cancel] = None) -> LowConfidenceResult:
    """Polygons of the connected regions whose confidence is below ``threshold``.

    Args:
        confidence_path: a confidence raster (uint8, max probability × 255; its nodata
            value, 0 by default, is not a region).
        output_path: the GeoPackage to write (``.gpkg``).
        threshold: the confidence (0..1) below which a pixel is unsure.
        min_area: the smallest region kept, in squared map units (m²).
        block: pixels per side read at once.

    Raises:
        InputError: a bad threshold, area, path or raster, before any work.
        EvaluationCancelled: on request; nothing is left behind.
    """
    if not 0.0 < threshold <= 1.0:
        raise InputError(f"the confidence threshold is a probability in (0, 1], got "
                         f"{threshold!r}")
    if not (min_area >= 0 and math.isfinite(min_area)):
        raise InputError(f"the minimum area must be 0 or more, got {min_area!r}")
    output_path = os.fspath(output_path)
    if not output_path.lower().endswith(".gpkg"):
        raise InputError(f"{output_path}: the regions are written as a GeoPackage; give a "
                         f".gpkg name")
    check_output_paths([output_path], [confidence_path], overwrite)
    gdal, ogr, osr = ogr_modules()
    limit = int(math.ceil(threshold * CONFIDENCE_SCALE))  # value < limit: unsure
    mask_path = os.fspath(temp_path_for(output_path + ".mask.tif"))
    scratch = os.fspath(temp_path_for(output_path + ".regions.gpkg"))
    try:
        with rasterio.open(confidence_path) as src:
            if src.dtypes[0] not in ("uint8", "uint16"):
                raise InputError(f"{confidence_path} holds {src.dtypes[0]} values; a "
                                 f"confidence raster from the segmentation holds uint8")
            grid = Grid.of(src)
            if grid.crs is not None and not pixel_area_m2(grid):
                raise InputError(f"{confidence_path} is in {grid.crs.to_string()}, whose "
                                 f"units are not metres: region areas would be wrong; "
                                 f"reproject it to a projected CRS (e.g. EPSG:2154)")
            nodata = 0 if src.nodata is None else src.nodata
            profile = dict(driver="GTiff", width=src.width, height=src.height, count=1,
                           dtype="uint8", crs=src.crs, transform=src.transform, tiled=True,
                           blockxsize=256, blockysize=256, compress="deflate", nodata=0)
            windows = [PixelWindow(c, r, min(block, src.width - c), min(block, src.height - r))
                       for r in range(0, src.height, block) for c in range(0, src.width, block)]
            with rasterio.open(mask_path, "w", **profile) as dst:
                for done, w in enumerate(windows, start=1):
                    if cancel is not None and cancel():
                        raise EvaluationCancelled("low-confidence regions cancelled")
                    rw = Window(w.col_off, w.row_off, w.width, w.height)
                    conf = src.read(1, window=rw)
                    unsure = (conf < limit) & (conf != nodata)
                    dst.write(unsure.astype(np.uint8), 1, window=rw)
                    if progress is not None:
                        progress(0.5 * done / len(windows), f"mask block {done}/{len(windows)}")
        mask = gdal.Open(mask_path)
        band = mask.GetRasterBand(1)
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(scratch)
        srs = None
        if grid.crs is not None:
            srs = osr.SpatialReference()
            srs.ImportFromWkt(grid.crs.to_wkt())
        layer = ds.CreateLayer("regions", srs, ogr.wkbPolygon)
        layer.CreateField(ogr.FieldDefn("v", ogr.OFTInteger))
        ds.StartTransaction()
        gdal.Polygonize(band, band, layer, 0, ["8CONNECTED=8"])
        ds.CommitTransaction()
        mask = band = None
        kept, dropped = [], 0
        for feature in layer:
            geometry = feature.GetGeometryRef()
            area = geometry.GetArea()
            if area >= min_area:
                kept.append((area, feature.GetFID()))
            else:
                dropped += 1
        kept.sort(key=lambda a: (-a[0], a[1]))
        means = _mean_confidence(scratch, grid, confidence_path, kept, nodata, block)
        with atomic_path(output_path, overwrite=overwrite) as temp:
            out_ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(temp))
            out = out_ds.CreateLayer("low_confidence", srs, ogr.wkbPolygon)
            for name, kind in (("rank", ogr.OFTInteger), ("area_ha", ogr.OFTReal),
                               ("mean_confidence", ogr.OFTReal)):
                out.CreateField(ogr.FieldDefn(name, kind))
            out_ds.StartTransaction()
            for rank, (area, fid) in enumerate(kept, start=1):
                f = ogr.Feature(out.GetLayerDefn())
                f.SetField("rank", rank)
                f.SetField("area_ha", area / 10_000.0)
                if means.get(fid) is not None:
                    f.SetField("mean_confidence", 100.0 * means[fid])
                source = layer.GetFeature(fid)  # owns the geometry: keep it alive
                f.SetGeometry(source.GetGeometryRef())
                out.CreateFeature(f)
            out_ds.CommitTransaction()
            out_ds = None
        ds = layer = None
        if progress is not None:
            progress(1.0, f"{len(kept)} regions")
        return LowConfidenceResult(output_path, len(kept), dropped,
                                   sum(a for a, _ in kept) / 10_000.0)
    finally:
        discard(mask_path)
        discard(scratch)


def _mean_confidence(regions_path: str, grid: Grid, confidence_path: PathLike,
                     kept: List[tuple], nodata: float, block: int) -> dict:
    """fid -> mean confidence (0..1) of each kept region, from one more pass."""
    if not kept:
        return {}
    # no class is read: any scheme does
    reader = PolygonRasteriser(regions_path, "", grid, scheme_by_key("flair19"),
                               count_only=True)
    try:
        fids, _ = reader.polygon_index()
        wanted = {fid for _, fid in kept}
        sums = np.zeros(len(fids), np.float64)
        counts = np.zeros(len(fids), np.int64)
        with rasterio.open(confidence_path) as src:
            for r in range(0, grid.height, block):
                for c in range(0, grid.width, block):
                    w = PixelWindow(c, r, min(block, grid.width - c), min(block, grid.height - r))
                    index, _ = reader.burn_index(w)
                    inside = index >= 0
                    if not inside.any():
                        continue
                    conf = src.read(1, window=Window(c, r, w.width, w.height))
                    inside &= conf != nodata
                    np.add.at(sums, index[inside], conf[inside].astype(np.float64))
                    np.add.at(counts, index[inside], 1)
    finally:
        reader.close()
    return {int(fid): (sums[i] / counts[i] / CONFIDENCE_SCALE if counts[i] else None)
            for i, fid in enumerate(fids.tolist()) if fid in wanted}


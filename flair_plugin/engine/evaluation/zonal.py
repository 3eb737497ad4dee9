"""Statistics of a land-cover raster per polygon of any layer (parcels, the annotation).

For each polygon: the hectares of every predicted class inside it, the majority class and
its share, and, when the polygon carries a class (a field, through a mapping table to
FLAIR codes as for a reference), the share of its pixels predicted as that class: the
*agreement*. The output GeoPackage keeps each polygon's geometry and its source feature
id, sorted worst agreement first (largest polygons first without a class field), so the
parcels that disagree come first in the attribute table.

The raster is read block by block; each block burns the polygons that touch it (spatial
filter, reprojected to the raster's CRS) as polygon numbers and counts (polygon, class)
pairs. Memory: the polygons' counters (4 bytes × classes per polygon, 80 MB for a
million polygons) and one block. A pixel under two polygons is counted for the last one
burnt; such pixels are counted and reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, List, Optional, Union

import numpy as np
import rasterio

from ...nomenclature import CLASSES, NODATA
from ...nomenclature import scheme as scheme_by_key
from ..errors import EvaluationCancelled, InputError
from ..geo import Grid, PixelWindow
from ..io.atomic import atomic_path
from ..io.outputs import check_output_paths
from .vectors import (
    ClassMapping,
    PolygonRasteriser,
    ogr_modules,
    pixel_area_m2,
    split_layer,
)

PathLike = Union[str, os.PathLike]
Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]

_K = len(CLASSES) + 1  # column 0: no data / not a class; 1..19: FLAIR codes


@dataclass
class ZonalResult:
    """What :func:`polygon_statistics` wrote and what it found."""

    path: str
    polygons: int
    polygons_with_pixels: int
    pixels_overlap: int
    mean_agreement: Optional[float]  # area-weighted, over polygons with a class
    notes: List[str]


def _pred_codes(scheme_key: str) -> np.ndarray:
    """Raster value -> FLAIR code (0 for no data and values outside the scheme)."""
    s = scheme_by_key(scheme_key)
    table = np.zeros(256, np.int16)
    for e in s.entries:
        table[e.value] = e.codes[0]
    if NODATA not in s.values:
        table[NODATA] = 0
    return table


def polygon_statistics(prediction_path: PathLike, polygons_path: PathLike,
                       output_path: PathLike, *, class_field: Optional[str] = None,
                       mapping: Optional[ClassMapping] = None,
                       class_scheme: str = "flair19", prediction_scheme: str = "flair19",
                       layer: Optional[str] = None, band: int = 1, block: int = 1024,
                       overwrite: bool = False, progress: Optional[Progress] = None,
                       cancel: Optional[Cancel] = None) -> ZonalResult:
    """Per-polygon statistics of a land-cover raster, written to a GeoPackage.

    Args:
        prediction_path: the land-cover raster (``band``), values of ``prediction_scheme``.
        polygons_path: any polygon layer (``path|layername=x`` or ``layer``), any CRS.
        output_path: the GeoPackage to write (``.gpkg``).
        class_field: optional field holding each polygon's class: values of
            ``class_scheme`` (FLAIR codes by default) or, with ``mapping``, any values.
        block: pixels per side read at once.
        progress, cancel: as for the evaluation.

    Raises:
        InputError: a bad input, field, output path or scheme, before any work.
        EvaluationCancelled: on request; nothing is left behind.
    """
    output_path = os.fspath(output_path)
    if not output_path.lower().endswith(".gpkg"):
        raise InputError(f"{output_path}: the statistics are written as a GeoPackage; give "
                         f"a .gpkg name")
    check_output_paths([output_path], [prediction_path, split_layer(polygons_path)[0]],
                       overwrite)
    pred_table = _pred_codes(prediction_scheme)
    with rasterio.open(prediction_path) as src:
        grid = Grid.of(src)
        nodata = src.nodata
        reader = PolygonRasteriser(polygons_path, class_field or _first_field(polygons_path,
                                                                              layer),
                                   grid, scheme_by_key("flair19" if mapping else class_scheme),
                                   mapping=mapping, layer=layer, count_only=class_field is None)
        try:
            fids, codes = reader.polygon_index()
            n = len(fids)
            counts = np.zeros((n, _K), np.uint32)
            overlap = 0
            windows = list(_blocks(grid, block))
            for done, window in enumerate(windows, start=1):
                if cancel is not None and cancel():
                    raise EvaluationCancelled("polygon statistics cancelled")
                index, several = reader.burn_index(window)
                inside = index >= 0
                if inside.any():
                    values = src.read(band, window=rasterio.windows.Window(
                        window.col_off, window.row_off, window.width, window.height))
                    code = pred_table[np.clip(values, 0, 255)]
                    if nodata is not None:
                        code[values == nodata] = 0
                    keys = index[inside].astype(np.int64) * _K + code[inside]
                    uniq, c = np.unique(keys, return_counts=True)
                    np.add.at(counts.reshape(-1), uniq, c.astype(np.uint32))
                    overlap += int(several.sum())
                if progress is not None:
                    progress(done / len(windows), f"block {done}/{len(windows)}")
            area = pixel_area_m2(grid)
            result = _write(reader, fids, codes, counts, area, output_path, overwrite,
                            class_field is not None)
        finally:
            reader.close()
    notes = []
    if overlap:
        notes.append(f"{overlap:,} px lie under several polygons; each was counted for one "
                     f"of them only")
    result.pixels_overlap, result.notes = overlap, notes + reader.stats.notes(area)
    return result


def _first_field(path: PathLike, layer: Optional[str]) -> str:
    """Some field name for a layer read without a class (the rasteriser wants one)."""
    _, ogr, _ = ogr_modules()
    base = split_layer(path)[0]
    ds = ogr.Open(base)
    if ds is None:
        raise InputError(f"cannot read polygons {base}")
    lyr = ds.GetLayerByName(layer) if layer else ds.GetLayer(0)
    defn = lyr.GetLayerDefn()
    return defn.GetFieldDefn(0).GetName() if defn.GetFieldCount() else ""


def _blocks(grid: Grid, block: int):
    for r in range(0, grid.height, block):
        for c in range(0, grid.width, block):
            yield PixelWindow(c, r, min(block, grid.width - c), min(block, grid.height - r))


def _write(reader: PolygonRasteriser, fids: np.ndarray, codes: np.ndarray,
           counts: np.ndarray, area_m2: float, path: str, overwrite: bool,
           with_class: bool) -> ZonalResult:
    _, ogr, _ = ogr_modules()
    ha = area_m2 / 10_000.0
    total = counts[:, 1:].sum(axis=1).astype(np.int64)
    majority = np.argmax(counts[:, 1:], axis=1) + 1
    share = np.where(total > 0, counts[np.arange(len(fids)), majority] / np.maximum(total, 1),
                     0.0)
    has_class = codes > 0
    agreement = np.full(len(fids), np.nan)
    rows = np.flatnonzero(has_class & (total > 0))
    agreement[rows] = counts[rows, codes[rows]] / total[rows]
    if with_class:
        # worst agreement first; polygons without a class or pixels last
        order = np.lexsort((-total, np.where(np.isnan(agreement), 2.0, agreement)))
    else:
        order = np.argsort(-total, kind="stable")
    present = [c for c in range(1, _K) if counts[:, c].any()]
    src = reader.layer
    with atomic_path(path, overwrite=overwrite) as temp:
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(temp))
        out = ds.CreateLayer("polygon_statistics", src.GetSpatialRef(), ogr.wkbMultiPolygon)
        fields = [("source_fid", ogr.OFTInteger64), ("rank", ogr.OFTInteger)]
        if with_class:
            fields += [("class_value", ogr.OFTString), ("class_name", ogr.OFTString),
                       ("agreement", ogr.OFTReal)]
        fields += [("majority", ogr.OFTString), ("majority_share", ogr.OFTReal),
                   ("area_ha", ogr.OFTReal)]
        fields += [(_ha_field(c), ogr.OFTReal) for c in present]
        for name, kind in fields:
            out.CreateField(ogr.FieldDefn(name, kind))
        ds.StartTransaction()
        for rank, i in enumerate(order.tolist(), start=1):
            feature = src.GetFeature(int(fids[i]))
            f = ogr.Feature(out.GetLayerDefn())
            f.SetField("source_fid", int(fids[i]))
            f.SetField("rank", rank)
            if with_class:
                raw = feature.GetField(reader.field_index)
                f.SetField("class_value", "" if raw is None else str(raw))
                if codes[i] > 0:
                    f.SetField("class_name", CLASSES[codes[i] - 1].name)
                if not np.isnan(agreement[i]):
                    f.SetField("agreement", 100.0 * float(agreement[i]))
            if total[i]:
                f.SetField("majority", CLASSES[majority[i] - 1].name)
                f.SetField("majority_share", 100.0 * float(share[i]))
            if ha:  # unknown in a geographic CRS: left NULL rather than a false 0
                f.SetField("area_ha", float(total[i]) * ha)
                for c in present:
                    f.SetField(_ha_field(c), float(counts[i, c]) * ha)
            geometry = feature.GetGeometryRef()
            if geometry is not None:
                f.SetGeometry(ogr.ForceToMultiPolygon(geometry.Clone()))
            out.CreateFeature(f)
        ds.CommitTransaction()
        ds = None  # closes and flushes the file before the rename
    weights = total[rows]
    mean = float((agreement[rows] * weights).sum() / weights.sum()) if weights.sum() else None
    return ZonalResult(path, len(fids), int((total > 0).sum()), 0, mean, [])


def _ha_field(code: int) -> str:
    return "ha_" + CLASSES[code - 1].name.replace(" ", "_")


"""Small polygon layers for tests, written with OGR (GDAL's own vector library)."""

from pathlib import Path
from typing import Iterable, Optional, Sequence, Tuple

import numpy as np
from osgeo import ogr, osr

ogr.UseExceptions()
osr.UseExceptions()


def srs_of(epsg: int) -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def rectangle(x0: float, y0: float, x1: float, y1: float) -> ogr.Geometry:
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)):
        ring.AddPoint_2D(x, y)
    poly = ogr.Geometry(ogr.wkbPolygon)
    poly.AddGeometry(ring)
    return poly


def pixel_rectangle(origin: Tuple[float, float], pixel: float, col0: int, row0: int,
                    col1: int, row1: int) -> ogr.Geometry:
    """The polygon covering pixels [col0, col1) × [row0, row1) of a north-up grid."""
    x, y = origin
    return rectangle(x + col0 * pixel, y - row1 * pixel, x + col1 * pixel, y - row0 * pixel)


def write_polygons(path: Path, features: Iterable[Tuple[ogr.Geometry, dict]],
                   fields: Sequence[Tuple[str, int]], epsg: Optional[int] = 2154,
                   source_epsg: int = 2154, layer: str = "annotation") -> Path:
    """A GeoPackage of polygons; geometries given in ``source_epsg``, stored in ``epsg``
    (reprojected vertex by vertex)."""
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = srs_of(epsg) if epsg else None
    lyr = ds.CreateLayer(layer, srs, ogr.wkbPolygon)
    for name, kind in fields:
        lyr.CreateField(ogr.FieldDefn(name, kind))
    transform = None
    if epsg and epsg != source_epsg:
        transform = osr.CoordinateTransformation(srs_of(source_epsg), srs)
    for geometry, attrs in features:
        feature = ogr.Feature(lyr.GetLayerDefn())
        for key, value in attrs.items():
            feature.SetField(key, value)
        geometry = geometry.Clone()
        if transform is not None:
            geometry.Segmentize(1.0)  # keep edges straight in the source CRS
            geometry.Transform(transform)
        feature.SetGeometry(geometry)
        lyr.CreateFeature(feature)
    ds = None
    return path


# ------------------------------------------------------------------ a known confusion
# A prediction and polygons whose confusion the tests compute with numpy alone.

PIXEL = 0.5  # m: 1 pixel = 0.25 m²
H, W = 80, 100

# (col0, row0, col1, row1, class value in the user's nomenclature)
RECTS = [
    (0, 0, 60, 40, "CS1.1.1.1"),    # building
    (60, 0, 100, 40, "CS1.1.1.2"),  # impervious surface
    (0, 50, 50, 80, "CS2.2.1"),     # herbaceous vegetation
    (50, 50, 100, 80, "XX9"),       # not in the table
    (40, 30, 60, 50, "CS1.1.1.2"),  # overlaps the building: a conflict on rows 30..39
    (70, 10, 80, 20, "CS1.1.1.2"),  # overlaps the impervious one: same class
]
TABLE = "value;flair_code\nCS1.1.1.1;1\nCS1.1.1.2;impervious surface\nCS2.2.1;10\nCS3;\n"
CODE = {"CS1.1.1.1": 1, "CS1.1.1.2": 3, "CS2.2.1": 10}


def prediction_array() -> np.ndarray:
    pred = np.full((H, W), 3, np.uint8)  # impervious everywhere...
    pred[:, :30] = 1  # ...building on the left
    pred[60:, :] = 10  # herbaceous at the bottom
    pred[0:5, 90:] = 5  # a little water
    return pred


def expected_reference():
    """(reference codes, compared mask, conflict pixels, unmapped pixels)."""
    count = np.zeros((H, W), np.int32)
    for c0, r0, c1, r1, _ in RECTS:
        count[r0:r1, c0:c1] += 1
    ref = np.zeros((H, W), np.int32)
    seen = [[set() for _ in range(W)] for _ in range(H)]
    for c0, r0, c1, r1, v in RECTS:
        for r in range(r0, r1):
            for c in range(c0, c1):
                seen[r][c].add(v)
    conflict = np.array([[len(s) > 1 for s in row] for row in seen])
    unmapped = np.array([[len(s) == 1 and "XX9" in s for s in row] for row in seen])
    for r in range(H):
        for c in range(W):
            s = seen[r][c]
            if len(s) == 1 and next(iter(s)) in CODE:
                ref[r, c] = CODE[next(iter(s))]
    return ref, ref > 0, int(conflict.sum()), int(unmapped.sum()), int((count > 1).sum())


def independent_confusion(pred, ref, compared):
    cm = np.zeros((19, 19), np.int64)
    for r, p in zip(ref[compared], pred[compared]):
        cm[r - 1, p - 1] += 1
    return cm



"""Small polygon layers for tests, written with OGR (GDAL's own vector library)."""

from pathlib import Path
from typing import Iterable, Optional, Sequence, Tuple

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

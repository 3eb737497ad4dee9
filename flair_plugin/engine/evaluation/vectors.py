"""Polygon annotations read as a class raster on the prediction grid, block by block.

Photo-interpreters annotate with polygons carrying a class field in *their* nomenclature
(OCS GE, a regional land-use map...). :class:`.mapping.ClassMapping` maps those values to
FLAIR codes through a table the user edits (a CSV, or rows from a QGIS table layer);
without a table the field must hold values of a class scheme (FLAIR codes by default).
The same rasteriser burns polygon numbers (per-polygon statistics, :mod:`.zonal`) and
areas of interest (:func:`mask_outside_area`, the evaluation's area mask).

:class:`PolygonRasteriser` burns the polygons of one block of the prediction grid at a
time: the block's bounds select the polygons through the layer's spatial index (OGR
spatial filter), their geometries are reprojected to the prediction's CRS and burnt in
memory with GDAL's rasteriser (pixel-centre rule). Memory is bounded by the block and the
polygons touching it, never by the layer or the raster.

Nothing is dropped silently; per block it also tells, and :class:`PolygonStats` sums up:

* pixels covered by two or more polygons of the **same** class (kept, counted);
* pixels covered by polygons of **different** classes: a conflict the annotation must
  resolve; not compared, counted;
* pixels of polygons whose value the table does not map (counted per value, with the
  number of polygons), and of polygons the table excludes on purpose (code left empty
  or 0): not compared.

Uses GDAL/OGR's Python bindings (``osgeo``), imported when a vector reference is used:
rasterio has no vector reader, and they ship with QGIS and every GDAL install.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from rasterio.crs import CRS
from rasterio.warp import transform_bounds

from ...nomenclature import Scheme
from ...nomenclature import scheme as scheme_by_key
from ..errors import InputError
from ..geo import Grid, PixelWindow
from .mapping import EXCLUDED, ClassMapping, value_key

PathLike = Union[str, os.PathLike]


VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".sqlite", ".gml", ".kml",
                   ".tab", ".mif", ".gdb")

INDEXED_COPY_MIN_POLYGONS = 1000
"""A layer without a fast spatial filter (a Shapefile without its .qix...) holding more
polygons than this is copied once to a temporary, spatially indexed GeoPackage: else
every block would scan the whole layer."""

# Burn ids of the values the table does not map: far above any class value (0..255).
_UNMAPPED_BASE = 1000
_EXCLUDED_ID = 999


def ogr_modules():
    """GDAL's ``gdal``, ``ogr`` and ``osr`` modules, raising exceptions.

    Raises:
        InputError: the bindings are not installed, with how to install them.
    """
    try:
        from osgeo import gdal, ogr, osr
    except ImportError:
        raise InputError("reading polygon annotations needs GDAL's Python bindings "
                         "(osgeo): run it from QGIS, or install them (apt install "
                         "python3-gdal, or pip install gdal)") from None
    gdal.UseExceptions()
    ogr.UseExceptions()
    osr.UseExceptions()
    return gdal, ogr, osr


def is_vector_path(path: PathLike) -> bool:
    """True for a file that is read as polygons (by its extension, or a ``path|layer``)."""
    text = os.fspath(path)
    return "|layername=" in text or text.lower().endswith(VECTOR_SUFFIXES)


def split_layer(path: PathLike) -> Tuple[str, Optional[str]]:
    """``'x.gpkg|layername=parcels'`` (QGIS's source string) -> ``('x.gpkg', 'parcels')``."""
    text = os.fspath(path)
    base, _, rest = text.partition("|")
    layer = None
    for part in rest.split("|") if rest else ():
        key, _, value = part.partition("=")
        if key == "layername":
            layer = value
    return base, layer


# --------------------------------------------------------------------------- statistics

@dataclass
class PolygonStats:
    """What the polygons held, in pixels of the prediction grid (and polygons)."""

    polygons: int = 0  # polygons touching the evaluated area
    pixels_annotated: int = 0  # covered by at least one polygon
    pixels_overlap_same_class: int = 0  # kept: the classes agree
    pixels_conflict: int = 0  # different classes overlap: not compared
    pixels_excluded: int = 0  # values the table leaves out on purpose
    unmapped_polygons: Dict[str, int] = field(default_factory=dict)  # value -> polygons
    unmapped_pixels: Dict[str, int] = field(default_factory=dict)  # value -> pixels
    excluded_polygons: int = 0

    def to_dict(self, pixel_area_m2: float) -> Dict[str, object]:
        ha = pixel_area_m2 / 10_000.0
        return {
            "polygons": self.polygons, "pixels_annotated": self.pixels_annotated,
            "hectares_annotated": round(self.pixels_annotated * ha, 6),
            "pixels_overlap_same_class": self.pixels_overlap_same_class,
            "pixels_conflict": self.pixels_conflict,
            "hectares_conflict": round(self.pixels_conflict * ha, 6),
            "pixels_excluded": self.pixels_excluded,
            "polygons_excluded": self.excluded_polygons,
            "unmapped": {v: {"polygons": self.unmapped_polygons.get(v, 0),
                             "pixels": self.unmapped_pixels.get(v, 0)}
                         for v in sorted(set(self.unmapped_polygons) | set(self.unmapped_pixels))},
        }

    def notes(self, pixel_area_m2: float) -> List[str]:
        """One line per thing the user should know, in hectares."""
        ha = pixel_area_m2 / 10_000.0
        out = []
        if self.pixels_conflict:
            out.append(f"annotation: {self.pixels_conflict:,} px ({self.pixels_conflict * ha:.4f}"
                       f" ha) lie under overlapping polygons of different classes; not "
                       f"compared: fix the overlaps in the annotation")
        if self.pixels_overlap_same_class:
            out.append(f"annotation: {self.pixels_overlap_same_class:,} px lie under "
                       f"overlapping polygons of the same class (compared once)")
        if self.unmapped_polygons:
            listed = ", ".join(f"{v!s}: {n} polygon(s), {self.unmapped_pixels.get(v, 0):,} px"
                               for v, n in sorted(self.unmapped_polygons.items())[:12])
            out.append(f"annotation: class values not in the mapping table (not compared): "
                       f"{listed}; add them to the table")
        if self.excluded_polygons:
            out.append(f"annotation: {self.excluded_polygons} polygon(s) left out by the "
                       f"mapping table ({self.pixels_excluded:,} px)")
        return out


# --------------------------------------------------------------------------- rasteriser

class PolygonRasteriser:
    """Polygons of one layer burnt as class values on windows of a prediction grid.

    Args:
        path: a vector file (GeoPackage, Shapefile...), optionally ``path|layername=x``.
        class_field: the attribute holding each polygon's class.
        grid: the prediction grid (CRS, transform, size) the values are burnt on.
        scheme: what the burnt values mean: with a ``mapping`` FLAIR codes (the
            ``flair19`` scheme), else values of this scheme read from the field.
        mapping: values of the field -> FLAIR codes; None when the field holds values of
            ``scheme`` already.
        layer: a layer name of a multi-layer file (default: the one in ``path`` or the
            first).
        region: the pixel window that will be read (bounds the pre-scan of the layer).
        count_only: the polygons' classes are not needed (statistics of a layer without
            a class field): no polygon needs a usable value.

    Raises:
        InputError: a missing file, layer or field, a layer without polygons or CRS (when
            the grid has one), a layer that does not overlap the grid, or no polygon
            holding a usable value.
    """

    def __init__(self, path: PathLike, class_field: str, grid: Grid, scheme: Scheme, *,
                 mapping: Optional[ClassMapping] = None, layer: Optional[str] = None,
                 region: Optional[PixelWindow] = None, count_only: bool = False) -> None:
        self.gdal, self.ogr, self.osr = ogr_modules()
        self.path, layer_in_path = split_layer(path)
        self.layer_name = layer or layer_in_path
        self.class_field, self.grid, self.scheme, self.mapping = (class_field, grid, scheme,
                                                                  mapping)
        self.stats = PolygonStats()
        self.count_only = count_only
        self._unmapped_ids: Dict[str, int] = {}
        if not os.path.exists(self.path):
            raise InputError(f"annotation {self.path} does not exist")
        try:
            self.ds = self.ogr.Open(self.path)
        except RuntimeError as exc:
            raise InputError(f"cannot read annotation {self.path} as polygons: {exc}") from None
        if self.ds is None:
            raise InputError(f"cannot read annotation {self.path} as polygons")
        self.layer = self._layer()
        self._scratch: Optional[str] = None
        if (not self.layer.TestCapability(self.ogr.OLCFastSpatialFilter)
                and self.layer.GetFeatureCount() > INDEXED_COPY_MIN_POLYGONS):
            self._indexed_copy()
        try:
            self._check_field()
            self._setup_transform()
            self.region = region or PixelWindow(0, 0, grid.width, grid.height)
            self._prescan()
        except BaseException:
            self.close()  # the indexed copy, if any, goes with it
            raise

    def _indexed_copy(self) -> None:
        """Read the layer from a spatially indexed GeoPackage copy (see
        :data:`INDEXED_COPY_MIN_POLYGONS`); the copy goes at :meth:`close`."""
        import shutil
        import tempfile

        folder = tempfile.mkdtemp(prefix="flair-polygons-")
        copy = os.path.join(folder, "polygons.gpkg")
        name = self.layer.GetName()
        try:
            self.gdal.VectorTranslate(copy, self.path, format="GPKG", layers=[name],
                                      layerName=name)
            ds = self.ogr.Open(copy)
        except RuntimeError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise InputError(f"cannot index the polygons of {self.path} for reading: "
                             f"{exc}") from None
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self.ds, self.layer, self._scratch = ds, ds.GetLayerByName(name), folder

    # ------------------------------------------------------------------ checks

    def _layer(self):
        if self.layer_name:
            layer = self.ds.GetLayerByName(self.layer_name)
            if layer is None:
                names = [self.ds.GetLayer(i).GetName() for i in range(self.ds.GetLayerCount())]
                raise InputError(f"annotation {self.path} has no layer {self.layer_name!r}; "
                                 f"its layers: {', '.join(names)}")
            return layer
        if self.ds.GetLayerCount() == 0:
            raise InputError(f"annotation {self.path} holds no layer")
        return self.ds.GetLayer(0)

    def _check_field(self) -> None:
        defn = self.layer.GetLayerDefn()
        names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
        self.field_index = -1
        if self.count_only and not self.class_field:
            self._field_index = -1
            return self._check_geometry()
        if self.class_field not in names:
            raise InputError(f"annotation {self.path} has no field {self.class_field!r}; "
                             f"its fields: {', '.join(names) or 'none'}: choose the field "
                             f"holding the class")
        self._field_index = self.field_index = names.index(self.class_field)
        self._check_geometry()

    def _check_geometry(self) -> None:
        flat = self.ogr.GT_Flatten(self.layer.GetGeomType())
        if flat not in (self.ogr.wkbPolygon, self.ogr.wkbMultiPolygon, self.ogr.wkbUnknown,
                        self.ogr.wkbCurvePolygon, self.ogr.wkbMultiSurface):
            raise InputError(f"annotation {self.path} holds "
                             f"{self.ogr.GeometryTypeToName(flat).lower()} geometries; an "
                             f"annotation is made of polygons")

    def _setup_transform(self) -> None:
        srs = self.layer.GetSpatialRef()
        self.transform = None
        self.layer_crs = None
        if (srs is None) != (self.grid.crs is None):
            lacks = "the annotation" if srs is None else "the prediction"
            raise InputError(f"{lacks} has no CRS, so the polygons cannot be placed on the "
                             f"prediction: assign the right CRS to it (e.g. EPSG:2154)")
        if srs is None:
            return
        srs.SetAxisMappingStrategy(self.osr.OAMS_TRADITIONAL_GIS_ORDER)
        target = self.osr.SpatialReference()
        target.ImportFromWkt(self.grid.crs.to_wkt())
        target.SetAxisMappingStrategy(self.osr.OAMS_TRADITIONAL_GIS_ORDER)
        self.layer_crs = CRS.from_wkt(srs.ExportToWkt())
        self.target_wkt = target.ExportToWkt()
        if not srs.IsSame(target):
            self.transform = self.osr.CoordinateTransformation(srs, target)

    @property
    def reprojected(self) -> bool:
        return self.transform is not None

    def _filter(self, window: PixelWindow) -> None:
        west, south, east, north = _window_bounds(self.grid, window)
        if self.transform is not None:
            west, south, east, north = transform_bounds(self.grid.crs, self.layer_crs, west,
                                                        south, east, north, densify_pts=21)
        self.layer.SetSpatialFilterRect(west, south, east, north)

    def _prescan(self) -> None:
        """Count the polygons and their unmapped values once, attributes only, before any
        block is read: a table that maps nothing fails here, not after a whole run."""
        self._filter(self.region)
        self.layer.ResetReading()
        usable = 0
        for feature in self.layer:
            self.stats.polygons += 1
            if self._field_index < 0:
                continue
            code = self._value_of(feature.GetField(self._field_index))
            if code is None:
                key = value_key(feature.GetField(self._field_index)) or "NULL"
                self.stats.unmapped_polygons[key] = self.stats.unmapped_polygons.get(key, 0) + 1
            elif code == _EXCLUDED_ID:
                self.stats.excluded_polygons += 1
            else:
                usable += 1
        self.layer.SetSpatialFilter(None)
        if self.stats.polygons == 0:
            raise InputError(f"annotation {self.path} has no polygon over the prediction: "
                             f"check the layer, its CRS and the extent")
        if usable == 0 and not self.count_only:
            found = ", ".join(sorted(self.stats.unmapped_polygons)[:12])
            how = ("add them to the mapping table" if self.mapping is not None else
                   f"the field {self.class_field!r} must hold values of scheme "
                   f"{self.scheme.key!r}, or give a mapping table")
            raise InputError(f"no polygon of {os.path.basename(self.path)} has a class value "
                             f"that can be compared (found: {found}); {how}")

    def _value_of(self, raw: object) -> Optional[int]:
        """The burn value of a field value: a scheme value, _EXCLUDED_ID, or None."""
        if raw is None:
            return None
        if self.mapping is not None:
            code = self.mapping.code(raw)
            if code is None:
                return None
            return _EXCLUDED_ID if code == EXCLUDED else self.scheme.value_of_code(code)
        key = value_key(raw)
        try:
            value = int(key)
        except (TypeError, ValueError):
            return None
        return value if value in self.scheme.values else None

    # ------------------------------------------------------------------ reading

    def read(self, window: PixelWindow, tally: bool = True
             ) -> Tuple[np.ndarray, np.ndarray]:
        """(values int32, compared bool) of ``window``: the class value of each pixel in
        the scheme, and whether it is compared (covered, mapped, no conflict). ``tally``:
        add the window to :attr:`stats` (False for a sample read).

        Raises:
            InputError: a polygon that cannot be reprojected to the prediction's CRS.
        """
        gdal, ogr = self.gdal, self.ogr
        mem, burn = self._burn_layer((("v", ogr.OFTInteger), ("v2", ogr.OFTReal)))
        self._filter(window)
        self.layer.ResetReading()
        n = 0
        for feature in self.layer:
            geometry = feature.GetGeometryRef()
            if geometry is None:
                continue
            raw = feature.GetField(self._field_index)
            value = self._value_of(raw)
            if value is None:
                key = value_key(raw) or "NULL"
                value = self._unmapped_ids.setdefault(key, _UNMAPPED_BASE +
                                                      len(self._unmapped_ids))
            # curves linearised, polygons as multipolygons: what the burn layer holds
            geometry = ogr.ForceToMultiPolygon(geometry.Clone())
            if self.transform is not None:
                try:
                    geometry.Transform(self.transform)
                except RuntimeError as exc:
                    raise InputError(f"a polygon of {self.path} (fid {feature.GetFID()}) "
                                     f"cannot be reprojected to the prediction's CRS: "
                                     f"{exc}") from None
            out = ogr.Feature(burn.GetLayerDefn())
            out.SetField("v", int(value))
            out.SetField("v2", float(value) * float(value))
            out.SetGeometryDirectly(geometry)
            burn.CreateFeature(out)
            n += 1
        self.layer.SetSpatialFilter(None)
        shape = (window.height, window.width)
        if n == 0:
            return np.zeros(shape, np.int32), np.zeros(shape, bool)
        raster = self._window_raster(window, 4)
        gdal.RasterizeLayer(raster, [1], burn, options=["ATTRIBUTE=v"])
        gdal.RasterizeLayer(raster, [2], burn, burn_values=[1], options=["MERGE_ALG=ADD"])
        values = raster.GetRasterBand(1).ReadAsArray()
        count = raster.GetRasterBand(2).ReadAsArray()
        covered = count > 0
        several = count > 1
        conflict = np.zeros(shape, bool)
        if several.any():
            # only where polygons overlap: all of them hold one value iff their variance
            # is 0 (sum and sum of squares burnt in two more passes)
            gdal.RasterizeLayer(raster, [3], burn, options=["ATTRIBUTE=v", "MERGE_ALG=ADD"])
            gdal.RasterizeLayer(raster, [4], burn, options=["ATTRIBUTE=v2", "MERGE_ALG=ADD"])
            total = raster.GetRasterBand(3).ReadAsArray()[several]
            squares = raster.GetRasterBand(4).ReadAsArray()[several]
            n = count[several]
            conflict[several] = squares / n - (total / n) ** 2 > 1e-6
        values = values.astype(np.int32)
        unmapped = covered & ~conflict & (values >= _UNMAPPED_BASE)
        excluded = covered & ~conflict & (values == _EXCLUDED_ID)
        compared = covered & ~conflict & ~unmapped & ~excluded
        if tally:
            self._count(values, covered, several, conflict, unmapped, excluded)
        values[~compared] = 0
        return values, compared

    def _count(self, values, covered, several, conflict, unmapped, excluded) -> None:
        s = self.stats
        s.pixels_annotated += int(covered.sum())
        s.pixels_conflict += int(conflict.sum())
        s.pixels_overlap_same_class += int((several & ~conflict).sum())
        s.pixels_excluded += int(excluded.sum())
        if unmapped.any():
            ids, counts = np.unique(values[unmapped], return_counts=True)
            names = {i: k for k, i in self._unmapped_ids.items()}
            for i, c in zip(ids.tolist(), counts.tolist()):
                key = names[int(i)]
                s.unmapped_pixels[key] = s.unmapped_pixels.get(key, 0) + int(c)

    def extent(self) -> Tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the polygons over the grid, in the grid's CRS."""
        self._filter(self.region)
        west, east, south, north = self.layer.GetExtent(force=1)
        self.layer.SetSpatialFilter(None)
        if self.transform is not None:
            west, south, east, north = transform_bounds(self.layer_crs, self.grid.crs, west,
                                                        south, east, north, densify_pts=21)
        return west, south, east, north

    def polygon_index(self) -> Tuple[np.ndarray, np.ndarray]:
        """(feature ids, FLAIR code or 0) of the polygons over the grid, in a fixed order:
        position ``i`` is what :meth:`burn_index` burns as ``i``."""
        self._filter(self.region)
        self.layer.ResetReading()
        fids, codes = [], []
        for feature in self.layer:
            fids.append(feature.GetFID())
            code = 0
            if self._field_index >= 0:
                value = self._value_of(feature.GetField(self._field_index))
                if value is not None and value != _EXCLUDED_ID:
                    code = self.scheme.entry(value).codes[0]
            codes.append(code)
        self.layer.SetSpatialFilter(None)
        self._position = {fid: i for i, fid in enumerate(fids)}
        return np.asarray(fids, np.int64), np.asarray(codes, np.int64)

    def _window_raster(self, window: PixelWindow, bands: int):
        """An in-memory float64 raster of ``bands`` bands on ``window`` of the prediction's
        grid, to burn the window's polygons into."""
        raster = self.gdal.GetDriverByName("MEM").Create("", window.width, window.height,
                                                         bands, self.gdal.GDT_Float64)
        t = self.grid.window_transform(window)
        raster.SetGeoTransform((t.c, t.a, t.b, t.f, t.d, t.e))
        if self.grid.crs is not None:
            raster.SetProjection(self.target_wkt)
        return raster

    def _burn_layer(self, fields):
        """An in-memory layer in the prediction's CRS to burn a window's polygons from
        (returned with its data source, which must outlive it)."""
        ogr = self.ogr
        mem = ogr.GetDriverByName("Memory").CreateDataSource("")
        srs = None
        if self.grid.crs is not None:
            srs = self.osr.SpatialReference()
            srs.ImportFromWkt(self.target_wkt)
        burn = mem.CreateLayer("b", srs, ogr.wkbMultiPolygon)
        for name, kind in fields:
            burn.CreateField(ogr.FieldDefn(name, kind))
        return mem, burn

    def burn_index(self, window: PixelWindow) -> Tuple[np.ndarray, np.ndarray]:
        """(polygon position, -1 outside every polygon; True where several overlap) of
        ``window``; positions as in :meth:`polygon_index`, which must be called first."""
        gdal, ogr = self.gdal, self.ogr
        mem, burn = self._burn_layer((("i", ogr.OFTReal),))
        self._filter(window)
        self.layer.ResetReading()
        n = 0
        for feature in self.layer:
            geometry = feature.GetGeometryRef()
            position = self._position.get(feature.GetFID())
            if geometry is None or position is None:
                continue
            # curves linearised, polygons as multipolygons: what the burn layer holds
            geometry = ogr.ForceToMultiPolygon(geometry.Clone())
            if self.transform is not None:
                geometry.Transform(self.transform)
            out = ogr.Feature(burn.GetLayerDefn())
            out.SetField("i", float(position + 1))
            out.SetGeometryDirectly(geometry)
            burn.CreateFeature(out)
            n += 1
        self.layer.SetSpatialFilter(None)
        shape = (window.height, window.width)
        if n == 0:
            return np.full(shape, -1, np.int64), np.zeros(shape, bool)
        raster = self._window_raster(window, 2)
        gdal.RasterizeLayer(raster, [1], burn, options=["ATTRIBUTE=i"])
        gdal.RasterizeLayer(raster, [2], burn, burn_values=[1], options=["MERGE_ALG=ADD"])
        data = raster.ReadAsArray()
        return data[0].astype(np.int64) - 1, data[1] > 1

    def close(self) -> None:
        self.layer = None
        self.ds = None
        if getattr(self, "_scratch", None):
            import shutil

            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


def _window_bounds(grid: Grid, window: PixelWindow) -> Tuple[float, float, float, float]:
    t = grid.window_transform(window)
    xs = (t.c, t.c + t.a * window.width)
    ys = (t.f, t.f + t.e * window.height)
    return min(xs), min(ys), max(xs), max(ys)


def pixel_area_m2(grid: Grid) -> float:
    """Area of one pixel of ``grid`` in m², 0 when unknown: a geographic CRS (degrees
    have no fixed area; figures then stay in pixels) or a CRS in other units."""
    crs = grid.crs
    if crs is not None and (crs.is_geographic or (crs.linear_units or "metre").lower()
                            not in ("metre", "meter", "m")):
        return 0.0
    return abs(grid.transform.a * grid.transform.e - grid.transform.b * grid.transform.d)


# --------------------------------------------------------------------------- areas

def area_extent(path: PathLike, grid: Grid, layer: Optional[str] = None
                ) -> Tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of the polygons of an area of interest in ``grid``'s CRS.

    Raises:
        InputError: no polygon over the grid, or an unreadable layer.
    """

    reader = PolygonRasteriser(path, "", grid, scheme_by_key("flair19"), layer=layer,
                               count_only=True)
    try:
        return reader.extent()
    finally:
        reader.close()


def area_extent_of_raster(area_path: PathLike, raster_path: PathLike,
                          layer: Optional[str] = None) -> Tuple[float, float, float, float]:
    """:func:`area_extent` on the grid of the raster at ``raster_path``.

    Raises:
        InputError: as :func:`area_extent`.
    """
    import rasterio

    with rasterio.open(raster_path) as src:
        grid = Grid.of(src)
    return area_extent(area_path, grid, layer)


def mask_outside_area(raster_paths: Sequence[PathLike], area_path: PathLike, *,
                      layer: Optional[str] = None, block: int = 1024) -> int:
    """Set every pixel outside the polygons of an area of interest to 0 (no data), in
    place, for rasters on one grid (a segmentation's outputs over the area's extent).

    Each raster is rewritten block by block under a temporary name and renamed over
    itself at the end (:class:`..io.outputs.OutputSet`): a failure leaves it as it was.
    Returns the pixels set to no data (the same in each raster of the grid).

    Raises:
        InputError: the polygons cannot be read or do not overlap the rasters.
    """
    import rasterio
    from rasterio.windows import Window

    from ..io.outputs import OutputSet, OutputTarget

    outside_total = 0
    for path in raster_paths:
        path = os.fspath(path)
        outputs = None
        try:
            with rasterio.open(path) as src:
                grid = Grid.of(src)
                reader = PolygonRasteriser(area_path, "", grid, scheme_by_key("flair19"),
                                           layer=layer, count_only=True)
                try:
                    reader.polygon_index()
                    target = OutputTarget(path, src.count,
                                          tuple(d or "" for d in src.descriptions),
                                          nodata=src.nodata, dtype=src.dtypes[0])
                    outputs = OutputSet(grid, [target], block, overwrite=True)
                    try:
                        colormap = src.colormap(1)
                    except ValueError:
                        colormap = None  # no colour table: nothing to carry over
                    if colormap:
                        outputs.datasets[0].write_colormap(1, colormap)
                    outside_total = 0
                    for r in range(0, grid.height, block):
                        for c in range(0, grid.width, block):
                            w = PixelWindow(c, r, min(block, grid.width - c),
                                            min(block, grid.height - r))
                            data = src.read(window=Window(c, r, w.width, w.height))
                            outside = reader.burn_index(w)[0] < 0
                            data[:, outside] = 0
                            outside_total += int(outside.sum())
                            outputs.write(0, w, data)
                finally:
                    reader.close()
            outputs.commit()  # after the source is closed: renamed over it
            outputs = None
        finally:
            if outputs is not None:
                outputs.abort()
    return outside_total

"""``flair:segmentaerial`` over a polygon area of interest: no data outside the polygons."""

import numpy as np
import processing
import rasterio
from helpers_models import our_checkpoint
from helpers_vectors import write_polygons
from osgeo import ogr
from qgis.core import QgsProcessingFeedback

from flair_landcover.synthetic.generator import write_mosaic


def test_segment_inside_a_triangle(flair_plugin, tmp_path):
    image = tmp_path / "area.tif"
    write_mosaic(image, tmp_path / "area_MSK.tif", 300, 240, seed=5)
    model = our_checkpoint(tmp_path / "tiny.flair.safetensors")
    with rasterio.open(image) as src:
        b, px = src.bounds, src.res[0]
    # a triangle over the left half, stored in WGS 84
    x0, x1 = b.left + 10 * px, b.left + 150 * px
    y0, y1 = b.bottom + 20 * px, b.top - 20 * px
    triangle = ogr.CreateGeometryFromWkt(
        f"POLYGON(({x0} {y0},{x1} {y0},{x0} {y1},{x0} {y0}))")
    gpkg = write_polygons(tmp_path / "commune.gpkg", [(triangle, {"n": "t"})],
                          [("n", ogr.OFTString)], epsg=4326)
    out = processing.run("flair:segmentaerial", {
        "INPUT": str(image), "MODEL": str(model), "AREA": str(gpkg), "BLOCK": 128,
        "HALO": 32, "OUTPUT": str(tmp_path / "lc.tif"),
        "OUTPUT_CONFIDENCE": str(tmp_path / "conf.tif")}, feedback=QgsProcessingFeedback())
    with rasterio.open(out["OUTPUT"]) as src:
        codes, t = src.read(1), src.transform
        assert src.colormap(1)[1][:3] == (0xdb, 0x0e, 0x9a)  # the class colours survive
    # about the triangle's bounding box, not the whole image
    assert 130 <= codes.shape[1] <= 150 and 190 <= codes.shape[0] <= 210
    rows, cols = np.mgrid[0:codes.shape[0], 0:codes.shape[1]]
    x = t.c + (cols + 0.5) * t.a
    y = t.f + (rows + 0.5) * t.e
    inside = (x >= x0) & (y >= y0) & ((x - x0) / (x1 - x0) + (y - y0) / (y1 - y0) <= 1)
    margin = 2 * px  # pixel centres near the edge: reprojection may tip either way
    deep = ((x >= x0 + margin) & (y >= y0 + margin)
            & ((x - x0) / (x1 - x0) + (y - y0) / (y1 - y0) <= 1 - margin / (x1 - x0)))
    outside = ~inside & ~((x >= x0 - margin) & (y >= y0 - margin)
                          & ((x - x0) / (x1 - x0) + (y - y0) / (y1 - y0)
                             <= 1 + margin / (x1 - x0)))
    assert (codes[outside] == 0).all() and outside.sum() > 1000
    assert (codes[deep] > 0).all()
    with rasterio.open(out["OUTPUT_CONFIDENCE"]) as src:
        conf = src.read(1)
    assert (conf[outside] == 0).all() and (conf[deep] > 0).all()

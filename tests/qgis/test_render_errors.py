"""The errors and confusion layers render over the imagery: correct pixels let it show."""

import os
from pathlib import Path

import numpy as np
import processing
from helpers_rasters import ORIGIN, write_raster
from helpers_vectors import PIXEL, RECTS, TABLE, pixel_rectangle, prediction_array, write_polygons
from osgeo import ogr
from qgis.core import QgsProcessingFeedback, QgsProject, QgsRasterLayer
from qgis.PyQt.QtGui import QImage

from flair_landcover.flair_plugin.styling.render import export_maps_png

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _imagery(path: Path, shape) -> Path:
    """An RGB 'orthophoto': a smooth brownish-green gradient with texture."""
    rng = np.random.default_rng(1)
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    base = np.stack([90 + cols, 110 + rows // 2, 70 + (rows + cols) // 4]).astype(float)
    base += rng.normal(0, 12, base.shape)
    return write_raster(path, np.clip(base, 0, 255).astype(np.uint8), pixel=PIXEL)


def _pixels(png: Path) -> np.ndarray:
    image = QImage(str(png)).convertToFormat(QImage.Format_RGB888)
    h, w = image.height(), image.width()
    return np.frombuffer(image.constBits().asstring(image.bytesPerLine() * h),
                         np.uint8).reshape(h, image.bytesPerLine())[:, :w * 3].reshape(h, w, 3)


def test_errors_over_imagery(flair_plugin, tmp_path):
    pred = write_raster(tmp_path / "pred.tif", prediction_array(), pixel=PIXEL)
    feats = [(pixel_rectangle(ORIGIN, PIXEL, c0, r0, c1, r1), {"cs": v})
             for c0, r0, c1, r1, v in RECTS]
    gpkg = write_polygons(tmp_path / "annotation.gpkg", feats, [("cs", ogr.OFTString)])
    (tmp_path / "table.csv").write_text(TABLE)
    processing.run("flair:evaluate", {
        "PREDICTION": str(pred), "REFERENCE_POLYGONS": str(gpkg), "REFERENCE_FIELD": "cs",
        "MAPPING": str(tmp_path / "table.csv"), "OUTPUT_REPORT": str(tmp_path / "r.html"),
        "OUTPUT_ERRORS": str(tmp_path / "errors.tif"),
        "OUTPUT_CONFUSION": str(tmp_path / "confusion.tif")}, feedback=QgsProcessingFeedback())
    imagery = QgsRasterLayer(str(_imagery(tmp_path / "ortho.tif", (80, 100))), "imagery")
    errors = QgsRasterLayer(str(tmp_path / "errors.tif"), "errors")
    confusion = QgsRasterLayer(str(tmp_path / "confusion.tif"), "confusion")
    project = QgsProject.instance()
    project.addMapLayers([imagery, errors, confusion])
    out = Path(os.environ.get("FLAIR_DOCS_PNG", tmp_path / "errors.png"))
    try:
        png = export_maps_png([[errors, imagery], [confusion, imagery]],
                              ["Errors over the imagery", "Confusion pairs"],
                              [errors, confusion], out, title="flair:evaluate", dpi=60)
    finally:
        project.removeMapLayers([imagery.id(), errors.id(), confusion.id()])
    pixels = _pixels(png)
    colours = {tuple(p) for p in pixels.reshape(-1, 3)[::7]}
    # wrong pixels in the predicted class's colour (building, magenta), imagery elsewhere:
    # many distinct imagery shades show through where the prediction is right
    assert (0xdb, 0x0e, 0x9a) in colours or (0xf8, 0x0c, 0x00) in colours
    assert len(colours) > 500

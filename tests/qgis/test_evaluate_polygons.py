"""``flair:evaluate`` with polygon annotations in a real QGIS: mapping tables, error layers.

The polygons and the expected figures come from the unit test's rectangles, so the
expected confusion is computed independently of the plugin.
"""

import json

import numpy as np
import processing
import pytest
import rasterio
from helpers_rasters import ORIGIN, write_raster
from helpers_vectors import (
    PIXEL,
    RECTS,
    TABLE,
    expected_reference,
    independent_confusion,
    pixel_rectangle,
    prediction_array,
    write_polygons,
)
from osgeo import ogr
from qgis.core import (
    QgsFeature,
    QgsField,
    QgsPalettedRasterRenderer,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QVariant


@pytest.fixture
def inputs(tmp_path):
    pred = write_raster(tmp_path / "pred.tif", prediction_array(), pixel=PIXEL)
    features = [(pixel_rectangle(ORIGIN, PIXEL, c0, r0, c1, r1), {"cs": v})
                for c0, r0, c1, r1, v in RECTS]
    gpkg = write_polygons(tmp_path / "annotation.gpkg", features, [("cs", ogr.OFTString)],
                          epsg=4326)  # another CRS than the prediction's
    table = tmp_path / "table.csv"
    table.write_text(TABLE)
    return pred, gpkg, table


def run(params):
    return processing.run("flair:evaluate", params, feedback=QgsProcessingFeedback())


def ious(cm):
    tp = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - tp
    present = union > 0
    return tp[present] / union[present]


def test_polygons_with_a_csv_table(flair_plugin, inputs, tmp_path):
    pred, gpkg, table = inputs
    out = run({"PREDICTION": str(pred), "REFERENCE_POLYGONS": str(gpkg),
               "REFERENCE_FIELD": "cs", "MAPPING": str(table),
               "OUTPUT_REPORT": str(tmp_path / "r.html"),
               "OUTPUT_METRICS": str(tmp_path / "m.json"),
               "OUTPUT_ERRORS": str(tmp_path / "errors.tif"),
               "OUTPUT_CONFUSION": str(tmp_path / "confusion.tif")})
    ref, compared, *_ = expected_reference()
    cm = independent_confusion(prediction_array(), ref, compared)
    assert out["MIOU_PRESENT"] == pytest.approx(ious(cm).mean(), abs=1e-9)
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["areas"]["compared_ha"] == pytest.approx(compared.sum() * PIXEL ** 2 / 1e4)
    assert metrics["polygons"]["unmapped"] == {"XX9": {"polygons": 1, "pixels": 50 * 30}}
    assert metrics["polygons"]["pixels_conflict"] == 200
    html = (tmp_path / "r.html").read_text()
    assert "XX9" in html and " ha" in html
    errors = QgsRasterLayer(str(tmp_path / "errors.tif"), "errors")
    assert isinstance(errors.renderer(), QgsPalettedRasterRenderer)
    labels = [c.label for c in errors.renderer().classes()]
    wrong_area = {code: ((prediction_array() == code) & compared & (ref != prediction_array()))
                  .sum() for code in range(1, 20)}
    expected = sorted((c for c in wrong_area if wrong_area[c]), key=lambda c: -wrong_area[c])
    assert [c.value for c in errors.renderer().classes()] == expected
    assert labels[0].startswith("wrong, predicted ") and labels[0].endswith(" ha)")
    confusion = QgsRasterLayer(str(tmp_path / "confusion.tif"), "confusion")
    classes = confusion.renderer().classes()
    with rasterio.open(tmp_path / "confusion.tif") as src:
        values, counts = np.unique(src.read(1), return_counts=True)
    present = dict(zip(values.tolist(), counts.tolist()))
    present.pop(0, None)
    assert [c.value for c in classes] == sorted(present, key=lambda v: -present[v])
    assert classes[0].label.startswith("predicted ")


def test_memory_layer_and_table_layer(flair_plugin, inputs, tmp_path):
    """Layers without a file: the polygons are saved to a temporary GeoPackage first."""
    pred, gpkg, _ = inputs
    source = QgsVectorLayer(str(gpkg), "annotation", "ogr")
    memory = source.materialize(__import__("qgis.core", fromlist=["QgsFeatureRequest"])
                                .QgsFeatureRequest())
    table = QgsVectorLayer("None", "table", "memory")
    table.dataProvider().addAttributes([QgsField("value", QVariant.String),
                                        QgsField("flair", QVariant.String)])
    table.updateFields()
    for value, code in (("CS1.1.1.1", "1"), ("CS1.1.1.2", "3"), ("CS2.2.1", "10"),
                        ("XX9", "")):
        f = QgsFeature(table.fields())
        f.setAttributes([value, code])
        table.dataProvider().addFeature(f)
    QgsProject.instance().addMapLayers([memory, table])
    try:
        out = run({"PREDICTION": str(pred), "REFERENCE_POLYGONS": memory.id(),
                   "REFERENCE_FIELD": "cs", "MAPPING": table.id(),
                   "OUTPUT_REPORT": str(tmp_path / "r.html"),
                   "OUTPUT_METRICS": str(tmp_path / "m.json")})
    finally:
        QgsProject.instance().removeMapLayers([memory.id(), table.id()])
    ref, compared, *_ = expected_reference()
    cm = independent_confusion(prediction_array(), ref, compared)
    assert out["MIOU_PRESENT"] == pytest.approx(ious(cm).mean(), abs=1e-9)
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["polygons"]["polygons_excluded"] == 1  # XX9 left out on purpose
    assert metrics["polygons"]["unmapped"] == {}


def test_one_reference_is_required(flair_plugin, inputs, tmp_path):
    pred, gpkg, _ = inputs
    with pytest.raises(QgsProcessingException, match="one reference"):
        run({"PREDICTION": str(pred), "OUTPUT_REPORT": str(tmp_path / "r.html")})
    with pytest.raises(QgsProcessingException, match="class"):
        run({"PREDICTION": str(pred), "REFERENCE_POLYGONS": str(gpkg),
             "OUTPUT_REPORT": str(tmp_path / "r.html")})


def test_wrong_scheme_names_the_right_one(flair_plugin, tmp_path):
    codes = prediction_array()
    zero_based = write_raster(tmp_path / "zd.tif", codes - 1, pixel=PIXEL)
    annotation = write_raster(tmp_path / "MSK.tif", codes, pixel=PIXEL)
    with pytest.raises(QgsProcessingException, match="'flair19-index'"):
        run({"PREDICTION": str(zero_based), "REFERENCE": str(annotation),
             "SCHEME": "flair19-index", "OUTPUT_REPORT": str(tmp_path / "r.html")})
    assert not (tmp_path / "r.html").exists()


def test_hotspots_output_styled_worst_first(flair_plugin, inputs, tmp_path):
    from qgis.core import QgsGraduatedSymbolRenderer

    pred, gpkg, table = inputs
    mine = "<qgis><!-- my own style --></qgis>"
    (tmp_path / "hot.qml").write_text(mine)  # a user's style: never replaced
    out = run({"PREDICTION": str(pred), "REFERENCE_POLYGONS": str(gpkg),
               "REFERENCE_FIELD": "cs", "MAPPING": str(table), "CELL_SIZE": 8.0,
               "OUTPUT_REPORT": str(tmp_path / "r.html"),
               "OUTPUT_HOTSPOTS": str(tmp_path / "hot.gpkg")})
    layer = QgsVectorLayer(out["OUTPUT_HOTSPOTS"], "hot", "ogr")
    assert layer.isValid() and layer.featureCount() > 0
    assert isinstance(layer.renderer(), QgsGraduatedSymbolRenderer)  # default style
    rates = [f["error_rate"] for f in layer.getFeatures()]
    assert rates == sorted(rates, reverse=True) and rates[0] > 0
    assert "hot spots:" in (tmp_path / "r.html").read_text()
    assert (tmp_path / "hot.qml").read_text() == mine


def test_polygon_statistics_algorithm(flair_plugin, inputs, tmp_path):
    from qgis.core import NULL, QgsGraduatedSymbolRenderer

    pred, gpkg, table = inputs
    out = processing.run("flair:polygonstatistics", {
        "PREDICTION": str(pred), "POLYGONS": str(gpkg), "CLASS_FIELD": "cs",
        "MAPPING": str(table), "OUTPUT": str(tmp_path / "stats.gpkg")},
        feedback=QgsProcessingFeedback())
    layer = QgsVectorLayer(out["OUTPUT"], "stats", "ogr")
    assert layer.featureCount() == len(RECTS)
    from flair_landcover.flair_plugin.styling import qml

    assert qml.is_our_style(tmp_path / "stats.qml")  # the sidecar carries our marker
    assert isinstance(layer.renderer(), QgsGraduatedSymbolRenderer)
    agreement = [f["agreement"] for f in layer.getFeatures() if f["agreement"] != NULL]
    assert agreement == sorted(agreement) and len(agreement) == 5


def test_low_confidence_algorithm(flair_plugin, tmp_path):
    from qgis.core import QgsGraduatedSymbolRenderer

    conf = np.full((60, 80), 230, np.uint8)
    conf[5:25, 5:25] = 50
    conf[50:53, 10:13] = 60
    path = write_raster(tmp_path / "conf.tif", conf, pixel=PIXEL, nodata=0)
    out = processing.run("flair:lowconfidence", {
        "CONFIDENCE": str(path), "THRESHOLD": 0.5, "MIN_AREA": 10.0,
        "OUTPUT": str(tmp_path / "low.gpkg")}, feedback=QgsProcessingFeedback())
    layer = QgsVectorLayer(out["OUTPUT"], "low", "ogr")
    assert layer.featureCount() == 1
    assert next(layer.getFeatures())["area_ha"] == pytest.approx(0.01)
    assert isinstance(layer.renderer(), QgsGraduatedSymbolRenderer)


def test_area_of_interest_from_a_memory_layer(flair_plugin, inputs, tmp_path):
    from qgis.core import QgsGeometry

    pred, gpkg, table = inputs
    commune = QgsVectorLayer("Polygon?crs=EPSG:2154", "commune", "memory")
    f = QgsFeature()
    x, y = ORIGIN
    f.setGeometry(QgsGeometry.fromWkt(  # pixels [0, 50) x [0, 40): the building's left part
        f"POLYGON(({x} {y - 40 * PIXEL},{x + 50 * PIXEL} {y - 40 * PIXEL},"
        f"{x + 50 * PIXEL} {y},{x} {y},{x} {y - 40 * PIXEL}))"))
    commune.dataProvider().addFeature(f)
    QgsProject.instance().addMapLayer(commune)
    try:
        run({"PREDICTION": str(pred), "REFERENCE_POLYGONS": str(gpkg),
             "REFERENCE_FIELD": "cs", "MAPPING": str(table), "AREA": commune.id(),
             "OUTPUT_REPORT": str(tmp_path / "r.html"),
             "OUTPUT_METRICS": str(tmp_path / "m.json")})
    finally:
        QgsProject.instance().removeMapLayer(commune.id())
    metrics = json.loads((tmp_path / "m.json").read_text())
    # rows 30..39 of columns 40..49 are a conflict (not compared); the rest is compared
    assert metrics["pixels"]["evaluated"] == 50 * 40
    assert metrics["pixels"]["compared"] == 50 * 40 - 10 * 10


def test_same_layer_twice_is_warned(flair_plugin, tmp_path):
    pred = write_raster(tmp_path / "p.tif", prediction_array(), pixel=PIXEL)
    warnings = []

    class Feedback(QgsProcessingFeedback):
        def pushWarning(self, text):  # noqa: N802
            warnings.append(text)

    out = processing.run("flair:evaluate", {
        "PREDICTION": str(pred), "REFERENCE": str(pred),
        "OUTPUT_REPORT": str(tmp_path / "r.html")}, feedback=Feedback())
    assert out["MIOU_PRESENT"] == 1.0
    assert any("same file" in w for w in warnings)
    assert "same file" in (tmp_path / "r.html").read_text()

"""Polygon annotations, error layers, hot spots and per-polygon statistics through
``qgis_process``, as a batch user runs them."""

import json

from helpers_qgis import linked_plugin_env, run_qgis_process
from helpers_rasters import ORIGIN, write_raster
from helpers_vectors import PIXEL, RECTS, TABLE, pixel_rectangle, prediction_array, write_polygons
from osgeo import ogr


def test_evaluate_and_statistics_with_qgis_process(tmp_path):
    env = linked_plugin_env(tmp_path)
    pred = write_raster(tmp_path / "pred.tif", prediction_array(), pixel=PIXEL)
    feats = [(pixel_rectangle(ORIGIN, PIXEL, c0, r0, c1, r1), {"cs": v})
             for c0, r0, c1, r1, v in RECTS]
    gpkg = write_polygons(tmp_path / "annotation.gpkg", feats, [("cs", ogr.OFTString)],
                          epsg=4326)
    (tmp_path / "table.csv").write_text(TABLE)
    done = run_qgis_process(["run", "flair:evaluate", "--json", "--",
                             f"PREDICTION={pred}", f"REFERENCE_POLYGONS={gpkg}",
                             "REFERENCE_FIELD=cs", f"MAPPING={tmp_path / 'table.csv'}",
                             "CELL_SIZE=8", f"OUTPUT_REPORT={tmp_path / 'r.html'}",
                             f"OUTPUT_METRICS={tmp_path / 'm.json'}",
                             f"OUTPUT_ERRORS={tmp_path / 'errors.tif'}",
                             f"OUTPUT_CONFUSION={tmp_path / 'confusion.tif'}",
                             f"OUTPUT_HOTSPOTS={tmp_path / 'hot.gpkg'}"], env)
    results = json.loads(done.stdout[done.stdout.index("{"):])["results"]
    assert 0 < results["MIOU_PRESENT"] <= 1
    for name in ("errors.tif", "errors.qml", "confusion.tif", "confusion.qml", "hot.gpkg",
                 "r.html", "m.json"):
        assert (tmp_path / name).exists(), name
    assert "predicted " in (tmp_path / "confusion.qml").read_text()
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["polygons"]["unmapped"]["XX9"]["polygons"] == 1
    done = run_qgis_process(["run", "flair:polygonstatistics", "--json", "--",
                             f"PREDICTION={pred}", f"POLYGONS={gpkg}", "CLASS_FIELD=cs",
                             f"MAPPING={tmp_path / 'table.csv'}",
                             f"OUTPUT={tmp_path / 'stats.gpkg'}"], env)
    ds = ogr.Open(str(tmp_path / "stats.gpkg"))
    assert ds.GetLayer(0).GetFeatureCount() == len(RECTS)

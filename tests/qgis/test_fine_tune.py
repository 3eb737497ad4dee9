"""Teach the model your territory, in a real QGIS through ``processing.run``: export
patches from polygons, fine-tune with ``flair:train``, segment with the result, and one
before/after report from ``flair:evaluate``."""

import csv
import json

import processing
import pytest
import rasterio
from helpers_models import our_checkpoint
from helpers_rasters import ORIGIN
from helpers_vectors import pixel_rectangle, write_polygons
from osgeo import ogr
from qgis.core import QgsProcessingException, QgsProcessingFeedback

from flair_landcover.synthetic.generator import write_mosaic

PIXEL = 0.2
# (col0, row0, col1, row1, the user's class): polygons over a 256 px generated area
RECTS = [(0, 0, 60, 50, "FORET"), (100, 10, 180, 60, "EAU"), (20, 140, 90, 230, "BATI"),
         (150, 150, 250, 250, "FORET"), (200, 20, 250, 90, "LANDE")]
TABLE = "valeur;code\nFORET;6\nEAU;water\nBATI;1\nLANDE;\n"


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    root = tmp_path_factory.mktemp("territory")
    info = write_mosaic(root / "ortho.tif", root / "truth.tif", 256, 256, seed=4,
                        origin=ORIGIN)
    features = [(pixel_rectangle(ORIGIN, PIXEL, c0, r0, c1, r1), {"classe": v})
                for c0, r0, c1, r1, v in RECTS]
    polygons = write_polygons(root / "annotations.gpkg", features,
                              [("classe", ogr.OFTString)], epsg=4326)
    (root / "table.csv").write_text(TABLE)
    model = our_checkpoint(root / "base.flair.safetensors")
    return root, info.image, polygons, model


def run(name, params):
    return processing.run(name, params, feedback=QgsProcessingFeedback())


def test_export_fine_tune_segment_and_before_after_report(flair_plugin, scene, tmp_path):
    root, image, polygons, model = scene
    exported = run("flair:exportpatches", {
        "INPUT": str(image), "MODEL": str(model), "ANNOTATIONS": str(polygons),
        "CLASS_FIELD": "classe", "MAPPING": str(root / "table.csv"), "TILE_SIZE": 64,
        "SPLIT_BLOCK": 1, "VAL_SHARE": 0.25, "MIN_ANNOTATED": 0.0,
        "OUTPUT_DIR": str(tmp_path / "patches")})
    assert exported["TRAIN_PATCHES"] > 0 and exported["VAL_PATCHES"] > 0
    assert exported["MODEL_FILE"] == str(model)
    with open(exported["CLASS_COUNTS"], newline="") as f:
        counts = {int(r["code"]): r for r in csv.DictReader(f)}
    assert set(counts) == {1, 5, 6}  # LANDE is left out by the table
    with rasterio.open(next((tmp_path / "patches" / "msk").iterdir())) as src:
        assert src.width == 64 and 0 in src.read(1)  # sparse: not annotated pixels

    tuned = run("flair:train", {
        "PAIRS_CSV": exported["PAIRS_CSV"], "INIT": exported["MODEL_FILE"], "SCHEME": "15cl",
        "BANDS": "rgbie", "EPOCHS": 3, "BATCH": 4, "OPTIMIZER": "adamw", "LR": 0.01,
        "DEVICE": "cpu", "OUTPUT_DIR": str(tmp_path / "run")})
    assert tuned["BEST_MODEL"].endswith("best.flair.safetensors")

    maps = {}
    for name, checkpoint in (("before", str(model)), ("after", tuned["BEST_MODEL"])):
        maps[name] = run("flair:segmentaerial", {
            "INPUT": str(image), "MODEL": checkpoint, "BLOCK": 64, "HALO": 32,
            "OUTPUT": str(tmp_path / f"{name}.tif")})["OUTPUT"]
    report = tmp_path / "report.html"
    metrics = tmp_path / "metrics.json"
    result = run("flair:evaluate", {
        "PREDICTION": maps["after"], "BASELINE": maps["before"],
        "REFERENCE_POLYGONS": str(polygons), "REFERENCE_FIELD": "classe",
        "MAPPING": str(root / "table.csv"), "OUTPUT_REPORT": str(report),
        "OUTPUT_METRICS": str(metrics)})
    text = report.read_text()
    assert "IoU gain per class" in text and "Before (base model)" in text
    both = json.loads(metrics.read_text())
    gains = {g["name"]: g for g in both["gains"]}
    annotated = {name for name, g in gains.items() if g["reference_pixels"]}
    assert annotated == {"building", "water", "coniferous"}  # LANDE left out by the table
    for g in gains.values():
        if g["iou_before"] is not None and g["iou_after"] is not None:
            assert g["gain"] == pytest.approx(g["iou_after"] - g["iou_before"])
    assert result["MIOU_PRESENT"] == pytest.approx(
        both["after"]["metrics"]["miou_present_classes"])
    with rasterio.open(maps["after"]) as src:
        assert src.read(1).any()


def test_export_errors_are_one_clear_line(flair_plugin, scene, tmp_path):
    root, image, polygons, model = scene
    with pytest.raises(QgsProcessingException, match="class field"):
        run("flair:exportpatches", {
            "INPUT": str(image), "MODEL": str(model), "ANNOTATIONS": str(polygons),
            "TILE_SIZE": 64, "OUTPUT_DIR": str(tmp_path / "patches")})
    assert not (tmp_path / "patches").exists() or not any((tmp_path / "patches").iterdir())

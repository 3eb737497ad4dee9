"""Before/after: two maps scored on the same polygons, one report with the IoU gain per
class; and the headless commands (export-patches, evaluate --baseline)."""

import json

import numpy as np
import pytest
import rasterio
from helpers_models import our_checkpoint
from helpers_rasters import ORIGIN, write_raster
from helpers_vectors import pixel_rectangle, write_polygons
from osgeo import ogr

from flair_landcover.flair_plugin.engine.cli.main import main
from flair_landcover.flair_plugin.engine.errors import InputError
from flair_landcover.flair_plugin.engine.evaluation import report
from flair_landcover.flair_plugin.engine.evaluation.rasters import evaluate_rasters

PIXEL = 0.5
SIZE = 40


@pytest.fixture
def maps(tmp_path):
    # polygons: left half vineyard (9), right half brushwood (8)
    polygons = write_polygons(tmp_path / "held_out.gpkg", [
        (pixel_rectangle(ORIGIN, PIXEL, 0, 0, 20, SIZE), {"code": 9}),
        (pixel_rectangle(ORIGIN, PIXEL, 20, 0, SIZE, SIZE), {"code": 8})],
        [("code", ogr.OFTInteger)])
    before = np.full((SIZE, SIZE), 8, np.uint8)  # vineyards mapped as brushwood
    after = before.copy()
    after[:, :20] = 9
    after[:10, :20] = 8  # a quarter of the vineyard still missed
    after[:5, 20:] = 9  # and a few false vineyards
    return (polygons, write_raster(tmp_path / "before.tif", before, pixel=PIXEL),
            write_raster(tmp_path / "after.tif", after, pixel=PIXEL), before, after)


def _iou(pred, ref, code):
    p, r = pred == code, ref == code
    return (p & r).sum() / (p | r).sum()


def test_gains_match_an_independent_count(maps, tmp_path):
    polygons, before_tif, after_tif, before, after = maps
    reference = np.full((SIZE, SIZE), 8)
    reference[:, :20] = 9
    results = [evaluate_rasters(p, polygons, reference_field="code", check_scheme=False)
               for p in (before_tif, after_tif)]
    gains = {g["value"]: g for g in report.class_gains(*results)}
    assert set(gains) == {8, 9}
    for code in (8, 9):
        assert gains[code]["iou_before"] == pytest.approx(_iou(before, reference, code))
        assert gains[code]["iou_after"] == pytest.approx(_iou(after, reference, code))
        assert gains[code]["gain"] == pytest.approx(_iou(after, reference, code)
                                                    - _iou(before, reference, code))
    assert gains[9]["gain"] == pytest.approx(600 / 900)  # 600 found, 200 missed, 100 false
    html = report.render_comparison_html(*results)
    assert "IoU gain per class" in html and "+66.7 pts" in html
    assert html.count("<h3>IoU per class</h3>") == 2  # each map's own report, once
    lines = report.gain_lines(*results)
    assert any("vineyard" in line and "+66.7 pts" in line for line in lines)


def test_different_schemes_cannot_be_compared(maps):
    polygons, before_tif, after_tif, _, _ = maps
    one = evaluate_rasters(before_tif, polygons, reference_field="code", check_scheme=False)
    other = evaluate_rasters(after_tif, polygons, reference_field="code", scheme="baseline13",
                             check_scheme=False)
    with pytest.raises(InputError, match="different schemes"):
        report.class_gains(one, other)


def test_command_evaluate_with_a_baseline(maps, tmp_path, capsys):
    polygons, before_tif, after_tif, _, _ = maps
    out = tmp_path / "report.html"
    metrics = tmp_path / "metrics.json"
    assert main(["evaluate", "--prediction", str(after_tif), "--baseline", str(before_tif),
                 "--reference", str(polygons), "--reference-field", "code",
                 "--report", str(out), "--metrics", str(metrics), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "vineyard: IoU 0.0 % -> 66.7 % (+66.7 pts)" in printed
    both = json.loads(metrics.read_text())
    assert both["format"] == "flair-landcover-comparison/1"
    assert {g["name"]: round(g["gain"], 3) for g in both["gains"]}["vineyard"] == 0.667
    assert "Before (base model)" in out.read_text()
    assert metrics.with_suffix(".csv").exists()


def test_command_export_patches(tmp_path, capsys):
    rng = np.random.default_rng(0)
    image = write_raster(tmp_path / "ortho.tif",
                         rng.integers(0, 255, (5, 256, 256), dtype=np.uint8), pixel=0.2)
    polygons = write_polygons(tmp_path / "annotations.gpkg", [
        (pixel_rectangle(ORIGIN, 0.2, 0, 0, 50, 50), {"classe": "VIGNE"}),
        (pixel_rectangle(ORIGIN, 0.2, 200, 200, 250, 250), {"classe": "BOIS"})],
        [("classe", ogr.OFTString)])
    table = tmp_path / "table.csv"
    table.write_text("valeur,code\nVIGNE,9\nBOIS,coniferous\n")
    model = our_checkpoint(tmp_path / "base.flair.safetensors", tile_size=64)
    out = tmp_path / "patches"
    assert main(["export-patches", "--input", str(image), "--model", str(model),
                 "--polygons", str(polygons), "--field", "classe", "--mapping", str(table),
                 "--split-block", "1", "--output", str(out), "--quiet"]) == 0
    assert "1 training and 1 validation patches" in capsys.readouterr().out
    with rasterio.open(next((out / "msk").glob("MSK_*.tif"))) as src:
        assert set(np.unique(src.read(1))) <= {0, 6, 9}
    # a second export into the same folder is refused: patches of two exports never mix
    assert main(["export-patches", "--input", str(image), "--model", str(model),
                 "--polygons", str(polygons), "--field", "classe", "--mapping", str(table),
                 "--output", str(out), "--quiet"]) == 2

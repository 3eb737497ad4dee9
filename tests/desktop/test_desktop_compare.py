"""The real QGIS desktop under Xvfb: evaluate polygons with runAndLoadResults (the error
layers load styled), then flair:compare builds the group and map themes, and switching
the theme switches what the canvas shows."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from helpers_qgis import desktop_profile
from helpers_rasters import ORIGIN, write_raster
from helpers_vectors import PIXEL, RECTS, TABLE, pixel_rectangle, prediction_array, write_polygons
from osgeo import ogr

SCRIPT = Path(__file__).with_name("desktop_compare_script.py")


@pytest.mark.skipif(shutil.which("xvfb-run") is None or shutil.which("qgis") is None,
                    reason="needs xvfb-run and qgis (make setup installs them)")
def test_compare_in_the_real_desktop(tmp_path):
    import site

    rng = np.random.default_rng(2)
    rows, cols = np.mgrid[0:80, 0:100]
    ortho = np.stack([60 + cols, 120 + rows // 2, 60 + (rows + cols) // 3]).astype(float)
    ortho = np.clip(ortho + rng.normal(0, 10, ortho.shape), 0, 255).astype(np.uint8)
    files = {"imagery": write_raster(tmp_path / "ortho.tif", ortho, pixel=PIXEL),
             "prediction": write_raster(tmp_path / "pred.tif", prediction_array(), pixel=PIXEL)}
    feats = [(pixel_rectangle(ORIGIN, PIXEL, c0, r0, c1, r1), {"cs": v})
             for c0, r0, c1, r1, v in RECTS]
    files["annotation"] = write_polygons(tmp_path / "annotation.gpkg", feats,
                                         [("cs", ogr.OFTString)], epsg=4326)
    (tmp_path / "table.csv").write_text(TABLE)
    files.update(table=tmp_path / "table.csv", report=tmp_path / "r.html",
                 errors=tmp_path / "errors.tif", confusion=tmp_path / "confusion.tif",
                 hotspots=tmp_path / "hot.gpkg", result=tmp_path / "result.json",
                 png_imagery=tmp_path / "imagery.png", png_errors=tmp_path / "errors.png",
                 png_annotation=tmp_path / "annotation.png")
    if os.environ.get("FLAIR_DOCS_WINDOW_PNG"):
        files["window_png"] = Path(os.environ["FLAIR_DOCS_WINDOW_PNG"])
    desktop_profile(tmp_path / "qgis")
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env["PYTHONPATH"] = os.pathsep.join(site.getsitepackages())
    env.update({f"FLAIR_COMPARE_{k.upper()}": str(v) for k, v in files.items()})
    done = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "qgis", "--nologo",
         "--noversioncheck", "--profiles-path", str(tmp_path / "qgis"), "--code",
         str(SCRIPT)], env=env, capture_output=True, text=True, timeout=600)
    result = files["result"]
    assert result.exists(), f"QGIS wrote no result:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    report = json.loads(result.read_text())
    assert "error" not in report, report.get("error")
    assert report["errors_renderer"] == "paletted"
    assert report["errors_labels"][0].startswith("wrong, predicted ")
    assert report["group"] == ["errors", "annotation", "pred", "ortho"]
    assert set(report["themes"]) >= {"Imagery", "Prediction", "Annotation", "Errors"}
    assert report["visible"]["Imagery"] == ["ortho"]
    assert report["visible"]["Errors"] == ["errors", "ortho"]

    from PIL import Image

    imagery = np.asarray(Image.open(files["png_imagery"]).convert("RGB")).reshape(-1, 3)
    errors = np.asarray(Image.open(files["png_errors"]).convert("RGB")).reshape(-1, 3)
    building, impervious = (0xdb, 0x0e, 0x9a), (0xf8, 0x0c, 0x00)
    seen = {tuple(p) for p in np.unique(errors, axis=0)}
    assert building in seen and impervious in seen  # wrong pixels, predicted colours
    assert building not in {tuple(p) for p in np.unique(imagery, axis=0)}
    # the imagery shows through where the prediction is right: many shades remain
    assert len(seen) > 1000
    shutil.copy(files["png_errors"], tmp_path.parent / "desktop_errors.png")
    shutil.copy(files["png_annotation"], tmp_path.parent / "desktop_annotation.png")

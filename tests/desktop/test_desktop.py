"""The real QGIS desktop under Xvfb: the plugin installed in a fresh profile, the algorithm
run with ``processing.runAndLoadResults``, the styled layer and its legend in the layer
tree, and the map canvas saved to a PNG that shows the FLAIR colours."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio
from helpers_desktop import make_profile
from helpers_models import our_checkpoint

from flair_landcover.flair_plugin.nomenclature import CLASS_BY_CODE
from flair_landcover.flair_plugin.styling.qml import swatch
from flair_landcover.synthetic.generator import write_mosaic

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("desktop_script.py")


@pytest.mark.skipif(shutil.which("xvfb-run") is None or shutil.which("qgis") is None,
                    reason="needs xvfb-run and qgis (make setup installs them)")
def test_segment_in_the_real_desktop(tmp_path):
    import site

    image, mask = tmp_path / "area.tif", tmp_path / "area_MSK.tif"
    write_mosaic(image, mask, 256, 192, seed=5)
    model = our_checkpoint(tmp_path / "tiny.flair.safetensors")
    make_profile(tmp_path / "qgis")
    result, png = tmp_path / "result.json", tmp_path / "canvas.png"
    output = tmp_path / "landcover.tif"
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(PYTHONPATH=os.pathsep.join(site.getsitepackages()),
               FLAIR_DESKTOP_RESULT=str(result), FLAIR_DESKTOP_PNG=str(png),
               FLAIR_DESKTOP_IMAGE=str(image), FLAIR_DESKTOP_MODEL=str(model),
               FLAIR_DESKTOP_OUTPUT=str(output))
    done = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "qgis", "--nologo",
         "--noversioncheck", "--profiles-path", str(tmp_path / "qgis"), "--code",
         str(SCRIPT)], env=env, capture_output=True, text=True, timeout=600)
    assert result.exists(), f"QGIS wrote no result:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    report = json.loads(result.read_text())
    assert "error" not in report, report.get("error")
    assert report["plugin_loaded"]
    assert report["in_layer_tree"] and report["renderer"] == "paletted"
    with rasterio.open(output) as src:
        codes = set(np.unique(src.read(1))) - {0}
    # the legend lists the classes in the map, in the FLAIR colours
    assert sorted(t for t in report["legend"] if not t.startswith("Band")) == sorted(
        CLASS_BY_CODE[c].name for c in codes)
    assert report["palette"] == {CLASS_BY_CODE[c].name: swatch(CLASS_BY_CODE[c].colour)
                                 for c in codes}
    assert "Land cover — area" in report["layers"]

    from PIL import Image

    pixels = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3)
    seen = {tuple(p) for p in np.unique(pixels, axis=0)}
    shown = [c for c in codes if CLASS_BY_CODE[c].rgb in seen]
    assert len(shown) >= min(3, len(codes)), (codes, len(seen))
    shutil.copy(png, tmp_path.parent / "desktop_canvas.png")

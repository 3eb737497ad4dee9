"""The real QGIS desktop under Xvfb, set to French in a throw-away profile: the toolbox
dialog's labels, the layer names and the legend read in French, with IGN's class names
for the classes in the map; screenshots of the window and the dialog go to docs/."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from helpers_models import our_checkpoint
from helpers_qgis import desktop_profile

from flair_landcover.flair_plugin.nomenclature import CLASS_BY_CODE
from flair_landcover.synthetic.generator import write_mosaic

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("desktop_french_script.py")


@pytest.mark.skipif(shutil.which("xvfb-run") is None or shutil.which("qgis") is None,
                    reason="needs xvfb-run and qgis (make setup installs them)")
def test_french_dialog_layers_and_legend_in_the_real_desktop(tmp_path):
    import site

    subprocess.run([sys.executable, str(REPO / "scripts" / "translations.py"),
                    "--release-only"], check=True, capture_output=True)
    image, mask = tmp_path / "ortho_D075.tif", tmp_path / "ortho_D075_MSK.tif"
    write_mosaic(image, mask, 256, 192, seed=5)
    model = our_checkpoint(tmp_path / "tiny.flair.safetensors")
    desktop_profile(tmp_path / "qgis")
    ini = tmp_path / "qgis" / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    with ini.open("a", encoding="utf-8") as f:
        f.write("\n[locale]\nuserLocale=fr_FR\noverrideFlag=true\n")
    result = tmp_path / "result.json"
    window, dialog = tmp_path / "window.png", tmp_path / "dialog.png"
    output = tmp_path / "occupation.tif"
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(PYTHONPATH=os.pathsep.join(site.getsitepackages()),
               FLAIR_DESKTOP_RESULT=str(result), FLAIR_DESKTOP_IMAGE=str(image),
               FLAIR_DESKTOP_MODEL=str(model), FLAIR_DESKTOP_OUTPUT=str(output),
               FLAIR_DESKTOP_CONFIDENCE=str(tmp_path / "confiance.tif"),
               FLAIR_DESKTOP_WINDOW_PNG=str(window), FLAIR_DESKTOP_DIALOG_PNG=str(dialog))
    done = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "qgis", "--nologo",
         "--noversioncheck", "--profiles-path", str(tmp_path / "qgis"), "--code",
         str(SCRIPT)], env=env, capture_output=True, text=True, timeout=600)
    assert result.exists(), f"QGIS wrote no result:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    report = json.loads(result.read_text())
    assert "error" not in report, report.get("error")

    assert report["dialog_title"] == "Segmenter une orthophotographie (U-Net)"
    labels = "\n".join(report["dialog_labels"])
    for text in ("Fichier du modèle (ou choisir un modèle de l'IGN ci-dessous)",
                 "Orthophotographie (RVB", "Bande rouge", "Occupation du sol"):
        assert text in labels, text
    assert "Land cover from" not in labels and "Red band" not in labels

    assert "Occupation du sol — ortho_D075" in report["layers"]
    assert "Confiance — ortho_D075" in report["layers"]
    with rasterio.open(output) as src:
        present = set(np.unique(src.read(1)).tolist()) - {0}
    legend = [t for t in report["legends"]["Occupation du sol — ortho_D075"] if t != "Band 1"]
    assert sorted(t for t in legend if not t.startswith("Bande")) == sorted(
        CLASS_BY_CODE[c].name_fr for c in present)

    docs = REPO / "docs"
    shutil.copy(window, docs / "desktop_fr_result.png")
    shutil.copy(dialog, docs / "desktop_fr_dialog.png")

"""QGIS set to French (a throw-away profile): the toolbox, a dialog's parameters, the
messages and a styled result's legend read in French; the class names are IGN's."""

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import rasterio
from helpers_models import our_checkpoint
from helpers_qgis import linked_plugin_env, run_qgis_process

from flair_landcover.flair_plugin.nomenclature import CLASS_BY_CODE
from flair_landcover.synthetic.generator import write_mosaic

REPO = Path(__file__).resolve().parents[2]


def french_profile(env: dict) -> None:
    """Settings > Options > General > Override system locale: French."""
    ini = Path(env["QGIS_CUSTOM_CONFIG_PATH"]) / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    with ini.open("a", encoding="utf-8") as f:
        f.write("\n[locale]\nuserLocale=fr_FR\noverrideFlag=true\n")


@pytest.fixture(scope="module")
def french(tmp_path_factory):
    subprocess.run([sys.executable, str(REPO / "scripts" / "translations.py"),
                    "--release-only"], check=True, capture_output=True)
    folder = tmp_path_factory.mktemp("fr")
    env = linked_plugin_env(folder)
    french_profile(env)
    return env


def test_toolbox_names_in_french(french):
    listed = run_qgis_process(["list"], french).stdout
    assert "flair:segmentaerial\tSegmenter une orthophotographie (U-Net)" in listed
    assert "flair:train\tEntraîner un modèle FLAIR" in listed
    assert "Land cover from aerial imagery" not in listed


def test_dialog_parameters_and_help_in_french(french):
    shown = run_qgis_process(["help", "flair:segmentaerial"], french).stdout
    for label in ("Fichier du modèle (ou choisir un modèle de l'IGN ci-dessous)",
                  "Orthophotographie (RVB, ou raster FLAIR à 5 bandes",
                  "Couche proche infrarouge (p. ex. BD ORTHO IRC)",
                  "Bande rouge", "Marge de contexte autour de chaque tuile",
                  "Cartographie les classes d'occupation du sol FLAIR"):
        assert label in shown, label
    # the model comes first: the order a user thinks in
    assert shown.index("MODEL:") < shown.index("INPUT:") < shown.index("NIR_LAYER:")


def test_result_legend_in_french_with_the_classes_in_the_map(french, tmp_path):
    image, mask = tmp_path / "ortho_D075.tif", tmp_path / "ortho_D075_MSK.tif"
    write_mosaic(image, mask, 160, 128, seed=6)
    model = our_checkpoint(tmp_path / "tiny.flair.safetensors")
    out = tmp_path / "occupation.tif"
    done = run_qgis_process(["run", "flair:segmentaerial", "--", f"INPUT={image}",
                             f"MODEL={model}", "BLOCK=64", "HALO=32", f"OUTPUT={out}"], french)
    assert "Modèle :" in done.stdout + done.stderr  # the log speaks French too
    with rasterio.open(out) as src:
        present = set(np.unique(src.read(1)).tolist()) - {0}
    root = ET.parse(out.with_suffix(".qml")).getroot()
    legend = {int(e.get("value")): e.get("label") for e in root.iter("paletteEntry")}
    assert legend == {c: CLASS_BY_CODE[c].name_fr for c in present}
    assert set(legend.values()) <= {c.name_fr for c in CLASS_BY_CODE.values()}


def test_evaluation_report_names_the_classes_in_french(french, tmp_path):
    from helpers_rasters import write_raster

    rng = np.random.default_rng(0)
    reference = rng.integers(1, 8, size=(40, 30)).astype(np.uint8)
    prediction = np.where(rng.random(reference.shape) < 0.2, 5, reference).astype(np.uint8)
    pred = write_raster(tmp_path / "pred.tif", prediction)
    ref = write_raster(tmp_path / "MSK_ref.tif", reference)
    report, metrics = tmp_path / "rapport.html", tmp_path / "metrics.json"
    run_qgis_process(["run", "flair:evaluate", "--", f"PREDICTION={pred}",
                      f"REFERENCE={ref}", "SCHEME=flair19", f"OUTPUT_REPORT={report}",
                      f"OUTPUT_METRICS={metrics}"], french)
    html = report.read_text(encoding="utf-8")
    assert "bâtiment" in html and "zone imperméable" in html and "building" not in html
    assert "building" in metrics.read_text()  # machine-readable files keep English

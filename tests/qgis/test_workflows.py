"""The Graphical Modeler workflows shipped in resources/models."""

import subprocess
import sys
from pathlib import Path

from helpers_qgis import linked_plugin_env, run_qgis_process
from qgis.core import QgsApplication, QgsProcessingModelAlgorithm, QgsVectorLayer

from flair_landcover.flair_plugin.resources import model_paths

REPO = Path(__file__).resolve().parents[2]


def test_workflows_are_listed_under_the_provider(flair_plugin):
    provider = QgsApplication.processingRegistry().providerById("flair")
    workflows = [a for a in provider.algorithms() if isinstance(a, QgsProcessingModelAlgorithm)]
    assert [a.displayName() for a in workflows] == ["Land cover to polygons"]
    assert workflows[0].group() == "Workflows"
    assert workflows[0].shortHelpString()


def test_shipped_models_are_up_to_date(tmp_path):
    """They are generated from the nomenclature: regenerate and compare."""
    subprocess.run([sys.executable, str(REPO / "scripts" / "build_models.py"), "--output",
                    str(tmp_path)], check=True, capture_output=True)
    shipped = {Path(p).name: canonical(p) for p in model_paths()}
    built = {p.name: canonical(p) for p in sorted(tmp_path.glob("*.model3"))}
    assert shipped == built, "run scripts/build_models.py and commit resources/models"


def canonical(path: str) -> str:
    """The XML with attributes sorted: QGIS writes them in a random (hash) order."""
    import xml.etree.ElementTree as ET

    return ET.canonicalize(from_file=path, strip_text=True)


def test_landcover_to_polygons_runs_in_qgis_process(tmp_path):
    from helpers_models import our_checkpoint

    from flair_landcover.synthetic.generator import write_mosaic

    image, mask = tmp_path / "area.tif", tmp_path / "area_MSK.tif"
    write_mosaic(image, mask, 200, 150, seed=4)
    model = our_checkpoint(tmp_path / "tiny.flair.safetensors")
    env = linked_plugin_env(tmp_path)
    polygons = tmp_path / "polygons.gpkg"
    raster = tmp_path / "landcover.tif"
    run_qgis_process(["run", "flair:Land cover to polygons", "--", f"imagery={image}",
                      f"model={model}", "min_pixels=20",
                      f"name_classes:Land cover polygons={polygons}",
                      f"segment:Land cover raster={raster}"], env)
    layer = QgsVectorLayer(str(polygons), "polygons")
    assert layer.isValid() and layer.featureCount() > 0
    from flair_landcover.flair_plugin.nomenclature import flair_class

    for feature in layer.getFeatures():
        assert feature["class"] == flair_class(feature["code"]).name
    assert raster.exists() and raster.with_suffix(".qml").exists()

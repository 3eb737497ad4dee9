"""The Graphical Modeler workflows shipped in resources/models."""

import subprocess
import sys
from pathlib import Path

from helpers_qgis import linked_plugin_env, run_qgis_process
from qgis.core import (
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsProcessingContext,
    QgsProcessingModelAlgorithm,
    QgsVectorLayer,
)

from flair_landcover.flair_plugin.resources import model_paths

REPO = Path(__file__).resolve().parents[2]


def test_workflows_are_listed_under_the_provider(flair_plugin):
    provider = QgsApplication.processingRegistry().providerById("flair")
    workflows = [a for a in provider.algorithms() if isinstance(a, QgsProcessingModelAlgorithm)]
    assert sorted(a.displayName() for a in workflows) == ["Fine-tune on your polygons",
                                                          "Land cover to polygons"]
    for workflow in workflows:
        assert workflow.group() == "Workflows"
        assert workflow.shortHelpString()


def test_landcover_to_polygons_is_valid_in_the_modeler(flair_plugin, tmp_path):
    """No red step in the Graphical Modeler, no "model is not valid" warning on Run, and
    the inputs in the order a user thinks in."""
    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(next(p for p in model_paths()
                               if p.endswith("landcover_to_polygons.model3")))
    assert model.validate() == (True, [])
    for child_id in model.childAlgorithms():
        assert model.validateChildAlgorithm(child_id) == (True, []), child_id
    names = [p.parameterName() for p in model.orderedParameters()]
    assert names == ["model", "imagery", "nir", "elevation", "min_pixels", "smoothing"]
    from helpers_models import our_checkpoint

    from flair_landcover.synthetic.generator import write_mosaic

    image = tmp_path / "area.tif"
    write_mosaic(image, tmp_path / "area_MSK.tif", 64, 64, seed=4)
    context = QgsProcessingContext()
    ok, message = model.checkParameterValues(
        {"model": str(our_checkpoint(tmp_path / "tiny.flair.safetensors")),
         "imagery": str(image), "min_pixels": 20, "smoothing": 0,
         "segment:Land cover raster": "TEMPORARY_OUTPUT",
         "name_classes:Land cover polygons": "TEMPORARY_OUTPUT"}, context)
    assert ok, message


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
    smooth = tmp_path / "smooth.gpkg"
    for output, smoothing in ((polygons, 0), (smooth, 2)):
        run_qgis_process(["run", "flair:Land cover to polygons", "--", f"imagery={image}",
                          f"model={model}", "min_pixels=20", f"smoothing={smoothing}",
                          f"name_classes:Land cover polygons={output}",
                          f"segment:Land cover raster={raster}"], env)
    layer = QgsVectorLayer(str(polygons), "polygons")
    assert layer.isValid() and layer.featureCount() > 0
    from flair_landcover.flair_plugin.nomenclature import CLASS_BY_CODE, flair_class

    for feature in layer.getFeatures():
        assert feature["class"] == flair_class(feature["code"]).name
    # hectares: 200 x 150 px at 0.2 m = 0.12 ha, all covered by polygons
    total = sum(f["area_ha"] for f in layer.getFeatures())
    assert abs(total - 200 * 150 * 0.04 / 10_000) < 1e-3, total
    # opens styled: the FLAIR colours and names, from the style saved in the GeoPackage
    renderer = layer.renderer()
    assert isinstance(renderer, QgsCategorizedSymbolRenderer)
    assert renderer.classAttribute() == "code"
    colours = {int(c.value()): c.symbol().color().name() for c in renderer.categories()}
    assert colours[1] == CLASS_BY_CODE[1].colour and colours[5] == CLASS_BY_CODE[5].colour
    # smoothing rounds the pixel staircase: more vertices, about the same area
    smoothed = QgsVectorLayer(str(smooth), "smooth")

    def vertices(lyr):
        return sum(len(list(f.geometry().vertices())) for f in lyr.getFeatures())

    assert vertices(smoothed) > vertices(layer)
    assert abs(sum(f["area_ha"] for f in smoothed.getFeatures()) - total) < 0.1 * total
    assert raster.exists() and raster.with_suffix(".qml").exists()


def test_fine_tune_workflow_is_valid_in_the_modeler(flair_plugin):
    """Every step's algorithm exists and every required input is connected: what the
    Graphical Modeler checks before it runs or opens a model."""
    model = QgsProcessingModelAlgorithm()
    path = next(p for p in model_paths() if p.endswith("fine_tune_on_polygons.model3"))
    assert model.fromFile(path)
    steps = model.childAlgorithms()
    assert {c.algorithmId() for c in steps.values()} == {
        "flair:exportpatches", "flair:train", "flair:segmentaerial", "flair:evaluate"}
    for child_id, child in steps.items():
        assert child.algorithm() is not None, child_id
        ok, errors = model.validateChildAlgorithm(child_id)
        assert ok, (child_id, errors)
    # the chain: export -> fine-tune -> segment -> before/after evaluation
    assert model.dependsOnChildAlgorithms("before_after") >= {
        "export_patches", "fine_tune", "segment_after", "segment_before"}


def test_fine_tune_workflow_runs_in_qgis_process(tmp_path):
    from helpers_models import our_checkpoint
    from helpers_rasters import ORIGIN
    from helpers_vectors import pixel_rectangle, write_polygons
    from osgeo import ogr

    from flair_landcover.synthetic.generator import write_mosaic

    image, mask = tmp_path / "area.tif", tmp_path / "area_MSK.tif"
    write_mosaic(image, mask, 384, 384, seed=4, origin=ORIGIN)
    # 64 px patches: the default split blocks (4 x 4 patches) cut the area in four
    model = our_checkpoint(tmp_path / "base.flair.safetensors", tile_size=64)
    rects = {"annotations": [(0, 0, 60, 60, 6), (300, 0, 380, 50, 5), (0, 300, 60, 380, 1)],
             "held_out": [(100, 100, 200, 200, 6), (300, 300, 380, 380, 5)]}
    layers = {}
    for name, boxes in rects.items():
        layers[name] = write_polygons(
            tmp_path / f"{name}.gpkg",
            [(pixel_rectangle(ORIGIN, 0.2, c0, r0, c1, r1), {"code": v})
             for c0, r0, c1, r1, v in boxes], [("code", ogr.OFTInteger)])
    env = linked_plugin_env(tmp_path)
    report = tmp_path / "before_after.html"
    run_qgis_process(["run", "flair:Fine-tune on your polygons", "--", f"imagery={image}",
                      f"model={model}", f"annotations={layers['annotations']}",
                      "class_field=code", f"held_out={layers['held_out']}", "epochs=1",
                      f"fine_tune:Fine-tuning run (models, log)={tmp_path / 'run'}",
                      f"segment_before:Land cover (base model)={tmp_path / 'before.tif'}",
                      f"segment_after:Land cover (fine-tuned)={tmp_path / 'after.tif'}",
                      f"before_after:Before/after report={report}"], env, timeout=600)
    assert (tmp_path / "run" / "best.flair.safetensors").exists()
    assert (tmp_path / "before.tif").exists() and (tmp_path / "after.tif").exists()
    assert "IoU gain per class" in report.read_text()

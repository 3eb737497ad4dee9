"""Build the Graphical Modeler workflows shipped in ``resources/models/``.

The models are generated, not drawn by hand, so that every parameter of every step has a
value (a step with an unset parameter is drawn red in the Graphical Modeler): regenerate
them after adding a parameter to an algorithm they use (``python scripts/build_models.py``;
a test fails when a shipped model is out of date).
Users open the ``.model3`` files in the Graphical Modeler to adapt them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "resources" / "models"


def fill_unset_parameters(child) -> None:
    """Give every parameter of a step that the workflow leaves unset its default, as a
    fixed value: the Graphical Modeler draws a step with an unset mandatory parameter in
    red and Run warns "This model is not valid" (parameters added to an algorithm later are
    covered when the workflow is rebuilt)."""
    from qgis.core import QgsProcessingDestinationParameter
    from qgis.core import QgsProcessingModelChildParameterSource as Source

    if child.algorithm() is None:
        sys.exit(f"{child.algorithmId()} is not registered: is its provider loaded?")
    given = child.parameterSources()
    for definition in child.algorithm().parameterDefinitions():
        if definition.name() in given or isinstance(definition,
                                                    QgsProcessingDestinationParameter):
            continue
        child.addParameterSources(definition.name(),
                                  [Source.fromStaticValue(definition.defaultValue())])


def landcover_to_polygons():
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterFile,
        QgsProcessingParameterNumber,
        QgsProcessingParameterRasterLayer,
    )
    from qgis.core import QgsProcessingModelChildParameterSource as Source
    from qgis.PyQt.QtCore import QPointF

    model = QgsProcessingModelAlgorithm("Land cover to polygons", "Workflows", "workflows")
    model.setHelpContent({"ALG_DESC": (
        "Segments an orthophoto with a FLAIR U-Net, removes patches smaller than the minimum "
        "size (GDAL sieve), and turns the result into polygons with the class code, the "
        "FLAIR class name (in QGIS's language) and the area in hectares, in the FLAIR "
        "colours; optionally smoothed (rounded pixel edges): ready to edit, to intersect "
        "with parcels or to sum areas."),
        "ALG_CREATOR": "FLAIR Land Cover"})
    params = [
        QgsProcessingParameterFile("model", "Model (checkpoint file)", fileFilter=(
            "FLAIR models (*.safetensors *.pth *.ckpt);;All files (*)")),
        QgsProcessingParameterRasterLayer("imagery", "Aerial imagery (orthophoto)"),
        QgsProcessingParameterRasterLayer("nir", "Near-infrared layer (e.g. BD ORTHO IRC)",
                                          optional=True),
        QgsProcessingParameterRasterLayer("elevation", "Elevation layer (height above "
                                          "ground)", optional=True),
        QgsProcessingParameterNumber("min_pixels", "Smallest patch kept (pixels; 100 px = "
                                     "4 m² at 0.2 m)", defaultValue=100, minValue=0),
        QgsProcessingParameterNumber("smoothing", "Smoothing of the pixel edges "
                                     "(iterations; 0 = none)", defaultValue=0, minValue=0,
                                     maxValue=5),
    ]
    for i, p in enumerate(params):
        component = QgsProcessingModelParameter(p.name())
        component.setPosition(QPointF(120, 60 + 70 * i))
        model.addModelParameter(p, component)
    # the dialog's order: the model, the imagery, then the options (QGIS sorts by name
    # otherwise)
    model.setParameterOrder([p.name() for p in params])

    def child(child_id, algorithm, sources, x, outputs=None):
        c = QgsProcessingModelChildAlgorithm(algorithm)
        c.setChildId(child_id)
        c.setDescription(child_id.replace("_", " ").capitalize())
        c.setPosition(QPointF(x, 200))
        for name, source in sources.items():
            c.addParameterSources(name, [source])
        if outputs:
            c.setModelOutputs(outputs)
        fill_unset_parameters(c)
        model.addChildAlgorithm(c)

    def out(child_id, name, description):
        o = QgsProcessingModelOutput(name, description)
        o.setChildId(child_id)
        o.setChildOutputName("OUTPUT")
        return {description: o}

    child("segment", "flair:segmentaerial", {
        "INPUT": Source.fromModelParameter("imagery"),
        "NIR_LAYER": Source.fromModelParameter("nir"),
        "ELEVATION_LAYER": Source.fromModelParameter("elevation"),
        "MODEL": Source.fromModelParameter("model")}, 420,
        out("segment", "OUTPUT", "Land cover raster"))
    child("remove_small_patches", "gdal:sieve", {
        "INPUT": Source.fromChildOutput("segment", "OUTPUT"),
        "THRESHOLD": Source.fromModelParameter("min_pixels"),
        "EIGHT_CONNECTEDNESS": Source.fromStaticValue(False)}, 640)
    child("polygonize", "gdal:polygonize", {
        "INPUT": Source.fromChildOutput("remove_small_patches", "OUTPUT"),
        "BAND": Source.fromStaticValue(1),
        "FIELD": Source.fromStaticValue("code")}, 860)
    child("name_classes", "flair:landcoverpolygons", {
        "INPUT": Source.fromChildOutput("polygonize", "OUTPUT"),
        "CODE_FIELD": Source.fromStaticValue("code"),
        "SMOOTHING": Source.fromModelParameter("smoothing")}, 1080,
        out("name_classes", "OUTPUT", "Land cover polygons"))
    return model


def fine_tune_on_polygons():
    """Export patches from the user's polygons -> fine-tune -> segment with the base and
    the fine-tuned model -> one before/after report on held-out polygons."""
    from qgis.core import (
        QgsProcessing,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterFeatureSource,
        QgsProcessingParameterField,
        QgsProcessingParameterFile,
        QgsProcessingParameterNumber,
        QgsProcessingParameterRasterLayer,
        QgsProcessingParameterVectorLayer,
    )
    from qgis.core import QgsProcessingModelChildParameterSource as Source
    from qgis.PyQt.QtCore import QPointF

    from flair_landcover.flair_plugin.engine.options import DEFAULT_EPOCHS_IN_QGIS

    model = QgsProcessingModelAlgorithm("Fine-tune on your polygons", "Workflows",
                                        "workflows")
    model.setHelpContent({"ALG_DESC": (
        "Teaches a FLAIR model your territory: exports training patches from your "
        "annotation polygons (pixels outside them are ignored), fine-tunes the model on "
        "them, maps the orthophoto with the base and the fine-tuned model, and scores both "
        "on held-out polygons (not used for training) in one report with the IoU gain per "
        "class. The held-out polygons need the same class field as the annotations."),
        "ALG_CREATOR": "FLAIR Land Cover"})
    polygon = [QgsProcessing.TypeVectorPolygon]
    params = [
        QgsProcessingParameterRasterLayer("imagery", "Aerial imagery"),
        QgsProcessingParameterRasterLayer("nir", "Near-infrared layer (optional)",
                                          optional=True),
        QgsProcessingParameterRasterLayer("elevation", "Elevation layer (optional)",
                                          optional=True),
        QgsProcessingParameterFile("model", "Model to fine-tune (checkpoint file)"),
        QgsProcessingParameterVectorLayer("annotations", "Annotation polygons (training)",
                                          types=polygon),
        QgsProcessingParameterField("class_field", "Class field",
                                    parentLayerParameterName="annotations"),
        QgsProcessingParameterFeatureSource("mapping", "Mapping table: class value -> FLAIR "
                                            "code (optional)",
                                            types=[QgsProcessing.TypeVector], optional=True),
        QgsProcessingParameterVectorLayer("held_out", "Held-out polygons (evaluation)",
                                          types=polygon),
        QgsProcessingParameterNumber("epochs", "Epochs", defaultValue=DEFAULT_EPOCHS_IN_QGIS,
                                     minValue=1),
    ]
    for i, p in enumerate(params):
        component = QgsProcessingModelParameter(p.name())
        component.setPosition(QPointF(120, 60 + 70 * i))
        model.addModelParameter(p, component)

    def child(child_id, algorithm, sources, x, y=200, outputs=None):
        c = QgsProcessingModelChildAlgorithm(algorithm)
        c.setChildId(child_id)
        c.setDescription(child_id.replace("_", " ").capitalize())
        c.setPosition(QPointF(x, y))
        for name, source in sources.items():
            c.addParameterSources(name, [source])
        fill_unset_parameters(c)
        if outputs:
            c.setModelOutputs(outputs)
        model.addChildAlgorithm(c)

    def out(child_id, name, description):
        o = QgsProcessingModelOutput(name, description)
        o.setChildId(child_id)
        o.setChildOutputName(name)
        return {description: o}

    imagery = {"INPUT": Source.fromModelParameter("imagery"),
               "NIR_LAYER": Source.fromModelParameter("nir"),
               "ELEVATION_LAYER": Source.fromModelParameter("elevation")}
    child("export_patches", "flair:exportpatches", {
        **imagery, "MODEL": Source.fromModelParameter("model"),
        "ANNOTATIONS": Source.fromModelParameter("annotations"),
        "CLASS_FIELD": Source.fromModelParameter("class_field"),
        "MAPPING": Source.fromModelParameter("mapping")}, 420)
    child("fine_tune", "flair:train", {
        "PAIRS_CSV": Source.fromChildOutput("export_patches", "PAIRS_CSV"),
        "INIT": Source.fromChildOutput("export_patches", "MODEL_FILE"),
        "EPOCHS": Source.fromModelParameter("epochs")}, 640,
        outputs=out("fine_tune", "OUTPUT_DIR", "Fine-tuning run (models, log)"))
    child("segment_before", "flair:segmentaerial", {
        **imagery, "MODEL": Source.fromModelParameter("model")}, 860, 120,
        out("segment_before", "OUTPUT", "Land cover (base model)"))
    child("segment_after", "flair:segmentaerial", {
        **imagery, "MODEL": Source.fromChildOutput("fine_tune", "BEST_MODEL")}, 860, 280,
        out("segment_after", "OUTPUT", "Land cover (fine-tuned)"))
    child("before_after", "flair:evaluate", {
        "PREDICTION": Source.fromChildOutput("segment_after", "OUTPUT"),
        "BASELINE": Source.fromChildOutput("segment_before", "OUTPUT"),
        "REFERENCE_POLYGONS": Source.fromModelParameter("held_out"),
        "REFERENCE_FIELD": Source.fromModelParameter("class_field"),
        "MAPPING": Source.fromModelParameter("mapping")}, 1080,
        outputs=out("before_after", "OUTPUT_REPORT", "Before/after report"))
    return model


BUILDERS = {"landcover_to_polygons.model3": landcover_to_polygons,
            "fine_tune_on_polygons.model3": fine_tune_on_polygons}


def _import_this_checkout() -> None:
    """Import ``flair_landcover`` from the repository this script is in, even when the
    venv links another checkout under that name (several worktrees, one venv)."""
    import tempfile

    try:
        import flair_landcover

        if Path(flair_landcover.__file__).resolve().parent == REPO:
            return
    except ImportError:
        pass
    sys.modules.pop("flair_landcover", None)
    holder = Path(tempfile.mkdtemp(prefix="flair-pkg-"))
    os.symlink(REPO, holder / "flair_landcover")
    sys.path.insert(0, str(holder))


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=MODELS, help="folder to write to")
    folder = parser.parse_args(argv).output
    _import_this_checkout()
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    # the steps' algorithms, to read their parameters: GDAL's and QGIS's, and ours
    sys.path.append("/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing

    from flair_landcover.flair_plugin.plugin import FlairPlugin

    Processing.initialize()
    plugin = FlairPlugin(None)
    plugin.initProcessing()
    folder.mkdir(parents=True, exist_ok=True)
    for name, build in BUILDERS.items():
        if not build().toFile(str(folder / name)):
            sys.exit(f"could not write {folder / name}")
        print(folder / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A Graphical Modeler workflow as a photo-interpreter would draw it: evaluate polygons,
then compare layer over layer, run by ``qgis_process``."""

import json

import numpy as np
from helpers_qgis import linked_plugin_env, run_qgis_process
from helpers_rasters import ORIGIN, write_raster
from helpers_vectors import PIXEL, RECTS, TABLE, pixel_rectangle, prediction_array, write_polygons
from osgeo import ogr
from qgis.core import (
    QgsProcessing,
    QgsProcessingModelAlgorithm,
    QgsProcessingModelChildAlgorithm,
    QgsProcessingModelChildParameterSource,
    QgsProcessingModelOutput,
    QgsProcessingModelParameter,
    QgsProcessingParameterFile,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorLayer,
    QgsProject,
)


def _model() -> QgsProcessingModelAlgorithm:
    model = QgsProcessingModelAlgorithm("Check my annotation", "FLAIR")
    for param in (QgsProcessingParameterRasterLayer("imagery", "Imagery"),
                  QgsProcessingParameterRasterLayer("prediction", "Prediction"),
                  QgsProcessingParameterVectorLayer(
                      "annotation", "Annotation", [QgsProcessing.TypeVectorPolygon]),
                  QgsProcessingParameterFile("table", "Mapping table")):
        model.addModelParameter(param, QgsProcessingModelParameter(param.name()))
    source = QgsProcessingModelChildParameterSource
    evaluate = QgsProcessingModelChildAlgorithm("flair:evaluate")
    evaluate.setChildId("evaluate")
    for name, src in (("PREDICTION", source.fromModelParameter("prediction")),
                      ("REFERENCE_POLYGONS", source.fromModelParameter("annotation")),
                      ("REFERENCE_FIELD", source.fromStaticValue("cs")),
                      ("MAPPING", source.fromModelParameter("table"))):
        evaluate.addParameterSources(name, [src])
    outputs = {}
    for name, child_output in (("report", "OUTPUT_REPORT"), ("errors", "OUTPUT_ERRORS")):
        out = QgsProcessingModelOutput(name, name)
        out.setChildOutputName(child_output)
        out.setChildId("evaluate")
        outputs[name] = out
    evaluate.setModelOutputs(outputs)
    model.addChildAlgorithm(evaluate)
    compare = QgsProcessingModelChildAlgorithm("flair:compare")
    compare.setChildId("compare")
    for name, src in (("IMAGERY", source.fromModelParameter("imagery")),
                      ("PREDICTION", source.fromModelParameter("prediction")),
                      ("ANNOTATION", source.fromModelParameter("annotation")),
                      ("ERRORS", source.fromChildOutput("evaluate", "OUTPUT_ERRORS"))):
        compare.addParameterSources(name, [src])
    project = QgsProcessingModelOutput("project", "project")
    project.setChildOutputName("OUTPUT_PROJECT")
    project.setChildId("compare")
    compare.setModelOutputs({"project": project})
    model.addChildAlgorithm(compare)
    return model


def test_evaluate_then_compare_model(flair_plugin, tmp_path):
    model_file = tmp_path / "check.model3"
    assert _model().toFile(str(model_file))
    imagery = write_raster(tmp_path / "ortho.tif",
                           np.full((3, 80, 100), 120, np.uint8), pixel=PIXEL)
    pred = write_raster(tmp_path / "pred.tif", prediction_array(), pixel=PIXEL)
    feats = [(pixel_rectangle(ORIGIN, PIXEL, c0, r0, c1, r1), {"cs": v})
             for c0, r0, c1, r1, v in RECTS]
    gpkg = write_polygons(tmp_path / "a.gpkg", feats, [("cs", ogr.OFTString)])
    (tmp_path / "t.csv").write_text(TABLE)
    env = linked_plugin_env(tmp_path)
    done = run_qgis_process(["run", str(model_file), "--json", "--",
                             f"imagery={imagery}", f"prediction={pred}", f"annotation={gpkg}",
                             f"table={tmp_path / 't.csv'}",
                             f"evaluate:report={tmp_path / 'r.html'}",
                             f"evaluate:errors={tmp_path / 'errors.tif'}",
                             f"compare:project={tmp_path / 'check.qgz'}"], env)
    json.loads(done.stdout[done.stdout.index("{"):])
    assert (tmp_path / "errors.tif").exists() and (tmp_path / "errors.qml").exists()
    saved = QgsProject()
    assert saved.read(str(tmp_path / "check.qgz"))
    assert sorted(saved.mapThemeCollection().mapThemes()) == sorted(
        ["Imagery", "Prediction", "Annotation", "Errors"])

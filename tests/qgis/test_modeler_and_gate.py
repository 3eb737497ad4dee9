"""applystyle inside a Graphical Modeler model, and the dependency gate of algorithms."""

import pytest
from helpers_qgis import linked_plugin_env, run_qgis_process
from helpers_rasters import class_raster
from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingModelAlgorithm,
    QgsProcessingModelChildAlgorithm,
    QgsProcessingModelChildParameterSource,
    QgsProcessingModelParameter,
    QgsProcessingParameterRasterLayer,
)

from flair_landcover.flair_plugin import dependencies
from flair_landcover.flair_plugin.algorithms.apply_style import ApplyStyleAlgorithm
from flair_landcover.flair_plugin.styling import qml


def style_model() -> QgsProcessingModelAlgorithm:
    """A model as a user would draw it: a raster input feeding flair:applystyle."""
    model = QgsProcessingModelAlgorithm("Style annotation", "FLAIR")
    model.addModelParameter(QgsProcessingParameterRasterLayer("annotation", "Annotation"),
                            QgsProcessingModelParameter("annotation"))
    child = QgsProcessingModelChildAlgorithm("flair:applystyle")
    child.setChildId("style")
    child.addParameterSources("INPUT", [
        QgsProcessingModelChildParameterSource.fromModelParameter("annotation")])
    child.addParameterSources("SCHEME", [
        QgsProcessingModelChildParameterSource.fromStaticValue("baseline13")])
    model.addChildAlgorithm(child)
    return model


def test_model_runs_in_qgis_process(flair_plugin, tmp_path):
    model_file = tmp_path / "style_annotation.model3"
    assert style_model().toFile(str(model_file))
    raster = class_raster(tmp_path / "pred13.tif", range(13))
    env = linked_plugin_env(tmp_path)
    run_qgis_process(["run", str(model_file), "--", f"annotation={raster}"], env)
    text = (tmp_path / "pred13.qml").read_text()
    assert qml.is_our_style(tmp_path / "pred13.qml") and 'value="baseline13"' in text


class NeedsMissingPackage(ApplyStyleAlgorithm):
    REQUIREMENTS = (dependencies.Requirement("flair-no-such-package", "nope", (1,)),)


def test_missing_package_stops_before_any_work(flair_plugin, tmp_path):
    raster = class_raster(tmp_path / "x.tif", [1])
    algorithm = NeedsMissingPackage()
    algorithm.initAlgorithm()
    context = QgsProcessingContext()
    with pytest.raises(QgsProcessingException, match="flair-no-such-package") as error:
        algorithm.prepareAlgorithm({"INPUT": str(raster)}, context, QgsProcessingFeedback())
    assert "OSGeo4W Shell" in str(error.value)
    assert not (tmp_path / "x.qml").exists()

"""``flair:lowconfidence``: where the model was unsure, as polygons, largest first."""

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from .. import dependencies
from ..engine import options
from ..styling.graduated import CONFIDENCE_CLASSES, style_graduated
from ..styling.layers import raster_file_path
from .base import FlairAlgorithm
from .engine_bridge import FeedbackCallbacks, engine_errors


class LowConfidenceAlgorithm(FlairAlgorithm):
    CONFIDENCE, THRESHOLD, MIN_AREA, OUTPUT = "CONFIDENCE", "THRESHOLD", "MIN_AREA", "OUTPUT"

    NAME = "lowconfidence"
    DISPLAY_NAME = QT_TRANSLATE_NOOP("LowConfidenceAlgorithm",
                                     "Low-confidence regions (where to check first)")
    GROUP = QT_TRANSLATE_NOOP("LowConfidenceAlgorithm", "Evaluation")
    GROUP_ID = "evaluation"
    TAGS = ("confidence", "uncertainty", "probability", "check", "regions", "polygons")
    REQUIREMENTS = dependencies.EVALUATION
    HELP = QT_TRANSLATE_NOOP(
        "LowConfidenceAlgorithm",
        "Turns the confidence raster of a segmentation (its 'Confidence' output: the "
        "winning class's probability) into polygons of the connected regions where the "
        "model was unsure: below the threshold, and at least the minimum area (isolated "
        "pixels along class edges are left out). Each region has its area in hectares and "
        "its mean confidence; the largest come first in the attribute table.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.CONFIDENCE, self.tr("Confidence raster (from the segmentation)")))
        self.addParameter(QgsProcessingParameterNumber(
            self.THRESHOLD, self.tr("Unsure below this confidence (0..1)"),
            type=QgsProcessingParameterNumber.Double,
            defaultValue=options.LOW_CONFIDENCE_THRESHOLD, minValue=0.01,
            maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_AREA, self.tr("Minimum region area (m²)"),
            type=QgsProcessingParameterNumber.Double,
            defaultValue=options.LOW_CONFIDENCE_MIN_AREA, minValue=0.0))
        self.addParameter(QgsProcessingParameterVectorDestination(
            self.OUTPUT, self.tr("Low-confidence regions"),
            type=QgsProcessing.TypeVectorPolygon))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..engine.evaluation.confidence import low_confidence_regions

        layer = self.parameterAsRasterLayer(parameters, self.CONFIDENCE, context)
        path = raster_file_path(layer) if layer is not None else None
        if path is None:
            raise QgsProcessingException(self.tr(
                "confidence: not a raster file; save the layer as a GeoTIFF first."))
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        bridge = FeedbackCallbacks(feedback)
        with engine_errors():
            result = low_confidence_regions(
                path, output, threshold=self.parameterAsDouble(parameters, self.THRESHOLD,
                                                               context),
                min_area=self.parameterAsDouble(parameters, self.MIN_AREA, context),
                overwrite=True, progress=bridge.progress, cancel=bridge.cancel)
        feedback.pushInfo(self.tr("{n} regions ({ha:.2f} ha); {d} smaller ones left out")
                          .format(n=result.regions, ha=result.area_ha, d=result.dropped))
        style_graduated(output, "mean_confidence", CONFIDENCE_CLASSES)
        return {self.OUTPUT: output}

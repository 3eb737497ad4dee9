"""``flair:evaluate``: scores of a land-cover raster against annotations, and where it errs.

The numbers (FLAIR's mIoU, per-class IoU/F1, kappa) go to an HTML report that opens in
QGIS's results viewer and to JSON/CSV; the agreement raster shows *where* to look, styled
so that errors stand out over the imagery.
"""

import os
from pathlib import Path

from qgis.core import (QgsProcessingException, QgsProcessingOutputNumber,
                       QgsProcessingParameterExtent,
                       QgsProcessingParameterFileDestination,
                       QgsProcessingParameterRasterDestination,
                       QgsProcessingParameterRasterLayer)

from .. import dependencies
from ..styling import qml
from ..styling.layers import StylePostProcessor, raster_file_path
from .base import FlairAlgorithm
from .engine_bridge import FeedbackCallbacks, engine_errors
from .parameters import (advanced, band_parameter, band_value, choice_parameter,
                         extent_value, scheme_parameter)

AGREEMENT_MODES = ("binary", "reference")


class EvaluateAlgorithm(FlairAlgorithm):
    PREDICTION, REFERENCE = "PREDICTION", "REFERENCE"
    PREDICTION_BAND, REFERENCE_BAND = "PREDICTION_BAND", "REFERENCE_BAND"
    SCHEME = "SCHEME"
    PREDICTION_SCHEME, REFERENCE_SCHEME = "PREDICTION_SCHEME", "REFERENCE_SCHEME"
    EXTENT = "EXTENT"
    AGREEMENT_MODE = "AGREEMENT_MODE"
    OUTPUT_REPORT, OUTPUT_METRICS = "OUTPUT_REPORT", "OUTPUT_METRICS"
    OUTPUT_AGREEMENT = "OUTPUT_AGREEMENT"
    MIOU, MIOU_PRESENT = "MIOU", "MIOU_PRESENT"

    NAME = "evaluate"
    DISPLAY_NAME = "Evaluate land cover against annotations"
    GROUP = "Evaluation"
    GROUP_ID = "evaluation"
    TAGS = ("evaluation", "accuracy", "miou", "iou", "confusion matrix", "kappa", "validation",
            "annotation", "mask")
    REQUIREMENTS = dependencies.EVALUATION
    HELP = (
        "Compares a land-cover raster (a prediction) with a reference (FLAIR MSK_*.tif "
        "annotations or your own photo-interpretation) pixel by pixel, over rasters of any "
        "size.\n\n"
        "<b>Scheme</b>: the classes the scores are given in. flair19 scores FLAIR codes with "
        "FLAIR-1's convention (clear cut, mixed, ligneous and other leave the scores); "
        "baseline13 groups codes 13..19 into 'other' and leaves it out, as FLAIR-1/2 "
        "baselines do. The advanced options say what each raster's values are, when they "
        "are not FLAIR codes (e.g. a 0-based FLAIR-HUB prediction).\n"
        "The reference is read on the prediction's grid (nearest neighbour) when grids or "
        "CRS differ. No data in either raster, and 0 in a prediction, are not scored. A "
        "class present in neither raster has no IoU: the report says so.\n\n"
        "<b>Outputs</b>: an HTML report (confusion matrix, IoU per class, totals, settings), "
        "the metrics as JSON (and CSV beside it), and an agreement raster: binary (correct / "
        "wrong) or reference (correct, or the reference class where wrong).")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.PREDICTION, "Land cover to check (prediction)"))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.REFERENCE, "Reference (annotation)"))
        self.addParameter(scheme_parameter(self.SCHEME))
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, "Extent", optional=True))
        self.addParameter(choice_parameter(self.AGREEMENT_MODE, "Agreement raster values",
                                           AGREEMENT_MODES, "binary"))
        self.addParameter(advanced(band_parameter(self.PREDICTION_BAND, self.PREDICTION,
                                                  "Prediction band")))
        self.addParameter(advanced(band_parameter(self.REFERENCE_BAND, self.REFERENCE,
                                                  "Reference band")))
        for name, what in ((self.PREDICTION_SCHEME, "prediction"),
                           (self.REFERENCE_SCHEME, "reference")):
            param = advanced(scheme_parameter(name))
            param.setDescription(f"Values of the {what} raster")
            self.addParameter(param)
        add_report_outputs(self)
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_AGREEMENT, "Agreement", optional=True))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..engine.evaluation.rasters import EvaluationCancelled, agreement_legend, evaluate_rasters

        prediction = self._file(parameters, self.PREDICTION, context)
        reference = self._file(parameters, self.REFERENCE, context)
        prediction_crs = self.parameterAsRasterLayer(parameters, self.PREDICTION, context).crs()
        scheme = self.parameterAsEnumString(parameters, self.SCHEME, context)
        mode = self.parameterAsEnumString(parameters, self.AGREEMENT_MODE, context)
        outputs = self._outputs(parameters, context)
        bridge = FeedbackCallbacks(feedback)
        with engine_errors():
            result = evaluate_rasters(
                prediction, reference, scheme=scheme,
                prediction_scheme=self.parameterAsEnumString(
                    parameters, self.PREDICTION_SCHEME, context),
                reference_scheme=self.parameterAsEnumString(
                    parameters, self.REFERENCE_SCHEME, context),
                band=band_value(self, parameters, self.PREDICTION_BAND, context),
                reference_band=band_value(self, parameters, self.REFERENCE_BAND, context),
                extent=extent_value(self, parameters, self.EXTENT, context, prediction_crs),
                agreement_path=outputs.get(self.OUTPUT_AGREEMENT), agreement_mode=mode,
                overwrite=True, progress=bridge.progress, cancel=bridge.cancel)
            write_reports(result, outputs[self.OUTPUT_REPORT],
                          outputs.get(self.OUTPUT_METRICS), feedback)
        if self.OUTPUT_AGREEMENT in outputs:
            self._style_agreement(outputs[self.OUTPUT_AGREEMENT],
                                  agreement_legend(mode, scheme), mode, context, feedback)
        return {self.OUTPUT_REPORT: outputs[self.OUTPUT_REPORT],
                self.OUTPUT_METRICS: outputs.get(self.OUTPUT_METRICS),
                self.OUTPUT_AGREEMENT: outputs.get(self.OUTPUT_AGREEMENT),
                **miou_outputs(result)}

    def _file(self, parameters, name, context) -> str:
        layer = self.parameterAsRasterLayer(parameters, name, context)
        path = raster_file_path(layer) if layer is not None else None
        if path is None:
            raise QgsProcessingException(
                f"{name.lower()}: not a raster file; save the layer as a GeoTIFF first.")
        return path

    def _outputs(self, parameters, context):
        outputs = {self.OUTPUT_REPORT: self.parameterAsFileOutput(
            parameters, self.OUTPUT_REPORT, context)}
        metrics = self.parameterAsFileOutput(parameters, self.OUTPUT_METRICS, context)
        if metrics:
            outputs[self.OUTPUT_METRICS] = metrics
        agreement = self.parameterAsOutputLayer(parameters, self.OUTPUT_AGREEMENT, context)
        if agreement:
            if os.path.splitext(agreement)[1].lower() not in (".tif", ".tiff"):
                raise QgsProcessingException(
                    f"{agreement}: the agreement raster is a GeoTIFF; give a .tif name.")
            outputs[self.OUTPUT_AGREEMENT] = agreement
        return outputs

    @staticmethod
    def _style_agreement(path, rows, mode, context, feedback) -> None:
        legend = qml.legend_scheme(f"agreement-{mode}", f"Agreement ({mode})", rows)
        try:
            sidecar = qml.write_sidecar(path, legend)
        except qml.StyleExistsError as error:
            feedback.pushWarning(str(error))
            return
        if context.willLoadLayerOnCompletion(path):
            details = context.layerToLoadOnCompletionDetails(path)
            details.setPostProcessor(StylePostProcessor.create(str(sidecar)))


def write_reports(result, report_path: str, metrics_path, feedback) -> None:
    """The summary in the log, the HTML report, and the JSON + CSV metrics when asked."""
    from ..engine.evaluation import report

    for line in report.summary_lines(result):
        feedback.pushInfo(line)
    report.write_html(result, report_path, overwrite=True)
    if metrics_path:
        report.write_json(result, metrics_path, overwrite=True)
        report.write_csv(result, Path(metrics_path).with_suffix(".csv"), overwrite=True)


def miou_outputs(result) -> dict:
    """MIOU (FLAIR's convention) and MIOU_PRESENT; NaN where undefined."""
    m = result.metrics
    return {EvaluateAlgorithm.MIOU: float("nan") if m.miou is None else float(m.miou),
            EvaluateAlgorithm.MIOU_PRESENT: (float("nan") if m.miou_present is None
                                             else float(m.miou_present))}


def add_report_outputs(algorithm) -> None:
    """The report/metrics destinations and the mIoU outputs both evaluations share."""
    algorithm.addParameter(QgsProcessingParameterFileDestination(
        EvaluateAlgorithm.OUTPUT_REPORT, "Report", fileFilter="HTML files (*.html)"))
    algorithm.addParameter(QgsProcessingParameterFileDestination(
        EvaluateAlgorithm.OUTPUT_METRICS, "Metrics (JSON; a CSV is written beside it)",
        fileFilter="JSON files (*.json)", optional=True, createByDefault=False))
    algorithm.addOutput(QgsProcessingOutputNumber(EvaluateAlgorithm.MIOU,
                                                  "mIoU (FLAIR convention)"))
    algorithm.addOutput(QgsProcessingOutputNumber(
        EvaluateAlgorithm.MIOU_PRESENT, "mIoU over the classes present in either raster"))

"""``flair:evaluate``: scores of a land-cover raster against annotations, and where it errs.

The numbers (FLAIR's mIoU, per-class IoU/F1, kappa) go to an HTML report that opens in
QGIS's results viewer and to JSON/CSV; the agreement raster shows *where* to look, styled
so that errors stand out over the imagery.
"""

import os
from pathlib import Path

from qgis.core import (
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from .. import dependencies
from ..engine import options
from ..styling import qml
from ..styling.layers import StylePostProcessor, raster_file_path
from .base import FlairAlgorithm
from .engine_bridge import FeedbackCallbacks, engine_errors
from .parameters import (
    advanced,
    band_parameter,
    band_value,
    extent_value,
    option_parameter,
    scheme_parameter,
)


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
    DISPLAY_NAME = QT_TRANSLATE_NOOP("EvaluateAlgorithm",
                                     "Evaluate land cover against annotations")
    GROUP = QT_TRANSLATE_NOOP("EvaluateAlgorithm", "Evaluation")
    GROUP_ID = "evaluation"
    TAGS = ("evaluation", "accuracy", "miou", "iou", "confusion matrix", "kappa", "validation",
            "annotation", "mask")
    REQUIREMENTS = dependencies.EVALUATION
    HELP = QT_TRANSLATE_NOOP(
        "EvaluateAlgorithm",
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
            self.PREDICTION, self.tr("Land cover to check (prediction)")))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.REFERENCE, self.tr("Reference (annotation)")))
        self.addParameter(scheme_parameter(self.SCHEME))
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, self.tr("Extent"),
                                                       optional=True))
        self.addParameter(option_parameter(self.AGREEMENT_MODE,
                                           self.tr("Agreement raster values"),
                                           options.AGREEMENT))
        self.addParameter(advanced(band_parameter(self.PREDICTION_BAND, self.PREDICTION,
                                                  self.tr("Prediction band"))))
        self.addParameter(advanced(band_parameter(self.REFERENCE_BAND, self.REFERENCE,
                                                  self.tr("Reference band"))))
        for name, description in (
                (self.PREDICTION_SCHEME, self.tr("Values of the prediction raster")),
                (self.REFERENCE_SCHEME, self.tr("Values of the reference raster"))):
            param = advanced(scheme_parameter(name))
            param.setDescription(description)
            self.addParameter(param)
        add_report_outputs(self)
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_AGREEMENT, self.tr("Agreement"), optional=True))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..engine.evaluation.rasters import agreement_legend, evaluate_rasters
        from ..engine.io.outputs import check_output_paths

        prediction = self._file(parameters, self.PREDICTION, context)
        reference = self._file(parameters, self.REFERENCE, context)
        prediction_crs = self.parameterAsRasterLayer(parameters, self.PREDICTION, context).crs()
        scheme = self.parameterAsEnumString(parameters, self.SCHEME, context)
        mode = self.parameterAsEnumString(parameters, self.AGREEMENT_MODE, context)
        outputs = self._outputs(parameters, context)
        bridge = FeedbackCallbacks(feedback)
        with engine_errors():
            # QGIS's save dialog asked before replacing a file; an input is never replaced
            check_output_paths(report_files(outputs[self.OUTPUT_REPORT],
                                            outputs.get(self.OUTPUT_METRICS))
                               + [outputs.get(self.OUTPUT_AGREEMENT)],
                               [prediction, reference], overwrite=True,
                               geotiffs=[outputs.get(self.OUTPUT_AGREEMENT)])
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
            raise QgsProcessingException(self.tr(
                "{parameter}: not a raster file; save the layer as a GeoTIFF first."
            ).format(parameter=name.lower()))
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
                raise QgsProcessingException(self.tr(
                    "{path}: the agreement raster is a GeoTIFF; give a .tif name."
                ).format(path=agreement))
            outputs[self.OUTPUT_AGREEMENT] = agreement
        return outputs

    def _style_agreement(self, path, rows, mode, context, feedback) -> None:
        legend = qml.legend_scheme(f"agreement-{mode}",
                                   self.tr("Agreement ({mode})").format(mode=mode), rows)
        try:
            sidecar = qml.write_sidecar(path, legend)
        except qml.StyleExistsError as error:
            feedback.pushWarning(str(error))
            return
        if context.willLoadLayerOnCompletion(path):
            details = context.layerToLoadOnCompletionDetails(path)
            details.setPostProcessor(StylePostProcessor.create(str(sidecar)))


def report_files(report_path: str, metrics_path) -> list:
    """Every file :func:`write_reports` writes: the report, the metrics JSON and its CSV."""
    return [report_path, metrics_path,
            str(Path(metrics_path).with_suffix(".csv")) if metrics_path else None]


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
    tr = algorithm.tr  # looks these up in the FlairAlgorithm context too
    algorithm.addParameter(QgsProcessingParameterFileDestination(
        EvaluateAlgorithm.OUTPUT_REPORT, tr(_REPORT), fileFilter=tr(_HTML_FILES)))
    algorithm.addParameter(QgsProcessingParameterFileDestination(
        EvaluateAlgorithm.OUTPUT_METRICS, tr(_METRICS), fileFilter=tr(_JSON_FILES),
        optional=True, createByDefault=False))
    algorithm.addOutput(QgsProcessingOutputNumber(EvaluateAlgorithm.MIOU, tr(_MIOU)))
    algorithm.addOutput(QgsProcessingOutputNumber(EvaluateAlgorithm.MIOU_PRESENT,
                                                  tr(_MIOU_PRESENT)))


# What add_report_outputs shows, marked for the context every algorithm's tr() searches.
_REPORT = QT_TRANSLATE_NOOP("FlairAlgorithm", "Report")
_HTML_FILES = QT_TRANSLATE_NOOP("FlairAlgorithm", "HTML files (*.html)")
_METRICS = QT_TRANSLATE_NOOP("FlairAlgorithm", "Metrics (JSON; a CSV is written beside it)")
_JSON_FILES = QT_TRANSLATE_NOOP("FlairAlgorithm", "JSON files (*.json)")
_MIOU = QT_TRANSLATE_NOOP("FlairAlgorithm", "mIoU (FLAIR convention)")
_MIOU_PRESENT = QT_TRANSLATE_NOOP("FlairAlgorithm",
                                  "mIoU over the classes present in either raster")

"""``flair:evaluate``: scores of a land-cover raster against annotations, and where it errs.

The numbers (FLAIR's mIoU, per-class IoU/F1, kappa) go to an HTML report that opens in
QGIS's results viewer and to JSON/CSV; the agreement raster shows *where* to look, styled
so that errors stand out over the imagery.
"""

import os
from pathlib import Path

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterDistance,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
    QgsProcessingParameterVectorLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from .. import dependencies
from ..engine import options
from ..styling import qml
from ..styling.graduated import ERROR_RATE_CLASSES, style_graduated
from ..styling.layers import StylePostProcessor, raster_file_path
from .base import FlairAlgorithm
from .engine_bridge import FeedbackCallbacks, engine_errors
from .parameters import (
    advanced,
    band_parameter,
    band_value,
    extent_value,
    mapping_value,
    option_parameter,
    polygon_layer_path,
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
    REFERENCE_POLYGONS, REFERENCE_FIELD = "REFERENCE_POLYGONS", "REFERENCE_FIELD"
    MAPPING = "MAPPING"
    OUTPUT_ERRORS, OUTPUT_CONFUSION = "OUTPUT_ERRORS", "OUTPUT_CONFUSION"
    CELL_SIZE, OUTPUT_HOTSPOTS = "CELL_SIZE", "OUTPUT_HOTSPOTS"
    AREA = "AREA"
    BASELINE = "BASELINE"
    MIOU, MIOU_PRESENT = "MIOU", "MIOU_PRESENT"

    NAME = "evaluate"
    DISPLAY_NAME = QT_TRANSLATE_NOOP("EvaluateAlgorithm",
                                     "Evaluate land cover against annotations")
    GROUP = QT_TRANSLATE_NOOP("EvaluateAlgorithm", "Evaluation")
    GROUP_ID = "evaluation"
    TAGS = ("evaluation", "accuracy", "miou", "iou", "confusion matrix", "kappa", "validation",
            "annotation", "mask", "polygons", "photo-interpretation", "hot spots", "errors",
            "hectares")
    REQUIREMENTS = dependencies.EVALUATION
    HELP = QT_TRANSLATE_NOOP(
        "EvaluateAlgorithm",
        "Compares a land-cover raster (a prediction) with a reference pixel by pixel, over "
        "rasters of any size, over an extent or an <b>area of interest</b> (polygons: a "
        "commune, a mask layer). The reference is a raster (FLAIR MSK_*.tif annotations) or "
        "<b>polygons</b> (your photo-interpretation): choose the field holding the class and, "
        "when it is not a FLAIR code, a mapping table (CSV or table layer: first column your "
        "value, second column the FLAIR code 1..19 or class name; an empty code leaves the "
        "value out). Polygons in any CRS are burnt on the prediction's grid block by block; "
        "overlapping polygons of different classes and unmapped values are reported, not "
        "compared.\n\n"
        "<b>What the prediction's values mean</b>: FLAIR codes 1..19 for this plugin's "
        "predictions; flair19-index for 0-based FLAIR-1 zone detection, flairhub for "
        "FLAIR-HUB. A wrong choice is detected and the scheme that fits is named.\n"
        "<b>Report the scores in</b>: the classes the scores are given in. flair19 scores "
        "FLAIR codes with FLAIR-1's convention (clear cut, mixed, ligneous and other leave "
        "the scores); baseline13 groups codes 13..19 into 'other' and leaves it out, as "
        "FLAIR-1/2 baselines do.\n"
        "For one area the headline mIoU is over the classes present; FLAIR's convention "
        "(absent classes count 0, for whole test sets) is shown beside it. Areas are in "
        "hectares.\n"
        "The reference is read on the prediction's grid (nearest neighbour) when grids or "
        "CRS differ. No data in either raster, and 0 in a prediction, are not scored. A "
        "class present in neither raster has no IoU: the report says so.\n\n"
        "<b>Outputs</b>: an HTML report (confusion matrix, IoU per class, areas, settings), "
        "the metrics as JSON (and CSV beside it); layers to lay over the imagery: "
        "<b>errors</b> (correct pixels transparent, wrong ones in the colour of the "
        "predicted class) and <b>confusion</b> (one legend entry per 'predicted X / "
        "annotated Y' pair present, the largest first: untick all but one to see it); "
        "<b>error hot spots</b>: a grid of cells (cell size in map units) with each cell's "
        "error rate and dominant confusion, worst first in the attribute table; and an "
        "agreement raster: binary (correct / wrong) or reference (correct, or the reference "
        "class where wrong). Then 'Compare layer over layer' loads them as map themes.\n\n"
        "<b>Before/after</b>: give a second land cover as <i>Land cover before</i> (e.g. the "
        "base model's map, the first one being the fine-tuned model's): both are scored "
        "against the same annotations and the report opens with the IoU gain per class. "
        "Both maps are read as <i>What the prediction's values mean</i> says, without the "
        "check that guesses another scheme (a base model that confuses classes would fool "
        "it).")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.PREDICTION, self.tr("Land cover to check (prediction)")))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.REFERENCE, self.tr("Reference raster (annotation)"), optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.BASELINE, self.tr("Land cover before (e.g. the base model's map): the report "
                                   "shows the IoU gain per class"), optional=True))
        self.addParameter(QgsProcessingParameterVectorLayer(
            self.REFERENCE_POLYGONS, self.tr("Or reference polygons (annotation)"),
            types=[QgsProcessing.TypeVectorPolygon], optional=True))
        self.addParameter(QgsProcessingParameterField(
            self.REFERENCE_FIELD, self.tr("Class field of the polygons"),
            parentLayerParameterName=self.REFERENCE_POLYGONS, optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.MAPPING, self.tr("Mapping table: polygon class value -> FLAIR code (CSV or "
                                  "table)"),
            types=[QgsProcessing.TypeVector], optional=True))
        prediction_values = scheme_parameter(self.PREDICTION_SCHEME)
        prediction_values.setDescription(self.tr("What the prediction's values mean"))
        self.addParameter(prediction_values)
        report_scheme = scheme_parameter(self.SCHEME)
        report_scheme.setDescription(self.tr("Report the scores in these classes"))
        self.addParameter(report_scheme)
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, self.tr("Extent"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterVectorLayer(
            self.AREA, self.tr("Area of interest (polygons: a commune, a mask)"),
            types=[QgsProcessing.TypeVectorPolygon], optional=True))
        self.addParameter(option_parameter(self.AGREEMENT_MODE,
                                           self.tr("Agreement raster values"),
                                           options.AGREEMENT))
        self.addParameter(advanced(band_parameter(self.PREDICTION_BAND, self.PREDICTION,
                                                  self.tr("Prediction band"))))
        self.addParameter(advanced(band_parameter(self.REFERENCE_BAND, self.REFERENCE,
                                                  self.tr("Reference band"))))
        param = advanced(scheme_parameter(self.REFERENCE_SCHEME))
        param.setDescription(self.tr("What the reference's values mean (without a mapping "
                                     "table)"))
        self.addParameter(param)
        add_report_outputs(self)
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_ERRORS, self.tr("Errors (over the imagery: wrong pixels in the "
                                        "predicted class's colour)"),
            optional=True, createByDefault=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_CONFUSION, self.tr("Confusion (predicted / annotated pairs)"),
            optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_AGREEMENT, self.tr("Agreement"), optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterDistance(
            self.CELL_SIZE, self.tr("Hot-spot cell size"), defaultValue=options.HOTSPOT_CELL,
            parentParameterName=self.PREDICTION, minValue=0.0))
        self.addParameter(QgsProcessingParameterVectorDestination(
            self.OUTPUT_HOTSPOTS, self.tr("Error hot spots (grid, worst cells first)"),
            type=QgsProcessing.TypeVectorPolygon, optional=True, createByDefault=False))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..engine.evaluation.rasters import (
            agreement_legend,
            confusion_legend,
            errors_legend,
            evaluate_rasters,
        )
        from ..engine.io.outputs import check_output_paths

        prediction = self._file(parameters, self.PREDICTION, context)
        prediction_crs = self.parameterAsRasterLayer(parameters, self.PREDICTION, context).crs()
        polygons = self._polygons(parameters, context, feedback)
        reference = polygons[0] if polygons else self._file(parameters, self.REFERENCE, context)
        scheme = self.parameterAsEnumString(parameters, self.SCHEME, context)
        mode = self.parameterAsEnumString(parameters, self.AGREEMENT_MODE, context)
        outputs = self._outputs(parameters, context)
        bridge = FeedbackCallbacks(feedback)
        layers = [outputs.get(k) for k in (self.OUTPUT_AGREEMENT, self.OUTPUT_ERRORS,
                                           self.OUTPUT_CONFUSION)]
        hotspots_path = self._hotspots_path(parameters, context)
        area = polygon_layer_path(self, parameters, self.AREA, context, feedback)
        baseline = (self._file(parameters, self.BASELINE, context)
                    if parameters.get(self.BASELINE) not in (None, "") else None)
        with engine_errors():
            from ..engine.evaluation.hotspots import HotspotGrid, hotspot_summary

            grid = (HotspotGrid(self.parameterAsDouble(parameters, self.CELL_SIZE, context))
                    if hotspots_path else None)
            mapping = (mapping_value(self, parameters, self.MAPPING, context) if polygons
                       else None)
            # QGIS's save dialog asked before replacing a file; an input is never replaced
            check_output_paths(report_files(outputs[self.OUTPUT_REPORT],
                                            outputs.get(self.OUTPUT_METRICS))
                               + layers + [hotspots_path],
                               [prediction, reference, baseline], overwrite=True,
                               geotiffs=layers)
            settings = dict(
                scheme=scheme,
                prediction_scheme=self.parameterAsEnumString(
                    parameters, self.PREDICTION_SCHEME, context),
                reference_scheme=self.parameterAsEnumString(
                    parameters, self.REFERENCE_SCHEME, context),
                band=band_value(self, parameters, self.PREDICTION_BAND, context),
                reference_band=band_value(self, parameters, self.REFERENCE_BAND, context),
                extent=extent_value(self, parameters, self.EXTENT, context, prediction_crs),
                reference_field=polygons[1] if polygons else None,
                reference_mapping=mapping,
                reference_layer=polygons[2] if polygons else None,
                area_path=area[0] if area else None, area_layer=area[1] if area else None)
            result = evaluate_rasters(
                prediction, reference, **settings,
                agreement_path=outputs.get(self.OUTPUT_AGREEMENT), agreement_mode=mode,
                errors_path=outputs.get(self.OUTPUT_ERRORS),
                confusion_path=outputs.get(self.OUTPUT_CONFUSION),
                sinks=[grid] if grid else [],
                overwrite=True, progress=bridge.progress, cancel=bridge.cancel,
                check_scheme=baseline is None)
            # the same reference, mapping and area for both: the gain is the models' alone.
            # Before/after compares two maps of the declared scheme (this plugin's maps):
            # not judged for it, since a model that confuses classes looks shifted
            before = (evaluate_rasters(baseline, reference, **settings, check_scheme=False,
                                       progress=bridge.progress, cancel=bridge.cancel)
                      if baseline else None)
            if grid is not None:
                grid.write(hotspots_path, overwrite=True)
                line = hotspot_summary(grid.cells)
                if line:
                    result.notes.append(line)
            if result.same_input:
                feedback.pushWarning(self.tr(
                    "The prediction and the reference are the same file: the scores compare "
                    "a layer with itself. Choose the annotation as reference."))
            write_reports(result, outputs[self.OUTPUT_REPORT],
                          outputs.get(self.OUTPUT_METRICS), feedback, before,
                          self.language)
        styles = {self.OUTPUT_AGREEMENT: (f"agreement-{mode}", self.tr("Agreement ({mode})")
                                          .format(mode=mode), agreement_legend(mode, scheme)),
                  self.OUTPUT_ERRORS: ("errors", self.tr("Errors (predicted class)"),
                                       errors_legend(result.confusion,
                                                     result.pixel_area_m2)),
                  self.OUTPUT_CONFUSION: ("confusion", self.tr("Confusion"),
                                          confusion_legend(result.confusion,
                                                           result.pixel_area_m2))}
        for key, (style_key, title, rows) in styles.items():
            if key in outputs:
                self._style(outputs[key], style_key, title, rows, context, feedback)
        if hotspots_path:
            style_graduated(hotspots_path, "error_rate", ERROR_RATE_CLASSES)
        return {self.OUTPUT_REPORT: outputs[self.OUTPUT_REPORT],
                self.OUTPUT_METRICS: outputs.get(self.OUTPUT_METRICS),
                self.OUTPUT_AGREEMENT: outputs.get(self.OUTPUT_AGREEMENT),
                self.OUTPUT_ERRORS: outputs.get(self.OUTPUT_ERRORS),
                self.OUTPUT_CONFUSION: outputs.get(self.OUTPUT_CONFUSION),
                self.OUTPUT_HOTSPOTS: hotspots_path,
                **miou_outputs(result)}

    def _hotspots_path(self, parameters, context):
        path = self.parameterAsOutputLayer(parameters, self.OUTPUT_HOTSPOTS, context)
        if not path:
            return None
        if not path.lower().endswith(".gpkg"):
            raise QgsProcessingException(self.tr(
                "{path}: the hot spots are written as a GeoPackage; give a .gpkg name."
            ).format(path=path))
        return path

    def _polygons(self, parameters, context, feedback):
        """(file, class field, layer name) of the polygon reference, None when a raster
        reference is given. A layer without a file (a memory layer, a filtered one) is
        saved to a temporary GeoPackage first: the engine reads files."""
        raster = self.parameterAsRasterLayer(parameters, self.REFERENCE, context)
        layer = self.parameterAsVectorLayer(parameters, self.REFERENCE_POLYGONS, context)
        if (raster is None) == (layer is None):
            raise QgsProcessingException(self.tr(
                "Give one reference: a raster, or polygons with their class field."))
        if layer is None:
            return None
        field = self.parameterAsString(parameters, self.REFERENCE_FIELD, context)
        if not field:
            raise QgsProcessingException(self.tr(
                "Reference polygons: choose the field that holds each polygon's class."))
        path, name = polygon_layer_path(self, parameters, self.REFERENCE_POLYGONS, context,
                                        feedback)
        return path, field, name

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
        for key in (self.OUTPUT_AGREEMENT, self.OUTPUT_ERRORS, self.OUTPUT_CONFUSION):
            path = self.parameterAsOutputLayer(parameters, key, context)
            if path:
                if os.path.splitext(path)[1].lower() not in (".tif", ".tiff"):
                    raise QgsProcessingException(self.tr(
                        "{path}: this layer is a GeoTIFF; give a .tif name."
                    ).format(path=path))
                outputs[key] = path
        return outputs

    def _style(self, path, key, title, rows, context, feedback) -> None:
        legend = qml.legend_scheme(key, title, rows)
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


def write_reports(result, report_path: str, metrics_path, feedback, before=None,
                  language: str = "en") -> None:
    """The summary in the log, the HTML report, and the JSON + CSV metrics when asked
    (:func:`..engine.evaluation.report.write_report_files`; with ``before``, the
    before/after report; class names in ``language`` for people, English for scripts)."""
    from ..engine.evaluation import report

    for line in report.write_report_files(result, report_path, metrics_path,
                                          overwrite=True, before=before, language=language):
        feedback.pushInfo(line)


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

"""``flair:polygonstatistics``: land cover per polygon of any layer, worst agreement first."""

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
    QgsProcessingParameterVectorLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from .. import dependencies
from ..styling.graduated import AGREEMENT_CLASSES, style_graduated
from ..styling.layers import raster_file_path
from .base import FlairAlgorithm
from .engine_bridge import FeedbackCallbacks, engine_errors
from .parameters import (
    advanced,
    band_parameter,
    band_value,
    mapping_value,
    polygon_layer_path,
    scheme_parameter,
)


class PolygonStatisticsAlgorithm(FlairAlgorithm):
    PREDICTION, PREDICTION_BAND, PREDICTION_SCHEME = (
        "PREDICTION", "PREDICTION_BAND", "PREDICTION_SCHEME")
    POLYGONS, CLASS_FIELD, MAPPING, CLASS_SCHEME = (
        "POLYGONS", "CLASS_FIELD", "MAPPING", "CLASS_SCHEME")
    OUTPUT = "OUTPUT"

    NAME = "polygonstatistics"
    DISPLAY_NAME = QT_TRANSLATE_NOOP("PolygonStatisticsAlgorithm",
                                     "Land cover per polygon (parcels, annotation)")
    GROUP = QT_TRANSLATE_NOOP("PolygonStatisticsAlgorithm", "Evaluation")
    GROUP_ID = "evaluation"
    TAGS = ("zonal", "statistics", "parcels", "agreement", "majority", "polygon", "hectares")
    REQUIREMENTS = dependencies.EVALUATION
    HELP = QT_TRANSLATE_NOOP(
        "PolygonStatisticsAlgorithm",
        "For every polygon of a layer (parcels, a photo-interpreter's annotation, "
        "communes), in any CRS: the hectares of each predicted class inside it, the "
        "majority class and its share.\n\n"
        "With a <b>class field</b> (FLAIR codes, or any nomenclature through a mapping "
        "table: CSV or table layer, first column your value, second the FLAIR code or class "
        "name), also the <b>agreement</b>: the share of the polygon predicted as its own "
        "class. The output is sorted worst agreement first (largest polygons first without "
        "a class field), so the parcels that disagree open first in the attribute table, "
        "and styled by agreement.\n"
        "A pixel under two polygons is counted for one of them; the log says how many.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.PREDICTION, self.tr("Land cover (prediction)")))
        self.addParameter(QgsProcessingParameterVectorLayer(
            self.POLYGONS, self.tr("Polygons"), types=[QgsProcessing.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterField(
            self.CLASS_FIELD, self.tr("Class field of the polygons (for the agreement)"),
            parentLayerParameterName=self.POLYGONS, optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.MAPPING, self.tr("Mapping table: polygon class value -> FLAIR code (CSV or "
                                  "table)"), types=[QgsProcessing.TypeVector], optional=True))
        values = scheme_parameter(self.PREDICTION_SCHEME)
        values.setDescription(self.tr("What the prediction's values mean"))
        self.addParameter(values)
        self.addParameter(advanced(band_parameter(self.PREDICTION_BAND, self.PREDICTION,
                                                  self.tr("Prediction band"))))
        classes = advanced(scheme_parameter(self.CLASS_SCHEME))
        classes.setDescription(self.tr("What the class field's values mean (without a "
                                       "mapping table)"))
        self.addParameter(classes)
        self.addParameter(QgsProcessingParameterVectorDestination(
            self.OUTPUT, self.tr("Statistics per polygon"),
            type=QgsProcessing.TypeVectorPolygon))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..engine.evaluation.zonal import polygon_statistics

        layer = self.parameterAsRasterLayer(parameters, self.PREDICTION, context)
        prediction = raster_file_path(layer) if layer is not None else None
        if prediction is None:
            raise QgsProcessingException(self.tr(
                "prediction: not a raster file; save the layer as a GeoTIFF first."))
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        if not output.lower().endswith(".gpkg"):
            raise QgsProcessingException(self.tr(
                "{path}: the statistics are written as a GeoPackage; give a .gpkg name."
            ).format(path=output))
        path, name = polygon_layer_path(self, parameters, self.POLYGONS, context, feedback)
        field = self.parameterAsString(parameters, self.CLASS_FIELD, context) or None
        bridge = FeedbackCallbacks(feedback)
        with engine_errors():
            mapping = mapping_value(self, parameters, self.MAPPING, context) if field else None
            result = polygon_statistics(
                prediction, path, output, class_field=field, mapping=mapping,
                class_scheme=self.parameterAsEnumString(parameters, self.CLASS_SCHEME,
                                                        context),
                prediction_scheme=self.parameterAsEnumString(parameters,
                                                             self.PREDICTION_SCHEME, context),
                layer=name, band=band_value(self, parameters, self.PREDICTION_BAND, context),
                overwrite=True, progress=bridge.progress, cancel=bridge.cancel)
        feedback.pushInfo(self.tr("{n} polygons, {m} over the prediction").format(
            n=result.polygons, m=result.polygons_with_pixels))
        if result.mean_agreement is not None:
            feedback.pushInfo(self.tr("agreement, area-weighted: {a:.1f} %").format(
                a=100 * result.mean_agreement))
        for note in result.notes:
            feedback.pushWarning(note)
        if field:
            style_graduated(output, "agreement", AGREEMENT_CLASSES)
        return {self.OUTPUT: output}

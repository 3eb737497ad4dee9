"""``flair:landcoverpolygons``: land-cover polygons ready to use: class names, areas in
hectares, optional smoothing of the pixel staircase, the FLAIR colours.

The last step of the "Land cover to polygons" workflow (after GDAL's sieve and
polygonize), usable alone on any polygons with a FLAIR code field.
"""

from qgis.core import (
    QgsDistanceArea,
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingUtils,
    QgsUnitTypes,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP, QVariant

from ..nomenclature import CLASS_BY_CODE
from ..styling.graduated import categorized_renderer, style_categorized
from .base import FlairAlgorithm

M2_PER_HECTARE = 10_000.0
SMOOTHING_OFFSET = 0.25  # Chaikin's classic cut: a quarter of each edge


class LandcoverPolygonsAlgorithm(FlairAlgorithm):
    INPUT, CODE_FIELD, SMOOTHING, OUTPUT = "INPUT", "CODE_FIELD", "SMOOTHING", "OUTPUT"

    NAME = "landcoverpolygons"
    DISPLAY_NAME = QT_TRANSLATE_NOOP("LandcoverPolygonsAlgorithm",
                                     "Land-cover polygons: names, hectares, smoothing")
    GROUP = QT_TRANSLATE_NOOP("LandcoverPolygonsAlgorithm", "Styles")
    GROUP_ID = "styles"
    TAGS = ("polygons", "vector", "area", "hectares", "smooth", "class names", "style")
    HELP = QT_TRANSLATE_NOOP(
        "LandcoverPolygonsAlgorithm",
        "Makes land-cover polygons (e.g. from Raster > Conversion > Polygonize of a FLAIR "
        "prediction) ready to use: the FLAIR class name of each polygon's code, in QGIS's "
        "language (<i>class</i>), its area in hectares (<i>area_ha</i>, on the ellipsoid of "
        "the project), and the FLAIR colours with the class names in the legend.\n\n"
        "<b>Smoothing</b>: polygons traced from pixels have staircase edges; each iteration "
        "rounds their corners (Chaikin's algorithm). 0 keeps the pixel edges exactly; 2 or 3 "
        "look like hand-drawn outlines. Neighbouring polygons, smoothed independently, may "
        "then overlap or leave gaps of a fraction of a pixel.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.INPUT, self.tr("Land-cover polygons"), [QgsProcessing.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterField(
            self.CODE_FIELD, self.tr("Field holding the FLAIR class code"), "code",
            self.INPUT, QgsProcessingParameterField.Numeric))
        self.addParameter(QgsProcessingParameterNumber(
            self.SMOOTHING, self.tr("Smoothing of the pixel edges (iterations; 0 = none)"),
            defaultValue=0, minValue=0, maxValue=5))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT, self.tr("Land-cover polygons"), QgsProcessing.TypeVectorPolygon))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        source = self.parameterAsSource(parameters, self.INPUT, context)
        if source is None:
            raise QgsProcessingException(self.tr("The polygons could not be read."))
        code_field = self.parameterAsString(parameters, self.CODE_FIELD, context) or "code"
        index = source.fields().lookupField(code_field)
        if index < 0:
            raise QgsProcessingException(self.tr("The polygons have no field {field}.")
                                         .format(field=code_field))
        iterations = self.parameterAsInt(parameters, self.SMOOTHING, context)
        fields = QgsFields()
        fields.append(QgsField("code", QVariant.Int))
        fields.append(QgsField("class", QVariant.String, len=40))
        fields.append(QgsField("area_ha", QVariant.Double, len=12, prec=4))
        sink, dest = self.parameterAsSink(parameters, self.OUTPUT, context, fields,
                                          source.wkbType(), source.sourceCrs())
        area = QgsDistanceArea()
        area.setSourceCrs(source.sourceCrs(), context.transformContext())
        area.setEllipsoid(context.ellipsoid() or "EPSG:7019")  # GRS80, as Lambert-93
        total = max(source.featureCount(), 1)
        unknown = 0
        for i, feature in enumerate(source.getFeatures()):
            if feedback.isCanceled():
                break
            code = feature.attributes()[index]
            flair = CLASS_BY_CODE.get(int(code)) if code is not None else None
            if flair is None:
                unknown += 1
            geometry = feature.geometry()
            if iterations and not geometry.isNull():
                geometry = geometry.smooth(iterations, SMOOTHING_OFFSET)
            hectares = area.convertAreaMeasurement(area.measureArea(geometry),
                                                   QgsUnitTypes.AreaHectares)
            out = QgsFeature(fields)
            out.setGeometry(geometry)
            out.setAttributes([int(code) if code is not None else None,
                               flair.label(self.language) if flair else None,
                               round(hectares, 4)])
            sink.addFeature(out, QgsFeatureSink.FastInsert)
            feedback.setProgress(100.0 * (i + 1) / total)
        if unknown:
            feedback.reportError(self.tr("{n} polygons have no FLAIR code (1..19): no class "
                                         "name").format(n=unknown))
        self._dest = dest
        return {self.OUTPUT: dest}

    def postProcessAlgorithm(self, context, feedback):  # noqa: N802
        """Style the output: in the file (opens styled anywhere, also after qgis_process)
        and on the layer the toolbox loaded. Main thread: layers are touched."""
        dest = getattr(self, "_dest", None)
        if not dest:
            return {}
        categories = [(c.code, c.colour, c.label(self.language))
                      for c in CLASS_BY_CODE.values()]
        layer = QgsProcessingUtils.mapLayerFromString(dest, context)
        if layer is not None:
            layer.setRenderer(categorized_renderer("code", categories))
            layer.triggerRepaint()
        path = dest.split("|")[0]
        if path.lower().endswith(".gpkg"):
            style_categorized(path, "code", categories)
        return {self.OUTPUT: dest}

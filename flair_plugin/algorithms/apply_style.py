"""``flair:applystyle``: show a class raster with the official FLAIR colours and names.

Predictions and ``MSK_*.tif`` annotations are rasters of small integers; unstyled they
look black (the first complaint on FLAIR's own tracker). This writes the ``.qml`` sidecar,
which QGIS applies whenever the raster is loaded (also after ``qgis_process``), and styles
the layer in the open project when run from QGIS.
"""

import os

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputRasterLayer,
    QgsProcessingParameterRasterLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from ..nomenclature import SCHEMES, schemes_covering
from ..styling import qml
from ..styling.layers import (
    StylePostProcessor,
    apply_qml,
    check_class_band,
    class_value_counts,
    raster_file_path,
)
from .base import FlairAlgorithm
from .parameters import band_parameter, band_value, replace_style_parameter, scheme_parameter


class ApplyStyleAlgorithm(FlairAlgorithm):
    INPUT = "INPUT"
    BAND = "BAND"
    SCHEME = "SCHEME"
    REPLACE_STYLE = "REPLACE_STYLE"
    OUTPUT = "OUTPUT"

    NAME = "applystyle"
    DISPLAY_NAME = QT_TRANSLATE_NOOP("ApplyStyleAlgorithm", "Apply FLAIR land-cover style")
    GROUP = QT_TRANSLATE_NOOP("ApplyStyleAlgorithm", "Styles")
    GROUP_ID = "styles"
    TAGS = ("style", "legend", "colour", "palette", "qml", "mask", "annotation")
    HELP = QT_TRANSLATE_NOOP(
        "ApplyStyleAlgorithm",
        "Styles a raster of land-cover classes with the official FLAIR colours and class "
        "names, so the legend reads building, water, coniferous...\n\n"
        "<b>Input</b>: a prediction or an MSK_*.tif annotation; <b>Band</b>: the band "
        "holding the class values.\n"
        "<b>Class scheme</b>: what the values mean. flair19: FLAIR codes 1..19 (FLAIR "
        "annotations and this plugin's predictions); baseline13: 0..12, the 13-class "
        "baseline of FLAIR-1/FLAIR-2 (12 = other); flairhub: 0..18 in FLAIR-HUB's order; "
        "flair19-index: 0..18 = code - 1, as the official FLAIR-1 zone detection writes.\n\n"
        "A style file <i>raster</i>.qml is written beside the raster, so the raster opens "
        "styled in any QGIS, also after qgis_process. A .qml you made yourself is never "
        "replaced unless you tick the advanced option.\n"
        "Values that the scheme does not know are named in the log; if no value fits, the "
        "algorithm stops and suggests the scheme that fits.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.INPUT, self.tr("Land-cover raster (prediction or MSK_ annotation)")))
        self.addParameter(band_parameter(self.BAND, self.INPUT,
                                         self.tr("Band holding the classes")))
        self.addParameter(scheme_parameter(self.SCHEME))
        self.addParameter(replace_style_parameter(self.REPLACE_STYLE))
        self.addOutput(QgsProcessingOutputRasterLayer(self.OUTPUT, self.tr("Styled raster")))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        layer = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        if layer is None or not layer.isValid():
            raise QgsProcessingException(self.tr("The input is not a raster QGIS can open."))
        band = band_value(self, parameters, self.BAND, context)
        scheme = SCHEMES[self.parameterAsEnumString(parameters, self.SCHEME, context)]
        replace = self.parameterAsBoolean(parameters, self.REPLACE_STYLE, context)

        path = raster_file_path(layer)
        if path is None:
            raise QgsProcessingException(self.tr(
                "{layer} is not a raster file (provider {provider}); save it as a GeoTIFF "
                "first.").format(layer=layer.name(), provider=layer.providerType()))
        check_class_band(layer, band)
        sidecar = qml.sidecar_path(path)
        self._check_sidecar_writable(sidecar, replace)

        feedback.pushInfo(self.tr("Reading the class values of band {band} of {path}")
                          .format(band=band, path=path))
        counts = class_value_counts(layer, band, feedback)
        if feedback.isCanceled():
            return {}
        self._report_values(counts, scheme, feedback)

        qml.write_sidecar(path, scheme, band, replace=replace)
        feedback.pushInfo(self.tr("Wrote the style {sidecar} ({scheme}, {classes} classes)")
                          .format(sidecar=sidecar, scheme=scheme.key,
                                  classes=len(scheme.entries)))
        self._sidecar = str(sidecar)
        return {self.OUTPUT: path}

    def postProcessAlgorithm(self, context, feedback):  # noqa: N802
        """Style the layer on the map: runs in the main thread, where layers may be touched."""
        layer = self._project_layer(context)
        if layer is not None:
            apply_qml(layer, self._sidecar)
        elif context.project() is not None and self._input_path:
            details = QgsProcessingContext.LayerDetails(
                os.path.splitext(os.path.basename(self._input_path))[0], context.project(),
                self.OUTPUT)
            details.setPostProcessor(StylePostProcessor.create(self._sidecar))
            context.addLayerToLoadOnCompletion(self._input_path, details)
        return {}

    def prepareAlgorithm(self, parameters, context, feedback):  # noqa: N802
        super().prepareAlgorithm(parameters, context, feedback)
        # Remember, in the main thread, whether the input is a layer of the open project.
        self._sidecar = None
        self._input_layer_id = None
        self._input_path = None
        layer = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        if layer is not None:
            self._input_path = raster_file_path(layer)
            project = context.project()
            if project is not None and project.mapLayer(layer.id()) is layer:
                self._input_layer_id = layer.id()
        return True

    def _project_layer(self, context):
        project = context.project()
        if project is None or self._input_layer_id is None or self._sidecar is None:
            return None
        return project.mapLayer(self._input_layer_id)

    def _check_sidecar_writable(self, sidecar, replace: bool) -> None:
        if qml.would_replace_users_style(sidecar, replace):
            raise QgsProcessingException(self.tr(
                "{sidecar} already exists and was not written by FLAIR Land Cover, so it is "
                "kept. Move it away, or tick 'Replace an existing .qml style' "
                "(REPLACE_STYLE=true) to replace it.").format(sidecar=sidecar))
        if not os.access(sidecar.parent, os.W_OK):
            raise QgsProcessingException(self.tr(
                "Cannot write the style file in {folder} (no write permission). Copy the "
                "raster to a folder you can write to.").format(folder=sidecar.parent))

    def _report_values(self, counts, scheme, feedback) -> None:
        known = set(scheme.values)
        stray = {v: n for v, n in counts.items() if v not in known}
        total = sum(counts.values())
        names = ", ".join(f"{scheme.entry(v).name} ({n})" for v, n in sorted(counts.items())
                          if v in known)
        feedback.pushInfo(self.tr("{total} pixels with data; classes present: {names}")
                          .format(total=total, names=names or self.tr("none")))
        if not stray:
            return
        fits = schemes_covering(counts)
        hint = (self.tr(" The values fit the scheme(s): {schemes}.").format(
            schemes=", ".join(fits)) if fits else
            self.tr(" No FLAIR scheme has these values: is this a class raster?"))
        listed = ", ".join(self.tr("{value} ({count} pixels)").format(value=v, count=n)
                           for v, n in sorted(stray.items())[:20])
        if len(stray) == len(counts):
            raise QgsProcessingException(self.tr(
                "None of the raster's values belongs to scheme {scheme} ({low}..{high}): "
                "found {listed}.{hint}").format(scheme=scheme.key, low=min(known),
                                                high=max(known), listed=listed, hint=hint))
        feedback.pushWarning(self.tr(
            "Values outside scheme {scheme} stay transparent: {listed}.{hint}").format(
                scheme=scheme.key, listed=listed, hint=hint))

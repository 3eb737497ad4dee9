"""``flair:compare``: imagery, prediction, annotation and errors as one group, map themes."""

import os

from qgis.core import (
    QgsProcessingException,
    QgsProcessingOutputString,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP
from qgis.PyQt.QtXml import QDomDocument

from ..styling import qml
from ..styling.themes import build_comparison, style_annotation
from .base import FlairAlgorithm


class CompareAlgorithm(FlairAlgorithm):
    IMAGERY, PREDICTION, ANNOTATION, ERRORS = "IMAGERY", "PREDICTION", "ANNOTATION", "ERRORS"
    GROUP_NAME, OUTPUT_PROJECT, THEMES = "GROUP_NAME", "OUTPUT_PROJECT", "THEMES"
    ANNOTATION_FIELD, MAPPING = "ANNOTATION_FIELD", "MAPPING"

    NAME = "compare"
    DISPLAY_NAME = QT_TRANSLATE_NOOP("CompareAlgorithm",
                                     "Compare layer over layer (group and map themes)")
    GROUP = QT_TRANSLATE_NOOP("CompareAlgorithm", "Evaluation")
    GROUP_ID = "evaluation"
    TAGS = ("compare", "map theme", "check", "photo-interpretation", "layers", "group")
    HELP = QT_TRANSLATE_NOOP(
        "CompareAlgorithm",
        "Loads the imagery, the prediction, the annotation (raster or polygons) and the "
        "errors layer of an evaluation as one layer group, with a map theme each: "
        "'Imagery', 'Prediction', 'Annotation', 'Errors' (each over the imagery). "
        "Switching between them is one click in the map themes button of the Layers panel. "
        "Class rasters without a style get the FLAIR colours; annotation polygons are "
        "coloured by class when their class field is given (through the mapping table when "
        "it is not a FLAIR code).\n"
        "Optionally writes the same as a project file (.qgz), e.g. from qgis_process.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.IMAGERY, self.tr("Imagery (orthophoto)")))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.PREDICTION, self.tr("Prediction")))
        self.addParameter(QgsProcessingParameterMapLayer(
            self.ANNOTATION, self.tr("Annotation (raster or polygons)"), optional=True))
        self.addParameter(QgsProcessingParameterField(
            self.ANNOTATION_FIELD, self.tr("Class field of annotation polygons (to colour "
                                           "them by class)"),
            parentLayerParameterName=self.ANNOTATION, optional=True))
        self.addParameter(QgsProcessingParameterFile(
            self.MAPPING, self.tr("Mapping table of that field (CSV: value, FLAIR code)"),
            extension="csv", optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.ERRORS, self.tr("Errors (from the evaluation)"), optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.GROUP_NAME, self.tr("Group name"), defaultValue="FLAIR comparison"))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_PROJECT, self.tr("Also save as a project file"),
            fileFilter=self.tr("QGIS projects (*.qgz)"), optional=True,
            createByDefault=False))
        self.addOutput(QgsProcessingOutputString(self.THEMES, self.tr("Map themes created")))

    def flags(self):
        # postProcessAlgorithm edits the project: QGIS must not run this in a thread pool
        # next to other edits of it
        return super().flags() | self.FlagNoThreading

    def prepareAlgorithm(self, parameters, context, feedback):  # noqa: N802
        """Main thread: record the sources only; the layers are built afterwards."""
        self.sources = {}
        for key, theme in ((self.IMAGERY, "Imagery"), (self.PREDICTION, "Prediction"),
                           (self.ERRORS, "Errors")):
            layer = self.parameterAsRasterLayer(parameters, key, context)
            self.sources[theme] = (layer.source(), layer.name(), "raster") if layer else None
        annotation = self.parameterAsLayer(parameters, self.ANNOTATION, context)
        self.sources["Annotation"] = None
        if annotation is not None:
            kind = "vector" if isinstance(annotation, QgsVectorLayer) else "raster"
            provider = annotation.providerType()
            self.sources["Annotation"] = (annotation.source(), annotation.name(), kind,
                                          provider)
        self.field = self.parameterAsString(parameters, self.ANNOTATION_FIELD, context)
        self.codes_of = self._codes_of(self.parameterAsFile(parameters, self.MAPPING,
                                                            context))
        self.group_name = self.parameterAsString(parameters, self.GROUP_NAME, context)
        self.project_path = self.parameterAsFileOutput(parameters, self.OUTPUT_PROJECT,
                                                       context)
        if self.project_path:
            if not self.project_path.lower().endswith((".qgz", ".qgs")):
                raise QgsProcessingException(self.tr(
                    "{path}: a project file ends in .qgz or .qgs.").format(
                        path=self.project_path))
            from ..engine.errors import UserError
            from ..engine.io.outputs import check_output_paths

            inputs = [src[0].split("|")[0] for src in self.sources.values() if src]
            try:  # the save dialog asked before replacing; an input is never replaced
                check_output_paths([self.project_path], inputs, overwrite=True)
            except UserError as error:
                raise QgsProcessingException(str(error)) from error
        return super().prepareAlgorithm(parameters, context, feedback)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        # nothing to compute: the project is edited in postProcessAlgorithm (main thread)
        missing = [name for name, src in self.sources.items()
                   if src and src[2] == "raster" and not os.path.exists(src[0].split("|")[0])
                   and "://" not in src[0]]
        for name in missing:
            feedback.pushWarning(self.tr("{layer}: its file is not found").format(layer=name))
        return {}

    def postProcessAlgorithm(self, context, feedback):  # noqa: N802
        themes = self._build(context.project() or QgsProject.instance())
        if self.project_path:
            from ..engine.io.atomic import atomic_path

            other = QgsProject()
            self._build(other)
            # written whole under a temporary name beside it, then renamed
            with atomic_path(self.project_path, overwrite=True) as temp:
                if not other.write(str(temp)):
                    raise QgsProcessingException(self.tr(
                        "Could not write the project {path}: {error}").format(
                            path=self.project_path, error=other.error()))
        feedback.pushInfo(self.tr("Map themes: {themes}").format(themes=", ".join(themes)))
        return {self.THEMES: ", ".join(themes), self.OUTPUT_PROJECT: self.project_path or None}

    def _build(self, project: QgsProject):
        layers = {}
        for theme, src in self.sources.items():
            if src is None:
                layers[theme] = None
            elif src[2] == "vector":
                layers[theme] = QgsVectorLayer(src[0], src[1], src[3])
                if self.field:
                    style_annotation(layers[theme], self.field, self.codes_of)
            else:
                layer = QgsRasterLayer(src[0], src[1])
                if theme in ("Prediction", "Annotation") and not _has_sidecar(src[0]):
                    _apply_flair_style(layer)
                layers[theme] = layer
        return build_comparison(project, self.group_name, layers)


    def _codes_of(self, table: str):
        """value -> FLAIR code: through the mapping table, else the value itself when it
        is a FLAIR code (1..19)."""
        from ..engine.errors import UserError
        from ..engine.evaluation.mapping import ClassMapping, code_of

        if table:
            try:
                mapping = ClassMapping.from_csv(table)
            except UserError as error:
                raise QgsProcessingException(str(error)) from error
            return mapping.code
        return lambda value: code_of(str(value)) if str(value).strip().isdigit() else None


def _has_sidecar(path: str) -> bool:
    return qml.sidecar_path(path.split("|")[0]).exists()


def _apply_flair_style(layer: QgsRasterLayer) -> None:
    """The FLAIR colours (the same QML as a sidecar) on a class raster without a style."""
    doc = QDomDocument()
    doc.setContent(qml.paletted_qml("flair19"))
    layer.importNamedStyle(doc)

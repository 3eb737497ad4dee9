"""``flair:downloadmodel``: get one of IGN's published models onto this computer.

The segmentation algorithms download a chosen model on first use anyway; this algorithm
is for doing it ahead (before going offline, for a whole team's shared folder) and for
knowing where the file is. The work is :mod:`..engine.io.published`'s.
"""

from qgis.core import QgsProcessingOutputFile, QgsProcessingParameterEnum
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from ..engine.io import published
from .base import FlairAlgorithm
from .engine_bridge import FeedbackCallbacks, engine_errors
from .model_choice import catalogue_help, models_folder


class DownloadModelAlgorithm(FlairAlgorithm):
    MODEL, FILE = "PUBLISHED_MODEL", "FILE"

    NAME = "downloadmodel"
    DISPLAY_NAME = QT_TRANSLATE_NOOP("DownloadModelAlgorithm", "Download an IGN FLAIR model")
    GROUP = QT_TRANSLATE_NOOP("DownloadModelAlgorithm", "Set-up")
    GROUP_ID = "setup"
    TAGS = ("download", "model", "weights", "hugging face", "flair-inc", "modèle")
    HELP = QT_TRANSLATE_NOOP(
        "DownloadModelAlgorithm",
        "Downloads one of the models IGN publishes on Hugging Face (huggingface.co/IGNF) "
        "into this QGIS profile, where the segmentation algorithms find it by name. They "
        "download a model on first use anyway: do it here ahead, e.g. before working "
        "offline.\n\n"
        "An interrupted download resumes where it stopped; the file is checked against the "
        "published checksum. QGIS's proxy settings are used. The environment variable "
        "FLAIR_MODELS_DIR names a folder shared by a team instead.\n"
        "Offline, the log gives the exact address to fetch with a browser and where to put "
        "the file.")

    def initAlgorithm(self, config=None):  # noqa: N802
        choice = QgsProcessingParameterEnum(
            self.MODEL, self.tr("Model"), options=list(published.PUBLISHED),
            defaultValue=next(iter(published.PUBLISHED)))
        choice.setUsesStaticStrings(True)
        choice.setHelp(catalogue_help())
        self.addParameter(choice)
        self.addOutput(QgsProcessingOutputFile(self.FILE, self.tr("Model file")))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        model = published.published(self.parameterAsEnumString(parameters, self.MODEL,
                                                                context))
        folder = models_folder()
        bridge = FeedbackCallbacks(feedback)
        with engine_errors():
            if published.is_installed(model, folder):
                feedback.pushInfo(self.tr("{name} is already on this computer").format(
                    name=model.name))
            path = published.fetch(model, folder, progress=bridge.progress,
                                   cancel=bridge.cancel, proxy=self.proxy or None)
        feedback.pushInfo(self.tr("{name}: {path} ({inputs}; {classes}; {score}; licence "
                                  "{licence})").format(
            name=model.name, path=path, inputs=model.inputs, classes=model.classes,
            score=model.score, licence=model.licence))
        return {self.FILE: str(path)}

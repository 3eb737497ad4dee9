"""The model of a segmentation: a file, or one of IGN's published models by name.

A new user has no model file. Every segmentation algorithm offers the catalogue of
published models (:mod:`..engine.io.published`) beside the file picker; a model not yet
on this computer is downloaded on first use into the QGIS profile, with progress and
cancel in the algorithm's own dialog, and used from there afterwards.
"""

from qgis.core import (
    QgsApplication,
    QgsProcessingException,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from ..engine.io import published

MODEL_FILTER = QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "FLAIR models (*.safetensors *.pth *.ckpt);;Our format (*.safetensors);;"
                      "FLAIR-HUB weights (*.safetensors);;FLAIR-INC weights (*.pth);;"
                      "FLAIR-1 Lightning (*.ckpt);;All files (*)")


def tr(text: str) -> str:
    """``text`` translated: pylupdate5 files this module's ``tr("...")`` calls under
    "@default" (no class), the QT_TRANSLATE_NOOP texts under "FlairAlgorithm"."""
    translated = QCoreApplication.translate("@default", text)
    return translated if translated != text else QCoreApplication.translate(
        "FlairAlgorithm", text)


def models_folder():
    """Where published models are kept: ``<QGIS profile>/flair_landcover/models``."""
    return published.models_dir(QgsApplication.qgisSettingsDirPath())


def add_model_parameters(algorithm, file_name: str = "MODEL",
                         published_name: str = "PUBLISHED_MODEL", series: bool = False) -> None:
    """A model file, or (when none is given) a published model by name. The names are
    static strings (``PUBLISHED_MODEL=FLAIR-INC_rgbie_15cl``): stable on the command line
    and in saved models as the catalogue grows. ``series``: list the models that also
    read satellite series (the multimodal algorithm) instead of the aerial-only ones."""
    algorithm.addParameter(QgsProcessingParameterFile(
        file_name, tr(QT_TRANSLATE_NOOP("FlairAlgorithm",
                                        "Model file (or choose an IGN model below)")),
        optional=True, fileFilter=tr(MODEL_FILTER)))
    choice = QgsProcessingParameterEnum(
        published_name, tr(QT_TRANSLATE_NOOP("FlairAlgorithm",
                                             "Or an IGN model (downloaded on first use)")),
        options=list(published.choices(series)), optional=True, defaultValue=None)
    choice.setUsesStaticStrings(True)
    choice.setHelp(catalogue_help(published.choices(series)))
    algorithm.addParameter(choice)


def catalogue_help(names=None) -> str:
    """One line a published model (``names``, default all), ✓ where it is on this computer
    already (catalogue data, like class names: not translated)."""
    folder = models_folder()
    return "\n".join(published.describe(published.PUBLISHED[n], folder)[0]
                     for n in (names or published.PUBLISHED))


def model_path(algorithm, parameters, context, callbacks, file_name: str = "MODEL",
               published_name: str = "PUBLISHED_MODEL") -> str:
    """The model file to run: the file given, else the published model (downloaded now if
    it is not on this computer yet). In processAlgorithm: the download reports through
    ``callbacks`` (:class:`.engine_bridge.FeedbackCallbacks`), inside ``engine_errors``,
    through QGIS's proxy (read by :meth:`.base.FlairAlgorithm.prepareAlgorithm`).

    Raises:
        QgsProcessingException: neither a file nor a published model was chosen.
    """
    path = algorithm.parameterAsFile(parameters, file_name, context)
    if path:
        return path
    name = algorithm.parameterAsEnumString(parameters, published_name, context)
    if not name:
        raise QgsProcessingException(tr(QT_TRANSLATE_NOOP(
            "FlairAlgorithm", "Choose a model: a model file, or one of IGN's published "
                              "models (downloaded on first use)")))
    model = published.published(name)
    folder = models_folder()
    if not published.is_installed(model, folder):
        callbacks.log(tr(QT_TRANSLATE_NOOP(
            "FlairAlgorithm", "Downloading {name} ({size} MB) into {folder}")).format(
            name=model.name, size=model.size_mb, folder=folder))
    return str(published.fetch(model, folder, progress=callbacks.progress,
                               cancel=callbacks.cancel,
                               proxy=getattr(algorithm, "proxy", "") or None))

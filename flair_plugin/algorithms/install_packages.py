"""``flair:installpackages``: install the Python packages FLAIR needs, from QGIS.

The plugin installs with QGIS's own toolbox, but torch & co. are not part of QGIS. This
algorithm runs pip with QGIS's Python into a folder of the plugin's own (under the QGIS
profile), with progress and cancel in the ordinary Processing dialog, and says whether
QGIS must restart. The work is :mod:`..installer`'s; this module only maps parameters.
"""

from qgis.core import (
    QgsApplication,
    QgsProcessingException,
    QgsProcessingOutputBoolean,
    QgsProcessingOutputFolder,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterString,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from .. import dependencies, installer
from .base import FlairAlgorithm
from .parameters import advanced

WHAT = (("inference and training", dependencies.TRAINING),
        ("evaluation and styles only", dependencies.EVALUATION))
TORCH_BUILDS = ("auto", "cpu", "cuda")


def package_folder():
    """The plugin's package folder in this QGIS profile (activated when the plugin loads)."""
    return installer.default_folder(QgsApplication.qgisSettingsDirPath())


class InstallPackagesAlgorithm(FlairAlgorithm):
    WHAT, TORCH_BUILD, INDEX_URL, FIND_LINKS = "WHAT", "TORCH_BUILD", "INDEX_URL", "FIND_LINKS"
    FOLDER, RESTART_NEEDED = "FOLDER", "RESTART_NEEDED"

    NAME = "installpackages"
    DISPLAY_NAME = QT_TRANSLATE_NOOP("InstallPackagesAlgorithm",
                                     "Install the Python packages FLAIR needs")
    GROUP = QT_TRANSLATE_NOOP("InstallPackagesAlgorithm", "Set-up")
    GROUP_ID = "setup"
    TAGS = ("install", "pip", "torch", "packages", "dependencies", "set-up")
    HELP = QT_TRANSLATE_NOOP(
        "InstallPackagesAlgorithm",
        "Downloads and installs the Python packages that segmentation and training need "
        "(PyTorch, segmentation-models-pytorch, rasterio...) into a folder of this plugin's "
        "own in your QGIS profile. Nothing of QGIS or of your system is changed: deleting "
        "that folder undoes it. Cancel leaves everything as it was.\n\n"
        "<b>PyTorch build</b>: auto takes the small CPU build when the computer has no "
        "NVIDIA graphics card, the CUDA build otherwise.\n"
        "QGIS's proxy settings are used. Offline: give a folder of downloaded wheel files "
        "(advanced), or an index of your organisation.\n"
        "When an older copy of a package is already loaded, the log says to restart QGIS.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterEnum(
            self.WHAT, self.tr("Packages for"), options=[self.tr(w) for w, _ in WHAT],
            defaultValue=0))
        self.addParameter(QgsProcessingParameterEnum(
            self.TORCH_BUILD, self.tr("PyTorch build"), options=list(TORCH_BUILDS),
            defaultValue=0))
        self.addParameter(advanced(QgsProcessingParameterString(
            self.INDEX_URL, self.tr("Package index URL (empty = PyPI)"), optional=True)))
        self.addParameter(advanced(QgsProcessingParameterFile(
            self.FIND_LINKS, self.tr("Folder of wheel files (offline install)"),
            behavior=QgsProcessingParameterFile.Folder, optional=True)))
        self.addOutput(QgsProcessingOutputFolder(self.FOLDER, self.tr("Package folder")))
        self.addOutput(QgsProcessingOutputBoolean(self.RESTART_NEEDED,
                                                  self.tr("QGIS must restart")))

    def prepareAlgorithm(self, parameters, context, feedback):  # noqa: N802
        self._folder = package_folder()
        return super().prepareAlgorithm(parameters, context, feedback)  # reads the proxy

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        requirements = WHAT[self.parameterAsEnum(parameters, self.WHAT, context)][1]
        try:
            result = installer.install(
                requirements, self._folder,
                torch_build=TORCH_BUILDS[self.parameterAsEnum(parameters, self.TORCH_BUILD,
                                                              context)],
                index_url=self.parameterAsString(parameters, self.INDEX_URL, context) or None,
                find_links=self.parameterAsString(parameters, self.FIND_LINKS, context)
                or None,
                proxy=self.proxy or None, log=feedback.pushInfo,
                progress=lambda f: feedback.setProgress(100 * f), cancel=feedback.isCanceled)
        except (installer.InstallError, installer.InstallCancelled) as error:
            raise QgsProcessingException(str(error)) from None
        if result.installed:
            feedback.pushInfo(self.tr("Installed {names} into {folder}").format(
                names=", ".join(result.installed), folder=result.folder))
        if result.restart_needed:
            feedback.pushWarning(self.tr(
                "Restart QGIS: an older copy of a package is loaded in this session"))
        elif result.installed:
            feedback.pushInfo(self.tr("Ready: no restart needed"))
        return {self.FOLDER: str(result.folder), self.RESTART_NEEDED: result.restart_needed}

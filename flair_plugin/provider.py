"""The ``flair`` Processing provider: lists the algorithms, nothing heavy at import.

Its texts are translated in the ``FlairProvider`` context, which pylupdate5 gives the
``self.tr`` calls below.
"""

from qgis.core import QgsMessageLog, QgsProcessingModelAlgorithm, QgsProcessingProvider
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from .algorithms import ALGORITHMS
from .resources import icon_path, model_paths


class FlairProvider(QgsProcessingProvider):
    def id(self):
        return "flair"

    def tr(self, text: str) -> str:
        return QCoreApplication.translate("FlairProvider", text)

    def name(self):
        return self.tr("FLAIR land cover")

    def longName(self):  # noqa: N802
        return self.tr("FLAIR land cover (IGN FLAIR models for aerial imagery)")

    def icon(self):
        return QIcon(icon_path())

    def svgIconPath(self):  # noqa: N802
        return icon_path()

    def loadAlgorithms(self):  # noqa: N802
        for algorithm_class in ALGORITHMS:
            self.addAlgorithm(algorithm_class())
        for path in model_paths():
            self._add_model(path)

    def _add_model(self, path: str) -> None:
        """A shipped Graphical Modeler workflow, listed under this provider's "Workflows"."""
        model = QgsProcessingModelAlgorithm()
        if model.fromFile(path):
            self.addAlgorithm(model)
        else:  # a broken file must not take the whole provider down
            QgsMessageLog.logMessage(
                self.tr("Could not read the workflow {path}").format(path=path), "FLAIR")

"""The ``flair`` Processing provider: lists the algorithms, nothing heavy at import."""

from qgis.core import QgsMessageLog, QgsProcessingModelAlgorithm, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .algorithms import ALGORITHMS
from .resources import icon_path, model_paths


class FlairProvider(QgsProcessingProvider):
    def id(self):
        return "flair"

    def name(self):
        return "FLAIR land cover"

    def longName(self):  # noqa: N802
        return "FLAIR land cover (IGN FLAIR models for aerial imagery)"

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
            QgsMessageLog.logMessage(f"Could not read the workflow {path}", "FLAIR")

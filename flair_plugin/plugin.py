"""The QGIS plugin object: registers the FLAIR Processing provider, nothing else.

Everything a user does goes through Processing (toolbox, Graphical Modeler, batch,
``qgis_process``), so the plugin itself only adds and removes the provider.
"""

from qgis.core import QgsApplication

from .provider import FlairProvider


class FlairPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None

    def initProcessing(self):  # noqa: N802 (QGIS calls this name; qgis_process too)
        if self.provider is None:
            provider = FlairProvider()
            # The registry refuses (and deletes) a second provider with the same id, e.g.
            # when the plugin folder is installed twice: keep no dangling reference then.
            if QgsApplication.processingRegistry().addProvider(provider):
                self.provider = provider

    def initGui(self):  # noqa: N802
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None

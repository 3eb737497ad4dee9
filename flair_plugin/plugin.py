"""The QGIS plugin object: registers the FLAIR Processing provider, and offers to install
the Python packages when they are missing.

Everything a user does goes through Processing (toolbox, Graphical Modeler, batch,
``qgis_process``), so the plugin itself adds and removes the provider; the packages it
installed itself (``flair:installpackages``) are put on ``sys.path`` before anything
checks for them.
"""

from qgis.core import QgsApplication

from . import dependencies, i18n, installer
from .provider import FlairProvider

INSTALL_ALGORITHM = "flair:installpackages"


class FlairPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        i18n.install_translator()  # before the provider: its names are read translated
        installer.activate(installer.default_folder(QgsApplication.qgisSettingsDirPath()))

    def initProcessing(self):  # noqa: N802 (QGIS calls this name; qgis_process too)
        if self.provider is None:
            provider = FlairProvider()
            # The registry refuses (and deletes) a second provider with the same id, e.g.
            # when the plugin folder is installed twice: keep no dangling reference then.
            if QgsApplication.processingRegistry().addProvider(provider):
                self.provider = provider

    def initGui(self):  # noqa: N802
        self.initProcessing()
        if self.iface is not None and dependencies.check(dependencies.INFERENCE):
            self._offer_install()

    def _offer_install(self) -> None:
        """A message bar entry with an Install button: the first thing a new user sees is
        the way forward, not a wall of pip commands."""
        from qgis.core import Qgis
        from qgis.PyQt.QtCore import QCoreApplication
        from qgis.PyQt.QtWidgets import QPushButton

        def tr(text):  # pylupdate5 files these calls under "@default" (no QObject class)
            return QCoreApplication.translate("@default", text)

        bar = self.iface.messageBar()
        item = bar.createMessage(tr("FLAIR land cover"), tr(
            "segmentation and training need Python packages (PyTorch...) that QGIS does "
            "not have yet"))
        button = QPushButton(tr("Install them…"))
        button.clicked.connect(self._open_installer)
        item.layout().addWidget(button)
        bar.pushWidget(item, Qgis.Warning)
        self._install_message = item

    def _open_installer(self) -> None:
        import processing

        processing.execAlgorithmDialog(INSTALL_ALGORITHM)

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        i18n.remove_translator()

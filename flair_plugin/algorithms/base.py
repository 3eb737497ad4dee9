"""What every FLAIR algorithm shares: names, help, icon, translation, the dependency gate.

Subclasses declare class attributes instead of re-implementing the same half-dozen
methods, so the provider's algorithms cannot drift apart in how they present themselves.

Translation follows pylupdate5's contexts, so a later ``.ts`` file works as extracted:
``self.tr("...")`` is filed under the class the call is written in, a class attribute
marked ``QT_TRANSLATE_NOOP("Class", "...")`` under the class it names, and the help texts
of :mod:`..engine.options` and the module-level helpers under ``FlairAlgorithm``.
:meth:`FlairAlgorithm.tr` looks a text up in each of those contexts.
"""

import functools
import re
from pathlib import Path
from typing import Dict, Sequence

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from .. import dependencies, i18n
from ..resources import icon_path
from ..torch_guard import block_triton

PLUGIN_ROOT = Path(__file__).resolve().parents[2]


@functools.lru_cache(maxsize=1)
def _readme_anchors() -> Dict[str, str]:
    """``flair:<name>`` -> the GitHub anchor of the README heading naming it.

    Read off the README shipped with the plugin, so a renamed heading moves its link too;
    headings follow "### <display name> (`flair:<name>`)"."""
    try:
        text = (PLUGIN_ROOT / "README.md").read_text(encoding="utf-8")
    except OSError:  # a plugin folder without its README: links go to the page's top
        return {}
    anchors = {}
    for heading in re.findall(r"^#{2,4} (.+)$", text, flags=re.MULTILINE):
        for algorithm in re.findall(r"`(flair:\w+)`", heading):
            anchors.setdefault(algorithm, github_anchor(heading))
    return anchors


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped,
    spaces as hyphens."""
    kept = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return kept.replace(" ", "-")


@functools.lru_cache(maxsize=1)
def homepage() -> str:
    """The plugin's home page, from metadata.txt (its one source)."""
    try:
        for line in (PLUGIN_ROOT / "metadata.txt").read_text(encoding="utf-8").splitlines():
            if line.startswith("homepage="):
                return line.split("=", 1)[1].strip()
    except OSError:  # no metadata (a bare checkout of the engine): no link
        return ""
    return ""


class FlairAlgorithm(QgsProcessingAlgorithm):
    NAME = ""
    DISPLAY_NAME = ""
    GROUP = ""
    GROUP_ID = ""
    HELP = ""
    TAGS: Sequence[str] = ()
    # Python packages the algorithm needs beyond QGIS; checked in prepareAlgorithm because
    # qgis_process and processing.run ignore canExecute().
    REQUIREMENTS: Sequence[dependencies.Requirement] = ()
    language = "en"  # QGIS's language, read in prepareAlgorithm (main thread)

    def tr(self, text: str) -> str:
        """``text`` translated in the context of the class that wrote it: the most derived
        class first, so an inherited string (a parameter SegmentAerialAlgorithm defines and
        SegmentMultimodalAlgorithm shows) is found under its own class."""
        for cls in type(self).__mro__:
            if cls is QgsProcessingAlgorithm:
                break
            translated = QCoreApplication.translate(cls.__name__, text)
            if translated != text:
                return translated
        return text

    def name(self):
        return self.NAME

    def displayName(self):  # noqa: N802
        return self.tr(self.DISPLAY_NAME)

    def group(self):
        return self.tr(self.GROUP)

    def groupId(self):  # noqa: N802
        return self.GROUP_ID

    def tags(self):
        return list(self.TAGS) + ["flair", "ign", "land cover", "occupation du sol"]

    def shortHelpString(self):  # noqa: N802
        return self.tr(self.HELP)

    def icon(self):
        return QIcon(icon_path())

    def helpUrl(self):  # noqa: N802
        """The README section of this algorithm (the dialog's Help button), else the
        README's list of algorithms."""
        page = homepage()
        if not page:
            return ""
        anchor = _readme_anchors().get(f"flair:{self.NAME}", "algorithms")
        return f"{page}#{anchor}"

    def createInstance(self):  # noqa: N802
        return type(self)()

    def prepareAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from .engine_bridge import qgis_proxy

        self.proxy = qgis_proxy()  # for downloads; QgsSettings belongs to the main thread
        self.language = i18n.language()  # of legends and reports: read here for the same reason
        missing = dependencies.missing_message(self.REQUIREMENTS) if self.REQUIREMENTS else ""
        if missing:
            raise QgsProcessingException(missing)
        if self.REQUIREMENTS:
            block_triton()  # before torch is first imported in this QGIS process
            # at once, in the main thread: PyTorch and the model take seconds to load,
            # which a silent busy bar makes look like a hang
            feedback.pushInfo(self.tr("Starting: loading PyTorch and the model (a few "
                                      "seconds)…"))
        return True

"""The plugin's language: QGIS's locale, and the Qt translator of the French texts.

The engine stays English (it also runs with no QGIS); what QGIS shows goes through
``tr()`` and the ``i18n/flair_landcover_<lang>.qm`` file installed here. Class names do
not: they come in both languages from the nomenclature, picked with :func:`language`.
"""

from pathlib import Path
from typing import Optional

from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, QLocale, QTranslator

I18N = Path(__file__).resolve().parent.parent / "i18n"
"""Where the ``.ts`` sources and the compiled ``.qm`` files live (``make translations``)."""
LANGUAGES = ("en", "fr")
"""Languages with class names in the nomenclature; any other locale reads English."""

_installed: Optional[QTranslator] = None  # kept: Qt does not own an installed translator


def locale_name() -> str:
    """QGIS's interface locale, e.g. ``fr_FR`` or ``en_US``: the one chosen in Settings >
    Options > General when it overrides the system's, else the system's."""
    # QGIS writes userLocale at start (the system's locale unless overridden), so it is
    # the one answer in the desktop and in qgis_process; empty in a bare profile.
    chosen = QgsSettings().value("locale/userLocale", "", type=str)
    return chosen or QLocale().name()


def language() -> str:
    """The two-letter language of QGIS's locale if the plugin speaks it, else ``en``."""
    code = locale_name()[:2].lower()
    return code if code in LANGUAGES else "en"


def translation_file(lang: Optional[str] = None) -> Path:
    """The compiled translation of ``lang`` (default: QGIS's language)."""
    return I18N / f"flair_landcover_{lang or language()}.qm"


def install_translator() -> Optional[QTranslator]:
    """Install the translator of QGIS's language, once; None for English or when the
    ``.qm`` is missing (a checkout where ``make translations`` has not run): English then."""
    global _installed
    if _installed is not None:
        return _installed
    lang = language()
    path = translation_file(lang)
    if lang == "en" or not path.is_file():
        return None
    translator = QTranslator()
    if not translator.load(str(path)):
        return None
    QCoreApplication.installTranslator(translator)
    _installed = translator
    return translator


def remove_translator() -> None:
    """Undo :func:`install_translator` (plugin unload)."""
    global _installed
    if _installed is not None:
        QCoreApplication.removeTranslator(_installed)
        _installed = None

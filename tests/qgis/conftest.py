"""A real, headless QGIS for the tests: one QgsApplication, Processing, our provider.

These are QGIS's own objects, not stand-ins: the algorithms run through
``processing.run`` exactly as from the Python console.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.append("/usr/share/qgis/python/plugins")  # QGIS's own "processing" package

from qgis.core import QgsApplication  # noqa: E402

REPO = Path(__file__).resolve().parents[2]

_app = None


@pytest.fixture(scope="session")
def qgis_app():
    global _app
    if _app is None:
        QgsApplication.setPrefixPath("/usr", True)
        _app = QgsApplication([], False)
        _app.initQgis()
        from processing.core.Processing import Processing

        Processing.initialize()
    yield _app


@pytest.fixture(scope="session")
def flair_plugin(qgis_app):
    from flair_landcover.flair_plugin.plugin import FlairPlugin

    plugin = FlairPlugin(None)
    plugin.initProcessing()
    yield plugin
    plugin.unload()


@pytest.fixture(scope="session")
def plugin_zip(tmp_path_factory):
    """The plugin zip exactly as ``make package`` builds it."""
    out = tmp_path_factory.mktemp("dist") / "flair_landcover.zip"
    subprocess.run([sys.executable, str(REPO / "scripts" / "package.py"), "--output", str(out)],
                   check=True, capture_output=True)
    return out

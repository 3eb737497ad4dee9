"""A QGIS whose Python has none of the packages: the first thing a user sees is an offer
to install them, whose button opens the installer (real desktop under Xvfb)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers_desktop import make_profile

SCRIPT = Path(__file__).with_name("desktop_install_script.py")
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.skipif(shutil.which("xvfb-run") is None or shutil.which("qgis") is None,
                    reason="needs xvfb-run and qgis (make setup installs them)")
def test_a_qgis_without_the_packages_offers_to_install_them(tmp_path):
    make_profile(tmp_path / "qgis")
    result = tmp_path / "result.json"
    window, dialog = tmp_path / "window.png", tmp_path / "dialog.png"
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "PYTHONPATH", "VIRTUAL_ENV")}  # QGIS's bare Python
    env.update(FLAIR_DESKTOP_RESULT=str(result), FLAIR_DESKTOP_PNG=str(window),
               FLAIR_DESKTOP_DIALOG_PNG=str(dialog))
    done = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "qgis", "--nologo",
         "--noversioncheck", "--profiles-path", str(tmp_path / "qgis"), "--code",
         str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300)
    assert result.exists(), f"QGIS wrote no result:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    report = json.loads(result.read_text())
    assert "error" not in report, report["error"]
    assert any("need Python packages" in m for m in report["messages"]), report
    assert report["buttons"] == ["Install them…"]
    assert report["dialog"].startswith("Install the Python packages FLAIR needs")
    if os.environ.get("FLAIR_DOCS_SCREENSHOTS"):
        shutil.copy(window, DOCS / "desktop_install_offer.png")
        shutil.copy(dialog, DOCS / "desktop_install_dialog.png")

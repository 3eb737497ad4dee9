"""Run inside the real QGIS desktop whose Python lacks torch & co. (``qgis --code``): the
message bar must offer the install, and its button must open the installer's dialog.
Writes what it saw to FLAIR_DESKTOP_RESULT for the test, and screenshots."""

import json
import os
import traceback

from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QApplication, QPushButton
from qgis.utils import iface

report = {}


def save():
    with open(os.environ["FLAIR_DESKTOP_RESULT"], "w") as f:
        json.dump(report, f)


def look_at_the_dialog():
    shown = [w for w in QApplication.topLevelWidgets()
             if w.isVisible() and "Python packages" in w.windowTitle()]
    report["dialog"] = shown[0].windowTitle() if shown else None
    report["windows"] = [w.windowTitle() for w in QApplication.topLevelWidgets()
                         if w.isVisible()]
    save()
    for dialog in shown:
        dialog.grab().save(os.environ["FLAIR_DESKTOP_DIALOG_PNG"])
        dialog.close()


def main():
    try:
        items = iface.messageBar().items()
        report["messages"] = [f"{item.title()}: {item.text()}" for item in items]
        buttons = [b for item in items for b in item.findChildren(QPushButton)
                   if b.text().startswith("Install")]
        report["buttons"] = [b.text() for b in buttons]
        iface.mainWindow().grab().save(os.environ["FLAIR_DESKTOP_PNG"])
        save()
        if buttons:
            QTimer.singleShot(3000, look_at_the_dialog)
            buttons[0].click()  # modal: returns once the dialog is closed
    except Exception:  # noqa: BLE001 - reported to the test, which fails on it
        report["error"] = traceback.format_exc()
    save()
    QTimer.singleShot(0, QgsApplication.instance().quit)


QTimer.singleShot(3000, main)
QTimer.singleShot(180000, QgsApplication.instance().quit)  # never hang a test run

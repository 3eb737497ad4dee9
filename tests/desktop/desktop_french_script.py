"""Runs INSIDE the real QGIS desktop, set to French (``qgis --code``): segment and load,
open the segmentation dialog, record what they show, screenshot both.

Parameters come from the environment (FLAIR_DESKTOP_*); findings go to a JSON file that
the test reads, because QGIS's exit code says nothing about a script's assertions.
"""

import json
import os
import traceback

from qgis.core import QgsApplication, QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QAbstractButton, QLabel
from qgis.utils import iface

RESULT = os.environ["FLAIR_DESKTOP_RESULT"]


def step(name: str) -> None:
    """Where the script got to, for a test that times out."""
    with open(RESULT + ".steps", "a") as f:
        f.write(name + "\n")


def run():
    import processing

    report = {}
    # the imagery loaded first, as a user has it: the dialog proposes it
    iface.addRasterLayer(os.environ["FLAIR_DESKTOP_IMAGE"], "ortho_D075")
    step("dialog")
    dialog = processing.createAlgorithmDialog("flair:segmentaerial")
    dialog.resize(900, 760)
    dialog.show()
    for _ in range(20):
        QgsApplication.processEvents()
    report["dialog_title"] = dialog.windowTitle()
    report["dialog_labels"] = [w.text() for w in dialog.findChildren(QLabel) if w.text()]
    report["dialog_buttons"] = [w.text() for w in dialog.findChildren(QAbstractButton)
                                if w.text()]
    step("grab")
    dialog.grab().save(os.environ["FLAIR_DESKTOP_DIALOG_PNG"])
    dialog.close()
    step("segment")
    processing.runAndLoadResults("flair:segmentaerial", {
        "INPUT": os.environ["FLAIR_DESKTOP_IMAGE"], "MODEL": os.environ["FLAIR_DESKTOP_MODEL"],
        "BLOCK": 128, "HALO": 32, "OUTPUT": os.environ["FLAIR_DESKTOP_OUTPUT"],
        "OUTPUT_CONFIDENCE": os.environ["FLAIR_DESKTOP_CONFIDENCE"]})
    project = QgsProject.instance()
    report["layers"] = sorted(layer.name() for layer in project.mapLayers().values())
    model = iface.layerTreeView().layerTreeModel()
    legends = {}
    for node in project.layerTreeRoot().findLayers():
        # a colour ramp's node has no text (data 0 is None)
        legends[node.layer().name()] = [str(n.data(0)) for n in model.layerLegendNodes(node)
                                        if n.data(0) is not None]
    report["legends"] = legends
    canvas = iface.mapCanvas()
    canvas.setExtent(project.mapLayers()[next(iter(project.mapLayers()))].extent())
    canvas.refreshAllLayers()
    canvas.waitWhileRendering()
    iface.layerTreeView().expandAll()
    QgsApplication.processEvents()
    iface.mainWindow().grab().save(os.environ["FLAIR_DESKTOP_WINDOW_PNG"])

    return report


def main():
    step("main")
    try:
        report = run()
    except Exception:  # noqa: BLE001 - reported to the test, which fails on it
        report = {"error": traceback.format_exc()}
    try:
        with open(RESULT, "w") as f:
            json.dump(report, f, ensure_ascii=False, default=str)
    finally:  # QGIS must end whatever happened, or the test waits for its timeout
        QgsProject.instance().setDirty(False)  # no "save the project?" question on quit
        QTimer.singleShot(0, QgsApplication.instance().quit)


# Let the main window finish starting (plugins, canvas) before running.
QTimer.singleShot(1500, main)

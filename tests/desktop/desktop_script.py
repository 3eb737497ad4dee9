"""Runs INSIDE the real QGIS desktop (``qgis --code``): segment, load, inspect, screenshot.

Parameters come from the environment (FLAIR_DESKTOP_*); findings go to a JSON file that
the test reads, because QGIS's exit code says nothing about a script's assertions.
"""

import json
import os
import traceback

from qgis.core import QgsApplication, QgsPalettedRasterRenderer, QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.utils import iface

RESULT = os.environ["FLAIR_DESKTOP_RESULT"]


def run():
    import processing

    report = {"plugin_loaded": "flair_landcover" in __import__("qgis.utils").utils.active_plugins}
    result = processing.runAndLoadResults("flair:segmentaerial", {
        "INPUT": os.environ["FLAIR_DESKTOP_IMAGE"], "MODEL": os.environ["FLAIR_DESKTOP_MODEL"],
        "BLOCK": 128, "HALO": 32, "OUTPUT": os.environ["FLAIR_DESKTOP_OUTPUT"]})
    layer = QgsProject.instance().mapLayer(result["OUTPUT"]) or next(
        iter(QgsProject.instance().mapLayersByName("Land cover — area")), None)
    report["layers"] = [lyr.name() for lyr in QgsProject.instance().mapLayers().values()]
    node = QgsProject.instance().layerTreeRoot().findLayer(layer.id()) if layer else None
    report["in_layer_tree"] = node is not None
    report["renderer"] = layer.renderer().type() if layer else None
    if layer is not None and isinstance(layer.renderer(), QgsPalettedRasterRenderer):
        report["palette"] = {c.label: c.color.name() for c in layer.renderer().classes()}
    model = iface.layerTreeView().layerTreeModel()
    report["legend"] = [n.data(0) for n in model.layerLegendNodes(node)] if node else []
    canvas = iface.mapCanvas()
    canvas.setExtent(layer.extent())
    canvas.refreshAllLayers()
    canvas.waitWhileRendering()
    canvas.saveAsImage(os.environ["FLAIR_DESKTOP_PNG"])
    report["png"] = os.environ["FLAIR_DESKTOP_PNG"]
    if os.environ.get("FLAIR_DESKTOP_WINDOW_PNG"):  # the whole window, for the README
        iface.layerTreeView().expandAll()
        QgsApplication.processEvents()
        iface.mainWindow().grab().save(os.environ["FLAIR_DESKTOP_WINDOW_PNG"])
    return report


def main():
    try:
        report = run()
    except Exception:  # noqa: BLE001 - reported to the test, which fails on it
        report = {"error": traceback.format_exc()}
    with open(RESULT, "w") as f:
        json.dump(report, f)
    QTimer.singleShot(0, QgsApplication.instance().quit)


# Let the main window finish starting (plugins, canvas) before running.
QTimer.singleShot(1500, main)

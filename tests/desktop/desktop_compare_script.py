"""Runs INSIDE the real QGIS desktop (``qgis --code``): evaluate polygons, load the error
layers, build the comparison group and map themes, switch themes, take screenshots.

Parameters come from the environment (FLAIR_COMPARE_*); findings go to a JSON file that
the test reads, because QGIS's exit code says nothing about a script's assertions.
"""

import json
import os
import traceback

from qgis.core import QgsApplication, QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.utils import iface

ENV = {k[len("FLAIR_COMPARE_"):].lower(): v for k, v in os.environ.items()
       if k.startswith("FLAIR_COMPARE_")}


def run():
    import processing

    project = QgsProject.instance()
    report = {}
    result = processing.runAndLoadResults("flair:evaluate", {
        "PREDICTION": ENV["prediction"], "REFERENCE_POLYGONS": ENV["annotation"],
        "REFERENCE_FIELD": "cs", "MAPPING": ENV["table"], "CELL_SIZE": 8.0,
        "OUTPUT_REPORT": ENV["report"], "OUTPUT_ERRORS": ENV["errors"],
        "OUTPUT_CONFUSION": ENV["confusion"], "OUTPUT_HOTSPOTS": ENV["hotspots"]})
    loaded = {lyr.name(): lyr for lyr in project.mapLayers().values()}
    report["loaded"] = sorted(loaded)
    errors = project.mapLayer(result["OUTPUT_ERRORS"]) or loaded.get("Errors (over the "
                                                                     "imagery: wrong pixels "
                                                                     "in the predicted "
                                                                     "class's colour)")
    report["errors_renderer"] = errors.renderer().type() if errors else None
    report["errors_labels"] = ([c.label for c in errors.renderer().classes()]
                               if errors and errors.renderer().type() == "paletted" else [])
    for layer in list(project.mapLayers().values()):  # compare builds its own group
        project.removeMapLayer(layer.id())
    out = processing.run("flair:compare", {
        "IMAGERY": ENV["imagery"], "PREDICTION": ENV["prediction"],
        "ANNOTATION": ENV["annotation"], "ANNOTATION_FIELD": "cs", "MAPPING": ENV["table"],
        "ERRORS": ENV["errors"]})
    report["themes_output"] = out.get("THEMES")
    root = project.layerTreeRoot()
    group = root.findGroup("FLAIR comparison")
    report["group"] = [n.layer().name() for n in group.findLayers()] if group else None
    themes = project.mapThemeCollection()
    report["themes"] = themes.mapThemes()
    model = iface.layerTreeView().layerTreeModel()
    canvas = iface.mapCanvas()
    imagery = next(iter(project.mapLayersByName("ortho")))
    canvas.setExtent(imagery.extent())
    report["visible"] = {}
    for theme in ("Imagery", "Annotation", "Errors"):
        themes.applyTheme(theme, root, model)
        QgsApplication.processEvents()
        report["visible"][theme] = sorted(n.layer().name() for n in root.findLayers()
                                          if n.isVisible())
        canvas.refreshAllLayers()
        canvas.waitWhileRendering()
        canvas.saveAsImage(ENV[f"png_{theme.lower()}"])
    if ENV.get("window_png"):
        iface.layerTreeView().expandAll()
        QgsApplication.processEvents()
        iface.mainWindow().grab().save(ENV["window_png"])
    return report


def main():
    try:
        report = run()
    except Exception:  # noqa: BLE001 - reported to the test, which fails on it
        report = {"error": traceback.format_exc()}
    with open(ENV["result"], "w") as f:
        json.dump(report, f)
    QTimer.singleShot(0, QgsApplication.instance().quit)


# Let the main window finish starting (plugins, canvas) before running.
QTimer.singleShot(1500, main)

"""FLAIR Land Cover, a QGIS plugin.

QGIS imports this package under whatever folder name the plugin was unzipped to, so
everything inside uses relative imports. ``classFactory`` imports nothing heavy: torch
and rasterio are only imported when an algorithm that needs them runs.
"""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .flair_plugin.plugin import FlairPlugin

    return FlairPlugin(iface)

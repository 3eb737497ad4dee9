"""Graduated styles for the vector outputs of the evaluation (hot spots, polygon stats).

Built with QGIS's renderer API and stored twice: in the GeoPackage's own style table as
its default (QGIS applies it whenever the layer is loaded, in any project) and as a
``.qml`` sidecar. Neither needs the project, so this runs in ``processAlgorithm``'s worker
thread, and under ``qgis_process`` where layer post-processors never run.
"""

from typing import Sequence, Tuple

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsFillSymbol,
    QgsGraduatedSymbolRenderer,
    QgsRendererCategory,
    QgsRendererRange,
    QgsVectorLayer,
)
from qgis.PyQt.QtGui import QColor

from ..engine.io.atomic import atomic_path
from . import qml

# (lower, upper, colour, label): error rates in %, white-yellow-red, half transparent so
# the imagery stays readable under the cells
ERROR_RATE_CLASSES: Tuple[Tuple[float, float, str, str], ...] = (
    (0.0, 5.0, "#ffffb2", "0 – 5 % wrong"),
    (5.0, 10.0, "#fecc5c", "5 – 10 % wrong"),
    (10.0, 20.0, "#fd8d3c", "10 – 20 % wrong"),
    (20.0, 40.0, "#f03b20", "20 – 40 % wrong"),
    (40.0, 100.0, "#bd0026", "40 – 100 % wrong"),
)
AGREEMENT_CLASSES: Tuple[Tuple[float, float, str, str], ...] = (
    (0.0, 50.0, "#d7191c", "0 – 50 % agree"),
    (50.0, 75.0, "#fdae61", "50 – 75 % agree"),
    (75.0, 90.0, "#ffffbf", "75 – 90 % agree"),
    (90.0, 100.0, "#1a9641", "90 – 100 % agree"),
)

CONFIDENCE_CLASSES: Tuple[Tuple[float, float, str, str], ...] = (
    (0.0, 30.0, "#54278f", "mean confidence 0 – 30 %"),
    (30.0, 45.0, "#8c6bb1", "30 – 45 %"),
    (45.0, 100.0, "#bfd3e6", "45 % and more"),
)


def style_graduated(path: str, field: str,
                    classes: Sequence[Tuple[float, float, str, str]],
                    opacity: int = 140) -> bool:
    """Give the GeoPackage at ``path`` a graduated default style on ``field``.

    The ``.qml`` sidecar is written atomically, and never over a style this plugin did
    not write (the one in the GeoPackage is enough for QGIS). Returns False (and styles
    nothing) when the file cannot be opened as a layer.
    """
    layer = QgsVectorLayer(path, "styled", "ogr")
    if not layer.isValid():
        return False
    ranges = []
    for low, high, colour, label in classes:
        fill = QColor(colour)
        fill.setAlpha(opacity)
        symbol = QgsFillSymbol.createSimple({"color": fill.name(QColor.HexArgb),
                                             "outline_color": "#606060",
                                             "outline_width": "0.2"})
        symbol.setColor(fill)
        ranges.append(QgsRendererRange(low, high, symbol, label))
    layer.setRenderer(QgsGraduatedSymbolRenderer(field, ranges))
    layer.setCustomProperty(qml.MARKER, field)  # tells our sidecar from a user's
    layer.saveStyleToDatabase("flair", "FLAIR land cover", True, "")
    sidecar = qml.sidecar_path(path)
    if not qml.would_replace_users_style(sidecar):
        with atomic_path(sidecar, overwrite=True) as temp:
            layer.saveNamedStyle(str(temp))
    return True


def style_categorized(path: str, field: str, categories: Sequence[Tuple[int, str, str]],
                      opacity: int = 200) -> bool:
    """Give the GeoPackage at ``path`` a categorized default style on ``field``: one
    (value, colour, label) category each, FLAIR's colours for land-cover polygons.

    Saved as in :func:`style_graduated` (in the GeoPackage, and a sidecar unless a user's
    style is there). Returns False when the file cannot be opened as a layer.
    """
    layer = QgsVectorLayer(path, "styled", "ogr")
    if not layer.isValid():
        return False
    layer.setRenderer(categorized_renderer(field, categories, opacity))
    layer.setCustomProperty(qml.MARKER, field)
    layer.saveStyleToDatabase("flair", "FLAIR land cover", True, "")
    sidecar = qml.sidecar_path(path)
    if not qml.would_replace_users_style(sidecar):
        with atomic_path(sidecar, overwrite=True) as temp:
            layer.saveNamedStyle(str(temp))
    return True


def categorized_renderer(field: str, categories: Sequence[Tuple[int, str, str]],
                         opacity: int = 200) -> QgsCategorizedSymbolRenderer:
    """One fill per (value, colour, label); a white class gets a grey outline so that it
    shows on a white background."""
    rows = []
    for value, colour, label in categories:
        fill = QColor(colour)
        fill.setAlpha(opacity)
        outline = "#9a9a9a" if colour.lower() == "#ffffff" else "#505050"
        symbol = QgsFillSymbol.createSimple({"color": fill.name(QColor.HexArgb),
                                             "outline_color": outline,
                                             "outline_width": "0.15"})
        symbol.setColor(fill)
        rows.append(QgsRendererCategory(value, symbol, label))
    return QgsCategorizedSymbolRenderer(field, rows)

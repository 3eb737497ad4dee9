"""One layer group and four map themes to compare imagery, prediction, annotation, errors.

Project-side code: it touches a ``QgsProject``, so an algorithm calls it from
``postProcessAlgorithm`` (main thread), never from ``processAlgorithm``.
"""

from typing import Callable, Dict, List, Optional, Sequence

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsFillSymbol,
    QgsLayerTreeGroup,
    QgsMapLayer,
    QgsMapThemeCollection,
    QgsProject,
    QgsRendererCategory,
    QgsVectorLayer,
)
from qgis.PyQt.QtGui import QColor

from ..nomenclature import flair_class

THEMES = ("Imagery", "Prediction", "Annotation", "Errors")
"""Theme name -> what it shows over the imagery (the imagery alone for "Imagery")."""


def build_comparison(project: QgsProject, group_name: str,
                     layers: Dict[str, Optional[QgsMapLayer]]) -> List[str]:
    """Add ``layers`` (keys: the :data:`THEMES` names, values: a layer or None) to
    ``project`` in a new group at the top, and one map theme per layer given: the layer
    over the imagery. Returns the theme names created.

    Themes of the same names are replaced (a new comparison in the same project).
    """
    root = project.layerTreeRoot()
    group = root.insertGroup(0, group_name)
    order = [name for name in ("Errors", "Annotation", "Prediction", "Imagery")
             if layers.get(name) is not None]  # top of the group first
    for name in order:
        project.addMapLayer(layers[name], False)
        group.addLayer(layers[name])
    imagery = layers.get("Imagery")
    themes = project.mapThemeCollection()
    created = []
    for theme in THEMES:
        layer = layers.get(theme)
        if layer is None:
            continue
        shown: Sequence[QgsMapLayer] = [layer] if theme == "Imagery" or imagery is None \
            else [layer, imagery]
        record = QgsMapThemeCollection.MapThemeRecord()
        record.setLayerRecords([QgsMapThemeCollection.MapThemeLayerRecord(lyr)
                                for lyr in shown])
        if themes.hasMapTheme(theme):
            themes.update(theme, record)
        else:
            themes.insert(theme, record)
        created.append(theme)
    _show(group, layers.get("Errors") or layers.get("Prediction"), imagery)
    return created


def _show(group: QgsLayerTreeGroup, top: Optional[QgsMapLayer],
          imagery: Optional[QgsMapLayer]) -> None:
    """Start on the most telling view: errors (or the prediction) over the imagery."""
    for node in group.findLayers():
        node.setItemVisibilityChecked(node.layer() in (top, imagery))


def style_annotation(layer: QgsVectorLayer, field: str,
                     codes_of: Callable[[object], Optional[int]]) -> int:
    """Colour annotation polygons by their class: one category per value of ``field``,
    in the FLAIR colour of the code ``codes_of(value)`` gives (grey when none), half
    transparent with a dark outline so the imagery stays visible. Returns the categories.
    """
    index = layer.fields().indexOf(field)
    if index < 0:
        return 0
    categories = []
    for value in sorted(layer.uniqueValues(index), key=str):
        code = codes_of(value)
        if code:
            cls = flair_class(code)
            colour, label = QColor(cls.colour), f"{value} → {cls.name}"
        else:
            colour, label = QColor("#9e9e9e"), f"{value} (not mapped)"
        colour.setAlpha(110)
        symbol = QgsFillSymbol.createSimple({"outline_color": "#303030",
                                             "outline_width": "0.3"})
        symbol.setColor(colour)
        categories.append(QgsRendererCategory(value, symbol, label))
    layer.setRenderer(QgsCategorizedSymbolRenderer(field, categories))
    return len(categories)

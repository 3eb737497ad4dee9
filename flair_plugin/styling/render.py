"""Render class rasters to a PNG map with a legend, with QGIS's own layout engine.

Used by ``make demo`` and the tests to show what a user sees in QGIS, without a screen.
"""

from pathlib import Path
from typing import Sequence

from qgis.core import (
    QgsLayerTree,
    QgsLayout,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsMapLayer,
    QgsMapLayerLegendUtils,
    QgsPalettedRasterRenderer,
    QgsProject,
    QgsUnitTypes,
)
from qgis.PyQt.QtGui import QFont

MM = QgsUnitTypes.LayoutMillimeters


def export_maps_png(layers: Sequence[Sequence[QgsMapLayer]], titles: Sequence[str],
                    legend_layers: Sequence[QgsMapLayer], output: Path, title: str = "",
                    dpi: int = 150) -> Path:
    """One map frame per entry of ``layers`` (top layer first), side by side, and a legend.

    The layers must belong to ``QgsProject.instance()`` (the legend reads its layer tree).
    """
    project = QgsProject.instance()
    layout = QgsLayout(project)
    layout.initializeDefaults()
    page = layout.pageCollection().page(0)
    frame_mm, margin = 110.0, 8.0
    rows = sum(len(_palette_rows(layer)) for layer in legend_layers) + 2 * len(legend_layers)
    height = max(frame_mm + 30, 40 + 6.6 * rows)
    page.setPageSize(QgsLayoutSize(margin + len(layers) * (frame_mm + margin) + 70, height, MM))
    _label(layout, title, margin, 4, 12)
    for i, (frame_layers, frame_title) in enumerate(zip(layers, titles)):
        x = margin + i * (frame_mm + margin)
        _label(layout, frame_title, x, 14, 9)
        item = QgsLayoutItemMap(layout)
        item.attemptMove(QgsLayoutPoint(x, 22, MM))
        item.attemptResize(QgsLayoutSize(frame_mm, frame_mm, MM))
        item.setLayers(list(frame_layers))
        item.setExtent(frame_layers[0].extent())
        item.setFrameEnabled(True)
        layout.addLayoutItem(item)
    legend = QgsLayoutItemLegend(layout)
    legend.setTitle("Land cover")
    legend.setAutoUpdateModel(False)
    root = QgsLayerTree()
    for layer in legend_layers:
        root.addLayer(layer)
    legend.model().setRootGroup(root)
    for node in root.findLayers():
        _hide_band_name(legend, node)
    legend.attemptMove(QgsLayoutPoint(margin + len(layers) * (frame_mm + margin), 22, MM))
    layout.addLayoutItem(legend)
    # the page as wide as the longest legend label needs (about 2.4 mm a character at the
    # legend's 10 pt; the legend measures itself only once rendered)
    longest = max((len(c.label) for layer in legend_layers for c in _palette_rows(layer)),
                  default=0)
    page.setPageSize(QgsLayoutSize(margin + len(layers) * (frame_mm + margin)
                                   + max(70.0, 14 + 2.4 * longest), height, MM))
    output.parent.mkdir(parents=True, exist_ok=True)
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = dpi
    settings.exportMetadata = False  # PNG has no room for it; GDAL warns otherwise
    settings.generateWorldFile = False
    result = QgsLayoutExporter(layout).exportToImage(str(output), settings)
    if result != QgsLayoutExporter.Success:
        raise RuntimeError(f"QGIS could not export the map to {output} (code {result})")
    return output


def _palette_rows(layer: QgsMapLayer) -> list:
    renderer = getattr(layer, "renderer", lambda: None)()
    return renderer.classes() if isinstance(renderer, QgsPalettedRasterRenderer) else []


def _hide_band_name(legend: QgsLayoutItemLegend, node) -> None:
    """Drop the "Band 1 (Gray)" row QGIS puts above a paletted legend: readers want the
    classes, not the band."""
    count = len(_palette_rows(node.layer()))
    if count:
        QgsMapLayerLegendUtils.setLegendNodeOrder(node, list(range(1, count + 1)))
        legend.model().refreshLayerLegend(node)


def _label(layout: QgsLayout, text: str, x: float, y: float, size: int) -> None:
    if not text:
        return
    label = QgsLayoutItemLabel(layout)
    label.setText(text)
    label.setFont(QFont("Sans", size))
    label.adjustSizeToText()
    label.attemptMove(QgsLayoutPoint(x, y, MM))
    layout.addLayoutItem(label)

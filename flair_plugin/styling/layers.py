"""Styling inside QGIS: read which class values a layer holds, apply our QML to layers.

The QML itself comes from :mod:`.qml`, so a layer styled here and a raster styled by its
sidecar on a machine without QGIS look exactly the same.
"""

from typing import Dict, List, Optional, Sequence

from qgis.core import (
    Qgis,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProviderRegistry,
    QgsRasterBandStats,
    QgsRasterBlockFeedback,
    QgsRasterLayer,
    QgsRectangle,
)

INTEGER_TYPES = (Qgis.Byte, Qgis.UInt16, Qgis.Int16, Qgis.UInt32, Qgis.Int32)
MAX_DISTINCT_RANGE = 65536  # a wider min..max range is not a class raster


def raster_file_path(layer: QgsRasterLayer) -> Optional[str]:
    """The file behind a GDAL layer, or None for a layer with no file (WMS, memory...)."""
    if layer.providerType() != "gdal":
        return None
    return QgsProviderRegistry.instance().decodeUri("gdal", layer.source()).get("path") or None


def check_class_band(layer: QgsRasterLayer, band: int) -> None:
    """Refuse a band that cannot hold class codes, saying why and what to do."""
    count = layer.bandCount()
    if not 1 <= band <= count:
        raise QgsProcessingException(
            f"Band {band} does not exist: {layer.name()} has {count} band(s). "
            "Choose the band that holds the class codes.")
    data_type = layer.dataProvider().dataType(band)
    if data_type not in INTEGER_TYPES:
        type_name = layer.dataProvider().dataTypeSize(band) * 8
        raise QgsProcessingException(
            f"Band {band} of {layer.name()} holds {type_name}-bit floating point or "
            "non-integer values, but a land-cover raster holds integer class codes. If it "
            "does hold whole numbers, convert it first (Raster > Conversion > Translate, "
            "output data type Byte).")


def class_value_counts(layer: QgsRasterLayer, band: int, feedback=None) -> Dict[int, int]:
    """Exact pixel count of every value in ``band`` (no data excluded), streamed by QGIS."""
    provider = layer.dataProvider()
    raster_feedback = QgsRasterBlockFeedback()  # the provider wants this type of feedback
    if feedback is not None:
        feedback.canceled.connect(raster_feedback.cancel)
    stats = provider.bandStatistics(band, QgsRasterBandStats.Min | QgsRasterBandStats.Max,
                                    QgsRectangle(), 0, raster_feedback)
    if stats.elementCount == 0 and stats.minimumValue > stats.maximumValue:
        return {}
    low, high = int(stats.minimumValue), int(stats.maximumValue)
    if high - low + 1 > MAX_DISTINCT_RANGE:
        raise QgsProcessingException(
            f"Band {band} of {layer.name()} spans values {low}..{high}: that is not a "
            "raster of class codes. Pick the band of a prediction or an MSK_ annotation.")
    histogram = provider.histogram(band, high - low + 1, low - 0.5, high + 0.5,
                                   QgsRectangle(), 0, False, raster_feedback)
    return {low + i: n for i, n in enumerate(histogram.histogramVector) if n}


class StylePostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Applies a QML to an output layer once the toolbox has loaded it into the project.

    QGIS holds post-processors by raw pointer, so ``create`` keeps each one alive in a
    class-level list; otherwise Python collects it before QGIS calls it.
    """

    _alive: List["StylePostProcessor"] = []

    def __init__(self, qml_path: str, layer_name: str = ""):
        super().__init__()
        self.qml_path = qml_path
        self.layer_name = layer_name

    @classmethod
    def create(cls, qml_path: str, layer_name: str = "") -> "StylePostProcessor":
        """``layer_name``: what the layer is called in the Layers panel (after QGIS's own
        naming, which would call every run "Land cover"); empty = QGIS's name."""
        processor = cls(qml_path, layer_name)
        cls._alive.append(processor)
        return processor

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if self.qml_path:
            apply_qml(layer, self.qml_path)
        if self.layer_name:
            layer.setName(self.layer_name)


def apply_qml(layer: QgsRasterLayer, qml_path: str) -> None:
    message, ok = layer.loadNamedStyle(qml_path)
    if not ok:
        raise QgsProcessingException(f"Could not apply style {qml_path}: {message}")
    layer.triggerRepaint()
    layer.emitStyleChanged()


def present_codes(path: str, band: int = 1,
                  candidates: Optional[Sequence[int]] = None) -> List[int]:
    """The class values (1..255) present in ``band`` of the raster at ``path``, exactly
    (GDAL's full histogram, streamed: no whole-raster array); only ``candidates`` when
    given. For legends that list what the map holds."""
    from osgeo import gdal

    dataset = gdal.Open(str(path))
    if dataset is None:
        raise QgsProcessingException(f"Could not open {path}")
    counts = dataset.GetRasterBand(band).GetHistogram(-0.5, 255.5, 256, 0, 0)
    wanted = set(candidates) if candidates is not None else set(range(1, 256))
    return [value for value, n in enumerate(counts) if n and value in wanted]

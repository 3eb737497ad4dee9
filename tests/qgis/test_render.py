"""A styled class raster renders to a PNG with the FLAIR colours and a legend."""

import numpy as np
from helpers_rasters import class_raster
from qgis.core import QgsProject, QgsRasterLayer
from qgis.PyQt.QtGui import QImage

from flair_landcover.flair_plugin.nomenclature import flair_class
from flair_landcover.flair_plugin.styling import qml
from flair_landcover.flair_plugin.styling.render import export_maps_png


def test_png_shows_flair_colours(qgis_app, tmp_path):
    raster = class_raster(tmp_path / "pred.tif", [1, 5, 13], shape=(60, 60))
    qml.write_sidecar(raster, "flair19")
    layer = QgsRasterLayer(str(raster), "prediction")
    QgsProject.instance().addMapLayer(layer)
    try:
        png = export_maps_png([[layer]], ["Prediction"], [layer], tmp_path / "map.png",
                              title="test", dpi=60)
    finally:
        QgsProject.instance().removeMapLayer(layer.id())
    image = QImage(str(png)).convertToFormat(QImage.Format_RGB888)
    assert not image.isNull()
    width, height = image.width(), image.height()
    pixels = np.frombuffer(image.constBits().asstring(image.bytesPerLine() * height),
                           np.uint8).reshape(height, image.bytesPerLine())[:, :width * 3]
    colours = {tuple(p) for p in pixels.reshape(-1, 3)}
    for code in (1, 5, 13):
        assert flair_class(code).rgb in colours, flair_class(code).name

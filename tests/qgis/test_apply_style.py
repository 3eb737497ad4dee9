"""``flair:applystyle`` through ``processing.run`` in a real QGIS."""

import numpy as np
import pytest
from helpers_rasters import class_raster, write_raster
from qgis.core import (
    QgsPalettedRasterRenderer,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsRasterLayer,
)

from flair_landcover.flair_plugin import nomenclature
from flair_landcover.flair_plugin.styling import qml


class RecordingFeedback(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.warnings, self.infos = [], []

    def pushWarning(self, text):  # noqa: N802
        self.warnings.append(text)

    def pushInfo(self, text):  # noqa: N802
        self.infos.append(text)


def run_style(flair_plugin, **params):
    import processing

    feedback = RecordingFeedback()
    result = processing.run("flair:applystyle", params, feedback=feedback)
    return result, feedback


def palette(layer):
    renderer = layer.renderer()
    assert isinstance(renderer, QgsPalettedRasterRenderer), type(renderer)
    return {c.value: (c.label, c.color.name()) for c in renderer.classes()}


@pytest.mark.parametrize("scheme_key", nomenclature.SCHEME_KEYS)
def test_every_class_colour_and_name(flair_plugin, tmp_path, scheme_key):
    scheme = nomenclature.scheme(scheme_key)
    raster = class_raster(tmp_path / "pred.tif", scheme.values)
    result, feedback = run_style(flair_plugin, INPUT=str(raster), SCHEME=scheme_key)
    assert result["OUTPUT"] == str(raster)
    assert not feedback.warnings

    sidecar = tmp_path / "pred.qml"
    assert qml.is_our_style(sidecar)
    # QGIS applies the sidecar when it loads the raster: read the legend QGIS shows.
    shown = palette(QgsRasterLayer(str(raster), "pred"))
    expected = {e.value: (e.name, qml.swatch(e.colour)) for e in scheme.entries}
    assert shown == expected


def test_flair19_names_and_colours_are_the_official_ones(flair_plugin, tmp_path):
    raster = class_raster(tmp_path / "MSK_000001.tif", range(1, 20))
    run_style(flair_plugin, INPUT=str(raster), SCHEME="flair19")
    shown = palette(QgsRasterLayer(str(raster), "msk"))
    assert shown[1] == ("building", "#db0e9a")
    assert shown[5] == ("water", "#1553ae")
    assert shown[13] == ("swimming pool", "#3de6eb")
    assert len(shown) == 19


def test_layer_in_project_is_styled_in_place(flair_plugin, tmp_path):
    raster = class_raster(tmp_path / "in_project.tif", [1, 2, 3])
    (tmp_path / "in_project.qml").unlink(missing_ok=True)
    layer = QgsRasterLayer(str(raster), "in project")
    QgsProject.instance().addMapLayer(layer)
    try:
        assert not isinstance(layer.renderer(), QgsPalettedRasterRenderer)
        run_style(flair_plugin, INPUT=layer.id(), SCHEME="flair19")
        assert palette(layer)[3] == ("impervious surface", "#f80c00")
    finally:
        QgsProject.instance().removeMapLayer(layer.id())


def test_band_parameter_picks_the_class_band(flair_plugin, tmp_path):
    data = np.stack([np.full((8, 8), 200, np.uint8), np.full((8, 8), 5, np.uint8)])
    raster = write_raster(tmp_path / "two_bands.tif", data)
    run_style(flair_plugin, INPUT=str(raster), BAND=2, SCHEME="flair19")
    layer = QgsRasterLayer(str(raster), "two")
    assert layer.renderer().band() == 2
    with pytest.raises(QgsProcessingException, match="Band 3 does not exist"):
        run_style(flair_plugin, INPUT=str(raster), BAND=3, SCHEME="flair19")


def test_float_raster_is_refused(flair_plugin, tmp_path):
    raster = write_raster(tmp_path / "float.tif", np.full((8, 8), 3.0, np.float32))
    with pytest.raises(QgsProcessingException, match="floating point"):
        run_style(flair_plugin, INPUT=str(raster), SCHEME="flair19")
    assert not (tmp_path / "float.qml").exists()


def test_stray_values_are_named_in_a_warning(flair_plugin, tmp_path):
    raster = class_raster(tmp_path / "stray.tif", [1, 2, 3, 42])
    _, feedback = run_style(flair_plugin, INPUT=str(raster), SCHEME="flair19")
    assert any("42" in w and "transparent" in w for w in feedback.warnings), feedback.warnings
    assert (tmp_path / "stray.qml").exists()


def test_wrong_scheme_is_refused_with_a_hint(flair_plugin, tmp_path):
    # 0-based FLAIR-HUB values 0..18 read as 1..19 codes would shift every colour; a raster
    # of only 0s and 19..20s cannot be flair19 at all... use values only flairhub knows.
    raster = class_raster(tmp_path / "hub.tif", [0])
    with pytest.raises(QgsProcessingException, match="flairhub"):
        run_style(flair_plugin, INPUT=str(raster), SCHEME="flair19")
    assert not (tmp_path / "hub.qml").exists()


def test_users_own_style_is_kept_unless_replacing(flair_plugin, tmp_path):
    raster = class_raster(tmp_path / "mine.tif", [1, 2])
    own = tmp_path / "mine.qml"
    own.write_text("<qgis><pipe/></qgis>")
    with pytest.raises(QgsProcessingException, match="REPLACE_STYLE"):
        run_style(flair_plugin, INPUT=str(raster), SCHEME="flair19")
    assert own.read_text() == "<qgis><pipe/></qgis>"
    run_style(flair_plugin, INPUT=str(raster), SCHEME="flair19", REPLACE_STYLE=True)
    assert qml.is_our_style(own)


def test_our_own_sidecar_is_refreshed(flair_plugin, tmp_path):
    raster = class_raster(tmp_path / "again.tif", [0, 1, 2])
    run_style(flair_plugin, INPUT=str(raster), SCHEME="flairhub")
    run_style(flair_plugin, INPUT=str(raster), SCHEME="baseline13")
    assert palette(QgsRasterLayer(str(raster), "again"))[12] == ("other", "#000000")

"""QML written without QGIS (the engine writes sidecars on machines with no QGIS)."""

import xml.etree.ElementTree as ET

import pytest

from flair_landcover.flair_plugin.styling import qml


def test_palette_matches_scheme_and_subset(tmp_path):
    text = qml.paletted_qml("flair19", band=2, codes=[1, 5, 13])
    root = ET.fromstring(text.split("\n", 1)[1])
    renderer = root.find("pipe/rasterrenderer")
    assert renderer.get("type") == "paletted" and renderer.get("band") == "2"
    entries = [(e.get("value"), e.get("label"), e.get("color"))
               for e in renderer.iter("paletteEntry")]
    assert entries == [("1", "building", "#db0e9a"), ("5", "water", "#1553ae"),
                       ("13", "swimming pool", "#3de6eb")]


def test_sidecar_never_replaces_a_users_style(tmp_path):
    raster = tmp_path / "pred.tif"
    own = tmp_path / "pred.qml"
    own.write_text("<qgis/>")
    with pytest.raises(qml.StyleExistsError, match="was not written by FLAIR"):
        qml.write_sidecar(raster, "flair19")
    assert own.read_text() == "<qgis/>"
    qml.write_sidecar(raster, "flair19", replace=True)
    assert qml.is_our_style(own)
    qml.write_sidecar(raster, "flairhub")  # ours: refreshed without asking
    assert 'value="flairhub"' in own.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["pred.qml"]  # no temp file left
    assert own.stat().st_mode & 0o044  # readable by others, like any style file


def test_french_names_and_a_visible_snow_swatch():
    text = qml.paletted_qml("flair19", codes=[1, 12, 14], language="fr")
    root = ET.fromstring(text.split("\n", 1)[1])
    entries = [(e.get("label"), e.get("color")) for e in root.iter("paletteEntry")]
    assert entries == [("bâtiment", "#db0e9a"), ("terre labourée", "#e4df7c"),
                       ("neige", qml.WHITE_SWATCH)]
    assert qml.WHITE_SWATCH.lower() != "#ffffff"


def test_confidence_style_is_a_ramp_from_unsure_to_sure(tmp_path):
    text = qml.confidence_qml(labels=("a", "b", "c", "d"))
    root = ET.fromstring(text.split("\n", 1)[1])
    renderer = root.find("pipe/rasterrenderer")
    assert renderer.get("type") == "singlebandpseudocolor"
    items = [(i.get("value"), i.get("label")) for i in renderer.iter("item")]
    assert items == [("0", "a"), ("128", "b"), ("191", "c"), ("255", "d")]
    path = qml.write_sidecar(tmp_path / "conf.tif", "flair19", text=text)
    assert qml.is_our_style(path) and "colorrampshader" in path.read_text()


def test_palette_values_read_back_what_was_written(tmp_path):
    path = qml.write_sidecar(tmp_path / "x.tif", "flair19", codes=[3, 1, 14], language="fr")
    assert qml.palette_values(path) == [1, 3, 14]

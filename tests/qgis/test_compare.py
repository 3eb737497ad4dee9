"""``flair:compare``: one layer group and the four map themes, in the project and a file."""

import numpy as np
import processing
from helpers_rasters import ORIGIN, write_raster
from helpers_vectors import (
    PIXEL,
    RECTS,
    TABLE,
    pixel_rectangle,
    prediction_array,
    write_polygons,
)
from osgeo import ogr
from qgis.core import (
    QgsPalettedRasterRenderer,
    QgsProcessingFeedback,
    QgsProject,
)

THEMES = ["Imagery", "Prediction", "Annotation", "Errors"]


def _inputs(tmp_path):
    rng = np.random.default_rng(0)
    imagery = write_raster(tmp_path / "ortho.tif",
                           rng.integers(0, 255, (3, 80, 100), dtype=np.uint8), pixel=PIXEL)
    pred = write_raster(tmp_path / "pred.tif", prediction_array(), pixel=PIXEL)
    errors = write_raster(tmp_path / "errors.tif", prediction_array() * 0, pixel=PIXEL)
    feats = [(pixel_rectangle(ORIGIN, PIXEL, c0, r0, c1, r1), {"cs": v})
             for c0, r0, c1, r1, v in RECTS]
    annotation = write_polygons(tmp_path / "a.gpkg", feats, [("cs", ogr.OFTString)])
    return imagery, pred, errors, annotation


def test_group_and_map_themes(flair_plugin, tmp_path):
    imagery, pred, errors, annotation = _inputs(tmp_path)
    table = tmp_path / "t.csv"
    table.write_text(TABLE)
    project = QgsProject.instance()
    before = set(project.mapLayers())
    out = processing.run("flair:compare", {
        "IMAGERY": str(imagery), "PREDICTION": str(pred), "ANNOTATION": str(annotation),
        "ERRORS": str(errors), "GROUP_NAME": "check 42", "ANNOTATION_FIELD": "cs",
        "MAPPING": str(table),
        "OUTPUT_PROJECT": str(tmp_path / "compare.qgz")}, feedback=QgsProcessingFeedback())
    try:
        group = project.layerTreeRoot().findGroup("check 42")
        assert group is not None
        names = [node.layer().name() for node in group.findLayers()]
        assert names == ["errors", "a", "pred", "ortho"]  # errors on top, imagery below
        themes = project.mapThemeCollection()
        assert all(themes.hasMapTheme(t) for t in THEMES)
        by_name = {node.layer().name(): node.layer() for node in group.findLayers()}
        assert [lyr.name() for lyr in themes.mapThemeVisibleLayers("Imagery")] == ["ortho"]
        for theme, layer in (("Prediction", "pred"), ("Annotation", "a"),
                             ("Errors", "errors")):
            shown = {lyr.name() for lyr in themes.mapThemeVisibleLayers(theme)}
            assert shown == {layer, "ortho"}, theme
        assert isinstance(by_name["pred"].renderer(), QgsPalettedRasterRenderer)
        categories = {c.value(): c for c in by_name["a"].renderer().categories()}
        building = categories["CS1.1.1.1"]
        assert building.label() == "CS1.1.1.1 → building"
        assert building.symbol().color().name() == "#db0e9a"
        assert categories["XX9"].label() == "XX9 (not mapped)"
        assert "Imagery" in out["THEMES"]
    finally:
        project.removeMapLayers([i for i in project.mapLayers() if i not in before])
        project.layerTreeRoot().removeChildNode(project.layerTreeRoot().findGroup("check 42"))
        for t in THEMES:
            project.mapThemeCollection().removeMapTheme(t)
    saved = QgsProject()
    assert saved.read(str(tmp_path / "compare.qgz"))
    assert sorted(saved.mapThemeCollection().mapThemes()) == sorted(THEMES)
    assert saved.layerTreeRoot().findGroup("check 42") is not None

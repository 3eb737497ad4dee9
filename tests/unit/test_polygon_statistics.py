"""Per-polygon statistics against an independent numpy computation."""

import numpy as np
import pytest
from helpers_rasters import ORIGIN, write_raster
from helpers_vectors import (
    CODE,
    PIXEL,
    RECTS,
    TABLE,
    pixel_rectangle,
    prediction_array,
    write_polygons,
)
from osgeo import ogr

from flair_landcover.flair_plugin.engine.evaluation.vectors import ClassMapping
from flair_landcover.flair_plugin.engine.evaluation.zonal import polygon_statistics
from flair_landcover.flair_plugin.nomenclature import flair_class


def expected_rows():
    """Per rectangle: {code: pixels}, the last polygon burnt winning where they overlap."""
    owner = np.full(prediction_array().shape, -1)
    for i, (c0, r0, c1, r1, _) in enumerate(RECTS):
        owner[r0:r1, c0:c1] = i
    pred = prediction_array()
    out = []
    for i in range(len(RECTS)):
        codes, counts = np.unique(pred[owner == i], return_counts=True)
        out.append(dict(zip(codes.tolist(), counts.tolist())))
    return out


@pytest.mark.parametrize("epsg", [2154, 3857])
def test_statistics_per_polygon(tmp_path, epsg):
    pred = write_raster(tmp_path / "p.tif", prediction_array(), pixel=PIXEL)
    feats = [(pixel_rectangle(ORIGIN, PIXEL, c0, r0, c1, r1), {"cs": v})
             for c0, r0, c1, r1, v in RECTS]
    gpkg = write_polygons(tmp_path / "a.gpkg", feats, [("cs", ogr.OFTString)], epsg=epsg)
    (tmp_path / "t.csv").write_text(TABLE)
    result = polygon_statistics(pred, gpkg, tmp_path / "stats.gpkg", class_field="cs",
                                mapping=ClassMapping.from_csv(tmp_path / "t.csv"), block=32)
    expected = expected_rows()
    ha = PIXEL * PIXEL / 10_000
    ds = ogr.Open(result.path)  # the layer lives as long as its dataset
    layer = ds.GetLayer(0)
    seen, agreements = set(), []
    for f in layer:
        i = f.GetField("source_fid") - 1  # GeoPackage fids start at 1
        seen.add(i)
        counts = expected[i]
        total = sum(counts.values())
        assert f.GetField("area_ha") == pytest.approx(total * ha)
        top = max(counts, key=counts.get)
        assert f.GetField("majority") == flair_class(top).name
        assert f.GetField("majority_share") == pytest.approx(100 * counts[top] / total)
        for code, n in counts.items():
            name = flair_class(code).name.replace(" ", "_")
            assert f.GetField(f"ha_{name}") == pytest.approx(n * ha)
        value = RECTS[i][4]
        if value in CODE:
            agreement = 100 * counts.get(CODE[value], 0) / total
            assert f.GetField("agreement") == pytest.approx(agreement)
            agreements.append(agreement)
        else:
            assert f.GetField("agreement") is None
    assert seen == set(range(len(RECTS)))
    assert agreements == sorted(agreements)  # worst first
    assert any("several polygons" in n for n in result.notes)


def test_without_class_field(tmp_path):
    pred = write_raster(tmp_path / "p.tif", prediction_array(), pixel=PIXEL)
    feats = [(pixel_rectangle(ORIGIN, PIXEL, 0, 0, 100, 80), {"name": "commune"})]
    gpkg = write_polygons(tmp_path / "c.gpkg", feats, [("name", ogr.OFTString)])
    result = polygon_statistics(pred, gpkg, tmp_path / "s.gpkg")
    ds = ogr.Open(result.path)
    f = ds.GetLayer(0).GetNextFeature()
    assert f.GetField("area_ha") == pytest.approx(80 * 100 * PIXEL ** 2 / 1e4)
    assert f.GetFieldIndex("agreement") == -1

"""Polygon annotations in their own nomenclature, scored against a prediction raster.

Each expected figure is computed here from numpy arrays built from the same rectangles
(pixel-aligned edges, so the pixel-centre rule has no ambiguity).
"""

import json

import numpy as np
import pytest
import rasterio
from helpers_rasters import ORIGIN, write_raster
from helpers_vectors import (
    PIXEL,
    RECTS,
    TABLE,
    H,
    W,
    expected_reference,
    independent_confusion,
    pixel_rectangle,
    prediction_array,
    write_polygons,
)
from osgeo import ogr

from flair_landcover.flair_plugin.engine.errors import InputError
from flair_landcover.flair_plugin.engine.evaluation.rasters import (
    confusion_legend,
    evaluate_rasters,
)
from flair_landcover.flair_plugin.engine.evaluation.vectors import ClassMapping


@pytest.fixture
def inputs(tmp_path):
    pred = write_raster(tmp_path / "pred.tif", prediction_array(), pixel=PIXEL)
    features = [(pixel_rectangle(ORIGIN, PIXEL, c0, r0, c1, r1), {"cs": v})
                for c0, r0, c1, r1, v in RECTS]
    gpkg = write_polygons(tmp_path / "annotation.gpkg", features, [("cs", ogr.OFTString)])
    table = tmp_path / "table.csv"
    table.write_text(TABLE)
    return pred, gpkg, table, features


@pytest.mark.parametrize("block", [1024, 16])
def test_exact_confusion_overlaps_and_unmapped(inputs, block, tmp_path):
    pred_path, gpkg, table, _ = inputs
    ref, compared, conflict, unmapped, overlap = expected_reference()
    result = evaluate_rasters(pred_path, gpkg, reference_field="cs",
                              reference_mapping=ClassMapping.from_csv(table), block=block,
                              errors_path=tmp_path / f"errors{block}.tif",
                              confusion_path=tmp_path / f"confusion{block}.tif")
    pred = prediction_array()
    assert np.array_equal(result.confusion.matrix, independent_confusion(pred, ref, compared))
    stats = result.polygons
    assert stats.polygons == len(RECTS)
    assert stats.pixels_conflict == conflict == 200
    assert stats.unmapped_polygons == {"XX9": 1}
    assert stats.unmapped_pixels == {"XX9": unmapped}
    assert stats.pixels_overlap_same_class == overlap - conflict
    assert any("XX9" in n and "add them to the table" in n for n in result.notes)
    assert any("different classes" in n for n in result.notes)
    # hectares: 0.25 m² a pixel
    areas = result.areas()
    assert areas["compared_ha"] == pytest.approx(compared.sum() * 0.25 / 10_000)
    assert areas["classes"]["building"]["annotated_ha"] == pytest.approx(
        (ref == 1).sum() * 0.25 / 10_000)
    json.dumps(result.to_dict(), allow_nan=False)
    # the error layers: correct and uncompared pixels 0 (transparent over the imagery)
    wrong = compared & (ref != pred)
    with rasterio.open(tmp_path / f"errors{block}.tif") as src:
        errors = src.read(1)
    assert np.array_equal(errors, np.where(wrong, pred, 0))
    with rasterio.open(tmp_path / f"confusion{block}.tif") as src:
        confusion = src.read(1)
        assert src.dtypes[0] == "uint16"
    assert np.array_equal(confusion, np.where(wrong, pred.astype(int) * 100 + ref, 0))
    # one legend row per pair present, the largest first
    legend = confusion_legend(result.confusion, result.pixel_area_m2)
    pairs, counts = np.unique(confusion[confusion > 0], return_counts=True)
    assert sorted(v for v, _, _ in legend) == sorted(pairs.tolist())
    by_value = dict(zip(pairs.tolist(), counts.tolist()))
    shown = [by_value[v] for v, _, _ in legend]
    assert shown == sorted(shown, reverse=True)
    value, label, colour = legend[0]
    p, r = divmod(value, 100)
    assert label.startswith(f"predicted {_name(p)} / annotated {_name(r)}")


def _name(code):
    from flair_landcover.flair_plugin.nomenclature import flair_class
    return flair_class(code).name


def test_reference_in_another_crs(inputs, tmp_path):
    pred_path, _, table, features = inputs
    wgs84 = write_polygons(tmp_path / "wgs84.gpkg", features, [("cs", ogr.OFTString)],
                           epsg=4326)
    ref, compared, *_ = expected_reference()
    result = evaluate_rasters(pred_path, wgs84, reference_field="cs",
                              reference_mapping=ClassMapping.from_csv(table), block=32)
    assert np.array_equal(result.confusion.matrix,
                          independent_confusion(prediction_array(), ref, compared))
    assert any("reprojected from EPSG:4326" in n for n in result.notes)


def test_codes_in_the_field_need_no_table(tmp_path):
    pred = write_raster(tmp_path / "pred.tif", prediction_array(), pixel=PIXEL)
    feats = [(pixel_rectangle(ORIGIN, PIXEL, 0, 0, 100, 80), {"code": 3})]
    gpkg = write_polygons(tmp_path / "codes.gpkg", feats, [("code", ogr.OFTInteger)])
    result = evaluate_rasters(pred, gpkg, reference_field="code")
    assert result.confusion.matrix[2].sum() == H * W
    assert result.confusion.matrix[2, 2] == (prediction_array() == 3).sum()


def test_nothing_mapped_fails_before_any_work(inputs, tmp_path):
    pred_path, gpkg, _, _ = inputs
    only_other = ClassMapping.from_rows([("nothing", 1)])
    with pytest.raises(InputError, match="add them to the mapping table"):
        evaluate_rasters(pred_path, gpkg, reference_field="cs", reference_mapping=only_other,
                         errors_path=tmp_path / "e.tif")
    assert not (tmp_path / "e.tif").exists()
    with pytest.raises(InputError, match="no field 'klass'"):
        evaluate_rasters(pred_path, gpkg, reference_field="klass")


def test_mapping_table_errors():
    with pytest.raises(InputError, match="neither a FLAIR code"):
        ClassMapping.from_rows([("value", "code"), ("a", "1"), ("b", "forest")])
    with pytest.raises(InputError, match="mapped twice"):
        ClassMapping.from_rows([("a", "1"), ("a", "2")])
    m = ClassMapping.from_rows([("11", "3"), ("x", "")])
    assert m.code(11) == 3 and m.code(11.0) == 3 and m.code("11") == 3
    assert m.code("x") == 0 and m.code("y") is None


def test_same_file_is_warned(tmp_path):
    path = write_raster(tmp_path / "a.tif", prediction_array(), pixel=PIXEL)
    result = evaluate_rasters(path, path)
    assert result.same_input and "same file" in result.notes[0]


def test_zero_based_prediction_with_the_wrong_scheme_names_the_right_one(tmp_path):
    codes = prediction_array()
    zero_based = write_raster(tmp_path / "zone_detect.tif", codes - 1, pixel=PIXEL)
    annotation = write_raster(tmp_path / "MSK.tif", codes, pixel=PIXEL)
    with pytest.raises(InputError, match="set what the prediction's values mean to "
                                         "'flair19-index'"):
        evaluate_rasters(zero_based, annotation, scheme="flair19-index",
                         errors_path=tmp_path / "e.tif")
    assert not (tmp_path / "e.tif").exists()
    result = evaluate_rasters(zero_based, annotation, prediction_scheme="flair19-index")
    assert result.metrics.overall_accuracy_all == 1.0


def test_headline_is_over_the_classes_present_for_one_area(tmp_path):
    from flair_landcover.flair_plugin.engine.evaluation import report

    ref = prediction_array()
    pred = ref.copy()
    pred[:10, :10] = 5
    result = evaluate_rasters(write_raster(tmp_path / "p.tif", pred, pixel=PIXEL),
                              write_raster(tmp_path / "r.tif", ref, pixel=PIXEL))
    m = result.metrics
    assert result.headline_miou == m.miou_present and m.miou < m.miou_present
    html = report.render_html(result)
    assert html.index("mIoU over the classes present") < html.index("mIoU, FLAIR convention")
    assert "ha" in report.summary_lines(result)[1]
    rows = report.csv_rows(result)
    building = next(r for r in rows if r[2] == "building")
    assert float(building[-2]) == pytest.approx((ref == 1).sum() * 0.25 / 10_000, abs=1e-4)


def test_polygon_area_of_interest(tmp_path):
    """An L-shaped 'commune' in another CRS: only its pixels are evaluated and written."""
    from helpers_vectors import write_polygons as write

    pred = prediction_array()
    ref = pred.copy()
    ref[:, 50:] = 10  # the right half disagrees
    area = [(pixel_rectangle(ORIGIN, PIXEL, 10, 10, 60, 30), {"n": "a"}),
            (pixel_rectangle(ORIGIN, PIXEL, 40, 30, 60, 70), {"n": "b"})]
    gpkg = write(tmp_path / "commune.gpkg", area, [("n", ogr.OFTString)], epsg=3857)
    inside = np.zeros((H, W), bool)
    inside[10:30, 10:60] = True
    inside[30:70, 40:60] = True
    result = evaluate_rasters(write_raster(tmp_path / "p.tif", pred, pixel=PIXEL),
                              write_raster(tmp_path / "r.tif", ref, pixel=PIXEL),
                              area_path=gpkg, block=16, errors_path=tmp_path / "e.tif")
    expected = np.zeros((19, 19), np.int64)
    np.add.at(expected, (ref[inside] - 1, pred[inside] - 1), 1)
    assert np.array_equal(result.confusion.matrix, expected)
    assert result.counts.evaluated == inside.sum() == result.counts.compared
    with rasterio.open(tmp_path / "e.tif") as src:
        errors = src.read(1)
        # the layer covers the area's bounding box (snapped outward), 0 outside the polygons
        c0 = round((src.transform.c - ORIGIN[0]) / PIXEL)
        r0 = round((ORIGIN[1] - src.transform.f) / PIXEL)
        assert c0 <= 10 and r0 <= 10 and c0 + src.width >= 60 and r0 + src.height >= 70
        box = (slice(r0, r0 + src.height), slice(c0, c0 + src.width))
    assert np.array_equal(errors, np.where(inside[box] & (pred[box] != ref[box]), pred[box], 0))


def test_headless_command_with_polygons(inputs, tmp_path, capsys):
    from flair_landcover.flair_plugin.engine.cli.main import main
    from flair_landcover.flair_plugin.styling import qml

    pred_path, gpkg, table, _ = inputs
    args = ["evaluate", "--prediction", str(pred_path), "--reference", str(gpkg),
            "--reference-field", "cs", "--mapping", str(table), "--quiet",
            "--metrics", str(tmp_path / "m.json"), "--errors", str(tmp_path / "e.tif"),
            "--confusion", str(tmp_path / "c.tif"), "--hotspots", str(tmp_path / "h.gpkg"),
            "--cell-size", "8"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "over the classes present" in out and "XX9" in out
    assert qml.is_our_style(tmp_path / "e.qml") and qml.is_our_style(tmp_path / "c.qml")
    ds = ogr.Open(str(tmp_path / "h.gpkg"))
    assert ds.GetLayer(0).GetFeatureCount() > 0


def test_curved_polygons_are_burnt(tmp_path):
    """A circle stored as a curve (GeoPackage allows them): linearised, about π r² px."""
    pred = write_raster(tmp_path / "p.tif", np.full((H, W), 3, np.uint8), pixel=PIXEL)
    cx, cy, r = ORIGIN[0] + 25.0, ORIGIN[1] - 20.0, 10.0
    circle = ogr.CreateGeometryFromWkt(
        f"CURVEPOLYGON(CIRCULARSTRING({cx - r} {cy},{cx + r} {cy},{cx - r} {cy}))")
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(tmp_path / "c.gpkg"))
    from helpers_vectors import srs_of

    layer = ds.CreateLayer("c", srs_of(2154), ogr.wkbCurvePolygon)
    layer.CreateField(ogr.FieldDefn("code", ogr.OFTInteger))
    f = ogr.Feature(layer.GetLayerDefn())
    f.SetField("code", 3)
    f.SetGeometry(circle)
    layer.CreateFeature(f)
    ds = None
    result = evaluate_rasters(pred, tmp_path / "c.gpkg", reference_field="code")
    expected = np.pi * r * r / PIXEL ** 2
    assert abs(result.counts.compared - expected) / expected < 0.02


def test_a_large_shapefile_is_read_through_an_indexed_copy(tmp_path):
    """1,600 squares in a Shapefile (no spatial index): the same figures as the raster."""
    from flair_landcover.flair_plugin.engine.evaluation import vectors

    side = 40  # squares of 2 x 2 px on an 80 x 80 px grid
    ref = np.zeros((80, 80), np.uint8)
    feats = []
    rng = np.random.default_rng(3)
    for i in range(side):
        for j in range(side):
            code = int(rng.choice([1, 3, 10]))
            ref[2 * i:2 * i + 2, 2 * j:2 * j + 2] = code
            feats.append((pixel_rectangle(ORIGIN, PIXEL, 2 * j, 2 * i, 2 * j + 2, 2 * i + 2),
                          {"code": code}))
    assert len(feats) > vectors.INDEXED_COPY_MIN_POLYGONS
    ds = ogr.GetDriverByName("ESRI Shapefile").CreateDataSource(str(tmp_path / "sq.shp"))
    from helpers_vectors import srs_of

    layer = ds.CreateLayer("sq", srs_of(2154), ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("code", ogr.OFTInteger))
    for geometry, attrs in feats:
        f = ogr.Feature(layer.GetLayerDefn())
        f.SetField("code", attrs["code"])
        f.SetGeometry(geometry)
        layer.CreateFeature(f)
    ds = None
    pred = prediction_array()[:80, :80]
    result = evaluate_rasters(write_raster(tmp_path / "p.tif", pred, pixel=PIXEL),
                              tmp_path / "sq.shp", reference_field="code", block=32)
    expected = np.zeros((19, 19), np.int64)
    np.add.at(expected, (ref.ravel() - 1, pred.ravel() - 1), 1)
    assert np.array_equal(result.confusion.matrix, expected)
    assert not list(tmp_path.glob("*.qix"))  # the user's folder is left as it was


def test_wrong_scheme_is_caught_with_a_sparse_annotation(tmp_path):
    """One small parcel, between the windows sampled up front: the blocks judge it."""
    rng = np.random.default_rng(4)
    codes = rng.integers(1, 13, (600, 600)).astype(np.uint8)
    codes[130:155, 130:155] = 7  # deciduous, as annotated
    zero_based = write_raster(tmp_path / "zd.tif", codes - 1, pixel=PIXEL)
    parcel = pixel_rectangle(ORIGIN, PIXEL, 130, 130, 155, 155)
    gpkg = write_polygons(tmp_path / "parcel.gpkg", [(parcel, {"code": 7})],
                          [("code", ogr.OFTInteger)])
    with pytest.raises(InputError, match="'flair19-index'"):
        evaluate_rasters(zero_based, gpkg, reference_field="code",
                         errors_path=tmp_path / "e.tif", block=128)
    assert not (tmp_path / "e.tif").exists()
    result = evaluate_rasters(zero_based, gpkg, reference_field="code",
                              prediction_scheme="flair19-index", block=128)
    assert result.counts.compared == 25 * 25 and result.metrics.overall_accuracy_all == 1.0


def test_report_lists_the_largest_confusions_in_hectares(inputs):
    from flair_landcover.flair_plugin.engine.evaluation import report

    pred_path, gpkg, table, _ = inputs
    result = evaluate_rasters(pred_path, gpkg, reference_field="cs",
                              reference_mapping=ClassMapping.from_csv(table))
    ref, compared, *_ = expected_reference()
    pred = prediction_array()
    wrong = compared & (ref != pred)
    pairs, counts = np.unique(pred[wrong].astype(int) * 100 + ref[wrong], return_counts=True)
    rows = report.largest_confusions(result)
    assert [n for *_, n, _ in rows] == sorted(counts.tolist(), reverse=True)
    assert sum(share for *_, share in rows) == pytest.approx(1.0)
    html = report.render_html(result)
    assert "Largest confusions" in html
    top = int(pairs[np.argmax(counts)])
    assert f"{counts.max() * PIXEL ** 2 / 1e4:.4g} ha" in html and rows[0][0] == _name(top // 100)


def test_no_hectares_in_degrees(tmp_path):
    """A raster in WGS 84: pixels have no fixed area, the report stays in pixels."""
    from flair_landcover.flair_plugin.engine.evaluation import report

    data = prediction_array()
    path = write_raster(tmp_path / "deg.tif", data, pixel=1e-5, crs="EPSG:4326",
                        origin=(2.35, 48.85))
    result = evaluate_rasters(path, path)
    assert result.pixel_area_m2 == 0.0 and result.areas() == {"pixel_area_m2": None}
    assert " px" in report.summary_lines(result)[1]

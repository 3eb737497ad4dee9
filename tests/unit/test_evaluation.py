"""Streaming evaluation of real GeoTIFFs, the agreement raster and the report files."""

import csv
import json
import os

import numpy as np
import pytest
import rasterio
from helpers_rasters import ORIGIN, write_raster
from rasterio.transform import from_origin
from rasterio.warp import Resampling, calculate_default_transform, reproject

from flair_landcover.flair_plugin import nomenclature as n
from flair_landcover.flair_plugin.engine.errors import InputError
from flair_landcover.flair_plugin.engine.evaluation import rasters as ev
from flair_landcover.flair_plugin.engine.evaluation import report
from flair_landcover.flair_plugin.engine.evaluation.metrics import (
    ConfusionMatrix,
    confusion_from_arrays,
)
from flair_landcover.flair_plugin.engine.io.atomic import is_temp_path


def _codes(shape, seed, low=1, high=20):
    return np.random.default_rng(seed).integers(low, high, size=shape).astype(np.uint8)


def _blocky(shape, cell, seed):
    """Classes constant over cell×cell squares: survives nearest-neighbour regridding."""
    rng = np.random.default_rng(seed)
    small = rng.integers(1, 15, size=(-(-shape[0] // cell), -(-shape[1] // cell)))
    return np.kron(small, np.ones((cell, cell), dtype=np.int64))[:shape[0], :shape[1]] \
        .astype(np.uint8)


def _numpy_matrix(ref, pred, scheme="flair19", valid=None):
    """One-shot reference computation on whole arrays."""
    if valid is not None:
        ref, pred = ref[valid], pred[valid]
    return confusion_from_arrays(ref, pred, scheme).matrix


def _no_temp_files(folder):
    return not [f for f in os.listdir(folder) if is_temp_path(f)]


@pytest.fixture
def pair(tmp_path):
    """An odd-sized prediction with 0 (no data) and a stray value, and its reference."""
    pred = _codes((37, 53), 1, 0, 20)
    pred[5, 7] = pred[30, 2] = 42  # stray
    ref = _codes((37, 53), 2)
    ref[:3, :] = 255  # declared nodata
    return (write_raster(tmp_path / "pred.tif", pred, nodata=0), pred,
            write_raster(tmp_path / "ref.tif", ref, nodata=255), ref)


@pytest.mark.parametrize("block", [7, 16, 1024])
def test_streaming_over_blocks_equals_one_shot_numpy(pair, block):
    pred_path, pred, ref_path, ref = pair
    progress = []
    result = ev.evaluate_rasters(pred_path, ref_path, block=block,
                                 progress=lambda f, msg: progress.append(f))
    valid = (pred != 0) & (pred != 42) & (ref != 255)
    np.testing.assert_array_equal(result.confusion.matrix, _numpy_matrix(ref, pred, valid=valid))
    c = result.counts
    assert c.evaluated == pred.size and c.compared == valid.sum()
    assert c.nodata_prediction == (pred == 0).sum() and c.nodata_reference == 3 * 53
    assert c.stray_prediction == {42: 2} and c.stray_reference == {}
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert any("42: 2 px" in note for note in result.notes)


def test_zero_is_a_class_in_zero_based_schemes_and_no_data_in_flair19(tmp_path):
    ref = _codes((20, 30), 4)  # codes 1..19
    pred13 = np.array(n.scheme("baseline13").code_to_value_table(), dtype=np.uint8)[ref]
    assert (pred13 == 0).any()  # buildings are 0 in the baseline
    p = write_raster(tmp_path / "p13.tif", pred13)
    r = write_raster(tmp_path / "r.tif", ref)
    result = ev.evaluate_rasters(p, r, prediction_scheme="baseline13", scheme="baseline13")
    assert result.counts.nodata_prediction == 0 and result.counts.compared == ref.size
    assert result.metrics.overall_accuracy_all == 1.0
    # an undeclared 0 in a flair19 reference is no data too (codes start at 1)
    ref0 = ref.copy()
    ref0[0, :] = 0
    result = ev.evaluate_rasters(write_raster(tmp_path / "p.tif", ref),
                                 write_raster(tmp_path / "r0.tif", ref0))
    assert result.counts.nodata_reference == 30 and result.counts.compared == ref.size - 30
    # a declared nodata wins, even where it is a class: the result says so
    p0 = write_raster(tmp_path / "p13_nd0.tif", pred13, nodata=0)
    result = ev.evaluate_rasters(p0, r, prediction_scheme="baseline13", scheme="baseline13")
    assert result.counts.nodata_prediction == (pred13 == 0).sum()
    assert any("nodata = 0, which is class 'building'" in note for note in result.notes)


def test_a_mask_band_marks_no_data(tmp_path):
    pred = _codes((16, 16), 40)
    path = tmp_path / "masked.tif"
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True):
        with rasterio.open(path, "w", driver="GTiff", width=16, height=16, count=1,
                           dtype="uint8", crs="EPSG:2154",
                           transform=from_origin(*ORIGIN, 0.2, 0.2)) as dst:
            dst.write(pred, 1)
            mask = np.full((16, 16), 255, dtype=np.uint8)
            mask[:, :4] = 0
            dst.write_mask(mask)
    result = ev.evaluate_rasters(path, write_raster(tmp_path / "r.tif", pred), block=5)
    assert result.counts.nodata_prediction == 16 * 4
    assert result.counts.compared == 16 * 12 and result.metrics.overall_accuracy_all == 1.0


def test_scheme_mapping_baseline13_prediction_equals_grouped_flair19(tmp_path):
    ref = _codes((24, 40), 5)
    pred = _codes((24, 40), 6)
    to13 = np.array(n.scheme("baseline13").code_to_value_table(), dtype=np.uint8)
    r = write_raster(tmp_path / "ref.tif", ref)
    p19 = write_raster(tmp_path / "p19.tif", pred)
    p13 = write_raster(tmp_path / "p13.tif", to13[pred])
    grouped = ev.evaluate_rasters(p19, r, scheme="baseline13")
    mapped = ev.evaluate_rasters(p13, r, prediction_scheme="baseline13", scheme="baseline13")
    np.testing.assert_array_equal(mapped.confusion.matrix, grouped.confusion.matrix)
    np.testing.assert_array_equal(grouped.confusion.matrix,
                                  _numpy_matrix(to13[ref], to13[pred], "baseline13"))
    # FLAIR-1 zone detection output (code - 1) and FLAIR-HUB order give the flair19 matrix
    direct = ev.evaluate_rasters(p19, r)
    for key in ("flair19-index", "flairhub"):
        table = np.array(n.scheme(key).code_to_value_table(), dtype=np.uint8)
        other = write_raster(tmp_path / f"{key}.tif", table[pred])
        assert ev.evaluate_rasters(other, r, prediction_scheme=key).confusion \
            == direct.confusion
    # "other" (13..19) cannot be split into flair19 classes: refused before any work
    with pytest.raises(InputError, match="report the scores in scheme 'baseline13'"):
        ev.evaluate_rasters(p13, r, prediction_scheme="baseline13", scheme="flair19")


def test_reference_on_a_coarser_grid_is_read_by_nearest_neighbour(tmp_path):
    ref_coarse = _codes((10, 12), 7)  # 0.4 m pixels = 2×2 prediction pixels
    # starts one 0.4 m pixel east of the prediction: the prediction's first 2 columns and
    # its last 4 are outside the reference
    write_raster(tmp_path / "ref.tif", ref_coarse, pixel=0.4,
                 origin=(ORIGIN[0] + 0.4, ORIGIN[1]))
    pred = _codes((20, 26), 8)
    write_raster(tmp_path / "pred.tif", pred)
    result = ev.evaluate_rasters(tmp_path / "pred.tif", tmp_path / "ref.tif", block=8)
    fine = np.kron(ref_coarse, np.ones((2, 2), dtype=np.uint8))  # 20 × 24 at 0.2 m
    expected_ref = np.zeros_like(pred)
    expected_ref[:, 2:26] = fine[:, :24]
    valid = expected_ref > 0
    np.testing.assert_array_equal(result.confusion.matrix,
                                  _numpy_matrix(expected_ref, pred, valid=valid))
    assert result.counts.nodata_reference == (~valid).sum() == 20 * 2
    assert any("nearest-neighbour" in note for note in result.notes)
    assert result.settings["reference_resampled"] is True
    # in a 0-based scheme the warp's fill value 0 is a class (building): pixels outside
    # the reference's footprint must still be no data
    to13 = np.array(n.scheme("baseline13").code_to_value_table(), dtype=np.uint8)
    write_raster(tmp_path / "ref13.tif", to13[ref_coarse], pixel=0.4,
                 origin=(ORIGIN[0] + 0.4, ORIGIN[1]))
    result13 = ev.evaluate_rasters(tmp_path / "pred.tif", tmp_path / "ref13.tif",
                                   reference_scheme="baseline13", scheme="baseline13")
    assert result13.counts.nodata_reference == 20 * 2
    np.testing.assert_array_equal(
        result13.confusion.matrix,
        _numpy_matrix(to13[expected_ref], to13[pred], "baseline13", valid=valid))
    same_grid = ev.evaluate_rasters(tmp_path / "pred.tif", tmp_path / "pred.tif")
    assert same_grid.settings["reference_resampled"] is False
    assert same_grid.metrics.overall_accuracy_all == 1.0


def test_reference_reprojected_to_web_mercator_gives_the_expected_result(tmp_path):
    pred = _blocky((64, 64), 8, 9)
    pred_path = write_raster(tmp_path / "pred.tif", pred)
    with rasterio.open(pred_path) as src:
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:3857", src.width, src.height, *src.bounds, resolution=0.1)
        ref = np.zeros((height, width), dtype=np.uint8)
        reproject(pred, ref, src_transform=src.transform, src_crs=src.crs,
                  dst_transform=transform, dst_crs="EPSG:3857", resampling=Resampling.nearest)
    ref_path = tmp_path / "ref3857.tif"
    with rasterio.open(ref_path, "w", driver="GTiff", width=width, height=height, count=1,
                       dtype="uint8", crs="EPSG:3857", transform=transform, nodata=0) as dst:
        dst.write(ref, 1)
    agreement = tmp_path / "agree.tif"
    result = ev.evaluate_rasters(pred_path, ref_path, agreement_path=agreement, block=16)
    with rasterio.open(agreement) as a:
        agree = a.read(1)
    # away from class edges (3×3 neighbourhood of one class) the round trip must be exact
    padded = np.pad(pred, 1, mode="edge")
    interior = np.ones(pred.shape, dtype=bool)
    for dr in range(3):
        for dc in range(3):
            interior &= padded[dr:dr + 64, dc:dc + 64] == pred
    assert interior.sum() > 1500
    assert (agree[interior] == ev.AGREEMENT_CORRECT).all()
    assert result.metrics.overall_accuracy_all > 0.97
    assert any("EPSG:3857" in note for note in result.notes)


def test_agreement_raster_values_and_georeferencing(tmp_path):
    pred = np.array([[1, 2, 0, 6], [6, 6, 3, 25], [1, 1, 1, 1]], dtype=np.uint8)
    ref = np.array([[1, 3, 5, 6], [6, 5, 3, 3], [1, 255, 2, 1]], dtype=np.uint8)
    p = write_raster(tmp_path / "p.tif", pred, nodata=0)
    r = write_raster(tmp_path / "r.tif", ref, nodata=255)
    ev.evaluate_rasters(p, r, agreement_path=tmp_path / "bin.tif", block=2)
    ev.evaluate_rasters(p, r, agreement_path=tmp_path / "ref.tif", agreement_mode="reference")
    with rasterio.open(tmp_path / "bin.tif") as a, rasterio.open(p) as src:
        assert a.crs == src.crs and a.transform == src.transform and a.shape == src.shape
        assert a.nodata == 0 and a.dtypes == ("uint8",)
        assert a.profile["tiled"] and a.profile["compress"] == "deflate"
        np.testing.assert_array_equal(a.read(1), [[1, 2, 0, 1], [1, 2, 1, 0], [1, 0, 2, 1]])
        assert a.colormap(1)[2][:3] == n.hex_to_rgb(ev.WRONG_COLOUR)
    with rasterio.open(tmp_path / "ref.tif") as a:
        # wrong pixels hold 100 + the reference code
        np.testing.assert_array_equal(a.read(1),
                                      [[1, 103, 0, 1], [1, 105, 1, 0], [1, 0, 102, 1]])
        assert a.colormap(1)[105][:3] == n.flair_class(5).rgb
    legend = dict((v, label) for v, label, _ in ev.agreement_legend("reference"))
    assert legend[1] == "correct" and legend[105] == "wrong, reference water"
    assert [v for v, _, _ in ev.agreement_legend("binary")] == [1, 2]


def test_extent_scores_only_its_window_and_georeferences_the_agreement(tmp_path):
    pred, ref = _codes((30, 40), 10), _codes((30, 40), 11)
    p = write_raster(tmp_path / "p.tif", pred)
    r = write_raster(tmp_path / "r.tif", ref)
    # columns 10..19, rows 5..14 of the 0.2 m grid
    x0, y0 = ORIGIN[0] + 10 * 0.2, ORIGIN[1] - 15 * 0.2
    extent = (x0, y0, x0 + 2.0, y0 + 2.0)
    result = ev.evaluate_rasters(p, r, extent=extent, agreement_path=tmp_path / "a.tif", block=4)
    np.testing.assert_array_equal(result.confusion.matrix,
                                  _numpy_matrix(ref[5:15, 10:20], pred[5:15, 10:20]))
    with rasterio.open(tmp_path / "a.tif") as a:
        assert a.shape == (10, 10)
        assert a.transform == from_origin(x0, y0 + 2.0, 0.2, 0.2)
        np.testing.assert_array_equal(a.read(1) == 1, ref[5:15, 10:20] == pred[5:15, 10:20])
    assert result.settings["extent"] == list(extent)
    with pytest.raises(InputError, match="outside the raster"):
        ev.evaluate_rasters(p, r, extent=(0, 0, 1, 1))


def test_cancel_raises_and_leaves_no_file(tmp_path):
    pred, ref = _codes((40, 40), 12), _codes((40, 40), 13)
    p = write_raster(tmp_path / "p.tif", pred)
    r = write_raster(tmp_path / "r.tif", ref)
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(ev.EvaluationCancelled):
        ev.evaluate_rasters(p, r, agreement_path=tmp_path / "a.tif", block=8, cancel=cancel)
    assert len(calls) == 4
    assert not (tmp_path / "a.tif").exists() and _no_temp_files(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["p.tif", "r.tif"]


def test_agreement_is_not_overwritten_without_the_flag(tmp_path):
    pred = _codes((10, 10), 14)
    p = write_raster(tmp_path / "p.tif", pred)
    r = write_raster(tmp_path / "r.tif", pred)
    (tmp_path / "a.tif").write_bytes(b"mine")
    with pytest.raises(InputError, match="already exists"):
        ev.evaluate_rasters(p, r, agreement_path=tmp_path / "a.tif")
    assert (tmp_path / "a.tif").read_bytes() == b"mine"
    ev.evaluate_rasters(p, r, agreement_path=tmp_path / "a.tif", overwrite=True)
    with rasterio.open(tmp_path / "a.tif") as a:
        assert (a.read(1) == 1).all()
    with pytest.raises(InputError, match="one of the inputs"):
        ev.evaluate_rasters(p, r, agreement_path=p, overwrite=True)


def test_bad_inputs_are_refused_with_clear_messages(tmp_path):
    good = write_raster(tmp_path / "good.tif", _codes((8, 8), 15))
    floats = write_raster(tmp_path / "float.tif", np.ones((8, 8), dtype=np.float32))
    hub_like = write_raster(tmp_path / "hub.tif", np.full((8, 8), 120, dtype=np.uint8))
    elsewhere = write_raster(tmp_path / "far.tif", _codes((8, 8), 16),
                             origin=(ORIGIN[0] + 1000, ORIGIN[1]))
    no_crs = write_raster(tmp_path / "nocrs.tif", _codes((4, 4), 17), crs=None, pixel=0.4)
    cases = [
        (dict(prediction_path=tmp_path / "missing.tif", reference_path=good), "does not exist"),
        (dict(prediction_path=good, reference_path=floats), "integer class values"),
        (dict(prediction_path=good, reference_path=good, band=2), "band 2 does not exist"),
        (dict(prediction_path=good, reference_path=good, scheme="flair20"), "unknown class"),
        (dict(prediction_path=good, reference_path=good, agreement_path=tmp_path / "x.tif",
              agreement_mode="colour"), "agreement mode"),
        (dict(prediction_path=hub_like, reference_path=good), "outside scheme 'flair19'"),
        (dict(prediction_path=good, reference_path=elsewhere), "does not overlap"),
        (dict(prediction_path=good, reference_path=no_crs), "has no"),
        (dict(prediction_path=good, reference_path=good, block=0), "positive integer"),
    ]
    for kwargs, message in cases:
        with pytest.raises(InputError, match=message):
            ev.evaluate_rasters(**kwargs)
    assert not (tmp_path / "x.tif").exists()


def test_evaluate_pairs_sums_the_patch_matrices(tmp_path):
    pairs, expected = [], ConfusionMatrix("flair19")
    for i in range(3):
        pred, ref = _codes((16, 16), 20 + i), _codes((16, 16), 30 + i)
        pairs.append((write_raster(tmp_path / f"PRED_{i}.tif", pred, nodata=0),
                      write_raster(tmp_path / f"MSK_{i}.tif", ref)))
        expected += ev.evaluate_rasters(*pairs[-1]).confusion
    progress = []
    result = ev.evaluate_pairs(pairs, progress=lambda f, msg: progress.append((f, msg)),
                               block=8)
    assert result.confusion == expected and result.pairs == 3
    assert result.counts.evaluated == 3 * 256
    fractions = [f for f, _ in progress]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert progress[-1][1] == "pair 3/3: PRED_2.tif"
    assert result.settings["pairs"] == 3
    assert "3 prediction/reference pairs" in report.render_html(result)
    with pytest.raises(InputError, match="does not exist"):
        ev.evaluate_pairs(pairs + [(tmp_path / "PRED_9.tif", pairs[0][1])])
    with pytest.raises(InputError, match="no .* pair"):
        ev.evaluate_pairs([])


# --------------------------------------------------------------------------- reports

@pytest.fixture
def result(pair):
    pred_path, _, ref_path, _ = pair
    return ev.evaluate_rasters(pred_path, ref_path)


def test_json_report_is_strict_and_complete(result, tmp_path):
    path = report.write_json(result, tmp_path / "r.json")
    with open(path) as f:
        data = json.load(f, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert data["metrics"]["miou"] == pytest.approx(result.metrics.miou)
    assert data["confusion_matrix"]["counts"] == result.confusion.matrix.tolist()
    assert data["pixels"]["stray_values_prediction"] == {"42": 2}
    assert data["settings"]["prediction"].endswith("pred.tif")
    assert len(data["metrics"]["classes"]) == 19


def test_csv_report_has_one_row_per_class(tmp_path):
    ref = np.array([[1, 1, 2, 15]], dtype=np.uint8)
    pred = np.array([[1, 2, 2, 15]], dtype=np.uint8)
    res = ev.evaluate_rasters(write_raster(tmp_path / "p.tif", pred),
                              write_raster(tmp_path / "r.tif", ref))
    with open(report.write_csv(res, tmp_path / "r.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == [c.name for c in n.CLASSES]
    building, water, clear_cut = rows[0], rows[4], rows[14]
    assert float(building["iou"]) == pytest.approx(0.5)
    assert building["reference_pixels"] == "2" and building["predicted_pixels"] == "1"
    assert water["absent_from_both"] == "true" and water["iou"] == ""
    assert clear_cut["ignored_by_flair_convention"] == "true"


def test_html_report_is_self_contained_and_names_classes_and_miou(result, tmp_path):
    path = report.write_html(result, tmp_path / "r.html")
    text = open(path, encoding="utf-8").read()
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text
    for name in ("building", "herbaceous vegetation", "swimming pool"):
        assert name in text
    assert report.percent(result.metrics.miou) in text and "mIoU" in text
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in text and "<script" not in text
    assert "#db0e9a" in text  # building's colour on its bar
    assert any(report.percent(result.metrics.miou) in line
               for line in report.summary_lines(result))


def test_reports_refuse_to_overwrite_without_the_flag(result, tmp_path):
    for writer, name in ((report.write_json, "r.json"), (report.write_csv, "r.csv"),
                         (report.write_html, "r.html")):
        target = tmp_path / name
        target.write_text("keep me")
        with pytest.raises(InputError, match="already exists"):
            writer(result, target)
        assert target.read_text() == "keep me"
        writer(result, target, overwrite=True)
        assert target.read_text() != "keep me"
    with pytest.raises(InputError, match="does not exist"):
        report.write_json(result, tmp_path / "no" / "r.json")
    assert _no_temp_files(tmp_path)

"""The error hot-spot grid against an independent numpy computation."""

import numpy as np
import pytest
from helpers_rasters import write_raster
from helpers_vectors import (
    PIXEL,
    expected_reference,
    prediction_array,
)
from osgeo import ogr

from flair_landcover.flair_plugin.engine.errors import InputError
from flair_landcover.flair_plugin.engine.evaluation.hotspots import HotspotGrid
from flair_landcover.flair_plugin.engine.evaluation.rasters import evaluate_rasters
from flair_landcover.flair_plugin.nomenclature import flair_class


def independent_cells(pred, ref, compared, cell_px):
    """{(col, row): (compared, wrong, (pred code, ref code) of the largest confusion)}."""
    out = {}
    h, w = pred.shape
    for row in range(0, h, cell_px):
        for col in range(0, w, cell_px):
            sl = (slice(row, row + cell_px), slice(col, col + cell_px))
            ok = compared[sl]
            if not ok.any():
                continue
            p, r = pred[sl][ok], ref[sl][ok]
            wrong = p != r
            pairs = {}
            for a, b in zip(p[wrong].tolist(), r[wrong].tolist()):
                pairs[(a, b)] = pairs.get((a, b), 0) + 1
            top = max(pairs.items(), key=lambda kv: kv[1])[0] if pairs else None
            out[(col // cell_px, row // cell_px)] = (int(ok.sum()), int(wrong.sum()), top)
    return out


@pytest.mark.parametrize("block", [1024, 24])
def test_hotspot_grid_matches_numpy(tmp_path, block):
    ref, compared, *_ = expected_reference()
    pred = prediction_array()
    # a reference raster holding the polygons' codes (0 = not compared)
    ref_path = write_raster(tmp_path / "ref.tif", ref.astype(np.uint8), pixel=PIXEL)
    grid = HotspotGrid(cell_size=8.0)  # 16 pixels of 0.5 m
    evaluate_rasters(write_raster(tmp_path / "p.tif", pred, pixel=PIXEL), ref_path,
                     sinks=[grid], block=block)
    out = grid.write(tmp_path / "hot.gpkg")
    expected = independent_cells(pred, ref, compared, 16)
    ds = ogr.Open(out)
    layer = ds.GetLayer(0)
    rows = [(f.GetField("rank"), f.GetField("col"), f.GetField("row"),
             f.GetField("compared_px"), f.GetField("wrong_px"), f.GetField("error_rate"),
             f.GetField("confusion"), f.GetGeometryRef().GetArea()) for f in layer]
    assert len(rows) == len(expected)
    for _rank, col, row, n, wrong, rate, confusion, area in rows:
        n_exp, wrong_exp, top = expected[(col, row)]
        assert (n, wrong) == (n_exp, wrong_exp)
        assert rate == pytest.approx(100 * wrong / n)
        if top:
            # ties between pairs: any of the largest is right
            assert confusion.startswith("predicted ")
            p_name, r_name = confusion[len("predicted "):].split(" / annotated ")
            codes = {c: flair_class(c).name for c in range(1, 20)}
            inv = {v: k for k, v in codes.items()}
            cell = (slice(row * 16, row * 16 + 16), slice(col * 16, col * 16 + 16))
            ok = compared[cell]
            count = ((pred[cell] == inv[p_name]) & (ref[cell] == inv[r_name]) & ok).sum()
            largest = ((pred[cell] == top[0]) & (ref[cell] == top[1]) & ok).sum()
            assert count == largest > 0
        assert area <= (16 * PIXEL) ** 2 + 1e-9
    rates = [r[5] for r in rows]
    assert rates == sorted(rates, reverse=True)
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))


def test_cells_too_small_are_refused(tmp_path):
    pred = write_raster(tmp_path / "p.tif", prediction_array(), pixel=PIXEL)
    with pytest.raises(InputError, match="at least"):
        evaluate_rasters(pred, pred, sinks=[HotspotGrid(cell_size=1.0)])

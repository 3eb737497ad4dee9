"""FLAIR-2's Sentinel-2 preparation, step by step, on hand-made arrays with exact values."""

import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from flair_landcover.flair_plugin.engine.checkpoints.meta import TemporalMeta
from flair_landcover.flair_plugin.engine.data import sentinel as s2
from flair_landcover.synthetic.generator import write_dataset

D = dt.date
FLAIR_NAME = "SENTINEL2B_20200105-110322-398_L2A_T30UVU_C_V2-2"


# ---------------------------------------------------------------------------- names, files


def test_product_dates():
    assert s2.parse_product_date(FLAIR_NAME) == D(2020, 1, 5)
    esa = "S2A_MSIL2A_20210415T105031_N0500_R051_T31TCJ_20230101T000000.SAFE"
    assert s2.parse_product_date(esa) == D(2021, 4, 15)
    with pytest.raises(s2.SentinelError, match="no acquisition date"):
        s2.parse_product_date("SENTINEL2B_2020XXXX-1103")


def test_read_product_dates(tmp_path):
    path = tmp_path / "SEN2_sp_D006_2020-Z1_UU_products.txt"
    path.write_text(f"{FLAIR_NAME}\nSENTINEL2A_20201231-105000-000_L2A_T30UVU_C_V2-2\n\n")
    assert s2.read_product_dates(path) == [D(2020, 1, 5), D(2020, 12, 31)]


def test_parse_date_forms(tmp_path):
    assert s2.parse_date("2021-04-15") == s2.parse_date("20210415") == D(2021, 4, 15)
    assert s2.parse_date(dt.datetime(2021, 4, 15, 10, 30)) == D(2021, 4, 15)
    (tmp_path / "dates.txt").write_text("20210415\n20210503\n")
    assert s2.read_dates_file(tmp_path / "dates.txt") == [D(2021, 4, 15), D(2021, 5, 3)]
    with pytest.raises(s2.SentinelError, match="not a date"):
        s2.parse_date("15/04/2021")


def test_centroids(tmp_path):
    path = tmp_path / "flair-2_centroids_sp_to_patch.json"
    path.write_text(json.dumps({"IMG_000001.tif": [24, 25], "IMG_000002.tif": [30, 31]}))
    centroids = s2.read_centroids(path)
    assert s2.centroid_for(centroids, "IMG_000001") == (24, 25)
    assert s2.centroid_for(centroids, tmp_path / "Z1_UU" / "img" / "IMG_000002.tif") == (30, 31)
    with pytest.raises(s2.SentinelError, match="IMG_000003.tif has no entry"):
        s2.centroid_for(centroids, "IMG_000003.tif")
    path.write_text(json.dumps({"IMG_000001.tif": [24]}))
    with pytest.raises(s2.SentinelError, match=r"must be \[row, col\]"):
        s2.read_centroids(path)


def test_super_area_needs_its_three_files(tmp_path):
    data = tmp_path / "SEN2_sp_D006_2020-Z1_UU_data.npy"
    np.save(data, np.zeros((1, 10, 2, 2), np.int16))
    with pytest.raises(s2.SentinelError, match="lacks SEN2_sp_D006_2020-Z1_UU_masks.npy"):
        s2.SuperArea.from_file(data)
    with pytest.raises(s2.SentinelError, match="not a FLAIR Sentinel-2 super-area file"):
        s2.SuperArea.from_file(tmp_path / "IMG_000001.tif")


# ---------------------------------------------------------------------------- crop


def grid(height: int = 10, width: int = 10) -> np.ndarray:
    """1×H×W array whose value is 100·row + col."""
    return (100 * np.arange(height)[:, None] + np.arange(width)[None, :])[None]


def test_crop_puts_the_centre_at_half_size():
    crop = s2.crop_centred(grid(), (5, 6), 4)
    assert crop[0].tolist() == [[304, 305, 306, 307], [404, 405, 406, 407],
                                [504, 505, 506, 507], [604, 605, 606, 607]]
    assert s2.crop_window((24, 25), 40) == (4, 5)  # FLAIR-2: rows r-20 .. r+19


def test_crop_repeats_edges_past_the_area():
    crop = s2.crop_centred(grid(), (0, 9), 4)  # rows -2..1, cols 7..10
    assert crop[0].tolist() == [[7, 8, 9, 9], [7, 8, 9, 9], [7, 8, 9, 9], [107, 108, 109, 109]]
    with pytest.raises(s2.SentinelError, match="outside the 10×10"):
        s2.crop_centred(grid(), (10, 3), 4)


# ---------------------------------------------------------------------------- cloud filter


def masks_for(snow, cloud) -> np.ndarray:
    """T×2×2×2 masks from per-date lists of 4 snow and 4 cloud probabilities."""
    return np.stack([np.array([s, c]).reshape(2, 2, 2) for s, c in zip(snow, cloud)])


def test_cloud_filter_is_flair2s_rule():
    masks = masks_for(
        snow=[[60, 0, 0, 0], [60, 60, 0, 0], [100, 0, 0, 0], [0, 0, 0, 0]],
        cloud=[[59, 0, 0, 0], [0, 0, 0, 0], [100, 0, 0, 0], [0, 70, 70, 59]])
    assert s2.cloud_snow_cover(masks).tolist() == [0.25, 0.5, 0.5, 0.5]
    # date 1: 50 % is enough to drop; date 2: one pixel both snowy and cloudy counts twice
    assert s2.dates_to_keep(masks).tolist() == [0]
    assert s2.dates_to_keep(masks, probability=71).tolist() == [0, 1, 3]


def test_cloud_filter_keeps_the_least_covered_date_when_all_are_covered():
    masks = masks_for(snow=[[90] * 4, [90, 90, 0, 0]], cloud=[[0] * 4, [0, 0, 90, 0]])
    assert s2.dates_to_keep(masks).tolist() == [1]


# ---------------------------------------------------------------------------- dates, months


def test_date_positions_force_the_year_to_2021():
    dates = [D(2020, 1, 5), D(2019, 5, 15), D(2018, 12, 31), D(2020, 2, 29), D(2021, 3, 15)]
    assert s2.date_positions(dates).tolist() == [130, 0, -230, 76, 61]
    assert s2.date_positions(["2020-05-16"], reference_date="2020-05-15").tolist() == [-1]


def test_monthly_means_by_hand():
    data = np.stack([np.full((2, 1, 1), v, np.int16) for v in (1, 4, 10, 7)])
    dates = [D(2020, 1, 3), D(2020, 1, 20), D(2020, 3, 1), D(2019, 1, 9)]
    means, month_dates = s2.monthly_means(data, dates)
    assert month_dates == (D(2019, 1, 15), D(2020, 1, 15), D(2020, 3, 15))
    assert means[:, 0, 0, 0].tolist() == [7.0, 2.5, 10.0] and means.dtype == np.float32


def test_prepare_series_filters_then_averages():
    data = np.stack([np.full((10, 2, 2), v, np.int16) for v in (100, 300, 9999, 500)])
    masks = masks_for(snow=[[0] * 4] * 4, cloud=[[0] * 4, [0] * 4, [100] * 4, [0] * 4])
    dates = [D(2020, 4, 2), D(2020, 4, 28), D(2020, 4, 30), D(2020, 6, 1)]
    series = s2.prepare_series(data, dates, masks)
    assert series.dates == (D(2020, 4, 15), D(2020, 6, 15))
    assert series.positions.tolist() == [30, -31]
    assert series.data[:, 0, 0, 0].tolist() == [200.0, 500.0]  # the cloudy 9999 is gone
    raw = s2.prepare_series(data, dates, preparation=s2.SeriesPreparation(
        filter_clouds=False, monthly_mean=False))
    assert raw.positions.tolist() == [43, 17, 15, -17] and raw.data.dtype == np.float32
    with pytest.raises(s2.SentinelError, match="give the T×2×H×W snow/cloud masks"):
        s2.prepare_series(data, dates)


def test_normalise():
    data = np.stack([np.full((1, 1), 10.0), np.full((1, 1), 20.0)])[None]  # 1×2×1×1
    assert s2.normalise(data, [0.0, 10.0], [2.0, 5.0])[0, :, 0, 0].tolist() == [5.0, 2.0]


def test_preparation_from_a_checkpoint_description():
    assert s2.SeriesPreparation.from_meta(TemporalMeta()) == s2.SeriesPreparation()
    custom = TemporalMeta(sat_patch_size=24, monthly_mean=False)
    assert s2.SeriesPreparation.from_meta(custom).sat_patch_size == 24


# ---------------------------------------------------------------------------- batches


def test_pad_series_to_the_longest():
    a, b = np.ones((3, 2, 1, 1), np.float32), np.full((1, 2, 1, 1), 5.0, np.float32)
    batch, positions, pad_mask = s2.pad_series([a, b], [np.array([9, 8, 7]), np.array([4])])
    assert batch.shape == (2, 3, 2, 1, 1)
    assert batch[1, :, 0, 0, 0].tolist() == [5.0, 0.0, 0.0]
    assert positions.tolist() == [[9, 8, 7], [4, 0, 0]]
    assert pad_mask.tolist() == [[False, False, False], [False, True, True]]
    with pytest.raises(s2.SentinelError, match="T >= 1"):
        s2.pad_series([a, np.zeros((0, 2, 1, 1))], [np.array([1, 2, 3]), np.array([])])


def test_collate_for_a_dataloader():
    samples = [{"aerial": np.zeros((5, 4, 4)), "sentinel": np.ones((t, 10, 2, 2)),
                "dates": np.arange(t), "name": f"IMG_{t}", "label": t} for t in (2, 4)]
    batch = s2.collate(samples)
    assert batch["aerial"].shape == (2, 5, 4, 4) and batch["label"].tolist() == [2, 4]
    assert batch["name"] == ["IMG_2", "IMG_4"]
    assert batch["sentinel"].shape == (2, 4, 10, 2, 2)
    assert batch["pad_mask"].tolist() == [[False, False, True, True], [False] * 4]
    import torch

    tensors = s2.collate(samples, as_torch=True)
    assert isinstance(tensors["sentinel"], torch.Tensor) and tensors["pad_mask"].dtype == torch.bool


def test_importing_sentinel_does_not_import_torch():
    code = ("import sys; sys.path.insert(0, 'tests'); import conftest; "
            "import flair_landcover.flair_plugin.engine.data.sentinel; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------- any area


def test_window_around_a_map_point():
    transform = (10.0, 0.0, 1000.0, 0.0, -10.0, 2000.0)
    assert s2.pixel_of(transform, 1055.0, 1945.0) == (5, 5)
    assert s2.pixel_of(transform, 1059.9, 1940.1) == (5, 5)  # still inside pixel (5, 5)
    window = s2.window_around(grid(), transform, 1065.0, 1945.0, size=4)
    assert window[0].tolist() == s2.crop_centred(grid(), (5, 6), 4)[0].tolist()
    with pytest.raises(s2.SentinelError, match="rotated"):
        s2.pixel_of((10.0, 1.0, 1000.0, 0.0, -10.0, 2000.0), 1055.0, 1945.0)


def test_series_around_from_a_geotiff_stack(tmp_path):
    """What the lead's inference does: read a GeoTIFF stack with rasterio, cut the window."""
    t, height, width = 3, 30, 30
    data = np.stack([np.full((10, height, width), 100 * (i + 1), np.int16) for i in range(t)])
    data[:, :, 12, 17] = 7777  # marks the pixel holding the tile centre
    transform = from_origin(600000.0, 6800000.0, 10.0, 10.0)
    path = tmp_path / "s2_stack.tif"
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=t * 10,
                       dtype="int16", crs="EPSG:2154", transform=transform) as dst:
        dst.write(data.reshape(t * 10, height, width))
    with rasterio.open(path) as src:
        stack = src.read().reshape(t, 10, height, width)
        affine = src.transform
    masks = np.zeros((t, 2, height, width), np.uint8)
    masks[1, 1] = 100  # date 2 overcast
    centre = (600000.0 + 17.5 * 10, 6800000.0 - 12.5 * 10)
    series = s2.series_around(stack, affine, ["20210410", "20210420", "20210601"], *centre,
                              masks=masks, preparation=s2.SeriesPreparation(sat_patch_size=8))
    assert series.data.shape == (2, 10, 8, 8)
    assert series.data[0, 0, 4, 4] == 7777.0 and series.data[0, 0, 0, 0] == 100.0
    assert series.dates == (D(2021, 4, 15), D(2021, 6, 15))
    assert series.positions.tolist() == [30, -31]


# ---------------------------------------------------------------------------- FLAIR files


def test_patch_series_from_a_flair_like_super_area(tmp_path):
    ds = write_dataset(tmp_path / "flair", size=64, domains=["D006_2020"], zones_per_domain=1,
                       patches_per_zone=2)
    areas = s2.find_super_areas(ds.root)
    centroids = s2.read_centroids(ds.centroids_json)
    patch = ds.patches[0]
    area = areas[(patch.domain, patch.zone)]
    row, col = s2.centroid_for(centroids, patch.image)
    assert (row, col) == patch.sentinel_rowcol
    raw = s2.read_patch_series(area, (row, col), s2.SeriesPreparation(
        filter_clouds=False, monthly_mean=False))
    full = np.load(area.data)
    assert np.array_equal(raw.data, full[:, :, row - 20:row + 20, col - 20:col + 20])
    assert len(raw) == full.shape[0] == len(s2.read_product_dates(area.products))
    series = s2.read_patch_series(area, (row, col))
    months = {(d.year, d.month) for d in s2.read_product_dates(area.products)}
    assert series.data.shape[1:] == (10, 40, 40) and 1 <= len(series) <= len(months)
    assert all(d.day == 15 for d in series.dates)

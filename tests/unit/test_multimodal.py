"""U-T&T inference over any area (aerial + Sentinel-2): real rasters, a tiny real U-T&T.

The aerial raster (600×400 px at 0.2 m, Lambert-93) is cut in two 512 px tiles; the
Sentinel-2 stack (5 dates × 10 bands, 10 m) covers it with a margin.
"""

import datetime as dt

import numpy as np
import pytest
import rasterio
import torch
from helpers_models import our_checkpoint
from rasterio.transform import from_origin

from flair_landcover.flair_plugin.engine.checkpoints.meta import TemporalMeta
from flair_landcover.flair_plugin.engine.checkpoints.store import (
    LoadedModel,
    ModelMeta,
    load_model,
    save_checkpoint,
)
from flair_landcover.flair_plugin.engine.data.sentinel import (
    SeriesPreparation,
    normalise,
    pad_series,
    series_around,
)
from flair_landcover.flair_plugin.engine.errors import InputError, PredictionCancelled
from flair_landcover.flair_plugin.engine.geo import PixelWindow
from flair_landcover.flair_plugin.engine.inference.modalities import tile_centre
from flair_landcover.flair_plugin.engine.inference.predict import predict_multimodal
from flair_landcover.flair_plugin.engine.io.atomic import is_temp_path
from flair_landcover.flair_plugin.engine.io.sources import pad_tile
from flair_landcover.flair_plugin.engine.tiling import TileGrid
from flair_landcover.flair_plugin.nomenclature import SENTINEL2_BANDS
from flair_landcover.models.utt import FlairUTT, TemporalConfig
from flair_landcover.synthetic.generator import write_mosaic

BASELINE13 = tuple(range(1, 13)) + (0,)
TINY_UNET = dict(encoder="resnet18", encoder_depth=3, decoder_channels=(16, 8, 4))
TINY_T = dict(encoder_widths=(8, 8, 16), decoder_widths=(8, 8, 16), out_conv_hidden=(8,),
              n_head=4, d_model=16, d_k=2)
DATES = ("20210115", "20210120", "20210312", "20210610", "20210905")
S2_PIXEL = 10.0
MARGIN = 20  # Sentinel-2 pixels around the aerial raster


def meta() -> ModelMeta:
    temporal = TemporalMeta(sat_patch_size=16, bands=SENTINEL2_BANDS, means=(1000.0,) * 10,
                            stds=(400.0,) * 10, **TINY_T)
    return ModelMeta(architecture="flair-utt", in_channels=5, logit_codes=BASELINE13,
                     means=(100.0,) * 5, stds=(60.0,) * 5, temporal=temporal, **TINY_UNET)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    root = tmp_path_factory.mktemp("mm")
    torch.manual_seed(0)
    model = FlairUTT(5, 13, temporal=TemporalConfig(**TINY_T), **TINY_UNET).eval()
    ckpt = save_checkpoint(root / "utt.safetensors", model, meta())
    write_mosaic(root / "aerial.tif", root / "truth.tif", 600, 400, seed=2)
    with rasterio.open(root / "aerial.tif") as ds:
        left, top, crs = ds.bounds.left, ds.bounds.top, ds.crs
    transform = from_origin(left - MARGIN * S2_PIXEL, top + MARGIN * S2_PIXEL, S2_PIXEL,
                            S2_PIXEL)
    size = (2 * MARGIN + 13, 2 * MARGIN + 9)  # rows, cols: covers 120 m × 80 m + margins
    rng = np.random.default_rng(5)
    data = rng.integers(200, 3000, (len(DATES), 10) + size).astype(np.uint16)
    masks = np.zeros((len(DATES), 2) + size, np.uint8)
    masks[1, 1] = 90  # the second date is all cloud: filtered out everywhere
    masks[3, 0, :, : size[1] // 2] = 80  # snow on the west half of the fourth date
    profile = dict(driver="GTiff", crs=crs, transform=transform, height=size[0],
                   width=size[1])
    stack = root / "s2_stack.tif"
    _write(stack, data.reshape(-1, *size), profile)
    _write(root / "s2_masks.tif", masks.reshape(-1, *size), profile)
    (root / "dates.txt").write_text("\n".join(DATES) + "\n")
    for date, image, mask in zip(DATES, data, masks):
        _write(root / f"S2_{date}.tif", image, profile)
        _write(root / f"MASK_{date}.tif", mask, profile)
    return dict(root=root, ckpt=ckpt, data=data, masks=masks, transform=transform,
                profile=profile)


def _write(path, array, profile):
    with rasterio.open(path, "w", count=array.shape[0], dtype=array.dtype, **profile) as ds:
        ds.write(array)


def _run(scene, out_name, sentinel=None, **kwargs):
    root = scene["root"]
    kwargs.setdefault("dates", root / "dates.txt")
    kwargs.setdefault("cloud_masks", root / "s2_masks.tif")
    # Three readers, batches of two: the threads race, yet batches are formed in visit
    # order, so runs that should give the same map do (a float32 U-T&T's logits move by an
    # ulp with its batch-mates, enough to flip a near-tie).
    kwargs.setdefault("num_readers", 3)
    kwargs.setdefault("batch_size", 2)
    return predict_multimodal(root / "aerial.tif", sentinel or root / "s2_stack.tif",
                              scene["ckpt"], root / out_name, device="cpu", **kwargs)


@pytest.fixture(scope="module")
def stacked(scene):
    return _run(scene, "stacked.tif")


def _read(path):
    with rasterio.open(path) as ds:
        return ds.read(1), ds.transform, ds.crs, ds.shape


def test_output_on_the_aerial_grid_with_active_codes(scene, stacked):
    codes, transform, crs, shape = _read(stacked.output)
    with rasterio.open(scene["root"] / "aerial.tif") as ds:
        assert (shape, transform, crs) == (ds.shape, ds.transform, ds.crs)
    assert set(np.unique(codes)) <= set(range(1, 13))
    assert stacked.tiles_done == 2 and stacked.tiles_skipped == 0
    assert stacked.output.with_suffix(".qml").is_file()


def test_a_tile_equals_a_direct_forward_on_its_series(scene, stacked):
    """Pipeline exactness: read, pad, series, normalise, forward, argmax, write."""
    loaded = load_model(scene["ckpt"])
    m = loaded.meta
    with rasterio.open(scene["root"] / "aerial.tif") as ds:
        aerial_transform = ds.transform
        grid = TileGrid(ds.width, ds.height, PixelWindow(0, 0, ds.width, ds.height), 512, 0)
        tile = grid.tile(0, 1)  # the clipped east tile: padded in both directions
        window = rasterio.windows.Window(tile.read.col_off, tile.read.row_off,
                                         tile.read.width, tile.read.height)
        aerial = pad_tile(ds.read(window=window), tile.pad, "reflect")
    x, y = tile_centre(aerial_transform, tile, grid.region)
    series = series_around(scene["data"], scene["transform"], DATES, x, y, scene["masks"],
                           SeriesPreparation.from_meta(m.temporal))
    # The cloudy 20 January is dropped (one date left in January); June's snow lies west.
    assert [d.month for d in series.dates] == [1, 3, 6, 9]
    s2, positions, pad_mask = pad_series(
        [normalise(series.data, m.temporal.means, m.temporal.stds)], [series.positions])
    mean = torch.tensor(m.means).view(1, -1, 1, 1)
    std = torch.tensor(m.stds).view(1, -1, 1, 1)
    x_in = torch.from_numpy(aerial[None]).float().sub_(mean).div_(std)
    with torch.inference_mode():
        logits = loaded.module(x_in, torch.from_numpy(s2), torch.from_numpy(positions),
                               pad_mask=torch.from_numpy(pad_mask))[0]
    expected = (logits[0, :12].argmax(0) + 1).numpy().astype(np.uint8)
    codes = _read(stacked.output)[0]
    b = tile.block
    assert np.array_equal(codes[b.row_off:b.row_end, b.col_off:b.col_end],
                          expected[:b.height, :b.width])


def test_per_date_files_give_the_stack_output(scene, stacked):
    root = scene["root"]
    result = _run(scene, "per_date.tif", sentinel=[root / f"S2_{d}.tif" for d in DATES],
                  dates=None, cloud_masks=[root / f"MASK_{d}.tif" for d in DATES])
    assert np.array_equal(_read(result.output)[0], _read(stacked.output)[0])


def test_a_date_list_works_like_the_dates_file(scene, stacked):
    dates = [dt.date(int(d[:4]), int(d[4:6]), int(d[6:])) for d in DATES]
    result = _run(scene, "date_list.tif", dates=dates)
    assert np.array_equal(_read(result.output)[0], _read(stacked.output)[0])


def test_every_date_cloudy_warns_and_keeps_the_least_covered(scene):
    root = scene["root"]
    masks = np.full_like(scene["masks"], 100)
    masks[2] = 70  # still above the threshold, yet the least covered? no: same count
    masks[2, 1, :5] = 0  # a few clear rows: the least covered date
    _write(root / "cloudy.tif", masks.reshape(-1, *masks.shape[2:]), scene["profile"])
    warnings = []
    result = _run(scene, "cloudy_out.tif", cloud_masks=root / "cloudy.tif",
                  warn=warnings.append)
    assert result.output.is_file()
    assert any("every Sentinel-2 date covered by clouds or snow" in w and "2 tile(s)" in w
               for w in warnings), warnings


def test_sentinel_in_another_crs_is_reprojected_with_a_warning(scene, stacked, tmp_path):
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    root, profile = scene["root"], scene["profile"]
    rows, cols = scene["data"].shape[-2:]
    left, top = profile["transform"].c, profile["transform"].f
    bounds = (left, top - rows * S2_PIXEL, left + cols * S2_PIXEL, top)
    dst_transform, w, h = calculate_default_transform(profile["crs"], "EPSG:32631", cols,
                                                      rows, *bounds, resolution=S2_PIXEL)
    paths = []
    for name, array in (("utm_stack.tif", scene["data"].reshape(-1, rows, cols)),
                        ("utm_masks.tif", scene["masks"].reshape(-1, rows, cols))):
        out = np.zeros((array.shape[0], h, w), array.dtype)
        reproject(array, out, src_transform=profile["transform"], src_crs=profile["crs"],
                  dst_transform=dst_transform, dst_crs="EPSG:32631",
                  resampling=Resampling.nearest)
        _write(tmp_path / name, out, dict(profile, crs="EPSG:32631", transform=dst_transform,
                                          height=h, width=w))
        paths.append(tmp_path / name)
    warnings = []
    result = predict_multimodal(root / "aerial.tif", paths[0], scene["ckpt"],
                                tmp_path / "utm.tif", dates=root / "dates.txt",
                                cloud_masks=paths[1], device="cpu", warn=warnings.append)
    assert any("reprojected" in w and "nearest" in w for w in warnings), warnings
    codes = _read(result.output)[0]
    assert set(np.unique(codes)) <= set(range(1, 13))


def test_cancel_leaves_no_file(scene):
    root = scene["root"]
    with pytest.raises(PredictionCancelled):
        _run(scene, "cancelled.tif", cancel=lambda: True)
    assert not (root / "cancelled.tif").exists()
    assert not [p for p in root.iterdir() if is_temp_path(p)]


# --------------------------------------------------------------------------- bad inputs


def _shifted_stack(scene, path, dx):
    profile = dict(scene["profile"])
    profile["transform"] = profile["transform"] * rasterio.Affine.translation(dx, 0)
    _write(path, scene["data"].reshape(-1, *scene["data"].shape[-2:]), profile)
    _write(path.with_name("m_" + path.name),
           scene["masks"].reshape(-1, *scene["masks"].shape[-2:]), profile)
    return path


def test_sentinel_not_covering_the_area(scene, tmp_path):
    stack = _shifted_stack(scene, tmp_path / "s2.tif", 40)  # 400 m east: aerial uncovered
    with pytest.raises(InputError, match="Sentinel-2 does not cover the aerial extent"):
        _run(scene, "x.tif", sentinel=stack, cloud_masks=tmp_path / "m_s2.tif")
    assert not (scene["root"] / "x.tif").exists()


def test_dates_file_of_the_wrong_length(scene, tmp_path):
    (tmp_path / "dates.txt").write_text("\n".join(DATES[:4]))
    with pytest.raises(InputError, match="gives 4 dates but the stack .* holds 5 dates"):
        _run(scene, "x.tif", dates=tmp_path / "dates.txt")


def test_stack_without_dates(scene):
    with pytest.raises(InputError, match="stack of 5 dates: give its dates file"):
        _run(scene, "x.tif", dates=None)


def test_per_date_files_with_fewer_than_ten_bands(scene, tmp_path):
    files = []
    for date, image in zip(DATES, scene["data"]):
        files.append(tmp_path / f"S2_{date}.tif")
        _write(files[-1], image[:8], scene["profile"])
    with pytest.raises(InputError, match="has 8 band\\(s\\); a Sentinel-2 date needs 10"):
        _run(scene, "x.tif", sentinel=files, dates=None)


def test_stack_whose_band_count_is_not_dates_times_ten(scene, tmp_path):
    _write(tmp_path / "odd.tif", scene["data"].reshape(-1, *scene["data"].shape[-2:])[:45],
           scene["profile"])
    with pytest.raises(InputError, match="45 band\\(s\\), not a multiple of 10"):
        _run(scene, "x.tif", sentinel=tmp_path / "odd.tif")


def test_masks_needed_when_the_model_filters_clouds(scene):
    with pytest.raises(InputError, match="give the cloud/snow masks"):
        _run(scene, "x.tif", cloud_masks=None)


def test_a_unet_is_sent_to_segmentaerial(scene, tmp_path):
    unet = our_checkpoint(tmp_path / "unet.safetensors")
    with pytest.raises(InputError, match="not a U-T&T .* flair:segmentaerial"):
        predict_multimodal(scene["root"] / "aerial.tif", scene["root"] / "s2_stack.tif",
                           unet, tmp_path / "x.tif", dates=scene["root"] / "dates.txt",
                           device="cpu")


# --------------------------------------------------------------------------- one pipeline

class PerPixelUTT(torch.nn.Module):
    """A U-T&T-shaped module whose aerial logits are per pixel: a 1x1 convolution of the
    aerial input plus a bias drawn from the series (its mean over valid dates and pixels).

    Over a Sentinel-2 stack that is constant in space, every tile gets the same series,
    so whatever the tiling, the blend, the threads or the extent, the streamed output must
    equal one forward over the whole raster, bit for bit (float64)."""

    def __init__(self, bands=5, classes=13):
        super().__init__()
        torch.manual_seed(3)
        self.aerial = torch.nn.Conv2d(bands, classes, 1).double()
        self.series = torch.nn.Linear(len(SENTINEL2_BANDS), classes).double()

    def forward(self, aerial, sentinel, dates, metadata=None, pad_mask=None):
        valid = (~pad_mask).to(sentinel.dtype)[..., None]
        mean = (sentinel.mean(dim=(-1, -2)) * valid).sum(1) / valid.sum(1)
        return self.aerial(aerial) + self.series(mean)[..., None, None], None


@pytest.fixture(scope="module")
def flat_series(tmp_path_factory):
    """An odd-sized aerial raster and a Sentinel-2 stack constant in space (varying in
    time and band), without cloud filtering."""
    root = tmp_path_factory.mktemp("flat")
    rng = np.random.default_rng(11)
    aerial = rng.integers(0, 256, (5, 233, 301)).astype(np.uint8)
    transform = from_origin(651000.0, 6862000.0, 0.2, 0.2)
    profile = dict(driver="GTiff", crs="EPSG:2154", transform=transform, height=233,
                   width=301)
    _write(root / "aerial.tif", aerial, profile)
    values = rng.integers(200, 3000, (len(DATES), 10)).astype(np.uint16)
    s2 = np.broadcast_to(values[:, :, None, None], (len(DATES), 10, 24, 24)).copy()
    s2_profile = dict(profile, transform=from_origin(651000.0 - 60, 6862000.0 + 60, 10, 10),
                      height=24, width=24)
    _write(root / "s2.tif", s2.reshape(-1, 24, 24), s2_profile)
    (root / "dates.txt").write_text("\n".join(DATES) + "\n")
    temporal = TemporalMeta(sat_patch_size=12, bands=SENTINEL2_BANDS, means=(1000.0,) * 10,
                            stds=(400.0,) * 10, filter_clouds=False, **TINY_T)
    m = ModelMeta(architecture="flair-utt", in_channels=5, logit_codes=BASELINE13,
                  means=(100.0,) * 5, stds=(60.0,) * 5, temporal=temporal, **TINY_UNET)
    loaded = LoadedModel(PerPixelUTT().eval(), m)
    series = series_around(s2, s2_profile["transform"], DATES, 651030.0, 6861977.0, None,
                           SeriesPreparation.from_meta(temporal))
    s, positions, pad_mask = pad_series(
        [normalise(series.data, temporal.means, temporal.stds)], [series.positions])
    return dict(root=root, aerial=aerial, loaded=loaded, series=(s, positions, pad_mask))


def _direct_utt(flat):
    """The whole raster in one forward: normalise -> model -> softmax -> argmax -> codes."""
    x = torch.from_numpy(flat["aerial"].astype(np.float64))[None]
    x = (x - 100.0) / 60.0
    s, positions, pad_mask = (torch.from_numpy(a) for a in flat["series"])
    with torch.no_grad():
        logits = flat["loaded"].module(x, s.double(), positions, None, pad_mask)[0]
        p = torch.softmax(logits[:, :12], dim=1)[0]
    return ((p.argmax(0) + 1).numpy().astype(np.uint8),
            torch.round(p * 255).to(torch.uint8).numpy(),
            torch.round(p.amax(0) * 255).to(torch.uint8).numpy())


@pytest.mark.parametrize("blend,block,halo,batch,readers", [
    ("crop", 64, 32, 3, 2),
    ("crop", 64, 0, 4, 3),
    ("hann", 64, 32, 2, 2),
    ("gaussian", 32, 64, 4, 1),
])
def test_utt_streamed_output_equals_one_direct_forward(flat_series, tmp_path, blend, block,
                                                       halo, batch, readers):
    root = flat_series["root"]
    result = predict_multimodal(
        root / "aerial.tif", root / "s2.tif", flat_series["loaded"], tmp_path / "c.tif",
        dates=root / "dates.txt", device="cpu", blend=blend, block=block, halo=halo,
        batch_size=batch, num_readers=readers, probabilities=tmp_path / "p.tif",
        confidence=tmp_path / "f.tif")
    codes, probs, conf = _direct_utt(flat_series)
    assert np.array_equal(_read(tmp_path / "c.tif")[0], codes)
    with rasterio.open(tmp_path / "p.tif") as ds:
        assert ds.count == 12 and np.array_equal(ds.read(), probs)
    assert np.array_equal(_read(tmp_path / "f.tif")[0], conf)
    assert result.tiles_done == result.tiles_total >= 20 and result.blend == blend


def test_utt_extent_predicts_the_snapped_window(flat_series, tmp_path):
    root = flat_series["root"]
    extent = (651000.0 + 10.1, 6862000.0 - 40.3, 651000.0 + 50.05, 6862000.0 - 3.0)
    result = predict_multimodal(
        root / "aerial.tif", root / "s2.tif", flat_series["loaded"], tmp_path / "c.tif",
        dates=root / "dates.txt", device="cpu", blend="hann", block=64, halo=32,
        extent=extent)
    codes = _direct_utt(flat_series)[0]
    out, transform, _, shape = _read(tmp_path / "c.tif")
    col0, row0 = 50, 15  # 10.1 m and 3.0 m from the origin at 0.2 m, snapped outward
    assert (transform.c, transform.f) == (651000.0 + col0 * 0.2, 6862000.0 - row0 * 0.2)
    assert np.array_equal(out, codes[row0:row0 + shape[0], col0:col0 + shape[1]])
    assert (result.width, result.height) == (shape[1], shape[0]) == (201, 187)

"""The streaming inference: exact stitching, a real U-Net, input checks, cancel, nodata.

Stitching is checked with a per-pixel model (a float64 1x1 convolution with fixed random
weights): whatever the tiling, the streamed output must equal one forward pass over the
whole raster bit for bit: a seam, an off-by-one window or a lost block shows up as a
mismatch.
"""

import os
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from rasterio.transform import from_origin

from flair_landcover.flair_plugin.engine.checkpoints.store import (
    LoadedModel,
    ModelMeta,
    build_module,
    save_checkpoint,
)
from flair_landcover.flair_plugin.engine.errors import InputError, PredictionCancelled
from flair_landcover.flair_plugin.engine.geo import PixelWindow
from flair_landcover.flair_plugin.engine.inference.predict import predict, predict_with_module
from flair_landcover.flair_plugin.engine.io.sources import BandSource, StackReader, plan_sources
from flair_landcover.flair_plugin.nomenclature import FLAIR1_MEANS, FLAIR1_STDS

ORIGIN = (651000.0, 6862000.0)
CODES19 = tuple(range(1, 20))
CODES15 = tuple(range(1, 16)) + (0, 0, 0, 0)  # FLAIR-INC "15cl": last four logits inactive


def write_raster(path, data, pixel=0.2, crs="EPSG:2154", nodata=None, origin=ORIGIN):
    data = data[None] if data.ndim == 2 else data
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1],
                       count=data.shape[0], dtype=data.dtype, crs=crs, nodata=nodata,
                       transform=from_origin(origin[0], origin[1], pixel, pixel)) as dst:
        dst.write(data)
    return Path(path)


def random_image(height, width, bands=5, seed=0, dtype=np.uint8, high=256):
    return np.random.default_rng(seed).integers(0, high, (bands, height, width)).astype(dtype)


def per_pixel_model(classes=19, bands=5, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Conv2d(bands, classes, 1).double().eval()


def direct(module, data, codes=CODES19, means=FLAIR1_MEANS, stds=FLAIR1_STDS):
    """The whole raster in one forward: normalise -> model -> softmax -> argmax -> codes."""
    x = torch.from_numpy(data.astype(np.float64))[None]
    x = (x - torch.tensor(means, dtype=torch.float64).view(1, -1, 1, 1)) \
        / torch.tensor(stds, dtype=torch.float64).view(1, -1, 1, 1)
    active = [i for i, c in enumerate(codes) if c]
    with torch.no_grad():
        p = torch.softmax(module(x)[:, active], dim=1)[0]
    lut = np.array([codes[i] for i in active], np.uint8)
    return (lut[p.argmax(0).numpy()], torch.round(p * 255).to(torch.uint8).numpy(),
            torch.round(p.amax(0) * 255).to(torch.uint8).numpy())


def run(src, folder, module, codes=CODES19, **kwargs):
    """predict_with_module with all three outputs; returns (result, codes, probs, conf)."""
    folder = Path(folder)
    kwargs.setdefault("device", "cpu")
    result = predict_with_module(src, module, folder / "classes.tif", means=FLAIR1_MEANS,
                                 stds=FLAIR1_STDS, logit_codes=codes,
                                 probabilities=folder / "probs.tif",
                                 confidence=folder / "conf.tif", **kwargs)
    read = {}
    for name in ("classes", "probs", "conf"):
        with rasterio.open(folder / f"{name}.tif") as ds:
            read[name] = ds.read()
    return result, read["classes"][0], read["probs"], read["conf"][0]


@pytest.fixture(scope="module")
def odd_raster(tmp_path_factory):
    data = random_image(233, 301, seed=1)
    return write_raster(tmp_path_factory.mktemp("odd") / "in.tif", data), data


# --------------------------------------------------------------------------- stitching

@pytest.mark.parametrize("blend,block,halo,batch,readers", [
    ("crop", 64, 32, 3, 2),
    ("crop", 64, 96, 1, 1),  # halo larger than the block
    ("crop", 64, 0, 4, 3),
    ("hann", 64, 32, 2, 2),
    ("hann", 64, 0, 5, 1),
    ("gaussian", 64, 32, 7, 3),
    ("gaussian", 32, 64, 4, 2),
])
def test_streamed_output_equals_one_direct_forward(odd_raster, tmp_path, blend, block, halo,
                                                   batch, readers):
    src, data = odd_raster
    model = per_pixel_model()
    ref_codes, ref_probs, ref_conf = direct(model, data)
    result, codes, probs, conf = run(src, tmp_path, model, blend=blend, block=block, halo=halo,
                                     batch_size=batch, num_readers=readers)
    assert np.array_equal(codes, ref_codes)
    assert np.array_equal(conf, ref_conf)
    assert np.array_equal(probs, ref_probs)
    assert result.tiles_skipped == 0 and result.tiles_done == result.tiles_total
    assert result.tiles_total >= 4 * 5


def test_large_odd_raster_and_inactive_logits(tmp_path):
    data = random_image(777, 1001, seed=2)
    src = write_raster(tmp_path / "in.tif", data)
    model = per_pixel_model()
    ref_codes, ref_probs, ref_conf = direct(model, data, CODES15)
    result, codes, probs, conf = run(src, tmp_path, model, CODES15, block=256, halo=64,
                                     batch_size=3)
    assert (result.width, result.height, result.tiles_total) == (1001, 777, 16)
    assert np.array_equal(codes, ref_codes) and np.array_equal(probs, ref_probs)
    assert np.array_equal(conf, ref_conf)
    assert set(np.unique(codes)) <= set(range(1, 16)) and probs.shape[0] == 15
    with rasterio.open(tmp_path / "probs.tif") as ds:
        assert ds.descriptions[:2] == ("building", "pervious surface")


def test_weighted_blend_in_several_strips_equals_direct(odd_raster, tmp_path):
    src, data = odd_raster
    model = per_pixel_model()
    ref_codes, ref_probs, _ = direct(model, data)
    # A tiny accumulator budget forces strips of 2 blocks, whose margin tiles are recomputed.
    result, codes, probs, _ = run(src, tmp_path, model, blend="hann", block=64, halo=32,
                                  blend_memory_mb=1)
    assert result.tiles_total > 4 * 5  # margin tiles were visited twice
    assert np.array_equal(codes, ref_codes) and np.array_equal(probs, ref_probs)


@pytest.mark.parametrize("blend", ["crop", "gaussian"])
@pytest.mark.parametrize("pad", ["reflect", "zero"])
def test_raster_smaller_than_one_tile(tmp_path, blend, pad):
    data = random_image(37, 50, seed=3)
    src = write_raster(tmp_path / "in.tif", data)
    model = per_pixel_model()
    ref_codes, ref_probs, _ = direct(model, data)
    result, codes, probs, _ = run(src, tmp_path, model, blend=blend, pad=pad)
    assert codes.shape == (37, 50) and result.tiles_total == 1
    assert np.array_equal(codes, ref_codes) and np.array_equal(probs, ref_probs)


@pytest.mark.parametrize("blend", ["crop", "hann"])
def test_extent_predicts_the_snapped_window_with_its_georeferencing(odd_raster, tmp_path,
                                                                    blend):
    src, data = odd_raster
    model = per_pixel_model()
    ref_codes, _, _ = direct(model, data)
    x0, y0 = ORIGIN
    # cols 37.5..250.2 -> 37..251, rows 20.1..200.9 -> 20..201 (snapped outward)
    extent = (x0 + 37.5 * 0.2, y0 - 200.9 * 0.2, x0 + 250.2 * 0.2, y0 - 20.1 * 0.2)
    result, codes, _, _ = run(src, tmp_path, model, extent=extent, block=64, halo=32,
                              blend=blend)
    assert np.array_equal(codes, ref_codes[20:201, 37:251])
    with rasterio.open(tmp_path / "classes.tif") as out, rasterio.open(src) as inp:
        assert out.crs == inp.crs and (out.width, out.height) == (214, 181)
        assert out.transform == inp.window_transform(((20, 201), (37, 251)))


def test_output_format_and_georeferencing(odd_raster, tmp_path):
    src, _ = odd_raster
    run(src, tmp_path, per_pixel_model(), block=128, halo=32)
    with rasterio.open(tmp_path / "classes.tif") as out, rasterio.open(src) as inp:
        assert (out.crs, out.transform, out.width, out.height) == (
            inp.crs, inp.transform, inp.width, inp.height)
        assert out.dtypes == ("uint8",) and out.nodata == 0
        assert out.profile["tiled"] and out.block_shapes == [(128, 128)]
        assert out.compression.name == "deflate"
        assert out.colormap(1)[1][:3] == (0xDB, 0x0E, 0x9A)  # building, the FLAIR colour
    with rasterio.open(tmp_path / "conf.tif") as conf:
        assert conf.nodata == 0 and conf.count == 1
    assert sorted(os.listdir(tmp_path)) == ["classes.tif", "conf.tif", "probs.tif"]


def test_several_aligned_rasters_feed_the_model_bands(tmp_path):
    data = random_image(90, 110, seed=4)
    rgb = write_raster(tmp_path / "rgb.tif", data[:3])
    irc = write_raster(tmp_path / "irc.tif", data[[3, 0, 1]])  # NIR, R, G as in IRC images
    dem = write_raster(tmp_path / "dem.tif", data[4])
    model = per_pixel_model()
    ref_codes, _, _ = direct(model, data)
    out = tmp_path / "out"
    out.mkdir()
    by_ref = run([rgb, irc, dem], out, model, bands=[1, 2, 3, "2:1", (3, 1)], block=64,
                 halo=32)
    assert np.array_equal(by_ref[1], ref_codes)
    sources = [BandSource(str(rgb), 1), BandSource(str(rgb), 2), (rgb, 3), (irc, 1), (dem, 1)]
    by_source = run(sources, out, model, block=64, halo=32, overwrite=True)
    assert np.array_equal(by_source[1], ref_codes)


def test_non_8bit_input_with_an_explicit_scale(tmp_path):
    data = random_image(64, 80, seed=5, dtype=np.uint16, high=65536)
    src = write_raster(tmp_path / "in.tif", data)
    scaled = np.rint(np.clip(data.astype(np.float32) * np.float32(255 / 65535), 0, 255))
    model = per_pixel_model()
    ref_codes, _, _ = direct(model, scaled.astype(np.uint8))
    _, codes, _, _ = run(src, tmp_path, model, input_scale="0,65535", block=64, halo=32)
    assert np.array_equal(codes, ref_codes)


# --------------------------------------------------------------------------- nodata

@pytest.mark.parametrize("blend,rule", [("crop", "all"), ("hann", "all"), ("crop", "any")])
def test_nodata_is_zero_and_empty_tiles_are_skipped(tmp_path, blend, rule):
    data = random_image(200, 260, seed=6, high=250) + 1  # 1..250: 0 only where we put it
    data[:, :, :128] = 0  # two full block columns without data
    data[2, 150:160, 200:230] = 0  # a hole in one band only: data (rule all), or not (any)
    src = write_raster(tmp_path / "in.tif", data, nodata=0)
    model = per_pixel_model()
    ref_codes, _, ref_conf = direct(model, data)
    invalid = (data == 0).all(axis=0) if rule == "all" else (data == 0).any(axis=0)
    result, codes, probs, conf = run(src, tmp_path, model, blend=blend, block=64, halo=32,
                                     nodata_rule=rule)
    assert result.nodata_pixels == int(invalid.sum())
    assert (codes[invalid] == 0).all() and (conf[invalid] == 0).all()
    assert (probs[:, invalid] == 0).all()
    assert np.array_equal(codes[~invalid], ref_codes[~invalid])
    assert np.array_equal(conf[~invalid], ref_conf[~invalid])
    # crop skips every block of the two empty columns; a weighted blend keeps the tiles
    # whose halo reaches valid pixels (the second column)
    expected = 4 * 2 if blend == "crop" else 4
    assert result.tiles_skipped == expected
    assert result.tiles_done + result.tiles_skipped == result.tiles_total


def test_a_raster_without_nodata_is_valid_everywhere(tmp_path):
    data = np.zeros((5, 70, 70), np.uint8)  # zeros, but no nodata declared
    src = write_raster(tmp_path / "in.tif", data)
    result, codes, _, _ = run(src, tmp_path, per_pixel_model(), block=64, halo=32)
    assert result.tiles_skipped == 0 and (codes > 0).all()


# --------------------------------------------------------------------------- real model

@pytest.fixture(scope="module")
def tiny_unet(tmp_path_factory):
    meta = ModelMeta(in_channels=5, logit_codes=CODES15, encoder="resnet18", encoder_depth=3)
    torch.manual_seed(0)
    module = build_module(meta)
    path = save_checkpoint(tmp_path_factory.mktemp("model") / "tiny.flair.safetensors",
                           module, meta)
    return path, meta


def test_real_unet_from_a_checkpoint_runs_end_to_end(tiny_unet, tmp_path):
    path, meta = tiny_unet
    src = write_raster(tmp_path / "in.tif", random_image(150, 170, seed=7))
    seen = []
    result = predict(src, path, tmp_path / "out.tif", block=64, halo=32, batch_size=2,
                     device="cpu", progress=lambda f, m: seen.append(f),
                     confidence=tmp_path / "conf.tif")
    with rasterio.open(tmp_path / "out.tif") as out, rasterio.open(src) as inp:
        codes = out.read(1)
        assert (out.transform, out.crs, out.shape) == (inp.transform, inp.crs, inp.shape)
    assert set(np.unique(codes)) <= set(meta.active_codes)
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert result.codes == meta.active_codes and result.megapixels_per_s > 0
    assert result.device == "cpu" and result.tiles_total == 9


def test_same_result_from_a_loaded_model_or_its_path(tiny_unet, tmp_path):
    from flair_landcover.flair_plugin.engine.checkpoints.store import load_model

    path, meta = tiny_unet
    src = write_raster(tmp_path / "in.tif", random_image(64, 64, seed=8))
    loaded = load_model(path)
    assert isinstance(loaded, LoadedModel)
    predict(src, loaded, tmp_path / "a.tif", device="cpu", halo=32)
    predict(src, path, tmp_path / "b.tif", device="cpu", halo=32)
    read = {n: rasterio.open(tmp_path / f"{n}.tif").read(1) for n in "ab"}
    assert np.array_equal(read["a"], read["b"])


def test_bf16_autocast_on_cpu(odd_raster, tmp_path):
    # bf16 convolutions are very slow on CPUs without bf16 instructions: a 1x1 conv only.
    src, data = odd_raster
    ref_codes, _, _ = direct(per_pixel_model(), data)
    result, codes, _, _ = run(src, tmp_path, per_pixel_model().float(), precision="bf16",
                              runtime="torch", block=128, halo=0)
    assert (result.runtime, result.precision) == ("torch", "bf16")
    assert set(np.unique(codes)) <= set(CODES19)
    # bf16 keeps 8 bits of mantissa: near ties flip (measured 99.5 % on this random data;
    # the other runtimes: tests/unit/test_runtimes.py)
    assert (codes == ref_codes).mean() > 0.99


# --------------------------------------------------------------------------- checks

def _fails(tmp_path, text, src=None, module=None, codes=CODES19, **kwargs):
    """The run must raise InputError mentioning ``text`` and leave the folder as it was."""
    src = src or write_raster(tmp_path / "in.tif", random_image(40, 40))
    before = sorted(os.listdir(tmp_path))
    kwargs.setdefault("device", "cpu")
    with pytest.raises(InputError) as info:
        predict_with_module(src, module or per_pixel_model(), kwargs.pop("output",
                            tmp_path / "out.tif"), means=FLAIR1_MEANS, stds=FLAIR1_STDS,
                            logit_codes=codes, **kwargs)
    assert text in str(info.value), str(info.value)
    assert sorted(os.listdir(tmp_path)) == before
    return str(info.value)


def test_too_few_bands_names_what_the_model_expects(tmp_path):
    src = write_raster(tmp_path / "rgb.tif", random_image(40, 40, bands=3))
    message = _fails(tmp_path, "model expects red, green, blue, nir, elevation (5 bands); "
                               "rgb.tif has 3 bands", src=src)
    assert "--bands" in message


def test_band_number_out_of_range(tmp_path):
    _fails(tmp_path, "band 9 requested for the model's elevation band, but in.tif has 5 "
                     "bands", bands=[1, 2, 3, 4, 9])


def test_more_model_bands_than_sources(tmp_path):
    _fails(tmp_path, "model expects red, green, blue, nir, elevation (5 bands); 4 band "
                     "sources given", bands=[1, 2, 3, 4])


def test_non_8bit_input_needs_a_scale(tmp_path):
    src = write_raster(tmp_path / "in16.tif", random_image(40, 40, dtype=np.uint16))
    message = _fails(tmp_path, "in16.tif band 1 holds uint16 values", src=src)
    assert "--input-scale" in message and "0,65535" in message and "gdal_translate" in message
    _fails(tmp_path, "input scale 'lots' is not understood", src=src, input_scale="lots")


def test_a_raster_on_another_grid_is_resampled_onto_the_first(tmp_path):
    """An elevation raster shifted by 5 pixels: read on the imagery's grid, the columns it
    does not cover come out as no data, the others as if it had been aligned."""
    image, elevation = random_image(40, 40, bands=4), random_image(40, 40, bands=1, seed=3)
    a = write_raster(tmp_path / "a.tif", image)
    b = write_raster(tmp_path / "b.tif", elevation, origin=(ORIGIN[0] + 1.0, ORIGIN[1]))
    warnings = []
    _, codes, _, _ = run([a, b], tmp_path, per_pixel_model(), block=32, halo=0,
                         warn=warnings.append)
    assert any("b.tif is on another grid" in w for w in warnings), warnings
    aligned = np.concatenate([image, np.zeros_like(elevation)])
    aligned[4, :, 5:] = elevation[0, :, :35]
    plan = plan_sources([a, b], None, ("red", "green", "blue", "nir", "elevation"),
                        means=FLAIR1_MEANS)
    reader = StackReader(plan)
    try:
        stack, valid = reader.read(PixelWindow(0, 0, 40, 40))
    finally:
        reader.close()
    # GDAL's bilinear warper rounds: an exact 5-pixel shift may be off by one DN.
    assert np.abs(stack[4, :, 5:].astype(int) - elevation[0, :, :35]).max() <= 1
    assert np.array_equal(stack[:4, :, 5:], image[:, :, 5:])  # no data is filled with means
    assert not valid[:, :5].any() and valid[:, 5:].all()
    assert (codes[:, :5] == 0).all()
    expected = direct(per_pixel_model(), aligned)[0]
    assert (codes[:, 5:] == expected[:, 5:]).mean() > 0.9


def test_a_4_band_rgbi_file_is_not_read_as_rgba(tmp_path):
    """GDAL calls the 4th band of a 4-band 8-bit GeoTIFF alpha: NIR = 0 is still data."""
    image = random_image(40, 40, bands=4)
    image[3, :10] = 0
    rgbi = write_raster(tmp_path / "rgbi.tif", image)
    with rasterio.open(rgbi) as src:
        assert src.colorinterp[3].name == "alpha"  # the trap this test is about
    module = per_pixel_model(bands=4)
    predict_with_module(rgbi, module, tmp_path / "out.tif", means=FLAIR1_MEANS[:4],
                        stds=FLAIR1_STDS[:4], logit_codes=CODES19, block=32, halo=0,
                        device="cpu")
    with rasterio.open(tmp_path / "out.tif") as src:
        codes = src.read(1)
    assert np.array_equal(codes, direct(module, image, means=FLAIR1_MEANS[:4],
                                        stds=FLAIR1_STDS[:4])[0])


def test_rasters_on_other_grids_must_overlap_and_have_a_crs(tmp_path):
    a = write_raster(tmp_path / "a.tif", random_image(40, 40, bands=4))
    far = write_raster(tmp_path / "far.tif", random_image(40, 40, bands=1),
                       origin=(ORIGIN[0] + 100.0, ORIGIN[1]))
    _fails(tmp_path, "far.tif does not overlap a.tif", src=[a, far])
    no_crs = write_raster(tmp_path / "nocrs.tif", random_image(40, 40, bands=1), crs=None,
                          origin=(ORIGIN[0] + 1.0, ORIGIN[1]))
    _fails(tmp_path, "has no CRS", src=[a, no_crs])


def test_extent_outside_the_raster(tmp_path):
    _fails(tmp_path, "lies outside the raster", extent=(0, 0, 10, 10))


def test_existing_output_is_never_overwritten_silently(tmp_path):
    (tmp_path / "out.tif").write_bytes(b"user data")
    _fails(tmp_path, "already exists")
    assert (tmp_path / "out.tif").read_bytes() == b"user data"
    src = tmp_path / "in.tif"
    predict_with_module(src, per_pixel_model(), tmp_path / "out.tif", means=FLAIR1_MEANS,
                        stds=FLAIR1_STDS, logit_codes=CODES19, device="cpu", overwrite=True)
    with rasterio.open(tmp_path / "out.tif") as ds:
        assert ds.shape == (40, 40)


def test_output_folder_problems(tmp_path):
    _fails(tmp_path, "does not exist", output=tmp_path / "missing" / "out.tif")
    _fails(tmp_path, "is one of the inputs", output=tmp_path / "in.tif", overwrite=True)
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        _fails(tmp_path, "is not writable", output=locked / "out.tif")


@pytest.mark.parametrize("kwargs,text", [
    (dict(block=100), "block must be a positive multiple of 32"),
    (dict(halo=16), "halo must be 0 or a positive multiple of 32"),
    (dict(blend="median"), "blend 'median' is not one of crop, hann, gaussian"),
    (dict(precision="fp16"), "fp16 needs a CUDA GPU"),
    (dict(device="tpu"), "device 'tpu' is not one of"),
])
def test_bad_settings(tmp_path, kwargs, text):
    _fails(tmp_path, text, **kwargs)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu(tmp_path):
    _fails(tmp_path, "sees no CUDA GPU", device="cuda")


def test_model_with_the_wrong_band_count_fails_before_any_file(tmp_path):
    _fails(tmp_path, "cannot run on 5 input bands", module=per_pixel_model(bands=4))
    _fails(tmp_path, "expected N×19×H×W logits", module=per_pixel_model(classes=13))


def test_pixel_size_and_crs_warnings(tmp_path):
    warnings = []
    src = write_raster(tmp_path / "coarse.tif", random_image(40, 50), pixel=0.5)
    predict_with_module(src, per_pixel_model(), tmp_path / "a.tif", means=FLAIR1_MEANS,
                        stds=FLAIR1_STDS, logit_codes=CODES19, model_pixel_size=0.2,
                        device="cpu", warn=warnings.append)
    assert len(warnings) == 1 and "0.5 m pixels, 2.5 times the model's 0.2 m" in warnings[0]
    assert "resample" in warnings[0]
    # resampling reads at 0.2 m and writes the output on that grid, silently
    warnings.clear()
    result = predict_with_module(src, per_pixel_model(), tmp_path / "b.tif", means=FLAIR1_MEANS,
                                 stds=FLAIR1_STDS, logit_codes=CODES19, model_pixel_size=0.2,
                                 device="cpu", resample_to_model=True, warn=warnings.append)
    with rasterio.open(tmp_path / "b.tif") as ds:
        assert (ds.width, ds.height) == (125, 100) and ds.res == (0.2, 0.2)
        assert ds.bounds == rasterio.open(src).bounds
    assert not warnings and result.warnings == []
    nocrs = write_raster(tmp_path / "nocrs.tif", random_image(40, 40), crs=None)
    result = predict_with_module(nocrs, per_pixel_model(), tmp_path / "c.tif",
                                 means=FLAIR1_MEANS, stds=FLAIR1_STDS, logit_codes=CODES19,
                                 model_pixel_size=0.2, device="cpu", warn=warnings.append)
    assert "nocrs.tif has no CRS" in warnings[0] and result.warnings == warnings
    with rasterio.open(tmp_path / "c.tif") as ds:
        assert ds.crs is None


# --------------------------------------------------------------------------- cancel

@pytest.mark.parametrize("blend", ["crop", "gaussian"])
def test_cancel_at_a_random_batch_leaves_no_file(odd_raster, tmp_path, blend):
    src, _ = odd_raster
    stop_at = int(np.random.default_rng().integers(1, 8))
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) >= stop_at

    with pytest.raises(PredictionCancelled):
        run(src, tmp_path, per_pixel_model(), block=64, halo=32, batch_size=2, blend=blend,
            cancel=cancel)
    assert len(calls) == stop_at
    assert os.listdir(tmp_path) == []


def test_a_failing_callback_leaves_no_file_and_keeps_the_old_output(odd_raster, tmp_path):
    src, _ = odd_raster
    (tmp_path / "classes.tif").write_bytes(b"previous result")

    def progress(fraction, message):
        if fraction > 0.3:
            raise RuntimeError("the caller broke")

    with pytest.raises(RuntimeError, match="the caller broke"):
        run(src, tmp_path, per_pixel_model(), block=64, halo=32, progress=progress,
            overwrite=True)
    assert os.listdir(tmp_path) == ["classes.tif"]
    assert (tmp_path / "classes.tif").read_bytes() == b"previous result"


class _SmallMemoryModel(torch.nn.Module):
    """A per-pixel model that runs out of (GPU) memory on more than ``limit`` tiles."""

    def __init__(self, limit):
        super().__init__()
        self.conv, self.limit = per_pixel_model(), limit

    def forward(self, x):
        if x.shape[-1] > 64 and x.shape[0] > self.limit:  # the engine's 64 px probe fits
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (test)")
        return self.conv(x)


def test_out_of_memory_halves_the_batch_and_retries(odd_raster, tmp_path, caplog):
    src, data = odd_raster
    ref_codes, _, _ = direct(per_pixel_model(), data)
    result, codes, _, _ = run(src, tmp_path, _SmallMemoryModel(limit=2), block=64, halo=32,
                              batch_size=8)
    assert result.batch_size == 2
    assert np.array_equal(codes, ref_codes)
    assert "batch size halved to 4" in caplog.text and "halved to 2" in caplog.text


def test_out_of_memory_at_batch_one_fails_cleanly(odd_raster, tmp_path):
    src, _ = odd_raster
    from flair_landcover.flair_plugin.engine.errors import InferenceError

    with pytest.raises(InferenceError, match="out of GPU memory with a batch of one tile"):
        run(src, tmp_path, _SmallMemoryModel(limit=0), block=64, halo=32, batch_size=2)
    assert os.listdir(tmp_path) == []

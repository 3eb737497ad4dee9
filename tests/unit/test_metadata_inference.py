"""FLAIR-1 models trained with aerial metadata, over any area.

A FLAIR-1 Lightning checkpoint with the metadata MLP (IGN's layout, ``model.enc.enc_mlp.*``)
segments a generated area: each tile's output must equal a direct forward of that tile
with the metadata record computed here, independently, from the tile's own centre.
"""

import math

import numpy as np
import pytest
import rasterio
import torch
from helpers_models import flair1_lightning_checkpoint
from rasterio.transform import from_origin
from rasterio.warp import transform as warp_points

from flair_landcover.flair_plugin.engine.checkpoints.store import LoadedModel, load_model
from flair_landcover.flair_plugin.engine.cli.main import main
from flair_landcover.flair_plugin.engine.errors import InputError
from flair_landcover.flair_plugin.engine.geo import PixelWindow
from flair_landcover.flair_plugin.engine.inference.predict import predict
from flair_landcover.flair_plugin.engine.io.sources import pad_tile
from flair_landcover.flair_plugin.engine.tiling import TileGrid
from flair_landcover.models.metadata_encoding import encode_aerial_metadata
from flair_landcover.models.unet import FlairUNet

ORIGIN = (651000.0, 6862000.0)  # Lambert-93
PIXEL = 0.2
ACQ = dict(date="2021-04-21", time="10h35", camera="UCE-M3-f120-s06", altitude=155.0)
BLOCK, HALO = 64, 32


@pytest.fixture(scope="module")
def area(tmp_path_factory):
    root = tmp_path_factory.mktemp("meta")
    torch.manual_seed(4)
    model = FlairUNet(5, 19, encoder="resnet18", encoder_depth=3,
                      decoder_channels=(32, 16, 8), metadata_mlp=True).eval()
    # A strong MLP: the metadata then moves the logits enough for a wrong record to show.
    with torch.no_grad():
        for p in model.metadata_mlp.parameters():
            p.mul_(30)
    ckpt = root / "flair-1_metadata.ckpt"
    torch.save(flair1_lightning_checkpoint(model, torch.ones(19)), ckpt)
    data = np.random.default_rng(3).integers(0, 256, (5, 150, 190)).astype(np.uint8)
    raster = root / "area.tif"
    with rasterio.open(raster, "w", driver="GTiff", width=190, height=150, count=5,
                       dtype="uint8", crs="EPSG:2154",
                       transform=from_origin(*ORIGIN, PIXEL, PIXEL)) as ds:
        ds.write(data)
    return dict(root=root, ckpt=ckpt, data=data, raster=raster)


def _double(path):
    loaded = load_model(path)
    return LoadedModel(loaded.module.double().eval(), loaded.meta)


def _record_encoding(x, y, **changes):
    """FLAIR's encoding of a record at (x, y) Lambert-93, written out by hand."""
    acq = dict(ACQ, **changes)
    return encode_aerial_metadata({"patch_centroid_x": x, "patch_centroid_y": y,
                                   "patch_centroid_z": acq["altitude"],
                                   "camera": acq["camera"], "date": acq["date"],
                                   "time": acq["time"]})


def _tile_forward(loaded, data, tile, metadata):
    """One tile through the model, alone: normalise, forward, argmax -> FLAIR codes.
    ``metadata`` None: the U-Net without its metadata branch."""
    x = torch.from_numpy(pad_tile(data[:, tile.read.row_off:tile.read.row_end,
                                       tile.read.col_off:tile.read.col_end],
                                  tile.pad, "reflect").astype(np.float64))[None]
    mean = torch.tensor(loaded.meta.means, dtype=torch.float64).view(1, -1, 1, 1)
    std = torch.tensor(loaded.meta.stds, dtype=torch.float64).view(1, -1, 1, 1)
    with torch.no_grad():
        if metadata is None:  # the segmentation network alone, as IGN's zone detection
            logits = loaded.module.seg_model((x - mean) / std)
        else:
            logits = loaded.module((x - mean) / std,
                                   torch.tensor([metadata], dtype=torch.float64))
    active = [i for i, c in enumerate(loaded.meta.logit_codes) if c]
    lut = np.array([loaded.meta.logit_codes[i] for i in active], np.uint8)
    return lut[logits[0, active].argmax(0).numpy()]


def test_each_tile_equals_a_direct_forward_with_its_own_metadata(area, tmp_path):
    loaded = _double(area["ckpt"])
    result = predict(area["raster"], loaded, tmp_path / "out.tif", acquisition=ACQ,
                     block=BLOCK, halo=HALO, device="cpu", batch_size=3, num_readers=2)
    with rasterio.open(tmp_path / "out.tif") as ds:
        out = ds.read(1)
    grid = TileGrid(190, 150, PixelWindow(0, 0, 190, 150), BLOCK, HALO)
    tile_size = BLOCK + 2 * HALO
    checked = 0
    for row in range(grid.rows):
        for col in range(grid.cols):
            tile = grid.tile(row, col)
            # The tile's centre, from its row and column alone: FLAIR's patch centroid.
            x = ORIGIN[0] + (col * BLOCK - HALO + tile_size / 2) * PIXEL
            y = ORIGIN[1] - (row * BLOCK - HALO + tile_size / 2) * PIXEL
            expected = _tile_forward(loaded, area["data"], tile, _record_encoding(x, y))
            b = tile.block
            inner = expected[HALO:HALO + b.height, HALO:HALO + b.width]
            assert np.array_equal(out[b.row_off:b.row_end, b.col_off:b.col_end], inner)
            checked += 1
    assert checked == result.tiles_done == 9
    # The metadata matters: the same tile with another camera's record reads differently.
    # (FLAIR's position encoding barely moves over a few tiles: scale 1e8 m.)
    tile = grid.tile(2, 2)
    x = ORIGIN[0] + (2 * BLOCK - HALO + tile_size / 2) * PIXEL
    y = ORIGIN[1] - (2 * BLOCK - HALO + tile_size / 2) * PIXEL
    other = _tile_forward(loaded, area["data"], tile,
                          _record_encoding(x, y, camera="DMC-III"))
    b = tile.block
    assert not np.array_equal(other[HALO:HALO + b.height, HALO:HALO + b.width],
                              out[b.row_off:b.row_end, b.col_off:b.col_end])


def test_without_the_metadata_branch_equals_the_bare_unet(area, tmp_path):
    loaded = _double(area["ckpt"])
    warnings = []
    predict(area["raster"], loaded, tmp_path / "bare.tif", ignore_metadata=True, block=BLOCK,
            halo=HALO, device="cpu", warn=warnings.append)
    assert any("without its aerial-metadata branch" in w for w in warnings)
    with rasterio.open(tmp_path / "bare.tif") as ds:
        out = ds.read(1)
    grid = TileGrid(190, 150, PixelWindow(0, 0, 190, 150), BLOCK, HALO)
    for tile in (grid.tile(1, 1), grid.tile(2, 2)):
        codes = _tile_forward(loaded, area["data"], tile, None)
        b = tile.block
        assert np.array_equal(out[b.row_off:b.row_end, b.col_off:b.col_end],
                              codes[HALO:HALO + b.height, HALO:HALO + b.width])


def test_another_crs_is_encoded_in_lambert93(area, tmp_path):
    """The same pixels in UTM 31N: each tile's record holds its centre in Lambert-93."""
    utm = tmp_path / "utm.tif"
    (x0,), (y0,) = warp_points("EPSG:2154", "EPSG:32631", [ORIGIN[0]], [ORIGIN[1]])
    with rasterio.open(utm, "w", driver="GTiff", width=190, height=150, count=5,
                       dtype="uint8", crs="EPSG:32631",
                       transform=from_origin(x0, y0, PIXEL, PIXEL)) as ds:
        ds.write(area["data"])
    loaded = _double(area["ckpt"])
    predict(utm, loaded, tmp_path / "out.tif", acquisition=ACQ, block=BLOCK, halo=HALO,
            device="cpu")
    grid = TileGrid(190, 150, PixelWindow(0, 0, 190, 150), BLOCK, HALO)
    tile = grid.tile(1, 2)
    cx = x0 + (2 * BLOCK - HALO + (BLOCK + 2 * HALO) / 2) * PIXEL
    cy = y0 - (1 * BLOCK - HALO + (BLOCK + 2 * HALO) / 2) * PIXEL
    (lx,), (ly,) = warp_points("EPSG:32631", "EPSG:2154", [cx], [cy])
    assert math.hypot(lx - cx, ly - cy) > 1e5  # really another CRS
    expected = _tile_forward(loaded, area["data"], tile, _record_encoding(lx, ly))
    with rasterio.open(tmp_path / "out.tif") as ds:
        out = ds.read(1)
    b = tile.block
    assert np.array_equal(out[b.row_off:b.row_end, b.col_off:b.col_end],
                          expected[HALO:HALO + b.height, HALO:HALO + b.width])


@pytest.mark.parametrize("given,missing", [
    ({}, "acquisition date"),
    (dict(ACQ, time=None), "--acquisition-time"),
    (dict(ACQ, camera=""), "CAMERA"),
    (dict(ACQ, altitude=None), "ground altitude"),
])
def test_a_missing_value_is_named_before_any_work(area, tmp_path, given, missing):
    with pytest.raises(InputError, match=missing) as error:
        predict(area["raster"], area["ckpt"], tmp_path / "x.tif", acquisition=given,
                device="cpu")
    assert "--ignore-metadata" in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_a_bad_value_is_a_clear_error(area, tmp_path):
    with pytest.raises(InputError, match="time '25h00' is not HHhMM"):
        predict(area["raster"], area["ckpt"], tmp_path / "x.tif",
                acquisition=dict(ACQ, time="25h00"), device="cpu")


def test_the_command_says_what_is_missing_in_one_line(area, tmp_path, capsys):
    out = tmp_path / "out.tif"
    rc = main(["predict", "--input", str(area["raster"]), "--model", str(area["ckpt"]),
               "--output", str(out), "--acquisition-time", "10h35", "--camera", "UCE",
               "--altitude", "155", "--device", "cpu", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert err.startswith("flair-landcover: error: ") and "--acquisition-date" in err
    assert not out.exists()
    rc = main(["predict", "--input", str(area["raster"]), "--model", str(area["ckpt"]),
               "--output", str(out), "--acquisition-date", "2021-04-21",
               "--acquisition-time", "10h35", "--camera", "UCE-M3", "--altitude", "155",
               "--block", "64", "--halo", "32", "--device", "cpu", "--quiet"])
    assert rc == 0 and out.is_file()


def test_a_model_without_metadata_ignores_the_values_with_a_warning(tmp_path, area):
    from helpers_models import our_checkpoint

    warnings = []
    predict(area["raster"], our_checkpoint(tmp_path / "m.safetensors"), tmp_path / "o.tif",
            acquisition=ACQ, device="cpu", warn=warnings.append)
    assert any("trained without aerial metadata" in w for w in warnings)

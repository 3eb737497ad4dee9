"""FLAIR-HUB models: IGN's checkpoints imported, described, and run through the pipeline.

The reference fixture was made by IGN's own ``FLAIR_HUB_Model`` with smp 0.4.0 (see
``scripts/flair_hub_reference.py``): the importer must reproduce its logits. Random
networks in IGN's key layout cover the backbones (names inferred from keys on torch's
``meta`` device: no memory, no download), Swin tiles, crop types and the pipeline.
"""

import os
from pathlib import Path
from typing import Tuple

import numpy as np
import pytest
import rasterio
import torch
from helpers_hub import COSIA, LPIS, ign_layout, random_hub_model, reference_fixture
from helpers_rasters import write_raster
from safetensors.torch import save_file

import flair_landcover
from flair_landcover.flair_plugin.engine.checkpoints.importers import (
    HubImportOptions,
    meta_for_hub_state,
    to_flair_hub_keys,
)
from flair_landcover.flair_plugin.engine.checkpoints.store import (
    fit_bias_tables,
    load_model,
    read_meta,
    save_checkpoint,
)
from flair_landcover.flair_plugin.engine.errors import CheckpointError, InputError
from flair_landcover.flair_plugin.engine.inference.predict import fixed_tiling, predict
from flair_landcover.flair_plugin.nomenclature import (
    FLAIRHUB_ORDER,
    HUB_AERIAL_MEANS,
    HUB_AERIAL_STDS,
)
from flair_landcover.models.flair_hub import FlairHubModel

TEST_ENCODER = HubImportOptions(encoder="test_convnext")
REPO = Path(__file__).resolve().parents[2]


def test_the_worktree_is_what_is_tested():
    assert Path(flair_landcover.__file__).resolve().parent == REPO


# ---------------------------------------------------------------- IGN's own logits

def test_ign_reference_checkpoint_gives_ign_logits(tmp_path):
    path, x, reference = reference_fixture(tmp_path)
    loaded = load_model(path, hub_options=TEST_ENCODER)
    with torch.no_grad():
        ours = loaded.module.task_logits(x)
    assert set(ours) == set(reference) == {COSIA}
    assert float((ours[COSIA] - reference[COSIA]).abs().max()) <= 1e-5
    meta = loaded.meta
    assert meta.architecture == "flair-hub" and meta.hub.decoder == "upernet"
    assert meta.bands == ("nir", "red", "green") and meta.hub.channels == (4, 1, 2)
    assert meta.means == HUB_AERIAL_MEANS and meta.stds == HUB_AERIAL_STDS
    # FLAIR-HUB's order mapped to FLAIR codes; clear cut, ligneous, mixed, undefined off
    assert meta.logit_codes == FLAIRHUB_ORDER[:15] + (0, 0, 0, 0)
    assert "fusion layers" in meta.source and loaded.source_format == "flair-hub"


def test_unknown_backbone_asks_for_its_name(tmp_path):
    path, _, _ = reference_fixture(tmp_path, name="weights")
    with pytest.raises(CheckpointError, match="--encoder"):
        load_model(path)


def test_lightning_checkpoint_of_its_training_loads_weights_only(tmp_path):
    path, x, reference = reference_fixture(tmp_path)
    from safetensors.torch import load_file

    ckpt = tmp_path / "epoch=7.ckpt"
    torch.save({"state_dict": load_file(str(path)), "epoch": 7}, ckpt)
    loaded = load_model(ckpt, hub_options=TEST_ENCODER)
    with torch.no_grad():
        assert float((loaded.module(x) - reference[COSIA]).abs().max()) <= 1e-5
    assert "Lightning" in loaded.meta.source and "epoch 7" in loaded.meta.source


def test_converted_model_is_self_describing(tmp_path):
    path, x, reference = reference_fixture(tmp_path)
    loaded = load_model(path, hub_options=TEST_ENCODER)
    ours = save_checkpoint(tmp_path / "hub.flair.safetensors", loaded.module, loaded.meta)
    assert read_meta(ours) == loaded.meta  # header alone, no torch
    again = load_model(ours)  # nothing to ask any more
    with torch.no_grad():
        assert float((again.module(x) - reference[COSIA]).abs().max()) <= 1e-5


# ---------------------------------------------------------------- random networks

def _meta_of(model: FlairHubModel, file_name: str, **options):
    """Describe ``model`` from its weights in IGN's layout, on torch's meta device."""
    state, _ = to_flair_hub_keys(ign_layout(model, aux=False, fusion=False))
    return meta_for_hub_state(state, file_name=file_name, source="test",
                              options=HubImportOptions(**options))


@pytest.mark.parametrize("encoder, decoder, name, size", [
    ("convnextv2_tiny", "upernet", "FLAIR-HUB_LC-A_IR_convnextv2tiny-upernet", 0),
    ("convnextv2_base", "upernet", "FLAIR-HUB_LC-A_IR_convnextv2base-upernet", 0),
    ("swin_base_patch4_window12_384", "upernet", "FLAIR-HUB_LC-A_swinbase-upernet", 384),
    ("swin_small_patch4_window7_224", "upernet", "weights", 224),
    ("swin_large_patch4_window12_384", "unet", "x", 512),
])
def test_backbone_decoder_and_swin_tile_are_read_off_the_keys(encoder, decoder, name, size):
    with torch.device("meta"):
        model = FlairHubModel(encoder, decoder, "AERIAL_RGBI", 3, [(COSIA, 19)])
    meta = _meta_of(model, name)
    assert (meta.encoder, meta.hub.decoder, meta.hub.img_size) == (encoder, decoder, size)
    assert meta.tile_size == (size or 512)
    assert (f"Swin tiles of {size} px" in meta.source) == bool(size)


def test_crop_type_task_follows_land_cover_whatever_the_file_order():
    with torch.device("meta"):
        model = FlairHubModel("convnextv2_tiny", "upernet", "AERIAL_RGBI", 3,
                              [(LPIS, 23), (COSIA, 19)])
    meta = _meta_of(model, "FLAIR-HUB_LC-A_IR_convnextv2tiny-upernet")
    assert meta.hub.tasks == (COSIA, LPIS) and meta.hub.task_classes == (19, 23)


def test_rgb_model_needs_its_normalisation_said():
    with torch.device("meta"):
        model = FlairHubModel("convnextv2_tiny", "upernet", "AERIAL_RGBI", 3, [(COSIA, 19)])
    with pytest.raises(CheckpointError, match="--means and --stds"):
        _meta_of(model, "FLAIR-HUB_LC-A_RGB_convnextv2tiny-upernet")
    meta = _meta_of(model, "FLAIR-HUB_LC-A_RGB_convnextv2tiny-upernet",
                    means=(100.0, 101.0, 102.0), stds=(50.0, 51.0, 52.0))
    assert meta.bands == ("red", "green", "blue") and meta.means == (100.0, 101.0, 102.0)


def test_models_this_version_cannot_run_say_so():
    with torch.device("meta"):
        lpis_only = FlairHubModel("convnextv2_tiny", "upernet", "AERIAL_RGBI", 3, [(LPIS, 23)])
        spot = FlairHubModel("convnextv2_tiny", "upernet", "SPOT_RGBI", 3, [(COSIA, 19)])
    with pytest.raises(CheckpointError, match="no land-cover task"):
        _meta_of(lpis_only, "x")
    with pytest.raises(CheckpointError, match="SPOT_RGBI only"):
        _meta_of(spot, "x")
    def state_of(*modalities):
        state = {f"encoders.{m}.seg_model.model.stem_0.weight": torch.zeros(96, 3, 4, 4)
                 for m in modalities}
        state["main_decoders.X.seg_model.segmentation_head.0.weight"] = torch.zeros(19, 64, 1, 1)
        state["main_decoders.X.seg_model.decoder.psp.out_conv.0.weight"] = torch.zeros(1)
        return state

    with pytest.raises(CheckpointError, match="AERIAL_RGBI \\+ SPOT_RGBI"):
        meta_for_hub_state(state_of("AERIAL_RGBI", "SPOT_RGBI"), file_name="x", source="x")
    with pytest.raises(CheckpointError, match="SENTINEL2_TS encoder .* is not a U-TAE"):
        meta_for_hub_state(state_of("AERIAL_RGBI", "SENTINEL2_TS"), file_name="x", source="x")


def test_random_network_round_trips_through_ign_layout_with_lpis_and_extras(tmp_path):
    model = random_hub_model(tasks=((COSIA, 19), (LPIS, 23)))
    path = tmp_path / "FLAIR-HUB_LPIS-A_IR_convnextv2atto-upernet.safetensors"
    save_file(ign_layout(model), str(path))
    loaded = load_model(path)
    assert loaded.meta.encoder == "convnextv2_atto"
    assert "auxiliary decoders" in loaded.meta.source and "loss weights" in loaded.meta.source
    x = torch.randn(1, 3, 64, 96)  # not square: logits keep the tile's shape
    with torch.no_grad():
        want, got = model.task_logits(x), loaded.module.task_logits(x)
    for task in (COSIA, LPIS):
        assert got[task].shape[-2:] == (64, 96)
        assert float((got[task] - want[task]).abs().max()) <= 1e-5


def test_swin_bias_tables_are_resized_bicubically():
    table = torch.arange(13 * 13 * 2, dtype=torch.float32).reshape(169, 2)
    out = fit_bias_tables({"a.relative_position_bias_table": table, "b": table},
                          {"a.relative_position_bias_table": torch.empty(49, 2),
                           "b": torch.empty(169, 2)})
    assert out["a.relative_position_bias_table"].shape == (49, 2)
    assert out["b"] is table
    constant = fit_bias_tables({"t.relative_position_bias_table": torch.full((169, 3), 2.5)},
                               {"t.relative_position_bias_table": torch.empty(25, 3)})
    assert torch.allclose(constant["t.relative_position_bias_table"], torch.tensor(2.5))


def test_swin_run_at_another_tile_size_loads_with_fitted_tables(tmp_path):
    with torch.device("meta"):
        probe = FlairHubModel("swin_tiny_patch4_window7_224", "upernet", "AERIAL_RGBI", 3,
                              [(COSIA, 19)])
    assert probe.encoders["AERIAL_RGBI"].seg_model.img_size is None
    model = random_hub_model("swin_tiny_patch4_window7_224")
    path = tmp_path / "FLAIR-HUB_LC-A_IR_swintiny-upernet.safetensors"
    save_file(ign_layout(model, aux=False), str(path))
    small = load_model(path, hub_options=HubImportOptions(img_size=64))
    assert small.meta.hub.img_size == 64 and small.meta.tile_size == 64
    with torch.no_grad():
        assert small.module(torch.randn(1, 3, 64, 64)).shape == (1, 19, 64, 64)


# ---------------------------------------------------------------- the pipeline

def _rgbi(path: Path, height: int, width: int, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    return write_raster(path, rng.integers(0, 256, (4, height, width), dtype=np.uint8))


def _direct_codes(loaded, raster: Path, task_codes, module=None) -> np.ndarray:
    """The model on the whole raster at once: FLAIR-HUB's bands, normalisation, codes."""
    meta = loaded.meta
    with rasterio.open(raster) as src:
        data = src.read([c for c in meta.hub.channels]).astype(np.float64)
    x = (data - np.array(meta.means)[:, None, None]) / np.array(meta.stds)[:, None, None]
    with torch.no_grad():
        logits = (module or loaded.module)(torch.from_numpy(x[None]).float())[0]
    active = [i for i, c in enumerate(task_codes) if c]
    best = logits[active].argmax(0).numpy()
    return np.array([task_codes[i] for i in active], dtype=np.uint8)[best]


def test_one_tile_prediction_is_the_direct_forward_in_flair_codes(tmp_path):
    path, _, _ = reference_fixture(tmp_path)
    loaded = load_model(path, hub_options=TEST_ENCODER)
    raster = _rgbi(tmp_path / "rgbi.tif", 64, 64)
    told = []
    result = predict(raster, loaded, tmp_path / "lc.tif", block=64, halo=0, device="cpu",
                     precision="fp32", info=told.append)
    with rasterio.open(result.output) as out:
        codes = out.read(1)
    assert np.array_equal(codes, _direct_codes(loaded, raster, loaded.meta.logit_codes))
    assert any("bands 4,1,2" in line for line in told)
    assert (tmp_path / "lc.tif.qml").exists() or (tmp_path / "lc.qml").exists()


def test_crop_types_are_written_and_styled_beside_land_cover(tmp_path):
    model = random_hub_model(tasks=((COSIA, 19), (LPIS, 23)), seed=3)
    path = tmp_path / "FLAIR-HUB_LPIS-A_IR_convnextv2atto-upernet.safetensors"
    save_file(ign_layout(model), str(path))
    loaded = load_model(path)
    raster = _rgbi(tmp_path / "rgbi.tif", 64, 64)
    result = predict(raster, loaded, tmp_path / "lc.tif", crop_types=tmp_path / "crops.tif",
                     block=64, halo=0, device="cpu", precision="fp32")
    from flair_landcover.models.flair_hub import TaskView

    crop_codes = tuple(range(1, 24))
    with rasterio.open(result.crop_types) as out:
        crops = out.read(1)
    assert np.array_equal(crops, _direct_codes(loaded, raster, crop_codes,
                                               TaskView(loaded.module, LPIS)))
    style = next(tmp_path.glob("crops*.qml")).read_text(encoding="utf-8")
    assert "wheat" in style and "#d7e600" in style


def test_crop_types_asked_of_a_land_cover_model_fail_before_work(tmp_path):
    path, _, _ = reference_fixture(tmp_path)
    raster = _rgbi(tmp_path / "rgbi.tif", 64, 64)
    with pytest.raises(InputError, match="no crop types"):
        predict(raster, load_model(path, hub_options=TEST_ENCODER), tmp_path / "lc.tif",
                crop_types=tmp_path / "crops.tif", device="cpu")
    assert not (tmp_path / "lc.tif").exists()


def test_swin_gets_tiles_of_its_size_whatever_the_area(tmp_path):
    model = random_hub_model("swin_tiny_patch4_window7_224")
    path = tmp_path / "FLAIR-HUB_LC-A_IR_swintiny-upernet.safetensors"
    save_file(ign_layout(model, aux=False), str(path))
    loaded = load_model(path)
    raster = _rgbi(tmp_path / "rgbi.tif", 100, 90)  # smaller than one tile
    told = []
    result = predict(raster, loaded, tmp_path / "lc.tif", device="cpu", precision="fp32",
                     info=told.append)
    assert (result.block, result.halo) == (160, 32)
    assert any("exactly 224 px" in line for line in told)
    with rasterio.open(result.output) as out:
        assert (out.width, out.height) == (90, 100)
        assert set(np.unique(out.read(1))) <= set(loaded.meta.active_codes)
    with pytest.raises(InputError, match="exactly 224 px"):
        predict(raster, loaded, tmp_path / "other.tif", block=128, halo=32, device="cpu")


def test_fixed_tiling_splits_or_checks():
    assert fixed_tiling(224, None, None) == (160, 32)
    assert fixed_tiling(384, None, None) == (256, 64)
    assert fixed_tiling(384, 320, None) == (320, 32)
    with pytest.raises(InputError):
        fixed_tiling(224, 224, 32)


# ---------------------------------------------------------------- the command

def test_cli_import_then_predict_with_crop_types_in_a_subprocess(tmp_path):
    from helpers_processes import package_env, run

    assert Path(package_env()["PYTHONPATH"].split(":")[0], "flair_landcover").resolve() == REPO
    model = random_hub_model(tasks=((COSIA, 19), (LPIS, 23)), seed=4)
    ign = tmp_path / "FLAIR-HUB_LPIS-A_IR_convnextv2atto-upernet.ckpt"
    torch.save({"state_dict": ign_layout(model), "epoch": 2}, ign)
    ours = tmp_path / "hub.flair.safetensors"
    done = run("import", "--model", ign, "--output", ours)
    assert done.returncode == 0, done.stderr
    assert "convnextv2_atto" in done.stdout and LPIS in done.stdout
    assert read_meta(ours).hub.tasks == (COSIA, LPIS)
    raster = _rgbi(tmp_path / "rgbi.tif", 70, 90)
    done = run("predict", "--input", raster, "--model", ours, "--output", tmp_path / "lc.tif",
               "--crop-types", tmp_path / "crops.tif", "--device", "cpu", "--block", "64",
               "--halo", "32", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "crops.tif" in done.stdout and "bands 4,1,2" in done.stdout + done.stderr
    for name, allowed in (("lc.tif", set(FLAIRHUB_ORDER[:15])), ("crops.tif", set(range(1, 24)))):
        with rasterio.open(tmp_path / name) as out:
            assert (out.width, out.height) == (90, 70)
            assert set(np.unique(out.read(1))) <= allowed


def test_cli_import_of_an_rgb_model_without_normalisation_is_one_line(tmp_path, capsys):
    from flair_landcover.flair_plugin.engine.cli.main import main

    model = random_hub_model(seed=5)
    path = tmp_path / "FLAIR-HUB_LC-A_RGB_convnextv2atto-upernet.safetensors"
    save_file(ign_layout(model, aux=False), str(path))
    assert main(["import", "--model", str(path), "--output",
                 str(tmp_path / "x.flair.safetensors")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--means and --stds" in err[0]
    assert main(["import", "--model", str(path), "--output", str(tmp_path / "x.flair.safetensors"),
                 "--means", "100,101,102", "--stds", "50,51,52"]) == 0
    assert read_meta(tmp_path / "x.flair.safetensors").bands == ("red", "green", "blue")


def test_download_knows_flair_hub_names(tmp_path, monkeypatch):
    from flair_landcover.flair_plugin.engine.cli.main import build_parser
    from flair_landcover.flair_plugin.engine.io.download import (
        FLAIR_HUB_MODELS,
        download_flair_hub,
        flair_hub_url,
    )

    name = "FLAIR-HUB_LC-A_IR_convnextv2base-upernet"
    assert FLAIR_HUB_MODELS[name].miou == 63.8
    args = build_parser().parse_args(["download", "--variant", name])
    assert args.variant == name
    cached = tmp_path / f"{name}.safetensors"
    cached.write_bytes(b"x")
    assert download_flair_hub(name, cache_dir=tmp_path) == cached  # no network touched
    assert flair_hub_url(name).endswith(f"IGNF/{name}/resolve/main/{name}.safetensors")
    with pytest.raises(CheckpointError, match="unknown FLAIR-HUB model"):
        download_flair_hub("FLAIR-HUB_nope", cache_dir=tmp_path)


# ---------------------------------------------------------------- multimodal networks

def _s2_inputs(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return dict(sentinel2=torch.randn(2, 4, 10, 6, 6, generator=g),
                sentinel2_dates=torch.tensor([[-90.0, 0, 30, 120], [-10.0, 5, 60, 200]]))


def _hub_s2_model(seed: int = 6, s1: bool = False) -> FlairHubModel:
    """FLAIR-HUB's aerial + Sentinel-2 (+ Sentinel-1) network as its code sizes it for a
    ConvNeXt V2 (U-TAE widths 64, 64, 128, 128; out_conv 32, 19, 42 with both tasks)."""
    utae = dict(input_dim=10, encoder_widths=[64, 64, 128, 128],
                decoder_widths=[64, 64, 128, 128], out_conv=[32, 19, 42], str_conv_k=3,
                str_conv_s=1, str_conv_p=1, agg_mode="att_group", encoder_norm="group",
                n_head=16, d_model=256, d_k=4, pad_value=0.0, padding_mode="reflect")
    series = [("SENTINEL2_TS", utae)]
    if s1:
        series += [(m, {**utae, "input_dim": 2}) for m in ("SENTINEL1-ASC_TS",
                                                          "SENTINEL1-DESC_TS")]
    torch.manual_seed(seed)
    model = FlairHubModel("convnextv2_atto", "upernet", "AERIAL_RGBI", 3,
                          [(COSIA, 19), (LPIS, 23)], series=series)
    return model.eval()


def test_aerial_and_sentinel2_network_round_trips_and_describes_itself(tmp_path):
    model = _hub_s2_model()
    path = tmp_path / "FLAIR-HUB_LC-D_convnextv2atto-upernet.safetensors"
    save_file(ign_layout(model, aux=False), str(path))
    loaded = load_model(path)
    series = loaded.meta.hub.series[0]
    assert series["modality"] == "SENTINEL2_TS" and series["out_conv"] == [32, 19, 42]
    assert series["encoder_widths"] == [64, 64, 128, 128] and series["str_conv_s"] == 1
    assert "U-TAE SENTINEL2_TS" in loaded.meta.source
    x, s2 = torch.randn(2, 3, 64, 64), _s2_inputs()
    with torch.no_grad():
        want, got = model.task_logits(x, **s2), loaded.module.task_logits(x, **s2)
    for task in (COSIA, LPIS):
        assert float((got[task] - want[task]).abs().max()) <= 1e-5
    # the series matters: other dates, other logits
    with torch.no_grad():
        moved = loaded.module(x, sentinel2=s2["sentinel2"],
                              sentinel2_dates=s2["sentinel2_dates"] + 100)
    assert float((moved - got[COSIA]).abs().max()) > 1e-4
    ours = save_checkpoint(tmp_path / "lcd.flair.safetensors", loaded.module, loaded.meta)
    assert read_meta(ours).hub.series == loaded.meta.hub.series


def test_missing_series_is_named_before_work(tmp_path):
    model = _hub_s2_model()
    with pytest.raises(ValueError, match="SENTINEL2_TS series"):
        model(torch.randn(1, 3, 64, 64))
    path = tmp_path / "FLAIR-HUB_LC-D_convnextv2atto-upernet.safetensors"
    save_file(ign_layout(model, aux=False), str(path))
    raster = _rgbi(tmp_path / "rgbi.tif", 64, 64)
    with pytest.raises(InputError, match="also takes a SENTINEL2_TS series"):
        predict(raster, path, tmp_path / "lc.tif", device="cpu")
    assert not (tmp_path / "lc.tif").exists()


# ---------------------------------------------------------------- against IGN's code, live

IGN_SRC, SMP040 = (os.environ.get("FLAIR_HUB_SRC"), os.environ.get("FLAIR_HUB_SMP040"))


@pytest.mark.skipif(not (IGN_SRC and SMP040), reason="set FLAIR_HUB_SRC (IGNF/FLAIR-HUB's "
                    "src) and FLAIR_HUB_SMP040 (unpacked smp 0.4.0) to compare with IGN's "
                    "own code")
@pytest.mark.parametrize("arch, size, extra, img_size", [
    ("convnextv2_tiny-upernet", 64, [], None),
    ("convnextv2_atto-unet", 64, ["--lpis"], None),
    ("swin_tiny_patch4_window7_224-upernet", 224, ["--lpis", "--aux"], None),
    ("swin_tiny_patch4_window7_224-unet", 128, [], 128),
    ("convnextv2_atto-upernet", 64, ["--lpis", "--series", "6"], None),
    ("convnextv2_atto-upernet", 64, ["--series", "6", "--s1"], None),
])
def test_logits_equal_flair_hub_models_built_by_ign_code(tmp_path, arch, size, extra, img_size):
    import subprocess
    import sys

    from safetensors.torch import load_file

    name = f"FLAIR-HUB_test_{arch}"
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "flair_hub_reference.py"),
                           "--flair-hub-src", IGN_SRC, "--smp-path", SMP040, "--arch", arch,
                           "--size", str(size), "--name", name, "--out", str(tmp_path), *extra],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = load_model(tmp_path / f"{name}.safetensors",
                        hub_options=HubImportOptions(img_size=img_size))
    ref = load_file(str(tmp_path / f"{name}.reference.safetensors"))
    series = {k: v for k, v in ref.items() if k.startswith("sentinel")}
    with torch.no_grad():
        ours = loaded.module.task_logits(ref["x"], **series)
    tasks = [k[len("logits."):] for k in ref if k.startswith("logits.")]
    assert sorted(ours) == sorted(tasks)
    for task in tasks:
        assert float((ours[task] - ref[f"logits.{task}"]).abs().max()) <= 1e-5


# ---------------------------------------------------------------- aerial + Sentinel-2 areas

S2_DATES = ("20210301", "20210515", "20210704", "20210920", "20211102")


def _s2_stack(folder: Path, width: int, height: int, seed: int = 2, origin=None,
              crs: str = "EPSG:2154") -> Tuple[Path, Path]:
    """A FLAIR-HUB-style Sentinel-2 stack (dates × 10 bands, 10 m) and its dates file."""
    from helpers_rasters import ORIGIN

    rng = np.random.default_rng(seed)
    data = rng.integers(1, 3000, (len(S2_DATES) * 10, height, width)).astype(np.uint16)
    stack = write_raster(folder / "s2.tif", data, pixel=10.0, origin=origin or ORIGIN,
                         crs=crs)
    dates = folder / "dates.txt"
    dates.write_text("\n".join(S2_DATES) + "\n", encoding="utf-8")
    return stack, dates


def _s2_model_file(folder: Path) -> Path:
    path = folder / "FLAIR-HUB_LC-D_convnextv2atto-upernet.safetensors"
    save_file(ign_layout(_hub_s2_model(), aux=False), str(path))
    return path


def test_one_tile_with_sentinel2_is_the_direct_forward(tmp_path):
    import datetime as dt

    from rasterio.enums import Resampling
    from rasterio.windows import from_bounds

    loaded = load_model(_s2_model_file(tmp_path))
    raster = _rgbi(tmp_path / "rgbi.tif", 128, 128)
    stack, dates = _s2_stack(tmp_path, 3, 3)
    result = predict(raster, loaded, tmp_path / "lc.tif", sentinel=[stack], dates=dates,
                     block=128, halo=0, device="cpu", precision="fp32")
    # FLAIR-HUB's read: the tile's bounds from every band, 128 px × 0.2 m / 10 m -> 3 px
    with rasterio.open(raster) as img, rasterio.open(stack) as s2:
        bounds = img.bounds
        series = s2.read(window=from_bounds(*bounds, transform=s2.transform),
                         out_shape=(50, 3, 3), resampling=Resampling.bilinear,
                         boundless=True, fill_value=0).astype(np.float32)
    days = [(dt.datetime.strptime(d, "%Y%m%d") - dt.datetime(2021, 5, 15)).days
            for d in S2_DATES]
    inputs = dict(sentinel2=torch.from_numpy(series.reshape(1, 5, 10, 3, 3)),
                  sentinel2_dates=torch.tensor([days], dtype=torch.float32))

    class WithSeries(torch.nn.Module):
        def forward(self, x):
            return loaded.module(x, **inputs)

    want = _direct_codes(loaded, raster, loaded.meta.logit_codes, WithSeries())
    with rasterio.open(result.output) as out:
        assert np.array_equal(out.read(1), want)


def test_sentinel2_area_with_crop_types_through_the_command(tmp_path):
    from helpers_processes import run

    model = _s2_model_file(tmp_path)
    raster = _rgbi(tmp_path / "rgbi.tif", 150, 170)  # 34 × 30 m
    stack, dates = _s2_stack(tmp_path, 4, 4)
    done = run("predict", "--input", raster, "--model", model, "--sentinel", stack,
               "--dates", dates, "--output", tmp_path / "lc.tif", "--crop-types",
               tmp_path / "crops.tif", "--block", "64", "--halo", "32", "--device", "cpu",
               "--quiet")
    assert done.returncode == 0, done.stderr
    for name, allowed in (("lc.tif", set(FLAIRHUB_ORDER[:15])), ("crops.tif", set(range(1, 24)))):
        with rasterio.open(tmp_path / name) as out, rasterio.open(raster) as src:
            assert (out.width, out.height, out.transform) == (170, 150, src.transform)
            assert set(np.unique(out.read(1))) <= allowed


def test_missing_or_misgridded_sentinel2_fails_before_work(tmp_path):
    model = _s2_model_file(tmp_path)
    raster = _rgbi(tmp_path / "rgbi.tif", 64, 64)
    far, dates = _s2_stack(tmp_path, 3, 3, origin=(700000.0, 6900000.0))
    with pytest.raises(InputError, match="does not cover"):
        predict(raster, model, tmp_path / "a.tif", sentinel=[far], dates=dates, device="cpu")
    (tmp_path / "s2.tif").unlink()
    wgs, dates = _s2_stack(tmp_path, 3, 3, origin=(2.35, 48.85), crs="EPSG:4326")
    with pytest.raises(InputError, match="put it on the aerial CRS"):
        predict(raster, model, tmp_path / "b.tif", sentinel=[wgs], dates=dates, device="cpu")
    with pytest.raises(InputError, match="dates file"):
        predict(raster, model, tmp_path / "c.tif", sentinel=[wgs], device="cpu")
    (tmp_path / "s2.tif").unlink()
    near, dates = _s2_stack(tmp_path, 3, 3)
    with pytest.raises(InputError, match="at least 2 a side"):
        predict(raster, model, tmp_path / "d.tif", sentinel=[near], dates=dates, block=32,
                halo=0, device="cpu")
    assert not any(tmp_path.glob("[abcd].tif"))


def _s1_stack(folder: Path, name: str, dates: Tuple[str, ...], width: int, height: int,
              seed: int) -> Tuple[Path, Path]:
    from helpers_rasters import ORIGIN

    rng = np.random.default_rng(seed)
    data = rng.normal(-12, 3, (len(dates) * 2, height, width)).astype(np.float32)
    stack = write_raster(folder / f"{name}.tif", data, pixel=10.0, origin=ORIGIN)
    dates_file = folder / f"{name}_dates.txt"
    dates_file.write_text("\n".join(dates) + "\n", encoding="utf-8")
    return stack, dates_file


def test_sentinel2_and_sentinel1_area_through_the_command(tmp_path):
    from helpers_processes import run

    model = tmp_path / "FLAIR-HUB_LC-F_convnextv2atto-upernet.safetensors"
    save_file(ign_layout(_hub_s2_model(s1=True), aux=False), str(model))
    assert read_meta(model).hub.series_modalities == (
        "SENTINEL2_TS", "SENTINEL1-ASC_TS", "SENTINEL1-DESC_TS")
    raster = _rgbi(tmp_path / "rgbi.tif", 130, 140)
    s2, s2_dates = _s2_stack(tmp_path, 4, 4)
    asc, asc_dates = _s1_stack(tmp_path, "s1_asc", ("20210410", "20210722"), 4, 4, 3)
    desc, desc_dates = _s1_stack(tmp_path, "s1_desc", ("20210301", "20210601", "20210901"),
                                 4, 4, 4)
    common = ["predict", "--input", raster, "--model", model, "--sentinel", s2, "--dates",
              s2_dates, "--block", "64", "--halo", "32", "--device", "cpu", "--quiet"]
    done = run(*common, "--output", tmp_path / "a.tif")
    assert done.returncode == 2 and "--sentinel1-asc" in done.stderr
    assert not (tmp_path / "a.tif").exists()
    done = run(*common, "--output", tmp_path / "lc.tif", "--sentinel1-asc", asc,
               "--sentinel1-asc-dates", asc_dates, "--sentinel1-desc", desc,
               "--sentinel1-desc-dates", desc_dates)
    assert done.returncode == 0, done.stderr
    with rasterio.open(tmp_path / "lc.tif") as out:
        assert (out.width, out.height) == (140, 130)
        assert set(np.unique(out.read(1))) <= set(FLAIRHUB_ORDER[:15])

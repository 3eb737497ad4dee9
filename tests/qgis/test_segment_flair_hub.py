"""A FLAIR-HUB aerial checkpoint, as IGN publishes it, through ``flair:segmentaerial``:
``processing.run`` and ``qgis_process``, land cover and crop types, styled, on the grid."""

from pathlib import Path

import numpy as np
import processing
import pytest
import rasterio
from helpers_hub import COSIA, LPIS, ign_layout, random_hub_model
from helpers_qgis import linked_plugin_env, run_qgis_process
from qgis.core import QgsProcessingFeedback
from safetensors.torch import save_file

import flair_landcover
from flair_landcover.flair_plugin.nomenclature import FLAIRHUB_ORDER
from flair_landcover.synthetic.generator import write_mosaic

SIZE = (200, 136)  # width, height
ACTIVE = set(FLAIRHUB_ORDER[:15])


@pytest.fixture(scope="module")
def area(tmp_path_factory):
    folder = tmp_path_factory.mktemp("area")
    image = folder / "area.tif"
    write_mosaic(image, folder / "area_MSK.tif", *SIZE, seed=5)  # R,G,B,NIR,elevation
    return image


@pytest.fixture(scope="module")
def hub_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    path = folder / "FLAIR-HUB_LC-A_IR_convnextv2atto-upernet.safetensors"
    save_file(ign_layout(random_hub_model(tasks=((COSIA, 19), (LPIS, 23)), seed=2)), str(path))
    return path


def _on_the_grid(out: Path, area: Path) -> np.ndarray:
    with rasterio.open(out) as dst, rasterio.open(area) as src:
        assert (dst.width, dst.height) == (src.width, src.height) == SIZE
        assert dst.transform == src.transform and dst.crs == src.crs
        return dst.read(1)


def test_the_plugin_under_test_is_the_worktree():
    assert Path(flair_landcover.__file__).resolve().parent == Path(__file__).resolve().parents[2]


def test_processing_run_writes_land_cover_and_crop_types_styled(flair_plugin, area, hub_model,
                                                                tmp_path):
    out, crops = tmp_path / "lc.tif", tmp_path / "crops.tif"
    feedback = QgsProcessingFeedback()
    result = processing.run("flair:segmentaerial", {
        "INPUT": str(area), "MODEL": str(hub_model), "OUTPUT": str(out),
        "OUTPUT_CROP_TYPES": str(crops), "BLOCK": 64, "HALO": 32, "DEVICE": "cpu"},
        feedback=feedback)
    assert result["OUTPUT"] == str(out) and result["OUTPUT_CROP_TYPES"] == str(crops)
    assert set(np.unique(_on_the_grid(out, area))) <= ACTIVE
    assert set(np.unique(_on_the_grid(crops, area))) <= set(range(1, 24))
    assert "building" in out.with_suffix(".qml").read_text(encoding="utf-8")
    assert "wheat" in crops.with_suffix(".qml").read_text(encoding="utf-8")


def test_qgis_process_runs_a_flair_hub_checkpoint(area, hub_model, tmp_path):
    env = linked_plugin_env(tmp_path)
    linked = tmp_path / "plugins" / "flair_landcover"
    assert linked.resolve() == Path(flair_landcover.__file__).resolve().parent
    out = tmp_path / "cli.tif"
    done = run_qgis_process(["run", "flair:segmentaerial", "--", f"INPUT={area}",
                             f"MODEL={hub_model}", f"OUTPUT={out}", "BLOCK=64", "HALO=32",
                             "DEVICE=cpu"], env)
    assert "nir <- area.tif band 4" in done.stdout  # FLAIR-HUB reads NIR, R, G
    assert set(np.unique(_on_the_grid(out, area))) <= ACTIVE
    assert out.with_suffix(".qml").exists()


@pytest.fixture(scope="module")
def sentinel2(tmp_path_factory):
    """A FLAIR-HUB-style Sentinel-2 stack over the area (5 dates × 10 bands, 10 m)."""
    from helpers_rasters import ORIGIN, write_raster

    folder = tmp_path_factory.mktemp("s2")
    rng = np.random.default_rng(7)
    stack = write_raster(folder / "s2.tif",
                         rng.integers(1, 3000, (50, 4, 5)).astype(np.uint16), pixel=10.0,
                         origin=ORIGIN)
    dates = folder / "dates.txt"
    dates.write_text("20210301\n20210515\n20210704\n20210920\n20211102\n", encoding="utf-8")
    return stack, dates


@pytest.fixture(scope="module")
def hub_s2_model(tmp_path_factory):
    import torch

    from flair_landcover.models.flair_hub import FlairHubModel

    utae = dict(input_dim=10, encoder_widths=[64, 64, 128, 128],
                decoder_widths=[64, 64, 128, 128], out_conv=[32, 19, 42], str_conv_k=3,
                str_conv_s=1, str_conv_p=1, agg_mode="att_group", encoder_norm="group",
                n_head=16, d_model=256, d_k=4, pad_value=0.0, padding_mode="reflect")
    torch.manual_seed(8)
    model = FlairHubModel("convnextv2_atto", "upernet", "AERIAL_RGBI", 3,
                          [(COSIA, 19), (LPIS, 23)], series=[("SENTINEL2_TS", utae)]).eval()
    path = tmp_path_factory.mktemp("models") / "FLAIR-HUB_LC-D_convnextv2atto-upernet.safetensors"
    save_file(ign_layout(model, aux=False), str(path))
    return path


def test_multimodal_algorithm_runs_aerial_and_sentinel2_flair_hub_model(
        flair_plugin, area, sentinel2, hub_s2_model, tmp_path):
    out, crops = tmp_path / "lc.tif", tmp_path / "crops.tif"
    stack, dates = sentinel2
    processing.run("flair:segmentmultimodal", {
        "INPUT": str(area), "SENTINEL2": [str(stack)], "DATES": str(dates),
        "MODEL": str(hub_s2_model), "OUTPUT": str(out), "OUTPUT_CROP_TYPES": str(crops),
        "BLOCK": 64, "HALO": 32, "DEVICE": "cpu"}, feedback=QgsProcessingFeedback())
    assert set(np.unique(_on_the_grid(out, area))) <= ACTIVE
    assert set(np.unique(_on_the_grid(crops, area))) <= set(range(1, 24))
    assert "wheat" in crops.with_suffix(".qml").read_text(encoding="utf-8")


def test_multimodal_algorithm_without_dates_says_so_before_work(flair_plugin, area, sentinel2,
                                                                hub_s2_model, tmp_path):
    from qgis.core import QgsProcessingException

    out = tmp_path / "lc.tif"
    with pytest.raises(QgsProcessingException, match="dates file"):
        processing.run("flair:segmentmultimodal", {
            "INPUT": str(area), "SENTINEL2": [str(sentinel2[0])], "MODEL": str(hub_s2_model),
            "OUTPUT": str(out), "BLOCK": 64, "HALO": 32, "DEVICE": "cpu"},
            feedback=QgsProcessingFeedback())
    assert not out.exists()


def test_qgis_process_runs_a_multimodal_flair_hub_checkpoint(area, sentinel2, hub_s2_model,
                                                             tmp_path):
    env = linked_plugin_env(tmp_path)
    out = tmp_path / "mm.tif"
    stack, dates = sentinel2
    run_qgis_process(["run", "flair:segmentmultimodal", "--", f"INPUT={area}",
                      f"SENTINEL2={stack}", f"DATES={dates}", f"MODEL={hub_s2_model}",
                      f"OUTPUT={out}", "BLOCK=64", "HALO=32", "DEVICE=cpu"], env)
    assert set(np.unique(_on_the_grid(out, area))) <= ACTIVE
    assert out.with_suffix(".qml").exists()


def test_train_fine_tunes_a_flair_hub_checkpoint_then_segments(flair_plugin, hub_model, area,
                                                               tmp_path):
    from flair_landcover.flair_plugin.engine.checkpoints.store import read_meta
    from flair_landcover.synthetic.generator import write_dataset

    root = tmp_path / "flair"
    write_dataset(root, layout="github", domains={"train": ["D006_2020"], "val": ["D004_2021"]},
                  zones_per_domain=1, patches_per_zone=4, size=64, seed=1, sentinel=False)
    out = tmp_path / "run"
    result = processing.run("flair:train", {
        "DATASET": str(root), "TRAIN_DOMAINS": "D006", "VAL_DOMAINS": "D004",
        "SCHEME": "flairhub", "BANDS": "nirrg", "INIT": str(hub_model), "EPOCHS": 1,
        "BATCH": 4, "OPTIMIZER": "adamw", "LR": 0.001, "DEVICE": "cpu",
        "OUTPUT_DIR": str(out)}, feedback=QgsProcessingFeedback())
    model = next(v for v in result.values() if str(v).endswith(".safetensors"))
    meta = read_meta(model)
    assert meta.architecture == "flair-hub" and meta.bands == ("nir", "red", "green")
    lc = tmp_path / "lc.tif"
    processing.run("flair:segmentaerial", {"INPUT": str(area), "MODEL": str(model),
                                           "OUTPUT": str(lc), "BLOCK": 64, "HALO": 32,
                                           "DEVICE": "cpu"}, feedback=QgsProcessingFeedback())
    assert set(np.unique(_on_the_grid(lc, area))) <= ACTIVE


def test_multimodal_algorithm_takes_sentinel1_for_models_that_need_it(flair_plugin, area,
                                                                      sentinel2, tmp_path):
    import torch
    from helpers_rasters import ORIGIN, write_raster
    from qgis.core import QgsProcessingException

    from flair_landcover.models.flair_hub import FlairHubModel

    utae = dict(input_dim=10, encoder_widths=[64, 64, 128, 128],
                decoder_widths=[64, 64, 128, 128], out_conv=[32, 19], str_conv_k=3,
                str_conv_s=1, str_conv_p=1, agg_mode="att_group", encoder_norm="group",
                n_head=16, d_model=256, d_k=4, pad_value=0.0, padding_mode="reflect")
    torch.manual_seed(3)
    model = FlairHubModel("convnextv2_atto", "upernet", "AERIAL_RGBI", 3, [(COSIA, 19)],
                          series=[("SENTINEL2_TS", utae),
                                  ("SENTINEL1-ASC_TS", {**utae, "input_dim": 2}),
                                  ("SENTINEL1-DESC_TS", {**utae, "input_dim": 2})]).eval()
    path = tmp_path / "FLAIR-HUB_LC-F_convnextv2atto-upernet.safetensors"
    save_file(ign_layout(model, aux=False), str(path))
    rng = np.random.default_rng(4)
    s1 = {}
    for orbit, dates in (("ASC", ["20210410", "20210722"]), ("DESC", ["20210601"])):
        stack = write_raster(tmp_path / f"s1_{orbit}.tif",
                             rng.normal(-12, 3, (2 * len(dates), 4, 5)).astype(np.float32),
                             pixel=10.0, origin=ORIGIN)
        dates_file = tmp_path / f"s1_{orbit}.txt"
        dates_file.write_text("\n".join(dates) + "\n", encoding="utf-8")
        s1[f"SENTINEL1_{orbit}"], s1[f"SENTINEL1_{orbit}_DATES"] = [str(stack)], str(dates_file)
    stack, dates = sentinel2
    params = {"INPUT": str(area), "SENTINEL2": [str(stack)], "DATES": str(dates),
              "MODEL": str(path), "BLOCK": 64, "HALO": 32, "DEVICE": "cpu"}
    with pytest.raises(QgsProcessingException, match="Sentinel-1 ascending"):
        processing.run("flair:segmentmultimodal", {**params, "OUTPUT": str(tmp_path / "a.tif")},
                       feedback=QgsProcessingFeedback())
    out = tmp_path / "lc.tif"
    processing.run("flair:segmentmultimodal", {**params, **s1, "OUTPUT": str(out)},
                   feedback=QgsProcessingFeedback())
    assert set(np.unique(_on_the_grid(out, area))) <= ACTIVE


def test_multimodal_dialog_defaults_run_a_swin_flair_hub_model(flair_plugin, area, sentinel2,
                                                               tmp_path):
    import torch

    from flair_landcover.models.flair_hub import FlairHubModel

    utae = dict(input_dim=10, encoder_widths=[64, 64, 128, 128],
                decoder_widths=[64, 64, 128, 128], out_conv=[32, 19], str_conv_k=3,
                str_conv_s=1, str_conv_p=1, agg_mode="att_group", encoder_norm="group",
                n_head=16, d_model=256, d_k=4, pad_value=0.0, padding_mode="reflect")
    torch.manual_seed(5)
    model = FlairHubModel("swin_tiny_patch4_window7_224", "upernet", "AERIAL_RGBI", 3,
                          [(COSIA, 19)], series=[("SENTINEL2_TS", utae)]).eval()
    path = tmp_path / "FLAIR-HUB_LC-D_swintiny-upernet.safetensors"
    save_file(ign_layout(model, aux=False), str(path))
    stack, dates = sentinel2
    out = tmp_path / "lc.tif"
    feedback = QgsProcessingFeedback()
    processing.run("flair:segmentmultimodal", {
        "INPUT": str(area), "SENTINEL2": [str(stack)], "DATES": str(dates), "MODEL": str(path),
        "OUTPUT": str(out), "DEVICE": "cpu"}, feedback=feedback)  # block/halo: the defaults
    assert set(np.unique(_on_the_grid(out, area))) <= ACTIVE

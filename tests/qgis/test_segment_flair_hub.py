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

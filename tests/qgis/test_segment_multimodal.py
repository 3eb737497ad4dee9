"""``flair:segmentmultimodal`` through processing.run in a real headless QGIS.

The scene (aerial raster, Sentinel-2 files, tiny U-T&T) is the engine tests' own, loaded
from tests/unit/test_multimodal.py so both levels test the same data.
"""

import importlib.util
from pathlib import Path

import numpy as np
import processing
import pytest
import rasterio
from qgis.core import (
    QgsApplication,
    QgsPalettedRasterRenderer,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterDefinition,
    QgsRasterLayer,
)

from flair_landcover.flair_plugin.engine import options

_spec = importlib.util.spec_from_file_location(
    "_multimodal_scene", Path(__file__).resolve().parents[1] / "unit" / "test_multimodal.py")
_scene_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_scene_module)
DATES = _scene_module.DATES
scene = _scene_module.scene  # the module-scoped fixture


def run(**params):
    params.setdefault("OUTPUT", "TEMPORARY_OUTPUT")
    params.setdefault("DEVICE", "cpu")
    return processing.run("flair:segmentmultimodal", params, feedback=QgsProcessingFeedback())


def test_runs_and_loads_with_the_flair_palette(flair_plugin, scene, tmp_path):
    root = scene["root"]
    out = tmp_path / "landcover.tif"
    result = run(INPUT=str(root / "aerial.tif"), MODEL=str(scene["ckpt"]),
                 SENTINEL2=[str(root / "s2_stack.tif")], DATES=str(root / "dates.txt"),
                 CLOUD_MASKS=[str(root / "s2_masks.tif")], OUTPUT=str(out))
    assert result["OUTPUT"] == str(out)
    with rasterio.open(out) as ds, rasterio.open(root / "aerial.tif") as src:
        assert (ds.shape, ds.transform, ds.crs) == (src.shape, src.transform, src.crs)
        assert set(np.unique(ds.read(1))) <= set(range(1, 13))
    layer = QgsRasterLayer(str(out), "landcover")
    assert isinstance(layer.renderer(), QgsPalettedRasterRenderer)
    assert {c.value for c in layer.renderer().classes()} == set(range(1, 13))


def test_per_date_layers_match_the_stack(flair_plugin, scene, tmp_path):
    root = scene["root"]
    stacked, per_date = tmp_path / "a.tif", tmp_path / "b.tif"
    common = dict(INPUT=str(root / "aerial.tif"), MODEL=str(scene["ckpt"]))
    run(SENTINEL2=[str(root / "s2_stack.tif")], DATES=str(root / "dates.txt"),
        CLOUD_MASKS=[str(root / "s2_masks.tif")], OUTPUT=str(stacked), **common)
    run(SENTINEL2=[str(root / f"S2_{d}.tif") for d in DATES],
        CLOUD_MASKS=[str(root / f"MASK_{d}.tif") for d in DATES], OUTPUT=str(per_date),
        **common)
    with rasterio.open(stacked) as a, rasterio.open(per_date) as b:
        assert np.array_equal(a.read(), b.read())


def test_a_bad_dates_file_is_a_clear_error(flair_plugin, scene, tmp_path):
    root = scene["root"]
    (tmp_path / "dates.txt").write_text("20210101\n")
    with pytest.raises(QgsProcessingException, match="gives 1 dates but the stack"):
        run(INPUT=str(root / "aerial.tif"), MODEL=str(scene["ckpt"]),
            SENTINEL2=[str(root / "s2_stack.tif")], DATES=str(tmp_path / "dates.txt"),
            CLOUD_MASKS=[str(root / "s2_masks.tif")], OUTPUT=str(tmp_path / "x.tif"))
    assert not (tmp_path / "x.tif").exists()


def test_the_utt_gets_every_aerial_option_with_flair2_tiling(flair_plugin):
    registry = QgsApplication.processingRegistry()
    multimodal = registry.algorithmById("flair:segmentmultimodal")
    aerial = registry.algorithmById("flair:segmentaerial")
    names = {p.name() for p in multimodal.parameterDefinitions()}
    # FLAIR-1's aerial metadata is the U-Net's alone: a U-T&T with FLAIR-2's metadata
    # cannot run on an arbitrary area, so the U-T&T dialog does not offer it.
    metadata = {"ACQUISITION_DATE", "ACQUISITION_TIME", "CAMERA", "ALTITUDE",
                "IGNORE_METADATA"}
    assert {p.name() for p in aerial.parameterDefinitions()} - metadata < names
    assert not metadata & names
    assert {"BLEND", "HALO", "READERS", "OUTPUT_PROBABILITIES", "OUTPUT_CONFIDENCE"} <= names
    assert multimodal.parameterDefinition("HALO").defaultValue() == options.UTT_DEFAULT_HALO
    assert multimodal.parameterDefinition("BLOCK").defaultValue() == options.UTT_DEFAULT_BLOCK
    # The U-Net's tiling is the device's (options.default_tiling) unless given.
    assert aerial.parameterDefinition("HALO").defaultValue() is None
    optional = QgsProcessingParameterDefinition.FlagOptional
    assert aerial.parameterDefinition("HALO").flags() & optional
    assert multimodal.parameterDefinition("BLEND").options() == list(options.BLEND_MODES)


def test_blend_probabilities_and_confidence_as_the_engine_writes_them(flair_plugin, scene,
                                                                     tmp_path):
    """Every option reaches the engine: the algorithm's three rasters equal the engine's
    own ``predict`` with the same settings."""
    from flair_landcover.flair_plugin.engine.inference.predict import predict

    root = scene["root"]
    series = dict(SENTINEL2=[str(root / "s2_stack.tif")], DATES=str(root / "dates.txt"),
                  CLOUD_MASKS=[str(root / "s2_masks.tif")])
    ours = {k: tmp_path / f"{k}.tif" for k in ("codes", "probs", "conf")}
    result = run(INPUT=str(root / "aerial.tif"), MODEL=str(scene["ckpt"]), BLEND="hann",
                 HALO=32, READERS=2, BATCH=1, OUTPUT=str(ours["codes"]),
                 OUTPUT_PROBABILITIES=str(ours["probs"]),
                 OUTPUT_CONFIDENCE=str(ours["conf"]), **series)
    assert (result["OUTPUT"], result["OUTPUT_PROBABILITIES"], result["OUTPUT_CONFIDENCE"]) \
        == tuple(str(ours[k]) for k in ("codes", "probs", "conf"))
    engine = {k: tmp_path / f"engine_{k}.tif" for k in ours}
    predict(root / "aerial.tif", scene["ckpt"], engine["codes"], sentinel=series["SENTINEL2"],
            dates=series["DATES"], cloud_masks=series["CLOUD_MASKS"], blend="hann", halo=32,
            batch_size=1, device="cpu", probabilities=engine["probs"],
            confidence=engine["conf"])
    for key in ours:
        with rasterio.open(ours[key]) as a, rasterio.open(engine[key]) as b:
            assert np.array_equal(a.read(), b.read()), key
    with rasterio.open(ours["probs"]) as probs:
        assert probs.count == 12

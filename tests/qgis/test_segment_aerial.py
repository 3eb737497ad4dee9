"""``flair:segmentaerial`` through ``processing.run`` and ``qgis_process`` in a real QGIS."""

import numpy as np
import processing
import pytest
import rasterio
from helpers_models import flair_inc_pth, our_checkpoint
from helpers_qgis import linked_plugin_env, qgis_process_env, run_qgis_process
from qgis.core import (
    QgsPalettedRasterRenderer,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsRasterLayer,
)

from flair_landcover.flair_plugin.nomenclature import CLASS_SETS
from flair_landcover.synthetic.generator import write_mosaic

ODD = (333, 259)  # width, height: not a multiple of anything the engine uses


@pytest.fixture(scope="module")
def area(tmp_path_factory):
    folder = tmp_path_factory.mktemp("area")
    image, mask = folder / "area.tif", folder / "area_MSK.tif"
    write_mosaic(image, mask, *ODD, seed=3)
    return image


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    return {"ours": our_checkpoint(folder / "tiny.flair.safetensors"),
            "flair-inc": flair_inc_pth(folder, "rgbie_15cl")}


def segment(**params):
    params.setdefault("OUTPUT", "TEMPORARY_OUTPUT")
    params.setdefault("BLOCK", 128)
    params.setdefault("HALO", 32)
    return processing.run("flair:segmentaerial", params, feedback=QgsProcessingFeedback())


def read(path):
    with rasterio.open(path) as src:
        return src.read(1), src.profile, src.transform, src.crs


@pytest.mark.parametrize("kind", ["ours", "flair-inc"])
def test_output_on_the_input_grid_with_model_classes_and_style(flair_plugin, area, models,
                                                               tmp_path, kind):
    out = tmp_path / f"landcover_{kind}.tif"
    result = segment(INPUT=str(area), MODEL=str(models[kind]), OUTPUT=str(out))
    assert result["OUTPUT"] == str(out)
    codes, profile, transform, crs = read(out)
    with rasterio.open(area) as src:
        assert (profile["width"], profile["height"]) == (src.width, src.height) == ODD
        assert transform == src.transform and crs == src.crs
    active = set(CLASS_SETS["15cl"] if kind == "flair-inc" else range(1, 20))
    assert set(np.unique(codes)) <= active
    assert out.with_suffix(".qml").exists()
    layer = QgsRasterLayer(str(out), "landcover")  # styled by its sidecar
    renderer = layer.renderer()
    assert isinstance(renderer, QgsPalettedRasterRenderer)
    # the legend lists the classes in the map, not every class the model knows
    assert {c.value for c in renderer.classes()} == set(np.unique(codes)) - {0}


def test_legend_of_every_model_class_on_request_and_a_confidence_ramp(flair_plugin, area,
                                                                      models, tmp_path):
    out, confidence = tmp_path / "all.tif", tmp_path / "all_confidence.tif"
    segment(INPUT=str(area), MODEL=str(models["ours"]), OUTPUT=str(out),
            OUTPUT_CONFIDENCE=str(confidence), LEGEND_ALL_CLASSES=True)
    layer = QgsRasterLayer(str(out), "landcover")  # kept: its renderer dies with it
    classes = layer.renderer().classes()
    assert {c.value for c in classes} == set(range(1, 20))
    assert {c.label for c in classes} >= {"building", "water"}
    confidence_layer = QgsRasterLayer(str(confidence), "confidence")
    ramp = confidence_layer.renderer()
    assert ramp.type() == "singlebandpseudocolor"
    items = ramp.shader().rasterShaderFunction().colorRampItemList()
    assert [i.value for i in items] == [0, 128, 191, 255]


def test_separate_nir_and_elevation_layers_equal_the_stacked_raster(flair_plugin, area,
                                                                    models, tmp_path):
    with rasterio.open(area) as src:
        data, profile = src.read(), src.profile
    rgb, irc, dem = tmp_path / "rgb.tif", tmp_path / "irc.tif", tmp_path / "dem.tif"
    for path, bands in ((rgb, data[:3]), (irc, data[[3, 0, 1]]), (dem, data[4:5])):
        with rasterio.open(path, "w", **dict(profile, count=len(bands))) as dst:
            dst.write(bands)
    stacked = segment(INPUT=str(area), MODEL=str(models["ours"]),
                      OUTPUT=str(tmp_path / "stacked.tif"))
    separate = segment(INPUT=str(rgb), NIR_LAYER=str(irc), ELEVATION_LAYER=str(dem),
                       MODEL=str(models["ours"]), OUTPUT=str(tmp_path / "separate.tif"))
    assert np.array_equal(read(stacked["OUTPUT"])[0], read(separate["OUTPUT"])[0])


def test_elevation_on_a_coarser_grid_is_resampled(flair_plugin, area, models, tmp_path):
    """An elevation model at 0.4 m (half the imagery's resolution) and a 4-band imagery."""
    with rasterio.open(area) as src:
        data, profile = src.read(), src.profile
        coarse = src.read(5, out_shape=(src.height // 2, src.width // 2))
    rgbi, dem = tmp_path / "rgbi.tif", tmp_path / "dem_04m.tif"
    with rasterio.open(rgbi, "w", **dict(profile, count=4)) as dst:
        dst.write(data[:4])
    t = profile["transform"]
    with rasterio.open(dem, "w", **dict(profile, count=1, width=coarse.shape[1],
                                        height=coarse.shape[0],
                                        transform=t * t.scale(2, 2))) as dst:
        dst.write(coarse[None])
    feedback = QgsProcessingFeedback()
    out = processing.run("flair:segmentaerial", {
        "INPUT": str(rgbi), "ELEVATION_LAYER": str(dem), "MODEL": str(models["ours"]),
        "BLOCK": 128, "HALO": 32, "OUTPUT": str(tmp_path / "lc.tif")}, feedback=feedback)
    codes, out_profile, transform, _ = read(out["OUTPUT"])
    assert (out_profile["width"], out_profile["height"]) == ODD and transform == t
    # The 0.4 m raster covers all but the last odd row/column of the 0.2 m grid.
    assert (codes[:-1, :-1] > 0).all()


def test_extent_in_wgs84(flair_plugin, area, models, tmp_path):
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsProject,
        QgsRectangle,
    )

    with rasterio.open(area) as src:
        b = src.bounds
    middle = QgsRectangle(b.left + 10, b.bottom + 10, b.left + 40, b.bottom + 30)
    to_wgs84 = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:2154"),
                                      QgsCoordinateReferenceSystem("EPSG:4326"),
                                      QgsProject.instance())
    r = to_wgs84.transformBoundingBox(middle)
    extent = f"{r.xMinimum()},{r.xMaximum()},{r.yMinimum()},{r.yMaximum()} [EPSG:4326]"
    result = segment(INPUT=str(area), MODEL=str(models["ours"]), EXTENT=extent,
                     OUTPUT=str(tmp_path / "part.tif"))
    codes, profile, transform, _ = read(result["OUTPUT"])
    # The WGS84 box, back in Lambert-93, covers the 30x20 m area (plus a little).
    assert 150 <= profile["width"] <= 175 and 100 <= profile["height"] <= 125
    assert b.left <= transform.c <= b.left + 10.2


def test_cancel_leaves_no_output(flair_plugin, area, models, tmp_path):
    class CancelAtOnce(QgsProcessingFeedback):
        def setProgress(self, value):  # noqa: N802
            super().setProgress(value)
            self.cancel()

    out = tmp_path / "cancelled.tif"
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        processing.run("flair:segmentaerial", {
            "INPUT": str(area), "MODEL": str(models["ours"]), "OUTPUT": str(out),
            "BLOCK": 64, "HALO": 0}, feedback=CancelAtOnce())
    assert list(tmp_path.iterdir()) == []


def test_wrong_band_count_says_what_the_model_expects(flair_plugin, area, models, tmp_path):
    with rasterio.open(area) as src:
        data, profile = src.read(), src.profile
    rgb = tmp_path / "rgb_only.tif"
    with rasterio.open(rgb, "w", **dict(profile, count=3)) as dst:
        dst.write(data[:3])
    with pytest.raises(QgsProcessingException, match="nir") as error:
        segment(INPUT=str(rgb), MODEL=str(models["ours"]), OUTPUT=str(tmp_path / "x.tif"))
    assert "elevation" in str(error.value)
    assert not (tmp_path / "x.tif").exists()


def test_qgis_process_run(flair_plugin, area, models, tmp_path):
    env = linked_plugin_env(tmp_path)
    out = tmp_path / "cli.tif"
    run_qgis_process(["run", "flair:segmentaerial", "--", f"INPUT={area}",
                      f"MODEL={models['flair-inc']}", f"OUTPUT={out}", "BLOCK=128",
                      "HALO=32", "DEVICE=cpu", "BLEND=hann"], env)
    assert set(np.unique(read(out)[0])) <= set(CLASS_SETS["15cl"])
    assert out.with_suffix(".qml").exists()


def test_missing_torch_gives_the_install_command(plugin_zip, area, models, tmp_path):
    import zipfile

    plugins = tmp_path / "plugins"
    zipfile.ZipFile(plugin_zip).extractall(plugins)
    env = qgis_process_env(plugins, tmp_path / "profile", with_venv=False)
    run_qgis_process(["plugins", "enable", "flair_landcover"], env)
    failed = run_qgis_process(["run", "flair:segmentaerial", "--", f"INPUT={area}",
                               f"MODEL={models['ours']}", f"OUTPUT={tmp_path / 'o.tif'}"],
                              env, check=False)
    text = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "torch is not installed" in text and "pip install" in text
    assert not (tmp_path / "o.tif").exists()


@pytest.fixture(scope="module")
def metadata_model(tmp_path_factory):
    """A FLAIR-1 Lightning checkpoint trained with the aerial-metadata MLP."""
    import torch
    from helpers_models import flair1_lightning_checkpoint

    from flair_landcover.models.unet import FlairUNet

    torch.manual_seed(5)
    model = FlairUNet(5, 19, encoder="resnet18", encoder_depth=3,
                      decoder_channels=(32, 16, 8), metadata_mlp=True).eval()
    path = tmp_path_factory.mktemp("meta") / "flair-1_metadata.ckpt"
    torch.save(flair1_lightning_checkpoint(model, torch.ones(19)), path)
    return path


def test_a_metadata_model_takes_the_acquisition_and_matches_the_engine(
        flair_plugin, area, metadata_model, tmp_path):
    from flair_landcover.flair_plugin.engine.inference.predict import predict

    acquisition = dict(date="2021-04-21", time="10h35", camera="UCE-M3", altitude=155.0)
    out = tmp_path / "meta.tif"
    segment(INPUT=str(area), MODEL=str(metadata_model), OUTPUT=str(out),
            ACQUISITION_DATE=acquisition["date"], ACQUISITION_TIME=acquisition["time"],
            CAMERA=acquisition["camera"], ALTITUDE=acquisition["altitude"])
    predict(area, metadata_model, tmp_path / "engine.tif", acquisition=acquisition,
            block=128, halo=32, device="cpu")
    assert np.array_equal(read(out)[0], read(tmp_path / "engine.tif")[0])


def test_a_metadata_model_without_its_acquisition_says_which_parameter(
        flair_plugin, area, metadata_model, tmp_path):
    with pytest.raises(QgsProcessingException, match="ACQUISITION_DATE") as error:
        segment(INPUT=str(area), MODEL=str(metadata_model), OUTPUT=str(tmp_path / "x.tif"),
                ACQUISITION_TIME="10h35", CAMERA="UCE-M3", ALTITUDE=155)
    assert "IGNORE_METADATA" in str(error.value)
    assert not (tmp_path / "x.tif").exists()
    segment(INPUT=str(area), MODEL=str(metadata_model), OUTPUT=str(tmp_path / "bare.tif"),
            IGNORE_METADATA=True)
    assert (tmp_path / "bare.tif").is_file()


def test_the_utt_dialog_has_no_metadata_parameters(flair_plugin):
    from qgis.core import QgsApplication

    registry = QgsApplication.processingRegistry()
    aerial = registry.algorithmById("flair:segmentaerial")
    multimodal = registry.algorithmById("flair:segmentmultimodal")
    assert aerial.parameterDefinition("ACQUISITION_DATE") is not None
    assert multimodal.parameterDefinition("ACQUISITION_DATE") is None

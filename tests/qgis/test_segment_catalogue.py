"""``flair:segmentcatalogue`` through ``processing.run`` in a real QGIS: a folder of tiles
in, a styled mosaic out, equal to one run over the whole image; cancel, then resume."""

import processing
import pytest
import torch
from helpers_catalogue import CPU, PIXEL, image, read, write_catalogue
from helpers_models import our_checkpoint
from helpers_rasters import write_raster
from qgis.core import (
    QgsPalettedRasterRenderer,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsRasterLayer,
)

from flair_landcover.flair_plugin.engine.inference.predict import predict

SETTINGS = dict(BLOCK=CPU["block"], HALO=CPU["halo"], BATCH=1, READERS=1, DEVICE="cpu",
                PRECISION="fp32", RUNTIME="torch")


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    folder = tmp_path_factory.mktemp("catalogue")
    data = image(rows=2, cols=2, seed=7)
    write_catalogue(folder / "tiles", data)
    model = our_checkpoint(folder / "tiny.flair.safetensors")
    whole = write_raster(folder / "whole.tif", data, pixel=PIXEL)
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # two threads on a shared 2-core machine spin for nothing
    yield dict(tiles=folder / "tiles", model=model, whole=whole)
    torch.set_num_threads(before)


def segment(scene, out, feedback=None, **params):
    return processing.run("flair:segmentcatalogue", dict(
        INPUT=str(scene["tiles"]), MODEL=str(scene["model"]), OUTPUT_FOLDER=str(out),
        **SETTINGS, **params), feedback=feedback or QgsProcessingFeedback())


def test_a_folder_of_tiles_gives_one_styled_mosaic_equal_to_one_run(flair_plugin, scene,
                                                                    tmp_path):
    out = tmp_path / "out"
    result = segment(scene, out)
    assert result["OUTPUT"] == str(out / "landcover.vrt")
    assert (result["TILES_COMPUTED"], result["TILES_REUSED"]) == (4, 0)
    predict(scene["whole"], scene["model"], tmp_path / "whole.tif", **CPU)
    assert (read(result["OUTPUT"]) == read(tmp_path / "whole.tif")).all()
    layer = QgsRasterLayer(result["OUTPUT"], "landcover")  # styled by its sidecar
    assert layer.isValid() and isinstance(layer.renderer(), QgsPalettedRasterRenderer)
    assert {c.label for c in layer.renderer().classes()} >= {"building", "water"}


def test_cancel_then_run_again_to_resume(flair_plugin, scene, tmp_path):
    out = tmp_path / "out"
    feedback = QgsProcessingFeedback()
    # Cancel as soon as the first tile reports progress: that tile leaves no file.
    feedback.progressChanged.connect(lambda value: value > 0 and feedback.cancel())
    with pytest.raises(QgsProcessingException, match="Cancelled: catalogue cancelled"):
        segment(scene, out, feedback)
    assert not (out / "landcover.vrt").exists()
    first = sorted(p.name for p in (out / "tiles").glob("*.tif"))
    assert len(first) < 4
    result = segment(scene, out)
    assert (result["TILES_COMPUTED"], result["TILES_REUSED"]) == (4 - len(first), len(first))
    again = segment(scene, out)
    assert (again["TILES_COMPUTED"], again["TILES_REUSED"]) == (0, 4)
    assert (read(again["OUTPUT"]) == read(result["OUTPUT"])).all()


def test_other_settings_in_the_same_folder_are_refused(flair_plugin, scene, tmp_path):
    out = tmp_path / "out"
    segment(scene, out)
    with pytest.raises(QgsProcessingException, match="holds tiles of another job"):
        segment(scene, out, BLEND="hann")

"""A new user's first map without a model file: an IGN model chosen by name is downloaded
on first use (from a hub-like server on 127.0.0.1), then runs from the profile's folder."""

import processing
import pytest
import rasterio
from helpers_hub_server import hub_server
from helpers_models import flair_inc_pth
from qgis.core import QgsProcessingException, QgsProcessingFeedback

from flair_landcover.flair_plugin.engine.io import published
from flair_landcover.synthetic.generator import write_mosaic

MODEL = published.PUBLISHED["FLAIR-INC_rgb_12cl"]


class Recording(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.infos, self.progress = [], []

    def pushInfo(self, info):  # noqa: N802
        self.infos.append(info)

    def setProgressText(self, text):  # noqa: N802
        self.progress.append(text)


@pytest.fixture
def hub(tmp_path, monkeypatch):
    weights = flair_inc_pth(tmp_path, "rgb_12cl").read_bytes()
    with hub_server({f"{MODEL.repo}/{MODEL.filename}": weights}) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        monkeypatch.setenv(published.MODELS_DIR_ENV, str(tmp_path / "models"))
        yield server


def test_a_model_chosen_by_name_is_downloaded_once_then_used(flair_plugin, hub, tmp_path):
    image = tmp_path / "ortho.tif"
    write_mosaic(image, tmp_path / "mask.tif", 96, 80, seed=4)

    def segment(name):
        feedback = Recording()
        result = processing.run("flair:segmentaerial", {
            "INPUT": str(image), "PUBLISHED_MODEL": MODEL.name, "BLOCK": 64, "HALO": 32,
            "OUTPUT": str(tmp_path / name)}, feedback=feedback)
        with rasterio.open(result["OUTPUT"]) as ds:
            assert ds.read(1).min() >= 1  # a whole map of FLAIR codes
        return feedback

    first = segment("first.tif")
    assert (tmp_path / "models" / MODEL.filename).is_file()
    assert any(i.startswith(f"Downloading {MODEL.name} (98 MB)") for i in first.infos)
    assert any("of 98 MB" in t or "of 97 MB" in t for t in first.progress)
    assert len(hub.served) == 1
    second = segment("second.tif")
    assert len(hub.served) == 1  # from the folder, no network
    assert not any(i.startswith("Downloading") for i in second.infos)


def test_the_download_algorithm_and_its_offline_message(flair_plugin, hub, tmp_path):
    done = processing.run("flair:downloadmodel", {"PUBLISHED_MODEL": MODEL.name},
                          feedback=Recording())
    assert done["FILE"] == str(tmp_path / "models" / MODEL.filename)

    other = published.PUBLISHED["FLAIR-INC_rgbie_15cl"]  # the server does not have it
    with pytest.raises(QgsProcessingException) as error:
        processing.run("flair:downloadmodel", {"PUBLISHED_MODEL": other.name},
                       feedback=Recording())
    message = str(error.value)
    assert f"{hub.url}/{other.repo}/resolve/main/{other.filename}" in message
    assert str(tmp_path / "models" / other.filename) in message
    assert not (tmp_path / "models" / other.filename).exists()


def test_no_model_at_all_says_how_to_choose_one(flair_plugin, tmp_path):
    image = tmp_path / "ortho.tif"
    write_mosaic(image, tmp_path / "mask.tif", 64, 64, seed=4)
    with pytest.raises(QgsProcessingException, match="Choose a model: a model file, or one "
                                                     "of IGN's published models"):
        processing.run("flair:segmentaerial", {"INPUT": str(image),
                                               "OUTPUT": str(tmp_path / "x.tif")},
                       feedback=Recording())
    assert not (tmp_path / "x.tif").exists()

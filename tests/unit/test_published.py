"""IGN's published models: the catalogue, and downloads through huggingface_hub against a
hub-like server on 127.0.0.1 (progress, cancel then resume, checksums, offline)."""

import os
import re

import pytest
from helpers_hub_server import hub_server

from flair_landcover.flair_plugin.engine.errors import DownloadCancelled, WeightsDownloadError
from flair_landcover.flair_plugin.engine.io import published as p

MODEL = p.PUBLISHED["FLAIR-INC_rgb_12cl"]
CONTENT = os.urandom(4 * 1024 * 1024)


@pytest.fixture
def hub(monkeypatch):
    with hub_server({f"{MODEL.repo}/{MODEL.filename}": CONTENT}) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


def test_the_catalogue_says_what_users_choose_by():
    assert next(iter(p.PUBLISHED)) == "FLAIR-INC_rgbie_15cl"
    assert sum(n.startswith("FLAIR-INC_") for n in p.PUBLISHED) == 6
    assert p.PUBLISHED["FLAIR-HUB_LC-A_IR_convnextv2base-upernet"].miou == 63.8
    aerial, series = p.choices(), p.choices(series=True)
    assert "FLAIR-HUB_LC-A_IR_convnextv2tiny-upernet" in aerial and not set(aerial) & set(series)
    assert series == ("FLAIR-HUB_LC-F_swinbase-upernet",)
    assert "FLAIR-HUB_LC-A_RGB_swinbase-upernet" not in aerial  # needs converting first
    for name, model in p.PUBLISHED.items():
        assert model.name == name and model.licence and (model.size_mb or 1) > 0
        assert re.fullmatch(r"https://huggingface.co/IGNF/[\w.-]+/resolve/main/[\w.-]+",
                            model.url(p.HUB))
    assert p.published(MODEL.filename) is MODEL
    with pytest.raises(p.UserError, match="unknown published model 'nope'; known: FLAIR-INC"):
        p.published("nope")


def test_download_with_progress_then_from_the_cache_alone(hub, tmp_path):
    seen = []
    path = p.fetch(MODEL, tmp_path, progress=lambda f, m: seen.append((f, m)))
    assert path == tmp_path / MODEL.filename and path.read_bytes() == CONTENT
    assert seen[-1][0] == 1.0 and "of 4 MB" in seen[-1][1]
    assert [f for f, _ in seen] == sorted(f for f, _ in seen) and len(seen) >= 3
    text, installed = p.describe(MODEL, tmp_path)
    assert installed and text.startswith("✓ ")
    hub.files.clear()  # the server knows nothing now: the cached file is used as it is
    assert p.fetch(MODEL, tmp_path) == path


def test_cancel_halfway_then_resume(hub, tmp_path):
    hub.delay_per_chunk = 0.01
    fractions = []
    with pytest.raises(DownloadCancelled, match="run it again to resume"):
        p.fetch(MODEL, tmp_path, progress=lambda f, m: fractions.append(f),
                cancel=lambda: bool(fractions) and fractions[-1] > 0.3)
    assert not (tmp_path / MODEL.filename).exists()  # nothing under the final name
    hub.delay_per_chunk = 0.0
    path = p.fetch(MODEL, tmp_path)
    assert path.read_bytes() == CONTENT
    assert re.fullmatch(r"bytes=\d+-", hub.ranges[-1] or "")  # it resumed
    resumed_from = int(hub.ranges[-1][6:-1])
    assert resumed_from > 0.3 * len(CONTENT)
    assert hub.served[-1] == len(CONTENT) - resumed_from  # only the rest came again


def test_a_file_whose_checksum_is_not_the_published_one_is_refused(hub, tmp_path):
    hub.tamper = bytes(len(CONTENT))  # same size, other bytes, the hub's ETag unchanged
    with pytest.raises(WeightsDownloadError, match="not the published .*it was removed.*"
                                                   "yourself"):
        p.fetch(MODEL, tmp_path)
    assert not (tmp_path / MODEL.filename).exists()


def test_offline_names_the_url_and_the_path(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(WeightsDownloadError) as error:
        p.fetch(MODEL, tmp_path)
    message = str(error.value)
    assert f"http://127.0.0.1:9/{MODEL.repo}/resolve/main/{MODEL.filename}" in message
    assert str(tmp_path / MODEL.filename) in message
    assert "\n" not in message

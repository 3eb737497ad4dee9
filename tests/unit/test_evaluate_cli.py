"""The headless sub-commands evaluate, evaluate-split and download; predict's style file."""

import json

import numpy as np
from helpers_models import our_checkpoint
from helpers_rasters import write_raster

from flair_landcover.flair_plugin.engine.cli.main import main
from flair_landcover.synthetic.generator import write_dataset, write_mosaic
from flair_landcover.flair_plugin.styling import qml


def test_evaluate_writes_report_metrics_and_styled_agreement(tmp_path, capsys):
    rng = np.random.default_rng(1)
    reference = rng.integers(1, 6, (37, 53)).astype(np.uint8)
    prediction = np.where(rng.random(reference.shape) < 0.8, reference, 1).astype(np.uint8)
    pred = write_raster(tmp_path / "pred.tif", prediction)
    ref = write_raster(tmp_path / "ref.tif", reference)
    args = ["evaluate", "--prediction", str(pred), "--reference", str(ref), "--quiet",
            "--report", str(tmp_path / "r.html"), "--metrics", str(tmp_path / "m.json"),
            "--agreement", str(tmp_path / "agree.tif")]
    assert main(args) == 0
    assert "mIoU" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["scheme"]["key"] == "flair19"
    assert (tmp_path / "m.csv").exists() and (tmp_path / "r.html").exists()
    assert qml.is_our_style(tmp_path / "agree.qml")
    before = (tmp_path / "r.html").read_text()
    assert main(args) == 2  # outputs exist: refused before any work
    assert "--overwrite" in capsys.readouterr().err
    assert (tmp_path / "r.html").read_text() == before


def test_evaluate_split_and_predict_sidecar(tmp_path, capsys):
    write_dataset(tmp_path / "data", layout="domain", domains={"test": ["D012_2019"]},
                  zones_per_domain=1, patches_per_zone=2, size=64, seed=4, sentinel=False)
    model = our_checkpoint(tmp_path / "m.flair.safetensors")
    assert main(["evaluate-split", "--model", str(model), "--dataset", str(tmp_path / "data"),
                 "--device", "cpu", "--quiet", "--metrics", str(tmp_path / "s.json")]) == 0
    assert json.loads((tmp_path / "s.json").read_text())["scheme"]["key"] == "flair19"

    image, mask = tmp_path / "a.tif", tmp_path / "a_MSK.tif"
    write_mosaic(image, mask, 100, 70, seed=1)
    assert main(["predict", "--input", str(image), "--model", str(model), "--output",
                 str(tmp_path / "lc.tif"), "--device", "cpu", "--quiet"]) == 0
    assert qml.is_our_style(tmp_path / "lc.qml")


def test_download_offline_says_what_to_fetch(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["download", "--variant", "rgb_12cl", "--cache-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "https://huggingface.co/IGNF/FLAIR-INC_rgb_12cl_resnet34-unet" in err
    assert str(tmp_path) in err

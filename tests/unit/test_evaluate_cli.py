"""The headless sub-commands evaluate, evaluate-split and download; predict's style file."""

import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
from helpers_models import our_checkpoint
from helpers_rasters import write_raster

import flair_landcover
from flair_landcover.flair_plugin.engine.cli.main import main
from flair_landcover.flair_plugin.styling import qml
from flair_landcover.synthetic.generator import write_dataset, write_mosaic


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


def test_download_offline_says_what_to_fetch(tmp_path):
    """Offline mode, really: huggingface_hub reads HF_HUB_OFFLINE once, when first imported
    (setting it in this process could come too late), so the command runs in a fresh
    interpreter. Its Hub endpoint is a local server that counts requests: there must be none.
    """
    requests = []

    class Hub(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's names
            requests.append(self.path)
            self.send_error(404)

        do_HEAD = do_GET  # noqa: N815

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    holder = Path(flair_landcover.__path__[0]).parent
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(holder),
           "HF_ENDPOINT": f"http://127.0.0.1:{server.server_address[1]}"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "flair_landcover.flair_plugin.engine.cli", "download",
             "--variant", "rgb_12cl", "--cache-dir", str(tmp_path)],
            env=env, capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 2, done.stderr
    assert requests == []
    assert "offline mode is on" in done.stderr
    # the file's address on the hub it would use (HF_ENDPOINT: a mirror, here the server)
    assert (f"{env['HF_ENDPOINT']}/IGNF/FLAIR-INC_rgb_12cl_resnet34-unet/resolve/main/"
            in done.stderr)
    assert str(tmp_path) in done.stderr

"""Nothing lost inside QGIS: a full disk while a segmentation writes, a run's files named as
its inputs, in a real headless QGIS run in a child process (its file size limited)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers_models import our_checkpoint
from helpers_processes import package_env
from helpers_rasters import write_raster

# A child QGIS: Processing and the plugin as tests/qgis/conftest.py sets them up, then no
# file may grow past the limit (as a full disk; SIGXFSZ ignored so writes fail instead).
_CHILD = """
import json, resource, signal, sys
sys.path.append("/usr/share/qgis/python/plugins")
from qgis.core import QgsApplication, QgsProcessingException, QgsProcessingFeedback
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
from processing.core.Processing import Processing
Processing.initialize()
import processing
from flair_landcover.flair_plugin.plugin import FlairPlugin
plugin = FlairPlugin(None)
plugin.initProcessing()
limit, algorithm, params = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    processing.run(algorithm, params, feedback=QgsProcessingFeedback())
    print("DONE")
except QgsProcessingException as error:
    print("ERROR " + " ".join(str(error).split()))
"""


def run_in_qgis(limit: int, algorithm: str, params: dict) -> str:
    import json

    done = subprocess.run([sys.executable, "-c", _CHILD, str(limit), algorithm,
                           json.dumps(params)], env={**package_env(),
                                                     "QT_QPA_PLATFORM": "offscreen"},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return our_checkpoint(tmp_path_factory.mktemp("m") / "tiny.flair.safetensors")


def test_a_segmentation_on_a_full_disk_fails_and_leaves_nothing(model, tmp_path):
    image = np.random.default_rng(1).integers(1, 250, (5, 512, 512)).astype(np.uint8)
    src = write_raster(tmp_path / "ortho.tif", image)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    params = {"INPUT": str(src), "MODEL": str(model), "BLOCK": 64, "HALO": 32,
              "DEVICE": "cpu", "OUTPUT": str(out_dir / "landcover.tif")}
    line = run_in_qgis(16 * 1024, "flair:segmentaerial", params)
    assert line.startswith("ERROR ") and "landcover.tif" in line, line
    assert "nothing was left under its name" in line
    assert os.listdir(out_dir) == []
    assert run_in_qgis(2 ** 40, "flair:segmentaerial", params) == "DONE"  # control
    assert Path(out_dir / "landcover.tif").stat().st_size > 16 * 1024


def test_a_segmentation_never_replaces_its_model(model, tmp_path):
    """QGIS's dialog allows replacing any output; a model named like a raster (its format
    is read from its bytes) is still never replaced by the land cover."""
    image = np.random.default_rng(2).integers(1, 250, (5, 64, 64)).astype(np.uint8)
    src = write_raster(tmp_path / "ortho.tif", image)
    named_tif = tmp_path / "model.tif"
    named_tif.write_bytes(model.read_bytes())
    line = run_in_qgis(2 ** 40, "flair:segmentaerial", {
        "INPUT": str(src), "MODEL": str(named_tif), "DEVICE": "cpu",
        "OUTPUT": str(named_tif)})
    assert line.startswith("ERROR ") and "is one of the inputs" in line, line
    assert named_tif.read_bytes() == model.read_bytes()

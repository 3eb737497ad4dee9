"""The headless ``flair-landcover`` command: in-process, as a subprocess, and Ctrl-C."""

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from rasterio.transform import from_origin

from flair_landcover.flair_plugin.engine.checkpoints.store import (
    ModelMeta,
    build_module,
    save_checkpoint,
)
from flair_landcover.flair_plugin.engine.cli.main import main

# The engine tests' U-T&T scene (aerial raster, Sentinel-2 files, tiny U-T&T), loaded by
# path (pytest imports test modules with importlib): both levels test the same data.
_spec = importlib.util.spec_from_file_location(
    "_multimodal_scene", Path(__file__).resolve().parent / "test_multimodal.py")
_scene_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_scene_module)
DATES = _scene_module.DATES
scene = _scene_module.scene  # the module-scoped fixture

REPO = Path(__file__).resolve().parents[2]
ORIGIN = (651000.0, 6862000.0)
CODES15 = tuple(range(1, 16)) + (0, 0, 0, 0)


def write_raster(path, data, pixel=0.2):
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1],
                       count=data.shape[0], dtype=data.dtype, crs="EPSG:2154",
                       transform=from_origin(ORIGIN[0], ORIGIN[1], pixel, pixel)) as dst:
        dst.write(data)
    return path


def image(height, width, bands=5, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (bands, height, width), dtype=np.uint8)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    meta = ModelMeta(in_channels=5, logit_codes=CODES15, encoder="resnet18", encoder_depth=3)
    torch.manual_seed(0)
    return save_checkpoint(tmp_path_factory.mktemp("model") / "tiny.flair.safetensors",
                           build_module(meta), meta)


@pytest.fixture
def raster(tmp_path):
    return write_raster(tmp_path / "in.tif", image(100, 120))


def _predict(raster, model, output, *extra):
    return main(["predict", "--input", str(raster), "--model", str(model), "--output",
                 str(output), "--device", "cpu", "--block", "64", "--halo", "32", "--quiet",
                 *extra])


def test_predict_writes_all_outputs(raster, model, tmp_path, capsys):
    rc = _predict(raster, model, tmp_path / "out.tif", "--probabilities",
                  str(tmp_path / "p.tif"), "--confidence", str(tmp_path / "c.tif"),
                  "--blend", "hann", "--batch-size", "3")
    assert rc == 0
    assert "wrote" in capsys.readouterr().out
    with rasterio.open(tmp_path / "out.tif") as out, rasterio.open(raster) as inp:
        assert (out.transform, out.crs, out.shape) == (inp.transform, inp.crs, inp.shape)
        assert set(np.unique(out.read(1))) <= set(range(1, 16))
    with rasterio.open(tmp_path / "p.tif") as p:
        assert p.count == 15
    assert (tmp_path / "c.tif").exists()


def _utt_predict(scene, tmp_path, *extra):
    root = scene["root"]
    return main(["predict", "--input", str(root / "aerial.tif"), "--model", str(scene["ckpt"]),
                 "--output", str(tmp_path / "utt.tif"), "--device", "cpu", "--quiet", *extra])


def test_predict_a_utt_with_a_blend_probabilities_and_confidence(scene, tmp_path, capsys):
    root = scene["root"]
    rc = _utt_predict(scene, tmp_path, "--sentinel", str(root / "s2_stack.tif"), "--dates",
                      str(root / "dates.txt"), "--cloud-masks", str(root / "s2_masks.tif"),
                      "--blend", "hann", "--halo", "32", "--readers", "2",
                      "--probabilities", str(tmp_path / "p.tif"),
                      "--confidence", str(tmp_path / "c.tif"))
    assert rc == 0, capsys.readouterr().err
    assert "block 512 halo 32 hann" in capsys.readouterr().out
    with rasterio.open(tmp_path / "utt.tif") as out, rasterio.open(root / "aerial.tif") as src:
        assert (out.shape, out.transform, out.crs) == (src.shape, src.transform, src.crs)
        codes = out.read(1)
    with rasterio.open(tmp_path / "p.tif") as p, rasterio.open(tmp_path / "c.tif") as c:
        probs, confidence = p.read(), c.read(1)
    assert probs.shape[0] == 12 and set(np.unique(codes)) <= set(range(1, 13))
    assert np.array_equal(confidence, probs.max(axis=0))
    unique_top = (probs == confidence).sum(axis=0) == 1
    assert np.array_equal(codes[unique_top], probs.argmax(axis=0)[unique_top] + 1)


def test_predict_a_utt_with_per_date_files_and_the_model_tiling(scene, tmp_path, capsys):
    root = scene["root"]
    rc = _utt_predict(scene, tmp_path, "--sentinel", *[str(root / f"S2_{d}.tif") for d in DATES],
                      "--cloud-masks", *[str(root / f"MASK_{d}.tif") for d in DATES])
    assert rc == 0, capsys.readouterr().err
    assert "block 512 halo 0 crop" in capsys.readouterr().out  # FLAIR-2's tiling


def test_sentinel_for_a_unet_is_refused(raster, model, tmp_path, capsys):
    assert _predict(raster, model, tmp_path / "out.tif", "--sentinel", str(raster)) == 2
    assert "takes no Sentinel-2 series" in capsys.readouterr().err
    assert not (tmp_path / "out.tif").exists()


def test_bands_from_several_inputs_and_an_extent(model, tmp_path):
    data = image(80, 90, seed=1)
    rgb = write_raster(tmp_path / "rgb.tif", data[:3])
    rest = write_raster(tmp_path / "ie.tif", data[3:])
    x0, y0 = ORIGIN
    rc = main(["predict", "--input", str(rgb), "--input2", str(rest), "--model", str(model),
               "--output", str(tmp_path / "out.tif"), "--bands", "1,2,3,2:1,2:2",
               "--extent", f"{x0 + 2},{y0 - 10},{x0 + 12},{y0 - 1}", "--device", "cpu",
               "--quiet"])
    assert rc == 0
    with rasterio.open(tmp_path / "out.tif") as out:
        assert (out.width, out.height) == (50, 45)
        assert out.transform.c == pytest.approx(x0 + 2) and out.transform.f == pytest.approx(y0 - 1)


@pytest.mark.parametrize("extra,text", [
    (["--bands", "1,2,3,4,7"], "band 7 requested for the model's elevation band"),
    (["--block", "100"], "block must be a positive multiple of 32"),
    (["--input-scale", "x"], "input scale 'x' is not understood"),
    (["--extent", "0,0,1,1"], "lies outside the raster"),
])
def test_errors_print_one_line_and_exit_2(raster, model, tmp_path, capsys, extra, text):
    rc = _predict(raster, model, tmp_path / "out.tif", *extra)
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("flair-landcover: error: ") and text in err
    assert err.count("\n") == 1
    assert not (tmp_path / "out.tif").exists()


def test_missing_model_and_existing_output(raster, model, tmp_path, capsys):
    assert _predict(raster, tmp_path / "nope.flair.safetensors", tmp_path / "out.tif") == 2
    assert "nope.flair.safetensors" in capsys.readouterr().err
    (tmp_path / "out.tif").write_bytes(b"keep me")
    assert _predict(raster, model, tmp_path / "out.tif") == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (tmp_path / "out.tif").read_bytes() == b"keep me"
    assert _predict(raster, model, tmp_path / "out.tif", "--overwrite") == 0


def test_usage_errors_and_help(capsys):
    assert main(["predict", "--input", "a.tif"]) == 2
    assert "required" in capsys.readouterr().err
    assert main(["predict", "--input", "a", "--model", "m", "--output", "o",
                 "--extent", "1,2,3"]) == 2
    assert "4 comma-separated numbers" in capsys.readouterr().err
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "predict" in out and "train" in out
    assert main(["train", "--help"]) == 0
    assert "--dataset" in capsys.readouterr().out
    assert main([]) == 2


@pytest.fixture(scope="module")
def package_path(tmp_path_factory):
    """A folder holding a ``flair_landcover`` link to the repository (as tests/conftest.py)."""
    holder = tmp_path_factory.mktemp("pkg")
    os.symlink(REPO, holder / "flair_landcover")
    return str(holder)


def _command(package_path, *args):
    env = dict(os.environ, PYTHONPATH=package_path)
    return [sys.executable, "-m", "flair_landcover.flair_plugin.engine.cli.main", *args], env


def test_runs_as_a_module_in_a_subprocess(package_path, raster, model, tmp_path):
    cmd, env = _command(package_path, "predict", "--input", str(raster), "--model", str(model),
                        "--output", str(tmp_path / "out.tif"), "--device", "cpu",
                        "--block", "64", "--halo", "32")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and "100%" in done.stderr  # the tqdm bar
    with rasterio.open(tmp_path / "out.tif") as out:
        assert out.shape == (100, 120)


def _stop_midway(cmd, env, out_dir, signum):
    """Run ``cmd``, send ``signum`` once its first (temporary) output appears in ``out_dir``
    (the work has started), and return (exit status, stderr)."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 120
        while not os.listdir(out_dir):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, err


STOPS = pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM],
                                ids=["ctrl-c", "sigterm"])


@STOPS
def test_predict_stops_on_a_signal_and_leaves_no_output(package_path, model, tmp_path, signum):
    src = write_raster(tmp_path / "big.tif", image(512, 512, seed=2))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    cmd, env = _command(package_path, "predict", "--input", str(src), "--model", str(model),
                        "--output", str(out_dir / "out.tif"), "--probabilities",
                        str(out_dir / "p.tif"), "--device", "cpu", "--block", "64",
                        "--halo", "32", "--batch-size", "1")
    status, err = _stop_midway(cmd, env, out_dir, signum)
    assert status == 130, err
    assert "cancelling after the current batch" in err
    assert "flair-landcover: prediction cancelled; no partial output left" in err
    assert "Traceback" not in err
    assert os.listdir(out_dir) == []


@STOPS
def test_evaluate_stops_on_a_signal_and_leaves_no_output(package_path, tmp_path, signum):
    rng = np.random.default_rng(3)
    pattern = rng.integers(1, 6, (256, 256)).astype(np.uint8)
    reference = np.tile(pattern, (24, 24))  # 6144 px square: 36 blocks of 1024 px
    pred = write_raster(tmp_path / "pred.tif", np.roll(reference, 1, axis=1)[None])
    ref = write_raster(tmp_path / "ref.tif", reference[None])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    cmd, env = _command(package_path, "evaluate", "--prediction", str(pred), "--reference",
                        str(ref), "--report", str(out_dir / "r.html"), "--metrics",
                        str(out_dir / "m.json"), "--agreement", str(out_dir / "agree.tif"))
    status, err = _stop_midway(cmd, env, out_dir, signum)  # the agreement's temporary file
    assert status == 130, err
    assert "flair-landcover: evaluation cancelled; no partial output left" in err
    assert "Traceback" not in err
    assert os.listdir(out_dir) == []

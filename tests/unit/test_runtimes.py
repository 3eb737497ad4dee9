"""Precision and runtime choices: ``auto``, ONNX Runtime / OpenVINO against torch, the
export cache, and the fallbacks to torch (missing runtime, failed export, poor agreement).

Equivalence is checked on the per-pixel stitching test of ``test_inference.py`` (a 1x1
convolution, here in float32). ONNX Runtime and OpenVINO in fp32 give the same classes
as torch fp32 on every pixel; their logits differ in the last bits (another summation
order), so a probability or confidence on a rounding edge may move by 1/255: measured on
0 to 2 of the 1.4 million values, asserted on fewer than 1 in 10,000. bf16 keeps 8 bits
of mantissa, so near-ties flip: measured 99.56 % of pixels in the same class on this
random data (no trained model has that many near-ties), asserted >= 99 %.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch

import flair_landcover
from flair_landcover.flair_plugin.engine.checkpoints.store import (
    ModelMeta,
    build_module,
    load_model,
    save_checkpoint,
)
from flair_landcover.flair_plugin.engine.errors import InputError
from flair_landcover.flair_plugin.engine.inference import runtimes
from flair_landcover.flair_plugin.engine.inference.predict import predict, predict_with_module
from flair_landcover.flair_plugin.engine.inference.runtimes import (
    choose_runtime,
    cpu_has_native_bf16,
    resolve_precision,
)
from flair_landcover.flair_plugin.engine.options import default_tiling
from flair_landcover.flair_plugin.nomenclature import FLAIR1_MEANS, FLAIR1_STDS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_inference import (  # noqa: E402
    CODES15,
    CODES19,
    odd_raster,  # noqa: F401 - the module-scoped fixture, shared
    per_pixel_model,
    random_image,
    run,
    write_raster,
)

CPU = torch.device("cpu")
HAS_ORT = importlib.util.find_spec("onnxruntime") is not None
HAS_OV = importlib.util.find_spec("openvino") is not None
needs_ort = pytest.mark.skipif(not HAS_ORT, reason="onnxruntime is not installed")
needs_ov = pytest.mark.skipif(not HAS_OV, reason="openvino is not installed")
PACKAGE_HOLDER = Path(flair_landcover.__path__[0]).parent  # the folder on sys.path


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Exports of modules without a checkpoint go to a cache of this test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


def float_model(seed=0, classes=19):
    return per_pixel_model(classes=classes, seed=seed).float()


# --------------------------------------------------------------------------- precision

def test_auto_precision_follows_the_cpu_capability(monkeypatch):
    assert resolve_precision("auto", CPU, torch.float32, cpu_bf16=False) == "fp32"
    assert resolve_precision("auto", CPU, torch.float32, cpu_bf16=True) == "bf16"
    # a float64 reference model runs as it is, whatever the CPU
    assert resolve_precision("auto", CPU, torch.float64, cpu_bf16=True) == "fp32"
    assert resolve_precision("bf16", CPU, torch.float32, cpu_bf16=False) == "bf16"
    monkeypatch.setenv(runtimes.CPU_BF16_ENV, "0")
    assert not cpu_has_native_bf16("fpu avx512f avx512_bf16")  # the variable wins
    assert resolve_precision("auto", CPU, torch.float32) == "fp32"
    monkeypatch.setenv(runtimes.CPU_BF16_ENV, "1")
    assert resolve_precision("auto", CPU, torch.float32) == "bf16"
    monkeypatch.delenv(runtimes.CPU_BF16_ENV)
    assert cpu_has_native_bf16("fpu avx2 avx512f avx512_bf16")
    assert cpu_has_native_bf16("fpu avx2 amx_tile amx_bf16")
    assert not cpu_has_native_bf16("fpu avx2 avx512f avx512bw")


@pytest.mark.parametrize("precision,text", [("fp16", "fp16 needs a CUDA GPU"),
                                            ("fp8", "precision 'fp8' is not one of auto")])
def test_bad_precisions(precision, text):
    with pytest.raises(InputError, match=text):
        resolve_precision(precision, CPU, torch.float32)


def test_auto_picks_fp32_on_a_cpu_without_bf16(odd_raster, tmp_path, monkeypatch):  # noqa: F811
    src, _ = odd_raster
    monkeypatch.setenv(runtimes.CPU_BF16_ENV, "0")
    told = []
    result, codes, _, _ = run(src, tmp_path, float_model(), runtime="torch", block=128,
                              halo=32, info=told.append)
    assert (result.precision, result.runtime) == ("fp32", "torch")
    assert told == []  # plain torch fp32: nothing to check, nothing to say
    monkeypatch.setenv(runtimes.CPU_BF16_ENV, "1")
    result, bf16_codes, _, _ = run(src, tmp_path, float_model(), runtime="torch", block=128,
                                   halo=32, info=told.append, overwrite=True)
    assert (result.precision, result.runtime) == ("bf16", "torch")
    assert len(told) == 1 and "torch bf16 against torch fp32 on the first tile" in told[0]
    assert (bf16_codes == codes).mean() >= 0.99


class _BrokenInBf16(torch.nn.Module):
    """A model reduced precision breaks: under autocast its classes come out reversed."""

    def __init__(self):
        super().__init__()
        self.conv = float_model()

    def forward(self, x):
        out = self.conv(x)
        return -out if torch.is_autocast_enabled("cpu") else out


def test_auto_precision_falls_back_to_fp32_when_the_first_tile_disagrees(
        odd_raster, tmp_path, monkeypatch):  # noqa: F811
    src, _ = odd_raster
    monkeypatch.setenv(runtimes.CPU_BF16_ENV, "1")
    told = []
    result, codes, probs, _ = run(src, tmp_path, _BrokenInBf16(), runtime="torch",
                                  block=64, halo=32, info=told.append)
    assert (result.precision, result.runtime) == ("fp32", "torch")
    assert len(told) == 1 and "too far; torch computes the model in fp32" in told[0]
    (tmp_path / "ref").mkdir()
    reference = run(src, tmp_path / "ref", float_model(), runtime="torch", precision="fp32",
                    block=64, halo=32)
    assert np.array_equal(codes, reference[1])  # the first batch too was recomputed
    assert np.array_equal(probs, reference[2])


# --------------------------------------------------------------------------- runtimes

def test_runtime_choices():
    assert choose_runtime("torch", CPU, "fp32", torch.float32).runtime == "torch"
    # auto: torch's bf16 kernels where bf16 is native, an exported runtime in fp32
    assert choose_runtime("auto", CPU, "bf16", torch.float32) == runtimes.RuntimeChoice("torch")
    expected = "onnx" if HAS_ORT else "openvino" if HAS_OV else "torch"
    assert choose_runtime("auto", CPU, "fp32", torch.float32).runtime == expected
    gpu = choose_runtime("onnx", torch.device("cuda"), "bf16", torch.float32)
    assert gpu.runtime == "torch" and "on CUDA the model runs with torch" in gpu.note
    extra = choose_runtime("onnx", CPU, "fp32", torch.float32, ("metadata",))
    assert extra.runtime == "torch" and "also takes metadata" in extra.note
    assert choose_runtime("auto", CPU, "fp32", torch.float32, ("metadata",)).note is None
    double = choose_runtime("openvino", CPU, "fp32", torch.float64)
    assert double.runtime == "torch" and "float64" in double.note
    with pytest.raises(InputError, match="runtime 'tensorrt' is not one of auto, torch"):
        choose_runtime("tensorrt", CPU, "fp32", torch.float32)


def test_cpu_tiling_defaults_apply_when_none_is_given(tmp_path):
    src = write_raster(tmp_path / "in.tif", random_image(40, 1000))  # wider than a block
    result = predict_with_module(src, per_pixel_model(), tmp_path / "out.tif",
                                 means=FLAIR1_MEANS, stds=FLAIR1_STDS, logit_codes=CODES19,
                                 device="cpu")
    assert (result.block, result.halo) == default_tiling("cpu")


@needs_ort
@pytest.mark.parametrize("blend,block,halo,batch", [
    ("crop", 64, 32, 3), ("crop", 64, 0, 4), ("hann", 64, 32, 2), ("gaussian", 32, 64, 4)])
def test_onnx_runtime_equals_torch_fp32_on_the_stitching_test(odd_raster, tmp_path, blend,  # noqa: F811
                                                              block, halo, batch):
    src, _ = odd_raster
    torch_run = run(src, tmp_path, float_model(), runtime="torch", precision="fp32",
                    blend=blend, block=block, halo=halo, batch_size=batch)
    told = []
    (tmp_path / "onnx").mkdir()
    onnx_run = run(src, tmp_path / "onnx", float_model(), runtime="onnx", precision="fp32",
                   blend=blend, block=block, halo=halo, batch_size=batch, info=told.append)
    assert onnx_run[0].runtime == "onnx" and onnx_run[0].precision == "fp32"
    codes, probs, conf = onnx_run[1:]
    assert np.array_equal(codes, torch_run[1])
    for ours, theirs in ((probs, torch_run[2]), (conf, torch_run[3])):
        assert np.abs(ours.astype(int) - theirs).max() <= 1
        assert (ours != theirs).mean() < 1e-4  # measured: 0 to 2 values of 1.4 million
    assert any("onnx fp32 against torch fp32 on the first tile: 100.00 %" in t for t in told)


@needs_ov
def test_openvino_fp32_and_bf16_against_torch_fp32(odd_raster, tmp_path):  # noqa: F811
    src, _ = odd_raster
    kwargs = dict(blend="hann", block=64, halo=32, batch_size=2)
    _, codes, probs, conf = run(src, tmp_path, float_model(), runtime="torch",
                                precision="fp32", **kwargs)
    for precision in ("fp32", "bf16"):
        (tmp_path / precision).mkdir()
        result, ov_codes, ov_probs, ov_conf = run(src, tmp_path / precision, float_model(),
                                                  runtime="openvino", precision=precision,
                                                  **kwargs)
        assert (result.runtime, result.precision) == ("openvino", precision)
        if precision == "fp32":
            assert np.array_equal(ov_codes, codes)
            assert np.abs(ov_probs.astype(int) - probs).max() <= 1
            assert np.abs(ov_conf.astype(int) - conf).max() <= 1
        else:
            assert (ov_codes == codes).mean() >= 0.99


class _TracedOtherwise(torch.nn.Module):
    """Exports a graph that computes something else than its eager forward (as a model
    whose export silently goes wrong would): the first-tile check must catch it."""

    def __init__(self):
        super().__init__()
        self.conv = float_model()

    def forward(self, x):
        out = self.conv(x)
        return -out if torch.jit.is_tracing() else out


class _NotExportable(torch.nn.Module):
    """An operator ONNX has no equivalent for (a cumulative maximum, multiplied by 0)."""

    def __init__(self):
        super().__init__()
        self.conv = float_model()

    def forward(self, x):
        out = self.conv(x)
        return out + torch.cummax(out, 1).values * 0


@needs_ort
@pytest.mark.parametrize("module,text", [
    (_TracedOtherwise, "onnx fp32 against torch fp32 on the first tile: "),
    (_NotExportable, "ONNX Runtime could not be used")])
def test_a_bad_export_falls_back_to_torch_with_one_line(odd_raster, tmp_path, module, text):  # noqa: F811
    src, _ = odd_raster
    told = []
    result, codes, probs, _ = run(src, tmp_path, module(), runtime="onnx", precision="fp32",
                                  block=64, halo=32, info=told.append)
    assert result.runtime == "torch"
    fallbacks = [t for t in told if "torch computes the model in fp32" in t]
    assert len(fallbacks) == 1 and text in fallbacks[0], told
    (tmp_path / "ref").mkdir()
    reference = run(src, tmp_path / "ref", float_model(), runtime="torch", precision="fp32",
                    block=64, halo=32)
    assert np.array_equal(codes, reference[1]) and np.array_equal(probs, reference[2])


# --------------------------------------------------------------------------- export cache

@pytest.fixture
def tiny_checkpoint(tmp_path):
    meta = ModelMeta(in_channels=5, logit_codes=CODES15, encoder="resnet18", encoder_depth=3)
    torch.manual_seed(0)
    folder = tmp_path / "models"
    folder.mkdir()
    return save_checkpoint(folder / "tiny.flair.safetensors", build_module(meta), meta), meta


def _exports(folder):
    return sorted(p.name for p in Path(folder).glob("*.onnx") if p.is_file())


@needs_ort
def test_the_export_is_cached_beside_the_checkpoint_reused_and_renewed(tiny_checkpoint,
                                                                       tmp_path):
    path, meta = tiny_checkpoint
    src = write_raster(tmp_path / "in.tif", random_image(100, 120, seed=3))
    told = []

    def predict_onnx(out):
        told.clear()
        result = predict(src, path, tmp_path / out, device="cpu", runtime="onnx",
                         precision="fp32", block=64, halo=32, info=told.append)
        assert result.runtime == "onnx"
        with rasterio.open(tmp_path / out) as ds:
            return ds.read(1)

    first = predict_onnx("a.tif")
    exports = _exports(path.parent)
    assert len(exports) == 1 and exports[0].startswith("tiny.flair.safetensors.")
    assert exports[0].endswith(".5xHxW.onnx")  # any tile size
    assert any("exported to ONNX once" in t and "beside the model" in t for t in told)
    stamp = (path.parent / exports[0]).stat().st_mtime_ns

    again = predict_onnx("b.tif")  # reused: no export, the same file
    assert not any("exported" in t for t in told) and np.array_equal(again, first)
    assert _exports(path.parent) == exports
    assert (path.parent / exports[0]).stat().st_mtime_ns == stamp

    torch.manual_seed(1)  # the checkpoint changes: a new export, the stale one goes
    save_checkpoint(path, build_module(meta), meta)
    changed = predict_onnx("c.tif")
    assert any("exported to ONNX once" in t for t in told)
    renewed = _exports(path.parent)
    assert len(renewed) == 1 and renewed != exports
    assert not np.array_equal(changed, first)  # other weights, other map
    torch_codes = predict(src, path, tmp_path / "d.tif", device="cpu", runtime="torch",
                          precision="fp32", block=64, halo=32)
    with rasterio.open(torch_codes.output) as ds:
        assert (ds.read(1) == changed).mean() >= 0.999


@needs_ort
def test_an_unwritable_model_folder_caches_in_the_user_cache(tiny_checkpoint, tmp_path):
    path, _ = tiny_checkpoint
    src = write_raster(tmp_path / "in.tif", random_image(60, 60, seed=4))
    module = load_model(path).module
    name = runtimes.export_name(path.name, runtimes.export_key(module, 5), 5)
    if os.geteuid() == 0:  # root writes anywhere: take the export's name with a folder
        (path.parent / name).mkdir()
    else:
        path.parent.chmod(0o500)
    told = []
    try:
        result = predict(src, path, tmp_path / "out.tif", device="cpu", runtime="onnx",
                         precision="fp32", block=64, halo=32, info=told.append)
    finally:
        path.parent.chmod(0o700)
    assert result.runtime == "onnx"
    cached = runtimes.user_cache_dir() / name
    assert cached.is_file() and str(runtimes.user_cache_dir()).startswith(
        os.environ["XDG_CACHE_HOME"])
    assert any("in the user cache" in t and "not writable" in t for t in told), told
    assert _exports(path.parent) == []


# --------------------------------------------------------------------------- no runtime

_WITHOUT_RUNTIMES = r"""
import json, sys
sys.modules["onnxruntime"] = None  # as if not installed: `import onnxruntime` fails
sys.modules["openvino"] = None
import torch
from flair_landcover.flair_plugin.engine.inference.predict import predict_with_module
from flair_landcover.flair_plugin.nomenclature import FLAIR1_MEANS, FLAIR1_STDS
torch.manual_seed(0)
told = []
result = predict_with_module(sys.argv[1], torch.nn.Conv2d(5, 19, 1), sys.argv[2],
                             means=FLAIR1_MEANS, stds=FLAIR1_STDS,
                             logit_codes=tuple(range(1, 20)), device="cpu",
                             runtime=sys.argv[3], block=64, halo=32, info=told.append,
                             warn=told.append)
print(json.dumps(dict(runtime=result.runtime, precision=result.precision, told=told)))
"""


@pytest.mark.parametrize("requested", ["auto", "onnx"])
def test_without_onnx_runtime_torch_runs_with_one_log_line(tmp_path, requested):
    src = write_raster(tmp_path / "in.tif", random_image(80, 90, seed=5))
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_HOLDER), **{runtimes.CPU_BF16_ENV: "0"})
    done = subprocess.run([sys.executable, "-c", _WITHOUT_RUNTIMES, str(src),
                           str(tmp_path / "out.tif"), requested], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert (report["runtime"], report["precision"]) == ("torch", "fp32")
    assert len(report["told"]) == 1, report["told"]
    assert "ONNX Runtime is not installed (pip install onnxruntime onnx)" in report["told"][0]
    with rasterio.open(tmp_path / "out.tif") as ds:
        assert ds.read(1).min() >= 1


def test_the_command_takes_a_runtime():
    from flair_landcover.flair_plugin.engine.cli.main import build_parser

    args = build_parser().parse_args(["predict", "--input", "a.tif", "--model", "m",
                                      "--output", "o.tif", "--runtime", "onnx"])
    assert args.runtime == "onnx" and args.precision == "auto"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["predict", "--input", "a.tif", "--model", "m",
                                   "--output", "o.tif", "--runtime", "tensorrt"])

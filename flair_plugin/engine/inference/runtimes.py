"""What computes the network, and in which precision: torch, ONNX Runtime or OpenVINO.

Most photo-interpreters run QGIS on a CPU. There, two choices make the U-Net several
times faster than torch in fp32 (measured in ``benchmarks/bench_inference.py``):

* **precision**: bf16 where the processor computes it natively (AVX-512 BF16, AMX);
  elsewhere bf16 is emulated and slower than fp32. :func:`resolve_precision` turns
  ``auto`` into a concrete precision for the device.
* **runtime**: ONNX Runtime and OpenVINO run the exported graph faster than torch's
  eager CPU kernels. :func:`choose_runtime` picks one; the model is exported once
  (:func:`cached_export`) and cached beside its checkpoint (or in the user's cache folder
  when that folder is read-only), keyed by a hash of its weights and the input's bands.

The backends here only compute raw logits from a normalised float tile;
:class:`~.network.Network` checks them against torch on the first tile and falls back to
torch when they disagree, or when a runtime is missing or its export fails.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence, Tuple

import torch

from ..errors import InputError
from ..io.atomic import atomic_path
from ..options import INFERENCE_PRECISIONS, RUNTIMES

log = logging.getLogger(__name__)

Say = Callable[[str], None]

CPU_BF16_ENV = "FLAIR_CPU_BF16"
"""``1``/``0`` force whether the CPU counts as computing bf16 natively (tests; a CPU whose
flags this module cannot read)."""

ONNX_OPSET = 17
_EXPORT_VERSION = "1"
"""Part of every cache key: bump it when the export changes, so old files are not used."""

_MODULES = {"onnx": "onnxruntime", "openvino": "openvino"}
_NAMES = {"torch": "torch", "onnx": "ONNX Runtime", "openvino": "OpenVINO"}
_PIP = {"onnx": "onnxruntime onnx", "openvino": "openvino onnx"}


def runtime_name(runtime: str) -> str:
    """The name of a runtime for messages (``onnx`` -> ``ONNX Runtime``)."""
    return _NAMES.get(runtime, runtime)


# --------------------------------------------------------------------------- precision

def cpu_has_native_bf16(flags: Optional[str] = None) -> bool:
    """Whether this CPU computes bf16 natively (AVX-512 BF16 or AMX), so bf16 is faster.

    Args:
        flags: the CPU's flags as ``/proc/cpuinfo`` lists them (default: read them). The
            environment variable :data:`CPU_BF16_ENV` (``1``/``0``) overrides both.

    Where no flags can be read (Windows, macOS), a short timing decides: a bf16 matrix
    product at least 1.3 times faster than fp32 means native instructions (emulated bf16
    is several times slower than fp32, native about twice as fast).
    """
    forced = os.environ.get(CPU_BF16_ENV, "").strip().lower()
    if forced in ("1", "true", "yes"):
        return True
    if forced in ("0", "false", "no"):
        return False
    if flags is None:
        flags = _cpu_flags()
    if flags is not None:
        words = set(flags.split())
        return bool(words & {"avx512_bf16", "amx_bf16"})
    return _bf16_measured_faster()


def _cpu_flags() -> Optional[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith(("flags", "Features")):
                    return line.split(":", 1)[1]
    except OSError:
        return None
    return None


_BF16_TIMING: Optional[bool] = None


def _bf16_measured_faster() -> bool:
    """Best of 3 matrix products in bf16 and in fp32 (a few tens of ms, once a process)."""
    global _BF16_TIMING
    if _BF16_TIMING is None:
        a = torch.randn(512, 512)

        def best(t: torch.Tensor) -> float:
            times = []
            for _ in range(3):
                started = time.perf_counter()
                torch.mm(t, t)
                times.append(time.perf_counter() - started)
            return min(times)

        with torch.inference_mode():
            best(a)
            _BF16_TIMING = best(a.bfloat16()) * 1.3 < best(a)
    return _BF16_TIMING


def resolve_precision(requested: str, device: torch.device, param_dtype: torch.dtype,
                      cpu_bf16: Optional[bool] = None) -> str:
    """The precision a run computes in: ``requested``, or for ``auto`` the device's best.

    Args:
        requested: one of :data:`~..options.INFERENCE_PRECISIONS`.
        device: where the model runs.
        param_dtype: the model's parameter dtype: a float64 model (a reference, in tests)
            runs as it is, so ``auto`` gives fp32 (no autocast).
        cpu_bf16: whether the CPU has native bf16 (default: :func:`cpu_has_native_bf16`).

    ``auto``: on CUDA bf16 from compute capability 8 (Ampere) on, fp16 on 7.x (tensor
    cores), fp32 before; on a CPU bf16 where it is native, else fp32.

    Raises:
        InputError: an unknown precision, or fp16 on a CPU.
    """
    if requested not in INFERENCE_PRECISIONS:
        raise InputError(f"precision {requested!r} is not one of "
                         f"{', '.join(INFERENCE_PRECISIONS)}")
    if requested == "fp16" and device.type != "cuda":
        raise InputError("precision fp16 needs a CUDA GPU; on CPU use bf16 or fp32")
    if requested != "auto":
        return requested
    if param_dtype == torch.float64:
        return "fp32"
    if device.type == "cuda":
        major, _ = torch.cuda.get_device_capability(device)
        return "bf16" if major >= 8 else "fp16" if major == 7 else "fp32"
    if device.type == "cpu":
        native = cpu_has_native_bf16() if cpu_bf16 is None else cpu_bf16
        return "bf16" if native else "fp32"
    return "fp32"


# --------------------------------------------------------------------------- runtime

def runtime_available(runtime: str) -> Optional[str]:
    """None when ``runtime`` can run here; else why not, with the command that fixes it."""
    if runtime == "torch":
        return None
    module = _MODULES[runtime]
    try:
        __import__(module)
    except ImportError:
        return (f"{runtime_name(runtime)} is not installed (pip install "
                f"{_PIP[runtime]})")
    except Exception as exc:  # noqa: BLE001 - a broken install must not stop the run
        return f"{runtime_name(runtime)} cannot be loaded ({type(exc).__name__}: {exc})"
    return None


@dataclass(frozen=True)
class RuntimeChoice:
    """The runtime a run uses, and what the user should be told about the choice."""

    runtime: str
    note: Optional[str] = None  # a fallback the user asked otherwise, or should know of


def choose_runtime(requested: str, device: torch.device, precision: str,
                   param_dtype: torch.dtype, extra_inputs: Sequence[str] = ()
                   ) -> RuntimeChoice:
    """The runtime to run a model with.

    Args:
        requested: ``auto``, ``torch``, ``onnx`` (ONNX Runtime) or ``openvino``.
        device: where the model runs: the exported runtimes are used on a CPU only.
        precision: the resolved precision (see :func:`resolve_precision`).
        param_dtype: the model's parameter dtype: only float32 models are exported.
        extra_inputs: the model's inputs besides the aerial tile (``metadata``, a
            Sentinel-2 series...): the export covers models that take the tile alone.

    ``auto`` on a CPU, from the benchmark (README, Benchmarks): in bf16 (a CPU with native
    bf16) torch, whose bf16 kernels with channels_last were the fastest end to end and the
    leanest in memory; in fp32 ONNX Runtime (about 2 times torch), else OpenVINO, else
    torch. A runtime asked for but unusable falls back to torch, and the note says why (as
    does ``auto`` when neither exported runtime is installed).

    Raises:
        InputError: an unknown runtime.
    """
    if requested not in RUNTIMES:
        raise InputError(f"runtime {requested!r} is not one of {', '.join(RUNTIMES)}")
    if requested == "torch":
        return RuntimeChoice("torch")
    explicit = requested != "auto"
    reason = None
    if device.type != "cpu":
        reason = f"on {device.type.upper()} the model runs with torch"
    elif param_dtype != torch.float32:
        reason = f"the model's weights are {str(param_dtype).replace('torch.', '')}, not float32"
    elif extra_inputs:
        reason = (f"the exported model takes the aerial imagery alone, and this model also "
                  f"takes {', '.join(extra_inputs)}")
    if reason is not None:
        return RuntimeChoice("torch", f"{runtime_name(requested)} is not used: {reason}; "
                                      f"torch runs the model" if explicit else None)
    if explicit:
        missing = runtime_available(requested)
        if missing is None:
            return RuntimeChoice(requested)
        return RuntimeChoice("torch", f"{missing}: torch runs the model instead")
    if precision != "fp32":
        return RuntimeChoice("torch")
    missing = runtime_available("onnx")
    if missing is None:
        return RuntimeChoice("onnx")
    if runtime_available("openvino") is None:
        return RuntimeChoice("openvino")
    return RuntimeChoice("torch", f"{missing}: torch runs the model, about half as fast on "
                                  f"a CPU")


def cpu_threads() -> int:
    """Compute threads for a CPU runtime: torch's own count (one per physical core by
    default, ``OMP_NUM_THREADS`` or ``torch.set_num_threads`` to change it), so every
    runtime uses the same cores and reader threads do not starve them."""
    return max(1, torch.get_num_threads())


# --------------------------------------------------------------------------- export cache

def weights_hash(module: torch.nn.Module) -> str:
    """SHA-256 of a module's class, parameter and buffer names, shapes, dtypes and values.

    The key of an export: any change of the checkpoint's weights (or a module built
    another way from the same file, e.g. a U-Net without its metadata branch) gives
    another key, so a stale export is never used.
    """
    digest = hashlib.sha256(f"{type(module).__module__}.{type(module).__qualname__}"
                            .encode())
    for name, tensor in module.state_dict().items():
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{tuple(t.shape)}:{t.dtype};".encode())
        if t.numel():  # the bytes as they are (bf16 has no numpy dtype), without a copy
            digest.update(memoryview(t.reshape(-1).view(torch.uint8).numpy()))
    return digest.hexdigest()


def user_cache_dir() -> Path:
    """The per-user cache folder for exported models (XDG on Linux)."""
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "flair_landcover" / "onnx"


def export_key(module: torch.nn.Module, channels: int) -> str:
    """The cache key of an export: the weights' hash, the input's bands, the export's
    version (height, width and batch are free in the graph: one export serves every
    tiling)."""
    return hashlib.sha256(f"{weights_hash(module)}:{channels}xHxW:opset{ONNX_OPSET}:"
                          f"v{_EXPORT_VERSION}".encode()).hexdigest()


def export_name(stem: str, key: str, channels: int) -> str:
    """``<stem>.<key12>.<C>xHxW.onnx``: the export of ``stem``'s weights for C-band tiles."""
    return f"{stem}.{key[:12]}.{channels}xHxW.onnx"


def _stale_exports(folder: Path, stem: str, keep: str, channels: int):
    """Earlier exports of the same model file for the same bands (other weights)."""
    pattern = re.compile(re.escape(stem) + r"\.[0-9a-f]{12}\." + f"{channels}xHxW" +
                         r"\.onnx$")
    for path in folder.glob(f"{glob.escape(stem)}.*.{channels}xHxW.onnx"):
        if pattern.match(path.name) and path.name != keep and path.is_file():
            yield path


class _AerialOnly(torch.nn.Module):
    """The module's first output for the aerial tile alone: the graph that is exported."""

    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.module(x)
        return out[0] if isinstance(out, (tuple, list)) else out


EXPORT_SIZE = 256
"""Side of the example tile the graph is traced with (a multiple of 32: smp checks it)."""


def export_onnx(module: torch.nn.Module, channels: int, path: Path) -> None:
    """Export ``module`` to ONNX for float32 N×C×H×W tiles (N, H, W free), atomically.

    Raises:
        OSError: the file cannot be written.
        Exception: the exporter failed (the caller falls back to torch).
    """
    example = torch.zeros((1, channels, EXPORT_SIZE, EXPORT_SIZE), dtype=torch.float32)
    free = {0: "batch", 2: "height", 3: "width"}
    with atomic_path(path) as temp, warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter warns that it is the legacy one: it needs no
        # onnxscript, exports smp's U-Net in seconds, and its graph runs everywhere.
        warnings.simplefilter("ignore")
        torch.onnx.export(_AerialOnly(module).eval(), (example,), os.fspath(temp),
                          dynamo=False, input_names=["aerial"], output_names=["logits"],
                          dynamic_axes={"aerial": free, "logits": free},
                          opset_version=ONNX_OPSET, do_constant_folding=True)


def cached_export(module: torch.nn.Module, channels: int,
                  checkpoint: Optional[Path] = None, say: Say = log.info) -> Path:
    """The ONNX export of ``module`` for C-band tiles, made once and reused.

    Args:
        module: the float32 module, as the run uses it.
        channels: the tile's bands.
        checkpoint: the model file: the export goes beside it (``<name>.<hash>.<C>xHxW
            .onnx``); when that folder cannot be written (a read-only model folder), or
            there is no file, in :func:`user_cache_dir`.
        say: where to tell the user what was done (an export takes seconds).

    An export of other weights for the same file and bands (the checkpoint changed) is
    removed once the new one is written.

    Raises:
        Exception: the export failed, or no folder could be written; the caller falls
            back to torch.
    """
    stem = checkpoint.name if checkpoint is not None else "model"
    name = export_name(stem, export_key(module, channels), channels)
    folders = ([checkpoint.parent] if checkpoint is not None else []) + [user_cache_dir()]
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    failures = []
    for folder in folders:
        path = folder / name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            export_onnx(module, channels, path)
        except OSError as exc:
            failures.append(f"{folder}: {exc.strerror or exc}")
            continue
        where = ("beside the model" if checkpoint is not None and folder == checkpoint.parent
                 else "in the user cache")
        if failures:
            where += f" ({failures[-1]}: not writable)"
        say(f"model exported to ONNX once, for {channels}-band tiles of any size, in "
            f"{time.perf_counter() - started:.1f} s; cached {where}: {path}")
        for stale in _stale_exports(folder, stem, name, channels):
            try:
                stale.unlink()
            except OSError as exc:
                log.info("could not remove the outdated export %s: %s", stale, exc)
        return path
    raise OSError(f"no folder to cache the ONNX export in: {'; '.join(failures)}")


# --------------------------------------------------------------------------- backends

class OnnxRuntimeBackend:
    """ONNX Runtime's CPU provider on an exported graph: float32 tiles in, logits out."""

    runtime = "onnx"

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only: its warnings are not the user's
        # No busy-waiting between runs: a tile takes about a second, and the cores are
        # wanted meanwhile by the reader, the writer and torch's post-processing.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(os.fspath(path), options,
                                            providers=["CPUExecutionProvider"])
        self.precision = "fp32"

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = self.session.run(None, {"aerial": x.contiguous().numpy()})[0]
        return torch.from_numpy(out)


class OpenVinoBackend:
    """OpenVINO's CPU plugin on an exported graph, in fp32 or bf16."""

    runtime = "openvino"

    def __init__(self, path: Path, threads: int, precision: str) -> None:
        import openvino as ov

        core = ov.Core()
        self.precision = "bf16" if precision == "bf16" else "fp32"
        self.compiled = core.compile_model(core.read_model(os.fspath(path)), "CPU", {
            "INFERENCE_PRECISION_HINT": "bf16" if self.precision == "bf16" else "f32",
            "INFERENCE_NUM_THREADS": threads,
            "PERFORMANCE_HINT": "LATENCY", "ENABLE_CPU_PINNING": False})
        self.request = self.compiled.create_infer_request()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        result = self.request.infer({0: x.contiguous().numpy()})
        # The request reuses its output buffer: copy before the next call.
        return torch.from_numpy(result[self.compiled.output(0)].copy())


def load_backend(runtime: str, path: Path, precision: str):
    """The backend of ``runtime`` on the export at ``path``.

    Raises:
        Exception: the runtime could not load the graph (the caller falls back to torch).
    """
    threads = cpu_threads()
    if runtime == "onnx":
        return OnnxRuntimeBackend(path, threads)
    if runtime == "openvino":
        return OpenVinoBackend(path, threads, precision)
    raise ValueError(f"no exported backend for runtime {runtime!r}")


def compare_logits(fast: torch.Tensor, reference: torch.Tensor) -> Tuple[float, float]:
    """(argmax agreement, max |difference| relative to the largest logit, at least 1)."""
    fast, reference = fast.float(), reference.float()
    agreement = float((fast.max(1).indices == reference.max(1).indices).float().mean())
    scale = max(1.0, float(reference.abs().max()))
    return agreement, float((fast - reference).abs().max()) / scale

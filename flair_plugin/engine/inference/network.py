"""The model on its device: normalisation, precision, runtime, active logits, checks.

One :class:`Network` serves every model and every caller (area inference, the split
evaluation): it takes the aerial tile as uint8 and the other modalities' inputs as the
model's further arguments, so normalisation, precision and runtime are decided once.

Precision and runtime (see :mod:`.runtimes`): ``auto`` picks what is fastest on the
device (bf16 on a CPU with bf16 instructions, OpenVINO or ONNX Runtime on a CPU). A fast
path that is not plain torch fp32 is checked once, on the first tile the run computes,
against torch in fp32: when the classes disagree on more pixels than
:data:`~..options.AUTO_PRECISION_MIN_AGREEMENT` (reduced precision) or
:data:`~..options.FP32_RUNTIME_MIN_AGREEMENT` (an exported runtime in fp32) allow, the
run goes on with torch (in fp32 unless the user asked for a precision), and says so.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence, Union

import torch

from ...nomenclature import NODATA
from ..errors import InferenceError, InputError
from ..options import (
    AUTO_PRECISION_MIN_AGREEMENT,
    FP32_RUNTIME_LOGIT_TOLERANCE,
    FP32_RUNTIME_MIN_AGREEMENT,
)
from . import runtimes
from .runtimes import choose_runtime, resolve_precision, runtime_name

log = logging.getLogger(__name__)

Say = Callable[[str], None]

CHECK_SIZE = 256
"""Side of the window a fast path is checked on (the centre of the first tile)."""


def resolve_device(device: Union[str, torch.device, None]) -> torch.device:
    """``auto`` -> CUDA when PyTorch sees a GPU, else CPU; ``cuda`` without one is an error."""
    name = str(device or "auto").strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InputError(f"device {name!r} was asked for, but this PyTorch "
                             f"({torch.__version__}) sees no CUDA GPU: use device 'cpu' or "
                             f"'auto', or install a CUDA build of PyTorch")
        dev = torch.device(name)
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise InputError(f"device {name!r} does not exist: this machine has "
                             f"{torch.cuda.device_count()} GPU(s), cuda:0.."
                             f"cuda:{torch.cuda.device_count() - 1}")
        return dev
    raise InputError(f"device {device!r} is not one of auto, cpu, cuda (or cuda:N)")


def check_precision(precision: str, device: torch.device) -> None:
    """Refuse an unknown precision, or fp16 on a CPU, before any work.

    Raises:
        InputError: says which precisions exist, or that fp16 needs a CUDA GPU.
    """
    resolve_precision(precision, device, torch.float32, cpu_bf16=False)


class Network:
    """The module with its normalisation, precision, runtime and active logits, on a device.

    Args:
        module: maps normalised N×C×H×W imagery (then ``extra``/``named`` inputs) to
            N×K×H×W logits.
        means, stds: normalisation of the raw 0..255 values, per band.
        logit_codes: the FLAIR code of each logit (0 = inactive).
        device: where it runs.
        precision: ``auto``, ``fp32``, ``fp16`` (CUDA) or ``bf16``.
        runtime: ``torch`` (default), ``auto``, ``onnx`` or ``openvino`` (see
            :func:`~.runtimes.choose_runtime`).
        extra_inputs: names of the model's inputs besides the aerial tile (the
            modalities'): such a model runs with torch.
        checkpoint: the model file, beside which an export is cached.
        say: where choices and fallbacks are told to the user (one line each).
        fixed_size: the one tile side the module takes (a Swin encoder), None for any:
            probes and checks then run on tiles of that side.
    """

    def __init__(self, module: torch.nn.Module, means: Sequence[float], stds: Sequence[float],
                 logit_codes: Sequence[int], device: torch.device, precision: str,
                 runtime: str = "torch", *, extra_inputs: Sequence[str] = (),
                 checkpoint: Optional[Union[str, Path]] = None,
                 say: Optional[Say] = None, fixed_size: Optional[int] = None) -> None:
        self.device = device
        self.fixed_size = fixed_size
        self.module = module.eval().to(device)
        params = [p for p in module.parameters() if p.is_floating_point()]
        self.param_dtype = params[0].dtype if params else torch.float32
        # A float64 model (tests, references) gets float64 input; anything else float32.
        self.in_dtype = torch.float64 if self.param_dtype == torch.float64 else torch.float32
        self.mean = torch.tensor(means, dtype=self.in_dtype, device=device).view(1, -1, 1, 1)
        self.std = torch.tensor(stds, dtype=self.in_dtype, device=device).view(1, -1, 1, 1)
        self.num_logits = len(logit_codes)
        active = [i for i, c in enumerate(logit_codes) if c != NODATA]
        self.active = (None if len(active) == self.num_logits
                       else torch.tensor(active, device=device))
        self.lut = torch.tensor([logit_codes[i] for i in active], dtype=torch.uint8,
                                device=device)
        self.say = say or log.info
        self.requested_precision = precision
        self.precision = resolve_precision(precision, device, self.param_dtype)
        choice = choose_runtime(runtime, device, self.precision, self.param_dtype,
                                extra_inputs)
        if choice.note:
            self.say(choice.note)
        self.runtime = choice.runtime
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self._backend = None  # an exported runtime's, once prepared
        self._backend_channels: Optional[int] = None
        self._set_torch_precision(self.precision)
        # A fast path chosen for the user is checked against fp32 torch on the first tile.
        self._unchecked = self.runtime != "torch" or (precision == "auto"
                                                      and self.precision != "fp32")

    def _set_torch_precision(self, precision: str) -> None:
        """Autocast and memory format of the torch path: channels_last where the
        convolutions are faster with it (CUDA; bf16 on a CPU, 3 to 4 times)."""
        self.torch_precision = precision
        self.channels_last = self.device.type == "cuda" or precision == "bf16"
        self.module.to(memory_format=torch.channels_last if self.channels_last
                       else torch.contiguous_format)
        if precision == "fp32":
            self.autocast = contextlib.nullcontext
        else:
            dtype = torch.float16 if precision == "fp16" else torch.bfloat16
            self.autocast = lambda: torch.autocast(device_type=self.device.type, dtype=dtype)

    @property
    def num_classes(self) -> int:
        return int(self.lut.numel())

    @property
    def description(self) -> str:
        """The runtime and precision that compute the logits now, e.g. ``openvino bf16``."""
        if self._backend is not None:
            return f"{self._backend.runtime} {self._backend.precision}"
        return f"torch {self.torch_precision}"

    # ------------------------------------------------------------------ runtime

    def prepare(self, channels: int) -> None:
        """Make the exported runtime ready for C-band tiles (export once, load), so the
        seconds it takes pass before the run, with a line saying what was done. Without
        an exported runtime, or when the export or the runtime fails, torch is used (and
        the user is told why).
        """
        if self.runtime == "torch" or self._backend_channels == channels:
            return
        self._backend, self._backend_channels = None, channels
        try:
            with self._contiguous():
                path = runtimes.cached_export(self.module, channels, self.checkpoint,
                                              self.say)
            self._backend = self._load(path, channels)
        except Exception as exc:  # noqa: BLE001 - any failure of the fast path: torch runs
            first_line = (str(exc).strip().splitlines() or [""])[0][:300]
            self._fall_back(f"{runtime_name(self.runtime)} could not be used "
                            f"({type(exc).__name__}: {first_line})")
            return
        if self._backend.precision != self.precision:
            if self.requested_precision != "auto":
                self.say(f"{runtime_name(self.runtime)} computes in "
                         f"{self._backend.precision} on a CPU, not {self.precision}")
            self.precision = self._backend.precision

    @contextlib.contextmanager
    def _contiguous(self):
        """The module in the default memory format while it is hashed or exported."""
        self.module.to(memory_format=torch.contiguous_format)
        try:
            yield
        finally:
            self._set_torch_precision(self.torch_precision)

    def _load(self, path: Path, channels: int):
        """The backend on ``path``; a cached file that no longer loads is exported anew."""
        precision = self.precision if self.precision == "bf16" else "fp32"
        try:
            return runtimes.load_backend(self.runtime, path, precision)
        except Exception as exc:  # noqa: BLE001 - a damaged cache file: export it again
            log.info("cached export %s does not load (%s): exporting it again", path, exc)
        with self._contiguous():
            runtimes.export_onnx(self.module, channels, path)
        return runtimes.load_backend(self.runtime, path, precision)

    def _fall_back(self, why: str) -> None:
        """Torch runs the model from now on: at the precision the user asked for, or fp32
        when it was chosen automatically."""
        precision = "fp32" if self.requested_precision == "auto" else self.requested_precision
        self.runtime, self._backend, self._unchecked = "torch", None, False
        self._set_torch_precision(precision)
        self.precision = precision
        self.say(f"{why}; torch computes the model in {precision}")

    # ------------------------------------------------------------------ forward

    def codes(self, x: torch.Tensor, *extra: torch.Tensor,
              **named: Optional[torch.Tensor]) -> torch.Tensor:
        """uint8 N×C×H×W -> uint8 N×H×W FLAIR codes (argmax over the active logits)."""
        # max(1).indices, not argmax(1): on CPU, argmax over the channels of an NCHW
        # tensor takes 3-4 times longer (same first-maximum rule).
        return self.lut[self.logits(x, *extra, **named).max(1).indices]

    def logits(self, x: torch.Tensor, *extra: torch.Tensor,
               **named: Optional[torch.Tensor]) -> torch.Tensor:
        """uint8 N×C×H×W on the device -> active-class logits N×K×H×W (float32/float64).

        ``extra``/``named``: further inputs of the module, by position or by name (the
        modalities' inputs: ``metadata`` of FLAIR-1's MLP, ``sentinel``/``dates``/
        ``pad_mask`` of a U-T&T)."""
        x = self.normalise(x)
        if self.runtime != "torch" and not extra and not named:
            self.prepare(x.shape[1])
        out = self._active(self._forward(x, *extra, **named), x)
        if self._unchecked:
            self._unchecked = False
            if not self._agrees_with_fp32(x, extra, named):
                out = self._active(self._torch_forward(x, *extra, **named), x)
        return out if out.dtype == torch.float64 else out.float()

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        """uint8 -> ``(x - mean) / std`` in the model's input dtype."""
        x = x.to(self.in_dtype).sub_(self.mean).div_(self.std)  # in place: one allocation
        return x.to(self.param_dtype) if self.param_dtype != self.in_dtype else x

    def _forward(self, x: torch.Tensor, *extra, **named) -> torch.Tensor:
        """Raw logits from the exported runtime where it applies, else from torch."""
        if (self._backend is not None and not extra and not named
                and x.shape[1] == self._backend_channels):
            return self._backend(x)
        return self._torch_forward(x, *extra, **named)

    def _torch_forward(self, x: torch.Tensor, *extra, **named) -> torch.Tensor:
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with self.autocast():
            out = self.module(x, *extra, **named)
        return out[0] if isinstance(out, (tuple, list)) else out

    def _reference_forward(self, x: torch.Tensor, *extra, **named) -> torch.Tensor:
        """Torch in fp32 (true fp32 on CUDA, not TF32): what a fast path is checked with."""
        with _no_tf32() if self.device.type == "cuda" else contextlib.nullcontext():
            out = self.module(x, *extra, **named)
        return out[0] if isinstance(out, (tuple, list)) else out

    def _active(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if out.ndim != 4 or out.shape[1] != self.num_logits or out.shape[2:] != x.shape[2:]:
            raise InferenceError(f"the model returned {tuple(out.shape)} for input "
                                 f"{tuple(x.shape)}; expected N×{self.num_logits}×H×W logits "
                                 f"(one per logit code): the checkpoint's metadata does not "
                                 f"match its weights")
        return out if self.active is None else out.index_select(1, self.active)

    def _agrees_with_fp32(self, x: torch.Tensor, extra, named) -> bool:
        """The fast path against torch fp32 on the centre of the batch's first tile
        (:data:`CHECK_SIZE` px a side: a few % of a tile's cost); on poor agreement, fall
        back to torch (see :meth:`_fall_back`) and say why.

        A model with further inputs is checked on the whole first tile (its other inputs
        may be tied to the tile's size)."""
        fast = self.description
        if extra or named or self.fixed_size:
            sample, extra = x[:1], [e[:1] for e in extra]
            named = {k: (v[:1] if isinstance(v, torch.Tensor) else v)
                     for k, v in named.items()}
        else:
            side = min(CHECK_SIZE, x.shape[2], x.shape[3])
            top, left = (x.shape[2] - side) // 2 // 32 * 32, (x.shape[3] - side) // 2 // 32 * 32
            sample = x[:1, :, top:top + side, left:left + side].contiguous()
        ours = self._active(self._forward(sample, *extra, **named), sample)
        reference = self._active(self._reference_forward(sample, *extra, **named), sample)
        agreement, difference = runtimes.compare_logits(ours, reference)
        if self._backend is not None and self._backend.precision == "fp32":
            poor = (agreement < FP32_RUNTIME_MIN_AGREEMENT
                    or difference > FP32_RUNTIME_LOGIT_TOLERANCE)
        else:
            poor = agreement < AUTO_PRECISION_MIN_AGREEMENT
        detail = (f"{fast} against torch fp32 on the first tile: {100 * agreement:.2f} % of "
                  f"pixels in the same class, logits within {difference:.1e} of their range")
        if poor:
            self._fall_back(f"{detail}: too far")
        else:
            self.say(f"model computed with {fast} ({detail})")
        return not poor

    def probe(self, channels: int, named: Optional[Mapping[str, torch.Tensor]] = None
              ) -> None:
        """One torch forward on a tiny tile: a wrong band count, or an input the model
        needs and the run does not give, fails here with a clear message, before any file.

        ``named``: the other modalities' inputs for a batch of one (see
        :meth:`~.modalities.Modality.probe_inputs`)."""
        side = self.fixed_size or 64
        x = torch.zeros((1, channels, side, side), dtype=torch.uint8, device=self.device)
        with torch.inference_mode():
            try:
                self._active(self._torch_forward(self.normalise(x), **(named or {})), x)
            except InferenceError as exc:
                raise InputError(str(exc)) from None
            except torch.cuda.OutOfMemoryError:
                raise
            except RuntimeError as exc:
                raise InputError(f"the model cannot run on {channels} input bands: {exc}") \
                    from None
            except (TypeError, ValueError) as exc:
                # A forward that needs an input this run does not provide (FLAIR-1's
                # metadata, say) says so in a ValueError/TypeError: one line, no traceback.
                given = ", ".join(sorted(named or {})) or "none"
                raise InputError(f"the model cannot run with the inputs this run gives (aerial "
                                 f"imagery; further inputs: {given}): {exc}") from None


@contextlib.contextmanager
def _no_tf32():
    """cuDNN and cuBLAS in true fp32 while the fp32 reference is computed."""
    matmul, cudnn = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = matmul, cudnn


def labels_and_scores(net: Network, values: torch.Tensor, are_probs: bool,
                      want_probs: bool, want_conf: bool):
    """(codes, confidence, probabilities) as uint8 numpy arrays from N×K×H×W values.

    ``values`` are logits (crop: argmax of logits = argmax of their softmax, without the
    rounding ties softmax can create) or blended probabilities.
    """
    codes = net.lut[values.max(1).indices]  # as Network.codes, on blended values too
    conf = probs = None
    if want_probs or want_conf:
        p = values if are_probs else torch.softmax(values, dim=1)
        if want_conf:
            conf = torch.round(p.amax(1) * 255).to(torch.uint8).cpu().numpy()
        if want_probs:
            probs = torch.round(p * 255).to(torch.uint8).cpu().numpy()
    return codes.cpu().numpy(), conf, probs

"""The model on its device: normalisation, precision, active logits, output checks.

One :class:`Network` serves every model and every caller (area inference, the split
evaluation): it takes the aerial tile as uint8 and the other modalities' inputs as the
model's further arguments, so normalisation and precision are decided once.
"""

from __future__ import annotations

import contextlib
from typing import Mapping, Optional, Sequence, Union

import torch

from ...nomenclature import NODATA
from ..errors import InferenceError, InputError
from ..options import INFERENCE_PRECISIONS as PRECISIONS


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
    if precision not in PRECISIONS:
        raise InputError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    if precision == "fp16" and device.type != "cuda":
        raise InputError("precision fp16 needs a CUDA GPU; on CPU use bf16 or fp32")


class Network:
    """The module with its normalisation, precision and active logits, on one device."""

    def __init__(self, module: torch.nn.Module, means: Sequence[float], stds: Sequence[float],
                 logit_codes: Sequence[int], device: torch.device, precision: str) -> None:
        self.device = device
        self.module = module.eval().to(device)
        params = [p for p in module.parameters() if p.is_floating_point()]
        self.param_dtype = params[0].dtype if params else torch.float32
        # A float64 model (tests, references) gets float64 input; anything else float32.
        self.in_dtype = torch.float64 if self.param_dtype == torch.float64 else torch.float32
        self.channels_last = device.type == "cuda"
        if self.channels_last:
            self.module.to(memory_format=torch.channels_last)
        self.mean = torch.tensor(means, dtype=self.in_dtype, device=device).view(1, -1, 1, 1)
        self.std = torch.tensor(stds, dtype=self.in_dtype, device=device).view(1, -1, 1, 1)
        self.num_logits = len(logit_codes)
        active = [i for i, c in enumerate(logit_codes) if c != NODATA]
        self.active = (None if len(active) == self.num_logits
                       else torch.tensor(active, device=device))
        self.lut = torch.tensor([logit_codes[i] for i in active], dtype=torch.uint8,
                                device=device)
        if precision == "fp32":
            self.autocast = contextlib.nullcontext
        else:
            dtype = torch.float16 if precision == "fp16" else torch.bfloat16
            self.autocast = lambda: torch.autocast(device_type=device.type, dtype=dtype)

    @property
    def num_classes(self) -> int:
        return int(self.lut.numel())

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
        x = x.to(self.in_dtype).sub_(self.mean).div_(self.std)  # in place: one allocation
        if self.param_dtype != self.in_dtype:
            x = x.to(self.param_dtype)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with self.autocast():
            out = self.module(x, *extra, **named)
        if isinstance(out, (tuple, list)):
            out = out[0]
        if out.ndim != 4 or out.shape[1] != self.num_logits or out.shape[2:] != x.shape[2:]:
            raise InferenceError(f"the model returned {tuple(out.shape)} for input "
                                 f"{tuple(x.shape)}; expected N×{self.num_logits}×H×W logits "
                                 f"(one per logit code): the checkpoint's metadata does not "
                                 f"match its weights")
        if self.active is not None:
            out = out.index_select(1, self.active)
        return out if out.dtype == torch.float64 else out.float()

    def probe(self, channels: int, named: Optional[Mapping[str, torch.Tensor]] = None
              ) -> None:
        """One forward on a tiny tile: a wrong band count, or an input the model needs and
        the run does not give, fails here with a clear message, before any file.

        ``named``: the other modalities' inputs for a batch of one (see
        :meth:`~.modalities.Modality.probe_inputs`)."""
        with torch.inference_mode():
            try:
                self.logits(torch.zeros((1, channels, 64, 64), dtype=torch.uint8,
                                        device=self.device), **(named or {}))
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

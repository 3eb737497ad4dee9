"""Save and load FLAIR models: our self-describing format, and the files users already have.

Our format (``*.flair.safetensors``): a safetensors file of the model's weights whose
string metadata holds the :class:`ModelMeta` JSON under ``"flair_landcover"`` (and the
caller's ``extra`` JSON under ``"flair_landcover_extra"``). safetensors holds only
tensors, so loading it cannot run code; the metadata makes the file self-describing.

Also loaded (see :mod:`.importers`): FLAIR-INC ``.pth`` state dicts as published,
FLAIR-1 Lightning ``.ckpt`` files, bare smp U-Net state dicts, and FLAIR-2 U-T&T
Lightning ``.ckpt`` files (or their bare ``TimeTexture_flair`` state dicts). Those are
pickles, so they go through ``torch.load(weights_only=True)`` only, which refuses any
pickle that asks to call a function; we turn that refusal into a message a user can act
on.

The format is recognised by the file's first bytes, never by its extension alone.
torch is imported inside the functions that need it, so the toolbox can import this
module (e.g. for :func:`read_meta`) without torch.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Tuple, Union

from ..io.atomic import atomic_path
from ..io.download import FLAIR_INC_VARIANTS, WeightsDownloadError, download_flair_inc  # noqa: F401
from .factory import build_module
from .importers import (
    HubImportOptions,
    describe_flair_inc,
    infer_encoder,
    is_flair2_utt_state,
    is_flair_hub_state,
    meta_for_hub_state,
    meta_for_state,
    meta_for_utt_state,
    to_flair_hub_keys,
    to_flair_unet_keys,
    to_flair_utt_keys,
)
from .meta import CheckpointError, ModelMeta

if TYPE_CHECKING:
    import torch

    from ....models.unet import FlairUNet
    from ....models.utt import FlairUTT

__all__ = ["CHECKPOINT_SUFFIX", "CheckpointError", "FLAIR_INC_VARIANTS", "HubImportOptions",
           "LoadedModel",
           "ModelMeta", "WeightsDownloadError", "build_module", "detect_format",
           "download_flair_inc", "load_model", "read_meta", "save_checkpoint"]

META_KEY = "flair_landcover"
EXTRA_KEY = "flair_landcover_extra"
CHECKPOINT_SUFFIX = ".flair.safetensors"
ACCEPTED_FORMATS = ("this plugin's .flair.safetensors models, FLAIR-INC .pth weights (as "
                    "published on Hugging Face by IGNF), FLAIR-1 Lightning .ckpt checkpoints, "
                    "FLAIR-2 U-T&T Lightning .ckpt checkpoints and FLAIR-HUB aerial models "
                    "(.safetensors as published, or its training's .ckpt)")

PathLike = Union[str, "os.PathLike[str]"]

_MAX_LISTED_KEYS = 6
_SAFE_HEADER_LIMIT = 100 * 1024 * 1024  # safetensors' own cap on the JSON header


@dataclass
class LoadedModel:
    """A model ready for inference: ``module`` in eval mode on the CPU, and its description."""

    module: "torch.nn.Module"
    meta: ModelMeta
    extra: Dict[str, Any] = field(default_factory=dict)
    # or flair-inc, flair-1-lightning, smp-state-dict, flair-2-lightning, flair-2-state-dict,
    # flair-hub
    source_format: str = "flair-landcover"
    path: Optional[str] = None  # the file it was loaded from: no run may write over it


# ---------------------------------------------------------------------------- saving


def save_checkpoint(path: PathLike, module: "torch.nn.Module", meta: ModelMeta,
                    extra: Dict[str, Any] | None = None) -> Path:
    """Write ``module``'s weights and ``meta`` to ``path`` in our safetensors format.

    ``extra`` (JSON-serialisable: epoch, scores...) is stored beside the metadata. The
    file appears whole or not at all: it is written under a temporary name and renamed.
    """
    from safetensors.torch import save_file

    path = Path(path)
    try:
        extra_json = json.dumps(extra or {}, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"`extra` must be JSON-serialisable: {exc}") from None
    state = _plain_state(module)
    expected = expected_state(meta)
    _check_keys(expected, state, meta, "the module to save")
    _check_values(state, expected, "the module to save")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temp:
        save_file(state, str(temp), metadata={
            META_KEY: json.dumps(meta.to_dict(), sort_keys=True), EXTRA_KEY: extra_json})
    return path


def _plain_state(module: "torch.nn.Module") -> Dict[str, "torch.Tensor"]:
    """CPU, contiguous tensors keyed as in the bare module (DDP / torch.compile unwrapped)."""
    state = {}
    for key, value in module.state_dict().items():
        for wrapper in ("module.", "_orig_mod."):
            key = key[len(wrapper):] if key.startswith(wrapper) else key
        state[key] = value.detach().to("cpu").contiguous()
    return state


# ---------------------------------------------------------------------------- loading


def load_model(path: PathLike, *, hub_options: Optional[HubImportOptions] = None
               ) -> LoadedModel:
    """Load any accepted model file (see the module doc) as a ready-to-run model.

    The module is a FlairUNet, a FlairUTT when ``meta.architecture`` is "flair-utt", or
    a FlairHubModel for "flair-hub" (IGN's FLAIR-HUB files are converted on the fly).

    Args:
        path: the model file.
        hub_options: facts about a FLAIR-HUB file that it does not carry (backbone,
            bands, normalisation, Swin tile size); ignored for other files.

    Raises:
        CheckpointError: with an actionable message for anything else: an unknown or
            truncated file, a pickle that would run code, metadata out of bounds, weights
            that do not fit the model, hold NaN or infinite values, or are stored with a
            type the layer cannot hold. A hostile or damaged file never ends in a
            traceback: whatever else goes wrong while reading it is reported as a
            damaged file, naming it.
    """
    path = _existing_file(path)
    try:
        if detect_format(path) == "safetensors":
            loaded = _load_ours(path, hub_options)
        else:
            loaded = _import_torch_object(_torch_load(path), path, hub_options)
        loaded.path = os.fspath(path)
        return loaded
    except CheckpointError:
        raise
    except (ArithmeticError, AttributeError, IndexError, KeyError, LookupError, OSError,
            RuntimeError, TypeError, ValueError, struct.error, UnicodeError) as exc:
        raise CheckpointError(_truncated_message(path, f"{type(exc).__name__}: {exc}")) \
            from None


def read_meta(path: PathLike) -> ModelMeta:
    """The ModelMeta of a model file; for our format read from the header alone (no torch)."""
    path = _existing_file(path)
    if detect_format(path) == "safetensors":
        header = _safetensors_header(path).get("__metadata__") or {}
        if META_KEY in header:
            return _meta_from_json(header[META_KEY], path)
    return load_model(path).meta


def detect_format(path: PathLike) -> str:
    """``"safetensors"``, ``"torch-zip"`` or ``"torch-pickle"``, from the file's first bytes."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise CheckpointError(f"{path} is empty (an interrupted download or copy?); get the "
                              f"model file again")
    with open(path, "rb") as f:
        head = f.read(64)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "torch-zip"  # torch.save since 1.6: a zip holding a pickle and tensor blobs
    if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5:
        return "torch-pickle"  # legacy torch.save, or a raw pickle
    if len(head) >= 9 and head[8:9] == b"{":
        (header_size,) = struct.unpack("<Q", head[:8])
        if 8 + header_size > size:
            raise CheckpointError(_truncated_message(path, "its safetensors header is cut"))
        return "safetensors"
    raise CheckpointError(f"{path.name} is not a model file this plugin reads"
                          f"{_foreign_hint(head)}. Accepted: {ACCEPTED_FORMATS}")


def _existing_file(path: PathLike) -> Path:
    path = Path(path)
    if not path.is_file():
        what = "a folder" if path.is_dir() else "missing"
        raise CheckpointError(f"model file {path} is {what}; give the path of a model file "
                              f"({ACCEPTED_FORMATS})")
    return path


def _foreign_hint(head: bytes) -> str:
    text = head.lstrip().lower()
    if text.startswith(b"version https://git-lfs"):
        return (": it is a Git LFS pointer, not the weights (fetch the real file, e.g. with "
                "`git lfs pull` or the Hugging Face download link)")
    if text.startswith((b"<!doctype", b"<html")):
        return ": it is an HTML page (a failed download?)"
    if head.startswith(b"\x89HDF"):
        return ": it is an HDF5 (Keras) file"
    return ""


# ---------------------------------------------------------------------------- our format


def _load_ours(path: Path, hub_options: Optional[HubImportOptions] = None) -> LoadedModel:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            header = f.metadata() or {}
            state = {key: f.get_tensor(key) for key in f.keys()}
    except SafetensorError as exc:
        raise CheckpointError(_truncated_message(path, str(exc))) from None
    if META_KEY not in header:
        if is_flair_hub_state(state):
            return _import_flair_hub(state, "flair-hub", {}, path, hub_options)
        raise CheckpointError(
            f"{path.name} is a safetensors file without FLAIR Land Cover metadata, so its "
            f"bands and classes are unknown. Accepted: {ACCEPTED_FORMATS}")
    meta = _meta_from_json(header[META_KEY], path)
    extra = _json_object(header.get(EXTRA_KEY, "{}"), path)
    module = _module_with_weights(meta, state, path.name)
    return LoadedModel(module=module, meta=meta, extra=extra, source_format="flair-landcover")


def _safetensors_header(path: Path) -> Dict[str, Any]:
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        if size > _SAFE_HEADER_LIMIT:
            raise CheckpointError(_truncated_message(path, "its header size is implausible"))
        raw = f.read(size)
    return _json_object(raw.decode("utf-8", errors="replace"), path)


def _meta_from_json(text: str, path: Path) -> ModelMeta:
    return ModelMeta.from_dict(_json_object(text, path))


def _json_object(text: str, path: Path) -> Dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path.name} has unreadable metadata ({exc}); the file is "
                              f"damaged: get or save it again") from None
    if not isinstance(value, dict):
        raise CheckpointError(f"{path.name} has metadata that is not a JSON object")
    return value


# ---------------------------------------------------------------------------- pickles


def _torch_load(path: Path) -> Any:
    """``torch.load(weights_only=True)`` with its failures turned into CheckpointErrors.

    The file is handed over open, not by name: torch would pick safetensors' reader for a
    name ending in ``.safetensors`` whatever the content (a pickle saved under that name).
    """
    import torch

    try:
        with open(path, "rb") as f:
            return torch.load(f, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "Weights only load failed" in str(exc):
            raise CheckpointError(_refused_message(path, str(exc))) from None
        raise CheckpointError(_truncated_message(path, str(exc))) from None
    except (RuntimeError, EOFError, struct.error, ValueError, OSError, KeyError, IndexError,
            TypeError, AttributeError, UnicodeError, MemoryError) as exc:
        raise CheckpointError(_truncated_message(path, str(exc))) from None


def _refused_message(path: Path, torch_message: str) -> str:
    found = re.search(r"Unsupported global: GLOBAL (\S+)", torch_message)
    asked = f" (it asks to call `{found.group(1)}`)" if found else ""
    return (f"{path.name} contains executable pickle code{asked}; refusing to load it, "
            f"since loading it could run any program. A model file should hold only weights. "
            f"If you trust its author, load it once yourself in Python with "
            f"torch.load(path, weights_only=False), save only the weights with "
            f"torch.save(model.state_dict(), 'weights.pth') (for a Lightning checkpoint: "
            f"its ['state_dict']), and give that file instead")


def _truncated_message(path: Path, detail: str) -> str:
    first_line = detail.strip().splitlines()[0] if detail.strip() else "unreadable"
    return (f"{path.name} is truncated or corrupted ({first_line}); download or copy it "
            f"again")


def _import_torch_object(obj: Any, path: Path,
                         hub_options: Optional[HubImportOptions] = None) -> LoadedModel:
    state, kind, extra = _find_state_dict(obj, path)
    if is_flair_hub_state(state):
        return _import_flair_hub(state, kind, extra, path, hub_options)
    if is_flair2_utt_state(state):
        return _import_flair2_utt(state, kind, extra, path)
    renamed, loss_weight = to_flair_unet_keys(state)
    if kind == "flair-1-lightning":
        source = f"FLAIR-1 Lightning checkpoint {path.name}" + (
            f" (epoch {extra['epoch']})" if "epoch" in extra else "")
    elif any(k.startswith("model.seg_model.") for k in state):
        kind, source = "flair-inc", describe_flair_inc(path)
    else:
        source = f"segmentation_models_pytorch U-Net state dict {path.name}"
    meta = meta_for_state(renamed, file_name=path.name, source=source,
                          loss_weight=loss_weight)
    module = _module_with_weights(meta, renamed, path.name)
    return LoadedModel(module=module, meta=meta, extra=extra, source_format=kind)


def _import_flair2_utt(state: Mapping[str, Any], kind: str, extra: Dict[str, Any],
                       path: Path) -> LoadedModel:
    """A FLAIR-2 U-T&T (Lightning checkpoint or bare state dict) as a FlairUTT."""
    renamed, aerial_weight, _ = to_flair_utt_keys(state)
    if kind == "flair-1-lightning":  # any Lightning checkpoint; this one is FLAIR-2's
        kind = "flair-2-lightning"
        source = f"FLAIR-2 U-T&T Lightning checkpoint {path.name}" + (
            f" (epoch {extra['epoch']})" if "epoch" in extra else "")
    else:
        kind, source = "flair-2-state-dict", f"FLAIR-2 U-T&T state dict {path.name}"
    meta = meta_for_utt_state(renamed, file_name=path.name, source=source,
                              loss_weight=aerial_weight)
    module = _module_with_weights(meta, renamed, path.name)
    return LoadedModel(module=module, meta=meta, extra=extra, source_format=kind)


def _import_flair_hub(state: Mapping[str, Any], kind: str, extra: Dict[str, Any], path: Path,
                      options: Optional[HubImportOptions]) -> LoadedModel:
    """A FLAIR-HUB model (safetensors as IGN publishes them, or a Lightning checkpoint of
    its training) as a FlairHubModel, its description inferred (see
    :func:`.importers.meta_for_hub_state`)."""
    renamed, left_out = to_flair_hub_keys(state)
    what = ("FLAIR-HUB Lightning checkpoint" if kind == "flair-1-lightning"
            else "FLAIR-HUB weights")
    epoch = f", epoch {extra['epoch']}" if "epoch" in extra else ""
    dropped = f"; left out: {', '.join(left_out)}" if left_out else ""
    meta = meta_for_hub_state(renamed, file_name=path.name,
                              source=f"{what} {path.name}{epoch}{dropped}", options=options)
    renamed = fit_bias_tables(renamed, expected_state(meta))
    module = _module_with_weights(meta, renamed, path.name)
    return LoadedModel(module=module, meta=meta, extra=extra, source_format="flair-hub")


def fit_bias_tables(state: Mapping[str, Any], expected: Mapping[str, Any]) -> Dict[str, Any]:
    """Swin relative-position bias tables resized to the model's windows.

    A Swin built for another input side clamps its windows to the smaller feature maps,
    so its tables ((2w-1)² rows per head) differ from the checkpoint's: FLAIR-HUB then
    resizes each table as a square image per head, bicubically (corners not aligned),
    and so do we. Other keys are left as they are (the key check names any mismatch).
    """
    import torch.nn.functional as F

    out = dict(state)
    for key, value in state.items():
        target = expected.get(key)
        if (target is None or "relative_position_bias_table" not in key
                or tuple(value.shape) == tuple(target.shape) or value.ndim != 2):
            continue
        old, heads = value.shape
        new = target.shape[0]
        side_old, side_new = round(old ** 0.5), round(new ** 0.5)
        if side_old ** 2 != old or side_new ** 2 != new or target.shape[1] != heads:
            continue
        grid = value.float().reshape(1, side_old, side_old, heads).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(side_new, side_new), mode="bicubic",
                             align_corners=False)
        out[key] = grid.permute(0, 2, 3, 1).reshape(new, heads).to(value.dtype)
    return out


def _find_state_dict(obj: Any, path: Path) -> Tuple[Mapping[str, Any], str, Dict[str, Any]]:
    """The state dict inside a loaded pickle, its kind, and scalar training facts."""
    import torch

    kind, extra = "smp-state-dict", {}
    if isinstance(obj, Mapping) and isinstance(obj.get("state_dict"), Mapping):
        kind = "flair-1-lightning"
        extra = {k: obj[k] for k in ("epoch", "global_step", "pytorch-lightning_version")
                 if isinstance(obj.get(k), (int, float, str))}
        obj = obj["state_dict"]
    if not isinstance(obj, Mapping) or not obj:
        raise CheckpointError(f"{path.name} holds a {type(obj).__name__}, not model weights. "
                              f"Accepted: {ACCEPTED_FORMATS}")
    not_tensors = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise CheckpointError(f"{path.name} is a dictionary but not a state dict: "
                              f"{_listed(not_tensors)} are not tensors. Accepted: "
                              f"{ACCEPTED_FORMATS}")
    return obj, kind, extra


# ---------------------------------------------------------------------------- key checks


def _module_with_weights(meta: ModelMeta, state: Mapping[str, Any],
                         where: str) -> "Union[FlairUNet, FlairUTT]":
    """The model ``meta`` describes, with ``state``'s weights, once both are checked.

    The shapes are compared on a model built on torch's ``meta`` device (no memory), so a
    description asking for huge layers (``decoder_channels=[2000000]``) is refused before
    anything is allocated: a real model is only built for weights that fit it.
    """
    expected = expected_state(meta)
    _check_keys(expected, state, meta, where)
    _check_values(state, expected, where)
    module = build_module(meta)
    module.load_state_dict(state, strict=True)
    return module.eval()


def expected_state(meta: ModelMeta) -> Mapping[str, Any]:
    """The state dict ``meta``'s model has, as tensors without storage (torch's ``meta``
    device): names, shapes and dtypes, whatever the model's size."""
    import torch

    with torch.device("meta"):
        return build_module(meta).state_dict()


_MAX_WEIGHT = 1e6
"""Larger weights come from a damaged file (a float read as another float type), not a
training: FLAIR models' weights and batch-norm statistics stay far below."""


def _check_values(state: Mapping[str, Any], expected: Mapping[str, Any], where: str) -> None:
    """Refuse weights that would predict garbage silently: NaN or infinite values (a
    diverged training maps every pixel to one class), integer tensors where a layer holds
    floats (a header whose declared type is wrong), implausibly large values."""
    import torch

    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{where}: {key} is a {type(value).__name__}, not a tensor")
        expects_float = expected[key].is_floating_point()
        if expects_float != (value.is_floating_point() or value.is_complex()):
            raise CheckpointError(
                f"{where}: weight {key} is stored as {str(value.dtype).replace('torch.', '')}, "
                f"but the layer holds {'floating-point' if expects_float else 'integer'} "
                f"values: the file is damaged (its declared types are wrong); get or save "
                f"it again")
        if not expects_float or value.numel() == 0:
            continue
        if not bool(torch.isfinite(value).all()):
            raise CheckpointError(
                f"{where}: weight {key} holds NaN or infinite values: the model is broken "
                f"(a training that diverged, or a damaged file) and would predict one class "
                f"everywhere; use another checkpoint, e.g. an earlier epoch's")
        largest = float(value.abs().max())
        if largest > _MAX_WEIGHT:
            raise CheckpointError(
                f"{where}: weight {key} holds values up to {largest:.3g}, far beyond any "
                f"trained model's: the file is damaged (a tensor read with the wrong type?); "
                f"get or save it again")


def _check_keys(expected: Mapping[str, Any], state: Mapping[str, Any], meta: ModelMeta,
                where: str) -> None:
    """Refuse, with the differing keys named, weights that do not fit the described model."""
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [f"{k} {tuple(getattr(state[k], 'shape', ()))} instead of "
             f"{tuple(expected[k].shape)}"
             for k in expected if k in state and tuple(getattr(state[k], "shape", ())) !=
             tuple(expected[k].shape)]
    if not (missing or unexpected or wrong):
        return
    parts = [f"missing keys: {_listed(missing)}" if missing else "",
             f"unexpected keys: {_listed(unexpected)}" if unexpected else "",
             f"wrong shapes: {_listed(wrong)}" if wrong else ""]
    hint = ""
    if infer_encoder(state) is None and any(k.startswith("seg_model.encoder.") for k in state):
        hint = (" The encoder is not a ResNet/ResNeXt this plugin recognises, so "
                f"{meta.encoder} was assumed.")
    kind = {"flair-utt": "U-T&T", "flair-hub": "FLAIR-HUB network"}.get(meta.architecture,
                                                                      "U-Net")
    raise CheckpointError(f"the weights in {where} do not fit a FLAIR {kind} "
                          f"({_shape_text(meta)}): {'; '.join(p for p in parts if p)}.{hint}")


def _shape_text(meta: ModelMeta) -> str:
    mlp = ", metadata MLP" if meta.metadata_mlp else ""
    utae = ""
    if meta.temporal is not None:
        t = meta.temporal
        utae = (f", U-TAE widths {list(t.encoder_widths)}/{list(t.decoder_widths)}, "
                f"{t.n_head} heads, d_model {t.d_model}")
    return (f"{meta.encoder} depth {meta.encoder_depth}, {meta.in_channels} input bands, "
            f"{meta.num_logits} logits{mlp}{utae}")


def _listed(items: list) -> str:
    shown = ", ".join(str(i) for i in items[:_MAX_LISTED_KEYS])
    more = len(items) - _MAX_LISTED_KEYS
    return f"{shown} (and {more} more)" if more > 0 else shown

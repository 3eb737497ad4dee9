"""Turn the state dicts users already have into a FlairUNet state dict plus a ModelMeta.

Handled layouts (keys after any DDP ``module.`` prefix):

* FLAIR-INC ``.pth`` (Hugging Face ``IGNF/FLAIR-INC_*_resnet34-unet``): ``model.seg_model.*``
  plus ``criterion.weight`` (the loss's class weights, 0 for inactive classes);
* FLAIR-1 Lightning ``.ckpt``: the same inside ``state_dict``, plus the metadata MLP as
  ``model.enc.enc_mlp.{0,3,6}.*`` when the model was trained with metadata;
* a bare smp U-Net state dict (``encoder.*``, ``decoder.*``, ``segmentation_head.*``);
* FLAIR-2 U-T&T Lightning ``.ckpt`` (IGNF/FLAIR-2 ``TimeTexture_flair`` inside
  ``SegmentationTask``), or its bare state dict: see :func:`to_flair_utt_keys`.

None of these files say which bands or classes they use, so we infer them: bands from
the first convolution's input channels (3/4/5 -> FLAIR's R,G,B[,NIR[,elevation]]);
classes from the file name (``12cl``/``15cl``), else from the zeros of
``criterion.weight``, else all logits; the encoder from the ResNet block layout.
Torch-free on purpose: only tensor ``.shape`` is used, so it is cheap to test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

from ...nomenclature import BAND_SETS, CLASS_SETS, CODES
from .meta import INACTIVE, CheckpointError, ModelMeta, TemporalMeta

SEG = "seg_model."
MLP = "metadata_mlp."
_SMP_PARTS = ("encoder.", "decoder.", "segmentation_head.")
_FLAIR1_MLP = "enc.enc_mlp."  # FLAIR-1's attribute names for its metadata MLP
_LOSS_WEIGHT_KEYS = ("criterion.weight",)
LEGACY_LOGITS = 13  # FLAIR-1 legacy / FLAIR-2 baseline: codes 1..12 then "other"
_CLASS_SET_IN_NAME = re.compile(r"(?<![0-9])(12|15|19)cl(?![a-z])")

_RESNET_LAYOUTS: Dict[Tuple[bool, Tuple[int, ...]], str] = {
    # (bottleneck blocks?, blocks per stage) -> torchvision ResNet name
    (False, (2, 2, 2, 2)): "resnet18",
    (False, (3, 4, 6, 3)): "resnet34",
    (True, (3, 4, 6, 3)): "resnet50",
    (True, (3, 4, 23, 3)): "resnet101",
    (True, (3, 8, 36, 3)): "resnet152",
}


@dataclass(frozen=True)
class UNetShape:
    """What a FlairUNet state dict says about the model that made it."""

    encoder: Optional[str]  # None: not a ResNet/ResNeXt layout we recognise
    encoder_depth: int
    decoder_channels: Tuple[int, ...]
    in_channels: int
    num_logits: int
    metadata_mlp: bool


def to_flair_unet_keys(state: Mapping[str, Any]) -> Tuple[Dict[str, Any], Optional[Any]]:
    """Rename FLAIR-INC / FLAIR-1 / bare smp keys to FlairUNet keys.

    Returns the renamed state and the loss's class-weight tensor (or None). Keys we do
    not know stay as they are, so the later key check names them.
    """
    renamed: Dict[str, Any] = {}
    loss_weight = None
    for key, value in state.items():
        name = key
        while name.startswith("module."):  # DistributedDataParallel wrapping
            name = name[len("module."):]
        if name in _LOSS_WEIGHT_KEYS:
            loss_weight = value
            continue
        if name.startswith("model."):  # FLAIR-INC and FLAIR-1 Lightning modules
            name = name[len("model."):]
        if name.startswith(_FLAIR1_MLP):
            name = MLP + name[len(_FLAIR1_MLP):]
        elif name.startswith(_SMP_PARTS):
            name = SEG + name
        renamed[name] = value
    return renamed, loss_weight


def infer_unet_shape(state: Mapping[str, Any]) -> UNetShape:
    """Read encoder, depth, widths, channels and logit count off a FlairUNet state dict."""
    head = state.get(SEG + "segmentation_head.0.weight")
    encoder_convs = [v for k, v in state.items()
                     if k.startswith(SEG + "encoder.") and len(_shape(v)) == 4]
    decoder_channels = []
    while (conv := state.get(f"{SEG}decoder.blocks.{len(decoder_channels)}.conv1.0.weight")) \
            is not None:
        decoder_channels.append(_shape(conv)[0])
    if head is None or not encoder_convs or not decoder_channels:
        raise CheckpointError(_not_a_unet_message(state))
    return UNetShape(encoder=infer_encoder(state), encoder_depth=len(decoder_channels),
                     decoder_channels=tuple(decoder_channels),
                     in_channels=_shape(encoder_convs[0])[1], num_logits=_shape(head)[0],
                     metadata_mlp=any(k.startswith(MLP) for k in state))


def infer_encoder(state: Mapping[str, Any]) -> Optional[str]:
    """The smp name of a ResNet/ResNeXt encoder, from its block layout; None if unknown."""
    prefix = SEG + "encoder."
    blocks = []
    for stage in range(1, 5):
        count = 0
        while f"{prefix}layer{stage}.{count}.conv1.weight" in state:
            count += 1
        blocks.append(count)
    if 0 in blocks:
        return None
    bottleneck = f"{prefix}layer1.0.conv3.weight" in state
    name = _RESNET_LAYOUTS.get((bottleneck, tuple(blocks)))
    if name is None or not bottleneck:
        return name
    width, per_group = _shape(state[f"{prefix}layer1.0.conv2.weight"])[:2]
    if width == per_group:  # no grouped convolution: a plain ResNet
        return name
    depth = name[len("resnet"):]  # ResNeXt: same block counts, grouped 3x3 convolutions
    return f"resnext{depth}_{width // per_group}x{per_group}d"


def infer_logit_codes(num_logits: int, file_name: str = "",
                      loss_weight: Optional[Sequence[float]] = None) -> Tuple[int, ...]:
    """FLAIR code of each logit (0 = inactive) of an imported model.

    19 logits are FLAIR-1 main / FLAIR-INC (index = code - 1); 13 logits are the FLAIR-1
    legacy / FLAIR-2 baseline (codes 1..12, then "other", which FLAIR trains with weight 0).
    Which classes are active comes from the file name, else from the loss weights.
    """
    if num_logits == len(CODES):
        codes = list(CODES)
    elif num_logits == LEGACY_LOGITS:
        codes = list(range(1, LEGACY_LOGITS)) + [INACTIVE]
    else:
        raise CheckpointError(
            f"the model has {num_logits} output classes; imported models must have 19 "
            f"(FLAIR-1 main / FLAIR-INC, one per FLAIR code) or 13 (FLAIR-1 legacy / FLAIR-2 "
            f"baseline), otherwise their classes cannot be known. Train or convert it with "
            f"this plugin so its checkpoint names its classes")
    class_set = _class_set_in_name(file_name) if num_logits == len(CODES) else None
    if class_set is not None:
        active = set(CLASS_SETS[class_set])
        return tuple(c if c in active else INACTIVE for c in codes)
    if loss_weight is not None and len(loss_weight) == num_logits:
        return tuple(INACTIVE if float(w) == 0 else c for c, w in zip(codes, loss_weight))
    return tuple(codes)


def bands_for_channels(in_channels: int) -> Tuple[str, ...]:
    """FLAIR's band order for 3, 4 or 5 input channels (rgb, rgbi, rgbie)."""
    by_count = {len(b): b for b in BAND_SETS.values()}
    if in_channels not in by_count:
        raise CheckpointError(
            f"the model takes {in_channels} input channels; imported FLAIR models take 3 "
            f"(R,G,B), 4 (+NIR) or 5 (+elevation), so its bands cannot be guessed")
    return by_count[in_channels]


def meta_for_state(state: Mapping[str, Any], *, file_name: str, source: str,
                   loss_weight: Optional[Any] = None) -> ModelMeta:
    """The ModelMeta of an imported FlairUNet state dict.

    Normalisation follows the generation the logit count reveals: 19 logits are FLAIR-1
    main / FLAIR-INC (per-band means and stds), 13 logits the legacy baseline (÷ 255).
    """
    shape = infer_unet_shape(state)
    weights = None if loss_weight is None else [float(w) for w in loss_weight.reshape(-1)]
    means: Tuple[float, ...] = ()  # empty: ModelMeta fills in FLAIR-1 main's values
    stds: Tuple[float, ...] = ()
    if shape.num_logits == LEGACY_LOGITS:
        means, stds = (0.0,) * shape.in_channels, (255.0,) * shape.in_channels
        source += " (FLAIR-1 legacy / FLAIR-2 baseline: input ÷ 255 assumed)"
    return ModelMeta(
        in_channels=shape.in_channels,
        bands=bands_for_channels(shape.in_channels),
        means=means, stds=stds,
        logit_codes=infer_logit_codes(shape.num_logits, file_name, weights),
        encoder=shape.encoder or "resnet34",  # unknown: the key check will say what differs
        encoder_depth=shape.encoder_depth,
        decoder_channels=shape.decoder_channels,
        metadata_mlp=shape.metadata_mlp,
        source=source)


def describe_flair_inc(path: Path) -> str:
    """A source line for a FLAIR-INC file, with its Hugging Face page when named as published."""
    match = re.fullmatch(r"(FLAIR-INC_.+_resnet34-unet)_weights\.pth", path.name)
    if match:
        return f"FLAIR-INC weights {path.name} (https://huggingface.co/IGNF/{match.group(1)})"
    return f"FLAIR-INC-style state dict {path.name}"


def _class_set_in_name(file_name: str) -> Optional[str]:
    found = _CLASS_SET_IN_NAME.findall(Path(file_name).name.lower())
    return f"{found[-1]}cl" if found else None


def _shape(value: Any) -> Tuple[int, ...]:
    return tuple(getattr(value, "shape", ()))


def _not_a_unet_message(state: Mapping[str, Any]) -> str:
    keys = list(state)
    sample = ", ".join(keys[:5]) + (", ..." if len(keys) > 5 else "")
    hint = ""
    if any(k.startswith((SEG + "decoder.p5", SEG + "decoder.seg_blocks")) for k in keys):
        hint = " It looks like an FPN; only U-Net models are supported."
    elif any(k.startswith(("encoders.", "main_decoders.", "model.encoders.")) for k in keys):
        hint = " It looks like a FLAIR-HUB model; those are not supported yet."
    return (f"these weights are not a U-Net state dict (no segmentation head or encoder "
            f"convolution found; keys start: {sample or 'none'}).{hint} Accepted: FLAIR-INC "
            f".pth files, FLAIR-1 Lightning .ckpt files and this plugin's .flair.safetensors")


# ---------------------------------------------------------------------------- FLAIR-2 U-T&T
# Key names read from IGNF/FLAIR-2 (src/backbones/txt_model.py, fusion_utils.py,
# utae_model.py, ltae.py; src/task_module.py; main.py): the Lightning module holds the
# network as ``model`` and the two losses as ``criterion = ModuleList([aerial CE,
# satellite CE])``, whose class weights are buffers, hence in the state dict.

FLAIR2_TO_UTT: Tuple[Tuple[str, str], ...] = (
    ("arch_vhr.", "unet.seg_model."),  # smp U-Net (aerial)
    ("mtd_mlp.enc_mlp.", "unet.metadata_mlp."),  # aerial metadata MLP (Linear 0, 3, 6)
    ("arch_hr.", "utae."),  # U-TAE: the same module tree as ours below the prefix
    ("fm_utae_featmap_cropped.conv_list.", "fusion_cropped.convs."),
    ("fm_utae_featmap_collapsed.mlps.", "fusion_collapsed.mlps."),
    ("reshape_utae_output.1.", "sat_head."),  # Sequential(Upsample, Conv2d): the conv
)
"""(FLAIR-2 ``TimeTexture_flair`` prefix, FlairUTT prefix) pairs."""

FLAIR2_LOSS_WEIGHT_KEYS: Tuple[str, str] = ("criterion.0.weight", "criterion.1.weight")
"""The aerial and the satellite cross-entropy class weights of a FLAIR-2 Lightning state."""

FLAIR2_ASSUMED = ("FLAIR-2 U-T&T: aerial ÷ 255, Sentinel-2 as FLAIR-2's best baseline "
                  "(40 px crop, cloud/snow filter, monthly means, raw reflectance) assumed")


def _strip_wrappers(key: str) -> str:
    while key.startswith("module."):  # DistributedDataParallel
        key = key[len("module."):]
    return key


def is_flair2_utt_state(state: Mapping[str, Any]) -> bool:
    """Whether a state dict is a FLAIR-2 U-T&T (Lightning or bare ``TimeTexture_flair``)."""
    for key in state:
        name = _strip_wrappers(key)
        name = name[len("model."):] if name.startswith("model.") else name
        if name.startswith(("arch_hr.", "arch_vhr.")):
            return True
    return False


def to_flair_utt_keys(state: Mapping[str, Any]
                      ) -> Tuple[Dict[str, Any], Optional[Any], Optional[Any]]:
    """Rename a FLAIR-2 U-T&T state dict to FlairUTT keys.

    Returns the renamed state and the aerial and satellite loss class weights (or None).
    Unknown keys stay as they are, so the key check names them.
    """
    renamed: Dict[str, Any] = {}
    weights: Dict[str, Any] = {}
    for key, value in state.items():
        name = _strip_wrappers(key)
        if name in FLAIR2_LOSS_WEIGHT_KEYS:
            weights[name] = value
            continue
        name = name[len("model."):] if name.startswith("model.") else name
        for theirs, ours in FLAIR2_TO_UTT:
            if name.startswith(theirs):
                name = ours + name[len(theirs):]
                break
        renamed[name] = value
    aerial, satellite = (weights.get(k) for k in FLAIR2_LOSS_WEIGHT_KEYS)
    return renamed, aerial, satellite


def to_flair2_keys(state: Mapping[str, Any]) -> Dict[str, Any]:
    """FlairUTT keys -> FLAIR-2 Lightning keys (``model.arch_vhr...``): the inverse map.

    For exporting to the official code, and to test the importer on a state dict laid
    out as FLAIR-2 writes it.
    """
    out: Dict[str, Any] = {}
    for key, value in state.items():
        name = key
        for theirs, ours in FLAIR2_TO_UTT:
            if key.startswith(ours):
                name = theirs + key[len(ours):]
                break
        out["model." + name] = value
    return out


def infer_temporal_shape(state: Mapping[str, Any]) -> Dict[str, Any]:
    """Read the U-TAE's widths, heads and kernel off a FlairUTT state dict.

    What leaves no trace in the weights (aggregation mode, padding, stride and padding of
    the strided convolutions, positional period) keeps FLAIR-2's value.
    """
    p = "utae."
    first = state.get(p + "in_conv.conv.conv.0.weight")
    query = state.get(p + "temporal_encoder.attention_heads.Q")
    inconv = state.get(p + "temporal_encoder.inconv.weight")
    if first is None or query is None or inconv is None:
        raise CheckpointError("the U-T&T weights lack their U-TAE branch (no "
                              "arch_hr.in_conv / temporal_encoder weights found)")
    encoder_widths = [_shape(first)[0]]
    while (conv := state.get(f"{p}down_blocks.{len(encoder_widths) - 1}.conv1.conv.0.weight")) \
            is not None:
        encoder_widths.append(_shape(conv)[0])
    stages = len(encoder_widths)
    decoder_widths = []
    for stage in range(stages - 1):  # up_blocks.0 is the deepest
        up = state.get(f"{p}up_blocks.{stages - 2 - stage}.up.0.weight")
        if up is None:
            raise CheckpointError(f"the U-TAE weights lack up_blocks.{stages - 2 - stage}")
        decoder_widths.append(_shape(up)[1])
    decoder_widths.append(encoder_widths[-1])
    out_convs = sorted((int(k.split(".")[-2]), _shape(v)[0]) for k, v in state.items()
                       if k.startswith(p + "out_conv.conv.conv.") and len(_shape(v)) == 4)
    # the first conv's norm leaves a trace by its keys: BatchNorm has running stats,
    # GroupNorm an affine weight only, InstanceNorm nothing (conv, norm, ReLU, conv at 3),
    # no norm shifts the second conv to index 2
    norm = ("batch" if p + "in_conv.conv.conv.1.running_mean" in state else
            "group" if p + "in_conv.conv.conv.1.weight" in state else
            "none" if p + "in_conv.conv.conv.2.weight" in state else "instance")
    down = state.get(p + "down_blocks.0.down.conv.0.weight")
    n_head, d_k = _shape(query)
    return dict(input_dim=_shape(first)[1], encoder_widths=tuple(encoder_widths),
                decoder_widths=tuple(decoder_widths),
                out_conv_hidden=tuple(width for _, width in out_convs[:-1]),
                encoder_norm=norm, n_head=n_head, d_k=d_k, d_model=_shape(inconv)[0],
                **({"str_conv_k": _shape(down)[-1]} if down is not None else {}))


def meta_for_utt_state(state: Mapping[str, Any], *, file_name: str, source: str,
                       loss_weight: Optional[Any] = None) -> ModelMeta:
    """The ModelMeta of an imported FlairUTT state dict (FLAIR-2's preprocessing assumed).

    FLAIR-2 feeds the aerial patch ÷ 255 and 40×40 Sentinel-2 crops; whether the model
    was trained with the cloud filter and monthly means is not in the file: we assume
    its best published setting (both on), and say so in ``source``.
    """
    unet = {k[len("unet."):]: v for k, v in state.items() if k.startswith("unet.")}
    shape = infer_unet_shape(unet)
    weights = None if loss_weight is None else [float(w) for w in loss_weight.reshape(-1)]
    shape_of_utae = infer_temporal_shape(state)
    try:
        temporal = TemporalMeta(**shape_of_utae)
    except ValueError as exc:
        raise CheckpointError(f"the U-T&T's Sentinel-2 branch cannot be used as FLAIR-2 "
                              f"prepares its input: {exc}") from None
    return ModelMeta(
        architecture="flair-utt", in_channels=shape.in_channels,
        bands=bands_for_channels(shape.in_channels),
        means=(0.0,) * shape.in_channels, stds=(255.0,) * shape.in_channels,
        logit_codes=infer_logit_codes(shape.num_logits, file_name, weights),
        encoder=shape.encoder or "resnet34", encoder_depth=shape.encoder_depth,
        decoder_channels=shape.decoder_channels, metadata_mlp=shape.metadata_mlp,
        temporal=temporal, source=f"{source} ({FLAIR2_ASSUMED})")

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

from ...nomenclature import (
    BAND_SETS,
    CLASS_SETS,
    CODES,
    HUB_AERIAL,
    HUB_AERIAL_BANDS,
    HUB_AERIAL_IR_CHANNELS,
    HUB_AERIAL_MEANS,
    HUB_AERIAL_RGB_CHANNELS,
    HUB_AERIAL_STDS,
    HUB_CROP_TASK,
    HUB_LANDCOVER_TASK,
    LPIS_CLASSES,
    PATCH_SIZE,
    hub_landcover_codes,
)
from .meta import (
    HUB_ARCHITECTURE,
    INACTIVE,
    CheckpointError,
    HubMeta,
    ModelMeta,
    TemporalMeta,
    hub_series_modalities,
)

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


# ---------------------------------------------------------------------------- FLAIR-HUB
# Key layout read from IGNF/FLAIR-HUB (src/flair_hub/models/flair_model.py,
# monotemp_model.py, checkpoint.py): ``encoders.<MODALITY>.seg_model.*`` (an smp ``tu-``
# encoder: the timm backbone under ``model.``), ``main_decoders.<TASK>.seg_model.
# {decoder,segmentation_head}.*``, ``aux_decoders.<MODALITY>__<TASK>.*`` (training-only
# heads), ``fusion_handler.conv_f.*`` (1×1 convolutions that run only with several
# modalities), ``criterion.*`` (loss weights); a Lightning checkpoint prefixes ``model.``.

HUB_PARTS = ("encoders.", "main_decoders.", "aux_decoders.", "fusion_handler.")
HUB_SERIES = hub_series_modalities()
HUB_PATCH_SIZE = PATCH_SIZE  # FLAIR-HUB's aerial patches: 512 px at 0.2 m
_CONVNEXTV2_BY_WIDTH = {40: "atto", 48: "femto", 64: "pico", 80: "nano", 96: "tiny",
                        128: "base", 192: "large", 352: "huge"}
_SWIN_BY_LAYOUT = {(96, 6): "tiny", (96, 18): "small", (128, 18): "base", (192, 18): "large"}
_SWIN_DEFAULT_SIZE = {7: 224, 12: 384}  # timm's input size of the published Swin names
_NAME_HINTS = (("convnextv2tiny", "convnextv2_tiny"), ("convnextv2base", "convnextv2_base"),
               ("swintiny", "swin_tiny"), ("swinsmall", "swin_small"),
               ("swinbase", "swin_base"), ("swinlarge", "swin_large"))


@dataclass(frozen=True)
class HubImportOptions:
    """What a user may state about a FLAIR-HUB checkpoint its file does not say.

    Every field left None is inferred (see :func:`meta_for_hub_state`).
    """

    encoder: Optional[str] = None  # timm name, e.g. convnextv2_base
    channels: Optional[Tuple[int, ...]] = None  # 1-based bands of the RGBI raster
    means: Optional[Tuple[float, ...]] = None
    stds: Optional[Tuple[float, ...]] = None
    img_size: Optional[int] = None  # Swin: the tile side the encoder is built for


@dataclass(frozen=True)
class HubShape:
    """What a FLAIR-HUB state dict says about its network."""

    modalities: Tuple[str, ...]
    tasks: Tuple[str, ...]
    task_classes: Tuple[int, ...]
    decoder: str
    in_channels: int
    encoder: Optional[str]  # None: a backbone we cannot name from its keys
    window: Optional[int]  # Swin window size (from its bias tables), None otherwise


def _hub_name(key: str) -> str:
    name = _strip_wrappers(key)
    return name[len("model."):] if name.startswith("model.") else name


def is_flair_hub_state(state: Mapping[str, Any]) -> bool:
    """Whether a state dict is a FLAIR-HUB model's (bare, Lightning or safetensors)."""
    return any(_hub_name(k).startswith(("encoders.", "main_decoders.")) for k in state)


def to_flair_hub_keys(state: Mapping[str, Any]) -> Tuple[Dict[str, Any], Tuple[str, ...]]:
    """FLAIR-HUB keys without wrappers, less what inference never runs.

    Returns the state and what was left out (auxiliary decoders, the fusion of a
    one-modality model, loss weights), for the model's source line.
    """
    renamed: Dict[str, Any] = {}
    left: Dict[str, None] = {}
    modalities = {_hub_name(k).split(".")[1] for k in state
                  if _hub_name(k).startswith("encoders.")}
    for key, value in state.items():
        name = _hub_name(key)
        if name.startswith("criterion") or ".criterion." in name:
            left["loss weights"] = None
        elif name.startswith("aux_decoders."):
            left["auxiliary decoders (training only)"] = None
        elif name.startswith("fusion_handler.") and len(modalities) == 1:
            left["fusion layers (unused with one modality)"] = None
        else:
            renamed[name] = value
    return renamed, tuple(left)


def infer_hub_shape(state: Mapping[str, Any]) -> HubShape:
    """Modalities, tasks, decoder, input bands and backbone of a FLAIR-HUB state dict.

    Raises:
        CheckpointError: no encoder or task decoder found.
    """
    modalities = tuple(dict.fromkeys(k.split(".")[1] for k in state
                                     if k.startswith("encoders.")))
    tasks, classes = [], []
    for key, value in state.items():
        parts = key.split(".")
        if key.startswith("main_decoders.") and parts[2:] == [
                "seg_model", "segmentation_head", "0", "weight"]:
            tasks.append(parts[1])
            classes.append(_shape(value)[0])
    if not modalities or not tasks:
        raise CheckpointError("these FLAIR-HUB weights lack an encoder or a task decoder "
                              "(no encoders.* / main_decoders.*.segmentation_head keys)")
    first_task = tasks[0]
    prefix = f"main_decoders.{first_task}.seg_model.decoder."
    decoder = ("upernet" if any(k.startswith(prefix + "psp.") for k in state) else
               "unet" if any(k.startswith(prefix + "blocks.") for k in state) else "")
    if not decoder:
        raise CheckpointError(f"the decoder of task {first_task} is neither a UPerNet nor a "
                              f"U-Net (FLAIR-HUB's two decoders)")
    images = [m for m in modalities if m not in HUB_SERIES]
    if not images:
        raise CheckpointError(f"this FLAIR-HUB model takes only time series "
                              f"({', '.join(modalities)}); this version runs models with an "
                              f"aerial image")
    encoder, window, in_channels = _hub_backbone(state, images[0])
    return HubShape(modalities, tuple(tasks), tuple(classes), decoder, in_channels, encoder,
                    window)


def infer_hub_series(state: Mapping[str, Any], modality: str) -> Dict[str, Any]:
    """The U-TAE of a FLAIR-HUB series modality, as keyword arguments of ``models.utae.UTAE``.

    Widths, heads, kernel and norm are read off the keys; the rest is FLAIR-HUB's
    (stride 1 and padding 1 of its strided convolutions: the series keeps its
    resolution; attention-group aggregation; reflect padding; pad value 0).

    Raises:
        CheckpointError: the modality's weights are not a U-TAE.
    """
    prefix = f"encoders.{modality}."
    utae = {"utae." + k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    try:
        shape = infer_temporal_shape(utae)
    except CheckpointError:
        raise CheckpointError(f"the {modality} encoder of these FLAIR-HUB weights is not a "
                              f"U-TAE (no in_conv / temporal_encoder weights): the file is "
                              f"damaged or not FLAIR-HUB's") from None
    out_conv = [w for _, w in sorted((int(k.split(".")[-2]), _shape(v)[0])
                                     for k, v in utae.items()
                                     if k.startswith("utae.out_conv.conv.conv.")
                                     and len(_shape(v)) == 4)]
    return dict(input_dim=shape["input_dim"], encoder_widths=list(shape["encoder_widths"]),
                decoder_widths=list(shape["decoder_widths"]), out_conv=out_conv,
                str_conv_k=shape.get("str_conv_k", 3), str_conv_s=1, str_conv_p=1,
                agg_mode="att_group", encoder_norm=shape["encoder_norm"],
                n_head=shape["n_head"], d_model=shape["d_model"], d_k=shape["d_k"],
                pad_value=0.0, padding_mode="reflect")


def _hub_backbone(state: Mapping[str, Any], modality: str
                  ) -> Tuple[Optional[str], Optional[int], int]:
    """(timm name or None, Swin window or None, input bands) of a modality's encoder."""
    p = f"encoders.{modality}.seg_model.model."
    stem = state.get(p + "stem_0.weight")
    if stem is not None:  # ConvNeXt: stem_0 is a 4×4 stride-4 convolution
        width, in_channels = _shape(stem)[:2]
        v2 = any(k.startswith(p) and ".grn." in k for k in state)
        size = _CONVNEXTV2_BY_WIDTH.get(width) if v2 else None
        return (f"convnextv2_{size}" if size else None), None, in_channels
    embed = state.get(p + "patch_embed.proj.weight")
    if embed is not None:  # Swin: a 4×4 patch embedding, windowed attention
        width, in_channels = _shape(embed)[:2]
        blocks = 0
        while f"{p}layers_2.blocks.{blocks}.norm1.weight" in state:
            blocks += 1
        table = state.get(p + "layers_0.blocks.0.attn.relative_position_bias_table")
        window = int(round((_shape(table)[0] ** 0.5 + 1) / 2)) if table is not None else None
        size = _SWIN_BY_LAYOUT.get((width, blocks))
        name = (f"swin_{size}_patch4_window{window}_{_SWIN_DEFAULT_SIZE[window]}"
                if size and window in _SWIN_DEFAULT_SIZE else None)
        return name, window, in_channels
    convs = [v for k, v in state.items() if k.startswith(p) and len(_shape(v)) == 4]
    if not convs:
        raise CheckpointError(f"the {modality} encoder has no convolution: these are not "
                              f"FLAIR-HUB weights")
    return None, None, _shape(convs[0])[1]


def encoder_from_file_name(file_name: str) -> Optional[str]:
    """The backbone a FLAIR-HUB file name says (``..._convnextv2base-upernet...``), as
    the start of a timm name, or None."""
    squashed = re.sub(r"[^a-z0-9]", "", Path(file_name).name.lower())
    found = [timm for hint, timm in _NAME_HINTS if hint in squashed]
    return found[0] if len(found) == 1 else None


def hub_aerial_input(file_name: str, in_channels: int, options: HubImportOptions
                     ) -> Tuple[Tuple[int, ...], Tuple[float, ...], Tuple[float, ...], str]:
    """(channels, means, stds, note) of a FLAIR-HUB aerial model.

    FLAIR-HUB reads NIR, R, G (channels 4, 1, 2 of its RGBI rasters) with its published
    means and stds unless a model is named ``_RGB_`` (channels 1, 2, 3), whose
    normalisation its code does not state: that one must be given.

    Raises:
        CheckpointError: a normalisation that cannot be known, or options that do not
            fit the model's input bands.
    """
    name = Path(file_name).name.upper()
    rgb = re.search(r"(^|[_\-.])RGB([_\-.]|$)", name) is not None
    channels = options.channels or (HUB_AERIAL_RGB_CHANNELS if rgb else
                                    HUB_AERIAL_IR_CHANNELS if in_channels == 3 else None)
    if channels is None or len(channels) != in_channels:
        raise CheckpointError(
            f"the FLAIR-HUB model takes {in_channels} aerial bands; say which bands of the "
            f"RGBI raster feed it (--channels, e.g. 4,1,2 for NIR,R,G)")
    if any(not 1 <= c <= len(HUB_AERIAL_BANDS) for c in channels):
        raise CheckpointError(f"channels {channels} must be bands 1..4 of an RGBI raster")
    means, stds = options.means, options.stds
    note = ""
    if means is None and stds is None and tuple(channels) == HUB_AERIAL_IR_CHANNELS:
        means, stds = HUB_AERIAL_MEANS, HUB_AERIAL_STDS
        note = "FLAIR-HUB's aerial normalisation"
    if means is None or stds is None:
        raise CheckpointError(
            f"the normalisation of this FLAIR-HUB model (bands {list(channels)}) is not in "
            f"the file nor in FLAIR-HUB's defaults (those are for NIR,R,G): convert it with "
            f"`flair-landcover import` and give --means and --stds (one per band, from its "
            f"training configuration)")
    if len(means) != in_channels or len(stds) != in_channels:
        raise CheckpointError(f"give {in_channels} means and stds, one per band; got "
                              f"{len(means)} and {len(stds)}")
    return tuple(int(c) for c in channels), tuple(means), tuple(stds), note


def meta_for_hub_state(state: Mapping[str, Any], *, file_name: str, source: str,
                       options: Optional[HubImportOptions] = None) -> ModelMeta:
    """The ModelMeta of a FLAIR-HUB state dict (keys as :func:`to_flair_hub_keys` gives).

    Inferred: the backbone from its keys (ConvNeXt V2 widths, Swin widths, depths and
    window; the file name when the keys do not say), the decoder, the input bands, the
    tasks and their logits; FLAIR-HUB's aerial channels and normalisation; the FLAIR code
    of each land-cover logit (FLAIR-HUB's order, logits 15..18 never predicted); a Swin
    with UPerNet runs on timm's default input side (smp 0.4.0 did not pass FLAIR-HUB's
    patch size to it), a Swin with U-Net on FLAIR-HUB's 512 px aerial patches.

    Raises:
        CheckpointError: a model this plugin cannot run yet (several modalities, no
            land-cover task, a modality other than aerial) or facts that must be given.
    """
    options = options or HubImportOptions()
    shape = infer_hub_shape(state)
    images = [m for m in shape.modalities if m not in HUB_SERIES]
    if len(images) > 1:
        raise CheckpointError(
            f"this FLAIR-HUB model takes {' + '.join(shape.modalities)}; this version reads "
            f"FLAIR-HUB models with one image modality (aerial), plus time series")
    modality = images[0]
    series = tuple(dict(modality=m, **infer_hub_series(state, m))
                   for m in HUB_SERIES if m in shape.modalities)
    if modality != HUB_AERIAL:
        raise CheckpointError(
            f"this FLAIR-HUB model takes {modality} only; this version runs FLAIR-HUB "
            f"models on aerial imagery ({HUB_AERIAL})")
    if HUB_LANDCOVER_TASK not in shape.tasks:
        raise CheckpointError(
            f"this FLAIR-HUB model has no land-cover task ({HUB_LANDCOVER_TASK}), only "
            f"{', '.join(shape.tasks)}; this version runs models with land cover")
    order = [shape.tasks.index(HUB_LANDCOVER_TASK)] + [
        i for i, t in enumerate(shape.tasks) if t != HUB_LANDCOVER_TASK]
    tasks = tuple(shape.tasks[i] for i in order)
    task_classes = tuple(shape.task_classes[i] for i in order)
    if HUB_CROP_TASK in tasks and task_classes[tasks.index(HUB_CROP_TASK)] != len(LPIS_CLASSES):
        raise CheckpointError(f"the crop-type task has {task_classes[tasks.index(HUB_CROP_TASK)]}"
                              f" logits; FLAIR-HUB's has {len(LPIS_CLASSES)}")
    try:
        codes = hub_landcover_codes(task_classes[0])
    except ValueError as exc:
        raise CheckpointError(str(exc)) from None
    encoder = options.encoder or shape.encoder
    hinted = encoder_from_file_name(file_name)
    if encoder is None:
        if hinted and hinted.startswith("convnextv2"):
            encoder = hinted
        else:
            raise CheckpointError(
                "the backbone of these FLAIR-HUB weights cannot be named from their keys"
                + (f" (the file name says {hinted})" if hinted else "")
                + ": give its timm name (--encoder, e.g. convnextv2_base)")
    img_size = options.img_size
    if img_size is None and shape.window is not None:
        img_size = (_SWIN_DEFAULT_SIZE.get(shape.window, 0) if shape.decoder == "upernet"
                    else HUB_PATCH_SIZE)
    channels, means, stds, note = hub_aerial_input(file_name, shape.in_channels, options)
    bands = tuple(HUB_AERIAL_BANDS[c - 1] for c in channels)
    facts = [f"{encoder}-{shape.decoder}" + "".join(f" + U-TAE {s['modality']}"
                                                    for s in series),
             f"bands {','.join(bands)}", note,
             f"Swin tiles of {img_size} px" if img_size else ""]
    try:
        hub = HubMeta(decoder=shape.decoder, modality=modality, channels=channels,
                      img_size=int(img_size or 0), tasks=tasks, task_classes=task_classes,
                      series=series)
        return ModelMeta(architecture=HUB_ARCHITECTURE, in_channels=shape.in_channels,
                         bands=bands, means=means, stds=stds, logit_codes=codes,
                         encoder=encoder, tile_size=int(img_size or HUB_PATCH_SIZE),
                         hub=hub, source=f"{source} ({'; '.join(f for f in facts if f)})")
    except ValueError as exc:
        raise CheckpointError(f"these FLAIR-HUB weights cannot be described: {exc}") from None

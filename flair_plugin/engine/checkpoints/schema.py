"""Bounds on what a model description may say, checked before anything is built.

A model file's metadata is data from outside: a damaged or hostile file may say
``encoder_depth: 99``, ``pixel_size: "abc"`` or ``decoder_channels: [2000000]``. Every
field of :class:`~.meta.ModelMeta` and :class:`~.meta.TemporalMeta` is checked here for
its type and a range generous enough for any real model, so such a file is refused with
one line naming the field, instead of a traceback deep in the network's constructor or
gigabytes allocated for layers nobody trained. Which encoder names exist is for the
installed segmentation-models-pytorch to say (:func:`.factory.build_module` turns its
refusal into the same kind of message).

Pure Python (no torch): the toolbox reads descriptions without torch.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

MAX_WIDTH = 2048
"""Channels of any layer: smp's U-Net decoders use 16..256, FLAIR-2's U-TAE 32..128."""
MAX_TEXT = 10_000
"""Characters of a free text (the ``source`` line)."""
MAX_BANDS = 64
MAX_CLASSES = 256

_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def whole(name: str, value: Any, low: int, high: int) -> int:
    """``value`` as an int in ``low..high``.

    Raises:
        ValueError: not a whole number (a bool, a string, 2.5) or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"{name} must be {low}..{high}, got {value}")
    return int(value)


def number(name: str, value: Any, low: float = -math.inf, high: float = math.inf, *,
           above: bool = False) -> float:
    """``value`` as a finite float in ``low..high`` (``above``: strictly above ``low``).

    Raises:
        ValueError: not a number, not finite, or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value > high or value < low or (above and value <= low):
        bounds = [f"> {low:g}" if above else f">= {low:g}"] if math.isfinite(low) else []
        bounds += [f"<= {high:g}"] if math.isfinite(high) else []
        shown = f" {' and '.join(bounds)}" if bounds else ""
        raise ValueError(f"{name} must be a finite number{shown}, got {value}")
    return value


def flag(name: str, value: Any) -> bool:
    """``value`` as a bool (JSON true/false only).

    Raises:
        ValueError: anything else (a string "false" would read as true).
    """
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


def text(name: str, value: Any, pattern: Optional[re.Pattern] = None,
         limit: int = MAX_TEXT) -> str:
    """``value`` as a string of at most ``limit`` characters matching ``pattern``.

    Raises:
        ValueError: not a string, too long, or not of the expected form.
    """
    if not isinstance(value, str) or len(value) > limit:
        raise ValueError(f"{name} must be a text of at most {limit} characters, got "
                         f"{_shown(value)}")
    if pattern is not None and not pattern.match(value):
        raise ValueError(f"{name} {_shown(value)} is not a valid name")
    return value


def items(name: str, values: Any, limit: int) -> Tuple[Any, ...]:
    """``values`` as a tuple of at most ``limit`` entries (a JSON list).

    Raises:
        ValueError: not a list, or too long.
    """
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Sequence):
        raise ValueError(f"{name} must be a list, got {_shown(values)}")
    if len(values) > limit:
        raise ValueError(f"{name} has {len(values)} entries, more than {limit}")
    return tuple(values)


def wholes(name: str, values: Any, low: int, high: int, limit: int) -> Tuple[int, ...]:
    return tuple(whole(f"{name}[{i}]", v, low, high)
                 for i, v in enumerate(items(name, values, limit)))


def reals(name: str, values: Any, limit: int) -> Tuple[float, ...]:
    return tuple(number(f"{name}[{i}]", v) for i, v in enumerate(items(name, values, limit)))


def texts(name: str, values: Any, limit: int, pattern: Optional[re.Pattern] = None,
          length: int = 200) -> Tuple[str, ...]:
    return tuple(text(f"{name}[{i}]", v, pattern, length)
                 for i, v in enumerate(items(name, values, limit)))


def model_fields(meta: Any, max_bands: int) -> Dict[str, Any]:
    """The checked, normalised fields of a :class:`~.meta.ModelMeta` (temporal aside).

    Args:
        meta: the description as constructed (values straight from JSON or Python).
        max_bands: the aerial bands a model may take.

    Raises:
        ValueError: the first field out of its type or bounds, named.
    """
    depth = whole("encoder_depth", meta.encoder_depth, 1, 5)
    decoder = wholes("decoder_channels", meta.decoder_channels, 1, MAX_WIDTH, 5)
    if decoder and len(decoder) != depth:
        raise ValueError(f"decoder_channels has {len(decoder)} widths for encoder_depth "
                         f"{depth}: give one width per encoder stage, or none")
    return dict(
        in_channels=whole("in_channels", meta.in_channels, 1, max_bands),
        logit_codes=wholes("logit_codes", meta.logit_codes, 0, 255, MAX_CLASSES),
        bands=texts("bands", meta.bands, max_bands),
        means=reals("means", meta.means, max_bands),
        stds=reals("stds", meta.stds, max_bands),
        class_names=texts("class_names", meta.class_names, MAX_CLASSES),
        class_colours=texts("class_colours", meta.class_colours, MAX_CLASSES, _COLOUR),
        architecture=text("architecture", meta.architecture, _NAME),
        encoder=text("encoder", meta.encoder, _NAME),
        encoder_depth=depth, decoder_channels=decoder,
        metadata_mlp=flag("metadata_mlp", meta.metadata_mlp),
        pixel_size=number("pixel_size", meta.pixel_size, 0.0, 1000.0, above=True),
        tile_size=whole("tile_size", meta.tile_size, 8, 16384),
        source=text("source", meta.source),
        format_version=whole("format_version", meta.format_version, 1, 10 ** 6))


def temporal_fields(meta: Any) -> Dict[str, Any]:
    """The checked, normalised fields of a :class:`~.meta.TemporalMeta`.

    Args:
        meta: the Sentinel-2 branch's description as constructed.

    Raises:
        ValueError: the first field out of its type or bounds, named.
    """
    encoder = wholes("temporal.encoder_widths", meta.encoder_widths, 1, MAX_WIDTH, 8)
    decoder = wholes("temporal.decoder_widths", meta.decoder_widths, 1, MAX_WIDTH, 8)
    if len(encoder) < 2 or len(decoder) != len(encoder):
        raise ValueError(f"temporal.encoder_widths needs 2..8 widths and decoder_widths as "
                         f"many, got {len(encoder)} and {len(decoder)}")
    return dict(
        input_dim=whole("temporal.input_dim", meta.input_dim, 1, MAX_BANDS),
        encoder_widths=encoder, decoder_widths=decoder,
        out_conv_hidden=wholes("temporal.out_conv_hidden", meta.out_conv_hidden, 1,
                               MAX_WIDTH, 8),
        str_conv_k=whole("temporal.str_conv_k", meta.str_conv_k, 1, 16),
        str_conv_s=whole("temporal.str_conv_s", meta.str_conv_s, 1, 8),
        str_conv_p=whole("temporal.str_conv_p", meta.str_conv_p, 0, 16),
        agg_mode=text("temporal.agg_mode", meta.agg_mode, _NAME),
        encoder_norm=text("temporal.encoder_norm", meta.encoder_norm, _NAME),
        n_head=whole("temporal.n_head", meta.n_head, 1, 64),
        d_model=whole("temporal.d_model", meta.d_model, 1, 4096),
        d_k=whole("temporal.d_k", meta.d_k, 1, 1024),
        pad_value=number("temporal.pad_value", meta.pad_value),
        padding_mode=text("temporal.padding_mode", meta.padding_mode, _NAME),
        positional_period=number("temporal.positional_period", meta.positional_period, 0.0,
                                 1e9, above=True),
        crop_size=whole("temporal.crop_size", meta.crop_size, 1, 1024),
        sat_patch_size=whole("temporal.sat_patch_size", meta.sat_patch_size, 2, 1024),
        filter_clouds=flag("temporal.filter_clouds", meta.filter_clouds),
        cloud_probability=whole("temporal.cloud_probability", meta.cloud_probability, 0, 100),
        cover_fraction=number("temporal.cover_fraction", meta.cover_fraction, 0.0, 1.0,
                              above=True),
        monthly_mean=flag("temporal.monthly_mean", meta.monthly_mean),
        reference_date=text("temporal.reference_date", meta.reference_date, limit=10),
        bands=texts("temporal.bands", meta.bands, MAX_BANDS),
        means=reals("temporal.means", meta.means, MAX_BANDS),
        stds=reals("temporal.stds", meta.stds, MAX_BANDS))


def hub_fields(meta: Any) -> Dict[str, Any]:
    """The checked, normalised fields of a :class:`~.meta.HubMeta`.

    Args:
        meta: the FLAIR-HUB description as constructed.

    Raises:
        ValueError: the first field out of its type or bounds, named.
    """
    return dict(
        decoder=text("hub.decoder", meta.decoder, _NAME),
        modality=text("hub.modality", meta.modality, _NAME),
        channels=wholes("hub.channels", meta.channels, 1, MAX_BANDS, MAX_BANDS),
        img_size=whole("hub.img_size", meta.img_size, 0, 16384),
        tasks=texts("hub.tasks", meta.tasks, 16, _NAME, 64),
        task_classes=wholes("hub.task_classes", meta.task_classes, 1, MAX_CLASSES, 16),
        series=tuple(_series(f"hub.series[{i}]", s)
                     for i, s in enumerate(items("hub.series", meta.series, 3))))


def _series(name: str, value: Any) -> Dict[str, Any]:
    """One FLAIR-HUB series (its modality and U-TAE shape), checked field by field."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be a JSON object, got {_shown(value)}")
    need = ("modality", "input_dim", "encoder_widths", "decoder_widths", "out_conv",
            "str_conv_k", "str_conv_s", "str_conv_p", "agg_mode", "encoder_norm", "n_head",
            "d_model", "d_k", "pad_value", "padding_mode")
    missing = [k for k in need if k not in value]
    if missing:
        raise ValueError(f"{name} lacks {', '.join(missing)}")
    v = value
    return dict(
        modality=text(f"{name}.modality", v["modality"], _NAME),
        input_dim=whole(f"{name}.input_dim", v["input_dim"], 1, MAX_BANDS),
        encoder_widths=list(wholes(f"{name}.encoder_widths", v["encoder_widths"], 1,
                                   MAX_WIDTH, 8)),
        decoder_widths=list(wholes(f"{name}.decoder_widths", v["decoder_widths"], 1,
                                   MAX_WIDTH, 8)),
        out_conv=list(wholes(f"{name}.out_conv", v["out_conv"], 1, MAX_WIDTH, 8)),
        str_conv_k=whole(f"{name}.str_conv_k", v["str_conv_k"], 1, 16),
        str_conv_s=whole(f"{name}.str_conv_s", v["str_conv_s"], 1, 8),
        str_conv_p=whole(f"{name}.str_conv_p", v["str_conv_p"], 0, 16),
        agg_mode=text(f"{name}.agg_mode", v["agg_mode"], _NAME),
        encoder_norm=text(f"{name}.encoder_norm", v["encoder_norm"], _NAME),
        n_head=whole(f"{name}.n_head", v["n_head"], 1, 64),
        d_model=whole(f"{name}.d_model", v["d_model"], 1, 4096),
        d_k=whole(f"{name}.d_k", v["d_k"], 1, 1024),
        pad_value=number(f"{name}.pad_value", v["pad_value"]),
        padding_mode=text(f"{name}.padding_mode", v["padding_mode"], _NAME))


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."

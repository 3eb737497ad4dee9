"""What a checkpoint says about its model: bands, normalisation, classes, architecture.

A :class:`ModelMeta` travels inside every checkpoint we write (as JSON), so a model file
alone tells the inference which bands in which order it needs, how to normalise them,
and which FLAIR code each logit stands for. Wrong bands or normalisation were the most
common cause of garbage predictions with the official code.

A U-T&T (``architecture="flair-utt"``, FLAIR-2's aerial + Sentinel-2 model) also carries
a :class:`TemporalMeta`: the shape of its U-TAE branch and how its Sentinel-2 input was
prepared (crop size, cloud filter, monthly means, date reference, normalisation).

Pure Python (no torch): the toolbox can read and show a model's description cheaply.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ....models.hub_config import HUB_DECODERS, HUB_SERIES
from ....models.temporal_config import TemporalConfig
from ...nomenclature import (
    AERIAL_BANDS,
    FLAIR1_MEANS,
    FLAIR1_STDS,
    PATCH_SIZE,
    PIXEL_SIZE_M,
    SENTINEL2_BANDS,
    flair_class,
)
from ..errors import CheckpointError
from . import schema

FORMAT_VERSION = 1
"""Version of the metadata layout; bumped when a reader of version N could misread N+1."""

ARCHITECTURES: Tuple[str, ...] = ("flair-unet", "flair-utt", "flair-hub")
HUB_ARCHITECTURE = "flair-hub"
"""A FLAIR-HUB network (IGN, 2025): timm encoder, UPerNet/U-Net decoder per task."""

# FLAIR-2's Sentinel-2 preprocessing (IGNF/FLAIR-2 config and dataset code); the
# defaults of TemporalMeta and of engine.sentinel, kept here, in pure Python, once.
FLAIR2_SAT_PATCH_SIZE = 40
"""Side of the Sentinel-2 crop around a patch centroid, in 10 m pixels."""
FLAIR2_CLOUD_PROBABILITY = 60
"""A mask pixel counts as snow (cloud) when its snow (cloud) probability is >= this."""
FLAIR2_COVER_FRACTION = 0.5
"""A date is dropped when snow + cloud pixels make up >= this share of the crop."""
FLAIR2_REFERENCE_DATE = "2021-05-15"
"""Date positions are days from each date (year forced to this year) to this date."""

INACTIVE = 0
"""Logit code of a logit the model was not trained on (weight 0): never predicted."""


@dataclass(frozen=True)
class SeriesSettings:
    """How a Sentinel-2 series is prepared; FLAIR-2's best baseline by default.

    Declared once: a checkpoint's :class:`TemporalMeta` records these for its model, and
    the engine's ``data.sentinel.SeriesPreparation`` (which checks them) applies them.
    """

    sat_patch_size: int = FLAIR2_SAT_PATCH_SIZE
    filter_clouds: bool = True
    cloud_probability: int = FLAIR2_CLOUD_PROBABILITY
    cover_fraction: float = FLAIR2_COVER_FRACTION
    monthly_mean: bool = True
    reference_date: str = FLAIR2_REFERENCE_DATE


@dataclass(frozen=True)
class TemporalMeta(TemporalConfig, SeriesSettings):
    """The Sentinel-2 branch of a U-T&T: U-TAE shape and Sentinel-2 preprocessing.

    Architecture fields carry the names of ``models.utt.TemporalConfig`` (FLAIR-2's
    U-TAE: widths [64, 64, 128, 128], 16 heads, d_model 256, ...). Data fields say how a
    series must be prepared for this model (``engine.sentinel``): ``bands`` in order,
    ``means``/``stds`` applied as ``(x - mean) / std`` to the prepared series (empty: 0
    and 1, FLAIR-2's raw reflectance after monthly means), the crop side
    ``sat_patch_size``, the cloud/snow date filter, monthly means, and the reference date
    of the date positions. A FLAIR-2 model trained *without* monthly means saw its
    integer series through scikit-image's ``img_as_float`` (recent versions: int16 as
    ``(x + 0.5) / 32767.5``, i.e. means -0.5 and stds 32767.5; uint16 as ``x / 65535``).
    """

    bands: Tuple[str, ...] = ()
    means: Tuple[float, ...] = ()
    stds: Tuple[float, ...] = ()

    def __post_init__(self) -> None:
        for name, value in schema.temporal_fields(self).items():  # types and bounds first
            self._set(name, value)
        super().__post_init__()
        n = int(self.input_dim)
        set_ = self._set
        set_("bands", tuple(self.bands) or _default_s2_bands(n))
        set_("means", _floats(self.means) or (0.0,) * n)
        set_("stds", _floats(self.stds) or (1.0,) * n)
        self._check()

    @property
    def stride(self) -> int:
        """Sentinel-2 crops must be multiples of this (one halving per U-TAE stage)."""
        return 2 ** (len(self.encoder_widths) - 1)

    def to_dict(self) -> Dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TemporalMeta":
        """Read :meth:`to_dict`'s output; unknown keys (from a newer plugin) are ignored."""
        if not isinstance(data, Mapping):
            raise ValueError(f"the temporal branch description must be a JSON object, got "
                             f"{type(data).__name__}")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def _check(self) -> None:
        n = self.input_dim
        if len(self.bands) != n or len(self.means) != n or len(self.stds) != n:
            raise ValueError(f"a {n}-band Sentinel-2 branch needs {n} bands, means and stds; "
                             f"got {len(self.bands)}, {len(self.means)} and {len(self.stds)}")
        if any(b not in SENTINEL2_BANDS for b in self.bands) or len(set(self.bands)) != n:
            raise ValueError(f"Sentinel-2 bands {self.bands} must be distinct names among "
                             f"{', '.join(SENTINEL2_BANDS)}")
        if not all(math.isfinite(v) for v in self.means + self.stds) or \
                any(v <= 0 for v in self.stds):
            raise ValueError(f"Sentinel-2 means and stds must be finite, stds > 0; got "
                             f"{self.means} and {self.stds}")
        size, stride = self.sat_patch_size, self.stride
        if size % stride or size // stride < 2 or size < self.crop_size:
            raise ValueError(f"sat_patch_size {size} must be a multiple of {stride} (one "
                             f"halving per U-TAE stage), at least {2 * stride} and at least "
                             f"the fusion crop ({self.crop_size})")
        if not 0 <= self.cloud_probability <= 100 or not 0 < self.cover_fraction <= 1:
            raise ValueError(f"cloud_probability must be 0..100 and cover_fraction in (0, 1], "
                             f"got {self.cloud_probability} and {self.cover_fraction}")
        try:
            dt.date.fromisoformat(self.reference_date)
        except (TypeError, ValueError):
            raise ValueError(f"reference_date must be YYYY-MM-DD, got "
                             f"{self.reference_date!r}") from None

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)


@dataclass(frozen=True)
class HubMeta:
    """What a FLAIR-HUB model (``architecture="flair-hub"``) adds to a :class:`ModelMeta`.

    ``decoder`` is ``upernet`` or ``unet`` (the encoder's timm name is
    ``ModelMeta.encoder``); ``modality`` the FLAIR-HUB key of its input (``AERIAL_RGBI``);
    ``channels`` the 1-based bands FLAIR-HUB reads from that modality's raster, in model
    order (``(4, 1, 2)``: NIR, R, G of an RGBI raster), the default band choice of a run;
    ``img_size`` the one input side the encoder takes (Swin with UPerNet: timm's default,
    224 or 384), 0 for any multiple of 32; ``tasks``/``task_classes`` each main
    decoder's FLAIR-HUB task key and logit count, the land-cover task first (the
    model's ``logit_codes`` describe it).
    """

    decoder: str = "upernet"
    modality: str = "AERIAL_RGBI"
    channels: Tuple[int, ...] = ()
    img_size: int = 0
    tasks: Tuple[str, ...] = ("AERIAL_LABEL-COSIA",)
    task_classes: Tuple[int, ...] = (19,)
    series: Tuple[Dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        for name, value in schema.hub_fields(self).items():
            object.__setattr__(self, name, value)
        unknown = [s["modality"] for s in self.series if s["modality"] not in HUB_SERIES]
        if unknown:
            raise ValueError(f"hub.series names {unknown}; FLAIR-HUB's series are "
                             f"{', '.join(HUB_SERIES)}")
        if len(self.tasks) != len(self.task_classes) or not self.tasks:
            raise ValueError(f"hub.tasks and hub.task_classes need one entry per task, got "
                             f"{len(self.tasks)} and {len(self.task_classes)}")
        if len(set(self.tasks)) != len(self.tasks):
            raise ValueError(f"hub.tasks repeats a task: {self.tasks}")
        if self.decoder not in HUB_DECODERS:
            raise ValueError(f"hub.decoder must be one of {', '.join(HUB_DECODERS)}, got "
                             f"{self.decoder!r}")
        if self.img_size % 32:
            raise ValueError(f"hub.img_size must be a multiple of 32 (0: any), got "
                             f"{self.img_size}")

    def to_dict(self) -> Dict[str, Any]:
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        out["series"] = [dict(s) for s in self.series]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "HubMeta":
        """Read :meth:`to_dict`'s output; unknown keys (a newer plugin's) are ignored."""
        if not isinstance(data, Mapping):
            raise ValueError(f"the FLAIR-HUB description must be a JSON object, got "
                             f"{type(data).__name__}")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def classes_of(self, task: str) -> int:
        return self.task_classes[self.tasks.index(task)]

    @property
    def series_modalities(self) -> Tuple[str, ...]:
        """The time-series modalities the model also takes (FLAIR-HUB's order)."""
        return tuple(s["modality"] for s in self.series)

    def series_shapes(self) -> List[Tuple[str, Dict[str, Any]]]:
        """(modality, U-TAE keyword arguments) of each series, for the network."""
        return [(s["modality"], {k: v for k, v in s.items() if k != "modality"})
                for s in self.series]


def hub_series_modalities() -> Tuple[str, ...]:
    """FLAIR-HUB's time-series modalities (Sentinel-2, Sentinel-1 ascending/descending)."""
    return HUB_SERIES


@dataclass(frozen=True)
class ModelMeta:
    """Self-description of a FLAIR model, stored as JSON inside the checkpoint.

    ``means``/``stds`` apply to raw 0..255 band values: ``(x - mean) / std``; left empty
    they default to FLAIR-1 main's values for the named bands. ``logit_codes`` holds the
    FLAIR code of each logit (0 = inactive: the inference never predicts it).
    ``class_names``/``class_colours`` follow :attr:`active_codes` and default to the
    nomenclature's; they are stored so the file describes itself. ``decoder_channels``
    left empty means smp's default widths for ``encoder_depth``. ``pixel_size`` is the
    training resolution in metres, ``tile_size`` the training patch side in pixels.
    ``temporal`` describes the Sentinel-2 branch of a ``"flair-utt"`` model (None for a
    U-Net); ``bands``/``means``/``stds`` always describe the aerial input.
    """

    in_channels: int
    logit_codes: Tuple[int, ...]
    bands: Tuple[str, ...] = ()
    means: Tuple[float, ...] = ()
    stds: Tuple[float, ...] = ()
    class_names: Tuple[str, ...] = ()
    class_colours: Tuple[str, ...] = ()
    architecture: str = "flair-unet"
    encoder: str = "resnet34"
    encoder_depth: int = 5
    decoder_channels: Tuple[int, ...] = ()
    metadata_mlp: bool = False
    pixel_size: float = PIXEL_SIZE_M
    tile_size: int = PATCH_SIZE
    source: str = ""
    temporal: Optional[TemporalMeta] = None
    hub: Optional[HubMeta] = None
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        for name, value in schema.model_fields(self, len(AERIAL_BANDS)).items():
            self._set(name, value)  # types and bounds first: a file's JSON is untrusted
        self._set_temporal()
        self._set_hub()
        self._set("logit_codes", tuple(int(c) for c in self.logit_codes))
        self._set("bands", tuple(self.bands) or _default_bands(self.in_channels))
        self._set("means", _floats(self.means) or _flair1_values(self.bands, FLAIR1_MEANS))
        self._set("stds", _floats(self.stds) or _flair1_values(self.bands, FLAIR1_STDS))
        self._set("decoder_channels", tuple(int(c) for c in self.decoder_channels))
        self._check()
        active = self.active_codes
        self._set("class_names", tuple(self.class_names)
                  or tuple(flair_class(c).name for c in active))
        self._set("class_colours", tuple(self.class_colours)
                  or tuple(flair_class(c).colour for c in active))
        if len(self.class_names) != len(active) or len(self.class_colours) != len(active):
            raise ValueError(f"class_names and class_colours need one entry per active code "
                             f"({len(active)}: {active}), got {len(self.class_names)} and "
                             f"{len(self.class_colours)}")

    # ------------------------------------------------------------------ derived views
    @property
    def num_logits(self) -> int:
        return len(self.logit_codes)

    @property
    def active_codes(self) -> Tuple[int, ...]:
        """FLAIR codes the model can predict, in logit order."""
        return tuple(c for c in self.logit_codes if c != INACTIVE)

    @property
    def active_logits(self) -> Tuple[int, ...]:
        """Indices of the logits the inference may pick (their codes are active_codes)."""
        return tuple(i for i, c in enumerate(self.logit_codes) if c != INACTIVE)

    @property
    def uses_sentinel(self) -> bool:
        """Whether the model also needs a Sentinel-2 series (a U-T&T)."""
        return self.temporal is not None

    def classes(self) -> List[Tuple[int, str, str]]:
        """(code, name, colour) of each active class, for legends and reports."""
        return list(zip(self.active_codes, self.class_names, self.class_colours))

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> Dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        out = asdict(self)
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}
        if self.temporal is None:
            del out["temporal"]  # U-Net files stay as they were before U-T&T existed
        else:
            out["temporal"] = self.temporal.to_dict()
        if self.hub is None:
            del out["hub"]
        else:
            out["hub"] = self.hub.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ModelMeta":
        """Read what :meth:`to_dict` wrote; a file from a newer version is refused."""
        version = data.get("format_version", FORMAT_VERSION)
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise CheckpointError(f"this model file uses metadata format {version!r}, newer "
                                  f"than this plugin reads ({FORMAT_VERSION}): update the "
                                  f"FLAIR Land Cover plugin")
        known = {f.name for f in fields(cls)}
        missing = [k for k in ("in_channels", "logit_codes") if k not in data]
        if missing:
            raise CheckpointError(f"model metadata lacks {', '.join(missing)}")
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"model metadata is invalid: {exc}") from exc

    # ------------------------------------------------------------------ checks
    def _check(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.architecture!r}; known: "
                             f"{', '.join(ARCHITECTURES)}")
        n = self.in_channels
        if len(self.bands) != n or len(self.means) != n or len(self.stds) != n:
            raise ValueError(f"{n} input channels need {n} bands, means and stds; got "
                             f"{len(self.bands)}, {len(self.means)} and {len(self.stds)}")
        unknown = [b for b in self.bands if b not in AERIAL_BANDS]
        if unknown or len(set(self.bands)) != n:
            raise ValueError(f"bands {self.bands} must be distinct names among "
                             f"{', '.join(AERIAL_BANDS)}")
        if not all(math.isfinite(v) for v in self.means + self.stds):
            raise ValueError(f"means and stds must be finite numbers, got {self.means} and "
                             f"{self.stds}")
        if any(s <= 0 for s in self.stds):
            raise ValueError(f"stds must be > 0, got {self.stds}")
        active = self.active_codes
        if not active:
            raise ValueError("logit_codes has no active code: the model could predict nothing")
        if len(set(active)) != len(active):
            raise ValueError(f"logit_codes repeats a code: {self.logit_codes}")
        for code in active:
            flair_class(code)  # raises for a code outside 1..19

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)  # frozen dataclass: normalise once, here

    def _set_hub(self) -> None:
        hub = self.hub
        if isinstance(hub, Mapping):  # read from JSON
            hub = HubMeta.from_dict(hub)
        if self.architecture == HUB_ARCHITECTURE and hub is None:
            hub = HubMeta()
        if hub is not None and not isinstance(hub, HubMeta):
            raise ValueError(f"hub must be a HubMeta, got {type(hub).__name__}")
        if hub is not None and self.architecture != HUB_ARCHITECTURE:
            raise ValueError(f"a {self.architecture} model is not a FLAIR-HUB model: `hub` "
                             f"only goes with architecture {HUB_ARCHITECTURE!r}")
        if hub is not None:
            if hub.task_classes[0] != len(self.logit_codes):
                raise ValueError(f"the land-cover task {hub.tasks[0]} has {hub.task_classes[0]} "
                                 f"logits but logit_codes has {len(self.logit_codes)}")
            if hub.channels and len(hub.channels) != self.in_channels:
                raise ValueError(f"hub.channels {hub.channels} must name {self.in_channels} "
                                 f"bands, one per input channel")
        self._set("hub", hub)

    def _set_temporal(self) -> None:
        temporal = self.temporal
        if isinstance(temporal, Mapping):  # read from JSON
            temporal = TemporalMeta.from_dict(temporal)
        if self.architecture == "flair-utt" and temporal is None:
            temporal = TemporalMeta()
        if temporal is not None and not isinstance(temporal, TemporalMeta):
            raise ValueError(f"temporal must be a TemporalMeta, got {type(temporal).__name__}")
        if temporal is not None and self.architecture != "flair-utt":
            raise ValueError(f"a {self.architecture} model has no Sentinel-2 branch: "
                             f"`temporal` only goes with architecture 'flair-utt'")
        self._set("temporal", temporal)


def _floats(values: Sequence[float]) -> Tuple[float, ...]:
    return tuple(float(v) for v in values)


def _default_s2_bands(count: int) -> Tuple[str, ...]:
    if count != len(SENTINEL2_BANDS):
        raise ValueError(f"a Sentinel-2 branch with {count} input bands needs explicit band "
                         f"names (the default is FLAIR-2's {len(SENTINEL2_BANDS)}: "
                         f"{', '.join(SENTINEL2_BANDS)})")
    return SENTINEL2_BANDS


def _default_bands(in_channels: int) -> Tuple[str, ...]:
    """FLAIR band order: the first 3, 4 or 5 of R, G, B, NIR, elevation."""
    if not 1 <= in_channels <= len(AERIAL_BANDS):
        raise ValueError(f"a model with {in_channels} input channels needs explicit band "
                         f"names (defaults cover 1..{len(AERIAL_BANDS)}: "
                         f"{', '.join(AERIAL_BANDS)})")
    return AERIAL_BANDS[:in_channels]


def _flair1_values(bands: Sequence[str], table: Sequence[float]) -> Tuple[float, ...]:
    """FLAIR-1 main's normalisation value of each named band."""
    return tuple(table[AERIAL_BANDS.index(b)] if b in AERIAL_BANDS else float("nan")
                 for b in bands)

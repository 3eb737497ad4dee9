"""What a checkpoint says about its model: bands, normalisation, classes, architecture.

A :class:`ModelMeta` travels inside every checkpoint we write (as JSON), so a model file
alone tells the inference which bands in which order it needs, how to normalise them,
and which FLAIR code each logit stands for. Wrong bands or normalisation were the most
common cause of garbage predictions with the official code.

Pure Python (no torch): the toolbox can read and show a model's description cheaply.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from ..nomenclature import (AERIAL_BANDS, FLAIR1_MEANS, FLAIR1_STDS, PATCH_SIZE, PIXEL_SIZE_M,
                            flair_class)

FORMAT_VERSION = 1
"""Version of the metadata layout; bumped when a reader of version N could misread N+1."""

ARCHITECTURES: Tuple[str, ...] = ("flair-unet",)

INACTIVE = 0
"""Logit code of a logit the model was not trained on (weight 0): never predicted."""


class CheckpointError(ValueError):
    """A model file that cannot be used, with a message that says why and what to do.

    The one error the checkpoint functions raise, so callers (QGIS algorithms, the
    headless command) can show its message to the user as it is.
    """


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
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
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

    def classes(self) -> List[Tuple[int, str, str]]:
        """(code, name, colour) of each active class, for legends and reports."""
        return list(zip(self.active_codes, self.class_names, self.class_colours))

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> Dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        out = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

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


def _floats(values: Sequence[float]) -> Tuple[float, ...]:
    return tuple(float(v) for v in values)


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

"""The shape of the U-T&T's temporal branch (U-TAE) and fusion, without torch.

Kept apart from :mod:`.utt` so that the checkpoint metadata (``engine.checkpoints.meta``), which
must load without torch, extends this one definition instead of repeating it.
"""

from dataclasses import dataclass
from typing import Tuple


@dataclass(frozen=True)
class TemporalConfig:
    """Shape of the U-TAE branch and of the fusion; FLAIR-2's values by default.

    ``out_conv_hidden`` are the U-TAE output convolution's widths before the class
    count (FLAIR-2: ``out_conv = [32, n_classes]``). ``crop_size``: side, in Sentinel-2
    pixels, of the centre crop standing for the aerial patch (512 × 0.2 m ≈ 10 × 10 m).
    """

    input_dim: int = 10
    encoder_widths: Tuple[int, ...] = (64, 64, 128, 128)
    decoder_widths: Tuple[int, ...] = (64, 64, 128, 128)
    out_conv_hidden: Tuple[int, ...] = (32,)
    str_conv_k: int = 4
    str_conv_s: int = 2
    str_conv_p: int = 1
    agg_mode: str = "att_group"
    encoder_norm: str = "group"
    n_head: int = 16
    d_model: int = 256
    d_k: int = 4
    pad_value: float = 0.0
    padding_mode: str = "reflect"
    positional_period: float = 1000.0
    crop_size: int = 10

    def __post_init__(self) -> None:
        for name in ("encoder_widths", "decoder_widths", "out_conv_hidden"):
            object.__setattr__(self, name, tuple(int(v) for v in getattr(self, name)))

"""The FLAIR U-Net: a segmentation-models-pytorch U-Net with FLAIR-1's optional metadata MLP.

The smp model lives in the attribute ``seg_model`` so our state-dict keys
(``seg_model.encoder...``) are FLAIR-INC's and FLAIR-1's keys (``model.seg_model...``)
without their ``model.`` prefix: importing those weights is a rename, not a conversion.

Metadata fusion, as FLAIR-1 does it (read from IGNF/FLAIR-1, ``SMP_Unet_meta``):
the MLP turns the 45-value metadata encoding into a 16-vector ``v`` that is added to the
deepest encoder feature map (N×512×16×16 for resnet34 on a 512 px tile). FLAIR-1 lays
``v`` out along the *height* axis: ``feature[n, c, i, j] += v[n, i]`` for every channel
``c`` and column ``j``. It only works because that map happens to be 16 rows high. We
keep exactly that layout, so FLAIR-1 metadata weights give the same logits on 512 px
tiles; on other tile sizes the 16 values are resized along the height to the map's
rows (averaged when the map is smaller, repeated when larger), which is the natural
extension of "value i belongs to row band i" and needs no new weights.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .metadata_encoding import METADATA_DIM

DEFAULT_DECODER_CHANNELS: Tuple[int, ...] = (256, 128, 64, 32, 16)
"""smp's U-Net decoder widths; a depth-d encoder uses the first d of them."""

METADATA_FEATURES = 16
"""Width of the metadata MLP's output, and the row count FLAIR-1 expects it to cover."""


def default_decoder_channels(encoder_depth: int) -> Tuple[int, ...]:
    """smp's default decoder widths for an encoder of ``encoder_depth`` stages."""
    if not 1 <= encoder_depth <= len(DEFAULT_DECODER_CHANNELS):
        raise ValueError(f"encoder_depth must be 1..{len(DEFAULT_DECODER_CHANNELS)}, "
                         f"got {encoder_depth}")
    return DEFAULT_DECODER_CHANNELS[:encoder_depth]


class MetadataMLP(nn.Sequential):
    """45 metadata values -> 16 features (FLAIR-1: 45 -> 64 -> 32 -> 16, dropout 0.4, ReLU).

    Linear layers sit at indices 0, 3 and 6, as in FLAIR-1's ``enc_mlp``, so imported
    weights map one to one (ReLU and dropout commute, so their order does not matter).
    """

    def __init__(self, in_features: int = METADATA_DIM, dropout: float = 0.4) -> None:
        widths = (in_features, 64, 32, METADATA_FEATURES)
        layers = []
        for fan_in, fan_out in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(fan_in, fan_out), nn.Dropout(dropout), nn.ReLU()]
        super().__init__(*layers)


class FlairUNet(nn.Module):
    """U-Net (smp) for FLAIR aerial patches, optionally fed with patch metadata.

    ``forward(x, metadata=None)`` takes N×C×H×W normalised imagery and returns N×K×H×W
    logits. Any H, W work (smp resizes in the decoder), but multiples of the encoder's
    stride (32 at depth 5) keep every stage aligned, as in training.
    """

    def __init__(self, in_channels: int, num_classes: int, encoder: str = "resnet34",
                 metadata_mlp: bool = False, encoder_depth: int = 5,
                 decoder_channels: Optional[Sequence[int]] = None) -> None:
        super().__init__()
        import segmentation_models_pytorch as smp  # heavy: only when a model is built

        if in_channels < 1 or num_classes < 1:
            raise ValueError(f"in_channels and num_classes must be >= 1, got {in_channels} "
                             f"and {num_classes}")
        if decoder_channels is None:
            decoder_channels = default_decoder_channels(encoder_depth)
        self.seg_model = smp.Unet(encoder_name=encoder, encoder_weights=None,
                                  encoder_depth=encoder_depth,
                                  decoder_channels=tuple(decoder_channels),
                                  in_channels=in_channels, classes=num_classes)
        self.metadata_mlp = MetadataMLP() if metadata_mlp else None
        self.in_channels = in_channels
        self.num_classes = num_classes

    @property
    def uses_metadata(self) -> bool:
        return self.metadata_mlp is not None

    def forward(self, x: torch.Tensor, metadata: Optional[torch.Tensor] = None) -> torch.Tensor:
        if self.metadata_mlp is None:
            return self.seg_model(x)
        if metadata is None:
            raise ValueError("this model was trained with patch metadata: pass `metadata`, "
                             f"an N×{METADATA_DIM} tensor (see models.metadata_encoding)")
        if metadata.shape != (x.shape[0], METADATA_DIM):
            raise ValueError(f"metadata must be N×{METADATA_DIM} with N = {x.shape[0]}, got "
                             f"{tuple(metadata.shape)}")
        self.seg_model.check_input_shape(x)
        features = self.seg_model.encoder(x)
        deepest = features[-1]
        vector = self.metadata_mlp(metadata.to(deepest.dtype))
        features = list(features)
        features[-1] = deepest + metadata_feature_map(vector, deepest.shape)
        return self.seg_model.segmentation_head(self.seg_model.decoder(features))


def metadata_feature_map(vector: torch.Tensor, shape: Sequence[int]) -> torch.Tensor:
    """Lay an N×16 vector out over an N×C×H×W map as FLAIR-1 does: value i on row i.

    Every channel and column gets the same value; see the module docstring for why rows,
    and how heights other than 16 are handled.
    """
    n, channels, height, width = shape
    column = vector[:, None, :, None]  # N×1×16×1
    if height != column.shape[2]:
        mode = "area" if height < column.shape[2] else "nearest"
        column = F.interpolate(column, size=(height, 1), mode=mode)
    return column.expand(n, channels, height, width)

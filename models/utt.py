"""U-T&T, FLAIR-2's aerial + Sentinel-2 model: a U-Net fed with a U-TAE's embedding.

Two branches (read from IGNF/FLAIR-2's ``TimeTexture_flair``; our own code):

* spatial: the FLAIR U-Net (:class:`~.unet.FlairUNet`, smp resnet34) on the aerial patch;
* temporal: :class:`~.utae.UTAE` on the Sentinel-2 series cropped around the patch
  (40×40 px at 10 m = 400 m, the patch itself covers ≈ 10.24 px in the middle).

Fusion: the U-TAE's last decoder map L (B×64×40×40) becomes one map per U-Net encoder
stage, added to that stage before the U-Net decoder:

* "cropped": L centre-cropped to 10×10 (the patch footprint), a 1×1 convolution to the
  stage's width, bilinear resize to the stage's size;
* "collapsed": L averaged over space, a 3-layer MLP (dropout 0.3) to the stage's width,
  broadcast over the stage.

An auxiliary head classifies the same 10×10 crop (1×1 convolution), upsampled (nearest)
to the aerial size, so the U-TAE gets its own loss (:class:`UTTLoss`).

Differences from the reference, and why:

* The reference's "collapsed" branch averages the first sample of the batch only and
  gives that vector to every sample (``fmaps[-1][0]``); we use each sample's own. Same
  result at batch size 1, which is how FLAIR-2 predicted.
* The auxiliary head is applied before the upsampling (a 1×1 convolution commutes with
  nearest upsampling: same values, 2600× less work on a 512 px patch) and upsamples to
  the aerial input's size instead of a fixed 512.
* Dropping the U-TAE branch at random (``fusion_drop_prob``, FLAIR-2's
  ``drop_utae_modality``) only happens in training mode.

The attribute names differ from FLAIR-2's (``unet``/``utae``/``fusion_cropped``/
``fusion_collapsed``/``sat_head`` for ``arch_vhr``/``arch_hr``/``fm_utae_featmap_*``/
``reshape_utae_output``); ``flair_plugin.engine.checkpoints.importers`` maps one onto the other.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .metadata_encoding import METADATA_DIM
from .temporal_config import TemporalConfig
from .unet import METADATA_FEATURES, FlairUNet, metadata_feature_map
from .utae import UTAE


class Flair2MetadataMLP(nn.Sequential):
    """FLAIR-2's aerial metadata MLP: 45 -> 64 -> 32 -> 16, dropout 0.5, ReLU between.

    Unlike FLAIR-1's (:class:`~.unet.MetadataMLP`) the last layer has no ReLU; the
    Linear layers sit at the same indices 0, 3, 6. Its 16 outputs are laid out over the
    deepest U-Net map as FLAIR-1 does (value i on row i, :func:`~.unet.metadata_feature_map`).
    """

    def __init__(self, in_features: int = METADATA_DIM, dropout: float = 0.5) -> None:
        super().__init__(nn.Linear(in_features, 64), nn.Dropout(dropout), nn.ReLU(),
                         nn.Linear(64, 32), nn.Dropout(dropout), nn.ReLU(),
                         nn.Linear(32, METADATA_FEATURES))


class CroppedFusion(nn.Module):
    """1×1 convolution per U-Net stage, then bilinear resize to the stage's size."""

    def __init__(self, in_channels: int, stage_channels: Sequence[int]) -> None:
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(in_channels, c, kernel_size=1)
                                   for c in stage_channels)

    def forward(self, crop: torch.Tensor, sizes: Sequence[Tuple[int, int]]) -> List[torch.Tensor]:
        return [F.interpolate(conv(crop), size=tuple(size), mode="bilinear", align_corners=False)
                for conv, size in zip(self.convs, sizes)]


def collapsed_mlp_widths(in_channels: int, out_channels: int) -> Tuple[int, int, int, int]:
    """FLAIR-2's widths for the 3-layer MLP from ``in`` to ``out`` channels.

    Equal widths go through 2·in; otherwise the two hidden widths step a third of the
    way each (rounded down), so imported weights have the shapes they were trained with.
    """
    if in_channels == out_channels:
        return in_channels, 2 * in_channels, 2 * in_channels, out_channels
    step = abs(in_channels - out_channels) // 3
    sign = 1 if out_channels > in_channels else -1
    return (in_channels, in_channels + sign * step, in_channels + 2 * sign * step,
            out_channels)


class CollapsedFusion(nn.Module):
    """One MLP per U-Net stage from the spatially averaged U-TAE map, broadcast over the stage.

    Linear layers at indices 0, 3, 6 of each Sequential (as in FLAIR-2's weights).
    """

    def __init__(self, in_channels: int, stage_channels: Sequence[int],
                 dropout: float = 0.3) -> None:
        super().__init__()
        mlps = []
        for channels in stage_channels:
            widths = collapsed_mlp_widths(in_channels, channels)
            layers: List[nn.Module] = []
            for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
                layers.append(nn.Linear(fan_in, fan_out))
                if i < 2:
                    layers += [nn.Dropout(dropout), nn.ReLU()]
            mlps.append(nn.Sequential(*layers))
        self.mlps = nn.ModuleList(mlps)

    def forward(self, vector: torch.Tensor,
                sizes: Sequence[Tuple[int, int]]) -> List[torch.Tensor]:
        out = []
        for mlp, (h, w) in zip(self.mlps, sizes):
            values = mlp(vector)
            out.append(values[:, :, None, None].expand(-1, -1, h, w))
        return out


def centre_crop(x: torch.Tensor, size: int) -> torch.Tensor:
    """The central size×size window of a …×H×W tensor (torchvision's CenterCrop offsets)."""
    h, w = x.shape[-2:]
    if h < size or w < size:
        raise ValueError(f"cannot centre-crop {size}×{size} from a {h}×{w} map: the "
                         f"Sentinel-2 crop must be at least {size} pixels wide")
    top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    return x[..., top:top + size, left:left + size]


class FlairUTT(nn.Module):
    """U-T&T: ``forward(aerial, sentinel, dates)`` -> (aerial logits, satellite logits).

    ``aerial``: B×C×H×W normalised imagery (H, W multiples of 32 at encoder depth 5);
    ``sentinel``: B×T×10×S×S series (S a multiple of ``self.utae.stride``, 8 for
    FLAIR-2's U-TAE, and ≥ ``crop_size``), zero-padded in T; ``dates``: B×T day offsets
    (see ``flair_plugin.engine.data.sentinel``); ``pad_mask`` (B×T, True = padding)
    defaults to the all-``pad_value`` dates. Both outputs are B×n_classes×H×W.
    """

    def __init__(self, in_channels_aerial: int = 5, n_classes: int = 13,
                 encoder: str = "resnet34", encoder_depth: int = 5,
                 decoder_channels: Optional[Sequence[int]] = None, metadata_mlp: bool = False,
                 temporal: Optional[TemporalConfig] = None, fusion_dropout: float = 0.3,
                 ltae_dropout: float = 0.2, fusion_drop_prob: float = 0.0) -> None:
        super().__init__()
        temporal = temporal or TemporalConfig()
        if not 0.0 <= fusion_drop_prob <= 1.0:
            raise ValueError(f"fusion_drop_prob must be in 0..1, got {fusion_drop_prob}")
        self.temporal = temporal
        self.fusion_drop_prob = fusion_drop_prob
        self.unet = FlairUNet(in_channels_aerial, n_classes, encoder=encoder,
                              encoder_depth=encoder_depth, decoder_channels=decoder_channels)
        if metadata_mlp:
            self.unet.metadata_mlp = Flair2MetadataMLP()
        t = temporal
        self.utae = UTAE(input_dim=t.input_dim, encoder_widths=t.encoder_widths,
                         decoder_widths=t.decoder_widths,
                         out_conv=(*t.out_conv_hidden, n_classes), str_conv_k=t.str_conv_k,
                         str_conv_s=t.str_conv_s, str_conv_p=t.str_conv_p,
                         agg_mode=t.agg_mode, encoder_norm=t.encoder_norm, n_head=t.n_head,
                         d_model=t.d_model, d_k=t.d_k, pad_value=t.pad_value,
                         padding_mode=t.padding_mode, return_maps=True,
                         positional_period=t.positional_period, dropout=ltae_dropout)
        fused_width = t.decoder_widths[0]  # channels of the U-TAE's last decoder map
        stages = list(self.unet.seg_model.encoder.out_channels)
        self.fusion_cropped = CroppedFusion(fused_width, stages)
        self.fusion_collapsed = CollapsedFusion(fused_width, stages, dropout=fusion_dropout)
        self.sat_head = nn.Conv2d(fused_width, n_classes, kernel_size=1)
        self.in_channels = in_channels_aerial
        self.num_classes = n_classes
        self._freeze_unused()

    def _freeze_unused(self) -> None:
        """Freeze the weights FLAIR-2's layout has but no output depends on.

        They stay (imported weights keep their shapes) but get no gradient anyway: the
        U-TAE's own output convolution (U-T&T uses its decoder map, not its scores) and
        the fusion into stage 0, the aerial input itself, which smp's U-Net decoder only
        reads the size of. Frozen, DistributedDataParallel does not wait for their
        gradients (no ``find_unused_parameters`` needed).
        """
        for module in (self.utae.out_conv, self.fusion_cropped.convs[0],
                       self.fusion_collapsed.mlps[0]):
            module.requires_grad_(False)

    @property
    def uses_metadata(self) -> bool:
        return self.unet.metadata_mlp is not None

    def forward(self, aerial: torch.Tensor, sentinel: torch.Tensor, dates: torch.Tensor,
                metadata: Optional[torch.Tensor] = None,
                pad_mask: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        self._check_inputs(aerial, sentinel, metadata)
        last = self.utae.feature_maps(sentinel, dates, pad_mask)[-1]
        crop = centre_crop(last, self.temporal.crop_size)
        seg = self.unet.seg_model
        features = list(seg.encoder(aerial))
        if self.unet.metadata_mlp is not None:
            vector = self.unet.metadata_mlp(metadata.to(features[-1].dtype))
            features[-1] = features[-1] + metadata_feature_map(vector, features[-1].shape)
        if not self._drop_fusion():
            sizes = [tuple(f.shape[-2:]) for f in features]
            cropped = self.fusion_cropped(crop, sizes)
            collapsed = self.fusion_collapsed(last.mean(dim=(-2, -1)), sizes)
            features = [f + (a + b) for f, a, b in zip(features, cropped, collapsed)]
        aerial_logits = seg.segmentation_head(seg.decoder(features))
        sat_logits = F.interpolate(self.sat_head(crop), size=tuple(aerial.shape[-2:]),
                                   mode="nearest")
        return aerial_logits, sat_logits

    def _drop_fusion(self) -> bool:
        if not self.training or self.fusion_drop_prob <= 0:
            return False
        return bool(torch.rand(()) < self.fusion_drop_prob)

    def _check_inputs(self, aerial: torch.Tensor, sentinel: torch.Tensor,
                      metadata: Optional[torch.Tensor]) -> None:
        if aerial.dim() != 4 or aerial.shape[1] != self.in_channels:
            raise ValueError(f"aerial must be B×{self.in_channels}×H×W, got "
                             f"{tuple(aerial.shape)}")
        if sentinel.dim() != 5 or sentinel.shape[0] != aerial.shape[0] \
                or sentinel.shape[2] != self.temporal.input_dim:
            raise ValueError(f"sentinel must be B×T×{self.temporal.input_dim}×S×S with the "
                             f"aerial batch size {aerial.shape[0]}, got {tuple(sentinel.shape)}")
        self.unet.seg_model.check_input_shape(aerial)
        if self.unet.metadata_mlp is None:
            return
        if metadata is None or tuple(metadata.shape) != (aerial.shape[0], METADATA_DIM):
            got = None if metadata is None else tuple(metadata.shape)
            raise ValueError(f"this model was trained with patch metadata: pass `metadata`, "
                             f"a B×{METADATA_DIM} tensor (see models.metadata_encoding), "
                             f"got {got}")


# ---------------------------------------------------------------------------- loss


def utt_class_weights(logit_codes: Sequence[int], sat_excluded: Sequence[int]
                      ) -> Tuple[List[float], List[float]]:
    """FLAIR-2's (aerial, satellite) class weights for logits standing for ``logit_codes``.

    Inactive logits (code 0, e.g. the baseline's "other") weigh 0 in both losses; the
    codes in ``sat_excluded`` also weigh 0 in the satellite loss (FLAIR-2: plowed land,
    not separable from agricultural land at 10 m and one date a month; the caller, which
    knows the nomenclature, passes its code).
    """
    excluded = {0, *(int(code) for code in sat_excluded)}
    aerial = [0.0 if code == 0 else 1.0 for code in logit_codes]
    satellite = [0.0 if code in excluded else 1.0 for code in logit_codes]
    return aerial, satellite


class UTTLoss(nn.Module):
    """``w_sat · CE(satellite logits) + w_aerial · CE(aerial logits)``, both class-weighted.

    Both heads are scored against the same N×H×W target of logit indices (FLAIR-2 does
    the same: the satellite head is upsampled to the aerial size).
    """

    def __init__(self, aerial_weight: Sequence[float], sat_weight: Sequence[float],
                 w_aerial: float = 1.0, w_sat: float = 1.0) -> None:
        super().__init__()
        if len(aerial_weight) != len(sat_weight):
            raise ValueError(f"aerial and satellite class weights differ in length: "
                             f"{len(aerial_weight)} and {len(sat_weight)}")
        self.register_buffer("aerial_weight", torch.as_tensor(aerial_weight, dtype=torch.float))
        self.register_buffer("sat_weight", torch.as_tensor(sat_weight, dtype=torch.float))
        self.w_aerial, self.w_sat = float(w_aerial), float(w_sat)

    @classmethod
    def for_codes(cls, logit_codes: Sequence[int], sat_excluded: Sequence[int],
                  w_aerial: float = 1.0, w_sat: float = 1.0) -> "UTTLoss":
        """The loss with FLAIR-2's class weights (:func:`utt_class_weights`)."""
        return cls(*utt_class_weights(logit_codes, sat_excluded), w_aerial=w_aerial,
                   w_sat=w_sat)

    def forward(self, aerial_logits: torch.Tensor, sat_logits: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        aerial = weighted_cross_entropy(aerial_logits, target, self.aerial_weight)
        sat = weighted_cross_entropy(sat_logits, target, self.sat_weight)
        return self.w_sat * sat + self.w_aerial * aerial


IGNORE_INDEX = 255
"""Target index of a pixel that is not a class (a "not annotated" pixel of a sparse
annotation): it adds nothing to the loss nor to its weight."""


def weighted_cross_entropy(logits: torch.Tensor, target: torch.Tensor,
                           weight: torch.Tensor, ignore_index: int = IGNORE_INDEX
                           ) -> torch.Tensor:
    """Class-weighted mean cross-entropy (as ``F.cross_entropy``), 0 when no pixel weighs.

    A batch made only of weight-0 classes ("other", plowed land for the satellite head)
    or of ``ignore_index`` pixels (sparse annotations: what no polygon covers) would make
    torch's weighted mean 0/0 = NaN and poison the weights; it adds 0 instead.
    """
    valid = target != ignore_index
    # ignored pixels read as class 0 for the lookup, then weigh 0: no gradient from them
    safe = torch.where(valid, target, torch.zeros_like(target))
    per_pixel = F.cross_entropy(logits, safe, weight=weight, reduction="none") * valid
    total = pixel_weights(target, weight, ignore_index).sum()
    # weight-0 pixels add 0 to the sum, so with no weighing pixel this is 0 / 1 = 0 (and
    # no host-device sync to test for it)
    return per_pixel.sum() / torch.where(total > 0, total, torch.ones_like(total))


def pixel_weights(target: torch.Tensor, weight: torch.Tensor,
                  ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """Each pixel's loss weight: its class's, 0 for an ``ignore_index`` pixel."""
    valid = target != ignore_index
    return weight[torch.where(valid, target, torch.zeros_like(target))] * valid


def count_parameters(module: nn.Module) -> Dict[str, int]:
    """Parameters per top-level child and in total (for reports and the README)."""
    counts = {name: sum(p.numel() for p in child.parameters())
              for name, child in module.named_children()}
    counts["total"] = sum(p.numel() for p in module.parameters())
    return counts

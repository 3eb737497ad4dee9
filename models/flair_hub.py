"""FLAIR-HUB's monotemporal networks (IGN, 2025), laid out so its published weights load.

FLAIR-HUB (IGNF/FLAIR-HUB, ``src/flair_hub/models/``) builds one encoder per input
modality and one decoder per task from segmentation-models-pytorch **0.4.0**
(``smp.create_model(arch, "tu-" + timm_name)``), keeps the smp encoder as
``encoders.<MODALITY>.seg_model`` and the smp decoder plus segmentation head as
``main_decoders.<TASK>.seg_model.{decoder,segmentation_head}``. Later smp releases
rewrote the UPerNet decoder (other layers, other key names) and changed the decoders'
call signature, so the decoders here are written after smp 0.4.0's *structure* (same
layers, same key names, same arithmetic), and the encoder after its timm wrapper:
whatever smp is installed, IGN's weights load and give IGN's logits.

Facts this module relies on (read from FLAIR-HUB and smp 0.4.0, code written anew):

* encoder: ``timm.create_model(name, features_only=True, in_chans=C)`` kept as ``model``;
  a backbone whose features start at 1/4 (ConvNeXt V2, Swin) returns 4 maps, to which a
  0-channel map at 1/2 and the input itself are prepended; NHWC maps (Swin) are permuted
  to NCHW. smp 0.4.0's UPerNet takes no ``img_size``, so FLAIR-HUB's Swin+UPerNet is
  built at timm's default input size (224 for ``window7_224``, 384 for
  ``window12_384``) and runs on tiles of exactly that size; its U-Net passes the
  modality's patch size on to timm.
* UPerNet decoder (``decoder_pyramid_channels`` 256, ``decoder_segmentation_channels``
  64): a PSP module on the deepest map (pools 1, 2, 3, 6), one FPN stage per shallower
  map (a 0-channel map gets no convolution), every level resized to 1/4 of the input
  and fused by a 3×3 convolution; head: 1×1 convolution, then ×4 bilinear upsampling
  with aligned corners.
* U-Net decoder: widths (256, 128, 64, 32, 16), nearest ×2 upsampling, skip
  concatenation, two 3×3 conv-BN-ReLU per block; head: 3×3 convolution.
* logits are resized (bilinear) to the input size when the head's output differs.
* a model with one modality uses no fusion (its fusion 1×1 convolutions exist in IGN's
  checkpoints but never run: they are left out here).
* a series modality (Sentinel-2, Sentinel-1) is a U-TAE held directly as
  ``encoders.<MODALITY>`` whose decoder maps (deepest first) are fused with the image
  encoder's maps (shallowest first, the input and the empty 1/2 map left aside): stage
  ``i`` of every modality is resized (bilinear) to the image encoder's stage ``i``,
  concatenated in encoder order, and reduced by ``fusion_handler.conv_f.<i>`` (1×1).

Only torch and timm are imported (segmentation-models-pytorch is not needed).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .hub_config import HUB_DECODERS, series_argument
from .utae import UTAE

UPERNET_PYRAMID = 256
UPERNET_SEGMENTATION = 64
UNET_WIDTHS: Tuple[int, ...] = (256, 128, 64, 32, 16)
PSP_SIZES: Tuple[int, ...] = (1, 2, 3, 6)


def conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int,
                 padding: int = 0) -> nn.Sequential:
    """smp's Conv2dReLU with batch norm: keys ``0.weight`` (no bias), ``1.*`` (BN)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class TimmFeatures(nn.Module):
    """A timm backbone as smp 0.4.0's ``tu-`` encoder: the input, then one map per stride.

    Args:
        name: timm model name (``convnextv2_tiny``, ``swin_base_patch4_window12_384``...).
        in_channels: input bands.
        img_size: passed to timm when given (backbones with a fixed input size: Swin);
            None keeps timm's default.

    Raises:
        ValueError: a backbone whose strides are neither 2..32 nor 4..32, or an unknown
            timm name (timm's RuntimeError is turned into this).
    """

    def __init__(self, name: str, in_channels: int, img_size: Optional[int] = None) -> None:
        super().__init__()
        import timm

        if not timm.is_model(name):
            raise ValueError(f"timm has no model named {name!r}")
        extra = {} if img_size is None else {"img_size": int(img_size)}
        with torch.device("meta"):  # only the feature layout is read: no memory
            probe = timm.create_model(name, features_only=True, pretrained=False, **extra)
        reductions = list(probe.feature_info.reduction())
        stages = len(reductions)
        if reductions == [2 ** (i + 2) for i in range(stages)]:
            self.quarter_first = True  # ConvNeXt, Swin: no 1/2 map
            indices = tuple(range(4))
        elif reductions == [2 ** (i + 1) for i in range(stages)]:
            self.quarter_first = False
            indices = tuple(range(5))
        else:
            raise ValueError(f"timm backbone {name} has strides {reductions}; FLAIR-HUB "
                             f"encoders have strides 2..32 or 4..32")
        self.model = timm.create_model(name, features_only=True, pretrained=False,
                                       in_chans=in_channels, out_indices=indices, **extra)
        self.channels_last_out = str(getattr(self.model, "output_fmt", "")).endswith("NHWC")
        channels = list(self.model.feature_info.channels())
        self.out_channels: List[int] = ([in_channels] + ([0] if self.quarter_first else [])
                                        + channels)
        self.img_size = img_size

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        features = self.model(x)
        if self.channels_last_out:
            features = [f.permute(0, 3, 1, 2).contiguous() for f in features]
        if self.quarter_first:
            n, _, h, w = x.shape
            features = [x.new_empty((n, 0, h // 2, w // 2))] + list(features)
        return [x] + list(features)


class PyramidPooling(nn.Module):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(size),
                          conv_bn_relu(in_channels, in_channels // len(PSP_SIZES), 1))
            for size in PSP_SIZES)
        self.out_conv = conv_bn_relu(in_channels * 2, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        pooled = [F.interpolate(block(x), size=size, mode="bilinear", align_corners=False)
                  for block in self.blocks]
        return self.out_conv(torch.cat([x] + pooled, dim=1))


class FpnStage(nn.Module):
    def __init__(self, skip_channels: int, pyramid_channels: int) -> None:
        super().__init__()
        self.skip_conv = (conv_bn_relu(skip_channels, pyramid_channels, 1) if skip_channels
                          else nn.Identity())

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return x + self.skip_conv(skip) if skip.shape[1] else x


class UPerNetDecoder(nn.Module):
    """smp 0.4.0's UPerNet decoder (see the module doc): features -> 1/4-scale map."""

    def __init__(self, encoder_channels: Sequence[int], pyramid_channels: int = UPERNET_PYRAMID,
                 segmentation_channels: int = UPERNET_SEGMENTATION) -> None:
        super().__init__()
        deepest_first = list(encoder_channels)[::-1]
        self.psp = PyramidPooling(deepest_first[0], pyramid_channels)
        # one stage per shallower map, the input's included (smp builds it, never runs it)
        self.fpn_stages = nn.ModuleList(FpnStage(c, pyramid_channels)
                                        for c in deepest_first[1:])
        self.fpn_bottleneck = conv_bn_relu((len(deepest_first) - 1) * pyramid_channels,
                                           segmentation_channels, 3, padding=1)

    def forward(self, features: Sequence[torch.Tensor]) -> torch.Tensor:
        quarter = [s // 4 for s in features[0].shape[-2:]]
        maps = list(features[1:])[::-1]
        levels = [self.psp(maps[0])]
        for skip, stage in zip(maps[1:], self.fpn_stages):
            levels.append(stage(levels[-1], skip))
        levels = [F.interpolate(m, size=quarter, mode="bilinear", align_corners=False)
                  for m in levels]
        return self.fpn_bottleneck(torch.cat(levels, dim=1))


class UNetBlock(nn.Module):
    def __init__(self, in_channels: int, skip_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = conv_bn_relu(in_channels + skip_channels, out_channels, 3, padding=1)
        self.attention1 = nn.Identity()
        self.conv2 = conv_bn_relu(out_channels, out_channels, 3, padding=1)
        self.attention2 = nn.Identity()

    def forward(self, x: torch.Tensor, skip: Optional[torch.Tensor]) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
        return self.conv2(self.conv1(x))


class UNetDecoder(nn.Module):
    """smp 0.4.0's U-Net decoder without centre block or attention (FLAIR-HUB's)."""

    def __init__(self, encoder_channels: Sequence[int],
                 widths: Sequence[int] = UNET_WIDTHS) -> None:
        super().__init__()
        deepest_first = list(encoder_channels[1:])[::-1]
        ins = [deepest_first[0]] + list(widths[:-1])
        skips = deepest_first[1:] + [0]
        self.center = nn.Identity()
        self.blocks = nn.ModuleList(UNetBlock(i, s, o) for i, s, o in zip(ins, skips, widths))

    def forward(self, features: Sequence[torch.Tensor]) -> torch.Tensor:
        maps = list(features[1:])[::-1]
        x, skips = self.center(maps[0]), maps[1:]
        for i, block in enumerate(self.blocks):
            x = block(x, skips[i] if i < len(skips) else None)
        return x


class TaskDecoder(nn.Module):
    """``decoder`` + ``segmentation_head``, as FLAIR-HUB's DecoderWrapper holds them."""

    def __init__(self, kind: str, encoder_channels: Sequence[int], classes: int) -> None:
        super().__init__()
        if kind == "upernet":
            self.decoder = UPerNetDecoder(encoder_channels)
            self.segmentation_head = nn.Sequential(
                nn.Conv2d(UPERNET_SEGMENTATION, classes, 1),
                nn.UpsamplingBilinear2d(scale_factor=4), nn.Identity())
        elif kind == "unet":
            self.decoder = UNetDecoder(encoder_channels)
            self.segmentation_head = nn.Sequential(
                nn.Conv2d(UNET_WIDTHS[-1], classes, 3, padding=1), nn.Identity(), nn.Identity())
        else:
            raise ValueError(f"unknown FLAIR-HUB decoder {kind!r}; known: "
                             f"{', '.join(HUB_DECODERS)}")

    def forward(self, features: Sequence[torch.Tensor]) -> torch.Tensor:
        return self.segmentation_head(self.decoder(features))


class _Holder(nn.Module):
    """Puts a module under ``seg_model``, as FLAIR-HUB's FLAIR_Monotemp does."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.seg_model = module


class FlairHubModel(nn.Module):
    """A FLAIR-HUB network with one monotemporal modality (aerial, SPOT, elevation...).

    Args:
        encoder: timm name of the backbone.
        decoder: ``upernet`` or ``unet``.
        modality: FLAIR-HUB modality key (``AERIAL_RGBI``...).
        in_channels: the modality's input bands.
        tasks: (task key, classes) per main decoder, the first one is what
            :meth:`forward` returns.
        img_size: the backbone's fixed input size (Swin), None for any size.

    Forward: normalised N×C×H×W -> N×K×H×W logits of the first task;
    :meth:`task_logits` gives every task's.
    """

    def __init__(self, encoder: str, decoder: str, modality: str, in_channels: int,
                 tasks: Sequence[Tuple[str, int]], img_size: Optional[int] = None,
                 series: Sequence[Tuple[str, Mapping[str, Any]]] = ()) -> None:
        super().__init__()
        if not tasks:
            raise ValueError("a FLAIR-HUB model needs at least one task")
        self.modality = modality
        self.task_names: Tuple[str, ...] = tuple(t for t, _ in tasks)
        self.img_size = img_size
        self.encoders = nn.ModuleDict(
            {modality: _Holder(TimmFeatures(encoder, in_channels, img_size))})
        channels = self.encoders[modality].seg_model.out_channels
        self.series_names: Tuple[str, ...] = tuple(name for name, _ in series)
        for name, shape in series:
            self.encoders[name] = UTAE(**dict(shape), return_maps=True)
        if series:
            stages = _fused_stages(channels)
            widths = [list(self.encoders[n].decoder_widths)[::-1] for n in self.series_names]
            ins = [sum(level) for level in zip(stages, *widths)]
            self.fusion_handler = nn.Module()
            self.fusion_handler.conv_f = nn.ModuleList(
                nn.Conv2d(i, o, kernel_size=1) for i, o in zip(ins, stages))
        # FLAIR-HUB builds its decoders from an encoder with one input band
        decoder_channels = [1] + list(channels[1:])
        self.main_decoders = nn.ModuleDict(
            {task: _Holder(TaskDecoder(decoder, decoder_channels, classes))
             for task, classes in tasks})

    def features(self, x: torch.Tensor, **inputs: Optional[torch.Tensor]
                 ) -> List[torch.Tensor]:
        """The image encoder's maps, fused with the series' when the model has any.

        ``inputs``: per series modality, ``<arg>`` (B×T×C×h×w) and ``<arg>_dates`` (B×T
        day offsets), ``<arg>`` from :func:`~.hub_config.series_argument`.

        Raises:
            ValueError: a series the model needs is not given (named).
        """
        maps = self.encoders[self.modality].seg_model(x)
        if not self.series_names:
            return maps
        groups = [maps]
        for name in self.series_names:
            arg = series_argument(name)
            series, dates = inputs.get(arg), inputs.get(arg + "_dates")
            if series is None or dates is None:
                raise ValueError(f"this FLAIR-HUB model also takes the {name} series "
                                 f"({arg} and {arg}_dates)")
            groups.append(self.encoders[name](series, dates)[1])
        return self._fuse(groups)

    def _fuse(self, groups: List[List[torch.Tensor]]) -> List[torch.Tensor]:
        target = groups[0]
        strip = _has_empty_map(target)
        kept, stages = (target[:2], target[2:]) if strip else ([], target)
        aligned = []
        for maps in groups:
            maps = maps[2:] if _has_empty_map(maps) else list(maps)
            if len(maps) != len(stages):  # fewer maps: the first one stands for the rest
                maps = [maps[0]] * (len(stages) - len(maps)) + maps
            aligned.append([m if m.shape[-2:] == s.shape[-2:] else
                            F.interpolate(m, size=s.shape[-2:], mode="bilinear",
                                          align_corners=False)
                            for m, s in zip(maps, stages)])
        fused = [conv(torch.cat(level, dim=1))
                 for conv, level in zip(self.fusion_handler.conv_f, zip(*aligned))]
        return list(kept) + fused

    def features_channels(self) -> List[int]:
        """Channels of the stride-2..32 feature maps (0 for an absent 1/2 map)."""
        return list(self.encoders[self.modality].seg_model.out_channels[1:])

    def task_logits(self, x: torch.Tensor, **inputs: Optional[torch.Tensor]
                    ) -> Dict[str, torch.Tensor]:
        """Every task's logits, at the input's size (one encoder pass)."""
        features = self.features(x, **inputs)
        return {task: _to_size(self.main_decoders[task].seg_model(features), x)
                for task in self.task_names}

    def forward(self, x: torch.Tensor, **inputs: Optional[torch.Tensor]) -> torch.Tensor:
        features = self.features(x, **inputs)
        return _to_size(self.main_decoders[self.task_names[0]].seg_model(features), x)


class TaskView(nn.Module):
    """One task of a :class:`FlairHubModel` as a plain logits module (for the pipeline)."""

    def __init__(self, model: FlairHubModel, task: str) -> None:
        super().__init__()
        if task not in model.task_names:
            raise ValueError(f"the model has no task {task!r}: {', '.join(model.task_names)}")
        self.model, self.task = model, task

    def forward(self, x: torch.Tensor, **inputs: Optional[torch.Tensor]) -> torch.Tensor:
        features = self.model.features(x, **inputs)
        return _to_size(self.model.main_decoders[self.task].seg_model(features), x)


def _has_empty_map(maps: Sequence[Any]) -> bool:
    """FLAIR-HUB's test for smp's placeholder maps (the input, the empty 1/2 map)."""
    def width(m: Any) -> int:
        return int(m.shape[1]) if isinstance(m, torch.Tensor) else int(m)
    return len(maps) > 2 and (width(maps[0]) == 0 or width(maps[1]) == 0)


def _fused_stages(channels: Sequence[int]) -> List[int]:
    return list(channels[2:]) if _has_empty_map(channels) else list(channels)


def _to_size(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    if logits.shape[-2:] == x.shape[-2:]:
        return logits
    return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)

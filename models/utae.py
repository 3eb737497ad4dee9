"""U-TAE: a U-Net over each date of a satellite time series, with an L-TAE at its bottom.

U-TAE (Sainte Fare Garnot & Landrieu, ICCV 2021) encodes every date of a B×T×C×H×W
series with the same convolutions, collapses the time axis at the lowest resolution with
a Lightweight Temporal Attention Encoder (L-TAE), and reuses the L-TAE's attention masks
to collapse the time axis of each skip connection on the way up. FLAIR-2's U-T&T runs it
on 40×40 Sentinel-2 crops (see :mod:`.utt`).

Written from the published description and the public FLAIR-2 / U-TAE code (read, not
copied). The *module tree* is kept the same as theirs on purpose (``in_conv.conv.conv.0``,
``down_blocks.i.down``, ``up_blocks.i.skip_conv``, ``temporal_encoder.attention_heads.Q``,
...), so state dicts trained with FLAIR-2 or the original U-TAE load by renaming a prefix.

Where we deliberately differ, and why:

* Padding-invariance. Series of different lengths are zero-padded to the batch's
  longest. The reference L-TAE normalises its input (GroupNorm) over *all* T positions,
  padded ones included, so a sample's output changed with how much its batch-mates
  padded it. We compute that normalisation over the real dates only: with no padding it
  is the same GroupNorm, so results equal the reference's batch-of-one inference
  (how FLAIR-2 predicted), and a sample now gives the same output in any batch.
* Padded dates are never pushed through the shared convolutions (the reference ran a
  whole extra dummy forward pass to learn the output shape); their feature maps are
  ``pad_value`` as in the reference.
* Masked attention scores are ``-inf`` rather than ``-1e3``; at least one real date
  per sample is required, so the softmax is defined and pads weigh exactly 0.
* The pad mask may be passed explicitly (``pad_mask``); otherwise, as in the
  reference, a date is padding when all its values equal ``pad_value``.
"""

from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

AGG_MODES: Tuple[str, ...] = ("att_group", "att_mean", "mean")
NORMS: Tuple[str, ...] = ("group", "batch", "instance", "none")
_ENCODER_GROUPS = 4  # GroupNorm groups of the convolutional encoder (U-TAE's choice)


# ---------------------------------------------------------------------------- conv blocks


def _norm_layer(norm: str, channels: int) -> Optional[nn.Module]:
    if norm == "group":
        return nn.GroupNorm(num_groups=_ENCODER_GROUPS, num_channels=channels)
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "instance":
        return nn.InstanceNorm2d(channels)
    if norm == "none":
        return None
    raise ValueError(f"unknown norm {norm!r}; choose one of {', '.join(NORMS)}")


class ConvLayer(nn.Module):
    """Convolution [+ norm] + ReLU, once per consecutive pair of ``widths``.

    The layers sit in ``self.conv`` (a Sequential), the layout U-TAE's weights use.
    """

    def __init__(self, widths: Sequence[int], norm: str = "batch", k: int = 3, s: int = 1,
                 p: int = 1, last_relu: bool = True, padding_mode: str = "reflect") -> None:
        super().__init__()
        layers: List[nn.Module] = []
        pairs = list(zip(widths[:-1], widths[1:]))
        for i, (fan_in, fan_out) in enumerate(pairs):
            layers.append(nn.Conv2d(fan_in, fan_out, kernel_size=k, stride=s, padding=p,
                                    padding_mode=padding_mode))
            norm_layer = _norm_layer(norm, fan_out)
            if norm_layer is not None:
                layers.append(norm_layer)
            if last_relu or i < len(pairs) - 1:
                layers.append(nn.ReLU())
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class ConvBlock(nn.Module):
    """A :class:`ConvLayer` under the attribute ``conv`` (U-TAE's ``in_conv``/``out_conv``)."""

    def __init__(self, widths: Sequence[int], norm: str = "batch",
                 padding_mode: str = "reflect") -> None:
        super().__init__()
        self.conv = ConvLayer(widths, norm=norm, padding_mode=padding_mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class DownConvBlock(nn.Module):
    """Strided convolution (halves H, W), then a residual pair of 3×3 convolutions."""

    def __init__(self, d_in: int, d_out: int, k: int, s: int, p: int, norm: str,
                 padding_mode: str) -> None:
        super().__init__()
        self.down = ConvLayer([d_in, d_in], norm=norm, k=k, s=s, p=p,
                              padding_mode=padding_mode)
        self.conv1 = ConvLayer([d_in, d_out], norm=norm, padding_mode=padding_mode)
        self.conv2 = ConvLayer([d_out, d_out], norm=norm, padding_mode=padding_mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(self.down(x))
        return x + self.conv2(x)


class UpConvBlock(nn.Module):
    """Transposed convolution (doubles H, W), concatenation with the skip, residual convs."""

    def __init__(self, d_in: int, d_out: int, d_skip: int, k: int, s: int, p: int,
                 padding_mode: str) -> None:
        super().__init__()
        self.skip_conv = nn.Sequential(nn.Conv2d(d_skip, d_skip, kernel_size=1),
                                       nn.BatchNorm2d(d_skip), nn.ReLU())
        self.up = nn.Sequential(nn.ConvTranspose2d(d_in, d_out, kernel_size=k, stride=s,
                                                   padding=p),
                                nn.BatchNorm2d(d_out), nn.ReLU())
        self.conv1 = ConvLayer([d_out + d_skip, d_out], norm="batch", padding_mode=padding_mode)
        self.conv2 = ConvLayer([d_out, d_out], norm="batch", padding_mode=padding_mode)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.up(x), self.skip_conv(skip)], dim=1)
        x = self.conv1(x)
        return x + self.conv2(x)


def shared_over_time(block: nn.Module, x: torch.Tensor, valid: Optional[torch.Tensor],
                     pad_value: float) -> torch.Tensor:
    """Apply a 2-D ``block`` to every real date of a B×T×C×H×W series.

    Padded dates (``valid`` False) skip the block and come out filled with ``pad_value``,
    so per-date normalisation layers never see them.
    """
    b, t = x.shape[:2]
    flat = x.reshape(b * t, *x.shape[2:])
    if valid is None or bool(valid.all()):
        out = block(flat)
    else:
        keep = valid.reshape(-1)
        real = block(flat[keep])
        out = real.new_full((b * t, *real.shape[1:]), float(pad_value))
        out[keep] = real
    return out.view(b, t, *out.shape[1:])


# ---------------------------------------------------------------------------- L-TAE


class PositionalEncoder(nn.Module):
    """Sinusoidal encoding of date positions (days), repeated once per attention head.

    Channel i of a head uses period ``T ** (2 * (i // 2) / d)``: sine for even i, cosine
    for odd i, as in the Transformer and in L-TAE.
    """

    def __init__(self, d: int, T: float = 1000, repeat: int = 1) -> None:
        super().__init__()
        self.repeat = repeat
        exponent = 2 * torch.div(torch.arange(d), 2, rounding_mode="floor").float() / d
        # not a weight: kept out of state dicts, but moves with .to(device)
        self.register_buffer("denom", torch.pow(float(T), exponent), persistent=False)

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        table = positions[..., None].float() / self.denom
        table[..., 0::2] = torch.sin(table[..., 0::2])
        table[..., 1::2] = torch.cos(table[..., 1::2])
        return table.repeat(*([1] * (table.dim() - 1)), self.repeat)


class MultiHeadAttention(nn.Module):
    """L-TAE's attention: one learnt *master query* per head, keys from the input.

    Values are the input itself split into ``n_head`` channel groups; each head returns
    the attention-weighted mean of its group over time.
    """

    def __init__(self, n_head: int, d_k: int, d_in: int, attn_dropout: float = 0.1) -> None:
        super().__init__()
        self.n_head, self.d_k, self.d_in = n_head, d_k, d_in
        self.Q = nn.Parameter(torch.zeros(n_head, d_k))
        nn.init.normal_(self.Q, mean=0.0, std=math.sqrt(2.0 / d_k))
        self.fc1_k = nn.Linear(d_in, n_head * d_k)
        nn.init.normal_(self.fc1_k.weight, mean=0.0, std=math.sqrt(2.0 / d_k))
        self.dropout = nn.Dropout(attn_dropout)

    def forward(self, v: torch.Tensor, valid: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``v``: N×T×d_in; ``valid``: N×T. Returns N×d_in and the attention n_head×N×T.

        The arithmetic is FLAIR-2's, in its order, so that its weights give bit-identical
        results: (head, sequence) pairs form one batch of n_head·N head-major rows, each a
        1×d_k query times a d_k×T key matrix (batched ``matmul``), divided by √d_k, softmax
        over T, then a batched 1×T by T×c ``matmul`` with the head's channel group.
        (An ``einsum`` sums in another order: up to ~1e-5 apart at 30 dates.)
        """
        n, t, _ = v.shape
        h, d_k = self.n_head, self.d_k
        query = self.Q[:, None, :].expand(h, n, d_k).reshape(h * n, 1, d_k)
        keys = self.fc1_k(v).view(n, t, h, d_k).permute(2, 0, 1, 3).reshape(h * n, t, d_k)
        scores = torch.matmul(query, keys.transpose(1, 2)) / math.sqrt(d_k)  # (h·N)×1×T
        if valid is not None:
            scores = scores.masked_fill(~valid.repeat(h, 1)[:, None, :], float("-inf"))
        attn = self.dropout(torch.softmax(scores, dim=-1))
        values = v.view(n, t, h, self.d_in // h).permute(2, 0, 1, 3).reshape(h * n, t, -1)
        out = torch.matmul(attn, values)  # (h·N)×1×c, heads first
        out = out.view(h, n, -1).permute(1, 0, 2).reshape(n, self.d_in)
        return out, attn.view(h, n, t)


class LTAE2d(nn.Module):
    """Lightweight Temporal Attention Encoder applied at every pixel of a B×T×C×H×W map.

    Returns the B×mlp[-1]×H×W embedding and the attention masks n_head×B×T×H×W (U-TAE
    reuses them to collapse its skip connections).
    """

    def __init__(self, in_channels: int = 128, n_head: int = 16, d_k: int = 4,
                 mlp: Sequence[int] = (256, 128), dropout: float = 0.2, d_model: int = 256,
                 T: float = 1000) -> None:
        super().__init__()
        if mlp[0] != d_model:
            raise ValueError(f"the L-TAE MLP must start at d_model ({d_model}), got {list(mlp)}")
        for name, width in (("in_channels", in_channels), ("d_model", d_model),
                            ("the MLP output", mlp[-1])):
            if width % n_head:
                raise ValueError(f"{name} ({width}) must be a multiple of n_head ({n_head})")
        self.in_channels, self.n_head, self.d_model = in_channels, n_head, d_model
        self.inconv = nn.Conv1d(in_channels, d_model, 1)
        self.positional_encoder = PositionalEncoder(d_model // n_head, T=T, repeat=n_head)
        self.attention_heads = MultiHeadAttention(n_head=n_head, d_k=d_k, d_in=d_model)
        self.in_norm = nn.GroupNorm(num_groups=n_head, num_channels=in_channels)
        self.out_norm = nn.GroupNorm(num_groups=n_head, num_channels=mlp[-1])
        layers: List[nn.Module] = []
        for fan_in, fan_out in zip(mlp[:-1], mlp[1:]):
            layers += [nn.Linear(fan_in, fan_out), nn.BatchNorm1d(fan_out), nn.ReLU()]
        self.mlp = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, batch_positions: torch.Tensor,
                valid: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        b, t, c, h, w = x.shape
        # every pixel becomes one sequence: (B·H·W)×T×C
        seq = x.permute(0, 3, 4, 1, 2).reshape(b * h * w, t, c)
        pixel_valid = None
        if valid is not None and not bool(valid.all()):
            pixel_valid = valid[:, None, None, :].expand(b, h, w, t).reshape(b * h * w, t)
        seq = self._in_norm(seq, pixel_valid)
        seq = self.inconv(seq.transpose(1, 2)).transpose(1, 2)
        positions = batch_positions[:, None, None, :].expand(b, h, w, t).reshape(b * h * w, t)
        seq = seq + self.positional_encoder(positions)
        out, attn = self.attention_heads(seq, pixel_valid)
        out = self.out_norm(self.dropout(self.mlp(out)))
        out = out.view(b, h, w, -1).permute(0, 3, 1, 2)
        attn = attn.view(self.n_head, b, h, w, t).permute(0, 1, 4, 2, 3)
        return out, attn

    def _in_norm(self, seq: torch.Tensor, valid: Optional[torch.Tensor]) -> torch.Tensor:
        """GroupNorm over channel groups × time, counting real dates only (module doc)."""
        norm = self.in_norm
        if valid is None:
            return norm(seq.transpose(1, 2)).transpose(1, 2)
        n, t, c = seq.shape
        groups = seq.view(n, t, norm.num_groups, c // norm.num_groups)
        weight = valid.to(seq.dtype)[:, :, None, None]
        count = weight.sum(dim=1, keepdim=True) * groups.shape[-1]  # N×1×1×1
        mean = (groups * weight).sum(dim=(1, 3), keepdim=True) / count
        var = (((groups - mean) ** 2) * weight).sum(dim=(1, 3), keepdim=True) / count
        normed = ((groups - mean) / torch.sqrt(var + norm.eps)).view(n, t, c)
        return normed * norm.weight + norm.bias


# ---------------------------------------------------------------------------- temporal pooling


def aggregate_over_time(x: torch.Tensor, attn: Optional[torch.Tensor],
                        valid: Optional[torch.Tensor],
                        mode: str = "att_group") -> torch.Tensor:
    """Collapse the time axis of a B×T×C×H×W skip connection into B×C×H×W.

    ``att_group``: channel group g is averaged over time with head g's attention mask,
    resized to the skip's resolution (bilinear up, average-pooled down); ``att_mean``: one
    mask, the mean over heads; ``mean``: plain mean over the real dates.
    """
    b, t, c, h, w = x.shape
    weight = None if valid is None else valid.to(x.dtype)
    if mode == "mean":
        if weight is None:
            return x.mean(dim=1)
        total = (x * weight[:, :, None, None, None]).sum(dim=1)
        return total / weight.sum(dim=1)[:, None, None, None]
    heads, _, _, ah, aw = attn.shape
    if mode == "att_mean":
        masks = F.interpolate(attn.mean(dim=0), size=(h, w), mode="bilinear",
                              align_corners=False)
        if weight is not None:
            masks = masks * weight[:, :, None, None]
        return (x * masks[:, :, None]).sum(dim=1)
    if mode != "att_group":
        raise ValueError(f"unknown agg_mode {mode!r}; choose one of {', '.join(AGG_MODES)}")
    masks = attn.reshape(heads * b, t, ah, aw)
    if h > ah:
        masks = F.interpolate(masks, size=(h, w), mode="bilinear", align_corners=False)
    elif h < ah:
        masks = F.avg_pool2d(masks, kernel_size=ah // h)
    masks = masks.view(heads, b, t, h, w)
    if weight is not None:
        masks = masks * weight[None, :, :, None, None]
    # FLAIR-2's order of operations (bit-identical results): the channel groups stacked
    # head-first, multiplied by their masks, summed over T, concatenated back by head
    groups = x.reshape(b, t, heads, c // heads, h, w).permute(2, 0, 1, 3, 4, 5).contiguous()
    out = (masks[:, :, :, None] * groups).sum(dim=2)  # heads×B×(C/heads)×H×W
    return out.permute(1, 0, 2, 3, 4).reshape(b, c, h, w)


# ---------------------------------------------------------------------------- U-TAE


class UTAE(nn.Module):
    """U-TAE for B×T×C×H×W satellite series with B×T date positions (days).

    ``forward`` returns the B×out_conv[-1]×H×W scores and, with ``return_maps``, the
    decoder's feature maps from the L-TAE output (lowest resolution) to the last decoder
    map (B×decoder_widths[0]×H×W, the one U-T&T fuses). H and W must be multiples of
    ``2 ** (len(encoder_widths) - 1)``.
    """

    def __init__(self, input_dim: int = 10,
                 encoder_widths: Sequence[int] = (64, 64, 128, 128),
                 decoder_widths: Sequence[int] = (64, 64, 128, 128),
                 out_conv: Sequence[int] = (32, 13), str_conv_k: int = 4, str_conv_s: int = 2,
                 str_conv_p: int = 1, agg_mode: str = "att_group", encoder_norm: str = "group",
                 n_head: int = 16, d_model: int = 256, d_k: int = 4, pad_value: float = 0,
                 padding_mode: str = "reflect", return_maps: bool = True,
                 positional_period: float = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        encoder_widths, decoder_widths = list(encoder_widths), list(decoder_widths)
        _check_widths(encoder_widths, decoder_widths, agg_mode, encoder_norm, n_head)
        self.n_stages = len(encoder_widths)
        self.encoder_widths, self.decoder_widths = encoder_widths, decoder_widths
        self.agg_mode, self.pad_value, self.return_maps = agg_mode, pad_value, return_maps
        self.str_conv_s = int(str_conv_s)
        conv = dict(k=str_conv_k, s=str_conv_s, p=str_conv_p)
        self.in_conv = ConvBlock([input_dim, encoder_widths[0], encoder_widths[0]],
                                 norm=encoder_norm, padding_mode=padding_mode)
        self.down_blocks = nn.ModuleList(
            DownConvBlock(encoder_widths[i], encoder_widths[i + 1], norm=encoder_norm,
                          padding_mode=padding_mode, **conv)
            for i in range(self.n_stages - 1))
        self.up_blocks = nn.ModuleList(
            UpConvBlock(decoder_widths[i], decoder_widths[i - 1], encoder_widths[i - 1],
                        padding_mode=padding_mode, **conv)
            for i in range(self.n_stages - 1, 0, -1))
        self.temporal_encoder = LTAE2d(in_channels=encoder_widths[-1], d_model=d_model,
                                       n_head=n_head, mlp=[d_model, encoder_widths[-1]],
                                       d_k=d_k, T=positional_period, dropout=dropout)
        self.out_conv = ConvBlock([decoder_widths[0], *out_conv], padding_mode=padding_mode)

    @property
    def stride(self) -> int:
        """H and W must be multiples of this (one division by the strided convolutions'
        stride per encoder stage: 1 for FLAIR-HUB's U-TAE, which keeps its resolution)."""
        return self.str_conv_s ** (self.n_stages - 1)

    def forward(self, x: torch.Tensor, batch_positions: torch.Tensor,
                pad_mask: Optional[torch.Tensor] = None, return_maps: Optional[bool] = None):
        maps = self.feature_maps(x, batch_positions, pad_mask)
        scores = self.out_conv(maps[-1])
        want_maps = self.return_maps if return_maps is None else return_maps
        return (scores, maps) if want_maps else scores

    def feature_maps(self, x: torch.Tensor, batch_positions: torch.Tensor,
                     pad_mask: Optional[torch.Tensor] = None) -> List[torch.Tensor]:
        """The decoder's maps, lowest resolution first (no output convolution run).

        ``pad_mask`` (B×T, True = padded date) defaults to the dates whose values all
        equal ``pad_value``.
        """
        valid = self._valid_dates(x, batch_positions, pad_mask)
        skips = [shared_over_time(self.in_conv, x, valid, self.pad_value)]
        for block in self.down_blocks:
            skips.append(shared_over_time(block, skips[-1], valid, self.pad_value))
        out, attn = self.temporal_encoder(skips[-1], batch_positions.to(x.dtype), valid)
        maps = [out]
        for i, block in enumerate(self.up_blocks):
            skip = aggregate_over_time(skips[-(i + 2)], attn, valid, self.agg_mode)
            out = block(out, skip)
            maps.append(out)
        return maps

    def _valid_dates(self, x: torch.Tensor, positions: torch.Tensor,
                     pad_mask: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
        if x.dim() != 5:
            raise ValueError(f"U-TAE takes a B×T×C×H×W series, got shape {tuple(x.shape)}")
        b, t, _, h, w = x.shape
        if tuple(positions.shape) != (b, t):
            raise ValueError(f"batch_positions must be B×T = {b}×{t} (one day offset per "
                             f"date), got {tuple(positions.shape)}")
        if h % self.stride or w % self.stride:
            raise ValueError(f"the series' H×W ({h}×{w}) must be multiples of {self.stride} "
                             f"(one halving per U-TAE encoder stage)")
        if pad_mask is None:
            pad_mask = (x == self.pad_value).flatten(2).all(dim=2)
        elif tuple(pad_mask.shape) != (b, t):
            raise ValueError(f"pad_mask must be B×T = {b}×{t}, got {tuple(pad_mask.shape)}")
        valid = ~pad_mask.bool()
        empty = (~valid.any(dim=1)).nonzero().flatten().tolist()
        if empty:
            raise ValueError(f"series {empty} of the batch have no date (all padding); every "
                             f"sample needs at least one Sentinel-2 date")
        return None if bool(valid.all()) else valid


def _check_widths(encoder_widths: List[int], decoder_widths: List[int], agg_mode: str,
                  encoder_norm: str, n_head: int) -> None:
    if len(encoder_widths) < 2 or len(encoder_widths) != len(decoder_widths):
        raise ValueError(f"encoder_widths and decoder_widths need the same length >= 2, got "
                         f"{encoder_widths} and {decoder_widths}")
    if encoder_widths[-1] != decoder_widths[-1]:
        raise ValueError(f"the last encoder and decoder widths must be equal (the L-TAE "
                         f"output feeds the decoder), got {encoder_widths} and {decoder_widths}")
    if agg_mode not in AGG_MODES:
        raise ValueError(f"unknown agg_mode {agg_mode!r}; choose one of {', '.join(AGG_MODES)}")
    if encoder_norm == "group" and any(w % _ENCODER_GROUPS for w in encoder_widths):
        raise ValueError(f"group norm needs encoder widths that are multiples of "
                         f"{_ENCODER_GROUPS}, got {encoder_widths}")
    if agg_mode == "att_group" and any(w % n_head for w in encoder_widths[:-1]):
        raise ValueError(f"att_group splits each skip connection into n_head ({n_head}) "
                         f"channel groups: encoder widths {encoder_widths[:-1]} must be "
                         f"multiples of it")

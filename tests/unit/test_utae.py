"""U-TAE / L-TAE and the U-T&T fusion model: shapes, padding, fusion, auxiliary head, loss."""

import math

import pytest
import torch
import torch.nn.functional as F

from flair_landcover.models.utae import UTAE, PositionalEncoder, aggregate_over_time
from flair_landcover.models.utt import (
    FlairUTT,
    TemporalConfig,
    UTTLoss,
    centre_crop,
    collapsed_mlp_widths,
    count_parameters,
    utt_class_weights,
)

TINY_UTAE = dict(input_dim=10, encoder_widths=(8, 8, 16), decoder_widths=(8, 8, 16),
                 out_conv=(8, 5), n_head=4, d_model=16, d_k=2)
TINY_TEMPORAL = TemporalConfig(encoder_widths=(8, 8, 16), decoder_widths=(8, 8, 16),
                               out_conv_hidden=(8,), n_head=4, d_model=16, d_k=2)
TINY_UNET = dict(encoder="resnet18", encoder_depth=3, decoder_channels=(16, 8, 4))
S2 = 16  # Sentinel-2 crop side in tests (a multiple of the tiny U-TAE's stride 4, >= 10)
PLOWED_LAND = 12  # the FLAIR code the satellite loss leaves out (the engine passes it)


def tiny_utae(seed: int = 0) -> UTAE:
    torch.manual_seed(seed)
    return UTAE(**TINY_UTAE).eval()


def tiny_utt(seed: int = 0, **kwargs) -> FlairUTT:
    torch.manual_seed(seed)
    return FlairUTT(5, 13, temporal=TINY_TEMPORAL, **{**TINY_UNET, **kwargs}).eval()


def series(batch: int = 2, dates: int = 4, size: int = S2, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    data = torch.rand(batch, dates, 10, size, size, generator=g) * 3000
    positions = torch.arange(dates, dtype=torch.float)[None].repeat(batch, 1) * -30 + 120
    return data, positions


# ---------------------------------------------------------------------------- U-TAE


def test_utae_shapes_and_maps():
    x, pos = series()
    with torch.no_grad():
        scores, maps = tiny_utae()(x, pos)
    assert scores.shape == (2, 5, S2, S2)
    # L-TAE output at the lowest resolution, then one map per decoder stage
    assert [tuple(m.shape) for m in maps] == [(2, 16, 4, 4), (2, 8, 8, 8), (2, 8, 16, 16)]


def test_padding_does_not_change_a_sample():
    """A series padded in a batch gives what it gives alone (masked L-TAE input norm)."""
    model = tiny_utae()
    x, pos = series(batch=2, dates=5)
    x[1, 2:] = 0  # sample 1 has 2 real dates, padded to 5
    pos[1, 2:] = 0
    with torch.no_grad():
        batched = model.feature_maps(x, pos)[-1]
        alone = model.feature_maps(x[1:, :2], pos[1:, :2])[-1]
        full = model.feature_maps(x[:1], pos[:1])[-1]
    assert torch.allclose(batched[1], alone[0], atol=1e-4)
    assert torch.allclose(batched[0], full[0], atol=1e-4)


def test_explicit_pad_mask_keeps_a_real_zero_image():
    model = tiny_utae()
    x, pos = series(batch=1, dates=3)
    x[0, 1] = 0  # a real, all-zero image
    derived = torch.tensor([[False, True, False]])
    with torch.no_grad():
        as_padding = model.feature_maps(x, pos)[-1]
        masked = model.feature_maps(x, pos, pad_mask=derived)[-1]
        as_date = model.feature_maps(x, pos, pad_mask=torch.zeros(1, 3, dtype=torch.bool))[-1]
    assert torch.equal(as_padding, masked)
    assert not torch.allclose(as_padding, as_date, atol=1e-4)


def test_dates_matter_and_their_order_does_not():
    model = tiny_utae()
    x, pos = series(batch=1, dates=4)
    order = torch.tensor([2, 0, 3, 1])
    with torch.no_grad():
        base = model.feature_maps(x, pos)[-1]
        shuffled = model.feature_maps(x[:, order], pos[:, order])[-1]
        shifted = model.feature_maps(x, pos + 60)[-1]
    assert torch.allclose(base, shuffled, atol=1e-4)  # attention pooling is a weighted sum
    assert not torch.allclose(base, shifted, atol=1e-3)  # positions are encoded


def test_utae_refuses_bad_inputs():
    model = tiny_utae()
    x, pos = series(batch=2, dates=3)
    x[1] = 0
    with pytest.raises(ValueError, match=r"series \[1\] .* no date"):
        model(x, pos)
    with pytest.raises(ValueError, match="multiples of 4"):
        model(torch.rand(1, 2, 10, 18, 18), torch.zeros(1, 2))
    with pytest.raises(ValueError, match="B×T = 1×2"):
        model(torch.rand(1, 2, 10, 16, 16), torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"n_head \(8\) channel groups"):
        UTAE(encoder_widths=(8, 12, 16), decoder_widths=(8, 12, 16), n_head=8, d_model=16)


def test_positional_encoding_values():
    enc = PositionalEncoder(d=4, T=1000, repeat=2)
    out = enc(torch.tensor([[10.0]]))
    root = 1000 ** 0.5  # channels 2, 3 use T ** (2 * 1 / 4)
    one_head = [math.sin(10), math.cos(10), math.sin(10 / root), math.cos(10 / root)]
    assert torch.allclose(out[0, 0], torch.tensor(one_head * 2), atol=1e-6)


def test_in_norm_counts_real_dates_only():
    ltae = tiny_utae().temporal_encoder
    seq = torch.randn(3, 5, 16)
    valid = torch.tensor([[True] * 5, [True, True, False, False, False], [True] * 4 + [False]])
    normed = ltae._in_norm(seq, valid)
    for i, t in enumerate((5, 2, 4)):
        expected = ltae.in_norm(seq[i:i + 1, :t].transpose(1, 2)).transpose(1, 2)
        assert torch.allclose(normed[i:i + 1, :t], expected, atol=1e-5)


def test_temporal_aggregation_by_hand():
    x = torch.arange(3 * 4, dtype=torch.float).view(1, 3, 4, 1, 1).expand(1, 3, 4, 2, 2)
    valid = torch.tensor([[True, True, False]])
    mean = aggregate_over_time(x, None, valid, mode="mean")
    assert torch.equal(mean[0, :, 0, 0], torch.tensor([2.0, 3.0, 4.0, 5.0]))  # dates 0, 1
    # two heads, one-hot attention: head 0 looks at date 1, head 1 at date 0
    attn = torch.zeros(2, 1, 3, 1, 1)
    attn[0, 0, 1], attn[1, 0, 0] = 1.0, 1.0
    grouped = aggregate_over_time(x, attn, valid, mode="att_group")
    # channels 0-1 (head 0) from date 1 = [4, 5], channels 2-3 (head 1) from date 0 = [2, 3]
    assert torch.equal(grouped[0, :, 1, 1], torch.tensor([4.0, 5.0, 2.0, 3.0]))


# ---------------------------------------------------------------------------- FLAIR-2's arithmetic
# A small reference written for this test from the order of operations of IGNF/FLAIR-2's
# ltae.py / utae_model.py (read, not copied). It reuses the modules' weights and
# convolutions but spells out the temporal arithmetic the FLAIR-2 way: per-pixel
# sequences, head-major (n_head·N) batches, bmm of a 1×d_k query with d_k×T keys, ÷√d_k,
# softmax over T, bmm with each head's channel group; skip connections pooled by
# stacking the groups head-first, multiplying by the masks, summing over T. Our modules
# must give the same bits (float32, CPU, no padding).


def flair2_ltae(ltae, x, positions):
    b, t, c, h, w = x.shape
    heads, d_k = ltae.n_head, ltae.attention_heads.d_k
    n = b * h * w
    seq = x.permute(0, 3, 4, 1, 2).contiguous().view(n, t, c)
    seq = ltae.in_norm(seq.permute(0, 2, 1)).permute(0, 2, 1)
    seq = ltae.inconv(seq.permute(0, 2, 1)).permute(0, 2, 1)
    d = ltae.d_model // heads  # positional encoding: one table per head, concatenated
    denom = torch.pow(1000.0, 2 * (torch.arange(d) // 2).float() / d)
    table = positions.repeat_interleave(h * w, dim=0)[:, :, None] / denom
    table[:, :, 0::2] = torch.sin(table[:, :, 0::2])
    table[:, :, 1::2] = torch.cos(table[:, :, 1::2])
    seq = seq + torch.cat([table] * heads, dim=-1)
    att = ltae.attention_heads
    query = att.Q.repeat_interleave(n, dim=0).unsqueeze(1)  # row k·N + i: head k
    keys = att.fc1_k(seq).view(n, t, heads, d_k).permute(2, 0, 1, 3).contiguous()
    scores = torch.bmm(query, keys.view(heads * n, t, d_k).transpose(1, 2)) / d_k ** 0.5
    attn = torch.softmax(scores, dim=2)  # (heads·N)×1×T
    values = torch.stack(seq.split(seq.shape[-1] // heads, dim=-1)).view(heads * n, t, -1)
    out = torch.bmm(attn, values).view(heads, n, -1)
    out = ltae.out_norm(ltae.mlp(out.permute(1, 0, 2).contiguous().view(n, -1)))
    out = out.view(b, h, w, -1).permute(0, 3, 1, 2)
    return out, attn.view(heads, b, h, w, t).permute(0, 1, 4, 2, 3)


def flair2_group_pooling(x, attn):
    heads, b, t, ah, aw = attn.shape
    masks = attn.reshape(heads * b, t, ah, aw)
    if x.shape[-1] > aw:
        masks = F.interpolate(masks, size=x.shape[-2:], mode="bilinear", align_corners=False)
    else:
        masks = F.avg_pool2d(masks, kernel_size=aw // x.shape[-1])
    masks = masks.view(heads, b, t, *x.shape[-2:])
    groups = torch.stack(x.chunk(heads, dim=2))  # heads×B×T×(C/heads)×H×W
    return torch.cat(list((masks[:, :, :, None] * groups).sum(dim=2)), dim=1)


def flair2_utae_maps(utae, x, positions):
    b, t = x.shape[:2]

    def shared(block, series):
        out = block(series.reshape(b * t, *series.shape[2:]))
        return out.view(b, t, *out.shape[1:])

    skips = [shared(utae.in_conv, x)]
    for block in utae.down_blocks:
        skips.append(shared(block, skips[-1]))
    out, attn = flair2_ltae(utae.temporal_encoder, skips[-1], positions)
    maps = [out]
    for i, block in enumerate(utae.up_blocks):
        out = block(out, flair2_group_pooling(skips[-(i + 2)], attn))
        maps.append(out)
    return maps


def test_temporal_arithmetic_is_flair2s_bit_for_bit():
    """FLAIR-2's widths, 30 dates: an einsum (another summation order) differs by ~1e-6."""
    torch.manual_seed(0)
    utae = UTAE(out_conv=(32, 13)).eval()
    g = torch.Generator().manual_seed(5)
    x = torch.rand(1, 30, 10, 16, 16, generator=g, dtype=torch.float32) * 3000
    positions = (torch.rand(1, 30, generator=g) * 365).round()
    seq = torch.randn(2, 30, 128, 3, 3, generator=g)
    with torch.no_grad():
        out, attn = utae.temporal_encoder(seq, positions.repeat(2, 1))
        ref_out, ref_attn = flair2_ltae(utae.temporal_encoder, seq, positions.repeat(2, 1))
        maps = utae.feature_maps(x, positions)
        ref_maps = flair2_utae_maps(utae, x, positions)
    assert torch.equal(out, ref_out) and torch.equal(attn, ref_attn)
    assert len(maps) == len(ref_maps) == 4
    for ours, theirs in zip(maps, ref_maps):
        assert torch.equal(ours, theirs)



def test_utt_aerial_logits_follow_flair2s_temporal_arithmetic_bit_for_bit():
    torch.manual_seed(0)
    model = FlairUTT(5, 13, **TINY_UNET).eval()  # FLAIR-2's U-TAE
    g = torch.Generator().manual_seed(7)
    aerial = torch.rand(1, 5, 64, 64, generator=g)
    x = torch.rand(1, 30, 10, 16, 16, generator=g) * 3000
    positions = (torch.rand(1, 30, generator=g) * 365).round()
    with torch.no_grad():
        logits = model(aerial, x, positions)[0]
        last = flair2_utae_maps(model.utae, x, positions)[-1]
        seg = model.unet.seg_model
        features = seg.encoder(aerial)
        sizes = [tuple(f.shape[-2:]) for f in features]
        cropped = model.fusion_cropped(centre_crop(last, 10), sizes)
        collapsed = model.fusion_collapsed(last.mean(dim=(-2, -1)), sizes)
        fused = [f + (a + b) for f, a, b in zip(features, cropped, collapsed)]
        expected = seg.segmentation_head(seg.decoder(fused))
    assert torch.equal(logits, expected)

# ---------------------------------------------------------------------------- U-T&T


def test_utt_shapes_and_aux_head():
    model = tiny_utt()
    aerial = torch.rand(2, 5, 64, 64)
    x, pos = series()
    with torch.no_grad():
        aerial_logits, sat_logits = model(aerial, x, pos)
        other_aerial = model(torch.rand(2, 5, 64, 64), x, pos)[1]
        crop = centre_crop(model.utae.feature_maps(x, pos)[-1], 10)
    assert aerial_logits.shape == sat_logits.shape == (2, 13, 64, 64)
    # the satellite head sees the 10×10 crop only, upsampled nearest: aerial-independent
    assert torch.equal(sat_logits, other_aerial)
    expected = F.interpolate(model.sat_head(crop), size=(64, 64), mode="nearest")
    assert torch.equal(sat_logits, expected)


def test_fusion_is_added_to_every_encoder_stage():
    model = tiny_utt()
    seen = []
    model.unet.seg_model.decoder.register_forward_pre_hook(
        lambda module, args: seen.append([f.clone() for f in args[0]]))
    aerial = torch.rand(1, 5, 64, 64)
    x, pos = series(batch=1)
    with torch.no_grad():
        logits_a, _ = model(aerial, x, pos)
        logits_b, _ = model(aerial, torch.rand_like(x) * 3000, pos)
        plain = model.unet.seg_model.encoder(aerial)
        last = model.utae.feature_maps(x, pos)[-1]
    fused_a, fused_b = seen
    assert len(fused_a) == len(plain) == 4
    sizes = [tuple(f.shape[-2:]) for f in plain]
    cropped = model.fusion_cropped(centre_crop(last, 10), sizes)
    collapsed = model.fusion_collapsed(last.mean(dim=(-2, -1)), sizes)
    for stage, (f, p, a, b) in enumerate(zip(fused_a, plain, cropped, collapsed)):
        assert torch.allclose(f, p + a + b, atol=1e-5), stage
        assert not torch.allclose(f, fused_b[stage], atol=1e-4), stage  # S2 reaches it
    assert not torch.allclose(logits_a, logits_b, atol=1e-4)


def test_collapsed_fusion_is_per_sample():
    model = tiny_utt()
    x, pos = series(batch=2)
    aerial = torch.rand(1, 5, 64, 64).expand(2, -1, -1, -1)
    with torch.no_grad():
        both = model(aerial, x, pos)[0]
        second = model(aerial[1:], x[1:], pos[1:])[0]
    assert torch.allclose(both[1], second[0], atol=1e-4)


def test_fusion_drop_only_in_training():
    model = tiny_utt(fusion_drop_prob=1.0)
    aerial = torch.rand(2, 5, 64, 64)
    x, pos = series()
    with torch.no_grad():
        model.train()
        dropped = [model(aerial, s, pos)[0] for s in (x, torch.rand_like(x) * 3000)]
        model.eval()
        kept = [model(aerial, s, pos)[0] for s in (x, torch.rand_like(x) * 3000)]
    model.train()  # BatchNorm in train mode: compare the two S2 inputs within each mode
    assert torch.allclose(dropped[0], dropped[1])
    assert not torch.allclose(kept[0], kept[1], atol=1e-4)


def test_metadata_is_required_when_trained_with_it():
    model = tiny_utt(metadata_mlp=True)
    aerial, (x, pos) = torch.rand(1, 5, 64, 64), series(batch=1)
    with pytest.raises(ValueError, match="metadata"):
        model(aerial, x, pos)
    with torch.no_grad():
        out = model(aerial, x, pos, metadata=torch.rand(1, 45))[0]
    assert out.shape == (1, 13, 64, 64)


def test_utt_refuses_bad_inputs():
    model = tiny_utt()
    x, pos = series(batch=1)
    with pytest.raises(ValueError, match="aerial must be B×5"):
        model(torch.rand(1, 4, 64, 64), x, pos)
    with pytest.raises(ValueError, match="sentinel must be"):
        model(torch.rand(2, 5, 64, 64), x, pos)
    with pytest.raises(ValueError, match="at least 10"):
        small, small_pos = series(batch=1, size=8)
        model(torch.rand(1, 5, 64, 64), small, small_pos)


def test_centre_crop_offsets_follow_torchvision():
    x = torch.arange(41.0)[None, :, None].expand(1, 41, 41)
    assert centre_crop(x[:, :40, :40], 10)[0, :, 0].tolist() == list(range(15, 25))
    assert centre_crop(x[:, :16, :16], 10)[0, :, 0].tolist() == list(range(3, 13))
    assert centre_crop(x, 10)[0, :, 0].tolist() == list(range(16, 26))  # round(15.5) = 16


def test_collapsed_mlp_widths_follow_flair2():
    assert collapsed_mlp_widths(64, 5) == (64, 45, 26, 5)
    assert collapsed_mlp_widths(64, 64) == (64, 128, 128, 64)
    assert collapsed_mlp_widths(64, 128) == (64, 85, 106, 128)
    assert collapsed_mlp_widths(64, 512) == (64, 213, 362, 512)


def test_flair2_default_parameter_counts():
    """FLAIR-2's configuration (13 classes, 5 bands): the counts of the official model."""
    torch.manual_seed(0)
    counts = count_parameters(FlairUTT(5, 13))
    assert counts == {"unet": 24_444_381, "utae": 2_284_199, "fusion_cropped": 66_885,
                      "fusion_collapsed": 458_434, "sat_head": 845, "total": 27_254_744}


# ---------------------------------------------------------------------------- loss


def test_class_weights_for_the_13_class_baseline():
    codes = tuple(range(1, 13)) + (0,)
    aerial, sat = utt_class_weights(codes, sat_excluded=(PLOWED_LAND,))
    assert aerial == [1.0] * 12 + [0.0]
    assert sat == [1.0] * 11 + [0.0, 0.0]  # plowed land (code 12) and "other"


def test_loss_by_hand():
    loss = UTTLoss.for_codes((1, 12, 0), (PLOWED_LAND,), w_aerial=1.0, w_sat=2.0)
    aerial = torch.tensor([[1.0, 2.0, 0.5], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]]).t()
    aerial = aerial.reshape(1, 3, 1, 3)  # pixel j has logits aerial[..., j]
    sat = torch.zeros(1, 3, 1, 3)
    target = torch.tensor([[[0, 1, 2]]])
    logp = torch.log_softmax(aerial[0, :, 0], dim=0)
    expected_aerial = -(logp[0, 0] + logp[1, 1]) / 2  # pixel 2 is "other": weight 0
    expected_sat = math.log(3)  # only pixel 0 weighs (plowed land and other do not)
    value = loss(aerial, sat, target)
    assert value.item() == pytest.approx(expected_aerial.item() + 2 * expected_sat, abs=1e-6)


def test_loss_is_zero_not_nan_without_weighing_pixels():
    loss = UTTLoss.for_codes((1, 12, 0), (PLOWED_LAND,))
    logits = torch.randn(1, 3, 2, 2, requires_grad=True)
    value = loss(logits, logits, torch.full((1, 2, 2), 2))
    value.backward()
    assert value.item() == 0.0 and torch.all(logits.grad == 0)


def test_every_trainable_weight_gets_a_gradient():
    """So DistributedDataParallel needs no find_unused_parameters (unused weights frozen)."""
    model = tiny_utt().train()
    x, pos = series()
    aerial_logits, sat_logits = model(torch.rand(2, 5, 64, 64), x, pos)
    UTTLoss.for_codes(tuple(range(1, 13)) + (0,), (PLOWED_LAND,))(
        aerial_logits, sat_logits, torch.randint(0, 13, (2, 64, 64))).backward()
    beyond_depth = ("unet.seg_model.encoder.layer3.", "unet.seg_model.encoder.layer4.")
    no_grad = [n for n, p in model.named_parameters()
               if p.requires_grad and p.grad is None and not n.startswith(beyond_depth)]
    assert no_grad == []
    assert not model.utae.out_conv.conv.conv[0].weight.requires_grad

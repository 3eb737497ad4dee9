"""FlairUNet (smp U-Net + FLAIR-1 metadata MLP) and the 45-value metadata encoding."""

import math

import pytest
import torch

from flair_landcover.models.metadata_encoding import (
    MAX_ALTITUDE_M,
    METADATA_DIM,
    encode_aerial_metadata,
)
from flair_landcover.models.unet import FlairUNet, MetadataMLP, metadata_feature_map

RECORD = {"patch_centroid_x": 489353.59, "patch_centroid_y": 6587552.2,
          "patch_centroid_z": 55.2, "camera": "UCE-M3-f120-s06", "date": "2020-07-21",
          "time": "10h30", "domain": "D013_2020"}


@pytest.fixture(scope="module")
def small_mlp_model():
    torch.manual_seed(0)
    return FlairUNet(in_channels=5, num_classes=19, encoder="resnet18",
                     metadata_mlp=True).eval()


def test_forward_without_metadata_gives_logits_per_pixel():
    model = FlairUNet(in_channels=4, num_classes=13, encoder="resnet18").eval()
    with torch.no_grad():
        logits = model(torch.randn(2, 4, 64, 96))
    assert logits.shape == (2, 13, 64, 96)
    assert not model.uses_metadata
    assert not any(k.startswith("metadata_mlp") for k in model.state_dict())


def test_state_dict_keys_are_flair_inc_keys_without_model_prefix():
    keys = list(FlairUNet(in_channels=5, num_classes=19, encoder="resnet18").state_dict())
    assert keys[0] == "seg_model.encoder.conv1.weight"
    assert "seg_model.segmentation_head.0.weight" in keys
    assert all(k.startswith("seg_model.") for k in keys)


def test_forward_with_metadata_shapes_and_effect(small_mlp_model):
    x = torch.randn(2, 5, 64, 64)
    generator = torch.Generator().manual_seed(1)
    meta_a = torch.rand(2, METADATA_DIM, generator=generator)
    meta_b = torch.rand(2, METADATA_DIM, generator=generator)
    with torch.no_grad():
        logits_a = small_mlp_model(x, meta_a)
        logits_b = small_mlp_model(x, meta_b)
    assert logits_a.shape == (2, 19, 64, 64)
    assert not torch.equal(logits_a, logits_b), "metadata must change the logits"


def test_forward_with_metadata_adds_the_row_map_to_the_deepest_features(small_mlp_model):
    x = torch.randn(1, 5, 64, 64)
    metadata = torch.rand(1, METADATA_DIM)
    seg = small_mlp_model.seg_model
    with torch.no_grad():
        features = seg.encoder(x)
        vector = small_mlp_model.metadata_mlp(metadata)
        features[-1] = features[-1] + metadata_feature_map(vector, features[-1].shape)
        expected = seg.segmentation_head(seg.decoder(features))
        got = small_mlp_model(x, metadata)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


def test_metadata_map_matches_flair1_layout_on_512px_tiles():
    # resnet34 on a 512 px tile: deepest map N×512×16×16; FLAIR-1 adds v[n, i] to row i.
    vector = torch.randn(2, 16)
    mapped = metadata_feature_map(vector, (2, 512, 16, 16))
    flair1 = vector.unsqueeze(1).unsqueeze(-1).repeat(1, 512, 1, 16)
    assert torch.equal(mapped, flair1)
    assert torch.equal(mapped[1, 7, 3], torch.full((16,), float(vector[1, 3])))


def test_metadata_map_on_other_tile_sizes_averages_or_repeats_rows():
    vector = torch.arange(16, dtype=torch.float32)[None]
    small = metadata_feature_map(vector, (1, 8, 2, 3))  # 64 px tile: 2 rows
    assert torch.allclose(small[0, 0, :, 0], torch.tensor([3.5, 11.5]))
    big = metadata_feature_map(vector, (1, 4, 32, 32))  # 1024 px tile: 32 rows
    assert torch.equal(big[0, 2, :, 5], vector[0].repeat_interleave(2))


def test_metadata_model_refuses_missing_or_misshaped_metadata(small_mlp_model):
    x = torch.randn(2, 5, 64, 64)
    with pytest.raises(ValueError, match="trained with patch metadata"):
        small_mlp_model(x)
    with pytest.raises(ValueError, match="N×45 with N = 2"):
        small_mlp_model(x, torch.rand(2, 44))


def test_any_tile_size_gives_logits_of_that_size(small_mlp_model):
    # smp 0.6's U-Net resizes in its decoder; the engine still uses multiples of 32.
    with torch.no_grad():
        logits = small_mlp_model(torch.randn(1, 5, 50, 70), torch.rand(1, METADATA_DIM))
    assert logits.shape == (1, 19, 50, 70)


def test_shallow_encoder_and_custom_decoder():
    model = FlairUNet(in_channels=3, num_classes=19, encoder="resnet18", encoder_depth=3,
                      decoder_channels=(32, 16, 8), metadata_mlp=True).eval()
    with torch.no_grad():
        logits = model(torch.randn(1, 3, 24, 40), torch.rand(1, METADATA_DIM))
    assert logits.shape == (1, 19, 24, 40)
    assert model.state_dict()["seg_model.decoder.blocks.2.conv1.0.weight"].shape[0] == 8


def test_bad_depth_is_refused():
    with pytest.raises(ValueError, match="encoder_depth must be 1..5"):
        FlairUNet(in_channels=5, num_classes=19, encoder_depth=6)


def test_resnet34_flair_baseline_has_24_4_million_parameters():
    model = FlairUNet(in_channels=5, num_classes=19, encoder="resnet34")
    count = sum(p.numel() for p in model.parameters())
    assert count == 24_445_251  # FLAIR.md: "~24.4 M parameters"
    with_mlp = FlairUNet(in_channels=5, num_classes=19, metadata_mlp=True)
    mlp = (45 * 64 + 64) + (64 * 32 + 32) + (32 * 16 + 16)
    assert sum(p.numel() for p in with_mlp.parameters()) == count + mlp


def test_metadata_mlp_layout_is_flair1s():
    mlp = MetadataMLP()
    linear = {name.split(".")[0] for name, _ in mlp.named_parameters()}
    assert linear == {"0", "3", "6"}
    assert (mlp[0].in_features, mlp[3].in_features, mlp[6].out_features) == (45, 64, 16)
    assert mlp[1].p == 0.4


# ----------------------------------------------------------------------------- encoding


def test_encoding_layout_and_values():
    enc = encode_aerial_metadata(RECORD)
    assert len(enc) == METADATA_DIM == 45
    x = RECORD["patch_centroid_x"] / 1e8
    assert enc[0] == pytest.approx(math.sin(x)) and enc[1] == pytest.approx(math.cos(x))
    assert enc[2] == pytest.approx(math.sin(x / 1e8 ** (1 / 8)))
    y = RECORD["patch_centroid_y"] / 1e8
    assert enc[16] == pytest.approx(math.sin(y)) and enc[17] == pytest.approx(math.cos(y))
    assert enc[32] == pytest.approx(55.2 / MAX_ALTITUDE_M)
    assert enc[33:35] == (1.0, 0.0)  # UCE camera
    assert enc[35:39] == (0.0, 0.0, 1.0, 0.0)  # 2020
    assert enc[41] == pytest.approx((math.sin(2 * math.pi * 21 / 31) + 1) / 2)
    seconds = 10 * 3600 + 30 * 60
    assert enc[44] == pytest.approx((math.cos(2 * math.pi * seconds / 86400) + 1) / 2)
    assert all(0.0 <= v <= 1.0 for v in enc[32:])


def test_encoding_keeps_flair1_constant_month_values():
    months = {tuple(round(v, 9) for v in
                    encode_aerial_metadata({**RECORD, "date": f"2019-{m:02d}-10"})[39:41])
              for m in range(1, 13)}
    assert len(months) == 1
    (sin_month, cos_month), = months
    assert sin_month == pytest.approx(0.25) and cos_month == pytest.approx(0.9330127)


def test_encoding_other_camera_and_unencoded_year():
    enc = encode_aerial_metadata({**RECORD, "camera": "DMC-III", "date": "2023-05-02"})
    assert enc[33:35] == (0.0, 1.0)
    assert enc[35:39] == (0.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize("change, message", [
    ({"date": "21/07/2020"}, "not YYYY-MM-DD"),
    ({"date": "2020-13-01"}, "no such month"),
    ({"time": "10:75"}, "not HHhMM"),
    ({"time": "noon"}, "not HHhMM"),
])
def test_encoding_refuses_bad_dates_and_times(change, message):
    with pytest.raises(ValueError, match=message):
        encode_aerial_metadata({**RECORD, **change})


def test_encoding_names_missing_keys():
    record = {k: v for k, v in RECORD.items() if k not in ("camera", "time")}
    with pytest.raises(ValueError, match="lacks camera, time"):
        encode_aerial_metadata(record)

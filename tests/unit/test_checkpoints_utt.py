"""U-T&T checkpoints: our format round trip, and FLAIR-2 Lightning / state-dict imports.

The FLAIR-2 files are built from a freshly initialised FlairUTT whose keys are mapped back
to FLAIR-2's layout (``to_flair2_keys``); key names checked here were read from
IGNF/FLAIR-2's code (txt_model.py, fusion_utils.py, utae_model.py, ltae.py, task_module.py).
"""

import dataclasses
import json

import pytest
import torch

from flair_landcover.flair_plugin.engine.checkpoints.importers import (
    infer_temporal_shape,
    to_flair2_keys,
    to_flair_utt_keys,
)
from flair_landcover.flair_plugin.engine.checkpoints.meta import TemporalMeta
from flair_landcover.flair_plugin.engine.checkpoints.store import (
    CheckpointError,
    LoadedModel,
    ModelMeta,
    build_module,
    load_model,
    read_meta,
    save_checkpoint,
)
from flair_landcover.models.utt import FlairUTT, TemporalConfig

BASELINE13 = tuple(range(1, 13)) + (0,)
TINY_UNET = dict(encoder="resnet18", encoder_depth=3, decoder_channels=(16, 8, 4))
TINY_T = dict(encoder_widths=(8, 8, 16), decoder_widths=(8, 8, 16), out_conv_hidden=(8,),
              n_head=4, d_model=16, d_k=2)


def tiny_meta(**extra) -> ModelMeta:
    return ModelMeta(architecture="flair-utt", in_channels=5, logit_codes=BASELINE13,
                     means=(0.0,) * 5, stds=(255.0,) * 5, **TINY_UNET,
                     temporal=TemporalMeta(sat_patch_size=16, **TINY_T), **extra)


def tiny_model(metadata_mlp: bool = False) -> FlairUTT:
    torch.manual_seed(0)
    model = FlairUTT(5, 13, temporal=TemporalConfig(**TINY_T), metadata_mlp=metadata_mlp,
                     **TINY_UNET)
    generator = torch.Generator().manual_seed(3)
    for module in model.modules():  # non-default running stats: buffers must travel too
        if isinstance(module, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            module.running_mean.copy_(torch.randn(module.num_features, generator=generator))
            module.running_var.copy_(torch.rand(module.num_features, generator=generator) + .5)
    return model.eval()


def inputs(metadata: bool = False):
    g = torch.Generator().manual_seed(1)
    args = [torch.rand(2, 5, 64, 64, generator=g), torch.rand(2, 3, 10, 16, 16, generator=g),
            torch.tensor([[90.0, 30.0, -60.0], [100.0, 0.0, -200.0]])]
    return args + ([torch.rand(2, 45, generator=g)] if metadata else [])


def outputs(model, *args):
    with torch.no_grad():
        return model(*args)


def assert_same_outputs(a, b, *args):
    for x, y in zip(outputs(a, *args), outputs(b, *args)):
        assert torch.equal(x, y)


# ---------------------------------------------------------------------------- our format


def test_round_trip_gives_identical_outputs(tmp_path):
    model, meta = tiny_model(), tiny_meta(source="tests")
    path = save_checkpoint(tmp_path / "utt.flair.safetensors", model, meta, extra={"epoch": 3})
    loaded = load_model(path)
    assert isinstance(loaded, LoadedModel) and isinstance(loaded.module, FlairUTT)
    assert loaded.meta == meta and loaded.extra == {"epoch": 3}
    assert loaded.source_format == "flair-landcover"
    assert_same_outputs(model, loaded.module, *inputs())
    assert read_meta(path).temporal == meta.temporal  # from the header alone


def test_meta_json_round_trip_and_checks():
    meta = tiny_meta()
    data = json.loads(json.dumps(meta.to_dict()))
    assert data["temporal"]["encoder_widths"] == [8, 8, 16]
    assert data["temporal"]["bands"][0] == "B2" and data["temporal"]["stds"] == [1.0] * 10
    assert ModelMeta.from_dict(data) == meta and meta.uses_sentinel
    unet = ModelMeta(in_channels=5, logit_codes=BASELINE13)
    assert "temporal" not in unet.to_dict() and not unet.uses_sentinel
    assert ModelMeta(architecture="flair-utt", in_channels=5,
                     logit_codes=BASELINE13).temporal == TemporalMeta()
    with pytest.raises(ValueError, match="only goes with architecture 'flair-utt'"):
        ModelMeta(in_channels=5, logit_codes=BASELINE13, temporal=TemporalMeta())
    with pytest.raises(ValueError, match="sat_patch_size 36 must be a multiple of 8"):
        TemporalMeta(sat_patch_size=36)
    with pytest.raises(ValueError, match="Sentinel-2 bands"):
        TemporalMeta(bands=("B2",) * 10)


def test_temporal_meta_holds_every_architecture_field():
    """build_module passes TemporalMeta's fields on to TemporalConfig by name."""
    meta_fields = {f.name: f.default for f in dataclasses.fields(TemporalMeta)}
    for f in dataclasses.fields(TemporalConfig):
        assert f.name in meta_fields and meta_fields[f.name] == f.default, f.name


def test_build_module_builds_a_utt():
    module = build_module(tiny_meta())
    assert isinstance(module, FlairUTT) and module.utae.encoder_widths == [8, 8, 16]


def test_saving_weights_of_another_shape_is_refused(tmp_path):
    wider = dataclasses.replace(tiny_meta(), temporal=TemporalMeta(
        sat_patch_size=16, **{**TINY_T, "d_model": 32}))
    with pytest.raises(CheckpointError, match="do not fit a FLAIR U-T&T .*d_model 32"):
        save_checkpoint(tmp_path / "x.flair.safetensors", tiny_model(), wider)
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------------------- FLAIR-2


CONFIRMED_FLAIR2_KEYS = (  # names as IGNF/FLAIR-2's modules produce them
    "model.arch_vhr.encoder.conv1.weight",
    "model.arch_vhr.decoder.blocks.0.conv1.0.weight",
    "model.arch_vhr.segmentation_head.0.weight",
    "model.arch_hr.in_conv.conv.conv.0.weight",
    "model.arch_hr.down_blocks.0.down.conv.0.weight",
    "model.arch_hr.up_blocks.0.skip_conv.0.weight",
    "model.arch_hr.temporal_encoder.attention_heads.Q",
    "model.arch_hr.temporal_encoder.attention_heads.fc1_k.weight",
    "model.arch_hr.temporal_encoder.inconv.weight",
    "model.arch_hr.temporal_encoder.mlp.1.running_mean",
    "model.arch_hr.out_conv.conv.conv.3.weight",
    "model.fm_utae_featmap_cropped.conv_list.0.weight",
    "model.fm_utae_featmap_collapsed.mlps.3.6.weight",
    "model.mtd_mlp.enc_mlp.6.weight",
    "model.reshape_utae_output.1.weight",
)


def flair2_state(model: FlairUTT):
    state = to_flair2_keys(model.state_dict())
    state["criterion.0.weight"] = torch.tensor([1.0] * 12 + [0.0])  # aerial CE
    state["criterion.1.weight"] = torch.tensor([1.0] * 11 + [0.0, 0.0])  # satellite CE
    return state


def test_flair2_layout_has_the_official_key_names():
    state = flair2_state(tiny_model(metadata_mlp=True))
    missing = [k for k in CONFIRMED_FLAIR2_KEYS if k not in state]
    assert not missing
    renamed, aerial, satellite = to_flair_utt_keys(state)
    assert set(renamed) == set(tiny_model(metadata_mlp=True).state_dict())
    assert aerial.tolist()[-1] == 0.0 and satellite.tolist()[-2:] == [0.0, 0.0]


def test_flair2_lightning_checkpoint_imports(tmp_path):
    model = tiny_model(metadata_mlp=True)
    path = tmp_path / "ckpt-epoch=41-val_loss=0.93_flair-2-baseline.ckpt"
    torch.save({"state_dict": flair2_state(model), "epoch": 41, "global_step": 9,
                "pytorch-lightning_version": "1.9.5"}, path)
    loaded = load_model(path)
    assert isinstance(loaded.module, FlairUTT) and loaded.source_format == "flair-2-lightning"
    meta = loaded.meta
    assert meta.architecture == "flair-utt" and meta.logit_codes == BASELINE13
    assert meta.means == (0.0,) * 5 and meta.stds == (255.0,) * 5 and meta.metadata_mlp
    assert meta.encoder == "resnet18" and meta.decoder_channels == (16, 8, 4)
    t = meta.temporal
    assert (t.encoder_widths, t.decoder_widths, t.out_conv_hidden) == ((8, 8, 16),) * 2 + ((8,),)
    assert (t.n_head, t.d_k, t.d_model, t.encoder_norm, t.str_conv_k) == (4, 2, 16, "group", 4)
    assert t.sat_patch_size == 40 and t.monthly_mean and t.filter_clouds
    assert "epoch 41" in meta.source and "assumed" in meta.source
    assert_same_outputs(model, loaded.module, *inputs(metadata=True))


def test_bare_flair2_state_dict_under_ddp_imports(tmp_path):
    model = tiny_model()
    state = {"module." + k[len("model."):]: v for k, v in flair2_state(model).items()
             if k.startswith("model.")}
    torch.save(state, tmp_path / "utt_weights.pth")
    loaded = load_model(tmp_path / "utt_weights.pth")
    assert loaded.source_format == "flair-2-state-dict" and not loaded.meta.metadata_mlp
    assert loaded.meta.logit_codes == BASELINE13  # 13 logits: the baseline, "other" inactive
    assert_same_outputs(model, loaded.module, *inputs())


def test_flair2_import_names_what_is_missing(tmp_path):
    state = flair2_state(tiny_model())
    del state["model.fm_utae_featmap_cropped.conv_list.1.weight"]
    torch.save({"state_dict": state}, tmp_path / "broken.ckpt")
    with pytest.raises(CheckpointError, match="missing keys: fusion_cropped.convs.1.weight"):
        load_model(tmp_path / "broken.ckpt")


def test_temporal_shape_of_the_flair2_default():
    torch.manual_seed(0)
    shape = infer_temporal_shape(FlairUTT(5, 13).state_dict())
    assert TemporalMeta(**shape) == TemporalMeta()

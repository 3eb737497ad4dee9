"""Checkpoints: our safetensors format, FLAIR-INC / FLAIR-1 imports, refusals, downloads.

Files are real (torch.save, safetensors) and models real smp U-Nets; "the same smp model"
gives the reference logits every loaded model must reproduce exactly.
"""

import builtins
import json
import os
import pickle
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import segmentation_models_pytorch as smp
import torch
from helpers_models import flair1_lightning_checkpoint

import flair_landcover
from flair_landcover.flair_plugin.engine.checkpoints.importers import (
    infer_logit_codes,
    meta_for_state,
    to_flair_unet_keys,
)
from flair_landcover.flair_plugin.engine.checkpoints.store import (
    CHECKPOINT_SUFFIX,
    CheckpointError,
    LoadedModel,
    ModelMeta,
    build_module,
    detect_format,
    load_model,
    read_meta,
    save_checkpoint,
)
from flair_landcover.flair_plugin.engine.io.download import (
    FLAIR_INC_VARIANTS,
    default_cache_dir,
    download_flair_inc,
    flair_inc_url,
)
from flair_landcover.flair_plugin.nomenclature import CLASS_SETS, FLAIR1_MEANS, FLAIR1_STDS
from flair_landcover.models.metadata_encoding import METADATA_DIM
from flair_landcover.models.unet import FlairUNet

FIFTEEN = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0, 0, 0, 18, 0)
TWELVE = tuple(range(1, 13)) + (0,) * 7


def _randomise_batchnorm(model: torch.nn.Module) -> None:
    """Non-default running stats, so weights that skip buffers would show in the logits."""
    generator = torch.Generator().manual_seed(3)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.copy_(torch.randn(module.num_features, generator=generator))
            module.running_var.copy_(torch.rand(module.num_features, generator=generator) + .5)


def smp_unet(encoder: str = "resnet18", in_channels: int = 5, classes: int = 19):
    torch.manual_seed(0)
    model = smp.Unet(encoder_name=encoder, encoder_weights=None, in_channels=in_channels,
                     classes=classes)
    _randomise_batchnorm(model)
    return model.eval()


def logits(model, x, *metadata):
    with torch.no_grad():
        return model(x, *metadata)


def assert_same(a, b):
    torch.testing.assert_close(a, b, rtol=0, atol=0)


def flair_inc_state(model, loss_weight=None):
    """The published FLAIR-INC layout: model.seg_model.* plus the loss's class weights."""
    state = {"model.seg_model." + k: v for k, v in model.state_dict().items()}
    state["criterion.weight"] = loss_weight if loss_weight is not None else torch.ones(19)
    return state


@pytest.fixture(scope="module")
def resnet18():
    return smp_unet("resnet18")


@pytest.fixture(scope="module")
def resnet34():
    return smp_unet("resnet34")


@pytest.fixture(scope="module")
def x5():
    return torch.randn(2, 5, 64, 64, generator=torch.Generator().manual_seed(5))


# ----------------------------------------------------------------------------- our format


def test_own_format_round_trip(tmp_path, x5):
    torch.manual_seed(1)
    module = FlairUNet(5, 19, encoder="resnet18", metadata_mlp=True).eval()
    _randomise_batchnorm(module)
    meta = ModelMeta(in_channels=5, logit_codes=FIFTEEN, encoder="resnet18", metadata_mlp=True,
                     source="unit test")
    path = save_checkpoint(tmp_path / f"m{CHECKPOINT_SUFFIX}", module, meta,
                           extra={"epoch": 4, "miou": 0.5})
    assert detect_format(path) == "safetensors"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind

    loaded = load_model(path)
    assert isinstance(loaded, LoadedModel)
    assert loaded.meta == meta and loaded.extra == {"epoch": 4, "miou": 0.5}
    assert loaded.source_format == "flair-landcover" and not loaded.module.training
    saved, back = module.state_dict(), loaded.module.state_dict()
    assert saved.keys() == back.keys()
    assert all(torch.equal(saved[k], back[k]) for k in saved)
    metadata = torch.rand(2, METADATA_DIM)
    assert_same(logits(loaded.module, x5, metadata), logits(module, x5, metadata))
    assert read_meta(path) == meta


def test_own_format_is_plain_safetensors_with_json_meta(tmp_path, resnet18):
    module = FlairUNet(5, 19, encoder="resnet18")
    module.seg_model.load_state_dict(resnet18.state_dict())
    path = save_checkpoint(tmp_path / "plain.bin", module,  # any name: found by content
                           ModelMeta(in_channels=5, logit_codes=TWELVE, encoder="resnet18"))
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        stored = json.loads(f.metadata()["flair_landcover"])
    assert stored["bands"] == ["red", "green", "blue", "nir", "elevation"]
    assert stored["means"] == list(FLAIR1_MEANS) and stored["stds"] == list(FLAIR1_STDS)
    assert stored["class_names"][0] == "building" and stored["class_colours"][0] == "#db0e9a"
    assert stored["logit_codes"] == list(TWELVE) and stored["format_version"] == 1
    assert load_model(path).meta.active_codes == tuple(range(1, 13))


def test_meta_json_round_trip_and_derived_fields():
    meta = ModelMeta(in_channels=4, logit_codes=FIFTEEN, source="x")
    assert meta.bands == ("red", "green", "blue", "nir")
    assert meta.means == FLAIR1_MEANS[:4] and meta.stds == FLAIR1_STDS[:4]
    assert meta.active_codes == CLASS_SETS["15cl"]
    assert meta.active_logits == (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17)
    assert meta.classes()[-1] == (18, "greenhouse", "#9999ff")
    text = json.dumps(meta.to_dict())
    assert ModelMeta.from_dict(json.loads(text)) == meta


@pytest.mark.parametrize("kwargs, message", [
    ({"in_channels": 3, "bands": ("red", "green")}, "3 input channels need 3 bands"),
    ({"in_channels": 2, "bands": ("red", "swir")}, "distinct names among"),
    ({"in_channels": 1, "bands": ("red",), "stds": (0.0,)}, "stds must be > 0"),
    ({"in_channels": 5, "logit_codes": (0, 0)}, "no active code"),
    ({"in_channels": 5, "logit_codes": (1, 1)}, "repeats a code"),
    ({"in_channels": 5, "logit_codes": (1, 20)}, "codes are 1..19"),
    ({"in_channels": 7}, "in_channels must be 1..5"),
])
def test_meta_refuses_inconsistent_fields(kwargs, message):
    kwargs.setdefault("logit_codes", (1, 2))
    with pytest.raises(ValueError, match=message):
        ModelMeta(**kwargs)


def test_save_refuses_meta_that_does_not_describe_the_module(tmp_path, resnet18):
    module = FlairUNet(5, 19, encoder="resnet18")
    wrong = ModelMeta(in_channels=4, logit_codes=tuple(range(1, 20)), encoder="resnet18")
    target = tmp_path / "bad.flair.safetensors"
    with pytest.raises(CheckpointError, match=r"wrong shapes: seg_model\.encoder\.conv1\.weight"):
        save_checkpoint(target, module, wrong)
    with pytest.raises(CheckpointError, match="JSON-serialisable"):
        save_checkpoint(target, module, ModelMeta(in_channels=5, logit_codes=tuple(range(1, 20)),
                                                  encoder="resnet18"), extra={"t": torch.ones(1)})
    assert list(tmp_path.iterdir()) == []


def test_newer_format_version_is_refused(tmp_path):
    module = FlairUNet(3, 19, encoder="resnet18")
    path = save_checkpoint(tmp_path / "m.flair.safetensors", module,
                           ModelMeta(in_channels=3, logit_codes=tuple(range(1, 20)),
                                     encoder="resnet18"))
    from safetensors.torch import load_file, save_file

    future = ModelMeta(in_channels=3, logit_codes=tuple(range(1, 20))).to_dict()
    future["format_version"] = 99
    save_file(load_file(str(path)), str(path), metadata={"flair_landcover": json.dumps(future)})
    with pytest.raises(CheckpointError, match="newer than this plugin reads"):
        load_model(path)


# ----------------------------------------------------------------------------- FLAIR-INC


def test_flair_inc_pth_as_published_loads_with_identical_logits(tmp_path, resnet34, x5):
    weights = torch.ones(19)
    weights[[14, 15, 16, 18]] = 0
    path = tmp_path / "FLAIR-INC_rgbie_15cl_resnet34-unet_weights.pth"
    torch.save(flair_inc_state(resnet34, weights), path)
    assert detect_format(path) == "torch-zip"

    loaded = load_model(path)
    assert loaded.source_format == "flair-inc"
    meta = loaded.meta
    assert (meta.encoder, meta.in_channels, meta.num_logits) == ("resnet34", 5, 19)
    assert meta.bands == ("red", "green", "blue", "nir", "elevation")
    assert meta.logit_codes == FIFTEEN and meta.means == FLAIR1_MEANS
    assert "huggingface.co/IGNF/FLAIR-INC_rgbie_15cl_resnet34-unet" in meta.source
    assert_same(logits(loaded.module, x5), logits(resnet34, x5))


def test_imported_model_resaved_in_own_format_keeps_logits(tmp_path, resnet18, x5):
    path = tmp_path / "FLAIR-INC_rgbie_12cl_resnet18-unet_weights.pth"
    torch.save(flair_inc_state(resnet18), path)
    imported = load_model(path)
    ours = save_checkpoint(tmp_path / "converted.flair.safetensors", imported.module,
                           imported.meta)
    again = load_model(ours)
    assert again.meta == imported.meta and again.meta.logit_codes == TWELVE
    assert_same(logits(again.module, x5), logits(resnet18, x5))


def test_legacy_torch_save_format_loads(tmp_path, resnet18, x5):
    path = tmp_path / "old_rgbie_weights.pth"
    torch.save(flair_inc_state(resnet18), path, _use_new_zipfile_serialization=False)
    assert detect_format(path) == "torch-pickle"
    assert_same(logits(load_model(path).module, x5), logits(resnet18, x5))


def test_bare_smp_state_dict_loads(tmp_path, resnet18, x5):
    path = tmp_path / "unet.pt"
    torch.save(resnet18.state_dict(), path)
    loaded = load_model(path)
    assert loaded.source_format == "smp-state-dict" and loaded.meta.logit_codes == tuple(
        range(1, 20))
    assert_same(logits(loaded.module, x5), logits(resnet18, x5))


@pytest.mark.parametrize("bands, channels", [("rgb", 3), ("rgbi", 4), ("rgbie", 5)])
@pytest.mark.parametrize("class_set, codes", [("12cl", TWELVE), ("15cl", FIFTEEN)])
def test_bands_and_classes_inferred_from_weights_and_name(resnet18, bands, channels,
                                                          class_set, codes):
    state = flair_inc_state(resnet18)  # loss weights all 1: the name must decide
    conv = "model.seg_model.encoder.conv1.weight"
    state[conv] = state[conv][:, :channels]
    renamed, loss_weight = to_flair_unet_keys(state)
    name = f"FLAIR-INC_{bands}_{class_set}_resnet34-unet_weights.pth"
    meta = meta_for_state(renamed, file_name=name, source="t", loss_weight=loss_weight)
    expected_bands = ("red", "green", "blue", "nir", "elevation")[:channels]
    assert (meta.in_channels, meta.bands, meta.logit_codes) == (channels, expected_bands, codes)
    assert meta.means == FLAIR1_MEANS[:channels] and meta.encoder == "resnet18"


def test_classes_from_loss_weights_when_the_name_says_nothing():
    weights = [1.0] * 19
    for code in (15, 16, 17, 19):
        weights[code - 1] = 0.0
    assert infer_logit_codes(19, "my_model.pth", weights) == FIFTEEN
    assert infer_logit_codes(19, "my_model.pth", None) == tuple(range(1, 20))
    assert infer_logit_codes(13, "baseline.ckpt", None) == tuple(range(1, 13)) + (0,)
    with pytest.raises(CheckpointError, match="has 7 output classes"):
        infer_logit_codes(7, "x.pth")


def test_legacy_13_class_model_gets_codes_and_divide_by_255(tmp_path):
    model = smp_unet("resnet18", in_channels=3, classes=13)
    path = tmp_path / "flair-2_unet_baseline.ckpt"
    torch.save({"state_dict": {"model.seg_model." + k: v for k, v in
                               model.state_dict().items()}, "epoch": 1}, path)
    meta = load_model(path).meta
    assert meta.logit_codes == tuple(range(1, 13)) + (0,)
    assert meta.means == (0.0,) * 3 and meta.stds == (255.0,) * 3
    assert "÷ 255" in meta.source


def test_encoder_inferred_from_block_layout(tmp_path):
    for encoder in ("resnet50", "resnext50_32x4d"):
        state = smp.Unet(encoder_name=encoder, encoder_weights=None, in_channels=3,
                         classes=19).state_dict()
        renamed, _ = to_flair_unet_keys(state)
        assert meta_for_state(renamed, file_name="m.pth", source="t").encoder == encoder


# ----------------------------------------------------------------------------- FLAIR-1


def test_flair1_lightning_ckpt_with_metadata_mlp(tmp_path, x5):
    torch.manual_seed(2)
    model = FlairUNet(5, 19, encoder="resnet18", metadata_mlp=True).eval()
    _randomise_batchnorm(model)
    weights = torch.ones(19)
    weights[[14, 15, 16, 18]] = 0
    path = tmp_path / "flair-1_epoch=07.ckpt"
    torch.save(flair1_lightning_checkpoint(model, weights), path)

    loaded = load_model(path)
    assert loaded.source_format == "flair-1-lightning" and loaded.meta.metadata_mlp
    assert loaded.meta.logit_codes == FIFTEEN  # from the loss weights
    assert loaded.extra == {"epoch": 7, "global_step": 700,
                            "pytorch-lightning_version": "2.1.3"}
    assert "epoch 7" in loaded.meta.source
    metadata = torch.rand(2, METADATA_DIM)
    assert_same(logits(loaded.module, x5, metadata), logits(model, x5, metadata))


def test_flair1_lightning_ckpt_without_metadata_matches_smp(tmp_path, resnet18, x5):
    module = FlairUNet(5, 19, encoder="resnet18")
    module.seg_model.load_state_dict(resnet18.state_dict())
    path = tmp_path / "last.ckpt"
    torch.save(flair1_lightning_checkpoint(module, torch.ones(19)), path)
    loaded = load_model(path)
    assert not loaded.meta.metadata_mlp
    assert_same(logits(loaded.module, x5), logits(resnet18, x5))


# ----------------------------------------------------------------------------- refusals


class _WritesAFile:
    """A pickle payload: unpickling it opens (creates) `target` for writing."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return builtins.open, (str(self.target), "w")


def test_malicious_pickle_is_refused_and_its_code_never_runs(tmp_path, resnet18):
    marker = tmp_path / "pwned.txt"
    state = flair_inc_state(resnet18)
    state["criterion.weight"] = _WritesAFile(marker)
    evil = tmp_path / "FLAIR-INC_rgbie_15cl_resnet34-unet_weights.pth"
    torch.save(state, evil)
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps({"x": _WritesAFile(marker)}, protocol=2))

    for path in (evil, raw):
        with pytest.raises(CheckpointError, match="contains executable pickle code") as err:
            load_model(path)
        assert re.search(r"asks to call `(io|builtins)\.open`", str(err.value))
        assert "If you trust its author" in str(err.value)
        assert not marker.exists(), "the pickle's payload ran"
    # Control: the payload is live, so the assertion above could have failed.
    pickle.loads(raw.read_bytes())
    assert marker.exists()


def test_whole_pickled_model_is_refused(tmp_path, resnet18):
    path = tmp_path / "model.pth"
    torch.save(resnet18, path)
    with pytest.raises(CheckpointError, match="executable pickle code.*segmentation_models"):
        load_model(path)


def test_unknown_and_empty_files(tmp_path):
    junk = tmp_path / "model.pth"
    junk.write_bytes(os.urandom(64).replace(b"\x80", b"\x00").replace(b"PK", b"pk"))
    with pytest.raises(CheckpointError, match="not a model file.*Accepted: this plugin's "
                                              r"\.flair\.safetensors.*FLAIR-INC \.pth"):
        load_model(junk)
    lfs = tmp_path / "FLAIR-INC_rgb_15cl_resnet34-unet_weights.pth"
    lfs.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:e7be\nsize 97957843\n")
    with pytest.raises(CheckpointError, match="Git LFS pointer"):
        load_model(lfs)
    empty = tmp_path / "empty.flair.safetensors"
    empty.touch()
    with pytest.raises(CheckpointError, match="is empty"):
        load_model(empty)
    with pytest.raises(CheckpointError, match="is missing"):
        load_model(tmp_path / "nothing.pth")
    with pytest.raises(CheckpointError, match="is a folder"):
        load_model(tmp_path)


def test_truncated_files(tmp_path, resnet18):
    pth = tmp_path / "w.pth"
    torch.save(flair_inc_state(resnet18), pth)
    ours = save_checkpoint(tmp_path / "w.flair.safetensors", FlairUNet(5, 19, "resnet18"),
                           ModelMeta(in_channels=5, logit_codes=FIFTEEN, encoder="resnet18"))
    for path in (pth, ours):
        data = path.read_bytes()
        cut = tmp_path / ("cut_" + path.name)
        cut.write_bytes(data[: len(data) // 2])
        with pytest.raises(CheckpointError, match="truncated or corrupted"):
            load_model(cut)
    header_cut = tmp_path / "header_cut.flair.safetensors"
    header_cut.write_bytes(ours.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        load_model(header_cut)


def test_state_dict_that_does_not_fit_names_the_keys(tmp_path, resnet18):
    state = flair_inc_state(resnet18)
    del state["model.seg_model.decoder.blocks.4.conv2.1.running_var"]
    state["model.seg_model.aux_head.weight"] = torch.zeros(3)
    path = tmp_path / "FLAIR-INC_rgbie_15cl_resnet34-unet_weights.pth"
    torch.save(state, path)
    with pytest.raises(CheckpointError, match=r"do not fit a FLAIR U-Net \(resnet18.*5 input "
                                              r"bands, 19 logits\)") as err:
        load_model(path)
    message = str(err.value)
    assert "missing keys: seg_model.decoder.blocks.4.conv2.1.running_var" in message
    assert "unexpected keys: seg_model.aux_head.weight" in message


def test_not_a_unet_and_not_a_state_dict(tmp_path):
    fpn = tmp_path / "fpn.pth"
    torch.save({"model.seg_model." + k: v for k, v in smp.FPN(
        encoder_name="resnet18", encoder_weights=None, classes=19).state_dict().items()}, fpn)
    with pytest.raises(CheckpointError, match="not a U-Net state dict.*looks like an FPN"):
        load_model(fpn)
    config = tmp_path / "config.pth"
    torch.save({"lr": 0.02, "epochs": 200}, config)
    with pytest.raises(CheckpointError, match="not a state dict: lr, epochs are not tensors"):
        load_model(config)
    seven = tmp_path / "seven.pth"
    torch.save(smp.Unet("resnet18", encoder_weights=None, in_channels=7,
                        classes=19).state_dict(), seven)
    with pytest.raises(CheckpointError, match="7 input channels.*bands cannot be guessed"):
        load_model(seven)


def test_foreign_safetensors_is_refused(tmp_path, resnet18):
    from safetensors.torch import save_file

    path = tmp_path / "other.safetensors"
    save_file({"backbone.w": torch.zeros(2)}, str(path))
    with pytest.raises(CheckpointError, match="without FLAIR Land Cover metadata.*FLAIR-HUB"):
        load_model(path)
    # FLAIR-HUB keys go to its importer, which names what is missing
    path = tmp_path / "hub.safetensors"
    save_file({"encoders.AERIAL.seg_model.w": torch.zeros(2)}, str(path))
    with pytest.raises(CheckpointError, match="FLAIR-HUB weights lack an encoder or a task"):
        load_model(path)


def test_build_module_follows_meta():
    meta = ModelMeta(in_channels=3, logit_codes=TWELVE, encoder="resnet18", encoder_depth=4,
                     decoder_channels=(64, 32, 16, 8), metadata_mlp=True)
    module = build_module(meta)
    assert isinstance(module, FlairUNet) and module.uses_metadata
    assert module.seg_model.segmentation_head[0].in_channels == 8


# ----------------------------------------------------------------------------- downloads


def _hub_blocked(monkeypatch):
    """Make `import huggingface_hub` fail, as on a machine without the package."""
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)


def test_download_returns_a_cached_file_without_the_network(tmp_path, monkeypatch):
    cached = tmp_path / "FLAIR-INC_rgbi_12cl_resnet34-unet_weights.pth"
    cached.write_bytes(b"weights")
    _hub_blocked(monkeypatch)  # a network attempt would need the package: it must not
    assert download_flair_inc("rgbi_12cl", cache_dir=tmp_path) == cached


def test_download_needs_no_huggingface_hub(tmp_path, monkeypatch):
    """The file comes over plain HTTP (a hub-like server here); huggingface_hub, when
    installed, only adds the user's token."""
    from helpers_hub_server import hub_server

    _hub_blocked(monkeypatch)
    name = "FLAIR-INC_rgb_15cl_resnet34-unet_weights.pth"
    with hub_server({f"IGNF/FLAIR-INC_rgb_15cl_resnet34-unet/{name}": b"weights"}) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        assert download_flair_inc("rgb_15cl", cache_dir=tmp_path).read_bytes() == b"weights"
    assert flair_inc_url("rgb_15cl") == ("https://huggingface.co/IGNF/FLAIR-INC_rgb_15cl_"
                                         "resnet34-unet/resolve/main/" + name)


def test_download_offline_says_what_to_fetch_and_where(tmp_path):
    # A fresh interpreter: huggingface_hub reads HF_HUB_OFFLINE when first imported.
    holder = Path(flair_landcover.__path__[0]).parent  # the folder conftest put on sys.path
    code = ("import sys\n"
            "from flair_landcover.flair_plugin.engine.io.download import "
            "download_flair_inc, WeightsDownloadError\n"
            "try:\n"
            f"    download_flair_inc('rgbie_15cl', cache_dir={str(tmp_path)!r})\n"
            "except WeightsDownloadError as exc:\n"
            "    print(exc)\n"
            "    sys.exit(3)\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": str(holder)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "offline mode is on" in done.stdout and "not installed" not in done.stdout
    assert flair_inc_url("rgbie_15cl") in done.stdout
    assert str(tmp_path / "FLAIR-INC_rgbie_15cl_resnet34-unet_weights.pth") in done.stdout
    assert not (tmp_path / "FLAIR-INC_rgbie_15cl_resnet34-unet_weights.pth").exists()


def test_download_variants_and_cache_location(monkeypatch, tmp_path):
    assert len(FLAIR_INC_VARIANTS) == 6 and "rgbie_15cl" in FLAIR_INC_VARIANTS
    with pytest.raises(CheckpointError, match="published ones are rgb_12cl, rgb_15cl"):
        download_flair_inc("rgbie_19cl", cache_dir=tmp_path)
    monkeypatch.delenv("FLAIR_MODELS_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "flair_landcover"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "flair_landcover"


def test_struct_of_safetensors_header_is_what_detection_reads(tmp_path):
    # detect_format relies on: 8-byte little-endian header size, then a JSON object.
    path = save_checkpoint(tmp_path / "m.flair.safetensors", FlairUNet(3, 19, "resnet18"),
                           ModelMeta(in_channels=3, logit_codes=TWELVE, encoder="resnet18"))
    data = path.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    assert json.loads(data[8:8 + size])["__metadata__"]["flair_landcover"]

"""Hostile or damaged model files: one clear message each, never a traceback, never code.

Every file here is a real file on disk (safetensors written by the safetensors library,
pickles by torch.save), damaged or crafted the way a hostile or broken file would be:
metadata out of its schema, weights that are NaN, infinite, of the wrong declared type or
absurdly large, pickles under a safetensors name, and the same faults in every importer's
layout (FLAIR-INC .pth, FLAIR-1 and FLAIR-2 Lightning checkpoints, bare smp state dicts).
They are loaded through the engine, through ``flair-landcover predict`` and through
``train --init``: each must end in one line that says what is wrong.
"""

import json
import os
import pickle
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from helpers_models import TINY, flair1_lightning_checkpoint, our_checkpoint, tiny_unet
from helpers_rasters import write_raster
from safetensors.torch import save_file

from flair_landcover.flair_plugin.engine.checkpoints.importers import to_flair2_keys
from flair_landcover.flair_plugin.engine.checkpoints.meta import TemporalMeta
from flair_landcover.flair_plugin.engine.checkpoints.store import (
    EXTRA_KEY,
    META_KEY,
    CheckpointError,
    ModelMeta,
    load_model,
    save_checkpoint,
)
from flair_landcover.flair_plugin.engine.cli.main import main
from flair_landcover.models.utt import FlairUTT, TemporalConfig

TINY_T = dict(encoder_widths=(8, 8, 16), decoder_widths=(8, 8, 16), out_conv_hidden=(8,),
              n_head=4, d_model=16, d_k=2)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A valid tiny model in our format: its state and metadata to damage."""
    path = our_checkpoint(tmp_path_factory.mktemp("good") / "good.flair.safetensors")
    loaded = load_model(path)
    state = {k: v.contiguous() for k, v in loaded.module.state_dict().items()}
    return path, state, loaded.meta.to_dict()


def ours(path, state, meta: dict, extra: str = "{}"):
    """A file in our format with the given (maybe hostile) metadata dict."""
    save_file(state, str(path), metadata={META_KEY: json.dumps(meta), EXTRA_KEY: extra})
    return path


def refused(path, match):
    with pytest.raises(CheckpointError, match=match) as error:
        load_model(path)
    assert "\n" not in str(error.value).strip()
    return str(error.value)


# --------------------------------------------------------------------------- our metadata

@pytest.mark.parametrize("changes, match", [
    ({"encoder": "no_such_encoder"}, "cannot build a flair-unet with encoder 'no_such_encoder'"),
    ({"encoder": "../../etc/passwd"}, "encoder '../../etc/passwd' is not a valid name"),
    ({"encoder_depth": 99}, "encoder_depth must be 1..5, got 99"),
    ({"encoder_depth": "3"}, "encoder_depth must be a whole number"),
    ({"pixel_size": "abc"}, "pixel_size must be a number, got 'abc'"),
    ({"pixel_size": -1}, "pixel_size must be a finite number > 0"),
    ({"decoder_channels": [2000000]}, r"decoder_channels\[0\] must be 1..2048, got 2000000"),
    ({"decoder_channels": [16]}, "decoder_channels has 1 widths for encoder_depth 3"),
    ({"in_channels": "5"}, "in_channels must be a whole number"),
    ({"metadata_mlp": "false"}, "metadata_mlp must be true or false"),
    ({"logit_codes": list(range(1, 20)) * 20}, "logit_codes has 380 entries"),
    ({"tile_size": 10 ** 9}, "tile_size must be 8..16384"),
    ({"class_colours": ["red"] * 19}, r"class_colours\[0\] 'red' is not a valid name"),
    ({"means": [float("nan")] * 5}, r"means\[0\] must be a finite number, got nan"),
    ({"source": "x" * 20000}, "source must be a text of at most 10000 characters"),
    ({"format_version": 99}, "newer than this plugin reads"),
    ({"architecture": "flair-utt", "temporal": {"n_head": 10 ** 6}},
     "temporal.n_head must be 1..64"),
    ({"architecture": "flair-utt", "temporal": {"encoder_widths": [2000000, 8]}},
     r"temporal.encoder_widths\[0\] must be 1..2048"),
    ({"architecture": "flair-utt", "temporal": "no"}, "temporal must be a TemporalMeta"),
])
def test_metadata_out_of_its_schema_is_one_line(good, tmp_path, changes, match):
    _, state, meta = good
    refused(ours(tmp_path / "bad.flair.safetensors", state, {**meta, **changes}), match)


def test_unreadable_metadata(good, tmp_path):
    _, state, meta = good
    path = tmp_path / "m.flair.safetensors"
    save_file(state, str(path), metadata={META_KEY: "{not json"})
    refused(path, "unreadable metadata")
    save_file(state, str(path), metadata={META_KEY: "[1, 2]"})
    refused(path, "metadata that is not a JSON object")


def test_huge_layers_are_refused_before_anything_is_allocated(good, tmp_path):
    """decoder widths the weights do not have: compared on a model without storage, so
    the refusal costs no memory (it once grew to 5.4 GB before failing)."""
    _, state, meta = good
    path = ours(tmp_path / "huge.flair.safetensors", state,
                {**meta, "decoder_channels": [2048, 2048, 2048]})
    # VmHWM: the child's own peak after exec (its rusage would count the pages of the
    # test process it was forked from)
    code = ("import sys\n"
            "from flair_landcover.flair_plugin.engine.checkpoints.store import load_model\n"
            "try:\n    load_model(sys.argv[1])\nexcept Exception as e:\n"
            "    print(type(e).__name__, e)\n"
            "print([l.split()[1] for l in open('/proc/self/status') if "
            "l.startswith('VmHWM')][0])\n")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, env=_env())
    assert done.returncode == 0, done.stderr
    message, peak_kb = done.stdout.strip().rsplit("\n", 1)
    assert message.startswith("CheckpointError") and "wrong shapes" in message
    peak_mb = int(peak_kb) / 1024
    print(f"\nrefusing 2048-wide decoder layers: peak RSS {peak_mb:.0f} MB, "
          f"{time.perf_counter() - started:.1f} s")
    # building those layers for real holds 782 MB of weights: a 1.5 GB peak here
    assert peak_mb < 1200


def _env():
    import flair_landcover

    holder = os.path.dirname(flair_landcover.__path__[0])
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (holder, os.environ.get("PYTHONPATH")) if p)}


# --------------------------------------------------------------------------- our weights

def _damaged(state, key, value):
    return {**state, key: value}


def test_nan_and_infinite_weights_are_refused(good, tmp_path):
    _, state, meta = good
    key = "seg_model.segmentation_head.0.weight"
    for bad in (float("nan"), float("inf")):
        weights = state[key].clone()
        weights.view(-1)[3] = bad
        path = ours(tmp_path / "nan.flair.safetensors", _damaged(state, key, weights), meta)
        message = refused(path, f"weight {key} holds NaN or infinite values")
        assert "predict one class everywhere" in message


def test_a_tensor_whose_declared_type_is_wrong_is_refused(good, tmp_path):
    """The header says I32 where the bytes are float32 (same size): garbage values that
    would load silently and give a garbage map."""
    _, state, meta = good
    path = ours(tmp_path / "dtype.flair.safetensors", state, meta)
    raw = bytearray(path.read_bytes())
    size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + size])
    key = "seg_model.segmentation_head.0.weight"
    assert header[key]["dtype"] == "F32"
    header[key]["dtype"] = "I32"
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (size - len(text))
    assert len(text) == size
    path.write_bytes(bytes(raw[:8]) + text + bytes(raw[8 + size:]))
    refused(path, f"weight {key} is stored as int32, but the layer holds floating-point")


def test_implausibly_large_weights_are_refused(good, tmp_path):
    _, state, meta = good
    key = "seg_model.decoder.blocks.0.conv1.0.weight"
    weights = state[key].clone()
    weights.view(-1)[0] = 3e30  # what a float16 read as bfloat16 looks like
    path = ours(tmp_path / "big.flair.safetensors", _damaged(state, key, weights), meta)
    refused(path, f"weight {key} holds values up to 3e\\+30")


def test_saving_nan_weights_is_refused_too(tmp_path):
    module = tiny_unet()
    with torch.no_grad():
        next(module.parameters()).view(-1)[0] = float("nan")
    meta = ModelMeta(in_channels=5, logit_codes=tuple(range(1, 20)), **TINY)
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        save_checkpoint(tmp_path / "nan.flair.safetensors", module, meta)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- files

class _WritesAFile:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickles_under_a_safetensors_name_are_read_as_what_they_are(good, tmp_path):
    """torch would hand a ``.safetensors`` name to safetensors' reader whatever the bytes
    (a SafetensorError traceback): the content decides here, so a pickle is refused as a
    pickle, and a state dict pickled under that name still loads."""
    _, state, _ = good
    marker = tmp_path / "pwned.txt"
    evil = tmp_path / "evil.flair.safetensors"
    torch.save({"x": _WritesAFile(marker)}, evil)
    refused(evil, "contains executable pickle code")
    assert not marker.exists(), "the pickle's payload ran"
    legacy = tmp_path / "legacy.flair.safetensors"
    torch.save({"a": torch.zeros(2)}, legacy, _use_new_zipfile_serialization=False)
    refused(legacy, "not a U-Net state dict")
    listed = tmp_path / "list.flair.safetensors"
    torch.save([1, 2, 3], listed)
    refused(listed, "holds a list, not model weights")
    pickled_state = tmp_path / "state.flair.safetensors"
    torch.save(state, pickled_state)
    assert load_model(pickled_state).source_format == "smp-state-dict"
    # control: the payload is live
    pickle.loads(pickle.dumps({"x": _WritesAFile(marker)}))
    assert marker.exists()


def test_truncated_and_garbage_files(good, tmp_path):
    path, _, _ = good
    raw = path.read_bytes()
    cut = tmp_path / "cut.flair.safetensors"
    cut.write_bytes(raw[:len(raw) // 2])
    refused(cut, "truncated or corrupted")
    header_cut = tmp_path / "header.flair.safetensors"
    header_cut.write_bytes(raw[:40])
    refused(header_cut, "truncated or corrupted")
    huge = tmp_path / "huge.flair.safetensors"
    huge.write_bytes((2 ** 62).to_bytes(8, "little") + b"{" + b" " * 100)
    refused(huge, "truncated or corrupted")
    zeros = tmp_path / "zeros.pth"
    zeros.write_bytes(b"\0" * 4096)
    refused(zeros, "not a model file this plugin reads")
    zip_cut = tmp_path / "zip.pth"
    torch.save({"a": torch.zeros(1000)}, zip_cut)
    zip_cut.write_bytes(zip_cut.read_bytes()[:600])
    refused(zip_cut, "truncated or corrupted")


# --------------------------------------------------------------------------- importers

def _flair_inc(tmp_path, state, name="FLAIR-INC_rgbie_15cl_resnet34-unet_weights.pth"):
    path = tmp_path / name
    torch.save(state, path)
    return path


def test_flair_inc_pth_faults(tmp_path):
    model = tiny_unet()
    state = {"model." + k: v for k, v in model.state_dict().items()}
    state["criterion.weight"] = torch.ones(19)
    head = "model.seg_model.segmentation_head.0.weight"
    ours_head = "seg_model.segmentation_head.0.weight"
    nan = dict(state)
    nan[head] = state[head].clone()
    nan[head].view(-1)[0] = float("nan")
    refused(_flair_inc(tmp_path, nan), f"weight {ours_head} holds NaN")
    as_int = dict(state)
    as_int[head] = state[head].to(torch.int32)
    refused(_flair_inc(tmp_path, as_int), f"weight {ours_head} is stored as int32")
    scalar = dict(state)
    scalar[head] = torch.tensor(1.0)  # a 0-d tensor where a layer is expected
    refused(_flair_inc(tmp_path, scalar), "FLAIR-INC_rgbie_15cl")
    not_tensor = dict(state)
    not_tensor[head] = 3
    refused(_flair_inc(tmp_path, not_tensor), "not a state dict")


def test_flair1_lightning_checkpoint_faults(tmp_path):
    model = tiny_unet()
    ckpt = flair1_lightning_checkpoint(model, torch.ones(19))
    key = "model.seg_model.decoder.blocks.0.conv1.0.weight"
    ckpt["state_dict"][key] = ckpt["state_dict"][key].clone()
    ckpt["state_dict"][key].view(-1)[0] = float("inf")
    path = tmp_path / "flair1.ckpt"
    torch.save(ckpt, path)
    refused(path, "holds NaN or infinite values")
    ckpt["state_dict"] = [1, 2]
    torch.save(ckpt, path)
    refused(path, "flair1.ckpt is a dictionary but not a state dict")


def _utt_state():
    torch.manual_seed(0)
    model = FlairUTT(5, 13, temporal=TemporalConfig(**TINY_T), encoder="resnet18",
                     encoder_depth=3, decoder_channels=(16, 8, 4))
    return to_flair2_keys(model.state_dict())


def test_flair2_utt_checkpoint_faults(tmp_path):
    state = _utt_state()
    path = tmp_path / "flair2.ckpt"
    no_utae = {k: v for k, v in state.items() if ".arch_hr." not in k}
    torch.save({"state_dict": no_utae, "epoch": 3}, path)
    refused(path, "lack their U-TAE branch")
    nan = dict(state)
    key = next(k for k in state if k.startswith("model.arch_hr.") and
               state[k].is_floating_point() and state[k].dim() == 4)
    nan[key] = state[key].clone()
    nan[key].view(-1)[0] = float("nan")
    torch.save({"state_dict": nan, "epoch": 3}, path)
    refused(path, "holds NaN or infinite values")
    odd = dict(state)
    odd["model.arch_hr.temporal_encoder.attention_heads.Q"] = torch.zeros(3)  # 1-d
    torch.save(odd, path)
    refused(path, "flair2.ckpt")


def test_bare_smp_state_dict_of_the_wrong_type(tmp_path):
    state = {k[len("seg_model."):]: v for k, v in tiny_unet().state_dict().items()}
    key = "decoder.blocks.0.conv1.0.weight"
    state[key] = state[key].to(torch.float64)  # another float type is still floats: loads
    path = tmp_path / "smp.pth"
    torch.save(state, path)
    assert load_model(path).source_format == "smp-state-dict"
    state[key] = state[key].to(torch.int64)
    torch.save(state, path)
    refused(path, "is stored as int64")


def test_our_utt_with_hostile_temporal_metadata(tmp_path):
    meta = ModelMeta(architecture="flair-utt", in_channels=5,
                     logit_codes=tuple(range(1, 13)) + (0,), means=(0.0,) * 5,
                     stds=(255.0,) * 5, encoder="resnet18", encoder_depth=3,
                     decoder_channels=(16, 8, 4),
                     temporal=TemporalMeta(sat_patch_size=16, **TINY_T))
    torch.manual_seed(0)
    module = FlairUTT(5, 13, temporal=TemporalConfig(**TINY_T), encoder="resnet18",
                      encoder_depth=3, decoder_channels=(16, 8, 4))
    path = save_checkpoint(tmp_path / "utt.flair.safetensors", module, meta)
    state = dict(load_model(path).module.state_dict())
    hostile = meta.to_dict()
    hostile["temporal"] = {**hostile["temporal"], "agg_mode": "no_such_mode"}
    refused(ours(tmp_path / "bad.flair.safetensors", state, hostile), "no_such_mode")


# --------------------------------------------------------------------------- commands

def test_the_command_says_one_line_for_every_hostile_model(good, tmp_path, capsys):
    _, state, meta = good
    raster = write_raster(tmp_path / "in.tif",
                          np.random.default_rng(0).integers(0, 256, (5, 64, 64), np.uint8))
    nan_state = dict(state)
    key = "seg_model.segmentation_head.0.weight"
    nan_state[key] = state[key].clone()
    nan_state[key].view(-1)[0] = float("nan")
    models = {
        "encoder": ours(tmp_path / "e.flair.safetensors", state, {**meta, "encoder": "nope"}),
        "depth": ours(tmp_path / "d.flair.safetensors", state, {**meta, "encoder_depth": 99}),
        "pixel": ours(tmp_path / "p.flair.safetensors", state, {**meta, "pixel_size": "abc"}),
        "nan": ours(tmp_path / "n.flair.safetensors", nan_state, meta),
    }
    for name, model in models.items():
        status = main(["predict", "--input", str(raster), "--model", str(model), "--output",
                       str(tmp_path / f"{name}.tif"), "--device", "cpu", "--quiet"])
        err = capsys.readouterr().err
        assert status == 2, (name, err)
        assert err.startswith("flair-landcover: error: ") and err.count("\n") == 1, err
        assert "Traceback" not in err and not (tmp_path / f"{name}.tif").exists()
        status = main(["train", "--dataset", str(tmp_path), "--output-dir",
                       str(tmp_path / f"run_{name}"), "--init", str(model), "--device", "cpu",
                       "--quiet"])
        err = capsys.readouterr().err
        assert status == 2 and "Traceback" not in err and err.count("\n") == 1, (name, err)

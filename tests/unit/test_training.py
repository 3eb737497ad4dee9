"""Training: real learning on FLAIR-like data, the files of every epoch, resume, cancel,
fine-tuning, the headless command, and DDP over two CPU processes.

The data come from the synthetic generator (64 px patches; two train domains and the
held-out official val domain D004_2021), the model is a real smp U-Net kept small
(resnet18, encoder depth 2, narrow decoder) so the file runs on two shared cores.
"""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from lightning.pytorch.callbacks import Callback

import flair_landcover
from flair_landcover.flair_plugin import nomenclature as nom
from flair_landcover.flair_plugin.engine.checkpoints.store import load_model, read_meta
from flair_landcover.flair_plugin.engine.cli import train as train_cli
from flair_landcover.flair_plugin.engine.data.patches import (
    TRAIN_SCHEMES,
    DatasetError,
    training_scheme,
)
from flair_landcover.flair_plugin.engine.evaluation.metrics import (
    ConfusionMatrix,
    convention_for,
    flair_miou,
)
from flair_landcover.flair_plugin.engine.inference.predict import predict
from flair_landcover.flair_plugin.engine.training import trainer as tr
from flair_landcover.synthetic.generator import write_dataset, write_mosaic

SIZE = 64
SMALL = dict(encoder="resnet18", encoder_depth=2, decoder_channels=(32, 16),
             batch_size=4, num_workers=0)
LEARN_EPOCHS = 7
STEPS_PER_EPOCH = 8  # 32 train patches / batch 4


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("data") / "flair", size=SIZE,
                         zones_per_domain=2, patches_per_zone=8, seed=1, sentinel=False)


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    """One real training run (15cl, AdamW), shared by the tests that read its outputs."""
    lines, fractions = [], []
    config = tr.TrainConfig(output_dir=str(tmp_path_factory.mktemp("run") / "out"),
                            dataset=str(data.root), epochs=LEARN_EPOCHS, optimizer="adamw",
                            lr=0.003, scheduler="cosine", seed=0, **SMALL)
    started = time.perf_counter()
    result = tr.train(config, progress=lambda f, m: fractions.append(f), log=lines.append)
    print(f"\ntraining: {LEARN_EPOCHS} epochs in {time.perf_counter() - started:.1f} s")
    return result, lines, fractions, config


# --------------------------------------------------------------------------- learning


def _val_masks(data) -> list:
    masks = []
    for patch in data.split_patches("val"):
        with rasterio.open(patch.mask) as src:
            masks.append(src.read(1))
    return masks


def _miou_of_predictions(masks, predictions, scheme_key="15cl") -> float:
    """FLAIR mIoU of code predictions, with the matrix the training accumulates."""
    scheme = training_scheme(scheme_key)
    lut = scheme.lookup()
    k = scheme.num_logits
    matrix = np.zeros((k, k), np.int64)
    for mask, pred in zip(masks, predictions):
        pairs = lut[mask].astype(np.int64) * k + lut[pred]
        matrix += np.bincount(pairs.ravel(), minlength=k * k).reshape(k, k)
    return flair_miou(matrix, scheme.ignored_indices, convention_for(scheme.metric_scheme))


def test_training_learns_well_above_constant_and_random_predictors(trained, data):
    result, lines, _, _ = trained
    masks = _val_masks(data)
    active = nom.CLASS_SETS["15cl"]
    constant = max(_miou_of_predictions(masks, [np.full_like(m, c) for m in masks])
                   for c in active)
    rng = np.random.default_rng(0)
    uniform = _miou_of_predictions(masks, [rng.choice(active, m.shape).astype(np.uint8)
                                           for m in masks])
    counts = np.array([data.class_counts.get(c, 0) for c in active], float)
    prior = _miou_of_predictions(masks, [rng.choice(active, m.shape, p=counts / counts.sum())
                                         .astype(np.uint8) for m in masks])
    best_baseline = max(constant, uniform, prior)
    print(f"\nval mIoU (FLAIR-1 main convention, 15cl): model {result.best_miou:.4f} at epoch "
          f"{result.best_epoch}; best constant {constant:.4f}, uniform random {uniform:.4f}, "
          f"random by train prior {prior:.4f}")
    for line in lines:
        print(line)
    assert result.epochs_done == LEARN_EPOCHS and not result.cancelled
    assert result.best_miou >= 2 * best_baseline
    assert result.best_miou >= 0.12
    history = [r["val_miou"] for r in result.history]
    assert max(history[-3:]) > history[0] + 0.1, "the validation score must improve"


def test_reported_miou_equals_an_independent_evaluation_of_the_best_model(trained, data):
    result, _, _, _ = trained
    loaded = load_model(result.best_checkpoint)
    meta = loaded.meta
    mean = torch.tensor(meta.means).view(1, -1, 1, 1)
    std = torch.tensor(meta.stds).view(1, -1, 1, 1)
    active = torch.tensor(meta.active_logits)
    codes = torch.tensor(meta.logit_codes)
    cm = ConfusionMatrix("flair19")  # FLAIR-1 main: 15, 16, 17, 19 ignored, as 15cl
    for patch in data.split_patches("val"):
        with rasterio.open(patch.image) as src:
            image = torch.from_numpy(src.read().astype(np.float32))[None]
        with rasterio.open(patch.mask) as src:
            mask = src.read(1)
        with torch.no_grad():
            logits = loaded.module((image - mean) / std)
        pred = codes[active[logits[:, active].argmax(1)]][0].numpy()
        cm.update(mask, pred)
    independent = cm.metrics().miou
    print(f"\ntraining's best val mIoU {result.best_miou:.6f}, re-evaluated {independent:.6f}")
    assert independent == pytest.approx(result.best_miou, abs=2e-3)


# --------------------------------------------------------------------------- outputs


def test_every_epoch_writes_models_state_log_and_curves(trained, data):
    result, lines, fractions, config = trained
    out = result.output_dir
    assert sorted(p.name for p in out.iterdir()) == sorted(tr.RUN_FILES)
    assert [int(r["epoch"]) for r in result.history] == list(range(1, LEARN_EPOCHS + 1))
    header = (out / tr.LOG_CSV).read_text().splitlines()[0].split(",")
    assert header[:6] == ["epoch", "train_loss", "val_loss", "val_miou", "lr", "seconds"]
    assert "iou_1_building" in header and "iou_15_clear_cut" not in header
    assert all(r["lr"] > 0 and r["seconds"] > 0 for r in result.history)
    assert result.history[-1]["lr"] < result.history[0]["lr"], "cosine schedule"
    assert (out / tr.CURVES_PNG).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(lines) == LEARN_EPOCHS + 1 and "val mIoU" in lines[-1]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)

    state = torch.load(out / tr.STATE_FILE, map_location="cpu", weights_only=True)
    assert state["epoch"] == LEARN_EPOCHS - 1 and state["optimizer_states"]
    assert state["flair"]["config"]["scheme"] == "15cl"
    assert state["flair"]["best_epoch"] == result.best_epoch

    meta = read_meta(result.best_checkpoint)
    assert meta.bands == nom.BAND_SETS["rgbie"]
    assert meta.means == nom.FLAIR1_MEANS and meta.stds == nom.FLAIR1_STDS
    assert meta.logit_codes == training_scheme("15cl").logit_codes
    assert meta.active_codes == nom.CLASS_SETS["15cl"]
    assert meta.tile_size == SIZE and meta.encoder == "resnet18" and meta.encoder_depth == 2
    assert meta.decoder_channels == (32, 16)
    assert meta.source.startswith("trained with FLAIR Land Cover: 15cl")
    assert load_model(result.best_checkpoint).extra["epoch"] == result.best_epoch
    run = json.loads((out / tr.RUN_JSON).read_text())
    assert run["epochs_done"] == LEARN_EPOCHS and run["best_epoch"] == result.best_epoch


def test_best_model_runs_through_the_inference_engine(trained, tmp_path):
    result, _, _, _ = trained
    info = write_mosaic(tmp_path / "img.tif", tmp_path / "msk.tif", 320, 256, seed=5)
    prediction = predict(info.image, result.best_checkpoint, tmp_path / "pred.tif",
                         block=64, halo=32, device="cpu", batch_size=4)
    with rasterio.open(prediction.output) as src:
        pred = src.read(1)
    with rasterio.open(info.mask) as src:
        mask = src.read(1)
    active = nom.CLASS_SETS["15cl"]
    assert set(np.unique(pred).tolist()) <= set(active)
    assert prediction.codes == active
    agreement = float((pred == mask).mean())
    print(f"\nmosaic (another seed and radiometry): pixel agreement {agreement:.3f}")
    assert agreement > 2 / len(active), "far better than a random pick of the classes"


# --------------------------------------------------------------------------- resume


class _AtTrainStart(Callback):
    def __init__(self):
        self.seen = {}

    def on_train_start(self, trainer, module):
        # deep copies: a state_dict holds the live buffers the next steps update in place
        self.seen = copy.deepcopy({
            "epoch": trainer.current_epoch, "step": trainer.global_step,
            "optimizer": trainer.optimizers[0].state_dict(),
            "scheduler": module.lr_scheduler.state_dict(),
            "best": (module.best_miou, module.best_epoch)})


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


def test_resume_continues_the_epoch_count_and_the_optimizer_state(data, tmp_path):
    base = dict(output_dir=str(tmp_path / "out"), dataset=str(data.root), optimizer="sgd",
                scheduler="plateau", plateau_patience=0, limit_train_batches=2,
                limit_val_batches=1, metadata=True, curves=False, **SMALL)
    first = tr.train(tr.TrainConfig(epochs=1, **base))
    assert first.epochs_done == 1
    saved = torch.load(tmp_path / "out" / tr.STATE_FILE, map_location="cpu",
                       weights_only=True)
    with pytest.raises(tr.TrainingError, match="already holds a training run"):
        tr.train(tr.TrainConfig(epochs=2, **base))
    probe = _AtTrainStart()
    messages = []
    second = tr.train(tr.TrainConfig(epochs=2, resume=True, **{**base, "scheme": "19cl"}),
                      log=messages.append, callbacks=[probe])
    assert probe.seen["epoch"] == 1 and probe.seen["step"] == 2
    assert _same(probe.seen["optimizer"], saved["optimizer_states"][0])
    assert probe.seen["optimizer"]["state"], "SGD momentum buffers must come back"
    assert _same(probe.seen["scheduler"], saved["flair"]["scheduler"])
    assert probe.seen["best"] == (saved["flair"]["best_miou"], 1)
    assert any("kept the run's own settings scheme='15cl' (not '19cl')" in m for m in messages)
    assert [int(r["epoch"]) for r in second.history] == [1, 2]
    state = torch.load(tmp_path / "out" / tr.STATE_FILE, weights_only=True)
    assert state["global_step"] == 4
    assert read_meta(second.last_checkpoint).metadata_mlp
    with pytest.raises(tr.TrainingError, match="already trained 2 epoch"):
        tr.train(tr.TrainConfig(epochs=2, resume=True, **base))


def test_cancel_inside_a_qgis_like_thread_leaves_a_state_that_resumes(data, tmp_path):
    config = tr.TrainConfig(output_dir=str(tmp_path / "out"), dataset=str(data.root),
                            epochs=1, in_qgis=True, loader_threads=2, optimizer="adamw",
                            curves=False, **SMALL)
    polls, fractions, outcome = [], [], {}

    def cancel() -> bool:
        polls.append(1)
        return len(polls) >= 2

    def run():
        try:
            outcome["result"] = tr.train(config, progress=lambda f, m: fractions.append(m),
                                         cancel=cancel)
        except BaseException as exc:  # surfaced by the assertion below
            outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(300)
    assert "error" not in outcome, outcome.get("error")
    result = outcome["result"]
    assert result.cancelled and "--resume" in result.message
    assert result.state is not None and result.last_checkpoint is None
    assert len(polls) == 2 and fractions[-1].startswith(f"epoch 1/1, step 2/{STEPS_PER_EPOCH}")
    state = torch.load(result.state, weights_only=True)
    assert state["global_step"] == 2

    resumed = tr.train(tr.TrainConfig(**{**config.__dict__, "resume": True,
                                         "in_qgis": False}))
    assert not resumed.cancelled and resumed.epochs_done == 1
    assert torch.load(resumed.state, weights_only=True)["global_step"] == STEPS_PER_EPOCH
    assert resumed.best_checkpoint is not None


# --------------------------------------------------------------------------- fine-tuning


def test_training_builds_its_network_with_the_checkpoint_factory(tmp_path):
    """One factory: the network trained is the one a model file of it loads into."""
    from flair_landcover.flair_plugin.engine.checkpoints import factory, store

    assert tr.build_module is factory.build_module is store.build_module
    config = tr.TrainConfig(output_dir=str(tmp_path), metadata=True, **SMALL)
    plan = tr.build_network(config, training_scheme("baseline13"))
    rebuilt = factory.build_module(plan.meta)
    assert plan.meta.architecture == "flair-unet" and plan.meta.metadata_mlp
    assert plan.meta.decoder_channels == (32, 16) and plan.meta.num_logits == 13
    assert {k: v.shape for k, v in plan.net.state_dict().items()} == \
        {k: v.shape for k, v in rebuilt.state_dict().items()}


def test_one_weighted_cross_entropy_for_every_head():
    from flair_landcover.flair_plugin.engine.training import losses
    from flair_landcover.models import utt

    assert losses.weighted_cross_entropy is utt.weighted_cross_entropy
    scheme = training_scheme("15cl")
    aerial, sat = losses.head_class_weights(scheme.logit_codes, scheme.class_weights)
    assert aerial == scheme.class_weights
    assert sat[losses.PLOWED_LAND - 1] == 0 and sum(sat) == sum(aerial) - 1
    torch.manual_seed(0)
    logits, target = torch.randn(2, 19, 8, 8), torch.randint(0, 19, (2, 8, 8))
    weights = torch.tensor(aerial)
    expected = torch.nn.functional.cross_entropy(logits, target, weight=weights)
    assert losses.segmentation_loss(logits, target, weights) == pytest.approx(float(expected))
    both = losses.segmentation_loss(logits, target, weights, logits, torch.tensor(sat), 0.5)
    sat_ce = torch.nn.functional.cross_entropy(logits, target, weight=torch.tensor(sat))
    assert both == pytest.approx(float(expected + 0.5 * sat_ce), rel=1e-6)
    ignored = torch.full((1, 8, 8), 14)  # code 15 (clear cut): weight 0 in 15cl
    assert losses.segmentation_loss(logits[:1], ignored, weights) == 0


def test_fine_tuning_keeps_the_encoder_and_resets_a_head_of_another_size(trained, tmp_path):
    result, _, _, _ = trained
    source = load_model(result.best_checkpoint).module.state_dict()
    config = tr.TrainConfig(output_dir=str(tmp_path), dataset=None,
                            init_checkpoint=str(result.best_checkpoint), scheme="baseline13",
                            encoder="resnet34")
    with pytest.raises(tr.TrainingError, match="19 output classes but scheme baseline13 "
                                               "needs 13: pass --reset-head"):
        tr.build_network(config, training_scheme("baseline13"))
    plan = tr.build_network(tr.TrainConfig(**{**config.__dict__, "reset_head": True}),
                            training_scheme("baseline13"))
    state = plan.net.state_dict()
    assert plan.config.encoder == "resnet18" and plan.net.num_classes == 13
    assert torch.equal(state["seg_model.encoder.conv1.weight"],
                       source["seg_model.encoder.conv1.weight"])
    assert torch.equal(state["seg_model.decoder.blocks.1.conv2.0.weight"],
                       source["seg_model.decoder.blocks.1.conv2.0.weight"])
    assert state["seg_model.segmentation_head.0.weight"].shape[0] == 13


def test_fine_tuning_from_flair_inc_pth_weights(trained, tmp_path):
    result, _, _, _ = trained
    source = load_model(result.best_checkpoint).module.state_dict()
    pth = tmp_path / "FLAIR-INC_rgbie_15cl_resnet18-unet_weights.pth"
    weights = {f"model.{k}": v for k, v in source.items()}
    weights["criterion.weight"] = torch.tensor(training_scheme("15cl").class_weights)
    torch.save(weights, pth)
    plan = tr.build_network(tr.TrainConfig(output_dir=str(tmp_path), init_checkpoint=str(pth)),
                            training_scheme("15cl"))
    assert "fine-tuning resnet18" in plan.note and "flair-inc" in plan.note
    assert all(torch.equal(plan.net.state_dict()[k], v) for k, v in source.items())
    assert plan.means == nom.FLAIR1_MEANS


# --------------------------------------------------------------------------- headless


def _parse(argv):
    return train_cli.build_parser().parse_args(argv)


def test_cli_fine_tunes_in_process_and_reports_errors(trained, data, tmp_path, capsys):
    result, _, _, _ = trained
    out = tmp_path / "cli"
    status = train_cli.run_train(_parse([
        "--dataset", str(data.root), "--output-dir", str(out), "--scheme", "baseline13",
        "--init", str(result.best_checkpoint), "--reset-head", "--epochs", "1",
        "--batch-size", "8", "--optimizer", "adamw", "--device", "cpu", "--workers", "0",
        "--limit-train-batches", "1", "--quiet"]))
    assert status == 0
    meta = read_meta(out / tr.BEST_MODEL)
    assert meta.logit_codes == tuple(range(1, 13)) + (0,)
    assert "fine-tuning resnet18" in capsys.readouterr().err

    status = train_cli.run_train(_parse(["--dataset", str(data.root), "--output-dir",
                                         str(tmp_path / "bad"), "--val-domains", "D099",
                                         "--device", "cpu"]))
    err = capsys.readouterr().err
    assert status == 2 and "error: the val split has no patches" in err
    assert not (tmp_path / "bad").exists(), "nothing may be written for a refused run"


def test_cli_choices_follow_the_engine():
    parser = train_cli.build_parser()
    actions = {a.dest: a for a in parser._actions}
    assert tuple(actions["scheme"].choices) == TRAIN_SCHEMES
    assert tuple(actions["precision"].choices) == tr.PRECISIONS
    assert tuple(actions["bands"].choices) == tuple(nom.TRAIN_BAND_SETS)
    args = _parse(["--dataset", "d", "--output-dir", "o", "--device", "cuda:1",
                   "--early-stop", "0"])
    config = train_cli.config_from_args(args)
    assert (config.accelerator, config.devices) == ("gpu", [1])
    assert config.early_stop_patience is None and config.scheme == "15cl"


@pytest.mark.parametrize("changes, message", [
    ({"precision": "16-mixed", "accelerator": "cpu"}, "16-mixed needs a CUDA GPU"),
    ({"in_qgis": True, "devices": 2, "accelerator": "cpu"}, "cannot run inside QGIS"),
    ({"scheme": "13cl"}, "unknown scheme"),
    ({"resume": True}, "nothing to resume"),
    ({"dataset": None}, "no training data"),
])
def test_bad_settings_are_refused_before_any_work(tmp_path, changes, message):
    config = tr.TrainConfig(**{"output_dir": str(tmp_path / "out"), "dataset": "x", **changes})
    with pytest.raises((tr.TrainingError, DatasetError), match=message):
        tr.train(config)
    assert not (tmp_path / "out").exists()


def test_a_failed_write_during_training_leaves_no_temporary_file(data, tmp_path,
                                                                monkeypatch):
    """The disk fills up while the curves are saved: the run stops with the error, and
    the run folder holds whole files only (the log written before), no temporary one."""
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    def disk_full(self, fname, *args, **kwargs):
        Path(fname).write_bytes(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", disk_full)
    out = tmp_path / "out"
    config = tr.TrainConfig(output_dir=str(out), dataset=str(data.root), epochs=1,
                            limit_train_batches=1, limit_val_batches=1, **SMALL)
    with pytest.raises(OSError, match="No space left"):
        tr.train(config)
    assert sorted(p.name for p in out.iterdir()) == [tr.LOG_CSV]
    assert [r["epoch"] for r in tr.read_log(out / tr.LOG_CSV)] == [1]


# --------------------------------------------------------------------------- DDP


def test_ddp_on_two_cpu_processes_through_the_command(data, tmp_path):
    holder = Path(flair_landcover.__path__[0]).parent  # the folder holding the package link
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(holder), os.environ.get("PYTHONPATH")) if p)}
    out = tmp_path / "ddp"
    command = [sys.executable, "-m", "flair_landcover.flair_plugin.engine.cli.train",
               "--dataset", str(data.root), "--output-dir", str(out), "--encoder",
               "resnet18", "--encoder-depth", "3", "--epochs", "1", "--batch-size", "4",
               "--optimizer", "adamw", "--device", "cpu", "--devices", "2", "--workers", "0",
               "--limit-train-batches", "2", "--quiet"]
    started = time.perf_counter()
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    seconds = time.perf_counter() - started
    print(f"\nDDP (2 CPU processes, gloo): {seconds:.1f} s")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Starting with 2 processes" in run.stderr + run.stdout
    assert (out / tr.BEST_MODEL).is_file() and (out / tr.STATE_FILE).is_file()
    rows = tr.read_log(out / tr.LOG_CSV)
    assert [int(r["epoch"]) for r in rows] == [1]
    # 2 steps per process: the global step counts each process's optimiser steps once.
    assert torch.load(out / tr.STATE_FILE, weights_only=True)["global_step"] == 2
    assert load_model(out / tr.LAST_MODEL).meta.encoder_depth == 3

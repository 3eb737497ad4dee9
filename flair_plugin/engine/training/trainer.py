"""Train a FLAIR U-Net on local FLAIR data with PyTorch Lightning: one device or many.

``model="utt"`` trains FLAIR-2's U-T&T instead (aerial + Sentinel-2 series, see
:class:`TrainConfig` and :mod:`..data.multimodal`); its checkpoints are ``flair-utt`` models
carrying their temporal branch and Sentinel-2 normalisation (``TemporalMeta``).

:func:`train` takes a :class:`TrainConfig` and returns a :class:`TrainResult`. The QGIS
algorithm and the headless command (``flair-landcover train``) both call it; only the
loader differs (threads inside QGIS, worker processes headless).

What a run writes in its output folder, at the end of every epoch (each file whole or
not at all: written under a temporary name, then renamed, :mod:`..io.atomic`; a failed
write leaves no temporary file behind):

* ``last.flair.safetensors`` / ``best.flair.safetensors``: the model of the last epoch and
  of the best validation mIoU, in this plugin's own format (safetensors + ModelMeta: bands,
  normalisation, logit codes, class names/colours, tile size), ready for the inference.
* ``last.ckpt``: the resumable state: weights, optimizer, LR scheduler, epoch and loop
  counters, early-stopping and AMP scaler state. It is a Lightning checkpoint that holds
  only tensors, numbers, strings, lists and dicts (no pickled objects: no hyper-parameter
  namespace, no Path, the LR scheduler is ours and stores its plain ``state_dict``), so
  it is loaded with ``torch.load(weights_only=True)``, and resuming passes
  ``weights_only=True`` to Lightning, which would otherwise unpickle anything.
* ``training_log.csv``: epoch, train loss, val loss, val mIoU, lr, seconds, per-class IoU.
* ``training_curves.png``: losses and mIoU per epoch (when matplotlib is available).
* ``run.json``: the run's settings and its best score so far.

Validation mIoU follows FLAIR's convention (:mod:`.metrics`): a confusion matrix summed
over the whole validation set (all ranks), the classes with loss weight 0 left out
(FLAIR-1 main: their rows and columns dropped; 13-class baseline: "other" left out of the
mean). The LR scheduler (ReduceLROnPlateau on that mIoU, as FLAIR; or cosine) is stepped
by the module after each validation, so the state saved at epoch end is complete.

Cancel (``cancel()`` is polled after every step) saves ``last.ckpt`` at once and returns a
:class:`TrainResult` with ``cancelled=True``; resuming re-runs the rest of that epoch.

Multi-GPU and multi-node training (README block)
------------------------------------------------
The headless command runs Lightning's DDP; every process reads the dataset itself and
the validation confusion matrix is summed across processes before the mIoU.

One machine, all its GPUs (Lightning starts one process per GPU)::

    flair-landcover train --dataset /data/FLAIR --output-dir run1 --devices 4 \\
        --batch-size 10 --precision 16-mixed

Several machines with SLURM (one task per GPU; Lightning reads SLURM's variables)::

    #SBATCH --nodes=2
    #SBATCH --ntasks-per-node=4
    #SBATCH --gres=gpu:4
    srun flair-landcover train --dataset /data/FLAIR --output-dir run1 \\
        --devices 4 --num-nodes 2

Several machines with torchrun (run on each node, ``--node-rank`` 0..N-1)::

    torchrun --nnodes 2 --nproc-per-node 4 --node-rank 0 \\
        --master-addr node0 --master-port 29500 \\
        -m flair_landcover.flair_plugin.engine.cli.train \\
        --dataset /data/FLAIR --output-dir run1 --devices 4 --num-nodes 2

``--batch-size`` is per process (the effective batch is batch × devices × nodes). Files
are written by rank 0 only, so ``--output-dir`` should be on a shared disk for
``--resume``. DDP starts processes: it is for the headless command only, never inside
QGIS (``in_qgis=True`` refuses more than one device).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import math
import os
import signal
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping
from lightning.pytorch.utilities.exceptions import SIGTERMException

from ...nomenclature import PATCH_SIZE, TRAIN_BAND_SETS, flair_class
from .. import options as _opt  # TrainConfig's defaults
from ..checkpoints.factory import build_module
from ..checkpoints.meta import FLAIR2_SAT_PATCH_SIZE, HUB_ARCHITECTURE, TemporalMeta
from ..checkpoints.store import CheckpointError, ModelMeta, load_model, save_checkpoint
from ..data.patches import (
    TRAIN_SCHEMES,
    DatasetError,
    FlairPatchDataset,
    ThreadedBatchLoader,
    TrainingData,
    TrainScheme,
    band_spec,
    default_workers,
    prepare_training_data,
    training_scheme,
)
from ..errors import InputError, TrainingError, UserError
from ..evaluation.metrics import convention_for, flair_miou, iou_per_class
from ..io.atomic import atomic_open, atomic_path
from ..io.outputs import check_output_paths
from ..options import DEFAULT_LR, DEFAULT_WEIGHT_DECAY, MODELS, OPTIMIZERS, SCHEDULERS
from ..options import TRAINING_PRECISIONS as PRECISIONS
from .losses import IGNORE_INDEX, head_class_weights, pixel_weights, segmentation_loss
from .runs import STATE_FILE

ProgressCallback = Callable[[float, str], None]
CancelCallback = Callable[[], bool]
LogCallback = Callable[[str], None]

LAST_MODEL = "last.flair.safetensors"
BEST_MODEL = "best.flair.safetensors"
LOG_CSV = "training_log.csv"
CURVES_PNG = "training_curves.png"
RUN_JSON = "run.json"
RUN_FILES = (LAST_MODEL, BEST_MODEL, STATE_FILE, LOG_CSV, CURVES_PNG, RUN_JSON)

STATE_FORMAT = 1

RUN_FIELDS = ("scheme", "bands", "metadata", "encoder", "encoder_depth", "decoder_channels",
              "train_domains", "val_domains", "optimizer", "scheduler", "seed", "model",
              "sat_patch_size", "temporal_widths", "temporal_heads", "temporal_d_model",
              "filter_clouds", "monthly_mean")
"""Settings that shape the model or its optimiser: on resume they come from the run."""

_QUIET_WARNINGS = (
    # Deliberate here: threads or no workers inside QGIS; a resumed epoch after a cancel.
    ".*does not have many workers.*", ".*log_every_n_steps.*",
    ".*resuming from a checkpoint that ended before the epoch ended.*",
    ".*Consider setting `persistent_workers=True`.*",
    # Lightning 2.6 calling a torch API that torch 2.14 deprecates: nothing a user can do.
    ".*isinstance\\(treespec, LeafSpec\\).*")


class _NoAdverts(logging.Filter):
    """Drops Lightning's advertisement for its cloud logger from the run's output."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "litlogger" not in record.getMessage()


logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(_NoAdverts())

_HEAD_PREFIX = "seg_model.segmentation_head."
_MLP_PREFIX = "metadata_mlp."


# --------------------------------------------------------------------------- settings


@dataclass
class TrainConfig:
    """Every option of a training run, with FLAIR-1's defaults where it has one.

    Data: ``dataset`` (folder, patches found by name) or ``pairs_csv``; splits are
    FLAIR's official domains unless ``train_domains``/``val_domains`` (``D006_2020`` or
    ``D006``). ``scheme``: ``19cl``/``15cl``/``12cl``/``baseline13`` (see
    :func:`..data.patches.training_scheme`; 15cl is FLAIR-1 main's). ``metadata``: feed the
    aerial metadata to the FLAIR-1 MLP (JSON found by name unless ``metadata_json``).

    Model: a U-Net with ``encoder`` (depth, decoder widths); or fine-tune
    ``init_checkpoint`` (ours, FLAIR-INC ``.pth``, FLAIR-1 ``.ckpt``), whose architecture
    and normalisation then win; ``reset_head`` re-initialises the last layer (needed when
    the class counts differ).

    Optimisation: ``optimizer`` sgd (lr 0.02, momentum 0.9, FLAIR) or adamw; ``lr`` None =
    that default. ``scheduler``: plateau (ReduceLROnPlateau on val mIoU, ``plateau_factor``,
    ``plateau_patience``), cosine or none. ``early_stop_patience`` epochs without a better
    mIoU (None = never).

    Running: ``accelerator`` auto/cpu/gpu/cuda, ``devices`` (a count, "auto" or a list of
    ids), ``num_nodes``, ``strategy`` (auto = DDP when more than one device), ``precision``
    32/16-mixed (CUDA)/bf16-mixed. ``num_workers``: DataLoader worker *processes* (None =
    the cores); ``in_qgis=True`` (what the QGIS algorithm passes) never starts a process:
    batches are read by ``loader_threads`` threads instead, and one device is required.
    ``resume``: continue the run in ``output_dir`` (its :data:`RUN_FIELDS` come from the
    run; ``epochs`` is the new total). ``limit_*_batches`` cap an epoch (tests, benchmarks).

    U-T&T (``model="utt"``, FLAIR-2's aerial + Sentinel-2 model): every patch also gets its
    zone's Sentinel-2 series (:mod:`..data.multimodal`), a ``sat_patch_size`` crop,
    cloud-filtered (``filter_clouds``) and averaged per month (``monthly_mean``). The
    U-TAE branch has FLAIR-2's shape unless ``temporal_widths`` (its encoder and decoder
    widths), ``temporal_heads`` and ``temporal_d_model`` say otherwise (small values for
    tests). Loss = ``utt_aux_weight`` · CE(satellite head) + CE(aerial head), as FLAIR-2
    ([1, 1]; plowed land weighs 0 in the satellite CE); the val mIoU scores the aerial
    head, which is what FLAIR-2 evaluates. FLAIR-2 trained with batch 10, SGD lr 0.001.
    """

    output_dir: str
    dataset: Optional[str] = None
    pairs_csv: Optional[str] = None
    train_domains: Optional[Sequence[str]] = None
    val_domains: Optional[Sequence[str]] = None
    scheme: str = _opt.TRAIN_SCHEME.default
    bands: str = _opt.TRAIN_BANDS.default
    metadata: bool = False
    metadata_json: Optional[str] = None
    encoder: str = _opt.DEFAULT_ENCODER
    encoder_depth: int = _opt.DEFAULT_ENCODER_DEPTH
    decoder_channels: Optional[Sequence[int]] = None
    init_checkpoint: Optional[str] = None
    reset_head: bool = False
    epochs: int = _opt.DEFAULT_EPOCHS
    batch_size: int = _opt.DEFAULT_TRAIN_BATCH_SIZE
    optimizer: str = _opt.OPTIMIZER.default
    lr: Optional[float] = None
    momentum: float = 0.9
    weight_decay: Optional[float] = None
    scheduler: str = _opt.SCHEDULER.default
    plateau_factor: float = 0.5
    plateau_patience: int = 10
    early_stop_patience: Optional[int] = _opt.DEFAULT_EARLY_STOP
    augment: bool = True
    precision: str = _opt.TRAINING_PRECISION.default
    accelerator: str = "auto"
    devices: Union[int, str, Sequence[int]] = 1
    num_nodes: int = 1
    strategy: str = "auto"
    num_workers: Optional[int] = None
    loader_threads: int = 2
    in_qgis: bool = False
    seed: int = _opt.DEFAULT_SEED
    resume: bool = False
    check_limit: int = 1000
    limit_train_batches: Optional[int] = None
    limit_val_batches: Optional[int] = None
    progress_bar: bool = False
    curves: bool = True
    model: str = _opt.TRAIN_MODEL.default
    sat_patch_size: int = FLAIR2_SAT_PATCH_SIZE
    temporal_widths: Optional[Sequence[int]] = None
    temporal_heads: int = 16
    temporal_d_model: int = 256
    filter_clouds: bool = True
    monthly_mean: bool = True
    utt_aux_weight: float = _opt.UTT_AUX_WEIGHT

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready (tuples as lists): stored in ``last.ckpt`` and ``run.json``."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, (tuple, list)) else value
        return out


@dataclass
class TrainResult:
    """What a run left behind. ``cancelled``: stopped on request, resumable from ``state``."""

    output_dir: Path
    best_miou: float
    best_epoch: int
    epochs_done: int
    best_checkpoint: Optional[Path]
    last_checkpoint: Optional[Path]
    state: Optional[Path]
    log_csv: Optional[Path]
    curves_png: Optional[Path]
    cancelled: bool = False
    stopped_early: bool = False
    message: str = ""
    history: List[Dict[str, float]] = field(default_factory=list)


# --------------------------------------------------------------------------- checks


def _check_config(c: TrainConfig) -> None:
    """Refuse bad settings before any data is read or any process started."""
    def need(ok: bool, message: str) -> None:
        if not ok:
            raise TrainingError(message)

    need(c.model in MODELS, f"unknown model {c.model!r}; choose unet (aerial only) or utt "
                            f"(aerial + Sentinel-2, FLAIR-2's U-T&T)")
    need(c.utt_aux_weight >= 0, f"utt_aux_weight must be >= 0, got {c.utt_aux_weight}")
    if c.model == "utt":
        try:
            temporal_meta(c, (0.0,) * 10, (1.0,) * 10)
        except ValueError as exc:
            raise TrainingError(f"U-T&T temporal branch: {exc}") from None
    need(c.scheme in TRAIN_SCHEMES, f"unknown scheme {c.scheme!r}; choose one of "
                                    f"{', '.join(TRAIN_SCHEMES)}")
    need(c.bands in TRAIN_BAND_SETS, f"unknown bands {c.bands!r}; choose one of "
                                     f"{', '.join(TRAIN_BAND_SETS)}")
    need(c.optimizer in OPTIMIZERS, f"unknown optimizer {c.optimizer!r}; choose sgd or adamw")
    need(c.scheduler in SCHEDULERS, f"unknown scheduler {c.scheduler!r}; choose one of "
                                    f"{', '.join(SCHEDULERS)}")
    need(c.precision in PRECISIONS, f"unknown precision {c.precision!r}; choose one of "
                                    f"{', '.join(PRECISIONS)}")
    need(int(c.epochs) >= 1, f"epochs must be >= 1, got {c.epochs}")
    need(int(c.batch_size) >= 1, f"batch size must be >= 1, got {c.batch_size}")
    need(c.lr is None or c.lr > 0, f"learning rate must be > 0, got {c.lr}")
    need(1 <= int(c.encoder_depth) <= 5, f"encoder depth must be 1..5, got {c.encoder_depth}")
    need(int(c.num_nodes) >= 1, f"num_nodes must be >= 1, got {c.num_nodes}")
    need(c.num_workers is None or c.num_workers >= 0, "workers must be >= 0")
    need(c.dataset is not None or c.pairs_csv is not None or c.resume,
         "no training data: give a dataset folder or a CSV of image,mask pairs")
    world = _world_size(c)
    if c.in_qgis:
        need(world == 1, "training on several devices or nodes starts one process per "
                         "device, which cannot run inside QGIS: use the headless command "
                         "`flair-landcover train --devices N` (see the README)")
    accelerator = _accelerator(c)
    need(not (c.precision == "16-mixed" and accelerator == "cpu"),
         "precision 16-mixed needs a CUDA GPU; on the CPU use bf16-mixed or 32")
    if accelerator == "gpu":
        need(torch.cuda.is_available(), "a CUDA device was asked for but torch sees none "
                                        "(torch.cuda.is_available() is False): use --device "
                                        "cpu, or install a CUDA build of torch")


def _accelerator(c: TrainConfig) -> str:
    name = str(c.accelerator).lower()
    if name in ("cuda", "gpu"):
        return "gpu"
    if name == "auto":
        return "gpu" if torch.cuda.is_available() else "cpu"
    return name


def _world_size(c: TrainConfig) -> int:
    if isinstance(c.devices, (list, tuple)):
        per_node = len(c.devices)
    elif str(c.devices) in ("auto", "-1"):
        per_node = torch.cuda.device_count() if _accelerator(c) == "gpu" else 1
    else:
        per_node = int(c.devices)
    return max(1, per_node) * int(c.num_nodes)


def _check_output_dir(c: TrainConfig) -> Tuple[Path, bool]:
    """The run's folder, checked before any data is read; and whether ``resume`` means
    starting again (a run that never saved a resumable state).

    Every state of a folder is usable: empty (a new run), a run with ``last.ckpt``
    (``resume`` continues it), or the files of a run stopped before its first state was
    saved (``resume`` starts it again, replacing them). Temporary files that killed runs
    left are removed, and no run file may be one of the run's inputs (the init
    checkpoint, the pairs CSV, the metadata JSON).

    Raises:
        TrainingError: a file where the folder should be, a folder that cannot be
            written, a run that ``resume`` must be asked to continue or restart, an input
            inside the run's files.
    """
    out = Path(c.output_dir)
    if out.exists() and not out.is_dir():
        raise TrainingError(f"output folder {out} is a file; give a folder path")
    existing = out if out.exists() else next((p for p in out.parents if p.exists()), None)
    if existing is None or not existing.is_dir() or \
            not os.access(existing, os.W_OK | os.X_OK):
        raise TrainingError(f"output folder {out} cannot be created or written ({existing} "
                            f"is {'a file' if existing and existing.is_file() else 'not writable'}"
                            f"): choose a folder you can write to")
    if out.is_dir():
        inputs = [c.pairs_csv, c.metadata_json, None if c.resume else c.init_checkpoint]
        try:
            check_output_paths([out / n for n in RUN_FILES], [p for p in inputs if p], True)
        except InputError as exc:
            raise TrainingError(f"{exc} (the training writes {', '.join(RUN_FILES)} in "
                                f"{out})") from None
    state = out / STATE_FILE
    present = [n for n in RUN_FILES if (out / n).exists()]
    if c.resume:
        if state.is_file():
            return out, False
        if present:
            return out, True
        raise TrainingError(f"nothing to resume in {out}: it holds no training run. Start a "
                            f"new run without --resume")
    if present and state.is_file():
        raise TrainingError(f"{out} already holds a training run ({', '.join(present)}): pass "
                            f"--resume to continue it, or choose a new --output-dir")
    if present:
        raise TrainingError(f"{out} holds the files of a training run that stopped before it "
                            f"saved a resumable state ({', '.join(present)}; no {STATE_FILE}): "
                            f"pass --resume to start that run again (its files are replaced), "
                            f"or choose a new --output-dir")
    return out, False


# --------------------------------------------------------------------------- resume


def read_state(path: Path) -> Dict[str, Any]:
    """The resumable state of a run, loaded with ``weights_only=True`` (see module doc)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same advice
        first = (str(exc).strip().splitlines() or ["unreadable"])[0]
        raise TrainingError(f"cannot resume from {path}: {first}. The file is damaged or not "
                            f"written by this plugin; start a new run") from None
    if not isinstance(state, dict) or not isinstance(state.get("flair"), dict):
        raise TrainingError(f"{path} is not a training state written by this plugin; start a "
                            f"new run in another folder")
    return state


def _resumed_config(c: TrainConfig, saved: Dict[str, Any], log: LogCallback) -> TrainConfig:
    """``c`` with the run's model-shaping settings (and its data when none is given)."""
    changes = {k: saved[k] for k in RUN_FIELDS if k in saved}
    differ = [f"{k}={changes[k]!r} (not {getattr(c, k)!r})" for k in changes
              if _plain(getattr(c, k)) != _plain(changes[k])]
    if differ:
        log(f"resume: kept the run's own settings {', '.join(differ)}")
    if c.dataset is None and c.pairs_csv is None:
        changes.update(dataset=saved.get("dataset"), pairs_csv=saved.get("pairs_csv"),
                       metadata_json=saved.get("metadata_json"))
    return dataclasses.replace(c, **changes)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, (tuple, list)) else value


# --------------------------------------------------------------------------- the model


@dataclass
class _ModelPlan:
    """The network a run trains and its description (saved with every model file)."""

    net: torch.nn.Module  # FlairUNet, or FlairUTT: build_module(meta)
    meta: ModelMeta  # architecture, bands, normalisation, logit codes, U-TAE branch
    config: TrainConfig  # with the architecture actually built
    note: str

    @property
    def means(self) -> Tuple[float, ...]:
        return self.meta.means

    @property
    def stds(self) -> Tuple[float, ...]:
        return self.meta.stds

    @property
    def temporal(self) -> Optional[TemporalMeta]:
        """The U-T&T's Sentinel-2 branch and its data; None for a U-Net."""
        return self.meta.temporal


def model_meta(c: TrainConfig, scheme: TrainScheme, means: Sequence[float],
               stds: Sequence[float], temporal: Optional[TemporalMeta] = None,
               tile_size: int = PATCH_SIZE, source: str = "") -> ModelMeta:
    """The description of the network a run trains: what :func:`build_module` builds it
    from, and what its model files carry.

    Args:
        c: the run's settings (bands, encoder, decoder, metadata MLP).
        scheme: the class scheme (the logit codes).
        means, stds: the aerial normalisation.
        temporal: the Sentinel-2 branch of a U-T&T; None for a U-Net.
        tile_size: the training patch side in pixels.
        source: a line saying how the model was made.

    Raises:
        ValueError: an inconsistent description (see :class:`ModelMeta`).
    """
    bands = band_spec(c.bands)
    return ModelMeta(
        architecture="flair-utt" if temporal is not None else "flair-unet",
        temporal=temporal, in_channels=bands.count, logit_codes=scheme.logit_codes,
        bands=bands.names, means=tuple(means), stds=tuple(stds), encoder=c.encoder,
        encoder_depth=c.encoder_depth, decoder_channels=tuple(c.decoder_channels or ()),
        metadata_mlp=c.metadata, tile_size=tile_size, source=source)


def temporal_meta(c: TrainConfig, means: Sequence[float], stds: Sequence[float]
                  ) -> TemporalMeta:
    """The U-T&T's Sentinel-2 branch as ``c`` asks, with the series normalisation;
    FLAIR-2's U-TAE where ``c`` leaves a width unset. ValueError on a bad shape."""
    widths = tuple(int(w) for w in c.temporal_widths) if c.temporal_widths else \
        TemporalMeta.encoder_widths
    return TemporalMeta(encoder_widths=widths, decoder_widths=widths,
                        n_head=int(c.temporal_heads), d_model=int(c.temporal_d_model),
                        means=tuple(means), stds=tuple(stds),
                        sat_patch_size=int(c.sat_patch_size), filter_clouds=c.filter_clouds,
                        monthly_mean=c.monthly_mean)


def _load_init(c: TrainConfig):
    try:
        return load_model(c.init_checkpoint)
    except CheckpointError as exc:
        raise TrainingError(f"cannot fine-tune from {c.init_checkpoint}: {exc}") from None


def read_init_checkpoint(c: TrainConfig, resumed: Optional[Dict[str, Any]] = None):
    """``(config, LoadedModel or None)``: a run's settings once its init checkpoint
    (``c.init_checkpoint``: ours, FLAIR-INC, FLAIR-1, or for a U-T&T also FLAIR-2's) is
    read. The checkpoint's architecture wins (encoder, decoder; a U-T&T's U-TAE branch
    and Sentinel-2 preparation): fine-tuning keeps the network it starts from.

    Raises:
        TrainingError: the checkpoint cannot be read, or reads other bands.
    """
    if resumed is not None or not c.init_checkpoint:
        return c, None
    loaded = _load_init(c)
    meta = loaded.meta
    if tuple(meta.bands) != band_spec(c.bands).names:
        keys = [k for k, names in TRAIN_BAND_SETS.items() if names == tuple(meta.bands)]
        raise TrainingError(f"{Path(c.init_checkpoint).name} reads bands {', '.join(meta.bands)} "
                            f"but the training asks {', '.join(band_spec(c.bands).names)}: "
                            f"choose --bands {keys[0] if keys else ''} to match the "
                            f"checkpoint".replace("bands  to", "bands to"))
    c = dataclasses.replace(c, encoder=meta.encoder, encoder_depth=meta.encoder_depth,
                            decoder_channels=tuple(meta.decoder_channels) or None)
    t = meta.temporal
    if c.model == "utt" and t is not None:
        c = dataclasses.replace(c, sat_patch_size=t.sat_patch_size,
                                temporal_widths=tuple(t.encoder_widths), temporal_heads=t.n_head,
                                temporal_d_model=t.d_model, filter_clouds=t.filter_clouds,
                                monthly_mean=t.monthly_mean)
    return c, loaded


utt_init = read_init_checkpoint  # the name the U-T&T tests and callers know


_UTT_HEADS = ("unet." + _HEAD_PREFIX, "sat_head.", "utae.out_conv.")
_UTT_MLP = "unet." + _MLP_PREFIX


def _init_utt_weights(net: torch.nn.Module, loaded, c: TrainConfig, scheme: TrainScheme) -> str:
    """Load an init checkpoint into a fresh U-T&T; return what the log says of it."""
    meta, name = loaded.meta, Path(c.init_checkpoint).name
    state = dict(loaded.module.state_dict())
    from_unet = meta.architecture != "flair-utt"
    if from_unet:  # a U-Net initialises the aerial branch; its metadata MLP is FLAIR-1's
        state = {"unet." + k: v for k, v in state.items() if not k.startswith(_MLP_PREFIX)}
    if meta.num_logits != scheme.num_logits and not c.reset_head:
        raise TrainingError(f"{name} has {meta.num_logits} output classes but scheme "
                            f"{scheme.key} needs {scheme.num_logits}: pass --reset-head to "
                            f"start the last layers afresh")
    if c.reset_head:
        state = {k: v for k, v in state.items() if not k.startswith(_UTT_HEADS)}
    if not c.metadata:
        state = {k: v for k, v in state.items() if not k.startswith(_UTT_MLP)}
    missing, unexpected = net.load_state_dict(state, strict=False)
    stray = list(unexpected) + ([] if from_unet else
                                [k for k in missing if not k.startswith(_UTT_HEADS + (_UTT_MLP,))])
    if stray:
        raise TrainingError(f"{name} does not fit the U-T&T: {', '.join(stray[:5])}")
    what = "the aerial branch from the U-Net" if from_unet else "the U-T&T"
    return f"fine-tuning {what} {name} ({loaded.source_format})"


def build_network(c: TrainConfig, scheme: TrainScheme,
                  resumed: Optional[Dict[str, Any]] = None,
                  temporal: Optional[TemporalMeta] = None, loaded: Any = None) -> _ModelPlan:
    """The network a run trains: described by :func:`model_meta`, built by
    :func:`build_module` (as a checkpoint load rebuilds it), then initialised.

    A U-Net, or a U-T&T when ``c.model == "utt"`` (``temporal``: its Sentinel-2 branch).
    Fresh, or fine-tuned from ``c.init_checkpoint`` (``loaded``: that checkpoint as
    :func:`read_init_checkpoint` read it; read here when not given), whose normalisation
    is kept. ``resumed`` (the ``"flair"`` part of a saved state): the run's own
    normalisation, which is the init checkpoint's when the run began as a fine-tuning;
    the weights come from the state.

    Raises:
        TrainingError: no temporal branch for a U-T&T, or an init checkpoint that does not
            fit (other bands or classes without ``reset_head``, other layers).
    """
    utt = c.model == "utt"
    if utt and temporal is None:
        raise TrainingError("a U-T&T needs its temporal branch description")
    bands = band_spec(c.bands)
    if resumed is None and loaded is None:
        c, loaded = read_init_checkpoint(c)
    if resumed is not None:
        loaded = None
        means = tuple(resumed.get("means") or bands.means)
        stds = tuple(resumed.get("stds") or bands.stds)
    elif loaded is not None:
        means, stds = tuple(loaded.meta.means), tuple(loaded.meta.stds)
    else:
        means, stds = bands.means, bands.stds
    hub_meta = (resumed or {}).get("model_meta")
    if hub_meta is not None or (loaded is not None
                                and loaded.meta.architecture == HUB_ARCHITECTURE):
        return _hub_network(c, scheme, resumed, loaded, hub_meta)
    meta = model_meta(c, scheme, means, stds, temporal if utt else None)
    net = build_module(meta)
    shape = f"{c.encoder} + U-TAE {list(temporal.encoder_widths)}" if utt else c.encoder
    if resumed is not None:
        note = f"resuming the run ({shape})"
    elif loaded is not None:
        note = (_init_utt_weights if utt else _init_unet_weights)(net, loaded, c, scheme)
    else:
        note = f"new U-T&T ({shape})" if utt else f"new U-Net {shape}"
    return _ModelPlan(net, meta, c, note)


def _hub_network(c: TrainConfig, scheme: TrainScheme, resumed: Optional[Dict[str, Any]],
                 loaded: Any, saved_meta: Optional[Dict[str, Any]]) -> _ModelPlan:
    """A FLAIR-HUB network fine-tuned from its checkpoint (or resumed): its encoder,
    decoders, bands and normalisation as the checkpoint says; its land-cover head kept
    when the scheme is FLAIR-HUB's (``flairhub``), else started afresh with
    ``reset_head``. Its other tasks' heads (crop types) are kept, untrained.

    Raises:
        TrainingError: a U-T&T asked for, a multimodal model, a scheme in another class
            order without ``reset_head``, or a Swin built for tiles of another size.
    """
    if c.model == "utt":
        raise TrainingError("a FLAIR-HUB checkpoint fine-tunes as its own network: leave "
                            "the model on unet (aerial)")
    if resumed is not None:
        meta = ModelMeta.from_dict(saved_meta)
        return _ModelPlan(build_module(meta), meta, c,
                          f"resuming the FLAIR-HUB fine-tuning ({meta.encoder}-"
                          f"{meta.hub.decoder})")
    meta, name = loaded.meta, Path(c.init_checkpoint).name
    hub = meta.hub
    if hub.series:
        raise TrainingError(f"{name} also takes {', '.join(hub.series_modalities)}: this "
                            f"version fine-tunes FLAIR-HUB aerial models only")
    same_order = tuple(meta.logit_codes) == tuple(scheme.logit_codes)
    if not same_order and not c.reset_head:
        raise TrainingError(f"{name} predicts FLAIR-HUB's classes in its own order: train "
                            f"with --scheme flairhub to keep its land-cover head, or pass "
                            f"--reset-head to start it afresh for scheme {scheme.key}")
    task = hub.tasks[0]
    head = f"main_decoders.{task}.seg_model.segmentation_head."
    state = dict(loaded.module.state_dict())
    dropped = ""
    if c.reset_head:
        state = {k: v for k, v in state.items() if not k.startswith(head)}
        dropped = ", land-cover head started afresh"
    new_hub = dataclasses.replace(hub, task_classes=(scheme.num_logits,)
                                  + tuple(hub.task_classes[1:]))
    meta = dataclasses.replace(meta, logit_codes=scheme.logit_codes, hub=new_hub,
                               class_names=(), class_colours=())
    try:
        net = build_module(meta)
    except CheckpointError as exc:
        raise TrainingError(f"cannot rebuild {name}: {exc}") from None
    missing, unexpected = net.load_state_dict(state, strict=False)
    stray = [k for k in missing if not k.startswith(head)] + list(unexpected)
    if stray:
        raise TrainingError(f"{name} does not fit its FLAIR-HUB network: {', '.join(stray[:5])}")
    return _ModelPlan(net, meta, c, f"fine-tuning FLAIR-HUB {meta.encoder}-{hub.decoder} from "
                                    f"{name} ({loaded.source_format}){dropped}")


def _init_unet_weights(net: torch.nn.Module, loaded, c: TrainConfig,
                       scheme: TrainScheme) -> str:
    """Load an init checkpoint into a fresh U-Net; return what the log says of it."""
    meta, name = loaded.meta, Path(c.init_checkpoint).name
    state = dict(loaded.module.state_dict())
    if meta.num_logits != scheme.num_logits and not c.reset_head:
        raise TrainingError(f"{name} has {meta.num_logits} output classes but scheme "
                            f"{scheme.key} needs {scheme.num_logits}: pass --reset-head to "
                            f"start the last layer afresh")
    dropped = []
    if c.reset_head:
        dropped.append("the classification head")
        state = {k: v for k, v in state.items() if not k.startswith(_HEAD_PREFIX)}
    if not c.metadata and any(k.startswith(_MLP_PREFIX) for k in state):
        dropped.append("the metadata MLP (training without metadata)")
        state = {k: v for k, v in state.items() if not k.startswith(_MLP_PREFIX)}
    missing, unexpected = net.load_state_dict(state, strict=False)
    stray = [k for k in missing if not k.startswith((_HEAD_PREFIX, _MLP_PREFIX))] + unexpected
    if stray:
        raise TrainingError(f"{name} does not fit the U-Net: {', '.join(stray[:5])}")
    fresh = " (metadata MLP new)" if c.metadata and any(k.startswith(_MLP_PREFIX)
                                                        for k in missing) else ""
    return (f"fine-tuning {meta.encoder} from {name} ({loaded.source_format}){fresh}"
            + (f", dropped {' and '.join(dropped)}" if dropped else ""))


class FlairSegmentationModule(L.LightningModule):
    """Lightning wrapper of a :class:`FlairUNet` or a U-T&T: normalisation, weighted loss,
    FLAIR mIoU.

    Batches are ``(uint8 image, uint8 logit-index target, metadata)``, plus ``(series,
    dates, pad mask)`` for a U-T&T; normalising on the device keeps host-to-device copies
    at one byte per value.
    """

    def __init__(self, net: torch.nn.Module, scheme: TrainScheme, means: Sequence[float],
                 stds: Sequence[float], config: TrainConfig,
                 temporal: Optional[TemporalMeta] = None) -> None:
        super().__init__()
        self.net = net
        self.temporal = temporal
        self.scheme = scheme
        self.config = config
        self.normalisation = (tuple(float(v) for v in means), tuple(float(v) for v in stds))
        k = scheme.num_logits
        self.register_buffer("means", torch.tensor(means).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("stds", torch.tensor(stds).view(1, -1, 1, 1), persistent=False)
        aerial, sat = head_class_weights(scheme.logit_codes, scheme.class_weights)
        self.register_buffer("class_weights", torch.tensor(aerial), persistent=False)
        self.register_buffer("sat_weights", torch.tensor(sat), persistent=False)
        self.register_buffer("active", torch.tensor(scheme.active_indices), persistent=False)
        self.register_buffer("confusion", torch.zeros(k, k, dtype=torch.int64), persistent=False)
        # train loss × weight, train weight, val loss × weight, val weight
        self.register_buffer("sums", torch.zeros(4, dtype=torch.float64), persistent=False)
        self.lr_scheduler: Optional[Any] = None
        self._scheduler_state: Optional[Dict[str, Any]] = None
        self.model_meta: Optional[Dict[str, Any]] = None  # set for a FLAIR-HUB network
        self.best_miou = float("-inf")
        self.best_epoch = 0
        self.epoch_scores: Optional[Dict[str, Any]] = None
        # Lightning skips on_train_epoch_start when it resumes in the middle of an epoch.
        self.epoch_started = time.perf_counter()

    # ------------------------------------------------------------------ forward and loss
    def forward(self, image: torch.Tensor, metadata: Optional[torch.Tensor] = None,
                sentinel: Optional[torch.Tensor] = None, dates: Optional[torch.Tensor] = None,
                pad_mask: Optional[torch.Tensor] = None):
        """Aerial logits (U-Net), or (aerial, satellite) logits given a series (U-T&T)."""
        x = (image.float() - self.means) / self.stds
        metadata = metadata if getattr(self.net, "uses_metadata", False) else None
        if sentinel is None:  # a FLAIR-HUB network takes no metadata argument
            return self.net(x) if metadata is None else self.net(x, metadata)
        return self.net(x, sentinel.float(), dates.float(), metadata, pad_mask)

    def _outputs(self, batch):
        """(aerial logits, satellite logits or None, long target) of a batch: 3 items
        for a U-Net, 6 for a U-T&T (see :func:`..data.multimodal.collate_multimodal`)."""
        if len(batch) == 6:
            image, target, meta, sentinel, dates, pad_mask = batch
            aerial, sat = self(image, meta, sentinel, dates, pad_mask)
            return aerial, sat, target.long()
        image, target, meta = batch
        return self(image, meta), None, target.long()

    def _loss(self, logits: torch.Tensor, target: torch.Tensor,
              sat_logits: Optional[torch.Tensor] = None):
        """(loss, weight): :func:`.losses.segmentation_loss` (weighted CE, mean over the
        weighted pixels, 0 if none has weight; plus ``utt_aux_weight`` × the satellite
        head's for a U-T&T) and the batch's total aerial weight (the epoch's mean)."""
        loss = segmentation_loss(logits, target, self.class_weights, sat_logits,
                                 self.sat_weights, self.config.utt_aux_weight)
        return loss, pixel_weights(target, self.class_weights).sum()

    def training_step(self, batch, batch_idx: int):
        logits, sat, target = self._outputs(batch)
        loss, weight = self._loss(logits, target, sat)
        self.sums[0] += loss.detach().double() * weight
        self.sums[1] += weight
        self.log("loss", loss.detach(), prog_bar=True, logger=False)
        return loss

    def predict_indices(self, logits: torch.Tensor) -> torch.Tensor:
        """Argmax over the active logits only, as the inference does."""
        return self.active[logits[:, self.active].argmax(1)]

    def validation_step(self, batch, batch_idx: int) -> None:
        logits, sat, target = self._outputs(batch)  # the mIoU scores the aerial head
        loss, weight = self._loss(logits, target, sat)
        self.sums[2] += loss.double() * weight
        self.sums[3] += weight
        k = self.scheme.num_logits
        annotated = target.flatten() != IGNORE_INDEX  # sparse labels: not-annotated pixels
        pairs = (target.flatten() * k + self.predict_indices(logits).flatten())[annotated]
        self.confusion += torch.bincount(pairs, minlength=k * k).view(k, k)

    # ------------------------------------------------------------------ epoch bookkeeping
    def on_train_epoch_start(self) -> None:
        self.sums.zero_()
        self.epoch_started = time.perf_counter()

    def on_validation_epoch_start(self) -> None:
        self.confusion.zero_()
        self.sums[2:].zero_()

    def on_validation_epoch_end(self) -> None:
        if self.trainer.sanity_checking:
            return
        sums = self.trainer.strategy.reduce(self.sums.clone(), reduce_op="sum")
        matrix = self.trainer.strategy.reduce(self.confusion.clone(), reduce_op="sum")
        matrix = matrix.cpu().numpy()
        convention = convention_for(self.scheme.metric_scheme)
        miou = flair_miou(matrix, self.scheme.ignored_indices, convention)
        ious = iou_per_class(matrix)
        lr = float(self.optimizers().param_groups[0]["lr"])
        self.epoch_scores = {
            "train_loss": float(sums[0] / sums[1]) if sums[1] > 0 else float("nan"),
            "val_loss": float(sums[2] / sums[3]) if sums[3] > 0 else float("nan"),
            "val_miou": miou, "lr": lr,
            "iou": {self.scheme.logit_codes[i]: float(ious[i])
                    for i in self.scheme.active_indices}}
        score = miou if math.isfinite(miou) else -1.0
        self.log("val_miou", score, prog_bar=True, logger=False, sync_dist=True)
        if self.lr_scheduler is not None:
            if isinstance(self.lr_scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                self.lr_scheduler.step(score)
            else:
                self.lr_scheduler.step()
        if score > self.best_miou:
            self.best_miou, self.best_epoch = score, self.current_epoch + 1
            self.epoch_scores["improved"] = True

    # ------------------------------------------------------------------ optimisation
    def configure_optimizers(self):
        c = self.config
        lr = c.lr or DEFAULT_LR[c.optimizer]
        decay = DEFAULT_WEIGHT_DECAY[c.optimizer] if c.weight_decay is None else c.weight_decay
        if c.optimizer == "sgd":
            optimizer = torch.optim.SGD(self.parameters(), lr=lr, momentum=c.momentum,
                                        weight_decay=decay)
        else:
            optimizer = torch.optim.AdamW(self.parameters(), lr=lr, weight_decay=decay)
        # Our own scheduler, stepped in on_validation_epoch_end (see the module doc).
        if c.scheduler == "plateau":
            self.lr_scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, mode="max", factor=c.plateau_factor, patience=c.plateau_patience)
        elif c.scheduler == "cosine":
            self.lr_scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
                optimizer, T_max=max(1, int(c.epochs)))
        if self.lr_scheduler is not None and self._scheduler_state is not None:
            self.lr_scheduler.load_state_dict(self._scheduler_state)
        return optimizer

    # ------------------------------------------------------------------ resumable state
    def on_save_checkpoint(self, checkpoint: Dict[str, Any]) -> None:
        checkpoint["flair"] = {
            "format": STATE_FORMAT,
            "config": self.config.to_dict(),
            "scheduler": (self.lr_scheduler.state_dict() if self.lr_scheduler is not None
                          else None),
            "best_miou": float(self.best_miou), "best_epoch": int(self.best_epoch),
            "logit_codes": list(self.scheme.logit_codes),
            "means": list(self.normalisation[0]), "stds": list(self.normalisation[1]),
        }
        if self.temporal is not None:  # the whole branch: a resume rebuilds it as it was
            checkpoint["flair"]["temporal"] = self.temporal.to_dict()
        if self.model_meta is not None:  # a FLAIR-HUB network: rebuilt from its description
            checkpoint["flair"]["model_meta"] = self.model_meta

    def on_load_checkpoint(self, checkpoint: Dict[str, Any]) -> None:
        flair = checkpoint.get("flair") or {}
        self._scheduler_state = flair.get("scheduler")
        self.best_miou = float(flair.get("best_miou", float("-inf")))
        self.best_epoch = int(flair.get("best_epoch", 0))


# --------------------------------------------------------------------------- callbacks


class _Cancelled(Exception):
    """Raised inside the fit loop after a cancel request, once the state is saved
    (``saved`` False: stopped by Lightning's own SIGTERM handling, which saves nothing)."""

    def __init__(self, epoch: int, step: int, saved: bool = True) -> None:
        super().__init__(f"cancelled at epoch {epoch}, step {step}")
        self.epoch, self.step, self.saved = epoch, step, saved


def _save_state(trainer: L.Trainer, out: Path) -> None:
    """``last.ckpt`` via Lightning, written atomically by rank 0.

    Every rank must call Lightning's ``save_checkpoint`` (a collective); rank 0 tells
    the others its temporary name, so a strategy that writes from several ranks would
    write one file. ``weights_only=False`` here means the full state, not a pickle.
    """
    if not trainer.is_global_zero:
        trainer.save_checkpoint(trainer.strategy.broadcast(None), weights_only=False)
        return
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / STATE_FILE) as temp:
        trainer.save_checkpoint(trainer.strategy.broadcast(str(temp)), weights_only=False)


class _StepHooks(Callback):
    """Per step: progress, then cancel (agreed by all ranks), which saves and stops."""

    def __init__(self, out: Path, progress: Optional[ProgressCallback],
                 cancel: Optional[CancelCallback]) -> None:
        self.out, self.progress, self.cancel = out, progress, cancel

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        steps = max(1, int(trainer.num_training_batches))
        epoch = trainer.current_epoch
        if self.progress is not None and trainer.is_global_zero:
            done = (epoch * steps + batch_idx + 1) / (trainer.max_epochs * steps)
            loss = outputs["loss"].item() if isinstance(outputs, dict) else float("nan")
            self.progress(min(1.0, done), f"epoch {epoch + 1}/{trainer.max_epochs}, step "
                                          f"{batch_idx + 1}/{steps}, loss {loss:.4f}")
        stop = bool(self.cancel is not None and self.cancel())
        if trainer.world_size > 1:
            stop = trainer.strategy.reduce_boolean_decision(stop, all=False)
        if stop:
            _save_state(trainer, self.out)
            raise _Cancelled(epoch + 1, batch_idx + 1)


class _EpochEnd(Callback):
    """After validation: CSV row, curves, last/best models, resumable state, log line."""

    def __init__(self, out: Path, data: TrainingData, plan: _ModelPlan, scheme: TrainScheme,
                 log: LogCallback, curves: bool) -> None:
        self.out, self.data, self.plan, self.scheme = out, data, plan, scheme
        self.say, self.curves = log, curves  # not `log`: Lightning sets callback.log

    def on_train_epoch_end(self, trainer, module: FlairSegmentationModule) -> None:
        scores = module.epoch_scores
        if scores is None:  # no validation ran (cannot happen with val every epoch)
            return
        module.epoch_scores = None
        epoch = trainer.current_epoch + 1
        seconds = time.perf_counter() - module.epoch_started
        if trainer.is_global_zero:
            self.out.mkdir(parents=True, exist_ok=True)
            row = _log_row(epoch, scores, seconds, self.scheme)
            rows = _append_csv(self.out / LOG_CSV, row, self.scheme)
            if self.curves:
                _plot_curves(self.out / CURVES_PNG, rows)
            meta = self._meta(epoch, scores["val_miou"])
            extra = {"epoch": epoch, "val_miou": _finite(scores["val_miou"]),
                     "scheme": self.scheme.key, "best_epoch": module.best_epoch}
            save_checkpoint(self.out / LAST_MODEL, module.net, meta, extra)
            if scores.get("improved"):
                save_checkpoint(self.out / BEST_MODEL, module.net, meta, extra)
        _save_state(trainer, self.out)
        if trainer.is_global_zero:
            _write_run_json(self.out / RUN_JSON, self.plan.config, module, epoch, self.data)
            self.say(_epoch_line(epoch, trainer.max_epochs, scores, module, seconds))

    def _meta(self, epoch: int, miou: float) -> ModelMeta:
        c, utt = self.plan.config, self.plan.temporal is not None
        return dataclasses.replace(
            self.plan.meta, tile_size=self.data.tile_size,
            source=(f"trained with FLAIR Land Cover: {'U-T&T, ' if utt else ''}"
                    f"{self.scheme.key}, {c.bands}, epoch "
                    f"{epoch}, val mIoU {miou:.4f}, data {self.data.source}"))


def _finite(value: float) -> Optional[float]:
    return float(value) if math.isfinite(value) else None


def _epoch_line(epoch: int, epochs: int, s: Dict[str, Any], module, seconds: float) -> str:
    best = (f"best {module.best_miou:.4f} at epoch {module.best_epoch}"
            if module.best_epoch else "no best yet")
    return (f"epoch {epoch}/{epochs}: train loss {s['train_loss']:.4f}, val loss "
            f"{s['val_loss']:.4f}, val mIoU {s['val_miou']:.4f} ({best}), lr {s['lr']:.3g}, "
            f"{seconds:.1f} s")


# --------------------------------------------------------------------------- log files


def _iou_column(code: int) -> str:
    return f"iou_{code}_{flair_class(code).name.replace(' ', '_')}"


def _columns(scheme: TrainScheme) -> List[str]:
    return (["epoch", "train_loss", "val_loss", "val_miou", "lr", "seconds"]
            + [_iou_column(scheme.logit_codes[i]) for i in scheme.active_indices])


def _log_row(epoch: int, s: Dict[str, Any], seconds: float, scheme: TrainScheme) -> Dict:
    row = {"epoch": epoch, "train_loss": s["train_loss"], "val_loss": s["val_loss"],
           "val_miou": s["val_miou"], "lr": s["lr"], "seconds": round(seconds, 3)}
    for code, iou in s["iou"].items():
        row[_iou_column(code)] = iou
    return row


def read_log(path: Path) -> List[Dict[str, float]]:
    """Rows of ``training_log.csv`` as floats (empty cells = NaN)."""
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        return [{k: float(v) if v not in ("", "nan") else float("nan") for k, v in r.items()}
                for r in csv.DictReader(f)]


def _append_csv(path: Path, row: Dict, scheme: TrainScheme) -> List[Dict[str, float]]:
    """Rewrite the log with the rows of earlier epochs plus ``row`` (a resumed epoch that
    had been logged before is replaced), atomically; return all rows."""
    rows = [r for r in read_log(path) if r["epoch"] < row["epoch"]] + [row]
    _write_log(path, rows, scheme)
    return rows


def _write_log(path: Path, rows: Sequence[Dict], scheme: TrainScheme) -> None:
    """The whole CSV log, under a temporary name then renamed: never half a file."""
    with atomic_open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=_columns(scheme), extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: _cell(k, v) for k, v in r.items()})


def _cell(key: str, value: Any) -> Any:
    if key == "epoch":
        return int(value)
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return value


def _truncate_log(path: Path, epochs_done: int, scheme: TrainScheme) -> None:
    """On resume, forget log rows of epochs the resumed state has not seen."""
    logged = read_log(path)
    rows = [r for r in logged if r["epoch"] <= epochs_done]
    if path.is_file() and len(rows) != len(logged):
        _write_log(path, rows, scheme)


def _plot_curves(path: Path, rows: Sequence[Dict[str, float]]) -> bool:
    """Losses and val mIoU per epoch; skipped (False) when matplotlib is missing.

    Uses a bare Figure with the Agg canvas, never pyplot: pyplot would switch the
    process-wide backend, which inside QGIS is QGIS's own.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return False
    epochs = [r["epoch"] for r in rows]
    fig = Figure(figsize=(9, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    ax_loss, ax_miou = fig.subplots(1, 2)
    ax_loss.plot(epochs, [r["train_loss"] for r in rows], "o-", label="train loss")
    ax_loss.plot(epochs, [r["val_loss"] for r in rows], "s-", label="val loss")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("weighted cross-entropy")
    ax_loss.legend()
    ax_miou.plot(epochs, [r["val_miou"] for r in rows], "o-", color="tab:green",
                 label="val mIoU")
    ax_miou.set_xlabel("epoch")
    ax_miou.set_ylabel("val mIoU (FLAIR convention)")
    ax_lr = ax_miou.twinx()
    ax_lr.plot(epochs, [r["lr"] for r in rows], ":", color="tab:gray", label="lr")
    ax_lr.set_ylabel("learning rate")
    ax_miou.legend(loc="lower right")
    for ax in (ax_loss, ax_miou):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as temp:  # keeps the .png suffix: savefig's format
        fig.savefig(temp)
    return True


def _write_run_json(path: Path, config: TrainConfig, module, epoch: int,
                    data: TrainingData) -> None:
    info = {"config": config.to_dict(), "epochs_done": epoch,
            "best_miou": _finite(module.best_miou), "best_epoch": module.best_epoch,
            "data": data.describe(), "logit_codes": list(module.scheme.logit_codes)}
    with atomic_open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(info, indent=1))


# --------------------------------------------------------------------------- loaders


def _loaders(c: TrainConfig, data: TrainingData, scheme: TrainScheme, world: int,
             sentinel: Optional[Tuple[Dict[str, Any], TemporalMeta]] = None):
    """Train/val loaders: threads inside QGIS, worker processes headless.

    ``sentinel`` (U-T&T): the patches' series sources and the temporal branch; samples
    then carry their series, batched by :func:`..data.multimodal.collate_multimodal`.
    """
    bands = band_spec(c.bands).indexes
    utt = sentinel is not None
    train_ds = FlairPatchDataset(data.train, bands, scheme, data.tile_size,
                                 c.augment and not utt, data.metadata)
    val_ds = FlairPatchDataset(data.val, bands, scheme, data.tile_size, False, data.metadata)
    collate_fn = None
    if utt:
        from ..data.multimodal import MultimodalPatchDataset, collate_multimodal
        from ..data.sentinel import SeriesPreparation

        sources, temporal = sentinel
        prep = SeriesPreparation.from_meta(temporal)
        train_ds = MultimodalPatchDataset(train_ds, sources, prep, temporal.means,
                                          temporal.stds, c.augment)
        val_ds = MultimodalPatchDataset(val_ds, sources, prep, temporal.means, temporal.stds)
        collate_fn = collate_multimodal
    if c.in_qgis:
        return (ThreadedBatchLoader(train_ds, c.batch_size, True, c.loader_threads,
                                    seed=c.seed, collate_fn=collate_fn),
                ThreadedBatchLoader(val_ds, c.batch_size, False, c.loader_threads,
                                    collate_fn=collate_fn), "threads")
    from torch.utils.data import DataLoader

    local = max(1, world // max(1, int(c.num_nodes)))
    workers = default_workers(local) if c.num_workers is None else int(c.num_workers)
    common = dict(batch_size=c.batch_size, num_workers=workers, collate_fn=collate_fn,
                  pin_memory=_accelerator(c) == "gpu", persistent_workers=workers > 0)
    return (DataLoader(train_ds, shuffle=True, **common),
            DataLoader(val_ds, shuffle=False, **common),
            f"{workers} worker process(es)" if workers else "main process")


# --------------------------------------------------------------------------- train


def train(config: TrainConfig, progress: Optional[ProgressCallback] = None,
          cancel: Optional[CancelCallback] = None, log: Optional[LogCallback] = None,
          callbacks: Sequence[Callback] = ()) -> TrainResult:
    """Train (or resume, or fine-tune) a FLAIR U-Net; see the module doc for the outputs.

    ``progress(fraction, message)`` is called after every step, ``cancel()`` polled after
    every step (True: save the state and return with ``cancelled=True``), ``log(text)``
    gets the setup and one line of metrics per epoch. ``callbacks``: extra Lightning
    callbacks (a logger of your own, tests). Bad settings or data raise
    :class:`TrainingError` / :class:`~..data.patches.DatasetError` before any training.
    """
    say = log or (lambda text: None)
    _check_config(config)
    out, restart = _check_output_dir(config)
    resumed, epochs_done = None, 0
    if restart:
        if config.dataset is None and config.pairs_csv is None:
            raise TrainingError(f"the run in {out} stopped before it saved its settings: give "
                                f"the dataset (or pairs CSV) again to start it again")
        say(f"resume: the run in {out} stopped before its first resumable state was saved; "
            f"starting it again from epoch 1")
        config = dataclasses.replace(config, resume=False)
    if config.resume:
        config, resumed, epochs_done = _resume_settings(config, out, say)
    scheme = training_scheme(config.scheme)
    data = prepare_training_data(
        config.dataset, pairs_csv=config.pairs_csv, train_domains=config.train_domains,
        val_domains=config.val_domains, bands=config.bands, scheme_key=config.scheme,
        metadata=config.metadata, metadata_json=config.metadata_json,
        check_limit=config.check_limit, seed=config.seed)
    config, init = read_init_checkpoint(config, resumed)
    sentinel = None
    if config.model == "utt":
        sentinel = _sentinel_inputs(config, data, resumed, say, init)
    L.seed_everything(config.seed, workers=True, verbose=False)
    plan = build_network(config, scheme, resumed, sentinel[1] if sentinel else None, init)
    config = plan.config
    fixed = plan.meta.hub.img_size if plan.meta.hub is not None else 0
    if fixed and fixed != data.tile_size:
        raise TrainingError(f"this FLAIR-HUB model's Swin encoder takes tiles of {fixed} px "
                            f"but the patches are {data.tile_size} px: convert it for them "
                            f"first (flair-landcover import --model ... --tile-size "
                            f"{data.tile_size}) and fine-tune the converted file")
    module = FlairSegmentationModule(plan.net, scheme, plan.means, plan.stds, config,
                                     plan.temporal)
    if plan.meta.architecture == HUB_ARCHITECTURE:
        module.model_meta = plan.meta.to_dict()
    train_loader, val_loader, loading = _loaders(config, data, scheme, _world_size(config),
                                                 sentinel)
    say(f"data: {data.describe()}; scheme {scheme.key} ({scheme.description}); bands "
        f"{config.bands}; {plan.note}; loading with {loading}")
    trainer = _trainer(config, out, data, plan, scheme, say, progress, cancel,
                       [_ResumedLog(out / LOG_CSV, epochs_done, scheme), _OurSignals(),
                        *callbacks])
    started = time.perf_counter()
    cancelled = None
    with warnings.catch_warnings():
        for text in _QUIET_WARNINGS:
            warnings.filterwarnings("ignore", message=text)
        try:
            trainer.fit(module, train_dataloaders=train_loader, val_dataloaders=val_loader,
                        ckpt_path=str(out / STATE_FILE) if config.resume else None,
                        weights_only=True)
        except _Cancelled as exc:
            cancelled = exc
        except SystemExit as exc:
            # Lightning ends a fit on its own SIGTERM handling, or on a KeyboardInterrupt
            # (a second Ctrl-C), with SystemExit (status 0 or 1): a stop, not a result
            if not (isinstance(exc, SIGTERMException)
                    or isinstance(exc.__context__, KeyboardInterrupt)):
                raise
            cancelled = _Cancelled(trainer.current_epoch + 1, 0, saved=False)
        except UserError as exc:
            raise _without_worker_traceback(exc) from None
    return _result(out, module, trainer, config, cancelled, time.perf_counter() - started)


def _without_worker_traceback(error: UserError) -> UserError:
    """A user error raised in a DataLoader worker process, with its message alone.

    torch re-raises a worker's exception in the main process with the worker's whole
    traceback in the message (a damaged patch would print 2 KB of it): the last line of
    that traceback is the engine's own message."""
    text = str(error)
    if "Original Traceback" not in text:
        return error
    last = [line for line in text.strip().splitlines() if line.strip()][-1]
    name = type(error).__name__
    message = last.split(f"{name}: ", 1)[1] if f"{name}: " in last else last
    return type(error)(message)


class _OurSignals(Callback):
    """Keeps this run's SIGTERM handling: Lightning installs its own when a fit starts,
    which stops the loop at the next step boundary with ``SystemExit(None)`` (exit status
    0, no state saved, no summary). Ours (the command's) sets the cancel flag: the run
    then stops after the step, saves a resumable state and exits with 130."""

    def __init__(self) -> None:
        # only a handler of our caller's (the command's), not Python's default
        main = threading.current_thread() is threading.main_thread()
        handler = signal.getsignal(signal.SIGTERM) if main else None
        self.handler = handler if callable(handler) else None

    def on_train_start(self, trainer, module) -> None:  # Lightning's handler is set by now
        if self.handler is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.handler)


def _sentinel_inputs(c: TrainConfig, data: TrainingData, resumed: Optional[Dict[str, Any]],
                     say: LogCallback, init: Any = None) -> Tuple[Dict[str, Any], TemporalMeta]:
    """Every patch's Sentinel-2 source (checked: DatasetError naming what lacks) and the
    temporal branch, normalised with the training series' statistics; the run's own on
    resume, the init checkpoint's when fine-tuning a U-T&T (a model keeps its inputs)."""
    from ..data.multimodal import locate_sentinel, sentinel_root, series_statistics
    from ..data.sentinel import SeriesPreparation

    sources = locate_sentinel(sentinel_root(c.dataset, c.pairs_csv), data.train + data.val)
    say(f"Sentinel-2: {len(sources)} patch series in "
        f"{len({s.area.data for s in sources.values()})} super-area(s)")
    if resumed is not None and resumed.get("temporal"):
        return sources, TemporalMeta.from_dict(resumed["temporal"])
    if init is not None and init.meta.temporal is not None:
        return sources, init.meta.temporal
    prep = SeriesPreparation.from_meta(temporal_meta(c, (0.0,) * 10, (1.0,) * 10))
    means, stds = series_statistics(sources, [p.name for p in data.train], prep, seed=c.seed)
    return sources, temporal_meta(c, means, stds)


def _resume_settings(c: TrainConfig, out: Path, say: LogCallback
                     ) -> Tuple[TrainConfig, Dict[str, Any], int]:
    """The config to resume with, the run's saved ``"flair"`` state, its epochs done."""
    state = read_state(out / STATE_FILE)
    config = _resumed_config(c, state["flair"].get("config", {}), say)
    done = _epochs_done(state)
    if done >= config.epochs:
        raise TrainingError(f"the run in {out} has already trained {done} epoch(s), the "
                            f"--epochs asked ({config.epochs}): ask for more epochs to "
                            f"train longer")
    return config, state["flair"], done


class _ResumedLog(Callback):
    """On resume, rank 0 drops log rows of epochs the saved state has not seen (a run
    killed between writing the log and the state)."""

    def __init__(self, path: Path, epochs_done: int, scheme: TrainScheme) -> None:
        self.path, self.epochs_done, self.scheme = path, epochs_done, scheme

    def on_train_start(self, trainer, module) -> None:
        if trainer.is_global_zero and self.path.is_file():
            _truncate_log(self.path, self.epochs_done, self.scheme)


def _trainer(c: TrainConfig, out: Path, data: TrainingData, plan: _ModelPlan,
             scheme: TrainScheme, say: LogCallback, progress, cancel,
             extra: Sequence[Callback] = ()) -> L.Trainer:
    callbacks: List[Callback] = [_EpochEnd(out, data, plan, scheme, say, c.curves),
                                 _StepHooks(out, progress, cancel), *extra]
    if c.early_stop_patience:
        callbacks.append(EarlyStopping("val_miou", mode="max", patience=c.early_stop_patience,
                                       check_finite=False))
    strategy = c.strategy
    if strategy == "auto" and _world_size(c) > 1:
        # smp keeps the encoder stages beyond `encoder_depth`, unused: DDP must be told.
        strategy = "ddp" if c.encoder_depth == 5 else "ddp_find_unused_parameters_true"
    accelerator = _accelerator(c)
    return L.Trainer(
        accelerator=accelerator, devices=c.devices, num_nodes=c.num_nodes, strategy=strategy,
        precision=c.precision, max_epochs=int(c.epochs), logger=False,
        enable_checkpointing=False, enable_model_summary=False,
        enable_progress_bar=c.progress_bar and not c.in_qgis, num_sanity_val_steps=0,
        callbacks=callbacks, default_root_dir=str(out),
        limit_train_batches=c.limit_train_batches, limit_val_batches=c.limit_val_batches,
        log_every_n_steps=10)


def _epochs_done(state: Dict[str, Any]) -> int:
    """Completed epochs recorded in a resumable state."""
    epoch = int(state.get("epoch", 0))
    try:
        total = state["loops"]["fit_loop"]["epoch_progress"]["current"]
        return int(total["processed"])
    except (KeyError, TypeError):
        return epoch


def _result(out: Path, module: FlairSegmentationModule, trainer: L.Trainer,
            c: TrainConfig, cancelled: Optional[_Cancelled], seconds: float) -> TrainResult:
    history = read_log(out / LOG_CSV)
    epochs_done = int(history[-1]["epoch"]) if history else 0
    best = out / BEST_MODEL
    stopped_early = (cancelled is None and epochs_done < c.epochs
                     and bool(trainer.should_stop))
    resume = (f"resume with `flair-landcover train --output-dir {out} --resume` (or the "
              f"Resume option)")
    if cancelled is not None and cancelled.saved:
        message = (f"training cancelled at epoch {cancelled.epoch}, step {cancelled.step}; the "
                   f"state is saved in {out / STATE_FILE}: {resume}")
    elif cancelled is not None and (out / STATE_FILE).is_file():
        message = (f"training cancelled during epoch {cancelled.epoch}; the state of the last "
                   f"completed epoch is in {out / STATE_FILE}: {resume}")
    elif cancelled is not None:
        message = (f"training cancelled during epoch {cancelled.epoch}, before any state was "
                   f"saved: run it again (with --resume if files were written in {out})")
    else:
        how = "stopped early (no better val mIoU)" if stopped_early else "finished"
        message = (f"training {how} after {epochs_done} epoch(s) in {seconds:.0f} s; best val "
                   f"mIoU {module.best_miou:.4f} at epoch {module.best_epoch}: {best}")
    return TrainResult(
        output_dir=out, best_miou=module.best_miou, best_epoch=module.best_epoch,
        epochs_done=epochs_done, best_checkpoint=best if best.is_file() else None,
        last_checkpoint=out / LAST_MODEL if (out / LAST_MODEL).is_file() else None,
        state=out / STATE_FILE if (out / STATE_FILE).is_file() else None,
        log_csv=out / LOG_CSV if (out / LOG_CSV).is_file() else None,
        curves_png=out / CURVES_PNG if (out / CURVES_PNG).is_file() else None,
        cancelled=cancelled is not None, stopped_early=stopped_early, message=message,
        history=history)


__all__ = ["BEST_MODEL", "CURVES_PNG", "DatasetError", "FlairSegmentationModule", "LAST_MODEL",
           "LOG_CSV", "MODELS", "OPTIMIZERS", "PRECISIONS", "RUN_FIELDS", "SCHEDULERS",
           "STATE_FILE", "TrainConfig", "TrainResult", "TrainingError", "build_network",
           "model_meta", "read_init_checkpoint", "read_log", "read_state", "temporal_meta",
           "train", "utt_init"]

"""The choices and defaults of every user-facing option, declared once.

The headless command (argparse), the QGIS algorithms (parameter definitions) and the
engine (its checks, :class:`~.training.trainer.TrainConfig`) all read them here, so a
choice or a default cannot differ between the three. Each :class:`Choice` carries a
short help text, shown both by ``flair-landcover --help`` and in the QGIS dialog.

Pure Python, no torch or qgis import: building the command's parser must stay instant,
and the QGIS toolbox must load in a QGIS Python without torch.

Help texts are marked with :func:`QT_TRANSLATE_NOOP` under the ``FlairAlgorithm``
context: pylupdate5 then files them for translation, and the algorithms' ``tr()`` finds
them there when it shows them (argparse shows them as written).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple

from ..nomenclature import TRAIN_BAND_SETS
from .checkpoints.meta import FLAIR2_SAT_PATCH_SIZE


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 - the name pylupdate5 knows
    """Mark ``text`` for translation under ``context`` without importing Qt."""
    return text


@dataclass(frozen=True)
class Choice:
    """An option taking one of a few fixed words."""

    choices: Tuple[str, ...]
    default: str
    help: str

    def __post_init__(self) -> None:
        if self.default not in self.choices:
            raise ValueError(f"default {self.default!r} is not one of {self.choices}")


# --------------------------------------------------------------------------- inference

DEVICE = Choice(("auto", "cpu", "cuda"), "auto", QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "auto: the NVIDIA GPU when PyTorch sees one, else the CPU"))
"""The command also takes ``cuda:N``; the QGIS dialog offers these three words."""

PRECISION = Choice(("auto", "fp32", "fp16", "bf16"), "auto", QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "auto: bf16 on a CPU with bf16 instructions (AVX-512 BF16, AMX) and on "
                      "recent GPUs, fp16 on older GPUs, fp32 elsewhere, checked against fp32 "
                      "on the first tile; fp16 needs a CUDA GPU"))
INFERENCE_PRECISIONS = PRECISION.choices

RUNTIME = Choice(("auto", "torch", "onnx", "openvino"), "auto", QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "what computes the model on a CPU: auto = torch in bf16, ONNX Runtime "
                      "(else OpenVINO) in fp32; onnx = ONNX Runtime, openvino = OpenVINO (the "
                      "model is exported once and cached); torch on a GPU and for models with "
                      "inputs besides the imagery"))
RUNTIMES = RUNTIME.choices

AUTO_PRECISION_MIN_AGREEMENT = 0.99
"""``precision=auto``: the least share of a first tile's pixels whose class must be the same
as in fp32, else the run goes on in fp32 (a safety net against a model that reduced
precision breaks, e.g. fp16 overflow; trained models agree at 99.9 % and more)."""
FP32_RUNTIME_MIN_AGREEMENT = 0.999
"""ONNX Runtime/OpenVINO in fp32 against torch on the first tile: the least share of
pixels of the same class (only exact ties may flip), else torch runs the model."""
FP32_RUNTIME_LOGIT_TOLERANCE = 1e-2
"""... and the largest logit difference, relative to the largest logit (at least 1):
measured 1e-4 relative on a U-Net ResNet-34 (different summation orders)."""

BLEND = Choice(("crop", "hann", "gaussian"), "crop", QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "crop: keep each tile's centre, as IGN's zone detection does; "
                      "hann/gaussian: weighted average of the overlapping tiles' "
                      "probabilities (fewer seams, more compute)"))
BLEND_MODES = BLEND.choices

PAD = Choice(("reflect", "zero"), "reflect", QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "how tiles are filled beyond the raster's edge"))
PAD_MODES = PAD.choices

NODATA = Choice(("all", "any"), "all", QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "all: leave a pixel as no data where all the bands read from one "
                      "input are no data (a nodata value of 0 then keeps the pixels where only "
                      "the elevation is 0); any: where any band is"))
NODATA_RULES = NODATA.choices

DEFAULT_BLOCK = 512
"""A U-Net's output block on a GPU: 512 px of output per 768 px tile with the default
halo."""
DEFAULT_HALO = 128
"""A U-Net's context margin, as FLAIR-1's zone detection (its predictions are poor near a
tile's border)."""
DEFAULT_TILING: Dict[str, Tuple[int, int]] = {"cuda": (DEFAULT_BLOCK, DEFAULT_HALO),
                                              "cpu": (768, 128)}
"""A U-Net's (block, halo) by device type. On a CPU, tiles of 1024 px: each pixel is
computed 1.78 times instead of 2.25 (the same 128 px of context), chosen by measurement
(benchmarks/bench_inference.py, README's Benchmarks); with a batch of one, memory stays
below that of two 768 px tiles."""
UTT_DEFAULT_BLOCK = 512
"""A U-T&T's block: FLAIR-2's 512 px aerial patch, each with its own Sentinel-2 series."""
UTT_DEFAULT_HALO = 0
"""A U-T&T's margin: FLAIR-2 predicts its patches edge to edge."""

BLOCK_HELP = QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "output pixels per tile, a multiple of 32 (default: the model's and "
                      "the device's: for a U-Net {block_cpu} on a CPU, {block} on a GPU; "
                      "{utt_block} for a U-T&T)")
HALO_HELP = QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "context added on each side of a block, a multiple of 32 (default: "
                      "the model's and the device's: for a U-Net {halo_cpu} on a CPU, {halo} "
                      "on a GPU; {utt_halo} for a U-T&T); more halo = fewer seams, more "
                      "compute")

DEFAULT_BATCH_SIZE: Dict[str, int] = {"cuda": 8, "cpu": 1}
"""Tiles per forward pass, by device type (a CUDA out-of-memory error halves it)."""
DEFAULT_READERS: Dict[str, int] = {"cuda": 4, "cpu": 1}
"""Reader threads, by device type: enough to keep a GPU fed; on a CPU one, which reads a
tile in a small part of the time the model takes on it, and leaves the cores to the
model (two readers slowed the model down on a 2-core machine)."""

BATCH_HELP = QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "tiles per forward pass (default {batch_cuda} on CUDA, {batch_cpu} on "
                      "CPU)")
READERS_HELP = QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "threads reading the rasters (default {readers_cuda} on CUDA, "
                      "{readers_cpu} on CPU)")


def default_tiling(device_type: str) -> Tuple[int, int]:
    """:data:`DEFAULT_TILING` of a device type (``cuda``, ``cpu``...): (block, halo)."""
    return DEFAULT_TILING.get(device_type, DEFAULT_TILING["cpu"])


def default_batch_size(device_type: str) -> int:
    """:data:`DEFAULT_BATCH_SIZE` of a device type (``cuda``, ``cpu``...)."""
    return DEFAULT_BATCH_SIZE.get(device_type, DEFAULT_BATCH_SIZE["cpu"])


def default_readers(device_type: str) -> int:
    """:data:`DEFAULT_READERS` of a device type (``cuda``, ``cpu``...)."""
    return DEFAULT_READERS.get(device_type, DEFAULT_READERS["cpu"])


# --------------------------------------------------------------------------- catalogues

CATALOGUE_TILE_SIZE = 10240
"""Output tile side (pixels) when one mosaic is given instead of a folder of tiles: about
2 km at 0.2 m, 105 Mpx, a minute or two of GPU work, so a crash loses little and the
tiles spread over many workers."""
CATALOGUE_ATTEMPTS = 3
"""Tries per output tile before it is reported failed (a killed worker, an I/O error)."""
CATALOGUE_OUTPUT = "landcover"
"""Name of the mosaic of a catalogue's output tiles: ``landcover.vrt`` (``.tif`` as COG)."""
CATALOGUE_TILE_SIZE_HELP = QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "output tiles follow the input tiles; or give a side in pixels for a "
                      "regular grid (a single mosaic as input: {catalogue_tile_size})")


# --------------------------------------------------------------------------- evaluation

DEFAULT_SCHEME = "flair19"
"""Classes an evaluation scores in, and what a class raster's values mean by default."""

AGREEMENT = Choice(("binary", "reference"), "binary", QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "binary: correct / wrong; reference: correct, or the reference class "
                      "where wrong"))
AGREEMENT_MODES = AGREEMENT.choices

HOTSPOT_CELL = 50.0
"""Side of an error hot-spot cell in map units (50 m: 250 × 250 px at 0.2 m, a block of
houses or a field)."""
LOW_CONFIDENCE_THRESHOLD = 0.5
"""Confidence (winning class's probability) below which a pixel counts as unsure."""
LOW_CONFIDENCE_MIN_AREA = 100.0
"""Smallest low-confidence region kept as a polygon, in m² (a 10 m × 10 m patch)."""

SPLIT_BATCH_SIZE = 4
"""Whole 512 px FLAIR patches per forward pass when a model is scored on a split."""


# --------------------------------------------------------------------------- training

TRAIN_MODEL = Choice(("unet", "utt"), "unet", QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "unet: aerial only (FLAIR-1); utt: aerial + Sentinel-2 series "
                      "(FLAIR-2's U-T&T, needs the SEN2_sp_* files and "
                      "flair-2_centroids_sp_to_patch.json)"))
MODELS = TRAIN_MODEL.choices

TRAIN_SCHEME = Choice(("19cl", "15cl", "12cl", "baseline13", "flairhub"), "15cl",
                      QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "classes learnt: 15cl = FLAIR-1 main / FLAIR-INC (clear cut, mixed, "
                      "ligneous and other ignored), 19cl all, 12cl the first 12, baseline13 "
                      "the 13-class baseline, flairhub = FLAIR-HUB's 15 classes in its order "
                      "(to fine-tune its models)"))
TRAIN_SCHEMES = TRAIN_SCHEME.choices

TRAIN_BANDS = Choice(tuple(TRAIN_BAND_SETS), "rgbie", QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "input bands: R,G,B (+ near-infrared, + elevation); nirrg = NIR,R,G "
                      "(FLAIR-HUB's aerial models)"))

OPTIMIZER = Choice(("sgd", "adamw"), "sgd", QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "sgd (momentum 0.9), as FLAIR-1; or adamw"))
OPTIMIZERS = OPTIMIZER.choices
DEFAULT_LR: Dict[str, float] = {"sgd": 0.02, "adamw": 1e-3}  # sgd: FLAIR-1's setting
DEFAULT_WEIGHT_DECAY: Dict[str, float] = {"sgd": 0.0, "adamw": 0.01}
LR_HELP = QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "learning rate (default: {lr_sgd:g} with sgd, {lr_adamw:g} with adamw)")

SCHEDULER = Choice(("plateau", "cosine", "none"), "plateau", QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "plateau: halve the learning rate after 10 epochs without a better "
                      "validation mIoU; cosine: cosine decay; none: constant"))
SCHEDULERS = SCHEDULER.choices

TRAINING_PRECISION = Choice(("32", "16-mixed", "bf16-mixed"), "32", QT_TRANSLATE_NOOP(
    "FlairAlgorithm", "16-mixed needs a CUDA GPU; bf16-mixed works on recent GPUs and CPUs"))
TRAINING_PRECISIONS = TRAINING_PRECISION.choices

ENCODERS: Tuple[str, ...] = ("resnet34", "resnet18", "resnet50")
"""Encoders the QGIS dialog offers (the command takes any timm/smp name)."""
DEFAULT_ENCODER = ENCODERS[0]  # FLAIR-1's and FLAIR-INC's
DEFAULT_ENCODER_DEPTH = 5

DEFAULT_EPOCHS = 200
"""FLAIR-1's maximum; early stopping usually ends a run well before."""
DEFAULT_EPOCHS_IN_QGIS = 20
"""The toolbox's default: a first run from a desktop should end the same day; resuming
with more epochs continues it."""
DEFAULT_TRAIN_BATCH_SIZE = 10  # FLAIR-1's and FLAIR-2's, per device
DEFAULT_EARLY_STOP = 30  # epochs without a better validation mIoU
DEFAULT_SEED = 0

SAT_PATCH_SIZE = FLAIR2_SAT_PATCH_SIZE
"""U-T&T: Sentinel-2 pixels on a side of the crop around each patch (FLAIR-2: 40)."""
UTT_AUX_WEIGHT = 1.0
"""U-T&T: weight of the Sentinel-2 head's loss (FLAIR-2: 1)."""


# --------------------------------------------------------------------------- help texts

_HELP_VALUES = dict(
    block=DEFAULT_BLOCK, halo=DEFAULT_HALO, utt_block=UTT_DEFAULT_BLOCK,
    utt_halo=UTT_DEFAULT_HALO, block_cpu=DEFAULT_TILING["cpu"][0],
    halo_cpu=DEFAULT_TILING["cpu"][1],
    batch_cuda=DEFAULT_BATCH_SIZE["cuda"], batch_cpu=DEFAULT_BATCH_SIZE["cpu"],
    readers_cuda=DEFAULT_READERS["cuda"], readers_cpu=DEFAULT_READERS["cpu"],
    lr_sgd=DEFAULT_LR["sgd"], lr_adamw=DEFAULT_LR["adamw"],
    catalogue_tile_size=CATALOGUE_TILE_SIZE)


def described(template: str) -> str:
    """A help text with its ``{defaults}`` filled in from the values above, so a help text
    never restates a number. QGIS passes the translated template."""
    return template.format(**_HELP_VALUES)

# --------------------------------------------------------------------------- patch export
# (training patches from your own annotations: engine.data.export, flair:exportpatches)

DEFAULT_VAL_SHARE = 0.2
"""Share of the exported patches kept for validation (whole spatial blocks)."""

DEFAULT_SPLIT_BLOCK = 4
"""Side of a train/validation split block, in patches: neighbouring patches share a block
and so a split, so no validation patch touches a training one inside a block."""

DEFAULT_MIN_ANNOTATED = 0.01
"""Least share of a patch's pixels that must be annotated for the patch to be exported."""

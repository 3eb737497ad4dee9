"""``flair-landcover train``: train a FLAIR U-Net from the command line (no QGIS).

    flair-landcover train --dataset DIR --output-dir OUT [--scheme 15cl] [--bands rgbie]
        [--epochs 200] [--batch-size 10] [--lr 0.02] [--optimizer sgd|adamw]
        [--device auto|cpu|cuda] [--devices N] [--num-nodes N] [--precision 32|...]
        [--workers N] [--init CKPT [--reset-head]] [--resume] [--train-domains D ...]
        [--val-domains D ...] [--pairs-csv CSV] [--metadata] [--encoder resnet34] [--seed 0]
        [--model unet|utt [--sat-patch-size 40] [--utt-aux-weight 1]]

``--model utt`` trains FLAIR-2's U-T&T (aerial + Sentinel-2): the dataset folder must also
hold the zones' ``SEN2_sp_*`` super-areas and ``flair-2_centroids_sp_to_patch.json``.
FLAIR-2 trained it with ``--batch-size 10 --optimizer sgd --lr 0.001``.

The lead's ``engine/cli.py`` registers it through :func:`add_train_arguments` and
:func:`run_train` (or :func:`add_train_parser` on a subparsers object). It also runs on its
own, which is what DDP launchers need (``torchrun ... -m <package>.flair_plugin.engine.
train_cli ...``; Lightning's own launcher re-runs this module once per extra device).
Exit status: 0 done, 2 bad input, 130 cancelled (Ctrl-C; the state is saved, ``--resume``
continues).
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Optional, Sequence

from ...nomenclature import BAND_SETS, CLASS_SETS
from .common import PROG, ctrl_c_cancels

EXIT_OK, EXIT_ERROR, EXIT_CANCELLED = 0, 2, 130
TRAIN_HELP = ("train a FLAIR U-Net (or the U-T&T with --model utt) on local FLAIR data (one "
              "device, or DDP over many)")

# Built from the nomenclature (pure Python), not from training.py: building the parser
# must not import torch or Lightning, so `flair-landcover --help` stays instant.
_SCHEMES = tuple(CLASS_SETS) + ("baseline13",)
_BANDS = tuple(BAND_SETS)
_PRECISIONS = ("32", "16-mixed", "bf16-mixed")  # == training.PRECISIONS (a test checks)


def _devices(text: str):
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--devices takes a number or 'auto', got {text!r}") \
            from None
    if value < 1:
        raise argparse.ArgumentTypeError("--devices must be >= 1")
    return value


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``train`` options, on ``parser``."""
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", metavar="DIR",
                      help="folder holding FLAIR patches (IMG_<id>.tif / MSK_<id>.tif, found "
                           "by name in any layout)")
    data.add_argument("--pairs-csv", metavar="CSV",
                      help="instead of --dataset: a CSV of image,mask[,split] rows (relative "
                           "paths from the CSV's folder)")
    data.add_argument("--train-domains", nargs="+", metavar="DXXX[_YYYY]",
                      help="train domains (default: FLAIR's official train split)")
    data.add_argument("--val-domains", nargs="+", metavar="DXXX[_YYYY]",
                      help="validation domains (default: FLAIR's official val split)")
    data.add_argument("--scheme", choices=_SCHEMES, default="15cl",
                      help="classes learnt: 15cl = FLAIR-1 main / FLAIR-INC (default), 19cl "
                           "all, 12cl the first 12, baseline13 the 13-class baseline")
    data.add_argument("--bands", choices=_BANDS, default="rgbie",
                      help="input bands: R,G,B (+ NIR, + elevation); default rgbie")
    data.add_argument("--metadata", action="store_true",
                      help="feed the aerial metadata (flair_aerial_metadata.json, found by "
                           "name) to FLAIR-1's metadata MLP")
    data.add_argument("--metadata-json", metavar="JSON", help="path of the metadata JSON")
    data.add_argument("--no-augment", action="store_true",
                      help="no flips/rot90 augmentation (FLAIR uses them)")
    model = parser.add_argument_group("model")
    model.add_argument("--model", choices=("unet", "utt"), default="unet",
                       help="unet: aerial only (FLAIR-1); utt: aerial + Sentinel-2 series "
                            "(FLAIR-2's U-T&T, needs the SEN2_sp_* files and centroids)")
    model.add_argument("--sat-patch-size", type=int, default=40, metavar="PX",
                       help="utt: Sentinel-2 crop side around each patch (FLAIR-2: 40)")
    model.add_argument("--utt-aux-weight", type=float, default=1.0, metavar="W",
                       help="utt: weight of the Sentinel-2 head's loss (FLAIR-2: 1)")
    model.add_argument("--no-cloud-filter", action="store_true",
                       help="utt: keep cloudy/snowy dates (FLAIR-2 drops them)")
    model.add_argument("--temporal-widths", type=int, nargs="+", metavar="N",
                       help="utt: U-TAE encoder/decoder widths (FLAIR-2: 64 64 128 128)")
    model.add_argument("--temporal-heads", type=int, default=16, help=argparse.SUPPRESS)
    model.add_argument("--temporal-d-model", type=int, default=256, help=argparse.SUPPRESS)
    model.add_argument("--encoder", default="resnet34", help="U-Net encoder (default resnet34)")
    model.add_argument("--encoder-depth", type=int, default=5, help="encoder stages (1..5)")
    model.add_argument("--init", metavar="CKPT",
                       help="fine-tune from a model file (.flair.safetensors, FLAIR-INC .pth, "
                            "FLAIR-1 .ckpt); its encoder and normalisation are kept")
    model.add_argument("--reset-head", action="store_true",
                       help="with --init: start the classification layer afresh (needed when "
                            "the class count differs)")
    opt = parser.add_argument_group("optimisation")
    opt.add_argument("--epochs", type=int, default=200, help="maximum epochs (default 200)")
    opt.add_argument("--batch-size", type=int, default=10, help="patches per step and device")
    opt.add_argument("--optimizer", choices=("sgd", "adamw"), default="sgd")
    opt.add_argument("--lr", type=float, help="learning rate (default 0.02 sgd, 0.001 adamw)")
    opt.add_argument("--scheduler", choices=("plateau", "cosine", "none"), default="plateau",
                     help="plateau: halve the lr after 10 epochs without a better val mIoU")
    opt.add_argument("--early-stop", type=int, default=30, metavar="EPOCHS",
                     help="stop after this many epochs without a better val mIoU (0 = never)")
    opt.add_argument("--seed", type=int, default=0)
    run = parser.add_argument_group("running")
    run.add_argument("--output-dir", required=True, metavar="OUT",
                     help="where the models, state, log and curves go")
    run.add_argument("--resume", action="store_true",
                     help="continue the run in --output-dir (its model settings are kept)")
    run.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    run.add_argument("--devices", type=_devices, default=1,
                     help="devices per node; > 1 trains with DDP (one process each)")
    run.add_argument("--num-nodes", type=int, default=1, help="machines (SLURM / torchrun)")
    run.add_argument("--precision", choices=_PRECISIONS, default="32",
                     help="16-mixed needs CUDA; bf16-mixed works on recent GPUs and CPUs")
    run.add_argument("--workers", type=int, help="data loader processes per device "
                                                 "(default: the CPU cores shared out)")
    run.add_argument("--limit-train-batches", type=int, help=argparse.SUPPRESS)
    run.add_argument("--quiet", action="store_true", help="no progress bar")


def add_train_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``train`` sub-command to an ``add_subparsers()`` object; return its parser."""
    parser = subparsers.add_parser("train", help=TRAIN_HELP, description=TRAIN_HELP)
    add_train_arguments(parser)
    return parser


def _device_settings(device: str, devices):
    """``--device`` -> (Lightning accelerator, devices)."""
    from ..training.trainer import TrainingError

    name = device.lower()
    if name.startswith("cuda:"):
        try:
            return "gpu", [int(name.split(":", 1)[1])]
        except ValueError:
            raise TrainingError(f"--device {device!r}: write cuda:N with a GPU number") \
                from None
    if name not in ("auto", "cpu", "cuda", "gpu"):
        raise TrainingError(f"--device {device!r}: choose auto, cpu, cuda or cuda:N")
    return ("gpu" if name == "cuda" else name), devices


def config_from_args(args: argparse.Namespace):
    """The :class:`~.training.TrainConfig` of parsed ``train`` arguments."""
    from ..training.trainer import TrainConfig

    accelerator, devices = _device_settings(args.device, args.devices)
    return TrainConfig(
        output_dir=args.output_dir, dataset=args.dataset, pairs_csv=args.pairs_csv,
        train_domains=args.train_domains, val_domains=args.val_domains, scheme=args.scheme,
        bands=args.bands, metadata=args.metadata, metadata_json=args.metadata_json,
        augment=not args.no_augment, encoder=args.encoder, encoder_depth=args.encoder_depth,
        init_checkpoint=args.init, reset_head=args.reset_head, epochs=args.epochs,
        batch_size=args.batch_size, optimizer=args.optimizer, lr=args.lr,
        scheduler=args.scheduler, early_stop_patience=args.early_stop or None, seed=args.seed,
        resume=args.resume, accelerator=accelerator, devices=devices,
        num_nodes=args.num_nodes, precision=args.precision, num_workers=args.workers,
        limit_train_batches=args.limit_train_batches, progress_bar=not args.quiet,
        model=args.model, sat_patch_size=args.sat_patch_size,
        utt_aux_weight=args.utt_aux_weight, filter_clouds=not args.no_cloud_filter,
        temporal_widths=args.temporal_widths, temporal_heads=args.temporal_heads,
        temporal_d_model=args.temporal_d_model)


def _is_rank_zero() -> bool:
    import os

    return all(os.environ.get(k, "0") == "0" for k in ("RANK", "LOCAL_RANK", "NODE_RANK",
                                                       "SLURM_PROCID"))


def run_train(args: argparse.Namespace) -> int:
    """Run ``train`` with parsed arguments; print one line per epoch; return the exit status."""
    from ..checkpoints.store import CheckpointError
    from ..data.patches import DatasetError
    from ..training.trainer import TrainingError, train

    def say(text: str) -> None:
        if _is_rank_zero():
            print(text, file=sys.stderr, flush=True)

    cancelled = threading.Event()
    try:
        config = config_from_args(args)
        with ctrl_c_cancels(cancelled, lambda m: print(f"\n{PROG}: {m}", file=sys.stderr),
                             unit="step"):
            result = train(config, cancel=cancelled.is_set, log=say)
    except (DatasetError, TrainingError, CheckpointError) as exc:
        say(f"{PROG}: error: {' '.join(str(exc).split())}")
        return EXIT_ERROR
    say(result.message)
    return EXIT_CANCELLED if result.cancelled else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"{PROG} train", description=TRAIN_HELP)
    add_train_arguments(parser)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m <package>.flair_plugin.engine.cli.train [train options]``."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return int(exc.code or 0)
    return run_train(args)


if __name__ == "__main__":
    sys.exit(main())

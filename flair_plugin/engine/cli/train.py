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

:mod:`.main` registers it through :func:`add_train_arguments` and :func:`train_command`
(or :func:`add_train_parser` on a subparsers object). It also runs on its own, which is
what DDP launchers need (``torchrun ... -m <package>.flair_plugin.engine.cli.train ...``;
Lightning's own launcher re-runs this module once per extra device).
Exit status: 0 done, 2 bad input, 130 cancelled (Ctrl-C or SIGTERM; the state is saved,
``--resume`` continues). Choices and defaults are :mod:`..options`' (shared with the QGIS
algorithm and :class:`~..training.trainer.TrainConfig`).
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Optional, Sequence

from .. import options
from .common import (
    EXIT_OK,
    PROG,
    ProgressBar,
    ctrl_c_cancels,
    is_rank_zero,
    join_negative_values,
    run_command,
    say_on_stderr,
)

TRAIN_HELP = ("train a FLAIR U-Net (or the U-T&T with --model utt) on local FLAIR data (one "
              "device, or DDP over many)")


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
    data.add_argument("--scheme", choices=options.TRAIN_SCHEMES,
                      default=options.TRAIN_SCHEME.default, help=_with_default(
                          options.TRAIN_SCHEME.help, options.TRAIN_SCHEME.default))
    data.add_argument("--bands", choices=options.TRAIN_BANDS.choices,
                      default=options.TRAIN_BANDS.default, help=_with_default(
                          options.TRAIN_BANDS.help, options.TRAIN_BANDS.default))
    data.add_argument("--metadata", action="store_true",
                      help="feed the aerial metadata (flair_aerial_metadata.json, found by "
                           "name) to FLAIR-1's metadata MLP")
    data.add_argument("--metadata-json", metavar="JSON", help="path of the metadata JSON")
    data.add_argument("--no-augment", action="store_true",
                      help="no flips/rot90 augmentation (FLAIR uses them)")
    model = parser.add_argument_group("model")
    model.add_argument("--model", choices=options.MODELS, default=options.TRAIN_MODEL.default,
                       help=options.TRAIN_MODEL.help)
    model.add_argument("--sat-patch-size", type=int, default=options.SAT_PATCH_SIZE,
                       metavar="PX", help=f"utt: Sentinel-2 crop side around each patch "
                                          f"(FLAIR-2: {options.SAT_PATCH_SIZE})")
    model.add_argument("--utt-aux-weight", type=float, default=options.UTT_AUX_WEIGHT,
                       metavar="W", help=f"utt: weight of the Sentinel-2 head's loss "
                                         f"(FLAIR-2: {options.UTT_AUX_WEIGHT:g})")
    model.add_argument("--no-cloud-filter", action="store_true",
                       help="utt: keep cloudy/snowy dates (FLAIR-2 drops them)")
    model.add_argument("--temporal-widths", type=int, nargs="+", metavar="N",
                       help="utt: U-TAE encoder/decoder widths (FLAIR-2: 64 64 128 128)")
    model.add_argument("--temporal-heads", type=int, default=16, help=argparse.SUPPRESS)
    model.add_argument("--temporal-d-model", type=int, default=256, help=argparse.SUPPRESS)
    model.add_argument("--encoder", default=options.DEFAULT_ENCODER,
                       help=f"U-Net encoder (default {options.DEFAULT_ENCODER})")
    model.add_argument("--encoder-depth", type=int, default=options.DEFAULT_ENCODER_DEPTH,
                       help=f"encoder stages (1..5, default {options.DEFAULT_ENCODER_DEPTH})")
    model.add_argument("--init", metavar="CKPT",
                       help="fine-tune from a model file (.flair.safetensors, FLAIR-INC .pth, "
                            "FLAIR-1 .ckpt); its encoder and normalisation are kept")
    model.add_argument("--reset-head", action="store_true",
                       help="with --init: start the classification layer afresh (needed when "
                            "the class count differs)")
    opt = parser.add_argument_group("optimisation")
    opt.add_argument("--epochs", type=int, default=options.DEFAULT_EPOCHS,
                     help=f"maximum epochs (default {options.DEFAULT_EPOCHS})")
    opt.add_argument("--batch-size", type=int, default=options.DEFAULT_TRAIN_BATCH_SIZE,
                     help=f"patches per step and device (default "
                          f"{options.DEFAULT_TRAIN_BATCH_SIZE})")
    opt.add_argument("--optimizer", choices=options.OPTIMIZERS,
                     default=options.OPTIMIZER.default, help=options.OPTIMIZER.help)
    opt.add_argument("--lr", type=float, help=options.described(options.LR_HELP))
    opt.add_argument("--scheduler", choices=options.SCHEDULERS,
                     default=options.SCHEDULER.default, help=options.SCHEDULER.help)
    opt.add_argument("--early-stop", type=int, default=options.DEFAULT_EARLY_STOP,
                     metavar="EPOCHS", help=f"stop after this many epochs without a better "
                                            f"val mIoU (0 = never; default "
                                            f"{options.DEFAULT_EARLY_STOP})")
    opt.add_argument("--seed", type=int, default=options.DEFAULT_SEED)
    run = parser.add_argument_group("running")
    run.add_argument("--output-dir", required=True, metavar="OUT",
                     help="where the models, state, log and curves go")
    run.add_argument("--resume", action="store_true",
                     help="continue the run in --output-dir (its model settings are kept)")
    run.add_argument("--device", default=options.DEVICE.default,
                     help=f"{'/'.join(options.DEVICE.choices)} or cuda:N; {options.DEVICE.help}")
    run.add_argument("--devices", type=_devices, default=1,
                     help="devices per node; > 1 trains with DDP (one process each)")
    run.add_argument("--num-nodes", type=int, default=1, help="machines (SLURM / torchrun)")
    run.add_argument("--precision", choices=options.TRAINING_PRECISIONS,
                     default=options.TRAINING_PRECISION.default,
                     help=options.TRAINING_PRECISION.help)
    run.add_argument("--workers", type=int, help="data loader processes per device "
                                                 "(default: the CPU cores shared out)")
    run.add_argument("--limit-train-batches", type=int, help=argparse.SUPPRESS)
    run.add_argument("--quiet", action="store_true", help="no progress bar")


def _with_default(text: str, default: str) -> str:
    return f"{text} (default {default})"


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
    if name not in options.DEVICE.choices + ("gpu",):
        raise TrainingError(f"--device {device!r}: choose auto, cpu, cuda or cuda:N")
    return ("gpu" if name == "cuda" else name), devices


def config_from_args(args: argparse.Namespace):
    """The :class:`~..training.trainer.TrainConfig` of parsed ``train`` arguments."""
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
        limit_train_batches=args.limit_train_batches, progress_bar=False,  # ours: see below
        model=args.model, sat_patch_size=args.sat_patch_size,
        utt_aux_weight=args.utt_aux_weight, filter_clouds=not args.no_cloud_filter,
        temporal_widths=args.temporal_widths, temporal_heads=args.temporal_heads,
        temporal_d_model=args.temporal_d_model)


def rank_zero_say(text: str) -> None:
    """A line on stderr from rank 0 only: every DDP process runs this module."""
    if is_rank_zero():
        say_on_stderr(text)


def train_command(args: argparse.Namespace) -> int:
    """The work of ``train``: one progress bar (rank 0), a log line per epoch above it.

    Raises what :func:`~.common.run_command` turns into an exit status; a run cancelled
    by Ctrl-C or SIGTERM saved its state and raises :class:`~..errors.TrainingCancelled`
    with the ``--resume`` command to continue it."""
    from ..errors import TrainingCancelled
    from ..training.trainer import train

    config = config_from_args(args)
    cancelled = threading.Event()
    talk = is_rank_zero()
    with ProgressBar(args.quiet or not talk) as bar, \
            ctrl_c_cancels(cancelled, bar.write if talk else _silent, unit="step"):
        result = train(config, progress=bar.progress, cancel=cancelled.is_set,
                       log=bar.write if talk else _silent)
    if result.cancelled:
        raise TrainingCancelled(result.message)
    rank_zero_say(result.message)
    return EXIT_OK


def _silent(text: str) -> None:
    """Where the extra DDP processes' log lines go."""


def run_train(args: argparse.Namespace) -> int:
    """Run ``train`` with parsed arguments; return the exit status (0, 2 or 130)."""
    return run_command(train_command, args, rank_zero_say)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"{PROG} train", description=TRAIN_HELP)
    add_train_arguments(parser)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m <package>.flair_plugin.engine.cli.train [train options]``."""
    parser = build_parser()
    try:
        args = parser.parse_args(join_negative_values(
            parser, sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return int(exc.code or 0)
    return run_train(args)


if __name__ == "__main__":
    sys.exit(main())

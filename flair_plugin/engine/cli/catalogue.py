"""``flair-landcover catalogue``: a folder of tiles (a département) into a folder of output
tiles and one mosaic, on this machine, its GPUs, a Ray cluster or a SLURM job array.

    flair-landcover catalogue --input BDORTHO/ --model M --output out/
    flair-landcover catalogue --input BDORTHO/ --model M --output out/ --ray-address auto
    flair-landcover catalogue ... --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT

Run the same command again to resume: only the missing tiles are computed. The engine
(and Ray) are imported when the command runs, never to build the parser.
"""

from __future__ import annotations

import argparse
import threading

from .. import options
from .common import EXIT_OK, ProgressBar, ctrl_c_cancels

CATALOGUE_HELP = ("predict a catalogue of tiles (a folder, a list or a mosaic) into a "
                  "folder of output tiles and one mosaic; resumable; on this machine, its "
                  "GPUs, a Ray cluster or a SLURM array")


def add_catalogue_arguments(parser: argparse.ArgumentParser) -> None:
    from .main import add_prediction_options  # main imports this module: import late

    io = parser.add_argument_group("inputs and outputs")
    io.add_argument("--input", action="append", required=True, metavar="TILES",
                    help="the imagery: a folder of tiles (.tif/.tiff/.jp2, searched in "
                         "sub-folders), a .txt list of tiles, or one mosaic (.vrt); repeat "
                         "for several rasters per place (e.g. BD ORTHO RGB and IRC folders, "
                         "with --bands 1:1,1:2,1:3,2:1)")
    io.add_argument("--model", required=True, metavar="MODEL",
                    help="model file (.flair.safetensors, FLAIR-INC .pth, FLAIR-1 .ckpt), at "
                         "a path every worker sees")
    io.add_argument("--output", required=True, metavar="FOLDER",
                    help="output folder: tiles/, manifest*.json, and once every tile is "
                         f"done {options.CATALOGUE_OUTPUT}.vrt (+ overviews, .qml)")
    io.add_argument("--tile-size", type=int, metavar="PX",
                    help=options.described(options.CATALOGUE_TILE_SIZE_HELP))
    io.add_argument("--probabilities", action="store_true",
                    help="also write per-class probabilities (probabilities/, and a .vrt)")
    io.add_argument("--confidence", action="store_true",
                    help="also write the confidence (confidence/, and a .vrt)")
    io.add_argument("--cog", action="store_true",
                    help=f"also write the mosaic as one Cloud Optimized GeoTIFF "
                         f"({options.CATALOGUE_OUTPUT}.tif)")
    io.add_argument("--no-overviews", action="store_true",
                    help="do not build the mosaic's overviews (they read every tile once)")
    io.add_argument("--overwrite", action="store_true",
                    help="start afresh in a folder that holds another job or other files")
    out = parser.add_argument_group("scale-out (default: this process, one tile at a time; "
                                    "one process per GPU when there are several)")
    out.add_argument("--workers", type=int, metavar="N",
                     help="worker processes on this machine (0: this process), or Ray actors "
                          "with --ray-address (default: one per GPU)")
    out.add_argument("--ray-address", metavar="ADDR",
                     help="run on a Ray cluster: auto (the cluster this machine belongs to), "
                          "HOST:PORT of its head, or local (start Ray here)")
    out.add_argument("--cpus-per-worker", type=float, metavar="N",
                     help="CPU cores (torch threads) per worker (default: the cores shared "
                          "out)")
    out.add_argument("--gpus-per-worker", type=float, metavar="N",
                     help="Ray: GPUs per actor (default 1; 0.5 puts two actors on a GPU; 0: "
                          "CPU only)")
    out.add_argument("--shard", metavar="I/N",
                     help="compute shard I (0..N-1) of N only, e.g. "
                          "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT; the last shard to "
                          "finish writes the mosaic")
    out.add_argument("--attempts", type=int, default=options.CATALOGUE_ATTEMPTS, metavar="N",
                     help=f"tries per tile before it is reported failed (default "
                          f"{options.CATALOGUE_ATTEMPTS})")
    add_prediction_options(parser)


def run_catalogue_command(args: argparse.Namespace) -> int:
    from ..catalogue.run import run_catalogue
    from .main import prediction_options

    cancelled = threading.Event()
    with ProgressBar(args.quiet) as bar, ctrl_c_cancels(cancelled, bar.write, "tile batch"):
        result = run_catalogue(
            args.input, args.model, args.output, tile_size=args.tile_size,
            extent=args.extent, probabilities=args.probabilities, confidence=args.confidence,
            executor=_executor(args), shard=args.shard, attempts=args.attempts,
            overviews=not args.no_overviews, cog=args.cog, overwrite=args.overwrite,
            progress=bar.progress, cancel=cancelled.is_set, warn=bar.warn,
            **prediction_options(args))
    done = (f"{result.tiles_computed} tiles computed, {result.tiles_reused} already done, "
            f"{result.retries} retried, in {result.elapsed_s:.1f} s "
            f"({result.megapixels_per_s:.2f} Mpx/s) on {result.executor}")
    if result.finished:
        extra = ", ".join(str(p) for p in (result.probabilities, result.confidence,
                                            result.cog) if p)
        print(f"wrote {result.mosaic} ({result.tiles_total} tiles{'; ' + extra if extra else ''}"
              f"): {done}")
    else:
        print(f"{result.tiles_selected} tiles of this shard done ({done}); the mosaic is "
              f"written when every shard has finished (or by this command without --shard)")
    return EXIT_OK


def _executor(args: argparse.Namespace):
    """Where the tiles run, from the scale-out options."""
    from ..errors import InputError

    for name in ("workers", "cpus_per_worker", "gpus_per_worker"):
        if getattr(args, name) is not None and getattr(args, name) < 0:
            raise InputError(f"--{name.replace('_', '-')} must be 0 or more")
    if args.ray_address:
        from ..catalogue.ray_executor import RayExecutor

        return RayExecutor(args.ray_address, args.workers, args.cpus_per_worker,
                           args.gpus_per_worker)
    from ..catalogue.executors import ProcessExecutor, local_devices

    count, devices = local_devices(args.device, args.workers)
    if not count:
        return None  # this process
    threads = int(args.cpus_per_worker) if args.cpus_per_worker else None
    return ProcessExecutor(count, devices, threads)

"""``flair-landcover``: the headless command (no QGIS), for servers and scripts.

    flair-landcover predict --input IN.tif --model MODEL --output OUT.tif [options]
    flair-landcover predict --input IN.tif --sentinel S2_*.tif --model UTT --output OUT.tif

Sub-commands register in :data:`COMMANDS` (name -> (add_arguments, run, help)):
``predict`` here, ``export-patches`` from :mod:`.export`, ``train`` from :mod:`.train`,
``evaluate``, ``evaluate-split`` and ``download`` from :mod:`.evaluate`, ``import`` from
:mod:`.import_model`. All run through :func:`.common.run_command`: every error prints one
line and exits with status 2; Ctrl-C or SIGTERM cancels cleanly (no partial output left
behind) and exits with status 130.

Run as ``python -m flair_landcover.flair_plugin.engine.cli.main`` or through the
``flair-landcover`` launcher that calls :func:`main`.
"""

from __future__ import annotations

import argparse
import sys
import threading
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .. import options
from .catalogue import CATALOGUE_HELP, add_catalogue_arguments, run_catalogue_command  # light
from .common import (
    EXIT_OK,
    PROG,
    ProgressBar,
    Say,
    ctrl_c_cancels,
    join_negative_values,
    run_command,
    say_on_stderr,
)
from .evaluate import (
    DOWNLOAD_HELP,
    EVALUATE_HELP,
    SPLIT_HELP,
    add_download_arguments,
    add_evaluate_arguments,
    add_split_arguments,
    run_download,
    run_evaluate,
    run_split,
)
from .export import EXPORT_HELP, add_export_arguments, run_export  # light: no torch
from .import_model import IMPORT_HELP, add_import_arguments, run_import
from .train import TRAIN_HELP, add_train_arguments, rank_zero_say, train_command  # light: no torch

PREDICT_HELP = ("predict a FLAIR land-cover raster from aerial imagery (and a Sentinel-2 "
                "series for a U-T&T model)")


# --------------------------------------------------------------------------- predict

def _floats(text: str, count: int, what: str) -> Tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != count:
        raise argparse.ArgumentTypeError(f"{what} needs {count} comma-separated numbers, "
                                         f"got {text!r}")
    return values


def _extent(text: str) -> Tuple[float, ...]:
    return _floats(text, 4, "--extent xmin,ymin,xmax,ymax")


def _bands(text: str) -> List[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError("--bands needs band numbers such as 1,2,3,4,5")
    return items


def add_predict_arguments(parser: argparse.ArgumentParser) -> None:
    io = parser.add_argument_group("inputs and outputs")
    io.add_argument("--input", action="append", required=True, metavar="RASTER",
                    help="imagery raster; repeat (or use --input2/--input3) for several "
                         "rasters, e.g. RGB + IRC + elevation (rasters on another grid are "
                         "resampled onto the first one's)")
    io.add_argument("--input2", metavar="RASTER", help="second raster")
    io.add_argument("--input3", metavar="RASTER", help="third raster")
    io.add_argument("--model", required=True, metavar="MODEL",
                    help="model file (.flair.safetensors, FLAIR-INC .pth, FLAIR-1 .ckpt)")
    io.add_argument("--output", required=True, metavar="OUT.tif",
                    help="class raster to write (uint8 FLAIR codes, 0 = no data)")
    io.add_argument("--probabilities", metavar="P.tif",
                    help="also write per-class probabilities (uint8, p x 255, one band per class)")
    io.add_argument("--confidence", metavar="C.tif",
                    help="also write the confidence (uint8, max probability x 255)")
    io.add_argument("--crop-types", metavar="CROPS.tif",
                    help="also write the crop types of a FLAIR-HUB model with the LPIS task "
                         "(uint8 1..23, styled; a second pass)")
    io.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    add_prediction_options(parser)


def add_prediction_options(parser: argparse.ArgumentParser) -> None:
    """How to predict, beyond which files: shared by ``predict`` and ``catalogue``."""
    s2 = parser.add_argument_group("Sentinel-2 (U-T&T models only)")
    s2.add_argument("--sentinel", nargs="+", metavar="FILE",
                    help="one 10-band GeoTIFF per date (B2, B3, B4, B5, B6, B7, B8, B8A, B11, "
                         "B12; the date is read from YYYYMMDD in each name unless --dates), "
                         "or one stack of dates x 10 bands with --dates")
    s2.add_argument("--dates", metavar="FILE",
                    help="dates file: one YYYYMMDD a line, in band order")
    s2.add_argument("--cloud-masks", nargs="+", metavar="FILE",
                    help="snow and cloud probabilities 0..100: one 2-band file per date, or "
                         "one stack of dates x 2 bands")
    s1 = parser.add_argument_group("Sentinel-1 (multimodal FLAIR-HUB models that take it)")
    for orbit in ("asc", "desc"):
        name = "ascending" if orbit == "asc" else "descending"
        s1.add_argument(f"--sentinel1-{orbit}", nargs="+", metavar="FILE",
                        help=f"Sentinel-1 {name} series: one 2-band GeoTIFF per date (VV, VH; "
                             f"YYYYMMDD in each name unless --sentinel1-{orbit}-dates), or "
                             f"one stack of dates x 2 bands with --sentinel1-{orbit}-dates")
        s1.add_argument(f"--sentinel1-{orbit}-dates", metavar="FILE",
                        help="its dates file: one YYYYMMDD a line, in band order")
    md = parser.add_argument_group(
        "aerial metadata (U-Nets trained with FLAIR-1's metadata MLP only; each tile's "
        "position comes from the raster)")
    md.add_argument("--acquisition-date", metavar="YYYY-MM-DD",
                    help="date the imagery was flown")
    md.add_argument("--acquisition-time", metavar="HHhMM", help="time of the flight, e.g. 10h35")
    md.add_argument("--camera", metavar="NAME",
                    help="camera name, e.g. UCE-M3-f120 (FLAIR tells UCE cameras from others)")
    md.add_argument("--altitude", type=float, metavar="METRES",
                    help="ground altitude of the area, in metres")
    md.add_argument("--ignore-metadata", action="store_true",
                    help="run a metadata model without its metadata branch, as IGN's zone "
                         "detection does (its predictions then differ from the trained "
                         "model's)")
    src = parser.add_argument_group("reading")
    src.add_argument("--bands", type=_bands, metavar="B,B,...",
                     help="band feeding each model band, in the model's order: N = band N of "
                          "the first input, I:N = band N of input I (default: bands 1..n)")
    src.add_argument("--extent", type=_extent, metavar="XMIN,YMIN,XMAX,YMAX",
                     help="predict only this extent (in the raster's CRS), snapped outward "
                          "to whole pixels")
    src.add_argument("--input-scale", metavar="MIN,MAX",
                     help="stretch non-8-bit imagery linearly: MIN -> 0, MAX -> 255 "
                          "(e.g. 0,65535)")
    src.add_argument("--nodata", default=options.NODATA.default, choices=options.NODATA_RULES,
                     help=options.NODATA.help)
    src.add_argument("--resample-to-model", action="store_true",
                     help="read at the model's pixel size (bilinear) and write the output "
                          "on that grid")
    run = parser.add_argument_group("running")
    run.add_argument("--device", default=options.DEVICE.default,
                     help=f"{'/'.join(options.DEVICE.choices)} or cuda:N; {options.DEVICE.help}")
    run.add_argument("--precision", default=options.PRECISION.default,
                     choices=options.INFERENCE_PRECISIONS, help=options.PRECISION.help)
    run.add_argument("--runtime", default=options.RUNTIME.default, choices=options.RUNTIMES,
                     help=options.RUNTIME.help)
    run.add_argument("--block", type=int, help=options.described(options.BLOCK_HELP))
    run.add_argument("--halo", type=int, help=options.described(options.HALO_HELP))
    run.add_argument("--blend", default=options.BLEND.default, choices=options.BLEND_MODES,
                     help=options.BLEND.help)
    run.add_argument("--pad", default=options.PAD.default, choices=options.PAD_MODES,
                     help=options.PAD.help)
    run.add_argument("--batch-size", type=int, help=options.described(options.BATCH_HELP))
    run.add_argument("--readers", type=int, help=options.described(options.READERS_HELP))
    run.add_argument("--quiet", action="store_true", help="no progress bar")


def run_predict(args: argparse.Namespace) -> int:
    from ..inference.predict import predict

    inputs = list(args.input) + [p for p in (args.input2, args.input3) if p]
    cancelled = threading.Event()
    with ProgressBar(args.quiet) as bar, ctrl_c_cancels(cancelled, bar.write):
        result = predict(
            inputs if len(inputs) > 1 else inputs[0], args.model, args.output,
            extent=args.extent, probabilities=args.probabilities, confidence=args.confidence,
            progress=bar.progress, cancel=cancelled.is_set, warn=bar.warn, info=bar.write,
            overwrite=args.overwrite, crop_types=args.crop_types,
            **prediction_options(args))
    written = ", ".join(str(p) for p in (result.output, result.probabilities,
                                         result.confidence, result.crop_types) if p)
    area = result.width * result.height
    print(f"wrote {written}: {result.width}x{result.height} px, {result.tiles_done} tiles "
          f"({result.tiles_skipped} without data), {result.nodata_pixels} px no data "
          f"({100 * result.nodata_pixels / max(1, area):.1f} %), block {result.block} "
          f"halo {result.halo} {result.blend}, {result.elapsed_s:.1f} s, "
          f"{result.megapixels_per_s:.2f} Mpx/s on {result.device} ({result.runtime} "
          f"{result.precision}), batch {result.batch_size}")
    return EXIT_OK


def prediction_options(args: argparse.Namespace) -> dict:
    """The :func:`~..inference.predict.predict` keyword arguments of
    :func:`add_prediction_options`' options (the files, extent and callbacks aside)."""
    return dict(
        sentinel=args.sentinel, dates=args.dates, cloud_masks=args.cloud_masks,
        acquisition=dict(date=args.acquisition_date, time=args.acquisition_time,
                         camera=args.camera, altitude=args.altitude),
        ignore_metadata=args.ignore_metadata, bands=args.bands, block=args.block,
        halo=args.halo, blend=args.blend, batch_size=args.batch_size, device=args.device,
        precision=args.precision, runtime=args.runtime, num_readers=args.readers,
        input_scale=args.input_scale, resample_to_model=args.resample_to_model,
        nodata_rule=args.nodata, pad=args.pad, **_series_options(args))


def _series_options(args: argparse.Namespace) -> dict:
    """``series`` for :func:`~..inference.predict.predict` when Sentinel-1 is given."""
    series = {modality: (files, dates) for modality, files, dates in (
        ("SENTINEL1-ASC_TS", args.sentinel1_asc, args.sentinel1_asc_dates),
        ("SENTINEL1-DESC_TS", args.sentinel1_desc, args.sentinel1_desc_dates)) if files}
    return {"series": series} if series else {}


# --------------------------------------------------------------------------- main

@dataclass(frozen=True)
class Command:
    """A sub-command: its options, its work (raises on failure), its help, and where its
    one-line failure goes (train: rank 0 only, or every DDP process would repeat it)."""

    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    help: str
    say: Say = say_on_stderr


COMMANDS: Dict[str, Command] = {
    "predict": Command(add_predict_arguments, run_predict, PREDICT_HELP),
    "catalogue": Command(add_catalogue_arguments, run_catalogue_command, CATALOGUE_HELP),
    "export-patches": Command(add_export_arguments, run_export, EXPORT_HELP),
    "train": Command(add_train_arguments, train_command, TRAIN_HELP, rank_zero_say),
    "evaluate": Command(add_evaluate_arguments, run_evaluate, EVALUATE_HELP),
    "evaluate-split": Command(add_split_arguments, run_split, SPLIT_HELP),
    "download": Command(add_download_arguments, run_download, DOWNLOAD_HELP),
    "import": Command(add_import_arguments, run_import, IMPORT_HELP),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="FLAIR land cover without QGIS.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, command in COMMANDS.items():
        command.add_arguments(sub.add_parser(name, help=command.help,
                                             description=command.help))
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(join_negative_values(
            parser, sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return int(exc.code or 0)
    command = COMMANDS[args.command]
    return run_command(command.run, args, command.say)


if __name__ == "__main__":
    sys.exit(main())

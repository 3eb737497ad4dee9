"""``flair-landcover``: the headless command (no QGIS), for servers and scripts.

    flair-landcover predict --input IN.tif --model MODEL --output OUT.tif [options]

Sub-commands register in :data:`COMMANDS` (name -> (add_arguments, run, help)):
``predict`` here, ``train`` from :mod:`.train_cli`, ``evaluate``, ``evaluate-split`` and
``download`` from :mod:`.evaluate_cli`.
Every error prints one line and exits with status 2; Ctrl-C cancels cleanly (no output
left behind) and exits with status 130.

Run as ``python -m flair_landcover.flair_plugin.engine.cli.main`` or through the
``flair-landcover`` launcher that calls :func:`main`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .evaluate import (DOWNLOAD_HELP, EVALUATE_HELP, SPLIT_HELP, add_download_arguments,
                           add_evaluate_arguments, add_split_arguments, run_download,
                           run_evaluate, run_split)
from ..errors import UserError
from .common import PROG, ctrl_c_cancels
from .train import TRAIN_HELP, add_train_arguments, run_train  # light: no torch

EXIT_OK, EXIT_ERROR, EXIT_CANCELLED = 0, 2, 130


class CommandError(UserError):
    """A user-facing failure: printed as one line, exit status 2."""


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
    from ..tiling import BLEND_MODES, DEFAULT_BLOCK, DEFAULT_HALO, PAD_MODES

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
    io.add_argument("--overwrite", action="store_true", help="replace existing outputs")
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
    src.add_argument("--resample-to-model", action="store_true",
                     help="read at the model's pixel size (bilinear) and write the output "
                          "on that grid")
    run = parser.add_argument_group("running")
    run.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    run.add_argument("--precision", default="fp32", choices=("fp32", "fp16", "bf16"),
                     help="fp16 needs CUDA; bf16 also runs on CPU, but is fast only on "
                          "CPUs with bf16 instructions")
    run.add_argument("--block", type=int, default=DEFAULT_BLOCK,
                     help=f"output block in pixels, multiple of 32 (default {DEFAULT_BLOCK})")
    run.add_argument("--halo", type=int, default=DEFAULT_HALO,
                     help=f"context margin around each block, multiple of 32 "
                          f"(default {DEFAULT_HALO})")
    run.add_argument("--blend", default="crop", choices=BLEND_MODES,
                     help="crop: keep each tile's centre; hann/gaussian: weighted average "
                          "of overlapping tiles' probabilities")
    run.add_argument("--pad", default="reflect", choices=PAD_MODES,
                     help="how tiles are filled beyond the raster's edge")
    run.add_argument("--batch-size", type=int, help="tiles per forward pass "
                                                    "(default 8 on CUDA, 2 on CPU)")
    run.add_argument("--readers", type=int, help="reader threads (default 4 on CUDA, 2 on CPU)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")


def run_predict(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..errors import PredictionCancelled
    from ..inference.predict import predict

    inputs = list(args.input) + [p for p in (args.input2, args.input3) if p]
    cancelled = threading.Event()
    bar = tqdm(total=1000, unit="‰", disable=args.quiet, file=sys.stderr,
               bar_format="{l_bar}{bar}| {elapsed}<{remaining} {postfix}")

    def say(message: str) -> None:
        if args.quiet:
            print(message, file=sys.stderr)
        else:
            bar.write(message, file=sys.stderr)

    def progress(fraction: float, message: str) -> None:
        bar.n = int(round(fraction * 1000))
        bar.set_postfix_str(message, refresh=False)
        bar.refresh()

    try:
        with ctrl_c_cancels(cancelled, say):
            result = predict(
                inputs if len(inputs) > 1 else inputs[0], args.model, args.output,
                bands=args.bands, extent=args.extent, block=args.block, halo=args.halo,
                blend=args.blend, batch_size=args.batch_size, device=args.device,
                precision=args.precision, num_readers=args.readers,
                probabilities=args.probabilities, confidence=args.confidence,
                input_scale=args.input_scale, resample_to_model=args.resample_to_model,
                pad=args.pad, progress=progress, cancel=cancelled.is_set,
                warn=lambda m: say(f"warning: {m}"), overwrite=args.overwrite)
    except (PredictionCancelled, KeyboardInterrupt):
        bar.close()
        print(f"{PROG}: cancelled; no output written", file=sys.stderr)
        return EXIT_CANCELLED
    finally:
        bar.close()
    written = ", ".join(str(p) for p in (result.output, result.probabilities,
                                         result.confidence) if p)
    print(f"wrote {written}: {result.width}x{result.height} px, {result.tiles_done} tiles "
          f"({result.tiles_skipped} without data), {result.elapsed_s:.1f} s, "
          f"{result.megapixels_per_s:.2f} Mpx/s on {result.device}, batch {result.batch_size}")
    return EXIT_OK


# --------------------------------------------------------------------------- main

COMMANDS: Dict[str, Tuple[Callable[[argparse.ArgumentParser], None],
                          Callable[[argparse.Namespace], int], str]] = {
    "predict": (add_predict_arguments, run_predict,
                "predict a FLAIR land-cover raster from aerial imagery"),
    "train": (add_train_arguments, run_train, TRAIN_HELP),
    "evaluate": (add_evaluate_arguments, run_evaluate, EVALUATE_HELP),
    "evaluate-split": (add_split_arguments, run_split, SPLIT_HELP),
    "download": (add_download_arguments, run_download, DOWNLOAD_HELP),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="FLAIR land cover without QGIS.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (add_arguments, _, text) in COMMANDS.items():
        add_arguments(sub.add_parser(name, help=text, description=text))
    return parser


def _user_errors() -> tuple:
    """Exception classes whose message is meant for the user (one line, exit 2)."""
    return (UserError, OSError)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return int(exc.code or 0)
    _, run, _ = COMMANDS[args.command]
    try:
        return run(args)
    except ImportError as exc:
        print(f"{PROG}: error: the Python package {exc.name or exc} is missing: install the "
              f"plugin's requirements (pip install -r requirements.txt)", file=sys.stderr)
        return EXIT_ERROR
    except _user_errors() as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())

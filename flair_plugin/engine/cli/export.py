"""``flair-landcover export-patches``: training patches from your own annotations.

    flair-landcover export-patches --input ORTHO.tif --model MODEL \\
        --polygons annotations.gpkg --field classe --mapping table.csv --output PATCHES/

Writes FLAIR-shaped ``IMG_``/``MSK_`` patches, ``pairs.csv`` (what ``train --pairs-csv``
reads), ``class_counts.csv`` and ``export.json`` (:mod:`..data.export`).
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from .. import options
from .common import EXIT_OK, ProgressBar, ctrl_c_cancels

EXPORT_HELP = ("export training patches (IMG_/MSK_, a pairs CSV split by spatial blocks) "
               "from imagery and your annotation polygons or class raster")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    io = parser.add_argument_group("inputs and outputs")
    io.add_argument("--input", action="append", required=True, metavar="RASTER",
                    help="imagery raster; repeat for several (RGB + IRC + elevation), as "
                         "for predict")
    io.add_argument("--bands", help="which band of which input feeds each model band, "
                                    "e.g. 1:1,1:2,1:3,2:1,3:1 (as for predict)")
    io.add_argument("--model", required=True, metavar="MODEL",
                    help="the model to fine-tune: its bands, resolution and tile size")
    io.add_argument("--polygons", type=Path, help="annotation polygons (any CRS)")
    io.add_argument("--field", help="the polygons' class field")
    io.add_argument("--class-raster", type=Path,
                    help="instead of polygons: a raster of classes (0 = not annotated)")
    io.add_argument("--mapping", type=Path,
                    help="CSV: your class value, FLAIR code (or class name); an empty code "
                         "leaves the value out")
    io.add_argument("--area", type=Path, help="polygons of an area of interest")
    io.add_argument("--output", type=Path, required=True, metavar="FOLDER",
                    help="a new (or empty) folder for the patches")
    split = parser.add_argument_group("patches and split")
    split.add_argument("--tile-size", type=int,
                       help="patch side in pixels (default: the model's)")
    split.add_argument("--val-share", type=float, default=options.DEFAULT_VAL_SHARE,
                       help=f"share of the patches kept for validation (default "
                            f"{options.DEFAULT_VAL_SHARE:g})")
    split.add_argument("--split-block", type=int, default=options.DEFAULT_SPLIT_BLOCK,
                       help=f"side of a split block in patches: whole blocks go to one "
                            f"split (default {options.DEFAULT_SPLIT_BLOCK})")
    split.add_argument("--min-annotated", type=float, default=options.DEFAULT_MIN_ANNOTATED,
                       help=f"least annotated share of a patch (default "
                            f"{options.DEFAULT_MIN_ANNOTATED:g})")
    split.add_argument("--seed", type=int, default=options.DEFAULT_SEED,
                       help="draws the validation blocks")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run_export(args: argparse.Namespace) -> int:
    from ..checkpoints.store import read_meta
    from ..data.export import PatchSpec, export_patches
    from ..evaluation.mapping import ClassMapping

    mapping = ClassMapping.from_csv(args.mapping) if args.mapping else None
    spec = PatchSpec.of_model(read_meta(args.model), args.tile_size)
    inputs = list(args.input)
    bands = [b.strip() for b in args.bands.split(",")] if args.bands else None
    cancelled = threading.Event()
    with ProgressBar(args.quiet) as bar, ctrl_c_cancels(cancelled, bar.write, "patch"):
        result = export_patches(
            inputs if len(inputs) > 1 else inputs[0], args.output, spec,
            polygons=args.polygons, class_field=args.field, class_raster=args.class_raster,
            mapping=mapping, area=args.area, bands=bands, val_share=args.val_share,
            split_block=args.split_block, min_annotated=args.min_annotated, seed=args.seed,
            progress=bar.progress, cancel=cancelled.is_set, log=bar.write)
    print(f"wrote {result.pairs_csv}: {result.describe()}")
    return EXIT_OK

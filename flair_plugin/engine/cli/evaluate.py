"""``flair-landcover evaluate``, ``evaluate-split`` and ``download``: sub-commands.

    flair-landcover evaluate --prediction P.tif --reference MSK.tif --report R.html
    flair-landcover evaluate-split --model M --dataset DIR [--domains D012,D022] --report R.html
    flair-landcover download --variant rgbie_15cl

They share the outputs (HTML report, JSON + CSV metrics); the progress bar, Ctrl-C and
the exit statuses are every sub-command's (:mod:`.common`).
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import List, Optional

from ...nomenclature import DEPARTMENTS_TEST_FLAIR1, SCHEME_KEYS
from .. import options
from .common import EXIT_OK, ProgressBar, ctrl_c_cancels

EVALUATE_HELP = "score a land-cover raster against an annotation raster (FLAIR's metrics)"
SPLIT_HELP = ("score a model on FLAIR patches as the official evaluation does (default: the "
              "flair#1-test domains)")
DOWNLOAD_HELP = "download IGN's published FLAIR-INC or FLAIR-HUB weights into the user cache"


def _add_outputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--report", type=Path, help="HTML report to write")
    parser.add_argument("--metrics", type=Path,
                        help="metrics JSON to write (a CSV of the same name is written too)")
    parser.add_argument("--scheme", default=options.DEFAULT_SCHEME, choices=SCHEME_KEYS,
                        help=f"classes the scores are given in (default "
                             f"{options.DEFAULT_SCHEME})")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prediction", type=Path, required=True)
    parser.add_argument("--reference", type=Path, required=True)
    parser.add_argument("--prediction-scheme", default=options.DEFAULT_SCHEME,
                        choices=SCHEME_KEYS, help="what the prediction's values are")
    parser.add_argument("--reference-scheme", default=options.DEFAULT_SCHEME,
                        choices=SCHEME_KEYS, help="what the reference's values are")
    parser.add_argument("--agreement", type=Path, help="agreement raster (GeoTIFF) to write")
    parser.add_argument("--agreement-mode", default=options.AGREEMENT.default,
                        choices=options.AGREEMENT_MODES, help=options.AGREEMENT.help)
    parser.add_argument("--reference-field",
                        help="the reference is polygons (GeoPackage, Shapefile...): the field "
                             "holding each polygon's class")
    parser.add_argument("--mapping", type=Path,
                        help="CSV: polygon class value, FLAIR code (or class name); an empty "
                             "code leaves the value out")
    parser.add_argument("--area", type=Path,
                        help="polygons of the area of interest (a commune, a mask)")
    parser.add_argument("--baseline", type=Path, metavar="BEFORE.tif",
                        help="the map before fine-tuning (the base model's), scored on the "
                             "same reference: the report shows the IoU gain per class")
    parser.add_argument("--errors", type=Path,
                        help="errors GeoTIFF: wrong pixels in the predicted class's colour, "
                             "correct ones transparent")
    parser.add_argument("--confusion", type=Path,
                        help="confusion GeoTIFF: (predicted, annotated) pairs where wrong")
    parser.add_argument("--hotspots", type=Path, help="error hot-spot grid (GeoPackage)")
    parser.add_argument("--cell-size", type=float, default=options.HOTSPOT_CELL,
                        help=f"hot-spot cell side in map units (default "
                             f"{options.HOTSPOT_CELL:g})")
    _add_outputs(parser)


def add_split_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--domains", default=",".join(DEPARTMENTS_TEST_FLAIR1),
                        help="comma-separated domains (D012 = every year of D012; default "
                             "flair#1-test); 'all' for every labelled patch")
    parser.add_argument("--device", default=options.DEVICE.default,
                        choices=options.DEVICE.choices, help=options.DEVICE.help)
    parser.add_argument("--batch-size", type=int, default=options.SPLIT_BATCH_SIZE,
                        help=f"patches per forward pass (default {options.SPLIT_BATCH_SIZE})")
    parser.add_argument("--precision", default=options.PRECISION.default,
                        choices=options.INFERENCE_PRECISIONS, help=options.PRECISION.help)
    parser.add_argument("--keep-predictions", type=Path,
                        help="folder where the predicted patches are kept")
    _add_outputs(parser)


def add_download_arguments(parser: argparse.ArgumentParser) -> None:
    from ..io.download import FLAIR_HUB_MODELS, FLAIR_INC_VARIANTS

    parser.add_argument("--variant", default="rgbie_15cl",
                        choices=FLAIR_INC_VARIANTS + tuple(FLAIR_HUB_MODELS),
                        help="a FLAIR-INC variant, or a FLAIR-HUB model name (e.g. "
                             "FLAIR-HUB_LC-A_IR_convnextv2base-upernet)")
    parser.add_argument("--cache-dir", type=Path)


def run_evaluate(args: argparse.Namespace) -> int:
    from ..evaluation.hotspots import HotspotGrid
    from ..evaluation.mapping import ClassMapping
    from ..evaluation.rasters import evaluate_rasters
    from ..io.outputs import check_output_paths

    layers = [args.agreement, args.errors, args.confusion]
    check_output_paths(_report_outputs(args) + layers + [args.hotspots],
                       [args.prediction, args.reference, args.baseline], args.overwrite,
                       geotiffs=layers)
    mapping = ClassMapping.from_csv(args.mapping) if args.mapping else None
    grid = HotspotGrid(args.cell_size) if args.hotspots else None
    cancelled = threading.Event()
    with ProgressBar(args.quiet) as bar, ctrl_c_cancels(cancelled, bar.write, "block"):
        result = evaluate_rasters(
            args.prediction, args.reference, scheme=args.scheme,
            prediction_scheme=args.prediction_scheme, reference_scheme=args.reference_scheme,
            agreement_path=args.agreement, agreement_mode=args.agreement_mode,
            errors_path=args.errors, confusion_path=args.confusion,
            reference_field=args.reference_field, reference_mapping=mapping,
            area_path=args.area, sinks=[grid] if grid else [],
            overwrite=args.overwrite, progress=bar.progress, cancel=cancelled.is_set,
            check_scheme=args.baseline is None)
        # before/after: the same reference and settings; both maps are read as declared
        # (see evaluate_rasters' check_scheme)
        before = None if args.baseline is None else evaluate_rasters(
            args.baseline, args.reference, scheme=args.scheme,
            prediction_scheme=args.prediction_scheme, reference_scheme=args.reference_scheme,
            reference_field=args.reference_field, reference_mapping=mapping,
            area_path=args.area, progress=bar.progress, cancel=cancelled.is_set,
            check_scheme=False)
    if grid is not None:
        grid.write(args.hotspots, overwrite=args.overwrite)
    from ...styling.qml import legend_scheme, write_sidecar
    from ..evaluation.rasters import agreement_legend, confusion_legend, errors_legend

    # sidecars: QGIS styles these layers when it opens them
    for path, key, rows in (
            (args.agreement, f"agreement-{args.agreement_mode}",
             agreement_legend(args.agreement_mode, args.scheme)),
            (args.errors, "errors", errors_legend(result.confusion, result.pixel_area_m2)),
            (args.confusion, "confusion",
             confusion_legend(result.confusion, result.pixel_area_m2))):
        if path:
            write_sidecar(path, legend_scheme(key, key.capitalize(), rows))
    return _report(result, args, before)


def run_split(args: argparse.Namespace) -> int:
    from ..evaluation.split import evaluate_model_on_split

    _report_outputs(args)
    domains = None if args.domains.strip().lower() == "all" else [
        d.strip() for d in args.domains.split(",") if d.strip()]
    cancelled = threading.Event()
    with ProgressBar(args.quiet) as bar, ctrl_c_cancels(cancelled, bar.write):
        result = evaluate_model_on_split(
            args.model, args.dataset, domains=domains, scheme=args.scheme, device=args.device,
            batch_size=args.batch_size, precision=args.precision,
            predictions_dir=args.keep_predictions, outputs=_report_outputs(args),
            overwrite=args.overwrite, progress=bar.progress, cancel=cancelled.is_set)
    return _report(result, args)


def run_download(args: argparse.Namespace) -> int:
    from ..io.download import FLAIR_HUB_MODELS, download_flair_hub, download_flair_inc

    # Nothing polls a flag while the file downloads, so the first Ctrl-C stops at once:
    # the bytes go to a hidden .download file, resumed by the next run, and take the
    # file's name only once whole and checked.
    with ctrl_c_cancels(None, lambda text: None):
        if args.variant in FLAIR_HUB_MODELS:
            print(download_flair_hub(args.variant, cache_dir=args.cache_dir))
        else:
            print(download_flair_inc(args.variant, cache_dir=args.cache_dir))
    return EXIT_OK


def _report_outputs(args) -> List[Optional[Path]]:
    """The report files asked for (the CSV beside the metrics JSON too), for the one output
    check that runs before any work (:func:`~..io.outputs.check_output_paths`)."""
    if args.report is None and args.metrics is None:
        print("note: no --report or --metrics given; the scores are only printed",
              file=sys.stderr)
    return [args.report, args.metrics, args.metrics and args.metrics.with_suffix(".csv")]


def _report(result, args, before=None) -> int:
    from ..evaluation import report

    for line in report.write_report_files(result, args.report, args.metrics,
                                          overwrite=args.overwrite, before=before):
        print(line)
    if args.report:
        print(f"report: {args.report}")
    if args.metrics:
        print(f"metrics: {args.metrics} and {args.metrics.with_suffix('.csv')}")
    return EXIT_OK

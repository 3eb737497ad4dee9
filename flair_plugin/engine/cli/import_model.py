"""``flair-landcover import``: convert a model file users have into this plugin's format.

    flair-landcover import --model FLAIR-HUB_LC-A_IR_convnextv2base-upernet.safetensors \\
        --output lc-a-base.flair.safetensors
    flair-landcover import --model FLAIR-HUB_LC-A_RGB_swinbase-upernet.safetensors \\
        --means 105.7,111.4,101.8 --stds 52.2,45.6,44.0 --output rgb.flair.safetensors

The output carries everything the model needs (bands, normalisation, classes, tasks,
backbone, tile size), so it runs, trains and evaluates without these options again.
What a FLAIR-HUB file does not say is inferred (see
:func:`~..checkpoints.importers.meta_for_hub_state`) or taken from the options here.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Tuple

from .common import EXIT_OK

IMPORT_HELP = ("convert a model file (FLAIR-HUB .safetensors/.ckpt, FLAIR-INC .pth, FLAIR-1/2 "
               ".ckpt) into a self-describing .flair.safetensors")


def _numbers(kind):
    def parse(text: str) -> Tuple:
        try:
            return tuple(kind(v) for v in text.split(",") if v.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got "
                                             f"{text!r}") from None
    return parse


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, type=Path, metavar="FILE",
                        help="the model file to convert")
    parser.add_argument("--output", required=True, type=Path, metavar="OUT.flair.safetensors",
                        help="the converted model")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    hub = parser.add_argument_group("FLAIR-HUB facts its files do not carry (inferred when "
                                    "left out)")
    hub.add_argument("--encoder", metavar="TIMM_NAME",
                     help="the backbone's timm name, e.g. convnextv2_base, "
                          "swin_base_patch4_window12_384")
    hub.add_argument("--channels", type=_numbers(int), metavar="B,B,B",
                     help="bands of the RGBI raster feeding the model, in its order "
                          "(default 4,1,2 = NIR,R,G; 1,2,3 for _RGB_ models)")
    hub.add_argument("--means", type=_numbers(float), metavar="M,M,M",
                     help="per-band means on 0..255 values (FLAIR-HUB's for NIR,R,G by "
                          "default)")
    hub.add_argument("--stds", type=_numbers(float), metavar="S,S,S",
                     help="per-band standard deviations")
    hub.add_argument("--tile-size", type=int, metavar="PX",
                     help="the tile side a Swin encoder is built for (default: 224 or 384 "
                          "as FLAIR-HUB's UPerNet models; bias tables are resized)")


def run_import(args: argparse.Namespace) -> int:
    from ..checkpoints.importers import HubImportOptions
    from ..checkpoints.store import load_model, save_checkpoint
    from ..io.outputs import check_output_paths

    check_output_paths([args.output], [args.model], args.overwrite)
    options = HubImportOptions(encoder=args.encoder, channels=args.channels,
                               means=args.means, stds=args.stds, img_size=args.tile_size)
    loaded = load_model(args.model, hub_options=options)
    save_checkpoint(args.output, loaded.module, loaded.meta,
                    extra={**loaded.extra, "imported_from": args.model.name})
    meta = loaded.meta
    tasks = f", tasks {', '.join(meta.hub.tasks)}" if meta.hub is not None else ""
    print(f"wrote {args.output}: {meta.architecture} {meta.encoder}, bands "
          f"{','.join(meta.bands)}, {len(meta.active_codes)} land-cover classes{tasks}, "
          f"tiles of {meta.tile_size} px; from {meta.source}")
    return EXIT_OK

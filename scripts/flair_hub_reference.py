"""Make FLAIR-HUB reference checkpoints and logits with IGN's own code (a developer tool).

Builds ``FLAIR_HUB_Model`` from a FLAIR-HUB checkout (``IGNF/FLAIR-HUB``'s ``src``) with
segmentation-models-pytorch 0.4.0 (the version FLAIR-HUB pins; give the folder it is
unpacked in: it cannot share an environment with this plugin's smp), with random
weights and random batch-norm statistics, and writes:

* ``<name>.safetensors``: the model's state dict exactly as FLAIR-HUB's training saves
  it (keys ``model.encoders.*``, ``model.main_decoders.*``, ``model.fusion_handler.*``,
  auxiliary decoders when asked);
* ``<name>.reference.safetensors``: the input ``x`` (normalised) and each task's logits
  ``logits.<TASK>`` from FLAIR-HUB's forward.

The plugin's tests load the first through the importer and compare with the second
(``tests/unit/test_flair_hub.py``; the small checked-in fixture comes from here).

Usage::

    python scripts/flair_hub_reference.py --flair-hub-src FLAIR-HUB/src \\
        --smp-path /tmp/smp040/lib --arch test_convnext-upernet --size 64 --out tests/data

Nothing here is imported by the plugin.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_config(arch: str, tasks: dict, channels: int, aux: bool, series: bool,
                 s1: bool = False) -> dict:
    """The parts of FLAIR-HUB's training configuration its model reads (U-TAE values as
    its zonal detection sets them)."""
    mods = ["AERIAL_RGBI", "AERIAL-RLT_PAN", "DEM_ELEV", "SPOT_RGBI", "SENTINEL2_TS",
            "SENTINEL1-ASC_TS", "SENTINEL1-DESC_TS"]
    used = ({"AERIAL_RGBI"} | ({"SENTINEL2_TS"} if series else set())
            | ({"SENTINEL1-ASC_TS", "SENTINEL1-DESC_TS"} if s1 else set()))
    return {
        "modalities": {
            "inputs": {m: m in used for m in mods},
            "inputs_channels": {"AERIAL_RGBI": list(range(1, channels + 1)),
                                "SENTINEL2_TS": list(range(1, 11)),
                                "SENTINEL1-ASC_TS": [1, 2], "SENTINEL1-DESC_TS": [1, 2]},
            "aux_loss": {m: aux and m == "AERIAL_RGBI" for m in mods},
            "pre_processings": {"calc_elevation": False, "calc_elevation_stack_dsm": False},
        },
        "labels": list(tasks),
        "labels_configs": {t: {"value_name": {i: f"c{i}" for i in range(n)}}
                           for t, n in tasks.items()},
        "models": {
            "monotemp_model": {"arch": arch},
            "multitemp_model": {"encoder_widths": [64, 64, 64, 128],
                                "decoder_widths": [32, 32, 64, 128], "out_conv": [32, 19],
                                "str_conv_k": 3, "str_conv_s": 1, "str_conv_p": 1,
                                "agg_mode": "att_group", "encoder_norm": "group",
                                "n_head": 16, "d_model": 256, "d_k": 4, "pad_value": 0,
                                "padding_mode": "reflect"},
        },
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flair-hub-src", required=True, type=Path)
    parser.add_argument("--smp-path", required=True, type=Path)
    parser.add_argument("--arch", required=True, help="FLAIR-HUB arch, e.g. "
                                                      "convnextv2_tiny-upernet")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--lpis", action="store_true", help="add the crop-type task")
    parser.add_argument("--aux", action="store_true", help="add an auxiliary decoder")
    parser.add_argument("--series", type=int, default=0, metavar="SIDE",
                        help="add a Sentinel-2 series of this side (pixels), 5 dates")
    parser.add_argument("--s1", action="store_true",
                        help="with --series: add Sentinel-1 ascending and descending series "
                             "of the same side (4 and 3 dates)")
    parser.add_argument("--half", action="store_true",
                        help="round the weights to float16 values (smaller fixture files)")
    parser.add_argument("--name", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)

    sys.path[:0] = [str(args.smp_path), str(args.flair_hub_src)]
    import segmentation_models_pytorch as smp
    import torch
    from flair_hub.models.flair_model import FLAIR_HUB_Model
    from safetensors.torch import save_file

    assert smp.__version__ == "0.4.0", f"smp {smp.__version__} found, 0.4.0 needed"
    # FLAIR-HUB leaves smp's default encoder_weights="imagenet" (a download): random
    # weights are what a reference needs, and nothing can be downloaded here
    create = smp.create_model
    smp.create_model = lambda *a, **k: create(*a, **{**k, "encoder_weights": None})
    torch.manual_seed(11)
    tasks = {"AERIAL_LABEL-COSIA": 19}
    if args.lpis:
        tasks["ALL_LABEL-LPIS"] = 23
    config = build_config(args.arch, tasks, args.channels, args.aux, bool(args.series),
                          args.s1)
    model = FLAIR_HUB_Model(config, {"AERIAL_RGBI": args.size, "SENTINEL2_TS": args.series,
                                     "SENTINEL1-ASC_TS": args.series,
                                     "SENTINEL1-DESC_TS": args.series})
    state = model.state_dict()
    with torch.no_grad():
        for key, value in state.items():
            if key.endswith("running_var"):
                value.copy_(torch.rand_like(value) + 0.5)
            elif key.endswith("running_mean"):
                value.copy_(torch.randn_like(value) * 0.1)
            elif value.is_floating_point() and key.endswith(".bias"):
                value.copy_(torch.randn_like(value) * 0.05)
            if args.half and value.is_floating_point():
                value.copy_(value.half().float())
    model.eval()
    x = torch.randn(2, args.channels, args.size, args.size)
    if args.half:
        x = x.half().float()
    batch = {"AERIAL_RGBI": x, **{t: torch.zeros(2, args.size, args.size) for t in tasks}}
    extra = {}
    if args.series:
        extra = {"sentinel2": torch.randn(2, 5, 10, args.series, args.series),
                 "sentinel2_dates": torch.tensor([[-120.0, -60, 0, 30, 90],
                                                  [-100.0, -20, 10, 50, 140]])}
        if args.half:
            extra["sentinel2"] = extra["sentinel2"].half().float()
        batch.update(SENTINEL2_TS=extra["sentinel2"], SENTINEL2_DATES=extra["sentinel2_dates"])
    if args.series and args.s1:
        for key, mod, dates in (("sentinel1_asc", "SENTINEL1-ASC", [-50.0, 10, 70, 130]),
                                ("sentinel1_desc", "SENTINEL1-DESC", [-80.0, 0, 100])):
            series = torch.randn(2, len(dates), 2, args.series, args.series)
            if args.half:
                series = series.half().float()
            extra[key] = series
            extra[key + "_dates"] = torch.tensor([dates, dates])
            batch[f"{mod}_TS"], batch[f"{mod}_DATES"] = series, extra[key + "_dates"]
    with torch.no_grad():
        logits, _ = model(batch)
    args.out.mkdir(parents=True, exist_ok=True)
    dtype = torch.float16 if args.half else torch.float32
    weights = {f"model.{k}": (v.to(dtype) if v.is_floating_point() else v).contiguous()
               for k, v in model.state_dict().items()}
    save_file(weights, str(args.out / f"{args.name}.safetensors"))
    reference = {"x": x.to(dtype).contiguous(), **{k: v.contiguous() for k, v in extra.items()},
                 **{f"logits.{t}": v.contiguous() for t, v in logits.items()}}
    save_file(reference, str(args.out / f"{args.name}.reference.safetensors"),
              metadata={"arch": args.arch, "size": str(args.size)})
    params = sum(p.numel() for p in model.parameters())
    print(f"{args.name}: {args.arch}, {params:,} parameters, tasks {list(tasks)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

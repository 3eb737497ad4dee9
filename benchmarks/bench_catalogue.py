"""Benchmark of catalogue inference: its cost per tile, workers, and what a département needs.

    .venv/bin/python benchmarks/bench_catalogue.py [--quick] [--device auto|cpu|cuda]
                                                   [--model tiny|resnet34] [--ray]
                                                   [--workdir DIR]

Prints figures; asserts nothing (timings depend on the machine and on what else runs on
it). ``--quick`` is a smoke run (about a minute on 2 CPU cores).

What is measured, and why:

1. **Overhead of the catalogue mode**: a generated mosaic cut into N x N tiles whose side
   is a multiple of the block (so both runs compute exactly the same tiles of the
   network): one ``predict`` over the mosaic against ``catalogue`` in this process over
   the tiles. The difference over N² is the fixed cost of an output tile (headers, the
   model's probe forward, opening the VRT, creating and committing the files, the
   manifest), to compare with a real tile's compute (a 25,000² BD ORTHO tile: minutes).
2. **Workers**: the same catalogue with 1 and 2 local worker processes (the CPU shared
   out: 2 threads for one, 1 each for two), and with ``--ray`` 2 Ray actors on a local
   Ray started on 127.0.0.1; each against the single run.
3. **Tiles that cut blocks** (counted, not timed): output tiles following BD ORTHO's
   25,000 px tiles cut 512 px blocks at their edges, and a cut block is computed by both
   tiles; the extra tile visits of a département of 20 x 20 tiles, crop and hann.
4. **Capacity**: from 1-2, the hours a département (1.5·10¹¹ px) and France (5.5·10⁵ km²,
   1.4·10¹³ px at 0.2 m) take at the throughput measured here, and the formula for
   another machine (e.g. a GPU measured with ``bench_inference.py --device cuda``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
# Imported for its side effect: it makes the repository importable as flair_landcover.
import bench_inference  # noqa: E402,F401
import numpy as np  # noqa: E402
import rasterio  # noqa: E402
import torch  # noqa: E402

from flair_landcover.flair_plugin.engine.catalogue import (  # noqa: E402
    ProcessExecutor,
    run_catalogue,
)
from flair_landcover.flair_plugin.engine.catalogue.executors import (  # noqa: E402
    Finished,
    Started,
)
from flair_landcover.flair_plugin.engine.checkpoints.store import (  # noqa: E402
    ModelMeta,
    save_checkpoint,
)
from flair_landcover.flair_plugin.engine.geo import PixelWindow  # noqa: E402
from flair_landcover.flair_plugin.engine.inference.predict import predict  # noqa: E402
from flair_landcover.flair_plugin.engine.tiling import TileGrid  # noqa: E402
from flair_landcover.flair_plugin.nomenclature import (  # noqa: E402
    AERIAL_BANDS,
    FLAIR1_MEANS,
    FLAIR1_STDS,
)
from flair_landcover.synthetic.generator import write_mosaic  # noqa: E402

FRANCE_KM2 = 551_695  # metropolitan France
DEPARTEMENT_PX = 1.5e11  # about 6,000 km² at 0.2 m
BD_ORTHO_TILE = 25_000  # px: 5 km at 0.2 m
ROWS: List[Tuple[str, str]] = []


def row(measure: str, value: str) -> None:
    ROWS.append((measure, value))
    print(f"  {measure}: {value}", flush=True)


# --------------------------------------------------------------------------- inputs

def checkpoint(path: Path, kind: str) -> Path:
    """A U-Net with random weights in this plugin's format (the workers load a file)."""
    from flair_landcover.models.unet import FlairUNet

    torch.manual_seed(0)
    shape = (dict(encoder="resnet18", encoder_depth=3, decoder_channels=(32, 16, 8))
             if kind == "tiny" else dict(encoder="resnet34"))
    module = FlairUNet(5, 19, **shape).eval()
    meta = ModelMeta(in_channels=5, logit_codes=tuple(range(1, 20)), bands=AERIAL_BANDS,
                     means=FLAIR1_MEANS, stds=FLAIR1_STDS, encoder=shape["encoder"],
                     encoder_depth=shape.get("encoder_depth", 5),
                     decoder_channels=shape.get("decoder_channels", (256, 128, 64, 32, 16)),
                     source="benchmark")
    return save_checkpoint(path, module, meta)


def catalogue(workdir: Path, count: int, tile: int) -> Tuple[Path, Path]:
    """A generated mosaic and the same pixels cut into count x count GeoTIFF tiles."""
    side = count * tile
    whole = workdir / f"mosaic_{side}.tif"
    write_mosaic(whole, workdir / f"mosaic_{side}_msk.tif", side, side, seed=1,
                 overwrite=True)
    folder = workdir / f"tiles_{count}x{tile}"
    folder.mkdir(exist_ok=True)
    with rasterio.open(whole) as src:
        profile = dict(src.profile, width=tile, height=tile, tiled=True, blockxsize=256,
                       blockysize=256, compress="deflate")
        for r in range(count):
            for c in range(count):
                window = rasterio.windows.Window(c * tile, r * tile, tile, tile)
                with rasterio.open(folder / f"t_{r:02d}_{c:02d}.tif", "w",
                                   **dict(profile, transform=src.window_transform(window))
                                   ) as dst:
                    dst.write(src.read(window=window))
    return whole, folder


# --------------------------------------------------------------------------- sections

def timed(label: str, work) -> Tuple[float, object]:
    started = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - started
    print(f"    {label}: {elapsed:.1f} s", flush=True)
    return elapsed, result


class Span:
    """From the first tile started to the last finished: the workers' steady state, their
    start (spawning, importing torch, loading the model) left out."""

    def __init__(self) -> None:
        self.first = self.last = None

    def __call__(self, event) -> None:
        now = time.perf_counter()
        if isinstance(event, Started) and self.first is None:
            self.first = now
        elif isinstance(event, Finished):
            self.last = now

    @property
    def seconds(self) -> float:
        return self.last - self.first


def overhead_and_workers(workdir: Path, args, settings: Dict) -> Dict[str, float]:
    count, tile = (2, 512) if args.quick else (3, 512)
    whole, tiles = catalogue(workdir, count, tile)
    model = checkpoint(workdir / f"{args.model}.flair.safetensors", args.model)
    mpx = (count * tile) ** 2 / 1e6
    tiles_n = count * count
    cpus = os.cpu_count() or 1
    print(f"  {count}x{count} tiles of {tile} px ({mpx:.1f} Mpx), {args.model} U-Net, "
          f"block {settings['block']} halo {settings['halo']}, load average "
          f"{os.getloadavg()[0]:.1f} on {cpus} CPUs", flush=True)
    rates = {}
    for threads in sorted({1, cpus}):
        torch.set_num_threads(threads)
        single, _ = timed(f"one predict over the mosaic, {threads} thread(s)", lambda: predict(
            whole, model, workdir / "single.tif", overwrite=True, **settings))
        in_process, result = timed(f"catalogue in this process, {threads} thread(s)",
                                   lambda: run_catalogue(
                                       tiles, model, workdir / "out_in_process",
                                       overwrite=True, overviews=False, **settings))
        with rasterio.open(result.mosaic) as a, rasterio.open(workdir / "single.tif") as b:
            identical = np.array_equal(a.read(), b.read())
        rates[f"one predict, {threads} thread(s)"] = mpx / single
        row(f"catalogue in this process / one predict, {threads} thread(s)",
            f"{in_process / single:.3f} ({'identical' if identical else 'DIFFERENT'} "
            f"output; {single / tiles_n:.2f} s of compute per {tile} px tile, "
            f"{(in_process - single) / tiles_n:+.2f} s per tile in catalogue mode)")
    for workers, threads in ((1, 1), (1, cpus), (2, max(1, cpus // 2))):
        span = Span()
        elapsed, _ = timed(f"{workers} worker process(es) x {threads} thread(s)",
                           lambda n=workers, t=threads, s=span: run_catalogue(
                               tiles, model, workdir / f"out_{n}_{t}", overwrite=True,
                               overviews=False, executor=ProcessExecutor(n, threads=t),
                               on_event=s, **settings))
        rates[f"{workers} worker(s) x {threads} thread(s)"] = mpx / span.seconds
        row(f"{workers} local worker(s) x {threads} thread(s)",
            f"{mpx / span.seconds:.3f} Mpx/s once started ({mpx / elapsed:.3f} with the "
            f"workers' start)")
    if args.ray:
        rates["2 Ray actors x 1 CPU"] = ray_run(tiles, model, workdir, settings, mpx)
    fixed_cost(workdir, model, settings, 4 if args.quick else 8)
    return rates


def fixed_cost(workdir: Path, model: Path, settings: Dict, count: int) -> None:
    """The cost of an output tile with nothing to compute (every pixel no data, so no
    forward pass): headers, the VRT, the checks, the files, the manifest; the model
    loaded once."""
    folder = workdir / "empty_tiles"
    folder.mkdir(exist_ok=True)
    profile = dict(driver="GTiff", width=512, height=512, count=5, dtype="uint8",
                   crs="EPSG:2154", nodata=0, tiled=True, compress="deflate")
    for r in range(count):
        for c in range(count):
            transform = rasterio.transform.from_origin(651000 + c * 102.4,
                                                       6862000 - r * 102.4, 0.2, 0.2)
            with rasterio.open(folder / f"e_{r:02d}_{c:02d}.tif", "w", transform=transform,
                               **profile) as dst:
                dst.write(np.zeros((5, 512, 512), np.uint8))
    elapsed, result = timed(f"catalogue of {count * count} tiles of no data", lambda: run_catalogue(
        folder, model, workdir / "out_empty", overwrite=True, overviews=False, **settings))
    row("fixed cost of an output tile (no data: no forward pass)",
        f"{elapsed / result.tiles_computed:.2f} s, the job's checks and model load included "
        f"({count * count} tiles in {elapsed:.1f} s)")


def ray_run(tiles: Path, model: Path, workdir: Path, settings: Dict, mpx: float) -> float:
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # stay on 127.0.0.1
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    from flair_landcover.flair_plugin.engine.catalogue.ray_executor import RayExecutor

    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    print(f"    Ray started in {time.perf_counter() - started:.1f} s", flush=True)
    span = Span()
    try:
        elapsed, _ = timed("2 Ray actors", lambda: run_catalogue(
            tiles, model, workdir / "out_ray", overwrite=True, overviews=False,
            executor=RayExecutor(workers=2, cpus_per_worker=1), on_event=span, **settings))
    finally:
        ray.shutdown()
    row("2 Ray actors x 1 CPU", f"{mpx / span.seconds:.3f} Mpx/s once started "
        f"({mpx / elapsed:.3f} with the actors' start)")
    return mpx / span.seconds


def cut_blocks() -> None:
    """Extra tile visits when output tiles (BD ORTHO's 25,000 px) cut 512 px blocks."""
    n, size = 20, BD_ORTHO_TILE
    for blend, halo in (("crop", 128), ("hann", 128)):
        weighted = blend != "crop"
        layout = PixelWindow(0, 0, n * size, n * size)
        whole = TileGrid(layout.width, layout.height, layout, 512, halo)
        base = whole.visit_count(None, whole.reach if weighted else 0)
        pieces = 0
        for r in range(n):
            for c in range(n):
                grid = TileGrid(layout.width, layout.height,
                                PixelWindow(c * size, r * size, size, size), 512, halo, layout)
                pieces += grid.visit_count(None, grid.reach if weighted else 0)
        row(f"tile visits, {n}x{n} tiles of {size} px, {blend}",
            f"+{100 * (pieces / base - 1):.1f} % over one run (0 with --tile-size a "
            f"multiple of the block, e.g. 24576)")


def capacity(rates: Dict[str, float]) -> None:
    best = max(rates, key=rates.get)
    rate = rates[best]
    france_px = FRANCE_KM2 * 1e6 / 0.2 ** 2
    row("capacity formula", "hours = pixels x (1 + extra visits) / (Mpx/s x 1e6) / 3600")
    row(f"a département at {rate:.2f} Mpx/s ({best}, this machine)",
        f"{DEPARTEMENT_PX / (rate * 1e6) / 3600:,.0f} h")
    row(f"France ({france_px:.2e} px, ~{FRANCE_KM2 / 25:,.0f} tiles of 5 km)",
        f"{france_px / (rate * 1e6) / 3600:,.0f} h at {rate:.2f} Mpx/s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--device", default="cpu", help="auto, cpu or cuda")
    parser.add_argument("--model", choices=("tiny", "resnet34"), default=None,
                        help="tiny: the per-tile overhead stands out; resnet34: FLAIR's "
                             "U-Net (default; tiny with --quick)")
    parser.add_argument("--ray", action="store_true", help="also 2 actors on a local Ray")
    parser.add_argument("--workdir", help="keep generated rasters here (default: temp)")
    # `make bench` hands every benchmark the same BENCH_ARGS: ignore the others' options.
    args, _ = parser.parse_known_args(argv)
    args.model = args.model or ("tiny" if args.quick else "resnet34")
    settings = dict(device=args.device, precision="fp32", runtime="torch", block=512,
                    halo=128, batch_size=2, blend="crop")
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, device {args.device}, "
          f"{'quick' if args.quick else 'full'} mode", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="flair-bench-catalogue-") as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        rates = overhead_and_workers(workdir, args, settings)
        cut_blocks()
        capacity(rates)
    print()
    width = max(len(m) for m, _ in ROWS)
    for measure, value in ROWS:
        print(f"{measure:<{width}}  {value}")
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())

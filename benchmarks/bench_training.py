"""Is the data loader the bottleneck of training? Loader samples/s vs training-step samples/s.

    python benchmarks/bench_training.py [--quick] [--device auto|cpu|cuda] [--size 512]
        [--batch-size 10] [--encoder resnet34] [--workers N] [--steps 10]

Measures, on synthetic FLAIR-like patches (5 bands, written by the generator in FLAIR's
GitHub layout):

1. data loading alone: iterate the training DataLoader (augmentation on, the default
   number of worker processes of the headless command) and, for comparison, the thread
   loader used inside QGIS;
2. the training step alone: forward + weighted cross-entropy + backward + SGD step of the
   FLAIR U-Net on batches already on the device (uint8, normalised on the device, as in
   training); on CUDA also with AMP (fp16 autocast + gradient scaling).

The ratio loader / step says how much headroom the loader has: >= 2 means the device,
not the disk or the decoding, sets the pace. ``--quick`` is a smoke run (small patches,
small model), not a measurement.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def _import_package():
    """``flair_landcover`` as installed (``make setup``), else through a temporary link."""
    try:
        import flair_landcover  # noqa: F401
    except ImportError:
        holder = Path(tempfile.mkdtemp(prefix="flair-pkg-"))
        os.symlink(Path(__file__).resolve().parents[1], holder / "flair_landcover")
        sys.path.insert(0, str(holder))


_import_package()

import torch  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

from flair_landcover.flair_plugin.engine.data import patches as ds  # noqa: E402
from flair_landcover.flair_plugin.engine.training.trainer import (  # noqa: E402
    FlairSegmentationModule,
    TrainConfig,
)
from flair_landcover.models.unet import FlairUNet  # noqa: E402
from flair_landcover.synthetic.generator import write_dataset  # noqa: E402


def _loader_rate(loader, batches: int) -> float:
    """Samples/s over ``batches`` batches, after one warm-up batch (worker start-up)."""
    iterator = iter(loader)
    next(iterator)
    count, started = 0, time.perf_counter()
    for _ in range(batches):
        try:
            images, _, _ = next(iterator)
        except StopIteration:
            iterator = iter(loader)
            images, _, _ = next(iterator)
        count += images.shape[0]
    return count / (time.perf_counter() - started)


def _step_rate(module: FlairSegmentationModule, batch, device: torch.device, steps: int,
               amp: bool) -> float:
    """Samples/s of full training steps on a batch already on ``device``."""
    optimizer = torch.optim.SGD(module.parameters(), lr=0.02, momentum=0.9)
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    image, target, meta = (t.to(device) for t in batch)
    target = target.long()

    def step():
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
            loss, _ = module._loss(module(image, meta), target)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    step()  # warm-up: cuDNN autotuning, allocator
    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * image.shape[0] / (time.perf_counter() - started)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny and fast")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--size", type=int, help="patch side (default 512, quick 128)")
    parser.add_argument("--batch-size", type=int, help="default 10 (FLAIR), quick 4")
    parser.add_argument("--encoder", help="default resnet34, quick resnet18")
    parser.add_argument("--workers", type=int, help="loader processes (default: the "
                                                    "headless command's)")
    parser.add_argument("--steps", type=int, help="timed steps / batches (default 10)")
    parser.add_argument("--data", type=Path, help="reuse (or write) the dataset here")
    args = parser.parse_args(argv)
    quick = args.quick
    size = args.size or (128 if quick else 512)
    batch = args.batch_size or (4 if quick else 10)
    encoder = args.encoder or ("resnet18" if quick else "resnet34")
    steps = args.steps or (3 if quick else 10)
    workers = ds.default_workers() if args.workers is None else args.workers
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                          else ("cpu" if args.device == "auto" else args.device))

    root = args.data or Path(tempfile.mkdtemp(prefix="flair-bench-")) / "flair"
    patches_per_zone = max(2, -(-batch * (steps + 1) // 4))  # 2 train domains × 2 zones
    if not root.exists():
        started = time.perf_counter()
        write_dataset(root, zones_per_domain=2, patches_per_zone=patches_per_zone,
                      size=size, seed=0, sentinel=False)
        print(f"dataset: {root} ({size} px patches) written in "
              f"{time.perf_counter() - started:.1f} s")
    data = ds.prepare_training_data(root)
    scheme = ds.training_scheme("15cl")
    dataset = ds.FlairPatchDataset(data.train, 5, scheme, data.tile_size, augment=True)
    print(f"device {device}, torch threads {torch.get_num_threads()}, CPU cores "
          f"{os.cpu_count()}; {len(dataset)} train patches of {size} px; batch {batch}; "
          f"U-Net {encoder}")

    loader = DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=workers,
                        pin_memory=device.type == "cuda", persistent_workers=workers > 0)
    load = _loader_rate(loader, steps)
    print(f"data loading, DataLoader with {workers} worker process(es): {load:8.2f} samples/s")
    threads = ds.ThreadedBatchLoader(dataset, batch, shuffle=True, threads=2)
    print(f"data loading, QGIS thread loader (2 threads):      "
          f"{_loader_rate(threads, steps):8.2f} samples/s")

    batch_tensors = next(iter(DataLoader(dataset, batch_size=batch)))
    net = FlairUNet(5, scheme.num_logits, encoder=encoder,
                    encoder_depth=3 if quick else 5,
                    decoder_channels=(64, 32, 16) if quick else None)
    bands = ds.band_spec("rgbie")
    module = FlairSegmentationModule(net, scheme, bands.means, bands.stds,
                                     TrainConfig(output_dir=str(root))).to(device)
    module.train()
    if device.type == "cuda":
        module = module.to(memory_format=torch.channels_last)
    fp32 = _step_rate(module, batch_tensors, device, steps, amp=False)
    print(f"training step, fp32:                               {fp32:8.2f} samples/s")
    rates = [fp32]
    if device.type == "cuda":
        amp = _step_rate(module, batch_tensors, device, steps, amp=True)
        print(f"training step, AMP fp16:                           {amp:8.2f} samples/s")
        rates.append(amp)
    ratio = load / max(rates)
    verdict = "the loader is not the bottleneck" if ratio >= 2 else \
        "the loader may limit training: raise --workers or use faster storage"
    print(f"ratio loader / fastest step: {ratio:.1f} ({verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

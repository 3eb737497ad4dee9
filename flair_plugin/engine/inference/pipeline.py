"""Streaming sliding-window inference of a FLAIR U-Net over rasters of any size.

```
reader threads ──► bounded queue of uint8 tiles ──► device loop: normalise, forward
(one rasterio handle   (slots: pinned memory on CUDA)   (autocast, channels_last),
 per thread, windowed                                   softmax, crop or blend
 reads, pad in memory)                                     │
                            writer thread ◄── bounded queue of finished output blocks
                            (tiled, compressed GeoTIFF, temp file + atomic rename)
```

* Memory is bounded by the number of tile slots (≈ 2 batches + one per reader), the
  writer's queue and, for weighted blends, the blocks still waiting for a neighbouring
  tile; never by the raster's size (weighted blends sweep vertical strips whose width
  follows a memory budget, see :func:`~.tiling.weighted_strip_cols`).
* ``crop``: each output pixel comes from exactly one tile (its block's), as FLAIR-1's
  zone detection does. ``hann``/``gaussian``: softmax probabilities of overlapping tiles
  are weighted, summed and normalised; a block is finalised as soon as every tile
  touching it is done. Labels are never blended. With ``halo=0`` every mode is plain
  tiling.
* Class values are FLAIR codes (``logit_codes``), 0 = no data; inactive logits (code 0)
  are never predicted.

:func:`predict_with_module` is the core: it takes any torch module mapping normalised
N×C×H×W input to N×K×H×W logits, plus its normalisation and logit codes. :func:`predict`
adds checkpoint loading. Nothing here imports qgis.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from ...nomenclature import AERIAL_BANDS, NODATA, flair_class
from ..io.rasters import (DEFAULT_GDAL_CACHE_MB, BandSource, Grid, OutputSet, OutputTarget,
                        SourcePlan, StackReader, bounded_gdal_cache, check_output_paths,
                        pad_tile, plan_sources)
from ..tiling import (BLEND_MODES, DEFAULT_BLOCK, DEFAULT_HALO, PAD_MODES, InputError,
                     PixelWindow, Tile, TileGrid, blend_window, validate_tiling,
                     weighted_strip_cols, window_from_extent)
from ..errors import InferenceError, PredictionCancelled


__all__ = ["BandSource", "InferenceError", "InputError", "PredictionCancelled",
           "PredictionResult", "predict", "predict_with_module", "resolve_device"]

log = logging.getLogger(__name__)

PRECISIONS: Tuple[str, ...] = ("fp32", "fp16", "bf16")
ProgressCallback = Callable[[float, str], None]
CancelCallback = Callable[[], bool]
WarnCallback = Callable[[str], None]

DEFAULT_BLEND_MEMORY_MB = 512
"""Budget for a weighted blend's pending block accumulators (sets the strip width)."""

_POLL_S = 0.1  # how often blocked queue operations look at the stop flag






@dataclass
class PredictionResult:
    """What a run produced, for the caller's report (and the lead's sidecar writer)."""

    output: Path
    probabilities: Optional[Path]
    confidence: Optional[Path]
    width: int  # of the output, in pixels
    height: int
    codes: Tuple[int, ...]  # FLAIR codes the model can predict (probability band order)
    tiles_total: int  # tile visits (a weighted blend's strip margins count twice)
    tiles_done: int  # visits that ran through the model
    tiles_skipped: int  # visits without a valid pixel to write
    elapsed_s: float
    megapixels_per_s: float  # output pixels per second
    device: str
    batch_size: int  # at the end: a CUDA out-of-memory error halves it
    precision: str
    blend: str
    block: int
    halo: int
    warnings: List[str] = field(default_factory=list)


# --------------------------------------------------------------------------- settings

def resolve_device(device: Union[str, torch.device, None]) -> torch.device:
    """``auto`` -> CUDA when PyTorch sees a GPU, else CPU; ``cuda`` without one is an error."""
    name = str(device or "auto").strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InputError(f"device {name!r} was asked for, but this PyTorch "
                             f"({torch.__version__}) sees no CUDA GPU: use device 'cpu' or "
                             f"'auto', or install a CUDA build of PyTorch")
        dev = torch.device(name)
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise InputError(f"device {name!r} does not exist: this machine has "
                             f"{torch.cuda.device_count()} GPU(s), cuda:0.."
                             f"cuda:{torch.cuda.device_count() - 1}")
        return dev
    raise InputError(f"device {device!r} is not one of auto, cpu, cuda (or cuda:N)")


def check_precision(precision: str, device: torch.device) -> None:
    if precision not in PRECISIONS:
        raise InputError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    if precision == "fp16" and device.type != "cuda":
        raise InputError("precision fp16 needs a CUDA GPU; on CPU use bf16 or fp32")


def _check_settings(blend: str, pad: str, precision: str, device: torch.device,
                    batch_size: int, num_readers: int, block: int, halo: int) -> None:
    validate_tiling(block, halo)
    if blend not in BLEND_MODES:
        raise InputError(f"blend {blend!r} is not one of {', '.join(BLEND_MODES)}")
    if pad not in PAD_MODES:
        raise InputError(f"pad {pad!r} is not one of {', '.join(PAD_MODES)}")
    check_precision(precision, device)
    if int(batch_size) < 1 or int(num_readers) < 1:
        raise InputError(f"batch size and reader count must be >= 1, got {batch_size} and "
                         f"{num_readers}")


def _check_model_values(means: Sequence[float], stds: Sequence[float],
                        logit_codes: Sequence[int], band_names: Sequence[str]) -> None:
    n = len(band_names)
    if len(means) != n or len(stds) != n:
        raise InputError(f"the model's normalisation has {len(means)} means and {len(stds)} "
                         f"stds for {n} bands ({', '.join(band_names)})")
    if any(float(s) <= 0 for s in stds):
        raise InputError(f"the model's stds must be > 0, got {tuple(stds)}")
    active = [c for c in logit_codes if c != NODATA]
    if not active:
        raise InputError("the model has no active class (every logit code is 0)")
    if any(not 0 <= int(c) <= 255 for c in logit_codes) or len(set(active)) != len(active):
        raise InputError(f"logit codes must be distinct values 1..255 (0 = inactive), got "
                         f"{tuple(logit_codes)}")


# --------------------------------------------------------------------------- network

class Network:
    """The module with its normalisation, precision and active logits, on one device."""

    def __init__(self, module: torch.nn.Module, means: Sequence[float], stds: Sequence[float],
                 logit_codes: Sequence[int], device: torch.device, precision: str) -> None:
        self.device = device
        self.module = module.eval().to(device)
        params = [p for p in module.parameters() if p.is_floating_point()]
        self.param_dtype = params[0].dtype if params else torch.float32
        # A float64 model (tests, references) gets float64 input; anything else float32.
        self.in_dtype = torch.float64 if self.param_dtype == torch.float64 else torch.float32
        self.channels_last = device.type == "cuda"
        if self.channels_last:
            self.module.to(memory_format=torch.channels_last)
        self.mean = torch.tensor(means, dtype=self.in_dtype, device=device).view(1, -1, 1, 1)
        self.std = torch.tensor(stds, dtype=self.in_dtype, device=device).view(1, -1, 1, 1)
        self.num_logits = len(logit_codes)
        active = [i for i, c in enumerate(logit_codes) if c != NODATA]
        self.active = (None if len(active) == self.num_logits
                       else torch.tensor(active, device=device))
        self.lut = torch.tensor([logit_codes[i] for i in active], dtype=torch.uint8,
                                device=device)
        if precision == "fp32":
            self.autocast = contextlib.nullcontext
        else:
            dtype = torch.float16 if precision == "fp16" else torch.bfloat16
            self.autocast = lambda: torch.autocast(device_type=device.type, dtype=dtype)

    @property
    def num_classes(self) -> int:
        return int(self.lut.numel())

    def codes(self, x: torch.Tensor, *extra: torch.Tensor) -> torch.Tensor:
        """uint8 N×C×H×W -> uint8 N×H×W FLAIR codes (argmax over the active logits)."""
        # max(1).indices, not argmax(1): on CPU, argmax over the channels of an NCHW
        # tensor takes 3-4 times longer (same first-maximum rule).
        return self.lut[self.logits(x, *extra).max(1).indices]

    def logits(self, x: torch.Tensor, *extra: torch.Tensor) -> torch.Tensor:
        """uint8 N×C×H×W on the device -> active-class logits N×K×H×W (float32/float64).

        ``extra``: further inputs of the module (the aerial metadata of FLAIR-1's MLP)."""
        x = x.to(self.in_dtype).sub_(self.mean).div_(self.std)  # in place: one allocation
        if self.param_dtype != self.in_dtype:
            x = x.to(self.param_dtype)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with self.autocast():
            out = self.module(x, *extra)
        if isinstance(out, (tuple, list)):
            out = out[0]
        if out.ndim != 4 or out.shape[1] != self.num_logits or out.shape[2:] != x.shape[2:]:
            raise InferenceError(f"the model returned {tuple(out.shape)} for input "
                                 f"{tuple(x.shape)}; expected N×{self.num_logits}×H×W logits "
                                 f"(one per logit code): the checkpoint's metadata does not "
                                 f"match its weights")
        if self.active is not None:
            out = out.index_select(1, self.active)
        return out if out.dtype == torch.float64 else out.float()

    def probe(self, channels: int) -> None:
        """One forward on a tiny tile: a wrong band count fails here, before any file."""
        with torch.inference_mode():
            try:
                self.logits(torch.zeros((1, channels, 64, 64), dtype=torch.uint8,
                                        device=self.device))
            except InferenceError as exc:
                raise InputError(str(exc)) from None
            except torch.cuda.OutOfMemoryError:
                raise
            except RuntimeError as exc:
                raise InputError(f"the model cannot run on {channels} input bands: {exc}") \
                    from None


def _labels_and_scores(net: Network, values: torch.Tensor, are_probs: bool,
                       want_probs: bool, want_conf: bool):
    """(codes, confidence, probabilities) as uint8 numpy arrays from N×K×H×W values.

    ``values`` are logits (crop: argmax of logits = argmax of their softmax, without the
    rounding ties softmax can create) or blended probabilities.
    """
    codes = net.lut[values.max(1).indices]  # as Network.codes, on blended values too
    conf = probs = None
    if want_probs or want_conf:
        p = values if are_probs else torch.softmax(values, dim=1)
        if want_conf:
            conf = torch.round(p.amax(1) * 255).to(torch.uint8).cpu().numpy()
        if want_probs:
            probs = torch.round(p * 255).to(torch.uint8).cpu().numpy()
    return codes.cpu().numpy(), conf, probs


# --------------------------------------------------------------------------- pipeline items

@dataclass(frozen=True)
class _Visit:
    """One tile to process, with the strip of output blocks it works for."""

    strip: Tuple[int, int]  # first and end block columns
    tile: Tile

    @property
    def owns_block(self) -> bool:
        return self.strip[0] <= self.tile.col < self.strip[1]


@dataclass
class _TileItem:
    visit: _Visit
    slot: Optional[torch.Tensor]  # None: skipped, no valid pixel where it writes
    block_valid: Optional[np.ndarray]  # None: every pixel of its block is valid


@dataclass
class _BlockOut:
    window: PixelWindow
    codes: np.ndarray
    conf: Optional[np.ndarray]
    probs: Optional[np.ndarray]
    valid: Optional[np.ndarray]


class _ReaderFailed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_READER_DONE = object()
_WRITER_DONE = object()


def _put(q: "queue.Queue", item, stop: threading.Event) -> bool:
    """Put unless ``stop`` is set first (a consumer that died must not hang us)."""
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


# --------------------------------------------------------------------------- blending

class _Pending:
    """Accumulators of one block of a weighted blend, until all its tiles are done."""

    __slots__ = ("remaining", "sum", "weight", "own_valid", "own_skipped")

    def __init__(self, remaining: int) -> None:
        self.remaining = remaining
        self.sum = self.weight = None
        self.own_valid = None
        self.own_skipped = False


class _WeightedBlender:
    def __init__(self, grid: TileGrid, net: Network, kind: str, dtype: torch.dtype,
                 emit: Callable[[_BlockOut], None], want_probs: bool, want_conf: bool) -> None:
        self.grid, self.net, self.emit = grid, net, emit
        self.want_probs, self.want_conf = want_probs, want_conf
        self.window = torch.as_tensor(blend_window(kind, grid.tile_size), dtype=dtype,
                                      device=net.device)
        self.pending: Dict[Tuple[int, int], _Pending] = {}
        self.peak_pending = 0

    def add(self, item: _TileItem, weighted: Optional[torch.Tensor]) -> None:
        """Add one tile's window-weighted probabilities (K×T×T on the device).

        ``None`` stands for a skipped tile: it counts as done for its blocks.
        """
        visit, grid = item.visit, self.grid
        tile = visit.tile
        for key in grid.blocks_touched(tile.row, tile.col):
            if not visit.strip[0] <= key[1] < visit.strip[1]:
                continue  # a margin tile: that block belongs to another strip
            acc = self.pending.get(key)
            if acc is None:
                acc = self.pending[key] = _Pending(grid.touching(*key))
                self.peak_pending = max(self.peak_pending, len(self.pending))
            if weighted is not None:
                self._accumulate(acc, tile, key, weighted)
            if key == (tile.row, tile.col):
                acc.own_valid, acc.own_skipped = item.block_valid, weighted is None
            acc.remaining -= 1
            if acc.remaining == 0:
                del self.pending[key]
                self._finish(key, acc)

    def _accumulate(self, acc: _Pending, tile: Tile, key: Tuple[int, int],
                    weighted: torch.Tensor) -> None:
        parts = self.grid.tile_part_over_block(tile, *key)
        if parts is None:
            return
        in_tile, in_block = parts
        if acc.sum is None:
            block = self.grid.block_window(*key)
            acc.sum = weighted.new_zeros((weighted.shape[0], block.height, block.width))
            acc.weight = weighted.new_zeros((block.height, block.width))
        rows, cols = in_block.slices()
        t_rows, t_cols = in_tile.slices()
        acc.sum[:, rows, cols] += weighted[:, t_rows, t_cols]
        acc.weight[rows, cols] += self.window[t_rows, t_cols]

    def _finish(self, key: Tuple[int, int], acc: _Pending) -> None:
        if acc.own_skipped or acc.sum is None:
            return  # the block has no valid pixel: it stays nodata (sparse, reads as 0)
        p = (acc.sum / acc.weight.clamp_min(1e-30))[None]
        codes, conf, probs = _labels_and_scores(self.net, p, True, self.want_probs,
                                                self.want_conf)
        self.emit(_BlockOut(self.grid.block_window(*key), codes[0],
                            None if conf is None else conf[0],
                            None if probs is None else probs[0], acc.own_valid))


# --------------------------------------------------------------------------- the run

class _Pipeline:
    """Readers, device loop and writer of one run. Build, then :meth:`run` once."""

    def __init__(self, plan: SourcePlan, grid: TileGrid, net: Network, outputs: OutputSet,
                 *, blend: str, batch_size: int, num_readers: int, want_probs: bool,
                 want_conf: bool, progress: Optional[ProgressCallback],
                 cancel: Optional[CancelCallback], blend_memory_mb: int) -> None:
        self.plan, self.grid, self.net, self.outputs = plan, grid, net, outputs
        self.weighted = blend != "crop" and grid.halo > 0
        self.batch_size, self.num_readers = int(batch_size), int(num_readers)
        self.want_probs, self.want_conf = want_probs, want_conf
        self.progress, self.cancel = progress, cancel
        strip_cols, margin = None, 0
        if self.weighted:
            itemsize = 8 if net.in_dtype == torch.float64 else 4
            strip_cols = weighted_strip_cols(grid, net.num_classes, itemsize,
                                             blend_memory_mb * 2 ** 20)
            margin = grid.reach
        self.total = grid.visit_count(strip_cols, margin)
        self._visits = self._make_visits(strip_cols, margin)
        self._visit_lock = threading.Lock()
        self.stop = threading.Event()
        slots = 2 * self.batch_size + self.num_readers
        self.slots: "queue.Queue[torch.Tensor]" = queue.Queue()
        pin = net.device.type == "cuda"
        shape = (len(plan.sources), grid.tile_size, grid.tile_size)
        for _ in range(slots):
            self.slots.put(torch.empty(shape, dtype=torch.uint8, pin_memory=pin))
        self.tiles: "queue.Queue" = queue.Queue(maxsize=slots + self.num_readers)
        self.blocks: "queue.Queue" = queue.Queue(maxsize=2 * self.batch_size + 4)
        self.writer_error: Optional[BaseException] = None
        self.done = self.skipped = 0
        self.pixels_done = 0
        self.blender = (_WeightedBlender(grid, net, blend, net.in_dtype, self._emit, want_probs,
                                         want_conf) if self.weighted else None)
        self._pending_copies = None
        self._started = time.perf_counter()

    def _make_visits(self, strip_cols, margin) -> Iterator[_Visit]:
        for _, strip, row, col in self.grid.order(strip_cols, margin):
            yield _Visit(strip, self.grid.tile(row, col))

    # ---------------------------------------------------------------- readers
    def _reader_main(self) -> None:
        reader = None
        try:
            reader = StackReader(self.plan)
            while not self.stop.is_set():
                with self._visit_lock:
                    visit = next(self._visits, None)
                if visit is None:
                    break
                item = self._read(reader, visit)
                if item is None or not _put(self.tiles, item, self.stop):
                    break
        except BaseException as exc:  # handed to the device loop, which raises it
            _put(self.tiles, _ReaderFailed(exc), self.stop)
        finally:
            if reader is not None:
                reader.close()
            _put(self.tiles, _READER_DONE, self.stop)

    def _read(self, reader: StackReader, visit: _Visit) -> Optional[_TileItem]:
        tile = visit.tile
        data, valid = reader.read(tile.read)
        block_valid = None
        if valid is not None:
            top, left = tile.pad[0], tile.pad[2]
            needed = tile.region_part if self.weighted else tile.block_part
            rows = slice(needed.row_off - top, needed.row_end - top)
            cols = slice(needed.col_off - left, needed.col_end - left)
            if not valid[rows, cols].any():
                return _TileItem(visit, None, None)
            b = tile.block_part
            block_valid = valid[b.row_off - top:b.row_end - top,
                                b.col_off - left:b.col_end - left].copy()
            if block_valid.all():
                block_valid = None
        slot = self._take_slot()
        if slot is None:
            return None
        slot.numpy()[...] = pad_tile(data, tile.pad, self.plan.pad_mode)
        return _TileItem(visit, slot, block_valid)

    def _take_slot(self) -> Optional[torch.Tensor]:
        while not self.stop.is_set():
            try:
                return self.slots.get(timeout=_POLL_S)
            except queue.Empty:
                continue
        return None

    # ---------------------------------------------------------------- writer
    def _writer_main(self) -> None:
        try:
            while True:
                try:
                    item = self.blocks.get(timeout=_POLL_S)
                except queue.Empty:
                    if self.stop.is_set():
                        return
                    continue
                if item is _WRITER_DONE:
                    return
                self._write(item)
        except BaseException as exc:
            self.writer_error = exc
            self.stop.set()  # readers and the device loop must not wait for us

    def _write(self, block: _BlockOut) -> None:
        if block.valid is not None:
            invalid = ~block.valid
            block.codes[invalid] = NODATA
            if block.conf is not None:
                block.conf[invalid] = 0
            if block.probs is not None:
                block.probs[:, invalid] = 0
        index = 0
        self.outputs.write(index, block.window, block.codes)
        if block.probs is not None:
            index += 1
            self.outputs.write(index, block.window, block.probs)
        if block.conf is not None:
            self.outputs.write(index + 1, block.window, block.conf)

    def _emit(self, block: _BlockOut) -> None:
        if self.writer_error is not None:
            raise self.writer_error
        if not _put(self.blocks, block, self.stop):
            raise self.writer_error or InferenceError("the writer stopped")

    # ---------------------------------------------------------------- device loop
    def run(self) -> None:
        readers = [threading.Thread(target=self._reader_main, name=f"flair-reader-{i}",
                                    daemon=True) for i in range(self.num_readers)]
        writer = threading.Thread(target=self._writer_main, name="flair-writer", daemon=True)
        writer.start()
        for t in readers:
            t.start()
        on_device = (torch.cuda.device(self.net.device) if self.net.device.type == "cuda"
                     else contextlib.nullcontext())
        try:
            with torch.inference_mode(), on_device:
                self._consume()
            if self.blender is not None and self.blender.pending:
                raise InferenceError(f"{len(self.blender.pending)} blocks never completed "
                                     f"(internal error in the tile bookkeeping)")
            while writer.is_alive() and not _put(self.blocks, _WRITER_DONE, self.stop):
                pass
            writer.join()
            if self.writer_error is not None:
                raise self.writer_error
        finally:
            self.stop.set()
            for t in readers:
                t.join()
            writer.join()

    def _consume(self) -> None:
        batch: List[_TileItem] = []
        finished = skipped_since_check = 0
        while finished < self.num_readers:
            item = self._next_item()
            if item is _READER_DONE:
                finished += 1
                continue
            if isinstance(item, _ReaderFailed):
                raise item.error
            if item.slot is None:
                self._skip(item)
                skipped_since_check += 1
                if skipped_since_check >= self.batch_size:
                    skipped_since_check = 0
                    self._checkpoint()
                continue
            batch.append(item)
            if len(batch) >= self.batch_size:
                self._run_batch(batch)
                batch = []
        if batch:
            self._run_batch(batch)
        self._checkpoint()

    def _next_item(self):
        while True:
            if self.writer_error is not None:
                raise self.writer_error
            try:
                return self.tiles.get(timeout=_POLL_S)
            except queue.Empty:
                continue

    def _skip(self, item: _TileItem) -> None:
        self.skipped += 1
        self.done += 1
        if self.blender is not None:
            self.blender.add(item, None)

    def _checkpoint(self) -> None:
        """Per batch: honour cancel, report progress."""
        if self.cancel is not None and self.cancel():
            raise PredictionCancelled("prediction cancelled")
        if self.progress is not None:
            elapsed = max(time.perf_counter() - self._started, 1e-9)
            rate = self.pixels_done / elapsed / 1e6
            self.progress(self.done / self.total if self.total else 1.0,
                          f"{self.done}/{self.total} tiles ({self.skipped} without data), "
                          f"{rate:.2f} Mpx/s")

    def _run_batch(self, batch: List[_TileItem]) -> None:
        if self.cancel is not None and self.cancel():
            raise PredictionCancelled("prediction cancelled")
        start = 0
        while start < len(batch):
            chunk = batch[start:start + self.batch_size]
            try:
                results = self._compute(chunk)
            except torch.cuda.OutOfMemoryError:
                # Safe to retry: _compute changes no state, the results are dispatched below.
                if self.batch_size == 1:
                    raise InferenceError("out of GPU memory with a batch of one tile: use a "
                                         "smaller block or halo, or another GPU") from None
                torch.cuda.empty_cache()
                self.batch_size = max(1, self.batch_size // 2)
                log.warning("CUDA out of memory: batch size halved to %d", self.batch_size)
                continue
            self._dispatch(chunk, results)
            start += len(chunk)
        for item in batch:
            self.slots.put(item.slot)
        self._checkpoint()

    def _to_device(self, chunk: List[_TileItem]) -> torch.Tensor:
        if self.net.device.type == "cpu":
            return torch.stack([item.slot for item in chunk])
        x = torch.empty((len(chunk),) + tuple(chunk[0].slot.shape), dtype=torch.uint8,
                        device=self.net.device)
        for i, item in enumerate(chunk):
            x[i].copy_(item.slot, non_blocking=True)  # from pinned memory: asynchronous
        # A reader may refill these slots once they go back to the pool: wait for the
        # copies (not for the forward queued behind them).
        copied = torch.cuda.Event()
        copied.record(torch.cuda.current_stream(self.net.device))
        self._pending_copies = copied
        return x

    def _compute(self, chunk: List[_TileItem]):
        """Forward one chunk: window-weighted probabilities, or (codes, conf, probs) arrays."""
        logits = self.net.logits(self._to_device(chunk))
        if self._pending_copies is not None:
            self._pending_copies.synchronize()
            self._pending_copies = None
        if self.weighted:
            weighted = torch.softmax(logits, dim=1)
            del logits  # a batch of K×T×T maps is large: keep one alive at a time
            return weighted.mul_(self.blender.window)
        h, b = self.grid.halo, self.grid.block
        return _labels_and_scores(self.net, logits[:, :, h:h + b, h:h + b], False,
                                  self.want_probs, self.want_conf)

    def _dispatch(self, chunk: List[_TileItem], results) -> None:
        if self.weighted:
            for i, item in enumerate(chunk):
                self.blender.add(item, results[i])
        else:
            codes, conf, probs = results
            for i, item in enumerate(chunk):
                w = item.visit.tile.block
                self._emit(_BlockOut(
                    w, codes[i, :w.height, :w.width],
                    None if conf is None else conf[i, :w.height, :w.width],
                    None if probs is None else probs[i, :, :w.height, :w.width],
                    item.block_valid))
        for item in chunk:
            if item.visit.owns_block:  # a margin tile's block is counted by its own strip
                self.pixels_done += item.visit.tile.block.area
        self.done += len(chunk)


# --------------------------------------------------------------------------- entry points

def _default_batch(device: torch.device) -> int:
    return 8 if device.type == "cuda" else 2


def _default_readers(device: torch.device) -> int:
    return 4 if device.type == "cuda" else 2


def _output_targets(output, probabilities, confidence, codes: Sequence[int],
                    class_names: Optional[Sequence[str]]) -> List[OutputTarget]:
    names = list(class_names) if class_names else [flair_class(c).name for c in codes]
    targets = [OutputTarget(os.fspath(output), 1, ("FLAIR class code",), NODATA, True)]
    if probabilities is not None:
        targets.append(OutputTarget(os.fspath(probabilities), len(codes), tuple(names), None))
    if confidence is not None:
        targets.append(OutputTarget(os.fspath(confidence), 1, ("confidence (max probability "
                                                               "x 255)",), 0))
    return targets


def predict_with_module(
        inputs: Union[str, os.PathLike, Sequence], module: torch.nn.Module,
        output: Union[str, os.PathLike], *, means: Sequence[float], stds: Sequence[float],
        logit_codes: Sequence[int], band_names: Optional[Sequence[str]] = None,
        class_names: Optional[Sequence[str]] = None, model_pixel_size: Optional[float] = None,
        bands: Optional[Sequence] = None, extent: Optional[Sequence[float]] = None,
        block: int = DEFAULT_BLOCK, halo: int = DEFAULT_HALO, blend: str = "crop",
        batch_size: Optional[int] = None, device: Union[str, torch.device] = "auto",
        precision: str = "fp32", num_readers: Optional[int] = None,
        probabilities: Optional[Union[str, os.PathLike]] = None,
        confidence: Optional[Union[str, os.PathLike]] = None, input_scale=None,
        resample_to_model: bool = False, pad: str = "reflect",
        progress: Optional[ProgressCallback] = None, cancel: Optional[CancelCallback] = None,
        warn: Optional[WarnCallback] = None, overwrite: bool = False,
        blend_memory_mb: int = DEFAULT_BLEND_MEMORY_MB,
        gdal_cache_mb: int = DEFAULT_GDAL_CACHE_MB) -> PredictionResult:
    """Predict FLAIR codes over rasters with any torch module; the engine's core.

    ``module`` maps normalised float N×C×H×W input to N×K×H×W logits; ``means``/``stds``
    normalise raw 0..255 values, ``(raw - mean) / std``; ``logit_codes`` gives the FLAIR
    code of each logit (0 = inactive). The other parameters are :func:`predict`'s, plus
    two memory caps: ``blend_memory_mb`` for a weighted blend's pending blocks and
    ``gdal_cache_mb`` for GDAL's block cache during the run.
    """
    warnings: List[str] = []

    def _warn(message: str) -> None:
        warnings.append(message)
        (warn or log.warning)(message)

    dev = resolve_device(device)
    batch_size = int(batch_size or _default_batch(dev))
    num_readers = int(num_readers or _default_readers(dev))
    _check_settings(blend, pad, precision, dev, batch_size, num_readers, block, halo)
    if band_names is None:
        band_names = (AERIAL_BANDS[:len(means)] if len(means) <= len(AERIAL_BANDS)
                      else tuple(f"band {i + 1}" for i in range(len(means))))
    _check_model_values(means, stds, logit_codes, band_names)
    plan = plan_sources(inputs, bands, band_names, means=means, input_scale=input_scale,
                        model_pixel_size=model_pixel_size, resample_to_model=resample_to_model,
                        pad_mode=pad, warn=_warn)
    region = PixelWindow(0, 0, plan.grid.width, plan.grid.height)
    if extent is not None:
        crs = plan.grid.crs.to_string() if plan.grid.crs else "the raster's coordinates"
        region = window_from_extent(tuple(plan.grid.transform), plan.grid.width,
                                    plan.grid.height, extent, crs)
    grid = TileGrid(plan.grid.width, plan.grid.height, region, block, halo)
    check_output_paths([output, probabilities, confidence], plan.paths, overwrite)
    net = Network(module, means, stds, logit_codes, dev, precision)
    net.probe(len(plan.sources))
    codes = tuple(int(c) for c in logit_codes if c != NODATA)
    if class_names is not None and len(class_names) != len(codes):
        class_names = None
    out_grid = Grid(plan.grid.crs, plan.grid.window_transform(region), region.width,
                    region.height)
    targets = _output_targets(output, probabilities, confidence, codes, class_names)

    started = time.perf_counter()
    outputs = OutputSet(out_grid, targets, grid.block)
    pipeline = None
    try:
        pipeline = _Pipeline(plan, grid, net, outputs, blend=blend, batch_size=batch_size,
                             num_readers=num_readers, want_probs=probabilities is not None,
                             want_conf=confidence is not None, progress=progress,
                             cancel=cancel, blend_memory_mb=blend_memory_mb)
        with bounded_gdal_cache(gdal_cache_mb):
            pipeline.run()
            outputs.commit()
    except BaseException:
        outputs.abort()
        raise
    elapsed = time.perf_counter() - started
    return PredictionResult(
        output=Path(output), probabilities=Path(probabilities) if probabilities else None,
        confidence=Path(confidence) if confidence else None, width=region.width,
        height=region.height, codes=codes, tiles_total=pipeline.total,
        tiles_done=pipeline.done - pipeline.skipped, tiles_skipped=pipeline.skipped,
        elapsed_s=elapsed, megapixels_per_s=region.area / elapsed / 1e6 if elapsed else 0.0,
        device=str(dev), batch_size=pipeline.batch_size, precision=precision, blend=blend,
        block=grid.block, halo=grid.halo, warnings=warnings)


def predict(inputs: Union[str, os.PathLike, Sequence], model, output: Union[str, os.PathLike],
            *, bands: Optional[Sequence] = None, extent: Optional[Sequence[float]] = None,
            block: int = DEFAULT_BLOCK, halo: int = DEFAULT_HALO, blend: str = "crop",
            batch_size: Optional[int] = None, device: Union[str, torch.device] = "auto",
            precision: str = "fp32", num_readers: Optional[int] = None,
            probabilities: Optional[Union[str, os.PathLike]] = None,
            confidence: Optional[Union[str, os.PathLike]] = None, input_scale=None,
            resample_to_model: bool = False, pad: str = "reflect",
            progress: Optional[ProgressCallback] = None,
            cancel: Optional[CancelCallback] = None, warn: Optional[WarnCallback] = None,
            overwrite: bool = False) -> PredictionResult:
    """Predict a FLAIR land-cover raster from imagery with a checkpoint.

    ``inputs``: a raster, several rasters (resampled onto the first one's grid when they
    are not on it), or one ``(path, band)`` per model band.
    ``bands``: which band feeds each model band (``3`` or ``"2:1"`` = band 1 of input 2).
    ``model``: a checkpoint path or a loaded model (``.module`` + ``.meta``).
    ``extent``: (xmin, ymin, xmax, ymax) in the raster's CRS, snapped outward to pixels.
    ``block``/``halo``: output block and context margin in pixels (multiples of 32).
    ``blend``: ``crop``, ``hann`` or ``gaussian``. ``precision``: ``fp32``, ``fp16``
    (CUDA), ``bf16``. ``probabilities``/``confidence``: optional extra uint8 rasters.
    ``input_scale``: ``"min,max"`` stretch for non-8-bit imagery. ``resample_to_model``:
    read at the model's pixel size (bilinear) and write the output on that grid.
    ``progress(fraction, message)`` and ``cancel() -> bool`` are called per batch; a
    cancel raises :class:`PredictionCancelled` and leaves no file behind. Bad inputs raise
    :class:`InputError` before any tile is read.
    """
    loaded = load_model_for_inference(model)
    meta = loaded.meta
    result = predict_with_module(
        inputs, loaded.module, output, means=meta.means, stds=meta.stds,
        logit_codes=meta.logit_codes, band_names=meta.bands,
        class_names=getattr(meta, "class_names", None), model_pixel_size=meta.pixel_size,
        bands=bands, extent=extent, block=block, halo=halo, blend=blend,
        batch_size=batch_size, device=device, precision=precision, num_readers=num_readers,
        probabilities=probabilities, confidence=confidence, input_scale=input_scale,
        resample_to_model=resample_to_model, pad=pad, progress=progress, cancel=cancel,
        warn=warn, overwrite=overwrite)
    _write_style(result, meta.active_codes, warn or log.warning)
    return result


def _write_style(result: PredictionResult, codes: Sequence[int], warn) -> None:
    """The ``.qml`` sidecar QGIS applies when it opens the output: FLAIR colours and the
    names of the classes this model can predict. A user's own ``.qml`` is kept."""
    from ...styling.qml import StyleExistsError, write_sidecar

    try:
        write_sidecar(result.output, "flair19", codes=codes)
    except StyleExistsError as error:
        warn(str(error))
    except OSError as error:  # the raster is written; an unstyled raster is still usable
        warn(f"could not write the style file beside {result.output}: {error}")


def load_model_for_inference(model):
    """A loaded model as it is, or the checkpoint at ``model`` loaded (checked to exist)."""
    if hasattr(model, "module") and hasattr(model, "meta"):
        return model
    from ..checkpoints.store import load_model

    path = os.fspath(model)
    if not os.path.exists(path):
        raise InputError(f"model file {path} does not exist")
    return load_model(path)

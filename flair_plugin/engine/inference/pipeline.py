"""The one streaming pipeline: raster → tiles of named modalities → model → blend → writer.

```
reader threads ──► bounded queue of tile samples ──► device loop: normalise, forward
(one handle per file    (aerial uint8 slots, pinned    (autocast, channels_last),
 per thread, windowed    on CUDA; the other             softmax, crop or blend
 reads, pad in memory)   modalities' values)               │
                            writer thread ◄── bounded queue of finished output blocks
                            (tiled, compressed GeoTIFF, temp file + atomic rename)
```

Every model runs through it: the FLAIR U-Net takes the aerial tile alone, the U-T&T also
takes each tile's Sentinel-2 series (:mod:`.modalities`), so reader threads, blends,
probability and confidence outputs, nodata skipping, CUDA out-of-memory back-off, progress
and cancel are the same for all.

* Memory is bounded by the number of tile slots (≈ 2 batches + one per reader), the
  writer's queue and, for weighted blends, the blocks still waiting for a neighbouring
  tile; never by the raster's size (weighted blends sweep vertical strips whose width
  follows a memory budget, see :func:`~..tiling.weighted_strip_cols`).
* ``crop``: each output pixel comes from exactly one tile (its block's), as FLAIR-1's
  zone detection does. ``hann``/``gaussian``: see :mod:`.blending`. With ``halo=0``
  every mode is plain tiling.
* Class values are FLAIR codes, 0 = no data; inactive logits (code 0) are never
  predicted.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import torch

from ...nomenclature import NODATA
from ..errors import InferenceError, PredictionCancelled
from ..io.outputs import OutputSet
from ..io.sources import SourcePlan, StackReader, pad_tile
from ..tiling import TileGrid, weighted_strip_cols
from .blending import BlockOut, TileSample, Visit, WeightedBlender
from .modalities import Modality
from .network import Network, labels_and_scores

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float, str], None]
CancelCallback = Callable[[], bool]

_POLL_S = 0.1  # how often blocked queue operations look at the stop flag


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


class Pipeline:
    """Readers, device loop and writer of one run. Build, then :meth:`run` once."""

    def __init__(self, plan: SourcePlan, grid: TileGrid, net: Network, outputs: OutputSet,
                 *, blend: str, batch_size: int, num_readers: int, want_probs: bool,
                 want_conf: bool, progress: Optional[ProgressCallback],
                 cancel: Optional[CancelCallback], blend_memory_mb: int,
                 modalities: Sequence[Modality] = ()) -> None:
        self.plan, self.grid, self.net, self.outputs = plan, grid, net, outputs
        self.modalities = list(modalities)
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
        self.pixels_written = 0  # output pixels with data (the writer's count)
        self.blender = (WeightedBlender(grid, net, blend, net.in_dtype, self._emit, want_probs,
                                         want_conf) if self.weighted else None)
        self._pending_copies = None
        self._started = time.perf_counter()

    def _make_visits(self, strip_cols, margin) -> Iterator[Tuple[int, Visit]]:
        for seq, (_, strip, row, col) in enumerate(self.grid.order(strip_cols, margin)):
            yield seq, Visit(strip, self.grid.tile(row, col))

    # ---------------------------------------------------------------- readers
    def _reader_main(self) -> None:
        reader, others = None, []
        try:
            reader = StackReader(self.plan)
            for modality in self.modalities:
                others.append((modality.name, modality.open_reader()))
            while not self.stop.is_set():
                # The slot first, then the visit: a claimed visit never waits for a slot,
                # so the device loop, which takes samples in visit order, cannot starve.
                slot = self._take_slot()
                if slot is None:
                    break
                with self._visit_lock:
                    claimed = next(self._visits, None)
                if claimed is None:
                    self.slots.put(slot)
                    break
                item = self._read(reader, others, *claimed, slot)
                if not _put(self.tiles, item, self.stop):
                    break
        except BaseException as exc:  # handed to the device loop, which raises it
            _put(self.tiles, _ReaderFailed(exc), self.stop)
        finally:
            if reader is not None:
                reader.close()
            for _, other in others:
                other.close()
            _put(self.tiles, _READER_DONE, self.stop)

    def _read(self, reader: StackReader, others, seq: int, visit: Visit,
              slot: torch.Tensor) -> TileSample:
        tile = visit.tile
        data, valid = reader.read(tile.read)
        block_valid = None
        if valid is not None:
            top, left = tile.pad[0], tile.pad[2]
            needed = tile.region_part if self.weighted else tile.block_part
            rows = slice(needed.row_off - top, needed.row_end - top)
            cols = slice(needed.col_off - left, needed.col_end - left)
            if not valid[rows, cols].any():
                return TileSample(seq, visit, slot, True, None)
            b = tile.block_part
            block_valid = valid[b.row_off - top:b.row_end - top,
                                b.col_off - left:b.col_end - left].copy()
            if block_valid.all():
                block_valid = None
        slot.numpy()[...] = pad_tile(data, tile.pad, self.plan.pad_mode)
        return TileSample(seq, visit, slot, False, block_valid,
                          {name: other.read(tile) for name, other in others})

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

    def _write(self, block: BlockOut) -> None:
        self.pixels_written += (block.window.area if block.valid is None
                                else int(block.valid.sum()))
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

    def _emit(self, block: BlockOut) -> None:
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
        batch: List[TileSample] = []
        skipped_since_check = 0
        for item in self._in_visit_order():
            if item.skipped:
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

    def _in_visit_order(self) -> Iterator[TileSample]:
        """The readers' samples, in visit order whatever thread read them first.

        Batches are then the same in every run: a model whose output moves by an ulp with
        its batch-mates (the U-T&T pads time to the batch's longest series) gives the
        same map twice. Out-of-order samples wait here holding their slot, so at most
        the slot count of them do.
        """
        arrived: Dict[int, TileSample] = {}
        wanted = finished = 0
        while finished < self.num_readers:
            item = self._next_item()
            if item is _READER_DONE:
                finished += 1
                continue
            if isinstance(item, _ReaderFailed):
                raise item.error
            arrived[item.seq] = item
            while wanted in arrived:
                yield arrived.pop(wanted)
                wanted += 1
        if arrived:
            raise InferenceError(f"{len(arrived)} tiles were read out of sequence (internal "
                                 f"error in the tile bookkeeping)")

    def _next_item(self):
        while True:
            if self.writer_error is not None:
                raise self.writer_error
            try:
                return self.tiles.get(timeout=_POLL_S)
            except queue.Empty:
                continue

    def _skip(self, item: TileSample) -> None:
        self.slots.put(item.aerial)
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

    def _run_batch(self, batch: List[TileSample]) -> None:
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
            self.slots.put(item.aerial)
        self._checkpoint()

    def _to_device(self, chunk: List[TileSample]) -> torch.Tensor:
        if self.net.device.type == "cpu":
            return torch.stack([item.aerial for item in chunk])
        x = torch.empty((len(chunk),) + tuple(chunk[0].aerial.shape), dtype=torch.uint8,
                        device=self.net.device)
        for i, item in enumerate(chunk):
            x[i].copy_(item.aerial, non_blocking=True)  # from pinned memory: asynchronous
        # A reader may refill these slots once they go back to the pool: wait for the
        # copies (not for the forward queued behind them).
        copied = torch.cuda.Event()
        copied.record(torch.cuda.current_stream(self.net.device))
        self._pending_copies = copied
        return x

    def _named_inputs(self, chunk: List[TileSample]) -> Dict[str, torch.Tensor]:
        """The other modalities' model inputs for a chunk, by argument name."""
        named: Dict[str, torch.Tensor] = {}
        for modality in self.modalities:
            named.update(modality.model_inputs(
                [item.modalities[modality.name] for item in chunk], self.net.device,
                self.net.param_dtype))
        return named

    def _compute(self, chunk: List[TileSample]):
        """Forward one chunk: window-weighted probabilities, or (codes, conf, probs) arrays."""
        logits = self.net.logits(self._to_device(chunk), **self._named_inputs(chunk))
        if self._pending_copies is not None:
            self._pending_copies.synchronize()
            self._pending_copies = None
        if self.weighted:
            weighted = torch.softmax(logits, dim=1)
            del logits  # a batch of K×T×T maps is large: keep one alive at a time
            return weighted.mul_(self.blender.window)
        h, b = self.grid.halo, self.grid.block
        return labels_and_scores(self.net, logits[:, :, h:h + b, h:h + b], False,
                                  self.want_probs, self.want_conf)

    def _dispatch(self, chunk: List[TileSample], results) -> None:
        if self.weighted:
            for i, item in enumerate(chunk):
                self.blender.add(item, results[i])
        else:
            codes, conf, probs = results
            for i, item in enumerate(chunk):
                tile = item.visit.tile
                w, h = tile.block, self.grid.halo
                # Where the block sits in the tile's centre: at its corner, unless the
                # region cuts the block (a piece of a larger layout, see TileGrid).
                rows = slice(tile.block_part.row_off - h, tile.block_part.row_end - h)
                cols = slice(tile.block_part.col_off - h, tile.block_part.col_end - h)
                self._emit(BlockOut(
                    w, codes[i, rows, cols],
                    None if conf is None else conf[i, rows, cols],
                    None if probs is None else probs[i, :, rows, cols],
                    item.block_valid))
        for item in chunk:
            if item.visit.owns_block:  # a margin tile's block is counted by its own strip
                self.pixels_done += item.visit.tile.block.area
        self.done += len(chunk)

"""Geometry of the sliding-window inference: output blocks, halo tiles, windows, extents.

The output raster is cut into square *blocks* of ``block`` pixels (the last row and
column may be smaller). Each block is predicted from one *tile* = the block grown by
``halo`` pixels on every side, so every output pixel sees at least ``halo`` pixels of
context in every direction (the U-Net's predictions are poor near a tile's border).
Tiles all have the same size, ``block + 2 * halo``, so they batch; where a tile runs out
of the raster, the reader pads it in memory.

Defaults: block 512, halo 128, tile 768. The official FLAIR-1 zone detection uses tiles of
512 with a margin of 128 (block 256 = stride): every pixel computed (512/256)² = 4 times.
Keeping the same 128 px of context but a 512 block computes each pixel (768/512)² = 2.25
times, and 768² tiles still fit a GPU batch comfortably. Block and halo are multiples of
32, the stride of a depth-5 encoder, so every tile is a valid U-Net input.

Pure Python + numpy (no rasterio, no torch): the tiling can be tested and reasoned about
on its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence, Tuple

import numpy as np

from .errors import InputError
from .geo import PixelWindow

STRIDE = 32
"""Every tile dimension must be a multiple of this (the encoder's output stride)."""

from .options import BLEND_MODES, DEFAULT_BLOCK, DEFAULT_HALO, PAD_MODES  # noqa: E402,F401


@dataclass(frozen=True)
class Tile:
    """One unit of work: the tile to read and predict, and the block it produces.

    ``block`` is in output (region) coordinates; ``window`` and ``read`` are in the
    coordinates of the raster being read; ``region_part`` (the tile's part inside the
    layout, i.e. the whole run's region) and ``block_part`` (the pixels it writes) are in
    the tile's own coordinates (0..tile_size). A tile of the layout beyond the region (a
    weighted blend's neighbour) writes nothing: its ``block`` and ``block_part`` are empty.
    """

    row: int
    col: int
    block: PixelWindow
    window: PixelWindow
    read: PixelWindow
    pad: Tuple[int, int, int, int]  # top, bottom, left, right: pixels outside the raster
    region_part: PixelWindow
    block_part: PixelWindow


def validate_tiling(block: int, halo: int) -> None:
    """Refuse block/halo sizes the network or the grid cannot use."""
    if not isinstance(block, (int, np.integer)) or isinstance(block, bool) or block <= 0 \
            or block % STRIDE:
        raise InputError(f"block must be a positive multiple of {STRIDE} (the U-Net's "
                         f"stride), got {block!r}; try {DEFAULT_BLOCK}")
    if not isinstance(halo, (int, np.integer)) or isinstance(halo, bool) or halo < 0 \
            or halo % STRIDE:
        raise InputError(f"halo must be 0 or a positive multiple of {STRIDE}, got {halo!r}; "
                         f"try {DEFAULT_HALO}")


def round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


class TileGrid:
    """The blocks of an output region and the halo tile of each block.

    ``raster_width``/``raster_height`` are the size of the raster that is read (tiles are
    clipped to it and padded); ``region`` is the part of it that is predicted (the whole
    raster, or an extent's window). Tiles may read context outside the region but inside
    the raster: an extent's border pixels get real context, not padding.

    A region smaller than one block shrinks the block to the region (rounded up to the
    stride), so a small raster is not padded to a 768 px tile for nothing.

    ``layout`` (default: the region) is the region of a larger run that this one is a
    piece of: blocks and tiles are laid out as that run lays them out, and the tiles of
    its blocks beyond the region that reach into the region are visited too (weighted
    blends), so the piece equals the same window of the larger run bit for bit. A
    catalogue of tiles is predicted that way, one output tile at a time. Blocks are then
    numbered from the first layout block that meets the region; the layout's blocks
    beyond the region have negative numbers or numbers from ``rows``/``cols`` on.
    """

    def __init__(self, raster_width: int, raster_height: int, region: PixelWindow,
                 block: int = DEFAULT_BLOCK, halo: int = DEFAULT_HALO,
                 layout: Optional[PixelWindow] = None, shrink: bool = True) -> None:
        validate_tiling(block, halo)
        self.raster = PixelWindow(0, 0, int(raster_width), int(raster_height))
        if region.area <= 0 or self.raster.intersection(region) != region:
            raise InputError(f"region {region} is empty or not inside the raster "
                             f"({raster_width}x{raster_height})")
        layout = region if layout is None else layout
        if layout.intersection(region) != region or self.raster.intersection(layout) != layout:
            raise InputError(f"region {region} is not inside the layout {layout}, or the "
                             f"layout is not inside the raster ({raster_width}x"
                             f"{raster_height})")
        self.region, self.layout = region, layout
        # The layout decides the block size, so every piece of a run tiles alike.
        # (not for a network that takes one tile size only: ``shrink=False``)
        self.block = int(min(block, round_up(max(layout.width, layout.height), STRIDE))
                         if shrink else block)
        self.halo = int(halo)
        self.tile_size = self.block + 2 * self.halo
        first_row = (region.row_off - layout.row_off) // self.block
        first_col = (region.col_off - layout.col_off) // self.block
        # Raster coordinates of block (0, 0)'s corner: a layout block, maybe cut by the region.
        self._corner = (layout.col_off + first_col * self.block,
                        layout.row_off + first_row * self.block)
        self.rows = -(-(region.row_end - self._corner[1]) // self.block)
        self.cols = -(-(region.col_end - self._corner[0]) // self.block)
        # The tile numbers the layout has, in this grid's numbering.
        self.tile_rows = (-first_row, -(-layout.height // self.block) - first_row)
        self.tile_cols = (-first_col, -(-layout.width // self.block) - first_col)

    @property
    def reach(self) -> int:
        """How many blocks away a tile still touches (1 while halo <= block)."""
        return -(-self.halo // self.block)

    def layout_block(self, row: int, col: int) -> PixelWindow:
        """Block (row, col) of the layout in raster coordinates (clipped to the layout)."""
        c0 = self._corner[0] + col * self.block
        r0 = self._corner[1] + row * self.block
        return PixelWindow(c0, r0, min(self.block, self.layout.col_end - c0),
                           min(self.block, self.layout.row_end - r0))

    def block_window(self, row: int, col: int) -> PixelWindow:
        """Block (row, col) in output coordinates, clipped to the region (empty for a
        layout block beyond the region)."""
        part = self.layout_block(row, col).intersection(self.region)
        return PixelWindow(0, 0, 0, 0) if part is None else part.relative_to(self.region)

    def tile(self, row: int, col: int) -> Tile:
        block = self.layout_block(row, col)
        h = self.halo
        window = PixelWindow(block.col_off - h, block.row_off - h, self.tile_size,
                             self.tile_size)
        read = window.intersection(self.raster)
        assert read is not None  # the block itself lies inside the raster
        pad = (read.row_off - window.row_off, window.row_end - read.row_end,
               read.col_off - window.col_off, window.col_end - read.col_end)
        region_part = window.intersection(self.layout)
        assert region_part is not None
        written = block.intersection(self.region)
        block_part = (PixelWindow(h, h, 0, 0) if written is None
                      else written.relative_to(window))
        return Tile(row, col, self.block_window(row, col), window, read, pad,
                    region_part.relative_to(window), block_part)

    # ------------------------------------------------------------------ traversal
    def strips(self, strip_cols: Optional[int] = None) -> Sequence[Tuple[int, int]]:
        """(first, end) block columns of each vertical strip of output blocks."""
        width = self.cols if not strip_cols else max(1, min(int(strip_cols), self.cols))
        return [(c, min(c + width, self.cols)) for c in range(0, self.cols, width)]

    def strip_tile_cols(self, strip: Tuple[int, int], margin: int) -> range:
        """Tile columns a strip visits: its own, plus ``margin`` on each side (within the
        layout)."""
        return range(max(self.tile_cols[0], strip[0] - margin),
                     min(self.tile_cols[1], strip[1] + margin))

    def tile_rows_visited(self, margin: int) -> range:
        """Tile rows every strip visits: the region's, plus ``margin`` above and below
        within the layout (none when the layout is the region)."""
        return range(max(self.tile_rows[0], -margin), min(self.tile_rows[1], self.rows + margin))

    def order(self, strip_cols: Optional[int] = None,
              margin: int = 0) -> Iterator[Tuple[int, Tuple[int, int], int, int]]:
        """(strip number, strip, row, col) of every tile visit, in processing order.

        Strips are swept top to bottom, row by row. A weighted blend visits ``margin``
        extra tile columns on each side of a strip (computed again by the neighbouring
        strip) so each strip finishes its blocks without waiting for the next: memory
        then grows with the strip's width, never with the raster's.
        """
        rows = self.tile_rows_visited(margin)
        for number, strip in enumerate(self.strips(strip_cols)):
            cols = self.strip_tile_cols(strip, margin)
            for row in rows:
                for col in cols:
                    yield number, strip, row, col

    def visit_count(self, strip_cols: Optional[int] = None, margin: int = 0) -> int:
        rows = len(self.tile_rows_visited(margin))
        return rows * sum(len(self.strip_tile_cols(s, margin)) for s in self.strips(strip_cols))

    def touching(self, row: int, col: int) -> int:
        """How many tiles of the layout overlap block (row, col)."""
        r = self.reach
        rows = min(self.tile_rows[1] - 1, row + r) - max(self.tile_rows[0], row - r) + 1
        cols = min(self.tile_cols[1] - 1, col + r) - max(self.tile_cols[0], col - r) + 1
        return rows * cols

    def blocks_touched(self, row: int, col: int) -> Iterator[Tuple[int, int]]:
        """Blocks overlapped by tile (row, col) (its own block among them)."""
        r = self.reach
        for br in range(max(0, row - r), min(self.rows, row + r + 1)):
            for bc in range(max(0, col - r), min(self.cols, col + r + 1)):
                yield br, bc

    def tile_part_over_block(self, tile: Tile, row: int, col: int
                             ) -> Optional[Tuple[PixelWindow, PixelWindow]]:
        """Where tile and block (row, col) overlap: (part in tile coords, part in block coords)."""
        block = self.block_window(row, col)
        block_in_raster = PixelWindow(self.region.col_off + block.col_off,
                                      self.region.row_off + block.row_off,
                                      block.width, block.height)
        common = tile.window.intersection(block_in_raster)
        if common is None:
            return None
        return common.relative_to(tile.window), common.relative_to(block_in_raster)


# --------------------------------------------------------------------------- blending

def blend_window(kind: str, size: int) -> np.ndarray:
    """2-D weights (size × size, float64, all > 0) for blending overlapping tiles.

    ``hann``: sin²(π (i + ½) / size), the Hann window sampled between its zeros, so the
    outermost pixels keep a small weight (a pixel at the raster's edge is seen by one
    tile only: a zero weight there would leave it undefined).
    ``gaussian``: exp(-d² / 2σ²) with σ = size / 8, as nnU-Net does.
    """
    i = np.arange(size, dtype=np.float64)
    if kind == "hann":
        w = np.sin(np.pi * (i + 0.5) / size) ** 2
    elif kind == "gaussian":
        sigma = size / 8.0
        w = np.exp(-((i - (size - 1) / 2.0) ** 2) / (2.0 * sigma ** 2))
    else:
        raise InputError(f"no blend window {kind!r}; choose hann or gaussian")
    return np.outer(w, w)


def weighted_strip_cols(grid: TileGrid, num_classes: int, itemsize: int,
                        budget_bytes: int) -> int:
    """Strip width (in blocks) keeping a weighted blend's accumulators under a budget.

    A block waits for every tile that touches it, i.e. up to ``reach`` block rows below
    it: while a strip is swept, about (2·reach + 1) block rows of it are pending, each
    block holding (classes + 1) accumulators of block² values.
    """
    per_block = (num_classes + 1) * grid.block * grid.block * itemsize
    rows_pending = 2 * grid.reach + 1
    return max(2, min(grid.cols, budget_bytes // (per_block * rows_pending)))


# --------------------------------------------------------------------------- memory bounds

FORWARD_BYTES_PER_PIXEL = 640
"""Peak memory of one U-Net forward pass per input pixel, fp32: measured 585-640 B/px for
the resnet34 U-Net on CPU at 512 to 1024 px tiles (activations, softmax, argmax)."""

MEMORY_SHARE = 0.8
"""Share of the available memory a run may plan for (the rest: GDAL cache, the model)."""


def inference_memory_bytes(tile_size: int, block: int, bands: int, batch_size: int,
                           num_readers: int, num_classes: int) -> Tuple[int, int]:
    """(host bytes, forward-pass bytes) a streaming run holds at most, blends aside.

    Host: the tile slots (2 batches + one per reader, uint8) and the writer's queue of
    finished blocks (codes, confidence and probabilities); forward: a batch of tiles
    through the network (on the GPU for a CUDA run, in RAM otherwise).
    """
    slots = (2 * batch_size + num_readers) * bands * tile_size ** 2
    blocks = (2 * batch_size + 4) * block ** 2 * (num_classes + 2)
    return slots + blocks, batch_size * tile_size ** 2 * FORWARD_BYTES_PER_PIXEL


def available_memory_bytes() -> Optional[int]:
    """RAM the system can give without swapping (Linux ``MemAvailable``, else free pages);
    None when it cannot be told."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            found = [int(line.split()[1]) * 1024 for line in f
                     if line.startswith("MemAvailable:")]
    except (OSError, ValueError, IndexError):
        found = []
    if found:
        return found[0]
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def fit_batch_to_memory(block: int, halo: int, bands: int, batch_size: Optional[int],
                        num_readers: int, num_classes: int, host_bytes: Optional[int],
                        device_bytes: Optional[int] = None, default_batch: int = 1) -> int:
    """The batch size a run can afford, or a clear refusal naming the limit.

    A tile of ``block + 2 * halo`` pixels costs memory as its square: ``--halo 8192``
    asks for 285 million-pixel tiles, about 180 GB each through a U-Net. An automatic
    batch (``batch_size`` None) shrinks to what fits; a batch the user chose, or one
    tile, that does not fit is refused before any work, with the largest halo that fits.

    Args:
        block, halo: the tiling (validated).
        bands, num_classes: model inputs and outputs.
        batch_size: the user's batch, or None for ``default_batch`` shrunk to fit.
        num_readers: reader threads (each holds a tile).
        host_bytes: RAM available (None: unknown, nothing is refused).
        device_bytes: GPU memory for the forward pass of a CUDA run (None: it runs in RAM).
        default_batch: the automatic batch before shrinking.

    Raises:
        InputError: the tiles do not fit even one at a time, or the chosen batch does not.
    """
    tile = block + 2 * halo

    def fits(batch: int, halo: int = halo) -> bool:
        return _fits(block, halo, bands, batch, num_readers, num_classes, host_bytes,
                     device_bytes)

    batch = int(batch_size or default_batch)
    if fits(batch):
        return batch
    if batch_size is None:
        while batch > 1 and not fits(batch):
            batch //= 2
        if fits(batch):
            return batch
    where = "GPU memory" if device_bytes is not None else "RAM"
    limit = device_bytes if device_bytes is not None else host_bytes
    host, forward = inference_memory_bytes(tile, block, bands, batch, num_readers, num_classes)
    need = forward if device_bytes is not None else host + forward
    largest = next((h for h in range(halo - STRIDE, -1, -STRIDE) if fits(batch, h)), None)
    advice = (f"use a halo of at most {largest}" if largest is not None
              else "use a smaller block")
    raise InputError(f"tiles of {tile} px (block {block} + 2 x halo {halo}) in batches of "
                     f"{batch} need about {need / 2 ** 30:.1f} GB, more than the "
                     f"{MEMORY_SHARE * limit / 2 ** 30:.1f} GB of {where} a run may use "
                     f"({MEMORY_SHARE:.0%} of {limit / 2 ** 30:.1f} GB available): {advice}"
                     + ("" if batch == 1 else " or a smaller batch"))


def _fits(block: int, halo: int, bands: int, batch: int, num_readers: int,
          num_classes: int, host_bytes: Optional[int], device_bytes: Optional[int]) -> bool:
    host, forward = inference_memory_bytes(block + 2 * halo, block, bands, batch,
                                           num_readers, num_classes)
    if device_bytes is None:
        return host_bytes is None or host + forward <= MEMORY_SHARE * host_bytes
    return ((host_bytes is None or host <= MEMORY_SHARE * host_bytes)
            and forward <= MEMORY_SHARE * device_bytes)

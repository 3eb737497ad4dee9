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
    coordinates of the raster being read; ``region_part`` and ``block_part`` are in the
    tile's own coordinates (0..tile_size).
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
    """

    def __init__(self, raster_width: int, raster_height: int, region: PixelWindow,
                 block: int = DEFAULT_BLOCK, halo: int = DEFAULT_HALO) -> None:
        validate_tiling(block, halo)
        self.raster = PixelWindow(0, 0, int(raster_width), int(raster_height))
        if region.area <= 0 or self.raster.intersection(region) != region:
            raise InputError(f"region {region} is empty or not inside the raster "
                             f"({raster_width}x{raster_height})")
        self.region = region
        self.block = int(min(block, round_up(max(region.width, region.height), STRIDE)))
        self.halo = int(halo)
        self.tile_size = self.block + 2 * self.halo
        self.rows = -(-region.height // self.block)
        self.cols = -(-region.width // self.block)

    @property
    def reach(self) -> int:
        """How many blocks away a tile still touches (1 while halo <= block)."""
        return -(-self.halo // self.block)

    def block_window(self, row: int, col: int) -> PixelWindow:
        """Block (row, col) in output coordinates (clipped to the region)."""
        c0, r0 = col * self.block, row * self.block
        return PixelWindow(c0, r0, min(self.block, self.region.width - c0),
                           min(self.block, self.region.height - r0))

    def tile(self, row: int, col: int) -> Tile:
        block = self.block_window(row, col)
        h = self.halo
        window = PixelWindow(self.region.col_off + block.col_off - h,
                             self.region.row_off + block.row_off - h,
                             self.tile_size, self.tile_size)
        read = window.intersection(self.raster)
        assert read is not None  # the block itself lies inside the raster
        pad = (read.row_off - window.row_off, window.row_end - read.row_end,
               read.col_off - window.col_off, window.col_end - read.col_end)
        region_part = window.intersection(self.region)
        assert region_part is not None
        return Tile(row, col, block, window, read, pad, region_part.relative_to(window),
                    PixelWindow(h, h, block.width, block.height))

    # ------------------------------------------------------------------ traversal
    def strips(self, strip_cols: Optional[int] = None) -> Sequence[Tuple[int, int]]:
        """(first, end) block columns of each vertical strip of output blocks."""
        width = self.cols if not strip_cols else max(1, min(int(strip_cols), self.cols))
        return [(c, min(c + width, self.cols)) for c in range(0, self.cols, width)]

    def strip_tile_cols(self, strip: Tuple[int, int], margin: int) -> range:
        """Tile columns a strip visits: its own, plus ``margin`` on each side."""
        return range(max(0, strip[0] - margin), min(self.cols, strip[1] + margin))

    def order(self, strip_cols: Optional[int] = None,
              margin: int = 0) -> Iterator[Tuple[int, Tuple[int, int], int, int]]:
        """(strip number, strip, row, col) of every tile visit, in processing order.

        Strips are swept top to bottom, row by row. A weighted blend visits ``margin``
        extra tile columns on each side of a strip (computed again by the neighbouring
        strip) so each strip finishes its blocks without waiting for the next: memory
        then grows with the strip's width, never with the raster's.
        """
        strips = self.strips(strip_cols)
        margin = margin if len(strips) > 1 else 0
        for number, strip in enumerate(strips):
            cols = self.strip_tile_cols(strip, margin)
            for row in range(self.rows):
                for col in cols:
                    yield number, strip, row, col

    def visit_count(self, strip_cols: Optional[int] = None, margin: int = 0) -> int:
        strips = self.strips(strip_cols)
        m = margin if len(strips) > 1 else 0
        return self.rows * sum(len(self.strip_tile_cols(s, m)) for s in strips)

    def touching(self, row: int, col: int) -> int:
        """How many tiles of the grid overlap block (row, col)."""
        r = self.reach
        rows = min(self.rows - 1, row + r) - max(0, row - r) + 1
        cols = min(self.cols - 1, col + r) - max(0, col - r) + 1
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

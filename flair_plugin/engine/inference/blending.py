"""Weighted blending of overlapping tiles, finalised block by block.

``hann``/``gaussian``: the softmax probabilities of the tiles that overlap a block are
weighted by a window that fades towards the tile's border, summed and normalised; a block
is finalised as soon as every tile touching it is done, so memory holds only the blocks
still waiting for a neighbour (see :func:`~..tiling.weighted_strip_cols`). Labels are
never blended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np
import torch

from ..geo import PixelWindow
from ..tiling import Tile, TileGrid, blend_window
from .network import Network, labels_and_scores


@dataclass(frozen=True)
class Visit:
    """One tile to process, with the strip of output blocks it works for."""

    strip: Tuple[int, int]  # first and end block columns
    tile: Tile

    @property
    def owns_block(self) -> bool:
        return self.strip[0] <= self.tile.col < self.strip[1]


@dataclass
class TileSample:
    """One tile as the readers hand it over: the aerial stack and the other modalities."""

    seq: int  # the visit's rank: the device loop takes samples in this order
    visit: Visit
    aerial: torch.Tensor  # a slot of uint8 C×T×T, held until the sample is consumed
    skipped: bool  # no valid pixel where the tile writes: not run through the model
    block_valid: Optional[np.ndarray]  # None: every pixel of its block is valid
    modalities: Dict[str, Any] = field(default_factory=dict)  # name -> value for the tile


@dataclass
class BlockOut:
    """A finished output block, for the writer."""

    window: PixelWindow
    codes: np.ndarray
    conf: Optional[np.ndarray]
    probs: Optional[np.ndarray]
    valid: Optional[np.ndarray]


class _Pending:
    """Accumulators of one block of a weighted blend, until all its tiles are done."""

    __slots__ = ("remaining", "sum", "weight", "own_valid", "own_skipped")

    def __init__(self, remaining: int) -> None:
        self.remaining = remaining
        self.sum = self.weight = None
        self.own_valid = None
        self.own_skipped = False


class WeightedBlender:
    def __init__(self, grid: TileGrid, net: Network, kind: str, dtype: torch.dtype,
                 emit: Callable[[BlockOut], None], want_probs: bool, want_conf: bool) -> None:
        self.grid, self.net, self.emit = grid, net, emit
        self.want_probs, self.want_conf = want_probs, want_conf
        self.window = torch.as_tensor(blend_window(kind, grid.tile_size), dtype=dtype,
                                      device=net.device)
        self.pending: Dict[Tuple[int, int], _Pending] = {}
        self.peak_pending = 0

    def add(self, item: TileSample, weighted: Optional[torch.Tensor]) -> None:
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
        codes, conf, probs = labels_and_scores(self.net, p, True, self.want_probs,
                                                self.want_conf)
        self.emit(BlockOut(self.grid.block_window(*key), codes[0],
                            None if conf is None else conf[0],
                            None if probs is None else probs[0], acc.own_valid))

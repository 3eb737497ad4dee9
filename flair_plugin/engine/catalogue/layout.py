"""The output tiles of a catalogue, and their share among SLURM array tasks.

Output tiles follow the input tiles by default (one 5 km land-cover tile per BD ORTHO
tile, with the same bounds); ``tile_size`` asks for a regular grid instead, anchored at
the mosaic's corner (the only choice when one mosaic is given). Either way each output
tile is predicted as a window of one run over the whole mosaic
(:func:`~..inference.predict.predict` with ``layout_extent``), so how the output is cut
never changes a pixel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from ..errors import InputError
from ..geo import Bounds, PixelWindow, window_bounds
from ..tiling import STRIDE
from .sources import Catalogue

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class OutputTile:
    """One unit of work: an output tile's name, its window in the mosaic, its bounds."""

    name: str
    window: PixelWindow
    bounds: Bounds


def output_tiles(catalogue: Catalogue, tile_size: Optional[int] = None,
                 extent: Optional[Bounds] = None) -> List[OutputTile]:
    """The output tiles of a catalogue, sorted by name.

    Args:
        catalogue: the (first) input catalogue; its grid is the output's.
        tile_size: None: one output tile per input tile (a single mosaic is cut into
            tiles of :data:`~..options.CATALOGUE_TILE_SIZE`); else the side of a regular
            grid in pixels (a multiple of the block computes no block twice).
        extent: (xmin, ymin, xmax, ymax) in the catalogue's CRS: keep the tiles that meet it.

    Raises:
        InputError: a bad tile size, two input tiles with one name, or no tile in the
            extent.
    """
    from ..options import CATALOGUE_TILE_SIZE

    if tile_size is None and catalogue.single:
        tile_size = CATALOGUE_TILE_SIZE
    if tile_size is None:
        tiles = _following(catalogue)
    else:
        if isinstance(tile_size, bool) or int(tile_size) != tile_size or tile_size < STRIDE:
            raise InputError(f"the output tile size must be a whole number of pixels, at "
                             f"least {STRIDE}, got {tile_size!r}")
        tiles = _regular(catalogue, int(tile_size))
    if extent is not None:
        tiles = [t for t in tiles if _meets(t.bounds, extent)]
        if not tiles:
            raise InputError(f"no output tile meets the extent {tuple(extent)}: give an extent "
                             f"in the catalogue's CRS inside {tuple(_bounds(catalogue))}")
    return sorted(tiles, key=lambda t: t.name)


def parse_shard(text: str) -> Tuple[int, int]:
    """``"I/N"`` (I = 0..N-1, as SLURM's ``$SLURM_ARRAY_TASK_ID`` with ``--array=0-<N-1>``)
    -> (I, N).

    Raises:
        InputError: not of that form, or I outside 0..N-1.
    """
    match = _SHARD.match(str(text))
    if not match:
        raise InputError(f"shard {text!r} is not understood: give I/N, e.g. 0/8 for the first "
                         f"of 8 (SLURM: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)")
    index, count = int(match[1]), int(match[2])
    if count < 1 or not 0 <= index < count:
        raise InputError(f"shard {text!r}: I must be 0..N-1 and N at least 1")
    return index, count


def shard_of(tiles: Sequence[OutputTile], index: int, count: int) -> List[OutputTile]:
    """Shard ``index`` of ``count``: every ``count``-th tile in name order, from ``index``.

    Interleaved rather than in blocks, so neighbouring tiles (often alike: town, forest,
    sea) spread over the shards and the shards finish at about the same time. The shards
    partition the tiles: each tile belongs to exactly one.
    """
    ordered = sorted(tiles, key=lambda t: t.name)
    return ordered[index::count]


# --------------------------------------------------------------------------- internals

def _following(catalogue: Catalogue) -> List[OutputTile]:
    by_name = {}
    for tile in catalogue.tiles:
        other = by_name.setdefault(tile.name, tile)
        if other is not tile:
            raise InputError(f"two input tiles are named {tile.name} ({other.path} and "
                             f"{tile.path}): output tiles are named after the input tiles; "
                             f"rename one, or give an output tile size for a regular grid")
    t = catalogue.grid.transform
    return [OutputTile(tile.name, tile.window, window_bounds(t, tile.window))
            for tile in catalogue.tiles]


def _regular(catalogue: Catalogue, size: int) -> List[OutputTile]:
    grid = catalogue.grid
    rows, cols = -(-grid.height // size), -(-grid.width // size)
    digits = max(3, len(str(max(rows, cols) - 1)))
    tiles = []
    for row in range(rows):
        for col in range(cols):
            window = PixelWindow(col * size, row * size, min(size, grid.width - col * size),
                                 min(size, grid.height - row * size))
            # A tile over a gap of the catalogue (no input tile) has nothing to predict.
            if not any(window.intersection(t.window) for t in catalogue.tiles):
                continue
            tiles.append(OutputTile(f"r{row:0{digits}d}_c{col:0{digits}d}", window,
                                    window_bounds(grid.transform, window)))
    return tiles


def _bounds(catalogue: Catalogue) -> Bounds:
    g = catalogue.grid
    return window_bounds(g.transform, PixelWindow(0, 0, g.width, g.height))


def _meets(bounds: Bounds, extent: Sequence[float]) -> bool:
    xmin, ymin, xmax, ymax = (float(v) for v in extent)
    return bounds[0] < xmax and bounds[2] > xmin and bounds[1] < ymax and bounds[3] > ymin

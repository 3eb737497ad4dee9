"""Geometry of the streaming inference: blocks, halo tiles, strips, extents, blend windows."""

import itertools

import numpy as np
import pytest

from flair_landcover.flair_plugin.engine.errors import InputError
from flair_landcover.flair_plugin.engine.geo import PixelWindow, window_from_extent
from flair_landcover.flair_plugin.engine.tiling import (
    TileGrid,
    blend_window,
    validate_tiling,
    weighted_strip_cols,
)

# Lambert-93 grid of 0.2 m pixels, 100 x 80 px, origin (1000, 2000)
TRANSFORM = (0.2, 0.0, 1000.0, 0.0, -0.2, 2000.0)


def _coverage(grid: TileGrid) -> np.ndarray:
    count = np.zeros((grid.region.height, grid.region.width), int)
    for row, col in itertools.product(range(grid.rows), range(grid.cols)):
        rows, cols = grid.block_window(row, col).slices()
        count[rows, cols] += 1
    return count


@pytest.mark.parametrize("width,height,region,block,halo", [
    (1001, 777, None, 256, 64),
    (50, 37, None, 512, 128),
    (300, 200, PixelWindow(37, 11, 201, 150), 64, 32),
    (300, 200, None, 64, 96),  # halo larger than the block
    (300, 200, None, 64, 0),
])
def test_blocks_cover_region_once_and_tiles_are_block_plus_halo(width, height, region, block,
                                                                 halo):
    region = region or PixelWindow(0, 0, width, height)
    grid = TileGrid(width, height, region, block, halo)
    assert (_coverage(grid) == 1).all()
    assert grid.tile_size == grid.block + 2 * halo and grid.tile_size % 32 == 0
    raster = PixelWindow(0, 0, width, height)
    for row, col in itertools.product(range(grid.rows), range(grid.cols)):
        tile = grid.tile(row, col)
        b = tile.block
        assert tile.window == PixelWindow(region.col_off + b.col_off - halo,
                                          region.row_off + b.row_off - halo,
                                          grid.tile_size, grid.tile_size)
        assert tile.read == tile.window.intersection(raster)
        top, bottom, left, right = tile.pad
        assert tile.read.height + top + bottom == grid.tile_size
        assert tile.read.width + left + right == grid.tile_size
        assert tile.block_part == PixelWindow(halo, halo, b.width, b.height)
        # the block part always lies in the region part, which lies in what is read
        assert tile.region_part.intersection(tile.block_part) == tile.block_part
        read_in_tile = PixelWindow(left, top, tile.read.width, tile.read.height)
        assert read_in_tile.intersection(tile.region_part) == tile.region_part


def test_small_region_shrinks_block_to_the_stride():
    grid = TileGrid(50, 37, PixelWindow(0, 0, 50, 37), 512, 128)
    assert (grid.block, grid.tile_size, grid.rows, grid.cols) == (64, 320, 1, 1)
    assert grid.tile(0, 0).pad == (128, 320 - 128 - 37, 128, 320 - 128 - 50)


@pytest.mark.parametrize("block,halo", [(64, 32), (64, 96), (64, 0), (32, 64)])
def test_touching_counts_and_overlaps_match_brute_force(block, halo):
    grid = TileGrid(300, 230, PixelWindow(0, 0, 300, 230), block, halo)
    for row, col in itertools.product(range(grid.rows), range(grid.cols)):
        b = grid.block_window(row, col)
        brute = 0
        for tr, tc in itertools.product(range(grid.rows), range(grid.cols)):
            if grid.tile(tr, tc).window.intersection(b):
                brute += 1
        assert grid.touching(row, col) == brute
        tile = grid.tile(row, col)
        touched = set(grid.blocks_touched(row, col))
        for br, bc in itertools.product(range(grid.rows), range(grid.cols)):
            overlaps = tile.window.intersection(grid.block_window(br, bc)) is not None
            assert ((br, bc) in touched) == overlaps
            if overlaps:
                in_tile, in_block = grid.tile_part_over_block(tile, br, bc)
                assert in_tile.width == in_block.width and in_tile.height == in_block.height


def test_strip_order_visits_margins_and_bounds_pending_blocks():
    grid = TileGrid(1000, 700, PixelWindow(0, 0, 1000, 700), 64, 32)  # 16 x 11 blocks
    strip_cols, margin = 4, grid.reach
    visits = list(grid.order(strip_cols, margin))
    assert len(visits) == grid.visit_count(strip_cols, margin)
    # every block gets all its touching tiles from the visits of its own strip
    seen = {}
    pending, peak = {}, 0
    for _, strip, row, col in visits:
        for key in grid.blocks_touched(row, col):
            if strip[0] <= key[1] < strip[1]:
                seen[key] = seen.get(key, 0) + 1
                pending[key] = pending.get(key, grid.touching(*key)) - 1
                if pending[key] == 0:
                    del pending[key]
                peak = max(peak, len(pending))
    assert not pending
    assert all(seen[k] == grid.touching(*k) for k in seen) and len(seen) == grid.rows * grid.cols
    assert peak <= (2 * grid.reach + 1) * strip_cols + 1
    # a single strip needs no margin: nothing is computed twice
    assert grid.visit_count(None, margin) == grid.rows * grid.cols


def test_weighted_strip_width_follows_the_budget():
    grid = TileGrid(20000, 20000, PixelWindow(0, 0, 20000, 20000), 512, 128)
    per_block = 20 * 512 * 512 * 4
    assert weighted_strip_cols(grid, 19, 4, 30 * per_block) == 10
    assert weighted_strip_cols(grid, 19, 4, 1) == 2
    assert weighted_strip_cols(grid, 19, 4, 10 ** 12) == grid.cols


@pytest.mark.parametrize("block,halo,text", [
    (500, 128, "block must be a positive multiple of 32"),
    (0, 128, "block must be"),
    (512, 100, "halo must be 0 or a positive multiple of 32"),
    (512, -32, "halo must be"),
])
def test_bad_block_or_halo_is_refused(block, halo, text):
    with pytest.raises(InputError, match=text):
        validate_tiling(block, halo)


@pytest.mark.parametrize("extent,expected", [
    ((1000.0, 1984.0, 1020.0, 2000.0), PixelWindow(0, 0, 100, 80)),  # the whole raster
    ((1001.0, 1990.0, 1003.0, 1996.0), PixelWindow(5, 20, 10, 30)),  # on pixel edges
    ((1001.05, 1990.05, 1002.95, 1995.95), PixelWindow(5, 20, 10, 30)),  # snapped outward
    ((990.0, 1970.0, 1001.0, 1990.0), PixelWindow(0, 50, 5, 30)),  # clipped
])
def test_extent_snaps_outward_and_clips(extent, expected):
    assert window_from_extent(TRANSFORM, 100, 80, extent) == expected


@pytest.mark.parametrize("extent,text", [
    ((2000.0, 1990.0, 2010.0, 1995.0), "lies outside the raster"),
    ((1005.0, 1990.0, 1001.0, 1995.0), "needs xmin < xmax"),
    ((1, 2, 3), "needs 4 numbers"),
])
def test_bad_extents_are_refused(extent, text):
    with pytest.raises(InputError, match=text):
        window_from_extent(TRANSFORM, 100, 80, extent)


@pytest.mark.parametrize("kind", ["hann", "gaussian"])
def test_blend_windows_are_positive_and_symmetric(kind):
    w = blend_window(kind, 96)
    assert w.shape == (96, 96) and (w > 0).all()
    assert np.allclose(w, w[::-1, ::-1]) and np.allclose(w, w.T)
    assert w[48, 48] > w[10, 48] > w[0, 48]

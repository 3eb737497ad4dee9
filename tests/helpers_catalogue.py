"""Small generated catalogues of tiles (cut from one image) for the catalogue tests."""

import os
from pathlib import Path
from typing import Iterable, List, Tuple

import numpy as np
import rasterio
from helpers_rasters import ORIGIN, write_raster

from flair_landcover.flair_plugin.engine.io.atomic import is_temp_path

PIXEL = 0.2
TILE = 80  # not a multiple of the 32 px block below: output tiles cut blocks
CPU = dict(device="cpu", precision="fp32", runtime="torch", batch_size=1, num_readers=1,
           block=32, halo=32)
"""Deterministic and small: 96 px tiles through the tiny U-Net; batch 1 keeps every tile's
forward pass the same whatever its batch-mates (as in a single run)."""


def image(rows: int = 3, cols: int = 3, bands: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (bands, rows * TILE, cols * TILE)
                                                ).astype(np.uint8)


def write_catalogue(folder: Path, data: np.ndarray, skip: Iterable[Tuple[int, int]] = (),
                    **profile) -> List[Path]:
    """Cut ``data`` into TILE x TILE GeoTIFFs ``tile_R_C.tif`` on one pixel grid (in
    sub-folders, as deliveries nest them); ``skip``: tiles left out (a gap)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for r in range(data.shape[1] // TILE):
        for c in range(data.shape[2] // TILE):
            if (r, c) in set(skip):
                continue
            sub = folder / f"row{r}"
            sub.mkdir(exist_ok=True)
            path = sub / f"tile_{r}_{c}.tif"
            origin = (ORIGIN[0] + c * TILE * PIXEL, ORIGIN[1] - r * TILE * PIXEL)
            part = data[:, r * TILE:(r + 1) * TILE, c * TILE:(c + 1) * TILE]
            if profile:
                _write_profiled(path, part, origin, **profile)
            else:
                write_raster(path, part, pixel=PIXEL, origin=origin)
            written.append(path)
    return written


def _write_profiled(path: Path, data: np.ndarray, origin, **profile) -> None:
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1],
                       count=data.shape[0], dtype=data.dtype, crs="EPSG:2154",
                       transform=from_origin(origin[0], origin[1], PIXEL, PIXEL),
                       **profile) as dst:
        dst.write(data)


def read(path) -> np.ndarray:
    with rasterio.open(path) as ds:
        return ds.read()


def leftovers(folder: Path) -> List[str]:
    """Temporary files (``.part``) anywhere under ``folder``: a run must leave none."""
    return [os.path.join(root, n) for root, _, names in os.walk(folder) for n in names
            if is_temp_path(n)]

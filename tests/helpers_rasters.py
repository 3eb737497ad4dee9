"""Small rasters for tests, written with rasterio in FLAIR's conventions."""

from pathlib import Path
from typing import Optional

import numpy as np
import rasterio
from rasterio.transform import from_origin

LAMBERT93 = "EPSG:2154"
ORIGIN = (651000.0, 6862000.0)  # Paris area, Lambert-93 metres


def write_raster(path: Path, data: np.ndarray, pixel: float = 0.2, crs: Optional[str] = LAMBERT93,
                 nodata=None, origin=ORIGIN) -> Path:
    """Write ``data`` (bands, rows, cols) or (rows, cols) as a GeoTIFF."""
    if data.ndim == 2:
        data = data[None]
    profile = dict(driver="GTiff", width=data.shape[2], height=data.shape[1],
                   count=data.shape[0], dtype=data.dtype, crs=crs,
                   transform=from_origin(origin[0], origin[1], pixel, pixel), nodata=nodata)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path


def class_raster(path: Path, values, shape=(30, 40), dtype="uint8", **kwargs) -> Path:
    """A raster cycling through ``values`` (each value present)."""
    values = np.asarray(list(values), dtype=dtype)
    flat = np.resize(values, shape[0] * shape[1]).astype(dtype)
    return write_raster(path, flat.reshape(shape), **kwargs)

"""GDAL virtual mosaics (VRT) over rasters on one pixel grid, written as XML.

A catalogue's input tiles are read through one VRT (each output tile then reads its halo
from the neighbouring input tiles exactly as one raster would), and the output tiles are
assembled into one VRT at the end. The XML is written here rather than with
``gdalbuildvrt`` so that the engine needs no GDAL command-line tools or Python bindings
beyond rasterio: only documented VRT elements are used (``SimpleSource``, ``MaskBand``,
``ColorTable``), see https://gdal.org/drivers/raster/vrt.html.

Every VRT is written atomically (:mod:`..io.atomic`).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple, Union

from ..errors import InputError
from ..geo import Grid, PixelWindow
from ..io.atomic import atomic_open

PathLike = Union[str, os.PathLike]

GDAL_TYPES: Dict[str, str] = {
    "uint8": "Byte", "int8": "Int8", "uint16": "UInt16", "int16": "Int16",
    "uint32": "UInt32", "int32": "Int32", "float32": "Float32", "float64": "Float64",
}
"""rasterio's dtype names -> GDAL's data type names (what VRT XML spells)."""


@dataclass(frozen=True)
class VrtSource:
    """One raster placed in the mosaic: its path, its pixel window in the mosaic, and the
    shape of its internal blocks (GDAL then need not open it until a read touches it)."""

    path: str
    window: PixelWindow
    block_shape: Tuple[int, int] = (256, 256)  # columns, rows


def gdal_type(dtype: str) -> str:
    """GDAL's name of a rasterio dtype.

    Raises:
        InputError: a data type a VRT cannot declare (complex values).
    """
    try:
        return GDAL_TYPES[str(dtype)]
    except KeyError:
        raise InputError(f"rasters of type {dtype} cannot be mosaicked: use 8/16/32-bit "
                         f"integers or floats") from None


def write_vrt(path: PathLike, grid: Grid, sources: Sequence[VrtSource], *, count: int,
              dtype: str, nodata: Optional[float] = None,
              colormap: Optional[Dict[int, Tuple[int, ...]]] = None,
              descriptions: Sequence[str] = (), mask_gaps: bool = False,
              relative: bool = False) -> Path:
    """Write a VRT mosaic of ``sources`` on ``grid``, atomically.

    Args:
        path: the ``.vrt`` to write (replaced if it exists).
        grid: the mosaic's grid; every source's window lies on it.
        sources: the rasters, in drawing order (a later one wins where they overlap).
        count, dtype: bands of every source (band i of the mosaic = band i of each
            source) and their data type.
        nodata: the sources' nodata value, declared on every band (pixels outside every
            source then read as no data too).
        colormap: a colour table for band 1 (class rasters).
        descriptions: band descriptions.
        mask_gaps: sources without a nodata value leave the mosaic's gaps (its rectangle
            not covered by any source) as valid zeros; with ``mask_gaps`` a mask band
            built from the sources' own masks marks the gaps as no data instead.
        relative: write source paths relative to the VRT (a folder of outputs that can
            be moved as a whole) rather than absolute (inputs stay where they are).

    Returns:
        ``path``.
    """
    path = Path(path)
    folder = path.parent.resolve()
    root = ET.Element("VRTDataset", rasterXSize=str(grid.width), rasterYSize=str(grid.height))
    if grid.crs is not None:
        ET.SubElement(root, "SRS", dataAxisToSRSAxisMapping="1,2").text = grid.crs.to_wkt()
    t = grid.transform
    ET.SubElement(root, "GeoTransform").text = ", ".join(
        repr(float(v)) for v in (t.c, t.a, t.b, t.f, t.d, t.e))
    for band in range(1, count + 1):
        node = ET.SubElement(root, "VRTRasterBand", dataType=gdal_type(dtype), band=str(band))
        if band <= len(descriptions):
            ET.SubElement(node, "Description").text = descriptions[band - 1]
        if nodata is not None:
            ET.SubElement(node, "NoDataValue").text = repr(float(nodata))
        if band == 1 and colormap:
            ET.SubElement(node, "ColorInterp").text = "Palette"
            table = ET.SubElement(node, "ColorTable")
            for value in range(max(colormap) + 1):
                rgba = tuple(colormap.get(value, (0, 0, 0, 0))) + (255,)
                ET.SubElement(table, "Entry", c1=str(rgba[0]), c2=str(rgba[1]),
                              c3=str(rgba[2]), c4=str(rgba[3]))
        _add_sources(node, sources, str(band), dtype, folder, relative)
    if mask_gaps and nodata is None:
        mask = ET.SubElement(ET.SubElement(root, "MaskBand"), "VRTRasterBand", dataType="Byte")
        _add_sources(mask, sources, "mask,1", "uint8", folder, relative)
    ET.indent(root)
    with atomic_open(path, "w", encoding="utf-8") as f:
        f.write(ET.tostring(root, encoding="unicode"))
        f.write("\n")
    return path


def _add_sources(node: ET.Element, sources: Sequence[VrtSource], band: str, dtype: str,
                 folder: Path, relative: bool) -> None:
    for source in sources:
        w = source.window
        src = ET.SubElement(node, "SimpleSource")
        name = os.path.abspath(source.path)
        if relative:
            ET.SubElement(src, "SourceFilename", relativeToVRT="1").text = os.path.relpath(
                name, folder)
        else:
            ET.SubElement(src, "SourceFilename", relativeToVRT="0").text = name
        ET.SubElement(src, "SourceBand").text = band
        ET.SubElement(src, "SourceProperties", RasterXSize=str(w.width),
                      RasterYSize=str(w.height), DataType=gdal_type(dtype),
                      BlockXSize=str(source.block_shape[0]),
                      BlockYSize=str(source.block_shape[1]))
        ET.SubElement(src, "SrcRect", xOff="0", yOff="0", xSize=str(w.width),
                      ySize=str(w.height))
        ET.SubElement(src, "DstRect", xOff=str(w.col_off), yOff=str(w.row_off),
                      xSize=str(w.width), ySize=str(w.height))

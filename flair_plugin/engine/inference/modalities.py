"""The modalities a model takes beyond the aerial tile, read tile by tile.

A tile read yields a *sample of named modalities*: the aerial stack on the imagery's grid
(read by the pipeline itself, see :mod:`.pipeline`) and, for the models that take them,
further modalities such as a Sentinel-2 series window with its dates, or FLAIR-1's
aerial metadata of the tile. Each further
modality is a :class:`Modality`: it opens one reader per reader thread, reads its value
for a tile, and turns the values of a batch into the model's further inputs. Adding a
modality (SPOT, Sentinel-1, elevation...) means adding one of these and a model input,
not another tile loop.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np
import torch

from ....models.hub_config import series_argument
from ....models.metadata_encoding import METADATA_DIM, encode_aerial_metadata
from ...nomenclature import HUB_REFERENCE_DAY, SENTINEL2_BANDS
from ..data.sentinel import (
    SeriesPreparation,
    cloud_snow_cover,
    normalise,
    pad_series,
    series_around,
    window_around,
)
from ..errors import InputError, SentinelError
from ..geo import Bounds, PixelWindow, window_bounds
from ..io.sentinel import S2_BANDS, SentinelReader, SentinelSource, check_covers, reprojected
from ..tiling import Tile

Warn = Callable[[str], None]


class ModalityReader:
    """Reads one modality's value for a tile; one per reader thread (own file handles)."""

    def read(self, tile: Tile) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        """Release the file handles."""


class Modality:
    """A further model input read per tile (the aerial stack is the pipeline's own)."""

    name = "modality"

    def open_reader(self) -> ModalityReader:
        raise NotImplementedError

    def model_inputs(self, values: Sequence[Any], device: torch.device,
                     dtype: torch.dtype) -> Dict[str, torch.Tensor]:
        """The model's further arguments for a batch, by name, from each tile's value."""
        raise NotImplementedError

    def probe_inputs(self, device: torch.device, dtype: torch.dtype
                     ) -> Dict[str, torch.Tensor]:
        """Further arguments for the model probe (a batch of one 64×64 tile)."""
        raise NotImplementedError

    def paths(self) -> List[str]:
        """The files read (an output may not name one of them)."""
        return []

    def finish(self, warn: Warn) -> None:
        """After the run: warnings about what was read."""


# --------------------------------------------------------------------------- Sentinel-2

@dataclass
class SeriesWindow:
    """A tile's Sentinel-2 series, prepared and normalised as the model was trained."""

    data: np.ndarray  # T×C×S×S float
    positions: np.ndarray  # T day offsets


def tile_centre(transform, tile: Tile, region: PixelWindow) -> Tuple[float, float]:
    """Map (x, y) of a tile's centre, where its Sentinel-2 window is centred.

    The centre of the full tile (halo included), as FLAIR-2 centres the window on the
    patch; an edge tile's centre is moved inside the predicted region, so the series
    always comes from Sentinel-2 pixels over the area (which the coverage check ensures).
    """
    w = tile.window
    col = min(max(w.col_off + w.width / 2.0, region.col_off + 0.5), region.col_end - 0.5)
    row = min(max(w.row_off + w.height / 2.0, region.row_off + 0.5), region.row_end - 0.5)
    return transform * (col, row)


def series_preparation(meta) -> SeriesPreparation:
    """How this U-T&T's series must be prepared, or an :class:`InputError` saying why the
    model cannot run over an arbitrary area."""
    if getattr(meta, "metadata_mlp", False):
        raise InputError("this U-T&T needs FLAIR-2's per-patch aerial metadata (date, "
                         "camera, altitude), which has no value for an arbitrary area: use "
                         "a U-T&T trained without the metadata MLP")
    temporal = meta.temporal
    if temporal is None:
        raise InputError("the U-T&T checkpoint has no Sentinel-2 description (temporal)")
    if temporal.input_dim != S2_BANDS:
        raise InputError(f"this U-T&T expects {temporal.input_dim} Sentinel-2 bands per date; "
                         f"this inference reads {S2_BANDS} ({', '.join(SENTINEL2_BANDS)})")
    try:
        return SeriesPreparation.from_meta(temporal)
    except SentinelError as exc:
        raise InputError(f"the checkpoint's Sentinel-2 preparation is invalid: {exc}") \
            from None


class SentinelModality(Modality):
    """The Sentinel-2 series around each aerial tile, as FLAIR-2's U-T&T takes it.

    Each tile gets the ``sat_patch_size`` window centred on it (:func:`tile_centre`),
    filtered for clouds and snow, averaged by month and dated as the checkpoint says
    (:func:`~..data.sentinel.series_around`), then normalised. A batch is padded in time
    and handed to the model as its ``sentinel``, ``dates`` and ``pad_mask`` arguments.
    """

    name = "sentinel"

    def __init__(self, source: SentinelSource, meta, aerial_crs, aerial_transform,
                 region: PixelWindow, warn: Warn) -> None:
        self.source, self.temporal = source, meta.temporal
        self.prep = series_preparation(meta)
        if self.prep.filter_clouds and source.masks is None:
            raise InputError("this model drops cloudy and snowy dates, as in its training: "
                             "give the cloud/snow masks (T×2 bands, or one 2-band file per "
                             "date)")
        self.crs, self.transform, self.region = aerial_crs, aerial_transform, region
        area: Bounds = window_bounds(aerial_transform, region)
        check_covers(source, aerial_crs, area)
        if reprojected(source, aerial_crs):
            warn(f"Sentinel-2 is in {source.crs}, the aerial imagery in {aerial_crs}: "
                 f"Sentinel-2 is reprojected on the fly (nearest neighbour, ~10 m pixels)")
        self._lock = threading.Lock()
        self.all_cloudy = 0

    def paths(self) -> List[str]:
        return [p for p, _ in self.source.data] + [p for p, _ in self.source.masks or []]

    def open_reader(self) -> "_SentinelTileReader":
        return _SentinelTileReader(self, SentinelReader(self.source, self.crs))

    def count_all_cloudy(self) -> None:
        with self._lock:
            self.all_cloudy += 1

    def model_inputs(self, values: Sequence[SeriesWindow], device: torch.device,
                     dtype: torch.dtype) -> Dict[str, torch.Tensor]:
        series, positions, pad_mask = pad_series([v.data for v in values],
                                                 [v.positions for v in values])
        return {"sentinel": torch.from_numpy(series.astype(np.float32)).to(device, dtype),
                "dates": torch.from_numpy(positions).to(device),
                "pad_mask": torch.from_numpy(pad_mask).to(device)}

    def probe_inputs(self, device: torch.device, dtype: torch.dtype
                     ) -> Dict[str, torch.Tensor]:
        size = self.prep.sat_patch_size
        window = SeriesWindow(np.zeros((1, S2_BANDS, size, size), np.float32),
                              np.zeros(1, np.int64))
        return self.model_inputs([window], device, dtype)

    def finish(self, warn: Warn) -> None:
        if self.all_cloudy:
            warn(f"{self.all_cloudy} tile(s) had every Sentinel-2 date covered by clouds or "
                 f"snow (cover >= {self.prep.cover_fraction:.0%} at probability >= "
                 f"{self.prep.cloud_probability}); their least covered date was used: check "
                 f"those areas, or add clearer dates")


class _SentinelTileReader(ModalityReader):
    def __init__(self, modality: SentinelModality, reader: SentinelReader) -> None:
        self.modality, self.reader = modality, reader

    def read(self, tile: Tile) -> SeriesWindow:
        m = self.modality
        x, y = tile_centre(m.transform, tile, m.region)
        stack, masks, transform = self.reader.read_around(x, y, m.prep.sat_patch_size // 2 + 1)
        if masks is not None and m.prep.filter_clouds:
            cover = cloud_snow_cover(window_around(masks, transform, x, y,
                                                   m.prep.sat_patch_size),
                                     m.prep.cloud_probability)
            if cover.size and (cover >= m.prep.cover_fraction).all():
                m.count_all_cloudy()
        try:
            series = series_around(stack, transform, m.source.dates, x, y, masks, m.prep)
        except SentinelError as exc:
            raise InputError(f"Sentinel-2 for the tile at x={x:.1f}, y={y:.1f}: {exc}") \
                from None
        values = series.data
        if m.temporal.means:
            values = normalise(values, m.temporal.means, m.temporal.stds)
        return SeriesWindow(values, series.positions)

    def close(self) -> None:
        self.reader.close()


# --------------------------------------------------------------------------- FLAIR-HUB series

MIN_SERIES_SIDE = 2
"""The U-TAE's reflect padding needs patches of at least 2 pixels a side."""


def hub_series_side(tile_size: int, aerial_pixel: float, series_pixel: float) -> int:
    """FLAIR-HUB's side of a modality's patch for an aerial tile: the tile's ground size
    in that modality's pixels, rounded (512 px at 0.2 m -> 10 Sentinel-2 pixels)."""
    return max(1, int(round(tile_size * aerial_pixel / series_pixel)))


@dataclass
class HubSeriesWindow:
    """A tile's series as FLAIR-HUB reads it: T×C×S×S raw values."""

    data: np.ndarray


class HubSeriesModality(Modality):
    """A FLAIR-HUB series (Sentinel-2, Sentinel-1 ascending or descending): per tile, the
    tile's footprint read from every date at :func:`hub_series_side` pixels a side
    (bilinear, 0 outside the rasters), raw values, with each date's day offset to 15 May
    of its own year (FLAIR-HUB's reference date). Dates whose window is all 0 count as
    padding in the U-TAE, as in FLAIR-HUB. Not done (FLAIR-HUB's zonal detection can):
    cloud filtering and temporal averaging.

    Raises (on construction, before any tile is read):
        InputError: the series is in another CRS than the aerial imagery, or does not
            cover the area.
    """

    def __init__(self, modality: str, source: SentinelSource, aerial_crs, aerial_transform,
                 region: PixelWindow, tile_size: int) -> None:
        self.name, self.source = modality, source
        self.argument = series_argument(modality)
        if reprojected(source, aerial_crs):
            raise InputError(f"the {modality} series is in {source.crs}, the aerial imagery in "
                             f"{aerial_crs}: put it on the aerial CRS first (e.g. gdalwarp "
                             f"-t_srs {aerial_crs} -tr 10 10)")
        check_covers(source, aerial_crs, window_bounds(aerial_transform, region))
        self.transform = aerial_transform
        self.per_date = len(source.data[0][1])
        aerial_pixel = abs(aerial_transform.a)
        self.side = hub_series_side(tile_size, aerial_pixel, abs(source.transform.a))
        if self.side < MIN_SERIES_SIDE:
            need = int(np.ceil(MIN_SERIES_SIDE * abs(source.transform.a) / aerial_pixel / 32)) * 32
            raise InputError(f"tiles of {tile_size} px cover {self.side} {modality} pixel(s); "
                             f"its U-TAE needs at least {MIN_SERIES_SIDE} a side: use tiles "
                             f"(block + 2 × halo) of at least {need} px (FLAIR-HUB uses 512)")
        self.positions = np.array([(d - dt.date(d.year, *HUB_REFERENCE_DAY)).days
                                   for d in source.dates], dtype=np.float32)

    def paths(self) -> List[str]:
        return [p for p, _ in self.source.data]

    def open_reader(self) -> "_HubSeriesReader":
        return _HubSeriesReader(self)

    def model_inputs(self, values: Sequence[HubSeriesWindow], device: torch.device,
                     dtype: torch.dtype) -> Dict[str, torch.Tensor]:
        series = np.stack([v.data for v in values]).astype(np.float32)
        dates = np.tile(self.positions, (len(values), 1))
        return {self.argument: torch.from_numpy(series).to(device, dtype),
                self.argument + "_dates": torch.from_numpy(dates).to(device, dtype)}

    def probe_inputs(self, device: torch.device, dtype: torch.dtype
                     ) -> Dict[str, torch.Tensor]:
        ones = np.ones((len(self.positions), self.per_date, self.side, self.side), np.float32)
        return self.model_inputs([HubSeriesWindow(ones)], device, dtype)


class _HubSeriesReader(ModalityReader):
    def __init__(self, modality: HubSeriesModality) -> None:
        import rasterio

        self.modality = modality
        self._handles = {p: rasterio.open(p) for p in dict.fromkeys(modality.paths())}

    def read(self, tile: Tile) -> HubSeriesWindow:
        from rasterio.enums import Resampling
        from rasterio.windows import from_bounds

        m = self.modality
        bounds = window_bounds(m.transform, tile.window)
        dates = []
        for path, bands in m.source.data:
            handle = self._handles[path]
            dates.append(handle.read(
                list(bands), window=from_bounds(*bounds, transform=handle.transform),
                out_shape=(len(bands), m.side, m.side), resampling=Resampling.bilinear,
                boundless=True, fill_value=0).astype(np.float32))
        return HubSeriesWindow(np.stack(dates))

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()


# --------------------------------------------------------------------------- aerial metadata

LAMBERT93 = "EPSG:2154"
"""FLAIR-1 encodes patch centroids in Lambert-93 metres."""


@dataclass(frozen=True)
class Acquisition:
    """What FLAIR-1's metadata MLP was told about each patch that the raster cannot say.

    The patch position comes from the raster's georeferencing; these four come from the
    user (the orthophoto's delivery notes give them): the acquisition ``date``
    (YYYY-MM-DD), its ``time`` (HHhMM, solar flight time as in FLAIR's JSON), the
    ``camera`` name (FLAIR only tells "UCE" cameras from the others) and the ground
    ``altitude`` in metres (FLAIR's ``patch_centroid_z``).
    """

    date: str
    time: str
    camera: str
    altitude: float


ACQUISITION_FIELDS: Dict[str, str] = {
    "date": "the acquisition date, YYYY-MM-DD (ACQUISITION_DATE / --acquisition-date)",
    "time": "the acquisition time, HHhMM (ACQUISITION_TIME / --acquisition-time)",
    "camera": "the camera name, e.g. UCE-M3-f120 (CAMERA / --camera)",
    "altitude": "the ground altitude in metres (ALTITUDE / --altitude)",
}
"""Each value a metadata model needs, with where QGIS and the command take it."""


def check_acquisition(values) -> Acquisition:
    """An :class:`Acquisition` from a mapping (or an Acquisition), every value checked.

    Raises:
        InputError: a value is missing or not understood; the message names the QGIS
            parameter and the command-line option that set it, and the way out
            (running the model without its metadata branch).
    """
    values = acquisition_values(values)
    missing = [k for k in ACQUISITION_FIELDS if k not in values]
    if missing:
        raise InputError(
            "this model was trained with FLAIR-1's aerial metadata (position, date, camera, "
            "altitude of each patch): give " + "; ".join(ACQUISITION_FIELDS[k] for k in missing)
            + ". Or run it without its metadata branch, as IGN's zone detection does "
              "(IGNORE_METADATA / --ignore-metadata)")
    try:
        acquisition = Acquisition(str(values["date"]).strip(), str(values["time"]).strip(),
                                  str(values["camera"]).strip(), float(values["altitude"]))
        encode_aerial_metadata(_record(acquisition, 0.0, 0.0))
    except ValueError as exc:
        raise InputError(f"aerial metadata: {exc}") from None
    return acquisition


def acquisition_values(values) -> Dict[str, Any]:
    """The values given, from a mapping or an :class:`Acquisition`; empty ones left out
    (a QGIS dialog or the command passes every field, set or not)."""
    if isinstance(values, Acquisition):
        values = values.__dict__
    return {k: v for k, v in dict(values or {}).items() if v not in (None, "")}


def _record(acquisition: Acquisition, x: float, y: float) -> Dict[str, Any]:
    """A FLAIR aerial-metadata record (``flair_aerial_metadata.json``'s keys)."""
    return {"patch_centroid_x": x, "patch_centroid_y": y,
            "patch_centroid_z": acquisition.altitude, "camera": acquisition.camera,
            "date": acquisition.date, "time": acquisition.time}


def tile_position(transform, tile: Tile) -> Tuple[float, float]:
    """Map (x, y) of the centre of a tile's full window: FLAIR's patch centroid."""
    w = tile.window
    return transform * (w.col_off + w.width / 2.0, w.row_off + w.height / 2.0)


class AerialMetadataModality(Modality):
    """FLAIR-1's 45-value metadata encoding of each tile, for a U-Net trained with it.

    Position from the tile centre (reprojected to Lambert-93 when the raster is in
    another CRS), the rest from the user's :class:`Acquisition`; encoded exactly as
    FLAIR-1 encodes a patch's record (:mod:`models.metadata_encoding`). Handed to the
    model as its ``metadata`` argument.
    """

    name = "metadata"

    def __init__(self, acquisition: Acquisition, crs, transform) -> None:
        if crs is None:
            raise InputError("the imagery has no CRS, so its patches' positions, which this "
                             "model's metadata encodes in Lambert-93, are unknown: assign "
                             "the raster's CRS (e.g. gdal_edit.py -a_srs EPSG:2154)")
        self.acquisition, self.transform = acquisition, transform
        self.crs = crs
        self.reprojected = crs.to_string() != LAMBERT93

    def encode(self, x: float, y: float) -> np.ndarray:
        """The encoding at map point (x, y) of the raster's CRS."""
        if self.reprojected:
            from rasterio.warp import transform as warp_points

            xs, ys = warp_points(self.crs, LAMBERT93, [x], [y])
            x, y = xs[0], ys[0]
        return np.asarray(encode_aerial_metadata(_record(self.acquisition, x, y)), np.float64)

    def open_reader(self) -> "_MetadataTileReader":
        return _MetadataTileReader(self)

    def model_inputs(self, values: Sequence[np.ndarray], device: torch.device,
                     dtype: torch.dtype) -> Dict[str, torch.Tensor]:
        return {"metadata": torch.from_numpy(np.stack(values)).to(device, dtype)}

    def probe_inputs(self, device: torch.device, dtype: torch.dtype
                     ) -> Dict[str, torch.Tensor]:
        return {"metadata": torch.zeros((1, METADATA_DIM), dtype=dtype, device=device)}


class _MetadataTileReader(ModalityReader):
    def __init__(self, modality: AerialMetadataModality) -> None:
        self.modality = modality

    def read(self, tile: Tile) -> np.ndarray:
        return self.modality.encode(*tile_position(self.modality.transform, tile))

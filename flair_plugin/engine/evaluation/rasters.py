"""Check a class raster against an annotation: a streaming confusion matrix and agreement map.

:func:`evaluate_rasters` reads a prediction and a reference raster block by block, so
memory is bounded by the block size whatever the raster size (a département at 0.2 m is
≈1.5·10¹¹ pixels). The reference is read *on the prediction's grid*: directly when both
share one grid, otherwise through a GDAL warped VRT with nearest-neighbour resampling
(never a blending resampler: class values must not be averaged). The scores follow FLAIR's
mIoU convention (:mod:`.metrics`).

Values are compared in one *report scheme*: each raster's values are mapped into it
through the FLAIR codes they stand for (``nomenclature.Scheme``), so a 13-class baseline
prediction (0..12) can be scored against an ``MSK_*.tif`` annotation (codes 1..19) in
the baseline's 13 classes. A value standing for several codes that the report scheme
keeps apart (baseline "other" = codes 13..19, in ``flair19``) cannot be split: that is
refused before any work, with the scheme to use instead.

What is not compared, and how it is reported:

* **no data**: the raster's declared nodata value, its mask, pixels of the prediction
  grid outside the reference's footprint and value 0 where 0 is not a value of the
  raster's scheme (our predictions write 0 = no data; FLAIR codes start at 1).
* **stray values**: values that are not part of the raster's scheme; counted per value
  and reported, never scored.

The reference can also be **polygons** in any nomenclature and CRS (:mod:`.vectors`),
burnt on the prediction's grid block by block; an **area of interest** (polygons)
restricts what is evaluated. Before scoring, the prediction's declared scheme is judged
against the reference (:class:`SchemeFit`): a 0-based raster read as FLAIR codes stops
with the scheme that fits. Two layers meant to lie over the imagery can be written:
**errors** (0 where correct or not compared, the predicted class where wrong) and
**confusion** (one value per (predicted, annotated) pair, :func:`confusion_value`);
*sinks* (the hot-spot grid, :mod:`.hotspots`) see every block.

The optional **agreement raster** is a uint8 GeoTIFF on the prediction grid (the
extent's window of it), tiled and compressed, written under a temporary name and renamed
at the end; a failure or a cancel leaves no file. Its values (see :func:`agreement_legend`):

* mode ``binary``: 0 = not compared (no data or stray value), 1 = correct, 2 = wrong;
* mode ``reference``: 0 = not compared, 1 = correct, ``100 + v`` = wrong where the
  reference holds value ``v`` of the report scheme (for ``flair19``: 100 + FLAIR code, so
  101 = "wrong, reference building"); coloured with the reference class's colour, so the
  map shows *what* was missed.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import rasterio
from rasterio.enums import MaskFlags, Resampling
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds
from rasterio.windows import Window

from ...nomenclature import NODATA, SCHEMES, Scheme, hex_to_rgb, schemes_covering
from ...nomenclature import scheme as scheme_by_key
from ..errors import EvaluationCancelled, InputError
from ..geo import Grid, PixelWindow, same_grid, window_from_extent
from ..io.outputs import OutputSet, OutputTarget, check_output_paths
from ..options import AGREEMENT_MODES
from .metrics import ConfusionMatrix, Metrics, compute_metrics
from .vectors import ClassMapping, PolygonRasteriser, PolygonStats, pixel_area_m2

PathLike = Union[str, os.PathLike]
Progress = Callable[[float, str], None]  # (fraction done 0..1, message), as in inference
Cancel = Callable[[], bool]

DEFAULT_BLOCK = 1024
AGREEMENT_NODATA = 0
AGREEMENT_CORRECT = 1
AGREEMENT_WRONG = 2
AGREEMENT_REFERENCE_OFFSET = 100
CORRECT_COLOUR = "#1a9641"
WRONG_COLOUR = "#d7191c"
# In "reference" mode wrong pixels carry class colours, several of them green
# (deciduous, herbaceous, ligneous...): a neutral grey keeps "correct" apart from them.
CORRECT_COLOUR_REFERENCE_MODE = "#d9d9d9"

_STRAY = -1  # scheme_mapping: a value that is not part of the source scheme

# While streaming, each pixel becomes a *slot*: 0 = no data, 1 = stray value, 2 + i =
# entry i of the report scheme. One bincount of (reference slot, prediction slot) pairs
# then gives the confusion matrix and every no-data and stray count at once.
_NODATA_SLOT = 0
_STRAY_SLOT = 1
_FIRST_CLASS_SLOT = 2


# --------------------------------------------------------------------------- value mapping

def _scheme(value: Union[str, Scheme], what: str) -> Scheme:
    if isinstance(value, Scheme):
        return value
    try:
        return scheme_by_key(value)
    except ValueError as exc:
        raise InputError(f"{what}: {exc}") from None


def scheme_mapping(source: Union[str, Scheme], target: Union[str, Scheme]) -> np.ndarray:
    """Lookup table raster value (0..255) of ``source`` -> entry index in ``target``.

    ``-1`` where the value is not part of ``source``. Values meet through the FLAIR codes
    they stand for; a source value whose codes fall into several target values (a grouped
    class into a finer scheme) raises :class:`InputError`.
    """
    src, dst = _scheme(source, "scheme"), _scheme(target, "scheme")
    table = np.full(256, _STRAY, dtype=np.int16)
    position = {v: i for i, v in enumerate(dst.values)}
    for entry in src.entries:
        targets = sorted({dst.value_of_code(c) for c in entry.codes})
        if len(targets) != 1:
            coarse = src.key if len(entry.codes) > 1 else dst.key
            raise InputError(
                f"value {entry.value} ({entry.name!r}) of scheme {src.key!r} stands for FLAIR "
                f"codes {', '.join(map(str, entry.codes))}, which scheme {dst.key!r} keeps "
                f"apart: report the scores in scheme {coarse!r} instead")
        table[entry.value] = position[targets[0]]
    return table


# --------------------------------------------------------------------------- pixel counts

@dataclass
class PixelCounts:
    """Where the evaluated pixels went. A pixel can be no data in both rasters."""

    evaluated: int = 0  # pixels of the prediction grid (or extent) visited
    compared: int = 0  # pixels in the confusion matrix
    nodata_prediction: int = 0
    nodata_reference: int = 0  # includes pixels outside the reference's footprint
    stray_prediction: Dict[int, int] = field(default_factory=dict)
    stray_reference: Dict[int, int] = field(default_factory=dict)

    @property
    def not_compared(self) -> int:
        return self.evaluated - self.compared

    def add(self, other: "PixelCounts") -> None:
        self.evaluated += other.evaluated
        self.compared += other.compared
        self.nodata_prediction += other.nodata_prediction
        self.nodata_reference += other.nodata_reference
        for mine, theirs in ((self.stray_prediction, other.stray_prediction),
                             (self.stray_reference, other.stray_reference)):
            for value, n in theirs.items():
                mine[value] = mine.get(value, 0) + n

    def to_dict(self) -> Dict[str, object]:
        def strays(d: Dict[int, int]) -> Dict[str, int]:
            return {str(k): int(d[k]) for k in sorted(d)}

        return {"evaluated": self.evaluated, "compared": self.compared,
                "not_compared": self.not_compared,
                "nodata_prediction": self.nodata_prediction,
                "nodata_reference": self.nodata_reference,
                "stray_values_prediction": strays(self.stray_prediction),
                "stray_values_reference": strays(self.stray_reference)}


# --------------------------------------------------------------------------- the result

@dataclass
class EvaluationResult:
    """A confusion matrix with its scores, pixel accounting and the settings that made it."""

    confusion: ConfusionMatrix
    counts: PixelCounts
    settings: Dict[str, object]
    notes: List[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    pairs: int = 1
    pixel_area_m2: float = 0.0  # of the prediction grid: areas in hectares
    polygons: Optional[PolygonStats] = None  # a polygon reference's accounting
    same_input: bool = False  # prediction and reference are one file

    def hectares(self, pixels: int) -> float:
        """``pixels`` of the prediction grid in hectares (0 when the area is unknown)."""
        return pixels * self.pixel_area_m2 / 10_000.0

    @property
    def scheme(self) -> Scheme:
        return self.confusion.scheme

    @cached_property
    def metrics(self) -> Metrics:
        """Scores under FLAIR's convention for the scheme (computed once: the matrix is final)."""
        return compute_metrics(self.confusion)

    def to_dict(self) -> Dict[str, object]:
        """Everything as plain JSON types; undefined scores are ``None`` (JSON null)."""
        entries = self.scheme.entries
        return {
            "format": "flair-landcover-evaluation/1",
            "scheme": {"key": self.scheme.key, "title": self.scheme.title,
                       "ignored_values": list(self.scheme.ignored_values)},
            "metrics": self.metrics.to_dict(),
            "confusion_matrix": {
                "rows": "reference", "columns": "prediction",
                "values": [e.value for e in entries], "names": [e.name for e in entries],
                "counts": self.confusion.matrix.tolist()},
            "pixels": self.counts.to_dict(),
            "settings": self.settings,
            "notes": list(self.notes),
            "pairs": self.pairs,
            "headline": {"miou": self.headline_miou, "convention": self.headline_kind},
            "areas": self.areas(),
            "polygons": (self.polygons.to_dict(self.pixel_area_m2)
                         if self.polygons is not None else None),
            "same_input": self.same_input,
            "elapsed_s": round(self.elapsed_s, 3),
        }

    @property
    def headline_kind(self) -> str:
        """Which mIoU leads the report: over the classes present for one area (a class
        absent from a small area says nothing about the model), FLAIR's convention for
        many pairs (a test split, where it is the published number)."""
        return "flair" if self.pairs > 1 else "present"

    @property
    def headline_miou(self) -> Optional[float]:
        m = self.metrics
        return m.miou if self.headline_kind == "flair" else m.miou_present

    def areas(self) -> Dict[str, object]:
        """Areas in hectares: compared, not compared, and per class (annotated, predicted,
        correct); None when the pixel area is unknown."""
        if not self.pixel_area_m2:
            return {"pixel_area_m2": None}
        m = self.confusion.matrix
        return {
            "pixel_area_m2": self.pixel_area_m2,
            "evaluated_ha": self.hectares(self.counts.evaluated),
            "compared_ha": self.hectares(self.counts.compared),
            "not_compared_ha": self.hectares(self.counts.not_compared),
            "wrong_ha": self.hectares(int(m.sum() - np.trace(m))),
            "classes": {e.name: {"annotated_ha": self.hectares(int(m[i].sum())),
                                 "predicted_ha": self.hectares(int(m[:, i].sum())),
                                 "correct_ha": self.hectares(int(m[i, i]))}
                        for i, e in enumerate(self.scheme.entries)
                        if m[i].sum() or m[:, i].sum()},
        }


# --------------------------------------------------------------------------- agreement

def agreement_legend(mode: str = "binary",
                     scheme: Union[str, Scheme] = "flair19") -> List[Tuple[int, str, str]]:
    """(value, label, colour) of every agreement value but 0 (no data, transparent)."""
    _check_mode(mode)
    if mode == "binary":
        return [(AGREEMENT_CORRECT, "correct", CORRECT_COLOUR),
                (AGREEMENT_WRONG, "wrong", WRONG_COLOUR)]
    rows = [(AGREEMENT_CORRECT, "correct", CORRECT_COLOUR_REFERENCE_MODE)]
    for e in _scheme(scheme, "agreement legend").entries:
        rows.append((AGREEMENT_REFERENCE_OFFSET + e.value, f"wrong, reference {e.name}",
                     e.colour))
    return rows


def _check_mode(mode: str) -> None:
    if mode not in AGREEMENT_MODES:
        raise InputError(f"agreement mode {mode!r} is unknown; choose one of "
                         f"{', '.join(AGREEMENT_MODES)}")


def _agreement_block(ref: np.ndarray, pred: np.ndarray, mode: str,
                     values: np.ndarray) -> np.ndarray:
    """Agreement values of one block from the two rasters' slots."""
    out = np.zeros(ref.shape, dtype=np.uint8)
    valid = (ref >= _FIRST_CLASS_SLOT) & (pred >= _FIRST_CLASS_SLOT)
    r, p = ref[valid] - _FIRST_CLASS_SLOT, pred[valid] - _FIRST_CLASS_SLOT
    if mode == "binary":
        out[valid] = np.where(r == p, AGREEMENT_CORRECT, AGREEMENT_WRONG)
    else:
        out[valid] = np.where(r == p, AGREEMENT_CORRECT,
                              AGREEMENT_REFERENCE_OFFSET + values[r])
    return out


class _AgreementWriter:
    """The agreement GeoTIFF, under a temporary name until :meth:`commit`."""

    def __init__(self, path: PathLike, grid: Grid, mode: str, scheme: Scheme,
                 block: int, overwrite: bool) -> None:
        self.mode = mode
        self.values = np.array(scheme.values, dtype=np.int64)
        description = ("agreement: 1 correct, 2 wrong" if mode == "binary" else
                       f"agreement: 1 correct, {AGREEMENT_REFERENCE_OFFSET}+reference value "
                       f"({scheme.key}) where wrong")
        target = OutputTarget(os.fspath(path), 1, (description,), nodata=AGREEMENT_NODATA,
                              colormap=False)
        # GeoTIFF tiles must be multiples of 16: a tiny test block still gets valid tiles
        self.outputs = OutputSet(grid, [target], max(16, (block // 16) * 16), overwrite)
        try:
            table = {AGREEMENT_NODATA: (0, 0, 0, 0)}
            table.update({v: hex_to_rgb(c) + (255,) for v, _, c in
                          agreement_legend(mode, scheme)})
            self.outputs.datasets[0].write_colormap(1, table)
        except BaseException:
            self.outputs.abort()
            raise

    def write(self, window: PixelWindow, ref: np.ndarray, pred: np.ndarray) -> None:
        self.outputs.write(0, window, _agreement_block(ref, pred, self.mode, self.values))

    def commit(self) -> None:
        self.outputs.commit()

    def abort(self) -> None:
        self.outputs.abort()


# --------------------------------------------------------------------------- error layers
# Layers meant to lie over the imagery: every correct or uncompared pixel is 0, transparent.

CONFUSION_BASE = 100
"""Confusion value = (predicted entry + 1) * 100 + (reference entry + 1): for FLAIR codes,
``predicted code * 100 + annotated code`` (1003 = predicted building, annotated impervious
surface)."""


def error_value(index: int) -> int:
    """Value of the errors layer where the prediction is entry ``index`` of the report
    scheme and wrong: ``index + 1`` (the FLAIR code itself in ``flair19``)."""
    return index + 1


def confusion_value(predicted: int, reference: int) -> int:
    """Value of the confusion layer for entry indices (predicted, reference)."""
    return (predicted + 1) * CONFUSION_BASE + reference + 1


def errors_legend(confusion: ConfusionMatrix, pixel_area: float = 0.0
                  ) -> List[Tuple[int, str, str]]:
    """(value, label, colour) of the errors layer: one row per class predicted wrongly
    somewhere, the largest wrong area first; with hectares when ``pixel_area`` (m²) is
    given."""
    m = confusion.matrix
    wrong = m.sum(0) - np.diag(m)  # per predicted class
    rows = []
    for i in np.argsort(-wrong, kind="stable"):
        if not wrong[i]:
            continue
        e = confusion.scheme.entries[i]
        label = f"wrong, predicted {e.name}"
        if pixel_area:
            label += f" ({wrong[i] * pixel_area / 10_000:.4g} ha)"
        rows.append((error_value(int(i)), label, e.colour))
    return rows


def confusion_legend(confusion: ConfusionMatrix, pixel_area: float = 0.0
                     ) -> List[Tuple[int, str, str]]:
    """(value, label, colour) of every (predicted, annotated) pair present off the
    diagonal, the largest first, coloured as the predicted class; with the area in
    hectares when ``pixel_area`` (m²) is given."""
    entries = confusion.scheme.entries
    m = confusion.matrix
    rows = []
    for r, p in zip(*np.nonzero(m)):
        if r == p:
            continue
        label = f"predicted {entries[p].name} / annotated {entries[r].name}"
        if pixel_area:
            label += f" ({m[r, p] * pixel_area / 10_000:.4g} ha)"
        rows.append((int(m[r, p]), confusion_value(int(p), int(r)), label, entries[p].colour))
    rows.sort(key=lambda row: (-row[0], row[1]))
    return [row[1:] for row in rows]


def _errors_block(ref: np.ndarray, pred: np.ndarray) -> np.ndarray:
    out = np.zeros(ref.shape, dtype=np.uint8)
    wrong = (ref >= _FIRST_CLASS_SLOT) & (pred >= _FIRST_CLASS_SLOT) & (ref != pred)
    out[wrong] = pred[wrong] - _FIRST_CLASS_SLOT + 1
    return out


def _confusion_block(ref: np.ndarray, pred: np.ndarray) -> np.ndarray:
    out = np.zeros(ref.shape, dtype=np.uint16)
    wrong = (ref >= _FIRST_CLASS_SLOT) & (pred >= _FIRST_CLASS_SLOT) & (ref != pred)
    p = pred[wrong].astype(np.uint16) - _FIRST_CLASS_SLOT + 1
    r = ref[wrong].astype(np.uint16) - _FIRST_CLASS_SLOT + 1
    out[wrong] = p * CONFUSION_BASE + r
    return out


class _LayerWriter:
    """One error layer (GeoTIFF on the evaluated window), temporary until :meth:`commit`."""

    def __init__(self, path: str, grid: Grid, block: int, overwrite: bool, kind: str,
                 scheme: Scheme) -> None:
        self.kind = kind
        self.block_fn = _errors_block if kind == "errors" else _confusion_block
        # the band description is what QGIS's legend shows above the classes: short
        description = ("wrong pixels, by predicted class" if kind == "errors" else
                       "wrong pixels, by (predicted, annotated) pair")
        target = OutputTarget(path, 1, (description,), nodata=0,
                              dtype="uint8" if kind == "errors" else "uint16")
        self.outputs = OutputSet(grid, [target], max(16, (block // 16) * 16), overwrite)

    def write(self, window: PixelWindow, ref: np.ndarray, pred: np.ndarray) -> None:
        self.outputs.write(0, window, self.block_fn(ref, pred))

    def commit(self) -> None:
        self.outputs.commit()

    def abort(self) -> None:
        self.outputs.abort()


# --------------------------------------------------------------------------- reading

def _is_integer(dtype: str) -> bool:
    return np.issubdtype(np.dtype(dtype), np.integer)


class _ClassReader:
    """One band of a class raster, read as slots of the report scheme (see ``_NODATA_SLOT``)."""

    def __init__(self, label: str, path: str, band: int, scheme: Scheme, target: Scheme,
                 grid_of: Optional[rasterio.io.DatasetReader] = None) -> None:
        self.label, self.path, self.band, self.scheme = label, path, band, scheme
        self.notes: List[str] = []
        self.warp_note: Optional[str] = None  # set when read through a warp
        self.ds = _open(path, label)
        self.vrt: Optional[WarpedVRT] = None
        try:
            self._check_band()
            self.nodata = self.ds.nodata
            self.use_mask = not ({MaskFlags.per_dataset, MaskFlags.alpha}
                                 .isdisjoint(self.ds.mask_flag_enums[band - 1]))
            mapping = scheme_mapping(scheme, target)
            self.table = np.where(mapping >= 0, mapping + _FIRST_CLASS_SLOT,
                                  _STRAY_SLOT).astype(np.uint8)
            if NODATA not in scheme.values:
                self.table[NODATA] = _NODATA_SLOT  # 0 is free in this scheme: our no-data
            self._declared_nodata_in_table()
            if grid_of is not None and not same_grid(Grid.of(self.ds), Grid.of(grid_of)):
                self._open_warped(grid_of)
        except BaseException:
            self.close()
            raise

    def _check_band(self) -> None:
        if not 1 <= self.band <= self.ds.count:
            raise InputError(f"{self.label} {self.path} has {self.ds.count} band(s); band "
                             f"{self.band} does not exist: choose a band from 1 to "
                             f"{self.ds.count}")
        dtype = self.ds.dtypes[self.band - 1]
        if not _is_integer(dtype):
            raise InputError(f"{self.label} {self.path} band {self.band} holds {dtype} "
                             f"values; a class raster holds integer class values: choose the "
                             f"class band or convert the raster to integers")

    def _declared_nodata_in_table(self) -> None:
        nd = self.nodata
        if nd is None or not math.isfinite(nd) or nd != int(nd):
            self.nodata = None
            return
        nd = int(nd)
        if 0 <= nd < 256:
            if nd in self.scheme.values:
                self.notes.append(
                    f"{self.label} declares nodata = {nd}, which is class "
                    f"{self.scheme.entry(nd).name!r} in scheme {self.scheme.key!r}: those "
                    f"pixels are treated as no data")
            self.table[nd] = _NODATA_SLOT
        self.nodata = nd

    def _open_warped(self, grid: rasterio.io.DatasetReader) -> None:
        if (self.ds.crs is None) != (grid.crs is None):
            has, lacks = (self.label, "the prediction") if grid.crs is None else \
                ("the prediction", self.label)
            raise InputError(f"{has} has a CRS but {lacks} has none, so they cannot be "
                             f"overlaid: assign the right CRS (e.g. gdal_edit.py -a_srs "
                             f"EPSG:2154)")
        if self.ds.crs is None:
            raise InputError(f"{self.label} and the prediction have no CRS and different "
                             f"grids ({Grid.of(self.ds).describe()} vs "
                             f"{Grid.of(grid).describe()}): assign their CRS or give rasters "
                             f"of the same size and transform")
        left, bottom, right, top = transform_bounds(self.ds.crs, grid.crs, *self.ds.bounds,
                                                    densify_pts=21)
        g = grid.bounds
        if right <= g.left or left >= g.right or top <= g.bottom or bottom >= g.top:
            raise InputError(f"{self.label} {self.path} does not overlap the prediction "
                             f"(bounds in {grid.crs.to_string()}: ({left:.2f}, {bottom:.2f},"
                             f" {right:.2f}, {top:.2f}) vs ({g.left:.2f}, {g.bottom:.2f}, "
                             f"{g.right:.2f}, {g.top:.2f})): check the files and their CRS")
        self.vrt = WarpedVRT(self.ds, crs=grid.crs, transform=grid.transform,
                             width=grid.width, height=grid.height,
                             resampling=Resampling.nearest, add_alpha=True)
        self.warp_note = (f"{self.label} read on the prediction grid through a warp with "
                          f"nearest-neighbour resampling ({self.label}: "
                          f"{Grid.of(self.ds).describe()}; prediction: "
                          f"{Grid.of(grid).describe()})")

    def read(self, window: PixelWindow) -> Tuple[np.ndarray, np.ndarray]:
        """(slots uint8, raw values) of ``window`` on the prediction grid."""
        w = Window(window.col_off, window.row_off, window.width, window.height)
        if self.vrt is not None:
            data = self.vrt.read([self.band, self.vrt.count], window=w)
            values, valid = data[0], data[1] > 0
        else:
            values = self.ds.read(self.band, window=w)
            valid = self.ds.read_masks(self.band, window=w) > 0 if self.use_mask else None
        index = self._lookup(values)
        if valid is not None:
            index[~valid] = _NODATA_SLOT
        return index, values

    def _lookup(self, values: np.ndarray) -> np.ndarray:
        if values.dtype == np.uint8:
            return self.table[values]
        inside = (values >= 0) & (values < 256)
        index = np.where(inside, self.table[np.where(inside, values, 0)], _STRAY_SLOT)
        if self.nodata is not None and not 0 <= self.nodata < 256:
            index[values == self.nodata] = _NODATA_SLOT
        return index.astype(np.uint8)

    def close(self) -> None:
        if self.vrt is not None:
            self.vrt.close()
            self.vrt = None
        self.ds.close()


class _PolygonReader:
    """Polygon annotations read like a class raster: slots of the report scheme.

    Pixels under no polygon, under overlapping polygons of different classes, or under
    polygons whose value is not mapped are no data for the matrix; :attr:`stats` counts
    each kind and :meth:`polygon_notes` says so in the report.
    """

    def __init__(self, label: str, path: str, spec: "VectorReference", target: Scheme,
                 grid_of: rasterio.io.DatasetReader, region: PixelWindow) -> None:
        self.label, self.path = label, path
        self.scheme = spec.scheme
        self.notes: List[str] = []
        self.grid = Grid.of(grid_of)
        mapping = scheme_mapping(self.scheme, target)
        self.table = np.where(mapping >= 0, mapping + _FIRST_CLASS_SLOT,
                              _STRAY_SLOT).astype(np.uint8)
        self.rasteriser = PolygonRasteriser(path, spec.field, self.grid, self.scheme,
                                            mapping=spec.mapping, layer=spec.layer,
                                            region=region)
        self.warp_note = None
        if self.rasteriser.reprojected:
            self.warp_note = (f"{label}: polygons reprojected from "
                              f"{self.rasteriser.layer_crs.to_string()} to the prediction's "
                              f"CRS and burnt on its grid (pixel centres)")

    @property
    def stats(self) -> PolygonStats:
        return self.rasteriser.stats

    def read(self, window: PixelWindow, tally: bool = True
             ) -> Tuple[np.ndarray, np.ndarray]:
        """(slots, values) of ``window``; ``tally`` False for a sample read (a check before
        the run) that must not enter the annotation's statistics."""
        values, compared = self.rasteriser.read(window, tally)
        slots = self.table[np.clip(values, 0, 255)]
        slots[~compared] = _NODATA_SLOT
        return slots, values

    def close(self) -> None:
        self.rasteriser.close()


@dataclass(frozen=True)
class VectorReference:
    """A polygon annotation: which field holds the class, and what its values mean.

    ``mapping`` maps the field's values (any nomenclature) to FLAIR codes; without it the
    field holds values of ``scheme``. ``layer``: a layer of a multi-layer file.
    """

    field: str
    mapping: Optional[ClassMapping] = None
    layer: Optional[str] = None
    scheme_key: str = "flair19"

    @property
    def scheme(self) -> Scheme:
        return scheme_by_key("flair19" if self.mapping is not None else self.scheme_key)


class _AreaMask:
    """Polygons of an area of interest (a commune, a mask layer) burnt on the prediction
    grid block by block: only the pixels inside are evaluated."""

    def __init__(self, path: str, layer: Optional[str], grid: Grid) -> None:
        # no class is read from an area: any scheme does
        self.rasteriser = PolygonRasteriser(path, "", grid, scheme_by_key("flair19"),
                                            layer=layer, count_only=True)
        self.rasteriser.polygon_index()
        self.path = path

    def bounds(self) -> Tuple[float, float, float, float]:
        """The polygons' extent in the prediction's CRS."""
        return self.rasteriser.extent()

    def inside(self, window: PixelWindow) -> np.ndarray:
        index, _ = self.rasteriser.burn_index(window)
        return index >= 0

    def close(self) -> None:
        self.rasteriser.close()


def _open(path: str, label: str) -> rasterio.io.DatasetReader:
    if not os.path.exists(path):
        raise InputError(f"{label} raster {path} does not exist")
    try:
        return rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"cannot read {label} {path} as a raster: {exc}") from None


def _count_strays(slots: np.ndarray, values: np.ndarray, into: Dict[int, int]) -> None:
    found, counts = np.unique(values[slots == _STRAY_SLOT], return_counts=True)
    for v, c in zip(found.tolist(), counts.tolist()):
        into[int(v)] = into.get(int(v), 0) + int(c)


def _blocks(region: PixelWindow, block: int) -> Iterator[PixelWindow]:
    for r in range(region.row_off, region.row_end, block):
        for c in range(region.col_off, region.col_end, block):
            yield PixelWindow(c, r, min(block, region.col_end - c),
                              min(block, region.row_end - r))


# --------------------------------------------------------------------------- evaluation

@dataclass(frozen=True)
class _Options:
    prediction_scheme: Scheme
    reference_scheme: Scheme
    scheme: Scheme
    band: int
    reference_band: int
    block: int


def _check_options(prediction_scheme, reference_scheme, scheme, band, reference_band,
                   block) -> _Options:
    opts = _Options(_scheme(prediction_scheme, "prediction scheme"),
                    _scheme(reference_scheme, "reference scheme"),
                    _scheme(scheme, "report scheme"), band, reference_band, block)
    for name, value in (("band", band), ("reference_band", reference_band),
                        ("block", block)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise InputError(f"{name} must be a positive integer, got {value!r}")
    # both mappings are checked now, before any file is opened
    scheme_mapping(opts.prediction_scheme, opts.scheme)
    scheme_mapping(opts.reference_scheme, opts.scheme)
    return opts


class _SchemeGuard:
    """Stops early when a raster's first data holds no value of its scheme at all.

    The usual cause is a wrong scheme (a 0-based FLAIR-HUB raster read as ``flair19``) or
    an undeclared no-data value; finding it on the first block saves a whole run.
    """

    def __init__(self) -> None:
        self.checked: Dict[str, bool] = {}

    def check(self, reader: _ClassReader, index: np.ndarray, values: np.ndarray) -> None:
        if self.checked.get(reader.label):
            return
        data = index != _NODATA_SLOT
        if not data.any():
            return
        self.checked[reader.label] = True
        if (index[data] >= _FIRST_CLASS_SLOT).any():
            return
        found = sorted(int(v) for v in np.unique(values[data]))
        shown = ", ".join(map(str, found[:12])) + (" ..." if len(found) > 12 else "")
        fits = schemes_covering(found)
        hint = (f"scheme(s) {', '.join(fits)} fit these values" if fits else
                "if a value means no data, declare it as the raster's nodata "
                "(gdal_edit.py -a_nodata VALUE)")
        raise InputError(f"{reader.label} {reader.path}: its first data pixels hold only "
                         f"values outside scheme {reader.scheme.key!r} ({shown}); {hint}")


@dataclass(frozen=True)
class LayerRequest:
    """The per-pixel layers one evaluation writes (None: not asked for)."""

    agreement: Optional[str] = None
    agreement_mode: str = "binary"
    errors: Optional[str] = None
    confusion: Optional[str] = None
    overwrite: bool = False

    @property
    def paths(self) -> List[str]:
        return [p for p in (self.agreement, self.errors, self.confusion) if p]


@dataclass
class _One:
    cm: ConfusionMatrix
    counts: PixelCounts
    notes: List[str]
    warp_note: Optional[str]
    pixel_area: float
    polygons: Optional[PolygonStats] = None
    sinks: List[object] = field(default_factory=list)


SAMPLE_WINDOWS = 4  # per side: 16 windows spread over the evaluated area
SAMPLE_SIZE = 128
BETTER_FIT = 0.25  # agreement gained by another scheme that is no accident


def _slot_table(source: Scheme, target: Scheme) -> Optional[np.ndarray]:
    """Value -> slot of ``target`` for a raster of scheme ``source``; None when its values
    cannot be mapped into ``target`` (a grouped class)."""
    try:
        mapping = scheme_mapping(source, target)
    except InputError:
        return None
    table = np.where(mapping >= 0, mapping + _FIRST_CLASS_SLOT, _STRAY_SLOT).astype(np.uint8)
    if NODATA not in source.values:
        table[NODATA] = _NODATA_SLOT
    return table


FIT_MIN_PIXELS = 10_000
"""Pixels compared with the reference before the prediction's scheme is judged."""


class SchemeFit:
    """Judges the prediction's declared scheme against the reference, before scoring.

    The prediction's values are compared with the reference under the declared scheme and
    under every other scheme. A 0-based FLAIR-1 zone-detection raster read as FLAIR codes
    agrees with nothing (each class is shifted by one class): once
    :data:`FIT_MIN_PIXELS` pixels are compared, when another scheme agrees clearly better
    (by :data:`BETTER_FIT`), the run stops and names it.
    """

    def __init__(self, declared: Scheme, target: Scheme, nodata: Optional[int]) -> None:
        self.declared, self.nodata = declared.key, nodata
        self.tables = {key: t for key, s in SCHEMES.items()
                       if (t := _slot_table(s, target)) is not None}
        self.hits = dict.fromkeys(self.tables, 0)
        self.pixels = 0
        self.done = self.declared not in self.tables

    def add(self, p_slots: np.ndarray, p_values: np.ndarray, r_slots: np.ndarray) -> None:
        """Count one block (or sample); judge once enough pixels were seen.

        Raises:
            InputError: another scheme fits clearly better, naming it.
        """
        if self.done:
            return
        data = (p_slots != _NODATA_SLOT) & (r_slots >= _FIRST_CLASS_SLOT)
        if self.nodata is not None:
            data &= p_values != self.nodata
        values = np.clip(p_values[data], 0, 255).astype(np.intp)
        truth = r_slots[data]
        for key, table in self.tables.items():
            self.hits[key] += int((table[values] == truth).sum())
        self.pixels += int(data.sum())
        if self.pixels >= FIT_MIN_PIXELS:
            self.judge()

    def judge(self) -> None:
        """Decide on what was seen (also called at the end of a small raster).

        Raises:
            InputError: another scheme fits clearly better, naming it.
        """
        if self.done:
            return
        self.done = True
        if not self.pixels:
            return
        score = {k: hits / self.pixels for k, hits in self.hits.items()}
        best = max(score, key=score.get)
        if best != self.declared and score[best] >= score[self.declared] + BETTER_FIT:
            raise InputError(
                f"the prediction's values do not look like scheme {self.declared!r}: "
                f"{100 * score[self.declared]:.1f} % of the {self.pixels:,} pixels checked "
                f"agree with the reference read that way, {100 * score[best]:.1f} % read as "
                f"{best!r} ({SCHEMES[best].title}); set what the prediction's values mean "
                f"to {best!r} (the report's classes are a separate choice)")


def check_scheme_fit(pred: "_ClassReader", ref, region: PixelWindow, target: Scheme
                     ) -> SchemeFit:
    """A first judgement on a few windows spread over the area, before any block is read
    (a whole run saved); returns the judge, to go on over the blocks when the sample held
    too few annotated pixels (sparse polygons).

    Raises:
        InputError: another scheme fits clearly better, naming it.
    """
    fit = SchemeFit(pred.scheme, target, pred.nodata)
    step_r = max(1, (region.height - SAMPLE_SIZE) // max(1, SAMPLE_WINDOWS - 1))
    step_c = max(1, (region.width - SAMPLE_SIZE) // max(1, SAMPLE_WINDOWS - 1))
    seen = set()
    for i in range(SAMPLE_WINDOWS):
        for j in range(SAMPLE_WINDOWS):
            r0 = region.row_off + min(i * step_r, max(0, region.height - SAMPLE_SIZE))
            c0 = region.col_off + min(j * step_c, max(0, region.width - SAMPLE_SIZE))
            window = PixelWindow(c0, r0, min(SAMPLE_SIZE, region.width),
                                 min(SAMPLE_SIZE, region.height))
            if window in seen or fit.done:
                continue
            seen.add(window)
            p_slots, p_values = pred.read(window)
            r_slots, _ = (ref.read(window, tally=False) if isinstance(ref, _PolygonReader)
                          else ref.read(window))
            fit.add(p_slots, p_values, r_slots)
    if not fit.done and fit.pixels:
        # the sample saw too few pixels for a verdict: the blocks go on counting, from zero
        # (the sampled windows will be read again)
        fit = SchemeFit(pred.scheme, target, pred.nodata)
    return fit


def _evaluate_one(prediction_path: str, reference_path: str, opts: _Options, *,
                  extent: Optional[Sequence[float]], layers: Optional[LayerRequest],
                  progress: Optional[Progress], cancel: Optional[Cancel],
                  vector: Optional[VectorReference] = None,
                  sinks: Sequence[object] = (),
                  area: Optional[Tuple[str, Optional[str]]] = None,
                  check_scheme: bool = True) -> _One:
    """The matrix, counts and notes of one prediction/reference pair, and the note saying
    how the reference was warped or reprojected (None when it was read directly).

    ``sinks``: extra block consumers: ``start(grid, scheme)`` before the first block,
    then ``add(window, ref_index, pred_index)`` per block, on the evaluated window, with
    entry indices of the report scheme (-1 where not compared).
    """
    pred = _ClassReader("prediction", prediction_path, opts.band, opts.prediction_scheme,
                        opts.scheme)
    ref = mask = None
    writers: List[object] = []
    try:
        region = PixelWindow(0, 0, pred.ds.width, pred.ds.height)
        crs = pred.ds.crs.to_string() if pred.ds.crs else "the prediction's CRS"
        if extent is not None:
            region = window_from_extent(pred.ds.transform, pred.ds.width, pred.ds.height,
                                        extent, crs)
        if area is not None:
            mask = _AreaMask(area[0], area[1], Grid.of(pred.ds))
            inner = window_from_extent(pred.ds.transform, pred.ds.width, pred.ds.height,
                                       mask.bounds(), crs).intersection(region)
            if inner is None:
                raise InputError(f"the area of interest {area[0]} does not overlap the "
                                 f"prediction (or the extent): check its CRS and extent")
            region = inner
        if vector is not None:
            ref = _PolygonReader("reference", reference_path, vector, opts.scheme,
                                 grid_of=pred.ds, region=region)
        else:
            ref = _ClassReader("reference", reference_path, opts.reference_band,
                               opts.reference_scheme, opts.scheme, grid_of=pred.ds)
        grid = Grid(pred.ds.crs, pred.ds.window_transform(
            Window(region.col_off, region.row_off, region.width, region.height)),
            region.width, region.height)
        if layers is not None and layers.paths:
            check_output_paths(layers.paths, [prediction_path, reference_path],
                               layers.overwrite, geotiffs=layers.paths)
            if layers.agreement:
                writers.append(_AgreementWriter(layers.agreement, grid, layers.agreement_mode,
                                                opts.scheme, opts.block, layers.overwrite))
            for kind in ("errors", "confusion"):
                path = getattr(layers, kind)
                if path:
                    writers.append(_LayerWriter(path, grid, opts.block, layers.overwrite,
                                                kind, opts.scheme))
        fit = check_scheme_fit(pred, ref, region, opts.scheme) if check_scheme else None
        for sink in sinks:
            sink.start(grid, opts.scheme)
        cm, counts = _stream(pred, ref, region, opts, writers, sinks, progress, cancel,
                             mask, fit)
        if writers:
            if counts.compared == 0:
                # an error map with nothing compared is only misleading
                raise _nothing_compared(counts)
            for writer in writers:
                writer.commit()
            writers = []
        notes = pred.notes + ref.notes
        polygons = ref.stats if isinstance(ref, _PolygonReader) else None
        area = pixel_area_m2(Grid.of(pred.ds))
        if polygons is not None:
            notes += polygons.notes(area)
        return _One(cm, counts, notes, ref.warp_note, area, polygons)
    finally:
        for writer in writers:
            writer.abort()
        if ref is not None:
            ref.close()
        if mask is not None:
            mask.close()
        pred.close()


def _stream(pred: _ClassReader, ref, region: PixelWindow, opts: _Options,
            writers: Sequence[object], sinks: Sequence[object], progress, cancel,
            mask: Optional[_AreaMask] = None, fit: Optional[SchemeFit] = None
            ) -> Tuple[ConfusionMatrix, PixelCounts]:
    counts = PixelCounts()
    outside = 0
    guard = _SchemeGuard()
    slots = _FIRST_CLASS_SLOT + len(opts.scheme.entries)
    pairs = np.zeros((slots, slots), dtype=np.int64)  # rows: reference slot
    n_blocks = math.ceil(region.width / opts.block) * math.ceil(region.height / opts.block)
    for done, window in enumerate(_blocks(region, opts.block), start=1):
        if cancel is not None and cancel():
            raise EvaluationCancelled("evaluation cancelled")
        p_slots, p_values = pred.read(window)
        r_slots, r_values = ref.read(window)
        if mask is not None:
            # outside the area of interest: neither evaluated nor written
            out = ~mask.inside(window)
            p_slots[out] = _NODATA_SLOT
            r_slots[out] = _NODATA_SLOT
            outside += int(out.sum())
        guard.check(pred, p_slots, p_values)
        if isinstance(ref, _ClassReader):
            guard.check(ref, r_slots, r_values)
        if fit is not None:
            fit.add(p_slots, p_values, r_slots)  # raises before any file is committed
        flat = r_slots.astype(np.intp) * slots
        flat += p_slots
        block_pairs = np.bincount(flat.ravel(), minlength=slots * slots).reshape(slots, slots)
        pairs += block_pairs
        if block_pairs[:, _STRAY_SLOT].any():
            _count_strays(p_slots, p_values, counts.stray_prediction)
        if block_pairs[_STRAY_SLOT].any():
            _count_strays(r_slots, r_values, counts.stray_reference)
        for writer in writers:
            writer.write(window.relative_to(region), r_slots, p_slots)
        if sinks:
            # sinks see entry indices of the report scheme, -1 where not compared
            r_index = r_slots.astype(np.int16) - _FIRST_CLASS_SLOT
            p_index = p_slots.astype(np.int16) - _FIRST_CLASS_SLOT
            for sink in sinks:
                sink.add(window.relative_to(region), r_index, p_index)
        if progress is not None:
            progress(done / n_blocks, f"block {done}/{n_blocks}")
    if cancel is not None and cancel():  # asked during the last block: nothing committed yet
        raise EvaluationCancelled("evaluation cancelled")
    if fit is not None:
        fit.judge()  # a small annotation: judged on all it holds
    cm = ConfusionMatrix(opts.scheme, pairs[_FIRST_CLASS_SLOT:, _FIRST_CLASS_SLOT:])
    counts.evaluated = region.area - outside
    counts.compared = cm.total
    counts.nodata_prediction = int(pairs[:, _NODATA_SLOT].sum()) - outside
    counts.nodata_reference = int(pairs[_NODATA_SLOT].sum()) - outside
    return cm, counts


def _stray_notes(counts: PixelCounts, opts: _Options) -> List[str]:
    notes = []
    for label, strays, s in (("prediction", counts.stray_prediction, opts.prediction_scheme),
                             ("reference", counts.stray_reference, opts.reference_scheme)):
        if strays:
            listed = ", ".join(f"{v}: {n} px" for v, n in sorted(strays.items())[:12])
            notes.append(f"{label} holds values outside scheme {s.key!r} (stray values, not "
                         f"compared): {listed}")
    return notes


def _nothing_compared(counts: PixelCounts) -> InputError:
    return InputError(
        f"no pixel could be compared: of {counts.evaluated} pixels, "
        f"{counts.nodata_prediction} are no data in the prediction, "
        f"{counts.nodata_reference} no data in (or outside) the reference, and the rest "
        f"hold values outside the schemes; check the schemes, bands and extent")


def _finish(cm: ConfusionMatrix, counts: PixelCounts, settings: Dict[str, object],
            notes: List[str], opts: _Options, started: float, pairs: int) -> EvaluationResult:
    notes = list(dict.fromkeys(notes + _stray_notes(counts, opts)))
    if counts.compared == 0:
        raise _nothing_compared(counts)
    return EvaluationResult(cm, counts, settings, notes, time.perf_counter() - started, pairs)


def evaluate_rasters(prediction_path: PathLike, reference_path: PathLike, *,
                     prediction_scheme: Union[str, Scheme] = "flair19",
                     reference_scheme: Union[str, Scheme] = "flair19",
                     scheme: Union[str, Scheme] = "flair19",
                     band: int = 1, reference_band: int = 1,
                     extent: Optional[Sequence[float]] = None,
                     agreement_path: Optional[PathLike] = None,
                     agreement_mode: str = "binary", overwrite: bool = False,
                     errors_path: Optional[PathLike] = None,
                     confusion_path: Optional[PathLike] = None,
                     reference_field: Optional[str] = None,
                     reference_mapping: Optional[ClassMapping] = None,
                     reference_layer: Optional[str] = None,
                     area_path: Optional[PathLike] = None,
                     area_layer: Optional[str] = None,
                     block: int = DEFAULT_BLOCK,
                     sinks: Sequence[object] = (),
                     progress: Optional[Progress] = None,
                     cancel: Optional[Cancel] = None,
                     check_scheme: bool = True) -> EvaluationResult:
    """Score a class raster against a reference raster or polygons, block by block.

    Args:
        prediction_path: a single-band (or ``band``) integer raster.
        reference_path: an integer raster (``reference_band``), read on the prediction's
            grid (nearest neighbour through a warp when CRS or grid differ); or, with
            ``reference_field``, a polygon layer burnt on the prediction's grid block by
            block (any CRS: the polygons are reprojected).
        prediction_scheme, reference_scheme: what each raster's values mean
            (``nomenclature.SCHEMES`` keys); for polygons without a mapping, what the
            field's values mean.
        scheme: the scheme the scores are reported in; both are mapped into it through
            FLAIR codes. Its ``ignored_values`` and :mod:`.metrics` give FLAIR's mIoU
            convention.
        extent: (xmin, ymin, xmax, ymax) in the prediction's CRS; only the prediction
            pixels it touches are scored (and written to the layers).
        agreement_path: optional uint8 GeoTIFF of agreement (see the module doc);
            ``agreement_mode`` "binary" or "reference". ``overwrite`` allows replacing it.
        errors_path: optional uint8 GeoTIFF: 0 where correct or not compared
            (transparent over the imagery), :func:`error_value` of the predicted class
            where wrong.
        confusion_path: optional uint16 GeoTIFF: 0 where correct or not compared,
            :func:`confusion_value` of the (predicted, annotated) pair where wrong.
        reference_field: the class field of a polygon reference.
        reference_mapping: values of that field -> FLAIR codes (any nomenclature).
        reference_layer: the layer of a multi-layer vector file.
        area_path: polygons of an area of interest (a commune, a mask; any CRS): only
            the pixels inside them are evaluated and written; ``area_layer`` its layer.
        block: pixels per side of the blocks read at once (memory ≈ 20 bytes × block²;
            a multiple of 256 keeps the layers' writes aligned on their tiles).
        sinks: extra block consumers (hot-spot grid, per-polygon statistics).
        progress: called as ``progress(fraction, message)`` (fraction done, 0..1) after
            each block, like the inference's callback.
        cancel: called before each block; returning True stops with
            :class:`EvaluationCancelled`, leaving no file.
        check_scheme: judge the prediction's declared scheme against the reference
            (:class:`SchemeFit`). False for the maps of a before/after comparison of
            models: a model that confuses neighbouring classes looks like a map shifted
            by one, and the comparison is of maps whose scheme is known.

    Raises:
        InputError: a bad input or setting (before any work), or no pixel compared.
    """
    started = time.perf_counter()
    opts = _check_options(prediction_scheme, reference_scheme, scheme, band, reference_band,
                          block)
    _check_mode(agreement_mode)
    prediction_path, reference_path = os.fspath(prediction_path), os.fspath(reference_path)
    vector = None
    if reference_field:
        vector = VectorReference(reference_field, reference_mapping, reference_layer,
                                 opts.reference_scheme.key)
        # polygons with a mapping are burnt as FLAIR codes
        opts = _Options(opts.prediction_scheme, vector.scheme, opts.scheme, opts.band,
                        opts.reference_band, opts.block)
        scheme_mapping(opts.reference_scheme, opts.scheme)
    layers = LayerRequest(
        agreement=os.fspath(agreement_path) if agreement_path else None,
        agreement_mode=agreement_mode,
        errors=os.fspath(errors_path) if errors_path else None,
        confusion=os.fspath(confusion_path) if confusion_path else None,
        overwrite=overwrite)
    same = same_file(prediction_path, reference_path)
    one = _evaluate_one(prediction_path, reference_path, opts, extent=extent, layers=layers,
                        progress=progress, cancel=cancel, vector=vector, sinks=sinks,
                        area=(os.fspath(area_path), area_layer) if area_path else None,
                        check_scheme=check_scheme)
    notes = list(one.notes)
    if same:
        notes.insert(0, SAME_INPUT_WARNING)
    if one.warp_note:
        notes.append(one.warp_note)
    settings = _settings(opts) | {
        "prediction": prediction_path, "reference": reference_path,
        "reference_kind": "polygons" if vector else "raster",
        "reference_field": reference_field,
        "reference_mapping": reference_mapping.source if reference_mapping else None,
        "extent": list(map(float, extent)) if extent is not None else None,
        "area_of_interest": os.fspath(area_path) if area_path else None,
        "reference_resampled": one.warp_note is not None,
        "agreement_path": layers.agreement,
        "agreement_mode": agreement_mode if layers.agreement else None,
        "agreement_legend": ([list(r) for r in agreement_legend(agreement_mode, opts.scheme)]
                             if layers.agreement else None),
        "errors_path": layers.errors, "confusion_path": layers.confusion}
    result = _finish(one.cm, one.counts, settings, notes, opts, started, 1)
    result.pixel_area_m2 = one.pixel_area
    result.polygons = one.polygons
    result.same_input = same
    return result


SAME_INPUT_WARNING = ("the prediction and the reference are the same file: the scores "
                      "compare a layer with itself and say nothing about the model; choose "
                      "the annotation as reference")


def same_file(a: PathLike, b: PathLike) -> bool:
    """True when ``a`` and ``b`` name one file (links included)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _settings(opts: _Options) -> Dict[str, object]:
    return {"prediction_scheme": opts.prediction_scheme.key,
            "reference_scheme": opts.reference_scheme.key, "scheme": opts.scheme.key,
            "band": int(opts.band), "reference_band": int(opts.reference_band),
            "block": int(opts.block)}


MAX_LISTED_PAIRS = 20


def evaluate_pairs(pairs: Sequence[Tuple[PathLike, PathLike]], *,
                   prediction_scheme: Union[str, Scheme] = "flair19",
                   reference_scheme: Union[str, Scheme] = "flair19",
                   scheme: Union[str, Scheme] = "flair19",
                   band: int = 1, reference_band: int = 1,
                   block: int = DEFAULT_BLOCK,
                   progress: Optional[Progress] = None,
                   cancel: Optional[Cancel] = None) -> EvaluationResult:
    """One confusion matrix over many (prediction, reference) pairs, e.g. FLAIR patches.

    This is how FLAIR scores a test split: the per-patch matrices are summed, then scored
    once (never a mean of per-patch mIoUs). Each pair is read like
    :func:`evaluate_rasters` reads one (the reference on the prediction's grid).
    ``progress(fraction, message)`` gets the fraction of all pairs done; ``cancel`` is
    checked before each block.
    """
    started = time.perf_counter()
    opts = _check_options(prediction_scheme, reference_scheme, scheme, band, reference_band,
                          block)
    pairs = [(os.fspath(p), os.fspath(r)) for p, r in pairs]
    if not pairs:
        raise InputError("no (prediction, reference) pair to evaluate")
    for p, r in pairs:
        for label, path in (("prediction", p), ("reference", r)):
            if not os.path.exists(path):
                raise InputError(f"{label} raster {path} does not exist (pair {Path(p).name}, "
                                 f"{Path(r).name})")
    total, counts, notes = ConfusionMatrix(opts.scheme), PixelCounts(), []
    warped, area = 0, 0.0
    for i, (p, r) in enumerate(pairs):
        part = None if progress is None else (
            lambda f, _msg, i=i, name=Path(p).name: progress(
                (i + f) / len(pairs), f"pair {i + 1}/{len(pairs)}: {name}"))
        one = _evaluate_one(p, r, opts, extent=None, layers=None, progress=part,
                            cancel=cancel)
        total += one.cm
        counts.add(one.counts)
        area = one.pixel_area
        # one warp note per pair would drown the others: they are summed up below
        warped += one.warp_note is not None
        notes.extend(one.notes)
    if warped:
        notes.append(f"the reference was read through a nearest-neighbour warp onto the "
                     f"prediction grid for {warped} of {len(pairs)} pairs")
    settings = _settings(opts) | {
        "pairs": len(pairs), "pairs_with_reference_resampled": warped,
        "pair_list": [list(pr) for pr in pairs[:MAX_LISTED_PAIRS]],
        "pair_list_truncated": len(pairs) > MAX_LISTED_PAIRS}
    result = _finish(total, counts, settings, notes, opts, started, len(pairs))
    result.pixel_area_m2 = area  # the pairs of a split share one resolution (FLAIR: 0.2 m)
    return result

"""Training patches from your own annotations: imagery + polygons (or a class raster) ->
FLAIR-shaped ``IMG_<id>.tif`` / ``MSK_<id>.tif`` patches that ``flair:train`` reads.

A photo-interpreter's polygons cover a small share of an orthophoto. The export reads the
imagery exactly as the segmentation does (:mod:`..io.sources`: one raster, or R,G,B +
near-infrared + elevation layers, resampled onto a grid at the model's resolution) and
cuts the annotated region into patches of the model's tile size:

* the mask holds FLAIR codes where a polygon says so (its class field through the user's
  nomenclature table, :class:`..evaluation.mapping.ClassMapping`, burnt block by block by
  :class:`..evaluation.vectors.PolygonRasteriser`), and
  :data:`~...nomenclature.NOT_ANNOTATED` (0) everywhere else: pixels no polygon covers,
  polygons in conflict or not mapped, no-data imagery, outside the area of interest. The
  training ignores those pixels (:data:`..training.losses.IGNORE_INDEX`): sparse labels.
* Patches are split into train and validation by **spatial blocks** of
  ``split_block × split_block`` patches: neighbouring patches fall in one split, so
  validation never scores pixels whose neighbours (or whose very polygon, when a polygon
  spans patches inside a block) were trained on. Whole blocks go to validation, drawn
  with a seed, until ``val_share`` of the patches is reached.
* ``pairs.csv`` (image,mask,split, paths relative to it) is what ``flair:train`` reads;
  ``class_counts.csv`` and ``export.json`` tell what was exported.

The whole folder is written under a hidden temporary name beside the output folder and
renamed into place at the end: a failure or a cancel leaves nothing behind.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ...nomenclature import CLASSES, CODES, NOT_ANNOTATED
from ...nomenclature import scheme as scheme_by_key
from ..errors import Cancelled, InputError, OutputExistsError
from ..geo import Grid, PixelWindow, window_from_extent
from ..io.atomic import temp_path_for
from ..io.outputs import check_encodable
from ..options import DEFAULT_MIN_ANNOTATED, DEFAULT_SPLIT_BLOCK, DEFAULT_VAL_SHARE

PathLike = Union[str, os.PathLike]
ProgressCallback = Callable[[float, str], None]
CancelCallback = Callable[[], bool]
LogCallback = Callable[[str], None]

PAIRS_CSV = "pairs.csv"
CLASS_COUNTS_CSV = "class_counts.csv"
SUMMARY_JSON = "export.json"
SPLITS = ("train", "val")


class ExportCancelled(Cancelled):
    """The export was cancelled; nothing was left behind."""


@dataclass(frozen=True)
class PatchSpec:
    """What the patches must look like for the model that will learn from them."""

    band_names: Tuple[str, ...]
    pixel_size: float
    tile_size: int
    means: Tuple[float, ...]  # fill value of no-data imagery, as the inference pads

    @classmethod
    def of_model(cls, meta, tile_size: Optional[int] = None) -> "PatchSpec":
        """The spec of a model's metadata (:class:`..checkpoints.meta.ModelMeta`);
        ``tile_size`` overrides the model's (smaller patches for a quick try)."""
        return cls(tuple(meta.bands), float(meta.pixel_size),
                   int(tile_size or meta.tile_size), tuple(meta.means))


@dataclass
class ExportResult:
    """What was written: the folder, the pairs CSV, patch and pixel counts per split."""

    output_dir: Path
    pairs_csv: Path
    patches: Dict[str, int]
    blocks: Dict[str, int]
    pixels: Dict[str, Dict[int, int]]  # split -> code -> annotated pixels
    skipped: int  # candidate patches with too few annotated pixels
    notes: List[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the log."""
        return (f"{self.patches['train']} training and {self.patches['val']} validation "
                f"patches ({self.blocks['train']} + {self.blocks['val']} spatial blocks); "
                f"{self.skipped} patch(es) with too few annotated pixels skipped")


@dataclass(frozen=True)
class _Labels:
    """Where the class of each pixel comes from: polygons or a class raster."""

    polygons: Optional[str]
    class_field: Optional[str]
    class_raster: Optional[str]
    mapping: Optional[object]  # ClassMapping


def export_patches(inputs, output_dir: PathLike, spec: PatchSpec, *,
                   polygons: Optional[PathLike] = None, class_field: Optional[str] = None,
                   class_raster: Optional[PathLike] = None, mapping=None,
                   area: Optional[PathLike] = None, area_layer: Optional[str] = None,
                   bands=None, val_share: float = DEFAULT_VAL_SHARE,
                   split_block: int = DEFAULT_SPLIT_BLOCK,
                   min_annotated: float = DEFAULT_MIN_ANNOTATED, seed: int = 0,
                   input_scale=None, progress: Optional[ProgressCallback] = None,
                   cancel: Optional[CancelCallback] = None,
                   log: Optional[LogCallback] = None) -> ExportResult:
    """Cut imagery and annotations into FLAIR training patches split by spatial blocks.

    Args:
        inputs: the imagery, as the segmentation takes it: a raster path, several, or one
            ``(path, band)`` per model band (R, G, B, near-infrared, elevation).
        output_dir: a new (or empty) folder for ``img/``, ``msk/``, ``pairs.csv``,
            ``class_counts.csv`` and ``export.json``.
        spec: the model's bands, resolution, tile size and means (:meth:`PatchSpec.of_model`).
        polygons: annotation polygons (any CRS; ``path|layername=x`` for one layer).
        class_field: the polygons' class attribute.
        class_raster: instead of polygons, a raster of classes (0 = not annotated).
        mapping: a :class:`..evaluation.mapping.ClassMapping` of the field's (or the
            raster's) values to FLAIR codes; None when they are FLAIR codes already.
        area: polygons of an area of interest: only the annotations inside it count.
        area_layer: the area's layer, for a multi-layer file.
        bands: band references when ``inputs`` are rasters (as the segmentation's).
        val_share: share of the patches kept for validation (0 < share < 1).
        split_block: side of a split block, in patches.
        min_annotated: least share of a patch that must be annotated to export it.
        seed: draws the validation blocks.
        input_scale: linear stretch of non-8-bit imagery (as the segmentation's).
        progress, cancel, log: callbacks (fraction and message; True to stop; a line).

    Returns:
        An :class:`ExportResult`.

    Raises:
        InputError: missing or unreadable inputs, an output folder that is not new or
            empty, bad settings, no annotated patch, or too few blocks for two splits.
        ExportCancelled: ``cancel`` returned True; nothing was written.
    """
    from ..io.sources import StackReader, plan_sources

    say = log or (lambda line: None)
    labels = _check_settings(polygons, class_field, class_raster, mapping, val_share,
                             split_block, min_annotated, spec)
    out = _check_output_dir(output_dir, [p for p in (polygons, class_raster, area) if p])
    plan = plan_sources(inputs, bands, spec.band_names, means=spec.means,
                        input_scale=input_scale, model_pixel_size=spec.pixel_size,
                        resample_to_model=True, warn=say)
    grid = plan.grid
    label_reader = _label_reader(labels, grid)
    area_reader = None
    try:
        if area is not None:
            area_reader = _area_reader(area, area_layer, grid)
        region = _region(grid, label_reader, area_reader)
        windows = _patch_windows(region, spec.tile_size)
        say(f"Exporting from {grid.describe()}: region of {region.width}x{region.height} px "
            f"at {spec.pixel_size} m, {len(windows)} candidate patch(es) of "
            f"{spec.tile_size} px")
        temp = temp_path_for(out)
        temp.mkdir()
        try:
            result = _write_patches(temp, out, plan, StackReader, grid, windows, label_reader,
                                    area_reader, spec, val_share, split_block, min_annotated,
                                    seed, progress, cancel)
            _write_summary(temp, result, spec, labels, area, grid, split_block, val_share,
                           seed, min_annotated)
            _move_into_place(temp, out)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
    finally:
        label_reader.close()
        if area_reader is not None:
            area_reader.close()
    if hasattr(label_reader, "stats"):
        result.notes += label_reader.stats.notes(spec.pixel_size ** 2)
    say(result.describe())
    for line in class_count_lines(result.pixels):
        say(line)
    for note in result.notes:
        say(note)
    return result


# --------------------------------------------------------------------------- checks


def _check_settings(polygons, class_field, class_raster, mapping, val_share: float,
                    split_block: int, min_annotated: float, spec: PatchSpec) -> _Labels:
    if (polygons is None) == (class_raster is None):
        raise InputError("give the annotations either as polygons (with their class field) "
                         "or as a class raster, not both and not neither")
    if polygons is not None and not class_field:
        raise InputError("annotation polygons need their class field: name the attribute "
                         "that holds each polygon's class")
    if not 0.0 < float(val_share) < 1.0:
        raise InputError(f"validation share {val_share} must lie between 0 and 1 (e.g. 0.2 "
                         f"for a fifth of the patches)")
    if int(split_block) < 1:
        raise InputError(f"split block {split_block} must be at least 1 patch")
    if not 0.0 <= float(min_annotated) <= 1.0:
        raise InputError(f"least annotated share {min_annotated} must lie between 0 and 1")
    if spec.tile_size < 32 or spec.tile_size % 32:
        raise InputError(f"patch size {spec.tile_size} must be a multiple of 32 (the "
                         f"U-Net's stride), e.g. 256 or 512")
    return _Labels(os.fspath(polygons) if polygons is not None else None, class_field,
                   os.fspath(class_raster) if class_raster is not None else None, mapping)


def _check_output_dir(output_dir: PathLike, inputs: Sequence[PathLike]) -> Path:
    out = Path(os.fspath(output_dir)).absolute()
    check_encodable(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputExistsError(f"output folder {out} already exists and is not empty: choose "
                                f"a new folder (patches of two exports must not mix)")
    for p in inputs:
        source = Path(os.fspath(p).split("|")[0]).absolute()
        if source == out or out in source.parents:
            raise InputError(f"output folder {out} holds the input {source}: choose another "
                             f"folder")
    if not out.parent.is_dir():
        raise InputError(f"folder {out.parent} does not exist: create it or choose another "
                         f"output folder")
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise InputError(f"folder {out.parent} is not writable: choose a folder you can "
                         f"write to")
    return out


# --------------------------------------------------------------------------- labels


class _RasterLabels:
    """A class raster read on the export grid (nearest neighbour), values -> FLAIR codes."""

    def __init__(self, path: str, grid: Grid, mapping) -> None:
        import rasterio
        from rasterio.enums import Resampling
        from rasterio.vrt import WarpedVRT

        try:
            self.ds = rasterio.open(path)
        except rasterio.errors.RasterioError as exc:
            raise InputError(f"cannot read the class raster {path}: {exc}") from None
        if self.ds.count != 1 or self.ds.dtypes[0] not in ("uint8", "uint16", "int16", "int32"):
            self.ds.close()
            raise InputError(f"class raster {path} must have one band of integer classes")
        self.vrt = WarpedVRT(self.ds, crs=grid.crs, transform=grid.transform, width=grid.width,
                             height=grid.height, resampling=Resampling.nearest, nodata=0)
        self.grid = grid
        self.path = path
        self.lut = _code_lut(mapping)

    def extent(self) -> Tuple[float, float, float, float]:
        from rasterio.warp import transform_bounds

        bounds = self.ds.bounds
        if self.ds.crs is not None and self.grid.crs is not None and self.ds.crs != self.grid.crs:
            bounds = transform_bounds(self.ds.crs, self.grid.crs, *bounds)
        return tuple(bounds)

    def read(self, window: PixelWindow) -> Tuple[np.ndarray, np.ndarray]:
        from rasterio.windows import Window

        raw = self.vrt.read(1, window=Window(window.col_off, window.row_off, window.width,
                                             window.height)).astype(np.int64)
        inside = (raw >= 0) & (raw < len(self.lut))
        codes = np.zeros(raw.shape, np.int32)
        codes[inside] = self.lut[raw[inside]]
        return codes, codes != NOT_ANNOTATED

    def close(self) -> None:
        self.vrt.close()
        self.ds.close()


def _code_lut(mapping, size: int = 65536) -> np.ndarray:
    """Raster value -> FLAIR code (0 = not annotated): the mapping's, or the codes kept."""
    from ..evaluation.mapping import EXCLUDED

    lut = np.zeros(size, np.int32)
    if mapping is None:
        lut[list(CODES)] = list(CODES)
        return lut
    for value in range(size):
        code = mapping.code(value)
        if code is not None and code != EXCLUDED:
            lut[value] = code
    return lut


def _label_reader(labels: _Labels, grid: Grid):
    if labels.class_raster is not None:
        return _RasterLabels(labels.class_raster, grid, labels.mapping)
    from ..evaluation.vectors import PolygonRasteriser

    return PolygonRasteriser(labels.polygons, labels.class_field, grid,
                             scheme_by_key("flair19"), mapping=labels.mapping)


def _area_reader(area: PathLike, layer: Optional[str], grid: Grid):
    from ..evaluation.vectors import PolygonRasteriser

    reader = PolygonRasteriser(area, "", grid, scheme_by_key("flair19"), layer=layer,
                               count_only=True)
    reader.polygon_index()  # burn_index needs it
    return reader


def _region(grid: Grid, labels, area) -> PixelWindow:
    """The pixels to cut into patches: the annotations' extent, within the area's."""
    xmin, ymin, xmax, ymax = labels.extent()
    if area is not None:
        a = area.extent()
        xmin, ymin, xmax, ymax = max(xmin, a[0]), max(ymin, a[1]), min(xmax, a[2]), min(ymax,
                                                                                         a[3])
        if xmin >= xmax or ymin >= ymax:
            raise InputError("the annotations do not overlap the area of interest: draw the "
                             "area over the annotated places, or leave it empty")
    whole = PixelWindow(0, 0, grid.width, grid.height)
    window = window_from_extent(tuple(grid.transform)[:6], grid.width, grid.height,
                                (xmin, ymin, xmax, ymax)).intersection(whole)
    if window is None:
        raise InputError("the annotations do not overlap the imagery: check that they cover "
                         "the same place (their CRS is read from the files)")
    return window


def _patch_windows(region: PixelWindow, tile: int) -> List[Tuple[int, int, PixelWindow]]:
    """(patch row, patch column, window) of every patch over ``region``, on a lattice
    anchored at its top-left corner; edge patches reach past it (padded when read)."""
    rows = -(-region.height // tile)
    cols = -(-region.width // tile)
    return [(i, j, PixelWindow(region.col_off + j * tile, region.row_off + i * tile, tile,
                               tile)) for i in range(rows) for j in range(cols)]


# --------------------------------------------------------------------------- patches


def split_blocks(cells: Sequence[Tuple[int, int]], split_block: int, val_share: float,
                 seed: int) -> Dict[Tuple[int, int], str]:
    """The split of each block of ``split_block × split_block`` patch cells.

    Whole blocks go to validation, in a seeded random order, until ``val_share`` of the
    cells is reached; at least one block goes to each split.

    Args:
        cells: (patch row, patch column) of every exported patch.
        split_block: block side, in patches.
        val_share: share of the cells wanted in validation.
        seed: the draw of the blocks.

    Returns:
        block (row, column) -> "train" or "val".

    Raises:
        InputError: fewer than two blocks hold a patch.
    """
    sizes: Dict[Tuple[int, int], int] = {}
    for i, j in cells:
        key = (i // split_block, j // split_block)
        sizes[key] = sizes.get(key, 0) + 1
    if len(sizes) < 2:
        raise InputError(f"the annotated patches fall in {len(sizes)} split block(s) of "
                         f"{split_block}x{split_block} patches; a train/validation split "
                         f"needs at least two: lower the split block size, or annotate a "
                         f"wider area")
    order = sorted(sizes)
    rng = np.random.default_rng(seed)
    rng.shuffle(order)
    target = val_share * sum(sizes.values())
    splits = {key: "train" for key in sizes}
    taken = 0
    for key in order[:-1]:  # the last block always trains
        if taken >= target:
            break
        splits[key] = "val"
        taken += sizes[key]
    return splits


def _write_patches(temp: Path, out: Path, plan, reader_class, grid: Grid,
                   windows, labels, area, spec: PatchSpec, val_share: float,
                   split_block: int, min_annotated: float, seed: int,
                   progress: Optional[ProgressCallback], cancel: Optional[CancelCallback]
                   ) -> ExportResult:
    import rasterio

    tile = spec.tile_size
    whole = PixelWindow(0, 0, grid.width, grid.height)
    (temp / "img").mkdir()
    (temp / "msk").mkdir()
    kept: List[Tuple[int, int, str, np.ndarray]] = []  # row, column, id, code counts
    skipped = 0
    reader = reader_class(plan)
    profile = dict(driver="GTiff", width=tile, height=tile, crs=grid.crs, compress="lzw",
                   tiled=tile % 16 == 0, blockxsize=min(tile, 256), blockysize=min(tile, 256))
    try:
        for n, (i, j, window) in enumerate(windows):
            if cancel is not None and cancel():
                raise ExportCancelled("patch export cancelled; nothing was written")
            if progress is not None:
                progress(n / max(1, len(windows)), f"patch {n + 1}/{len(windows)}")
            inside = window.intersection(whole)
            if inside is None:
                continue
            mask = np.full((tile, tile), NOT_ANNOTATED, np.uint8)
            image = np.empty((len(spec.band_names), tile, tile), np.uint8)
            image[:] = np.asarray(plan.fill_values, np.uint8)[:, None, None]
            rel = inside.relative_to(window)
            rows = slice(rel.row_off, rel.row_end)
            cols = slice(rel.col_off, rel.col_end)
            values, compared = labels.read(inside)
            codes = np.where(compared, values, NOT_ANNOTATED)
            if area is not None:
                codes[area.burn_index(inside)[0] < 0] = NOT_ANNOTATED
            annotated_share = np.count_nonzero(codes) / float(tile * tile)
            if annotated_share == 0 or annotated_share < min_annotated:
                skipped += 1
                continue
            data, valid = reader.read(inside)
            if valid is not None:
                codes[~valid] = NOT_ANNOTATED  # no imagery there: nothing to learn
            image[:, rows, cols] = data
            mask[rows, cols] = codes
            if not mask.any():
                skipped += 1
                continue
            pid = f"{i:05d}-{j:05d}"
            transform = grid.window_transform(window)
            with rasterio.open(temp / "img" / f"IMG_{pid}.tif", "w", count=image.shape[0],
                               dtype="uint8", transform=transform, **profile) as dst:
                dst.write(image)
                dst.descriptions = tuple(spec.band_names)
            with rasterio.open(temp / "msk" / f"MSK_{pid}.tif", "w", count=1, dtype="uint8",
                               transform=transform, nodata=NOT_ANNOTATED, **profile) as dst:
                dst.write(mask, 1)
            kept.append((i, j, pid, np.bincount(mask.ravel(), minlength=256)))
    finally:
        reader.close()
    if not kept:
        raise InputError("no patch holds annotated pixels (after the area of interest and "
                         "the least annotated share): check the class field and the "
                         "nomenclature table, or lower the least annotated share")
    splits = split_blocks([(i, j) for i, j, _, _ in kept], split_block, val_share, seed)
    pixels: Dict[str, Dict[int, int]] = {s: {} for s in SPLITS}
    patches = {s: 0 for s in SPLITS}
    with open(temp / PAIRS_CSV, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["image", "mask", "split"])
        for i, j, pid, counts in kept:
            split = splits[(i // split_block, j // split_block)]
            writer.writerow([f"img/IMG_{pid}.tif", f"msk/MSK_{pid}.tif", split])
            patches[split] += 1
            for code in CODES:
                if counts[code]:
                    pixels[split][code] = pixels[split].get(code, 0) + int(counts[code])
    blocks = {s: sum(1 for v in splits.values() if v == s) for s in SPLITS}
    if progress is not None:
        progress(1.0, "patches written")
    return ExportResult(out, out / PAIRS_CSV, patches, blocks, pixels, skipped)


# --------------------------------------------------------------------------- summary


def class_count_lines(pixels: Dict[str, Dict[int, int]]) -> List[str]:
    """One log line per class present: annotated pixels in each split."""
    names = {c.code: c.name for c in CLASSES}
    codes = sorted(set(pixels["train"]) | set(pixels["val"]))
    lines = []
    for code in codes:
        train, val = pixels["train"].get(code, 0), pixels["val"].get(code, 0)
        warning = "" if train and val else (
            "  (absent from validation: its IoU cannot be measured)" if train else
            "  (absent from training: the model cannot learn it)")
        lines.append(f"  {code:2d} {names[code]}: {train} training px, {val} validation px"
                     f"{warning}")
    return lines


def _write_summary(temp: Path, result: ExportResult, spec: PatchSpec, labels: _Labels,
                   area, grid: Grid, split_block: int, val_share: float, seed: int,
                   min_annotated: float) -> None:
    names = {c.code: c.name for c in CLASSES}
    with open(temp / CLASS_COUNTS_CSV, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["code", "name", "train_pixels", "val_pixels"])
        for code in sorted(set(result.pixels["train"]) | set(result.pixels["val"])):
            writer.writerow([code, names[code], result.pixels["train"].get(code, 0),
                             result.pixels["val"].get(code, 0)])
    summary = {
        "patches": result.patches, "blocks": result.blocks, "skipped": result.skipped,
        "class_pixels": {s: {str(k): v for k, v in sorted(result.pixels[s].items())}
                         for s in SPLITS},
        "tile_size": spec.tile_size, "pixel_size": spec.pixel_size,
        "bands": list(spec.band_names), "crs": grid.crs.to_string() if grid.crs else None,
        "polygons": labels.polygons, "class_field": labels.class_field,
        "class_raster": labels.class_raster, "area": os.fspath(area) if area else None,
        "split_block": split_block, "val_share": val_share, "seed": seed,
        "min_annotated": min_annotated, "not_annotated_value": NOT_ANNOTATED,
    }
    (temp / SUMMARY_JSON).write_text(json.dumps(summary, indent=1), encoding="utf-8")


def _move_into_place(temp: Path, out: Path) -> None:
    """Rename the finished folder onto ``out`` (new, or empty: replaced)."""
    if out.is_dir():
        try:
            out.rmdir()  # empty (checked before the work): the rename needs its name free
        except OSError:
            raise OutputExistsError(f"output folder {out} filled up during the export: "
                                    f"choose a new folder") from None
    os.rename(temp, out)

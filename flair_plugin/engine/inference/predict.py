"""The entry points of inference: checkpoint and rasters in, styled land-cover raster out.

:func:`predict` serves every model: it loads the checkpoint, opens the modalities the
model declares (a U-T&T also takes a Sentinel-2 series), checks every input before any
tile is read, and runs the one streaming pipeline (:mod:`.pipeline`). So every model
gets reader threads, ``crop``/``hann``/``gaussian`` blends, probability and confidence
rasters, extents, nodata skipping, CUDA out-of-memory back-off, progress and cancel, and
atomic outputs. :func:`predict_with_module` is the core, for any torch module.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Mapping, Optional, Sequence, Tuple, Union

import torch

from ...nomenclature import (
    AERIAL_BANDS,
    HUB_CROP_TASK,
    HUB_SENTINEL2,
    HUB_SERIES_OPTIONS,
    LPIS_CLASSES,
    NODATA,
    flair_class,
    lpis_scheme,
    patch_band_indexes,
)
from ..checkpoints.meta import HUB_ARCHITECTURE
from ..errors import InputError
from ..geo import Grid, PixelWindow, window_from_extent
from ..io.outputs import OutputSet, OutputTarget, check_output_paths
from ..io.sentinel import open_sentinel
from ..io.sources import DEFAULT_GDAL_CACHE_MB, bounded_gdal_cache, plan_sources
from ..options import (
    BLEND_MODES,
    PAD_MODES,
    PRECISION,
    RUNTIME,
    RUNTIMES,
    UTT_DEFAULT_BLOCK,
    UTT_DEFAULT_HALO,
    default_batch_size,
    default_readers,
    default_tiling,
)
from ..tiling import (
    STRIDE,
    TileGrid,
    available_memory_bytes,
    fit_batch_to_memory,
    validate_tiling,
)
from .modalities import (
    Acquisition,
    AerialMetadataModality,
    HubSeriesModality,
    Modality,
    SentinelModality,
    acquisition_values,
    check_acquisition,
)
from .network import Network, check_precision, resolve_device
from .pipeline import CancelCallback, Pipeline, ProgressCallback

__all__ = ["PredictionResult", "load_model_for_inference", "predict", "predict_multimodal",
           "predict_with_module"]

log = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]
WarnCallback = Callable[[str], None]
OpenModalities = Callable[[Grid, PixelWindow, WarnCallback], Sequence[Modality]]

WITHOUT_METADATA_WARNING = (
    "the model runs without its aerial-metadata branch, as IGN's zone detection does: "
    "what it learnt from each patch's position, date, camera and altitude is left out, so "
    "its predictions differ from those it was evaluated with; give the acquisition date, "
    "time, camera and altitude to use the whole model")

DEFAULT_BLEND_MEMORY_MB = 512
"""Budget for a weighted blend's pending block accumulators (sets the strip width)."""


@dataclass
class PredictionResult:
    """What a run produced, for the caller's report."""

    output: Path
    probabilities: Optional[Path]
    confidence: Optional[Path]
    width: int  # of the output, in pixels
    height: int
    codes: Tuple[int, ...]  # FLAIR codes the model can predict (probability band order)
    tiles_total: int  # tile visits (a weighted blend's strip margins count twice)
    tiles_done: int  # visits that ran through the model
    tiles_skipped: int  # visits without a valid pixel to write
    nodata_pixels: int  # output pixels left as no data (see nodata_rule)
    elapsed_s: float
    megapixels_per_s: float  # output pixels per second
    device: str
    batch_size: int  # at the end: a CUDA out-of-memory error halves it
    precision: str  # that computed the run (``auto`` resolved, after any fallback)
    blend: str
    block: int
    halo: int
    warnings: List[str] = field(default_factory=list)
    runtime: str = "torch"  # torch, onnx (ONNX Runtime) or openvino: see .runtimes
    cpu_s: float = 0.0  # CPU time of this process over elapsed_s, every thread summed:
    # on a shared machine it grows far less than the wall time with others' load
    crop_types: Optional[Path] = None  # a FLAIR-HUB model's crop-type raster, if asked


# --------------------------------------------------------------------------- checks

def _check_settings(blend: str, pad: str, precision: str, device: torch.device,
                    batch_size: int, num_readers: int, block: int, halo: int,
                    runtime: str = RUNTIME.default) -> None:
    validate_tiling(block, halo)
    if blend not in BLEND_MODES:
        raise InputError(f"blend {blend!r} is not one of {', '.join(BLEND_MODES)}")
    if pad not in PAD_MODES:
        raise InputError(f"pad {pad!r} is not one of {', '.join(PAD_MODES)}")
    check_precision(precision, device)
    if runtime not in RUNTIMES:
        raise InputError(f"runtime {runtime!r} is not one of {', '.join(RUNTIMES)}")
    if int(batch_size) < 1 or int(num_readers) < 1:
        raise InputError(f"batch size and reader count must be >= 1, got {batch_size} and "
                         f"{num_readers}")


def _check_model_values(means: Sequence[float], stds: Sequence[float],
                        logit_codes: Sequence[int], band_names: Sequence[str]) -> None:
    n = len(band_names)
    if len(means) != n or len(stds) != n:
        raise InputError(f"the model's normalisation has {len(means)} means and {len(stds)} "
                         f"stds for {n} bands ({', '.join(band_names)})")
    if any(float(s) <= 0 for s in stds):
        raise InputError(f"the model's stds must be > 0, got {tuple(stds)}")
    active = [c for c in logit_codes if c != NODATA]
    if not active:
        raise InputError("the model has no active class (every logit code is 0)")
    if any(not 0 <= int(c) <= 255 for c in logit_codes) or len(set(active)) != len(active):
        raise InputError(f"logit codes must be distinct values 1..255 (0 = inactive), got "
                         f"{tuple(logit_codes)}")


def _output_targets(output, probabilities, confidence, codes: Sequence[int],
                    class_names: Optional[Sequence[str]]) -> List[OutputTarget]:
    names = list(class_names) if class_names else [flair_class(c).name for c in codes]
    targets = [OutputTarget(os.fspath(output), 1, ("FLAIR class code",), NODATA, True)]
    if probabilities is not None:
        targets.append(OutputTarget(os.fspath(probabilities), len(codes), tuple(names), None))
    if confidence is not None:
        targets.append(OutputTarget(os.fspath(confidence), 1, ("confidence (max probability "
                                                               "x 255)",), 0))
    return targets


def fixed_tiling(tile_size: int, block: Optional[int], halo: Optional[int]
                 ) -> Tuple[int, int]:
    """Block and halo making tiles of exactly ``tile_size`` px (a Swin encoder's input).

    Unset values are chosen: a halo of about a sixth of the tile (a multiple of 32, at
    least 32), the block the rest.

    Raises:
        InputError: a block and halo that do not make the tile size.
    """
    if block is None and halo is None:
        halo = max(STRIDE, tile_size // 6 // STRIDE * STRIDE)
    if block is None:
        block = tile_size - 2 * int(halo)
    elif halo is None:
        halo = (tile_size - int(block)) // 2
    if int(block) + 2 * int(halo) != tile_size or int(block) <= 0 or int(halo) < 0:
        example_halo = max(STRIDE, tile_size // 6 // STRIDE * STRIDE)
        raise InputError(
            f"this model's encoder takes tiles of exactly {tile_size} px: give block + 2 × "
            f"halo = {tile_size} (e.g. block {tile_size - 2 * example_halo}, halo "
            f"{example_halo}), or leave both empty; got block {block}, halo {halo}")
    return int(block), int(halo)


# --------------------------------------------------------------------------- the core

def predict_with_module(
        inputs: Union[PathLike, Sequence], module: torch.nn.Module, output: PathLike, *,
        means: Sequence[float], stds: Sequence[float], logit_codes: Sequence[int],
        band_names: Optional[Sequence[str]] = None,
        class_names: Optional[Sequence[str]] = None, model_pixel_size: Optional[float] = None,
        bands: Optional[Sequence] = None, extent: Optional[Sequence[float]] = None,
        layout_extent: Optional[Sequence[float]] = None,
        block: Optional[int] = None, halo: Optional[int] = None, blend: str = "crop",
        batch_size: Optional[int] = None, device: Union[str, torch.device] = "auto",
        precision: str = PRECISION.default, runtime: str = RUNTIME.default,
        num_readers: Optional[int] = None,
        probabilities: Optional[PathLike] = None, confidence: Optional[PathLike] = None,
        input_scale=None, resample_to_model: bool = False, pad: str = "reflect",
        nodata_rule: str = "all",
        progress: Optional[ProgressCallback] = None, cancel: Optional[CancelCallback] = None,
        warn: Optional[WarnCallback] = None, info: Optional[WarnCallback] = None,
        overwrite: bool = False, open_modalities: Optional[OpenModalities] = None,
        checkpoint: Optional[PathLike] = None,
        protect: Sequence[PathLike] = (),
        blend_memory_mb: int = DEFAULT_BLEND_MEMORY_MB,
        gdal_cache_mb: int = DEFAULT_GDAL_CACHE_MB,
        tile_size: Optional[int] = None) -> PredictionResult:
    """Predict FLAIR codes over rasters with any torch module; the engine's core.

    Args:
        module: maps normalised float N×C×H×W aerial input (then the other modalities'
            inputs) to N×K×H×W logits.
        means, stds: normalise raw 0..255 values, ``(raw - mean) / std``.
        logit_codes: the FLAIR code of each logit (0 = inactive).
        open_modalities: called with the working grid, the region to predict and the
            warn callback once the aerial inputs are checked; returns the further
            modalities the module takes (e.g. :class:`~.modalities.SentinelModality`).
        blend_memory_mb: memory cap of a weighted blend's pending blocks.
        gdal_cache_mb: cap of GDAL's block cache during the run.
        protect: further files the run reads (the model file): no output may be one.
        block, halo: ``None`` takes the device's defaults for a U-Net
            (:func:`~..options.default_tiling`), or splits ``tile_size``.
        tile_size: the one tile side the module takes (a Swin encoder): block + 2 × halo
            must make it, and small regions are not given smaller tiles.
        runtime: ``auto``, ``torch``, ``onnx`` or ``openvino`` (see
            :func:`~.runtimes.choose_runtime`).
        checkpoint: the model's file, beside which an ONNX export is cached.
        info: where the choices of runtime and precision are told (default: logging).
        layout_extent: see :func:`predict`.
        The others: see :func:`predict`.

    Raises:
        InputError: a bad input or setting, before any tile is read.
        PredictionCancelled: ``cancel()`` returned True; no output is left behind.
        InferenceError: the run failed after the checks (e.g. out of GPU memory).
    """
    warnings: List[str] = []

    def _warn(message: str) -> None:
        warnings.append(message)
        (warn or log.warning)(message)

    dev = resolve_device(device)
    if tile_size:
        block, halo = fixed_tiling(int(tile_size), block, halo)
        (info or log.info)(f"the model's encoder takes tiles of exactly {tile_size} px: "
                           f"block {block} + 2 × halo {halo}")
    block = default_tiling(dev.type)[0] if block is None else block
    halo = default_tiling(dev.type)[1] if halo is None else halo
    chosen_batch = batch_size
    batch_size = int(batch_size or default_batch_size(dev.type))
    num_readers = int(num_readers or default_readers(dev.type))
    _check_settings(blend, pad, precision, dev, batch_size, num_readers, block, halo,
                    runtime)
    if band_names is None:
        band_names = (AERIAL_BANDS[:len(means)] if len(means) <= len(AERIAL_BANDS)
                      else tuple(f"band {i + 1}" for i in range(len(means))))
    _check_model_values(means, stds, logit_codes, band_names)
    plan = plan_sources(inputs, bands, band_names, means=means, input_scale=input_scale,
                        model_pixel_size=model_pixel_size, resample_to_model=resample_to_model,
                        pad_mode=pad, nodata_rule=nodata_rule, warn=_warn)
    region = PixelWindow(0, 0, plan.grid.width, plan.grid.height)
    if extent is not None:
        crs = plan.grid.crs.to_string() if plan.grid.crs else "the raster's coordinates"
        region = window_from_extent(tuple(plan.grid.transform), plan.grid.width,
                                    plan.grid.height, extent, crs)
    layout = _layout_window(plan.grid, region, layout_extent)
    grid = TileGrid(plan.grid.width, plan.grid.height, region, block, halo, layout,
                    shrink=not tile_size)
    # The modalities see the whole run's region, so a piece reads what the run would.
    modalities = list(open_modalities(plan.grid, layout, _warn)) if open_modalities else []
    read = plan.paths + [p for m in modalities for p in m.paths()] + list(protect)
    check_output_paths([output, probabilities, confidence], read, overwrite,
                       geotiffs=[output, probabilities, confidence])
    batch_size = fit_batch_to_memory(
        grid.block, grid.halo, len(plan.sources), chosen_batch, num_readers,
        len(logit_codes), available_memory_bytes(), _device_memory(dev),
        default_batch=batch_size)
    extra_inputs = {k: v for m in modalities
                    for k, v in m.probe_inputs(dev, _param_dtype(module)).items()}
    net = Network(module, means, stds, logit_codes, dev, precision, runtime,
                  extra_inputs=sorted(extra_inputs), checkpoint=checkpoint,
                  say=info or log.info, fixed_size=tile_size or None)
    net.probe(len(plan.sources), extra_inputs)
    net.prepare(len(plan.sources))
    codes = tuple(int(c) for c in logit_codes if c != NODATA)
    if class_names is not None and len(class_names) != len(codes):
        class_names = None
    out_grid = Grid(plan.grid.crs, plan.grid.window_transform(region), region.width,
                    region.height)
    targets = _output_targets(output, probabilities, confidence, codes, class_names)

    started, cpu_started = time.perf_counter(), time.process_time()
    outputs = OutputSet(out_grid, targets, grid.block, overwrite=overwrite)
    pipeline = None
    try:
        pipeline = Pipeline(plan, grid, net, outputs, blend=blend, batch_size=batch_size,
                            num_readers=num_readers, want_probs=probabilities is not None,
                            want_conf=confidence is not None, progress=progress,
                            cancel=cancel, blend_memory_mb=blend_memory_mb,
                            modalities=modalities)
        with bounded_gdal_cache(gdal_cache_mb):
            pipeline.run()
            outputs.commit()
    except BaseException:
        outputs.abort()
        raise
    for m in modalities:
        m.finish(_warn)
    elapsed = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    return PredictionResult(
        output=Path(output), probabilities=Path(probabilities) if probabilities else None,
        confidence=Path(confidence) if confidence else None, width=region.width,
        height=region.height, codes=codes, tiles_total=pipeline.total,
        tiles_done=pipeline.done - pipeline.skipped, tiles_skipped=pipeline.skipped,
        nodata_pixels=region.area - pipeline.pixels_written,
        elapsed_s=elapsed, megapixels_per_s=region.area / elapsed / 1e6 if elapsed else 0.0,
        device=str(dev), batch_size=pipeline.batch_size, precision=net.precision, blend=blend,
        block=grid.block, halo=grid.halo, warnings=warnings, runtime=net.runtime,
        cpu_s=cpu_s)


# --------------------------------------------------------------------------- checkpoints

def predict(inputs: Union[PathLike, Sequence], model, output: PathLike, *,
            sentinel=None, dates=None, cloud_masks=None, acquisition=None,
            ignore_metadata: bool = False, bands: Optional[Sequence] = None,
            extent: Optional[Sequence[float]] = None,
            layout_extent: Optional[Sequence[float]] = None, block: Optional[int] = None,
            halo: Optional[int] = None, blend: str = "crop", batch_size: Optional[int] = None,
            device: Union[str, torch.device] = "auto", precision: str = PRECISION.default,
            runtime: str = RUNTIME.default, model_file: Optional[PathLike] = None,
            num_readers: Optional[int] = None, probabilities: Optional[PathLike] = None,
            confidence: Optional[PathLike] = None, input_scale=None,
            resample_to_model: bool = False, pad: str = "reflect", nodata_rule: str = "all",
            progress: Optional[ProgressCallback] = None,
            cancel: Optional[CancelCallback] = None, warn: Optional[WarnCallback] = None,
            info: Optional[WarnCallback] = None, overwrite: bool = False,
            crop_types: Optional[PathLike] = None,
            series: Optional[Mapping[str, Tuple[object, object]]] = None) -> PredictionResult:
    """Predict a FLAIR land-cover raster with any checkpoint, and write its style.

    Args:
        inputs: a raster, several rasters (resampled onto the first one's grid when they
            are not on it), or one ``(path, band)`` per model band.
        model: a checkpoint path or a loaded model (``.module`` + ``.meta``).
        output: the class raster (FLAIR codes, 0 = no data); a ``.qml`` sidecar is written
            beside it (a user's own ``.qml`` is kept).
        sentinel, dates, cloud_masks: the Sentinel-2 series of a U-T&T (see
            :func:`~..io.sentinel.open_sentinel`); refused for a model that takes none.
        acquisition: for a U-Net trained with FLAIR-1's aerial metadata: the date, time,
            camera and ground altitude of the imagery (a mapping or a
            :class:`~.modalities.Acquisition`); each tile's position comes from the
            raster. Ignored, with a warning, by a model without metadata.
        ignore_metadata: run a metadata model without its metadata branch, as IGN's zone
            detection does (a warning says what that changes).
        bands: which band feeds each model band (``3`` or ``"2:1"`` = band 1 of input 2).
        extent: (xmin, ymin, xmax, ymax) in the raster's CRS, snapped outward to pixels.
        layout_extent: the extent of a larger run this one is a piece of (it must hold
            ``extent``): tiles are laid out, and neighbouring tiles blended, as in that
            run, so the output equals the same window of it bit for bit (a catalogue's
            output tiles are predicted so, see :mod:`..catalogue`). Default: ``extent``.
        block, halo: output block and context margin in pixels (multiples of 32); ``None``
            takes the model's and device's default (for a U-Net
            :data:`~..options.DEFAULT_TILING`, FLAIR-2's 512/0 for a U-T&T).
        blend: ``crop``, ``hann`` or ``gaussian``.
        precision: ``auto`` (the device's fastest, checked against fp32 on the first
            tile), ``fp32``, ``fp16`` (CUDA) or ``bf16``.
        runtime: ``auto``, ``torch``, ``onnx`` (ONNX Runtime) or ``openvino``: what
            computes the model on a CPU (see :func:`~.runtimes.choose_runtime`).
        model_file: the checkpoint file of a model given loaded (an ONNX export is
            cached beside it); a model given by path is its own file.
        info: where the choices of runtime and precision are told (default: logging).
        probabilities, confidence: optional extra uint8 rasters.
        input_scale: ``"min,max"`` stretch for non-8-bit imagery.
        resample_to_model: read at the model's pixel size (bilinear), write on that grid.
        nodata_rule: ``all`` (default): a pixel is left as no data where every band read
            from one input file is no data; ``any``: where any band is (see
            :func:`~..io.sources.plan_sources`).
        progress, cancel: ``progress(fraction, message)`` and ``cancel() -> bool``, called
            per batch.
        crop_types: also write the crop-type raster of a FLAIR-HUB model with that task
            (values 1..23 = its LPIS classes, 0 = no data; styled); a second pass.
        series: further series of a multimodal FLAIR-HUB model, by FLAIR-HUB modality
            (``SENTINEL1-ASC_TS``, ``SENTINEL1-DESC_TS``): ``(files, dates)`` each, laid out
            as the Sentinel-2 input (one file per date, or a stack with its dates file).

    A FLAIR-HUB model reads FLAIR-HUB's channels of an RGBI raster (NIR, R, G = bands
    4, 1, 2 unless ``bands`` says otherwise), runs with torch, and a Swin encoder gets
    tiles of its one input size (see :func:`fixed_tiling`).

    Raises:
        InputError: a bad input or setting, before any tile is read.
        PredictionCancelled: ``cancel()`` returned True; no output is left behind.
    """
    series = dict(series or {})
    others = [f for files, when in series.values() for f in (_paths_of(files) + _paths_of(when))]
    protect = _check_before_loading(inputs, model, [*_paths_of(sentinel), *others], dates,
                                    cloud_masks, (output, probabilities, confidence, crop_types),
                                    overwrite)
    loaded = load_model_for_inference(model)
    meta = loaded.meta
    say = warn or log.warning
    openers: List[OpenModalities] = []
    hub = meta.hub if meta.architecture == HUB_ARCHITECTURE else None
    tile_size = (hub.img_size or None) if hub is not None else None
    if meta.uses_sentinel:
        if sentinel is None:
            raise InputError("this model is a U-T&T: it also needs a Sentinel-2 series "
                             "(one 10-band raster per date, or a stack with its dates file)")
        openers.append(_sentinel_opener(meta, sentinel, dates, cloud_masks))
        block = UTT_DEFAULT_BLOCK if block is None else block
        halo = UTT_DEFAULT_HALO if halo is None else halo
    elif hub is not None and hub.series:
        block, halo = _hub_tiling(tile_size, block, halo, device)
        openers.append(_hub_series_opener(hub, sentinel, dates, series, block + 2 * halo))
        if cloud_masks:
            say("this FLAIR-HUB run does not filter cloudy dates: the cloud masks given are "
                "not used (every date of the series is read)")
    elif sentinel is not None:
        raise InputError(f"this model ({meta.architecture}) takes no Sentinel-2 series: "
                         f"leave the Sentinel-2 input empty, or use a U-T&T or a multimodal "
                         f"FLAIR-HUB model")
    if series and not (hub is not None and hub.series):
        raise InputError(f"this model takes no {', '.join(series)} series: leave them empty")
    module = loaded.module
    crop_module = None
    if hub is not None:
        bands, runtime = _hub_inputs(meta, inputs, bands, runtime, info or log.info)
    elif bands is None and _single_raster(inputs) and set(meta.bands) <= set(AERIAL_BANDS) \
            and tuple(meta.bands) != AERIAL_BANDS[:len(meta.bands)]:
        # a model trained on other FLAIR bands than the first N (e.g. NIR, R, G)
        bands = [str(i) for i in patch_band_indexes(meta.bands)]
        (info or log.info)(f"reading bands {','.join(bands)} as {', '.join(meta.bands)} "
                           f"(FLAIR's R,G,B,NIR,elevation order; give bands to choose others)")
    if crop_types is not None:
        crop_module = _crop_type_module(loaded)
    if meta.metadata_mlp and not meta.uses_sentinel:
        if ignore_metadata:
            module = module.seg_model  # the U-Net alone, as IGN's zone detection loads it
            say(WITHOUT_METADATA_WARNING)
        else:
            openers.append(_metadata_opener(check_acquisition(acquisition)))
    elif acquisition_values(acquisition):
        say("this model was trained without aerial metadata: the acquisition date, time, "
            "camera and altitude given are not used")
    result = predict_with_module(
        inputs, module, output, means=meta.means, stds=meta.stds,
        logit_codes=meta.logit_codes, band_names=meta.bands,
        class_names=getattr(meta, "class_names", None), model_pixel_size=meta.pixel_size,
        bands=bands, extent=extent, layout_extent=layout_extent,
        block=block, halo=halo, blend=blend, batch_size=batch_size,
        device=device, precision=precision, runtime=runtime, num_readers=num_readers,
        probabilities=probabilities, confidence=confidence, input_scale=input_scale,
        resample_to_model=resample_to_model, pad=pad, nodata_rule=nodata_rule,
        progress=progress, cancel=cancel,
        warn=warn, info=info, overwrite=overwrite,
        open_modalities=_all(openers) if openers else None,
        checkpoint=model_file if hasattr(model, "module") else model,
        protect=protect, tile_size=tile_size)
    _write_style(result, meta.active_codes, warn or log.warning)
    if crop_module is not None:
        crops = predict_with_module(
            inputs, crop_module, crop_types, means=meta.means, stds=meta.stds,
            logit_codes=tuple(c.value for c in LPIS_CLASSES), band_names=meta.bands,
            class_names=tuple(c.name for c in LPIS_CLASSES), model_pixel_size=meta.pixel_size,
            bands=bands, extent=extent, layout_extent=layout_extent, block=result.block,
            halo=result.halo, blend=blend, batch_size=batch_size, device=device,
            precision=result.precision, runtime="torch", num_readers=num_readers,
            input_scale=input_scale, resample_to_model=resample_to_model, pad=pad,
            nodata_rule=nodata_rule, progress=progress, cancel=cancel, warn=warn, info=info,
            overwrite=overwrite, protect=protect + [os.fspath(output)], tile_size=tile_size,
            open_modalities=_all(openers) if openers else None)
        _write_crop_style(crops.output, warn or log.warning)
        result.crop_types = crops.output
        result.elapsed_s += crops.elapsed_s
        result.warnings.extend(w for w in crops.warnings if w not in result.warnings)
    return result


def _hub_inputs(meta, inputs, bands, runtime: str, say: WarnCallback):
    """A FLAIR-HUB model's band choice and runtime: FLAIR-HUB's channels of an RGBI
    raster unless the user chose bands; torch (its timm backbones are not exported)."""
    if bands is None and _single_raster(inputs) and meta.hub.channels:
        bands = [str(c) for c in meta.hub.channels]
        say(f"FLAIR-HUB model: reading bands {','.join(bands)} of the RGBI raster as "
            f"{', '.join(meta.bands)} (give bands to choose others)")
    if runtime != "torch":
        if runtime in ("onnx", "openvino"):
            say(f"FLAIR-HUB models run with torch here, not {runtime}")
        runtime = "torch"
    return bands, runtime


def _hub_tiling(tile_size: Optional[int], block: Optional[int], halo: Optional[int],
                device) -> Tuple[int, int]:
    """Block and halo of a FLAIR-HUB run with series (their patch side follows the tile's)."""
    if tile_size:
        return fixed_tiling(tile_size, block, halo)
    default = default_tiling(resolve_device(device).type)
    return (default[0] if block is None else int(block),
            default[1] if halo is None else int(halo))


def _hub_series_opener(hub, sentinel, dates, series: Mapping[str, Tuple[object, object]],
                       tile: int) -> OpenModalities:
    """The series of a multimodal FLAIR-HUB model, each checked before any work.

    Raises:
        InputError: a series the model takes and the run lacks (named with the option
            that gives it), or one it does not take.
    """
    wanted = hub.series_modalities
    extra = [m for m in series if m not in wanted]
    if extra:
        raise InputError(f"this FLAIR-HUB model takes no {', '.join(extra)} series (it takes "
                         f"{', '.join(wanted)}): leave {'it' if len(extra) == 1 else 'them'} "
                         f"empty")
    given = {HUB_SENTINEL2: (sentinel, dates), **series}
    for modality in wanted:
        if given.get(modality, (None, None))[0] is None:
            option = HUB_SERIES_OPTIONS.get(modality, modality)
            raise InputError(f"this FLAIR-HUB model also takes a {modality} series: give "
                             f"{option} (one GeoTIFF per date with YYYYMMDD in its name, or "
                             f"one stack of dates × bands with its dates file)")
    shapes = dict(hub.series_shapes())

    def open_(grid: Grid, region: PixelWindow, warn: WarnCallback) -> List[Modality]:
        opened = []
        for modality in wanted:
            files, when = given[modality]
            per_date = int(shapes[modality]["input_dim"])
            source = open_sentinel(files, when, per_date=per_date, what=modality)
            opened.append(HubSeriesModality(modality, source, grid.crs, grid.transform,
                                            region, tile))
        return opened

    return open_


def _single_raster(inputs) -> bool:
    """Whether the imagery is one raster given by path (its bands are then chosen by number)."""
    return isinstance(inputs, (str, os.PathLike)) or (
        isinstance(inputs, (list, tuple)) and len(inputs) == 1
        and isinstance(inputs[0], (str, os.PathLike)))


def _crop_type_module(loaded) -> torch.nn.Module:
    """The crop-type (LPIS) head of a FLAIR-HUB model, as a logits module.

    Raises:
        InputError: the model has no crop-type task.
    """
    hub = getattr(loaded.meta, "hub", None)
    if hub is None or HUB_CROP_TASK not in hub.tasks:
        tasks = ", ".join(hub.tasks) if hub is not None else "land cover only"
        raise InputError(f"this model predicts no crop types (its tasks: {tasks}): leave the "
                         f"crop-type output empty, or use a FLAIR-HUB model with the "
                         f"{HUB_CROP_TASK} task")
    from ....models.flair_hub import TaskView

    return TaskView(loaded.module, HUB_CROP_TASK)


def _write_crop_style(path: Path, warn) -> None:
    from ...styling.qml import StyleExistsError, write_sidecar

    try:
        write_sidecar(path, lpis_scheme())
    except StyleExistsError as error:
        warn(str(error))
    except OSError as error:
        warn(f"could not write the style file beside {path}: {error}")


def predict_multimodal(aerial_inputs, sentinel, model, output: PathLike, **options
                       ) -> PredictionResult:
    """:func:`predict` for a U-T&T or a multimodal FLAIR-HUB model: aerial imagery and a
    Sentinel-2 series (required)."""
    loaded = load_model_for_inference(model)
    hub = getattr(loaded.meta, "hub", None)
    if not loaded.meta.uses_sentinel and not (hub is not None and hub.series):
        raise InputError(f"this model is a {loaded.meta.architecture!r}, not a U-T&T (aerial "
                         f"+ Sentinel-2): use it with flair:segmentaerial / the aerial "
                         f"inference instead")
    return predict(aerial_inputs, loaded, output, sentinel=sentinel, **options)


def _layout_window(grid: Grid, region: PixelWindow,
                   layout_extent: Optional[Sequence[float]]) -> PixelWindow:
    """The window of the run a prediction is a piece of (the region itself by default).

    Raises:
        InputError: the layout does not hold the region: the piece would be laid out
            differently from the run it belongs to.
    """
    if layout_extent is None:
        return region
    crs = grid.crs.to_string() if grid.crs else "the raster's coordinates"
    layout = window_from_extent(tuple(grid.transform), grid.width, grid.height,
                                layout_extent, crs)
    if layout.intersection(region) != region:
        raise InputError(f"the extent to predict ({region}) is not inside the layout extent "
                         f"({layout}): give a layout extent that holds it")
    return layout


def _check_before_loading(inputs, model, sentinel, dates, cloud_masks,
                          outputs: Sequence[Optional[PathLike]], overwrite: bool) -> List[str]:
    """The checks that need no model, before the model is loaded (seconds, a GB of RAM).

    Every input file must exist, and no output may be one of them: not the imagery, not
    the model file (``--output m.flair.safetensors --overwrite`` would replace the model
    with a raster), not a Sentinel-2, dates or cloud-mask file.

    Returns:
        The files that are not rasters of the aerial stack (model, series, dates), which
        :func:`predict_with_module` protects as well.

    Raises:
        InputError: a missing input, or an output that is an input, exists or cannot be
            written (see :func:`~..io.outputs.check_output_paths`).
    """
    # a loaded model knows the file it came from (QGIS loads it first, to show its bands)
    model_file = ([model.path] if getattr(model, "path", None) else []) \
        if hasattr(model, "module") else [os.fspath(model)]
    aerial = _paths_of(inputs)
    others = model_file + _paths_of(sentinel) + _paths_of(dates) + _paths_of(cloud_masks)
    for path in aerial + others:
        if not os.path.exists(path):
            what = "model file" if path in model_file else "input file"
            raise InputError(f"{what} {path} does not exist")
    check_output_paths(outputs, aerial + others, overwrite, geotiffs=outputs)
    return others


def _paths_of(value) -> List[str]:
    """The file paths in an input argument: a path, paths, or (path, band) sources; other
    values (a list of dates, arrays) name no file."""
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [os.fspath(value)]
    found = []
    for item in value if isinstance(value, (list, tuple)) else ():
        path = getattr(item, "path", None) or (item[0] if isinstance(item, (tuple, list))
                                              else item)
        if isinstance(path, (str, os.PathLike)):
            found.append(os.fspath(path))
    return list(dict.fromkeys(found))


def _param_dtype(module: torch.nn.Module) -> torch.dtype:
    """The dtype of a module's first floating-point parameter (float32 if it has none)."""
    return next((p.dtype for p in module.parameters() if p.is_floating_point()),
                torch.float32)


def _device_memory(device: torch.device) -> Optional[int]:
    """Free memory of a CUDA device (None on the CPU: the forward pass runs in RAM)."""
    if device.type != "cuda":
        return None
    free, _ = torch.cuda.mem_get_info(device)
    return int(free)


def _all(openers: Sequence[OpenModalities]) -> OpenModalities:
    def open_(grid: Grid, region: PixelWindow, warn: WarnCallback) -> List[Modality]:
        return [m for opener in openers for m in opener(grid, region, warn)]

    return open_


def _metadata_opener(acquisition: Acquisition) -> OpenModalities:
    def open_(grid: Grid, region: PixelWindow, warn: WarnCallback) -> List[Modality]:
        return [AerialMetadataModality(acquisition, grid.crs, grid.transform)]

    return open_


def _sentinel_opener(meta, sentinel, dates, cloud_masks) -> OpenModalities:
    def open_(grid: Grid, region: PixelWindow, warn: WarnCallback) -> List[Modality]:
        source = open_sentinel(sentinel, dates, cloud_masks)
        return [SentinelModality(source, meta, grid.crs, grid.transform, region, warn)]

    return open_


def _write_style(result: PredictionResult, codes: Sequence[int], warn) -> None:
    """The ``.qml`` sidecar QGIS applies when it opens the output: FLAIR colours and the
    names of the classes this model can predict. A user's own ``.qml`` is kept."""
    from ...styling.qml import StyleExistsError, write_sidecar

    try:
        write_sidecar(result.output, "flair19", codes=codes)
    except StyleExistsError as error:
        warn(str(error))
    except OSError as error:  # the raster is written; an unstyled raster is still usable
        warn(f"could not write the style file beside {result.output}: {error}")


def load_model_for_inference(model):
    """A loaded model as it is, or the checkpoint at ``model`` loaded (checked to exist)."""
    if hasattr(model, "module") and hasattr(model, "meta"):
        return model
    from ..checkpoints.store import load_model

    path = os.fspath(model)
    if not os.path.exists(path):
        raise InputError(f"model file {path} does not exist")
    return load_model(path)

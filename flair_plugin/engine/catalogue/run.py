"""The driver of a catalogue job: check everything, resume, dispatch tiles, retry, assemble.

```
tiles (folder / list / mosaic) ─► sources: headers checked ─► inputs/input-N.vrt (one mosaic)
      ─► layout: output tiles (one per input tile, or a regular grid; a shard of them)
      ─► manifest: skip the tiles already finished (resume)
      ─► executor (this process | local processes | Ray actors): each tile =
         predict(mosaics, extent=tile, layout_extent=mosaic) ─► tiles/<name>.tif, atomically
      ─► manifest record; a failed tile retried, then reported while the others go on
      ─► assemble (every tile of the job finished): landcover.vrt + overviews + .qml [+ COG]
```

Before anything is written, the run checks the catalogue, the output folder, the model
and every prediction setting; the settings by predicting a one-pixel probe through the
engine's own ``predict`` over the mosaics (in a scratch folder), so that every check a
single prediction makes is made, once, before the first tile.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from ..errors import CatalogueIncomplete, InputError, PredictionCancelled
from ..geo import Bounds, PixelWindow, window_bounds
from ..options import CATALOGUE_ATTEMPTS, CATALOGUE_OUTPUT
from .assemble import assemble
from .executors import (
    Event,
    Executor,
    Failed,
    Finished,
    InProcessExecutor,
    Progress,
    Started,
)
from .layout import OutputTile, output_tiles, parse_shard, shard_of
from .manifest import (
    Manifest,
    TileRecord,
    manifest_path,
    manifest_paths,
    read_finished,
    remove_manifests,
)
from .sources import Catalogue, find_catalogue, write_mosaic
from .worker import OUTPUT_FOLDERS, JobSpec

log = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]
EventCallback = Callable[[Event], None]

POLL_S = 0.2
"""How often the driver looks at cancel and refreshes the progress while tiles run."""
PIXEL_OPTIONS_IGNORED = ("device", "batch_size", "num_readers", "overwrite")
"""predict() options that never change a pixel: a job may resume with others."""
_SHOWN_TILES = 5  # failed tiles named in the final message


@dataclass
class CatalogueResult:
    """What a catalogue run did, for the caller's report."""

    folder: Path
    mosaic: Optional[Path]  # landcover.vrt, once every tile of the job is finished
    probabilities: Optional[Path]
    confidence: Optional[Path]
    cog: Optional[Path]
    tiles_total: int  # output tiles of the job (every shard)
    tiles_selected: int  # this run's share (its shard, else every tile)
    tiles_reused: int  # finished by an earlier run: skipped
    tiles_computed: int
    retries: int  # tries that failed and were made again
    elapsed_s: float
    megapixels_per_s: float  # output pixels this run computed, per second
    executor: str
    warnings: List[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        """Whether every tile of the job is finished and the mosaic written."""
        return self.mosaic is not None


def run_catalogue(inputs: Union[PathLike, Sequence[PathLike]], model: PathLike,
                  output: PathLike, *, tile_size: Optional[int] = None,
                  extent: Optional[Sequence[float]] = None, probabilities: bool = False,
                  confidence: bool = False, executor: Optional[Executor] = None,
                  shard: Union[None, str, Tuple[int, int]] = None,
                  attempts: int = CATALOGUE_ATTEMPTS, overviews: bool = True,
                  cog: bool = False, name: str = CATALOGUE_OUTPUT, overwrite: bool = False,
                  progress: Optional[Callable[[float, str], None]] = None,
                  cancel: Optional[Callable[[], bool]] = None,
                  warn: Optional[Callable[[str], None]] = None,
                  info: Optional[Callable[[str], None]] = None,
                  on_event: Optional[EventCallback] = None, loaded: Any = None,
                  **predict_options: Any) -> CatalogueResult:
    """Predict a catalogue of tiles into a folder of output tiles and one mosaic; resumable.

    Args:
        inputs: the imagery: a folder of tiles (searched recursively), a list file, or one
            mosaic (VRT); several for several rasters per place (BD ORTHO RGB and IRC
            folders), read with ``bands`` as :func:`~..inference.predict.predict` reads
            several rasters (the first one's grid is the output's).
        model: the checkpoint file (every worker loads it: a path they all see).
        output: the output folder: ``tiles/`` (one class raster per output tile),
            ``inputs/`` (the input mosaics), ``manifest*.json``, and at the end
            ``<name>.vrt`` with overviews and a style.
        tile_size: output tiles of this many pixels (a regular grid) instead of one per
            input tile.
        extent: only the output tiles meeting (xmin, ymin, xmax, ymax), in the CRS of the
            input; they are the same as in a run over every tile.
        probabilities, confidence: also write these rasters (``probabilities/``,
            ``confidence/`` and a VRT each).
        executor: where tiles run (default: this process, one tile at a time).
        shard: ``"I/N"`` or (I, N): this run computes shard I (0..N-1) of N (a SLURM
            array task); the shards partition the tiles.
        attempts: tries per tile before it is reported failed.
        overviews, cog: build the mosaic's overviews; also write it as one COG.
        name: the mosaics' base name.
        overwrite: start afresh in a folder that holds another job (or other files).
        progress, cancel, warn: the engine's callbacks (progress over every worker).
        info: where the notes of the prediction (runtime, precision) are told, once.
        on_event: called in this thread with each executor event (a tile started, made
            progress, finished, failed), for logs and monitoring.
        loaded: the model at ``model``, already loaded by the caller: not loaded again.
        **predict_options: the other keyword arguments of
            :func:`~..inference.predict.predict` (``bands``, ``block``, ``halo``,
            ``blend``, ``batch_size``, ``device``, ``precision``, ``input_scale``...).

    Raises:
        InputError: a bad catalogue, model, setting or output folder, before any file is
            written; or a folder holding another job.
        PredictionCancelled: ``cancel()`` returned True; the finished tiles are kept and
            recorded, running ones leave no file.
        CatalogueIncomplete: tiles failed every try; the others are kept, a rerun
            computes only the missing ones.
    """
    started = time.perf_counter()
    warnings: List[str] = []

    def say(message: str) -> None:
        if message not in warnings:
            warnings.append(message)
            (warn or log.warning)(message)

    folder = Path(output)
    specs = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    shard = parse_shard(shard) if isinstance(shard, str) else shard
    _check_arguments(specs, model, folder, attempts, overwrite)
    catalogues = [find_catalogue(spec, exclude=folder) for spec in specs]
    everything = output_tiles(catalogues[0], tile_size, extent)
    selected = shard_of(everything, *shard) if shard else everything
    layout = _bounds(catalogues[0])

    from ..inference.predict import load_model_for_inference

    loaded = load_model_for_inference(model if loaded is None else loaded)
    remote = getattr(executor, "remote", False)
    with tempfile.TemporaryDirectory(prefix="flair-catalogue-") as scratch:
        mosaics = [write_mosaic(c, Path(scratch) / f"input-{i + 1}.vrt")
                   for i, c in enumerate(catalogues)]
        _probe(mosaics, loaded, model, Path(scratch), everything[0], layout,
               predict_options, remote, say, info)
        job = _job(model, mosaics, layout, tile_size, predict_options, probabilities,
                   confidence)

    # Checked: from here on, files are written; the manifest first, so that the folder is
    # known as this job's whatever happens next.
    finished = _resume(folder, job, overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(manifest_path(folder, shard), job,
                        {t.name: finished[t.name] for t in selected if t.name in finished})
    manifest.flush(force=True)
    mosaics = _write_inputs(folder, catalogues)
    spec = JobSpec(tuple(os.fspath(m) for m in mosaics), os.path.abspath(model),
                   os.fspath(folder.resolve()), layout, dict(predict_options), probabilities,
                   confidence)
    for sub, wanted in zip(OUTPUT_FOLDERS, (True, probabilities, confidence)):
        if wanted:
            (folder / sub).mkdir(exist_ok=True)
    todo = [t for t in selected if t.name not in finished]
    executor = executor or InProcessExecutor(model=loaded)
    dispatch = _Dispatch(spec, todo, executor, manifest, attempts, progress, cancel, say,
                         on_event, len(selected) - len(todo))
    try:
        dispatch.run()
    finally:
        manifest.flush(force=True)
    if dispatch.failed:
        raise CatalogueIncomplete(_failed_message(dispatch, len(selected)))

    result = CatalogueResult(
        folder, None, None, None, None, len(everything), len(selected),
        len(selected) - len(todo), dispatch.computed, dispatch.retries,
        time.perf_counter() - started, dispatch.pixels / max(dispatch.elapsed, 1e-9) / 1e6,
        executor.describe() if todo else "none (every tile was finished)", warnings)
    done = read_finished(folder, job)  # the shards' tiles too
    if all(t.name in done for t in everything):
        written = assemble(spec, [t.name for t in everything], loaded.meta.active_codes,
                           name=name, overviews=overviews, cog=cog, warn=say)
        result.mosaic = written["classes"]
        result.probabilities = written.get("probabilities")
        result.confidence = written.get("confidence")
        result.cog = written.get("cog")
    return result


# --------------------------------------------------------------------------- dispatch

class _Dispatch:
    """The loop that keeps the executor's slots busy, retries, records and reports."""

    def __init__(self, spec: JobSpec, todo: Sequence[OutputTile], executor: Executor,
                 manifest: Manifest, attempts: int, progress, cancel, say, on_event,
                 reused: int) -> None:
        self.spec, self.executor, self.manifest = spec, executor, manifest
        self.tiles = {t.name: t for t in todo}
        self.pending = deque(t.name for t in todo)
        self.running: Dict[str, float] = {}  # name -> fraction done
        self.tries: Counter = Counter()
        self.failed: Dict[str, str] = {}
        self.attempts, self.reused = attempts, reused
        self.progress, self.cancel, self.say, self.on_event = progress, cancel, say, on_event
        self.computed = self.retries = self.pixels = 0
        self.elapsed = 0.0

    def run(self) -> None:
        if not self.tiles:
            return
        started = time.perf_counter()
        try:
            self.executor.start(self.spec)
            while self.pending or self.running:
                if self.cancel is not None and self.cancel():
                    raise PredictionCancelled(
                        f"catalogue cancelled: {self.computed} tiles finished in this run are "
                        f"kept; run the same command again to compute the "
                        f"{len(self.tiles) - self.computed - len(self.failed)} others")
                self._fill()
                for event in self.executor.events(POLL_S):
                    self._handle(event)
                self.manifest.flush()
                self._report(started)
        except BaseException:
            self.executor.close(cancel=True)
            raise
        finally:
            self.elapsed = time.perf_counter() - started
        self.executor.close()

    def _fill(self) -> None:
        from .worker import TileTask

        while self.pending and len(self.running) < self.executor.slots:
            name = self.pending.popleft()
            self.tries[name] += 1
            self.running[name] = 0.0
            tile = self.tiles[name]
            self.executor.submit(TileTask(name, tile.bounds))

    def _handle(self, event: Event) -> None:
        if self.on_event is not None:
            self.on_event(event)
        if event.name not in self.running:
            return  # a late report of a tile already settled
        if isinstance(event, Progress):
            self.running[event.name] = max(0.0, min(1.0, event.fraction))
        elif isinstance(event, Finished):
            del self.running[event.name]
            done = event.done
            self.manifest.record(TileRecord(
                done.name, self.spec.files(done.name), done.sizes, round(done.elapsed_s, 3),
                self.tries[done.name], done.worker, time.time()))
            self.computed += 1
            self.pixels += done.pixels
            for message in done.warnings:
                self.say(message)
        elif isinstance(event, Failed):
            del self.running[event.name]
            if event.retry and self.tries[event.name] < self.attempts:
                self.retries += 1
                self.pending.append(event.name)
                log.warning("tile %s failed (%s): trying again", event.name, event.error)
            else:
                self.failed[event.name] = event.error
                self.manifest.record_failure(event.name, event.error)
                self.say(f"tile {event.name} failed after {self.tries[event.name]} "
                         f"tr{'ies' if self.tries[event.name] > 1 else 'y'}: {event.error}")
        elif not isinstance(event, Started):
            raise TypeError(f"unknown executor event {event!r}")

    def _report(self, started: float) -> None:
        if self.progress is None:
            return
        total = len(self.tiles)
        done = self.computed + len(self.failed) + sum(self.running.values())
        rate = self.pixels / max(time.perf_counter() - started, 1e-9) / 1e6
        self.progress(done / total, f"{self.computed + self.reused}/{total + self.reused} "
                                    f"tiles ({len(self.running)} running, {self.retries} "
                                    f"retried, {len(self.failed)} failed), {rate:.2f} Mpx/s")


# --------------------------------------------------------------------------- checks

def _check_arguments(specs: Sequence, model, folder: Path, attempts: int,
                     overwrite: bool) -> None:
    if not specs:
        raise InputError("no input catalogue given")
    if isinstance(attempts, bool) or int(attempts) != attempts or attempts < 1:
        raise InputError(f"attempts must be 1 or more, got {attempts!r}")
    if not isinstance(model, (str, os.PathLike)):
        raise InputError("a catalogue's model must be a checkpoint file (every worker loads "
                         "it), not a loaded model")
    if not os.path.isfile(model):
        raise InputError(f"model file {model} does not exist")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"output {folder} is a file: a catalogue writes a folder of tiles; "
                         f"give a folder name")
    parent = folder if folder.is_dir() else folder.parent
    if not parent.is_dir():
        raise InputError(f"folder {parent} does not exist: create it, or choose another "
                         f"output folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"output folder {parent} is not writable: choose a folder you can "
                         f"write to")
    for spec in specs:
        inside = Path(spec).resolve()
        if inside == folder.resolve() or folder.resolve() in inside.parents:
            raise InputError(f"input {spec} lies inside the output folder {folder}: choose "
                             f"an output folder elsewhere")
    if folder.is_dir() and not overwrite and not manifest_paths(folder) \
            and any(folder.iterdir()):
        raise InputError(f"output folder {folder} is not empty and holds no catalogue job to "
                         f"resume: choose an empty or new folder, or allow overwriting")


def _probe(mosaics: Sequence[Path], loaded, model_file, scratch: Path, tile: OutputTile,
           layout: Bounds, options: Dict[str, Any], remote: bool, say, info) -> None:
    """Predict one pixel of the first output tile, as the workers will predict tiles, so
    that every check of a prediction runs now: bands, data types, block, halo, blend,
    device, Sentinel-2 coverage..."""
    from ..inference.predict import predict

    options = dict(options)
    if remote:  # the workers' devices, not this machine's, run the tiles
        import torch

        if str(options.get("device", "auto")).startswith("cuda") \
                and not torch.cuda.is_available():
            options["device"] = "cpu"
            if options.get("precision") == "fp16":
                options["precision"] = "fp32"
    pixel = PixelWindow(tile.window.col_off, tile.window.row_off, 1, 1)
    from rasterio import open as open_raster

    with open_raster(mosaics[0]) as ds:
        probe_extent = window_bounds(ds.transform, pixel)
    inputs = [os.fspath(m) for m in mosaics]
    predict(inputs if len(inputs) > 1 else inputs[0], loaded, scratch / "probe.tif",
            extent=probe_extent, layout_extent=layout, warn=say, info=info, overwrite=True,
            model_file=model_file, **options)


def _job(model, mosaics: Sequence[Path], layout: Bounds, tile_size: Optional[int],
         options: Dict[str, Any], probabilities: bool, confidence: bool) -> Dict[str, Any]:
    """What a tile is computed from: a rerun resumes only the same job."""
    return {
        "model": {"file": os.path.abspath(model), "sha256": _sha256(Path(model))},
        "inputs": [hashlib.sha256(m.read_bytes()).hexdigest() for m in mosaics],
        "layout": list(layout),
        "tile_size": tile_size,
        "options": json.loads(json.dumps(
            {k: v for k, v in sorted(_with_defaults(options).items())
             if k not in PIXEL_OPTIONS_IGNORED}, default=str)),
        "outputs": {"probabilities": bool(probabilities), "confidence": bool(confidence)},
    }


def _with_defaults(options: Dict[str, Any]) -> Dict[str, Any]:
    """``options`` with predict()'s defaults for the settings not given, so that a job
    given ``blend="crop"`` and one given no blend are the same job."""
    import inspect

    from ..inference.predict import predict

    defaults = {name: p.default for name, p in inspect.signature(predict).parameters.items()
                if p.kind is p.KEYWORD_ONLY and p.default is not None
                and isinstance(p.default, (str, int, float, bool))}
    return {**defaults, **options}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(2 ** 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _resume(folder: Path, job: Dict[str, Any], overwrite: bool) -> Dict[str, TileRecord]:
    """The tiles finished by earlier runs of this job (none when starting afresh)."""
    if overwrite:
        remove_manifests(folder)
        return {}
    return read_finished(folder, job)


def _write_inputs(folder: Path, catalogues: Sequence[Catalogue]) -> List[Path]:
    (folder / "inputs").mkdir(parents=True, exist_ok=True)
    return [write_mosaic(c, folder / "inputs" / f"input-{i + 1}.vrt")
            for i, c in enumerate(catalogues)]


def _bounds(catalogue: Catalogue) -> Bounds:
    g = catalogue.grid
    return window_bounds(g.transform, PixelWindow(0, 0, g.width, g.height))


def _failed_message(dispatch: _Dispatch, selected: int) -> str:
    names = sorted(dispatch.failed)
    shown = "; ".join(f"{n}: {dispatch.failed[n]}" for n in names[:_SHOWN_TILES])
    more = f" (and {len(names) - _SHOWN_TILES} more)" if len(names) > _SHOWN_TILES else ""
    return (f"{len(names)} of {selected} output tiles failed: {shown}{more}. The "
            f"{selected - len(names)} others are finished and kept: fix the cause and run "
            f"the same command again to compute only the missing tiles")

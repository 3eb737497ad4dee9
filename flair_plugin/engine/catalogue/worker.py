"""One worker's side of a catalogue job: the model loaded once, output tiles predicted in turn.

Every executor (this process, local worker processes, Ray actors) runs tiles through
:class:`TileWorker`, so a tile is computed the same way wherever it runs: the engine's
:func:`~..inference.predict.predict` over the input mosaics, with ``extent`` = the
output tile and ``layout_extent`` = the whole mosaic (the tile then equals the same
window of a single run over the mosaic, seams included), written atomically.

Everything here is picklable (a job and its tasks travel to other processes and machines).
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple

from ..geo import Bounds

ProgressCallback = Callable[[float, str], None]
CancelCallback = Callable[[], bool]

OUTPUT_FOLDERS = ("tiles", "probabilities", "confidence")
"""Sub-folders of the output folder: class tiles, and the optional rasters' tiles."""


@dataclass(frozen=True)
class JobSpec:
    """What every worker needs to compute any tile of a job."""

    inputs: Tuple[str, ...]  # the input mosaics (VRTs) or rasters, as predict() takes them
    model: str  # checkpoint path, readable by every worker
    folder: str  # the output folder, shared by every worker
    layout_extent: Bounds  # the whole mosaic: every tile is a window of one run over it
    options: Dict[str, Any] = field(default_factory=dict)  # predict() keyword arguments
    probabilities: bool = False
    confidence: bool = False

    def files(self, name: str) -> Tuple[str, ...]:
        """A tile's files, relative to the output folder: the class raster first."""
        wanted = (True, self.probabilities, self.confidence)
        return tuple(f"{folder}/{name}.tif" for folder, want in zip(OUTPUT_FOLDERS, wanted)
                     if want)


@dataclass(frozen=True)
class TileTask:
    """One output tile to compute."""

    name: str
    bounds: Bounds  # map coordinates, the CRS of the mosaic


@dataclass(frozen=True)
class TileDone:
    """A computed tile, as the worker reports it."""

    name: str
    sizes: Tuple[int, ...]  # bytes of each of the tile's files
    elapsed_s: float
    worker: str  # host:pid
    pixels: int
    warnings: Tuple[str, ...] = ()


def worker_id() -> str:
    """``host:pid`` of this process, to say where a tile ran (and to find a worker)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class TileWorker:
    """A worker's model and the tiles it predicts.

    Args:
        spec: the job.
        device: this worker's device (``cuda:1``...); default: the job's.
        threads: torch's CPU threads in this process (a worker process among several
            on one CPU); None leaves torch's setting.
        model: the model, already loaded (this process's driver loaded it to check the
            job): not loaded a second time.

    Raises:
        CheckpointError / InputError: the model cannot be loaded.
    """

    def __init__(self, spec: JobSpec, device: Optional[str] = None,
                 threads: Optional[int] = None, model: Any = None) -> None:
        import torch

        from ..inference.predict import load_model_for_inference

        if threads:
            torch.set_num_threads(int(threads))
        self.spec = spec
        self.device = device or spec.options.get("device", "auto")
        self.model = load_model_for_inference(spec.model if model is None else model)
        self.id = worker_id()

    def run(self, task: TileTask, progress: Optional[ProgressCallback] = None,
            cancel: Optional[CancelCallback] = None) -> TileDone:
        """Predict one output tile and write its files (replacing a leftover from a run
        that stopped before recording it).

        Raises:
            UserError: a problem with the inputs or settings (the same on every try).
            Cancelled: ``cancel()`` returned True; the tile's files were not written.
        """
        from ..inference.predict import predict

        spec = self.spec
        folder = Path(spec.folder)
        files = [folder / f for f in spec.files(task.name)]
        extra = iter(files[1:])
        warnings: list = []
        started = time.perf_counter()
        options = dict(spec.options, device=self.device)
        result = predict(
            list(spec.inputs) if len(spec.inputs) > 1 else spec.inputs[0], self.model,
            files[0], extent=task.bounds, layout_extent=spec.layout_extent,
            probabilities=next(extra) if spec.probabilities else None,
            confidence=next(extra) if spec.confidence else None, progress=progress,
            cancel=cancel, warn=warnings.append, info=_quiet, overwrite=True,
            model_file=spec.model, **options)
        return TileDone(task.name, tuple(f.stat().st_size for f in files),
                        time.perf_counter() - started, self.id, result.width * result.height,
                        tuple(dict.fromkeys(warnings)))


def _quiet(message: str) -> None:
    """A tile's notes (runtime and precision chosen): the driver's probe told them once."""

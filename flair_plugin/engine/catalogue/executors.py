"""Where a catalogue's tiles run: this process, local worker processes, or Ray (:mod:`.ray`).

The driver (:mod:`.run`) hands an :class:`Executor` one task per free slot and collects
its events (a tile started, progressed, finished or failed); retries, the manifest and
progress are the driver's, the same for every executor. Every executor computes a tile
with :class:`~.worker.TileWorker`, so a tile is the same wherever it runs.

* :class:`InProcessExecutor`: one tile at a time in a thread of this process (the tile
  itself uses reader threads and the device). The only executor inside QGIS, which must
  never start processes (they would relaunch QGIS).
* :class:`ProcessExecutor`: N worker processes on this machine, one per GPU (``cuda:0``,
  ``cuda:1``...) or sharing the CPU cores, each holding the model once. A worker that
  dies (killed, out of memory) is replaced and its tile handed back as failed, to retry.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from ..errors import Cancelled, InferenceError, UserError
from ..io.atomic import discard, temporaries_of
from .worker import JobSpec, TileDone, TileTask, TileWorker

PROGRESS_EVERY_S = 0.5
"""Shortest time between two progress reports of one tile (they cross processes)."""
WORKER_START_FAILURES = 2
"""Worker processes that may die before loading the model before the run is stopped."""
_POLL_S = 0.05


# --------------------------------------------------------------------------- events

@dataclass(frozen=True)
class Started:
    name: str
    worker: str  # host:pid


@dataclass(frozen=True)
class Progress:
    name: str
    fraction: float


@dataclass(frozen=True)
class Finished:
    name: str
    done: TileDone


@dataclass(frozen=True)
class Failed:
    name: str
    error: str
    retry: bool  # False: the same error would come again (a user error)


Event = Union[Started, Progress, Finished, Failed]


def failure(name: str, error: BaseException) -> Failed:
    """A tile's failure: a user error (bad input, damaged file) would fail again, anything
    else (a worker killed, a lost file system) may pass on another try."""
    if isinstance(error, UserError):
        return Failed(name, " ".join(str(error).split()), False)
    return Failed(name, f"{type(error).__name__}: {' '.join(str(error).split())}", True)


def throttled(send: Callable[[Event], None], name: str) -> Callable[[float, str], None]:
    """A tile's ``progress`` callback that sends at most every :data:`PROGRESS_EVERY_S`."""
    last = [0.0]

    def progress(fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            send(Progress(name, float(fraction)))

    return progress


def remove_partial_files(spec: JobSpec, name: str) -> None:
    """Remove what a worker killed while writing tile ``name`` left: its temporary files
    (:func:`~..io.atomic.temporaries_of`). A worker that stops on its own removes them
    itself; one killed by a signal cannot."""
    for file in spec.files(name):
        for leftover in temporaries_of(Path(spec.folder) / file):
            discard(leftover)


# --------------------------------------------------------------------------- the interface

class Executor(ABC):
    """Runs tiles of one job; see the module's docstring."""

    remote = False
    """True when tiles run on other machines, whose devices this one may lack."""

    @abstractmethod
    def start(self, spec: JobSpec) -> None:
        """Start the workers (each loads the model).

        Raises:
            UserError: the workers cannot start (e.g. no Ray cluster at the address).
        """

    @property
    @abstractmethod
    def slots(self) -> int:
        """How many tiles it takes at once."""

    @abstractmethod
    def submit(self, task: TileTask) -> None:
        """Start computing ``task`` (a slot must be free)."""

    @abstractmethod
    def events(self, timeout: float) -> List[Event]:
        """What happened since the last call, waiting up to ``timeout`` s for something.

        Raises:
            InferenceError: the workers cannot run at all (e.g. they die while starting).
        """

    @abstractmethod
    def close(self, cancel: bool = False) -> None:
        """Stop the workers; with ``cancel`` stop the running tiles first (their partial
        files are removed). Safe to call twice."""

    @abstractmethod
    def describe(self) -> str:
        """One line for the log: what runs the tiles."""


# --------------------------------------------------------------------------- in process

class InProcessExecutor(Executor):
    """One tile at a time, in a thread of this process (QGIS, or one GPU headless).

    Args:
        device: the device (default: the job's).
        model: an already loaded model to share (the driver's), not loaded again.
    """

    def __init__(self, device: Optional[str] = None, model=None) -> None:
        self.device, self.model = device, model
        self._events: "queue.Queue[Event]" = queue.Queue()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._worker: Optional[TileWorker] = None
        self._spec: Optional[JobSpec] = None

    @property
    def slots(self) -> int:
        return 1

    def start(self, spec: JobSpec) -> None:
        self._spec = spec
        self._worker = TileWorker(spec, self.device, None, self.model)

    def submit(self, task: TileTask) -> None:
        if self._thread is not None:  # it reported its tile: at most finishing its return
            self._thread.join()
        self._thread = threading.Thread(target=self._run, args=(task,), daemon=True,
                                        name=f"flair-catalogue-{task.name}")
        self._thread.start()

    def _run(self, task: TileTask) -> None:
        self._events.put(Started(task.name, self._worker.id))
        try:
            done = self._worker.run(task, throttled(self._events.put, task.name),
                                    self._stop.is_set)
        except Cancelled:
            return  # the driver cancelled; it knows
        except Exception as exc:  # noqa: BLE001 - reported to the driver, which decides
            self._events.put(failure(task.name, exc))
        else:
            self._events.put(Finished(task.name, done))

    def events(self, timeout: float) -> List[Event]:
        return _drain(self._events, timeout)

    def close(self, cancel: bool = False) -> None:
        if cancel:
            self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def describe(self) -> str:
        device = self.device or (self._spec.options.get("device", "auto") if self._spec
                                 else "auto")
        return f"this process (device {device})"


def _drain(events: "queue.Queue", timeout: float) -> List[Event]:
    out = []
    try:
        out.append(events.get(timeout=timeout))
        while True:
            out.append(events.get_nowait())
    except queue.Empty:
        pass
    return out


# --------------------------------------------------------------------------- processes

class ProcessExecutor(Executor):
    """Worker processes on this machine, each with the model loaded once.

    Args:
        workers: how many processes.
        devices: the device of each (cycled), e.g. ``["cuda:0", "cuda:1"]``; default: the
            job's for all.
        threads: torch CPU threads per process (default: the cores shared out).
    """

    def __init__(self, workers: int, devices: Optional[Sequence[str]] = None,
                 threads: Optional[int] = None) -> None:
        if int(workers) < 1:
            raise ValueError("ProcessExecutor needs at least one worker")
        self.count = int(workers)
        self.devices = list(devices or [])
        self.threads = threads or max(1, (os.cpu_count() or 1) // self.count)
        # spawn, not fork: a forked copy of a process with threads (GDAL, torch) can hang.
        self._context = multiprocessing.get_context("spawn")
        self._events = self._context.Queue()
        self._stop = self._context.Event()
        self._workers: Dict[int, _Process] = {}
        self._start_failures = 0
        self._spec: Optional[JobSpec] = None
        self._next_index = 0

    @property
    def slots(self) -> int:
        return self.count

    def start(self, spec: JobSpec) -> None:
        self._spec = spec
        for _ in range(self.count):
            self._spawn()

    def _spawn(self) -> None:
        index = self._next_index
        self._next_index += 1
        device = self.devices[index % len(self.devices)] if self.devices else None
        tasks = self._context.Queue()
        process = self._context.Process(
            target=_process_main, name=f"flair-catalogue-worker-{index}", daemon=True,
            args=(index, self._spec, device, self.threads, tasks, self._events, self._stop,
                  os.getpid()))
        process.start()
        self._workers[index] = _Process(process, tasks, device)

    def submit(self, task: TileTask) -> None:
        idle = [w for w in self._workers.values() if w.task is None]
        if not idle:
            raise RuntimeError("no idle worker process")
        worker = idle[0]
        worker.task = task.name
        worker.tasks.put(task)

    def events(self, timeout: float) -> List[Event]:
        out: List[Event] = []
        for item in _drain(self._events, timeout):
            kind = item[0]
            if kind == "ready":
                self._start_failures = 0
            elif kind == "dead":  # the model could not be loaded: every worker would fail
                raise InferenceError(f"a worker process could not start: {item[2]}")
            else:
                event = item[1]
                if isinstance(event, (Finished, Failed)):
                    self._release(event.name)
                out.append(event)
        out.extend(self._reap())
        return out

    def _release(self, name: str) -> None:
        for worker in self._workers.values():
            if worker.task == name:
                worker.task = None

    def _reap(self) -> List[Event]:
        """Workers that died: their tile fails (to retry) and a new worker replaces them."""
        out: List[Event] = []
        for index, worker in list(self._workers.items()):
            if worker.process.is_alive():
                continue
            worker.process.join()
            del self._workers[index]
            code = worker.process.exitcode
            if worker.task is not None:
                remove_partial_files(self._spec, worker.task)
                out.append(Failed(worker.task, f"worker process {worker.process.pid} died "
                                               f"(exit code {code})", True))
            else:
                self._start_failures += 1
                if self._start_failures > WORKER_START_FAILURES:
                    raise InferenceError(f"worker processes keep dying before they take a "
                                         f"tile (exit code {code}): see the messages above")
            self._spawn()
        return out

    def close(self, cancel: bool = False) -> None:
        if cancel:
            self._stop.set()
        for worker in self._workers.values():
            worker.tasks.put(None)
        deadline = time.monotonic() + 60
        for worker in self._workers.values():
            worker.process.join(max(0.1, deadline - time.monotonic()))
            if worker.process.is_alive():  # stuck in native code: it must not outlive us
                worker.process.kill()
                worker.process.join()
                if worker.task is not None:
                    remove_partial_files(self._spec, worker.task)
        self._workers.clear()

    def describe(self) -> str:
        devices = ", ".join(sorted(set(self.devices))) or (
            self._spec.options.get("device", "auto") if self._spec else "auto")
        return (f"{self.count} worker process{'es' if self.count > 1 else ''} on this machine "
                f"({devices}, {self.threads} CPU thread{'s' if self.threads > 1 else ''} each)")


@dataclass
class _Process:
    process: multiprocessing.Process
    tasks: "multiprocessing.Queue"
    device: Optional[str]
    task: Optional[str] = None  # the tile it holds


def _process_main(index: int, spec: JobSpec, device: Optional[str], threads: int,
                  tasks, events, stop, parent: int) -> None:
    """A worker process: load the model, then compute tiles until told to stop."""
    # Ctrl-C reaches the whole process group: the driver decides, the workers stop when
    # it says so. SIGTERM to this worker (a scheduler's, or kill) stops its running tile
    # cleanly (no partial file) and ends it; the driver hands the tile to another worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    terminated = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: terminated.set())
    try:
        worker = TileWorker(spec, device, threads)
    except Exception as exc:  # noqa: BLE001 - told to the driver, which stops the run
        events.put(("dead", index, failure("", exc).error))
        return
    events.put(("ready", index, worker.id))
    while True:
        try:
            task = tasks.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:  # the driver died: do not linger
                return
            continue
        if task is None or terminated.is_set():
            return
        events.put(("event", Started(task.name, worker.id)))
        try:
            done = worker.run(task, throttled(lambda e: events.put(("event", e)), task.name),
                              lambda: stop.is_set() or terminated.is_set())
        except Cancelled:
            return
        except Exception as exc:  # noqa: BLE001 - reported to the driver, which decides
            events.put(("event", failure(task.name, exc)))
        else:
            events.put(("event", Finished(task.name, done)))


def local_devices(device: str, workers: Optional[int]) -> Tuple[int, List[str]]:
    """How many local worker processes and their devices, for ``device`` and ``workers``.

    ``auto``/``cuda`` with N GPUs: one process per GPU (``cuda:0``...); an explicit
    ``cuda:K`` or ``cpu``: ``workers`` processes on it; ``workers`` 0 or None on a
    machine with at most one GPU: none (the tiles run in this process).
    """
    import torch

    gpus = torch.cuda.device_count() if device in ("auto", "cuda") else 0
    if workers is None:
        workers = gpus if gpus > 1 else 0
    if workers and gpus:
        return workers, [f"cuda:{i % gpus}" for i in range(workers)]
    return workers or 0, [device] if workers else []

"""Ray: a catalogue's tiles on a cluster (Kubernetes, SLURM, cloud, or ``ray start`` on one
machine), one actor per GPU holding the model once, one task per output tile.

Ray is optional: it is imported here only, when a run asks for it, and nothing else in
the plugin needs it (QGIS never does). Every node must see the plugin's Python packages
and the same paths for the inputs, the model and the output folder (a shared disk).

* Actors restart when their process dies (``max_restarts=-1``); Ray itself retries no
  task (``max_task_retries=0``): the driver does, the same way for every executor, so a
  tile that keeps failing is reported after its tries while the others go on.
* Each actor reports a tile's start and progress through a small queue actor (the
  driver shows one bar for all workers) and reads a stop flag actor between batches, so
  a cancel stops every running tile cleanly (no partial file).
"""

from __future__ import annotations

import math
import time
from typing import Dict, List, Optional, Tuple

from ..errors import Cancelled, InferenceError, InputError
from .executors import (
    Event,
    Executor,
    Failed,
    Finished,
    Started,
    failure,
    remove_partial_files,
    throttled,
)
from .worker import JobSpec, TileDone, TileTask, TileWorker

DEFAULT_CPUS_PER_WORKER = 4
"""CPU cores of a CPU-only actor (torch threads); an actor with a GPU gets its share."""
STOP_CHECK_S = 0.5
"""Shortest time between two reads of the stop flag by a running tile."""
READY_TIMEOUT_S = 120.0
"""How long the first actor may take to load the model before its error is awaited no
longer (slow storage): the run then goes on and a failing actor fails its tiles."""
CLOSE_TIMEOUT_S = 60.0


class _TileActor:
    """One Ray actor: the model loaded once, tiles computed in turn (made remote at start)."""

    def __init__(self, spec: JobSpec, device: str, threads: int, events, stop) -> None:
        self.events, self.stop = events, stop
        self._stop_checked, self._stopped = 0.0, False
        try:
            self.worker = TileWorker(spec, device, threads)
            self.error: Optional[str] = None
        except Exception as exc:  # noqa: BLE001 - ready() tells the driver why
            self.worker, self.error = None, failure("", exc).error

    def ready(self) -> Tuple[Optional[str], str]:
        """(why the model could not load, or None; host:pid of this actor)."""
        from .worker import worker_id

        return self.error, worker_id()

    def run(self, task: TileTask) -> TileDone:
        if self.worker is None:
            raise InputError(f"the worker could not load the model: {self.error}")
        self.events.put_nowait(Started(task.name, self.worker.id))
        return self.worker.run(task, throttled(self.events.put_nowait, task.name),
                               self._cancelled)

    def _cancelled(self) -> bool:
        import ray

        now = time.monotonic()
        if not self._stopped and now - self._stop_checked >= STOP_CHECK_S:
            self._stop_checked = now
            self._stopped = ray.get(self.stop.is_set.remote())
        return self._stopped


class _StopFlag:
    """Set by the driver to cancel; read by the running tiles."""

    def __init__(self) -> None:
        self.value = False

    def set(self) -> None:
        self.value = True

    def is_set(self) -> bool:
        return self.value


class RayExecutor(Executor):
    """Actors on a Ray cluster.

    Args:
        address: the cluster (``auto``: the one this machine belongs to, ``host:port``:
            its head) or None/``local`` to start Ray on this machine only.
        workers: how many actors (default: one per GPU, or the CPU cores over
            ``cpus_per_worker`` on a cluster without GPUs).
        cpus_per_worker: CPU cores per actor (its reader and torch threads).
        gpus_per_worker: GPUs per actor (0.5: two actors share a GPU); 0: CPU only.
        init_options: more ``ray.init`` keyword arguments.
    """

    remote = True

    def __init__(self, address: Optional[str] = None, workers: Optional[int] = None,
                 cpus_per_worker: Optional[float] = None,
                 gpus_per_worker: Optional[float] = None,
                 init_options: Optional[dict] = None) -> None:
        self.address = None if address in (None, "", "local") else address
        self.workers, self.cpus, self.gpus = workers, cpus_per_worker, gpus_per_worker
        self.init_options = dict(init_options or {})
        self._ray = None
        self._owns_ray = False
        self._actors: List = []
        self._ids: Dict[int, str] = {}
        self._idle: List[int] = []
        self._running: Dict = {}  # ObjectRef -> (task, actor index)
        self._waking: Dict = {}  # ObjectRef of ready() -> index of an actor restarting
        self._spec: Optional[JobSpec] = None
        self._queue = self._stop = None
        self._shape = ""

    @property
    def slots(self) -> int:
        # An actor restarting after its process died takes no tile: Ray would fail it at
        # once ("the actor is restarting"), spending one of the tile's tries for nothing.
        return len(self._actors) - len(self._waking)

    def start(self, spec: JobSpec) -> None:
        try:
            import ray
            from ray.util.queue import Queue
        except ImportError:
            raise InputError("Ray is not installed: pip install \"ray>=2.9\" (on every machine "
                             "of the cluster), or run without a Ray address") from None
        self._ray, self._spec = ray, spec
        if not ray.is_initialized():
            try:
                # The workers' own output would tear the progress bar; a tile's failure
                # comes back to the driver with its message anyway.
                ray.init(address=self.address, **{"log_to_driver": False,
                                                  **self.init_options})
            except ConnectionError as exc:
                raise InputError(f"no Ray cluster at {self.address}: {exc} (start one with "
                                 f"`ray start --head`, or leave the address out to run "
                                 f"here)") from None
            self._owns_ray = True
        count, cpus, gpus = self._actor_shape(ray.cluster_resources(), spec)
        device = "cuda" if gpus else "cpu"  # Ray shows each actor its own GPU(s) only
        self._queue = Queue(actor_options={"num_cpus": 0})
        self._stop = ray.remote(num_cpus=0)(_StopFlag).remote()
        actor_class = ray.remote(num_cpus=cpus, num_gpus=gpus, max_restarts=-1,
                                 max_task_retries=0)(_TileActor)
        threads = max(1, int(cpus))
        self._actors = [actor_class.remote(spec, device, threads, self._queue, self._stop)
                        for _ in range(count)]
        self._idle = list(range(count))
        self._shape = (f"{count} Ray actor{'s' if count > 1 else ''} of {cpus:g} CPU"
                       + (f" + {gpus:g} GPU" if gpus else "") + " each")
        self._await_first_ready()

    def _actor_shape(self, resources: Dict[str, float], spec: JobSpec
                     ) -> Tuple[int, float, float]:
        """(actors, CPUs each, GPUs each) for the cluster's resources."""
        total_cpus = float(resources.get("CPU", 1))
        total_gpus = float(resources.get("GPU", 0))
        device = str(spec.options.get("device", "auto"))
        use_gpus = total_gpus > 0 and device != "cpu" and self.gpus != 0
        if device.startswith("cuda") and not total_gpus:
            raise InputError(f"device {device} was asked for, but the Ray cluster has no GPU "
                             f"({total_cpus:g} CPUs): use --device cpu or auto")
        if use_gpus:
            gpus = float(self.gpus or 1)
            count = int(self.workers or max(1, math.floor(total_gpus / gpus)))
            cpus = float(self.cpus or max(1, math.floor(total_cpus / count)))
        else:
            gpus = 0.0
            if self.workers:
                count = int(self.workers)
                cpus = float(self.cpus or max(1, math.floor(total_cpus / count)))
            else:
                cpus = float(self.cpus or min(DEFAULT_CPUS_PER_WORKER, total_cpus))
                count = max(1, math.floor(total_cpus / cpus))
        if cpus > total_cpus or (use_gpus and gpus * count > total_gpus + 1e-9):
            raise InputError(f"{count} workers of {cpus:g} CPUs and {gpus:g} GPUs do not fit "
                             f"the Ray cluster ({total_cpus:g} CPUs, {total_gpus:g} GPUs)")
        return count, cpus, gpus

    def _await_first_ready(self) -> None:
        """Stop early if the model cannot load on the cluster (a path only this machine
        sees): every tile would fail the same way."""
        ray = self._ray
        refs = {actor.ready.remote(): i for i, actor in enumerate(self._actors)}
        done, _ = ray.wait(list(refs), num_returns=1, timeout=READY_TIMEOUT_S)
        for ref in done:
            error, where = ray.get(ref)
            if error:
                raise InferenceError(f"a Ray worker ({where}) could not load the model: "
                                     f"{error}; every machine must see {self._spec.model}")
            self._ids[refs[ref]] = where

    def submit(self, task: TileTask) -> None:
        index = self._idle.pop(0)
        ref = self._actors[index].run.remote(task)
        self._running[ref] = (task, index)

    def events(self, timeout: float) -> List[Event]:
        ray = self._ray
        from ray.exceptions import RayActorError, RayTaskError

        out: List[Event] = []
        waiting = list(self._running) + list(self._waking)
        ready = []
        if waiting:
            ready, _ = ray.wait(waiting, num_returns=1, timeout=timeout)
            if ready:
                ready, _ = ray.wait(waiting, num_returns=len(waiting), timeout=0)
        else:
            time.sleep(timeout)
        out.extend(self._progress())
        for ref in ready:
            if ref in self._waking:
                self._wake(ref)
                continue
            task, index = self._running.pop(ref)
            try:
                out.append(Finished(task.name, ray.get(ref)))
            except RayActorError as exc:  # the actor's process died: Ray restarts it
                remove_partial_files(self._spec, task.name)
                out.append(Failed(task.name, f"Ray worker died: {' '.join(str(exc).split())}",
                                  True))
                self._waking[self._actors[index].ready.remote()] = index
                continue
            except RayTaskError as exc:
                cause = getattr(exc, "cause", None) or exc
                if not isinstance(cause, Cancelled):
                    out.append(failure(task.name, cause))
            self._idle.append(index)
        return out

    def _wake(self, ref) -> None:
        """An actor answered (back to work) or is still restarting (ask again)."""
        from ray.exceptions import RayActorError

        index = self._waking.pop(ref)
        try:
            self._ray.get(ref)
        except RayActorError:
            time.sleep(0.1)  # Ray answers at once while the actor restarts
            self._waking[self._actors[index].ready.remote()] = index
            return
        self._idle.append(index)

    def _progress(self) -> List[Event]:
        size = self._queue.qsize()
        return list(self._queue.get_nowait_batch(size)) if size else []

    def close(self, cancel: bool = False) -> None:
        ray = self._ray
        if ray is None:
            return
        try:
            if cancel and self._stop is not None:
                self._stop.set.remote()
            if self._running:
                ray.wait(list(self._running), num_returns=len(self._running),
                         timeout=CLOSE_TIMEOUT_S)
            for actor in self._actors + [self._stop]:
                if actor is not None:
                    ray.kill(actor)
            if self._queue is not None:
                self._queue.shutdown(force=True)
            for task, _ in self._running.values():  # killed while writing: clean up
                remove_partial_files(self._spec, task.name)
        finally:
            self._actors, self._running, self._idle = [], {}, []
            self._queue = self._stop = None
            if self._owns_ray:
                ray.shutdown()
            self._ray = None

    def describe(self) -> str:
        where = self.address or "a Ray instance started on this machine"
        return f"{self._shape} on {where}"

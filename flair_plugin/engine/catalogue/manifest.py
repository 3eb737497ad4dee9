"""The manifest: which output tiles of a catalogue job are finished, so a rerun resumes.

Each writer of an output folder keeps its own manifest: a run writes ``manifest.json``,
shard I of N of a SLURM array ``manifest.shard-I-of-N.json``, so array tasks never write
the same file. Readers merge them all. A manifest holds the *job* (model, inputs, layout,
the options that change pixels) and one record per finished tile (its files and their
sizes); a rerun skips a tile only when the job is the same and the tile's files are
there with their recorded sizes.

Manifests are rewritten whole and atomically (:mod:`..io.atomic`) at most every
:data:`FLUSH_S` seconds and when a run ends (finished, failed or cancelled): a crash
loses at most the record of the last few seconds' tiles, which are then computed again
(their files are replaced atomically; a tile is never half written).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from ..errors import InputError
from ..io.atomic import atomic_open

PathLike = Union[str, os.PathLike]

FORMAT = "flair-landcover catalogue manifest"
VERSION = 1
FLUSH_S = 5.0
"""Longest time between two writes of a manifest while tiles finish."""


@dataclass(frozen=True)
class TileRecord:
    """A finished output tile."""

    name: str
    files: Tuple[str, ...]  # relative to the output folder: class raster first
    sizes: Tuple[int, ...]  # bytes of each file, to tell a finished file from another
    elapsed_s: float
    attempts: int  # 1 unless a try failed (a killed worker, an I/O error)
    worker: str  # host:pid that computed it
    finished: float  # Unix time

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "TileRecord":
        return cls(str(data["name"]), tuple(data["files"]), tuple(int(s) for s in data["sizes"]),
                   float(data["elapsed_s"]), int(data["attempts"]), str(data["worker"]),
                   float(data["finished"]))

    def present(self, folder: Path) -> bool:
        """Whether every file of the tile is in ``folder`` with its recorded size."""
        for file, size in zip(self.files, self.sizes):
            try:
                if (folder / file).stat().st_size != size:
                    return False
            except OSError:
                return False
        return True


def manifest_path(folder: PathLike, shard: Optional[Tuple[int, int]] = None) -> Path:
    """The manifest a run (``shard`` None) or an array task writes in ``folder``."""
    name = "manifest.json" if shard is None else f"manifest.shard-{shard[0]}-of-{shard[1]}.json"
    return Path(folder) / name


def manifest_paths(folder: PathLike) -> List[Path]:
    """Every manifest in ``folder`` (a run's and the array tasks')."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("manifest*.json") if p.is_file())


def normalised(job: Mapping[str, Any]) -> Dict[str, Any]:
    """The job as JSON gives it back (tuples become lists), so jobs compare equal."""
    return json.loads(json.dumps(job, sort_keys=True))


def read_finished(folder: PathLike, job: Mapping[str, Any]) -> Dict[str, TileRecord]:
    """The tiles of ``job`` finished in ``folder``, from every manifest there, whose
    files are present with their recorded sizes.

    Raises:
        InputError: a manifest of another job (other model, inputs or settings) is in the
            folder, or a manifest cannot be read: resuming would mix two jobs' tiles.
    """
    folder = Path(folder)
    wanted = normalised(job)
    finished: Dict[str, TileRecord] = {}
    for path in manifest_paths(folder):
        data = _load(path)
        if data.get("job") != wanted:
            raise InputError(
                f"{folder} holds tiles of another job ({path.name}: "
                f"{_difference(data.get('job'), wanted)}): use another output folder, or "
                f"allow overwriting to start this job afresh")
        for item in data.get("tiles", []):
            record = TileRecord.from_json(item)
            known = finished.get(record.name)
            if (known is None or record.finished > known.finished) and record.present(folder):
                finished[record.name] = record
    return finished


def remove_manifests(folder: PathLike) -> None:
    """Forget every job recorded in ``folder`` (its tiles are then computed again)."""
    for path in manifest_paths(folder):
        path.unlink()


class Manifest:
    """One writer's manifest: the job, the tiles this writer finished, those that failed.

    Args:
        path: where it is written (:func:`manifest_path`).
        job: what the tiles were computed from (JSON values).
        previous: records to carry over (tiles finished by earlier runs of this writer).
    """

    def __init__(self, path: PathLike, job: Mapping[str, Any],
                 previous: Mapping[str, TileRecord] = ()) -> None:
        self.path = Path(path)
        self.job = normalised(job)
        self.tiles: Dict[str, TileRecord] = dict(previous)
        self.failed: Dict[str, str] = {}
        self._written = 0.0
        self._dirty = True

    def record(self, record: TileRecord) -> None:
        """A tile finished; written with the next :meth:`flush`."""
        self.tiles[record.name] = record
        self.failed.pop(record.name, None)
        self._dirty = True

    def record_failure(self, name: str, error: str) -> None:
        """A tile failed every try; its error is kept for the report and the next run."""
        self.failed[name] = error
        self._dirty = True

    def flush(self, force: bool = False) -> None:
        """Write the manifest if it changed and :data:`FLUSH_S` passed (or ``force``)."""
        if not self._dirty or (not force and time.monotonic() - self._written < FLUSH_S):
            return
        data = {"format": FORMAT, "version": VERSION, "job": self.job,
                "tiles": [asdict(r) for r in sorted(self.tiles.values(), key=lambda r: r.name)],
                "failed": dict(sorted(self.failed.items()))}
        with atomic_open(self.path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
        self._written, self._dirty = time.monotonic(), False


def _load(path: Path) -> Dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the manifest {path}: {exc}; remove it to compute its "
                         f"tiles again") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"{path} is not a manifest of flair-landcover catalogue: move it "
                         f"away or choose another output folder")
    if data.get("version") != VERSION:
        raise InputError(f"{path} was written by another version of flair-landcover "
                         f"(manifest version {data.get('version')}, this one reads "
                         f"{VERSION}): use another output folder")
    return data


def _difference(found: Any, wanted: Mapping[str, Any], prefix: str = "") -> str:
    """The first setting that differs between two jobs, for the message."""
    if not isinstance(found, dict):
        return "no job recorded"
    for key in sorted(set(found) | set(wanted)):
        a, b = found.get(key), wanted.get(key)
        if a != b:
            if isinstance(a, dict) and isinstance(b, dict):
                return _difference(a, b, f"{prefix}{key}.")
            return f"{prefix}{key} was {json.dumps(a)}, now {json.dumps(b)}"
    return "same job"

"""Atomic file writes: every file the plugin writes appears whole or not at all.

One mechanism for every writer (rasters, models, training logs and curves, reports,
styles, synthetic data): the content goes to a hidden temporary file beside the final
path (same folder, hence same file system, so the rename is atomic), is flushed to the
disk, then renamed onto the final name. A failure or a cancel removes the temporary
file, so a reader never sees half a file and a folder never fills with leftovers.

* :func:`temp_path_for`, :func:`commit`, :func:`discard`: the three steps, for writers
  that keep files open across a long run (:class:`.outputs.OutputSet`).
* :func:`atomic_path`: a temporary path to hand to a library that writes to a path
  (safetensors ``save_file``, matplotlib ``savefig``, Lightning ``save_checkpoint``).
* :func:`atomic_open`: the same for a file object.

``overwrite=False`` never replaces a file: if the final name appeared while the content
was being written (another program, a second run), :class:`.errors.OutputExistsError`
says so and the other file is kept intact.

Before the rename the content is *verified*: the file exists, holds what was written
(:func:`atomic_open` knows the byte count; a writer that knows more, such as the GeoTIFF
writer that knows which blocks it wrote, passes ``verify``), and is synced to the disk.
A disk that filled up while the file was closed (where GDAL only prints an error) thus
fails the run instead of renaming a truncated file into place. A committed file gets the
permissions of a new file (``0666 & ~umask``), or those of the file it replaces: some
libraries write their own temporary files ``0600``.

A temporary name carries the writing process's host and id
(``.<stem>.<host>-<pid>-<random>.part<suffix>``): a process killed outright (SIGKILL, a
crash, a QGIS closed mid-run) leaves it behind, and the next run writing the same output
removes it (:func:`remove_stale_temporaries`) once that process is gone. A live writer's
file, or one of another machine sharing the disk, is never touched.

Pure Python (os only): imported by the QGIS side and the generators without torch.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import secrets
import socket
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Callable, Iterator, List, Optional, Union

from ..errors import OutputExistsError, OutputWriteError, io_error_detail

log = logging.getLogger(__name__)

PathLike = Union[str, "os.PathLike[str]"]

__all__ = ["atomic_open", "atomic_path", "commit", "discard", "exists_error", "is_temp_path",
           "remove_stale_temporaries", "temp_path_for", "temporaries_of"]

TEMP_MARK = ".part"
"""Marks a temporary file: ``.<stem>.<host>-<pid>-<random>.part<suffix>``."""

Verify = Callable[[str], None]
"""Checks a written temporary file before it is renamed; raises when it is incomplete."""

_TEMP_RE = re.compile(r"^\..+\.(?:(?P<host>[0-9a-f]{4})-(?P<pid>[0-9]+)-)?[0-9a-f]{8}"
                      r"\.part(\.[^.]*)?$")
_HOST = hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:4]
_MAX_NAME = 200  # file systems allow 255 bytes per name: room for the token and marks
_NO_SYNC = {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF}
"""fsync refusals of file systems that do not sync on request: nothing more can be done."""


def temp_path_for(final: PathLike) -> Path:
    """A new hidden temporary name beside ``final``: ``.<stem>.<host>-<pid>-<random>.part<suffix>``.

    Same folder as ``final``, so renaming it onto ``final`` is atomic. The suffix is kept
    last because libraries choose the format from it (``savefig`` writes PNG for
    ``.png``); the random token keeps two writers of the same file apart; host and process
    id tell a later run whether the writer is still alive (:func:`remove_stale_temporaries`);
    the leading dot hides it from file browsers, and never matches a FLAIR patch name
    (``IMG_``/``MSK_``) in a dataset scan.

    Args:
        final: the path the content is meant for.

    Returns:
        The temporary path (nothing is created).
    """
    final = Path(final)
    suffix = final.suffix
    stem = final.name[:len(final.name) - len(suffix)] if suffix else final.name
    stem = stem[:max(1, _MAX_NAME - len(suffix))]
    tag = f"{_HOST}-{os.getpid()}-{secrets.token_hex(4)}"
    return final.with_name(f".{stem}.{tag}{TEMP_MARK}{suffix}")


def is_temp_path(path: PathLike) -> bool:
    """Whether ``path`` is named as :func:`temp_path_for` names temporary files (to look
    for leftovers, e.g. in tests)."""
    return bool(_TEMP_RE.match(Path(path).name))


def commit(temp: PathLike, final: PathLike, *, overwrite: bool = True,
           verify: Optional[Verify] = None, size: Optional[int] = None) -> None:
    """Verify ``temp``, flush it to the disk and rename it onto ``final``.

    The data are checked (``size``, ``verify``) and synced before the rename, so neither a
    disk that filled up while the file was written nor a crash right after can leave an
    incomplete ``final``; on POSIX the folder is synced after it (so the rename itself
    lasts). On failure ``temp`` is left in place: :func:`discard` it (as
    :func:`atomic_path` does).

    Args:
        temp: the written temporary file (from :func:`temp_path_for`).
        final: its destination, in the same folder.
        overwrite: replace an existing ``final``. False: the rename is exclusive, and a
            ``final`` that appeared meanwhile is kept as it is.
        verify: called with the temporary path once it is synced; raises if the content
            is incomplete (e.g. a GeoTIFF whose written blocks are not all in the file).
        size: the byte count the writer wrote, when it knows it (checked against the file).

    Raises:
        OutputExistsError: ``overwrite`` is False and ``final`` exists: it was created
            while the content was written (the caller had checked before starting).
        OSError: the file is incomplete, or could not be synced or renamed (disk full,
            permissions); the message names ``final``.
    """
    temp, final = os.fspath(temp), os.fspath(final)
    _fsync_file(temp)
    _check_written(temp, final, size)
    if verify is not None:
        verify(temp)
    _set_mode(temp, final)
    if overwrite:
        os.replace(temp, final)
    else:
        _rename_exclusive(temp, final)
    _fsync_folder(os.path.dirname(os.path.abspath(final)))


def discard(temp: PathLike) -> None:
    """Remove a temporary file; a file already gone is no error.

    Args:
        temp: the temporary path (from :func:`temp_path_for`).
    """
    try:
        os.remove(temp)
    except FileNotFoundError:
        pass


@contextmanager
def atomic_path(final: PathLike, *, overwrite: bool = True,
                verify: Optional[Verify] = None) -> Iterator[Path]:
    """A temporary path to write ``final`` through: committed on success, removed on error.

    For libraries that write to a path::

        with atomic_path(out / "model.safetensors") as temp:
            save_file(state, str(temp))

    Any exception in the block, KeyboardInterrupt included, removes the temporary file
    and propagates; ``final`` is then untouched.

    Args:
        final: the file to write.
        overwrite: replace an existing ``final`` (see :func:`commit`).
        verify: checks the written file before the rename (see :func:`commit`).

    Raises:
        OutputExistsError: ``overwrite`` is False and ``final`` exists, before the block
            runs (nothing is written) or after it (it appeared meanwhile; it is kept).
        FileNotFoundError: the block wrote nothing at the temporary path.
    """
    if not overwrite and os.path.lexists(final):
        raise exists_error(os.fspath(final), "already exists")
    temp = temp_path_for(final)
    try:
        yield temp
        if not os.path.isfile(temp):
            raise FileNotFoundError(f"nothing was written for {final} (no file at {temp})")
        commit(temp, final, overwrite=overwrite, verify=verify)
    except BaseException as exc:
        discard(temp)
        if _is_write_failure(exc):
            raise _write_failure(exc, final) from None
        raise


@contextmanager
def atomic_open(final: PathLike, mode: str = "w", *, overwrite: bool = True,
                **open_kwargs: Any) -> Iterator[IO]:
    """``open(final, mode)`` through a temporary file, as :func:`atomic_path`.

    The file object is closed before the rename, so the whole content is committed.

    Args:
        final: the file to write.
        mode: a write mode: ``"w"``, ``"wt"`` or ``"wb"`` (appending or reading would see
            the empty temporary file, not ``final``).
        overwrite: replace an existing ``final`` (see :func:`commit`).
        **open_kwargs: passed to :func:`open` (encoding, newline...).

    Raises:
        ValueError: ``mode`` is not a write mode.
        OutputExistsError: as :func:`atomic_path`.
    """
    if mode not in ("w", "wt", "wb"):
        raise ValueError(f"atomic_open writes a new file: mode must be 'w', 'wt' or 'wb', "
                         f"got {mode!r}")
    final = os.fspath(final)
    if not overwrite and os.path.lexists(final):
        raise exists_error(final, "already exists")
    temp = temp_path_for(final)
    try:
        with open(temp, mode, **open_kwargs) as f:
            yield f
            f.flush()
            written = f.buffer.tell() if hasattr(f, "buffer") else f.tell()
        commit(temp, final, overwrite=overwrite, size=written)
    except BaseException as exc:
        discard(temp)
        if _is_write_failure(exc):
            raise _write_failure(exc, final) from None
        raise


def temporaries_of(final: PathLike) -> List[Path]:
    """The temporary files of ``final`` in its folder, whoever writes or wrote them.

    Args:
        final: an output path.

    Returns:
        Paths named as :func:`temp_path_for` names ``final``'s temporaries (not those of
        another output whose name starts alike).
    """
    final = Path(final)
    folder = final.parent if str(final.parent) else Path(".")
    suffix = final.suffix
    stem = final.name[:len(final.name) - len(suffix)] if suffix else final.name
    stem = stem[:max(1, _MAX_NAME - len(suffix))]
    prefix, tail = f".{stem}.", f"{TEMP_MARK}{suffix}"
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = []
    for name in names:
        if not (_TEMP_RE.match(name) and name.startswith(prefix) and name.endswith(tail)):
            continue
        if "." not in name[len(prefix):len(name) - len(tail)]:  # not ".a.b.<tag>" of a.b.tif
            found.append(folder / name)
    return found


def remove_stale_temporaries(final: PathLike) -> List[Path]:
    """Remove the temporary files of ``final`` left by writers that are gone.

    A writer killed outright (SIGKILL, a crash, QGIS closed mid-run) cannot remove its
    temporary file. Its name says which host and process wrote it: a file of this host
    whose process no longer exists is removed (with its GDAL ``.aux.xml``). Files of a
    live process (a second run writing the same output right now), of another host
    sharing the disk, or older names without a process id are kept and only logged. On
    Windows, where a process cannot be probed without risk, nothing is removed.

    Args:
        final: the output about to be written.

    Returns:
        The temporary files removed.
    """
    removed, kept = [], []
    for path in temporaries_of(final):
        found = _TEMP_RE.match(path.name)
        if found["pid"] is None or not _writer_is_gone(found["host"], int(found["pid"])):
            kept.append(path)
            continue
        for leftover in (path, Path(f"{path}.aux.xml")):
            discard(leftover)
        removed.append(path)
    if removed:
        log.info("removed %d temporary file(s) of interrupted runs: %s", len(removed),
                 ", ".join(str(p) for p in removed))
    if kept:
        log.info("temporary file(s) of another run kept: %s", ", ".join(map(str, kept)))
    return removed


# --------------------------------------------------------------------------- internals


def exists_error(final: str, how: str) -> OutputExistsError:
    """The refusal to replace ``final`` (``how``: "already exists", "appeared while it was
    being written"), with what to do."""
    return OutputExistsError(
        f"{final} {how} and was kept as it is (a file is not replaced without being "
        f"asked): move or delete it, choose another name, or allow overwriting")


def _rename_exclusive(temp: str, final: str) -> None:
    """Rename ``temp`` to ``final`` only if ``final`` does not exist, atomically.

    A hard link fails if the name is taken, atomically, on every POSIX file system and
    NTFS. Where links are not supported (FAT, some network shares) the fallback checks,
    then renames: atomic on Windows (its rename refuses an existing name), a tiny race
    window elsewhere.
    """
    try:
        os.link(temp, final)
    except FileExistsError:
        raise exists_error(final, "appeared while it was being written") from None
    except OSError:  # links unsupported here; a real error (permissions) recurs below
        if os.path.lexists(final):
            raise exists_error(final, "appeared while it was being written") from None
        os.rename(temp, final)
        return
    os.remove(temp)


def _is_write_failure(error: BaseException) -> bool:
    """An OS error of a writer, not yet naming the file (disk full, permissions...)."""
    return isinstance(error, OSError) and not isinstance(error, (OutputExistsError,
                                                                 OutputWriteError))


def _write_failure(error: BaseException, final: PathLike) -> OutputWriteError:
    """The error of a failed write, naming the file: "No space left on device" alone does
    not say which of a run's files could not be written."""
    return OutputWriteError(f"cannot write {os.fspath(final)}: {io_error_detail(error)}; "
                            f"nothing was left under its name")


def _writer_is_gone(host: str, pid: int) -> bool:
    """Whether the process that named a temporary file has ended (this host only)."""
    if host != _HOST or os.name == "nt" or pid <= 0:
        return False
    if pid == os.getpid():
        return False  # ours: a writer of this very process may still be at work
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, owned by another user
        return False
    return False


def _check_written(temp: str, final: str, size: Optional[int]) -> None:
    """The temporary file exists and holds ``size`` bytes when that is known."""
    try:
        found = os.stat(temp).st_size
    except FileNotFoundError:
        raise OSError(errno.ENOENT, f"the temporary file of {final} disappeared before it "
                                    f"was complete (removed by another program?)") from None
    if size is not None and found != size:
        raise OSError(errno.EIO, f"{final} could not be written whole ({found} of {size} "
                                 f"bytes on disk: is the disk full?); nothing was replaced")


def _default_mode() -> int:
    """``0666 & ~umask``: what ``open()`` gives a new file (read without changing it where
    /proc tells; ``os.umask`` would briefly change it for every thread)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            found = [line.split()[1] for line in f if line.startswith("Umask:")]
    except OSError:  # not Linux: ask the process itself
        found = []
    if found:
        return 0o666 & ~int(found[0], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _set_mode(temp: str, final: str) -> None:
    """Give ``temp`` the mode of the file it replaces, or a new file's mode.

    safetensors and fsspec (Lightning's checkpoints) write through ``mkstemp``, whose
    files are ``0600``: a model would be unreadable to the colleagues the other run files
    are shared with."""
    if os.name == "nt":
        return
    try:
        wanted = stat.S_IMODE(os.stat(final).st_mode)
    except OSError:
        wanted = _default_mode()
    if stat.S_IMODE(os.stat(temp).st_mode) != wanted:
        os.chmod(temp, wanted)


def _fsync_file(path: str) -> None:
    # Windows' fsync (_commit) needs a handle open for writing.
    fd = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_SYNC:
            raise
    finally:
        os.close(fd)


def _fsync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows has no folder handles to sync)."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse it; the rename has happened all the same
    finally:
        os.close(fd)

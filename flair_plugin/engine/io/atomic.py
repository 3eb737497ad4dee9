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

Pure Python (os only): imported by the QGIS side and the generators without torch.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator, Union

from ..errors import OutputExistsError

PathLike = Union[str, "os.PathLike[str]"]

__all__ = ["atomic_open", "atomic_path", "commit", "discard", "is_temp_path", "temp_path_for"]

TEMP_MARK = ".part"
"""Marks a temporary file: ``.<stem>.<token>.part<suffix>``."""

_TEMP_RE = re.compile(r"^\..+\.[0-9a-f]{8}\.part(\.[^.]*)?$")
_MAX_NAME = 200  # file systems allow 255 bytes per name: room for the token and marks
_NO_SYNC = {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF}
"""fsync refusals of file systems that do not sync on request: nothing more can be done."""


def temp_path_for(final: PathLike) -> Path:
    """A new hidden temporary name beside ``final``: ``.<stem>.<token>.part<suffix>``.

    Same folder as ``final``, so renaming it onto ``final`` is atomic. The suffix is kept
    last because libraries choose the format from it (``savefig`` writes PNG for
    ``.png``); the random token keeps two writers of the same file apart; the leading dot
    hides it from file browsers, and never matches a FLAIR patch name (``IMG_``/``MSK_``)
    in a dataset scan.

    Args:
        final: the path the content is meant for.

    Returns:
        The temporary path (nothing is created).
    """
    final = Path(final)
    suffix = final.suffix
    stem = final.name[:len(final.name) - len(suffix)] if suffix else final.name
    stem = stem[:max(1, _MAX_NAME - len(suffix))]
    return final.with_name(f".{stem}.{secrets.token_hex(4)}{TEMP_MARK}{suffix}")


def is_temp_path(path: PathLike) -> bool:
    """Whether ``path`` is named as :func:`temp_path_for` names temporary files (to look
    for leftovers, e.g. in tests)."""
    return bool(_TEMP_RE.match(Path(path).name))


def commit(temp: PathLike, final: PathLike, *, overwrite: bool = True) -> None:
    """Flush ``temp`` to the disk and rename it onto ``final``.

    The data are synced before the rename (so a crash right after cannot leave an empty
    ``final``), and on POSIX the folder is synced after it (so the rename itself lasts).
    On failure ``temp`` is left in place: :func:`discard` it (as :func:`atomic_path`
    does).

    Args:
        temp: the written temporary file (from :func:`temp_path_for`).
        final: its destination, in the same folder.
        overwrite: replace an existing ``final``. False: the rename is exclusive, and a
            ``final`` that appeared meanwhile is kept as it is.

    Raises:
        OutputExistsError: ``overwrite`` is False and ``final`` exists: it was created
            while the content was written (the caller had checked before starting).
        OSError: the file could not be synced or renamed (disk full, permissions).
    """
    temp, final = os.fspath(temp), os.fspath(final)
    _fsync_file(temp)
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
def atomic_path(final: PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """A temporary path to write ``final`` through: committed on success, removed on error.

    For libraries that write to a path::

        with atomic_path(out / "model.safetensors") as temp:
            save_file(state, str(temp))

    Any exception in the block, KeyboardInterrupt included, removes the temporary file
    and propagates; ``final`` is then untouched.

    Args:
        final: the file to write.
        overwrite: replace an existing ``final`` (see :func:`commit`).

    Raises:
        OutputExistsError: ``overwrite`` is False and ``final`` exists, before the block
            runs (nothing is written) or after it (it appeared meanwhile; it is kept).
        FileNotFoundError: the block wrote nothing at the temporary path.
    """
    if not overwrite and os.path.lexists(final):
        raise _exists_error(os.fspath(final), "already exists")
    temp = temp_path_for(final)
    try:
        yield temp
        if not os.path.isfile(temp):
            raise FileNotFoundError(f"nothing was written for {final} (no file at {temp})")
        commit(temp, final, overwrite=overwrite)
    except BaseException:
        discard(temp)
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
    with atomic_path(final, overwrite=overwrite) as temp:
        with open(temp, mode, **open_kwargs) as f:
            yield f


# --------------------------------------------------------------------------- internals


def _exists_error(final: str, how: str) -> OutputExistsError:
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
        raise _exists_error(final, "appeared while it was being written") from None
    except OSError:  # links unsupported here; a real error (permissions) recurs below
        if os.path.lexists(final):
            raise _exists_error(final, "appeared while it was being written") from None
        os.rename(temp, final)
        return
    os.remove(temp)


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

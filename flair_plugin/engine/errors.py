"""The engine's errors: one base for what the user can fix, one for a stop on request.

Every message is written for the person running the tool: what is wrong and how to fix
it, so a QGIS algorithm or the headless command shows it as it is, without a traceback.
The QGIS bridge and the CLI catch the two bases, never a list of names. Pure Python: the
lowest layer of the engine, imported by every other.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix (an input, a parameter, a file); the message says how."""


class Cancelled(Exception):
    """The run stopped on request and left no partial output behind."""


class InputError(UserError, ValueError):
    """A bad input or parameter, found before any work starts."""


class CheckpointError(UserError, ValueError):
    """A model file that cannot be used; the message says why and what to do."""


class WeightsDownloadError(CheckpointError):
    """Weights that could not be downloaded; the message says how to get them by hand."""


class DatasetError(UserError, ValueError):
    """Training data that cannot be used; the message says what is wrong and how to fix it."""


class SentinelError(UserError, ValueError):
    """Unusable Sentinel-2 input; the message says what is wrong and how to fix it."""


class TrainingError(UserError, ValueError):
    """A training run that cannot start or go on; the message says why and what to do."""


class InferenceError(UserError, RuntimeError):
    """The run failed after the checks passed (e.g. out of GPU memory at batch size 1)."""


class OutputExistsError(UserError, FileExistsError):
    """An output would replace a file the user did not ask to replace."""


class PredictionCancelled(Cancelled):
    """A prediction stopped on request; no output file was left behind."""


class EvaluationCancelled(Cancelled):
    """An evaluation stopped on request; no output file was left behind."""


class DownloadCancelled(Cancelled):
    """A download stopped on request; the part fetched is kept, and the next try resumes."""


class TrainingCancelled(Cancelled):
    """A training run stopped on request; its last checkpoint can be resumed."""


class CatalogueIncomplete(UserError):
    """Some output tiles of a catalogue failed every try; the others are kept and a rerun
    computes only the missing ones."""


class OutputWriteError(UserError, OSError):
    """An output could not be written whole (disk full, permissions, a removed folder);
    the message names the file, and nothing incomplete was left under its name."""


def io_error_detail(error: BaseException) -> str:
    """An I/O error's message with its cause: GDAL's "Read failed. See previous exception
    for details." says nothing alone, the chained GDAL error says what failed."""
    text = " ".join(str(error).split()) or type(error).__name__
    cause = error.__cause__ or error.__context__
    if cause is not None and str(cause).strip():
        detail = " ".join(str(cause).split())
        text = text.replace(" See previous exception for details.", "").rstrip(".")
        text = f"{text}: {detail}"
    return text


def not_utf8_message(name: str) -> str:
    """What to do about a file name that is not UTF-8 text (shown with its odd bytes as
    backslash escapes): GDAL and safetensors open UTF-8 names only."""
    shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return (f"{shown or 'a file name'}: this file or folder name is not UTF-8 text (e.g. a "
            f"Latin-1 accent), which GDAL and the model reader cannot open; rename it with "
            f"UTF-8 characters")

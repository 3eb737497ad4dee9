"""Plug QGIS's feedback into the engine's callbacks, and engine errors into Processing.

Every algorithm that runs the engine (segment, train, evaluate) goes through here, so
progress, cancel, warnings and error messages behave the same in all of them.
"""

from contextlib import contextmanager
from typing import Iterator

from qgis.core import QgsProcessingException, QgsProcessingFeedback


class FeedbackCallbacks:
    """The engine's ``progress``, ``cancel``, ``warn`` and ``log`` callbacks for a feedback."""

    def __init__(self, feedback: QgsProcessingFeedback):
        self.feedback = feedback
        self._last_message = ""

    def progress(self, fraction: float, message: str = "") -> None:
        self.feedback.setProgress(100.0 * max(0.0, min(1.0, fraction)))
        if message and message != self._last_message:
            self.feedback.setProgressText(message)
            self._last_message = message

    def cancel(self) -> bool:
        return self.feedback.isCanceled()

    def warn(self, text: str) -> None:
        self.feedback.pushWarning(text)

    def log(self, text: str) -> None:
        self.feedback.pushInfo(text)


# Engine exceptions whose text is written for users: shown as they are, no traceback.
USER_ERRORS = ("InputError", "CheckpointError", "DatasetError", "InferenceError",
               "TrainingError", "SentinelError", "StyleExistsError", "WeightsDownloadError")


@contextmanager
def engine_errors(cancelled_types: tuple = ()) -> Iterator[None]:
    """Turn the engine's user-facing errors into ``QgsProcessingException``."""
    try:
        yield
    except QgsProcessingException:
        raise
    except Exception as error:  # noqa: BLE001 - re-raised below, typed by name
        name = type(error).__name__
        if isinstance(error, cancelled_types):
            raise QgsProcessingException(f"Cancelled: {error or 'stopped on request'}") from error
        if any(base.__name__ in USER_ERRORS for base in type(error).__mro__):
            raise QgsProcessingException(str(error)) from error
        raise QgsProcessingException(f"{name}: {error}") from error

"""Plug QGIS's feedback into the engine's callbacks, and engine errors into Processing.

Every algorithm that runs the engine (segment, train, evaluate) goes through here, so
progress, cancel, warnings and error messages behave the same in all of them.
"""

from contextlib import contextmanager
from typing import Iterator

from qgis.core import QgsProcessingException, QgsProcessingFeedback, QgsSettings
from qgis.PyQt.QtCore import QCoreApplication

from ..engine.errors import Cancelled, UserError


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


@contextmanager
def engine_errors() -> Iterator[None]:
    """Turn the engine's errors into ``QgsProcessingException``: a user error or a
    cancellation is shown as the engine wrote it, anything else with its type."""
    try:
        yield
    except QgsProcessingException:
        raise
    except Cancelled as error:
        reason = str(error) or QCoreApplication.translate("FlairAlgorithm", "stopped on request")
        raise QgsProcessingException(QCoreApplication.translate(
            "FlairAlgorithm", "Cancelled: {reason}").format(reason=reason)) from error
    except UserError as error:
        raise QgsProcessingException(str(error)) from error
    except Exception as error:  # noqa: BLE001 - any other failure, shown with its type
        raise QgsProcessingException(f"{type(error).__name__}: {error}") from error


def qgis_proxy() -> str:
    """QGIS's proxy (Settings > Options > Network) as pip and downloads take it, or ''.
    Read it in the main thread (prepareAlgorithm): QgsSettings is not for worker threads."""
    settings = QgsSettings()
    if not settings.value("proxy/proxyEnabled", False, type=bool):
        return ""
    host = settings.value("proxy/proxyHost", "", type=str)
    if not host:
        return ""
    port = settings.value("proxy/proxyPort", "", type=str)
    user = settings.value("proxy/proxyUser", "", type=str)
    password = settings.value("proxy/proxyPassword", "", type=str)
    credentials = f"{user}:{password}@" if user else ""
    return f"http://{credentials}{host}{':' + port if port else ''}"

"""Plug QGIS's feedback into the engine's callbacks, and engine errors into Processing.

Every algorithm that runs the engine (segment, train, evaluate) goes through here, so
progress, cancel, warnings and error messages behave the same in all of them.
"""

import time
from contextlib import contextmanager
from typing import Callable, Iterator, Optional, Tuple

from qgis.core import QgsProcessingException, QgsProcessingFeedback, QgsSettings
from qgis.PyQt.QtCore import QCoreApplication

from ..engine.errors import Cancelled, UserError


def duration_text(seconds: float) -> str:
    """A duration as a person reads it: "45 s", "4 min 10 s", "2 h 05 min"."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        # the literal context in each call: pylupdate5 reads them, not a helper's
        return QCoreApplication.translate("FeedbackCallbacks", "{s} s").format(s=seconds)
    if seconds < 3600:
        return QCoreApplication.translate("FeedbackCallbacks", "{m} min {s:02d} s").format(
            m=seconds // 60, s=seconds % 60)
    return QCoreApplication.translate("FeedbackCallbacks", "{h} h {m:02d} min").format(
        h=seconds // 3600, m=seconds // 60 % 60)


class FeedbackCallbacks:
    """The engine's ``progress``, ``cancel``, ``warn`` and ``log`` callbacks for a feedback.

    QGIS's dialog copies every progress text into its log, so a text per tile or per step
    would bury the log: the bar moves at every call, a text (the engine's, with the share
    done and the time left) at most every ``text_every_s`` seconds, never with
    ``text_every_s=None``. ``eta_in_log``: log lines (a training's one line per epoch) end
    with the time left instead.
    """

    TEXT_EVERY_S = 10.0

    def __init__(self, feedback: QgsProcessingFeedback,
                 text_every_s: Optional[float] = TEXT_EVERY_S, eta_in_log: bool = False,
                 clock: Callable[[], float] = time.monotonic):
        self.feedback = feedback
        self.text_every_s, self.eta_in_log, self.clock = text_every_s, eta_in_log, clock
        self._origin: Optional[Tuple[float, float]] = None  # (time, fraction) of 1st call
        self._fraction = 0.0
        self._last_text_at: Optional[float] = None

    def progress(self, fraction: float, message: str = "") -> None:
        fraction = max(0.0, min(1.0, fraction))
        now = self.clock()
        if self._origin is None:
            self._origin = (now, fraction)
        self._fraction = fraction
        self.feedback.setProgress(100.0 * fraction)
        if not message or self.text_every_s is None:
            return
        # the first text at once (what is being done), then one every text_every_s
        if self._last_text_at is not None and now - self._last_text_at < self.text_every_s:
            return
        self._last_text_at = now
        left = self.time_left()
        self.feedback.setProgressText(message if not left else QCoreApplication.translate(
            "FeedbackCallbacks", "{message} — {percent:.0f} % done, about {left} left").format(
            message=message, percent=100 * fraction, left=left))

    def time_left(self) -> str:
        """The estimated time left, from the rate since the first call; "" before there is
        one (nothing done yet, or done)."""
        if self._origin is None:
            return ""
        started_at, started_fraction = self._origin
        elapsed, done = self.clock() - started_at, self._fraction - started_fraction
        if done <= 0 or elapsed <= 0 or self._fraction >= 1.0:
            return ""
        return duration_text(elapsed / done * (1.0 - self._fraction))

    def cancel(self) -> bool:
        return self.feedback.isCanceled()

    def warn(self, text: str) -> None:
        self.feedback.pushWarning(text)

    def log(self, text: str) -> None:
        left = self.time_left() if self.eta_in_log else ""
        self.feedback.pushInfo(text if not left else QCoreApplication.translate(
            "FeedbackCallbacks", "{text} — about {left} left").format(text=text, left=left))


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

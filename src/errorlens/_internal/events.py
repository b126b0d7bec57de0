"""The event hub: one observed API error, fanned out to the sinks that registered.

Every errorlens path that sees an API error (the structlog processor, the stdlib
filter installed by ``attach``, ``configure``'s chain, or an explicit
:func:`record_error`) builds one :class:`ErrorEvent` and calls :func:`emit`. Outputs
(OpenTelemetry spans and metrics, Sentry, the testing capture) register a sink with
:func:`add_sink`; this module imports none of them. Each sink gets the same event: the
record is read once and the traceback formatted at most once.

An exception is recorded once, however many times it is logged (log, re-raise, log
again): the first event marks it, and later events of the same exception reach no sink.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback as _tb
from collections.abc import Callable
from types import TracebackType
from typing import Any

from errorlens._internal.guard import busy, in_errorlens, report_internal
from errorlens._internal.locks import SafeLock
from errorlens._internal.policy import current as current_policy
from errorlens._internal.scrub import redact_repeated, redact_text, redact_values
from errorlens.record import ErrorRecord, secret_values

__all__ = [
    "ErrorEvent",
    "ExcInfo",
    "Sink",
    "add_sink",
    "emit",
    "exc_info_of",
    "format_traceback",
    "recorded",
    "record_error",
    "remove_sink",
    "store_traceback",
    "traceback_of",
]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class ErrorEvent:
    """One API error seen by errorlens, as every sink receives it."""

    __slots__ = (
        "_traceback",
        "exc_info",
        "level",
        "logger_name",
        "message",
        "record",
        "via_stdlib",
    )

    def __init__(
        self,
        record: ErrorRecord,
        exc_info: ExcInfo | None = None,
        *,
        level: int = logging.ERROR,
        logger_name: str | None = None,
        message: str | None = None,
        via_stdlib: bool = False,
        traceback: str | None = None,
    ) -> None:
        self.record = record
        self.exc_info = exc_info
        self.level = level
        self.logger_name = logger_name
        self.message = message
        # True when the line also travels through stdlib logging handlers (where a
        # Sentry LoggingIntegration may already turn it into an event).
        self.via_stdlib = via_stdlib
        self._traceback = traceback

    @property
    def exception(self) -> BaseException | None:
        return self.exc_info[1] if self.exc_info is not None else None

    def __repr__(self) -> str:
        # The facts that tell events apart; no traceback, no message (nothing secret).
        record = self.record
        facts = " ".join(
            f"{name}={value!r}"
            for name, value in (
                ("vendor", record.vendor),
                ("status", record.status),
                ("code", record.code),
                ("level", logging.getLevelName(self.level)),
                ("logger", self.logger_name),
            )
            if value is not None
        )
        return f"<ErrorEvent {facts}>"

    @property
    def traceback(self) -> str | None:
        """The redacted traceback text, formatted once and shared by every output."""
        if self._traceback is None and self.exc_info is not None:
            self._traceback = format_traceback(self.exc_info)
        return self._traceback


_FORMATTED_ATTR = "__errorlens_traceback__"


def exc_info_of(value: Any) -> ExcInfo | None:
    """``exc_info`` as logging calls give it: True, an exception, or a 3-tuple."""
    if value is None or value is False:
        return None
    if isinstance(value, BaseException):
        return (type(value), value, value.__traceback__)
    if isinstance(value, tuple):
        if len(value) == 3 and isinstance(value[1], BaseException):
            return value
        return None
    current = sys.exc_info()
    return current if current[1] is not None else None


def format_traceback(exc_info: ExcInfo) -> str:
    """Redacted traceback text, cached on the exception so it is formatted once."""
    exc = exc_info[1]
    cached = getattr(exc, _FORMATTED_ATTR, None) if exc is not None else None
    if isinstance(cached, str):
        return cached
    try:
        # Redacted piece by piece (a frame, the exception's own lines): the frames of
        # an error raised again on the same path are redacted once. No credential
        # format spans the line break that ends a piece.
        pieces = _tb.TracebackException(*exc_info, compact=True).format()
        text = "".join(map(redact_repeated, pieces))
    except Exception:
        report_internal("formatting a traceback")
        text = redact_text(f"{exc_info[0].__name__}: <traceback unavailable>")
    text = text.rstrip("\n")
    if exc is not None:
        store_traceback(exc, text)
    return text


def traceback_of(exc: BaseException) -> str | None:
    """The redacted traceback text errorlens formatted for ``exc``, if it did."""
    cached = getattr(exc, _FORMATTED_ATTR, None)
    return cached if isinstance(cached, str) else None


def store_traceback(exc: BaseException, text: str) -> None:
    """Make ``text`` the traceback every later output of ``exc`` reads.

    Exceptions with ``__slots__`` or read-only attributes keep no cache: they are
    formatted again next time.
    """
    with contextlib.suppress(AttributeError, TypeError):
        setattr(exc, _FORMATTED_ATTR, text)


Sink = Callable[[ErrorEvent], None]
# Copy on write: emit() reads the tuple without a lock (a signal handler may emit).
_sinks: tuple[Sink, ...] = ()
_sinks_lock = SafeLock()


def add_sink(sink: Sink) -> None:
    """Call ``sink(event)`` for every API error errorlens observes. Idempotent."""
    global _sinks  # noqa: PLW0603
    with _sinks_lock:
        if sink not in _sinks:
            _sinks = (*_sinks, sink)


def remove_sink(sink: Sink) -> None:
    global _sinks  # noqa: PLW0603
    with _sinks_lock:
        _sinks = tuple(s for s in _sinks if s is not sink)


_RECORDED_ATTR = "__errorlens_record__"


def recorded(exc: BaseException) -> ErrorRecord | None:
    """The record ``exc`` was sent to the sinks with, or None if it never was."""
    found = getattr(exc, _RECORDED_ATTR, None)
    return found if isinstance(found, ErrorRecord) else None


def _mark_recorded(exc: BaseException, record: ErrorRecord) -> bool:
    """Mark ``exc`` as recorded; False when it already was (nothing to send again).

    An exception that takes no attribute (``__slots__``) cannot be marked: it is
    recorded each time it is logged.
    """
    if recorded(exc) is not None:
        return False
    with contextlib.suppress(AttributeError, TypeError):
        setattr(exc, _RECORDED_ATTR, record)
    return True


def emit(event: ErrorEvent) -> None:
    """Hand ``event`` to every sink, once per exception. Never raises into the caller."""
    if in_errorlens():
        return
    exc = event.exception
    if exc is not None and not _mark_recorded(exc, event.record):
        return
    with busy():
        for sink in _sinks:
            try:
                sink(event)
            except Exception:
                report_internal(f"sending an API error to {getattr(sink, '__name__', 'a sink')}")


def clean_message(message: Any, record: ErrorRecord) -> str:
    """The text of a log message sent with ``record``: redacted, the record's secrets out."""
    text = redact_text(message if isinstance(message, str) else str(message))
    secrets = secret_values(record)
    return redact_values(text, secrets) if secrets else text


def record_error(
    error: Any, *, level: int = logging.ERROR, message: str | None = None
) -> ErrorRecord | None:
    """Send an API error to the current span, the metrics and Sentry, without logging.

    ``error`` is anything :func:`errorlens.extract` reads; ``message``, redacted, goes
    with it. Returns the record, or None when ``error`` holds no API error. Never raises.

    .. versionadded:: 0.1.0
    """
    from errorlens._internal.reader.extract import extract

    try:
        record = extract(error)
        if record is None:
            return None
        # Only an exception is its own exc_info: a response must not pick up whatever
        # exception happens to be handled around this call.
        exc_info = exc_info_of(error) if isinstance(error, BaseException) else None
        if message is not None:
            message = clean_message(message, record)
        level = current_policy().level_for(record, level)
        emit(ErrorEvent(record, exc_info, level=level, message=message))
        return record
    except Exception:
        report_internal("recording an API error")
        return None

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
import weakref
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from errorlens._internal.guard import busy, in_errorlens, report_internal
from errorlens._internal.locks import SafeLock
from errorlens._internal.scrub import redact_repeated, redact_text, redact_values
from errorlens.record import ErrorRecord, secret_values

__all__ = [
    "ErrorEvent",
    "ExcInfo",
    "Sink",
    "add_sink",
    "captured_record",
    "claim_response",
    "emit",
    "expect_response",
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
        "captured",
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
        # The event client capture recorded this same error with when its response
        # arrived: its span event and metric count for both.
        self.captured: ErrorEvent | None = None

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


# Client capture: the error responses it saw, by identity and weakly (they belong to the
# application; a response or its headers object may be unhashable). Each maps to the
# event that recorded it, or None while its record waits for the body.
_responses: dict[int, tuple[weakref.ref[Any], ErrorEvent | None]] = {}
_responses_lock = SafeLock()


def _entry(obj: Any) -> tuple[weakref.ref[Any], ErrorEvent | None] | None:
    found = _responses.get(id(obj))
    return found if found is not None and found[0]() is obj else None


def _put(obj: Any, event: ErrorEvent | None) -> None:
    if event is not None and event.exc_info is not None:
        # Keep no exception here: it may hold ``obj`` (``exc.response``), which would
        # then never die and never leave this map.
        event = ErrorEvent(event.record, level=event.level, logger_name=event.logger_name)
    key = id(obj)
    with contextlib.suppress(TypeError):  # not weakly referable: never matched later
        ref = weakref.ref(obj, lambda _, key=key: _responses.pop(key, None))  # type: ignore[misc]
        _responses[key] = (ref, event)


def expect_response(obj: Any) -> None:
    """Note an error response whose record waits for its body (client capture)."""
    with _responses_lock:
        if _entry(obj) is None:
            _put(obj, None)


def claim_response(objs: tuple[Any, ...], event: ErrorEvent) -> bool:
    """Make ``event`` the record of the response known by ``objs`` (the response, its
    headers); False when another event recorded it already (send nothing then)."""
    with _responses_lock:
        for obj in objs:
            entry = _entry(obj)
            if entry is not None and entry[1] is not None:
                return False
        for obj in objs:
            _put(obj, event)
        return True


def _captured_before(source: Any, event: ErrorEvent) -> ErrorEvent | None:
    """The capture event of the response ``source`` is or holds (an exception, or its
    cause). A response still waiting for its body is claimed by ``event``: its capture
    will send nothing."""
    for obj in _responses_of(source):
        found = _claim_known(obj, event)
        if found is None or isinstance(found, ErrorEvent):
            return found
    return None


def captured_record(exc: BaseException) -> ErrorRecord | None:
    """The record client capture sent for the response ``exc`` holds, if it did: the
    application's own line of that error shows the same facts (the correlation id
    that went out included)."""
    if not _responses:
        return None
    for obj in _responses_of(exc):
        entry = _entry(obj)
        if entry is not None:
            return entry[1].record if entry[1] is not None else None
    return None


def _responses_of(source: Any) -> Iterator[Any]:
    """The objects that may stand for a response: ``source`` and its headers, or along
    an exception's chain, its ``response`` and headers."""
    if not isinstance(source, BaseException):
        yield source
        headers = _plain_attr(source, "headers")
        if headers is not None:
            yield headers
        return
    current: BaseException | None = source
    for _ in range(4):
        if current is None:
            return
        response = _plain_attr(current, "response")
        for obj in (response, _plain_attr(response, "headers"), _plain_attr(current, "headers")):
            if obj is not None:
                yield obj
        current = current.__cause__ or current.__context__


def _plain_attr(obj: Any, name: str) -> Any:
    # Properties of the application's objects may raise; reading one must not.
    try:
        return getattr(obj, name, None)
    except Exception:
        return None


def _claim_known(obj: Any, event: ErrorEvent) -> ErrorEvent | bool | None:
    """False when ``obj`` is no captured response; else its event, or None once claimed."""
    if obj is None:
        return False
    with _responses_lock:
        entry = _entry(obj)
        if entry is None:
            return False
        if entry[1] is not None:
            return entry[1]
        _put(obj, event)
        return None


def emit(event: ErrorEvent) -> None:
    """Hand ``event`` to every sink, once per exception. Never raises into the caller."""
    if in_errorlens():
        return
    exc = event.exception
    if exc is not None:
        if not _mark_recorded(exc, event.record):
            return
        if _responses:
            event.captured = _captured_before(exc, event)
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
        event = ErrorEvent(record, exc_info, level=level, message=message)
        if exc_info is None and _responses:
            # A response client capture recorded already: the same error.
            event.captured = _captured_before(error, event)
        emit(event)
        return record
    except Exception:
        report_internal("recording an API error")
        return None

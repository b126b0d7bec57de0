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
import functools
import logging
import sys
import threading
import traceback as _tb
import weakref
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from errorlens._internal.guard import busy, in_errorlens, interrupted, report_internal
from errorlens._internal.locks import SafeLock
from errorlens._internal.policy import current as current_policy
from errorlens._internal.reader.deadline import attribute, timed_read
from errorlens._internal.scrub import redact_repeated, redact_text, redact_values
from errorlens._internal.state import STATE, on_reset
from errorlens.record import ErrorRecord, secret_values

__all__ = [
    "ErrorEvent",
    "ExcInfo",
    "Sink",
    "add_sink",
    "captured_record",
    "claim_response",
    "emit",
    "ExceptionFacts",
    "expect_response",
    "exc_info_of",
    "facts_of",
    "format_traceback",
    "recorded",
    "record_error",
    "record_of_exception",
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


# -- what errorlens knows of an exception: beside it, never on it ---------------------


class ExceptionFacts:
    """What errorlens knows of one exception, kept in the state table, not on it."""

    __slots__ = ("_held", "_ref", "not_api_error", "record", "tb", "traceback")

    def __init__(self, exception: BaseException) -> None:
        # Weakly where the exception's class allows it (every SDK's does), so the table
        # keeps nothing alive; builtin exceptions take no weak reference and are held.
        self._ref: weakref.ref[BaseException] | None
        self._held: BaseException | None
        try:
            self._ref = weakref.ref(exception, functools.partial(_forget, id(exception)))
            self._held = None
        except TypeError:
            self._ref, self._held = None, exception
        # The record it was sent to the sinks with (recorded once, however often logged).
        self.record: ErrorRecord | None = None
        # Read once and found to hold no API error.
        self.not_api_error = False
        # The redacted traceback text and the traceback object it was formatted from:
        # raised again, an exception gains frames (a new traceback object) and is
        # formatted again.
        self.tb: TracebackType | None = None
        self.traceback: str | None = None

    @property
    def exception(self) -> BaseException | None:
        return self._held if self._ref is None else self._ref()


def _forget(key: int, ref: weakref.ref[BaseException]) -> None:
    # The exception died: its facts go, unless the entry is already another's.
    facts = STATE.exceptions.get(key)
    if facts is not None and facts._ref is ref:
        STATE.exceptions.pop(key, None)


# Facts of at most this many exceptions are kept. Held exceptions (builtin classes):
# each insertion looks at the oldest entries and lets go of those nobody else holds, so
# such an exception outlives its last use by one error at most.
_MAX_FACTS = 64
_SWEEP = 2


def _table_only_refcount() -> int:
    # What sys.getrefcount reports for an exception only the table holds (it varies
    # between Python versions).
    facts = ExceptionFacts(Exception())
    return sys.getrefcount(facts._held)


_getrefcount = getattr(sys, "getrefcount", None)
_ONLY_OURS = _table_only_refcount() if _getrefcount is not None else -1


def facts_of(exc: BaseException, *, create: bool = False) -> ExceptionFacts | None:
    """The facts kept for ``exc`` (made when ``create``), None when there are none."""
    table = STATE.exceptions
    facts = table.get(id(exc))
    if facts is not None and facts.exception is exc:
        return facts  # type: ignore[no-any-return]
    if not create:
        return None
    _prune(table)
    facts = ExceptionFacts(exc)
    # Atomic: a thread (or a signal handler) that made them first wins.
    found: ExceptionFacts = table.setdefault(id(exc), facts)
    return found


def _oldest(table: dict[int, Any]) -> int | None:
    try:
        return next(iter(table), None)
    except RuntimeError:  # changed meanwhile, by another thread or a signal handler
        return None


def _prune(table: dict[int, Any]) -> None:
    for _ in range(_SWEEP):
        oldest = _oldest(table)
        if oldest is None:
            return
        facts = table.pop(oldest, None)
        if facts is None or facts.exception is None:
            continue
        if _in_use(facts):
            table.setdefault(oldest, facts)  # still in use: to the back of the line
    while len(table) >= _MAX_FACTS:
        oldest = _oldest(table)
        if oldest is None:
            return
        table.pop(oldest, None)


def _in_use(facts: ExceptionFacts) -> bool:
    if facts._held is None:
        return True  # weakly held: it leaves the table when it dies
    return _getrefcount is None or _getrefcount(facts._held) > _ONLY_OURS


def format_traceback(exc_info: ExcInfo) -> str:
    """Redacted traceback text, formatted once per exception and traceback."""
    exc, tb = exc_info[1], exc_info[2]
    facts = facts_of(exc) if exc is not None else None
    if facts is not None and facts.tb is tb and facts.traceback is not None:
        return facts.traceback
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
        store_traceback(exc_info, text)
    return text


def traceback_of(exc_info: ExcInfo) -> str | None:
    """The redacted traceback text errorlens formatted for ``exc_info``, if it did."""
    facts = facts_of(exc_info[1])
    if facts is None or facts.tb is not exc_info[2]:
        return None
    return facts.traceback


def store_traceback(exc_info: ExcInfo, text: str) -> None:
    """Make ``text`` the traceback every later output of ``exc_info`` reads."""
    facts = facts_of(exc_info[1], create=True)
    if facts is not None:
        facts.tb = exc_info[2]
        facts.traceback = text


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


def recorded(exc: BaseException) -> ErrorRecord | None:
    """The record ``exc`` was sent to the sinks with, or None if it never was."""
    facts = facts_of(exc)
    return facts.record if facts is not None else None


def record_of_exception(exc: BaseException) -> ErrorRecord | None:
    """The record ``exc`` was recorded with, else read now: once per exception, an
    exception that holds no API error included (several outputs may ask)."""
    facts = facts_of(exc)
    if facts is not None and (facts.record is not None or facts.not_api_error):
        return facts.record
    from errorlens._internal.reader.extract import extract

    found = extract(exc)
    if found is None:
        facts = facts_of(exc, create=True)
        if facts is not None:
            facts.not_api_error = True
    return found


def _mark_recorded(exc: BaseException, record: ErrorRecord) -> bool:
    """Mark ``exc`` as recorded; False when it already was (nothing to send again)."""
    facts = facts_of(exc, create=True)
    if facts is None or facts.record is not None:
        return False
    facts.record = record
    return True


class _Deferred(threading.local):
    # Events of signal handlers that interrupted this thread's sinks: sent when they end.
    events: list[ErrorEvent] | None = None


_deferred = _Deferred()


# Client capture: the error responses it saw, by identity and weakly (they belong to the
# application; a response or its headers object may be unhashable). Each maps to the
# event that recorded it, or None while its record waits for the body.
_responses: dict[int, tuple[weakref.ref[Any], ErrorEvent | None]] = {}
_responses_lock = SafeLock()
# Forgotten with the rest of errorlens's memory: by unconfigure() and in a forked child.
on_reset(_responses.clear)


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


@timed_read
def _captured_before(source: Any, event: ErrorEvent) -> ErrorEvent | None:
    """The capture event of the response ``source`` is or holds (an exception, or its
    cause). A response still waiting for its body is claimed by ``event``: its capture
    will send nothing."""
    for obj in _responses_of(source):
        found = _claim_known(obj, event)
        if found is None or isinstance(found, ErrorEvent):
            return found
    return None


@timed_read
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


# Properties of the application's objects may raise or take their time: one read
# (the walk along a chain) reads none once its time is up.
_plain_attr = attribute


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
    """Hand ``event`` to every sink, once per exception. Never raises into the caller.

    A signal handler that logs while this thread is inside the sinks does not enter
    them again (a lock they hold, a half-done update): its events wait, and are sent
    as soon as the interrupted sinks are done.
    """
    if in_errorlens():
        return  # errorlens logging from inside itself: nothing to record
    if interrupted():
        pending = _deferred.events
        if pending is None:
            pending = _deferred.events = []
        pending.append(event)
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
    pending = _deferred.events
    while pending:
        emit(pending.pop(0))


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
    if sys.meta_path is None:
        # The interpreter is finalising (a __del__ at exit): nothing can be imported,
        # and the outputs are shut down.
        return None
    try:
        from errorlens._internal.reader.extract import extract

        record = extract(error)
        if record is None:
            return None
        # Only an exception is its own exc_info: a response must not pick up whatever
        # exception happens to be handled around this call.
        exc_info = exc_info_of(error) if isinstance(error, BaseException) else None
        if message is not None:
            message = clean_message(message, record)
        level = current_policy().level_for(record, level)
        event = ErrorEvent(record, exc_info, level=level, message=message)
        if exc_info is None and _responses:
            # A response client capture recorded already: the same error.
            event.captured = _captured_before(error, event)
        emit(event)
        return record
    except Exception:
        report_internal("recording an API error")
        return None

"""observe: from one log line to one ErrorEvent, shared by every logging path.

The structlog processor (:mod:`errorlens.processors`) and the stdlib filter
(:mod:`errorlens.stdlib`) both call :func:`observe` with what the line carries: an
``error`` field, the exception being logged, the message. It reads the record (once per
exception: a recorded exception gives its record back), hands one
:class:`~errorlens.ErrorEvent` to the hub, and returns what the line should show, all
redacted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, MutableMapping
from typing import Any

from errorlens._internal.events import (
    ErrorEvent,
    ExcInfo,
    clean_message,
    emit,
    format_traceback,
    recorded,
    store_traceback,
)
from errorlens._internal.guard import report_internal
from errorlens._internal.reader.extract import extract
from errorlens._internal.scrub import redact_text, redact_values
from errorlens.record import ErrorRecord, secret_values

__all__ = [
    "API_ERROR_KEY",
    "SUMMARY_ATTR",
    "Observation",
    "is_error_source",
    "last_clean",
    "observe",
    "put_trace_ids",
]

API_ERROR_KEY = "api_error"
SUMMARY_ATTR = "api_error_summary"


class Observation:
    """What errorlens adds to one log line that carries an API error (all redacted).

    Holds no exception: :mod:`errorlens.stdlib` keeps it until the thread's next record.
    """

    __slots__ = ("_summary", "api_error", "message", "record")

    def __init__(self, record: ErrorRecord, api_error: dict[str, Any], message: str | None) -> None:
        self.record = record
        self.api_error = api_error
        self.message = message
        self._summary: str | None = None

    @property
    def summary(self) -> str:
        """The record's one-line summary, redacted (made on first use: plain formats)."""
        if self._summary is None:
            summary = redact_text(self.record.summary())
            secrets = secret_values(self.record)
            self._summary = redact_values(summary, secrets) if secrets else summary
        return self._summary


_PLAIN_TYPES = (str, bytes, bytearray, int, float, bool, dict, list, tuple, set)


def is_error_source(value: Any) -> bool:
    """Whether an ``error`` field may hold an API error (not a string or a plain dict)."""
    return value is not None and not isinstance(value, _PLAIN_TYPES)


class _Clean(threading.local):
    # The last ``api_error`` and traceback text this thread produced, clean already: the
    # ``redact`` processor that meets these very objects leaves them out of its scan.
    # Only an optimisation: any other object is scanned whole.
    api_error: object = None
    exception: object = None


last_clean = _Clean()


def _record_of(source: Any, exc_info: ExcInfo | None) -> ErrorRecord | None:
    if source is not None:
        record = extract(source)
        if record is not None:
            return record
    if exc_info is None:
        return None
    return recorded(exc_info[1]) or extract(exc_info[1])


def _traceback_without(exc_info: ExcInfo, secrets: tuple[str, ...]) -> str:
    traceback = format_traceback(exc_info)
    cleaned = redact_values(traceback, secrets)
    if cleaned != traceback:
        # Every later output (a formatter, a span event, Sentry) reads this cache.
        store_traceback(exc_info[1], cleaned)
    return cleaned


def observe(
    source: Any,
    exc_info: ExcInfo | None,
    *,
    level: int,
    logger_name: str | None,
    message: Any,
    via_stdlib: bool,
) -> Observation | None:
    """Read the API error of one log line, send it to the hub, return what to write.

    ``source`` (an ``error`` field) is read first, then the exception of ``exc_info``.
    Values found under secret-named keys of the details are also removed from the
    message and the traceback (the record is clean of them already).
    """
    record = _record_of(source, exc_info)
    if record is None:
        return None
    api_error = record.as_dict()
    last_clean.api_error = api_error
    text = clean_message(message, record) if message is not None else None
    secrets = secret_values(record)
    traceback = _traceback_without(exc_info, secrets) if exc_info and secrets else None
    emit(
        ErrorEvent(
            record,
            exc_info,
            level=level,
            logger_name=logger_name,
            message=text,
            via_stdlib=via_stdlib,
            traceback=traceback,
        )
    )
    return Observation(record, api_error, text)


# -- trace context -------------------------------------------------------------------

_get_current_span: Callable[[], Any] | None = None


def _current_trace_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` of the active OpenTelemetry span as lowercase hex, or None."""
    global _get_current_span  # noqa: PLW0603 - imported once, on first use
    get_span = _get_current_span
    if get_span is None:
        from opentelemetry.trace import get_current_span

        get_span = _get_current_span = get_current_span
    context = get_span().get_span_context()
    if not context.is_valid:
        return None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"


def put_trace_ids(values: MutableMapping[str, Any]) -> None:
    """Add the active span's ``trace_id``/``span_id`` unless ``values`` has both."""
    if "trace_id" in values and "span_id" in values:
        return
    try:
        ids = _current_trace_ids()
    except Exception:
        report_internal("reading the current trace context")
        return
    if ids is not None:
        values.setdefault("trace_id", ids[0])
        values.setdefault("span_id", ids[1])

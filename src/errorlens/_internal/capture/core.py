"""What every client hook shares: which responses are errors, and recording them once.

A hook hands over a response the moment its client returns it. A success costs a status
check (and, for a body the client already read, one substring search for a GraphQL or
JSON-RPC ``"error`` member). An error response whose body is already in memory is
recorded at once; one whose body is still on the wire waits in a :class:`PendingBody`
for the bytes the caller reads, and is recorded once, from the prefix it saw, when the
prefix is full, the body ends or the response is closed. Nothing here ever reads a
stream itself.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from typing import Any

from errorlens._internal.events import (
    ErrorEvent,
    ExcInfo,
    claim_response,
    clean_message,
    emit,
    expect_response,
)
from errorlens._internal.guard import busy, in_errorlens, report_internal
from errorlens._internal.observe import (
    API_ERROR_KEY,
    OBSERVED_KEY,
    SUMMARY_ATTR,
    Observation,
    clean_summary,
    put_trace_ids,
)
from errorlens._internal.policy import current as current_policy
from errorlens._internal.reader.build import build_record
from errorlens._internal.reader.deadline import timed_read
from errorlens._internal.reader.document import READ_CAP
from errorlens._internal.reader.extract import errors_in_success, extract, from_http
from errorlens._internal.reader.parts import normalised
from errorlens._internal.reader.sources import parts_of
from errorlens._internal.scrub import redact_text
from errorlens.record import ErrorRecord

__all__ = [
    "LOGGER_NAME",
    "PendingBody",
    "capture_level",
    "is_error",
    "record_error_response",
    "record_network_error",
    "record_with_body",
]

LOGGER_NAME = "errorlens.capture"
_log = logging.getLogger(LOGGER_NAME)
# The marker a JSON body that reports an error carries: GraphQL ``"errors"``, JSON-RPC
# ``"error"``. Found by one substring search; only then is the body decoded.
_ERROR_MARK = b'"error'


def capture_level(record: ErrorRecord) -> int:
    """The level a captured error is logged at.

    WARNING: the application may still retry or handle it, and logs it itself if not;
    the policy (``configure(levels=...)``) may give it another level, or drop the line.
    """
    return current_policy().level_for(record, logging.WARNING)


def is_error(status: Any, body: Any) -> bool:
    """Whether a response is worth reading: an error status, or a loaded JSON body that
    may report errors under a success status. The whole cost of a success."""
    if isinstance(status, int) and status >= 400:
        return True
    # Only the prefix the reader would read: an error past it could not be read anyway.
    if not isinstance(body, bytes) or body.find(_ERROR_MARK, 0, READ_CAP) < 0:
        return False
    try:
        return errors_in_success(body) is not None
    except Exception:
        report_internal("looking for errors in a successful response")
        return False


def record_error_response(
    response: Any,
    keys: tuple[Any, ...],
    *,
    record: ErrorRecord | None = None,
    correlation_id: str | None = None,
) -> None:
    """Record the error ``response`` holds, once per response (``keys``: the response and
    the objects that stand for it, its headers). ``record``: read already."""
    try:
        if record is None:
            record = extract(response)
        if record is None:
            return
        if correlation_id is not None:
            record = record.replace(correlation_id=correlation_id)
        _send(record, keys, None)
    except Exception:
        report_internal("recording an error response at the client")


@timed_read
def record_with_body(response: Any, body: bytes | None) -> ErrorRecord | None:
    """The record of an error ``response`` whose body the caller read (a prefix of it)."""
    parts = parts_of(response)
    if parts is None:
        return None
    if body is not None:
        parts.body = body
    return build_record(normalised(parts))


def record_network_error(
    exc: BaseException, *, url: Any, method: Any, correlation_id: str | None = None
) -> None:
    """Record a request that got no response (timeout, refused connection): no status."""
    try:
        text = redact_text(f"{type(exc).__name__}: {exc}".rstrip(": "))
        record = from_http(None, None, None, url=_text(url), method=_text(method))
        record = record.replace(message=text, correlation_id=correlation_id)
        # No key: the hub marks the exception itself as recorded.
        _send(record, (), (type(exc), exc, exc.__traceback__))
    except Exception:
        report_internal("recording a failed request at the client")


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return None if value is None else str(value)


def _send(record: ErrorRecord, keys: tuple[Any, ...], exc_info: ExcInfo | None) -> None:
    if in_errorlens() or _suppressed():
        # A call made while writing our own line (a log shipper's), or by an
        # OpenTelemetry exporter: recording it would feed on itself.
        return
    level = capture_level(record)
    summary = clean_summary(record)
    text = f"{clean_message(_message(record), record)}: {summary}"
    writes = _log.isEnabledFor(level)
    event = ErrorEvent(
        record, exc_info, level=level, logger_name=LOGGER_NAME, message=text, via_stdlib=writes
    )
    if not claim_response(keys, event):
        return  # another hook, or the application's own log line, recorded it
    emit(event)
    if writes:
        with busy():
            _write(event, text, summary)


def _suppressed() -> bool:
    """Whether OpenTelemetry asked instrumentations to stand aside (its exporters do)."""
    from opentelemetry import context

    key = getattr(context, "_SUPPRESS_INSTRUMENTATION_KEY", None)
    return key is not None and bool(context.get_value(key))


def _message(record: ErrorRecord) -> str:
    where = " ".join(part for part in (record.method, record.url) if part)
    return f"API error from {where}" if where else "API error"


def _write(event: ErrorEvent, text: str, summary: str) -> None:
    record = event.record
    observed = Observation(record, record.as_dict(), text)
    # Read already: errorlens's handlers and filters take these and read nothing again.
    extra: dict[str, Any] = {
        OBSERVED_KEY: observed,
        API_ERROR_KEY: observed.api_error,
        SUMMARY_ATTR: summary,
    }
    put_trace_ids(extra)
    _log.log(event.level, "%s", text, extra=extra)


Complete = Callable[[bytes | None], None]


class PendingBody:
    """An error response's record, waiting for the first bytes the caller reads.

    ``feed`` each chunk the caller receives; the record is sent once, when
    ``READ_CAP`` bytes were seen, when the body ends (``finish``), or when the response
    is closed unread (``finish`` with nothing fed: status and headers only).
    """

    __slots__ = ("_complete", "_decoder", "_done", "_prefix")

    def __init__(self, response: Any, complete: Complete, encoding: str | None = None) -> None:
        self._complete = complete
        self._prefix = bytearray()
        self._done = False
        self._decoder = _decoder_for(encoding)
        expect_response(response)

    def feed(self, chunk: bytes) -> None:
        if self._done:
            return
        try:
            self._prefix += chunk[: READ_CAP - len(self._prefix)]
        except Exception:
            report_internal("keeping the first bytes of an error body")
            self._prefix.clear()
        if len(self._prefix) >= READ_CAP:
            self.finish()

    def finish(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            body = bytes(self._prefix) or None
            if body is not None and self._decoder is not None:
                body = _decompressed(self._decoder, body)
            self._complete(body)
        except Exception:
            report_internal("completing the record of an error response")


def _decoder_for(encoding: str | None) -> Any:
    """A bounded decoder for raw bytes sent with ``Content-Encoding`` (gzip, deflate)."""
    name = (encoding or "").strip().lower()
    if name in ("", "identity"):
        return None
    if name in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if name == "deflate":
        return zlib.decompressobj()
    return False  # an encoding read here would be guessed: status and headers only


def _decompressed(decoder: Any, body: bytes) -> bytes | None:
    if decoder is False:
        return None
    try:
        return bytes(decoder.decompress(body, READ_CAP)) or None
    except zlib.error:
        return None

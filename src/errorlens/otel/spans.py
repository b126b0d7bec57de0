"""An API error on the current span: an ``exception`` event, ``error.type``, ERROR status."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from opentelemetry.util.types import AttributeValue

from errorlens._internal.events import ErrorEvent
from errorlens._internal.records import code_or_status
from errorlens._internal.text import cap
from errorlens.otel.attributes import (
    ATTR_CORRELATION_ID_HEADER,
    ATTR_ERROR_TYPE,
    ATTR_REQUEST_ID_HEADER,
    ATTR_STATUS_CODE,
    error_type,
    exception_attributes_of,
)
from errorlens.record import ErrorRecord

__all__ = ["annotate_span"]

_MAX_STATUS_DESCRIPTION = 200
# Span kinds whose http.response.* attributes describe the application's own
# response: the vendor's status goes on the event only.
_INBOUND_KINDS = (trace.SpanKind.SERVER, trace.SpanKind.CONSUMER)


def annotate_span(span: trace.Span, event: ErrorEvent, *, add_event: bool) -> None:
    """Put ``event`` on ``span``: the exception event (unless the logs carry it), the
    error type, the vendor's status and ids (on outbound spans), and ERROR status."""
    record = event.record
    if add_event:
        span.add_event("exception", exception_attributes_of(event))
    attributes: dict[str, AttributeValue] = {ATTR_ERROR_TYPE: error_type(record, event.exception)}
    if getattr(span, "kind", None) not in _INBOUND_KINDS:
        _add_response_attributes(attributes, record)
    span.set_attributes(attributes)  # one call: the SDK takes its lock once
    span.set_status(Status(StatusCode.ERROR, _status_description(record, event)))


def _add_response_attributes(attributes: dict[str, AttributeValue], record: ErrorRecord) -> None:
    if record.status is not None:
        attributes[ATTR_STATUS_CODE] = record.status
    # Semantic conventions: header attributes are string arrays.
    if record.request_id is not None:
        attributes[ATTR_REQUEST_ID_HEADER] = [record.request_id]
    if record.correlation_id is not None:
        attributes[ATTR_CORRELATION_ID_HEADER] = [record.correlation_id]


def _status_description(record: ErrorRecord, event: ErrorEvent) -> str:
    head = code_or_status(record)
    text = record.message
    if head and text:
        description = f"{head}: {text}"
    elif head or text:
        description = head or text or ""
    else:
        exc = event.exception
        description = type(exc).__name__ if exc is not None else "API error"
    return cap(description, _MAX_STATUS_DESCRIPTION, "...")

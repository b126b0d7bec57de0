"""The vocabulary: one set of names for spans, logs, metrics and dashboards.

OpenTelemetry's own names come from ``opentelemetry-semantic-conventions``; errorlens's
are the record's fields under ``api_error.``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from opentelemetry.semconv.attributes import (
    error_attributes,
    exception_attributes,
    http_attributes,
    server_attributes,
)

from errorlens._internal.events import ErrorEvent
from errorlens._internal.reader.vendors import host_of
from errorlens._internal.records import code_or_status
from errorlens._internal.scrub import redact_repeated, redact_values
from errorlens._internal.text import cap
from errorlens.record import ErrorRecord, secret_values

if TYPE_CHECKING:
    from opentelemetry.util.types import AttributeValue

__all__ = [
    "ATTR_CATEGORY",
    "ATTR_CODE",
    "ATTR_CORRELATION_ID",
    "ATTR_CORRELATION_ID_HEADER",
    "ATTR_ERROR_TYPE",
    "ATTR_EXCEPTION_MESSAGE",
    "ATTR_EXCEPTION_STACKTRACE",
    "ATTR_EXCEPTION_TYPE",
    "ATTR_FIELDS",
    "ATTR_REQUEST_ID",
    "ATTR_REQUEST_ID_HEADER",
    "ATTR_RETRYABLE",
    "ATTR_RETRY_AFTER",
    "ATTR_SERVER_ADDRESS",
    "ATTR_STATUS_CODE",
    "ATTR_TYPE",
    "ATTR_VENDOR",
    "EXCEPTION_SIGNAL_ENV",
    "METRIC_ERRORS",
    "METRIC_RETRY_AFTER",
    "OTHER",
    "PROMETHEUS_ERRORS",
    "PROMETHEUS_RETRY_AFTER",
    "RETRY_AFTER_BUCKETS",
    "error_type",
    "exception_attributes_of",
    "exception_text",
    "qualified_name",
    "record_attributes",
]

ATTR_VENDOR = "api_error.vendor"
ATTR_CODE = "api_error.code"
ATTR_TYPE = "api_error.type"
ATTR_REQUEST_ID = "api_error.request_id"
ATTR_CORRELATION_ID = "api_error.correlation_id"
ATTR_RETRY_AFTER = "api_error.retry_after"
ATTR_RETRYABLE = "api_error.retryable"
ATTR_FIELDS = "api_error.fields"
ATTR_CATEGORY = "api_error.category"
# OpenTelemetry semantic conventions.
ATTR_EXCEPTION_TYPE = exception_attributes.EXCEPTION_TYPE
ATTR_EXCEPTION_MESSAGE = exception_attributes.EXCEPTION_MESSAGE
ATTR_EXCEPTION_STACKTRACE = exception_attributes.EXCEPTION_STACKTRACE
ATTR_ERROR_TYPE = error_attributes.ERROR_TYPE
ATTR_STATUS_CODE = http_attributes.HTTP_RESPONSE_STATUS_CODE
ATTR_REQUEST_ID_HEADER = f"{http_attributes.HTTP_RESPONSE_HEADER_TEMPLATE}.x-request-id"
ATTR_CORRELATION_ID_HEADER = f"{http_attributes.HTTP_RESPONSE_HEADER_TEMPLATE}.x-correlation-id"
ATTR_SERVER_ADDRESS = server_attributes.SERVER_ADDRESS

METRIC_ERRORS = "api.client.errors"
METRIC_RETRY_AFTER = "api.client.retry_after"
# The names a Prometheus exporter gives them (what dashboards query).
PROMETHEUS_ERRORS = "api_client_errors_total"
PROMETHEUS_RETRY_AFTER = "api_client_retry_after_seconds"
# Seconds, from "retry at once" to "come back in an hour".
RETRY_AFTER_BUCKETS: tuple[float, ...] = (
    0.1,
    0.25,
    0.5,
    1.0,
    2.0,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
    900.0,
    3600.0,
)
# The semantic conventions' name for "a value past the cardinality bound".
OTHER = error_attributes.ErrorTypeValues.OTHER.value
EXCEPTION_SIGNAL_ENV = "OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN"

_MAX_EXCEPTION_MESSAGE = 2000


def qualified_name(cls: type) -> str:
    module = getattr(cls, "__module__", None)
    name = getattr(cls, "__qualname__", None) or cls.__name__
    if not module or module == "builtins":
        return name
    return f"{module}.{name}"


def exception_text(exc: BaseException, secrets: tuple[str, ...]) -> str | None:
    """``exception.message``: the exception's own text, redacted and capped."""
    try:
        text = str(exc)
    except Exception:
        return None
    if not text:
        return None
    # A client's exception text repeats with its endpoint (requests': the status and
    # the url): redacted once per distinct text, as the traceback's lines are.
    return cap(redact_values(redact_repeated(text), secrets), _MAX_EXCEPTION_MESSAGE, "...")


def error_type(record: ErrorRecord, exc: BaseException | None) -> str:
    named = code_or_status(record)
    if named is not None:
        return named
    return qualified_name(type(exc)) if exc is not None else OTHER


def _put_present(
    out: dict[str, AttributeValue], pairs: Iterable[tuple[str, AttributeValue | None]]
) -> None:
    for key, value in pairs:
        if value is not None:
            out[key] = value


def record_attributes(record: ErrorRecord, out: dict[str, AttributeValue]) -> None:
    """The ``api_error.*`` attributes of ``record`` (and its semconv neighbours)."""
    retry_after = record.retry_after
    _put_present(
        out,
        (
            (ATTR_VENDOR, record.vendor),
            (ATTR_CODE, record.code),
            (ATTR_TYPE, record.type),
            (ATTR_STATUS_CODE, record.status),
            (ATTR_REQUEST_ID, record.request_id),
            (ATTR_CORRELATION_ID, record.correlation_id),
            (ATTR_RETRY_AFTER, float(retry_after) if retry_after is not None else None),
        ),
    )
    out[ATTR_RETRYABLE] = record.retryable
    out[ATTR_CATEGORY] = record.category
    fields = record.fields
    if fields:
        out[ATTR_FIELDS] = [
            f"{f.field}: {f.message}" if f.message is not None else f.field for f in fields
        ]
    host = host_of(record.url)
    if host:
        out[ATTR_SERVER_ADDRESS] = host


def exception_attributes_of(event: ErrorEvent) -> dict[str, AttributeValue]:
    """``exception.*`` plus ``api_error.*``: the event's (or log record's) attributes."""
    attributes: dict[str, AttributeValue] = {}
    record = event.record
    # The record is clean; the texts written beside it lose what its details held.
    secrets = secret_values(record)
    exc = event.exception
    message = None
    if exc is not None:
        attributes[ATTR_EXCEPTION_TYPE] = qualified_name(type(exc))
        message = exception_text(exc, secrets)
    if message is None:
        message = record.message if record.message is not None else record.summary() or None
    if message:
        attributes[ATTR_EXCEPTION_MESSAGE] = message
    # The text the log line shows: formatted once, cached on the exception.
    stacktrace = event.traceback
    if stacktrace:
        attributes[ATTR_EXCEPTION_STACKTRACE] = redact_values(stacktrace, secrets)
    record_attributes(record, attributes)
    return attributes

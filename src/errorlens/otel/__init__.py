"""OpenTelemetry output: span events, span status, metrics and log records for API errors.

The sink needs nothing from you: every API error errorlens sees (a logged exception,
:func:`errorlens.record_error`) reaches :func:`otel_sink`, which

- adds an ``exception`` event to the current span (``exception.*`` and ``api_error.*``
  attributes), sets ``error.type`` and ``http.response.status_code`` on the span and
  marks it ERROR;
- adds one to the counter ``api.client.errors`` and, when the vendor said how long to
  wait, records it in the histogram ``api.client.retry_after``.

It uses whatever tracer and meter providers the application set. With only
``opentelemetry-api`` installed both are no-ops and the sink costs a context lookup.

To export without writing any OpenTelemetry setup yourself::

    import logging
    from errorlens import otel

    handler = otel.setup(service="checkout")  # OTLP/HTTP, configured by OTEL_* variables
    if handler is not None:
        logging.getLogger().addHandler(handler)  # log lines as OTel log records too

Already running the OpenTelemetry HTTP client instrumentations? Give them
:func:`response_hook` (``async_response_hook`` for ``httpx.AsyncClient``) and the facts
land on the CLIENT spans they create::

    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    RequestsInstrumentor().instrument(response_hook=otel.response_hook)

``setup`` installs SDK providers only where the application has none. Exceptions move
from span events to log records when ``OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN`` is
``logs`` (or go to both with ``logs/dup``), as the semantic conventions ask.

The work is split by signal: :mod:`~errorlens.otel.attributes` (the vocabulary),
:mod:`~errorlens.otel.spans`, :mod:`~errorlens.otel.metrics`,
:mod:`~errorlens.otel.logs` (the bridge) and :mod:`~errorlens.otel.providers` (setup).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import os

from opentelemetry import trace

from errorlens._internal.capture.otel_hooks import async_response_hook, response_hook
from errorlens._internal.events import ErrorEvent, add_sink
from errorlens._internal.guard import report_internal
from errorlens.otel.attributes import (
    ATTR_CATEGORY,
    ATTR_CODE,
    ATTR_CORRELATION_ID,
    ATTR_CORRELATION_ID_HEADER,
    ATTR_ERROR_TYPE,
    ATTR_EXCEPTION_MESSAGE,
    ATTR_EXCEPTION_STACKTRACE,
    ATTR_EXCEPTION_TYPE,
    ATTR_FIELDS,
    ATTR_REQUEST_ID,
    ATTR_REQUEST_ID_HEADER,
    ATTR_RETRY_AFTER,
    ATTR_RETRYABLE,
    ATTR_SERVER_ADDRESS,
    ATTR_STATUS_CODE,
    ATTR_TYPE,
    ATTR_VENDOR,
    EXCEPTION_SIGNAL_ENV,
    METRIC_ERRORS,
    METRIC_RETRY_AFTER,
    OTHER,
    PROMETHEUS_ERRORS,
    PROMETHEUS_RETRY_AFTER,
    RETRY_AFTER_BUCKETS,
)
from errorlens.otel.logs import LogHandler, emit_exception_log
from errorlens.otel.metrics import record_metrics
from errorlens.otel.providers import setup, shutdown
from errorlens.otel.spans import annotate_span

__all__ = [
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
    "ATTR_RETRY_AFTER",
    "ATTR_RETRYABLE",
    "ATTR_CATEGORY",
    "ATTR_SERVER_ADDRESS",
    "ATTR_STATUS_CODE",
    "ATTR_TYPE",
    "ATTR_VENDOR",
    "EXCEPTION_SIGNAL_ENV",
    "LogHandler",
    "METRIC_ERRORS",
    "METRIC_RETRY_AFTER",
    "OTHER",
    "PROMETHEUS_ERRORS",
    "PROMETHEUS_RETRY_AFTER",
    "RETRY_AFTER_BUCKETS",
    "async_response_hook",
    "otel_sink",
    "response_hook",
    "setup",
    "shutdown",
]


def otel_sink(event: ErrorEvent) -> None:
    """Put ``event`` on the current span, the metrics and (when asked) the OTel logs.

    Registered with the event hub when this module is imported (``import errorlens``
    does); call :func:`errorlens.record_error` rather than this.
    """
    if event.captured is not None:
        return  # client capture put this error on its span and counted it already
    mode = _exception_signal()
    span = trace.get_current_span()
    # Plain try blocks, not ``guarded``: this runs for every error even without an SDK.
    if span.is_recording():
        try:
            annotate_span(span, event, add_event=mode != "logs")
        except Exception:
            report_internal("adding an API error to the current span")
    if mode is not None:
        try:
            emit_exception_log(event)
        except Exception:
            report_internal("sending an API error as an OpenTelemetry log record")
    try:
        record_metrics(event.record)
    except Exception:
        report_internal("recording API error metrics")


def _exception_signal() -> str | None:
    """``"logs"``, ``"logs/dup"`` or None (span events only, the default)."""
    value = os.environ.get(EXCEPTION_SIGNAL_ENV)
    if not value:
        return None
    for part in value.split(","):
        part = part.strip().lower()
        if part in ("logs", "logs/dup"):
            return part
    return None


# Spans and metrics are always on (opentelemetry-api is a cheap no-op without an SDK):
# registered at import, under the import lock, before any thread can emit.
add_sink(otel_sink)

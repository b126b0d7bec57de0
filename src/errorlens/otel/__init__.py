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

``setup`` installs SDK providers only where the application has none. Exceptions move
from span events to log records when ``OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN`` is
``logs`` (or go to both with ``logs/dup``), as the semantic conventions ask.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import _logs, metrics, trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.trace import Status, StatusCode

from errorlens._internal.events import _FORMATTED_ATTR, ErrorEvent, format_traceback
from errorlens._internal.guard import guarded, internal_logger, report_internal
from errorlens._internal.reader.vendors import host_of
from errorlens._internal.scrub import is_secret_name, redact_text, redact_values
from errorlens._internal.text import cap
from errorlens.record import _FIELD_NAMES, ErrorRecord, FieldError, secret_values

if TYPE_CHECKING:
    from opentelemetry.util.types import AttributeValue

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
    "otel_sink",
    "setup",
    "shutdown",
]

# -- vocabulary: one set of names for spans, logs, metrics and dashboards -------------

ATTR_VENDOR = "api_error.vendor"
ATTR_CODE = "api_error.code"
ATTR_TYPE = "api_error.type"
ATTR_REQUEST_ID = "api_error.request_id"
ATTR_CORRELATION_ID = "api_error.correlation_id"
ATTR_RETRY_AFTER = "api_error.retry_after"
ATTR_RETRYABLE = "api_error.retryable"
ATTR_FIELDS = "api_error.fields"
# OpenTelemetry semantic conventions.
ATTR_EXCEPTION_TYPE = "exception.type"
ATTR_EXCEPTION_MESSAGE = "exception.message"
ATTR_EXCEPTION_STACKTRACE = "exception.stacktrace"
ATTR_ERROR_TYPE = "error.type"
ATTR_STATUS_CODE = "http.response.status_code"
ATTR_REQUEST_ID_HEADER = "http.response.header.x-request-id"
ATTR_CORRELATION_ID_HEADER = "http.response.header.x-correlation-id"
ATTR_SERVER_ADDRESS = "server.address"

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
OTHER = "_OTHER"
EXCEPTION_SIGNAL_ENV = "OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN"

# Metric label bounds: a backend pays per series, and codes come from vendors.
_MAX_CODES_PER_VENDOR = 50
_MAX_VENDORS = 50
_MAX_LABEL_LENGTH = 64
_MAX_STATUS_DESCRIPTION = 200
_MAX_EXCEPTION_MESSAGE = 2000
# Without OTEL_EXPORTER_OTLP_*TIMEOUT, the SDK waits 10 s per export; a collector that
# is down should cost less than that at shutdown.
_DEFAULT_EXPORT_TIMEOUT = 5.0

_SCOPE = "errorlens"
# Span kinds whose http.response.* attributes describe the application's own
# response: the vendor's status goes on the event only.
_INBOUND_KINDS = (trace.SpanKind.SERVER, trace.SpanKind.CONSUMER)


# -- the sink ----------------------------------------------------------------------


def otel_sink(event: ErrorEvent) -> None:
    """Put ``event`` on the current span, the metrics and (when asked) the OTel logs.

    Registered by errorlens itself; call :func:`errorlens.record_error` rather than this.
    """
    mode = _exception_signal()
    span = trace.get_current_span()
    # Plain try blocks, not ``guarded``: this runs for every error even without an SDK.
    if span.is_recording():
        try:
            _annotate_span(span, event, add_event=mode != "logs")
        except Exception:
            report_internal("adding an API error to the current span")
    if mode is not None:
        try:
            _emit_exception_log(event)
        except Exception:
            report_internal("sending an API error as an OpenTelemetry log record")
    try:
        _record_metrics(event.record)
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


def _qualified_name(cls: type) -> str:
    module = getattr(cls, "__module__", None)
    name = getattr(cls, "__qualname__", None) or cls.__name__
    if not module or module == "builtins":
        return name
    return f"{module}.{name}"


def _exception_text(exc: BaseException, secrets: tuple[str, ...]) -> str | None:
    """``exception.message``: the exception's own text, redacted and capped."""
    try:
        text = str(exc)
    except Exception:
        return None
    if not text:
        return None
    return cap(redact_values(redact_text(text), secrets), _MAX_EXCEPTION_MESSAGE, "...")


def _code_or_status(record: ErrorRecord) -> str | None:
    """What names the error for grouping: the vendor's code, else the HTTP status."""
    if record.code:
        return record.code
    return str(record.status) if record.status is not None else None


def _error_type(record: ErrorRecord, exc: BaseException | None) -> str:
    named = _code_or_status(record)
    if named is not None:
        return named
    return _qualified_name(type(exc)) if exc is not None else OTHER


def _put_present(
    out: dict[str, AttributeValue], pairs: Iterable[tuple[str, AttributeValue | None]]
) -> None:
    for key, value in pairs:
        if value is not None:
            out[key] = value


def _record_attributes(record: ErrorRecord, out: dict[str, AttributeValue]) -> None:
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
    fields = record.fields
    if fields:
        out[ATTR_FIELDS] = [
            f"{f.field}: {f.message}" if f.message is not None else f.field for f in fields
        ]
    host = host_of(record.url)
    if host:
        out[ATTR_SERVER_ADDRESS] = host


def _exception_attributes(event: ErrorEvent) -> dict[str, AttributeValue]:
    """``exception.*`` plus ``api_error.*``: the event's (or log record's) attributes."""
    attributes: dict[str, AttributeValue] = {}
    record = event.record
    # The record is clean; the texts written beside it lose what its details held.
    secrets = secret_values(record)
    exc = event.exception
    message = None
    if exc is not None:
        attributes[ATTR_EXCEPTION_TYPE] = _qualified_name(type(exc))
        message = _exception_text(exc, secrets)
    if message is None:
        message = record.message if record.message is not None else record.summary() or None
    if message:
        attributes[ATTR_EXCEPTION_MESSAGE] = message
    # The text the log line shows: formatted once, cached on the exception.
    stacktrace = event.traceback
    if stacktrace:
        attributes[ATTR_EXCEPTION_STACKTRACE] = redact_values(stacktrace, secrets)
    _record_attributes(record, attributes)
    return attributes


def _annotate_span(span: trace.Span, event: ErrorEvent, *, add_event: bool) -> None:
    record = event.record
    if add_event:
        span.add_event("exception", _exception_attributes(event))
    span.set_attribute(ATTR_ERROR_TYPE, _error_type(record, event.exception))
    if getattr(span, "kind", None) not in _INBOUND_KINDS:
        if record.status is not None:
            span.set_attribute(ATTR_STATUS_CODE, record.status)
        # Semantic conventions: header attributes are string arrays.
        if record.request_id is not None:
            span.set_attribute(ATTR_REQUEST_ID_HEADER, [record.request_id])
        if record.correlation_id is not None:
            span.set_attribute(ATTR_CORRELATION_ID_HEADER, [record.correlation_id])
    span.set_status(Status(StatusCode.ERROR, _status_description(record, event)))


def _status_description(record: ErrorRecord, event: ErrorEvent) -> str:
    head = _code_or_status(record)
    text = record.message
    if head and text:
        description = f"{head}: {text}"
    elif head or text:
        description = head or text or ""
    else:
        exc = event.exception
        description = type(exc).__name__ if exc is not None else "API error"
    return cap(description, _MAX_STATUS_DESCRIPTION, "...")


# -- exceptions as log records -----------------------------------------------------


class _Loggers:
    """OTel loggers by name for one provider, cleared when the provider changes."""

    __slots__ = ("_lock", "_loggers", "_provider")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loggers: dict[str, _logs.Logger] = {}
        self._provider: _logs.LoggerProvider | None = None

    def get(self, provider: _logs.LoggerProvider, name: str) -> _logs.Logger:
        logger = self._loggers.get(name)
        if logger is not None and self._provider is provider:
            return logger
        with self._lock:
            if self._provider is not provider or len(self._loggers) > 512:
                self._loggers.clear()
                self._provider = provider
            # errorlens's own scope carries its version; a bridged logger's is the app's.
            logger = provider.get_logger(name, _version() if name == _SCOPE else None)
            self._loggers[name] = logger
        return logger


_global_loggers = _Loggers()


def _otel_logger(name: str) -> _logs.Logger:
    """A logger of the current global provider."""
    return _global_loggers.get(_logs.get_logger_provider(), name)


def _version() -> str:
    from errorlens import __version__

    return __version__


def _severity(levelno: int) -> SeverityNumber:
    if levelno <= 0:
        return SeverityNumber.UNSPECIFIED
    if levelno < logging.DEBUG:
        return SeverityNumber.TRACE
    if levelno < logging.INFO:
        return SeverityNumber.DEBUG
    if levelno < logging.WARNING:
        return SeverityNumber.INFO
    if levelno < logging.ERROR:
        return SeverityNumber.WARN
    if levelno < logging.CRITICAL:
        return SeverityNumber.ERROR
    return SeverityNumber.FATAL


_SEVERITY_TEXT = {
    SeverityNumber.TRACE: "TRACE",
    SeverityNumber.DEBUG: "DEBUG",
    SeverityNumber.INFO: "INFO",
    SeverityNumber.WARN: "WARN",
    SeverityNumber.ERROR: "ERROR",
    SeverityNumber.FATAL: "FATAL",
}


def _logger_enabled(logger: _logs.Logger, severity: SeverityNumber) -> bool:
    enabled = getattr(logger, "enabled", None)
    if enabled is None:  # an API older than Logger.enabled: let emit decide
        return not isinstance(logger, _logs.NoOpLogger)
    return bool(enabled(severity_number=severity))


def _emit_exception_log(event: ErrorEvent) -> None:
    if event.via_stdlib and event.logger_name and _bridge_on_path(event.logger_name, event.level):
        # The line itself reaches OTel through LogHandler, tied to the same span and
        # carrying the same exception.* and api_error.* attributes: one record is enough.
        return
    severity = _severity(event.level)
    logger = _otel_logger(_SCOPE)
    if not _logger_enabled(logger, severity):
        return
    # Both clean already: the event's message as errorlens redacted it, the record's own.
    body = event.message or event.record.summary() or "API error"
    logger.emit(
        _logs.LogRecord(
            timestamp=time.time_ns(),
            context=None,  # the current context: ties the record to the current span
            severity_number=severity,
            severity_text=_SEVERITY_TEXT.get(severity),
            body=body,
            attributes=_exception_attributes(event),
        )
    )


def _bridge_on_path(logger_name: str, levelno: int) -> bool:
    """Whether a :class:`LogHandler` will see a line at ``levelno`` from this logger."""
    logger: logging.Logger | None = logging.getLogger(logger_name)
    while logger is not None:
        for handler in logger.handlers:
            if isinstance(handler, LogHandler) and not handler.closed and levelno >= handler.level:
                return True
        if not logger.propagate:
            return False
        logger = logger.parent
    return False


# -- metrics -------------------------------------------------------------------------


class _Instruments:
    __slots__ = ("errors", "provider", "retry_after")

    def __init__(self, provider: metrics.MeterProvider) -> None:
        meter = provider.get_meter(_SCOPE, _version())
        self.provider = provider
        self.errors = meter.create_counter(
            METRIC_ERRORS, unit="{error}", description="API errors received from vendors."
        )

        def histogram(**advisory: Any) -> metrics.Histogram:
            return meter.create_histogram(
                METRIC_RETRY_AFTER,
                unit="s",
                description="How long vendors asked the client to wait before retrying.",
                **advisory,
            )

        try:
            self.retry_after = histogram(explicit_bucket_boundaries_advisory=RETRY_AFTER_BUCKETS)
        except TypeError:  # opentelemetry-api < 1.23: no advisory boundaries
            self.retry_after = histogram()


_instruments: _Instruments | None = None
_instruments_lock = threading.Lock()


def _is_api_default(provider: object, proxy_type_name: str, noop_type: type) -> bool:
    # The API's stand-ins: nothing set yet (proxy) or explicitly nothing (no-op).
    return isinstance(provider, noop_type) or type(provider).__name__ == proxy_type_name


def _current_instruments() -> _Instruments | None:
    global _instruments  # noqa: PLW0603
    provider = metrics.get_meter_provider()
    cached = _instruments
    if cached is not None and cached.provider is provider:
        return cached
    if _is_api_default(provider, "_ProxyMeterProvider", metrics.NoOpMeterProvider):
        return None  # nobody reads the metrics: skip building attributes
    with _instruments_lock:
        if _instruments is None or _instruments.provider is not provider:
            _instruments = _Instruments(provider)
        return _instruments


_codes_lock = threading.Lock()
_codes_by_vendor: dict[str, set[str]] = {}


def _bounded(vendor: str | None, code: str | None) -> tuple[str | None, str | None]:
    """Fold labels past the cardinality bounds into ``_OTHER``."""
    if vendor is not None and len(vendor) > _MAX_LABEL_LENGTH:
        vendor = OTHER
    key = vendor or ""
    known = _codes_by_vendor.get(key)
    if known is None:
        with _codes_lock:
            known = _codes_by_vendor.get(key)
            if known is None:
                if len(_codes_by_vendor) >= _MAX_VENDORS:
                    vendor, key = OTHER, OTHER
                    known = _codes_by_vendor.setdefault(OTHER, set())
                else:
                    known = _codes_by_vendor.setdefault(key, set())
    if code is None or code in known:
        return vendor, code
    if len(code) > _MAX_LABEL_LENGTH:
        return vendor, OTHER
    with _codes_lock:
        if code in known:
            return vendor, code
        if len(known) >= _MAX_CODES_PER_VENDOR:
            return vendor, OTHER
        known.add(code)
    return vendor, code


def _metric_attributes(record: ErrorRecord) -> dict[str, AttributeValue]:
    vendor, code = _bounded(record.vendor, record.code)
    status = record.status
    attributes: dict[str, AttributeValue] = {ATTR_RETRYABLE: record.retryable}
    _put_present(
        attributes,
        (
            (ATTR_VENDOR, vendor),
            (ATTR_CODE, code),
            (ATTR_STATUS_CODE, status if status is not None and 100 <= status <= 999 else None),
        ),
    )
    return attributes


def _record_metrics(record: ErrorRecord) -> None:
    instruments = _current_instruments()
    if instruments is None:
        return
    attributes = _metric_attributes(record)
    instruments.errors.add(1, attributes)
    retry_after = record.retry_after
    if retry_after is not None and retry_after >= 0:
        instruments.retry_after.record(
            float(retry_after),
            {k: v for k, v in attributes.items() if k in (ATTR_VENDOR, ATTR_CODE)},
        )


# -- stdlib logging -> OpenTelemetry logs ----------------------------------------------

# Attributes every LogRecord has: not "extra" data.
_RESERVED = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    # errorlens's own annotations: OTel carries the trace context and api_error.* itself.
    | {"message", "asctime", "taskName", "api_error", "api_error_summary", "trace_id", "span_id"}
)
_MAX_EXTRAS = 32
# Loggers and threads of the OpenTelemetry SDK itself: bridging them would feed the
# exporter its own complaints (a collector that is down would never stop logging).
_SKIPPED_LOGGERS = ("opentelemetry", "errorlens.internal")
_SKIPPED_THREADS = ("OtelBatch", "OtelPeriodicExportingMetricReader")


class LogHandler(logging.Handler):
    """Send stdlib log records to OpenTelemetry logs, tied to the current span.

    Lines carrying an API error (put there by errorlens's filter or processor) get the
    ``exception.*`` and ``api_error.*`` attributes; the stack trace is the text errorlens
    formatted for the line, not formatted again::

        logging.getLogger().addHandler(errorlens.otel.LogHandler())

    Uses the global logger provider unless given one. Lines of OpenTelemetry's own
    loggers and export threads are skipped (a collector that is down must not feed
    itself). Never raises.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self, level: int = logging.NOTSET, logger_provider: _logs.LoggerProvider | None = None
    ) -> None:
        super().__init__(level)
        self._provider = logger_provider
        self._loggers = _Loggers()
        self.closed = False

    def _logger(self, name: str) -> _logs.Logger:
        if self._provider is None:
            return _otel_logger(name)
        return self._loggers.get(self._provider, name)

    def emit(self, record: logging.LogRecord) -> None:
        if self.closed:
            return
        try:
            if record.name.startswith(_SKIPPED_LOGGERS) or (record.threadName or "").startswith(
                _SKIPPED_THREADS
            ):
                return
            severity = _severity(record.levelno)
            logger = self._logger(record.name or "root")
            if not _logger_enabled(logger, severity):
                return
            logger.emit(
                _logs.LogRecord(
                    timestamp=int(record.created * 1e9),
                    context=None,
                    severity_number=severity,
                    severity_text=_SEVERITY_TEXT.get(severity, record.levelname),
                    body=self._body(record),
                    attributes=self._attributes(record),
                )
            )
        except Exception:
            report_internal("sending a log line to OpenTelemetry")

    def _body(self, record: logging.LogRecord) -> str:
        if self.formatter is not None:
            return self.format(record)
        try:
            return record.getMessage()
        except Exception:
            return str(record.msg)

    def _attributes(self, record: logging.LogRecord) -> dict[str, AttributeValue]:
        attributes: dict[str, AttributeValue] = {
            "code.file.path": record.pathname,
            "code.function.name": record.funcName or "",
            "code.line.number": record.lineno,
        }
        extras = 0
        for key, value in vars(record).items():
            if key in _RESERVED or key.startswith("_") or is_secret_name(key):
                continue
            if isinstance(value, (str, bool, int, float)):
                attributes[key] = value
                extras += 1
                if extras >= _MAX_EXTRAS:
                    break
        api_error = _record_on_log_record(record)
        secrets = secret_values(api_error) if api_error is not None else ()
        exc_info = record.exc_info
        if exc_info and exc_info[1] is not None:
            exc = exc_info[1]
            attributes[ATTR_EXCEPTION_TYPE] = _qualified_name(type(exc))
            message = _exception_text(exc, secrets)
            if message:
                attributes[ATTR_EXCEPTION_MESSAGE] = message
            attributes[ATTR_EXCEPTION_STACKTRACE] = redact_values(_stacktrace(record, exc), secrets)
        if api_error is not None:
            _record_attributes(api_error, attributes)
        return attributes

    def close(self) -> None:
        self.closed = True
        super().close()


def _stacktrace(record: logging.LogRecord, exc: BaseException) -> str:
    # Formatted once: errorlens's cached text, else what a Formatter already made of
    # this record, else format now (and cache on the exception for the next output).
    cached = getattr(exc, _FORMATTED_ATTR, None)
    if isinstance(cached, str):
        return cached
    if record.exc_text:
        return redact_text(record.exc_text)
    return format_traceback((type(exc), exc, exc.__traceback__))


def _record_on_log_record(log_record: logging.LogRecord) -> ErrorRecord | None:
    """The record a log line carries as ``api_error``: errorlens's filter puts the
    record's ``as_dict()`` there; ``extra=`` may give the record itself."""
    value = getattr(log_record, "api_error", None)
    if isinstance(value, ErrorRecord):
        return value
    if isinstance(value, Mapping):
        return _record_from_dict(value)
    return None


# The record's fields a mapping gives as they are (``fields`` is rebuilt).
_PLAIN_FIELDS = frozenset(_FIELD_NAMES) - {"fields"}


def _record_from_dict(data: Mapping[str, Any]) -> ErrorRecord | None:
    """An ``ErrorRecord.as_dict()`` mapping read back into a record (None if it is not one)."""
    values = {k: v for k, v in data.items() if k in _PLAIN_FIELDS}
    if not values:
        return None
    fields = data.get("fields")
    if isinstance(fields, list):
        values["fields"] = tuple(
            FieldError(str(f.get("field")), f.get("message"))
            for f in fields
            if isinstance(f, Mapping)
        )
    values["retryable"] = bool(values.get("retryable", False))
    try:
        return ErrorRecord(**values)
    except TypeError:
        return None


# -- setup: SDK providers and OTLP exporters from OTEL_* ------------------------------


class _Installed:
    """What :func:`setup` put in place, so :func:`shutdown` can take exactly that away."""

    def __init__(self) -> None:
        self.tracer_provider: Any = None
        self.meter_provider: Any = None
        self.logger_provider: Any = None
        self.handler: LogHandler | None = None
        self.prometheus_server: Any = None


_setup_lock = threading.Lock()
_installed: _Installed | None = None


def setup(service: str | None = None, *, logs: bool = True) -> logging.Handler | None:
    """Install OpenTelemetry SDK providers that export over OTLP, where none is set.

    Providers the application already set are used as they are; only the ones still at
    the API's defaults are replaced, each by an SDK provider with a batch processor (or
    periodic reader) and the exporter that ``OTEL_TRACES_EXPORTER`` /
    ``OTEL_METRICS_EXPORTER`` / ``OTEL_LOGS_EXPORTER`` name (``otlp`` by default;
    ``console``, ``prometheus`` for metrics, ``none``). Endpoint, headers, timeout and
    resource come from the standard ``OTEL_*`` variables; ``service`` names the service
    when ``OTEL_SERVICE_NAME`` does not. ``OTEL_SDK_DISABLED=true`` turns it all off.

    Returns a :class:`LogHandler` to add to your loggers so log lines travel as
    OpenTelemetry log records, or None (``logs=False``, no SDK, or an OpenTelemetry
    handler already on the root logger). Idempotent: a second call returns the same
    handler. :func:`shutdown` undoes it. Never raises.

    .. versionadded:: 0.1.0
    """
    global _installed  # noqa: PLW0603
    with _setup_lock:
        if _installed is not None:
            return _installed.handler
        if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
            return None
        try:
            from opentelemetry.sdk.resources import Resource
        except ImportError:
            internal_logger.warning(
                "OpenTelemetry export needs the SDK: pip install 'errorlens[otel]'"
            )
            return None
        installed = _Installed()
        try:
            resource = Resource.create()
            if service and str(resource.attributes.get("service.name", "")).startswith(
                "unknown_service"
            ):
                resource = resource.merge(Resource({"service.name": service}))
            with guarded("installing an OpenTelemetry tracer provider"):
                _install_tracing(installed, resource)
            with guarded("installing an OpenTelemetry meter provider"):
                _install_metrics(installed, resource)
            if logs:
                with guarded("installing an OpenTelemetry logger provider"):
                    _install_logs(installed, resource)
                installed.handler = _bridge_handler()
        except Exception:
            report_internal("setting up OpenTelemetry")
        _installed = installed
        return installed.handler


def _exporter_names(signal: str) -> list[str]:
    raw = os.environ.get(f"OTEL_{signal.upper()}_EXPORTER", "otlp")
    return [name.strip().lower() for name in raw.split(",") if name.strip()]


def _timeout(signal: str) -> float | None:
    """An explicit timeout only when the environment sets none."""
    if os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_TIMEOUT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TIMEOUT"
    ):
        return None
    return _DEFAULT_EXPORT_TIMEOUT


def _otlp_protocol(signal: str) -> str:
    return (
        (
            os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL")
            or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            or "http/protobuf"
        )
        .strip()
        .lower()
    )


def _otlp_exporter(signal: str) -> Any:
    """The OTLP/HTTP exporter for ``signal``, or None (with a warning) when missing."""
    if _otlp_protocol(signal) == "grpc":
        internal_logger.warning(
            "errorlens.otel.setup exports over OTLP/HTTP; OTEL_EXPORTER_OTLP_PROTOCOL=grpc"
            " is not supported and was ignored"
        )
    try:
        if signal == "traces":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            return OTLPSpanExporter(timeout=_timeout(signal))
        if signal == "metrics":
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
                OTLPMetricExporter,
            )

            return OTLPMetricExporter(timeout=_timeout(signal))
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

        return OTLPLogExporter(timeout=_timeout(signal))
    except ImportError:
        internal_logger.warning(
            "OTLP export of %s needs opentelemetry-exporter-otlp-proto-http:"
            " pip install 'errorlens[otel]'",
            signal,
        )
        return None


def _install_tracing(installed: _Installed, resource: Any) -> None:
    if not _is_api_default(
        trace.get_tracer_provider(), "ProxyTracerProvider", trace.NoOpTracerProvider
    ):
        return  # the application's own: use it, change nothing
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    provider = TracerProvider(resource=resource)
    for exporter in _exporters("traces", ConsoleSpanExporter):
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    installed.tracer_provider = provider


def _install_metrics(installed: _Installed, resource: Any) -> None:
    if not _is_api_default(
        metrics.get_meter_provider(), "_ProxyMeterProvider", metrics.NoOpMeterProvider
    ):
        return
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import (
        ConsoleMetricExporter,
        MetricReader,
        PeriodicExportingMetricReader,
    )

    readers: list[MetricReader] = []
    for name in _exporter_names("metrics"):
        if name == "otlp":
            metric_exporter = _otlp_exporter("metrics")
            if metric_exporter is not None:
                readers.append(PeriodicExportingMetricReader(metric_exporter))
        elif name == "console":
            readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
        elif name == "prometheus":
            # On its own: a port in use must not cost the other readers.
            with guarded("starting the Prometheus metrics endpoint"):
                reader = _prometheus_reader(installed)
                if reader is not None:
                    readers.append(reader)
        elif name != "none":
            _warn_exporter("metrics", name)
    provider = MeterProvider(resource=resource, metric_readers=readers)
    metrics.set_meter_provider(provider)
    installed.meter_provider = provider


def _prometheus_reader(installed: _Installed) -> Any:
    """A Prometheus reader and its scrape endpoint, as the OTel auto-configuration does.

    None (with a warning) when the exporter is not installed.
    """
    try:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import start_http_server
    except ImportError:
        internal_logger.warning("Prometheus metrics need: pip install 'errorlens[otel]'")
        return None
    host = os.environ.get("OTEL_EXPORTER_PROMETHEUS_HOST", "localhost")
    port = int(os.environ.get("OTEL_EXPORTER_PROMETHEUS_PORT", "9464"))
    # The endpoint first: a port in use leaves no reader registered with nothing to serve it.
    started = start_http_server(port, addr=host)
    installed.prometheus_server = started[0] if isinstance(started, tuple) else None
    return PrometheusMetricReader()


def _install_logs(installed: _Installed, resource: Any) -> None:
    if not _is_api_default(
        _logs.get_logger_provider(), "ProxyLoggerProvider", _logs.NoOpLoggerProvider
    ):
        return
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs import export as logs_export

    provider = LoggerProvider(resource=resource)
    # Renamed in SDK 1.39 (ConsoleLogExporter before).
    console = (
        getattr(logs_export, "ConsoleLogRecordExporter", None) or logs_export.ConsoleLogExporter
    )
    for exporter in _exporters("logs", console):
        provider.add_log_record_processor(logs_export.BatchLogRecordProcessor(exporter))
    _logs.set_logger_provider(provider)
    installed.logger_provider = provider


def _bridge_handler() -> LogHandler | None:
    if _is_api_default(
        _logs.get_logger_provider(), "ProxyLoggerProvider", _logs.NoOpLoggerProvider
    ):
        return None  # no logger provider: the records would go nowhere
    for handler in logging.getLogger().handlers:
        if isinstance(handler, LogHandler) or type(handler).__module__.startswith("opentelemetry"):
            return None  # the application already bridges its logs
    return LogHandler()


def _exporters(signal: str, console: Callable[[], Any]) -> list[Any]:
    """The span or log exporters ``OTEL_<signal>_EXPORTER`` names (otlp, console, none)."""
    found: list[Any] = []
    for name in _exporter_names(signal):
        if name == "otlp":
            exporter = _otlp_exporter(signal)
            if exporter is not None:
                found.append(exporter)
        elif name == "console":
            found.append(console())
        elif name != "none":
            _warn_exporter(signal, name)
    return found


def _warn_exporter(signal: str, name: str) -> None:
    internal_logger.warning("unknown %s exporter %r ignored", signal, name)


def shutdown() -> None:
    """Flush and remove what :func:`setup` installed; the application's own stays.

    The providers flush side by side, so a collector that is down costs one export
    timeout (5 s unless ``OTEL_EXPORTER_OTLP_TIMEOUT`` says otherwise), not one per
    signal. Tracers and meters already obtained from errorlens's providers keep them
    (shut down, so no-ops). Never raises.
    """
    global _installed, _instruments  # noqa: PLW0603
    with _setup_lock:
        installed, _installed = _installed, None
    if installed is None:
        return
    if installed.handler is not None:
        with guarded("closing the OpenTelemetry log handler"):
            installed.handler.close()
    # The API modules that hold each global provider (private: looked up when restoring).
    globals_of = (
        (installed.tracer_provider, "opentelemetry.trace", "_TRACER_PROVIDER"),
        (installed.meter_provider, "opentelemetry.metrics._internal", "_METER_PROVIDER"),
        (installed.logger_provider, "opentelemetry._logs._internal", "_LOGGER_PROVIDER"),
    )
    threads = []
    for provider, *_ in globals_of:
        if provider is not None:
            thread = threading.Thread(
                target=_shutdown_provider, args=(provider,), name="errorlens-otel-shutdown"
            )
            thread.daemon = True
            try:
                thread.start()
            except RuntimeError:  # no new threads (interpreter shutdown): flush here
                _shutdown_provider(provider)
                continue
            threads.append(thread)
    deadline = time.monotonic() + _longest_export_timeout() + 1.0
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    for provider, module, attr in globals_of:
        if provider is not None:
            with guarded("restoring an OpenTelemetry global provider"):
                _restore_global(importlib.import_module(module), attr, provider)
    if installed.prometheus_server is not None:
        with guarded("stopping the Prometheus endpoint"):
            installed.prometheus_server.shutdown()
            installed.prometheus_server.server_close()
    _instruments = None


def _shutdown_provider(provider: Any) -> None:
    with guarded("shutting down an OpenTelemetry provider"):
        provider.shutdown()


def _longest_export_timeout() -> float:
    longest = _DEFAULT_EXPORT_TIMEOUT
    for name in ("", "_TRACES", "_METRICS", "_LOGS"):
        raw = os.environ.get(f"OTEL_EXPORTER_OTLP{name}_TIMEOUT")
        if raw:
            try:
                longest = max(longest, float(raw)) if name else float(raw)
            except ValueError:
                continue
    return longest


def _restore_global(module: Any, attr: str, provider: Any) -> None:
    # The API can set a global provider only once; putting back the unset state (as
    # OpenTelemetry's own test utilities do) lets setup() run again after shutdown().
    if getattr(module, attr, None) is not provider:
        return  # someone else's now
    from opentelemetry.util._once import Once

    setattr(module, attr + "_SET_ONCE", Once())
    setattr(module, attr, None)

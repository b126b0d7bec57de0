"""OpenTelemetry logs: stdlib lines as log records, and API errors as exception records.

:class:`LogHandler` bridges stdlib logging to the OpenTelemetry logs API; its body and
attributes are redacted like every other output. :func:`emit_exception_log` sends an
API error as a log record when the semantic conventions' opt-in asks for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from opentelemetry import _logs
from opentelemetry._logs import SeverityNumber
from opentelemetry.semconv.attributes.code_attributes import (
    CODE_FILE_PATH,
    CODE_FUNCTION_NAME,
    CODE_LINE_NUMBER,
)

from errorlens._internal.events import ErrorEvent, format_traceback, traceback_of
from errorlens._internal.guard import report_internal
from errorlens._internal.locks import SafeLock
from errorlens._internal.records import record_from_mapping
from errorlens._internal.scrub import is_secret_name, redact_structure, redact_text, redact_values
from errorlens._internal.state import on_reset
from errorlens._internal.version import VERSION
from errorlens.otel.attributes import (
    ATTR_EXCEPTION_MESSAGE,
    ATTR_EXCEPTION_STACKTRACE,
    ATTR_EXCEPTION_TYPE,
    exception_attributes_of,
    exception_text,
    qualified_name,
    record_attributes,
)
from errorlens.otel.metrics import SCOPE
from errorlens.record import ErrorRecord, secret_values

if TYPE_CHECKING:
    from opentelemetry.util.types import AttributeValue

__all__ = ["LogHandler", "emit_exception_log"]


class _Loggers:
    """OTel loggers by name for one provider, cleared when the provider changes."""

    __slots__ = ("_lock", "_loggers", "_provider")

    def __init__(self) -> None:
        self._lock = SafeLock()
        self._loggers: dict[str, _logs.Logger] = {}
        self._provider: _logs.LoggerProvider | None = None

    def clear(self) -> None:
        with self._lock:
            self._loggers = {}
            self._provider = None

    def get(self, provider: _logs.LoggerProvider, name: str) -> _logs.Logger:
        logger = self._loggers.get(name)
        if logger is not None and self._provider is provider:
            return logger
        with self._lock:
            if self._provider is not provider or len(self._loggers) > 512:
                self._loggers.clear()
                self._provider = provider
            # errorlens's own scope carries its version; a bridged logger's is the app's.
            logger = provider.get_logger(name, VERSION if name == SCOPE else None)
            self._loggers[name] = logger
        return logger


_global_loggers = _Loggers()
on_reset(_global_loggers.clear)


def _otel_logger(name: str) -> _logs.Logger:
    """A logger of the current global provider."""
    return _global_loggers.get(_logs.get_logger_provider(), name)


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


def emit_exception_log(event: ErrorEvent) -> None:
    if event.via_stdlib and event.logger_name and _bridge_on_path(event.logger_name, event.level):
        # The line itself reaches OTel through LogHandler, tied to the same span and
        # carrying the same exception.* and api_error.* attributes: one record is enough.
        return
    severity = _severity(event.level)
    logger = _otel_logger(SCOPE)
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
            attributes=exception_attributes_of(event),
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
            api_error = _record_on_log_record(record)
            secrets = secret_values(api_error) if api_error is not None else ()
            logger.emit(
                _logs.LogRecord(
                    timestamp=int(record.created * 1e9),
                    context=None,
                    severity_number=severity,
                    severity_text=_SEVERITY_TEXT.get(severity, record.levelname),
                    body=self._body(record, secrets),
                    attributes=self._attributes(record, api_error, secrets),
                )
            )
        except Exception:
            report_internal("sending a log line to OpenTelemetry")

    def _body(self, record: logging.LogRecord, secrets: tuple[str, ...]) -> str:
        # Redacted like every other output: the line as the application wrote it may
        # hold a token or a url with a key, whatever errorlens's filter saw.
        if self.formatter is not None:
            text = self.format(record)
        else:
            try:
                text = record.getMessage()
            except Exception:
                text = str(record.msg)
        text = redact_text(text)
        return redact_values(text, secrets) if secrets else text

    def _attributes(
        self, record: logging.LogRecord, api_error: ErrorRecord | None, secrets: tuple[str, ...]
    ) -> dict[str, AttributeValue]:
        attributes: dict[str, AttributeValue] = {
            CODE_FILE_PATH: record.pathname,
            CODE_FUNCTION_NAME: record.funcName or "",
            CODE_LINE_NUMBER: record.lineno,
        }
        attributes.update(_extras(record, secrets))
        exc_info = record.exc_info
        if exc_info and exc_info[1] is not None:
            exc = exc_info[1]
            attributes[ATTR_EXCEPTION_TYPE] = qualified_name(type(exc))
            message = exception_text(exc, secrets)
            if message:
                attributes[ATTR_EXCEPTION_MESSAGE] = message
            attributes[ATTR_EXCEPTION_STACKTRACE] = redact_values(_stacktrace(record, exc), secrets)
        if api_error is not None:
            record_attributes(api_error, attributes)
        return attributes

    def close(self) -> None:
        self.closed = True
        super().close()


def _extras(record: logging.LogRecord, secrets: tuple[str, ...]) -> dict[str, AttributeValue]:
    """The record's ``extra=`` scalars (secret-named ones left out), redacted."""
    found: dict[str, AttributeValue] = {}
    for key, value in vars(record).items():
        if key in _RESERVED or key.startswith("_") or is_secret_name(key):
            continue
        if isinstance(value, str | bool | int | float):
            found[key] = value
            if len(found) >= _MAX_EXTRAS:
                break
    cleaned: dict[str, AttributeValue] = redact_structure(found, list(secrets))
    return cleaned


def _stacktrace(record: logging.LogRecord, exc: BaseException) -> str:
    # Formatted once per exception and traceback: errorlens's text for this very
    # traceback (raised again, an exception has new frames), else what a Formatter
    # already made of this record, else format now.
    exc_info = record.exc_info
    if not exc_info or exc_info[1] is not exc:
        exc_info = (type(exc), exc, exc.__traceback__)
    cached = traceback_of(exc_info)
    if cached is not None:
        return cached
    if record.exc_text:
        return redact_text(record.exc_text)
    return format_traceback(exc_info)


def _record_on_log_record(log_record: logging.LogRecord) -> ErrorRecord | None:
    """The record a log line carries as ``api_error``: errorlens's filter puts the
    record's ``as_dict()`` there; ``extra=`` may give the record itself."""
    value = getattr(log_record, "api_error", None)
    if isinstance(value, ErrorRecord):
        return value
    if isinstance(value, Mapping):
        return record_from_mapping(value)
    return None

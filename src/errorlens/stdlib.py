"""errorlens for stdlib ``logging``: attach to the loggers and handlers you already have.

Your handlers and formatters stay as they are (plain text, python-json-logger,
anything); errorlens only annotates the records that carry an API error::

    import logging
    import errorlens

    logging.basicConfig(format="%(levelname)s %(name)s %(message)s %(api_error_summary)s")
    errorlens.attach("myapp")          # "myapp" and its children; attach() for every logger

    log = logging.getLogger("myapp.billing")
    try:
        requests.post(url, json=payload).raise_for_status()
    except requests.HTTPError:
        log.exception("charge failed")
    # ERROR myapp.billing charge failed stripe 402 card_declined request_id=req_1

A record carries an API error when it has ``exc_info`` (``log.exception``,
``exc_info=True``) or ``extra={"error": exc_or_response}``. Such a record gets

- ``record.api_error``: the nested dict of :meth:`errorlens.ErrorRecord.as_dict`, which
  JSON formatters (python-json-logger) emit as a nested object;
- ``record.api_error_summary``: a one-line text for plain formats (see ``summary``);
- ``record.trace_id`` / ``record.span_id`` when an OpenTelemetry span is active (on
  every record of the attached loggers, not only errors);
- a redacted message, and a redacted ``record.exc_text`` that the handler's own
  ``Formatter`` prints instead of formatting the traceback again. The exception stays in
  ``record.exc_info`` for the other handlers (Sentry's, OpenTelemetry's).

Records with any exception (a connection error whose message holds a url with a key,
say) get the redacted message and traceback too.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import logging
import sys
import threading
import weakref
from collections.abc import Callable

from errorlens._internal.events import format_traceback
from errorlens._internal.guard import in_errorlens, report_internal
from errorlens._internal.observe import (
    API_ERROR_KEY,
    SUMMARY_ATTR,
    Observation,
    is_error_source,
    observe,
    put_trace_ids,
)
from errorlens._internal.scrub import redact_text

__all__ = ["ApiErrorFilter", "attach", "detach"]

# Python 3.12+: a handler's filter may hand the handler a changed copy of the record.
_FILTER_MAY_REPLACE = sys.version_info >= (3, 12)


class ApiErrorFilter(logging.Filter):
    """A ``logging.Filter`` for handlers: annotates records carrying an API error, drops none.

    :func:`attach` installs it for you. Put it on a handler yourself and it sees the
    records of every logger that reaches that handler::

        handler.addFilter(errorlens.stdlib.ApiErrorFilter(handler=handler, summary=True))

    ``summary`` also sets ``record.api_error_summary`` to ``""`` on records without an
    API error, so that ``%(api_error_summary)s`` works in a format string (leave it off
    for JSON formatters: they would print the empty field on every line).
    ``trace_context`` sets ``trace_id``/``span_id`` while a span is active. ``names``
    limits the filter to those loggers and their children. ``handler``, the handler the
    filter sits on, lets it put the redacted traceback where that handler's formatter
    reads it.

    A record seen by several handlers is read once. A record without an API error costs
    a context lookup (with ``trace_context``) and a few attribute reads.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        *,
        summary: bool = False,
        trace_context: bool = True,
        names: tuple[str, ...] | None = None,
        handler: logging.Handler | None = None,
    ) -> None:
        super().__init__()
        self.summary = summary
        self.trace_context = trace_context
        self.names = names
        self.handler = handler

    def filter(self, record: logging.LogRecord) -> bool | logging.LogRecord:  # type: ignore[override]
        try:
            names = self.names
            if names is not None and not _covers(names, record.name):
                return True
            seen = _seen
            if seen.record() is not record:
                if in_errorlens():
                    return True
                seen.record = weakref.ref(record)
                seen.observed = None  # not the last record's, should the reading fail
                seen.observed = self._annotate(record)
            elif self.summary and SUMMARY_ATTR not in record.__dict__:
                # An earlier filter (summary off) read this record: its summary now.
                observed = seen.observed
                record.__dict__[SUMMARY_ATTR] = observed.summary if observed is not None else ""
            handler = self.handler
            if record.exc_info is not None and handler is not None:
                return _traceback_for_handler(record, handler)
        except Exception:
            report_internal("annotating a log record")
        return True

    def _annotate(self, record: logging.LogRecord) -> Observation | None:
        values = record.__dict__
        if self.trace_context:
            put_trace_ids(values)
        if self.summary and SUMMARY_ATTR not in values:
            values[SUMMARY_ATTR] = ""
        if API_ERROR_KEY in values:
            return None
        exc_info = record.exc_info if record.exc_info and record.exc_info[1] is not None else None
        error = values.get("error")
        source = error if is_error_source(error) else None
        if source is None and exc_info is None:
            return None
        message = _message_of(record)
        observed = observe(
            source,
            exc_info,
            level=record.levelno,
            logger_name=record.name,
            message=message,
            via_stdlib=True,
        )
        if observed is None:
            # An exception without an API error (a connection error, say): its message
            # may still hold a url with a key.
            cleaned: str | None = redact_text(message)
        else:
            values[API_ERROR_KEY] = observed.api_error
            if SUMMARY_ATTR in values:
                values[SUMMARY_ATTR] = observed.summary
            cleaned = observed.message
        if cleaned is not None and cleaned != message:
            record.msg = cleaned
            record.args = None
        if observed is not None and not self.trace_context:
            put_trace_ids(values)  # records with an API error carry them regardless
        return observed


def _traceback_for_handler(
    record: logging.LogRecord, handler: logging.Handler
) -> bool | logging.LogRecord:
    # The first formatter to see a record caches its traceback in exc_text and every
    # later formatter reuses it (stdlib behaviour): errorlens fills that cache with the
    # redacted text, through the handler's own formatException if it has one.
    exc_info = record.exc_info
    if exc_info is None or exc_info[1] is None:
        return True
    formatter = handler.formatter
    if not record.exc_text:
        if formatter is not None and (
            type(formatter).formatException is not logging.Formatter.formatException
        ):
            record.exc_text = redact_text(formatter.formatException(exc_info))
        else:
            record.exc_text = format_traceback(exc_info)
    if _FILTER_MAY_REPLACE and formatter is not None and _ignores_exc_text(formatter):
        # python-json-logger formats exc_info itself and ignores exc_text: this
        # handler gets a copy without the exception (the others keep it).
        copy = logging.makeLogRecord(record.__dict__)
        copy.exc_info = None
        return copy
    return True


def _nothing() -> None:
    return None


class _Seen(threading.local):
    # The record this thread's filters last read, so that its other handlers skip the
    # work, and what they found in it. Weakly held: a record's traceback must not
    # outlive its logging call (the observation holds no exception).
    observed: Observation | None = None

    def __init__(self) -> None:
        self.record: Callable[[], logging.LogRecord | None] = _nothing


_seen = _Seen()


def _ignores_exc_text(formatter: logging.Formatter) -> bool:
    # python-json-logger (and subclasses of its formatters) format exc_info themselves.
    return any(cls.__module__.startswith("pythonjsonlogger") for cls in type(formatter).__mro__)


def _covers(names: tuple[str, ...], name: object) -> bool:
    if not isinstance(name, str):
        return False  # a hand-made record without a name belongs to no attached logger
    # A loop, not any(generator): this runs for every record, and is six times cheaper.
    for prefix in names:  # noqa: SIM110
        if not prefix or name == prefix or name.startswith(prefix + "."):
            return True
    return False


def _message_of(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a bad format string: the handler reports it, not us
        return str(record.msg)


# -- attach / detach -------------------------------------------------------------------

# Attached logger prefix ("" for the root logger) -> the handlers it put filters on.
_attachments: dict[str, list[logging.Handler]] = {}
_lock = threading.RLock()


def _resolve(logger: logging.Logger | str | None) -> logging.Logger:
    if logger is None or isinstance(logger, str):
        return logging.getLogger(logger or None)
    return logger


def _prefix(logger: logging.Logger) -> str:
    return "" if logger is logging.getLogger() else logger.name


def _reached_handlers(logger: logging.Logger) -> list[logging.Handler]:
    """The handlers a record of ``logger`` reaches, nearest first."""
    found: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if handler not in found:
                found.append(handler)
        if not current.propagate:
            break
        current = current.parent
    return found


def _formats_summary(handlers: list[logging.Handler]) -> bool:
    for handler in handlers:
        fmt = getattr(handler.formatter, "_fmt", None)
        if isinstance(fmt, str) and SUMMARY_ATTR in fmt:
            return True
    return False


def _handler_filter(handler: logging.Handler) -> ApiErrorFilter | None:
    for existing in handler.filters:
        if isinstance(existing, ApiErrorFilter) and existing.handler is handler:
            return existing
    return None


def attach(
    logger: logging.Logger | str | None = None,
    *,
    summary: bool | None = None,
    trace_context: bool = True,
) -> list[logging.Handler]:
    """Annotate the API-error records of ``logger`` and its children, for its handlers.

    ``logger`` is a ``logging.Logger`` or a name; None is the root logger (every
    logger). Call it once your handlers are set up: errorlens adds one
    :class:`ApiErrorFilter` to each handler that records of ``logger`` reach (its own,
    then its ancestors' while they propagate) and changes nothing else: handler
    objects, formatters and levels stay as they were. Records of other loggers that
    share those handlers are left alone. Returns the handlers it attached to (an empty
    list means the records reach no handler yet).

    ``summary``: set ``record.api_error_summary`` on every record (``""`` when there is
    no API error) so a plain format string can print it. None (the default) turns it
    on when a handler's format string mentions ``api_error_summary`` (a JSON formatter
    has ``api_error`` already and would print the summary twice). ``trace_context``:
    add ``trace_id``/``span_id`` while an OpenTelemetry span is active.

    Calling it again for the same logger re-reads its handlers. :func:`detach` undoes
    it. Never raises.

    .. versionadded:: 0.1.0
    """
    try:
        target = _resolve(logger)
        with _lock:
            _detach(target)
            handlers = _reached_handlers(target)
            wants_summary = _formats_summary(handlers) if summary is None else summary
            prefix = _prefix(target)
            touched: list[logging.Handler] = []
            for handler in handlers:
                existing = _handler_filter(handler)
                if existing is not None and existing.names is None:
                    continue  # configure()'s own filter: it covers every logger already
                touched.append(handler)
                if existing is None:
                    handler.addFilter(
                        ApiErrorFilter(
                            summary=wants_summary,
                            trace_context=trace_context,
                            names=(prefix,),
                            handler=handler,
                        )
                    )
                else:
                    names = existing.names or ()
                    if prefix not in names:
                        existing.names = (*names, prefix)
                    existing.summary = existing.summary or wants_summary
                    existing.trace_context = existing.trace_context or trace_context
            _attachments[prefix] = touched
            return list(handlers)
    except Exception:
        report_internal("attaching to a logger")
        return []


def detach(logger: logging.Logger | str | None = None) -> None:
    """Undo :func:`attach` for ``logger``: its filters go, handlers stay as they are.

    .. versionadded:: 0.1.0
    """
    try:
        with _lock:
            _detach(_resolve(logger))
    except Exception:
        report_internal("detaching from a logger")


def _detach(target: logging.Logger) -> None:
    prefix = _prefix(target)
    handlers = _attachments.pop(prefix, None)
    if handlers is None:
        return
    for handler in handlers:
        existing = _handler_filter(handler)
        if existing is None or existing.names is None:
            continue
        names = tuple(name for name in existing.names if name != prefix)
        if names:
            existing.names = names
        else:
            handler.removeFilter(existing)

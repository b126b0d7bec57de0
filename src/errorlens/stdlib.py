"""errorlens for stdlib ``logging``: attach to the loggers and handlers you already have.

Your handlers and formatters stay as they are (plain text, python-json-logger,
anything); errorlens reads each record once, before they do::

    import logging
    import errorlens

    logging.basicConfig(format="%(levelname)s %(name)s %(message)s %(api_error_summary)s")
    errorlens.attach("myapp")          # "myapp" and its children; attach() for every logger

    log = logging.getLogger("myapp.billing")
    try:
        requests.post(url, json=payload).raise_for_status()
    except requests.HTTPError:
        log.exception("charge failed")
    # ERROR myapp.billing charge failed 402 card_declined stripe request_id=req_1 ...

:func:`attach` puts one errorlens handler first among the logger's handlers. It formats
and writes nothing: it reads the record, hands the API error to the current span, the
metrics and Sentry (once per error, even when no handler would print the line), and
annotates the record for the handlers after it, those added later included:

- ``record.api_error``: the nested dict of :meth:`errorlens.ErrorRecord.as_dict`, which
  JSON formatters (python-json-logger) emit as a nested object;
- ``%(api_error_summary)s``, ``%(trace_id)s`` and ``%(span_id)s`` work in any format
  string, on every record: the formatters that name them get defaults (the summary is
  empty without an API error, the ids are the active OpenTelemetry span's, empty
  outside a span). They are not attributes of plain records, so JSON lines without an
  API error stay as they were;
- inside a request that errorlens's middleware serves (:mod:`errorlens.asgi`,
  :mod:`errorlens.wsgi`), ``record.__dict__["http.request.id"]`` (and
  ``"http.request.correlation_id"``), which JSON formatters write;
- a redacted message, and a redacted ``record.exc_text`` (formatted once, shared with
  the span event) that formatters print instead of formatting the traceback again. The
  exception stays in ``record.exc_info`` for the other handlers (Sentry's,
  OpenTelemetry's).

Records with any exception (a connection error whose message holds a url with a key,
say) get the redacted message and traceback too. Every other record of an attached
logger is cleaned as well, message, arguments and ``extra=`` fields, unless
``attach(..., redact="fields")`` keeps errorlens to its own fields.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal

from errorlens._internal.context import current_request_ids
from errorlens._internal.events import format_traceback
from errorlens._internal.guard import in_errorlens, report_internal
from errorlens._internal.incoming import log_fields
from errorlens._internal.locks import SafeLock
from errorlens._internal.observe import (
    API_ERROR_KEY,
    OBSERVED_KEY,
    SUMMARY_ATTR,
    Observation,
    current_trace_ids,
    given_record,
    is_error_source,
    observe,
    put_trace_ids,
    short_error_text,
)
from errorlens._internal.policy import Policy, stdlib_name
from errorlens._internal.policy import set_current as set_policy
from errorlens._internal.scrub import (
    REDACTED,
    hides,
    is_plain_key,
    might_hold_secret,
    redact_structure,
    redact_text,
)
from errorlens._internal.state import STATE
from errorlens._internal.storm import StormPolicy
from errorlens._internal.storm import set_current as set_storm

__all__ = ["ApiErrorFilter", "attach", "detach"]

_TRACE_KEYS = ("trace_id", "span_id")
_FIELD_NAMES = (SUMMARY_ATTR, *_TRACE_KEYS)


class _CurrentId:
    """A format-string default: the active span's trace or span id, read when printed."""

    __slots__ = ("_index",)

    def __init__(self, index: int) -> None:
        self._index = index

    def __str__(self) -> str:
        try:
            ids = current_trace_ids()
        except Exception:
            report_internal("reading the current trace context")
            return ""
        return "" if ids is None else ids[self._index]

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return repr(str(self))


# What a format string prints for errorlens's fields on a record that lacks them.
_DEFAULTS: dict[str, Any] = {SUMMARY_ATTR: "", "trace_id": _CurrentId(0), "span_id": _CurrentId(1)}


def _give_defaults(formatter: logging.Formatter) -> bool:
    """Let ``formatter``'s format string name errorlens's fields on any record.

    Uses the format style's defaults (``logging.Formatter(defaults=...)``, 3.10+),
    for ``%``, ``{}`` and ``$`` styles alike; only formatters whose format names one
    of the fields are touched. Returns True when it changed ``formatter``.
    """
    style = getattr(formatter, "_style", None)
    fmt = getattr(style, "_fmt", None)
    if not isinstance(style, logging.PercentStyle) or not isinstance(fmt, str):
        return False
    if not any(name in fmt for name in _FIELD_NAMES):
        return False
    current = style._defaults  # type: ignore[attr-defined]
    if isinstance(current, dict) and all(name in current for name in _FIELD_NAMES):
        return False
    added = {name: value for name, value in _DEFAULTS.items() if not current or name not in current}
    style._defaults = {**(current or {}), **added}  # type: ignore[attr-defined]
    _given_defaults[formatter] = (current, tuple(added))
    return True


# Formatter -> (its defaults before errorlens, the names errorlens added).
_given_defaults: weakref.WeakKeyDictionary[logging.Formatter, tuple[Any, tuple[str, ...]]] = (
    weakref.WeakKeyDictionary()
)


def _take_defaults_back(formatter: logging.Formatter) -> None:
    given = _given_defaults.pop(formatter, None)
    style = getattr(formatter, "_style", None)
    if given is None or style is None:
        return
    before, added = given
    current = style._defaults
    if isinstance(current, dict) and before is None:
        rest = {k: v for k, v in current.items() if k not in added}
        style._defaults = rest or None
    elif isinstance(current, dict):
        style._defaults = {k: v for k, v in current.items() if k not in added or k in before}


def _read(
    record: logging.LogRecord, trace_context: bool, summary: bool = False
) -> Observation | None:
    """Read a record that may carry an API error, once: the error, redaction, fields.

    ``summary``: a format string ahead prints ``api_error_summary`` (JSON formatters
    would print it beside ``api_error``: only when asked).
    """
    values = record.__dict__
    if OBSERVED_KEY in values:
        seen = values[OBSERVED_KEY]
        return seen if isinstance(seen, Observation) else None
    values[OBSERVED_KEY] = None
    if trace_context:
        put_trace_ids(values)
    if in_errorlens():
        return None
    observed = _observe_record(record, values)
    if observed is not None and summary:
        values[SUMMARY_ATTR] = observed.summary
    return observed


def _observe_record(record: logging.LogRecord, values: dict[str, Any]) -> Observation | None:
    exc_info = record.exc_info if record.exc_info and record.exc_info[1] is not None else None
    if API_ERROR_KEY in values:  # a record the line was given (extra=), unless errorlens's
        source: Any = given_record(values[API_ERROR_KEY])
        if source is None:
            return None
    else:
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
    cleaned = redact_text(message) if observed is None else observed.message
    if cleaned is not None and cleaned != message:
        record.msg = cleaned
        record.args = None
    if observed is None:
        return None
    values[OBSERVED_KEY] = observed
    _apply_level(record, observed.level)
    values.update(observed.fields)
    if source is not None and source is values.get("error"):
        _shorten_error_field(values, source)
    put_trace_ids(values)  # records with an API error carry them regardless
    return observed


def _apply_level(record: logging.LogRecord, level: int | None) -> None:
    # The handlers after this one, Sentry's logging integration included, compare the
    # record's own level: a dropped line (DROP, -1) is below every one of them.
    if level is None or level == record.levelno:
        return
    record.levelno = level
    record.levelname = stdlib_name(level)


def _shorten_error_field(values: dict[str, Any], source: Any) -> None:
    # The facts are in api_error now: no repr of the response or record beside it.
    short = short_error_text(source)
    if short is None:
        del values["error"]
    else:
        values["error"] = short


def _message_of(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a bad format string: the handler reports it, not us
        return str(record.msg)


# -- the whole line: message, arguments and extra= fields, for attach() ------------------

# What every record has; anything more came by ``extra=`` or a filter.
_RECORD_SIZE = len(logging.makeLogRecord({}).__dict__)
_RECORD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
# errorlens's own fields are clean already (``error`` was shortened and redacted).
_CLEAN_FIELDS = frozenset({API_ERROR_KEY, "api_errors", SUMMARY_ATTR, "trace_id", "span_id"})
_SKIPPED_FIELDS = _RECORD_ATTRS | _CLEAN_FIELDS


def redact_line(record: logging.LogRecord) -> None:
    """Clean what a formatter prints of ``record``: the message (arguments merged) and
    the ``extra=`` fields, as configure()'s pipeline cleans its lines.

    Runs on every record of an attached logger: a message judged clean before and
    scalar fields under plain names cost a lookup each.
    """
    msg = record.msg
    if record.args or type(msg) is not str:
        message = _message_of(record)
        if might_hold_secret(message):
            record.msg, record.args = redact_text(message), None
    elif might_hold_secret(msg):
        record.msg = redact_text(msg)
    values = record.__dict__
    if len(values) > _RECORD_SIZE:
        # extra= fields come after the attributes every record has (insertion order):
        # read from the end back to the first of those. Only values change meanwhile.
        plain_keys = STATE.plain_keys
        for key in reversed(values):
            if key in _RECORD_ATTRS:
                break
            value = values[key]
            if key in plain_keys and (type(value) in _SCALARS or value is None):
                continue
            if type(key) is str and key[:1] != "_" and key not in _SKIPPED_FIELDS:
                cleaned = _clean_field(key, value)
                if cleaned is not value:
                    values[key] = cleaned


_SCALARS = frozenset({int, float, bool})


def _clean_field(key: str, value: Any) -> Any:
    # A plain name is remembered in STATE.plain_keys, as structlog's lines remember
    # theirs: forgotten with the rest of errorlens's memory.
    if not is_plain_key(key) and hides(key, value):
        return REDACTED
    return _clean_value(value)


def _clean_value(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return redact_text(value) if might_hold_secret(value) else value
    if value is None or kind in _SCALARS:
        return value
    return redact_structure(value, [])


# -- tracebacks: formatted once, redacted, for every formatter -----------------------------

_WRAPPED_ATTR = "_errorlens_format_exception"


def _formats_exceptions_itself(formatter: logging.Formatter) -> bool:
    """python-json-logger (and subclasses) print ``exc_info`` and ignore ``exc_text``."""
    return any(cls.__module__.startswith("pythonjsonlogger") for cls in type(formatter).__mro__)


def _has_own_format_exception(formatter: logging.Formatter) -> bool:
    method = type(formatter).formatException
    if method is logging.Formatter.formatException:
        return False
    return not getattr(method, "__module__", "").startswith("pythonjsonlogger")


def _redacting(formatter: logging.Formatter) -> Callable[[Any], Any]:
    """An instance ``formatException`` that prints errorlens's redacted traceback.

    python-json-logger's and the stock method get the text errorlens formatted once
    (split in lines where python-json-logger is asked to); a formatter's own method
    runs and its text is redacted.
    """
    original = formatter.formatException
    own = _has_own_format_exception(formatter)

    def format_exception(ei: Any) -> Any:
        if own or not isinstance(ei, tuple) or len(ei) != 3 or ei[1] is None:
            text = original(ei)
            if isinstance(text, str):
                return redact_text(text)
            return [redact_text(str(line)) for line in text]
        cached = format_traceback(ei)
        return cached.splitlines() if getattr(formatter, "exc_info_as_array", False) else cached

    setattr(format_exception, _WRAPPED_ATTR, True)
    return format_exception


def _wrap(formatter: logging.Formatter) -> bool:
    """Give ``formatter`` the redacting ``formatException``; False if it had it already."""
    if getattr(formatter.__dict__.get("formatException"), _WRAPPED_ATTR, False):
        return False
    formatter.formatException = _redacting(formatter)  # type: ignore[method-assign,assignment]
    return True


def _unwrap(formatter: logging.Formatter) -> None:
    if getattr(formatter.__dict__.get("formatException"), _WRAPPED_ATTR, False):
        del formatter.formatException


def _handlers_from(logger: logging.Logger | None) -> Iterator[logging.Handler]:
    """The handlers a record at ``logger`` reaches from there on, nearest first."""
    current = logger
    while current is not None:
        yield from current.handlers
        if not current.propagate:
            return
        current = current.parent


def _prepare_traceback(
    record: logging.LogRecord, logger: logging.Logger | None, wrapped: weakref.WeakSet[Any]
) -> None:
    """Make every formatter ahead print the redacted traceback errorlens formatted once.

    Stock formatters read ``exc_text``; those that format ``exc_info`` themselves
    (python-json-logger, a custom ``formatException``) get the redacting method.
    """
    exc_info = record.exc_info
    if not exc_info or exc_info[1] is None or record.exc_text:
        return
    formatters = [h.formatter for h in _handlers_from(logger) if h.formatter is not None]
    own = any(_has_own_format_exception(f) for f in formatters)
    for formatter in formatters:
        if (own or _formats_exceptions_itself(formatter)) and _wrap(formatter):
            wrapped.add(formatter)
    if not own:
        # A formatter of its own would print exc_text instead of its own text.
        record.exc_text = format_traceback(exc_info)


# -- the handler attach() puts first -----------------------------------------------------


_root = logging.getLogger()


class ReadingHandler(logging.Handler):
    """First among a logger's handlers: reads each record once, writes nothing.

    What :func:`attach` (and ``configure()``, on the root logger) puts in place.
    """

    def __init__(
        self, logger: logging.Logger, trace_context: bool, whole_line: bool = False
    ) -> None:
        super().__init__()
        self.name = "errorlens"
        self.logger = logger
        self.trace_context = trace_context
        # attach()'s default: the message and extra= fields of every record are cleaned.
        self.whole_line = whole_line
        # Formatters this handler gave the redacting formatException or the field
        # defaults (undone by detach).
        self.wrapped: weakref.WeakSet[logging.Formatter] = weakref.WeakSet()
        # The handler lists last covered (the logger's and the root logger's: the same
        # list when attached to the root) and their lengths then: a new list or a new
        # length means formatters to cover.
        self._own = logger.handlers
        self._inherited = _root.handlers
        self._seen_counts = (-1, -1)
        self.summary = False  # a format string ahead prints api_error_summary

    def handle(self, record: logging.LogRecord) -> bool:
        # Every record of the logger comes here: a plain one costs a few lookups.
        try:
            ids = current_request_ids()
            if ids is not None:  # inside a request the middleware bound
                _put_request_ids(record.__dict__, ids)
            # _handlers_changed(), written out: this runs for every record.
            own, inherited, seen = self.logger.handlers, _root.handlers, self._seen_counts
            if (
                record.exc_info
                or "error" in record.__dict__
                or API_ERROR_KEY in record.__dict__
                or self.trace_context
                or own is not self._own
                or inherited is not self._inherited
                or len(own) != seen[0]
                or len(inherited) != seen[1]
            ):
                self._read_fully(record)
            if self.whole_line:
                redact_line(record)
        except Exception:
            report_internal("reading a log record")
        return True

    def _handlers_changed(self) -> bool:
        own, inherited = self.logger.handlers, _root.handlers
        return (
            own is not self._own
            or inherited is not self._inherited
            or (len(own), len(inherited)) != self._seen_counts
        )

    def _read_fully(self, record: logging.LogRecord) -> None:
        if self._handlers_changed():
            # A handler was added (or removed) on this logger or the root logger since.
            self._cover_formatters()
        if record.exc_info or "error" in record.__dict__ or API_ERROR_KEY in record.__dict__:
            _read(record, self.trace_context, self.summary)
            _prepare_traceback(record, self.logger, self.wrapped)
        elif self.trace_context:
            put_trace_ids(record.__dict__)

    def _cover_formatters(self) -> None:
        # ``logger.handlers = [...]`` may have replaced a list: watch the new one.
        self._own, self._inherited = self.logger.handlers, _root.handlers
        self._seen_counts = (len(self._own), len(self._inherited))
        summary = False
        for handler in _handlers_from(self.logger):
            formatter = handler.formatter
            if formatter is not None and _give_defaults(formatter):
                self.wrapped.add(formatter)
            summary = summary or formatter in _given_defaults
        self.summary = summary

    def emit(self, record: logging.LogRecord) -> None:  # pragma: no cover - handle() is all
        return None

    def createLock(self) -> None:
        self.lock = None  # handle() holds no lock: it changes only the record

    def __repr__(self) -> str:
        return f"<errorlens reading handler for {self.logger.name!r}>"


def _put_request_ids(values: dict[str, Any], ids: Any) -> None:
    for key, value in log_fields(ids).items():
        values.setdefault(key, value)


class _AttachHandler(ReadingHandler):
    """The one :func:`attach` put on a logger (configure()'s is another)."""


# -- a filter, for a handler of your own ------------------------------------------------


class ApiErrorFilter(logging.Filter):
    """A ``logging.Filter`` for one handler: reads the records it sees, drops none.

    :func:`attach` covers a logger's handlers without it; put it on a handler yourself
    when that handler serves loggers you do not attach::

        handler.addFilter(errorlens.stdlib.ApiErrorFilter(handler=handler))

    ``trace_context`` sets ``trace_id``/``span_id`` on every record while a span is
    active (records with an API error always get them). ``names`` limits the filter to
    those loggers and their children. ``handler``, the handler the filter sits on, lets
    it give that handler's formatter the redacted traceback. ``summary`` is accepted
    for compatibility: ``%(api_error_summary)s`` works in any format string now.

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
        self.wrapped: weakref.WeakSet[logging.Formatter] = weakref.WeakSet()
        self._checked: logging.Formatter | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            names = self.names
            if names is not None and not _covers(names, record.name):
                return True
            handler = self.handler
            formatter = handler.formatter if handler is not None else None
            if formatter is not self._checked:
                self._checked = formatter
                if formatter is not None and _give_defaults(formatter):
                    self.wrapped.add(formatter)
            if record.exc_info or "error" in record.__dict__ or API_ERROR_KEY in record.__dict__:
                _read(record, self.trace_context, formatter in _given_defaults)
            elif self.trace_context:
                put_trace_ids(record.__dict__)
            if record.exc_info and formatter is not None:
                _prepare_formatter(record, formatter, self.wrapped)
        except Exception:
            report_internal("annotating a log record")
        return True


def _prepare_formatter(
    record: logging.LogRecord, formatter: logging.Formatter, wrapped: weakref.WeakSet[Any]
) -> None:
    exc_info = record.exc_info
    if not exc_info or exc_info[1] is None:
        return
    if _formats_exceptions_itself(formatter) or _has_own_format_exception(formatter):
        if _wrap(formatter):
            wrapped.add(formatter)
    elif not record.exc_text:
        record.exc_text = format_traceback(exc_info)


def _covers(names: tuple[str, ...], name: object) -> bool:
    if not isinstance(name, str):
        return False  # a hand-made record without a name belongs to no attached logger
    # A loop, not any(generator): this runs for every record, and is six times cheaper.
    for prefix in names:  # noqa: SIM110
        if not prefix or name == prefix or name.startswith(prefix + "."):
            return True
    return False


# -- attach / detach -------------------------------------------------------------------

_lock = SafeLock()


def _resolve(logger: logging.Logger | str | None) -> logging.Logger:
    if logger is None or isinstance(logger, str):
        return logging.getLogger(logger or None)
    return logger


def _attached(logger: logging.Logger) -> _AttachHandler | None:
    for handler in logger.handlers:
        if type(handler) is _AttachHandler:
            return handler
    return None


def attach(
    logger: logging.Logger | str | None = None,
    *,
    trace_context: bool = False,
    redact: Literal["line", "fields"] = "line",
    levels: Mapping[str, int | str | None] | None = None,
    sentry_level: int | str | None = None,
    storm: StormPolicy | Literal["unchanged"] | None = "unchanged",
) -> list[logging.Handler]:
    """Read the API errors of ``logger`` and its children, before any handler does.

    ``logger`` is a ``logging.Logger`` or a name; None is the root logger (every
    logger). errorlens puts one handler first among ``logger``'s handlers; it writes
    nothing, and the handlers, formatters and levels you have stay as they are.
    Handlers added later, on ``logger`` or its ancestors, see the annotated records
    too (handlers of its children run before it: attach the child for those).

    Every API error is recorded once (span event, metrics, Sentry) even when no
    handler writes the line: a library logger with only a ``NullHandler`` included.

    ``api_error_summary``, ``trace_id`` and ``span_id`` work in any format string
    (``%``, ``{}`` or ``$`` style) on every record: a formatter whose format names one
    of them gets defaults for them (``logging.Formatter(defaults=...)``: the summary is
    empty without an API error, the ids are the active span's when printed, empty
    outside a span). Plain records get no attributes, so JSON lines stay as they were.
    Handlers added later to ``logger`` or the root logger are found at their first
    record; a formatter swapped on an existing handler, at the next ``attach()``.
    ``trace_context=True`` puts ``trace_id``/``span_id`` on every record while a span
    is active, so JSON formatters write them on every line (records with an API error
    always carry them).

    ``redact="line"`` (the default) cleans every record of ``logger`` and its children
    the way ``configure()`` cleans its lines: the message with its arguments merged
    (an httpx ``HTTP Request: GET https://...?api_key=...`` line included) and every
    ``extra=`` field; values under secret-named keys become ``[REDACTED]``.
    ``redact="fields"`` keeps the scope of earlier versions: only what errorlens adds
    (``api_error``, the summary) and the message and traceback of records that carry
    an exception.

    Returns the handlers the records reach besides errorlens's, nearest first (an
    empty list means they reach none yet). Calling it again for the same logger
    updates the setting. :func:`detach` undoes it. Never raises.

    ``levels`` and ``sentry_level``: the policy, as :func:`errorlens.configure` takes
    it (one policy for the process: the last one given wins). A record the policy
    lowers reaches the handlers after errorlens's (and Sentry's logging integration)
    at its new level; a dropped one reaches none of them. ``storm``: a
    :class:`errorlens.StormPolicy`, or None to write every line (storms are summarised
    by default).

    .. versionadded:: 0.1.0
    .. versionchanged:: Unreleased
       ``redact``: the whole line is cleaned by default.
    """
    try:
        if levels or sentry_level is not None:
            set_policy(Policy(levels, sentry_level))
        if storm != "unchanged":
            set_storm(storm)
        target = _resolve(logger)
        with _lock:
            existing = _attached(target)
            whole_line = redact != "fields"  # anything else fails closed: the whole line
            if existing is not None:
                existing.trace_context = trace_context
                existing.whole_line = whole_line
                existing._cover_formatters()  # formatters set since, included
            else:
                target.handlers.insert(0, _AttachHandler(target, trace_context, whole_line))
            return [h for h in _handlers_from(target) if not isinstance(h, ReadingHandler)]
    except Exception:
        report_internal("attaching to a logger")
        return []


def detach(logger: logging.Logger | str | None = None) -> None:
    """Undo :func:`attach` for ``logger``: its errorlens handler goes, and the
    formatters it gave the redacting ``formatException`` get their own back.

    Other attached loggers stay attached.

    .. versionadded:: 0.1.0
    """
    try:
        with _lock:
            target = _resolve(logger)
            handler = _attached(target)
            if handler is None:
                return
            target.removeHandler(handler)
            still = _formatters_in_use()
            for formatter in list(handler.wrapped):
                if formatter not in still:
                    _unwrap(formatter)
                    _take_defaults_back(formatter)
    except Exception:
        report_internal("detaching from a logger")


def _formatters_in_use() -> set[logging.Formatter]:
    """Formatters another reading handler (attach()'s, configure()'s) still counts on."""
    found: set[logging.Formatter] = set()
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", ()):
            if isinstance(handler, ReadingHandler):
                found.update(handler.wrapped)
    return found

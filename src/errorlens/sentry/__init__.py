"""Sentry: one enriched, well-grouped event per API error.

Let errorlens start Sentry (it initialises ``sentry_sdk`` only if the application has
not)::

    errorlens.configure(service="checkout", sentry_dsn="https://key@o1.ingest.sentry.io/1")
    # or, without configure():
    errorlens.sentry.setup("https://key@o1.ingest.sentry.io/1", environment="prod")

An application that calls ``sentry_sdk.init`` itself keeps its client and options;
``setup()`` then only adds errorlens's enrichment (a global event processor). An
application that prefers not to call ``setup()`` composes the enrichment into its own
``before_send``::

    sentry_sdk.init(dsn=..., before_send=errorlens.sentry.make_before_send(my_before_send))

Every event that carries an API error gets the tags ``api_error.vendor``,
``api_error.code``, ``api_error.request_id`` and ``http.status_code``, an ``api_error``
context with the whole record (the vendor's ``type`` as ``error_type``: Sentry reserves
``type`` in a context), a fingerprint, and secrets scrubbed from its request data,
messages, frame variables and breadcrumbs. The fingerprint is
``["{{ default }}", vendor, code]`` for events with a stack trace (Sentry's default
grouping of a stack trace ignores the message, so ids in messages do not split issues)
and ``["api_error", call site, vendor, code]`` for message-only events (whose default
grouping is their text).

Each API error becomes exactly one event: when a log line travels through stdlib
logging and Sentry's ``LoggingIntegration`` turns it into an event, errorlens enriches
that event; otherwise :func:`sentry_sink` captures one itself. Errors below the event
level become breadcrumbs.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from errorlens._internal.events import ErrorEvent, add_sink, remove_sink
from errorlens._internal.guard import guarded, internal_logger
from errorlens._internal.scrub import (
    REDACTED,
    is_secret_name,
    redact_query,
    redact_text,
    redact_url,
    redact_values,
)
from errorlens._internal.text import cap
from errorlens.record import ErrorRecord, secret_values

if TYPE_CHECKING:
    from sentry_sdk.client import BaseClient

__all__ = [
    "FingerprintRule",
    "before_send",
    "enrich_event",
    "make_before_send",
    "sentry_sink",
    "setup",
    "teardown",
]

Event = dict[str, Any]
Hint = dict[str, Any]
BeforeSend = Callable[[Event, Hint], "Event | None"]
FingerprintRule = Callable[[ErrorRecord, Event], "list[str] | None"]
"""A custom fingerprint: given the record and the event, the fingerprint or None."""

# Sentry's tag rules: keys up to 32 characters, values up to 200, no newlines.
_TAG_VALUE_MAX = 200
_RECORD_ATTR = "__errorlens_record__"
# Stored under _RECORD_ATTR on an exception that holds no API error: read once.
_NO_RECORD = "none"
_HINT_KEY = "errorlens_record"
_CALL_SITE_KEY = "errorlens_call_site"
# How far apart (seconds) errorlens's sight of a log line and the LogRecord Sentry's
# handler receives may be and still be the same line.
_PENDING_WINDOW = 1.0
_SCRUB_DEPTH = 8
_SCRUB_ITEMS = 200
_INTERNAL_MODULES = ("errorlens", "structlog", "logging", "sentry_sdk")
# HTTP clients and vendor SDKs: their frames' locals hold the request's headers,
# cookies and credentials, so an API error event sends those frames without locals.
# fmt: off
_CLIENT_PACKAGES = frozenset({
    "requests", "urllib3", "urllib", "http", "httpx", "httpcore", "aiohttp", "h11", "h2",
    "botocore", "boto3", "aiobotocore", "google", "azure", "openai", "anthropic", "stripe",
    "twilio", "grpc",
})
# fmt: on


class _Settings:
    def __init__(self) -> None:
        self.enabled = False
        self.processor_installed = False
        self.fingerprint: Any = True
        self.event_level = logging.ERROR
        self.owned_client: Any = None


_settings = _Settings()
_setup_lock = threading.Lock()
_pending = threading.local()


# --- setup -----------------------------------------------------------------------------


def setup(
    dsn: str | None = None,
    *,
    fingerprint: bool | FingerprintRule = True,
    event_level: int = logging.ERROR,
    **options: Any,
) -> None:
    """Send API errors to Sentry, enriched. Idempotent; never raises.

    ``dsn`` and ``options`` go to ``sentry_sdk.init`` only when no Sentry client is
    active yet; an application's own client is kept as it is. ``fingerprint`` is True
    for ``["{{ default }}", vendor, code]``, False to leave grouping alone, or a callable
    ``(record, event) -> list[str] | None``. API errors at ``event_level`` and above
    become events, lower ones breadcrumbs.

    >>> errorlens.sentry.setup("https://key@o1.ingest.sentry.io/1", shutdown_timeout=1)

    .. versionadded:: 0.1.0
    """
    try:
        import sentry_sdk
    except ImportError:
        internal_logger.warning(
            "Sentry was asked for but sentry-sdk is not installed: pip install 'errorlens[sentry]'"
        )
        return
    with guarded("setting up Sentry"), _setup_lock:
        _settings.fingerprint = fingerprint
        _settings.event_level = event_level
        if not _settings.processor_installed:
            from sentry_sdk.scope import add_global_event_processor

            # Global processors cannot be removed: teardown() switches it off instead.
            add_global_event_processor(cast(Any, _event_processor))
            _settings.processor_installed = True
        _settings.enabled = True
        add_sink(sentry_sink)
        if not sentry_sdk.get_client().is_active() and dsn is not None:
            app_before_send = options.pop("before_send", None)
            sentry_sdk.init(
                dsn=dsn,
                # Enrichment also runs here, after the framework integrations' own
                # processors have added request data, so that is scrubbed as well.
                before_send=cast(Any, make_before_send(app_before_send)),
                **options,
            )
            _settings.owned_client = sentry_sdk.get_client()


def teardown() -> None:
    """Undo :func:`setup`: no more capture or enrichment; close a client errorlens started.

    .. versionadded:: 0.1.0
    """
    with guarded("tearing down Sentry"), _setup_lock:
        remove_sink(sentry_sink)
        _settings.enabled = False
        owned = _settings.owned_client
        _settings.owned_client = None
        if owned is not None:
            import sentry_sdk

            if sentry_sdk.get_client() is owned:
                owned.close()
                sentry_sdk.Scope.get_global_scope().set_client(None)


def make_before_send(app_before_send: BeforeSend | None = None) -> BeforeSend:
    """A ``before_send`` that enriches API error events, then calls ``app_before_send``.

    >>> sentry_sdk.init(dsn=..., before_send=errorlens.sentry.make_before_send(mine))

    .. versionadded:: 0.1.0
    """

    def errorlens_before_send(event: Event, hint: Hint) -> Event | None:
        with guarded("enriching a Sentry event"):
            enrich_event(event, hint)
        if app_before_send is None:
            return event
        return app_before_send(event, hint)

    return errorlens_before_send


before_send: BeforeSend = make_before_send()
"""``before_send`` for ``sentry_sdk.init``: enriches events that carry an API error."""


def _event_processor(event: Event, hint: Hint) -> Event:
    if _settings.enabled:
        with guarded("enriching a Sentry event"):
            enrich_event(event, hint)
    return event


# --- the sink: capture what Sentry's logging integration will not ----------------------


def sentry_sink(event: ErrorEvent) -> None:
    """Capture ``event`` once: unless Sentry's logging handler will, for stdlib lines.

    Registered by :func:`setup`; called by errorlens for every API error it sees.
    """
    _pending.event = None
    try:
        import sentry_sdk
    except ImportError:
        return
    client = sentry_sdk.get_client()
    if not client.is_active():
        return
    exc = event.exception
    if exc is not None:
        # Sentry's handler (or a later processor) finds the record here without a
        # second extraction.
        # (Exceptions with read-only attributes: the processor extracts again.)
        with contextlib.suppress(AttributeError, TypeError):
            setattr(exc, _RECORD_ATTR, event.record)
    event_level, breadcrumb_level = (None, None)
    if event.via_stdlib:
        event_level, breadcrumb_level = _logging_integration_levels(client, event.logger_name)
    if event_level is not None and event.level >= event_level:
        # Sentry's LoggingIntegration turns this very line into an event: leave the
        # capture to it and hand the record over to the processor that enriches it.
        _pending.event = event
        _pending.call_site = _call_site()
        _pending.at = time.time()
        return
    if event.level >= _settings.event_level:
        _capture(event, client)
    elif breadcrumb_level is None or event.level < breadcrumb_level:
        _add_breadcrumb(event)


def _logging_integration_levels(
    client: BaseClient, logger_name: str | None
) -> tuple[int | None, int | None]:
    """(event level, breadcrumb level) of Sentry's LoggingIntegration for this logger."""
    from fnmatch import fnmatch

    from sentry_sdk.integrations import logging as sentry_logging

    integration = client.get_integration(sentry_logging.LoggingIntegration)
    if integration is None:
        return None, None
    name = (logger_name or "root").strip()
    ignored = getattr(sentry_logging, "_IGNORED_LOGGERS", ())
    if any(fnmatch(name, pattern) for pattern in ignored):
        return None, None
    handler = getattr(integration, "_handler", None)
    crumbs = getattr(integration, "_breadcrumb_handler", None)
    return (
        handler.level if handler is not None else None,
        crumbs.level if crumbs is not None else None,
    )


def _level_name(level: int) -> str:
    if level >= logging.CRITICAL:
        return "fatal"
    if level >= logging.ERROR:
        return "error"
    if level >= logging.WARNING:
        return "warning"
    if level >= logging.INFO:
        return "info"
    return "debug"


def _capture(event: ErrorEvent, client: BaseClient) -> None:
    import sentry_sdk
    from sentry_sdk.utils import event_from_exception

    record = event.record
    hint: Hint = {_HINT_KEY: record}
    sentry_event: Event
    if event.exc_info is not None:
        raw_event, exc_hint = event_from_exception(
            event.exc_info,
            client_options=client.options,
            mechanism={"type": "errorlens", "handled": True},
        )
        sentry_event = cast(Event, raw_event)
        hint.update(exc_hint)
    else:
        sentry_event = {}
        hint[_CALL_SITE_KEY] = _call_site()
    sentry_event["level"] = _level_name(event.level)
    if event.logger_name:
        sentry_event["logger"] = event.logger_name
    if event.message:  # redacted already
        sentry_event["logentry"] = {"message": event.message, "formatted": event.message}
    elif event.exc_info is None:
        # A fixed text: grouping by message must not split on request ids.
        text = f"API error: {record.vendor or 'unknown vendor'} {_code_of(record)}"
        sentry_event["logentry"] = {"message": text, "formatted": text}
    sentry_sdk.capture_event(cast(Any, sentry_event), hint=hint)


def _add_breadcrumb(event: ErrorEvent) -> None:
    import sentry_sdk

    record = event.record
    # Both clean already (the event's message as errorlens redacted it, the record
    # itself): the scope sends this breadcrumb with later events, enriched or not.
    sentry_sdk.add_breadcrumb(
        type="error" if event.level >= logging.WARNING else "default",
        category=event.logger_name or "errorlens",
        level=_level_name(event.level),
        message=event.message or record.summary(),
        data={"api_error": _context_of(record)},
    )


def _call_site() -> str | None:
    """``module.function`` of the application frame that logged, for grouping."""
    frame = sys._getframe(1)
    for _ in range(64):
        if frame is None:
            return None
        module = str(frame.f_globals.get("__name__", ""))
        if module.split(".", 1)[0] not in _INTERNAL_MODULES:
            return f"{module}.{frame.f_code.co_name}"
        frame = frame.f_back  # type: ignore[assignment]
    return None


# --- enrichment ------------------------------------------------------------------------


def enrich_event(event: Event, hint: Hint) -> bool:
    """Add tags, context and fingerprint to ``event`` if it carries an API error.

    Also scrubs secrets from the event. Returns True when ``event`` carries an API
    error. Idempotent: an event already enriched is left as it is.

    .. versionadded:: 0.1.0
    """
    if not isinstance(event, dict) or event.get("type") in ("transaction", "check_in"):
        return False
    contexts = event.get("contexts")
    if isinstance(contexts, dict) and "api_error" in contexts:
        # A second pass (before_send after the processor): scrub what the framework
        # integrations' processors added since, the request data.
        _scrub_request(event.get("request"))
        return True
    found = _record_for(hint if isinstance(hint, dict) else {})
    if found is None:
        return False
    record, call_site, exc_info = found
    try:
        if exc_info is not None and not (event.get("exception") or event.get("threads")):
            # A structlog line rendered before it reached stdlib logging has lost its
            # exception on the way: give Sentry's event the stack trace back.
            _attach_exception(event, exc_info)
        _add_tags(event, record)
        if not isinstance(contexts, dict):
            contexts = event["contexts"] = {}
        contexts["api_error"] = _context_of(record)
        if event.get("fingerprint") is None:
            fingerprint = _fingerprint(record, event, call_site)
            if fingerprint:
                event["fingerprint"] = fingerprint
    finally:
        # Whatever failed above, the event leaves without secrets.
        _scrub_event(event, secret_values(record))
    return True


_Found = tuple[ErrorRecord, "str | None", "tuple[Any, Any, Any] | None"]


def _record_for(hint: Hint) -> _Found | None:
    """The record of the event's API error, where it was logged, and an exception to add."""
    record = hint.get(_HINT_KEY)
    if isinstance(record, ErrorRecord):
        return record, _as_str(hint.get(_CALL_SITE_KEY)), None
    log_record = hint.get("log_record")
    pending = _take_pending(log_record)
    exc_info = hint.get("exc_info")
    exc = exc_info[1] if isinstance(exc_info, tuple) and len(exc_info) == 3 else None
    if isinstance(exc, BaseException):
        stashed = getattr(exc, _RECORD_ATTR, None)
        if isinstance(stashed, ErrorRecord):
            return stashed, None, None
        if pending is not None and pending[0].exception is exc:
            return pending[0].record, None, None
        if stashed != _NO_RECORD:
            from errorlens._internal.reader.extract import extract

            found = extract(exc)
            # The processor and before_send both ask: the exception is read once.
            with contextlib.suppress(AttributeError, TypeError):
                setattr(exc, _RECORD_ATTR, found if found is not None else _NO_RECORD)
            if found is not None:
                return found, None, None
    if pending is not None:
        seen, site = pending
        return seen.record, site or _log_record_site(log_record), seen.exc_info
    if isinstance(log_record, logging.LogRecord):
        carried = _record_on_log_record(log_record)
        if carried is not None:
            return carried, _log_record_site(log_record), None
    return None


def _attach_exception(event: Event, exc_info: tuple[Any, Any, Any]) -> None:
    import sentry_sdk
    from sentry_sdk.utils import event_from_exception

    with guarded("adding an exception to a Sentry event"):
        built, _ = event_from_exception(
            exc_info,
            client_options=sentry_sdk.get_client().options,
            mechanism={"type": "logging", "handled": True},
        )
        event["exception"] = built["exception"]


def _take_pending(log_record: Any) -> tuple[ErrorEvent, str | None] | None:
    """The event the sink left for this LogRecord, if it is the same log line."""
    event = getattr(_pending, "event", None)
    if event is None or not isinstance(log_record, logging.LogRecord):
        return None
    _pending.event = None
    if abs(log_record.created - getattr(_pending, "at", 0.0)) > _PENDING_WINDOW:
        return None
    if log_record.levelno != event.level:
        return None
    if event.logger_name is not None and log_record.name != event.logger_name:
        return None
    if event.message and not _same_text(event.message, log_record):
        return None
    return event, getattr(_pending, "call_site", None)


def _same_text(message: str, log_record: logging.LogRecord) -> bool:
    """Whether the LogRecord's text holds ``message`` (as is, or rendered into JSON)."""
    try:
        text = log_record.getMessage()
    except Exception:
        text = str(log_record.msg)
    if message in text:  # the message errorlens saw is already redacted, as is the line
        return True
    escaped = json.dumps(message, ensure_ascii=False)[1:-1]
    return escaped in text or json.dumps(message)[1:-1] in text


def _record_on_log_record(log_record: logging.LogRecord) -> ErrorRecord | None:
    from errorlens.otel import _record_from_dict

    value = getattr(log_record, "api_error", None)
    if isinstance(value, ErrorRecord):
        return value
    if isinstance(value, Mapping):
        # A mapping may come from the application's ``extra=``, not from errorlens.
        scrubbed = _scrub(value, 0)
        return _record_from_dict(scrubbed) if isinstance(scrubbed, dict) else None
    return None


def _log_record_site(log_record: Any) -> str | None:
    if not isinstance(log_record, logging.LogRecord):
        return None
    module = str(getattr(log_record, "module", "") or "")
    if module.split(".", 1)[0] in _INTERNAL_MODULES or log_record.pathname.find("structlog") >= 0:
        return log_record.name
    return f"{log_record.name}:{module}.{log_record.funcName}"


def _as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _code_of(record: ErrorRecord) -> str:
    from errorlens.otel import _code_or_status

    return _code_or_status(record) or "unknown"


def _tag_value(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return cap(text, _TAG_VALUE_MAX, "...") if text else None


def _add_tags(event: Event, record: ErrorRecord) -> None:
    tags = event.get("tags")
    if not isinstance(tags, dict):
        tags = event["tags"] = {}
    for key, value in (
        ("api_error.vendor", record.vendor),
        ("api_error.code", record.code),
        ("api_error.request_id", record.request_id),
        ("http.status_code", record.status),
    ):
        text = _tag_value(value)
        if text is not None:
            tags[key] = text


def _context_of(record: ErrorRecord) -> dict[str, Any]:
    data = record.as_dict()  # clean already: the record redacts itself
    # In a Sentry context ``type`` names the kind of context (``os``, ``trace``): the
    # vendor's category must not take that place.
    if "type" in data:
        data["error_type"] = data.pop("type")
    return data


def _fingerprint(record: ErrorRecord, event: Event, call_site: str | None) -> list[str] | None:
    rule = _settings.fingerprint
    if rule is False:
        return None
    if callable(rule):
        # The application's code: when it fails, the event keeps its default grouping.
        with guarded("running a custom Sentry fingerprint rule"):
            custom = rule(record, event)
            return [str(part) for part in custom] if custom else None
        return None
    vendor = record.vendor or "unknown"
    code = _code_of(record)
    if event.get("exception") or event.get("threads") or event.get("stacktrace"):
        # Sentry's default grouping of a stack trace ignores the message text.
        return ["{{ default }}", vendor, code]
    # A message event is grouped by its text by default, and texts carry request ids:
    # group by where it was logged instead.
    where = call_site or str(event.get("logger") or "")
    return ["api_error", where, vendor, code]


# --- redaction -------------------------------------------------------------------------


def _scrub(value: Any, depth: int) -> Any:
    """A copy of ``value`` with secret-named entries and token text redacted.

    Builds new containers: the objects Sentry reads (frame locals) stay untouched.
    """
    if isinstance(value, str):
        return redact_text(value)
    if depth > _SCRUB_DEPTH:
        return value if isinstance(value, int | float | bool) or value is None else REDACTED
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if index >= _SCRUB_ITEMS:
                break
            name = str(key)
            out[name] = REDACTED if is_secret_name(name) and item else _scrub(item, depth + 1)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(item, depth + 1) for index, item in enumerate(value) if index < _SCRUB_ITEMS]
    if isinstance(value, bytes | bytearray):
        return redact_text(bytes(value[:4096]).decode("utf-8", "replace"))
    if value is None or isinstance(value, int | float | bool):
        return value
    # Sentry shows other objects by their repr (an exception's holds its url): replace
    # the object by its redacted repr only when that repr held a secret.
    try:
        shown = repr(value)
    except Exception:
        return value  # Sentry's own safe_repr copes with it
    cleaned = redact_text(shown)
    return cleaned if cleaned != shown else value


def _scrub_text_field(container: Any, key: str, secrets: tuple[str, ...] = ()) -> None:
    if isinstance(container, dict) and isinstance(container.get(key), str):
        container[key] = redact_values(redact_text(container[key]), secrets)


def _scrub_event(event: Event, secrets: tuple[str, ...]) -> None:
    """Remove credentials from the parts of ``event`` that may hold them.

    ``secrets``: values the record's details held, also removed from the event's texts.
    """
    _scrub_text_field(event, "message", secrets)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        _scrub_text_field(logentry, "message", secrets)
        _scrub_text_field(logentry, "formatted", secrets)
        params = logentry.get("params")
        if isinstance(params, list | tuple | Mapping):
            logentry["params"] = _scrub(params, 0)
    for section in ("exception", "threads"):
        block = event.get(section)
        values = block.get("values") if isinstance(block, dict) else None
        if isinstance(values, list):
            for entry in values:
                if isinstance(entry, dict):
                    _scrub_text_field(entry, "value", secrets)
                    _scrub_frames(entry.get("stacktrace"))
    _scrub_frames(event.get("stacktrace"))
    _scrub_request(event.get("request"))
    extra = event.get("extra")
    if isinstance(extra, Mapping):
        event["extra"] = _scrub(extra, 0)
    crumbs = event.get("breadcrumbs")
    if isinstance(crumbs, dict) and isinstance(crumbs.get("values"), list):
        crumbs["values"] = [_clean_breadcrumb(c) for c in crumbs["values"]]


def _scrub_frames(stacktrace: Any) -> None:
    frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
    if not isinstance(frames, list):
        return
    for frame in frames:
        variables = frame.get("vars") if isinstance(frame, dict) else None
        if not isinstance(variables, dict):
            continue
        module = frame.get("module")
        if isinstance(module, str) and module.split(".", 1)[0] in _CLIENT_PACKAGES:
            del frame["vars"]
            continue
        clean: dict[str, Any] = {}
        for name, value in variables.items():
            try:
                clean[name] = REDACTED if is_secret_name(str(name)) else _scrub(value, 0)
            except Exception:
                # A local whose mapping protocol raises is dropped, not sent raw.
                clean[name] = REDACTED
        frame["vars"] = clean


def _scrub_request(request: Any) -> None:
    if not isinstance(request, dict):
        return
    headers = request.get("headers")
    if isinstance(headers, Mapping):
        request["headers"] = {
            str(k): REDACTED if is_secret_name(str(k)) else _scrub(v, 1) for k, v in headers.items()
        }
    if request.get("cookies"):
        request["cookies"] = _redact_cookies(request["cookies"])
    if isinstance(request.get("url"), str):
        request["url"] = redact_url(request["url"])
    query = request.get("query_string")
    if isinstance(query, str) and query:
        request["query_string"] = _scrub_query(query)
    if "data" in request:
        request["data"] = _scrub(request["data"], 0)


def _redact_cookies(cookies: Any) -> Any:
    """Cookie names kept (Sentry's accepted shapes), every value redacted."""
    if isinstance(cookies, Mapping):
        return {str(name): REDACTED for name in cookies}
    if isinstance(cookies, str):
        names = (part.split("=", 1)[0].strip() for part in cookies.split(";"))
        return {name: REDACTED for name in names if name}
    if isinstance(cookies, list | tuple):
        return {
            str(pair[0]): REDACTED for pair in cookies if isinstance(pair, list | tuple) and pair
        }
    return {}


def _scrub_query(query: str) -> str:
    return redact_text(redact_query(query))


# The scope hands the same breadcrumb objects to every event: each is cleaned once.
# Keyed by id(); the entry keeps the original alive so its id is not reused meanwhile.
_clean_crumbs: dict[int, tuple[Any, Any]] = {}
_CLEAN_CRUMBS_MAX = 512


def _clean_breadcrumb(crumb: Any) -> Any:
    key = id(crumb)
    cached = _clean_crumbs.get(key)
    if cached is not None and cached[0] is crumb:
        return cached[1]
    clean = _scrub_breadcrumb(crumb)
    if len(_clean_crumbs) >= _CLEAN_CRUMBS_MAX:
        with contextlib.suppress(StopIteration, KeyError, RuntimeError):
            _clean_crumbs.pop(next(iter(_clean_crumbs)))
    _clean_crumbs[key] = (crumb, clean)
    return clean


def _scrub_breadcrumb(crumb: Any) -> Any:
    if not isinstance(crumb, dict):
        return crumb
    clean = dict(crumb)  # the scope keeps its own copy for later events
    _scrub_text_field(clean, "message")
    if isinstance(clean.get("data"), Mapping):
        clean["data"] = _scrub(clean["data"], 0)
        for key in ("url", "http.query"):
            value = clean["data"].get(key)
            if isinstance(value, str):
                clean["data"][key] = redact_url(value) if key == "url" else _scrub_query(value)
    return clean

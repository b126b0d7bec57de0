"""Enrichment: tags, the ``api_error`` context and a fingerprint on API error events."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from typing import Any

from errorlens._internal.events import ExcInfo, record_of_exception, recorded
from errorlens._internal.guard import guarded, internal_logger
from errorlens._internal.observe import (
    API_ERROR_KEY,
    OBSERVED_KEY,
    Observation,
    current_trace_ids,
)
from errorlens._internal.policy import current as current_policy
from errorlens._internal.records import code_or_status, record_from_mapping
from errorlens._internal.scrub import redact_structure
from errorlens._internal.text import cap
from errorlens.record import ErrorRecord, secret_values
from errorlens.sentry.options import FingerprintRule, Options
from errorlens.sentry.scrub import Event, scrub_event, scrub_request

__all__ = [
    "below_policy",
    "CALL_SITE_KEY",
    "HINT_KEY",
    "INTERNAL_MODULES",
    "call_site",
    "context_of",
    "enrich_event",
    "link_trace",
]

INTERNAL_MODULES = ("errorlens", "structlog", "logging", "sentry_sdk")

Hint = dict[str, Any]
# The hint errorlens's own captures carry: the record, and where it was logged.
HINT_KEY = "errorlens_record"
CALL_SITE_KEY = "errorlens_call_site"
# Sentry's tag rules: keys up to 32 characters, values up to 200, no newlines.
_TAG_VALUE_MAX = 200


def enrich_event(event: Event, hint: Hint, options: Options | None = None) -> bool:
    """Add tags, context and fingerprint to ``event`` if it carries an API error.

    Also scrubs secrets from the event. Returns True when ``event`` carries an API
    error. Idempotent: an event already enriched is left as it is. ``options``: the
    integration's (fingerprint rule); the defaults without.

    .. versionadded:: 0.1.0
    """
    if not isinstance(event, dict) or event.get("type") in ("transaction", "check_in"):
        return False
    with guarded("linking a Sentry event to the OpenTelemetry trace"):
        link_trace(event)
    contexts = event.get("contexts")
    if isinstance(contexts, dict) and "api_error" in contexts:
        # A second pass (before_send after the processor): scrub what the framework
        # integrations' processors added since, the request data.
        scrub_request(event.get("request"))
        return True
    found = None
    try:
        found = _record_for(hint if isinstance(hint, dict) else {})
    finally:
        if found is None:
            # Not an API error: it leaves without secrets all the same.
            scrub_event(event, ())
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
        contexts["api_error"] = context_of(record)
        _drop_copies(event)
        if event.get("fingerprint") is None:
            fingerprint = _fingerprint(record, event, call_site, options or _DEFAULTS)
            if fingerprint:
                event["fingerprint"] = fingerprint
    finally:
        # Whatever failed above, the event leaves without secrets.
        scrub_event(event, secret_values(record))
    return True


def below_policy(hint: Hint, integration_level: int) -> bool:
    """Whether an event Sentry's logging integration made is of an API error line the
    policy puts below the Sentry level (lowered, or dropped)."""
    log_record = hint.get("log_record")
    if not isinstance(log_record, logging.LogRecord):
        return False
    found = _record_for(hint)
    if found is None:
        return False  # not an API error: the policy does not apply
    level = current_policy().level_for(found[0], log_record.levelno)
    return level < current_policy().sentry_threshold(integration_level)


def link_trace(event: Event) -> None:
    """Make the event's trace context the active OpenTelemetry span's, if any.

    Sentry's trace view then finds the same trace as the log lines (their
    ``trace_id``) and the span events. Sentry's own parent span id belongs to its
    own trace: it goes with it.
    """
    ids = current_trace_ids()
    if ids is None:
        return
    contexts = event.get("contexts")
    if not isinstance(contexts, dict):
        contexts = event["contexts"] = {}
    trace = contexts.get("trace")
    trace = dict(trace) if isinstance(trace, dict) else {}
    if trace.get("trace_id") != ids[0]:
        trace.pop("parent_span_id", None)
    trace["trace_id"], trace["span_id"] = ids
    contexts["trace"] = trace


_Found = tuple[ErrorRecord, "str | None", "ExcInfo | None"]
_DEFAULTS = Options()


def _record_for(hint: Hint) -> _Found | None:
    """The record of the event's API error, where it was logged, and an exception to add.

    Found through the hint alone: errorlens's own capture names its record; Sentry's
    logging integration gives the exception (marked by errorlens's hub when it was
    recorded) and the log record (annotated by errorlens's handler or filter).
    """
    record = hint.get(HINT_KEY)
    if isinstance(record, ErrorRecord):
        return record, _as_str(hint.get(CALL_SITE_KEY)), None
    exc_info = hint.get("exc_info")
    exc = exc_info[1] if isinstance(exc_info, tuple) and len(exc_info) == 3 else None
    if isinstance(exc, BaseException):
        found = _record_of_exception(exc)
        if found is not None:
            return found, None, None
    log_record = hint.get("log_record")
    if isinstance(log_record, logging.LogRecord):
        return _record_of_log_record(log_record)
    return None


def _record_of_log_record(log_record: logging.LogRecord) -> _Found | None:
    site = _log_record_site(log_record)
    observed = log_record.__dict__.get(OBSERVED_KEY)
    if isinstance(observed, Observation):
        return observed.record, site, None
    carried = _record_on_log_record(log_record)
    if carried is not None:
        return carried, site, None
    rendered = _record_in_text(log_record)
    if rendered is None:
        return None
    # A structlog line rendered to text before it reached stdlib logging: the
    # exception being handled, if errorlens recorded it with these very facts.
    current = sys.exc_info()
    exc = current[1]
    known = recorded(exc) if exc is not None else None
    if known is not None and _same_error(known, rendered):
        return known, site, current  # type: ignore[return-value]
    return rendered, site, None


def _same_error(a: ErrorRecord, b: ErrorRecord) -> bool:
    return (a.vendor, a.status, a.code, a.request_id) == (b.vendor, b.status, b.code, b.request_id)


def _record_in_text(log_record: logging.LogRecord) -> ErrorRecord | None:
    """The ``api_error`` of a JSON line a structlog chain rendered before logging it."""
    text = log_record.msg
    if not isinstance(text, str) or f'"{API_ERROR_KEY}"' not in text:
        return None
    text = text.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text).get(API_ERROR_KEY)
    except (ValueError, AttributeError):
        return None
    if not isinstance(value, Mapping):
        return None
    scrubbed = redact_structure(value, [])
    return record_from_mapping(scrubbed) if isinstance(scrubbed, Mapping) else None


# Where the record also lands in Sentry's own event, besides the context: the log
# record's attributes, copied into ``extra``.
_COPIES = (API_ERROR_KEY, "api_errors", "api_error_summary")


def _drop_copies(event: Event) -> None:
    extra = event.get("extra")
    if isinstance(extra, dict):
        for key in _COPIES:
            extra.pop(key, None)


def _record_of_exception(exc: BaseException) -> ErrorRecord | None:
    """The record errorlens recorded ``exc`` with, else read now (once per exception:
    the processor and before_send both ask)."""
    return record_of_exception(exc)


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


def _record_on_log_record(log_record: logging.LogRecord) -> ErrorRecord | None:
    value = getattr(log_record, "api_error", None)
    if isinstance(value, ErrorRecord):
        return value
    if isinstance(value, Mapping):
        # A mapping may come from the application's ``extra=``, not from errorlens.
        scrubbed = redact_structure(value, [])
        return record_from_mapping(scrubbed) if isinstance(scrubbed, Mapping) else None
    return None


def _log_record_site(log_record: Any) -> str | None:
    if not isinstance(log_record, logging.LogRecord):
        return None
    module = str(getattr(log_record, "module", "") or "")
    if module.split(".", 1)[0] in INTERNAL_MODULES or log_record.pathname.find("structlog") >= 0:
        # Logged through structlog: Sentry's handler runs inside that logging call, so
        # the application's frame is on the stack still.
        return call_site() or log_record.name
    return f"{log_record.name}:{module}.{log_record.funcName}"


def _as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _code_of(record: ErrorRecord) -> str:
    return code_or_status(record) or "unknown"


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


def context_of(record: ErrorRecord) -> dict[str, Any]:
    data = record.as_dict()  # clean already: the record redacts itself
    # In a Sentry context ``type`` names the kind of context (``os``, ``trace``): the
    # vendor's category must not take that place.
    if "type" in data:
        data["error_type"] = data.pop("type")
    return data


def _fingerprint(
    record: ErrorRecord, event: Event, call_site: str | None, options: Options
) -> list[str] | None:
    rule = options.fingerprint
    if rule is False:
        return None
    if callable(rule):
        return _custom_fingerprint(rule, record, event, options)
    vendor = record.vendor or "unknown"
    code = _code_of(record)
    if event.get("exception") or event.get("threads") or event.get("stacktrace"):
        # Sentry's default grouping of a stack trace ignores the message text.
        return ["{{ default }}", vendor, code]
    # A message event is grouped by its text by default, and texts carry request ids:
    # group by where it was logged instead.
    where = call_site or str(event.get("logger") or "")
    return ["api_error", where, vendor, code]


def _custom_fingerprint(
    rule: FingerprintRule, record: ErrorRecord, event: Event, options: Options
) -> list[str] | None:
    # The application's code, not errorlens's: when it fails, the event keeps its
    # default grouping and the application hears of it once.
    try:
        custom = rule(record, event)
        return [str(part) for part in custom] if custom else None
    except Exception:
        if not options.rule_failed:
            options.rule_failed = True
            internal_logger.warning("a custom Sentry fingerprint rule failed", exc_info=True)
        return None


def call_site() -> str | None:
    """``module.function`` of the application frame that logged, for grouping."""
    frame = sys._getframe(1)
    for _ in range(64):
        if frame is None:
            return None
        module = str(frame.f_globals.get("__name__", ""))
        if module.split(".", 1)[0] not in INTERNAL_MODULES:
            return f"{module}.{frame.f_code.co_name}"
        frame = frame.f_back  # type: ignore[assignment]
    return None

"""structlog processors: the ``api_error`` facts, trace context, and no secrets out.

Add errorlens to a structlog chain you already have::

    import structlog
    from errorlens import processors as el

    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            el.add_trace_context,        # trace_id / span_id on every line
            el.add_api_error,            # api_error on lines that carry an API error
            el.format_exc_info,          # structlog's, with the redacted cached traceback
            el.redact,                   # no credentials in any field
            structlog.processors.JSONRenderer(),
        ]
    )

    try:
        client.charge(...)
    except Exception:
        log.exception("charge failed")  # -> {"event": "charge failed", "api_error": {...}}

A line carries an API error when it has ``exc_info`` (``log.exception``,
``exc_info=True``, an exception) or an ``error=`` field holding an exception, a
response object or an :class:`~errorlens.ErrorRecord`. Strings and plain dicts under
``error`` are ordinary fields and are left alone.

Every processor here is stateless, tolerates any position in the chain (it reads
``exc_info`` and never pops it, except :func:`format_exc_info` whose job that is) and
never raises into the application.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, MutableMapping
from typing import Any

import structlog

from errorlens._internal.events import exc_info_of, format_traceback
from errorlens._internal.guard import in_errorlens, report_internal
from errorlens._internal.observe import (
    API_ERROR_KEY,
    given_record,
    is_error_source,
    last_clean,
    observe,
    put_trace_ids,
    short_error_text,
)
from errorlens._internal.policy import DROP, level_name
from errorlens._internal.scrub import (
    REDACTED,
    is_plain_key,
    might_hold_secret,
    redact_structure,
    redact_values_in,
)
from errorlens._internal.state import STATE

__all__ = [
    "ApiErrorProcessor",
    "add_api_error",
    "add_trace_context",
    "format_exc_info",
    "redact",
    "structlog_processor",
]

EventDict = MutableMapping[str, Any]
Processor = Callable[[Any, str, EventDict], EventDict]

_LEVELS = {
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
    "exception": logging.ERROR,
    "error": logging.ERROR,
    "err": logging.ERROR,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "msg": logging.INFO,
    "debug": logging.DEBUG,
}


def add_trace_context(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add ``trace_id`` and ``span_id`` (lowercase hex) when an OpenTelemetry span is active.

    Keys the event already has are kept. Costs one context lookup when no span is active.

    .. versionadded:: 0.1.0
    """
    put_trace_ids(event_dict)
    return event_dict


# -- the processors ------------------------------------------------------------------


def add_api_error(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add ``api_error`` (the nested record) to events that carry an API error.

        structlog.configure(processors=[..., add_api_error, ..., JSONRenderer()])

    Put it anywhere before the renderer: it reads ``exc_info`` without popping it, so
    ``format_exc_info``, Sentry's processors and the renderer still see the exception;
    placed after ``format_exc_info`` it still finds the exception being handled. It
    also sends the error to the current span, the metrics and Sentry (one
    :class:`~errorlens.ErrorEvent` per line), redacts the event's message of what it
    found, and adds ``trace_id``/``span_id`` when a span is active. When structlog
    wraps a stdlib logger, Sentry leaves the capture to its ``LoggingIntegration``.

    An event without ``exc_info``, ``error`` or ``exception`` costs three dict lookups.

    .. versionadded:: 0.1.0
    """
    if (
        "exc_info" in event_dict
        or "error" in event_dict
        or "exception" in event_dict
        or API_ERROR_KEY in event_dict
    ) and not in_errorlens():
        try:
            _annotate(logger, method_name, event_dict)
        except Exception:
            report_internal("adding api_error to a structlog event")
    return event_dict


_NOTHING = object()


def _source_of(event_dict: EventDict) -> Any:
    """What the line names as its API error: a record it was given as ``api_error`` (the
    aiohttp pattern, recorded as it stands), else an ``error`` field; ``_NOTHING`` when
    its ``api_error`` is errorlens's own (recorded already)."""
    if API_ERROR_KEY in event_dict:
        given = given_record(event_dict[API_ERROR_KEY])
        return _NOTHING if given is None else given
    error = event_dict.get("error")
    return error if is_error_source(error) else None


def _annotate(logger: Any, method_name: str, event_dict: EventDict) -> None:
    exc_info = exc_info_of(event_dict.get("exc_info"))
    if exc_info is None and "exception" in event_dict:
        # After format_exc_info: the exception text is rendered, but we are still
        # inside the ``except`` block that logged it.
        current = sys.exc_info()
        if current[1] is not None:
            exc_info = current
    source = _source_of(event_dict)
    if source is _NOTHING or (source is None and exc_info is None):
        return
    name = event_dict.get("logger")
    if not isinstance(name, str):
        name = getattr(logger, "name", None)
    event = event_dict.get("event")
    observed = observe(
        source,
        exc_info,
        level=_LEVELS.get(method_name, logging.ERROR),
        logger_name=name if isinstance(name, str) else None,
        message=event,
        # A structlog chain over a stdlib logger hands the line on to its handlers.
        via_stdlib=isinstance(logger, logging.Logger),
    )
    if observed is None:
        return
    _apply_level(event_dict, observed.level)
    event_dict.update(observed.fields)
    if source is not None and source is event_dict.get("error"):
        # The facts are in api_error now: no repr of the response or record beside it.
        short = short_error_text(source)
        if short is None:
            del event_dict["error"]
        else:
            event_dict["error"] = short
    if observed.message is not None and observed.message != event:
        event_dict["event"] = observed.message
    put_trace_ids(event_dict)


def _apply_level(event_dict: EventDict, level: int | None) -> None:
    if level == DROP:
        # The policy drops the line: the metrics counted it, Sentry gets nothing.
        raise structlog.DropEvent
    if level is not None and "level" in event_dict:
        event_dict["level"] = level_name(level)


class ApiErrorProcessor:
    """:func:`add_api_error` as a class, for chains built from processor instances.

        structlog.configure(processors=[..., ApiErrorProcessor(), ..., JSONRenderer()])

    .. versionadded:: 0.1.0
    """

    __slots__ = ()

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        return add_api_error(logger, method_name, event_dict)

    def __repr__(self) -> str:
        return "ApiErrorProcessor()"


def structlog_processor() -> Processor:
    """The processor that adds ``api_error`` to your own structlog chain.

        structlog.configure(processors=[..., errorlens.structlog_processor(), renderer])

    The same as :func:`add_api_error`, under the name the docs use.

    .. versionadded:: 0.1.0
    """
    return add_api_error


def format_exc_info(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Drop-in for ``structlog.processors.format_exc_info``: redacted, formatted once.

    Replaces ``exc_info`` by ``exception``, the traceback text that errorlens formats
    once per exception (credentials redacted) and shares with spans and Sentry.

    .. versionadded:: 0.1.0
    """
    exc_info = exc_info_of(event_dict.pop("exc_info", None))
    if exc_info is not None:
        event_dict["exception"] = last_clean.exception = format_traceback(exc_info)
    return event_dict


_SCALARS = (int, float, bool, type(None))
# Fields that logging itself fills in: never a secret, not worth a scan.
_PLAIN_KEYS = frozenset({"timestamp", "level", "logger", "logger_name", "trace_id", "span_id"})


def redact(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Keep credentials out of every field of the event: put it just before the renderer.

    Values under secret-named keys (``password``, ``token``, ``api_key``,
    ``authorization``, ``cookie``...) become ``[REDACTED]`` and are also removed from
    the other fields; text loses known token formats (``sk-...``, ``Bearer ...``, JWTs,
    AWS/GitHub/Slack keys...), secret-named assignments (``api_key=...``,
    ``password: ...``), url credentials and secret query values, and what
    :func:`errorlens.add_redaction_pattern` added. Lines with nothing suspicious cost one
    scan of their text.

    .. versionadded:: 0.1.0
    """
    try:
        clean = last_clean
        if _nothing_to_redact(event_dict, clean.exception, clean.api_error):
            return event_dict
        return _redacted(event_dict)
    except Exception:
        report_internal("redacting a log event")
    # Fail closed: the line goes out with its plain fields and nothing else.
    return {
        key: value
        if key in _PLAIN_KEYS or value is None or isinstance(value, _SCALARS)
        else REDACTED
        for key, value in event_dict.items()
    }


def _nothing_to_redact(
    event_dict: EventDict, clean_text: object = None, clean_api_error: object = None
) -> bool:
    """True for events of scalars and plain text, no secret-named key and no trigger.

    ``clean_text`` (the traceback errorlens formatted) and ``clean_api_error`` (the
    ``api_error`` it built for this line) are not scanned: a line that holds nothing
    else to redact is judged in one pass. Runs on every line: keys judged plain once
    are remembered, texts are judged by a cached scan.
    """
    plain_keys = STATE.plain_keys
    for key, value in event_dict.items():
        if key not in plain_keys and not is_plain_key(key):
            return False
        if value is clean_api_error and key == API_ERROR_KEY:
            continue
        kind = type(value)
        if kind is str:
            if value is not clean_text and key not in _PLAIN_KEYS and might_hold_secret(value):
                return False
        elif value is not None and kind is not int and kind is not float and kind is not bool:
            return False
    return True


def _redacted(event_dict: EventDict) -> EventDict:
    # The api_error and the traceback errorlens produced for this line are clean: set
    # aside, they only lose the secrets found in the other fields.
    clean = last_clean
    aside: dict[str, Any] = {}
    rest: EventDict = {}
    for key, value in event_dict.items():
        if (key == API_ERROR_KEY and value is clean.api_error) or (
            key == "exception" and value is clean.exception
        ):
            aside[key] = value
        else:
            rest[key] = value
    if not aside:
        cleaned: EventDict = redact_structure(event_dict, [])
        return cleaned
    if _nothing_to_redact(rest):
        return event_dict
    secrets: list[str] = []
    cleaned = redact_structure(rest, secrets)
    if cleaned is rest and not secrets:
        return event_dict
    return {
        key: redact_values_in(aside[key], secrets) if key in aside else cleaned[key]
        for key in event_dict
    }

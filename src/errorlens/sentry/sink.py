"""The Sentry sink: one event per API error, unless Sentry's logging integration makes it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from errorlens._internal.events import ErrorEvent
from errorlens._internal.records import code_or_status
from errorlens.sentry import pairing
from errorlens.sentry.enrich import CALL_SITE_KEY, HINT_KEY, context_of
from errorlens.sentry.options import settings

if TYPE_CHECKING:
    from sentry_sdk.client import BaseClient

__all__ = ["sentry_sink"]

Event = dict[str, Any]
Hint = dict[str, Any]


def sentry_sink(event: ErrorEvent) -> None:
    """Capture ``event`` once: unless Sentry's logging handler will, for stdlib lines.

    Registered by :func:`setup`; called by errorlens for every API error it sees.
    """
    pairing.leave(None)
    try:
        import sentry_sdk
    except ImportError:
        return
    client = sentry_sdk.get_client()
    if not client.is_active():
        return
    event_level, breadcrumb_level = (None, None)
    if event.via_stdlib:
        event_level, breadcrumb_level = _logging_integration_levels(client, event.logger_name)
    if event_level is not None and event.level >= event_level:
        # Sentry's LoggingIntegration turns this very line into an event: leave the
        # capture to it and hand the record over to the processor that enriches it.
        pairing.leave(event)
        return
    if event.level >= settings.event_level:
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
    hint: Hint = {HINT_KEY: record}
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
        hint[CALL_SITE_KEY] = pairing.call_site()
    sentry_event["level"] = _level_name(event.level)
    if event.logger_name:
        sentry_event["logger"] = event.logger_name
    if event.message:  # redacted already
        sentry_event["logentry"] = {"message": event.message, "formatted": event.message}
    elif event.exc_info is None:
        # A fixed text: grouping by message must not split on request ids.
        text = (
            f"API error: {record.vendor or 'unknown vendor'} {code_or_status(record) or 'unknown'}"
        )
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
        data={"api_error": context_of(record)},
    )

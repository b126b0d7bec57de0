"""The Sentry sink: one event per API error, unless Sentry's logging integration makes it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from errorlens._internal.events import ErrorEvent
from errorlens._internal.observe import clean_summary
from errorlens._internal.records import code_or_status
from errorlens.sentry.enrich import CALL_SITE_KEY, HINT_KEY, call_site
from errorlens.sentry.options import active_options

if TYPE_CHECKING:
    from sentry_sdk.client import BaseClient

__all__ = ["sentry_sink"]

Event = dict[str, Any]
Hint = dict[str, Any]


def sentry_sink(event: ErrorEvent) -> None:
    """Send ``event`` to Sentry once, unless Sentry's logging integration does.

    Registered when the integration is installed; called by errorlens for every API
    error it sees.
    """
    try:
        import sentry_sdk
    except ImportError:
        return
    client = sentry_sdk.get_client()
    options = active_options(client)
    if options is None:
        return
    if event.via_stdlib and _logs_reach_sentry(client):
        # Sentry's LoggingIntegration turns this very log record into an event or a
        # breadcrumb, as its levels say; the enrichment finds the record through the
        # event's hint.
        return
    captured = event.captured
    if captured is not None and captured.level >= options.event_level:
        return  # client capture sent this error as an event already
    if event.level >= options.event_level:
        _capture(event, client)
    else:
        _add_breadcrumb(event)


def _logs_reach_sentry(client: BaseClient) -> bool:
    from sentry_sdk.integrations.logging import LoggingIntegration

    return client.get_integration(LoggingIntegration) is not None


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
        hint[CALL_SITE_KEY] = call_site()
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

    summary = clean_summary(event.record)
    # Both clean already (the event's message as errorlens redacted it, the record
    # itself). A one-line summary: the scope sends this breadcrumb with later events.
    sentry_sdk.add_breadcrumb(
        type="error" if event.level >= logging.WARNING else "default",
        category=event.logger_name or "errorlens",
        level=_level_name(event.level),
        message=event.message or summary,
        data={"api_error": summary},
    )

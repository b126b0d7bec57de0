"""The Sentry sink: one event per API error, unless Sentry's logging integration makes it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from errorlens._internal.events import ErrorEvent
from errorlens._internal.observe import clean_summary
from errorlens._internal.policy import DROP
from errorlens._internal.policy import current as current_policy
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
    if event.level == DROP:
        return  # a line the policy drops sends nothing to Sentry
    threshold = current_policy().sentry_threshold(options.event_level)
    logging_level = _logging_event_level(client) if event.via_stdlib else None
    if logging_level is not None:
        # Sentry's LoggingIntegration turns this very log record into an event (at its
        # level and above; errorlens's event processor removes those the policy put
        # below the Sentry level) or a breadcrumb; the enrichment finds the record
        # through the event's hint. Only a level the policy sends to Sentry but the
        # integration would not is captured here.
        if threshold <= event.level < logging_level:
            _capture(event, client)
        return
    captured = event.captured
    if captured is not None and captured.level >= threshold:
        return  # client capture sent this error as an event already
    if event.level >= threshold:
        _capture(event, client)
    else:
        _add_breadcrumb(event)


def _logging_event_level(client: BaseClient) -> int | None:
    """The least level Sentry's LoggingIntegration makes events of; None without it."""
    from sentry_sdk.integrations.logging import LoggingIntegration

    integration = client.get_integration(LoggingIntegration)
    if integration is None:
        return None
    handler = getattr(integration, "_handler", None)
    level = getattr(handler, "level", None)
    # Without an event handler it makes breadcrumbs only: no event at any level.
    return level if isinstance(level, int) else logging.CRITICAL + 1


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

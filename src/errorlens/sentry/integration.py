"""``ErrorlensIntegration``: errorlens as a sentry-sdk integration."""

from __future__ import annotations

import logging
import threading
from typing import Any, cast

from sentry_sdk.integrations import Integration

from errorlens._internal.events import add_sink
from errorlens._internal.guard import report_internal
from errorlens.sentry.enrich import below_policy, enrich_event
from errorlens.sentry.options import IDENTIFIER, FingerprintRule, Options, active_options, settings
from errorlens.sentry.sink import sentry_sink

__all__ = ["ErrorlensIntegration", "install"]

Event = dict[str, Any]
Hint = dict[str, Any]

_install_lock = threading.Lock()


class ErrorlensIntegration(Integration):
    """API errors in Sentry: tags, an ``api_error`` context, grouping, no secrets.

        sentry_sdk.init(dsn=..., integrations=[ErrorlensIntegration()])

    Every event of the client is scrubbed (messages, exception values, frame
    variables, request data, breadcrumbs). Events that carry an API error get the tags
    ``api_error.vendor``, ``api_error.code``, ``api_error.request_id`` and
    ``http.status_code``, the record as the ``api_error`` context (once: not in
    ``extra``, and breadcrumbs carry a one-line summary), and a fingerprint.

    An API error logged through stdlib ``logging`` becomes the event (or breadcrumb)
    Sentry's ``LoggingIntegration`` makes of that record, as its levels say; errorlens
    recognises it through the event hint (the exception, the log record). Other API
    errors (a standalone structlog chain, :func:`errorlens.record_error`) are captured
    by errorlens: at ``event_level`` and above as events, below as breadcrumbs.

    ``fingerprint``: True for ``["{{ default }}", vendor, code]`` (message-only events:
    ``["api_error", call site, vendor, code]``), False to leave grouping alone, or a
    callable ``(record, event) -> list[str] | None``.

    .. versionadded:: 0.1.0
    """

    identifier = IDENTIFIER

    def __init__(
        self, *, fingerprint: bool | FingerprintRule = True, event_level: int = logging.ERROR
    ) -> None:
        self.options = Options(fingerprint, event_level)

    @staticmethod
    def setup_once() -> None:
        install()


def install() -> None:
    """Register the event processor and the hub sink, once per process."""
    with _install_lock:
        if settings.installed:
            return
        from sentry_sdk.scope import add_global_event_processor

        add_global_event_processor(cast(Any, _event_processor))
        add_sink(sentry_sink)
        settings.installed = True


def _event_processor(event: Event, hint: Hint) -> Event | None:
    options = active_options()
    if options is None:
        return event
    if below_policy(hint, options.event_level):
        # Sentry's logging integration made an event of a line the policy put below
        # the Sentry level: its breadcrumb stays, the event goes.
        return None
    try:
        enrich_event(event, hint, options)
    except Exception:
        report_internal("enriching a Sentry event")
        return None  # fail closed: an event that could not be scrubbed is not sent
    return event

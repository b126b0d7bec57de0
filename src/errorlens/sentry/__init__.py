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

Every event sent through errorlens's setup is scrubbed, API error or not: its
messages, exception values, frame variables, request data and breadcrumbs.

Each API error becomes exactly one event: when a log line travels through stdlib
logging and Sentry's ``LoggingIntegration`` turns it into an event, errorlens enriches
that event; otherwise :func:`sentry_sink` captures one itself. Errors below the event
level become breadcrumbs.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, cast

from errorlens._internal.events import add_sink, remove_sink
from errorlens._internal.guard import guarded, internal_logger, report_internal
from errorlens.sentry.enrich import enrich_event
from errorlens.sentry.options import FingerprintRule, settings
from errorlens.sentry.sink import sentry_sink

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

_setup_lock = threading.Lock()


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
        settings.fingerprint = fingerprint
        settings.event_level = event_level
        if not settings.processor_installed:
            from sentry_sdk.scope import add_global_event_processor

            # Global processors cannot be removed: teardown() switches it off instead.
            add_global_event_processor(cast(Any, _event_processor))
            settings.processor_installed = True
        settings.enabled = True
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
            settings.owned_client = sentry_sdk.get_client()


def teardown() -> None:
    """Undo :func:`setup`: no more capture or enrichment; close a client errorlens started.

    .. versionadded:: 0.1.0
    """
    with guarded("tearing down Sentry"), _setup_lock:
        remove_sink(sentry_sink)
        settings.enabled = False
        owned = settings.owned_client
        settings.owned_client = None
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
        try:
            enrich_event(event, hint)
        except Exception:
            report_internal("enriching a Sentry event")
            return None  # fail closed: an event that could not be scrubbed is not sent
        if app_before_send is None:
            return event
        return app_before_send(event, hint)

    return errorlens_before_send


before_send: BeforeSend = make_before_send()
"""``before_send`` for ``sentry_sdk.init``: enriches events that carry an API error."""


def _event_processor(event: Event, hint: Hint) -> Event | None:
    if not settings.enabled:
        return event
    try:
        enrich_event(event, hint)
    except Exception:
        report_internal("enriching a Sentry event")
        return None  # fail closed: an event that could not be scrubbed is not sent
    return event

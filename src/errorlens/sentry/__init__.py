"""Sentry: one enriched, well-grouped event per API error, as a sentry-sdk integration.

Add the integration to your own ``sentry_sdk.init``, as with any Sentry integration::

    import sentry_sdk
    from errorlens.sentry import ErrorlensIntegration

    sentry_sdk.init(dsn="https://key@o1.ingest.sentry.io/1", integrations=[ErrorlensIntegration()])

or let errorlens start Sentry with it::

    errorlens.configure(service="checkout", sentry_dsn="https://key@o1.ingest.sentry.io/1")
    # or, without configure():
    errorlens.sentry.setup("https://key@o1.ingest.sentry.io/1", environment="prod")

Every event that carries an API error gets the tags ``api_error.vendor``,
``api_error.code``, ``api_error.request_id`` and ``http.status_code``, an ``api_error``
context with the whole record (the vendor's ``type`` as ``error_type``: Sentry reserves
``type`` in a context), and a fingerprint; the record is not repeated in ``extra``, and
breadcrumbs carry a one-line summary of it. The fingerprint is
``["{{ default }}", vendor, code]`` for events with a stack trace (Sentry's default
grouping of a stack trace ignores the message, so ids in messages do not split issues)
and ``["api_error", call site, vendor, code]`` for message-only events (whose default
grouping is their text).

Every event of a client with the integration is scrubbed, API error or not: its
messages, exception values, frame variables, request data and breadcrumbs.

Each API error becomes exactly one event: a line logged through stdlib ``logging``
becomes the event Sentry's ``LoggingIntegration`` makes of it (errorlens recognises it
by the event hint: the exception, the log record), other API errors are captured by
errorlens. Errors below the event level become breadcrumbs.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from errorlens._internal.guard import guarded, internal_logger, report_internal
from errorlens._internal.shutdown import Step, remaining
from errorlens.sentry.enrich import enrich_event
from errorlens.sentry.options import FingerprintRule, Options, active_options, settings
from errorlens.sentry.sink import sentry_sink

if TYPE_CHECKING:
    from errorlens.sentry.integration import ErrorlensIntegration

__all__ = [
    "ErrorlensIntegration",
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


def __getattr__(name: str) -> Any:
    # The integration subclasses sentry-sdk's Integration: imported on first use, so
    # that ``import errorlens.sentry`` works without sentry-sdk.
    if name == "ErrorlensIntegration":
        from errorlens.sentry.integration import ErrorlensIntegration

        return ErrorlensIntegration
    raise AttributeError(name)


# --- setup -----------------------------------------------------------------------------


def setup(
    dsn: str | None = None,
    *,
    fingerprint: bool | FingerprintRule = True,
    event_level: int = logging.ERROR,
    **options: Any,
) -> None:
    """Start Sentry with :class:`ErrorlensIntegration`, or add errorlens to the active client.

    ``dsn`` and ``options`` go to ``sentry_sdk.init`` (the integration added to
    ``integrations``) when no Sentry client is active yet; errorlens then owns that
    client and :func:`teardown` closes it. An application's own client is kept as it
    is: its events are enriched with these settings. Idempotent; never raises.

        errorlens.sentry.setup("https://key@o1.ingest.sentry.io/1", environment="prod")

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
        from errorlens.sentry.integration import ErrorlensIntegration, install

        client = sentry_sdk.get_client()
        if client.is_active():
            if client.get_integration(ErrorlensIntegration) is None:
                install()
                settings.fallback = Options(fingerprint, event_level)
            return
        if dsn is None:
            return
        app_before_send = options.pop("before_send", None)
        integrations = [
            *options.pop("integrations", ()),
            ErrorlensIntegration(fingerprint=fingerprint, event_level=event_level),
        ]
        sentry_sdk.init(
            dsn=dsn,
            integrations=integrations,
            # Enrichment also runs here, after the framework integrations' own
            # processors have added request data, so that is scrubbed as well.
            before_send=cast(Any, make_before_send(app_before_send)),
            **options,
        )
        settings.owned_client = sentry_sdk.get_client()


def teardown(timeout: float | None = None) -> None:
    """Undo :func:`setup`: no more enrichment; close (and flush) a client errorlens started.

    ``timeout``: seconds to flush pending events (the client's ``shutdown_timeout``
    when None).

    .. versionadded:: 0.1.0
    """
    step = shutdown_step()
    if step is not None:
        import time

        step(time.monotonic() + timeout if timeout is not None else float("inf"))
    forget()


def shutdown_step() -> Step | None:
    """Closing the client errorlens started, within a deadline; None if there is none."""
    with _setup_lock:
        settings.fallback = None
        owned, settings.owned_client = settings.owned_client, None
    if owned is None:
        return None

    def step(deadline: float) -> None:
        timeout = remaining(deadline) if deadline != float("inf") else None
        owned.close(timeout=timeout)

    settings.closing = owned
    return step


def forget() -> None:
    """Unset the client errorlens closed (if it is still the current one)."""
    closing, settings.closing = settings.closing, None
    if closing is None:
        return
    with guarded("forgetting the Sentry client"):
        import sentry_sdk

        if sentry_sdk.get_client() is closing:
            sentry_sdk.get_global_scope().set_client(None)


def make_before_send(app_before_send: BeforeSend | None = None) -> BeforeSend:
    """A ``before_send`` that enriches API error events, then calls ``app_before_send``.

    For applications that neither add :class:`ErrorlensIntegration` nor call
    :func:`setup`:

        sentry_sdk.init(dsn=..., before_send=errorlens.sentry.make_before_send(mine))

    .. versionadded:: 0.1.0
    """

    def errorlens_before_send(event: Event, hint: Hint) -> Event | None:
        try:
            enrich_event(event, hint, active_options())
        except Exception:
            report_internal("enriching a Sentry event")
            return None  # fail closed: an event that could not be scrubbed is not sent
        if app_before_send is None:
            return event
        return app_before_send(event, hint)

    return errorlens_before_send


before_send: BeforeSend = make_before_send()
"""``before_send`` for ``sentry_sdk.init``: enriches events that carry an API error."""

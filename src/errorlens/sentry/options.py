"""What the Sentry integration was asked for, read by the sink and the enrichment."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from errorlens.record import ErrorRecord

__all__ = ["IDENTIFIER", "FingerprintRule", "Options", "Settings", "active_options", "settings"]

IDENTIFIER = "errorlens"
"""The integration's identifier in sentry-sdk."""

FingerprintRule = Callable[[ErrorRecord, dict[str, Any]], "list[str] | None"]
"""A custom fingerprint: given the record and the event, the fingerprint or None."""


class Options:
    """The choices of one :class:`~errorlens.sentry.ErrorlensIntegration`."""

    def __init__(
        self, fingerprint: bool | FingerprintRule = True, event_level: int = logging.ERROR
    ) -> None:
        self.fingerprint = fingerprint
        self.event_level = event_level
        self.rule_failed = False


class Settings:
    """Process-wide state: the processor and sink installed once, a client of ours."""

    def __init__(self) -> None:
        self.installed = False
        # For an application's client that was initialised without the integration:
        # errorlens.sentry.setup() enriches its events with these options.
        self.fallback: Options | None = None
        self.owned_client: Any = None
        self.closing: Any = None  # the owned client, while it is being closed


settings = Settings()


def active_options(client: Any = None) -> Options | None:
    """The options of the integration on the current client (or setup()'s), else None."""
    import sentry_sdk

    client = client if client is not None else sentry_sdk.get_client()
    integration = client.get_integration(IDENTIFIER)
    options = getattr(integration, "options", None)
    if isinstance(options, Options):
        return options
    if settings.fallback is not None and client.is_active():
        return settings.fallback
    return None

"""What :func:`errorlens.sentry.setup` was asked for, read by the sink and the enrichment."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from errorlens.record import ErrorRecord

__all__ = ["FingerprintRule", "Settings", "settings"]

FingerprintRule = Callable[[ErrorRecord, dict[str, Any]], "list[str] | None"]
"""A custom fingerprint: given the record and the event, the fingerprint or None."""


class Settings:
    def __init__(self) -> None:
        self.enabled = False
        self.processor_installed = False
        self.fingerprint: bool | FingerprintRule = True
        self.event_level = logging.ERROR
        self.owned_client: Any = None
        self.rule_failed = False


settings = Settings()

"""Pairing a log line errorlens saw with the event Sentry's LoggingIntegration makes of it.

The sink leaves the line's :class:`~errorlens.ErrorEvent` here, on the thread that
logs; the event processor takes it back when Sentry's handler turns the same line into
an event, moments later on the same thread.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from typing import Any

from errorlens._internal.events import ErrorEvent

__all__ = ["INTERNAL_MODULES", "call_site", "leave", "take"]

# How far apart (seconds) errorlens's sight of a log line and the LogRecord Sentry's
# handler receives may be and still be the same line.
_PENDING_WINDOW = 1.0
INTERNAL_MODULES = ("errorlens", "structlog", "logging", "sentry_sdk")


class _Pending(threading.local):
    event: ErrorEvent | None = None
    call_site: str | None = None
    at: float = 0.0


_pending = _Pending()


def leave(event: ErrorEvent | None) -> None:
    """Leave ``event`` for the processor (None: nothing pending)."""
    _pending.event = event
    if event is not None:
        _pending.call_site = call_site()
        _pending.at = time.time()


def take(log_record: Any) -> tuple[ErrorEvent, str | None] | None:
    """The event the sink left for this LogRecord, if it is the same log line."""
    event = _pending.event
    if event is None or not isinstance(log_record, logging.LogRecord):
        return None
    _pending.event = None
    if abs(log_record.created - _pending.at) > _PENDING_WINDOW:
        return None
    if log_record.levelno != event.level:
        return None
    if event.logger_name is not None and log_record.name != event.logger_name:
        return None
    if event.message and not _same_text(event.message, log_record):
        return None
    return event, _pending.call_site


def _same_text(message: str, log_record: logging.LogRecord) -> bool:
    """Whether the LogRecord's text holds ``message`` (as is, or rendered into JSON)."""
    try:
        text = log_record.getMessage()
    except Exception:
        text = str(log_record.msg)
    if message in text:  # the message errorlens saw is already redacted, as is the line
        return True
    escaped = json.dumps(message, ensure_ascii=False)[1:-1]
    return escaped in text or json.dumps(message)[1:-1] in text


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

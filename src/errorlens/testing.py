"""Helpers for testing code that logs API errors.

>>> import errorlens
>>> from errorlens.testing import capture_api_errors
>>> body = b'{"error": {"code": "slow_down"}}'
>>> with capture_api_errors() as seen:
...     _ = errorlens.record_error(errorlens.from_http(429, {}, body))
>>> seen[0].record.code
'slow_down'

Every API error errorlens observes (through :func:`errorlens.configure`,
:func:`errorlens.attach`, the structlog processor or :func:`errorlens.record_error`)
reaches the capture as one :class:`~errorlens.ErrorEvent`, as it reaches spans,
metrics and Sentry.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from errorlens._internal.events import ErrorEvent, add_sink, remove_sink

__all__ = ["capture_api_errors"]


@contextmanager
def capture_api_errors() -> Iterator[list[ErrorEvent]]:
    """Collect, in a list, every API error errorlens observes inside the ``with`` block.

    Each item is an :class:`~errorlens.ErrorEvent`: ``.record`` (the
    :class:`~errorlens.ErrorRecord`), ``.level``, ``.logger_name``, ``.message`` and
    ``.traceback`` (redacted). Events from every thread are collected.

        with capture_api_errors() as seen:
            log.exception("charge failed")  # inside an ``except``
        assert [event.record.code for event in seen] == ["card_declined"]

    .. versionadded:: 0.1.0
    """
    events: list[ErrorEvent] = []

    def sink(event: ErrorEvent) -> None:
        events.append(event)

    add_sink(sink)
    try:
        yield events
    finally:
        remove_sink(sink)

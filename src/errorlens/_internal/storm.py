"""Error storms: the same vendor and code many times a second, summarised.

Per ``(vendor, code)``, the first ``lines`` API error lines of each ``window`` are
written in full; the rest are not written, and one summary line per window says how
many there were, with the first and last request ids. The summary is written with the
next line logged after the window closes, and at exit. Metrics and span events stay
exact (they are recorded before this step); Sentry gets no event for a line that is
not written.
"""

from __future__ import annotations

import atexit
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from errorlens._internal.guard import report_internal
from errorlens._internal.locks import SafeLock
from errorlens._internal.state import after_fork
from errorlens.record import ErrorRecord

__all__ = ["StormPolicy", "Summary", "admit", "current", "flush", "forget", "set_current"]

SUMMARY_EVENT = "api error storm"
# Distinct (vendor, code) pairs followed at once: beyond, new pairs are not summarised.
_MAX_KEYS = 512


@dataclass(frozen=True)
class StormPolicy:
    """How many lines of one ``(vendor, code)`` are written per window, in full.

    >>> import errorlens
    >>> from errorlens import StormPolicy
    >>> errorlens.configure(storm=StormPolicy(lines=5, window=30.0))
    >>> errorlens.configure(storm=None)  # every line written

    .. versionadded:: 0.1.0
    """

    lines: int = 10
    window: float = 60.0


@dataclass
class _Window:
    start: float
    logger_name: str | None
    via_structlog: bool
    written: int = 0
    suppressed: int = 0
    first_request_id: str | None = None
    last_request_id: str | None = None


@dataclass(frozen=True)
class Summary:
    """One window's count of the lines that were not written."""

    vendor: str | None
    code: str | None
    suppressed: int
    total: int
    window: float
    first_request_id: str | None
    last_request_id: str | None
    logger_name: str | None
    via_structlog: bool

    def fields(self) -> dict[str, Any]:
        facts = {
            "vendor": self.vendor,
            "code": self.code,
            "suppressed": self.suppressed,
            "total": self.total,
            "window_seconds": self.window,
            "first_request_id": self.first_request_id,
            "last_request_id": self.last_request_id,
        }
        return {"storm": {k: v for k, v in facts.items() if v is not None}}


class _Storms:
    def __init__(self, policy: StormPolicy | None, clock: Callable[[], float]) -> None:
        self.policy = policy
        self.clock = clock
        self.lock = SafeLock()
        self.windows: dict[tuple[str | None, str | None], _Window] = {}
        self.next_close = float("inf")

    def admit(
        self, record: ErrorRecord, logger_name: str | None, via_structlog: bool
    ) -> tuple[bool, list[Summary]]:
        policy = self.policy
        if policy is None:
            return True, []
        key = (record.vendor, record.code or (str(record.status) if record.status else None))
        now = self.clock()
        with self.lock:
            closed = self._close_due(now) if now >= self.next_close else []
            window = self.windows.get(key)
            if window is None:
                if len(self.windows) >= _MAX_KEYS:
                    return True, closed
                window = self.windows[key] = _Window(now, logger_name, via_structlog)
                self.next_close = min(self.next_close, now + policy.window)
            if window.written < policy.lines:
                window.written += 1
                return True, closed
            window.suppressed += 1
            request_id = record.request_id
            if window.first_request_id is None:
                window.first_request_id = request_id
            window.last_request_id = request_id or window.last_request_id
            return False, closed

    def _close_due(self, now: float) -> list[Summary]:
        window_length = self.policy.window if self.policy is not None else 0.0
        closed: list[Summary] = []
        next_close = float("inf")
        for key, window in list(self.windows.items()):
            end = window.start + window_length
            if now >= end:
                del self.windows[key]
                if window.suppressed:
                    closed.append(_summary(key, window, window_length))
            else:
                next_close = min(next_close, end)
        self.next_close = next_close
        return closed

    def flush(self) -> list[Summary]:
        with self.lock:
            return self._close_due(float("inf"))


def _summary(key: tuple[str | None, str | None], window: _Window, length: float) -> Summary:
    return Summary(
        vendor=key[0],
        code=key[1],
        suppressed=window.suppressed,
        total=window.written + window.suppressed,
        window=length,
        first_request_id=window.first_request_id,
        last_request_id=window.last_request_id,
        logger_name=window.logger_name,
        via_structlog=window.via_structlog,
    )


_storms = _Storms(StormPolicy(), time.monotonic)
_at_exit = False


def current() -> StormPolicy | None:
    return _storms.policy


def set_current(policy: StormPolicy | None, clock: Callable[[], float] | None = None) -> None:
    """Summarise storms as ``policy`` says (None: write every line); pending summaries
    of the previous policy are written first."""
    global _storms  # noqa: PLW0603 - one storm state for the process, swapped whole
    write(_storms.flush())
    _storms = _Storms(policy, clock or time.monotonic)


def forget() -> None:
    """Forget every window without writing its summary (a fresh start, same policy)."""
    global _storms  # noqa: PLW0603
    _storms = _Storms(_storms.policy, _storms.clock)


# A forked child starts counting afresh: the parent writes its own windows' summaries.
after_fork(forget)


def admit(record: ErrorRecord, logger_name: str | None, via_structlog: bool) -> bool:
    """Whether this API error line is written; writes the summaries of closed windows."""
    admitted, closed = _storms.admit(record, logger_name, via_structlog)
    if closed:
        write(closed)
    if not admitted:
        _flush_at_exit()
    return admitted


def flush() -> None:
    """Write the summaries of every window now (at exit, and when the policy changes)."""
    write(_storms.flush())


def _flush_at_exit() -> None:
    global _at_exit  # noqa: PLW0603 - registered once, on the first suppressed line
    if not _at_exit:
        _at_exit = True
        atexit.register(flush)


def write(summaries: list[Summary]) -> None:
    """One line per summary, on the logger of the lines it summarises."""
    for summary in summaries:
        try:
            _write_one(summary)
        except Exception:
            report_internal("writing an error storm summary")


def _write_one(summary: Summary) -> None:
    name = summary.logger_name or "errorlens.storm"
    if summary.via_structlog:
        import structlog

        structlog.get_logger(name).warning(SUMMARY_EVENT, **summary.fields())
    else:
        logging.getLogger(name).warning(SUMMARY_EVENT, extra=summary.fields())

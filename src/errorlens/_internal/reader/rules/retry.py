"""``retry_after`` and ``retryable``: explicit signals first, then codes, then the status."""

from __future__ import annotations

import re
from functools import lru_cache

from errorlens._internal.reader.evidence import Chain, Evidence
from errorlens._internal.reader.headers import parse_rate_reset, parse_retry_after
from errorlens._internal.reader.keys import (
    DETAILS,
    H_RATE_RESET,
    H_RETRY_AFTER,
    H_RETRY_MS,
    H_SHOULD_RETRY,
    LEAD,
    P_RETRYABLE,
    RETRY_AFTER,
    RETRY_MS,
    RETRYABLE,
)
from errorlens._internal.reader.values import seconds, soap_class, strip_prefix
from errorlens._internal.state import on_reset

__all__ = ["RETRYABLE_RULES", "RETRY_AFTER_RULES", "retryable_by_words", "retryable_by_status"]

_RATE_LIMITED = 429


def header_retry_after_ms(ev: Evidence) -> float | None:
    # OpenAI and Azure send "retry-after-ms" beside the coarser "retry-after".
    ms = parse_retry_after(ev.facts.retry_after_ms)
    return ms / 1000.0 if ms is not None else None


def header_retry_after(ev: Evidence) -> float | None:
    return parse_retry_after(ev.facts.retry_after, ev.facts.date)


def body_retry_after(ev: Evidence) -> float | None:
    value = ev.body.merged[RETRY_AFTER]
    return seconds(value) if value is not None else None


def body_retry_after_ms(ev: Evidence) -> float | None:
    value = ev.body.merged[RETRY_MS]
    return seconds(value, unit=0.001) if value is not None else None


def details_retry_after(ev: Evidence) -> float | None:
    # Telegram: {"parameters": {"retry_after": 35}}.
    scan = ev.body.details_scan
    value = scan.values[RETRY_AFTER] if scan is not None else None
    return seconds(value) if value is not None else None


def retry_info(ev: Evidence) -> float | None:
    # google.rpc.RetryInfo's retryDelay.
    return ev.body.typed[1] if ev.body.scans else None


def rate_limit_reset(ev: Evidence) -> float | None:
    # RateLimit-Reset / X-RateLimit-Reset only say when to retry once rate limited.
    if ev.status != _RATE_LIMITED:
        return None
    return parse_rate_reset(ev.facts.rate_reset, ev.facts.date)


RETRY_AFTER_RULES = Chain(
    (header_retry_after_ms, H_RETRY_MS),
    (header_retry_after, H_RETRY_AFTER),
    (body_retry_after, 1 << RETRY_AFTER),
    (body_retry_after_ms, 1 << RETRY_MS),
    (details_retry_after, 1 << DETAILS),
    (retry_info, 1 << DETAILS | LEAD),
    (rate_limit_reset, H_RATE_RESET),
)


# Words in a code or type that decide retryability whatever the status.
# Quota, billing and auth exhaustion ("too_many_attempts": an account locked) wait for
# no retry to pass.
_EXHAUSTED = re.compile(r"quota|billing|insufficient|credit|payment_required")
# A lockout waits for no retry, unless it says when to come back
# ("TOO_MANY_ATTEMPTS_TRY_LATER").
_LOCKOUT = re.compile(r"attempts|locked")
_COME_BACK = re.compile(r"try_?later|try_?again")
_TRANSIENT = re.compile(
    r"overload|rate[ _-]?limit|throttl|too_?many_?requests|slow_?down|unavailable|"
    r"time_?out|timed_out|try_?again|try_?later|throughputexceeded|limitexceeded|internal_server_error"
)


def retryable_by_words(code: str | None, type_: str | None) -> bool | None:
    """Quota or billing exhaustion never; overload, throttling or timeouts yes; else None."""
    if code is None and type_ is None:
        return None
    return _verdict_of_words(code, type_)


# A vendor's few (code, type) pairs come back on every error: each is judged once.
@lru_cache(maxsize=4096)
def _verdict_of_words(code: str | None, type_: str | None) -> bool | None:
    words = f"{code or ''} {type_ or ''}".lower()
    locked_out = _LOCKOUT.search(words) is not None and _COME_BACK.search(words) is None
    if locked_out or _EXHAUSTED.search(words):
        return False
    return True if _TRANSIENT.search(words) else None


on_reset(_verdict_of_words.cache_clear)


def retryable_by_status(status: int | None) -> bool:
    """408, 425, 429 and 5xx but 501 and 505."""
    if status is None:
        return False
    return status in (408, 425, 429) or (500 <= status <= 599 and status not in (501, 505))


def header_should_retry(ev: Evidence) -> bool | None:
    # A vendor's explicit signal wins: "x-should-retry: false".
    return ev.facts.should_retry


def body_retryable(ev: Evidence) -> bool | None:
    value = ev.body.merged[RETRYABLE]
    return value if isinstance(value, bool) else None


def source_retryable(ev: Evidence) -> bool | None:
    return ev.parts.retryable


RETRYABLE_RULES = Chain(
    (header_should_retry, H_SHOULD_RETRY),
    (body_retryable, 1 << RETRYABLE),
    (source_retryable, P_RETRYABLE),
)


def soap_fault_class(ev: Evidence) -> str | None:
    """A SOAP fault's class (Client/Server, Sender/Receiver): it decides retryability."""
    body = ev.body
    if not body.xml:
        return None
    found: str | None = None
    for scan in body.scans:
        node = scan.node
        raw = node.get("Code", node.get("faultcode"))
        if isinstance(raw, dict):
            value = soap_class(raw)
            found = strip_prefix(value) if value else None
        elif isinstance(raw, str) and "faultcode" in node:
            found = strip_prefix(raw)
    return found

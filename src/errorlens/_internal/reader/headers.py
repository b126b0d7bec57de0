"""Headers: request and correlation ids, retry hints and vendor hints.

Headers arrive as a dict, a case-insensitive mapping, a multidict, an
``email.message.Message`` or a list of pairs, with str or bytes names. One pass reads
them all; nothing here raises.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = ["HeaderFacts", "iter_headers", "parse_retry_after", "read_headers"]

# Request-id headers, best first. Other "*-request-id" names rank after these, and
# Cloudflare's cf-ray (an edge id, not the origin's) is the last resort.
_REQUEST_ID_HEADERS = (
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-ms-request-id",
    "x-github-request-id",
    "twilio-request-id",
    "x-slack-req-id",
    "x-goog-request-id",
    "apigw-requestid",
    "x-amzn-request-id",
    "x-kong-request-id",
    "x-trace-id",
    "x-amz-cf-id",
)
_REQUEST_ID_RANK = {name: rank for rank, name in enumerate(_REQUEST_ID_HEADERS)}
_GENERIC_REQUEST_ID_RANK = len(_REQUEST_ID_HEADERS)
_CF_RAY_RANK = _GENERIC_REQUEST_ID_RANK + 1

_CORRELATION_HEADERS = {
    "x-correlation-id": 0,
    "correlation-id": 1,
    "x-correlationid": 2,
    "x-ms-correlation-request-id": 3,
}

# Header-name prefixes that only one vendor sends, by the name's first segment(s).
_VENDOR_PREFIXES = {
    "x-amzn": "aws",
    "x-amz": "aws",
    "x-ms": "azure",
    "openai": "openai",
    "anthropic": "anthropic",
    "stripe": "stripe",
    "x-github": "github",
    "twilio": "twilio",
    "x-slack": "slack",
    "x-goog": "google",
    "x-shopify": "shopify",
}


class HeaderFacts:
    """What the headers say, read in one pass."""

    __slots__ = (
        "content_type",
        "correlation_id",
        "date",
        "error_type",
        "rate_reset",
        "request_id",
        "retry_after",
        "retry_after_ms",
        "should_retry",
        "vendor",
    )

    def __init__(self) -> None:
        self.request_id: str | None = None
        self.correlation_id: str | None = None
        self.retry_after: str | None = None
        self.retry_after_ms: str | None = None
        self.rate_reset: str | None = None
        self.should_retry: bool | None = None
        self.vendor: str | None = None
        self.error_type: str | None = None
        self.content_type: str | None = None
        self.date: str | None = None


_EMPTY = HeaderFacts()
_MAX_HEADERS = 200
_MAX_VALUE = 512


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value[:_MAX_VALUE]).decode("latin-1")
    if value is None:
        return None
    try:
        return str(value)
    except Exception:
        return None


def iter_headers(headers: Any) -> Iterable[tuple[Any, Any]]:
    """(name, value) pairs of any header container, at most a few hundred."""
    if headers is None:
        return ()
    items: Any
    if isinstance(headers, Mapping) or hasattr(headers, "items"):
        items = headers.items()
    elif isinstance(headers, list | tuple):
        items = headers
    else:
        return ()
    out: list[tuple[Any, Any]] = []
    for pair in items:
        if len(out) >= _MAX_HEADERS:
            break
        if isinstance(pair, tuple | list) and len(pair) == 2:
            out.append((pair[0], pair[1]))
    return out


# Names read into one fact each; request ids carry their rank instead.
_RETRY_AFTER, _RETRY_AFTER_MS, _CONTENT_TYPE, _DATE, _ERROR_TYPE, _RATE_RESET, _CF_RAY = range(
    -1, -8, -1
)
_NAMED = {
    "retry-after": _RETRY_AFTER,
    "retry-after-ms": _RETRY_AFTER_MS,
    "content-type": _CONTENT_TYPE,
    "date": _DATE,
    "x-amzn-errortype": _ERROR_TYPE,
    "x-ratelimit-reset-after": _RATE_RESET,
    "x-rate-limit-reset-after": _RATE_RESET,
    "ratelimit-reset": _RATE_RESET,
    "cf-ray": _CF_RAY,
}
_NAMED.update(_REQUEST_ID_RANK)


def read_headers(headers: Any) -> HeaderFacts:
    """Read ids, retry hints and vendor hints from ``headers``. Never raises."""
    if not headers:
        return _EMPTY
    facts = HeaderFacts()
    try:
        pairs = headers.items() if isinstance(headers, dict) else iter_headers(headers)
        _read_pairs(facts, pairs)
    except Exception:
        from errorlens._internal.guard import report_internal

        report_internal("reading headers")
    return facts


def _read_pairs(facts: HeaderFacts, pairs: Iterable[tuple[Any, Any]]) -> None:
    request_rank = _CF_RAY_RANK + 1
    correlation_rank = 99
    count = 0
    for raw_name, raw_value in pairs:
        count += 1
        if count > _MAX_HEADERS:
            break
        known = _names.get(raw_name) if type(raw_name) is str else None
        if known is None:
            name = raw_name if type(raw_name) is str else _text(raw_name)
            if not name:
                continue
            known = _classify(name)
        name, role, vendor = known
        if role == _IGNORED and (vendor is None or facts.vendor is not None):
            continue
        value = raw_value if type(raw_value) is str else _text(raw_value)
        if not value:
            continue
        if len(value) > _MAX_VALUE:
            value = value[:_MAX_VALUE]
        if facts.vendor is None and vendor is not None:
            facts.vendor = vendor
        if role == _IGNORED:
            continue
        if role is None:
            # A name that only hints at its meaning: "x-foo-request-id", "...-should-retry".
            if name in _CORRELATION_HEADERS:
                rank = _CORRELATION_HEADERS[name]
                if rank < correlation_rank:
                    facts.correlation_id, correlation_rank = value.strip(), rank
            elif name.endswith("should-retry"):
                lowered = value.strip().lower()
                if lowered in ("true", "1", "yes"):
                    facts.should_retry = True
                elif lowered in ("false", "0", "no"):
                    facts.should_retry = False
            elif name.endswith(("request-id", "requestid", "req-id")):
                if request_rank > _GENERIC_REQUEST_ID_RANK:
                    facts.request_id, request_rank = value.strip(), _GENERIC_REQUEST_ID_RANK
            elif "correlation" in name and correlation_rank > 50:
                facts.correlation_id, correlation_rank = value.strip(), 50
        elif role >= 0:
            if role < request_rank:
                facts.request_id, request_rank = value.strip(), role
        elif role == _RETRY_AFTER:
            facts.retry_after = value
        elif role == _RETRY_AFTER_MS:
            facts.retry_after_ms = value
        elif role == _CONTENT_TYPE:
            facts.content_type = value.lower()
        elif role == _DATE:
            facts.date = value
        elif role == _ERROR_TYPE:
            facts.error_type = value.strip()
        elif role == _RATE_RESET:
            facts.rate_reset = value
        elif role == _CF_RAY and request_rank > _CF_RAY_RANK:
            facts.request_id, request_rank = value.strip(), _CF_RAY_RANK


_IGNORED = -100
_GENERIC_HINTS = ("correlation", "should-retry", "request-id", "requestid", "req-id")
# Raw header name -> (lowercase name, role or None or _IGNORED, vendor hint).
_names: dict[str, tuple[str, int | None, str | None]] = {}


def _classify(raw: str) -> tuple[str, int | None, str | None]:
    name = raw.lower()
    role: int | None = _NAMED.get(name)
    if role is None and not any(hint in name for hint in _GENERIC_HINTS):
        role = _IGNORED  # nothing to read from this header but, perhaps, its vendor
    head, _, rest = name.partition("-")
    if head == "x":
        head = "x-" + rest.partition("-")[0]
    known = (name, role, _VENDOR_PREFIXES.get(head))
    if len(_names) < 2048:
        _names[raw] = known
    return known


def parse_retry_after(value: str | None, date: str | None = None) -> float | None:
    """Seconds from a Retry-After value: delta-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when is None:
            return None
        now = time.time()
        if date:
            try:
                sent = parsedate_to_datetime(date)
                now = sent.timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                pass
        try:
            seconds = when.timestamp() - now
        except (OverflowError, OSError, ValueError):
            return None
        seconds = round(seconds, 3)
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), 1e7)

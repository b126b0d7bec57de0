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

# Header-name prefixes that only one vendor sends.
_VENDOR_PREFIXES = (
    ("x-amzn-", "aws"),
    ("x-amz-", "aws"),
    ("x-ms-", "azure"),
    ("openai-", "openai"),
    ("anthropic-", "anthropic"),
    ("stripe-", "stripe"),
    ("x-github-", "github"),
    ("twilio-", "twilio"),
    ("x-slack-", "slack"),
    ("x-goog-", "google"),
    ("x-shopify-", "shopify"),
)
_VENDOR_EXACT = {"request-id": None, "x-kong-request-id": None}


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


def read_headers(headers: Any) -> HeaderFacts:
    """Read ids, retry hints and vendor hints from ``headers``. Never raises."""
    if not headers:
        return _EMPTY
    facts = HeaderFacts()
    request_rank = _CF_RAY_RANK + 1
    correlation_rank = 99
    try:
        pairs = iter_headers(headers)
        for raw_name, raw_value in pairs:
            name = _text(raw_name)
            if not name:
                continue
            name = name.strip().lower()
            value = _text(raw_value)
            if value is None:
                continue
            value = value.strip()[:_MAX_VALUE]
            if not value:
                continue
            rank = _REQUEST_ID_RANK.get(name)
            if rank is not None:
                if rank < request_rank:
                    facts.request_id, request_rank = value, rank
            elif name == "retry-after":
                facts.retry_after = value
            elif name == "retry-after-ms":
                facts.retry_after_ms = value
            elif name == "content-type":
                facts.content_type = value.lower()
            elif name == "date":
                facts.date = value
            elif name in _CORRELATION_HEADERS:
                crank = _CORRELATION_HEADERS[name]
                if crank < correlation_rank:
                    facts.correlation_id, correlation_rank = value, crank
            elif name == "x-amzn-errortype":
                facts.error_type = value
            elif name.endswith("should-retry"):
                lowered = value.lower()
                if lowered in ("true", "1", "yes"):
                    facts.should_retry = True
                elif lowered in ("false", "0", "no"):
                    facts.should_retry = False
            elif name in ("x-ratelimit-reset-after", "ratelimit-reset", "x-rate-limit-reset-after"):
                facts.rate_reset = value
            elif name == "cf-ray":
                if request_rank > _CF_RAY_RANK:
                    facts.request_id, request_rank = value, _CF_RAY_RANK
            elif name.endswith(("request-id", "requestid", "req-id")):
                if request_rank > _GENERIC_REQUEST_ID_RANK:
                    facts.request_id, request_rank = value, _GENERIC_REQUEST_ID_RANK
            elif "correlation" in name and correlation_rank > 50:
                facts.correlation_id, correlation_rank = value, 50
            if facts.vendor is None:
                for prefix, vendor in _VENDOR_PREFIXES:
                    if name.startswith(prefix):
                        facts.vendor = vendor
                        break
    except Exception:
        from errorlens._guard import report_internal

        report_internal("reading headers")
    return facts


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

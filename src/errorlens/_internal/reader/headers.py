"""Headers: request and correlation ids, retry hints and vendor hints.

Headers arrive as a dict, a case-insensitive mapping, a multidict, an
``email.message.Message`` or a list of pairs, with str or bytes names. One pass reads
them all; nothing here raises.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from email.utils import parsedate_to_datetime
from functools import lru_cache
from itertools import islice
from typing import Any

from errorlens._internal.reader.deadline import ends, over
from errorlens._internal.reader.keys import (
    H_AUTH_ERROR,
    H_CORRELATION,
    H_ERROR_CODE,
    H_ERROR_MESSAGE,
    H_ERROR_TYPE,
    H_QUERY_ERROR,
    H_RATE_RESET,
    H_REQUEST_ID,
    H_RETRY_AFTER,
    H_RETRY_MS,
    H_SHOULD_RETRY,
)
from errorlens._internal.reader.parts import HeaderPairs
from errorlens._internal.state import on_reset

__all__ = [
    "HeaderFacts",
    "bearer_error",
    "iter_headers",
    "parse_rate_reset",
    "parse_retry_after",
    "read_headers",
]

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
    "apns-id",
    # Kubernetes' API server: the id of the request's audit event, sent on every reply.
    "audit-id",
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
    """What the headers say, read in one pass.

    Every fact defaults to None on the class: a record's headers set only the few
    they carry.
    """

    request_id: str | None = None
    correlation_id: str | None = None
    retry_after: str | None = None
    retry_after_ms: str | None = None
    rate_reset: str | None = None
    should_retry: bool | None = None
    vendor: str | None = None
    error_type: str | None = None
    error_code: str | None = None  # a "*-error-code" header: "x-ms-error-code"
    query_error: str | None = None
    error_message: str | None = None
    auth_error: str | None = None
    content_type: str | None = None
    date: str | None = None
    present = 0  # fact bits (``keys.H_*``) of the facts above that are set
    # The rank of the request and correlation ids taken so far (lower is better).
    request_rank = _CF_RAY_RANK + 1
    correlation_rank = 99


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
    """(name, value) pairs of any header container, at most a few hundred, fewer
    when the read's time is up (each pair may cost a call into the application)."""
    if headers is None or over():
        return ()
    items: Any
    if isinstance(headers, Mapping) or hasattr(headers, "items"):
        items = headers.items()
    elif isinstance(headers, list | tuple):
        items = headers
    else:
        return ()
    out: list[tuple[Any, Any]] = []
    end = ends()
    # Bounded by the items visited, not the pairs kept: a container may never end.
    for pair in islice(items, _MAX_HEADERS):
        if isinstance(pair, tuple | list) and len(pair) == 2:
            out.append((pair[0], pair[1]))
        if time.monotonic() > end:
            break
    return out


# Names read into one fact each; request ids carry their rank instead.
_RETRY_AFTER, _RETRY_AFTER_MS, _CONTENT_TYPE, _DATE, _ERROR_TYPE, _RATE_RESET, _CF_RAY = range(
    -1, -8, -1
)
_QUERY_ERROR, _ERROR_MESSAGE, _AUTHENTICATE = range(-8, -11, -1)
_NAMED = {
    "retry-after": _RETRY_AFTER,
    "retry-after-ms": _RETRY_AFTER_MS,
    "content-type": _CONTENT_TYPE,
    "date": _DATE,
    "x-amzn-errortype": _ERROR_TYPE,
    "x-amzn-query-error": _QUERY_ERROR,
    "x-amzn-errormessage": _ERROR_MESSAGE,
    "www-authenticate": _AUTHENTICATE,
    "x-ratelimit-reset-after": _RATE_RESET,
    "x-rate-limit-reset-after": _RATE_RESET,
    "ratelimit-reset": _RATE_RESET,
    "x-ratelimit-reset": _RATE_RESET,
    "x-rate-limit-reset": _RATE_RESET,
    "cf-ray": _CF_RAY,
}
_NAMED.update(_REQUEST_ID_RANK)


def read_headers(headers: Any) -> HeaderFacts:
    """Read ids, retry hints and vendor hints from ``headers``. Never raises."""
    if not headers:
        return _EMPTY
    facts = HeaderFacts()
    try:
        pairs: Iterable[tuple[Any, Any]]
        if type(headers) is dict:
            pairs = headers.items()
        elif type(headers) is HeaderPairs:
            pairs = headers  # already checked pairs, a few hundred at most
        else:
            pairs = iter_headers(headers)
        _read_pairs(facts, pairs)
    except Exception:
        from errorlens._internal.guard import report_internal

        report_internal("reading headers")
    return facts


def _read_pairs(facts: HeaderFacts, pairs: Iterable[tuple[Any, Any]]) -> None:
    for count, (raw_name, raw_value) in enumerate(pairs):
        if count >= _MAX_HEADERS:
            break
        known = _classify(raw_name) if type(raw_name) is str else _known(raw_name)
        if known is None:
            continue
        role = known[1]
        if role == _IGNORED and (known[2] is None or facts.vendor is not None):
            continue
        value = raw_value if type(raw_value) is str else _text(raw_value)
        if value:
            _take(facts, known, value[:_MAX_VALUE])


def _known(raw_name: Any) -> tuple[str, int | None, str | None] | None:
    name = raw_name if type(raw_name) is str else _text(raw_name)
    return _classify(name) if name else None


def _take(facts: HeaderFacts, known: tuple[str, int | None, str | None], value: str) -> None:
    name, role, vendor = known
    if facts.vendor is None and vendor is not None:
        facts.vendor = vendor
    if role is None:
        _take_hinted(facts, name, value)
    elif role >= 0:
        _offer_request_id(facts, role, value)
    elif role == _CF_RAY:
        _offer_request_id(facts, _CF_RAY_RANK, value)
    elif role != _IGNORED:
        fact, read, bit = _FACTS[role]
        found = read(value)
        setattr(facts, fact, found)
        facts.present = facts.present | bit if found is not None else facts.present & ~bit


def _offer_request_id(facts: HeaderFacts, rank: int, value: str) -> None:
    if rank < facts.request_rank:
        facts.request_id, facts.request_rank = value.strip(), rank
        facts.present |= H_REQUEST_ID


def _offer_correlation_id(facts: HeaderFacts, rank: int, value: str) -> None:
    if rank < facts.correlation_rank:
        facts.correlation_id, facts.correlation_rank = value.strip(), rank
        facts.present |= H_CORRELATION


def _take_hinted(facts: HeaderFacts, name: str, value: str) -> None:
    # A name that only hints at its meaning: "x-foo-request-id", "...-should-retry".
    if name in _CORRELATION_HEADERS:
        _offer_correlation_id(facts, _CORRELATION_HEADERS[name], value)
    elif name.endswith("should-retry"):
        facts.should_retry = verdict = _YES_NO.get(value.strip().lower())
        if verdict is None:
            facts.present &= ~H_SHOULD_RETRY
        else:
            facts.present |= H_SHOULD_RETRY
    elif name.endswith(_REQUEST_ID_ENDS):
        _offer_request_id(facts, _GENERIC_REQUEST_ID_RANK, value)
    elif name.endswith(("ratelimit-reset", "rate-limit-reset")):
        facts.rate_reset = value  # "X-Contentful-RateLimit-Reset"
        facts.present |= H_RATE_RESET
    elif name.endswith(_ERROR_CODE_ENDS):
        # "x-ms-error-code", "x-clickhouse-exception-code": the header names the error.
        code = value.strip()
        if code and facts.error_code is None:
            facts.error_code = code[:200]
            facts.present |= H_ERROR_CODE
    elif "correlation" in name:
        _offer_correlation_id(facts, 50, value)


_ERROR_CODE_ENDS = ("-error-code", "-exception-code", "-errorcode")
# "x-foo-request-id", "X-Ep-Request-Uuid", "X-DocuSign-TraceToken", "x-b3-traceid".
_REQUEST_ID_ENDS = (
    "request-id",
    "requestid",
    "req-id",
    "request-uuid",
    "trace-id",
    "traceid",
    "tracetoken",
    "trace-token",
)
_YES_NO = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def bearer_error(value: str) -> str | None:
    """RFC 6750: ``Bearer realm="x", error="invalid_token"`` -> ``invalid_token``."""
    index = value.find("error=")
    while index > 0 and value[index - 1] not in " ,":
        index = value.find("error=", index + 6)  # not "x_error=" or "error_description="
    if index < 0:
        return None
    rest = value[index + 6 :].lstrip()
    token = rest[1:].partition('"')[0] if rest.startswith('"') else rest.partition(",")[0]
    token = token.strip()
    return token if token and len(token) <= 100 else None


# Named headers read into one fact each: the fact's name and how its value is read.
_FACT_OF_ROLE = {
    _RETRY_AFTER: "retry_after",
    _RETRY_AFTER_MS: "retry_after_ms",
    _CONTENT_TYPE: "content_type",
    _DATE: "date",
    _ERROR_TYPE: "error_type",
    _QUERY_ERROR: "query_error",
    _ERROR_MESSAGE: "error_message",
    _AUTHENTICATE: "auth_error",
    _RATE_RESET: "rate_reset",
}
_FACT_BITS = {
    _RETRY_AFTER: H_RETRY_AFTER,
    _RETRY_AFTER_MS: H_RETRY_MS,
    _CONTENT_TYPE: 0,
    _DATE: 0,
    _ERROR_TYPE: H_ERROR_TYPE,
    _QUERY_ERROR: H_QUERY_ERROR,
    _ERROR_MESSAGE: H_ERROR_MESSAGE,
    _AUTHENTICATE: H_AUTH_ERROR,
    _RATE_RESET: H_RATE_RESET,
}
_FACT_READERS: dict[int, Callable[[str], str | None]] = {
    _CONTENT_TYPE: str.lower,
    _AUTHENTICATE: bearer_error,
    _RETRY_AFTER: str,
    _RETRY_AFTER_MS: str,
    _DATE: str,
    _RATE_RESET: str,
}

# Role -> (the fact's name, how its value is read, its fact bit): one lookup per header.
_FACTS = {
    role: (fact, _FACT_READERS.get(role, str.strip), _FACT_BITS[role])
    for role, fact in _FACT_OF_ROLE.items()
}

_IGNORED = -100
_GENERIC_HINTS = (
    "correlation",
    "trace",
    "request-uuid",
    "rate-limit-reset",
    "ratelimit-reset",
    "should-retry",
    "request-id",
    "requestid",
    "req-id",
    "error-code",
    "exception-code",
    "errorcode",
)


# Raw header name -> (lowercase name, role or None or _IGNORED, vendor hint): servers
# send the same few names, each classified once.
@lru_cache(maxsize=2048)
def _classify(raw: str) -> tuple[str, int | None, str | None]:
    name = raw.lower()
    role: int | None = _NAMED.get(name)
    if role is None and not any(hint in name for hint in _GENERIC_HINTS):
        role = _IGNORED  # nothing to read from this header but, perhaps, its vendor
    head, _, rest = name.partition("-")
    if head == "x":
        head = "x-" + rest.partition("-")[0]
    return name, role, _VENDOR_PREFIXES.get(head)


on_reset(_classify.cache_clear)


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


_EPOCH_FROM = 1e9  # a reset this large is a Unix time (2001 on), not a delay
_DAY = 86400.0


def parse_rate_reset(value: str | None, date: str | None = None) -> float | None:
    """Seconds until a RateLimit-Reset: delay seconds, or an epoch time relative to Date.

    A reset in the past or more than a day away is no wait worth reporting.
    """
    if not value:
        return None
    try:
        reset = float(value.strip())
    except ValueError:
        return None
    if reset >= _EPOCH_FROM:
        reset -= _now(date)
    if math.isnan(reset) or reset < 0 or reset > _DAY:
        return None
    return round(reset, 3)


def _now(date: str | None) -> float:
    # The server's clock when it says (Date), else ours.
    if date:
        try:
            return parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    return time.time()

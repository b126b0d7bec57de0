"""Parts -> record: combine what the source, the headers and the body say."""

from __future__ import annotations

import re
from typing import Any

from errorlens._internal import scrub as _redact
from errorlens._internal.reader.document import decode
from errorlens._internal.reader.headers import parse_retry_after, read_headers
from errorlens._internal.reader.parts import HttpParts
from errorlens._internal.reader.shapes import (
    _NOTHING,
    Reading,
    _details_value,
    read_document,
    strip_namespace,
)
from errorlens._internal.reader.vendors import rule_for, vendor_for_url
from errorlens._internal.scrub import redact_text, redact_url
from errorlens.record import ErrorRecord, FieldError

__all__ = ["build_record", "is_retryable"]

# Words in a code or type that decide retryability whatever the status.
_PERMANENT = re.compile(r"quota|billing|insufficient|credit|payment_required")
_TRANSIENT = re.compile(
    r"overload|rate_?limit|rate-limit|throttl|too_?many_?requests|slow_?down|unavailable|"
    r"time_?out|timed_out|try_?again|throughputexceeded|limitexceeded|internal_server_error"
)
_word_cache: dict[tuple[str | None, str | None], bool | None] = {}
_SOAP_RETRY = frozenset({"server", "receiver"})


def is_retryable(
    status: int | None,
    code: str | None,
    type_: str | None,
    *,
    explicit: bool | None = None,
    soap_class: str | None = None,
    vendor: str | None = None,
) -> bool:
    """DESIGN's retry rule: explicit signal, then codes, then the status."""
    if explicit is not None:
        return explicit
    rule = rule_for(vendor)
    if rule is not None and code is not None:
        if code in rule.retryable_codes:
            return True
        if code in rule.permanent_codes:
            return False
    if soap_class is not None:
        return soap_class.lower() in _SOAP_RETRY
    if code is not None or type_ is not None:
        key = (code, type_)
        verdict = _word_cache.get(key, 0)
        if verdict == 0:
            words = f"{code or ''} {type_ or ''}".lower()
            verdict = (
                False if _PERMANENT.search(words) else True if _TRANSIENT.search(words) else None
            )
            if len(_word_cache) < 4096:
                _word_cache[key] = verdict
        if verdict is not None:
            return bool(verdict)
    if status is None:
        return False
    return status in (408, 425, 429) or (500 <= status <= 599 and status not in (501, 505))


def _valid_status(status: Any) -> int | None:
    if isinstance(status, bool):
        return None
    if isinstance(status, int):
        return status if 100 <= status <= 999 else None
    try:
        value = int(str(status).strip()[:3])
    except (TypeError, ValueError):
        return None
    return value if 100 <= value <= 999 else None


def build_record(parts: HttpParts) -> ErrorRecord:
    """The record for ``parts``. Never raises: a failure gives what could be read."""
    status = _valid_status(parts.status)
    facts = read_headers(parts.headers)
    document = decode(parts.body, facts.content_type)
    reading: Reading = _NOTHING
    lazy = None
    kind = document.kind
    if kind in ("json", "xml"):
        reading, lazy = read_document(document.data, status, xml=kind == "xml")

    code = reading.code
    if (code is None or reading.code_is_weak) and facts.error_type:
        # An explicit code in a header beats a category read from the body.
        code = strip_namespace(facts.error_type.partition(":")[0].strip()) or None
    if code is None and parts.code is not None:
        code = parts.code
    type_ = reading.type if reading.type is not None else parts.type
    message = reading.message
    if message is None:
        message = document.text or parts.message
    if code is None and document.text:
        code = _code_in_text(document.text)
    request_id = reading.request_id or facts.request_id or parts.request_id
    correlation_id = reading.correlation_id or facts.correlation_id
    retry_after = None
    if facts.retry_after_ms:
        ms = parse_retry_after(facts.retry_after_ms)
        retry_after = ms / 1000.0 if ms is not None else None
    if retry_after is None and facts.retry_after:
        retry_after = parse_retry_after(facts.retry_after, facts.date)
    if retry_after is None:
        retry_after = reading.retry_after
    if retry_after is None and status == 429 and facts.rate_reset:
        retry_after = parse_retry_after(facts.rate_reset)

    url, url_vendor = _url_facts(parts.url) if parts.url else (None, None)
    vendor = parts.vendor or url_vendor or facts.vendor
    explicit = facts.should_retry
    if explicit is None:
        explicit = reading.retryable if reading.retryable is not None else parts.retryable
    retryable = is_retryable(
        status, code, type_, explicit=explicit, soap_class=reading.soap_class, vendor=vendor
    )
    if message is not None:
        message = _redacted(message)
    method = parts.method.upper()[:16] if isinstance(parts.method, str) and parts.method else None

    extra_fields = parts.fields
    extra_details = parts.details
    if extra_fields or extra_details is not None:
        lazy = _with_extras(lazy, extra_fields, extra_details)
    return ErrorRecord._deferred(
        vendor,
        status,
        code,
        type_,
        message,
        request_id,
        correlation_id,
        retry_after,
        retryable,
        method,
        url,
        lazy,
    )


# Vendors repeat their messages and applications call the same few endpoints: the
# redacted texts and urls are worth keeping. Both caches are bounded, and dropped whole
# when a user adds a redaction pattern (which changes what redaction gives).
_CACHE_LIMIT = 1024
_redacted_cache: dict[str, str] = {}
_url_cache: dict[str, tuple[str, str | None]] = {}
_cached_with_patterns = [0]


def _fresh(cache: dict[str, Any]) -> dict[str, Any]:
    patterns = len(_redact._compiled)
    if patterns != _cached_with_patterns[0]:
        _redacted_cache.clear()
        _url_cache.clear()
        _cached_with_patterns[0] = patterns
    elif len(cache) >= _CACHE_LIMIT:
        cache.clear()
    return cache


def _redacted(text: str) -> str:
    cache = _fresh(_redacted_cache)
    cached = cache.get(text)
    if cached is None:
        cached = redact_text(text)
        if len(text) <= 4096:
            cache[text] = cached
    return cached


def _url_facts(url: str) -> tuple[str, str | None]:
    cache = _fresh(_url_cache)
    known = cache.get(url)
    if known is None:
        known = (redact_url(url), vendor_for_url(url))
        if len(url) <= 2048:
            cache[url] = known
    return known


def _with_extras(lazy: Any, fields: tuple[FieldError, ...], details: Any) -> Any:
    # The source's own fields and details complete what the body gives.
    def combined() -> tuple[Any, tuple[FieldError, ...], tuple[str, ...]]:
        body_details, body_fields, secrets = lazy() if lazy is not None else (None, (), ())
        # The body's own entry for a field wins over the source's (it has the message).
        named = {f.field for f in body_fields}
        merged = body_fields + tuple(f for f in fields if f.field not in named)
        if body_details is None and details is not None:
            body_details, secrets = _details_value(details)
        return body_details, merged, secrets

    return combined


def _code_in_text(text: str) -> str | None:
    # Gateways print "error code: 1020" (Cloudflare) and similar.
    lowered = text.lower()
    index = lowered.find("error code")
    if index < 0:
        return None
    rest = text[index + 10 :].lstrip(" :#")
    token = rest.split(None, 1)[0] if rest else ""
    token = token.strip(".,;)")
    return (
        token
        if token and len(token) <= 40 and token.replace("_", "").replace("-", "").isalnum()
        else None
    )

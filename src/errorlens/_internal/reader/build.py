"""Parts -> record: per field, the first rule that yields wins.

The source gave parts; the headers are read once, the body decoded once and walked
once (``body.read_body``); then each field's ordered rules (``rules/``) pick its value
from that evidence. Details and fields are built only when asked for.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from errorlens._internal.reader.body import Body, read_body
from errorlens._internal.reader.details import body_details, details_value
from errorlens._internal.reader.document import decode
from errorlens._internal.reader.evidence import Evidence, first
from errorlens._internal.reader.fields import read_fields
from errorlens._internal.reader.headers import read_headers
from errorlens._internal.reader.keys import DOC_TEXT
from errorlens._internal.reader.parts import HttpParts
from errorlens._internal.reader.rules.code import CODE_RULES, normalised
from errorlens._internal.reader.rules.ids import CORRELATION_RULES, REQUEST_ID_RULES
from errorlens._internal.reader.rules.kind import TYPE_RULES
from errorlens._internal.reader.rules.message import MESSAGE_RULES, field_map_node
from errorlens._internal.reader.rules.retry import (
    RETRY_AFTER_RULES,
    RETRYABLE_RULES,
    retryable_by_status,
    retryable_by_words,
    soap_fault_class,
)
from errorlens._internal.reader.vendors import depends_on_rules, rule_for, vendor_for_url
from errorlens._internal.scrub import pattern_count, redact_repeated, redact_url
from errorlens._internal.state import on_reset
from errorlens._internal.text import cap
from errorlens.record import ErrorRecord, FieldError

__all__ = ["build_record", "is_retryable", "strip_namespace"]

_SOAP_RETRY = frozenset({"server", "receiver"})
_MESSAGE_CAP = 2048
_NO_BODY = Body()
LazyParts = Any


def strip_namespace(code: str) -> str:
    """AWS's ``ns#Name`` and ``Name:uri`` -> ``Name`` (kept for callers of the old name)."""
    return normalised(code) or code


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
    rule = rule_for(vendor) if vendor is not None else None
    if rule is not None and code is not None:
        if code in rule.retryable_codes:
            return True
        if code in rule.permanent_codes:
            return False
    if soap_class is not None:
        return soap_class.lower() in _SOAP_RETRY
    verdict = retryable_by_words(code, type_)
    return verdict if verdict is not None else retryable_by_status(status)


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
    status = parts.status
    if type(status) is not int or not 100 <= status <= 999:
        status = _valid_status(status)
    facts = read_headers(parts.headers)
    document = decode(parts.body, facts.content_type)
    body = _NO_BODY
    if document.data is not None:
        body = read_body(document.data, xml=document.kind == "xml")
    ev = Evidence(status, facts, body, document.text, parts)
    if document.text is not None or document.reference is not None:
        ev.page = document
        ev.present |= DOC_TEXT
    ev.code = code = first(CODE_RULES, ev)
    type_ = first(TYPE_RULES, ev)
    message = first(MESSAGE_RULES, ev)
    if message is not None:
        message = message.strip()
        message = redact_repeated(
            message if len(message) <= _MESSAGE_CAP else cap(message, _MESSAGE_CAP)
        )

    url, url_vendor = _url_facts(parts.url) if parts.url else (None, None)
    vendor = parts.vendor or url_vendor or facts.vendor
    retryable = first(RETRYABLE_RULES, ev)
    if retryable is None:
        soap_class = soap_fault_class(ev) if body.xml else None
        retryable = is_retryable(status, code, type_, soap_class=soap_class, vendor=vendor)
    method = parts.method.upper()[:16] if isinstance(parts.method, str) and parts.method else None
    lazy = _later(ev, type_, message) if body.scans else None
    if parts.fields or parts.details is not None:
        lazy = _with_extras(lazy, parts.fields, parts.details)
    return ErrorRecord._deferred(
        vendor,
        status,
        code,
        type_,
        message,
        first(REQUEST_ID_RULES, ev),
        first(CORRELATION_RULES, ev),
        first(RETRY_AFTER_RULES, ev),
        retryable,
        method,
        url,
        lazy,
    )


def _later(ev: Evidence, type_: str | None, message: str | None) -> LazyParts:
    # Details and fields cost more than the rest together: built on first use.
    words = (ev.code, type_, message)

    def parts() -> tuple[Any, tuple[FieldError, ...], tuple[str, ...]]:
        value, secrets = details_value(body_details(ev.body))
        return value, read_fields(ev.body, ev.status, words, field_map_node(ev)), secrets

    return parts


# Applications call the same few endpoints: the redacted urls and their vendors are
# worth keeping. Bounded, and dropped whole when a user adds a redaction pattern
# (which changes what redaction gives). Messages go through redact_repeated's memo.
def _url_facts(url: str) -> tuple[str, str | None]:
    if len(url) > 2048:
        return _read_url(url, 0)
    return _kept_url(url, pattern_count())


def _read_url(url: str, patterns: int) -> tuple[str, str | None]:
    # ``patterns``: the count of redaction patterns, so that adding one reads anew.
    return redact_url(url), vendor_for_url(url)


_kept_url = lru_cache(maxsize=1024)(_read_url)
on_reset(_kept_url.cache_clear)
depends_on_rules(_kept_url.cache_clear)


def _with_extras(lazy: Any, fields: tuple[FieldError, ...], details: Any) -> Any:
    # The source's own fields and details complete what the body gives.
    def combined() -> tuple[Any, tuple[FieldError, ...], tuple[str, ...]]:
        body_details, body_fields, secrets = lazy() if lazy is not None else (None, (), ())
        # The body's own entry for a field wins over the source's (it has the message).
        named = {f.field for f in body_fields}
        merged = body_fields + tuple(f for f in fields if f.field not in named)
        if body_details is None and details is not None:
            body_details, secrets = details_value(details)
        return body_details, merged, secrets

    return combined

"""``api.client.errors`` and ``api.client.retry_after``, with bounded label values.

The locks here are :class:`~errorlens._internal.locks.SafeLock`: reentrant (a signal
handler that logs an API error on the thread that holds one goes through) and renewed
in a forked child (the thread that held it is gone there).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics

from errorlens._internal.locks import SafeLock
from errorlens._internal.reader.vendors import host_of
from errorlens._internal.version import VERSION
from errorlens.otel.attributes import (
    ATTR_CATEGORY,
    ATTR_CODE,
    ATTR_RETRYABLE,
    ATTR_SERVER_ADDRESS,
    ATTR_STATUS_CODE,
    ATTR_VENDOR,
    METRIC_ERRORS,
    METRIC_RETRY_AFTER,
    OTHER,
    RETRY_AFTER_BUCKETS,
)
from errorlens.record import ErrorRecord

if TYPE_CHECKING:
    from opentelemetry.util.types import AttributeValue

__all__ = [
    "SCOPE",
    "forget_instruments",
    "is_api_default",
    "normalised_code",
    "record_metrics",
    "registrable_domain",
]

SCOPE = "errorlens"
# Metric label bounds: a backend pays per series, and codes come from vendors.
_MAX_CODES_PER_VENDOR = 50
_MAX_VENDORS = 50
_MAX_LABEL_LENGTH = 64


def is_api_default(provider: object, proxy_type_name: str, noop_type: type) -> bool:
    """Whether ``provider`` is one of the API's stand-ins: nothing set yet, or no-op."""
    return isinstance(provider, noop_type) or type(provider).__name__ == proxy_type_name


class _Instruments:
    __slots__ = ("errors", "provider", "retry_after", "series", "series_lock")

    def __init__(self, provider: metrics.MeterProvider) -> None:
        meter = provider.get_meter(SCOPE, VERSION)
        self.provider = provider
        # The counter's series so far, for this provider (a new one starts with none).
        self.series: set[tuple[AttributeValue, ...]] = set()
        self.series_lock = SafeLock()
        self.errors = meter.create_counter(
            METRIC_ERRORS, unit="{error}", description="API errors received from vendors."
        )

        def histogram(**advisory: Any) -> metrics.Histogram:
            return meter.create_histogram(
                METRIC_RETRY_AFTER,
                unit="s",
                description="How long vendors asked the client to wait before retrying.",
                **advisory,
            )

        try:
            self.retry_after = histogram(explicit_bucket_boundaries_advisory=RETRY_AFTER_BUCKETS)
        except TypeError:  # opentelemetry-api < 1.23: no advisory boundaries
            self.retry_after = histogram()


_instruments: _Instruments | None = None
_instruments_lock = SafeLock()


def _current_instruments() -> _Instruments | None:
    global _instruments  # noqa: PLW0603
    provider = metrics.get_meter_provider()
    cached = _instruments
    if cached is not None and cached.provider is provider:
        return cached
    if is_api_default(provider, "_ProxyMeterProvider", metrics.NoOpMeterProvider):
        return None  # nobody reads the metrics: skip building attributes
    with _instruments_lock:
        if _instruments is None or _instruments.provider is not provider:
            _instruments = _Instruments(provider)
        return _instruments


def forget_instruments() -> None:
    """Drop the cached instruments (their provider was shut down)."""
    global _instruments  # noqa: PLW0603
    _instruments = None


# A code that carries an id ("file_<uuid>_not_found", "order_1000001_locked") is one
# code: its ids are replaced. A run of letters then a few digits (E11000, AADSTS50011,
# ORA-00942) is a code's own shape and stays.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SEGMENT = re.compile(r"[A-Za-z0-9]+")
_ID = "{id}"
# Codes of letters and separators only (rate_limit_exceeded, NoSuchKey) are what
# vendors document; others (numbers, odd mixes) share a smaller part of the budget, so
# a flood of them cannot keep a documented code that comes late out of its series.
_WORDS_ONLY = re.compile(r"[A-Za-z]+(?:[_.:\-][A-Za-z]+)*")
_MAX_OTHER_CODES_PER_VENDOR = 20


_HEX = frozenset("0123456789abcdefABCDEF")


def _id_like(segment: str) -> bool:
    digits = sum(c.isdigit() for c in segment)
    if digits == len(segment):
        return digits >= 6
    if digits == 0:
        return False
    if len(segment) >= 8 and _HEX.issuperset(segment):
        return True
    if segment.rstrip("0123456789").isalpha():  # letters, then digits: a code's shape
        return len(segment) - len(segment.rstrip("0123456789")) >= 7
    return len(segment) >= 8 and digits >= 2


def _replace_id(match: re.Match[str]) -> str:
    segment = match.group()
    return _ID if _id_like(segment) else segment


@functools.lru_cache(maxsize=4096)
def normalised_code(code: str) -> str:
    """``code`` with the ids inside it replaced by ``{id}``; a number stays a number."""
    if code.isdigit():
        return code if len(code) <= 9 else _ID
    normalised = _SEGMENT.sub(_replace_id, _UUID.sub(_ID, code))
    return code if normalised == code else normalised


class _Codes:
    """One vendor's codes: documented-shaped ones, and the rest, each with its budget."""

    __slots__ = ("others", "words")

    def __init__(self) -> None:
        self.words: set[str] = set()
        self.others: set[str] = set()

    def __contains__(self, code: str) -> bool:
        return code in self.words or code in self.others

    def admit(self, code: str) -> bool:
        if _WORDS_ONLY.fullmatch(code):
            bucket, limit = self.words, _MAX_CODES_PER_VENDOR - _MAX_OTHER_CODES_PER_VENDOR
        else:
            bucket, limit = self.others, _MAX_OTHER_CODES_PER_VENDOR
        if len(bucket) >= limit:
            return False
        bucket.add(code)
        return True


def _admitted(instruments: _Instruments, attributes: dict[str, AttributeValue]) -> bool:
    """Whether ``attributes`` name a series already kept or one that fits the bound."""
    key = tuple(attributes.values())
    if key in instruments.series:
        return True
    with instruments.series_lock:
        if len(instruments.series) >= _MAX_SERIES:
            return False
        instruments.series.add(key)
        return True


class _LabelBounds:
    """Vendors, codes and addresses seen so far; past the bounds, labels fold into
    ``_OTHER``."""

    def __init__(self) -> None:
        self.lock = SafeLock()
        self.codes_by_vendor: dict[str, _Codes] = {}
        self.addresses: dict[str, str] = {}
        self.hosts_by_domain: dict[str, int] = {}

    def known_codes(self, vendor: str | None) -> tuple[str | None, _Codes]:
        key = vendor or ""
        known = self.codes_by_vendor.get(key)
        if known is not None:
            return vendor, known
        with self.lock:
            known = self.codes_by_vendor.get(key)
            if known is not None:
                return vendor, known
            if len(self.codes_by_vendor) >= _MAX_VENDORS:
                return OTHER, self.codes_by_vendor.setdefault(OTHER, _Codes())
            return vendor, self.codes_by_vendor.setdefault(key, _Codes())

    def bounded(self, vendor: str | None, code: str | None) -> tuple[str | None, str | None]:
        if vendor is not None and len(vendor) > _MAX_LABEL_LENGTH:
            vendor = OTHER
        vendor, known = self.known_codes(vendor)
        if code is None:
            return vendor, code
        code = normalised_code(code)
        if code in known:
            return vendor, code
        if len(code) > _MAX_LABEL_LENGTH:
            return vendor, OTHER
        with self.lock:
            if code in known or known.admit(code):
                return vendor, code
        return vendor, OTHER

    def address(self, host: str) -> str:
        """The ``server.address`` label of ``host``: the host itself, but past a few
        hosts under one domain (a SaaS's customer subdomains) the domain, and past
        the bound ``_OTHER``."""
        known = self.addresses.get(host)
        if known is not None:
            return known
        with self.lock:
            known = self.addresses.get(host)
            if known is not None:
                return known
            if len(self.addresses) >= _MAX_HOSTS:
                return OTHER
            domain = registrable_domain(host)
            seen = self.hosts_by_domain.get(domain, 0)
            label = host if seen < _MAX_HOSTS_PER_DOMAIN else domain
            self.hosts_by_domain[domain] = seen + 1
            self.addresses[host] = label
            return label


# Series of the counter in all, below the SDK's default limit (2,000 per metric, past
# which it merges everything into one overflow series): each bound above holds alone,
# their product need not, and what is past this one keeps its retryable flag.
_MAX_SERIES = 1000
# Hosts kept as their own label: in all, and under one registrable domain.
_MAX_HOSTS = 200
_MAX_HOSTS_PER_DOMAIN = 8
# Second-level labels under which a country's registrable domains sit (example.co.uk).
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "edu", "ac", "ne", "or"})


def registrable_domain(host: str) -> str:
    """``tenant42.saas-example.com`` -> ``saas-example.com`` (``*.co.uk`` kept whole);
    an IP address or a one- or two-label host is itself."""
    labels = host.split(".")
    if len(labels) <= 2 or host.replace(".", "").isdigit() or ":" in host:
        return host
    keep = 3 if labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2 else 2
    return ".".join(labels[-keep:])


_labels = _LabelBounds()


def _metric_attributes(record: ErrorRecord, instruments: _Instruments) -> dict[str, AttributeValue]:
    vendor, code = _labels.bounded(record.vendor, record.code)
    status = record.status
    # The category: a dozen values, a bounded label whatever the vendors send.
    attributes: dict[str, AttributeValue] = {
        ATTR_RETRYABLE: record.retryable,
        ATTR_CATEGORY: record.category,
    }
    if vendor is not None:
        attributes[ATTR_VENDOR] = vendor
    else:
        # No vendor name: the upstream's address keeps internal services apart.
        host = host_of(record.url)
        if host:
            attributes[ATTR_SERVER_ADDRESS] = _labels.address(host)
    if code is not None:
        attributes[ATTR_CODE] = code
    if status is not None and 100 <= status <= 999:
        attributes[ATTR_STATUS_CODE] = status
    if not _admitted(instruments, attributes):
        return {ATTR_RETRYABLE: record.retryable, ATTR_VENDOR: OTHER, ATTR_CODE: OTHER}
    return attributes


def record_metrics(record: ErrorRecord) -> None:
    """One more ``api.client.errors``; the vendor's wait in ``api.client.retry_after``."""
    instruments = _current_instruments()
    if instruments is None:
        return
    attributes = _metric_attributes(record, instruments)
    instruments.errors.add(1, attributes)
    retry_after = record.retry_after
    if retry_after is not None and retry_after >= 0:
        instruments.retry_after.record(
            float(retry_after),
            {
                k: v
                for k, v in attributes.items()
                if k in (ATTR_VENDOR, ATTR_CODE, ATTR_SERVER_ADDRESS, ATTR_CATEGORY)
            },
        )

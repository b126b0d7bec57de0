"""``api.client.errors`` and ``api.client.retry_after``, with bounded label values.

The locks here are :class:`~errorlens._internal.locks.SafeLock`: reentrant (a signal
handler that logs an API error on the thread that holds one goes through) and renewed
in a forked child (the thread that held it is gone there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry import metrics

from errorlens._internal.locks import SafeLock
from errorlens._internal.version import VERSION
from errorlens.otel.attributes import (
    ATTR_CATEGORY,
    ATTR_CODE,
    ATTR_RETRYABLE,
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

__all__ = ["SCOPE", "forget_instruments", "is_api_default", "record_metrics"]

SCOPE = "errorlens"
# Metric label bounds: a backend pays per series, and codes come from vendors.
_MAX_CODES_PER_VENDOR = 50
_MAX_VENDORS = 50
_MAX_LABEL_LENGTH = 64


def is_api_default(provider: object, proxy_type_name: str, noop_type: type) -> bool:
    """Whether ``provider`` is one of the API's stand-ins: nothing set yet, or no-op."""
    return isinstance(provider, noop_type) or type(provider).__name__ == proxy_type_name


class _Instruments:
    __slots__ = ("errors", "provider", "retry_after")

    def __init__(self, provider: metrics.MeterProvider) -> None:
        meter = provider.get_meter(SCOPE, VERSION)
        self.provider = provider
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


class _LabelBounds:
    """Vendors and codes seen so far; past the bounds, labels fold into ``_OTHER``."""

    def __init__(self) -> None:
        self.lock = SafeLock()
        self.codes_by_vendor: dict[str, set[str]] = {}

    def known_codes(self, vendor: str | None) -> tuple[str | None, set[str]]:
        key = vendor or ""
        known = self.codes_by_vendor.get(key)
        if known is not None:
            return vendor, known
        with self.lock:
            known = self.codes_by_vendor.get(key)
            if known is not None:
                return vendor, known
            if len(self.codes_by_vendor) >= _MAX_VENDORS:
                return OTHER, self.codes_by_vendor.setdefault(OTHER, set())
            return vendor, self.codes_by_vendor.setdefault(key, set())

    def bounded(self, vendor: str | None, code: str | None) -> tuple[str | None, str | None]:
        if vendor is not None and len(vendor) > _MAX_LABEL_LENGTH:
            vendor = OTHER
        vendor, known = self.known_codes(vendor)
        if code is None or code in known:
            return vendor, code
        if len(code) > _MAX_LABEL_LENGTH:
            return vendor, OTHER
        with self.lock:
            if code in known:
                return vendor, code
            if len(known) >= _MAX_CODES_PER_VENDOR:
                return vendor, OTHER
            known.add(code)
        return vendor, code


_labels = _LabelBounds()


def _metric_attributes(record: ErrorRecord) -> dict[str, AttributeValue]:
    vendor, code = _labels.bounded(record.vendor, record.code)
    status = record.status
    # The category: a dozen values, a bounded label whatever the vendors send.
    attributes: dict[str, AttributeValue] = {
        ATTR_RETRYABLE: record.retryable,
        ATTR_CATEGORY: record.category,
    }
    if vendor is not None:
        attributes[ATTR_VENDOR] = vendor
    if code is not None:
        attributes[ATTR_CODE] = code
    if status is not None and 100 <= status <= 999:
        attributes[ATTR_STATUS_CODE] = status
    return attributes


def record_metrics(record: ErrorRecord) -> None:
    """One more ``api.client.errors``; the vendor's wait in ``api.client.retry_after``."""
    instruments = _current_instruments()
    if instruments is None:
        return
    attributes = _metric_attributes(record)
    instruments.errors.add(1, attributes)
    retry_after = record.retry_after
    if retry_after is not None and retry_after >= 0:
        instruments.retry_after.record(
            float(retry_after),
            {k: v for k, v in attributes.items() if k in (ATTR_VENDOR, ATTR_CODE, ATTR_CATEGORY)},
        )

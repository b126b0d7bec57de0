"""``api.client.errors`` keeps bounded cardinality by design, with the real OTel SDK.

Ids inside codes are normalised, customer hosts fold into their domain, a flood of odd
codes cannot starve a real code that comes late, and an unnamed vendor's upstreams keep
their own series by ``server.address``.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import require, reset_otel_globals

require("opentelemetry.sdk")

from opentelemetry import metrics  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402

import errorlens  # noqa: E402
from errorlens import otel  # noqa: E402

SERVER_ADDRESS = "server.address"
OVERFLOW = "otel.metric.overflow"


@pytest.fixture
def reader() -> Iterator[InMemoryMetricReader]:
    reset_otel_globals()
    found = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[found])
    metrics.set_meter_provider(provider)
    yield found
    provider.shutdown()
    reset_otel_globals()


def _points(reader: InMemoryMetricReader, name: str = otel.METRIC_ERRORS) -> list[Any]:
    data = reader.get_metrics_data()
    found: list[Any] = []
    for resource_metrics in data.resource_metrics if data is not None else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                if metric.name == name:
                    found.extend(metric.data.data_points)
    return found


def _record(status: int, code: str, url: str) -> None:
    body = {"error": {"code": code, "message": "failed"}}
    errorlens.record_error(errorlens.from_http(status, {}, body, url=url))


def test_ids_inside_codes_are_normalised(reader: InMemoryMetricReader) -> None:
    url = "https://api.openai.com/v1/files"
    for n in range(5000):
        shape = n % 3
        if shape == 0:
            code = f"file_{uuid.UUID(int=n + 1)}_not_found"
        elif shape == 1:
            code = f"order_{1_000_000 + n}_locked"
        else:
            code = f"quota_exceeded_for_{(n * 2654435761) % 2**48:012x}"
        _record(404, code, url)
    points = [p for p in _points(reader) if p.attributes.get(otel.ATTR_VENDOR) == "openai"]
    counts = Counter({p.attributes[otel.ATTR_CODE]: p.value for p in points})
    assert sum(counts.values()) == 5000
    assert len(points) <= 5, counts
    assert not any(OVERFLOW in p.attributes for p in points)


def test_a_real_code_that_comes_after_a_flood_keeps_its_name(
    reader: InMemoryMetricReader,
) -> None:
    url = "https://api.anthropic.com/v1/messages"
    # Codes unlike each other and unlike ids: the vendor's budget for them fills up.
    for n in range(400):
        _record(400, f"E{n}x{n % 7}", url)
    _record(429, "rate_limit_exceeded", url)
    _record(429, "rate_limit_exceeded", url)
    late = [
        p
        for p in _points(reader)
        if p.attributes.get(otel.ATTR_VENDOR) == "anthropic"
        and p.attributes.get(otel.ATTR_CODE) == "rate_limit_exceeded"
    ]
    assert [p.value for p in late] == [2]


def test_customer_hosts_fold_into_their_domain(reader: InMemoryMetricReader) -> None:
    for n in range(60):
        for code in ("invalid_request", "not_found", "conflict"):
            for status in (400, 404, 409, 422, 500, 502):
                _record(status, code, f"https://tenant{n}.saas.example.com/api/v2/items")
    points = _points(reader)
    addresses = {p.attributes.get(SERVER_ADDRESS) for p in points}
    assert "example.com" in addresses  # the registrable domain of the tenants
    assert len(addresses) <= 12, addresses
    assert len(points) <= 250
    assert not any(OVERFLOW in p.attributes for p in points)
    assert sum(p.value for p in points) == 60 * 3 * 6


def test_an_unnamed_vendors_upstreams_keep_their_own_series(
    reader: InMemoryMetricReader,
) -> None:
    _record(503, "unavailable", "http://billing.internal:8080/v1/invoices")
    _record(503, "unavailable", "http://inventory.internal:8080/v1/items")
    _record(503, "unavailable", "http://inventory.internal:8080/v1/items")
    by_address = {p.attributes.get(SERVER_ADDRESS): p.value for p in _points(reader)}
    assert by_address == {"billing.internal": 1, "inventory.internal": 2}
    # A named vendor is its own label: no address beside it.
    _record(429, "rate_limit_exceeded", "https://api.openai.com/v1/chat/completions")
    named = [p for p in _points(reader) if p.attributes.get(otel.ATTR_VENDOR) == "openai"]
    assert named and all(SERVER_ADDRESS not in p.attributes for p in named)


def test_series_stay_under_the_sdks_limit_whatever_the_mix(
    reader: InMemoryMetricReader,
) -> None:
    # Each bound alone holds (12 vendors, 30 documented-shaped codes each, six
    # statuses); together they would pass the SDK's 2,000 series and its overflow.
    words = [f"{a}_{b}" for a in ("bad", "no", "too", "over") for b in "abcdefgh"][:30]
    total = 0
    for vendor in range(12):
        for code in words:
            for status in (400, 403, 404, 409, 422, 500):
                errorlens.record_error(
                    errorlens.ErrorRecord(vendor=f"mix{vendor}", status=status, code=code)
                )
                total += 1
    points = [
        p
        for p in _points(reader)
        if str(p.attributes.get(otel.ATTR_VENDOR, "")).startswith(("mix", "_"))
    ]
    assert len(points) <= 1002
    assert not any(OVERFLOW in p.attributes for p in _points(reader))
    assert sum(p.value for p in points) == total

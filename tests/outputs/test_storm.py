"""Error storms: the first lines of each (vendor, code) per window in full, then one
summary line with the count; metrics stay exact."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import structlog

import errorlens
from conftest import reset_otel_globals, standalone_structlog, stripe_decline
from errorlens._internal import storm
from errorlens._internal.events import ErrorEvent, add_sink, remove_sink
from errorlens._internal.policy import DROP


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def log_errors(log: Any, count: int, code: str = "card_declined", prefix: str = "req_") -> None:
    for i in range(count):
        try:
            raise stripe_decline(f"{prefix}{i}", code)
        except requests.HTTPError:
            log.exception("charge failed")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def metrics() -> Iterator[Any]:
    from opentelemetry import metrics as otel_metrics
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    reset_otel_globals()
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    otel_metrics.set_meter_provider(provider)
    yield reader
    provider.shutdown()
    reset_otel_globals()


def counts(reader: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == errorlens.otel.METRIC_ERRORS:
                    for point in metric.data.data_points:
                        code = str(point.attributes[errorlens.otel.ATTR_CODE])
                        found[code] = found.get(code, 0) + point.value
    return found


@pytest.fixture
def configured_storm(clock: Clock) -> Iterator[io.StringIO]:
    out = io.StringIO()
    errorlens.configure(json=True, stream=out)
    storm.set_current(errorlens.StormPolicy(lines=3, window=10.0), clock=clock)
    yield out
    errorlens.unconfigure()


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_first_lines_in_full_then_one_summary_with_exact_counts(
    configured_storm: io.StringIO, clock: Clock, metrics: Any
) -> None:
    log = structlog.get_logger("shop")
    log_errors(log, 50)
    log_errors(logging.getLogger("shop.refunds"), 2, code="expired_card", prefix="exp_")
    written = lines(configured_storm)
    assert [line["api_error"]["request_id"] for line in written] == [
        "req_0",
        "req_1",
        "req_2",
        "exp_0",
        "exp_1",
    ]
    assert counts(metrics) == {"card_declined": 50, "expired_card": 2}

    clock.now += 10.0  # the window closes; the next line writes its summary first
    log_errors(log, 1, prefix="next_")
    summary, after = lines(configured_storm)[5:]
    assert summary["event"] == storm.SUMMARY_EVENT
    assert summary["level"] == "warning"
    assert summary["storm"] == {
        "vendor": "stripe",
        "code": "card_declined",
        "suppressed": 47,
        "total": 50,
        "window_seconds": 10.0,
        "first_request_id": "req_3",
        "last_request_id": "req_49",
    }
    assert after["api_error"]["request_id"] == "next_0"  # a new window: in full
    assert counts(metrics) == {"card_declined": 51, "expired_card": 2}


def test_the_summary_is_written_at_shutdown(clock: Clock) -> None:
    out = io.StringIO()
    errorlens.configure(json=True, stream=out)
    storm.set_current(errorlens.StormPolicy(lines=1, window=60.0), clock=clock)
    log_errors(logging.getLogger("shop"), 4)
    assert len(lines(out)) == 1
    errorlens.unconfigure()
    summary = lines(out)[-1]
    assert summary["storm"]["suppressed"] == 3
    assert summary["storm"]["last_request_id"] == "req_3"


def test_storm_none_writes_every_line() -> None:
    out = io.StringIO()
    errorlens.configure(json=True, stream=out, storm=None)
    try:
        log_errors(structlog.get_logger("shop"), 30)
    finally:
        errorlens.unconfigure()
    assert len(lines(out)) == 30


def test_summarised_lines_reach_no_sink_as_lines_but_every_sink_counts_them(
    configured_storm: io.StringIO,
) -> None:
    levels: list[int] = []

    def sink(event: ErrorEvent) -> None:
        levels.append(event.level)

    add_sink(sink)
    try:
        log_errors(logging.getLogger("shop"), 5)
    finally:
        remove_sink(sink)
    # Each error reaches the sinks once (metrics, spans); Sentry skips the DROP ones.
    assert levels == [logging.ERROR] * 3 + [DROP] * 2


def test_a_structlog_chain_of_its_own(clock: Clock) -> None:
    storm.set_current(errorlens.StormPolicy(lines=2, window=5.0), clock=clock)
    out = io.StringIO()
    log = standalone_structlog(out)
    try:
        log_errors(log, 5)
        assert len(out.getvalue().splitlines()) == 2
        clock.now += 5.0
        with structlog.testing.capture_logs() as captured:
            log_errors(log, 1, prefix="later_")
    finally:
        storm.set_current(errorlens.StormPolicy())
    (summary,) = [c for c in captured if c["event"] == storm.SUMMARY_EVENT]
    assert summary["storm"]["suppressed"] == 3
    assert (summary["storm"]["first_request_id"], summary["storm"]["last_request_id"]) == (
        "req_2",
        "req_4",
    )

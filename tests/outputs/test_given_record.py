"""The aiohttp pattern: a record built with ``from_http`` and logged as ``api_error``
(``record.as_dict()`` or the record itself) reaches the span, the metric and Sentry as
a logged exception does. Real OTel SDK."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from conftest import require, reset_otel_globals

require("opentelemetry.sdk")

from opentelemetry import metrics, trace  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

import errorlens  # noqa: E402
from errorlens import otel  # noqa: E402

CARD_DECLINED = (
    b'{"error": {"type": "card_error", "code": "card_declined",'
    b' "message": "Your card was declined."}}'
)


class Sdk:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.providers = (tracer_provider, MeterProvider(metric_readers=[self.reader]))
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(self.providers[1])
        self.tracer = trace.get_tracer("tests")

    def errors_counted(self, code: str) -> int:
        data = self.reader.get_metrics_data()
        total = 0
        for resource_metrics in data.resource_metrics if data is not None else ():
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    if metric.name == otel.METRIC_ERRORS:
                        total += sum(
                            int(p.value)
                            for p in metric.data.data_points
                            if p.attributes.get(otel.ATTR_CODE) == code
                        )
        return total

    def span_events(self) -> list[Any]:
        return [event for span in self.spans.get_finished_spans() for event in span.events]


@pytest.fixture
def sdk(configured: io.StringIO) -> Iterator[Sdk]:
    reset_otel_globals()
    installed = Sdk()
    yield installed
    for provider in installed.providers:
        provider.shutdown()
    reset_otel_globals()


def _record() -> errorlens.ErrorRecord:
    return errorlens.from_http(
        402,
        {"Request-Id": "req_aio"},
        CARD_DECLINED,
        url="https://api.stripe.com/v1/charges",
        method="POST",
    )


@pytest.mark.parametrize("given", ["as_dict", "record"])
def test_structlog_line_with_a_given_record_reaches_every_output(
    sdk: Sdk, configured: io.StringIO, given: str
) -> None:
    record = _record()
    value = record.as_dict() if given == "as_dict" else record
    with sdk.tracer.start_as_current_span("charge"):
        structlog.get_logger("billing").error("charge failed", api_error=value)
    assert sdk.errors_counted("card_declined") == 1
    [event] = sdk.span_events()
    assert event.attributes[otel.ATTR_CODE] == "card_declined"
    assert '"code": "card_declined"' in configured.getvalue()


def test_stdlib_line_with_a_given_record_reaches_every_output(
    sdk: Sdk, configured: io.StringIO
) -> None:
    with sdk.tracer.start_as_current_span("charge"):
        logging.getLogger("billing").error(
            "charge failed", extra={"api_error": _record().as_dict()}
        )
    assert sdk.errors_counted("card_declined") == 1
    assert len(sdk.span_events()) == 1


def test_retry_lines_are_not_counted_twice(sdk: Sdk, loopback: Any) -> None:
    tenacity = require("tenacity")
    httpx = require("httpx")
    from errorlens import retry

    loopback.respond(402, {"Request-Id": "req_r"}, CARD_DECLINED)
    calls: list[int] = []

    def charge() -> None:
        calls.append(1)
        httpx.post(loopback.url + "/v1/charges", timeout=5).raise_for_status()

    with pytest.raises(httpx.HTTPStatusError):
        tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(httpx.HTTPStatusError),
            after=retry.after,
            stop=tenacity.stop_after_attempt(2),
            sleep=lambda seconds: None,
            reraise=True,
        )(charge)
    assert sdk.errors_counted("card_declined") == len(calls) == 2

"""errorlens.otel.response_hook in the real OpenTelemetry HTTP client instrumentations.

Each instrumentation makes its CLIENT span; the facts must be on that span (its
``exception`` event and ``api_error.*`` attributes), counted once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import _capture
import aiohttp
import httpx
import pytest
import requests
import urllib3
from _capture import DECLINED
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.instrumentation.urllib3 import URLLib3Instrumentor
from opentelemetry.trace import SpanKind

import errorlens
from errorlens import otel

server, sdk, undo_capture = _capture.server, _capture.sdk, _capture.undo_capture

pytestmark = pytest.mark.integration


@pytest.fixture
def instrumented(sdk) -> Iterator[list[Any]]:
    used: list[Any] = []
    yield used
    for instrumentor in used:
        instrumentor.uninstrument()


def _instrument(used: list[Any], instrumentor: Any, sdk: Any, **hooks: Any) -> None:
    instrumentor.instrument(tracer_provider=sdk.tracer_provider, **hooks)
    used.append(instrumentor)


def _client_span(sdk: Any) -> Any:
    [span] = [s for s in sdk.spans.get_finished_spans() if s.kind is SpanKind.CLIENT]
    return span


def _assert_on_client_span(sdk: Any, code: str | None, status: int) -> None:
    span = _client_span(sdk)
    [event] = [e for e in span.events if e.name == "exception"]
    assert event.attributes.get("api_error.code") == code
    assert span.attributes["http.response.status_code"] == status
    assert sdk.error_count() == 1


def test_httpx_sync_and_async(server, sdk, instrumented) -> None:
    url = server.route("/charge", 402, DECLINED, x_request_id="req_1")
    _instrument(
        instrumented,
        HTTPXClientInstrumentor(),
        sdk,
        response_hook=otel.response_hook,
        async_response_hook=otel.async_response_hook,
    )
    with httpx.Client() as client:
        client.get(url)
    # The body is still on the wire when the span ends: status and headers.
    span = _client_span(sdk)
    [event] = [e for e in span.events if e.name == "exception"]
    assert event.attributes["api_error.request_id"] == "req_1"
    assert span.attributes["http.response.status_code"] == 402
    assert sdk.error_count() == 1

    async def call() -> None:
        async with httpx.AsyncClient() as client:
            await client.get(url)

    asyncio.run(call())
    assert sdk.error_count() == 2
    assert len(sdk.exception_events()) == 2


def test_httpx_hook_and_client_capture_record_once(server, sdk, instrumented) -> None:
    url = server.route("/charge", 402, DECLINED)
    _instrument(instrumented, HTTPXClientInstrumentor(), sdk, response_hook=otel.response_hook)
    errorlens.instrument_httpx()
    with httpx.Client() as client:
        try:
            client.get(url).raise_for_status()
        except httpx.HTTPStatusError as exc:
            errorlens.record_error(exc)
    assert sdk.error_count() == 1
    assert len(sdk.exception_events()) == 1


def test_requests(server, sdk, instrumented) -> None:
    url = server.route("/charge", 402, DECLINED)
    _instrument(instrumented, RequestsInstrumentor(), sdk, response_hook=otel.response_hook)
    requests.get(url, timeout=5)
    _assert_on_client_span(sdk, "card_declined", 402)


def test_urllib3(server, sdk, instrumented) -> None:
    url = server.route("/charge", 429, {"error": {"code": "rate_limited"}}, retry_after="2")
    _instrument(instrumented, URLLib3Instrumentor(), sdk, response_hook=otel.response_hook)
    with urllib3.PoolManager() as pool:
        assert pool.request("GET", url).status == 429
    _assert_on_client_span(sdk, "rate_limited", 429)


def test_aiohttp_client(server, sdk, instrumented) -> None:
    url = server.route("/charge", 503, {"error": {"code": "overloaded"}}, x_request_id="req_2")
    _instrument(instrumented, AioHttpClientInstrumentor(), sdk, response_hook=otel.response_hook)

    async def call() -> None:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            await response.read()

    asyncio.run(call())
    span = _client_span(sdk)
    [event] = [e for e in span.events if e.name == "exception"]
    assert event.attributes["api_error.request_id"] == "req_2"
    assert sdk.error_count() == 1


def test_success_adds_nothing(server, sdk, instrumented) -> None:
    url = server.route("/ok", 200, {"data": 1})
    _instrument(instrumented, RequestsInstrumentor(), sdk, response_hook=otel.response_hook)
    requests.get(url, timeout=5)
    assert _client_span(sdk).events == ()
    assert sdk.error_count() == 0

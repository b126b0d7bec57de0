"""One error, one count: capture at the client, then the application logs the same failure.

Real httpx against a loopback vendor, the real OpenTelemetry SDK in memory, and the real
sentry-sdk sending over HTTP to a loopback receiver.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import _capture
import aiohttp
import httpx
import pytest
import requests
import sentry_sdk
from _capture import DECLINED, capture_lines
from sentry_sdk.integrations.logging import LoggingIntegration

import errorlens
from _sentry_server import SentryReceiver
from errorlens import sentry as errorlens_sentry

server, lines, sdk, undo_capture = (
    _capture.server,
    _capture.lines,
    _capture.sdk,
    _capture.undo_capture,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def receiver() -> Iterator[SentryReceiver]:
    with SentryReceiver() as received:
        yield received


@pytest.fixture(autouse=True)
def fresh_sentry() -> Iterator[None]:
    yield
    errorlens_sentry.teardown()
    client = sentry_sdk.get_client()
    if client.is_active():
        client.close(timeout=2)
    sentry_sdk.Scope.get_global_scope().set_client(None)
    for scope in (
        sentry_sdk.Scope.get_global_scope(),
        sentry_sdk.Scope.get_isolation_scope(),
        sentry_sdk.Scope.get_current_scope(),
    ):
        scope.clear()


@pytest.fixture
def attached() -> Iterator[logging.Logger]:
    log = logging.getLogger("shop")
    errorlens.attach(log)
    yield log
    errorlens.detach(log)


def _sentry(receiver: SentryReceiver, logging_integration: bool) -> None:
    integrations: list[Any] = []
    if logging_integration:
        integrations.append(LoggingIntegration(level=logging.INFO, event_level=logging.ERROR))
    errorlens_sentry.setup(
        receiver.dsn, default_integrations=False, integrations=integrations, shutdown_timeout=1
    )


def _events(receiver: SentryReceiver, expected: int) -> list[dict[str, Any]]:
    sentry_sdk.flush(timeout=5)
    found = receiver.wait_for_events(expected, timeout=5)
    assert len(found) == expected, [e.get("logentry") for e in found]
    return found


@pytest.mark.parametrize("logging_integration", [False, True])
def test_httpx_raise_for_status_then_log_exception_is_one_error(
    server, sdk, receiver, attached, lines, logging_integration
) -> None:
    url = server.route("/charge", 402, DECLINED, x_request_id="req_7")
    _sentry(receiver, logging_integration)
    errorlens.instrument_httpx(correlation_header="x-correlation-id")
    with sdk.tracer.start_as_current_span("checkout"):
        try:
            httpx.post(url).raise_for_status()
        except httpx.HTTPStatusError:
            attached.exception("charge failed")
    assert sdk.error_count() == 1
    assert len(sdk.exception_events()) == 1
    [event] = _events(receiver, 1)
    assert event["level"] == "error"
    assert event["contexts"]["api_error"]["code"] == "card_declined"
    # The application's own line still carries the facts.
    [app_line] = [r for r in lines if r.name == "shop"]
    assert app_line.api_error["code"] == "card_declined"
    # The same record as the capture's: the correlation id that went out included.
    sent = server.seen[-1][1]["x-correlation-id"]
    assert app_line.api_error["correlation_id"] == sent
    assert event["contexts"]["api_error"]["correlation_id"] == sent
    assert len(capture_lines(lines)) == 1


def test_requests_raise_for_status_then_log_exception_is_one_error(server, sdk, attached) -> None:
    url = server.route("/charge", 402, DECLINED)
    errorlens.instrument_requests()
    with sdk.tracer.start_as_current_span("checkout"):
        try:
            requests.post(url, timeout=5).raise_for_status()
        except requests.HTTPError:
            attached.exception("charge failed")
    assert sdk.error_count() == 1
    assert len(sdk.exception_events()) == 1


@pytest.mark.parametrize("session_raises", [False, True])
def test_aiohttp_raise_for_status_then_log_exception_is_one_error(
    server, sdk, attached, session_raises
) -> None:
    # aiohttp's ClientResponseError keeps no response, only its headers: those match.
    url = server.route("/charge", 402, DECLINED)
    errorlens.instrument_aiohttp()

    async def call() -> None:
        async with aiohttp.ClientSession(raise_for_status=session_raises) as session:
            try:
                async with session.post(url) as response:
                    response.raise_for_status()
            except aiohttp.ClientResponseError:
                attached.exception("charge failed")

    with sdk.tracer.start_as_current_span("checkout"):
        asyncio.run(call())
    assert sdk.error_count() == 1
    assert len(sdk.exception_events()) == 1


def test_streamed_error_logged_before_its_body_is_read_is_one_error(server, sdk, attached) -> None:
    # The application logs while the response is still open: its line records the
    # error, and closing the response later sends nothing more.
    url = server.route("/charge", 402, DECLINED)
    errorlens.instrument_httpx()
    with sdk.tracer.start_as_current_span("checkout"), httpx.Client() as client:
        with client.stream("POST", url) as response:
            try:
                response.raise_for_status()
            except httpx.HTTPStatusError:
                attached.exception("charge failed")
    assert sdk.error_count() == 1
    assert len(sdk.exception_events()) == 1


def test_swallowed_error_is_still_recorded(server, sdk) -> None:
    # Nobody logs it: capture alone puts it on the span and the counter.
    url = server.route("/charge", 503, {"error": {"code": "unavailable"}})
    errorlens.instrument_httpx()
    with sdk.tracer.start_as_current_span("checkout"):
        httpx.get(url)
    assert sdk.error_count() == 1
    [event] = sdk.exception_events()
    assert event.attributes["api_error.code"] == "unavailable"


def test_swallowed_error_is_a_sentry_breadcrumb_not_an_event(server, receiver) -> None:
    # WARNING by default: the application may still handle it. The next event it sends
    # carries the error as a breadcrumb.
    url = server.route("/charge", 429, {"error": {"code": "rate_limited"}})
    _sentry(receiver, logging_integration=False)
    errorlens.instrument_httpx()
    httpx.get(url)
    sentry_sdk.capture_message("checkout gave up")
    [event] = _events(receiver, 1)
    assert (event.get("message") or event["logentry"]["message"]) == "checkout gave up"
    crumbs = event["breadcrumbs"]["values"]
    assert any("rate_limited" in (crumb.get("message") or "") for crumb in crumbs), crumbs


def test_nothing_is_kept_alive(server) -> None:
    # Capture remembers responses weakly: once the application lets go of a response
    # and of the exception that holds it, both are gone. (A logger of its own: pytest's
    # log capture keeps records, and their exceptions.)
    import gc
    import weakref

    attached = logging.getLogger("kept")
    attached.propagate = False
    attached.addHandler(logging.NullHandler())
    errorlens.attach(attached)

    url = server.route("/charge", 402, DECLINED)
    errorlens.instrument_httpx()
    refs = []
    with httpx.Client() as client:
        for streamed in (False, True):
            try:
                if streamed:
                    with client.stream("POST", url) as response:
                        response.raise_for_status()
                else:
                    response = client.post(url)
                    response.raise_for_status()
            except httpx.HTTPStatusError as exc:
                attached.exception("charge failed")
                refs.append(weakref.ref(exc))
            refs.append(weakref.ref(response))
            del response
        try:
            client.get(server.url + "/stall", timeout=0.2)
        except httpx.ReadTimeout as exc:
            refs.append(weakref.ref(exc))
    errorlens.detach(attached)
    gc.collect()
    assert [ref() for ref in refs] == [None] * 5


def test_record_error_of_a_captured_response_counts_once(server, sdk) -> None:
    url = server.route("/charge", 402, DECLINED)
    errorlens.instrument_httpx()
    with sdk.tracer.start_as_current_span("checkout"):
        response = httpx.post(url)
        record = errorlens.record_error(response)
    assert record is not None and record.code == "card_declined"
    assert sdk.error_count() == 1
    assert len(sdk.exception_events()) == 1


def test_unconfigure_forgets_the_captured_responses(server) -> None:
    # Module state lives in one place, reset by unconfigure() (and after fork).
    from errorlens._internal import events

    url = server.route("/charge", 402, DECLINED)
    errorlens.instrument_httpx()
    response = httpx.post(url)
    error = httpx.HTTPStatusError("x", request=response.request, response=response)
    assert events.captured_record(error) is not None
    errorlens.unconfigure()
    assert events._responses == {}

"""errorlens.retry with real tenacity and stamina against a loopback vendor.

The vendor answers 429 with a wait, then 200. Waits are captured through tenacity's
``sleep`` hook (the test never sleeps): each must be the vendor's ``retry_after``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
import structlog

from _servers import LoopbackServer
from conftest import require
from errorlens import retry

RATE_LIMITED = {
    "error": {
        "type": "requests",
        "code": "rate_limit_exceeded",
        "message": "Rate limit reached for requests.",
    }
}


def _recovering_sleep(
    server: LoopbackServer, waits: list[float], after: int
) -> Callable[[float], None]:
    """A tenacity ``sleep`` that records the wait and lets the vendor recover after ``after``."""

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) >= after:
            server.respond(200, {"Content-Type": "application/json"}, {"ok": True})

    return sleep


def _get(url: str) -> Any:
    httpx = require("httpx")
    response = httpx.get(url, timeout=5)
    response.raise_for_status()
    return response.json()


def test_tenacity_waits_the_vendors_retry_after_and_logs_each_attempt(
    loopback: LoopbackServer,
) -> None:
    tenacity = require("tenacity")
    loopback.respond(429, {"Retry-After": "3", "x-request-id": "req_42"}, RATE_LIMITED)
    waits: list[float] = []
    retrying = tenacity.Retrying(
        retry=retry.retry_if_retryable,
        wait=retry.wait_retry_after(fallback=tenacity.wait_fixed(0.01)),
        before_sleep=retry.before_sleep,
        after=retry.after,
        stop=tenacity.stop_after_attempt(5),
        sleep=_recovering_sleep(loopback, waits, after=2),
    )
    with structlog.testing.capture_logs() as logs:
        assert retrying(_get, loopback.url + "/v1/models") == {"ok": True}

    assert waits == [3.0, 3.0]
    failed = [line for line in logs if line["event"] == "api call attempt failed"]
    retrying_lines = [line for line in logs if line["event"] == "api call failed, retrying"]
    assert [line["attempt"] for line in failed] == [1, 2]
    assert [line["attempt"] for line in retrying_lines] == [1, 2]
    assert [line["wait"] for line in retrying_lines] == [3.0, 3.0]
    for line in failed + retrying_lines:
        assert line["log_level"] == "warning"
        assert line["function"] == "_get"
        api_error = line["api_error"]
        assert api_error["status"] == 429
        assert api_error["code"] == "rate_limit_exceeded"
        assert api_error["request_id"] == "req_42"
        assert api_error["retry_after"] == 3.0
        assert api_error["retryable"] is True


def _waits_until_recovered(server: LoopbackServer, wait: Any, failures: int) -> list[float]:
    """The waits tenacity takes with ``wait`` while ``server`` fails ``failures`` times."""
    tenacity = require("tenacity")
    waits: list[float] = []
    tenacity.Retrying(
        retry=retry.retry_if_retryable,
        wait=wait,
        stop=tenacity.stop_after_attempt(failures + 1),
        sleep=_recovering_sleep(server, waits, after=failures),
    )(_get, server.url)
    return waits


def test_retry_after_ms_and_a_cap(loopback: LoopbackServer) -> None:
    loopback.respond(429, {"retry-after-ms": "1400"}, RATE_LIMITED)
    assert _waits_until_recovered(loopback, retry.wait_retry_after(), failures=1) == [1.4]

    loopback.respond(503, {"Retry-After": "3600"}, b"busy")
    capped = retry.wait_retry_after(max_wait=10)
    assert _waits_until_recovered(loopback, capped, failures=1) == [10.0]


def test_without_a_vendor_wait_the_fallback_waits(loopback: LoopbackServer) -> None:
    tenacity = require("tenacity")
    loopback.respond(503, {"Content-Type": "text/plain"}, b"upstream busy")
    fixed = retry.wait_retry_after(fallback=tenacity.wait_fixed(0.25))
    assert _waits_until_recovered(loopback, fixed, failures=2) == [0.25, 0.25]
    # The built-in fallback doubles from half a second.
    loopback.respond(503, {}, b"busy")
    assert _waits_until_recovered(loopback, retry.wait_retry_after(), failures=3) == [
        0.5,
        1.0,
        2.0,
    ]


def test_a_permanent_error_is_not_retried(loopback: LoopbackServer) -> None:
    tenacity = require("tenacity")
    httpx = require("httpx")
    loopback.respond(
        402, {"Request-Id": "req_9"},
        {"error": {"type": "card_error", "code": "card_declined", "message": "declined"}},
    )  # fmt: skip
    waits: list[float] = []
    retrying = tenacity.Retrying(
        retry=retry.retry_if_retryable,
        wait=retry.wait_retry_after(),
        after=retry.after,
        before_sleep=retry.before_sleep,
        stop=tenacity.stop_after_attempt(5),
        sleep=waits.append,
        reraise=True,
    )
    with structlog.testing.capture_logs() as logs, pytest.raises(httpx.HTTPStatusError):
        retrying(_get, loopback.url)
    assert waits == []
    # tenacity calls neither hook when it does not retry: the caller logs the failure.
    assert logs == []


def test_a_stdlib_logger_gets_the_facts_as_extra(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    tenacity = require("tenacity")
    loopback.respond(429, {"Retry-After": "2"}, RATE_LIMITED)
    logger = logging.getLogger("shop.retry")
    waits: list[float] = []
    with caplog.at_level(logging.INFO, logger="shop.retry"):
        tenacity.Retrying(
            retry=retry.retry_if_retryable,
            wait=retry.wait_retry_after(),
            before_sleep=retry.log_before_sleep(logger, logging.INFO),
            stop=tenacity.stop_after_attempt(3),
            sleep=_recovering_sleep(loopback, waits, after=1),
        )(_get, loopback.url)
    [record] = [r for r in caplog.records if r.name == "shop.retry"]
    assert record.levelno == logging.INFO
    assert record.getMessage() == "api call failed, retrying"
    assert record.__dict__["wait"] == 2.0 and record.__dict__["attempt"] == 1
    assert record.__dict__["api_error"]["code"] == "rate_limit_exceeded"


def test_an_error_that_is_not_an_api_error() -> None:
    tenacity = require("tenacity")
    calls = []

    def broken() -> None:
        calls.append(1)
        raise ValueError("bug")

    with pytest.raises(ValueError):
        tenacity.Retrying(retry=retry.retry_if_retryable, after=retry.after)(broken)
    assert calls == [1]
    # Retried for another reason: the line names the exception, no api_error.
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(ValueError),
        after=retry.after,
        stop=tenacity.stop_after_attempt(2),
        sleep=lambda seconds: None,
    )
    with structlog.testing.capture_logs() as logs, pytest.raises(tenacity.RetryError):
        retrying(broken)
    assert [line["attempt"] for line in logs] == [1, 2]
    assert logs[0]["error"] == "ValueError: bug" and "api_error" not in logs[0]
    assert retry.is_retryable(ValueError("x")) is False


def test_stamina_waits_the_vendors_retry_after(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamina = require("stamina")
    import time

    loopback.respond(429, {"Retry-After": "4", "x-request-id": "req_st"}, RATE_LIMITED)
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", _recovering_sleep(loopback, waits, after=1))
    details_seen: list[Any] = []
    stamina.instrumentation.set_on_retry_hooks([retry.stamina_hook, details_seen.append])
    try:

        @stamina.retry(on=retry.stamina_on, attempts=3, timeout=None)
        def models() -> Any:
            return _get(loopback.url + "/v1/models")

        with structlog.testing.capture_logs() as logs:
            assert models() == {"ok": True}
    finally:
        stamina.instrumentation.set_on_retry_hooks(None)
    assert waits == [4.0]
    assert [d.wait_for for d in details_seen] == [4.0]
    [line] = [line for line in logs if line["event"] == "api call failed, retrying"]
    assert line["wait"] == 4.0 and line["attempt"] == 1
    assert line["api_error"]["request_id"] == "req_st"
    assert line["api_error"]["code"] == "rate_limit_exceeded"

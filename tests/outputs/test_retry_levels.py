"""Retries in progress are warnings; only the attempt that runs out is an error.

Real tenacity against a loopback vendor, real sentry-sdk sending to a loopback receiver.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from _sentry_server import SentryReceiver
from _servers import LoopbackServer
from conftest import require

sentry_sdk = require("sentry_sdk")
tenacity = require("tenacity")
httpx = require("httpx")

import structlog  # noqa: E402

from errorlens import retry  # noqa: E402
from errorlens import sentry as errorlens_sentry  # noqa: E402
from errorlens._internal.config import configure, unconfigure  # noqa: E402

RATE_LIMITED = {
    "error": {"type": "requests", "code": "rate_limit_exceeded", "message": "Slow down"}
}


@pytest.fixture
def receiver() -> Iterator[SentryReceiver]:
    with SentryReceiver() as server:
        yield server


@pytest.fixture
def sentry_configured(receiver: SentryReceiver) -> Iterator[io.StringIO]:
    out = io.StringIO()
    configure(
        service="search",
        json=True,
        stream=out,
        sentry_dsn=receiver.dsn,
        sentry_options={"shutdown_timeout": 1, "default_integrations": False},
        cache_logger_on_first_use=False,
    )
    try:
        yield out
    finally:
        unconfigure()
        errorlens_sentry.teardown()
        sentry_sdk.Scope.get_global_scope().set_client(None)


def _events(receiver: SentryReceiver) -> list[dict[str, Any]]:
    sentry_sdk.flush(timeout=5)
    time.sleep(0.3)  # anything in flight arrives now
    return receiver.events()


def _embed(url: str) -> Any:
    response = httpx.post(url + "/v1/embeddings", json={"input": "hello"}, timeout=5)
    response.raise_for_status()
    return response.json()


def _recovering(server: LoopbackServer, after: int) -> Callable[[float], None]:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) >= after:
            server.respond(200, {"Content-Type": "application/json"}, {"data": [1]})

    return sleep


def _retrying(attempts: int, sleep: Callable[[float], None]) -> Any:
    """The documented pattern: both hooks, the vendor's wait, the last error re-raised."""
    return tenacity.Retrying(
        retry=retry.retry_if_retryable,
        wait=retry.wait_retry_after(),
        before_sleep=retry.before_sleep,
        after=retry.after,
        stop=tenacity.stop_after_attempt(attempts),
        sleep=sleep,
        reraise=True,
    )


def test_retries_that_end_in_success_send_no_sentry_error(
    loopback: LoopbackServer, receiver: SentryReceiver, sentry_configured: io.StringIO
) -> None:
    loopback.respond(429, {"retry-after-ms": "10"}, RATE_LIMITED)
    retrying = _retrying(5, _recovering(loopback, after=2))
    assert retrying(_embed, loopback.url) == {"data": [1]}
    assert _events(receiver) == []
    lines = sentry_configured.getvalue()
    assert lines.count('"level": "warning"') == 4 and '"level": "error"' not in lines


def test_the_attempt_that_runs_out_is_one_sentry_error(
    loopback: LoopbackServer, receiver: SentryReceiver, sentry_configured: io.StringIO
) -> None:
    loopback.respond(429, {"retry-after-ms": "10"}, RATE_LIMITED)
    retrying = _retrying(3, lambda seconds: None)
    with pytest.raises(httpx.HTTPStatusError):
        try:
            retrying(_embed, loopback.url)
        except httpx.HTTPStatusError:
            structlog.get_logger("search.embed").exception("embedding failed")
            raise
    events = _events(receiver)
    assert len(events) == 1, [e.get("logentry") for e in events]
    assert events[0]["level"] == "error"
    assert events[0]["tags"]["api_error.code"] == "rate_limit_exceeded"


def test_without_configure_retry_lines_go_through_the_applications_handlers(
    loopback: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    from conftest import KeepRecords

    structlog.reset_defaults()
    assert not structlog.is_configured()
    kept = KeepRecords()
    logging.getLogger().addHandler(kept)
    loopback.respond(429, {"retry-after-ms": "10"}, RATE_LIMITED)
    try:
        tenacity.Retrying(
            retry=retry.retry_if_retryable,
            wait=retry.wait_retry_after(),
            before_sleep=retry.before_sleep,
            stop=tenacity.stop_after_attempt(5),
            sleep=_recovering(loopback, after=1),
        )(_embed, loopback.url)
    finally:
        logging.getLogger().removeHandler(kept)
    captured = capsys.readouterr()
    assert "retrying" not in captured.out  # structlog's default printer is not used
    [record] = [r for r in kept.records if r.name == "errorlens.retry"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "api call failed, retrying"
    assert record.__dict__["api_error"]["code"] == "rate_limit_exceeded"

"""Client capture writes its line at the policy's level, or not at all; metrics count."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import _capture
import pytest
import requests
from _capture import DECLINED, capture_lines

import errorlens
from errorlens._internal.policy import set_current

server, lines, sdk, undo_capture = (
    _capture.server,
    _capture.lines,
    _capture.sdk,
    _capture.undo_capture,
)

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def default_policy_after() -> Iterator[None]:
    yield
    errorlens.detach("unused")
    set_current(None)


def test_a_captured_error_is_written_at_the_policys_level(server, lines) -> None:
    url = server.route("/v1/charges", 402, DECLINED, x_request_id="req_1")
    errorlens.attach("unused", levels={"category:payment": "info"})
    errorlens.instrument_requests()
    requests.get(url, timeout=5)
    (line,) = capture_lines(lines)
    assert line.levelno == logging.INFO  # WARNING by default: the policy lowers it


def test_a_dropped_captured_error_is_not_written_but_counted(server, lines, sdk) -> None:
    url = server.route("/v1/charges", 402, DECLINED, x_request_id="req_1")
    errorlens.attach("unused", levels={"status:402": "drop"})
    errorlens.instrument_requests()
    requests.get(url, timeout=5)
    requests.get(url, timeout=5)
    assert capture_lines(lines) == []
    assert sdk.error_count() == 2

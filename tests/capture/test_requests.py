"""requests capture against a real loopback server."""

from __future__ import annotations

import gzip
import json
import time

import _capture
import pytest
import requests
from _capture import DECLINED

import errorlens
from _servers import closed_port_url
from errorlens.testing import capture_api_errors

server, undo_capture = _capture.server, _capture.undo_capture

pytestmark = pytest.mark.integration


def test_error_status_recorded_with_body_facts(server) -> None:
    url = server.route("/charge", 402, DECLINED, x_request_id="req_1")
    errorlens.instrument_requests()
    with capture_api_errors() as seen:
        response = requests.get(url, timeout=5)
    assert response.status_code == 402
    assert [(e.record.code, e.record.request_id) for e in seen] == [("card_declined", "req_1")]


def test_success_records_nothing(server) -> None:
    url = server.route("/ok", 204)
    errorlens.instrument_requests()
    with capture_api_errors() as seen:
        requests.get(url, timeout=5)
    assert seen == []


def test_jsonrpc_error_under_200_counts(server) -> None:
    body = {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 1}
    url = server.route("/rpc", 200, body)
    errorlens.instrument_requests()
    with capture_api_errors() as seen:
        requests.get(url, timeout=5)
    assert [(e.record.status, e.record.code) for e in seen] == [(200, "-32601")]


def test_one_session_only_and_uninstrument(server) -> None:
    url = server.route("/x", 404, {"error": {"code": "not_found"}})
    original = requests.Session.__dict__["send"]
    with requests.Session() as mine, requests.Session() as other:
        handle = errorlens.instrument_requests(mine)
        assert requests.Session.__dict__["send"] is original
        with capture_api_errors() as seen:
            other.get(url, timeout=5)
            mine.get(url, timeout=5)
        assert len(seen) == 1
        handle.uninstrument()
        assert "send" not in mine.__dict__
        with capture_api_errors() as after:
            mine.get(url, timeout=5)
        assert after == []


def test_global_uninstrument_restores_send() -> None:
    original = requests.Session.__dict__["send"]
    handle = errorlens.instrument_requests()
    assert errorlens.instrument_requests() is handle
    assert requests.Session.__dict__["send"] is not original
    handle.uninstrument()
    handle.uninstrument()
    assert requests.Session.__dict__["send"] is original


def test_streamed_body_read_by_the_caller_completes_the_record(server) -> None:
    url = server.route("/x", 429, {"error": {"code": "rate_limited"}}, retry_after="7")
    errorlens.instrument_requests()
    with capture_api_errors() as seen:
        response = requests.get(url, stream=True, timeout=5)
        assert seen == []
        assert response.json() == {"error": {"code": "rate_limited"}}
    assert [(e.record.code, e.record.retry_after) for e in seen] == [("rate_limited", 7.0)]


def test_streamed_compressed_body_is_read_decoded(server) -> None:
    body = gzip.compress(json.dumps({"error": {"code": "slow_down"}}).encode())
    url = server.route("/x", 503, body, content_type="application/json", content_encoding="gzip")
    errorlens.instrument_requests()
    with capture_api_errors() as seen:
        response = requests.get(url, stream=True, timeout=5)
        assert response.json() == {"error": {"code": "slow_down"}}
    assert [e.record.code for e in seen] == ["slow_down"]


def test_streamed_body_closed_unread(server) -> None:
    url = server.route("/x", 500, {"error": {"code": "internal"}}, x_request_id="req_5")
    errorlens.instrument_requests()
    with capture_api_errors() as seen:
        response = requests.get(url, stream=True, timeout=5)
        response.close()
    assert [(e.record.status, e.record.code, e.record.request_id) for e in seen] == [
        (500, None, "req_5")
    ]


def test_body_that_never_ends_hangs_nothing(server) -> None:
    errorlens.instrument_requests()
    started = time.monotonic()
    with capture_api_errors() as seen:
        response = requests.get(server.url + "/endless", stream=True, timeout=5)
        for count, _ in enumerate(response.iter_content(1024)):
            if seen or count > 10_000:
                break
        response.close()
    assert time.monotonic() - started < 10
    assert [(e.record.status, e.record.code) for e in seen] == [(503, "overloaded")]


def test_redirect_only_final_response_counts(server) -> None:
    server.route("/old", 302, b"", Location="/new")
    url = server.route("/new", 404, {"error": {"code": "moved_away"}})
    errorlens.instrument_requests()
    with capture_api_errors() as seen:
        response = requests.get(server.url + "/old", timeout=5)
    assert [r.status_code for r in response.history] == [302]
    assert [(e.record.status, e.record.url) for e in seen] == [(404, url)]


def test_timeout_and_refused_recorded_without_status(server) -> None:
    errorlens.instrument_requests()
    with capture_api_errors() as seen:
        # The headers came, the body stalled: requests raises ConnectionError for a
        # read timeout inside the body (models.py, iter_content).
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(server.url + "/stall", timeout=0.2)
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(closed_port_url() + "/v1", timeout=5)
    assert [e.record.status for e in seen] == [None, None]
    assert "Read timed out" in (seen[0].record.message or "")
    assert "ConnectionError" in (seen[1].record.message or "")


def test_correlation_header(server) -> None:
    url = server.route("/x", 409, {"error": {"code": "conflict"}})
    errorlens.instrument_requests(correlation_header="x-correlation-id")
    with capture_api_errors() as seen:
        requests.get(url, timeout=5)
        requests.get(url, headers={"X-Correlation-Id": "mine-1"}, timeout=5)
    first, second = (headers["x-correlation-id"] for _, headers in server.seen)
    assert first and second == "mine-1"
    assert [e.record.correlation_id for e in seen] == [first, "mine-1"]


def test_a_request_served_behind_the_middleware_sends_its_correlation_id_on(server) -> None:
    # The incoming request's correlation id goes out on the calls it makes, and the
    # record of the vendor's error keeps it.
    from errorlens.wsgi import RequestContextMiddleware

    url = server.route("/x", 502, {"error": {"code": "upstream"}})
    errorlens.instrument_requests(correlation_header="x-correlation-id")

    def app(environ: object, start_response: object) -> list[bytes]:
        requests.get(url, timeout=5)
        return [b""]

    with capture_api_errors() as seen:
        body = RequestContextMiddleware(app)(
            {"HTTP_X_CORRELATION_ID": "corr-in-7"}, lambda *args: None
        )
        body.close()
    assert server.seen[-1][1]["x-correlation-id"] == "corr-in-7"
    assert [e.record.correlation_id for e in seen] == ["corr-in-7"]

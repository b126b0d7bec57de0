"""httpx capture against a real loopback server: what is recorded, and what is not."""

from __future__ import annotations

import asyncio
import logging
import sys
import time

import _capture
import httpx
import pytest
from _capture import DECLINED, capture_lines

import errorlens
from errorlens.testing import capture_api_errors

# The fixtures this module uses.
server, lines, undo_capture = _capture.server, _capture.lines, _capture.undo_capture

pytestmark = pytest.mark.integration


def test_error_status_recorded_once_with_body_facts(server, lines) -> None:
    url = server.route("/charge", 402, DECLINED, x_request_id="req_42")
    errorlens.instrument_httpx()
    with capture_api_errors() as seen, httpx.Client() as client:
        response = client.get(url)
    assert response.status_code == 402
    assert len(seen) == 1
    record = seen[0].record
    assert (record.status, record.code, record.request_id) == (402, "card_declined", "req_42")
    assert record.method == "GET" and record.url == url
    assert seen[0].level == logging.WARNING
    [line] = capture_lines(lines)
    assert line.levelno == logging.WARNING
    assert line.api_error["code"] == "card_declined"
    assert "card_declined" in line.getMessage()


def test_module_level_function_is_captured(server) -> None:
    url = server.route("/x", 500, {"error": {"code": "internal", "message": "boom"}})
    errorlens.instrument_httpx()
    with capture_api_errors() as seen:
        httpx.get(url)
    assert [e.record.code for e in seen] == ["internal"]


def test_success_records_nothing(server, lines) -> None:
    url = server.route("/ok", 200, {"data": {"id": 1}})
    errorlens.instrument_httpx()
    with capture_api_errors() as seen:
        assert httpx.get(url).json() == {"data": {"id": 1}}
    assert seen == [] and capture_lines(lines) == []


def test_graphql_errors_under_200_count(server) -> None:
    body = {
        "data": None,
        "errors": [
            {"message": "Cannot query field", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
        ],
    }
    url = server.route("/graphql", 200, body)
    errorlens.instrument_httpx()
    with capture_api_errors() as seen:
        httpx.get(url)
    assert len(seen) == 1
    assert seen[0].record.status == 200
    assert seen[0].record.code == "GRAPHQL_VALIDATION_FAILED"


def test_one_client_only(server) -> None:
    url = server.route("/x", 404, {"error": {"code": "not_found"}})
    with httpx.Client() as mine, httpx.Client() as other:
        errorlens.instrument_httpx(mine)
        with capture_api_errors() as seen:
            other.get(url)
            assert seen == []
            mine.get(url)
    assert [e.record.code for e in seen] == ["not_found"]


def test_twice_instruments_once(server) -> None:
    url = server.route("/x", 404, {"error": {"code": "not_found"}})
    first = errorlens.instrument_httpx()
    second = errorlens.instrument_httpx()
    assert first is second
    with httpx.Client() as client:
        errorlens.instrument_httpx(client)
        errorlens.instrument_httpx(client)
        with capture_api_errors() as seen:
            client.get(url)
    assert len(seen) == 1


def test_uninstrument_restores_what_was_there(server) -> None:
    url = server.route("/x", 404, {"error": {"code": "not_found"}})
    sync_send, async_send = httpx.Client.__dict__["send"], httpx.AsyncClient.__dict__["send"]
    client = httpx.Client()
    handle = errorlens.instrument_httpx()
    one = errorlens.instrument_httpx(client)
    assert httpx.Client.__dict__["send"] is not sync_send
    assert "send" in client.__dict__
    one.uninstrument()
    assert "send" not in client.__dict__
    handle.uninstrument()
    assert httpx.Client.__dict__["send"] is sync_send
    assert httpx.AsyncClient.__dict__["send"] is async_send
    with capture_api_errors() as seen:
        client.get(url)
    assert seen == []
    client.close()


def test_uninstrument_all() -> None:
    import requests

    before = (httpx.Client.__dict__["send"], requests.Session.__dict__["send"])
    errorlens.instrument_httpx()
    errorlens.instrument_requests()
    assert (httpx.Client.__dict__["send"], requests.Session.__dict__["send"]) != before
    errorlens.uninstrument()
    assert (httpx.Client.__dict__["send"], requests.Session.__dict__["send"]) == before


def test_streamed_body_unread_is_not_consumed(server) -> None:
    url = server.route("/x", 429, {"error": {"code": "rate_limited"}}, retry_after="3")
    errorlens.instrument_httpx()
    with capture_api_errors() as seen, httpx.Client() as client:
        with client.stream("GET", url) as response:
            assert seen == []  # waiting for the bytes the caller reads
            assert response.read() == b'{"error": {"code": "rate_limited"}}'
        assert len(seen) == 1
    record = seen[0].record
    assert (record.status, record.code, record.retry_after) == (429, "rate_limited", 3.0)


def test_streamed_body_closed_unread_gives_status_and_headers(server) -> None:
    url = server.route("/x", 503, {"error": {"code": "overloaded"}}, x_request_id="req_9")
    errorlens.instrument_httpx()
    with capture_api_errors() as seen, httpx.Client() as client:
        with client.stream("GET", url) as response:
            assert response.status_code == 503
        assert not response.is_stream_consumed
    assert len(seen) == 1
    assert (seen[0].record.status, seen[0].record.request_id, seen[0].record.code) == (
        503,
        "req_9",
        None,
    )


def test_body_that_never_ends_hangs_nothing(server) -> None:
    errorlens.instrument_httpx()
    started = time.monotonic()
    with capture_api_errors() as seen, httpx.Client(timeout=5) as client:
        with client.stream("GET", server.url + "/endless") as response:
            for count, _ in enumerate(response.iter_bytes()):
                if seen or count > 10_000:
                    break
    assert time.monotonic() - started < 10
    assert len(seen) == 1
    assert (seen[0].record.status, seen[0].record.code) == (503, "overloaded")


def test_redirect_only_final_response_counts(server) -> None:
    server.route("/old", 301, b"", Location="/new")
    url = server.route("/new", 410, {"error": {"code": "gone"}})
    errorlens.instrument_httpx()
    with capture_api_errors() as seen, httpx.Client(follow_redirects=True) as client:
        response = client.get(server.url + "/old")
    assert response.status_code == 410
    assert [(e.record.status, e.record.url) for e in seen] == [(410, url)]


def test_timeout_recorded_without_status(server) -> None:
    errorlens.instrument_httpx()
    with capture_api_errors() as seen, httpx.Client(timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get(server.url + "/stall")
    assert len(seen) == 1
    assert seen[0].record.status is None
    assert "ReadTimeout" in (seen[0].record.message or "")


def test_connection_refused_recorded_without_status() -> None:
    from _servers import closed_port_url

    url = closed_port_url()
    errorlens.instrument_httpx()
    with capture_api_errors() as seen, pytest.raises(httpx.ConnectError):
        httpx.get(url + "/v1")
    assert len(seen) == 1
    assert (seen[0].record.status, seen[0].record.url) == (None, url + "/v1")


def test_async_client(server) -> None:
    url = server.route("/x", 401, {"error": {"code": "invalid_api_key"}})
    errorlens.instrument_httpx()

    async def call() -> int:
        async with httpx.AsyncClient() as client:
            response = await client.get(url)
            async with client.stream("GET", url) as streamed:
                await streamed.aread()
            return response.status_code

    with capture_api_errors() as seen:
        assert asyncio.run(call()) == 401
    assert [e.record.code for e in seen] == ["invalid_api_key", "invalid_api_key"]


def test_correlation_header_goes_out_and_is_recorded(server) -> None:
    url = server.route("/x", 400, {"error": {"code": "bad"}})
    errorlens.instrument_httpx(correlation_header="x-correlation-id")
    with capture_api_errors() as seen:
        httpx.get(url)
    sent = server.seen[-1][1]["x-correlation-id"]
    assert sent
    assert seen[0].record.correlation_id == sent


def test_correlation_ids_outside_a_request_are_per_call_and_bind_nothing(server) -> None:
    from errorlens._internal.context import current_request_ids

    url = server.route("/x", 200, b"ok")
    errorlens.instrument_httpx(correlation_header="x-correlation-id")
    httpx.get(url)
    httpx.get(url)
    first, second = (headers["x-correlation-id"] for _, headers in server.seen[-2:])
    assert first and second and first != second
    assert current_request_ids() is None


def test_calls_of_one_operation_share_its_correlation_id(server) -> None:
    from errorlens._internal.context import current_request_ids

    url = server.route("/x", 200, b"ok")
    errorlens.instrument_httpx(correlation_header="x-correlation-id")
    with errorlens.capture.operation() as chosen:
        httpx.get(url)
        httpx.get(url)
    with errorlens.capture.operation("job-7"):
        httpx.get(url)
    sent = [headers["x-correlation-id"] for _, headers in server.seen[-3:]]
    assert sent == [chosen, chosen, "job-7"]
    assert current_request_ids() is None


def test_correlation_header_off_by_default(server) -> None:
    url = server.route("/x", 200, b"ok")
    errorlens.instrument_httpx()
    httpx.get(url)
    assert "x-correlation-id" not in server.seen[-1][1]


def test_importing_errorlens_imports_no_client() -> None:
    import subprocess

    code = "import sys, errorlens; print(sorted({'httpx','requests','aiohttp'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_handler_that_calls_an_api_does_not_loop(server, lines) -> None:
    # A log shipper that posts each line to a failing endpoint with an instrumented
    # client: its own failures are not recorded, so nothing feeds on itself.
    url = server.route("/x", 500, {"error": {"code": "internal"}})
    errorlens.instrument_httpx()
    calls = []

    class Shipper(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            calls.append(httpx.post(url).status_code)

    shipper = Shipper()
    logging.getLogger("errorlens.capture").addHandler(shipper)
    try:
        with capture_api_errors() as seen:
            httpx.get(url)
    finally:
        logging.getLogger("errorlens.capture").removeHandler(shipper)
    assert calls == [500]
    assert len(seen) == 1


def test_calls_under_suppressed_instrumentation_are_not_recorded(server) -> None:
    from opentelemetry import context
    from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY

    url = server.route("/x", 500, {"error": {"code": "internal"}})
    errorlens.instrument_httpx()
    token = context.attach(context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
    try:
        with capture_api_errors() as seen:
            httpx.get(url)
    finally:
        context.detach(token)
    assert seen == []


def test_missing_client_library_says_what_to_install() -> None:
    import subprocess

    code = (
        "import sys\n"
        "sys.modules['aiohttp'] = None  # as if it were not installed\n"
        "import errorlens\n"
        "try:\n"
        "    errorlens.instrument_aiohttp()\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "capture for aiohttp needs aiohttp: pip install aiohttp"


def test_streamed_gzip_body_is_read_decoded(server) -> None:
    import gzip

    body = gzip.compress(b'{"error": {"code": "quota_exceeded"}}')
    url = server.route("/x", 403, body, content_type="application/json", content_encoding="gzip")
    errorlens.instrument_httpx()
    with capture_api_errors() as seen, httpx.Client() as client:
        with client.stream("GET", url) as response:
            response.read()
            assert response.json() == {"error": {"code": "quota_exceeded"}}
    assert [e.record.code for e in seen] == ["quota_exceeded"]

"""Exceptions and responses of real HTTP clients, over a real loopback server.

Each client raises its own exception from a real response; ``errorlens.extract`` must
give the record ``from_http`` gives for the same status, headers and body, plus the
request's method and url (redacted). A body the client has not read stays unread.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

import errorlens
from _servers import LoopbackServer, closed_port_url
from conftest import assert_same_as_from_http, require
from errorlens import ErrorRecord

PROBLEM = {
    "error": {
        "code": "invalid_parameter",
        "message": "Validation failed",
        "errors": [
            {"field": "email", "message": "is not a valid address"},
            {"field": "age", "message": "must be positive"},
        ],
    },
    "request_id": "req_body_42",
}
PROBLEM_HEADERS = {"Content-Type": "application/json", "X-Request-Id": "req_header_1"}
RATE_LIMIT_HEADERS = {"Retry-After": "7", "X-Request-Id": "req_rl_9"}
RATE_LIMIT = {"error": {"code": "rate_limited", "message": "Slow down"}}
SECRET_QUERY = "?api_key=sk-live-0123456789abcdef0123&page=2"
LARGE_BODY = b'{"error": {"message": "' + b"x" * 4000 + b'"}}'


def assert_redacted(record: ErrorRecord) -> None:
    assert record.url is not None
    assert "sk-live-0123456789abcdef0123" not in record.url
    assert "page=2" in record.url
    assert "0123456789abcdef0123" not in json.dumps(record.as_dict())


# --- requests --------------------------------------------------------------------------


def test_requests_http_error_gives_the_from_http_record(loopback: LoopbackServer) -> None:
    requests = require("requests")
    loopback.respond(422, PROBLEM_HEADERS, PROBLEM)
    response = requests.post(loopback.url + "/v1/users", json={"email": "x"}, timeout=5)
    with pytest.raises(requests.HTTPError) as caught:
        response.raise_for_status()

    record = errorlens.extract(caught.value)

    assert_same_as_from_http(record, 422, response.headers, response.content)
    assert record is not None
    assert record.status == 422
    assert record.code == "invalid_parameter"
    assert [f.field for f in record.fields] == ["email", "age"]
    assert record.request_id == "req_body_42"
    assert record.method == "POST"
    assert record.url == loopback.url + "/v1/users"


def test_requests_rate_limit_reads_retry_after_and_redacts_the_url(
    loopback: LoopbackServer,
) -> None:
    requests = require("requests")
    loopback.respond(429, RATE_LIMIT_HEADERS, RATE_LIMIT)
    url = loopback.url.replace("http://", "http://user:pa55word@") + "/v1/items" + SECRET_QUERY
    response = requests.get(url, timeout=5)

    record = errorlens.extract(response)

    assert record is not None
    assert record.retry_after == 7.0
    assert record.retryable is True
    assert record.request_id == "req_rl_9"
    assert_redacted(record)
    assert "pa55word" not in (record.url or "")


def test_requests_success_response_is_not_an_error(loopback: LoopbackServer) -> None:
    requests = require("requests")
    loopback.respond(200, {}, {"ok": True, "message": "fine"})
    assert errorlens.extract(requests.get(loopback.url, timeout=5)) is None


def test_requests_server_error_with_html_body(loopback: LoopbackServer) -> None:
    requests = require("requests")
    html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    loopback.respond(502, {"Content-Type": "text/html"}, html)
    response = requests.get(loopback.url + "/", timeout=5)
    with pytest.raises(requests.HTTPError) as caught:
        response.raise_for_status()
    record = assert_same_as_from_http(
        errorlens.extract(caught.value), 502, response.headers, response.content
    )
    assert record.retryable is True
    assert "Bad Gateway" in (record.message or "")


def test_requests_stream_is_not_consumed(loopback: LoopbackServer) -> None:
    requests = require("requests")
    loopback.respond(500, {"Content-Type": "application/json"}, LARGE_BODY)
    response = requests.get(loopback.url + "/big", stream=True, timeout=5)
    with pytest.raises(requests.HTTPError) as caught:
        response.raise_for_status()

    record = errorlens.extract(caught.value)

    assert record is not None
    assert record.status == 500
    # The body was not read: the message is the reason phrase, not the body's text...
    assert record.message == "Internal Server Error"
    assert response.content == LARGE_BODY  # ...and is still all there


def test_requests_stalled_stream_does_not_block(loopback: LoopbackServer) -> None:
    requests = require("requests")
    loopback.respond(503, {"Content-Type": "application/json"}, LARGE_BODY, stall_after=10)
    response = requests.get(loopback.url + "/stalled", stream=True, timeout=10)
    try:
        started = time.perf_counter()
        record = errorlens.extract(response)
        elapsed = time.perf_counter() - started
    finally:
        response.close()
    assert record is not None
    assert record.status == 503
    # Generous: a read of the stalled body would wait the 10 s read timeout.
    assert elapsed < 5.0


def test_requests_connection_error_has_no_record() -> None:
    requests = require("requests")
    url = closed_port_url()
    with pytest.raises(requests.ConnectionError) as caught:
        requests.get(url, timeout=2)
    assert errorlens.extract(caught.value) is None


# --- httpx and httpx2 ------------------------------------------------------------------

HTTPX_MODULES = ["httpx", "httpx2"]


@pytest.mark.parametrize("module", HTTPX_MODULES)
def test_httpx_status_error_gives_the_from_http_record(
    loopback: LoopbackServer, module: str
) -> None:
    httpx = require(module)
    loopback.respond(422, PROBLEM_HEADERS, PROBLEM)
    with httpx.Client() as client:
        response = client.patch(loopback.url + "/v1/users/7" + SECRET_QUERY, json={"age": -1})
    with pytest.raises(httpx.HTTPStatusError) as caught:
        response.raise_for_status()

    record = errorlens.extract(caught.value)

    assert_same_as_from_http(record, 422, response.headers, response.content)
    assert record is not None
    assert record.code == "invalid_parameter"
    assert [f.field for f in record.fields] == ["email", "age"]
    assert record.method == "PATCH"
    assert_redacted(record)


@pytest.mark.parametrize("module", HTTPX_MODULES)
def test_httpx_response_rate_limit(loopback: LoopbackServer, module: str) -> None:
    httpx = require(module)
    loopback.respond(429, RATE_LIMIT_HEADERS, RATE_LIMIT)
    with httpx.Client() as client:
        response = client.get(loopback.url + "/v1/items")
    record = assert_same_as_from_http(
        errorlens.extract(response), 429, response.headers, response.content
    )
    assert record.code == "rate_limited"
    assert record.retry_after == 7.0
    assert record.retryable is True


@pytest.mark.parametrize("module", HTTPX_MODULES)
def test_httpx_unread_stream_is_left_alone(loopback: LoopbackServer, module: str) -> None:
    httpx = require(module)
    loopback.respond(500, {"Content-Type": "application/json", "X-Request-Id": "r1"}, LARGE_BODY)
    with httpx.Client() as client, client.stream("GET", loopback.url + "/big") as response:
        with pytest.raises(httpx.HTTPStatusError) as caught:
            response.raise_for_status()

        record = errorlens.extract(caught.value)

        assert record is not None
        assert (record.status, record.request_id, record.message) == (
            500,
            "r1",
            "Internal Server Error",  # the reason phrase: the body was not read
        )
        assert response.is_stream_consumed is False
        assert response.read() == LARGE_BODY


@pytest.mark.parametrize("module", HTTPX_MODULES)
def test_httpx_stalled_stream_does_not_block(loopback: LoopbackServer, module: str) -> None:
    httpx = require(module)
    loopback.respond(503, {"Content-Type": "application/json"}, LARGE_BODY, stall_after=10)
    with httpx.Client(timeout=10) as client, client.stream("GET", loopback.url) as response:
        started = time.perf_counter()
        record = errorlens.extract(response)
        # Generous: a read of the stalled body would wait the 10 s read timeout.
        assert time.perf_counter() - started < 5.0
        assert record is not None
        assert record.status == 503


@pytest.mark.parametrize("module", HTTPX_MODULES)
def test_httpx_connect_error_has_no_record(module: str) -> None:
    httpx = require(module)
    url = closed_port_url()
    with httpx.Client() as client, pytest.raises(httpx.ConnectError) as caught:
        client.get(url)
    assert errorlens.extract(caught.value) is None


# --- aiohttp ---------------------------------------------------------------------------


def test_aiohttp_client_response_error_reads_what_it_keeps(loopback: LoopbackServer) -> None:
    aiohttp = require("aiohttp")
    loopback.respond(429, RATE_LIMIT_HEADERS, RATE_LIMIT)

    async def call() -> BaseException:
        async with aiohttp.ClientSession() as session:
            async with session.post(loopback.url + "/v1/jobs" + SECRET_QUERY, json={}) as resp:
                try:
                    resp.raise_for_status()
                except aiohttp.ClientResponseError as error:
                    return error
        raise AssertionError("no error raised")

    error = asyncio.run(call())
    record = errorlens.extract(error)

    assert record is not None
    assert record.status == 429
    assert record.message == "Too Many Requests"  # the reason phrase: no body is kept
    assert record.request_id == "req_rl_9"
    assert record.retry_after == 7.0
    assert record.retryable is True
    assert record.method == "POST"
    assert_redacted(record)


def test_aiohttp_response_body_only_once_read(loopback: LoopbackServer) -> None:
    aiohttp = require("aiohttp")
    loopback.respond(422, PROBLEM_HEADERS, PROBLEM)

    async def call() -> tuple[Any, Any, bytes, Any]:
        async with aiohttp.ClientSession() as session:
            async with session.get(loopback.url + "/v1/users") as resp:
                before = errorlens.extract(resp)
                body = await resp.read()
                return before, errorlens.extract(resp), body, resp.headers

    before, after, body, headers = asyncio.run(call())

    assert before is not None
    assert before.status == 422
    assert before.code is None  # unread: nothing taken from the stream
    assert body == json.dumps(PROBLEM).encode()
    record = assert_same_as_from_http(after, 422, headers, body)
    assert record.code == "invalid_parameter"
    assert [f.field for f in record.fields] == ["email", "age"]


def test_aiohttp_connection_error_has_no_record() -> None:
    aiohttp = require("aiohttp")
    url = closed_port_url()

    async def call() -> BaseException:
        async with aiohttp.ClientSession() as session:
            try:
                await session.get(url)
            except aiohttp.ClientConnectionError as error:
                return error
        raise AssertionError("no error raised")

    assert errorlens.extract(asyncio.run(call())) is None


# --- urllib3 ---------------------------------------------------------------------------


def test_urllib3_response_gives_the_from_http_record(loopback: LoopbackServer) -> None:
    urllib3 = require("urllib3")
    loopback.respond(422, PROBLEM_HEADERS, PROBLEM)
    with urllib3.PoolManager() as pool:
        response = pool.request("PUT", loopback.url + "/v1/users/1" + SECRET_QUERY, body=b"{}")

    record = assert_same_as_from_http(
        errorlens.extract(response), 422, response.headers, response.data
    )
    assert record.code == "invalid_parameter"
    assert record.method == "PUT"
    assert (record.url or "").startswith(loopback.url + "/v1/users/1?")
    assert_redacted(record)


def test_urllib3_unread_response_is_not_consumed(loopback: LoopbackServer) -> None:
    urllib3 = require("urllib3")
    loopback.respond(503, {"Retry-After": "3"}, LARGE_BODY)
    with urllib3.PoolManager() as pool:
        response = pool.request("GET", loopback.url + "/big", preload_content=False, retries=False)
        record = errorlens.extract(response)
        assert record is not None
        assert (record.status, record.retry_after, record.message) == (
            503,
            3.0,
            "Service Unavailable",  # the reason phrase: the body was not read
        )
        assert response.data == LARGE_BODY


def test_urllib3_retry_error_without_response_has_no_record(loopback: LoopbackServer) -> None:
    urllib3 = require("urllib3")
    loopback.respond(503, {}, b"busy")
    retries = urllib3.Retry(total=0, status_forcelist=[503], raise_on_status=True)
    with urllib3.PoolManager() as pool, pytest.raises(urllib3.exceptions.MaxRetryError) as caught:
        pool.request("GET", loopback.url + "/", retries=retries)
    assert errorlens.extract(caught.value) is None


# --- urllib (standard library) -------------------------------------------------------------


def test_urllib_http_error_leaves_the_socket_body_unread(loopback: LoopbackServer) -> None:
    loopback.respond(429, RATE_LIMIT_HEADERS, RATE_LIMIT)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(loopback.url + "/v1/items" + SECRET_QUERY, timeout=5)
    error = caught.value
    try:
        record = errorlens.extract(error)

        assert record is not None
        assert record.status == 429
        assert record.message == "Too Many Requests"
        assert record.request_id == "req_rl_9"
        assert record.retry_after == 7.0
        assert_redacted(record)
        assert error.read() == json.dumps(RATE_LIMIT).encode()
    finally:
        error.close()


def test_urllib_http_error_with_an_in_memory_body(loopback: LoopbackServer) -> None:
    raw = json.dumps(PROBLEM).encode()
    loopback.respond(422, PROBLEM_HEADERS, raw)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(loopback.url + "/v1/users", timeout=5)
    with caught.value as first:
        headers = first.headers
        body = first.read()
    # Code that reads the body and re-raises keeps it in memory, as urllib allows.
    error = urllib.error.HTTPError(first.url, first.code, first.msg, headers, io.BytesIO(body))

    record = assert_same_as_from_http(errorlens.extract(error), 422, headers, body)
    assert record.code == "invalid_parameter"
    assert [f.field for f in record.fields] == ["email", "age"]
    assert error.read() == body  # reading it did not move the stream


def test_urllib_connection_error_has_no_record() -> None:
    url = closed_port_url()
    with pytest.raises(urllib.error.URLError) as caught:
        urllib.request.urlopen(url, timeout=2)
    assert errorlens.extract(caught.value) is None

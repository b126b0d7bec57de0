"""Odd arguments keep the facts, and successful responses that carry errors are read.

A url as bytes or a URL object, bytes in headers, a status that is no HTTP status:
each odd part is read as text or dropped, and every other fact of the record stays.
"""

from __future__ import annotations

import email.message
import http
import json
from typing import Any

import pytest

import errorlens
from _servers import LoopbackServer
from conftest import require
from errorlens._internal.reader.parts import header_pairs, status_of, text_of

BODY = b'{"error": {"code": "rate_limited", "message": "Slow down"}}'
URL = "https://api.openai.com/v1/chat?api_key=sk-secret-123&page=2"


def _assert_facts(record: errorlens.ErrorRecord) -> None:
    assert record.code == "rate_limited"
    assert record.message == "Slow down"


# --- urls, methods, statuses ---------------------------------------------------------


class _BrokenStr:
    def __str__(self) -> str:
        raise RuntimeError("no text")


@pytest.mark.parametrize(
    "url",
    [
        URL.encode(),
        bytearray(URL.encode()),
        pytest.param("httpx", id="httpx.URL"),
        pytest.param("yarl", id="yarl.URL"),
    ],
)
def test_url_in_any_form_is_read_as_text(url: Any) -> None:
    if url == "httpx":
        url = require("httpx").URL(URL)
    elif url == "yarl":
        url = require("yarl").URL(URL)
    record = errorlens.from_http(429, {}, BODY, url=url, method=b"post")
    _assert_facts(record)
    assert record.vendor == "openai"
    assert record.url is not None and record.url.startswith("https://api.openai.com/v1/chat")
    assert "sk-secret-123" not in record.url
    assert record.method == "POST"


def test_unreadable_url_is_dropped_not_the_record() -> None:
    record = errorlens.from_http(429, {}, BODY, url=_BrokenStr())  # type: ignore[arg-type]
    _assert_facts(record)
    assert record.url is None
    assert record.status == 429


@pytest.mark.parametrize(
    ("status", "kept"),
    [
        (429, 429),
        (http.HTTPStatus.TOO_MANY_REQUESTS, 429),
        ("429", 429),
        (" 503 Service Unavailable", 503),
        (b"502", 502),
        (429.0, 429),
        (True, None),
        (False, None),
        (99, None),
        (1000, None),
        (-429, None),
        (10**30, None),
        (429.5, None),
        (float("nan"), None),
        ("4290", None),
        ("abc", None),
        (None, None),
        (object(), None),
    ],
)
def test_status_outside_the_range_is_dropped_and_the_rest_kept(status: Any, kept: Any) -> None:
    record = errorlens.from_http(status, {"X-Request-Id": "req-1"}, BODY)
    assert record.status == kept
    assert type(record.status) in (int, type(None))
    assert record.request_id == "req-1"
    _assert_facts(record)


# --- headers -------------------------------------------------------------------------


class _ItemsOnly:
    def __init__(self, pairs: list[tuple[Any, Any]]) -> None:
        self._pairs = pairs

    def items(self) -> Any:
        return iter(self._pairs)


class _RaisesMidway:
    def items(self) -> Any:
        yield ("X-Request-Id", "req-1")
        raise RuntimeError("connection reset while reading headers")


def _message(pairs: list[tuple[str, str]]) -> email.message.Message:
    message = email.message.Message()
    for name, value in pairs:
        message[name] = value
    return message


PAIRS = [("X-Request-Id", "req-1"), ("Retry-After", "7")]


@pytest.mark.parametrize(
    "headers",
    [
        dict(PAIRS),
        PAIRS,
        tuple(PAIRS),
        [list(pair) for pair in PAIRS],
        {b"X-Request-Id": b"req-1", b"Retry-After": b"7"},
        [(b"X-Request-Id", b"req-1"), ("Retry-After", 7)],
        _ItemsOnly(PAIRS),
        pytest.param("message", id="email.message.Message"),
        pytest.param("multidict", id="multidict.CIMultiDict"),
        pytest.param("httpx", id="httpx.Headers"),
        pytest.param("requests", id="requests.CaseInsensitiveDict"),
    ],
)
def test_headers_in_any_container(headers: Any) -> None:
    if headers == "message":
        headers = _message(PAIRS)
    elif headers == "multidict":
        headers = require("multidict").CIMultiDict(PAIRS)
    elif headers == "httpx":
        headers = require("httpx").Headers(PAIRS)
    elif headers == "requests":
        headers = require("requests").structures.CaseInsensitiveDict(PAIRS)
    record = errorlens.from_http(429, headers, BODY)
    _assert_facts(record)
    assert record.request_id == "req-1"
    assert record.retry_after == 7.0


def test_headers_that_raise_midway_keep_what_was_read() -> None:
    record = errorlens.from_http(429, _RaisesMidway(), BODY)
    _assert_facts(record)
    assert record.request_id == "req-1"


def test_header_pairs() -> None:
    plain = {"a": "1"}
    assert header_pairs(plain) is plain  # the common case is not copied
    assert header_pairs(None) is None
    assert header_pairs({"a": b"\xff"}) == [("a", "\xff")]  # latin-1 when not UTF-8
    assert header_pairs({"a": "é".encode()}) == [("a", "é")]
    assert header_pairs([("a", None), (None, "x"), ("b",), 3]) == [("a", "")]
    assert header_pairs(42) == []
    assert len(header_pairs([("a", "b")] * 10_000)) == 200


def _copied_pair_by_pair(items: Any) -> list[tuple[str, str]]:
    pairs = []
    for pair in items[:200]:
        if isinstance(pair, tuple | list) and len(pair) == 2:
            name, value = text_of(pair[0]), text_of(pair[1])
            if name is not None:
                pairs.append((name, value or ""))
    return pairs


@pytest.mark.parametrize(
    "items",
    [
        [("a", "1"), ("A", "2"), ("a", "1")],  # duplicates kept, in order
        [("", "x"), ("a", "")],  # an empty name is dropped, an empty value kept
        [("n" * 9000, "v"), ("a", "v" * 9000)],  # capped
        [("a", "1"), ["b", "2"], ("c", b"3"), ("d", "4", "x")],
        (("a", "1"), ("b", "2")),
        [("a", "1")] * 300,
    ],
)
def test_pairs_already_str_are_taken_as_copied(items: Any) -> None:
    pairs = header_pairs(items)
    assert pairs == _copied_pair_by_pair(list(items))
    assert all(type(name) is str and type(value) is str for name, value in pairs)


def test_requests_headers_are_read_by_their_lowercase_names() -> None:
    structures = require("requests").structures
    headers = structures.CaseInsensitiveDict([("X-Request-Id", "req-1"), ("Retry-After", "7")])
    assert header_pairs(headers) == [("x-request-id", "req-1"), ("retry-after", "7")]
    headers["X-Odd"] = b"\xff"  # not str: copied pair by pair, as any container
    assert header_pairs(headers)[-1] == ("x-odd", "\xff")


def test_text_of() -> None:
    assert text_of(b"https://x") == "https://x"
    assert text_of("") is None
    assert text_of(_BrokenStr()) is None
    assert text_of("x" * 100_000) == "x" * 8192
    assert status_of(http.HTTPStatus.NOT_FOUND).__class__ is int  # type: ignore[union-attr]


# --- HTTP 200 with errors: extract(response) -----------------------------------------

GRAPHQL_RATE_LIMITED = {
    "errors": [
        {
            "message": "Rate limit exceeded",
            "extensions": {"code": "RATE_LIMITED"},
            "path": ["viewer"],
        }
    ],
    "data": None,
}
JSONRPC_ERROR = {
    "jsonrpc": "2.0",
    "error": {"code": -32601, "message": "Method not found"},
    "id": 1,
}
SLACK_ERROR = {"ok": False, "error": "channel_not_found"}
SUCCESS_BODIES = [
    {"data": {"viewer": {"login": "octocat"}}},
    {"jsonrpc": "2.0", "result": 19, "id": 1},
    {"ok": True, "channel": "C1"},
    {"errors": []},
    {"errors": ["not graphql"]},
    {"error": {"code": 1}},  # no jsonrpc envelope: a normal payload with an error field
]


def _httpx_response(status: int, body: Any) -> Any:
    httpx = require("httpx")

    def handler(request: Any) -> Any:
        return httpx.Response(status, json=body)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        return client.post("https://api.example.com/graphql")


@pytest.mark.parametrize(
    ("body", "code", "message", "retryable"),
    [
        (GRAPHQL_RATE_LIMITED, "RATE_LIMITED", "Rate limit exceeded", True),
        (JSONRPC_ERROR, "-32601", "Method not found", False),
        (SLACK_ERROR, "channel_not_found", None, False),
    ],
)
def test_httpx_200_with_errors_reads_like_from_http(
    body: Any, code: str, message: str | None, retryable: bool
) -> None:
    record = errorlens.extract(_httpx_response(200, body))
    assert record is not None
    assert record.status == 200
    assert record.code == code
    if message is not None:
        assert record.message == message
    assert record.retryable is retryable
    assert record.method == "POST"
    assert record.url == "https://api.example.com/graphql"
    same = errorlens.from_http(200, {"content-type": "application/json"}, json.dumps(body))
    assert (same.code, same.message, same.retryable) == (
        record.code,
        record.message,
        record.retryable,
    )


@pytest.mark.parametrize("body", SUCCESS_BODIES)
def test_httpx_200_with_a_normal_body_is_no_error(body: Any) -> None:
    assert errorlens.extract(_httpx_response(200, body)) is None


def test_requests_200_with_graphql_errors(loopback: LoopbackServer) -> None:
    requests = require("requests")
    loopback.respond(200, {"Content-Type": "application/json"}, GRAPHQL_RATE_LIMITED)
    response = requests.post(loopback.url + "/graphql", json={"query": "{viewer}"}, timeout=5)
    record = errorlens.extract(response)
    assert record is not None
    assert (record.status, record.code, record.retryable) == (200, "RATE_LIMITED", True)
    assert record.url == loopback.url + "/graphql"


def test_requests_200_with_jsonrpc_error_and_a_normal_200(loopback: LoopbackServer) -> None:
    requests = require("requests")
    loopback.respond(200, {"Content-Type": "application/json"}, JSONRPC_ERROR)
    record = errorlens.extract(requests.post(loopback.url + "/rpc", json={}, timeout=5))
    assert record is not None
    assert (record.status, record.code) == (200, "-32601")
    loopback.respond(200, {"Content-Type": "application/json"}, {"result": 1, "id": 1})
    assert errorlens.extract(requests.post(loopback.url + "/rpc", json={}, timeout=5)) is None


def test_requests_streamed_200_is_left_unread(loopback: LoopbackServer) -> None:
    requests = require("requests")
    loopback.respond(200, {"Content-Type": "application/json"}, GRAPHQL_RATE_LIMITED)
    response = requests.get(loopback.url + "/graphql", stream=True, timeout=5)
    assert errorlens.extract(response) is None  # the body was not read: nothing to see
    assert response.raw.read() != b""  # and it is still there for the application
    response.close()


def test_the_record_upholds_the_contract_types_itself() -> None:
    record = errorlens.ErrorRecord(
        status=True,  # type: ignore[arg-type]
        code="bad\r\n\x00code",
        type="",
        message="",
        retry_after=float("nan"),
        request_id="",
    )
    assert (record.status, record.code, record.type, record.message) == (
        None,
        "bad code",
        None,
        None,
    )
    assert (record.retry_after, record.request_id) == (None, None)
    assert errorlens.ErrorRecord(status=http.HTTPStatus.NOT_FOUND).status.__class__ is int
    assert errorlens.ErrorRecord(status=1000, retry_after=86_401).as_dict() == {
        "retryable": False,
        "category": "unknown",
    }

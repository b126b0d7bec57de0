"""The structlog processors: api_error on error lines, nothing on others, never a raise."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
import requests
import structlog

import errorlens
from _servers import LoopbackServer
from conftest import require
from errorlens import processors
from errorlens._internal.events import traceback_of
from errorlens._internal.guard import busy
from errorlens.testing import capture_api_errors

ERROR_BODY = {
    "error": {
        "type": "invalid_request_error",
        "code": "model_not_found",
        "message": "The model 'gpt-9' does not exist",
    }
}


def _http_error(server: LoopbackServer, path: str = "/v1/chat") -> requests.HTTPError:
    server.respond(404, {"x-request-id": "req_abc123"}, ERROR_BODY)
    response = requests.get(server.url + path, timeout=5)
    try:
        response.raise_for_status()
    except requests.HTTPError as error:
        return error
    raise AssertionError("the loopback server did not answer with an error")


@pytest.fixture
def json_chain() -> Any:
    """A standalone structlog chain (PrintLogger) with errorlens, rendering JSON."""
    out = io.StringIO()
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            processors.add_trace_context,
            errorlens_processor(),
            processors.format_exc_info,
            processors.redact,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    try:
        yield out
    finally:
        structlog.reset_defaults()


def errorlens_processor() -> processors.Processor:
    return processors.structlog_processor()


def _lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_event_without_error_is_returned_untouched() -> None:
    event = {"event": "user logged in", "user": "bob"}
    with capture_api_errors() as seen:
        result = processors.add_api_error(None, "info", event)
    assert result is event
    assert event == {"event": "user logged in", "user": "bob"}
    assert seen == []


def test_logged_exception_gets_api_error_and_keeps_exc_info(loopback: LoopbackServer) -> None:
    error = _http_error(loopback)
    event: dict[str, Any] = {"event": "chat failed", "exc_info": error}
    with capture_api_errors() as seen:
        processors.add_api_error(None, "error", event)
    assert event["exc_info"] is error  # read, never popped
    api_error = event["api_error"]
    assert api_error["status"] == 404
    assert api_error["code"] == "model_not_found"
    assert api_error["type"] == "invalid_request_error"
    assert api_error["request_id"] == "req_abc123"
    assert api_error["retryable"] is False
    assert len(seen) == 1
    assert seen[0].record.code == "model_not_found"
    assert seen[0].level == logging.ERROR
    assert seen[0].via_stdlib is False  # no stdlib logger behind this chain


def test_exc_info_true_reads_the_exception_being_handled(
    loopback: LoopbackServer, json_chain: io.StringIO
) -> None:
    log = structlog.get_logger()
    try:
        raise _http_error(loopback)
    except requests.HTTPError:
        log.exception("chat failed")
    (line,) = _lines(json_chain)
    assert line["event"] == "chat failed"
    assert line["api_error"]["code"] == "model_not_found"
    assert line["api_error"]["request_id"] == "req_abc123"
    assert "requests.exceptions.HTTPError" in line["exception"]


def test_error_field_with_a_response(loopback: LoopbackServer, json_chain: io.StringIO) -> None:
    error = _http_error(loopback)
    structlog.get_logger().warning("vendor refused", error=error.response)
    (line,) = _lines(json_chain)
    assert line["api_error"]["status"] == 404
    assert line["api_error"]["code"] == "model_not_found"
    assert line["level"] == "warning"


@pytest.mark.parametrize("value", ["timeout", {"code": "x", "message": "y"}, 42, None])
def test_plain_error_fields_are_ordinary_fields(value: Any) -> None:
    event = {"event": "retrying", "error": value}
    with capture_api_errors() as seen:
        processors.add_api_error(None, "info", event)
    assert "api_error" not in event
    assert seen == []


def test_found_after_structlog_format_exc_info(loopback: LoopbackServer) -> None:
    # Placed after format_exc_info the processor no longer sees exc_info, but the
    # exception is still being handled.
    event: dict[str, Any] = {"event": "chat failed", "exc_info": True}
    try:
        raise _http_error(loopback)
    except requests.HTTPError:
        event = structlog.processors.format_exc_info(None, "error", event)
        assert "exc_info" not in event
        processors.add_api_error(None, "error", event)
    assert event["api_error"]["code"] == "model_not_found"


def test_exception_without_api_error_adds_nothing() -> None:
    event: dict[str, Any] = {"event": "boom", "exc_info": ValueError("not an HTTP thing")}
    with capture_api_errors() as seen:
        processors.add_api_error(None, "error", event)
    assert "api_error" not in event
    assert seen == []


def test_stdlib_logger_behind_the_chain_means_via_stdlib(loopback: LoopbackServer) -> None:
    error = _http_error(loopback)
    with capture_api_errors() as seen:
        processors.add_api_error(logging.getLogger("app"), "error", {"exc_info": error})
    assert [event.via_stdlib for event in seen] == [True]


def test_already_annotated_event_is_not_read_twice(loopback: LoopbackServer) -> None:
    error = _http_error(loopback)
    event: dict[str, Any] = {"exc_info": error}
    with capture_api_errors() as seen:
        processors.add_api_error(None, "error", event)
        processors.add_api_error(None, "error", event)
    assert len(seen) == 1


class _Hostile(Exception):
    """An exception whose every attribute read fails."""

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            return super().__getattribute__(name)
        raise RuntimeError(f"no {name} for you")


def test_hostile_objects_never_raise() -> None:
    for value in (_Hostile(), object()):
        event: dict[str, Any] = {"event": "x", "exc_info": value, "error": value}
        assert processors.add_api_error(None, "error", event) is event


def test_inside_errorlens_nothing_happens(loopback: LoopbackServer) -> None:
    # A sink that logs must not re-enter the processor (no loop).
    error = _http_error(loopback)
    event: dict[str, Any] = {"exc_info": error}
    with busy():
        processors.add_api_error(None, "error", event)
    assert "api_error" not in event


def test_format_exc_info_uses_the_traceback_formatted_once(loopback: LoopbackServer) -> None:
    error = _http_error(loopback)
    event: dict[str, Any] = {"exc_info": error}
    processors.add_api_error(None, "error", event)
    processors.format_exc_info(None, "error", event)
    assert "exc_info" not in event
    cached = traceback_of((type(error), error, error.__traceback__))
    assert event["exception"] is cached
    again = processors.format_exc_info(None, "error", {"exc_info": error})
    assert again["exception"] is cached


def test_secret_values_of_details_leave_message_and_traceback(loopback: LoopbackServer) -> None:
    secret = "Zq9secretvalue77"
    loopback.respond(
        400,
        {},
        {
            "error": {
                "code": "invalid_credentials",
                "message": f"credentials {secret} rejected",
                "details": {"client_secret": secret, "client_id": "app-1"},
            }
        },
    )
    response = requests.post(loopback.url + "/oauth/token", timeout=5)
    error = requests.HTTPError(f"400 rejected {secret}", response=response)
    event: dict[str, Any] = {"event": f"login failed with {secret}", "exc_info": error}
    processors.add_api_error(None, "error", event)
    processors.format_exc_info(None, "error", event)
    rendered = json.dumps(event, default=str)
    assert event["api_error"]["details"]["client_id"] == "app-1"
    assert event["api_error"]["details"]["client_secret"] == "[REDACTED]"
    assert secret not in rendered
    assert "login failed with [REDACTED]" in rendered


def test_redact_processor_leaves_clean_events_alone() -> None:
    event = {"event": "user logged in", "user": "bob", "count": 3}
    assert processors.redact(None, "info", event) is event


def test_redact_processor_cleans_every_field() -> None:
    event = {
        "event": "calling with Bearer abcdefghijklmnop",
        "headers": {"Authorization": "Basic dXNlcjpwYXNzd29yZA==", "Accept": "*/*"},
        "password": "hunter2hunter2",
        "note": "typed hunter2hunter2 twice",
        "url": "https://bob:pw123456@api.example.com/v1?api_key=k123456789&q=ok",
    }
    cleaned = processors.redact(None, "info", event)
    text = json.dumps(cleaned)
    secrets = ("abcdefghijklmnop", "dXNlcjpwYXNzd29yZA", "hunter2hunter2", "pw123456", "k123456789")
    for secret in secrets:
        assert secret not in text
    assert cleaned["headers"]["Accept"] == "*/*"
    assert cleaned["url"].endswith("q=ok")


def test_trace_context_from_a_real_span() -> None:
    sdk_trace = require("opentelemetry.sdk.trace")
    tracer = sdk_trace.TracerProvider().get_tracer("test")
    assert processors.add_trace_context(None, "info", {}) == {}
    with tracer.start_as_current_span("work") as span:
        context = span.get_span_context()
        event = processors.add_trace_context(None, "info", {"event": "x"})
    assert event["trace_id"] == format(context.trace_id, "032x")
    assert event["span_id"] == format(context.span_id, "016x")
    assert len(event["trace_id"]) == 32 and event["trace_id"] == event["trace_id"].lower()


def test_error_lines_carry_trace_ids(loopback: LoopbackServer) -> None:
    sdk_trace = require("opentelemetry.sdk.trace")
    tracer = sdk_trace.TracerProvider().get_tracer("test")
    error = _http_error(loopback)
    with tracer.start_as_current_span("call") as span:
        event = processors.add_api_error(None, "error", {"exc_info": error})
    assert event["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert event["span_id"] == format(span.get_span_context().span_id, "016x")


def test_structlog_processor_is_the_processor() -> None:
    assert errorlens_processor() is processors.add_api_error


def test_processor_class_behaves_as_the_function(loopback: LoopbackServer) -> None:
    processor = processors.ApiErrorProcessor()
    plain = {"event": "fine"}
    assert processor(None, "info", plain) is plain and plain == {"event": "fine"}
    event = processor(None, "error", {"exc_info": _http_error(loopback)})
    expected = processors.add_api_error(None, "error", {"exc_info": _http_error(loopback)})
    assert event["api_error"] == expected["api_error"]


def test_capture_api_errors_sees_record_error_and_stops_after() -> None:
    record = errorlens.from_http(429, {"x-request-id": "r1"}, b'{"error": {"code": "slow_down"}}')
    with capture_api_errors() as seen:
        errorlens.record_error(record)
    errorlens.record_error(record)
    assert [event.record.code for event in seen] == ["slow_down"]


def test_trace_context_follows_the_active_span() -> None:
    sdk_trace = require("opentelemetry.sdk.trace")
    tracer = sdk_trace.TracerProvider().get_tracer("test")

    def ids() -> tuple[str, str] | None:
        event = processors.add_trace_context(None, "info", {})
        return (event["trace_id"], event["span_id"]) if event else None

    def of(span: Any) -> tuple[str, str]:
        context = span.get_span_context()
        return format(context.trace_id, "032x"), format(context.span_id, "016x")

    with tracer.start_as_current_span("outer") as outer:
        in_outer = ids()
        with tracer.start_as_current_span("inner") as inner:
            in_inner = ids()
        back_in_outer = ids()
    with tracer.start_as_current_span("sibling") as sibling:
        in_sibling = ids()
    assert in_outer == back_in_outer == of(outer)
    assert in_inner == of(inner)
    assert in_sibling == of(sibling)
    assert in_sibling[0] != of(outer)[0]
    assert ids() is None


def test_a_secret_named_key_is_redacted_after_many_plain_lines() -> None:
    for _ in range(3):
        plain = processors.redact(None, "info", {"event": "order placed", "order_id": 42})
        assert plain == {"event": "order placed", "order_id": 42}
    line = processors.redact(
        None, "info", {"event": "order placed", "order_id": 42, "client_secret": "Zr0pLm9Qx"}
    )
    assert line["client_secret"] == "[REDACTED]"
    assert line["order_id"] == 42

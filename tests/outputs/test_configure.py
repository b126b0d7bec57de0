"""configure(): structlog and stdlib lines alike, api_error on both, idempotent."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import structlog

from _servers import LoopbackServer
from conftest import require
from errorlens._internal.config import configure, unconfigure
from errorlens.stdlib import ReadingHandler, attach, detach
from errorlens.testing import capture_api_errors

ERROR_BODY = {
    "errors": [
        {"field": "email", "message": "is not a valid address"},
        {"field": "amount", "message": "must be positive"},
    ],
    "message": "Validation failed",
    "code": "validation_failed",
    "request_id": "req_val_1",
}
ENV_NAMES = (
    "ERRORLENS_LEVEL",
    "ERRORLENS_FORMAT",
    "ERRORLENS_SERVICE",
    "LOG_LEVEL",
    "OTEL_SERVICE_NAME",
    "NO_COLOR",
    "FORCE_COLOR",
)


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    try:
        yield
    finally:
        unconfigure()


def _http_error(server: LoopbackServer) -> requests.HTTPError:
    server.respond(422, {"x-correlation-id": "corr-9"}, ERROR_BODY)
    response = requests.post(server.url + "/v2/customers", json={"email": "x"}, timeout=5)
    try:
        response.raise_for_status()
    except requests.HTTPError as error:
        return error
    raise AssertionError("the loopback server did not answer with an error")


def _lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]


def _ours(root: logging.Logger) -> list[logging.Handler]:
    """configure()'s reading handler (the one that annotates records for the others)."""
    return [h for h in root.handlers if isinstance(h, ReadingHandler)]


def test_structlog_and_stdlib_lines_come_out_alike(loopback: LoopbackServer) -> None:
    out = io.StringIO()
    configure(service="checkout", json=True, stream=out)
    error = _http_error(loopback)
    with capture_api_errors() as seen:
        try:
            raise error
        except requests.HTTPError:
            structlog.get_logger("app.billing").exception("create failed", customer="c_1")
            logging.getLogger("lib.client").exception("create failed")
    from_structlog, from_stdlib = _lines(out)
    for line in (from_structlog, from_stdlib):
        assert line["level"] == "error"
        assert line["service"] == "checkout"
        assert line["event"] == "create failed"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", line["timestamp"])
        assert line["api_error"]["code"] == "validation_failed"
        assert line["api_error"]["correlation_id"] == "corr-9"
        assert "HTTPError" in line["exception"]
    assert from_structlog["logger"] == "app.billing"
    assert from_structlog["customer"] == "c_1"
    assert from_stdlib["logger"] == "lib.client"
    assert from_structlog["api_error"] == from_stdlib["api_error"]
    # One exception, logged twice: both lines carry api_error, the sinks see it once.
    assert [event.via_stdlib for event in seen] == [True]


def test_configure_and_attach_give_the_same_facts(loopback: LoopbackServer) -> None:
    error = _http_error(loopback)
    out = io.StringIO()
    configure(json=True, stream=out)
    structlog.get_logger().error("failed", exc_info=error)
    unconfigure()
    (configured,) = _lines(out)

    logger = logging.getLogger("attached.app")
    logger.propagate = False
    plain = io.StringIO()
    handler = logging.StreamHandler(plain)
    logger.addHandler(handler)
    kept: list[logging.LogRecord] = []
    logger.addFilter(lambda record: kept.append(record) or True)
    try:
        attach(logger)
        logger.error("failed", exc_info=error)
    finally:
        detach(logger)
        logger.handlers.clear()
        logger.filters.clear()
    (record,) = kept
    assert record.api_error == configured["api_error"]  # type: ignore[attr-defined]
    assert configured["api_error"]["fields"] == [
        {"field": "email", "message": "is not a valid address"},
        {"field": "amount", "message": "must be positive"},
    ]


def test_non_error_lines_have_no_api_error() -> None:
    out = io.StringIO()
    configure(json=True, stream=out)
    structlog.get_logger("a").info("hello", n=1)
    logging.getLogger("b").warning("careful %s", "now", extra={"order": 7})
    first, second = _lines(out)
    assert "api_error" not in first and "api_error" not in second
    assert first["n"] == 1
    assert second["event"] == "careful now" and second["order"] == 7


def test_second_call_replaces_never_duplicates() -> None:
    root = logging.getLogger()
    first, second = io.StringIO(), io.StringIO()
    configure(json=True, stream=first)
    configure(json=True, stream=second, service="again")
    assert len(_ours(root)) == 1
    structlog.get_logger().info("once")
    assert first.getvalue() == ""
    (line,) = _lines(second)
    assert line["service"] == "again"
    unconfigure()
    assert _ours(root) == []


def test_console_shows_api_error_facts_under_the_message(loopback: LoopbackServer) -> None:
    out = io.StringIO()
    configure(service="shop", json=False, stream=out, colors=False)
    try:
        raise _http_error(loopback)
    except requests.HTTPError:
        structlog.get_logger("app").exception("create failed")
    lines = out.getvalue().splitlines()
    assert "[error" in lines[0] and "create failed" in lines[0] and "service=shop" in lines[0]
    assert lines[1].strip().startswith("api_error  422 validation_failed")
    assert "request_id=req_val_1" in lines[1] and "correlation_id=corr-9" in lines[1]
    assert "fields: email (is not a valid address), amount (must be positive)" in lines[2]
    assert lines[3].startswith("               url: POST http://127.0.0.1:")
    assert lines[4] == "Traceback (most recent call last):"
    assert "\x1b[" not in out.getvalue()


def test_console_colours_when_asked() -> None:
    out = io.StringIO()
    configure(json=False, stream=out, colors=True)
    structlog.get_logger().info("hi")
    assert "\x1b[" in out.getvalue()


def test_json_when_the_stream_is_not_a_terminal() -> None:
    out = io.StringIO()  # not a tty
    configure(stream=out)
    structlog.get_logger().info("auto")
    assert json.loads(out.getvalue())["event"] == "auto"


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERRORLENS_LEVEL", "warning")
    monkeypatch.setenv("ERRORLENS_FORMAT", "console")
    monkeypatch.setenv("ERRORLENS_SERVICE", "from-env")
    monkeypatch.setenv("NO_COLOR", "1")
    out = io.StringIO()
    configure(stream=out)
    log = structlog.get_logger()
    log.info("dropped")
    log.warning("kept")
    text = out.getvalue()
    assert "dropped" not in text
    assert "kept" in text and "service=from-env" in text and not text.startswith("{")
    assert "\x1b[" not in text


def test_fallback_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "otel-name")
    out = io.StringIO()
    configure(stream=out, json=True)
    structlog.get_logger().debug("fine detail")
    (line,) = _lines(out)
    assert line["service"] == "otel-name" and line["level"] == "debug"


def test_arguments_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERRORLENS_LEVEL", "ERROR")
    monkeypatch.setenv("ERRORLENS_SERVICE", "env")
    out = io.StringIO()
    configure(service="arg", level="INFO", json=True, stream=out)
    structlog.get_logger().info("shown")
    (line,) = _lines(out)
    assert line["service"] == "arg"


def test_bad_level_falls_back_to_info() -> None:
    out = io.StringIO()
    configure(level="LOUD", json=True, stream=out)
    log = structlog.get_logger()
    log.debug("no")
    log.info("yes")
    assert [line["event"] for line in _lines(out)] == ["yes"]


def test_other_handlers_still_see_the_exception(loopback: LoopbackServer) -> None:
    out = io.StringIO()
    configure(json=True, stream=out)
    kept: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record)

    root = logging.getLogger()
    other = Keep()
    root.addHandler(other)
    error = _http_error(loopback)
    try:
        structlog.get_logger("app").error("failed", exc_info=error, user="u1")
    finally:
        root.removeHandler(other)
    (record,) = kept
    assert record.exc_info is not None and record.exc_info[1] is error
    assert record.getMessage() == "failed"
    assert record.api_error["code"] == "validation_failed"  # type: ignore[attr-defined]


def test_trace_ids_through_configure() -> None:
    sdk_trace = require("opentelemetry.sdk.trace")
    out = io.StringIO()
    configure(json=True, stream=out)
    tracer = sdk_trace.TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("job") as span:
        structlog.get_logger().info("in span")
        logging.getLogger("lib").warning("lib in span")
    structlog.get_logger().info("no span")
    first, second, third = _lines(out)
    context = span.get_span_context()
    for line in (first, second):
        assert line["trace_id"] == format(context.trace_id, "032x")
        assert line["span_id"] == format(context.span_id, "016x")
    assert "trace_id" not in third


def test_context_vars_and_positional_args() -> None:
    out = io.StringIO()
    configure(json=True, stream=out)
    structlog.contextvars.bind_contextvars(request_id="r-77")
    try:
        structlog.get_logger().info("user %s", "ann")
        logging.getLogger("lib").info("lib line")
    finally:
        structlog.contextvars.clear_contextvars()
    first, second = _lines(out)
    assert first["event"] == "user ann" and first["request_id"] == "r-77"
    assert second["request_id"] == "r-77"


def test_user_processors_run_before_rendering() -> None:
    out = io.StringIO()

    def add_region(logger: Any, method: str, event: Any) -> Any:
        event["region"] = "eu"
        return event

    configure(json=True, stream=out, processors=[add_region])
    structlog.get_logger().info("x")
    assert _lines(out)[0]["region"] == "eu"


def test_unconfigure_restores_root_level() -> None:
    root = logging.getLogger()
    before = root.level
    configure(level="DEBUG", stream=io.StringIO())
    assert root.level == logging.DEBUG
    unconfigure()
    assert root.level == before


OTEL_SCRIPT = """
import json, logging, sys
import structlog
from opentelemetry import trace
from errorlens._internal.config import configure
from errorlens import otel

class VendorError(Exception):
    def __init__(self):
        super().__init__("charge refused")
        self.status_code = 402
        self.body = {"error": {"code": "card_declined", "message": "Declined"}}

for _ in range(2):  # twice: still one bridge to OpenTelemetry
    configure(service="svc-otel", json=True, stream=sys.stderr, otel=True)
print(json.dumps([type(h).__name__ for h in logging.getLogger().handlers]), file=sys.stderr)
with trace.get_tracer("test").start_as_current_span("checkout") as span:
    try:
        raise VendorError()
    except VendorError:
        structlog.get_logger("shop").exception("charge failed")
otel.shutdown()
"""


def _json_objects(text: str) -> list[dict[str, Any]]:
    # The console exporters print indented JSON objects one after another.
    decoder, index, found = json.JSONDecoder(), 0, []
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return found
        value, index = decoder.raw_decode(text, index)
        found.append(value)


def test_otel_true_exports_spans_and_log_lines() -> None:
    require("opentelemetry.sdk")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERRORLENS_", "OTEL_"))}
    env.update(
        OTEL_TRACES_EXPORTER="console", OTEL_LOGS_EXPORTER="console", OTEL_METRICS_EXPORTER="none"
    )
    result = subprocess.run(
        [sys.executable, "-c", OTEL_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    handlers_line, log_line = result.stderr.splitlines()[:2]
    assert json.loads(handlers_line).count("LogHandler") == 1
    line = json.loads(log_line)
    assert line["api_error"]["code"] == "card_declined"
    exported = _json_objects(result.stdout)
    (span,) = [item for item in exported if "name" in item and "context" in item]
    (record,) = [item for item in exported if "body" in item]
    assert span["context"]["trace_id"] == "0x" + line["trace_id"]
    assert span["resource"]["attributes"]["service.name"] == "svc-otel"
    assert record["body"] == "charge failed"
    assert record["trace_id"] == span["context"]["trace_id"]
    assert record["attributes"]["api_error.code"] == "card_declined"


def test_attach_and_detach_leave_configures_handler_alone(loopback: LoopbackServer) -> None:
    out = io.StringIO()
    configure(json=True, stream=out)
    root = logging.getLogger()
    before = list(root.handlers)
    attach("some.app")
    attach()
    detach("some.app")
    detach()
    assert root.handlers == before
    logging.getLogger("elsewhere").error("failed", exc_info=_http_error(loopback))
    assert _lines(out)[0]["api_error"]["code"] == "validation_failed"

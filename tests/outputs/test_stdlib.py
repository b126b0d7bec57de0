"""attach(): records of existing loggers get api_error; their handlers stay theirs."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

import errorlens.stdlib
from _servers import LoopbackServer
from conftest import require
from errorlens.stdlib import ApiErrorFilter, attach, detach
from errorlens.testing import capture_api_errors

SECRET_KEY = "sk-proj-abcdefghijklmnopqrstu"
ERROR_BODY = {
    "error": {
        "type": "rate_limit_error",
        "code": "rate_limit_exceeded",
        "message": f"Rate limit reached for key {SECRET_KEY}",
    }
}
PLAIN_FORMAT = "%(levelname)s %(name)s %(message)s"


def _http_error(server: LoopbackServer) -> requests.HTTPError:
    server.respond(429, {"x-request-id": "req_42", "retry-after": "7"}, ERROR_BODY)
    response = requests.get(server.url + f"/v1/chat?api_key={SECRET_KEY}", timeout=5)
    try:
        response.raise_for_status()
    except requests.HTTPError as error:
        return error
    raise AssertionError("the loopback server did not answer with an error")


class _Keep(logging.Handler):
    """Keeps the records it receives, as another handler of the app would (Sentry's)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def app_logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A non-propagating "shop" logger with one plain-text handler, detached afterwards."""
    logger = logging.getLogger("shop")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    logger.addHandler(handler)
    try:
        yield logger, out
    finally:
        detach(logger)
        logger.handlers.clear()
        logger.propagate = True


def _log_failure(logger: logging.Logger, error: BaseException) -> None:
    try:
        raise error
    except requests.HTTPError:
        logger.exception("charge failed")


def test_attach_leaves_handlers_and_formatters_as_they_were(
    app_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = app_logger
    handler = logger.handlers[0]
    # (Recent pytest versions add their capture handlers to non-propagating loggers.)
    handlers = list(logger.handlers)
    settings = [(h.formatter, h.level, list(h.filters)) for h in handlers]
    logger.getChild("cart").info("added %s", "socks")
    before = out.getvalue()

    attached = attach(logger)

    assert attached == handlers and handler in attached
    assert logger.handlers == handlers
    assert [(h.formatter, h.level) for h in handlers] == [(f, lv) for f, lv, _ in settings]
    assert logger.filters == []
    out.truncate(0)
    out.seek(0)
    logger.getChild("cart").info("added %s", "socks")
    assert out.getvalue() == before  # a line without an API error is byte for byte the same

    detach(logger)
    assert [(h.formatter, h.level, h.filters) for h in handlers] == settings
    assert logger.handlers == handlers


def test_attached_records_carry_api_error_and_exception_stays(
    app_logger: tuple[logging.Logger, io.StringIO], loopback: LoopbackServer
) -> None:
    logger, out = app_logger
    keep = _Keep()
    logger.addHandler(keep)
    attach(logger)
    error = _http_error(loopback)
    with capture_api_errors() as seen:
        _log_failure(logger.getChild("billing"), error)

    (record,) = keep.records
    assert record.exc_info is not None and record.exc_info[1] is error  # Sentry still sees it
    api_error = record.api_error  # type: ignore[attr-defined]
    assert api_error["code"] == "rate_limit_exceeded"
    assert api_error["request_id"] == "req_42"
    assert api_error["retry_after"] == 7.0
    assert api_error["retryable"] is True
    assert len(seen) == 1 and seen[0].via_stdlib is True
    assert seen[0].logger_name == "shop.billing" and seen[0].level == logging.ERROR
    text = out.getvalue()
    assert text.startswith("ERROR shop.billing charge failed\nTraceback")
    assert SECRET_KEY not in text  # the traceback printed is errorlens's redacted one
    assert "api_key=[REDACTED]" in text


def test_plain_format_with_summary(loopback: LoopbackServer) -> None:
    logger = logging.getLogger("plainapp")
    logger.propagate = False
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter(PLAIN_FORMAT + " | %(api_error_summary)s"))
    logger.addHandler(handler)
    try:
        attach("plainapp")  # the format mentions the summary: every record gets one
        logger.warning("starting")
        _log_failure(logger, _http_error(loopback))
    finally:
        detach("plainapp")
        logger.handlers.clear()
    lines = out.getvalue().splitlines()
    assert lines[0] == "WARNING plainapp starting | "
    assert lines[1].startswith("ERROR plainapp charge failed | 429 rate_limit_exceeded ")
    assert "request_id=req_42" in lines[1] and "retry_after=7s" in lines[1]
    assert SECRET_KEY not in out.getvalue()


def test_children_are_covered_other_loggers_are_not(loopback: LoopbackServer) -> None:
    root = logging.getLogger()
    keep = _Keep()
    root.addHandler(keep)
    try:
        attach("shopfront")  # no handler of its own: the root's handler is reached
        error = _http_error(loopback)
        _log_failure(logging.getLogger("shopfront.checkout"), error)
        _log_failure(logging.getLogger("elsewhere"), error)
    finally:
        detach("shopfront")
        root.removeHandler(keep)
    by_name = {record.name: record for record in keep.records}
    assert by_name["shopfront.checkout"].api_error["code"] == "rate_limit_exceeded"  # type: ignore[attr-defined]
    assert not hasattr(by_name["elsewhere"], "api_error")
    assert keep.filters == []


def test_error_extra_with_a_response(
    app_logger: tuple[logging.Logger, io.StringIO], loopback: LoopbackServer
) -> None:
    logger, _ = app_logger
    keep = _Keep()
    logger.addHandler(keep)
    attach(logger)
    response = _http_error(loopback).response
    logger.error("vendor said no", extra={"error": response})
    logger.info("plain", extra={"error": "just a string"})
    first, second = keep.records
    assert first.api_error["status"] == 429  # type: ignore[attr-defined]
    assert not hasattr(second, "api_error")


def test_attach_twice_installs_one_filter_per_handler(
    app_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, _ = app_logger
    attach(logger)
    attach(logger)
    for handler in logger.handlers:
        filters = [f for f in handler.filters if isinstance(f, ApiErrorFilter)]
        assert len(filters) == 1
    detach(logger)
    assert [h.filters for h in logger.handlers] == [[] for _ in logger.handlers]


def test_two_handlers_one_extraction(
    app_logger: tuple[logging.Logger, io.StringIO], loopback: LoopbackServer
) -> None:
    logger, _ = app_logger
    logger.addHandler(_Keep())
    attach(logger)
    with capture_api_errors() as seen:
        _log_failure(logger, _http_error(loopback))
    assert len(seen) == 1


def test_python_json_logger_emits_nested_api_error(loopback: LoopbackServer) -> None:
    jsonlogger = require("pythonjsonlogger.json")
    logger = logging.getLogger("jsonapp")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(jsonlogger.JsonFormatter("%(levelname)s %(name)s %(message)s"))
    logger.addHandler(handler)
    try:
        attach(logger)
        logger.info("ready")
        _log_failure(logger, _http_error(loopback))
    finally:
        detach(logger)
        logger.handlers.clear()
    ready, failed = (json.loads(line) for line in out.getvalue().splitlines())
    assert ready == {"levelname": "INFO", "name": "jsonapp", "message": "ready"}
    assert failed["api_error"]["code"] == "rate_limit_exceeded"
    assert failed["api_error"]["url"].endswith("api_key=[REDACTED]")
    assert "api_error_summary" not in failed
    if sys.version_info >= (3, 12):
        # The handler gets a copy without exc_info: python-json-logger prints exc_text.
        assert SECRET_KEY not in failed["exc_info"]
    else:
        # python-json-logger formats exc_info itself; errorlens does not take it away.
        assert "Traceback" in failed["exc_info"]


def test_custom_format_exception_is_respected_and_redacted(loopback: LoopbackServer) -> None:
    class OneLine(logging.Formatter):
        def formatException(self, ei: Any) -> str:
            return f"!! {ei[1]}"

    logger = logging.getLogger("onelineapp")
    logger.propagate = False
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(OneLine("%(message)s"))
    logger.addHandler(handler)
    try:
        attach(logger)
        _log_failure(logger, _http_error(loopback))
    finally:
        detach(logger)
        logger.handlers.clear()
    assert out.getvalue().startswith("charge failed\n!! 429 Client Error")
    assert SECRET_KEY not in out.getvalue()


def test_trace_ids_on_records_inside_a_span(
    app_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    sdk_trace = require("opentelemetry.sdk.trace")
    logger, _ = app_logger
    keep = _Keep()
    logger.addHandler(keep)
    attach(logger)
    tracer = sdk_trace.TracerProvider().get_tracer("test")
    logger.info("outside")
    with tracer.start_as_current_span("work") as span:
        logger.info("inside")
    outside, inside = keep.records
    assert not hasattr(outside, "trace_id")
    assert inside.trace_id == format(span.get_span_context().trace_id, "032x")  # type: ignore[attr-defined]
    assert inside.span_id == format(span.get_span_context().span_id, "016x")  # type: ignore[attr-defined]


def test_a_handler_that_logs_does_not_loop(loopback: LoopbackServer) -> None:
    logger = logging.getLogger("loopy")
    logger.propagate = False

    class Chatty(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.msg != "echo":
                logger.error("echo", exc_info=record.exc_info)

    handler = Chatty()
    logger.addHandler(handler)
    try:
        attach(logger)
        with capture_api_errors() as seen:
            _log_failure(logger, _http_error(loopback))
    finally:
        detach(logger)
        logger.handlers.clear()
    assert len(seen) == 1  # the line and its echo carry one exception: recorded once


def test_filter_never_raises_on_odd_records() -> None:
    flt = ApiErrorFilter(handler=logging.NullHandler())
    odd = logging.makeLogRecord({"msg": "%s %s", "args": ("only one",), "error": object()})
    assert flt.filter(odd) is True
    bad_exc = logging.makeLogRecord({"msg": "x", "exc_info": (None, None, None)})
    assert flt.filter(bad_exc) is True


def test_public_module_surface() -> None:
    assert set(errorlens.stdlib.__all__) == {"ApiErrorFilter", "attach", "detach"}


def test_any_exception_gets_a_redacted_traceback(
    app_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    # No HTTP response, so no API error: a connection failure whose text holds the url.
    logger, out = app_logger
    attach(logger)
    url = f"http://127.0.0.1:9/v1/models?api_key={SECRET_KEY}"
    try:
        requests.get(url, timeout=2)
    except requests.ConnectionError:
        logger.exception("cannot reach %s", url)
    text = out.getvalue()
    assert "ConnectionError" in text and "Traceback" in text
    assert SECRET_KEY not in text
    assert "api_key=[REDACTED]" in text


def test_a_second_filter_with_summary_gets_the_real_summary(loopback: LoopbackServer) -> None:
    # configure()'s filter (summary off) reads the record first; a plain handler attached
    # with summary=True then sees the same record already read.
    logger = logging.getLogger("twofilters")
    logger.propagate = False
    json_like = _Keep()
    json_like.addFilter(ApiErrorFilter(handler=json_like))
    out = io.StringIO()
    plain = logging.StreamHandler(out)
    plain.setFormatter(logging.Formatter("%(message)s | %(api_error_summary)s"))
    logger.addHandler(json_like)
    logger.addHandler(plain)
    try:
        attach(logger, summary=True)
        logger.warning("fine")
        _log_failure(logger, _http_error(loopback))
    finally:
        detach(logger)
        logger.handlers.clear()
    lines = out.getvalue().splitlines()
    assert lines[0] == "fine | "
    assert lines[1].startswith("charge failed | 429 rate_limit_exceeded ")


def test_a_record_without_a_name_passes_an_attached_handler(
    app_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = app_logger
    attach(logger)
    # The fixture's own handler (pytest may add capture handlers beside it).
    handler = next(h for h in logger.handlers if getattr(h, "stream", None) is out)
    nameless = logging.makeLogRecord({"name": None, "msg": "odd", "levelno": logging.INFO})
    handler.handle(nameless)
    assert "odd" in out.getvalue()

"""attach(): records of existing loggers get api_error; their handlers stay theirs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests

import errorlens
import errorlens.stdlib
from _servers import LoopbackServer
from conftest import KeepRecords, own_logger, require
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


@pytest.fixture
def app_logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A non-propagating "shop" logger with one plain-text handler, detached afterwards."""
    with own_logger("shop", logging.Formatter(PLAIN_FORMAT)) as logged:
        yield logged


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
    # One errorlens handler first; the application's own after it, each as it was.
    assert logger.handlers[1:] == handlers
    assert [(h.formatter, h.level, h.filters) for h in handlers] == settings
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
    keep = KeepRecords()
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
    keep = KeepRecords()
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
    keep = KeepRecords()
    logger.addHandler(keep)
    attach(logger)
    response = _http_error(loopback).response
    logger.error("vendor said no", extra={"error": response})
    logger.info("plain", extra={"error": "just a string"})
    first, second = keep.records
    assert first.api_error["status"] == 429  # type: ignore[attr-defined]
    assert not hasattr(second, "api_error")


def test_attach_twice_installs_one_errorlens_handler(
    app_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, _ = app_logger
    before = list(logger.handlers)
    attach(logger)
    attach(logger)
    assert len(logger.handlers) == len(before) + 1
    assert all(h.filters == [] for h in logger.handlers)
    detach(logger)
    assert logger.handlers == before


def test_two_handlers_one_extraction(
    app_logger: tuple[logging.Logger, io.StringIO], loopback: LoopbackServer
) -> None:
    logger, _ = app_logger
    logger.addHandler(KeepRecords())
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
    # python-json-logger formats exc_info itself: it prints errorlens's redacted text,
    # on every Python version, and the formatter gets its own method back on detach.
    assert "Traceback" in failed["exc_info"] and "HTTPError" in failed["exc_info"]
    assert SECRET_KEY not in failed["exc_info"]
    assert "formatException" not in vars(handler.formatter)


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
    keep = KeepRecords()
    logger.addHandler(keep)
    attach(logger)
    tracer = sdk_trace.TracerProvider().get_tracer("test")
    logger.info("outside")
    with tracer.start_as_current_span("work") as span:
        logger.info("inside")
    outside, inside = keep.records
    # Plain records stay plain (JSON lines unchanged); trace_context=True adds the ids.
    assert not hasattr(outside, "trace_id") and not hasattr(inside, "trace_id")
    attach(logger, trace_context=True)
    with tracer.start_as_current_span("work") as span:
        logger.info("inside")
    inside = keep.records[-1]
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


def test_a_filter_and_attach_read_a_record_once(loopback: LoopbackServer) -> None:
    # A handler's own ApiErrorFilter and attach() both see the record: one reading, and
    # the plain handler prints the real summary.
    logger = logging.getLogger("twofilters")
    logger.propagate = False
    json_like = KeepRecords()
    json_like.addFilter(ApiErrorFilter(handler=json_like))
    out = io.StringIO()
    plain = logging.StreamHandler(out)
    plain.setFormatter(logging.Formatter("%(message)s | %(api_error_summary)s"))
    logger.addHandler(json_like)
    logger.addHandler(plain)
    try:
        attach(logger)
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


# --- attach() whatever the handlers (issue #11) -------------------------------------------


@pytest.fixture
def library_logger() -> Iterator[logging.Logger]:
    """A library's logger: a NullHandler and nothing else, not propagating."""
    logger = logging.getLogger("vendorlib")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(logging.NullHandler())
    try:
        yield logger
    finally:
        detach(logger)
        logger.handlers.clear()
        logger.propagate = True


def test_a_null_handler_logger_still_records_each_api_error_once(
    library_logger: logging.Logger, loopback: LoopbackServer
) -> None:
    sdk_trace = require("opentelemetry.sdk.trace")
    exporting = require("opentelemetry.sdk.trace.export.in_memory_span_exporter")
    exporter = exporting.InMemorySpanExporter()
    provider = sdk_trace.TracerProvider()
    export = require("opentelemetry.sdk.trace.export")
    provider.add_span_processor(export.SimpleSpanProcessor(exporter))
    # Only the NullHandler (pytest may have added its capture handler: not here).
    library_logger.handlers[:] = [logging.NullHandler()]
    attached = attach(library_logger)
    assert [type(h) for h in attached] == [logging.NullHandler]
    error = _http_error(loopback)
    with capture_api_errors() as seen, provider.get_tracer("t").start_as_current_span("call"):
        _log_failure(library_logger, error)
        _log_failure(library_logger, error)  # logged twice, recorded once
    assert len(seen) == 1 and seen[0].record.code == "rate_limit_exceeded"
    (span,) = exporter.get_finished_spans()
    (event,) = [e for e in span.events if e.name == "exception"]
    assert event.attributes["api_error.code"] == "rate_limit_exceeded"
    assert SECRET_KEY not in str(event.attributes["exception.stacktrace"])


def test_handlers_added_after_attach_see_annotated_records(
    app_logger: tuple[logging.Logger, io.StringIO], loopback: LoopbackServer
) -> None:
    logger, _ = app_logger
    attach(logger)
    later = io.StringIO()
    handler = logging.StreamHandler(later)
    handler.setFormatter(logging.Formatter("%(message)s | %(api_error_summary)s"))
    logger.addHandler(handler)
    logger.info("ready")
    _log_failure(logger, _http_error(loopback))
    ready, failed, *traceback = later.getvalue().splitlines()
    assert ready == "ready | "
    assert failed.startswith("charge failed | 429 rate_limit_exceeded")
    assert "request_id=req_42" in failed
    assert traceback[0] == "Traceback (most recent call last):"
    assert SECRET_KEY not in later.getvalue()


@pytest.mark.parametrize(
    "fmt",
    [
        "%(message)s|%(api_error_summary)s|%(trace_id)s|%(span_id)s",
        "$message|$api_error_summary|$trace_id|$span_id",
    ],
    ids=["percent", "dollar"],
)
def test_errorlens_fields_work_in_any_format_string_inside_or_outside_a_span(
    app_logger: tuple[logging.Logger, io.StringIO],
    capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    sdk_trace = require("opentelemetry.sdk.trace")
    logger, out = app_logger
    logger.handlers[0].setFormatter(
        logging.Formatter(fmt, style="$" if fmt.startswith("$") else "%")
    )
    attach(logger)
    logger.info("outside")
    with sdk_trace.TracerProvider().get_tracer("t").start_as_current_span("work") as span:
        logger.info("inside")
    context = span.get_span_context()
    outside, inside = out.getvalue().splitlines()
    assert outside == "outside|||"
    assert inside == f"inside||{context.trace_id:032x}|{context.span_id:016x}"
    assert "Logging error" not in capsys.readouterr().err
    detach(logger)  # the formatter's defaults are its own again
    assert logger.handlers[0].formatter._style._defaults is None  # type: ignore[union-attr]


def test_detach_undoes_exactly_what_attach_did_per_logger() -> None:
    root = logging.getLogger()
    child = logging.getLogger("shared.child")
    shared = KeepRecords()
    own = KeepRecords()
    root.addHandler(shared)
    child.addHandler(own)
    before_root, before_child = list(root.handlers), list(child.handlers)
    try:
        attach()
        attach("shared.child")
        detach()
        assert root.handlers == before_root
        assert shared.filters == [] and own.filters == []
        assert len(child.handlers) == len(before_child) + 1  # still attached
        child.error("boom", extra={"error": errorlens.from_http(503, {}, b"")})
        assert own.records[-1].api_error["status"] == 503  # type: ignore[attr-defined]
        detach("shared.child")
        assert child.handlers == before_child
    finally:
        detach("shared.child")
        detach()
        root.removeHandler(shared)
        child.removeHandler(own)


def test_a_handlers_list_replaced_after_attach_is_still_watched(
    app_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, _ = app_logger
    attach(logger)
    logger.info("first")  # the handlers attach() found are covered
    later = io.StringIO()
    handler = logging.StreamHandler(later)
    handler.setFormatter(logging.Formatter("%(message)s | %(api_error_summary)s"))
    # A new list with as many handlers as before: only its identity changed.
    logger.handlers = [logger.handlers[0], handler]
    logger.info("second")
    assert later.getvalue() == "second | \n"

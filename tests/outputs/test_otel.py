"""errorlens.otel against the real OpenTelemetry SDK, with in-memory exporters and readers."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Iterator
from typing import Any

import pytest

try:
    import httpx
    from opentelemetry import _logs, metrics, trace
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs import export as logs_export
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind, StatusCode
except ImportError as missing:  # pragma: no cover - the environment decides
    if os.environ.get("CI") == "true":
        raise
    pytest.skip(f"needs errorlens[otel] and httpx: {missing}", allow_module_level=True)

import errorlens
from conftest import reset_otel_globals
from errorlens import otel
from errorlens._internal import events as _emit
from errorlens._internal.events import ErrorEvent, emit

# Renamed in SDK 1.39; the old name is a deprecated alias there.
InMemoryLogRecordExporter = (
    getattr(logs_export, "InMemoryLogRecordExporter", None) or logs_export.InMemoryLogExporter
)


class Sdk:
    """Application-owned SDK providers wired to in-memory exporters."""

    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.logs = InMemoryLogRecordExporter()
        self.logger_provider = LoggerProvider()
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.logs))
        trace.set_tracer_provider(self.tracer_provider)
        metrics.set_meter_provider(self.meter_provider)
        _logs.set_logger_provider(self.logger_provider)
        self.tracer = trace.get_tracer("tests")

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()
        self.logger_provider.shutdown()

    def points(self, name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        found: list[Any] = []
        if data is None:
            return found
        for resource_metrics in data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    if metric.name == name:
                        found.extend(metric.data.data_points)
        return found

    def metric(self, name: str) -> Any:
        data = self.reader.get_metrics_data()
        assert data is not None
        for resource_metrics in data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    if metric.name == name:
                        return metric
        raise AssertionError(f"no metric {name}")


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sdk]:
    monkeypatch.delenv(otel.EXCEPTION_SIGNAL_ENV, raising=False)
    reset_otel_globals()
    installed = Sdk()
    yield installed
    installed.shutdown()
    reset_otel_globals()


def rate_limited() -> httpx.HTTPStatusError:
    """A real httpx error, raised and caught so that it has a traceback."""
    request = httpx.Request("POST", "https://api.openai.com/v1/chat/completions")
    response = httpx.Response(
        429,
        headers={"x-request-id": "req_abc", "x-correlation-id": "corr-9", "retry-after": "2"},
        json={
            "error": {
                "code": "rate_limit_exceeded",
                "type": "requests",
                "message": "Rate limit reached",
            }
        },
        request=request,
    )
    try:
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        return exc
    raise AssertionError("raise_for_status did not raise")


def validation_record() -> errorlens.ErrorRecord:
    return errorlens.from_http(
        422,
        {},
        b'{"message": "Validation failed",'
        b' "errors": [{"field": "email", "message": "is invalid"}]}',
        url="https://api.example.com/users",
    )


def one_span(sdk: Sdk) -> Any:
    spans = sdk.spans.get_finished_spans()
    assert len(spans) == 1
    return spans[0]


# -- span event, attributes, status -------------------------------------------------


def test_record_error_adds_exception_event_with_api_error_attributes(sdk: Sdk) -> None:
    exc = rate_limited()
    with sdk.tracer.start_as_current_span("charge"):
        record = errorlens.record_error(exc)
    assert record is not None

    span = one_span(sdk)
    events = [e for e in span.events if e.name == "exception"]
    assert len(events) == 1
    attrs = dict(events[0].attributes)
    cls = type(exc)
    assert attrs["exception.type"] == f"{cls.__module__}.{cls.__qualname__}"
    assert attrs["exception.type"].startswith("httpx.")
    assert "429" in attrs["exception.message"]
    assert "Traceback (most recent call last)" in attrs["exception.stacktrace"]
    assert "raise_for_status" in attrs["exception.stacktrace"]
    assert attrs[otel.ATTR_VENDOR] == "openai"
    assert attrs[otel.ATTR_CODE] == "rate_limit_exceeded"
    assert attrs[otel.ATTR_TYPE] == "requests"
    assert attrs[otel.ATTR_REQUEST_ID] == "req_abc"
    assert attrs[otel.ATTR_CORRELATION_ID] == "corr-9"
    assert attrs[otel.ATTR_RETRY_AFTER] == 2.0
    assert attrs[otel.ATTR_RETRYABLE] is True
    assert attrs[otel.ATTR_STATUS_CODE] == 429
    assert attrs[otel.ATTR_SERVER_ADDRESS] == "api.openai.com"


def test_span_gets_error_type_status_code_headers_and_error_status(sdk: Sdk) -> None:
    with sdk.tracer.start_as_current_span("charge"):
        errorlens.record_error(rate_limited())

    span = one_span(sdk)
    assert span.attributes["error.type"] == "rate_limit_exceeded"
    assert span.attributes["http.response.status_code"] == 429
    assert tuple(span.attributes["http.response.header.x-request-id"]) == ("req_abc",)
    assert tuple(span.attributes["http.response.header.x-correlation-id"]) == ("corr-9",)
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "rate_limit_exceeded: Rate limit reached"


def test_error_type_falls_back_to_status_and_fields_are_strings(sdk: Sdk) -> None:
    record = validation_record()
    assert record.code is None  # the premise: no code, so the status names the error
    with sdk.tracer.start_as_current_span("signup"):
        emit(ErrorEvent(record))

    span = one_span(sdk)
    assert span.attributes["error.type"] == "422"
    assert span.status.description.startswith("422: Validation failed")
    assert "http.response.header.x-request-id" not in span.attributes
    event = span.events[0]
    assert tuple(event.attributes[otel.ATTR_FIELDS]) == ("email: is invalid",)
    # No exception: no type and no stack trace, the record's text as the message.
    assert "exception.type" not in event.attributes
    assert "exception.stacktrace" not in event.attributes
    assert event.attributes["exception.message"] == record.message


def test_status_description_is_capped(sdk: Sdk) -> None:
    record = errorlens.ErrorRecord(vendor="acme", status=400, code="bad", message="x" * 5000)
    with sdk.tracer.start_as_current_span("call"):
        emit(ErrorEvent(record))
    description = one_span(sdk).status.description
    assert description.startswith("bad: xxx")
    assert len(description) <= 200


def test_server_span_keeps_its_own_http_response_attributes(sdk: Sdk) -> None:
    with sdk.tracer.start_as_current_span("GET /checkout", kind=SpanKind.SERVER) as span:
        span.set_attribute("http.response.status_code", 200)
        errorlens.record_error(rate_limited())

    finished = one_span(sdk)
    # The vendor's 429 is not this server's response: it stays on the event.
    assert finished.attributes["http.response.status_code"] == 200
    assert "http.response.header.x-request-id" not in finished.attributes
    assert finished.events[0].attributes["http.response.status_code"] == 429
    assert finished.attributes["error.type"] == "rate_limit_exceeded"
    assert finished.status.status_code is StatusCode.ERROR


def test_traceback_formatted_once_and_shared(sdk: Sdk, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []

    class Counting(traceback.TracebackException):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if not kwargs.get("_seen"):  # the chained exceptions it reads itself
                calls.append(args[1] if len(args) > 1 else None)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(_emit._tb, "TracebackException", Counting)
    monkeypatch.setenv(otel.EXCEPTION_SIGNAL_ENV, "logs/dup")
    exc = rate_limited()
    with sdk.tracer.start_as_current_span("charge"):
        emit(ErrorEvent(errorlens.extract(exc), (type(exc), exc, exc.__traceback__)))
        emit(ErrorEvent(errorlens.extract(exc), (type(exc), exc, exc.__traceback__)))

    assert len(calls) == 1  # two events, span + log outputs each: one formatting
    span_text = one_span(sdk).events[0].attributes["exception.stacktrace"]
    log_text = sdk.logs.get_finished_logs()[0].log_record.attributes["exception.stacktrace"]
    assert span_text == log_text == _emit.traceback_of((type(exc), exc, exc.__traceback__))


def test_no_span_no_problem_and_metrics_still_counted(sdk: Sdk) -> None:
    assert not trace.get_current_span().is_recording()
    assert errorlens.record_error(rate_limited()) is not None
    assert sdk.spans.get_finished_spans() == ()
    assert sum(p.value for p in sdk.points(otel.METRIC_ERRORS)) == 1


def test_exception_whose_str_raises_is_reported_without_breaking(sdk: Sdk) -> None:
    class Hostile(Exception):
        status_code = 503

        def __str__(self) -> str:
            raise RuntimeError("no text for you")

    record = errorlens.ErrorRecord(vendor="acme", status=503, message="Upstream down")
    try:
        raise Hostile()
    except Hostile as exc:
        with sdk.tracer.start_as_current_span("call"):
            emit(ErrorEvent(record, (type(exc), exc, exc.__traceback__)))
    event = one_span(sdk).events[0]
    assert event.attributes["exception.message"] == "Upstream down"
    assert event.attributes["exception.type"].endswith("Hostile")


def test_secrets_in_exception_text_are_redacted(sdk: Sdk) -> None:
    secret = "sk-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4"
    record = errorlens.ErrorRecord(vendor="openai", status=401, code="invalid_api_key")
    try:
        raise RuntimeError(f"Incorrect API key provided: {secret}")
    except RuntimeError as exc:
        with sdk.tracer.start_as_current_span("call"):
            emit(ErrorEvent(record, (type(exc), exc, exc.__traceback__)))
    attrs = one_span(sdk).events[0].attributes
    assert secret not in attrs["exception.message"]
    assert secret not in attrs["exception.stacktrace"]


# -- metrics --------------------------------------------------------------------------


def test_counter_and_histogram_points(sdk: Sdk) -> None:
    errorlens.record_error(rate_limited())
    errorlens.record_error(rate_limited())

    errors = sdk.metric(otel.METRIC_ERRORS)
    assert errors.unit == "{error}"
    (point,) = errors.data.data_points
    assert point.value == 2
    assert dict(point.attributes) == {
        otel.ATTR_VENDOR: "openai",
        otel.ATTR_CODE: "rate_limit_exceeded",
        otel.ATTR_STATUS_CODE: 429,
        otel.ATTR_RETRYABLE: True,
        otel.ATTR_CATEGORY: "rate_limit",
    }

    waits = sdk.metric(otel.METRIC_RETRY_AFTER)
    assert waits.unit == "s"
    (hist,) = waits.data.data_points
    assert hist.count == 2
    assert hist.sum == 4.0
    assert tuple(hist.explicit_bounds) == otel.RETRY_AFTER_BUCKETS
    assert dict(hist.attributes) == {
        otel.ATTR_VENDOR: "openai",
        otel.ATTR_CODE: "rate_limit_exceeded",
        otel.ATTR_CATEGORY: "rate_limit",
    }


def test_metric_attributes_never_carry_ids_or_messages(sdk: Sdk) -> None:
    errorlens.record_error(rate_limited())
    emit(ErrorEvent(validation_record()))
    for point in sdk.points(otel.METRIC_ERRORS):
        keys = set(point.attributes)
        assert keys <= {
            otel.ATTR_VENDOR,
            otel.ATTR_CODE,
            otel.ATTR_STATUS_CODE,
            otel.ATTR_RETRYABLE,
            otel.ATTR_SERVER_ADDRESS,  # an unnamed vendor's upstream, by its host
            otel.ATTR_CATEGORY,
        }
        assert not any(
            "req_abc" == str(v) or "Rate limit" in str(v) for v in point.attributes.values()
        )


def test_codes_past_the_per_vendor_limit_fold_into_other(sdk: Sdk) -> None:
    vendor = "cardinality-test"
    # Codes with numbers in them share the smaller part of the vendor's budget.
    limit = otel.metrics._MAX_OTHER_CODES_PER_VENDOR
    total = limit + 10
    for n in range(total):
        emit(ErrorEvent(errorlens.ErrorRecord(vendor=vendor, status=400, code=f"code_{n}")))

    points = [
        p for p in sdk.points(otel.METRIC_ERRORS) if p.attributes.get(otel.ATTR_VENDOR) == vendor
    ]
    codes = {p.attributes[otel.ATTR_CODE]: p.value for p in points}
    assert len(codes) == limit + 1
    assert codes[otel.OTHER] == 10
    assert sum(codes.values()) == total
    # Codes seen before the limit keep their own series.
    emit(ErrorEvent(errorlens.ErrorRecord(vendor=vendor, status=400, code="code_0")))
    points = [
        p for p in sdk.points(otel.METRIC_ERRORS) if p.attributes.get(otel.ATTR_VENDOR) == vendor
    ]
    assert {p.attributes[otel.ATTR_CODE]: p.value for p in points}["code_0"] == 2


def test_instruments_follow_a_new_global_meter_provider(sdk: Sdk) -> None:
    errorlens.record_error(rate_limited())
    assert sum(p.value for p in sdk.points(otel.METRIC_ERRORS)) == 1
    sdk.shutdown()
    reset_otel_globals()
    second = Sdk()
    try:
        errorlens.record_error(rate_limited())
        assert sum(p.value for p in second.points(otel.METRIC_ERRORS)) == 1
    finally:
        second.shutdown()


def test_prometheus_names(sdk: Sdk) -> None:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from prometheus_client import CollectorRegistry, generate_latest

    try:
        registry = CollectorRegistry()
        reader = PrometheusMetricReader(registry=registry)
    except TypeError:  # older exporters always use the global registry
        from prometheus_client import REGISTRY as registry

        reader = PrometheusMetricReader()
    sdk.shutdown()
    reset_otel_globals()
    provider = MeterProvider(metric_readers=[reader])
    metrics.set_meter_provider(provider)
    try:
        errorlens.record_error(rate_limited())
        text = generate_latest(registry).decode()
    finally:
        provider.shutdown()
    series = [line for line in text.splitlines() if line.startswith(otel.PROMETHEUS_ERRORS + "{")]
    assert len(series) == 1
    assert 'api_error_vendor="openai"' in series[0]
    assert 'api_error_code="rate_limit_exceeded"' in series[0]
    assert 'http_response_status_code="429"' in series[0]
    assert series[0].endswith(" 1.0")
    assert f"{otel.PROMETHEUS_RETRY_AFTER}_bucket{{" in text


# -- exceptions as log records (OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN) -----------------


def test_default_sends_no_log_record(sdk: Sdk) -> None:
    with sdk.tracer.start_as_current_span("charge"):
        errorlens.record_error(rate_limited())
    assert sdk.logs.get_finished_logs() == ()


@pytest.mark.parametrize(("mode", "span_events"), [("logs", 0), ("logs/dup", 1)])
def test_exception_signal_opt_in(
    sdk: Sdk, monkeypatch: pytest.MonkeyPatch, mode: str, span_events: int
) -> None:
    monkeypatch.setenv(otel.EXCEPTION_SIGNAL_ENV, mode)
    with sdk.tracer.start_as_current_span("charge"):
        errorlens.record_error(rate_limited(), message="charge failed")

    span = one_span(sdk)
    assert len([e for e in span.events if e.name == "exception"]) == span_events
    assert span.status.status_code is StatusCode.ERROR  # the status stays on the span
    (log,) = sdk.logs.get_finished_logs()
    record = log.log_record
    assert record.trace_id == span.context.trace_id
    assert record.span_id == span.context.span_id
    assert record.body == "charge failed"
    assert record.severity_text == "ERROR"
    assert record.attributes[otel.ATTR_CODE] == "rate_limit_exceeded"
    assert record.attributes["exception.type"].startswith("httpx.")
    assert "Traceback" in record.attributes["exception.stacktrace"]


@pytest.mark.parametrize("bridge", [True, False])
def test_logs_mode_sends_one_record_per_logged_error(
    sdk: Sdk, monkeypatch: pytest.MonkeyPatch, bridge: bool
) -> None:
    from errorlens import stdlib

    monkeypatch.setenv(otel.EXCEPTION_SIGNAL_ENV, "logs")
    logger = logging.getLogger("tests.otel.dedupe")
    logger.propagate = False
    logger.addHandler(logging.StreamHandler(io.StringIO()))  # the application's own
    if bridge:
        logger.addHandler(otel.LogHandler())
    stdlib.attach(logger)
    try:
        with sdk.tracer.start_as_current_span("charge") as span:
            try:
                rate_limited().response.raise_for_status()
            except httpx.HTTPStatusError:
                logger.exception("charge failed")
    finally:
        stdlib.detach(logger)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True
    # With the bridge, the line itself is the exception's log record; without it,
    # errorlens sends one. Never both.
    (log,) = sdk.logs.get_finished_logs()
    assert log.log_record.body == "charge failed"
    assert log.log_record.span_id == span.get_span_context().span_id
    assert log.log_record.attributes[otel.ATTR_CODE] == "rate_limit_exceeded"
    assert "Traceback" in log.log_record.attributes["exception.stacktrace"]
    assert log.instrumentation_scope.name == ("tests.otel.dedupe" if bridge else "errorlens")
    assert [e.name for e in one_span(sdk).events] == []


# -- the stdlib -> OTel logs bridge ---------------------------------------------------


@pytest.fixture
def bridged(sdk: Sdk) -> Iterator[logging.Logger]:
    logger = logging.getLogger("tests.otel.bridge")
    handler = otel.LogHandler()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger
    logger.removeHandler(handler)
    logger.propagate = True


def test_bridge_sends_lines_with_trace_context(sdk: Sdk, bridged: logging.Logger) -> None:
    with sdk.tracer.start_as_current_span("work") as span:
        bridged.warning("low balance %s", 3, extra={"account": "acc_1", "api_token": "tok_secret"})
    (log,) = sdk.logs.get_finished_logs()
    record = log.log_record
    assert record.body == "low balance 3"
    assert record.severity_text == "WARN"
    assert record.severity_number.value == 13
    assert record.trace_id == span.get_span_context().trace_id
    assert record.span_id == span.get_span_context().span_id
    assert record.attributes["account"] == "acc_1"
    assert "api_token" not in record.attributes  # secret-looking extras stay home
    assert record.attributes["code.function.name"] == "test_bridge_sends_lines_with_trace_context"
    assert log.instrumentation_scope.name == "tests.otel.bridge"


def test_bridge_reads_api_error_from_a_line(sdk: Sdk, bridged: logging.Logger) -> None:
    exc = rate_limited()
    bridged.error("charge failed", exc_info=exc, extra={"api_error": errorlens.extract(exc)})
    bridged.error("as a dict", extra={"api_error": validation_record().as_dict()})
    first, second = (log.log_record for log in sdk.logs.get_finished_logs())
    assert first.attributes[otel.ATTR_VENDOR] == "openai"
    assert first.attributes[otel.ATTR_RETRY_AFTER] == 2.0
    assert first.attributes["exception.type"].startswith("httpx.")
    assert "raise_for_status" in first.attributes["exception.stacktrace"]
    assert second.attributes[otel.ATTR_STATUS_CODE] == 422
    assert tuple(second.attributes[otel.ATTR_FIELDS]) == ("email: is invalid",)
    assert "api_error.message" not in second.attributes


def test_bridge_skips_opentelemetry_own_loggers(sdk: Sdk) -> None:
    logger = logging.getLogger("opentelemetry.exporter.test")
    handler = otel.LogHandler()
    logger.addHandler(handler)
    try:
        logger.error("Failed to export batch")
    finally:
        logger.removeHandler(handler)
    assert sdk.logs.get_finished_logs() == ()


def test_closed_bridge_is_silent(sdk: Sdk, bridged: logging.Logger) -> None:
    (handler,) = [h for h in bridged.handlers if isinstance(h, otel.LogHandler)]
    handler.close()
    bridged.error("after close")
    assert sdk.logs.get_finished_logs() == ()


# -- setup / shutdown ---------------------------------------------------------------


@pytest.fixture
def clean_globals(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER"):
        monkeypatch.setenv(name, "none")
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
    reset_otel_globals()
    yield
    otel.shutdown()
    reset_otel_globals()


def test_setup_installs_sdk_providers_when_none_set(clean_globals: None) -> None:
    from opentelemetry.sdk._logs import LoggerProvider as SdkLoggerProvider
    from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider

    handler = otel.setup(service="checkout")
    tracer_provider = trace.get_tracer_provider()
    assert isinstance(tracer_provider, SdkTracerProvider)
    assert isinstance(metrics.get_meter_provider(), SdkMeterProvider)
    assert isinstance(_logs.get_logger_provider(), SdkLoggerProvider)
    assert tracer_provider.resource.attributes["service.name"] == "checkout"
    assert isinstance(handler, otel.LogHandler)
    # Idempotent: same providers, same handler.
    assert otel.setup(service="other") is handler
    assert trace.get_tracer_provider() is tracer_provider

    otel.shutdown()
    assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"
    assert type(_logs.get_logger_provider()).__name__ == "ProxyLoggerProvider"
    assert handler.closed
    # And again after shutdown.
    assert isinstance(otel.setup(), otel.LogHandler)
    assert isinstance(trace.get_tracer_provider(), SdkTracerProvider)


def test_setup_leaves_application_providers_alone(clean_globals: None) -> None:
    app = Sdk()
    try:
        handler = otel.setup(service="checkout")
        assert trace.get_tracer_provider() is app.tracer_provider
        assert metrics.get_meter_provider() is app.meter_provider
        assert _logs.get_logger_provider() is app.logger_provider
        # The bridge still helps: it writes into the application's logger provider.
        assert isinstance(handler, otel.LogHandler)
        otel.shutdown()
        assert trace.get_tracer_provider() is app.tracer_provider
        with app.tracer.start_as_current_span("still works"):
            pass
        assert len(app.spans.get_finished_spans()) == 1
    finally:
        app.shutdown()


def test_setup_returns_no_handler_when_logs_already_bridged(clean_globals: None) -> None:
    existing = otel.LogHandler()
    root = logging.getLogger()
    root.addHandler(existing)
    try:
        assert otel.setup() is None
    finally:
        root.removeHandler(existing)


def test_setup_without_logs(clean_globals: None) -> None:
    assert otel.setup(logs=False) is None
    assert type(_logs.get_logger_provider()).__name__ == "ProxyLoggerProvider"


def test_otel_service_name_wins_over_argument(
    clean_globals: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-env")
    otel.setup(service="from-code")
    resource = trace.get_tracer_provider().resource
    assert resource.attributes["service.name"] == "from-env"


def test_sdk_disabled(clean_globals: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert otel.setup() is None
    assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"


# -- API only: no SDK installed --------------------------------------------------------

_API_ONLY = textwrap.dedent(
    """
    import sys, time
    # Make the SDK unimportable, as when only opentelemetry-api is installed.
    for name in ("opentelemetry.sdk", "opentelemetry.exporter"):
        sys.modules[name] = None
    import errorlens
    from errorlens import otel

    record = errorlens.from_http(429, {"x-request-id": "r1"}, b'{"error": {"code": "slow"}}')
    from errorlens._internal.events import ErrorEvent, emit
    try:
        raise RuntimeError("boom")
    except RuntimeError as caught:
        exc = caught
    emit(ErrorEvent(record, (type(exc), exc, exc.__traceback__)))
    from errorlens._internal import events as _emit
    print("sink:", otel.otel_sink in _emit._sinks)
    print("setup:", otel.setup(service="x"))
    print("formatted:", _emit.traceback_of((type(exc), exc, exc.__traceback__)) is not None)
    """
)


def test_api_only_is_a_quiet_no_op() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _API_ONLY], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "sink: True" in result.stdout
    assert "setup: None" in result.stdout
    # Nobody records the span: the traceback is never formatted.
    assert "formatted: False" in result.stdout
    assert "pip install 'errorlens[otel]'" in result.stderr


# -- done when: a stdlib logger with only attach(), application-owned providers -------


def test_stdlib_attach_end_to_end(sdk: Sdk) -> None:
    from errorlens import stdlib

    stream = io.StringIO()
    text_handler = logging.StreamHandler(stream)
    text_handler.setFormatter(
        logging.Formatter("%(levelname)s %(message)s trace=%(trace_id)s span=%(span_id)s")
    )
    logger = logging.getLogger("tests.otel.app")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(text_handler)
    logger.addHandler(otel.LogHandler())  # the application bridges its logs to OTel
    stdlib.attach(logger)
    try:
        with sdk.tracer.start_as_current_span("charge") as span:
            try:
                rate_limited().response.raise_for_status()
            except httpx.HTTPStatusError:
                logger.exception("charge failed")
    finally:
        stdlib.detach(logger)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True

    context = span.get_span_context()
    trace_hex, span_hex = f"{context.trace_id:032x}", f"{context.span_id:016x}"

    # The span: exception event, error.type, status.
    finished = one_span(sdk)
    (event,) = [e for e in finished.events if e.name == "exception"]
    assert event.attributes[otel.ATTR_CODE] == "rate_limit_exceeded"
    assert event.attributes[otel.ATTR_REQUEST_ID] == "req_abc"
    assert finished.attributes["error.type"] == "rate_limit_exceeded"
    assert finished.status.status_code is StatusCode.ERROR

    # The metric point.
    (point,) = sdk.points(otel.METRIC_ERRORS)
    assert point.value == 1
    assert point.attributes[otel.ATTR_VENDOR] == "openai"

    # The application's own text line, correlated to the span.
    line = stream.getvalue()
    assert line.startswith("ERROR charge failed")
    assert f"trace={trace_hex} span={span_hex}" in line
    assert "Traceback (most recent call last)" in line

    # The same line as an OpenTelemetry log record, tied to the span, with api_error.*.
    (log,) = sdk.logs.get_finished_logs()
    record = log.log_record
    assert record.body == "charge failed"
    assert (record.trace_id, record.span_id) == (context.trace_id, context.span_id)
    assert record.attributes[otel.ATTR_CODE] == "rate_limit_exceeded"
    assert record.attributes[otel.ATTR_RETRYABLE] is True
    assert "trace_id" not in record.attributes  # carried by the record's own context
    # One traceback text for the span event, the text line and the OTel record.
    stacktrace = event.attributes["exception.stacktrace"]
    assert record.attributes["exception.stacktrace"] == stacktrace
    assert stacktrace in line


# -- issue #10 findings ------------------------------------------------------------------


def test_bridged_log_body_and_extras_are_redacted(sdk: Sdk, bridged: logging.Logger) -> None:
    bridged.info(
        "calling https://api.example.com/v1?api_key=QueryKey998877 with Bearer BodyToken123456",
        extra={"note": "sent sk-live0123456789abcdefgh"},
    )
    (log,) = sdk.logs.get_finished_logs()
    shown = str(log.log_record.body) + repr(dict(log.log_record.attributes or {}))
    for secret in ("QueryKey998877", "BodyToken123456", "sk-live0123456789abcdefgh"):
        assert secret not in shown
    assert "https://api.example.com/v1?api_key=[REDACTED]" in str(log.log_record.body)


def test_one_exception_logged_again_is_recorded_once(sdk: Sdk) -> None:
    logger = logging.getLogger("tests.otel.twice")
    logger.addHandler(logging.StreamHandler(io.StringIO()))
    logger.propagate = False
    errorlens.attach(logger)
    try:
        with sdk.tracer.start_as_current_span("checkout"):
            try:
                try:
                    raise rate_limited()
                except httpx.HTTPStatusError:
                    logger.exception("charge failed")
                    raise
            except httpx.HTTPStatusError:
                logger.exception("charge failed, giving up")
    finally:
        errorlens.detach(logger)
        logger.handlers.clear()
        logger.propagate = True
    (span,) = sdk.spans.get_finished_spans()
    assert [event.name for event in span.events] == ["exception"]
    assert sum(point.value for point in sdk.points(otel.METRIC_ERRORS)) == 1


def test_a_signal_handler_logging_while_the_metrics_lock_is_held_goes_through(
    sdk: Sdk,
) -> None:
    import signal

    from errorlens.otel import metrics as otel_metrics

    def on_alarm(signum: int, frame: Any) -> None:
        errorlens.record_error(errorlens.from_http(503, {}, b'{"error": {"code": "sig_busy"}}'))

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        with otel_metrics._labels.lock:  # the handler runs while this thread holds it
            signal.raise_signal(signal.SIGALRM)
    finally:
        signal.signal(signal.SIGALRM, previous)
    codes = [point.attributes.get(otel.ATTR_CODE) for point in sdk.points(otel.METRIC_ERRORS)]
    assert "sig_busy" in codes


def test_metrics_count_every_error_whatever_the_policy(sdk: Sdk) -> None:
    from errorlens._internal.policy import set_current

    out = io.StringIO()
    logger = logging.getLogger("shop.metrics")
    logger.addHandler(logging.StreamHandler(out))
    errorlens.stdlib.attach("shop.metrics", levels={"openai": "drop", "status:404": "debug"})
    try:
        for _ in range(3):
            try:
                raise rate_limited()
            except httpx.HTTPStatusError:
                logger.exception("call failed")
    finally:
        errorlens.stdlib.detach("shop.metrics")
        logger.handlers.clear()
        set_current(None)
    assert out.getvalue() == ""  # dropped: no line
    (point,) = sdk.metric(otel.METRIC_ERRORS).data.data_points
    assert point.value == 3
    assert point.attributes[otel.ATTR_CATEGORY] == "rate_limit"

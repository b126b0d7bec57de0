"""errorlens.otel.setup exporting over real OTLP/HTTP to servers started here, on loopback.

The collector stand-in decodes what arrives with opentelemetry-proto: these tests check
the attributes survive the wire, not just the SDK's memory.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

try:
    import httpx
    from opentelemetry import trace
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
    )
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
except ImportError as missing:  # pragma: no cover - the environment decides
    if os.environ.get("CI") == "true":
        raise
    pytest.skip(
        f"needs errorlens[otel], opentelemetry-proto, httpx: {missing}", allow_module_level=True
    )

import errorlens
from conftest import reset_otel_globals
from errorlens import otel

pytestmark = pytest.mark.integration

LOOPBACK = "127.0.0.1"


class Collector:
    """An OTLP/HTTP receiver on loopback that keeps every request body by path."""

    def __init__(self) -> None:
        self.received: dict[str, list[bytes]] = {}
        lock = threading.Lock()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    received.setdefault(self.path, []).append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output clean

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.server.server_address[1]}"

    def __enter__(self) -> Collector:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def requests(self, path: str, message_type: Any) -> list[Any]:
        decoded = []
        for body in self.received.get(path, []):
            message = message_type()
            message.ParseFromString(body)
            decoded.append(message)
        return decoded


def any_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    return getattr(value, kind)


def attributes(key_values: Any) -> dict[str, Any]:
    return {kv.key: any_value(kv.value) for kv in key_values}


def rate_limited() -> httpx.HTTPStatusError:
    request = httpx.Request("POST", "https://api.openai.com/v1/chat/completions")
    response = httpx.Response(
        429,
        headers={"x-request-id": "req_wire", "retry-after": "3"},
        json={"error": {"code": "rate_limit_exceeded", "message": "Rate limit reached"}},
        request=request,
    )
    try:
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        return exc
    raise AssertionError("raise_for_status did not raise")


@pytest.fixture
def otel_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    reset_otel_globals()
    yield monkeypatch
    otel.shutdown()
    reset_otel_globals()


@pytest.fixture
def app_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("tests.otel.export")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.propagate = True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def test_spans_metrics_and_logs_arrive_over_otlp_http(
    otel_env: pytest.MonkeyPatch, app_logger: logging.Logger
) -> None:
    with Collector() as collector:
        otel_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint)
        handler = otel.setup(service="checkout-test")
        assert handler is not None
        app_logger.addHandler(handler)

        tracer = trace.get_tracer("tests")
        with tracer.start_as_current_span("charge") as span:
            exc = rate_limited()
            record = errorlens.record_error(exc)
            app_logger.error("charge failed", exc_info=exc, extra={"api_error": record})
        trace_id = span.get_span_context().trace_id.to_bytes(16, "big")
        otel.shutdown()  # flushes every batch processor and the metric reader

        (traces,) = collector.requests("/v1/traces", ExportTraceServiceRequest)
        resource_spans = traces.resource_spans[0]
        assert attributes(resource_spans.resource.attributes)["service.name"] == "checkout-test"
        (exported,) = resource_spans.scope_spans[0].spans
        assert exported.name == "charge"
        assert exported.trace_id == trace_id
        assert exported.status.code == 2  # STATUS_CODE_ERROR
        assert exported.status.message == "rate_limit_exceeded: Rate limit reached"
        span_attrs = attributes(exported.attributes)
        assert span_attrs["error.type"] == "rate_limit_exceeded"
        assert span_attrs["http.response.status_code"] == 429
        assert span_attrs["http.response.header.x-request-id"] == ["req_wire"]
        (event,) = exported.events
        assert event.name == "exception"
        event_attrs = attributes(event.attributes)
        assert event_attrs["api_error.vendor"] == "openai"
        assert event_attrs["api_error.code"] == "rate_limit_exceeded"
        assert event_attrs["api_error.request_id"] == "req_wire"
        assert event_attrs["api_error.retry_after"] == 3.0
        assert event_attrs["api_error.retryable"] is True
        assert "raise_for_status" in event_attrs["exception.stacktrace"]

        metrics = collector.requests("/v1/metrics", ExportMetricsServiceRequest)
        points: dict[str, list[Any]] = {}
        for request in metrics:
            for resource_metrics in request.resource_metrics:
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        if metric.name == otel.METRIC_ERRORS:
                            assert metric.unit == "{error}"
                            points.setdefault(metric.name, []).extend(metric.sum.data_points)
                        elif metric.name == otel.METRIC_RETRY_AFTER:
                            points.setdefault(metric.name, []).extend(metric.histogram.data_points)
        (counted,) = points[otel.METRIC_ERRORS]
        assert counted.as_int == 1
        assert attributes(counted.attributes) == {
            "api_error.vendor": "openai",
            "api_error.code": "rate_limit_exceeded",
            "http.response.status_code": 429,
            "api_error.retryable": True,
            "api_error.category": "rate_limit",
        }
        (waited,) = points[otel.METRIC_RETRY_AFTER]
        assert waited.sum == 3.0
        assert list(waited.explicit_bounds) == list(otel.RETRY_AFTER_BUCKETS)

        (logs,) = collector.requests("/v1/logs", ExportLogsServiceRequest)
        (line,) = logs.resource_logs[0].scope_logs[0].log_records
        assert line.body.string_value == "charge failed"
        assert line.trace_id == trace_id
        assert line.span_id == span.get_span_context().span_id.to_bytes(8, "big")
        line_attrs = attributes(line.attributes)
        assert line_attrs["api_error.code"] == "rate_limit_exceeded"
        assert line_attrs["exception.stacktrace"] == event_attrs["exception.stacktrace"]


class Unresponsive:
    """A loopback port where no collector answers: refused, or accepted and then silent."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.socket: socket.socket | None = None
        if kind == "hanging":
            # The kernel completes the handshake into the backlog; nobody ever reads.
            self.socket = socket.socket()
            self.socket.bind((LOOPBACK, 0))
            self.socket.listen(8)
            self.port = int(self.socket.getsockname()[1])
        else:
            self.port = free_port()

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()


@pytest.mark.parametrize("kind", ["refused", "hanging"])
def test_a_collector_that_is_down_does_not_block_the_application(
    otel_env: pytest.MonkeyPatch, app_logger: logging.Logger, kind: str
) -> None:
    # What would block is a connection to the collector: record which thread opens one.
    # The application's log calls must never be that thread (wall-clock medians are no
    # proof on a loaded 2-core machine; the thread is).
    down = Unresponsive(kind)
    connecting: list[str] = []
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and address[1:2] == (down.port,):
            connecting.append(threading.current_thread().name)
        return real_connect(sock, address)

    try:
        otel_env.setattr(socket.socket, "connect", connect)
        otel_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://{LOOPBACK}:{down.port}")
        otel_env.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "0.5")
        otel_env.setenv("OTEL_BSP_SCHEDULE_DELAY", "10")  # export at once, in the background
        otel_env.setenv("OTEL_BLRP_SCHEDULE_DELAY", "10")
        handler = otel.setup(service="down-test")
        assert handler is not None
        app_logger.addHandler(handler)
        tracer = trace.get_tracer("tests")
        exc = rate_limited()

        durations = []
        for _ in range(50):
            started = time.perf_counter()
            with tracer.start_as_current_span("charge"):
                errorlens.record_error(exc)
                app_logger.error("charge failed", exc_info=exc)
            durations.append(time.perf_counter() - started)
            time.sleep(0.002)  # let the exporters start (and hang on) their requests
        # The exporters did try the dead collector, each on a thread of its own (waiting
        # for that is bounded by the SDK's 10 ms schedule delay, not by these calls).
        waited = 0.0
        while not connecting and waited < 30:
            time.sleep(0.05)
            waited += 0.05
        assert connecting, "no exporter tried the collector"
        assert threading.current_thread().name not in connecting, connecting
        durations.sort()
        print(f"\n{kind}: median {durations[25] * 1e3:.2f} ms, max {durations[-1] * 1e3:.2f} ms")
        # A generous bound beside it: a call that waited on the hanging collector would
        # take the 0.5 s export timeout, so 50 of them at least 25 s.
        assert sum(durations) < 12.5, durations

        started = time.perf_counter()
        otel.shutdown()
        shutdown_seconds = time.perf_counter() - started
        print(f"{kind}: shutdown {shutdown_seconds:.2f} s")
        # Three providers, each flush bounded by the 0.5 s export timeout; exports that
        # ignored it would wait the SDK's 10 s default each (30 s).
        assert shutdown_seconds < 15.0
    finally:
        down.close()


def test_prometheus_exporter_from_environment(otel_env: pytest.MonkeyPatch) -> None:
    port = free_port()
    otel_env.setenv("OTEL_METRICS_EXPORTER", "prometheus")
    otel_env.setenv("OTEL_TRACES_EXPORTER", "none")
    otel_env.setenv("OTEL_EXPORTER_PROMETHEUS_HOST", LOOPBACK)
    otel_env.setenv("OTEL_EXPORTER_PROMETHEUS_PORT", str(port))
    assert otel.setup(logs=False) is None
    errorlens.record_error(rate_limited())
    with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    series = [line for line in text.splitlines() if line.startswith(otel.PROMETHEUS_ERRORS + "{")]
    assert len(series) == 1
    assert 'api_error_code="rate_limit_exceeded"' in series[0]
    assert f"{otel.PROMETHEUS_RETRY_AFTER}_count{{" in text

    otel.shutdown()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://{LOOPBACK}:{port}/metrics", timeout=2)

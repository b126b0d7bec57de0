"""Fixtures for client capture: a routed loopback server, the OTel SDK, captured lines.

Test modules import the fixtures they use from here.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import errorlens
from conftest import KeepRecords, reset_otel_globals

Route = tuple[int, dict[str, str], bytes]


class RoutedServer:
    """A loopback HTTP/1.1 server answering per path; ``/endless`` never ends its body,
    ``/stall`` stops sending after one byte of it.

    Every request's headers are kept in ``seen`` (path, headers) for the tests to check.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.stop_event = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                server.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                if self.path == "/endless":
                    self._endless()
                    return
                if self.path == "/stall":
                    # Headers and a first byte, then silence until the test ends.
                    self.send_response(504)
                    self.send_header("Content-Length", "100")
                    self.end_headers()
                    self.wfile.write(b"{")
                    self.wfile.flush()
                    server.stop_event.wait(30)
                    self.close_connection = True
                    return
                status, headers, body = server.routes.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _endless(self) -> None:
                # A 503 whose chunked body goes on until the test stops the server.
                self.send_response(503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b'{"error": {"code": "overloaded", "message": "try later"}, "pad": "'
                try:
                    while not server.stop_event.is_set():
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                        chunk = b"x" * 4096
                        time.sleep(0.001)
                except OSError:
                    pass
                self.close_connection = True

            do_POST = do_GET

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def route(self, path: str, status: int, body: Any = b"", **headers: str) -> str:
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        self.routes[path] = (status, {k.replace("_", "-"): v for k, v in headers.items()}, body)
        return self.url + path


@pytest.fixture
def server() -> Iterator[RoutedServer]:
    routed = RoutedServer()
    routed.thread.start()
    yield routed
    routed.stop_event.set()
    routed.httpd.shutdown()
    routed.httpd.server_close()
    routed.thread.join(5)


class Sdk:
    """The real OpenTelemetry SDK, in memory: finished spans and the error counter."""

    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        trace.set_tracer_provider(self.tracer_provider)
        metrics.set_meter_provider(self.meter_provider)
        self.tracer = trace.get_tracer("tests")

    def error_count(self) -> int:
        data = self.reader.get_metrics_data()
        total = 0
        for resource_metrics in data.resource_metrics if data else ():
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    if metric.name == "api.client.errors":
                        total += sum(point.value for point in metric.data.data_points)
        return total

    def exception_events(self) -> list[Any]:
        return [
            event
            for span in self.spans.get_finished_spans()
            for event in span.events
            if event.name == "exception"
        ]


@pytest.fixture
def sdk() -> Iterator[Sdk]:
    reset_otel_globals()
    installed = Sdk()
    yield installed
    installed.tracer_provider.shutdown()
    installed.meter_provider.shutdown()
    reset_otel_globals()


@pytest.fixture
def lines() -> Iterator[list[logging.LogRecord]]:
    """The records the ``errorlens.capture`` logger writes (through propagation)."""
    keep = KeepRecords()
    root = logging.getLogger()
    root.addHandler(keep)
    previous = root.level
    root.setLevel(logging.DEBUG)
    yield keep.records
    root.removeHandler(keep)
    root.setLevel(previous)


@pytest.fixture(autouse=True)
def undo_capture() -> Iterator[None]:
    yield
    errorlens.uninstrument()


def capture_lines(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    """The lines errorlens's capture wrote (its own logger)."""
    return [r for r in records if r.name == "errorlens.capture"]


# Stripe's documented card error shape.
DECLINED = {
    "error": {
        "type": "card_error",
        "code": "card_declined",
        "message": "Your card was declined.",
    }
}

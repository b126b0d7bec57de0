"""Real web servers: uvicorn (FastAPI) and gunicorn (Flask) run the examples as subprocesses.

Each scenario starts the server on a loopback port with the example app, sends real
requests, stops the server with SIGTERM (as Docker and Kubernetes do) and then reads
what came out: the server's stderr (every line should be one JSON object), what a
loopback OTLP collector received, what a loopback Sentry received. The stop must flush
the spans and log records that were still buffered (the batch processors are told to
wait 60 s, so only the stop can send them).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from _sentry_server import SentryReceiver
from conftest import require

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SRC = Path(require("errorlens").__file__).resolve().parents[1]  # the errorlens under test
sys.path.insert(0, str(EXAMPLES))

from _vendor import FakeVendor  # noqa: E402

HEX32 = re.compile(r"[0-9a-f]{32}")
STRIPE_REQUEST_ID = "req_7Hq2LmZ4"  # the fake vendor's id of its own request (/v1/charges)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server ended early ({process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the server did not listen on {port} within {timeout} s")


def _environment(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "ERRORLENS_", "SENTRY_"))
    }
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(EXAMPLES)])
    env.update(extra)
    return env


@dataclass
class Run:
    """What a server run left: its stderr lines, its exit, the replies it gave."""

    lines: list[str] = field(default_factory=list)
    returncode: int | None = None
    replies: list[Any] = field(default_factory=list)
    stopped_at: float = 0.0  # time.time() when SIGTERM was sent
    exited_at: float = 0.0  # time.time() when the process had ended

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    def json_records(self) -> list[dict[str, Any]]:
        """The JSON lines only (a gunicorn master without --preload writes plain text)."""
        return [json.loads(line) for line in self.lines if line.startswith("{")]

    def of_request(self, request_id: str) -> list[dict[str, Any]]:
        return [r for r in self.records() if r.get("http.request.id") == request_id]


def serve(
    command: list[str], port: int, env: dict[str, str], requests: list[tuple[str, str, Any]]
) -> Run:
    """Start ``command``, send ``requests`` (method, path, headers), SIGTERM, collect."""
    import httpx

    run = Run()
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        _wait_for_port(port, process, timeout=90)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for method, path, headers in requests:
                run.replies.append(client.request(method, path, headers=headers))
        run.stopped_at = time.time()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        run.exited_at = time.time()
    finally:
        process.kill()
    run.returncode = process.returncode
    text = stderr.decode("utf-8", "replace")
    run.lines = [line for line in text.splitlines() if line.strip()]
    return run


def _otel_env(endpoint: str) -> dict[str, str]:
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        # Nothing leaves before the stop unless the stop sends it.
        "OTEL_BSP_SCHEDULE_DELAY": "60000",
        "OTEL_BLRP_SCHEDULE_DELAY": "60000",
        "OTEL_METRIC_EXPORT_INTERVAL": "60000",
    }


def _uvicorn(port: int, *, workers: int = 1) -> list[str]:
    # With --workers, each worker process loads the app inside uvicorn's own signal
    # handling: errorlens's handler chains to uvicorn's there.
    return [
        sys.executable, "-m", "uvicorn", "--app-dir", str(EXAMPLES),
        "--host", "127.0.0.1", "--port", str(port), "fastapi_app:app",
        *(["--workers", str(workers)] if workers > 1 else []),
    ]  # fmt: skip


def _uvicorn_from_python(port: int) -> list[str]:
    # A launcher that configures errorlens, then runs uvicorn with two workers.
    launcher = ROOT / "tests" / "_uvicorn_serve.py"
    return [sys.executable, str(launcher), str(port), str(EXAMPLES)]


def _hypercorn(port: int) -> list[str]:
    conf = ROOT / "tests" / "_hypercorn_conf.py"
    return [
        sys.executable, "-m", "hypercorn", "--config", f"file:{conf}",
        "--bind", f"127.0.0.1:{port}", "fastapi_app:app",
    ]  # fmt: skip


def _gunicorn(port: int, *, preload: bool) -> list[str]:
    # --preload: the master imports the app, so configure() runs before its first line;
    # without it, the configuration file's on_starting hook configures the master.
    conf = ROOT / "tests" / "_gunicorn_conf.py"
    return [
        sys.executable, "-m", "gunicorn", "--chdir", str(EXAMPLES), "--workers", "1",
        "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
        *(["--preload"] if preload else ["--config", str(conf)]), "flask_app:app",
    ]  # fmt: skip


@dataclass
class Scenario:
    run: Run
    collector: Any
    sentry_events: list[dict[str, Any]]


@pytest.fixture(scope="module")
def vendor() -> Iterator[FakeVendor]:
    with FakeVendor() as fake:
        yield fake


def _scenario(vendor: FakeVendor, server: str) -> Iterator[Scenario]:
    require("opentelemetry.proto")
    from test_otel_export import Collector

    port = _free_port()
    if server == "uvicorn-launcher":
        command, path, method = _uvicorn_from_python(port), "/checkout", "GET"
    elif server.startswith("uvicorn"):
        workers = 2 if server == "uvicorn-workers" else 1
        command, path, method = _uvicorn(port, workers=workers), "/checkout", "GET"
    elif server == "hypercorn":
        command, path, method = _hypercorn(port), "/checkout", "GET"
    else:
        command, path, method = _gunicorn(port, preload=server == "gunicorn"), "/customers", "POST"
    requests = [
        (method, path, {"x-request-id": f"{server}-req-1", "x-correlation-id": "corr-77"}),
        (method, path, {}),
        (method, path, {"x-request-id": "not a valid id " + "x" * 200}),
    ]
    with Collector() as collector, SentryReceiver() as sentry:
        env = _environment(
            VENDOR_URL=vendor.url, SENTRY_DSN=sentry.dsn, **_otel_env(collector.endpoint)
        )
        run = serve(command, port, env, requests)
        yield Scenario(run, collector, sentry.wait_for_events(1, timeout=5))


@pytest.fixture(scope="module")
def uvicorn_run(vendor: FakeVendor) -> Iterator[Scenario]:
    require("uvicorn")
    require("fastapi")
    yield from _scenario(vendor, "uvicorn")


@pytest.fixture(scope="module")
def uvicorn_workers_run(vendor: FakeVendor) -> Iterator[Scenario]:
    require("uvicorn")
    require("fastapi")
    yield from _scenario(vendor, "uvicorn-workers")


@pytest.fixture(scope="module")
def uvicorn_launcher_run(vendor: FakeVendor) -> Iterator[Scenario]:
    """uvicorn with two workers, run by a script that configured errorlens first."""
    require("uvicorn")
    require("fastapi")
    yield from _scenario(vendor, "uvicorn-launcher")


@pytest.fixture(scope="module")
def hypercorn_run(vendor: FakeVendor) -> Iterator[Scenario]:
    require("hypercorn")
    require("fastapi")
    yield from _scenario(vendor, "hypercorn")


@pytest.fixture(scope="module")
def gunicorn_run(vendor: FakeVendor) -> Iterator[Scenario]:
    require("gunicorn")
    yield from _scenario(vendor, "gunicorn")


@pytest.fixture(scope="module")
def gunicorn_lazy_run(vendor: FakeVendor) -> Iterator[Scenario]:
    """gunicorn without --preload: each worker imports the app after setting its signals."""
    require("gunicorn")
    yield from _scenario(vendor, "gunicorn-lazy")


SERVERS = ["uvicorn_run", "gunicorn_run"]
ACCESS_LOGGER = {
    "uvicorn_run": "uvicorn.access",
    "gunicorn_run": "gunicorn.access",
    "hypercorn_run": "hypercorn.access",
}


# -- ids in and out ---------------------------------------------------------------------


@pytest.mark.parametrize("server", SERVERS)
def test_the_incoming_id_is_echoed_and_on_every_line_of_its_request(
    server: str, request: pytest.FixtureRequest
) -> None:
    scenario: Scenario = request.getfixturevalue(server)
    run = scenario.run
    given = run.replies[0]
    prefix = server.partition("_")[0]
    assert given.headers["x-request-id"] == f"{prefix}-req-1"
    assert given.headers["x-correlation-id"] == "corr-77"
    lines = run.of_request(f"{prefix}-req-1")
    loggers = {line["logger"] for line in lines}
    # The app's structlog and stdlib lines, the vendor error's and the server's access line.
    assert {"shop.audit", ACCESS_LOGGER[server]} <= loggers, lines
    assert all(line["http.request.correlation_id"] == "corr-77" for line in lines)
    failed = [line for line in lines if "api_error" in line]
    assert len(failed) == 1
    # Two ids, two names: the vendor's of its request, ours of the incoming one.
    assert failed[0]["api_error"]["request_id"] in (STRIPE_REQUEST_ID, "req_c0ffee")
    assert failed[0]["http.request.id"] == f"{prefix}-req-1"


@pytest.mark.parametrize("server", SERVERS)
def test_a_missing_or_invalid_id_is_replaced_by_a_new_one(
    server: str, request: pytest.FixtureRequest
) -> None:
    run: Run = request.getfixturevalue(server).run
    made, replaced = (reply.headers["x-request-id"] for reply in run.replies[1:])
    assert HEX32.fullmatch(made) and HEX32.fullmatch(replaced) and made != replaced
    assert "x-correlation-id" not in run.replies[1].headers
    for request_id in (made, replaced):
        loggers = {line["logger"] for line in run.of_request(request_id)}
        assert ACCESS_LOGGER[server] in loggers
    assert not any("valid id" in line for line in run.lines)


# -- the server's own loggers -----------------------------------------------------------


@pytest.mark.parametrize("server", [*SERVERS, "hypercorn_run"])
def test_server_lines_come_out_once_in_the_same_json_stream(
    server: str, request: pytest.FixtureRequest
) -> None:
    run: Run = request.getfixturevalue(server).run
    records = run.records()  # raises on any line that is not JSON
    access = [r for r in records if r["logger"] == ACCESS_LOGGER[server]]
    assert len(access) == len(run.replies), access  # one access line per request, no copy
    assert all(r["service"] in ("shop-api", "shop-web") for r in access)
    events = [r["event"] for r in records]
    assert len(events) == len(set(zip(events, (r["timestamp"] for r in records))))
    # No terminal colour codes (uvicorn's color_message) inside the JSON.
    assert not any("\x1b" in line or "\\u001b" in line for line in run.lines)


def test_a_gunicorn_master_without_preload_writes_json_from_its_on_starting_hook(
    gunicorn_lazy_run: Scenario,
) -> None:
    lines = gunicorn_lazy_run.run.lines
    # gunicorn logs "Starting gunicorn" just before it calls on_starting: that one
    # line stays in its own format; every later one is JSON.
    assert "Starting gunicorn" in lines[0] and not lines[0].startswith("{")
    records = [json.loads(line) for line in lines[1:]]  # raises on a line that is not JSON
    master = [r["event"] for r in records if r["logger"] == "gunicorn.error"]
    assert any(event.startswith("Booting worker") for event in master), master
    assert any(event.startswith("Listening at") for event in master), master
    assert "Shutting down: Master" in master
    # The worker's own configure() (the application's) still names its lines.
    assert any(r.get("service") == "shop-web" for r in records if r["logger"] == "shop.web")


def test_uvicorn_workers_started_from_python_write_the_supervisors_lines_as_json(
    uvicorn_launcher_run: Scenario,
) -> None:
    records = uvicorn_launcher_run.run.records()  # raises on any line that is not JSON
    supervisor = [r["event"] for r in records if r["logger"] == "uvicorn.error"]
    for said in ("Started parent process", "Waiting for child process", "Stopping parent"):
        assert any(event.startswith(said) for event in supervisor), (said, supervisor)
    # Both workers served under the application's own configure().
    started = [event for event in supervisor if event.startswith("Started server process")]
    assert len(started) == 2, supervisor
    assert sum("api_error" in r for r in records) == len(uvicorn_launcher_run.run.replies)


# -- the stop: SIGTERM flushes -----------------------------------------------------------


@pytest.mark.parametrize(
    "server",
    [*SERVERS, "uvicorn_workers_run", "uvicorn_launcher_run", "gunicorn_lazy_run", "hypercorn_run"],
)
def test_sigterm_flushes_the_spans_and_log_records(
    server: str, request: pytest.FixtureRequest
) -> None:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    scenario: Scenario = request.getfixturevalue(server)
    spans = [
        span
        for message in scenario.collector.requests("/v1/traces", ExportTraceServiceRequest)
        for resource in message.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    bodies = [
        record.body.string_value
        for message in scenario.collector.requests("/v1/logs", ExportLogsServiceRequest)
        for resource in message.resource_logs
        for scope in resource.scope_logs
        for record in scope.log_records
    ]
    handled = [span for span in spans if span.name in ("checkout", "create customer")]
    assert len(handled) == len(scenario.run.replies), scenario.run.lines[-5:]
    assert sum("failed" in body for body in bodies) == len(scenario.run.replies), bodies
    # The line's trace id is the exported span's.
    failed = [r for r in scenario.run.json_records() if "api_error" in r]
    assert {r["trace_id"] for r in failed} == {span.trace_id.hex() for span in handled}


def test_sentry_events_carry_the_opentelemetry_trace(uvicorn_run: Scenario) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    spans = {
        span.trace_id.hex(): span.span_id.hex()
        for message in uvicorn_run.collector.requests("/v1/traces", ExportTraceServiceRequest)
        for resource in message.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
        if span.name == "checkout"
    }
    assert uvicorn_run.sentry_events
    for event in uvicorn_run.sentry_events:
        trace = event["contexts"]["trace"]
        assert spans.get(trace["trace_id"]) == trace["span_id"], (trace, spans)


# -- the stop within the one budget, Sentry hanging ------------------------------------------


def test_sigterm_with_a_hanging_sentry_stops_within_the_budget(vendor: FakeVendor) -> None:
    require("uvicorn")
    require("fastapi")
    budget = 0.5
    port = _free_port()
    with SentryReceiver(answer=False) as sentry:
        env = _environment(
            VENDOR_URL=vendor.url, SENTRY_DSN=sentry.dsn, ERRORLENS_SHUTDOWN_TIMEOUT=str(budget)
        )
        run = serve(_uvicorn(port), port, env, [("GET", "/checkout", {})])
        assert sentry.wait_for_connection(timeout=5)  # the event is stuck in Sentry's queue
    assert run.returncode == -signal.SIGTERM, run.lines[-5:]
    assert any("left behind: Sentry" in line for line in run.lines), run.lines[-5:]
    # (errorlens's own warning, the left-behind one, is plain text on its private logger)
    finished = [
        r for r in run.json_records() if r.get("event", "").startswith("Finished server process")
    ]
    server_done = _epoch(finished[0]["timestamp"])
    ours = run.exited_at - server_done
    total = run.exited_at - run.stopped_at
    print(f"\nSIGTERM to exit {total:.2f} s; after uvicorn's own stop {ours:.2f} s")
    assert ours <= budget + 0.2, (ours, total)


def _epoch(timestamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


# -- Celery: the recipe's shutdown signals flush the pool process ------------------------------


def test_celery_recipe_flushes_the_pool_process_on_sigterm(tmp_path: Path) -> None:
    require("celery")
    require("opentelemetry.proto")
    import threading

    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from test_otel_export import Collector

    tests = str(ROOT / "tests")
    with Collector() as collector:
        env = _environment(CELERY_TEST_BROKER_DIR=str(tmp_path), **_otel_env(collector.endpoint))
        env["PYTHONPATH"] = os.pathsep.join([str(SRC), tests])
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "_celery_app", "worker",
             "--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            cwd=tmp_path,  # kombu's filesystem transport makes folders where it runs
        )  # fmt: skip
        lines: list[str] = []
        done = threading.Event()

        def read() -> None:
            assert worker.stdout is not None
            for line in worker.stdout:
                lines.append(line)
                if "succeeded" in line:
                    done.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            send = "import _celery_app; _celery_app.charge.delay()"
            subprocess.run(
                [sys.executable, "-c", send],
                env={**env, "OTEL_SDK_DISABLED": "true"},
                cwd=tmp_path,
                check=True,
                timeout=60,
            )
            assert done.wait(90), lines[-10:]
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
        finally:
            worker.kill()
        reader.join(5)
    spans = [
        span.name
        for message in collector.requests("/v1/traces", ExportTraceServiceRequest)
        for resource in message.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    # Spans wait 60 s in the batch: only the pool process's shutdown can have sent it.
    assert spans == ["charge task"], lines[-10:]

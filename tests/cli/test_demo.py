"""``errorlens demo`` and the vendor emulator it runs against."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import errorlens
from _servers import closed_port_url
from conftest import require
from errorlens.cli.emulator import ALL_ROUTES as ROUTES
from errorlens.cli.emulator import (
    INHOUSE_HOSTS,
    INHOUSE_RETRYABLE_CODES,
    INHOUSE_VENDOR,
    Emulator,
    route_for,
)

DEMO = "import sys; from errorlens.cli.demo import run_demo; sys.exit(run_demo(sys.argv[1:]))"


def _run_demo(*args: str, env: dict[str, str] | None = None) -> tuple[str, float]:
    # A child process: the demo sets up logging and vendor rules as an application would.
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", DEMO, *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {}), "COLUMNS": "200"},
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    return done.stdout, elapsed


def _table_rows(out: str) -> list[list[str]]:
    # Columns are found by where the header's titles start: values may hold spaces.
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("VENDOR  "))
    header = lines[start]
    titles = ["VENDOR", "STATUS", "CODE", "RETRY", "REQUEST ID", "CATEGORY", "MESSAGE"]
    edges = [header.index(title) for title in titles] + [None]
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rows.append([line[a:b].strip() for a, b in itertools.pairwise(edges)])
    return rows


def _expected_row(route: Any) -> list[str]:
    return [route.vendor or "-", str(route.status), route.code or "-"]


# Routes whose documented reading errorlens does not give yet: each expectation comes
# from the vendor's documentation, so the test waits for the reader, not the reverse.
# (route name -> the missing rule; none today.)
_NOT_READ_YET: dict[str, str] = {}


def _route_params() -> list[Any]:
    return [
        pytest.param(
            route,
            id=route.name,
            marks=[pytest.mark.xfail(strict=True, reason=_NOT_READ_YET[route.name])]
            if route.name in _NOT_READ_YET
            else [],
        )
        for route in ROUTES
    ]


@pytest.fixture(scope="module", params=["requests", "urllib"])
def demo_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """One demo run per client: its table rows and JSON lines, in route order."""
    client = request.param
    if client == "requests":
        require("requests")
    jsonl = tmp_path_factory.mktemp(f"demo-{client}") / "demo.jsonl"
    # Proxy settings in the environment must not send the calls anywhere else.
    hostile_env = {"HTTP_PROXY": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"}
    out, elapsed = _run_demo("--client", client, "--jsonl", str(jsonl), env=hostile_env)
    rows = _table_rows(out)
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    return {"client": client, "out": out, "elapsed": elapsed, "rows": rows, "lines": lines}


def test_demo_prints_a_record_for_every_vendor(demo_run: dict[str, Any]) -> None:
    assert f"called with {demo_run['client']}" in demo_run["out"]
    assert len(demo_run["rows"]) == len(ROUTES)
    assert len(demo_run["lines"]) == len(ROUTES)
    for route, line in zip(ROUTES, demo_run["lines"], strict=True):
        assert line["api_error"]["url"] == route.vendor_url
        assert line["api_error"]["status"] == route.status
        assert line["timestamp"] and line["event"]
    # A hang guard, not a benchmark: the demo takes well under a second here.
    assert demo_run["elapsed"] < 20


@pytest.mark.parametrize("route", _route_params())
def test_demo_record_reads_as_the_vendor_documents(demo_run: dict[str, Any], route: Any) -> None:
    index = ROUTES.index(route)
    row = demo_run["rows"][index]
    assert row[:3] == _expected_row(route)
    if route.retry_after is not None:
        assert row[3] == f"in {route.retry_after:g}s"
    else:
        assert row[3] == ("yes" if route.retryable else "no")
    assert row[4] == (route.request_id or "-")
    api_error = demo_run["lines"][index]["api_error"]
    # The category the line carries, shown; every demo route is an error that says what
    # kind it is (its status at least).
    assert row[5] == api_error["category"] != "unknown"
    assert api_error.get("vendor") == route.vendor
    assert api_error.get("code") == route.code
    assert api_error.get("request_id") == route.request_id
    assert api_error["retryable"] is route.retryable
    assert api_error.get("retry_after") == route.retry_after


def test_demo_jsonl_covers_many_vendors(tmp_path: Path) -> None:
    # Through the installed command's module, as `errorlens demo --jsonl` runs it.
    jsonl = tmp_path / "demo.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "errorlens.cli", "demo", "--jsonl", str(jsonl)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    errors = [json.loads(line)["api_error"] for line in jsonl.read_text().splitlines()]
    vendors = {error["vendor"] for error in errors if error.get("vendor")}
    assert len(errors) >= 16
    assert len(vendors) >= 12, vendors
    # The shapes the README promises, each read to its code or its wait.
    codes = {error.get("code") for error in errors}
    assert {"rate_limit_exceeded", "overloaded_error", "card_declined", "NoSuchKey"} <= codes
    assert {"API_KEY_INVALID", "missing_field", "channel_not_found", "out-of-credit"} <= codes
    assert "THROTTLED" in codes  # GraphQL, HTTP 200
    assert any(e["status"] == 502 and e["message"] == "502 Bad Gateway" for e in errors)
    assert any(e["status"] == 429 and e.get("retry_after") == 120 for e in errors)  # HTTP-date


def test_the_first_routes_are_error_statuses() -> None:
    # The metrics tests call ROUTES expecting an HTTP error from each.
    from errorlens.cli.emulator import MORE_ROUTES
    from errorlens.cli.emulator import ROUTES as FIRST

    assert FIRST + MORE_ROUTES == ROUTES
    assert len(FIRST) == 9 and all(route.status >= 400 for route in FIRST)


def test_every_route_names_its_source() -> None:
    names = [route.name for route in ROUTES]
    assert len(set(names)) == len(names)
    assert len({route.host for route in ROUTES}) == len(ROUTES)
    for route in ROUTES:
        assert route.source and route.action != "call failed", route.name


def test_demo_appends_and_rounds(tmp_path: Path) -> None:
    jsonl = tmp_path / "demo.jsonl"
    _run_demo("--jsonl", str(jsonl), "--rounds", "2", "--pause", "0")
    _run_demo("--jsonl", str(jsonl))
    assert len(jsonl.read_text().splitlines()) == 3 * len(ROUTES)


def test_demo_rejects_bad_arguments() -> None:
    done = subprocess.run(
        [sys.executable, "-c", DEMO, "--rounds", "0"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--rounds" in done.stderr


def test_demo_feeds_the_report(tmp_path: Path) -> None:
    from errorlens.cli.report import run_report

    jsonl = tmp_path / "demo.jsonl"
    html_path = tmp_path / "demo.html"
    _run_demo("--jsonl", str(jsonl))
    assert run_report([str(jsonl), "-o", str(html_path)]) == 0
    page = html_path.read_text()
    # The report shows what was logged (how each error reads is tested above).
    logged = [json.loads(line)["api_error"] for line in jsonl.read_text().splitlines()]
    request_ids = [error["request_id"] for error in logged if error.get("request_id")]
    assert len(request_ids) >= 10
    for request_id in request_ids:
        assert request_id in page


class _Collector:
    """An OTLP/HTTP receiver on loopback: accepts every export, remembers the paths."""

    def __init__(self) -> None:
        paths = self.paths = []  # type: list[str]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> _Collector:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _otel_env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    return {**env, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "COLUMNS": "200"}


def test_demo_otel_without_a_collector_says_so_and_exits_promptly() -> None:
    require("opentelemetry.sdk")
    endpoint = closed_port_url()
    child = subprocess.Popen(
        [sys.executable, "-c", DEMO, "--otel"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_otel_env(endpoint),
    )
    assert child.stdout is not None and child.stderr is not None
    last_error_at = None
    out = []
    for line in child.stdout:
        out.append(line)
        if line.startswith("VENDOR  "):  # the table: every call has been logged
            last_error_at = time.monotonic()
    child.wait(timeout=60)
    exited_at = time.monotonic()
    err = child.stderr.read()
    text = "".join(out)
    assert child.returncode == 0, err
    assert last_error_at is not None
    assert exited_at - last_error_at < 3.0
    assert f"telemetry NOT sent: no OpenTelemetry collector answers at {endpoint}" in err
    assert "telemetry NOT sent" in text.splitlines()[-1]
    assert "handed to the OTLP exporter" not in text
    # No exporter retried or complained: it never started.
    assert "Traceback" not in err and "Failed to export" not in err and "retry" not in err
    assert len(err.splitlines()) == 1


def test_demo_otel_with_a_collector_exports() -> None:
    require("opentelemetry.sdk")
    with _Collector() as collector:
        done = subprocess.run(
            [sys.executable, "-c", DEMO, "--otel"],
            capture_output=True,
            text=True,
            timeout=60,
            env=_otel_env(collector.endpoint),
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert f"handed to the OTLP exporter for {collector.endpoint}" in done.stdout
    assert "NOT sent" not in done.stdout + done.stderr
    assert "/v1/traces" in collector.paths and "/v1/metrics" in collector.paths


def test_emulator_routes_by_path_and_by_host() -> None:
    for route in ROUTES:
        assert route_for(f"/{route.name}/anything") is route
        assert route_for(route.vendor_url) is route
    assert route_for("/nowhere") is None
    assert route_for("http://example.org/") is None


def _answer(request: urllib.request.Request) -> tuple[int, Any, bytes]:
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200  # an error in the body (Slack, GraphQL)
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def test_emulator_answers_each_vendor_as_it_documents() -> None:
    with Emulator() as emu:
        host, port = emu.address
        assert host == "127.0.0.1"
        for route in ROUTES:
            request = urllib.request.Request(emu.url(f"{route.name}/x"), method=route.method)
            status, headers, body = _answer(request)
            assert status == route.status
            assert body == route.body
            for name, value in route.headers:
                assert headers[name] == value
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(emu.url("nowhere"), timeout=5)
        assert caught.value.code == 404
        caught.value.close()
    # Stopped: the port no longer answers.
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/openai/x", timeout=2)


@pytest.fixture
def inhouse_rule() -> Iterator[None]:
    # The rule the demo registers for its in-house API, as an application would.
    errorlens.register_vendor(
        INHOUSE_VENDOR, hosts=INHOUSE_HOSTS, retryable_codes=INHOUSE_RETRYABLE_CODES
    )
    try:
        yield
    finally:
        errorlens.unregister_vendor(INHOUSE_VENDOR)


@pytest.mark.usefixtures("inhouse_rule")
@pytest.mark.parametrize("route", _route_params())
def test_emulator_answer_reads_as_the_vendor_documents(route: Any) -> None:
    with Emulator() as emu:
        request = urllib.request.Request(emu.url(f"{route.name}/x"), method=route.method)
        status, headers, body = _answer(request)
    record = errorlens.from_http(status, headers, body, url=route.vendor_url)
    assert record.vendor == route.vendor
    assert record.code == route.code
    assert record.request_id == route.request_id
    assert record.retry_after == route.retry_after
    assert record.retryable is route.retryable


def test_emulator_needs_starting() -> None:
    emu = Emulator()
    with pytest.raises(RuntimeError):
        emu.url("openai")
    emu.stop()  # stopping what never started is harmless

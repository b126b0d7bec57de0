"""``errorlens demo`` and the vendor emulator it runs against."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import errorlens
from conftest import require
from errorlens.cli.emulator import ROUTES, Emulator, route_for

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
    titles = ["VENDOR", "STATUS", "CODE", "RETRY", "REQUEST ID", "MESSAGE"]
    edges = [header.index(title) for title in titles] + [None]
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rows.append([line[a:b].strip() for a, b in itertools.pairwise(edges)])
    return rows


def _expected_row(route: Any) -> list[str]:
    return [route.vendor or "-", str(route.status), route.code or "-"]


@pytest.mark.parametrize("client", ["requests", "urllib"])
def test_demo_prints_a_record_for_every_vendor(client: str, tmp_path: Path) -> None:
    if client == "requests":
        require("requests")
    jsonl = tmp_path / "demo.jsonl"
    # Proxy settings in the environment must not send the calls anywhere else.
    hostile_env = {"HTTP_PROXY": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"}
    out, elapsed = _run_demo("--client", client, "--jsonl", str(jsonl), env=hostile_env)

    assert f"called with {client}" in out
    rows = _table_rows(out)
    assert len(rows) == len(ROUTES)
    for route, row in zip(ROUTES, rows, strict=True):
        assert row[:3] == _expected_row(route), route.name
        retry = row[3]
        if route.retry_after is not None:
            assert retry == f"in {route.retry_after:g}s", route.name
        else:
            assert retry == ("yes" if route.retryable else "no"), route.name
        assert row[4] == (route.request_id or "-"), route.name

    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert len(lines) == len(ROUTES)
    for route, line in zip(ROUTES, lines, strict=True):
        api_error = line["api_error"]
        assert api_error.get("vendor") == route.vendor, route.name
        assert api_error["status"] == route.status
        assert api_error.get("code") == route.code
        assert api_error.get("request_id") == route.request_id
        assert api_error["retryable"] is route.retryable
        assert api_error.get("retry_after") == route.retry_after
        assert api_error["url"] == route.vendor_url
        assert line["timestamp"] and line["event"]
    # A hang guard, not a benchmark: the demo takes well under a second here.
    assert elapsed < 20


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
    for route in ROUTES:
        if route.request_id:
            assert route.request_id in page


def test_emulator_routes_by_path_and_by_host() -> None:
    for route in ROUTES:
        assert route_for(f"/{route.name}/anything") is route
        assert route_for(route.vendor_url) is route
    assert route_for("/nowhere") is None
    assert route_for("http://example.org/") is None


def test_emulator_answers_each_vendor_as_it_documents() -> None:
    with Emulator() as emu:
        host, port = emu.address
        assert host == "127.0.0.1"
        for route in ROUTES:
            request = urllib.request.Request(emu.url(f"{route.name}/x"), method=route.method)
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(request, timeout=5)
            error = caught.value
            with error:
                body = error.read()
            assert error.code == route.status
            assert body == route.body
            for name, value in route.headers:
                assert error.headers[name] == value
            record = errorlens.from_http(error.code, error.headers, body)
            assert record.code == route.code, route.name
            assert record.request_id == route.request_id, route.name
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(emu.url("nowhere"), timeout=5)
        assert caught.value.code == 404
        caught.value.close()
    # Stopped: the port no longer answers.
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/openai/x", timeout=2)


def test_emulator_needs_starting() -> None:
    emu = Emulator()
    with pytest.raises(RuntimeError):
        emu.url("openai")
    emu.stop()  # stopping what never started is harmless

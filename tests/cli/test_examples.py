"""Each example runs as its users would run it, against its own loopback vendor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import require

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _run(name: str, *, fmt: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERRORLENS_", "OTEL_"))}
    env.pop("LOG_LEVEL", None)
    env["NO_COLOR"] = "1"
    if fmt is not None:
        env["ERRORLENS_FORMAT"] = fmt
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "errorlens: internal error" not in result.stderr
    return result


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _line(lines: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    found = [line for line in lines if line.get(key) == value]
    assert len(found) == 1, f"{key}={value!r} in {lines}"
    return found[0]


def test_stdlib_json_app() -> None:
    require("pythonjsonlogger")
    require("requests")
    result = _run("stdlib_json_app.py")
    lines = _json_lines(result.stdout)
    info = _line(lines, "message", "charging card")
    assert info["amount"] == 1999 and "api_error" not in info
    failed = _line(lines, "message", "charge failed")
    assert failed["levelname"] == "ERROR"
    assert failed["api_error"]["vendor"] == "stripe"
    assert failed["api_error"]["code"] == "card_declined"
    assert failed["api_error"]["request_id"] == "req_7Hq2LmZ4"
    assert failed["api_error"]["retryable"] is False
    assert "HTTPError: 402" in failed["exc_info"]
    assert "sk_test_4eC39HqLyjWDarjtT1zdp7dc" not in result.stdout + result.stderr


def test_structlog_app_json() -> None:
    require("httpx")
    result = _run("structlog_app.py", fmt="json")
    lines = _json_lines(result.stderr)
    assert {line["service"] for line in lines} == {"catalog"}
    assert all(line["job_id"] == "sync-42" for line in lines)
    failed = _line(lines, "event", "model list failed")
    assert failed["logger"] == "catalog.sync"
    assert failed["api_error"]["vendor"] == "openai"
    assert failed["api_error"]["code"] == "rate_limit_exceeded"
    assert failed["api_error"]["retry_after"] == 1.4
    assert failed["api_error"]["retryable"] is True
    assert "HTTPStatusError" in failed["exception"]
    legacy = _line(lines, "event", "falling back to the cached list of 12")
    assert legacy["logger"] == "catalog.legacy" and legacy["level"] == "warning"
    assert any(line["logger"] == "httpx" for line in lines)  # a library's own line, alike


def test_structlog_app_console() -> None:
    require("httpx")
    result = _run("structlog_app.py", fmt="console")
    text = result.stderr
    assert not text.lstrip().startswith("{")
    lines = text.splitlines()
    failure = next(i for i, line in enumerate(lines) if "model list failed" in line)
    assert lines[failure + 1].strip().startswith("api_error  openai 429 rate_limit_exceeded")
    assert "request_id=req_8f2a1c" in lines[failure + 1]
    assert "retry_after=1.4s" in lines[failure + 1]
    assert "\x1b[" not in text


def test_web_app() -> None:
    require("flask")
    require("requests")
    result = _run("web_app.py", fmt="json")
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "502"
    assert json.loads(body) == {
        "code": "validation_failed",
        "error": "vendor_rejected",
        "fields": ["email", "name"],
        "vendor_request_id": "req_c0ffee",
    }
    lines = _json_lines(result.stderr)
    failed = _line(lines, "event", "customer creation failed")
    assert failed["request_id"] == "demo-1" and failed["path"] == "/customers"
    assert failed["api_error"]["correlation_id"] == "corr-5d1"
    assert [f["field"] for f in failed["api_error"]["fields"]] == ["email", "name"]
    finished = _line(lines, "event", "request finished")
    assert finished["status"] == 502 and finished["request_id"] == "demo-1"
    assert "sk_live_51HdemoSecretKeyNeverLogged" not in result.stdout + result.stderr


def test_retry_app_waits_the_vendors_retry_after() -> None:
    require("httpx")
    require("tenacity")
    result = _run("retry_app.py", fmt="json")
    lines = _json_lines(result.stderr)
    retries = [line for line in lines if line["event"] == "api call failed, retrying"]
    assert [line["attempt"] for line in retries] == [1, 2]
    for line in retries:
        assert line["wait"] == 0.3
        assert line["function"] == "embed"
        assert line["api_error"]["code"] == "rate_limit_exceeded"
        assert line["api_error"]["request_id"] == "req_e5b1"
        assert line["api_error"]["retry_after"] == 0.3
    assert _line(lines, "event", "embedded")["vectors"] == 1


def test_aiohttp_app_keeps_the_vendors_code() -> None:
    require("aiohttp")
    result = _run("aiohttp_app.py", fmt="json")
    failed = _line(_json_lines(result.stderr), "event", "charge failed")
    assert failed["api_error"]["code"] == "card_declined"
    assert failed["api_error"]["request_id"] == "req_7Hq2LmZ4"
    assert failed["api_error"]["method"] == "POST"


def test_capture_app_records_the_handled_429_and_counts_the_logged_402_once() -> None:
    require("httpx")
    result = _run("capture_app.py", fmt="json")
    lines = _json_lines(result.stderr)
    captured = [line for line in lines if line["logger"] == "errorlens.capture"]
    # Both error responses, at WARNING: the 429 the app handled, the 402 it logged.
    assert [(line["level"], line["api_error"]["code"]) for line in captured] == [
        ("warning", "rate_limit_exceeded"),
        ("warning", "card_declined"),
    ]
    assert captured[0]["api_error"]["request_id"] == "req_8f2a1c"
    # The same correlation id went out on both calls of this operation.
    ids = {line["api_error"]["correlation_id"] for line in captured}
    assert len(ids) == 1 and all(ids)
    failed = _line(lines, "event", "charge failed")
    assert failed["level"] == "error"
    assert failed["api_error"]["code"] == "card_declined"


def _example_names() -> list[str]:
    return sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def test_every_example_has_a_test() -> None:
    source = Path(__file__).read_text()
    for name in _example_names():
        assert f'_run("{name}"' in source, name


@pytest.mark.parametrize("name", _example_names())
def test_examples_need_no_network(name: str) -> None:
    source = (EXAMPLES / name).read_text()
    assert "FakeVendor()" in source
    assert "http://" not in source.replace("http://127.0.0.1", "")


def test_fastapi_app_under_uvicorn() -> None:
    require("fastapi")
    require("uvicorn")
    result = _run("fastapi_app.py", fmt="json")
    assert result.stdout.split()[:2] == ["402", "demo-1"]  # status, the echoed request id
    lines = _json_lines(result.stderr)
    of_request = [line for line in lines if line.get("http.request.id") == "demo-1"]
    assert {"shop.api", "shop.audit", "uvicorn.access"} <= {line["logger"] for line in of_request}
    failed = _line(lines, "event", "charge failed")
    assert failed["http.request.id"] == "demo-1"
    assert failed["api_error"]["request_id"] == "req_7Hq2LmZ4"  # the vendor's, apart


def test_flask_app_under_waitress() -> None:
    require("flask")
    require("waitress")
    result = _run("flask_app.py", fmt="json")
    assert result.stdout.split()[:2] == ["502", "demo-2"]
    lines = _json_lines(result.stderr)
    failed = _line(lines, "event", "customer creation failed")
    assert failed["http.request.id"] == "demo-2"
    assert failed["api_error"]["code"] == "validation_failed"
    assert _line(lines, "event", "customer creation attempted")["http.request.id"] == "demo-2"

"""Vendor bytes never drive a terminal: control characters are shown as escapes.

A request id with ``ESC[2J`` would clear the screen, a code with ``\\x07`` rings the bell,
a newline in a value forges a log line. Every human-facing output escapes them: the
``explain`` table, the console renderer and the HTML report.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import structlog

import errorlens
from errorlens.cli import main
from errorlens.cli.report import render_report

# Anything that acts on a terminal; a line's own final newline is checked apart.
CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

HOSTILE_RESPONSE = (
    b"HTTP/1.1 400 Bad Request\r\n"
    b"Content-Type: application/json\r\n"
    b"x-request-id: req_1\x1b[2J\x1b[H\r\n"
    b"\r\n"
    b'{"error": {"code": "bad\\u0007code", "type": "invalid\\u001b]0;title\\u0007",'
    b' "message": "first line\\nInjected: line\\u009b\\u202e",'
    b' "details": {"hint": "x\\u001b[31m\\r"}}}'
)


def _record() -> errorlens.ErrorRecord:
    from errorlens.cli import parse_raw_response

    status, headers, body = parse_raw_response(HOSTILE_RESPONSE)
    return errorlens.from_http(status, headers, body, url="https://api.example.com/v1/x\x07")


def test_the_reader_keeps_the_vendor_bytes() -> None:
    # The record holds texts and ids as sent (the JSON output escapes them); each human
    # output below must escape them itself. A code is an identifier (a metric label): its
    # control characters become a space in the record already.
    record = _record()
    assert record.request_id == "req_1\x1b[2J\x1b[H"
    assert record.message == "first line\nInjected: line\x9b\u202e"
    assert record.code == "bad code"


def test_explain_table(tmp_path: Path) -> None:
    path = tmp_path / "hostile.txt"
    path.write_bytes(HOSTILE_RESPONSE)
    out = io.StringIO()
    assert main(["explain", str(path)], out=out) == 0
    text = out.getvalue()
    assert not CONTROLS.search(text), repr(text)
    assert "req_1\\x1b[2J\\x1b[H" in text
    assert "bad code" in text
    assert "first line\\nInjected: line\\x9b\\u202e" in text
    assert not any(line.startswith("Injected") for line in text.splitlines())


def test_explain_json_is_valid_json_without_raw_controls(tmp_path: Path) -> None:
    path = tmp_path / "hostile.txt"
    path.write_bytes(HOSTILE_RESPONSE)
    out = io.StringIO()
    assert main(["explain", str(path), "--json"], out=out) == 0
    text = out.getvalue()
    assert not CONTROLS.search(text), repr(text)
    assert json.loads(text)["request_id"] == "req_1\x1b[2J\x1b[H"


def test_console_renderer() -> None:
    for colors in (False, True):
        stream = io.StringIO()
        errorlens.configure(service="shop", json=False, colors=colors, stream=stream)
        try:
            structlog.get_logger("shop").error("call \x1b[2J failed", error=_record())
        finally:
            errorlens.unconfigure()
        text = stream.getvalue()
        # Our own colour codes are the only escape sequences on the line.
        shown = re.sub("\x1b\\[[0-9;]*m", "", text)
        assert not CONTROLS.search(shown), repr(text)
        facts = next(line for line in shown.splitlines() if "api_error" in line)
        assert "bad code" in facts
        assert "request_id=req_1\\x1b[2J\\x1b[H" in facts
        assert "Injected" in facts  # on the facts line, not a line of its own
        assert "call \\x1b[2J failed" in shown


def test_report() -> None:
    line = json.dumps({"timestamp": "2024-05-13T09:00:00Z", "api_error": _record().as_dict()})
    page = render_report([line])
    assert not CONTROLS.search(page.replace("\n", " "))
    assert "req_1\\x1b[2J\\x1b[H" in page

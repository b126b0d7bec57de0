"""`errorlens explain` on saved `curl -si` outputs and bare bodies."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from errorlens.cli import main, parse_raw_response

RESPONSES = Path(__file__).resolve().parents[2] / "examples" / "responses"


def _run(*argv: str) -> str:
    out = io.StringIO()
    assert main(["explain", *argv], out=out) == 0
    return out.getvalue()


def test_json_response_as_json() -> None:
    text = _run(str(RESPONSES / "openai_429.txt"), "--json", "--url", "https://api.openai.com/v1/x")
    record = json.loads(text)
    assert record["vendor"] == "openai"
    assert record["code"] == "rate_limit_exceeded"
    assert record["retry_after"] == 1.4
    assert record["request_id"] == "req_8f2a1c"
    assert "sk-proj" not in text


def test_xml_response_after_interim_100_continue() -> None:
    text = _run(str(RESPONSES / "s3_404.txt"))
    assert "NoSuchKey" in text
    assert "4442587FB7D0A2F9" in text
    assert "404" in text


def test_html_gateway_page_gives_title_as_message() -> None:
    record = json.loads(_run(str(RESPONSES / "nginx_502.txt"), "--json"))
    assert record["status"] == 502
    assert record["message"] == "502 Bad Gateway"
    assert record["retryable"] is True


def test_bare_body_with_status_and_headers(tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_text('{"error": {"type": "overloaded_error", "message": "Overloaded"}}')
    record = json.loads(_run(str(body), "--status", "529", "--header", "Retry-After: 4", "--json"))
    assert record["code"] == "overloaded_error"
    assert record["retry_after"] == 4
    assert record["retryable"] is True


def test_table_lists_fields(tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_text('{"errors": {"email": ["is invalid"], "name": ["is required"]}}')
    text = _run(str(body), "--status", "422")
    assert "  - email: is invalid" in text
    assert "  - name: is required" in text


def test_odd_input_still_exits_zero(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"HTTP/1.1 abc\r\n\xff\xfe\x00garbage\r\n\r\n\x80\x81{{{")
    text = _run(str(junk), "--json")
    assert json.loads(text)["retryable"] is False
    assert _run(str(tmp_path / "missing.txt")) == ""


def test_stdin_through_the_installed_command() -> None:
    raw = (RESPONSES / "openai_429.txt").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "errorlens.cli", "explain", "-", "--json"],
        input=raw,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout)["code"] == "rate_limit_exceeded"


def test_parse_raw_response_splits_parts() -> None:
    status, headers, body = parse_raw_response(b"HTTP/1.1 503 Nope\nRetry-After: 9\n\nbusy")
    assert status == 503
    assert headers == [("Retry-After", "9")]
    assert body == b"busy"
    assert parse_raw_response(b'{"a": 1}') == (None, [], b'{"a": 1}')

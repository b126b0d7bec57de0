"""`errorlens explain` on saved `curl -si` outputs and bare bodies."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

import errorlens
from errorlens.cli import EXIT_NOT_FOUND, main, parse_raw_response

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


def _explain(*argv: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "errorlens.cli", *argv],
        input=stdin.decode("latin-1") if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "content",
    [b"", b"   \n", b'{"ok": true}', random.Random(12).randbytes(400), b"HTTP/1.1 200 OK\n\nfine"],
    ids=["empty", "blank", "ok-true", "random-bytes", "a-200"],
)
def test_no_api_error_found_exits_1(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "input.bin"
    path.write_bytes(content)
    for args in ([str(path)], [str(path), "--json"]):
        out = io.StringIO()
        assert main(["explain", *args], out=out) == EXIT_NOT_FOUND
        assert out.getvalue() == ""
    done = _explain("explain", str(path))
    assert done.returncode == 1
    assert "no API error found" in done.stderr
    assert done.stdout == ""


def test_bad_input_exits_2(tmp_path: Path) -> None:
    missing = _explain("explain", str(tmp_path / "missing.txt"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr and "No such file" in missing.stderr
    directory = _explain("explain", str(tmp_path))
    assert directory.returncode == 2
    assert "cannot read" in directory.stderr
    no_colon = _explain("explain", str(RESPONSES / "openai_429.txt"), "--header", "no colon")
    assert no_colon.returncode == 2
    assert "--header" in no_colon.stderr and "'no colon'" in no_colon.stderr
    assert _explain().returncode == 2  # no command


def test_version() -> None:
    done = _explain("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"errorlens {errorlens.__version__}"


def test_odd_bytes_with_an_error_status_are_read(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"HTTP/1.1 503 abc\r\n\xff\xfe\x00garbage\r\n\r\n\x80\x81{{{")
    record = json.loads(_run(str(junk), "--json"))
    assert record["status"] == 503 and record["retryable"] is True


def test_a_200_with_graphql_errors_is_found(tmp_path: Path) -> None:
    body = tmp_path / "graphql.json"
    body.write_text('{"data": null, "errors": [{"message": "Throttled",'
                    ' "extensions": {"code": "THROTTLED"}}]}')  # fmt: skip
    assert json.loads(_run(str(body), "--status", "200", "--json"))["code"] == "THROTTLED"


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


def test_explain_prints_category_meaning_and_docs() -> None:
    # OpenAI's error-codes page: a 429 rate_limit_exceeded is a rate limit, pace the
    # requests; the link goes to its rate-limit guide.
    text = _run(str(RESPONSES / "openai_429.txt"), "--url", "https://api.openai.com/v1/x")
    rows = dict(line.split(None, 1) for line in text.splitlines() if line and line[0] != " ")
    assert rows["category"] == "rate_limit"
    assert "rate limit" in rows["meaning"]
    assert rows["docs"].startswith("https://platform.openai.com/docs/")
    as_json = json.loads(
        _run(str(RESPONSES / "openai_429.txt"), "--json", "--url", "https://api.openai.com/v1/x")
    )
    assert as_json["category"] == "rate_limit"
    assert as_json["docs"] == rows["docs"]


def test_explain_unknown_vendor_has_a_category_and_no_meaning() -> None:
    text = _run(str(RESPONSES / "nginx_502.txt"))
    assert "category    unavailable" in text
    assert "meaning" not in text and "docs" not in text

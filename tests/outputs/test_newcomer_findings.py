"""What a newcomer met in the library's own outputs (issue #12): a repr beside
``api_error``, an unknown format taken silently, unreadable captured events, mangled
traceback source lines."""

from __future__ import annotations

import io
import json
import warnings
from typing import Any

import pytest
import structlog

import errorlens
from errorlens.testing import capture_api_errors

RATE_LIMITED = b'{"error": {"code": "rate_limit_exceeded", "message": "slow down"}}'


def _last(stream: io.StringIO) -> dict[str, Any]:
    return json.loads(stream.getvalue().splitlines()[-1])  # type: ignore[no-any-return]


def _record() -> errorlens.ErrorRecord:
    return errorlens.from_http(
        429,
        {"x-request-id": "req_1", "Set-Cookie": "session=abc", "Retry-After": "2"},
        RATE_LIMITED,
        url="https://api.openai.com/v1/chat/completions",
    )


def test_error_field_is_not_printed_as_a_repr_beside_api_error(configured: io.StringIO) -> None:
    structlog.get_logger("shop").error("chat failed", error=_record())
    line = _last(configured)
    assert line["api_error"]["code"] == "rate_limit_exceeded"
    # The record's facts are in api_error: no Python repr (with every header) beside it.
    assert "error" not in line
    assert "ErrorRecord(" not in json.dumps(line)


def test_unknown_format_is_not_silently_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ERRORLENS_FORMAT", "yaml")
    rejected = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            errorlens.configure(service="shop", stream=io.StringIO())
        except ValueError as exc:
            rejected = "yaml" in str(exc)
        finally:
            errorlens.unconfigure()
    said = " ".join(str(w.message) for w in caught) + capsys.readouterr().err
    assert rejected or ("ERRORLENS_FORMAT" in said and "yaml" in said)


def test_captured_events_print_legibly() -> None:
    with capture_api_errors() as seen:
        errorlens.record_error(_exception())
    text = repr(seen[0])
    assert " object at 0x" not in text
    assert "rate_limit_exceeded" in text


def _exception() -> Exception:
    import requests

    response = requests.Response()
    response.status_code = 429
    response._content = RATE_LIMITED
    response.url = "https://api.openai.com/v1/chat/completions"
    return requests.HTTPError("429 Client Error", response=response)


def _call_with_basic_auth() -> None:
    raise RuntimeError(auth_call(auth=("sk_live_51HdemoSecretKeyNeverLogged", "")))


def auth_call(auth: tuple[str, str]) -> str:
    return "failed"


def test_redaction_keeps_traceback_source_lines_intact(configured: io.StringIO) -> None:
    try:
        _call_with_basic_auth()
    except RuntimeError:
        structlog.get_logger("shop").exception("failed")
    exception = _last(configured)["exception"]
    assert "sk_live_51HdemoSecretKeyNeverLogged" not in exception
    [source] = [line for line in exception.splitlines() if "auth=" in line]
    # The secret goes, the code around it stays: quotes, parentheses, the empty password.
    assert source.strip() == 'raise RuntimeError(auth_call(auth=("[REDACTED]", "")))'

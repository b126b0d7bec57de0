"""Lines that are one line by contract stay one line: vendor text cannot forge lines or
drive the terminal (C0 and C1 controls, DEL, U+2028/U+2029, bidi overrides)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import httpx
import pytest

import errorlens
from errorlens.stdlib import attach, detach

FORGED = "2024-05-01 10:00:00 CRITICAL payments: all charges refunded"
# What a terminal obeys: C0 (but the line break and tab), DEL, C1, line and paragraph
# separators, bidi overrides.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _vendor_error(request_id: str, reason: bytes = b"Bad Request") -> httpx.HTTPStatusError:
    # The id in a header: the body's ids are single tokens (a text with a line break
    # under an id's name is no id), a header's value is kept as sent.
    request = httpx.Request("POST", "https://api.example.com/v1/charges")
    response = httpx.Response(
        400,
        headers=[(b"x-request-id", request_id.encode())],
        json={"error": {"code": "invalid_request", "message": "Bad amount"}},
        extensions={"reason_phrase": reason},
        request=request,
    )
    try:
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        return exc
    raise AssertionError("no error raised")


@pytest.fixture
def summary_line() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    out = io.StringIO()
    logger = logging.getLogger("shop.injection")
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s | %(api_error_summary)s"))
    logger.addHandler(handler)
    logger.propagate = False
    attach(logger)
    try:
        yield logger, out
    finally:
        detach(logger)
        logger.removeHandler(handler)
        logger.propagate = True


@pytest.mark.parametrize("breaker", ["\n", "\r", "\u2028", "\u2029", "\x85"])
def test_summary_of_a_request_id_with_a_line_break_stays_one_line(
    summary_line: tuple[logging.Logger, io.StringIO], breaker: str
) -> None:
    logger, out = summary_line
    exc = _vendor_error(f"req_1{breaker}{FORGED}\x1b[2J")
    logger.error("charge failed", exc_info=exc)
    first = out.getvalue().split("\n", 1)[0]
    assert "invalid_request" in first and "request_id=req_1" in first
    assert not RAW_CONTROL.search(first)
    assert not any(line.startswith(FORGED) for line in out.getvalue().splitlines())


def test_a_body_id_with_a_line_break_is_no_id() -> None:
    body = json.dumps({"error": {"code": "invalid_request", "request_id": f"req_1\n{FORGED}"}})
    assert errorlens.from_http(400, {}, body.encode()).request_id is None


def _console(**configure: object) -> io.StringIO:
    out = io.StringIO()
    errorlens.configure(service="shop", json=False, colors=False, stream=out, **configure)
    return out


def test_console_traceback_shows_a_reason_phrase_with_escapes() -> None:
    out = _console()
    try:
        logging.getLogger("shop.console").exception(
            "charge failed", exc_info=_vendor_error("req_2", b"Bad\x1b]0;pwned\x07 Request\x9b2J")
        )
    finally:
        errorlens.unconfigure()
    text = out.getvalue()
    assert "Traceback (most recent call last):" in text
    assert "Bad\\x1b]0;pwned\\x07 Request" in text
    assert not RAW_CONTROL.search(text)


@pytest.mark.parametrize("breaker", ["\n", "\u2028", "\r"])
def test_console_event_with_vendor_text_stays_one_line(breaker: str) -> None:
    out = _console()
    vendor_text = f"card declined{breaker}{FORGED}\x1b[31m"
    try:
        logging.getLogger("shop.console").error("charge failed: %s", vendor_text)
    finally:
        errorlens.unconfigure()
    text = out.getvalue()
    assert text.count("\n") == 1, text
    assert FORGED in text and not RAW_CONTROL.search(text)


def test_json_lines_are_safe_by_encoding(configured: io.StringIO) -> None:
    exc = _vendor_error(f"req_3\n{FORGED}\u2028\x1b[2J", b"Bad\x1b\x07")
    logging.getLogger("shop.json").error("charge failed\u2029%s", FORGED, exc_info=exc)
    text = configured.getvalue()
    assert text.count("\n") == 1 and not RAW_CONTROL.search(text)
    line = json.loads(text)
    assert line["api_error"]["request_id"] == f"req_3\n{FORGED}\u2028\x1b[2J"


def test_console_shows_details_beside_field_errors() -> None:
    # Stripe's documented card error: the field (param) and the decline code together.
    body = (
        b'{"error": {"type": "card_error", "code": "card_declined",'
        b' "decline_code": "insufficient_funds", "param": "source",'
        b' "message": "Your card has insufficient funds."}}'
    )
    record = errorlens.from_http(402, {}, body, url="https://api.stripe.com/v1/charges")
    out = _console()
    try:
        logging.getLogger("shop.console").error("charge failed", extra={"api_error": record})
    finally:
        errorlens.unconfigure()
    text = out.getvalue()
    assert "fields: source" in text
    assert '"decline_code":"insufficient_funds"' in text

"""The document step: one decode per body, CBOR included, and no control bytes as text."""

from __future__ import annotations

import base64
import json
import re
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import errorlens
from errorlens._internal.reader.cbor import MAX_DEPTH, decode_cbor
from errorlens._internal.reader.document import (
    _JSON_SALVAGE,
    READ_CAP,
    _salvage_json,
    clean_text,
    decode,
)

# Smithy RPC v2 CBOR error bodies from the AWS protocol tests (see data/NOTICE.md).
INVALID_GREETING = base64.b64decode(
    "v2ZfX3R5cGV4LnNtaXRoeS5wcm90b2NvbHRlc3RzLnJwY3YyQ2JvciNJbnZhbGlkR3JlZXRpbmdnTWVzc2FnZWJIaf8="
)
NO_CUSTOM_CODE = base64.b64decode(
    "uQACZl9fdHlwZXgtYXdzLnByb3RvY29sdGVzdHMucnBjdjJjYm9yI05vQ3VzdG9tQ29kZUVycm9yZ21lc3NhZ2ViSGk="
)


def _text(value: str) -> bytes:
    raw = value.encode()
    assert len(raw) < 24
    return bytes([0x60 + len(raw)]) + raw


# --- CBOR ---------------------------------------------------------------------------


def test_cbor_error_maps_decode_like_json() -> None:
    assert decode_cbor(INVALID_GREETING) == {
        "__type": "smithy.protocoltests.rpcv2Cbor#InvalidGreeting",
        "Message": "Hi",
    }
    assert decode_cbor(NO_CUSTOM_CODE) == {
        "__type": "aws.protocoltests.rpcv2cbor#NoCustomCodeError",
        "message": "Hi",
    }


@pytest.mark.parametrize(
    ("encoded", "value"),
    [
        (b"\x00", 0),
        (b"\x17", 23),
        (b"\x18\x18", 24),
        (b"\x19\x01\x00", 256),
        (b"\x1a\x00\x01\x00\x00", 65536),
        (b"\x1b" + (2**40).to_bytes(8, "big"), 2**40),
        (b"\x20", -1),
        (b"\x38\x63", -100),
        (b"\xf4", False),
        (b"\xf5", True),
        (b"\xf6", None),
        (b"\xf9\x3c\x00", 1.0),  # half precision
        (b"\xfa" + struct.pack(">f", 1.5), 1.5),
        (b"\xfb" + struct.pack(">d", -2.25), -2.25),
        (b"\xfb" + struct.pack(">d", float("nan")), None),  # strict JSON: no NaN
        (b"\xf9\x7c\x00", None),  # Infinity
        (b"\x83\x01\x02\x03", [1, 2, 3]),
        (b"\x9f\x01\x02\xff", [1, 2]),  # indefinite array
        (b"\x7f\x62ab\x61c\xff", "abc"),  # indefinite text, in chunks
        (b"\x43abc", "abc"),  # printable UTF-8 bytes read as text
        (b"\xa1\x01\x61x", {"1": "x"}),  # integer keys as text
        (b"\xc1\x1a\x00\x00\x00\x01", 1),  # a tag: the value it qualifies
        (b"\xc2\x42\x01\x00", 256),  # bignum
        (b"\xc3\x41\x00", -1),  # negative bignum
        (b"\x82\xf7\x01", [1]),  # undefined: left out
        (b"\xa2\x61a\x01\x61a\x02", {"a": 1}),  # a repeated key: the first
    ],
)
def test_cbor_values(encoded: bytes, value: object) -> None:
    assert decode_cbor(encoded) == value


@pytest.mark.parametrize(
    "encoded",
    [
        b"",
        b"\x18",  # argument missing
        b"\x1c",  # reserved additional information
        b"\x62a",  # string shorter than its length
        b"\x7b" + (2**62).to_bytes(8, "big"),  # claims far more than is there
        b"\x9f\x01",  # indefinite array without its break
        b"\x7f\x41a\xff",  # a byte chunk inside a text string
        b"\x7f\x7f\xff\xff",  # nested indefinite chunks
        b"\x62\xff\xfe",  # invalid UTF-8 text
        b"\xff",  # a stray break
        b"\x01\x02",  # trailing bytes
        b"\x81" * (MAX_DEPTH + 2) + b"\x01",  # too deep
        b"\x9a\xff\xff\xff\xff" + b"\x00" * 10,  # a count the bytes cannot hold
    ],
)
def test_malformed_cbor_is_none(encoded: bytes) -> None:
    assert decode_cbor(encoded) is None


def test_cbor_item_budget() -> None:
    many = b"\x9f" + b"\x01" * 5000 + b"\xff"
    assert decode_cbor(many) is None
    assert decode_cbor(many, max_items=10_000) == [1] * 5000


def test_cbor_body_is_read_by_the_generic_reader() -> None:
    record = errorlens.from_http(400, {"Content-Type": "application/cbor"}, INVALID_GREETING)
    assert record.code == "InvalidGreeting"
    assert record.message == "Hi"


def test_cbor_is_sniffed_without_a_content_type() -> None:
    assert decode(NO_CUSTOM_CODE).data == decode_cbor(NO_CUSTOM_CODE)
    # Latin-1 text that starts like a CBOR map is still text.
    document = decode("¿Qué pasó? Error interno".encode("latin-1"))
    assert document.kind == "text"


@pytest.mark.parametrize(
    ("ctype", "body"),
    [
        ("application/cbor", b"\xbf\x00\x02f__type\x01\x02\x03"),  # truncated CBOR
        ("application/octet-stream", b"\x89PNG\r\n\x1a\n\x00\x00"),
        ("image/png", b"GIF89a"),
        (None, b"\x00\x02\x05garbage with NULs\x00"),
    ],
)
def test_binary_bodies_give_no_text(ctype: str | None, body: bytes) -> None:
    document = decode(body, ctype)
    assert document.kind == "binary"
    assert document.text is None
    headers = {"Content-Type": ctype} if ctype else {}
    record = errorlens.from_http(500, headers, body)
    assert record.message is None or record.message.isprintable()


# --- text and HTML ------------------------------------------------------------------


def test_control_characters_never_reach_the_text() -> None:
    body = "upstream\x1b[31m failed\x07 \u202eevil\r\nnext\x85line\x9b"
    document = decode(body.encode())
    assert document.text == "upstream [31m failed evil next line"
    assert clean_text("a\tb\n\nc") == "a b c"


@pytest.mark.parametrize(
    ("page", "text"),
    [
        ("<html><head><title>502 Bad Gateway</title></head></html>", "502 Bad Gateway"),
        ("<HTML><TITLE lang=en>A &amp; B</TITLE>", "A & B"),
        ("<html><titles>x</titles><h1 class=x>Head <b>bold</b></h1>", "Head bold"),
        ("<html><title> </title><h1>Heading</h1>", "Heading"),
        ("<!doctype html><title>İstanbul \u0130 down</title>", "İstanbul \u0130 down"),
        ("<html><title>unclosed", None),
        ("<html><title", None),
    ],
)
def test_html_title_or_heading(page: str, text: str | None) -> None:
    document = decode(page.encode())
    assert document.kind == "html"
    assert document.text == text


def test_json_constants_and_long_integers() -> None:
    assert decode(b'{"a": NaN, "b": -Infinity}').data == {"a": None, "b": None}
    long_digits = "9" * 5000
    assert decode(f'{{"code": {long_digits}}}'.encode()).data == {"code": long_digits}


def test_json_content_type_with_an_html_page_reads_the_page() -> None:
    document = decode(b"<html><title>503 Service Unavailable</title></html>", "application/json")
    assert document.text == "503 Service Unavailable"


def test_odd_body_containers() -> None:
    assert decode(memoryview(b'{"a": 1}')).data == {"a": 1}
    assert decode(bytearray(b"  \n ")).kind == "empty"
    released = memoryview(b"x")
    released.release()
    assert decode(released).kind == "empty"
    assert decode(object()).kind == "empty"
    assert decode(b'{"a": 1}', 12).data == {"a": 1}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": {"code": "rate_limited", "message": "slow down"}}',
        b'[{"message": "first"}, {"message": "second"}]',
        b'{"value": NaN, "n": 1}',
        b'{"n": ' + b"9" * 5000 + b"}",
        b'{"message": "caf\xe9"}',  # not UTF-8
        b'{"message": "truncated',
        b"{}",
    ],
)
@pytest.mark.parametrize("ctype", [None, "", "application/json", "application/problem+json"])
def test_plain_json_reads_as_the_general_path(body: bytes, ctype: str | None) -> None:
    # bytes take a shortcut; a memoryview of the same bytes takes the general path.
    fast, general = decode(body, ctype), decode(memoryview(body), ctype)
    assert (fast.kind, fast.data, fast.text) == (general.kind, general.data, general.text)


@pytest.mark.parametrize("ctype", ["application/cbor", "application/octet-stream", "text/plain"])
def test_other_labels_keep_the_general_path(ctype: str) -> None:
    body = b'{"message": "hello"}'
    fast, general = decode(body, ctype), decode(memoryview(body), ctype)
    assert (fast.kind, fast.data, fast.text) == (general.kind, general.data, general.text)


# --- salvage -------------------------------------------------------------------------

# The salvage pattern without its lookaheads: they make it cheaper, never different.
_SALVAGE_PATTERN = re.compile(
    r'"([A-Za-z_@$][\w\-.@$]{0,40})"\s*:\s*("[^"\n]{0,600}"|-?\d{1,20}(?:\.\d+)?|true|false)'
)
_SALVAGE_PIECES = st.sampled_from(
    [
        '"',
        ":",
        " ",
        "\n",
        "\\",
        "{",
        "}",
        ",",
        "1",
        "-",
        ".",
        "٣",
        "true",
        "fals",
        '"code"',
        '"message": ',
        '"a_b-c.d@$"',
        "x" * 20,
        "x" * 45,
        "y" * 300,
        "y" * 610,
        "a",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_SALVAGE_PIECES, max_size=60), st.integers(0, 5000))
def test_salvage_lookaheads_change_no_match(pieces: list[str], end: int) -> None:
    text = "".join(pieces)
    expected = [(m.span(), m.groups()) for m in _SALVAGE_PATTERN.finditer(text, 0, end)]
    assert [(m.span(), m.groups()) for m in _JSON_SALVAGE.finditer(text, 0, end)] == expected


def _salvaged_as_before(text: str) -> dict[str, object] | None:
    # Salvage as it was first written: the window halved while it holds more than 128
    # quotes, the pattern run over all of it, each value through json.loads.
    end = min(len(text), 4096)
    while end > 256 and text.count('"', 0, end) > 128:
        end //= 2
    found: dict[str, object] = {}
    for match in _SALVAGE_PATTERN.finditer(text, 0, end):
        if match.group(1) not in found:
            try:
                found[match.group(1)] = json.loads(match.group(2))
            except ValueError:
                continue
        if len(found) >= 64:
            break
    return found or None


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        _SALVAGE_PIECES | st.sampled_from(['"' * 70, " 12", ": 3.5 ", "z" * 1000]), max_size=80
    )
)
def test_salvage_finds_what_it_first_found(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert _salvage_json(text) == _salvaged_as_before(text)


def test_salvage_of_an_oversize_body() -> None:
    pad = "a" * (READ_CAP + 10)
    body = '{"error": {"code": "too_big", "message": "first", "n": 12, "ok": true}, "p": "' + pad
    document = decode(body.encode())
    assert document.kind == "json"
    assert document.data == {"code": "too_big", "message": "first", "n": 12, "ok": True}
    assert decode('{"a": "x\\"y", "b": "z"' + pad).data == {"b": "z"}


@pytest.mark.parametrize(
    "value",
    ['"plain"', '"a\\nb"', '"tab\there"', '"\\u00e9"', '"bad\\"', "01", "-0", "1.5", "٣", "true"],
)
def test_salvaged_values_are_what_json_loads_gives(value: str) -> None:
    try:
        expected = {"k": json.loads(value)}
    except ValueError:
        expected = None
    body = '{"k": ' + value + ', "pad": "' + "a" * (READ_CAP + 10)
    data = decode(body).data
    assert (data if data is None else {"k": data["k"]} if "k" in data else None) == expected

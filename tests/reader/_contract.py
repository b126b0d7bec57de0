"""The record contract as a check, and hypothesis strategies for hostile input.

Shared by tests/reader/test_fuzz.py (short, in CI) and scripts/fuzz.py (the long run).
"""

from __future__ import annotations

import json
import math
import unicodedata
from typing import Any

from hypothesis import strategies as st

from errorlens import ErrorRecord, FieldError

HOSTILE_STRINGS = [
    "",
    "\x00",
    "\x1b[31mred",
    "\u202eevil",
    "\ud800",
    "NaN",
    "Infinity",
    "9" * 5000,
    "<title" * 50,
    "&" * 300,
    '"' * 300,
    "sk-live-0123456789abcdef0123",
    "Bearer abc.def.ghi",
    "ns#Name:http://x/",
    "\ufeff{}",
]
KEYS = [
    "error",
    "errors",
    "code",
    "message",
    "type",
    "details",
    "detail",
    "status",
    "__type",
    "requestId",
    "request_id",
    "field",
    "loc",
    "msg",
    "retry_after",
    "fieldViolations",
    "@type",
    "reason",
    "title",
    "extensions",
    "jsonrpc",
    "id",
    "ok",
    "password",
    "data",
]
texts = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_STRINGS))
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    # +-Infinity has a test of its own (test_fuzz.test_infinite_floats_leave_details);
    # left out here so that this short run stays deterministic. scripts/fuzz.py keeps it.
    st.floats(allow_infinity=False),
    texts,
)
json_values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=12,
)


def _xml(node: Any, name: str = "Error", depth: int = 0) -> str:
    if isinstance(node, dict) and depth < 6:
        inner = "".join(_xml(v, str(k) or "x", depth + 1) for k, v in node.items())
    else:
        inner = str(node)
    safe = "".join(c for c in name if c.isalnum()) or "x"
    return f"<{safe}>{inner}</{safe}>"


markup_pieces = st.sampled_from(
    [
        *("<html>", "<title>", "</title>", "<h1>", "</h1>", "<", ">", "&amp;", "&"),
        *("<!--", "-->", "<!DOCTYPE x [<!ENTITY e 'x'>]>", "<?xml version='1.0'?>"),
        *("<Code>", "</Code>", "\n"),
    ]
)
bodies = st.one_of(
    st.none(),
    st.binary(max_size=400),
    texts,
    json_values,
    json_values.map(lambda v: json.dumps(v, allow_nan=True)),
    json_values.map(lambda v: json.dumps(v).encode()[: len(json.dumps(v)) // 2]),  # cut
    json_values.map(_xml),
    st.lists(st.one_of(markup_pieces, texts), max_size=12).map("".join),
    st.lists(markup_pieces, max_size=20).map(lambda p: "".join(p).encode()),
)
header_names = st.one_of(
    st.sampled_from(
        [
            "Retry-After",
            "retry-after-ms",
            "X-Request-Id",
            "Date",
            "Content-Type",
            "x-amzn-errortype",
            "x-amzn-query-error",
            "RateLimit-Reset",
            "Stripe-Should-Retry",
            "WWW-Authenticate",
            "x-correlation-id",
        ]
    ),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.integers(),
    st.none(),
)
header_values = st.one_of(
    texts,
    st.binary(max_size=40),
    st.integers(),
    st.floats(),
    st.none(),
    st.sampled_from(["application/cbor", "text/html", "1e999", "-5", "Bearer error=x"]),
    st.just("x" * 10_000),
)
header_pairs = st.lists(st.tuples(header_names, header_values), max_size=8)
headers = st.one_of(
    st.none(),
    header_pairs,
    header_pairs.map(lambda p: p + p),  # duplicated names
    st.dictionaries(st.text(max_size=20), texts, max_size=8),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=4),
)
statuses = st.one_of(
    st.none(),
    st.integers(),
    st.integers(min_value=100, max_value=999),
    st.text(max_size=6),
    st.floats(),
    st.booleans(),
    st.binary(max_size=4),
)
urls = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.binary(max_size=60),
    st.sampled_from(["https://user:pw@api.openai.com/v1?api_key=k", "http://[::1", "//x"]),
)


class _Raising:
    """An object whose every attribute, ``__str__`` and ``__repr__`` raise."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(name)

    def __str__(self) -> str:
        raise RuntimeError("str")

    def __repr__(self) -> str:
        raise RuntimeError("repr")


def hostile_object(status: Any, body: Any, cyclic: bool, raising: bool) -> Any:
    """An exception carrying HTTP-like attributes, maybe raising, maybe in a cycle."""

    class ApiError(Exception):
        pass

    error = ApiError("api error")
    error.status_code = status  # type: ignore[attr-defined]
    error.body = body  # type: ignore[attr-defined]
    error.headers = _Raising() if raising else {"x-request-id": "r"}  # type: ignore[attr-defined]
    error.response = _Raising() if raising else None  # type: ignore[attr-defined]
    if cyclic:
        error.__context__ = error
        error.response = error  # type: ignore[attr-defined]
    return error


objects = st.builds(hostile_object, statuses, bodies, st.booleans(), st.booleans())


def _controls(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in text)


def check_record(record: Any) -> None:
    """Raise AssertionError unless ``record`` obeys the contract's types."""
    assert isinstance(record, ErrorRecord), type(record)
    status = record.status
    assert status is None or (type(status) is int and 100 <= status <= 999), status
    for name in ("vendor", "code", "type", "message", "request_id", "correlation_id"):
        value = getattr(record, name)
        assert value is None or isinstance(value, str), (name, value)
    assert record.code is None or (record.code and not _controls(record.code)), record.code
    retry_after = record.retry_after
    assert retry_after is None or (
        isinstance(retry_after, float | int)
        and math.isfinite(retry_after)
        and 0 <= retry_after <= 86_400
    ), retry_after
    assert isinstance(record.retryable, bool)
    for item in record.fields:
        assert isinstance(item, FieldError) and isinstance(item.field, str), item
    json.dumps(record.details, allow_nan=False)
    json.dumps(record.as_dict(), allow_nan=False)
    record.summary()
    repr(record)

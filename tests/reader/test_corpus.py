"""Every documented vendor error in tests/corpus gives the record it must."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import errorlens

CORPUS = Path(__file__).parent.parent / "corpus"
CASES = sorted(CORPUS.glob("*.json"))


def _headers(raw: Any) -> Any:
    return [tuple(pair) for pair in raw] if isinstance(raw, list) else raw


def test_corpus_is_substantial() -> None:
    vendors = {json.loads(p.read_text())["vendor"] for p in CASES}
    assert len(CASES) >= 200
    assert len(vendors) >= 80


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = json.loads(path.read_text())
    expect = case["expect"]
    record = errorlens.from_http(
        case["status"],
        _headers(case["headers"]),
        case["body"].encode("utf-8"),
        url=case.get("url"),
        method=case.get("method"),
    )
    got = {
        "code": record.code,
        "type": record.type,
        "vendor": record.vendor,
        "request_id": record.request_id,
        "correlation_id": record.correlation_id,
        "retry_after": record.retry_after,
        "retryable": record.retryable,
        "fields": [f.field for f in record.fields],
        "message": record.message,
    }
    problems = []
    if "code_any_of" in expect:
        if record.code not in expect["code_any_of"]:
            problems.append(f"code {record.code!r} not in {expect['code_any_of']!r}")
    elif record.code != expect["code"]:
        problems.append(f"code {record.code!r} != {expect['code']!r}")
    needle = expect["message_contains"]
    if needle is None:
        if record.message is not None:
            problems.append(f"message {record.message!r} should be None")
    elif needle not in (record.message or ""):
        problems.append(f"message {record.message!r} lacks {needle!r}")
    for key in ("request_id", "correlation_id", "retryable", "fields"):
        if got[key] != expect[key]:
            problems.append(f"{key} {got[key]!r} != {expect[key]!r}")
    want_retry = expect["retry_after"]
    if (want_retry is None) != (record.retry_after is None) or (
        want_retry is not None and abs(record.retry_after - want_retry) > 0.01  # type: ignore[operator]
    ):
        problems.append(f"retry_after {record.retry_after!r} != {want_retry!r}")
    for key in ("type", "vendor"):
        if key in expect and got[key] != expect[key]:
            problems.append(f"{key} {got[key]!r} != {expect[key]!r}")
    assert not problems, "\n".join(problems)

"""Every error case of the AWS protocol compliance tests gives the code AWS's SDK reads.

The cases come from botocore's vendored copy of the AWS protocol test suite (Apache-2.0,
see data/NOTICE.md): each one is an HTTP error response in one of AWS's wire protocols
(awsJson 1.0/1.1, restJson, restXml, query, ec2, rpcv2Cbor, plus botocore's legacy set)
with the error code and message an SDK must read from it.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import errorlens

DATA = Path(__file__).parent / "data" / "aws_protocol_errors.json"
CASES: list[dict[str, Any]] = json.loads(DATA.read_text(encoding="utf-8"))


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    """Readable ids "protocol/case"; a name used more than once gets "#n" (1-based)."""
    names = [f"{c['protocol']}/{c['case']}" for c in cases]
    totals = Counter(names)
    seen: Counter[str] = Counter()
    ids = []
    for name in names:
        if totals[name] > 1:
            seen[name] += 1
            name = f"{name}#{seen[name]}"
        ids.append(name)
    return ids


def _body(case: dict[str, Any]) -> bytes:
    body = case["body"]
    if body is None:
        return b""
    if case["body_encoding"] == "base64":  # rpcv2Cbor: the wire bytes, base64 in the suite
        return base64.b64decode(body)
    return str(body).encode("utf-8")


def test_every_protocol_is_covered() -> None:
    protocols = Counter(c["protocol"] for c in CASES)
    assert len(CASES) >= 70
    for name in ("json", "json_1_0", "rest-json", "rest-xml", "query", "ec2"):
        assert protocols[name] >= 2, name


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_case(case: dict[str, Any]) -> None:
    record = errorlens.from_http(case["status"], case["headers"], _body(case))
    problems = []
    if record.code != case["error_code"]:
        problems.append(f"code {record.code!r} != {case['error_code']!r}")
    needle = case["error_message"]
    if needle is not None and needle not in (record.message or ""):
        problems.append(f"message {record.message!r} lacks {needle!r}")
    assert not problems, "; ".join(problems)

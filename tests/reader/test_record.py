"""The record's contract: precedence rules, headers, retryability, immutability."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

import errorlens
from errorlens import ErrorRecord, FieldError


def test_numeric_code_repeating_status_loses_to_string_identifier() -> None:
    body = {"error": {"code": 403, "message": "denied", "status": "PERMISSION_DENIED"}}
    record = errorlens.from_http(403, {}, body)
    assert record.code == "PERMISSION_DENIED"
    record = errorlens.from_http(400, {}, {"error": {"code": 40001, "message": "bad"}})
    assert record.code == "40001"


def test_explicit_code_beats_category_and_category_alone_is_the_code() -> None:
    both = errorlens.from_http(400, {}, {"error": {"type": "invalid_request_error", "code": "x1"}})
    assert (both.code, both.type) == ("x1", "invalid_request_error")
    alone = errorlens.from_http(400, {}, {"type": "error", "error": {"type": "overloaded"}})
    assert alone.code == "overloaded"


def test_bare_string_error_is_code_or_message_by_its_shape() -> None:
    assert errorlens.from_http(200, {}, {"ok": False, "error": "not_authed"}).code == "not_authed"
    record = errorlens.from_http(500, {}, {"error": "Something went badly wrong"})
    assert record.code is None
    assert record.message == "Something went badly wrong"


def test_aws_namespaced_type_is_stripped() -> None:
    body = {
        "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
        "message": "gone",
    }
    assert errorlens.from_http(400, {}, body).code == "ResourceNotFoundException"


def test_generic_message_gets_the_specific_reasons() -> None:
    body = {
        "message": "Validation failed",
        "errors": [
            {"field": "email", "message": "is not an email"},
            {"field": "age", "message": "must be positive"},
        ],
    }
    record = errorlens.from_http(422, {}, body)
    assert record.message == "Validation failed: email: is not an email; age: must be positive"
    assert record.fields == (
        FieldError("email", "is not an email"),
        FieldError("age", "must be positive"),
    )


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Request-ID": "a"}, "a"),
        ([("cf-ray", "ray1"), ("x-amzn-RequestId", "amz")], "amz"),
        ([("cf-ray", "ray1")], "ray1"),
        ({"x-custom-request-id": "custom", "cf-ray": "ray"}, "custom"),
        ({"request-id": "req", "x-request-id": "xreq"}, "xreq"),
    ],
)
def test_request_id_header_ranking(headers: object, expected: str) -> None:
    assert errorlens.from_http(500, headers, b"").request_id == expected


def test_body_request_id_beats_headers() -> None:
    record = errorlens.from_http(400, {"x-request-id": "hdr"}, {"error": {"requestId": "body"}})
    assert record.request_id == "body"


def test_retry_after_forms() -> None:
    assert errorlens.from_http(429, {"Retry-After": "7"}, b"").retry_after == 7.0
    assert (
        errorlens.from_http(429, {"retry-after-ms": "250", "retry-after": "9"}, b"").retry_after
        == 0.25
    )
    sent = datetime(2026, 11, 22, 10, 0, 0, tzinfo=timezone.utc)
    headers = {
        "Date": format_datetime(sent, usegmt=True),
        "Retry-After": format_datetime(sent + timedelta(seconds=90), usegmt=True),
    }
    assert errorlens.from_http(503, headers, b"").retry_after == 90.0
    body = {
        "error": {
            "details": [
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12.5s"}
            ]
        }
    }
    assert errorlens.from_http(429, {}, body).retry_after == 12.5
    assert errorlens.from_http(429, {"Retry-After": "soon"}, b"").retry_after is None


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected"),
    [
        (429, {}, b"", True),
        (503, {}, b"", True),
        (501, {}, b"", False),
        (505, {}, b"", False),
        (404, {}, b"", False),
        (408, {}, b"", True),
        (429, {}, {"error": {"code": "insufficient_quota"}}, False),
        (400, {}, {"__type": "x#ThrottlingException"}, True),
        (500, {"x-should-retry": "false"}, b"", False),
        (400, {"Stripe-Should-Retry": "true"}, b"", True),
        (400, {}, {"error": {"code": "busy", "retryable": True}}, True),
    ],
)
def test_retryable(status: int, headers: object, body: object, expected: bool) -> None:
    assert errorlens.from_http(status, headers, body).retryable is expected


def test_soap_fault_is_judged_by_its_fault_code() -> None:
    fault = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        "<soap:Fault><faultcode>soap:{kind}</faultcode><faultstring>went wrong</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    )
    client = errorlens.from_http(500, {}, fault.format(kind="Client"))
    server = errorlens.from_http(500, {}, fault.format(kind="Server"))
    assert (client.code, client.retryable) == ("Client", False)
    assert (server.code, server.retryable) == ("Server", True)
    assert client.message == "went wrong"


def test_vendor_from_host_and_headers() -> None:
    assert errorlens.from_http(500, {}, b"", url="https://api.openai.com/v1").vendor == "openai"
    assert (
        errorlens.from_http(500, {}, b"", url="https://s3.eu-west-1.amazonaws.com/b").vendor
        == "aws"
    )
    assert (
        errorlens.from_http(500, {}, b"", url="https://x.blob.core.windows.net/c").vendor == "azure"
    )
    assert errorlens.from_http(500, {}, b"", url="https://api.example.co.uk/v1").vendor == "example"
    # A shop's Admin API host: https://{shop}.myshopify.com/admin/api/{version}/graphql.json
    shop = "https://acme-store.myshopify.com/admin/api/2024-04/graphql.json"
    assert errorlens.from_http(429, {}, b"", url=shop).vendor == "shopify"
    assert errorlens.from_http(500, {}, b"", url="http://127.0.0.1:8080/").vendor is None
    assert errorlens.from_http(500, {"x-amzn-RequestId": "1"}, b"").vendor == "aws"


@pytest.mark.parametrize(
    ("host", "vendor"),
    [
        ("api.example.com", None),
        ("billing.internal", None),
        ("printer.local", None),
        # Reserved names count whole, at a dot: these are registrable names of their own.
        ("api.myexample.net", "myexample"),
        ("pay.internal-example.com", "internal-example"),
        ("api.latest.io", "latest"),
    ],
)
def test_reserved_names_match_whole_labels(host: str, vendor: str | None) -> None:
    assert errorlens.from_http(500, {}, b"", url=f"https://{host}/v1").vendor == vendor


def test_url_credentials_and_secret_query_values_are_redacted() -> None:
    record = errorlens.from_http(
        401,
        {},
        b"",
        url="https://user:hunter2@api.x.io/v1?api_key=sk-live-123456789012&q=1",
        method="get",
    )
    assert "hunter2" not in (record.url or "")
    assert "sk-live" not in (record.url or "")
    assert "q=1" in (record.url or "")
    assert record.method == "GET"


def test_message_tokens_are_redacted() -> None:
    body = {"error": {"message": "Incorrect API key provided: sk-proj-AbCdEfGhIjKlMnOpQrSt1234."}}
    record = errorlens.from_http(401, {}, body)
    assert "AbCdEfGh" not in (record.message or "")
    assert "Incorrect API key provided" in (record.message or "")


def test_secret_named_detail_values_are_redacted() -> None:
    body = {"error": {"code": "bad", "details": {"password": "hunter2hunter2", "user": "bob"}}}
    details = errorlens.from_http(400, {}, body).details
    assert details["password"] == "[REDACTED]"
    assert details["user"] == "bob"


def test_record_is_immutable_comparable_and_picklable() -> None:
    record = errorlens.from_http(404, {"x-request-id": "r"}, {"error": {"code": "nf"}})
    with pytest.raises(AttributeError):
        record.code = "other"  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(record))
    assert copy == record
    assert record.replace(code="other").code == "other"
    assert record.code == "nf"
    with pytest.raises(TypeError):
        record.replace(nonsense=1)


def test_as_dict_leaves_out_none_and_keeps_retryable() -> None:
    record = ErrorRecord(status=500, fields=(FieldError("a"),))
    # ``category`` is never None: always there, like ``retryable``.
    assert record.as_dict() == {
        "status": 500,
        "fields": [{"field": "a"}],
        "retryable": False,
        "category": "server",
    }


def test_summary_is_one_line() -> None:
    record = errorlens.from_http(
        429,
        {"retry-after": "3", "x-request-id": "r1"},
        {"error": {"code": "rate_limited", "message": "Slow\ndown"}},
        url="https://api.openai.com/",
    )
    line = record.summary()
    assert line.startswith("openai 429 rate_limited")
    assert "request_id=r1" in line
    assert "retry_after=3s" in line


def test_extract_of_bodies_and_non_errors() -> None:
    assert errorlens.extract({"id": 1, "ok": True}) is None
    assert errorlens.extract(None) is None
    assert errorlens.extract(ValueError("plain")) is None
    record = errorlens.extract(b'{"error": {"code": "x", "message": "y"}}')
    assert record is not None and record.code == "x"
    assert errorlens.extract(record) is record


def test_register_vendor_teaches_hosts_keys_and_codes() -> None:
    errorlens.register_vendor(
        "billing",
        hosts=[".billing.corp.example"],
        keys={"code": ["err_no"], "message": ["err_text"], "request_id": ["trace_ref"]},
        retryable_codes=["E_LOCKED"],
    )
    try:
        record = errorlens.from_http(
            409,
            {},
            {"err_no": "E_LOCKED", "err_text": "ledger locked", "trace_ref": "t-9"},
            url="https://eu.billing.corp.example/v2/charge",
        )
        assert record.vendor == "billing"
        assert record.code == "E_LOCKED"
        assert record.message == "ledger locked"
        assert record.request_id == "t-9"
        assert record.retryable is True
        with pytest.raises(ValueError):
            errorlens.register_vendor("bad", keys={"nonsense": ["x"]})
    finally:
        errorlens.unregister_vendor("billing")
    assert (
        errorlens.from_http(
            409, {}, {"err_no": "E_LOCKED"}, url="https://eu.billing.corp.example/"
        ).vendor
        is None
    )


def test_added_redaction_pattern_applies_to_messages_seen_before() -> None:
    body = {"error": {"code": "locked", "message": "account acct_98765432 is locked"}}
    assert "acct_98765432" in (errorlens.from_http(409, {}, body).message or "")
    errorlens.add_redaction_pattern(r"acct_[0-9]{8}")
    assert errorlens.from_http(409, {}, body).message == "account [REDACTED] is locked"

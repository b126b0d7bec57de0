"""One test per reading rule, on small payloads shaped like the vendors' documented ones."""

from __future__ import annotations

from email.utils import formatdate
from typing import Any

import pytest

import errorlens
from errorlens._internal.reader.body import read_body
from errorlens._internal.reader.details import body_details, details_value
from errorlens._internal.reader.evidence import Evidence, first, first_of_all
from errorlens._internal.reader.headers import bearer_error, parse_rate_reset, read_headers
from errorlens._internal.reader.parts import HttpParts
from errorlens._internal.reader.rules import code, ids, kind, message, retry
from errorlens._internal.reader.values import aws_code_name, name_like, problem_slug


def evidence(
    body: Any = None,
    status: int | None = 400,
    headers: dict[str, str] | None = None,
    *,
    xml: bool = False,
    text: str | None = None,
    parts: HttpParts | None = None,
) -> Evidence:
    return Evidence(status, read_headers(headers or {}), read_body(body, xml), text, parts)


# code, in DESIGN's order -----------------------------------------------------------


def test_query_error_header_names_the_part_before_the_semicolon() -> None:
    ev = evidence({}, headers={"x-amzn-query-error": "Customized;Sender"})
    assert code.query_error_header(ev) == "Customized"


def test_error_type_header_is_stripped_of_namespace_and_uri() -> None:
    ev = evidence({}, headers={"X-Amzn-Errortype": "ns#FooError:http://internal.amazon.com/x/"})
    assert code.error_type_header(ev) == "FooError"


def test_headers_beat_the_body_code() -> None:
    ev = evidence({"code": "OtherExceptionShape"}, headers={"X-Amzn-Errortype": "ExceptionShape"})
    assert first(code.CODE_RULES, ev) == "ExceptionShape"


def test_explicit_code_of_the_innermost_node() -> None:
    ev = evidence({"code": 500, "error": {"code": "card_declined", "type": "card_error"}})
    assert code.explicit_code(ev) == "card_declined"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"error": {"code": 403, "status": "PERMISSION_DENIED"}}, 403),  # repeats the status
        ({"code": 5, "message": "gone", "status": "NOT_FOUND"}, 404),  # gRPC beside a name
        ({"code": -1, "name": "ValidationError"}, 500),  # a sentinel beside a name
    ],
)
def test_explicit_code_yields_to_an_identifier_when_only_a_number(
    body: dict[str, Any], status: int
) -> None:
    assert code.explicit_code(evidence(body, status)) is None


def test_explicit_number_that_says_more_than_the_status_stays() -> None:
    assert code.explicit_code(evidence({"error": {"code": 40001}}, 400)) == "40001"


def test_body_code_aws_namespace_and_uri_are_cut() -> None:
    body = {"__type": "aws.protocoltests.restjson#FooError:http://internal.amazon.com/coral/"}
    assert code.explicit_code(evidence(body)) == "FooError"


def test_typed_reason_from_google_error_info() -> None:
    body = {
        "error": {
            "code": 403,
            "status": "PERMISSION_DENIED",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "X_Y"}],
        }
    }
    assert code.typed_reason(evidence(body, 403)) == "X_Y"


def test_status_name_when_identifier_shaped() -> None:
    assert code.status_name(evidence({"status": "INVALID_ARGUMENT"})) == "INVALID_ARGUMENT"
    assert code.status_name(evidence({"status": "Failure"})) is None  # Kubernetes
    assert code.status_name(evidence({"status": "error"})) is None


def test_name_code_from_reason_name_and_id() -> None:
    assert code.name_code(evidence({"code": 404, "reason": "NotFound"}, 404)) == "NotFound"
    assert code.name_code(evidence({"id": "not_found", "message": "x"})) == "not_found"
    assert code.name_code(evidence({"id": "3f2a9c1e-77aa-4b1c-9d2e-0a1b2c3d4e5f"})) is None


def test_lead_entry_code_of_an_errors_list() -> None:
    body = {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "unknown"}]}
    assert code.lead_entry_code(evidence(body)) == "MANIFEST_UNKNOWN"


def test_lead_entry_name_is_a_field_not_a_code() -> None:
    body = {"invalid-params": [{"name": "age", "reason": "must be a positive integer"}]}
    assert code.lead_entry_code(evidence(body)) is None


def test_details_code_when_the_node_has_none() -> None:
    assert code.details_code(evidence({"details": {"code": "E42"}})) == "E42"


def test_numeric_code_as_last_body_resort() -> None:
    # A gRPC-style number with nothing better beside it is the vendor's code ...
    assert code.numeric_code(evidence({"code": 8, "message": "slow down"}, 429)) == "8"
    # ... a number that only repeats the HTTP status is none: never made up from it.
    assert code.numeric_code(evidence({"code": 429, "message": "slow down"}, 429)) is None


def test_xml_root_element_that_is_the_error_name() -> None:
    body = {"ThrottlingException": {"Message": "Rate exceeded"}}
    assert code.xml_root_name(evidence(body, xml=True)) == "ThrottlingException"
    assert code.xml_root_name(evidence({"Error": {"Message": "x"}}, xml=True)) is None


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://example.com/probs/out-of-credit", "out-of-credit"),
        ("https://developer.vonage.com/api-errors#rate-limit", "rate-limit"),
        (
            "https://mailchimp.com/developer/marketing/docs/errors/",
            "https://mailchimp.com/developer/marketing/docs/errors/",
        ),
        ("about:blank", None),
        ("https://tools.ietf.org/html/rfc9110#section-15.5.1", None),
    ],
)
def test_problem_type_fragment_segment_or_uri(uri: str, expected: str | None) -> None:
    assert problem_slug(uri) == expected
    assert code.problem_type(evidence({"type": uri})) == expected


def test_category_when_no_explicit_code() -> None:
    ev = evidence({"error": {"code": 422, "type": "validation_failed"}}, 422)
    assert first(code.CODE_RULES, ev) == "validation_failed"


def test_lead_entry_type() -> None:
    assert code.lead_entry_type(evidence({"errors": [{"type": "quota_error"}]})) == "quota_error"


def test_tagged_union_path() -> None:
    body = {"error": {".tag": "path", "path": {".tag": "not_found"}}}
    assert first(code.CODE_RULES, evidence(body, 409)) == "path/not_found"


def test_string_body_code_only_when_identifier_with_underscore() -> None:
    assert code.string_body(evidence("rate_limited")) == "rate_limited"
    assert code.string_body(evidence("Something failed")) is None


def test_source_code_from_the_sdk() -> None:
    assert code.source_code(evidence(parts=HttpParts(code="E1"))) == "E1"


def test_bearer_error_from_www_authenticate() -> None:
    header = 'Bearer realm="example", error="invalid_token", error_description="expired"'
    assert code.bearer_error(evidence(None, 401, {"WWW-Authenticate": header})) == "invalid_token"
    assert bearer_error('Bearer x_error="a"') is None


def test_text_code_from_a_gateway_page() -> None:
    assert code.text_code(evidence(text="Access denied. Error code: 1020")) == "1020"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "ResourceNotFoundException"),
        ("FooError:http://internal.amazon.com/coral/", "FooError"),
        ("ns#FooError:uri", "FooError"),
        ("auth:invalid", "auth:invalid"),
    ],
)
def test_one_aws_normaliser(raw: str, expected: str) -> None:
    assert aws_code_name(raw) == expected


def test_name_like_rejects_generated_ids() -> None:
    assert name_like("not_found")
    assert not name_like("deadbeef-0001")
    assert not name_like("12345")


# type ------------------------------------------------------------------------------


def test_body_type_and_status_beside_reason() -> None:
    assert kind.body_type(evidence({"error": {"type": "card_error"}})) == "card_error"
    body = {
        "error": {
            "code": 403,
            "status": "PERMISSION_DENIED",
            "details": [{"@type": "google.rpc.ErrorInfo", "reason": "SCOPE"}],
        }
    }
    ev = evidence(body, 403)
    ev.code = first(code.CODE_RULES, ev)
    assert kind.status_beside_reason(ev) == "PERMISSION_DENIED"


# message ---------------------------------------------------------------------------


def test_own_message_gets_the_specific_reasons() -> None:
    body = {"message": "Validation failed", "errors": [{"field": "email", "message": "bad"}]}
    assert message.own_message(evidence(body, 422)) == "Validation failed: email: bad"


def test_lead_entry_message() -> None:
    body = {"errors": [{"message": "Bad credentials"}]}
    assert message.lead_entry_message(evidence(body, 401)) == "Bad credentials"


def test_list_of_plain_strings_is_the_message() -> None:
    assert first(message.MESSAGE_RULES, evidence({"errors": ["permission denied"]}, 403)) == (
        "permission denied"
    )


def test_top_level_array_of_strings() -> None:
    assert message.strings_body(evidence(["Forbidden", "Token expired"])) == (
        "Forbidden; Token expired"
    )


def test_field_map_message_nested_and_at_the_root() -> None:
    nested = evidence({"error": {"global": ["Card expired"]}}, 402)
    assert message.field_map_message(nested) == "global: Card expired"
    root = evidence({"email": ["Enter a valid email address."]}, 400)
    assert message.field_map_message(root) == "email: Enter a valid email address."


def test_error_message_header_then_reason_phrase() -> None:
    ev = evidence(None, 400, {"x-amzn-errormessage": "Hi"})
    assert first(message.MESSAGE_RULES, ev) == "Hi"
    assert first(message.MESSAGE_RULES, evidence(None, 503)) == "Service Unavailable"
    assert message.reason_phrase(evidence(None, 200)) is None


# ids -------------------------------------------------------------------------------


def test_request_id_body_first_then_header() -> None:
    ev = evidence({"error": {"request_id": "body"}}, headers={"x-request-id": "hdr"})
    assert first(ids.REQUEST_ID_RULES, ev) == "body"
    assert ids.header_request_id(ev) == "hdr"


def test_small_numbers_are_not_request_ids() -> None:
    assert ids.body_request_id(evidence({"error_id": 502})) is None


def test_correlation_id_from_body_and_details() -> None:
    assert ids.body_correlation_id(evidence({"correlationId": "c1"})) == "c1"
    assert ids.details_correlation_id(evidence({"details": {"correlationId": "c2"}})) == "c2"


# retry -----------------------------------------------------------------------------


def test_retry_after_ms_header_beats_seconds() -> None:
    ev = evidence(None, 429, {"retry-after-ms": "1500", "retry-after": "2"})
    assert first(retry.RETRY_AFTER_RULES, ev) == 1.5


def test_body_retry_hints() -> None:
    assert retry.body_retry_after(evidence({"retry_after": "30s"})) == 30.0
    assert retry.body_retry_after_ms(evidence({"retryAfterMs": 250})) == 0.25
    assert retry.details_retry_after(evidence({"parameters": {"retry_after": 35}})) == 35.0


def test_retry_info_delay() -> None:
    body = {"error": {"details": [{"@type": "google.rpc.RetryInfo", "retryDelay": "2s"}]}}
    assert retry.retry_info(evidence(body, 429)) == 2.0


def test_rate_limit_reset_only_when_rate_limited_and_relative_to_date() -> None:
    date = formatdate(1_444_931_773, usegmt=True)
    headers = {"ratelimit-reset": "1444931833", "Date": date}
    assert retry.rate_limit_reset(evidence(None, 429, headers)) == 60.0
    assert retry.rate_limit_reset(evidence(None, 403, headers)) is None
    assert parse_rate_reset("30") == 30.0
    assert parse_rate_reset("1444931700", date) is None  # in the past
    assert parse_rate_reset("200000") is None  # over a day


def test_retryable_signals() -> None:
    assert retry.header_should_retry(evidence(None, 500, {"x-should-retry": "false"})) is False
    assert retry.body_retryable(evidence({"retryable": True})) is True
    assert retry.retryable_by_words("insufficient_quota", None) is False
    assert retry.retryable_by_words("throttle_violation", None) is True
    assert retry.retryable_by_status(503) and not retry.retryable_by_status(501)


def test_soap_fault_class() -> None:
    body = {"Envelope": {"Body": {"Fault": {"faultcode": "soap:Server", "faultstring": "x"}}}}
    assert retry.soap_fault_class(evidence(body, 500, xml=True)) == "Server"


# details ---------------------------------------------------------------------------


def test_details_from_unconsumed_keys() -> None:
    body = {"error": {"code": "declined", "decline_code": "insufficient_funds", "doc_url": "u"}}
    assert body_details(read_body(body)) == {"decline_code": "insufficient_funds", "doc_url": "u"}


def test_details_are_strict_json() -> None:
    value, _ = details_value({"a": float("nan"), "b": float("inf"), "c": 10**5000})
    assert value["a"] is None and value["b"] is None
    assert isinstance(value["c"], str)


# lists of errors under keys no rule knows ------------------------------------------


def test_unknown_list_of_objects_holding_errors_gives_the_reasons() -> None:
    body = {
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [
            {"Name": "x", "ValidationErrors": [{"Message": "Email address must be valid"}]},
            {"Name": "y", "ValidationErrors": [{"Message": "Name is required"}]},
        ],
    }
    assert message.own_message(evidence(body, 400)) == (
        "A validation exception occurred: Email address must be valid; Name is required"
    )


def test_unknown_list_without_error_entries_is_left_alone() -> None:
    body = {"message": "Not found", "items": [{"id": 1, "tags": [{"name": "a"}]}]}
    ev = evidence(body, 404)
    assert ev.body.entries is None
    assert message.own_message(ev) == "Not found"


# planned chains --------------------------------------------------------------------

_CHAINS = (
    code.CODE_RULES,
    kind.TYPE_RULES,
    message.MESSAGE_RULES,
    ids.REQUEST_ID_RULES,
    ids.CORRELATION_RULES,
    retry.RETRY_AFTER_RULES,
    retry.RETRYABLE_RULES,
)


def _corpus_evidence() -> list[Evidence]:
    import json
    from pathlib import Path

    from errorlens._internal.reader.document import decode

    out = []
    for path in sorted((Path(__file__).parent.parent / "corpus").glob("*.json")):
        case = json.loads(path.read_text())
        headers = case["headers"]
        headers = [tuple(p) for p in headers] if isinstance(headers, list) else headers
        facts = read_headers(headers)
        doc = decode(case["body"].encode("utf-8"), facts.content_type)
        body = read_body(doc.data, doc.kind == "xml") if doc.data is not None else read_body(None)
        out.append(Evidence(case["status"], facts, body, doc.text))
    return out


def test_a_chain_skips_only_rules_that_could_not_yield() -> None:
    # Each rule names the facts it reads; running every rule gives the same answers.
    for ev in _corpus_evidence():
        ev.code = first(code.CODE_RULES, ev)
        for chain in _CHAINS:
            assert first(chain, ev) == first_of_all(chain, ev)


def test_a_chain_runs_the_rules_of_present_facts_only() -> None:
    ev = evidence({"error": {"code": "rate_limited", "message": "slow down"}}, 429)
    assert code.explicit_code in code.CODE_RULES.plan(ev.present)
    assert code.lead_entry_code not in code.CODE_RULES.plan(ev.present)
    assert retry.RETRYABLE_RULES.plan(ev.present) == ()


def test_node_plans_follow_new_aliases() -> None:
    from errorlens._internal.reader.keys import CODE, add_alias

    body = {"zz_fault_id": "E77", "message": "x"}
    assert code.explicit_code(evidence(body)) is None
    add_alias("zz_fault_id", CODE)
    assert code.explicit_code(evidence(body)) == "E77"


@pytest.mark.parametrize(
    ("status", "phrase"),
    [(413, "Content Too Large"), (422, "Unprocessable Content"), (503, "Service Unavailable")],
)
def test_reason_phrase_is_rfc_9110s_on_every_python(status: int, phrase: str) -> None:
    # http.HTTPStatus had RFC 7231's wording for 413/414/416/422 before Python 3.13.
    assert errorlens.from_http(status, {}, b"").message == phrase

"""Exceptions of real vendor SDKs, built by the SDKs themselves from real HTTP replies.

Every SDK client here talks over a real socket to the loopback server, which answers
with a documented error of that vendor (from ``tests/corpus`` where one exists), so
each exception is constructed exactly as in production. Per SDK: an auth error, a
validation error with fields, a rate limit with retry hints, a 5xx.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import errorlens
from _servers import LoopbackServer, closed_port_url
from conftest import assert_same_as_from_http, require
from errorlens import ErrorRecord

CORPUS = Path(__file__).parent.parent / "corpus"
_SERVER_SET = {"date", "server", "content-length"}


def serve(
    loopback: LoopbackServer, name: str, extra_headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """Make the loopback server answer with corpus case ``name``; return the case."""
    case: dict[str, Any] = json.loads((CORPUS / f"{name}.json").read_text())
    raw = case["headers"]
    pairs = [tuple(p) for p in raw] if isinstance(raw, list) else list(raw.items())
    headers = [(k, v) for k, v in pairs if k.lower() not in _SERVER_SET]
    headers += list((extra_headers or {}).items())
    loopback.respond(case["status"], headers, case["body"])
    return case


def assert_expected(record: ErrorRecord | None, case: dict[str, Any], *skip: str) -> None:
    """``record`` has what the corpus case says the raw response must give."""
    assert record is not None
    expect = case["expect"]
    if "code_any_of" in expect:
        assert record.code in expect["code_any_of"]
    elif "code" not in skip:
        assert record.code == expect["code"]
    if expect["message_contains"] is not None:
        assert expect["message_contains"] in (record.message or "")
    for name in ("request_id", "correlation_id", "retry_after", "retryable", "type", "vendor"):
        if name in expect and name not in skip:
            assert getattr(record, name) == expect[name], name
    if "fields" not in skip:
        assert [f.field for f in record.fields] == expect["fields"]


def raised(call: Any, *args: Any, **kwargs: Any) -> BaseException:
    """The exception ``call`` raises (the test fails if it raises none)."""
    try:
        call(*args, **kwargs)
    except Exception as error:
        return error
    raise AssertionError(f"{call} raised nothing")


# --- OpenAI ----------------------------------------------------------------------------


def _openai(loopback: LoopbackServer) -> Any:
    openai = require("openai")
    return openai.OpenAI(
        api_key="sk-test-abcdefghijklmnopqrstuvwx", base_url=loopback.url + "/v1", max_retries=0
    )


def _chat(client: Any) -> Any:
    return client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
    )


def test_openai_validation_error_names_its_param(loopback: LoopbackServer) -> None:
    client = _openai(loopback)
    body = {
        "error": {
            "message": "Invalid type for 'messages[0].content': expected a string.",
            "type": "invalid_request_error",
            "param": "messages[0].content",
            "code": "invalid_type",
        }
    }
    loopback.respond(400, {"x-request-id": "req_val_1"}, body)
    error: Any = raised(_chat, client)

    record = errorlens.extract(error)

    assert record is not None
    assert (record.code, record.type, record.status) == (
        "invalid_type",
        "invalid_request_error",
        400,
    )
    assert record.fields == (errorlens.FieldError("messages[0].content", body["error"]["message"]),)
    assert record.request_id == "req_val_1" == error.request_id


def test_openai_api_key_never_reaches_the_record(loopback: LoopbackServer) -> None:
    client = _openai(loopback)
    loopback.respond(
        401, {}, {"error": {"message": "Bad key sk-test-abcdefghijklmnopqrstuvwx", "code": "x"}}
    )
    record = errorlens.extract(raised(_chat, client))
    assert record is not None
    assert "abcdefghijklmnopqrstuvwx" not in json.dumps(record.as_dict())


def test_openai_error_event_in_a_stream(loopback: LoopbackServer) -> None:
    client = _openai(loopback)
    error_body = {
        "message": "The server is overloaded.",
        "type": "server_error",
        "code": "overloaded",
    }
    loopback.respond(
        200,
        {"Content-Type": "text/event-stream", "x-request-id": "req_sse_o"},
        f"data: {json.dumps({'error': error_body})}\n\n",
    )

    def consume() -> None:
        stream = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        for _ in stream:
            pass

    error: Any = raised(consume)
    assert type(error).__name__ == "APIError"  # no response, no status: only the event

    record = errorlens.extract(error)

    assert record is not None
    assert (record.vendor, record.code, record.type) == ("openai", "overloaded", "server_error")
    assert record.message == "The server is overloaded."
    assert record.retryable is True
    assert record.url == loopback.url + "/v1/chat/completions"


def test_openai_unparsable_success_is_no_api_error(loopback: LoopbackServer) -> None:
    openai = require("openai")
    client = openai.OpenAI(
        api_key="sk-test-x",
        base_url=loopback.url + "/v1",
        max_retries=0,
        _strict_response_validation=True,
    )
    loopback.respond(200, {}, {"object": "chat.completion", "choices": "not a list"})
    error = raised(_chat, client)
    assert type(error).__name__ == "APIResponseValidationError"
    assert errorlens.extract(error) is None


def test_openai_connection_error_has_no_record() -> None:
    openai = require("openai")
    url = closed_port_url()
    client = openai.OpenAI(api_key="sk-test-x", base_url=url, max_retries=0)
    error = raised(_chat, client)
    assert type(error).__name__ == "APIConnectionError"
    assert errorlens.extract(error) is None


# --- Anthropic -------------------------------------------------------------------------


def _anthropic(loopback: LoopbackServer) -> Any:
    anthropic = require("anthropic")
    return anthropic.Anthropic(
        api_key="sk-ant-test-abcdefghijkl", base_url=loopback.url, max_retries=0
    )


def _message(client: Any) -> Any:
    return client.messages.create(
        model="claude-x", max_tokens=16, messages=[{"role": "user", "content": "hi"}]
    )


# Both SDKs come from one generator (Stainless): one adapter, one test.
_STAINLESS = {
    "openai": (_openai, _chat, "/v1/chat/completions"),
    "anthropic": (_anthropic, _message, "/v1/messages"),
}


@pytest.mark.parametrize(
    ("vendor", "case_name", "class_name"),
    [
        ("openai", "openai__invalid_api_key_401", "AuthenticationError"),
        ("openai", "openai__rate_limit_exceeded_retry_after_ms", "RateLimitError"),
        ("openai", "openai__insufficient_quota_429", "RateLimitError"),
        ("openai", "openai__server_error_500", "InternalServerError"),
        ("anthropic", "anthropic__rate_limit_error_429", "RateLimitError"),
        ("anthropic", "anthropic__overloaded_error_529", "OverloadedError"),
        ("anthropic", "anthropic__not_found_error_404", "NotFoundError"),
    ],
)
def test_openai_and_anthropic_status_errors(
    loopback: LoopbackServer, vendor: str, case_name: str, class_name: str
) -> None:
    make_client, call, path = _STAINLESS[vendor]
    client = make_client(loopback)
    case = serve(loopback, case_name)
    error: Any = raised(call, client)
    assert type(error).__name__ == class_name

    record = errorlens.extract(error)

    assert_expected(record, case)
    assert_same_as_from_http(
        record, case["status"], error.response.headers, error.response.content, ignore=("vendor",)
    )
    assert record is not None
    assert record.vendor == vendor
    assert record.request_id == error.request_id
    assert record.method == "POST"
    assert record.url == loopback.url + path


def test_anthropic_authentication_error(loopback: LoopbackServer) -> None:
    client = _anthropic(loopback)
    body = {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key"},
        "request_id": "req_auth_1",
    }
    loopback.respond(401, {"request-id": "req_auth_1"}, body)
    error: Any = raised(_message, client)
    assert type(error).__name__ == "AuthenticationError"

    record = errorlens.extract(error)

    assert record is not None
    assert (record.code, record.message, record.retryable) == (
        "authentication_error",
        "invalid x-api-key",
        False,
    )


def test_anthropic_invalid_request_with_details(loopback: LoopbackServer) -> None:
    # Anthropic names no fields in its bodies; the offending paths sit in ``details``.
    client = _anthropic(loopback)
    details = {
        "error_code": "image_dimensions_too_large",
        "max_side_length_pixels": 8000,
        "paths": ["messages.0.content.1"],
    }
    body = {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "The longest side of one or more images exceeds 8000 pixels.",
            "details": details,
        },
    }
    loopback.respond(400, {"request-id": "req_val_2"}, body)
    error: Any = raised(_message, client)

    record = errorlens.extract(error)

    assert record is not None
    assert record.code == "image_dimensions_too_large" == error.error_code
    assert record.type == "invalid_request_error"
    assert record.details == details
    assert record.request_id == "req_val_2"


def test_anthropic_error_event_in_a_stream(loopback: LoopbackServer) -> None:
    # Mid-stream the API reports an error as an SSE event after a 200 status.
    client = _anthropic(loopback)
    event = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    loopback.respond(
        200,
        {"Content-Type": "text/event-stream", "request-id": "req_sse_1"},
        f"event: error\ndata: {json.dumps(event)}\n\n",
    )

    def consume() -> None:
        with client.messages.stream(
            model="claude-x", max_tokens=16, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            for _ in stream:
                pass

    record = errorlens.extract(raised(consume))

    assert record is not None
    assert (record.code, record.message, record.retryable) == (
        "overloaded_error",
        "Overloaded",
        True,
    )
    assert record.request_id == "req_sse_1"


# --- Stripe ----------------------------------------------------------------------------


def _stripe(loopback: LoopbackServer) -> Any:
    stripe = require("stripe")
    return stripe.StripeClient(
        "sk_test_abcdefghijklmnopqrstuvwx",
        base_addresses={"api": loopback.url},
        max_network_retries=0,
    )


@pytest.mark.parametrize(
    ("case_name", "class_name", "extra_headers"),
    [
        ("stripe__parameter_missing_param", "InvalidRequestError", {}),
        ("stripe__card_declined_402", "CardError", {}),
        ("stripe__rate_limit_should_retry_true", "RateLimitError", {"Retry-After": "2"}),
        ("stripe__api_error_500_should_retry_false", "APIError", {}),
    ],
)
def test_stripe_errors(
    loopback: LoopbackServer, case_name: str, class_name: str, extra_headers: dict[str, str]
) -> None:
    client = _stripe(loopback)
    case = serve(loopback, case_name, extra_headers)
    error: Any = raised(client.v1.payment_intents.create, params={"amount": 100, "currency": "usd"})
    assert type(error).__name__ == class_name

    record = errorlens.extract(error)

    assert_expected(record, case, "retry_after")
    assert_same_as_from_http(record, error.http_status, error.headers, error.http_body)
    assert record is not None
    assert record.vendor == "stripe"
    assert record.retry_after == (2.0 if extra_headers else None)


def test_stripe_param_is_a_field(loopback: LoopbackServer) -> None:
    client = _stripe(loopback)
    serve(loopback, "stripe__parameter_missing_param")
    error: Any = raised(client.v1.payment_intents.create, params={"currency": "usd"})
    record = errorlens.extract(error)
    assert record is not None
    assert [f.field for f in record.fields] == [error.param]
    assert record.fields[0].message == error.user_message


def test_stripe_authentication_error(loopback: LoopbackServer) -> None:
    client = _stripe(loopback)
    body = {
        "error": {
            "message": "Invalid API Key provided: sk_test_****************uvwx",
            "type": "invalid_request_error",
        }
    }
    loopback.respond(401, {"Request-Id": "req_auth_s"}, body)
    error: Any = raised(client.v1.customers.create, params={})
    assert type(error).__name__ == "AuthenticationError"

    record = errorlens.extract(error)

    assert record is not None
    assert (record.vendor, record.status, record.request_id) == ("stripe", 401, "req_auth_s")
    assert record.retryable is False
    assert "Invalid API Key provided" in (record.message or "")


# --- AWS (boto3 / botocore) ------------------------------------------------------------


def _aws(loopback: LoopbackServer, service: str) -> Any:
    boto3 = require("boto3")
    config = require("botocore.config").Config(
        retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}
    )
    return boto3.client(
        service,
        endpoint_url=loopback.url,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        config=config,
    )


def test_aws_auth_error_from_a_query_protocol_service(loopback: LoopbackServer) -> None:
    sts = _aws(loopback, "sts")
    loopback.respond(
        403,
        {"x-amzn-RequestId": "4a5e-sts-1", "Content-Type": "text/xml"},
        "<ErrorResponse xmlns='https://sts.amazonaws.com/doc/2011-06-15/'><Error>"
        "<Type>Sender</Type><Code>InvalidClientTokenId</Code>"
        "<Message>The security token included in the request is invalid.</Message>"
        "</Error><RequestId>4a5e-sts-1</RequestId></ErrorResponse>",
    )
    error: Any = raised(sts.get_caller_identity)
    assert type(error).__name__ == "ClientError"

    record = errorlens.extract(error)

    assert record is not None
    assert (record.vendor, record.status, record.code) == ("aws", 403, "InvalidClientTokenId")
    assert record.message == "The security token included in the request is invalid."
    assert record.request_id == "4a5e-sts-1"
    assert record.retryable is False


_VALIDATION = {
    "message": "1 validation error detected",
    "reason": "fieldValidationFailed",
    "fieldList": [{"name": "maxResults", "message": "Member must be at most 100"}],
}


def _access_analyzer_error(loopback: LoopbackServer, status: int, kind: str, body: Any) -> Any:
    client = _aws(loopback, "accessanalyzer")
    headers = {"x-amzn-RequestId": f"aa-{status}", "x-amzn-ErrorType": kind}
    if status in (429, 500):
        headers["Retry-After"] = "4"
    loopback.respond(status, headers, body)
    return raised(client.list_analyzers)


def test_aws_modeled_validation_exception(loopback: LoopbackServer) -> None:
    error = _access_analyzer_error(loopback, 400, "ValidationException", _VALIDATION)
    assert type(error).__name__ == "ValidationException"  # botocore's modeled subclass

    record = errorlens.extract(error)

    assert record is not None
    assert (record.status, record.code, record.request_id) == (400, "ValidationException", "aa-400")
    assert "1 validation error detected" in (record.message or "")
    assert record.retryable is False


def test_aws_validation_fields(loopback: LoopbackServer) -> None:
    error = _access_analyzer_error(loopback, 400, "ValidationException", _VALIDATION)
    record = errorlens.extract(error)
    assert record is not None
    assert [f.field for f in record.fields] == ["maxResults"]
    # The raw response reads the same: the header's error type beats the body's "reason".
    raw = errorlens.from_http(
        400, {"x-amzn-ErrorType": "ValidationException:http://internal.amazon.com/"}, _VALIDATION
    )
    assert raw.code == "ValidationException"
    assert [f.field for f in raw.fields] == ["maxResults"]


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [(429, "ThrottlingException", True), (500, "InternalServerException", True)],
)
def test_aws_throttling_and_server_errors_keep_retry_after(
    loopback: LoopbackServer, status: int, kind: str, retryable: bool
) -> None:
    error = _access_analyzer_error(loopback, status, kind, {"message": f"{kind} happened"})
    assert type(error).__name__ == kind

    record = errorlens.extract(error)

    assert record is not None
    assert (record.status, record.code, record.message) == (status, kind, f"{kind} happened")
    assert record.retry_after == 4.0
    assert record.retryable is retryable
    assert record.request_id == f"aa-{status}"


@pytest.mark.parametrize(
    ("service", "case_name"),
    [
        ("s3", "aws__s3_no_such_key"),
        ("s3", "aws__s3_slow_down_503"),
        ("kms", "aws__kms_json11_throttling_exception"),
        ("sns", "aws__sqs_query_invalid_parameter_value"),  # the same query protocol
        ("dynamodb", "aws__dynamodb_provisioned_throughput_exceeded"),
    ],
)
def test_aws_documented_errors_through_botocore_parsers(
    loopback: LoopbackServer, service: str, case_name: str
) -> None:
    client = _aws(loopback, service)
    case = serve(loopback, case_name)
    operation, kwargs = {
        "s3": ("get_object", {"Bucket": "bucket", "Key": "key"}),
        "kms": ("list_keys", {}),
        "sns": ("create_topic", {"Name": "quename_nonalpha"}),
        "dynamodb": ("describe_table", {"TableName": "t"}),
    }[service]
    error: Any = raised(getattr(client, operation), **kwargs)

    record = errorlens.extract(error)

    # botocore keeps the parsed error, not the raw body: the record must still say
    # what from_http says of the raw response.
    assert_expected(record, case)
    raw = errorlens.from_http(case["status"], case["headers"], case["body"].encode())
    assert record is not None
    assert (record.code, record.status, record.request_id, record.retryable) == (
        raw.code,
        raw.status,
        raw.request_id,
        raw.retryable,
    )


def test_aws_proxy_pages_botocore_cannot_parse(loopback: LoopbackServer) -> None:
    dynamodb = _aws(loopback, "dynamodb")
    # A JSON-protocol client keeps an unparsable body as the message; a gateway's
    # HTML 5xx page it drops, writing the status as the code.
    loopback.respond(400, {"x-amzn-RequestId": "rq-xml"}, "<Error><Code>Denied</Code></Error>")
    xml_error: Any = raised(dynamodb.list_tables)
    serve(loopback, "aws__alb_502_bad_gateway")
    html_error: Any = raised(dynamodb.list_tables)
    assert html_error.response["Error"]["Code"] == "502"

    xml_record = errorlens.extract(xml_error)
    html_record = errorlens.extract(html_error)

    assert xml_record is not None
    assert (xml_record.code, xml_record.request_id) == ("Denied", "rq-xml")
    assert html_record is not None
    assert (html_record.status, html_record.code, html_record.retryable) == (502, None, True)
    assert html_record.message == "Bad Gateway"


# --- Google API core -------------------------------------------------------------------


def _google_error(loopback: LoopbackServer, case_name: str, query: str = "") -> Any:
    requests = require("requests")
    exceptions = require("google.api_core.exceptions")
    case = serve(loopback, case_name)
    response = requests.post(loopback.url + "/v1/projects/p/things:run" + query, json={}, timeout=5)
    # What google-cloud client libraries do with a failed REST response.
    return case, exceptions.from_http_response(response)


@pytest.mark.parametrize(
    ("case_name", "class_name"),
    [
        ("google__api_key_invalid", "BadRequest"),
        ("google__invalid_argument_bad_request_error_info", "BadRequest"),
        ("google__rate_limit_exceeded_retry_info", "TooManyRequests"),
        ("google__gemini_model_overloaded_503", "ServiceUnavailable"),
        ("google__legacy_calendar_user_rate_limit_403", "Forbidden"),
    ],
)
def test_google_api_call_errors(loopback: LoopbackServer, case_name: str, class_name: str) -> None:
    case, error = _google_error(loopback, case_name)
    assert type(error).__name__ == class_name

    record = errorlens.extract(error)

    assert_expected(record, case)
    assert_same_as_from_http(
        record, case["status"], error.response.headers, error.response.content, ignore=("vendor",)
    )
    assert record is not None
    assert record.vendor == "google"
    assert record.method == "POST"


def test_google_api_key_in_the_url_is_redacted(loopback: LoopbackServer) -> None:
    key = "AIzaSyA0123456789abcdefghijklmnopqrstuv"
    _, error = _google_error(loopback, "google__api_key_invalid", f"?key={key}&alt=json")
    assert key in error.message  # the SDK's own message carries it...
    record = errorlens.extract(error)
    assert record is not None
    assert record.code == "API_KEY_INVALID" == error.reason
    assert key not in json.dumps(record.as_dict())  # ...the record does not
    assert "alt=json" in (record.url or "")


def test_google_error_without_a_response() -> None:
    # google-cloud libraries also build errors from a status and an ``errors`` list.
    exceptions = require("google.api_core.exceptions")
    error = exceptions.from_http_status(
        429,
        "Quota exceeded for quota metric 'Queries'",
        errors=[{"reason": "rateLimitExceeded", "message": "Quota exceeded"}],
    )

    record = errorlens.extract(error)

    assert record is not None
    assert (record.vendor, record.status, record.code) == ("google", 429, "rateLimitExceeded")
    assert type(record.status) is int
    assert record.retryable is True
    assert "Quota exceeded" in (record.message or "")


# --- Azure core ------------------------------------------------------------------------


def _azure_call(loopback: LoopbackServer, *, stream: bool = False) -> Any:
    """Send one request the way generated Azure SDK code does, and raise its error."""
    azure_core = require("azure.core")
    rest = require("azure.core.rest")
    exc = require("azure.core.exceptions")
    client = azure_core.PipelineClient(base_url=loopback.url, retry_total=0)
    request = rest.HttpRequest(
        "PUT", loopback.url + "/subscriptions/0/resourceGroups/rg1?api-version=2023-01-01", json={}
    )
    response = client.send_request(request, stream=stream)
    error_map = {
        401: exc.ClientAuthenticationError,
        404: exc.ResourceNotFoundError,
        409: exc.ResourceExistsError,
    }
    try:
        exc.map_error(status_code=response.status_code, response=response, error_map=error_map)
        raise exc.HttpResponseError(response=response)
    except exc.HttpResponseError as error:
        return error, response


def test_azure_authentication_error(loopback: LoopbackServer) -> None:
    body = {
        "error": {"code": "InvalidAuthenticationToken", "message": "The access token is invalid."}
    }
    loopback.respond(401, {"x-ms-request-id": "ms-401", "WWW-Authenticate": "Bearer"}, body)
    error, response = _azure_call(loopback)
    assert type(error).__name__ == "ClientAuthenticationError"

    record = errorlens.extract(error)

    assert_same_as_from_http(record, 401, response.headers, response.content, ignore=("vendor",))
    assert record is not None
    assert (record.vendor, record.code, record.request_id) == (
        "azure",
        "InvalidAuthenticationToken",
        "ms-401",
    )
    assert record.method == "PUT"


@pytest.mark.parametrize(
    "case_name",
    [
        "azure__arm_bad_argument_details",
        "azure__arm_throttled_429",
        "azure__openai_content_filter_400",
    ],
)
def test_azure_documented_errors(loopback: LoopbackServer, case_name: str) -> None:
    case = serve(loopback, case_name)
    error, response = _azure_call(loopback)

    record = errorlens.extract(error)

    assert_expected(record, case)
    assert_same_as_from_http(
        record, case["status"], response.headers, response.content, ignore=("vendor",)
    )
    assert record is not None
    assert record.code == error.error.code


def test_azure_server_error_and_odata_fields(loopback: LoopbackServer) -> None:
    body = {
        "error": {
            "code": "InternalServerError",
            "message": "Encountered internal server error.",
            "target": "sku",
        }
    }
    loopback.respond(503, {"x-ms-request-id": "ms-503", "Retry-After": "10"}, body)
    error, _ = _azure_call(loopback)

    record = errorlens.extract(error)

    assert record is not None
    assert (record.status, record.code, record.retry_after, record.retryable) == (
        503,
        "InternalServerError",
        10.0,
        True,
    )
    assert [f.field for f in record.fields] == ["sku"]


def test_azure_streamed_response_is_not_read(loopback: LoopbackServer) -> None:
    body = {"error": {"code": "Conflict", "message": "Already exists."}}
    loopback.respond(400, {"x-ms-request-id": "ms-stream"}, body)
    error, response = _azure_call(loopback, stream=True)

    record = errorlens.extract(error)

    assert record is not None
    assert (record.status, record.request_id, record.code) == (400, "ms-stream", None)
    assert json.loads(response.read()) == body  # still all there


# --- Twilio ----------------------------------------------------------------------------


def _twilio_error(loopback: LoopbackServer, status: int, body: Any) -> Any:
    rest = require("twilio.rest")
    client = rest.Client("AC" + "0" * 32, "auth-token-0123456789")
    client.api.base_url = loopback.url  # the real client, its API domain on loopback
    loopback.respond(status, {"Twilio-Request-Id": "RQ0123", "Retry-After": "3"}, body)
    return raised(client.messages.create, to="+1555", from_="+15551234567", body="hi")


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (401, 20003, "Authenticate"),
        (400, 21211, "The 'To' number +1555 is not a valid phone number."),
        (429, 20429, "Too Many Requests"),
        (500, 20500, "An internal server error has occurred"),
    ],
)
def test_twilio_rest_exceptions(
    loopback: LoopbackServer, status: int, code: int, message: str
) -> None:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    error: Any = _twilio_error(loopback, status, body)
    assert type(error).__name__ == "TwilioRestException"

    record = errorlens.extract(error)

    assert record is not None
    assert (record.vendor, record.status, record.code, record.message) == (
        "twilio",
        status,
        str(code),
        message,
    )
    assert record.retryable is (status >= 429)
    assert record.method == "POST"
    assert record.url == f"/Accounts/AC{'0' * 32}/Messages.json"


def test_twilio_problem_details_exception_gives_fields(loopback: LoopbackServer) -> None:
    body = {
        "type": "https://www.twilio.com/docs/api/errors/20001",
        "title": "Invalid parameter",
        "status": 400,
        "code": 20001,
        "detail": "One or more parameters are invalid.",
        "instance": "/Messages",
        "errors": [{"detail": "must be in E.164 format", "pointer": "#/To"}],
    }
    error: Any = _twilio_error(loopback, 400, body)
    assert type(error).__name__ == "TwilioServiceException"

    record = errorlens.extract(error)

    assert record is not None
    assert (record.vendor, record.status, record.code) == ("twilio", 400, "20001")
    assert [f.field for f in record.fields] == ["To"]


# --- duck typing -----------------------------------------------------------------------


class NotFoundError(Exception):
    """An in-house SDK's error: a class attribute ``code``, nothing else."""

    code = "resource_not_found"


class ApiError(Exception):
    def __init__(self, status_code: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        super().__init__("api error")
        self.status_code = status_code
        self.body = body
        self.headers = headers


class Hostile(Exception):
    """Every attribute errorlens might read raises."""

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("__") and name not in ("__dict__", "__str__", "__repr__"):
            return object.__getattribute__(self, name)
        raise RuntimeError(f"no {name} for you")

    def __str__(self) -> str:
        raise RuntimeError("nor a string")


class HalfHostile(Exception):
    status_code = 503

    @property
    def body(self) -> Any:
        raise RuntimeError("body unavailable")

    @property
    def response(self) -> Any:
        raise RuntimeError("response unavailable")


def test_duck_typed_code_needs_no_rule() -> None:
    record = errorlens.extract(NotFoundError("Project 42 not found"))
    assert record is not None
    assert (record.code, record.message, record.status) == (
        "resource_not_found",
        "Project 42 not found",
        None,
    )


def test_duck_typed_status_body_and_headers() -> None:
    body = {"error": {"code": "quota", "message": "Out of credits"}}
    error = ApiError(402, body, {"X-Request-Id": "rid-7", "Retry-After": "5"})

    record = errorlens.extract(error)

    assert_same_as_from_http(record, 402, error.headers, body)
    assert record is not None
    assert (record.code, record.request_id, record.retry_after) == ("quota", "rid-7", 5.0)


def test_exceptions_whose_properties_raise() -> None:
    assert errorlens.extract(Hostile()) is None
    record = errorlens.extract(HalfHostile())
    assert record is not None
    assert (record.status, record.retryable) == (503, True)


def test_integer_codes_alone_are_not_api_errors() -> None:
    class ParserError(Exception):
        code = 3

    assert errorlens.extract(ParserError("bad token")) is None
    assert errorlens.extract(SystemExit(2)) is None
    assert errorlens.extract(ValueError("nope")) is None
    assert errorlens.extract(KeyError("code")) is None


def test_a_response_attached_to_any_exception(loopback: LoopbackServer) -> None:
    requests = require("requests")
    loopback.respond(409, {"X-Request-Id": "rid-9"}, {"error": {"message": "Already exists"}})
    response = requests.put(loopback.url + "/v1/things/1", timeout=5)

    class ConflictError(Exception):
        code = "conflict"

        def __init__(self, response: Any) -> None:
            super().__init__("conflict")
            self.response = response

    stdlib_error = RuntimeError("wrapped")
    stdlib_error.response = response  # type: ignore[attr-defined]

    for error in (ConflictError(response), stdlib_error):
        record = errorlens.extract(error)
        assert record is not None
        assert (record.status, record.message, record.request_id) == (
            409,
            "Already exists",
            "rid-9",
        )
        assert record.method == "PUT"
    conflict = errorlens.extract(ConflictError(response))
    assert conflict is not None
    assert conflict.code == "conflict"


def test_a_subclass_of_a_client_error_is_read_by_its_base(loopback: LoopbackServer) -> None:
    requests = require("requests")
    loopback.respond(404, {"X-Request-Id": "rid-3"}, {"error": {"code": "missing"}})
    response = requests.get(loopback.url + "/v1/x", timeout=5)

    class MissingThing(requests.HTTPError):  # defined outside requests
        pass

    record = errorlens.extract(MissingThing("missing", response=response))
    assert_same_as_from_http(record, 404, response.headers, response.content)


# --- exception chains ------------------------------------------------------------------


def test_the_api_error_behind_raise_from(loopback: LoopbackServer) -> None:
    client = _stripe(loopback)
    case = serve(loopback, "stripe__card_declined_402")

    def charge() -> None:
        try:
            client.v1.payment_intents.create(params={"amount": 100, "currency": "usd"})
        except Exception as error:
            raise RuntimeError("checkout failed") from error

    record = errorlens.extract(raised(charge))
    assert_expected(record, case)


def test_the_api_error_in_an_implicit_context(loopback: LoopbackServer) -> None:
    client = _openai(loopback)
    case = serve(loopback, "openai__rate_limit_exceeded_retry_after_ms")

    def summarize() -> None:
        try:
            _chat(client)
        except Exception:
            raise KeyError("fallback model")  # implicitly chained to the API error

    error = raised(summarize)
    assert error.__cause__ is None and error.__context__ is not None
    assert_expected(errorlens.extract(error), case)


def test_raise_from_none_hides_the_api_error(loopback: LoopbackServer) -> None:
    client = _openai(loopback)
    serve(loopback, "openai__server_error_500")

    def hide() -> None:
        try:
            _chat(client)
        except Exception:
            raise ValueError("no details") from None

    assert errorlens.extract(raised(hide)) is None


def test_a_chain_of_aiohttp_errors_with_a_cycle(loopback: LoopbackServer) -> None:
    aiohttp = require("aiohttp")
    loopback.respond(502, {"X-Request-Id": "gw-1"}, b"")

    async def call() -> BaseException:
        async with aiohttp.ClientSession() as session:
            async with session.get(loopback.url) as resp:
                try:
                    resp.raise_for_status()
                except aiohttp.ClientResponseError as error:
                    return error
        raise AssertionError("no error raised")

    inner = asyncio.run(call())
    outer = RuntimeError("upstream failed")
    outer.__context__ = inner
    inner.__context__ = outer  # a cycle must not loop
    record = errorlens.extract(outer)
    assert record is not None
    assert (record.status, record.request_id, record.retryable) == (502, "gw-1", True)


# --- cost and imports ------------------------------------------------------------------


def test_no_sdk_is_imported_by_errorlens() -> None:
    code = (
        "import sys, errorlens\n"
        "errorlens.extract(ValueError()); errorlens.extract({'error': 'x'})\n"
        "errorlens.from_http(500, {}, b'{}')\n"
        "names = ('openai', 'anthropic', 'stripe', 'botocore', 'boto3', 'google', 'azure',\n"
        "         'twilio', 'requests', 'httpx', 'httpx2', 'aiohttp', 'urllib3')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in names))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"

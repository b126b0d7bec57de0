"""The reading rules added for vendors nobody wrote a rule for, each on a documented shape."""

from __future__ import annotations

import pytest

import errorlens

# HTML pages ---------------------------------------------------------------------------

# Apache httpd's default ErrorDocument for 404.
APACHE_404 = (
    b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
    b"<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n"
    b"<p>The requested URL /nope was not found on this server.</p>\n</body></html>\n"
)
# Express (finalhandler) answers an unknown route with its message in a <pre>.
EXPRESS_404 = (
    b'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    b"<title>Error</title>\n</head>\n<body>\n<pre>Cannot GET /nope</pre>\n</body>\n</html>\n"
)
# Akamai's edge "Access Denied" page, its reference id written with entities.
AKAMAI_403 = (
    b"<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n"
    b' \nYou don\'t have permission to access "http&#58;&#47;&#47;www&#46;example&#46;com&#47;"'
    b" on this server.<P>\nReference&#32;&#35;18&#46;2d351ab8&#46;1557333295&#46;a4e16ab\n"
    b"</BODY>\n</HTML>\n"
)
# Cloudflare's block page prints the Ray ID.
CLOUDFLARE_1020 = (
    b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>"
    b'<div class="cf-error-title"><h1>Access denied</h1><span>Error code 1020</span></div>'
    b'<p>Cloudflare Ray ID: <strong class="font-semibold">8f1b2c3d4e5f6a7b</strong></p>'
    b"</body></html>"
)


def test_a_title_that_only_repeats_the_reason_phrase_gives_way_to_the_first_paragraph() -> None:
    record = errorlens.from_http(404, {"Content-Type": "text/html"}, APACHE_404)
    assert record.message == "The requested URL /nope was not found on this server."


def test_a_generic_title_gives_way_to_the_pre() -> None:
    record = errorlens.from_http(404, {"Content-Type": "text/html; charset=utf-8"}, EXPRESS_404)
    assert record.message == "Cannot GET /nope"


def test_an_error_div_when_there_is_no_pre_or_paragraph() -> None:
    page = (
        b"<html><head><title>500 Internal Server Error</title></head><body>"
        b'<div class="error-message">Upstream connection reset by peer</div></body></html>'
    )
    record = errorlens.from_http(500, {"Content-Type": "text/html"}, page)
    assert record.message == "Upstream connection reset by peer"


def test_a_verdict_title_gives_way_to_the_sentence_that_opens_the_body() -> None:
    # Akamai writes its sentence after the <H1>, in no element of its own.
    record = errorlens.from_http(403, {"Content-Type": "text/html"}, AKAMAI_403)
    assert record.message == (
        'You don\'t have permission to access "http://www.example.com/" on this server.'
    )


def test_a_title_that_says_something_stays() -> None:
    page = (
        b"<html><head><title>Sinatra doesn't know this ditty.</title></head><body>"
        b"<p>Try this: get '/x' do end</p></body></html>"
    )
    record = errorlens.from_http(404, {"Content-Type": "text/html"}, page)
    assert record.message == "Sinatra doesn't know this ditty."


def test_a_reference_printed_on_a_proxy_page_is_the_request_id() -> None:
    record = errorlens.from_http(403, {"Content-Type": "text/html"}, AKAMAI_403)
    assert record.request_id == "18.2d351ab8.1557333295.a4e16ab"


def test_a_ray_id_printed_on_a_block_page_is_the_request_id() -> None:
    record = errorlens.from_http(403, {"Content-Type": "text/html"}, CLOUDFLARE_1020)
    assert record.request_id == "8f1b2c3d4e5f6a7b"
    assert record.code == "1020"


def test_a_reference_word_without_an_id_is_no_request_id() -> None:
    page = b"<html><body><p>See the API reference for details.</p></body></html>"
    assert errorlens.from_http(400, {"Content-Type": "text/html"}, page).request_id is None


# One-line text bodies -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        # MySQL's client error line: the error number, then the SQLSTATE.
        (
            b"ERROR 1045 (28000): Access denied for user 'app'@'10.0.0.7' (using password: YES)",
            "1045",
        ),
        # ClickHouse's HTTP interface.
        (b"Code: 60. DB::Exception: Table default.missing does not exist. (UNKNOWN_TABLE)", "60"),
        # An OAuth-style "error: description" line.
        (b"invalid_grant: The provided authorization grant is invalid or expired", "invalid_grant"),
        (b"E_QUOTA_EXCEEDED: monthly quota used up", "E_QUOTA_EXCEEDED"),
    ],
)
def test_a_one_line_text_body_gives_a_code_and_the_text(body: bytes, code: str) -> None:
    record = errorlens.from_http(400, {"Content-Type": "text/plain"}, body)
    assert record.code == code
    assert record.message == body.decode()


@pytest.mark.parametrize(
    "body",
    [
        b"Forbidden: you do not have access to this bucket",  # a word, not a code
        b"Error: something went wrong",
        b"400: Bad Request",  # repeats the status
        b"The service is unavailable: try again later",
    ],
)
def test_a_sentence_with_a_colon_names_no_code(body: bytes) -> None:
    assert errorlens.from_http(400, {"Content-Type": "text/plain"}, body).code is None


# Headers that name the error ----------------------------------------------------------


def test_an_azure_error_code_header_names_the_code_of_a_bodiless_response() -> None:
    # Azure Storage answers HEAD with no body: x-ms-error-code is all there is.
    headers = {"x-ms-error-code": "ContainerNotFound", "x-ms-request-id": "a1b2"}
    record = errorlens.from_http(404, headers, b"")
    assert (record.code, record.request_id) == ("ContainerNotFound", "a1b2")


def test_a_database_exception_code_header_names_the_code() -> None:
    headers = {"X-ClickHouse-Exception-Code": "516", "Content-Type": "text/plain"}
    body = b"Authentication failed: password is incorrect, or there is no user with such name."
    assert errorlens.from_http(403, headers, body).code == "516"


def test_an_error_code_header_that_repeats_the_status_names_nothing() -> None:
    assert errorlens.from_http(404, {"x-foo-error-code": "404"}, b"").code is None


# Envelopes one level deeper -----------------------------------------------------------

# Tencent Cloud API 3.0 answers errors with HTTP 200, wrapped in "Response".
TENCENT = (
    b'{"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": '
    b'"The provided credentials could not be validated."}, '
    b'"RequestId": "ed93f3cb-f35e-473f-b9f3-0d451b8b79c6"}}'
)


def test_an_error_wrapped_in_a_response_envelope_with_its_request_id_beside_it() -> None:
    record = errorlens.from_http(200, {}, TENCENT)
    assert record.code == "AuthFailure.SignatureFailure"
    assert record.message == "The provided credentials could not be validated."
    assert record.request_id == "ed93f3cb-f35e-473f-b9f3-0d451b8b79c6"


def test_a_success_status_with_an_enveloped_error_is_an_error() -> None:
    from errorlens._internal.reader.extract import errors_in_success

    assert errors_in_success(TENCENT) is not None
    assert errors_in_success(b'{"Response": {"Instances": [], "RequestId": "r"}}') is None


def test_an_error_in_a_meta_envelope() -> None:
    # Foursquare v2: {"meta": {"code": 400, "errorType": ..., "errorDetail": ...}}.
    body = (
        b'{"meta": {"code": 400, "errorType": "param_error", "errorDetail": '
        b'"Must provide a valid user ID or \'self.\'", "requestId": "59a3a3b5"}, "response": {}}'
    )
    record = errorlens.from_http(400, {}, body)
    assert record.code == "param_error"
    assert record.message == "Must provide a valid user ID or 'self.'"
    assert record.request_id == "59a3a3b5"


def test_an_odata_error_with_a_language_tagged_message() -> None:
    # OData v3 JSON (verbose): "odata.error", its message {"lang": ..., "value": ...}.
    body = (
        b'{"odata.error": {"code": "ResourceNotFound", "message": {"lang": "en-US", '
        b'"value": "Resource not found for the segment \'Products\'."}}}'
    )
    record = errorlens.from_http(404, {}, body)
    assert record.code == "ResourceNotFound"
    assert record.message == "Resource not found for the segment 'Products'."


def test_an_envelope_that_holds_no_error_is_not_followed() -> None:
    body = b'{"message": "Not allowed", "data": {"id": 7, "name": "x"}}'
    assert errorlens.from_http(403, {}, body).message == "Not allowed"


# Message completion -------------------------------------------------------------------


def test_a_generic_reason_takes_the_root_cause() -> None:
    # Elasticsearch search_phase_execution_exception.
    body = (
        b'{"error": {"root_cause": [{"type": "query_shard_exception", "reason": '
        b'"failed to create query: For input string: \\"abc\\"", "index": "logs"}], '
        b'"type": "search_phase_execution_exception", "reason": "all shards failed", '
        b'"phase": "query", "grouped": true}, "status": 400}'
    )
    record = errorlens.from_http(400, {}, body)
    assert record.message == 'all shards failed: failed to create query: For input string: "abc"'


def test_caused_by_reason_when_the_node_has_no_text() -> None:
    body = (
        b'{"error": {"type": "illegal_argument_exception", "caused_by": {"type": '
        b'"number_format_exception", "reason": "For input string: \\"x\\""}}, "status": 400}'
    )
    assert errorlens.from_http(400, {}, body).message == 'For input string: "x"'


def test_plain_string_errors_complete_a_generic_message() -> None:
    body = b'{"message": "Validation failed", "errors": ["name is required", "email is invalid"]}'
    record = errorlens.from_http(422, {}, body)
    assert record.message == "Validation failed: name is required; email is invalid"


def test_a_string_map_completes_a_generic_message() -> None:
    body = b'{"message": "The given data was invalid.", "errors": {"email": "is taken"}}'
    record = errorlens.from_http(422, {}, body)
    assert record.message == "The given data was invalid.: email: is taken"


def test_a_problem_title_leads_and_its_detail_follows() -> None:
    # RFC 9457 section 3's example.
    body = (
        b'{"type": "https://example.com/probs/out-of-credit", "title": "You do not have '
        b'enough credit.", "detail": "Your current balance is 30, but that costs 50.", '
        b'"instance": "/account/12345/msgs/abc"}'
    )
    record = errorlens.from_http(403, {"Content-Type": "application/problem+json"}, body)
    assert record.message == (
        "You do not have enough credit. Your current balance is 30, but that costs 50."
    )
    assert record.code == "out-of-credit"


def test_a_detail_that_already_says_the_title_stands_alone() -> None:
    body = b'{"title": "Not Found", "detail": "Not found: order 42", "status": 404}'
    assert errorlens.from_http(404, {}, body).message == "Not found: order 42"


def test_a_problem_without_detail_keeps_its_title() -> None:
    body = b'{"type": "about:blank", "title": "Forbidden", "status": 403}'
    assert errorlens.from_http(403, {}, body).message == "Forbidden"


# Retryable by meaning -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, b'{"error": {"code": "rate_limit_exceeded", "message": "slow down"}}'),
        (400, b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'),
        (403, b"<Error><Code>SlowDown</Code><Message>Reduce your rate</Message></Error>"),
        (400, b'{"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}'),
        (400, b'{"error": {"code": "TooManyRequests", "message": "Too many requests"}}'),
    ],
)
def test_rate_limit_and_overload_codes_are_retryable_on_any_status(
    status: int, body: bytes
) -> None:
    assert errorlens.from_http(status, {}, body).retryable is True


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": {"code": "insufficient_quota", "type": "insufficient_quota"}}',
        b'{"error": {"code": "billing_hard_limit_reached", "message": "limit"}}',
        b'{"error": "too_many_attempts", "error_description": "Your account is blocked"}',
    ],
)
def test_quota_billing_and_auth_exhaustion_are_not_retryable(body: bytes) -> None:
    assert errorlens.from_http(429, {}, body).retryable is False


# Codes, ids, fields and texts under the words that name them ----------------------


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        # ArangoDB: "code" repeats the status, "errorNum" is the error.
        (
            404,
            (
                b'{"error": true, "errorMessage": "collection not found", "code": 404'
                b', "errorNum": 1203}'
            ),
            "1203",
        ),
        # JSON-RPC error whose code only repeats the status: no code.
        (429, b'{"jsonrpc": "2.0", "id": 1, "error": {"code": 429, "message": "Too many"}}', None),
        # Microsoft REST guidelines: an innererror with its own text is more specific.
        (
            400,
            (
                b'{"error": {"code": "BadArgument", "message": "Bad"'
                b', "innererror": {"code": "PasswordTooShort"'
                b', "message": "Too short"}}}'
            ),
            "PasswordTooShort",
        ),
        # Contentful: a typed error object names the code.
        (404, b'{"sys": {"type": "Error", "id": "NotFound"}, "message": "Not here."}', "NotFound"),
        # Bitly: a message in capitals is a code.
        (
            400,
            b'{"message": "INVALID_ARG_DOMAIN", "description": "The domain is invalid."}',
            "INVALID_ARG_DOMAIN",
        ),
        # Kraken: a plain-string entry that leads with its category, with HTTP 200.
        (
            200,
            b'{"error": ["EOrder:Insufficient funds"], "result": {}}',
            "EOrder:Insufficient funds",
        ),
        # Authorize.Net: "resultCode": "Error" says nothing; the message entry's code does.
        (
            200,
            (
                b'{"messages": {"resultCode": "Error", "message": [{"code": "E00003"'
                b', "text": "Invalid"}]}}'
            ),
            "E00003",
        ),
    ],
)
def test_codes_by_their_words_and_shapes(status: int, body: bytes, code: str | None) -> None:
    assert errorlens.from_http(status, {}, body).code == code


def test_a_webdav_precondition_element_names_the_code() -> None:
    # RFC 4918 section 16: the failed precondition is the child of DAV:error.
    body = b'<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:no-conflicting-lock/></D:error>'
    record = errorlens.from_http(423, {"Content-Type": "application/xml"}, body)
    assert record.code == "no-conflicting-lock"


@pytest.mark.parametrize(
    ("headers", "body", "request_id"),
    [
        ({}, b'{"message": "Bad request", "logRef": "a1b2#77"}', "a1b2#77"),  # Help Scout
        ({}, b'{"title": "Unauthorized", "trace": {"requestId": "r-9"}}', "r-9"),  # Zuplo
        ({}, b'{"errorCode": "X", "errorInstanceId": "i-42"}', "i-42"),  # Palantir
        ({"X-Ep-Request-Uuid": "u-1"}, b'{"error": {"code": "X"}}', "u-1"),  # EasyPost
        ({"X-DocuSign-TraceToken": "t-2"}, b'{"errorCode": "X"}', "t-2"),  # DocuSign
    ],
)
def test_request_ids_under_the_words_of_a_support_id(
    headers: dict[str, str], body: bytes, request_id: str
) -> None:
    assert errorlens.from_http(400, headers, body).request_id == request_id


def test_a_request_id_is_one_token_never_a_text_under_an_ids_name() -> None:
    # Spring Boot with include-stacktrace: "trace" holds the stack trace, not an id.
    body = (
        b'{"message": "Order 42 is closed", "trace": "java.lang.IllegalStateException:'
        b' Order 42 is closed\\n\\tat com.example.OrderService.cancel(OrderService.java:88)"}'
    )
    assert errorlens.from_http(500, {"X-Request-Id": "r-7"}, body).request_id == "r-7"
    assert errorlens.from_http(500, {}, body).request_id is None
    token = b'{"message": "Order 42 is closed", "trace": "c0a8012e-1b2c"}'
    assert errorlens.from_http(500, {}, token).request_id == "c0a8012e-1b2c"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        # Dwolla (HAL): the errors sit in "_embedded".
        (
            (
                b'{"code": "ValidationError", "message": "m"'
                b', "_embedded": {"errors": [{"code": "Required", "message": "x"'
                b', "path": "/lastName"}]}}'
            ),
            ["lastName"],
        ),
        # Veeam: "parameterName"; Bandwidth: "fieldName".
        (b'{"errors": [{"message": "bad", "parameterName": "limit"}]}', ["limit"]),
        (
            b'{"type": "validation", "fieldErrors": [{"fieldName": "from", "description": "bad"}]}',
            ["from"],
        ),
        # GoDaddy: "fields" as a list of error objects.
        (
            (
                b'{"code": "INVALID_BODY", "message": "m", "fields": [{"code": "X"'
                b', "message": "y", "path": "ttl"}]}'
            ),
            ["ttl"],
        ),
        # Phoenix: a map of message keys is no field map.
        (b'{"errors": {"detail": "Bad Request"}}', []),
    ],
)
def test_field_errors_in_more_shapes(body: bytes, fields: list[str]) -> None:
    assert [f.field for f in errorlens.from_http(422, {}, body).fields] == fields


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # CouchDB: the reason beside the code is the text, even one word.
        (b'{"error": "not_found", "reason": "deleted"}', "deleted"),
        # A sentence under a key no rule reads ("info").
        (
            b'{"error": "invalid-request-error", "info": "bad header format given"}',
            "bad header format given",
        ),
        # Etherscan: "NOTOK" says nothing; the result says what.
        (
            b'{"status": "0", "message": "NOTOK", "result": "Missing Or invalid Module name"}',
            "NOTOK: Missing Or invalid Module name",
        ),
    ],
)
def test_texts_under_unusual_keys(body: bytes, message: str) -> None:
    assert errorlens.from_http(400, {}, body).message == message


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        # Amplitude HTTP V2: a map named by its fault ("invalid fields") whose keys are
        # the fields and whose values are the indices of the events at fault.
        (b'{"code": 400, "events_with_invalid_fields": {"time": [3, 4, 7]}}', ["time"]),
        # The same map under a key that names no fault is no field error.
        (b'{"code": 400, "events_with_fields": {"time": [3, 4, 7]}}', []),
    ],
)
def test_a_map_named_by_its_fault_names_the_fields(body: bytes, fields: list[str]) -> None:
    record = errorlens.from_http(400, {}, body)
    assert [f.field for f in record.fields] == fields


def test_an_operation_id_is_a_support_id() -> None:
    body = b'{"status": {"error_code": "ERROR_X", "message": "No.", "operation_id": "op-5"}}'
    assert errorlens.from_http(400, {}, body).request_id == "op-5"


def test_a_request_id_in_the_wrappers_meta_beside_an_error_with_details() -> None:
    body = (
        b'{"error": {"code": "bad_input", "message": "No.", "details": {"hint": "x"}},'
        b' "meta": {"request_id": "req_77"}}'
    )
    assert errorlens.from_http(400, {}, body).request_id == "req_77"


@pytest.mark.parametrize(
    ("details", "request_id", "correlation_id"),
    [
        ('[{"code": "correlation_id", "message": "c-1"}]', None, "c-1"),
        ('[{"name": "RequestId", "value": "r-2"}, {"name": "Region", "value": "eu"}]', "r-2", None),
        # A pair whose name plays no role is a detail, nothing more.
        ('[{"code": "limit", "message": "10"}]', None, None),
    ],
)
def test_ids_in_name_value_pairs_of_the_details(
    details: str, request_id: str | None, correlation_id: str | None
) -> None:
    body = f'{{"code": "denied", "message": "No.", "details": {details}}}'.encode()
    record = errorlens.from_http(403, {}, body)
    assert (record.request_id, record.correlation_id) == (request_id, correlation_id)


def test_a_key_headed_by_message_is_the_text() -> None:
    body = b'{"status_code": "E12", "status_message": "Quota of widgets exceeded"}'
    assert errorlens.from_http(400, {}, body).message == "Quota of widgets exceeded"
    assert errorlens.from_http(400, {}, b'{"message_id": "m-1", "message": "x"}').message == "x"


def test_a_map_of_fields_named_as_the_errors() -> None:
    body = b'{"status_message": "Validation error", "status_fields": {"name": ["too short"]}}'
    record = errorlens.from_http(422, {}, body)
    assert [f.field for f in record.fields] == ["name"]
    assert record.message is not None and record.message.startswith("Validation error")


@pytest.mark.parametrize(
    ("code", "fields"),
    [
        ("validation_error", ["amount"]),
        ("invalid_argument", ["amount"]),
        ("account_not_authorized", []),  # "source" names the resource, not an input
    ],
)
def test_a_source_names_the_field_when_an_input_was_wrong(code: str, fields: list[str]) -> None:
    body = f'{{"code": "{code}", "message": "No.", "source": "amount"}}'.encode()
    assert [f.field for f in errorlens.from_http(400, {}, body).fields] == fields


def test_a_generated_token_under_a_bare_id_is_the_request_id() -> None:
    body = b'{"id": "9f86d081884c7d659a2feaa0c55ad015", "name": "bad_request", "errors": ["x"]}'
    record = errorlens.from_http(400, {}, body)
    assert (record.code, record.request_id) == ("bad_request", "9f86d081884c7d659a2feaa0c55ad015")


def test_the_error_nodes_short_number_under_id_is_its_code() -> None:
    body = b'{"error": {"id": "1040", "name": "Rate Limit Reached", "message": "Too many."}}'
    assert errorlens.from_http(429, {}, body).code == "1040"
    # JSON-RPC's "id" is the call's, beside the error node: not a code.
    rpc = b'{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "7"}'
    assert errorlens.from_http(200, {}, rpc).code == "-32601"


def test_a_code_that_opens_the_message_before_a_colon() -> None:
    body = b'{"error": {"code": 400, "message": "EMAIL_NOT_FOUND : There is no such user."}}'
    assert errorlens.from_http(400, {}, body).code == "EMAIL_NOT_FOUND"
    plain = b'{"error": {"message": "Note: the id is wrong"}}'
    assert errorlens.from_http(400, {}, plain).code is None


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        ("TOO_MANY_ATTEMPTS_TRY_LATER", True),
        ("too_many_attempts", False),
        ("account_locked", False),
    ],
)
def test_a_lockout_that_says_try_later_is_retryable(code: str, retryable: bool) -> None:
    body = f'{{"error": {{"code": "{code}", "message": "No."}}}}'.encode()
    assert errorlens.from_http(400, {}, body).retryable is retryable


def test_an_entry_name_that_names_the_error_is_no_field() -> None:
    body = (
        b'{"error": {"name": "ValidationError", "message": "2 errors", "details": {"errors":'
        b' [{"path": ["email"], "message": "invalid", "name": "ValidationError"}]}}}'
    )
    assert [f.field for f in errorlens.from_http(400, {}, body).fields] == ["email"]


def test_a_field_key_holding_a_map_of_messages_names_the_fields() -> None:
    body = b'{"title": "Invalid", "status": 400, "parameter": {"callback_url": ["is not a url"]}}'
    record = errorlens.from_http(400, {"content-type": "application/problem+json"}, body)
    assert [(f.field, f.message) for f in record.fields] == [("callback_url", "is not a url")]


def test_a_wrapper_list_of_per_item_results_holds_the_errors() -> None:
    body = (
        b'{"data": [{"code": "INVALID_DATA", "details": {"api_name": "Email"},'
        b' "message": "invalid data", "status": "error"}]}'
    )
    record = errorlens.from_http(400, {}, body)
    assert (record.code, record.message) == ("INVALID_DATA", "invalid data")
    assert [f.field for f in record.fields] == ["Email"]
    ok = b'{"data": [{"id": 1, "name": "a"}]}'
    assert errorlens.from_http(400, {}, ok).code is None


def test_an_error_elements_attributes_are_its_facts() -> None:
    body = (
        b'<Response><Errors><Error Number="2030280" Lang="en">Domain taken</Error>'
        b"</Errors></Response>"
    )
    record = errorlens.from_http(200, {"content-type": "text/xml"}, body)
    assert (record.code, record.message) == ("2030280", "Domain taken")
    # Other elements' attributes are not read: a language tag is no fact of the error.
    tagged = b'<Error><Code>Throttled</Code><Message xml:lang="en">Slow down</Message></Error>'
    assert errorlens.from_http(400, {}, tagged).message == "Slow down"

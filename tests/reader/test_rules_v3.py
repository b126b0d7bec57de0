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


def test_a_title_that_says_something_stays() -> None:
    record = errorlens.from_http(403, {"Content-Type": "text/html"}, AKAMAI_403)
    assert record.message == "Access Denied"


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

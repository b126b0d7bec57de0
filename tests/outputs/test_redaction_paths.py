"""Secrets on the newer paths: details judged by the key's words and the value's shape,
retry lines, exception-group members, attach()'s whole line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

import errorlens
from errorlens._internal.scrub import REDACTED
from errorlens.stdlib import attach, detach

# AWS's Signature Version 2 documentation signs GET /photos/puppy.jpg of the bucket
# johnsmith with the access key id AKIAIOSFODNN7EXAMPLE; the signature it shows is
# frJIUN8DYpKDtOLCwo//yllqDzg=. S3 answers a wrong signature with SignatureDoesNotMatch,
# echoing what it signed (StringToSign and its bytes) and the signature it was given.
SIGNATURE = "frJIUN8DYpKDtOLCwo//yllqDzg="
STRING_TO_SIGN = "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg"
SECURITY_TOKEN = "FQoGZXIvYXdzEBYaDTemporarySessionToken0123456789"
CANONICAL_REQUEST = (
    "GET\n/photos/puppy.jpg\n\nhost:johnsmith.s3.amazonaws.com\n"
    f"x-amz-security-token:{SECURITY_TOKEN}\n\nhost;x-amz-security-token\nUNSIGNED-PAYLOAD"
)


def _hex(text: str) -> str:
    return " ".join(f"{byte:02x}" for byte in text.encode())


SIGNATURE_DOES_NOT_MATCH = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>'
    "<Message>The request signature we calculated does not match the signature you "
    "provided. Check your key and signing method.</Message>"
    "<AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId>"
    f"<StringToSign>{STRING_TO_SIGN}</StringToSign>"
    f"<SignatureProvided>{SIGNATURE}</SignatureProvided>"
    f"<StringToSignBytes>{_hex(STRING_TO_SIGN)}</StringToSignBytes>"
    f"<CanonicalRequest>{CANONICAL_REQUEST}</CanonicalRequest>"
    f"<CanonicalRequestBytes>{_hex(CANONICAL_REQUEST)}</CanonicalRequestBytes>"
    "<RequestId>4442587FB7D0A2F9</RequestId>"
    "<HostId>vjbyPxybdZaNmGa+yT0hrsmmYwZp3yLXFD6b0r6vgrNGIjVy9SyBRy1VNYYWQRk/GLFBcjjl4lE=</HostId>"
    "</Error>"
)
PRESIGNED = (
    "https://johnsmith.s3.amazonaws.com/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE"
    f"&Expires=1175139620&Signature={SIGNATURE.replace('/', '%2F').replace('=', '%3D')}"
)
# S3's NoSuchKey names the object key it did not find: the most useful fact of the error.
OBJECT_KEY = "photos/2006/February/sample.jpg"
NO_SUCH_KEY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
    "<Message>The specified key does not exist.</Message>"
    f"<Key>{OBJECT_KEY}</Key><RequestId>4442587FB7D0A2F9</RequestId></Error>"
)
XML = {"Content-Type": "application/xml"}


def test_s3_signature_mismatch_keeps_the_signature_out_of_details() -> None:
    record = errorlens.from_http(403, XML, SIGNATURE_DOES_NOT_MATCH, url=PRESIGNED, method="GET")
    shown = repr(record.as_dict()) + record.summary()
    assert record.code == "SignatureDoesNotMatch"
    assert SIGNATURE not in shown
    assert SIGNATURE.replace("/", "%2F") not in shown
    assert SECURITY_TOKEN not in shown
    assert _hex(SECURITY_TOKEN) not in shown
    details = record.details
    assert isinstance(details, dict)
    assert details["SignatureProvided"] == REDACTED
    # What S3 signed is no credential: it is the fact to compare against one's own.
    assert details["StringToSign"] == STRING_TO_SIGN
    assert "/photos/puppy.jpg" in details["CanonicalRequest"]


def test_s3_object_key_is_a_fact_not_a_secret() -> None:
    record = errorlens.from_http(404, XML, NO_SUCH_KEY, url="https://johnsmith.s3.amazonaws.com/x")
    assert record.code == "NoSuchKey"
    assert record.details == {"Key": OBJECT_KEY}


@pytest.mark.parametrize(
    ("name", "value", "hidden"),
    [
        ("key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", True),  # AWS's sample secret key
        ("key", "3f2a9c0d8e7b6a5f4e3d2c1b0a998877", True),
        ("Key", "invoices/2024/03/INV-000123", False),
        ("key", "my-object-key-name", False),
        ("key", "photos/puppy.jpg", False),
        ("sig", "UmEhL6BcHzzdKNs/caHZxPPMUxM=", True),
        ("signatureProvided", "short", True),
        ("password", "a b c", True),  # a secret-named value goes whatever its shape
    ],
)
def test_ambiguous_names_are_judged_by_the_value(name: str, value: str, hidden: bool) -> None:
    from errorlens._internal.scrub import redact_structure

    cleaned = redact_structure({name: value}, [])
    assert (cleaned[name] == REDACTED) is hidden


# -- retry lines and attach()'s whole line --------------------------------------------

API_KEY = "QueryApiKey0123456789"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N"


@pytest.fixture
def plain_logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger with its own plain text handler, as an application has one."""
    out = io.StringIO()
    logger = logging.getLogger("shop.paths")
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s %(error)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger, out
    finally:
        detach(logger)
        logger.removeHandler(handler)
        logger.propagate = True


@pytest.mark.parametrize("attached", [True, False])
def test_retry_lines_name_a_connection_error_without_its_secrets(
    plain_logger: tuple[logging.Logger, io.StringIO], attached: bool
) -> None:
    from _servers import closed_port_url
    from conftest import require
    from errorlens import retry

    tenacity = require("tenacity")
    requests = require("requests")
    logger, out = plain_logger
    if attached:
        attach(logger)
    url = f"{closed_port_url()}/v1/charges?api_key={API_KEY}&token={JWT}"
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(requests.ConnectionError),
        before_sleep=retry.log_before_sleep(logger),
        stop=tenacity.stop_after_attempt(2),
        sleep=lambda seconds: None,
    )
    with pytest.raises(tenacity.RetryError):
        retrying(requests.get, url, timeout=5)
    line = out.getvalue()
    assert "api call failed, retrying" in line and "ConnectionError" in line
    assert API_KEY not in line
    assert JWT not in line and JWT[:30] not in line


def _httpx_info_line(loopback: Any, attach_scope: str | None) -> str:
    from conftest import require

    httpx = require("httpx")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("httpx")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        if attach_scope is None:
            attach(logger)
        else:
            attach(logger, redact=attach_scope)
        httpx.get(f"{loopback.url}/v1/models?api_key={API_KEY}", timeout=5)
    finally:
        detach(logger)
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    return out.getvalue()


def test_attach_redacts_the_whole_line_of_other_libraries(loopback: Any) -> None:
    line = _httpx_info_line(loopback, None)
    assert "HTTP Request: GET" in line and "/v1/models?api_key=" in line
    assert API_KEY not in line
    assert REDACTED in line


def test_attach_can_keep_the_old_scope(loopback: Any) -> None:
    # redact="fields": errorlens cleans only what it adds (api_error, messages and
    # tracebacks of records with an exception); other lines are the application's.
    line = _httpx_info_line(loopback, "fields")
    assert API_KEY in line


def test_attach_redacts_extra_fields_and_arguments() -> None:
    out = io.StringIO()
    logger = logging.getLogger("shop.extras")
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(message)s|%(target)s|%(password)s"))
    logger.addHandler(handler)
    logger.propagate = False
    attach(logger)
    try:
        logger.warning(
            "calling %s with %r",
            f"https://api.example.com/v1?api_key={API_KEY}",
            {"Authorization": f"Bearer {JWT}"},
            extra={
                "target": f"https://user:{API_KEY}@db.example.com/",
                "password": "hunter2hunter2",
            },
        )
    finally:
        detach(logger)
        logger.removeHandler(handler)
        logger.propagate = True
    line = out.getvalue()
    assert "calling https://api.example.com/v1?api_key=" in line
    assert "db.example.com" in line
    for secret in (API_KEY, JWT, "hunter2hunter2"):
        assert secret not in line


# -- exception groups: each member's secrets leave the traceback ----------------------

GROUP_PASSWORD = "GroupMemberPass4471"


class VendorError(Exception):
    """An SDK error carrying the vendor's body; its message repeats a detail verbatim."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(f"login rejected for {body['error']['details']['password']}")
        self.status_code = 401
        self.body = body


def _group() -> BaseException:
    members = [
        VendorError(
            {
                "error": {
                    "code": "invalid_credentials",
                    "message": "Invalid credentials",
                    "details": {"password": GROUP_PASSWORD, "user": "bob"},
                }
            }
        ),
        VendorError(
            {
                "error": {
                    "code": "invalid_credentials",
                    "message": "Invalid credentials",
                    "details": {"password": "OtherMemberPass8812", "user": "eve"},
                }
            }
        ),
    ]
    try:
        raise ExceptionGroup("logins failed", members)  # noqa: F821 - builtin on 3.11+
    except BaseException as group:
        return group


@pytest.mark.requires_python(3, 11, "ExceptionGroup is a builtin from Python 3.11")
def test_a_single_member_loses_its_secret_as_a_lone_exception_does(
    configured: io.StringIO,
) -> None:
    lone = _group().exceptions[0]  # type: ignore[attr-defined]
    logging.getLogger("shop.lone").error("login failed", exc_info=lone)
    assert "login rejected for" in configured.getvalue()
    assert GROUP_PASSWORD not in configured.getvalue()


@pytest.mark.requires_python(3, 11, "ExceptionGroup is a builtin from Python 3.11")
def test_group_members_lose_their_secrets_under_configure(configured: io.StringIO) -> None:
    logging.getLogger("shop.group").error("logins failed", exc_info=_group())
    line = configured.getvalue()
    assert "login rejected for" in line
    assert GROUP_PASSWORD not in line and "OtherMemberPass8812" not in line


@pytest.mark.requires_python(3, 11, "ExceptionGroup is a builtin from Python 3.11")
def test_group_members_lose_their_secrets_on_an_attached_logger(
    plain_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = plain_logger
    attach(logger, redact="fields")  # the traceback is errorlens's own, in either scope
    logger.error("logins failed", exc_info=_group(), extra={"error": None})
    line = out.getvalue()
    assert "login rejected for" in line
    assert GROUP_PASSWORD not in line and "OtherMemberPass8812" not in line


def test_sentry_frame_variables_are_judged_by_their_words() -> None:
    from errorlens.sentry.scrub import scrub_event

    frame = {
        "module": "shop.storage",
        "vars": {
            "signature_provided": f"'{SIGNATURE}'",
            "string_to_sign": "'GET /johnsmith/photos/puppy.jpg'",
            "bucket": "'johnsmith'",
        },
    }
    event: Any = {"exception": {"values": [{"stacktrace": {"frames": [frame]}}]}}
    scrub_event(event, ())
    shown = event["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]
    assert shown["signature_provided"] == REDACTED
    assert shown["string_to_sign"] == "'GET /johnsmith/photos/puppy.jpg'"
    assert shown["bucket"] == "'johnsmith'"

"""Secrets on the newer paths: details judged by the key's words and the value's shape,
retry lines, exception-group members, attach()'s whole line."""

from __future__ import annotations

import pytest

import errorlens
from errorlens._internal.scrub import REDACTED

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

"""No secret category reaches the rendered output: configure (whole line) and attach."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest
import requests
import structlog

import errorlens
from _servers import LoopbackServer
from errorlens._internal.config import configure, unconfigure
from errorlens._internal.scrub import redact_text
from errorlens.stdlib import attach, detach

# One value per category; each must be absent from every rendered output.
SECRETS = {
    "authorization header": "AuthHdrToken123456",
    "proxy-authorization header": "cHJveHk6c2VjcmV0cHc",
    "cookie header": "CookieSecret998877",
    "set-cookie header": "SetCookieSecret5544",
    "api-key header": "HeaderApiKey3322110",
    "url userinfo": "UserInfoPass42",
    "url secret query value": "QueryKey7766554433",
    "openai key": "sk-proj-OpenAIKey0123456789abcd",
    "anthropic key": "sk-ant-api03-AnthropicKey0123456789",
    "stripe key": "sk_live_StripeKey0123456789",
    "slack token": "xoxb-1234567890-SlackTokenValue",
    "github token": "ghp_GithubToken0123456789abcdefghij",
    "aws access key": "AKIAIOSFODNN7EXAMPLE",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
    "bearer value in text": "TextBearer0987654321",
    "basic value in text": "dXNlcjpUZXh0QmFzaWMxMjM",
    "secret-named detail": "DetailsPassword55",
    "user pattern": "acct_zz12345678",
}
S = SECRETS

VENDOR_BODY = {
    "error": {
        "code": "invalid_api_key",
        "message": (
            f"Incorrect API key provided: {S['openai key']}. "
            f"Password {S['secret-named detail']} was also wrong."
        ),
        "details": {"password": S["secret-named detail"], "account": "acme"},
    }
}
HEADERS_SENT = {
    "Authorization": f"Bearer {S['authorization header']}",
    "Proxy-Authorization": f"Basic {S['proxy-authorization header']}=",
    "Cookie": f"sessionid={S['cookie header']}",
    "Set-Cookie": f"refresh={S['set-cookie header']}; HttpOnly",
    "X-Api-Key": S["api-key header"],
}
TOKENS_IN_TEXT = " ".join(
    [
        S["anthropic key"],
        S["stripe key"],
        S["slack token"],
        S["github token"],
        S["aws access key"],
        S["jwt"],
        f"Bearer {S['bearer value in text']}",
        f"Basic {S['basic value in text']}=",
        S["user pattern"],
    ]
)


class VendorError(Exception):
    """An SDK-style error whose message says too much, raised from the HTTP error."""


@pytest.fixture(scope="module", autouse=True)
def user_pattern() -> None:
    errorlens.add_redaction_pattern(r"acct_zz[0-9]{8}")


@pytest.fixture(scope="module")
def vendor_failure() -> Iterator[VendorError]:
    with LoopbackServer() as server:
        server.respond(401, {"x-request-id": "req_sec_1"}, VENDOR_BODY)
        host = server.url.removeprefix("http://")
        query = f"api_key={S['url secret query value']}"
        url = f"http://svc:{S['url userinfo']}@{host}/v1/charges?{query}"
        response = requests.post(url, headers=HEADERS_SENT, timeout=5)
        try:
            response.raise_for_status()
        except requests.HTTPError as http_error:
            try:
                raise VendorError(
                    f"call failed: sent {HEADERS_SENT!r} to {url}; {TOKENS_IN_TEXT}"
                ) from http_error
            except VendorError as error:
                yield error
                return
    raise AssertionError("the loopback server did not answer with an error")


MESSAGE = f"charge failed: {TOKENS_IN_TEXT} Password {S['secret-named detail']}"


def _raise(error: BaseException) -> None:
    raise error


def _configured_output(error: VendorError, *, json: bool) -> str:
    out = io.StringIO()
    configure(json=json, stream=out, colors=False)
    try:
        try:
            _raise(error)
        except VendorError:
            structlog.get_logger("app").exception(
                MESSAGE, headers=HEADERS_SENT, password="KwargPassword77", api_key="kw-key-1234567"
            )
            logging.getLogger("lib").error(MESSAGE, exc_info=True, extra={"token": "ExtraToken999"})
    finally:
        unconfigure()
    return out.getvalue()


def _attached_output(error: VendorError, formatter: logging.Formatter) -> str:
    logger = logging.getLogger("attached_secrets")
    logger.propagate = False
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    try:
        attach(logger)
        try:
            _raise(error)
        except VendorError:
            logger.exception(MESSAGE)
    finally:
        detach(logger)
        logger.handlers.clear()
    return out.getvalue()


def _outputs(error: VendorError) -> dict[str, str]:
    outputs = {
        "configure-json": _configured_output(error, json=True),
        "configure-console": _configured_output(error, json=False),
        "attach-plain": _attached_output(
            error, logging.Formatter("%(levelname)s %(message)s %(api_error_summary)s")
        ),
    }
    if sys.version_info >= (3, 12):
        # python-json-logger formats exc_info itself: only a handler-private copy of the
        # record (a 3.12 logging feature) lets errorlens give it the redacted traceback.
        from pythonjsonlogger.json import JsonFormatter

        outputs["attach-python-json-logger"] = _attached_output(error, JsonFormatter())
    return outputs


@pytest.fixture(scope="module")
def outputs(vendor_failure: VendorError) -> dict[str, str]:
    return _outputs(vendor_failure)


def test_outputs_are_real(outputs: dict[str, str]) -> None:
    # The lines were written, with the API error and the traceback in them.
    for name, text in outputs.items():
        assert "invalid_api_key" in text, name
        assert "req_sec_1" in text, name
        assert "Traceback" in text, name
        assert "VendorError" in text, name
        assert "[REDACTED]" in text, name


@pytest.mark.parametrize("category", list(SECRETS))
def test_no_secret_in_any_output(outputs: dict[str, str], category: str) -> None:
    secret = SECRETS[category]
    leaked = [name for name, text in outputs.items() if secret in text]
    assert leaked == [], f"{category} leaked in {leaked}"


@pytest.mark.parametrize("secret", ["KwargPassword77", "kw-key-1234567", "ExtraToken999"])
def test_configure_redacts_secret_named_fields(outputs: dict[str, str], secret: str) -> None:
    assert secret not in outputs["configure-json"]
    assert secret not in outputs["configure-console"]


def test_details_keep_their_harmless_values(outputs: dict[str, str]) -> None:
    assert '"account": "acme"' in outputs["configure-json"]
    assert '"password": "[REDACTED]"' in outputs["configure-json"]


def test_user_patterns_apply_to_plain_redaction() -> None:
    assert redact_text("ref acct_zz87654321 done") == "ref [REDACTED] done"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("GET https://api.example.com/v1/items?page=2&sort=asc", "page=2&sort=asc"),
        ("user bob logged in from 10.0.0.1", "user bob logged in from 10.0.0.1"),
        ("retry after 2s; the token bucket is empty", "the token bucket is empty"),
    ],
)
def test_harmless_text_is_left_alone(text: str, kept: str) -> None:
    assert kept in redact_text(text)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("404 Client Error for url: https://x.io/a?X-Amz-Credential=AKIAX%2F2024&b=1", "AKIAX"),
        ("for url: https://x.io/cb?code_verifier=verif1234567&state=ok", "verif1234567"),
        ("headers {'Cookie': 'sid=abc123456789', 'Accept': '*/*'}", "abc123456789"),
        ("Proxy-Authorization: Negotiate YIIabcdefgh12345\nnext line", "YIIabcdefgh12345"),
        ("X-Api-Key: key-0123456789", "key-0123456789"),
        # A secret-named key before a colon, bare, quoted, or in JSON escaped in a string.
        ("login failed, password: hunter2", "hunter2"),
        ("config client_secret : abc123def", "abc123def"),
        ("api_key:abc123 sent", "abc123"),
        ("session_id: 9f8e7d6c5b4a", "9f8e7d6c5b4a"),
        ("settings api_key: 'short'", "short"),
        ('payload "{\\"password\\": \\"EscapedPw77\\"}"', "EscapedPw77"),
        # Any whitespace after the scheme word, not only a space; "sig" is a secret name.
        ("sent Bearer\tabcdefghijkl0", "abcdefghijkl0"),
        ("token\n9f8e7d6c5b4a3", "9f8e7d6c5b4a3"),
        ("sig: 0a1b2c3d4e", "0a1b2c3d4e"),
    ],
)
def test_new_text_patterns(text: str, secret: str) -> None:
    cleaned = redact_text(text)
    assert secret not in cleaned
    assert "[REDACTED]" in cleaned

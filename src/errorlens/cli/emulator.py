"""A vendor emulator on loopback: real-looking API error responses, no network.

The demo and the tests call it instead of the real APIs. Each route answers one error
as that vendor documents it (status, headers, body)::

    with Emulator() as emu:
        urllib.request.urlopen(emu.url("openai/v1/chat/completions"))  # HTTP 429

A route is chosen by the first path segment (``/openai/...``), or, when the emulator
is used as an HTTP proxy (``http://api.openai.com/v1/...`` sent to it in absolute
form), by the vendor's host name, so that clients see the vendor's real URL.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

__all__ = [
    "INHOUSE_HOSTS",
    "INHOUSE_RETRYABLE_CODES",
    "INHOUSE_VENDOR",
    "ROUTES",
    "Emulator",
    "Route",
]

# The rule an application registers for its in-house API (the demo does): the host
# names the vendor, and a lock conflict is worth retrying.
INHOUSE_VENDOR = "acme-ledger"
INHOUSE_HOSTS = ("ledger.acme.internal",)
INHOUSE_RETRYABLE_CODES = ("LEDGER_LOCKED",)


@dataclass(frozen=True)
class Route:
    """One emulated vendor error: what the vendor answers, and what errorlens should read."""

    name: str
    host: str
    path: str
    method: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    # What a correct reading gives: the demo's tests check the records against these.
    vendor: str | None
    code: str | None
    request_id: str | None
    retryable: bool
    retry_after: float | None = None

    @property
    def vendor_url(self) -> str:
        """The vendor's own URL for this call (plain http: the emulator is the proxy)."""
        return f"http://{self.host}{self.path}"


def _json(value: object) -> bytes:
    return json.dumps(value, indent=2).encode()


_OPENAI = Route(
    name="openai",
    host="api.openai.com",
    path="/v1/chat/completions",
    method="POST",
    status=429,
    headers=(
        ("Content-Type", "application/json"),
        ("x-request-id", "req_7f3c9a1e52b84d0c9e6f1a2b3c4d5e6f"),
        ("openai-organization", "org-demo"),
        ("openai-processing-ms", "11"),
        ("openai-version", "2020-10-01"),
        ("x-ratelimit-limit-tokens", "30000"),
        ("x-ratelimit-remaining-tokens", "0"),
        ("x-ratelimit-reset-tokens", "1.4s"),
        ("retry-after", "2"),
        ("retry-after-ms", "1400"),
    ),
    body=_json(
        {
            "error": {
                "message": (
                    "Rate limit reached for gpt-4o in organization org-demo on tokens per"
                    " min (TPM): Limit 30000, Used 29541, Requested 1210. Please try again"
                    " in 1.4s. Visit https://platform.openai.com/account/rate-limits to"
                    " learn more."
                ),
                "type": "tokens",
                "param": None,
                "code": "rate_limit_exceeded",
            }
        }
    ),
    vendor="openai",
    code="rate_limit_exceeded",
    request_id="req_7f3c9a1e52b84d0c9e6f1a2b3c4d5e6f",
    retryable=True,
    retry_after=1.4,
)

_ANTHROPIC = Route(
    name="anthropic",
    host="api.anthropic.com",
    path="/v1/messages",
    method="POST",
    status=529,
    headers=(
        ("Content-Type", "application/json"),
        ("request-id", "req_011CXk8vQ2mZ7yTqg3hLdE4p"),
        ("anthropic-organization-id", "4b1c3a2e-0d6f-4e8a-9b7c-5d2e1f0a3b4c"),
        ("x-should-retry", "true"),
    ),
    body=_json(
        {
            "type": "error",
            "error": {"type": "overloaded_error", "message": "Overloaded"},
            "request_id": "req_011CXk8vQ2mZ7yTqg3hLdE4p",
        }
    ),
    vendor="anthropic",
    code="overloaded_error",
    request_id="req_011CXk8vQ2mZ7yTqg3hLdE4p",
    retryable=True,
)

_STRIPE = Route(
    name="stripe",
    host="api.stripe.com",
    path="/v1/payment_intents",
    method="POST",
    status=402,
    headers=(
        ("Content-Type", "application/json"),
        ("Request-Id", "req_Qm4v2Lk9XbT1sW"),
        ("Stripe-Version", "2024-06-20"),
        ("Idempotency-Key", "7d1f0c9e-order-20931"),
    ),
    body=_json(
        {
            "error": {
                "charge": "ch_3PqR8sLkdIwHu7ix0n1b2c3d",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "doc_url": "https://stripe.com/docs/error-codes/card-declined",
                "message": "Your card was declined.",
                "request_log_url": "https://dashboard.stripe.com/test/logs/req_Qm4v2Lk9XbT1sW",
                "type": "card_error",
            }
        }
    ),
    vendor="stripe",
    code="card_declined",
    request_id="req_Qm4v2Lk9XbT1sW",
    retryable=False,
)

_AWS_S3 = Route(
    name="aws",
    host="reports-archive.s3.eu-west-1.amazonaws.com",
    path="/2024/q3/revenue.csv",
    method="GET",
    status=404,
    headers=(
        ("Content-Type", "application/xml"),
        ("x-amz-request-id", "4442587FB7D0A2F9"),
        (
            "x-amz-id-2",
            "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=",
        ),
        ("Server", "AmazonS3"),
    ),
    body=(
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b"<Error><Code>NoSuchKey</Code>"
        b"<Message>The specified key does not exist.</Message>"
        b"<Key>2024/q3/revenue.csv</Key>"
        b"<RequestId>4442587FB7D0A2F9</RequestId>"
        b"<HostId>vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo="
        b"</HostId></Error>"
    ),
    vendor="aws",
    code="NoSuchKey",
    request_id="4442587FB7D0A2F9",
    retryable=False,
)

_GOOGLE = Route(
    name="google",
    host="language.googleapis.com",
    path="/v2/documents:analyzeSentiment",
    method="POST",
    status=400,
    headers=(
        ("Content-Type", "application/json; charset=UTF-8"),
        ("Vary", "X-Origin, Referer, Origin,Accept-Encoding"),
        ("Server", "ESF"),
    ),
    body=_json(
        {
            "error": {
                "code": 400,
                "message": (
                    "Invalid value at 'document.type' (type.googleapis.com/"
                    'google.cloud.language.v2.Document.Type), "HTML_PAGE"'
                ),
                "status": "INVALID_ARGUMENT",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [
                            {
                                "field": "document.type",
                                "description": (
                                    "Invalid value at 'document.type' (type.googleapis.com/"
                                    'google.cloud.language.v2.Document.Type), "HTML_PAGE"'
                                ),
                            }
                        ],
                    }
                ],
            }
        }
    ),
    vendor="google",
    code="INVALID_ARGUMENT",
    request_id=None,
    retryable=False,
)

_GITHUB = Route(
    name="github",
    host="api.github.com",
    path="/repos/acme/checkout/issues",
    method="POST",
    status=422,
    headers=(
        ("Content-Type", "application/json; charset=utf-8"),
        ("x-github-request-id", "C0DE:1A2B3:4C5D6E:7F8091:6650A1B2"),
        ("x-github-media-type", "github.v3; format=json"),
        ("x-github-api-version-selected", "2022-11-28"),
        ("x-ratelimit-limit", "5000"),
        ("x-ratelimit-remaining", "4987"),
    ),
    body=_json(
        {
            "message": "Validation Failed",
            "errors": [{"resource": "Issue", "code": "missing_field", "field": "title"}],
            "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue",
            "status": "422",
        }
    ),
    vendor="github",
    code="missing_field",
    request_id="C0DE:1A2B3:4C5D6E:7F8091:6650A1B2",
    retryable=False,
)

_GATEWAY = Route(
    name="gateway",
    host="search.acme.internal",
    path="/api/v2/search",
    method="GET",
    status=502,
    headers=(("Content-Type", "text/html"), ("Server", "nginx/1.25.3")),
    body=(
        b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n"
        b"</body>\r\n</html>\r\n"
    ),
    vendor=None,
    code=None,
    request_id=None,
    retryable=True,
)

_SOAP = Route(
    name="soap",
    host="acme.my.salesforce.com",
    path="/services/Soap/u/59.0",
    method="POST",
    status=500,
    headers=(("Content-Type", "text/xml;charset=UTF-8"),),
    body=(
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
        b' xmlns:sf="urn:fault.partner.soap.sforce.com"'
        b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        b"<soapenv:Body><soapenv:Fault>"
        b"<faultcode>sf:INVALID_SESSION_ID</faultcode>"
        b"<faultstring>INVALID_SESSION_ID: Invalid Session ID found in SessionHeader:"
        b" Illegal Session</faultstring>"
        b'<detail><sf:UnexpectedErrorFault xsi:type="sf:UnexpectedErrorFault">'
        b"<sf:exceptionCode>INVALID_SESSION_ID</sf:exceptionCode>"
        b"<sf:exceptionMessage>Invalid Session ID found in SessionHeader: Illegal Session"
        b"</sf:exceptionMessage></sf:UnexpectedErrorFault></detail>"
        b"</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    ),
    vendor="salesforce",
    code="INVALID_SESSION_ID",
    request_id=None,
    retryable=False,
)

# An in-house service with a shape of its own: the generic reader needs no rule to read
# it; the rule above names it and makes its lock conflict retryable.
_INHOUSE = Route(
    name="inhouse",
    host=INHOUSE_HOSTS[0],
    path="/accounts/4411/postings",
    method="POST",
    status=409,
    headers=(
        ("Content-Type", "application/json"),
        ("X-Correlation-ID", "checkout-5b0e2c7d"),
        ("Retry-After", "5"),
    ),
    body=_json(
        {
            "result": "error",
            "errorCode": "LEDGER_LOCKED",
            "errorMessage": "Account 4411 is locked while the nightly batch closes the books",
            "traceId": "ldg-20240513-000731",
            "lockedUntil": "2024-05-13T02:15:00Z",
        }
    ),
    vendor=INHOUSE_VENDOR,
    code="LEDGER_LOCKED",
    request_id="ldg-20240513-000731",
    retryable=True,
    retry_after=5.0,
)

ROUTES: tuple[Route, ...] = (
    _OPENAI,
    _ANTHROPIC,
    _STRIPE,
    _AWS_S3,
    _GOOGLE,
    _GITHUB,
    _GATEWAY,
    _SOAP,
    _INHOUSE,
)
_BY_NAME = {route.name: route for route in ROUTES}
_BY_HOST = {route.host: route for route in ROUTES}

_NOT_FOUND = _json(
    {"error": {"code": "no_such_route", "message": "the emulator has no such route"}}
)


def route_for(target: str) -> Route | None:
    """The route a request target names: absolute form by host, else by first segment."""
    if "://" in target:
        host = urlsplit(target).hostname or ""
        return _BY_HOST.get(host.lower())
    first = target.lstrip("/").split("/", 1)[0].split("?", 1)[0]
    return _BY_NAME.get(first)


_MAX_BODY = 1 << 20


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "errorlens-emulator"

    def _drain_body(self) -> bool:
        """Read the request's body (at most 1 MiB); False when some of it is left unread."""
        if self.headers.get("Transfer-Encoding") is not None:
            return False  # chunked: not read
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return False
        if length <= 0:
            return length == 0
        return len(self.rfile.read(min(length, _MAX_BODY))) == length

    def _answer(self) -> None:
        drained = self._drain_body()
        route = route_for(self.path)
        headers: tuple[tuple[str, str], ...]
        if route is None:
            status, headers, body = 404, (("Content-Type", "application/json"),), _NOT_FOUND
        else:
            status, headers, body = route.status, route.headers, route.body
        self.send_response_only(status)
        # The vendor's own Server header, not http.server's.
        server = next((value for name, value in headers if name.lower() == "server"), None)
        self.send_header("Server", server or self.version_string())
        self.send_header("Date", self.date_time_string())
        for name, value in headers:
            if name.lower() != "server":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if not drained:
            # The rest of the body would be read as the next request: close instead.
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

    def log_message(self, format: str, *args: object) -> None:
        return  # quiet: the demo prints what matters


class Emulator:
    """The emulator's HTTP server on 127.0.0.1 and a free port, run in a thread.

    >>> with Emulator() as emu:  # doctest: +SKIP
    ...     emu.url("stripe/v1/payment_intents")
    'http://127.0.0.1:50123/stripe/v1/payment_intents'
    """

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Emulator:
        if self._server is None:
            server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
            server.daemon_threads = True
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="errorlens-emulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=2)

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError("the emulator is not running; use `with Emulator() as emu:`")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: also the proxy address for vendor URLs."""
        host, port = self.address
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        """The emulator's URL for ``path``, whose first segment names a route."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

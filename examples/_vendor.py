"""A fake vendor API on 127.0.0.1 for the examples: real HTTP, real errors, no network.

Each route answers with the error a well-known API would send::

    with FakeVendor() as vendor:
        requests.post(vendor.url + "/v1/charges")  # 402 card_declined, Stripe style
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# path -> (status, headers, body)
ROUTES: dict[str, tuple[int, dict[str, str], dict[str, Any]]] = {
    "/v1/charges": (
        402,
        {"Request-Id": "req_7Hq2LmZ4", "Stripe-Should-Retry": "false"},
        {
            "error": {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
                "param": "source",
            }
        },
    ),
    "/v1/models": (
        429,
        {"x-request-id": "req_8f2a1c", "retry-after-ms": "1400", "openai-processing-ms": "12"},
        {
            "error": {
                "type": "requests",
                "code": "rate_limit_exceeded",
                "message": "Rate limit reached for requests. Please try again in 1.4s.",
            }
        },
    ),
    "/v1/customers": (
        422,
        {"x-request-id": "req_c0ffee", "x-correlation-id": "corr-5d1"},
        {
            "code": "validation_failed",
            "message": "Validation failed",
            "errors": [
                {"field": "email", "message": "is not a valid address"},
                {"field": "name", "message": "can't be blank"},
            ],
        },
    ),
}


# A route that is rate limited for its first calls, then answers: the retry example's.
FLAKY_PATH = "/v1/embeddings"
FLAKY_FAILURES = 2
FLAKY_ERROR: tuple[int, dict[str, str], dict[str, Any]] = (
    429,
    {"x-request-id": "req_e5b1", "retry-after-ms": "300"},
    {
        "error": {
            "type": "requests",
            "code": "rate_limit_exceeded",
            "message": "Rate limit reached for requests. Please try again in 300ms.",
        }
    },
)
FLAKY_OK: tuple[int, dict[str, str], dict[str, Any]] = (
    200,
    {"x-request-id": "req_e5b2"},
    {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}]},
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    flaky_calls = 0
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        return  # the examples print their own logs only

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = self.path.split("?", 1)[0]
        if path == FLAKY_PATH:
            with _Handler.lock:
                _Handler.flaky_calls += 1
                failing = _Handler.flaky_calls <= FLAKY_FAILURES
            status, headers, body = FLAKY_ERROR if failing else FLAKY_OK
        else:
            status, headers, body = ROUTES.get(
                path, (404, {}, {"error": {"message": "no such route"}})
            )
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = _answer


class FakeVendor:
    """The fake API, served from a thread on a free loopback port."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeVendor:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

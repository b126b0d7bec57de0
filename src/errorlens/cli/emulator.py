"""A vendor emulator on loopback: real-looking API error responses, no network.

The demo and the tests call it instead of the real APIs. Each route answers one error
as that vendor documents it (status, headers, body)::

    with Emulator() as emu:
        urllib.request.urlopen(emu.url("openai/v1/chat/completions"))  # HTTP 429

The routes, with the documentation each payload comes from, are in
``emulator_routes.json`` beside this module. A route is chosen by the first path
segment (``/openai/...``), or, when the emulator is used as an HTTP proxy
(``http://api.openai.com/v1/...`` sent to it in absolute form), by the vendor's host
name, so that clients see the vendor's real URL.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "ALL_ROUTES",
    "INHOUSE_HOSTS",
    "INHOUSE_RETRYABLE_CODES",
    "INHOUSE_VENDOR",
    "MORE_ROUTES",
    "ROUTES",
    "Emulator",
    "Route",
]

# The rule an application registers for its in-house API (the demo does): the host
# names the vendor, and a lock conflict is worth retrying.
INHOUSE_VENDOR = "acme-ledger"
INHOUSE_HOSTS = ("ledger.acme.internal",)
INHOUSE_RETRYABLE_CODES = ("LEDGER_LOCKED",)

_ROUTES_FILE = "emulator_routes.json"


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
    action: str = "call failed"  # what the call stands for in the application
    source: str = ""  # where the vendor documents this response
    retry_after_date: int | None = None  # send Retry-After as the HTTP-date this far ahead

    @property
    def vendor_url(self) -> str:
        """The vendor's own URL for this call (plain http: the emulator is the proxy)."""
        return f"http://{self.host}{self.path}"


def _load_routes(key: str) -> tuple[Route, ...]:
    """A list of ``emulator_routes.json``: each route a vendor's documented error response."""
    data = json.loads(resources.files(__package__).joinpath(_ROUTES_FILE).read_text("utf-8"))
    return tuple(_route(item) for item in data[key])


def _route(item: dict[str, Any]) -> Route:
    parts = urlsplit(item["url"])
    expect = item["expect"]
    return Route(
        name=item["name"],
        host=parts.hostname or "",
        path=parts.path + (f"?{parts.query}" if parts.query else ""),
        method=item["method"],
        status=item["status"],
        # The emulator sends its own Date: a Retry-After date is counted from it.
        headers=tuple((k, v) for k, v in item["headers"] if k.lower() != "date"),
        body=item["body"].encode(),
        vendor=expect["vendor"],
        code=expect["code"],
        request_id=expect["request_id"],
        retryable=expect["retryable"],
        retry_after=expect["retry_after"],
        action=item["action"],
        source=item["source"],
        retry_after_date=item.get("retry_after_date"),
    )


# The first nine, each an HTTP error status (the metrics tests call these); then more
# vendors and shapes, 200s with errors among them. The demo calls them all.
ROUTES: tuple[Route, ...] = _load_routes("routes")
MORE_ROUTES: tuple[Route, ...] = _load_routes("more_routes")
ALL_ROUTES: tuple[Route, ...] = ROUTES + MORE_ROUTES
_BY_NAME = {route.name: route for route in ALL_ROUTES}
_BY_HOST = {route.host: route for route in ALL_ROUTES}

_NOT_FOUND = json.dumps(
    {"error": {"code": "no_such_route", "message": "the emulator has no such route"}}
).encode()


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
        now = int(time.time())
        self.send_header("Date", formatdate(now, usegmt=True))
        if route is not None and route.retry_after_date is not None:
            self.send_header("Retry-After", formatdate(now + route.retry_after_date, usegmt=True))
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

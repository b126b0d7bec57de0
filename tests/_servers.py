"""A loopback HTTP server for tests: canned responses on 127.0.0.1, in a thread.

Real clients and SDKs talk to it over a real socket, so the exceptions they raise are
built exactly as in production::

    with LoopbackServer() as server:
        server.respond(429, {"Retry-After": "2"}, b'{"error": "slow down"}')
        requests.get(server.url + "/v1/things")

Use the ``loopback`` fixture of ``tests/conftest.py`` rather than this class directly:
it stops the server after the test.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Canned", "LoopbackServer", "closed_port_url"]

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


@dataclass(frozen=True)
class Canned:
    """One canned response. ``stall_after`` sends only that many body bytes, then waits."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    stall_after: int | None = None


@dataclass
class _State:
    canned: Canned = field(default_factory=lambda: Canned(200, (), b""))
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


def closed_port_url() -> str:
    """``http://127.0.0.1:<port>`` of a port nothing listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _pairs(headers: Headers | None) -> tuple[tuple[str, str], ...]:
    if headers is None:
        return ()
    if isinstance(headers, Mapping):
        return tuple((str(k), str(v)) for k, v in headers.items())
    return tuple((str(k), str(v)) for k, v in headers)


class LoopbackServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 and a free port, serving one canned reply."""

    def __init__(self) -> None:
        self._state = _State()
        state = self._state

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep test output clean

            def _drain_body(self) -> None:
                # Read the request body whole, so that the connection can be kept alive.
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            self.rfile.readline()
                            return
                        self.rfile.read(size)
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)

            def _serve(self) -> None:
                self._drain_body()
                with state.lock:
                    canned = state.canned
                self.send_response(canned.status)
                names = {name.lower() for name, _ in canned.headers}
                for name, value in canned.headers:
                    self.send_header(name, value)
                if "content-length" not in names:
                    self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                if self.command == "HEAD":
                    return
                if canned.stall_after is None:
                    self.wfile.write(canned.body)
                    return
                self.wfile.write(canned.body[: canned.stall_after])
                self.wfile.flush()
                # Hold the rest back until the test is over: a reader that waits for the
                # whole body would block here.
                state.release.wait(30)
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def respond(
        self,
        status: int,
        headers: Headers | None = None,
        body: bytes | str | dict[str, Any] | list[Any] = b"",
        *,
        stall_after: int | None = None,
    ) -> None:
        """Serve this response to every request from now on.

        A dict or list body is sent as JSON (with a JSON content type unless given).
        """
        pairs = _pairs(headers)
        if isinstance(body, dict | list):
            if not any(name.lower() == "content-type" for name, _ in pairs):
                pairs = (*pairs, ("Content-Type", "application/json"))
            raw = json.dumps(body).encode()
        elif isinstance(body, str):
            raw = body.encode()
        else:
            raw = body
        with self._state.lock:
            self._state.canned = Canned(status, pairs, raw, stall_after)

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._state.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

"""A loopback Sentry: receives the real SDK's envelopes over HTTP on 127.0.0.1.

sentry-sdk sends to it with its own HTTP transport, exactly as it would to sentry.io::

    with SentryReceiver() as sentry:
        sentry_sdk.init(dsn=sentry.dsn)
        sentry_sdk.capture_message("hi")
        sentry.wait_for_events(1)[0]["message"]  # "hi"

``SentryReceiver(answer=False)`` accepts connections and reads requests but never
answers (a Sentry that hangs). :func:`closed_port_dsn` gives a DSN where nothing
listens. :class:`VendorStub` is a vendor API that answers every request with one
canned error.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sentry_sdk.envelope import Envelope

__all__ = ["SentryReceiver", "VendorStub", "closed_port_dsn"]


def _decode_body(encoding: str, body: bytes) -> bytes:
    encoding = encoding.strip().lower()
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        import brotli  # only when sentry-sdk found brotli installed and chose it

        return bytes(brotli.decompress(body))
    return body


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


class SentryReceiver:
    """Collects envelopes posted by sentry-sdk; ``answer=False`` makes it hang."""

    def __init__(self, *, answer: bool = True) -> None:
        self.answer = answer
        self.raw_bodies: list[bytes] = []
        self.envelopes: list[Envelope] = []
        self.connections = 0
        self._changed = threading.Condition()
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                with receiver._changed:
                    receiver.connections += 1
                    receiver._changed.notify_all()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if not receiver.answer:
                    receiver._release.wait(30)
                    return
                raw = _decode_body(self.headers.get("Content-Encoding", ""), body)
                envelope = Envelope.deserialize(raw)
                with receiver._changed:
                    receiver.raw_bodies.append(raw)
                    receiver.envelopes.append(envelope)
                    receiver._changed.notify_all()
                reply = b"{}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep test output clean

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self.port}/1"

    def events(self) -> list[dict[str, Any]]:
        """Every event payload received so far, in order."""
        with self._changed:
            envelopes = list(self.envelopes)
        out: list[dict[str, Any]] = []
        for envelope in envelopes:
            for item in envelope.items:
                if item.type == "event":
                    payload = item.payload.json
                    if payload is None and item.payload.bytes:
                        payload = json.loads(item.payload.bytes)
                    out.append(payload)
        return out

    def wait_for_events(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` events arrived; return all of them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                events = self.events()
                remaining = deadline - time.monotonic()
                if len(events) >= count or remaining <= 0:
                    return events
                self._changed.wait(remaining)

    def wait_for_connection(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.connections == 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def raw_text(self) -> str:
        """Everything received, decompressed, as one text (for secret searches)."""
        with self._changed:
            return b"\n".join(self.raw_bodies).decode("utf-8", "replace")

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> SentryReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def closed_port_dsn() -> str:
    """A DSN on a loopback port where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://public@127.0.0.1:{port}/1"


class VendorStub:
    """A vendor API on loopback answering every request with its current canned error.

    Change ``status``, ``headers`` or ``body`` between requests to vary the answer.
    """

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.requests: list[dict[str, str]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                stub.requests.append(dict(self.headers.items()))
                body = stub.body
                self.send_response(stub.status)
                for name, value in stub.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = _answer
            do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

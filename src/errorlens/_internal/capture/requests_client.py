"""requests: capture around ``Session.send``.

``Session.send`` reads the body unless the caller asked for a stream; redirects are
followed by nested ``send`` calls, each recorded once by its own response. A streamed
error response gets its ``raw`` stream wrapped, so that the bytes the caller reads (and
only those) complete its record.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import requests

from errorlens._internal.capture.core import (
    PendingBody,
    is_error,
    record_error_response,
    record_network_error,
    record_with_body,
)
from errorlens._internal.capture.handles import Instrumentation, Undo, correlate, patch
from errorlens._internal.guard import guarded

__all__ = ["install"]

# No response came back: the connection failed or timed out.
_NETWORK_ERRORS = (requests.exceptions.ConnectionError, requests.exceptions.Timeout)


def install(target: Any, handle: Instrumentation) -> Undo:
    if target is None:
        return patch(requests.Session, "send", lambda send: _send(send, handle))
    return patch(
        target, "send", lambda bound: types.MethodType(_send(bound.__func__, handle), target)
    )


def _send(send: Any, handle: Instrumentation) -> Any:
    def wrapper(self: Any, request: Any, **kwargs: Any) -> Any:
        if not handle.active:
            return send(self, request, **kwargs)
        correlation_id = correlate(request.headers, handle.correlation_header)
        try:
            response = send(self, request, **kwargs)
        except _NETWORK_ERRORS as exc:
            record_network_error(
                exc, url=request.url, method=request.method, correlation_id=correlation_id
            )
            raise
        _check(response, correlation_id)
        return response

    wrapper.__wrapped__ = send  # type: ignore[attr-defined]
    return wrapper


def _check(response: Any, correlation_id: str | None) -> None:
    # ``_content`` is False until the body is read.
    body = response.__dict__.get("_content")
    if not is_error(response.status_code, body):
        return
    with guarded("capturing a requests response"):
        keys = (response, response.raw)
        if isinstance(body, bytes):
            record_error_response(response, keys, correlation_id=correlation_id)
            return

        def complete(prefix: bytes | None) -> None:
            record = record_with_body(response, prefix)
            record_error_response(response, keys, record=record, correlation_id=correlation_id)

        encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
        response.raw = _TeeRaw(response.raw, PendingBody(response, complete), encoded)


class _TeeRaw:
    """urllib3's response as the caller reads it; the first bytes also complete the record.

    ``stream()`` (what ``iter_content`` uses) gives decoded bytes; a ``read()`` of a body
    sent compressed gives raw ones, which complete the record without a body.
    """

    def __init__(self, raw: Any, pending: PendingBody, encoded: bool) -> None:
        self._raw = raw
        self._pending = pending
        self._encoded = encoded

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[bytes]:
        decoded = kwargs.get("decode_content", False) or not self._encoded
        for chunk in self._raw.stream(*args, **kwargs):
            if decoded:
                self._pending.feed(chunk)
            yield chunk
        self._pending.finish()

    def read(self, *args: Any, **kwargs: Any) -> Any:
        data = self._raw.read(*args, **kwargs)
        if data and (kwargs.get("decode_content") or not self._encoded):
            self._pending.feed(data)
        elif not data:
            self._pending.finish()
        return data

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            self._pending.finish()

    def release_conn(self) -> None:
        try:
            self._raw.release_conn()
        finally:
            self._pending.finish()

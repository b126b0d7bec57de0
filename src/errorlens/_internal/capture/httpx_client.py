"""httpx: capture around ``Client.send`` and ``AsyncClient.send``.

``send`` returns the final response, redirects followed, its body read unless the
caller asked for a stream. A streamed error response gets its body stream wrapped, so
that the bytes the caller reads (and only those) complete its record.
"""

from __future__ import annotations

import types
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

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


def install(target: Any, handle: Instrumentation) -> Undo:
    if target is None:
        undo_sync = patch(httpx.Client, "send", lambda send: _sync_send(send, handle))
        undo_async = patch(httpx.AsyncClient, "send", lambda send: _async_send(send, handle))

        def undo() -> None:
            undo_sync()
            undo_async()

        return undo
    wrap = _async_send if isinstance(target, httpx.AsyncClient) else _sync_send
    # The unbound function: the wrapper is bound to the client again.
    return patch(
        target, "send", lambda bound: types.MethodType(wrap(bound.__func__, handle), target)
    )


def _sync_send(send: Any, handle: Instrumentation) -> Any:
    def wrapper(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not handle.active:
            return send(self, request, *args, **kwargs)
        correlation_id = correlate(request.headers, handle.correlation_header)
        try:
            response = send(self, request, *args, **kwargs)
        except httpx.TransportError as exc:
            record_network_error(
                exc, url=request.url, method=request.method, correlation_id=correlation_id
            )
            raise
        _check(response, correlation_id, asynchronous=False)
        return response

    wrapper.__wrapped__ = send  # type: ignore[attr-defined]
    return wrapper


def _async_send(send: Any, handle: Instrumentation) -> Any:
    async def wrapper(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not handle.active:
            return await send(self, request, *args, **kwargs)
        correlation_id = correlate(request.headers, handle.correlation_header)
        try:
            response = await send(self, request, *args, **kwargs)
        except httpx.TransportError as exc:
            record_network_error(
                exc, url=request.url, method=request.method, correlation_id=correlation_id
            )
            raise
        _check(response, correlation_id, asynchronous=True)
        return response

    wrapper.__wrapped__ = send  # type: ignore[attr-defined]
    return wrapper


def _check(response: Any, correlation_id: str | None, *, asynchronous: bool) -> None:
    # The success path: a status check (and a substring search in a body read already).
    body = getattr(response, "_content", None)
    if not is_error(response.status_code, body):
        return
    with guarded("capturing an httpx response"):
        keys = (response, response.headers)
        if body is not None:
            record_error_response(response, keys, correlation_id=correlation_id)
            return

        def complete(prefix: bytes | None) -> None:
            record = record_with_body(response, prefix)
            record_error_response(response, keys, record=record, correlation_id=correlation_id)

        pending = PendingBody(response, complete, response.headers.get("content-encoding"))
        stream = response.stream
        response.stream = _AsyncTee(stream, pending) if asynchronous else _SyncTee(stream, pending)


class _SyncTee(httpx.SyncByteStream):
    """The caller's body stream, unchanged; its first bytes also complete the record."""

    def __init__(self, stream: Any, pending: PendingBody) -> None:
        self._stream = stream
        self._pending = pending

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            self._pending.feed(chunk)
            yield chunk
        self._pending.finish()

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            self._pending.finish()


class _AsyncTee(httpx.AsyncByteStream):
    def __init__(self, stream: Any, pending: PendingBody) -> None:
        self._stream = stream
        self._pending = pending

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            self._pending.feed(chunk)
            yield chunk
        self._pending.finish()

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            self._pending.finish()

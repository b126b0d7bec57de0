"""aiohttp: capture through a ``TraceConfig``, aiohttp's own hook for client requests.

``on_request_end`` fires with the final response (redirects followed), its body still
unread: an error response waits for ``read()`` (its body arrives through
``on_response_chunk_received``), or is recorded from status and headers when it is
released unread. With no target, every ``ClientSession`` created afterwards gets the
trace config (``aiohttp.request()`` makes one too).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from types import SimpleNamespace
from typing import Any

import aiohttp

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

# Error responses whose record waits for their body, until they are released.
_pending: weakref.WeakKeyDictionary[Any, PendingBody] = weakref.WeakKeyDictionary()
_release_lock = threading.Lock()
_release_users: list[Undo] = []
_release_undo: list[Undo] = []
# What a request that got no response raises: refused, reset, timed out.
# (asyncio's TimeoutError is the builtin one from Python 3.11 on, another class before.)
_NETWORK_ERRORS = (aiohttp.ClientConnectionError, TimeoutError, asyncio.TimeoutError)


def install(target: Any, handle: Instrumentation) -> Undo:
    config = _trace_config(handle)
    undo_release = _watch_releases()
    if target is not None:
        target.trace_configs.append(config)

        def undo_one() -> None:
            _remove(target, config)
            undo_release()

        return undo_one
    sessions: weakref.WeakSet[Any] = weakref.WeakSet()

    def make(init: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
            init(self, *args, **kwargs)
            if handle.active:
                with guarded("instrumenting an aiohttp session"):
                    self.trace_configs.append(config)
                    sessions.add(self)

        wrapper.__wrapped__ = init  # type: ignore[attr-defined]
        return wrapper

    undo_init = patch(aiohttp.ClientSession, "__init__", make)

    def undo_all() -> None:
        undo_init()
        for session in list(sessions):
            _remove(session, config)
        undo_release()

    return undo_all


def _remove(session: Any, config: aiohttp.TraceConfig) -> None:
    configs = session.trace_configs
    if config in configs:
        configs.remove(config)


def _trace_config(handle: Instrumentation) -> aiohttp.TraceConfig:
    config = aiohttp.TraceConfig()

    async def on_start(session: Any, ctx: SimpleNamespace, params: Any) -> None:
        if handle.active:
            ctx.errorlens_correlation_id = correlate(params.headers, handle.correlation_header)

    async def on_end(session: Any, ctx: SimpleNamespace, params: Any) -> None:
        response = params.response
        # Weakly: the request's trace context lives as long as the response does.
        ctx.errorlens_response = weakref.ref(response)
        if handle.active and is_error(response.status, None):
            with guarded("capturing an aiohttp response"):
                ctx.errorlens_pending = _expect(response, _correlation_id(ctx))

    async def on_chunk(session: Any, ctx: SimpleNamespace, params: Any) -> None:
        # read() sends the whole body at once.
        pending = getattr(ctx, "errorlens_pending", None)
        if pending is not None:
            pending.feed(params.chunk)
            pending.finish()
        elif handle.active and is_error(None, params.chunk):
            with guarded("capturing an aiohttp response"):
                response = ctx.errorlens_response()
                record_error_response(
                    response, (response, response.headers), correlation_id=_correlation_id(ctx)
                )

    async def on_exception(session: Any, ctx: SimpleNamespace, params: Any) -> None:
        if handle.active:
            _record_exception(params, _correlation_id(ctx))

    config.on_request_start.append(on_start)
    config.on_request_end.append(on_end)
    config.on_response_chunk_received.append(on_chunk)
    config.on_request_exception.append(on_exception)
    config.freeze()
    return config


def _correlation_id(ctx: SimpleNamespace) -> str | None:
    value = getattr(ctx, "errorlens_correlation_id", None)
    return value if isinstance(value, str) else None


def _expect(response: Any, correlation_id: str | None) -> PendingBody:
    keys = (response, response.headers)

    def complete(body: bytes | None) -> None:
        _pending.pop(response, None)
        record = record_with_body(response, body)
        record_error_response(response, keys, record=record, correlation_id=correlation_id)

    pending = PendingBody(response, complete)
    _pending[response] = pending
    return pending


def _record_exception(params: Any, correlation_id: str | None) -> None:
    exc = params.exception
    if isinstance(exc, aiohttp.ClientResponseError):
        # The session's raise_for_status: the response is released, its facts are here.
        record_error_response(exc, (exc, exc.headers), correlation_id=correlation_id)
    elif isinstance(exc, _NETWORK_ERRORS):
        record_network_error(
            exc, url=params.url, method=params.method, correlation_id=correlation_id
        )


def _watch_releases() -> Undo:
    """While any aiohttp capture is on: a response released unread completes its record
    from status and headers. Returns this user's undo."""
    with _release_lock:
        if not _release_undo:
            _release_undo.append(patch(aiohttp.ClientResponse, "release", _finishing))
            _release_undo.append(patch(aiohttp.ClientResponse, "close", _finishing))
        done = False

        def undo() -> None:
            nonlocal done
            with _release_lock:
                if done:
                    return
                done = True
                _release_users.remove(undo)
                if not _release_users:
                    while _release_undo:
                        _release_undo.pop()()

        _release_users.append(undo)
        return undo


def _finishing(method: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        pending = _pending.pop(self, None) if _pending else None
        if pending is not None:
            pending.finish()
        return method(self, *args, **kwargs)

    wrapper.__wrapped__ = method  # type: ignore[attr-defined]
    return wrapper

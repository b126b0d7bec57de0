"""Response hooks for the OpenTelemetry HTTP client instrumentations.

Each instrumentation calls its hook inside the CLIENT span it made, before ending it:

- httpx: ``(span, RequestInfo, ResponseInfo)``, the body still a stream (sync and async);
- requests: ``(span, PreparedRequest, Response)``, the body read unless streamed;
- urllib3: ``(span, pool, HTTPResponse)``, the body read when preloaded;
- aiohttp-client: ``(span, TraceRequestEndParams | TraceRequestExceptionParams)``, the
  body unread.

The facts come from what is already there (status, headers, a body read already): the
span ends when the hook returns. The client's own hooks and these record a response once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from opentelemetry import trace

from errorlens._internal.capture.core import (
    is_error,
    record_error_response,
    record_network_error,
)
from errorlens._internal.guard import report_internal
from errorlens._internal.reader.extract import from_http

__all__ = ["async_response_hook", "response_hook"]


def response_hook(span: Any, request: Any, response: Any = None) -> None:
    """Record the API error of the response an OpenTelemetry HTTP instrumentation saw,
    on its CLIENT span. Pass it as ``response_hook=`` to the httpx, requests, urllib3 or
    aiohttp-client instrumentor. Never raises.

    .. versionadded:: 0.1.0
    """
    try:
        with _current(span):
            if response is None:
                _from_aiohttp(request)
            elif hasattr(response, "stream") and hasattr(response, "extensions"):
                _from_httpx(request, response)
            else:
                _from_response(response)
    except Exception:
        report_internal("recording an API error from an OpenTelemetry response hook")


async def async_response_hook(span: Any, request: Any, response: Any = None) -> None:
    """:func:`response_hook` for ``httpx.AsyncClient`` (``async_response_hook=``).

    .. versionadded:: 0.1.0
    """
    response_hook(span, request, response)


@contextlib.contextmanager
def _current(span: Any) -> Iterator[None]:
    """Make ``span`` current while recording (the instrumentations mostly do already)."""
    if span is None or trace.get_current_span() is span:
        yield
        return
    with trace.use_span(span, end_on_exit=False):
        yield


def _from_httpx(request: Any, response: Any) -> None:
    # ResponseInfo: status, headers, the unread stream. Its headers object is the one
    # the client's Response carries: the key that makes both one error.
    if not is_error(response.status_code, None):
        return
    url = request.url
    method = request.method
    record = from_http(
        response.status_code,
        response.headers,
        None,
        url=None if isinstance(url, tuple) else str(url),
        method=method.decode("latin-1") if isinstance(method, bytes) else method,
    )
    record_error_response(response, (response.headers,), record=record)


def _from_response(response: Any) -> None:
    # requests.Response or urllib3.HTTPResponse.
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    body = response.__dict__.get("_content") or response.__dict__.get("_body")
    if not is_error(status, body):
        return
    keys = (response, getattr(response, "raw", None) or response)
    record_error_response(response, keys)


def _from_aiohttp(params: Any) -> None:
    response = getattr(params, "response", None)
    if response is not None:
        if is_error(response.status, None):
            record_error_response(response, (response, response.headers))
        return
    exc = getattr(params, "exception", None)
    if exc is None:
        return
    headers = getattr(exc, "headers", None)
    if getattr(exc, "status", None) is not None and headers is not None:
        record_error_response(exc, (exc, headers))  # the session's raise_for_status
    elif (
        isinstance(exc, OSError | TimeoutError | asyncio.TimeoutError)
        or "Connect" in type(exc).__name__
    ):
        record_network_error(exc, url=params.url, method=params.method)

"""ASGI middleware: every line of a request carries its id (Starlette, FastAPI, any ASGI app).

::

    from fastapi import FastAPI
    import errorlens
    from errorlens.asgi import RequestContextMiddleware

    errorlens.configure(service="checkout")
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware)
    # or, for any ASGI app: app = RequestContextMiddleware(app)

For each HTTP (and WebSocket) request the middleware takes the client's
``x-request-id`` (a new id when there is none or it is not a valid id) and
``x-correlation-id`` (with OpenTelemetry on, else the trace id of ``traceparent``),
binds them as ``http.request.id`` and ``http.request.correlation_id`` to every log line
of that request, structlog and stdlib alike, hands the correlation id to client
capture for outgoing calls, and echoes the ids on the response. Pure ASGI: no
framework is imported.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from errorlens._internal.context import RequestIds
from errorlens._internal.guard import report_internal
from errorlens._internal.incoming import (
    CORRELATION_ID_KEY,
    REQUEST_ID_KEY,
    IdSettings,
    Middleware,
    echo_headers,
    enter,
    leave,
)

__all__ = ["CORRELATION_ID_KEY", "REQUEST_ID_KEY", "RequestContextMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestContextMiddleware(Middleware[ASGIApp]):
    """Bind each request's id and correlation id to its log lines, and echo them.

    ``request_id_header`` and ``correlation_id_header`` name the headers read (and
    echoed); ``correlation_id_header=None`` reads none. ``traceparent``: take the
    correlation id from W3C ``traceparent`` when the client sent no correlation id
    (None: when an OpenTelemetry SDK is installed). ``echo=False`` leaves the
    response alone. ``make_id`` makes a new request id (default: a random UUID in hex).
    Ids from the client longer than 128 characters, or with characters other than
    an HTTP token's and ``/ = : @``, are replaced by a new one.

    .. versionadded:: 0.1.0
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        found = enter(_wanted_headers(scope, self.settings), self.settings)
        if found is None:
            await self.app(scope, receive, send)
            return
        ids, bound = found
        try:
            await self.app(scope, receive, self._echoing(send, ids, scope))
        finally:
            leave(bound)

    def _echoing(self, send: Send, ids: RequestIds, scope: Scope) -> Send:
        if not self.settings.echo or scope.get("type") != "http":
            return send
        settings = self.settings

        async def send_with_ids(message: Message) -> None:
            if message.get("type") == "http.response.start":
                _add_headers(message, ids, settings)
            await send(message)

        return send_with_ids


def _wanted_headers(scope: Scope, settings: IdSettings) -> dict[str, str]:
    wanted = {settings.request_id_header, settings.correlation_id_header, "traceparent"}
    found: dict[str, str] = {}
    for name, value in scope.get("headers") or ():
        key = name.decode("latin-1").lower()
        if key in wanted and key not in found:
            found[key] = value.decode("latin-1")
    return found


def _add_headers(message: Message, ids: RequestIds, settings: IdSettings) -> None:
    try:
        headers = list(message.get("headers") or ())
        present = {bytes(name).lower() for name, _ in headers}
        for name, value in echo_headers(ids, settings):
            raw = name.encode("latin-1")
            if raw not in present:  # the application's own header wins
                headers.append((raw, value.encode("latin-1")))
        message["headers"] = headers
    except Exception:
        report_internal("echoing a request's ids on the response")

"""WSGI middleware: every line of a request carries its id (Flask, Django, any WSGI app).

::

    from flask import Flask
    import errorlens
    from errorlens.wsgi import RequestContextMiddleware

    errorlens.configure(service="checkout")
    app = Flask(__name__)
    app.wsgi_app = RequestContextMiddleware(app.wsgi_app)

For each request the middleware takes the client's ``x-request-id`` (a new id when
there is none or it is not a valid id) and ``x-correlation-id`` (with OpenTelemetry
on, else the trace id of ``traceparent``), binds them as ``http.request.id`` and
``http.request.correlation_id`` to every log line of that request, structlog and
stdlib alike, until the server closes the response (so a streamed body's lines and
the server's access line carry them too), hands the correlation id to client capture
for outgoing calls, and echoes the ids on the response.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from errorlens._internal.context import RequestIds
from errorlens._internal.guard import report_internal
from errorlens._internal.incoming import (
    CORRELATION_ID_KEY,
    REQUEST_ID_KEY,
    Bound,
    IdSettings,
    Middleware,
    echo_headers,
    enter,
    leave,
)

__all__ = ["CORRELATION_ID_KEY", "REQUEST_ID_KEY", "RequestContextMiddleware"]

StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class RequestContextMiddleware(Middleware[WSGIApp]):
    """Bind each request's id and correlation id to its log lines, and echo them.

    The options are those of :class:`errorlens.asgi.RequestContextMiddleware`:
    ``request_id_header``, ``correlation_id_header``, ``traceparent``, ``echo`` and
    ``make_id``.

    .. versionadded:: 0.1.0
    """

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        found = enter(_wanted_headers(environ, self.settings), self.settings)
        if found is None:
            return self.app(environ, start_response)
        ids, bound = found
        try:
            body = self.app(environ, self._echoing(start_response, ids))
        except BaseException:
            leave(bound)
            raise
        return _ClosingBody(body, bound)

    def _echoing(self, start_response: StartResponse, ids: RequestIds) -> StartResponse:
        if not self.settings.echo:
            return start_response
        settings = self.settings

        def start_response_with_ids(
            status: str, headers: list[tuple[str, str]], *args: Any
        ) -> Callable[[bytes], object]:
            return start_response(status, _with_ids(headers, ids, settings), *args)

        return start_response_with_ids


def _environ_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


def _wanted_headers(environ: Mapping[str, Any], settings: IdSettings) -> dict[str, str]:
    found: dict[str, str] = {}
    for header in (settings.request_id_header, settings.correlation_id_header, "traceparent"):
        if header:
            value = environ.get(_environ_key(header))
            if isinstance(value, str):
                found[header] = value
    return found


def _with_ids(
    headers: list[tuple[str, str]], ids: RequestIds, settings: IdSettings
) -> list[tuple[str, str]]:
    try:
        present = {name.lower() for name, _ in headers}
        extra = [(n, v) for n, v in echo_headers(ids, settings) if n not in present]
        return [*headers, *extra] if extra else headers
    except Exception:
        report_internal("echoing a request's ids on the response")
        return headers


class _ClosingBody:
    """The application's response body; the ids stay bound until the server closes it."""

    __slots__ = ("_body", "_bound")

    def __init__(self, body: Iterable[bytes], bound: Bound) -> None:
        self._body = body
        self._bound: Bound | None = bound

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            bound, self._bound = self._bound, None
            if bound is not None:
                leave(bound)

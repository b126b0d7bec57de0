"""Django middleware: every line of a request carries its id, in sync and async views.

In ``settings.py``, first in the list so that the other middleware's lines carry it::

    MIDDLEWARE = [
        "errorlens.django.RequestContextMiddleware",
        # ... the rest
    ]

It behaves as :class:`errorlens.wsgi.RequestContextMiddleware`: the client's
``x-request-id`` (else a new id) and ``x-correlation-id`` (with OpenTelemetry on,
else the trace id of ``traceparent``) are bound as ``http.request.id`` and
``http.request.correlation_id`` to every log line of the request, handed to client
capture for outgoing calls, and echoed on the response. The headers read come from
the settings ``ERRORLENS_REQUEST_ID_HEADER`` and ``ERRORLENS_CORRELATION_ID_HEADER``
(defaults ``x-request-id`` and ``x-correlation-id``).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from errorlens._internal.context import RequestIds
from errorlens._internal.guard import report_internal
from errorlens._internal.incoming import Bound, IdSettings, echo_headers, enter, leave

__all__ = ["RequestContextMiddleware"]


def _settings() -> IdSettings:
    from django.conf import settings  # type: ignore[import-untyped]

    return IdSettings(
        request_id_header=getattr(settings, "ERRORLENS_REQUEST_ID_HEADER", "x-request-id"),
        correlation_id_header=getattr(
            settings, "ERRORLENS_CORRELATION_ID_HEADER", "x-correlation-id"
        ),
    )


class RequestContextMiddleware:
    """Django middleware binding each request's ids to its log lines and echoing them.

    .. versionadded:: 0.1.0
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        from asgiref.sync import iscoroutinefunction, markcoroutinefunction

        self.get_response = get_response
        self.settings = _settings()
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        if self.is_async:
            return self._acall(request)
        found = enter(self._wanted_headers(request), self.settings)
        try:
            response = self.get_response(request)
        finally:
            if found is not None:
                leave(found[1])
        return self._echo(response, found)

    async def _acall(self, request: Any) -> Any:
        found = enter(self._wanted_headers(request), self.settings)
        try:
            response = await self.get_response(request)
        finally:
            if found is not None:
                leave(found[1])
        return self._echo(response, found)

    def _wanted_headers(self, request: Any) -> dict[str, str]:
        wanted = (
            self.settings.request_id_header,
            self.settings.correlation_id_header,
            "traceparent",
        )
        return {
            name: request.headers[name]
            for name in wanted
            if name is not None and name in request.headers
        }

    def _echo(self, response: Any, found: tuple[RequestIds, Bound] | None) -> Any:
        if found is None:
            return response
        try:
            for name, value in echo_headers(found[0], self.settings):
                if name not in response.headers:
                    response.headers[name] = value
        except Exception:
            report_internal("echoing a request's ids on the response")
        return response

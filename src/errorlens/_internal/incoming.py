"""The ids of an incoming request: read from its headers (or made), bound, echoed.

Shared by the ASGI, WSGI and Django middleware. One request's ids are bound twice, for
the duration of that request: in structlog's context variables (so every structlog
line, and every stdlib line that configure() renders, carries them) and in
:mod:`errorlens._internal.context` (so client capture sends the correlation id out and
attach()'s handler puts the ids on stdlib records).

The log keys are ``http.request.id`` (the Elastic Common Schema's name for the id of
an incoming HTTP request) and ``http.request.correlation_id``: a vendor's id of *its*
request stays ``api_error.request_id``, so the two can never be read one for the other.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from contextvars import Token
from typing import Any, Generic, TypeVar

import structlog

from errorlens._internal.context import RequestIds, bind_request_ids, reset_request_ids
from errorlens._internal.guard import report_internal

__all__ = [
    "CORRELATION_ID_KEY",
    "MAX_ID_LENGTH",
    "REQUEST_ID_KEY",
    "Bound",
    "IdSettings",
    "Middleware",
    "bind",
    "echo_headers",
    "enter",
    "leave",
    "ids_from",
    "log_fields",
    "trace_id_of_traceparent",
    "unbind",
    "valid_id",
]

REQUEST_ID_KEY = "http.request.id"
CORRELATION_ID_KEY = "http.request.correlation_id"

MAX_ID_LENGTH = 128
# An HTTP token (RFC 9110 tchar) plus ``/ = : @``, which base64 ids and AWS trace ids
# use: no spaces, quotes, separators of header lists or control characters, so an id
# cannot forge a log line or a header.
_VALID_ID = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~/=:@-]{1," + str(MAX_ID_LENGTH) + "}")
# W3C Trace Context: version-traceid-parentid-flags, lowercase hex.
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_INVALID_TRACE_ID = "0" * 32


def valid_id(value: str | None) -> str | None:
    """``value`` when it is an acceptable id from an untrusted client, else None."""
    if value is None:
        return None
    value = value.strip()
    return value if _VALID_ID.fullmatch(value) else None


def trace_id_of_traceparent(value: str | None) -> str | None:
    """The trace id of a W3C ``traceparent`` header, or None when it is not one."""
    if value is None:
        return None
    match = _TRACEPARENT.fullmatch(value.strip())
    if match is None or match.group(1) == "ff" or match.group(2) == _INVALID_TRACE_ID:
        return None
    return match.group(2)


def _otel_sdk_active() -> bool:
    """An OpenTelemetry SDK tracer provider is installed (not the API's no-op or proxy)."""
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    return type(provider).__module__.startswith("opentelemetry.sdk")


class IdSettings:
    """Which headers carry the ids, and whether the response echoes them."""

    __slots__ = ("correlation_id_header", "echo", "make_id", "request_id_header", "traceparent")

    def __init__(
        self,
        *,
        request_id_header: str = "x-request-id",
        correlation_id_header: str | None = "x-correlation-id",
        traceparent: bool | None = None,
        echo: bool = True,
        make_id: Callable[[], str] | None = None,
    ) -> None:
        self.request_id_header = request_id_header.lower()
        self.correlation_id_header = (
            correlation_id_header.lower() if correlation_id_header else None
        )
        self.traceparent = traceparent
        self.echo = echo
        self.make_id = make_id or _new_id

    def wants_traceparent(self) -> bool:
        if self.traceparent is None:
            return _otel_sdk_active()
        return self.traceparent


App = TypeVar("App")


class Middleware(Generic[App]):
    """What the ASGI and WSGI middleware share: the application and the id settings."""

    def __init__(
        self,
        app: App,
        *,
        request_id_header: str = "x-request-id",
        correlation_id_header: str | None = "x-correlation-id",
        traceparent: bool | None = None,
        echo: bool = True,
        make_id: Callable[[], str] | None = None,
    ) -> None:
        self.app = app
        self.settings = IdSettings(
            request_id_header=request_id_header,
            correlation_id_header=correlation_id_header,
            traceparent=traceparent,
            echo=echo,
            make_id=make_id,
        )


def _new_id() -> str:
    return uuid.uuid4().hex


def ids_from(headers: Mapping[str, str], settings: IdSettings) -> RequestIds:
    """The ids of a request whose headers (lowercase names) are ``headers``.

    The request id is the client's ``x-request-id`` when it is a valid id, else a new
    one. The correlation id is the client's ``x-correlation-id``, else (with
    OpenTelemetry on) the trace id of its ``traceparent``, else none.
    """
    request_id = valid_id(headers.get(settings.request_id_header)) or settings.make_id()
    correlation_id = None
    if settings.correlation_id_header:
        correlation_id = valid_id(headers.get(settings.correlation_id_header))
    if correlation_id is None and settings.wants_traceparent():
        correlation_id = trace_id_of_traceparent(headers.get("traceparent"))
    return RequestIds(request_id, correlation_id)


def echo_headers(ids: RequestIds, settings: IdSettings) -> list[tuple[str, str]]:
    """The response headers that give the ids back to the client."""
    if not settings.echo:
        return []
    echoed = [(settings.request_id_header, ids.request_id or "")]
    if ids.correlation_id and settings.correlation_id_header:
        echoed.append((settings.correlation_id_header, ids.correlation_id))
    return echoed


def log_fields(ids: RequestIds) -> dict[str, str]:
    """The log fields of ``ids``."""
    fields = {}
    if ids.request_id:
        fields[REQUEST_ID_KEY] = ids.request_id
    if ids.correlation_id:
        fields[CORRELATION_ID_KEY] = ids.correlation_id
    return fields


Bound = tuple["Token[RequestIds | None]", Mapping[str, Any]]


def bind(ids: RequestIds) -> Bound:
    """Bind ``ids`` to this context, for log lines and client capture alike."""
    token = bind_request_ids(ids)
    return token, structlog.contextvars.bind_contextvars(**log_fields(ids))


def unbind(bound: Bound) -> None:
    """Restore the context as it was before :func:`bind`."""
    token, structlog_tokens = bound
    structlog.contextvars.reset_contextvars(**structlog_tokens)
    reset_request_ids(token)


def enter(headers: Mapping[str, str], settings: IdSettings) -> tuple[RequestIds, Bound] | None:
    """Read a request's ids and bind them; None (and one warning) if that failed."""
    try:
        ids = ids_from(headers, settings)
        return ids, bind(ids)
    except Exception:
        report_internal("binding an incoming request's ids")
        return None


def leave(bound: Bound) -> None:
    """Unbind what :func:`enter` bound; never raises."""
    try:
        unbind(bound)
    except Exception:
        report_internal("unbinding an incoming request's ids")

"""The ids of the operation in progress, shared by server middleware and client capture.

A server middleware binds the incoming request's ids for the duration of that request;
client capture reads the correlation id to send it on outgoing calls. Both live in one
ContextVar, so threads and asyncio tasks each see their own request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import NamedTuple

__all__ = [
    "RequestIds",
    "bind_request_ids",
    "correlation_id_for_outgoing",
    "current_request_ids",
    "operation",
    "reset_request_ids",
]


class RequestIds(NamedTuple):
    """The ids of one incoming request (or one logical operation)."""

    request_id: str | None = None
    correlation_id: str | None = None


_CURRENT: ContextVar[RequestIds | None] = ContextVar("errorlens_request_ids", default=None)


def current_request_ids() -> RequestIds | None:
    """The ids bound in this context, or None outside any request."""
    return _CURRENT.get()


def bind_request_ids(ids: RequestIds) -> Token[RequestIds | None]:
    """Bind ``ids`` to the current context; give the token to :func:`reset_request_ids`."""
    return _CURRENT.set(ids)


def reset_request_ids(token: Token[RequestIds | None]) -> None:
    """Restore the ids that were bound before :func:`bind_request_ids`."""
    _CURRENT.reset(token)


def correlation_id_for_outgoing() -> str:
    """The id an outgoing call carries: the bound correlation id, else the request id,
    else a new one for this call alone (nothing is bound: outside a request, every call
    is its own operation, and no id leaks into later log lines of this context)."""
    ids = _CURRENT.get()
    if ids is not None:
        chosen = ids.correlation_id or ids.request_id
        if chosen:
            return chosen
    return uuid.uuid4().hex


@contextmanager
def operation(correlation_id: str | None = None) -> Iterator[str]:
    """One logical operation (a job, a task, a script's unit of work): every outgoing
    call inside the block carries the same correlation id, ``correlation_id`` or a new
    one. Inside a request a middleware bound, the request's ids stay as they are."""
    ids = _CURRENT.get()
    chosen = correlation_id or (ids.correlation_id if ids else None) or uuid.uuid4().hex
    token = _CURRENT.set(RequestIds(ids.request_id if ids else None, chosen))
    try:
        yield chosen
    finally:
        _CURRENT.reset(token)

"""Capture API errors where they arrive: in the HTTP client.

One call per client library turns capture on, for every client or for one::

    import httpx
    import errorlens

    errorlens.instrument_httpx()                 # every client, httpx.get() included
    client = httpx.Client()
    client.get("https://api.example.com/v1/things")   # a 4xx/5xx is recorded

Every response with an error status (and a 200 whose body reports GraphQL or JSON-RPC
errors) becomes one record: an ``exception`` event on the current span, one
``api.client.errors`` count, and one WARNING line on the ``errorlens.capture`` logger,
through your logging. A request that gets no response (timeout, refused connection) is
recorded with no status. When your code later logs the same failure
(``response.raise_for_status()`` then ``log.exception``), the line carries the facts
and nothing is counted twice.

Bodies are never read for you: a body the client read already is read from memory; a
streamed body is read from the bytes your code reads (a bounded prefix), or not at all.

Each ``instrument_*`` returns an :class:`Instrumentation` whose ``uninstrument()``
undoes it; :func:`uninstrument` undoes them all. With ``correlation_header`` set, each
outgoing request carries the current correlation id (the incoming request's, when a
middleware bound one, else the one of the :func:`operation` in progress, else a new one
per call) and the record keeps it.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from errorlens._internal.capture.handles import Instrumentation, instrument, uninstrument_all
from errorlens._internal.context import operation

__all__ = [
    "Instrumentation",
    "instrument_aiohttp",
    "instrument_httpx",
    "instrument_requests",
    "operation",
    "uninstrument",
]


def instrument_httpx(
    client: Any = None, *, correlation_header: str | None = None
) -> Instrumentation:
    """Capture API errors from httpx: ``client`` only, or every ``httpx.Client`` and
    ``httpx.AsyncClient`` (and ``httpx.get()`` and friends) when None.

    .. versionadded:: 0.1.0
    """
    httpx_client = _hooks("httpx", "httpx_client")
    return instrument(
        "httpx", client, correlation_header, lambda h: httpx_client.install(client, h)
    )


def instrument_requests(
    session: Any = None, *, correlation_header: str | None = None
) -> Instrumentation:
    """Capture API errors from requests: ``session`` only, or every ``requests.Session``
    (and ``requests.get()`` and friends) when None.

    .. versionadded:: 0.1.0
    """
    requests_client = _hooks("requests", "requests_client")
    return instrument(
        "requests", session, correlation_header, lambda h: requests_client.install(session, h)
    )


def instrument_aiohttp(
    session: Any = None, *, correlation_header: str | None = None
) -> Instrumentation:
    """Capture API errors from aiohttp: ``session`` only, or every ``ClientSession``
    created from now on (and ``aiohttp.request()``) when None.

    .. versionadded:: 0.1.0
    """
    aiohttp_client = _hooks("aiohttp", "aiohttp_client")
    return instrument(
        "aiohttp", session, correlation_header, lambda h: aiohttp_client.install(session, h)
    )


def _hooks(library: str, module: str) -> ModuleType:
    """errorlens's hooks for ``library``, which the application must have installed."""
    try:
        importlib.import_module(library)
    except ImportError as exc:
        raise ImportError(f"capture for {library} needs {library}: pip install {library}") from exc
    return importlib.import_module(f"errorlens._internal.capture.{module}")


def uninstrument() -> None:
    """Undo every ``instrument_*`` call still in place.

    .. versionadded:: 0.1.0
    """
    uninstrument_all()

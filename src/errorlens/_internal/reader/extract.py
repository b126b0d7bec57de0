"""The two public entry points: ``extract`` (anything) and ``from_http`` (raw parts)."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice
from typing import Any

from errorlens._internal.guard import report_internal
from errorlens._internal.reader.build import build_record
from errorlens._internal.reader.deadline import over, timed_read
from errorlens._internal.reader.document import decode
from errorlens._internal.reader.parts import HttpParts, normalised, status_of
from errorlens._internal.reader.sources import parts_of
from errorlens.record import ErrorRecord

__all__ = ["errors_in_success", "extract", "from_http"]

_CHAIN_LIMIT = 16


def from_http(
    status: int | None,
    headers: Any = None,
    body: Any = None,
    *,
    url: str | None = None,
    method: str | None = None,
) -> ErrorRecord:
    """The record of one HTTP error response, from its raw parts.

    ``headers`` may be a dict, a case-insensitive mapping, a multidict or a list of
    ``(name, value)`` pairs, with str or bytes names and values; ``body`` bytes, str,
    or an already-decoded JSON value; ``url`` a str, bytes or a URL object. Never
    raises: odd input gives a record with what could be read (a status that is no
    HTTP status is dropped, the other facts are kept).

    >>> from errorlens import from_http
    >>> from_http(429, {"Retry-After": "2"}, b'{"error": {"code": "rate_limited"}}').code
    'rate_limited'

    .. versionadded:: 0.1.0
    """
    try:
        # Not timed as a whole: the parts were handed over, and ``normalised`` times
        # the walk of those that are the application's objects.
        return _build(HttpParts(status, headers, body, url, method))
    except Exception:
        report_internal("reading an HTTP response")
        return ErrorRecord(status=status_of(status))


def extract(obj: Any) -> ErrorRecord | None:
    """The record of an API error held by ``obj``, or None if it holds none.

    ``obj`` may be an exception (its ``__cause__``/``__context__`` chain is searched),
    a response object of a known client, or a body (dict, list, str, bytes). A
    successful response is no error, unless its body reports one the way GraphQL and
    JSON-RPC do (an ``errors`` list, an ``error`` object, with HTTP 200). Never raises.

    .. versionadded:: 0.1.0
    """
    try:
        return _extract(obj)
    except Exception:
        report_internal("extracting an error record")
        return None


def _build(parts: HttpParts) -> ErrorRecord:
    return build_record(normalised(parts))


@timed_read
def _extract(obj: Any) -> ErrorRecord | None:
    if obj is None:
        return None
    if isinstance(obj, ErrorRecord):
        return obj
    if isinstance(obj, dict | list | str | bytes | bytearray):
        return _from_body(obj)
    if isinstance(obj, BaseException):
        return _from_chain(obj)
    if isinstance(obj, tuple) and len(obj) == 3 and isinstance(obj[1], BaseException):
        return _extract(obj[1])  # an exc_info tuple
    return _from_object(obj)


def _from_chain(error: BaseException) -> ErrorRecord | None:
    """The first record along the exception's cause/context chain."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < _CHAIN_LIMIT:
        if over():
            return None  # each link is the application's object: none read after the time
        seen.add(id(current))
        record = _from_object(current)
        if record is not None:
            return record
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return None


def _from_object(obj: Any) -> ErrorRecord | None:
    parts = parts_of(obj)
    if parts is None:
        return None
    parts = normalised(parts)
    status = parts.status
    if status is not None and status < 400 and not isinstance(obj, BaseException):
        # A successful response is no error, unless its body reports one.
        body = errors_in_success(parts.body, parts.headers)
        if body is None:
            return None
        parts.body = body  # decoded once: the reader takes the JSON value as it is
    record = build_record(parts)
    if record.status is None and record.code is None and record.message is None:
        return None
    return record


def _from_body(body: Any) -> ErrorRecord | None:
    record = _build(HttpParts(body=body))
    if record.code is None and record.message is None and not record.fields:
        return None
    return record


# --- errors inside a successful response ---------------------------------------------


def errors_in_success(body: Any, headers: Any = None) -> Any:
    """The decoded body when a successful response reports errors in it, else None.

    GraphQL (``{"errors": [{"message": ...}], "data": ...}``), JSON-RPC
    (``{"jsonrpc": "2.0", "error": {"code": ..., "message": ...}, "id": ...}``) and the
    ``{"ok": false, "error": "..."}`` envelope (Slack) all answer HTTP 200.
    """
    if body is None:
        return None
    data = decode(body, _content_type(headers)).data
    if not isinstance(data, Mapping):
        return None
    if _graphql_errors(data) or _jsonrpc_error(data) or _ok_false(data) or _enveloped(data):
        return data
    return None


def _graphql_errors(data: Mapping[str, Any]) -> bool:
    errors = data.get("errors")
    return (
        isinstance(errors, list)
        and bool(errors)
        and all(isinstance(e, Mapping) and "message" in e for e in errors[:20])
    )


def _jsonrpc_error(data: Mapping[str, Any]) -> bool:
    error = data.get("error")
    return (
        isinstance(error, Mapping)
        and ("code" in error or "message" in error)
        and ("jsonrpc" in data or "id" in data)
    )


def _ok_false(data: Mapping[str, Any]) -> bool:
    error = data.get("error")
    return data.get("ok") is False and isinstance(error, str) and bool(error)


_ENVELOPES = frozenset({"response", "result", "data", "meta", "body", "payload", "d"})
_ERROR_KEYS = frozenset({"error", "errors", "fault"})
_LOOKED_AT = 16


def _enveloped(data: Mapping[str, Any]) -> bool:
    # {"Response": {"Error": {...}, "RequestId": ...}} (Tencent Cloud), {"odata.error": ...}.
    for key, value in islice(data.items(), _LOOKED_AT):
        if not isinstance(key, str) or not isinstance(value, Mapping) or not value:
            continue
        name = key.lower()
        if name.startswith("odata.") and name.endswith("error"):
            return True
        if name in _ENVELOPES and any(
            isinstance(k, str) and k.lower() in _ERROR_KEYS and v
            for k, v in islice(value.items(), _LOOKED_AT)
        ):
            return True
    return False


def _content_type(headers: Any) -> str | None:
    if isinstance(headers, Mapping):
        pairs: Any = headers.items()
    else:
        pairs = headers if isinstance(headers, list) else ()
    for name, value in islice(pairs, 200):
        if isinstance(name, str) and name.lower() == "content-type":
            return value if isinstance(value, str) else None
    return None

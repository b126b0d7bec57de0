"""The two public entry points: ``extract`` (anything) and ``from_http`` (raw parts)."""

from __future__ import annotations

from typing import Any

from errorlens._internal.guard import report_internal
from errorlens._internal.reader.build import build_record
from errorlens._internal.reader.parts import HttpParts
from errorlens._internal.reader.sources import parts_of
from errorlens.record import ErrorRecord

__all__ = ["extract", "from_http"]

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
    ``(name, value)`` pairs; ``body`` bytes, str, or an already-decoded JSON value.
    Never raises: odd input gives a record with what could be read.

    >>> from_http(429, {"Retry-After": "2"}, b'{"error": {"code": "rate_limited"}}').code
    'rate_limited'

    .. versionadded:: 0.1.0
    """
    try:
        return build_record(
            HttpParts(status=status, headers=headers, body=body, url=url, method=method)
        )
    except Exception:
        report_internal("reading an HTTP response")
        return ErrorRecord(status=status if isinstance(status, int) else None)


def extract(obj: Any) -> ErrorRecord | None:
    """The record of an API error held by ``obj``, or None if it holds none.

    ``obj`` may be an exception (its ``__cause__``/``__context__`` chain is searched),
    a response object of a known client, or a body (dict, list, str, bytes). Never
    raises.

    .. versionadded:: 0.1.0
    """
    try:
        return _extract(obj)
    except Exception:
        report_internal("extracting an error record")
        return None


def _extract(obj: Any) -> ErrorRecord | None:
    if obj is None:
        return None
    if isinstance(obj, ErrorRecord):
        return obj
    if isinstance(obj, dict | list | str | bytes | bytearray):
        return _from_body(obj)
    if isinstance(obj, BaseException):
        seen: set[int] = set()
        current: BaseException | None = obj
        while current is not None and id(current) not in seen and len(seen) < _CHAIN_LIMIT:
            seen.add(id(current))
            record = _from_object(current)
            if record is not None:
                return record
            current = current.__cause__ or (
                None if current.__suppress_context__ else current.__context__
            )
        return None
    if isinstance(obj, tuple) and len(obj) == 3 and isinstance(obj[1], BaseException):
        return _extract(obj[1])  # an exc_info tuple
    return _from_object(obj)


def _from_object(obj: Any) -> ErrorRecord | None:
    parts = parts_of(obj)
    if parts is None:
        return None
    status = parts.status
    if isinstance(status, int) and status < 400 and not isinstance(obj, BaseException):
        return None  # a successful response is not an error
    record = build_record(parts)
    if record.status is None and record.code is None and record.message is None:
        return None
    return record


def _from_body(body: Any) -> ErrorRecord | None:
    record = build_record(HttpParts(body=body))
    if record.code is None and record.message is None and not record.fields:
        return None
    return record

"""Sources: read status, headers, body, url and method off exceptions and responses.

One small adapter per client or SDK, chosen by the object's module name, so no client
library is ever imported by errorlens: an object can only come from a library the
application already imported. Anything else is read by duck typing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from errorlens._parts import HttpParts

__all__ = ["parts_of"]

Adapter = Callable[[Any], "HttpParts | None"]


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    # Properties of foreign objects may raise; reading one must not.
    try:
        return getattr(obj, name, default)
    except Exception:
        return default


def _loaded_body(response: Any) -> Any:
    """The body of a response only if it was already read: never consume a stream."""
    # requests: Response._content is False until read.
    content = _attr(response, "_content", None)
    if isinstance(content, bytes | bytearray):
        return bytes(content)
    # httpx: Response._content exists once read; .is_stream_consumed otherwise.
    return None


def _requests_response(response: Any) -> HttpParts:
    request = _attr(response, "request")
    return HttpParts(
        status=_attr(response, "status_code"),
        headers=_attr(response, "headers"),
        body=_loaded_body(response),
        url=_attr(request, "url") or _attr(response, "url"),
        method=_attr(request, "method"),
    )


def _httpx_response(response: Any) -> HttpParts:
    body = None
    content = _attr(response, "_content", None)
    if isinstance(content, bytes | bytearray):
        body = bytes(content)
    request = _attr(response, "_request", None)
    url = _attr(request, "url") if request is not None else None
    return HttpParts(
        status=_attr(response, "status_code"),
        headers=_attr(response, "headers"),
        body=body,
        url=str(url) if url is not None else None,
        method=_attr(request, "method") if request is not None else None,
    )


def _from_requests(obj: Any) -> HttpParts | None:
    if isinstance(obj, BaseException):
        response = _attr(obj, "response")
        if response is None:
            return None
        return _requests_response(response)
    if _attr(obj, "status_code") is not None:
        return _requests_response(obj)
    return None


def _from_httpx(obj: Any) -> HttpParts | None:
    if isinstance(obj, BaseException):
        try:
            response = obj.response  # HTTPStatusError.response; RequestError raises
        except Exception:
            return None
        return _httpx_response(response) if response is not None else None
    if _attr(obj, "status_code") is not None:
        return _httpx_response(obj)
    return None


# Top-level module name of the object's class -> adapter.
ADAPTERS: dict[str, Adapter] = {
    "requests": _from_requests,
    "httpx": _from_httpx,
    "httpx2": _from_httpx,
}

_STATUS_ATTRS = ("status_code", "status", "http_status", "http_status_code", "statusCode")
_CODE_ATTRS = ("code", "error_code", "err_code")
_BODY_ATTRS = ("body", "json_body", "response_body", "content", "data")


def _duck(obj: Any) -> HttpParts | None:
    """Any exception or response that carries HTTP facts as attributes."""
    response = _attr(obj, "response")
    if response is not None and response is not obj and not isinstance(response, str | bytes | dict):
        nested = parts_of(response, _depth=1)
        if nested is not None:
            _fill_from_attrs(nested, obj)
            return nested
    parts = HttpParts()
    _fill_from_attrs(parts, obj)
    if parts.status is None and parts.code is None and parts.body is None:
        return None
    return parts


def _fill_from_attrs(parts: HttpParts, obj: Any) -> None:
    if parts.status is None:
        for name in _STATUS_ATTRS:
            value = _attr(obj, name)
            if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 999:
                parts.status = value
                break
    if parts.code is None:
        for name in _CODE_ATTRS:
            value = _attr(obj, name)
            if isinstance(value, str) and value or (
                isinstance(value, int) and not isinstance(value, bool)
            ):
                parts.code = str(value)
                break
    if parts.message is None:
        value = _attr(obj, "message")
        if isinstance(value, str) and value:
            parts.message = value
    if parts.request_id is None:
        value = _attr(obj, "request_id")
        if isinstance(value, str) and value:
            parts.request_id = value
    if parts.headers is None:
        parts.headers = _attr(obj, "headers")
    if parts.body is None:
        for name in _BODY_ATTRS:
            value = _attr(obj, name)
            if isinstance(value, dict | list | str | bytes) and value:
                parts.body = value
                break
    if parts.url is None:
        url = _attr(obj, "url")
        if url is not None and not callable(url):
            parts.url = str(url)


def parts_of(obj: Any, _depth: int = 0) -> HttpParts | None:
    """The HTTP facts of one object (no chain walking), or None."""
    if _depth > 3:
        return None
    module = type(obj).__module__ or ""
    adapter = ADAPTERS.get(module.partition(".")[0])
    if adapter is not None:
        parts = adapter(obj)
        if parts is not None:
            return parts
    return _duck(obj)

"""Sources: read status, headers, body, url and method off exceptions and responses.

One small adapter per client or SDK, chosen by the top-level module of the object's
class or of one of its base classes (a wrapper's subclass of ``openai.RateLimitError``
is still read as OpenAI's). No client library is ever imported here: an object can
only come from a library the application already imported. Anything else is read by
duck typing.

Two rules hold for every adapter: a body is read only if the client already read it
(a stream is never consumed, nothing ever blocks), and reading a foreign attribute
never raises (properties of SDK objects may).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Mapping
from functools import lru_cache
from itertools import islice
from typing import Any

from errorlens._internal.guard import report_internal
from errorlens._internal.reader.deadline import attribute
from errorlens._internal.reader.parts import HttpParts, mapping_copy, text_of
from errorlens._internal.state import on_reset
from errorlens.record import FieldError

__all__ = ["parts_of"]

# An adapter reads one object (``depth`` is how many responses deep it is) and gives
# its parts, None when it finds nothing (duck typing is tried next), or NOT_AN_ERROR
# when it knows the object is no API error.
Adapter = Callable[[Any, int], "HttpParts | None"]

NOT_AN_ERROR = HttpParts()
_MAX_DEPTH = 3


# Properties of foreign objects may raise, or take their time: reading one never
# raises, and once the read's time is up no property is read.
_attr = attribute


# A non-empty str of a value (bytes decoded, a URL object, an enum...), or None.
_text = text_of


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _ident(value: Any) -> str | None:
    """A code as the contract wants it: a non-empty string, numbers as strings."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _status(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 999:
        return int(value)  # a plain int, not an HTTPStatus
    return None


def _loaded_body(response: Any) -> bytes | None:
    """The body of a response only if its client already read it."""
    # requests: ``_content`` is False until read; httpx: absent until read; azure-core:
    # None until read; aiohttp: ``_body`` None until read; urllib3: ``_body`` when preloaded.
    for name in ("_content", "_body"):
        content = _attr(response, name)
        if isinstance(content, bytes | bytearray):
            return bytes(content)
    return None


def _response_parts(response: Any, depth: int) -> HttpParts | None:
    if response is None or isinstance(response, str | bytes | bytearray | Mapping):
        return None
    return parts_of(response, depth + 1)


def _has_type_named(obj: Any, name: str) -> bool:
    return any(cls.__name__ == name for cls in type(obj).__mro__)


# --- HTTP clients -------------------------------------------------------------------


def _response(obj: Any, status: int, request: Any, body: bytes | None = None) -> HttpParts:
    """A response's parts: its headers and loaded body, its ``request``'s url and method."""
    return HttpParts(
        status=status,
        headers=_attr(obj, "headers"),
        body=body if body is not None else _loaded_body(obj),
        url=_text(_attr(request, "url")),
        method=_string(_attr(request, "method")),
    )


def _http_client(request_attr: str) -> Adapter:
    """requests and httpx(2): an exception holding ``response`` (or None), or the response.

    ``request_attr`` names the response's request: httpx's ``Response.request`` raises
    when unset, its private slot does not.
    """

    def adapter(obj: Any, depth: int) -> HttpParts | None:
        if isinstance(obj, BaseException):
            return _response_parts(_attr(obj, "response"), depth)
        status = _status(_attr(obj, "status_code"))
        if status is None:
            return None
        parts = _response(obj, status, _attr(obj, request_attr))
        if parts.url is None:
            parts.url = _text(_attr(obj, "url"))
        return parts

    return adapter


def _from_aiohttp(obj: Any, depth: int) -> HttpParts | None:
    if isinstance(obj, BaseException):
        # ClientResponseError keeps no body and no response: status, the reason
        # phrase, headers and the request. Its ``code`` is a deprecated alias: unread.
        info = _attr(obj, "request_info")
        status = _status(_attr(obj, "status"))
        if status is None:
            return NOT_AN_ERROR if info is not None else None
        return HttpParts(
            status=status,
            headers=_attr(obj, "headers"),
            url=_text(_attr(info, "real_url")) or _text(_attr(info, "url")),
            method=_string(_attr(info, "method")),
            message=_string(_attr(obj, "message")),
        )
    status = _status(_attr(obj, "status"))
    # A ClientResponse carries its request's url and method itself.
    return None if status is None else _response(obj, status, obj)


def _from_urllib3(obj: Any, depth: int) -> HttpParts | None:
    # urllib3's exceptions (MaxRetryError...) hold no response; its HTTPResponse does.
    if isinstance(obj, BaseException):
        return None
    status = _status(_attr(obj, "status"))
    if status is None:
        return None
    url = _text(_attr(obj, "url"))
    pool = _attr(obj, "_pool")
    if url is not None and url.startswith("/") and pool is not None:
        # Through a pool the response knows only the path; the pool knows the origin.
        host, port = _text(_attr(pool, "host")), _attr(pool, "port")
        if host is not None:
            origin = f"{_attr(pool, 'scheme') or 'http'}://{host}"
            url = origin + (f":{port}" if isinstance(port, int) else "") + url
    return HttpParts(
        status=status,
        headers=_attr(obj, "headers"),
        body=_loaded_body(obj),
        url=url,
        method=_string(_attr(_attr(obj, "_original_response"), "_method")),
    )


def _from_urllib(obj: Any, depth: int) -> HttpParts | None:
    # urllib.error.HTTPError: its body is an unread socket stream, left alone; only
    # an in-memory one (``io.BytesIO``) can be read without consuming it.
    status = _status(_attr(obj, "code"))
    if status is None:
        return None
    stream = _attr(obj, "fp")
    body = stream.getvalue() if isinstance(stream, io.BytesIO) else None
    return HttpParts(
        status=status,
        headers=_attr(obj, "hdrs"),
        body=body,
        url=_text(_attr(obj, "filename")),
        message=_string(_attr(obj, "msg")),
    )


# --- SDKs ---------------------------------------------------------------------------


def _stainless(vendor: str, whole_body: bool) -> Adapter:
    """OpenAI's and Anthropic's SDKs: ``APIStatusError`` over an httpx(2) response.

    The SDK's ``body`` is the parsed reply: Anthropic's the whole document (``whole_body``),
    OpenAI's only its ``error`` member.
    """

    def adapter(obj: Any, depth: int) -> HttpParts | None:
        if not isinstance(obj, BaseException):
            return None
        if _has_type_named(obj, "APIResponseValidationError"):
            return NOT_AN_ERROR  # a successful response the SDK could not parse
        response = _attr(obj, "response")
        body = _attr(obj, "body")
        if response is None and body is None:
            return None  # connection errors and timeouts: no API error
        parts = _response_parts(response, depth)
        if parts is None:
            request = _attr(obj, "request")
            parts = HttpParts(
                url=_text(_attr(request, "url")), method=_string(_attr(request, "method"))
            )
        # A streamed reply reports an error as an event after a 200: the SDK's body is
        # then the only one (the stream itself stays unread). A whole document the SDK
        # already parsed is not parsed again.
        status = _status(parts.status)
        if (
            parts.body is None
            or status is None
            or status < 400
            or (whole_body and isinstance(body, Mapping))
        ):
            parts.body = body
        parts.vendor = vendor
        parts.request_id = _string(_attr(obj, "request_id"))
        if parts.body is None:
            # What the SDK parsed from the body: the reader finds it there when there is one.
            parts.code = _ident(_attr(obj, "error_code")) or _ident(_attr(obj, "code"))
            parts.type = _string(_attr(obj, "type"))
            parts.message = _string(_attr(obj, "api_message"))
        return parts

    return adapter


def _from_stripe(obj: Any, depth: int) -> HttpParts | None:
    # StripeError: raw body, status and headers, plus the parsed ``error`` object.
    if not isinstance(obj, BaseException):
        return None
    status = _status(_attr(obj, "http_status"))
    if status is None:
        return None  # connection errors, webhook signature errors
    error = _attr(obj, "error")
    return HttpParts(
        status=status,
        headers=_attr(obj, "headers"),
        # ``json_body`` is ``http_body`` already decoded.
        body=_attr(obj, "json_body") or _attr(obj, "http_body"),
        vendor="stripe",
        code=_ident(_attr(obj, "code")) or _ident(_attr(error, "code")),
        type=_string(_attr(error, "type")),
        message=_string(_attr(obj, "user_message")),
        request_id=_string(_attr(obj, "request_id")),
    )


def _from_botocore(obj: Any, depth: int) -> HttpParts | None:
    # ClientError.response: {"Error": {Code, Message, ...}, "ResponseMetadata": {...},
    # plus the members of a modeled error}. The raw body is gone; this is what is left.
    response = _attr(obj, "response")
    if not isinstance(response, Mapping):
        return None
    error = response.get("Error")
    meta = response.get("ResponseMetadata")
    if not isinstance(error, Mapping):
        return None
    if not isinstance(meta, Mapping):
        meta = {}
    status = _status(meta.get("HTTPStatusCode"))
    code = _ident(error.get("Code"))
    message = _string(error.get("Message"))
    body: Any = {str(k): v for k, v in islice(response.items(), 64) if k != "ResponseMetadata"}
    if status is not None and code == str(status):
        # botocore found no code: it wrote the status there, and kept an unparsable
        # body (a proxy's XML or JSON page) as the message. Neither is the vendor's.
        code = None
        if message is not None and message.lstrip()[:1] in ("<", "{", "["):
            body, message = message, None
        else:
            body["Error"] = {k: v for k, v in islice(error.items(), 64) if k != "Code"}
    return HttpParts(
        status=status,
        headers=meta.get("HTTPHeaders"),
        body=body,
        vendor="aws",
        code=code,
        message=message,
        request_id=_string(meta.get("RequestId")),
    )


def _from_google(obj: Any, depth: int) -> HttpParts | None:
    # google-api-core GoogleAPICallError: a requests.Response for REST calls (already
    # parsed by ``from_http_response``), a grpc.Call for gRPC ones.
    if not isinstance(obj, BaseException) or not hasattr(type(obj), "grpc_status_code"):
        return None
    parts = _response_parts(_attr(obj, "response"), depth) or HttpParts()
    if parts.status is None:
        parts.status = _status(_attr(obj, "code"))
    grpc_status = _text(_attr(_attr(obj, "grpc_status_code"), "name"))
    reason = _string(_attr(obj, "reason"))
    parts.vendor = "google"
    parts.code = reason or grpc_status
    parts.type = grpc_status if reason else None
    if parts.body is None:
        # No HTTP body (gRPC, or ``from_http_status``): give the reader the error's
        # message and its JSON-shaped ``errors`` and ``details``, as a REST body has them.
        message = _string(_attr(obj, "message"))
        body: dict[str, Any] = {"message": message} if message else {}
        for name in ("errors", "details"):
            items = _attr(obj, name)
            items = items[:50] if isinstance(items, list) else None
            if items and all(isinstance(i, Mapping) for i in items):
                body[name] = items
        parts.body = body or None
    return parts


def _from_azure(obj: Any, depth: int) -> HttpParts | None:
    if isinstance(obj, BaseException):
        # HttpResponseError: the pipeline's response plus the OData ``error`` parsed
        # from its body (read from the body itself when it was loaded).
        response = _attr(obj, "response")
        status = _status(_attr(obj, "status_code"))
        if response is None and status is None:
            return None  # ServiceRequestError and other transport failures
        parts = _response_parts(response, depth) or HttpParts(status=status)
        parts.vendor = "azure"
        if parts.body is None:
            error = _attr(obj, "error")
            parts.code = _ident(_attr(error, "code"))
            parts.message = _string(_attr(error, "message"))
            parts.fields = _odata_fields(error)
        return parts
    # azure.core.rest.HttpResponse and the legacy pipeline.transport responses.
    status = _status(_attr(obj, "status_code"))
    if status is None:
        return None
    body = _loaded_body(obj)
    if body is None:
        body = _loaded_body(_attr(obj, "internal_response"))
    return _response(obj, status, _attr(obj, "request"), body)


def _odata_fields(error: Any) -> tuple[FieldError, ...]:
    fields: list[FieldError] = []
    details = _attr(error, "details")
    # With details, the top-level target names the object they are about, not a field.
    nodes = details[:50] if isinstance(details, list) and details else [error]
    for node in nodes:
        target = _string(_attr(node, "target"))
        if target is not None:
            fields.append(FieldError(target, _string(_attr(node, "message"))))
    return tuple(fields)


def _from_twilio(obj: Any, depth: int) -> HttpParts | None:
    # TwilioRestException keeps status, code, message, details, method and uri (no
    # headers); TwilioServiceException keeps an RFC 9457 problem's members.
    if not isinstance(obj, BaseException):
        return None
    status = _status(_attr(obj, "status"))
    if status is None:
        return None
    parts = HttpParts(
        status=status,
        url=_text(_attr(obj, "uri")),
        method=_string(_attr(obj, "method")),
        vendor="twilio",
    )
    if isinstance(_attr(obj, "title"), str):
        parts.body = _problem_body(obj, status, _TWILIO_PROBLEM_EXTRAS)
        return parts
    code = _ident(_attr(obj, "code"))
    # Without a readable body the SDK puts the status in ``code``: that is no code.
    parts.code = code if code != str(status) else None
    parts.message = _twilio_message(_string(_attr(obj, "msg")))
    parts.details = _attr(obj, "details")
    return parts


# RFC 9457 problem members, and the two Twilio's problems add.
_PROBLEM_MEMBERS = ("type", "title", "detail", "instance")
_TWILIO_PROBLEM_EXTRAS = ("code", "errors")


def _problem_body(obj: Any, status: int, extras: tuple[str, ...] = ()) -> dict[str, Any]:
    """The problem document an exception copied into its attributes, rebuilt."""
    # The members are texts; anything else under those names is not the problem's.
    problem: dict[str, Any] = {name: _string(_attr(obj, name)) for name in _PROBLEM_MEMBERS}
    problem.update({name: _attr(obj, name) for name in extras}, status=status)
    return {k: v for k, v in problem.items() if v not in (None, [], "")}


def _twilio_message(text: str | None) -> str | None:
    # The SDK prefixes the API's message: "Unable to create record: <message>".
    if text is None or not text.startswith("Unable to "):
        return text
    _, sep, rest = text.partition(": ")
    return (rest or None) if sep else None


# Top-level module name of the object's class (or of a base class) -> adapter.
ADAPTERS: dict[str, Adapter] = {
    "requests": _http_client("request"),
    "httpx": _http_client("_request"),
    "httpx2": _http_client("_request"),
    "aiohttp": _from_aiohttp,
    "urllib3": _from_urllib3,
    "urllib": _from_urllib,
    "openai": _stainless("openai", whole_body=False),
    "anthropic": _stainless("anthropic", whole_body=True),
    "stripe": _from_stripe,
    "botocore": _from_botocore,
    "google": _from_google,
    "azure": _from_azure,
    "twilio": _from_twilio,
}


# --- duck typing --------------------------------------------------------------------

_STATUS_ATTRS = ("status_code", "status", "http_status", "http_status_code", "statusCode")
_CODE_ATTRS = ("code", "error_code", "err_code")
_BODY_ATTRS = ("body", "json_body", "response_body", "content", "data")
# Responses compute these on access, reading the stream (requests ``content``, urllib3
# ``data``): on a response only a value already stored on the object is taken. An
# exception holds no stream: its property returns what the SDK already read
# (PyGithub's ``GithubException.data`` is a property over the decoded body).
_LAZY_BODY_ATTRS = frozenset({"content", "data"})
# The response an exception holds: ``raw_response`` is the httpx response of the
# Speakeasy-generated SDKs (mistralai and others), beside a body they copied as text.
_RESPONSE_ATTRS = ("response", "raw_response")
# Instance attributes that make a standard-library object worth a duck-typed look.
_HTTP_NAMES = frozenset({"response", "status", "status_code", "http_status", "headers", "body"})


_DUCK_NAMES = frozenset(
    {"message", "request_id", "headers", "url", "method", "title", "detail"}.union(
        _RESPONSE_ATTRS, _STATUS_ATTRS, _CODE_ATTRS, _BODY_ATTRS
    )
)


def _duck(obj: Any, depth: int, present: frozenset[str] | None) -> HttpParts | None:
    """Any exception or response that carries HTTP facts as attributes.

    ``present`` holds the names ``obj`` has (None: unknown, its class computes them).
    """
    response, nested = _first_response(obj, depth, present)
    parts = nested if nested is not None else HttpParts()
    text_code = _fill_from_attrs(parts, obj, present)
    if parts.body is None and isinstance(response, Mapping):
        parts.body = mapping_copy(response) or None
    if nested is not None:
        return parts
    # A code alone is evidence only as an identifier string: integer codes on exceptions
    # are exit codes, errnos and parser positions far more often than API errors.
    if parts.status is None and parts.body is None and parts.request_id is None and not text_code:
        return None
    if parts.message is None and isinstance(obj, BaseException):
        args = _attr(obj, "args")
        if isinstance(args, tuple) and args and isinstance(args[0], str) and args[0]:
            parts.message = args[0]
    return parts


def _first_response(
    obj: Any, depth: int, present: frozenset[str] | None
) -> tuple[Any, HttpParts | None]:
    """The first response-named attribute, and its parts when it is a response object."""
    first = None
    for name in _RESPONSE_ATTRS:
        if present is not None and name not in present:
            continue
        response = _attr(obj, name)
        if response is None or response is obj:
            continue
        nested = _response_parts(response, depth)
        if nested is not None:
            return response, nested
        first = response if first is None else first
    return first, None


def _stored(obj: Any, name: str) -> Any:
    """``obj.name`` if it is a stored value, None if a property would compute it."""
    import inspect

    try:
        value = inspect.getattr_static(obj, name)
    except Exception:
        return None
    return value if isinstance(value, dict | list | str | bytes) else None


def _fill_from_attrs(parts: HttpParts, obj: Any, present: frozenset[str] | None) -> bool:
    """Fill what ``parts`` lacks from ``obj``'s attributes; True if a text code was found."""
    names = _DUCK_NAMES if present is None else present
    text_code = False
    if parts.status is None:
        parts.status = _first_status(obj, names)
    if parts.code is None:
        parts.code, text_code = _first_code(obj, names)
    if parts.body is None:
        parts.body = _first_body(obj, names)
    if parts.body is None and parts.status is not None:
        parts.body = _problem_of(obj, parts.status, names)
    for name in ("message", "request_id", "method"):
        if getattr(parts, name) is None and name in names:
            setattr(parts, name, _string(_attr(obj, name)))
    if parts.headers is None and "headers" in names:
        parts.headers = _plain_attr(obj, "headers")
    if parts.url is None and "url" in names:
        parts.url = _text(_plain_attr(obj, "url"))
    return text_code


def _problem_of(obj: Any, status: int, names: frozenset[str]) -> dict[str, Any] | None:
    """An RFC 9457 problem an SDK kept as attributes and no body (Replicate's errors)."""
    # A title or detail as text, beside a status, is the problem's own headline or text.
    if not any(name in names and _string(_attr(obj, name)) for name in ("title", "detail")):
        return None
    return _problem_body(obj, status)


def _first_status(obj: Any, names: frozenset[str]) -> int | None:
    for name in _STATUS_ATTRS:
        if name in names and (status := _status(_attr(obj, name))) is not None:
            return status
    return None


def _first_code(obj: Any, names: frozenset[str]) -> tuple[str | None, bool]:
    """The first code-like attribute as a code, and whether it was given as text."""
    for name in _CODE_ATTRS:
        value = _attr(obj, name) if name in names else None
        code = _ident(value)
        if code is not None:
            return code, isinstance(value, str)
    return None, False


def _first_body(obj: Any, names: frozenset[str]) -> Any:
    for name in _BODY_ATTRS:
        if name not in names:
            continue
        lazy = name in _LAZY_BODY_ATTRS and not isinstance(obj, BaseException)
        value = _stored(obj, name) if lazy else _attr(obj, name)
        if isinstance(value, dict | list | str | bytes) and value:
            return value
    return None


def _plain_attr(obj: Any, name: str) -> Any:
    """``obj.name`` unless it is a method (``headers()``, ``url()`` of some clients)."""
    value = _attr(obj, name)
    return None if callable(value) else value


# --- dispatch -----------------------------------------------------------------------

# The standard library raises no vendor's API errors (urllib has its adapter).
_STDLIB = frozenset(sys.stdlib_module_names) | {"builtins"}
# Per class: its adapter, whether it is the standard library's, and the duck-typing
# names its class defines (None when ``__getattr__`` makes them unknowable).
_Kind = tuple[Adapter | None, bool, frozenset[str] | None]
_DYNAMIC = ("__getattr__", "__getattribute__")


@lru_cache(maxsize=4096)
def _kind_of(cls: type) -> _Kind:
    kind: _Kind = (None, False, None)
    try:
        mro = cls.__mro__
        adapter = None
        for base in mro:
            adapter = ADAPTERS.get(str(base.__module__ or "").partition(".")[0])
            if adapter is not None:
                break
        stdlib = adapter is None and str(cls.__module__ or "").partition(".")[0] in _STDLIB
        # Built-in bases (object, BaseException) define the ordinary lookup.
        dynamic = any(n in vars(b) for b in mro if b.__module__ != "builtins" for n in _DYNAMIC)
        names = None if dynamic else frozenset(n for n in _DUCK_NAMES if hasattr(cls, n))
        kind = (adapter, stdlib, names)
    except Exception:
        kind = (None, False, None)
    return kind


on_reset(_kind_of.cache_clear)


def parts_of(obj: Any, _depth: int = 0) -> HttpParts | None:
    """The HTTP facts of one object (no chain walking), or None."""
    if _depth > _MAX_DEPTH:
        return None
    # type(), not __class__: an object may claim to be another class. (mypy does not
    # see type[Any] as Hashable.)
    adapter, stdlib, names = _kind_of(type(obj))  # type: ignore[arg-type]
    if adapter is not None:
        parts = _adapted(adapter, obj, _depth)
        if parts is NOT_AN_ERROR:
            return None
        if parts is not None:
            return parts
    names = _duck_names(obj, stdlib, names)
    if names is not None and not names:
        return None  # nothing to read: the common case, kept cheap
    return _duck(obj, _depth, names)


def _adapted(adapter: Adapter, obj: Any, depth: int) -> HttpParts | None:
    try:
        return adapter(obj, depth)
    except Exception:  # a library changed shape: fall back to duck typing
        report_internal("reading an HTTP client or SDK object")
        return None


def _duck_names(obj: Any, stdlib: bool, names: frozenset[str] | None) -> frozenset[str] | None:
    """The duck-typing names worth reading on ``obj`` (None: unknown, read them all)."""
    instance = _attr(obj, "__dict__")
    own = _DUCK_NAMES.intersection(instance) if isinstance(instance, dict) and instance else ()
    if stdlib:
        # Only attributes set on the instance count (SystemExit.code, OSError.errno...
        # are not HTTP facts), and only the unmistakable ones.
        return frozenset() if _HTTP_NAMES.isdisjoint(own) else frozenset(own)
    if names is not None and own:
        return names.union(own)
    return names

"""Parts: what a source (an exception, a response, raw values) tells about an HTTP error.

Sources and callers hand over what they have, in whatever form: a url as bytes or as a
``yarl.URL``, a status as a string, headers as any container. :func:`normalised` turns
those into plain values once, before any reading, and keeps every fact it can: an odd
status is dropped, not the record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from errorlens.record import FieldError

__all__ = ["HeaderPairs", "HttpParts", "header_pairs", "normalised", "status_of", "text_of"]

_MAX_HEADERS = 200
_MAX_TEXT = 8192
_STATUS_TEXT = re.compile(r"\s*([1-9]\d\d)(?:\s|$)")


@dataclass(slots=True)
class HttpParts:
    """The raw facts of one failed HTTP exchange, before any reading.

    ``body`` is bytes, str or an already-decoded JSON value. The other optional facts
    are what an SDK already parsed (its exception's ``code``, ``request_id``...); the
    body, when present, is read first and these fill what it lacks.
    """

    status: Any = None
    headers: Any = None
    body: Any = None
    url: Any = None
    method: Any = None
    vendor: str | None = None
    code: str | None = None
    type: str | None = None
    message: str | None = None
    request_id: str | None = None
    retryable: bool | None = None
    fields: tuple[FieldError, ...] = ()
    details: Any = None


def normalised(parts: HttpParts) -> HttpParts:
    """``parts`` with plain values: status an int in 100-999 or None, url and method
    str or None, headers :class:`HeaderPairs` or a plain dict. Never raises."""
    status = parts.status
    if type(status) is not int or not 100 <= status <= 999:  # a plain int passes as it is
        parts.status = status_of(status)
    if parts.url is not None:
        parts.url = text_of(parts.url)
    if parts.method is not None:
        parts.method = text_of(parts.method)
    parts.headers = header_pairs(parts.headers)
    return parts


def status_of(value: Any) -> int | None:
    """An HTTP status as a plain int in 100-999, or None (a bool, a float with a
    fraction, anything out of range). ``"429"`` and ``"429 Too Many Requests"`` count."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value) if 100 <= value <= 999 else None  # int(): not an HTTPStatus
    if isinstance(value, float):
        return int(value) if value.is_integer() and 100 <= value <= 999 else None
    if isinstance(value, bytes | bytearray):
        value = bytes(value[:64]).decode("latin-1")
    if isinstance(value, str):
        match = _STATUS_TEXT.match(value[:64])
        return int(match.group(1)) if match else None
    return None


def text_of(value: Any) -> str | None:
    """A non-empty str of ``value`` (bytes decoded, a URL object through ``str()``),
    capped, or None. Never raises."""
    if value is None or isinstance(value, str):
        text = value
    elif isinstance(value, bytes | bytearray | memoryview):
        text = _decoded(bytes(value[:_MAX_TEXT]))
    else:
        try:
            text = str(value)
        except Exception:
            return None
        if not isinstance(text, str):
            return None  # a __str__ that returned no str
    return text[:_MAX_TEXT] if text else None


class HeaderPairs(list[tuple[str, str]]):
    """Headers read into ``(str, str)`` pairs, names non-empty: at most a few hundred."""

    __slots__ = ()


def header_pairs(headers: Any) -> Any:
    """Headers as a plain dict or :class:`HeaderPairs`, or None.

    A plain dict of str passes unchanged (the common case costs nothing), and a list of
    ``(str, str)`` pairs (what the common containers give) is checked whole and taken;
    anything else is copied pair by pair: bytes decoded, other values through ``str()``,
    at most a few hundred, and a container that raises midway keeps what came before.
    """
    if headers is None or type(headers) is HeaderPairs:
        return headers
    if type(headers) is dict and _plain(headers):
        # Exactly a dict: a subclass may iterate its own way, without end.
        return headers
    pairs = HeaderPairs()
    try:
        items = _items(headers)
        if type(items) is list and _str_pairs(items[:_MAX_HEADERS]):
            pairs.extend(items[:_MAX_HEADERS])
            return pairs
        for pair in islice(items, _MAX_HEADERS):
            if isinstance(pair, tuple | list) and len(pair) == 2:
                name, value = text_of(pair[0]), text_of(pair[1])
                if name is not None:
                    pairs.append((name, value or ""))
    except Exception:  # a hostile container: keep the pairs read so far
        pass
    return pairs


_STR_ONLY = frozenset({str})


def _str_pairs(items: list[Any]) -> bool:
    """Whether every item is a ``(str, str)`` tuple that ``text_of`` keeps as it is."""
    for pair in items:
        if type(pair) is not tuple or len(pair) != 2:
            return False
        name, value = pair
        if type(name) is not str or type(value) is not str:
            return False
        if not name or len(name) > _MAX_TEXT or len(value) > _MAX_TEXT:
            return False
    return True


def _plain(headers: dict[Any, Any]) -> bool:
    return (
        len(headers) <= _MAX_HEADERS
        and _STR_ONLY.issuperset(map(type, headers))
        and _STR_ONLY.issuperset(map(type, headers.values()))
    )


def _items(headers: Any) -> Any:
    """The (name, value) pairs of any header container, duplicates kept.

    An exact list when they are already read (or reading them cannot fail midway),
    else an iterator.
    """
    cls = type(headers)
    if cls is list or cls is tuple:
        return list(headers)
    if isinstance(headers, list | tuple):
        return iter(headers)
    if cls.__name__ == "CaseInsensitiveDict" and cls.__module__ == "requests.structures":
        # requests: one stored pair per name, its lowercase name (all the reader
        # compares) with its value, without the Mapping view's lookup per name.
        return list(headers.lower_items())
    multi = getattr(headers, "multi_items", None)  # httpx.Headers: one pair per line
    if callable(multi):
        items = multi()
    elif isinstance(headers, Mapping) or callable(getattr(headers, "items", None)):
        items = headers.items()
    else:
        return iter(())
    return items if type(items) is list else iter(items)


def _decoded(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # HTTP's historical header charset

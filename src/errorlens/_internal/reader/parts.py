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
from time import monotonic
from typing import Any

from errorlens._internal.reader.deadline import ends, over, timed_read
from errorlens.record import FieldError

__all__ = [
    "HeaderPairs",
    "HttpParts",
    "header_pairs",
    "mapping_copy",
    "normalised",
    "plain_json",
    "status_of",
    "text_of",
]

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
    str or None, headers :class:`HeaderPairs` or a plain dict, a decoded body and the
    details exact dicts and lists (:func:`plain_json`). Never raises."""
    status = parts.status
    if type(status) is not int or not 100 <= status <= 999:  # a plain int passes as it is
        parts.status = status_of(status)
    if _handed_plain(parts):
        # Nothing of the application's to walk, the common case: no clock is read.
        _texts(parts)
        return parts
    return _walked(parts)


_PLAIN_BODIES = frozenset({bytes, str, type(None)})
_PLAIN_TEXTS = frozenset({str, type(None)})


def _handed_plain(parts: HttpParts) -> bool:
    headers = parts.headers
    return (
        type(parts.body) in _PLAIN_BODIES
        and type(parts.url) in _PLAIN_TEXTS
        and type(parts.method) in _PLAIN_TEXTS
        and parts.details is None
        and (
            headers is None
            or type(headers) is HeaderPairs
            or (type(headers) is dict and _plain(headers))
        )
    )


@timed_read
def _walked(parts: HttpParts) -> HttpParts:
    # Parts that are the application's objects, each walked once, within one read's time.
    _texts(parts)
    parts.headers = header_pairs(parts.headers)
    if isinstance(parts.body, dict | list):
        parts.body = plain_json(parts.body)
    if parts.details is not None:
        parts.details = plain_json(parts.details)
    return parts


def _texts(parts: HttpParts) -> None:
    if parts.url is not None:
        parts.url = text_of(parts.url)
    if parts.method is not None:
        parts.method = text_of(parts.method)


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
        if over():
            return None  # no more of the application's code: its __str__ included
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
    if over():
        return pairs
    try:
        items = _items(headers)
        if type(items) is list and _str_pairs(items[:_MAX_HEADERS]):
            pairs.extend(items[:_MAX_HEADERS])
            return pairs
        end = ends()
        for pair in islice(items, _MAX_HEADERS):
            if isinstance(pair, tuple | list) and len(pair) == 2:
                name, value = text_of(pair[0]), text_of(pair[1])
                if name is not None:
                    pairs.append((name, value or ""))
            if monotonic() > end:
                break  # each pair may be the application's code: no more once time is up
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


# --- decoded bodies -----------------------------------------------------------------

# Items of one container, items of one body, and depth walked: beyond what any rule
# reads (a node's first 256 keys, a list's first 100 items, a few levels down).
_PLAIN_ITEMS = 256
_PLAIN_WORK = 4096
_PLAIN_DEPTH = 32
_LEAVES = frozenset({str, int, float, bool, type(None)})


def plain_json(value: Any) -> Any:
    """A decoded body (or details) whose every dict and list is an exact one.

    The reader walks a body more than once, and its details and fields later still;
    the application's dict or list subclass may be slow in every method, or never end.
    Each one is copied once, here: its first few hundred items, under the read's
    deadline, keeping the items read. Exact containers are kept as they are (walking
    them runs none of the application's code) unless something inside was copied.
    Past the work or depth bound an exact container is kept unwalked, another dropped.
    """
    return _plain_value(value, 0, [_PLAIN_WORK])


def mapping_copy(mapping: Any) -> dict[Any, Any] | None:
    """An exact dict of any mapping's first items, read as :func:`plain_json` reads."""
    copy = _copied(mapping, 0, [_PLAIN_WORK])
    return copy if isinstance(copy, dict) else None


def _plain_value(value: Any, depth: int, work: list[int]) -> Any:
    cls = type(value)
    if cls is dict or cls is list:
        if depth > _PLAIN_DEPTH or work[0] <= 0:
            return value
        return _exact(value, depth, work)
    if isinstance(value, dict | list):
        return _copied(value, depth, work)
    return value


def _exact(value: Any, depth: int, work: list[int]) -> Any:
    # An exact dict or list: kept as it is, unless something inside it was copied.
    is_dict = type(value) is dict
    copy: Any = None
    for key, item in islice(value.items() if is_dict else enumerate(value), _PLAIN_ITEMS):
        work[0] -= 1
        if type(item) in _LEAVES:
            continue
        plain = _plain_value(item, depth + 1, work)
        if plain is not item:
            if copy is None:
                items = islice(value.items() if is_dict else value, _PLAIN_ITEMS)
                copy = dict(items) if is_dict else list(items)
            copy[key] = plain
    return value if copy is None else copy


def _copied(value: Any, depth: int, work: list[int]) -> dict[Any, Any] | list[Any] | None:
    """The application's dict (any mapping) or list, copied item by item: each item read
    is a call into its code, and none is read once the time is up."""
    if depth > _PLAIN_DEPTH or work[0] <= 0 or over():
        return None
    mapping = not isinstance(value, list)
    copy: Any = {} if mapping else []
    end = ends()
    try:
        for item in islice(value.items() if mapping else value, _PLAIN_ITEMS):
            work[0] -= 1
            if mapping:
                key, item_value = item
                copy[key] = _plain_value(item_value, depth + 1, work)
            else:
                copy.append(_plain_value(item, depth + 1, work))
            if monotonic() > end or work[0] <= 0:
                break
    except Exception:  # a container that raises midway: keep the items read so far
        pass
    return copy  # type: ignore[no-any-return]


def _decoded(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # HTTP's historical header charset

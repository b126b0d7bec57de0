"""A small, bounded CBOR (RFC 8949) decoder: a body becomes the same shape JSON gives.

AWS's Smithy RPC v2 CBOR protocol sends its errors as ``application/cbor`` maps
(``{"__type": "ns#Name", "message": "..."}``). Decoded here, they are read by the same
rules as a JSON body. Only JSON-shaped values come out: text and byte strings (bytes as
text only when they are printable UTF-8), integers, finite floats, booleans, null, arrays
and maps with text or integer keys. Tags are read through (bignums become integers).

Work is linear in the bytes given: every item consumes at least one byte, lengths are
checked against what is left before anything is allocated, nesting and the number of
items are capped. Malformed input gives None, never an exception.
"""

from __future__ import annotations

import math
import struct
from typing import Any

__all__ = ["decode_cbor"]

MAX_DEPTH = 32
# An error body is a small map: a few dozen items. Each item costs a few Python calls,
# so the item budget is what bounds the work on a hostile body.
MAX_ITEMS = 4096
_MAX_BIGNUM_BYTES = 32
_BREAK = 0xFF
_SKIP = object()  # a value with no JSON form (undefined, non-text bytes): left out


class _Malformed(Exception):
    """The input is not well-formed CBOR, or exceeds a cap."""


class _Reader:
    __slots__ = ("budget", "data", "pos")

    def __init__(self, data: bytes, budget: int) -> None:
        self.data = data
        self.pos = 0
        self.budget = budget  # items left

    def take(self, count: int) -> bytes:
        end = self.pos + count
        if count < 0 or end > len(self.data):
            raise _Malformed
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise _Malformed
        value = self.data[self.pos]
        self.pos += 1
        return value

    def argument(self, info: int) -> int | None:
        """The head's argument; None for an indefinite length (info 31)."""
        if info < 24:
            return info
        if 24 <= info <= 27:
            return int.from_bytes(self.take(1 << (info - 24)), "big")
        if info == 31:
            return None
        raise _Malformed  # 28-30 are reserved

    def length(self, info: int) -> int | None:
        size = self.argument(info)
        if size is not None and size > len(self.data) - self.pos:
            raise _Malformed  # claims more than is left: refuse before allocating
        return size


def decode_cbor(data: bytes, max_items: int = MAX_ITEMS) -> Any:
    """The JSON-shaped value of one CBOR data item filling ``data``, or None.

    None also when the item nests deeper than :data:`MAX_DEPTH` or holds more than
    ``max_items`` items.
    """
    reader = _Reader(data, max_items)
    try:
        value = _item(reader, 0)
    except (_Malformed, ValueError, OverflowError, RecursionError):
        return None
    if value is _SKIP or reader.pos != len(data):
        return None
    return value


def _item(reader: _Reader, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise _Malformed
    reader.budget -= 1
    if reader.budget < 0:
        raise _Malformed
    data, pos = reader.data, reader.pos
    if pos >= len(data):
        raise _Malformed
    head = data[pos]
    reader.pos = pos + 1
    if 0x60 <= head < 0x78:  # a short text string, the common case: read inline
        end = pos + 1 + head - 0x60
        if end > len(data):
            raise _Malformed
        reader.pos = end
        return data[pos + 1 : end].decode("utf-8")
    return _MAJOR[head >> 5](reader, head & 0x1F, depth)


def _unsigned(reader: _Reader, info: int, depth: int) -> int:
    value = reader.argument(info)
    if value is None:
        raise _Malformed
    return value


def _negative(reader: _Reader, info: int, depth: int) -> int:
    return -1 - _unsigned(reader, info, depth)


def _chunks(reader: _Reader, major: int) -> bytes:
    """The chunks of an indefinite-length string, joined (each a definite string)."""
    parts: list[bytes] = []
    while True:
        head = reader.byte()
        if head == _BREAK:
            return b"".join(parts)
        if head >> 5 != major:
            raise _Malformed
        size = reader.length(head & 0x1F)
        if size is None:
            raise _Malformed  # chunks may not nest
        parts.append(reader.take(size))


def _raw_string(reader: _Reader, info: int, major: int) -> bytes:
    size = reader.length(info)
    return _chunks(reader, major) if size is None else reader.take(size)


def _bytes(reader: _Reader, info: int, depth: int) -> Any:
    raw = _raw_string(reader, info, 2)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _SKIP
    return text if text.isprintable() else _SKIP


def _text(reader: _Reader, info: int, depth: int) -> str:
    return _raw_string(reader, info, 3).decode("utf-8")  # invalid UTF-8: malformed


def _array(reader: _Reader, info: int, depth: int) -> list[Any]:
    size = reader.length(info)
    out: list[Any] = []
    for _ in _counted(reader, size):
        value = _item(reader, depth + 1)
        if value is not _SKIP:
            out.append(value)
    return out


def _map(reader: _Reader, info: int, depth: int) -> dict[str, Any]:
    size = reader.length(info)
    out: dict[str, Any] = {}
    for _ in _counted(reader, size):
        key = _item(reader, depth + 1)
        value = _item(reader, depth + 1)
        if isinstance(key, int) and not isinstance(key, bool):
            key = str(key)
        if isinstance(key, str) and value is not _SKIP:
            out.setdefault(key, value)  # the first of a duplicated key, as JSON readers
    return out


def _counted(reader: _Reader, size: int | None) -> Any:
    """Yield once per element: ``size`` times, or until a break for an indefinite length."""
    if size is not None:
        yield from range(size)
        return
    while True:
        if reader.pos >= len(reader.data):
            raise _Malformed
        if reader.data[reader.pos] == _BREAK:
            reader.pos += 1
            return
        yield None


def _tag(reader: _Reader, info: int, depth: int) -> Any:
    tag = _unsigned(reader, info, depth)
    if tag in (2, 3) and reader.pos < len(reader.data) and reader.data[reader.pos] >> 5 == 2:
        return _bignum(reader, tag == 3)
    return _item(reader, depth + 1)  # other tags: the value they qualify


def _bignum(reader: _Reader, negative: bool) -> Any:
    raw = _raw_string(reader, reader.byte() & 0x1F, 2)
    if len(raw) > _MAX_BIGNUM_BYTES:
        return _SKIP
    value = int.from_bytes(raw, "big")
    return -1 - value if negative else value


def _simple(reader: _Reader, info: int, depth: int) -> Any:
    if info == 20:
        return False
    if info == 21:
        return True
    if info in (22, 23):
        return None if info == 22 else _SKIP
    if info == 24:
        reader.take(1)
        return _SKIP  # other simple values have no JSON form
    if 25 <= info <= 27:
        fmt = (">e", ">f", ">d")[info - 25]
        value: float = struct.unpack(fmt, reader.take(struct.calcsize(fmt)))[0]
        return value if math.isfinite(value) else None  # strict JSON: no NaN/Infinity
    if info < 20:
        return _SKIP
    raise _Malformed  # a stray break or a reserved value


_MAJOR = (_unsigned, _negative, _bytes, _text, _array, _map, _tag, _simple)

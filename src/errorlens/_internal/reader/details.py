"""``details``: the vendor's extra data as given, a bounded strict-JSON copy.

A ``details``-like key when the node has one; else the error node's keys that no other
field took (Stripe's ``decline_code`` and ``doc_url``, Twilio's ``more_info``).
"""

from __future__ import annotations

import math
from itertools import islice
from typing import Any

from errorlens._internal.reader.body import Body
from errorlens._internal.reader.keys import LEARNED, role_of
from errorlens._internal.reader.node import MAX_KEYS
from errorlens._internal.text import cap

__all__ = ["body_details", "details_value", "json_safe"]

DETAILS_CAP = 8 * 1024
_MAX_DEPTH = 8
_MAX_ITEMS = 100
_MAX_INT_BITS = 14_000  # Python refuses int -> str beyond 4300 digits
_MORE = "\u2026"


def body_details(body: Body) -> Any:
    """The details key's value, else the error node's unconsumed keys, else None."""
    details = body.details
    if details is not None:
        return details
    inner = body.inner
    return _unconsumed(inner.node, body.xml) if inner is not None else None


def _unconsumed(node: dict[Any, Any], xml: bool) -> dict[str, Any] | None:
    # Keys the key table gave no role; flags such as "ok": false say nothing more.
    out: dict[str, Any] = {}
    for count, (key, value) in enumerate(node.items()):
        if count >= MAX_KEYS:
            break
        if _extra(key, value, xml):
            out[key] = value
    return out or None


def _extra(key: Any, value: Any, xml: bool) -> bool:
    if not isinstance(key, str) or value is None or isinstance(value, bool):
        return False
    # A key read by its words is a guess: it stays among the details too.
    role, rank = role_of(key, xml)
    return role < 0 or rank == LEARNED


def details_value(details: Any) -> tuple[Any, tuple[str, ...]]:
    """Details as a bounded JSON-safe copy, secret-named values replaced, and those values."""
    from errorlens._internal.scrub import scrub

    if details is None:
        return None, ()
    secrets: list[str] = []
    value = scrub(json_safe(details, 0, [DETAILS_CAP], set()), secrets)
    return value, tuple(secrets)


def json_safe(value: Any, depth: int, budget: list[int], seen: set[int]) -> Any:
    """A bounded, cycle-safe, strict-JSON copy: at most ``DETAILS_CAP`` characters."""
    if budget[0] <= 0 or depth > _MAX_DEPTH:
        return _MORE
    if value is None or isinstance(value, bool | int | float):
        budget[0] -= 8
        return _number(value)
    if isinstance(value, str):
        budget[0] -= len(value) + 2
        return cap(value, 1024)
    if isinstance(value, dict | list):
        if id(value) in seen:
            return _MORE
        seen.add(id(value))
        try:
            return _container(value, depth, budget, seen)
        finally:
            seen.discard(id(value))
    budget[0] -= 16
    return None


def _number(value: Any) -> Any:
    # Strict JSON: no NaN or Infinity; an integer too long to print becomes text.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value.bit_length() > _MAX_INT_BITS
    ):
        return f"<integer of {value.bit_length()} bits>"
    return value


def _container(
    value: dict[Any, Any] | list[Any], depth: int, budget: list[int], seen: set[int]
) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in islice(value.items(), _MAX_ITEMS):
            if budget[0] <= 0:
                out[_MORE] = "truncated"
                break
            name = key if isinstance(key, str) else _key_text(key)
            budget[0] -= len(name) + 4
            out[name] = json_safe(item, depth + 1, budget, seen)
        return out
    items: list[Any] = []
    for item in value[:_MAX_ITEMS]:
        if budget[0] <= 0:
            items.append(_MORE)
            break
        items.append(json_safe(item, depth + 1, budget, seen))
    return items


def _key_text(key: Any) -> str:
    if isinstance(key, int) and not isinstance(key, bool) and key.bit_length() > _MAX_INT_BITS:
        return "<integer>"
    try:
        return str(key)[:100]
    except Exception:
        return "<key>"

"""One error node, its keys classified once: the best candidate value per role.

The key table says what a key usually is; a few keys change role with their value's
shape (``"error": "not_found"`` is a code, ``"error": {...}`` a nested node,
``"errors": ["Forbidden"]`` a message). Each such reshaping is one small function,
chosen by the role the table gave.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from errorlens._internal.reader.keys import (
    BROAD,
    CODE,
    CONTAINER,
    CORRELATION,
    DETAILS,
    ENTRIES,
    FIELD,
    FIELD_MAP,
    HEADLINE,
    INCIDENTAL,
    LISTED,
    MESSAGE,
    NAME,
    NAMING,
    NONE_YET,
    REQUEST_ID,
    RETRY_AFTER,
    RETRY_MS,
    RETRYABLE,
    ROLE_COUNT,
    SHAPED,
    STANDARD,
    STATUS_NAME,
    TYPE,
    VARIANT,
    depends_on_table,
    role_of,
)
from errorlens._internal.reader.values import identifier, name_like, soap_code, xml_text

__all__ = ["MAX_ENTRIES", "NodeScan", "held_entries", "plan_of"]

MAX_KEYS = 256
MAX_ENTRIES = 50
_USELESS_TYPES = frozenset({"error", "errors", "exception", "fail", "failure", "failed"})
_STATUS_WORDS = frozenset({"error", "fail", "failed", "failure", "fatal", "ok", "success"})

_UNKNOWN_KEY = -1
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _generated(value: str) -> bool:
    """A generated token: a UUID, or 16 or more hex digits (no word, no error number)."""
    return _UUID.fullmatch(value) is not None or (
        len(value) >= 16 and _HEX_DIGITS.issuperset(value) and not value.isdigit()
    )


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HOLDER_KEYS = 32  # keys of an unknown list's first object looked at for its errors
_PLAIN_ROLES = (REQUEST_ID, CORRELATION, RETRY_AFTER, RETRY_MS, RETRYABLE, FIELD)
_JSON_TYPES = (str, int, float, bool, list, dict)

# A reshaped candidate: (role, rank, value), or None when the key gives nothing.
Candidate = tuple[int, int, Any] | None
Shaper = Callable[[str, Any, int, bool, "NodeScan"], Candidate]


class NodeScan:
    """The best candidate per role in one node (``values[role]``, ``ranks[role]``).

    ``present`` has bit ``1 << role`` set for every role that has a candidate.
    """

    __slots__ = ("node", "present", "ranks", "values")

    def __init__(self, node: dict[Any, Any], xml: bool) -> None:
        self.node = node
        self.values: list[Any] = [None] * ROLE_COUNT
        self.ranks = [NONE_YET] * ROLE_COUNT
        self.present = 0
        values, ranks = self.values, self.ranks
        present = 0
        for key, role, rank, plain in plan_of(node, xml):
            value = node.get(key)
            if value is None or value == "":
                continue
            # Most values are taken as they are; a few keys change role with the shape.
            if type(value) not in plain:
                candidate = _SHAPERS[role](key, value, rank, xml, self)
                if candidate is None:
                    continue
                role, rank, value = candidate
            if rank < ranks[role]:
                values[role], ranks[role] = value, rank
                present |= 1 << role
        self.present |= present

    def offer(self, role: int, rank: int, value: Any) -> None:
        """Keep ``value`` for ``role`` when it ranks better than what is there."""
        if rank < self.ranks[role]:
            self.values[role] = value
            self.ranks[role] = rank
            self.present |= 1 << role

    def get(self, role: int) -> Any:
        return self.values[role]


# A node's plan: per key that may play a role, (key, role, rank, the value types taken
# as they are). Error nodes of one API share their keys, so the plan is worked out
# once per set of keys (in order) and kept.
Plan = tuple[tuple[str, int, int, frozenset[type]], ...]
_PLANNED_KEYS = 32  # larger nodes are planned each time, not kept


def plan_of(node: dict[Any, Any], xml: bool) -> Plan:
    """The keys of ``node`` that may play a role, in order, with how to take each."""
    if len(node) > _PLANNED_KEYS:
        return _make_plan(tuple(itertools.islice(node, MAX_KEYS)), xml)
    return _kept_plan(tuple(node), xml)


def _make_plan(keys: tuple[Any, ...], xml: bool) -> Plan:
    plan = []
    for key in keys[:MAX_KEYS]:
        if type(key) is not str:
            continue
        role, rank = role_of(key, xml)
        if role < 0:
            role = _UNKNOWN_KEY  # a list of objects under it may hold errors
        plan.append((key, role, rank, _PLAIN[role, rank]))
    return tuple(plan)


_kept_plan = lru_cache(maxsize=2048)(_make_plan)
depends_on_table(_kept_plan.cache_clear)


def _container(key: str, value: Any, rank: int, xml: bool, scan: NodeScan) -> Candidate:
    # "error": a nested node, a code ("not_found"), a message, or a list of errors.
    if isinstance(value, dict):
        return CONTAINER, rank, value
    if isinstance(value, str):
        return (CODE, SHAPED, value) if identifier(value) else (MESSAGE, LISTED, value)
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value[:MAX_ENTRIES]):
            scan.offer(ENTRIES, VARIANT, value)  # {"error": ["EAPI:Rate limit exceeded"]}
            return MESSAGE, LISTED, "; ".join(value[:10])
        return ENTRIES, VARIANT, value
    return None


def _message(key: str, value: Any, rank: int, xml: bool, scan: NodeScan) -> Candidate:
    if isinstance(value, str):
        return MESSAGE, rank, value
    if isinstance(value, dict):
        return _message_node(key, value, xml) if rank != LISTED else None
    if isinstance(value, list) and value:
        if all(isinstance(v, str) for v in value[:MAX_ENTRIES]):
            scan.offer(ENTRIES, LISTED, value)  # plain-string errors are errors too
            return MESSAGE, rank, "; ".join(value[:10])
        if isinstance(value[0], dict):
            return ENTRIES, BROAD, value
    return None


def _message_node(key: str, value: dict[str, Any], xml: bool) -> Candidate:
    if xml:
        text = xml_text(value)  # SOAP 1.2 <Reason><Text>...</Text></Reason>
        return (MESSAGE, LISTED, text) if text is not None else None
    if key.lower() in ("detail", "details"):
        if _error_node(value):
            return CONTAINER, LISTED, value  # FastAPI-style {"detail": {"message": ...}}
        return DETAILS, VARIANT, value
    text = value.get("value")
    if isinstance(text, str) and "lang" in value:
        return MESSAGE, VARIANT, text  # OData: "message": {"lang": "en-US", "value": ...}
    return FIELD_MAP, VARIANT, value  # "message": {"email": ["is invalid"]}


def _code(key: str, value: Any, rank: int, xml: bool, scan: NodeScan) -> Candidate:
    if isinstance(value, dict):
        code = soap_code(value)  # SOAP 1.2 <Code><Value>..</Value><Subcode>..
        return (CODE, rank, code) if code is not None else None
    if isinstance(value, list):  # "error_codes": ["payment_source_required"]
        return (CODE, rank, value[0]) if value and isinstance(value[0], str) else None
    if key == ".tag" and isinstance(value, str):
        return CODE, rank, _tag_path(scan.node, value)
    return None if isinstance(value, bool) else (CODE, rank, value)


def _tag_path(node: dict[Any, Any], tag: str) -> str:
    # Tagged unions: {".tag": "path", "path": {".tag": "not_found"}} -> "path/not_found".
    path = [tag]
    for _ in range(4):
        inner = node.get(tag)
        if not isinstance(inner, dict) or not isinstance(inner.get(".tag"), str):
            break
        node, tag = inner, inner[".tag"]
        path.append(tag)
    return "/".join(path)


def _name(key: str, value: Any, rank: int, xml: bool, scan: NodeScan) -> Candidate:
    # "reason", "name", "id": a code only when identifier-shaped ("NotFound", "not_found").
    if isinstance(value, dict) and rank == INCIDENTAL:
        text = xml_text(value)  # SOAP 1.2 <Reason><Text>...</Text></Reason>
        return (MESSAGE, LISTED, text) if text is not None else None
    if not isinstance(value, str):
        return None
    if rank == NAMING and _generated(value):
        # LaunchDarkly, Stability: "id" is the call's own id (quoted to support)
        return REQUEST_ID, NAMING, value
    if name_like(value) if rank == NAMING else identifier(value):
        return NAME, rank, value
    return (MESSAGE, INCIDENTAL, value) if key.lower() == "reason" else None


def _error_node(value: dict[Any, Any]) -> bool:
    # A nested object with its own text is an error node, not a bag of details.
    return any(isinstance(k, str) and role_of(k, False)[0] == MESSAGE for k in list(value)[:20])


def _type(key: str, value: Any, rank: int, xml: bool, scan: NodeScan) -> Candidate:
    if not isinstance(value, str) or value.lower() in _USELESS_TYPES:
        return None
    return TYPE, rank, value


def _details(key: str, value: Any, rank: int, xml: bool, scan: NodeScan) -> Candidate:
    if rank == BROAD and isinstance(value, dict) and _error_node(value):
        return CONTAINER, LISTED, value  # an "innererror" with its own text: more specific
    if isinstance(value, list) and key.lower() != "data":
        # A list under "details" is typed details (google.rpc) or per-field errors: both.
        if value and isinstance(value[0], dict):
            scan.offer(ENTRIES, HEADLINE, value)
    elif isinstance(value, str):
        if key.lower() in ("details", "errordetails"):
            return MESSAGE, SHAPED, value
        return None
    return DETAILS, rank, value


def _entries(key: str, value: Any, rank: int, xml: bool, scan: NodeScan) -> Candidate:
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value[:MAX_ENTRIES]):
            scan.offer(ENTRIES, rank, value)  # reasons for a generic message
            return MESSAGE, SHAPED, "; ".join(value[:10])  # {"errors": ["Forbidden"]}
        return (ENTRIES, rank, value) if value else None
    if isinstance(value, dict):
        if xml or "Error" in value or "error" in value:
            return CONTAINER, SHAPED, value  # <Errors><Error>...</Error></Errors>
        return FIELD_MAP, STANDARD if key.lower() == "errors" else VARIANT, value
    if isinstance(value, str):
        return (CODE, LISTED, value) if identifier(value) else (MESSAGE, SHAPED, value)
    return None


def _status_name(key: str, value: Any, rank: int, xml: bool, scan: NodeScan) -> Candidate:
    # Google's "status": "PERMISSION_DENIED"; never "error" or a number.
    if not isinstance(value, str) or value.lower() in _STATUS_WORDS or value.isdigit():
        return None
    return STATUS_NAME, rank, value


def _field(key: str, value: Any, rank: int, xml: bool, scan: NodeScan) -> Candidate:
    # Rev.ai: {"parameter": {"media_url": ["The media_url field is required"]}}: under a
    # field's key, a map of names to lists of messages is the fields at fault.
    if isinstance(value, dict):
        lists = list(value.values())[:MAX_KEYS]
        if lists and all(isinstance(v, list) for v in lists):
            return FIELD_MAP, rank, value
        return None
    return FIELD, rank, value


def _field_map(key: str, value: Any, rank: int, xml: bool, scan: NodeScan) -> Candidate:
    if isinstance(value, dict):
        return FIELD_MAP, rank, value
    if isinstance(value, list) and value and isinstance(value[0], str):
        return FIELD, SHAPED, value  # Salesforce: "fields": ["Name", "Email"]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return ENTRIES, BROAD, value  # "fields": [{"path": ..., "message": ...}]
    return None


def _unknown(key: str, value: Any, rank: int, xml: bool, scan: NodeScan) -> Candidate:
    # A list of objects under a key no rule knows ("Elements": [{"ValidationErrors":
    # [...]}]): the errors those objects hold are a list of errors of this node; so are
    # the objects themselves when they carry a message ("extra": [{"message": ...}]),
    # and the list of errors a wrapper object holds (HAL's "_embedded": {"errors": []}).
    if isinstance(value, dict):
        held = _held_list(value, xml)
        return (ENTRIES, NAMING, held) if held else None
    if not isinstance(value, list) or not value or not isinstance(value[0], dict):
        return None
    entries = held_entries(value, xml)
    if entries is None and _error_node(value[0]) and _names_a_field(value[0]):
        entries = value[:MAX_ENTRIES]
    return (ENTRIES, NAMING, entries) if entries else None


_ITEM_FIELD_KEYS = frozenset({"field", "param", "parameter", "key", "path", "loc", "pointer"})


def _names_a_field(item: dict[Any, Any]) -> bool:
    # An error entry names its field; a field map's value list does not ({"value": [...]}).
    return any(isinstance(k, str) and k.lower() in _ITEM_FIELD_KEYS for k in list(item)[:20])


def _held_list(value: dict[Any, Any], xml: bool) -> list[Any] | None:
    for key, inner in list(value.items())[:_HOLDER_KEYS]:
        if not isinstance(inner, list) or not inner or not isinstance(inner[0], dict):
            continue
        if type(key) is str and role_of(key, xml)[0] == ENTRIES:
            return inner[:MAX_ENTRIES]
    return None


def held_entries(items: list[Any], xml: bool) -> list[Any] | None:
    """The error entries a list of objects holds under their list-of-errors key.

    The first object's keys say which key that is; at most ``MAX_ENTRIES`` entries.
    """
    key = _entries_key(items[0], xml)
    if key is None:
        return None
    entries: list[Any] = []
    for item in items[:MAX_ENTRIES]:
        held = item.get(key) if isinstance(item, dict) else None
        if isinstance(held, list):
            entries.extend(e for e in held[: MAX_ENTRIES - len(entries)] if isinstance(e, dict))
        if len(entries) >= MAX_ENTRIES:
            break
    return entries or None


def _entries_key(item: dict[Any, Any], xml: bool) -> str | None:
    for key, value in list(item.items())[:_HOLDER_KEYS]:
        if type(key) is not str or not isinstance(value, list) or not value:
            continue
        if isinstance(value[0], dict) and role_of(key, xml)[0] == ENTRIES:
            return key
    return None


def _as_is(key: str, value: Any, rank: int, xml: bool, scan: NodeScan) -> Candidate:
    return role_of(key, xml)[0], rank, value


def _request_id(key: str, value: Any, rank: int, xml: bool, scan: NodeScan) -> Candidate:
    # {"trace": {"requestId": "..."}}: the id one level down, under its own name.
    if not isinstance(value, dict):
        return None
    for inner_key, inner in list(value.items())[:_HOLDER_KEYS]:
        named = type(inner_key) is str and isinstance(inner, str) and bool(inner.strip())
        if named and role_of(inner_key, xml)[0] == REQUEST_ID:
            return REQUEST_ID, rank, inner
    return None


_SHAPERS: dict[int, Shaper] = {
    REQUEST_ID: _request_id,
    CORRELATION: _as_is,
    RETRY_AFTER: _as_is,
    RETRY_MS: _as_is,
    RETRYABLE: _as_is,
    FIELD: _field,
    CONTAINER: _container,
    MESSAGE: _message,
    CODE: _code,
    NAME: _name,
    TYPE: _type,
    DETAILS: _details,
    ENTRIES: _entries,
    STATUS_NAME: _status_name,
    FIELD_MAP: _field_map,
    _UNKNOWN_KEY: _unknown,
}

# (role, rank, value type) taken without reshaping: the common cases, one set lookup.
_AS_IS = frozenset(
    {(role, rank, kind) for role in _PLAIN_ROLES for rank in range(8) for kind in _JSON_TYPES}
    - {(REQUEST_ID, rank, kind) for rank in range(8) for kind in (dict, list, float, bool)}
    - {(FIELD, rank, dict) for rank in range(8)}
    | {(CODE, rank, kind) for rank in range(INCIDENTAL) for kind in (str, int)}
    - {(CODE, SHAPED, str)}  # ".tag" follows its union
    | {(MESSAGE, rank, str) for rank in range(8)}
    | {(_UNKNOWN_KEY, NONE_YET, kind) for kind in _JSON_TYPES if kind not in (list, dict)}
    | {(CONTAINER, rank, dict) for rank in range(8)}  # a nested node
)
# (role, rank) -> the value types taken as they are.
_PLAIN = {
    (role, rank): frozenset(kind for kind in _JSON_TYPES if (role, rank, kind) in _AS_IS)
    for role in range(_UNKNOWN_KEY, ROLE_COUNT)
    for rank in (*range(8), NONE_YET)
}

"""Lists and maps of errors: one entry's field and message, a field map's items.

Entries come as objects (``{"field": "email", "message": "is invalid"}``, JSON:API
``source.pointer``, FastAPI ``loc``, Google ``fieldViolations``) or as maps of field ->
messages (``{"email": ["is invalid"]}``, nested maps give dotted names).
"""

from __future__ import annotations

from typing import Any

from errorlens._internal.reader.keys import (
    BROAD,
    ENTRIES,
    INCIDENTAL,
    KEYS,
    MESSAGE,
    VARIANT,
    normalise,
)
from errorlens._internal.reader.node import MAX_ENTRIES
from errorlens._internal.reader.vocabulary import words_of

__all__ = ["entry_field", "entry_message", "map_items", "reasons"]

_ENTRY_FIELD_KEYS = {
    "field": 0,
    "param": 0,
    "parameter": 0,
    "property": 1,
    "propertypath": 1,
    "pointer": 1,
    "instancepath": 1,
    "attribute": 2,
    "loc": 2,
    "name": 3,
    "target": 3,
    "path": 4,
    "location": 6,
    "key": 7,
}
_ENTRY_MESSAGE_KEYS = {
    "message": 0,
    "msg": 0,
    "errormessage": 0,
    "description": 1,
    "reason": 1,
    "detail": 1,
    "issue": 2,
    "title": 3,
    "error": 3,
    "summary": 3,
    "text": 1,
}
_LOC_PREFIXES = frozenset({"body", "query", "path", "header", "headers", "cookie", "form", "input"})
_POINTER_PREFIXES = frozenset({"data", "attributes", "relationships"})
_POINTER_KEYS = frozenset({"pointer", "instancepath", "field", "path"})
_LIST_KEYS = frozenset({"loc", "path", "field"})
# Keys that make a map an error node, never a map of field -> messages.
_META_KEYS = frozenset(
    {
        "code",
        "type",
        "message",
        "reason",
        "domain",
        "metadata",
        "expected",
        "status",
        "errors",
        "error",
        "details",
        "requestid",
        "retryafter",
        "limit",
        "docurl",
        "documentationurl",
        "help",
        "link",
        "links",
        "moreinfo",
        "timestamp",
    }
)
_MAX_REASONS = 10
_LONG_MESSAGE = 120


def entry_field(entry: dict[str, Any], max_rank: int = 99, depth: int = 0) -> str | None:
    """The field an entry names: ``field``/``param``, a JSON pointer, a ``loc`` path..."""
    best_rank = max_rank
    best: str | None = None
    for key, value in entry.items():
        if not isinstance(key, str):
            continue
        norm = normalise(key)
        if norm in _HOLDERS and isinstance(value, dict):
            # JSON:API {"source": {"pointer": ...}}, {"meta": {"param_name": ...}},
            # GraphQL {"extensions": {"inputPath": [...]}}, {"target": {"name": ...}}.
            # Only a name that says field: not GraphQL's response "path" in extensions.
            inner = entry_field(value, _HELD_RANK, depth + 1) if depth < 2 else None
            if inner is not None and best_rank > 1:
                best, best_rank = inner, 1
            continue
        rank = _ENTRY_FIELD_KEYS.get(norm)
        if rank is None:
            rank = _field_by_words(key)
        if rank is None or rank >= best_rank:
            continue
        if norm == "path" and "locations" in entry:
            continue  # GraphQL: the response path, not an input field
        if norm == "name" and isinstance(value, str) and value.lower().endswith(_ERROR_ENDS):
            continue  # Strapi: {"path": ["title"], "name": "ValidationError"}: the error's
        text = field_name(value, norm)
        if text is not None:
            best, best_rank = text, rank
    return best


def _field_by_words(key: str) -> int | None:
    # "parameterName", "fieldName", "param_name", "inputPath": a name or path of a field.
    words = words_of(key)
    if len(words) > 1 and words[-1] in _FIELD_HEADS and words[-2] in _FIELD_WORDS:
        return 1
    return None


_ERROR_ENDS = ("error", "exception", "fault")
_HELD_RANK = 4
_HOLDERS = frozenset({"source", "meta", "extensions", "target", "context"})
_FIELD_HEADS = frozenset({"name", "path", "pointer", "key"})
# "api_name": a field's name in the API (Zoho, Salesforce's apiName), not the API's.
_FIELD_WORDS = frozenset(
    {"field", "parameter", "property", "attribute", "input", "argument", "api"}
)


def field_name(value: Any, norm: str) -> str | None:
    """A field name as dotted text, from a string, a pointer or a path list."""
    if isinstance(value, str):
        return _text_field(value.strip(), norm)
    if isinstance(value, list) and value and (norm in _LIST_KEYS or norm.endswith("path")):
        parts = [str(p) for p in value[:20] if isinstance(p, str | int) and not isinstance(p, bool)]
        if len(parts) > 1 and parts[0] in _LOC_PREFIXES:
            parts = parts[1:]  # FastAPI: ["body", "email"]
        return ".".join(parts) or None
    return None


def _text_field(text: str, norm: str) -> str | None:
    if not text or len(text) > 200:
        return None
    if text.startswith("/") and norm in _POINTER_KEYS:
        return _pointer_path([p for p in text.split("/") if p])
    if "." in text and norm == "pointer":  # a dotted pointer: "attributes.amount"
        return _pointer_path(text.split("."))
    if text.startswith(".") and len(text) > 1 and norm in _POINTER_KEYS:
        return text[1:]  # a JSON path from the root: ".city" (AJV's dataPath)
    if text.startswith("#/"):
        return ".".join(p for p in text[2:].split("/") if p) or None
    return text


def _pointer_path(parts: list[str]) -> str | None:
    while parts and parts[0] in _POINTER_PREFIXES:
        parts.pop(0)
    return ".".join(parts) or None


def entry_message(entry: dict[str, Any]) -> str | None:
    """An entry's text: its best message-like key, else its code."""
    best_rank = 99
    best: str | None = None
    for key, value in entry.items():
        if not isinstance(key, str) or not isinstance(value, str) or not value.strip():
            continue
        rank = _ENTRY_MESSAGE_KEYS.get(normalise(key))
        if rank is not None and rank < best_rank:
            best, best_rank = value.strip(), rank
    if best is None:
        code = entry.get("code")
        if isinstance(code, str) and code:
            best = code
    return best


def _error_key(key: str) -> bool:
    # A key of an error node, not a field: {"errors": {"detail": "Not Found"}} is no
    # field map (Phoenix).
    norm = normalise(key)
    known = KEYS.get(norm)
    return norm in _META_KEYS or (
        known is not None and (known[0] != MESSAGE or known[1] <= BROAD) and known[1] < INCIDENTAL
    )


def map_items(
    mapping: dict[Any, Any], prefix: str = "", depth: int = 0
) -> list[tuple[str, str | None]] | None:
    """Field map -> [(field, message)], or None when ``mapping`` is not a field map.

    ``{"email": ["is invalid"], "name": "is required"}``; nested maps give dotted
    names, and a nested node's own error list or message gives the message
    (``{"access_token": {"_errors": [{"message": "required"}]}}``).
    """
    items: list[tuple[str, str | None]] = []
    for key, value in list(mapping.items())[:MAX_ENTRIES]:
        if not isinstance(key, str) or _error_key(key):
            return None
        found = _item(f"{prefix}{key}", value, depth)
        if found is None:
            return None
        items.extend(found)
    return items or None


def _item(name: str, value: Any, depth: int) -> list[tuple[str, str | None]] | None:
    if isinstance(value, str):
        return [(name, value)]
    if isinstance(value, list) and all(isinstance(v, str) for v in value[:20]):
        return [(name, "; ".join(value[:5]) if value else None)]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        message = entry_message(value[0])
        return [(name, message)] if message is not None else None
    if isinstance(value, dict) and depth < 4:
        own = _nested_message(value)
        if own is not None:
            return [(name, own)]
        return map_items(value, f"{name}.", depth + 1)
    return None


def _nested_message(node: dict[str, Any]) -> str | None:
    # A field's own error node: {"_errors": [{"message": ...}]} or {"message": ...}.
    for key, value in node.items():
        found = KEYS.get(normalise(key)) if isinstance(key, str) else None
        if found is None:
            continue
        if found[0] == MESSAGE and found[1] <= VARIANT and isinstance(value, str):
            return value
        if found[0] == ENTRIES and isinstance(value, list) and value:
            lead = value[0]
            if isinstance(lead, dict):
                return entry_message(lead)
            if isinstance(lead, str):
                return lead
    return None


def _entry_texts(entries: list[Any], skip_first: bool) -> list[str]:
    texts: list[str] = []
    for entry in entries[:MAX_ENTRIES]:
        if isinstance(entry, str):  # {"errors": ["name is required", ...]}
            if entry.strip() and not skip_first:
                texts.append(entry.strip())
            skip_first = False
            continue
        if not isinstance(entry, dict) or entry.get("@type") is not None:
            continue
        if skip_first:
            skip_first = False
            continue
        text = entry_message(entry)
        if text is None:
            continue
        field = entry_field(entry)
        texts.append(f"{field}: {text}" if field and not text.startswith(field) else text)
    return texts


def item_texts(items: list[tuple[str, str | None]]) -> list[str]:
    return [f"{f}: {m}" if m else f for f, m in items]


def join_texts(texts: list[str]) -> str:
    joined = "; ".join(texts[:_MAX_REASONS])
    if len(texts) > _MAX_REASONS:
        joined += f"; (+{len(texts) - _MAX_REASONS} more)"
    return joined


def reasons(entries: Any, field_map: Any, message: str | None, own_message: bool) -> str | None:
    """The specific reasons to append to a generic message, or None."""
    texts: list[str] = []
    if isinstance(entries, list):
        texts = _entry_texts(entries, skip_first=not own_message)
    elif isinstance(field_map, dict):
        texts = item_texts(map_items(field_map) or [])
    if not texts:
        return None
    if message and all(t in message for t in texts):
        return None
    if own_message and message and len(message) > _LONG_MESSAGE:
        return None  # a specific message already; the fields carry the rest
    return join_texts(texts)

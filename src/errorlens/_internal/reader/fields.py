"""``fields``: per-field validation failures, from every common shape, built on demand."""

from __future__ import annotations

from typing import Any

from errorlens._internal.reader.body import Body
from errorlens._internal.reader.entries import entry_field, entry_message, map_items
from errorlens._internal.reader.keys import (
    DETAILS,
    ENTRIES,
    FIELD,
    FIELD_MAP,
    HEADLINE,
    INCIDENTAL,
    SHAPED,
    STANDARD,
)
from errorlens._internal.reader.node import MAX_ENTRIES, NodeScan
from errorlens._internal.text import cap
from errorlens.record import FieldError

__all__ = ["FieldCollector", "read_fields"]

_MAX_FIELDS = 100
_VALIDATION_STATUSES = frozenset({400, 422})
_VALIDATION_WORDS = ("validat", "required", "unprocessable", "missing", "constraint")
_INPUT_FAULT_WORDS = (*_VALIDATION_WORDS, "invalid", "malformed")


class FieldCollector:
    """An ordered, de-duplicated, bounded list of field errors."""

    __slots__ = ("out", "seen")

    def __init__(self) -> None:
        self.out: list[FieldError] = []
        self.seen: set[tuple[str, str | None]] = set()

    def add(self, field: str | None, message: str | None) -> None:
        if not field:
            return
        item = FieldError(cap(field, 200), cap(message, 500) if message else None)
        if (item.field, item.message) not in self.seen and len(self.out) < _MAX_FIELDS:
            self.seen.add((item.field, item.message))
            self.out.append(item)

    def add_items(self, items: list[tuple[str, str | None]] | None) -> None:
        for field, message in items or ():
            self.add(field, message)

    def add_entries(self, entries: Any) -> None:
        if isinstance(entries, list):
            for entry in entries[:MAX_ENTRIES]:
                if isinstance(entry, dict):
                    self.add_entry(entry)

    def add_entry(self, entry: dict[str, Any]) -> None:
        violations = entry.get("fieldViolations")
        if isinstance(violations, list):  # google.rpc.BadRequest
            for item in violations[:MAX_ENTRIES]:
                if isinstance(item, dict):
                    self.add(entry_field(item), entry_message(item))
            return
        if entry.get("@type") is not None:
            return
        message = entry_message(entry)
        names = entry.get("fields")
        if isinstance(names, list) and names and all(isinstance(f, str) for f in names[:20]):
            for name in names[:20]:  # Salesforce: {"fields": ["Name", "Email"]}
                self.add(name, message)
            return
        self.add(entry_field(entry), message)


def read_fields(
    body: Body,
    status: int | None,
    words: tuple[str | None, ...],
    field_map: dict[Any, Any] | None,
) -> tuple[FieldError, ...]:
    """Every field error the body names. ``words`` are the code, type and message."""
    found = FieldCollector()
    # A server error with further "details" (OData) names no field that failed
    # validation: its targets are query options, not inputs.
    if status is not None and status >= _SERVER_ERROR and _details_entries(body):
        return ()
    # A top-level array of errors: its first entry is one of them too.
    found.add_entries(body.top_entries if body.top_entries else body.entries)
    if not found.out:
        _node_field(body, words, found)
    for scan in reversed(body.scans):
        # A map under "errors" is field errors; under another key ("params") only when
        # the status says validation failed (a 401's params are the request's own).
        if isinstance(scan.values[FIELD_MAP], dict) and (
            scan.ranks[FIELD_MAP] == STANDARD or status in _VALIDATION_STATUSES
        ):
            found.add_items(_field_map_items(scan.values[FIELD_MAP], scan.ranks[FIELD_MAP]))
    if isinstance(body.details, dict):
        _details_fields(body, status, words, found)
    if field_map is not None:
        found.add_items(map_items(field_map))
    return tuple(found.out)


_SERVER_ERROR = 500


def _field_map_items(mapping: dict[Any, Any], rank: int) -> list[tuple[str, str | None]] | None:
    # A key whose own words name the fields at fault ("events_with_missing_fields")
    # makes its keys the fields, whatever its values are (Amplitude's event indices).
    items = map_items(mapping)
    if items is None and rank == SHAPED:
        items = [(key, None) for key in list(mapping)[:MAX_ENTRIES] if isinstance(key, str)]
    return items


def _details_entries(body: Body) -> bool:
    inner = body.inner
    return inner is not None and inner.ranks[ENTRIES] == HEADLINE


def _node_field(body: Body, words: tuple[str | None, ...], found: FieldCollector) -> None:
    # The node's own field (Stripe's "param", an OData "target") only when no entry
    # names a more specific one. A key that names a field only sometimes (Airwallex's
    # "source": the input at fault, or the resource an auth error is about) counts
    # when the error's words say an input was wrong.
    inner = body.inner
    if inner is None or (inner.ranks[FIELD] == INCIDENTAL and not _input_fault(words)):
        return
    message = words[-1]
    value = inner.values[FIELD]
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    for name in names[:MAX_ENTRIES]:
        if isinstance(name, str):
            found.add(name, message)


def _details_fields(
    body: Body, status: int | None, words: tuple[str | None, ...], found: FieldCollector
) -> None:
    details: dict[str, Any] = body.details
    # Only an unmistakable field key: {"name": "is required"} is a field map.
    own = entry_field(details, max_rank=2)
    if own is not None:
        found.add(own, entry_message(details) or words[-1])
        return
    nested = body.details_scan or NodeScan(details, body.xml)
    found.add_entries(nested.values[ENTRIES])
    if isinstance(nested.values[FIELD_MAP], dict):
        found.add_items(map_items(nested.values[FIELD_MAP]))
    elif nested.values[ENTRIES] is None and _plain(body) and _validation(status, words):
        found.add_items(map_items(details))


def _plain(body: Body) -> bool:
    # Only a key named "details" may hold a bare field map ("metadata" may not).
    return body.scans[-1].ranks[DETAILS] == STANDARD or body.scans[0].ranks[DETAILS] == STANDARD


def _says(words: tuple[str | None, ...], stems: tuple[str, ...]) -> bool:
    """Whether the code, type or message holds one of ``stems``."""
    text = " ".join(t for t in words if t).lower()
    return any(stem in text for stem in stems)


def _input_fault(words: tuple[str | None, ...]) -> bool:
    return _says(words, _INPUT_FAULT_WORDS)


def _validation(status: int | None, words: tuple[str | None, ...]) -> bool:
    return status in _VALIDATION_STATUSES or _says(words, _VALIDATION_WORDS)

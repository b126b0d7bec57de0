"""A decoded body, walked once: its error nodes from the root inwards, each scanned once.

The walk follows error containers (``error``, ``fault``, ``Error``, a SOAP
``Envelope``/``Body``); ``scans[-1]`` is the innermost node. ``best(role)`` is the
innermost node's candidate, the outer ones filling gaps. The lead entry of a list of
errors, the ``details`` node and google.rpc typed details are looked at only when a rule
asks for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from errorlens._internal.reader.keys import (
    BARE_NODE,
    BODY_STRINGS,
    BODY_TEXT,
    CODE,
    CONTAINER,
    DETAILS,
    ENTRIES,
    FIELD,
    FIELD_MAP,
    LEAD,
    MESSAGE,
    ROLE_COUNT,
    ROOT_NAME,
    role_of,
)
from errorlens._internal.reader.node import MAX_ENTRIES, NodeScan
from errorlens._internal.reader.values import seconds
from errorlens._internal.state import on_reset

__all__ = ["Body", "read_body"]

_MAX_DEPTH = 6
_NO_VALUES: list[Any] = [None] * ROLE_COUNT
_UNSET: Any = object()
_CONTAINER_BIT = 1 << CONTAINER
_ENTRIES_BIT = 1 << ENTRIES


class Body:
    """What the rules read from a body: nodes, lists of errors, and the raw shape."""

    # Class-level defaults: a body sets only what it has.
    scans: Sequence[NodeScan] = ()
    merged: list[Any] = _NO_VALUES
    present = 0  # fact bits (``keys``): the roles found, a list of errors...
    text: str | None = None  # a body that is one JSON string
    strings: list[str] | None = None  # a top-level array of strings
    top_entries: list[dict[Any, Any]] | None = None  # a top-level array of errors
    root_name: str | None = None  # the XML root element's name
    _lead: Any = _UNSET
    _details_scan: Any = _UNSET
    _typed: Any = _UNSET

    def __init__(self, xml: bool = False) -> None:
        self.xml = xml

    def best(self, role: int) -> Any:
        return self.merged[role]

    @property
    def inner(self) -> NodeScan | None:
        return self.scans[-1] if self.scans else None

    @property
    def entries(self) -> Any:
        """The list of errors: the node's own, else the rest of a top-level array."""
        entries = self.merged[ENTRIES]
        if entries is None and self.top_entries is not None and len(self.top_entries) > 1:
            return self.top_entries[1:]
        return entries

    @property
    def lead(self) -> NodeScan | None:
        """The first object of the list of errors, scanned."""
        if self._lead is _UNSET:
            self._lead = _lead_scan(self.entries, self.xml)
        lead: NodeScan | None = self._lead
        return lead

    @property
    def details(self) -> Any:
        return self.merged[DETAILS]

    @property
    def details_scan(self) -> NodeScan | None:
        if self._details_scan is _UNSET:
            details = self.details
            self._details_scan = NodeScan(details, self.xml) if isinstance(details, dict) else None
        scan: NodeScan | None = self._details_scan
        return scan

    @property
    def typed(self) -> tuple[str | None, float | None]:
        """google.rpc typed details: (ErrorInfo reason, RetryInfo delay)."""
        if self._typed is _UNSET:
            details = self.details
            self._typed = _typed_details(details if isinstance(details, list) else self.entries)
        typed: tuple[str | None, float | None] = self._typed
        return typed

    def has_parts(self) -> bool:
        """True when details or fields may be found later (worth a lazy builder)."""
        merged = self.merged
        return (
            merged[DETAILS] is not None
            or self.entries is not None
            or merged[FIELD] is not None
            or merged[FIELD_MAP] is not None
            or len(self.scans) > 1
        )


def read_body(data: Any, xml: bool = False) -> Body:
    """Walk ``data`` (a decoded JSON value, or XML as nested dicts). Bounded work."""
    body = Body(xml)
    if isinstance(data, str):
        body.text = data.strip() or None
        body.present = BODY_TEXT if body.text else 0
        return body
    if isinstance(data, list):
        data = _top_level_array(body, data)
    if not isinstance(data, dict):
        return body
    if xml and len(data) == 1:
        name, root_value = next(iter(data.items()))
        if isinstance(root_value, dict):
            body.root_name = name
            body.present = ROOT_NAME if name else 0
            data = root_value  # the root element only wraps the document
    _walk(body, data)
    if body.present & _ENTRIES_BIT or (body.top_entries and len(body.top_entries) > 1):
        body.present |= LEAD
    return body


def _top_level_array(body: Body, data: list[Any]) -> Any:
    entries = [e for e in data[:MAX_ENTRIES] if isinstance(e, dict)]
    if entries:
        body.top_entries = entries
        return entries[0]
    strings = [e for e in data[:10] if isinstance(e, str)]
    body.strings = strings or None
    body.present = BODY_STRINGS if strings else 0
    return None


def _walk(body: Body, node: dict[Any, Any]) -> None:
    scan = NodeScan(node, body.xml)
    scans = [scan]
    outer = 0  # the roles of the nodes around the innermost one
    if not scan.present & _ERROR_FACTS:
        wrapped = _enveloped(node, body.xml) or _enveloped_list(body, node)
        if wrapped is not None:
            outer, scan = scan.present, wrapped
            scans.append(scan)
    for _ in range(_MAX_DEPTH):
        inner = scan.values[CONTAINER]
        if not isinstance(inner, dict) or not inner:
            break
        outer |= scan.present
        scan = NodeScan(inner, body.xml)
        scans.append(scan)
    body.scans = scans
    # The outer nodes fill the innermost one's gaps: none to fill when they only hold
    # roles it has (the common case: an "error" container and nothing else).
    filled = outer & ~(scan.present | _CONTAINER_BIT)
    body.merged = _merged(scans) if filled else scan.values
    present = outer | scan.present
    body.present |= present if scan.present else present | BARE_NODE


# Facts that make a node an error node: without them, the root may be an envelope.
_ERROR_FACTS = 1 << CODE | 1 << MESSAGE | _CONTAINER_BIT | _ENTRIES_BIT
# Wrappers that say nothing themselves: {"Response": {"Error": ...}}, {"meta": {...}}.
_ENVELOPES = frozenset({"response", "result", "data", "meta", "body", "payload", "d"})
_ENVELOPE_KEYS = 16
_OWN_FACTS = 1 << CODE | 1 << MESSAGE


def _enveloped(node: dict[Any, Any], xml: bool) -> NodeScan | None:
    """The node one level down that carries the error facts, when the root carries none.

    A wrapper word (``Response``, ``meta``, ``data``) may hold any error fact; another
    key ({"status": {"code": ..., "description": ...}}) must hold a code or a text.
    """
    for key, value in list(node.items())[:_ENVELOPE_KEYS]:
        if type(key) is not str or not isinstance(value, dict) or not value:
            continue
        wrapper = key.lower() in _ENVELOPES
        if not wrapper and role_of(key, xml)[0] == DETAILS:
            continue  # {"details": {"code": ...}} stays the node's details
        scan = NodeScan(value, xml)
        if scan.present & (_ERROR_FACTS if wrapper else _OWN_FACTS):
            return scan
    return None


def _enveloped_list(body: Body, node: dict[Any, Any]) -> NodeScan | None:
    """Zoho: {"data": [{"code": ..., "message": ..., "status": "error"}]}: a wrapper
    that holds a list of per-item results, the first of which is an error, holds the
    errors as a top-level array would (the first is the error node, all are entries)."""
    for key, value in list(node.items())[:_ENVELOPE_KEYS]:
        if type(key) is not str or key.lower() not in _ENVELOPES or not isinstance(value, list):
            continue
        entries = [e for e in value[:MAX_ENTRIES] if isinstance(e, dict)]
        scan = NodeScan(entries[0], body.xml) if entries else None
        if scan is not None and scan.present & _OWN_FACTS:
            body.top_entries = entries
            return scan
    return None


def _merged(scans: list[NodeScan]) -> list[Any]:
    # The innermost node's candidates; the outer ones fill its gaps, nearest first. The
    # containers were followed, not kept: ``merged[CONTAINER]`` means nothing.
    merged = scans[-1].values
    have = scans[-1].present | _CONTAINER_BIT
    for scan in reversed(scans[:-1]):
        missing = scan.present & ~have
        if missing:
            if merged is scans[-1].values:
                merged = list(merged)
            values = scan.values
            for role in _roles(missing):
                merged[role] = values[role]
            have |= missing
    return merged


@lru_cache(maxsize=1024)
def _roles(bits: int) -> tuple[int, ...]:
    """The roles whose bits are set in ``bits``: few sets recur."""
    return tuple(r for r in range(ROLE_COUNT) if bits >> r & 1)


on_reset(_roles.cache_clear)


def _lead_scan(entries: Any, xml: bool) -> NodeScan | None:
    if isinstance(entries, list):
        for entry in entries[:MAX_ENTRIES]:
            if isinstance(entry, dict):
                return NodeScan(entry, xml)
    return None


def _typed_details(items: Any) -> tuple[str | None, float | None]:
    # google.rpc.Status: details is a list of {"@type": ..., ...} messages.
    reason: str | None = None
    delay: float | None = None
    if not isinstance(items, list):
        return None, None
    for item in items[:MAX_ENTRIES]:
        kind = item.get("@type") if isinstance(item, dict) else None
        if not isinstance(kind, str):
            continue
        if reason is None and kind.endswith("ErrorInfo"):
            value = item.get("reason")
            reason = value if isinstance(value, str) and value else None
        elif delay is None and kind.endswith("RetryInfo"):
            delay = seconds(item.get("retryDelay"))
    return reason, delay


def code_rank(body: Body) -> int | None:
    """The rank of the code key in the innermost node that has one."""
    for scan in reversed(body.scans):
        if scan.values[CODE] is not None:
            return scan.ranks[CODE]
    return None

"""Decode a body once: JSON, XML, HTML or text, reading at most a bounded prefix.

A body within :data:`READ_CAP` is parsed whole. A larger one is not an ordinary error
body: only its first :data:`SALVAGE_WINDOW` bytes are looked at, and the usual keys are
salvaged from that prefix, so the cost stays flat however large the body is.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

__all__ = ["READ_CAP", "SALVAGE_WINDOW", "Document", "decode"]

READ_CAP = 64 * 1024
SALVAGE_WINDOW = 4 * 1024
_XML_MAX_DEPTH = 24
_XML_MAX_CHILDREN = 200


class Document:
    """A decoded body. ``data`` is a JSON value (an XML body becomes a nested dict)."""

    __slots__ = ("data", "kind", "text")

    def __init__(self, kind: str, data: Any = None, text: str | None = None) -> None:
        self.kind = kind  # "json", "xml", "html", "text" or "empty"
        self.data = data
        self.text = text


EMPTY = Document("empty")

# A value with an escaped quote is not salvaged (json.loads of the cut text fails and
# the key is skipped): an unescaped-only string pattern backtracks cheaply, where one
# that allows escapes costs several times more on an unterminated string.
_JSON_SALVAGE = re.compile(
    r'"([A-Za-z_@$][\w\-.@$]{0,40})"\s*:\s*("[^"\n]{0,600}"|-?\d{1,20}(?:\.\d+)?|true|false)'
)
_XML_SALVAGE = re.compile(r"<(?:[\w.-]+:)?([A-Za-z][\w.-]{0,40})>([^<]{1,600})</(?:[\w.-]+:)?\1>")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


def decode(body: Any, content_type: str | None = None) -> Document:
    """Decode ``body`` (bytes, str, or an already-parsed JSON value). Never raises."""
    if body is None:
        return EMPTY
    if isinstance(body, dict | list):
        return Document("json", body)
    if isinstance(body, bytes | bytearray | memoryview):
        raw = bytes(body[:SALVAGE_WINDOW]) if len(body) > READ_CAP else bytes(body)
        if not raw.strip():
            return EMPTY
        text = raw.decode("utf-8", "replace")
        oversize = len(body) > READ_CAP
    elif isinstance(body, str):
        oversize = len(body) > READ_CAP
        text = body[:SALVAGE_WINDOW] if oversize else body
        if not text.strip():
            return EMPTY
    else:
        return EMPTY
    return _decode_text(text, content_type, oversize)


def _decode_text(text: str, content_type: str | None, oversize: bool) -> Document:
    stripped = text.lstrip()
    if stripped.startswith("\ufeff"):
        stripped = stripped[1:].lstrip()
    first = stripped[:1]
    ctype = content_type or ""
    if first in '{["' or "json" in ctype:
        if not oversize:
            try:
                return Document("json", json.loads(stripped))
            except (ValueError, RecursionError):
                pass
        salvaged = _salvage_json(stripped)
        if salvaged:
            return Document("json", salvaged)
        return _as_text(stripped)
    if first == "<":
        head = stripped[:200].lower()
        if "<html" in head or "<!doctype html" in head or "html" in ctype:
            return _as_html(stripped)
        if not oversize:
            data = _parse_xml(stripped)
            if data is not None:
                return Document("xml", data)
        salvaged_xml = _salvage_xml(stripped)
        if salvaged_xml:
            return Document("xml", salvaged_xml)
        return _as_html(stripped)
    return _as_text(stripped)


def _salvage_json(text: str) -> dict[str, Any] | None:
    # The first occurrence of each key, as a flat object: enough for the generic reader
    # to find code, message and ids in a truncated or malformed body.
    found: dict[str, Any] = {}
    for match in _JSON_SALVAGE.finditer(text, 0, SALVAGE_WINDOW):
        key = match.group(1)
        if key in found:
            continue
        raw = match.group(2)
        try:
            found[key] = json.loads(raw)
        except ValueError:
            continue
        if len(found) >= 64:
            break
    return found or None


def _salvage_xml(text: str) -> dict[str, Any] | None:
    found: dict[str, Any] = {}
    for match in _XML_SALVAGE.finditer(text, 0, SALVAGE_WINDOW):
        found.setdefault(match.group(1), html.unescape(match.group(2)).strip())
        if len(found) >= 64:
            break
    return {"Error": found} if found else None


def _parse_xml(text: str) -> dict[str, Any] | None:
    try:
        from defusedxml import ElementTree as SafeElementTree

        root = SafeElementTree.fromstring(text, forbid_dtd=True)
    except Exception:  # DTDs, entities, malformed markup: all just "not XML we read"
        return None
    return {_local_name(root.tag): _element_value(root, 0)}


def _local_name(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    name: str = tag.rpartition("}")[2] if tag.startswith("{") else tag
    return name.rpartition(":")[2]


def _element_value(element: Any, depth: int) -> Any:
    children = list(element)[:_XML_MAX_CHILDREN]
    if not children or depth >= _XML_MAX_DEPTH:
        text = element.text
        return text.strip() if isinstance(text, str) and text.strip() else None
    out: dict[str, Any] = {}
    for child in children:
        name = _local_name(child.tag)
        if not name:
            continue
        value = _element_value(child, depth + 1)
        if name in out:
            existing = out[name]
            if isinstance(existing, list):
                existing.append(value)
            else:
                out[name] = [existing, value]
        else:
            out[name] = value
    return out


def _clean(fragment: str) -> str:
    return _SPACES.sub(" ", html.unescape(_TAGS.sub(" ", fragment))).strip()


def _as_html(text: str) -> Document:
    window = text[:READ_CAP]
    match = _TITLE.search(window) or _H1.search(window)
    title = _clean(match.group(1))[:300] if match else None
    return Document("html", None, title or None)


def _as_text(text: str) -> Document:
    cleaned = _SPACES.sub(" ", text[:2048]).strip()
    return Document("text", None, cleaned[:500] or None)

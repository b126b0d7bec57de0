"""Vendor text made safe for a terminal or a page: control characters shown, not obeyed.

>>> printable("req_1\\x1b[2J\\nnext")
'req_1\\\\x1b[2J\\\\nnext'
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["cap", "json_text", "printable"]

# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what is shown.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# What json.dumps leaves raw (it escapes C0 controls itself).
_JSON_RAW = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character written as its escape (``\\x07``, ``\\n``)."""
    return _CONTROL.sub(_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """``value`` as JSON, legible (not ASCII-only) yet with no raw control character.

    JSON escapes C0 controls itself; DEL, C1 controls and bidi overrides are escaped here.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent, default=str)
    return _JSON_RAW.sub(_json_escape, text)


def cap(text: str, limit: int, marker: str = "\u2026") -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``marker`` when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(marker), 0)] + marker

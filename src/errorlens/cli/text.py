"""Vendor text made safe for a terminal or a page: control characters shown, not obeyed.

>>> from errorlens.cli.text import printable
>>> printable("req_1\\x1b[2J\\nnext")
'req_1\\\\x1b[2J\\\\nnext'
"""

from __future__ import annotations

import json
import re
from typing import Any

from errorlens._internal.text import cap, escape_controls

__all__ = ["cap", "json_text", "printable"]

# What json.dumps leaves raw (it escapes C0 controls itself).
_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character written as its escape (``\\x07``, ``\\n``)."""
    return escape_controls(text)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """``value`` as JSON, legible (not ASCII-only) yet with no raw control character.

    JSON escapes C0 controls itself; DEL, C1 controls and bidi overrides are escaped here.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent, default=str)
    return _JSON_RAW.sub(_json_escape, text)

"""Small text helpers shared by the reader and every output."""

from __future__ import annotations

import re

__all__ = ["cap", "escape_controls", "escape_controls_in_lines"]

# What a terminal or a line-based reader obeys: C0 and C1 controls, DEL, the line and
# paragraph separators (U+2028, U+2029) and the bidirectional marks and overrides.
_CONTROLS = "\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{_CONTROLS}]")
# The same, but the line break and the tab: for text that is many lines by nature.
_CONTROL_IN_LINES = re.compile(f"(?![\n\t])[{_CONTROLS}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` on one line: every control character written as its escape (``\\x1b``,
    ``\\n``, ``\\u2028``), so that nothing a vendor sent can forge a line or drive a
    terminal.

    >>> from errorlens._internal.text import escape_controls
    >>> escape_controls("req_1\\n\\x1b[2J")
    'req_1\\\\n\\\\x1b[2J'
    """
    return text if text.isprintable() else _CONTROL.sub(_escape, text)


def escape_controls_in_lines(text: str) -> str:
    """:func:`escape_controls` for text of many lines (a traceback): line breaks and
    tabs stay, every other control character is escaped."""
    return text if text.isprintable() else _CONTROL_IN_LINES.sub(_escape, text)


def cap(text: str, limit: int, marker: str = "\u2026") -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``marker`` when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(marker), 0)] + marker

"""Small text helpers shared by the reader and every output."""

from __future__ import annotations

__all__ = ["cap"]


def cap(text: str, limit: int, marker: str = "\u2026") -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``marker`` when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(marker), 0)] + marker

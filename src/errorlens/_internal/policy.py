"""What deserves attention: the level of each API error, and which levels reach Sentry.

A policy maps keys to levels; the most specific key that matches a record wins:

1. ``"vendor:code"`` (``"stripe:card_declined"``)
2. ``"status:N"`` (``"status:404"``)
3. ``"category:name"`` (``"category:validation"``)
4. ``"vendor"`` (``"stripe"``)

and else the level the line was logged at. A level is a number, a name (``"warning"``)
or ``"drop"`` (also None): the line is not written and nothing reaches Sentry, while
metrics still count it. ``sentry_level`` (default ERROR) is the least level that
becomes a Sentry event; lower ones become breadcrumbs.

Every output applies the same policy: the structlog processor and the stdlib handler
put the policy's level on the line, the Sentry sink reads it from the event.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from errorlens.record import ErrorRecord

__all__ = ["DROP", "Policy", "current", "level_name", "parse_level", "set_current"]

DROP = -1
"""The level of a dropped line: below every handler's and Sentry's threshold."""

_DROP_WORDS = frozenset({"drop", "off", "none", "silent"})


def parse_level(value: int | str | None) -> int:
    """A level as logging knows it, from a number, a name, or ``"drop"``/None."""
    if value is None:
        return DROP
    if isinstance(value, bool):
        raise ValueError(f"not a level: {value!r}")
    if isinstance(value, int):
        return value
    text = value.strip().lower()
    if text in _DROP_WORDS:
        return DROP
    number = logging.getLevelName(text.upper())
    if isinstance(number, int):
        return number
    raise ValueError(f"unknown level {value!r}")


def level_name(level: int) -> str:
    """``"warning"`` for WARNING; ``"drop"`` for a dropped line."""
    if level == DROP:
        return "drop"
    name = logging.getLevelName(level)
    return name.lower() if isinstance(name, str) else str(level)


class Policy:
    """Levels per vendor, code, status and category; the least level sent to Sentry.

    >>> import logging, errorlens
    >>> from errorlens._internal.policy import Policy
    >>> policy = Policy({"stripe:card_declined": "info", "category:auth": "critical"})
    >>> body = b'{"error": {"type": "card_error", "code": "card_declined"}}'
    >>> record = errorlens.from_http(402, {}, body, url="https://api.stripe.com/v1/charges")
    >>> logging.getLevelName(policy.level_for(record, logging.ERROR))
    'INFO'

    .. versionadded:: 0.1.0
    """

    __slots__ = (
        "_by_category",
        "_by_code",
        "_by_status",
        "_by_vendor",
        "explicit_sentry_level",
        "sentry_level",
    )

    def __init__(
        self,
        levels: Mapping[str, int | str | None] | None = None,
        sentry_level: int | str | None = None,
    ) -> None:
        self._by_code: dict[tuple[str, str], int] = {}
        self._by_status: dict[int, int] = {}
        self._by_category: dict[str, int] = {}
        self._by_vendor: dict[str, int] = {}
        for key, value in (levels or {}).items():
            self._add(key, parse_level(value))
        # Unset, the Sentry integration's own ``event_level`` rules (ERROR by default).
        self.explicit_sentry_level = sentry_level is not None
        self.sentry_level = parse_level(sentry_level) if sentry_level is not None else logging.ERROR

    def sentry_threshold(self, integration_level: int) -> int:
        """The least level that becomes a Sentry event."""
        return self.sentry_level if self.explicit_sentry_level else integration_level

    def _add(self, key: str, level: int) -> None:
        kind, sep, rest = key.partition(":")
        if not sep:
            self._by_vendor[kind.strip().lower()] = level
        elif kind == "status":
            self._by_status[int(rest)] = level
        elif kind == "category":
            self._by_category[rest.strip()] = level
        else:
            self._by_code[(kind.strip().lower(), rest.strip())] = level

    @property
    def empty(self) -> bool:
        return not (self._by_code or self._by_status or self._by_category or self._by_vendor)

    def level_for(self, record: ErrorRecord, default: int) -> int:
        """The level of a line carrying ``record``, logged at ``default``."""
        if self.empty:
            return default
        vendor = record.vendor
        if vendor is not None and record.code is not None:
            found = self._by_code.get((vendor, record.code))
            if found is not None:
                return found
        if record.status is not None:
            found = self._by_status.get(record.status)
            if found is not None:
                return found
        if self._by_category:
            found = self._by_category.get(record.category)
            if found is not None:
                return found
        if vendor is not None:
            return self._by_vendor.get(vendor, default)
        return default

    def __repr__(self) -> str:
        return f"<Policy sentry_level={level_name(self.sentry_level)}>"


_DEFAULT = Policy()
_current: Policy = _DEFAULT


def current() -> Policy:
    """The policy every output applies now (``configure()``'s or ``attach()``'s)."""
    return _current


def set_current(policy: Policy | None) -> None:
    """Make ``policy`` the one every output applies; None restores the default."""
    global _current  # noqa: PLW0603 - one policy for the process, swapped whole
    _current = policy if policy is not None else _DEFAULT


@lru_cache(maxsize=64)
def stdlib_name(level: int) -> str:
    """The ``levelname`` a stdlib record gets at ``level``."""
    name: Any = logging.getLevelName(level)
    return name if isinstance(name, str) else f"Level {level}"

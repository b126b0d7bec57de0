"""Everything the field rules may look at: the status, the headers, the body, the source."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from errorlens._internal.reader.body import Body
from errorlens._internal.reader.headers import HeaderFacts
from errorlens._internal.reader.parts import HttpParts

__all__ = ["Evidence", "Rule", "first"]

T = TypeVar("T")


class Evidence:
    """The facts of one error, read once; rules pick from them, never re-read."""

    __slots__ = ("body", "code", "facts", "parts", "status", "text")

    def __init__(
        self,
        status: int | None,
        facts: HeaderFacts,
        body: Body,
        text: str | None = None,
        parts: HttpParts | None = None,
    ) -> None:
        self.status = status
        self.facts = facts
        self.body = body
        self.text = text  # the text of an HTML or plain-text body
        self.parts = parts if parts is not None else _NO_PARTS
        self.code: str | None = None  # the code once chosen: later fields may depend on it


_NO_PARTS = HttpParts()

Rule = Callable[[Evidence], T | None]


def first(rules: tuple[Callable[[Evidence], Any], ...], evidence: Evidence) -> Any:
    """The first rule's answer that is not None: the rules are in precedence order."""
    for rule in rules:
        found = rule(evidence)
        if found is not None:
            return found
    return None

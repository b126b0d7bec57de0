"""Everything the field rules may look at: the status, the headers, the body, the source.

Each rule of a chain names the facts it reads (bits of ``keys``); the evidence knows
which facts are present, so a chain runs only the rules that can find something. The
rules to run are worked out once per set of present facts and kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any, TypeVar

from errorlens._internal.reader.body import Body
from errorlens._internal.reader.document import Document
from errorlens._internal.reader.headers import HeaderFacts
from errorlens._internal.reader.keys import (
    DOC_TEXT,
    P_CODE,
    P_MESSAGE,
    P_REQUEST_ID,
    P_RETRYABLE,
    P_TYPE,
)
from errorlens._internal.reader.parts import HttpParts

__all__ = ["Chain", "Evidence", "Rule", "first", "first_of_all"]

T = TypeVar("T")


class Evidence:
    """The facts of one error, read once; rules pick from them, never re-read."""

    __slots__ = (
        "body",
        "code",
        "facts",
        "page",
        "parts",
        "present",
        "status",
        "text",
    )

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
        self.page = _NO_PAGE  # an HTML or text body's document: its kind, reference, code
        self.parts = parts if parts is not None else _NO_PARTS
        self.code: str | None = None  # the code once chosen: later fields may depend on it
        present = facts.present | body.present
        if text:
            present |= DOC_TEXT
        # What the source already parsed (from_http gives none of it).
        if parts is not None:
            if parts.code is not None:
                present |= P_CODE
            if parts.type is not None:
                present |= P_TYPE
            if parts.message is not None:
                present |= P_MESSAGE
            if parts.request_id is not None:
                present |= P_REQUEST_ID
            if parts.retryable is not None:
                present |= P_RETRYABLE
        self.present = present


_NO_PARTS = HttpParts()
_NO_PAGE = Document("empty")


Rule = Callable[[Evidence], T | None]


class Chain:
    """A field's rules in precedence order, each with the facts it reads.

    ``Chain((rule, facts), ...)``: ``facts`` is an OR of fact bits, any of which makes
    the rule worth running; ``ALWAYS`` (0) runs it whatever is present.
    """

    __slots__ = ("needs", "plan", "rules")

    def __init__(self, *rules: tuple[Callable[[Evidence], Any], int]) -> None:
        self.rules = tuple(rule for rule, _ in rules)
        self.needs = tuple(needs for _, needs in rules)
        # Responses of one API present the same few sets of facts: each is planned once.
        self.plan = lru_cache(maxsize=512)(self._plan)

    def __iter__(self) -> Iterator[Callable[[Evidence], Any]]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def _plan(self, present: int) -> tuple[Callable[[Evidence], Any], ...]:
        """The rules that can yield when the facts in ``present`` are there."""
        return tuple(
            rule
            for rule, needs in zip(self.rules, self.needs, strict=True)
            if not needs or needs & present
        )


def first(rules: Chain, evidence: Evidence) -> Any:
    """The first rule's answer that is not None: the rules are in precedence order."""
    for rule in rules.plan(evidence.present):
        found = rule(evidence)
        if found is not None:
            return found
    return None


def first_of_all(rules: Chain, evidence: Evidence) -> Any:
    """``first`` without the plan: every rule runs (the plan must never change the answer)."""
    for rule in rules:
        found = rule(evidence)
        if found is not None:
            return found
    return None

"""Keys read by their words: ``errNo``, ``error_number``, ``ERRCODE`` all name a code.

A key is split into words (camelCase, snake_case, kebab-case, ALLCAPS runs; a run
without separators is split into known words), abbreviations read as the words they
stand for (``err``, ``msg``, ``num``, ``desc`` ...). The roles come from a table derived
from the error schemas of public API descriptions (``vocabulary.json``, rebuilt by
``scripts/derive_vocabulary.py``): per word, how many providers used it, as the key's
last word (its head) or before it (a modifier), for each role. A key's role is the one
its words agree on most (each word's share, smoothed, multiplied), and only when that
agreement is clear; a role the reader does not read (an HTTP status, a url, a time)
still claims its keys, so that ``statusCode`` is never taken for the error's code.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = [
    "ABBREVIATIONS",
    "PLURALS",
    "Vocabulary",
    "load_table",
    "words_of",
]

# Abbreviations read as the words they stand for.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "err": ("error",),
    "errno": ("error", "number"),
    "errcode": ("error", "code"),
    "errmsg": ("error", "message"),
    "ecode": ("error", "code"),
    "emsg": ("error", "message"),
    "num": ("number",),
    "nbr": ("number",),
    "no": ("number",),
    "msg": ("message",),
    "desc": ("description",),
    "descr": ("description",),
    "req": ("request",),
    "reqid": ("request", "id"),
    "ref": ("reference",),
    "corr": ("correlation",),
    "txn": ("transaction",),
    "info": ("information",),
    "param": ("parameter",),
    "attr": ("attribute",),
    "ts": ("timestamp",),
    "uri": ("url",),
    "href": ("url",),
    "txt": ("text",),
    "doc": ("documentation",),
    "docs": ("documentation",),
    "exc": ("exception",),
    "uuid": ("id",),
    "guid": ("id",),
    "identifier": ("id",),
}
# Plural and singular are one word.
PLURALS: dict[str, str] = {
    "errors": "error",
    "messages": "message",
    "msgs": "message",
    "codes": "code",
    "details": "detail",
    "parameters": "parameter",
    "params": "parameter",
    "fields": "field",
    "ids": "id",
    "reasons": "reason",
    "causes": "cause",
    "issues": "issue",
    "descriptions": "description",
    "violations": "violation",
    "texts": "text",
}

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_MAX_KEY = 64  # longer keys are no field names
_MAX_PIECE = 16


def words_of(key: str, known: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """``"errNo"`` -> ``("error", "number")``; with ``known`` words, ``"ERRCODE"`` too."""
    out: list[str] = []
    for part in _SEPARATORS.split(key[:_MAX_KEY]):
        for token in _CAMEL.findall(part):
            out.extend(_expand(token.lower(), known))
    return tuple(out)


def _expand(token: str, known: frozenset[str]) -> tuple[str, ...]:
    if token in ABBREVIATIONS:
        return ABBREVIATIONS[token]
    token = PLURALS.get(token, token)
    if not known or token in known or len(token) < 5:
        return (token,)
    return _segment(token, known) or (token,)


def _segment(token: str, known: frozenset[str]) -> tuple[str, ...] | None:
    # "errorcode" -> ("error", "code"): the split into the fewest known words.
    best: list[tuple[str, ...] | None] = [None] * (len(token) + 1)
    best[0] = ()
    for end in range(2, len(token) + 1):
        for start in range(max(0, end - _MAX_PIECE), end - 1):
            head = best[start]
            piece = token[start:end]
            if head is None or not (piece in known or piece in ABBREVIATIONS or piece in PLURALS):
                continue
            candidate = head + _expand(piece, frozenset())
            current = best[end]
            if current is None or len(candidate) < len(current):
                best[end] = candidate
    return best[-1]


def load_table() -> dict[str, Any]:
    """The table shipped with the package."""
    text = resources.files(__package__).joinpath("vocabulary.json").read_text("utf-8")
    table: dict[str, Any] = json.loads(text)
    return table


_SMOOTHING = 1.0  # pseudo-providers spread over the roles by their overall share
_SURE = 0.65  # the same when some words are unknown to the table
_CLEAR = 0.55  # the winning role's share of the agreement, at least


class Vocabulary:
    """A derived table: ``role_of(key)`` -> (role name, share) or None."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.known = frozenset(table.get("known", ()))
        self.words: dict[str, dict[str, dict[str, int]]] = table.get("words", {})
        self.compounds: dict[str, dict[str, int]] = table.get("compounds", {})
        totals: dict[str, float] = {}
        for places in self.words.values():
            for counts in places.values():
                for role, count in counts.items():
                    totals[role] = totals.get(role, 0.0) + count
        whole = sum(totals.values()) or 1.0
        self.prior = {role: count / whole for role, count in totals.items()}
        self.role_of = lru_cache(maxsize=4096)(self._role_of)

    def _share(self, counts: dict[str, int] | None, role: str) -> float:
        total = sum(counts.values()) if counts else 0
        own = counts.get(role, 0) if counts else 0
        return (own + _SMOOTHING * self.prior[role]) / (total + _SMOOTHING)

    def _role_of(self, key: str) -> tuple[str, float] | None:
        words = words_of(key, self.known)
        if not words:
            return None
        compound = self.compounds.get(" ".join(words))
        if compound:
            return _clear_winner({role: float(n) for role, n in compound.items()})
        head = self.words.get(words[-1], {}).get("head")
        modifiers = [self.words.get(w, {}).get("mod") for w in words[:-1]]
        known = [m for m in modifiers if m]
        if head is None and not known:
            return None
        scores = {}
        for role in self.prior:
            score = self._share(head, role)
            for counts in known:
                score *= self._share(counts, role)
            scores[role] = score
        # Words the sample never saw before the head ("user_id"): the head alone
        # decides, and only when it is nearly always that role.
        unsure = len(known) < len(modifiers)
        return _clear_winner(scores, _SURE if unsure else _CLEAR)


def _clear_winner(scores: dict[str, float], least: float = _CLEAR) -> tuple[str, float] | None:
    total = sum(scores.values())
    if total <= 0:
        return None
    role = max(scores, key=scores.__getitem__)
    share = scores[role] / total
    return (role, share) if share >= least else None

"""What kind of failure an API error is: one of a dozen categories, for any vendor.

The generic rules come first and know no vendor: the words of the code (split like
``camelCase``, ``snake_case``, ``kebab-case``, ``dotted.names``), then the words of the
vendor's ``type``, then the HTTP status, the retry hints, and, for the broad statuses
(400, 403, 422, a 200 that carries errors), the words of the message. A small
catalogue shipped in the package (``codes.json``: vendor + code -> category, meaning,
documentation link, whether retrying helps, each entry naming the vendor page it comes
from) refines the answer for codes whose words mislead; :func:`register_codes` adds
entries. The catalogue only refines: a vendor it has never heard of still gets a
category from the generic rules.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from typing import Any, NamedTuple

__all__ = [
    "BROAD_STATUSES",
    "reads_message",
    "CATEGORIES",
    "CodeInfo",
    "category_of",
    "code_info",
    "generic_category",
    "register_codes",
    "unregister_codes",
]

CATEGORIES = (
    "auth",
    "permission",
    "not_found",
    "validation",
    "conflict",
    "payment",
    "quota",
    "rate_limit",
    "timeout",
    "unavailable",
    "server",
    "unknown",
)


class CodeInfo(NamedTuple):
    """What a vendor's documentation says about one of its error codes.

    ``retry``: whether retrying the same request may help (None: the page does not say).

    .. versionadded:: 0.1.0
    """

    category: str
    meaning: str | None = None
    doc_url: str | None = None
    retry: bool | None = None
    source: str | None = None


# -- words ---------------------------------------------------------------------------

_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


@lru_cache(maxsize=4096)
def words_of(text: str) -> tuple[str, ...]:
    """Lowercase words of an identifier or a sentence: ``InvalidApiKey`` -> invalid api key."""
    return tuple(w.lower() for w in _CAMEL.findall(text[:300]))


# Phrases (tuples of words) per category, tried in this order: the first category with
# a phrase in the words wins. Specific kinds (a rate limit, an exhausted quota, bad
# credentials) before broad ones (anything "invalid" is a validation error); payment
# after validation: ``payment_source_required`` is a missing field.
_PHRASES: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    (
        "rate_limit",
        (
            ("rate",),
            ("ratelimit",),
            ("ratelimited",),
            ("ratelimiting",),
            ("throttle",),
            ("throttled",),
            ("throttling",),
            ("too", "many"),
            ("slow", "down"),
            ("throughput",),
            ("spike", "arrest"),
            ("backoff",),
        ),
    ),
    (
        "quota",
        (
            ("quota",),
            ("credit",),
            ("credits",),
            ("balance",),
            ("exhausted",),
            ("billing",),
            ("invoice",),
            ("invoices",),
            ("past", "due"),
            ("overdue",),
            ("unpaid",),
            # the account's plan ran out, not a token: "Subscription has expired."
            ("subscription", "expired"),
            ("subscription", "has", "expired"),
            ("subscription", "is", "inactive"),
            ("sending", "limit"),
            ("limit", "reached"),
        ),
    ),
    ("timeout", (("timeout",), ("timed", "out"), ("time", "out"), ("deadline",))),
    (
        "unavailable",
        (
            ("unavailable",),
            ("overloaded",),
            ("overload",),
            ("maintenance",),
            ("offline",),
            ("sealed",),
            ("loading",),
            ("capacity",),
        ),
    ),
    (
        "auth",
        (
            ("unauthorized",),
            ("unauthenticated",),
            ("unauthorised",),
            ("authentication",),
            ("authenticate",),
            ("credentials",),
            ("credential",),
            ("token",),
            ("api", "key"),
            ("apikey",),
            ("access", "token"),
            ("invalid", "token"),
            ("authorization", "header"),
            ("auth",),
            ("oauth",),
            ("access", "key"),
            ("session",),
            ("grant",),
            ("signature",),
            ("not", "authenticated"),
            ("login",),
        ),
    ),
    (
        "permission",
        (
            ("forbidden",),
            ("permission",),
            ("denied",),
            ("not", "authorized"),
            ("not", "permitted"),
            ("access", "not", "configured"),
            ("disabled",),
            ("banned",),
            ("suspended",),
        ),
    ),
    # A required input that is absent ("MANDATORY_NOT_FOUND", "required field not
    # found") is the request's fault before it is a missing thing.
    ("validation", (("mandatory",), ("required", "field"), ("field", "required"))),
    (
        "not_found",
        (
            ("not", "found"),
            ("notfound",),
            ("no", "such"),
            ("unknown",),
            ("does", "not", "exist"),
            ("doesn", "t", "exist"),
            ("not", "exist"),
            ("no", "route"),
        ),
    ),
    (
        "conflict",
        (
            ("conflict",),
            ("already",),
            ("exists",),
            ("duplicate",),
            ("taken",),
            ("idempotent",),
            ("idempotency",),
            ("concurrent",),
            ("state",),
            ("busy",),
            ("lock",),
            ("locked",),
        ),
    ),
    ("server", (("internal",), ("server",), ("unexpected",))),
    (
        "validation",
        (
            ("invalid",),
            ("validation",),
            ("missing",),
            ("required",),
            ("malformed",),
            ("parse",),
            ("parsing",),
            ("bad", "request"),
            ("argument",),
            ("parameter",),
            ("param",),
            ("params",),
            ("field",),
            ("format",),
            ("empty",),
            ("blank",),
            ("too", "large"),
            ("too", "long"),
            ("syntax",),
            ("unsupported",),
            ("unprocessable",),
            ("client",),
            ("sender",),
        ),
    ),
    (
        "payment",
        (
            ("card",),
            ("declined",),
            ("decline",),
            ("payment",),
            ("insufficient", "funds"),
            ("instrument",),
        ),
    ),
)

# Words that say nothing about the kind: "unknown error" is not a missing thing.
_GENERIC = frozenset({"error", "errors", "exception", "fault", "failed", "failure"})


def _has(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    if size == 1:
        return phrase[0] in words
    return any(words[i : i + size] == phrase for i in range(len(words) - size + 1))


@lru_cache(maxsize=4096)
def word_categories(text: str) -> tuple[str, ...]:
    """Every category the words of ``text`` name, most specific first."""
    words = words_of(text)
    if not words:
        return ()
    found = (
        category
        for category, phrases in _PHRASES
        if any(_has(words, p) and not _only_unknown_error(p, words) for p in phrases)
    )
    return tuple(dict.fromkeys(found))  # a category listed twice counts once, first


def category_of_words(text: str) -> str | None:
    """The category the words of ``text`` name first, or None."""
    found = word_categories(text)
    return found[0] if found else None


# Prose names a field by its identifier (``access_token: This field is required``), and
# some single words name a kind only inside an identifier: in a sentence, only the
# clearer phrases count.
_PROSE_WORD = re.compile(r"[A-Za-z0-9_.]+")
_LOOSE = frozenset(
    {
        ("token",),
        ("signature",),
        ("session",),
        ("grant",),
        ("login",),
        ("state",),
        ("client",),
        ("sender",),
        ("server",),
        ("internal",),
        ("loading",),
        ("unknown",),
        ("field",),
        ("format",),
    }
)


@lru_cache(maxsize=1024)
def category_of_prose(text: str) -> str | None:
    """The category a sentence names, from its plain words (identifiers left out)."""
    # ``parameters.credentials.access_key`` is a field's path, not words.
    found = (w.rstrip(".") for w in _PROSE_WORD.findall(text[:300]))
    words = tuple(w.lower() for w in found if w.isalpha())
    for category, phrases in _PHRASES:
        for phrase in phrases:
            if phrase not in _LOOSE and _has(words, phrase):
                return category
    return None


def _only_unknown_error(phrase: tuple[str, ...], words: tuple[str, ...]) -> bool:
    # "unknown" names a missing thing only beside another word: unknown_model, not
    # unknown_error.
    return phrase == ("unknown",) and all(w == "unknown" or w in _GENERIC for w in words)


# -- status --------------------------------------------------------------------------

_STATUS = {
    400: "validation",
    401: "auth",
    402: "payment",
    403: "permission",
    404: "not_found",
    405: "validation",
    408: "timeout",
    409: "conflict",
    410: "not_found",
    412: "conflict",
    420: "rate_limit",  # Twitter's old "Enhance your calm"
    423: "conflict",
    428: "conflict",
    429: "rate_limit",
    451: "permission",
    500: "server",
    501: "server",
    502: "unavailable",
    503: "unavailable",
    504: "timeout",
    520: "unavailable",
    521: "unavailable",
    522: "timeout",
    523: "unavailable",
    524: "timeout",
    529: "unavailable",
    598: "timeout",
    599: "timeout",
}
# Statuses that only say "something is wrong with the request": the message may say
# what (an unknown vendor's 400 "Invalid API key" is an auth error).
BROAD_STATUSES = frozenset({None, 200, 400, 402, 403, 422})

# Client statuses that name the kind of error themselves.
_SPECIFIC_CLIENT = frozenset({401, 402, 404, 409, 410, 412, 423, 428, 429})

# JSON-RPC 2.0's reserved codes (the specification, section 5.1), whoever serves them.
_JSON_RPC = {
    "-32700": "validation",
    "-32600": "validation",
    "-32601": "not_found",
    "-32602": "validation",
    "-32603": "server",
}


def _from_status(status: int | None) -> str | None:
    if status is None:
        return None
    found = _STATUS.get(status)
    if found is not None:
        return found
    if 400 <= status < 500:
        return "validation"
    if 500 <= status < 600:
        return "server"
    return None


@lru_cache(maxsize=4096)
def generic_category(
    status: int | None,
    code: str | None,
    type_: str | None,
    retryable: bool,
    message: str | None = None,
) -> str:
    """The category from the generic rules alone: no vendor, no catalogue."""
    named = _code_named(code, status)
    found = _from_status(status)
    if named is None and type_:
        named = category_of_words(type_)  # the vendor's own category: no message needed
    elif message and reads_message(status) and named in (None, found):
        # A code that says no more than the status (``BAD_REQUEST``, none at all):
        # the message's words may say what kind of error it is.
        named = category_of_prose(message) or named
    if named is not None:
        return _adjusted(named, status, retryable)
    if found is not None and not (retryable and found in ("validation", "permission")):
        return found
    if retryable:
        # A request refused now that may pass later: a limit, or a service under load.
        return "rate_limit" if status is not None and status < 500 else "unavailable"
    return found or "unknown"


def reads_message(status: int | None) -> bool:
    """Whether the message's words may decide: a broad status, or one with no meaning here."""
    return status in BROAD_STATUSES or status not in _STATUS


def _code_named(code: str | None, status: int | None) -> str | None:
    if code is None:
        return None
    rpc = _JSON_RPC.get(code)
    if rpc is not None:
        return rpc
    found = word_categories(code)
    if not found:
        return None
    # Words of two kinds (``NotAuthorizedOrNotFound``): a specific client status that
    # names one of them settles it.
    own = _STATUS.get(status) if status in _SPECIFIC_CLIENT else None
    return own if own in found else found[0]


def _adjusted(named: str, status: int | None, retryable: bool) -> str:
    # A quota that may be retried after a wait is a rate limit (a per-minute quota); a
    # "server" word on a client status is the vendor's name for the request's fault; a
    # specific client status says more than a code that is merely "invalid"; and 401
    # is HTTP's "unauthenticated", whatever words the code uses.
    if named == "quota" and retryable:
        return "rate_limit"
    if named == "server" and status is not None and 400 <= status < 500:
        return _from_status(status) or named
    if named == "validation" and status in _SPECIFIC_CLIENT:
        return _STATUS[status]
    if named == "permission" and status == 401:
        return "auth"
    return named


# -- the catalogue -------------------------------------------------------------------

_CATALOGUE_FILE = "codes.json"


def _load_shipped() -> dict[str, dict[str, CodeInfo]]:
    raw = json.loads(
        resources.files("errorlens._internal").joinpath(_CATALOGUE_FILE).read_text("utf-8")
    )
    out: dict[str, dict[str, CodeInfo]] = {}
    for vendor, entry in raw["vendors"].items():
        source = entry["source"]
        out[vendor] = {code: _info(value, source) for code, value in entry["codes"].items()}
    return out


def _info(value: Mapping[str, Any] | CodeInfo, source: str | None) -> CodeInfo:
    if isinstance(value, CodeInfo):
        info = value
    else:
        info = CodeInfo(
            category=value["category"],
            meaning=value.get("meaning"),
            doc_url=value.get("doc"),
            retry=value.get("retry"),
            source=value.get("source", source),
        )
    if info.category not in CATEGORIES:
        raise ValueError(f"unknown category {info.category!r}; one of {', '.join(CATEGORIES)}")
    return info


_shipped: dict[str, dict[str, CodeInfo]] | None = None
# Entries users added, per vendor; they win over the shipped ones.
_registered: dict[str, dict[str, CodeInfo]] = {}
_lock = threading.Lock()


def _shipped_codes() -> dict[str, dict[str, CodeInfo]]:
    global _shipped  # noqa: PLW0603 - read once, on first use
    if _shipped is None:
        with _lock:
            if _shipped is None:
                _shipped = _load_shipped()
    return _shipped


@lru_cache(maxsize=4096)
def code_info(vendor: str | None, code: str | None) -> CodeInfo | None:
    """The catalogue's entry for ``vendor``'s ``code``, or None."""
    if not vendor or not code:
        return None
    for table in (_registered, _shipped_codes()):
        codes = table.get(vendor)
        if codes is None:
            continue
        found = codes.get(code) or codes.get(code.lower())
        if found is not None:
            return found
    return None


def category_of(
    vendor: str | None,
    status: int | None,
    code: str | None,
    type_: str | None,
    retryable: bool,
    message: str | None = None,
) -> str:
    """The record's category: the catalogue's entry when it has one, else the generic rules."""
    info = code_info(vendor, code)
    if info is not None:
        # A page that leaves the retry open (Google's RESOURCE_EXHAUSTED: a quota, or a
        # rate limit when a delay is given) lets the record's retry hint decide.
        if info.category == "quota" and info.retry is None and retryable:
            return "rate_limit"
        return info.category
    return generic_category(status, code, type_, retryable, message)


def register_codes(vendor: str, codes: Mapping[str, CodeInfo | Mapping[str, Any] | str]) -> None:
    """Teach errorlens what some of ``vendor``'s error codes mean.

    ``codes`` maps a code to a :class:`CodeInfo`, a mapping with ``category`` and
    optionally ``meaning``, ``doc``, ``retry``, ``source``, or just a category name::

        errorlens.register_codes("inhouse", {
            "LEDGER_LOCKED": {"category": "conflict", "meaning": "Another posting holds it"},
            "E_NOPE": "permission",
        })

    Registered entries win over the shipped catalogue; :func:`unregister_codes` takes
    them back. Raises ``ValueError`` for a category errorlens does not know.

    .. versionadded:: 0.1.0
    """
    parsed = {
        code: _info({"category": value} if isinstance(value, str) else value, None)
        for code, value in codes.items()
    }
    with _lock:
        _registered.setdefault(vendor, {}).update(parsed)
    code_info.cache_clear()


def unregister_codes(vendor: str, codes: Iterable[str] | None = None) -> None:
    """Forget entries :func:`register_codes` added: ``codes`` of ``vendor``, or all of them.

    .. versionadded:: 0.1.0
    """
    with _lock:
        if codes is None:
            _registered.pop(vendor, None)
        else:
            table = _registered.get(vendor, {})
            for code in codes:
                table.pop(code, None)
    code_info.cache_clear()

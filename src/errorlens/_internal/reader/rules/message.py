"""``message``: the vendor's text; a generic one gets the specific reasons appended."""

from __future__ import annotations

from http import HTTPStatus

from errorlens._internal.reader.entries import item_texts, join_texts, map_items, reasons
from errorlens._internal.reader.evidence import Chain, Evidence
from errorlens._internal.reader.keys import (
    ALWAYS,
    BARE_NODE,
    BODY_STRINGS,
    BODY_TEXT,
    DOC_TEXT,
    FIELD_MAP,
    H_ERROR_MESSAGE,
    INCIDENTAL,
    LEAD,
    MESSAGE,
    NAME,
    P_MESSAGE,
    role_of,
)
from errorlens._internal.reader.page import only_reason_phrase
from errorlens._internal.reader.values import identifier

__all__ = ["MESSAGE_RULES", "field_map_node", "generic"]

# RFC 9110's phrases on every Python: before 3.13 ``http`` still had RFC 7231's for these.
_RFC9110_PHRASES = {
    413: "Content Too Large",
    414: "URI Too Long",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
}
_PHRASES = {int(s): s.phrase for s in HTTPStatus} | _RFC9110_PHRASES
_VALIDATION_STATUSES = frozenset({400, 409, 422})
_ERROR_FROM = 400
_REASON_FACTS = LEAD | 1 << FIELD_MAP  # a 2xx reason phrase ("OK") says nothing about an error


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _with_reasons(ev: Evidence, message: str | None, own: bool) -> str | None:
    if not ev.present & _REASON_FACTS:
        return message  # no list of errors, no field map: no reasons to add
    body = ev.body
    inner = body.inner
    entries = body.entries
    if entries is None and (inner is None or inner.values[FIELD_MAP] is None):
        return message
    found = reasons(entries, body.merged[FIELD_MAP], message, own)
    if not found:
        return message
    if message is None:
        return found
    return f"{message}: {found}" if own else f"{message}; {found}"


def own_message(ev: Evidence) -> str | None:
    # The error node's own text, with the reasons of its list of errors when generic.
    message = _text(ev.body.merged[MESSAGE])
    if message is None:
        return None
    if len(message) > _GENERIC_LENGTH and message[0] not in "Aa":
        # A long text that opens with no "An error occurred": specific already (the
        # common case, checked first).
        return _with_reasons(ev, _title_leads(ev, message), True)
    message = _title_leads(ev, message)
    if _code_shaped(message):
        # {"message": "INVALID_ARG_LONG_URL", "description": "The value ..."}: the
        # message is a code; the node's sentence is the text.
        return _node_sentence(ev, message) or _with_reasons(ev, message, True)
    if generic(message):
        cause = _cause_text(ev) or _node_sentence(ev, message)
        if cause is not None and cause not in message:
            message = f"{message}: {cause}"
    return _with_reasons(ev, message, True)


def _code_shaped(text: str) -> bool:
    return len(text) <= _CODE_LENGTH and "_" in text and " " not in text and text.isupper()


_CODE_LENGTH = 80


def _node_sentence(ev: Evidence, message: str | None) -> str | None:
    # A sentence under a key no rule reads as the text ("info", "result"), or under a
    # text key that lost to a code-shaped or generic message ("description", "detail").
    node = _inner_node(ev)
    if node is None:
        return None
    xml = ev.body.xml
    for key, value in list(node.items())[:_SENTENCE_KEYS]:
        if type(key) is not str or not isinstance(value, str) or value == message:
            continue
        if role_of(key, xml)[0] in _SENTENCE_ROLES and _sentence(value):
            return value.strip()
    return None


def _sentence(text: str) -> bool:
    words = text.split()
    return len(words) >= _SENTENCE_WORDS and "://" not in words[0]


_SENTENCE_KEYS = 32
_SENTENCE_WORDS = 3
_SENTENCE_ROLES = frozenset({-1, MESSAGE})


def node_sentence(ev: Evidence) -> str | None:
    # No text at all: a sentence under a key no rule knows ({"info": "bad header"}).
    return _node_sentence(ev, None)


def named_reason(ev: Evidence) -> str | None:
    # CouchDB: {"error": "not_found", "reason": "missing"}: the reason beside the code
    # is the text, even one word.
    inner = ev.body.inner
    if inner is None or inner.ranks[NAME] != INCIDENTAL:
        return None
    value = inner.values[NAME]
    return value if isinstance(value, str) and value != ev.code else None


def _inner_node(ev: Evidence) -> dict[object, object] | None:
    inner = ev.body.inner
    return inner.node if inner is not None else None


def _title_leads(ev: Evidence, message: str) -> str:
    # RFC 9457: the title leads, the detail follows when it does not already say it.
    node = _inner_node(ev)
    if node is None:
        return message
    title = node.get("title")
    if not isinstance(title, str) or not title.strip() or message != _text(node.get("detail")):
        return message
    title = title.strip()
    if title.lower() in message.lower():
        return message
    return f"{title}{' ' if title[-1] in _STOPS else ': '}{message}"


_STOPS = frozenset(".!?:")
_CAUSE_KEYS = ("caused_by", "root_cause", "cause")
_CAUSE_TEXT_KEYS = ("reason", "message")
# Texts that say an error happened, not which: the specific one is wanted beside them.
_GENERIC = frozenset(
    {
        "all shards failed",
        "validation failed",
        "validation error",
        "validation errors",
        "invalid request",
        "request failed",
        "an error occurred",
        "an error has occurred",
        "error occurred",
        "one or more errors occurred",
        "one or more validation errors occurred",
        "invalid input",
        "invalid parameters",
        "invalid parameter",
        "invalid data",
        "failed",
        "error",
        "errors",
        "unknown error",
        "internal error",
        "the request is invalid",
        "the given data was invalid",
        "notok",
        "nok",
        "ko",
    }
)


def generic(text: str) -> bool:
    """True for a text that only says an error happened ("Validation failed", "Bad Request")."""
    if text[:24].lower().startswith(_GENERIC_OPENINGS):
        return True  # "An error occurred while connecting to the API, please try again."
    if len(text) > _GENERIC_LENGTH:
        return False
    lowered = text.lower().strip(" .!")
    if lowered in _GENERIC:
        return True
    if lowered.replace(" ", "").isalpha():  # words alone: a phrase as it stands, or not
        return lowered in _LOWER_PHRASES
    return only_reason_phrase(text)  # "Error 404 (Not Found)"


_GENERIC_LENGTH = 60
_LOWER_PHRASES = frozenset(phrase.lower() for phrase in _PHRASES.values())
_GENERIC_OPENINGS = ("an error occurred", "an unexpected error", "an error has occurred")


def _cause_text(ev: Evidence) -> str | None:
    # Elasticsearch: {"reason": "all shards failed", "caused_by": {"reason": ...},
    # "root_cause": [{"reason": ...}]}; Java-style {"cause": {"message": ...}}.
    node = _inner_node(ev)
    if node is None:
        return None
    for key in _CAUSE_KEYS:
        cause = node.get(key)
        if isinstance(cause, list) and cause:
            cause = cause[0]
        if isinstance(cause, dict):
            for text_key in _CAUSE_TEXT_KEYS:
                text = _text(cause.get(text_key))
                if text is not None:
                    return text
    return None


def cause_message(ev: Evidence) -> str | None:
    # No text of its own: the cause's.
    return _cause_text(ev)


def lead_entry_message(ev: Evidence) -> str | None:
    # No text of its own: the first entry's, then the others' reasons.
    lead = ev.body.lead
    if lead is None:
        return None
    return _with_reasons(ev, _text(lead.values[MESSAGE]), False)


def reasons_alone(ev: Evidence) -> str | None:
    return _with_reasons(ev, None, False)


def field_map_node(ev: Evidence) -> dict[object, object] | None:
    """The error node when it is nothing but a map of field -> messages."""
    body = ev.body
    inner = body.inner
    if inner is None or any(v is not None for v in inner.values):
        return None
    nested = len(body.scans) > 1  # {"error": {"global": ["..."]}}
    if nested or ev.status in _VALIDATION_STATUSES:
        return inner.node
    return None


def field_map_message(ev: Evidence) -> str | None:
    # {"email": ["Enter a valid email address."]}: the node is the field map.
    node = field_map_node(ev)
    items = map_items(node) if node is not None else None
    return join_texts(item_texts(items)) if items else None


def string_body(ev: Evidence) -> str | None:
    text = ev.body.text
    if text is None or ("_" in text and identifier(text)):
        return None
    return text


def strings_body(ev: Evidence) -> str | None:
    # A top-level array of strings: ["Forbidden", "Token expired"].
    strings = ev.body.strings
    return "; ".join(strings) if strings else None


def error_message_header(ev: Evidence) -> str | None:
    # AWS: "x-amzn-errormessage" when the body has no text.
    return ev.facts.error_message


def document_text(ev: Evidence) -> str | None:
    return ev.text


def source_message(ev: Evidence) -> str | None:
    return ev.parts.message


def reason_phrase(ev: Evidence) -> str | None:
    # Nothing else: the HTTP reason phrase ("Service Unavailable").
    status = ev.status
    return _PHRASES.get(status) if status is not None and status >= _ERROR_FROM else None


MESSAGE_RULES = Chain(
    (own_message, 1 << MESSAGE),
    (cause_message, ALWAYS),
    (named_reason, 1 << NAME),
    (lead_entry_message, LEAD),
    (reasons_alone, LEAD | 1 << FIELD_MAP),
    (field_map_message, BARE_NODE),
    (node_sentence, ALWAYS),
    (string_body, BODY_TEXT),
    (strings_body, BODY_STRINGS),
    (error_message_header, H_ERROR_MESSAGE),
    (document_text, DOC_TEXT),
    (source_message, P_MESSAGE),
    (reason_phrase, ALWAYS),
)

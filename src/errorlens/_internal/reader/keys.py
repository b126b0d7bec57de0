"""The key table: which role a body key plays in an error node, and how strongly.

A key is normalised once (lowercase, without ``_ - @ $`` and spaces) and looked up in
one dict; the answer is cached per raw key, so a known vendor's keys cost one lookup.
Within a role the lower rank wins; the ranks are named for what they mean.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from errorlens._internal.reader.vocabulary import Vocabulary, load_table, words_of
from errorlens._internal.state import on_reset

__all__ = [
    "ALWAYS",
    "BARE_NODE",
    "BODY_STRINGS",
    "BODY_TEXT",
    "DOC_TEXT",
    "H_AUTH_ERROR",
    "H_CORRELATION",
    "H_ERROR_CODE",
    "H_ERROR_MESSAGE",
    "H_ERROR_TYPE",
    "H_QUERY_ERROR",
    "H_RATE_RESET",
    "H_REQUEST_ID",
    "H_RETRY_AFTER",
    "H_RETRY_MS",
    "H_SHOULD_RETRY",
    "LEAD",
    "P_CODE",
    "P_MESSAGE",
    "P_REQUEST_ID",
    "P_RETRYABLE",
    "P_TYPE",
    "ROOT_NAME",
    "CODE",
    "CONTAINER",
    "CORRELATION",
    "DETAILS",
    "ENTRIES",
    "FIELD",
    "FIELD_MAP",
    "KEYS",
    "LEARNED",
    "NAME",
    "MESSAGE",
    "NORMALISE",
    "REQUEST_ID",
    "RETRYABLE",
    "RETRY_AFTER",
    "RETRY_MS",
    "ROLE_COUNT",
    "STATUS_NAME",
    "TYPE",
    "UNKNOWN",
    "add_alias",
    "depends_on_table",
    "normalise",
    "role_of",
    "use_vocabulary",
]

# Roles a key can play in an error node.
CODE, TYPE, MESSAGE, DETAILS, REQUEST_ID, CORRELATION, RETRY_AFTER, RETRY_MS = range(8)
RETRYABLE, STATUS_NAME, FIELD, CONTAINER, ENTRIES, FIELD_MAP, NAME = range(8, 15)
ROLE_COUNT = 15

# Facts an error may carry, one bit each (``Evidence.present``): a rule chain runs only
# the rules whose facts are there. Bit ``1 << role`` says some body node has that role.
LEAD = 1 << 15  # a list of errors: its first entry leads
BARE_NODE = 1 << 16  # an error node in which no key plays a role (a bare field map?)
BODY_TEXT = 1 << 17  # a body that is one JSON string
BODY_STRINGS = 1 << 18  # a top-level array of strings
ROOT_NAME = 1 << 19  # an XML root element that wraps the document
DOC_TEXT = 1 << 20  # an HTML or plain-text body's text
H_QUERY_ERROR = 1 << 21  # headers: x-amzn-query-error
H_ERROR_TYPE = 1 << 22  # x-amzn-errortype
H_ERROR_MESSAGE = 1 << 23  # x-amzn-errormessage
H_AUTH_ERROR = 1 << 24  # WWW-Authenticate error="..."
H_REQUEST_ID = 1 << 25
H_CORRELATION = 1 << 26
H_RETRY_AFTER = 1 << 27
H_RETRY_MS = 1 << 28
H_RATE_RESET = 1 << 29
H_SHOULD_RETRY = 1 << 30
P_CODE = 1 << 31  # what the source (an SDK's exception) already parsed
P_TYPE = 1 << 32
P_MESSAGE = 1 << 33
P_REQUEST_ID = 1 << 34
P_RETRYABLE = 1 << 35
H_ERROR_CODE = 1 << 36  # a "*-error-code" header
ALWAYS = 0  # a rule that needs no fact (the reason phrase)

# Ranks, best first. A key read by its words (``LEARNED``) ranks as ``LISTED``.
STANDARD = 0  # the field's own name: "code", "message", "details", "__type"
VARIANT = 1  # a common other spelling: "errcode", "msg"; a registered alias
BROAD = 2  # a wider word that usually means the field: "detail", "category"
SHAPED = 3  # a key read by its value's shape: "error": "not_found" is a code
LISTED = 4  # the same from a list key: "errors": "not_found"
HEADLINE = 5  # a headline rather than the text: "title"
INCIDENTAL = 6  # a key that is the field only when its value fits: "reason"
NAMING = 7  # a name that is rarely the field: "name", "id"
NONE_YET = 99  # no candidate seen

# Normalised key -> (role, rank).
KEYS: dict[str, tuple[int, int]] = {
    "code": (CODE, STANDARD),
    "errorcode": (CODE, STANDARD),
    "faultcode": (CODE, STANDARD),
    "errcode": (CODE, VARIANT),
    "errorkey": (CODE, BROAD),
    "errno": (CODE, SHAPED),
    "errorcodes": (CODE, LISTED),
    ".tag": (CODE, SHAPED),
    "reason": (NAME, INCIDENTAL),
    "errorname": (NAME, BROAD),
    "name": (NAME, NAMING),
    "id": (NAME, NAMING),
    "type": (TYPE, STANDARD),
    "errortype": (TYPE, STANDARD),
    "category": (TYPE, BROAD),
    "message": (MESSAGE, STANDARD),
    "errormessage": (MESSAGE, STANDARD),
    "faultstring": (MESSAGE, STANDARD),
    "msg": (MESSAGE, VARIANT),
    "errormsg": (MESSAGE, VARIANT),
    "errmsg": (MESSAGE, VARIANT),
    "developermessage": (MESSAGE, VARIANT),
    "errordescription": (MESSAGE, VARIANT),
    "errorsummary": (MESSAGE, VARIANT),
    "errormessages": (MESSAGE, VARIANT),
    "detail": (MESSAGE, BROAD),
    "description": (MESSAGE, SHAPED),
    "usermessage": (MESSAGE, SHAPED),
    "text": (MESSAGE, LISTED),
    "title": (MESSAGE, HEADLINE),
    "details": (DETAILS, STANDARD),
    "errordetails": (DETAILS, STANDARD),
    "extensions": (DETAILS, VARIANT),
    "innererror": (DETAILS, BROAD),
    "data": (DETAILS, SHAPED),
    "meta": (DETAILS, LISTED),
    "metadata": (DETAILS, LISTED),
    "context": (DETAILS, HEADLINE),
    "parameters": (DETAILS, NAMING),
    "requestid": (REQUEST_ID, STANDARD),
    "xrequestid": (REQUEST_ID, STANDARD),
    "debugid": (REQUEST_ID, VARIANT),
    "errorid": (REQUEST_ID, LISTED),
    "traceid": (REQUEST_ID, HEADLINE),
    "correlationid": (CORRELATION, STANDARD),
    "retryafter": (RETRY_AFTER, STANDARD),
    "retryafterseconds": (RETRY_AFTER, STANDARD),
    "retrydelay": (RETRY_AFTER, VARIANT),
    "retryin": (RETRY_AFTER, BROAD),
    "backoff": (RETRY_AFTER, BROAD),
    "backoffseconds": (RETRY_AFTER, VARIANT),
    "retryafterms": (RETRY_MS, STANDARD),
    "retryable": (RETRYABLE, STANDARD),
    "isretryable": (RETRYABLE, STANDARD),
    "retriable": (RETRYABLE, STANDARD),
    "isretriable": (RETRYABLE, STANDARD),
    "shouldretry": (RETRYABLE, STANDARD),
    "transient": (RETRYABLE, VARIANT),
    "istransient": (RETRYABLE, VARIANT),
    "status": (STATUS_NAME, STANDARD),
    "param": (FIELD, STANDARD),
    "field": (FIELD, STANDARD),
    "parameter": (FIELD, VARIANT),
    "target": (FIELD, BROAD),
    "source": (FIELD, INCIDENTAL),  # a string naming the input; JSON:API's is an object
    "error": (CONTAINER, STANDARD),
    "fault": (CONTAINER, VARIANT),
    "errorresponse": (CONTAINER, BROAD),
    "errors": (ENTRIES, STANDARD),
    "invalidparams": (ENTRIES, VARIANT),
    "fieldviolations": (ENTRIES, VARIANT),
    "validationerrors": (ENTRIES, VARIANT),
    "fielderrors": (ENTRIES, VARIANT),
    "fieldlist": (ENTRIES, VARIANT),
    "violations": (ENTRIES, BROAD),
    "errorcauses": (ENTRIES, SHAPED),
    "suberrors": (ENTRIES, SHAPED),
    "issues": (ENTRIES, LISTED),
    "causes": (ENTRIES, LISTED),
    "params": (ENTRIES, LISTED),
    "invalidparameters": (ENTRIES, VARIANT),
    "fields": (FIELD_MAP, BROAD),
}
# XML documents also nest errors in a SOAP envelope.
_XML_CONTAINERS = {"envelope": (CONTAINER, SHAPED), "body": (CONTAINER, LISTED)}

NORMALISE = str.maketrans("", "", "_-@$ ")
UNKNOWN = (-1, NONE_YET)


def normalise(key: str) -> str:
    """``"Error_Code"`` -> ``"errorcode"``: the form the table is keyed by."""
    return key.lower().translate(NORMALISE)


def role_of(key: str, xml: bool) -> tuple[int, int]:
    """(role, rank) of a raw key; ``UNKNOWN`` for keys that play no role."""
    return _classify(key, True) if xml else _json_role(key)


# APIs repeat their keys: each raw JSON key is classified once (XML keys, read with a
# table of their own, are rarer and not kept).
@lru_cache(maxsize=8192)
def _json_role(key: str) -> tuple[int, int]:
    return _classify(key, False)


def _classify(key: str, xml: bool) -> tuple[int, int]:
    if key == "__type":  # AWS JSON protocols
        return (CODE, STANDARD)
    norm = normalise(key)
    if norm.startswith("odata."):
        norm = norm[6:]  # OData's "odata.error" is its "error"
    found = KEYS.get(norm)
    if found is None and xml:
        found = _XML_CONTAINERS.get(norm)
    return found or _by_shape(key, norm) or _learned(key)


def _by_shape(key: str, norm: str) -> tuple[int, int] | None:
    """The role a key's shape names when no spelling lists it: the first rule that holds."""
    for holds, role in _SHAPES:
        if holds(key, norm):
            return role
    return None


# A key no spelling above names is read by its words (``vocabulary.py``): the table
# derived from many APIs' error schemas says which role its words name. Such keys rank
# after every listed spelling.
LEARNED = LISTED


def _support_id(key: str, norm: str) -> bool:
    # "*trace_id" and "*_reference" name a per-request support id (not "pspReference",
    # a payment's reference: only the separated word counts); so do an id, reference
    # or token of a request, log, trace, response, operation or error instance
    # ("logRef", "errorInstanceId", "response_id", "operation_id"), and a bare "trace".
    if len(norm) >= 32:
        return False
    if norm == "trace" or norm.endswith("traceid") or key.lower().endswith(_REFERENCE_ENDS):
        return True
    words = words_of(key)
    return (
        len(words) > 1
        and words[-1] in _SUPPORT_HEADS
        and any(word in _SUPPORT_WORDS for word in words[:-1])
    )


def _names_a_field(key: str) -> bool:
    words = words_of(key)
    return len(words) == 2 and words[-1] in ("field", "parameter") and words[0] in _FIELD_FAULTS


def _names_fields(key: str) -> bool:
    # A fault word before a plural "fields"/"parameters", anywhere in the key, names a
    # map whose keys are the fields at fault ("events_with_missing_fields").
    if not normalise(key).endswith(("fields", "parameters", "params")):
        return False
    words = words_of(key)
    return any(
        fault in _FIELD_HOLDERS and noun in ("field", "parameter", "param")
        for fault, noun in itertools.pairwise(words)
    )


def _headed_by_message(key: str, norm: str) -> bool:
    # The head word says what the value is, the words before it whose it is:
    # "status_message", "userMessage" are texts (and "message_id" is not).
    return norm.endswith("message") and 7 < len(norm) < 32


_FIELD_FAULTS = frozenset({"missing", "invalid", "bad", "unknown", "required", "offending"})
# Words that say a map of fields is the error's (Netify's "status_fields").
_FIELD_HOLDERS = _FIELD_FAULTS | {"error", "status", "validation", "failed"}
_REFERENCE_ENDS = ("_reference", "-reference")
_CONTAINER_ENDS = ("error", "exception", "fault")
_SUPPORT_HEADS = frozenset({"id", "reference", "token"})
_SUPPORT_WORDS = frozenset(
    {"trace", "log", "request", "tracking", "incident", "support", "debug", "instance", "response"}
    | {"operation"}
)


_SHAPES: tuple[tuple[Callable[[str, str], bool], tuple[int, int]], ...] = (
    # "paypal_request_id", "upstreamRequestId"
    (lambda key, norm: norm.endswith("requestid") and len(norm) < 24, (REQUEST_ID, SHAPED)),
    # Chargebee's "api_error_code"
    (lambda key, norm: norm.endswith("errorcode") and len(norm) < 24, (CODE, VARIANT)),
    # "x_trace_id", "support_reference"
    (_support_id, (REQUEST_ID, SHAPED)),
    # "missing_field", "invalid_parameter"
    (lambda key, norm: _names_a_field(key), (FIELD, SHAPED)),
    # "events_with_missing_fields": {field: ...}
    (lambda key, norm: _names_fields(key), (FIELD_MAP, SHAPED)),
    # "status_message", "displayMessage": a text, ranked after every listed spelling
    (_headed_by_message, (MESSAGE, LEARNED)),
    # SCIM's "scimType": a category under its own name
    (lambda key, norm: norm.endswith("type") and 4 < len(norm) < 24, (TYPE, INCIDENTAL)),
    # "requestError", "serviceException"
    (lambda key, norm: norm.endswith(_CONTAINER_ENDS) and len(norm) < 32, (CONTAINER, SHAPED)),
)


_LEARNED_ROLES = {
    "code": CODE,
    "message": MESSAGE,
    "request_id": REQUEST_ID,
    "correlation": CORRELATION,
    "type": TYPE,
    "retry": RETRY_AFTER,
}
_vocabulary = [Vocabulary(load_table())]


def _learned(key: str) -> tuple[int, int]:
    verdict = _vocabulary[0].role_of(key)
    role = _LEARNED_ROLES.get(verdict[0], -1) if verdict is not None else -1
    return (role, LEARNED) if role >= 0 else UNKNOWN


def use_vocabulary(table: dict[str, Any] | None) -> None:
    """Read unknown keys with ``table`` (None: no learned words): for measuring it."""
    _vocabulary[0] = Vocabulary(table if table is not None else {})
    _table_changed()


# Caches of what the table said (the node plans): emptied when the table changes.
_dependents: list[Callable[[], None]] = [_json_role.cache_clear]


def depends_on_table(clear: Callable[[], None]) -> None:
    """Call ``clear`` whenever the key table changes (``add_alias``) or state is reset."""
    _dependents.append(clear)


def _table_changed() -> None:
    for clear in _dependents:
        clear()


on_reset(_table_changed)


def add_alias(key: str, role: int) -> None:
    """Teach the table a user's key for ``role``, ranked just after the standard names."""
    KEYS[normalise(key)] = (role, VARIANT)
    _table_changed()

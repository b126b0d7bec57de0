"""``code``: the most specific machine-readable identifier, in DESIGN's order."""

from __future__ import annotations

import re
from functools import lru_cache

from errorlens._internal.reader.body import Body
from errorlens._internal.reader.evidence import Chain, Evidence
from errorlens._internal.reader.keys import (
    ALWAYS,
    BODY_TEXT,
    CODE,
    DETAILS,
    DOC_TEXT,
    ENTRIES,
    FIELD,
    FIELD_MAP,
    H_AUTH_ERROR,
    H_ERROR_CODE,
    H_ERROR_TYPE,
    H_QUERY_ERROR,
    HEADLINE,
    LEAD,
    MESSAGE,
    NAME,
    NAMING,
    P_CODE,
    REQUEST_ID,
    ROOT_NAME,
    STATUS_NAME,
    TYPE,
    role_of,
)
from errorlens._internal.reader.node import NodeScan, plan_of
from errorlens._internal.reader.page import line_code
from errorlens._internal.reader.values import (
    as_code,
    aws_code_name,
    identifier,
    is_problem_type,
    problem_slug,
    strip_prefix,
)
from errorlens._internal.state import on_reset

__all__ = ["CODE_RULES", "normalised"]

_GRPC_CODES = range(17)  # google.rpc.Code: 0 (OK) .. 16 (UNAUTHENTICATED)
_ERROR_NAME_SUFFIXES = ("Exception", "Error", "Fault", "Failure")


def normalised(code: str | None, xml: bool = False) -> str | None:
    """A code as the record holds it: no XML prefix, no AWS namespace or URI."""
    if code is None:
        return None
    if xml:
        code = strip_prefix(code)
    return aws_code_name(code) or None


def query_error_header(ev: Evidence) -> str | None:
    # AWS query-compatible: "x-amzn-query-error: Customized;Sender".
    value = ev.facts.query_error
    return normalised(value.partition(";")[0].strip()) if value else None


def error_type_header(ev: Evidence) -> str | None:
    # AWS JSON and REST protocols name the error in "x-amzn-errortype".
    value = ev.facts.error_type
    return normalised(value.strip()) if value else None


_NUMERIC_HEADS = frozenset("-0123456789")


def _body_code(body: Body) -> str | None:
    raw = body.merged[CODE]
    if type(raw) is not str or body.xml:
        return normalised(as_code(raw), body.xml)
    return _kept_code(raw)


# Vendors send the same few codes: each JSON code string is normalised once.
@lru_cache(maxsize=4096)
def _kept_code(raw: str) -> str | None:
    return normalised(as_code(raw)) or None


on_reset(_kept_code.cache_clear)


def _identifier_beside(ev: Evidence) -> bool:
    body = ev.body
    merged = body.merged
    return (
        isinstance(merged[STATUS_NAME], str)
        or merged[NAME] is not None
        or isinstance(merged[TYPE], str)
        or body.typed[0] is not None
    )


def _only_a_number(ev: Evidence, code: str) -> bool:
    # The numeric-code rule: a number that repeats the status, or a gRPC-style (or
    # negative sentinel, like -1) number beside a string identifier, says less than it.
    if ev.status is not None and code == str(ev.status):
        return True
    small = code.isdigit() and int(code) in _GRPC_CODES
    sentinel = code.startswith("-") and code[1:].isdigit()
    return (small or sentinel) and _identifier_beside(ev)


def explicit_code(ev: Evidence) -> str | None:
    # The innermost node's own code ("code", "errorCode", "__type", "faultcode", <Code>).
    code = _body_code(ev.body)
    if code is None or not _says_something(ev, code):
        return None
    return code


def _says_something(ev: Evidence, code: str) -> bool:
    if code[0] in _NUMERIC_HEADS:
        return not _only_a_number(ev, code)
    return len(code) > _STATUS_WORD_LENGTH or code.lower() not in _STATUS_WORDS


# Codes that only say an error happened ("resultCode": "Error").
_STATUS_WORDS = frozenset(
    {"error", "errors", "fail", "failed", "failure", "fatal", "ok", "success"}
)
_STATUS_WORD_LENGTH = 7


def other_code(ev: Evidence) -> str | None:
    # The node's best code says nothing ("code": 404 beside "errorNum": 1202, both
    # codes): another key of the node that names a code.
    body = ev.body
    inner = body.inner
    if inner is None:
        return None
    node = inner.node
    for key, role, _, _ in plan_of(node, body.xml):
        if role == CODE:
            code = normalised(as_code(node.get(key)), body.xml)
            if code is not None and _says_something(ev, code):
                return code
    return None


def error_code_header(ev: Evidence) -> str | None:
    # Any "*-error-code" header ("x-ms-error-code", "x-clickhouse-exception-code").
    value = ev.facts.error_code
    if value is None or value == str(ev.status):
        return None
    return normalised(value)


def typed_reason(ev: Evidence) -> str | None:
    # google.rpc.ErrorInfo's reason is the identifier beside a numeric code.
    return ev.body.typed[0]


def status_name(ev: Evidence) -> str | None:
    # Google's "status": "PERMISSION_DENIED".
    value = ev.body.merged[STATUS_NAME]
    return value if isinstance(value, str) and identifier(value) else None


def name_code(ev: Evidence) -> str | None:
    # An identifier-shaped "reason", "name" or "id" beside the message.
    value = ev.body.merged[NAME]
    return normalised(value, ev.body.xml) if isinstance(value, str) else None


def lead_entry_code(ev: Evidence) -> str | None:
    lead = ev.body.lead
    if lead is None or _additional(ev.body):
        return None
    value = lead.values[CODE]
    if value is None:
        value = _lead_name(lead)
    return normalised(as_code(value), ev.body.xml)


def _lead_name(lead: NodeScan) -> object:
    # "reason", not "name": in a list that names a field; an "id" only in an entry that
    # names no field (Coinbase: {"id": "validation_error", "message": ...}); a small
    # number under an id key is an error number (eBay's "errorId": 1001).
    if lead.ranks[NAME] < NAMING:
        return lead.values[NAME]
    name = lead.values[NAME]
    if isinstance(name, str) and "_" in name and lead.values[FIELD] is None:
        return name
    number = lead.values[REQUEST_ID]
    if type(number) is int and 0 < number < _SMALL_ID:
        return number
    return None


_SMALL_ID = 1_000_000


def _additional(body: Body) -> bool:
    # A node with its own code whose entries are "details" (OData): they are further
    # errors beside it, not the lead one.
    inner = body.inner
    return inner is not None and inner.values[CODE] is not None and inner.ranks[ENTRIES] == HEADLINE


def lead_string_code(ev: Evidence) -> str | None:
    # Kraken: {"error": ["EAPI:Rate limit exceeded"]}: a plain-string entry that leads
    # with its category is the vendor's identifier, whole.
    entries = ev.body.entries
    lead = entries[0] if isinstance(entries, list) and entries else None
    if isinstance(lead, str) and _PREFIXED.match(lead):
        return lead.strip()[:_CODE_CAP]
    return None


_PREFIXED = re.compile(r"[A-Z][A-Za-z]{1,20}:\S")
_CODE_CAP = 120


def message_code(ev: Evidence) -> str | None:
    # Bitly: {"message": "INVALID_ARG_LONG_URL", "description": "..."}: a message in
    # capitals with underscores and no space is a code; so is such a token that opens
    # the message before a colon (Firebase: "TOO_MANY_ATTEMPTS_TRY_LATER : We have...").
    value = ev.body.merged[MESSAGE]
    if not isinstance(value, str) or "_" not in value:
        return None
    head = _CODE_THEN_TEXT.match(value)
    token = head.group(1) if head is not None else value
    if "_" in token and token.isupper() and identifier(token):
        return token
    return None


_CODE_THEN_TEXT = re.compile(r"\s*([A-Z][A-Z0-9_]{3,80})\s*:\s")


def typed_node_code(ev: Evidence) -> str | None:
    # Contentful: {"sys": {"type": "Error", "id": "NotFound"}, "message": ...}.
    inner = ev.body.inner
    if inner is None:
        return None
    for value in list(inner.node.values())[:_LOOKED_AT]:
        if isinstance(value, dict) and str(value.get("type", "")).lower() == "error":
            found = value.get("id")
            if isinstance(found, str) and identifier(found):
                return found
    return None


_LOOKED_AT = 16


def field_map_code(ev: Evidence) -> str | None:
    # FusionAuth: {"fieldErrors": {"user.email": [{"code": "[blank]user.email", ...}]}}.
    field_map = ev.body.merged[FIELD_MAP]
    if not isinstance(field_map, dict):
        return None
    for value in list(field_map.values())[:1]:
        entry = value[0] if isinstance(value, list) and value else value
        if isinstance(entry, dict):
            return normalised(as_code(entry.get("code")), ev.body.xml)
    return None


def code_named_key(ev: Evidence) -> str | None:
    # TransactPay: {"status": "failed", "statusCode": "01"}: a key that ends in "code"
    # holding what is no HTTP status.
    inner = ev.body.inner
    if inner is None:
        return None
    for key, value in list(inner.node.items())[:_LOOKED_AT]:
        if type(key) is str and key.lower().endswith("code") and isinstance(value, str):
            value = value.strip()
            if value and not _http_status_like(value) and identifier(value):
                return value
    return None


def _http_status_like(value: str) -> bool:
    return len(value) == 3 and value.isdigit() and 100 <= int(value) <= 599


def id_named_code(ev: Evidence) -> str | None:
    # Infobip: {"messageId": "UNAUTHORIZED", "text": ...}: an id in capitals that names,
    # not numbers, is a code.
    inner = ev.body.inner
    if inner is None:
        return None
    for key, value in list(inner.node.items())[:_LOOKED_AT]:
        if type(key) is not str or not isinstance(value, str):
            continue
        if key.lower().endswith("id") and value.isupper() and value.replace("_", "").isalpha():
            return value
    return None


def error_number_id(ev: Evidence) -> str | None:
    # SurveyMonkey: {"error": {"id": "1011", "name": "Authorization Error", "message":
    # ...}}: the error node's own short number under "id" is its number (an id beside
    # the error, like JSON-RPC's call id, is another node's).
    inner = ev.body.inner
    if inner is None or len(ev.body.scans) < 2 or inner.values[MESSAGE] is None:
        return None
    value = inner.node.get("id")
    if isinstance(value, str) and value.isdigit() and len(value) <= _ERROR_NUMBER_DIGITS:
        return value if _says_something(ev, value) else None
    return None


_ERROR_NUMBER_DIGITS = 7


def xml_child_name(ev: Evidence) -> str | None:
    # WebDAV (RFC 4918): <D:error><D:lock-token-submitted>...: the precondition that
    # failed names the error.
    body = ev.body
    if not body.xml or (body.root_name or "").lower() != "error":
        return None
    inner = body.inner
    for key in list(inner.node)[:_LOOKED_AT] if inner is not None else ():
        if isinstance(key, str) and role_of(key, True)[0] < 0:
            return strip_prefix(key)
    return None


def details_code(ev: Evidence) -> str | None:
    # {"details": {"code": ...}} when the node itself has no code at all.
    body = ev.body
    if body.merged[CODE] is not None:
        return None
    for scan in (body.details_scan, _lead_details(body)):
        if scan is not None:
            code = as_code(scan.values[CODE])
            if code is not None:
                return normalised(code, body.xml)
    return None


def _lead_details(body: Body) -> NodeScan | None:
    lead = body.lead
    details = lead.values[DETAILS] if lead is not None else None
    return NodeScan(details, body.xml) if isinstance(details, dict) else None


def numeric_code(ev: Evidence) -> str | None:
    # A gRPC-style number beside nothing better is the vendor's code; a number that only
    # repeats the HTTP status is none (a code is never made up from the status), nor is
    # a word that only says an error happened.
    code = _body_code(ev.body)
    if code is None or code == str(ev.status) or code.lower() in _STATUS_WORDS:
        return None
    return code


def xml_root_name(ev: Evidence) -> str | None:
    # <ThrottlingException><Message>...</Message></ThrottlingException>
    name = ev.body.root_name
    if name and name.endswith(_ERROR_NAME_SUFFIXES) and name not in _ERROR_NAME_SUFFIXES:
        return name
    return None


def problem_type(ev: Evidence) -> str | None:
    # RFC 9457: "type": "https://example.com/probs/out-of-credit" -> "out-of-credit".
    value = ev.body.merged[TYPE]
    if isinstance(value, str) and is_problem_type(value):
        return problem_slug(value)
    return None


def category(ev: Evidence) -> str | None:
    # No explicit code anywhere: the category is the most specific identifier.
    value = ev.body.merged[TYPE]
    if isinstance(value, str) and not is_problem_type(value):
        return value
    return None


def lead_entry_type(ev: Evidence) -> str | None:
    lead = ev.body.lead
    value = lead.values[TYPE] if lead is not None else None
    return value if isinstance(value, str) and not is_problem_type(value) else None


def string_body(ev: Evidence) -> str | None:
    # A body that is one JSON string: "rate_limited" is a code, a sentence is not.
    text = ev.body.text
    return text if text and "_" in text and identifier(text) else None


def source_code(ev: Evidence) -> str | None:
    # What the SDK's exception already parsed.
    return ev.parts.code


def bearer_error(ev: Evidence) -> str | None:
    # RFC 6750: WWW-Authenticate: Bearer error="invalid_token".
    return ev.facts.auth_error


def text_line_code(ev: Evidence) -> str | None:
    # A one-line text body: "invalid_grant: ...", "ERROR 1045 (28000): ...".
    if ev.page.kind != "text" or not ev.text:
        return None
    return line_code(ev.text, ev.status)


def text_code(ev: Evidence) -> str | None:
    # Gateways print "error code: 1020" (Cloudflare) and similar.
    if ev.page.code is not None:
        return ev.page.code
    text = ev.text
    if not text:
        return None
    index = text.lower().find("error code")
    if index < 0:
        return None
    rest = text[index + 10 :].lstrip(" :#")
    token = rest.split(None, 1)[0].strip(".,;)") if rest else ""
    if token and len(token) <= 40 and token.replace("_", "").replace("-", "").isalnum():
        return token
    return None


CODE_RULES = Chain(
    (query_error_header, H_QUERY_ERROR),
    (error_type_header, H_ERROR_TYPE),
    (explicit_code, 1 << CODE),
    (other_code, 1 << CODE),
    (error_code_header, H_ERROR_CODE),
    (message_code, 1 << MESSAGE),
    (typed_reason, 1 << DETAILS | LEAD),
    (status_name, 1 << STATUS_NAME),
    (name_code, 1 << NAME),
    (lead_entry_code, LEAD),
    (lead_string_code, LEAD),
    (typed_node_code, ALWAYS),
    (field_map_code, 1 << FIELD_MAP),
    (details_code, 1 << DETAILS | LEAD),
    (xml_root_name, ROOT_NAME),
    (xml_child_name, ROOT_NAME),
    (problem_type, 1 << TYPE),
    (category, 1 << TYPE),
    (numeric_code, 1 << CODE),
    (code_named_key, ALWAYS),
    (id_named_code, ALWAYS),
    (error_number_id, ALWAYS),
    (lead_entry_type, LEAD),
    (string_body, BODY_TEXT),
    (source_code, P_CODE),
    (bearer_error, H_AUTH_ERROR),
    (text_line_code, DOC_TEXT),
    (text_code, DOC_TEXT),
)

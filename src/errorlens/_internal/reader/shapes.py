"""The generic reader: find the error node in a decoded body and rank its keys.

One pass classifies each key of a node once (``_role``), keeping the best candidate per
role. The reader walks from the root into error containers (``error``, ``fault``,
``Error``, a SOAP ``Envelope``/``Body``); the innermost node that has a fact wins, the
outer ones fill gaps. Lists of errors (``errors``, FastAPI's ``detail``, RFC 9457
``invalid-params``, Google ``fieldViolations``, a top-level array, ...) become entries:
the first leads when the node itself is silent, all of them give fields. Details and
fields are built only when asked for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from errorlens._internal.text import cap
from errorlens.record import FieldError

__all__ = ["Reading", "read_document"]

# Roles a key can play in an error node.
CODE, TYPE, MESSAGE, DETAILS, REQUEST_ID, CORRELATION, RETRY_AFTER, RETRY_MS = range(8)
RETRYABLE, STATUS_NAME, FIELD, CONTAINER, ENTRIES, FIELD_MAP = range(8, 14)
_ROLE_COUNT = 14

# Normalised key (lowercase, without "_", "-", "@", "$" and spaces) -> (role, rank).
# A lower rank wins within a role.
_KEYS: dict[str, tuple[int, int]] = {
    "code": (CODE, 0),
    "errorcode": (CODE, 0),
    "errcode": (CODE, 1),
    "faultcode": (CODE, 0),
    "errorkey": (CODE, 2),
    "errno": (CODE, 3),
    "reason": (CODE, 6),
    "name": (CODE, 7),
    "type": (TYPE, 0),
    "errortype": (TYPE, 0),
    "category": (TYPE, 2),
    "message": (MESSAGE, 0),
    "errormessage": (MESSAGE, 0),
    "faultstring": (MESSAGE, 0),
    "msg": (MESSAGE, 1),
    "errormsg": (MESSAGE, 1),
    "developermessage": (MESSAGE, 1),
    "errordescription": (MESSAGE, 1),
    "errorsummary": (MESSAGE, 1),
    "errormessages": (MESSAGE, 1),
    "detail": (MESSAGE, 2),
    "description": (MESSAGE, 3),
    "usermessage": (MESSAGE, 3),
    "text": (MESSAGE, 4),
    "title": (MESSAGE, 5),
    "details": (DETAILS, 0),
    "errordetails": (DETAILS, 0),
    "extensions": (DETAILS, 1),
    "innererror": (DETAILS, 2),
    "data": (DETAILS, 3),
    "meta": (DETAILS, 4),
    "metadata": (DETAILS, 4),
    "context": (DETAILS, 5),
    "requestid": (REQUEST_ID, 0),
    "xrequestid": (REQUEST_ID, 0),
    "debugid": (REQUEST_ID, 1),
    "errorid": (REQUEST_ID, 4),
    "traceid": (REQUEST_ID, 5),
    "correlationid": (CORRELATION, 0),
    "retryafter": (RETRY_AFTER, 0),
    "retryafterseconds": (RETRY_AFTER, 0),
    "retryin": (RETRY_AFTER, 2),
    "retrydelay": (RETRY_AFTER, 1),
    "retryafterms": (RETRY_MS, 0),
    "retryable": (RETRYABLE, 0),
    "isretryable": (RETRYABLE, 0),
    "retriable": (RETRYABLE, 0),
    "isretriable": (RETRYABLE, 0),
    "shouldretry": (RETRYABLE, 0),
    "transient": (RETRYABLE, 1),
    "istransient": (RETRYABLE, 1),
    "status": (STATUS_NAME, 0),
    "param": (FIELD, 0),
    "field": (FIELD, 0),
    "parameter": (FIELD, 1),
    "target": (FIELD, 2),
    "error": (CONTAINER, 0),
    "fault": (CONTAINER, 1),
    "errorresponse": (CONTAINER, 2),
    "errors": (ENTRIES, 0),
    "invalidparams": (ENTRIES, 1),
    "fieldviolations": (ENTRIES, 1),
    "violations": (ENTRIES, 2),
    "validationerrors": (ENTRIES, 1),
    "fielderrors": (ENTRIES, 1),
    "fieldlist": (ENTRIES, 1),
    "errorcauses": (ENTRIES, 3),
    "issues": (ENTRIES, 4),
    "suberrors": (ENTRIES, 3),
    "fields": (FIELD_MAP, 2),
}
# XML documents also nest errors in a SOAP envelope.
_XML_CONTAINERS = {"envelope": 3, "body": 4}

_NORMALISE = str.maketrans("", "", "_-@$ ")
_role_cache: dict[str, tuple[int, int]] = {}
_UNKNOWN = (-1, 99)
_CACHE_LIMIT = 8192
_MAX_KEYS = 256
_MAX_ENTRIES = 50
_MAX_DEPTH = 6
_MESSAGE_CAP = 2048
_ID_CAP = 256

_IDENT = re.compile(r"[A-Za-z0-9_.:\-/#]{1,120}")
_USELESS_TYPES = frozenset({"error", "errors", "exception", "fail", "failure", "failed"})
_STATUS_WORDS = frozenset({"error", "fail", "failed", "failure", "ok", "success"})
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*")
_RFC_TYPE = re.compile(r"(?:tools\.ietf\.org|rfc-editor\.org|datatracker\.ietf\.org|httpstatuses)")
_ENTRY_FIELD_KEYS = {
    "field": 0,
    "param": 0,
    "parameter": 0,
    "property": 1,
    "propertypath": 1,
    "pointer": 1,
    "instancepath": 1,
    "attribute": 2,
    "loc": 2,
    "name": 3,
    "target": 3,
    "path": 4,
    "location": 6,
}
_ENTRY_MESSAGE_KEYS = {
    "message": 0,
    "msg": 0,
    "errormessage": 0,
    "description": 1,
    "reason": 1,
    "detail": 1,
    "issue": 2,
    "title": 3,
    "error": 3,
    "summary": 3,
}
_LOC_PREFIXES = frozenset({"body", "query", "path", "header", "headers", "cookie", "form"})
_POINTER_PREFIXES = frozenset({"data", "attributes", "relationships"})
_META_KEYS = frozenset(
    {
        "code",
        "type",
        "message",
        "reason",
        "domain",
        "metadata",
        "expected",
        "status",
        "errors",
        "error",
        "details",
        "requestid",
        "retryafter",
        "limit",
        "docurl",
        "documentationurl",
        "help",
        "link",
        "links",
        "moreinfo",
        "timestamp",
    }
)
_VALIDATION_WORDS = ("validat", "required", "unprocessable", "missing", "constraint")


def _role(key: str, xml: bool) -> tuple[int, int]:
    """(role, rank) of a key; ``_UNKNOWN`` for keys that play no role."""
    if key == "__type":
        return (CODE, 0)
    norm = key.lower().translate(_NORMALISE)
    found = _KEYS.get(norm)
    if found is None and xml and norm in _XML_CONTAINERS:
        found = (CONTAINER, _XML_CONTAINERS[norm])
    if found is None and norm.endswith("requestid") and len(norm) < 24:
        found = (REQUEST_ID, 3)
    if found is None:
        found = _UNKNOWN
    if not xml and len(_role_cache) < _CACHE_LIMIT:
        _role_cache[key] = found
    return found


class _Scan:
    """The best candidate per role in one node."""

    __slots__ = ("node", "ranks", "values")

    def __init__(self, node: dict[Any, Any], xml: bool) -> None:
        self.node = node
        values: list[Any] = [None] * _ROLE_COUNT
        ranks = [99] * _ROLE_COUNT
        count = 0
        cached = _role_cache.get
        for key, value in node.items():
            count += 1
            if count > _MAX_KEYS:
                break
            if value is None or type(key) is not str:
                continue
            found = None if xml else cached(key)
            if found is None:
                found = _role(key, xml)
            if found is _UNKNOWN:
                continue
            role, rank = found
            # Some keys change role with their value's shape.
            if role == CONTAINER:
                if isinstance(value, str):
                    if _IDENT.fullmatch(value):
                        role, rank = CODE, 3
                    else:
                        role, rank = MESSAGE, 4
                elif isinstance(value, list):
                    role, rank = ENTRIES, 1
                elif not isinstance(value, dict):
                    continue
            elif role == MESSAGE:
                if isinstance(value, dict):
                    if xml:
                        value = _xml_text(value)
                        if value is None:
                            continue
                    elif key.lower() in ("detail", "details"):
                        role, rank = DETAILS, 1
                    else:
                        role, rank = FIELD_MAP, 1
                elif isinstance(value, list):
                    if value and all(isinstance(v, str) for v in value[:_MAX_ENTRIES]):
                        value = "; ".join(value[:10])
                    elif value and isinstance(value[0], dict):
                        role, rank = ENTRIES, 2
                    else:
                        continue
                elif not isinstance(value, str):
                    continue
            elif role == CODE:
                if isinstance(value, dict) and rank == 6:
                    value = _xml_text(value)  # SOAP 1.2 <Reason><Text>...</Text></Reason>
                    if value is None:
                        continue
                    role, rank = MESSAGE, 4
                elif isinstance(value, dict):
                    value = _soap_code(value)
                    if value is None:
                        continue
                elif isinstance(value, bool):
                    continue
                elif rank >= 6 and not (isinstance(value, str) and _IDENT.fullmatch(value)):
                    # "reason"/"name" only count as codes when they look like identifiers.
                    if key.lower() == "reason" and isinstance(value, str):
                        role, rank = MESSAGE, 6
                    else:
                        continue
            elif role == TYPE:
                if not isinstance(value, str) or value.lower() in _USELESS_TYPES:
                    continue
            elif role == DETAILS:
                if isinstance(value, list) and key.lower() != "data":
                    # A list under "details" is either typed details (google.rpc) or a
                    # list of per-field errors: kept as both.
                    if value and isinstance(value[0], dict) and ranks[ENTRIES] > 5:
                        values[ENTRIES], ranks[ENTRIES] = value, 5
                elif isinstance(value, str):
                    if key.lower() in ("details", "errordetails"):
                        role, rank = MESSAGE, 3
                    else:
                        continue
            elif role == ENTRIES:
                if isinstance(value, dict):
                    if xml or "Error" in value or "error" in value:
                        role, rank = CONTAINER, 3  # <Errors><Error>...</Error></Errors>
                    else:
                        role = FIELD_MAP
                        rank = 0 if key.lower() == "errors" else 1
                elif isinstance(value, str):
                    if _IDENT.fullmatch(value):
                        role, rank = CODE, 4
                    else:
                        role, rank = MESSAGE, 3
                elif not isinstance(value, list) or not value:
                    continue
            elif role == STATUS_NAME:
                if not isinstance(value, str) or value.lower() in _STATUS_WORDS:
                    continue
                if value.isdigit():
                    continue
            elif role == FIELD_MAP and not isinstance(value, dict):
                if isinstance(value, list) and value and isinstance(value[0], str):
                    role, rank = FIELD, 3
                else:
                    continue
            if rank < ranks[role]:
                values[role] = value
                ranks[role] = rank
        self.values = values
        self.ranks = ranks


def _xml_text(value: dict[str, Any]) -> str | None:
    # SOAP 1.2 <Reason><Text>..</Text></Reason>
    for key in ("Text", "text", "Value", "value"):
        inner = value.get(key)
        if isinstance(inner, str):
            return inner
        if isinstance(inner, list) and inner and isinstance(inner[0], str):
            return inner[0]
    return None


def _soap_code(value: dict[str, Any]) -> str | None:
    # SOAP 1.2 <Code><Value>env:Sender</Value><Subcode><Value>m:Timeout</Value>...
    best: str | None = None
    node: Any = value
    for _ in range(8):
        if not isinstance(node, dict):
            break
        inner = node.get("Value", node.get("value"))
        if isinstance(inner, str):
            best = inner
        node = node.get("Subcode", node.get("subcode"))
    return best


def _soap_class(value: dict[str, Any]) -> str | None:
    inner = value.get("Value", value.get("value"))
    return inner if isinstance(inner, str) else None


def strip_namespace(code: str) -> str:
    """AWS's ``"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"`` -> the name."""
    if "#" in code and " " not in code:
        return code.rpartition("#")[2] or code
    return code


def _as_code(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return cap(value, 200) if value else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    return None


def _seconds(value: Any, unit_ms: bool = False) -> float | None:
    if isinstance(value, bool):
        return None
    seconds: float
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION.fullmatch(value)
        if not match:
            return None
        seconds = float(match.group(1))
        unit = match.group(2)
        if unit == "ms":
            seconds /= 1000.0
        elif unit == "m":
            seconds *= 60.0
        elif unit == "h":
            seconds *= 3600.0
    elif isinstance(value, dict):
        # google.protobuf.Duration as JSON object: {"seconds": 30, "nanos": 0}
        secs = value.get("seconds")
        if not isinstance(secs, int | float | str):
            return None
        try:
            seconds = float(secs) + float(value.get("nanos") or 0) / 1e9
        except (TypeError, ValueError):
            return None
    else:
        return None
    if unit_ms:
        seconds /= 1000.0
    if math.isnan(seconds) or seconds < 0:
        return None
    return min(seconds, 1e7)


class Reading:
    """What the body says. ``lazy`` builds details and fields on demand."""

    __slots__ = (
        "code",
        "code_is_weak",
        "correlation_id",
        "message",
        "request_id",
        "retry_after",
        "retryable",
        "soap_class",
        "type",
    )

    def __init__(self) -> None:
        self.code: str | None = None
        # True when the code is only a category ("type") or came from a key that is only
        # sometimes a code ("reason"): an explicit code elsewhere (a header) beats it.
        self.code_is_weak = False
        self.type: str | None = None
        self.message: str | None = None
        self.request_id: str | None = None
        self.correlation_id: str | None = None
        self.retry_after: float | None = None
        self.retryable: bool | None = None
        self.soap_class: str | None = None


_NOTHING = Reading()

LazyParts = Callable[[], "tuple[Any, tuple[FieldError, ...], tuple[str, ...]]"]


def read_document(
    data: Any, status: int | None, xml: bool = False
) -> tuple[Reading, LazyParts | None]:
    """Read a decoded JSON value (or XML as dict). Never raises; bounded work."""
    if isinstance(data, str):
        reading = Reading()
        text = data.strip()
        if text:
            if _IDENT.fullmatch(text) and "_" in text:
                reading.code = text
            else:
                reading.message = cap(text, _MESSAGE_CAP)
        return reading, None
    top_entries: list[Any] | None = None
    if isinstance(data, list):
        top_entries = [e for e in data[:_MAX_ENTRIES] if isinstance(e, dict)]
        if not top_entries:
            strings = [e for e in data[:10] if isinstance(e, str)]
            if strings:
                reading = Reading()
                reading.message = cap("; ".join(strings), _MESSAGE_CAP)
                return reading, None
            return _NOTHING, None
        data = top_entries[0]
    if not isinstance(data, dict):
        return _NOTHING, None
    if xml and len(data) == 1:
        root_value = next(iter(data.values()))
        if isinstance(root_value, dict):
            data = root_value  # the root element only wraps the document

    # Walk from the root into error containers; scans[-1] is the innermost node.
    scans = [_Scan(data, xml)]
    for _ in range(_MAX_DEPTH):
        inner = scans[-1].values[CONTAINER]
        if not isinstance(inner, dict) or not inner:
            break
        scans.append(_Scan(inner, xml))

    # The innermost node that has a fact wins; outer nodes fill the gaps.
    merged = scans[0].values
    for scan in scans[1:]:
        merged = [o if i is None else i for o, i in zip(merged, scan.values, strict=True)]
    best = merged.__getitem__

    reading = Reading()
    code_raw = best(CODE)
    type_raw = best(TYPE)
    message = best(MESSAGE)
    status_name = best(STATUS_NAME)
    details = best(DETAILS)
    entries = best(ENTRIES)
    if top_entries is not None and len(top_entries) > 1 and entries is None:
        entries = top_entries[1:]
    lead_entry: dict[str, Any] | None = None
    if isinstance(entries, list):
        for entry in entries[:_MAX_ENTRIES]:
            if isinstance(entry, dict):
                lead_entry = entry
                break

    reading.request_id = _id(best(REQUEST_ID))
    reading.correlation_id = _id(best(CORRELATION))
    retry = best(RETRY_AFTER)
    reading.retry_after = _seconds(retry) if retry is not None else None
    if reading.retry_after is None:
        retry_ms = best(RETRY_MS)
        if retry_ms is not None:
            reading.retry_after = _seconds(retry_ms, unit_ms=True)
    explicit = best(RETRYABLE)
    if isinstance(explicit, bool):
        reading.retryable = explicit

    # A SOAP fault's class (Client/Server, Sender/Receiver) decides retryability.
    if xml:
        for scan in scans:
            raw_code = scan.node.get("Code", scan.node.get("faultcode"))
            if isinstance(raw_code, dict):
                reading.soap_class = _strip_prefix(_soap_class(raw_code))
            elif isinstance(raw_code, str) and "faultcode" in scan.node:
                reading.soap_class = _strip_prefix(raw_code)

    # Typed details (google.rpc.Status) and the lead entry fill what the node lacks.
    typed_reason = None
    if isinstance(details, list) or isinstance(entries, list):
        typed_reason, typed_delay = _typed_details(
            details if isinstance(details, list) else entries
        )
        if typed_delay is not None and reading.retry_after is None:
            reading.retry_after = typed_delay
    lead_scan = _Scan(lead_entry, xml) if lead_entry is not None else None
    details_scan = _Scan(details, xml) if isinstance(details, dict) else None

    code = _as_code(code_raw)
    for scan in reversed(scans):
        if scan.values[CODE] is not None:
            reading.code_is_weak = scan.ranks[CODE] >= 6
            break
    if code is not None and xml:
        code = _strip_prefix(code)
    if code is not None:
        code = strip_namespace(code)
    numeric_status_code = code is not None and status is not None and code == str(status)
    lead_code = None
    if lead_scan is not None and lead_scan.ranks[CODE] <= 6:
        lead_code = _as_code(lead_scan.values[CODE])
    if code is None or numeric_status_code:
        # A numeric code that repeats the status loses to a string identifier.
        better = typed_reason
        if better is not None:
            if isinstance(status_name, str) and type_raw is None:
                type_raw = status_name
        elif isinstance(status_name, str):
            better = status_name
        elif lead_code is not None:
            better = lead_code
        elif code is None:
            better = _code_in_details(details_scan, xml)
            lead_details = lead_scan.values[DETAILS] if lead_scan is not None else None
            if better is None and isinstance(lead_details, dict):
                better = _code_in_details(_Scan(lead_details, xml), xml)
        if better is not None:
            code = better

    type_text = type_raw if isinstance(type_raw, str) else None
    problem_type = type_text is not None and _is_problem_type(type_text)
    if problem_type and type_text is not None:
        if code is None:
            code = _problem_slug(type_text)
    elif code is None and type_text is not None:
        # No explicit code anywhere: the category is the most specific identifier.
        code = type_text
        reading.code_is_weak = True
    if code is None and lead_scan is not None:
        lead_type = lead_scan.values[TYPE]
        if isinstance(lead_type, str) and not _is_problem_type(lead_type):
            code = lead_type
    reading.code = code
    reading.type = cap(type_text, 200) if type_text else None

    # Message: the node's own, else the lead entry's; generic text gets the reasons.
    own_message = isinstance(message, str) and bool(message.strip())
    if not own_message and lead_scan is not None:
        lead_message = lead_scan.values[MESSAGE]
        if isinstance(lead_message, str):
            message = lead_message
    if not isinstance(message, str) or not message.strip():
        message = None
    reasons = None
    if entries is not None or scans[-1].values[FIELD_MAP] is not None:
        reasons = _reasons(entries, best(FIELD_MAP), message, own_message)
    if reasons:
        message = (
            f"{message}: {reasons}"
            if own_message and message
            else (f"{message}; {reasons}" if message else reasons)
        )
    reading.message = cap(message.strip(), _MESSAGE_CAP) if message else None
    if reading.request_id is None and lead_scan is not None:
        reading.request_id = _id(lead_scan.values[REQUEST_ID])
    if reading.request_id is None and details_scan is not None:
        reading.request_id = _id(details_scan.values[REQUEST_ID])
        if reading.correlation_id is None:
            reading.correlation_id = _id(details_scan.values[CORRELATION])

    node = scans[-1].node
    root_map = False
    if (
        len(scans) == 1
        and code is None
        and reading.message is None
        and entries is None
        and status in (400, 409, 422)
    ):
        items = _map_items(node)
        if items:
            # {"email": ["Enter a valid email address."]}: the body is the field map.
            root_map = True
            reading.message = cap(
                "; ".join(f"{f}: {m}" if m else f for f, m in items[:10]), _MESSAGE_CAP
            )
    if (
        details is None
        and entries is None
        and not root_map
        and merged[FIELD] is None
        and merged[FIELD_MAP] is None
    ):
        return reading, None  # nothing to build later: no details, no fields
    context = _FieldContext(scans, entries, details, details_scan, status, reading, xml, root_map)
    return reading, lambda: _later_parts(details, context)


def _id(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return cap(value, _ID_CAP) if value else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _strip_prefix(code: str | None) -> str | None:
    # XML qualified names: "soap:Client" -> "Client".
    if code is None:
        return None
    prefix, sep, rest = code.partition(":")
    if sep and rest and prefix.replace("-", "").replace(".", "").isalnum() and "/" not in rest:
        return rest
    return code


def _is_problem_type(text: str) -> bool:
    return text == "about:blank" or "://" in text or text.startswith(("/", "urn:", "tag:"))


def _problem_slug(uri: str) -> str | None:
    # RFC 9457: the type URI identifies the problem; its last segment names it.
    if uri == "about:blank" or _RFC_TYPE.search(uri):
        return None
    path = uri.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    slug = path.rpartition("/")[2] or path.rpartition(":")[2]
    return slug or None


def _typed_details(items: Any) -> tuple[str | None, float | None]:
    # google.rpc.Status: details is a list of {"@type": ..., ...} messages.
    reason = None
    delay = None
    if not isinstance(items, list):
        return None, None
    for item in items[:_MAX_ENTRIES]:
        if not isinstance(item, dict):
            continue
        kind = item.get("@type")
        if not isinstance(kind, str):
            continue
        if reason is None and kind.endswith("ErrorInfo"):
            value = item.get("reason")
            if isinstance(value, str) and value:
                reason = value
        elif delay is None and kind.endswith("RetryInfo"):
            delay = _seconds(item.get("retryDelay"))
    return reason, delay


def _code_in_details(scan: _Scan | None, xml: bool) -> str | None:
    if scan is None:
        return None
    value = scan.values[CODE]
    if value is None and isinstance(scan.values[CONTAINER], dict):
        value = _Scan(scan.values[CONTAINER], xml).values[CODE]
    return _as_code(value)


def _entry_field(entry: dict[str, Any], max_rank: int = 99) -> str | None:
    best_rank = max_rank
    best: str | None = None
    for key, value in entry.items():
        if not isinstance(key, str):
            continue
        norm = key.lower().translate(_NORMALISE)
        if norm == "source" and isinstance(value, dict):
            # JSON:API: {"source": {"pointer": "/data/attributes/title"}}
            inner = _entry_field(value)
            if inner is not None and best_rank > 1:
                best, best_rank = inner, 1
            continue
        rank = _ENTRY_FIELD_KEYS.get(norm)
        if rank is None or rank >= best_rank:
            continue
        text = _field_name(value, norm)
        if text is not None:
            if norm == "path" and "locations" in entry:
                continue  # GraphQL: the response path, not an input field
            best, best_rank = text, rank
    return best


def _field_name(value: Any, norm: str) -> str | None:
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 200:
            return None
        if text.startswith("/") and norm in ("pointer", "instancepath", "field", "path"):
            parts = [p for p in text.split("/") if p]
            while parts and parts[0] in _POINTER_PREFIXES:
                parts.pop(0)
            return ".".join(parts) or None
        if text.startswith("#/"):
            return ".".join(p for p in text[2:].split("/") if p) or None
        return text
    if isinstance(value, list) and value and norm in ("loc", "path", "field"):
        parts = [str(p) for p in value[:20] if isinstance(p, str | int) and not isinstance(p, bool)]
        if len(parts) > 1 and parts[0] in _LOC_PREFIXES:
            parts = parts[1:]
        return ".".join(parts) or None
    return None


def _entry_message(entry: dict[str, Any]) -> str | None:
    best_rank = 99
    best: str | None = None
    for key, value in entry.items():
        if not isinstance(key, str) or not isinstance(value, str) or not value.strip():
            continue
        rank = _ENTRY_MESSAGE_KEYS.get(key.lower().translate(_NORMALISE))
        if rank is not None and rank < best_rank:
            best, best_rank = value.strip(), rank
    if best is None:
        code = entry.get("code")
        if isinstance(code, str) and code:
            best = code
    return best


def _map_items(
    mapping: dict[Any, Any], prefix: str = "", depth: int = 0
) -> list[tuple[str, str | None]] | None:
    """Field map -> [(field, message)], or None when ``mapping`` is not a field map.

    ``{"email": ["is invalid"], "name": "is required"}``; nested maps give dotted
    names, and a nested node's own error list or message gives the message
    (``{"access_token": {"_errors": [{"message": "required"}]}}``).
    """
    items: list[tuple[str, str | None]] = []
    for key, value in list(mapping.items())[:_MAX_ENTRIES]:
        if not isinstance(key, str):
            return None
        norm = key.lower().translate(_NORMALISE)
        known = _KEYS.get(norm)
        if norm in _META_KEYS or (known is not None and known[0] != MESSAGE and known[1] < 6):
            return None
        name = f"{prefix}{key}"
        if isinstance(value, str):
            items.append((name, value))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value[:20]):
            items.append((name, "; ".join(value[:5]) if value else None))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            message = _entry_message(value[0])
            if message is None:
                return None
            items.append((name, message))
        elif isinstance(value, dict) and depth < 4:
            own = _nested_message(value)
            if own is not None:
                items.append((name, own))
                continue
            nested = _map_items(value, f"{name}.", depth + 1)
            if nested is None:
                return None
            items.extend(nested)
        else:
            return None
    return items or None


def _nested_message(node: dict[str, Any]) -> str | None:
    # A field's own error node: {"_errors": [{"message": ...}]} or {"message": ...}.
    for key, value in node.items():
        if not isinstance(key, str):
            continue
        found = _KEYS.get(key.lower().translate(_NORMALISE))
        if found is None:
            continue
        if found[0] == MESSAGE and found[1] <= 1 and isinstance(value, str):
            return value
        if found[0] == ENTRIES and isinstance(value, list) and value:
            first = value[0]
            if isinstance(first, dict):
                return _entry_message(first)
            if isinstance(first, str):
                return first
    return None


def _reasons(entries: Any, field_map: Any, message: str | None, own_message: bool) -> str | None:
    texts: list[str] = []
    if isinstance(entries, list):
        skip_first = not own_message
        for entry in entries[:_MAX_ENTRIES]:
            if not isinstance(entry, dict) or entry.get("@type") is not None:
                continue
            if skip_first:
                skip_first = False
                continue
            text = _entry_message(entry)
            if text is None:
                continue
            field = _entry_field(entry)
            texts.append(f"{field}: {text}" if field and not text.startswith(field) else text)
    elif isinstance(field_map, dict):
        items = _map_items(field_map)
        if items:
            texts = [f"{f}: {m}" if m else f for f, m in items]
    if not texts:
        return None
    if message and all(t in message for t in texts):
        return None
    if own_message and message and len(message) > 120:
        return None  # a specific message already; the fields carry the rest
    joined = "; ".join(texts[:10])
    if len(texts) > 10:
        joined += f"; (+{len(texts) - 10} more)"
    return joined


class _FieldContext:
    """Everything needed to build ``fields`` later, without keeping the reading alive."""

    __slots__ = (
        "details",
        "details_scan",
        "entries",
        "message",
        "plain_details",
        "root_map",
        "scans",
        "status",
        "words",
        "xml",
    )

    def __init__(
        self,
        scans: list[_Scan],
        entries: Any,
        details: Any,
        details_scan: _Scan | None,
        status: int | None,
        reading: Reading,
        xml: bool,
        root_map: bool = False,
    ) -> None:
        self.scans = scans
        self.entries = entries
        self.details = details
        self.details_scan = details_scan
        self.message = reading.message
        self.xml = xml
        self.status = status
        self.words = (reading.code, reading.type, reading.message)
        # Only a key named "details" may hold a bare field map ("metadata" may not).
        self.plain_details = scans[-1].ranks[DETAILS] == 0 or scans[0].ranks[DETAILS] == 0
        self.root_map = root_map

    def fields(self) -> tuple[FieldError, ...]:
        out: list[FieldError] = []
        seen: set[tuple[str, str | None]] = set()

        def add(field: str | None, message: str | None) -> None:
            if not field:
                return
            item = FieldError(cap(field, 200), cap(message, 500) if message else None)
            if (item.field, item.message) not in seen and len(out) < 100:
                seen.add((item.field, item.message))
                out.append(item)

        inner = self.scans[-1]
        node_message = self.message
        entries = self.entries
        if isinstance(entries, list):
            for entry in entries[:_MAX_ENTRIES]:
                if not isinstance(entry, dict):
                    continue
                self._from_entry(entry, add)
        if not out:
            # The node's own field (Stripe's "param", an OData "target") only when no
            # entry names a more specific one.
            node_field = inner.values[FIELD]
            if isinstance(node_field, str):
                add(node_field, node_message)
            elif isinstance(node_field, list):
                for name in node_field[:_MAX_ENTRIES]:
                    if isinstance(name, str):
                        add(name, node_message)
        for scan in reversed(self.scans):
            field_map = scan.values[FIELD_MAP]
            if isinstance(field_map, dict):
                items = _map_items(field_map)
                if items:
                    for field, message in items:
                        add(field, message)
        details = self.details
        if isinstance(details, dict):
            # Only an unmistakable field key: {"name": "is required"} is a field map.
            own = _entry_field(details, max_rank=2)
            if own is not None:
                add(own, _entry_message(details) or node_message)
            else:
                nested = self.details_scan or _Scan(details, self.xml)
                nested_entries = nested.values[ENTRIES]
                if isinstance(nested_entries, list):
                    for entry in nested_entries[:_MAX_ENTRIES]:
                        if isinstance(entry, dict):
                            self._from_entry(entry, add)
                nested_map = nested.values[FIELD_MAP]
                if isinstance(nested_map, dict):
                    for field, message in _map_items(nested_map) or ():
                        add(field, message)
                elif nested_entries is None and self.plain_details and self._validation():
                    for field, message in _map_items(details) or ():
                        add(field, message)
        if self.root_map:
            for field, message in _map_items(inner.node) or ():
                add(field, message)
        return tuple(out)

    def _validation(self) -> bool:
        if self.status in (400, 422):
            return True
        words = " ".join(t for t in self.words if t).lower()
        return any(w in words for w in _VALIDATION_WORDS)

    def _from_entry(
        self, entry: dict[str, Any], add: Callable[[str | None, str | None], None]
    ) -> None:
        violations = entry.get("fieldViolations")
        if isinstance(violations, list):  # google.rpc.BadRequest
            for item in violations[:_MAX_ENTRIES]:
                if isinstance(item, dict):
                    add(_entry_field(item), _entry_message(item))
            return
        if entry.get("@type") is not None:
            return
        message = _entry_message(entry)
        fields = entry.get("fields")
        if isinstance(fields, list) and fields and all(isinstance(f, str) for f in fields[:20]):
            for name in fields[:20]:  # Salesforce: {"fields": ["Name", "Email"]}
                add(name, message)
            return
        add(_entry_field(entry), message)


_DETAILS_CAP = 8 * 1024


def _later_parts(
    details: Any, context: _FieldContext
) -> tuple[Any, tuple[FieldError, ...], tuple[str, ...]]:
    value, secrets = _details_value(details)
    return value, context.fields(), secrets


def _details_value(details: Any) -> tuple[Any, tuple[str, ...]]:
    """Details as a bounded JSON-safe copy, secret-named values replaced, and those values."""
    from errorlens._internal.scrub import scrub

    if details is None:
        return None, ()
    secrets: list[str] = []
    value = scrub(_json_safe(details, 0, [_DETAILS_CAP], set()), secrets)
    return value, tuple(secrets)


def _json_safe(value: Any, depth: int, budget: list[int], seen: set[int]) -> Any:
    # A bounded, cycle-safe copy: at most _DETAILS_CAP characters of content.
    if budget[0] <= 0 or depth > 8:
        return "\u2026"
    if value is None or isinstance(value, bool | int | float):
        budget[0] -= 8
        if isinstance(value, float) and math.isnan(value):
            return None
        return value
    if isinstance(value, str):
        budget[0] -= len(value) + 2
        return cap(value, 1024)
    if isinstance(value, dict | list):
        if id(value) in seen:
            return "\u2026"
        seen.add(id(value))
        try:
            if isinstance(value, dict):
                out: dict[str, Any] = {}
                for key, item in list(value.items())[:100]:
                    if budget[0] <= 0:
                        out["\u2026"] = "truncated"
                        break
                    name = key if isinstance(key, str) else str(key)[:100]
                    budget[0] -= len(name) + 4
                    out[name] = _json_safe(item, depth + 1, budget, seen)
                return out
            items: list[Any] = []
            for item in value[:100]:
                if budget[0] <= 0:
                    items.append("\u2026")
                    break
                items.append(_json_safe(item, depth + 1, budget, seen))
            return items
        finally:
            seen.discard(id(value))
    budget[0] -= 16
    return None

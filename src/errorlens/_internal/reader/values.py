"""Small value readers shared by the rules: codes, ids, durations, names."""

from __future__ import annotations

import math
import re
from typing import Any

from errorlens._internal.text import cap

__all__ = [
    "as_code",
    "as_id",
    "aws_code_name",
    "identifier",
    "name_like",
    "problem_slug",
    "seconds",
    "soap_class",
    "soap_code",
    "strip_prefix",
    "xml_text",
]

_IDENT = re.compile(r"[A-Za-z0-9_.:\-/#]{1,120}")
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*")
_UNIT_SECONDS = {None: 1.0, "s": 1.0, "ms": 0.001, "m": 60.0, "h": 3600.0}
# Problem types that only restate the HTTP status name nothing specific.
_STATUS_TYPE_HOSTS = ("tools.ietf.org", "rfc-editor.org", "datatracker.ietf.org", "httpstatuses")
# Last path segments too generic to name a problem on their own.
_GENERIC_SEGMENTS = frozenset({"error", "errors", "problem", "problems", "types", "type"})
_HEX = frozenset("0123456789abcdefABCDEF-")
_ID_CAP = 256
_has_space = re.compile(r"\s").search
_SMALL_NUMBER = 1_000_000
_CODE_CAP = 200
# Python refuses int -> str beyond 4300 digits (about 14,000 bits).
_MAX_INT_BITS = 14_000
_MAX_SECONDS = 1e7


def identifier(text: str) -> bool:
    """True for a machine-readable token: ``not_found``, ``Sender.Timeout``, ``E1001``."""
    return _IDENT.fullmatch(text) is not None


def name_like(text: str) -> bool:
    """An identifier that names something (``not_found``), not a generated id or number."""
    return identifier(text) and text[0].isalpha() and not _HEX.issuperset(text)


def as_code(value: Any) -> str | None:
    """A code as text: strings stripped and capped, integral numbers without ``.0``."""
    if isinstance(value, str):
        value = value.strip()
        return cap(value, _CODE_CAP) if value else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value.bit_length() <= _MAX_INT_BITS else None
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else str(value)
    return None


def as_id(value: Any) -> str | None:
    """A request or correlation id as text; numbers count, other values do not.

    An id is one token: a text with whitespace inside (a stack trace under ``trace``,
    a sentence) is something else under an id's name.
    """
    if isinstance(value, str):
        value = value.strip()
        if not value or _has_space(value):
            return None
        return cap(value, _ID_CAP)
    if isinstance(value, int) and not isinstance(value, bool) and value >= _SMALL_NUMBER:
        return as_code(value)  # a small number is an error number, not an id
    return None


def aws_code_name(code: str) -> str:
    """AWS's ``ns#Name`` and ``Name:uri`` -> ``Name``; one normaliser for headers and bodies.

    ``:`` is cut only where a URI follows (or after a ``#``), so ``auth:invalid`` stays.
    """
    if " " in code:
        return code
    if "#" in code:
        code = code.rpartition("#")[2] or code
        return code.partition(":")[0] or code
    for marker in (":http://", ":https://"):
        index = code.find(marker)
        if index > 0:
            return code[:index]
    return code


def strip_prefix(code: str) -> str:
    """An XML qualified name without its prefix: ``soap:Client`` -> ``Client``."""
    prefix, sep, rest = code.partition(":")
    if sep and rest and prefix.replace("-", "").replace(".", "").isalnum() and "/" not in rest:
        return rest
    return code


def is_problem_type(text: str) -> bool:
    """True when ``type`` is an RFC 9457 problem type URI rather than a category."""
    return text == "about:blank" or "://" in text or text.startswith(("/", "urn:", "tag:"))


def problem_slug(uri: str) -> str | None:
    """RFC 9457: the fragment, else the last path segment; generic ones keep the URI."""
    if uri == "about:blank" or any(host in uri for host in _STATUS_TYPE_HOSTS):
        return None
    base, _, fragment = uri.partition("#")
    if fragment:
        return fragment
    path = base.split("?", 1)[0].rstrip("/")
    slug = path.rpartition("/")[2] or path.rpartition(":")[2]
    if not slug or slug.lower() in _GENERIC_SEGMENTS:
        return uri
    return slug


def seconds(value: Any, unit: float = 1.0) -> float | None:
    """A wait in seconds from a number, ``"30s"``/``"1.5"``, or ``{"seconds", "nanos"}``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        found: float | None = float(value)
    elif isinstance(value, str):
        found = _duration(value)
    elif isinstance(value, dict):
        found = _proto_duration(value)
    else:
        return None
    if found is None or math.isnan(found) or found < 0:
        return None
    return min(found * unit, _MAX_SECONDS)


def _duration(text: str) -> float | None:
    match = _DURATION.fullmatch(text)
    if not match:
        return None
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _proto_duration(value: dict[str, Any]) -> float | None:
    # google.protobuf.Duration as a JSON object: {"seconds": 30, "nanos": 0}
    secs = value.get("seconds")
    if not isinstance(secs, int | float | str):
        return None
    try:
        return float(secs) + float(value.get("nanos") or 0) / 1e9
    except (TypeError, ValueError):
        return None


def xml_text(value: dict[str, Any]) -> str | None:
    """The text of SOAP 1.2's ``<Reason><Text>..</Text></Reason>``."""
    for key in ("Text", "text", "Value", "value"):
        inner = value.get(key)
        if isinstance(inner, str):
            return inner
        if isinstance(inner, list) and inner and isinstance(inner[0], str):
            return inner[0]
    return None


def soap_code(value: dict[str, Any]) -> str | None:
    """The innermost ``Value`` of SOAP 1.2's ``<Code><Value/><Subcode>...</Subcode></Code>``."""
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


def soap_class(value: dict[str, Any]) -> str | None:
    """The outermost ``Value`` of a SOAP 1.2 code: ``Sender`` or ``Receiver``."""
    inner = value.get("Value", value.get("value"))
    return inner if isinstance(inner, str) else None

"""``type``: the vendor's coarser category beside the code."""

from __future__ import annotations

from errorlens._internal.reader.evidence import Chain, Evidence
from errorlens._internal.reader.keys import P_TYPE, STATUS_NAME, TYPE
from errorlens._internal.text import cap

__all__ = ["TYPE_RULES"]

_TYPE_CAP = 200


def body_type(ev: Evidence) -> str | None:
    # OpenAI/Stripe "type", Claid "error_type", an RFC 9457 type URI.
    value = ev.body.merged[TYPE]
    if not isinstance(value, str) or not value:
        return None
    return value if len(value) <= _TYPE_CAP else cap(value, _TYPE_CAP)


def status_beside_reason(ev: Evidence) -> str | None:
    # Google: when ErrorInfo's reason is the code, "status" is the category.
    reason = ev.body.typed[0]
    value = ev.body.merged[STATUS_NAME]
    if reason is not None and ev.code == reason and isinstance(value, str):
        return value
    return None


def source_type(ev: Evidence) -> str | None:
    return ev.parts.type


TYPE_RULES = Chain(
    (body_type, 1 << TYPE),
    (status_beside_reason, 1 << STATUS_NAME),
    (source_type, P_TYPE),
)

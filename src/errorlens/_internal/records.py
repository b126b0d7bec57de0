"""Helpers over an ErrorRecord that several outputs share: its name for grouping, and
reading one back from the ``api_error`` mapping a log line carries."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from errorlens.record import ErrorRecord, FieldError

__all__ = ["code_or_status", "record_from_mapping"]

# The record's keyword fields, as its constructor takes them (``fields`` is rebuilt).
_PLAIN_FIELDS = frozenset(inspect.signature(ErrorRecord).parameters) - {"fields"}


def code_or_status(record: ErrorRecord) -> str | None:
    """What names the error for grouping: the vendor's code, else the HTTP status."""
    if record.code:
        return record.code
    return str(record.status) if record.status is not None else None


def record_from_mapping(data: Mapping[str, Any]) -> ErrorRecord | None:
    """An ``ErrorRecord.as_dict()`` mapping read back into a record (None if it is not one)."""
    values = {k: v for k, v in data.items() if k in _PLAIN_FIELDS}
    if not values:
        return None
    fields = data.get("fields")
    if isinstance(fields, list):
        values["fields"] = tuple(
            FieldError(str(f.get("field")), f.get("message"))
            for f in fields
            if isinstance(f, Mapping)
        )
    values["retryable"] = bool(values.get("retryable", False))
    try:
        return ErrorRecord(**values)
    except TypeError:
        return None

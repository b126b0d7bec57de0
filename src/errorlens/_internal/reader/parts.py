"""Parts: what a source (an exception, a response, raw values) tells about an HTTP error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from errorlens.record import FieldError

__all__ = ["HttpParts"]


@dataclass(slots=True)
class HttpParts:
    """The raw facts of one failed HTTP exchange, before any reading.

    ``body`` is bytes, str or an already-decoded JSON value. The other optional facts
    are what an SDK already parsed (its exception's ``code``, ``request_id``...); the
    body, when present, is read first and these fill what it lacks.
    """

    status: Any = None
    headers: Any = None
    body: Any = None
    url: str | None = None
    method: str | None = None
    vendor: str | None = None
    code: str | None = None
    type: str | None = None
    message: str | None = None
    request_id: str | None = None
    retryable: bool | None = None
    fields: tuple[FieldError, ...] = ()
    details: Any = None

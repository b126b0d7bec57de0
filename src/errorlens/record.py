"""The record: one vendor-neutral description of an API error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from errorlens._internal.scrub import redact_text, redact_values
from errorlens._internal.text import cap

__all__ = ["ErrorRecord", "FieldError"]


class FieldError(NamedTuple):
    """One per-field validation failure: which field, and what is wrong with it."""

    field: str
    message: str | None = None


# Computes ``(details, fields, secret values met in the details)`` on first use: a
# record that nobody reads costs no walk over the document.
_LazyParts = Callable[[], "tuple[Any, tuple[FieldError, ...], tuple[str, ...]]"]


class ErrorRecord:
    """What errorlens read from one API error.

    Immutable: every attribute is read-only. ``details`` and ``fields`` are computed
    from the document on first access. ``as_dict()`` gives the nested ``api_error``
    mapping that every output (logs, spans, Sentry) shares.
    """

    __slots__ = (
        "_code",
        "_correlation_id",
        "_details",
        "_fields",
        "_lazy",
        "_message",
        "_method",
        "_request_id",
        "_retry_after",
        "_retryable",
        "_secrets",
        "_status",
        "_type",
        "_url",
        "_vendor",
    )

    def __init__(
        self,
        *,
        vendor: str | None = None,
        status: int | None = None,
        code: str | None = None,
        type: str | None = None,
        message: str | None = None,
        details: Any = None,
        fields: tuple[FieldError, ...] = (),
        request_id: str | None = None,
        correlation_id: str | None = None,
        retry_after: float | None = None,
        retryable: bool = False,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self._set(
            vendor,
            status,
            code,
            type,
            message,
            request_id,
            correlation_id,
            retry_after,
            retryable,
            method,
            url,
            None,
        )
        self._details = details
        self._fields = tuple(fields)

    @classmethod
    def _deferred(
        cls,
        vendor: str | None,
        status: int | None,
        code: str | None,
        type_: str | None,
        message: str | None,
        request_id: str | None,
        correlation_id: str | None,
        retry_after: float | None,
        retryable: bool,
        method: str | None,
        url: str | None,
        lazy: _LazyParts | None,
    ) -> ErrorRecord:
        # The extractor's fast constructor: positional, no copies, details and fields
        # left to ``lazy``.
        self = cls.__new__(cls)
        self._set(
            vendor,
            status,
            code,
            type_,
            message,
            request_id,
            correlation_id,
            retry_after,
            retryable,
            method,
            url,
            lazy,
        )
        self._details = None
        self._fields = ()
        return self

    def _set(
        self,
        vendor: str | None,
        status: int | None,
        code: str | None,
        type_: str | None,
        message: str | None,
        request_id: str | None,
        correlation_id: str | None,
        retry_after: float | None,
        retryable: bool,
        method: str | None,
        url: str | None,
        lazy: _LazyParts | None,
    ) -> None:
        self._vendor = vendor
        self._status = status
        self._code = code
        self._type = type_
        self._message = message
        self._request_id = request_id
        self._correlation_id = correlation_id
        self._retry_after = retry_after
        self._retryable = retryable
        self._method = method
        self._url = url
        self._lazy = lazy
        self._secrets: tuple[str, ...] = ()

    def _resolve(self) -> None:
        # Values of secret-named keys in the details (a password the vendor echoed) are
        # also taken out of the message and the field messages: every output reads a
        # clean record, however and whenever it is read.
        lazy = self._lazy
        if lazy is not None:
            self._lazy = None
            try:
                self._details, fields, secrets = lazy()
                self._secrets = secrets
                self._fields = tuple(
                    f._replace(message=_clean(f.message, secrets)) if f.message else f
                    for f in fields
                )
                if secrets and self._message:
                    self._message = redact_values(self._message, secrets)
            except Exception:  # a hostile document must not surface here
                from errorlens._internal.guard import report_internal

                report_internal("reading details and fields")

    @property
    def vendor(self) -> str | None:
        """Lowercase vendor id (``"openai"``, ``"aws"``), or None when unknown."""
        return self._vendor

    @property
    def status(self) -> int | None:
        """HTTP status code."""
        return self._status

    @property
    def code(self) -> str | None:
        """The most specific machine-readable error identifier the vendor gave."""
        return self._code

    @property
    def type(self) -> str | None:
        """The vendor's coarser category, when it gives one beside the code."""
        return self._type

    @property
    def message(self) -> str | None:
        """Human-readable text, redacted and capped."""
        if self._lazy is not None:
            self._resolve()
        return self._message

    @property
    def details(self) -> Any:
        """The vendor's extra data, JSON-safe and size-capped."""
        if self._lazy is not None:
            self._resolve()
        return self._details

    @property
    def fields(self) -> tuple[FieldError, ...]:
        """Per-field validation failures, in document order."""
        if self._lazy is not None:
            self._resolve()
        return self._fields

    @property
    def request_id(self) -> str | None:
        """The vendor's id of this request (body first, then headers)."""
        return self._request_id

    @property
    def correlation_id(self) -> str | None:
        """A correlation id the caller or vendor attached to the exchange."""
        return self._correlation_id

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait before retrying, when the vendor said."""
        return self._retry_after

    @property
    def retryable(self) -> bool:
        """Whether retrying the same request may succeed."""
        return self._retryable

    @property
    def method(self) -> str | None:
        """HTTP method of the request, when known."""
        return self._method

    @property
    def url(self) -> str | None:
        """URL of the request, credentials and secret query values redacted."""
        return self._url

    def as_dict(self) -> dict[str, Any]:
        """The nested ``api_error`` mapping: JSON-safe, None values left out."""
        if self._lazy is not None:
            self._resolve()
        out: dict[str, Any] = {}
        if self._vendor is not None:
            out["vendor"] = self._vendor
        if self._status is not None:
            out["status"] = self._status
        if self._code is not None:
            out["code"] = self._code
        if self._type is not None:
            out["type"] = self._type
        if self._message is not None:
            out["message"] = self._message
        if self._details is not None:
            out["details"] = self._details
        fields = self._fields
        if fields:
            out["fields"] = [
                {"field": f.field, "message": f.message}
                if f.message is not None
                else {"field": f.field}
                for f in fields
            ]
        if self._request_id is not None:
            out["request_id"] = self._request_id
        if self._correlation_id is not None:
            out["correlation_id"] = self._correlation_id
        if self._retry_after is not None:
            out["retry_after"] = self._retry_after
        out["retryable"] = self._retryable
        if self._method is not None:
            out["method"] = self._method
        if self._url is not None:
            out["url"] = self._url
        return out

    def summary(self) -> str:
        """One line for plain-text logs: ``openai 429 rate_limit_exceeded req=... retry in 2s``."""
        if self._lazy is not None:
            self._resolve()
        parts: list[str] = []
        if self._vendor:
            parts.append(self._vendor)
        if self._status is not None:
            parts.append(str(self._status))
        if self._code:
            parts.append(self._code)
        if self._message:
            text = cap(self._message, 120, "...")
            parts.append(repr(text) if " " in text else text)
        if self._request_id:
            parts.append(f"request_id={self._request_id}")
        if self._retry_after is not None:
            parts.append(f"retry_after={self._retry_after:g}s")
        elif self._retryable:
            parts.append("retryable")
        return " ".join(parts)

    def replace(self, **changes: Any) -> ErrorRecord:
        """A copy with some fields changed (as :func:`dataclasses.replace`)."""
        current = {name: getattr(self, name) for name in _FIELD_NAMES}
        unknown = set(changes) - set(current)
        if unknown:
            raise TypeError(f"ErrorRecord has no field(s) {sorted(unknown)}")
        current.update(changes)
        return ErrorRecord(**current)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ErrorRecord):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in _FIELD_NAMES)

    def __hash__(self) -> int:
        if self._lazy is not None:
            self._resolve()
        return hash((self._vendor, self._status, self._code, self._message, self._request_id))

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={value!r}"
            for name in _FIELD_NAMES
            if (value := getattr(self, name)) not in (None, ())
        )
        return f"ErrorRecord({shown})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (tuple(getattr(self, n) for n in _FIELD_NAMES),))


_FIELD_NAMES = (
    "vendor",
    "status",
    "code",
    "type",
    "message",
    "details",
    "fields",
    "request_id",
    "correlation_id",
    "retry_after",
    "retryable",
    "method",
    "url",
)


def _rebuild(values: tuple[Any, ...]) -> ErrorRecord:
    return ErrorRecord(**dict(zip(_FIELD_NAMES, values, strict=True)))


def secret_values(record: ErrorRecord) -> tuple[str, ...]:
    """Values of secret-named keys met in the record's details.

    Outputs remove them from the rest of what they write (the log event's text, the
    traceback): the record itself is already clean of them.
    """
    if record._lazy is not None:
        record._resolve()
    return record._secrets


def _clean(text: str | None, secrets: tuple[str, ...]) -> str | None:
    if not text:
        return text
    text = redact_text(text)
    return redact_values(text, secrets) if secrets else text

"""The record: one vendor-neutral description of an API error."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any, NamedTuple

from errorlens._internal.categories import category_of, reads_message
from errorlens._internal.locks import Stripes
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

# First reads of deferred records are serialised per stripe: no lock per record (a
# record is built on every error), little contention between unrelated records.
# Re-entrant, so that a thread resolving one record may resolve another on its stripe;
# renewed in a forked child (the thread holding one at fork does not exist there).
_LOCKS = Stripes(16)


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
        # left to ``lazy``. The same checks as ``_set``, each value's common case tested
        # in place (a plain status, a printable id, no wait or a plain number of seconds).
        self = cls.__new__(cls)
        self._vendor = vendor or None
        self._status = (
            status if type(status) is int and 100 <= status <= 999 else _status_of(status)
        )
        self._code = (code if code.isprintable() else _identifier(code)) if code else None
        self._type = (type_ if type_.isprintable() else _identifier(type_)) if type_ else None
        self._message = message or None
        self._request_id = request_id or None
        self._correlation_id = correlation_id or None
        self._retry_after = (
            None if retry_after is None or not _valid_wait(retry_after) else retry_after
        )
        self._retryable = retryable
        self._method = method
        self._url = url
        self._lazy = lazy
        self._secrets = ()
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
        # The record upholds the contract's types whatever its maker passes: an empty
        # text is no value, a status outside 100-999 or a wait outside a day is none.
        self._vendor = vendor or None
        self._status = _status_of(status)
        self._code = _identifier(code)
        self._type = _identifier(type_)
        self._message = message or None
        self._request_id = request_id or None
        self._correlation_id = correlation_id or None
        self._retry_after = retry_after if _valid_wait(retry_after) else None
        self._retryable = retryable
        self._method = method
        self._url = url
        self._lazy = lazy
        self._secrets: tuple[str, ...] = ()

    def _resolve(self) -> None:
        # Values of secret-named keys in the details (a password the vendor echoed) are
        # also taken out of the message and the field messages: every output reads a
        # clean record, however and whenever it is read.
        #
        # Many threads may read a new record at once. The clean values are computed
        # under a lock into locals and published together; ``_lazy`` is cleared last, so
        # a reader that finds it None finds every value clean, and a reader that finds
        # it set waits here for them.
        failed = False
        with _LOCKS.lock_for(id(self)):
            lazy = self._lazy
            if lazy is None:
                return  # another thread published while this one waited
            details: Any = None
            fields: tuple[FieldError, ...] = ()
            secrets: tuple[str, ...] = ()
            message = self._message
            try:
                details, found, secrets = lazy()
                fields = tuple(
                    f._replace(message=_clean(f.message, secrets)) if f.message else f
                    for f in found
                )
                if secrets and message:
                    message = redact_values(message, secrets)
            except Exception:  # a hostile document: no details, no fields
                failed = True
                details, fields, secrets = None, (), ()
            self._details = details
            self._fields = fields
            self._secrets = secrets
            self._message = message
            self._lazy = None
        if failed:  # reported outside the lock: a logging handler may read records
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
    def category(self) -> str:
        """What kind of failure this is: ``"auth"``, ``"rate_limit"``, ... never None.

        One of ``auth``, ``permission``, ``not_found``, ``validation``, ``conflict``,
        ``payment``, ``quota``, ``rate_limit``, ``timeout``, ``unavailable``, ``server``,
        ``unknown``: from the generic rules (the code's words, the type, the status, the
        retry hints), refined by the catalogue of vendor codes
        (:func:`errorlens.register_codes`).

        .. versionadded:: 0.1.0
        """
        # The message is read (and the record resolved) only where its words may count.
        message = self.message if reads_message(self._status) else None
        return category_of(
            self._vendor, self._status, self._code, self._type, self._retryable, message
        )

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
        self._put(out, _FIRST_SLOTS)
        if self._fields:
            out["fields"] = [_field_dict(f) for f in self._fields]
        self._put(out, _ID_SLOTS)
        out["retryable"] = self._retryable
        out["category"] = self.category
        self._put(out, _REQUEST_SLOTS)
        return out

    def _put(self, out: dict[str, Any], slots: tuple[tuple[str, str], ...]) -> None:
        for name, slot in slots:
            value = getattr(self, slot)
            if value is not None:
                out[name] = value

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


_MAX_WAIT = 86_400.0

# (field name, slot) of the fields ``as_dict`` leaves out when None, in three runs
# around ``fields`` and ``retryable`` so that the mapping keeps the field order.
_FIRST_SLOTS = tuple((n, "_" + n) for n in _FIELD_NAMES[:6])
_ID_SLOTS = tuple((n, "_" + n) for n in _FIELD_NAMES[7:10])
_REQUEST_SLOTS = tuple((n, "_" + n) for n in _FIELD_NAMES[11:])


def _field_dict(field: FieldError) -> dict[str, Any]:
    if field.message is None:
        return {"field": field.field}
    return {"field": field.field, "message": field.message}


def _identifier(text: str | None) -> str | None:
    """``text`` without control characters (a machine-readable id has none), or None."""
    if not text or text.isprintable():  # one fast pass: the common case
        return text or None
    spaced = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    return " ".join(spaced.split()) or None  # a run of them is one space


def _status_of(status: Any) -> int | None:
    if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 999:
        return int(status)  # a plain int, not an IntEnum
    return None


def _valid_wait(seconds: Any) -> bool:
    return isinstance(seconds, int | float) and 0 <= seconds <= _MAX_WAIT  # NaN compares False


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

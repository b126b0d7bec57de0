"""observe: from one log line to one ErrorEvent, shared by every logging path.

The structlog processor (:mod:`errorlens.processors`) and the stdlib filter
(:mod:`errorlens.stdlib`) both call :func:`observe` with what the line carries: an
``error`` field, the exception being logged, the message. It reads the record (once per
exception: a recorded exception gives its record back), hands one
:class:`~errorlens.ErrorEvent` to the hub, and returns what the line should show, all
redacted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from errorlens._internal import storm
from errorlens._internal.events import (
    ErrorEvent,
    ExcInfo,
    captured_record,
    clean_message,
    emit,
    format_traceback,
    recorded,
    store_traceback,
)
from errorlens._internal.guard import report_internal
from errorlens._internal.policy import DROP
from errorlens._internal.policy import current as current_policy
from errorlens._internal.reader.deadline import attribute, timed_read
from errorlens._internal.reader.extract import extract
from errorlens._internal.records import record_from_mapping
from errorlens._internal.scrub import redact_text, redact_values
from errorlens._internal.state import STATE
from errorlens._internal.text import cap, escape_controls
from errorlens.record import ErrorRecord, secret_values

__all__ = [
    "API_ERRORS_KEY",
    "API_ERRORS_OMITTED_KEY",
    "API_ERROR_KEY",
    "OBSERVED_KEY",
    "SUMMARY_ATTR",
    "Observation",
    "clean_summary",
    "current_trace_ids",
    "given_record",
    "is_error_source",
    "last_clean",
    "observe",
    "own_api_error",
    "put_trace_ids",
    "short_error_text",
]

API_ERROR_KEY = "api_error"
# Every member's record, when the exception logged is a group of several API errors.
API_ERRORS_KEY = "api_errors"
# How many members of a group were not read (past the limit below): never dropped silently.
API_ERRORS_OMITTED_KEY = "api_errors_omitted"
SUMMARY_ATTR = "api_error_summary"
# Where errorlens keeps its reading of a stdlib log record (an :class:`Observation`, or
# None), in the record's ``__dict__``: an underscore, so formatters and Sentry's
# ``extra`` leave it out. Its presence means "read already".
OBSERVED_KEY = "_errorlens"
# How many members of an exception group (nested groups included) are read, and how
# many exceptions a walk of the group visits at most (the rest are counted, not read).
_GROUP_LIMIT = 256
_GROUP_WALK_LIMIT = 10_000


class Observation:
    """What errorlens adds to one log line that carries an API error (all redacted).

    Holds no exception: :mod:`errorlens.stdlib` keeps it until the thread's next record.
    """

    __slots__ = ("_summary", "api_error", "api_errors", "level", "message", "omitted", "record")

    def __init__(
        self,
        record: ErrorRecord,
        api_error: dict[str, Any],
        message: str | None,
        api_errors: list[dict[str, Any]] | None = None,
        omitted: int = 0,
        level: int | None = None,
    ) -> None:
        self.record = record
        # The level the policy gives the line (DROP: not written), None: as logged.
        self.level = level
        self.api_error = api_error
        self.message = message
        # Every member's facts when a group of several API errors was logged, and how
        # many members past the limit were not read.
        self.api_errors = api_errors
        self.omitted = omitted
        self._summary: str | None = None

    @property
    def fields(self) -> dict[str, Any]:
        """The fields a log line gets: ``api_error``, and ``api_errors`` for a group."""
        if self.api_errors is None:
            return {API_ERROR_KEY: self.api_error}
        fields: dict[str, Any] = {API_ERROR_KEY: self.api_error, API_ERRORS_KEY: self.api_errors}
        if self.omitted:
            fields[API_ERRORS_OMITTED_KEY] = self.omitted
        return fields

    @property
    def summary(self) -> str:
        """The record's one-line summary, redacted (made on first use: plain formats)."""
        if self._summary is None:
            self._summary = clean_summary(self.record)
        return self._summary


def clean_summary(record: ErrorRecord) -> str:
    """``record.summary()``, redacted, the record's secret values out."""
    summary = redact_text(record.summary())
    secrets = secret_values(record)
    # One line by contract (``%(api_error_summary)s``): a vendor's id cannot forge more.
    return escape_controls(redact_values(summary, secrets) if secrets else summary)


_PLAIN_TYPES = (str, bytes, bytearray, int, float, bool, dict, list, tuple, set)


def is_error_source(value: Any) -> bool:
    """Whether an ``error`` field may hold an API error (not a string or a plain dict)."""
    return value is not None and not isinstance(value, _PLAIN_TYPES)


_SHORT_ERROR_MAX = 200


def short_error_text(source: Any) -> str | None:
    """What an ``error`` field read into ``api_error`` keeps: ``"Type: message"`` for an
    exception (redacted, capped), None (drop the field) for a response or a record."""
    if not isinstance(source, BaseException):
        return None
    try:
        text = f"{type(source).__name__}: {source}"
    except Exception:
        text = type(source).__name__
    return cap(redact_text(text), _SHORT_ERROR_MAX, "...")


class _Clean(threading.local):
    # The last ``api_error`` and traceback text this thread produced, clean already: the
    # ``redact`` processor that meets these very objects leaves them out of its scan.
    # Only an optimisation: any other object is scanned whole.
    api_error: object = None
    exception: object = None


last_clean = _Clean()


def own_api_error(record: ErrorRecord) -> dict[str, Any]:
    """``record.as_dict()``, known as errorlens's own (recorded already) to the readers
    of the line it is put on."""
    api_error = record.as_dict()
    last_clean.api_error = api_error
    return api_error


def given_record(value: Any) -> ErrorRecord | None:
    """The record a line's own ``api_error`` holds, to be recorded like a logged
    exception (``log.error("...", api_error=record.as_dict())``, the record itself);
    None for what errorlens put there and for anything that is not a record."""
    if value is last_clean.api_error or value is None:
        return None
    if isinstance(value, ErrorRecord):
        return value
    return record_from_mapping(value) if isinstance(value, Mapping) else None


def _record_of(source: Any, exc_info: ExcInfo | None) -> ErrorRecord | None:
    if source is not None:
        record = extract(source)
        if record is not None:
            return record
    if exc_info is None:
        return None
    exc = exc_info[1]
    return recorded(exc) or captured_record(exc) or extract(exc)


def group_members(group: BaseException) -> tuple[list[BaseException], int]:
    """The leaf members of an exception group, depth first, and how many were left out.

    At most ``_GROUP_LIMIT`` members are returned; the others are counted (a walk
    visits at most ``_GROUP_WALK_LIMIT`` exceptions: a bound on any group).
    """
    found: list[BaseException] = []
    rest = 0
    pending: list[BaseException] = [group]
    seen: set[int] = set()
    while pending and len(seen) < _GROUP_WALK_LIMIT:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if _is_group(current):
            members = getattr(current, "exceptions", ())
            pending.extend(reversed([m for m in members if isinstance(m, BaseException)]))
        elif len(found) < _GROUP_LIMIT:
            found.append(current)
        else:
            rest += 1
    return found, rest + len(pending)


def _is_group(exc: BaseException) -> bool:
    # The builtin group (3.11+), or the ``exceptiongroup`` backport's on 3.10: same names.
    # The class first: a member's own ``__getattr__`` is not asked for ``exceptions``.
    return any(
        cls.__name__ in ("BaseExceptionGroup", "ExceptionGroup") for cls in type(exc).__mro__
    ) and isinstance(attribute(exc, "exceptions"), tuple)


def _traceback_without(exc_info: ExcInfo, secrets: tuple[str, ...]) -> str:
    traceback = format_traceback(exc_info)
    cleaned = redact_values(traceback, secrets)
    if cleaned != traceback:
        # Every later output (a formatter, a span event, Sentry) reads this cache.
        store_traceback(exc_info, cleaned)
    return cleaned


def observe(
    source: Any,
    exc_info: ExcInfo | None,
    *,
    level: int,
    logger_name: str | None,
    message: Any,
    via_stdlib: bool,
) -> Observation | None:
    """Read the API error of one log line, send it to the hub, return what to write.

    ``source`` (an ``error`` field) is read first, then the exception of ``exc_info``.
    Values found under secret-named keys of the details are also removed from the
    message and the traceback (the record is clean of them already).
    """
    record = _record_of(source, exc_info)
    if record is None:
        if source is None and exc_info is not None and _is_group(exc_info[1]):
            return _observe_group(exc_info, level, logger_name, message, via_stdlib)
        return None
    level = _line_level(record, level, logger_name, via_stdlib)
    api_error = record.as_dict()
    last_clean.api_error = api_error
    text = clean_message(message, record) if message is not None else None
    secrets = secret_values(record)
    traceback = _traceback_without(exc_info, secrets) if exc_info and secrets else None
    emit(
        ErrorEvent(
            record,
            exc_info,
            level=level,
            logger_name=logger_name,
            message=text,
            via_stdlib=via_stdlib,
            traceback=traceback,
        )
    )
    return Observation(record, api_error, text, level=level)


def _line_level(record: ErrorRecord, level: int, logger_name: str | None, via_stdlib: bool) -> int:
    """The policy's level for the line, DROP when a storm's summary stands for it."""
    level = current_policy().level_for(record, level)
    if level != DROP and not storm.admit(record, logger_name, via_structlog=not via_stdlib):
        return DROP
    return level


@timed_read
def _member_records(members: list[BaseException]) -> list[tuple[BaseException, ErrorRecord]]:
    # One read for the whole group: slow members cannot take a read's time each.
    found: list[tuple[BaseException, ErrorRecord]] = []
    for member in members:
        record = recorded(member) or extract(member)
        if record is not None:
            found.append((member, record))
    return found


def _observe_group(
    exc_info: ExcInfo, level: int, logger_name: str | None, message: Any, via_stdlib: bool
) -> Observation | None:
    """A group of exceptions (a TaskGroup, anyio): one event per member API error."""
    members, omitted = group_members(exc_info[1])
    found = _member_records(members)
    if not found:
        return None
    first = found[0][1]
    # The line's level: the most pressing the policy gives any member.
    level = max(current_policy().level_for(record, level) for _, record in found)
    text = clean_message(message, first) if message is not None else None
    # Every member's secrets leave the group's traceback, as a lone exception's do.
    secrets = tuple(value for _, record in found for value in secret_values(record))
    if secrets:
        _traceback_without(exc_info, secrets)
        text = redact_values(text, secrets) if text is not None else None
    for member, record in found:
        member_info: ExcInfo = (type(member), member, member.__traceback__)
        emit(
            ErrorEvent(
                record,
                member_info,
                level=level,
                logger_name=logger_name,
                message=text,
                via_stdlib=via_stdlib,
                traceback=_traceback_without(member_info, secrets) if secrets else None,
            )
        )
    api_error = first.as_dict()
    last_clean.api_error = api_error
    several = len(found) > 1 or omitted
    api_errors = [record.as_dict() for _, record in found] if several else None
    return Observation(first, api_error, text, api_errors, omitted, level=level)


# -- trace context -------------------------------------------------------------------

_lookups: tuple[Callable[[], Any], Callable[..., Any]] | None = None


def current_trace_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` of the active OpenTelemetry span as lowercase hex, or None."""
    global _lookups  # noqa: PLW0603 - imported once, on first use
    lookups = _lookups
    if lookups is None:
        from opentelemetry.context import get_current
        from opentelemetry.trace import get_current_span

        lookups = _lookups = (get_current, get_current_span)
    context = lookups[0]()
    # The last context seen and its ids: every line logged in one span shares them, and
    # a context is immutable, so the same object means the same span.
    state = STATE
    last = state.trace_ids  # one read: another thread may replace it meanwhile
    if last[0] is context:
        return last[1]
    span_context = lookups[1](context).get_span_context()
    ids = (
        (f"{span_context.trace_id:032x}", f"{span_context.span_id:016x}")
        if span_context.is_valid
        else None
    )
    state.trace_ids = (context, ids)
    return ids


def put_trace_ids(values: MutableMapping[str, Any]) -> None:
    """Add the active span's ``trace_id``/``span_id`` unless ``values`` has both."""
    if "trace_id" in values and "span_id" in values:
        return
    try:
        ids = current_trace_ids()
    except Exception:
        report_internal("reading the current trace context")
        return
    if ids is not None:
        values.setdefault("trace_id", ids[0])
        values.setdefault("span_id", ids[1])

"""Secrets out of every Sentry event errorlens's setup sends, API error or not.

Texts (messages, exception values, breadcrumbs) go through errorlens's one scrubber;
request data, frame variables and ``extra`` through its one walker. Frames of HTTP
clients and vendor SDKs lose their variables (they hold the request's credentials).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from errorlens._internal.scrub import (
    REDACTED,
    hides,
    is_secret_name,
    pattern_count,
    redact_query,
    redact_structure,
    redact_text,
    redact_url,
    redact_values,
)
from errorlens._internal.state import on_reset

__all__ = ["Event", "scrub_event", "scrub_request"]

Event = dict[str, Any]

# HTTP clients and vendor SDKs: their frames' locals hold the request's headers,
# cookies and credentials, so an API error event sends those frames without locals.
# fmt: off
_CLIENT_PACKAGES = frozenset({
    "requests", "urllib3", "urllib", "http", "httpx", "httpcore", "aiohttp", "h11", "h2",
    "botocore", "boto3", "aiobotocore", "google", "azure", "openai", "anthropic", "stripe",
    "twilio", "grpc",
})
# fmt: on


def _clean(value: Any) -> Any:
    """A copy of ``value`` with secret-named entries and token text redacted, when it
    held any (the objects Sentry reads, frame locals, are never changed in place)."""
    if type(value) is str:  # what the walk does with text, without setting one up
        return redact_text(value)
    return redact_structure(value, [])


def _scrub_text_field(container: Any, key: str, secrets: tuple[str, ...] = ()) -> None:
    if isinstance(container, dict) and isinstance(container.get(key), str):
        container[key] = redact_values(redact_text(container[key]), secrets)


def scrub_event(event: Event, secrets: tuple[str, ...]) -> None:
    """Remove credentials from the parts of ``event`` that may hold them.

    ``secrets``: values the record's details held, also removed from the event's texts.
    """
    _scrub_text_field(event, "message", secrets)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        _scrub_text_field(logentry, "message", secrets)
        _scrub_text_field(logentry, "formatted", secrets)
        params = logentry.get("params")
        if isinstance(params, list | tuple | Mapping):
            logentry["params"] = _clean(params)
    for section in ("exception", "threads"):
        block = event.get(section)
        values = block.get("values") if isinstance(block, dict) else None
        if isinstance(values, list):
            for entry in values:
                if isinstance(entry, dict):
                    _scrub_text_field(entry, "value", secrets)
                    _scrub_frames(entry.get("stacktrace"))
    _scrub_frames(event.get("stacktrace"))
    scrub_request(event.get("request"))
    extra = event.get("extra")
    if isinstance(extra, Mapping):
        event["extra"] = _clean(extra)
    crumbs = event.get("breadcrumbs")
    if isinstance(crumbs, dict) and isinstance(crumbs.get("values"), list):
        crumbs["values"] = [_clean_breadcrumb(c) for c in crumbs["values"]]


def _scrub_frames(stacktrace: Any) -> None:
    frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
    if not isinstance(frames, list):
        return
    for frame in frames:
        if isinstance(frame, dict):
            _scrub_source(frame)
            _scrub_variables(frame)


def _scrub_source(frame: dict[str, Any]) -> None:
    # The source lines around the call: ``Client(api_key="...")`` loses its key only.
    key = _source_key(frame)
    if key is None:  # not the shapes sentry-sdk makes: scanned each time
        redacted = tuple(_redact_lines(frame.get(name)) for name in _SOURCE_FIELDS)
    else:
        found = _redacted_source(*key)
        if found is None:
            return
        redacted = found
    for name, lines in zip(_SOURCE_FIELDS, redacted, strict=True):
        if isinstance(lines, str):
            frame[name] = lines
        elif isinstance(lines, tuple):
            frame[name] = list(lines)


_SOURCE_FIELDS = ("pre_context", "context_line", "post_context")


def _source_key(frame: dict[str, Any]) -> tuple[Any, ...] | None:
    """``frame``'s source lines as a hashable key (runs of lines as tuples), with the
    number of redaction patterns; None when they cannot be one."""
    key = (pattern_count(), *(_frozen(frame.get(name)) for name in _SOURCE_FIELDS))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _frozen(lines: Any) -> Any:
    return tuple(lines) if isinstance(lines, list | tuple) else lines


def _redact_lines(lines: Any) -> Any:
    """A line redacted, a run of lines redacted as a tuple; anything else as it is."""
    if isinstance(lines, str):
        return redact_text(lines)
    if isinstance(lines, list | tuple):
        return tuple(redact_text(line) if isinstance(line, str) else line for line in lines)
    return lines


# Every event brings the source lines of the same few places in the code. Keyed on the
# lines and on pattern_count(): a pattern added later (they are never removed) makes a
# new key, so lines judged clean before are judged again.
@functools.lru_cache(maxsize=1024)
def _redacted_source(patterns: int, *lines: Any) -> tuple[Any, ...] | None:
    """``lines`` (the frame's source fields) redacted, or None when nothing changed."""
    redacted = tuple(_redact_lines(field) for field in lines)
    return None if redacted == lines else redacted


on_reset(_redacted_source.cache_clear)


def _scrub_variables(frame: dict[str, Any]) -> None:
    variables = frame.get("vars")
    if not isinstance(variables, dict):
        return
    module = frame.get("module")
    if isinstance(module, str) and module.split(".", 1)[0] in _CLIENT_PACKAGES:
        del frame["vars"]
        return
    # A variable's name is judged as a key is (``signature_provided`` by its words);
    # an ambiguous name (``key``) loses its value here whatever it holds.
    frame["vars"] = {
        name: REDACTED if is_secret_name(str(name)) or hides(str(name), value) else _clean(value)
        for name, value in variables.items()
    }


def scrub_request(request: Any) -> None:
    if not isinstance(request, dict):
        return
    headers = request.get("headers")
    if isinstance(headers, Mapping):
        request["headers"] = {
            str(k): REDACTED if is_secret_name(str(k)) else _clean(v) for k, v in headers.items()
        }
    if request.get("cookies"):
        request["cookies"] = _redact_cookies(request["cookies"])
    if isinstance(request.get("url"), str):
        request["url"] = redact_url(request["url"])
    query = request.get("query_string")
    if isinstance(query, str) and query:
        request["query_string"] = _scrub_query(query)
    if "data" in request:
        request["data"] = _clean(request["data"])


def _redact_cookies(cookies: Any) -> Any:
    """Cookie names kept (Sentry's accepted shapes), every value redacted."""
    if isinstance(cookies, Mapping):
        return {str(name): REDACTED for name in cookies}
    if isinstance(cookies, str):
        names = (part.split("=", 1)[0].strip() for part in cookies.split(";"))
        return {name: REDACTED for name in names if name}
    if isinstance(cookies, list | tuple):
        return {
            str(pair[0]): REDACTED for pair in cookies if isinstance(pair, list | tuple) and pair
        }
    return {}


# A log record's attributes become a breadcrumb's data: errorlens's api_error there
# is the whole record, which the event that follows carries once, as its context.
_RECORD_KEYS = ("api_error", "api_errors", "api_error_summary")


def _slim(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """``data`` with errorlens's record reduced to one line (vendor status code id)."""
    if not any(key in data for key in _RECORD_KEYS):
        return data
    slim = {key: value for key, value in data.items() if key not in _RECORD_KEYS}
    record = data.get("api_error")
    if isinstance(record, Mapping):
        slim["api_error"] = " ".join(
            str(record[key]) for key in ("vendor", "status", "code") if record.get(key) is not None
        ) + (f" request_id={record['request_id']}" if record.get("request_id") else "")
    elif isinstance(record, str):
        slim["api_error"] = record
    return slim


def _scrub_query(query: str) -> str:
    return redact_text(redact_query(query))


def _clean_breadcrumb(crumb: Any) -> Any:
    if not isinstance(crumb, dict):
        return crumb
    return _cleaned_breadcrumb(_Same(crumb), pattern_count())


class _Same:
    """A cache key equal only to another key for the same object.

    A breadcrumb is a dict (unhashable), and its content makes a poor key: it holds a
    timestamp, so two breadcrumbs never have the same content and only the same object
    comes again (the scope hands its breadcrumbs to every event); freezing it would
    walk it as the scrub does; and its values may be objects whose hash or equality
    raises, or conflates (``1 == True``). Identity is the key: the cache holds the
    object, so its id is not reused by another while it is cached.
    """

    __slots__ = ("held",)

    def __init__(self, held: dict[str, Any]) -> None:
        self.held = held

    def __hash__(self) -> int:
        return id(self.held)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.held is self.held


# The scope hands the same breadcrumb objects to every event: each is cleaned once
# (again after a pattern is added: ``patterns`` is pattern_count()).
@functools.lru_cache(maxsize=512)
def _cleaned_breadcrumb(crumb: _Same, patterns: int) -> dict[str, Any]:
    return _scrub_breadcrumb(crumb.held)


on_reset(_cleaned_breadcrumb.cache_clear)


def _scrub_breadcrumb(crumb: dict[str, Any]) -> dict[str, Any]:
    clean = dict(crumb)  # the scope keeps its own copy for later events
    _scrub_text_field(clean, "message")
    if isinstance(clean.get("data"), Mapping):
        clean["data"] = _clean(_slim(clean["data"]))
        for key in ("url", "http.query"):
            value = clean["data"].get(key)
            if isinstance(value, str):
                clean["data"][key] = redact_url(value) if key == "url" else _scrub_query(value)
    return clean

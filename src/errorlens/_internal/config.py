"""configure(): structlog and stdlib logging set up together, once, at startup.

Both kinds of line travel the same road: a structlog call becomes a real stdlib record
(message, ``exc_info``, its fields kept aside), so every handler sees one kind of
record, and one ``structlog.stdlib.ProcessorFormatter`` on errorlens's handler renders
them alike: library lines from ``logging.getLogger(...)`` and your structlog lines look
the same, carry ``api_error`` when they hold an API error, and are redacted whole.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import time
import warnings
from collections.abc import Mapping, MutableMapping, Sequence
from typing import IO, Any

import structlog

from errorlens._internal import server_loggers as servers
from errorlens._internal import stop_signals as stop_signals_module
from errorlens._internal.context import current_request_ids
from errorlens._internal.guard import guarded, internal_logger, report_internal
from errorlens._internal.incoming import log_fields
from errorlens._internal.locks import SafeLock
from errorlens._internal.observe import API_ERRORS_KEY, API_ERRORS_OMITTED_KEY, SUMMARY_ATTR
from errorlens._internal.policy import Policy
from errorlens._internal.policy import set_current as set_policy
from errorlens._internal.shutdown import (
    ENV_SHUTDOWN_TIMEOUT,
    Step,
    budget_from,
    prepare,
    redact_last_resort,
    run_within,
)
from errorlens._internal.state import reset as reset_state
from errorlens._internal.storm import StormPolicy
from errorlens._internal.storm import set_current as set_storm
from errorlens.processors import format_exc_info, redact
from errorlens.stdlib import ReadingHandler

__all__ = [
    "ENV_FORMAT",
    "ENV_LEVEL",
    "ENV_SERVICE",
    "ENV_SHUTDOWN_TIMEOUT",
    "configure",
    "unconfigure",
    "utc_timestamp",
]

ENV_LEVEL = "ERRORLENS_LEVEL"
ENV_FORMAT = "ERRORLENS_FORMAT"
ENV_SERVICE = "ERRORLENS_SERVICE"
# Widely used names, read when errorlens's own are not set.
_FALLBACK_LEVEL = "LOG_LEVEL"
_FALLBACK_SERVICE = "OTEL_SERVICE_NAME"

Processor = Any  # structlog's processor signature: (logger, method_name, event_dict)

# The structlog fields of a line, kept on its stdlib record under this attribute.
_FIELDS_ATTR = "_errorlens_fields"
_ERRORLENS_ATTRS = (
    "api_error",
    API_ERRORS_KEY,
    API_ERRORS_OMITTED_KEY,
    "trace_id",
    "span_id",
    "error",
)
_RECORD_KEYS = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "taskName",
    SUMMARY_ATTR,
}


def _level_from(value: int | str | None) -> int:
    if value is None:
        value = os.environ.get(ENV_LEVEL) or os.environ.get(_FALLBACK_LEVEL) or "INFO"
    if isinstance(value, int):
        return value
    text = value.strip().upper()
    if text.isdigit():
        return int(text)
    number = logging.getLevelName(text)
    if isinstance(number, int):
        return number
    internal_logger.warning("unknown log level %r; using INFO", value)
    return logging.INFO


_CONSOLE_FORMATS = ("console", "text", "pretty")


def _wants_json(json: bool | None, stream: IO[str]) -> bool:
    if json is not None:
        return json
    chosen = os.environ.get(ENV_FORMAT, "").strip().lower()
    if chosen == "json":
        return True
    if chosen in _CONSOLE_FORMATS:
        return False
    if chosen:
        warnings.warn(
            f"{ENV_FORMAT}={chosen!r} is not a format errorlens knows (json, "
            f"{', '.join(_CONSOLE_FORMATS)}); choosing by terminal instead",
            stacklevel=4,
        )
    try:
        return not stream.isatty()
    except Exception:
        return True


def _wants_colors(colors: bool | None, stream: IO[str]) -> bool:
    if colors is not None:
        return colors
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except Exception:
        return False


class _Clock(threading.local):
    # The formatted second is reused by every line logged within that second.
    second: int = -1
    text: str = ""


_clock = _Clock()


def utc_timestamp(created: float) -> str:
    """``created`` as ISO 8601 in UTC with microseconds, as structlog's TimeStamper."""
    second = int(created)
    if second != _clock.second:
        _clock.text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _clock.second = second
    micros = min(round((created - second) * 1_000_000), 999_999)
    return f"{_clock.text}.{micros:06d}Z"


class _LineFields:
    """First step of the formatter: the same fields for structlog and stdlib lines."""

    __slots__ = ("_service",)

    def __init__(self, service: str | None) -> None:
        self._service = service

    def __call__(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> Any:
        record = event_dict.get("_record")
        if not isinstance(record, logging.LogRecord):
            return event_dict
        line: dict[str, Any] = {
            "timestamp": utc_timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if self._service:
            line["service"] = self._service
        line["event"] = event_dict.get("event")
        _add_fields(line, record.__dict__)
        for key in ("_record", "_from_structlog", "exc_info"):
            if key in event_dict:
                line[key] = event_dict[key]
        stack = event_dict.get("stack_info")
        if stack:
            line["stack"] = stack
        return line


def _add_fields(line: dict[str, Any], values: dict[str, Any]) -> None:
    """The line's own fields, kept where ``line`` has none of that name."""
    fields = values.get(_FIELDS_ATTR)
    if isinstance(fields, dict):  # a structlog line: its fields, context included
        for key, value in fields.items():
            line.setdefault(key, value)
        # What errorlens's filter put on the record (``error`` rode along there).
        for key in _ERRORLENS_ATTRS:
            if key in values:
                line.setdefault(key, values[key])
        return
    # A stdlib line: its extra= fields (errorlens's among them), bound context.
    for key, value in values.items():
        if key not in _RECORD_KEYS and not key.startswith("_"):
            line.setdefault(key, value)
    for key, value in structlog.contextvars.get_contextvars().items():
        line.setdefault(key, value)


def _add_request_ids(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> Any:
    """The ids of the request in progress, also when the app cleared structlog's context."""
    ids = current_request_ids()
    if ids is not None:
        for key, value in log_fields(ids).items():
            event_dict.setdefault(key, value)
    return event_dict


def _to_stdlib(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> Any:
    """Last structlog step: hand the line to stdlib logging as a real record.

    The message and ``exc_info`` become the record's own (so Sentry's and OpenTelemetry's
    handlers see the exception); the other fields ride along in one attribute.
    """
    kwargs: dict[str, Any] = {"msg": event_dict.pop("event", "")}
    for key in ("exc_info", "stack_info", "stacklevel"):
        if key in event_dict:
            kwargs[key] = event_dict.pop(key)
    extra: dict[str, Any] = {_FIELDS_ATTR: event_dict}
    if "error" in event_dict:
        extra["error"] = event_dict.pop("error")
    if "api_error" in event_dict:  # a record the line was given: the reader records it
        extra["api_error"] = event_dict.pop("api_error")
    kwargs["extra"] = extra
    return kwargs


class _Installed:
    def __init__(self) -> None:
        self.handlers: list[logging.Handler] = []
        self.previous_root_level: int | None = None
        self.otel = False  # configure() set up OpenTelemetry export
        self.sentry = False  # configure() asked for Sentry
        self.shutdown_timeout: float | None = None
        self.at_exit = False
        self.servers: servers.Saved = {}  # the server loggers' own setup, set aside
        self.spent = 0.0  # seconds of the shutdown budget spent flushing on a signal


_installed = _Installed()
_DEFAULT_STORM = StormPolicy()
# Reentrant: the stop-signal handler runs on the thread it interrupts, which may hold it.
_lock = SafeLock()


def configure(
    service: str | None = None,
    level: int | str | None = None,
    *,
    json: bool | None = None,
    stream: IO[str] | None = None,
    colors: bool | None = None,
    processors: Sequence[Processor] = (),
    otel: bool = False,
    sentry_dsn: str | None = None,
    sentry_options: Mapping[str, Any] | None = None,
    cache_logger_on_first_use: bool = True,
    shutdown_timeout: float | None = None,
    server_loggers: bool = True,
    stop_signals: bool = True,
    levels: Mapping[str, int | str | None] | None = None,
    sentry_level: int | str | None = None,
    storm: StormPolicy | None = _DEFAULT_STORM,
) -> None:
    """Set up structlog and stdlib logging for an application, API errors included.

        errorlens.configure(service="checkout")
        log = structlog.get_logger()
        log.info("started", port=8000)
        {"timestamp": "...", "level": "info", "logger": "...", "service": "checkout", ...}

    One handler on the root logger renders every line, from structlog or from
    ``logging.getLogger(...)``: JSON lines when ``stream`` (default ``sys.stderr``) is
    not a terminal, a coloured console in a terminal with the API error facts under the
    message. Lines that carry an API error get ``api_error``; lines logged while an
    OpenTelemetry span is active get ``trace_id`` and ``span_id``; every field,
    message and traceback is redacted.

    Settings not given come from the environment: ``ERRORLENS_LEVEL`` (else
    ``LOG_LEVEL``, else INFO), ``ERRORLENS_FORMAT`` (``json`` or ``console``, else by
    terminal), ``ERRORLENS_SERVICE`` (else ``OTEL_SERVICE_NAME``); ``NO_COLOR`` and
    ``FORCE_COLOR`` for colours.

    ``processors`` run on every line just before redaction and rendering.
    ``otel=True`` installs OpenTelemetry export from the ``OTEL_*`` variables
    (``errorlens[otel]``) and sends log lines there too; ``sentry_dsn`` starts Sentry
    (``errorlens[sentry]``, :class:`errorlens.sentry.ErrorlensIntegration` installed)
    with ``sentry_options``.

    ``shutdown_timeout``: seconds in all that flushing OpenTelemetry and Sentry may
    take at exit or in :func:`unconfigure`, shared by every provider (they flush side
    by side); else ``ERRORLENS_SHUTDOWN_TIMEOUT``, else 2. A collector or Sentry that is
    down or hangs costs that, once.

    ``server_loggers``: the loggers of uvicorn, gunicorn, hypercorn and werkzeug (access
    lines included) lose their own handlers and propagate, so their lines come out in
    the same stream and format as yours, once each; :func:`unconfigure` gives them back.

    ``stop_signals``: SIGTERM and SIGINT lead to the shutdown a normal exit runs, within
    the same budget, and then to the handler that was in place (a server's, or the
    default action); installed from the main thread only.

    ``levels`` is the policy of what deserves attention: keys ``"vendor:code"``,
    ``"status:N"``, ``"category:name"``, ``"vendor"`` (most specific first) map to a
    level, or to ``"drop"``; ``sentry_level`` is the least level that becomes a
    Sentry event (ERROR unless given), lower ones are breadcrumbs. Every output
    applies it; metrics count every error whatever its level. ``storm``: per vendor
    and code, the first lines of each window are written in full and the rest
    summarised by one line (``StormPolicy(lines=10, window=60.0)`` by default; None
    writes every line). See ``docs/how-to/policies.md``.

    Calling it again replaces the previous setup (never adds a second handler); other
    handlers on the root logger are left alone. :func:`unconfigure` undoes it. Never
    raises.

    .. versionadded:: 0.1.0
    """
    try:
        set_policy(Policy(levels, sentry_level) if levels or sentry_level is not None else None)
        set_storm(storm)
        _configure(
            service=service,
            level=level,
            json=json,
            stream=stream,
            colors=colors,
            processors=processors,
            otel=otel,
            sentry_dsn=sentry_dsn,
            sentry_options=sentry_options,
            cache_logger_on_first_use=cache_logger_on_first_use,
        )
        _installed.shutdown_timeout = shutdown_timeout
        _installed.spent = 0.0
        _take_server_loggers(server_loggers)
        _exit_last()
        if stop_signals:
            stop_signals_module.install(_stop_on_signal, _flush_on_signal)
        else:
            stop_signals_module.uninstall()
    except Exception:
        report_internal("configuring logging")


def _configure(
    *,
    service: str | None,
    level: int | str | None,
    json: bool | None,
    stream: IO[str] | None,
    colors: bool | None,
    processors: Sequence[Processor],
    otel: bool,
    sentry_dsn: str | None,
    sentry_options: Mapping[str, Any] | None,
    cache_logger_on_first_use: bool,
) -> None:
    out = stream if stream is not None else sys.stderr
    levelno = _level_from(level)
    service = service or os.environ.get(ENV_SERVICE) or os.environ.get(_FALLBACK_SERVICE) or None
    renderer: Processor
    if _wants_json(json, out):
        renderer = structlog.processors.JSONRenderer()
    else:
        from errorlens._internal.console import ConsoleRenderer

        renderer = ConsoleRenderer(colors=_wants_colors(colors, out))

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[_LineFields(service)],
        processors=[
            format_exc_info,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *processors,
            redact,
            renderer,
        ],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    # First on the root logger: reads every record once for every handler after it.
    reader = ReadingHandler(logging.getLogger(), trace_context=True)

    with _lock:
        root = logging.getLogger()
        _remove_installed(root)
        if _installed.previous_root_level is None:
            _installed.previous_root_level = root.level
        root.setLevel(levelno)
        root.handlers.insert(0, reader)
        root.addHandler(handler)
        _installed.handlers.extend((reader, handler))

        structlog.configure(
            processors=[
                structlog.contextvars.merge_contextvars,
                _add_request_ids,
                structlog.stdlib.filter_by_level,
                structlog.stdlib.PositionalArgumentsFormatter(),
                _to_stdlib,
            ],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            context_class=dict,
            cache_logger_on_first_use=cache_logger_on_first_use,
        )

        if otel:
            with guarded("setting up OpenTelemetry from configure()"):
                from errorlens import otel as otel_module

                otel_handler = otel_module.setup(service, logs=True)
                _installed.otel = True
                if otel_handler is not None and otel_handler not in root.handlers:
                    root.addHandler(otel_handler)
                    _installed.handlers.append(otel_handler)
    if sentry_dsn is not None:
        with guarded("setting up Sentry from configure()"):
            from errorlens import sentry as sentry_module

            sentry_module.setup(sentry_dsn, **dict(sentry_options or {}))
            _installed.sentry = True


def _take_server_loggers(wanted: bool) -> None:
    with _lock:
        if wanted:
            servers.take_over(_installed.servers)
        else:
            servers.give_back(_installed.servers)


def _remove_installed(root: logging.Logger) -> None:
    for handler in _installed.handlers:
        root.removeHandler(handler)
    _installed.handlers.clear()


def unconfigure(shutdown_timeout: float | None = None) -> None:
    """Undo :func:`configure`: everything it started stops, everything it added goes.

    Its handlers leave the root logger (whose level comes back), structlog is reset,
    and the OpenTelemetry providers and the Sentry client that ``configure()`` started
    are flushed and shut down, side by side, within one budget (``shutdown_timeout``,
    else ``configure()``'s, else ``ERRORLENS_SHUTDOWN_TIMEOUT``, else 2 s). What is
    not done by then is left behind, named in a warning. Run at exit too. Never raises.

    .. versionadded:: 0.1.0
    """
    try:
        set_policy(None)
        set_storm(_DEFAULT_STORM)  # writes the summaries still pending
        with _lock:
            root = logging.getLogger()
            _remove_installed(root)
            servers.give_back(_installed.servers)
            stop_signals_module.uninstall()
            if _installed.previous_root_level is not None:
                root.setLevel(_installed.previous_root_level)
                _installed.previous_root_level = None
            structlog.reset_defaults()
            reset_state()  # what errorlens remembered between calls, as at import
            budget = _budget_left(shutdown_timeout)
            _installed.spent = 0.0
            steps, after = _shutdown_steps()
        if steps:
            run_within(budget, steps)
        for step in after:
            step()
    except Exception:
        report_internal("undoing configure()")


def _budget_left(shutdown_timeout: float | None) -> float:
    """The one shutdown budget, less what flushing on a stop signal spent of it."""
    budget = budget_from(
        shutdown_timeout if shutdown_timeout is not None else _installed.shutdown_timeout
    )
    return max(0.0, budget - _installed.spent)


def _stop_on_signal() -> None:
    unconfigure()


def _flush_on_signal() -> None:
    """Flush what was recorded so far, within what is left of the budget."""
    steps = stop_signals_module.flush_steps()
    if not steps:
        return
    started = time.monotonic()
    run_within(_budget_left(None), steps)
    _installed.spent += time.monotonic() - started


def _shutdown_steps() -> tuple[dict[str, Step], list[Any]]:
    """What stopping configure()'s outputs takes, and what to do once they stopped."""
    steps: dict[str, Step] = {}
    after: list[Any] = []
    if _installed.otel:
        _installed.otel = False
        from errorlens.otel import providers

        steps.update(providers.shutdown_steps())
        after.append(providers.forget_providers)
    if _installed.sentry:
        _installed.sentry = False
        with guarded("closing Sentry"):
            from errorlens import sentry as sentry_module

            step = sentry_module.shutdown_step()
            if step is not None:
                steps["Sentry"] = step
            after.append(sentry_module.forget)
    return steps, after


def _exit_last() -> None:
    """Run :func:`unconfigure` at exit, before the exit hooks of sentry-sdk and
    OpenTelemetry that configure() set off (exit hooks run last registered, first)."""
    if _installed.at_exit:
        atexit.unregister(_at_exit)
    atexit.register(_at_exit)
    _installed.at_exit = True
    prepare()


def _at_exit() -> None:
    unconfigure()
    # What is logged after this hook (daemon threads, earlier exit hooks, __del__) finds
    # no handler and goes to logging's last resort: redacted too.
    redact_last_resort()

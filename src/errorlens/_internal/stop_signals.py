"""Flush on stop: SIGTERM and SIGINT lead to the shutdown a normal exit runs.

Containers and process managers stop a server with SIGTERM, whose default action ends
the process at once: no exit hooks, so buffered spans, log records and Sentry events
were lost. configure() puts a handler in front of the one in place (main thread
only) and chains to it:

- the default action (SIG_DFL): errorlens shuts down as at exit, within the budget,
  then the default action runs (the signal is raised again), so the process ends as
  the signal says;
- Python's SIGINT handler (KeyboardInterrupt): it runs; the normal exit that follows
  runs the shutdown;
- a server's handler (uvicorn, gunicorn's workers): it runs, and starts the server's
  graceful stop; what has been recorded so far is flushed at once, because some
  servers end with the default action of the signal.

An ignored signal (SIG_IGN) stays ignored. unconfigure() puts the previous handlers
back (where the handler is still errorlens's).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from errorlens._internal.guard import guarded
from errorlens._internal.shutdown import Step, remaining

__all__ = ["STOP_SIGNALS", "flush_steps", "install", "installed_for", "uninstall"]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _State:
    def __init__(self) -> None:
        self.previous: dict[int, Any] = {}
        self.stop: Callable[[], None] | None = None  # the shutdown a normal exit runs
        self.flush: Callable[[], None] | None = None  # flush, outputs stay in place


_state = _State()


def install(stop: Callable[[], None], flush: Callable[[], None]) -> None:
    """Handle SIGTERM and SIGINT in front of the handlers in place (main thread only)."""
    _state.stop, _state.flush = stop, flush
    if threading.current_thread() is not threading.main_thread():
        return  # Python allows signal handlers only there
    for signum in STOP_SIGNALS:
        current = signal.getsignal(signum)
        if current is _handle or current in (signal.SIG_IGN, None):
            continue  # ours already; ignored on purpose; or set outside Python
        signal.signal(signum, _handle)
        _state.previous[signum] = current


def uninstall() -> None:
    """Put back the handlers :func:`install` replaced, where ours is still in place."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum, previous in list(_state.previous.items()):
        if signal.getsignal(signum) is _handle:
            signal.signal(signum, previous)
    _state.previous.clear()


def installed_for() -> tuple[int, ...]:
    """The signals errorlens handles now."""
    return tuple(_state.previous)


def _handle(signum: int, frame: FrameType | None) -> None:
    previous = _state.previous.get(signum, signal.SIG_DFL)
    if previous is signal.default_int_handler:
        previous(signum, frame)  # KeyboardInterrupt; the exit that follows shuts down
        return
    if callable(previous):
        try:
            previous(signum, frame)  # the server's graceful stop (it may raise SystemExit)
        finally:
            _run(_state.flush, "flushing on a stop signal")
        return
    _run(_state.stop, "shutting down on a stop signal")
    # Then what the signal would have done without us: end the process.
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)


def _run(action: Callable[[], None] | None, where: str) -> None:
    if action is not None:
        with guarded(where):
            action()


def flush_steps() -> dict[str, Step]:
    """Flushing every active provider and client, whatever set it up, one step each."""
    steps: dict[str, Step] = {}
    for name, provider in _otel_providers():
        flush = getattr(provider, "force_flush", None)
        if callable(flush):
            steps[name] = _otel_flush(flush)
    sentry_sdk = sys.modules.get("sentry_sdk")  # only when the application uses Sentry
    if sentry_sdk is not None:
        client = sentry_sdk.get_client()
        if client.is_active():
            steps["Sentry"] = lambda deadline: client.flush(timeout=remaining(deadline))
    return steps


def _otel_providers() -> list[tuple[str, Any]]:
    from opentelemetry import _logs, metrics, trace

    return [
        ("OpenTelemetry traces", trace.get_tracer_provider()),
        ("OpenTelemetry metrics", metrics.get_meter_provider()),
        ("OpenTelemetry logs", _logs.get_logger_provider()),
    ]


def _otel_flush(flush: Callable[..., Any]) -> Step:
    def step(deadline: float) -> None:
        flush(timeout_millis=int(remaining(deadline) * 1000))

    return step

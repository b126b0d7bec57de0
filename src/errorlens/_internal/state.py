"""What errorlens remembers between calls, kept in one object.

Facts about the exceptions errorlens has seen (the record each was sent with, the
traceback text formatted for each traceback) and the small tables of the output path
live in :data:`STATE`, never on the application's objects: an exception that is pickled
to another process, copied, or raised again carries nothing of errorlens's with it.

:func:`reset` starts from a fresh state: ``unconfigure()`` calls it, and so does the one
at-fork hook of the package in a forked child, after renewing every lock (a thread that
held one in the parent does not exist in the child).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from errorlens._internal.locks import renew_all

__all__ = ["STATE", "State", "after_fork", "on_reset", "reset"]


class State:
    """errorlens's memory between calls (after structlog's one ``_CONFIG``)."""

    __slots__ = ("exceptions", "plain_keys", "reported", "trace_ids")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        # id(exception) -> its ExceptionFacts (events.py), oldest first. The facts hold
        # the exception (it takes no weak reference), so the table is pruned as it grows.
        self.exceptions: dict[int, Any] = {}
        # Places whose internal failure was reported (once each).
        self.reported: set[str] = set()
        # Log event keys judged not secret-named (lines repeat their keys).
        self.plain_keys: set[str] = set()
        # The last OpenTelemetry context seen and its (trace_id, span_id).
        self.trace_ids: tuple[object, tuple[str, str] | None] = (None, None)


STATE = State()

_on_reset: list[Callable[[], None]] = []
_after_fork: list[Callable[[], None]] = []


def on_reset(callback: Callable[[], None]) -> None:
    """Call ``callback`` whenever the state is reset (a module's own cache). At import."""
    if callback not in _on_reset:
        _on_reset.append(callback)


def after_fork(callback: Callable[[], None]) -> None:
    """Call ``callback`` in a forked child only (threads to forget). At import."""
    if callback not in _after_fork:
        _after_fork.append(callback)


def reset() -> None:
    """Forget everything remembered between calls (``unconfigure()``, a forked child)."""
    STATE.reset()
    for callback in _on_reset:
        callback()


def _in_child() -> None:
    renew_all()
    for callback in _after_fork:
        callback()
    reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_in_child)

"""Instrumentation handles: what one ``instrument_*`` call changed, and how to undo it.

Calling ``instrument_*`` again for the same target returns the handle already in place
(a new ``correlation_header`` replaces the old one): a client is instrumented once.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from errorlens._internal.context import correlation_id_for_outgoing
from errorlens._internal.guard import guarded, report_internal

__all__ = ["Instrumentation", "correlate", "instrument", "patch", "uninstrument_all"]

Undo = Callable[[], None]
# (library, target) -> handle; target 0 stands for "every client".
_handles: dict[tuple[str, int], Instrumentation] = {}
_lock = threading.RLock()
_MISSING = object()


class Instrumentation:
    """Capture turned on for one client library, globally or for one client.

    ``uninstrument()`` undoes exactly what the ``instrument_*`` call did; calling it
    again does nothing.

    .. versionadded:: 0.1.0
    """

    __slots__ = ("_key", "_target", "_undo", "active", "correlation_header", "library")

    def __init__(self, library: str, target: Any, correlation_header: str | None) -> None:
        self.library = library
        self.correlation_header = correlation_header
        self.active = True
        self._target = None if target is None else _weak(target)
        self._key = (library, 0 if target is None else id(target))
        self._undo: Undo | None = None

    @property
    def target(self) -> Any:
        """The client this handle instruments, None for every client."""
        return None if self._target is None else self._target()

    def uninstrument(self) -> None:
        """Undo what this handle did. Idempotent; never raises."""
        with _lock:
            if not self.active:
                return
            self.active = False
            if _handles.get(self._key) is self:
                del _handles[self._key]
            undo, self._undo = self._undo, None
        if undo is not None:
            with guarded(f"uninstrumenting {self.library}"):
                undo()

    def __repr__(self) -> str:
        what = "every client" if self._target is None else type(self.target).__name__
        state = "active" if self.active else "undone"
        return f"<errorlens {self.library} capture of {what}, {state}>"


def _weak(target: Any) -> Callable[[], Any]:
    try:
        return weakref.ref(target)
    except TypeError:
        return lambda: target


def instrument(
    library: str,
    target: Any,
    correlation_header: str | None,
    install: Callable[[Instrumentation], Undo],
) -> Instrumentation:
    """The handle of ``library`` capture on ``target`` (None: every client), installing
    it with ``install(handle)`` (which returns its undo) unless it is in place."""
    key = (library, 0 if target is None else id(target))
    with _lock:
        handle = _handles.get(key)
        if handle is not None and handle.target is target:
            handle.correlation_header = correlation_header
            return handle
        handle = Instrumentation(library, target, correlation_header)
        handle._undo = install(handle)
        _handles[key] = handle
        return handle


def uninstrument_all() -> None:
    """Undo every capture in place."""
    with _lock:
        handles = list(_handles.values())
    for handle in handles:
        handle.uninstrument()


def patch(owner: Any, name: str, make: Callable[[Any], Any]) -> Undo:
    """Replace ``owner.name`` by ``make(current)``; the undo puts back what was there,
    unless someone replaced the wrapper since (it then stays, inert: see ``active``)."""
    original = owner.__dict__.get(name, _MISSING)
    wrapper = make(getattr(owner, name))
    setattr(owner, name, wrapper)

    def undo() -> None:
        if owner.__dict__.get(name) is not wrapper:
            return
        if original is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, original)

    return undo


def correlate(headers: Any, name: str | None) -> str | None:
    """Put the correlation id on an outgoing request's ``headers``; the id it carries.

    An id the application set itself is kept (and is the one recorded).
    """
    if name is None:
        return None
    try:
        value = headers.get(name)
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, str) and value:
            return value
        value = correlation_id_for_outgoing()
        headers[name] = value
        return value
    except Exception:
        report_internal("setting the correlation id of an outgoing request")
        return None

"""Keep errorlens's own failures away from the host application.

Every risky step runs under :func:`guarded` or reports through
:func:`report_internal`: the failure becomes one warning on a private,
non-propagating logger (once per place), never the application's exception.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["guarded", "internal_logger", "report_internal"]

internal_logger = logging.getLogger("errorlens.internal")
# Our own warnings must not come back through a handler that errorlens decorates.
internal_logger.propagate = False
if not internal_logger.handlers:
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("errorlens: %(message)s"))
    internal_logger.addHandler(_handler)
internal_logger.setLevel(logging.WARNING)

_reported: set[str] = set()
_reported_lock = threading.Lock()


class _Local(threading.local):
    # Class-level defaults: a thread that never set a flag reads False, with no
    # AttributeError raised and caught (this is read once per log record).
    busy = False  # inside errorlens's output path
    active = False  # reporting an internal error


_local = _Local()


def report_internal(where: str) -> None:
    """Record that ``where`` failed: one warning per place, never an exception."""
    try:
        exc = sys.exc_info()[1]
        with _reported_lock:
            if where in _reported or len(_reported) > 256:
                return
            _reported.add(where)
        if _local.active:
            return
        _local.active = True
        try:
            internal_logger.warning(
                "internal error while %s (%s); continuing with less information",
                where,
                type(exc).__name__ if exc is not None else "unknown",
            )
        finally:
            _local.active = False
    except Exception:
        pass


@contextmanager
def guarded(where: str) -> Iterator[None]:
    """Run a block whose exceptions are reported, not raised."""
    try:
        yield
    except Exception:
        report_internal(where)


def in_errorlens() -> bool:
    """True while this thread is inside errorlens's own output path (recursion guard)."""
    return _local.busy


@contextmanager
def busy() -> Iterator[None]:
    """Mark this thread as inside errorlens's output path."""
    previous = _local.busy
    _local.busy = True
    try:
        yield
    finally:
        _local.busy = previous

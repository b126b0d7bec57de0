"""Keep errorlens's own failures away from the host application, but visible.

Every risky step runs under :func:`guarded` or calls :func:`report_internal` from its
``except`` block. In production the failure becomes one warning, with its traceback,
on the private, non-propagating logger ``errorlens.internal`` (once per place), never
the application's exception. With ``ERRORLENS_RAISE_INTERNAL=1`` (the test suite sets
it) the failure is raised instead, so a bug cannot hide behind "never raises".
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import CodeType, FrameType

from errorlens._internal.locks import SafeLock
from errorlens._internal.state import STATE

__all__ = [
    "RAISE_ENV",
    "busy",
    "guarded",
    "in_errorlens",
    "internal_logger",
    "interrupted",
    "report_internal",
]

RAISE_ENV = "ERRORLENS_RAISE_INTERNAL"

internal_logger = logging.getLogger("errorlens.internal")
# Our own warnings must not come back through a handler that errorlens decorates.
internal_logger.propagate = False
if not internal_logger.handlers:
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("errorlens: %(message)s"))
    internal_logger.addHandler(_handler)
internal_logger.setLevel(logging.WARNING)

_MAX_PLACES = 256
_reported_lock = SafeLock()


class _Local(threading.local):
    # Class-level defaults: a thread that never set a flag reads False, with no
    # AttributeError raised and caught (this is read once per log record).
    busy = False  # inside errorlens's output path
    entered: FrameType | None = None  # the frame that entered it
    active = False  # reporting an internal error


_local = _Local()


def _raising() -> bool:
    return os.environ.get(RAISE_ENV, "") not in ("", "0")


def _first_time(where: str) -> bool:
    with _reported_lock:
        reported = STATE.reported
        if where in reported or len(reported) >= _MAX_PLACES:
            return False
        reported.add(where)
        return True


def report_internal(where: str) -> None:
    """Report the exception being handled as a failure of errorlens while ``where``.

    Call it from an ``except`` block. Raises that exception again when
    ``ERRORLENS_RAISE_INTERNAL`` is set; otherwise logs it once per ``where``.
    """
    if _raising():
        raise  # noqa: PLE0704 - called from the caller's except block
    try:
        if _local.active or not _first_time(where):
            return
        _local.active = True
        try:
            internal_logger.warning(
                "internal error while %s; continuing with less information",
                where,
                exc_info=sys.exc_info(),
            )
        finally:
            _local.active = False
    except Exception:
        pass  # a broken handler on our own logger: nothing left to tell


@contextmanager
def guarded(where: str) -> Iterator[None]:
    """Run a block whose exceptions are reported (see :func:`report_internal`)."""
    try:
        yield
    except Exception:
        report_internal(where)


def in_errorlens() -> bool:
    """True while this thread is inside errorlens's own output path (recursion guard).

    A signal handler runs on the thread it interrupts, maybe in the middle of that
    path: its log lines are the application's, not errorlens logging from inside
    itself, so they are not held back (see :func:`interrupted`).
    """
    return _local.busy and not interrupted()


def interrupted() -> bool:
    """Whether a signal handler interrupted this thread inside errorlens's output path."""
    if not _local.busy:
        return False
    codes = _signal_handler_codes()
    if not codes:
        return False
    entered = _local.entered
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame is not entered:
        if frame.f_code in codes:
            return True
        frame = frame.f_back
    return False


def _signal_handler_codes() -> set[CodeType]:
    """The code of every Python signal handler installed (they run on the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return set()
    codes: set[CodeType] = set()
    for signum in signal.valid_signals():
        try:
            handler = signal.getsignal(signum)
        except (ValueError, OSError):
            continue
        code = _code_of(handler)
        if code is not None:
            codes.add(code)
    return codes


def _code_of(handler: object) -> CodeType | None:
    if not callable(handler):
        return None
    target = getattr(handler, "__func__", handler)  # a bound method
    target = getattr(target, "func", target)  # functools.partial
    code = getattr(target, "__code__", None)
    if code is None:  # an object with __call__
        code = getattr(type(target).__dict__.get("__call__"), "__code__", None)
    return code if isinstance(code, CodeType) else None


class _Busy:
    """The context of :func:`busy`: a class, not a generator (it runs for every error)."""

    __slots__ = ("entered", "previous")

    def __enter__(self) -> None:
        local = _local
        self.previous, self.entered = local.busy, local.entered
        local.busy = True
        if not self.previous:
            local.entered = sys._getframe(1)  # the caller's frame

    def __exit__(self, *exc: object) -> None:
        _local.busy, _local.entered = self.previous, self.entered


def busy() -> _Busy:
    """Mark this thread as inside errorlens's output path, from the caller's frame."""
    return _Busy()

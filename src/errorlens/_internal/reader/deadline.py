"""A time bound on every read of the application's objects.

Walks over objects errorlens did not make are bounded by counts (items, keys, depth,
links of a chain), but a count bounds the calls into the application's code, not their
time: a headers mapping whose iteration sleeps, a property that waits on a lock, a
``__getattr__`` that computes. A read (an exception with its chain, or a response) has
:data:`READ_BUDGET` seconds on the monotonic clock from its start. Every walk over the
application's objects looks at the clock before each call into them, stops once the
time has passed, and keeps what it read.

Exact dicts, lists and strs run no application code while walked, so their walks look
at no clock: a read of plain values pays for one clock reading.

One call into the application's code cannot be interrupted from the thread that made
it: a property that takes two seconds takes them. The bound is that no walk makes a
further call once the time has passed.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from time import monotonic
from typing import Any, ParamSpec, TypeVar

__all__ = ["READ_BUDGET", "attribute", "ends", "over", "timed_read"]

READ_BUDGET = 0.05  # seconds for one read: far above a normal read's tens of microseconds

_P = ParamSpec("_P")
_R = TypeVar("_R")


class _Read(threading.local):
    # When this thread's current read runs out of time; no read under way: never.
    ends = math.inf


_read = _Read()


def timed_read(read: Callable[_P, _R]) -> Callable[_P, _R]:
    """``read`` given :data:`READ_BUDGET` seconds; a read inside another (an
    application's ``__getattr__`` that logs an error) ends no later than the outer one."""

    @functools.wraps(read)
    def bounded(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        outer = _read.ends
        end = monotonic() + READ_BUDGET
        _read.ends = end if end < outer else outer
        try:
            return read(*args, **kwargs)
        finally:
            _read.ends = outer

    return bounded


def over() -> bool:
    """Whether the current read has run out of time: no more calls into the application."""
    return monotonic() > _read.ends


def ends() -> float:
    """When the current read runs out of time: a loop reads it once, then the clock."""
    return _read.ends


def attribute(obj: Any, name: str, default: Any = None) -> Any:
    """``obj.name``; ``default`` when reading it raises (properties of the application's
    objects may) or the read is out of time."""
    if monotonic() > _read.ends:
        return default
    try:
        return getattr(obj, name, default)
    except Exception:
        return default

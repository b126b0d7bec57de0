"""Locks that a signal handler may take again, and that a forked child gets unheld.

A thread holding one of errorlens's locks when another thread forks does not exist in
the child, so nobody would ever release it there. Every lock made here is renewed in
the child by one at-fork hook for the whole package (:mod:`errorlens._internal.state`
calls :func:`renew_all`): no hook per lock, so locks made and dropped (one per
``configure()``) leave nothing behind.
"""

from __future__ import annotations

import threading
import weakref
from types import TracebackType

__all__ = ["SafeLock", "Stripes", "renew_all"]


class _Renewable:
    __slots__ = ("__weakref__",)

    def renew(self) -> None:  # pragma: no cover - every subclass has its own
        raise NotImplementedError


# Every live lock of the package; dead ones leave on their own.
_live: weakref.WeakSet[_Renewable] = weakref.WeakSet()


class SafeLock(_Renewable):
    """A reentrant lock, replaced by a fresh one in a child process after ``fork``.

    Reentrant: a signal handler runs on the thread it interrupts, so an error logged
    from a handler may need the lock that very thread holds.
    """

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.RLock()
        _live.add(self)

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._lock.release()

    def renew(self) -> None:
        self._lock = threading.RLock()


class Stripes(_Renewable):
    """A fixed set of reentrant locks picked by a number: no lock per object, little
    contention between unrelated objects. Renewed in a forked child like SafeLock."""

    __slots__ = ("_locks",)

    def __init__(self, count: int) -> None:
        self._locks = tuple(threading.RLock() for _ in range(count))
        _live.add(self)

    def lock_for(self, number: int) -> threading.RLock:
        locks = self._locks
        return locks[number % len(locks)]

    def renew(self) -> None:
        self._locks = tuple(threading.RLock() for _ in self._locks)


def renew_all() -> None:
    """Give every lock of the package a fresh, unheld lock (in a forked child)."""
    for lock in list(_live):
        lock.renew()

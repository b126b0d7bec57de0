"""A lock that a signal handler may take again, and that a forked child gets unheld."""

from __future__ import annotations

import os
import threading
import weakref
from types import TracebackType

__all__ = ["SafeLock"]


class SafeLock:
    """A reentrant lock, replaced by a fresh one in a child process after ``fork``.

    Reentrant: a signal handler runs on the thread it interrupts, so an error logged
    from a handler may need the lock that very thread holds. Renewed after fork: the
    thread that held it does not exist in the child, so nobody would ever release it.
    """

    __slots__ = ("__weakref__", "_lock")

    def __init__(self) -> None:
        self._lock = threading.RLock()
        if hasattr(os, "register_at_fork"):
            ref = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: _renew(ref))

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


def _renew(ref: weakref.ReferenceType[SafeLock]) -> None:
    lock = ref()
    if lock is not None:
        lock.renew()

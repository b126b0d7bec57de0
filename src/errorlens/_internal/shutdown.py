"""One shutdown budget shared by every output: steps run side by side, one deadline.

A collector or a Sentry that is down must not keep the process from exiting: each
step (flush and shut down the OpenTelemetry traces, metrics and logs, flush Sentry)
runs on its own thread and is given the same deadline; whatever has not finished by
then, or fails (a backend that is down), is left behind (the threads are daemons)
and named in one warning.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Mapping

from errorlens._internal.guard import internal_logger
from errorlens._internal.scrub import redact_text
from errorlens._internal.state import after_fork
from errorlens._internal.text import escape_controls_in_lines

__all__ = [
    "DEFAULT_BUDGET",
    "ENV_SHUTDOWN_TIMEOUT",
    "budget_from",
    "prepare",
    "redact_last_resort",
    "run_within",
]

ENV_SHUTDOWN_TIMEOUT = "ERRORLENS_SHUTDOWN_TIMEOUT"
DEFAULT_BUDGET = 2.0

Step = Callable[[float], None]
"""A shutdown step: called with the deadline (``time.monotonic()`` seconds)."""


def budget_from(value: float | None) -> float:
    """The total shutdown budget in seconds: ``value``, else the environment, else 2."""
    if value is None:
        raw = os.environ.get(ENV_SHUTDOWN_TIMEOUT, "").strip()
        if not raw:
            return DEFAULT_BUDGET
        try:
            value = float(raw)
        except ValueError:
            internal_logger.warning(
                "%s=%r is not a number of seconds; using %g",
                ENV_SHUTDOWN_TIMEOUT,
                raw,
                DEFAULT_BUDGET,
            )
            return DEFAULT_BUDGET
    return max(0.0, float(value))


def remaining(deadline: float) -> float:
    """Seconds left before ``deadline`` (never negative)."""
    return max(0.0, deadline - time.monotonic())


def _run(name: str, step: Step, deadline: float, unfinished: set[str]) -> None:
    # A backend that is down makes its provider's shutdown fail or overrun: that is what
    # the budget is for, not an errorlens bug, so it is named in the warning, not raised.
    unfinished.add(name)
    try:
        step(deadline)
    except Exception:
        return
    if time.monotonic() <= deadline:
        unfinished.discard(name)


Job = tuple[str, Step, float, "set[str]", threading.Event]


# Threads started before exit, idle until a shutdown hands them a step: from Python 3.12
# no new thread may start while the interpreter finalises (atexit), and without threads
# the steps would run one after another, each with its own timeouts.
class _Crew:
    jobs: queue.SimpleQueue[Job] | None = None


_crew = _Crew()
_CREW_SIZE = 4


def _serve(jobs: queue.SimpleQueue[Job]) -> None:
    while True:
        name, step, deadline, unfinished, done = jobs.get()
        try:
            _run(name, step, deadline, unfinished)
        finally:
            done.set()


def prepare() -> None:
    """Start the idle shutdown threads (once per process) so exit can use them."""
    if _crew.jobs is not None:
        return
    jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
    for index in range(_CREW_SIZE):
        worker = threading.Thread(
            target=_serve, args=(jobs,), name=f"errorlens-shutdown-{index}", daemon=True
        )
        worker.start()
    _crew.jobs = jobs


def _forget_crew() -> None:  # a forked child has none of its parent's threads
    _crew.jobs = None


after_fork(_forget_crew)


def _start(name: str, step: Step, deadline: float, unfinished: set[str]) -> threading.Event:
    """Run one step on a thread of its own, else on the crew, else here; its done event."""
    done = threading.Event()

    def run() -> None:
        try:
            _run(name, step, deadline, unfinished)
        finally:
            done.set()

    try:
        threading.Thread(target=run, name=f"errorlens-shutdown: {name}", daemon=True).start()
    except RuntimeError:  # no new threads while the interpreter finalises (3.12+)
        if _crew.jobs is not None:
            _crew.jobs.put((name, step, deadline, unfinished, done))
        else:
            run()
    return done


def run_within(budget: float, steps: Mapping[str, Step]) -> list[str]:
    """Run ``steps`` side by side within ``budget`` seconds in all.

    Returns the names of the steps still running at the deadline (left behind).
    """
    deadline = time.monotonic() + budget
    unfinished: set[str] = set()
    waits = [_start(name, step, deadline, unfinished) for name, step in steps.items()]
    for done in waits:
        done.wait(remaining(deadline))
    left = [name for name in steps if name in unfinished]
    if left:
        internal_logger.warning(
            "shutdown budget of %g s spent (%s=%s); left behind: %s",
            budget,
            ENV_SHUTDOWN_TIMEOUT,
            os.environ.get(ENV_SHUTDOWN_TIMEOUT, "unset"),
            ", ".join(left),
        )
    return left


class _NoLock:
    """A lock that never blocks: ``Handler.handle`` takes it with ``with`` (3.13) or
    ``acquire()`` (before)."""

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return True

    def release(self) -> None:
        return None

    def __enter__(self) -> bool:
        return True

    def __exit__(self, *exc: object) -> None:
        return None


_NO_LOCK = _NoLock()


class _RedactingLastResort(logging.Handler):
    """logging's last resort (warnings and worse to stderr when no handler is left),
    redacted: what daemon threads, later exit hooks and ``__del__`` log after
    errorlens's exit hook took its handlers away.

    It holds no lock: a daemon thread frozen by the interpreter's finalisation while
    writing must not block a ``__del__`` that logs after it.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def createLock(self) -> None:
        self.lock = _NO_LOCK  # type: ignore[assignment]

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = escape_controls_in_lines(redact_text(self.format(record)))
            stream = sys.stderr
            if stream is not None:
                stream.write(text + "\n")
        except Exception:
            pass


def redact_last_resort() -> None:
    """Make logging's last resort redact what it prints (run by the exit hook)."""
    if not isinstance(logging.lastResort, _RedactingLastResort):
        logging.lastResort = _RedactingLastResort()

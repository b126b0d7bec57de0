"""One shutdown budget shared by every output: steps run side by side, one deadline.

A collector or a Sentry that is down must not keep the process from exiting: each
step (flush and shut down the OpenTelemetry traces, metrics and logs, flush Sentry)
runs on its own thread and is given the same deadline; whatever has not finished by
then is left behind (the threads are daemons) and named in one warning.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping

from errorlens._internal.guard import guarded, internal_logger

__all__ = ["DEFAULT_BUDGET", "ENV_SHUTDOWN_TIMEOUT", "budget_from", "run_within"]

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


def _run(name: str, step: Step, deadline: float) -> None:
    with guarded(f"shutting down {name}"):
        step(deadline)


def run_within(budget: float, steps: Mapping[str, Step]) -> list[str]:
    """Run ``steps`` side by side within ``budget`` seconds in all.

    Returns the names of the steps still running at the deadline (left behind).
    """
    deadline = time.monotonic() + budget
    threads: dict[str, threading.Thread] = {}
    for name, step in steps.items():
        thread = threading.Thread(
            target=_run, args=(name, step, deadline), name=f"errorlens-shutdown: {name}"
        )
        thread.daemon = True
        try:
            thread.start()
        except RuntimeError:  # no new threads (interpreter finalising): run it here
            _run(name, step, deadline)
            continue
        threads[name] = thread
    for thread in threads.values():
        thread.join(remaining(deadline))
    left = [name for name, thread in threads.items() if thread.is_alive()]
    if left:
        internal_logger.warning(
            "shutdown budget of %g s spent (%s=%s); left behind: %s",
            budget,
            ENV_SHUTDOWN_TIMEOUT,
            os.environ.get(ENV_SHUTDOWN_TIMEOUT, "unset"),
            ", ".join(left),
        )
    return left

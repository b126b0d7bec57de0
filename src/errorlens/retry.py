"""Retry hooks: log each failed attempt with its ``api_error`` facts, wait what the vendor asks.

With tenacity (``pip install 'errorlens[retry]'``)::

    import tenacity
    from errorlens import retry

    @tenacity.retry(
        retry=retry.retry_if_retryable,               # the vendor's verdict, per attempt
        wait=retry.wait_retry_after(fallback=tenacity.wait_exponential(max=30)),
        before_sleep=retry.before_sleep,              # one line per retry, with the wait
        stop=tenacity.stop_after_attempt(5),
    )
    def charge(): ...

Each retry logs one line (logger ``errorlens.retry``: structlog's once structlog is
configured, by ``errorlens.configure()`` or the application, else stdlib logging's)::

    {"event": "api call failed, retrying", "level": "warning", "attempt": 1, "wait": 2.0,
     "function": "charge", "api_error": {"vendor": "openai", "status": 429, ...}}

and the wait is the vendor's ``retry_after`` (``Retry-After``, ``retry-after-ms``, a body
hint) when it gives one, else the fallback's. With stamina::

    stamina.instrumentation.set_on_retry_hooks([retry.stamina_hook])

    @stamina.retry(on=retry.stamina_on, attempts=5)
    def charge(): ...

Nothing here imports tenacity or stamina: the hooks are plain callables over the objects
they hand over.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import structlog

from errorlens import ErrorRecord, extract
from errorlens._internal.events import ErrorEvent, emit
from errorlens._internal.guard import report_internal
from errorlens._internal.observe import own_api_error, short_error_text
from errorlens._internal.policy import current as current_policy

__all__ = [
    "after",
    "before_sleep",
    "is_retryable",
    "log_after",
    "log_before_sleep",
    "retry_if_retryable",
    "stamina_hook",
    "stamina_on",
    "wait_retry_after",
]

Hook = Callable[[Any], None]
Wait = Callable[[Any], float]

_LOGGER = "errorlens.retry"
_RETRYING = "api call failed, retrying"
_FAILED = "api call attempt failed"


def _failure(retry_state: Any) -> BaseException | None:
    """The exception of tenacity's last attempt, None when it returned."""
    outcome = getattr(retry_state, "outcome", None)
    if outcome is None or not outcome.failed:
        return None
    exc = outcome.exception()
    return exc if isinstance(exc, BaseException) else None


def _record(exc: BaseException | None) -> ErrorRecord | None:
    return extract(exc) if exc is not None else None


def is_retryable(exc: BaseException) -> bool:
    """True when ``exc`` holds an API error that the vendor (or its status) says to retry.

    >>> from errorlens.retry import is_retryable
    >>> is_retryable(ValueError("not an API error"))
    False
    """
    record = extract(exc)
    return record is not None and record.retryable


def retry_if_retryable(retry_state: Any) -> bool:
    """tenacity ``retry=``: retry a failed attempt whose API error is retryable."""
    exc = _failure(retry_state)
    return exc is not None and is_retryable(exc)


def _default_fallback(retry_state: Any) -> float:
    # Exponential: 0.5 s, 1 s, 2 s ... at most 30 s, when the vendor names no wait.
    attempt = max(int(getattr(retry_state, "attempt_number", 1)), 1)
    return float(min(0.5 * 2 ** (attempt - 1), 30.0))


def wait_retry_after(fallback: Wait | None = None, *, max_wait: float | None = None) -> Wait:
    """tenacity ``wait=``: the vendor's ``retry_after``, else ``fallback``'s wait.

    ``fallback`` is any tenacity wait (``tenacity.wait_exponential()``); by default
    0.5 s doubling up to 30 s. ``max_wait`` caps what a vendor may ask for.
    """
    fall_back = fallback or _default_fallback

    def wait(retry_state: Any) -> float:
        record = _record(_failure(retry_state))
        if record is None or record.retry_after is None:
            return float(fall_back(retry_state))
        asked = float(record.retry_after)
        return min(asked, max_wait) if max_wait is not None else asked

    return wait


def _emit(logger: Any, level: int, event: str, fields: dict[str, Any]) -> None:
    if isinstance(logger, logging.Logger):
        logger.log(level, event, extra=fields)
    else:
        getattr(logger, logging.getLevelName(level).lower())(event, **fields)


def _log(logger: Any, level: int, event: str, exc: BaseException | None, **fields: Any) -> None:
    record = _record(exc)
    if record is not None:
        fields["api_error"] = own_api_error(record)  # the line's readers record it not again
        _record_attempt(record, exc, level)
    elif exc is not None:
        # Redacted here: the line may go to a logger errorlens does not clean.
        fields["error"] = short_error_text(exc)
    _emit(logger, level, event, fields)


def _record_attempt(record: ErrorRecord, exc: BaseException | None, level: int) -> None:
    """Spans and metrics for a failed attempt, once per exception however often logged.

    A retry in progress is a warning at most, whatever the policy says of the error: a
    breadcrumb in Sentry, not an event. The policy may still lower or drop it.
    """
    try:
        level = min(current_policy().level_for(record, level), level)
        exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
        emit(ErrorEvent(record, exc_info, level=level))
    except Exception:
        report_internal("recording a failed attempt")


def _fn_name(retry_state: Any) -> str | None:
    fn = getattr(retry_state, "fn", None)
    return getattr(fn, "__qualname__", None) if fn is not None else None


def _default_logger() -> Any:
    """``errorlens.retry`` of structlog once it is configured (by ``configure()`` or the
    application), else of stdlib logging: never structlog's default printer to stdout,
    past the application's handlers. Asked at each line: configure() may come later."""
    if structlog.is_configured():
        return structlog.get_logger(_LOGGER)
    return logging.getLogger(_LOGGER)


def log_before_sleep(logger: Any = None, level: int = logging.WARNING) -> Hook:
    """tenacity ``before_sleep=``: one line per retry, with the attempt and the wait.

    ``logger`` is a structlog logger or a :class:`logging.Logger`; by default
    ``errorlens.retry``, of structlog when structlog is configured, else of stdlib
    logging.
    """
    in_progress = min(level, logging.WARNING)  # another attempt follows: a warning

    def hook(retry_state: Any) -> None:
        action = getattr(retry_state, "next_action", None)
        _log(
            logger if logger is not None else _default_logger(),
            in_progress,
            _RETRYING,
            _failure(retry_state),
            attempt=retry_state.attempt_number,
            wait=getattr(action, "sleep", None),
            function=_fn_name(retry_state),
        )

    return hook


def _runs_out(retry_state: Any) -> bool:
    """Whether tenacity stops after this attempt (its ``stop`` is asked the same way)."""
    stop = getattr(getattr(retry_state, "retry_object", None), "stop", None)
    if stop is None:
        return False
    try:
        return bool(stop(retry_state))
    except Exception:
        return False


def log_after(logger: Any = None, level: int = logging.WARNING) -> Hook:
    """tenacity ``after=``: one line per failed attempt that tenacity retries or stops on.

    An attempt that another follows is a warning (at most ``level``); the attempt on
    which tenacity stops is an error (at least ``ERROR``): only that one reaches Sentry.
    tenacity calls no hook for an error its ``retry=`` declines: the caller logs that one.
    """

    def hook(retry_state: Any) -> None:
        exc = _failure(retry_state)
        if exc is None:
            return
        last = _runs_out(retry_state)
        _log(
            logger if logger is not None else _default_logger(),
            max(level, logging.ERROR) if last else min(level, logging.WARNING),
            _FAILED,
            exc,
            attempt=retry_state.attempt_number,
            elapsed=round(float(getattr(retry_state, "seconds_since_start", 0.0) or 0.0), 3),
            function=_fn_name(retry_state),
        )

    return hook


before_sleep = log_before_sleep()
after = log_after()


def stamina_on(exc: Exception) -> bool | float:
    """stamina ``on=``: the vendor's wait when it names one, else whether to retry."""
    record = extract(exc)
    if record is None or not record.retryable:
        return False
    return float(record.retry_after) if record.retry_after is not None else True


def stamina_hook(details: Any) -> None:
    """A stamina on-retry hook: one line per retry, as :data:`before_sleep` logs it."""
    _log(
        _default_logger(),
        logging.WARNING,
        _RETRYING,
        getattr(details, "caused_by", None),
        attempt=details.retry_num,
        wait=details.wait_for,
        function=details.name,
    )
